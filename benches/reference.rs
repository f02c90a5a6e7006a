//! End-to-end benchmark: simulate and summarise `scenarios/bench/reference.yaml`
//! (the basic mechanics), `scenarios/bench/mechanics.yaml` (every payment
//! mechanic) and `scenarios/ecuador-stunting.yaml` (a rate outcome verified
//! by a survey in rounds), and the last one's time as a multiple of the
//! reference's.
//!
//! Run with `cargo bench --bench reference` (1,000,000 trials of each on all
//! cores); `IBSIM_BENCH_TRIALS` and `IBSIM_BENCH_THREADS` override the
//! defaults, `IBSIM_BENCH_SCENARIOS` (comma-separated names under
//! `scenarios/bench/` or `scenarios/`) the scenarios.
//! Prints wall time, trials per second and trials per second per core: the
//! figures in the README's Performance section. Wall-clock benchmarks are
//! noisy on shared machines; compare runs on the same machine.

use std::time::Instant;

use ibsim::engine::Draws;
use ibsim::engine::runner::simulate;
use ibsim::model::Model;

fn main() {
    let names = std::env::var("IBSIM_BENCH_SCENARIOS")
        .unwrap_or_else(|_| "reference,mechanics,ecuador-stunting".into());
    let mut best: Vec<(String, f64)> = Vec::new();
    for name in names.split(',') {
        best.push((name.trim().to_owned(), bench(name.trim())));
    }
    if let Some((_, reference)) = best.iter().find(|(n, _)| n == "reference") {
        for (name, wall) in best.iter().filter(|(n, _)| n != "reference") {
            println!(
                "{name}: {:.2} x the reference's time (best rounds)",
                wall / reference
            );
        }
    }
}

/// Three rounds of `name`; the best round's wall time in seconds.
fn bench(name: &str) -> f64 {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let bench_path = root.join(format!("scenarios/bench/{name}.yaml"));
    let path = if bench_path.exists() {
        bench_path
    } else {
        root.join(format!("scenarios/{name}.yaml"))
    };
    let loaded = ibsim::scenario::load(&path).unwrap_or_else(|d| panic!("{}", d[0]));
    let model = Model::compile(&loaded.scenario);
    let trials: u64 = std::env::var("IBSIM_BENCH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let threads: Option<usize> = std::env::var("IBSIM_BENCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok());
    let draws = Draws {
        seed: model.seed,
        trials,
        sampling: model.sampling,
    };
    let id = ibsim::summary::RunIdentity {
        name: model.name.clone(),
        file: path.display().to_string(),
        sha256: String::new(),
        currency: model.currency.clone(),
        trials,
        seed: model.seed,
        sampling: model.sampling.as_str().into(),
    };
    let cores = threads.unwrap_or_else(rayon::current_num_threads);
    let mut best = f64::INFINITY;
    for round in 0..3 {
        let t0 = Instant::now();
        let cols = simulate(&model, &draws, 0..trials, threads, &|_| {}).expect("thread pool");
        let t1 = Instant::now();
        let summary = ibsim::summary::summarize(&model, &cols, &id);
        let t2 = Instant::now();
        std::hint::black_box(summary);
        let wall = (t2 - t0).as_secs_f64();
        best = best.min(wall);
        println!(
            "{name} round {round}: {trials} trials on {cores} threads: simulate {:.3} s + summarise {:.3} s = {wall:.3} s; {:.0} trials/s; {:.0} trials/s per core",
            (t1 - t0).as_secs_f64(),
            (t2 - t1).as_secs_f64(),
            trials as f64 / wall,
            trials as f64 / wall / cores as f64,
        );
    }
    best
}
