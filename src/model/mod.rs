//! The compiled, flat form of a scenario that the engine runs.
//!
//! [`Model::compile`] resolves every default, name and reference once:
//! outcomes become index arrays in funnel order, every uncertain input becomes
//! one entry of a flat parameter list drawn once per trial in a fixed order,
//! and the months at which each (cohort, outcome) pair is verified and paid are
//! precomputed. Nothing in a trial needs a string, a hash or an allocation.

mod compile;
pub mod sampler;

use crate::numeric::count_f64;
use crate::scenario::{ExcessTo, FundedBy, Sampling, SupportBy};
pub use sampler::Sampler;

/// Where a number used by the engine comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// Fixed for the whole run.
    Const(f64),
    /// Index into the per-trial parameter vector.
    Param(usize),
}

impl Value {
    /// Reads the value for the current trial.
    #[inline]
    pub fn get(self, params: &[f64]) -> f64 {
        match self {
            Value::Const(c) => c,
            Value::Param(i) => params[i],
        }
    }
}

/// What a per-trial parameter is, for reports and sensitivity analysis.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamKind {
    /// Shock `i` happens (value 1) or not (0).
    Shock(usize),
    /// The trial's rate of outcome `i`.
    Rate(usize),
    /// The size of cohort `i` (rounded half up, clamped at 0, by the engine).
    CohortSize(usize),
    /// A cost input (its scenario path).
    Cost(String),
    /// The evaluator's relative error on outcome `i`'s paid count (docs/scenario-format.md, "Payment mechanics of real contracts").
    Measurement(usize),
    /// The mean change per participant of effect outcome `i`.
    Effect(usize),
    /// The comparison group's mean change of effect outcome `i`.
    Comparison(usize),
    /// The true rate of agency `i` of the transfers.
    AgencyRate(usize),
    /// Provider `p`'s multiplier on the rate of outcome `o`: (p, o).
    ProviderRate(usize, usize),
}

/// One uncertain input drawn once per trial.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// What it is.
    pub kind: ParamKind,
    /// Scenario path of the input, e.g. `outcomes[0].rate`.
    pub path: String,
    /// How it is drawn from a uniform (a shock is Bernoulli: 1 when u < p).
    pub sampler: Sampler,
}

/// A cohort of participants.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortModel {
    /// Name, for reports.
    pub name: String,
    /// Enrolment month (< horizon).
    pub start: usize,
    /// Size (constant or a parameter).
    pub size: Value,
    /// Index into [`Model::providers`] (0 when the contract has none).
    pub provider: usize,
}

/// One provider of a contract with several (docs/model.md, "Several
/// providers").
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderModel {
    /// Name, as in `provider.<name>.net`.
    pub name: String,
    /// Its delivery costs.
    pub costs: CostModel,
    /// Its multiplier on each outcome's rate (index = outcome).
    pub rate: Vec<Value>,
    /// Its multiplier on each outcome's price (index = outcome).
    pub price: Vec<f64>,
}

/// One funnel step.
///
/// The successes of a (cohort, outcome, segment) live in `spread` cells, one
/// per month from `first_lag` to `first_lag + spread - 1` after the cohort's
/// start; cell `j` of segment `s` of cohort `c` is at
/// `c * Model::cell_stride + cells + s * spread + j`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeModel {
    /// Outcome id.
    pub id: String,
    /// Label for reports (the id when none).
    pub label: String,
    /// Base outcome index, `None` for `enrolled`. Always an earlier outcome.
    pub base: Option<usize>,
    /// Own verification lag after the base event: (months, probability), in
    /// the order given; one entry of probability 1 for a fixed lag.
    pub lag: Vec<(usize, f64)>,
    /// Earliest event month after the cohort's start (lags of the whole chain).
    pub first_lag: usize,
    /// Number of possible event months (1 when every lag in the chain is fixed).
    pub spread: usize,
    /// Offset of this outcome's cells inside a cohort's block.
    pub cells: usize,
    /// Marginal price tiers `(up_to inclusive, price)`; the last has `u64::MAX`.
    pub tiers: Vec<(u64, f64)>,
    /// Cap on outcomes ever paid (u64::MAX: none).
    pub max_paid: u64,
    /// Sd of the per-cohort beta around the trial rate (0: none).
    pub cohort_sd: f64,
    /// The trial's rate.
    pub rate: Value,
    /// Counterfactual rate: only successes above round(rate x base) are paid.
    pub counterfactual: Option<f64>,
    /// The relative measurement error of the paid count, when measured with error.
    pub measurement: Option<Value>,
    /// No segments, fixed lags in its chain, paid on its true count: the
    /// engine's short path (a single cell per cohort).
    pub simple: bool,
    /// An effect or rate outcome: its index in [`Model::measures`]. Such an
    /// outcome has no count cells (`spread` 0) and is paid from the amounts
    /// [`crate::engine::measures`] computes.
    pub measure: Option<usize>,
    /// A count outcome's verification rounds (sorted months; empty: paid as
    /// each success happens). A success is paid at the first round at or
    /// after its event month, plus the payment lag.
    pub rounds: Vec<usize>,
    /// A count outcome's counterfactual netted across the contract: the
    /// cells in payment order (event month, then cohort) as (first cell,
    /// event month); empty when netted per cohort.
    pub netting_order: Vec<(u32, u32)>,
}

impl OutcomeModel {
    /// The cash month of a success verified in `event` (paid `lag` months
    /// after its round); `usize::MAX` when no round is left for it.
    #[inline]
    pub fn cash_month(&self, event: usize, lag: usize) -> usize {
        if self.rounds.is_empty() {
            return event + lag;
        }
        match self.rounds.iter().find(|&&r| r >= event) {
            Some(&r) => r + lag,
            None => usize::MAX,
        }
    }

    /// Total price of paid outcomes number `pos + 1 ..= pos + n` (marginal tiers).
    #[inline]
    pub fn tier_amount(&self, pos: u64, n: u64) -> f64 {
        let mut amount = 0.0;
        let (mut at, end) = (pos, pos.saturating_add(n));
        for &(up_to, price) in &self.tiers {
            if at >= up_to {
                continue;
            }
            let take = end.min(up_to) - at;
            amount += count_f64(take) * price;
            at += take;
            if at >= end {
                break;
            }
        }
        amount
    }
}

/// How a measured outcome's result is observed (docs/model.md, "Measured outcomes").
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Observation {
    /// Exactly (administrative records).
    Exact,
    /// A survey: the measured rate is Normal(r, r (1 - r) deff / n), clamped
    /// to [0, 1]; this is deff / n.
    Survey {
        /// Design effect over the sample size.
        deff_over_n: f64,
    },
    /// A randomised evaluation: the estimated mean effect per participant is
    /// the true one plus Normal(0, se).
    Rct {
        /// Standard error of the estimated mean effect.
        se: f64,
    },
}

/// What a measured outcome measures.
#[derive(Debug, Clone, PartialEq)]
pub enum Measured {
    /// A continuous effect summed over the participants of a base.
    Effect {
        /// Base outcome (`None`: the cohort at its start).
        base: Option<usize>,
        /// Months from the base event to the effect.
        lag: usize,
        /// Mean change per participant.
        mean: Value,
        /// Comparison group's mean change per participant.
        comparison: Value,
        /// Sd of a cohort's mean.
        cohort_sd: f64,
        /// Sd between participants.
        participant_sd: f64,
    },
    /// A rate in a population against a schedule.
    Rate {
        /// The true rate at the last round.
        rate: Value,
        /// The rate before the contract.
        baseline: f64,
        /// 1 when a higher rate is better, -1 when lower.
        sign: f64,
        /// What the schedule reads.
        achievement: crate::scenario::Achievement,
        /// The target rate (for `share_of_target`; NaN otherwise).
        target: f64,
        /// Schedule points (progress, share of price), progress increasing
        /// with betterness (a `rate` achievement with `better: lower` is
        /// negated).
        points: Vec<(f64, f64)>,
        /// Steps rather than straight lines.
        steps: bool,
    },
}

/// An effect or rate outcome: measured at rounds, paid on the cumulative
/// result (docs/model.md, "Measured outcomes").
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureModel {
    /// Its outcome index.
    pub outcome: usize,
    /// What it measures.
    pub what: Measured,
    /// How it is observed.
    pub observation: Observation,
    /// Verification months, sorted (empty: an effect paid as it happens).
    pub rounds: Vec<usize>,
    /// Shortfalls netted across the contract rather than per cohort.
    pub contract: bool,
    /// Price per unit (effect) or of 100% of the schedule (rate).
    pub price: f64,
    /// A rate outcome: the share of the price that reaching the target pays
    /// (the first point paying the schedule's largest share up to 1); NaN
    /// for an effect.
    pub target_share: f64,
    /// Whether its evaluation risk is reported (a survey or an RCT).
    pub reported: bool,
}

impl MeasureModel {
    /// The share of the price a rate outcome's schedule pays for `rate`.
    pub fn schedule_share(&self, rate: f64) -> f64 {
        let Measured::Rate {
            baseline, target, ..
        } = &self.what
        else {
            return 0.0;
        };
        self.schedule_share_from(rate, *baseline, *target)
    }

    /// The share of the price a rate outcome's schedule pays for `rate`,
    /// measured from `baseline` towards `target` (an agency's own).
    pub fn schedule_share_from(&self, rate: f64, baseline: f64, target: f64) -> f64 {
        let Measured::Rate {
            sign,
            achievement,
            points,
            steps,
            ..
        } = &self.what
        else {
            return 0.0;
        };
        use crate::scenario::Achievement;
        let x = match achievement {
            Achievement::Change => sign * (rate - baseline),
            Achievement::Rate => sign * rate,
            Achievement::ShareOfTarget => (rate - baseline) / (target - baseline),
        };
        schedule_at(points, *steps, x)
    }
}

/// Performance transfers to agencies (docs/model.md, "Transfers to agencies").
#[derive(Debug, Clone, PartialEq)]
pub struct TransfersModel {
    /// The rate outcome that pays them: its index into `Model::measures`.
    pub measure: usize,
    /// Most transferred over the contract (infinite: no pool).
    pub pool: f64,
    /// Whether a pool was declared.
    pub pooled: bool,
    /// The agencies, in the file's order.
    pub agencies: Vec<AgencyModel>,
    /// Agency indices by priority rank, rank 1 first (one rank when the
    /// pool is shared pro rata; file order within a rank): ranges into `order`.
    pub ranks: Vec<(usize, usize)>,
    /// See `ranks`.
    pub order: Vec<usize>,
}

/// One agency.
#[derive(Debug, Clone, PartialEq)]
pub struct AgencyModel {
    /// Its name.
    pub name: String,
    /// What 100% of the schedule transfers.
    pub commitment: f64,
    /// Its rate before the contract.
    pub baseline: f64,
    /// Its target (NaN without one).
    pub target: f64,
    /// Its true rate by the last round.
    pub rate: Value,
}

/// A schedule's share at progress `x` (points in increasing progress).
pub fn schedule_at(points: &[(f64, f64)], steps: bool, x: f64) -> f64 {
    if steps {
        return points
            .iter()
            .rev()
            .find(|&&(at, _)| at <= x)
            .map_or(0.0, |&(_, pay)| pay);
    }
    let (Some(&(a0, p0)), Some(&(_, pn))) = (points.first(), points.last()) else {
        return 0.0;
    };
    if x < a0 {
        return p0;
    }
    for w in points.windows(2) {
        let ((a, pa), (b, pb)) = (w[0], w[1]);
        if x < b {
            return if b > a {
                pa + (pb - pa) * (x - a) / (b - a)
            } else {
                pb
            };
        }
    }
    pn
}

/// A population group inside every cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentModel {
    /// Name (`[a-z0-9_]+`).
    pub name: String,
    /// Expected share of each cohort.
    pub share: f64,
}

/// An advance on the price (docs/model.md, "Who funds the contract").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdvanceModel {
    /// The amount paid.
    pub amount: f64,
    /// The month it is paid.
    pub month: usize,
    /// Share of each later outcome payment withheld until it is recovered.
    pub recovery: f64,
}
/// A principal floor: the covered tranche gets back at least `share` of its contributions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloorModel {
    /// Share of the contributions protected.
    pub share: f64,
    /// Covered tranche index.
    pub tranche: usize,
    /// Who pays the top-up.
    pub by: SupportBy,
}

/// A shock drawn once per trial.
#[derive(Debug, Clone, PartialEq)]
pub struct ShockModel {
    /// Name, for reports.
    pub name: String,
    /// Probability of happening.
    pub probability: f64,
    /// Affects cohorts with start >= from_month.
    pub from_month: usize,
    /// One multiplier per outcome (1 where none is given).
    pub multipliers: Vec<f64>,
    /// Parameter index of its Bernoulli draw.
    pub param: usize,
}

/// An investor tranche.
#[derive(Debug, Clone, PartialEq)]
pub struct TrancheModel {
    /// Name.
    pub name: String,
    /// Share of contributions.
    pub share: f64,
    /// 1 is repaid first.
    pub seniority: i64,
    /// Annual IRR cap; `None`: uncapped.
    pub cap_irr: Option<f64>,
    /// Monthly growth factor at the cap, (1 + cap)^(1/12) (1 when uncapped).
    pub cap_factor: f64,
}

/// Delivery costs.
#[derive(Debug, Clone, PartialEq)]
pub struct CostModel {
    /// Month 0.
    pub upfront: Value,
    /// Per participant, at each cohort's start.
    pub per_participant: Value,
    /// Per success of each outcome (index = outcome), at the event month.
    pub per_outcome: Vec<Value>,
    /// Every month in [fixed_start, fixed_end).
    pub fixed_monthly: Value,
    /// First month of fixed costs.
    pub fixed_start: usize,
    /// One past the last month of fixed costs.
    pub fixed_end: usize,
}

/// Gaussian copula over some outcome rates.
#[derive(Debug, Clone, PartialEq)]
pub struct Copula {
    /// Parameter indices of the correlated rates.
    pub params: Vec<usize>,
    /// Lower-triangular Cholesky factor, row-major n x n.
    pub chol: Vec<f64>,
}

/// A scenario compiled for simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Deal name.
    pub name: String,
    /// ISO currency code.
    pub currency: String,
    /// Months 0..horizon exist.
    pub horizon: usize,
    /// Cohorts in declaration order.
    pub cohorts: Vec<CohortModel>,
    /// Outcomes in funnel (declaration) order.
    pub outcomes: Vec<OutcomeModel>,
    /// Shocks.
    pub shocks: Vec<ShockModel>,
    /// Per-trial parameters in draw order: shocks, rates, cohort sizes, costs.
    pub params: Vec<Param>,
    /// Correlated rates, when `correlations` are given.
    pub copula: Option<Copula>,
    /// Delivery costs (with providers: the contract's shared costs only).
    pub costs: CostModel,
    /// Population groups: the declared segments, or one implicit group of share 1.
    pub segments: Vec<SegmentModel>,
    /// Whether segments were declared (then `outcome.<id>.<segment>` is reported).
    pub segmented: bool,
    /// Segments with exactly one outcome of `enrolled`: the segment split and
    /// that outcome's binomials are drawn as one multinomial (the same joint
    /// law, fewer draws), since nothing else reads the segment sizes.
    pub joint_segments: bool,
    /// Segment rate multipliers, `[o * segments + s]`.
    pub segment_rate: Vec<f64>,
    /// Segment price multipliers, `[o * segments + s]`.
    pub segment_price: Vec<f64>,
    /// The providers of a contract with several (empty: one provider, the
    /// contract's own cohorts and costs).
    pub providers: Vec<ProviderModel>,
    /// Groups whose counts are paid at their own price: every segment of
    /// every provider, `provider * segments + segment` (the segments alone
    /// without providers).
    pub pay_groups: usize,
    /// Price multipliers per pay group (a segment's times its provider's),
    /// `[o * pay_groups + g]`.
    pub group_price: Vec<f64>,
    /// Cells per cohort (see [`OutcomeModel`]).
    pub cell_stride: usize,
    /// Cash lots per (outcome, cash month): `lots[lot_index[o * h + t]..lot_index[o * h + t + 1]]`
    /// are the cells (segment 0) paid in month t, in cohort order.
    pub lot_index: Vec<u32>,
    /// See `lot_index`.
    pub lots: Vec<u32>,
    /// The first pay group of each lot's cohort (its provider's), parallel
    /// to `lots`.
    pub lot_group: Vec<u32>,
    /// Payers (name, share).
    pub payers: Vec<(String, f64)>,
    /// Each payer's own cap on its outcome payments (infinite: none).
    pub payer_caps: Vec<f64>,
    /// Share of outcome o's payments borne by payer j, `[o * payers + j]` (paid_by, renormalised).
    pub payer_weights: Vec<f64>,
    /// Per outcome: paid by every payer by share (no `paid_by`).
    pub paid_by_all: Vec<bool>,
    /// Payments are followed payer by payer (some `paid_by` or payer cap).
    pub payer_split: bool,
    /// Share of each month's delivery cost the payers reimburse (hybrid contract).
    pub service_fee: f64,
    /// Whether `service_fee` is in the scenario (then `service_fee_paid` is reported).
    pub service_fee_declared: bool,
    /// Who funds the costs: the tranches are the investors', or one
    /// uncapped tranche standing for the provider's own money.
    pub funded_by: FundedBy,
    /// The fixed part of the price paid in each month (zero outside
    /// `payment.fixed_months`; empty without a fixed part).
    pub fixed_payments: Vec<f64>,
    /// Money the payers pay regardless of results, per month: the fixed
    /// part and the advance (empty when the scenario has neither).
    pub extra_receipts: Vec<f64>,
    /// One past the last month with an extra receipt (0 when none).
    pub extra_end: usize,
    /// The advance on the price.
    pub advance: Option<AdvanceModel>,
    /// Budget cap on total outcome payments.
    pub budget_cap: Option<f64>,
    /// Months from verification to cash.
    pub payment_lag: usize,
    /// Payer-side fixed cost at month 0.
    pub evaluation_cost: f64,
    /// Annual discount rate for payer_cost_pv.
    pub discount_rate: f64,
    /// Investor commitment (no funding gap when `None`).
    pub committed_capital: Option<f64>,
    /// Receipts pay the month's costs first.
    pub recycling: bool,
    /// Annual hurdle for NPV.
    pub hurdle_irr: f64,
    /// Tranches in declaration order.
    pub tranches: Vec<TrancheModel>,
    /// Tranche indices grouped by seniority, most senior first: (start, end) into `seniority_order`.
    pub seniority_groups: Vec<(usize, usize)>,
    /// Tranche indices sorted by seniority (stable).
    pub seniority_order: Vec<usize>,
    /// Guarantee (amount, covered tranche index).
    pub guarantee: Option<(f64, usize)>,
    /// Who funds the guarantee.
    pub guarantee_by: SupportBy,
    /// Principal floor.
    pub floor: Option<FloorModel>,
    /// Where money beyond every cap goes.
    pub excess_to: ExcessTo,
    /// Excess leaves the deal account after each distribution (`monthly`)
    /// rather than in the last month (`end`); docs/model.md, "The deal account".
    pub excess_monthly: bool,
    /// Distribution months are those with (t + 1) divisible by this, and
    /// the last month: 1 for `monthly`, the horizon for `end`.
    pub distribution_every: usize,
    /// Whether cash may wait in the deal account from one month to the
    /// next (any schedule but monthly distributions with monthly excess).
    pub account_holds: bool,
    /// Share of each payment kept by the provider.
    pub success_share: f64,
    /// Default trial count.
    pub trials: u64,
    /// Default seed.
    pub seed: u64,
    /// Sampling scheme.
    pub sampling: Sampling,
    /// Index of the last outcome that is not a rate outcome (the last
    /// outcome when all are), for cost_per_outcome and deciles.
    pub last_outcome: usize,
    /// Effect and rate outcomes, in funnel order.
    pub measures: Vec<MeasureModel>,
    /// Performance transfers to agencies.
    pub transfers: Option<TransfersModel>,
    /// Parameters set from outside the deal before its funnel (a
    /// programme's shocks, docs/model.md "Programmes"), after `params` in
    /// the trial's parameter vector; 0 for a deal on its own.
    pub external_params: usize,
}
