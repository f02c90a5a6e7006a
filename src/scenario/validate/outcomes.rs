//! The funnel's rules: outcomes (ids, bases, rates, lags, prices, payers,
//! counterfactuals, measurement), segments, correlations, shocks and costs.

use std::collections::HashSet;

use super::checker::{Checker, Support, list_or_none};
use crate::limits::{MAX_HORIZON_MONTHS, MAX_RELATIVE_SD};
use crate::scenario::types::{Costs, Outcome, OutcomeKind, Scenario};
use crate::scenario::values::PerOutcome;

/// Every outcome, in funnel order; their ids.
pub(super) fn check_outcomes<'s>(
    c: &mut Checker,
    s: &'s Scenario,
    payer_names: &[&str],
) -> Vec<&'s str> {
    if s.outcomes.is_empty() {
        c.err(
            "outcomes",
            "no outcomes: the funnel needs at least one outcome",
        );
    }
    c.at_most(
        "outcomes",
        s.outcomes.len(),
        crate::limits::MAX_OUTCOMES,
        "outcomes",
    );
    let mut ids: Vec<&str> = Vec::new();
    let mut kinds: Vec<(&str, OutcomeKind)> = Vec::new();
    let horizon = s.horizon_months.0;
    for (i, o) in s.outcomes.iter().enumerate() {
        let p = format!("outcomes[{i}]");
        check_outcome_id(c, s, i, &ids);
        check_outcome_values(c, &p, o, payer_names);
        super::measures::check_measured(c, s, i, &kinds, horizon);
        ids.push(&o.id);
        kinds.push((&o.id, o.kind()));
    }
    ids
}

/// Outcome `i`'s id (valid, not reserved, unique) and its base (declared
/// earlier), given the ids before it.
fn check_outcome_id(c: &mut Checker, s: &Scenario, i: usize, ids: &[&str]) {
    let o = &s.outcomes[i];
    let p = format!("outcomes[{i}]");
    if !super::is_key_name(&o.id) {
        c.err(
            format!("{p}.id"),
            format!("id `{}` is invalid: expected [a-z0-9_]+", o.id),
        );
    } else if o.id == "enrolled" {
        c.err(
            format!("{p}.id"),
            "`enrolled` is reserved for the cohort size: choose another id",
        );
    } else if ids.contains(&o.id.as_str()) {
        c.err(
            format!("{p}.id"),
            format!("duplicate outcome id `{}`", o.id),
        );
    }
    if let Some(of) = &o.of
        && of != "enrolled"
        && !ids.contains(&of.as_str())
    {
        let why = if s.outcomes[i + 1..].iter().any(|x| &x.id == of) {
            "it is declared later; the base must come earlier in the funnel"
        } else {
            "no such outcome"
        };
        c.err(
            format!("{p}.of"),
            format!(
                "`{of}`: {why} (expected `enrolled` or one of: {})",
                list_or_none(ids)
            ),
        );
    }
}

/// An outcome's rate, spread, lag, price, cap, payers, counterfactual and
/// measurement, at path `p`.
fn check_outcome_values(c: &mut Checker, p: &str, o: &Outcome, payer_names: &[&str]) {
    if o.kind() == OutcomeKind::Count
        && let Some(r) = &o.rate
    {
        c.dist(&format!("{p}.rate"), r, Support::Unit);
    }
    if let Some(sd) = o.cohort_sd {
        c.in_range(
            &format!("{p}.cohort_sd"),
            sd,
            0.0,
            0.5,
            "a standard deviation from 0 to 0.5",
        );
    }
    if let Some(l) = &o.lag_months {
        c.lag(&format!("{p}.lag_months"), l);
    }
    c.price(&format!("{p}.price"), &o.price);
    if let Some(m) = o.max_paid {
        c.whole_in(&format!("{p}.max_paid"), m, 0, i64::MAX, "a count >= 0");
    }
    if let Some(list) = &o.paid_by {
        if list.is_empty() {
            c.err(
                format!("{p}.paid_by"),
                "empty list: leave `paid_by` out for every payer, or name at least one",
            );
        }
        let mut seen = HashSet::new();
        for (j, name) in list.iter().enumerate() {
            let pp = format!("{p}.paid_by[{j}]");
            if !payer_names.contains(&name.as_str()) {
                c.err(
                    &pp,
                    format!(
                        "unknown payer `{name}` (expected one of: {})",
                        payer_names.join(", ")
                    ),
                );
            } else if !seen.insert(name.as_str()) {
                c.err(&pp, format!("payer `{name}` is listed twice"));
            }
        }
    }
    if let Some(r) = o.counterfactual_rate {
        c.in_range(
            &format!("{p}.counterfactual_rate"),
            r,
            0.0,
            1.0,
            "a rate from 0 to 1 (the share of the base that succeeds without the program)",
        );
    }
    if let Some(m) = &o.measurement {
        let mp = format!("{p}.measurement.relative_sd");
        c.in_range(
            &mp,
            m.relative_sd,
            0.0,
            MAX_RELATIVE_SD,
            &format!("a relative standard deviation from 0 to {MAX_RELATIVE_SD}"),
        );
    }
}

/// `shocks`: names, probabilities, months and multipliers of known outcomes.
pub(super) fn check_shocks(c: &mut Checker, s: &Scenario, ids: &[&str]) {
    let mut shock_names = HashSet::new();
    for (i, sh) in s.shocks.iter().enumerate() {
        let p = format!("shocks[{i}]");
        if sh.name.trim().is_empty() {
            c.err(format!("{p}.name"), "shock name is empty");
        } else if !shock_names.insert(sh.name.clone()) {
            c.err(
                format!("{p}.name"),
                format!("duplicate shock name `{}`", sh.name),
            );
        }
        c.in_range(
            &format!("{p}.probability"),
            sh.probability,
            0.0,
            1.0,
            "a probability from 0 to 1",
        );
        if let Some(m) = sh.from_month {
            c.whole_in(
                &format!("{p}.from_month"),
                m,
                0,
                MAX_HORIZON_MONTHS,
                "a month >= 0",
            );
        }
        for (id, m) in &sh.rate_multiplier.0 {
            let mp = format!("{p}.rate_multiplier.{id}");
            if !ids.contains(&id.as_str()) {
                c.err(
                    &mp,
                    format!(
                        "unknown outcome `{id}` (expected one of: {})",
                        list_or_none(ids)
                    ),
                );
            }
            c.non_negative(&mp, *m);
        }
    }
}

pub(super) fn check_segments(c: &mut Checker, s: &Scenario, ids: &[&str]) {
    let mut seen = HashSet::new();
    for (i, sg) in s.segments.iter().enumerate() {
        let p = format!("segments[{i}]");
        if !super::is_key_name(&sg.name) {
            c.err(
                format!("{p}.name"),
                format!(
                    "segment name `{}` is invalid: expected [a-z0-9_]+ (it appears in metric keys)",
                    sg.name
                ),
            );
        } else if !seen.insert(sg.name.as_str()) {
            c.err(
                format!("{p}.name"),
                format!("duplicate segment name `{}`", sg.name),
            );
        }
        let sp = format!("{p}.share");
        if c.finite(&sp, sg.share) && sg.share <= 0.0 {
            c.err(sp, format!("share {} must be > 0", sg.share));
        }
        let by_id = |c: &mut Checker, field: &str, id: &str, v: f64| {
            let mp = format!("{p}.{field}.{id}");
            if !ids.contains(&id) {
                c.err(
                    &mp,
                    format!(
                        "unknown outcome `{id}` (expected one of: {})",
                        list_or_none(ids)
                    ),
                );
            }
            c.non_negative(&mp, v);
        };
        for (id, m) in &sg.rate_multiplier.0 {
            by_id(c, "rate_multiplier", id, *m);
        }
        match &sg.price_multiplier {
            Some(PerOutcome::All(m)) => c.non_negative(&format!("{p}.price_multiplier"), *m),
            Some(PerOutcome::Each(map)) => {
                for (id, m) in &map.0 {
                    by_id(c, "price_multiplier", id, *m);
                }
            }
            None => {}
        }
    }
    if !s.segments.is_empty() {
        c.shares("segments", s.segments.iter().map(|g| g.share), "segment");
    }
}

pub(super) fn check_costs(c: &mut Checker, at: &str, k: &Costs, ids: &[&str], horizon: i64) {
    for (f, d) in [
        ("upfront", &k.upfront),
        ("per_participant", &k.per_participant),
        ("fixed_monthly", &k.fixed_monthly),
    ] {
        if let Some(d) = d {
            c.dist(&format!("{at}.{f}"), d, Support::NonNegative);
        }
    }
    if let Some(po) = &k.per_outcome {
        for (id, d) in &po.0 {
            let p = format!("{at}.per_outcome.{id}");
            if !ids.contains(&id.as_str()) {
                c.err(
                    &p,
                    format!(
                        "unknown outcome `{id}` (expected one of: {})",
                        list_or_none(ids)
                    ),
                );
            }
            c.dist(&p, d, Support::NonNegative);
        }
    }
    if let Some(fm) = &k.fixed_months {
        if fm.len() != 2 {
            c.err(
                format!("{at}.fixed_months"),
                format!(
                    "expected [start, end) as two months, found {} values",
                    fm.len()
                ),
            );
        } else if !(0 <= fm[0].0 && fm[0].0 <= fm[1].0 && fm[1].0 <= horizon) {
            c.err(
                format!("{at}.fixed_months"),
                format!("[{}, {}) is not a valid range: expected 0 <= start <= end <= horizon_months ({horizon})", fm[0].0, fm[1].0),
            );
        }
    }
}

pub(super) fn check_correlations(c: &mut Checker, s: &Scenario, ids: &[&str]) {
    let mut involved: Vec<usize> = Vec::new();
    let mut pairs: Vec<(usize, usize, f64)> = Vec::new();
    let mut ok = true;
    for (i, cr) in s.correlations.iter().enumerate() {
        let p = format!("correlations[{i}]");
        if cr.between.len() != 2 {
            c.err(
                format!("{p}.between"),
                format!("expected two outcome ids, found {}", cr.between.len()),
            );
            ok = false;
            continue;
        }
        let mut idx = [0usize; 2];
        for (j, id) in cr.between.iter().enumerate() {
            match ids.iter().position(|x| x == id) {
                Some(k) => idx[j] = k,
                None => {
                    c.err(
                        format!("{p}.between[{j}]"),
                        format!(
                            "unknown outcome `{id}` (expected one of: {})",
                            list_or_none(ids)
                        ),
                    );
                    ok = false;
                }
            }
        }
        if !c.finite(&format!("{p}.rho"), cr.rho) {
            ok = false;
            continue;
        }
        if !(-1.0..=1.0).contains(&cr.rho) {
            c.err(
                format!("{p}.rho"),
                format!(
                    "{} is out of range: expected a correlation from -1 to 1",
                    cr.rho
                ),
            );
            ok = false;
        }
        if cr.between.len() == 2 && cr.between[0] == cr.between[1] {
            c.err(
                format!("{p}.between"),
                "an outcome cannot be correlated with itself",
            );
            ok = false;
            continue;
        }
        let (a, b) = (idx[0].min(idx[1]), idx[0].max(idx[1]));
        if pairs.iter().any(|&(x, y, _)| x == a && y == b) {
            c.err(
                format!("{p}.between"),
                format!(
                    "the pair {} / {} is given twice",
                    cr.between[0], cr.between[1]
                ),
            );
            ok = false;
        }
        pairs.push((a, b, cr.rho));
        for k in [a, b] {
            if !involved.contains(&k) {
                involved.push(k);
            }
        }
    }
    if ok && !pairs.is_empty() {
        involved.sort_unstable();
        let n = involved.len();
        let mut m = vec![0.0; n * n];
        for i in 0..n {
            m[i * n + i] = 1.0;
        }
        for &(a, b, r) in &pairs {
            let (i, j) = (
                involved.iter().position(|&x| x == a).unwrap_or(0),
                involved.iter().position(|&x| x == b).unwrap_or(0),
            );
            m[i * n + j] = r;
            m[j * n + i] = r;
        }
        if crate::numeric::cholesky(&m, n).is_none() {
            c.err(
                "correlations",
                "the correlation matrix is not positive definite: some correlations contradict each other (or one is +-1)",
            );
        }
    }
}
