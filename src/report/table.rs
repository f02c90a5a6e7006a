//! The compact summary printed by `ibsim run`, with amounts in the scenario's
//! currency and words in the chosen language.

use serde_json::Value;

use super::i18n::{Lang, one_decimal, pct, thousands};

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

/// An outcome some of whose successes fell after the horizon, so were never
/// paid (SPEC section 3): means per trial of `unpaid_after_horizon.<id>`
/// and of `outcome.<id>`.
pub struct Unpaid<'a> {
    /// The outcome id.
    pub id: &'a str,
    /// Mean count per trial whose cash month is at or after the horizon.
    pub unpaid: f64,
    /// Its standard error.
    pub se: f64,
    /// Mean count drawn per trial (`outcome.<id>`).
    pub drawn: f64,
}

impl Unpaid<'_> {
    /// `1,683 of 13,479 (12.5%)`.
    pub fn describe(&self, lang: Lang) -> String {
        format!(
            "{} {} {} ({})",
            count(self.unpaid, lang),
            lang.strings().of,
            count(self.drawn, lang),
            pct(self.unpaid / self.drawn, lang)
        )
    }
}

/// The outcomes of `summary` with a positive mean `unpaid_after_horizon`, in
/// the scenario's order: usually a horizon that ends before the last
/// cohorts' outcomes are paid.
pub fn unpaid_after_horizon(summary: &Value) -> Vec<Unpaid<'_>> {
    let Some(metrics) = summary["metrics"].as_object() else {
        return Vec::new();
    };
    metrics
        .iter()
        .filter_map(|(key, v)| {
            let id = key.strip_prefix("unpaid_after_horizon.")?;
            let unpaid = v["mean"].as_f64()?;
            (unpaid > 0.0).then(|| Unpaid {
                id,
                unpaid,
                se: v["se"].as_f64().unwrap_or(f64::NAN),
                drawn: get(summary, &["metrics", &format!("outcome.{id}"), "mean"]),
            })
        })
        .collect()
}

/// A mean count: whole numbers from 10 up, one decimal below.
fn count(x: f64, lang: Lang) -> String {
    if !x.is_finite() || x.abs() >= 10.0 {
        return thousands(x, lang);
    }
    one_decimal(x, lang)
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
    let unpaid = unpaid_after_horizon(summary);
    if !unpaid.is_empty() {
        let list: Vec<String> = unpaid
            .iter()
            .map(|u| format!("{} {}", u.id, u.describe(lang)))
            .collect();
        rows.push((s.unpaid_after_horizon.into(), list.join("; ")));
    }
    let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let mut out = format!(
        "{} — {} {}, {} {}, {} {}\n",
        crate::scenario::printable(summary["scenario"]["name"].as_str().unwrap_or("")),
        thousands(get(summary, &["trials"]), lang),
        s.trials,
        s.seed,
        summary["seed"],
        s.sampling,
        lang.sampling(summary["sampling"].as_str().unwrap_or(""))
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

    #[test]
    fn unpaid_after_horizon_lists_only_outcomes_with_unpaid_successes() {
        let summary = serde_json::json!({"metrics": {
            "outcome.a": {"mean": 13479.2, "se": 10.0},
            "outcome.b": {"mean": 4.0, "se": 0.1},
            "outcome.c": {"mean": 900.0, "se": 3.0},
            "unpaid_after_horizon.a": {"mean": 1683.4, "se": 2.0},
            "unpaid_after_horizon.b": {"mean": 0.3, "se": 0.01},
            "unpaid_after_horizon.c": {"mean": 0.0, "se": 0.0},
        }});
        let u = unpaid_after_horizon(&summary);
        let ids: Vec<&str> = u.iter().map(|u| u.id).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(u[0].describe(Lang::En), "1,683 of 13,479 (12.5%)");
        assert_eq!(u[1].describe(Lang::En), "0.3 of 4.0 (7.5%)");
        assert_eq!(u[1].describe(Lang::Es), "0,3 de 4,0 (7,5%)");
        assert!(unpaid_after_horizon(&serde_json::json!({})).is_empty());
    }
}
