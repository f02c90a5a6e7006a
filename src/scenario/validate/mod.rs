//! Every rule of docs/model.md, "Scenario" that a typed read cannot enforce by
//! itself: ranges, references between fields, feasible distribution
//! parameters, shares summing to one, a positive-definite correlation matrix.
//!
//! [`validate`] never stops at the first problem: it returns all of them, each
//! with the field path of the offending value.

use std::collections::HashSet;

mod checker;
mod distributions;
mod finance;
mod measures;
mod outcomes;
mod payment;
mod providers;
mod transfers;

use checker::{Checker, Support};
pub use checker::{Problem, SHARE_SUM_TOLERANCE};

use super::types::{Cohort, Enrolment, Scenario};
use super::values::{Dist, Whole};
use crate::limits::{
    MAX_DESCRIPTION, MAX_HORIZON_MONTHS, MAX_LABEL, MAX_NAME, MAX_SOURCE, MAX_TRIALS,
};

/// Every text of the scenario within its length (names and labels appear in
/// tables, charts and workbook cells, which hold at most 32,767 characters).
fn check_text_lengths(c: &mut Checker, s: &Scenario) {
    let tree = serde_json::to_value(s).unwrap_or_default();
    let mut stack = vec![(String::new(), &tree)];
    while let Some((path, v)) = stack.pop() {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    stack.push((p, x));
                }
            }
            serde_json::Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    stack.push((format!("{path}[{i}]"), x));
                }
            }
            serde_json::Value::String(t) => {
                let (limit, what) = if path == "description" {
                    (MAX_DESCRIPTION, "a description")
                } else if path.starts_with("sources[") {
                    (MAX_SOURCE, "a source")
                } else if path.ends_with(".label") {
                    (MAX_LABEL, "a label")
                } else {
                    (MAX_NAME, "a name or id")
                };
                let n = t.chars().count();
                if n > limit {
                    c.err(
                        path,
                        format!("{n} characters long: {what} has at most {limit} (it appears in tables, charts and workbook cells)"),
                    );
                }
            }
            _ => {}
        }
    }
}

/// Whether `name` may appear inside a metric key (`outcome.<id>.<segment>`,
/// `provider.<name>.net`, `deals.<name>`): `[a-z0-9_]+`.
pub fn is_key_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Checks a scenario against every rule of the format (`docs/model.md`,
/// "Scenario"); returns all problems found, in the file's order.
pub fn validate(s: &Scenario) -> Vec<Problem> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    check_text_lengths(&mut c, s);
    let horizon = check_deal(&mut c, s);
    check_enrolment(&mut c, s, horizon);
    let payer_names: Vec<&str> = match &s.payment.payers {
        Some(p) => p.iter().map(|p| p.name.as_str()).collect(),
        None => vec!["payer"],
    };
    let ids = outcomes::check_outcomes(&mut c, s, &payer_names);
    outcomes::check_segments(&mut c, s, &ids);
    check_sizes(&mut c, s);
    outcomes::check_correlations(&mut c, s, &ids);
    outcomes::check_shocks(&mut c, s, &ids);
    outcomes::check_costs(&mut c, "costs", &s.costs, &ids, horizon);
    measures::check_references(&mut c, s);
    payment::check_payment(&mut c, s);
    finance::check_finance(&mut c, s);
    transfers::check_transfers(&mut c, s);
    providers::check_providers(&mut c, s, &ids, horizon);
    check_state(&mut c, s);
    check_simulation(&mut c, s);
    c.problems
}

/// The deal's name, currency and horizon; the horizon in months (`i64::MAX`
/// when invalid, so that later checks against it pass).
fn check_deal(c: &mut Checker, s: &Scenario) -> i64 {
    if s.name.trim().is_empty() {
        c.err("name", "name is empty: give the deal a name");
    }
    if !(s.currency.len() == 3 && s.currency.bytes().all(|b| b.is_ascii_uppercase())) {
        c.err(
            "currency",
            format!("`{}` is not an ISO 4217 code: expected three capital letters such as COP, PEN or USD", s.currency),
        );
    }
    let horizon_ok = c.whole_in(
        "horizon_months",
        s.horizon_months,
        1,
        MAX_HORIZON_MONTHS,
        &format!("1 to {MAX_HORIZON_MONTHS} months"),
    );
    if horizon_ok {
        s.horizon_months.0
    } else {
        i64::MAX
    }
}

/// `cohorts` or `enrolment`: the contract's, or with `providers` each
/// provider's.
fn check_enrolment(c: &mut Checker, s: &Scenario, horizon: i64) {
    if s.providers.is_empty() {
        check_participants(c, "", s.cohorts.as_deref(), s.enrolment.as_ref(), horizon);
        return;
    }
    for (key, given) in [
        ("cohorts", s.cohorts.is_some()),
        ("enrolment", s.enrolment.is_some()),
    ] {
        if given {
            c.err(
                key,
                format!("a contract-wide `{key}` with `providers`: each provider enrols its own participants; move it into a provider"),
            );
        }
    }
    for (i, p) in s.providers.iter().enumerate() {
        check_participants(
            c,
            &format!("providers[{i}]."),
            p.cohorts.as_deref(),
            p.enrolment.as_ref(),
            horizon,
        );
    }
    let total: usize = s
        .providers
        .iter()
        .map(|p| match (&p.cohorts, &p.enrolment) {
            (Some(list), _) => list.len(),
            (None, Some(e)) => usize::try_from(e.cohorts.0.max(0)).unwrap_or(usize::MAX),
            _ => 0,
        })
        .fold(0usize, usize::saturating_add);
    c.at_most(
        "providers",
        total,
        crate::limits::MAX_COHORTS,
        "cohorts over all providers",
    );
}

/// One `cohorts` list or `enrolment` shorthand, its field paths starting
/// with `at` (empty, or `providers[i].`).
fn check_participants(
    c: &mut Checker,
    at: &str,
    cohorts: Option<&[Cohort]>,
    enrolment: Option<&Enrolment>,
    horizon: i64,
) {
    match (cohorts, enrolment) {
        (Some(_), Some(_)) => c.err(
            format!("{at}enrolment"),
            "give either `cohorts` or `enrolment`, not both",
        ),
        (None, None) => c.err(
            format!("{at}cohorts"),
            "missing cohorts: give a `cohorts` list or an `enrolment` shorthand",
        ),
        (Some(list), None) => {
            c.at_most(
                &format!("{at}cohorts"),
                list.len(),
                crate::limits::MAX_COHORTS,
                "cohorts",
            );
            check_cohorts(c, at, list, horizon);
        }
        (None, Some(e)) => {
            let n_ok = c.whole_in(
                &format!("{at}enrolment.cohorts"),
                e.cohorts,
                1,
                crate::limits::MAX_COHORTS as i64,
                &format!("1 to {} cohorts", crate::limits::MAX_COHORTS),
            );
            let first = e.first_month.unwrap_or(Whole(0));
            let every = e.every_months.unwrap_or(Whole(1));
            let f_ok = c.whole_in(
                &format!("{at}enrolment.first_month"),
                first,
                0,
                horizon - 1,
                "a month from 0 to horizon_months - 1",
            );
            let e_ok = c.whole_in(
                &format!("{at}enrolment.every_months"),
                every,
                1,
                MAX_HORIZON_MONTHS,
                "at least 1 month",
            );
            if n_ok && f_ok && e_ok {
                let last = first.0 + (e.cohorts.0 - 1) * every.0;
                if last >= horizon {
                    c.err(
                        format!("{at}enrolment.cohorts"),
                        format!(
                            "the last of {} cohorts would start in month {last}, at or after the horizon ({horizon} months)",
                            e.cohorts.0
                        ),
                    );
                }
            }
            c.dist(&format!("{at}enrolment.size"), &e.size, Support::Count);
        }
    }
}

/// The sizes of the lists that cost per-trial state.
fn check_sizes(c: &mut Checker, s: &Scenario) {
    c.at_most(
        "correlations",
        s.correlations.len(),
        crate::limits::MAX_SHOCKS,
        "correlations",
    );
    c.at_most(
        "shocks",
        s.shocks.len(),
        crate::limits::MAX_SHOCKS,
        "shocks",
    );
    c.at_most(
        "segments",
        s.segments.len(),
        crate::limits::MAX_SEGMENTS,
        "segments",
    );
}

/// The per-trial state the funnel implies.
fn check_state(c: &mut Checker, s: &Scenario) {
    let cells = cells(s);
    if cells > crate::limits::MAX_CELLS {
        c.err(
            "outcomes",
            format!(
                "a trial would keep {cells} counts (cohorts x segments x the months each outcome's successes may fall in), above {}: use fewer cohorts, segments or lag months",
                crate::limits::MAX_CELLS
            ),
        );
    }
}

/// `simulation`.
fn check_simulation(c: &mut Checker, s: &Scenario) {
    let sim = &s.simulation;
    if let Some(t) = sim.trials {
        c.whole_in(
            "simulation.trials",
            t,
            1,
            MAX_TRIALS,
            &format!("1 to {MAX_TRIALS} trials"),
        );
    }
    if let Some(seed) = sim.seed {
        c.whole_in("simulation.seed", seed, 0, i64::MAX, "a seed >= 0");
    }
}

fn check_cohorts(c: &mut Checker, at: &str, list: &[Cohort], horizon: i64) {
    if list.is_empty() {
        c.err(
            format!("{at}cohorts"),
            "empty list: the contract needs at least one cohort",
        );
    }
    let mut seen = HashSet::new();
    for (i, ch) in list.iter().enumerate() {
        let p = format!("{at}cohorts[{i}]");
        if ch.name.trim().is_empty() {
            c.err(format!("{p}.name"), "cohort name is empty");
        } else if !seen.insert(ch.name.clone()) {
            c.err(
                format!("{p}.name"),
                format!("duplicate cohort name `{}`", ch.name),
            );
        }
        if ch.start_month.0 < 0 {
            c.err(
                format!("{p}.start_month"),
                format!("{} is negative: expected a month >= 0", ch.start_month.0),
            );
        } else if ch.start_month.0 >= horizon {
            c.err(
                format!("{p}.start_month"),
                format!("month {} is at or after the horizon ({horizon} months): the cohort would never run", ch.start_month.0),
            );
        }
        c.dist(&format!("{p}.size"), &ch.size, Support::Count);
    }
}

/// Checks that pass but almost certainly describe a mistake: what `ibsim
/// validate` prints as warnings (the file stays valid, exit 0).
pub fn warnings(s: &Scenario) -> Vec<Problem> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    let horizon = s.horizon_months.0;
    let starts = start_months(s);
    let first_start = starts.iter().copied().min().unwrap_or(0);
    let last_start = starts.iter().copied().max().unwrap_or(0);
    // The earliest event month of each outcome (its base's plus its shortest lag).
    let pay_lag = s.payment.lag_months.map_or(0, |w| w.0);
    let mut earliest: Vec<i64> = Vec::with_capacity(s.outcomes.len());
    for (i, o) in s.outcomes.iter().enumerate() {
        let base = match o.of.as_deref() {
            None | Some("enrolled") => first_start,
            Some(b) => s.outcomes[..i]
                .iter()
                .position(|x| x.id == b)
                .map_or(first_start, |j| earliest[j]),
        };
        let lag = match &o.lag_months {
            None => 0.0,
            Some(Dist::Const(v)) => *v,
            Some(Dist::Uniform(r)) => r.min,
            Some(Dist::Discrete(d)) => d.values.iter().copied().fold(f64::INFINITY, f64::min),
            Some(_) => 0.0,
        };
        let event = base.saturating_add(lag.max(0.0) as i64);
        earliest.push(event);
        let late: Vec<String> = o
            .verification
            .as_ref()
            .and_then(|v| v.months.as_ref())
            .into_iter()
            .flatten()
            .filter(|m| m.0.saturating_add(pay_lag) >= horizon)
            .map(|m| m.0.to_string())
            .collect();
        if !late.is_empty() {
            c.err(
                format!("outcomes[{i}].verification.months"),
                format!(
                    "the round of month {} of `{}` is paid at or after the horizon ({horizon} months, payment lag {pay_lag}): it will never be paid",
                    late.join(", "),
                    o.id
                ),
            );
        }
        if event.saturating_add(pay_lag) >= horizon {
            c.err(
                format!("outcomes[{i}].lag_months"),
                format!(
                    "every success of `{}` is paid at or after the horizon (month {} at the earliest, horizon {horizon} months): none of it will be paid",
                    o.id,
                    event.saturating_add(pay_lag)
                ),
            );
        }
    }
    if s.payment.budget_cap == Some(0.0) {
        c.err(
            "payment.budget_cap",
            "budget_cap 0: the payers pay nothing for any outcome",
        );
    }
    for (i, sh) in s.shocks.iter().enumerate() {
        let from = sh.from_month.map_or(0, |w| w.0);
        if from > last_start {
            c.err(
                format!("shocks[{i}].from_month"),
                format!(
                    "the shock hits cohorts starting in month {from} or later, and the last cohort starts in month {last_start}: it affects none"
                ),
            );
        }
    }
    for (i, cor) in s.correlations.iter().enumerate() {
        for id in &cor.between {
            if s.outcomes.iter().any(|o| {
                &o.id == id
                    && matches!(
                        o.rate.as_ref().or(o.effect.as_ref().map(|e| &e.mean)),
                        Some(Dist::Const(_))
                    )
            }) {
                c.err(
                    format!("correlations[{i}].between"),
                    format!(
                        "the rate of `{id}` is a constant: a correlation with it has no effect"
                    ),
                );
            }
        }
    }
    c.problems
}

/// The start month of every cohort: the contract's, or every provider's.
fn start_months(s: &Scenario) -> Vec<i64> {
    let of = |cohorts: Option<&[Cohort]>, enrolment: Option<&Enrolment>| -> Vec<i64> {
        match (cohorts, enrolment) {
            (Some(list), _) => list.iter().map(|c| c.start_month.0).collect(),
            (None, Some(e)) => {
                let first = e.first_month.map_or(0, |w| w.0);
                let every = e.every_months.map_or(1, |w| w.0);
                (0..e.cohorts.0.clamp(0, crate::limits::MAX_COHORTS as i64))
                    .map(|i| first.saturating_add(i.saturating_mul(every)))
                    .collect()
            }
            _ => Vec::new(),
        }
    };
    let mut starts = of(s.cohorts.as_deref(), s.enrolment.as_ref());
    for p in &s.providers {
        starts.extend(of(p.cohorts.as_deref(), p.enrolment.as_ref()));
    }
    starts
}

/// Months between the first and the last possible value of a lag (0 when fixed).
pub fn lag_range(d: Option<&Dist>) -> u64 {
    let (lo, hi) = match d {
        Some(Dist::Uniform(r)) => (r.min, r.max),
        Some(Dist::Discrete(dd)) => dd
            .values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            }),
        _ => (0.0, 0.0),
    };
    if lo.is_finite() && hi.is_finite() && hi > lo {
        (hi - lo).min(1e6) as u64
    } else {
        0
    }
}

/// The count cells a trial of `s` keeps (see `model::OutcomeModel`),
/// computed without compiling; saturates instead of overflowing.
pub fn cells(s: &Scenario) -> u64 {
    let count =
        |cohorts: &Option<Vec<Cohort>>, enrolment: &Option<Enrolment>| match (cohorts, enrolment) {
            (Some(list), _) => list.len() as u64,
            (None, Some(e)) => e.cohorts.0.max(0) as u64,
            _ => 0,
        };
    let cohorts = s
        .providers
        .iter()
        .map(|p| count(&p.cohorts, &p.enrolment))
        .fold(count(&s.cohorts, &s.enrolment), u64::saturating_add);
    let segments = s.segments.len().max(1) as u64;
    let mut spreads: Vec<u64> = Vec::with_capacity(s.outcomes.len());
    for o in &s.outcomes {
        let base =
            o.of.as_deref()
                .and_then(|b| s.outcomes.iter().position(|x| x.id == b))
                .filter(|&b| b < spreads.len())
                .map_or(1, |b| spreads[b]);
        spreads.push(base.saturating_add(lag_range(o.lag_months.as_ref())));
    }
    let per_cohort = spreads.iter().fold(0u64, |acc, &x| {
        acc.saturating_add(x.saturating_mul(segments))
    });
    cohorts.saturating_mul(per_cohort)
}

#[cfg(test)]
mod tests {
    use super::cells;
    use super::checker::fmt_g;

    #[test]
    fn short_numbers() {
        assert_eq!(fmt_g(0.5), "0.5");
        assert_eq!(fmt_g(0.447213595), "0.4472");
        assert_eq!(fmt_g(3.0), "3");
    }

    #[test]
    fn cells_follow_the_lag_spreads() {
        let text = "
name: t
currency: USD
horizon_months: 24
enrolment: {cohorts: 3, size: 10}
segments: [{name: a, share: 0.5}, {name: b, share: 0.5}]
outcomes:
  - {id: x, rate: 0.5, lag_months: {uniform: {min: 1, max: 4}}, price: 1}
  - {id: y, of: x, rate: 0.5, lag_months: {discrete: {values: [0, 2], weights: [1, 1]}}, price: 1}
";
        let s = crate::scenario::parse_str(text, "t.yaml").unwrap().scenario;
        // x: 4 months, y: 4 + 2 = 6 months; 2 segments; 3 cohorts.
        assert_eq!(cells(&s), 3 * 2 * (4 + 6));
        let m = crate::model::Model::compile(&s);
        assert_eq!(cells(&s), (m.cohorts.len() * m.cell_stride) as u64);
    }
}
