//! Effect and rate outcomes (docs/model.md, "Measured outcomes"): after the
//! funnel, each one's true result, what the evaluation measures at each
//! verification round, and the money due in each cash month, which the
//! waterfall then pays like any outcome payment.
//!
//! Draw order, per measured outcome in funnel order: one standard normal
//! per round for the evaluation's error (survey or RCT), then for an
//! effect, cohort by cohort, the cohort's mean and one normal per base
//! month with participants. Outcomes without these keys draw nothing here.

use rand::rngs::Xoshiro256PlusPlus;

use super::rng::open_unit;
use super::workspace::{MeasuredResult, Workspace};
use crate::model::{MeasureModel, Measured, Model, Observation};
use crate::numeric::count_f64;
use crate::numeric::special::norm_quantile;

/// A standard normal draw.
#[inline]
fn normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    norm_quantile(open_unit(rng))
}

/// Where the money of a round goes: the cash month's amount due, the months
/// with something to pay, and the result's paid and unpaid units.
struct Cash<'a> {
    h: usize,
    lag: usize,
    price: f64,
    due: &'a mut [f64],
    paying: &'a mut [bool],
    last_cash: &'a mut usize,
    result: &'a mut MeasuredResult,
}

impl Cash<'_> {
    /// `units` more are due for the round of month `round`.
    #[inline]
    fn pay(&mut self, round: usize, units: f64) {
        if units <= 0.0 {
            return;
        }
        let cash = round + self.lag;
        if cash < self.h {
            self.due[cash] += units * self.price;
            self.paying[cash] = true;
            *self.last_cash = (*self.last_cash).max(cash + 1);
            self.result.paid += units;
        } else {
            self.result.unpaid += units;
        }
    }
}

/// The cumulative result of one netting unit (a cohort, or the contract)
/// and what has been paid of it, measured and true: each round pays the
/// part of the result above what was paid before (never taken back).
#[derive(Default)]
struct Netted {
    effect: f64,
    people: f64,
    paid: f64,
    paid_true: f64,
}

impl Netted {
    /// The round of month `round`, with the evaluation's error `error` per
    /// participant on the measured result.
    #[inline]
    fn round(&mut self, round: usize, error: f64, cash: &mut Cash) {
        let measured = self.effect + self.people * error;
        let d = measured.max(0.0) - self.paid;
        if d > 0.0 {
            self.paid += d;
            cash.pay(round, d);
        }
        let dt = self.effect.max(0.0) - self.paid_true;
        if dt > 0.0 {
            self.paid_true += dt;
        }
    }
}

/// Every effect and rate outcome of the trial: their amounts due per cash
/// month (`ws.measure_cash`) and their results (`ws.measured`).
#[inline(never)]
pub fn measures(model: &Model, rng: &mut Xoshiro256PlusPlus, ws: &mut Workspace) {
    if model.measures.is_empty() {
        return;
    }
    let h = model.horizon;
    ws.measure_cash.fill(0.0);
    let mut last_cash = ws.last_cash;
    for (m, mm) in model.measures.iter().enumerate() {
        let mut result = MeasuredResult::default();
        let mut cash = Cash {
            h,
            lag: model.payment_lag,
            price: mm.price,
            due: &mut ws.measure_cash[m * h..(m + 1) * h],
            paying: &mut ws.paying[..h],
            last_cash: &mut last_cash,
            result: &mut result,
        };
        match &mm.what {
            Measured::Effect { .. } => effect(
                model,
                mm,
                &ws.params,
                &ws.sizes,
                &ws.cells,
                &mut ws.month_effect,
                &mut ws.month_people,
                &mut ws.round_error,
                rng,
                &mut cash,
            ),
            Measured::Rate { .. } => match &model.transfers {
                Some(tm) if tm.measure == m => super::transfers::transfers(
                    tm,
                    mm,
                    &ws.params,
                    h,
                    model.payment_lag,
                    rng,
                    cash.due,
                    cash.paying,
                    cash.last_cash,
                    &mut ws.transfers,
                    cash.result,
                ),
                _ => rate(mm, &ws.params, rng, &mut cash),
            },
        }
        ws.measured[m] = result;
    }
    ws.last_cash = last_cash;
}

/// A rate outcome: the true rate on a straight line from the baseline at
/// month 0 to the trial's rate at the last round; at each round the
/// measured rate (exact, or a survey's draw around the true one) earns its
/// share of the schedule, and the part above what was paid is due.
fn rate(mm: &MeasureModel, p: &[f64], rng: &mut Xoshiro256PlusPlus, cash: &mut Cash) {
    let Measured::Rate { rate, baseline, .. } = &mm.what else {
        return;
    };
    let final_rate = rate.get(p);
    let last = mm.rounds.last().copied().unwrap_or(0);
    let (mut share, mut share_true) = (0.0f64, 0.0f64);
    for &v in &mm.rounds {
        let r = if last == 0 {
            final_rate
        } else {
            baseline + (final_rate - baseline) * (v as f64 / last as f64)
        };
        let measured = match mm.observation {
            Observation::Survey { deff_over_n } => {
                let se = (r * (1.0 - r) * deff_over_n).max(0.0).sqrt();
                (r + se * normal(rng)).clamp(0.0, 1.0)
            }
            _ => r,
        };
        let earned = mm.schedule_share(measured);
        if earned > share {
            cash.pay(v, earned - share);
            share = earned;
        }
        share_true = share_true.max(mm.schedule_share(r));
    }
    let res = &mut *cash.result;
    res.true_result = final_rate;
    res.measured_share = share;
    res.true_share = share_true;
    res.measured_money = share * mm.price;
    res.true_money = share_true * mm.price;
}

/// An effect outcome: per cohort the mean change (the trial's, plus the
/// cohort's own spread), per base month the participants' summed change
/// less the comparison's, netted per cohort or across the contract and paid
/// at each round on the cumulative result measured then.
#[allow(clippy::too_many_arguments)]
fn effect(
    model: &Model,
    mm: &MeasureModel,
    p: &[f64],
    sizes: &[u64],
    cells: &[u64],
    month_effect: &mut [f64],
    month_people: &mut [f64],
    round_error: &mut [f64],
    rng: &mut Xoshiro256PlusPlus,
    cash: &mut Cash,
) {
    let Measured::Effect {
        base,
        lag,
        mean,
        comparison,
        cohort_sd,
        participant_sd,
    } = &mm.what
    else {
        return;
    };
    let h = model.horizon;
    let se = match mm.observation {
        Observation::Rct { se } => se,
        _ => 0.0,
    };
    let rounds = &mm.rounds[..];
    let errors = &mut round_error[..rounds.len()];
    for e in errors.iter_mut() {
        *e = if se > 0.0 { se * normal(rng) } else { 0.0 };
    }
    let (mu, cmp) = (mean.get(p), comparison.get(p));
    let ns = model.segments.len();
    let (base_lag, base_spread, base_cells) = match base {
        None => (0, 1, 0),
        Some(b) => {
            let bo = &model.outcomes[*b];
            (bo.first_lag, bo.spread, bo.cells)
        }
    };
    if mm.contract {
        month_effect.fill(0.0);
        month_people.fill(0.0);
    }
    let (mut true_result, mut paid_true) = (0.0, 0.0);
    for (c, cohort) in model.cohorts.iter().enumerate() {
        let mu_c = if *cohort_sd > 0.0 {
            mu + cohort_sd * normal(rng)
        } else {
            mu
        };
        let net = mu_c - cmp;
        let block = c * model.cell_stride + base_cells;
        let mut unit = Netted::default();
        let mut next_round = 0;
        for j in 0..base_spread {
            let n = match base {
                None => sizes[c],
                Some(_) => (0..ns).map(|s| cells[block + s * base_spread + j]).sum(),
            };
            if n == 0 {
                continue;
            }
            let people = count_f64(n);
            let mut x = people * net;
            if *participant_sd > 0.0 {
                x += people.sqrt() * participant_sd * normal(rng);
            }
            true_result += x;
            let event = cohort.start + base_lag + j + lag;
            if mm.contract {
                let at = event.min(h);
                month_effect[at] += x;
                month_people[at] += people;
                continue;
            }
            // Per cohort: the rounds before this month see the result so far.
            while next_round < rounds.len() && rounds[next_round] < event {
                unit.round(rounds[next_round], errors[next_round], cash);
                next_round += 1;
            }
            unit.effect += x;
            unit.people += people;
            if rounds.is_empty() {
                unit.round(event, 0.0, cash);
            }
        }
        if !mm.contract {
            while next_round < rounds.len() {
                unit.round(rounds[next_round], errors[next_round], cash);
                next_round += 1;
            }
            paid_true += unit.paid_true;
            cash.result.measured_money += unit.paid * mm.price;
        }
    }
    if mm.contract {
        // One unit over the whole contract, month by month; effects at or
        // after the horizon sit in the last slot and are never paid.
        let mut unit = Netted::default();
        let mut next_round = 0;
        for t in 0..=h {
            unit.effect += month_effect[t];
            unit.people += month_people[t];
            if rounds.is_empty() {
                if month_people[t] > 0.0 {
                    unit.round(t, 0.0, cash);
                }
            } else if next_round < rounds.len() && rounds[next_round] == t {
                unit.round(t, errors[next_round], cash);
                next_round += 1;
            }
        }
        paid_true = unit.paid_true;
        cash.result.measured_money = unit.paid * mm.price;
    }
    let res = &mut *cash.result;
    res.true_result = true_result;
    res.true_money = paid_true * mm.price;
}
