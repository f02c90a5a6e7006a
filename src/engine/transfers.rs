//! Performance transfers to agencies (docs/model.md, "Transfers to
//! agencies"): each agency's rate on its own path, measured at the
//! outcome's rounds, earns a share of its own commitment by the outcome's
//! schedule; at each round what every agency is due above what it has
//! received is paid from what is left of the pool, pro rata to what is due
//! (or by priority rank, pro rata within a rank) when the pool cannot pay
//! it all. The money of each round joins the outcome's cash month, which
//! the waterfall pays like any outcome payment.
//!
//! Draw order: one standard normal per round and agency for a survey's
//! error, rounds in order, agencies by rank and name.

use rand::rngs::Xoshiro256PlusPlus;

use super::rng::open_unit;
use super::workspace::{MeasuredResult, TransferState};
use crate::model::{MeasureModel, Observation, TransfersModel};
use crate::numeric::special::norm_quantile;

/// One trial's transfers: `cash` gets each round's money in its cash month
/// (`paying` and `last_cash` follow), `st` each agency's results and the
/// totals, `result` the outcome's (the mean true rate across agencies,
/// shares of all commitments paid and unpaid, money due on the measured and
/// the true results before the pool).
#[allow(clippy::too_many_arguments)]
pub fn transfers(
    tm: &TransfersModel,
    mm: &MeasureModel,
    params: &[f64],
    h: usize,
    lag: usize,
    rng: &mut Xoshiro256PlusPlus,
    cash: &mut [f64],
    paying: &mut [bool],
    last_cash: &mut usize,
    st: &mut TransferState,
    result: &mut MeasuredResult,
) {
    let n = tm.agencies.len();
    let (finals, share, share_true, due, paid) = st.slices(n);
    // (Every sum over agencies goes in rank and name order: the same bits
    // for any order of the file.)
    let mut mean_rate = 0.0;
    for &k in &tm.order {
        finals[k] = tm.agencies[k].rate.get(params);
        mean_rate += finals[k];
    }
    share.fill(0.0);
    share_true.fill(0.0);
    paid.fill(0.0);
    let deff_over_n = match mm.observation {
        Observation::Survey { deff_over_n } => Some(deff_over_n),
        _ => None,
    };
    let last = mm.rounds.last().copied().unwrap_or(0);
    let commitments: f64 = tm.order.iter().map(|&k| tm.agencies[k].commitment).sum();
    let mut left = tm.pool;
    let (mut binds, mut transferred, mut unpaid) = (false, 0.0, 0.0);
    for &v in &mm.rounds {
        // Each agency's cumulative earned share, never taken back.
        for &k in &tm.order {
            let a = &tm.agencies[k];
            let r = if last == 0 {
                finals[k]
            } else {
                a.baseline + (finals[k] - a.baseline) * (v as f64 / last as f64)
            };
            let measured = match deff_over_n {
                Some(d) => {
                    let se = (r * (1.0 - r) * d).max(0.0).sqrt();
                    (r + se * norm_quantile(open_unit(rng))).clamp(0.0, 1.0)
                }
                None => r,
            };
            share[k] = share[k].max(mm.schedule_share_from(measured, a.baseline, a.target));
            share_true[k] = share_true[k].max(mm.schedule_share_from(r, a.baseline, a.target));
            due[k] = (a.commitment * share[k] - paid[k]).max(0.0);
        }
        let at = v + lag;
        if at >= h {
            // Cash after the horizon is never paid (nor taken from the pool).
            unpaid += tm.order.iter().map(|&k| due[k]).sum::<f64>();
            continue;
        }
        // The pool left, rank by rank; pro rata to what is due within one.
        let mut round = 0.0;
        for &(g0, g1) in &tm.ranks {
            let group = &tm.order[g0..g1];
            let total: f64 = group.iter().map(|&k| due[k]).sum();
            if total <= 0.0 {
                continue;
            }
            let f = if total <= left {
                1.0
            } else {
                binds = true;
                left.max(0.0) / total
            };
            let mut given = 0.0;
            for &k in group {
                let x = due[k] * f;
                paid[k] += x;
                given += x;
            }
            left -= given;
            round += given;
        }
        if round > 0.0 {
            cash[at] += round;
            paying[at] = true;
            *last_cash = (*last_cash).max(at + 1);
            transferred += round;
        }
    }
    let earned: f64 = tm
        .order
        .iter()
        .map(|&k| tm.agencies[k].commitment * share[k])
        .sum();
    let earned_true: f64 = tm
        .order
        .iter()
        .map(|&k| tm.agencies[k].commitment * share_true[k])
        .sum();
    st.earned = earned;
    st.transferred = transferred;
    st.unpaid = unpaid;
    st.binds = binds;
    let per = if commitments > 0.0 { commitments } else { 1.0 };
    result.true_result = if n > 0 { mean_rate / n as f64 } else { 0.0 };
    result.paid = transferred / per;
    result.unpaid = unpaid / per;
    result.measured_money = earned;
    result.true_money = earned_true;
    result.measured_share = earned / per;
    result.true_share = earned_true / per;
}
