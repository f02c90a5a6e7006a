//! Statistics of one column of per-trial values: moments, exact type-7
//! quantiles by selection (bucketed for long columns), probabilities with
//! standard errors, and the stable order of a count column.
//!
//! Every sum runs in trial order and every quantile is an exact order
//! statistic of its own copy of a column, so a statistic depends only on
//! the column, never on threads.

use serde_json::Value;

/// The quantile levels reported for every metric.
pub const QUANTILES: [(&str, f64); 9] = [
    ("p1", 0.01),
    ("p5", 0.05),
    ("p10", 0.10),
    ("p25", 0.25),
    ("p50", 0.50),
    ("p75", 0.75),
    ("p90", 0.90),
    ("p95", 0.95),
    ("p99", 0.99),
];

/// Summary statistics of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Mean of the non-NaN values.
    pub mean: f64,
    /// Sample standard deviation (n - 1).
    pub sd: f64,
    /// Standard error of the mean, sd / sqrt(n_valid).
    pub se: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Quantiles at [`QUANTILES`].
    pub quantiles: [f64; 9],
    /// Number of NaN trials.
    pub nan: u64,
}

/// Type-7 quantile (linear interpolation between order statistics) of sorted values.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let g = h - lo as f64;
    if g == 0.0 {
        sorted[lo]
    } else {
        sorted[lo] + g * (sorted[hi] - sorted[lo])
    }
}

/// Type-7 quantiles at `levels` of unsorted NaN-free values, from the order
/// statistics they need ([`order_statistics`]). May reorder `v`.
pub fn quantiles_by_selection(v: &mut [f64], levels: &[f64], out: &mut [f64]) {
    let n = v.len();
    if n == 0 {
        out.iter_mut().for_each(|o| *o = f64::NAN);
        return;
    }
    let needed = type7_ranks(n, levels);
    let found = order_statistics(v, &needed);
    type7_from(&found, n, levels, out);
}

/// The ranks (sorted, distinct, 0-based) that type-7 quantiles at `levels`
/// of `n > 0` values interpolate between.
fn type7_ranks(n: usize, levels: &[f64]) -> Vec<usize> {
    let mut needed: Vec<usize> = Vec::with_capacity(2 * levels.len());
    for &q in levels {
        let j = ((n - 1) as f64 * q).floor() as usize;
        needed.push(j);
        needed.push((j + 1).min(n - 1));
    }
    needed.sort_unstable();
    needed.dedup();
    needed
}

/// Type-7 quantiles at `levels` of `n > 0` values from their order
/// statistics `found` at [`type7_ranks`].
fn type7_from(found: &[(usize, f64)], n: usize, levels: &[f64], out: &mut [f64]) {
    let at = |i: usize| {
        found
            .iter()
            .find(|(k, _)| *k == i)
            .map_or(f64::NAN, |(_, x)| *x)
    };
    for (o, &q) in out.iter_mut().zip(levels) {
        let h = (n - 1) as f64 * q;
        let j = h.floor() as usize;
        let g = h - j as f64;
        let xj = at(j);
        *o = if g == 0.0 {
            xj
        } else {
            xj + g * (at((j + 1).min(n - 1)) - xj)
        };
    }
}

/// Below this many values, order statistics come from plain selection.
const BUCKETS_MIN: usize = 1 << 15;
/// Buckets of the counting pass.
const BUCKETS: usize = 4096;

/// The order statistics of ranks `needed` (sorted, distinct, 0-based) of
/// NaN-free `v` in [`f64::total_cmp`]'s order, as (rank, value) pairs.
///
/// Exact: a value is picked, never interpolated, so the method cannot change
/// the answer. Large finite inputs take a counting pass over 4096 equal-width
/// buckets between the minimum and the maximum (a monotone map, so ranks
/// follow buckets), then gather only the buckets holding a needed rank and
/// look inside them the same way: a few streaming passes instead of a
/// selection over the whole column per quantile level. A bucket's first value
/// is taken as its likely mode and its copies are only counted, so a point
/// mass (a capped IRR, a guarantee that was not called) is never searched.
/// May reorder `v`.
pub fn order_statistics(v: &mut [f64], needed: &[usize]) -> Vec<(usize, f64)> {
    let mut found = Vec::with_capacity(needed.len());
    bucketed(v, 0, needed, 0, &mut found);
    found
}

/// [`order_statistics`] of `v`, whose first element has rank `base`, at
/// recursion depth `depth`.
fn bucketed(
    v: &mut [f64],
    base: usize,
    needed: &[usize],
    depth: u32,
    found: &mut Vec<(usize, f64)>,
) {
    if needed.is_empty() {
        return;
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &x in v.iter() {
        lo = if x < lo { x } else { lo };
        hi = if x > hi { x } else { hi };
    }
    if lo == hi {
        // One value: equal non-zero floats have equal bits; zeros may be -0 or +0.
        let negative = if lo == 0.0 {
            v.iter().filter(|x| x.is_sign_negative()).count()
        } else {
            0
        };
        found.extend(needed.iter().map(|&r| {
            let x = if lo != 0.0 {
                lo
            } else if r - base < negative {
                -0.0
            } else {
                0.0
            };
            (r, x)
        }));
        return;
    }
    let scale = (BUCKETS as f64 - 1.0) / (hi - lo);
    if !takes_buckets(v.len(), needed.len(), depth, scale) {
        select_all(v, base, needed, found);
        return;
    }
    let (counts, _) = count_buckets(v, lo, scale, |_| 0.0);
    gather_buckets(v, lo, scale, &counts, base, needed, depth, found);
}

/// Whether [`bucketed`] counts buckets (rather than selecting) for `len`
/// values, `ranks` needed ranks, at recursion depth `depth`, with buckets
/// `scale` wide.
fn takes_buckets(len: usize, ranks: usize, depth: u32, scale: f64) -> bool {
    // (Slots are numbered in a byte: more ranks than that take plain selection.)
    len >= BUCKETS_MIN
        && ranks < usize::from(u8::MAX)
        && depth < 3
        && scale.is_finite()
        && scale > 0.0
}

/// The bucket of x between `lo` and `lo + (BUCKETS - 1) / scale`: the
/// nearest whole number to (x - lo) * scale, capped at `BUCKETS - 1`.
///
/// (x - lo) * scale is monotone in x and lies in [0, BUCKETS - 1 + rounding],
/// so adding 2^52 rounds it to a whole number held in the low bits of the
/// sum: a monotone map, which is all the counting needs, without the range
/// and NaN checks of a float-to-integer conversion.
#[inline]
fn bucket_of(x: f64, lo: f64, scale: f64) -> usize {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    let whole = ((x - lo) * scale + TWO_52).to_bits() - TWO_52.to_bits();
    (whole as usize).min(BUCKETS - 1)
}

/// The counting pass: how many values fall in each bucket, as four
/// interleaved histograms (so that runs of one bucket do not chain
/// increments of one counter), and the sum of `term` over the values, in
/// order from -0.0.
#[inline(always)]
fn count_buckets(
    v: &[f64],
    lo: f64,
    scale: f64,
    term: impl Fn(f64) -> f64,
) -> (Vec<[u32; 4]>, f64) {
    let mut counts = vec![[0u32; 4]; BUCKETS];
    let mut sum = -0.0;
    let mut chunks = v.chunks_exact(4);
    for c in &mut chunks {
        for (i, &x) in c.iter().enumerate() {
            sum += term(x);
            counts[bucket_of(x, lo, scale)][i] += 1;
        }
    }
    for &x in chunks.remainder() {
        sum += term(x);
        counts[bucket_of(x, lo, scale)][0] += 1;
    }
    (counts, sum)
}

/// After the counting pass of [`bucketed`]: finds the bucket of every needed
/// rank, gathers those buckets and looks inside them.
#[allow(clippy::too_many_arguments)]
fn gather_buckets(
    v: &[f64],
    lo: f64,
    scale: f64,
    counts: &[[u32; 4]],
    base: usize,
    needed: &[usize],
    depth: u32,
    found: &mut Vec<(usize, f64)>,
) {
    let bucket = |x: f64| bucket_of(x, lo, scale);
    let count = |b: usize| counts[b].iter().map(|&c| c as usize).sum::<usize>();
    // The bucket of every needed rank.
    const NONE: u8 = u8::MAX;
    let mut slot_of = [NONE; BUCKETS];
    let mut slots: Vec<(usize, usize)> = Vec::new(); // (first rank, first needed index)
    let (mut b, mut below) = (0usize, base);
    for (i, &r) in needed.iter().enumerate() {
        while below + count(b) <= r {
            below += count(b);
            b += 1;
        }
        if slot_of[b] == NONE {
            slot_of[b] = slots.len() as u8;
            slots.push((below, i));
        }
    }
    // Gather the needed buckets: copies of each bucket's first value are
    // counted, the other values kept, with how many come before that value.
    let mut gathered: Vec<Vec<f64>> = slots.iter().map(|_| Vec::new()).collect();
    let mut mode: Vec<Option<f64>> = vec![None; slots.len()];
    let (mut equal, mut before) = (vec![0usize; slots.len()], vec![0usize; slots.len()]);
    for &x in v.iter() {
        let s = slot_of[bucket(x)];
        if s == NONE {
            continue;
        }
        let s = s as usize;
        match mode[s] {
            None => {
                mode[s] = Some(x);
                equal[s] = 1;
            }
            Some(m) if m.to_bits() == x.to_bits() => equal[s] += 1,
            Some(m) => {
                before[s] += usize::from(x.total_cmp(&m).is_lt());
                gathered[s].push(x);
            }
        }
    }
    let mut inner = Vec::new();
    for (s, values) in gathered.iter_mut().enumerate() {
        let (first, from) = slots[s];
        let to = slots.get(s + 1).map_or(needed.len(), |next| next.1);
        let m = mode[s].unwrap_or(f64::NAN);
        // Ranks among the bucket's other values: before the mode's copies, or after them.
        let mut ranks = Vec::with_capacity(to - from);
        for &r in &needed[from..to] {
            let local = r - first;
            if local < before[s] {
                ranks.push(local);
            } else if local < before[s] + equal[s] {
                found.push((r, m));
            } else {
                ranks.push(local - equal[s]);
            }
        }
        inner.clear();
        bucketed(values, 0, &ranks, depth + 1, &mut inner);
        for &(k, x) in &inner {
            let r = if k < before[s] { k } else { k + equal[s] };
            found.push((first + r, x));
        }
    }
}

/// Selects the order statistics `needed` (sorted, absolute ranks) of `v`,
/// whose first element has rank `base`.
fn select_all(v: &mut [f64], base: usize, needed: &[usize], found: &mut Vec<(usize, f64)>) {
    if needed.is_empty() {
        return;
    }
    let mid = needed.len() / 2;
    let k = needed[mid] - base;
    let (left, x, right) = v.select_nth_unstable_by(k, f64::total_cmp);
    found.push((needed[mid], *x));
    select_all(left, base, &needed[..mid], found);
    select_all(right, base + k + 1, &needed[mid + 1..], found);
}

/// Mean and sample sd (n - 1) of NaN-free values, summed in order.
fn moments(v: &[f64]) -> (f64, f64) {
    let n = v.len();
    let mean = v.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    (mean, sd)
}

/// Mean of the non-NaN values and its standard error sd / sqrt(n_valid).
pub fn mean_se(values: &[f64]) -> (f64, f64) {
    let v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    let (mean, sd) = moments(&v);
    (mean, sd / (v.len() as f64).sqrt())
}

/// Share of true flags and its standard error sqrt(p (1 - p) / n).
pub fn prob_se(flags: impl Iterator<Item = bool>) -> (f64, f64) {
    let (mut k, mut n) = (0u64, 0u64);
    for f in flags {
        n += 1;
        k += u64::from(f);
    }
    let p = k as f64 / n as f64;
    (p, (p * (1.0 - p) / n as f64).sqrt())
}

/// Statistics of a column, NaNs left out and counted.
///
/// Three streaming passes over a large column: the first counts NaNs and
/// folds the sum, minimum and maximum; the counting pass of the order
/// statistics ([`order_statistics`]) also sums the squared deviations from
/// the mean; the last gathers the buckets that hold a quantile. Both sums run
/// in trial order from -0.0, exactly as `Iterator::sum` over the NaN-free
/// values would; the column is copied only when it holds NaNs.
#[inline(never)]
pub fn stats(values: &[f64]) -> Stats {
    let (sum, nan, min, max) = fold_column(values);
    let n = values.len() - nan as usize;
    if n == 0 {
        return Stats {
            mean: f64::NAN,
            sd: f64::NAN,
            se: f64::NAN,
            min: f64::NAN,
            max: f64::NAN,
            quantiles: [f64::NAN; 9],
            nan,
        };
    }
    let v: std::borrow::Cow<[f64]> = if nan == 0 {
        values.into()
    } else {
        values.iter().copied().filter(|x| !x.is_nan()).collect()
    };
    let mean = sum / n as f64;
    let levels: [f64; 9] = std::array::from_fn(|i| QUANTILES[i].1);
    let needed = type7_ranks(n, &levels);
    let deviation = |x: f64| (x - mean) * (x - mean);
    let scale = (BUCKETS as f64 - 1.0) / (max - min);
    let (found, ssd) = if min != max && takes_buckets(n, needed.len(), 0, scale) {
        let (counts, ssd) = count_buckets(&v, min, scale, deviation);
        let mut found = Vec::with_capacity(needed.len());
        gather_buckets(&v, min, scale, &counts, 0, &needed, 0, &mut found);
        (found, ssd)
    } else {
        let ssd = v.iter().map(|&x| deviation(x)).sum::<f64>();
        (order_statistics(&mut v.into_owned(), &needed), ssd)
    };
    let sd = if n > 1 {
        (ssd / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    let se = sd / (n as f64).sqrt();
    let mut quantiles = [0.0; 9];
    type7_from(&found, n, &levels, &mut quantiles);
    Stats {
        mean,
        sd,
        se,
        min,
        max,
        quantiles,
        nan,
    }
}

/// The first pass of [`stats`]: the sum (in order, from -0.0), the NaN
/// count, the minimum and the maximum of a column's non-NaN values. Its own
/// function, so that the running values stay in registers.
#[inline(never)]
fn fold_column(values: &[f64]) -> (f64, u64, f64, f64) {
    let (mut sum, mut nan) = (-0.0, 0u64);
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for &x in values {
        if x.is_nan() {
            nan += 1;
            continue;
        }
        sum += x;
        // f64::min and f64::max on NaN-free operands, without their NaN
        // handling on the loop-carried chain: keep the running value unless
        // x is strictly beyond it (also how they resolve -0 against +0).
        min = if x < min { x } else { min };
        max = if x > max { x } else { max };
    }
    (sum, nan, min, max)
}

/// A JSON number, or null for NaN and infinities (docs/model.md, "Summaries").
pub fn num(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

pub fn mean_of(v: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0u64);
    for x in v.filter(|x| !x.is_nan()) {
        s += x;
        n += 1;
    }
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// Trial indices in increasing order of a count column, ties in trial order
/// (a stable sort). Counts are whole numbers, so when they and the trial
/// indices fit in 32 bits each, sorting packed `(count << 32) | trial` keys
/// gives the same order faster.
pub fn stable_order_by_count(counts: &[f64]) -> Vec<u32> {
    let n = counts.len();
    // Small whole-number counts: a counting sort, stable by construction.
    let whole = counts.iter().all(|&c| c >= 0.0 && c.fract() == 0.0);
    let max = counts.iter().copied().fold(0.0, f64::max);
    if whole && n <= u32::MAX as usize && max <= (4 * n).max(1024) as f64 {
        let mut start = vec![0usize; max as usize + 2];
        for &c in counts {
            start[c as usize + 1] += 1;
        }
        for i in 1..start.len() {
            start[i] += start[i - 1];
        }
        let mut order = vec![0u32; n];
        for (i, &c) in counts.iter().enumerate() {
            let slot = &mut start[c as usize];
            order[*slot] = i as u32;
            *slot += 1;
        }
        return order;
    }
    let fits = n <= u32::MAX as usize
        && counts
            .iter()
            .all(|&c| (0.0..4_294_967_296.0).contains(&c) && c.fract() == 0.0);
    if fits {
        let mut keys: Vec<u64> = counts
            .iter()
            .enumerate()
            .map(|(i, &c)| ((c as u64) << 32) | i as u64)
            .collect();
        keys.sort_unstable();
        keys.into_iter().map(|k| (k & 0xFFFF_FFFF) as u32).collect()
    } else {
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by(|&a, &b| counts[a as usize].total_cmp(&counts[b as usize]));
        order
    }
}

/// A figure that `summary.json` writes as `null` when it is not finite.
pub fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(<Option<f64> as serde::Deserialize>::deserialize(d)?.unwrap_or(f64::NAN))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numeric::math;

    #[test]
    fn type7_quantiles_match_numpy() {
        // numpy.quantile([1, 2, 3, 4], [0.1, 0.5, 0.9]) = [1.3, 2.5, 3.7]
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!((quantile_sorted(&v, 0.1) - 1.3).abs() < 1e-12);
        assert!((quantile_sorted(&v, 0.5) - 2.5).abs() < 1e-12);
        assert!((quantile_sorted(&v, 0.9) - 3.7).abs() < 1e-12);
        assert_eq!(quantile_sorted(&[5.0], 0.3), 5.0);
    }

    #[test]
    fn selection_quantiles_equal_sorted_quantiles() {
        let mut x: Vec<f64> = (0..10_007u64)
            .map(|i| ((i * 7919) % 10_007) as f64 * 0.37 - (i % 13) as f64)
            .collect();
        let mut sorted = x.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        let levels: Vec<f64> = QUANTILES.iter().map(|(_, q)| *q).collect();
        let mut out = [0.0; 9];
        quantiles_by_selection(&mut x, &levels, &mut out);
        for (i, q) in levels.iter().enumerate() {
            assert_eq!(
                out[i].to_bits(),
                quantile_sorted(&sorted, *q).to_bits(),
                "q {q}"
            );
        }
    }

    /// Columns past the bucketing threshold: spread, clustered in one
    /// bucket, point masses (capped IRRs, uncalled guarantees), signs,
    /// signed zeros, infinities, one value, and a geometric spread.
    fn hard_columns() -> Vec<Vec<f64>> {
        let n = BUCKETS_MIN * 3 + 17;
        let mut state = 0x5eed_u64;
        let mut next = || {
            state = crate::engine::mix64(state);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        vec![
            (0..n).map(|_| (next() - 0.3) * 1e9).collect(),
            (0..n).map(|_| 0.12 + 1e-9 * next()).collect(),
            (0..n)
                .map(|_| {
                    if next() < 0.6 {
                        0.12
                    } else {
                        next() * 0.2 - 0.1
                    }
                })
                .collect(),
            (0..n)
                .map(|_| if next() < 0.9 { 0.0 } else { 5e8 * next() })
                .collect(),
            (0..n)
                .map(|_| match (next() * 3.0) as u32 {
                    0 => -0.0,
                    1 => 0.0,
                    _ => 1.0,
                })
                .collect(),
            (0..n)
                .map(|i| match i % 7 {
                    0 => -0.0,
                    1 => 0.0,
                    2 => f64::INFINITY,
                    3 => f64::NEG_INFINITY,
                    4 => -next(),
                    _ => next() * 1e300,
                })
                .collect(),
            (0..n)
                .map(|i| if i % 2 == 0 { -0.0 } else { 0.0 })
                .collect(),
            vec![42.0; n],
            (0..n)
                .map(|i| math::powi(2f64, -((i % 1000) as i32)))
                .collect(),
        ]
    }

    #[test]
    fn bucketed_order_statistics_equal_sorting() {
        let columns = hard_columns();
        let n = columns[0].len();
        // More ranks than a byte numbers take plain selection.
        let mut sorted0 = columns[0].clone();
        sorted0.sort_unstable_by(f64::total_cmp);
        let many: Vec<usize> = (0..300).map(|i| i * (n / 300)).collect();
        for (r, x) in order_statistics(&mut columns[0].clone(), &many) {
            assert_eq!(x.to_bits(), sorted0[r].to_bits(), "rank {r} of 300");
        }
        let levels: Vec<f64> = QUANTILES.iter().map(|(_, q)| *q).collect();
        for (c, column) in columns.iter().enumerate() {
            let mut sorted = column.clone();
            sorted.sort_unstable_by(f64::total_cmp);
            let ranks: Vec<usize> = vec![0, 1, n / 100, n / 3, n / 2, n / 2 + 1, n - 2, n - 1];
            let mut found = order_statistics(&mut column.clone(), &ranks);
            found.sort_unstable_by_key(|f| f.0);
            assert_eq!(found.len(), ranks.len(), "column {c}");
            for (&r, (k, x)) in ranks.iter().zip(found) {
                assert_eq!(k, r, "column {c}");
                assert_eq!(x.to_bits(), sorted[r].to_bits(), "column {c} rank {r}");
            }
            let mut out = [0.0; 9];
            quantiles_by_selection(&mut column.clone(), &levels, &mut out);
            for (i, q) in levels.iter().enumerate() {
                let want = quantile_sorted(&sorted, *q);
                assert!(
                    out[i].to_bits() == want.to_bits() || (out[i].is_nan() && want.is_nan()),
                    "column {c} q {q}: {} vs {want}",
                    out[i]
                );
            }
        }
    }

    #[test]
    fn packed_count_order_is_the_stable_order() {
        let counts: Vec<f64> = (0..5000u64).map(|i| ((i * 37) % 11) as f64).collect();
        let mut stable: Vec<u32> = (0..5000).collect();
        stable.sort_by(|&a, &b| counts[a as usize].total_cmp(&counts[b as usize]));
        assert_eq!(stable_order_by_count(&counts), stable);
        let wide: Vec<f64> = (0..3000u64)
            .map(|i| ((i * 7_777_777) % 1_000_003) as f64)
            .collect();
        let mut stable: Vec<u32> = (0..3000).collect();
        stable.sort_by(|&a, &b| wide[a as usize].total_cmp(&wide[b as usize]));
        assert_eq!(stable_order_by_count(&wide), stable);
        let big = vec![5e9, 1.0, 5e9, 0.0];
        assert_eq!(stable_order_by_count(&big), vec![3, 1, 0, 2]);
    }

    #[test]
    fn fused_stats_equal_the_plain_passes() {
        // Every column as is and with NaNs in every 5th trial: the fused
        // passes must give the bits of separate sums, folds and a sort.
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        for (c, column) in hard_columns().into_iter().enumerate() {
            let mut with_nan = column.clone();
            with_nan.iter_mut().step_by(5).for_each(|x| *x = f64::NAN);
            for values in [column, with_nan] {
                let v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
                let n = v.len();
                let mean = v.iter().sum::<f64>() / n as f64;
                let sd = (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64)
                    .sqrt();
                let mut sorted = v.clone();
                sorted.sort_unstable_by(f64::total_cmp);
                let s = stats(&values);
                assert_eq!(s.nan as usize, values.len() - n, "column {c}");
                assert!(same(s.mean, mean), "column {c}: mean {} vs {mean}", s.mean);
                assert!(same(s.sd, sd), "column {c}: sd {} vs {sd}", s.sd);
                assert!(same(s.se, sd / (n as f64).sqrt()), "column {c}");
                let min = v.iter().copied().fold(f64::INFINITY, f64::min);
                let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                assert!(same(s.min, min) && same(s.max, max), "column {c}");
                for (i, (_, q)) in QUANTILES.iter().enumerate() {
                    let want = quantile_sorted(&sorted, *q);
                    assert!(same(s.quantiles[i], want), "column {c} q {q}");
                }
            }
        }
    }

    #[test]
    fn stats_leave_out_nan() {
        let s = stats(&[1.0, f64::NAN, 3.0]);
        assert_eq!(s.nan, 1);
        assert_eq!(s.mean, 2.0);
        assert!((s.sd - 2f64.sqrt()).abs() < 1e-15);
        assert!((s.se - 1.0).abs() < 1e-15);
        assert_eq!((s.min, s.max), (1.0, 3.0));
    }
}
