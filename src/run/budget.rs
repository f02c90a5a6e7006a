//! The cost of a run before it starts: estimated time (a run of hours needs
//! `--force`) and the memory of its per-trial metric columns (a run that
//! would not fit is refused with the way out: fewer trials, or `--shard`).

use crate::engine::Layout;
use crate::limits::{FORCE_SECONDS, available_memory};
use crate::model::Model;

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
}
