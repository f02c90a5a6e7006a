//! The typed scenario file of docs/model.md, "Scenario", as read from YAML.
//!
//! These structures mirror the file one to one (every key, every default of
//! docs/model.md, "Metrics"), reject unknown keys, and derive the JSON Schema that
//! `ibsim schema` prints. Checks that need more than one field live in
//! [`crate::scenario::validate`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::values::{Dist, Distributions, IdMap, PerOutcome, Price, Whole};

/// A whole scenario file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ibsim scenario")]
pub struct Scenario {
    /// Name of the deal, shown in reports.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// ISO 4217 code of every amount (three capital letters; no conversion is done).
    pub currency: String,
    /// Length of the contract; months 0..horizon_months-1 exist.
    pub horizon_months: Whole,
    /// Where each number comes from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Explicit list of cohorts (exactly one of `cohorts` and `enrolment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cohorts: Option<Vec<Cohort>>,
    /// Regular enrolment shorthand (exactly one of `cohorts` and `enrolment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolment: Option<Enrolment>,
    /// Population groups inside every cohort (docs/scenario-format.md, "Payment mechanics of real contracts").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<Segment>,
    /// The outcome funnel, in declaration order.
    pub outcomes: Vec<Outcome>,
    /// Gaussian-copula correlations between outcome rates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub correlations: Vec<Correlation>,
    /// Events drawn once per trial that scale outcome rates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shocks: Vec<Shock>,
    /// Provider delivery costs.
    #[serde(default)]
    pub costs: Costs,
    /// How outcomes are paid.
    #[serde(default)]
    pub payment: Payment,
    /// How investors fund and are repaid.
    #[serde(default)]
    pub finance: Finance,
    /// Several providers in one contract, each with its own participants,
    /// costs, results and prices (docs/model.md, "Several providers").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<Provider>,
    /// Performance transfers from a central payer to many agencies, each
    /// paid by its own result on one rate outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfers: Option<Transfers>,
    /// Monte Carlo settings.
    #[serde(default)]
    pub simulation: Simulation,
}

/// Performance transfers (docs/model.md, "Transfers to agencies"): a rate
/// outcome measured per agency, each agency's schedule paying a share of
/// its own commitment, and a pool shared when it does not cover everyone.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Transfers {
    /// The id of the rate outcome whose schedule and verification pay each agency.
    pub outcome: String,
    /// Most the payers transfer over the contract (none: no pool limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<f64>,
    /// How a round's transfers are cut when the pool left does not cover
    /// them: `pro_rata` (default) or `priority`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation: Option<Allocation>,
    /// The agencies.
    pub agencies: Vec<Agency>,
}

/// How a binding pool is shared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Allocation {
    /// Every agency's transfer cut by the same factor.
    #[default]
    ProRata,
    /// Agencies paid in full by `priority` (1 first), pro rata within a rank.
    Priority,
}

/// One agency of a transfer programme.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Agency {
    /// Name (no `.`), unique.
    pub name: String,
    /// What 100% of the schedule transfers to it (default: the outcome's price).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<f64>,
    /// Its rate before the contract (default: the outcome's baseline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    /// Its target (default: the outcome's target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// Its true rate by the last round (default: the outcome's rate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Dist>,
    /// With `allocation: priority`, its rank (1 is paid first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Whole>,
}

/// One provider of a contract with several (docs/model.md, "Several
/// providers"): its own cohorts, costs, rates and prices; the outcomes,
/// payers, caps, shocks and correlations are the contract's and shared.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// Name `[a-z0-9_]+`, unique (it appears in `provider.<name>.net`).
    pub name: String,
    /// Its cohorts (exactly one of `cohorts` and `enrolment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cohorts: Option<Vec<Cohort>>,
    /// Its regular enrolment (exactly one of `cohorts` and `enrolment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolment: Option<Enrolment>,
    /// Its delivery costs.
    #[serde(default)]
    pub costs: Costs,
    /// Outcome id -> multiplier on the contract's rate for its participants:
    /// a number, or a distribution drawn once per trial for this provider.
    #[serde(default, skip_serializing_if = "IdMap::is_empty")]
    pub rate_multiplier: IdMap<Dist>,
    /// Multiplier >= 0 on the unit price of its outcomes: a number (every
    /// outcome) or per outcome id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_multiplier: Option<PerOutcome>,
}

impl Scenario {
    /// Writes every name and every reference to a name in Unicode NFC form,
    /// so that a name typed with decomposed accents (`e` + a combining
    /// accent) is the same name as one typed with composed ones (`é`).
    pub fn normalise_names(&mut self) {
        use unicode_normalization::UnicodeNormalization;
        let nfc = |t: &mut String| {
            if !unicode_normalization::is_nfc(t) {
                *t = t.nfc().collect();
            }
        };
        nfc(&mut self.name);
        for c in self.cohorts.iter_mut().flatten() {
            nfc(&mut c.name);
        }
        for p in &mut self.providers {
            nfc(&mut p.name);
            for c in p.cohorts.iter_mut().flatten() {
                nfc(&mut c.name);
            }
        }
        for o in &mut self.outcomes {
            for p in o.paid_by.iter_mut().flatten() {
                nfc(p);
            }
        }
        for sh in &mut self.shocks {
            nfc(&mut sh.name);
        }
        for a in self.transfers.iter_mut().flat_map(|t| &mut t.agencies) {
            nfc(&mut a.name);
        }
        for p in self.payment.payers.iter_mut().flatten() {
            nfc(&mut p.name);
        }
        for t in self.finance.tranches.iter_mut().flatten() {
            nfc(&mut t.name);
        }
        if let Some(g) = &mut self.finance.guarantee {
            g.covers.iter_mut().for_each(nfc);
        }
        if let Some(f) = &mut self.finance.principal_floor {
            f.covers.iter_mut().for_each(nfc);
        }
    }
}

/// One cohort of participants.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cohort {
    /// Name, unique among cohorts.
    pub name: String,
    /// Month the cohort enrols (before the horizon).
    pub start_month: Whole,
    /// Number of participants: a whole number or a distribution (rounded half up, clamped at 0).
    pub size: Dist,
}

/// `enrolment:` shorthand: `cohorts` cohorts every `every_months` months from `first_month`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Enrolment {
    /// Number of cohorts, named `cohort-1` .. `cohort-N`.
    pub cohorts: Whole,
    /// Start month of the first cohort (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_month: Option<Whole>,
    /// Months between cohort starts (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_months: Option<Whole>,
    /// Size of each cohort (an independent draw per cohort when a distribution).
    pub size: Dist,
}

/// A population group inside every cohort: each cohort is split by a
/// multinomial draw on the shares (docs/scenario-format.md, "Payment mechanics of real contracts").
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// Name `[a-z0-9_]+`, unique (it appears in `outcome.<id>.<segment>`).
    pub name: String,
    /// Expected fraction of each cohort, > 0; shares sum to 1.
    pub share: f64,
    /// Outcome id -> multiplier >= 0 on the cohort's rate (result clamped to [0, 1]).
    #[serde(default, skip_serializing_if = "IdMap::is_empty")]
    pub rate_multiplier: IdMap<f64>,
    /// Multiplier >= 0 on the unit price: a number (every outcome) or per outcome id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_multiplier: Option<PerOutcome>,
}

/// `measurement:` an evaluator's relative error on the paid count.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Measurement {
    /// Sd of the relative error e ~ Normal(0, relative_sd), one per trial
    /// and outcome; paid count = max(0, round(count x (1 + e))).
    pub relative_sd: f64,
}

/// Who funds a guarantee or a principal floor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SupportBy {
    /// A third party; the money counts in `guarantee_paid`.
    #[default]
    Guarantor,
    /// The payers (by share); the money counts in `payer_cost` and `payer_support`.
    Payer,
}

/// `principal_floor:` at the end, the covered tranche is topped up to `share`
/// of its contributions (docs/scenario-format.md, "Payment mechanics of real contracts").
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrincipalFloor {
    /// The tranche protected (required when there are several tranches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covers: Option<String>,
    /// Fraction of its contributions it gets back at least, in [0, 1].
    pub share: f64,
    /// `guarantor` (default) or `payer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<SupportBy>,
}

/// One step of the outcome funnel.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// Identifier `[a-z0-9_]+`, unique.
    pub id: String,
    /// Human label for reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Base of the funnel step: `enrolled` (default) or an earlier outcome id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<String>,
    /// A count outcome: the success probability among the base. A rate
    /// outcome (one with a `schedule`): the true rate the population reaches
    /// by the last verification month. Support within [0, 1]; an effect
    /// outcome has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Dist>,
    /// Per-cohort spread (sd of a beta around the trial's rate); default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cohort_sd: Option<f64>,
    /// Months after the base event when the outcome is verified (default 0):
    /// a whole number, or `uniform` with whole bounds / `discrete` with whole
    /// values, each success then getting its own month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_months: Option<Dist>,
    /// Price per verified outcome (a number or marginal tiers); per unit of
    /// net effect for an effect outcome; what 100% of the schedule pays for
    /// a rate outcome.
    pub price: Price,
    /// Cap on how many of this outcome are ever paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_paid: Option<Whole>,
    /// Only these payers pay for it (pro rata among them); default all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_by: Option<Vec<String>>,
    /// Pay only for successes above round(rate x base count), per cohort.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterfactual_rate: Option<f64>,
    /// The evaluator's error on the count eligible for payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement: Option<Measurement>,
    /// An effect outcome: paid per unit of a continuous effect summed over
    /// the participants of its base (docs/model.md, "Measured outcomes").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
    /// A rate outcome: the rate before the contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    /// A rate outcome: whether a `higher` (default) or `lower` rate is better.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub better: Option<Better>,
    /// A rate outcome: the rate that counts as reaching the target (for
    /// `achievement: share_of_target`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// A rate outcome: what the schedule reads, `change` from the baseline
    /// (default), the `rate` itself, or the `share_of_target` reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub achievement: Option<Achievement>,
    /// A rate outcome: achievement -> share of `price` paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// How and when the result is verified (default: exactly, as it happens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// Where a shortfall is netted: per `cohort` (default) or across the
    /// whole `contract`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netting: Option<Netting>,
}

/// `effect:` a continuous effect per participant, in its own unit.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Effect {
    /// The unit of the effect, for reports (`levels`, `USD`, `points`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Mean change per participant in the population (a number or a
    /// distribution drawn once per trial).
    pub mean: Dist,
    /// Sd of a cohort's mean around the trial's mean (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cohort_sd: Option<f64>,
    /// Sd of a participant's change around the cohort's mean (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_sd: Option<f64>,
    /// Mean change per participant without the programme (a comparison
    /// group or a baseline trend), subtracted; a number or a distribution
    /// drawn once per trial (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Dist>,
}

/// Which direction of a rate is better.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// A higher rate is better (coverage, prenatal controls).
    #[default]
    Higher,
    /// A lower rate is better (stunting, mortality).
    Lower,
}

/// What a rate outcome's schedule reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Achievement {
    /// The improvement from the baseline, in rate units (0.01 = one point).
    #[default]
    Change,
    /// The measured rate itself.
    Rate,
    /// The improvement as a share of the target's (1 = target reached).
    ShareOfTarget,
}

/// How a schedule joins its points.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// Straight lines between points, flat beyond the first and the last.
    #[default]
    Linear,
    /// The share of the furthest point reached (0 before the first).
    Steps,
}

/// One point of a schedule.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SchedulePoint {
    /// Achievement, in the unit of `achievement`.
    pub at: f64,
    /// Share of `price` paid there (1 = 100%; above 1 is a bonus).
    pub pay: f64,
}

/// `schedule:` achievement -> share of the price.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Points in order of achievement, from worst to best.
    pub points: Vec<SchedulePoint>,
    /// `linear` (default) or `steps`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<Shape>,
}

/// `survey:` the measured rate is drawn around the true one.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Survey {
    /// Respondents per round.
    pub sample: Whole,
    /// Design effect of the sampling plan (default 1: simple random sampling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub design_effect: Option<f64>,
}

/// `rct:` the effect is estimated against a control group.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rct {
    /// Participants measured in the treated group.
    pub treated: Whole,
    /// Participants measured in the control group.
    pub control: Whole,
    /// Standard deviation of the outcome between participants.
    pub sd: f64,
    /// Intra-cluster correlation (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icc: Option<f64>,
    /// Participants per cluster (default 1: no clustering).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_size: Option<f64>,
}

/// `verification:` how the result is measured and when it is paid.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    /// A household survey (rate outcomes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey: Option<Survey>,
    /// A randomised evaluation (effect outcomes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rct: Option<Rct>,
    /// Verification rounds: the result is measured in these months, on
    /// everything achieved up to then, and paid `payment.lag_months` later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months: Option<Vec<Whole>>,
}

/// Where shortfalls are netted against surpluses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Netting {
    /// Each cohort on its own: a cohort's shortfall is lost, not netted.
    #[default]
    Cohort,
    /// Across the whole contract.
    Contract,
}

/// The kind of an outcome, from the keys it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    /// Successes counted through the funnel, paid per head.
    Count,
    /// A continuous effect, paid per unit.
    Effect,
    /// A rate in a population, paid by a schedule.
    Rate,
}

impl Outcome {
    /// What kind of outcome this is: an `effect` block makes an effect
    /// outcome, a `schedule` a rate outcome; anything else counts.
    pub fn kind(&self) -> OutcomeKind {
        if self.effect.is_some() {
            OutcomeKind::Effect
        } else if self.schedule.is_some() {
            OutcomeKind::Rate
        } else {
            OutcomeKind::Count
        }
    }
}

/// A Gaussian-copula correlation between two outcome rates.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Correlation {
    /// The two outcome ids.
    pub between: Vec<String>,
    /// Correlation of the underlying normals, in (-1, 1).
    pub rho: f64,
}

/// An event drawn once per trial.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Shock {
    /// Name of the event.
    pub name: String,
    /// Probability that it happens in a trial.
    pub probability: f64,
    /// Affects cohorts starting at or after this month (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_month: Option<Whole>,
    /// Outcome id -> constant multiplier >= 0 on its rate.
    #[serde(default)]
    pub rate_multiplier: IdMap<f64>,
}

/// Provider delivery costs; every amount is a number or a distribution drawn once per trial.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Costs {
    /// Spent in month 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upfront: Option<Dist>,
    /// Spent per participant in each cohort's start month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_participant: Option<Dist>,
    /// Outcome id -> cost per success, spent in the outcome's event month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_outcome: Option<IdMap<Dist>>,
    /// Spent in each month of `fixed_months`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_monthly: Option<Dist>,
    /// `[start, end)`: months in which `fixed_monthly` is spent (default: the whole horizon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_months: Option<Vec<Whole>>,
}

/// One outcome payer.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Payer {
    /// Name (no `.`), unique.
    pub name: String,
    /// Share of every payment, > 0; shares sum to 1.
    pub share: f64,
    /// Most this payer pays for outcomes over the contract (its own cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<f64>,
}

/// How outcomes are paid.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// Default: one payer named `payer` with share 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payers: Option<Vec<Payer>>,
    /// Maximum total outcome payments over the contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_cap: Option<f64>,
    /// Months from verification to cash (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_months: Option<Whole>,
    /// Payer-side fixed cost in month 0 (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation_cost: Option<f64>,
    /// Annual rate for the payer's present-value cost (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_rate: Option<f64>,
    /// Hybrid contract: the payers reimburse this share of each month's
    /// delivery cost regardless of results, outside every cap; in [0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_fee: Option<f64>,
    /// The fixed part of the price: paid in each month of `fixed_months`
    /// regardless of results, outside every cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_monthly: Option<f64>,
    /// `[start, end)`: months in which `fixed_monthly` is paid (default: the whole horizon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_months: Option<Vec<Whole>>,
    /// An advance paid up front and recovered from outcome payments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advance: Option<Advance>,
}

/// An advance on the price (docs/model.md, "Who funds the contract"): paid
/// by the payers in `month`, recovered by withholding `recovery` of each
/// later outcome payment; what is still unrecovered in the last month the
/// deal repays then.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    /// The amount, >= 0.
    pub amount: f64,
    /// When it is paid (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<Whole>,
    /// Share of each later outcome payment withheld until the advance is
    /// recovered, in (0, 1] (default 1: whole payments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<f64>,
}

/// One investor tranche.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tranche {
    /// Name (no `.`), unique.
    pub name: String,
    /// Share of every contribution, > 0; shares sum to 1.
    pub share: f64,
    /// 1 is repaid first (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seniority: Option<Whole>,
    /// Annual IRR above which the tranche takes nothing more (>= 0); none: uncapped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap_irr: Option<f64>,
}

/// A first-loss guarantee of principal.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Guarantee {
    /// Most the guarantor pays.
    pub amount: f64,
    /// The tranche covered (required when there are several tranches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covers: Option<String>,
    /// `guarantor` (default) or `payer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<SupportBy>,
}

/// Who funds the delivery costs (docs/model.md, "Who funds the contract").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FundedBy {
    /// Investors, through the tranches (an impact bond).
    #[default]
    Investors,
    /// The provider itself, with its own working capital (a performance contract).
    Provider,
}

/// Where money beyond every cap goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExcessTo {
    /// Returned to the payer (reduces payer cost).
    #[default]
    Payer,
    /// Kept by the provider (counts in provider_bonus).
    Provider,
}

/// When money beyond every cap leaves the deal account (docs/model.md, "The deal account").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExcessSettlement {
    /// The account keeps it for later costs; what is left leaves in the last month.
    #[default]
    End,
    /// It leaves after each distribution (model versions <= 5).
    Monthly,
}

impl ExcessSettlement {
    /// The keyword as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            ExcessSettlement::End => "end",
            ExcessSettlement::Monthly => "monthly",
        }
    }
}

/// How investors fund and are repaid.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Finance {
    /// Who funds the delivery costs and carries the risk: `investors`
    /// (default: the tranches) or `provider` (its own working capital).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funded_by: Option<FundedBy>,
    /// What investors commit; exceeding it is reported as a funding gap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed_capital: Option<f64>,
    /// Each month's receipts first pay that month's costs (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recycling: Option<bool>,
    /// Annual rate for P(IRR < hurdle) and NPV (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hurdle_irr: Option<f64>,
    /// Default: one tranche named `investor` with share 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tranches: Option<Vec<Tranche>>,
    /// Optional first-loss guarantee of principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guarantee: Option<Guarantee>,
    /// Optional protection of a share of a tranche's principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_floor: Option<PrincipalFloor>,
    /// `payer` (default) or `provider`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excess_to: Option<ExcessTo>,
    /// Fraction of each outcome payment kept by the provider (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_success_share: Option<f64>,
    /// `end` (default): the deal account keeps money beyond every cap for
    /// later costs and settles it in the last month; `monthly`: it leaves
    /// after each distribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excess_settlement: Option<ExcessSettlement>,
    /// When the account pays the tranches: `monthly` (default), `end`, or
    /// `{every_months: N}` (and always in the last month).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distributions: Option<Distributions>,
}

/// How parameter draws are made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sampling {
    /// Independent draws per trial.
    #[default]
    Random,
    /// Latin hypercube over the per-trial parameter draws.
    Lhs,
}

impl Sampling {
    /// The keyword as written in YAML and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Sampling::Random => "random",
            Sampling::Lhs => "lhs",
        }
    }
}

/// Monte Carlo settings.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    /// Number of trials (default 10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trials: Option<Whole>,
    /// Random seed (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<Whole>,
    /// `random` (default) or `lhs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling: Option<Sampling>,
}
