//! `finance`: committed capital, hurdle, tranches, guarantee, principal
//! floor, success share and the deal account's schedule.

use std::collections::HashSet;

use super::checker::Checker;
use crate::scenario::types::{FundedBy, Scenario};
use crate::scenario::values::Distributions;

impl Checker {
    /// `covers:` of a guarantee or floor names an existing tranche (required with several).
    fn covers(&mut self, path: &str, covers: Option<&str>, tranches: &[&str]) {
        match covers {
            None if tranches.len() > 1 => self.err(
                path,
                format!(
                    "missing `covers`: with several tranches, name the covered one ({})",
                    tranches.join(", ")
                ),
            ),
            Some(t) if !tranches.contains(&t) => self.err(
                format!("{path}.covers"),
                format!(
                    "unknown tranche `{t}` (expected one of: {})",
                    tranches.join(", ")
                ),
            ),
            _ => {}
        }
    }
}

/// `finance`.
pub(super) fn check_finance(c: &mut Checker, s: &Scenario) {
    let fin = &s.finance;
    if let Some(k) = fin.committed_capital {
        c.non_negative("finance.committed_capital", k);
    }
    if let Some(h) = fin.hurdle_irr
        && c.finite("finance.hurdle_irr", h)
        && h <= -1.0
    {
        c.err(
            "finance.hurdle_irr",
            format!("{h} is out of range: expected an annual rate > -1 (e.g. 0.08)"),
        );
    }
    if fin.funded_by == Some(FundedBy::Provider) {
        // The provider funds the costs and keeps every payment: nothing
        // of an investor vehicle applies.
        let investor_only = [
            ("tranches", fin.tranches.is_some()),
            ("guarantee", fin.guarantee.is_some()),
            ("principal_floor", fin.principal_floor.is_some()),
            ("excess_to", fin.excess_to.is_some()),
            (
                "provider_success_share",
                fin.provider_success_share.is_some(),
            ),
            ("excess_settlement", fin.excess_settlement.is_some()),
            ("distributions", fin.distributions.is_some()),
        ];
        for (key, present) in investor_only {
            if present {
                c.err(
                    format!("finance.{key}"),
                    format!(
                        "`{key}` describes investors, but `funded_by: provider` says the provider funds the contract and keeps every payment: remove `{key}`, or set `funded_by: investors`"
                    ),
                );
            }
        }
    }
    let mut tranche_names: Vec<&str> = Vec::new();
    if let Some(tr) = &fin.tranches {
        c.at_most(
            "finance.tranches",
            tr.len(),
            crate::limits::MAX_PARTIES,
            "tranches",
        );
        if tr.is_empty() {
            c.err(
                "finance.tranches",
                "empty list: leave `tranches` out for one investor, or list at least one",
            );
        }
        let mut seen = HashSet::new();
        for (i, t) in tr.iter().enumerate() {
            let p = format!("finance.tranches[{i}]");
            c.name(&format!("{p}.name"), &t.name, &mut seen, "tranche");
            let sp = format!("{p}.share");
            if c.finite(&sp, t.share) && t.share <= 0.0 {
                c.err(sp, format!("share {} must be > 0", t.share));
            }
            if let Some(sn) = t.seniority {
                c.whole_in(
                    &format!("{p}.seniority"),
                    sn,
                    1,
                    1000,
                    "1 (paid first) or more",
                );
            }
            if let Some(cap) = t.cap_irr {
                c.in_range(
                    &format!("{p}.cap_irr"),
                    cap,
                    0.0,
                    100.0,
                    "an annual IRR cap >= 0 (e.g. 0.12)",
                );
            }
            tranche_names.push(&t.name);
        }
        if !tr.is_empty() {
            c.shares("finance.tranches", tr.iter().map(|t| t.share), "tranche");
        }
    } else {
        tranche_names.push("investor");
    }
    if let Some(g) = &fin.guarantee {
        c.non_negative("finance.guarantee.amount", g.amount);
        c.covers("finance.guarantee", g.covers.as_deref(), &tranche_names);
    }
    if let Some(f) = &fin.principal_floor {
        c.in_range(
            "finance.principal_floor.share",
            f.share,
            0.0,
            1.0,
            "a share of the tranche's contributions from 0 to 1",
        );
        c.covers(
            "finance.principal_floor",
            f.covers.as_deref(),
            &tranche_names,
        );
    }
    if let Some(sh) = fin.provider_success_share {
        c.in_range(
            "finance.provider_success_share",
            sh,
            0.0,
            1.0,
            "a fraction from 0 to 1",
        );
    }
    if let Some(Distributions::Every(n)) = fin.distributions {
        c.whole_in(
            "finance.distributions.every_months",
            n,
            1,
            i64::MAX,
            "a whole number of months >= 1 (12: once a year and in the last month)",
        );
    }
}
