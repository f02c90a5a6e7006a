//! One trial of the contract, month by month (SPEC section 3), and the
//! parallel runner that streams trials into per-metric columns.
//!
//! A trial's random numbers come from a generator seeded by (seed, trial
//! index) alone, so results do not depend on threads or sharding. All work
//! buffers live in a [`Workspace`] reused across trials: no allocation, no
//! hashing and no strings in the per-trial path.

pub mod beta;
pub mod binomial;
pub mod irr;
pub mod layout;
pub mod runner;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};

use crate::model::{Model, ParamKind, Value};
use crate::numeric::{count_f64, trunc_count};
use crate::scenario::{ExcessTo, Sampling, SupportBy};
use binomial::LANES;
pub use layout::Layout;

/// SplitMix64 finaliser: a bijective 64-bit mix.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator of trial `trial` of a run with `seed`.
#[inline]
pub fn trial_rng(seed: u64, trial: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(mix64(mix64(seed) ^ trial))
}

/// A uniform in the open interval (0, 1) from 53 random bits.
#[inline]
pub fn open_unit(rng: &mut impl Rng) -> f64 {
    (((rng.next_u64() >> 11) as i64) as f64 + 0.5) * (1.0 / 9_007_199_254_740_992.0)
}

/// Where a run's per-trial uniforms come from.
#[derive(Debug, Clone, Copy)]
pub struct Draws {
    /// Seed of the run.
    pub seed: u64,
    /// Total trials of the (unsharded) run; LHS strata span it.
    pub trials: u64,
    /// Sampling scheme.
    pub sampling: Sampling,
}

/// A pseudo-random permutation of 0..n (cycle-walking Feistel network),
/// keyed by `key`: the LHS stratum of each trial without storing a permutation.
pub fn permute(i: u64, n: u64, key: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    let bits = 64 - (n - 1).leading_zeros();
    let half = bits.div_ceil(2);
    let mask = (1u64 << half) - 1;
    let mut x = i;
    loop {
        let (mut l, mut r) = (x >> half, x & mask);
        for round in 0..4u64 {
            let f = mix64(r ^ key ^ round.wrapping_mul(0xA24B_AED4_963E_E407)) & mask;
            (l, r) = (r, l ^ f);
        }
        x = (l << half) | r;
        if x < n {
            return x;
        }
    }
}

/// The deal account's month-by-month series (SPEC section 11) that a trial
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
    u: Vec<f64>,
    /// Per-trial parameter values.
    pub params: Vec<f64>,
    /// Copula scratch.
    z: Vec<f64>,
    /// Size of each segment of the current cohort.
    segment_size: Vec<u64>,
    /// True successes per cell (cohort x outcome x segment x event month; see
    /// [`crate::model::OutcomeModel`]).
    cells: Vec<u64>,
    /// Counts eligible for payment per cell (above the counterfactual, measured).
    pay_cells: Vec<u64>,
    /// Counts eligible for payment per outcome, cash month and segment, `[(o * h + t) * segments + s]`.
    cash: Vec<u64>,
    /// One past the last cash month with something to pay (0: none).
    last_cash: usize,
    /// Whether any outcome has something to pay in each cash month.
    paying: Vec<bool>,
    /// Delivery cost per month.
    cost: Vec<f64>,
    /// Outcome payments per month (after caps).
    pub payments: Vec<f64>,
    /// Flows per tranche and month: flows[k * h + t].
    pub flows: Vec<f64>,
    /// Combined investor flows per month.
    pub combined: Vec<f64>,
    /// Per-tranche running state.
    tranche: Vec<TrancheState>,
    remaining_max: Vec<u64>,
    /// Outcomes paid so far per id (the tier counter).
    tier_position: Vec<u64>,
    outcome_total: Vec<u64>,
    /// True successes per outcome and segment, `[o * segments + s]`.
    segment_total: Vec<u64>,
    paid: Vec<u64>,
    unpaid: Vec<u64>,
    /// Per payer: invoiced this month, then paid this month.
    payer_month: Vec<f64>,
    /// Per payer: cap left.
    payer_cap_left: Vec<f64>,
    /// Per payer: outcome payments over the trial.
    pub payer_paid: Vec<f64>,
    /// Per payer: excess returned to it over the trial.
    payer_excess: Vec<f64>,
    /// Per payer: outcome payments since the last settlement of excess.
    payer_window: Vec<f64>,
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
    ledger: Ledger,
}

/// Running state of one tranche through a trial's waterfall.
#[derive(Debug, Clone, Copy, Default)]
struct TrancheState {
    contributed: f64,
    distributed: f64,
    /// Capital not yet returned (tier 1).
    outstanding: f64,
    /// Distributions minus contributions, compounded monthly at the cap rate:
    /// negative while the cap leaves room for more (tier 2).
    fv: f64,
    /// Tier-2 room left this month (water-filling scratch).
    room: f64,
    /// Still taking tier-2 money this month.
    active: bool,
}

/// What the waterfall of one trial adds up to.
#[derive(Debug, Clone, Copy, Default)]
struct Ledger {
    gross: f64,
    success: f64,
    excess_total: f64,
    excess_payer: f64,
    excess_payer_pv: f64,
    contributions: f64,
    distributions: f64,
    payer_pv: f64,
    peak: f64,
    cap_hit: bool,
    delivery_cost: f64,
    service_fees: f64,
    /// The guarantee paid, whoever funds it.
    guarantee: f64,
    /// The principal floor's top-up, whoever funds it.
    floor: f64,
    /// Guarantee and floor money funded by the payers.
    payer_support: f64,
}

/// Totals of every money flow of one trial (SPEC section 9 identity).
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
}

impl MoneyTotals {
    /// What comes in minus what goes out (SPEC section 9): gross payments,
    /// contributions and service fees, less distributions, the success
    /// share, excess and the delivery cost. Zero up to rounding in every
    /// trial, with or without recycling.
    pub fn conservation_gap(&self) -> f64 {
        (self.gross_payments + self.contributions + self.service_fees)
            - (self.distributions + self.success_share + self.excess + self.delivery_cost)
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
            params: vec![0.0; model.params.len()],
            z: vec![0.0; model.copula.as_ref().map_or(0, |c| c.params.len())],
            segment_size: vec![0; binomial::LANES * ns],
            cells: vec![0; n_cells],
            pay_cells: vec![0; n_cells],
            cash: vec![0; no * h * ns],
            last_cash: 0,
            paying: vec![false; h],
            cost: vec![0.0; h],
            payments: vec![0.0; h],
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
                .map(|t| (1.0 + rate).powf(-(t as f64) / 12.0))
                .collect()
        };
        Discounts {
            irr: irr::IrrSolver::new(model.horizon),
            hurdle: f(model.hurdle_irr),
            payer: f(model.discount_rate),
        }
    }
}

/// Step 1 of a trial: draw every per-trial parameter into `ws.params`.
#[inline(never)]
pub fn draw_params(
    model: &Model,
    draws: &Draws,
    trial: u64,
    rng: &mut Xoshiro256PlusPlus,
    ws: &mut Workspace,
) {
    for (j, u) in ws.u.iter_mut().enumerate() {
        let v = open_unit(rng);
        *u = match draws.sampling {
            Sampling::Random => v,
            Sampling::Lhs => {
                let key = mix64(draws.seed ^ mix64(j as u64 + 1) ^ 0x4C48_5300);
                let stratum = permute(trial, draws.trials, key);
                (stratum as f64 + v) / draws.trials as f64
            }
        };
    }
    if let Some(c) = &model.copula {
        let n = c.params.len();
        for (k, &p) in c.params.iter().enumerate() {
            ws.z[k] = crate::numeric::special::norm_quantile(ws.u[p]);
        }
        // z' = L z, from the last row up so that z can be updated in place;
        // each correlated rate is read straight from its normal score.
        for i in (0..n).rev() {
            let mut s = 0.0;
            for k in 0..=i {
                s += c.chol[i * n + k] * ws.z[k];
            }
            ws.z[i] = s;
        }
        for (k, &p) in c.params.iter().enumerate() {
            ws.params[p] = model.params[p].sampler.quantile_z(ws.z[k]);
        }
    }
    for (j, p) in model.params.iter().enumerate() {
        if model.copula.as_ref().is_some_and(|c| c.params.contains(&j)) {
            continue;
        }
        ws.params[j] = match p.kind {
            ParamKind::Shock(i) => f64::from(u8::from(ws.u[j] < model.shocks[i].probability)),
            _ => p.sampler.quantile(ws.u[j]),
        };
    }
}

/// Draws trial `trial`'s per-trial parameters into `ws.params`, exactly as
/// [`run_trial`] does first (for sensitivity analysis).
pub fn trial_params(model: &Model, draws: &Draws, trial: u64, ws: &mut Workspace) {
    let mut rng = trial_rng(draws.seed, trial);
    draw_params(model, draws, trial, &mut rng, ws);
}

/// Rounds half up and clamps at 0 (SPEC section 9) a drawn cohort size.
#[inline]
fn cohort_size(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        // v + 0.5 > 0, so the cast truncates down: floor without a libm call.
        // Sizes beyond the documented limit (a distribution's far tail) are clamped to it.
        trunc_count((v + 0.5).min(crate::limits::MAX_COHORT_SIZE))
    } else {
        0
    }
}

/// Runs trial `trial` and fills `ws.row` with its metrics (in `layout` order).
///
/// The stages are separate functions, not inlined, so that profiles and the
/// instruction-count benchmark can attribute cost to each.
pub fn run_trial(
    model: &Model,
    layout: &Layout,
    disc: &Discounts,
    draws: &Draws,
    trial: u64,
    ws: &mut Workspace,
) {
    let mut rng = trial_rng(draws.seed, trial);
    draw_params(model, draws, trial, &mut rng, ws);
    funnel(model, &mut rng, ws);
    waterfall(model, disc, ws);
    metrics(model, layout, disc, ws);
}

/// Rounds half up a measured count, clamping at 0 (SPEC section 10).
#[inline]
fn measured(count: u64, factor: f64) -> u64 {
    let v = count_f64(count) * factor;
    // v + 0.5 >= 0.5 here, so the cast truncates down: floor without a libm call.
    if v > 0.0 {
        trunc_count((v + 0.5).min(9.0e15))
    } else {
        0
    }
}

/// Step 2: the binomial funnel per cohort and segment, the delivery cost per
/// month, and the counts eligible for payment per cell.
///
/// Draw order (model version 5): cohorts in groups of [`LANES`] (the last
/// group may be smaller). Per group: the segment split (sequential binomials,
/// each for every cohort of the group), then per outcome the cohorts' rates
/// one after the other (their betas), then per segment one binomial per base
/// month, each followed by the split over its own lag's months; every
/// binomial step draws for all the group's cohorts at once, in the order of
/// [`binomial::sample_lanes`]. The bookkeeping (costs, counterfactual,
/// measurement, cash months) then runs cohort by cohort, in the order and
/// with the arithmetic of one cohort at a time.
#[inline(never)]
pub fn funnel(model: &Model, rng: &mut Xoshiro256PlusPlus, ws: &mut Workspace) {
    // The segment counts of the benchmark and bundled scenarios get their own
    // copy of the code (one segment takes the one-cell path of each outcome,
    // where the count matters little).
    match model.segments.len() {
        2 => funnel_shaped::<2>(model, rng, ws),
        4 => funnel_shaped::<4>(model, rng, ws),
        _ => funnel_shaped::<0>(model, rng, ws),
    }
}

/// [`funnel`] through its general code, whatever the number of segments: the
/// reference the specialised copies are tested against.
#[doc(hidden)]
#[inline(never)]
pub fn funnel_general(model: &Model, rng: &mut Xoshiro256PlusPlus, ws: &mut Workspace) {
    funnel_shaped::<0>(model, rng, ws);
}

/// [`funnel`] for `NS` segments (0: as many as the model has). One source
/// for every count: a fixed count lets the compiler unroll the loops over
/// segments and drop their bounds checks; same operations in the same order,
/// so the same numbers.
#[inline(always)]
fn funnel_shaped<const NS: usize>(model: &Model, rng: &mut Xoshiro256PlusPlus, ws: &mut Workspace) {
    let h = model.horizon;
    let ns = if NS == 0 { model.segments.len() } else { NS };
    let stride = model.cell_stride;
    let plag = model.payment_lag;
    // Local slices: their pointers and lengths stay in registers through
    // the loops (rather than being reloaded from the workspace after every
    // binomial draw).
    let Workspace {
        params,
        segment_size,
        cells,
        pay_cells,
        cash: cash_due,
        last_cash: last_cash_out,
        paying,
        cost,
        outcome_total,
        segment_total,
        unpaid,
        ..
    } = ws;
    let p = &params[..];
    let (cells, pay_cells) = (&mut cells[..], &mut pay_cells[..]);
    let (cash_due, paying, cost) = (&mut cash_due[..], &mut paying[..h], &mut cost[..h]);
    let (outcome_total, segment_total, unpaid) = (
        &mut outcome_total[..],
        &mut segment_total[..],
        &mut unpaid[..],
    );
    let segment_size = &mut segment_size[..];
    cost.fill(0.0);
    outcome_total.fill(0);
    if model.segmented {
        segment_total.fill(0);
    }
    unpaid.fill(0);
    cash_due.fill(0);
    paying.fill(false);
    let mut last_cash = 0;
    let per_participant = model.costs.per_participant.get(p);
    let nc = model.cohorts.len();
    // Cohorts in groups of LANES: first every draw of the group, each
    // binomial for all of its cohorts at once (their chains of dependent
    // operations overlap), then the bookkeeping cohort by cohort.
    for c0 in (0..nc).step_by(LANES) {
        let lanes = (nc - c0).min(LANES);
        let cohorts = &model.cohorts[c0..c0 + lanes];
        // (Lanes past the last cohort draw Binomial(0, p): no random numbers.)
        let mut size = [0u64; LANES];
        for (s, cohort) in size.iter_mut().zip(cohorts) {
            *s = match cohort.size {
                Value::Const(v) => cohort_size(v),
                Value::Param(i) => cohort_size(p[i]),
            };
        }
        if ns == 1 {
            segment_size[..LANES].copy_from_slice(&size);
        } else if !model.joint_segments {
            // Multinomial(size, shares) as a chain of binomials.
            let (mut left, mut share_left) = (size, 1.0);
            for (s, seg) in model.segments.iter().enumerate() {
                let k = if s + 1 == ns {
                    left
                } else {
                    binomial::sample_lanes(left, [(seg.share / share_left).min(1.0); LANES], rng)
                };
                for l in 0..LANES {
                    segment_size[l * ns + s] = k[l];
                    left[l] -= k[l];
                }
                share_left -= seg.share;
            }
        }
        for (o, out) in model.outcomes.iter().enumerate() {
            // The cohorts' rates, one after the other.
            let mut rate = [0.0; LANES];
            for (rate, cohort) in rate.iter_mut().zip(cohorts) {
                let mut r = out.rate.get(p);
                if out.cohort_sd > 0.0 && r > 0.0 && r < 1.0 {
                    let var = out.cohort_sd * out.cohort_sd;
                    if var < r * (1.0 - r) {
                        let k = r * (1.0 - r) / var - 1.0;
                        r = beta::sample(r * k, (1.0 - r) * k, rng);
                    }
                }
                for sh in &model.shocks {
                    if p[sh.param] != 0.0 && cohort.start >= sh.from_month {
                        r *= sh.multipliers[o];
                    }
                }
                *rate = r;
            }
            if out.simple {
                // One cell: the phase 1 funnel step.
                let nb: [u64; LANES] = std::array::from_fn(|l| match out.base {
                    _ if l >= lanes => 0,
                    None => size[l],
                    Some(b) => cells[(c0 + l) * stride + model.outcomes[b].cells],
                });
                let k = binomial::sample_lanes(nb, rate.map(|r| r.clamp(0.0, 1.0)), rng);
                for l in 0..lanes {
                    cells[(c0 + l) * stride + out.cells] = k[l];
                }
                continue;
            }
            let spread = out.spread;
            let n_cells = ns * spread;
            for l in 0..lanes {
                let first = (c0 + l) * stride + out.cells;
                cells[first..first + n_cells].fill(0);
            }
            let (base_first, base_spread, base_cells) = match out.base {
                None => (0, 1, 0),
                Some(b) => {
                    let bo = &model.outcomes[b];
                    (bo.first_lag, bo.spread, bo.cells)
                }
            };
            let lag_lo = out.first_lag - base_first;
            // The one outcome of `enrolled` with joint segments: the
            // successes of every segment in one multinomial over (segment,
            // success) cells and the failures.
            let (mut joint_left, mut joint_mass) = (size, [1.0; LANES]);
            let joint = model.joint_segments && out.base.is_none();
            for s in 0..ns {
                let r = rate.map(|r| (r * model.segment_rate[o * ns + s]).clamp(0.0, 1.0));
                let dst = out.cells + s * spread;
                for jb in 0..base_spread {
                    let k = if joint {
                        let pi = r.map(|r| model.segments[s].share * r);
                        let q: [f64; LANES] = std::array::from_fn(|l| {
                            if joint_mass[l] > 0.0 {
                                (pi[l] / joint_mass[l]).min(1.0)
                            } else {
                                0.0
                            }
                        });
                        let k = binomial::sample_lanes(joint_left, q, rng);
                        for l in 0..LANES {
                            joint_left[l] -= k[l];
                            joint_mass[l] -= pi[l];
                        }
                        k
                    } else {
                        let nb: [u64; LANES] = std::array::from_fn(|l| match out.base {
                            _ if l >= lanes => 0,
                            None => segment_size[l * ns + s],
                            Some(_) => cells[(c0 + l) * stride + base_cells + s * base_spread + jb],
                        });
                        binomial::sample_lanes(nb, r, rng)
                    };
                    if out.lag.len() == 1 {
                        for l in 0..lanes {
                            cells[(c0 + l) * stride + dst + jb] += k[l];
                        }
                    } else {
                        // Each success gets its own month: a multinomial split.
                        let (mut left, mut w_left) = (k, 1.0);
                        for (i, &(lag, w)) in out.lag.iter().enumerate() {
                            if left == [0; LANES] {
                                break;
                            }
                            let x = if i + 1 == out.lag.len() {
                                left
                            } else {
                                binomial::sample_lanes(left, [(w / w_left).min(1.0); LANES], rng)
                            };
                            for l in 0..lanes {
                                cells[(c0 + l) * stride + dst + jb + lag - lag_lo] += x[l];
                                left[l] -= x[l];
                            }
                            w_left -= w;
                        }
                    }
                }
            }
        }
        // The bookkeeping, cohort by cohort in order.
        for (l, cohort) in cohorts.iter().enumerate() {
            let block = (c0 + l) * stride;
            cost[cohort.start] += count_f64(size[l]) * per_participant;
            for (o, out) in model.outcomes.iter().enumerate() {
                let first = block + out.cells;
                if out.simple {
                    let k = cells[first];
                    // (Its cell is the base of later outcomes; without segments
                    // nothing reads pay_cells or segment_total.)
                    outcome_total[o] += k;
                    let event = cohort.start + out.first_lag;
                    if event < h {
                        cost[event] += count_f64(k) * model.costs.per_outcome[o].get(p);
                    }
                    let cash = event + plag;
                    if cash < h {
                        cash_due[o * h + cash] += k;
                        if k > 0 {
                            last_cash = last_cash.max(cash + 1);
                            paying[cash] = true;
                        }
                    } else {
                        unpaid[o] += k;
                    }
                    continue;
                }
                let spread = out.spread;
                let n_cells = ns * spread;
                // The base count: the cohort (all segments) or every cell of the base outcome.
                let base_total: u64 = match out.base {
                    None => size[l],
                    Some(b) => {
                        let bo = &model.outcomes[b];
                        cells[block + bo.cells..block + bo.cells + ns * bo.spread]
                            .iter()
                            .sum()
                    }
                };
                // One pass over the cells, month by month and within a month
                // segment by segment: true counts (totals, segments and the
                // per-outcome cost of each event month), then the counts eligible
                // for payment (the earliest successes, by month then segment, are
                // the counterfactual ones; then the measurement) and their cash month.
                let cells = &cells[first..first + n_cells];
                let pay = &mut pay_cells[first..first + n_cells];
                let cost_o = model.costs.per_outcome[o].get(p);
                let mut left = out
                    .counterfactual
                    .map_or(0, |rate| trunc_count(rate * count_f64(base_total) + 0.5)); // floor: non-negative
                let factor = out.measurement.map(|e| 1.0 + e.get(p));
                for j in 0..spread {
                    let event = cohort.start + out.first_lag + j;
                    let cash = event + plag;
                    let (mut k, mut k_pay) = (0, 0);
                    for s in 0..ns {
                        let x = cells[s * spread + j];
                        k += x;
                        if model.segmented {
                            segment_total[o * ns + s] += x;
                        }
                        // (Once the counterfactual is used up, t is 0.)
                        let t = x.min(left);
                        left -= t;
                        let y = match factor {
                            Some(f) => measured(x - t, f),
                            None => x - t,
                        };
                        pay[s * spread + j] = y;
                        k_pay += y;
                        if cash < h {
                            cash_due[(o * h + cash) * ns + s] += y;
                        }
                    }
                    outcome_total[o] += k;
                    if event < h {
                        cost[event] += count_f64(k) * cost_o;
                    }
                    if cash >= h {
                        unpaid[o] += k_pay;
                    } else if k_pay > 0 {
                        last_cash = last_cash.max(cash + 1);
                        paying[cash] = true;
                    }
                }
            }
        }
    }
    *last_cash_out = last_cash;
    cost[0] += model.costs.upfront.get(p);
    let fixed = model.costs.fixed_monthly.get(p);
    if fixed != 0.0 {
        for c in &mut cost[model.costs.fixed_start..model.costs.fixed_end] {
            *c += fixed;
        }
    }
}

/// Steps 3 to 6: payments with caps, the waterfall month by month, the
/// guarantee and the principal floor; fills the flows per tranche and the
/// trial's ledger.
#[inline(never)]
pub fn waterfall(model: &Model, disc: &Discounts, ws: &mut Workspace) {
    // The shapes of the benchmark and bundled scenarios, and the simplest
    // deal, get their own copy of the code; any other shape runs the general one.
    let shape = (
        model.segments.len(),
        model.payers.len(),
        model.tranches.len(),
    );
    match shape {
        (1, 1, 1) => waterfall_shaped::<1, 1, 1>(model, disc, ws),
        (1, 2, 2) => waterfall_shaped::<1, 2, 2>(model, disc, ws),
        (2, 2, 2) => waterfall_shaped::<2, 2, 2>(model, disc, ws),
        (1, 3, 1) => waterfall_shaped::<1, 3, 1>(model, disc, ws),
        (2, 1, 1) => waterfall_shaped::<2, 1, 1>(model, disc, ws),
        (4, 2, 2) => waterfall_shaped::<4, 2, 2>(model, disc, ws),
        _ => waterfall_shaped::<0, 0, 0>(model, disc, ws),
    }
}

/// [`waterfall`] through its general code, whatever the model's shape: the
/// reference the shape-specialised copies are tested against.
#[doc(hidden)]
#[inline(never)]
pub fn waterfall_general(model: &Model, disc: &Discounts, ws: &mut Workspace) {
    waterfall_shaped::<0, 0, 0>(model, disc, ws);
}

/// [`waterfall`] for `NS` segments, `NP` payers and `NT` tranches (0: as
/// many as the model has). One source for every shape: a fixed shape lets
/// the compiler unroll the loops over segments, payers and tranches and drop
/// their bounds checks (about a fifth of the waterfall's instructions), and
/// the operations and their order are the same, so are the numbers.
#[inline(always)]
fn waterfall_shaped<const NS: usize, const NP: usize, const NT: usize>(
    model: &Model,
    disc: &Discounts,
    ws: &mut Workspace,
) {
    let h = model.horizon;
    let fixed = |n: usize, len: usize| if n == 0 { len } else { n };
    let nt = fixed(NT, model.tranches.len());
    let ns = fixed(NS, model.segments.len());
    let np = fixed(NP, model.payers.len());
    let (tranches, payers) = (&model.tranches[..nt], &model.payers[..np]);
    // Local slices: their pointers and lengths stay in registers through the loop.
    let Workspace {
        pay_cells,
        cash,
        cost,
        payments,
        flows,
        tranche,
        remaining_max,
        tier_position,
        paid,
        payer_month,
        payer_cap_left,
        payer_paid,
        payer_excess,
        payer_window,
        last_cash,
        paying,
        position: position_out,
        account: account_out,
        record_account,
        ..
    } = ws;
    let (cost, payments) = (&cost[..h], &mut payments[..h]);
    let (flows, tranche, position_out) = (
        &mut flows[..nt * h],
        &mut tranche[..nt],
        &mut position_out[..h],
    );
    let (payer_month, payer_cap_left, payer_paid, payer_excess, payer_window) = (
        &mut payer_month[..np],
        &mut payer_cap_left[..np],
        &mut payer_paid[..np],
        &mut payer_excess[..np],
        &mut payer_window[..np],
    );
    let account_out = &mut account_out[..account::SERIES * h];
    let record = *record_account;
    let disc_payer = &disc.payer[..h];
    for (r, out) in remaining_max.iter_mut().zip(&model.outcomes) {
        *r = out.max_paid;
    }
    tier_position.fill(0);
    paid.fill(0);
    tranche.fill(TrancheState::default());
    let split = model.payer_split;
    if split {
        payer_cap_left.copy_from_slice(&model.payer_caps);
        payer_paid.fill(0.0);
        payer_excess.fill(0.0);
    }
    let mut delivery_cost = 0.0;
    let mut service_fees = 0.0;
    let mut budget_left = model.budget_cap.unwrap_or(f64::INFINITY);
    let mut cap_hit = false;
    let (mut gross, mut success, mut excess_total, mut excess_payer_pv, mut excess_payer) =
        (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut contributions, mut distributions) = (0.0, 0.0);
    let mut payer_pv = 0.0;
    let mut position = 0.0;
    let mut peak: f64 = 0.0;
    let s_share = model.success_share;
    let fee_share = model.service_fee;
    // Months after the last cost and the last payment move no money: only
    // their flows (zero) and the investors' position are written, after the loop.
    // (Cash left in the deal account keeps them active: see the loop.)
    let mut active_end = h;
    while active_end > *last_cash && cost[active_end - 1] == 0.0 {
        active_end -= 1;
    }
    let cash_end = active_end;
    if model.account_holds {
        active_end = h;
    }
    let mut excess_pv = 0.0;
    // The deal account (SPEC section 11): cash held between months.
    let mut held = 0.0;
    let every = model.distribution_every;
    // Outcome payments since the last settlement of excess, and the window
    // they belong to (monthly settlement: the months up to the next
    // distribution month; end: the whole contract).
    let mut pay_window = 0.0;
    let mut window = usize::MAX;
    // Every tranche has its capital back and sits at its cap: the last
    // distribution left money over, and until a new contribution the tiers
    // would pay nothing (outstanding capital and the cap's future value are
    // exactly 0), so they are skipped.
    let mut saturated = false;
    for t in 0..h {
        // After the last cost and payment, an empty account moves no money
        // in any later month (a held one still pays the tranches and settles).
        if t >= cash_end && held == 0.0 {
            active_end = t;
            break;
        }
        // What the investors fund of the month's cost, before receipts (the
        // payment steps below touch none of the totals this adds to): a
        // service fee reimburses part of the cost; investors fund the rest.
        let c_t = cost[t];
        delivery_cost += c_t;
        let c_t = if fee_share > 0.0 {
            let fee = fee_share * c_t;
            service_fees += fee;
            payer_pv += fee * disc_payer[t];
            (1.0 - fee_share) * c_t
        } else {
            c_t
        };
        if !paying[t] && held == 0.0 {
            // Nothing is due (most months) and the account is empty: no
            // receipts, so the cost is all contribution and nothing is
            // distributed. The general path below would compute the same
            // bits; it only adds zeros.
            payments[t] = 0.0;
            contribute(tranche, tranches, flows, h, t, c_t);
            contributions += c_t;
            if c_t > 0.0 {
                saturated = false;
            }
            position += c_t;
            position_out[t] = position;
            if position > peak {
                peak = position;
            }
            if record {
                record_month(account_out, h, t, [0.0, c_t, c_t, 0.0, 0.0, 0.0]);
            }
            continue;
        }
        // Step 3: the month's outcome payments, after every cap (nothing is
        // due in a month without cash: the caps and counters stay as they are).
        let mut invoiced = 0.0;
        let mut pay = 0.0;
        if paying[t] {
            // (Split by payer:) what every payer pays by share.
            let mut invoiced_all = 0.0;
            for (o, out) in model.outcomes.iter().enumerate() {
                let amount = if ns == 1 {
                    // One group: the month's count is paid at once (the cohorts'
                    // order cannot change which price a unit gets).
                    let n = cash[o * h + t];
                    if n == 0 {
                        continue;
                    }
                    let pay_n = n.min(remaining_max[o]);
                    remaining_max[o] -= pay_n;
                    paid[o] += pay_n;
                    if out.tiers.len() == 1 {
                        count_f64(pay_n) * out.tiers[0].1
                    } else {
                        let a = out.tier_amount(tier_position[o], pay_n);
                        tier_position[o] += pay_n;
                        a
                    }
                } else {
                    let month = &cash[(o * h + t) * ns..(o * h + t + 1) * ns];
                    let mut n = 0;
                    for &k in month {
                        n += k;
                    }
                    if n == 0 {
                        continue;
                    }
                    let at = tier_position[o];
                    let (tier_end, price) = match out.tiers.iter().find(|&&(up_to, _)| up_to > at) {
                        Some(&tier) => tier,
                        None => (at, 0.0), // unreachable: the last tier is open
                    };
                    if n <= remaining_max[o] && at + n <= tier_end {
                        // Nothing binds this month: the order of payment cannot
                        // matter, so pay each segment's count at once.
                        remaining_max[o] -= n;
                        paid[o] += n;
                        tier_position[o] += n;
                        let multipliers = &model.segment_price[o * ns..(o + 1) * ns];
                        let mut amount = 0.0;
                        for (&k, &m) in month.iter().zip(multipliers) {
                            amount += count_f64(k) * price * m;
                        }
                        amount
                    } else {
                        // Lots in payment order (cohort, then segment) through max_paid and the tiers.
                        let lots = &model.lots[model.lot_index[o * h + t] as usize
                            ..model.lot_index[o * h + t + 1] as usize];
                        let mut amount = 0.0;
                        for &cell in lots {
                            for s in 0..ns {
                                let k = pay_cells[cell as usize + s * out.spread];
                                let pay_n = k.min(remaining_max[o]);
                                if pay_n == 0 {
                                    continue;
                                }
                                remaining_max[o] -= pay_n;
                                paid[o] += pay_n;
                                amount += out.tier_amount(tier_position[o], pay_n)
                                    * model.segment_price[o * ns + s];
                                tier_position[o] += pay_n;
                            }
                        }
                        amount
                    }
                };
                invoiced += amount;
                if split {
                    if model.paid_by_all[o] {
                        invoiced_all += amount;
                    } else {
                        let w = &model.payer_weights[o * np..(o + 1) * np];
                        for (m, w) in payer_month.iter_mut().zip(w) {
                            *m += amount * w;
                        }
                    }
                }
            }
            pay = if !split {
                let pay = if invoiced > budget_left {
                    cap_hit = true;
                    budget_left
                } else {
                    invoiced
                };
                budget_left -= pay;
                pay
            } else if invoiced > 0.0 {
                // The budget cap cuts the month pro rata over payers; then each
                // payer's part is cut to its own remaining cap.
                let f = if invoiced > budget_left {
                    cap_hit = true;
                    budget_left / invoiced
                } else {
                    1.0
                };
                let mut pay = 0.0;
                for (((m, left), total), &(_, share)) in payer_month
                    .iter_mut()
                    .zip(payer_cap_left.iter_mut())
                    .zip(payer_paid.iter_mut())
                    .zip(payers)
                {
                    let x = ((*m + invoiced_all * share) * f).min(*left);
                    *left -= x;
                    *total += x;
                    *m = x;
                    pay += x;
                }
                budget_left = (budget_left - pay).max(0.0);
                pay
            } else {
                0.0
            };
        }
        payments[t] = pay;
        gross += pay;
        let receipts = pay * (1.0 - s_share);
        success += pay * s_share;

        // Step 1: receipts into the account. Step 2: with recycling the
        // account pays the month's costs first; investors fund the rest.
        // (With an empty account this is the monthly waterfall's
        // N_t = R_t - C_t, bit for bit: c - r is exactly -(r - c).)
        held += receipts;
        let contrib = if model.recycling {
            let from_account = held.min(c_t);
            held -= from_account;
            c_t - from_account
        } else {
            c_t
        };
        contribute(tranche, tranches, flows, h, t, contrib);
        contributions += contrib;
        if contrib > 0.0 {
            saturated = false;
        }
        let last_month = t + 1 == h;
        // Step 3: a distribution month sends the account through the tiers.
        let distributing = every == 1 || (t + 1) % every == 0 || last_month;
        let tiers = distributing && !saturated;
        let mut avail = if tiers { held } else { 0.0 };
        let mut dist_t = 0.0;
        // Tier 1: return of capital by seniority, pro rata to outstanding within a rank.
        if avail > 0.0 {
            for &(g0, g1) in &model.seniority_groups {
                let group = &model.seniority_order[g0..g1];
                let due: f64 = group.iter().map(|&k| tranche[k].outstanding).sum();
                if due <= 0.0 {
                    continue;
                }
                let pay_g = avail.min(due);
                for &k in group {
                    let st = &mut tranche[k];
                    let d = if pay_g == due {
                        st.outstanding
                    } else {
                        pay_g * st.outstanding / due
                    };
                    st.outstanding = if pay_g == due {
                        0.0
                    } else {
                        (st.outstanding - d).max(0.0)
                    };
                    st.distributed += d;
                    st.fv += d;
                    flows[k * h + t] += d;
                }
                avail -= pay_g;
                dist_t += pay_g;
                if avail <= 0.0 {
                    avail = 0.0;
                    break;
                }
            }
        }
        // Tier 2: return up to each tranche's IRR cap, water-filling by share.
        if avail > 0.0 {
            for (st, tr) in tranche.iter_mut().zip(tranches) {
                st.room = if tr.cap_irr.is_some() {
                    (-st.fv).max(0.0)
                } else {
                    f64::INFINITY
                };
                st.active = st.room > 0.0;
            }
            loop {
                let s: f64 = tranche
                    .iter()
                    .zip(tranches)
                    .filter(|(st, _)| st.active)
                    .map(|(_, tr)| tr.share)
                    .sum();
                if s <= 0.0 || avail <= 0.0 {
                    break;
                }
                let level = avail / s;
                let mut filled = false;
                for (k, (st, tr)) in tranche.iter_mut().zip(tranches).enumerate() {
                    if st.active && st.room <= level * tr.share {
                        let d = st.room;
                        st.distributed += d;
                        st.fv += d;
                        flows[k * h + t] += d;
                        avail -= d;
                        dist_t += d;
                        st.active = false;
                        filled = true;
                    }
                }
                if !filled {
                    for (k, (st, tr)) in tranche.iter_mut().zip(tranches).enumerate() {
                        if st.active {
                            let d = level * tr.share;
                            st.distributed += d;
                            st.fv += d;
                            flows[k * h + t] += d;
                            dist_t += d;
                        }
                    }
                    avail = 0.0;
                    break;
                }
            }
            avail = avail.max(0.0);
        }
        if tiers {
            held = avail;
            saturated = avail > 0.0;
        }
        distributions += dist_t;
        if split {
            // The payers' payments of the current settlement window.
            let w = if model.excess_monthly { t / every } else { 0 };
            if w != window {
                window = w;
                payer_window.fill(0.0);
                pay_window = 0.0;
            }
            if invoiced > 0.0 {
                for (acc, m) in payer_window.iter_mut().zip(payer_month.iter()) {
                    *acc += *m;
                }
                pay_window += pay;
                payer_month.fill(0.0);
            }
        }
        // Step 4: excess leaves after a distribution (monthly settlement)
        // or in the last month (end); otherwise it waits in the account.
        let mut excess = 0.0;
        if distributing && (model.excess_monthly || last_month) {
            excess = held;
            held = 0.0;
            if split && excess > 0.0 && pay_window > 0.0 && model.excess_to == ExcessTo::Payer {
                for (e, m) in payer_excess.iter_mut().zip(payer_window.iter()) {
                    *e += excess * m / pay_window;
                }
            }
        }
        excess_total += excess;
        excess_pv += excess * disc_payer[t];
        payer_pv += pay * disc_payer[t];
        record_month(
            account_out,
            h,
            t,
            [receipts, c_t, contrib, dist_t, excess, held],
        );
        position += contrib - dist_t;
        position_out[t] = position;
        if position > peak {
            peak = position;
        }
    }
    for t in active_end..h {
        payments[t] = 0.0;
        position_out[t] = position;
        for k in 0..nt {
            flows[k * h + t] = 0.0;
        }
        if record {
            record_month(account_out, h, t, [0.0; account::SERIES]);
        }
    }
    if model.excess_to == ExcessTo::Payer {
        excess_payer = excess_total;
        excess_payer_pv = excess_pv;
    }

    // Step 6: the guarantee, then the principal floor, in the last month.
    let mut guarantee = 0.0;
    if let Some((amount, k)) = model.guarantee {
        let st = &tranche[k];
        let shortfall = st.contributed - st.distributed;
        if shortfall > 1e-9 * st.contributed && amount > 0.0 {
            guarantee = shortfall.min(amount);
            flows[k * h + h - 1] += guarantee;
        }
    }
    let mut floor = 0.0;
    if let Some(f) = model.floor {
        let k = f.tranche;
        let st = &tranche[k];
        let back = st.distributed
            + if model.guarantee.is_some_and(|g| g.1 == k) {
                guarantee
            } else {
                0.0
            };
        let top_up = f.share * st.contributed - back;
        if top_up > 1e-9 * st.contributed {
            floor = top_up;
            flows[k * h + h - 1] += floor;
        }
    }
    let mut payer_support = 0.0;
    if model.guarantee_by == SupportBy::Payer {
        payer_support += guarantee;
    }
    if model.floor.is_some_and(|f| f.by == SupportBy::Payer) {
        payer_support += floor;
    }

    ws.ledger = Ledger {
        gross,
        success,
        excess_total,
        excess_payer,
        excess_payer_pv,
        contributions,
        distributions,
        payer_pv,
        peak,
        cap_hit,
        delivery_cost,
        service_fees,
        guarantee,
        floor,
        payer_support,
    };
}

/// Writes month `t` of every deal-account series.
#[inline(always)]
fn record_month(out: &mut [f64], h: usize, t: usize, values: [f64; account::SERIES]) {
    for (i, v) in values.into_iter().enumerate() {
        out[i * h + t] = v;
    }
}

/// Month `t`'s contribution `contrib`, split over the tranches by share; first
/// the running FV at each cap rate compounds for the month.
#[inline(always)]
fn contribute(
    tranche: &mut [TrancheState],
    tranches: &[crate::model::TrancheModel],
    flows: &mut [f64],
    h: usize,
    t: usize,
    contrib: f64,
) {
    for (k, (st, tr)) in tranche.iter_mut().zip(tranches).enumerate() {
        // (fv is 0 at t = 0, so compounding it then changes nothing.)
        st.fv *= tr.cap_factor;
        let ck = contrib * tr.share;
        st.contributed += ck;
        st.outstanding += ck;
        st.fv -= ck;
        flows[k * h + t] = -ck;
    }
}

/// Step 7: the trial's metrics (SPEC section 4), IRRs included, into `ws.row`.
#[inline(never)]
pub fn metrics(model: &Model, layout: &Layout, disc: &Discounts, ws: &mut Workspace) {
    let h = model.horizon;
    let no = model.outcomes.len();
    let nt = model.tranches.len();
    let Ledger {
        gross,
        success,
        excess_total,
        excess_payer,
        excess_payer_pv,
        contributions,
        distributions,
        payer_pv,
        peak,
        cap_hit,
        delivery_cost,
        service_fees,
        guarantee,
        floor,
        payer_support,
    } = ws.ledger;
    ws.combined.fill(0.0);
    for k in 0..nt {
        let flows = &ws.flows[k * h..(k + 1) * h];
        for (c, f) in ws.combined.iter_mut().zip(flows) {
            *c += f;
        }
    }
    let back = distributions + guarantee + floor;
    let net = back - contributions;
    let tol = 1e-9 * contributions;
    let npv: f64 = ws
        .combined
        .iter()
        .zip(&disc.hurdle)
        .map(|(f, d)| f * d)
        .sum();
    // Everything the payers pay besides outcome payments.
    let payer_other = model.evaluation_cost + service_fees + payer_support;
    let mut payer_cost = gross - excess_payer + model.evaluation_cost;
    let mut payer_cost_pv = payer_pv - excess_payer_pv + model.evaluation_cost;
    if payer_support != 0.0 {
        payer_cost += payer_support;
        payer_cost_pv += payer_support * disc.payer[h - 1];
    }
    if service_fees != 0.0 {
        payer_cost += service_fees;
    }
    let last = ws.outcome_total[model.last_outcome];
    let provider_bonus = success
        + if model.excess_to == ExcessTo::Provider {
            excess_total
        } else {
            0.0
        };
    let guarantor = if model.guarantee_by == SupportBy::Guarantor {
        guarantee
    } else {
        0.0
    } + if model.floor.is_some_and(|f| f.by == SupportBy::Guarantor) {
        floor
    } else {
        0.0
    };

    let row = &mut ws.row;
    let l = layout;
    for o in 0..no {
        row[l.outcome + o] = count_f64(ws.outcome_total[o]);
        row[l.paid + o] = count_f64(ws.paid[o]);
        row[l.unpaid + o] = count_f64(ws.unpaid[o]);
    }
    if let Some(first) = l.outcome_segment {
        for (x, k) in row[first..first + ws.segment_total.len()]
            .iter_mut()
            .zip(&ws.segment_total)
        {
            *x = count_f64(*k);
        }
    }
    row[l.payer_cost] = payer_cost;
    row[l.payer_cost_pv] = payer_cost_pv;
    if model.payer_split {
        // Each payer: its own outcome payments, less its part of the excess,
        // plus its share of everything else.
        let excess_back = model.excess_to == ExcessTo::Payer;
        for (i, (_, share)) in model.payers.iter().enumerate() {
            let own = ws.payer_paid[i] - if excess_back { ws.payer_excess[i] } else { 0.0 };
            row[l.payer_cost_by + i] = own + share * payer_other;
        }
    } else {
        for (i, (_, share)) in model.payers.iter().enumerate() {
            row[l.payer_cost_by + i] = share * payer_cost;
        }
    }
    row[l.cost_per_outcome] = if last == 0 {
        f64::NAN
    } else {
        payer_cost / last as f64
    };
    row[l.delivery_cost] = delivery_cost;
    row[l.budget_cap_hit] = f64::from(u8::from(cap_hit));
    row[l.investor_irr] = irr::annual_irr_with(Some(&disc.irr), &ws.combined, contributions, back);
    row[l.investor_moic] = if contributions > 0.0 {
        back / contributions
    } else {
        f64::NAN
    };
    row[l.investor_net] = net;
    row[l.investor_npv] = npv;
    row[l.investor_contributions] = contributions;
    row[l.peak_funding] = peak;
    row[l.funding_gap] = f64::from(u8::from(model.committed_capital.is_some_and(|k| peak > k)));
    for k in 0..nt {
        let flows = &ws.flows[k * h..(k + 1) * h];
        let ck = ws.tranche[k].contributed;
        let mut bk = ws.tranche[k].distributed
            + if model.guarantee.is_some_and(|g| g.1 == k) {
                guarantee
            } else {
                0.0
            };
        if model.floor.is_some_and(|f| f.tranche == k) {
            bk += floor;
        }
        let base = l.tranche + 3 * k;
        row[base] = irr::annual_irr_with(Some(&disc.irr), flows, ck, bk);
        row[base + 1] = if ck > 0.0 { bk / ck } else { f64::NAN };
        row[base + 2] = bk - ck;
        row[l.flag_tranche_loss + k] = f64::from(u8::from(bk - ck < -1e-9 * ck));
    }
    row[l.guarantee_paid] = guarantor;
    row[l.provider_bonus] = provider_bonus;
    row[l.excess] = excess_total;
    if let Some(i) = l.service_fee_paid {
        row[i] = service_fees;
    }
    if let Some(i) = l.payer_support {
        row[i] = payer_support;
    }
    if let Some(i) = l.floor_paid {
        row[i] = floor;
    }
    row[l.flag_loss] = f64::from(u8::from(net < -tol));
    row[l.flag_below_hurdle] = f64::from(u8::from(npv < -tol));
    row[l.flag_guarantee_called] = f64::from(u8::from(guarantee > 0.0));
    if let Some(i) = l.flag_floor_called {
        row[i] = f64::from(u8::from(floor > 0.0));
    }

    ws.totals = MoneyTotals {
        gross_payments: gross,
        contributions,
        distributions,
        success_share: success,
        excess: excess_total,
        delivery_cost,
        service_fees,
        guarantee,
        floor,
        payer_support,
    };
}
