//! Ready-to-use samplers for the distribution kinds of docs/model.md, "Scenario".
//!
//! Every per-trial parameter is drawn by its quantile function `Q(u)` from
//! one uniform `u` in (0, 1). That single mechanism serves plain random
//! sampling, the Gaussian copula (u = Phi(z) of correlated normals) and Latin
//! hypercube sampling (stratified u), so the three agree on every marginal.

use crate::numeric::math;
use crate::numeric::special::{
    beta_quantile_exact, beta_quantile_z, norm_cdf, norm_quantile, norm_sf,
};
use crate::scenario::Dist;

/// A distribution compiled into the constants its quantile function needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Sampler {
    /// Always the same value.
    Const(f64),
    /// Uniform on [lo, lo + width].
    Uniform {
        /// Lower bound.
        lo: f64,
        /// max - min.
        width: f64,
    },
    /// Triangular on [lo, hi] with mode; `fc` = (mode - lo) / (hi - lo).
    Triangular {
        /// Lower bound.
        lo: f64,
        /// Mode.
        mode: f64,
        /// Upper bound.
        hi: f64,
        /// CDF at the mode.
        fc: f64,
    },
    /// lo + scale * Beta(a, b): beta (lo 0, scale 1) and beta-PERT.
    Beta {
        /// Shape alpha.
        a: f64,
        /// Shape beta.
        b: f64,
        /// Lower bound.
        lo: f64,
        /// Width of the support.
        scale: f64,
        /// The quantile as a function of the normal score, tabulated (empty: exact path).
        table: ZTable,
    },
    /// Normal(mean, sd) truncated to [lo, hi] (infinite bounds allowed).
    Normal {
        /// Mean before truncation.
        mean: f64,
        /// Sd before truncation.
        sd: f64,
        /// Standardised lower bound.
        za: f64,
        /// Standardised upper bound.
        zb: f64,
        /// The probabilities the quantile interpolates between: Phi(za) and
        /// Phi(zb), or the upper tails 1 - Phi(za) and 1 - Phi(zb) when
        /// za > 0 (computed once, not per draw).
        pa: f64,
        /// See `pa`.
        pb: f64,
    },
    /// exp(mu + sigma Z).
    LogNormal {
        /// Mean of the log.
        mu: f64,
        /// Sd of the log.
        sigma: f64,
    },
    /// Finite distribution: `cum` holds normalised cumulative weights.
    Discrete {
        /// The values.
        values: Vec<f64>,
        /// Cumulative normalised weights (last = 1).
        cum: Vec<f64>,
    },
}

impl Sampler {
    /// Compiles a validated distribution; degenerate ones (sd 0, min = max) become constants.
    pub fn new(d: &Dist) -> Sampler {
        match d {
            Dist::Const(c) => Sampler::Const(*c),
            Dist::Beta(p) => {
                let (a, b) = match (p.mean, p.sd, p.alpha, p.beta) {
                    (Some(m), Some(sd), _, _) => {
                        if sd == 0.0 {
                            return Sampler::Const(m);
                        }
                        let k = m * (1.0 - m) / (sd * sd) - 1.0;
                        (m * k, (1.0 - m) * k)
                    }
                    (_, _, Some(a), Some(b)) => (a, b),
                    _ => (1.0, 1.0),
                };
                Sampler::Beta {
                    a,
                    b,
                    lo: 0.0,
                    scale: 1.0,
                    table: ZTable::for_beta(a, b),
                }
            }
            Dist::Uniform(r) => {
                if r.min == r.max {
                    Sampler::Const(r.min)
                } else {
                    Sampler::Uniform {
                        lo: r.min,
                        width: r.max - r.min,
                    }
                }
            }
            Dist::Triangular(t) => {
                if t.min == t.max {
                    Sampler::Const(t.min)
                } else {
                    Sampler::Triangular {
                        lo: t.min,
                        mode: t.mode,
                        hi: t.max,
                        fc: (t.mode - t.min) / (t.max - t.min),
                    }
                }
            }
            Dist::Pert(t) => {
                if t.min == t.max {
                    return Sampler::Const(t.min);
                }
                let w = t.max - t.min;
                let (a, b) = (
                    1.0 + 4.0 * (t.mode - t.min) / w,
                    1.0 + 4.0 * (t.max - t.mode) / w,
                );
                Sampler::Beta {
                    a,
                    b,
                    lo: t.min,
                    scale: w,
                    table: ZTable::for_beta(a, b),
                }
            }
            Dist::Normal(n) => {
                if n.sd == 0.0 || n.min.is_some() && n.min == n.max {
                    return Sampler::Const(if n.sd == 0.0 {
                        n.mean
                    } else {
                        n.min.unwrap_or(n.mean)
                    });
                }
                let za = n.min.map_or(f64::NEG_INFINITY, |a| (a - n.mean) / n.sd);
                let zb = n.max.map_or(f64::INFINITY, |b| (b - n.mean) / n.sd);
                let (pa, pb) = if za > 0.0 {
                    (norm_sf(za), norm_sf(zb))
                } else {
                    (norm_cdf(za), norm_cdf(zb))
                };
                Sampler::Normal {
                    mean: n.mean,
                    sd: n.sd,
                    za,
                    zb,
                    pa,
                    pb,
                }
            }
            Dist::Lognormal(l) => {
                if l.sd == 0.0 {
                    return Sampler::Const(l.mean);
                }
                let s2 = math::ln(1.0 + math::powi(l.sd / l.mean, 2));
                Sampler::LogNormal {
                    mu: math::ln(l.mean) - 0.5 * s2,
                    sigma: s2.sqrt(),
                }
            }
            Dist::Discrete(dd) => {
                let total: f64 = dd.weights.iter().sum();
                let mut acc = 0.0;
                let mut cum: Vec<f64> = dd
                    .weights
                    .iter()
                    .map(|w| {
                        acc += w;
                        acc / total
                    })
                    .collect();
                if let Some(last) = cum.last_mut() {
                    *last = 1.0;
                }
                if dd.values.len() == 1 || dd.values.iter().all(|v| *v == dd.values[0]) {
                    return Sampler::Const(dd.values[0]);
                }
                Sampler::Discrete {
                    values: dd.values.clone(),
                    cum,
                }
            }
        }
    }

    /// The quantile function: the value at cumulative probability `u` in (0, 1).
    pub fn quantile(&self, u: f64) -> f64 {
        match self {
            Sampler::Const(c) => *c,
            Sampler::Uniform { lo, width } => lo + u * width,
            Sampler::Triangular { lo, mode, hi, fc } => {
                if u < *fc {
                    lo + (u * (hi - lo) * (mode - lo)).sqrt()
                } else {
                    hi - ((1.0 - u) * (hi - lo) * (hi - mode)).sqrt()
                }
            }
            Sampler::Beta {
                a,
                b,
                lo,
                scale,
                table,
            } => {
                if table.is_empty() {
                    let x = if u > 0.5 {
                        1.0 - beta_quantile_exact(1.0 - u, *b, *a)
                    } else {
                        beta_quantile_exact(u, *a, *b)
                    };
                    lo + scale * x
                } else {
                    lo + scale * table.eval(norm_quantile(u))
                }
            }
            Sampler::Normal {
                mean,
                sd,
                za,
                zb,
                pa,
                pb,
            } => {
                let z = if *za > 0.0 {
                    // Work in the upper tail for accuracy: sf(z) = sf(za) - u (sf(za) - sf(zb)).
                    -norm_quantile(pa - u * (pa - pb))
                } else {
                    norm_quantile(pa + u * (pb - pa))
                };
                // Guard the last ulp against rounding outside the bounds.
                mean + sd * z.clamp(*za, *zb)
            }
            Sampler::LogNormal { mu, sigma } => math::exp(mu + sigma * norm_quantile(u)),
            Sampler::Discrete { values, cum } => {
                let i = cum.partition_point(|&c| c <= u).min(values.len() - 1);
                values[i]
            }
        }
    }

    /// The value at normal score `z`, i.e. `quantile(Phi(z))`: what the Gaussian
    /// copula needs. Tabulated beta quantiles skip Phi entirely.
    pub fn quantile_z(&self, z: f64) -> f64 {
        match self {
            Sampler::Beta {
                lo, scale, table, ..
            } if !table.is_empty() => lo + scale * table.eval(z),
            Sampler::Beta {
                a, b, lo, scale, ..
            } => lo + scale * beta_quantile_z(z, *a, *b),
            _ => self.quantile(norm_cdf(z).clamp(1e-300, 1.0 - 1e-16)),
        }
    }

    /// The mean of the distribution (closed form), used by reports and tests.
    pub fn mean(&self) -> f64 {
        match self {
            Sampler::Const(c) => *c,
            Sampler::Uniform { lo, width } => lo + width / 2.0,
            Sampler::Triangular { lo, mode, hi, .. } => (lo + mode + hi) / 3.0,
            Sampler::Beta {
                a, b, lo, scale, ..
            } => lo + scale * a / (a + b),
            Sampler::Normal {
                mean,
                sd,
                za,
                zb,
                pa,
                pb,
            } => {
                let phi = |z: f64| {
                    if z.is_finite() {
                        math::exp(-0.5 * z * z) / (2.0 * std::f64::consts::PI).sqrt()
                    } else {
                        0.0
                    }
                };
                // The mass inside the bounds, from the stored tail or CDF values.
                let mass = if *za > 0.0 { pa - pb } else { pb - pa };
                mean + sd * (phi(*za) - phi(*zb)) / mass
            }
            Sampler::LogNormal { mu, sigma } => math::exp(mu + sigma * sigma / 2.0),
            Sampler::Discrete { values, cum } => {
                let mut prev = 0.0;
                values
                    .iter()
                    .zip(cum)
                    .map(|(v, c)| {
                        let w = c - prev;
                        prev = *c;
                        v * w
                    })
                    .sum()
            }
        }
    }
}

/// Half-width of the tabulated range of normal scores.
const Z_MAX: f64 = 8.5;
/// Intervals of the table.
const Z_STEPS: usize = 2048;
/// Largest error allowed at an interval midpoint for a table to be used.
const TABLE_TOLERANCE: f64 = 1e-10;

/// g(z) = Q(Phi(z)) of a distribution on [0, 1], tabulated with its
/// derivative on an even grid of z and evaluated by cubic Hermite
/// interpolation. Built only when its error, checked against the exact
/// quantile at every interval midpoint, is below 1e-10; otherwise empty and
/// the sampler inverts exactly.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ZTable {
    /// (value, derivative in z) per node, interleaved.
    nodes: Vec<f64>,
    /// Beta shapes, for the exact path outside the tabulated range.
    shape: (f64, f64),
}

impl ZTable {
    fn for_beta(a: f64, b: f64) -> ZTable {
        let h = 2.0 * Z_MAX / Z_STEPS as f64;
        let ln_b = math::ln_gamma(a) + math::ln_gamma(b) - math::ln_gamma(a + b);
        let mut nodes = Vec::with_capacity(2 * (Z_STEPS + 1));
        for i in 0..=Z_STEPS {
            let z = -Z_MAX + i as f64 * h;
            let x = beta_quantile_z(z, a, b);
            // dx/dz = phi(z) / pdf(x), in logs to avoid 0/0 in the tails.
            let d = if x > 0.0 && x < 1.0 {
                let ln_phi = -0.5 * z * z - 0.5 * math::ln(2.0 * std::f64::consts::PI);
                let ln_pdf = (a - 1.0) * math::ln(x) + (b - 1.0) * math::ln(1.0 - x) - ln_b;
                math::exp(ln_phi - ln_pdf)
            } else {
                0.0
            };
            if !(x.is_finite() && d.is_finite()) {
                return ZTable::default();
            }
            nodes.push(x);
            nodes.push(d);
        }
        let table = ZTable {
            nodes,
            shape: (a, b),
        };
        for i in 0..Z_STEPS {
            let z = -Z_MAX + (i as f64 + 0.5) * h;
            let exact = beta_quantile_z(z, a, b);
            if (table.eval(z) - exact).abs() > TABLE_TOLERANCE {
                return ZTable::default();
            }
        }
        table
    }

    /// True when no table was built.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// g(z) by cubic Hermite interpolation (clamped to [0, 1]); exact beyond |z| > 8.5,
    /// which uniforms of 53 bits never reach (|z| <= 8.3) but a copula could.
    #[inline]
    pub fn eval(&self, z: f64) -> f64 {
        if !(-Z_MAX..=Z_MAX).contains(&z) {
            return beta_quantile_z(z, self.shape.0, self.shape.1);
        }
        let h = 2.0 * Z_MAX / Z_STEPS as f64;
        let pos = ((z + Z_MAX) / h).min(Z_STEPS as f64 - 1e-9);
        let i = pos as usize;
        let t = pos - i as f64;
        let (y0, m0, y1, m1) = (
            self.nodes[2 * i],
            self.nodes[2 * i + 1],
            self.nodes[2 * i + 2],
            self.nodes[2 * i + 3],
        );
        let t2 = t * t;
        let t3 = t2 * t;
        let v = (2.0 * t3 - 3.0 * t2 + 1.0) * y0
            + (t3 - 2.0 * t2 + t) * h * m0
            + (-2.0 * t3 + 3.0 * t2) * y1
            + (t3 - t2) * h * m1;
        v.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numeric::special::{betai, inv_betai};
    use crate::scenario::values::*;

    fn mean_by_quadrature(s: &Sampler) -> f64 {
        // Midpoint rule over u: E[X] = integral of Q(u) du.
        let n = 200_000;
        (0..n)
            .map(|i| s.quantile((i as f64 + 0.5) / n as f64))
            .sum::<f64>()
            / n as f64
    }

    #[test]
    fn normal_quantile_matches_known_values() {
        assert!((norm_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
        assert!((norm_quantile(0.5)).abs() < 1e-15);
        assert!((norm_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-14);
        assert!((norm_quantile(1e-10) + 6.361_340_902_404_056).abs() < 1e-12);
        assert!((norm_quantile(0.999) - 3.090_232_306_167_813_6).abs() < 1e-13);
        // Round trip through the CDF over the whole range used by the engine.
        for i in 1..2000 {
            let u = i as f64 / 2000.0;
            assert!((norm_cdf(norm_quantile(u)) - u).abs() < 1e-14, "u {u}");
        }
        assert!((norm_cdf(norm_quantile(1e-16)) / 1e-16 - 1.0).abs() < 1e-9);
    }

    #[test]
    fn quantile_means_match_closed_forms() {
        let cases = [
            Dist::Beta(BetaParams {
                mean: Some(0.55),
                sd: Some(0.08),
                ..Default::default()
            }),
            Dist::Uniform(Range { min: 2.0, max: 5.0 }),
            Dist::Triangular(ThreePoint {
                min: 1.1e6,
                mode: 1.3e6,
                max: 1.7e6,
            }),
            Dist::Pert(ThreePoint {
                min: 0.55,
                mode: 0.75,
                max: 0.85,
            }),
            Dist::Normal(NormalParams {
                mean: 0.4,
                sd: 0.2,
                min: Some(0.0),
                max: Some(1.0),
            }),
            Dist::Normal(NormalParams {
                mean: 0.0,
                sd: 1.0,
                min: Some(3.0),
                max: None,
            }),
            Dist::Lognormal(MeanSd {
                mean: 100.0,
                sd: 30.0,
            }),
            Dist::Discrete(DiscreteParams {
                values: vec![1.0, 2.0, 4.0],
                weights: vec![1.0, 1.0, 2.0],
            }),
        ];
        for d in &cases {
            let s = Sampler::new(d);
            let q = mean_by_quadrature(&s);
            let m = s.mean();
            assert!(
                (q - m).abs() <= 2e-4 * m.abs().max(1.0),
                "{d:?}: quadrature {q} vs closed form {m}"
            );
        }
        // Known closed forms.
        assert!((Sampler::new(&cases[6]).mean() - 100.0).abs() < 1e-9);
        assert!((Sampler::new(&cases[7]).mean() - 2.75).abs() < 1e-12);
        assert!((Sampler::new(&cases[0]).mean() - 0.55).abs() < 1e-12);
    }

    #[test]
    fn beta_quantile_inverts_the_cdf() {
        let (a, b) = (2.5, 7.0);
        for &u in &[1e-6, 0.01, 0.3, 0.5, 0.9, 0.999_999] {
            let x = inv_betai(u, a, b);
            assert!((betai(a, b, x) - u).abs() < 1e-9 * u.max(1e-3), "u {u}");
        }
    }

    #[test]
    fn tabulated_beta_quantiles_match_the_exact_inverse() {
        // Shapes from the bundled scenarios, PERTs, and skewed betas with a or b below 1.
        let shapes = [
            (20.4, 16.7),
            (2.0, 5.0),
            (3.67, 1.67),
            (1.0, 1.0),
            (0.5, 0.5),
            (0.19, 3.6),
            (300.0, 40.0),
            (1.2, 0.8),
        ];
        let mut tabulated = 0;
        for (a, b) in shapes {
            let table = ZTable::for_beta(a, b);
            if table.is_empty() {
                continue;
            }
            tabulated += 1;
            let mut worst: f64 = 0.0;
            for i in 0..20_000 {
                // Irregular points, including the far tails.
                let u = math::powf(
                    (i as f64 + 0.5) / 20_000.0,
                    if i % 2 == 0 { 1.0 } else { 6.0 },
                );
                let z = norm_quantile(u);
                let exact = beta_quantile_z(z, a, b);
                worst = worst.max((table.eval(z) - exact).abs());
            }
            assert!(worst < 1e-9, "beta({a}, {b}): worst error {worst}");
        }
        assert!(tabulated >= 4, "most shapes should be tabulated");
    }

    #[test]
    fn truncated_normal_stays_in_bounds() {
        let s = Sampler::new(&Dist::Normal(NormalParams {
            mean: 0.9,
            sd: 0.3,
            min: Some(0.0),
            max: Some(1.0),
        }));
        for i in 0..1000 {
            let x = s.quantile((i as f64 + 0.5) / 1000.0);
            assert!((0.0..=1.0).contains(&x));
        }
    }

    #[test]
    fn degenerate_distributions_are_constants() {
        assert_eq!(
            Sampler::new(&Dist::Uniform(Range { min: 3.0, max: 3.0 })),
            Sampler::Const(3.0)
        );
        assert!(matches!(
            Sampler::new(&Dist::Beta(BetaParams {
                mean: Some(0.3),
                sd: Some(0.0),
                ..Default::default()
            })),
            Sampler::Const(_)
        ));
    }
}
