//! Limits on what a scenario and a run may ask for, so that hostile or
//! mistaken input ends in a clear message instead of a hang or exhausted
//! memory.
//!
//! Two kinds: sizes of the scenario itself (how many outcomes, cohorts,
//! segments, ... and the per-trial state they imply), checked by validation
//! with a field path like every other rule; and the cost of a run (time and
//! memory for the requested trial count), checked by the commands before
//! they start: a run estimated to take hours needs `--force`, a run whose
//! per-trial metrics would not fit in memory is refused with the way out
//! (fewer trials, or `--shard`).

use crate::engine::Layout;
use crate::model::Model;
use crate::scenario::{Dist, Scenario};

/// Most outcomes in a funnel.
pub const MAX_OUTCOMES: usize = 1000;
/// Most cohorts (an explicit list or `enrolment.cohorts`).
pub const MAX_COHORTS: usize = 10_000;
/// Most segments.
pub const MAX_SEGMENTS: usize = 100;
/// Most payers, and most tranches.
pub const MAX_PARTIES: usize = 100;
/// Most shocks, and most correlations.
pub const MAX_SHOCKS: usize = 1000;
/// Most price tiers of one outcome, and most values of a discrete distribution.
pub const MAX_LIST: usize = 10_000;
/// Most count cells a trial keeps (cohorts x segments x the months each
/// outcome's successes may fall in): 80 MB of per-thread state.
pub const MAX_CELLS: u64 = 10_000_000;
/// Most worker threads a command starts (`--threads`): more would only add
/// start-up time and memory (each thread has its own stack and workspace).
pub const MAX_THREADS: usize = 1024;
/// Finest `ibsim solve --tol` (a fraction of the range): 40 bisection steps.
pub const MIN_TOL: f64 = 1e-12;
/// Runs estimated to take longer than this (seconds) need `--force`.
pub const FORCE_SECONDS: f64 = 3600.0;
/// Memory for per-trial metric columns when the system's is unknown (bytes).
pub const DEFAULT_MEMORY: u64 = 8 << 30;

/// Months between the first and the last possible value of a lag (0 when fixed).
pub fn lag_range(d: Option<&Dist>) -> u64 {
    let (lo, hi) = match d {
        Some(Dist::Uniform(r)) => (r.min, r.max),
        Some(Dist::Discrete(dd)) => dd
            .values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            }),
        _ => (0.0, 0.0),
    };
    if lo.is_finite() && hi.is_finite() && hi > lo {
        (hi - lo).min(1e6) as u64
    } else {
        0
    }
}

/// The count cells a trial of `s` keeps (see [`crate::model::OutcomeModel`]),
/// computed without compiling; saturates instead of overflowing.
pub fn cells(s: &Scenario) -> u64 {
    let cohorts = match (&s.cohorts, &s.enrolment) {
        (Some(list), _) => list.len() as u64,
        (None, Some(e)) => e.cohorts.0.max(0) as u64,
        _ => 0,
    };
    let segments = s.segments.len().max(1) as u64;
    let mut spreads: Vec<u64> = Vec::with_capacity(s.outcomes.len());
    for o in &s.outcomes {
        let base =
            o.of.as_deref()
                .and_then(|b| s.outcomes.iter().position(|x| x.id == b))
                .filter(|&b| b < spreads.len())
                .map_or(1, |b| spreads[b]);
        spreads.push(base.saturating_add(lag_range(o.lag_months.as_ref())));
    }
    let per_cohort = spreads.iter().fold(0u64, |acc, &x| {
        acc.saturating_add(x.saturating_mul(segments))
    });
    cohorts.saturating_mul(per_cohort)
}

/// Estimated single-core time of one trial of `model`, in nanoseconds (from
/// the instruction counts of the benchmark scenarios; about 1.5x above the
/// measured time, so that the estimate errs on the side of warning).
pub fn ns_per_trial(model: &Model) -> f64 {
    let nc = model.cohorts.len() as f64;
    let ns = model.segments.len() as f64;
    let mut draws = nc * (ns - 1.0);
    for o in &model.outcomes {
        let base_spread = o.base.map_or(1, |b| model.outcomes[b].spread) as f64;
        draws += nc * ns * base_spread * o.lag.len() as f64;
    }
    let nt = model.tranches.len() as f64;
    let no = model.outcomes.len() as f64;
    let h = model.horizon as f64;
    let cells = nc * model.cell_stride as f64;
    45.0 * draws
        + 30.0 * nc * no
        + 4.0 * cells
        + h * (15.0 * nt + 5.0 * no * ns + 5.0 * model.payers.len() as f64)
        + 600.0 * (nt + 1.0)
        + 5.0 * Layout::new(model).len() as f64
}

/// Bytes of per-trial metric columns a run of `trials` trials keeps.
pub fn column_bytes(model: &Model, trials: u64) -> u64 {
    (Layout::new(model).len() as u64)
        .saturating_mul(trials)
        .saturating_mul(8)
}

/// Largest baseline (`ibsim check`) read, in bytes; a summary.json is a few
/// hundred KB.
pub const MAX_BASELINE_BYTES: u64 = 256 << 20;

/// Why [`read_bounded`] gave up.
#[derive(Debug)]
pub enum ReadError {
    /// The file (or pipe, or device) could not be read.
    Io(std::io::Error),
    /// It holds more than the limit.
    TooLarge(u64),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => match e.kind() {
                std::io::ErrorKind::NotFound => f.write_str("no such file"),
                std::io::ErrorKind::PermissionDenied => f.write_str("permission denied"),
                _ => write!(f, "{e}"),
            },
            ReadError::TooLarge(limit) => write!(f, "more than the {limit}-byte limit"),
        }
    }
}

/// Reads all of `path` if it holds at most `limit` bytes, and never more
/// than `limit + 1` bytes of it whatever it is (a file, a pipe such as
/// `/dev/stdin`, or a device such as `/dev/zero`): a file's size as its
/// metadata reports it is not trusted.
pub fn read_bounded(path: &std::path::Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(ReadError::Io)?;
    if f.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(ReadError::Io(std::io::Error::other("is a folder")));
    }
    let mut bytes = Vec::new();
    f.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    Ok(bytes)
}

/// Memory available to this process (Linux `MemAvailable`), or [`DEFAULT_MEMORY`].
pub fn available_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(DEFAULT_MEMORY, |kb| kb.saturating_mul(1024))
}

/// Why a run is not started.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Estimated to take longer than [`FORCE_SECONDS`]; `--force` runs it anyway.
    TooLong(String),
    /// Its metric columns would not fit in memory; `--force` does not help.
    TooBig(String),
}

/// Checks a run of `trials` trials (over `points` grid points or runs) on
/// `threads` threads before it starts.
pub fn check_run(
    model: &Model,
    trials: u64,
    points: u64,
    threads: usize,
    force: bool,
) -> Result<(), Refusal> {
    let bytes = column_bytes(model, trials);
    let memory = available_memory();
    // Columns, a copy for the summary's selections, and the reports.
    if bytes.saturating_mul(2) > memory {
        return Err(Refusal::TooBig(format!(
            "{trials} trials need about {} for their per-trial metrics ({} columns x 8 bytes x trials, twice over for the summary), more than the {} available: run fewer trials, or split the run with --shard K/N and merge",
            human_bytes(bytes.saturating_mul(2)),
            Layout::new(model).len(),
            human_bytes(memory)
        )));
    }
    let seconds =
        ns_per_trial(model) * 1e-9 * trials as f64 * points.max(1) as f64 / threads.max(1) as f64;
    if seconds > FORCE_SECONDS && !force {
        return Err(Refusal::TooLong(format!(
            "this would take about {} on {threads} thread(s) (estimated {:.0} us a trial x {trials} trials{}): add --force to run it anyway, use fewer trials, or split it with --shard K/N",
            human_seconds(seconds),
            ns_per_trial(model) / 1000.0,
            if points > 1 {
                format!(" x {points} runs")
            } else {
                String::new()
            }
        )));
    }
    Ok(())
}

/// `1.5 GB`, `300 MB`.
pub fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else {
        format!("{:.0} MB", b / 1e6)
    }
}

/// `3.2 hours`, `14 minutes`.
pub fn human_seconds(s: f64) -> String {
    if s >= 2.0 * 86400.0 {
        format!("{:.1} days", s / 86400.0)
    } else if s >= 3600.0 {
        format!("{:.1} hours", s / 3600.0)
    } else {
        format!("{:.0} minutes", s / 60.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(text: &str) -> Model {
        Model::compile(&crate::scenario::parse_str(text, "t.yaml").unwrap().scenario)
    }

    #[test]
    fn estimates_scale_with_the_work() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/bench/reference.yaml"
        ))
        .unwrap();
        let m = model(&text);
        // Measured about 3 us a trial on one core; the estimate errs above.
        let ns = ns_per_trial(&m);
        assert!((3000.0..10_000.0).contains(&ns), "{ns}");
        assert_eq!(column_bytes(&m, 1000), Layout::new(&m).len() as u64 * 8000);
        assert!(check_run(&m, 1_000_000, 1, 2, false).is_ok());
        // A billion trials: hours, so --force is needed.
        match check_run(&m, 1_000_000_000, 1, 2, false) {
            Err(Refusal::TooLong(msg)) => assert!(msg.contains("--force"), "{msg}"),
            Err(Refusal::TooBig(_)) => {} // a small machine refuses on memory first
            Ok(()) => panic!("a billion trials must be refused"),
        }
        // No machine has 2.4 exabytes.
        assert!(matches!(
            check_run(&m, u64::MAX / 16, 1, 2, true),
            Err(Refusal::TooBig(_))
        ));
    }

    #[test]
    fn cells_follow_the_lag_spreads() {
        let text = "
name: t
currency: USD
horizon_months: 24
enrolment: {cohorts: 3, size: 10}
segments: [{name: a, share: 0.5}, {name: b, share: 0.5}]
outcomes:
  - {id: x, rate: 0.5, lag_months: {uniform: {min: 1, max: 4}}, price: 1}
  - {id: y, of: x, rate: 0.5, lag_months: {discrete: {values: [0, 2], weights: [1, 1]}}, price: 1}
";
        let s = crate::scenario::parse_str(text, "t.yaml").unwrap().scenario;
        // x: 4 months, y: 4 + 2 = 6 months; 2 segments; 3 cohorts.
        assert_eq!(cells(&s), 3 * 2 * (4 + 6));
        let m = Model::compile(&s);
        assert_eq!(cells(&s), (m.cohorts.len() * m.cell_stride) as u64);
    }
}
