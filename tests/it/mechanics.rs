//! The payment mechanics of real contracts (docs/scenario-format.md)
//! against hand computations, closed forms and per-trial invariants.

use crate::common::library::{column, every_trial, model};
use ibsim::engine::runner::TrialColumns;
use serde_json::Value;

/// Simulates and summarises on two threads.
fn run(m: &ibsim::model::Model, trials: u64) -> (TrialColumns, Value) {
    crate::common::library::run(m, trials, 2)
}

fn mean(s: &Value, key: &str) -> (f64, f64) {
    let m = &s["metrics"][key];
    (
        m["mean"].as_f64().unwrap_or(f64::NAN),
        m["se"].as_f64().unwrap_or(f64::NAN),
    )
}

/// |mean - expected| within 5 standard errors (plus 1e-9 for exact cases).
fn within_5_se(s: &Value, key: &str, expected: f64) {
    let (m, se) = mean(s, key);
    assert!(
        (m - expected).abs() <= 5.0 * se + 1e-9 * expected.abs().max(1.0),
        "{key}: mean {m} vs expected {expected} (se {se})"
    );
}

/// A deterministic deal: every participant succeeds, cash in the event month.
fn deterministic(outcomes: &str, extra: &str) -> String {
    format!(
        "
name: hand computed
currency: USD
horizon_months: 12
cohorts:
  - {{name: c1, start_month: 0, size: 300}}
  - {{name: c2, start_month: 1, size: 200}}
outcomes:
{outcomes}
costs: {{upfront: 100000}}
{extra}
simulation: {{trials: 50, seed: 3}}
"
    )
}

#[test]
fn tiers_price_the_nth_paid_outcome_by_its_tier() {
    let outcomes = "  - id: job
    rate: 1
    price:
      tiers: [{up_to: 370, price: 1100}, {up_to: 410, price: 1000}, {price: 1350}]";
    let m = model(&deterministic(outcomes, ""));
    let (cols, _) = run(&m, 50);
    // Month 0: 300 at 1,100. Month 1: number 301-370 at 1,100, 371-410 at
    // 1,000, 411-500 at 1,350.
    let expected = 300.0 * 1100.0 + 70.0 * 1100.0 + 40.0 * 1000.0 + 90.0 * 1350.0;
    assert_eq!(expected, 568_500.0);
    every_trial(&cols, "payer_cost", expected);
    every_trial(&cols, "paid.job", 500.0);

    // max_paid stops the count before the last tier is reached.
    let capped = outcomes.replace("price:\n", "max_paid: 400\n    price:\n");
    let (cols, _) = run(&model(&deterministic(&capped, "")), 50);
    every_trial(&cols, "payer_cost", 370.0 * 1100.0 + 30.0 * 1000.0);
    every_trial(&cols, "paid.job", 400.0);
}

#[test]
fn tiers_with_segments_follow_cohort_then_segment_order() {
    // One cohort, two segments paid in the same month: segment `a` takes the
    // first tier positions, then `b` (price x 2) the rest.
    let text = "
name: tiers and segments
currency: USD
horizon_months: 6
cohorts: [{name: c1, start_month: 0, size: 500}]
segments:
  - {name: a, share: 0.5}
  - {name: b, share: 0.5, price_multiplier: 2}
outcomes:
  - id: job
    rate: 1
    price:
      tiers: [{up_to: 240, price: 10}, {price: 7}]
costs: {upfront: 1000000}
simulation: {trials: 400, seed: 9}
";
    let m = model(text);
    let (cols, s) = run(&m, 400);
    let tier = |from: f64, n: f64| -> f64 {
        let first = (240.0 - from).clamp(0.0, n);
        first * 10.0 + (n - first) * 7.0
    };
    let a = column(&cols, "outcome.job.a");
    let b = column(&cols, "outcome.job.b");
    let cost = column(&cols, "payer_cost");
    for t in 0..400 {
        assert_eq!(a[t] + b[t], 500.0);
        let want = tier(0.0, a[t]) + 2.0 * tier(a[t], b[t]);
        assert!(
            (cost[t] - want).abs() < 1e-6,
            "trial {t}: {} vs {want}",
            cost[t]
        );
    }
    // The segment split is Binomial(500, 0.5).
    within_5_se(&s, "outcome.job.a", 250.0);
}

#[test]
fn segments_split_cohorts_and_scale_rates() {
    let text = "
name: segments
currency: USD
horizon_months: 12
enrolment: {cohorts: 4, every_months: 2, size: 1000}
segments:
  - {name: women, share: 0.5}
  - {name: migrants, share: 0.3, rate_multiplier: {job: 0.5, kept: 1.5}}
  - {name: others, share: 0.2}
outcomes:
  - {id: job, rate: 0.6, price: 10}
  - {id: kept, of: job, rate: 0.8, price: 5}
  - {id: trained, rate: 0.9, price: 0}
simulation: {trials: 4000, seed: 5}
";
    let m = model(text);
    assert!(
        !m.joint_segments,
        "two outcomes of enrolled read the segment sizes"
    );
    let (_, s) = run(&m, 4000);
    let n = 4000.0;
    within_5_se(&s, "outcome.job.women", n * 0.5 * 0.6);
    within_5_se(&s, "outcome.job.migrants", n * 0.3 * 0.3);
    within_5_se(&s, "outcome.job.others", n * 0.2 * 0.6);
    // 0.8 x 1.5 = 1.2 is clamped to 1: every migrant placed is kept.
    within_5_se(&s, "outcome.kept.migrants", n * 0.3 * 0.3);
    within_5_se(&s, "outcome.kept.women", n * 0.5 * 0.6 * 0.8);
    within_5_se(&s, "outcome.trained.migrants", n * 0.3 * 0.9);
    // Segment counts add up to the totals in every trial.
    let (m_total, _) = mean(&s, "outcome.job");
    let parts: f64 = ["women", "migrants", "others"]
        .iter()
        .map(|g| mean(&s, &format!("outcome.job.{g}")).0)
        .sum();
    assert!((m_total - parts).abs() < 1e-6);
    // Payments at segment prices: E[payer_cost] = sum over segments.
    let e_job = n * (0.5 * 0.6 + 0.3 * 0.3 + 0.2 * 0.6);
    let e_kept = n * (0.5 * 0.6 * 0.8 + 0.3 * 0.3 + 0.2 * 0.6 * 0.8);
    within_5_se(&s, "payer_cost", e_job * 10.0 + e_kept * 5.0);

    // One outcome of enrolled: the joint multinomial gives the same law.
    let joint = text.replace("  - {id: trained, rate: 0.9, price: 0}\n", "");
    let m = model(&joint);
    assert!(m.joint_segments);
    let (cols, s) = run(&m, 4000);
    within_5_se(&s, "outcome.job.women", n * 0.5 * 0.6);
    within_5_se(&s, "outcome.job.migrants", n * 0.3 * 0.3);
    within_5_se(&s, "outcome.kept.women", n * 0.5 * 0.6 * 0.8);
    // Var(outcome.job.migrants) = n pi (1 - pi) with pi = 0.09 under both.
    let x = column(&cols, "outcome.job.migrants");
    let mu = x.iter().sum::<f64>() / x.len() as f64;
    let var = x.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / (x.len() - 1) as f64;
    let expected = 4000.0 * 0.09 * 0.91;
    // The sample variance of 4,000 draws has a relative se of about sqrt(2 / 4000).
    assert!(
        (var / expected - 1.0).abs() < 5.0 * (2.0f64 / 4000.0).sqrt(),
        "variance {var} vs {expected}"
    );
}

#[test]
fn lag_distributions_give_each_success_its_own_month() {
    // Success month uniform on 2..=5 after enrolment; months >= 4 are beyond
    // the horizon, so half the successes stay unpaid on average.
    let text = "
name: lags
currency: USD
horizon_months: 4
cohorts: [{name: c1, start_month: 0, size: 1000}]
outcomes:
  - {id: job, rate: 0.5, lag_months: {uniform: {min: 2, max: 5}}, price: 10}
  - {id: kept, of: job, rate: 1, lag_months: {discrete: {values: [0, 1], weights: [3, 1]}}, price: 1}
simulation: {trials: 3000, seed: 11}
";
    let m = model(text);
    assert_eq!((m.outcomes[0].first_lag, m.outcomes[0].spread), (2, 4));
    assert_eq!((m.outcomes[1].first_lag, m.outcomes[1].spread), (2, 5));
    let (cols, s) = run(&m, 3000);
    within_5_se(&s, "unpaid_after_horizon.job", 500.0 * 0.5);
    within_5_se(&s, "paid.job", 500.0 * 0.5);
    // kept in month 2 or 3: job month 2 with lag 0 or 1, job month 3 with lag 0.
    within_5_se(&s, "paid.kept", 500.0 * (0.25 + 0.25 * 0.75));
    let (job, kept) = (column(&cols, "outcome.job"), column(&cols, "outcome.kept"));
    for t in 0..3000 {
        assert_eq!(job[t], kept[t], "rate 1: every success is kept");
    }
}

#[test]
fn a_lag_split_is_multinomial_per_cohort() {
    // Every one of 200 participants per cohort succeeds; each success's
    // month follows the lag law (weights 1:2:3:4 on months 1-4), paid 1 in
    // its month. Per cohort and trial the month counts c_j are then
    // Multinomial(200; p), so X^2 = sum (c_j - 200 p_j)^2 / (200 p_j) has
    // mean exactly 3 and variance 2 (k - 1) + (1 / 200) (sum 1 / p_j -
    // k^2 - 2k + 2) (its exact moments): tested within 5 se over 4,000
    // trials, with the pooled counts against 200 p_j T.
    let text = "
name: lag split
currency: USD
horizon_months: 30
cohorts: [{name: c1, start_month: 0, size: 200}, {name: c2, start_month: 10, size: 200}]
outcomes:
  - {id: job, rate: 1, lag_months: {discrete: {values: [1, 2, 3, 4], weights: [1, 2, 3, 4]}}, price: 1}
payment: {payers: [{name: city, share: 1}], lag_months: 0}
simulation: {trials: 4000, seed: 5}
";
    use ibsim::engine::{Discounts, Layout, Workspace, run_trial};
    let m = model(text);
    let (layout, disc) = (Layout::new(&m), Discounts::new(&m));
    let trials = 4000u64;
    let d = crate::common::library::draws(&m, trials);
    let mut ws = Workspace::new(&m, &layout);
    let p = [0.1, 0.2, 0.3, 0.4];
    let (mut sum, mut sum2, mut pooled) = (0.0, 0.0, [0.0; 4]);
    for t in 0..trials {
        run_trial(&m, &layout, &disc, &d, t, &mut ws);
        for start in [0, 10] {
            let mut x2 = 0.0;
            for j in 0..4 {
                let c = ws.payments[start + 1 + j];
                pooled[j] += c;
                x2 += (c - 200.0 * p[j]).powi(2) / (200.0 * p[j]);
            }
            sum += x2;
            sum2 += x2 * x2;
        }
    }
    let n = 2.0 * trials as f64;
    let (mean, var) = (sum / n, sum2 / n - (sum / n).powi(2));
    let inv: f64 = p.iter().map(|q| 1.0 / q).sum();
    let exact_var = 6.0 + (inv - 16.0 - 8.0 + 2.0) / 200.0;
    assert!(
        (mean - 3.0).abs() < 5.0 * (exact_var / n).sqrt(),
        "mean X^2 {mean}"
    );
    // The sample variance's se from chi^2_3's moments (4th central 252).
    assert!(
        (var - exact_var).abs() < 5.0 * ((252.0 - 36.0) / n).sqrt(),
        "var X^2 {var} vs {exact_var}"
    );
    // The pooled counts: one multinomial of 200 x 8,000 successes.
    let total = 200.0 * n;
    let chi2: f64 = (0..4)
        .map(|j| (pooled[j] - total * p[j]).powi(2) / (total * p[j]))
        .sum();
    // P(chi^2_3 > 21.1) = 1e-4.
    assert!(chi2 < 21.1, "pooled chi^2 {chi2}: {pooled:?}");
}

#[test]
fn counterfactual_pays_only_the_excess_over_the_earliest_successes() {
    let outcomes = "  - id: gain
    rate: 1
    counterfactual_rate: 0.3
    price: 100";
    let (cols, _) = run(&model(&deterministic(outcomes, "")), 50);
    // round(0.3 x 300) = 90 and round(0.3 x 200) = 60 are not paid.
    every_trial(&cols, "paid.gain", 500.0 - 150.0);
    every_trial(&cols, "outcome.gain", 500.0);
    every_trial(&cols, "payer_cost", 350.0 * 100.0);

    // Spread months: the earliest successes are the counterfactual ones, so the
    // threshold is taken from month 1 before month 2 (beyond the horizon).
    let text = "
name: counterfactual by month
currency: USD
horizon_months: 2
cohorts: [{name: c1, start_month: 0, size: 100}]
outcomes:
  - {id: gain, rate: 1, lag_months: {discrete: {values: [1, 2], weights: [1, 1]}}, counterfactual_rate: 0.3, price: 1}
simulation: {trials: 2000, seed: 4}
";
    let (cols, s) = run(&model(text), 2000);
    let (paid, unpaid) = (
        column(&cols, "paid.gain"),
        column(&cols, "unpaid_after_horizon.gain"),
    );
    for t in 0..2000 {
        assert_eq!(paid[t] + unpaid[t], 70.0, "trial {t}");
    }
    // paid = max(0, N1 - 30) with N1 ~ Binomial(100, 1/2): 20 up to a tail of 1e-4.
    within_5_se(&s, "paid.gain", 20.0);
}

#[test]
fn measurement_error_scales_the_paid_count_not_the_true_one() {
    let text = "
name: measured
currency: USD
horizon_months: 6
cohorts: [{name: c1, start_month: 0, size: 1000}]
outcomes:
  - {id: gain, rate: 1, price: 1, measurement: {relative_sd: 0.2}}
simulation: {trials: 4000, seed: 8}
";
    let (cols, s) = run(&model(text), 4000);
    every_trial(&cols, "outcome.gain", 1000.0);
    // paid = round(1000 (1 + e)), e ~ N(0, 0.2): mean 1000, sd 200.
    within_5_se(&s, "paid.gain", 1000.0);
    let sd = s["metrics"]["paid.gain"]["sd"].as_f64().unwrap();
    assert!(
        (sd / 200.0 - 1.0).abs() < 5.0 * (1.0f64 / 8000.0).sqrt(),
        "sd {sd}"
    );
    for (t, p) in column(&cols, "paid.gain").iter().enumerate() {
        assert_eq!(p.fract(), 0.0, "trial {t}: a count");
    }
}

#[test]
fn measurement_with_relative_sd_0_equals_no_measurement() {
    let base =
        std::fs::read_to_string(crate::common::root().join("scenarios/bench/reference.yaml"))
            .unwrap()
            .replace(
                "simulation:\n  trials: 100000",
                "simulation:\n  trials: 3000",
            );
    let measured = base.replace(
        "    price: 900000\n",
        "    price: 900000\n    measurement: {relative_sd: 0}\n",
    );
    assert_ne!(base, measured);
    let (_, a) = run(&model(&base), 3000);
    let (_, b) = run(&model(&measured), 3000);
    assert_eq!(a["metrics"], b["metrics"]);
    assert_eq!(a["probabilities"], b["probabilities"]);
    assert_eq!(a["risk_sharing"], b["risk_sharing"]);
}

#[test]
fn service_fee_is_paid_by_the_payer_not_by_investors() {
    let outcomes = "  - {id: job, rate: 1, price: 100}";
    let extra = "payment: {service_fee: 0.25, evaluation_cost: 1000}
finance: {recycling: false}";
    let (cols, _) = run(&model(&deterministic(outcomes, extra)), 50);
    let delivery = 100_000.0;
    every_trial(&cols, "delivery_cost", delivery);
    every_trial(&cols, "service_fee_paid", 0.25 * delivery);
    every_trial(&cols, "investor_contributions", 0.75 * delivery);
    every_trial(
        &cols,
        "payer_cost",
        500.0 * 100.0 + 0.25 * delivery + 1000.0,
    );
}

#[test]
fn paid_by_and_payer_caps_split_what_each_payer_pays() {
    let outcomes = "  - {id: job, rate: 1, price: 100}
  - {id: bonus, of: job, rate: 1, price: 50, paid_by: [agency]}";
    let payers = "payment:
  payers:
    - {name: city, share: 0.6}
    - {name: agency, share: 0.4}
  evaluation_cost: 1000";
    let (cols, _) = run(&model(&deterministic(outcomes, payers)), 50);
    every_trial(&cols, "payer_cost.city", 0.6 * 50_000.0 + 0.6 * 1000.0);
    every_trial(
        &cols,
        "payer_cost.agency",
        0.4 * 50_000.0 + 25_000.0 + 0.4 * 1000.0,
    );

    // The budget cap cuts month 0 (invoiced 45,000: 30,000 + 15,000) pro
    // rata, then the city's own cap cuts its part; nothing shifts to the agency.
    let capped = "payment:
  payers:
    - {name: city, share: 0.6, cap: 10000}
    - {name: agency, share: 0.4}
  budget_cap: 36000";
    let (cols, s) = run(&model(&deterministic(outcomes, capped)), 50);
    // Month 0: city 0.6 x 30,000 = 18,000, agency 12,000 + 15,000 = 27,000;
    // budget factor 36,000 / 45,000 = 0.8: city 14,400 -> its cap 10,000,
    // agency 21,600. Budget left 36,000 - 31,600 = 4,400 for month 1
    // (invoiced 30,000: city 12,000 x 4,400/30,000 -> its cap has 0 left, agency 8,000 + 10,000 -> 2,640).
    every_trial(&cols, "payer_cost.city", 10_000.0);
    every_trial(
        &cols,
        "payer_cost.agency",
        21_600.0 + 18_000.0 * 4_400.0 / 30_000.0,
    );
    every_trial(&cols, "budget_cap_hit", 1.0);
    assert_eq!(s["probabilities"]["prob_budget_cap_hit"]["value"], 1.0);
}

#[test]
fn guarantee_and_floor_by_payer_or_guarantor() {
    // Contributions 100,000 (the upfront cost); payments 500 x 20 = 10,000
    // all go back to the investor: a 90,000 shortfall.
    let outcomes = "  - {id: job, rate: 1, price: 20}";
    let both = |g_by: &str, f_by: &str| {
        format!(
            "finance:
  recycling: false
  guarantee: {{amount: 30000, by: {g_by}}}
  principal_floor: {{share: 0.5, by: {f_by}}}"
        )
    };
    let (cols, s) = run(
        &model(&deterministic(outcomes, &both("payer", "guarantor"))),
        50,
    );
    // Guarantee 30,000 (by the payer), then the floor tops 10,000 + 30,000 up to 50,000.
    every_trial(&cols, "payer_support", 30_000.0);
    every_trial(&cols, "floor_paid", 10_000.0);
    every_trial(&cols, "guarantee_paid", 10_000.0);
    every_trial(&cols, "payer_cost", 10_000.0 + 30_000.0);
    every_trial(&cols, "investor_net", -50_000.0);
    every_trial(&cols, "tranche.investor.moic", 0.5);
    assert_eq!(s["probabilities"]["prob_guarantee_called"]["value"], 1.0);
    assert_eq!(s["probabilities"]["prob_floor_called"]["value"], 1.0);

    let (cols, _) = run(
        &model(&deterministic(outcomes, &both("guarantor", "payer"))),
        50,
    );
    every_trial(&cols, "guarantee_paid", 30_000.0);
    every_trial(&cols, "payer_support", 10_000.0);
    every_trial(&cols, "payer_cost", 10_000.0 + 10_000.0);
}

/// Per-trial invariants (tests/common/invariants.rs) on a scenario.
fn check_every_trial(text: &str, trials: u64) {
    if let Err(e) = crate::common::invariants::every_trial(text, trials) {
        panic!("{e}");
    }
}

#[test]
fn invariants_hold_in_every_trial_with_every_mechanism() {
    let read = |p: &str| std::fs::read_to_string(crate::common::root().join(p)).unwrap();
    check_every_trial(&read("scenarios/bench/mechanics.yaml"), 2000);
    for s in [
        "scenarios/buenos-aires-proyecta.yaml",
        "scenarios/village-enterprise-dib.yaml",
        "scenarios/empleando-futuro.yaml",
        "scenarios/bucaramanga-employment.yaml",
    ] {
        check_every_trial(&read(s), 1000);
    }
    // No recycling, caps that bind hard, a payer-funded floor.
    let hard = read("scenarios/bench/mechanics.yaml")
        .replace("recycling: true", "recycling: false")
        .replace("cap: 8500000000", "cap: 3000000000")
        .replace("by: guarantor}", "by: payer}")
        .replace("budget_cap: 20000000000", "budget_cap: 9000000000");
    check_every_trial(&hard, 2000);
}
