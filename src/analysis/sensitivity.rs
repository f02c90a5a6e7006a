//! `ibsim sensitivity`: which uncertain inputs drive investor returns and
//! payer cost. Two measures per input (a distribution or a shock of the
//! scenario, grouped by its path):
//!
//! - the Spearman rank correlation between the input's per-trial value and
//!   `investor_irr`, `investor_net` and `payer_cost` in one run (a grouped
//!   input, such as `enrolment.size` over cohorts, enters as its per-trial sum);
//! - a one-at-a-time swing: the input fixed at its P10 and at its P90 (a shock:
//!   off and on), every other input drawn from the same random numbers, and the
//!   change in mean investor_net and mean payer_cost.

use serde_json::{Value, json};

use crate::engine::runner::{TrialColumns, simulate};
use crate::engine::{Draws, Layout};
use crate::model::{Model, ParamKind, Sampler};
use crate::scenario::FundedBy;

/// Ranks with ties averaged (1-based).
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for k in i..=j {
            r[idx[k]] = avg;
        }
        i = j + 1;
    }
    r
}

/// Spearman rank correlation of the pairs where both values are finite (NaN when undefined).
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    let (a, b): (Vec<f64>, Vec<f64>) = x
        .iter()
        .zip(y)
        .filter(|(p, q)| p.is_finite() && q.is_finite())
        .map(|(p, q)| (*p, *q))
        .unzip();
    if a.len() < 3 {
        return f64::NAN;
    }
    let (ra, rb) = (ranks(&a), ranks(&b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (p, q) in ra.iter().zip(&rb) {
        sab += (p - ma) * (q - mb);
        saa += (p - ma) * (p - ma);
        sbb += (q - mb) * (q - mb);
    }
    if saa == 0.0 || sbb == 0.0 {
        f64::NAN
    } else {
        sab / (saa * sbb).sqrt()
    }
}

/// The measures of one input.
#[derive(Debug, Clone)]
pub struct InputEffect {
    /// Scenario path of the input (`outcomes[0].rate`, `shocks[0].probability`).
    pub path: String,
    /// Parameter indices it covers.
    pub params: Vec<usize>,
    /// Spearman correlation with investor_irr, investor_net, payer_cost.
    pub spearman: [f64; 3],
    /// The low and high values it was fixed at (a shock: 0 and 1 for off and on).
    pub low_high: (f64, f64),
    /// Mean investor_net with the input at low, high.
    pub net: (f64, f64),
    /// Mean payer_cost with the input at low, high.
    pub cost: (f64, f64),
}

/// A finished sensitivity analysis.
#[derive(Debug, Clone)]
pub struct Sensitivity {
    /// Inputs, sorted by the swing of mean investor_net (largest first).
    pub inputs: Vec<InputEffect>,
    /// Mean investor_net and payer_cost of the base run.
    pub base: (f64, f64),
    /// Trials per run.
    pub trials: u64,
    /// Seed.
    pub seed: u64,
    /// Who funds the contract: the funder's figures (investor_irr,
    /// investor_net) are the provider's when it funds the contract itself.
    pub funded_by: FundedBy,
    /// The inputs in the trials of the condition (`--given`).
    pub tail: crate::analysis::tail::Tail,
    /// Variance-based indices, when asked for (`--sobol`).
    pub sobol: Option<crate::analysis::sobol::Sobol>,
}

fn mean(v: &[f64]) -> f64 {
    crate::summary::mean_se(v).0
}

fn run(model: &Model, draws: &Draws, threads: Option<usize>) -> Result<TrialColumns, String> {
    simulate(model, draws, 0..draws.trials, threads, &|_| {}).map_err(|e| e.to_string())
}

/// Runs the analysis.
pub fn analyse(
    model: &Model,
    trials: u64,
    seed: u64,
    given: &crate::analysis::tail::Condition,
    threads: Option<usize>,
) -> Result<Sensitivity, String> {
    let draws = Draws {
        seed,
        trials,
        sampling: model.sampling,
    };
    let layout = Layout::new(model);
    let base = run(model, &draws, threads)?;
    let outs = [layout.investor_irr, layout.investor_net, layout.payer_cost];
    // Parameters grouped by path, in draw order, and their per-trial values.
    let inputs_by_path = crate::analysis::sobol::inputs(model);
    let groups: Vec<(String, Vec<usize>)> = inputs_by_path
        .iter()
        .map(|g| (g.path.clone(), g.params.clone()))
        .collect();
    let values =
        crate::analysis::tail::input_values(model, &draws, &inputs_by_path, trials as usize);
    let tail = crate::analysis::tail::analyse(&base, &inputs_by_path, &values, given);
    let mut inputs = Vec::new();
    for (g, (path, idx)) in groups.iter().enumerate() {
        let spear = outs.map(|c| spearman(&values[g], &base.data[c]));
        let first = &model.params[idx[0]];
        let (lo, hi) = match first.kind {
            ParamKind::Shock(_) => (0.0, 1.0),
            _ => (first.sampler.quantile(0.1), first.sampler.quantile(0.9)),
        };
        let at = |v: f64| -> Result<(f64, f64), String> {
            let mut m = model.clone();
            for &j in idx {
                match m.params[j].kind {
                    ParamKind::Shock(i) => m.shocks[i].probability = v,
                    // Keep the parameter (and its uniform draw) so other inputs keep their numbers.
                    _ => m.params[j].sampler = Sampler::Const(v),
                }
            }
            let cols = run(&m, &draws, threads)?;
            Ok((
                mean(&cols.data[layout.investor_net]),
                mean(&cols.data[layout.payer_cost]),
            ))
        };
        let (nl, cl) = at(lo)?;
        let (nh, ch) = at(hi)?;
        inputs.push(InputEffect {
            path: path.clone(),
            params: idx.clone(),
            spearman: spear,
            low_high: (lo, hi),
            net: (nl, nh),
            cost: (cl, ch),
        });
    }
    inputs.sort_by(|a, b| {
        (b.net.1 - b.net.0)
            .abs()
            .total_cmp(&(a.net.1 - a.net.0).abs())
    });
    Ok(Sensitivity {
        inputs,
        base: (
            mean(&base.data[layout.investor_net]),
            mean(&base.data[layout.payer_cost]),
        ),
        trials,
        seed,
        funded_by: model.funded_by,
        tail,
        sobol: None,
    })
}

impl Sensitivity {
    /// `sensitivity.json`.
    pub fn to_json(&self) -> Value {
        let n = crate::summary::num;
        // The funder's keys: the provider's when it funds the contract.
        let keys = crate::engine::layout::funder_keys(self.funded_by);
        let net_mean = format!("{}_mean", keys.net);
        let mut doc = json!({
            "trials": self.trials,
            "seed": self.seed,
            "base": {net_mean.as_str(): n(self.base.0), "payer_cost_mean": n(self.base.1)},
            "inputs": self.inputs.iter().map(|i| json!({
                "path": i.path,
                "spearman": {keys.irr: n(i.spearman[0]), keys.net: n(i.spearman[1]), "payer_cost": n(i.spearman[2])},
                "low": n(i.low_high.0),
                "high": n(i.low_high.1),
                net_mean.as_str(): {"low": n(i.net.0), "high": n(i.net.1)},
                "payer_cost_mean": {"low": n(i.cost.0), "high": n(i.cost.1)},
            })).collect::<Vec<_>>(),
        });
        if self.funded_by == FundedBy::Provider {
            doc["funded_by"] = json!("provider");
        }
        doc["tail"] = self.tail.to_json();
        if let Some(s) = &self.sobol {
            doc["sobol"] = s.to_json();
        }
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_of_known_vectors() {
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 30.0, 40.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0, 4.0], &[4.0, 3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        // By hand: ranks (1, 2.5, 2.5, 4) and (1, 3, 2, 4) give 4.5 / sqrt(4.5 x 5).
        assert!(
            (spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 4.0]) - 0.948_683_298_050_513_8)
                .abs()
                < 1e-12
        );
        assert!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_nan());
        assert_eq!(ranks(&[3.0, 1.0, 3.0]), vec![2.5, 1.0, 2.5]);
    }
}
