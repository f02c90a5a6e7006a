//! The per-trial metric row: which column holds which metric of docs/model.md, "Metrics".
//!
//! Column names are the output keys (`outcome.placement`, `tranche.senior.irr`).
//! Columns whose name starts with `_` are internal flags (loss within the
//! tolerance of docs/model.md, "Metrics", guarantee called, ...) used by the probabilities and
//! never printed as metrics.

use crate::model::Model;
use crate::scenario::{FundedBy, SupportBy};

/// The output keys of the funding party's figures (docs/model.md, "Who
/// funds the contract"): the investors' in an impact bond, the provider's
/// when it funds the contract itself. The columns are the same; only the
/// names differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunderKeys {
    /// IRR on the funder's own flows.
    pub irr: &'static str,
    /// Money back over money put in.
    pub moic: &'static str,
    /// Money back less money put in.
    pub net: &'static str,
    /// NPV at the hurdle.
    pub npv: &'static str,
    /// Money put in.
    pub outlay: &'static str,
    /// Peak cumulative cash need.
    pub peak: &'static str,
    /// Peak above the committed capital.
    pub gap: &'static str,
    /// P(net < 0).
    pub prob_loss: &'static str,
    /// P(NPV at the hurdle < 0).
    pub prob_below_hurdle: &'static str,
    /// P(peak above the committed capital).
    pub prob_funding_gap: &'static str,
}

/// The investors' keys (an impact bond).
pub const INVESTOR_KEYS: FunderKeys = FunderKeys {
    irr: "investor_irr",
    moic: "investor_moic",
    net: "investor_net",
    npv: "investor_npv",
    outlay: "investor_contributions",
    peak: "peak_funding",
    gap: "funding_gap",
    prob_loss: "prob_loss",
    prob_below_hurdle: "prob_below_hurdle",
    prob_funding_gap: "prob_funding_gap",
};

/// The provider's keys (a contract it funds itself).
pub const PROVIDER_KEYS: FunderKeys = FunderKeys {
    irr: "provider.irr",
    moic: "provider.moic",
    net: "provider.margin",
    npv: "provider.npv",
    outlay: "provider.outlay",
    peak: "provider.peak_cash",
    gap: "provider.funding_gap",
    prob_loss: "prob_provider_loss",
    prob_below_hurdle: "prob_provider_below_hurdle",
    prob_funding_gap: "prob_provider_funding_gap",
};

/// The keys of whoever funds the contract.
pub fn funder_keys(funded_by: FundedBy) -> &'static FunderKeys {
    match funded_by {
        FundedBy::Investors => &INVESTOR_KEYS,
        FundedBy::Provider => &PROVIDER_KEYS,
    }
}

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

/// The columns of transfers to agencies (docs/model.md, "Transfers to agencies").
#[derive(Debug, Clone, Copy)]
pub struct TransferColumns {
    /// `transferred`: money transferred to the agencies.
    pub transferred: usize,
    /// `earned`: money the measured results earned, before the pool.
    pub earned: usize,
    /// `pool_shortfall`: what the pool cut (earned, less transferred, less
    /// what fell due after the horizon).
    pub shortfall: usize,
    /// `agencies_paid_in_full`, `agencies_paid_nothing`: counts of agencies.
    pub in_full: usize,
    /// See `in_full`.
    pub nothing: usize,
    /// `_pool_binds`.
    pub flag_binds: usize,
    /// First `_transfer.<agency>`: each agency's transfer, in the file's order.
    pub agency: usize,
}

/// The columns of each provider of a contract with several (docs/model.md,
/// "Several providers"): per provider in turn, `provider.<name>.outcome.<id>`
/// for every outcome, then `.paid`, `.cost`, `.net` and `.peak_cash`.
#[derive(Debug, Clone, Copy)]
pub struct ProviderColumns {
    /// The first provider's first column.
    pub first: usize,
    /// Columns per provider.
    pub stride: usize,
    /// Offset of `.paid` within a provider's columns (`.cost`, `.net`,
    /// `.peak_cash` follow).
    pub paid: usize,
    /// First `_provider_loss.<name>`: its net below zero beyond the tolerance.
    pub flag_loss: usize,
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
    /// First tranche column: `tranche.<name>.irr`, `.moic`, `.net` per
    /// tranche (investors' tranches only: a provider funding the contract
    /// has none).
    pub tranche: usize,
    /// Whether the tranche columns (and their loss flags) exist.
    pub tranche_columns: bool,
    /// The output keys of the funding party's columns.
    pub funder: &'static FunderKeys,
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
    /// `fixed_paid` and `fixed_share`, when the price has a fixed part.
    pub fixed: Option<(usize, usize)>,
    /// `advance_recovered` and `advance_repaid`, when there is an advance.
    pub advance: Option<(usize, usize)>,
    /// The transfers' columns, when the scenario has transfers.
    pub transfers: Option<TransferColumns>,
    /// Each provider's columns, when the contract has providers.
    pub providers: Option<ProviderColumns>,
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
        let funder = funder_keys(model.funded_by);
        let investors = model.funded_by == FundedBy::Investors;
        let investor_irr = push(&mut names, funder.irr.into());
        let investor_moic = push(&mut names, funder.moic.into());
        let investor_net = push(&mut names, funder.net.into());
        let investor_npv = push(&mut names, funder.npv.into());
        let investor_contributions = push(&mut names, funder.outlay.into());
        let peak_funding = push(&mut names, funder.peak.into());
        let funding_gap = push(&mut names, funder.gap.into());
        let tranche = names.len();
        if investors {
            for t in &model.tranches {
                for m in ["irr", "moic", "net"] {
                    push(&mut names, format!("tranche.{}.{m}", t.name));
                }
            }
        }
        // (Without investors there is no guarantee, no success share and
        // no excess: the columns stay, always zero, as internal ones.)
        let hidden = if investors { "" } else { "_" };
        let guarantee_paid = push(&mut names, format!("{hidden}guarantee_paid"));
        let provider_bonus = push(&mut names, format!("{hidden}provider_bonus"));
        let excess = push(&mut names, format!("{hidden}excess"));
        let fixed = (!model.fixed_payments.is_empty()).then(|| {
            (
                push(&mut names, "fixed_paid".into()),
                push(&mut names, "fixed_share".into()),
            )
        });
        let advance = model.advance.is_some().then(|| {
            (
                push(&mut names, "advance_recovered".into()),
                push(&mut names, "advance_repaid".into()),
            )
        });
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
        let transfers_base = model.transfers.as_ref().map(|_| {
            (
                push(&mut names, "transferred".into()),
                push(&mut names, "earned".into()),
                push(&mut names, "pool_shortfall".into()),
                push(&mut names, "agencies_paid_in_full".into()),
                push(&mut names, "agencies_paid_nothing".into()),
            )
        });
        let providers_first = (!model.providers.is_empty()).then(|| {
            let first = names.len();
            for pm in &model.providers {
                for o in &model.outcomes {
                    push(&mut names, format!("provider.{}.outcome.{}", pm.name, o.id));
                }
                for m in ["paid", "cost", "net", "peak_cash"] {
                    push(&mut names, format!("provider.{}.{m}", pm.name));
                }
            }
            first
        });
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
        if investors {
            for t in &model.tranches {
                push(&mut names, format!("_tranche_loss.{}", t.name));
            }
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
        let transfers = transfers_base.map(|(transferred, earned, shortfall, in_full, nothing)| {
            let flag_binds = push(&mut names, "_pool_binds".into());
            let agency = names.len();
            for a in model.transfers.iter().flat_map(|t| &t.agencies) {
                push(&mut names, format!("_transfer.{}", a.name));
            }
            TransferColumns {
                transferred,
                earned,
                shortfall,
                in_full,
                nothing,
                flag_binds,
                agency,
            }
        });
        let providers = providers_first.map(|first| {
            let flag_loss = names.len();
            for pm in &model.providers {
                push(&mut names, format!("_provider_loss.{}", pm.name));
            }
            ProviderColumns {
                first,
                stride: model.outcomes.len() + 4,
                paid: model.outcomes.len(),
                flag_loss,
            }
        });
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
            tranche_columns: investors,
            funder,
            guarantee_paid,
            provider_bonus,
            excess,
            service_fee_paid,
            payer_support,
            floor_paid,
            flag_floor_called,
            fixed,
            advance,
            transfers,
            providers,
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
