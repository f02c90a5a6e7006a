//! A whole run in memory: the scenario as read, its compiled model, every
//! trial's metric columns and the summary, made by simulating ([`simulate`])
//! or by merging shards ([`merge`]). Nothing here prints or writes: failures
//! come back as a [`Failure`], progress through a callback. [`budget`]
//! estimates a run's cost before it starts.

pub mod budget;

use std::path::Path;

use crate::engine::runner::TrialColumns;
use crate::engine::{Draws, Layout};
use crate::model::Model;
use crate::scenario::{self, Diagnostic, LoadedScenario};

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// A value given on the command line is out of range (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// The scenario does not validate: every problem, one a line.
    #[error("{} problem(s) in the scenario", .0.len())]
    Scenario(Vec<Diagnostic>),
    /// Anything else that stopped the run (threads, files, shards).
    #[error("{0}")]
    Failed(String),
}

/// The result of a whole run, kept in memory for reports and analyses.
pub struct RunResult {
    /// The scenario as read.
    pub scenario: crate::scenario::Scenario,
    /// The compiled model.
    pub model: Model,
    /// Per-trial metric columns.
    pub columns: TrialColumns,
    /// The `summary.json` document.
    pub summary: crate::summary::Summary,
    /// Wall time of the simulation and summary, in seconds.
    pub seconds: f64,
}

/// A scenario read, checked and compiled, with the trials and seed a run
/// of it uses (the scenario's own unless overridden).
pub struct Prepared {
    /// The scenario file as read.
    pub loaded: LoadedScenario,
    /// Its compiled model.
    pub model: Model,
    /// Trials of the run.
    pub trials: u64,
    /// Seed of the run.
    pub seed: u64,
}

impl Prepared {
    /// Reads, validates and compiles `path`; `trials` and `seed` override the
    /// scenario's.
    pub fn load(path: &Path, trials: Option<u64>, seed: Option<u64>) -> Result<Prepared, Failure> {
        let loaded = scenario::load(path).map_err(Failure::Scenario)?;
        let model = Model::compile(&loaded.scenario);
        let trials = trials.unwrap_or(model.trials);
        let seed = seed.unwrap_or(model.seed);
        Ok(Prepared {
            loaded,
            model,
            trials,
            seed,
        })
    }

    /// A usage error unless the run has at least `min` trials.
    pub fn require_trials(&self, min: u64) -> Result<(), Failure> {
        if self.trials < min {
            return Err(Failure::Usage(format!("--trials must be at least {min}")));
        }
        Ok(())
    }

    /// Where this run's uniforms come from.
    pub fn draws(&self) -> Draws {
        Draws {
            seed: self.seed,
            trials: self.trials,
            sampling: self.model.sampling,
        }
    }

    /// Refuses a run of `points` x [`Prepared::trials`] trials estimated to
    /// take hours (unless `force`) or not to fit in memory.
    pub fn check_cost(
        &self,
        trials: u64,
        points: u64,
        threads: Option<usize>,
        force: bool,
    ) -> Result<(), Failure> {
        let threads = threads.unwrap_or_else(rayon::current_num_threads);
        budget::check_run(&self.model, trials, points, threads, force).map_err(|r| match r {
            budget::Refusal::TooLong(m) | budget::Refusal::TooBig(m) => Failure::Usage(m),
        })
    }
}

/// What `--until-se` watches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Watched {
    /// The mean of a metric column.
    Mean(usize),
    /// The probability of an event's flag column (conditional or not).
    Probability(usize, bool),
    /// A metric's quantile at this level.
    Quantile(usize, f64),
}

/// Stop a run early once the standard error of a figure (a metric's mean,
/// a probability, a quantile) is small enough.
#[derive(Debug, Clone, PartialEq)]
pub struct UntilSe {
    /// The figure as named (`investor_irr`, `prob_loss`, `payer_cost.p95`).
    pub name: String,
    /// What it reads.
    pub watched: Watched,
    /// The standard error to reach.
    pub target: f64,
}

impl UntilSe {
    /// Parses `FIGURE=VALUE` of `--until-se`: FIGURE a metric (its mean), a
    /// probability of `summary.json` (`prob_loss`) or a metric's percentile
    /// (`payer_cost.p95`).
    pub fn parse(spec: &str, model: &Model) -> Result<UntilSe, String> {
        let layout = Layout::new(model);
        let (m, v) = spec.split_once('=').ok_or_else(|| {
            format!("`{spec}`: expected FIGURE=VALUE, e.g. investor_irr=0.001, prob_loss=0.005 or payer_cost.p95=1000")
        })?;
        let name = m.trim();
        let metric = |n: &str| layout.index_of(n).filter(|&i| layout.is_metric(i));
        let probability = crate::summary::probability_columns(model, &layout)
            .into_iter()
            .find(|(n, _, _)| n == name);
        let quantile = name.rsplit_once(".p").and_then(|(base, q)| {
            let q: f64 = q.parse().ok().filter(|q: &f64| *q > 0.0 && *q < 100.0)?;
            Some((metric(base)?, q / 100.0))
        });
        let watched = if let Some((_, col, conditional)) = probability {
            Watched::Probability(col, conditional)
        } else if let Some((col, q)) = quantile {
            Watched::Quantile(col, q)
        } else if let Some(col) = metric(name) {
            Watched::Mean(col)
        } else {
            return Err(format!(
                "`{spec}`: unknown figure `{name}`: expected a metric, a probability such as prob_loss, or a percentile such as payer_cost.p95"
            ));
        };
        let target = v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x > 0.0);
        let target =
            target.ok_or_else(|| format!("`{spec}`: `{}` is not a positive number", v.trim()))?;
        Ok(UntilSe {
            name: name.to_owned(),
            watched,
            target,
        })
    }

    /// The watched figure's standard error on `cols`, as `summary.json`
    /// gives it.
    pub fn se(&self, cols: &TrialColumns) -> f64 {
        match self.watched {
            Watched::Mean(c) => crate::summary::stats(&cols.data[c]).se,
            Watched::Probability(c, conditional) => {
                crate::summary::flag_probability(&cols.data[c], conditional).1
            }
            Watched::Quantile(c, q) => {
                crate::analysis::target::quantile_with_se(&cols.data[c], q).1
            }
        }
    }
}

/// What a run reports while it simulates.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// A pass of this many trials starts (again at trial 0).
    Pass(u64),
    /// This many more trials are done.
    Done(u64),
}

/// Simulates `p`'s trials on `threads` threads and summarises them. With
/// `until`, passes of 1,000 trials doubled until the standard error is
/// reached or [`Prepared::trials`] (the ceiling) is; each pass starts again
/// at trial 0, so the result equals a plain run of the trials it stops at
/// (Latin hypercube included).
pub fn simulate(
    p: Prepared,
    threads: Option<usize>,
    until: Option<&UntilSe>,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<RunResult, Failure> {
    let start = std::time::Instant::now();
    let draws = p.draws();
    let mut n = if until.is_some() {
        p.trials.min(1000)
    } else {
        p.trials
    };
    let columns = loop {
        let pass = Draws { trials: n, ..draws };
        progress(Progress::Pass(n));
        let cols = crate::engine::runner::simulate(&p.model, &pass, 0..n, threads, &|k| {
            progress(Progress::Done(k))
        })
        .map_err(|e| Failure::Failed(format!("cannot start worker threads: {e}")))?;
        match until {
            Some(u) if n < p.trials => {
                if u.se(&cols) <= u.target {
                    break cols;
                }
                n = (2 * n).min(p.trials);
            }
            _ => break cols,
        }
    };
    let id = crate::summary::RunIdentity {
        name: p.model.name.clone(),
        file: file_name(Path::new(&p.loaded.file)),
        sha256: crate::shard::sha256_hex(&p.loaded.text),
        currency: p.model.currency.clone(),
        trials: columns.len() as u64,
        seed: p.seed,
        sampling: p.model.sampling.as_str().into(),
    };
    let summary = crate::summary::summarize(&p.model, &columns, &id);
    Ok(RunResult {
        scenario: p.loaded.scenario,
        model: p.model,
        columns,
        summary,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Simulates shard `spec` of `p`'s trials: the bytes of its shard file, and
/// the trials it holds.
pub fn simulate_shard(
    p: &Prepared,
    spec: crate::shard::ShardSpec,
    threads: Option<usize>,
) -> Result<(Vec<u8>, std::ops::Range<u64>), Failure> {
    let range = spec.range(p.trials);
    let cols =
        crate::engine::runner::simulate(&p.model, &p.draws(), range.clone(), threads, &|_| {})
            .map_err(|e| Failure::Failed(format!("cannot start worker threads: {e}")))?;
    let identity = serde_json::json!({
        "scenario": {
            "name": p.model.name,
            "file": file_name(Path::new(&p.loaded.file)),
            "sha256": crate::shard::sha256_hex(&p.loaded.text),
            "currency": p.model.currency,
            "yaml": p.loaded.text,
        },
        "trials": p.trials,
        "seed": p.seed,
        "sampling": p.model.sampling.as_str(),
    });
    Ok((crate::shard::encode(&identity, spec, &cols), range))
}

/// Reads trial shards and puts their trials back in order: the run they
/// split, and the scenario file's name as they record it.
pub fn merge(paths: &[std::path::PathBuf]) -> Result<(RunResult, String), Failure> {
    let start = std::time::Instant::now();
    let mut shards = Vec::with_capacity(paths.len());
    for p in paths {
        let (h, c) = crate::shard::read(p).map_err(Failure::Failed)?;
        shards.push((p.display().to_string(), h, c));
    }
    let merged = crate::shard::merge_decoded(shards).map_err(|e| match e {
        crate::shard::MergeFailure::Shards(e) => Failure::Failed(e),
        crate::shard::MergeFailure::Scenario(d) => Failure::Scenario(d),
    })?;
    let result = RunResult {
        scenario: merged.scenario,
        model: merged.model,
        columns: merged.columns,
        summary: merged.summary,
        seconds: start.elapsed().as_secs_f64(),
    };
    Ok((result, merged.file))
}

/// The file name of a scenario path, as `summary.json` records it: the same
/// from any working folder and on any machine.
pub fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
