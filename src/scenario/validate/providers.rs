//! `providers`: each provider's name, costs, rate and price multipliers, and
//! the contract terms that cannot be attributed to one provider.

use std::collections::HashSet;

use super::checker::{Checker, Support, list_or_none};
use crate::scenario::types::{OutcomeKind, Scenario};
use crate::scenario::values::PerOutcome;

/// `providers` (their cohorts and enrolment are checked with the contract's,
/// in `check_enrolment`).
pub(super) fn check_providers(c: &mut Checker, s: &Scenario, ids: &[&str], horizon: i64) {
    if s.providers.is_empty() {
        return;
    }
    c.at_most(
        "providers",
        s.providers.len(),
        crate::limits::MAX_PARTIES,
        "providers",
    );
    refuse_shared_terms(c, s);
    let counts: Vec<&str> = s
        .outcomes
        .iter()
        .filter(|o| o.kind() == OutcomeKind::Count)
        .map(|o| o.id.as_str())
        .collect();
    let mut seen = HashSet::new();
    for (i, p) in s.providers.iter().enumerate() {
        let at = format!("providers[{i}]");
        if !super::is_key_name(&p.name) {
            c.err(
                format!("{at}.name"),
                format!(
                    "provider name `{}` is invalid: expected [a-z0-9_]+ (it appears in metric keys such as provider.<name>.net)",
                    p.name
                ),
            );
        } else if !seen.insert(p.name.as_str()) {
            c.err(
                format!("{at}.name"),
                format!("duplicate provider name `{}`", p.name),
            );
        }
        super::outcomes::check_costs(c, &format!("{at}.costs"), &p.costs, ids, horizon);
        let known = |c: &mut Checker, path: &str, id: &str| {
            if !counts.contains(&id) {
                c.err(
                    path,
                    format!(
                        "unknown count outcome `{id}` (expected one of: {})",
                        list_or_none(&counts)
                    ),
                );
            }
        };
        for (id, d) in &p.rate_multiplier.0 {
            let path = format!("{at}.rate_multiplier.{id}");
            known(c, &path, id);
            c.dist(&path, d, Support::NonNegative);
        }
        match &p.price_multiplier {
            Some(PerOutcome::All(m)) => c.non_negative(&format!("{at}.price_multiplier"), *m),
            Some(PerOutcome::Each(map)) => {
                for (id, m) in &map.0 {
                    let path = format!("{at}.price_multiplier.{id}");
                    known(c, &path, id);
                    c.non_negative(&path, *m);
                }
            }
            None => {}
        }
    }
}

/// The terms a contract with providers cannot have: costs per participant
/// or per outcome for the whole contract (each provider has its own),
/// outcomes measured on the whole population (not attributable to one
/// provider), transfers, and money paid regardless of results.
fn refuse_shared_terms(c: &mut Checker, s: &Scenario) {
    for (key, given) in [
        ("per_participant", s.costs.per_participant.is_some()),
        ("per_outcome", s.costs.per_outcome.is_some()),
    ] {
        if given {
            c.err(
                format!("costs.{key}"),
                format!("a contract-wide `costs.{key}` with `providers`: each provider's participants cost what its own `costs.{key}` says; move it into the providers (the contract's `upfront` and `fixed_monthly` stay for shared costs)"),
            );
        }
    }
    for (i, o) in s.outcomes.iter().enumerate() {
        if o.kind() != OutcomeKind::Count {
            c.err(
                format!("outcomes[{i}]"),
                format!("`{}` is measured on the whole population (an effect or a rate), so its payment cannot be attributed to one provider: with `providers`, every outcome is counted", o.id),
            );
        }
    }
    if s.transfers.is_some() {
        c.err(
            "transfers",
            "`transfers` with `providers`: transfers pay agencies, not providers; use one or the other",
        );
    }
    for (key, given) in [
        ("fixed_monthly", s.payment.fixed_monthly.is_some()),
        ("advance", s.payment.advance.is_some()),
    ] {
        if given {
            c.err(
                format!("payment.{key}"),
                format!("`payment.{key}` with `providers`: money paid regardless of results is not attributed to one provider; remove it, or model each provider as its own contract"),
            );
        }
    }
}
