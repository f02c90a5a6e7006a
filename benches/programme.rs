//! Programme benchmark: `scenarios/programmes/por-mas.yaml` (five deals, a
//! shared shock, a common factor and a binding fund budget) simulated and
//! summarised as one programme, against the sum of its five deals each
//! simulated and summarised alone for the same trials; prints the ratio
//! (the target: at most 1.2).
//!
//! Run with `cargo bench --bench programme` (100,000 trials on all cores);
//! `IBSIM_BENCH_TRIALS` and `IBSIM_BENCH_THREADS` override the defaults,
//! `IBSIM_BENCH_PROGRAMME` the programme file.
//! Each figure is the best of three rounds. Wall-clock benchmarks are noisy
//! on shared machines; compare runs on the same machine.

use std::time::Instant;

use ibsim::engine::Draws;
use ibsim::engine::runner::simulate;
use ibsim::programme::run::ProgrammeModel;
use ibsim::programme::summary::summarize_programme;
use ibsim::summary::{RunIdentity, summarize};

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = std::env::var("IBSIM_BENCH_PROGRAMME").map_or_else(
        |_| root.join("scenarios/programmes/por-mas.yaml"),
        std::path::PathBuf::from,
    );
    let loaded = ibsim::programme::load(&path).unwrap_or_else(|d| panic!("{}", d[0]));
    let trials: u64 = std::env::var("IBSIM_BENCH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let threads: Option<usize> = std::env::var("IBSIM_BENCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok());
    let cores = threads.unwrap_or_else(rayon::current_num_threads);
    let mut pm = ProgrammeModel::compile(&loaded);
    pm.trials = trials;
    let best = |label: &str, run: &dyn Fn()| {
        let mut best = f64::INFINITY;
        for round in 0..3 {
            let t0 = Instant::now();
            run();
            let wall = t0.elapsed().as_secs_f64();
            best = best.min(wall);
            println!("{label} round {round}: {trials} trials on {cores} threads: {wall:.3} s");
        }
        best
    };
    let only = std::env::var("IBSIM_BENCH_ONLY").unwrap_or_default();
    let programme = if only == "alone" {
        f64::NAN
    } else {
        best("programme", &|| {
            let t0 = Instant::now();
            let cols = simulate_programme(&pm, threads);
            let t1 = Instant::now();
            std::hint::black_box(summarize_programme(&pm, &cols, "por-mas.yaml"));
            println!(
                "  simulate {:.3} s + summarise {:.3} s",
                (t1 - t0).as_secs_f64(),
                t1.elapsed().as_secs_f64()
            );
        })
    };
    if only == "programme" {
        return;
    }
    let mut alone = 0.0;
    for d in &pm.deals {
        let model = &loaded.deals[pm.deals.iter().position(|x| x.name == d.name).unwrap_or(0)];
        let model = ibsim::model::Model::compile(&model.scenario);
        let draws = Draws {
            seed: model.seed,
            trials,
            sampling: model.sampling,
        };
        let id = RunIdentity {
            name: model.name.clone(),
            file: d.name.clone(),
            sha256: String::new(),
            currency: model.currency.clone(),
            trials,
            seed: model.seed,
            sampling: model.sampling.as_str().into(),
        };
        alone += best(&format!("{} alone", d.name), &|| {
            let cols = simulate(&model, &draws, 0..trials, threads, &|_| {}).expect("thread pool");
            std::hint::black_box(summarize(&model, &cols, &id));
        });
    }
    println!(
        "programme of {} deals: {programme:.3} s; the deals alone: {alone:.3} s in all; ratio {:.2} (target <= 1.2)",
        pm.deals.len(),
        programme / alone
    );
}

fn simulate_programme(
    pm: &ProgrammeModel,
    threads: Option<usize>,
) -> ibsim::programme::run::ProgrammeColumns {
    ibsim::programme::run::simulate(pm, threads).expect("thread pool")
}
