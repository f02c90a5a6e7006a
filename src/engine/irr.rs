//! Internal rate of return of monthly cash flows (SPEC sections 4 and 9).
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

/// NPV and its derivative in x = 1 / (1 + r): P(x) = sum f_t x^t and P'(x).
/// Evaluated as four interleaved Horner chains in y = x^4
/// (P = Q0(y) + x Q1(y) + x^2 Q2(y) + x^3 Q3(y)), which cuts the chain of
/// dependent operations fourfold; P' likewise from the coefficients t f_t.
#[inline]
fn poly(flows: &[f64], x: f64) -> (f64, f64) {
    let y = x * x * x * x;
    let n = flows.len();
    let mut q = [0.0f64; 4];
    let mut dq = [0.0f64; 4];
    let top = n.div_ceil(4) * 4;
    let mut t = top;
    while t >= 4 {
        t -= 4;
        for j in 0..4 {
            let k = t + j;
            let f = if k < n { flows[k] } else { 0.0 };
            // Coefficient of x^k in P' is (k + 1) f_{k+1}.
            let d = if k + 1 < n {
                (k + 1) as f64 * flows[k + 1]
            } else {
                0.0
            };
            q[j] = q[j] * y + f;
            dq[j] = dq[j] * y + d;
        }
    }
    let (x2, x3) = (x * x, x * x * x);
    let p = (q[0] + x * q[1]) + (x2 * q[2] + x3 * q[3]);
    let dp = (dq[0] + x * dq[1]) + (x2 * dq[2] + x3 * dq[3]);
    (p, dp)
}

/// NPV at monthly rate r.
#[inline]
pub fn npv_monthly(flows: &[f64], r: f64) -> f64 {
    poly(flows, 1.0 / (1.0 + r)).0
}

/// Root of NPV in [a, b] (monthly rates) given NPV(a) = fa and NPV(b) = fb of opposite signs.
fn polish(flows: &[f64], mut a: f64, mut b: f64, mut fa: f64, fb: f64) -> f64 {
    // Start from the secant point of the bracket, then safeguarded Newton.
    let secant = a - fa * (b - a) / (fb - fa);
    let mut r = if secant.is_finite() && secant > a.min(b) && secant < a.max(b) {
        secant
    } else {
        0.5 * (a + b)
    };
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
        let next = if d != 0.0 && newton > a.min(b) && newton < a.max(b) {
            newton
        } else {
            0.5 * (a + b)
        };
        // Newton converges quadratically: after a step below 1e-12 the error is ~1e-24.
        if (next - r).abs() <= 1e-12 * (1.0 + r.abs()) || (b - a).abs() <= 1e-16 * (1.0 + r.abs()) {
            return next;
        }
        r = next;
    }
    r
}

/// The scan grid of monthly rates, in the order the search visits them:
/// for each step k, the positive point d_k = 1e-7 * 1.5^k, then (while d_k < 1)
/// the negative point -d_k (the last negative point is -1 + 1e-12).
fn grid() -> Vec<(f64, bool)> {
    let mut g = Vec::new();
    let mut d = GRID_START;
    let mut neg_open = true;
    while d < 1e4 {
        g.push((d, true));
        if neg_open {
            let rn = if d < 1.0 { -d } else { -1.0 + 1e-12 };
            g.push((rn, false));
            if d >= 1.0 {
                neg_open = false;
            }
        }
        d *= GRID_RATIO;
    }
    g
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

/// An IRR solver for flows of a fixed length: the discount factors of every
/// scan point are computed once, so each scan step is one dot product.
#[derive(Debug, Clone)]
pub struct IrrSolver {
    len: usize,
    points: Vec<(f64, bool)>,
    /// powers[k * len + t] = (1 + r_k)^-t.
    powers: Vec<f64>,
}

impl IrrSolver {
    /// A solver for flows of `len` months.
    pub fn new(len: usize) -> IrrSolver {
        let points = grid();
        let mut powers = Vec::with_capacity(points.len() * len);
        for &(r, _) in &points {
            let x = 1.0 / (1.0 + r);
            let mut p = 1.0;
            for _ in 0..len {
                powers.push(p);
                p *= x;
            }
        }
        IrrSolver {
            len,
            points,
            powers,
        }
    }

    /// Monthly IRR with the smallest |r|, or `None` when NPV has no sign change on (-1, +inf).
    pub fn solve(&self, flows: &[f64]) -> Option<f64> {
        debug_assert_eq!(flows.len(), self.len);
        let f0: f64 = flows.iter().sum();
        if f0 == 0.0 {
            return Some(0.0);
        }
        let mut prev_pos = (0.0, f0);
        let mut prev_neg = (0.0, f0);
        let mut pending_pos: Option<f64> = None;
        for (k, &(r, positive)) in self.points.iter().enumerate() {
            let v = dot(flows, &self.powers[k * self.len..(k + 1) * self.len]);
            if positive {
                // A positive-side root from the previous step waits for the negative point of
                // the same |r| step, which could hold a root of smaller magnitude.
                if let Some(p) = pending_pos.take() {
                    return Some(p);
                }
                if v.is_finite() && (v < 0.0) != (prev_pos.1 < 0.0) {
                    let p = polish(flows, prev_pos.0, r, prev_pos.1, v);
                    // Is there a negative point of this step to look at?
                    if self.points.get(k + 1).is_some_and(|q| !q.1) {
                        pending_pos = Some(p);
                    } else {
                        return Some(p);
                    }
                }
                prev_pos = (r, v);
            } else {
                let neg = if v.is_finite() && (v < 0.0) != (prev_neg.1 < 0.0) {
                    Some(polish(flows, prev_neg.0, r, prev_neg.1, v))
                } else {
                    None
                };
                prev_neg = (r, v);
                match (pending_pos.take(), neg) {
                    (Some(p), Some(n)) => return Some(if p.abs() <= n.abs() { p } else { n }),
                    (Some(p), None) => return Some(p),
                    (None, Some(n)) => return Some(n),
                    (None, None) => {}
                }
            }
        }
        pending_pos
    }
}

/// Monthly IRR with the smallest |r|, or `None` when NPV has no sign change on (-1, +inf).
/// Builds a solver for these flows' length; hot loops keep an [`IrrSolver`] instead.
pub fn irr_monthly(flows: &[f64]) -> Option<f64> {
    IrrSolver::new(flows.len()).solve(flows)
}

/// Annualised IRR `(1 + r_m)^12 - 1` of monthly flows, following SPEC section 9:
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
            let a = (1.0 + r).powi(12) - 1.0;
            if a.abs() < 1e-12 { 0.0 } else { a }
        }
        None => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn interleaved_horner_matches_the_direct_sum() {
        let flows: Vec<f64> = (0..49)
            .map(|t| ((t * 37 % 11) as f64 - 5.0) * 10.0)
            .collect();
        for &x in &[0.5, 0.97, 1.0, 1.03, 1.6] {
            let (p, dp) = poly(&flows, x);
            let p_direct: f64 = flows
                .iter()
                .enumerate()
                .map(|(t, f)| f * x.powi(t as i32))
                .sum();
            let dp_direct: f64 = flows
                .iter()
                .enumerate()
                .skip(1)
                .map(|(t, f)| t as f64 * f * x.powi(t as i32 - 1))
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
        let pmt = 1000.0 * r / (1.0 - (1.0 + r).powi(-12));
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
