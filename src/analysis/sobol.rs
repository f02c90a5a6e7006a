//! Variance-based sensitivity (docs/model.md, "Sobol indices"): how much of
//! the variance of a metric each uncertain input explains alone (first
//! order) and with its interactions (total), estimated on a Saltelli design
//! with Jansen's total-effect estimator, with bootstrap intervals.
//!
//! The inputs are the scenario's per-trial parameters grouped by path; the
//! random draws inside a trial (the funnel's binomials, the measurement)
//! are one more input, the noise, whose total index is the share of the
//! variance the parameters leave unexplained. Every design row has its own
//! trial stream (common random numbers across the design's matrices), so the
//! result is the same for any thread count.

use rand::rngs::Xoshiro256PlusPlus;
use rayon::prelude::*;

use crate::engine::{Discounts, Draws, Layout, Workspace, open_unit, run_trial_given, trial_rng};
use crate::model::Model;

/// Stream keys of the design's two matrices and of the bootstrap.
const STREAM_A: u64 = 0x534f_424f_4c5f_4141; // "SOBOL_AA"
const STREAM_B: u64 = 0x534f_424f_4c5f_4242; // "SOBOL_BB"
const STREAM_BOOT: u64 = 0x534f_424f_4c42_5354; // "SOBOLBST"

/// An uncertain input: the parameters of one scenario path.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// Scenario path (`outcomes[0].rate`, `enrolment.size`, `shocks[0].probability`).
    pub path: String,
    /// Its parameter indices.
    pub params: Vec<usize>,
}

/// The model's uncertain inputs: its parameters grouped by path, in draw order.
pub fn inputs(model: &Model) -> Vec<Input> {
    let mut groups: Vec<Input> = Vec::new();
    for (j, p) in model.params.iter().enumerate() {
        match groups.iter_mut().find(|g| g.path == p.path) {
            Some(g) => g.params.push(j),
            None => groups.push(Input {
                path: p.path.clone(),
                params: vec![j],
            }),
        }
    }
    groups
}

/// An index with its bootstrap standard error and 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The estimate on the whole design.
    pub value: f64,
    /// The bootstrap standard deviation.
    pub se: f64,
    /// The 2.5% and 97.5% bootstrap percentiles.
    pub interval: (f64, f64),
}

/// One input's indices for one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Indices {
    /// First order: the share of the variance it explains alone.
    pub first: Estimate,
    /// Total: alone and through its interactions.
    pub total: Estimate,
}

/// The indices of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricIndices {
    /// The metric's column name.
    pub metric: String,
    /// Its mean and variance over the design's A and B rows.
    pub mean: f64,
    /// Its variance.
    pub variance: f64,
    /// Design rows used (rows where the metric is not finite in one of the
    /// matrices are left out).
    pub rows: usize,
    /// Each input's indices, in [`Sobol::inputs`] order.
    pub inputs: Vec<Indices>,
    /// The noise's indices: its total is the share the inputs leave unexplained.
    pub noise: Indices,
    /// The sum of the inputs' first-order indices.
    pub sum_first: Estimate,
}

/// A finished Sobol analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Sobol {
    /// The inputs, grouped by path.
    pub inputs: Vec<Input>,
    /// Base samples N (rows of each matrix).
    pub base_samples: u64,
    /// Trials run: N x (inputs + 3).
    pub trials: u64,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Seed of the design, the trials and the bootstrap.
    pub seed: u64,
    /// One entry per metric asked for.
    pub metrics: Vec<MetricIndices>,
}

/// Trials a design of `n` base samples costs with `k` inputs.
pub fn design_trials(n: u64, k: usize) -> u64 {
    n * (k as u64 + 3)
}

/// The design's uniforms of row `r` of matrix `key` (A or B).
fn design_row(seed: u64, key: u64, r: u64, u: &mut [f64]) {
    let mut rng: Xoshiro256PlusPlus = trial_rng(seed ^ key, r);
    for x in u.iter_mut() {
        *x = open_unit(&mut rng);
    }
}

/// Runs the design: `n` base samples, the metric columns `metrics` of the
/// model's layout, `resamples` bootstrap resamples, on `threads` threads.
pub fn analyse(
    model: &Model,
    n: u64,
    seed: u64,
    metrics: &[usize],
    resamples: usize,
    threads: Option<usize>,
) -> Result<Sobol, String> {
    let out = evaluate(model, n, seed, metrics, 0..n, threads)?;
    from_outputs(model, n, seed, metrics, resamples, &out)
}

/// The design's outputs for base samples `rows` of `n`: per row, the
/// matrices A, B, AB_1..AB_k, AB_noise, and per matrix the `metrics`
/// columns (`rows.len() x (k + 3) x metrics.len()` values). A row's values
/// depend only on the seed and the row, so the rows of a design can be
/// evaluated on several machines (`ibsim sensitivity --shard`) and put
/// together in order.
pub fn evaluate(
    model: &Model,
    n: u64,
    seed: u64,
    metrics: &[usize],
    rows: std::ops::Range<u64>,
    threads: Option<usize>,
) -> Result<Vec<f64>, String> {
    let groups = inputs(model);
    let k = groups.len();
    if k == 0 {
        return Err("the scenario has no uncertain inputs (every value is a constant)".into());
    }
    if n < 2 {
        return Err("Sobol indices need at least 2 base samples".into());
    }
    let layout = Layout::new(model);
    let disc = Discounts::new(model);
    let draws = Draws {
        seed,
        trials: 2 * n,
        sampling: model.sampling,
    };
    let p = model.params.len();
    // Matrices per row: A, B, AB_1..AB_k (input i from B), AB_noise (the
    // noise from B's row). A and the AB_i share row r's trial stream; B and
    // AB_noise use trial n + r's.
    let mats = k + 3;
    let m = metrics.len();
    let count =
        usize::try_from(rows.end - rows.start).map_err(|_| "too many base samples".to_owned())?;
    let mut out = vec![0.0; count * mats * m];
    let first = rows.start;
    let work = || {
        out.par_chunks_mut(mats * m).enumerate().for_each_init(
            || {
                let mut ws = Workspace::new(model, &layout);
                ws.record_account = false;
                (ws, vec![0.0; p], vec![0.0; p], vec![0.0; p])
            },
            |(ws, ua, ub, mix), (r, slot)| {
                let r = first + r as u64;
                design_row(seed, STREAM_A, r, ua);
                design_row(seed, STREAM_B, r, ub);
                let mut eval = |at: usize, u: &[f64], trial: u64, ws: &mut Workspace| {
                    run_trial_given(model, &layout, &disc, &draws, trial, u, ws);
                    for (c, &col) in metrics.iter().enumerate() {
                        slot[at * m + c] = ws.row[col];
                    }
                };
                eval(0, ua, r, ws);
                eval(1, ub, n + r, ws);
                for (i, g) in groups.iter().enumerate() {
                    mix.copy_from_slice(ua);
                    for &j in &g.params {
                        mix[j] = ub[j];
                    }
                    eval(2 + i, mix, r, ws);
                }
                eval(2 + k, ua, n + r, ws);
            },
        );
    };
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        builder = builder.num_threads(t);
    }
    builder
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?
        .install(work);
    Ok(out)
}

/// The indices from the outputs of all `n` rows of the design (as
/// [`evaluate`] gives them, rows in order).
pub fn from_outputs(
    model: &Model,
    n: u64,
    seed: u64,
    metrics: &[usize],
    resamples: usize,
    out: &[f64],
) -> Result<Sobol, String> {
    let groups = inputs(model);
    let k = groups.len();
    let mats = k + 3;
    let m = metrics.len();
    let rows = usize::try_from(n).map_err(|_| "too many base samples".to_owned())?;
    if out.len() != rows * mats * m {
        return Err(format!(
            "the design's outputs hold {} values; {n} base samples of {k} inputs and {m} metrics need {}",
            out.len(),
            rows * mats * m
        ));
    }
    let layout = Layout::new(model);
    let names = &layout.names;
    let metrics_out = metrics
        .iter()
        .enumerate()
        .map(|(c, &col)| {
            // f[matrix][row], rows where every matrix gives a finite value.
            let keep: Vec<usize> = (0..rows)
                .filter(|&r| (0..mats).all(|a| out[(r * mats + a) * m + c].is_finite()))
                .collect();
            let f: Vec<Vec<f64>> = (0..mats)
                .map(|a| keep.iter().map(|&r| out[(r * mats + a) * m + c]).collect())
                .collect();
            estimate(&names[col], &f, k, seed ^ STREAM_BOOT ^ c as u64, resamples)
        })
        .collect();
    Ok(Sobol {
        inputs: groups,
        base_samples: n,
        trials: design_trials(n, k),
        resamples,
        seed,
        metrics: metrics_out,
    })
}

/// Every index on the rows `idx` of `f` (A, B, AB_1..AB_k, AB_noise):
/// `[first_1, total_1, ..., first_noise, total_noise, sum of firsts]`, and
/// the mean and variance.
///
/// The values are centred on `centre` (the mean over the whole design)
/// first: the first-order estimator's expectation does not depend on a shift
/// of f, but its variance grows with the mean's size against the spread.
fn indices_on(
    f: &[Vec<f64>],
    k: usize,
    centre: f64,
    idx: &mut dyn Iterator<Item = usize>,
) -> (Vec<f64>, f64, f64) {
    let mut count = 0.0;
    let (mut s1, mut s2) = (0.0, 0.0);
    // Sums of f_B (f_ABi - f_A) and (f_A - f_ABi)^2 per input (and the noise).
    let mut first = vec![0.0; k + 1];
    let mut total = vec![0.0; k + 1];
    for r in idx {
        let (a, b) = (f[0][r] - centre, f[1][r] - centre);
        count += 1.0;
        s1 += a + b;
        s2 += a * a + b * b;
        for i in 0..=k {
            let ab = f[2 + i][r] - centre;
            first[i] += b * (ab - a);
            total[i] += (a - ab) * (a - ab);
        }
    }
    let mean = s1 / (2.0 * count);
    let var = s2 / (2.0 * count) - mean * mean;
    let mean = mean + centre;
    let mut v = Vec::with_capacity(2 * (k + 1) + 1);
    let mut sum = 0.0;
    for i in 0..=k {
        let s = first[i] / count / var;
        if i < k {
            sum += s;
        }
        v.push(s);
        v.push(total[i] / (2.0 * count) / var);
    }
    v.push(sum);
    (v, mean, var)
}

/// The indices of one metric with their bootstrap intervals.
fn estimate(metric: &str, f: &[Vec<f64>], k: usize, seed: u64, resamples: usize) -> MetricIndices {
    let n = f[0].len();
    let centre = if n == 0 {
        0.0
    } else {
        (f[0].iter().sum::<f64>() + f[1].iter().sum::<f64>()) / (2 * n) as f64
    };
    let (point, mean, variance) = indices_on(f, k, centre, &mut (0..n));
    // Resample rows with replacement; resample b has its own stream.
    let boots: Vec<Vec<f64>> = (0..resamples as u64)
        .into_par_iter()
        .map(|b| {
            let mut rng: Xoshiro256PlusPlus = trial_rng(seed, b);
            let mut pick =
                (0..n).map(move |_| ((open_unit(&mut rng) * n as f64) as usize).min(n - 1));
            indices_on(f, k, centre, &mut pick).0
        })
        .collect();
    let at = |j: usize| -> Estimate {
        let mut v: Vec<f64> = boots
            .iter()
            .map(|x| x[j])
            .filter(|x| x.is_finite())
            .collect();
        v.sort_unstable_by(f64::total_cmp);
        let q = |p: f64| crate::summary::quantile_sorted(&v, p);
        Estimate {
            value: point[j],
            se: sd(&v),
            interval: (q(0.025), q(0.975)),
        }
    };
    let pair = |i: usize| Indices {
        first: at(2 * i),
        total: at(2 * i + 1),
    };
    MetricIndices {
        metric: metric.to_owned(),
        mean,
        variance,
        rows: n,
        inputs: (0..k).map(pair).collect(),
        noise: pair(k),
        sum_first: at(2 * (k + 1)),
    }
}

/// The standard deviation (n - 1) of `v`.
fn sd(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let mean = v.iter().sum::<f64>() / n;
    (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0)).sqrt()
}

impl Estimate {
    fn to_json(self) -> serde_json::Value {
        let n = crate::summary::num;
        serde_json::json!({
            "value": n(self.value),
            "se": n(self.se),
            "interval": [n(self.interval.0), n(self.interval.1)],
        })
    }
}

impl Sobol {
    /// Its part of `sensitivity.json`.
    pub fn to_json(&self) -> serde_json::Value {
        let n = crate::summary::num;
        let metrics: serde_json::Map<String, serde_json::Value> = self
            .metrics
            .iter()
            .map(|m| {
                let inputs: serde_json::Map<String, serde_json::Value> = self
                    .inputs
                    .iter()
                    .zip(&m.inputs)
                    .map(|(i, x)| {
                        (
                            i.path.clone(),
                            serde_json::json!({"first": x.first.to_json(), "total": x.total.to_json()}),
                        )
                    })
                    .collect();
                (
                    m.metric.clone(),
                    serde_json::json!({
                        "mean": n(m.mean),
                        "variance": n(m.variance),
                        "rows": m.rows,
                        "inputs": inputs,
                        "sum_first": m.sum_first.to_json(),
                        "unexplained": m.noise.total.to_json(),
                        "noise_first": m.noise.first.to_json(),
                    }),
                )
            })
            .collect();
        serde_json::json!({
            "design": "saltelli-jansen",
            "base_samples": self.base_samples,
            "trials": self.trials,
            "resamples": self.resamples,
            "interval": 0.95,
            "seed": self.seed,
            "metrics": metrics,
        })
    }
}
