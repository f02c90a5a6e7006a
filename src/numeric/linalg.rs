//! Linear algebra: the Cholesky factor of a correlation matrix (the copula's
//! and validation's test of positive definiteness), and exact conversions
//! between counts and floats used in the trial's inner loops.

/// Cholesky factor L (row-major, lower-triangular) of a symmetric n x n
/// matrix; `None` unless the matrix is positive definite.
pub fn cholesky(m: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = m[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if s <= 1e-12 {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// A count as a float. Counts stay far below 2^53 (cohort sizes are capped
/// at 1e9), so this is exact, and the signed conversion is one instruction
/// where `u64 as f64` is a branch and several on x86-64 before AVX-512.
#[inline(always)]
pub fn count_f64(k: u64) -> f64 {
    debug_assert!(k < 1 << 53);
    k as i64 as f64
}

/// `x as u64` for a float known to lie in [0, 2^63): truncation toward zero
/// in one instruction (the unsigned conversion needs a range check and more).
#[inline(always)]
pub fn trunc_count(x: f64) -> u64 {
    debug_assert!((0.0..9.2e18).contains(&x), "{x}");
    x as i64 as u64
}

#[cfg(test)]
mod tests {
    use super::cholesky;

    #[test]
    fn cholesky_of_a_known_matrix() {
        let m = [4.0, 2.0, 2.0, 3.0];
        let l = cholesky(&m, 2).unwrap();
        assert_eq!(l, vec![2.0, 0.0, 1.0, 2f64.sqrt()]);
        assert!(cholesky(&[1.0, 1.0, 1.0, 1.0], 2).is_none());
        assert!(cholesky(&[1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0], 3).is_none());
    }
}
