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
        /// Number of trials (default: the scenario's simulation.trials).
        #[arg(long)]
        trials: Option<u64>,
        /// Random seed (default: the scenario's simulation.seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads (default: all cores); results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Output folder; files go to OUT/<scenario file stem>/.
        #[arg(long, default_value = "output")]
        out: PathBuf,
        /// Also write trials.csv with every trial's metrics.
        #[arg(long)]
        save_trials: bool,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// Language of the summary, charts and reports.
        #[arg(long, default_value = "en", value_parser = ["en", "es"])]
        lang: String,
        /// Skip charts, report.html and workbook.xlsx.
        #[arg(long)]
        no_report: bool,
    },
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Validate { files } => ibsim::commands::validate(&files),
        Command::Init {
            file,
            template,
            force,
        } => ibsim::commands::init(&file, &template, force),
        Command::Schema => ibsim::commands::schema(),
        Command::Run {
            scenario,
            trials,
            seed,
            threads,
            out,
            save_trials,
            quiet,
            lang,
            no_report,
        } => ibsim::commands::run(&ibsim::commands::RunArgs {
            scenario,
            trials,
            seed,
            threads,
            out,
            save_trials,
            quiet,
            lang: ibsim::report::i18n::Lang::parse(&lang).unwrap_or_default(),
            no_report,
        }),
    };
    std::process::exit(code);
}
