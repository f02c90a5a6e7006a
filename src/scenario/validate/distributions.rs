//! Distributions where they are used: feasible parameters of each kind, and
//! a support that fits the use (a rate in [0, 1], a count, an amount >= 0);
//! lags of whole months.

use super::checker::{Checker, NORMAL_REACH_SD, Support, fmt_g};
use crate::limits::{MAX_AMOUNT, MAX_COHORT_SIZE, MAX_HORIZON_MONTHS};
use crate::scenario::values::{BetaParams, DiscreteParams, Dist, NormalParams};

/// Lower and upper bounds of a distribution's support, where it has them.
type Bounds = (Option<f64>, Option<f64>);

impl Checker {
    /// A distribution at `path`: feasible parameters for its kind, then a
    /// support that fits its use.
    pub(super) fn dist(&mut self, path: &str, d: &Dist, support: Support) {
        if let Some((lo, hi)) = self.dist_bounds(path, d, support) {
            self.dist_support(path, d, support, lo, hi);
        }
    }

    /// Checks `d`'s parameters; the lower and upper bounds of its support
    /// where the kind has them, or `None` when nothing more can be checked.
    fn dist_bounds(&mut self, path: &str, d: &Dist, support: Support) -> Option<Bounds> {
        let k = d.kind();
        let p = |field: &str| format!("{path}.{k}.{field}");
        match d {
            Dist::Const(c) => self.const_bounds(path, *c, support),
            Dist::Beta(b) => self.beta_bounds(path, b),
            Dist::Uniform(r) => {
                let ok = self.finite(&p("min"), r.min) & self.finite(&p("max"), r.max);
                if ok && r.min > r.max {
                    self.err(
                        p("max"),
                        format!("uniform max {} is below min {}", r.max, r.min),
                    );
                }
                Some((Some(r.min), Some(r.max)))
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
                Some((Some(t.min), Some(t.max)))
            }
            Dist::Normal(n) => self.normal_bounds(path, n, support),
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
                    return None;
                }
                Some((Some(0.0), None))
            }
            Dist::Discrete(dd) => self.discrete_bounds(path, dd),
        }
    }

    /// A constant: finite, and a whole count where a count is expected.
    fn const_bounds(&mut self, path: &str, c: f64, support: Support) -> Option<Bounds> {
        if !self.finite(path, c) {
            return None;
        }
        if support == Support::Count && (c < 0.0 || c.fract() != 0.0 || c > MAX_COHORT_SIZE) {
            self.err(
                path,
                format!("size {c} is not a count: expected a whole number from 0 to {MAX_COHORT_SIZE:e}, or a distribution"),
            );
            return None;
        }
        Some((Some(c), Some(c)))
    }

    /// A beta's parameters: {mean, sd} feasible, or {alpha, beta} positive.
    fn beta_bounds(&mut self, path: &str, b: &BetaParams) -> Option<Bounds> {
        let p = |field: &str| format!("{path}.beta.{field}");
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
        Some((Some(0.0), Some(1.0)))
    }

    /// A normal's parameters, its truncation and the support its use needs.
    fn normal_bounds(&mut self, path: &str, n: &NormalParams, support: Support) -> Option<Bounds> {
        let p = |field: &str| format!("{path}.normal.{field}");
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
            Support::Unit if n.min.is_none_or(|m| m < 0.0) || n.max.is_none_or(|m| m > 1.0) => {
                self.err(
                    path,
                    "a normal rate must be truncated to [0, 1]: give min >= 0 and max <= 1",
                );
                return None;
            }
            Support::NonNegative if n.min.is_none_or(|m| m < 0.0) => {
                self.err(
                    path,
                    "a normal cost needs min >= 0 (costs cannot be negative)",
                );
                return None;
            }
            _ => {}
        }
        // Without `max` a normal reaches its far tail: 8 sd above its
        // mean stands for it (beyond, the chance is below 1e-15).
        let reach = n.max.or(Some(n.mean + NORMAL_REACH_SD * n.sd.max(0.0)));
        Some((n.min, reach))
    }

    /// A discrete distribution's values and weights.
    fn discrete_bounds(&mut self, path: &str, dd: &DiscreteParams) -> Option<Bounds> {
        let p = |field: &str| format!("{path}.discrete.{field}");
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
        Some((lo, hi))
    }

    /// The support `lo..hi` of `d` against its use.
    fn dist_support(
        &mut self,
        path: &str,
        d: &Dist,
        support: Support,
        lo: Option<f64>,
        hi: Option<f64>,
    ) {
        let k = d.kind();
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
            Support::Real => {
                if hi.is_some_and(|v| v > MAX_AMOUNT) || lo.is_some_and(|v| v < -MAX_AMOUNT) {
                    self.err(
                        path,
                        format!("effects go up to {MAX_AMOUNT:e} either way; this {k} goes beyond"),
                    );
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

    /// A lag: a whole number of months, or a discrete distribution of whole months.
    pub(super) fn lag(&mut self, path: &str, d: &Dist) {
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
}
