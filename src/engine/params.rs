//! Step 1 of a trial: every per-trial parameter drawn from its uniform
//! (plain, Latin hypercube, or through the Gaussian copula).

use rand::rngs::Xoshiro256PlusPlus;

use super::rng::{Draws, mix64, open_unit, permute, trial_rng};
use super::workspace::Workspace;
use crate::model::{Model, ParamKind};
use crate::numeric::trunc_count;
use crate::scenario::Sampling;

/// Step 1 of a trial: draw every per-trial parameter into `ws.params`.
#[inline(never)]
pub fn draw_params(
    model: &Model,
    draws: &Draws,
    trial: u64,
    rng: &mut Xoshiro256PlusPlus,
    ws: &mut Workspace,
) {
    for (j, u) in ws.u.iter_mut().enumerate() {
        let v = open_unit(rng);
        *u = match draws.sampling {
            Sampling::Random => v,
            Sampling::Lhs => {
                let key = mix64(draws.seed ^ mix64(j as u64 + 1) ^ 0x4C48_5300);
                let stratum = permute(trial, draws.trials, key);
                (stratum as f64 + v) / draws.trials as f64
            }
        };
    }
    if let Some(c) = &model.copula {
        let n = c.params.len();
        for (k, &p) in c.params.iter().enumerate() {
            ws.z[k] = crate::numeric::special::norm_quantile(ws.u[p]);
        }
        // z' = L z, from the last row up so that z can be updated in place;
        // each correlated rate is read straight from its normal score.
        for i in (0..n).rev() {
            let mut s = 0.0;
            for k in 0..=i {
                s += c.chol[i * n + k] * ws.z[k];
            }
            ws.z[i] = s;
        }
        for (k, &p) in c.params.iter().enumerate() {
            ws.params[p] = model.params[p].sampler.quantile_z(ws.z[k]);
        }
    }
    for (j, p) in model.params.iter().enumerate() {
        if model.copula.as_ref().is_some_and(|c| c.params.contains(&j)) {
            continue;
        }
        ws.params[j] = match p.kind {
            ParamKind::Shock(i) => f64::from(u8::from(ws.u[j] < model.shocks[i].probability)),
            _ => p.sampler.quantile(ws.u[j]),
        };
    }
}

/// Draws trial `trial`'s per-trial parameters into `ws.params`, exactly as
/// [`run_trial`] does first (for sensitivity analysis).
pub fn trial_params(model: &Model, draws: &Draws, trial: u64, ws: &mut Workspace) {
    let mut rng = trial_rng(draws.seed, trial);
    draw_params(model, draws, trial, &mut rng, ws);
}

/// Rounds half up and clamps at 0 (docs/model.md, "Details of a trial") a drawn cohort size.
#[inline]
pub(super) fn cohort_size(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        // v + 0.5 > 0, so the cast truncates down: floor without a libm call.
        // Sizes beyond the documented limit (a distribution's far tail) are clamped to it.
        trunc_count((v + 0.5).min(crate::limits::MAX_COHORT_SIZE))
    } else {
        0
    }
}
