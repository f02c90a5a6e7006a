//! Summaries of the per-trial metrics (SPEC sections 5 and 9): moments,
//! exact type-7 quantiles, probabilities with standard errors, the tail,
//! capital sizing and the risk-sharing decile table.
//!
//! Every sum runs in trial order and every quantile sorts its own copy, so a
//! summary depends only on the trial columns, never on threads.

use rayon::prelude::*;
use serde_json::{Map, Value, json};

use crate::engine::Layout;
use crate::engine::runner::TrialColumns;
use crate::model::Model;

/// The quantile levels reported for every metric.
pub const QUANTILES: [(&str, f64); 9] = [
    ("p1", 0.01),
    ("p5", 0.05),
    ("p10", 0.10),
    ("p25", 0.25),
    ("p50", 0.50),
    ("p75", 0.75),
    ("p90", 0.90),
    ("p95", 0.95),
    ("p99", 0.99),
];

/// Summary statistics of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Mean of the non-NaN values.
    pub mean: f64,
    /// Sample standard deviation (n - 1).
    pub sd: f64,
    /// Standard error of the mean, sd / sqrt(n_valid).
    pub se: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Quantiles at [`QUANTILES`].
    pub quantiles: [f64; 9],
    /// Number of NaN trials.
    pub nan: u64,
}

/// Type-7 quantile (linear interpolation between order statistics) of sorted values.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let g = h - lo as f64;
    if g == 0.0 {
        sorted[lo]
    } else {
        sorted[lo] + g * (sorted[hi] - sorted[lo])
    }
}

/// Statistics of a column, NaNs left out and counted.
pub fn stats(values: &[f64]) -> Stats {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    let nan = (values.len() - v.len()) as u64;
    let n = v.len();
    if n == 0 {
        return Stats {
            mean: f64::NAN,
            sd: f64::NAN,
            se: f64::NAN,
            min: f64::NAN,
            max: f64::NAN,
            quantiles: [f64::NAN; 9],
            nan,
        };
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    let se = sd / (n as f64).sqrt();
    v.sort_unstable_by(f64::total_cmp);
    let mut quantiles = [0.0; 9];
    for (i, (_, q)) in QUANTILES.iter().enumerate() {
        quantiles[i] = quantile_sorted(&v, *q);
    }
    Stats {
        mean,
        sd,
        se,
        min: v[0],
        max: v[n - 1],
        quantiles,
        nan,
    }
}

/// A JSON number, or null for NaN and infinities (SPEC section 9).
pub fn num(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn stats_json(s: &Stats) -> Value {
    let mut m = Map::new();
    m.insert("mean".into(), num(s.mean));
    m.insert("sd".into(), num(s.sd));
    m.insert("se".into(), num(s.se));
    m.insert("min".into(), num(s.min));
    m.insert("max".into(), num(s.max));
    for (i, (k, _)) in QUANTILES.iter().enumerate() {
        m.insert((*k).into(), num(s.quantiles[i]));
    }
    m.insert("nan".into(), json!(s.nan));
    Value::Object(m)
}

fn prob(flags: &[f64]) -> (f64, f64) {
    let n = flags.len() as f64;
    let k = flags.iter().filter(|&&f| f != 0.0).count() as f64;
    let p = k / n;
    (p, (p * (1.0 - p) / n).sqrt())
}

fn mean_of(v: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0u64);
    for x in v.filter(|x| !x.is_nan()) {
        s += x;
        n += 1;
    }
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// Identity of the run recorded in `summary.json`.
#[derive(Debug, Clone)]
pub struct RunIdentity {
    /// Scenario name.
    pub name: String,
    /// Scenario file as given.
    pub file: String,
    /// SHA-256 of the scenario file's bytes (hex).
    pub sha256: String,
    /// Currency code.
    pub currency: String,
    /// Trials of the whole run.
    pub trials: u64,
    /// Seed.
    pub seed: u64,
    /// `random` or `lhs`.
    pub sampling: String,
}

/// The summary of a whole run, as the `summary.json` document.
pub fn summarize(model: &Model, cols: &TrialColumns, id: &RunIdentity) -> Value {
    let layout = Layout::new(model);
    let col = |i: usize| cols.data[i].as_slice();
    let n = cols.len();

    // Per-metric statistics, in parallel over metrics (each one sequential inside).
    let metric_idx: Vec<usize> = (0..layout.len()).filter(|&i| layout.is_metric(i)).collect();
    let all: Vec<Stats> = metric_idx.par_iter().map(|&i| stats(col(i))).collect();
    let mut metrics = Map::new();
    for (k, &i) in metric_idx.iter().enumerate() {
        metrics.insert(layout.names[i].clone(), stats_json(&all[k]));
    }

    // Probabilities with standard errors.
    let mut probs = Map::new();
    let mut put = |name: String, flags: &[f64]| {
        let (p, se) = prob(flags);
        probs.insert(name, json!({"value": num(p), "se": num(se)}));
    };
    put("prob_loss".into(), col(layout.flag_loss));
    put("prob_below_hurdle".into(), col(layout.flag_below_hurdle));
    put("prob_funding_gap".into(), col(layout.funding_gap));
    put("prob_budget_cap_hit".into(), col(layout.budget_cap_hit));
    put(
        "prob_guarantee_called".into(),
        col(layout.flag_guarantee_called),
    );
    for (k, t) in model.tranches.iter().enumerate() {
        put(
            format!("prob_tranche_loss.{}", t.name),
            col(layout.flag_tranche_loss + k),
        );
    }

    // Tail: mean of the ceil(0.05 n) smallest investor_net.
    let mut net: Vec<f64> = col(layout.investor_net).to_vec();
    net.sort_unstable_by(f64::total_cmp);
    let k = n.div_ceil(20).max(1).min(n);
    let cvar = if n == 0 {
        f64::NAN
    } else {
        net[..k].iter().sum::<f64>() / k as f64
    };

    // Capital sizing.
    let mut peak: Vec<f64> = col(layout.peak_funding).to_vec();
    peak.sort_unstable_by(f64::total_cmp);

    // Risk sharing by decile of the last outcome's count (stable sort: ties keep trial order).
    let last = col(layout.outcome + model.last_outcome);
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by(|&a, &b| last[a as usize].total_cmp(&last[b as usize]));
    let mut deciles = Vec::with_capacity(10);
    for d in 0..10usize {
        // Ranks i with floor(10 i / n) == d.
        let lo = (d * n).div_ceil(10);
        let hi = ((d + 1) * n).div_ceil(10);
        let idx = &order[lo.min(n)..hi.min(n)];
        let mean_col = |c: usize| mean_of(idx.iter().map(|&i| cols.data[c][i as usize]));
        let mut row = Map::new();
        row.insert("decile".into(), json!(d + 1));
        row.insert("trials".into(), json!(idx.len()));
        row.insert(
            "outcome_count".into(),
            num(mean_col(layout.outcome + model.last_outcome)),
        );
        row.insert("payer_cost".into(), num(mean_col(layout.payer_cost)));
        row.insert(
            "cost_per_outcome".into(),
            num(mean_col(layout.cost_per_outcome)),
        );
        row.insert("delivery_cost".into(), num(mean_col(layout.delivery_cost)));
        row.insert("investor_net".into(), num(mean_col(layout.investor_net)));
        row.insert(
            "guarantee_paid".into(),
            num(mean_col(layout.guarantee_paid)),
        );
        row.insert(
            "provider_bonus".into(),
            num(mean_col(layout.provider_bonus)),
        );
        deciles.push(Value::Object(row));
    }
    let loss_inv = mean_of(col(layout.investor_net).iter().map(|x| (-x).max(0.0)));
    let loss_gua = mean_of(col(layout.guarantee_paid).iter().copied());
    let premium = mean_of(
        col(layout.payer_cost)
            .iter()
            .zip(col(layout.delivery_cost))
            .map(|(p, d)| (p - model.evaluation_cost - d).max(0.0)),
    );

    let mut doc = Map::new();
    doc.insert(
        "scenario".into(),
        json!({"name": id.name, "file": id.file, "sha256": id.sha256, "currency": id.currency}),
    );
    doc.insert("trials".into(), json!(id.trials));
    doc.insert("seed".into(), json!(id.seed));
    doc.insert("sampling".into(), json!(id.sampling));
    doc.insert("model_version".into(), json!(crate::MODEL_VERSION));
    doc.insert("metrics".into(), Value::Object(metrics));
    doc.insert("probabilities".into(), Value::Object(probs));
    doc.insert("tail".into(), json!({"cvar95_investor_net": num(cvar)}));
    doc.insert(
        "capital_needed".into(),
        json!({
            "p90": num(quantile_sorted(&peak, 0.90)),
            "p95": num(quantile_sorted(&peak, 0.95)),
            "p99": num(quantile_sorted(&peak, 0.99)),
        }),
    );
    doc.insert(
        "risk_sharing".into(),
        json!({
            "deciles": deciles,
            "loss_borne_by_investors": num(loss_inv),
            "loss_borne_by_guarantor": num(loss_gua),
            "payer_premium": num(premium),
        }),
    );
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type7_quantiles_match_numpy() {
        // numpy.quantile([1, 2, 3, 4], [0.1, 0.5, 0.9]) = [1.3, 2.5, 3.7]
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!((quantile_sorted(&v, 0.1) - 1.3).abs() < 1e-12);
        assert!((quantile_sorted(&v, 0.5) - 2.5).abs() < 1e-12);
        assert!((quantile_sorted(&v, 0.9) - 3.7).abs() < 1e-12);
        assert_eq!(quantile_sorted(&[5.0], 0.3), 5.0);
    }

    #[test]
    fn stats_leave_out_nan() {
        let s = stats(&[1.0, f64::NAN, 3.0]);
        assert_eq!(s.nan, 1);
        assert_eq!(s.mean, 2.0);
        assert!((s.sd - 2f64.sqrt()).abs() < 1e-15);
        assert!((s.se - 1.0).abs() < 1e-15);
        assert_eq!((s.min, s.max), (1.0, 3.0));
    }
}
