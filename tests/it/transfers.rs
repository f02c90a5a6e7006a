//! Performance transfers to agencies (docs/model.md, "Transfers to
//! agencies"): hand-computed pools that bind, shared pro rata and by
//! priority, across rounds and the horizon; the same numbers for any order
//! of the agencies in the file; the invariants on the bundled programmes.

use crate::common::library::{self, close, deterministic as run};
use serde_json::Value;

/// A programme on one rate outcome paid pro rata between the baseline
/// (nothing) and the target (all of the commitment), verified in `months`,
/// with `transfers` (pool, allocation) and `agencies`.
fn programme(months: &str, transfers: &str, agencies: &str) -> String {
    format!(
        "
name: transfers
currency: USD
horizon_months: 12
cohorts: [{{name: agencies, start_month: 0, size: 4}}]
outcomes:
  - id: indicator
    rate: 0.8
    baseline: 0.6
    target: 0.8
    achievement: share_of_target
    schedule: {{points: [{{at: 0, pay: 0}}, {{at: 1, pay: 1}}]}}
    price: 100
    verification: {{months: {months}}}
transfers:
  outcome: indicator
{transfers}
  agencies:
{agencies}
finance: {{funded_by: provider}}
simulation: {{trials: 8, seed: 3}}
"
    )
}

/// Four agencies: a and d reach their targets (100 and 40 due), b half of
/// it (50 of 100), c nothing (of 60): 190 due in all.
const FOUR: &str = "    - {name: a, commitment: 100, rate: 0.8}
    - {name: b, commitment: 100, rate: 0.7}
    - {name: c, commitment: 60, rate: 0.6}
    - {name: d, commitment: 40, baseline: 0.5, target: 0.7, rate: 0.7}";

/// Each agency's mean transfer in the summary, by name.
fn received(summary: &Value, name: &str) -> f64 {
    summary["transfers"]["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no agency {name}"))["mean"]
        .as_f64()
        .unwrap()
}

#[test]
fn a_binding_pool_is_shared_pro_rata_to_what_is_due() {
    // 190 due, a pool of 150: everyone gets 150/190 of what it is due.
    let (m, s) = run(&programme("[10]", "  pool: 150", FOUR));
    let f = 150.0 / 190.0;
    for (name, due) in [("a", 100.0), ("b", 50.0), ("c", 0.0), ("d", 40.0)] {
        close(name, received(&s, name), due * f);
        close(name, m(&format!("_transfer.{name}")), due * f);
    }
    close("transferred", m("transferred"), 150.0);
    close("earned", m("earned"), 190.0);
    close("pool_shortfall", m("pool_shortfall"), 40.0);
    close("payer_cost", m("payer_cost"), 150.0);
    assert_eq!(m("agencies_paid_in_full"), 0.0);
    assert_eq!(m("agencies_paid_nothing"), 1.0);
    assert_eq!(s["probabilities"]["prob_pool_binds"]["value"], 1.0);
    assert_eq!(s["transfers"]["pool"], 150.0);
    // Without a pool, everyone is paid what it is due.
    let (free, _) = run(&programme("[10]", "", FOUR));
    close("transferred", free("transferred"), 190.0);
    assert_eq!(free("agencies_paid_in_full"), 2.0);
}

#[test]
fn by_priority_the_first_ranks_are_paid_in_full() {
    // Rank 1 (a, d) is due 140 and paid in full; rank 2 (b) gets the 10
    // left; rank 3 (c) was due nothing.
    let agencies = "    - {name: a, commitment: 100, rate: 0.8, priority: 1}
    - {name: b, commitment: 100, rate: 0.7, priority: 2}
    - {name: c, commitment: 60, rate: 0.6, priority: 3}
    - {name: d, commitment: 40, baseline: 0.5, target: 0.7, rate: 0.7, priority: 1}";
    let (m, s) = run(&programme(
        "[10]",
        "  pool: 150\n  allocation: priority",
        agencies,
    ));
    for (name, want) in [("a", 100.0), ("b", 10.0), ("c", 0.0), ("d", 40.0)] {
        close(name, received(&s, name), want);
    }
    assert_eq!(m("agencies_paid_in_full"), 2.0);
}

#[test]
fn each_round_shares_what_is_left_and_later_rounds_pay_what_was_cut() {
    // Two agencies reaching their targets at month 10: at month 5 each has
    // half of it (50 due), at month 10 the other half. A pool of 120 pays
    // both at month 5 (100) and shares the 20 left at month 10.
    let two = "    - {name: a, commitment: 100, rate: 0.8}
    - {name: b, commitment: 100, rate: 0.8}";
    let (m, s) = run(&programme("[5, 10]", "  pool: 120", two));
    close("a", received(&s, "a"), 60.0);
    close("b", received(&s, "b"), 60.0);
    close("earned", m("earned"), 200.0);
    close("pool_shortfall", m("pool_shortfall"), 80.0);
    // A round whose cash falls after the horizon pays nothing and takes
    // nothing from the pool: the payment lag of 2 moves month 10 to 12.
    let late = programme("[5, 10]", "  pool: 120", two)
        .replace("finance:", "payment: {lag_months: 2}\nfinance:");
    let (l, ls) = run(&late);
    close("a", received(&ls, "a"), 50.0);
    close("transferred", l("transferred"), 100.0);
    close("pool_shortfall", l("pool_shortfall"), 0.0);
    close("unpaid share", l("unpaid_after_horizon.indicator"), 0.5);
}

#[test]
fn the_order_of_the_agencies_in_the_file_changes_nothing() {
    // Uncertain rates and a survey in two rounds: every draw and every sum
    // goes by the agencies' names, so a shuffled list gives the same bits.
    let list: Vec<String> = (0..12)
        .map(|i| {
            format!(
                "    - {{name: agency-{i:02}, commitment: {}, rate: {{beta: {{mean: {}, sd: 0.05}}}}}}",
                100 + 10 * i,
                0.66 + 0.01 * f64::from(i)
            )
        })
        .collect();
    let survey = |agencies: &str| {
        programme("[5, 11]", "  pool: 1150", agencies).replace(
            "verification: {months: [5, 11]}",
            "verification: {survey: {sample: 300}, months: [5, 11]}",
        )
    };
    let forward = survey(&list.join("\n"));
    let mut shuffled = list.clone();
    shuffled.reverse();
    shuffled.swap(2, 7);
    let backward = survey(&shuffled.join("\n"));
    let (a, b) = (library::model(&forward), library::model(&backward));
    let (ca, sa) = library::run(&a, 2000, 2);
    let (cb, sb) = library::run(&b, 2000, 3);
    assert_eq!(sa["metrics"], sb["metrics"]);
    assert_eq!(sa["probabilities"], sb["probabilities"]);
    let p = sa["probabilities"]["prob_pool_binds"]["value"]
        .as_f64()
        .unwrap();
    assert!(p > 0.05 && p < 0.95, "the pool should bind sometimes: {p}");
    for i in 0..12 {
        let name = format!("agency-{i:02}");
        let col = format!("_transfer.{name}");
        assert_eq!(
            library::column(&ca, &col),
            library::column(&cb, &col),
            "{name}"
        );
    }
}

#[test]
fn the_bundled_programmes_keep_every_invariant() {
    for name in [
        "peru-compromisos",
        "bucaramanga-secretariats",
        "bench/transfers",
    ] {
        let path = crate::common::root().join(format!("scenarios/{name}.yaml"));
        let text = std::fs::read_to_string(path).unwrap();
        crate::common::invariants::every_trial(&text, 200)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn transfers_give_the_same_bytes_for_any_threads_and_shards() {
    crate::common::same_bytes_for_any_threads_and_shards("peru-compromisos");
}
