//! Step 7 of a trial: the trial's metrics, IRRs included, into its row.

use super::irr;
use super::layout::Layout;
use super::workspace::{Discounts, Ledger, MoneyTotals, Workspace};
use crate::model::Model;
use crate::numeric::count_f64;
use crate::scenario::{ExcessTo, SupportBy};

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
