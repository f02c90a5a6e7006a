//! The compact summary printed by `ibsim run`, with amounts in the scenario's currency.

use serde_json::Value;

/// `1234567.8` -> `1,234,568` (thousands separators, no decimals).
pub fn thousands(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let neg = x < 0.0;
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if neg && out != "0" {
        format!("-{out}")
    } else {
        out
    }
}

/// An amount with its currency: `COP 1,234,568`.
pub fn money(x: f64, cur: &str) -> String {
    format!("{cur} {}", thousands(x))
}

/// A rate as a percentage with one decimal.
pub fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", 100.0 * x)
    } else {
        "n/a".into()
    }
}

fn get(v: &Value, path: &[&str]) -> f64 {
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
pub fn render(summary: &Value, hurdle: f64, committed: Option<f64>, last_outcome: &str) -> String {
    let cur = summary["scenario"]["currency"].as_str().unwrap_or("");
    let m = |k: &str, f: &str| get(summary, &["metrics", k, f]);
    let p = |k: &str| {
        (
            get(summary, &["probabilities", k, "value"]),
            get(summary, &["probabilities", k, "se"]),
        )
    };
    let mut rows: Vec<(String, String)> = Vec::new();
    rows.push((
        "Investor IRR".into(),
        format!(
            "P5 {}   P50 {}   P95 {}   (mean {} ± {})",
            pct(m("investor_irr", "p5")),
            pct(m("investor_irr", "p50")),
            pct(m("investor_irr", "p95")),
            pct(m("investor_irr", "mean")),
            pct(m("investor_irr", "se")),
        ),
    ));
    let (pl, pls) = p("prob_loss");
    rows.push((
        "P(investors lose money)".into(),
        format!("{} ± {}", pct(pl), pct(pls)),
    ));
    let (ph, phs) = p("prob_below_hurdle");
    rows.push((
        format!("P(return below hurdle {})", pct(hurdle)),
        format!("{} ± {}", pct(ph), pct(phs)),
    ));
    rows.push((
        "Payer cost".into(),
        format!(
            "mean {} ± {}   P95 {}",
            money(m("payer_cost", "mean"), cur),
            thousands(m("payer_cost", "se")),
            money(m("payer_cost", "p95"), cur)
        ),
    ));
    rows.push((
        "Fee-for-service cost (mean)".into(),
        money(m("delivery_cost", "mean"), cur),
    ));
    let (pb, pbs) = p("prob_budget_cap_hit");
    rows.push((
        "P(budget cap hit)".into(),
        format!("{} ± {}", pct(pb), pct(pbs)),
    ));
    let cap = get(summary, &["capital_needed", "p95"]);
    let mut capital = format!("P95 {}", money(cap, cur));
    if let Some(k) = committed {
        let (pg, _) = p("prob_funding_gap");
        capital.push_str(&format!(
            "   (committed {}; P(gap) {})",
            money(k, cur),
            pct(pg)
        ));
    }
    rows.push(("Capital needed".into(), capital));
    rows.push((
        format!("Payer cost per {last_outcome}"),
        format!(
            "mean {}   P50 {}",
            money(m("cost_per_outcome", "mean"), cur),
            money(m("cost_per_outcome", "p50"), cur)
        ),
    ));
    let rs = &summary["risk_sharing"];
    rows.push((
        "Downside borne (mean/trial)".into(),
        format!(
            "investors {}   guarantor {}   payer premium {}",
            money(get(rs, &["loss_borne_by_investors"]), cur),
            money(get(rs, &["loss_borne_by_guarantor"]), cur),
            money(get(rs, &["payer_premium"]), cur)
        ),
    ));
    let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let mut out = format!(
        "{} — {} trials, seed {}, {} sampling\n",
        summary["scenario"]["name"].as_str().unwrap_or(""),
        thousands(get(summary, &["trials"])),
        summary["seed"],
        summary["sampling"].as_str().unwrap_or("")
    );
    for (k, v) in rows {
        out.push_str(&format!("  {k:<width$}  {v}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(1234567.8), "1,234,568");
        assert_eq!(thousands(-1000.0), "-1,000");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(0.2), "0");
        assert_eq!(money(2.5e9, "COP"), "COP 2,500,000,000");
    }
}
