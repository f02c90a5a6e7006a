//! Effect and rate outcomes, verification and netting (docs/model.md,
//! "Measured outcomes") against hand computations and closed forms.

use crate::common::library::{column, every_trial, model};
use ibsim::engine::runner::TrialColumns;
use ibsim::numeric::special::{norm_cdf, norm_sf};
use serde_json::Value;

fn run(m: &ibsim::model::Model, trials: u64) -> (TrialColumns, Value) {
    crate::common::library::run(m, trials, 2)
}

/// |estimate - expected| within 5 standard errors.
fn within_5_se(what: &str, estimate: f64, se: f64, expected: f64) {
    assert!(
        (estimate - expected).abs() <= 5.0 * se + 1e-12,
        "{what}: {estimate} vs expected {expected} (se {se})"
    );
}

fn metric(s: &Value, key: &str, field: &str) -> f64 {
    s["metrics"][key][field].as_f64().unwrap_or(f64::NAN)
}

fn probability(s: &Value, key: &str) -> (f64, f64) {
    let p = &s["probabilities"][key];
    (
        p["value"].as_f64().unwrap_or(f64::NAN),
        p["se"].as_f64().unwrap_or(f64::NAN),
    )
}

/// Two cohorts (300 in month 0, 200 in month 1) and `outcomes`.
fn deal(horizon: u32, outcomes: &str, extra: &str) -> String {
    format!(
        "
name: measured
currency: USD
horizon_months: {horizon}
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

/// E[(X - a)^+] for X ~ Normal(mu, sd).
fn call(mu: f64, sd: f64, a: f64) -> f64 {
    let z = (mu - a) / sd;
    let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    (mu - a) * norm_cdf(z) + sd * pdf
}

#[test]
fn an_effect_is_paid_per_unit_of_net_effect_as_it_happens() {
    // Net 2 - 0.5 = 1.5 per participant, 2 months after enrolment: c1's
    // 450 units in month 2, c2's 300 in month 3, at 10 each.
    let outcomes = "  - id: gain
    effect: {mean: 2, comparison: 0.5, unit: points}
    lag_months: 2
    price: 10";
    let m = model(&deal(12, outcomes, "payment: {discount_rate: 0.12}"));
    let (cols, _) = run(&m, 50);
    every_trial(&cols, "outcome.gain", 750.0);
    every_trial(&cols, "paid.gain", 750.0);
    every_trial(&cols, "payer_cost", 7500.0);
    let pv = 4500.0 * 1.12f64.powf(-2.0 / 12.0) + 3000.0 * 1.12f64.powf(-3.0 / 12.0);
    every_trial(&cols, "payer_cost_pv", pv);
    every_trial(&cols, "cost_per_outcome", 10.0);
    // No survey or RCT: no evaluation risk is reported.
    assert!(cols.column("evaluation_error.gain").is_none());

    // At verification rounds: month 2 sees c1's effect only, month 6 both.
    let rounds = format!("{outcomes}\n    verification: {{months: [2, 6]}}");
    let (cols, _) = run(
        &model(&deal(12, &rounds, "payment: {discount_rate: 0.12}")),
        50,
    );
    let pv = 4500.0 * 1.12f64.powf(-2.0 / 12.0) + 3000.0 * 1.12f64.powf(-6.0 / 12.0);
    every_trial(&cols, "payer_cost_pv", pv);
    // Effects after the last round are never measured: only c1's is paid.
    let early = format!("{outcomes}\n    verification: {{months: [2]}}");
    let (cols, _) = run(&model(&deal(12, &early, "")), 50);
    every_trial(&cols, "paid.gain", 450.0);
    every_trial(&cols, "outcome.gain", 750.0);
    // A payment lag past the horizon leaves the units unpaid.
    let (cols, _) = run(&model(&deal(4, outcomes, "payment: {lag_months: 1}")), 50);
    every_trial(&cols, "paid.gain", 450.0);
    every_trial(&cols, "unpaid_after_horizon.gain", 300.0);
}

#[test]
fn an_effect_of_a_base_outcome_counts_its_participants() {
    // Every participant completes (rate 1) two months in: the effect of
    // 0.4 per completer follows a month later; negative net effects
    // (comparison above the mean) pay nothing.
    let outcomes = "  - id: done
    rate: 1
    lag_months: 2
    price: 1
  - id: levels
    of: done
    effect: {mean: 0.4}
    lag_months: 1
    price: 100";
    let (cols, _) = run(&model(&deal(12, outcomes, "")), 50);
    every_trial(&cols, "outcome.levels", 200.0);
    every_trial(&cols, "payer_cost", 500.0 + 20_000.0);
    every_trial(&cols, "cost_per_outcome", 20_500.0 / 200.0);
    let negative = outcomes.replace("{mean: 0.4}", "{mean: 0.4, comparison: 0.5}");
    let (cols, _) = run(&model(&deal(12, &negative, "")), 50);
    every_trial(&cols, "outcome.levels", -50.0);
    every_trial(&cols, "paid.levels", 0.0);
    every_trial(&cols, "payer_cost", 500.0);
}

#[test]
fn a_rate_outcome_pays_its_schedule_on_a_straight_path_from_the_baseline() {
    // Stunting from 20% to 17%: at month 5 the true rate is
    // 0.20 - 0.03 x 5 / 11, a change of 1.3636 points; at month 11, 3 points.
    // Linear from 1 point (0%) to 4 points (100%) of USD 1m.
    let outcomes = "  - id: stunting
    rate: 0.17
    baseline: 0.20
    better: lower
    schedule: {points: [{at: 0.01, pay: 0}, {at: 0.04, pay: 1}]}
    price: 1000000
    verification: {months: [5, 11]}";
    let m = model(&deal(12, outcomes, "payment: {discount_rate: 0.12}"));
    let (cols, _) = run(&m, 50);
    let first = (0.03 * 5.0 / 11.0 - 0.01) / 0.03;
    let last = (0.03 - 0.01) / 0.03;
    every_trial(&cols, "outcome.stunting", 0.17);
    every_trial(&cols, "paid.stunting", last);
    every_trial(&cols, "payer_cost", last * 1e6);
    let pv =
        first * 1e6 * 1.12f64.powf(-5.0 / 12.0) + (last - first) * 1e6 * 1.12f64.powf(-11.0 / 12.0);
    every_trial(&cols, "payer_cost_pv", pv);

    // Steps on the share of the target: baseline 70%, target 80%, reached
    // 79% (share 0.9): the step at 0.75 pays 60%, the next (1.0) is missed.
    let steps = "  - id: prenatal
    rate: 0.79
    baseline: 0.70
    target: 0.80
    achievement: share_of_target
    schedule: {shape: steps, points: [{at: 0.5, pay: 0.3}, {at: 0.75, pay: 0.6}, {at: 1, pay: 1}, {at: 1.2, pay: 1.2}]}
    price: 1000000";
    let (cols, _) = run(&model(&deal(12, steps, "")), 50);
    every_trial(&cols, "paid.prenatal", 0.6);
    every_trial(&cols, "payer_cost", 600_000.0);
    // 84% is 1.4 of the target: the bonus step of 120%.
    let (cols, _) = run(
        &model(&deal(12, &steps.replace("rate: 0.79", "rate: 0.84"), "")),
        50,
    );
    every_trial(&cols, "payer_cost", 1_200_000.0);
    // The rate itself, lower better: points from the worst (highest) rate.
    let rate = "  - id: mortality
    rate: 0.25
    baseline: 0.3054
    better: lower
    achievement: rate
    schedule: {points: [{at: 0.30, pay: 0}, {at: 0.20, pay: 1}]}
    price: 1000000";
    let (cols, _) = run(&model(&deal(12, rate, "")), 50);
    every_trial(&cols, "payer_cost", 500_000.0);
}

#[test]
fn a_count_is_paid_at_the_verification_round_after_its_event() {
    // Successes in months 0 and 1 wait for the round of month 6; with a
    // round only in month 0, c2's successes (month 1) are never paid.
    let outcomes = "  - id: job
    rate: 1
    price: 10
    verification: {months: [6]}";
    let (cols, _) = run(
        &model(&deal(12, outcomes, "payment: {discount_rate: 0.12}")),
        50,
    );
    every_trial(&cols, "payer_cost_pv", 5000.0 * 1.12f64.powf(-0.5));
    let (cols, _) = run(&model(&deal(12, &outcomes.replace("[6]", "[0]"), "")), 50);
    every_trial(&cols, "paid.job", 300.0);
    every_trial(&cols, "payer_cost", 3000.0);
}

#[test]
fn a_counterfactual_netted_across_the_contract_offsets_a_cohort_shortfall() {
    // Everyone is reached; a shock that always happens leaves c2 (from
    // month 1) with no improvement. Counterfactual 50% of the base.
    let outcomes = "  - id: reached
    rate: 1
    price: 0
  - id: improved
    of: reached
    rate: 1
    price: 10
    counterfactual_rate: 0.5";
    let shock =
        "shocks: [{name: bad, probability: 1, from_month: 1, rate_multiplier: {improved: 0}}]";
    // Per cohort: c1 pays 300 - 150, c2's shortfall of 100 is lost.
    let (cols, _) = run(&model(&deal(12, outcomes, shock)), 50);
    every_trial(&cols, "paid.improved", 150.0);
    // Across the contract: 300 - round(0.5 x 500) = 50.
    let netted = format!("{outcomes}\n    netting: contract");
    let (cols, _) = run(&model(&deal(12, &netted, shock)), 50);
    every_trial(&cols, "outcome.improved", 300.0);
    every_trial(&cols, "paid.improved", 50.0);
    every_trial(&cols, "payer_cost", 500.0);
    // Without the shock both ways pay the same 250, but across the contract
    // the 250 earliest successes (c1's month) are the unpaid ones.
    let (cols, _) = run(
        &model(&deal(12, &netted, "payment: {discount_rate: 0.12}")),
        50,
    );
    every_trial(&cols, "paid.improved", 250.0);
    every_trial(
        &cols,
        "payer_cost_pv",
        500.0 + 2000.0 * 1.12f64.powf(-1.0 / 12.0),
    );
}

#[test]
fn no_true_effect_pays_nothing_without_measurement_error() {
    // Netted across the contract and measured exactly, a deal with no true
    // effect pays nothing in any trial: an effect equal to its comparison,
    // and a rate that stays at its baseline.
    let outcomes = "  - id: gain
    effect: {mean: {normal: {mean: 0.3, sd: 0}}, comparison: 0.3}
    price: 10
    netting: contract
  - id: stunting
    rate: 0.201
    baseline: 0.201
    better: lower
    schedule: {points: [{at: 0.005, pay: 0}, {at: 0.02, pay: 1}]}
    price: 1000000
    verification: {months: [5, 11]}";
    let (cols, _) = run(&model(&deal(12, outcomes, "")), 2000);
    every_trial(&cols, "paid.gain", 0.0);
    every_trial(&cols, "paid.stunting", 0.0);
    every_trial(&cols, "payer_cost", 0.0);
}

#[test]
fn survey_error_triggers_a_threshold_as_often_as_the_normal_tail() {
    // True rate = baseline (20%): a survey of 1,600 with design effect 2
    // measures it with se sqrt(0.2 x 0.8 x 2 / 1600) = 1.41 points; a step
    // at a 2-point fall is paid when the measured fall reaches it.
    let outcomes = "  - id: stunting
    rate: 0.2
    baseline: 0.2
    better: lower
    schedule: {shape: steps, points: [{at: 0.02, pay: 1}]}
    price: 1000000
    verification: {survey: {sample: 1600, design_effect: 2}, months: [11]}";
    let trials = 40_000;
    let (cols, s) = run(&model(&deal(12, outcomes, "")), trials);
    let se = (0.2f64 * 0.8 * 2.0 / 1600.0).sqrt();
    let expected = norm_sf(0.02 / se);
    let (p, p_se) = probability(&s, "prob_payment_triggered_below_threshold.stunting");
    within_5_se("P(triggered | below threshold)", p, p_se, expected);
    // Every trial's true result is below the threshold: the share of trials
    // paying is the same probability, and the payment error is the payment.
    let paid = column(&cols, "paid.stunting");
    let share = paid.iter().filter(|&&x| x > 0.0).count() as f64 / trials as f64;
    let share_se = (expected * (1.0 - expected) / trials as f64).sqrt();
    within_5_se("share of trials paying", share, share_se, expected);
    within_5_se(
        "mean evaluation error",
        metric(&s, "evaluation_error.stunting", "mean"),
        metric(&s, "evaluation_error.stunting", "se"),
        expected * 1e6,
    );
    // No trial reaches the target, so the withheld probability has no trials.
    assert!(s["probabilities"]["prob_payment_withheld_at_target.stunting"]["value"].is_null());
}

#[test]
fn a_linear_schedule_pays_its_closed_form_under_a_normal_measured_rate() {
    // A 2.5-point true rise in coverage from 60%, measured by a survey with
    // se sqrt(0.625 x 0.375 / 1000): the share paid is
    // E[clamp((X - 0.01) / 0.03, 0, 1)], X ~ Normal(0.025, se), which is
    // (E[(X - 0.01)^+] - E[(X - 0.04)^+]) / 0.03.
    let outcomes = "  - id: coverage
    rate: 0.625
    baseline: 0.6
    schedule: {points: [{at: 0.01, pay: 0}, {at: 0.04, pay: 1}]}
    price: 1000000
    verification: {survey: {sample: 1000}, months: [11]}";
    let (_, s) = run(&model(&deal(12, outcomes, "")), 40_000);
    let se = (0.625f64 * 0.375 / 1000.0).sqrt();
    let expected = (call(0.025, se, 0.01) - call(0.025, se, 0.04)) / 0.03;
    within_5_se(
        "mean share paid",
        metric(&s, "paid.coverage", "mean"),
        metric(&s, "paid.coverage", "se"),
        expected,
    );
    // The true result (2.5 points) earns 50%: paying less is withheld.
    let (p, p_se) = probability(&s, "prob_payment_withheld_at_target.coverage");
    assert!(
        p.is_nan() || p_se.is_nan(),
        "the target (100%) is never reached: {p}"
    );
}

#[test]
fn an_rct_estimate_carries_its_textbook_standard_error() {
    // 1,000 participants, a true net effect of 20 each, measured once by an
    // RCT of 200 + 200 in clusters of 11 (ICC 0.1: design effect 2), sd 20:
    // se = 20 sqrt(2/200 + 2/200) = 2.83 per participant, so the payment's
    // error has sd price x 1,000 x se (the true result is 7 of those se
    // above 0, so the floor at 0 never binds).
    let text = "
name: rct
currency: USD
horizon_months: 12
cohorts: [{name: c1, start_month: 0, size: 1000}]
outcomes:
  - id: income
    effect: {mean: 20}
    price: 2
    netting: contract
    verification: {rct: {treated: 200, control: 200, sd: 20, icc: 0.1, cluster_size: 11}, months: [6]}
simulation: {trials: 20000, seed: 5}
";
    let trials = 20_000u64;
    let (cols, s) = run(&model(text), trials);
    let se = ibsim::numeric::rct_standard_error(20.0, 200.0, 200.0, 0.1, 11.0);
    assert!((se - 20.0 * (4.0f64 / 200.0).sqrt()).abs() < 1e-12);
    let sd = metric(&s, "evaluation_error.income", "sd");
    let want = 2.0 * 1000.0 * se;
    // The sd of a sample sd is about sd / sqrt(2 (n - 1)).
    within_5_se(
        "sd of the payment error",
        sd,
        want / (2.0 * trials as f64).sqrt(),
        want,
    );
    within_5_se(
        "mean payment error",
        metric(&s, "evaluation_error.income", "mean"),
        metric(&s, "evaluation_error.income", "se"),
        0.0,
    );
    every_trial(&cols, "outcome.income", 20_000.0);
}

#[test]
fn netting_across_the_contract_pays_the_positive_part_of_the_sum() {
    // No mean effect, cohorts spread sd 0.2 per participant: 16 cohorts of
    // 100, each cohort's net effect 100 x 0.2 Z. Per cohort the payment is
    // the sum of positive parts, E = 16 x 20 / sqrt(2 pi); across the
    // contract the positive part of the sum, E = 20 sqrt(16) / sqrt(2 pi).
    let text = |netting: &str| {
        format!(
            "
name: netting
currency: USD
horizon_months: 24
enrolment: {{cohorts: 16, size: 100}}
outcomes:
  - id: gain
    effect: {{mean: 0, cohort_sd: 0.2}}
    price: 1
    netting: {netting}
    verification: {{months: [20]}}
simulation: {{trials: 20000, seed: 8}}
"
        )
    };
    let root = (2.0 * std::f64::consts::PI).sqrt();
    let (_, s) = run(&model(&text("cohort")), 20_000);
    within_5_se(
        "per cohort",
        metric(&s, "paid.gain", "mean"),
        metric(&s, "paid.gain", "se"),
        16.0 * 20.0 / root,
    );
    let (_, s) = run(&model(&text("contract")), 20_000);
    within_5_se(
        "across the contract",
        metric(&s, "paid.gain", "mean"),
        metric(&s, "paid.gain", "se"),
        20.0 * 4.0 / root,
    );
}

#[test]
fn bundled_measured_scenarios_conserve_money_in_every_trial() {
    for name in [
        "ecuador-stunting",
        "bucaramanga-prenatal",
        "agro-productivity",
        "bucaramanga-income-gain",
        "bilingual-cefr-levels",
    ] {
        let path = crate::common::root().join(format!("scenarios/{name}.yaml"));
        let text = std::fs::read_to_string(&path).unwrap();
        crate::common::invariants::every_trial(&text, 300)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn measured_outcomes_give_the_same_bytes_for_any_threads_and_shards() {
    for scenario in [
        "agro-productivity",
        "bucaramanga-income-gain",
        "ecuador-stunting",
    ] {
        crate::common::same_bytes_for_any_threads_and_shards(scenario);
    }
}

#[test]
fn participants_spread_adds_up_to_a_sum_of_normals() {
    // One cohort of 400 with mean 3 and participant sd 2: the true result
    // is Normal(1,200, 400 x 4), so its sd is 40 (the sd of a sample sd is
    // about sd / sqrt(2 n)).
    let text = "
name: spread
currency: USD
horizon_months: 6
cohorts: [{name: c1, start_month: 0, size: 400}]
outcomes:
  - id: gain
    effect: {mean: 3, participant_sd: 2}
    price: 1
simulation: {trials: 20000, seed: 4}
";
    let (_, s) = run(&model(text), 20_000);
    within_5_se(
        "mean",
        metric(&s, "outcome.gain", "mean"),
        metric(&s, "outcome.gain", "se"),
        1200.0,
    );
    let sd = metric(&s, "outcome.gain", "sd");
    within_5_se("sd", sd, 40.0 / (2.0f64 * 20_000.0).sqrt(), 40.0);
}

#[test]
fn a_round_paid_after_the_horizon_is_a_warning() {
    use crate::common::{ibsim, stderr, tempdir, write};
    let dir = tempdir("late-round");
    let outcomes = "  - id: r
    rate: 0.3
    baseline: 0.2
    schedule: {points: [{at: 0, pay: 0}, {at: 0.1, pay: 1}]}
    price: 100
    verification: {months: [5, 11]}";
    let f = write(
        &dir,
        "late.yaml",
        &deal(12, outcomes, "payment: {lag_months: 1}"),
    );
    let o = ibsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("outcomes[0].verification.months: the round of month 11 of `r` is paid at or after the horizon"),
        "{}",
        stderr(&o)
    );
}
