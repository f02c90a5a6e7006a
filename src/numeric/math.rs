//! The transcendental functions of every computation whose numbers reach
//! `summary.json`: pure Rust (the `libm` crate, a port of musl's), so the
//! same inputs give the same bits on every platform - another glibc, musl
//! in a container, macOS - and shards from different machines merge into
//! the summary any one of them would have written. std's `f64::ln`, `exp`,
//! `powf` and friends call the platform's math library, whose last bits
//! differ between implementations; `clippy.toml` forbids them in the
//! library. `sqrt` and the four operations are correctly rounded by IEEE
//! 754 everywhere and stay std's.

/// Natural logarithm.
#[inline]
pub fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// e^x.
#[inline]
pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}

/// x^y.
#[inline]
pub fn powf(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

/// Cube root.
#[inline]
pub fn cbrt(x: f64) -> f64 {
    libm::cbrt(x)
}

/// Base-10 logarithm.
#[inline]
pub fn log10(x: f64) -> f64 {
    libm::log10(x)
}

/// ln(1 + x), accurate for small x.
#[inline]
pub fn ln_1p(x: f64) -> f64 {
    libm::log1p(x)
}

/// Complementary error function.
#[inline]
pub fn erfc(x: f64) -> f64 {
    libm::erfc(x)
}

/// ln |Gamma(x)|.
#[inline]
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// x^n by repeated squaring, exactly as compiler-rt's `__powidf2` (what
/// std's `powi` calls when the exponent is not a constant): the same
/// multiplications in the same order, so the same bits on every platform.
#[inline]
pub fn powi(x: f64, n: i32) -> f64 {
    let recip = n < 0;
    let (mut a, mut b, mut r) = (x, n, 1.0);
    loop {
        if b & 1 != 0 {
            r *= a;
        }
        b /= 2;
        if b == 0 {
            break;
        }
        a *= a;
    }
    if recip { 1.0 / r } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powi_is_repeated_squaring() {
        for x in [0.5f64, 1.1, -3.0, 1.0 + 1e-12, 7.25] {
            for n in -12i32..=40 {
                // The exact value, squarings in the same order.
                let mut want = 1.0f64;
                let (mut a, mut b) = (x, n.abs());
                while b > 0 {
                    if b & 1 == 1 {
                        want *= a;
                    }
                    a *= a;
                    b >>= 1;
                }
                let want = if n < 0 { 1.0 / want } else { want };
                assert_eq!(powi(x, n).to_bits(), want.to_bits(), "{x}^{n}");
            }
        }
        assert_eq!(powi(2.0, 10), 1024.0);
        assert_eq!(powi(2.0, -2), 0.25);
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // std's, as an independent value
    fn the_functions_agree_with_their_closed_forms() {
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(exp(0.0), 1.0);
        assert!((ln(std::f64::consts::E) - 1.0).abs() < 1e-16);
        assert_eq!(powf(2.0, 0.5), std::f64::consts::SQRT_2);
        assert_eq!(cbrt(27.0), 3.0);
        assert_eq!(log10(1000.0), 3.0);
        // Gamma(5) = 24, Gamma(1/2) = sqrt(pi).
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-15);
        assert!((ln_gamma(0.5) - 0.5 * std::f64::consts::PI.ln()).abs() < 1e-15);
        // erfc(0) = 1; erfc(1) = 0.157299207050285130658...
        assert_eq!(erfc(0.0), 1.0);
        assert!((erfc(1.0) - 0.157_299_207_050_285_13).abs() < 1e-16);
    }
}
