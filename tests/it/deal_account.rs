//! The deal account (docs/model.md, "The deal account"): settlement of excess and
//! distribution schedules. Old numbers stay reachable bit for bit,
//! hand-computed deals for each rule, and properties over random deals.

use crate::common::library::{self, close};

use ibsim::model::Model;
use ibsim::scenario::{Distributions, ExcessSettlement};
use serde_json::Value;

/// Every scenario of model version 5 (the bundled scenarios, the `init`
/// templates and three variants: no recycling, excess to the provider with
/// a success share and LHS, an uncapped junior tranche), run with
/// `excess_settlement: monthly` and `distributions: monthly` added, gives its
/// stored version 5 `summary.json` (everything but `model_version`): bit
/// for bit up to version 6, and to 1e-9 relative since version 7 moved the
/// last bits of the math library's functions.
#[test]
fn monthly_settlement_reproduces_model_version_5() {
    let dir = crate::common::root().join("tests/data/model-v5");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "yaml").then(|| p.file_stem().unwrap().to_string_lossy().into())
        })
        .collect();
    names.sort();
    assert!(names.len() >= 14, "{names:?}");
    for name in names {
        let text = std::fs::read_to_string(dir.join(format!("{name}.yaml"))).unwrap();
        let old: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(old["model_version"], 5);
        let mut loaded = ibsim::scenario::parse_str(&text, &format!("{name}.yaml"))
            .unwrap_or_else(|d| panic!("{name}: {}", d[0]));
        assert_eq!(loaded.scenario.finance.excess_settlement, None);
        loaded.scenario.finance.excess_settlement = Some(ExcessSettlement::Monthly);
        loaded.scenario.finance.distributions = Some(Distributions::Monthly);
        let model = Model::compile(&loaded.scenario);
        assert!(!model.account_holds);
        let trials = old["trials"].as_u64().unwrap();
        let cols = ibsim::engine::runner::simulate(
            &model,
            &library::draws(&model, trials),
            0..trials,
            Some(2),
            &|_| {},
        )
        .unwrap();
        let sc = &old["scenario"];
        let id = ibsim::summary::RunIdentity {
            name: sc["name"].as_str().unwrap().into(),
            file: sc["file"].as_str().unwrap().into(),
            sha256: sc["sha256"].as_str().unwrap().into(),
            currency: sc["currency"].as_str().unwrap().into(),
            trials,
            seed: old["seed"].as_u64().unwrap(),
            sampling: old["sampling"].as_str().unwrap().into(),
        };
        let mut new = ibsim::summary::summarize(&model, &cols, &id).to_json();
        new["model_version"] = old["model_version"].clone();
        // Model version 7 takes its logarithms, exponentials and powers from
        // a platform-independent library: the same numbers to about 1e-12.
        if let Some(key) = first_apart(&old, &new, String::new()) {
            panic!("{name}: not the version 5 summary (to 1e-9 relative) at {key}");
        }
    }
}

/// A deterministic deal whose tranche reaches its cap mid-contract and then
/// faces fixed costs: 100 participants all succeed, paid 1,000 each in month
/// 2 (100,000); costs are 50,000 upfront and 5,000 a month in months 3-11.
/// One tranche capped at 1% a month (`cap_irr` = 1.01^12 - 1).
fn capped_deal(finance: &str) -> String {
    format!(
        "
name: capped mid-contract
currency: USD
horizon_months: 12
cohorts: [{{name: c1, start_month: 0, size: 100}}]
outcomes:
  - {{id: job, rate: 1, lag_months: 2, price: 1000}}
costs: {{upfront: 50000, fixed_monthly: 5000, fixed_months: [3, 12]}}
finance:
  tranches: [{{name: fund, share: 1, cap_irr: {cap:?}}}]
{finance}
simulation: {{trials: 8, seed: 1}}
",
        cap = 1.01f64.powi(12) - 1.0
    )
}

/// Runs `text` and returns the single value every trial gives for each metric.
fn deterministic(text: &str) -> impl Fn(&str) -> f64 + use<> {
    library::deterministic(text).0
}

#[test]
fn end_settlement_keeps_the_excess_for_later_costs() {
    // Month 2: receipts 100,000. Tier 1 returns the 50,000; the cap's
    // future value is 50,000 x 1.01^2 = 51,005, so tier 2 takes 1,005.
    // The account keeps 48,995 and pays the nine months of 5,000 (45,000):
    // 3,995 is left in month 11 and goes back to the payer.
    let m = deterministic(&capped_deal(""));
    close("contributions", m("investor_contributions"), 50_000.0);
    close("investor_net", m("investor_net"), 1_005.0);
    close("investor_irr", m("investor_irr"), 1.01f64.powi(12) - 1.0);
    close("excess", m("excess"), 3_995.0);
    close("payer_cost", m("payer_cost"), 100_000.0 - 3_995.0);
    close("delivery_cost", m("delivery_cost"), 95_000.0);
    close("peak_funding", m("peak_funding"), 50_000.0);
    assert_eq!(m("_loss"), 0.0);

    // Written out, the default is the same deal.
    let written = deterministic(&capped_deal(
        "  excess_settlement: end\n  distributions: monthly",
    ));
    for k in ["investor_net", "excess", "payer_cost", "payer_cost_pv"] {
        assert_eq!(written(k), m(k), "{k}");
    }
}

#[test]
fn monthly_settlement_lets_the_excess_leave_and_investors_fund_the_rest() {
    // Month 2 as above, but the 48,995 leaves at once; the nine months of
    // 5,000 are new contributions that nothing repays.
    let m = deterministic(&capped_deal("  excess_settlement: monthly"));
    close("contributions", m("investor_contributions"), 95_000.0);
    close("investor_net", m("investor_net"), 51_005.0 - 95_000.0);
    close("excess", m("excess"), 48_995.0);
    close("payer_cost", m("payer_cost"), 51_005.0);
    close("peak_funding", m("peak_funding"), 50_000.0);
    assert_eq!(m("_loss"), 1.0);
    // Excess returned in month 2 is discounted from month 2 (8% a year).
    let pv = deterministic(&format!(
        "{}payment: {{discount_rate: 0.08}}\n",
        capped_deal("  excess_settlement: monthly")
    ));
    let d = |t: f64| 1.08f64.powf(-t / 12.0);
    close(
        "payer_cost_pv",
        pv("payer_cost_pv"),
        100_000.0 * d(2.0) - 48_995.0 * d(2.0),
    );
    let pv_end = deterministic(&format!(
        "{}payment: {{discount_rate: 0.08}}\n",
        capped_deal("")
    ));
    close(
        "payer_cost_pv (end)",
        pv_end("payer_cost_pv"),
        100_000.0 * d(2.0) - 3_995.0 * d(11.0),
    );
}

#[test]
fn distributions_at_the_end_let_waiting_cash_earn_up_to_the_cap() {
    // Nothing is paid to the tranche before month 11: the account holds
    // 100,000, pays 45,000 of costs and has 55,000 in month 11. Tier 1
    // returns 50,000; the cap's room is 50,000 x (1.01^11 - 1) = 5,783.42,
    // more than the 5,000 left, so the tranche takes all of it.
    let m = deterministic(&capped_deal("  distributions: end"));
    close("contributions", m("investor_contributions"), 50_000.0);
    close("investor_net", m("investor_net"), 5_000.0);
    close("excess", m("excess"), 0.0);
    close("payer_cost", m("payer_cost"), 100_000.0);
    // -50,000 in month 0, +55,000 in month 11: (1.1)^(12/11) - 1 a year.
    close(
        "investor_irr",
        m("investor_irr"),
        1.1f64.powf(12.0 / 11.0) - 1.0,
    );
    close("peak_funding", m("peak_funding"), 50_000.0);
}

#[test]
fn distributions_every_six_months_pay_in_months_5_and_11() {
    // Month 5: the account holds 100,000 - 3 x 5,000 = 85,000; tier 1 takes
    // 50,000 and tier 2 the cap's room 50,000 x (1.01^5 - 1) = 2,550.5025.
    // Months 6-11 cost 30,000 from the account; 2,449.4975 is left in month 11.
    let room = 50_000.0 * (1.01f64.powi(5) - 1.0);
    let m = deterministic(&capped_deal("  distributions: {every_months: 6}"));
    close("investor_net", m("investor_net"), room);
    close("investor_irr", m("investor_irr"), 1.01f64.powi(12) - 1.0);
    close("excess", m("excess"), 35_000.0 - room - 30_000.0);
    close("payer_cost", m("payer_cost"), 100_000.0 - (5_000.0 - room));
    // `12.0` is a whole number too, and the schedule's months are the same
    // whatever N is past the horizon.
    let a = deterministic(&capped_deal("  distributions: {every_months: 6.0}"));
    assert_eq!(a("investor_net"), m("investor_net"));
    let end = deterministic(&capped_deal("  distributions: end"));
    let far = deterministic(&capped_deal("  distributions: {every_months: 40}"));
    let twelve = deterministic(&capped_deal("  distributions: {every_months: 12}"));
    for k in ["investor_net", "investor_irr", "excess", "payer_cost"] {
        assert_eq!(far(k), end(k), "{k}");
        assert_eq!(twelve(k), end(k), "{k}");
    }

    // With monthly settlement the month-5 excess (85,000 - 50,000 - room)
    // leaves at once and months 6-11 are funded by new contributions.
    let mo = deterministic(&capped_deal(
        "  distributions: {every_months: 6}\n  excess_settlement: monthly",
    ));
    close("excess (monthly)", mo("excess"), 35_000.0 - room);
    close(
        "investor_net (monthly)",
        mo("investor_net"),
        room - 30_000.0,
    );
    close(
        "investor_contributions (monthly)",
        mo("investor_contributions"),
        80_000.0,
    );
}

#[test]
fn without_recycling_held_cash_returns_later_contributions() {
    // Investors fund every cost as it falls due; the 48,995 held after month
    // 2 repays each month's 5,000 through tier 1 in the same month.
    let m = deterministic(&capped_deal("  recycling: false"));
    close("contributions", m("investor_contributions"), 95_000.0);
    close("investor_net", m("investor_net"), 1_005.0);
    close("excess", m("excess"), 3_995.0);
    close("payer_cost", m("payer_cost"), 96_005.0);
    // Held cash repays each contribution at once: the position never
    // rises above the first month's 50,000.
    close("peak_funding", m("peak_funding"), 50_000.0);
}

/// Two payers, each paying for its own outcome: `a` 100,000 in month 2,
/// `b` 50,000 in month 4. Costs 50,000 upfront and 5,000 a month in months
/// 3-11; one tranche capped at 0% (principal only).
fn two_payer_deal(finance: &str) -> String {
    format!(
        "
name: two payers
currency: USD
horizon_months: 12
cohorts: [{{name: c1, start_month: 0, size: 100}}]
outcomes:
  - {{id: first, rate: 1, lag_months: 2, price: 1000, paid_by: [a]}}
  - {{id: second, of: first, rate: 1, lag_months: 2, price: 500, paid_by: [b]}}
costs: {{upfront: 50000, fixed_monthly: 5000, fixed_months: [3, 12]}}
payment:
  payers: [{{name: a, share: 0.5}}, {{name: b, share: 0.5}}]
finance:
  tranches: [{{name: fund, share: 1, cap_irr: 0}}]
{finance}
simulation: {{trials: 8, seed: 1}}
"
    )
}

#[test]
fn excess_is_split_by_the_payers_payments_since_the_last_settlement() {
    // End: 150,000 received, 95,000 of costs; 55,000 leaves in month 11,
    // split 2:1 as the payers paid over the whole contract.
    let m = deterministic(&two_payer_deal(""));
    close("excess", m("excess"), 55_000.0);
    close(
        "payer_cost.a",
        m("payer_cost.a"),
        100_000.0 - 55_000.0 * 2.0 / 3.0,
    );
    close("payer_cost.b", m("payer_cost.b"), 50_000.0 - 55_000.0 / 3.0);
    close("payer_cost", m("payer_cost"), 95_000.0);
    close("investor_net", m("investor_net"), 0.0);

    // Monthly: month 2's 50,000 goes back to `a` alone; month 4 repays the
    // month-3 contribution and sends 40,000 back to `b`.
    let m = deterministic(&two_payer_deal("  excess_settlement: monthly"));
    close("payer_cost.a", m("payer_cost.a"), 50_000.0);
    close("payer_cost.b", m("payer_cost.b"), 10_000.0);
    close("investor_net", m("investor_net"), -35_000.0);

    // Every six months, settled monthly: the month-5 excess (135,000 -
    // 50,000) is split 2:1 by the payments of months 0-5.
    let m = deterministic(&two_payer_deal(
        "  excess_settlement: monthly\n  distributions: {every_months: 6}",
    ));
    close(
        "payer_cost.a",
        m("payer_cost.a"),
        100_000.0 - 85_000.0 * 2.0 / 3.0,
    );
    close("payer_cost.b", m("payer_cost.b"), 50_000.0 - 85_000.0 / 3.0);
    close("investor_net", m("investor_net"), -30_000.0);
}

#[test]
fn the_account_series_add_up_month_by_month() {
    // The kept series of the first trial: receipts in month 2, costs paid
    // from the account in months 3-11, cash held falling from 48,995 to
    // 3,995, which leaves as excess in month 11.
    let m = library::model(&capped_deal(""));
    let (cols, _) = library::run(&m, 8, 2);
    assert_eq!(cols.kept(), 8);
    let s = |k: usize| cols.month_series(0, 1 + k).to_vec();
    use ibsim::engine::account::*;
    assert_eq!(s(RECEIPTS)[2], 100_000.0);
    assert_eq!(s(CONTRIBUTIONS)[0], 50_000.0);
    assert!(s(CONTRIBUTIONS)[1..].iter().all(|&c| c == 0.0));
    close("distributions", s(DISTRIBUTIONS).iter().sum(), 51_005.0);
    close("cash held in month 2", s(CASH)[2], 48_995.0);
    close("cash held in month 10", s(CASH)[10], 8_995.0);
    assert_eq!(s(CASH)[11], 0.0);
    close("excess in month 11", s(EXCESS)[11], 3_995.0);
    assert_eq!(s(COSTS)[5], 5_000.0);
}

#[test]
fn distributions_every_twelve_months_over_two_years() {
    // 24 months: 100,000 received in month 2, 50,000 upfront, 2,000 a month
    // in months 3-23. Distribution months 11 and 23. Month 11: the account
    // holds 100,000 - 9 x 2,000 = 82,000; tier 1 takes 50,000 and tier 2
    // the cap's room 50,000 x (1.01^11 - 1). Months 12-23 cost 24,000 from
    // the account; what is left in month 23 is excess.
    let text = capped_deal("  distributions: {every_months: 12}")
        .replace("horizon_months: 12", "horizon_months: 24")
        .replace(
            "fixed_monthly: 5000, fixed_months: [3, 12]",
            "fixed_monthly: 2000, fixed_months: [3, 24]",
        );
    let room = 50_000.0 * (1.01f64.powi(11) - 1.0);
    let m = deterministic(&text);
    close("investor_net", m("investor_net"), room);
    close("investor_irr", m("investor_irr"), 1.01f64.powi(12) - 1.0);
    close("excess", m("excess"), 82_000.0 - 50_000.0 - room - 24_000.0);
    close(
        "payer_cost",
        m("payer_cost"),
        100_000.0 - (82_000.0 - 50_000.0 - room - 24_000.0),
    );
    close("contributions", m("investor_contributions"), 50_000.0);
    // The account series: distributions only in months 11 and 23, excess in 23.
    let model = library::model(&text);
    let (cols, _) = library::run(&model, 8, 2);
    use ibsim::engine::account::*;
    let d = cols.month_series(0, 1 + DISTRIBUTIONS);
    for (t, x) in d.iter().enumerate() {
        assert_eq!(*x != 0.0, t == 11, "month {t}: {x}");
    }
    close("month 11", d[11], 50_000.0 + room);
    let e = cols.month_series(0, 1 + EXCESS);
    assert!(e[..23].iter().all(|&x| x == 0.0));
}

/// The first path where two summaries differ by more than 1e-9 relative
/// (numbers) or at all (anything else).
fn first_apart(a: &Value, b: &Value, path: String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path} (keys)"));
            }
            x.iter().find_map(|(k, v)| {
                first_apart(v, y.get(k).unwrap_or(&Value::Null), format!("{path}.{k}"))
            })
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path} (length)"));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (v, w))| first_apart(v, w, format!("{path}[{i}]")))
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            ((x - y).abs() > 1e-9 * x.abs().max(y.abs())).then(|| format!("{path}: {x} -> {y}"))
        }
        _ => (a != b).then(|| format!("{path}: {a} -> {b}")),
    }
}
