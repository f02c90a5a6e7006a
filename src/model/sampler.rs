//! Ready-to-use samplers for the distribution kinds of SPEC section 2.
//!
//! Every per-trial parameter is drawn by its quantile function `Q(u)` from
//! one uniform `u` in (0, 1). That single mechanism serves plain random
//! sampling, the Gaussian copula (u = Phi(z) of correlated normals) and Latin
//! hypercube sampling (stratified u), so the three agree on every marginal.

use crate::scenario::Dist;

/// Standard normal CDF.
pub fn norm_cdf(z: f64) -> f64 {
    0.5 * puruspe::erfc(-z * std::f64::consts::FRAC_1_SQRT_2)
}

/// Standard normal quantile, for u in (0, 1).
pub fn norm_quantile(u: f64) -> f64 {
    -std::f64::consts::SQRT_2 * puruspe::inverfc(2.0 * u)
}

/// Upper-tail probability 1 - Phi(z), accurate far in the tail.
fn norm_sf(z: f64) -> f64 {
    0.5 * puruspe::erfc(z * std::f64::consts::FRAC_1_SQRT_2)
}

/// Probability mass of Normal(mean, sd) inside [a, b].
pub fn normal_mass(mean: f64, sd: f64, a: f64, b: f64) -> f64 {
    let (za, zb) = ((a - mean) / sd, (b - mean) / sd);
    if za > 0.0 {
        norm_sf(za) - norm_sf(zb)
    } else {
        norm_cdf(zb) - norm_cdf(za)
    }
}

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
                Sampler::Beta {
                    a: 1.0 + 4.0 * (t.mode - t.min) / w,
                    b: 1.0 + 4.0 * (t.max - t.mode) / w,
                    lo: t.min,
                    scale: w,
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
                Sampler::Normal {
                    mean: n.mean,
                    sd: n.sd,
                    za: n.min.map_or(f64::NEG_INFINITY, |a| (a - n.mean) / n.sd),
                    zb: n.max.map_or(f64::INFINITY, |b| (b - n.mean) / n.sd),
                }
            }
            Dist::Lognormal(l) => {
                if l.sd == 0.0 {
                    return Sampler::Const(l.mean);
                }
                let s2 = (1.0 + (l.sd / l.mean).powi(2)).ln();
                Sampler::LogNormal {
                    mu: l.mean.ln() - 0.5 * s2,
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

    /// True when the sampler needs no random draw.
    pub fn is_const(&self) -> bool {
        matches!(self, Sampler::Const(_))
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
            Sampler::Beta { a, b, lo, scale } => lo + scale * puruspe::invbetai(u, *a, *b),
            Sampler::Normal { mean, sd, za, zb } => {
                let z = if *za > 0.0 {
                    // Work in the upper tail for accuracy: sf(z) = sf(za) - u (sf(za) - sf(zb)).
                    let (sa, sb) = (norm_sf(*za), norm_sf(*zb));
                    -norm_quantile(sa - u * (sa - sb))
                } else {
                    let (pa, pb) = (norm_cdf(*za), norm_cdf(*zb));
                    norm_quantile(pa + u * (pb - pa))
                };
                // Guard the last ulp against rounding outside the bounds.
                mean + sd * z.clamp(*za, *zb)
            }
            Sampler::LogNormal { mu, sigma } => (mu + sigma * norm_quantile(u)).exp(),
            Sampler::Discrete { values, cum } => {
                let i = cum.partition_point(|&c| c <= u).min(values.len() - 1);
                values[i]
            }
        }
    }

    /// The mean of the distribution (closed form), used by reports and tests.
    pub fn mean(&self) -> f64 {
        match self {
            Sampler::Const(c) => *c,
            Sampler::Uniform { lo, width } => lo + width / 2.0,
            Sampler::Triangular { lo, mode, hi, .. } => (lo + mode + hi) / 3.0,
            Sampler::Beta { a, b, lo, scale } => lo + scale * a / (a + b),
            Sampler::Normal { mean, sd, za, zb } => {
                let phi = |z: f64| {
                    if z.is_finite() {
                        (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
                    } else {
                        0.0
                    }
                };
                let mass = if *za > 0.0 {
                    norm_sf(*za) - norm_sf(*zb)
                } else {
                    norm_cdf(*zb) - norm_cdf(*za)
                };
                mean + sd * (phi(*za) - phi(*zb)) / mass
            }
            Sampler::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
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

#[cfg(test)]
mod tests {
    use super::*;
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
        assert!((norm_quantile(1e-10) + 6.361_340_902_404_056).abs() < 1e-9);
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
            let x = puruspe::invbetai(u, a, b);
            assert!(
                (puruspe::betai(a, b, x) - u).abs() < 1e-9 * u.max(1e-3),
                "u {u}"
            );
        }
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
        assert!(
            Sampler::new(&Dist::Beta(BetaParams {
                mean: Some(0.3),
                sd: Some(0.0),
                ..Default::default()
            }))
            .is_const()
        );
    }
}
