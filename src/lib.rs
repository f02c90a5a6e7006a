//! ibsim: Monte Carlo risk simulation for impact-bond (pay-for-results) structuring.
//!
//! The modules follow the data flow:
//! [`scenario`] (read, validate) -> [`model`] (compiled, flat) -> [`engine`]
//! (one trial; parallel runner) -> [`summary`] (metrics' statistics) ->
//! [`analysis`] (sweep, solve, sensitivity) -> [`report`] (tables, charts,
//! files); [`check`] compares a run with a stored summary; [`limits`] bounds
//! what a scenario and a run may ask for. The `ibsim`
//! binary only parses arguments and calls [`commands`].

pub mod analysis;
pub mod check;
pub mod engine;
pub mod limits;
pub mod model;
pub mod numeric;
pub mod output;
pub mod report;
pub mod run;
pub mod scenario;
pub mod schema;
pub mod shard;
pub mod summary;
pub mod templates;

/// Version of the model's numbers: bumped on any value-breaking change
/// (a baseline from another version is compared statistically, not exactly).
pub const MODEL_VERSION: u32 = 6;

/// Exit codes of the `ibsim` binary (SPEC section 7).
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
