//! Steps 3 to 6 of a trial: payments against caps and tiers, the payers'
//! budgets, and the deal account's waterfall to the tranches (see
//! `docs/model.md`, "The deal account").

use super::workspace::{Discounts, Ledger, TrancheState, Workspace, account};
use crate::model::{Model, OutcomeModel, TrancheModel};
use crate::numeric::count_f64;
use crate::scenario::{ExcessTo, SupportBy};

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
    // The deal account (docs/model.md, "The deal account"): cash held between months.
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
                let Some(amount) = outcome_amount(
                    model,
                    o,
                    out,
                    t,
                    ns,
                    cash,
                    pay_cells,
                    remaining_max,
                    paid,
                    tier_position,
                ) else {
                    continue;
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
            pay = settle_caps(
                model,
                payers,
                invoiced,
                invoiced_all,
                &mut budget_left,
                &mut cap_hit,
                payer_month,
                payer_cap_left,
                payer_paid,
            );
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
            return_capital(model, tranche, flows, h, t, &mut avail, &mut dist_t);
        }
        // Tier 2: return up to each tranche's IRR cap, water-filling by share.
        if avail > 0.0 {
            return_to_caps(tranche, tranches, flows, h, t, &mut avail, &mut dist_t);
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
    let (guarantee, floor, payer_support) = support(model, tranche, flows, h);

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

/// Tier 1 of month `t`: capital back by seniority, pro rata to what is
/// outstanding within a rank, from `avail`; adds what it pays to `dist_t`.
#[inline(always)]
fn return_capital(
    model: &Model,
    tranche: &mut [TrancheState],
    flows: &mut [f64],
    h: usize,
    t: usize,
    avail: &mut f64,
    dist_t: &mut f64,
) {
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
        *avail -= pay_g;
        *dist_t += pay_g;
        if *avail <= 0.0 {
            *avail = 0.0;
            break;
        }
    }
}

/// Tier 2 of month `t`: up to each tranche's IRR cap, water-filling by
/// share, from `avail`; adds what it pays to `dist_t`.
#[inline(always)]
fn return_to_caps(
    tranche: &mut [TrancheState],
    tranches: &[TrancheModel],
    flows: &mut [f64],
    h: usize,
    t: usize,
    avail: &mut f64,
    dist_t: &mut f64,
) {
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
        if s <= 0.0 || *avail <= 0.0 {
            break;
        }
        let level = *avail / s;
        let mut filled = false;
        for (k, (st, tr)) in tranche.iter_mut().zip(tranches).enumerate() {
            if st.active && st.room <= level * tr.share {
                let d = st.room;
                st.distributed += d;
                st.fv += d;
                flows[k * h + t] += d;
                *avail -= d;
                *dist_t += d;
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
                    *dist_t += d;
                }
            }
            *avail = 0.0;
            break;
        }
    }
    *avail = avail.max(0.0);
}

/// What outcome `o` is invoiced in month `t` after `max_paid` and its price
/// tiers, counting what it pays; `None` when nothing of it is due.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn outcome_amount(
    model: &Model,
    o: usize,
    out: &OutcomeModel,
    t: usize,
    ns: usize,
    cash: &[u64],
    pay_cells: &[u64],
    remaining_max: &mut [u64],
    paid: &mut [u64],
    tier_position: &mut [u64],
) -> Option<f64> {
    let h = model.horizon;
    let amount = if ns == 1 {
        // One group: the month's count is paid at once (the cohorts'
        // order cannot change which price a unit gets).
        let n = cash[o * h + t];
        if n == 0 {
            return None;
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
            return None;
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
            let lots = &model.lots
                [model.lot_index[o * h + t] as usize..model.lot_index[o * h + t + 1] as usize];
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
                    amount +=
                        out.tier_amount(tier_position[o], pay_n) * model.segment_price[o * ns + s];
                    tier_position[o] += pay_n;
                }
            }
            amount
        }
    };
    Some(amount)
}

/// The month's payment of `invoiced` (of which `invoiced_all` is due from
/// every payer by share, the rest already in `payer_month` per payer): the
/// budget cap cuts it first, then each payer's own cap (`docs/model.md`,
/// "Payments").
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn settle_caps(
    model: &Model,
    payers: &[(String, f64)],
    invoiced: f64,
    invoiced_all: f64,
    budget_left: &mut f64,
    cap_hit: &mut bool,
    payer_month: &mut [f64],
    payer_cap_left: &mut [f64],
    payer_paid: &mut [f64],
) -> f64 {
    let split = model.payer_split;
    if !split {
        let pay = if invoiced > *budget_left {
            *cap_hit = true;
            *budget_left
        } else {
            invoiced
        };
        *budget_left -= pay;
        pay
    } else if invoiced > 0.0 {
        // The budget cap cuts the month pro rata over payers; then each
        // payer's part is cut to its own remaining cap.
        let f = if invoiced > *budget_left {
            *cap_hit = true;
            *budget_left / invoiced
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
        *budget_left = (*budget_left - pay).max(0.0);
        pay
    } else {
        0.0
    }
}

/// Step 6: the guarantee, then the principal floor, in the last month;
/// (guarantee, floor, what of them the payers fund).
#[inline(always)]
fn support(
    model: &Model,
    tranche: &[TrancheState],
    flows: &mut [f64],
    h: usize,
) -> (f64, f64, f64) {
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
    (guarantee, floor, payer_support)
}
