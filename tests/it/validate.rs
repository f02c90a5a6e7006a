//! `ibsim validate`, `init` and `schema` driven through the real binary.

use crate::common::*;

/// A small valid scenario; the invalid cases below are one edit away from it.
const BASE: &str = "\
name: Test bond
currency: COP
horizon_months: 24
cohorts:
  - name: c1
    start_month: 0
    size: 100
  - name: c2
    start_month: 6
    size: {uniform: {min: 80, max: 120}}
outcomes:
  - id: placement
    rate: {beta: {mean: 0.5, sd: 0.08}}
    cohort_sd: 0.02
    lag_months: 3
    price: 1000
    max_paid: 150
  - id: retention
    of: placement
    rate: {pert: {min: 0.5, mode: 0.7, max: 0.9}}
    lag_months: 3
    price: 500
correlations:
  - between: [placement, retention]
    rho: 0.3
shocks:
  - name: recession
    probability: 0.1
    from_month: 6
    rate_multiplier: {placement: 0.8}
costs:
  upfront: 1000
  per_participant: {triangular: {min: 50, mode: 60, max: 80}}
  per_outcome: {placement: 10}
  fixed_monthly: 100
  fixed_months: [0, 12]
payment:
  payers:
    - {name: city, share: 0.7}
    - {name: agency, share: 0.3}
  budget_cap: 200000
  lag_months: 1
  evaluation_cost: 500
  discount_rate: 0.08
finance:
  committed_capital: 50000
  recycling: true
  hurdle_irr: 0.08
  tranches:
    - {name: senior, share: 0.8, seniority: 1, cap_irr: 0.12}
    - {name: junior, share: 0.2, seniority: 2, cap_irr: 0.2}
  guarantee: {amount: 1000, covers: senior}
  excess_to: payer
  provider_success_share: 0.05
simulation:
  trials: 1000
  seed: 7
  sampling: random
";

/// (description, from, to, expected field path, text on the expected line, expected message part)
const CASES: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "beta sd too large",
        "sd: 0.08}",
        "sd: 0.6}",
        "outcomes[0].rate.beta.sd",
        "sd: 0.6",
        "too large",
    ),
    (
        "beta mean out of range",
        "mean: 0.5, sd",
        "mean: 1.5, sd",
        "outcomes[0].rate.beta.mean",
        "mean: 1.5",
        "0 < mean < 1",
    ),
    (
        "beta mixed parameters",
        "{mean: 0.5, sd: 0.08}",
        "{mean: 0.5, alpha: 2}",
        "outcomes[0].rate.beta",
        "alpha: 2",
        "exactly one pair",
    ),
    (
        "unknown distribution",
        "{beta: {mean: 0.5, sd: 0.08}}",
        "{betta: {mean: 0.5}}",
        "outcomes[0].rate",
        "betta",
        "unknown variant",
    ),
    (
        "two distribution keys",
        "{beta: {mean: 0.5, sd: 0.08}}",
        "{beta: {mean: 0.5, sd: 0.08}, uniform: {min: 0, max: 1}}",
        "outcomes[0].rate",
        "uniform: {min: 0",
        "exactly one key",
    ),
    (
        "rate above one",
        "{pert: {min: 0.5, mode: 0.7, max: 0.9}}",
        "{pert: {min: 0.5, mode: 0.7, max: 1.9}}",
        "outcomes[1].rate",
        "max: 1.9",
        "within [0, 1]",
    ),
    (
        "lognormal rate",
        "{pert: {min: 0.5, mode: 0.7, max: 0.9}}",
        "{lognormal: {mean: 0.5, sd: 0.1}}",
        "outcomes[1].rate",
        "lognormal",
        "cannot be lognormal",
    ),
    (
        "untruncated normal rate",
        "{pert: {min: 0.5, mode: 0.7, max: 0.9}}",
        "{normal: {mean: 0.5, sd: 0.1}}",
        "outcomes[1].rate",
        "normal",
        "truncated",
    ),
    (
        "pert mode outside",
        "mode: 0.7, max: 0.9",
        "mode: 0.95, max: 0.9",
        "outcomes[1].rate.pert.mode",
        "mode: 0.95",
        "min <= mode <= max",
    ),
    (
        "unknown top-level key",
        "name: Test bond\n",
        "name: Test bond\nnmae: typo\n",
        "nmae",
        "nmae: typo",
        "unknown field",
    ),
    (
        "unknown nested key",
        "    lag_months: 3\n    price: 1000",
        "    lag_month: 3\n    price: 1000",
        "outcomes[0].lag_month",
        "lag_month: 3",
        "unknown field",
    ),
    (
        "duplicate key",
        "  seed: 7\n",
        "  seed: 7\n  seed: 8\n",
        "",
        "seed: 8",
        "duplicate key",
    ),
    (
        "price not a number",
        "price: 500",
        "price: lots",
        "outcomes[1].price",
        "price: lots",
        "expected a price",
    ),
    // Section 8: segments, lags, tiers, paid_by, counterfactual, measurement,
    // payer caps, service fee, guarantee and floor funding.
    (
        "segment name with a capital",
        "outcomes:\n",
        "segments:\n  - {name: Women, share: 0.5}\n  - {name: men, share: 0.5}\noutcomes:\n",
        "segments[0].name",
        "name: Women",
        "[a-z0-9_]+",
    ),
    (
        "segment shares do not sum to 1",
        "outcomes:\n",
        "segments:\n  - {name: women, share: 0.5}\n  - {name: men, share: 0.4}\noutcomes:\n",
        "segments",
        "- {name: women, share: 0.5}",
        "sum to 0.9",
    ),
    (
        "segment multiplier for an unknown outcome",
        "outcomes:\n",
        "segments:\n  - name: women\n    share: 1\n    rate_multiplier: {hiring: 0.9}\noutcomes:\n",
        "segments[0].rate_multiplier.hiring",
        "rate_multiplier: {hiring",
        "unknown outcome `hiring`",
    ),
    (
        "negative price multiplier",
        "outcomes:\n",
        "segments:\n  - name: women\n    share: 1\n    price_multiplier: -1.4\noutcomes:\n",
        "segments[0].price_multiplier",
        "price_multiplier: -1.4",
        "negative",
    ),
    (
        "lag as a beta",
        "    lag_months: 3\n    price: 500",
        "    lag_months: {beta: {mean: 0.5, sd: 0.1}}\n    price: 500",
        "outcomes[1].lag_months",
        "lag_months: {beta",
        "a lag cannot be beta",
    ),
    (
        "lag uniform with fractional bounds",
        "    lag_months: 3\n    price: 500",
        "    lag_months:\n      uniform: {min: 2.5, max: 6}\n    price: 500",
        "outcomes[1].lag_months.uniform.min",
        "uniform: {min: 2.5",
        "not a whole number of months",
    ),
    (
        "tiers not increasing",
        "price: 500",
        "price:\n      tiers:\n        - {up_to: 50, price: 500}\n        - {up_to: 40, price: 450}\n        - {price: 400}",
        "outcomes[1].price.tiers[1].up_to",
        "{up_to: 40",
        "strictly increasing",
    ),
    (
        "last tier with up_to",
        "price: 500",
        "price:\n      tiers:\n        - {up_to: 50, price: 500}\n        - {up_to: 90, price: 400}",
        "outcomes[1].price.tiers[1].up_to",
        "{up_to: 90",
        "the last tier has no `up_to`",
    ),
    (
        "middle tier without up_to",
        "price: 500",
        "price:\n      tiers:\n        - {price: 500}\n        - {price: 400}",
        "outcomes[1].price.tiers[0]",
        "- {price: 500}",
        "missing `up_to`",
    ),
    (
        "tiers with a typo",
        "price: 500",
        "price: {tier: []}",
        "outcomes[1].price",
        "price: {tier",
        "tiers",
    ),
    (
        "paid_by an unknown payer",
        "    price: 500",
        "    price: 500\n    paid_by: [city, ministry]",
        "outcomes[1].paid_by[1]",
        "paid_by: [city, ministry]",
        "unknown payer `ministry`",
    ),
    (
        "counterfactual above 1",
        "    price: 500",
        "    price: 500\n    counterfactual_rate: 1.3",
        "outcomes[1].counterfactual_rate",
        "counterfactual_rate: 1.3",
        "out of range",
    ),
    (
        "negative measurement error",
        "    price: 500",
        "    price: 500\n    measurement: {relative_sd: -0.1}",
        "outcomes[1].measurement.relative_sd",
        "measurement: {relative_sd: -0.1}",
        "out of range",
    ),
    (
        "measurement with a typo",
        "    price: 500",
        "    price: 500\n    measurement: {relative_st: 0.1}",
        "outcomes[1].measurement.relative_st",
        "measurement: {relative_st",
        "unknown field `relative_st`",
    ),
    (
        "negative payer cap",
        "{name: agency, share: 0.3}",
        "{name: agency, share: 0.3, cap: -5}",
        "payment.payers[1].cap",
        "{name: agency, share: 0.3, cap: -5}",
        "negative",
    ),
    (
        "service fee above 1",
        "  evaluation_cost: 500",
        "  evaluation_cost: 500\n  service_fee: 1.5",
        "payment.service_fee",
        "service_fee: 1.5",
        "out of range",
    ),
    (
        "a provider-funded contract with investor tranches",
        "  committed_capital: 50000",
        "  funded_by: provider\n  committed_capital: 50000",
        "finance.tranches",
        "- {name: senior",
        "funded_by: provider",
    ),
    (
        "providers beside the contract's own cohorts",
        "outcomes:\n  - id: placement",
        "providers:\n  - {name: east, enrolment: {cohorts: 2, size: 10}}\noutcomes:\n  - id: placement",
        "cohorts",
        "- name: c1",
        "each provider enrols its own participants",
    ),
    (
        "a provider name that cannot be a metric key",
        "outcomes:\n  - id: placement",
        "providers:\n  - {name: East.1, enrolment: {cohorts: 2, size: 10}}\noutcomes:\n  - id: placement",
        "providers[0].name",
        "name: East.1",
        "[a-z0-9_]+",
    ),
    (
        "a provider's rate multiplier on an unknown outcome",
        "outcomes:\n  - id: placement",
        "providers:\n  - name: east\n    enrolment: {cohorts: 2, size: 10}\n    rate_multiplier: {placment: 0.9}\noutcomes:\n  - id: placement",
        "providers[0].rate_multiplier.placment",
        "placment: 0.9",
        "unknown count outcome `placment`",
    ),
    (
        "a contract-wide cost per participant with providers",
        "outcomes:\n  - id: placement",
        "providers:\n  - {name: east, enrolment: {cohorts: 2, size: 10}}\noutcomes:\n  - id: placement",
        "costs.per_participant",
        "per_participant: {triangular",
        "move it into the providers",
    ),
    (
        "an unknown funder",
        "  committed_capital: 50000",
        "  funded_by: donors\n  committed_capital: 50000",
        "finance.funded_by",
        "funded_by: donors",
        "investors",
    ),
    (
        "a negative fixed part of the price",
        "  evaluation_cost: 500",
        "  evaluation_cost: 500\n  fixed_monthly: -10",
        "payment.fixed_monthly",
        "fixed_monthly: -10",
        "negative",
    ),
    (
        "fixed months beyond the horizon",
        "  evaluation_cost: 500",
        "  evaluation_cost: 500\n  fixed_monthly: 10\n  fixed_months: [0, 30]",
        "payment.fixed_months",
        "fixed_months: [0, 30]",
        "horizon_months (24)",
    ),
    (
        "an advance recovered from nothing",
        "  evaluation_cost: 500",
        "  evaluation_cost: 500\n  advance: {amount: 1000, recovery: 0}",
        "payment.advance.recovery",
        "advance: {amount: 1000",
        "(0, 1]",
    ),
    (
        "an advance after the horizon",
        "  evaluation_cost: 500",
        "  evaluation_cost: 500\n  advance: {amount: 1000, month: 24}",
        "payment.advance.month",
        "advance: {amount: 1000",
        "inside the horizon",
    ),
    (
        "guarantee funded by someone unknown",
        "{amount: 1000, covers: senior}",
        "{amount: 1000, covers: senior, by: donor}",
        "finance.guarantee.by",
        "guarantee: {amount: 1000",
        "guarantor",
    ),
    (
        "floor without covers",
        "  excess_to: payer",
        "  excess_to: payer\n  principal_floor: {share: 0.5}",
        "finance.principal_floor",
        "principal_floor: {share: 0.5}",
        "missing `covers`",
    ),
    (
        "floor share above 1",
        "  excess_to: payer",
        "  excess_to: payer\n  principal_floor: {covers: senior, share: 1.5}",
        "finance.principal_floor.share",
        "principal_floor: {covers: senior, share: 1.5}",
        "out of range",
    ),
    (
        "negative price",
        "price: 500",
        "price: -500",
        "outcomes[1].price",
        "price: -500",
        "negative",
    ),
    (
        "bad id",
        "- id: retention",
        "- id: Retention-3m",
        "outcomes[1].id",
        "Retention-3m",
        "[a-z0-9_]+",
    ),
    (
        "duplicate id",
        "- id: retention",
        "- id: placement",
        "outcomes[1].id",
        "- id: placement\n    of",
        "duplicate outcome id",
    ),
    (
        "of refers to unknown",
        "of: placement",
        "of: hiring",
        "outcomes[1].of",
        "of: hiring",
        "no such outcome",
    ),
    (
        "of refers to later outcome",
        "  - id: placement\n    rate",
        "  - id: placement\n    of: retention\n    rate",
        "outcomes[0].of",
        "of: retention",
        "declared later",
    ),
    (
        "cohort after horizon",
        "start_month: 6",
        "start_month: 30",
        "cohorts[1].start_month",
        "start_month: 30",
        "horizon",
    ),
    (
        "negative cohort start",
        "start_month: 6",
        "start_month: -1",
        "cohorts[1].start_month",
        "start_month: -1",
        "negative",
    ),
    (
        "fractional size",
        "size: 100",
        "size: 100.5",
        "cohorts[0].size",
        "size: 100.5",
        "not a count",
    ),
    (
        "duplicate cohort",
        "name: c2",
        "name: c1",
        "cohorts[1].name",
        "- name: c1\n    start_month: 6",
        "duplicate cohort",
    ),
    (
        "both cohorts and enrolment",
        "outcomes:\n",
        "enrolment: {cohorts: 2, size: 10}\noutcomes:\n",
        "enrolment",
        "enrolment: {cohorts",
        "not both",
    ),
    (
        "payer shares",
        "share: 0.3}",
        "share: 0.2}",
        "payment.payers",
        "- {name: city",
        "sum to 0.9",
    ),
    (
        "payer name with dot",
        "{name: agency,",
        "{name: agency.bid,",
        "payment.payers[1].name",
        "agency.bid",
        "contains `.`",
    ),
    (
        "tranche shares",
        "{name: junior, share: 0.2",
        "{name: junior, share: 0.3",
        "finance.tranches",
        "- {name: senior",
        "sum to 1.1",
    ),
    (
        "negative cap",
        "cap_irr: 0.2}",
        "cap_irr: -0.2}",
        "finance.tranches[1].cap_irr",
        "cap_irr: -0.2",
        "cap >= 0",
    ),
    (
        "guarantee covers unknown",
        "covers: senior",
        "covers: mezzanine",
        "finance.guarantee.covers",
        "covers: mezzanine",
        "unknown tranche",
    ),
    (
        "guarantee without covers",
        "{amount: 1000, covers: senior}",
        "{amount: 1000}",
        "finance.guarantee",
        "guarantee:",
        "missing `covers`",
    ),
    (
        "correlation unknown outcome",
        "[placement, retention]",
        "[placement, churn]",
        "correlations[0].between[1]",
        "churn",
        "unknown outcome",
    ),
    (
        "correlation out of range",
        "rho: 0.3",
        "rho: 1.3",
        "correlations[0].rho",
        "rho: 1.3",
        "from -1 to 1",
    ),
    (
        "shock probability",
        "probability: 0.1",
        "probability: 1.1",
        "shocks[0].probability",
        "probability: 1.1",
        "probability from 0 to 1",
    ),
    (
        "shock unknown outcome",
        "{placement: 0.8}",
        "{placment: 0.8}",
        "shocks[0].rate_multiplier.placment",
        "placment: 0.8",
        "unknown outcome",
    ),
    (
        "per_outcome unknown",
        "per_outcome: {placement: 10}",
        "per_outcome: {hire: 10}",
        "costs.per_outcome.hire",
        "hire: 10",
        "unknown outcome",
    ),
    (
        "negative cost distribution",
        "{triangular: {min: 50,",
        "{triangular: {min: -50,",
        "costs.per_participant",
        "min: -50",
        "cannot be negative",
    ),
    (
        "fixed months beyond horizon",
        "fixed_months: [0, 12]",
        "fixed_months: [0, 30]",
        "costs.fixed_months",
        "fixed_months",
        "start <= end <= horizon",
    ),
    (
        "currency not ISO",
        "currency: COP",
        "currency: pesos",
        "currency",
        "currency: pesos",
        "ISO 4217",
    ),
    (
        "horizon zero",
        "horizon_months: 24",
        "horizon_months: 0",
        "horizon_months",
        "horizon_months: 0",
        "1 to 1200",
    ),
    (
        "horizon fractional",
        "horizon_months: 24",
        "horizon_months: 24.5",
        "horizon_months",
        "horizon_months: 24.5",
        "whole number",
    ),
    (
        "yes is not a boolean",
        "recycling: true",
        "recycling: yes",
        "finance.recycling",
        "recycling: yes",
        "boolean",
    ),
    (
        "excess_to unknown",
        "excess_to: payer",
        "excess_to: investor",
        "finance.excess_to",
        "excess_to: investor",
        "payer",
    ),
    (
        "excess settlement unknown",
        "excess_to: payer",
        "excess_to: payer\n  excess_settlement: never",
        "finance.excess_settlement",
        "excess_settlement: never",
        "expected one of end, monthly",
    ),
    (
        "distributions as a bare number",
        "excess_to: payer",
        "excess_to: payer\n  distributions: 12",
        "finance.distributions",
        "distributions: 12",
        "write `{every_months: 12}`",
    ),
    (
        "distributions schedule unknown",
        "excess_to: payer",
        "excess_to: payer\n  distributions: yearly",
        "finance.distributions",
        "distributions: yearly",
        "expected `monthly`, `end` or `{every_months: N}`",
    ),
    (
        "distributions every zero months",
        "excess_to: payer",
        "excess_to: payer\n  distributions: {every_months: 0}",
        "finance.distributions.every_months",
        "distributions: {every_months: 0}",
        "whole number of months >= 1",
    ),
    (
        "distributions every half month",
        "excess_to: payer",
        "excess_to: payer\n  distributions:\n    every_months: 2.5",
        "finance.distributions.every_months",
        "every_months: 2.5",
        "whole number",
    ),
    (
        "sampling unknown",
        "sampling: random",
        "sampling: sobol",
        "simulation.sampling",
        "sampling: sobol",
        "lhs",
    ),
    (
        "trials zero",
        "trials: 1000",
        "trials: 0",
        "simulation.trials",
        "trials: 0",
        "1 to",
    ),
    (
        "success share above one",
        "provider_success_share: 0.05",
        "provider_success_share: 1.5",
        "finance.provider_success_share",
        "provider_success_share: 1.5",
        "from 0 to 1",
    ),
    (
        "discrete weights mismatch",
        "size: {uniform: {min: 80, max: 120}}",
        "size: {discrete: {values: [80, 120], weights: [1]}}",
        "cohorts[1].size.discrete.weights",
        "discrete",
        "one weight per value",
    ),
    (
        "missing required name",
        "name: Test bond\n",
        "",
        "",
        "currency: COP",
        "missing field `name`",
    ),
    (
        "missing price",
        "    price: 500\n",
        "",
        "outcomes[1]",
        "- id: retention",
        "missing field `price`",
    ),
    (
        "nan number",
        "budget_cap: 200000",
        "budget_cap: .nan",
        "payment.budget_cap",
        "budget_cap: .nan",
        "finite",
    ),
    (
        "effect outcome with a rate",
        "    lag_months: 3\n    price: 500",
        "    lag_months: 3\n    price: 500\n    effect: {mean: 1}",
        "outcomes[1].rate",
        "rate: {pert",
        "does not apply to an effect outcome",
    ),
    (
        "survey on a count outcome",
        "    lag_months: 3\n    price: 500",
        "    lag_months: 3\n    price: 500\n    verification: {survey: {sample: 400}}",
        "outcomes[1].verification.survey",
        "survey: {sample",
        "applies to a rate outcome",
    ),
    (
        "schedule points out of order",
        "    lag_months: 3\n    price: 500",
        "    lag_months: 3\n    price: 500\n  - id: coverage\n    rate: 0.6\n    baseline: 0.5\n    schedule:\n      points:\n        - {at: 0.05, pay: 1}\n        - {at: 0.01, pay: 0}\n    price: 1000",
        "outcomes[2].schedule.points[1].at",
        "{at: 0.01",
        "from the worst achievement to the best",
    ),
    (
        "rate outcome without a baseline",
        "    lag_months: 3\n    price: 500",
        "    lag_months: 3\n    price: 500\n  - id: coverage\n    rate: 0.6\n    schedule: {points: [{at: 0.01, pay: 1}]}\n    price: 1000",
        "outcomes[2].baseline",
        "- id: coverage",
        "missing `baseline`",
    ),
    (
        "rct without months",
        "    lag_months: 3\n    price: 500",
        "    lag_months: 3\n    price: 500\n  - id: gain\n    effect: {mean: 1}\n    price: 10\n    verification:\n      rct: {treated: 100, control: 100, sd: 2}",
        "outcomes[2].verification.months",
        "rct: {treated",
        "give the verification `months`",
    ),
    (
        "base that is a rate outcome",
        "    lag_months: 3\n    price: 500",
        "    lag_months: 3\n    price: 500\n  - id: coverage\n    rate: 0.6\n    baseline: 0.5\n    schedule: {points: [{at: 0.01, pay: 1}]}\n    price: 1000\n  - id: later\n    of: coverage\n    rate: 0.5\n    price: 1",
        "outcomes[3].of",
        "of: coverage",
        "a base must be `enrolled` or a count outcome",
    ),
];

fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in text"));
    text[..at].matches('\n').count() + 1
}

#[test]
fn every_bundled_scenario_validates() {
    let files = bundled_scenarios();
    assert!(
        files.len() >= 5,
        "expected the scenario library, found {files:?}"
    );
    let mut args = vec!["validate"];
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let out = ibsim(&args);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    for n in &names {
        assert!(
            stdout(&out).contains(&format!("ok: {n}")),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn the_base_of_the_invalid_cases_is_valid() {
    let dir = tempdir("base");
    let f = write(&dir, "base.yaml", BASE);
    let out = ibsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn invalid_inputs_name_file_line_path_and_expectation() {
    assert!(CASES.len() >= 30);
    let dir = tempdir("invalid");
    for (i, (what, from, to, path, line_text, msg)) in CASES.iter().enumerate() {
        assert!(BASE.contains(from), "case `{what}`: `{from}` not in BASE");
        let text = BASE.replacen(from, to, 1);
        let name = format!("case{i}.yaml");
        let f = write(&dir, &name, &text);
        let out = ibsim(&["validate", f.to_str().unwrap()]);
        let err = stderr(&out);
        assert_eq!(
            out.status.code(),
            Some(1),
            "case `{what}`: exit code; stderr: {err}"
        );
        let line = line_of(&text, line_text);
        let expected_prefix = format!("{}:{line}:", f.display());
        let hit = err.lines().find(|l| l.starts_with(&expected_prefix));
        let hit = hit.unwrap_or_else(|| panic!("case `{what}`: no message at line {line}:\n{err}"));
        if !path.is_empty() {
            assert!(
                hit.contains(&format!(": {path}: ")),
                "case `{what}`: path `{path}` missing in: {hit}"
            );
        }
        assert!(
            hit.contains(msg),
            "case `{what}`: `{msg}` missing in: {hit}"
        );
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "case `{what}`: {err}"
        );
    }
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let text = BASE
        .replacen("sd: 0.08}", "sd: 0.6}", 1)
        .replacen("share: 0.3}", "share: 0.2}", 1)
        .replacen("rho: 0.3", "rho: 1.3", 1)
        .replacen("start_month: 6", "start_month: 30", 1);
    let dir = tempdir("many");
    let f = write(&dir, "many.yaml", &text);
    let out = ibsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for p in [
        "outcomes[0].rate.beta.sd",
        "payment.payers",
        "correlations[0].rho",
        "cohorts[1].start_month",
    ] {
        assert!(err.contains(p), "{p} missing in {err}");
    }
    assert!(err.contains("(4 problems)"), "{err}");
}

#[test]
fn hostile_files_end_in_exit_1_without_panic() {
    let dir = tempdir("hostile");
    let deep = format!("name: {}{}", "[".repeat(5000), "]".repeat(5000));
    let big = format!(
        "name: x\ndescription: \"{}\"\n",
        "a".repeat(10 * 1024 * 1024)
    );
    let laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        (
            "garbage",
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
        ),
        ("deep", deep.into_bytes()),
        ("big", big.into_bytes()),
        ("laughs", laughs.as_bytes().to_vec()),
        (
            "overflow",
            BASE.replacen("trials: 1000", "trials: 1e400", 1)
                .into_bytes(),
        ),
        (
            "huge-int",
            BASE.replacen("size: 100", "size: 99999999999999999999999", 1)
                .into_bytes(),
        ),
        ("list", b"- 1\n- 2\n".to_vec()),
        ("scalar", b"just text".to_vec()),
        ("tabs", b"name:\t\t[{\n".to_vec()),
    ];
    for (name, bytes) in cases {
        let p = dir.join(format!("{name}.yaml"));
        std::fs::write(&p, bytes).unwrap();
        let out = ibsim(&["validate", p.to_str().unwrap()]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(err.starts_with(&p.display().to_string()), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(err.lines().count() <= 3, "{name}: too long: {err}");
    }
}

#[test]
fn missing_file_and_usage_errors() {
    let out = ibsim(&["validate", "no/such/file.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no/such/file.yaml: cannot read: no such file"));
    assert_eq!(ibsim(&["validate"]).status.code(), Some(2));
    assert_eq!(ibsim(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        ibsim(&["init", "x.yaml", "--template", "nope"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn init_templates_validate_and_never_overwrite() {
    let dir = tempdir("init");
    for t in [
        "employment",
        "bilingual",
        "dib",
        "results-budget",
        "performance",
    ] {
        let f = dir.join(format!("{t}.yaml"));
        let out = ibsim(&["init", f.to_str().unwrap(), "--template", t]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.lines()
                .filter(|l| l.trim_start().starts_with('#'))
                .count()
                >= 3,
            "{t} needs comments"
        );
        let out = ibsim(&["validate", f.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{t}: {}", stderr(&out));
        let again = ibsim(&["init", f.to_str().unwrap(), "--template", t]);
        assert_eq!(again.status.code(), Some(1));
        assert!(stderr(&again).contains("already exists"));
    }
}

fn schema_validator() -> jsonschema::Validator {
    let out = ibsim(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

fn yaml_to_json(text: &str) -> serde_json::Value {
    serde_saphyr::from_str(text).expect("YAML")
}

#[test]
fn schema_accepts_every_bundled_scenario_and_template() {
    let v = schema_validator();
    let mut texts: Vec<(String, String)> = bundled_scenarios()
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read_to_string(p).unwrap()))
        .collect();
    for t in ibsim::templates::TEMPLATES {
        texts.push((t.name.to_owned(), t.text.to_owned()));
        texts.push((format!("{} (es)", t.name), t.text_es.to_owned()));
    }
    texts.push(("base".into(), BASE.to_owned()));
    for schedule in ["monthly", "end", "{every_months: 12}"] {
        texts.push((
            format!("base with distributions: {schedule}"),
            BASE.replacen(
                "excess_to: payer",
                &format!(
                    "excess_to: payer\n  excess_settlement: monthly\n  distributions: {schedule}"
                ),
                1,
            ),
        ));
    }
    for (name, text) in texts {
        let inst = yaml_to_json(&text);
        let errors: Vec<String> = v.iter_errors(&inst).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
}

#[test]
fn schema_rejects_unknown_keys_and_bad_kinds() {
    let v = schema_validator();
    for (from, to) in [
        ("name: Test bond\n", "name: Test bond\nnmae: typo\n"),
        (
            "    lag_months: 3\n    price: 1000",
            "    lag_month: 3\n    price: 1000",
        ),
        ("{beta: {mean: 0.5, sd: 0.08}}", "{betta: {mean: 0.5}}"),
        ("excess_to: payer", "excess_to: investor"),
        (
            "excess_to: payer",
            "excess_to: payer\n  excess_settlement: never",
        ),
        ("excess_to: payer", "excess_to: payer\n  distributions: 12"),
        (
            "excess_to: payer",
            "excess_to: payer\n  distributions: yearly",
        ),
        (
            "excess_to: payer",
            "excess_to: payer\n  distributions: {every_months: 0}",
        ),
    ] {
        let inst = yaml_to_json(&BASE.replacen(from, to, 1));
        assert!(!v.is_valid(&inst), "schema accepted `{to}`");
    }
}
