//! Analyses of a programme (docs/model.md, "Programmes"): a value set by
//! PATH (`fund.budget_cap`, `shocks.<name>.probability`,
//! `deals.<name>.loading`, or any scenario PATH inside a deal:
//! `deals.<name>.outcomes.placement.price`), the per-trial columns that
//! `solve`'s targets read, and the figures of a `sweep` point. Every point
//! runs with the programme's seeds and trial indices (common random numbers).

use serde_json::{Map, Value, json};

use super::LoadedProgramme;
use super::run::{ProgrammeColumns, ProgrammeModel, simulate};
use crate::analysis::path;
use crate::analysis::sweep::{Vary, grid_points};
use crate::analysis::target::quantile_with_se;
use crate::engine::runner::TrialColumns;
use crate::report::i18n::{Lang, number, pct};
use crate::summary::{mean_se, prob_se};

/// The fields of a deal's entry in the programme file (the rest of a
/// `deals.<name>.` PATH is inside the deal's scenario).
const ENTRY_FIELDS: [&str; 3] = ["loading", "start_month", "priority"];

/// The programme with the number at `path` set to `x`, checked again.
pub fn set(lp: &LoadedProgramme, path: &str, x: f64) -> Result<LoadedProgramme, String> {
    let mut out = lp.clone();
    if let Some(rest) = path.strip_prefix("deals.") {
        let (name, tail) = rest.split_once('.').ok_or_else(|| {
            format!("`{path}`: expected deals.<name>.<path in the deal>, e.g. deals.employment.outcomes.placement.price")
        })?;
        let names: Vec<&str> = lp.programme.deals.iter().map(|d| d.name.as_str()).collect();
        let i = names.iter().position(|n| *n == name).ok_or_else(|| {
            format!(
                "no deal `{name}` in the programme: expected one of {}",
                names.join(", ")
            )
        })?;
        if !ENTRY_FIELDS.contains(&tail) {
            out.deals[i].scenario = path::set(&lp.deals[i].scenario, tail, x)
                .map_err(|e| format!("deal `{name}`: {e}"))?;
            return Ok(out);
        }
    }
    let mut v = serde_json::to_value(&lp.programme).map_err(|e| e.to_string())?;
    path::set_value(&mut v, path, x, "the programme")?;
    out.programme = serde_json::from_value(v).map_err(|e| format!("`{path}`: {e}"))?;
    if let Some((p, m)) = super::check(&out.programme).into_iter().next() {
        return Err(format!("{path} = {x}: {p}: {m}"));
    }
    Ok(out)
}

/// Compiles and runs the programme with `sets` applied (`trials` and the
/// common risks' `seed` replace the programme's).
pub fn run_point(
    lp: &LoadedProgramme,
    sets: &[(&str, f64)],
    trials: u64,
    seed: u64,
    threads: Option<usize>,
) -> Result<(ProgrammeModel, ProgrammeColumns), String> {
    let mut p = lp.clone();
    for (path, x) in sets {
        p = set(&p, path, *x)?;
    }
    let mut pm = ProgrammeModel::compile(&p);
    pm.trials = trials;
    pm.seed = seed;
    let cols = simulate(&pm, threads).map_err(|e| e.to_string())?;
    Ok((pm, cols))
}

/// The column names targets may read: the fund's (`fund.payer_cost`,
/// `investor.<name>.irr`, `_fund_budget_binds`, ...), then every deal's
/// as `deals.<name>.<metric>`, its event flags as `_deals.<name>.<event>`.
pub fn column_names(pm: &ProgrammeModel) -> Vec<String> {
    let mut names = pm.fund.names.clone();
    for d in &pm.deals {
        names.extend(d.layout.names.iter().map(|n| deal_column(&d.name, n)));
    }
    names
}

fn deal_column(deal: &str, name: &str) -> String {
    match name.strip_prefix('_') {
        Some(flag) => format!("_deals.{deal}.{flag}"),
        None => format!("deals.{deal}.{name}"),
    }
}

/// A programme run's columns under [`column_names`].
pub fn target_columns(pm: &ProgrammeModel, cols: ProgrammeColumns) -> TrialColumns {
    let mut out = cols.fund;
    for (d, c) in pm.deals.iter().zip(cols.deals) {
        out.names
            .extend(c.names.iter().map(|n| deal_column(&d.name, n)));
        out.data.extend(c.data);
    }
    out
}

/// One sweep point of a programme: the varied values and its
/// (figure, value, se).
pub type ProgrammeSweepRow = (Vec<f64>, Vec<(String, f64, f64)>);

/// A finished programme sweep.
#[derive(Debug, Clone)]
pub struct ProgrammeSweep {
    /// The varied values.
    pub vary: Vec<Vary>,
    /// One row per grid point.
    pub rows: Vec<ProgrammeSweepRow>,
    /// Trials per point.
    pub trials: u64,
    /// Seed of the common risks.
    pub seed: u64,
}

/// The figures of a programme sweep point: the fund's payer cost (mean
/// and P95), the P95 of what the deals made due, P(the fund's budget
/// binds), the mean shortfall, each deal's P(its funder loses money) and
/// each cross-deal investor's P(loss).
pub fn point_figures(pm: &ProgrammeModel, cols: &ProgrammeColumns) -> Vec<(String, f64, f64)> {
    let f = |name: &str| cols.fund.column(name).unwrap_or_default();
    let flag = |v: &[f64]| prob_se(v.iter().map(|x| *x != 0.0));
    let mut out = Vec::new();
    let (m, se) = mean_se(f("fund.payer_cost"));
    out.push(("fund.payer_cost_mean".to_owned(), m, se));
    let (q, se) = quantile_with_se(f("fund.payer_cost"), 0.95);
    out.push(("fund.payer_cost_p95".to_owned(), q, se));
    let (q, se) = quantile_with_se(f("fund.due"), 0.95);
    out.push(("fund.due_p95".to_owned(), q, se));
    let (p, se) = flag(f("_fund_budget_binds"));
    out.push(("prob_fund_budget_binds".to_owned(), p, se));
    let (m, se) = mean_se(f("fund.shortfall"));
    out.push(("fund.shortfall_mean".to_owned(), m, se));
    for (d, c) in pm.deals.iter().zip(&cols.deals) {
        let (p, se) = flag(&c.data[d.layout.flag_loss]);
        out.push((format!("deals.{}.prob_loss", d.name), p, se));
    }
    for p in &pm.fund.portfolios {
        let (v, se) = flag(f(&format!("_investor_loss.{}", p.name)));
        out.push((format!("prob_investor_loss.{}", p.name), v, se));
    }
    out
}

/// Runs every grid point of `vary` on the programme.
pub fn sweep(
    lp: &LoadedProgramme,
    vary: &[Vary],
    trials: u64,
    seed: u64,
    threads: Option<usize>,
    on_point: &dyn Fn(usize, usize),
) -> Result<ProgrammeSweep, String> {
    let points = grid_points(vary);
    let total = points.len();
    let mut rows = Vec::with_capacity(total);
    for (i, p) in points.into_iter().enumerate() {
        let sets: Vec<(&str, f64)> = vary
            .iter()
            .map(|v| v.path.as_str())
            .zip(p.iter().copied())
            .collect();
        let (pm, cols) = run_point(lp, &sets, trials, seed, threads)?;
        rows.push((p, point_figures(&pm, &cols)));
        on_point(i + 1, total);
    }
    Ok(ProgrammeSweep {
        vary: vary.to_vec(),
        rows,
        trials,
        seed,
    })
}

impl ProgrammeSweep {
    /// `sweep.json`.
    pub fn to_json(&self) -> Value {
        let n = crate::summary::num;
        let points: Vec<Value> = self
            .rows
            .iter()
            .map(|(vals, figs)| {
                let mut m = Map::new();
                let values: Map<String, Value> = self
                    .vary
                    .iter()
                    .zip(vals)
                    .map(|(x, v)| (x.path.clone(), n(*v)))
                    .collect();
                m.insert("values".into(), Value::Object(values));
                for (k, v, se) in figs {
                    m.insert(k.clone(), json!({"value": n(*v), "se": n(*se)}));
                }
                Value::Object(m)
            })
            .collect();
        json!({
            "programme": true,
            "vary": self.vary.iter().map(|v| json!({"path": v.path, "lo": v.lo, "hi": v.hi, "steps": v.steps.max(2)})).collect::<Vec<_>>(),
            "trials": self.trials,
            "seed": self.seed,
            "points": points,
        })
    }

    /// `sweep.csv`: the varied values, then each figure and its standard error.
    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut head: Vec<String> = self.vary.iter().map(|v| v.path.clone()).collect();
        if let Some((_, figs)) = self.rows.first() {
            for (k, _, _) in figs {
                head.push(k.clone());
                head.push(format!("{k}_se"));
            }
        }
        // (Writing to memory cannot fail.)
        let _ = w.write_record(&head);
        let cell = |v: f64| {
            if v.is_nan() {
                String::new()
            } else {
                v.to_string()
            }
        };
        for (vals, figs) in &self.rows {
            let mut cells: Vec<String> = vals.iter().map(|v| v.to_string()).collect();
            for (_, v, se) in figs {
                cells.push(cell(*v));
                cells.push(cell(*se));
            }
            let _ = w.write_record(&cells);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// The terminal table: the varied values, the fund's figures and the
    /// cross-deal investors' P(loss).
    pub fn table(&self, lang: Lang) -> String {
        let es = lang == Lang::Es;
        let mut head: Vec<String> = self.vary.iter().map(|v| v.path.clone()).collect();
        head.extend(
            [
                ("fund cost mean", "costo fondo media"),
                ("fund cost P95", "costo fondo P95"),
                ("P(budget binds)", "P(no alcanza)"),
                ("shortfall mean", "faltante medio"),
            ]
            .map(|(en, s)| (if es { s } else { en }).to_owned()),
        );
        let portfolio_keys: Vec<String> = self
            .rows
            .first()
            .map(|(_, f)| {
                f.iter()
                    .filter(|x| x.0.starts_with("prob_investor_loss."))
                    .map(|x| x.0.clone())
                    .collect()
            })
            .unwrap_or_default();
        for k in &portfolio_keys {
            let name = &k["prob_investor_loss.".len()..];
            head.push(format!("P({} {name})", if es { "pérdida" } else { "loss" }));
        }
        let mut rows: Vec<Vec<String>> = Vec::new();
        for (vals, figs) in &self.rows {
            let g = |k: &str| {
                figs.iter()
                    .find(|f| f.0 == k)
                    .map_or((f64::NAN, f64::NAN), |f| (f.1, f.2))
            };
            let ps = |k: &str| {
                let (v, se) = g(k);
                format!("{} ±{}", pct(v, lang), pct(se, lang))
            };
            let mut r: Vec<String> = vals
                .iter()
                .map(|v| number(*v, if v.abs() >= 100.0 { 0 } else { 4 }, lang))
                .collect();
            r.push(number(g("fund.payer_cost_mean").0, 0, lang));
            r.push(number(g("fund.payer_cost_p95").0, 0, lang));
            r.push(ps("prob_fund_budget_binds"));
            r.push(number(g("fund.shortfall_mean").0, 0, lang));
            for k in &portfolio_keys {
                r.push(ps(k));
            }
            rows.push(r);
        }
        crate::report::analysis::aligned(&head, &rows)
    }
}
