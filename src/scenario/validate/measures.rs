//! The rules of effect and rate outcomes, their verification and netting
//! (docs/model.md, "Measured outcomes"): which keys each kind of outcome
//! takes, schedules, survey and RCT designs, verification months.

use super::checker::{Checker, Support};
use crate::scenario::types::{Achievement, Outcome, OutcomeKind, Scenario, Verification};
use crate::scenario::values::Price;

/// The keys outcome `o` (at path `p`) has that its kind does not take.
fn foreign_keys(o: &Outcome) -> Vec<&'static str> {
    let kind = o.kind();
    let mut keys = Vec::new();
    let mut not = |present: bool, key: &'static str| {
        if present {
            keys.push(key);
        }
    };
    match kind {
        OutcomeKind::Count => {
            for (present, key) in rate_keys(o) {
                not(present, key);
            }
        }
        OutcomeKind::Effect => {
            not(o.rate.is_some(), "rate");
            not(o.cohort_sd.is_some(), "cohort_sd");
            not(o.max_paid.is_some(), "max_paid");
            not(o.counterfactual_rate.is_some(), "counterfactual_rate");
            not(o.measurement.is_some(), "measurement");
            for (present, key) in rate_keys(o) {
                not(present, key);
            }
        }
        OutcomeKind::Rate => {
            not(o.of.is_some(), "of");
            not(o.cohort_sd.is_some(), "cohort_sd");
            not(o.lag_months.is_some(), "lag_months");
            not(o.max_paid.is_some(), "max_paid");
            not(o.counterfactual_rate.is_some(), "counterfactual_rate");
            not(o.measurement.is_some(), "measurement");
            not(o.netting.is_some(), "netting");
        }
    }
    keys
}

/// The keys of a rate outcome, each with whether `o` has it.
fn rate_keys(o: &Outcome) -> [(bool, &'static str); 4] {
    [
        (o.baseline.is_some(), "baseline"),
        (o.better.is_some(), "better"),
        (o.target.is_some(), "target"),
        (o.achievement.is_some(), "achievement"),
    ]
}

/// What an outcome of each kind is, for messages.
fn kind_name(kind: OutcomeKind) -> &'static str {
    match kind {
        OutcomeKind::Count => "a count outcome (no `effect` or `schedule`)",
        OutcomeKind::Effect => "an effect outcome (one with `effect`)",
        OutcomeKind::Rate => "a rate outcome (one with `schedule`)",
    }
}

/// Outcome `i`'s kind-specific rules: required and foreign keys, the
/// effect, the schedule, verification and netting. `kinds` are the kinds of
/// the outcomes before it.
pub(super) fn check_measured(
    c: &mut Checker,
    s: &Scenario,
    i: usize,
    kinds: &[(&str, OutcomeKind)],
    horizon: i64,
) {
    let o = &s.outcomes[i];
    let p = format!("outcomes[{i}]");
    let kind = o.kind();
    if o.effect.is_some() && o.schedule.is_some() {
        c.err(
            format!("{p}.schedule"),
            "an outcome has either `effect` (paid per unit) or `schedule` (a rate against a target), not both",
        );
        return;
    }
    for key in foreign_keys(o) {
        c.err(
            format!("{p}.{key}"),
            format!("`{key}` does not apply to {}", kind_name(kind)),
        );
    }
    if kind != OutcomeKind::Count && matches!(o.price, Price::Tiered { .. }) {
        c.err(
            format!("{p}.price"),
            format!("{} has one price (a number), not tiers", kind_name(kind)),
        );
    }
    if let Some(of) = &o.of
        && let Some((_, k)) = kinds.iter().find(|(id, _)| *id == of.as_str())
        && *k != OutcomeKind::Count
    {
        c.err(
            format!("{p}.of"),
            format!(
                "`{of}` is {}: a base must be `enrolled` or a count outcome",
                kind_name(*k)
            ),
        );
    }
    match kind {
        OutcomeKind::Count => {
            if o.rate.is_none() {
                c.err(
                    format!("{p}.rate"),
                    "missing `rate`: a count outcome needs its success rate (or give `effect` or `schedule` for another kind)",
                );
            }
            if o.netting.is_some() && o.counterfactual_rate.is_none() {
                c.err(
                    format!("{p}.netting"),
                    "`netting` says where a counterfactual is netted: give `counterfactual_rate` too",
                );
            }
        }
        OutcomeKind::Effect => check_effect(c, &p, o),
        OutcomeKind::Rate => check_rate(c, &p, o),
    }
    if let Some(v) = &o.verification {
        check_verification(c, &format!("{p}.verification"), v, kind, horizon);
    }
}

/// An effect outcome's `effect` block and lag.
fn check_effect(c: &mut Checker, p: &str, o: &Outcome) {
    let Some(e) = &o.effect else { return };
    let ep = format!("{p}.effect");
    c.dist(&format!("{ep}.mean"), &e.mean, Support::Real);
    if let Some(d) = &e.comparison {
        c.dist(&format!("{ep}.comparison"), d, Support::Real);
    }
    for (key, v) in [
        ("cohort_sd", e.cohort_sd),
        ("participant_sd", e.participant_sd),
    ] {
        if let Some(v) = v {
            c.in_range(
                &format!("{ep}.{key}"),
                v,
                0.0,
                crate::limits::MAX_AMOUNT,
                "a standard deviation >= 0",
            );
        }
    }
    if let Some(l) = &o.lag_months
        && !matches!(l, crate::scenario::Dist::Const(_))
    {
        c.err(
            format!("{p}.lag_months"),
            "an effect outcome's lag is a whole number of months (its effects are summed per cohort and month)",
        );
    }
}

/// A rate outcome's rate, baseline, target and schedule.
fn check_rate(c: &mut Checker, p: &str, o: &Outcome) {
    match &o.rate {
        Some(r) => c.dist(&format!("{p}.rate"), r, Support::Unit),
        None => c.err(
            format!("{p}.rate"),
            "missing `rate`: a rate outcome needs the true rate its population reaches (a number or a distribution)",
        ),
    }
    match o.baseline {
        Some(b) => c.in_range(&format!("{p}.baseline"), b, 0.0, 1.0, "a rate from 0 to 1"),
        None => c.err(
            format!("{p}.baseline"),
            "missing `baseline`: a rate outcome needs the rate before the contract",
        ),
    }
    let achievement = o.achievement.unwrap_or_default();
    match (o.target, achievement) {
        (Some(t), _) => {
            c.in_range(&format!("{p}.target"), t, 0.0, 1.0, "a rate from 0 to 1");
            if let Some(b) = o.baseline
                && t == b
            {
                c.err(
                    format!("{p}.target"),
                    format!("target {t} equals the baseline: it must differ from it"),
                );
            }
        }
        (None, Achievement::ShareOfTarget) => c.err(
            format!("{p}.target"),
            "missing `target`: `achievement: share_of_target` measures progress towards it",
        ),
        (None, _) => {}
    }
    if let Some(sc) = &o.schedule {
        let sp = format!("{p}.schedule.points");
        if sc.points.is_empty() {
            c.err(&sp, "no points: a schedule needs at least one {at, pay}");
        }
        c.at_most(&sp, sc.points.len(), crate::limits::MAX_LIST, "points");
        // Points go from worst to best: increasing, except for the rate
        // itself when a lower rate is better.
        let lower_rate = achievement == Achievement::Rate
            && o.better == Some(crate::scenario::types::Better::Lower);
        for (j, pt) in sc.points.iter().enumerate() {
            let pp = format!("{sp}[{j}]");
            c.finite(&format!("{pp}.at"), pt.at);
            c.in_range(
                &format!("{pp}.pay"),
                pt.pay,
                0.0,
                10.0,
                "a share of the price from 0 to 10 (1 = 100%)",
            );
            if j > 0 {
                let prev = sc.points[j - 1].at;
                let ordered = if lower_rate {
                    pt.at <= prev
                } else {
                    pt.at >= prev
                };
                if !ordered {
                    c.err(
                        format!("{pp}.at"),
                        format!(
                            "{} comes after {prev}: points go from the worst achievement to the best ({})",
                            pt.at,
                            if lower_rate { "decreasing rates, since a lower rate is better" } else { "increasing" }
                        ),
                    );
                }
            }
        }
    }
}

/// `verification`: one method that fits the kind, its design, its months.
fn check_verification(c: &mut Checker, p: &str, v: &Verification, kind: OutcomeKind, horizon: i64) {
    if v.survey.is_some() && v.rct.is_some() {
        c.err(
            format!("{p}.rct"),
            "give one method: `survey` (a rate outcome) or `rct` (an effect outcome), not both",
        );
    }
    if let Some(sv) = &v.survey {
        if kind != OutcomeKind::Rate {
            c.err(
                format!("{p}.survey"),
                format!(
                    "a survey measures a rate: it applies to a rate outcome, and this is {}",
                    kind_name(kind)
                ),
            );
        }
        c.whole_in(
            &format!("{p}.survey.sample"),
            sv.sample,
            1,
            1_000_000_000,
            "at least 1 respondent",
        );
        if let Some(d) = sv.design_effect {
            c.in_range(
                &format!("{p}.survey.design_effect"),
                d,
                1.0,
                1000.0,
                "a design effect from 1 to 1000",
            );
        }
    }
    if let Some(r) = &v.rct {
        if kind != OutcomeKind::Effect {
            c.err(
                format!("{p}.rct"),
                format!(
                    "an RCT estimates an effect: it applies to an effect outcome, and this is {}",
                    kind_name(kind)
                ),
            );
        }
        for (key, n) in [("treated", r.treated), ("control", r.control)] {
            c.whole_in(
                &format!("{p}.rct.{key}"),
                n,
                1,
                1_000_000_000,
                "at least 1 participant",
            );
        }
        c.in_range(
            &format!("{p}.rct.sd"),
            r.sd,
            0.0,
            crate::limits::MAX_AMOUNT,
            "a standard deviation >= 0",
        );
        if let Some(icc) = r.icc {
            c.in_range(
                &format!("{p}.rct.icc"),
                icc,
                0.0,
                1.0,
                "an intra-cluster correlation from 0 to 1",
            );
        }
        if let Some(m) = r.cluster_size {
            c.in_range(
                &format!("{p}.rct.cluster_size"),
                m,
                1.0,
                1e9,
                "at least 1 participant per cluster",
            );
        }
    }
    match &v.months {
        Some(months) => {
            if months.is_empty() {
                c.err(
                    format!("{p}.months"),
                    "no months: leave `months` out, or list at least one",
                );
            }
            c.at_most(
                &format!("{p}.months"),
                months.len(),
                crate::limits::MAX_LIST,
                "months",
            );
            for (j, m) in months.iter().enumerate() {
                c.whole_in(
                    &format!("{p}.months[{j}]"),
                    *m,
                    0,
                    horizon - 1,
                    "a month from 0 to horizon_months - 1",
                );
                if j > 0 && m.0 <= months[j - 1].0 {
                    c.err(
                        format!("{p}.months[{j}]"),
                        format!(
                            "month {} is not after {}: list the months in increasing order",
                            m.0,
                            months[j - 1].0
                        ),
                    );
                }
            }
        }
        None => {
            if (v.survey.is_some() || v.rct.is_some()) && kind == OutcomeKind::Effect {
                c.err(
                    format!("{p}.months"),
                    "an RCT is measured in rounds: give the verification `months`",
                );
            }
        }
    }
}

/// Shocks, segment multipliers and per-outcome costs name count outcomes
/// only: an effect or rate outcome has no successes to scale or cost.
pub(super) fn check_references(c: &mut Checker, s: &Scenario) {
    let measured = |id: &str| {
        s.outcomes
            .iter()
            .find(|o| o.id == id)
            .is_some_and(|o| o.kind() != OutcomeKind::Count)
    };
    let refuse = |c: &mut Checker, path: String, id: &str, what: &str| {
        if measured(id) {
            c.err(
                path,
                format!(
                    "`{id}` is an effect or rate outcome: {what} applies to count outcomes only"
                ),
            );
        }
    };
    for (i, sh) in s.shocks.iter().enumerate() {
        for (id, _) in &sh.rate_multiplier.0 {
            refuse(
                c,
                format!("shocks[{i}].rate_multiplier.{id}"),
                id,
                "a shock's rate multiplier",
            );
        }
    }
    for (i, sg) in s.segments.iter().enumerate() {
        for (id, _) in &sg.rate_multiplier.0 {
            refuse(
                c,
                format!("segments[{i}].rate_multiplier.{id}"),
                id,
                "a segment's rate multiplier",
            );
        }
        if let Some(crate::scenario::values::PerOutcome::Each(m)) = &sg.price_multiplier {
            for (id, _) in &m.0 {
                refuse(
                    c,
                    format!("segments[{i}].price_multiplier.{id}"),
                    id,
                    "a segment's price multiplier",
                );
            }
        }
    }
    if let Some(po) = &s.costs.per_outcome {
        for (id, _) in &po.0 {
            refuse(
                c,
                format!("costs.per_outcome.{id}"),
                id,
                "a cost per success",
            );
        }
    }
}
