//! Instruction-count workload for `benches/compare.sh` and
//! `benches/instructions.sh`: simulates `IBSIM_IC_TRIALS` (default 20,000)
//! trials of `scenarios/bench/reference.yaml` on one thread and summarises
//! them. Run under `valgrind --tool=callgrind`, its instruction count is
//! stable on a noisy shared machine (wall time is not); the scripts take the
//! difference between two trial counts, so start-up (reading the scenario,
//! compiling the model) cancels out and what remains is instructions per trial.

use ibsim::engine::Draws;
use ibsim::engine::runner::simulate;
use ibsim::model::Model;

fn main() {
    // `cargo bench` passes `--bench`; this target is driven by the scripts only.
    if std::env::args().any(|a| a == "--bench") && std::env::var_os("IBSIM_IC_TRIALS").is_none() {
        println!("instructions: run benches/instructions.sh or benches/compare.sh");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let name = std::env::var("IBSIM_IC_SCENARIO").unwrap_or_else(|_| "reference".into());
    let path = std::path::Path::new(root).join(format!("scenarios/bench/{name}.yaml"));
    let loaded = ibsim::scenario::load(&path).unwrap_or_else(|d| panic!("{}", d[0]));
    let model = Model::compile(&loaded.scenario);
    let trials: u64 = std::env::var("IBSIM_IC_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let draws = Draws {
        seed: model.seed,
        trials,
        sampling: model.sampling,
    };
    let id = ibsim::summary::RunIdentity {
        name: model.name.clone(),
        file: format!("{name}.yaml"),
        sha256: String::new(),
        currency: model.currency.clone(),
        trials,
        seed: model.seed,
        sampling: model.sampling.as_str().into(),
    };
    let cols = simulate(&model, &draws, 0..trials, Some(1), &|_| {}).expect("thread pool");
    let summary = ibsim::summary::summarize(&model, &cols, &id);
    std::hint::black_box(summary);
}
