//! The `ibsim` command line: clap's description of the arguments, and one
//! file per subcommand that calls the library, writes through
//! [`ibsim::output`] and prints. Every failure is an [`Error`], printed and
//! mapped to its exit code in one place ([`Error::exit_code`]).

mod analysis;
mod check;
mod error;
mod init;
mod merge;
mod progress;
mod run;
mod sensitivity;
mod serve;
mod solve;
mod sweep;
mod validate;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
pub use error::Error;
use ibsim::report::i18n::Lang;

/// Monte Carlo risk simulator for impact-bond (pay-for-results) structuring.
#[derive(Parser)]
#[command(name = "ibsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check scenario files; print every problem found.
    Validate {
        /// Scenario files (YAML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Write a commented starter scenario to edit.
    Init(init::Args),
    /// Print the JSON Schema of the scenario format (for editors).
    Schema,
    /// Simulate a scenario; write summary.json and run.json; print a summary.
    Run(run::Args),
    /// Grid over one or two scenario values with common random numbers; table, CSV, JSON, chart.
    Sweep(sweep::Args),
    /// Find the value of one scenario PATH where risk targets hold.
    Solve(solve::Args),
    /// Which uncertain inputs drive investor returns and payer cost (tornado).
    Sensitivity(sensitivity::Args),
    /// Merge shard files of one run into the run's summary.json and reports
    /// (byte for byte those of the unsharded run).
    Merge(merge::Args),
    /// Compare a run with a stored summary.json: exact when seed, trials and
    /// model version match, else within --sigma standard errors; exit 1 if anything moved.
    Check(check::Args),
    /// The deal room: a local web page where the terms are moved and every
    /// party's figures follow.
    Serve(serve::Args),
}

/// Language of the tables, charts and reports.
#[derive(Clone, Copy, Debug, Default, ValueEnum)]
enum LangFlag {
    #[default]
    En,
    Es,
}

impl From<LangFlag> for Lang {
    fn from(l: LangFlag) -> Lang {
        match l {
            LangFlag::En => Lang::En,
            LangFlag::Es => Lang::Es,
        }
    }
}

/// Options shared by `run` and the analysis commands.
#[derive(clap::Args)]
struct CommonFlags {
    /// Trials (per point for sweep and solve; default: the scenario's simulation.trials).
    #[arg(long)]
    trials: Option<u64>,
    /// Random seed, the same at every analysis point (default: the scenario's simulation.seed).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long, value_parser = threads)]
    threads: Option<usize>,
    /// Output folder; files go to OUT/<scenario file stem>/.
    #[arg(long, default_value = "output")]
    out: PathBuf,
    /// Language of the tables, charts and reports.
    #[arg(long, value_enum, default_value_t)]
    lang: LangFlag,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Run even when the run is estimated to take more than an hour.
    #[arg(long)]
    force: bool,
    /// Replace an output folder that holds another scenario's ibsim outputs
    /// (a folder holding other files is never replaced).
    #[arg(long)]
    replace: bool,
}

/// `--threads`: 1 to [`ibsim::limits::MAX_THREADS`].
fn threads(s: &str) -> Result<usize, String> {
    let max = ibsim::limits::MAX_THREADS;
    match s.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a whole number of threads from 1 to {max}"
        )),
    }
}

/// Parses `--shard K/N`, or `--shard auto` from a scheduler's array
/// variables (with `--shards N` where the scheduler gives no count).
fn shard_flag(
    flag: Option<&str>,
    shards: Option<u64>,
) -> Result<Option<ibsim::shard::ShardSpec>, Error> {
    let spec = match flag {
        None => return Ok(None),
        Some("auto") => ibsim::shard::ShardSpec::from_scheduler(&|v| std::env::var(v).ok(), shards),
        Some(k_of_n) => ibsim::shard::ShardSpec::parse(k_of_n),
    };
    spec.map(Some)
        .map_err(|e| Error::usage(format!("--shard {e}")))
}

/// Runs the subcommand; the process exit code.
pub fn main(cli: Cli) -> i32 {
    let done = match cli.command {
        Command::Validate { files } => validate::run(&files),
        Command::Init(a) => init::run(&a),
        Command::Schema => {
            println!("{}", ibsim::schema::scenario_schema_json());
            Ok(())
        }
        Command::Run(a) => run::run(&a),
        Command::Sweep(a) => sweep::run(&a),
        Command::Solve(a) => solve::run(&a),
        Command::Sensitivity(a) => sensitivity::run(&a),
        Command::Merge(a) => merge::run(&a),
        Command::Check(a) => check::run(&a),
        Command::Serve(a) => serve::run(&a),
    };
    match done {
        Ok(()) => ibsim::exit::OK,
        Err(e) => {
            e.print();
            e.exit_code()
        }
    }
}
