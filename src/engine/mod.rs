//! One trial of the contract, month by month (docs/model.md, "A trial"), and the
//! parallel runner that streams trials into per-metric columns.
//!
//! A trial's random numbers come from a generator seeded by (seed, trial
//! index) alone, so results do not depend on threads or sharding. All work
//! buffers live in a [`Workspace`] reused across trials: no allocation, no
//! hashing and no strings in the per-trial path.

pub mod funnel;
pub mod irr;
pub mod layout;
pub mod measures;
pub mod metrics;
pub mod params;
pub mod rng;
pub mod runner;
pub mod transfers;
pub mod variates;
pub mod waterfall;
pub mod workspace;

pub use funnel::{funnel, funnel_general};
pub use layout::Layout;
pub use measures::measures;
pub use metrics::metrics;
pub use params::{Common, draw_params, draw_params_common, draw_params_given, trial_params};
pub use rng::{Draws, mix64, open_unit, permute, trial_rng};
pub use waterfall::{waterfall, waterfall_general};
pub use workspace::{Discounts, MoneyTotals, Workspace, account};

use crate::model::Model;

/// Runs trial `trial` and fills `ws.row` with its metrics (in `layout` order).
///
/// The stages are separate functions, not inlined, so that profiles and the
/// instruction-count benchmark can attribute cost to each.
pub fn run_trial(
    model: &Model,
    layout: &Layout,
    disc: &Discounts,
    draws: &Draws,
    trial: u64,
    ws: &mut Workspace,
) {
    let mut rng = trial_rng(draws.seed, trial);
    draw_params(model, draws, trial, &mut rng, ws);
    funnel(model, &mut rng, ws);
    measures(model, &mut rng, ws);
    waterfall(model, disc, ws);
    metrics(model, layout, disc, ws);
}

/// Trial `trial` with its per-trial parameters read from the uniforms `u`
/// of an experimental design (one per parameter): the funnel and the
/// measurement draw what they draw in a plain run of `trial`
/// (docs/model.md, "Sobol indices"). Fills `ws.row`.
pub fn run_trial_given(
    model: &Model,
    layout: &Layout,
    disc: &Discounts,
    draws: &Draws,
    trial: u64,
    u: &[f64],
    ws: &mut Workspace,
) {
    let mut rng = trial_rng(draws.seed, trial);
    draw_params_given(model, &mut rng, ws, u);
    funnel(model, &mut rng, ws);
    measures(model, &mut rng, ws);
    waterfall(model, disc, ws);
    metrics(model, layout, disc, ws);
}
