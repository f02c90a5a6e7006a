//! Library-level helpers shared by the engine and mechanics tests: compile a
//! scenario from text, simulate and summarise it.

use ibsim::engine::Draws;
use ibsim::engine::runner::{TrialColumns, simulate};
use ibsim::model::Model;
use serde_json::Value;

/// Compiles a scenario given as YAML text (panics with the first problem).
pub fn model(text: &str) -> Model {
    let loaded =
        ibsim::scenario::parse_str(text, "test.yaml").unwrap_or_else(|d| panic!("{}", d[0]));
    Model::compile(&loaded.scenario)
}

/// The draws of a run of `trials` trials with the scenario's seed and sampling.
pub fn draws(m: &Model, trials: u64) -> Draws {
    Draws {
        seed: m.seed,
        trials,
        sampling: m.sampling,
    }
}

/// Simulates `trials` trials on `threads` threads and summarises them.
pub fn run(m: &Model, trials: u64, threads: usize) -> (TrialColumns, Value) {
    let cols = simulate(m, &draws(m, trials), 0..trials, Some(threads), &|_| {}).unwrap();
    let id = ibsim::summary::RunIdentity {
        name: m.name.clone(),
        file: "test.yaml".into(),
        sha256: String::new(),
        currency: m.currency.clone(),
        trials,
        seed: m.seed,
        sampling: m.sampling.as_str().into(),
    };
    let s = ibsim::summary::summarize(m, &cols, &id).to_json();
    (cols, s)
}

/// The column `name` of a run (panics when there is none).
pub fn column<'a>(cols: &'a TrialColumns, name: &str) -> &'a [f64] {
    cols.column(name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

/// Every trial of `name` equals `want` (to 1e-9 relative).
pub fn every_trial(cols: &TrialColumns, name: &str, want: f64) {
    for (t, v) in column(cols, name).iter().enumerate() {
        assert!(
            (v - want).abs() <= 1e-9 * want.abs().max(1.0),
            "trial {t}: {name} = {v}, expected {want}"
        );
    }
}

/// Runs `text` for 8 trials on 2 threads: a function giving the one value
/// every trial gives for a metric (panics when the trials differ, or there
/// is no such column), and the summary.
pub fn deterministic(text: &str) -> (impl Fn(&str) -> f64 + use<>, Value) {
    let m = model(text);
    let (cols, summary) = run(&m, 8, 2);
    (
        move |name: &str| {
            let c = column(&cols, name);
            assert!(
                c.iter().all(|&v| v.to_bits() == c[0].to_bits()),
                "{name} differs between trials: {c:?}"
            );
            c[0]
        },
        summary,
    )
}

/// `got` equals `want` to 1e-9 relative.
pub fn close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: {got}, expected {want}"
    );
}
