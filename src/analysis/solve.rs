//! `ibsim solve`: the value of one scenario PATH where risk targets switch
//! between met and not met, by a coarse grid (shared by all targets) and then
//! bisection, with common random numbers so the search is deterministic.

use serde_json::{Value, json};

use super::sweep::{Vary, run_point};
use super::target::{Evaluation, Target};
use crate::engine::runner::TrialColumns;
use crate::scenario::Scenario;

/// Where a target holds in the searched range.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It holds at every grid value.
    Everywhere,
    /// It holds at no grid value.
    Nowhere,
    /// It holds from `boundary` up (`above`) or up to `boundary` (not `above`).
    Boundary {
        /// The switching value (the first value, within the tolerance, where it holds).
        boundary: f64,
        /// True when the target holds above the boundary.
        above: bool,
        /// The target at the boundary.
        at: Evaluation,
    },
    /// It switches more than once on the grid: not monotone; `holds` per grid value.
    NotMonotone {
        /// (grid value, holds) pairs.
        grid: Vec<(f64, bool)>,
    },
}

/// The answer for one target.
#[derive(Debug, Clone)]
pub struct TargetResult {
    /// The target.
    pub target: Target,
    /// Where it holds.
    pub outcome: Outcome,
}

/// A finished solve.
#[derive(Debug, Clone)]
pub struct SolveResult {
    /// The varied PATH and range.
    pub vary: Vary,
    /// Per target.
    pub targets: Vec<TargetResult>,
    /// Values meeting every target, as [lo, hi], when they form one interval.
    pub window: Option<(f64, f64)>,
    /// Simulations run.
    pub runs: usize,
}

/// Solves every target over `vary` (LO..HI; `grid` coarse points, then bisection to `tol`).
#[allow(clippy::too_many_arguments)]
pub fn solve(
    scenario: &Scenario,
    vary: &Vary,
    targets: &[Target],
    grid: usize,
    tol: f64,
    trials: u64,
    seed: u64,
    threads: Option<usize>,
) -> Result<SolveResult, String> {
    let mut run = |v: f64| {
        run_point(scenario, &[(vary.path.as_str(), v)], trials, seed, threads).map(|r| r.1)
    };
    solve_by(&mut run, vary, targets, grid, tol)
}

/// [`solve`] of whatever `run` simulates with the varied value set to its
/// argument (a scenario, or a programme): the per-trial columns the
/// targets read.
pub fn solve_by(
    run: &mut dyn FnMut(f64) -> Result<TrialColumns, String>,
    vary: &Vary,
    targets: &[Target],
    grid: usize,
    tol: f64,
) -> Result<SolveResult, String> {
    let mut runs = 0;
    let mut eval_at = |v: f64| -> Result<Vec<Evaluation>, String> {
        runs += 1;
        let cols = run(v)?;
        Ok(targets.iter().map(|t| t.evaluate(&cols)).collect())
    };
    let g = Vary {
        steps: grid.max(2),
        ..vary.clone()
    };
    let xs = g.values();
    let mut evals = Vec::with_capacity(xs.len());
    for &x in &xs {
        evals.push(eval_at(x)?);
    }
    let mut results = Vec::new();
    for (k, t) in targets.iter().enumerate() {
        let holds: Vec<bool> = evals.iter().map(|e| e[k].holds).collect();
        let switches: Vec<usize> = (1..holds.len())
            .filter(|&i| holds[i] != holds[i - 1])
            .collect();
        let outcome = match switches.len() {
            0 if holds[0] => Outcome::Everywhere,
            0 => Outcome::Nowhere,
            1 => {
                let i = switches[0];
                let above = holds[i];
                // Invariant: `yes` holds, `no` does not.
                let (mut yes, mut no) = if above {
                    (xs[i], xs[i - 1])
                } else {
                    (xs[i - 1], xs[i])
                };
                let mut at = evals[if above { i } else { i - 1 }][k];
                let width = (vary.hi - vary.lo) * tol;
                while (yes - no).abs() > width {
                    let mid = 0.5 * (yes + no);
                    let e = eval_at(mid)?;
                    if e[k].holds {
                        yes = mid;
                        at = e[k];
                    } else {
                        no = mid;
                    }
                }
                Outcome::Boundary {
                    boundary: yes,
                    above,
                    at,
                }
            }
            _ => Outcome::NotMonotone {
                grid: xs.iter().copied().zip(holds).collect(),
            },
        };
        results.push(TargetResult {
            target: t.clone(),
            outcome,
        });
    }
    // The feasible window: intersect each target's interval (only when all are intervals).
    let mut window = Some((vary.lo, vary.hi));
    for r in &results {
        window = match (&r.outcome, window) {
            (_, None) | (Outcome::Nowhere, _) | (Outcome::NotMonotone { .. }, _) => None,
            (Outcome::Everywhere, w) => w,
            (
                Outcome::Boundary {
                    boundary, above, ..
                },
                Some((a, b)),
            ) => {
                let (a, b) = if *above {
                    (a.max(*boundary), b)
                } else {
                    (a, b.min(*boundary))
                };
                if a <= b { Some((a, b)) } else { None }
            }
        };
    }
    Ok(SolveResult {
        vary: vary.clone(),
        targets: results,
        window,
        runs,
    })
}

impl SolveResult {
    /// `solve.json`.
    pub fn to_json(&self) -> Value {
        let n = crate::summary::num;
        let targets: Vec<Value> = self
            .targets
            .iter()
            .map(|r| {
                let base = json!({"target": r.target.text});
                let extra = match &r.outcome {
                    Outcome::Everywhere => json!({"result": "holds_everywhere"}),
                    Outcome::Nowhere => json!({"result": "holds_nowhere"}),
                    Outcome::Boundary { boundary, above, at } => json!({
                        "result": if *above { "holds_at_or_above" } else { "holds_at_or_below" },
                        "boundary": n(*boundary),
                        "value": n(at.value),
                        "se": n(at.se),
                    }),
                    Outcome::NotMonotone { grid } => json!({
                        "result": "not_monotone",
                        "grid": grid.iter().map(|(x, h)| json!({"value": n(*x), "holds": h})).collect::<Vec<_>>(),
                    }),
                };
                let mut m = base.as_object().cloned().unwrap_or_default();
                if let Some(e) = extra.as_object() {
                    m.extend(e.clone());
                }
                Value::Object(m)
            })
            .collect();
        json!({
            "path": self.vary.path,
            "lo": n(self.vary.lo),
            "hi": n(self.vary.hi),
            "targets": targets,
            "window": self.window.map_or(Value::Null, |(a, b)| json!([n(a), n(b)])),
            "runs": self.runs,
        })
    }
}
