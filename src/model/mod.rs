//! The compiled, flat form of a scenario that the engine runs.
//!
//! [`Model::compile`] resolves every default, name and reference once:
//! outcomes become index arrays in funnel order, every uncertain input becomes
//! one entry of a flat parameter list drawn once per trial in a fixed order,
//! and the months at which each (cohort, outcome) pair is verified and paid are
//! precomputed. Nothing in a trial needs a string, a hash or an allocation.

pub mod sampler;

use crate::numeric::{cholesky, count_f64};
use crate::scenario::{
    Dist, Distributions, ExcessSettlement, ExcessTo, PerOutcome, Price, Sampling, Scenario,
    SupportBy, Whole,
};
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
    /// The evaluator's relative error on outcome `i`'s paid count (SPEC section 10).
    Measurement(usize),
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
    /// One group, fixed lags in its chain, paid on its true count: the
    /// engine's short path (a single cell per cohort).
    pub simple: bool,
}

impl OutcomeModel {
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

/// A population group inside every cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentModel {
    /// Name (`[a-z0-9_]+`).
    pub name: String,
    /// Expected share of each cohort.
    pub share: f64,
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
    /// Delivery costs.
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
    /// Cells per cohort (see [`OutcomeModel`]).
    pub cell_stride: usize,
    /// Cash lots per (outcome, cash month): `lots[lot_index[o * h + t]..lot_index[o * h + t + 1]]`
    /// are the cells (segment 0) paid in month t, in cohort order.
    pub lot_index: Vec<u32>,
    /// See `lot_index`.
    pub lots: Vec<u32>,
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
    /// rather than in the last month (`end`); SPEC section 11.
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
    /// Index of the last outcome (for cost_per_outcome and deciles).
    pub last_outcome: usize,
}

/// The support of a validated lag: (months, probability) in the order given.
fn lag_support(d: Option<&Dist>) -> Vec<(usize, f64)> {
    let mut out: Vec<(usize, f64)> = Vec::new();
    let mut add = |m: f64, w: f64| {
        let m = to_usize(m as i64);
        if w > 0.0 {
            match out.iter_mut().find(|(x, _)| *x == m) {
                Some(e) => e.1 += w,
                None => out.push((m, w)),
            }
        }
    };
    match d {
        None => add(0.0, 1.0),
        Some(Dist::Uniform(r)) => {
            let (lo, hi) = (r.min as i64, r.max as i64);
            for m in lo..=hi {
                add(m as f64, 1.0);
            }
        }
        Some(Dist::Discrete(dd)) => {
            for (v, w) in dd.values.iter().zip(&dd.weights) {
                add(*v, *w);
            }
        }
        Some(Dist::Const(c)) => add(*c, 1.0),
        // Validation admits no other kind.
        Some(_) => add(0.0, 1.0),
    }
    let total: f64 = out.iter().map(|x| x.1).sum();
    for e in &mut out {
        e.1 /= total;
    }
    out
}

fn whole(w: Option<Whole>, default: i64) -> i64 {
    w.map_or(default, |w| w.0)
}

fn to_usize(v: i64) -> usize {
    usize::try_from(v.max(0)).unwrap_or(usize::MAX)
}

impl Model {
    /// Compiles a scenario that passed validation.
    pub fn compile(s: &Scenario) -> Model {
        let horizon = to_usize(s.horizon_months.0);
        let mut params: Vec<Param> = Vec::new();
        let value =
            |params: &mut Vec<Param>, d: &crate::scenario::Dist, kind: ParamKind, path: String| {
                let sampler = Sampler::new(d);
                if let Sampler::Const(c) = sampler {
                    Value::Const(c)
                } else {
                    params.push(Param {
                        kind,
                        path,
                        sampler,
                    });
                    Value::Param(params.len() - 1)
                }
            };

        // Outcome ids first: shocks refer to them.
        let ids: Vec<&str> = s.outcomes.iter().map(|o| o.id.as_str()).collect();
        let pos = |id: &str| ids.iter().position(|x| *x == id);

        // 1. Shocks (Bernoulli each).
        let shocks: Vec<ShockModel> = s
            .shocks
            .iter()
            .enumerate()
            .map(|(i, sh)| {
                let mut multipliers = vec![1.0; ids.len()];
                for (id, m) in &sh.rate_multiplier.0 {
                    if let Some(k) = pos(id) {
                        multipliers[k] *= m;
                    }
                }
                params.push(Param {
                    kind: ParamKind::Shock(i),
                    path: format!("shocks[{i}].probability"),
                    sampler: Sampler::Uniform {
                        lo: 0.0,
                        width: 1.0,
                    },
                });
                ShockModel {
                    name: sh.name.clone(),
                    probability: sh.probability,
                    from_month: to_usize(whole(sh.from_month, 0)),
                    multipliers,
                    param: params.len() - 1,
                }
            })
            .collect();

        // 2. Outcome rates.
        let mut outcomes: Vec<OutcomeModel> = Vec::with_capacity(s.outcomes.len());
        let n_seg = s.segments.len().max(1);
        let mut cell_stride = 0;
        for (i, o) in s.outcomes.iter().enumerate() {
            let base = o.of.as_deref().filter(|b| *b != "enrolled").and_then(pos);
            let lag = lag_support(o.lag_months.as_ref());
            let (lo, hi) = lag
                .iter()
                .fold((usize::MAX, 0), |(lo, hi), &(m, _)| (lo.min(m), hi.max(m)));
            let (base_first, base_spread) =
                base.map_or((0, 1), |b| (outcomes[b].first_lag, outcomes[b].spread));
            let first_lag = base_first + lo;
            let spread = base_spread + (hi - lo);
            let rate = value(
                &mut params,
                &o.rate,
                ParamKind::Rate(i),
                format!("outcomes[{i}].rate"),
            );
            let tiers = match &o.price {
                Price::Fixed(p) => vec![(u64::MAX, *p)],
                Price::Tiered { tiers } => tiers
                    .iter()
                    .map(|t| {
                        (
                            t.up_to
                                .map_or(u64::MAX, |u| u64::try_from(u.0).unwrap_or(0)),
                            t.price,
                        )
                    })
                    .collect(),
            };
            outcomes.push(OutcomeModel {
                id: o.id.clone(),
                label: o.label.clone().unwrap_or_else(|| o.id.clone()),
                base,
                lag,
                first_lag,
                spread,
                cells: cell_stride,
                tiers,
                max_paid: o
                    .max_paid
                    .map_or(u64::MAX, |m| u64::try_from(m.0).unwrap_or(0)),
                cohort_sd: o.cohort_sd.unwrap_or(0.0),
                rate,
                counterfactual: o.counterfactual_rate,
                measurement: None,
                simple: false,
            });
            cell_stride += n_seg * spread;
        }

        // 3. Cohort sizes.
        let mut cohorts = Vec::new();
        if let Some(list) = &s.cohorts {
            for (i, c) in list.iter().enumerate() {
                let size = value(
                    &mut params,
                    &c.size,
                    ParamKind::CohortSize(i),
                    format!("cohorts[{i}].size"),
                );
                cohorts.push(CohortModel {
                    name: c.name.clone(),
                    start: to_usize(c.start_month.0),
                    size,
                });
            }
        } else if let Some(e) = &s.enrolment {
            let first = whole(e.first_month, 0);
            let every = whole(e.every_months, 1);
            for i in 0..to_usize(e.cohorts.0) {
                let size = value(
                    &mut params,
                    &e.size,
                    ParamKind::CohortSize(i),
                    "enrolment.size".into(),
                );
                cohorts.push(CohortModel {
                    name: format!("cohort-{}", i + 1),
                    start: to_usize(first + i as i64 * every),
                    size,
                });
            }
        }

        // 4. Costs: upfront, per_participant, per_outcome (in the file's order), fixed_monthly.
        let k = &s.costs;
        let cost = |params: &mut Vec<Param>, d: Option<&crate::scenario::Dist>, path: &str| match d
        {
            Some(d) => value(params, d, ParamKind::Cost(path.into()), path.into()),
            None => Value::Const(0.0),
        };
        let upfront = cost(&mut params, k.upfront.as_ref(), "costs.upfront");
        let per_participant = cost(
            &mut params,
            k.per_participant.as_ref(),
            "costs.per_participant",
        );
        let mut per_outcome = vec![Value::Const(0.0); ids.len()];
        if let Some(po) = &k.per_outcome {
            for (id, d) in &po.0 {
                if let Some(i) = pos(id) {
                    per_outcome[i] = cost(&mut params, Some(d), &format!("costs.per_outcome.{id}"));
                }
            }
        }
        let fixed_monthly = cost(&mut params, k.fixed_monthly.as_ref(), "costs.fixed_monthly");
        let (fixed_start, fixed_end) = match &k.fixed_months {
            Some(v) if v.len() == 2 => (to_usize(v[0].0), to_usize(v[1].0).min(horizon)),
            _ => (0, horizon),
        };

        // 5. Measurement errors, one per measured outcome (after every phase 1
        // parameter, so that scenarios without them keep their draws).
        for (i, o) in s.outcomes.iter().enumerate() {
            if let Some(m) = &o.measurement {
                let d = Dist::Normal(crate::scenario::values::NormalParams {
                    mean: 0.0,
                    sd: m.relative_sd,
                    min: None,
                    max: None,
                });
                let v = value(
                    &mut params,
                    &d,
                    ParamKind::Measurement(i),
                    format!("outcomes[{i}].measurement.relative_sd"),
                );
                // relative_sd 0 draws nothing and changes nothing.
                outcomes[i].measurement = (v != Value::Const(0.0)).then_some(v);
            }
        }

        for o in &mut outcomes {
            o.simple = s.segments.is_empty()
                && o.spread == 1
                && o.counterfactual.is_none()
                && o.measurement.is_none();
        }

        // Segments and their multipliers.
        let no = outcomes.len();
        let (segments, segment_rate, segment_price) = if s.segments.is_empty() {
            (
                vec![SegmentModel {
                    name: "all".into(),
                    share: 1.0,
                }],
                vec![1.0; no],
                vec![1.0; no],
            )
        } else {
            let ns = s.segments.len();
            let mut rate_m = vec![1.0; ns * no];
            let mut price_m = vec![1.0; ns * no];
            for (g, sg) in s.segments.iter().enumerate() {
                for (id, m) in &sg.rate_multiplier.0 {
                    if let Some(o) = pos(id) {
                        rate_m[o * ns + g] = *m;
                    }
                }
                match &sg.price_multiplier {
                    Some(PerOutcome::All(m)) => {
                        for o in 0..no {
                            price_m[o * ns + g] = *m;
                        }
                    }
                    Some(PerOutcome::Each(map)) => {
                        for (id, m) in &map.0 {
                            if let Some(o) = pos(id) {
                                price_m[o * ns + g] = *m;
                            }
                        }
                    }
                    None => {}
                }
            }
            (
                s.segments
                    .iter()
                    .map(|g| SegmentModel {
                        name: g.name.clone(),
                        share: g.share,
                    })
                    .collect(),
                rate_m,
                price_m,
            )
        };

        // Cash lots: which cells are paid in which month, in payment order
        // (only segments need them: one group is paid per outcome and month).
        let payment_lag = to_usize(whole(s.payment.lag_months, 0));
        let mut keyed: Vec<(usize, u32)> = Vec::new();
        for (o, out) in outcomes
            .iter()
            .enumerate()
            .filter(|_| !s.segments.is_empty())
        {
            for (c, cohort) in cohorts.iter().enumerate() {
                for j in 0..out.spread {
                    let cash = cohort.start + out.first_lag + j + payment_lag;
                    if cash < horizon {
                        let cell = c * cell_stride + out.cells + j;
                        keyed.push((o * horizon + cash, u32::try_from(cell).unwrap_or(u32::MAX)));
                    }
                }
            }
        }
        keyed.sort_by_key(|&(k, _)| k); // stable: cohort order within a month
        let mut lot_index = vec![0u32; no * horizon + 1];
        for &(k, _) in &keyed {
            lot_index[k + 1] += 1;
        }
        for i in 1..lot_index.len() {
            lot_index[i] += lot_index[i - 1];
        }
        let lots: Vec<u32> = keyed.into_iter().map(|(_, cell)| cell).collect();

        // Copula over the correlated, non-constant rates.
        let copula = compile_copula(s, &outcomes);

        let payers: Vec<(String, f64)> = match &s.payment.payers {
            Some(p) => p.iter().map(|p| (p.name.clone(), p.share)).collect(),
            None => vec![("payer".to_owned(), 1.0)],
        };
        let payer_caps: Vec<f64> = match &s.payment.payers {
            Some(p) => p.iter().map(|p| p.cap.unwrap_or(f64::INFINITY)).collect(),
            None => vec![f64::INFINITY],
        };
        let np = payers.len();
        let mut payer_weights = vec![0.0; no * np];
        for (o, out) in s.outcomes.iter().enumerate() {
            let w = &mut payer_weights[o * np..(o + 1) * np];
            match &out.paid_by {
                Some(list) => {
                    for (j, (name, share)) in payers.iter().enumerate() {
                        if list.contains(name) {
                            w[j] = *share;
                        }
                    }
                    let total: f64 = w.iter().sum();
                    if total > 0.0 {
                        for x in w.iter_mut() {
                            *x /= total;
                        }
                    }
                }
                None => {
                    for (x, (_, share)) in w.iter_mut().zip(&payers) {
                        *x = *share;
                    }
                }
            }
        }
        let payer_split = s.outcomes.iter().any(|o| o.paid_by.is_some())
            || payer_caps.iter().any(|c| c.is_finite());
        let tranches: Vec<TrancheModel> = match &s.finance.tranches {
            Some(t) => t
                .iter()
                .map(|t| TrancheModel {
                    name: t.name.clone(),
                    share: t.share,
                    seniority: whole(t.seniority, 1),
                    cap_irr: t.cap_irr,
                    cap_factor: t.cap_irr.map_or(1.0, |c| (1.0 + c).powf(1.0 / 12.0)),
                })
                .collect(),
            None => vec![TrancheModel {
                name: "investor".into(),
                share: 1.0,
                seniority: 1,
                cap_irr: None,
                cap_factor: 1.0,
            }],
        };
        let mut seniority_order: Vec<usize> = (0..tranches.len()).collect();
        seniority_order.sort_by_key(|&i| tranches[i].seniority);
        let mut seniority_groups = Vec::new();
        let mut start = 0;
        for i in 1..=seniority_order.len() {
            if i == seniority_order.len()
                || tranches[seniority_order[i]].seniority
                    != tranches[seniority_order[start]].seniority
            {
                seniority_groups.push((start, i));
                start = i;
            }
        }
        let covered = |covers: Option<&str>| {
            covers
                .and_then(|n| tranches.iter().position(|t| t.name == n))
                .unwrap_or(0)
        };
        let guarantee = s
            .finance
            .guarantee
            .as_ref()
            .map(|g| (g.amount, covered(g.covers.as_deref())));
        let guarantee_by = s
            .finance
            .guarantee
            .as_ref()
            .and_then(|g| g.by)
            .unwrap_or_default();
        let floor = s.finance.principal_floor.as_ref().map(|f| FloorModel {
            share: f.share,
            tranche: covered(f.covers.as_deref()),
            by: f.by.unwrap_or_default(),
        });
        // The deal account (SPEC section 11): a schedule every N months
        // with N at or beyond the horizon distributes in the last month only.
        let excess_monthly =
            s.finance.excess_settlement.unwrap_or_default() == ExcessSettlement::Monthly;
        let distribution_every = match s.finance.distributions.unwrap_or(Distributions::Monthly) {
            Distributions::Monthly => 1,
            Distributions::End => horizon.max(1),
            Distributions::Every(n) => to_usize(n.0).clamp(1, horizon.max(1)),
        };

        Model {
            name: s.name.clone(),
            currency: s.currency.clone(),
            horizon,
            last_outcome: outcomes.len().saturating_sub(1),
            cohorts,
            outcomes,
            shocks,
            params,
            segmented: !s.segments.is_empty(),
            joint_segments: !s.segments.is_empty()
                && s.outcomes
                    .iter()
                    .filter(|o| o.of.as_deref().is_none_or(|b| b == "enrolled"))
                    .count()
                    == 1,
            segments,
            segment_rate,
            segment_price,
            cell_stride,
            lot_index,
            lots,
            payer_caps,
            payer_weights,
            paid_by_all: s.outcomes.iter().map(|o| o.paid_by.is_none()).collect(),
            payer_split,
            service_fee: s.payment.service_fee.unwrap_or(0.0),
            service_fee_declared: s.payment.service_fee.is_some(),
            guarantee_by,
            floor,
            copula,
            costs: CostModel {
                upfront,
                per_participant,
                per_outcome,
                fixed_monthly,
                fixed_start,
                fixed_end,
            },
            payers,
            budget_cap: s.payment.budget_cap,
            payment_lag,
            evaluation_cost: s.payment.evaluation_cost.unwrap_or(0.0),
            discount_rate: s.payment.discount_rate.unwrap_or(0.0),
            committed_capital: s.finance.committed_capital,
            recycling: s.finance.recycling.unwrap_or(true),
            hurdle_irr: s.finance.hurdle_irr.unwrap_or(0.0),
            tranches,
            seniority_groups,
            seniority_order,
            guarantee,
            excess_to: s.finance.excess_to.unwrap_or_default(),
            excess_monthly,
            distribution_every,
            account_holds: !(excess_monthly && distribution_every == 1),
            success_share: s.finance.provider_success_share.unwrap_or(0.0),
            trials: u64::try_from(whole(s.simulation.trials, 10_000)).unwrap_or(10_000),
            seed: u64::try_from(whole(s.simulation.seed, 0)).unwrap_or(0),
            sampling: s.simulation.sampling.unwrap_or_default(),
        }
    }
}

fn compile_copula(s: &Scenario, outcomes: &[OutcomeModel]) -> Option<Copula> {
    let mut involved: Vec<usize> = Vec::new();
    for c in &s.correlations {
        for id in &c.between {
            if let Some(i) = outcomes.iter().position(|o| &o.id == id)
                && matches!(outcomes[i].rate, Value::Param(_))
                && !involved.contains(&i)
            {
                involved.push(i);
            }
        }
    }
    if involved.len() < 2 {
        return None;
    }
    involved.sort_unstable();
    let n = involved.len();
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        m[i * n + i] = 1.0;
    }
    for c in &s.correlations {
        let idx: Vec<Option<usize>> = c
            .between
            .iter()
            .map(|id| involved.iter().position(|&k| outcomes[k].id == *id))
            .collect();
        if let [Some(a), Some(b)] = idx[..] {
            m[a * n + b] = c.rho;
            m[b * n + a] = c.rho;
        }
    }
    let chol = cholesky(&m, n)?;
    let params = involved
        .iter()
        .map(|&i| match outcomes[i].rate {
            Value::Param(p) => p,
            Value::Const(_) => unreachable!("only parameter rates are involved"),
        })
        .collect();
    Some(Copula { params, chol })
}
