//! The per-trial invariants of SPEC section 9 and issue 9, shared by the
//! property tests and the mechanics tests.

use ibsim::engine::{Discounts, Draws, Layout, Workspace, run_trial};
use ibsim::model::Model;
use ibsim::scenario::parse_str;

/// Every invariant, in every trial; `Err` names the first one broken.
pub fn every_trial(text: &str, trials: u64) -> Result<(), String> {
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
    let mut ws = Workspace::new(&m, &layout);
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
        if !m.recycling && (x.contributions + x.service_fees - x.delivery_cost).abs() > 1e-9 * scale
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
            if o.measurement.is_none() && paid > col(&ws, &format!("outcome.{}", o.id)) {
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
            for o in &m.outcomes {
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
        if col(&ws, "peak_funding") < 0.0 {
            return Err(format!("trial {t}: negative peak funding"));
        }
        if let Some((amount, _)) = m.guarantee
            && !(0.0..=amount).contains(&x.guarantee)
        {
            return Err(format!(
                "trial {t}: guarantee {} outside [0, {amount}]",
                x.guarantee
            ));
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
