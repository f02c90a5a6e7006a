//! `transfers`: the rate outcome it pays by, the pool, the allocation and
//! every agency's commitment, baseline, target, rate and priority.

use std::collections::HashSet;

use super::checker::{Checker, Support, list_or_none};
use crate::scenario::types::{Allocation, OutcomeKind, Scenario};

/// `transfers`.
pub(super) fn check_transfers(c: &mut Checker, s: &Scenario) {
    let Some(tr) = &s.transfers else {
        return;
    };
    let rates: Vec<&str> = s
        .outcomes
        .iter()
        .filter(|o| o.kind() == OutcomeKind::Rate)
        .map(|o| o.id.as_str())
        .collect();
    let outcome = s.outcomes.iter().find(|o| o.id == tr.outcome);
    match outcome {
        Some(o) if o.kind() == OutcomeKind::Rate => {}
        _ => c.err(
            "transfers.outcome",
            format!(
                "`{}` is not a rate outcome: transfers pay each agency by a rate outcome's schedule (expected one of: {})",
                tr.outcome,
                list_or_none(&rates)
            ),
        ),
    }
    if let Some(p) = tr.pool {
        c.non_negative("transfers.pool", p);
    }
    // The pool is the transfers' budget, shared by a rule; a budget cap or
    // a payer's own cap would cut the same payments in calendar order.
    if s.payment.budget_cap.is_some() {
        c.err(
            "payment.budget_cap",
            "a budget cap with `transfers`: the transfers' budget is `transfers.pool`, shared by `allocation`; remove `budget_cap`",
        );
    }
    for (i, p) in s.payment.payers.iter().flatten().enumerate() {
        if p.cap.is_some() {
            c.err(
                format!("payment.payers[{i}].cap"),
                "a payer's own cap with `transfers`: the transfers' budget is `transfers.pool`; remove the cap",
            );
        }
    }
    c.at_most(
        "transfers.agencies",
        tr.agencies.len(),
        crate::limits::MAX_AGENCIES,
        "agencies",
    );
    if tr.agencies.is_empty() {
        c.err(
            "transfers.agencies",
            "empty list: transfers need at least one agency",
        );
    }
    let priority = tr.allocation == Some(Allocation::Priority);
    let mut seen = HashSet::new();
    for (i, a) in tr.agencies.iter().enumerate() {
        let p = format!("transfers.agencies[{i}]");
        c.name(&format!("{p}.name"), &a.name, &mut seen, "agency");
        if let Some(k) = a.commitment {
            c.non_negative(&format!("{p}.commitment"), k);
        }
        for (key, v) in [("baseline", a.baseline), ("target", a.target)] {
            if let Some(v) = v {
                c.in_range(&format!("{p}.{key}"), v, 0.0, 1.0, "a rate from 0 to 1");
            }
        }
        if let Some(o) = outcome {
            let (b, t) = (a.baseline.or(o.baseline), a.target.or(o.target));
            if let (Some(b), Some(t)) = (b, t)
                && b == t
            {
                c.err(
                    format!("{p}.target"),
                    format!("the agency's target {t} equals its baseline: it must differ from it"),
                );
            }
        }
        if let Some(r) = &a.rate {
            c.dist(&format!("{p}.rate"), r, Support::Unit);
        }
        match (priority, a.priority) {
            (true, None) => c.err(
                format!("{p}.priority"),
                "missing `priority`: with `allocation: priority` every agency needs its rank (1 is paid first)",
            ),
            (false, Some(_)) => c.err(
                format!("{p}.priority"),
                "`priority` without `allocation: priority`: the pool is shared pro rata; remove it, or set `allocation: priority`",
            ),
            (true, Some(r)) => {
                c.whole_in(
                    &format!("{p}.priority"),
                    r,
                    1,
                    1_000_000,
                    "a rank of 1 (paid first) or more",
                );
            }
            (false, None) => {}
        }
    }
}
