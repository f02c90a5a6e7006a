//! Tail scenario analysis (docs/model.md, "Tail scenario analysis"): in
//! the trials where a condition holds (by default the funder loses money),
//! how each uncertain input differs from all trials: the shift of its
//! median in units of its standard deviation, the shift of its mean, and
//! the probability of the condition by decile of the input. It reads the
//! per-trial parameters of the run itself, so it costs no extra run.

use crate::analysis::sobol::Input;
use crate::analysis::target::Op;
use crate::engine::runner::TrialColumns;
use crate::engine::{Draws, Layout, Workspace, trial_params};
use crate::model::Model;
use crate::summary::quantile_sorted;

/// The right-hand side of a condition: a number, or a quantile of the metric
/// over the run (`p95`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// A number.
    Number(f64),
    /// The metric's quantile at this level.
    Quantile(f64),
}

/// A condition on one metric of a trial, such as `investor_net < 0` or
/// `payer_cost > p95`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// As written.
    pub text: String,
    /// The metric's column.
    pub column: usize,
    /// The comparison.
    pub op: Op,
    /// Its right-hand side.
    pub threshold: Threshold,
}

impl Condition {
    /// Parses `METRIC OP VALUE` (OP one of `<`, `<=`, `>`, `>=`; VALUE a
    /// number or `pNN`, the metric's NN-th percentile over the run).
    pub fn parse(text: &str, layout: &Layout) -> Result<Condition, String> {
        let t = text.trim();
        let (at, op, len) = ["<=", ">=", "<", ">"]
            .iter()
            .find_map(|o| t.find(o).map(|i| (i, *o, o.len())))
            .ok_or_else(|| {
                format!(
                    "`{t}`: expected METRIC OP VALUE, e.g. `investor_net < 0` or `payer_cost > p95`"
                )
            })?;
        let metric = t[..at].trim();
        let value = t[at + len..].trim();
        let column = layout
            .index_of(metric)
            .filter(|&i| layout.is_metric(i))
            .ok_or_else(|| format!("`{t}`: unknown metric `{metric}`"))?;
        let op = Op::parse(op).unwrap_or(Op::Lt);
        let threshold = if let Some(q) = value.strip_prefix('p') {
            let q: f64 = q
                .parse()
                .ok()
                .filter(|q: &f64| *q > 0.0 && *q < 100.0)
                .ok_or_else(|| format!("`{t}`: `{value}` is not a percentile such as p95"))?;
            Threshold::Quantile(q / 100.0)
        } else {
            Threshold::Number(
                value
                    .parse()
                    .ok()
                    .filter(|x: &f64| x.is_finite())
                    .ok_or_else(|| {
                        format!("`{t}`: `{value}` is not a number or a percentile such as p95")
                    })?,
            )
        };
        Ok(Condition {
            text: t.to_owned(),
            column,
            op,
            threshold,
        })
    }
}

/// How one input looks in the tail.
#[derive(Debug, Clone, PartialEq)]
pub struct TailInput {
    /// Scenario path of the input.
    pub path: String,
    /// Its median over all trials.
    pub median_all: f64,
    /// Its median over the trials where the condition holds.
    pub median_tail: f64,
    /// Its standard deviation over all trials.
    pub sd: f64,
    /// (median_tail - median_all) / sd.
    pub median_shift: f64,
    /// (mean_tail - mean_all) / sd.
    pub mean_shift: f64,
    /// The input's deciles over all trials: its minimum, the nine cut
    /// points and its maximum.
    pub decile_edges: Vec<f64>,
    /// P(condition) among the trials of each decile of the input (trials
    /// ranked by the input's value, ties by trial index).
    pub prob_by_decile: Vec<f64>,
}

/// A finished tail analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Tail {
    /// The condition as written.
    pub condition: String,
    /// The number it was compared with (a percentile resolved on the run).
    pub threshold: f64,
    /// Trials in the run.
    pub trials: usize,
    /// Trials where it holds.
    pub tail_trials: usize,
    /// Inputs, the most unusual in the tail first (by the larger size of
    /// the median and the mean shift).
    pub inputs: Vec<TailInput>,
}

/// Each input's per-trial value (the sum of its parameters) in trials
/// `0..n` of a run with `draws`, re-drawn from each trial's own stream.
pub fn input_values(model: &Model, draws: &Draws, groups: &[Input], n: usize) -> Vec<Vec<f64>> {
    let layout = Layout::new(model);
    let mut values = vec![vec![0.0; n]; groups.len()];
    let mut ws = Workspace::new(model, &layout);
    // Trial-major: each trial's parameters are drawn once, then spread over the groups.
    #[allow(clippy::needless_range_loop)]
    for t in 0..n {
        trial_params(model, draws, t as u64, &mut ws);
        for (g, input) in groups.iter().enumerate() {
            values[g][t] = input.params.iter().map(|&j| ws.params[j]).sum();
        }
    }
    values
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_unstable_by(f64::total_cmp);
    quantile_sorted(&s, 0.5)
}

/// The tail analysis of a run (`cols`) whose inputs took `values`.
pub fn analyse(
    cols: &TrialColumns,
    groups: &[Input],
    values: &[Vec<f64>],
    condition: &Condition,
) -> Tail {
    let metric = &cols.data[condition.column];
    let n = metric.len();
    let threshold = match condition.threshold {
        Threshold::Number(x) => x,
        Threshold::Quantile(q) => {
            let mut s: Vec<f64> = metric.iter().copied().filter(|x| !x.is_nan()).collect();
            s.sort_unstable_by(f64::total_cmp);
            quantile_sorted(&s, q)
        }
    };
    let flags: Vec<bool> = metric
        .iter()
        .map(|&x| condition.op.holds(x, threshold))
        .collect();
    let tail_trials = flags.iter().filter(|f| **f).count();
    let mut inputs: Vec<TailInput> = groups
        .iter()
        .zip(values)
        .map(|(g, v)| {
            let in_tail: Vec<f64> = v
                .iter()
                .zip(&flags)
                .filter(|(_, f)| **f)
                .map(|(x, _)| *x)
                .collect();
            let m = mean(v);
            let sd = (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
            let (median_all, median_tail) = (median(v), median(&in_tail));
            let shift = |d: f64| if sd > 0.0 { d / sd } else { f64::NAN };
            // Deciles by rank (ties by trial index), so a discrete input
            // (a shock's 0 and 1) still fills ten groups of equal size.
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| v[a].total_cmp(&v[b]).then(a.cmp(&b)));
            let mut hits = [0usize; 10];
            let mut counts = [0usize; 10];
            for (pos, &t) in order.iter().enumerate() {
                let d = (10 * pos / n.max(1)).min(9);
                counts[d] += 1;
                hits[d] += usize::from(flags[t]);
            }
            let mut sorted = v.clone();
            sorted.sort_unstable_by(f64::total_cmp);
            TailInput {
                path: g.path.clone(),
                median_all,
                median_tail,
                sd,
                median_shift: shift(median_tail - median_all),
                mean_shift: shift(mean(&in_tail) - m),
                decile_edges: (0..=10)
                    .map(|d| quantile_sorted(&sorted, f64::from(d) / 10.0))
                    .collect(),
                prob_by_decile: hits
                    .iter()
                    .zip(&counts)
                    .map(|(h, c)| {
                        if *c == 0 {
                            f64::NAN
                        } else {
                            *h as f64 / *c as f64
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    // The larger of the two shifts ranks: a median alone misses a shock
    // (0 or 1) present in a third of the tail.
    let size = |i: &TailInput| {
        let s = |x: f64| if x.is_nan() { -1.0 } else { x.abs() };
        s(i.median_shift).max(s(i.mean_shift))
    };
    inputs.sort_by(|a, b| size(b).total_cmp(&size(a)));
    Tail {
        condition: condition.text.clone(),
        threshold,
        trials: n,
        tail_trials,
        inputs,
    }
}

impl Tail {
    /// Its part of `sensitivity.json`.
    pub fn to_json(&self) -> serde_json::Value {
        let n = crate::summary::num;
        serde_json::json!({
            "condition": self.condition,
            "threshold": n(self.threshold),
            "trials": self.trials,
            "tail_trials": self.tail_trials,
            "probability": n(self.tail_trials as f64 / self.trials.max(1) as f64),
            "inputs": self.inputs.iter().map(|i| serde_json::json!({
                "path": i.path,
                "median_all": n(i.median_all),
                "median_tail": n(i.median_tail),
                "sd": n(i.sd),
                "median_shift_sd": n(i.median_shift),
                "mean_shift_sd": n(i.mean_shift),
                "decile_edges": i.decile_edges.iter().map(|x| n(*x)).collect::<Vec<_>>(),
                "prob_by_decile": i.prob_by_decile.iter().map(|x| n(*x)).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }
}
