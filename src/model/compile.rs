//! [`Model::compile`], section by section. The per-trial parameters are
//! listed in a fixed order that the draws follow (`docs/model.md`, "One
//! trial"): shocks, outcome rates, cohort sizes, costs, then measurement
//! errors; any change to that order is value-breaking.

use super::Copula;
use super::{
    AdvanceModel, AgencyModel, CohortModel, CostModel, FloorModel, MeasureModel, Measured, Model,
    Observation, OutcomeModel, Param, ParamKind, ProviderModel, Sampler, SegmentModel, ShockModel,
    TrancheModel, TransfersModel, Value,
};
use crate::numeric::cholesky;
use crate::numeric::math;
use crate::scenario::values::NormalParams;
use crate::scenario::{
    Achievement, Better, Cohort, Costs, Dist, Distributions, Enrolment, ExcessSettlement, FundedBy,
    Netting, OutcomeKind, PerOutcome, Price, Scenario, Shape, Whole,
};

impl Model {
    /// Compiles a scenario that passed validation.
    pub fn compile(s: &Scenario) -> Model {
        let horizon = to_usize(s.horizon_months.0);
        let mut params = Params(Vec::new());
        let ids: Vec<&str> = s.outcomes.iter().map(|o| o.id.as_str()).collect();
        let pos = |id: &str| ids.iter().position(|x| *x == id);

        // The parameters, in draw order.
        let shocks = shocks(s, &pos, &mut params);
        let (mut outcomes, cell_stride) = outcomes(s, &pos, &mut params);
        let cohorts = cohorts(s, &mut params);
        let shared_costs = costs(&s.costs, "costs", (&pos, ids.len()), horizon, &mut params);
        let provider_costs: Vec<CostModel> = s
            .providers
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let at = format!("providers[{i}].costs");
                costs(&p.costs, &at, (&pos, ids.len()), horizon, &mut params)
            })
            .collect();
        measurement(s, &mut outcomes, &mut params);
        let measures = measures(s, &mut outcomes, horizon, &mut params);
        let transfers = transfers(s, &measures, &mut params);
        let providers = providers(s, &pos, provider_costs, &mut params);
        for o in &mut outcomes {
            o.simple = s.segments.is_empty()
                && o.spread == 1
                && o.counterfactual.is_none()
                && o.measurement.is_none()
                && o.measure.is_none()
                && o.rounds.is_empty();
        }

        let (segments, segment_rate, segment_price) = segments(s, outcomes.len(), &pos);
        let pay_groups = segments.len() * providers.len().max(1);
        let group_price = group_prices(&segment_price, segments.len(), &providers);
        let payment_lag = to_usize(whole(s.payment.lag_months, 0));
        let (lot_index, lots) = lots(s, &outcomes, &cohorts, cell_stride, horizon, payment_lag);
        let lot_group = lots
            .iter()
            .map(|&cell| {
                let provider = cohorts[cell as usize / cell_stride.max(1)].provider;
                u32::try_from(provider * segments.len()).unwrap_or(u32::MAX)
            })
            .collect();
        netting_order(s, &mut outcomes, &cohorts, cell_stride);
        let copula = compile_copula(s, &outcomes);
        let payers = payers(s);
        let (tranches, seniority_order, seniority_groups) = tranches(s);
        let covered = |covers: Option<&str>| {
            covers
                .and_then(|n| tranches.iter().position(|t| t.name == n))
                .unwrap_or(0)
        };
        let guarantee = s
            .finance
            .guarantee
            .as_ref()
            .map(|g| (g.amount, covered(g.covers.as_deref())));
        let guarantee_by = s
            .finance
            .guarantee
            .as_ref()
            .and_then(|g| g.by)
            .unwrap_or_default();
        let floor = s.finance.principal_floor.as_ref().map(|f| FloorModel {
            share: f.share,
            tranche: covered(f.covers.as_deref()),
            by: f.by.unwrap_or_default(),
        });
        // The deal account (docs/model.md, "The deal account"): a schedule
        // every N months with N at or beyond the horizon distributes in the
        // last month only.
        let excess_monthly =
            s.finance.excess_settlement.unwrap_or_default() == ExcessSettlement::Monthly;
        let distribution_every = match s.finance.distributions.unwrap_or(Distributions::Monthly) {
            Distributions::Monthly => 1,
            Distributions::End => horizon.max(1),
            Distributions::Every(n) => to_usize(n.0).clamp(1, horizon.max(1)),
        };

        let funded_by = s.finance.funded_by.unwrap_or_default();
        let fixed_payments = fixed_payments(s, horizon);
        let advance = s.payment.advance.as_ref().map(|a| AdvanceModel {
            amount: a.amount,
            month: to_usize(whole(a.month, 0)).min(horizon.saturating_sub(1)),
            recovery: a.recovery.unwrap_or(1.0),
        });
        let mut extra_receipts = fixed_payments.clone();
        if let Some(a) = advance {
            extra_receipts.resize(horizon, 0.0);
            extra_receipts[a.month] += a.amount;
        }
        let extra_end = extra_receipts
            .iter()
            .rposition(|&x| x != 0.0)
            .map_or(0, |t| t + 1);

        Model {
            name: s.name.clone(),
            currency: s.currency.clone(),
            horizon,
            last_outcome: s
                .outcomes
                .iter()
                .rposition(|o| o.kind() != OutcomeKind::Rate)
                .unwrap_or(outcomes.len().saturating_sub(1)),
            measures,
            transfers,
            cohorts,
            outcomes,
            shocks,
            params: params.0,
            segmented: !s.segments.is_empty(),
            joint_segments: !s.segments.is_empty()
                && s.outcomes
                    .iter()
                    .filter(|o| {
                        o.kind() == OutcomeKind::Count
                            && o.of.as_deref().is_none_or(|b| b == "enrolled")
                    })
                    .count()
                    == 1,
            segments,
            segment_rate,
            segment_price,
            providers,
            pay_groups,
            group_price,
            cell_stride,
            lot_index,
            lots,
            lot_group,
            payer_caps: payers.caps,
            payer_weights: payers.weights,
            paid_by_all: s.outcomes.iter().map(|o| o.paid_by.is_none()).collect(),
            payer_split: payers.split,
            service_fee: s.payment.service_fee.unwrap_or(0.0),
            service_fee_declared: s.payment.service_fee.is_some(),
            guarantee_by,
            floor,
            copula,
            costs: shared_costs,
            payers: payers.names,
            funded_by,
            fixed_payments,
            extra_receipts,
            extra_end,
            advance,
            budget_cap: s.payment.budget_cap,
            payment_lag,
            evaluation_cost: s.payment.evaluation_cost.unwrap_or(0.0),
            discount_rate: s.payment.discount_rate.unwrap_or(0.0),
            committed_capital: s.finance.committed_capital,
            recycling: s.finance.recycling.unwrap_or(true),
            hurdle_irr: s.finance.hurdle_irr.unwrap_or(0.0),
            tranches,
            seniority_groups,
            seniority_order,
            guarantee,
            excess_to: s.finance.excess_to.unwrap_or_default(),
            excess_monthly,
            distribution_every,
            account_holds: !(excess_monthly && distribution_every == 1),
            success_share: s.finance.provider_success_share.unwrap_or(0.0),
            trials: u64::try_from(whole(s.simulation.trials, 10_000)).unwrap_or(10_000),
            seed: u64::try_from(whole(s.simulation.seed, 0)).unwrap_or(0),
            sampling: s.simulation.sampling.unwrap_or_default(),
            external_params: 0,
        }
    }
}

/// An outcome's index from its id.
type Position<'a> = &'a dyn Fn(&str) -> Option<usize>;

/// The per-trial parameter list being built.
struct Params(Vec<Param>);

impl Params {
    /// A value from `d`: a constant, or the next parameter.
    fn value(&mut self, d: &Dist, kind: ParamKind, path: String) -> Value {
        let sampler = Sampler::new(d);
        if let Sampler::Const(c) = sampler {
            Value::Const(c)
        } else {
            self.0.push(Param {
                kind,
                path,
                sampler,
            });
            Value::Param(self.0.len() - 1)
        }
    }

    /// A cost: 0 when absent.
    fn cost(&mut self, d: Option<&Dist>, path: &str) -> Value {
        match d {
            Some(d) => self.value(d, ParamKind::Cost(path.into()), path.into()),
            None => Value::Const(0.0),
        }
    }
}

/// Parameters 1: shocks (a Bernoulli each).
fn shocks(
    s: &Scenario,
    pos: &dyn Fn(&str) -> Option<usize>,
    params: &mut Params,
) -> Vec<ShockModel> {
    let n = s.outcomes.len();
    s.shocks
        .iter()
        .enumerate()
        .map(|(i, sh)| {
            let mut multipliers = vec![1.0; n];
            for (id, m) in &sh.rate_multiplier.0 {
                if let Some(k) = pos(id) {
                    multipliers[k] *= m;
                }
            }
            params.0.push(Param {
                kind: ParamKind::Shock(i),
                path: format!("shocks[{i}].probability"),
                sampler: Sampler::Uniform {
                    lo: 0.0,
                    width: 1.0,
                },
            });
            ShockModel {
                name: sh.name.clone(),
                probability: sh.probability,
                from_month: to_usize(whole(sh.from_month, 0)),
                multipliers,
                param: params.0.len() - 1,
            }
        })
        .collect()
}

/// Parameters 2: outcome rates, with each outcome's lags, cells and price tiers; the
/// count cells a cohort keeps.
fn outcomes(
    s: &Scenario,
    pos: &dyn Fn(&str) -> Option<usize>,
    params: &mut Params,
) -> (Vec<OutcomeModel>, usize) {
    let mut outcomes: Vec<OutcomeModel> = Vec::with_capacity(s.outcomes.len());
    let n_seg = s.segments.len().max(1);
    let mut cell_stride = 0;
    for (i, o) in s.outcomes.iter().enumerate() {
        let base = o.of.as_deref().filter(|b| *b != "enrolled").and_then(pos);
        let kind = o.kind();
        let lag = lag_support(o.lag_months.as_ref());
        let (lo, hi) = lag
            .iter()
            .fold((usize::MAX, 0), |(lo, hi), &(m, _)| (lo.min(m), hi.max(m)));
        let (base_first, base_spread) =
            base.map_or((0, 1), |b| (outcomes[b].first_lag, outcomes[b].spread));
        let first_lag = base_first + lo;
        // An effect or rate outcome keeps no count cells.
        let spread = if kind == OutcomeKind::Count {
            base_spread + (hi - lo)
        } else {
            0
        };
        let rate = match (&o.effect, &o.rate) {
            (Some(e), _) => params.value(
                &e.mean,
                ParamKind::Effect(i),
                format!("outcomes[{i}].effect.mean"),
            ),
            (None, Some(r)) => params.value(r, ParamKind::Rate(i), format!("outcomes[{i}].rate")),
            (None, None) => Value::Const(0.0),
        };
        let tiers = match &o.price {
            Price::Fixed(p) => vec![(u64::MAX, *p)],
            Price::Tiered { tiers } => tiers
                .iter()
                .map(|t| {
                    (
                        t.up_to
                            .map_or(u64::MAX, |u| u64::try_from(u.0).unwrap_or(0)),
                        t.price,
                    )
                })
                .collect(),
        };
        outcomes.push(OutcomeModel {
            id: o.id.clone(),
            label: o.label.clone().unwrap_or_else(|| o.id.clone()),
            base,
            lag,
            first_lag,
            spread,
            cells: cell_stride,
            tiers,
            max_paid: o
                .max_paid
                .map_or(u64::MAX, |m| u64::try_from(m.0).unwrap_or(0)),
            cohort_sd: o.cohort_sd.unwrap_or(0.0),
            rate,
            counterfactual: o.counterfactual_rate,
            measurement: None,
            simple: false,
            measure: None,
            rounds: if kind == OutcomeKind::Count {
                rounds(o.verification.as_ref().and_then(|v| v.months.as_deref()))
            } else {
                Vec::new()
            },
            netting_order: Vec::new(),
        });
        cell_stride += n_seg * spread;
    }
    (outcomes, cell_stride)
}

/// Parameters 3: cohort sizes (an explicit list, or the `enrolment`
/// shorthand): the contract's, or every provider's in turn; a contract with
/// providers keeps its cohorts in order of start month (provider by provider
/// within a month), the order in which they are paid.
fn cohorts(s: &Scenario, params: &mut Params) -> Vec<CohortModel> {
    let mut cohorts = Vec::new();
    if s.providers.is_empty() {
        participants(
            s.cohorts.as_deref(),
            s.enrolment.as_ref(),
            ("", None),
            params,
            &mut cohorts,
        );
        return cohorts;
    }
    for (i, p) in s.providers.iter().enumerate() {
        participants(
            p.cohorts.as_deref(),
            p.enrolment.as_ref(),
            (&format!("providers[{i}]."), Some((i, p.name.as_str()))),
            params,
            &mut cohorts,
        );
    }
    cohorts.sort_by_key(|c| c.start); // stable: provider order within a month
    cohorts
}

/// One `cohorts` list or `enrolment` shorthand into `out`: its paths start
/// with `at`; a provider's cohorts carry its index and are named
/// `<provider>/<cohort>`.
fn participants(
    list: Option<&[Cohort]>,
    enrolment: Option<&Enrolment>,
    (at, provider): (&str, Option<(usize, &str)>),
    params: &mut Params,
    out: &mut Vec<CohortModel>,
) {
    let name = |n: String| match provider {
        Some((_, p)) => format!("{p}/{n}"),
        None => n,
    };
    let index = provider.map_or(0, |(i, _)| i);
    if let Some(list) = list {
        for (i, c) in list.iter().enumerate() {
            let size = params.value(
                &c.size,
                ParamKind::CohortSize(out.len()),
                format!("{at}cohorts[{i}].size"),
            );
            out.push(CohortModel {
                name: name(c.name.clone()),
                start: to_usize(c.start_month.0),
                size,
                provider: index,
            });
        }
    } else if let Some(e) = enrolment {
        let first = whole(e.first_month, 0);
        let every = whole(e.every_months, 1);
        for i in 0..to_usize(e.cohorts.0) {
            let size = params.value(
                &e.size,
                ParamKind::CohortSize(out.len()),
                format!("{at}enrolment.size"),
            );
            out.push(CohortModel {
                name: name(format!("cohort-{}", i + 1)),
                start: to_usize(first + i as i64 * every),
                size,
                provider: index,
            });
        }
    }
}

/// Parameters 4: costs, upfront, per_participant, per_outcome (in the file's order),
/// fixed_monthly.
fn costs(
    k: &Costs,
    at: &str,
    (pos, no): (Position, usize),
    horizon: usize,
    params: &mut Params,
) -> CostModel {
    let upfront = params.cost(k.upfront.as_ref(), &format!("{at}.upfront"));
    let per_participant = params.cost(k.per_participant.as_ref(), &format!("{at}.per_participant"));
    let mut per_outcome = vec![Value::Const(0.0); no];
    if let Some(po) = &k.per_outcome {
        for (id, d) in &po.0 {
            if let Some(i) = pos(id) {
                per_outcome[i] = params.cost(Some(d), &format!("{at}.per_outcome.{id}"));
            }
        }
    }
    let fixed_monthly = params.cost(k.fixed_monthly.as_ref(), &format!("{at}.fixed_monthly"));
    let (fixed_start, fixed_end) = match &k.fixed_months {
        Some(v) if v.len() == 2 => (to_usize(v[0].0), to_usize(v[1].0).min(horizon)),
        _ => (0, horizon),
    };
    CostModel {
        upfront,
        per_participant,
        per_outcome,
        fixed_monthly,
        fixed_start,
        fixed_end,
    }
}

/// Parameters 5: measurement errors, one per measured outcome (after every other
/// parameter, so that scenarios without them keep their draws).
fn measurement(s: &Scenario, outcomes: &mut [OutcomeModel], params: &mut Params) {
    for (i, o) in s.outcomes.iter().enumerate() {
        if let Some(m) = &o.measurement {
            let d = Dist::Normal(NormalParams {
                mean: 0.0,
                sd: m.relative_sd,
                min: None,
                max: None,
            });
            let v = params.value(
                &d,
                ParamKind::Measurement(i),
                format!("outcomes[{i}].measurement.relative_sd"),
            );
            // relative_sd 0 draws nothing and changes nothing.
            outcomes[i].measurement = (v != Value::Const(0.0)).then_some(v);
        }
    }
}

/// Verification months, sorted and without repeats.
fn rounds(months: Option<&[Whole]>) -> Vec<usize> {
    let mut r: Vec<usize> = months
        .unwrap_or_default()
        .iter()
        .map(|m| to_usize(m.0))
        .collect();
    r.sort_unstable();
    r.dedup();
    r
}

/// Parameters 6: the effect and rate outcomes (docs/model.md, "Measured
/// outcomes"), with each effect's comparison (after every other parameter,
/// so that scenarios without them keep their draws).
fn measures(
    s: &Scenario,
    outcomes: &mut [OutcomeModel],
    horizon: usize,
    params: &mut Params,
) -> Vec<MeasureModel> {
    let plag = to_usize(whole(s.payment.lag_months, 0));
    let mut out = Vec::new();
    for (i, o) in s.outcomes.iter().enumerate() {
        let kind = o.kind();
        if kind == OutcomeKind::Count {
            continue;
        }
        let price = match &o.price {
            Price::Fixed(p) => *p,
            Price::Tiered { tiers } => tiers.first().map_or(0.0, |t| t.price),
        };
        let v = o.verification.clone().unwrap_or_default();
        let mut rounds = rounds(v.months.as_deref());
        let observation = if let Some(sv) = &v.survey {
            Observation::Survey {
                deff_over_n: sv.design_effect.unwrap_or(1.0) / sv.sample.0.max(1) as f64,
            }
        } else if let Some(r) = &v.rct {
            Observation::Rct {
                se: crate::numeric::rct_standard_error(
                    r.sd,
                    r.treated.0.max(1) as f64,
                    r.control.0.max(1) as f64,
                    r.icc.unwrap_or(0.0),
                    r.cluster_size.unwrap_or(1.0),
                ),
            }
        } else {
            Observation::Exact
        };
        let (what, target_share) = if let Some(e) = &o.effect {
            let comparison = match &e.comparison {
                Some(d) => params.value(
                    d,
                    ParamKind::Comparison(i),
                    format!("outcomes[{i}].effect.comparison"),
                ),
                None => Value::Const(0.0),
            };
            let what = Measured::Effect {
                base: outcomes[i].base,
                lag: outcomes[i].lag.first().map_or(0, |l| l.0),
                mean: outcomes[i].rate,
                comparison,
                cohort_sd: e.cohort_sd.unwrap_or(0.0),
                participant_sd: e.participant_sd.unwrap_or(0.0),
            };
            (what, f64::NAN)
        } else {
            // A rate outcome is measured at least once: by default in the
            // last month whose payment still falls inside the horizon.
            if rounds.is_empty() {
                rounds.push(horizon.saturating_sub(1 + plag));
            }
            let sign = if o.better.unwrap_or_default() == Better::Lower {
                -1.0
            } else {
                1.0
            };
            let achievement = o.achievement.unwrap_or_default();
            let flip = if achievement == Achievement::Rate {
                sign
            } else {
                1.0
            };
            let sched = o.schedule.as_ref();
            let points: Vec<(f64, f64)> = sched
                .map(|sc| sc.points.iter().map(|p| (flip * p.at, p.pay)).collect())
                .unwrap_or_default();
            let top = points.iter().map(|p| p.1).fold(0.0, f64::max);
            let what = Measured::Rate {
                rate: outcomes[i].rate,
                baseline: o.baseline.unwrap_or(0.0),
                sign,
                achievement,
                target: o.target.unwrap_or(f64::NAN),
                points,
                steps: sched.and_then(|sc| sc.shape) == Some(Shape::Steps),
            };
            (what, top.min(1.0))
        };
        let reported = observation != Observation::Exact;
        outcomes[i].measure = Some(out.len());
        out.push(MeasureModel {
            outcome: i,
            what,
            observation,
            rounds,
            contract: o.netting == Some(Netting::Contract),
            price,
            target_share,
            reported,
        });
    }
    out
}

/// Parameters 8: each provider's rate multipliers (docs/model.md,
/// "Several providers"), provider by provider, in the file's order (after
/// every other parameter, so that scenarios without providers keep their
/// draws); with its costs (parameters 4) and price multipliers.
fn providers(
    s: &Scenario,
    pos: &dyn Fn(&str) -> Option<usize>,
    costs: Vec<CostModel>,
    params: &mut Params,
) -> Vec<ProviderModel> {
    let no = s.outcomes.len();
    s.providers
        .iter()
        .zip(costs)
        .enumerate()
        .map(|(i, (p, costs))| {
            let mut rate = vec![Value::Const(1.0); no];
            for (id, d) in &p.rate_multiplier.0 {
                if let Some(o) = pos(id) {
                    rate[o] = params.value(
                        d,
                        ParamKind::ProviderRate(i, o),
                        format!("providers[{i}].rate_multiplier.{id}"),
                    );
                }
            }
            let mut price = vec![1.0; no];
            match &p.price_multiplier {
                Some(PerOutcome::All(m)) => price.fill(*m),
                Some(PerOutcome::Each(map)) => {
                    for (id, m) in &map.0 {
                        if let Some(o) = pos(id) {
                            price[o] = *m;
                        }
                    }
                }
                None => {}
            }
            ProviderModel {
                name: p.name.clone(),
                costs,
                rate,
                price,
            }
        })
        .collect()
}

/// The price multiplier of every pay group, `[o * groups + provider *
/// segments + s]`: the segment's times the provider's (the segments' own
/// without providers).
fn group_prices(segment_price: &[f64], ns: usize, providers: &[ProviderModel]) -> Vec<f64> {
    if providers.is_empty() {
        return segment_price.to_vec();
    }
    let no = segment_price.len() / ns.max(1);
    let ng = ns * providers.len();
    let mut out = vec![1.0; no * ng];
    for o in 0..no {
        for (p, pm) in providers.iter().enumerate() {
            for s in 0..ns {
                out[o * ng + p * ns + s] = segment_price[o * ns + s] * pm.price[o];
            }
        }
    }
    out
}

/// The cells of every count outcome whose counterfactual is netted across
/// the contract, in payment order: event month, then cohort.
fn netting_order(
    s: &Scenario,
    outcomes: &mut [OutcomeModel],
    cohorts: &[CohortModel],
    cell_stride: usize,
) {
    for (o, out) in outcomes.iter_mut().enumerate() {
        let src = &s.outcomes[o];
        if src.kind() != OutcomeKind::Count
            || src.netting != Some(Netting::Contract)
            || src.counterfactual_rate.is_none()
        {
            continue;
        }
        let mut order: Vec<(u32, u32)> = Vec::new();
        for (c, cohort) in cohorts.iter().enumerate() {
            for j in 0..out.spread {
                let cell = c * cell_stride + out.cells + j;
                let event = cohort.start + out.first_lag + j;
                order.push((
                    u32::try_from(cell).unwrap_or(u32::MAX),
                    u32::try_from(event).unwrap_or(u32::MAX),
                ));
            }
        }
        order.sort_by_key(|&(_, event)| event); // stable: cohort order within a month
        out.netting_order = order;
    }
}

/// Segments and their rate and price multipliers, `[outcome * segments + segment]`.
fn segments(
    s: &Scenario,
    no: usize,
    pos: &dyn Fn(&str) -> Option<usize>,
) -> (Vec<SegmentModel>, Vec<f64>, Vec<f64>) {
    if s.segments.is_empty() {
        let all = SegmentModel {
            name: "all".into(),
            share: 1.0,
        };
        return (vec![all], vec![1.0; no], vec![1.0; no]);
    }
    let ns = s.segments.len();
    let mut rate_m = vec![1.0; ns * no];
    let mut price_m = vec![1.0; ns * no];
    for (g, sg) in s.segments.iter().enumerate() {
        for (id, m) in &sg.rate_multiplier.0 {
            if let Some(o) = pos(id) {
                rate_m[o * ns + g] = *m;
            }
        }
        match &sg.price_multiplier {
            Some(PerOutcome::All(m)) => {
                for o in 0..no {
                    price_m[o * ns + g] = *m;
                }
            }
            Some(PerOutcome::Each(map)) => {
                for (id, m) in &map.0 {
                    if let Some(o) = pos(id) {
                        price_m[o * ns + g] = *m;
                    }
                }
            }
            None => {}
        }
    }
    let segments = s
        .segments
        .iter()
        .map(|g| SegmentModel {
            name: g.name.clone(),
            share: g.share,
        })
        .collect();
    (segments, rate_m, price_m)
}

/// Cash lots: which cells are paid in which month, in payment order (only
/// segments and providers need them: one group is paid per outcome and
/// month). The
/// offsets of each (outcome, month) into the cells, and the cells.
fn lots(
    s: &Scenario,
    outcomes: &[OutcomeModel],
    cohorts: &[CohortModel],
    cell_stride: usize,
    horizon: usize,
    payment_lag: usize,
) -> (Vec<u32>, Vec<u32>) {
    let mut keyed: Vec<(usize, u32)> = Vec::new();
    for (o, out) in outcomes
        .iter()
        .enumerate()
        .filter(|_| !s.segments.is_empty() || !s.providers.is_empty())
    {
        for (c, cohort) in cohorts.iter().enumerate() {
            for j in 0..out.spread {
                let cash = out.cash_month(cohort.start + out.first_lag + j, payment_lag);
                if cash < horizon {
                    let cell = c * cell_stride + out.cells + j;
                    keyed.push((o * horizon + cash, u32::try_from(cell).unwrap_or(u32::MAX)));
                }
            }
        }
    }
    keyed.sort_by_key(|&(k, _)| k); // stable: cohort order within a month
    let mut lot_index = vec![0u32; outcomes.len() * horizon + 1];
    for &(k, _) in &keyed {
        lot_index[k + 1] += 1;
    }
    for i in 1..lot_index.len() {
        lot_index[i] += lot_index[i - 1];
    }
    let lots = keyed.into_iter().map(|(_, cell)| cell).collect();
    (lot_index, lots)
}

/// The payers: names and shares, caps, each outcome's split between them.
struct Payers {
    names: Vec<(String, f64)>,
    caps: Vec<f64>,
    /// `[outcome * payers + payer]`, each outcome's row summing to one.
    weights: Vec<f64>,
    /// Whether payments must be split per payer (a `paid_by` or a cap).
    split: bool,
}

fn payers(s: &Scenario) -> Payers {
    let names: Vec<(String, f64)> = match &s.payment.payers {
        Some(p) => p.iter().map(|p| (p.name.clone(), p.share)).collect(),
        None => vec![("payer".to_owned(), 1.0)],
    };
    let caps: Vec<f64> = match &s.payment.payers {
        Some(p) => p.iter().map(|p| p.cap.unwrap_or(f64::INFINITY)).collect(),
        None => vec![f64::INFINITY],
    };
    let np = names.len();
    let mut weights = vec![0.0; s.outcomes.len() * np];
    for (o, out) in s.outcomes.iter().enumerate() {
        let w = &mut weights[o * np..(o + 1) * np];
        match &out.paid_by {
            Some(list) => {
                for (j, (name, share)) in names.iter().enumerate() {
                    if list.contains(name) {
                        w[j] = *share;
                    }
                }
                let total: f64 = w.iter().sum();
                if total > 0.0 {
                    for x in w.iter_mut() {
                        *x /= total;
                    }
                }
            }
            None => {
                for (x, (_, share)) in w.iter_mut().zip(&names) {
                    *x = *share;
                }
            }
        }
    }
    let split =
        s.outcomes.iter().any(|o| o.paid_by.is_some()) || caps.iter().any(|c| c.is_finite());
    Payers {
        names,
        caps,
        weights,
        split,
    }
}

/// Parameters 7: each agency's own rate, in the file's order (after every
/// other parameter, so that scenarios without transfers keep their draws).
/// An agency without its own rate shares the outcome's trial rate.
fn transfers(
    s: &Scenario,
    measures: &[MeasureModel],
    params: &mut Params,
) -> Option<TransfersModel> {
    let tr = s.transfers.as_ref()?;
    let o = s.outcomes.iter().position(|o| o.id == tr.outcome)?;
    let measure = measures.iter().position(|m| m.outcome == o)?;
    let mm = &measures[measure];
    let Measured::Rate {
        rate,
        baseline,
        target,
        ..
    } = &mm.what
    else {
        return None;
    };
    // The agencies' draws and sums go by name, so that the order of the
    // list in the file changes nothing.
    let mut by_name: Vec<usize> = (0..tr.agencies.len()).collect();
    by_name.sort_by(|&a, &b| tr.agencies[a].name.cmp(&tr.agencies[b].name));
    let mut rates = vec![*rate; tr.agencies.len()];
    for &i in &by_name {
        if let Some(d) = &tr.agencies[i].rate {
            rates[i] = params.value(
                d,
                ParamKind::AgencyRate(i),
                format!("transfers.agencies.{}.rate", tr.agencies[i].name),
            );
        }
    }
    let agencies: Vec<AgencyModel> = tr
        .agencies
        .iter()
        .zip(rates)
        .map(|(a, rate)| AgencyModel {
            name: a.name.clone(),
            commitment: a.commitment.unwrap_or(mm.price),
            baseline: a.baseline.unwrap_or(*baseline),
            target: a.target.unwrap_or(*target),
            rate,
        })
        .collect();
    // Ranks: priority 1 first, by name within a rank; without priorities
    // one rank of every agency.
    let rank = |i: usize| tr.agencies[i].priority.map_or(0, |r| r.0);
    let mut order = by_name;
    order.sort_by_key(|&i| rank(i));
    let mut ranks = Vec::new();
    let mut start = 0;
    for i in 1..=order.len() {
        if i == order.len() || rank(order[i]) != rank(order[start]) {
            ranks.push((start, i));
            start = i;
        }
    }
    Some(TransfersModel {
        measure,
        pool: tr.pool.unwrap_or(f64::INFINITY),
        pooled: tr.pool.is_some(),
        agencies,
        ranks,
        order,
    })
}

/// The fixed part of the price per month: `fixed_monthly` in each month of
/// `fixed_months` (the whole horizon by default); empty without one.
fn fixed_payments(s: &Scenario, horizon: usize) -> Vec<f64> {
    let Some(f) = s.payment.fixed_monthly else {
        return Vec::new();
    };
    let (start, end) = match &s.payment.fixed_months {
        Some(v) if v.len() == 2 => (to_usize(v[0].0), to_usize(v[1].0).min(horizon)),
        _ => (0, horizon),
    };
    (0..horizon)
        .map(|t| if (start..end).contains(&t) { f } else { 0.0 })
        .collect()
}

/// The tranches, their order by seniority, and the groups of equal seniority
/// (ranges into that order). A contract funded by its provider has one
/// uncapped tranche, the provider's own money.
fn tranches(s: &Scenario) -> (Vec<TrancheModel>, Vec<usize>, Vec<(usize, usize)>) {
    let provider = s.finance.funded_by == Some(FundedBy::Provider);
    let tranches: Vec<TrancheModel> = match &s.finance.tranches {
        _ if provider => vec![TrancheModel {
            name: "provider".into(),
            share: 1.0,
            seniority: 1,
            cap_irr: None,
            cap_factor: 1.0,
        }],
        Some(t) => t
            .iter()
            .map(|t| TrancheModel {
                name: t.name.clone(),
                share: t.share,
                seniority: whole(t.seniority, 1),
                cap_irr: t.cap_irr,
                cap_factor: t.cap_irr.map_or(1.0, |c| math::powf(1.0 + c, 1.0 / 12.0)),
            })
            .collect(),
        None => vec![TrancheModel {
            name: "investor".into(),
            share: 1.0,
            seniority: 1,
            cap_irr: None,
            cap_factor: 1.0,
        }],
    };
    let mut order: Vec<usize> = (0..tranches.len()).collect();
    order.sort_by_key(|&i| tranches[i].seniority);
    let mut groups = Vec::new();
    let mut start = 0;
    for i in 1..=order.len() {
        if i == order.len() || tranches[order[i]].seniority != tranches[order[start]].seniority {
            groups.push((start, i));
            start = i;
        }
    }
    (tranches, order, groups)
}
/// The support of a validated lag: (months, probability) in the order given.
fn lag_support(d: Option<&Dist>) -> Vec<(usize, f64)> {
    let mut out: Vec<(usize, f64)> = Vec::new();
    let mut add = |m: f64, w: f64| {
        let m = to_usize(m as i64);
        if w > 0.0 {
            match out.iter_mut().find(|(x, _)| *x == m) {
                Some(e) => e.1 += w,
                None => out.push((m, w)),
            }
        }
    };
    match d {
        None => add(0.0, 1.0),
        Some(Dist::Uniform(r)) => {
            let (lo, hi) = (r.min as i64, r.max as i64);
            for m in lo..=hi {
                add(m as f64, 1.0);
            }
        }
        Some(Dist::Discrete(dd)) => {
            for (v, w) in dd.values.iter().zip(&dd.weights) {
                add(*v, *w);
            }
        }
        Some(Dist::Const(c)) => add(*c, 1.0),
        // Validation admits no other kind.
        Some(_) => add(0.0, 1.0),
    }
    let total: f64 = out.iter().map(|x| x.1).sum();
    for e in &mut out {
        e.1 /= total;
    }
    out
}

fn whole(w: Option<Whole>, default: i64) -> i64 {
    w.map_or(default, |w| w.0)
}

fn to_usize(v: i64) -> usize {
    usize::try_from(v.max(0)).unwrap_or(usize::MAX)
}

fn compile_copula(s: &Scenario, outcomes: &[OutcomeModel]) -> Option<Copula> {
    let mut involved: Vec<usize> = Vec::new();
    for c in &s.correlations {
        for id in &c.between {
            if let Some(i) = outcomes.iter().position(|o| &o.id == id)
                && matches!(outcomes[i].rate, Value::Param(_))
                && !involved.contains(&i)
            {
                involved.push(i);
            }
        }
    }
    if involved.len() < 2 {
        return None;
    }
    involved.sort_unstable();
    let n = involved.len();
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        m[i * n + i] = 1.0;
    }
    for c in &s.correlations {
        let idx: Vec<Option<usize>> = c
            .between
            .iter()
            .map(|id| involved.iter().position(|&k| outcomes[k].id == *id))
            .collect();
        if let [Some(a), Some(b)] = idx[..] {
            m[a * n + b] = c.rho;
            m[b * n + a] = c.rho;
        }
    }
    let chol = cholesky(&m, n)?;
    let params = involved
        .iter()
        .map(|&i| match outcomes[i].rate {
            Value::Param(p) => p,
            Value::Const(_) => unreachable!("only parameter rates are involved"),
        })
        .collect();
    Some(Copula { params, chol })
}
