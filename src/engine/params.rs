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
    draw_params_common(model, draws, trial, rng, ws, None);
}

/// A programme's common factor on a deal's rates (docs/model.md,
/// "Programmes"): the trial's factor `z` (a standard normal), the deal's
/// loading and the parameters it moves.
#[derive(Debug, Clone, Copy)]
pub struct Common<'a> {
    /// The trial's common factor.
    pub z: f64,
    /// The deal's loading on it, in [-1, 1].
    pub loading: f64,
    /// The deal's parameters it moves (its rates and effect means).
    pub params: &'a [usize],
}

/// [`draw_params`] with a programme's common factor: each moved
/// parameter's uniform u becomes Phi(loading z + sqrt(1 - loading^2)
/// Phi^-1(u)) before the parameters are read from the uniforms, so a
/// loading of 0 changes nothing and the deal's own copula still applies.
pub fn draw_params_common(
    model: &Model,
    draws: &Draws,
    trial: u64,
    rng: &mut Xoshiro256PlusPlus,
    ws: &mut Workspace,
    common: Option<Common>,
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
    parameters_from_uniforms(model, ws, common);
}

/// A trial's parameters read from the uniforms `u` (one per parameter, in
/// [0, 1)) of an experimental design rather than from its own stream
/// (docs/model.md, "Sobol indices"). The trial's stream still gives its
/// parameters' draws first, which are set aside, so the funnel and the
/// measurement draw exactly what they draw in a plain run of `trial`.
pub fn draw_params_given(
    model: &Model,
    rng: &mut Xoshiro256PlusPlus,
    ws: &mut Workspace,
    u: &[f64],
) {
    for _ in 0..ws.u.len() {
        open_unit(rng);
    }
    ws.u.copy_from_slice(u);
    parameters_from_uniforms(model, ws, None);
}

/// Every per-trial parameter from its uniform in `ws.u` (through the
/// Gaussian copula and the programme's common factor where they apply).
#[inline(always)]
fn parameters_from_uniforms(model: &Model, ws: &mut Workspace, common: Option<Common>) {
    // The common factor's parameters, read from their normal scores
    // lambda Z + sqrt(1 - lambda^2) Phi^-1(u) (the same as their quantile at
    // Phi of it, without computing Phi).
    let factor: &[usize] = match common {
        Some(c) if c.loading != 0.0 => {
            use crate::numeric::special::norm_quantile;
            let own = (1.0 - c.loading * c.loading).max(0.0).sqrt();
            for &j in c.params {
                ws.common_z[j] = c.loading * c.z + own * norm_quantile(ws.u[j]);
            }
            c.params
        }
        _ => &[],
    };
    if let Some(c) = &model.copula {
        let n = c.params.len();
        for (k, &p) in c.params.iter().enumerate() {
            ws.z[k] = if factor.contains(&p) {
                ws.common_z[p]
            } else {
                crate::numeric::special::norm_quantile(ws.u[p])
            };
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
            _ if factor.contains(&j) => p.sampler.quantile_z(ws.common_z[j]),
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
