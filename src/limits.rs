//! Limits on what a scenario and a run may ask for, so that hostile or
//! mistaken input ends in a clear message instead of a hang or exhausted
//! memory.
//!
//! Every bound lives here, as a constant: sizes of the scenario itself (how
//! many outcomes, cohorts, segments, ... and the per-trial state they
//! imply), checked by validation with a field path like every other rule;
//! sizes of the files ibsim reads; and the bounds of command-line values.
//! The cost of a run (time and memory for the requested trial count) is
//! estimated in [`crate::run::budget`]. This module imports nothing of ours,
//! so every other module may use it.

/// Most outcomes in a funnel.
pub const MAX_OUTCOMES: usize = 1000;
/// Most cohorts (an explicit list or `enrolment.cohorts`).
pub const MAX_COHORTS: usize = 10_000;
/// Most segments.
pub const MAX_SEGMENTS: usize = 100;
/// Most payers, and most tranches.
pub const MAX_PARTIES: usize = 100;
/// Most agencies of a transfer programme.
pub const MAX_AGENCIES: usize = 10_000;
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

/// Most months a contract may last (100 years).
pub const MAX_HORIZON_MONTHS: i64 = 1200;
/// Most participants a constant cohort size may have.
pub const MAX_COHORT_SIZE: f64 = 1e9;
/// Most trials one run may ask for.
pub const MAX_TRIALS: i64 = 1_000_000_000;
/// Largest amount (price, cost, cap) or multiplier: far above any real
/// currency's figures, far below where sums of them stop being finite.
pub const MAX_AMOUNT: f64 = 1e18;
/// Largest relative sd of a measurement error (a 1000% error is already noise).
pub const MAX_RELATIVE_SD: f64 = 10.0;
/// Longest deal description, in characters.
pub const MAX_DESCRIPTION: usize = 10_000;
/// Longest entry of `sources`, in characters.
pub const MAX_SOURCE: usize = 2_000;
/// Longest outcome label, in characters.
pub const MAX_LABEL: usize = 500;
/// Longest name or id (the deal's, a cohort's, a payer's, ...), in characters.
pub const MAX_NAME: usize = 200;
/// Largest scenario file ibsim reads (16 MiB); real scenarios are a few KB.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
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
