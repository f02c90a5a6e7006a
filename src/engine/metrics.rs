//! Step 7 of a trial: the trial's metrics, IRRs included, into its row.

use super::irr;
use super::layout::Layout;
use super::workspace::{Discounts, Ledger, MoneyTotals, Workspace};
use crate::model::Model;
use crate::numeric::count_f64;
use crate::scenario::{ExcessTo, SupportBy};

/// Step 7: the trial's metrics (`docs/model.md`, "Metrics"), IRRs
/// included, into `ws.row`.
#[inline(never)]
pub fn metrics(model: &Model, layout: &Layout, disc: &Discounts, ws: &mut Workspace) {
    let lg = ws.ledger;
    let h = model.horizon;
    ws.combined.fill(0.0);
    for k in 0..model.tranches.len() {
        let flows = &ws.flows[k * h..(k + 1) * h];
        for (c, f) in ws.combined.iter_mut().zip(flows) {
            *c += f;
        }
    }
    counts(model, layout, ws);
    payers(model, layout, disc, &lg, ws);
    investors(model, layout, disc, &lg, ws);
    tranches(model, layout, disc, &lg, ws);
    let l = layout;
    let row = &mut ws.row;
    row[l.guarantee_paid] = if model.guarantee_by == SupportBy::Guarantor {
        lg.guarantee
    } else {
        0.0
    } + if model.floor.is_some_and(|f| f.by == SupportBy::Guarantor) {
        lg.floor
    } else {
        0.0
    };
    row[l.provider_bonus] = lg.success
        + if model.excess_to == ExcessTo::Provider {
            lg.excess_total
        } else {
            0.0
        };
    row[l.excess] = lg.excess_total;
    if let Some(i) = l.service_fee_paid {
        row[i] = lg.service_fees;
    }
    if let Some(i) = l.payer_support {
        row[i] = lg.payer_support;
    }
    if let Some(i) = l.floor_paid {
        row[i] = lg.floor;
    }
    if let Some((paid, share)) = l.fixed {
        row[paid] = lg.fixed;
        // The fixed part's share of everything the price paid (NaN when
        // nothing was paid).
        let total = lg.fixed + lg.gross;
        row[share] = if total > 0.0 {
            lg.fixed / total
        } else {
            f64::NAN
        };
    }
    if let (Some(tc), Some(tm)) = (l.transfers, &model.transfers) {
        let st = &ws.transfers;
        row[tc.transferred] = st.transferred;
        row[tc.earned] = st.earned;
        row[tc.shortfall] = st.earned - st.transferred - st.unpaid;
        let (mut full, mut nothing) = (0u32, 0u32);
        for (k, (a, &x)) in tm.agencies.iter().zip(st.paid()).enumerate() {
            row[tc.agency + k] = x;
            full += u32::from(a.commitment > 0.0 && x >= a.commitment * (1.0 - 1e-9));
            nothing += u32::from(x == 0.0);
        }
        row[tc.in_full] = f64::from(full);
        row[tc.nothing] = f64::from(nothing);
        row[tc.flag_binds] = f64::from(u8::from(st.binds));
    }
    providers(model, l, ws);
    let row = &mut ws.row;
    if let Some((recovered, repaid)) = l.advance {
        row[recovered] = lg.withheld;
        row[repaid] = lg.repaid;
    }
    row[l.flag_guarantee_called] = f64::from(u8::from(lg.guarantee > 0.0));
    if let Some(i) = l.flag_floor_called {
        row[i] = f64::from(u8::from(lg.floor > 0.0));
    }
    ws.totals = MoneyTotals {
        gross_payments: lg.gross,
        contributions: lg.contributions,
        distributions: lg.distributions,
        success_share: lg.success,
        excess: lg.excess_total,
        delivery_cost: lg.delivery_cost,
        service_fees: lg.service_fees,
        guarantee: lg.guarantee,
        floor: lg.floor,
        payer_support: lg.payer_support,
        fixed_payments: lg.fixed,
        advance: lg.advance,
        advance_recovered: lg.withheld,
        advance_repaid: lg.repaid,
    };
}

/// Each provider's stand-alone figures (docs/model.md, "Several providers"):
/// its true outcomes, its part of the outcome payments after every cap,
/// its delivery cost, its net (payments and service fees less cost), the
/// peak of its cumulative costs less receipts, and its loss flag.
#[inline(never)]
fn providers(model: &Model, l: &Layout, ws: &mut Workspace) {
    let Some(pc) = l.providers else {
        return;
    };
    let (h, ns, no) = (model.horizon, model.segments.len(), model.outcomes.len());
    let row = &mut ws.row;
    for q in 0..model.providers.len() {
        row[pc.first + q * pc.stride..pc.first + q * pc.stride + no].fill(0.0);
    }
    for (c, cohort) in model.cohorts.iter().enumerate() {
        let at = pc.first + cohort.provider * pc.stride;
        for (o, out) in model.outcomes.iter().enumerate() {
            let first = c * model.cell_stride + out.cells;
            let n: u64 = ws.cells[first..first + ns * out.spread].iter().sum();
            row[at + o] += count_f64(n);
        }
    }
    let fee = model.service_fee;
    for q in 0..model.providers.len() {
        let (pay, cost) = (
            &ws.provider_pay[q * h..(q + 1) * h],
            &ws.provider_cost[q * h..(q + 1) * h],
        );
        let (mut paid, mut spent, mut position, mut peak) = (0.0, 0.0, 0.0_f64, 0.0_f64);
        for (&p, &c) in pay.iter().zip(cost) {
            paid += p;
            spent += c;
            position += c - p - fee * c;
            peak = peak.max(position);
        }
        let net = paid + fee * spent - spent;
        let at = pc.first + q * pc.stride + pc.paid;
        row[at] = paid;
        row[at + 1] = spent;
        row[at + 2] = net;
        row[at + 3] = peak;
        row[pc.flag_loss + q] = f64::from(u8::from(net < -1e-9 * spent));
    }
}

/// Counts per outcome (true, paid, unpaid after the horizon) and per segment.
#[inline(always)]
fn counts(model: &Model, l: &Layout, ws: &mut Workspace) {
    let row = &mut ws.row;
    for o in 0..model.outcomes.len() {
        row[l.outcome + o] = count_f64(ws.outcome_total[o]);
        row[l.paid + o] = count_f64(ws.paid[o]);
        row[l.unpaid + o] = count_f64(ws.unpaid[o]);
    }
    for (mm, r) in model.measures.iter().zip(&ws.measured) {
        row[l.outcome + mm.outcome] = r.true_result;
        row[l.paid + mm.outcome] = r.paid;
        row[l.unpaid + mm.outcome] = r.unpaid;
    }
    for e in &l.evaluation {
        let (mm, r) = (&model.measures[e.measure], &ws.measured[e.measure]);
        row[e.error] = r.measured_money - r.true_money;
        row[e.false_trigger] = if r.true_money > 0.0 {
            f64::NAN
        } else {
            f64::from(u8::from(r.measured_money > 0.0))
        };
        if let Some(i) = e.withheld {
            // (A share within 1e-12 of the target's counts as reaching it.)
            let target = mm.target_share - 1e-12;
            row[i] = if mm.target_share > 0.0 && r.true_share >= target {
                f64::from(u8::from(r.measured_share < target))
            } else {
                f64::NAN
            };
        }
    }
    if let Some(first) = l.outcome_segment {
        let ns = model.segments.len();
        let mut at = first;
        for (o, out) in model.outcomes.iter().enumerate() {
            if out.measure.is_some() {
                continue;
            }
            for (x, k) in row[at..at + ns]
                .iter_mut()
                .zip(&ws.segment_total[o * ns..(o + 1) * ns])
            {
                *x = count_f64(*k);
            }
            at += ns;
        }
    }
}

/// The payers' cost (nominal, present value, per payer, per outcome), the
/// delivery cost and whether the budget cap cut a payment.
#[inline(always)]
fn payers(model: &Model, l: &Layout, disc: &Discounts, lg: &Ledger, ws: &mut Workspace) {
    let h = model.horizon;
    // Everything the payers pay besides outcome payments.
    let mut payer_other = model.evaluation_cost + lg.service_fees + lg.payer_support;
    let mut payer_cost = lg.gross - lg.excess_payer + model.evaluation_cost;
    let mut payer_cost_pv = lg.payer_pv - lg.excess_payer_pv + model.evaluation_cost;
    if !model.extra_receipts.is_empty() {
        // The fixed part, and the advance net of what came back (zero in
        // money, not in present value: docs/model.md, "Who funds the contract").
        let other = lg.fixed + (lg.advance - lg.withheld - lg.repaid);
        payer_other += other;
        payer_cost += other;
        payer_cost_pv += lg.other_payer_pv;
    }
    if lg.payer_support != 0.0 {
        payer_cost += lg.payer_support;
        payer_cost_pv += lg.payer_support * disc.payer[h - 1];
    }
    if lg.service_fees != 0.0 {
        payer_cost += lg.service_fees;
    }
    let row = &mut ws.row;
    let last = row[l.outcome + model.last_outcome];
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
    // (No outcome, or no net effect, has no cost per unit.)
    row[l.cost_per_outcome] = if last <= 0.0 {
        f64::NAN
    } else {
        payer_cost / last
    };
    row[l.delivery_cost] = lg.delivery_cost;
    row[l.budget_cap_hit] = f64::from(u8::from(lg.cap_hit));
}

/// The investors together: IRR, multiple, net, NPV at the hurdle,
/// contributions, peak funding, and the loss and hurdle flags.
#[inline(always)]
fn investors(model: &Model, l: &Layout, disc: &Discounts, lg: &Ledger, ws: &mut Workspace) {
    let back = lg.distributions + lg.guarantee + lg.floor;
    let contributions = lg.contributions;
    let net = back - contributions;
    let tol = 1e-9 * contributions;
    let npv: f64 = ws
        .combined
        .iter()
        .zip(&disc.hurdle)
        .map(|(f, d)| f * d)
        .sum();
    let row = &mut ws.row;
    row[l.investor_irr] = irr::annual_irr_with(Some(&disc.irr), &ws.combined, contributions, back);
    row[l.investor_moic] = if contributions > 0.0 {
        back / contributions
    } else {
        f64::NAN
    };
    row[l.investor_net] = net;
    row[l.investor_npv] = npv;
    row[l.investor_contributions] = contributions;
    row[l.peak_funding] = lg.peak;
    row[l.funding_gap] = f64::from(u8::from(
        model.committed_capital.is_some_and(|k| lg.peak > k),
    ));
    row[l.flag_loss] = f64::from(u8::from(net < -tol));
    row[l.flag_below_hurdle] = f64::from(u8::from(npv < -tol));
}

/// Each tranche: IRR, multiple, net and loss flag, with the guarantee or
/// floor that covers it.
#[inline(always)]
/// What tranche `k` contributed and got back over the trial, the guarantee
/// and the floor that went to it included.
fn tranche_money(model: &Model, lg: &Ledger, ws: &Workspace, k: usize) -> (f64, f64) {
    let ck = ws.tranche[k].contributed;
    let mut bk = ws.tranche[k].distributed
        + if model.guarantee.is_some_and(|g| g.1 == k) {
            lg.guarantee
        } else {
            0.0
        };
    if model.floor.is_some_and(|f| f.tranche == k) {
        bk += lg.floor;
    }
    (ck, bk)
}

/// What tranche `k` contributed and got back over the trial (the guarantee
/// and the floor that went to it included), after the trial's waterfall.
pub fn tranche_totals(model: &Model, ws: &Workspace, k: usize) -> (f64, f64) {
    tranche_money(model, &ws.ledger, ws, k)
}

fn tranches(model: &Model, l: &Layout, disc: &Discounts, lg: &Ledger, ws: &mut Workspace) {
    if !l.tranche_columns {
        return;
    }
    let h = model.horizon;
    for k in 0..model.tranches.len() {
        let flows = &ws.flows[k * h..(k + 1) * h];
        let (ck, bk) = tranche_money(model, lg, ws, k);
        let base = l.tranche + 3 * k;
        let row = &mut ws.row;
        row[base] = irr::annual_irr_with(Some(&disc.irr), flows, ck, bk);
        row[base + 1] = if ck > 0.0 { bk / ck } else { f64::NAN };
        row[base + 2] = bk - ck;
        row[l.flag_tranche_loss + k] = f64::from(u8::from(bk - ck < -1e-9 * ck));
    }
}
