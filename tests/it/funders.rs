//! Who funds the contract (docs/model.md, "Who funds the contract"): a
//! provider carrying the risk itself, the fixed part of the price and an
//! advance recovered from results, each on a hand-computed deal, and the
//! provider's keys in the summary and the reports.

use crate::common::library::{close, deterministic};
use crate::common::{stdout, tempdir, write};

/// A deterministic contract: 100 participants in month 0 all succeed,
/// verified in month 3 and paid 1,000 each then (100,000). Costs: 30,000
/// upfront and 5,000 a month in months 0-5 (60,000). The payers also pay a
/// fixed part of 2,000 a month in months 0-5 (12,000). `extra` adds to
/// `payment`, `finance` replaces the funding.
fn contract(extra: &str, finance: &str) -> String {
    format!(
        "
name: provider at risk
currency: USD
horizon_months: 12
cohorts: [{{name: c1, start_month: 0, size: 100}}]
outcomes:
  - {{id: job, rate: 1, lag_months: 3, price: 1000}}
costs: {{upfront: 30000, fixed_monthly: 5000, fixed_months: [0, 6]}}
payment:
  fixed_monthly: 2000
  fixed_months: [0, 6]
  discount_rate: 0.12
{extra}
finance:
{finance}
simulation: {{trials: 8, seed: 1}}
"
    )
}

const PROVIDER: &str = "  funded_by: provider\n  hurdle_irr: 0.1";

/// The payers' discount factor of month `t` (12% a year).
fn discount(t: f64) -> f64 {
    1.12f64.powf(-t / 12.0)
}

/// The present value to the payers of the fixed part: 2,000 in months 0-5.
fn fixed_part_pv() -> f64 {
    (0..6).map(|t| 2_000.0 * discount(f64::from(t))).sum()
}

/// The annual IRR's monthly rate makes the flows' NPV zero.
fn npv_at(annual: f64, flows: &[(f64, f64)]) -> f64 {
    let r = (1.0 + annual).powf(1.0 / 12.0);
    flows.iter().map(|(t, f)| f / r.powf(*t)).sum()
}

#[test]
fn a_provider_at_risk_with_an_advance() {
    // Month 0: the fixed 2,000 and the advance 20,000 pay 22,000 of the
    // 35,000 cost; the provider puts in 13,000. Months 1-2: 3,000 each.
    // Month 3: 100,000 is due; half of it (50,000) may be withheld, so the
    // whole advance (20,000) is recovered; 80,000 + 2,000 - 5,000 = 77,000
    // goes to the provider (its 19,000 back and 58,000). Months 4-5: 3,000
    // each. Outlay 25,000, back 77,000, margin 52,000 = 112,000 paid by
    // the payers less 60,000 of costs; peak cash need 19,000 (months 2-3).
    let (m, summary) = deterministic(&contract(
        "  advance: {amount: 20000, month: 0, recovery: 0.5}",
        PROVIDER,
    ));
    close("provider.outlay", m("provider.outlay"), 25_000.0);
    close("provider.margin", m("provider.margin"), 52_000.0);
    close("provider.moic", m("provider.moic"), 77_000.0 / 25_000.0);
    close("provider.peak_cash", m("provider.peak_cash"), 19_000.0);
    close("advance_recovered", m("advance_recovered"), 20_000.0);
    close("advance_repaid", m("advance_repaid"), 0.0);
    close("fixed_paid", m("fixed_paid"), 12_000.0);
    close("fixed_share", m("fixed_share"), 12_000.0 / 112_000.0);
    close("payer_cost", m("payer_cost"), 112_000.0);
    close("delivery_cost", m("delivery_cost"), 60_000.0);
    let flows = [
        (0.0, -13_000.0),
        (1.0, -3_000.0),
        (2.0, -3_000.0),
        (3.0, 77_000.0),
        (4.0, -3_000.0),
        (5.0, -3_000.0),
    ];
    let irr = m("provider.irr");
    assert!(irr > 0.0 && npv_at(irr, &flows).abs() < 1e-6, "IRR {irr}");
    close("provider.npv", m("provider.npv"), npv_at(0.1, &flows));
    // The payers pay the advance in month 0 and get it back in month 3.
    let (d, fixed_pv) = (discount, fixed_part_pv());
    close(
        "payer_cost_pv",
        m("payer_cost_pv"),
        fixed_pv + 20_000.0 * d(0.0) + 80_000.0 * d(3.0),
    );
    // The summary names the provider.
    assert_eq!(summary["funded_by"], "provider");
    for k in [
        "investor_irr",
        "investor_net",
        "peak_funding",
        "tranche.provider.irr",
    ] {
        assert!(
            summary["metrics"].get(k).is_none(),
            "{k} in a provider-funded summary"
        );
    }
    for k in ["guarantee_paid", "provider_bonus", "excess"] {
        assert!(summary["metrics"].get(k).is_none(), "{k} without investors");
    }
    let probs = &summary["probabilities"];
    assert_eq!(probs["prob_provider_loss"]["value"], 0.0);
    assert!(probs.get("prob_loss").is_none() && probs.get("prob_guarantee_called").is_none());
    assert_eq!(summary["tail"]["cvar95_investor_net"], 0.0);
    assert_eq!(summary["tail"]["cvar95_provider_margin"], 52_000.0);
    assert_eq!(summary["risk_sharing"]["loss_borne_by_investors"], 0.0);
    assert_eq!(summary["risk_sharing"]["loss_borne_by_provider"], 0.0);
    assert_eq!(
        summary["risk_sharing"]["deciles"][0]["provider_margin"],
        52_000.0
    );
    assert_eq!(summary["capital_needed"]["p95"], 19_000.0);
}

#[test]
fn an_advance_eases_the_cash_need_and_what_results_do_not_recover_is_repaid() {
    // Without the advance the provider puts in 33,000 in month 0: peak
    // 39,000, the same margin.
    let (none, _) = deterministic(&contract("", PROVIDER));
    close("provider.peak_cash", none("provider.peak_cash"), 39_000.0);
    close("provider.outlay", none("provider.outlay"), 45_000.0);
    close("provider.margin", none("provider.margin"), 52_000.0);
    // Recovering 10% of each payment takes back 10,000 in month 3; the
    // other 10,000 is repaid in month 11, out of the provider's pocket (it
    // was paid out in month 3): the margin is unchanged, the payers' money
    // comes back later.
    let (m, _) = deterministic(&contract(
        "  advance: {amount: 20000, month: 0, recovery: 0.1}",
        PROVIDER,
    ));
    close("advance_recovered", m("advance_recovered"), 10_000.0);
    close("advance_repaid", m("advance_repaid"), 10_000.0);
    close("provider.margin", m("provider.margin"), 52_000.0);
    close("provider.outlay", m("provider.outlay"), 35_000.0);
    close("provider.peak_cash", m("provider.peak_cash"), 19_000.0);
    close("payer_cost", m("payer_cost"), 112_000.0);
    let (d, fixed_pv) = (discount, fixed_part_pv());
    close(
        "payer_cost_pv",
        m("payer_cost_pv"),
        fixed_pv + 20_000.0 + 90_000.0 * d(3.0) - 10_000.0 * d(11.0),
    );
    // An advance paid in month 4 is recovered from nothing (the only
    // payment came before it) and repaid in full at the end.
    let (late, _) = deterministic(&contract(
        "  advance: {amount: 20000, month: 4, recovery: 1}",
        PROVIDER,
    ));
    close("advance_recovered", late("advance_recovered"), 0.0);
    close("advance_repaid", late("advance_repaid"), 20_000.0);
    close("provider.margin", late("provider.margin"), 52_000.0);
}

#[test]
fn an_advance_in_an_investor_funded_deal_is_never_returned_as_excess() {
    // One tranche capped at 0%: its capital back is all it may take. The
    // advance of 50,000 and the fixed 2,000 pay month 0's 35,000 of costs;
    // 17,000 waits in the account (it is owed back) and pays months 1-2
    // (3,000 each). Month 3: of the 100,000 due, all 50,000 still owed is
    // withheld, so the account holds 11,000 + 50,000 + 2,000 - 5,000 =
    // 58,000; months 4-5 take 6,000 and the 52,000 left goes back to the
    // payers at the end. Investors never put money in: the payers pay the
    // delivery cost, 60,000.
    let cap0 = "  tranches: [{name: fund, share: 1, cap_irr: 0}]";
    let advance = "  advance: {amount: 50000, month: 0, recovery: 1}";
    let (m, _) = deterministic(&contract(advance, cap0));
    close("investor_contributions", m("investor_contributions"), 0.0);
    close("advance_recovered", m("advance_recovered"), 50_000.0);
    close("excess", m("excess"), 52_000.0);
    close("payer_cost", m("payer_cost"), 60_000.0);
    close("investor_net", m("investor_net"), 0.0);
    // Settling excess every month, the 17,000 of month 0 still stays (it is
    // owed back); 58,000 leaves in month 3, and only months 4-5 need the
    // investors (6,000, never repaid: monthly settlement's flaw).
    let (monthly, _) = deterministic(&contract(
        advance,
        &format!("{cap0}\n  excess_settlement: monthly"),
    ));
    close(
        "investor_contributions",
        monthly("investor_contributions"),
        6_000.0,
    );
    close("excess", monthly("excess"), 58_000.0);
    close("payer_cost", monthly("payer_cost"), 112_000.0 - 58_000.0);
}

#[test]
fn the_terminal_and_the_report_name_the_provider_in_both_languages() {
    let dir = tempdir("provider-words");
    let f = write(
        &dir,
        "provider.yaml",
        &contract(
            "  advance: {amount: 20000, month: 0, recovery: 0.5}",
            PROVIDER,
        ),
    );
    for (lang, words, never) in [
        (
            "en",
            [
                "Provider IRR on its outlay",
                "P(provider loses money)",
                "Provider margin",
            ],
            "nvestor",
        ),
        (
            "es",
            [
                "TIR del operador sobre sus aportes",
                "P(el operador pierde dinero)",
                "Margen del operador",
            ],
            "nversionista",
        ),
    ] {
        let out_dir = dir.join(lang);
        let out = crate::common::run_in_language(&f, &out_dir, lang);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            crate::common::stderr(&out)
        );
        let text = stdout(&out);
        let html = std::fs::read_to_string(out_dir.join("provider/report.html")).unwrap();
        for w in words {
            assert!(text.contains(w), "{lang}: `{w}` not in\n{text}");
            assert!(html.contains(w), "{lang}: `{w}` not in the report");
        }
        assert!(
            !text.contains(never),
            "{lang}: the terminal names investors:\n{text}"
        );
        assert!(!html.contains(never), "{lang}: the report names investors");
    }
}

#[test]
fn provider_funded_contracts_give_the_same_bytes_for_any_threads_and_shards() {
    crate::common::same_bytes_for_any_threads_and_shards("barranquilla-maternal-health");
}

#[test]
fn the_bundled_provider_funded_contract_keeps_every_invariant() {
    let path = crate::common::root().join("scenarios/barranquilla-maternal-health.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    crate::common::invariants::every_trial(&text, 500).unwrap_or_else(|e| panic!("{e}"));
}
