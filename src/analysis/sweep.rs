//! `ibsim sweep`: a grid over one or two scenario values, every point run
//! with the same seed and trial indices (common random numbers).

use serde_json::{Map, Value, json};

use super::path;
use super::target::quantile_with_se;
use crate::engine::Layout;
use crate::engine::runner::{TrialColumns, simulate};
use crate::model::Model;
use crate::scenario::{FundedBy, Scenario};
use crate::summary::{mean_se, prob_se as prob};

/// One `--vary PATH=LO..HI[:STEPS]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    /// Scenario PATH.
    pub path: String,
    /// First value.
    pub lo: f64,
    /// Last value.
    pub hi: f64,
    /// Number of grid values (2 or more); 0 when not given.
    pub steps: usize,
}

impl Vary {
    /// Parses `PATH=LO..HI:STEPS` (`:STEPS` optional).
    pub fn parse(s: &str) -> Result<Vary, String> {
        let usage = "expected PATH=LO..HI:STEPS, e.g. outcomes.placement.price=1.5e6..2.5e6:11";
        let (p, range) = s.split_once('=').ok_or_else(|| format!("`{s}`: {usage}"))?;
        let (range, steps) = match range.split_once(':') {
            Some((r, n)) => (
                r,
                n.trim()
                    .parse::<usize>()
                    .map_err(|_| format!("`{s}`: `{n}` is not a number of steps"))?,
            ),
            None => (range, 0),
        };
        let (lo, hi) = range
            .split_once("..")
            .ok_or_else(|| format!("`{s}`: {usage}"))?;
        let parse = |x: &str| x.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        let (Some(lo), Some(hi)) = (parse(lo), parse(hi)) else {
            return Err(format!("`{s}`: LO and HI must be numbers ({usage})"));
        };
        if lo >= hi {
            return Err(format!("`{s}`: LO must be below HI"));
        }
        if steps == 1 || steps > 1000 {
            return Err(format!("`{s}`: STEPS must be 2 to 1000"));
        }
        Ok(Vary {
            path: p.trim().to_owned(),
            lo,
            hi,
            steps,
        })
    }

    /// The grid values.
    pub fn values(&self) -> Vec<f64> {
        let n = self.steps.max(2);
        (0..n)
            .map(|i| self.lo + (self.hi - self.lo) * i as f64 / (n - 1) as f64)
            .collect()
    }
}

/// Runs `scenario` with `sets` applied; the same `seed` and `trials` at every point.
pub fn run_point(
    scenario: &Scenario,
    sets: &[(&str, f64)],
    trials: u64,
    seed: u64,
    threads: Option<usize>,
) -> Result<(Model, TrialColumns), String> {
    let mut s = scenario.clone();
    for (p, v) in sets {
        s = path::set(&s, p, *v)?;
    }
    let model = Model::compile(&s);
    let draws = crate::engine::Draws {
        seed,
        trials,
        sampling: model.sampling,
    };
    let cols = simulate(&model, &draws, 0..trials, threads, &|_| {}).map_err(|e| e.to_string())?;
    Ok((model, cols))
}

/// Risk limits that define the feasible corridor of a sweep.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most acceptable P(investors lose money).
    pub max_prob_loss: f64,
    /// Most acceptable P(payer cost > cap).
    pub max_prob_over_cap: f64,
    /// The payer's cap (None: the scenario's budget cap plus evaluation cost).
    pub payer_cap: Option<f64>,
}

/// The figures of one sweep point, each (value, se).
pub fn point_figures(
    model: &Model,
    cols: &TrialColumns,
    limits: &Limits,
) -> Vec<(&'static str, f64, f64)> {
    let l = Layout::new(model);
    let col = |i: usize| cols.data[i].as_slice();
    let tol_loss = col(l.flag_loss);
    let cap = limits
        .payer_cap
        .or(model.budget_cap.map(|c| c + model.evaluation_cost));
    let (irr, irr_se) = mean_se(col(l.investor_irr));
    let (pl, pl_se) = prob(tol_loss.iter().map(|f| *f != 0.0));
    let (ph, ph_se) = prob(col(l.flag_below_hurdle).iter().map(|f| *f != 0.0));
    let (pc, pc_se) = mean_se(col(l.payer_cost));
    let (pc95, pc95_se) = quantile_with_se(col(l.payer_cost), 0.95);
    let (pb, pb_se) = prob(col(l.budget_cap_hit).iter().map(|f| *f != 0.0));
    let (k95, k95_se) = quantile_with_se(col(l.peak_funding), 0.95);
    let (po, po_se) = match cap {
        Some(c) => prob(col(l.payer_cost).iter().map(|x| *x > c)),
        None => (f64::NAN, f64::NAN),
    };
    vec![
        ("investor_irr_mean", irr, irr_se),
        ("prob_loss", pl, pl_se),
        ("prob_below_hurdle", ph, ph_se),
        ("payer_cost_mean", pc, pc_se),
        ("payer_cost_p95", pc95, pc95_se),
        ("prob_budget_cap_hit", pb, pb_se),
        ("capital_needed_p95", k95, k95_se),
        ("prob_payer_cost_over_cap", po, po_se),
    ]
}

/// Names of the figures of every sweep point, in order.
pub const FIGURES: [&str; 8] = [
    "investor_irr_mean",
    "prob_loss",
    "prob_below_hurdle",
    "payer_cost_mean",
    "payer_cost_p95",
    "prob_budget_cap_hit",
    "capital_needed_p95",
    "prob_payer_cost_over_cap",
];

/// One sweep point: the varied values, the (name, value, se) figures, and feasibility.
pub type SweepRow = (Vec<f64>, Vec<(&'static str, f64, f64)>, bool);

/// A finished sweep.
#[derive(Debug, Clone)]
pub struct SweepResult {
    /// The varied values.
    pub vary: Vec<Vary>,
    /// One row per point: the varied values, then (name, value, se) figures, then feasibility.
    pub rows: Vec<SweepRow>,
    /// Trials per point.
    pub trials: u64,
    /// Seed of every point.
    pub seed: u64,
    /// The cap used for P(payer cost > cap), if any.
    pub cap: Option<f64>,
    /// Who funds the contract: the funder's figures are the provider's
    /// when it funds the contract itself.
    pub funded_by: FundedBy,
}

/// A figure's key in `sweep.json` and `sweep.csv`: the funder's figures
/// are named for the provider when it funds the contract itself.
pub fn figure_key(name: &str, funded_by: FundedBy) -> &str {
    if funded_by == FundedBy::Investors {
        return name;
    }
    match name {
        "investor_irr_mean" => "provider.irr_mean",
        "prob_loss" => "prob_provider_loss",
        "prob_below_hurdle" => "prob_provider_below_hurdle",
        "capital_needed_p95" => "provider.peak_cash_p95",
        other => other,
    }
}

/// The grid's points in sweep order (the last --vary changes fastest).
pub fn grid_points(vary: &[Vary]) -> Vec<Vec<f64>> {
    let grids: Vec<Vec<f64>> = vary.iter().map(Vary::values).collect();
    let mut points: Vec<Vec<f64>> = vec![vec![]];
    for g in &grids {
        points = points
            .iter()
            .flat_map(|p| g.iter().map(move |v| [p.clone(), vec![*v]].concat()))
            .collect();
    }
    points
}

/// Runs the grid, or only the points `only` of it (a shard); rows follow
/// the points' order.
#[allow(clippy::too_many_arguments)]
pub fn sweep(
    scenario: &Scenario,
    vary: &[Vary],
    trials: u64,
    seed: u64,
    threads: Option<usize>,
    limits: &Limits,
    only: Option<std::ops::Range<usize>>,
    on_point: &dyn Fn(usize, usize),
) -> Result<SweepResult, String> {
    let mut points = grid_points(vary);
    if let Some(r) = only {
        points = points
            .drain(r.start.min(points.len())..r.end.min(points.len()))
            .collect();
    }
    let total = points.len();
    let mut rows = Vec::with_capacity(total);
    let mut cap = None;
    let funded_by = scenario.finance.funded_by.unwrap_or_default();
    for (i, p) in points.into_iter().enumerate() {
        let sets: Vec<(&str, f64)> = vary
            .iter()
            .map(|v| v.path.as_str())
            .zip(p.iter().copied())
            .collect();
        let (model, cols) = run_point(scenario, &sets, trials, seed, threads)?;
        cap = limits
            .payer_cap
            .or(model.budget_cap.map(|c| c + model.evaluation_cost));
        let figs = point_figures(&model, &cols, limits);
        let get = |k: &str| figs.iter().find(|f| f.0 == k).map_or(f64::NAN, |f| f.1);
        let over = get("prob_payer_cost_over_cap");
        let feasible = get("prob_loss") <= limits.max_prob_loss
            && (over.is_nan() || over <= limits.max_prob_over_cap);
        rows.push((p, figs, feasible));
        on_point(i + 1, total);
    }
    Ok(SweepResult {
        vary: vary.to_vec(),
        rows,
        trials,
        seed,
        cap,
        funded_by,
    })
}

impl SweepResult {
    /// `sweep.json`.
    pub fn to_json(&self) -> Value {
        let points: Vec<Value> = self
            .rows
            .iter()
            .map(|(vals, figs, feasible)| {
                let mut m = Map::new();
                let mut v = Map::new();
                for (x, val) in self.vary.iter().zip(vals) {
                    v.insert(x.path.clone(), crate::summary::num(*val));
                }
                m.insert("values".into(), Value::Object(v));
                for (k, val, se) in figs {
                    m.insert(
                        figure_key(k, self.funded_by).into(),
                        json!({"value": crate::summary::num(*val), "se": crate::summary::num(*se)}),
                    );
                }
                m.insert("feasible".into(), json!(feasible));
                Value::Object(m)
            })
            .collect();
        let mut doc = json!({
            "vary": self.vary.iter().map(|v| json!({"path": v.path, "lo": v.lo, "hi": v.hi, "steps": v.steps.max(2)})).collect::<Vec<_>>(),
            "trials": self.trials,
            "seed": self.seed,
            "payer_cap": self.cap.map_or(Value::Null, crate::summary::num),
            "points": points,
        });
        if self.funded_by == FundedBy::Provider {
            doc["funded_by"] = json!("provider");
        }
        doc
    }

    /// `sweep.csv`.
    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut head: Vec<String> = self.vary.iter().map(|v| v.path.clone()).collect();
        if let Some((_, figs, _)) = self.rows.first() {
            for (k, _, _) in figs {
                let k = figure_key(k, self.funded_by);
                head.push(k.into());
                head.push(format!("{k}_se"));
            }
        }
        head.push("feasible".into());
        // (Writing to memory cannot fail.)
        let _ = w.write_record(&head);
        for (vals, figs, feasible) in &self.rows {
            let mut cells: Vec<String> = vals.iter().map(|v| v.to_string()).collect();
            for (_, v, se) in figs {
                cells.push(if v.is_nan() {
                    String::new()
                } else {
                    v.to_string()
                });
                cells.push(if se.is_nan() {
                    String::new()
                } else {
                    se.to_string()
                });
            }
            cells.push(feasible.to_string());
            let _ = w.write_record(&cells);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}
