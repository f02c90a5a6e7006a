//! Every rule of SPEC sections 2 and 9 that a typed read cannot enforce by
//! itself: ranges, references between fields, feasible distribution
//! parameters, shares summing to one, a positive-definite correlation matrix.
//!
//! [`validate`] never stops at the first problem: it returns all of them, each
//! with the field path of the offending value.

use std::collections::HashSet;

use super::types::{Cohort, Costs, Scenario};
use super::values::{Dist, Distributions, PerOutcome, Price, Whole};
use crate::limits::{
    MAX_AMOUNT, MAX_COHORT_SIZE, MAX_DESCRIPTION, MAX_HORIZON_MONTHS, MAX_LABEL, MAX_NAME,
    MAX_RELATIVE_SD, MAX_SOURCE, MAX_TRIALS,
};

/// Tolerance on shares summing to one (SPEC section 9).
pub const SHARE_SUM_TOLERANCE: f64 = 1e-9;

/// One problem found in a scenario: the field path and what was expected.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Dotted field path with list indices, e.g. `outcomes[1].rate.beta.sd`.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

/// What values a distribution may take where it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Support {
    /// A probability: support inside [0, 1].
    Unit,
    /// A money amount: support >= 0.
    NonNegative,
    /// A count: constants are non-negative whole numbers; draws are rounded and clamped.
    Count,
}

struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    fn finite(&mut self, path: &str, v: f64) -> bool {
        if v.is_finite() {
            true
        } else {
            self.err(path, format!("expected a finite number, found {v}"));
            false
        }
    }

    /// `lo <= v <= hi` (inclusive), finite.
    fn in_range(&mut self, path: &str, v: f64, lo: f64, hi: f64, what: &str) {
        if self.finite(path, v) && !(lo..=hi).contains(&v) {
            self.err(path, format!("{v} is out of range: expected {what}"));
        }
    }

    fn non_negative(&mut self, path: &str, v: f64) {
        if self.finite(path, v) && v < 0.0 {
            self.err(path, format!("{v} is negative: expected a number >= 0"));
        } else if v > MAX_AMOUNT {
            self.err(
                path,
                format!("{v:e} is too large: amounts and multipliers go up to {MAX_AMOUNT:e}"),
            );
        }
    }

    /// At most `max` items in a list.
    fn at_most(&mut self, path: &str, len: usize, max: usize, what: &str) {
        if len > max {
            self.err(
                path,
                format!("{len} {what}: at most {max} are supported (see the limits in docs/scenario-format.md)"),
            );
        }
    }

    fn whole_in(&mut self, path: &str, v: Whole, lo: i64, hi: i64, what: &str) -> bool {
        if v.0 < lo || v.0 > hi {
            self.err(path, format!("{} is out of range: expected {what}", v.0));
            false
        } else {
            true
        }
    }

    fn name(&mut self, path: &str, name: &str, seen: &mut HashSet<String>, kind: &str) {
        if name.trim().is_empty() {
            self.err(path, format!("{kind} name is empty"));
        } else if name.contains('.') {
            self.err(
                path,
                format!("{kind} name `{name}` contains `.`: names appear in dotted metric keys and paths"),
            );
        }
        if !seen.insert(name.to_owned()) {
            self.err(
                path,
                format!("duplicate {kind} name `{name}`: names must be unique"),
            );
        }
    }

    fn shares(&mut self, path: &str, shares: impl Iterator<Item = f64>, what: &str) {
        let sum: f64 = shares.sum();
        if sum.is_finite() && (sum - 1.0).abs() > SHARE_SUM_TOLERANCE {
            self.err(
                path,
                format!(
                    "{what} shares sum to {}, expected 1 (within 1e-9)",
                    fmt_sum(sum)
                ),
            );
        }
    }

    fn dist(&mut self, path: &str, d: &Dist, support: Support) {
        let k = d.kind();
        let p = |field: &str| format!("{path}.{k}.{field}");
        // Lower and upper bounds of the support, where the kind has them.
        let (lo, hi): (Option<f64>, Option<f64>) = match d {
            Dist::Const(c) => {
                if !self.finite(path, *c) {
                    return;
                }
                if support == Support::Count
                    && (*c < 0.0 || c.fract() != 0.0 || *c > MAX_COHORT_SIZE)
                {
                    self.err(
                        path,
                        format!("size {c} is not a count: expected a whole number from 0 to {MAX_COHORT_SIZE:e}, or a distribution"),
                    );
                    return;
                }
                (Some(*c), Some(*c))
            }
            Dist::Beta(b) => {
                match (b.mean, b.sd, b.alpha, b.beta) {
                    (Some(m), Some(sd), None, None) => {
                        let okm = self.finite(&p("mean"), m);
                        let oks = self.finite(&p("sd"), sd);
                        if okm && !(m > 0.0 && m < 1.0) {
                            self.err(
                                p("mean"),
                                format!("beta mean {m} is out of range: expected 0 < mean < 1"),
                            );
                        } else if okm && oks && sd < 0.0 {
                            self.err(
                                p("sd"),
                                format!("beta sd {sd} is negative: expected sd >= 0"),
                            );
                        } else if okm && oks && sd * sd >= m * (1.0 - m) {
                            let lim = (m * (1.0 - m)).sqrt();
                            self.err(
                                p("sd"),
                                format!(
                                    "beta sd {sd} is too large for mean {m} (needs sd < {})",
                                    fmt_g(lim)
                                ),
                            );
                        }
                    }
                    (None, None, Some(a), Some(bb)) => {
                        for (f, v) in [("alpha", a), ("beta", bb)] {
                            if self.finite(&p(f), v) && v <= 0.0 {
                                self.err(p(f), format!("beta {f} {v} must be > 0"));
                            }
                        }
                    }
                    _ => self.err(
                        format!("{path}.beta"),
                        "beta needs exactly one pair of parameters: {mean, sd} or {alpha, beta}",
                    ),
                }
                (Some(0.0), Some(1.0))
            }
            Dist::Uniform(r) => {
                let ok = self.finite(&p("min"), r.min) & self.finite(&p("max"), r.max);
                if ok && r.min > r.max {
                    self.err(
                        p("max"),
                        format!("uniform max {} is below min {}", r.max, r.min),
                    );
                }
                (Some(r.min), Some(r.max))
            }
            Dist::Triangular(t) | Dist::Pert(t) => {
                let ok = self.finite(&p("min"), t.min)
                    & self.finite(&p("mode"), t.mode)
                    & self.finite(&p("max"), t.max);
                if ok && !(t.min <= t.mode && t.mode <= t.max) {
                    self.err(
                        p("mode"),
                        format!(
                            "{k} needs min <= mode <= max, found {} / {} / {}",
                            t.min, t.mode, t.max
                        ),
                    );
                }
                (Some(t.min), Some(t.max))
            }
            Dist::Normal(n) => {
                let ok = self.finite(&p("mean"), n.mean) & self.finite(&p("sd"), n.sd);
                if ok && n.sd < 0.0 {
                    self.err(
                        p("sd"),
                        format!("normal sd {} is negative: expected sd >= 0", n.sd),
                    );
                }
                for (f, v) in [("min", n.min), ("max", n.max)] {
                    if let Some(v) = v {
                        self.finite(&p(f), v);
                    }
                }
                if let (Some(a), Some(b)) = (n.min, n.max) {
                    if a > b {
                        self.err(p("max"), format!("normal max {b} is below min {a}"));
                    } else if ok && n.sd == 0.0 && !(a..=b).contains(&n.mean) {
                        self.err(
                            p("mean"),
                            format!(
                                "normal with sd 0 has mean {} outside [min, max] = [{a}, {b}]",
                                n.mean
                            ),
                        );
                    } else if ok && n.sd > 0.0 && a < b {
                        let mass = crate::numeric::special::normal_mass(n.mean, n.sd, a, b);
                        if mass <= 0.0 || !mass.is_finite() {
                            self.err(
                                path,
                                format!(
                                    "normal(mean {}, sd {}) has no probability mass in [{a}, {b}]",
                                    n.mean, n.sd
                                ),
                            );
                        }
                    }
                }
                match support {
                    Support::Unit
                        if n.min.is_none_or(|m| m < 0.0) || n.max.is_none_or(|m| m > 1.0) =>
                    {
                        self.err(
                            path,
                            "a normal rate must be truncated to [0, 1]: give min >= 0 and max <= 1",
                        );
                        return;
                    }
                    Support::NonNegative if n.min.is_none_or(|m| m < 0.0) => {
                        self.err(
                            path,
                            "a normal cost needs min >= 0 (costs cannot be negative)",
                        );
                        return;
                    }
                    _ => {}
                }
                // Without `max` a normal reaches its far tail: 8 sd above its
                // mean stands for it (beyond, the chance is below 1e-15).
                let reach = n.max.or(Some(n.mean + NORMAL_REACH_SD * n.sd.max(0.0)));
                (n.min, reach)
            }
            Dist::Lognormal(l) => {
                let ok = self.finite(&p("mean"), l.mean) & self.finite(&p("sd"), l.sd);
                if ok && l.mean <= 0.0 {
                    self.err(p("mean"), format!("lognormal mean {} must be > 0", l.mean));
                }
                if ok && l.sd < 0.0 {
                    self.err(
                        p("sd"),
                        format!("lognormal sd {} is negative: expected sd >= 0", l.sd),
                    );
                }
                if support == Support::Unit {
                    self.err(path, "a rate cannot be lognormal (its support is not inside [0, 1]); use beta or pert");
                    return;
                }
                (Some(0.0), None)
            }
            Dist::Discrete(dd) => {
                self.at_most(
                    &p("values"),
                    dd.values.len(),
                    crate::limits::MAX_LIST,
                    "values",
                );
                if dd.values.is_empty() {
                    self.err(p("values"), "discrete needs at least one value");
                }
                if dd.values.len() != dd.weights.len() {
                    self.err(
                        p("weights"),
                        format!(
                            "discrete has {} values but {} weights: expected one weight per value",
                            dd.values.len(),
                            dd.weights.len()
                        ),
                    );
                }
                for (i, v) in dd.values.iter().enumerate() {
                    self.finite(&format!("{}[{i}]", p("values")), *v);
                }
                let mut total = 0.0;
                for (i, w) in dd.weights.iter().enumerate() {
                    let wp = format!("{}[{i}]", p("weights"));
                    if self.finite(&wp, *w) {
                        if *w < 0.0 {
                            self.err(wp, format!("weight {w} is negative: expected >= 0"));
                        } else {
                            total += w;
                        }
                    }
                }
                if !dd.weights.is_empty() && total <= 0.0 {
                    self.err(
                        p("weights"),
                        "discrete weights sum to 0: at least one must be > 0",
                    );
                }
                let lo = dd
                    .values
                    .iter()
                    .copied()
                    .filter(|v| v.is_finite())
                    .reduce(f64::min);
                let hi = dd
                    .values
                    .iter()
                    .copied()
                    .filter(|v| v.is_finite())
                    .reduce(f64::max);
                (lo, hi)
            }
        };
        match support {
            Support::Unit => {
                if lo.is_some_and(|v| v < 0.0) || hi.is_some_and(|v| v > 1.0) {
                    let message = match d {
                        // (Every digit: 1.0000001 is not 1.)
                        Dist::Const(c) => {
                            format!("rate {c} is outside [0, 1]: a rate is a probability")
                        }
                        _ => format!(
                            "a rate must lie within [0, 1]; this {k} spans [{}, {}]",
                            lo.map_or("-inf".into(), |v| v.to_string()),
                            hi.map_or("+inf".into(), |v| v.to_string())
                        ),
                    };
                    self.err(path, message);
                }
            }
            Support::Count => {
                if hi.is_some_and(|v| v > MAX_COHORT_SIZE) {
                    let how = match d {
                        Dist::Normal(n) if n.max.is_none() => format!(
                            "this normal reaches {} ({NORMAL_REACH_SD} sd above its mean): give it a `max` of at most {MAX_COHORT_SIZE:e}",
                            hi.map_or("+inf".into(), fmt_g)
                        ),
                        _ => format!("this {k} reaches {}", hi.map_or("+inf".into(), fmt_g)),
                    };
                    self.err(
                        path,
                        format!("a cohort size goes up to {MAX_COHORT_SIZE:e}; {how}"),
                    );
                }
                if let Dist::Lognormal(l) = d
                    && l.mean > MAX_COHORT_SIZE
                {
                    self.err(path, format!("a cohort size goes up to {MAX_COHORT_SIZE:e}; this lognormal has mean {}", l.mean));
                }
            }
            Support::NonNegative => {
                if hi.is_some_and(|v| v > MAX_AMOUNT)
                    || matches!(d, Dist::Lognormal(l) if l.mean > MAX_AMOUNT)
                    || matches!(d, Dist::Normal(n) if n.mean > MAX_AMOUNT)
                {
                    self.err(
                        path,
                        format!("amounts go up to {MAX_AMOUNT:e}; this {k} goes beyond"),
                    );
                }
                if lo.is_some_and(|v| v < 0.0) {
                    self.err(
                        path,
                        format!(
                            "a cost cannot be negative; this {k} goes down to {}",
                            lo.map_or("-inf".into(), fmt_g)
                        ),
                    );
                }
            }
        }
    }
}

impl Checker {
    /// `covers:` of a guarantee or floor names an existing tranche (required with several).
    fn covers(&mut self, path: &str, covers: Option<&str>, tranches: &[&str]) {
        match covers {
            None if tranches.len() > 1 => self.err(
                path,
                format!(
                    "missing `covers`: with several tranches, name the covered one ({})",
                    tranches.join(", ")
                ),
            ),
            Some(t) if !tranches.contains(&t) => self.err(
                format!("{path}.covers"),
                format!(
                    "unknown tranche `{t}` (expected one of: {})",
                    tranches.join(", ")
                ),
            ),
            _ => {}
        }
    }

    /// A lag: a whole number of months, or a discrete distribution of whole months.
    fn lag(&mut self, path: &str, d: &Dist) {
        let what = format!("a whole number of months from 0 to {MAX_HORIZON_MONTHS}");
        let whole = |v: f64| v.fract() == 0.0 && (0.0..=MAX_HORIZON_MONTHS as f64).contains(&v);
        match d {
            Dist::Const(v) => {
                if self.finite(path, *v) && !whole(*v) {
                    self.err(path, format!("lag {v} is not {what}"));
                }
            }
            Dist::Uniform(r) => {
                for (f, v) in [("min", r.min), ("max", r.max)] {
                    let fp = format!("{path}.uniform.{f}");
                    if self.finite(&fp, v) && !whole(v) {
                        self.err(fp, format!("lag bound {v} is not {what}"));
                    }
                }
                if r.min > r.max {
                    self.err(
                        format!("{path}.uniform.max"),
                        format!("uniform max {} is below min {}", r.max, r.min),
                    );
                }
            }
            Dist::Discrete(dd) => {
                self.dist(path, d, Support::NonNegative);
                for (i, v) in dd.values.iter().enumerate() {
                    if v.is_finite() && !whole(*v) {
                        self.err(
                            format!("{path}.discrete.values[{i}]"),
                            format!("lag {v} is not {what}"),
                        );
                    }
                }
            }
            other => self.err(
                path,
                format!(
                    "a lag cannot be {}: expected a whole number of months, `uniform` with whole bounds, or `discrete` with whole values",
                    other.kind()
                ),
            ),
        }
    }

    /// A price: a number >= 0, or tiers with increasing `up_to` and an open last tier.
    fn price(&mut self, path: &str, p: &Price) {
        match p {
            Price::Fixed(v) => self.non_negative(path, *v),
            Price::Tiered { tiers } => {
                self.at_most(
                    &format!("{path}.tiers"),
                    tiers.len(),
                    crate::limits::MAX_LIST,
                    "tiers",
                );
                if tiers.is_empty() {
                    self.err(
                        format!("{path}.tiers"),
                        "empty list: give at least one tier ({price} alone for one price)",
                    );
                }
                let mut prev = 0i64;
                for (i, t) in tiers.iter().enumerate() {
                    let tp = format!("{path}.tiers[{i}]");
                    self.non_negative(&format!("{tp}.price"), t.price);
                    let last = i + 1 == tiers.len();
                    match (t.up_to, last) {
                        (None, false) => self.err(
                            &tp,
                            "missing `up_to`: every tier but the last says up to which paid outcome it applies",
                        ),
                        (Some(_), true) => self.err(
                            format!("{tp}.up_to"),
                            "the last tier has no `up_to`: it prices every outcome beyond the previous tier (use max_paid to stop paying)",
                        ),
                        (Some(u), false) => {
                            if i == 0 && u.0 < 1 {
                                self.err(
                                    format!("{tp}.up_to"),
                                    format!(
                                        "up_to {} must be at least 1: the first tier prices paid outcomes 1 to up_to",
                                        u.0
                                    ),
                                );
                            } else if u.0 <= prev {
                                self.err(
                                    format!("{tp}.up_to"),
                                    format!(
                                        "up_to {} must be above the previous tier's ({prev}): tiers are strictly increasing",
                                        u.0
                                    ),
                                );
                            } else {
                                prev = u.0;
                            }
                        }
                        (None, true) => {}
                    }
                }
            }
        }
    }
}

fn check_segments(c: &mut Checker, s: &Scenario, ids: &[&str]) {
    let mut seen = HashSet::new();
    for (i, sg) in s.segments.iter().enumerate() {
        let p = format!("segments[{i}]");
        if sg.name.is_empty()
            || !sg
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            c.err(
                format!("{p}.name"),
                format!(
                    "segment name `{}` is invalid: expected [a-z0-9_]+ (it appears in metric keys)",
                    sg.name
                ),
            );
        } else if !seen.insert(sg.name.as_str()) {
            c.err(
                format!("{p}.name"),
                format!("duplicate segment name `{}`", sg.name),
            );
        }
        let sp = format!("{p}.share");
        if c.finite(&sp, sg.share) && sg.share <= 0.0 {
            c.err(sp, format!("share {} must be > 0", sg.share));
        }
        let by_id = |c: &mut Checker, field: &str, id: &str, v: f64| {
            let mp = format!("{p}.{field}.{id}");
            if !ids.contains(&id) {
                c.err(
                    &mp,
                    format!(
                        "unknown outcome `{id}` (expected one of: {})",
                        list_or_none(ids)
                    ),
                );
            }
            c.non_negative(&mp, v);
        };
        for (id, m) in &sg.rate_multiplier.0 {
            by_id(c, "rate_multiplier", id, *m);
        }
        match &sg.price_multiplier {
            Some(PerOutcome::All(m)) => c.non_negative(&format!("{p}.price_multiplier"), *m),
            Some(PerOutcome::Each(map)) => {
                for (id, m) in &map.0 {
                    by_id(c, "price_multiplier", id, *m);
                }
            }
            None => {}
        }
    }
    if !s.segments.is_empty() {
        c.shares("segments", s.segments.iter().map(|g| g.share), "segment");
    }
}

/// A sum shown to 12 significant digits (0.9, not 0.8999999999999999).
fn fmt_sum(v: f64) -> String {
    let s = format!("{v:.12}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Shortest readable form of a number (`0.5`, `0.4472`, `1e9`).
fn fmt_g(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{v}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// Sd above its mean that stands for the far tail of a normal without `max`.
const NORMAL_REACH_SD: f64 = 8.0;

/// Every text of the scenario within its length (names and labels appear in
/// tables, charts and workbook cells, which hold at most 32,767 characters).
fn check_text_lengths(c: &mut Checker, s: &Scenario) {
    let tree = serde_json::to_value(s).unwrap_or_default();
    let mut stack = vec![(String::new(), &tree)];
    while let Some((path, v)) = stack.pop() {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    stack.push((p, x));
                }
            }
            serde_json::Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    stack.push((format!("{path}[{i}]"), x));
                }
            }
            serde_json::Value::String(t) => {
                let (limit, what) = if path == "description" {
                    (MAX_DESCRIPTION, "a description")
                } else if path.starts_with("sources[") {
                    (MAX_SOURCE, "a source")
                } else if path.ends_with(".label") {
                    (MAX_LABEL, "a label")
                } else {
                    (MAX_NAME, "a name or id")
                };
                let n = t.chars().count();
                if n > limit {
                    c.err(
                        path,
                        format!("{n} characters long: {what} has at most {limit} (it appears in tables, charts and workbook cells)"),
                    );
                }
            }
            _ => {}
        }
    }
}

/// Checks a scenario against every rule of SPEC sections 2 and 9; returns all problems found.
pub fn validate(s: &Scenario) -> Vec<Problem> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    check_text_lengths(&mut c, s);

    if s.name.trim().is_empty() {
        c.err("name", "name is empty: give the deal a name");
    }
    if !(s.currency.len() == 3 && s.currency.bytes().all(|b| b.is_ascii_uppercase())) {
        c.err(
            "currency",
            format!("`{}` is not an ISO 4217 code: expected three capital letters such as COP, PEN or USD", s.currency),
        );
    }
    let horizon_ok = c.whole_in(
        "horizon_months",
        s.horizon_months,
        1,
        MAX_HORIZON_MONTHS,
        &format!("1 to {MAX_HORIZON_MONTHS} months"),
    );
    let horizon = if horizon_ok {
        s.horizon_months.0
    } else {
        i64::MAX
    };

    // Cohorts.
    match (&s.cohorts, &s.enrolment) {
        (Some(_), Some(_)) => c.err(
            "enrolment",
            "give either `cohorts` or `enrolment`, not both",
        ),
        (None, None) => c.err(
            "cohorts",
            "missing cohorts: give a `cohorts` list or an `enrolment` shorthand",
        ),
        (Some(list), None) => {
            c.at_most("cohorts", list.len(), crate::limits::MAX_COHORTS, "cohorts");
            check_cohorts(&mut c, list, horizon);
        }
        (None, Some(e)) => {
            let n_ok = c.whole_in(
                "enrolment.cohorts",
                e.cohorts,
                1,
                crate::limits::MAX_COHORTS as i64,
                &format!("1 to {} cohorts", crate::limits::MAX_COHORTS),
            );
            let first = e.first_month.unwrap_or(Whole(0));
            let every = e.every_months.unwrap_or(Whole(1));
            let f_ok = c.whole_in(
                "enrolment.first_month",
                first,
                0,
                horizon - 1,
                "a month from 0 to horizon_months - 1",
            );
            let e_ok = c.whole_in(
                "enrolment.every_months",
                every,
                1,
                MAX_HORIZON_MONTHS,
                "at least 1 month",
            );
            if n_ok && f_ok && e_ok {
                let last = first.0 + (e.cohorts.0 - 1) * every.0;
                if last >= horizon {
                    c.err(
                        "enrolment.cohorts",
                        format!(
                            "the last of {} cohorts would start in month {last}, at or after the horizon ({horizon} months)",
                            e.cohorts.0
                        ),
                    );
                }
            }
            c.dist("enrolment.size", &e.size, Support::Count);
        }
    }

    let payer_names: Vec<&str> = match &s.payment.payers {
        Some(p) => p.iter().map(|p| p.name.as_str()).collect(),
        None => vec!["payer"],
    };

    // Outcomes.
    if s.outcomes.is_empty() {
        c.err(
            "outcomes",
            "no outcomes: the funnel needs at least one outcome",
        );
    }
    c.at_most(
        "outcomes",
        s.outcomes.len(),
        crate::limits::MAX_OUTCOMES,
        "outcomes",
    );
    let mut ids: Vec<&str> = Vec::new();
    for (i, o) in s.outcomes.iter().enumerate() {
        let p = format!("outcomes[{i}]");
        if o.id.is_empty()
            || !o
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            c.err(
                format!("{p}.id"),
                format!("id `{}` is invalid: expected [a-z0-9_]+", o.id),
            );
        } else if o.id == "enrolled" {
            c.err(
                format!("{p}.id"),
                "`enrolled` is reserved for the cohort size: choose another id",
            );
        } else if ids.contains(&o.id.as_str()) {
            c.err(
                format!("{p}.id"),
                format!("duplicate outcome id `{}`", o.id),
            );
        }
        if let Some(of) = &o.of
            && of != "enrolled"
            && !ids.contains(&of.as_str())
        {
            let why = if s.outcomes[i + 1..].iter().any(|x| &x.id == of) {
                "it is declared later; the base must come earlier in the funnel"
            } else {
                "no such outcome"
            };
            c.err(
                format!("{p}.of"),
                format!(
                    "`{of}`: {why} (expected `enrolled` or one of: {})",
                    list_or_none(&ids)
                ),
            );
        }
        c.dist(&format!("{p}.rate"), &o.rate, Support::Unit);
        if let Some(sd) = o.cohort_sd {
            c.in_range(
                &format!("{p}.cohort_sd"),
                sd,
                0.0,
                0.5,
                "a standard deviation from 0 to 0.5",
            );
        }
        if let Some(l) = &o.lag_months {
            c.lag(&format!("{p}.lag_months"), l);
        }
        c.price(&format!("{p}.price"), &o.price);
        if let Some(m) = o.max_paid {
            c.whole_in(&format!("{p}.max_paid"), m, 0, i64::MAX, "a count >= 0");
        }
        if let Some(list) = &o.paid_by {
            if list.is_empty() {
                c.err(
                    format!("{p}.paid_by"),
                    "empty list: leave `paid_by` out for every payer, or name at least one",
                );
            }
            let mut seen = HashSet::new();
            for (j, name) in list.iter().enumerate() {
                let pp = format!("{p}.paid_by[{j}]");
                if !payer_names.contains(&name.as_str()) {
                    c.err(
                        &pp,
                        format!(
                            "unknown payer `{name}` (expected one of: {})",
                            payer_names.join(", ")
                        ),
                    );
                } else if !seen.insert(name.as_str()) {
                    c.err(&pp, format!("payer `{name}` is listed twice"));
                }
            }
        }
        if let Some(r) = o.counterfactual_rate {
            c.in_range(
                &format!("{p}.counterfactual_rate"),
                r,
                0.0,
                1.0,
                "a rate from 0 to 1 (the share of the base that succeeds without the program)",
            );
        }
        if let Some(m) = &o.measurement {
            let mp = format!("{p}.measurement.relative_sd");
            c.in_range(
                &mp,
                m.relative_sd,
                0.0,
                MAX_RELATIVE_SD,
                &format!("a relative standard deviation from 0 to {MAX_RELATIVE_SD}"),
            );
        }
        ids.push(&o.id);
    }

    check_segments(&mut c, s, &ids);

    // Correlations.
    c.at_most(
        "correlations",
        s.correlations.len(),
        crate::limits::MAX_SHOCKS,
        "correlations",
    );
    c.at_most(
        "shocks",
        s.shocks.len(),
        crate::limits::MAX_SHOCKS,
        "shocks",
    );
    c.at_most(
        "segments",
        s.segments.len(),
        crate::limits::MAX_SEGMENTS,
        "segments",
    );
    check_correlations(&mut c, s, &ids);

    // Shocks.
    let mut shock_names = HashSet::new();
    for (i, sh) in s.shocks.iter().enumerate() {
        let p = format!("shocks[{i}]");
        if sh.name.trim().is_empty() {
            c.err(format!("{p}.name"), "shock name is empty");
        } else if !shock_names.insert(sh.name.clone()) {
            c.err(
                format!("{p}.name"),
                format!("duplicate shock name `{}`", sh.name),
            );
        }
        c.in_range(
            &format!("{p}.probability"),
            sh.probability,
            0.0,
            1.0,
            "a probability from 0 to 1",
        );
        if let Some(m) = sh.from_month {
            c.whole_in(
                &format!("{p}.from_month"),
                m,
                0,
                MAX_HORIZON_MONTHS,
                "a month >= 0",
            );
        }
        for (id, m) in &sh.rate_multiplier.0 {
            let mp = format!("{p}.rate_multiplier.{id}");
            if !ids.contains(&id.as_str()) {
                c.err(
                    &mp,
                    format!(
                        "unknown outcome `{id}` (expected one of: {})",
                        list_or_none(&ids)
                    ),
                );
            }
            c.non_negative(&mp, *m);
        }
    }

    check_costs(&mut c, &s.costs, &ids, horizon);

    // Payment.
    let pay = &s.payment;
    if let Some(payers) = &pay.payers {
        c.at_most(
            "payment.payers",
            payers.len(),
            crate::limits::MAX_PARTIES,
            "payers",
        );
        if payers.is_empty() {
            c.err(
                "payment.payers",
                "empty list: leave `payers` out for one payer, or list at least one",
            );
        }
        let mut seen = HashSet::new();
        for (i, py) in payers.iter().enumerate() {
            c.name(
                &format!("payment.payers[{i}].name"),
                &py.name,
                &mut seen,
                "payer",
            );
            let sp = format!("payment.payers[{i}].share");
            if c.finite(&sp, py.share) && py.share <= 0.0 {
                c.err(sp, format!("share {} must be > 0", py.share));
            }
            if let Some(cap) = py.cap {
                c.non_negative(&format!("payment.payers[{i}].cap"), cap);
            }
        }
        if !payers.is_empty() {
            c.shares("payment.payers", payers.iter().map(|p| p.share), "payer");
        }
    }
    if let Some(b) = pay.budget_cap {
        c.non_negative("payment.budget_cap", b);
    }
    if let Some(l) = pay.lag_months {
        c.whole_in(
            "payment.lag_months",
            l,
            0,
            MAX_HORIZON_MONTHS,
            "a lag of 0 or more months",
        );
    }
    if let Some(e) = pay.evaluation_cost {
        c.non_negative("payment.evaluation_cost", e);
    }
    if let Some(f) = pay.service_fee {
        c.in_range(
            "payment.service_fee",
            f,
            0.0,
            1.0,
            "a share of the monthly delivery cost from 0 to 1",
        );
    }
    if let Some(r) = pay.discount_rate
        && c.finite("payment.discount_rate", r)
        && r <= -1.0
    {
        c.err(
            "payment.discount_rate",
            format!("{r} is out of range: expected an annual rate > -1 (e.g. 0.08)"),
        );
    }

    // Finance.
    let fin = &s.finance;
    if let Some(k) = fin.committed_capital {
        c.non_negative("finance.committed_capital", k);
    }
    if let Some(h) = fin.hurdle_irr
        && c.finite("finance.hurdle_irr", h)
        && h <= -1.0
    {
        c.err(
            "finance.hurdle_irr",
            format!("{h} is out of range: expected an annual rate > -1 (e.g. 0.08)"),
        );
    }
    let mut tranche_names: Vec<&str> = Vec::new();
    if let Some(tr) = &fin.tranches {
        c.at_most(
            "finance.tranches",
            tr.len(),
            crate::limits::MAX_PARTIES,
            "tranches",
        );
        if tr.is_empty() {
            c.err(
                "finance.tranches",
                "empty list: leave `tranches` out for one investor, or list at least one",
            );
        }
        let mut seen = HashSet::new();
        for (i, t) in tr.iter().enumerate() {
            let p = format!("finance.tranches[{i}]");
            c.name(&format!("{p}.name"), &t.name, &mut seen, "tranche");
            let sp = format!("{p}.share");
            if c.finite(&sp, t.share) && t.share <= 0.0 {
                c.err(sp, format!("share {} must be > 0", t.share));
            }
            if let Some(sn) = t.seniority {
                c.whole_in(
                    &format!("{p}.seniority"),
                    sn,
                    1,
                    1000,
                    "1 (paid first) or more",
                );
            }
            if let Some(cap) = t.cap_irr {
                c.in_range(
                    &format!("{p}.cap_irr"),
                    cap,
                    0.0,
                    100.0,
                    "an annual IRR cap >= 0 (e.g. 0.12)",
                );
            }
            tranche_names.push(&t.name);
        }
        if !tr.is_empty() {
            c.shares("finance.tranches", tr.iter().map(|t| t.share), "tranche");
        }
    } else {
        tranche_names.push("investor");
    }
    if let Some(g) = &fin.guarantee {
        c.non_negative("finance.guarantee.amount", g.amount);
        c.covers("finance.guarantee", g.covers.as_deref(), &tranche_names);
    }
    if let Some(f) = &fin.principal_floor {
        c.in_range(
            "finance.principal_floor.share",
            f.share,
            0.0,
            1.0,
            "a share of the tranche's contributions from 0 to 1",
        );
        c.covers(
            "finance.principal_floor",
            f.covers.as_deref(),
            &tranche_names,
        );
    }
    if let Some(sh) = fin.provider_success_share {
        c.in_range(
            "finance.provider_success_share",
            sh,
            0.0,
            1.0,
            "a fraction from 0 to 1",
        );
    }
    if let Some(Distributions::Every(n)) = fin.distributions {
        c.whole_in(
            "finance.distributions.every_months",
            n,
            1,
            i64::MAX,
            "a whole number of months >= 1 (12: once a year and in the last month)",
        );
    }

    // The per-trial state the funnel implies.
    let cells = cells(s);
    if cells > crate::limits::MAX_CELLS {
        c.err(
            "outcomes",
            format!(
                "a trial would keep {cells} counts (cohorts x segments x the months each outcome's successes may fall in), above {}: use fewer cohorts, segments or lag months",
                crate::limits::MAX_CELLS
            ),
        );
    }

    // Simulation.
    let sim = &s.simulation;
    if let Some(t) = sim.trials {
        c.whole_in(
            "simulation.trials",
            t,
            1,
            MAX_TRIALS,
            &format!("1 to {MAX_TRIALS} trials"),
        );
    }
    if let Some(seed) = sim.seed {
        c.whole_in("simulation.seed", seed, 0, i64::MAX, "a seed >= 0");
    }

    c.problems
}

fn list_or_none(ids: &[&str]) -> String {
    if ids.is_empty() {
        "none declared before".into()
    } else {
        ids.join(", ")
    }
}

fn check_cohorts(c: &mut Checker, list: &[Cohort], horizon: i64) {
    if list.is_empty() {
        c.err(
            "cohorts",
            "empty list: the contract needs at least one cohort",
        );
    }
    let mut seen = HashSet::new();
    for (i, ch) in list.iter().enumerate() {
        let p = format!("cohorts[{i}]");
        if ch.name.trim().is_empty() {
            c.err(format!("{p}.name"), "cohort name is empty");
        } else if !seen.insert(ch.name.clone()) {
            c.err(
                format!("{p}.name"),
                format!("duplicate cohort name `{}`", ch.name),
            );
        }
        if ch.start_month.0 < 0 {
            c.err(
                format!("{p}.start_month"),
                format!("{} is negative: expected a month >= 0", ch.start_month.0),
            );
        } else if ch.start_month.0 >= horizon {
            c.err(
                format!("{p}.start_month"),
                format!("month {} is at or after the horizon ({horizon} months): the cohort would never run", ch.start_month.0),
            );
        }
        c.dist(&format!("{p}.size"), &ch.size, Support::Count);
    }
}

fn check_costs(c: &mut Checker, k: &Costs, ids: &[&str], horizon: i64) {
    for (f, d) in [
        ("upfront", &k.upfront),
        ("per_participant", &k.per_participant),
        ("fixed_monthly", &k.fixed_monthly),
    ] {
        if let Some(d) = d {
            c.dist(&format!("costs.{f}"), d, Support::NonNegative);
        }
    }
    if let Some(po) = &k.per_outcome {
        for (id, d) in &po.0 {
            let p = format!("costs.per_outcome.{id}");
            if !ids.contains(&id.as_str()) {
                c.err(
                    &p,
                    format!(
                        "unknown outcome `{id}` (expected one of: {})",
                        list_or_none(ids)
                    ),
                );
            }
            c.dist(&p, d, Support::NonNegative);
        }
    }
    if let Some(fm) = &k.fixed_months {
        if fm.len() != 2 {
            c.err(
                "costs.fixed_months",
                format!(
                    "expected [start, end) as two months, found {} values",
                    fm.len()
                ),
            );
        } else if !(0 <= fm[0].0 && fm[0].0 <= fm[1].0 && fm[1].0 <= horizon) {
            c.err(
                "costs.fixed_months",
                format!("[{}, {}) is not a valid range: expected 0 <= start <= end <= horizon_months ({horizon})", fm[0].0, fm[1].0),
            );
        }
    }
}

fn check_correlations(c: &mut Checker, s: &Scenario, ids: &[&str]) {
    let mut involved: Vec<usize> = Vec::new();
    let mut pairs: Vec<(usize, usize, f64)> = Vec::new();
    let mut ok = true;
    for (i, cr) in s.correlations.iter().enumerate() {
        let p = format!("correlations[{i}]");
        if cr.between.len() != 2 {
            c.err(
                format!("{p}.between"),
                format!("expected two outcome ids, found {}", cr.between.len()),
            );
            ok = false;
            continue;
        }
        let mut idx = [0usize; 2];
        for (j, id) in cr.between.iter().enumerate() {
            match ids.iter().position(|x| x == id) {
                Some(k) => idx[j] = k,
                None => {
                    c.err(
                        format!("{p}.between[{j}]"),
                        format!(
                            "unknown outcome `{id}` (expected one of: {})",
                            list_or_none(ids)
                        ),
                    );
                    ok = false;
                }
            }
        }
        if !c.finite(&format!("{p}.rho"), cr.rho) {
            ok = false;
            continue;
        }
        if !(-1.0..=1.0).contains(&cr.rho) {
            c.err(
                format!("{p}.rho"),
                format!(
                    "{} is out of range: expected a correlation from -1 to 1",
                    cr.rho
                ),
            );
            ok = false;
        }
        if cr.between.len() == 2 && cr.between[0] == cr.between[1] {
            c.err(
                format!("{p}.between"),
                "an outcome cannot be correlated with itself",
            );
            ok = false;
            continue;
        }
        let (a, b) = (idx[0].min(idx[1]), idx[0].max(idx[1]));
        if pairs.iter().any(|&(x, y, _)| x == a && y == b) {
            c.err(
                format!("{p}.between"),
                format!(
                    "the pair {} / {} is given twice",
                    cr.between[0], cr.between[1]
                ),
            );
            ok = false;
        }
        pairs.push((a, b, cr.rho));
        for k in [a, b] {
            if !involved.contains(&k) {
                involved.push(k);
            }
        }
    }
    if ok && !pairs.is_empty() {
        involved.sort_unstable();
        let n = involved.len();
        let mut m = vec![0.0; n * n];
        for i in 0..n {
            m[i * n + i] = 1.0;
        }
        for &(a, b, r) in &pairs {
            let (i, j) = (
                involved.iter().position(|&x| x == a).unwrap_or(0),
                involved.iter().position(|&x| x == b).unwrap_or(0),
            );
            m[i * n + j] = r;
            m[j * n + i] = r;
        }
        if crate::numeric::cholesky(&m, n).is_none() {
            c.err(
                "correlations",
                "the correlation matrix is not positive definite: some correlations contradict each other (or one is +-1)",
            );
        }
    }
}

/// Checks that pass but almost certainly describe a mistake: what `ibsim
/// validate` prints as warnings (the file stays valid, exit 0).
pub fn warnings(s: &Scenario) -> Vec<Problem> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    let horizon = s.horizon_months.0;
    let starts: Vec<i64> = match (&s.cohorts, &s.enrolment) {
        (Some(list), _) => list.iter().map(|c| c.start_month.0).collect(),
        (None, Some(e)) => {
            let first = e.first_month.map_or(0, |w| w.0);
            let every = e.every_months.map_or(1, |w| w.0);
            (0..e.cohorts.0.max(0))
                .map(|i| first.saturating_add(i.saturating_mul(every)))
                .collect()
        }
        _ => Vec::new(),
    };
    let first_start = starts.iter().copied().min().unwrap_or(0);
    let last_start = starts.iter().copied().max().unwrap_or(0);
    // The earliest event month of each outcome (its base's plus its shortest lag).
    let pay_lag = s.payment.lag_months.map_or(0, |w| w.0);
    let mut earliest: Vec<i64> = Vec::with_capacity(s.outcomes.len());
    for (i, o) in s.outcomes.iter().enumerate() {
        let base = match o.of.as_deref() {
            None | Some("enrolled") => first_start,
            Some(b) => s.outcomes[..i]
                .iter()
                .position(|x| x.id == b)
                .map_or(first_start, |j| earliest[j]),
        };
        let lag = match &o.lag_months {
            None => 0.0,
            Some(Dist::Const(v)) => *v,
            Some(Dist::Uniform(r)) => r.min,
            Some(Dist::Discrete(d)) => d.values.iter().copied().fold(f64::INFINITY, f64::min),
            Some(_) => 0.0,
        };
        let event = base.saturating_add(lag.max(0.0) as i64);
        earliest.push(event);
        if event.saturating_add(pay_lag) >= horizon {
            c.err(
                format!("outcomes[{i}].lag_months"),
                format!(
                    "every success of `{}` is paid at or after the horizon (month {} at the earliest, horizon {horizon} months): none of it will be paid",
                    o.id,
                    event.saturating_add(pay_lag)
                ),
            );
        }
    }
    if s.payment.budget_cap == Some(0.0) {
        c.err(
            "payment.budget_cap",
            "budget_cap 0: the payers pay nothing for any outcome",
        );
    }
    for (i, sh) in s.shocks.iter().enumerate() {
        let from = sh.from_month.map_or(0, |w| w.0);
        if from > last_start {
            c.err(
                format!("shocks[{i}].from_month"),
                format!(
                    "the shock hits cohorts starting in month {from} or later, and the last cohort starts in month {last_start}: it affects none"
                ),
            );
        }
    }
    for (i, cor) in s.correlations.iter().enumerate() {
        for id in &cor.between {
            if s.outcomes
                .iter()
                .any(|o| &o.id == id && matches!(o.rate, Dist::Const(_)))
            {
                c.err(
                    format!("correlations[{i}].between"),
                    format!(
                        "the rate of `{id}` is a constant: a correlation with it has no effect"
                    ),
                );
            }
        }
    }
    c.problems
}

/// Months between the first and the last possible value of a lag (0 when fixed).
pub fn lag_range(d: Option<&Dist>) -> u64 {
    let (lo, hi) = match d {
        Some(Dist::Uniform(r)) => (r.min, r.max),
        Some(Dist::Discrete(dd)) => dd
            .values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            }),
        _ => (0.0, 0.0),
    };
    if lo.is_finite() && hi.is_finite() && hi > lo {
        (hi - lo).min(1e6) as u64
    } else {
        0
    }
}

/// The count cells a trial of `s` keeps (see `model::OutcomeModel`),
/// computed without compiling; saturates instead of overflowing.
pub fn cells(s: &Scenario) -> u64 {
    let cohorts = match (&s.cohorts, &s.enrolment) {
        (Some(list), _) => list.len() as u64,
        (None, Some(e)) => e.cohorts.0.max(0) as u64,
        _ => 0,
    };
    let segments = s.segments.len().max(1) as u64;
    let mut spreads: Vec<u64> = Vec::with_capacity(s.outcomes.len());
    for o in &s.outcomes {
        let base =
            o.of.as_deref()
                .and_then(|b| s.outcomes.iter().position(|x| x.id == b))
                .filter(|&b| b < spreads.len())
                .map_or(1, |b| spreads[b]);
        spreads.push(base.saturating_add(lag_range(o.lag_months.as_ref())));
    }
    let per_cohort = spreads.iter().fold(0u64, |acc, &x| {
        acc.saturating_add(x.saturating_mul(segments))
    });
    cohorts.saturating_mul(per_cohort)
}

#[cfg(test)]
mod tests {
    use super::{cells, fmt_g};

    #[test]
    fn short_numbers() {
        assert_eq!(fmt_g(0.5), "0.5");
        assert_eq!(fmt_g(0.447213595), "0.4472");
        assert_eq!(fmt_g(3.0), "3");
    }

    #[test]
    fn cells_follow_the_lag_spreads() {
        let text = "
name: t
currency: USD
horizon_months: 24
enrolment: {cohorts: 3, size: 10}
segments: [{name: a, share: 0.5}, {name: b, share: 0.5}]
outcomes:
  - {id: x, rate: 0.5, lag_months: {uniform: {min: 1, max: 4}}, price: 1}
  - {id: y, of: x, rate: 0.5, lag_months: {discrete: {values: [0, 2], weights: [1, 1]}}, price: 1}
";
        let s = crate::scenario::parse_str(text, "t.yaml").unwrap().scenario;
        // x: 4 months, y: 4 + 2 = 6 months; 2 segments; 3 cohorts.
        assert_eq!(cells(&s), 3 * 2 * (4 + 6));
        let m = crate::model::Model::compile(&s);
        assert_eq!(cells(&s), (m.cohorts.len() * m.cell_stride) as u64);
    }
}
