//! A programme's `summary.json` (docs/model.md, "Programmes"): the fund's
//! figures under keys that start with `fund`, and each deal's own summary.

use serde_json::{Value, json};

use crate::report::i18n::{Lang, pct, thousands};

use super::run::{ProgrammeColumns, ProgrammeModel};
use crate::summary::{RunIdentity, prob_se, quantile_sorted, stats, summarize};

/// The share of trials in the fund's tail: the 5% of highest fund cost.
const TAIL: f64 = 0.05;

/// Trials in the upper tail of `values` (the ceil(5% n) highest, ties by
/// trial index), for the tail mean and its contributions.
fn upper_tail(values: &[f64]) -> Vec<usize> {
    let n = values.len();
    let k = ((n as f64 * TAIL).ceil() as usize)
        .clamp(1, n.max(1))
        .min(n);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    order.truncate(k);
    order
}

/// The P95 of `values` (type 7).
fn p95(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    quantile_sorted(&v, 0.95)
}

/// `summary.json` of a programme run; `file` is the programme file as named.
pub fn summarize_programme(pm: &ProgrammeModel, cols: &ProgrammeColumns, file: &str) -> Value {
    let fund = &cols.fund;
    let col = |name: &str| fund.column(name).unwrap_or_default();
    let n = fund.len() as u64;
    let mut metrics = serde_json::Map::new();
    let payer_columns = fund
        .names
        .iter()
        .filter(|n| n.starts_with("fund.payer_cost."));
    for name in super::run::FUND_COLUMNS
        .iter()
        .copied()
        .chain(payer_columns.map(String::as_str))
    {
        metrics.insert(
            name.into(),
            serde_json::to_value(stats(col(name))).unwrap_or_default(),
        );
    }
    let (binds, binds_se) = prob_se(col("_fund_budget_binds").iter().map(|&f| f != 0.0));
    // The budget that would have covered what the deals made due in 90%,
    // 95% and 99% of trials.
    let mut due = col("fund.due").to_vec();
    due.sort_unstable_by(f64::total_cmp);
    let coverage = json!({
        "p90": quantile_sorted(&due, 0.90),
        "p95": quantile_sorted(&due, 0.95),
        "p99": quantile_sorted(&due, 0.99),
    });
    // The fund's tail: the trials of its 5% highest cost; each deal's
    // contribution is its mean cost over those trials (the Euler allocation
    // of the tail mean), so the contributions add up to the tail mean.
    let cost = col("fund.payer_cost");
    let tail = upper_tail(cost);
    let mean_over = |v: &[f64]| {
        if tail.is_empty() {
            f64::NAN
        } else {
            tail.iter().map(|&i| v[i]).sum::<f64>() / tail.len() as f64
        }
    };
    let mut contributions = serde_json::Map::new();
    let mut deal_p95_sum = 0.0;
    for (d, c) in pm.deals.iter().zip(&cols.deals) {
        let own = &c.data[d.layout.payer_cost];
        contributions.insert(d.name.clone(), json!(mean_over(own)));
        deal_p95_sum += p95(own);
    }
    let fund_p95 = p95(cost);
    // Investors in several deals: their portfolio's figures.
    let investors: serde_json::Map<String, Value> = pm
        .fund
        .portfolios
        .iter()
        .map(|p| {
            let mut m = serde_json::Map::new();
            for what in ["irr", "moic", "net"] {
                let key = format!("investor.{}.{what}", p.name);
                m.insert(
                    key.clone(),
                    serde_json::to_value(stats(col(&key))).unwrap_or_default(),
                );
            }
            let (v, se) = prob_se(
                col(&format!("_investor_loss.{}", p.name))
                    .iter()
                    .map(|&f| f != 0.0),
            );
            (
                p.name.clone(),
                json!({
                    "deals": p.deals,
                    "metrics": m,
                    "probabilities": {
                        format!("prob_investor_loss.{}", p.name): {"value": v, "se": se},
                    },
                }),
            )
        })
        .collect();
    let deals: serde_json::Map<String, Value> = pm
        .deals
        .iter()
        .zip(&cols.deals)
        .map(|(d, c)| {
            let id = RunIdentity {
                name: d.model.name.clone(),
                file: d.name.clone(),
                sha256: String::new(),
                currency: d.model.currency.clone(),
                trials: n,
                seed: d.model.seed,
                sampling: d.model.sampling.as_str().into(),
            };
            let mut s = summarize(&d.model, c, &id).to_json();
            if let Some(o) = s.as_object_mut() {
                o.insert("start_month".into(), json!(d.start));
            }
            (d.name.clone(), s)
        })
        .collect();
    json!({
        "model_version": crate::MODEL_VERSION,
        "programme": {
            "name": pm.name,
            "file": file,
            "currency": pm.currency,
            "trials": n,
            "seed": pm.seed,
            "deals": pm.deals.iter().map(|d| d.name.clone()).collect::<Vec<_>>(),
        },
        "fund": {
            "budget_cap": if pm.budget_cap.is_finite() { json!(pm.budget_cap) } else { Value::Null },
            "metrics": metrics,
            "probabilities": {
                "prob_fund_budget_binds": {"value": binds, "se": binds_se},
            },
            "budget_for_coverage": coverage,
            "tail": {
                "p95_payer_cost": fund_p95,
                "tail_mean_payer_cost": mean_over(cost),
                "contributions": contributions,
            },
            "diversification": {
                "p95_payer_cost": fund_p95,
                "sum_of_deal_p95": deal_p95_sum,
                "benefit": deal_p95_sum - fund_p95,
            },
        },
        "investors": investors,
        "deals": deals,
    })
}

/// The fund's table for the terminal, from a programme's `summary.json`.
pub fn render(summary: &Value, lang: Lang) -> String {
    let es = lang == Lang::Es;
    let pick = |en: &'static str, es_text: &'static str| if es { es_text } else { en };
    let f = &summary["fund"];
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let cur = summary["programme"]["currency"]
        .as_str()
        .unwrap_or_default();
    let mo = |x: f64| format!("{cur} {}", thousands(x, lang));
    let metric = |k: &str, q: &str| num(&f["metrics"][k][q]);
    let mut rows: Vec<(String, String)> = Vec::new();
    for (key, en, es_text) in [
        (
            "fund.due",
            "Fund: due for outcomes",
            "Fondo: adeudado por resultados",
        ),
        (
            "fund.payer_cost",
            "Fund: payers' cost",
            "Fondo: costo de los pagadores",
        ),
    ] {
        rows.push((
            pick(en, es_text).into(),
            format!(
                "{} {}   P5 {}   P95 {}",
                pick("mean", "media"),
                mo(metric(key, "mean")),
                mo(metric(key, "p5")),
                mo(metric(key, "p95"))
            ),
        ));
    }
    if let Some(cap) = f["budget_cap"].as_f64() {
        let p = &f["probabilities"]["prob_fund_budget_binds"];
        rows.push((
            pick("Fund budget", "Presupuesto del fondo").into(),
            format!(
                "{}   {} {} ± {}   {} {}",
                mo(cap),
                pick("P(it binds)", "P(no alcanza)"),
                pct(num(&p["value"]), lang),
                pct(num(&p["se"]), lang),
                pick("mean shortfall", "faltante medio"),
                mo(metric("fund.shortfall", "mean"))
            ),
        ));
    }
    let c = &f["budget_for_coverage"];
    rows.push((
        pick(
            "Budget for 90/95/99% of trials",
            "Presupuesto para 90/95/99% de simulaciones",
        )
        .into(),
        format!(
            "{} / {} / {}",
            mo(num(&c["p90"])),
            mo(num(&c["p95"])),
            mo(num(&c["p99"]))
        ),
    ));
    let d = &f["diversification"];
    rows.push((
        pick("Diversification (P95 cost)", "Diversificación (costo P95)").into(),
        format!(
            "{} {}   {} {}   {} {}",
            pick("fund", "fondo"),
            mo(num(&d["p95_payer_cost"])),
            pick("sum of deals", "suma de contratos"),
            mo(num(&d["sum_of_deal_p95"])),
            pick("benefit", "beneficio"),
            mo(num(&d["benefit"]))
        ),
    ));
    let t = &f["tail"];
    rows.push((
        pick(
            "Worst 5% of fund cost (mean)",
            "Peor 5% del costo del fondo (media)",
        )
        .into(),
        mo(num(&t["tail_mean_payer_cost"])),
    ));
    if let Some(ms) = f["metrics"].as_object() {
        for (key, m) in ms {
            if let Some(payer) = key.strip_prefix("fund.payer_cost.") {
                rows.push((
                    format!("{} {payer}", pick("Payer", "Pagador")),
                    format!(
                        "{} {}   P95 {}",
                        pick("mean", "media"),
                        mo(num(&m["mean"])),
                        mo(num(&m["p95"]))
                    ),
                ));
            }
        }
    }
    if let Some(inv) = summary["investors"].as_object() {
        for (name, v) in inv {
            let m = |w: &str, q: &str| num(&v["metrics"][format!("investor.{name}.{w}")][q]);
            let in_deals: Vec<&str> = v["deals"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            rows.push((
                format!(
                    "{} {name} ({})",
                    pick("Investor", "Inversionista"),
                    in_deals.join(", ")
                ),
                format!(
                    "{} P50 {}   {} {}   {} {}",
                    pick("IRR", "TIR"),
                    pct(m("irr", "p50"), lang),
                    pick("P(loss)", "P(pérdida)"),
                    pct(
                        num(&v["probabilities"][format!("prob_investor_loss.{name}")]["value"]),
                        lang
                    ),
                    pick("net mean", "neto medio"),
                    mo(m("net", "mean"))
                ),
            ));
        }
    }
    let deals = summary["deals"].as_object().cloned().unwrap_or_default();
    for (name, s) in &deals {
        let share = num(&t["contributions"][name]);
        let m = |k: &str, q: &str| num(&s["metrics"][k][q]);
        let net_key = if s["funded_by"] == "provider" {
            "provider.margin"
        } else {
            "investor_net"
        };
        rows.push((
            format!("{} {name}", pick("Deal", "Contrato")),
            format!(
                "{} {} {}   P95 {}   {} {}   {} {}",
                pick("payers' cost", "costo pagadores"),
                pick("mean", "media"),
                mo(m("payer_cost", "mean")),
                mo(m("payer_cost", "p95")),
                pick("in the worst 5%", "en el peor 5%"),
                mo(share),
                pick("funder's net mean", "neto medio del financiador"),
                mo(m(net_key, "mean"))
            ),
        ));
    }
    let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let p = &summary["programme"];
    let mut out = format!(
        "{} — {} {}, {} {}, {} {}\n",
        crate::scenario::printable(p["name"].as_str().unwrap_or_default()),
        thousands(num(&p["trials"]), lang),
        pick("trials", "simulaciones"),
        pick("seed", "semilla"),
        p["seed"],
        deals.len(),
        pick("deals", "contratos")
    );
    for (k, v) in rows {
        out.push_str(&format!("  {k:<width$}  {v}\n"));
    }
    out
}
