//! `payment`: prices and tiers, payers and their shares and caps, the
//! budget cap, the payment lag, evaluation cost, service fee and discount rate.

use std::collections::HashSet;

use super::checker::Checker;
use crate::limits::MAX_HORIZON_MONTHS;
use crate::scenario::types::Scenario;
use crate::scenario::values::Price;

impl Checker {
    /// A price: a number >= 0, or tiers with increasing `up_to` and an open last tier.
    pub(super) fn price(&mut self, path: &str, p: &Price) {
        match p {
            Price::Fixed(v) => self.non_negative(path, *v),
            Price::Tiered { tiers } => {
                self.at_most(
                    &format!("{path}.tiers"),
                    tiers.len(),
                    crate::limits::MAX_LIST,
                    "tiers",
                );
                if tiers.is_empty() {
                    self.err(
                        format!("{path}.tiers"),
                        "empty list: give at least one tier ({price} alone for one price)",
                    );
                }
                let mut prev = 0i64;
                for (i, t) in tiers.iter().enumerate() {
                    let tp = format!("{path}.tiers[{i}]");
                    self.non_negative(&format!("{tp}.price"), t.price);
                    let last = i + 1 == tiers.len();
                    match (t.up_to, last) {
                        (None, false) => self.err(
                            &tp,
                            "missing `up_to`: every tier but the last says up to which paid outcome it applies",
                        ),
                        (Some(_), true) => self.err(
                            format!("{tp}.up_to"),
                            "the last tier has no `up_to`: it prices every outcome beyond the previous tier (use max_paid to stop paying)",
                        ),
                        (Some(u), false) => {
                            if i == 0 && u.0 < 1 {
                                self.err(
                                    format!("{tp}.up_to"),
                                    format!(
                                        "up_to {} must be at least 1: the first tier prices paid outcomes 1 to up_to",
                                        u.0
                                    ),
                                );
                            } else if u.0 <= prev {
                                self.err(
                                    format!("{tp}.up_to"),
                                    format!(
                                        "up_to {} must be above the previous tier's ({prev}): tiers are strictly increasing",
                                        u.0
                                    ),
                                );
                            } else {
                                prev = u.0;
                            }
                        }
                        (None, true) => {}
                    }
                }
            }
        }
    }
}

/// `payment`.
pub(super) fn check_payment(c: &mut Checker, s: &Scenario) {
    let pay = &s.payment;
    if let Some(payers) = &pay.payers {
        c.at_most(
            "payment.payers",
            payers.len(),
            crate::limits::MAX_PARTIES,
            "payers",
        );
        if payers.is_empty() {
            c.err(
                "payment.payers",
                "empty list: leave `payers` out for one payer, or list at least one",
            );
        }
        let mut seen = HashSet::new();
        for (i, py) in payers.iter().enumerate() {
            c.name(
                &format!("payment.payers[{i}].name"),
                &py.name,
                &mut seen,
                "payer",
            );
            let sp = format!("payment.payers[{i}].share");
            if c.finite(&sp, py.share) && py.share <= 0.0 {
                c.err(sp, format!("share {} must be > 0", py.share));
            }
            if let Some(cap) = py.cap {
                c.non_negative(&format!("payment.payers[{i}].cap"), cap);
            }
        }
        if !payers.is_empty() {
            c.shares("payment.payers", payers.iter().map(|p| p.share), "payer");
        }
    }
    if let Some(b) = pay.budget_cap {
        c.non_negative("payment.budget_cap", b);
    }
    if let Some(l) = pay.lag_months {
        c.whole_in(
            "payment.lag_months",
            l,
            0,
            MAX_HORIZON_MONTHS,
            "a lag of 0 or more months",
        );
    }
    if let Some(e) = pay.evaluation_cost {
        c.non_negative("payment.evaluation_cost", e);
    }
    if let Some(f) = pay.service_fee {
        c.in_range(
            "payment.service_fee",
            f,
            0.0,
            1.0,
            "a share of the monthly delivery cost from 0 to 1",
        );
    }
    if let Some(f) = pay.fixed_monthly {
        c.non_negative("payment.fixed_monthly", f);
    }
    let horizon = s.horizon_months.0;
    if let Some(fm) = &pay.fixed_months {
        if pay.fixed_monthly.is_none() {
            c.err(
                "payment.fixed_months",
                "`fixed_months` without `fixed_monthly`: add the monthly fixed payment, or remove the months",
            );
        }
        if fm.len() != 2 {
            c.err(
                "payment.fixed_months",
                format!(
                    "expected [start, end) as two months, found {} values",
                    fm.len()
                ),
            );
        } else if !(0 <= fm[0].0 && fm[0].0 <= fm[1].0 && fm[1].0 <= horizon) {
            c.err(
                "payment.fixed_months",
                format!(
                    "[{}, {}) is not a valid range: expected 0 <= start <= end <= horizon_months ({horizon})",
                    fm[0].0, fm[1].0
                ),
            );
        }
    }
    if let Some(a) = &pay.advance {
        c.non_negative("payment.advance.amount", a.amount);
        if let Some(m) = a.month {
            c.whole_in(
                "payment.advance.month",
                m,
                0,
                (horizon - 1).max(0),
                "a month inside the horizon (0 = at signature)",
            );
        }
        if let Some(r) = a.recovery
            && c.finite("payment.advance.recovery", r)
            && !(r > 0.0 && r <= 1.0)
        {
            c.err(
                "payment.advance.recovery",
                format!(
                    "{r} is out of range: expected the share of each outcome payment withheld, in (0, 1] (1: whole payments until recovered)"
                ),
            );
        }
    }
    if let Some(r) = pay.discount_rate
        && c.finite("payment.discount_rate", r)
        && r <= -1.0
    {
        c.err(
            "payment.discount_rate",
            format!("{r} is out of range: expected an annual rate > -1 (e.g. 0.08)"),
        );
    }
}
