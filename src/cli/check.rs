//! `ibsim check SCENARIO --baseline FILE`: runs the scenario and compares its
//! summary with a stored one (exact, or within standard errors); `--update`
//! rewrites the baseline instead.

use std::path::PathBuf;

use ibsim::limits::ReadError;
use ibsim::run::Prepared;
use serde_json::Value;

use super::Error;

/// Options of `ibsim check`.
#[derive(clap::Args)]
pub struct Args {
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
    #[arg(long, value_parser = super::threads)]
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
}

/// `ibsim check`: Ok when consistent; [`Error::Reported`] with a table of
/// what moved.
pub fn run(a: &Args) -> Result<(), Error> {
    if !(a.sigma.is_finite() && a.sigma > 0.0) {
        return Err(Error::usage("--sigma must be a positive number"));
    }
    let baseline = read_baseline(a)?;
    let from_base = |key: &str| baseline.as_ref().and_then(|b| b[key].as_u64());
    let p = Prepared::load(
        &a.scenario,
        a.trials.or_else(|| from_base("trials")),
        a.seed.or_else(|| from_base("seed")),
    )?;
    p.require_trials(1)?;
    p.check_cost(p.trials, 1, a.threads, a.force)?;
    let result = ibsim::run::simulate(p, a.threads, None, &|_| {})?;
    let text = ibsim::output::json_text(&result.summary);
    let now = &result.summary;
    let name = a.scenario.display();
    if a.update {
        ibsim::output::write_atomic(&a.baseline, text.as_bytes())
            .map_err(|e| Error::failed(format!("cannot write {}: {e}", a.baseline.display())))?;
        if !a.quiet {
            println!(
                "updated {} from {name} ({} trials, seed {})",
                a.baseline.display(),
                now.trials,
                now.seed
            );
        }
        return Ok(());
    }
    let Some(base) = baseline else {
        return Err(Error::Reported);
    };
    let exact_mode = !a.statistical
        && base["seed"].as_u64() == Some(now.seed)
        && base["trials"].as_u64() == Some(now.trials)
        && base["sampling"].as_str() == Some(now.sampling.as_str())
        && base["model_version"].as_u64() == Some(u64::from(now.model_version));
    let (mode, report) = if exact_mode {
        ("exact", ibsim::check::exact(&base, now))
    } else {
        (
            "statistical",
            ibsim::check::statistical(&base, now, &result.model, &result.columns, a.sigma),
        )
    };
    let header = format!(
        "check {name} against {}: {mode} mode ({} trials, seed {}; baseline {} trials, seed {}, model {})",
        a.baseline.display(),
        now.trials,
        now.seed,
        base["trials"],
        base["seed"],
        base["model_version"],
    );
    if base["scenario"]["sha256"].as_str() != Some(now.scenario.sha256.as_str()) && !a.quiet {
        println!("note: the scenario file differs from the baseline's (sha256)");
    }
    let agreed = if exact_mode {
        "identical".to_string()
    } else {
        format!("within {} se", a.sigma)
    };
    if report.differences.is_empty() {
        if !a.quiet {
            println!("{header}");
            println!("ok: {} figures compared, all {agreed}", report.compared);
        }
        return Ok(());
    }
    println!("{header}");
    println!(
        "FAILED: {} of {} figures {}:",
        report.differences.len(),
        report.compared,
        if exact_mode {
            "differ".to_string()
        } else {
            format!("moved by more than {} se", a.sigma)
        }
    );
    print!("{}", ibsim::report::analysis::check_table(&report, 20));
    println!(
        "if the change is intended: ibsim check {name} --baseline {} --update",
        a.baseline.display()
    );
    Err(Error::Reported)
}

/// The stored summary, or `None` when it does not exist yet and `--update`
/// will create it.
fn read_baseline(a: &Args) -> Result<Option<Value>, Error> {
    let path = a.baseline.display();
    match ibsim::limits::read_bounded(&a.baseline, ibsim::limits::MAX_BASELINE_BYTES) {
        Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) if v.get("metrics").is_some() && v.get("trials").is_some() => {
                ibsim::check::baseline_problem(&v)
                    .map_err(|e| Error::usage(format!("{path}: {e}")))?;
                Ok(Some(v))
            }
            Ok(_) => Err(Error::usage(format!(
                "{path}: not an ibsim summary.json (no `metrics` or `trials`)"
            ))),
            Err(e) => Err(Error::usage(format!("{path}: not valid JSON: {e}"))),
        },
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound && a.update => Ok(None),
        Err(e) => {
            let missing =
                matches!(&e, ReadError::Io(io) if io.kind() == std::io::ErrorKind::NotFound);
            Err(Error::usage(format!(
                "cannot read baseline {path}: {e}{}",
                if missing {
                    " (create it with --update)"
                } else {
                    ""
                }
            )))
        }
    }
}
