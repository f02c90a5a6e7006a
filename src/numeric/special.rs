//! Special functions: the standard normal's CDF and quantile, normal mass
//! on an interval, the regularised incomplete beta and its inverse. Plain
//! functions of floats, tested against closed forms and quadrature.

use super::math;
/// Standard normal CDF.
pub fn norm_cdf(z: f64) -> f64 {
    0.5 * math::erfc(-z * std::f64::consts::FRAC_1_SQRT_2)
}

/// Standard normal quantile for u in (0, 1): Wichura's algorithm AS 241
/// (PPND16), accurate to about 1e-16 relative, with no special-function calls.
/// The coefficients are the published ones, digit for digit.
#[allow(clippy::inconsistent_digit_grouping, clippy::excessive_precision)]
pub fn norm_quantile(u: f64) -> f64 {
    let q = u - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q
            * (((((((2509.080_928_730_122_7 * r + 33430.575_583_588_128) * r
                + 67265.770_927_008_7)
                * r
                + 45921.953_931_549_87)
                * r
                + 13731.693_765_509_461)
                * r
                + 1971.590_950_306_551_3)
                * r
                + 133.141_667_891_784_38)
                * r
                + 3.387_132_872_796_366_5)
            / (((((((5226.495_278_852_545 * r + 28729.085_735_721_943) * r
                + 39307.895_800_092_71)
                * r
                + 21213.794_301_586_597)
                * r
                + 5394.196_021_424_751)
                * r
                + 687.187_007_492_057_9)
                * r
                + 42.313_330_701_600_91)
                * r
                + 1.0);
    }
    let mut r = if q < 0.0 { u } else { 1.0 - u };
    if r <= 0.0 {
        return if q < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    r = (-math::ln(r)).sqrt();
    let z = if r <= 5.0 {
        r -= 1.6;
        (((((((7.745_450_142_783_414e-4 * r + 0.022_723_844_989_269_184) * r
            + 0.241_780_725_177_450_6)
            * r
            + 1.270_458_252_452_368_4)
            * r
            + 3.647_848_324_763_204_5)
            * r
            + 5.769_497_221_460_691)
            * r
            + 4.630_337_846_156_546)
            * r
            + 1.423_437_110_749_683_5)
            / (((((((1.050_750_071_644_416_9e-9 * r + 5.475_938_084_995_345e-4) * r
                + 0.015_198_666_563_616_457)
                * r
                + 0.148_103_976_427_480_08)
                * r
                + 0.689_767_334_985_1)
                * r
                + 1.676_384_830_183_803_8)
                * r
                + 2.053_191_626_637_759)
                * r
                + 1.0)
    } else {
        r -= 5.0;
        (((((((2.010_334_399_292_288_1e-7 * r + 2.711_555_568_743_487_6e-5) * r
            + 0.001_242_660_947_388_078_4)
            * r
            + 0.026_532_189_526_576_124)
            * r
            + 0.296_560_571_828_504_9)
            * r
            + 1.784_826_539_917_291_3)
            * r
            + 5.463_784_911_164_114)
            * r
            + 6.657_904_643_501_103)
            / (((((((2.044_263_103_389_939_7e-15 * r + 1.421_511_758_316_446e-7) * r
                + 1.846_318_317_510_054_8e-5)
                * r
                + 7.868_691_311_456_133e-4)
                * r
                + 0.014_875_361_290_850_615)
                * r
                + 0.136_929_880_922_735_8)
                * r
                + 0.599_832_206_555_888)
                * r
                + 1.0)
    };
    if q < 0.0 { -z } else { z }
}

/// Upper-tail probability 1 - Phi(z), accurate far in the tail.
pub fn norm_sf(z: f64) -> f64 {
    0.5 * math::erfc(z * std::f64::consts::FRAC_1_SQRT_2)
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

/// The regularised incomplete beta function I_x(a, b): the CDF of Beta(a, b).
///
/// Numerical Recipes' continued fraction (evaluated where it converges fast,
/// x < (a + 1) / (a + b + 2), else through I_x(a, b) = 1 - I_{1-x}(b, a)),
/// for every pair of shapes: for large ones the fraction takes about
/// sqrt(max(a, b)) steps (Numerical Recipes 6.4), well inside its limit.
pub fn betai(a: f64, b: f64, x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let bt = math::exp(
        math::ln_gamma(a + b) - math::ln_gamma(a) - math::ln_gamma(b)
            + a * math::ln(x)
            + b * math::ln(1.0 - x),
    );
    if x < (a + 1.0) / (a + b + 2.0) {
        bt * betacf(a, b, x) / a
    } else {
        1.0 - bt * betacf(b, a, 1.0 - x) / b
    }
}

/// Smallest magnitude the Lentz recursions keep away from zero.
const FPMIN: f64 = f64::MIN_POSITIVE / f64::EPSILON;

/// One step of the modified Lentz method for coefficient `aa`: updates the
/// running C and D (kept away from zero) and returns the factor C D.
#[inline]
fn lentz_step(aa: f64, c: &mut f64, d: &mut f64) -> f64 {
    *d = 1.0 + aa * *d;
    if d.abs() < FPMIN {
        *d = FPMIN;
    }
    *c = 1.0 + aa / *c;
    if c.abs() < FPMIN {
        *c = FPMIN;
    }
    *d = 1.0 / *d;
    *d * *c
}

/// The continued fraction of the incomplete beta (modified Lentz).
fn betacf(a: f64, b: f64, x: f64) -> f64 {
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < FPMIN {
        d = FPMIN;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        // The even and the odd step of the fraction, each one Lentz update.
        h *= lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), &mut c, &mut d);
        let del = lentz_step(
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
            &mut c,
            &mut d,
        );
        h *= del;
        if (del - 1.0).abs() <= f64::EPSILON {
            break;
        }
    }
    h
}

/// The inverse of the regularised incomplete beta, I_x(a, b) = u.
///
/// Numerical Recipes' Halley iteration (as puruspe's `invbetai`, on the
/// corrected [`betai`]); where its iterate leaves [0, 1] or stops short of
/// the root - for large or lopsided shapes, such as a beta with mean 0.2 and
/// sd 0.01 (a = 319.8, b = 1279.2), where puruspe's panics - the answer
/// comes from [`inv_betai_bracketed`] instead.
pub fn inv_betai(p: f64, a: f64, b: f64) -> f64 {
    let a1 = a - 1f64;
    let b1 = b - 1f64;
    let mut t: f64;
    let mut x: f64;
    let u: f64;
    if p <= 0f64 {
        return 0f64;
    } else if p >= 1f64 {
        return 1f64;
    } else if a >= 1f64 && b >= 1f64 {
        let pp = if p < 0.5 { p } else { 1f64 - p };
        t = (-2f64 * math::ln(pp)).sqrt();
        x = (2.30753 + t * 0.27061) / (1f64 + t * (0.99229 + t * 0.04481)) - t;
        if p < 0.5 {
            x = -x;
        }
        let al = (math::powi(x, 2) - 3f64) / 6f64;
        let h = 2f64 / (1f64 / (2f64 * a - 1f64) + 1f64 / (2f64 * b - 1f64));
        let w = (x * (al + h).sqrt() / h)
            - (1f64 / (2f64 * b - 1f64) - 1f64 / (2f64 * a - 1f64))
                * (al + 5f64 / 6f64 - 2f64 / (3f64 * h));
        x = a / (a + b * math::exp(2f64 * w));
    } else {
        let lna = math::ln(a / (a + b));
        let lnb = math::ln(b / (a + b));
        t = math::exp(a * lna) / a;
        u = math::exp(b * lnb) / b;
        let w = t + u;
        x = if p < t / w {
            math::powf(a * w * p, 1f64 / a)
        } else {
            1f64 - math::powf(b * w * (1f64 - p), 1f64 / b)
        };
    }
    let afac = -math::ln_gamma(a) - math::ln_gamma(b) + math::ln_gamma(a + b);
    for j in 0..10 {
        if !(0.0..=1.0).contains(&x) {
            // puruspe would hand this to betai and panic.
            return inv_betai_bracketed(p, a, b);
        }
        if x == 0f64 || x == 1f64 {
            return x;
        }
        let err = betai(a, b, x) - p;
        t = math::exp(a1 * math::ln(x) + b1 * math::ln(1f64 - x) + afac);
        let v = err / t;
        t = v / (1f64 - 0.5 * 1f64.min(v * (a1 / x - b1 / (1f64 - x))));
        x -= t;
        if x <= 0f64 {
            x = 0.5 * (x + t);
        }
        if x >= 1f64 {
            x = 0.5 * (x + t + 1f64);
        }
        if t.abs() < f64::EPSILON * x && j > 0 {
            break;
        }
    }
    // Ten Halley steps from a poor start can also stop far from the root:
    // keep the result only when it inverts I_x.
    let ok = (0.0..=1.0).contains(&x) && (betai(a, b, x) - p).abs() <= 1e-8 * p.min(1.0 - p);
    if ok { x } else { inv_betai_bracketed(p, a, b) }
}

/// The inverse of the regularised incomplete beta, I_x(a, b) = u, by Newton
/// steps kept inside a shrinking bracket (bisection when a step would leave
/// it): slower than Halley's iteration of [`inv_betai`], but it cannot fail.
pub fn inv_betai_bracketed(u: f64, a: f64, b: f64) -> f64 {
    if u.is_nan() || u <= 0.0 {
        return 0.0;
    }
    if u >= 1.0 {
        return 1.0;
    }
    let ln_b = math::ln_gamma(a) + math::ln_gamma(b) - math::ln_gamma(a + b);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut x = a / (a + b);
    for _ in 0..500 {
        let f = betai(a, b, x) - u;
        if f == 0.0 {
            return x;
        }
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        if hi - lo <= 4.0 * f64::EPSILON * hi {
            return 0.5 * (lo + hi);
        }
        let pdf = math::exp((a - 1.0) * math::ln(x) + (b - 1.0) * math::ln(1.0 - x) - ln_b);
        let newton = x - f / pdf;
        x = if pdf.is_finite() && pdf > 0.0 && newton > lo && newton < hi {
            newton
        } else if lo == 0.0 && hi < 0.25 {
            hi / 16.0 // the lower tail spans orders of magnitude
        } else if hi == 1.0 && lo > 0.75 {
            1.0 - (1.0 - lo) / 16.0
        } else if lo > 0.0 && hi / lo > 4.0 {
            (lo * hi).sqrt()
        } else {
            0.5 * (lo + hi)
        };
    }
    x
}

/// Exact beta quantile: [`inv_betai`] polished by Newton steps on the
/// regularised incomplete beta.
pub fn beta_quantile_exact(u: f64, a: f64, b: f64) -> f64 {
    let mut x = inv_betai(u, a, b);
    let ln_b = math::ln_gamma(a) + math::ln_gamma(b) - math::ln_gamma(a + b);
    for _ in 0..3 {
        if x <= 0.0 || x >= 1.0 {
            break;
        }
        let pdf = math::exp((a - 1.0) * math::ln(x) + (b - 1.0) * math::ln(1.0 - x) - ln_b);
        if !(pdf.is_finite() && pdf > 0.0) {
            break;
        }
        let step = (betai(a, b, x) - u) / pdf;
        let next = x - step;
        if !(next > 0.0 && next < 1.0) || step.abs() <= 1e-17 {
            break;
        }
        x = next;
    }
    x
}

/// The beta quantile at normal score z, accurate in both tails: the upper
/// tail is read from the lower tail of Beta(b, a) (1 - X ~ Beta(b, a)),
/// because Phi(z) rounds to 1 for z > 8.3.
pub fn beta_quantile_z(z: f64, a: f64, b: f64) -> f64 {
    if z > 0.0 {
        1.0 - beta_quantile_exact(norm_cdf(-z).max(f64::MIN_POSITIVE), b, a)
    } else {
        beta_quantile_exact(norm_cdf(z).max(f64::MIN_POSITIVE), a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn betai_matches_numerical_integration_and_its_symmetry() {
        // I_x(a, b) by Simpson's rule on the density (in logs), for shapes
        // on both sides of the continued fraction's branch, and large ones.
        for &(a, b) in &[
            (4000.0, 6000.0),
            (3500.0, 3500.0),
            (2.0, 5.0),
            (20.7, 17.0),
            (319.8, 1279.2),
            (40.0, 400.0),
            (1.5, 3.0),
        ] {
            let ln_b = math::ln_gamma(a) + math::ln_gamma(b) - math::ln_gamma(a + b);
            let pdf =
                |t: f64| math::exp((a - 1.0) * math::ln(t) + (b - 1.0) * math::ln(1.0 - t) - ln_b);
            let mean = a / (a + b);
            for &x in &[0.5 * mean, 0.9 * mean, mean, 1.1 * mean, 0.5 + 0.5 * mean] {
                let n = 20_000;
                let lo = if a < 1.0 { 1e-12 } else { 0.0 };
                let h = (x - lo) / n as f64;
                let mut sum = 0.0;
                for i in 0..=n {
                    let t = lo + i as f64 * h;
                    let w = if i == 0 || i == n {
                        1.0
                    } else if i % 2 == 1 {
                        4.0
                    } else {
                        2.0
                    };
                    let f = if t > 0.0 { pdf(t) } else { 0.0 };
                    sum += w * if f.is_finite() { f } else { 0.0 };
                }
                let integral = sum * h / 3.0;
                let got = betai(a, b, x);
                assert!(
                    (got - integral).abs() <= 1e-6 * integral.max(1e-300) + 1e-12,
                    "I_{x}({a}, {b}) = {got}, integral {integral}"
                );
                let sym = 1.0 - betai(b, a, 1.0 - x);
                assert!((got - sym).abs() <= 1e-12 + 1e-9 * got, "symmetry at {x}");
            }
        }
        // Where puruspe 0.4.4's betai returned about 1 in the lower tail.
        assert!(betai(319.8, 1279.2, 0.13) < 1e-10);
        // Large shapes: ln B(a, b) from ln-gammas near 4e4 keeps about 12
        // digits of the prefactor.
        assert!((betai(5000.0, 5000.0, 0.5) - 0.5).abs() < 1e-10);
    }

    #[test]
    fn inv_betai_inverts_even_where_puruspe_panics() {
        for &(a, b) in &[
            (319.8, 1279.2),
            (1279.2, 319.8),
            (3000.0, 319.8),
            (30.0, 5.0),
            (20.7, 17.0),
            (0.5, 0.5),
            (0.3, 4.0),
        ] {
            for &u in &[1e-17, 1e-10, 1e-4, 0.2, 0.5, 0.9, 1.0 - 1e-12] {
                let x = inv_betai(u, a, b);
                assert!((0.0..=1.0).contains(&x), "a={a} b={b} u={u}: {x}");
                let back = betai(a, b, x);
                // (x = 0 or 1 when the quantile is closer to them than a double can say.)
                assert!(
                    (back - u).abs() <= 1e-8 * u.min(1.0 - u) + 1e-15 || x == 0.0 || x == 1.0,
                    "a={a} b={b} u={u}: I_x = {back}"
                );
            }
        }
    }
}
