//! The per-trial metric row: which column holds which metric of docs/model.md, "Metrics".
//!
//! Column names are the output keys (`outcome.placement`, `tranche.senior.irr`).
//! Columns whose name starts with `_` are internal flags (loss within the
//! tolerance of docs/model.md, "Metrics", guarantee called, ...) used by the probabilities and
//! never printed as metrics.

use crate::model::Model;
use crate::scenario::SupportBy;

/// The evaluation-risk columns of one measured outcome (docs/model.md,
/// "Measured outcomes").
#[derive(Debug, Clone, Copy)]
pub struct EvaluationColumns {
    /// Index into `Model::measures`.
    pub measure: usize,
    /// `evaluation_error.<id>`: money due on the measured result less that
    /// on the true result.
    pub error: usize,
    /// `_triggered_below_threshold.<id>`: NaN unless the true result earns
    /// nothing; then 1 when the measured one earns something.
    pub false_trigger: usize,
    /// `_withheld_at_target.<id>` (rate outcomes): NaN unless the true result
    /// reaches the target; then 1 when the measured one does not.
    pub withheld: Option<usize>,
}

/// Column indices of every metric, and their names.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Column names in order.
    pub names: Vec<String>,
    /// First `outcome.<id>` column.
    pub outcome: usize,
    /// First `outcome.<id>.<segment>` column, when segments are declared:
    /// every segment of each count outcome in turn.
    pub outcome_segment: Option<usize>,
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
    /// `service_fee_paid`, when the scenario has a service fee.
    pub service_fee_paid: Option<usize>,
    /// `payer_support`: guarantee and floor money from the payers, when any is payer-funded.
    pub payer_support: Option<usize>,
    /// `floor_paid`: the principal floor's top-up (whoever funds it), when there is a floor.
    pub floor_paid: Option<usize>,
    /// `_floor_called`, when there is a floor.
    pub flag_floor_called: Option<usize>,
    /// Per effect or rate outcome whose evaluation risk is reported (a survey
    /// or an RCT), in funnel order: its columns.
    pub evaluation: Vec<EvaluationColumns>,
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
        let outcome_segment = model.segmented.then_some(names.len());
        if model.segmented {
            // (Effect and rate outcomes are not split by segment.)
            for o in model.outcomes.iter().filter(|o| o.measure.is_none()) {
                for g in &model.segments {
                    push(&mut names, format!("outcome.{}.{}", o.id, g.name));
                }
            }
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
        let service_fee_paid = model
            .service_fee_declared
            .then(|| push(&mut names, "service_fee_paid".into()));
        let payer_funded = (model.guarantee.is_some() && model.guarantee_by == SupportBy::Payer)
            || model.floor.is_some_and(|f| f.by == SupportBy::Payer);
        let payer_support = payer_funded.then(|| push(&mut names, "payer_support".into()));
        let floor_paid = model
            .floor
            .is_some()
            .then(|| push(&mut names, "floor_paid".into()));
        let reported: Vec<usize> = (0..model.measures.len())
            .filter(|&m| model.measures[m].reported)
            .collect();
        let errors: Vec<usize> = reported
            .iter()
            .map(|&m| {
                let id = &model.outcomes[model.measures[m].outcome].id;
                push(&mut names, format!("evaluation_error.{id}"))
            })
            .collect();
        let flag_loss = push(&mut names, "_loss".into());
        let flag_below_hurdle = push(&mut names, "_below_hurdle".into());
        let flag_guarantee_called = push(&mut names, "_guarantee_called".into());
        let flag_tranche_loss = names.len();
        for t in &model.tranches {
            push(&mut names, format!("_tranche_loss.{}", t.name));
        }
        let flag_floor_called = model
            .floor
            .is_some()
            .then(|| push(&mut names, "_floor_called".into()));
        let evaluation = reported
            .iter()
            .zip(errors)
            .map(|(&m, error)| {
                let mm = &model.measures[m];
                let id = &model.outcomes[mm.outcome].id;
                EvaluationColumns {
                    measure: m,
                    error,
                    false_trigger: push(&mut names, format!("_triggered_below_threshold.{id}")),
                    withheld: mm
                        .target_share
                        .is_finite()
                        .then(|| push(&mut names, format!("_withheld_at_target.{id}"))),
                }
            })
            .collect();
        Layout {
            names,
            outcome,
            outcome_segment,
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
            service_fee_paid,
            payer_support,
            floor_paid,
            flag_floor_called,
            evaluation,
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
