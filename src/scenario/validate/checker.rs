//! The checker every rule reports to: problems with their field paths, and
//! the common checks (finite, in range, whole, names, shares).

use std::collections::HashSet;

use crate::limits::MAX_AMOUNT;
use crate::scenario::values::Whole;

/// Tolerance on shares summing to one (docs/model.md, "Scenario").
pub const SHARE_SUM_TOLERANCE: f64 = 1e-9;

/// One problem found in a scenario: the field path and what was expected.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Dotted field path with list indices, e.g. `outcomes[1].rate.beta.sd`.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

/// What values a distribution may take where it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Support {
    /// A probability: support inside [0, 1].
    Unit,
    /// A money amount: support >= 0.
    NonNegative,
    /// A count: constants are non-negative whole numbers; draws are rounded and clamped.
    Count,
    /// An effect in its own unit: any sign, magnitude up to the amount limit.
    Real,
}

pub(super) struct Checker {
    pub(super) problems: Vec<Problem>,
}

impl Checker {
    pub(super) fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    pub(super) fn finite(&mut self, path: &str, v: f64) -> bool {
        if v.is_finite() {
            true
        } else {
            self.err(path, format!("expected a finite number, found {v}"));
            false
        }
    }

    /// `lo <= v <= hi` (inclusive), finite.
    pub(super) fn in_range(&mut self, path: &str, v: f64, lo: f64, hi: f64, what: &str) {
        if self.finite(path, v) && !(lo..=hi).contains(&v) {
            self.err(path, format!("{v} is out of range: expected {what}"));
        }
    }

    pub(super) fn non_negative(&mut self, path: &str, v: f64) {
        if self.finite(path, v) && v < 0.0 {
            self.err(path, format!("{v} is negative: expected a number >= 0"));
        } else if v > MAX_AMOUNT {
            self.err(
                path,
                format!("{v:e} is too large: amounts and multipliers go up to {MAX_AMOUNT:e}"),
            );
        }
    }

    /// At most `max` items in a list.
    pub(super) fn at_most(&mut self, path: &str, len: usize, max: usize, what: &str) {
        if len > max {
            self.err(
                path,
                format!("{len} {what}: at most {max} are supported (see the limits in docs/scenario-format.md)"),
            );
        }
    }

    pub(super) fn whole_in(&mut self, path: &str, v: Whole, lo: i64, hi: i64, what: &str) -> bool {
        if v.0 < lo || v.0 > hi {
            self.err(path, format!("{} is out of range: expected {what}", v.0));
            false
        } else {
            true
        }
    }

    pub(super) fn name(&mut self, path: &str, name: &str, seen: &mut HashSet<String>, kind: &str) {
        if name.trim().is_empty() {
            self.err(path, format!("{kind} name is empty"));
        } else if name.contains('.') {
            self.err(
                path,
                format!("{kind} name `{name}` contains `.`: names appear in dotted metric keys and paths"),
            );
        }
        if !seen.insert(name.to_owned()) {
            self.err(
                path,
                format!("duplicate {kind} name `{name}`: names must be unique"),
            );
        }
    }

    pub(super) fn shares(&mut self, path: &str, shares: impl Iterator<Item = f64>, what: &str) {
        let sum: f64 = shares.sum();
        if sum.is_finite() && (sum - 1.0).abs() > SHARE_SUM_TOLERANCE {
            self.err(
                path,
                format!(
                    "{what} shares sum to {}, expected 1 (within 1e-9)",
                    fmt_sum(sum)
                ),
            );
        }
    }
}

/// A sum shown to 12 significant digits (0.9, not 0.8999999999999999).
pub(super) fn fmt_sum(v: f64) -> String {
    let s = format!("{v:.12}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Shortest readable form of a number (`0.5`, `0.4472`, `1e9`).
pub(super) fn fmt_g(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{v}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// Sd above its mean that stands for the far tail of a normal without `max`.
pub(super) const NORMAL_REACH_SD: f64 = 8.0;

pub(super) fn list_or_none(ids: &[&str]) -> String {
    if ids.is_empty() {
        "none declared before".into()
    } else {
        ids.join(", ")
    }
}
