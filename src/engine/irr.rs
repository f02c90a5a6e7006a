//! Internal rate of return of monthly cash flows (docs/model.md, "Metrics").
//!
//! The IRR is the root of NPV(r) = sum f_t (1 + r)^-t on r in (-1, +inf) with
//! the smallest |r| (numpy_financial.irr's rule), annualised as
//! (1 + r)^12 - 1. The search walks outward from r = 0 on both sides over a
//! geometric grid of |r| (1e-4, 2e-4, 4e-4, ... monthly), takes the first
//! bracket with a sign change, and
//! polishes it with safeguarded Newton steps (bisection when Newton leaves the
//! bracket). A root where NPV only touches zero without changing sign
//! (a double root), or two roots inside one grid cell, is not found; such
//! flows give the next root or NaN.

use crate::numeric::math;
/// P(x) = sum c_j x^j and P'(x), for NPV in x = 1 / (1 + r).
/// Evaluated as four interleaved Horner chains in y = x^4
/// (P = Q0(y) + x Q1(y) + x^2 Q2(y) + x^3 Q3(y)), which cuts the chain of
/// dependent operations fourfold; each chain carries its derivative Q_j'(y)
/// along (simultaneous Horner), so there is no per-coefficient branch or
/// integer-to-float conversion.
#[inline]
fn poly(c: &[f64], x: f64) -> (f64, f64) {
    let x2 = x * x;
    let y = x2 * x2;
    let n = c.len();
    let full = n / 4 * 4;
    // The 0-3 leftover coefficients start the chains (four selects, not a
    // memcpy call before every evaluation).
    let rest = &c[full..];
    let mut q: [f64; 4] = std::array::from_fn(|j| rest.get(j).copied().unwrap_or(0.0));
    let mut dq = [0.0f64; 4];
    for chunk in c[..full].chunks_exact(4).rev() {
        for j in 0..4 {
            dq[j] = dq[j] * y + q[j];
            q[j] = q[j] * y + chunk[j];
        }
    }
    let x3 = x2 * x;
    let p = (q[0] + x * q[1]) + (x2 * q[2] + x3 * q[3]);
    // d/dx [x^j Q_j(x^4)] = j x^(j-1) Q_j + 4 x^(j+3) Q_j'.
    let dp = (q[1] + 2.0 * x * q[2] + 3.0 * x2 * q[3])
        + 4.0 * x3 * ((dq[0] + x * dq[1]) + (x2 * dq[2] + x3 * dq[3]));
    (p, dp)
}

/// The flows from the first to the last non-zero one. Dropping leading
/// zeros divides NPV by (1 + r)^first, which keeps its roots and signs;
/// trailing zeros add nothing. None when every flow is zero.
#[inline]
fn trimmed(flows: &[f64]) -> Option<&[f64]> {
    let first = flows.iter().position(|&f| f != 0.0)?;
    // Trailing zeros four at a time: a chunk is all zeros (of either sign)
    // when the OR of its bits, sign bits shifted out, is 0.
    let mut end = flows.len();
    while end >= first + 4 {
        let bits = flows[end - 4..end]
            .iter()
            .fold(0u64, |acc, f| acc | f.to_bits());
        if bits << 1 != 0 {
            break;
        }
        end -= 4;
    }
    let last = flows[..end].iter().rposition(|&f| f != 0.0)?;
    Some(&flows[first..=last])
}

/// Root of NPV in [a, b] (monthly rates) given NPV(a) = fa and NPV(b) = fb of
/// opposite signs, and NPV(0) = f0 (a third point for the first guess).
///
/// The first guess is the inverse quadratic interpolation through (0, f0),
/// (a, fa) and (b, fb) when it falls inside the bracket (the secant point,
/// else the midpoint, otherwise); then safeguarded Newton steps. Newton's
/// error after a step s is about |f''/(2 f')| s^2; with f'' estimated from the
/// last two derivatives, the iteration stops as soon as that predicted error
/// is below 1e-15 (relative) once steps are small (asymptotic regime), which
/// saves the last evaluation that only confirmed convergence.
fn polish(flows: &[f64], f0: f64, mut a: f64, mut b: f64, mut fa: f64, fb: f64) -> f64 {
    let inside = |r: f64, a: f64, b: f64| r.is_finite() && r > a.min(b) && r < a.max(b);
    let mut r = {
        // Lagrange form of the inverse interpolation x(f) at f = 0.
        let (x0, x1, x2) = (0.0, a, b);
        let (y0, y1, y2) = (f0, fa, fb);
        let iqi = x0 * y1 * y2 / ((y0 - y1) * (y0 - y2))
            + x1 * y0 * y2 / ((y1 - y0) * (y1 - y2))
            + x2 * y0 * y1 / ((y2 - y0) * (y2 - y1));
        let secant = a - fa * (b - a) / (fb - fa);
        if a != 0.0 && b != 0.0 && inside(iqi, a, b) {
            iqi
        } else if inside(secant, a, b) {
            secant
        } else {
            0.5 * (a + b)
        }
    };
    // (rate, derivative) of the previous Newton step.
    let mut last: Option<(f64, f64)> = None;
    for _ in 0..200 {
        let x = 1.0 / (1.0 + r);
        let (p, dp) = poly(flows, x);
        if p == 0.0 {
            return r;
        }
        if (p < 0.0) == (fa < 0.0) {
            a = r;
            fa = p;
        } else {
            b = r;
        }
        // dNPV/dr = P'(x) * dx/dr = -P'(x) x^2.
        let d = -dp * x * x;
        let newton = r - p / d;
        let took_newton = d != 0.0 && inside(newton, a, b);
        let next = if took_newton { newton } else { 0.5 * (a + b) };
        let step = (next - r).abs();
        let scale = 1.0 + r.abs();
        // Newton converges quadratically: after a step below 1e-12 the error is ~1e-24.
        if step <= 1e-12 * scale || (b - a).abs() <= 1e-16 * scale {
            return next;
        }
        if took_newton
            && step <= 1e-6 * scale
            && let Some((r0, d0)) = last
        {
            // f'' from the last two derivatives; 10x margin on the predicted error.
            let f2 = (d - d0) / (r - r0);
            let predicted = 10.0 * (f2 / (2.0 * d)).abs() * step * step;
            if predicted <= 1e-15 * scale {
                return next;
            }
        }
        last = took_newton.then_some((r, d));
        r = next;
    }
    r
}

/// Smallest |r| (monthly) of the scan grid.
const GRID_START: f64 = 1e-4;
/// Ratio between successive |r| of the scan grid.
const GRID_RATIO: f64 = 2.0;

/// Dot product with four accumulators (vectorisable).
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..4 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// The sums the bounds need, in any order (they only decide what the scan
/// may skip, with margins far above their rounding): NPV'(0) = -sum j c_j,
/// sum j (j + 1) |c_j| and sum |c_j|, with `j1[j] = j` and
/// `j2[j] = j (j + 1)`. Four accumulators each, so the loop vectorises.
#[inline]
fn bound_sums(c: &[f64], j1: &[f64], j2: &[f64]) -> (f64, f64, f64) {
    let (mut g, mut s2, mut sabs) = ([0.0f64; 4], [0.0f64; 4], [0.0f64; 4]);
    let n = c.len();
    let (cc, w1, w2) = (
        c.chunks_exact(4),
        j1[..n].chunks_exact(4),
        j2[..n].chunks_exact(4),
    );
    let (rc, r1, r2) = (cc.remainder(), w1.remainder(), w2.remainder());
    for ((x, a), b) in cc.zip(w1).zip(w2) {
        for i in 0..4 {
            g[i] += a[i] * x[i];
            s2[i] += b[i] * x[i].abs();
            sabs[i] += x[i].abs();
        }
    }
    for (i, ((x, a), b)) in rc.iter().zip(r1).zip(r2).enumerate() {
        g[i] += a * x;
        s2[i] += b * x.abs();
        sabs[i] += x.abs();
    }
    let total = |v: [f64; 4]| (v[0] + v[1]) + (v[2] + v[3]);
    (-total(g), total(s2), total(sabs))
}

/// One side of the scan grid: the rates and their discount factors.
#[derive(Debug, Clone)]
struct Side {
    /// Monthly rate of each level.
    rates: Vec<f64>,
    /// powers[k * len + t] = (1 + rates[k])^-t.
    powers: Vec<f64>,
}

impl Side {
    fn new(rates: Vec<f64>, len: usize) -> Side {
        let mut powers = Vec::with_capacity(rates.len() * len);
        for &r in &rates {
            let x = 1.0 / (1.0 + r);
            let mut p = 1.0;
            for _ in 0..len {
                powers.push(p);
                p *= x;
            }
        }
        Side { rates, powers }
    }
}

/// What the scan needs to know about the flows being solved.
struct Flows<'a> {
    /// Trimmed flows.
    c: &'a [f64],
    /// NPV at r = 0 (never 0 here).
    f0: f64,
    /// NPV'(0) = -sum j c_j.
    g: f64,
    /// sum j (j + 1) |c_j|: bounds |NPV''| for r >= 0.
    s2: f64,
    /// Margin of the bound: 1e-9 of sum |c_j|.
    margin: f64,
}

impl Flows<'_> {
    /// True when NPV provably keeps the sign of f0 for every rate between 0
    /// and `r` (negative r: down to r). By Taylor, NPV lies within
    /// f0 + g r +- S r^2 / 2 with S >= |NPV''| on the interval, a concave
    /// (convex) band, so checking its end is enough.
    #[inline]
    fn keeps_sign(&self, r: f64) -> bool {
        let s = if r >= 0.0 {
            self.s2
        } else if r > -0.5 {
            // (1 + r')^-(j + 2) <= (1 + r)^-(n + 1) for r <= r' <= 0.
            self.s2 * math::powi(1.0 + r, -(self.c.len() as i32) - 1)
        } else {
            return false;
        };
        let sign = if self.f0 > 0.0 { 1.0 } else { -1.0 };
        self.f0.abs() > self.margin && sign * (self.f0 + self.g * r) - 0.5 * s * r * r > self.margin
    }

    /// How many leading levels of `rates` (all of one sign, growing in |r|)
    /// [`Flows::keeps_sign`] proves free of sign changes. The band with S = s2
    /// crosses the margin at a closed-form |r|, which bounds the answer on
    /// both sides (the negative side's S is larger); levels are then checked
    /// downward from there, usually once.
    fn quiet_levels(&self, rates: &[f64]) -> usize {
        let slack = self.f0.abs() - self.margin;
        if slack <= 0.0 || rates.is_empty() {
            return 0;
        }
        // The band at |r| = d: slack + beta d - s2 d^2 / 2 with beta = sign(r f0) g.
        let beta = if (rates[0] > 0.0) == (self.f0 > 0.0) {
            self.g
        } else {
            -self.g
        };
        let reach = if self.s2 > 0.0 {
            (beta + (beta * beta + 2.0 * self.s2 * slack).sqrt()) / self.s2
        } else if beta < 0.0 {
            slack / -beta
        } else {
            f64::INFINITY
        };
        let mut m = rates.partition_point(|r| r.abs() < reach);
        while m > 0 && !self.keeps_sign(rates[m - 1]) {
            m -= 1;
        }
        m
    }
}

/// Which sides of r = 0 the cumulative flows prove free of sign changes of
/// NPV, for every grid level and not only in exact arithmetic.
///
/// With S_t = c_0 + ... + c_t, summation by parts gives
/// NPV = P(x) = (1 - x) sum_{t<n} S_t x^t + S_n x^n. When every S_t has the
/// sign of S_n = NPV(0), both terms keep that sign for 0 < x <= 1, so NPV has
/// no root for r >= 0 (Norstrom's criterion). The same identity on the
/// reversed flows (suffix sums S_n - S_t, in y = 1 + r) covers -1 < r <= 0.
/// Moreover |P(x)| >= (1 - x) / (1 + x) sum |c_t| x^t there, at least 5e-5 of
/// it on the grid (|r| >= 1e-4), far above the rounding of a dot product
/// (about 1e-14 of it): the scan would see no sign change either. Each
/// cumulative sum must clear 1e-12 of sum |c_t| (its own rounding is about
/// 5e-15 of it) for the proof to count.
#[derive(Debug, Clone, Copy, Default)]
struct Quiet {
    /// No sign change for r >= 0.
    positive: bool,
    /// No sign change for -1 < r <= 0.
    negative: bool,
}

impl Quiet {
    /// From NPV(0) = f0, the smallest and largest cumulative flow before the
    /// last one, and sum |c_t|.
    fn of(f0: f64, cum_min: f64, cum_max: f64, sabs: f64) -> Quiet {
        let tol = 1e-12 * sabs;
        if f0 > tol {
            Quiet {
                positive: cum_min >= tol,
                negative: f0 - cum_max >= tol,
            }
        } else if f0 < -tol {
            Quiet {
                positive: cum_max <= -tol,
                negative: f0 - cum_min <= -tol,
            }
        } else {
            Quiet::default()
        }
    }
}

/// An IRR solver for flows of a fixed length: the discount factors of every
/// scan point are computed once, so each scan step is one dot product.
///
/// The scan visits levels |r| = d_k = 1e-4 * 2^k outward from r = 0, the
/// positive point of a level before its negative point (the negative side ends
/// with r = -1 + 1e-12), and polishes the first bracket with a sign change;
/// when both sides of one level change sign, the root of smaller |r| wins.
/// Levels that a Taylor bound proves free of sign changes are skipped without
/// changing the answer: with g = NPV'(0) and S2 >= |NPV''| on the interval,
/// NPV(r) lies within f0 + g r +- S2 r^2 / 2, so when that band keeps the sign
/// of f0 (with a margin of 1e-9 of the flows, far above rounding) the dot
/// products there would have kept it too. A whole side is not walked when
/// the cumulative flows prove it free of roots (Norstrom's criterion; see `Quiet`).
#[derive(Debug, Clone)]
pub struct IrrSolver {
    len: usize,
    pos: Side,
    neg: Side,
    /// j for j < len, and j (j + 1): the weights of the bounds' sums.
    j1: Vec<f64>,
    j2: Vec<f64>,
    /// Skip levels proven free of sign changes (off only to test that skipping changes nothing).
    skip: bool,
}

impl IrrSolver {
    /// A solver for flows of `len` months.
    pub fn new(len: usize) -> IrrSolver {
        let (mut pos, mut neg) = (Vec::new(), Vec::new());
        let mut d = GRID_START;
        while d < 1e4 {
            pos.push(d);
            if d < 1.0 {
                neg.push(-d);
            } else if neg.last().is_some_and(|&r| r > -1.0 + 1e-12) {
                neg.push(-1.0 + 1e-12);
            }
            d *= GRID_RATIO;
        }
        IrrSolver {
            len,
            pos: Side::new(pos, len),
            neg: Side::new(neg, len),
            j1: (0..len).map(|j| j as f64).collect(),
            j2: (0..len).map(|j| (j * (j + 1)) as f64).collect(),
            skip: true,
        }
    }

    /// Monthly IRR with the smallest |r|, or `None` when NPV has no sign change
    /// on (-1, +inf). `flows` may be shorter than the solver's length.
    pub fn solve(&self, flows: &[f64]) -> Option<f64> {
        debug_assert!(flows.len() <= self.len);
        let Some(c) = trimmed(flows) else {
            return Some(0.0);
        };
        // The cumulative flows S_t in order from c_0, with the smallest and
        // largest before the last one: S_n is NPV(0), with the bits of
        // `c.iter().sum()` (which starts from -0.0, and -0.0 + c_0 = c_0).
        let n = c.len();
        let (mut cum, mut cum_min, mut cum_max) = (c[0], c[0], c[0]);
        // (Flows are finite: plain comparisons, no NaN handling. The slice is
        // c_1 .. c_{n-2}, empty when n = 1.)
        for &cj in &c[1..n.max(2) - 1] {
            cum += cj;
            cum_min = if cum < cum_min { cum } else { cum_min };
            cum_max = if cum > cum_max { cum } else { cum_max };
        }
        let f0 = if n == 1 { cum } else { cum + c[n - 1] };
        if f0 == 0.0 {
            return Some(0.0);
        }
        let (g, s2, sabs) = bound_sums(c, &self.j1, &self.j2);
        let f = Flows {
            c,
            f0,
            g,
            s2,
            margin: 1e-9 * sabs,
        };
        // Sides that the cumulative flows prove free of roots are not walked.
        let quiet = if self.skip {
            Quiet::of(f0, cum_min, cum_max, sabs)
        } else {
            Quiet::default()
        };
        // Walk first the side NPV heads to zero on; the other side then only
        // matters up to the level where the first found its root.
        let positive_first = f0 * g < 0.0;
        let (first, second, first_quiet, second_quiet) = if positive_first {
            (&self.pos, &self.neg, quiet.positive, quiet.negative)
        } else {
            (&self.neg, &self.pos, quiet.negative, quiet.positive)
        };
        let a = if first_quiet {
            None
        } else {
            self.walk(first, &f, first.rates.len())
        };
        let b = if second_quiet {
            None
        } else {
            self.walk(second, &f, a.map_or(second.rates.len(), |(k, _)| k + 1))
        };
        let (p, q) = if positive_first { (a, b) } else { (b, a) };
        match (p, q) {
            (Some((kp, p)), Some((kq, q))) => {
                Some(if kp < kq || (kp == kq && p.abs() <= q.abs()) {
                    p
                } else {
                    q
                })
            }
            (Some((_, p)), None) => Some(p),
            (None, Some((_, q))) => Some(q),
            (None, None) => None,
        }
    }

    /// The first level below `until` of `side` where NPV changes sign since the
    /// previous level (r = 0 before level 0), with its polished root. Levels the
    /// bound proves free of sign changes are skipped.
    fn walk(&self, side: &Side, f: &Flows, until: usize) -> Option<(usize, f64)> {
        let until = until.min(side.rates.len());
        if until == 0 {
            return None;
        }
        let n = f.c.len();
        let dot_at = |k: usize| dot(f.c, &side.powers[k * self.len..k * self.len + n]);
        let mut from = 0;
        if self.skip {
            if f.keeps_sign(side.rates[until - 1]) {
                return None;
            }
            from = f.quiet_levels(&side.rates[..until]);
        }
        // The value at the previous level; a skipped level has the sign of f0.
        let mut prev: Option<(f64, f64)> = if from == 0 { Some((0.0, f.f0)) } else { None };
        for k in from..until {
            let r = side.rates[k];
            let v = dot_at(k);
            let prev_negative = prev.map_or(f.f0 < 0.0, |(_, pv)| pv < 0.0);
            if v.is_finite() && (v < 0.0) != prev_negative {
                let (pr, pv) = prev.unwrap_or_else(|| (side.rates[k - 1], dot_at(k - 1)));
                return Some((k, polish(f.c, f.f0, pr, r, pv, v)));
            }
            prev = Some((r, v));
        }
        None
    }
}

/// Monthly IRR with the smallest |r|, or `None` when NPV has no sign change on (-1, +inf).
/// Builds a solver for these flows' length; hot loops keep an [`IrrSolver`] instead.
pub fn irr_monthly(flows: &[f64]) -> Option<f64> {
    IrrSolver::new(flows.len()).solve(flows)
}

/// Annualised IRR `(1 + r_m)^12 - 1` of monthly flows, following docs/model.md, "Metrics":
/// NaN when nothing was contributed; -1 when nothing came back; 0 when the net
/// is within the tolerance (1e-9 of contributions); NaN when there is no root.
pub fn annual_irr(flows: &[f64], contributed: f64, returned: f64) -> f64 {
    annual_irr_with(None, flows, contributed, returned)
}

/// [`annual_irr`] with a prepared solver for the flows' length.
pub fn annual_irr_with(
    solver: Option<&IrrSolver>,
    flows: &[f64],
    contributed: f64,
    returned: f64,
) -> f64 {
    if contributed <= 0.0 {
        return f64::NAN;
    }
    let tol = 1e-9 * contributed;
    if returned <= tol {
        return -1.0;
    }
    if (returned - contributed).abs() <= tol {
        return 0.0;
    }
    let root = match solver {
        Some(s) => s.solve(flows),
        None => irr_monthly(flows),
    };
    match root {
        Some(r) => {
            let a = math::powi(1.0 + r, 12) - 1.0;
            if a.abs() < 1e-12 { 0.0 } else { a }
        }
        None => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NPV at monthly rate r.
    fn npv_monthly(flows: &[f64], r: f64) -> f64 {
        poly(flows, 1.0 / (1.0 + r)).0
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn interleaved_horner_matches_the_direct_sum() {
        for len in (1..=13).chain([48, 49]) {
            let flows: Vec<f64> = (0..len)
                .map(|t| ((t * 37 % 11) as f64 - 4.5) * 10.0)
                .collect();
            horner_case(&flows);
        }
    }

    fn horner_case(flows: &[f64]) {
        for &x in &[0.5, 0.97, 1.0, 1.03, 1.6] {
            let (p, dp) = poly(flows, x);
            let p_direct: f64 = flows
                .iter()
                .enumerate()
                .map(|(t, f)| f * math::powi(x, t as i32))
                .sum();
            let dp_direct: f64 = flows
                .iter()
                .enumerate()
                .skip(1)
                .map(|(t, f)| t as f64 * f * math::powi(x, t as i32 - 1))
                .sum();
            assert!(
                (p - p_direct).abs() <= 1e-9 * p_direct.abs().max(1.0),
                "{p} vs {p_direct}"
            );
            assert!(
                (dp - dp_direct).abs() <= 1e-9 * dp_direct.abs().max(1.0),
                "{dp} vs {dp_direct}"
            );
        }
    }

    #[test]
    fn single_flow_back() {
        // -100 now, +110 in 12 months: 10% a year exactly.
        let mut f = vec![0.0; 13];
        f[0] = -100.0;
        f[12] = 110.0;
        assert!(close(annual_irr(&f, 100.0, 110.0), 0.10, 1e-12));
        // one month later, 1% monthly
        assert!(close(irr_monthly(&[-100.0, 101.0]).unwrap(), 0.01, 1e-14));
    }

    #[test]
    fn annuity() {
        // Loan of 1000 repaid by 12 payments of 88.8488: 1% monthly (PMT formula).
        let r: f64 = 0.01;
        let pmt = 1000.0 * r / (1.0 - math::powi(1.0 + r, -12));
        let mut f = vec![pmt; 13];
        f[0] = -1000.0;
        assert!(close(irr_monthly(&f).unwrap(), 0.01, 1e-13));
    }

    #[test]
    fn numpy_financial_published_cases() {
        // Values printed by numpy_financial 1.0 `npf.irr` for the cases of its docs and tests.
        assert!(close(
            irr_monthly(&[-100.0, 39.0, 59.0, 55.0, 20.0]).unwrap(),
            0.280_948_421_159_960_66,
            1e-11
        ));
        assert!(close(
            irr_monthly(&[-100.0, 0.0, 0.0, 74.0]).unwrap(),
            -0.095_495_830_348_972_8,
            1e-11
        ));
        assert!(close(
            irr_monthly(&[-100.0, 100.0, 0.0, -7.0]).unwrap(),
            -0.083_299_666_184_932_56,
            1e-11
        ));
        assert!(close(
            irr_monthly(&[-100.0, 100.0, 0.0, 7.0]).unwrap(),
            0.062_058_485_629_929_55,
            1e-11
        ));
        assert!(close(
            irr_monthly(&[-5.0, 10.5, 1.0, -8.0, 1.0]).unwrap(),
            0.088_598_338_527_755_34,
            1e-11
        ));
        assert!(close(
            irr_monthly(&[-150_000.0, 15_000.0, 25_000.0, 35_000.0, 45_000.0, 60_000.0]).unwrap(),
            0.052_432_888_859_414_33,
            1e-11
        ));
    }

    /// The plain interleaved scan: level by level, the positive point then the
    /// negative one, first sign change wins, smaller |r| on a tie.
    fn reference_scan(solver: &IrrSolver, flows: &[f64]) -> Option<f64> {
        let Some(c) = trimmed(flows) else {
            return Some(0.0);
        };
        let f0: f64 = c.iter().sum();
        if f0 == 0.0 {
            return Some(0.0);
        }
        let n = c.len();
        let value =
            |side: &Side, k: usize| dot(c, &side.powers[k * solver.len..k * solver.len + n]);
        let (mut prev_p, mut prev_n) = ((0.0, f0), (0.0, f0));
        for k in 0..solver.pos.rates.len() {
            let r = solver.pos.rates[k];
            let v = value(&solver.pos, k);
            let p = (v.is_finite() && (v < 0.0) != (prev_p.1 < 0.0))
                .then(|| polish(c, f0, prev_p.0, r, prev_p.1, v));
            prev_p = (r, v);
            let q = if k < solver.neg.rates.len() {
                let r = solver.neg.rates[k];
                let v = value(&solver.neg, k);
                let q = (v.is_finite() && (v < 0.0) != (prev_n.1 < 0.0))
                    .then(|| polish(c, f0, prev_n.0, r, prev_n.1, v));
                prev_n = (r, v);
                q
            } else {
                None
            };
            match (p, q) {
                (Some(p), Some(q)) => return Some(if p.abs() <= q.abs() { p } else { q }),
                (Some(p), None) => return Some(p),
                (None, Some(q)) => return Some(q),
                (None, None) => {}
            }
        }
        None
    }

    #[test]
    fn skipping_levels_changes_no_bit() {
        // Flows like the engine's: contributions early, distributions later,
        // with sign changes in between; some lose money, some have two roots.
        let full = |len: usize| IrrSolver {
            skip: false,
            ..IrrSolver::new(len)
        };
        let mut state = 0x1234_5678_9abc_def0_u64;
        let mut next = || {
            state = crate::engine::mix64(state);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut skipped_roots, mut cases, mut quiet_sides) = (0, 0, 0);
        for case in 0..20_000 {
            let len = 2 + (next() * 60.0) as usize;
            let mut f = vec![0.0; len];
            let split = (next() * len as f64) as usize;
            for (t, x) in f.iter_mut().enumerate() {
                let u = next();
                *x = if u < 0.2 {
                    0.0
                } else if t <= split {
                    -1e9 * next() + if u > 0.9 { 2e9 * next() } else { 0.0 }
                } else {
                    1.2e9 * next() - if u > 0.9 { 2e9 * next() } else { 0.0 }
                };
            }
            if case % 7 == 0 {
                // Near break-even: the hardest case for the bound.
                let total: f64 = f.iter().sum();
                f[len - 1] -= total * (1.0 - 1e-6 * next());
            }
            let solver = IrrSolver::new(len);
            let (a, b) = (solver.solve(&f), full(len).solve(&f));
            assert_eq!(
                a.map(f64::to_bits),
                b.map(f64::to_bits),
                "case {case}: {f:?}"
            );
            let c = reference_scan(&solver, &f);
            assert_eq!(
                a.map(f64::to_bits),
                c.map(f64::to_bits),
                "case {case}: {f:?}"
            );
            cases += 1;
            skipped_roots += usize::from(a.is_some());
            if let Some(c) = trimmed(&f) {
                let (mut cum, mut lo, mut hi) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
                for &x in &c[..c.len() - 1] {
                    cum += x;
                    lo = lo.min(cum);
                    hi = hi.max(cum);
                }
                let sabs: f64 = c.iter().map(|x| x.abs()).sum();
                let q = Quiet::of(c.iter().sum(), lo, hi, sabs);
                quiet_sides += usize::from(q.positive) + usize::from(q.negative);
            }
        }
        assert!(skipped_roots > cases / 2, "{skipped_roots} of {cases}");
        // The cumulative-flow proof skipped a side in a good part of the cases.
        assert!(quiet_sides > cases / 4, "{quiet_sides} of {cases}");
    }

    #[test]
    fn roots_are_accurate_to_1e_12() {
        // Independent check of the polished roots: NPV must change sign
        // across [r - e, r + e] with e = 1e-12 (1 + |r|), unless both ends
        // are within rounding of zero. Flows like the engine's (see above).
        let mut state = 0x0bad_cafe_dead_beef_u64;
        let mut next = || {
            state = crate::engine::mix64(state);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut checked = 0;
        for _ in 0..20_000 {
            let len = 2 + (next() * 60.0) as usize;
            let split = (next() * len as f64) as usize;
            let f: Vec<f64> = (0..len)
                .map(|t| {
                    let u = next();
                    if u < 0.2 {
                        0.0
                    } else if t <= split {
                        -1e9 * next() + if u > 0.9 { 2e9 * next() } else { 0.0 }
                    } else {
                        1.2e9 * next() - if u > 0.9 { 2e9 * next() } else { 0.0 }
                    }
                })
                .collect();
            let Some(r) = irr_monthly(&f) else { continue };
            let e = 1e-12 * (1.0 + r.abs());
            let (lo, hi) = (npv_monthly(&f, r - e), npv_monthly(&f, r + e));
            // Rounding noise of NPV near r: a few ulps of sum |f_t| (1 + r)^-t.
            let noise = 1e-13
                * f.iter()
                    .enumerate()
                    .map(|(t, x)| x.abs() * math::powi(1.0 + r, -(t as i32)))
                    .sum::<f64>();
            assert!(
                (lo < 0.0) != (hi < 0.0) || lo.abs().max(hi.abs()) <= noise,
                "root {r} of {f:?}: NPV {lo} and {hi} around it"
            );
            checked += 1;
        }
        assert!(checked > 10_000, "{checked}");
    }

    #[test]
    fn two_roots_takes_the_smallest_magnitude() {
        // NPV = -1 + 2.3 x - 1.32 x^2 = -(1.1x - 1)(1.2x - 1)... roots at r = 0.1 and r = 0.2.
        let f = [-1.0, 2.3, -1.32];
        let r = irr_monthly(&f).unwrap();
        assert!(close(r, 0.1, 1e-12), "{r}");
        // Mirror: roots at r = -0.1 and r = 0.3; -0.1 is closer to zero.
        // (1 + r)^2 NPV = -(1 + r - 0.9)(1 + r - 1.3) -> flows -1, 2.2, -1.17
        let r = irr_monthly(&[-1.0, 2.2, -1.17]).unwrap();
        assert!(close(r, -0.1, 1e-12), "{r}");
    }

    #[test]
    fn no_root_gives_nan() {
        // Always negative NPV.
        assert!(irr_monthly(&[-100.0, -5.0, -1.0]).is_none());
        let f = [-100.0, 150.0, -100.0];
        assert!(irr_monthly(&f).is_none());
        assert!(annual_irr(&f, 200.0, 150.0).is_nan());
    }

    #[test]
    fn conventions_of_spec_section_9() {
        assert!(annual_irr(&[0.0, 0.0], 0.0, 0.0).is_nan());
        assert_eq!(annual_irr(&[-100.0, 0.0], 100.0, 0.0), -1.0);
        assert_eq!(annual_irr(&[-100.0, 1e-8], 100.0, 1e-8), -1.0);
        assert_eq!(annual_irr(&[-100.0, 100.0], 100.0, 100.0), 0.0);
        assert_eq!(
            annual_irr(&[-100.0, 0.0, 100.0 + 1e-8], 100.0, 100.0 + 1e-8),
            0.0
        );
        // Total loss then 50% back in a year.
        let mut f = vec![0.0; 13];
        f[0] = -100.0;
        f[12] = 50.0;
        assert!(close(annual_irr(&f, 100.0, 50.0), -0.5, 1e-12));
    }
}
