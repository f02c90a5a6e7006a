//! The per-trial invariants of docs/model.md, shared by the
//! property tests and the mechanics tests.

use ibsim::engine::{Discounts, Draws, Layout, Workspace, run_trial};
use ibsim::model::Model;
use ibsim::scenario::parse_str;

/// What running single trials of a scenario needs.
struct Trials {
    m: Model,
    layout: Layout,
    disc: Discounts,
    draws: Draws,
    ws: Workspace,
}

/// Compiles generated scenario text for `trials` single trials.
fn trials_of(text: &str, trials: u64) -> Result<Trials, String> {
    let loaded = parse_str(text, "generated.yaml")
        .map_err(|d| format!("generator wrote an invalid scenario: {}", d[0]))?;
    let m = Model::compile(&loaded.scenario);
    let layout = Layout::new(&m);
    let disc = Discounts::new(&m);
    let draws = Draws {
        seed: m.seed,
        trials,
        sampling: m.sampling,
    };
    let ws = Workspace::new(&m, &layout);
    Ok(Trials {
        m,
        layout,
        disc,
        draws,
        ws,
    })
}

/// Every invariant, in every trial; `Err` names the first one broken.
pub fn every_trial(text: &str, trials: u64) -> Result<(), String> {
    let Trials {
        m,
        layout,
        disc,
        draws,
        mut ws,
    } = trials_of(text, trials)?;
    let col = |ws: &Workspace, name: &str| ws.row[layout.index_of(name).unwrap()];
    for t in 0..trials {
        run_trial(&m, &layout, &disc, &draws, t, &mut ws);
        let x = ws.totals;
        let scale = x
            .gross_payments
            .max(x.delivery_cost)
            .max(x.contributions)
            .max(1.0);
        if !x.is_conserved() {
            return Err(format!(
                "trial {t}: money not conserved, gap {}",
                x.conservation_gap()
            ));
        }
        // (Without recycling the funder also pays back, in the last month,
        // an advance the results did not recover.)
        if !m.recycling
            && (x.contributions + x.service_fees - x.delivery_cost - x.advance_repaid).abs()
                > 1e-9 * scale
        {
            return Err(format!("trial {t}: contributions + fees != delivery cost"));
        }
        if let Some(cap) = m.budget_cap
            && x.gross_payments > cap * (1.0 + 1e-12) + 1e-9
        {
            return Err(format!("trial {t}: budget cap exceeded"));
        }
        if m.payer_split {
            for (j, cap) in m.payer_caps.iter().enumerate() {
                if ws.payer_paid[j] > cap * (1.0 + 1e-12) + 1e-9 {
                    return Err(format!("trial {t}: payer {j} above its cap"));
                }
            }
        }
        for o in &m.outcomes {
            let paid = col(&ws, &format!("paid.{}", o.id));
            if paid > o.max_paid as f64 {
                return Err(format!("trial {t}: max_paid of {} exceeded", o.id));
            }
            // (An effect or rate outcome's paid units are not its result's.)
            if o.measurement.is_none()
                && o.measure.is_none()
                && paid > col(&ws, &format!("outcome.{}", o.id))
            {
                return Err(format!("trial {t}: {} paid above achieved", o.id));
            }
        }
        for tr in &m.tranches {
            if let Some(cap) = tr.cap_irr {
                let irr = col(&ws, &format!("tranche.{}.irr", tr.name));
                if irr > cap + 1e-9 {
                    return Err(format!(
                        "trial {t}: {} IRR {irr} above its cap {cap}",
                        tr.name
                    ));
                }
            }
        }
        let payer_cost = col(&ws, "payer_cost");
        let by_payer: f64 = m
            .payers
            .iter()
            .map(|(n, _)| col(&ws, &format!("payer_cost.{n}")))
            .sum();
        if (by_payer - payer_cost).abs() > 1e-9 * payer_cost.abs().max(scale) {
            return Err(format!(
                "trial {t}: payer costs sum to {by_payer}, not {payer_cost}"
            ));
        }
        if m.segmented {
            // (Effect and rate outcomes are not split by segment.)
            for o in m.outcomes.iter().filter(|o| o.measure.is_none()) {
                let parts: f64 = m
                    .segments
                    .iter()
                    .map(|g| col(&ws, &format!("outcome.{}.{}", o.id, g.name)))
                    .sum();
                if parts != col(&ws, &format!("outcome.{}", o.id)) {
                    return Err(format!("trial {t}: segments of {} do not add up", o.id));
                }
            }
        }
        if payer_cost < -1e-9 * scale {
            return Err(format!("trial {t}: payer cost {payer_cost} < 0"));
        }
        if col(&ws, layout.funder.peak) < 0.0 {
            return Err(format!("trial {t}: negative peak funding"));
        }
        // What the payers pay, item by item (docs/model.md, "Payer cost"):
        // the advance comes back to them in full, recovered or repaid.
        let excess_back = if m.excess_to == ibsim::scenario::ExcessTo::Payer {
            x.excess
        } else {
            0.0
        };
        let items = x.gross_payments - excess_back
            + m.evaluation_cost
            + x.service_fees
            + x.payer_support
            + x.fixed_payments;
        if (payer_cost - items).abs() > 1e-9 * scale.max(payer_cost.abs()) {
            return Err(format!(
                "trial {t}: payer cost {payer_cost}, its items add up to {items}"
            ));
        }
        if let Some(a) = m.advance {
            let back = x.advance_recovered + x.advance_repaid;
            if x.advance != a.amount || (back - a.amount).abs() > 1e-9 * a.amount.max(1.0) {
                return Err(format!(
                    "trial {t}: advance {} paid, {back} recovered and repaid, of {}",
                    x.advance, a.amount
                ));
            }
        }
        // Transfers: the pool never exceeded, the agencies' transfers add
        // up to the total, none above its commitment's largest share.
        if let Some(tm) = &m.transfers {
            let st = &ws.transfers;
            if st.transferred > tm.pool * (1.0 + 1e-12) + 1e-9 {
                return Err(format!(
                    "trial {t}: {} transferred above the pool",
                    st.transferred
                ));
            }
            let sum: f64 = st.paid().iter().sum();
            if (sum - st.transferred).abs() > 1e-9 * st.transferred.max(1.0) {
                return Err(format!(
                    "trial {t}: agencies received {sum}, transfers total {}",
                    st.transferred
                ));
            }
            let top = match &m.measures[tm.measure].what {
                ibsim::model::Measured::Rate { points, .. } => {
                    points.iter().map(|p| p.1).fold(0.0, f64::max)
                }
                _ => 0.0,
            };
            for (a, &x) in tm.agencies.iter().zip(st.paid()) {
                if x < 0.0 || x > a.commitment * top * (1.0 + 1e-12) + 1e-9 {
                    return Err(format!("trial {t}: agency {} received {x}", a.name));
                }
            }
            if (col(&ws, "transferred") - st.transferred).abs() > 0.0 {
                return Err(format!("trial {t}: transferred column differs"));
            }
        }
        // Several providers (docs/model.md, "Several providers"): their
        // payments, costs and outcomes add up to the contract's; each one's
        // net is its payments and fees less its cost, and its peak cash
        // need is at least what it is down at the end.
        if !m.providers.is_empty() {
            let sum = |what: &str| -> f64 {
                m.providers
                    .iter()
                    .map(|p| col(&ws, &format!("provider.{}.{what}", p.name)))
                    .sum()
            };
            let paid = sum("paid");
            if (paid - x.gross_payments).abs() > 1e-9 * scale {
                return Err(format!(
                    "trial {t}: providers paid {paid}, payments {}",
                    x.gross_payments
                ));
            }
            let shared = m.costs.upfront.get(&ws.params)
                + m.costs.fixed_monthly.get(&ws.params)
                    * (m.costs.fixed_end - m.costs.fixed_start) as f64;
            let cost = sum("cost");
            if (cost + shared - x.delivery_cost).abs() > 1e-9 * scale {
                return Err(format!(
                    "trial {t}: providers' costs {cost} + shared {shared} != delivery cost {}",
                    x.delivery_cost
                ));
            }
            for o in &m.outcomes {
                let parts = sum(&format!("outcome.{}", o.id));
                if parts != col(&ws, &format!("outcome.{}", o.id)) {
                    return Err(format!("trial {t}: providers' {} do not add up", o.id));
                }
            }
            for p in &m.providers {
                let c = |what: &str| col(&ws, &format!("provider.{}.{what}", p.name));
                let net = c("paid") + m.service_fee * c("cost") - c("cost");
                if (c("net") - net).abs() > 1e-9 * scale {
                    return Err(format!("trial {t}: {} net {} != {net}", p.name, c("net")));
                }
                if c("paid") < 0.0 || c("peak_cash") < (-c("net")).max(0.0) - 1e-9 * scale {
                    return Err(format!(
                        "trial {t}: {} paid {} peak {} net {}",
                        p.name,
                        c("paid"),
                        c("peak_cash"),
                        c("net")
                    ));
                }
            }
        }
        // A provider funding the contract keeps every payment: its margin
        // is what the payers paid for the contract less the delivery cost.
        if m.funded_by == ibsim::scenario::FundedBy::Provider {
            let margin = col(&ws, "provider.margin");
            let want = x.gross_payments + x.service_fees + x.fixed_payments - x.delivery_cost;
            if (margin - want).abs() > 1e-9 * scale.max(x.fixed_payments) {
                return Err(format!(
                    "trial {t}: provider margin {margin}, payments less costs {want}"
                ));
            }
            if x.excess != 0.0 || x.success_share != 0.0 {
                return Err(format!(
                    "trial {t}: excess or a success share without investors"
                ));
            }
        }
        if let Some((amount, _)) = m.guarantee
            && !(0.0..=amount).contains(&x.guarantee)
        {
            return Err(format!(
                "trial {t}: guarantee {} outside [0, {amount}]",
                x.guarantee
            ));
        }
        account(&m, &ws).map_err(|e| format!("trial {t}: {e}"))?;
        // Under `end`, excess leaves only once tier 1 has returned every
        // contribution: every tranche is made whole first (docs/model.md, "The deal account").
        if !m.excess_monthly && x.excess > 0.0 {
            for (k, tr) in m.tranches.iter().enumerate() {
                let net = col(&ws, &format!("tranche.{}.net", tr.name));
                let own = ws.flows[k * m.horizon..(k + 1) * m.horizon]
                    .iter()
                    .filter(|&&f| f < 0.0)
                    .map(|f| -f)
                    .sum::<f64>();
                if net < -1e-9 * own.max(1.0) {
                    return Err(format!(
                        "trial {t}: excess {} left the deal while {} lost {net}",
                        x.excess, tr.name
                    ));
                }
            }
        }
        if let Some(f) = m.floor {
            let moic = col(&ws, &format!("tranche.{}.moic", m.tranches[f.tranche].name));
            if moic < f.share - 1e-9 {
                return Err(format!(
                    "trial {t}: floor {} not kept (MOIC {moic})",
                    f.share
                ));
            }
        }
    }
    Ok(())
}

/// The deal account of one trial (docs/model.md, "The deal account"): cash held never
/// negative and empty at the end, each month's cash the last month's plus
/// receipts less what paid costs, distributions and excess, distributions
/// only in distribution months and excess only when it may leave.
fn account(m: &Model, ws: &Workspace) -> Result<(), String> {
    use ibsim::engine::account::*;
    let h = m.horizon;
    let s = |k: usize, t: usize| ws.account[k * h + t];
    let scale = (0..h)
        .map(|t| s(RECEIPTS, t).abs() + s(COSTS, t).abs())
        .sum::<f64>()
        .max(1.0);
    let mut before = 0.0;
    for t in 0..h {
        let cash = s(CASH, t);
        if cash < 0.0 {
            return Err(format!("month {t}: cash held {cash} < 0"));
        }
        let from_account = if m.recycling {
            s(COSTS, t) - s(CONTRIBUTIONS, t)
        } else {
            if s(CONTRIBUTIONS, t) != s(COSTS, t) {
                return Err(format!(
                    "month {t}: without recycling investors fund every cost"
                ));
            }
            0.0
        };
        let want = before + s(RECEIPTS, t) - from_account - s(DISTRIBUTIONS, t) - s(EXCESS, t);
        if (cash - want).abs() > 1e-9 * scale {
            return Err(format!(
                "month {t}: cash held {cash}, the flows give {want}"
            ));
        }
        let distributing = (t + 1) % m.distribution_every == 0 || t + 1 == h;
        if !distributing && s(DISTRIBUTIONS, t) != 0.0 {
            return Err(format!("month {t}: a distribution outside the schedule"));
        }
        let settling = distributing && (m.excess_monthly || t + 1 == h);
        if !settling && (s(EXCESS, t) != 0.0) {
            return Err(format!("month {t}: excess left outside a settlement month"));
        }
        before = cash;
    }
    if before != 0.0 {
        return Err(format!("cash {before} is still held after the last month"));
    }
    Ok(())
}

/// Whether each of the first `trials` trials loses money before any
/// guarantee or principal floor: distributions below contributions (with
/// the tolerance of docs/model.md, "Metrics").
pub fn loss_flags(text: &str, trials: u64) -> Vec<bool> {
    let Trials {
        m,
        layout,
        disc,
        draws,
        mut ws,
    } = trials_of(text, trials).unwrap_or_else(|e| panic!("{e}"));
    (0..trials)
        .map(|t| {
            run_trial(&m, &layout, &disc, &draws, t, &mut ws);
            let x = ws.totals;
            x.distributions - x.contributions < -1e-9 * x.contributions
        })
        .collect()
}
