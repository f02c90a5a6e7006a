//! Binomial variates for the outcome funnel.
//!
//! The funnel draws 16 or more binomials per trial with a different success
//! probability each time, so the set-up cost of a sampler matters as much as
//! its per-variate cost. For n·min(p, 1-p) >= 10 this is Hörmann's BTRD
//! (transformed rejection with decomposition; W. Hörmann, "The generation of
//! binomial random variates", J. Statist. Comput. Simul. 46, 1993): one
//! square root to set up, and a point in the central box (a share 0.86 v_r
//! of the attempts, v_r = 0.92 - 4.2 / b: 70% and 64% of them on average for
//! the reference and mechanics benchmark scenarios' n and p, nearing 79% for
//! large n p q) is a variate from one uniform and one division. It is
//! exact: points outside the central box are accepted by the ratio
//! recursion f(k)/f(m) near the mode, or by a log squeeze and Stirling's
//! series further out. Smaller means use rand_distr's inversion sampler.
//! rand_distr's own large-mean sampler (BTPE, with a set-up for every new
//! p) took 65-80 ns a draw here.

use crate::numeric::math;
use rand::Rng;

use crate::engine::rng::{open_unit, unit53};
use crate::numeric::{count_f64, trunc_count};

/// log(k!) - [(k + 1/2) log(k + 1) - (k + 1) + log(2π)/2], exactly for k <= 9
/// (Hörmann's table) and by Stirling's series (four terms, error < 4e-13) beyond.
#[inline]
fn stirling_tail(k: f64) -> f64 {
    const TABLE: [f64; 10] = [
        0.081_061_466_795_327_26,
        0.041_340_695_955_409_29,
        0.027_677_925_684_998_34,
        0.020_790_672_103_765_09,
        0.016_644_691_189_821_19,
        0.013_876_128_823_070_75,
        0.011_896_709_945_891_77,
        0.010_411_265_261_972_1,
        0.009_255_462_182_712_733,
        0.008_330_563_433_362_87,
    ];
    if k <= 9.0 {
        TABLE[k as usize]
    } else {
        let kp1 = k + 1.0;
        let s = 1.0 / (kp1 * kp1);
        (1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1260.0 - s / 1680.0) * s) * s) / kp1
    }
}

/// A Binomial(n, p) variate.
#[inline]
pub fn sample<R: Rng>(n: u64, p: f64, rng: &mut R) -> u64 {
    // (A NaN probability, which validation keeps out, must not loop forever.)
    if n == 0 || p <= 0.0 || p.is_nan() {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let (q, flipped) = if p > 0.5 { (1.0 - p, true) } else { (p, false) };
    let nf = count_f64(n);
    let k = if nf * q < 10.0 {
        small_mean(n, q, rng)
    } else {
        btrd(nf, q, rng)
    };
    if flipped { n - k } else { k }
}

/// Inversion for small means, 0 < q <= 0.5 and n q < 10: rand_distr 0.6's
/// sampler step for step (BINV, Kachitvichyanukul and Schmeiser 1988; and
/// Knuth's Poisson product when 1 - q rounds to 1), with q^n and e^-nq
/// from [`math`] so that the same bits come out on every platform. Kept
/// out of line so that the large-mean path of [`sample`] does not carry
/// its stack frame.
#[inline(never)]
fn small_mean<R: Rng>(n: u64, q: f64, rng: &mut R) -> u64 {
    let nf = count_f64(n);
    let r1 = 1.0 - q;
    if r1 == 1.0 {
        let limit = math::exp(-(nf * q));
        let (mut count, mut prod) = (1.0f64, unit53(rng));
        while prod > limit {
            prod *= unit53(rng);
            count += 1.0;
        }
        return trunc_count(count - 1.0);
    }
    // BINV gives up on an attempt past 110 (31 sd above a mean below 10).
    const MAX_X: u64 = 110;
    let (s, start) = (q / r1, math::powf(r1, nf));
    let a = (nf + 1.0) * s;
    'attempt: loop {
        let (mut r, mut u, mut x) = (start, unit53(rng), 0u64);
        while u > r {
            u -= r;
            x += 1;
            if x > MAX_X {
                continue 'attempt;
            }
            r *= a / count_f64(x) - s;
        }
        return x;
    }
}

/// BTRD's set-up for one (n, p) with n·p >= 10 and p <= 1/2 (Hörmann 1993,
/// step 1), and its steps 2-3.5.
///
/// Step 2 is written with one division instead of Hörmann's three in a
/// chain (4.2 / b, v / v_r, 2a / (0.5 - |u|)), which set the latency of
/// every draw: with d = 0.92 b - 4.2 (so v_r = d / b), the box test
/// v <= 0.86 v_r is v b <= 0.86 d, and with nu = v b - 0.43 d and
/// e = 0.5 d - |nu| (so u = nu / d and 0.5 - |u| = e / d), the point
/// (2a / (0.5 - |u|) + b) u + c is nu (2 a d + b e) / (e d) + c, computed
/// as (c + nu (b / d)) + 2 a nu / e: b / d is ready before the uniform is
/// used, so only one division waits for e. d comes from spq directly
/// (2.3276 spq - 3.142), one step fewer after the square root. The same
/// numbers up to rounding (which changes a floor only when the point lies
/// within about 1e-13 of a whole number, and the box test only for a point
/// within a rounding error of its edge).
#[derive(Clone, Copy)]
struct Btrd {
    n: f64,
    p: f64,
    spq: f64,
    a: f64,
    b: f64,
    c: f64,
    d: f64,
    b_over_d: f64,
}

impl Btrd {
    #[inline(always)]
    fn new(n: f64, p: f64) -> Btrd {
        let spq = (n * (p * (1.0 - p))).sqrt();
        let b = 1.15 + 2.53 * spq;
        let a = -0.0873 + 0.0248 * b + 0.01 * p;
        let c = n * p + 0.5;
        // d = 0.92 b - 4.2, from spq directly (one step fewer after the square
        // root); d > 0: n p (1 - p) >= 5 here, so spq > 2.2.
        // (4.2 - 0.92 * 1.15 = 3.142, which only looks like pi.)
        #[allow(clippy::approx_constant)]
        let d = 2.3276 * spq - 3.142;
        Btrd {
            n,
            p,
            spq,
            a,
            b,
            c,
            d,
            // (Off the chain: ready before the box needs it.)
            b_over_d: b / d,
        }
    }

    /// Step 2: the variate when w = v b (v the attempt's uniform) falls in
    /// the central box (0.86 v_r of the attempts).
    #[inline(always)]
    fn in_box(&self, w: f64) -> Option<u64> {
        // x >= 0 in the box (which lies inside the support), so the cast is floor.
        self.box_holds(w).then(|| trunc_count(self.box_point(w)))
    }

    /// Whether w = v b falls in the central box.
    #[inline(always)]
    fn box_holds(&self, w: f64) -> bool {
        w <= 0.86 * self.d
    }

    /// The variate, before its floor, of a point w = v b in the box
    /// (meaningless outside it).
    #[inline(always)]
    fn box_point(&self, w: f64) -> f64 {
        let nu = w - 0.43 * self.d;
        let e = 0.5 * self.d - nu.abs(); // >= 0.07 d > 0 in the box
        // nu (2 a d + b e) / (e d) + c, split so that only one division
        // waits for e.
        (self.c + nu * self.b_over_d) + 2.0 * self.a * nu / e
    }

    /// The rest of the draw after an attempt with w = v b fell outside the
    /// box: steps 3-3.5 for it, then new attempts until one is accepted.
    #[inline(always)]
    fn after_box(&self, mut w: f64, rng: &mut impl Rng) -> u64 {
        loop {
            if let Some(k) = outside_box(self, w, rng) {
                return k;
            }
            w = open_unit(rng) * self.b;
            if let Some(k) = self.in_box(w) {
                return k;
            }
        }
    }
}

/// BTRD for n·p >= 10 and p <= 1/2 (Hörmann 1993, steps 1-3.5).
#[inline]
fn btrd<R: Rng>(n: f64, p: f64, rng: &mut R) -> u64 {
    let s = Btrd::new(n, p);
    let w = open_unit(rng) * s.b;
    match s.in_box(w) {
        Some(k) => k,
        None => s.after_box(w, rng),
    }
}

/// Cohorts whose binomials the funnel draws together (see [`sample_lanes`]).
pub const LANES: usize = 4;

/// `Binomial(n[l], p[l])` variates for [`LANES`] independent lanes from one
/// generator, each with the arithmetic of [`sample`], in a fixed order: first
/// the first BTRD attempt's uniform of every lane that uses BTRD (in lane
/// order), then lane by lane the whole draw of every other lane (inversion
/// for a small mean; nothing for n = 0 or p outside (0, 1)) and the rest of
/// each BTRD draw whose first point fell outside the central box.
///
/// The lanes' set-ups and boxes have no dependence on each other, so their
/// square roots and divisions overlap instead of waiting one for another:
/// four cohorts' draws at once take about 18% less time per draw than one
/// cohort's (`cargo bench --bench stages`: `binomial_lanes` against
/// `binomial_chained`), and a whole reference trial 4-11% less.
#[inline]
pub fn sample_lanes<R: Rng>(n: [u64; LANES], p: [f64; LANES], rng: &mut R) -> [u64; LANES] {
    // A lane uses BTRD when p is in (0, 1) and n min(p, 1 - p) >= 10, as in
    // `sample` (NaN fails every comparison: such a lane draws 0 there).
    let flip = p.map(|p| p > 0.5);
    let q: [f64; LANES] = std::array::from_fn(|l| if flip[l] { 1.0 - p[l] } else { p[l] });
    let nf = n.map(count_f64);
    let btrd: [bool; LANES] =
        std::array::from_fn(|l| p[l] > 0.0 && p[l] < 1.0 && nf[l] * q[l] >= 10.0);
    // Every lane's set-up and box point, computed side by side before any
    // lane's test (the compiler pairs them into vector instructions).
    // (Lanes that do not use BTRD compute numbers nobody reads.)
    let setup: [Btrd; LANES] = std::array::from_fn(|l| Btrd::new(nf[l], q[l]));
    let mut w = [0.0; LANES];
    for l in 0..LANES {
        if btrd[l] {
            w[l] = open_unit(rng) * setup[l].b;
        }
    }
    let x: [f64; LANES] = std::array::from_fn(|l| setup[l].box_point(w[l]));
    let mut k = [0; LANES];
    for l in 0..LANES {
        k[l] = if !btrd[l] {
            sample(n[l], p[l], rng)
        } else {
            let x = if setup[l].box_holds(w[l]) {
                trunc_count(x[l])
            } else {
                setup[l].after_box(w[l], rng)
            };
            if flip[l] { n[l] - x } else { x }
        };
    }
    k
}

/// Steps 3-3.5 of BTRD: a point outside the central box, accepted or not.
///
/// Written, like the box, with few divisions in a chain (Hörmann's step 3
/// chains five: 4.2 / b, v / v_r, 2a / us, a / us^2 and alpha / (...)).
/// With w = v b and d = 0.92 b - 4.2 from step 2 (v_r = d / b): the test
/// v >= v_r is w >= d; u = v / v_r - 0.93 is w / d - 0.93 and the new v,
/// U v_r, is U d / b; the point (2a / us + b) u + c is
/// u (2a + b us) / us + c; and the scaled v (alpha / (a / us^2 + b)) is
/// v alpha us^2 / (a + b us^2). The same numbers up to rounding.
#[cold]
#[inline(never)]
fn outside_box<R: Rng>(s: &Btrd, w: f64, rng: &mut R) -> Option<u64> {
    let Btrd {
        n,
        p,
        spq,
        a,
        b,
        c,
        d,
        ..
    } = *s;
    // (u, the new v times b).
    let (u, vb) = if w >= d {
        (open_unit(rng) - 0.5, w)
    } else {
        let u = w / d - 0.93;
        (0.5f64.copysign(u) - u, open_unit(rng) * d)
    };
    // Step 3.1.
    let us = 0.5 - u.abs();
    let x = u * (2.0 * a + b * us) / us + c;
    if !(0.0..n + 1.0).contains(&x) {
        return None;
    }
    // x >= 0 here, so truncation is floor (without a libm call).
    let k = count_f64(trunc_count(x));
    // Step 3.2.
    let alpha = (2.83 + 5.1 / b) * spq;
    let us2 = us * us;
    let v = vb * alpha * us2 / (b * (a + b * us2));
    let m = count_f64(trunc_count((n + 1.0) * p));
    let km = (k - m).abs();
    let r = p / (1.0 - p);
    if km <= 15.0 {
        // Step 3.3: f(k)/f(m) by the ratio recursion f(i)/f(i-1) =
        // (n + 1 - i) r / i, as one ratio of two products (no divisions).
        let (lo, hi) = if m < k { (m, k) } else { (k, m) };
        let (mut num, mut den) = (1.0, 1.0);
        let mut i = lo;
        while i < hi {
            i += 1.0;
            num *= (n + 1.0 - i) * r;
            den *= i;
        }
        // m < k: accept when v <= num / den; m > k: when v num / den <= 1.
        return if m < k {
            v * den <= num
        } else {
            v * num <= den
        }
        .then_some(trunc_count(k));
    }
    // Step 3.4: squeeze on log f(k)/f(m). Bounds on ln v that need no
    // logarithm decide most points first: for 0 < v <= 1,
    // (v - 1) / sqrt(v) <= ln v <= 2 (v - 1) / (v + 1), and for v >= 1 the
    // same two the other way round (the lower one of each pair is the
    // lower bound); only a point between them needs ln v itself.
    let npq = spq * spq;
    let rho = (km / npq) * (((km / 3.0 + 0.625) * km + 1.0 / 6.0) / npq + 0.5);
    let t = -km * km / (2.0 * npq);
    let (pade, root) = (2.0 * (v - 1.0) / (v + 1.0), (v - 1.0) / v.sqrt());
    let (lower, upper) = if v <= 1.0 { (root, pade) } else { (pade, root) };
    if upper < t - rho {
        return Some(trunc_count(k));
    }
    if lower > t + rho {
        return None;
    }
    let lv = math::ln(v);
    if lv < t - rho {
        return Some(trunc_count(k));
    }
    if lv > t + rho {
        return None;
    }
    // Step 3.5: the exact test.
    let nm = n - m + 1.0;
    let h = (m + 0.5) * math::ln((m + 1.0) / (r * nm)) + stirling_tail(m) + stirling_tail(n - m);
    let nk = n - k + 1.0;
    let bound = h + (n + 1.0) * math::ln(nm / nk) + (k + 0.5) * math::ln(nk * r / (k + 1.0))
        - stirling_tail(k)
        - stirling_tail(n - k);
    (lv <= bound).then_some(trunc_count(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    #[test]
    fn stirling_table_matches_ln_gamma() {
        for k in 0..30 {
            let kf = k as f64;
            let ln_fact: f64 = (1..=k).map(|i| math::ln(i as f64)).sum();
            let exact = ln_fact
                - ((kf + 0.5) * math::ln(kf + 1.0) - (kf + 1.0)
                    + 0.5 * math::ln(2.0 * std::f64::consts::PI));
            assert!(
                (stirling_tail(kf) - exact).abs() < 1e-12,
                "k={k}: {} vs {exact}",
                stirling_tail(kf)
            );
        }
    }

    #[test]
    fn edge_cases() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        assert_eq!(sample(0, 0.3, &mut rng), 0);
        assert_eq!(sample(10, 0.0, &mut rng), 0);
        assert_eq!(sample(10, 1.0, &mut rng), 10);
        assert_eq!(sample(1000, f64::NAN, &mut rng), 0);
        for _ in 0..1000 {
            assert!(sample(25, 0.999, &mut rng) <= 25);
            assert!(sample(3, 0.5, &mut rng) <= 3);
        }
    }

    /// Binomial(n, p) probabilities by the ratio recursion from the mode,
    /// over mode +- 12 sd, normalised: (first k, probabilities).
    fn pmf(n: u64, p: f64) -> (u64, Vec<f64>) {
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        let m = ((n + 1) as f64 * p).floor() as u64;
        let lo = m.saturating_sub((12.0 * sd) as u64 + 12);
        let hi = (m + (12.0 * sd) as u64 + 12).min(n);
        let mut f = vec![0.0; (hi - lo + 1) as usize];
        f[(m - lo) as usize] = 1.0;
        for k in m..hi {
            let i = (k - lo) as usize;
            f[i + 1] = f[i] * (n - k) as f64 / (k + 1) as f64 * p / (1.0 - p);
        }
        for k in (lo + 1..=m).rev() {
            let i = (k - lo) as usize;
            f[i - 1] = f[i] * k as f64 / (n - k + 1) as f64 * (1.0 - p) / p;
        }
        let total: f64 = f.iter().sum();
        f.iter_mut().for_each(|x| *x /= total);
        (lo, f)
    }

    /// Chi-square goodness of fit of `draws` samples against the exact pmf,
    /// bins pooled until each expects at least max(20, draws / 400); returns the p-value.
    fn chi_square_p(
        n: u64,
        p: f64,
        draws: usize,
        seed: u64,
        sampler: impl Fn(&mut Xoshiro256PlusPlus) -> u64,
    ) -> f64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let ks: Vec<u64> = (0..draws).map(|_| sampler(&mut rng)).collect();
        chi_square_p_of(n, p, &ks)
    }

    /// [`chi_square_p`] of given draws.
    fn chi_square_p_of(n: u64, p: f64, ks: &[u64]) -> f64 {
        let draws = ks.len();
        let (lo, f) = pmf(n, p);
        let mut counts = vec![0u64; f.len()];
        let (mut below, mut above) = (0u64, 0u64);
        for &k in ks {
            assert!(k <= n);
            if k < lo {
                below += 1;
            } else if k - lo >= f.len() as u64 {
                above += 1;
            } else {
                counts[(k - lo) as usize] += 1;
            }
        }
        // Mass outside mode +- 12 sd is below 1e-30: nothing may land there.
        assert_eq!((below, above), (0, 0), "n={n} p={p}");
        let (mut stat, mut df) = (0.0, 0usize);
        let (mut e, mut o) = (0.0, 0.0);
        for (fi, &ci) in f.iter().zip(&counts) {
            e += fi * draws as f64;
            o += ci as f64;
            if e >= (draws as f64 / 400.0).max(20.0) {
                stat += (o - e) * (o - e) / e;
                df += 1;
                (e, o) = (0.0, 0.0);
            }
        }
        if e > 0.0 {
            stat += (o - e) * (o - e) / e.max(1e-300);
            df += 1;
        }
        // Upper tail of chi-square with df - 1 degrees of freedom by the
        // Wilson-Hilferty cube-root normal approximation (puruspe's gammq
        // returns NaN for shape >= 100 with x < shape).
        let k = (df - 1) as f64;
        let z = (math::cbrt(stat / k) - (1.0 - 2.0 / (9.0 * k))) / (2.0 / (9.0 * k)).sqrt();
        crate::numeric::special::norm_cdf(-z)
    }

    #[test]
    fn matches_the_exact_distribution() {
        // Both branches (BTRS and inversion), flipped and not, small and huge n.
        // A correct sampler fails one case with probability 1e-6; seeds are fixed.
        for (i, &(n, p)) in [
            (1500, 0.55),
            (800, 0.75),
            (40, 0.3),
            (21, 0.5),
            (25, 0.2),
            (100, 0.02),
            (1_000_000_000, 0.37),
        ]
        .iter()
        .enumerate()
        {
            let pv = chi_square_p(n, p, 400_000, 11 + i as u64, |r| sample(n, p, r));
            assert!(pv > 1e-6, "Binomial({n}, {p}): chi-square p-value {pv}");
        }
    }

    #[test]
    fn a_lane_alone_draws_what_sample_draws() {
        // Lanes with n = 0 draw no random numbers, so one active lane takes
        // the same numbers as `sample`, whichever lane it is and whatever
        // branch it takes (BTRD flipped or not, small mean, p at 0 or 1).
        let cases = [
            (1500, 0.55),
            (800, 0.25),
            (40, 0.3),
            (25, 0.2),
            (100, 0.0),
            (100, 1.0),
            (0, 0.4),
        ];
        for (i, &(n, p)) in cases.iter().enumerate() {
            for lane in 0..LANES {
                let mut a = Xoshiro256PlusPlus::seed_from_u64(40 + i as u64);
                let mut b = a.clone();
                for _ in 0..2000 {
                    let mut ns = [0; LANES];
                    let mut ps = [0.3; LANES];
                    ns[lane] = n;
                    ps[lane] = p;
                    let k = sample_lanes(ns, ps, &mut a);
                    let mut want = [0; LANES];
                    want[lane] = sample(n, p, &mut b);
                    assert_eq!(k, want, "Binomial({n}, {p}) in lane {lane}");
                }
                assert_eq!(
                    a.next_u64(),
                    b.next_u64(),
                    "Binomial({n}, {p}) in lane {lane}"
                );
            }
        }
    }

    #[test]
    fn lanes_match_the_exact_distributions() {
        // Four different lanes drawn together (BTRD flipped and not, a small
        // mean, BTRD near its threshold): each lane's draws follow its own
        // Binomial(n, p). A correct sampler fails a lane with probability 1e-6.
        let n = [1500, 800, 25, 60];
        let p = [0.55, 0.75, 0.2, 0.17];
        let draws = 300_000;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(77);
        let mut ks: Vec<Vec<u64>> = (0..LANES).map(|_| Vec::with_capacity(draws)).collect();
        for _ in 0..draws {
            let k = sample_lanes(n, p, &mut rng);
            for (v, k) in ks.iter_mut().zip(k) {
                v.push(k);
            }
        }
        for l in 0..LANES {
            let pv = chi_square_p_of(n[l], p[l], &ks[l]);
            assert!(
                pv > 1e-6,
                "lane {l}, Binomial({}, {}): p-value {pv}",
                n[l],
                p[l]
            );
        }
        // Lanes drawn together are independent: the correlation of lanes 0
        // and 1 is within 5 standard errors (1 / sqrt(draws)) of 0.
        let mean = |v: &[u64]| v.iter().map(|&k| k as f64).sum::<f64>() / v.len() as f64;
        let (m0, m1) = (mean(&ks[0]), mean(&ks[1]));
        let (mut c, mut v0, mut v1) = (0.0, 0.0, 0.0);
        for (&a, &b) in ks[0].iter().zip(&ks[1]) {
            let (x, y) = (a as f64 - m0, b as f64 - m1);
            c += x * y;
            v0 += x * x;
            v1 += y * y;
        }
        let r = c / (v0 * v1).sqrt();
        assert!(r.abs() < 5.0 / (draws as f64).sqrt(), "correlation {r}");
    }

    #[test]
    fn the_goodness_of_fit_test_has_power() {
        // A sampler off by 1% in p (0.3 sd of the count) must be caught.
        let (n, p) = (1500u64, 0.55);
        let pv = chi_square_p(n, p, 400_000, 5, |r| sample(n, p * 1.01, r));
        assert!(pv < 1e-6, "p-value {pv}");
    }
}

#[cfg(test)]
mod same_as_rand_distr {
    use rand::SeedableRng;
    use rand_distr::Distribution;

    #[test]
    fn small_means_are_rand_distr_s_draws() {
        // The inversion and Knuth's product step for step: where this
        // platform's pow and exp agree with libm's (almost everywhere), the
        // same counts from the same stream.
        let mut a = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(3);
        let mut b = a.clone();
        for &(n, q) in &[
            (10u64, 0.5),
            (30, 0.2),
            (1000, 0.009),
            (5, 0.01),
            (u64::from(u32::MAX), 1e-17),
        ] {
            let want = rand_distr::Binomial::new(n, q).unwrap();
            for _ in 0..2000 {
                assert_eq!(
                    super::small_mean(n, q, &mut a),
                    want.sample(&mut b),
                    "n={n} q={q}"
                );
            }
        }
    }
}
