//! Risk targets of `ibsim solve`: `prob(METRIC OP X) OP P`, `prob(EVENT)
//! OP P` (an event the run flags in every trial, such as `loss` or
//! `fund_budget_binds`), `quantile(METRIC, Q) OP X` and `mean(METRIC) OP X`,
//! OP one of < <= > >=.
//!
//! A target is evaluated on the per-trial columns of a run, with a standard
//! error: sqrt(p (1 - p) / n) for a probability (NaN trials count as not
//! meeting the condition), sd / sqrt(n) for a mean, and for a quantile half
//! the distance between the order statistics at ranks n q -+ sqrt(n q (1 - q))
//! (the binomial one-sigma interval of the quantile's rank).

use std::fmt;

use crate::engine::runner::TrialColumns;
use crate::summary::quantile_sorted;

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Op {
    /// `<`, `<=`, `>` or `>=`.
    pub fn parse(s: &str) -> Option<Op> {
        match s {
            "<" => Some(Op::Lt),
            "<=" => Some(Op::Le),
            ">" => Some(Op::Gt),
            ">=" => Some(Op::Ge),
            _ => None,
        }
    }

    /// `a OP b` (false when either is NaN).
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

/// What a target measures.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    /// Fraction of trials where `metric OP x`.
    Prob {
        /// Metric key.
        metric: String,
        /// Comparison inside.
        op: Op,
        /// Threshold inside.
        x: f64,
    },
    /// Type-7 quantile of a metric.
    Quantile {
        /// Metric key.
        metric: String,
        /// Level in [0, 1].
        q: f64,
    },
    /// Mean of a metric.
    Mean {
        /// Metric key.
        metric: String,
    },
    /// Fraction of trials where an event happened: its flag column
    /// (`_<event>`) is set.
    Event {
        /// The flag column, `_<event>`.
        flag: String,
    },
}

/// A parsed target: `measure OP bound`.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The text as given.
    pub text: String,
    /// What is measured.
    pub measure: Measure,
    /// Outer comparison.
    pub op: Op,
    /// Outer bound.
    pub bound: f64,
}

/// A target evaluated on a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// The measured value.
    pub value: f64,
    /// Its standard error.
    pub se: f64,
    /// Whether `value OP bound`.
    pub holds: bool,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn num(s: &str, what: &str, text: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("`{text}`: `{}` is not a number ({what})", s.trim()))
}

/// Splits `a OP b` at the first comparison operator outside parentheses.
fn split_op(s: &str) -> Option<(&str, Op, &str)> {
    let b = s.as_bytes();
    let mut depth = 0i32;
    for i in 0..b.len() {
        match b[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b'<' | b'>' if depth == 0 => {
                let two = i + 1 < b.len() && b[i + 1] == b'=';
                let op = Op::parse(&s[i..i + if two { 2 } else { 1 }])?;
                return Some((&s[..i], op, &s[i + if two { 2 } else { 1 }..]));
            }
            _ => {}
        }
    }
    None
}

impl Target {
    /// Parses a target expression; `columns` are the run's column names:
    /// its metric keys, and its event flags `_<event>`.
    pub fn parse(text: &str, columns: &[String]) -> Result<Target, String> {
        let usage = "expected prob(METRIC OP X) OP P, prob(EVENT) OP P, quantile(METRIC, Q) OP X or mean(METRIC) OP X";
        let metrics: Vec<String> = columns
            .iter()
            .filter(|c| !c.starts_with('_'))
            .cloned()
            .collect();
        let events: Vec<&str> = columns.iter().filter_map(|c| c.strip_prefix('_')).collect();
        let (lhs, op, rhs) = split_op(text)
            .ok_or_else(|| format!("`{text}`: no comparison (< <= > >=): {usage}"))?;
        let bound = num(rhs, "the bound", text)?;
        let lhs = lhs.trim();
        let open = lhs.find('(').ok_or_else(|| format!("`{text}`: {usage}"))?;
        if !lhs.ends_with(')') {
            return Err(format!("`{text}`: {usage}"));
        }
        let func = lhs[..open].trim();
        let inner = &lhs[open + 1..lhs.len() - 1];
        let check = |m: &str| -> Result<String, String> {
            let m = m.trim();
            if metrics.iter().any(|x| x == m) {
                Ok(m.to_owned())
            } else {
                Err(format!(
                    "`{text}`: unknown metric `{m}` (expected one of: {})",
                    metrics.join(", ")
                ))
            }
        };
        let measure = match func {
            "prob" => match split_op(inner) {
                Some((m, iop, x)) => Measure::Prob {
                    metric: check(m)?,
                    op: iop,
                    x: num(x, "the threshold", text)?,
                },
                None if events.contains(&inner.trim()) => Measure::Event {
                    flag: format!("_{}", inner.trim()),
                },
                None => {
                    return Err(format!(
                        "`{text}`: prob needs a condition such as investor_irr >= 0.08, or an event: one of {}",
                        events.join(", ")
                    ));
                }
            },
            "quantile" => {
                let (m, q) = inner
                    .split_once(',')
                    .ok_or_else(|| format!("`{text}`: quantile needs (METRIC, Q)"))?;
                let q = num(q, "the quantile level", text)?;
                if !(0.0..=1.0).contains(&q) {
                    return Err(format!("`{text}`: quantile level {q} is not in [0, 1]"));
                }
                Measure::Quantile {
                    metric: check(m)?,
                    q,
                }
            }
            "mean" => Measure::Mean {
                metric: check(inner)?,
            },
            other => return Err(format!("`{text}`: unknown function `{other}`: {usage}")),
        };
        if let Measure::Prob { .. } = measure
            && !(0.0..=1.0).contains(&bound)
        {
            return Err(format!("`{text}`: a probability bound must be in [0, 1]"));
        }
        Ok(Target {
            text: text.trim().to_owned(),
            measure,
            op,
            bound,
        })
    }

    /// The metric the target reads.
    pub fn metric(&self) -> &str {
        match &self.measure {
            Measure::Prob { metric, .. }
            | Measure::Quantile { metric, .. }
            | Measure::Mean { metric }
            | Measure::Event { flag: metric } => metric,
        }
    }

    /// Evaluates the target on a run's columns.
    pub fn evaluate(&self, cols: &TrialColumns) -> Evaluation {
        let col = cols.column(self.metric()).unwrap_or(&[]);
        let (value, se) = match &self.measure {
            Measure::Prob { op, x, .. } => {
                crate::summary::prob_se(col.iter().map(|v| op.holds(*v, *x)))
            }
            Measure::Event { .. } => crate::summary::prob_se(col.iter().map(|f| *f != 0.0)),
            Measure::Mean { .. } => crate::summary::mean_se(col),
            Measure::Quantile { q, .. } => quantile_with_se(col, *q),
        };
        Evaluation {
            value,
            se,
            holds: self.op.holds(value, self.bound),
        }
    }

    /// A short description of the measured quantity: `prob(investor_irr >= 0.08)`.
    pub fn measure_text(&self) -> String {
        match &self.measure {
            Measure::Prob { metric, op, x } => format!("prob({metric} {} {x})", op.as_str()),
            Measure::Quantile { metric, q } => format!("quantile({metric}, {q})"),
            Measure::Mean { metric } => format!("mean({metric})"),
            Measure::Event { flag } => format!("prob({})", &flag[1..]),
        }
    }
}

/// Type-7 quantile of the non-NaN values of `col` and its standard error (half
/// the distance between the order statistics one binomial sigma either side).
pub fn quantile_with_se(col: &[f64], q: f64) -> (f64, f64) {
    let mut v: Vec<f64> = col.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len() as f64;
    let value = quantile_sorted(&v, q);
    let half = (n * q * (1.0 - q)).sqrt();
    let at = |r: f64| quantile_sorted(&v, (r / n).clamp(0.0, 1.0));
    (value, 0.5 * (at(n * q + half) - at(n * q - half)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics() -> Vec<String> {
        vec!["investor_irr".into(), "payer_cost".into()]
    }

    fn columns() -> Vec<String> {
        vec!["investor_irr".into(), "payer_cost".into(), "_loss".into()]
    }

    #[test]
    fn parses_the_three_forms() {
        let t = Target::parse("prob(investor_irr >= 0.08) >= 0.8", &metrics()).unwrap();
        assert_eq!(
            t.measure,
            Measure::Prob {
                metric: "investor_irr".into(),
                op: Op::Ge,
                x: 0.08
            }
        );
        assert_eq!((t.op, t.bound), (Op::Ge, 0.8));
        let t = Target::parse("quantile(payer_cost, 0.95) <= 2e10", &metrics()).unwrap();
        assert_eq!(
            t.measure,
            Measure::Quantile {
                metric: "payer_cost".into(),
                q: 0.95
            }
        );
        assert_eq!((t.op, t.bound), (Op::Le, 2e10));
        let t = Target::parse(" mean(investor_irr) > 0.05 ", &metrics()).unwrap();
        assert_eq!((t.op, t.bound), (Op::Gt, 0.05));
    }

    #[test]
    fn rejects_bad_targets_with_reasons() {
        for (bad, why) in [
            ("prob(investor_irr >= 0.08)", "no comparison"),
            ("prob(investor_irr) >= 0.5", "or an event: one of loss"),
            ("prob(irr >= 0.08) >= 0.8", "unknown metric"),
            ("median(payer_cost) < 3", "unknown function"),
            ("quantile(payer_cost, 1.5) < 3", "not in [0, 1]"),
            ("prob(investor_irr >= 0.08) >= 2", "probability bound"),
            ("mean(payer_cost) < lots", "not a number"),
        ] {
            let e = Target::parse(bad, &columns()).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn evaluates_on_columns() {
        let cols = TrialColumns {
            names: metrics(),
            first_trial: 0,
            data: vec![vec![0.0, 0.1, 0.2, 0.3], vec![1.0, 2.0, 3.0, 4.0]],
            horizon: 0,
            months: Vec::new(),
        };
        let e = Target::parse("prob(investor_irr >= 0.1) >= 0.8", &metrics())
            .unwrap()
            .evaluate(&cols);
        assert_eq!(e.value, 0.75);
        assert!(!e.holds);
        assert!((e.se - (0.75f64 * 0.25 / 4.0).sqrt()).abs() < 1e-15);
        let e = Target::parse("quantile(payer_cost, 0.5) <= 2.5", &metrics())
            .unwrap()
            .evaluate(&cols);
        assert_eq!(e.value, 2.5);
        assert!(e.holds);
        let e = Target::parse("mean(payer_cost) < 3", &metrics())
            .unwrap()
            .evaluate(&cols);
        assert_eq!(e.value, 2.5);
        // An event: the share of trials whose flag is set.
        let cols = TrialColumns {
            names: columns(),
            first_trial: 0,
            data: vec![
                vec![0.0, 0.1, 0.2, 0.3],
                vec![1.0, 2.0, 3.0, 4.0],
                vec![1.0, 0.0, 0.0, 1.0],
            ],
            horizon: 0,
            months: Vec::new(),
        };
        let t = Target::parse("prob(loss) <= 0.4", &columns()).unwrap();
        assert_eq!(t.measure_text(), "prob(loss)");
        let e = t.evaluate(&cols);
        assert_eq!((e.value, e.holds), (0.5, false));
        assert!((e.se - 0.25f64.sqrt() / 2.0).abs() < 1e-15);
    }
}
