//! `ibsim sweep` and `ibsim solve`.

use crate::common::*;

use ibsim::analysis::solve::{Outcome, solve};
use ibsim::analysis::sweep::{Limits, Vary, sweep};
use ibsim::analysis::target::Target;
use ibsim::scenario::parse_str;

/// -1000 at month 0, 10 outcomes paid at month 12: IRR = 10 P / 1000 - 1 exactly.
const DETERMINISTIC: &str = "
name: deterministic
currency: USD
horizon_months: 13
cohorts: [{name: c, start_month: 0, size: 10}]
outcomes:
  - {id: placement, rate: 1, lag_months: 12, price: 100}
costs: {upfront: 1000}
simulation: {trials: 50, seed: 3}
";

#[test]
fn solve_finds_the_analytic_price_on_a_deterministic_deal() {
    let s = parse_str(DETERMINISTIC, "d.yaml").unwrap().scenario;
    let vary = Vary::parse("outcomes.placement.price=50..200").unwrap();
    let metrics: Vec<String> = vec!["investor_irr".into(), "payer_cost".into()];
    let targets = [
        Target::parse("mean(investor_irr) >= 0.08", &metrics).unwrap(),
        Target::parse("quantile(payer_cost, 0.95) <= 1500", &metrics).unwrap(),
    ];
    let tol = 1e-6;
    let r = solve(&s, &vary, &targets, 9, tol, 50, 3, Some(1)).unwrap();
    // IRR >= 8% <=> 10 P / 1000 >= 1.08 <=> P >= 108; payer cost 10 P <= 1500 <=> P <= 150.
    let width = (vary.hi - vary.lo) * tol;
    match &r.targets[0].outcome {
        Outcome::Boundary {
            boundary,
            above,
            at,
        } => {
            assert!(*above);
            assert!(
                *boundary >= 108.0 - 1e-9 && boundary - 108.0 <= width,
                "{boundary}"
            );
            assert!((at.value - (boundary / 100.0 - 1.0)).abs() < 1e-9);
        }
        o => panic!("{o:?}"),
    }
    match &r.targets[1].outcome {
        Outcome::Boundary {
            boundary, above, ..
        } => {
            assert!(!above);
            assert!(
                *boundary <= 150.0 + 1e-9 && 150.0 - boundary <= width,
                "{boundary}"
            );
        }
        o => panic!("{o:?}"),
    }
    let (a, b) = r.window.unwrap();
    assert!((a - 108.0).abs() <= width && (b - 150.0).abs() <= width);
}

#[test]
fn solve_says_when_no_value_or_every_value_meets_the_target() {
    let s = parse_str(DETERMINISTIC, "d.yaml").unwrap().scenario;
    let vary = Vary::parse("outcomes.placement.price=50..100").unwrap();
    let m: Vec<String> = vec!["investor_irr".into()];
    let never = Target::parse("mean(investor_irr) >= 0.08", &m).unwrap();
    let always = Target::parse("mean(investor_irr) > -0.9", &m).unwrap();
    let r = solve(&s, &vary, &[never, always], 5, 1e-4, 20, 1, Some(1)).unwrap();
    assert_eq!(r.targets[0].outcome, Outcome::Nowhere);
    assert_eq!(r.targets[1].outcome, Outcome::Everywhere);
    assert!(r.window.is_none());
}

const PRICED: &str = "
name: priced
currency: USD
horizon_months: 30
enrolment: {cohorts: 3, every_months: 4, size: 150}
outcomes:
  - {id: a, rate: {beta: {mean: 0.5, sd: 0.1}}, lag_months: 3, price: 100}
  - {id: b, of: a, rate: {pert: {min: 0.5, mode: 0.7, max: 0.8}}, lag_months: 2, price: 50}
costs: {upfront: 2000, per_participant: {uniform: {min: 40, max: 60}}}
finance: {excess_to: provider, tranches: [{name: investor, share: 1, cap_irr: 0.1}]}
simulation: {trials: 2000, seed: 5}
";

#[test]
fn sweep_points_move_the_way_theory_says() {
    let s = parse_str(PRICED, "p.yaml").unwrap().scenario;
    let vary = [Vary::parse("outcomes.a.price=60..160:6").unwrap()];
    let limits = Limits {
        max_prob_loss: 0.1,
        max_prob_over_cap: 0.05,
        payer_cap: None,
    };
    let r = sweep(&s, &vary, 2000, 5, Some(2), &limits, None, &|_, _| {}).unwrap();
    let fig = |i: usize, k: &str| r.rows[i].1.iter().find(|f| f.0 == k).unwrap().1;
    for i in 1..r.rows.len() {
        // No caps, excess to the provider: the payer pays price x count, which rises with price
        // (common random numbers: the same counts at every point).
        assert!(fig(i, "payer_cost_mean") > fig(i - 1, "payer_cost_mean"));
        assert!(fig(i, "prob_loss") <= fig(i - 1, "prob_loss"));
    }
    assert_eq!(r.rows.len(), 6);
    let csv = r.to_csv();
    assert_eq!(csv.lines().count(), 7);
    assert!(csv.starts_with("outcomes.a.price,investor_irr_mean,investor_irr_mean_se,prob_loss"));
}

#[test]
fn sweep_and_solve_commands_write_their_files() {
    let dir = tempdir("analysis-cli");
    let d = dir.to_str().unwrap();
    let o = ibsim(&[
        "sweep",
        "scenarios/empleando-futuro.yaml",
        "--vary",
        "outcomes.placement.price=1.2e6..1.8e6:4",
        "--vary",
        "finance.tranches.investors.cap_irr=0.06..0.12:3",
        "--trials",
        "500",
        "--out",
        d,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let base = dir.join("empleando-futuro");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(base.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(json["points"].as_array().unwrap().len(), 12);
    assert!(base.join("charts/sweep.png").exists() && base.join("sweep.csv").exists());
    let o = ibsim(&[
        "solve",
        "scenarios/empleando-futuro.yaml",
        "--vary",
        "outcomes.placement.price=0.8e6..3e6",
        "--target",
        "prob(investor_irr >= 0.0) >= 0.8",
        "--trials",
        "500",
        "--out",
        d,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("prob(investor_irr >= 0.0) >= 0.8"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(base.join("solve.json")).unwrap()).unwrap();
    assert_eq!(json["targets"][0]["result"], "holds_at_or_above");
}

#[test]
fn analysis_usage_errors() {
    let o = ibsim(&[
        "sweep",
        "scenarios/empleando-futuro.yaml",
        "--vary",
        "outcomes.hiring.price=1..2:3",
        "--trials",
        "10",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("placement, retention_3m, retention_6m"),
        "{}",
        stderr(&o)
    );
    let o = ibsim(&[
        "sweep",
        "scenarios/empleando-futuro.yaml",
        "--vary",
        "outcomes.placement.price=2..1:3",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = ibsim(&[
        "solve",
        "scenarios/empleando-futuro.yaml",
        "--vary",
        "outcomes.placement.price=1..2",
        "--target",
        "prob(irr > 0) > 0.5",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown metric `irr`"));
    // Sensitivity analyses one deal: given a programme, it names the deals' files.
    let o = ibsim(&["sensitivity", "scenarios/programmes/por-mas.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("is a programme; ibsim sensitivity analyses one deal's inputs")
            && e.contains("scenarios/programmes/por-mas/empleo.yaml")
            && e.lines().count() == 1,
        "{e}"
    );
}

/// A deal whose payer cost is driven by the trial's rates (wide betas, no caps).
const RATE_DRIVEN: &str = "
name: rate driven
currency: USD
horizon_months: 24
enrolment: {cohorts: 2, every_months: 6, size: 2000}
outcomes:
  - {id: a, rate: {beta: {mean: 0.5, sd: 0.15}}, lag_months: 2, price: 100}
  - {id: b, of: a, rate: {uniform: {min: 0.3, max: 0.9}}, lag_months: 2, price: 60}
costs: {upfront: 1000}
finance: {excess_to: provider}
simulation: {trials: 1000, seed: 1, sampling: random}
";

#[test]
fn latin_hypercube_reduces_the_spread_of_mean_payer_cost() {
    let spread = |sampling: &str| {
        let text = RATE_DRIVEN.replace("sampling: random", &format!("sampling: {sampling}"));
        let s = parse_str(&text, "r.yaml").unwrap().scenario;
        let means: Vec<f64> = (0..20u64)
            .map(|seed| {
                let (m, cols) =
                    ibsim::analysis::sweep::run_point(&s, &[], 1000, 1000 + seed, Some(2)).unwrap();
                let l = ibsim::engine::Layout::new(&m);
                cols.data[l.payer_cost].iter().sum::<f64>() / 1000.0
            })
            .collect();
        let mu = means.iter().sum::<f64>() / 20.0;
        (means.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>() / 19.0).sqrt()
    };
    let (random, lhs) = (spread("random"), spread("lhs"));
    eprintln!(
        "sd of mean payer cost over 20 seeds x 1000 trials: random {random:.1}, lhs {lhs:.1}"
    );
    // The sd of a sample sd over 20 replications is about 16%: a factor 2 is far outside noise.
    assert!(
        lhs < 0.5 * random,
        "LHS sd of the mean {lhs} vs random {random}"
    );
}

/// One input matters (a rate spanning 0.1..0.9); another barely varies (a cost of 99..101).
const ONE_DRIVER: &str = "
name: one driver
currency: USD
horizon_months: 24
cohorts: [{name: c, start_month: 0, size: 1000}]
outcomes:
  - {id: a, rate: {uniform: {min: 0.1, max: 0.9}}, lag_months: 6, price: 100}
costs: {upfront: {uniform: {min: 99, max: 101}}, per_participant: 30}
finance: {excess_to: provider}
simulation: {trials: 3000, seed: 9}
";

#[test]
fn sensitivity_ranks_the_dominant_input_first() {
    let s = parse_str(ONE_DRIVER, "o.yaml").unwrap().scenario;
    let m = ibsim::model::Model::compile(&s);
    let layout = ibsim::engine::Layout::new(&m);
    let given =
        ibsim::analysis::tail::Condition::parse(&format!("{} < 0", layout.funder.net), &layout)
            .unwrap();
    let r = ibsim::analysis::sensitivity::analyse(&m, 3000, 9, &given, Some(2)).unwrap();
    assert_eq!(r.inputs.len(), 2);
    assert_eq!(r.inputs[0].path, "outcomes[0].rate");
    // Payer cost = 100 x count: rank correlation with the rate close to 1, with the cost close to 0.
    assert!(r.inputs[0].spearman[2] > 0.95, "{:?}", r.inputs[0].spearman);
    assert!(
        r.inputs[1].spearman[2].abs() < 0.1,
        "{:?}",
        r.inputs[1].spearman
    );
    // P10 and P90 of uniform(0.1, 0.9) are 0.18 and 0.82; mean payer cost is 100 x 1000 x rate
    // up to binomial noise that common random numbers make identical in both runs.
    let (lo, hi) = r.inputs[0].low_high;
    assert!((lo - 0.18).abs() < 1e-12 && (hi - 0.82).abs() < 1e-12);
    // With the rate fixed at r, payer cost = 100 x Binomial(1000, r): its mean over 3000 trials
    // has se 100 sqrt(1000 r (1 - r) / 3000); allow 5 se.
    let (cl, ch) = r.inputs[0].cost;
    let se = |r: f64| 100.0 * (1000.0 * r * (1.0 - r) / 3000.0f64).sqrt();
    assert!((cl - 18_000.0).abs() < 5.0 * se(0.18), "{cl}");
    assert!((ch - 82_000.0).abs() < 5.0 * se(0.82), "{ch}");
}

#[test]
fn sensitivity_command_writes_json_and_tornado_charts() {
    let dir = tempdir("sens-cli");
    let o = ibsim(&[
        "sensitivity",
        "scenarios/empleando-futuro.yaml",
        "--trials",
        "1000",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let base = dir.join("empleando-futuro");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(base.join("sensitivity.json")).unwrap())
            .unwrap();
    assert!(j["inputs"].as_array().unwrap().len() >= 3);
    assert!(
        base.join("charts/tornado_investor_net.png").exists()
            && base.join("charts/tornado_payer_cost.svg").exists()
    );
}
