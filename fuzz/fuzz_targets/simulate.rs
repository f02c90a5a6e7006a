//! Fuzz target: a tiny simulation (16 trials, summary included) of any
//! scenario that validates. Every per-trial invariant checked by the test
//! suite must hold; nothing may panic.
#![no_main]

use ibsim::engine::{Discounts, Draws, Layout, Workspace, run_trial};
use ibsim::model::Model;
use libfuzzer_sys::fuzz_target;

const TRIALS: u64 = 16;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(loaded) = ibsim::scenario::parse_str(text, "fuzz.yaml") else {
        return;
    };
    let model = Model::compile(&loaded.scenario);
    // Keep each input quick: skip scenarios estimated above 2 ms a trial.
    if ibsim::run::budget::ns_per_trial(&model) > 2.0e6 {
        return;
    }
    let layout = Layout::new(&model);
    let disc = Discounts::new(&model);
    let draws = Draws {
        seed: model.seed,
        trials: TRIALS,
        sampling: model.sampling,
    };
    let mut ws = Workspace::new(&model, &layout);
    for t in 0..TRIALS {
        run_trial(&model, &layout, &disc, &draws, t, &mut ws);
        let x = ws.totals;
        if x.conservation_gap().is_finite() {
            assert!(
                x.is_conserved(),
                "money not conserved: gap {}",
                x.conservation_gap()
            );
        }
    }
    let cols =
        ibsim::engine::runner::simulate(&model, &draws, 0..TRIALS, Some(1), &|_| {}).unwrap();
    let id = ibsim::summary::RunIdentity {
        name: model.name.clone(),
        file: "fuzz.yaml".into(),
        sha256: String::new(),
        currency: model.currency.clone(),
        trials: TRIALS,
        seed: model.seed,
        sampling: model.sampling.as_str().into(),
    };
    let summary = ibsim::summary::summarize(&model, &cols, &id);
    let _ = ibsim::output::json_text(&summary);
});
