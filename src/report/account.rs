//! The deal account month by month, as the report, the workbook and the
//! account chart show it: for each month and each series of
//! [`crate::engine::account`] (receipts, costs, contributions,
//! distributions, excess, cash held), the P5, median, P95 and mean over the
//! trials whose months the run kept (docs/model.md, "The account month by
//! month").

use crate::engine::account::SERIES;
use crate::engine::runner::TrialColumns;
use crate::summary::quantiles_by_selection;

/// One series in one month over the kept trials.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    /// 5th percentile.
    pub p5: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Mean.
    pub mean: f64,
}

impl Band {
    /// True when every trial has 0 in this month (nothing to show).
    fn is_zero(&self) -> bool {
        self.p5 == 0.0 && self.p95 == 0.0 && self.mean == 0.0
    }
}

/// The deal account's bands, month by month.
#[derive(Debug, Clone)]
pub struct AccountBands {
    /// Trials the bands are computed over.
    pub trials: usize,
    /// `months[t][series]`.
    pub months: Vec<[Band; SERIES]>,
}

impl AccountBands {
    /// The bands of the trials `cols` kept month by month.
    pub fn of(cols: &TrialColumns) -> AccountBands {
        let k = cols.kept();
        let h = cols.horizon;
        let nan = Band {
            p5: f64::NAN,
            p50: f64::NAN,
            p95: f64::NAN,
            mean: f64::NAN,
        };
        let mut months = vec![[nan; SERIES]; h];
        let mut col = vec![0.0; k];
        let mut q = [0.0; 3];
        for series in 0..SERIES {
            for (t, month) in months.iter_mut().enumerate() {
                let mut sum = 0.0;
                for (i, c) in col.iter_mut().enumerate() {
                    *c = cols.month_series(i, 1 + series)[t];
                    sum += *c;
                }
                let mean = if k > 0 { sum / k as f64 } else { f64::NAN };
                quantiles_by_selection(&mut col, &[0.05, 0.5, 0.95], &mut q);
                month[series] = Band {
                    p5: q[0],
                    p50: q[1],
                    p95: q[2],
                    mean,
                };
            }
        }
        AccountBands { trials: k, months }
    }

    /// The months in which some series moves money in some kept trial's
    /// P5-P95 range (months where nothing happens are left out of tables).
    pub fn active_months(&self) -> Vec<usize> {
        (0..self.months.len())
            .filter(|&t| self.months[t].iter().any(|b| !b.is_zero()))
            .collect()
    }

    /// The largest |P5| or |P95| of any series in any month (for scales).
    pub fn largest(&self) -> f64 {
        self.months
            .iter()
            .flatten()
            .flat_map(|b| [b.p5.abs(), b.p95.abs()])
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max)
    }
}
