//! The buffers one worker reuses across trials, the money totals of a
//! trial, and the per-month discount factors of a model.

use super::irr;
use super::layout::Layout;
use super::variates::binomial;
use crate::model::Model;
use crate::numeric::math;

/// The deal account's month-by-month series (docs/model.md, "The deal account") that a trial
/// records in [`Workspace::account`], series after series.
pub mod account {
    /// Outcome payments received by the deal (after the provider's success share).
    pub const RECEIPTS: usize = 0;
    /// The deal's costs (the investors' part of the delivery cost, after any service fee).
    pub const COSTS: usize = 1;
    /// Investor contributions.
    pub const CONTRIBUTIONS: usize = 2;
    /// Distributions to the tranches (tiers 1 and 2).
    pub const DISTRIBUTIONS: usize = 3;
    /// Excess leaving the deal.
    pub const EXCESS: usize = 4;
    /// Cash held in the account at the end of the month.
    pub const CASH: usize = 5;
    /// Number of series.
    pub const SERIES: usize = 6;
}

/// Reusable buffers of one worker; sized once from the model.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// Per-trial uniforms, one per parameter.
    pub(super) u: Vec<f64>,
    /// Per-trial parameter values.
    pub params: Vec<f64>,
    /// Copula scratch.
    pub(super) z: Vec<f64>,
    /// In a programme, each parameter's normal score after the common
    /// factor (read only for the parameters the factor moves).
    pub(super) common_z: Vec<f64>,
    /// Size of each segment of the current cohort.
    pub(super) segment_size: Vec<u64>,
    /// True successes per cell (cohort x outcome x segment x event month; see
    /// [`crate::model::OutcomeModel`]).
    pub(super) cells: Vec<u64>,
    /// Counts eligible for payment per cell (above the counterfactual, measured).
    pub(super) pay_cells: Vec<u64>,
    /// Counts eligible for payment per outcome, cash month and pay group
    /// (provider x segment), `[(o * h + t) * pay_groups + g]`.
    pub(super) cash: Vec<u64>,
    /// Cohort sizes of the trial (kept when the model has effect outcomes).
    pub(super) sizes: Vec<u64>,
    /// Per outcome netted across the contract: its base count over every cohort.
    pub(super) netting_base: Vec<u64>,
    /// Money invoiced per effect or rate outcome and cash month, `[m * h + t]`.
    pub(super) measure_cash: Vec<f64>,
    /// Per effect or rate outcome: what the trial measured and paid.
    pub measured: Vec<MeasuredResult>,
    /// The transfers to agencies of the trial.
    pub transfers: TransferState,
    /// Scratch of the effect outcomes: per month, the net effect and the
    /// participants it is over (netting across the contract), then one
    /// evaluation error per round.
    pub(super) month_effect: Vec<f64>,
    pub(super) month_people: Vec<f64>,
    pub(super) round_error: Vec<f64>,
    /// One past the last cash month with something to pay (0: none).
    pub(super) last_cash: usize,
    /// Whether any outcome has something to pay in each cash month.
    pub(super) paying: Vec<bool>,
    /// Delivery cost per month.
    pub(super) cost: Vec<f64>,
    /// Outcome payments per month (after caps).
    pub payments: Vec<f64>,
    /// With providers: each provider's delivery cost per month, `[p * h + t]`.
    pub(super) provider_cost: Vec<f64>,
    /// With providers: each provider's part of the month's outcome
    /// payments after every cap, `[p * h + t]` (docs/model.md, "Several providers").
    pub provider_pay: Vec<f64>,
    /// With providers: what each provider invoiced in the month being paid.
    pub(super) provider_invoiced: Vec<f64>,
    /// In a programme whose fund budget binds: the most the deal is paid
    /// for outcomes in each month (empty: no limit; docs/model.md, "Programmes").
    pub fund_ceiling: Vec<f64>,
    /// Flows per tranche and month: flows[k * h + t].
    pub flows: Vec<f64>,
    /// Combined investor flows per month.
    pub combined: Vec<f64>,
    /// Per-tranche running state.
    pub(super) tranche: Vec<TrancheState>,
    pub(super) remaining_max: Vec<u64>,
    /// Outcomes paid so far per id (the tier counter).
    pub(super) tier_position: Vec<u64>,
    pub(super) outcome_total: Vec<u64>,
    /// True successes per outcome and segment, `[o * segments + s]`.
    pub(super) segment_total: Vec<u64>,
    pub(super) paid: Vec<u64>,
    pub(super) unpaid: Vec<u64>,
    /// Per payer: invoiced this month, then paid this month.
    pub(super) payer_month: Vec<f64>,
    /// Per payer: cap left.
    pub(super) payer_cap_left: Vec<f64>,
    /// Per payer: outcome payments over the trial.
    pub payer_paid: Vec<f64>,
    /// Per payer: excess returned to it over the trial.
    pub(super) payer_excess: Vec<f64>,
    /// Per payer: outcome payments since the last settlement of excess.
    pub(super) payer_window: Vec<f64>,
    /// Cumulative investor position (contributions - distributions) after each month.
    pub position: Vec<f64>,
    /// The deal account month by month, `[series * horizon + t]` (see
    /// [`account`]); written only while `record_account` is set.
    pub account: Vec<f64>,
    /// Whether trials record the deal account month by month (the runner
    /// sets it for the trials whose series it keeps).
    pub record_account: bool,
    /// The trial's metric row, in [`Layout`] order.
    pub row: Vec<f64>,
    /// Money totals of the trial, for conservation checks.
    pub totals: MoneyTotals,
    /// Totals of the waterfall, passed from [`waterfall`] to [`metrics`].
    pub(super) ledger: Ledger,
}

/// What a trial measured and paid of one effect or rate outcome
/// (docs/model.md, "Measured outcomes").
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MeasuredResult {
    /// The true result: the net effect in its unit, or the rate reached.
    pub true_result: f64,
    /// Units paid inside the horizon (effect units, or shares of the price).
    pub paid: f64,
    /// Units due at or after the horizon (never paid).
    pub unpaid: f64,
    /// Money due on the measured result (before the caps, wherever it falls).
    pub measured_money: f64,
    /// Money that would be due on the true result.
    pub true_money: f64,
    /// A rate outcome: the largest share of the price the measured result
    /// earned; the same on the true result.
    pub measured_share: f64,
    /// See `measured_share`.
    pub true_share: f64,
}

/// One trial's transfers to agencies: per agency (file order) its final
/// rate, earned shares (measured, true), what is due at the round and what
/// it has received; and the totals.
#[derive(Debug, Clone, Default)]
pub struct TransferState {
    /// 5 x agencies: final rate, share, true share, due, paid.
    buf: Vec<f64>,
    /// Money the measured results earned, before the pool.
    pub earned: f64,
    /// Money transferred.
    pub transferred: f64,
    /// Money due at rounds whose cash falls at or after the horizon.
    pub unpaid: f64,
    /// Whether the pool cut a transfer.
    pub binds: bool,
}

impl TransferState {
    /// Buffers for `n` agencies.
    pub(super) fn new(n: usize) -> TransferState {
        TransferState {
            buf: vec![0.0; 5 * n],
            ..TransferState::default()
        }
    }

    /// The five per-agency series.
    #[allow(clippy::type_complexity)]
    pub(super) fn slices(
        &mut self,
        n: usize,
    ) -> (&mut [f64], &mut [f64], &mut [f64], &mut [f64], &mut [f64]) {
        let (a, rest) = self.buf[..5 * n].split_at_mut(n);
        let (b, rest) = rest.split_at_mut(n);
        let (c, rest) = rest.split_at_mut(n);
        let (d, e) = rest.split_at_mut(n);
        (a, b, c, d, e)
    }

    /// What each agency received this trial.
    pub fn paid(&self) -> &[f64] {
        let n = self.buf.len() / 5;
        &self.buf[4 * n..]
    }
}

/// Running state of one tranche through a trial's waterfall.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct TrancheState {
    pub(super) contributed: f64,
    pub(super) distributed: f64,
    /// Capital not yet returned (tier 1).
    pub(super) outstanding: f64,
    /// Distributions minus contributions, compounded monthly at the cap rate:
    /// negative while the cap leaves room for more (tier 2).
    pub(super) fv: f64,
    /// Tier-2 room left this month (water-filling scratch).
    pub(super) room: f64,
    /// Still taking tier-2 money this month.
    pub(super) active: bool,
}

/// What the waterfall of one trial adds up to.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Ledger {
    pub(super) gross: f64,
    pub(super) success: f64,
    pub(super) excess_total: f64,
    pub(super) excess_payer: f64,
    pub(super) excess_payer_pv: f64,
    pub(super) contributions: f64,
    pub(super) distributions: f64,
    pub(super) payer_pv: f64,
    pub(super) peak: f64,
    pub(super) cap_hit: bool,
    pub(super) delivery_cost: f64,
    pub(super) service_fees: f64,
    /// The guarantee paid, whoever funds it.
    pub(super) guarantee: f64,
    /// The principal floor's top-up, whoever funds it.
    pub(super) floor: f64,
    /// Guarantee and floor money funded by the payers.
    pub(super) payer_support: f64,
    /// The fixed part of the price paid.
    pub(super) fixed: f64,
    /// The advance paid, what was withheld from outcome payments to
    /// recover it, and what the deal repaid in the last month.
    pub(super) advance: f64,
    pub(super) withheld: f64,
    pub(super) repaid: f64,
    /// Present value to the payers of the fixed part and the advance, net.
    pub(super) other_payer_pv: f64,
}

/// Totals of every money flow of one trial (docs/model.md, "The deal account": money conserved).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MoneyTotals {
    /// Outcome payments made by the payers (after caps).
    pub gross_payments: f64,
    /// Investor contributions.
    pub contributions: f64,
    /// Distributions to investors (tiers 1 and 2).
    pub distributions: f64,
    /// Provider's success share.
    pub success_share: f64,
    /// Excess beyond every cap.
    pub excess: f64,
    /// Delivery cost.
    pub delivery_cost: f64,
    /// Service fees paid by the payers.
    pub service_fees: f64,
    /// Guarantee paid (whoever funds it).
    pub guarantee: f64,
    /// Principal-floor top-up (whoever funds it).
    pub floor: f64,
    /// Guarantee and floor money from the payers.
    pub payer_support: f64,
    /// The fixed part of the price paid.
    pub fixed_payments: f64,
    /// The advance paid by the payers.
    pub advance: f64,
    /// Outcome payments withheld to recover the advance.
    pub advance_recovered: f64,
    /// The advance repaid by the deal in the last month.
    pub advance_repaid: f64,
}

impl MoneyTotals {
    /// What comes in minus what goes out (docs/model.md, "The deal account"): gross payments,
    /// contributions and service fees, less distributions, the success
    /// share, excess and the delivery cost. Zero up to rounding in every
    /// trial, with or without recycling.
    pub fn conservation_gap(&self) -> f64 {
        (self.gross_payments + self.contributions + self.service_fees)
            + (self.fixed_payments + self.advance - self.advance_recovered)
            - (self.distributions + self.success_share + self.excess + self.delivery_cost)
            - self.advance_repaid
    }

    /// Whether [`MoneyTotals::conservation_gap`] is within 1e-9 of the
    /// trial's largest flow.
    pub fn is_conserved(&self) -> bool {
        let scale = self
            .gross_payments
            .max(self.delivery_cost)
            .max(self.contributions)
            .max(1.0);
        self.conservation_gap().abs() <= 1e-9 * scale
    }
}

impl Workspace {
    /// Buffers for `model`.
    pub fn new(model: &Model, layout: &Layout) -> Workspace {
        let h = model.horizon;
        let no = model.outcomes.len();
        let nt = model.tranches.len();
        let ns = model.segments.len();
        let np = model.payers.len();
        let n_cells = model.cohorts.len() * model.cell_stride;
        Workspace {
            u: vec![0.0; model.params.len()],
            common_z: vec![0.0; model.params.len()],
            params: vec![0.0; model.params.len() + model.external_params],
            z: vec![0.0; model.copula.as_ref().map_or(0, |c| c.params.len())],
            segment_size: vec![0; binomial::LANES * ns],
            cells: vec![0; n_cells],
            pay_cells: vec![0; n_cells],
            cash: vec![0; no * h * model.pay_groups],
            sizes: vec![0; model.cohorts.len()],
            netting_base: vec![0; no],
            measure_cash: vec![0.0; model.measures.len() * h],
            measured: vec![MeasuredResult::default(); model.measures.len()],
            transfers: TransferState::new(model.transfers.as_ref().map_or(0, |t| t.agencies.len())),
            month_effect: vec![0.0; if model.measures.is_empty() { 0 } else { h + 1 }],
            month_people: vec![0.0; if model.measures.is_empty() { 0 } else { h + 1 }],
            round_error: vec![
                0.0;
                model
                    .measures
                    .iter()
                    .map(|m| m.rounds.len())
                    .max()
                    .unwrap_or(0)
            ],
            last_cash: 0,
            paying: vec![false; h],
            cost: vec![0.0; h],
            payments: vec![0.0; h],
            provider_cost: vec![0.0; model.providers.len() * h],
            provider_pay: vec![0.0; model.providers.len() * h],
            provider_invoiced: vec![0.0; model.providers.len()],
            fund_ceiling: Vec::new(),
            flows: vec![0.0; nt * h],
            combined: vec![0.0; h],
            tranche: vec![TrancheState::default(); nt],
            remaining_max: vec![0; no],
            tier_position: vec![0; no],
            outcome_total: vec![0; no],
            segment_total: vec![0; no * ns],
            paid: vec![0; no],
            unpaid: vec![0; no],
            payer_month: vec![0.0; np],
            payer_cap_left: vec![0.0; np],
            payer_paid: vec![0.0; np],
            payer_excess: vec![0.0; np],
            payer_window: vec![0.0; np],
            position: vec![0.0; h],
            account: vec![0.0; account::SERIES * h],
            record_account: true,
            row: vec![0.0; layout.len()],
            totals: MoneyTotals::default(),
            ledger: Ledger::default(),
        }
    }
}

/// Precomputed per-month factors of a model.
#[derive(Debug, Clone)]
pub struct Discounts {
    /// IRR solver for flows over the horizon.
    pub irr: irr::IrrSolver,
    /// (1 + hurdle)^(-t/12).
    pub hurdle: Vec<f64>,
    /// (1 + discount_rate)^(-t/12).
    pub payer: Vec<f64>,
}

impl Discounts {
    /// Factors for `model`.
    pub fn new(model: &Model) -> Discounts {
        let f = |rate: f64| -> Vec<f64> {
            (0..model.horizon)
                .map(|t| math::powf(1.0 + rate, -(t as f64) / 12.0))
                .collect()
        };
        Discounts {
            irr: irr::IrrSolver::new(model.horizon),
            hurdle: f(model.hurdle_irr),
            payer: f(model.discount_rate),
        }
    }
}
