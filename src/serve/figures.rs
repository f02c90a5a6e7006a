//! What the deal room shows: a scenario's terms as controls, a run's
//! headline figures with their standard errors and their difference from
//! the starting terms on the same trials, the charts, and the edited
//! scenario written back as YAML.

use serde_json::{Value, json};

use crate::analysis::target::quantile_with_se;
use crate::engine::Layout;
use crate::engine::runner::TrialColumns;
use crate::model::Model;
use crate::report::i18n::Lang;
use crate::scenario::Scenario;
use crate::summary::{RunIdentity, mean_se, prob_se, summarize};

/// Path segments whose numbers are timing, sizes of the evaluation or run
/// settings rather than terms to negotiate.
const NOT_TERMS: [&str; 13] = [
    "simulation",
    "sources",
    "horizon_months",
    "start_month",
    "lag_months",
    "months",
    "from_month",
    "fixed_months",
    "first_month",
    "every_months",
    "verification",
    "seniority",
    "segments_of",
];
/// Most controls in one group (a long list of agencies shows its first ones).
const PER_GROUP: usize = 40;

/// The scenario's numbers a page may change, as
/// `[{group, path, label, value}]`, grouped by the part of the deal they
/// belong to (`outcomes.placement`, `payment`, `finance.tranches.senior`, ...).
pub fn terms(s: &Scenario) -> Vec<Value> {
    let v = serde_json::to_value(s).unwrap_or_default();
    let mut out = Vec::new();
    walk_terms(&v, &mut Vec::new(), &mut out);
    let mut counts: Vec<(String, usize)> = Vec::new();
    out.retain(|t| {
        let g = t["group"].as_str().unwrap_or_default().to_owned();
        match counts.iter_mut().find(|(n, _)| *n == g) {
            Some((_, c)) => {
                *c += 1;
                *c <= PER_GROUP
            }
            None => {
                counts.push((g, 1));
                true
            }
        }
    });
    out
}

/// The numbers under `v` (found at `at`) as terms, appended to `out`.
pub(crate) fn walk_terms(v: &Value, at: &mut Vec<String>, out: &mut Vec<Value>) {
    match v {
        Value::Number(n) => {
            if at.iter().any(|s| NOT_TERMS.contains(&s.as_str())) {
                return;
            }
            // The group: the top-level key and the item it is in.
            let split = if at.len() > 2 && !at[1].chars().all(|c| c.is_ascii_digit()) {
                2
            } else {
                1
            };
            let split =
                if at.first().is_some_and(|k| k == "finance" || k == "payment") && at.len() > 3 {
                    3
                } else {
                    split.min(at.len() - 1)
                };
            out.push(json!({
                "group": at[..split].join("."),
                "path": at.join("."),
                "label": at[split..].join("."),
                "value": n.as_f64(),
            }));
        }
        Value::Object(m) => {
            for (k, x) in m {
                at.push(k.clone());
                walk_terms(x, at, out);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                let key = x
                    .get("id")
                    .or_else(|| x.get("name"))
                    .and_then(Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_owned);
                at.push(key);
                walk_terms(x, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

/// A figure of the page: its key, labels, value and standard error, and
/// how it is shown (`pct`, `money`).
struct Figure {
    key: &'static str,
    en: &'static str,
    es: &'static str,
    kind: &'static str,
}

const FIGURES: [Figure; 8] = [
    Figure {
        key: "irr_p50",
        en: "Funder's IRR (median)",
        es: "TIR del financiador (mediana)",
        kind: "pct",
    },
    Figure {
        key: "prob_loss",
        en: "P(funder loses money)",
        es: "P(el financiador pierde)",
        kind: "pct",
    },
    Figure {
        key: "net_mean",
        en: "Funder's net (mean)",
        es: "Neto del financiador (media)",
        kind: "money",
    },
    Figure {
        key: "payer_cost_mean",
        en: "Payers' cost (mean)",
        es: "Costo de los pagadores (media)",
        kind: "money",
    },
    Figure {
        key: "payer_cost_p95",
        en: "Payers' cost (P95)",
        es: "Costo de los pagadores (P95)",
        kind: "money",
    },
    Figure {
        key: "capital_p95",
        en: "Capital needed (P95)",
        es: "Capital necesario (P95)",
        kind: "money",
    },
    Figure {
        key: "prob_budget_cap_hit",
        en: "P(budget cap binds)",
        es: "P(el tope de presupuesto se alcanza)",
        kind: "pct",
    },
    Figure {
        key: "prob_below_hurdle",
        en: "P(below the hurdle)",
        es: "P(bajo la tasa mínima)",
        kind: "pct",
    },
];

/// What each figure reads on `cols`.
fn measure(model: &Model, cols: &TrialColumns) -> Vec<Reading> {
    let l = Layout::new(model);
    let keys = l.funder;
    let col = |name: &str| cols.column(name).unwrap_or_default().to_vec();
    let flag = |i: usize| cols.data[i].clone();
    let readings = [
        Reading::Quantile(col(keys.irr), 0.5),
        Reading::Flag(flag(l.flag_loss)),
        Reading::Mean(col(keys.net)),
        Reading::Mean(cols.data[l.payer_cost].clone()),
        Reading::Quantile(cols.data[l.payer_cost].clone(), 0.95),
        Reading::Quantile(col(keys.peak), 0.95),
        Reading::Flag(flag(l.budget_cap_hit)),
        Reading::Flag(flag(l.flag_below_hurdle)),
    ];
    readings.into()
}

/// What a figure reads from the trials.
pub(crate) enum Reading {
    /// The mean of a column.
    Mean(Vec<f64>),
    /// The probability of a flag (non-zero).
    Flag(Vec<f64>),
    /// A quantile of a column.
    Quantile(Vec<f64>, f64),
}

impl Reading {
    /// The figure and its standard error.
    pub(crate) fn value(&self) -> (f64, f64) {
        match self {
            Reading::Mean(v) => mean_se(v),
            Reading::Flag(v) => prob_se(v.iter().map(|f| *f != 0.0)),
            Reading::Quantile(v, q) => quantile_with_se(v, *q),
        }
    }

    /// The difference from `base` on the same trials and its standard
    /// error: paired for means and probabilities; for a quantile, the two
    /// standard errors combined as if independent (an upper bound when the
    /// runs move together, as common random numbers make them).
    pub(crate) fn difference(&self, base: &Reading) -> (f64, f64) {
        let paired = |a: &[f64], b: &[f64], f: &dyn Fn(f64) -> f64| {
            let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| f(*x) - f(*y)).collect();
            let finite: Vec<f64> = d.into_iter().filter(|x| x.is_finite()).collect();
            mean_se(&finite)
        };
        match (self, base) {
            (Reading::Mean(a), Reading::Mean(b)) => paired(a, b, &|x| x),
            (Reading::Flag(a), Reading::Flag(b)) => {
                paired(a, b, &|x| f64::from(u8::from(x != 0.0)))
            }
            (Reading::Quantile(..), Reading::Quantile(..)) => {
                let ((a, sa), (b, sb)) = (self.value(), base.value());
                (a - b, (sa * sa + sb * sb).sqrt())
            }
            _ => (f64::NAN, f64::NAN),
        }
    }
}

/// One row of the page's figures: the figure now and at the starting
/// terms, with the paired difference.
pub(crate) fn figure_row(
    key: &str,
    label: &str,
    kind: &str,
    now: &Reading,
    before: &Reading,
) -> Value {
    let n = crate::summary::num;
    let (v, se) = now.value();
    let (bv, bse) = before.value();
    let (d, dse) = now.difference(before);
    json!({
        "key": key,
        "label": label,
        "kind": kind,
        "value": n(v),
        "se": n(se),
        "start": n(bv),
        "start_se": n(bse),
        "difference": n(d),
        "difference_se": n(dse),
    })
}

/// The page's headline figures for a run of the edited terms (`model`,
/// `cols`) against the starting terms (`base_model`, `base`).
pub fn headline(
    model: &Model,
    cols: &TrialColumns,
    base_model: &Model,
    base: &TrialColumns,
    lang: Lang,
) -> Vec<Value> {
    let now = measure(model, cols);
    let before = measure(base_model, base);
    FIGURES
        .iter()
        .zip(now.iter().zip(&before))
        .map(|(f, (r, br))| {
            figure_row(
                f.key,
                if lang == Lang::Es { f.es } else { f.en },
                f.kind,
                r,
                br,
            )
        })
        .collect()
}

/// The page's charts of a run: the IRR histogram, the payers' cost, the
/// funding fan and the risk sharing, as `[{name, title, svg}]`.
pub fn charts(
    model: &Model,
    cols: &TrialColumns,
    file: &str,
    lang: Lang,
) -> Result<Vec<Value>, String> {
    let id = RunIdentity {
        name: model.name.clone(),
        file: file.to_owned(),
        sha256: String::new(),
        currency: model.currency.clone(),
        trials: cols.len() as u64,
        seed: model.seed,
        sampling: model.sampling.as_str().into(),
    };
    let summary = summarize(model, cols, &id);
    let account = crate::report::account::AccountBands::of(cols);
    let wanted = [
        "irr_histogram",
        "payer_cost_histogram",
        "funding_fan",
        "risk_sharing",
    ];
    let charts =
        crate::report::charts::render_only(model, cols, &account, &summary, lang, false, &|n| {
            wanted.contains(&n)
        })?;
    Ok(charts
        .into_iter()
        .map(|c| json!({"name": c.name, "title": c.title, "svg": c.svg}))
        .collect())
}

/// The edited scenario as a YAML file: see [`yaml_file`].
pub fn to_yaml(s: &Scenario, from: &str, sets: &serde_json::Map<String, Value>) -> String {
    yaml_file(s, from, sets)
}

/// An edited file as YAML: a comment saying where it came from and what
/// changed, then the file's value (in JSON's syntax, which YAML reads as it
/// is, should the YAML writer fail).
pub(crate) fn yaml_file<T: serde::Serialize>(
    value: &T,
    from: &str,
    sets: &serde_json::Map<String, Value>,
) -> String {
    let mut out = format!("# Edited in ibsim's deal room from {from}.\n");
    for (k, v) in sets {
        out.push_str(&format!("# {k} = {v}\n"));
    }
    match serde_saphyr::to_string(value) {
        Ok(y) => out.push_str(&y),
        Err(_) => out.push_str(&serde_json::to_string_pretty(value).unwrap_or_default()),
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}
