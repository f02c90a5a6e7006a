//! The `ibsim` command line: parses arguments and calls the library.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Monte Carlo risk simulator for impact-bond (pay-for-results) structuring.
#[derive(Parser)]
#[command(name = "ibsim", version, about, long_about = None)]
struct Cli {
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
    Init {
        /// File to create.
        file: PathBuf,
        /// Starting point: employment, bilingual or dib.
        #[arg(long, default_value = "employment", value_parser = ["employment", "bilingual", "dib"])]
        template: String,
        /// Language of the comments, names and labels.
        #[arg(long, default_value = "en", value_parser = ["en", "es"])]
        lang: String,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Print the JSON Schema of the scenario format (for editors).
    Schema,
    /// Simulate a scenario; write summary.json and run.json; print a summary.
    Run {
        /// Scenario file (YAML).
        scenario: PathBuf,
        #[command(flatten)]
        common: CommonFlags,
        /// Also write trials.csv with every trial's metrics.
        #[arg(long)]
        save_trials: bool,
        /// Skip charts, report.html and workbook.xlsx.
        #[arg(long)]
        no_report: bool,
        /// Run until METRIC's standard error is at most VALUE (e.g. investor_irr=0.001);
        /// --trials is then the maximum.
        #[arg(long, value_name = "METRIC=VALUE")]
        until_se: Option<String>,
        /// Run only shard K of N (0-based) of the trials and write a shard file
        /// (`OUT/<stem>/shard-K-of-N.ibshard`) for `ibsim merge`.
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
    },
    /// Grid over one or two scenario values with common random numbers; table, CSV, JSON, chart.
    Sweep {
        /// Scenario file (YAML).
        scenario: PathBuf,
        /// PATH=LO..HI:STEPS, e.g. outcomes.placement.price=1.5e6..2.5e6:11 (once or twice).
        #[arg(long, required = true)]
        vary: Vec<String>,
        #[command(flatten)]
        common: CommonFlags,
        /// Most acceptable P(investors lose money) for the feasible corridor.
        #[arg(long, default_value_t = 0.10)]
        max_prob_loss: f64,
        /// Most acceptable P(payer cost > cap) for the feasible corridor.
        #[arg(long, default_value_t = 0.05)]
        max_prob_over_cap: f64,
        /// The payer's cap on its cost (default: budget cap + evaluation cost).
        #[arg(long)]
        payer_cap: Option<f64>,
        /// Run only shard K of N (0-based) of the grid points and write a sweep
        /// shard file for `ibsim merge`.
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
    },
    /// Find the value of one scenario PATH where risk targets hold.
    Solve {
        /// Scenario file (YAML).
        scenario: PathBuf,
        /// PATH=LO..HI, e.g. outcomes.placement.price=1e6..3e6.
        #[arg(long, required = true)]
        vary: String,
        /// prob(METRIC OP X) OP P, quantile(METRIC, Q) OP X or mean(METRIC) OP X (repeatable).
        #[arg(long, required = true)]
        target: Vec<String>,
        /// Grid points tried before bisection (also the monotonicity check).
        #[arg(long, default_value_t = 9)]
        grid: usize,
        /// Bisection stops when the bracket is this fraction of the range.
        #[arg(long, default_value_t = 1e-4)]
        tol: f64,
        #[command(flatten)]
        common: CommonFlags,
    },
    /// Which uncertain inputs drive investor returns and payer cost (tornado).
    Sensitivity {
        /// Scenario file (YAML).
        scenario: PathBuf,
        #[command(flatten)]
        common: CommonFlags,
    },
    /// Merge shard files of one run into the run's summary.json and reports
    /// (byte for byte those of the unsharded run).
    Merge {
        /// Shard files written by `ibsim run --shard K/N`.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Output folder; results go to OUT/<scenario-file-stem>/.
        #[arg(long, default_value = "output")]
        out: PathBuf,
        /// Language of the table, charts and reports.
        #[arg(long, default_value = "en", value_parser = ["en", "es"])]
        lang: String,
        /// Skip charts, report.html and workbook.xlsx.
        #[arg(long)]
        no_report: bool,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// Replace an output folder that holds another scenario's ibsim outputs.
        #[arg(long)]
        replace: bool,
    },
    /// Compare a run with a stored summary.json: exact when seed, trials and
    /// model version match, else within --sigma standard errors; exit 1 if anything moved.
    Check {
        /// Scenario file (YAML).
        scenario: PathBuf,
        /// The stored summary.json.
        #[arg(long)]
        baseline: PathBuf,
        /// Trials (default: the baseline's).
        #[arg(long)]
        trials: Option<u64>,
        /// Seed (default: the baseline's).
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads (default: all cores).
        #[arg(long, value_parser = threads)]
        threads: Option<usize>,
        /// Compare statistically even when seed and trials match.
        #[arg(long)]
        statistical: bool,
        /// Tolerance in combined standard errors (statistical mode).
        #[arg(long, default_value_t = 4.0)]
        sigma: f64,
        /// Rewrite the baseline with this run (atomically) instead of comparing.
        #[arg(long)]
        update: bool,
        /// Print nothing when consistent.
        #[arg(long, short)]
        quiet: bool,
        /// Run even when the run is estimated to take more than an hour.
        #[arg(long)]
        force: bool,
    },
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
    #[arg(long, default_value = "en", value_parser = ["en", "es"])]
    lang: String,
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

impl CommonFlags {
    fn into_args(self, scenario: PathBuf, vary: Vec<String>) -> ibsim::commands::AnalysisArgs {
        ibsim::commands::AnalysisArgs {
            scenario,
            vary,
            trials: self.trials,
            seed: self.seed,
            threads: self.threads,
            out: self.out,
            lang: ibsim::report::i18n::Lang::parse(&self.lang).unwrap_or_default(),
            quiet: self.quiet,
            force: self.force,
            replace: self.replace,
        }
    }
}

/// Parses `--shard K/N`; a usage error (message printed) otherwise.
fn shard_flag(flag: Option<String>) -> Result<Option<ibsim::shard::ShardSpec>, i32> {
    flag.as_deref()
        .map(ibsim::shard::ShardSpec::parse)
        .transpose()
        .map_err(|e| {
            eprintln!("error: --shard {e}");
            ibsim::exit::USAGE
        })
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

fn main() {
    ibsim::output::install_interrupt_handler();
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Validate { files } => ibsim::commands::validate(&files),
        Command::Init {
            file,
            template,
            lang,
            force,
        } => ibsim::commands::init(
            &file,
            &template,
            ibsim::report::i18n::Lang::parse(&lang).unwrap_or_default(),
            force,
        ),
        Command::Schema => ibsim::commands::schema(),
        Command::Run {
            scenario,
            common,
            save_trials,
            no_report,
            until_se,
            shard,
        } => {
            let shard = match shard_flag(shard) {
                Ok(s) => s,
                Err(code) => std::process::exit(code),
            };
            let a = common.into_args(scenario, Vec::new());
            ibsim::commands::run(&ibsim::commands::RunArgs {
                scenario: a.scenario,
                trials: a.trials,
                seed: a.seed,
                threads: a.threads,
                out: a.out,
                save_trials,
                quiet: a.quiet,
                lang: a.lang,
                no_report,
                until_se,
                shard,
                force: a.force,
                replace: a.replace,
            })
        }
        Command::Merge {
            shards,
            out,
            lang,
            no_report,
            quiet,
            replace,
        } => ibsim::commands::merge(&ibsim::commands::MergeArgs {
            shards,
            out,
            lang: ibsim::report::i18n::Lang::parse(&lang).unwrap_or_default(),
            no_report,
            quiet,
            replace,
        }),
        Command::Sweep {
            scenario,
            vary,
            common,
            max_prob_loss,
            max_prob_over_cap,
            payer_cap,
            shard,
        } => match shard_flag(shard) {
            Err(code) => code,
            Ok(spec) => ibsim::commands::sweep(
                &common.into_args(scenario, vary),
                &ibsim::analysis::sweep::Limits {
                    max_prob_loss,
                    max_prob_over_cap,
                    payer_cap,
                },
                spec,
            ),
        },
        Command::Solve {
            scenario,
            vary,
            target,
            grid,
            tol,
            common,
        } => ibsim::commands::solve(&common.into_args(scenario, vec![vary]), &target, grid, tol),
        Command::Check {
            scenario,
            baseline,
            trials,
            seed,
            threads,
            statistical,
            sigma,
            update,
            quiet,
            force,
        } => ibsim::commands::check(&ibsim::commands::CheckArgs {
            scenario,
            baseline,
            trials,
            seed,
            threads,
            statistical,
            sigma,
            update,
            quiet,
            force,
        }),
        Command::Sensitivity { scenario, common } => {
            ibsim::commands::sensitivity(&common.into_args(scenario, Vec::new()))
        }
    };
    std::process::exit(code);
}
