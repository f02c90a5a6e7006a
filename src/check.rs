//! Regression checks: a fresh run compared with a stored `summary.json`.
//!
//! Two modes. **Exact**, when the run repeats the baseline's seed, trial
//! count, sampling and model version: every number of the two documents must
//! be equal (strings such as the scenario's hash are reported, not compared).
//! **Statistical** otherwise (or on request): each compared figure must agree
//! within `sigma` combined standard errors, `|now - base| <= sigma *
//! sqrt(se_now^2 + se_base^2)`, where
//!
//! - means and probabilities use the standard errors stored in both summaries;
//! - a quantile at level p is checked on the rank scale, which needs no
//!   density estimate and copes with discrete metrics: the sample p-quantile's
//!   level has sd sqrt(p (1 - p) / n), so the baseline's p-quantile must lie
//!   between the new run's quantiles at p -+ sigma sqrt(p (1 - p) (1/n +
//!   1/n_base)). The "se" shown for a quantile is half the width of that band
//!   at one sigma;
//! - `cvar95_investor_net` uses the influence-function error
//!   sd(min(X - VaR, 0)) / (0.05 sqrt(n)); the risk-sharing expectations the
//!   sd of their summand over sqrt(n) (scaled for the baseline likewise).
//!
//! Figures whose combined error is zero (constants) must agree to 1e-9
//! relative, and quantile bands get the same slack. The decile table is compared in the exact mode only.

use serde_json::Value;

use crate::engine::Layout;
use crate::engine::runner::TrialColumns;
use crate::model::Model;
use crate::summary::{QUANTILES, Summary, num, quantiles_by_selection};

/// One compared figure: the baseline's value, the new run's, and whether
/// they agree.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// JSON path, e.g. `metrics.payer_cost.mean`.
    pub key: String,
    /// Baseline value (null when missing).
    pub baseline: Value,
    /// New value (null when missing).
    pub now: Value,
    /// Difference in combined standard errors (statistical mode, when the
    /// figure has an error).
    pub sigmas: Option<f64>,
    /// Within tolerance (statistical mode) or equal (exact mode).
    pub agrees: bool,
}

/// Result of a comparison: every compared figure, in document order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The compared figures.
    pub figures: Vec<Figure>,
}

impl Report {
    /// Figures compared.
    pub fn compared(&self) -> usize {
        self.figures.len()
    }

    /// The figures beyond tolerance, in document order.
    pub fn differences(&self) -> impl Iterator<Item = &Figure> {
        self.figures.iter().filter(|f| !f.agrees)
    }

    /// How many figures are beyond tolerance.
    pub fn differing(&self) -> usize {
        self.differences().count()
    }

    fn record(
        &mut self,
        key: String,
        baseline: &Value,
        now: &Value,
        sigmas: Option<f64>,
        agrees: bool,
    ) {
        self.figures.push(Figure {
            key,
            baseline: baseline.clone(),
            now: now.clone(),
            sigmas,
            agrees,
        });
    }
}

/// How a run was compared with its baseline.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Exact mode (same seed, trials, sampling and model version).
    pub exact: bool,
    /// Tolerance in combined standard errors (statistical mode).
    pub sigma: f64,
    /// The new run's trials and seed.
    pub trials: u64,
    /// The new run's seed.
    pub seed: u64,
    /// The baseline's trials, seed and model version, as stored.
    pub baseline_run: (Value, Value, Value),
    /// Whether the scenario file differs from the baseline's (sha256).
    pub scenario_changed: bool,
    /// Every compared figure.
    pub report: Report,
}

impl Comparison {
    /// `exact mode (2000 trials, seed 2024; baseline 2000 trials, seed 2024, model 6)`.
    pub fn describe(&self) -> String {
        let (t, s, m) = &self.baseline_run;
        format!(
            "{} mode ({} trials, seed {}; baseline {t} trials, seed {s}, model {m})",
            if self.exact { "exact" } else { "statistical" },
            self.trials,
            self.seed
        )
    }

    /// `exact, 2000 trials, seed 2024`, with the baseline's run when it
    /// differs: `statistical, 4000 trials, seed 3 (baseline 2000 trials, seed 31)`.
    pub fn brief(&self) -> String {
        let (t, s, m) = &self.baseline_run;
        let mut b = format!(
            "{}, {} trials, seed {}",
            if self.exact { "exact" } else { "statistical" },
            self.trials,
            self.seed
        );
        if t.as_u64() != Some(self.trials) || s.as_u64() != Some(self.seed) {
            b.push_str(&format!(" (baseline {t} trials, seed {s})"));
        }
        if !self.exact && m.as_u64() != Some(u64::from(crate::MODEL_VERSION)) {
            b.push_str(&format!(" (baseline model {m})"));
        }
        b
    }

    /// What "agrees" means here: `identical` or `within 4 se`.
    pub fn agreement(&self) -> String {
        if self.exact {
            "identical".into()
        } else {
            format!("within {} se", self.sigma)
        }
    }
}

/// One scenario checked against its baseline, or why it could not be.
#[derive(Debug, Clone)]
pub struct ScenarioCheck {
    /// The scenario file, as given.
    pub scenario: String,
    /// The baseline file, as given.
    pub baseline: String,
    /// Seconds the check took.
    pub seconds: f64,
    /// The comparison, or the message of what stopped it (an invalid
    /// scenario, a missing baseline).
    pub outcome: Result<Comparison, String>,
}

impl ScenarioCheck {
    /// Checked and every figure agrees.
    pub fn consistent(&self) -> bool {
        self.outcome
            .as_ref()
            .is_ok_and(|c| c.report.differing() == 0)
    }
}

/// Exact comparison: every number (and every key) of the stored document
/// `base` and of `now` must match. Strings are skipped: they name things,
/// they do not measure them. (A baseline stays a document: it may come from
/// another model version, with keys this one does not write.)
pub fn exact(base: &Value, now: &Summary) -> Report {
    // Through text and back, exactly as a stored summary is read (parsing
    // may round a float's last bit, and must do so on both sides).
    let text = serde_json::to_string(now).unwrap_or_default();
    documents(base, &serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Every number (and every key) of two JSON documents compared exactly,
/// strings skipped.
pub fn documents(base: &Value, now: &Value) -> Report {
    let mut r = Report::default();
    walk(base, now, String::new(), &mut r);
    r
}

fn walk(base: &Value, now: &Value, path: String, r: &mut Report) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match (base, now) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                walk(va, b.get(k).unwrap_or(&Value::Null), join(k), r);
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    walk(&Value::Null, vb, join(k), r);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                walk(
                    a.get(i).unwrap_or(&Value::Null),
                    b.get(i).unwrap_or(&Value::Null),
                    format!("{path}[{i}]"),
                    r,
                );
            }
        }
        (Value::String(_), Value::String(_)) => {}
        _ => r.record(path, base, now, None, base == now),
    }
}

/// Statistical comparison of the new run (`now`, from `cols`) with `base`.
pub fn statistical(
    base: &Value,
    now: &Summary,
    model: &Model,
    cols: &TrialColumns,
    sigma: f64,
) -> Report {
    let mut r = Report::default();
    let n = cols.len() as f64;
    let n_base = base["trials"].as_f64().unwrap_or(n).max(1.0);
    let scale = (n / n_base).sqrt();
    let layout = Layout::new(model);
    let compare = |r: &mut Report, key: String, b: &Value, a: &Value, se_base: f64, se_now: f64| {
        compare_se(r, key, b, a, se_base, se_now, sigma)
    };

    // Metrics: mean (stored se) and quantiles (rank band).
    for (name, m) in now.metrics.iter() {
        let bm = &base["metrics"][name];
        let se_base = bm["se"].as_f64().unwrap_or(0.0);
        let se_now = if m.se.is_finite() { m.se } else { 0.0 };
        compare(
            &mut r,
            format!("metrics.{name}.mean"),
            &bm["mean"],
            &num(m.mean),
            se_base,
            se_now,
        );
        let Some(col) = layout.index_of(name).map(|i| &cols.data[i]) else {
            continue;
        };
        let levels: Vec<f64> = QUANTILES.iter().map(|(_, q)| *q).collect();
        let labels: Vec<String> = QUANTILES
            .iter()
            .map(|(l, _)| format!("metrics.{name}.{l}"))
            .collect();
        let bv: Vec<&Value> = QUANTILES.iter().map(|(l, _)| &bm[*l]).collect();
        let nq: Vec<Value> = m.quantiles.iter().map(|&q| num(q)).collect();
        let nv: Vec<&Value> = nq.iter().collect();
        quantile_checks(&mut r, col, &levels, &labels, &bv, &nv, n_base, sigma);
    }
    // Probabilities: stored se on both sides.
    for (name, p) in now.probabilities.iter() {
        let bp = &base["probabilities"][name];
        compare(
            &mut r,
            format!("probabilities.{name}"),
            &bp["value"],
            &num(p.value),
            bp["se"].as_f64().unwrap_or(0.0),
            if p.se.is_finite() { p.se } else { 0.0 },
        );
    }
    // Tail and capital.
    // (The funder's column: the provider's margin when it funds the contract.)
    let net = &cols.data[layout.investor_net];
    let se = cvar_se(net, 0.05);
    let cvar_key = if layout.tranche_columns {
        "cvar95_investor_net"
    } else {
        "cvar95_provider_margin"
    };
    compare(
        &mut r,
        format!("tail.{cvar_key}"),
        &base["tail"][cvar_key],
        &num(now.tail.funder_cvar95()),
        se * scale,
        se,
    );
    let labels: Vec<String> = ["p90", "p95", "p99"]
        .iter()
        .map(|l| format!("capital_needed.{l}"))
        .collect();
    let bv: Vec<&Value> = ["p90", "p95", "p99"]
        .iter()
        .map(|l| &base["capital_needed"][*l])
        .collect();
    let c = &now.capital_needed;
    let nq = [num(c.p90), num(c.p95), num(c.p99)];
    let nv: Vec<&Value> = nq.iter().collect();
    quantile_checks(
        &mut r,
        &cols.data[layout.peak_funding],
        &[0.90, 0.95, 0.99],
        &labels,
        &bv,
        &nv,
        n_base,
        sigma,
    );
    // Risk-sharing expectations.
    let summands = crate::summary::risk::summands(model, &layout, cols);
    let funder_loss = if layout.tranche_columns {
        "loss_borne_by_investors"
    } else {
        "loss_borne_by_provider"
    };
    for (key, v) in [funder_loss, "loss_borne_by_guarantor", "payer_premium"]
        .into_iter()
        .zip(&summands)
    {
        let se = crate::summary::mean_se(v).1;
        compare(
            &mut r,
            format!("risk_sharing.{key}"),
            &base["risk_sharing"][key],
            &num(now.risk_sharing.figure(key)),
            se * scale,
            se,
        );
    }
    // Each agency's mean transfer, matched by name, with the stored se.
    if let Some(t) = &now.transfers {
        let stored = base["transfers"]["agencies"].as_array();
        for a in &t.agencies {
            let b = stored
                .and_then(|v| v.iter().find(|x| x["name"] == a.name.as_str()))
                .unwrap_or(&Value::Null);
            compare(
                &mut r,
                format!("transfers.agencies.{}.mean", a.name),
                &b["mean"],
                &num(a.mean),
                b["se"].as_f64().unwrap_or(0.0),
                if a.se.is_finite() { a.se } else { 0.0 },
            );
        }
    }
    r
}

/// Compares one figure with its standard errors (zero: equal to 1e-9 relative).
fn compare_se(
    r: &mut Report,
    key: String,
    b: &Value,
    a: &Value,
    se_base: f64,
    se_now: f64,
    sigma: f64,
) {
    let (sigmas, agrees) = match (b.as_f64(), a.as_f64()) {
        (None, None) => (None, b == a),
        (Some(x), Some(y)) => {
            let se = (se_base * se_base + se_now * se_now).sqrt();
            if se > 0.0 && se.is_finite() {
                let z = (y - x) / se;
                (Some(z), z.abs() <= sigma)
            } else {
                (None, (y - x).abs() <= 1e-9 * x.abs().max(y.abs()))
            }
        }
        _ => (None, false),
    };
    r.record(key, b, a, sigmas, agrees);
}

/// Checks baseline quantiles against the new run's rank band (module doc).
#[allow(clippy::too_many_arguments)]
fn quantile_checks(
    r: &mut Report,
    col: &[f64],
    levels: &[f64],
    labels: &[String],
    base: &[&Value],
    now: &[&Value],
    n_base: f64,
    sigma: f64,
) {
    let mut v: Vec<f64> = col.iter().copied().filter(|x| !x.is_nan()).collect();
    let n = v.len() as f64;
    // Levels p -+ sigma w and p -+ w, w the combined sd of the level.
    let mut around = Vec::with_capacity(4 * levels.len());
    for &p in levels {
        let w = (p * (1.0 - p) * (1.0 / n.max(1.0) + 1.0 / n_base)).sqrt();
        for k in [-sigma, sigma, -1.0, 1.0] {
            around.push((p + k * w).clamp(0.0, 1.0));
        }
    }
    let mut q = vec![f64::NAN; around.len()];
    quantiles_by_selection(&mut v, &around, &mut q);
    for k in 0..levels.len() {
        let (lo, hi, one_lo, one_hi) = (q[4 * k], q[4 * k + 1], q[4 * k + 2], q[4 * k + 3]);
        let inside = match (base[k].as_f64(), now[k].as_f64()) {
            // (With 1e-9 relative slack: point masses, such as an IRR at its
            // cap, come out of the solver with last-bit noise.)
            (Some(b), Some(_)) => {
                let slack = 1e-9 * b.abs().max(lo.abs()).max(hi.abs());
                b >= lo - slack && b <= hi + slack
            }
            (None, None) => true,
            _ => false,
        };
        let half = 0.5 * (one_hi - one_lo);
        let sigmas = match (base[k].as_f64(), now[k].as_f64()) {
            (Some(b), Some(a)) if half > 0.0 => Some((a - b) / half),
            _ => None,
        };
        r.record(labels[k].clone(), base[k], now[k], sigmas, inside);
    }
}

/// Standard error of the lower-tail CVaR at level `alpha` of `x`.
fn cvar_se(x: &[f64], alpha: f64) -> f64 {
    let mut v: Vec<f64> = x.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.len() < 2 {
        return 0.0;
    }
    let mut var = [0.0];
    quantiles_by_selection(&mut v, &[alpha], &mut var);
    let y: Vec<f64> = v.iter().map(|x| (x - var[0]).min(0.0)).collect();
    let (mean, _) = crate::summary::mean_se(&y);
    let sd = (y.iter().map(|t| (t - mean) * (t - mean)).sum::<f64>() / (y.len() - 1) as f64).sqrt();
    sd / (alpha * (y.len() as f64).sqrt())
}

/// What makes a stored summary unusable as a baseline, if anything: its run
/// (trials, seed, sampling), its model version (a newer ibsim's numbers
/// cannot be judged by this one) and the shape of what it compares.
pub fn baseline_problem(b: &Value) -> Result<(), String> {
    let max_trials = crate::limits::MAX_TRIALS as u64;
    match b["trials"].as_u64() {
        Some(t) if (1..=max_trials).contains(&t) => {}
        _ => {
            return Err(format!(
                "`trials` is {}: expected a whole number from 1 to {max_trials}",
                b["trials"]
            ));
        }
    }
    if !b["seed"].is_null() && b["seed"].as_u64().is_none() {
        return Err(format!(
            "`seed` is {}: expected a whole number >= 0",
            b["seed"]
        ));
    }
    if !b["sampling"].is_null() && !matches!(b["sampling"].as_str(), Some("random" | "lhs")) {
        return Err(format!(
            "`sampling` is {}: expected random or lhs",
            b["sampling"]
        ));
    }
    match b["model_version"].as_u64() {
        None if !b["model_version"].is_null() => {
            return Err(format!(
                "`model_version` is {}: expected a whole number",
                b["model_version"]
            ));
        }
        Some(v) if v > u64::from(crate::MODEL_VERSION) => {
            return Err(format!(
                "made by a newer ibsim (model version {v}; this one is {}): check it with that version or newer",
                crate::MODEL_VERSION
            ));
        }
        _ => {}
    }
    for part in ["metrics", "probabilities"] {
        if !b[part].is_null() && !b[part].is_object() {
            return Err(format!("`{part}` is not an object"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exact_reports_every_differing_number_and_missing_key() {
        let a = json!({"scenario": {"sha256": "x"}, "m": {"a": 1.0, "b": [1, 2]}, "gone": 3});
        let b = json!({"scenario": {"sha256": "y"}, "m": {"a": 1.0, "b": [1, 5]}, "new": 4});
        let r = documents(&a, &b);
        let keys: Vec<&str> = r.differences().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, ["m.b[1]", "gone", "new"]);
        assert_eq!(r.compared(), 5);
        assert_eq!(documents(&a, &a).differing(), 0);
    }

    #[test]
    fn quantile_band_matches_the_normal_closed_form() {
        // For N(0, 1) the sample median has se sqrt(pi / 2 / n); two runs of n
        // trials differ by sqrt(2) times that. The 4-sigma band must sit there.
        let n = 200_000;
        let col: Vec<f64> = (0..n)
            .map(|i| crate::numeric::special::norm_quantile((i as f64 + 0.5) / n as f64))
            .collect();
        let four_se = 4.0 * (std::f64::consts::PI / 2.0 * 2.0 / n as f64).sqrt();
        for (b, inside) in [
            (0.98 * four_se, true),
            (1.02 * four_se, false),
            (-1.02 * four_se, false),
        ] {
            let mut r = Report::default();
            let (bv, nv) = (json!(b), json!(0.0));
            quantile_checks(
                &mut r,
                &col,
                &[0.5],
                &["m".into()],
                &[&bv],
                &[&nv],
                n as f64,
                4.0,
            );
            assert_eq!(r.differing() == 0, inside, "baseline median {b}");
        }
    }

    #[test]
    fn cvar_error_matches_a_direct_simulation() {
        // The se of the 5% CVaR of N(0, 1) over n = 4,000: compare the formula
        // with the spread of the estimate over 400 seeded samples.
        use rand::SeedableRng;
        let n = 4000;
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(9);
        let mut estimates = Vec::new();
        let mut formula = 0.0;
        for _ in 0..400 {
            let mut x: Vec<f64> = (0..n)
                .map(|_| crate::numeric::special::norm_quantile(crate::engine::open_unit(&mut rng)))
                .collect();
            formula += cvar_se(&x, 0.05) / 400.0;
            x.sort_unstable_by(f64::total_cmp);
            estimates.push(x[..n / 20].iter().sum::<f64>() / (n / 20) as f64);
        }
        let (m, _) = crate::summary::mean_se(&estimates);
        let sd = (estimates.iter().map(|e| (e - m) * (e - m)).sum::<f64>() / 399.0).sqrt();
        // The sd of an sd estimate from 400 draws is about 3.5%: allow 5 of those.
        assert!((formula / sd - 1.0).abs() < 0.18, "{formula} vs {sd}");
    }
}
