//! Structuring analyses on top of the engine: PATH addressing of scenario
//! values, sweeps over one or two of them and solves for the value where a
//! risk target holds. Every point of an analysis runs the same seed and trial
//! indices (common random numbers), so differences between points are not
//! sampling noise.

pub mod path;
pub mod sensitivity;
pub mod sobol;
pub mod solve;
pub mod sweep;
pub mod tail;
pub mod target;
