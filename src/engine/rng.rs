//! A trial's random numbers: one generator per (seed, trial), uniforms in
//! (0, 1), and the keyed permutation that gives each trial its Latin
//! hypercube stratum without storing a permutation.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};

use crate::scenario::Sampling;

/// SplitMix64 finaliser: a bijective 64-bit mix.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator of trial `trial` of a run with `seed`.
#[inline]
pub fn trial_rng(seed: u64, trial: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(mix64(mix64(seed) ^ trial))
}

/// A uniform in the open interval (0, 1) from 53 random bits.
#[inline]
pub fn open_unit(rng: &mut impl Rng) -> f64 {
    (((rng.next_u64() >> 11) as i64) as f64 + 0.5) * (1.0 / 9_007_199_254_740_992.0)
}

/// A uniform in [0, 1) as rand's `StandardUniform` draws an f64 (the top 53
/// bits of one word, times 2^-53): the variates ported from rand_distr
/// consume and use their uniforms exactly as it does.
#[inline]
pub fn unit53<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    ((rng.next_u64() >> 11) as f64) * (1.0 / 9_007_199_254_740_992.0)
}

/// Where a run's per-trial uniforms come from.
#[derive(Debug, Clone, Copy)]
pub struct Draws {
    /// Seed of the run.
    pub seed: u64,
    /// Total trials of the (unsharded) run; LHS strata span it.
    pub trials: u64,
    /// Sampling scheme.
    pub sampling: Sampling,
}

/// A pseudo-random permutation of 0..n (cycle-walking Feistel network),
/// keyed by `key`: the LHS stratum of each trial without storing a permutation.
pub fn permute(i: u64, n: u64, key: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    let bits = 64 - (n - 1).leading_zeros();
    let half = bits.div_ceil(2);
    let mask = (1u64 << half) - 1;
    let mut x = i;
    loop {
        let (mut l, mut r) = (x >> half, x & mask);
        for round in 0..4u64 {
            let f = mix64(r ^ key ^ round.wrapping_mul(0xA24B_AED4_963E_E407)) & mask;
            (l, r) = (r, l ^ f);
        }
        x = (l << half) | r;
        if x < n {
            return x;
        }
    }
}
