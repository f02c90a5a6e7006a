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
    if !ws.fund_ceiling.is_empty() {
        return fund_limited(model, disc, ws);
    }
    // The shapes of the benchmark and bundled scenarios, and the simplest
    // deal, get their own copy of the code; any other shape runs the general one.
    let shape = (model.pay_groups, model.payers.len(), model.tranches.len());
    // (A fixed part of the price or an advance, or several providers, run
    // the general code.)
    if !model.providers.is_empty() {
        return match (shape, model.extra_receipts.is_empty()) {
            // (Two providers without segments, two payers and two tranches:
            // the benchmark's shape of several providers.)
            ((2, 2, 2), true) => waterfall_shaped::<2, 2, 2, false, true, false>(model, disc, ws),
            (_, true) => waterfall_shaped::<0, 0, 0, false, true, false>(model, disc, ws),
            (_, false) => waterfall_shaped::<0, 0, 0, true, true, false>(model, disc, ws),
        };
    }
    if !model.extra_receipts.is_empty() {
        return waterfall_shaped::<0, 0, 0, true, false, false>(model, disc, ws);
    }
    match shape {
        (1, 1, 1) => waterfall_shaped::<1, 1, 1, false, false, false>(model, disc, ws),
        (1, 2, 2) => waterfall_shaped::<1, 2, 2, false, false, false>(model, disc, ws),
        (2, 2, 2) => waterfall_shaped::<2, 2, 2, false, false, false>(model, disc, ws),
        (1, 3, 1) => waterfall_shaped::<1, 3, 1, false, false, false>(model, disc, ws),
        (2, 1, 1) => waterfall_shaped::<2, 1, 1, false, false, false>(model, disc, ws),
        (4, 2, 2) => waterfall_shaped::<4, 2, 2, false, false, false>(model, disc, ws),
        _ => waterfall_shaped::<0, 0, 0, false, false, false>(model, disc, ws),
    }
}

/// [`waterfall`] through its general code, whatever the model's shape: the
/// reference the shape-specialised copies are tested against.
#[doc(hidden)]
#[inline(never)]
pub fn waterfall_general(model: &Model, disc: &Discounts, ws: &mut Workspace) {
    if !ws.fund_ceiling.is_empty() {
        return fund_limited(model, disc, ws);
    }
    match (model.extra_receipts.is_empty(), model.providers.is_empty()) {
        (true, true) => waterfall_shaped::<0, 0, 0, false, false, false>(model, disc, ws),
        (false, true) => waterfall_shaped::<0, 0, 0, true, false, false>(model, disc, ws),
        (true, false) => waterfall_shaped::<0, 0, 0, false, true, false>(model, disc, ws),
        (false, false) => waterfall_shaped::<0, 0, 0, true, true, false>(model, disc, ws),
    }
}

/// [`waterfall`] of a deal whose programme's fund limits its payments
/// month by month (`ws.fund_ceiling`), through the general code.
#[inline(never)]
fn fund_limited(model: &Model, disc: &Discounts, ws: &mut Workspace) {
    match (model.extra_receipts.is_empty(), model.providers.is_empty()) {
        (true, true) => waterfall_shaped::<0, 0, 0, false, false, true>(model, disc, ws),
        (false, true) => waterfall_shaped::<0, 0, 0, true, false, true>(model, disc, ws),
        (true, false) => waterfall_shaped::<0, 0, 0, false, true, true>(model, disc, ws),
        (false, false) => waterfall_shaped::<0, 0, 0, true, true, true>(model, disc, ws),
    }
}

/// [`waterfall`] for `NS` segments, `NP` payers and `NT` tranches (0: as
/// many as the model has); `X` when the payers pay a fixed part of the
/// price or an advance; `P` when payments are attributed to providers; `F`
/// when a programme's fund limits each month's payment. One source for every shape: a fixed shape lets
/// the compiler unroll the loops over segments, payers and tranches and drop
/// their bounds checks (about a fifth of the waterfall's instructions), and
/// the operations and their order are the same, so are the numbers.
#[inline(always)]
fn waterfall_shaped<
    const NS: usize,
    const NP: usize,
    const NT: usize,
    const X: bool,
    const P: bool,
    const F: bool,
>(
    model: &Model,
    disc: &Discounts,
    ws: &mut Workspace,
) {
    let h = model.horizon;
    let fixed = |n: usize, len: usize| if n == 0 { len } else { n };
    let nt = fixed(NT, model.tranches.len());
    let np = fixed(NP, model.payers.len());
    let (tranches, payers) = (&model.tranches[..nt], &model.payers[..np]);
    let (last_cash, record) = (ws.last_cash.max(model.extra_end), ws.record_account);
    let split = model.payer_split;
    // Local slices: their pointers and lengths stay in registers through the loop.
    let mut sl = Slices::of(ws, nt, np, h);
    sl.reset(model, split);
    // Months after the last cost and the last payment move no money: only
    // their flows (zero) and the investors' position are written, after the loop.
    // (Cash left in the deal account keeps them active: see the loop.)
    let mut active_end = h;
    while active_end > last_cash && sl.cost[active_end - 1] == 0.0 {
        active_end -= 1;
    }
    let cash_end = active_end;
    if model.account_holds || model.advance.is_some() {
        active_end = h;
    }
    let mut r = Running::new(model);
    let k = Consts {
        h,
        ns: fixed(NS, model.pay_groups),
        nseg: model.segments.len(),
        np,
        split,
        s_share: model.success_share,
        fee_share: model.service_fee,
        every: model.distribution_every,
        cash_end,
        record,
    };
    let disc_payer = &disc.payer[..h];
    for t in 0..h {
        if !month::<X, P, F>(model, tranches, payers, disc_payer, &k, &mut sl, &mut r, t) {
            active_end = t;
            break;
        }
    }
    for t in active_end..h {
        sl.payments[t] = 0.0;
        sl.position_out[t] = r.position;
        for k in 0..nt {
            sl.flows[k * h + t] = 0.0;
        }
        if record {
            record_month(sl.account_out, h, t, [0.0; account::SERIES]);
        }
    }
    // Step 6: the guarantee, then the principal floor, in the last month.
    let (guarantee, floor, payer_support) = support(model, sl.tranche, sl.flows, h);
    let excess_back = model.excess_to == ExcessTo::Payer;
    ws.ledger = Ledger {
        gross: r.gross,
        success: r.success,
        excess_total: r.excess_total,
        excess_payer: if excess_back { r.excess_total } else { 0.0 },
        excess_payer_pv: if excess_back { r.excess_pv } else { 0.0 },
        contributions: r.contributions,
        distributions: r.distributions,
        payer_pv: r.payer_pv,
        peak: r.peak,
        cap_hit: r.cap_hit,
        delivery_cost: r.delivery_cost,
        service_fees: r.service_fees,
        guarantee,
        floor,
        payer_support,
        fixed: r.fixed,
        advance: r.advance,
        withheld: r.withheld,
        repaid: r.repaid,
        other_payer_pv: r.other_pv,
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
fn outcome_amount<const P: bool>(
    model: &Model,
    o: usize,
    out: &OutcomeModel,
    t: usize,
    k: &Consts,
    cash: &[u64],
    pay_cells: &[u64],
    remaining_max: &mut [u64],
    paid: &mut [u64],
    tier_position: &mut [u64],
    provider_invoiced: &mut [f64],
) -> Option<f64> {
    let Consts { ns, .. } = *k;
    // (Without providers the pay groups are the segments and every lot's
    // first group is 0.)
    let nseg = if P { k.nseg } else { ns };
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
        // (One pay group with providers: one provider without segments,
        // paid the whole month; see `attribute`.)
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
            let multipliers = &model.group_price[o * ns..(o + 1) * ns];
            let mut amount = 0.0;
            if P {
                for (g, (&k, &m)) in month.iter().zip(multipliers).enumerate() {
                    let a = count_f64(k) * price * m;
                    amount += a;
                    provider_invoiced[g / nseg] += a;
                }
            } else {
                for (&k, &m) in month.iter().zip(multipliers) {
                    amount += count_f64(k) * price * m;
                }
            }
            amount
        } else {
            // Lots in payment order (cohort, then segment) through max_paid and the tiers.
            let (l0, l1) = (
                model.lot_index[o * h + t] as usize,
                model.lot_index[o * h + t + 1] as usize,
            );
            let mut amount = 0.0;
            for (i, &cell) in model.lots[l0..l1].iter().enumerate() {
                let g0 = if P {
                    model.lot_group[l0 + i] as usize
                } else {
                    0
                };
                for s in 0..nseg {
                    let k = pay_cells[cell as usize + s * out.spread];
                    let pay_n = k.min(remaining_max[o]);
                    if pay_n == 0 {
                        continue;
                    }
                    remaining_max[o] -= pay_n;
                    paid[o] += pay_n;
                    let a = out.tier_amount(tier_position[o], pay_n)
                        * model.group_price[o * ns + g0 + s];
                    amount += a;
                    if P {
                        provider_invoiced[g0 / nseg] += a;
                    }
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

/// The running totals of one trial's waterfall (a local of the trial: its
/// fields stay in registers).
struct Running {
    delivery_cost: f64,
    service_fees: f64,
    budget_left: f64,
    cap_hit: bool,
    gross: f64,
    success: f64,
    excess_total: f64,
    contributions: f64,
    distributions: f64,
    payer_pv: f64,
    /// Cumulative investor position (contributions - distributions).
    position: f64,
    peak: f64,
    excess_pv: f64,
    /// Cash held in the deal account between months.
    held: f64,
    /// Outcome payments since the last settlement of excess, and the window
    /// they belong to (monthly settlement: the months up to the next
    /// distribution month; end: the whole contract).
    pay_window: f64,
    window: usize,
    /// The fixed part of the price and the advance received so far.
    fixed: f64,
    advance: f64,
    /// The advance not yet recovered, what was withheld from outcome
    /// payments to recover it, and what the deal repaid in the last month.
    advance_left: f64,
    withheld: f64,
    repaid: f64,
    /// The present value to the payers of the fixed part and the advance,
    /// net of what came back to them.
    other_pv: f64,
    /// Every tranche has its capital back and sits at its cap: the last
    /// distribution left money over, and until a new contribution the tiers
    /// would pay nothing (outstanding capital and the cap's future value are
    /// exactly 0), so they are skipped.
    saturated: bool,
}

impl Running {
    /// The investors' position moves by `by` in month `t` (written to
    /// `position_out`), and the peak follows it.
    #[inline(always)]
    fn moved(&mut self, t: usize, by: f64, position_out: &mut [f64]) {
        self.position += by;
        position_out[t] = self.position;
        if self.position > self.peak {
            self.peak = self.position;
        }
    }

    #[inline(always)]
    fn new(model: &Model) -> Running {
        Running {
            delivery_cost: 0.0,
            service_fees: 0.0,
            budget_left: model.budget_cap.unwrap_or(f64::INFINITY),
            cap_hit: false,
            gross: 0.0,
            success: 0.0,
            excess_total: 0.0,
            contributions: 0.0,
            distributions: 0.0,
            payer_pv: 0.0,
            position: 0.0,
            peak: 0.0,
            excess_pv: 0.0,
            held: 0.0,
            pay_window: 0.0,
            window: usize::MAX,
            fixed: 0.0,
            advance: 0.0,
            advance_left: 0.0,
            withheld: 0.0,
            repaid: 0.0,
            other_pv: 0.0,
            saturated: false,
        }
    }
}

/// What a month of the waterfall reads and does not change.
#[derive(Clone, Copy)]
struct Consts {
    h: usize,
    /// Pay groups (the segments, times the providers when there are).
    ns: usize,
    /// Segments.
    nseg: usize,
    np: usize,
    split: bool,
    s_share: f64,
    fee_share: f64,
    every: usize,
    /// One past the last month with a cost or a payment.
    cash_end: usize,
    record: bool,
}

/// The workspace's slices a month reads and writes.
struct Slices<'a> {
    cost: &'a [f64],
    payments: &'a mut [f64],
    flows: &'a mut [f64],
    tranche: &'a mut [TrancheState],
    position_out: &'a mut [f64],
    payer_month: &'a mut [f64],
    payer_cap_left: &'a mut [f64],
    payer_paid: &'a mut [f64],
    payer_excess: &'a mut [f64],
    payer_window: &'a mut [f64],
    account_out: &'a mut [f64],
    cash: &'a [u64],
    pay_cells: &'a [u64],
    measure_cash: &'a [f64],
    remaining_max: &'a mut [u64],
    paid: &'a mut [u64],
    tier_position: &'a mut [u64],
    paying: &'a [bool],
    provider_invoiced: &'a mut [f64],
    provider_pay: &'a mut [f64],
    fund_ceiling: &'a [f64],
}

impl<'a> Slices<'a> {
    /// The workspace's buffers cut to the trial's shape.
    #[inline(always)]
    fn of(ws: &'a mut Workspace, nt: usize, np: usize, h: usize) -> Slices<'a> {
        let Workspace {
            pay_cells,
            cash,
            measure_cash,
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
            paying,
            position,
            account,
            provider_invoiced,
            provider_pay,
            fund_ceiling,
            ..
        } = ws;
        Slices {
            cost: &cost[..h],
            payments: &mut payments[..h],
            flows: &mut flows[..nt * h],
            tranche: &mut tranche[..nt],
            position_out: &mut position[..h],
            payer_month: &mut payer_month[..np],
            payer_cap_left: &mut payer_cap_left[..np],
            payer_paid: &mut payer_paid[..np],
            payer_excess: &mut payer_excess[..np],
            payer_window: &mut payer_window[..np],
            account_out: &mut account[..account::SERIES * h],
            cash,
            pay_cells,
            measure_cash,
            remaining_max,
            paid,
            tier_position,
            paying,
            provider_invoiced,
            provider_pay,
            fund_ceiling,
        }
    }

    /// The trial's starting state: caps and counters full, tranches empty.
    #[inline(always)]
    fn reset(&mut self, model: &Model, split: bool) {
        for (r, out) in self.remaining_max.iter_mut().zip(&model.outcomes) {
            *r = out.max_paid;
        }
        self.tier_position.fill(0);
        self.paid.fill(0);
        self.tranche.fill(TrancheState::default());
        self.provider_pay.fill(0.0);
        self.provider_invoiced.fill(0.0);
        if split {
            self.payer_cap_left.copy_from_slice(&model.payer_caps);
            self.payer_paid.fill(0.0);
            self.payer_excess.fill(0.0);
        }
    }
}

/// Month `t` of the waterfall (docs/model.md, "The deal account"): its
/// cost, its outcome payments after every cap, the account's receipts and
/// costs, a distribution through the tiers, the excess. False once the
/// months left move no money.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn month<const X: bool, const P: bool, const F: bool>(
    model: &Model,
    tranches: &[TrancheModel],
    payers: &[(String, f64)],
    disc_payer: &[f64],
    k: &Consts,
    sl: &mut Slices,
    r: &mut Running,
    t: usize,
) -> bool {
    // After the last cost and payment, an empty account moves no money
    // in any later month (a held one still pays the tranches and settles).
    if t >= k.cash_end && r.held == 0.0 && r.advance_left == 0.0 {
        return false;
    }
    // What the investors fund of the month's cost, before receipts (the
    // payment steps below touch none of the totals this adds to): a
    // service fee reimburses part of the cost; investors fund the rest.
    let c_t = sl.cost[t];
    r.delivery_cost += c_t;
    let c_t = if k.fee_share > 0.0 {
        let fee = k.fee_share * c_t;
        r.service_fees += fee;
        r.payer_pv += fee * disc_payer[t];
        (1.0 - k.fee_share) * c_t
    } else {
        c_t
    };
    // Money due regardless of results this month (the fixed part, the
    // advance), and an advance still to be repaid in the last month.
    let (extra_t, repay_due) = if X {
        (
            model.extra_receipts[t],
            t + 1 == k.h && r.advance_left > 0.0,
        )
    } else {
        (0.0, false)
    };
    if !sl.paying[t] && r.held == 0.0 && extra_t == 0.0 && !repay_due {
        // Nothing is due (most months) and the account is empty: no
        // receipts, so the cost is all contribution and nothing is
        // distributed. The general path below would compute the same
        // bits; it only adds zeros.
        sl.payments[t] = 0.0;
        contribute(sl.tranche, tranches, sl.flows, k.h, t, c_t);
        r.contributions += c_t;
        if c_t > 0.0 {
            r.saturated = false;
        }
        r.moved(t, c_t, sl.position_out);
        if k.record {
            record_month(sl.account_out, k.h, t, [0.0, c_t, c_t, 0.0, 0.0, 0.0]);
        }
        return true;
    }
    // Step 3: the month's outcome payments, after every cap (nothing is
    // due in a month without cash: the caps and counters stay as they are).
    let (invoiced, pay) = if sl.paying[t] {
        invoice::<P>(
            model,
            payers,
            k,
            t,
            sl.cash,
            sl.pay_cells,
            sl.measure_cash,
            sl.remaining_max,
            sl.paid,
            sl.tier_position,
            sl.payer_month,
            sl.payer_cap_left,
            sl.payer_paid,
            &mut r.budget_left,
            &mut r.cap_hit,
            sl.provider_invoiced,
        )
    } else {
        (0.0, 0.0)
    };
    // In a programme, the fund's budget may pay less (docs/model.md, "Programmes").
    let pay = if F && pay > sl.fund_ceiling[t] {
        fund_cut(model, k.split, sl, r, pay, sl.fund_ceiling[t])
    } else {
        pay
    };
    sl.payments[t] = pay;
    if P && invoiced > 0.0 {
        attribute(k.h, t, invoiced, pay, sl.provider_invoiced, sl.provider_pay);
    }
    r.gross += pay;
    let mut receipts = pay * (1.0 - k.s_share);
    r.success += pay * k.s_share;
    let c_t = if X {
        extras(model, t, disc_payer[t], extra_t, &mut receipts, r) + c_t
    } else {
        c_t
    };

    // Step 1: receipts into the account. Step 2: with recycling the
    // account pays the month's costs first; investors fund the rest.
    // (With an empty account this is the monthly waterfall's
    // N_t = R_t - C_t, bit for bit: c - r is exactly -(r - c).)
    r.held += receipts;
    let contrib = if model.recycling {
        let from_account = r.held.min(c_t);
        r.held -= from_account;
        c_t - from_account
    } else {
        c_t
    };
    contribute(sl.tranche, tranches, sl.flows, k.h, t, contrib);
    r.contributions += contrib;
    if contrib > 0.0 {
        r.saturated = false;
    }
    // Step 3: a distribution month sends the account through the tiers.
    let distributing = k.every == 1 || (t + 1).is_multiple_of(k.every) || t + 1 == k.h;
    let dist_t = if distributing && !r.saturated {
        distribute(model, tranches, k.h, t, sl.tranche, sl.flows, r)
    } else {
        0.0
    };
    let excess = settle(
        model,
        k,
        t,
        distributing,
        invoiced,
        pay,
        sl.payer_month,
        sl.payer_window,
        sl.payer_excess,
        r,
    );
    r.excess_total += excess;
    r.excess_pv += excess * disc_payer[t];
    r.payer_pv += pay * disc_payer[t];
    record_month(
        sl.account_out,
        k.h,
        t,
        [receipts, c_t, contrib, dist_t, excess, r.held],
    );
    r.moved(t, contrib - dist_t, sl.position_out);
    true
}

/// Month `t`'s payment `pay` cut to what a programme's fund pays,
/// `ceiling`: the payers' parts cut alike, and what the cut did not pay
/// given back to the deal's own budget cap and payer caps (they count what
/// is paid). The payment.
#[inline(never)]
fn fund_cut(
    model: &Model,
    split: bool,
    sl: &mut Slices,
    r: &mut Running,
    pay: f64,
    ceiling: f64,
) -> f64 {
    let cut = pay - ceiling;
    if split {
        let f = ceiling / pay;
        for ((m, left), total) in sl
            .payer_month
            .iter_mut()
            .zip(sl.payer_cap_left.iter_mut())
            .zip(sl.payer_paid.iter_mut())
        {
            let back = *m * (1.0 - f);
            *m -= back;
            *left += back;
            *total -= back;
        }
    }
    if model.budget_cap.is_some() {
        r.budget_left += cut;
    }
    ceiling
}

/// Month `t`'s outcome payment `pay`, after every cap, shared over the
/// providers in proportion to what each invoiced of `invoiced`
/// (docs/model.md, "Several providers"); the invoices start again at 0.
#[inline(never)]
fn attribute(
    h: usize,
    t: usize,
    invoiced: f64,
    pay: f64,
    provider_invoiced: &mut [f64],
    provider_pay: &mut [f64],
) {
    if provider_invoiced.len() == 1 {
        // One provider: the whole payment is its own.
        provider_pay[t] = pay;
        provider_invoiced[0] = 0.0;
        return;
    }
    let f = pay / invoiced;
    for (q, inv) in provider_invoiced.iter_mut().enumerate() {
        provider_pay[q * h + t] = *inv * f;
        *inv = 0.0;
    }
}

/// Month `t`'s money due regardless of results (docs/model.md, "Who funds
/// the contract"): first the advance is recovered from the month's outcome
/// receipts (`recovery` of them, up to what is left), then the fixed part
/// and the advance paid this month join the receipts; in the last month
/// what is still unrecovered is repaid, returned as a cost of the month.
#[inline(never)]
fn extras(
    model: &Model,
    t: usize,
    disc: f64,
    extra_t: f64,
    receipts: &mut f64,
    r: &mut Running,
) -> f64 {
    if let Some(a) = model.advance {
        if r.advance_left > 0.0 && *receipts > 0.0 {
            let w = (*receipts * a.recovery).min(r.advance_left);
            r.advance_left -= w;
            r.withheld += w;
            r.other_pv -= w * disc;
            *receipts -= w;
        }
        if t == a.month {
            r.advance += a.amount;
            r.advance_left += a.amount;
        }
    }
    if extra_t != 0.0 {
        if let Some(&f) = model.fixed_payments.get(t) {
            r.fixed += f;
        }
        *receipts += extra_t;
        r.other_pv += extra_t * disc;
    }
    // (Also an advance paid in the last month itself.)
    if t + 1 == model.horizon && r.advance_left > 0.0 {
        let repay = r.advance_left;
        r.advance_left = 0.0;
        r.repaid += repay;
        r.other_pv -= repay * disc;
        return repay;
    }
    0.0
}

/// Month `t`'s outcome payments (docs/model.md, "Payments"): each outcome's
/// invoice after `max_paid` and its tiers, split by payer, then the budget
/// cap and each payer's cap; (invoiced, paid).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn invoice<const P: bool>(
    model: &Model,
    payers: &[(String, f64)],
    k: &Consts,
    t: usize,
    cash: &[u64],
    pay_cells: &[u64],
    measure_cash: &[f64],
    remaining_max: &mut [u64],
    paid: &mut [u64],
    tier_position: &mut [u64],
    payer_month: &mut [f64],
    payer_cap_left: &mut [f64],
    payer_paid: &mut [f64],
    budget_left: &mut f64,
    cap_hit: &mut bool,
    provider_invoiced: &mut [f64],
) -> (f64, f64) {
    let Consts { np, split, .. } = *k;
    let mut invoiced = 0.0;
    // (Split by payer:) what every payer pays by share.
    let mut invoiced_all = 0.0;
    for (o, out) in model.outcomes.iter().enumerate() {
        let due = match out.measure {
            // An effect or rate outcome: the amount its rounds made due.
            Some(m) => Some(measure_cash[m * k.h + t]).filter(|&a| a != 0.0),
            None => outcome_amount::<P>(
                model,
                o,
                out,
                t,
                k,
                cash,
                pay_cells,
                remaining_max,
                paid,
                tier_position,
                provider_invoiced,
            ),
        };
        let Some(amount) = due else {
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
    let pay = settle_caps(
        model,
        payers,
        invoiced,
        invoiced_all,
        budget_left,
        cap_hit,
        payer_month,
        payer_cap_left,
        payer_paid,
    );
    (invoiced, pay)
}

/// After month `t`'s distribution: the payers' payments join the current
/// settlement window, and excess leaves after a distribution (monthly
/// settlement) or in the last month (end), split over the payers by their
/// payments in the window; otherwise it waits in the account. The excess.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn settle(
    model: &Model,
    k: &Consts,
    t: usize,
    distributing: bool,
    invoiced: f64,
    pay: f64,
    payer_month: &mut [f64],
    payer_window: &mut [f64],
    payer_excess: &mut [f64],
    r: &mut Running,
) -> f64 {
    let Consts {
        h, split, every, ..
    } = *k;
    let last_month = t + 1 == h;
    if split {
        // The payers' payments of the current settlement window.
        let w = if model.excess_monthly { t / every } else { 0 };
        if w != r.window {
            r.window = w;
            payer_window.fill(0.0);
            r.pay_window = 0.0;
        }
        if invoiced > 0.0 {
            for (acc, m) in payer_window.iter_mut().zip(payer_month.iter()) {
                *acc += *m;
            }
            r.pay_window += pay;
            payer_month.fill(0.0);
        }
    }
    // Step 4: excess leaves after a distribution (monthly settlement)
    // or in the last month (end); otherwise it waits in the account.
    let mut excess = 0.0;
    if distributing && (model.excess_monthly || last_month) {
        // (An advance not yet recovered is owed back to the payers: the
        // account keeps it; docs/model.md, "Who funds the contract".)
        excess = r.held;
        r.held = 0.0;
        if r.advance_left > 0.0 {
            r.held = excess.min(r.advance_left);
            excess -= r.held;
        }
        if split && excess > 0.0 && model.excess_to == ExcessTo::Payer {
            if r.pay_window > 0.0 {
                for (e, m) in payer_excess.iter_mut().zip(payer_window.iter()) {
                    *e += excess * m / r.pay_window;
                }
            } else {
                // Excess of money paid regardless of results (a fixed part,
                // an advance), with no outcome payment in the window: back
                // to the payers by share.
                for (e, (_, share)) in payer_excess.iter_mut().zip(model.payers.iter()) {
                    *e += excess * share;
                }
            }
        }
    }
    excess
}

/// A distribution in month `t`: the account's cash through tier 1 (capital
/// back by seniority, pro rata to outstanding within a rank) and tier 2 (up
/// to each tranche's IRR cap, water-filling by share); what is left stays
/// in the account. What the tranches received.
#[inline(always)]
fn distribute(
    model: &Model,
    tranches: &[TrancheModel],
    h: usize,
    t: usize,
    tranche: &mut [TrancheState],
    flows: &mut [f64],
    r: &mut Running,
) -> f64 {
    let mut avail = r.held;
    let mut dist_t = 0.0;
    if avail > 0.0 {
        return_capital(model, tranche, flows, h, t, &mut avail, &mut dist_t);
    }
    if avail > 0.0 {
        return_to_caps(tranche, tranches, flows, h, t, &mut avail, &mut dist_t);
    }
    r.held = avail;
    r.saturated = avail > 0.0;
    r.distributions += dist_t;
    dist_t
}
