//! Beta variates for the cohort-level rates (`cohort_sd`).
//!
//! Each cohort's rate is Beta(m k, (1 - m) k) around the trial's rate m, so
//! the parameters change with every draw. Beta = X / (X + Y) with X, Y
//! independent Gamma(a), Gamma(b) variates from Marsaglia and Tsang's method
//! ("A simple method for generating gamma variables", ACM TOMS 26, 2000): one
//! normal (rand_distr's ziggurat) and one uniform per gamma, accepted by a
//! polynomial squeeze in about 98% of draws without a logarithm. Shapes below
//! 1 use Gamma(a) = Gamma(a + 1) U^(1/a). rand_distr's own Beta (Cheng's
//! algorithm, a logarithm and an exponential per draw, plus set-up) took
//! about 65 ns a draw here.

use crate::numeric::math;
use rand::Rng;

use crate::engine::rng::open_unit;

/// A Gamma(shape, 1) variate, shape > 0.
#[inline]
fn gamma<R: Rng>(shape: f64, rng: &mut R) -> f64 {
    if shape < 1.0 {
        let g = gamma(shape + 1.0, rng);
        return g * math::powf(open_unit(rng), 1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = super::normal::standard_normal(rng);
        let t = 1.0 + c * x;
        if t <= 0.0 {
            continue;
        }
        let v = t * t * t;
        let u = open_unit(rng);
        let x2 = x * x;
        if u < 1.0 - 0.0331 * x2 * x2 {
            return d * v;
        }
        if math::ln(u) < 0.5 * x2 + d * (1.0 - v + math::ln(v)) {
            return d * v;
        }
    }
}

/// A Beta(a, b) variate, a, b > 0.
#[inline]
pub fn sample<R: Rng>(a: f64, b: f64, rng: &mut R) -> f64 {
    let x = gamma(a, rng);
    let y = gamma(b, rng);
    let s = x + y;
    // Both gammas underflow to 0 only for shapes far below any real cohort_sd
    // (about 1e-300); the mean stands in then.
    if s > 0.0 { x / s } else { a / (a + b) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    /// Kolmogorov-Smirnov statistic sqrt(n) D of `n` draws against the exact CDF.
    fn ks(
        a: f64,
        b: f64,
        n: usize,
        seed: u64,
        draw: impl Fn(&mut Xoshiro256PlusPlus) -> f64,
    ) -> f64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut x: Vec<f64> = (0..n).map(|_| draw(&mut rng)).collect();
        x.sort_unstable_by(f64::total_cmp);
        let mut d: f64 = 0.0;
        for (i, &xi) in x.iter().enumerate() {
            assert!((0.0..=1.0).contains(&xi));
            let f = crate::numeric::special::betai(a, b, xi);
            d = d
                .max((f - i as f64 / n as f64).abs())
                .max(((i + 1) as f64 / n as f64 - f).abs());
        }
        d * (n as f64).sqrt()
    }

    #[test]
    fn matches_the_exact_distribution() {
        // P(sqrt(n) D > 2.69) is about 1e-6 for a correct sampler (Kolmogorov).
        for (i, &(a, b)) in [
            (151.0, 123.0),
            (3.9, 191.0),
            (1.0, 1.0),
            (0.3, 2.5),
            (0.05, 0.8),
            (40.0, 0.7),
        ]
        .iter()
        .enumerate()
        {
            let k = ks(a, b, 100_000, 21 + i as u64, |r| sample(a, b, r));
            assert!(k < 2.69, "Beta({a}, {b}): sqrt(n) D = {k}");
        }
    }

    #[test]
    fn the_test_has_power() {
        // Means off by 0.3 sd (a 1% shift of a) must fail.
        let k = ks(151.0, 123.0, 100_000, 3, |r| sample(151.0 * 1.01, 123.0, r));
        assert!(k > 2.69, "sqrt(n) D = {k}");
    }
}
