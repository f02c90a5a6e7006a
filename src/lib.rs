//! ibsim: Monte Carlo risk simulation for impact-bond (pay-for-results) structuring.
//!
//! The modules follow the data flow:
//! [`scenario`] (read, validate) -> [`model`] (compiled, flat) -> [`engine`]
//! (one trial; parallel runner) -> [`summary`] (metrics' statistics) ->
//! [`run`] (a whole run in memory: simulated or merged from [`shard`]s) ->
//! [`analysis`] (sweep, solve, sensitivity) -> [`report`] (tables, and the
//! bytes of charts and files) -> [`output`] (the only writer). [`check`]
//! compares a run with a stored summary; [`limits`] holds every bound and
//! [`numeric`] the special functions, both importing nothing of ours. The
//! `ibsim` binary (`src/cli/`) parses arguments, calls these and prints;
//! `docs/architecture.md` draws the map.

pub mod analysis;
pub mod check;
pub mod engine;
pub mod limits;
pub mod model;
pub mod numeric;
pub mod output;
pub mod programme;
pub mod report;
pub mod run;
pub mod scenario;
pub mod schema;
pub mod serve;
pub mod shard;
pub mod summary;
pub mod templates;

/// Version of the model's numbers: bumped on any value-breaking change
/// (a baseline from another version is compared statistically, not exactly).
pub const MODEL_VERSION: u32 = 7;

/// Exit codes of the `ibsim` binary (README, "Commands").
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// The scenario or the check failed.
    pub const FAILURE: i32 = 1;
    /// Wrong command-line usage.
    pub const USAGE: i32 = 2;
    /// Interrupted (SIGINT), as shells report 128 + 2.
    pub const INTERRUPTED: i32 = 130;
}
