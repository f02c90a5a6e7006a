//! `ibsim check SCENARIO --baseline FILE` and `ibsim check FOLDER
//! --baselines FOLDER`: runs each scenario and compares its summary with a
//! stored one (exact, or within standard errors); `--update` rewrites the
//! baselines instead. `--format junit|markdown` writes the result for CI
//! systems (`report::ci`).

use std::path::{Path, PathBuf};

use ibsim::check::{Comparison, ScenarioCheck};
use ibsim::limits::ReadError;
use ibsim::run::Prepared;
use serde_json::Value;

use super::Error;

/// How the result is written.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Lines for a person (what moved, as a table).
    Text,
    /// JUnit XML: a test suite per scenario, a test case per compared figure.
    Junit,
    /// Markdown: a table per scenario, for `$GITHUB_STEP_SUMMARY` or a PR comment.
    Markdown,
}

/// Options of `ibsim check`.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (YAML), or a folder: every scenario file directly in
    /// it, each against BASELINES/<file stem>.json.
    scenario: PathBuf,
    /// The stored summary.json of one scenario.
    #[arg(
        long,
        conflicts_with = "baselines",
        required_unless_present = "baselines"
    )]
    baseline: Option<PathBuf>,
    /// Folder of stored summaries, one per scenario: `<file stem>.json`.
    #[arg(long)]
    baselines: Option<PathBuf>,
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
    /// Rewrite the baselines with this run (atomically) instead of comparing.
    #[arg(long)]
    update: bool,
    /// How to write the result: text, or a JUnit XML or Markdown document
    /// (on stdout, or in --output; the lines for a person then go to stderr).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the JUnit or Markdown document to this file (atomically).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Print nothing when consistent.
    #[arg(long, short)]
    quiet: bool,
    /// Run even when the run is estimated to take more than an hour.
    #[arg(long)]
    force: bool,
}

/// `ibsim check`: Ok when every scenario is consistent with its baseline;
/// [`Error::Reported`] (exit 1) when anything moved or a scenario of a
/// folder could not be checked.
pub fn run(a: &Args) -> Result<(), Error> {
    if !(a.sigma.is_finite() && a.sigma > 0.0) {
        return Err(Error::usage("--sigma must be a positive number"));
    }
    if a.update && a.format != Format::Text {
        return Err(Error::usage(
            "--update writes baselines; --format describes a comparison",
        ));
    }
    if a.output.is_some() && a.format == Format::Text {
        return Err(Error::usage(
            "--output writes the --format junit or markdown document",
        ));
    }
    // The document owns stdout unless it goes to a file.
    let say = Say {
        to_stderr: a.format != Format::Text && a.output.is_none(),
    };
    let checks = if a.scenario.is_dir() {
        let Some(dir) = &a.baselines else {
            return Err(Error::usage(format!(
                "{} is a folder: check it against a folder of baselines with --baselines FOLDER",
                a.scenario.display()
            )));
        };
        let scenarios = scenario_files(&a.scenario)?;
        let mut checks = Vec::with_capacity(scenarios.len());
        for s in &scenarios {
            let baseline = baseline_for(dir, s);
            match check_one(a, s, &baseline, &say) {
                Ok(Some(c)) => checks.push(c),
                Ok(None) => {}
                Err(e) => {
                    // Told now, and reported in the document; the others go on.
                    e.print();
                    checks.push(ScenarioCheck {
                        scenario: s.display().to_string(),
                        baseline: baseline.display().to_string(),
                        seconds: 0.0,
                        outcome: Err(e.message()),
                    });
                }
            }
        }
        if a.update {
            return Ok(());
        }
        let bad = checks.iter().filter(|c| !c.consistent()).count();
        if bad > 0 || !a.quiet {
            say.line(&format!(
                "{} scenarios checked: {} consistent, {} moved, {} not checked",
                checks.len(),
                checks.len() - bad,
                checks.iter().filter(|c| c.outcome.is_ok()).count() - (checks.len() - bad),
                checks.iter().filter(|c| c.outcome.is_err()).count()
            ));
        }
        checks
    } else {
        let baseline = match (&a.baseline, &a.baselines) {
            (Some(b), _) => b.clone(),
            (None, Some(dir)) => baseline_for(dir, &a.scenario),
            (None, None) => return Err(Error::usage("give --baseline FILE or --baselines FOLDER")),
        };
        match check_one(a, &a.scenario, &baseline, &say)? {
            Some(c) => vec![c],
            None => return Ok(()),
        }
    };
    let document = match a.format {
        Format::Text => None,
        Format::Junit => Some(ibsim::report::ci::junit(&checks)),
        Format::Markdown => Some(ibsim::report::ci::markdown(&checks, 50)),
    };
    if let Some(doc) = document {
        match &a.output {
            Some(path) => ibsim::output::write_atomic(path, doc.as_bytes())
                .map_err(|e| Error::failed(format!("cannot write {}: {e}", path.display())))?,
            None => print!("{doc}"),
        }
    }
    if checks.iter().all(ScenarioCheck::consistent) {
        Ok(())
    } else {
        Err(Error::Reported)
    }
}

/// Where the lines for a person go.
struct Say {
    to_stderr: bool,
}

impl Say {
    fn line(&self, s: &str) {
        if self.to_stderr {
            eprintln!("{s}");
        } else {
            println!("{s}");
        }
    }
}

/// The scenario files directly in `dir` (`*.yaml`, `*.yml`), by name.
fn scenario_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::failed(format!("cannot read folder {}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|x| {
                    x.eq_ignore_ascii_case("yaml") || x.eq_ignore_ascii_case("yml")
                })
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::usage(format!(
            "no scenario files (*.yaml) in {}",
            dir.display()
        )));
    }
    Ok(files)
}

/// `BASELINES/<file stem>.json`.
fn baseline_for(dir: &Path, scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    dir.join(format!("{stem}.json"))
}

/// Runs one scenario and compares it with `baseline_path` (or, with
/// `--update`, rewrites the baseline and gives `None`).
fn check_one(
    a: &Args,
    scenario: &Path,
    baseline_path: &Path,
    say: &Say,
) -> Result<Option<ScenarioCheck>, Error> {
    let start = std::time::Instant::now();
    if super::analysis::is_programme(scenario) {
        return Err(Error::usage(format!(
            "{}: a programme; ibsim check takes scenarios (check each deal's file)",
            scenario.display()
        )));
    }
    let baseline = read_baseline(baseline_path, a.update)?;
    let from_base = |key: &str| baseline.as_ref().and_then(|b| b[key].as_u64());
    let p = Prepared::load(
        scenario,
        a.trials.or_else(|| from_base("trials")),
        a.seed.or_else(|| from_base("seed")),
    )?;
    p.require_trials(1)?;
    p.check_cost(p.trials, 1, a.threads, a.force)?;
    let result = ibsim::run::simulate(p, a.threads, None, &|_| {})?;
    let now = &result.summary;
    let name = scenario.display();
    if a.update {
        let text = ibsim::output::json_text(&result.summary);
        ibsim::output::write_atomic(baseline_path, text.as_bytes())
            .map_err(|e| Error::failed(format!("cannot write {}: {e}", baseline_path.display())))?;
        if !a.quiet {
            say.line(&format!(
                "updated {} from {name} ({} trials, seed {})",
                baseline_path.display(),
                now.trials,
                now.seed
            ));
        }
        return Ok(None);
    }
    let Some(base) = baseline else {
        return Err(Error::Reported);
    };
    let exact = !a.statistical
        && base["seed"].as_u64() == Some(now.seed)
        && base["trials"].as_u64() == Some(now.trials)
        && base["sampling"].as_str() == Some(now.sampling.as_str())
        && base["model_version"].as_u64() == Some(u64::from(now.model_version));
    let report = if exact {
        ibsim::check::exact(&base, now)
    } else {
        ibsim::check::statistical(&base, now, &result.model, &result.columns, a.sigma)
    };
    let cmp = Comparison {
        exact,
        sigma: a.sigma,
        trials: now.trials,
        seed: now.seed,
        baseline_run: (
            base["trials"].clone(),
            base["seed"].clone(),
            base["model_version"].clone(),
        ),
        scenario_changed: base["scenario"]["sha256"].as_str() != Some(now.scenario.sha256.as_str()),
        report,
    };
    let header = format!(
        "check {name} against {}: {}",
        baseline_path.display(),
        cmp.describe()
    );
    let moved = cmp.report.differing();
    if cmp.scenario_changed && !a.quiet {
        say.line("note: the scenario file differs from the baseline's (sha256)");
    }
    if moved == 0 {
        if !a.quiet {
            say.line(&header);
            say.line(&format!(
                "ok: {} figures compared, all {}",
                cmp.report.compared(),
                cmp.agreement()
            ));
        }
    } else {
        say.line(&header);
        say.line(&format!(
            "FAILED: {moved} of {} figures {}:",
            cmp.report.compared(),
            if exact {
                "differ".to_string()
            } else {
                format!("moved by more than {} se", a.sigma)
            }
        ));
        say.line(ibsim::report::analysis::check_table(&cmp.report, 20).trim_end_matches('\n'));
        say.line(&format!(
            "if the change is intended: ibsim check {name} --baseline {} --update",
            baseline_path.display()
        ));
    }
    Ok(Some(ScenarioCheck {
        scenario: name.to_string(),
        baseline: baseline_path.display().to_string(),
        seconds: start.elapsed().as_secs_f64(),
        outcome: Ok(cmp),
    }))
}

/// The stored summary, or `None` when it does not exist yet and `--update`
/// will create it.
fn read_baseline(baseline: &Path, update: bool) -> Result<Option<Value>, Error> {
    let path = baseline.display();
    match ibsim::limits::read_bounded(baseline, ibsim::limits::MAX_BASELINE_BYTES) {
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
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound && update => Ok(None),
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
