//! Lag distributions against a fixed lag: `scenarios/bench/reference-lags.yaml`
//! (placements verified over months 2 to 6, uniform) against
//! `scenarios/bench/reference.yaml` (exactly 4), simulated and summarised,
//! the two runs alternated round after round so that both see the same
//! machine. Prints each round's times and ratio, and the median ratio: the
//! figure in the README's performance table.
//!
//! Run with `cargo bench --bench lags` (200,000 trials each, 7 rounds, all
//! cores); `IBSIM_BENCH_TRIALS`, `IBSIM_BENCH_ROUNDS` and
//! `IBSIM_BENCH_THREADS` override the defaults.

use std::time::Instant;

use ibsim::engine::Draws;
use ibsim::engine::runner::simulate;
use ibsim::model::Model;

fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let trials: u64 = env("IBSIM_BENCH_TRIALS").unwrap_or(200_000);
    let rounds: usize = env("IBSIM_BENCH_ROUNDS").unwrap_or(7);
    let threads: Option<usize> = env("IBSIM_BENCH_THREADS");
    let load = |name: &str| {
        let path = root.join(format!("scenarios/bench/{name}.yaml"));
        let loaded = ibsim::scenario::load(&path).unwrap_or_else(|d| panic!("{}", d[0]));
        Model::compile(&loaded.scenario)
    };
    let (fixed, spread) = (load("reference"), load("reference-lags"));
    let time = |model: &Model| {
        let draws = Draws {
            seed: model.seed,
            trials,
            sampling: model.sampling,
        };
        let id = ibsim::summary::RunIdentity {
            name: model.name.clone(),
            file: String::new(),
            sha256: String::new(),
            currency: model.currency.clone(),
            trials,
            seed: model.seed,
            sampling: model.sampling.as_str().into(),
        };
        let t0 = Instant::now();
        let cols = simulate(model, &draws, 0..trials, threads, &|_| {}).expect("thread pool");
        std::hint::black_box(ibsim::summary::summarize(model, &cols, &id));
        t0.elapsed().as_secs_f64()
    };
    // One unmeasured run of each warms the caches and the thread pool.
    time(&fixed);
    time(&spread);
    let mut ratios = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let a = time(&fixed);
        let b = time(&spread);
        ratios.push(b / a);
        println!(
            "round {round}: fixed lag {a:.3} s, lag over 2..6 months {b:.3} s: {:.2} x",
            b / a
        );
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "{trials} trials each, {rounds} alternated rounds: lag distribution / fixed lag = {:.2} x (median; range {:.2}-{:.2})",
        ratios[rounds / 2],
        ratios[0],
        ratios[rounds - 1]
    );
}
