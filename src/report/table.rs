//! The compact summary printed by `ibsim run`, with amounts in the scenario's
//! currency and words in the chosen language.

use super::i18n::{Lang, one_decimal, pct, thousands};
use crate::summary::Summary;

/// An amount with its currency: `COP 1,234,568`.
pub fn money(x: f64, cur: &str, lang: Lang) -> String {
    format!("{cur} {}", thousands(x, lang))
}

/// An outcome some of whose successes fell after the horizon, so were never
/// paid (docs/model.md, "A trial"): means per trial of `unpaid_after_horizon.<id>`
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
pub fn unpaid_after_horizon(summary: &Summary) -> Vec<Unpaid<'_>> {
    summary
        .metrics
        .iter()
        .filter_map(|(key, v)| {
            let id = key.strip_prefix("unpaid_after_horizon.")?;
            (v.mean > 0.0).then(|| Unpaid {
                id,
                unpaid: v.mean,
                se: v.se,
                drawn: summary.metric(&format!("outcome.{id}"), "mean"),
            })
        })
        .collect()
}

/// The evaluation risk of one outcome verified by a survey or an RCT
/// (docs/model.md, "Evaluation risk"), read from a summary.
pub struct EvaluationRisk<'a> {
    /// The outcome id.
    pub id: &'a str,
    /// `evaluation_error.<id>`: mean, P5 and P95.
    pub error: [f64; 3],
    /// P(payment triggered | true result below the threshold) and its se.
    pub triggered: (f64, f64),
    /// P(payment withheld | true result at the target) and its se.
    pub withheld: (f64, f64),
    /// Whether the outcome has a target (a rate outcome): `withheld` applies.
    pub has_target: bool,
}

/// The outcomes of `summary` with an evaluation risk, in the scenario's order.
pub fn evaluation_risk(summary: &Summary) -> Vec<EvaluationRisk<'_>> {
    summary
        .metrics
        .iter()
        .filter_map(|(key, v)| {
            let id = key.strip_prefix("evaluation_error.")?;
            Some(EvaluationRisk {
                id,
                error: [v.mean, v.field("p5"), v.field("p95")],
                triggered: summary
                    .probability(&format!("prob_payment_triggered_below_threshold.{id}")),
                withheld: summary.probability(&format!("prob_payment_withheld_at_target.{id}")),
                has_target: summary
                    .probabilities
                    .get(&format!("prob_payment_withheld_at_target.{id}"))
                    .is_some(),
            })
        })
        .collect()
}

/// One provider of a contract with several, as every report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderRow<'a> {
    /// Its name.
    pub name: &'a str,
    /// Means of its outcome payments and delivery cost.
    pub paid: f64,
    /// See `paid`.
    pub cost: f64,
    /// Its net: mean, P5, P95.
    pub net: [f64; 3],
    /// P(its net < 0) and its se.
    pub loss: (f64, f64),
    /// P95 of its peak cash need.
    pub capital: f64,
}

impl ProviderRow<'_> {
    /// The row's cells after the name, as numbers (money, then the
    /// probability): the columns of `Strings::c_providers`.
    pub fn values(&self) -> [f64; 7] {
        [
            self.paid,
            self.cost,
            self.net[0],
            self.net[1],
            self.net[2],
            self.loss.0,
            self.capital,
        ]
    }
}

/// The providers of `summary` (docs/model.md, "Several providers"), in the
/// scenario's order; empty for a contract without them.
pub fn providers(summary: &Summary) -> Vec<ProviderRow<'_>> {
    summary
        .metrics
        .iter()
        .filter_map(|(key, v)| {
            let name = key.strip_prefix("provider.")?.strip_suffix(".net")?;
            let m = |what: &str, f: &str| summary.metric(&format!("provider.{name}.{what}"), f);
            Some(ProviderRow {
                name,
                paid: m("paid", "mean"),
                cost: m("cost", "mean"),
                net: [v.mean, v.field("p5"), v.field("p95")],
                loss: summary.probability(&format!("prob_provider_loss.{name}")),
                capital: m("peak_cash", "p95"),
            })
        })
        .collect()
}

/// A probability with its standard error, or `n/a` when no trial met its condition.
pub fn probability_text((p, se): (f64, f64), lang: Lang) -> String {
    if p.is_finite() {
        format!("{} ± {}", pct(p, lang), pct(se, lang))
    } else {
        "n/a".into()
    }
}

/// A mean count: whole numbers from 10 up, one decimal below.
fn count(x: f64, lang: Lang) -> String {
    if !x.is_finite() || x.abs() >= 10.0 {
        return thousands(x, lang);
    }
    one_decimal(x, lang)
}

/// The spread across agencies of three figures (each agency's mean share
/// of its commitment received, P(full commitment), P(nothing)): min, P10,
/// median, P90, max over the agencies (quantiles of type 7).
pub fn across_agencies(t: &crate::summary::TransfersSummary) -> [[f64; 5]; 3] {
    let figures: [Vec<f64>; 3] = [
        t.agencies
            .iter()
            .filter(|a| a.commitment > 0.0)
            .map(|a| a.mean / a.commitment)
            .collect(),
        t.agencies.iter().map(|a| a.prob_full).collect(),
        t.agencies.iter().map(|a| a.prob_nothing).collect(),
    ];
    figures.map(|mut v| {
        v.retain(|x| x.is_finite());
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return [f64::NAN; 5];
        }
        [0.0, 0.1, 0.5, 0.9, 1.0].map(|q| crate::summary::quantile_sorted(&v, q))
    })
}

/// The terminal summary of a run.
pub fn render(
    summary: &Summary,
    hurdle: f64,
    committed: Option<f64>,
    last_outcome: &str,
    lang: Lang,
) -> String {
    let s = lang.strings_for(summary.funded_by);
    let keys = summary.funder();
    let cur = summary.scenario.currency.as_str();
    let m = |k: &str, f: &str| summary.metric(k, f);
    let p = |k: &str| summary.probability(k);
    let pc = |x: f64| pct(x, lang);
    let mo = |x: f64| money(x, cur, lang);
    let mut rows: Vec<(String, String)> = Vec::new();
    rows.push((
        s.investor_irr.into(),
        format!(
            "P5 {}   P50 {}   P95 {}   ({} {} ± {})",
            pc(m(keys.irr, "p5")),
            pc(m(keys.irr, "p50")),
            pc(m(keys.irr, "p95")),
            s.mean,
            pc(m(keys.irr, "mean")),
            pc(m(keys.irr, "se")),
        ),
    ));
    if summary.funded_by == crate::scenario::FundedBy::Provider {
        rows.push((
            s.investor_net.into(),
            format!(
                "{} {} ± {}   P5 {}   P95 {}",
                s.mean,
                mo(m(keys.net, "mean")),
                thousands(m(keys.net, "se"), lang),
                mo(m(keys.net, "p5")),
                mo(m(keys.net, "p95"))
            ),
        ));
    }
    let (pl, pls) = p(keys.prob_loss);
    rows.push((s.prob_loss.into(), format!("{} ± {}", pc(pl), pc(pls))));
    let (ph, phs) = p(keys.prob_below_hurdle);
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
    let cap = summary.capital_needed.p95;
    let mut capital = format!("P95 {}", mo(cap));
    if let Some(k) = committed {
        let (pg, _) = p(keys.prob_funding_gap);
        capital.push_str(&format!(
            "   ({} {}; {} {})",
            s.committed,
            mo(k),
            s.prob_gap,
            pc(pg)
        ));
    }
    rows.push((s.capital_needed.into(), capital));
    // (Transfers pay agencies by a rate: there is no cost per outcome.)
    if summary.transfers.is_none() {
        rows.push((
            format!("{} {last_outcome}", s.cost_per),
            format!(
                "{} {}   P50 {}",
                s.mean,
                mo(m("cost_per_outcome", "mean")),
                mo(m("cost_per_outcome", "p50"))
            ),
        ));
    }
    let rs = &summary.risk_sharing;
    let guarantor = if summary.funded_by == crate::scenario::FundedBy::Investors {
        format!("   {} {}", s.guarantor, mo(rs.loss_borne_by_guarantor))
    } else {
        String::new()
    };
    rows.push((
        s.downside.into(),
        format!(
            "{} {}{guarantor}   {} {}",
            s.investors,
            mo(rs.figure(s.funder_loss_key)),
            s.payer_premium,
            mo(rs.payer_premium)
        ),
    ));
    if summary.metrics.get("fixed_paid").is_some() {
        rows.push((
            lang.metric_label("fixed_share", &|n| n.to_owned()),
            format!(
                "{} {}   P5 {}   P95 {}   ({} {})",
                s.mean,
                pc(m("fixed_share", "mean")),
                pc(m("fixed_share", "p5")),
                pc(m("fixed_share", "p95")),
                lang.metric_label("fixed_paid", &|n| n.to_owned())
                    .to_lowercase(),
                mo(m("fixed_paid", "mean"))
            ),
        ));
    }
    if summary.metrics.get("advance_recovered").is_some() {
        rows.push((
            lang.metric_label("advance_recovered", &|n| n.to_owned()),
            format!(
                "{} {}   ({} {})",
                s.mean,
                mo(m("advance_recovered", "mean")),
                lang.metric_label("advance_repaid", &|n| n.to_owned())
                    .to_lowercase(),
                mo(m("advance_repaid", "mean"))
            ),
        ));
    }
    if let Some(t) = &summary.transfers {
        let w = &s.transfers_row;
        let pool = if t.pool.is_finite() {
            format!(" / {} {}", w[2], mo(t.pool))
        } else {
            String::new()
        };
        let (pb, pbs) = p("prob_pool_binds");
        let binds = if t.pool.is_finite() {
            format!("   {} {} ± {}", w[3], pc(pb), pc(pbs))
        } else {
            String::new()
        };
        rows.push((
            format!("{} {} {}", w[0], t.agencies.len(), w[1]),
            format!(
                "{} {}{pool}   P5 {}   P95 {}{binds}   {} {} {}   {} {}",
                s.mean,
                mo(m("transferred", "mean")),
                mo(m("transferred", "p5")),
                mo(m("transferred", "p95")),
                w[4],
                s.mean,
                count(m("agencies_paid_in_full", "mean"), lang),
                w[5],
                count(m("agencies_paid_nothing", "mean"), lang),
            ),
        ));
    }
    for p in providers(summary) {
        let c = &s.c_providers;
        rows.push((
            format!("{} {}", c[0], p.name),
            format!(
                "{} {}   P5 {}   P95 {}   {} {}   {} {}",
                c[3],
                mo(p.net[0]),
                mo(p.net[1]),
                mo(p.net[2]),
                c[6],
                probability_text(p.loss, lang),
                c[7],
                mo(p.capital)
            ),
        ));
    }
    let unpaid = unpaid_after_horizon(summary);
    if !unpaid.is_empty() {
        let list: Vec<String> = unpaid
            .iter()
            .map(|u| format!("{} {}", u.id, u.describe(lang)))
            .collect();
        rows.push((s.unpaid_after_horizon.into(), list.join("; ")));
    }
    for e in evaluation_risk(summary) {
        let c = &s.c_evaluation;
        let mut text = format!(
            "{}: {} {} (P5 {}, P95 {})   {} {}",
            e.id,
            c[1],
            mo(e.error[0]),
            mo(e.error[1]),
            mo(e.error[2]),
            c[4],
            probability_text(e.triggered, lang)
        );
        if e.has_target {
            text.push_str(&format!(
                "   {} {}",
                c[5],
                probability_text(e.withheld, lang)
            ));
        }
        rows.push((s.h_evaluation.into(), text));
    }
    let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let mut out = format!(
        "{} — {} {}, {} {}, {} {}\n",
        crate::scenario::printable(&summary.scenario.name),
        thousands(summary.trials as f64, lang),
        s.trials,
        s.seed,
        summary.seed,
        s.sampling,
        lang.sampling(&summary.sampling)
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
        let summary = with_means(&[
            ("outcome.a", 13479.2, 10.0),
            ("outcome.b", 4.0, 0.1),
            ("outcome.c", 900.0, 3.0),
            ("unpaid_after_horizon.a", 1683.4, 2.0),
            ("unpaid_after_horizon.b", 0.3, 0.01),
            ("unpaid_after_horizon.c", 0.0, 0.0),
        ]);
        let u = unpaid_after_horizon(&summary);
        let ids: Vec<&str> = u.iter().map(|u| u.id).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(u[0].describe(Lang::En), "1,683 of 13,479 (12.5%)");
        assert_eq!(u[1].describe(Lang::En), "0.3 of 4.0 (7.5%)");
        assert_eq!(u[1].describe(Lang::Es), "0,3 de 4,0 (7,5%)");
        assert!(unpaid_after_horizon(&with_means(&[])).is_empty());
    }

    /// A summary holding only these metrics' means and standard errors.
    fn with_means(metrics: &[(&str, f64, f64)]) -> Summary {
        use crate::summary::{Capital, Named, ScenarioIdentity, Stats, Tail, risk::RiskSharing};
        let nan = f64::NAN;
        let stats = |mean, se| Stats {
            mean,
            sd: nan,
            se,
            min: nan,
            max: nan,
            quantiles: [nan; 9],
            nan: 0,
        };
        Summary {
            scenario: ScenarioIdentity {
                name: String::new(),
                file: String::new(),
                sha256: String::new(),
                currency: String::new(),
            },
            trials: 0,
            seed: 0,
            sampling: "random".into(),
            model_version: crate::MODEL_VERSION,
            funded_by: crate::scenario::FundedBy::Investors,
            metrics: Named(
                metrics
                    .iter()
                    .map(|&(k, m, se)| (k.to_owned(), stats(m, se)))
                    .collect(),
            ),
            probabilities: Named::default(),
            tail: Tail {
                cvar95_investor_net: nan,
                cvar95_provider_margin: None,
            },
            capital_needed: Capital {
                p90: nan,
                p95: nan,
                p99: nan,
            },
            risk_sharing: RiskSharing {
                deciles: Vec::new(),
                loss_borne_by_investors: nan,
                loss_borne_by_guarantor: nan,
                payer_premium: nan,
                loss_borne_by_provider: None,
            },
            transfers: None,
        }
    }
}
