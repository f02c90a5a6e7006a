//! The compiled, flat form of a scenario that the engine runs.
//!
//! [`Model::compile`] resolves every default, name and reference once:
//! outcomes become index arrays in funnel order, every uncertain input becomes
//! one entry of a flat parameter list drawn once per trial in a fixed order,
//! and the months at which each (cohort, outcome) pair is verified and paid are
//! precomputed. Nothing in a trial needs a string, a hash or an allocation.

pub mod sampler;

use crate::scenario::{ExcessTo, Sampling, Scenario, Whole};
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
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeModel {
    /// Outcome id.
    pub id: String,
    /// Label for reports (the id when none).
    pub label: String,
    /// Base outcome index, `None` for `enrolled`. Always an earlier outcome.
    pub base: Option<usize>,
    /// Verification lag after the base event.
    pub lag: usize,
    /// Cumulative lag from enrolment to this outcome's event.
    pub total_lag: usize,
    /// Price per verified outcome.
    pub price: f64,
    /// Cap on outcomes ever paid (u64::MAX: none).
    pub max_paid: u64,
    /// Sd of the per-cohort beta around the trial rate (0: none).
    pub cohort_sd: f64,
    /// The trial's rate.
    pub rate: Value,
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
    /// Payers (name, share).
    pub payers: Vec<(String, f64)>,
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
    /// Where money beyond every cap goes.
    pub excess_to: ExcessTo,
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
        for (i, o) in s.outcomes.iter().enumerate() {
            let base = o.of.as_deref().filter(|b| *b != "enrolled").and_then(pos);
            let lag = to_usize(whole(o.lag_months, 0));
            let total_lag = lag + base.map_or(0, |b| outcomes[b].total_lag);
            let rate = value(
                &mut params,
                &o.rate,
                ParamKind::Rate(i),
                format!("outcomes[{i}].rate"),
            );
            outcomes.push(OutcomeModel {
                id: o.id.clone(),
                label: o.label.clone().unwrap_or_else(|| o.id.clone()),
                base,
                lag,
                total_lag,
                price: o.price,
                max_paid: o
                    .max_paid
                    .map_or(u64::MAX, |m| u64::try_from(m.0).unwrap_or(0)),
                cohort_sd: o.cohort_sd.unwrap_or(0.0),
                rate,
            });
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

        // Copula over the correlated, non-constant rates.
        let copula = compile_copula(s, &outcomes);

        let payers = match &s.payment.payers {
            Some(p) => p.iter().map(|p| (p.name.clone(), p.share)).collect(),
            None => vec![("payer".to_owned(), 1.0)],
        };
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
        let guarantee = s.finance.guarantee.as_ref().map(|g| {
            let idx = g
                .covers
                .as_deref()
                .and_then(|n| tranches.iter().position(|t| t.name == n))
                .unwrap_or(0);
            (g.amount, idx)
        });

        Model {
            name: s.name.clone(),
            currency: s.currency.clone(),
            horizon,
            last_outcome: outcomes.len().saturating_sub(1),
            cohorts,
            outcomes,
            shocks,
            params,
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
            payment_lag: to_usize(whole(s.payment.lag_months, 0)),
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
            success_share: s.finance.provider_success_share.unwrap_or(0.0),
            trials: u64::try_from(whole(s.simulation.trials, 10_000)).unwrap_or(10_000),
            seed: u64::try_from(whole(s.simulation.seed, 0)).unwrap_or(0),
            sampling: s.simulation.sampling.unwrap_or_default(),
        }
    }

    /// Event month of outcome `o` for cohort `c` (may be >= horizon).
    #[inline]
    pub fn event_month(&self, c: usize, o: usize) -> usize {
        self.cohorts[c].start + self.outcomes[o].total_lag
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

/// Cholesky factor L (row-major, lower-triangular) of a symmetric n x n
/// matrix; `None` unless the matrix is positive definite.
pub fn cholesky(m: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = m[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if s <= 1e-12 {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    Some(l)
}

#[cfg(test)]
mod tests {
    use super::cholesky;

    #[test]
    fn cholesky_of_a_known_matrix() {
        let m = [4.0, 2.0, 2.0, 3.0];
        let l = cholesky(&m, 2).unwrap();
        assert_eq!(l, vec![2.0, 0.0, 1.0, 2f64.sqrt()]);
        assert!(cholesky(&[1.0, 1.0, 1.0, 1.0], 2).is_none());
        assert!(cholesky(&[1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0], 3).is_none());
    }
}
