//! Fuzz target: a baseline (any bytes, read as JSON) through `ibsim
//! check`'s checks and both comparisons against a real run's summary. Any
//! input must end in a refusal or a report, never in a panic.
#![no_main]

use std::sync::OnceLock;

use ibsim::engine::runner::TrialColumns;
use ibsim::model::Model;
use ibsim::summary::Summary;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// A small run, made once: its model, columns and summary.
fn run() -> &'static (Model, TrialColumns, Summary) {
    static RUN: OnceLock<(Model, TrialColumns, Summary)> = OnceLock::new();
    RUN.get_or_init(|| {
        let text = include_str!("../../scenarios/empleando-futuro.yaml");
        let loaded = ibsim::scenario::parse_str(text, "deal.yaml").unwrap();
        let model = Model::compile(&loaded.scenario);
        let draws = ibsim::engine::Draws {
            seed: model.seed,
            trials: 300,
            sampling: model.sampling,
        };
        let cols =
            ibsim::engine::runner::simulate(&model, &draws, 0..300, Some(1), &|_| {}).unwrap();
        let id = ibsim::summary::RunIdentity {
            name: model.name.clone(),
            file: "deal.yaml".into(),
            sha256: String::new(),
            currency: model.currency.clone(),
            trials: 300,
            seed: model.seed,
            sampling: model.sampling.as_str().into(),
        };
        let summary = ibsim::summary::summarize(&model, &cols, &id);
        (model, cols, summary)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(base) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if base.get("metrics").is_none() || base.get("trials").is_none() {
        return;
    }
    if ibsim::check::baseline_problem(&base).is_err() {
        return;
    }
    let (model, cols, now) = run();
    let exact = ibsim::check::exact(&base, now);
    let _ = ibsim::report::analysis::check_table(&exact, 20);
    let stat = ibsim::check::statistical(&base, now, model, cols, 4.0);
    let _ = ibsim::report::analysis::check_table(&stat, 20);
});
