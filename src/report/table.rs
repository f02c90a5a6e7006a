//! The compact summary printed by `ibsim run`, with amounts in the scenario's
//! currency and words in the chosen language.

use serde_json::Value;

use super::i18n::{Lang, pct, thousands};

/// An amount with its currency: `COP 1,234,568`.
pub fn money(x: f64, cur: &str, lang: Lang) -> String {
    format!("{cur} {}", thousands(x, lang))
}

/// Reads a number at `path` in a JSON document (NaN when absent or null).
pub fn get(v: &Value, path: &[&str]) -> f64 {
    let mut cur = v;
    for p in path {
        match cur.get(*p) {
            Some(x) => cur = x,
            None => return f64::NAN,
        }
    }
    cur.as_f64().unwrap_or(f64::NAN)
}

/// The terminal summary of a `summary.json` document.
pub fn render(
    summary: &Value,
    hurdle: f64,
    committed: Option<f64>,
    last_outcome: &str,
    lang: Lang,
) -> String {
    let s = lang.strings();
    let cur = summary["scenario"]["currency"].as_str().unwrap_or("");
    let m = |k: &str, f: &str| get(summary, &["metrics", k, f]);
    let p = |k: &str| {
        (
            get(summary, &["probabilities", k, "value"]),
            get(summary, &["probabilities", k, "se"]),
        )
    };
    let pc = |x: f64| pct(x, lang);
    let mo = |x: f64| money(x, cur, lang);
    let mut rows: Vec<(String, String)> = Vec::new();
    rows.push((
        s.investor_irr.into(),
        format!(
            "P5 {}   P50 {}   P95 {}   ({} {} ± {})",
            pc(m("investor_irr", "p5")),
            pc(m("investor_irr", "p50")),
            pc(m("investor_irr", "p95")),
            s.mean,
            pc(m("investor_irr", "mean")),
            pc(m("investor_irr", "se")),
        ),
    ));
    let (pl, pls) = p("prob_loss");
    rows.push((s.prob_loss.into(), format!("{} ± {}", pc(pl), pc(pls))));
    let (ph, phs) = p("prob_below_hurdle");
    rows.push((
        format!("{} {})", s.prob_below_hurdle, pc(hurdle)),
        format!("{} ± {}", pc(ph), pc(phs)),
    ));
    rows.push((
        s.payer_cost.into(),
        format!(
            "{} {} ± {}   P95 {}",
            s.mean,
            mo(m("payer_cost", "mean")),
            thousands(m("payer_cost", "se"), lang),
            mo(m("payer_cost", "p95"))
        ),
    ));
    rows.push((s.fee_for_service.into(), mo(m("delivery_cost", "mean"))));
    let (pb, pbs) = p("prob_budget_cap_hit");
    rows.push((s.prob_cap_hit.into(), format!("{} ± {}", pc(pb), pc(pbs))));
    let cap = get(summary, &["capital_needed", "p95"]);
    let mut capital = format!("P95 {}", mo(cap));
    if let Some(k) = committed {
        let (pg, _) = p("prob_funding_gap");
        capital.push_str(&format!(
            "   ({} {}; {} {})",
            s.committed,
            mo(k),
            s.prob_gap,
            pc(pg)
        ));
    }
    rows.push((s.capital_needed.into(), capital));
    rows.push((
        format!("{} {last_outcome}", s.cost_per),
        format!(
            "{} {}   P50 {}",
            s.mean,
            mo(m("cost_per_outcome", "mean")),
            mo(m("cost_per_outcome", "p50"))
        ),
    ));
    let rs = &summary["risk_sharing"];
    rows.push((
        s.downside.into(),
        format!(
            "{} {}   {} {}   {} {}",
            s.investors,
            mo(get(rs, &["loss_borne_by_investors"])),
            s.guarantor,
            mo(get(rs, &["loss_borne_by_guarantor"])),
            s.payer_premium,
            mo(get(rs, &["payer_premium"]))
        ),
    ));
    let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let mut out = format!(
        "{} — {} {}, {} {}, {} {}\n",
        summary["scenario"]["name"].as_str().unwrap_or(""),
        thousands(get(summary, &["trials"]), lang),
        s.trials,
        s.seed,
        summary["seed"],
        s.sampling,
        summary["sampling"].as_str().unwrap_or("")
    );
    for (k, v) in rows {
        let pad = width - k.chars().count();
        out.push_str(&format!("  {k}{}  {v}\n", " ".repeat(pad)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_in_both_languages() {
        assert_eq!(money(2.5e9, "COP", Lang::En), "COP 2,500,000,000");
        assert_eq!(money(2.5e9, "COP", Lang::Es), "COP 2.500.000.000");
    }
}
