//! ibsim's integration tests, one binary with a module per area (one link
//! step in CI): the command line through the real binary, and the library's
//! engine, mechanics, properties and reports.
//!
//! Closed forms here use std's `ln`, `exp` and `powf`: an independent
//! computation of what the library computes with `numeric::math`.
#![allow(clippy::disallowed_methods)]

mod common;

mod analysis;
mod check;
mod deal_account;
mod engine;
mod funders;
mod fuzz_inputs;
mod hardening;
mod measures;
mod mechanics;
mod programme;
mod properties;
mod providers;
mod regression;
mod report;
mod run;
mod serve;
mod shard;
mod sobol;
mod templates;
mod transfers;
mod validate;
mod variates;
