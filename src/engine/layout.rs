//! The per-trial metric row: which column holds which metric of SPEC section 4.
//!
//! Column names are the output keys (`outcome.placement`, `tranche.senior.irr`).
//! Columns whose name starts with `_` are internal flags (loss with the SPEC
//! section 9 tolerance, guarantee called, ...) used by the probabilities and
//! never printed as metrics.

use crate::model::Model;

/// Column indices of every metric, and their names.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Column names in order.
    pub names: Vec<String>,
    /// First `outcome.<id>` column.
    pub outcome: usize,
    /// First `paid.<id>` column.
    pub paid: usize,
    /// First `unpaid_after_horizon.<id>` column.
    pub unpaid: usize,
    /// `payer_cost`.
    pub payer_cost: usize,
    /// `payer_cost_pv`.
    pub payer_cost_pv: usize,
    /// First `payer_cost.<payer>` column.
    pub payer_cost_by: usize,
    /// `cost_per_outcome`.
    pub cost_per_outcome: usize,
    /// `delivery_cost`.
    pub delivery_cost: usize,
    /// `budget_cap_hit`.
    pub budget_cap_hit: usize,
    /// `investor_irr`.
    pub investor_irr: usize,
    /// `investor_moic`.
    pub investor_moic: usize,
    /// `investor_net`.
    pub investor_net: usize,
    /// `investor_npv`.
    pub investor_npv: usize,
    /// `investor_contributions` (an added metric: total capital contributed).
    pub investor_contributions: usize,
    /// `peak_funding`.
    pub peak_funding: usize,
    /// `funding_gap`.
    pub funding_gap: usize,
    /// First tranche column: `tranche.<name>.irr`, `.moic`, `.net` per tranche.
    pub tranche: usize,
    /// `guarantee_paid`.
    pub guarantee_paid: usize,
    /// `provider_bonus`.
    pub provider_bonus: usize,
    /// `excess`.
    pub excess: usize,
    /// `_loss`: investor_net below zero beyond the tolerance.
    pub flag_loss: usize,
    /// `_below_hurdle`: investor_npv below zero beyond the tolerance.
    pub flag_below_hurdle: usize,
    /// `_guarantee_called`.
    pub flag_guarantee_called: usize,
    /// First `_tranche_loss.<name>` column.
    pub flag_tranche_loss: usize,
}

impl Layout {
    /// The layout of `model`'s metrics.
    pub fn new(model: &Model) -> Layout {
        let mut names: Vec<String> = Vec::new();
        let push = |names: &mut Vec<String>, n: String| {
            names.push(n);
            names.len() - 1
        };
        let outcome = names.len();
        for o in &model.outcomes {
            push(&mut names, format!("outcome.{}", o.id));
        }
        let paid = names.len();
        for o in &model.outcomes {
            push(&mut names, format!("paid.{}", o.id));
        }
        let unpaid = names.len();
        for o in &model.outcomes {
            push(&mut names, format!("unpaid_after_horizon.{}", o.id));
        }
        let payer_cost = push(&mut names, "payer_cost".into());
        let payer_cost_pv = push(&mut names, "payer_cost_pv".into());
        let payer_cost_by = names.len();
        for (p, _) in &model.payers {
            push(&mut names, format!("payer_cost.{p}"));
        }
        let cost_per_outcome = push(&mut names, "cost_per_outcome".into());
        let delivery_cost = push(&mut names, "delivery_cost".into());
        let budget_cap_hit = push(&mut names, "budget_cap_hit".into());
        let investor_irr = push(&mut names, "investor_irr".into());
        let investor_moic = push(&mut names, "investor_moic".into());
        let investor_net = push(&mut names, "investor_net".into());
        let investor_npv = push(&mut names, "investor_npv".into());
        let investor_contributions = push(&mut names, "investor_contributions".into());
        let peak_funding = push(&mut names, "peak_funding".into());
        let funding_gap = push(&mut names, "funding_gap".into());
        let tranche = names.len();
        for t in &model.tranches {
            for m in ["irr", "moic", "net"] {
                push(&mut names, format!("tranche.{}.{m}", t.name));
            }
        }
        let guarantee_paid = push(&mut names, "guarantee_paid".into());
        let provider_bonus = push(&mut names, "provider_bonus".into());
        let excess = push(&mut names, "excess".into());
        let flag_loss = push(&mut names, "_loss".into());
        let flag_below_hurdle = push(&mut names, "_below_hurdle".into());
        let flag_guarantee_called = push(&mut names, "_guarantee_called".into());
        let flag_tranche_loss = names.len();
        for t in &model.tranches {
            push(&mut names, format!("_tranche_loss.{}", t.name));
        }
        Layout {
            names,
            outcome,
            paid,
            unpaid,
            payer_cost,
            payer_cost_pv,
            payer_cost_by,
            cost_per_outcome,
            delivery_cost,
            budget_cap_hit,
            investor_irr,
            investor_moic,
            investor_net,
            investor_npv,
            investor_contributions,
            peak_funding,
            funding_gap,
            tranche,
            guarantee_paid,
            provider_bonus,
            excess,
            flag_loss,
            flag_below_hurdle,
            flag_guarantee_called,
            flag_tranche_loss,
        }
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there are no columns (never, for a compiled model).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Index of a column by name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Whether column `i` is a reported metric (not an internal flag).
    pub fn is_metric(&self, i: usize) -> bool {
        !self.names[i].starts_with('_')
    }
}
