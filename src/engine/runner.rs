//! The parallel runner: trials in fixed-size blocks on a rayon pool, each
//! block writing its own slice of every metric column. Which thread runs a
//! block never changes a number, so results are identical for any thread
//! count.

use rayon::prelude::*;

use super::{Discounts, Draws, Layout, Workspace, run_trial};
use crate::model::Model;

/// Trials per block (the unit of parallel work and of progress updates).
pub const BLOCK: usize = 1024;

/// Trials whose metric rows a worker holds before copying them into the
/// columns (a row of every metric per trial; 64 rows fit the L1 cache).
pub const ROWS: usize = 64;

/// Series kept month by month for the first trials of a run: the investors'
/// cumulative position (for the funding fan chart), then every series of the
/// deal account ([`super::account`], for its chart and table).
pub const MONTH_SERIES: usize = 1 + super::account::SERIES;

/// Most numbers kept month by month over all kept trials (64 MB).
const MONTH_BUDGET: u64 = 8 << 20;

/// How many trials, by global index from 0, keep their month-by-month
/// series: the first 10,240 (ten blocks), fewer for horizons so long that
/// they would take more than 64 MB (above 117 months). Depends only on the
/// horizon, so every thread count and every shard keeps the same trials.
pub fn kept_trials(horizon: usize) -> u64 {
    let per_trial = (MONTH_SERIES * horizon.max(1)) as u64;
    (10 * BLOCK as u64).min((MONTH_BUDGET / per_trial).max(1))
}

/// The per-trial metrics of a run (or of a shard of it), one column per metric.
#[derive(Debug, Clone)]
pub struct TrialColumns {
    /// Column names (see [`Layout`]).
    pub names: Vec<String>,
    /// Index of the first trial held.
    pub first_trial: u64,
    /// `data[column][i]` is the metric of trial `first_trial + i`.
    pub data: Vec<Vec<f64>>,
    /// Months per trial in `months`.
    pub horizon: usize,
    /// For the trials held with global index below [`kept_trials`], their
    /// [`MONTH_SERIES`] series month by month:
    /// `months[(i * MONTH_SERIES + series) * horizon + t]`, series 0 being
    /// the investors' cumulative position (contributions - distributions)
    /// and series `1 + k` the deal account's series `k`.
    pub months: Vec<f64>,
}

impl TrialColumns {
    /// Number of trials held.
    pub fn len(&self) -> usize {
        self.data.first().map_or(0, Vec::len)
    }

    /// True when no trial is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Trials whose month-by-month series are held.
    pub fn kept(&self) -> usize {
        self.months.len() / (MONTH_SERIES * self.horizon.max(1))
    }

    /// Series `series` (see [`TrialColumns::months`]) of kept trial `i`.
    pub fn month_series(&self, i: usize, series: usize) -> &[f64] {
        let h = self.horizon;
        let at = (i * MONTH_SERIES + series) * h;
        &self.months[at..at + h]
    }

    /// Appends `next`, the trials that follow these (same columns).
    pub fn append(&mut self, next: TrialColumns) {
        for (c, p) in self.data.iter_mut().zip(next.data) {
            c.extend_from_slice(&p);
        }
        self.months.extend_from_slice(&next.months);
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.data[i].as_slice())
    }
}

/// Runs trials `range` of a run with `draws`, on `threads` threads (None: all cores).
/// `on_block` is called with the number of trials finished, for progress bars.
pub fn simulate(
    model: &Model,
    draws: &Draws,
    range: std::ops::Range<u64>,
    threads: Option<usize>,
    on_block: &(dyn Fn(u64) + Sync),
) -> Result<TrialColumns, rayon::ThreadPoolBuildError> {
    let layout = Layout::new(model);
    let disc = Discounts::new(model);
    let n = usize::try_from(range.end.saturating_sub(range.start)).unwrap_or(0);
    let m = layout.len();
    let h = model.horizon;
    // One zeroed allocation per column (`vec![vec![0.0; n]; m]` would copy
    // the first column m - 1 times before any work starts); the pages are
    // touched for the first time by the workers, in parallel.
    let mut data: Vec<Vec<f64>> = (0..m).map(|_| vec![0.0; n]).collect();
    let kept =
        usize::try_from(kept_trials(h).saturating_sub(range.start).min(n as u64)).unwrap_or(0);
    let row_months = MONTH_SERIES * h;
    let kept_end = kept_trials(h);
    let mut months = vec![0.0; kept * row_months];
    {
        // Each block gets its own slice of every column (and of the kept series).
        type BlockOut<'a> = (Vec<&'a mut [f64]>, Option<&'a mut [f64]>);
        let n_blocks = n.div_ceil(BLOCK);
        let mut blocks: Vec<BlockOut> = (0..n_blocks)
            .map(|_| (Vec::with_capacity(m), None))
            .collect();
        for col in data.iter_mut() {
            for (b, chunk) in col.chunks_mut(BLOCK).enumerate() {
                blocks[b].0.push(chunk);
            }
        }
        for (b, chunk) in months.chunks_mut(BLOCK * row_months.max(1)).enumerate() {
            blocks[b].1 = Some(chunk);
        }
        let work = || {
            blocks.into_par_iter().enumerate().for_each_init(
                // (m > 0: every layout has the payer and investor metrics.)
                || (Workspace::new(model, &layout), vec![0.0; ROWS * m]),
                |(ws, rows), (b, (mut slices, mut pos))| {
                    let len = slices.first().map_or(0, |s| s.len());
                    // Rows of ROWS trials at a time, then column by column
                    // into the block's slices.
                    for start in (0..len).step_by(ROWS) {
                        let end = (start + ROWS).min(len);
                        for (i, row) in (start..end).zip(rows.chunks_exact_mut(m)) {
                            let trial = range.start + (b * BLOCK + i) as u64;
                            ws.record_account = trial < kept_end;
                            run_trial(model, &layout, &disc, draws, trial, ws);
                            row.copy_from_slice(&ws.row);
                            if let Some(p) = pos.as_deref_mut()
                                && (i + 1) * row_months <= p.len()
                            {
                                let p = &mut p[i * row_months..(i + 1) * row_months];
                                p[..h].copy_from_slice(&ws.position);
                                p[h..].copy_from_slice(&ws.account);
                            }
                        }
                        for (j, s) in slices.iter_mut().enumerate() {
                            for (x, row) in s[start..end].iter_mut().zip(rows.chunks_exact(m)) {
                                *x = row[j];
                            }
                        }
                    }
                    on_block(len as u64);
                },
            );
        };
        let mut builder = rayon::ThreadPoolBuilder::new();
        if let Some(t) = threads {
            builder = builder.num_threads(t);
        }
        builder.build()?.install(work);
    }
    Ok(TrialColumns {
        names: layout.names.clone(),
        first_trial: range.start,
        data,
        horizon: h,
        months,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_trials_stay_within_the_budget() {
        assert_eq!(kept_trials(48), 10_240);
        assert_eq!(kept_trials(117), 10_240);
        assert!(kept_trials(118) < 10_240);
        for h in [1, 48, 118, 600, 1200] {
            let k = kept_trials(h);
            assert!(
                k >= 1 && k * (MONTH_SERIES * h) as u64 <= MONTH_BUDGET,
                "{h}: {k}"
            );
        }
        assert_eq!(kept_trials(1200), 998);
    }
}
