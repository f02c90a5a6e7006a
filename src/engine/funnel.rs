//! Step 2 of a trial: the binomial funnel per cohort and segment, the
//! delivery cost per month, and the counts eligible for payment.

use rand::rngs::Xoshiro256PlusPlus;

use super::params::cohort_size;
use super::variates::beta;
use super::variates::binomial::{self, LANES};
use super::workspace::Workspace;
use crate::model::{CohortModel, Model, Value};
use crate::numeric::{count_f64, trunc_count};

/// Rounds half up a measured count, clamping at 0 (docs/scenario-format.md, "Payment mechanics of real contracts").
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
    // (Several providers run the general code with their costs and pay groups.)
    if !model.providers.is_empty() {
        return funnel_shaped::<0, true>(model, rng, ws);
    }
    match model.segments.len() {
        2 => funnel_shaped::<2, false>(model, rng, ws),
        4 => funnel_shaped::<4, false>(model, rng, ws),
        _ => funnel_shaped::<0, false>(model, rng, ws),
    }
}

/// [`funnel`] through its general code, whatever the number of segments: the
/// reference the specialised copies are tested against.
#[doc(hidden)]
#[inline(never)]
pub fn funnel_general(model: &Model, rng: &mut Xoshiro256PlusPlus, ws: &mut Workspace) {
    if model.providers.is_empty() {
        funnel_shaped::<0, false>(model, rng, ws);
    } else {
        funnel_shaped::<0, true>(model, rng, ws);
    }
}

/// [`funnel`] for `NS` segments (0: as many as the model has), `P` with
/// several providers. One source
/// for every count: a fixed count lets the compiler unroll the loops over
/// segments and drop their bounds checks; same operations in the same order,
/// so the same numbers.
#[inline(always)]
fn funnel_shaped<const NS: usize, const P: bool>(
    model: &Model,
    rng: &mut Xoshiro256PlusPlus,
    ws: &mut Workspace,
) {
    let h = model.horizon;
    let ns = if NS == 0 { model.segments.len() } else { NS };
    let stride = model.cell_stride;
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
        sizes,
        netting_base,
        provider_cost,
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
    let netted = model.outcomes.iter().any(|o| !o.netting_order.is_empty());
    if netted {
        netting_base.fill(0);
    }
    let per_participant = model.costs.per_participant.get(p);
    // With providers (docs/model.md, "Several providers") each cohort's
    // costs are its provider's, booked to the provider's own months and
    // summed into the contract's at the end; its counts go to its
    // provider's pay groups.
    let ng = if P { model.pay_groups } else { ns };
    if P {
        provider_cost.fill(0.0);
    }
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
            split_segments(model, ns, size, segment_size, rng);
        }
        if !model.measures.is_empty() {
            sizes[c0..c0 + lanes].copy_from_slice(&size[..lanes]);
        }
        for (o, out) in model.outcomes.iter().enumerate() {
            if out.measure.is_some() {
                // An effect or rate outcome: drawn after the funnel.
                continue;
            }
            let rate = cohort_rates::<P>(model, o, cohorts, p, rng);
            if out.simple {
                // One cell: the plain funnel step (no segments, one lag month).
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
            draw_cells(
                model,
                o,
                c0,
                lanes,
                ns,
                &size,
                &rate,
                segment_size,
                cells,
                rng,
            );
        }
        // The bookkeeping, cohort by cohort in order.
        for (l, cohort) in cohorts.iter().enumerate() {
            let (costs, cost, group) = if P {
                let q = cohort.provider;
                (
                    &model.providers[q].costs,
                    &mut provider_cost[q * h..(q + 1) * h],
                    q * ns,
                )
            } else {
                (&model.costs, &mut *cost, 0)
            };
            let pp = if P {
                costs.per_participant.get(p)
            } else {
                per_participant
            };
            cost[cohort.start] += count_f64(size[l]) * pp;
            book_cohort(
                model,
                c0 + l,
                size[l],
                (ns, ng, group),
                (p, costs),
                cells,
                pay_cells,
                Due {
                    cash: cash_due,
                    paying,
                    cost,
                    outcome_total,
                    segment_total,
                    unpaid,
                    last_cash: &mut last_cash,
                },
                netting_base,
            );
        }
    }
    if netted {
        net_across_contract(
            model,
            (ns, ng),
            p,
            (cells, pay_cells),
            netting_base,
            (cash_due, paying, unpaid),
            &mut last_cash,
        );
    }
    *last_cash_out = last_cash;
    if P {
        for (q, pm) in model.providers.iter().enumerate() {
            let own = &mut provider_cost[q * h..(q + 1) * h];
            add_fixed_costs(&pm.costs, p, own);
            for (c, x) in cost.iter_mut().zip(own.iter()) {
                *c += x;
            }
        }
    }
    add_fixed_costs(&model.costs, p, cost);
}

/// The costs of `costs` that do not depend on participants: the upfront
/// cost in month 0 and the fixed monthly cost in its months.
#[inline(always)]
fn add_fixed_costs(costs: &crate::model::CostModel, p: &[f64], cost: &mut [f64]) {
    cost[0] += costs.upfront.get(p);
    let fixed = costs.fixed_monthly.get(p);
    if fixed != 0.0 {
        for c in &mut cost[costs.fixed_start..costs.fixed_end] {
            *c += fixed;
        }
    }
}

/// Outcome `o`'s rate for each cohort of a group, one after the other: the
/// trial's rate, the cohort's own draw (`cohort_sd`), the active shocks.
#[inline(always)]
fn cohort_rates<const P: bool>(
    model: &Model,
    o: usize,
    cohorts: &[CohortModel],
    p: &[f64],
    rng: &mut Xoshiro256PlusPlus,
) -> [f64; LANES] {
    let out = &model.outcomes[o];
    let mut rate = [0.0; LANES];
    for (rate, cohort) in rate.iter_mut().zip(cohorts) {
        let mut r = out.rate.get(p);
        if P {
            // The provider's own rate: the contract's times its multiplier.
            r = (r * model.providers[cohort.provider].rate[o].get(p)).min(1.0);
        }
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
    rate
}

/// The successes of outcome `o` (not a one-cell outcome) for a group of
/// cohorts starting at `c0`: per segment and base month one binomial for
/// every cohort of the group, each split over its lag's months, into the
/// count cells.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn draw_cells(
    model: &Model,
    o: usize,
    c0: usize,
    lanes: usize,
    ns: usize,
    size: &[u64; LANES],
    rate: &[f64; LANES],
    segment_size: &[u64],
    cells: &mut [u64],
    rng: &mut Xoshiro256PlusPlus,
) {
    let out = &model.outcomes[o];
    let stride = model.cell_stride;
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
    let (mut joint_left, mut joint_mass) = (*size, [1.0; LANES]);
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

/// Where a cohort's counts go: cash due per outcome and month, the months
/// with something to pay, costs, totals and what is never paid.
struct Due<'a> {
    cash: &'a mut [u64],
    paying: &'a mut [bool],
    cost: &'a mut [f64],
    outcome_total: &'a mut [u64],
    segment_total: &'a mut [u64],
    unpaid: &'a mut [u64],
    last_cash: &'a mut usize,
}

/// The bookkeeping of cohort `c` (of size `size`): true counts (totals,
/// segments and the per-outcome cost of each event month), then the counts
/// eligible for payment (the earliest successes, by month then segment, are
/// the counterfactual ones; then the measurement) and their cash month.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn book_cohort(
    model: &Model,
    c: usize,
    size: u64,
    (ns, ng, group): (usize, usize, usize),
    (p, costs): (&[f64], &crate::model::CostModel),
    cells: &[u64],
    pay_cells: &mut [u64],
    due: Due,
    netting_base: &mut [u64],
) {
    let Due {
        cash: cash_due,
        paying,
        cost,
        outcome_total,
        segment_total,
        unpaid,
        last_cash,
    } = due;
    let h = model.horizon;
    let plag = model.payment_lag;
    let cohort = &model.cohorts[c];
    let block = c * model.cell_stride;
    for (o, out) in model.outcomes.iter().enumerate() {
        if out.measure.is_some() {
            continue;
        }
        let first = block + out.cells;
        if out.simple {
            let k = cells[first];
            // (Its cell is the base of later outcomes; without segments
            // nothing reads pay_cells or segment_total, but with several
            // providers a binding max_paid pays their lots from pay_cells.)
            if ng != ns {
                pay_cells[first] = k;
            }
            outcome_total[o] += k;
            let event = cohort.start + out.first_lag;
            if event < h {
                cost[event] += count_f64(k) * costs.per_outcome[o].get(p);
            }
            let cash = event + plag;
            if cash < h {
                // (Without providers a simple outcome has one group.)
                let at = if ng == 1 {
                    o * h + cash
                } else {
                    (o * h + cash) * ng + group
                };
                cash_due[at] += k;
                if k > 0 {
                    *last_cash = (*last_cash).max(cash + 1);
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
            None => size,
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
        let cost_o = costs.per_outcome[o].get(p);
        if !out.netting_order.is_empty() {
            // Netted across the contract: only the true counts here; what is
            // paid is decided once every cohort is drawn.
            netting_base[o] += base_total;
            for j in 0..spread {
                let event = cohort.start + out.first_lag + j;
                let mut k = 0;
                for s in 0..ns {
                    let x = cells[s * spread + j];
                    k += x;
                    if model.segmented {
                        segment_total[o * ns + s] += x;
                    }
                }
                outcome_total[o] += k;
                if event < h {
                    cost[event] += count_f64(k) * cost_o;
                }
            }
            continue;
        }
        let mut left = out
            .counterfactual
            .map_or(0, |rate| trunc_count(rate * count_f64(base_total) + 0.5)); // floor: non-negative
        let factor = out.measurement.map(|e| 1.0 + e.get(p));
        for j in 0..spread {
            let event = cohort.start + out.first_lag + j;
            let cash = out.cash_month(event, plag);
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
                    cash_due[(o * h + cash) * ng + group + s] += y;
                }
            }
            outcome_total[o] += k;
            if event < h {
                cost[event] += count_f64(k) * cost_o;
            }
            if cash >= h {
                unpaid[o] += k_pay;
            } else if k_pay > 0 {
                *last_cash = (*last_cash).max(cash + 1);
                paying[cash] = true;
            }
        }
    }
}

/// The counts eligible for payment of every count outcome whose
/// counterfactual is netted across the contract (docs/model.md, "Measured
/// outcomes"): the round(rate x the whole base) earliest successes of the
/// contract (by month, then cohort, then segment) are not paid; then the
/// measurement and the cash month, as per cohort.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn net_across_contract(
    model: &Model,
    (ns, ng): (usize, usize),
    p: &[f64],
    (cells, pay_cells): (&[u64], &mut [u64]),
    netting_base: &[u64],
    (cash_due, paying, unpaid): (&mut [u64], &mut [bool], &mut [u64]),
    last_cash: &mut usize,
) {
    let h = model.horizon;
    let plag = model.payment_lag;
    for (o, out) in model.outcomes.iter().enumerate() {
        if out.netting_order.is_empty() {
            continue;
        }
        let spread = out.spread;
        let mut left = out.counterfactual.map_or(0, |rate| {
            trunc_count(rate * count_f64(netting_base[o]) + 0.5) // floor: non-negative
        });
        let factor = out.measurement.map(|e| 1.0 + e.get(p));
        for &(cell, event) in &out.netting_order {
            let (cell, event) = (cell as usize, event as usize);
            let cash = out.cash_month(event, plag);
            // The cohort's provider's pay groups (0 without providers, or
            // with one).
            let group = if ng == ns {
                0
            } else {
                model.cohorts[cell / model.cell_stride].provider * ns
            };
            let mut k_pay = 0;
            for s in 0..ns {
                let x = cells[cell + s * spread];
                let t = x.min(left);
                left -= t;
                let y = match factor {
                    Some(f) => measured(x - t, f),
                    None => x - t,
                };
                pay_cells[cell + s * spread] = y;
                k_pay += y;
                if cash < h {
                    cash_due[(o * h + cash) * ng + group + s] += y;
                }
            }
            if cash >= h {
                unpaid[o] += k_pay;
            } else if k_pay > 0 {
                *last_cash = (*last_cash).max(cash + 1);
                paying[cash] = true;
            }
        }
    }
}

/// Each cohort of a group split over the segments, Multinomial(size,
/// shares) as a chain of binomials, into `segment_size[lane * ns + segment]`.
#[inline(always)]
fn split_segments(
    model: &Model,
    ns: usize,
    size: [u64; LANES],
    segment_size: &mut [u64],
    rng: &mut Xoshiro256PlusPlus,
) {
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
