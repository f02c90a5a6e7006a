//! One trial of the contract, month by month (SPEC section 3), and the
//! parallel runner that streams trials into per-metric columns.
//!
//! A trial's random numbers come from a generator seeded by (seed, trial
//! index) alone, so results do not depend on threads or sharding. All work
//! buffers live in a [`Workspace`] reused across trials: no allocation, no
//! hashing and no strings in the per-trial path.

pub mod irr;
pub mod layout;
pub mod runner;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Binomial, Distribution};

use crate::model::{Model, ParamKind, Value};
use crate::scenario::{ExcessTo, Sampling};
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
    ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / 9_007_199_254_740_992.0)
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

/// Reusable buffers of one worker; sized once from the model.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// Per-trial uniforms, one per parameter.
    u: Vec<f64>,
    /// Per-trial parameter values.
    pub params: Vec<f64>,
    /// Copula scratch.
    z: Vec<f64>,
    /// counts[c * n_out + o].
    counts: Vec<u64>,
    /// Cash-month counts: cash[o * h + t].
    cash: Vec<u64>,
    /// Delivery cost per month.
    cost: Vec<f64>,
    /// Outcome payments per month (after caps).
    pub payments: Vec<f64>,
    /// Flows per tranche and month: flows[k * h + t].
    pub flows: Vec<f64>,
    /// Combined investor flows per month.
    pub combined: Vec<f64>,
    /// Per-tranche running state.
    contributed: Vec<f64>,
    distributed: Vec<f64>,
    outstanding: Vec<f64>,
    fv: Vec<f64>,
    alloc: Vec<f64>,
    active: Vec<bool>,
    remaining_max: Vec<u64>,
    outcome_total: Vec<u64>,
    paid: Vec<u64>,
    unpaid: Vec<u64>,
    /// Cumulative investor position (contributions - distributions) after each month.
    pub position: Vec<f64>,
    /// The trial's metric row, in [`Layout`] order.
    pub row: Vec<f64>,
    /// Money totals of the trial, for conservation checks.
    pub totals: MoneyTotals,
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
    /// Guarantee paid.
    pub guarantee: f64,
}

impl Workspace {
    /// Buffers for `model`.
    pub fn new(model: &Model, layout: &Layout) -> Workspace {
        let h = model.horizon;
        let no = model.outcomes.len();
        let nt = model.tranches.len();
        Workspace {
            u: vec![0.0; model.params.len()],
            params: vec![0.0; model.params.len()],
            z: vec![0.0; model.copula.as_ref().map_or(0, |c| c.params.len())],
            counts: vec![0; model.cohorts.len() * no],
            cash: vec![0; no * h],
            cost: vec![0.0; h],
            payments: vec![0.0; h],
            flows: vec![0.0; nt * h],
            combined: vec![0.0; h],
            contributed: vec![0.0; nt],
            distributed: vec![0.0; nt],
            outstanding: vec![0.0; nt],
            fv: vec![0.0; nt],
            alloc: vec![0.0; nt],
            active: vec![false; nt],
            remaining_max: vec![0; no],
            outcome_total: vec![0; no],
            paid: vec![0; no],
            unpaid: vec![0; no],
            position: vec![0.0; h],
            row: vec![0.0; layout.len()],
            totals: MoneyTotals::default(),
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
fn draw_params(
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
            ws.z[k] = crate::model::sampler::norm_quantile(ws.u[p]);
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
        (v + 0.5).floor().min(9.0e15) as u64
    } else {
        0
    }
}

/// Runs trial `trial` and fills `ws.row` with its metrics (in `layout` order).
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

    let h = model.horizon;
    let no = model.outcomes.len();
    let p = &ws.params;

    // Step 2: the binomial funnel per cohort.
    ws.cash.fill(0);
    ws.cost.fill(0.0);
    ws.outcome_total.fill(0);
    ws.unpaid.fill(0);
    let per_participant = model.costs.per_participant.get(p);
    let mut delivery_cost = 0.0;
    for (c, cohort) in model.cohorts.iter().enumerate() {
        let size = match cohort.size {
            Value::Const(v) => cohort_size(v),
            Value::Param(i) => cohort_size(p[i]),
        };
        ws.cost[cohort.start] += size as f64 * per_participant;
        for (o, out) in model.outcomes.iter().enumerate() {
            let base = match out.base {
                None => size,
                Some(b) => ws.counts[c * no + b],
            };
            let mut rate = out.rate.get(p);
            if out.cohort_sd > 0.0 && rate > 0.0 && rate < 1.0 {
                let var = out.cohort_sd * out.cohort_sd;
                if var < rate * (1.0 - rate) {
                    let k = rate * (1.0 - rate) / var - 1.0;
                    if let Ok(beta) = Beta::new(rate * k, (1.0 - rate) * k) {
                        rate = beta.sample(&mut rng);
                    }
                }
            }
            for s in &model.shocks {
                if p[s.param] != 0.0 && cohort.start >= s.from_month {
                    rate *= s.multipliers[o];
                }
            }
            let rate = rate.clamp(0.0, 1.0);
            let k = if base == 0 || rate == 0.0 {
                0
            } else if rate == 1.0 {
                base
            } else {
                Binomial::new(base, rate).map_or(0, |b| b.sample(&mut rng))
            };
            ws.counts[c * no + o] = k;
            ws.outcome_total[o] += k;
            let event = cohort.start + out.total_lag;
            if event < h {
                ws.cost[event] += k as f64 * model.costs.per_outcome[o].get(p);
            }
            let cash = event + model.payment_lag;
            if cash < h {
                ws.cash[o * h + cash] += k;
            } else {
                ws.unpaid[o] += k;
            }
        }
    }
    ws.cost[0] += model.costs.upfront.get(p);
    let fixed = model.costs.fixed_monthly.get(p);
    if fixed != 0.0 {
        for t in model.costs.fixed_start..model.costs.fixed_end {
            ws.cost[t] += fixed;
        }
    }

    // Steps 3 and 5: payments and the waterfall, month by month.
    for (o, out) in model.outcomes.iter().enumerate() {
        ws.remaining_max[o] = out.max_paid;
    }
    ws.paid.fill(0);
    ws.contributed.fill(0.0);
    ws.distributed.fill(0.0);
    ws.outstanding.fill(0.0);
    ws.fv.fill(0.0);
    ws.flows.fill(0.0);
    let mut budget_left = model.budget_cap.unwrap_or(f64::INFINITY);
    let mut cap_hit = false;
    let (mut gross, mut success, mut excess_total, mut excess_payer_pv, mut excess_payer) =
        (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut contributions, mut distributions) = (0.0, 0.0);
    let mut payer_pv = 0.0;
    let mut position = 0.0;
    let mut peak: f64 = 0.0;
    let s_share = model.success_share;
    let nt = model.tranches.len();
    for t in 0..h {
        let mut invoiced = 0.0;
        for (o, out) in model.outcomes.iter().enumerate() {
            let n = ws.cash[o * h + t];
            if n > 0 {
                let pay_n = n.min(ws.remaining_max[o]);
                ws.remaining_max[o] -= pay_n;
                ws.paid[o] += pay_n;
                invoiced += pay_n as f64 * out.price;
            }
        }
        let pay = invoiced.min(budget_left);
        if pay < invoiced {
            cap_hit = true;
        }
        budget_left -= pay;
        ws.payments[t] = pay;
        gross += pay;
        let receipts = pay * (1.0 - s_share);
        success += pay * s_share;

        let c_t = ws.cost[t];
        delivery_cost += c_t;
        let (contrib, mut avail) = if model.recycling {
            let net = receipts - c_t;
            if net < 0.0 { (-net, 0.0) } else { (0.0, net) }
        } else {
            (c_t, receipts)
        };
        // Contributions first; the running FV at the cap rate compounds monthly.
        for (k, tr) in model.tranches.iter().enumerate() {
            if t > 0 {
                ws.fv[k] *= tr.cap_factor;
            }
            let ck = contrib * tr.share;
            ws.contributed[k] += ck;
            ws.outstanding[k] += ck;
            ws.fv[k] -= ck;
            ws.flows[k * h + t] = -ck;
        }
        contributions += contrib;
        let mut dist_t = 0.0;
        // Tier 1: return of capital by seniority, pro rata to outstanding within a rank.
        if avail > 0.0 {
            for &(g0, g1) in &model.seniority_groups {
                let group = &model.seniority_order[g0..g1];
                let due: f64 = group.iter().map(|&k| ws.outstanding[k]).sum();
                if due <= 0.0 {
                    continue;
                }
                let pay_g = avail.min(due);
                for &k in group {
                    let d = if pay_g == due {
                        ws.outstanding[k]
                    } else {
                        pay_g * ws.outstanding[k] / due
                    };
                    ws.outstanding[k] = if pay_g == due {
                        0.0
                    } else {
                        (ws.outstanding[k] - d).max(0.0)
                    };
                    ws.distributed[k] += d;
                    ws.fv[k] += d;
                    ws.flows[k * h + t] += d;
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
            for (k, tr) in model.tranches.iter().enumerate() {
                ws.alloc[k] = if tr.cap_irr.is_some() {
                    (-ws.fv[k]).max(0.0)
                } else {
                    f64::INFINITY
                };
                ws.active[k] = ws.alloc[k] > 0.0;
            }
            // ws.alloc holds remaining capacity; allocations go straight to the tranches.
            loop {
                let s: f64 = (0..nt)
                    .filter(|&k| ws.active[k])
                    .map(|k| model.tranches[k].share)
                    .sum();
                if s <= 0.0 || avail <= 0.0 {
                    break;
                }
                let level = avail / s;
                let mut filled = false;
                for k in 0..nt {
                    if ws.active[k] && ws.alloc[k] <= level * model.tranches[k].share {
                        let d = ws.alloc[k];
                        ws.distributed[k] += d;
                        ws.fv[k] += d;
                        ws.flows[k * h + t] += d;
                        avail -= d;
                        dist_t += d;
                        ws.active[k] = false;
                        filled = true;
                    }
                }
                if !filled {
                    for k in 0..nt {
                        if ws.active[k] {
                            let d = level * model.tranches[k].share;
                            ws.distributed[k] += d;
                            ws.fv[k] += d;
                            ws.flows[k * h + t] += d;
                            dist_t += d;
                        }
                    }
                    avail = 0.0;
                    break;
                }
            }
            avail = avail.max(0.0);
        }
        distributions += dist_t;
        // Tier 3: excess.
        excess_total += avail;
        if model.excess_to == ExcessTo::Payer {
            excess_payer += avail;
            excess_payer_pv += avail * disc.payer[t];
        }
        payer_pv += pay * disc.payer[t];
        position += contrib - dist_t;
        ws.position[t] = position;
        peak = peak.max(position);
    }

    // Step 6: guarantee at the last month.
    let mut guarantee = 0.0;
    if let Some((amount, k)) = model.guarantee {
        let shortfall = ws.contributed[k] - ws.distributed[k];
        if shortfall > 1e-9 * ws.contributed[k] && amount > 0.0 {
            guarantee = shortfall.min(amount);
            ws.flows[k * h + h - 1] += guarantee;
        }
    }

    // Metrics.
    for t in 0..h {
        ws.combined[t] = (0..nt).map(|k| ws.flows[k * h + t]).sum();
    }
    let back = distributions + guarantee;
    let net = back - contributions;
    let tol = 1e-9 * contributions;
    let npv: f64 = ws
        .combined
        .iter()
        .zip(&disc.hurdle)
        .map(|(f, d)| f * d)
        .sum();
    let payer_cost = gross - excess_payer + model.evaluation_cost;
    let payer_cost_pv = payer_pv - excess_payer_pv + model.evaluation_cost;
    let last = ws.outcome_total[model.last_outcome];
    let provider_bonus = success
        + if model.excess_to == ExcessTo::Provider {
            excess_total
        } else {
            0.0
        };

    let row = &mut ws.row;
    let l = layout;
    for o in 0..no {
        row[l.outcome + o] = ws.outcome_total[o] as f64;
        row[l.paid + o] = ws.paid[o] as f64;
        row[l.unpaid + o] = ws.unpaid[o] as f64;
    }
    row[l.payer_cost] = payer_cost;
    row[l.payer_cost_pv] = payer_cost_pv;
    for (i, (_, share)) in model.payers.iter().enumerate() {
        row[l.payer_cost_by + i] = share * payer_cost;
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
        let ck = ws.contributed[k];
        let bk = ws.distributed[k]
            + if model.guarantee.is_some_and(|g| g.1 == k) {
                guarantee
            } else {
                0.0
            };
        let base = l.tranche + 3 * k;
        row[base] = irr::annual_irr_with(Some(&disc.irr), flows, ck, bk);
        row[base + 1] = if ck > 0.0 { bk / ck } else { f64::NAN };
        row[base + 2] = bk - ck;
        row[l.flag_tranche_loss + k] = f64::from(u8::from(bk - ck < -1e-9 * ck));
    }
    row[l.guarantee_paid] = guarantee;
    row[l.provider_bonus] = provider_bonus;
    row[l.excess] = excess_total;
    row[l.flag_loss] = f64::from(u8::from(net < -tol));
    row[l.flag_below_hurdle] = f64::from(u8::from(npv < -tol));
    row[l.flag_guarantee_called] = f64::from(u8::from(guarantee > 0.0));

    ws.totals = MoneyTotals {
        gross_payments: gross,
        contributions,
        distributions,
        success_share: success,
        excess: excess_total,
        delivery_cost,
        guarantee,
    };
}
