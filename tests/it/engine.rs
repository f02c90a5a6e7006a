//! The engine against hand computations, closed forms and invariants (docs/model.md).

use crate::common::library::{draws, model, run};
use ibsim::engine::runner::simulate;
use ibsim::engine::{Discounts, Layout, Workspace, run_trial};
use serde_json::Value;

fn metric(s: &Value, key: &str, field: &str) -> f64 {
    s["metrics"][key][field].as_f64().unwrap_or(f64::NAN)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

const CAPPED: &str = "
name: hand computed, capped return
currency: USD
horizon_months: 12
cohorts: [{name: c, start_month: 0, size: 10}]
outcomes:
  - {id: placement, rate: 1, lag_months: 2, price: 100}
  - {id: retention, of: placement, rate: 1, lag_months: 1, price: 50}
costs: {upfront: 300, per_participant: 20}
payment: {lag_months: 1}
finance:
  hurdle_irr: 0.08
  tranches: [{name: investor, share: 1, cap_irr: 0.12}]
simulation: {trials: 3, seed: 1}
";

#[test]
fn hand_computed_capped_deal_matches_every_metric() {
    let m = model(CAPPED);
    let (_, s) = run(&m, 3, 1);
    // Month 0: cost 300 + 10 x 20 = 500, all contributed. Month 3: 10 placements x 100 = 1000
    // paid; 500 returns capital, then the tranche takes what brings its IRR to 12%; the rest
    // is excess returned to the payer. Month 4: 500 for retention, all excess.
    let f3 = 1.12f64.powf(3.0 / 12.0);
    let tier2 = 500.0 * (f3 - 1.0);
    let distributions = 500.0 + tier2;
    let excess = 1500.0 - distributions;
    let expect = [
        ("outcome.placement", 10.0),
        ("outcome.retention", 10.0),
        ("paid.placement", 10.0),
        ("paid.retention", 10.0),
        ("unpaid_after_horizon.retention", 0.0),
        ("payer_cost", distributions),
        ("payer_cost_pv", distributions),
        ("payer_cost.payer", distributions),
        ("cost_per_outcome", distributions / 10.0),
        ("delivery_cost", 500.0),
        ("budget_cap_hit", 0.0),
        ("investor_irr", 0.12),
        ("investor_moic", distributions / 500.0),
        ("investor_net", tier2),
        (
            "investor_npv",
            -500.0 + distributions * 1.08f64.powf(-3.0 / 12.0),
        ),
        ("investor_contributions", 500.0),
        ("peak_funding", 500.0),
        ("funding_gap", 0.0),
        ("tranche.investor.irr", 0.12),
        ("tranche.investor.net", tier2),
        ("guarantee_paid", 0.0),
        ("provider_bonus", 0.0),
        ("excess", excess),
    ];
    for (k, v) in expect {
        for f in ["mean", "min", "max", "p50"] {
            let got = metric(&s, k, f);
            assert!(close(got, v), "{k}.{f}: got {got}, expected {v}");
        }
    }
    assert_eq!(s["probabilities"]["prob_loss"]["value"], 0.0);
    let prem = s["risk_sharing"]["payer_premium"].as_f64().unwrap();
    assert!(close(prem, tier2), "payer premium {prem}");
}

const LOSS: &str = "
name: hand computed, loss with guarantee
currency: USD
horizon_months: 12
cohorts: [{name: c, start_month: 0, size: 10}]
outcomes:
  - {id: placement, rate: 1, lag_months: 2, price: 60}
costs: {upfront: 1000}
payment: {evaluation_cost: 40}
finance:
  tranches:
    - {name: senior, share: 0.8, seniority: 1}
    - {name: junior, share: 0.2, seniority: 2}
  guarantee: {amount: 100, covers: senior}
simulation: {trials: 2, seed: 1}
";

/// Monthly IRR by plain bisection on [-0.99, 1] (an independent computation).
fn bisect_irr(flows: &[f64]) -> f64 {
    let npv = |r: f64| {
        flows
            .iter()
            .enumerate()
            .map(|(t, f)| f / (1.0 + r).powi(t as i32))
            .sum::<f64>()
    };
    let (mut a, mut b) = (-0.99, 1.0);
    for _ in 0..200 {
        let c = 0.5 * (a + b);
        if (npv(a) < 0.0) == (npv(c) < 0.0) {
            a = c
        } else {
            b = c
        }
    }
    (1.0 + 0.5 * (a + b)).powi(12) - 1.0
}

#[test]
fn hand_computed_loss_with_seniority_and_guarantee() {
    let m = model(LOSS);
    let (_, s) = run(&m, 2, 1);
    // Contributions 800 senior / 200 junior at month 0; 600 paid at month 2 all goes to the
    // senior (tier 1, seniority 1); the guarantee pays the senior min(200, 100) at month 11.
    let mut flows = vec![0.0; 12];
    flows[0] = -1000.0;
    flows[2] = 600.0;
    flows[11] = 100.0;
    let mut senior = vec![0.0; 12];
    senior[0] = -800.0;
    senior[2] = 600.0;
    senior[11] = 100.0;
    let expect = [
        ("payer_cost", 640.0),
        ("delivery_cost", 1000.0),
        ("investor_net", -300.0),
        ("investor_moic", 0.7),
        ("investor_irr", bisect_irr(&flows)),
        ("tranche.senior.net", -100.0),
        ("tranche.senior.moic", 700.0 / 800.0),
        ("tranche.senior.irr", bisect_irr(&senior)),
        ("tranche.junior.net", -200.0),
        ("tranche.junior.irr", -1.0),
        ("tranche.junior.moic", 0.0),
        ("guarantee_paid", 100.0),
        ("peak_funding", 1000.0),
        ("excess", 0.0),
        ("cost_per_outcome", 64.0),
    ];
    for (k, v) in expect {
        let got = metric(&s, k, "mean");
        assert!(close(got, v), "{k}: got {got}, expected {v}");
    }
    let p = &s["probabilities"];
    assert_eq!(p["prob_loss"]["value"], 1.0);
    assert_eq!(p["prob_guarantee_called"]["value"], 1.0);
    assert_eq!(p["prob_tranche_loss.junior"]["value"], 1.0);
    assert_eq!(s["risk_sharing"]["loss_borne_by_investors"], 300.0);
    assert_eq!(s["risk_sharing"]["loss_borne_by_guarantor"], 100.0);
}

const RANDOM: &str = "
name: statistical
currency: USD
horizon_months: 40
enrolment: {cohorts: 4, every_months: 3, size: 200}
outcomes:
  - id: a
    rate: {beta: {mean: 0.6, sd: 0.1}}
    cohort_sd: 0.05
    lag_months: 2
    price: 100
  - id: b
    of: a
    rate: {pert: {min: 0.5, mode: 0.7, max: 0.8}}
    lag_months: 3
    price: 40
costs: {upfront: 5000, per_participant: {triangular: {min: 40, mode: 50, max: 70}}, fixed_monthly: 300, fixed_months: [0, 20]}
payment: {evaluation_cost: 1000, lag_months: 1}
finance:
  recycling: true
  excess_to: provider
  provider_success_share: 0.1
  tranches:
    - {name: senior, share: 0.7, cap_irr: 0.1}
    - {name: junior, share: 0.3, seniority: 2, cap_irr: 0.25}
  guarantee: {amount: 3000, covers: senior}
simulation: {trials: 20000, seed: 11}
";

#[test]
fn expected_counts_and_payer_cost_match_closed_forms_within_5_se() {
    let m = model(RANDOM);
    let (_, s) = run(&m, 20000, 2);
    let size = 800.0;
    let ea = 0.6;
    let eb = (0.5 + 4.0 * 0.7 + 0.8) / 6.0; // PERT mean
    for (k, v) in [("outcome.a", size * ea), ("outcome.b", size * ea * eb)] {
        let (mean, se) = (metric(&s, k, "mean"), metric(&s, k, "se"));
        assert!((mean - v).abs() < 5.0 * se, "{k}: {mean} vs {v} (se {se})");
    }
    // No caps, excess to the provider: payer cost = sum price x E[count] + evaluation cost.
    let v = 100.0 * size * ea + 40.0 * size * ea * eb + 1000.0;
    let (mean, se) = (
        metric(&s, "payer_cost", "mean"),
        metric(&s, "payer_cost", "se"),
    );
    assert!(
        (mean - v).abs() < 5.0 * se,
        "payer_cost {mean} vs {v} (se {se})"
    );
    // Delivery cost: 5000 + 800 x E[per participant] + 20 x 300.
    let v = 5000.0 + size * (40.0 + 50.0 + 70.0) / 3.0 + 6000.0;
    let (mean, se) = (
        metric(&s, "delivery_cost", "mean"),
        metric(&s, "delivery_cost", "se"),
    );
    assert!(
        (mean - v).abs() < 5.0 * se,
        "delivery_cost {mean} vs {v} (se {se})"
    );
}

/// Checks the per-trial invariants of docs/model.md on every trial of `text`.
fn check_invariants(text: &str, trials: u64) {
    let m = model(text);
    let layout = Layout::new(&m);
    let disc = Discounts::new(&m);
    let d = draws(&m, trials);
    let mut ws = Workspace::new(&m, &layout);
    let col = |ws: &Workspace, name: &str| ws.row[layout.index_of(name).unwrap()];
    for t in 0..trials {
        run_trial(&m, &layout, &disc, &d, t, &mut ws);
        let x = ws.totals;
        let scale = x.gross_payments.max(x.delivery_cost).max(1.0);
        if m.recycling {
            let lhs = x.gross_payments + x.contributions;
            let rhs = x.distributions + x.success_share + x.excess + x.delivery_cost;
            assert!(
                (lhs - rhs).abs() <= 1e-9 * scale,
                "trial {t}: money not conserved {lhs} vs {rhs}"
            );
        } else {
            assert!(
                (x.contributions - x.delivery_cost).abs() <= 1e-9 * scale,
                "trial {t}"
            );
            let rhs = x.distributions + x.success_share + x.excess;
            assert!(
                (x.gross_payments - rhs).abs() <= 1e-9 * scale,
                "trial {t}: {} vs {rhs}",
                x.gross_payments
            );
        }
        if let Some(cap) = m.budget_cap {
            assert!(
                x.gross_payments <= cap * (1.0 + 1e-12),
                "trial {t}: budget cap exceeded"
            );
        }
        for o in &m.outcomes {
            let paid = col(&ws, &format!("paid.{}", o.id));
            assert!(paid <= o.max_paid as f64, "trial {t}: max_paid exceeded");
            assert!(
                paid <= col(&ws, &format!("outcome.{}", o.id)),
                "trial {t}: paid above achieved"
            );
        }
        for tr in &m.tranches {
            if let Some(cap) = tr.cap_irr {
                let irr = col(&ws, &format!("tranche.{}.irr", tr.name));
                assert!(
                    irr.is_nan() || irr <= cap + 1e-9,
                    "trial {t}: {} IRR {irr} above cap {cap}",
                    tr.name
                );
            }
        }
        if let Some((amount, _)) = m.guarantee {
            assert!(
                x.guarantee <= amount && x.guarantee >= 0.0,
                "trial {t}: guarantee {}",
                x.guarantee
            );
        }
        assert!(col(&ws, "peak_funding") >= 0.0);
        assert!(
            col(&ws, "payer_cost") >= 0.0,
            "trial {t}: negative payer cost"
        );
    }
}

#[test]
fn invariants_hold_in_every_trial() {
    check_invariants(RANDOM, 3000);
    // Caps binding, no recycling, excess to the payer, a shock and correlations.
    let capped = RANDOM
        .replace("excess_to: provider", "excess_to: payer")
        .replace("recycling: true", "recycling: false")
        .replace("price: 100\n", "price: 100\n    max_paid: 300\n")
        .replace("evaluation_cost: 1000,", "evaluation_cost: 1000, budget_cap: 45000,")
        .replace("costs:", "correlations: [{between: [a, b], rho: 0.6}]\nshocks: [{name: s, probability: 0.3, from_month: 3, rate_multiplier: {a: 0.5}}]\ncosts:");
    check_invariants(&capped, 3000);
    check_invariants(
        &std::fs::read_to_string(crate::common::root().join("scenarios/bench/reference.yaml"))
            .unwrap(),
        2000,
    );
    check_invariants(
        &std::fs::read_to_string(
            crate::common::root().join("scenarios/bucaramanga-employment.yaml"),
        )
        .unwrap(),
        1000,
    );
}

#[test]
fn caps_bind_and_are_reported() {
    let capped = RANDOM
        .replace("price: 100\n", "price: 100\n    max_paid: 300\n")
        .replace(
            "evaluation_cost: 1000,",
            "evaluation_cost: 1000, budget_cap: 35000,",
        );
    let m = model(&capped);
    let (_, s) = run(&m, 2000, 2);
    assert!(metric(&s, "paid.a", "max") <= 300.0);
    assert!(
        s["probabilities"]["prob_budget_cap_hit"]["value"]
            .as_f64()
            .unwrap()
            > 0.5
    );
    assert!(metric(&s, "payer_cost", "max") <= 35000.0 + 1000.0 + 1e-6);
}

#[test]
fn summary_is_identical_for_1_and_2_threads() {
    let m = model(RANDOM);
    let (_, a) = run(&m, 5000, 1);
    let (_, b) = run(&m, 5000, 2);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    // A different seed gives different numbers (the seed is used).
    let mut m2 = m.clone();
    m2.seed += 1;
    let (_, c) = run(&m2, 5000, 2);
    assert_ne!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&c).unwrap()
    );
}

#[test]
fn a_trial_depends_only_on_seed_and_index() {
    let m = model(RANDOM);
    let full = simulate(&m, &draws(&m, 3000), 0..3000, Some(2), &|_| {}).unwrap();
    let part = simulate(&m, &draws(&m, 3000), 1000..2000, Some(1), &|_| {}).unwrap();
    for (c, p) in full.data.iter().zip(&part.data) {
        for i in 0..1000 {
            assert_eq!(c[1000 + i].to_bits(), p[i].to_bits());
        }
    }
}

#[test]
fn lhs_is_thread_invariant_and_stratifies_rates() {
    let text = RANDOM.replace("seed: 11}", "seed: 11, sampling: lhs}");
    let m = model(&text);
    let (_, a) = run(&m, 4000, 1);
    let (_, b) = run(&m, 4000, 2);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    // Each parameter's uniforms fall one per stratum: check the permutation is a bijection.
    let n = 4000u64;
    let mut seen = vec![false; n as usize];
    for i in 0..n {
        let k = ibsim::engine::permute(i, n, 12345) as usize;
        assert!(!seen[k]);
        seen[k] = true;
    }
}

/// The funnel's and the waterfall's copies for fixed shapes (segments,
/// payers, tranches) give the bits of their general code, on every bundled
/// scenario: between them, every specialised shape.
#[test]
fn shape_specialised_stages_equal_the_general_ones() {
    use ibsim::engine::{
        draw_params, funnel_general, measures, metrics, trial_rng, waterfall_general,
    };
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let mut shapes = std::collections::BTreeSet::new();
    for path in crate::common::bundled_scenarios() {
        let m = model(&std::fs::read_to_string(&path).unwrap());
        shapes.insert((m.segments.len(), m.payers.len(), m.tranches.len()));
        let (layout, disc, d) = (Layout::new(&m), Discounts::new(&m), draws(&m, 400));
        let (mut a, mut b) = (Workspace::new(&m, &layout), Workspace::new(&m, &layout));
        for t in 0..400 {
            run_trial(&m, &layout, &disc, &d, t, &mut a);
            let mut rng = trial_rng(d.seed, t);
            draw_params(&m, &d, t, &mut rng, &mut b);
            funnel_general(&m, &mut rng, &mut b);
            measures(&m, &mut rng, &mut b);
            waterfall_general(&m, &disc, &mut b);
            metrics(&m, &layout, &disc, &mut b);
            let at = format!("{} trial {t}", path.display());
            assert_eq!(bits(&a.row), bits(&b.row), "{at}");
            assert_eq!(bits(&a.flows), bits(&b.flows), "{at}");
            assert_eq!(bits(&a.payments), bits(&b.payments), "{at}");
            assert_eq!(bits(&a.position), bits(&b.position), "{at}");
        }
    }
    // Every shape with its own copy (src/engine/mod.rs) was compared: the
    // waterfall's (segments, payers, tranches), the funnel's segment counts.
    for shape in [
        (1, 1, 1),
        (1, 2, 2),
        (2, 2, 2),
        (1, 3, 1),
        (2, 1, 1),
        (4, 2, 2),
    ] {
        assert!(shapes.contains(&shape), "{shape:?} not in {shapes:?}");
    }
    for segments in [2, 4] {
        assert!(
            shapes.iter().any(|s| s.0 == segments),
            "{segments} segments"
        );
    }
}
