//! Wall-time benchmarks of the engine's stages on `scenarios/bench/reference.yaml`
//! (divan): one trial, its parameter draws, the binomial funnel, the
//! waterfall, one IRR solve, and an end-to-end 100,000-trial run; and the
//! sampling pieces a trial cannot do without (exact binomial draws: chained
//! as in one cohort, from two interleaved streams, and four cohorts at once
//! as the funnel draws them; a cohort beta), which bound how fast a trial
//! can be (README, Performance).
//!
//! `cargo bench --bench stages`. Wall time is noisy on a shared machine; for
//! comparisons between revisions use `benches/compare.sh` (instruction counts).

use std::hint::black_box;

use divan::Bencher;
use ibsim::engine::{self, Discounts, Draws, Layout, Workspace};
use ibsim::model::Model;

fn main() {
    divan::main();
}

fn model() -> Model {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench/reference.yaml");
    let loaded = ibsim::scenario::load(&path).unwrap_or_else(|d| panic!("{}", d[0]));
    Model::compile(&loaded.scenario)
}

/// Everything a stage needs, with trial `trial` run once to fill the workspace.
struct Setup {
    model: Model,
    layout: Layout,
    disc: Discounts,
    draws: Draws,
    ws: Workspace,
}

fn setup(trial: u64) -> Setup {
    let model = model();
    let layout = Layout::new(&model);
    let disc = Discounts::new(&model);
    let draws = Draws {
        seed: model.seed,
        trials: 1_000_000,
        sampling: model.sampling,
    };
    let mut ws = Workspace::new(&model, &layout);
    engine::run_trial(&model, &layout, &disc, &draws, trial, &mut ws);
    Setup {
        model,
        layout,
        disc,
        draws,
        ws,
    }
}

/// A whole trial: parameters, funnel, waterfall, metrics with three IRRs.
#[divan::bench]
fn one_trial(bencher: Bencher) {
    let mut s = setup(0);
    let mut t = 0u64;
    bencher.bench_local(|| {
        t += 1;
        engine::run_trial(&s.model, &s.layout, &s.disc, &s.draws, t, &mut s.ws);
        black_box(s.ws.row[0]);
    });
}

/// Step 1: per-trial parameters (copula, shocks, sizes, costs).
#[divan::bench]
fn parameters(bencher: Bencher) {
    let mut s = setup(0);
    let mut t = 0u64;
    bencher.bench_local(|| {
        t += 1;
        let mut rng = engine::trial_rng(s.draws.seed, t);
        engine::draw_params(&s.model, &s.draws, t, &mut rng, &mut s.ws);
        black_box(s.ws.params[0]);
    });
}

/// Step 2: the binomial funnel of eight cohorts (16 binomials, 8 cohort betas).
#[divan::bench]
fn funnel(bencher: Bencher) {
    let mut s = setup(0);
    let mut t = 0u64;
    bencher.bench_local(|| {
        t += 1;
        let mut rng = engine::trial_rng(s.draws.seed, t);
        engine::funnel(&s.model, &mut rng, &mut s.ws);
        black_box(s.ws.params[0]);
    });
}

/// Steps 3-6: payments, the waterfall over 48 months, the guarantee.
#[divan::bench]
fn waterfall(bencher: Bencher) {
    let mut s = setup(7);
    bencher.bench_local(|| {
        engine::waterfall(&s.model, &s.disc, &mut s.ws);
        black_box(s.ws.payments[5]);
    });
}

/// Exact binomial draws chained as the funnel chains them: a cohort's 1,500
/// participants' placements, then their retention (the second draw's n is
/// the first's result). Two draws an iteration.
#[divan::bench(sample_size = 4096)]
fn binomial_chained(bencher: Bencher) {
    let mut rng = engine::trial_rng(1, 0);
    bencher
        .counter(divan::counter::ItemsCount::new(2usize))
        .bench_local(|| {
            let k = engine::variates::binomial::sample(black_box(1500), 0.55, &mut rng);
            black_box(engine::variates::binomial::sample(k, 0.72, &mut rng))
        });
}

/// The same draws from two independent streams, interleaved: what running
/// two trials at once on a thread could gain on the draws. Four draws an
/// iteration.
#[divan::bench(sample_size = 4096)]
fn binomial_two_streams(bencher: Bencher) {
    let (mut a, mut b) = (engine::trial_rng(1, 0), engine::trial_rng(1, 1));
    bencher
        .counter(divan::counter::ItemsCount::new(4usize))
        .bench_local(|| {
            let ka = engine::variates::binomial::sample(black_box(1500), 0.55, &mut a);
            let kb = engine::variates::binomial::sample(black_box(1500), 0.55, &mut b);
            let ra = engine::variates::binomial::sample(ka, 0.72, &mut a);
            let rb = engine::variates::binomial::sample(kb, 0.72, &mut b);
            black_box(ra + rb)
        });
}

/// The same chain for four cohorts at once, as the funnel draws them
/// (`binomial::sample_lanes`): four cohorts' placements, then their
/// retention. Eight draws an iteration.
#[divan::bench(sample_size = 4096)]
fn binomial_lanes(bencher: Bencher) {
    let mut rng = engine::trial_rng(1, 0);
    let lanes = engine::variates::binomial::LANES;
    bencher
        .counter(divan::counter::ItemsCount::new(2 * lanes))
        .bench_local(|| {
            let k =
                engine::variates::binomial::sample_lanes(black_box([1500; 4]), [0.55; 4], &mut rng);
            black_box(engine::variates::binomial::sample_lanes(
                k, [0.72; 4], &mut rng,
            ))
        });
}

/// One cohort beta (two gamma variates): a placement rate of mean 0.55 with
/// `cohort_sd` 0.03, Beta(151.2, 123.7).
#[divan::bench(sample_size = 4096)]
fn cohort_beta(bencher: Bencher) {
    let mut rng = engine::trial_rng(1, 0);
    let k = 0.55 * 0.45 / (0.03 * 0.03) - 1.0;
    bencher.bench_local(|| {
        black_box(engine::variates::beta::sample(
            black_box(0.55 * k),
            0.45 * k,
            &mut rng,
        ))
    });
}

/// One IRR solve on the combined investor flows of a trial.
#[divan::bench]
fn irr_solve(bencher: Bencher) {
    let s = setup(7);
    let flows = s.ws.combined.clone();
    bencher.bench_local(|| black_box(s.disc.irr.solve(black_box(&flows))));
}

/// End to end in the library: 100,000 trials simulated on all cores and summarised.
#[divan::bench(sample_count = 5)]
fn run_100k(bencher: Bencher) {
    let s = setup(0);
    let draws = Draws {
        trials: 100_000,
        ..s.draws
    };
    let id = ibsim::summary::RunIdentity {
        name: s.model.name.clone(),
        file: "reference.yaml".into(),
        sha256: String::new(),
        currency: s.model.currency.clone(),
        trials: draws.trials,
        seed: draws.seed,
        sampling: s.model.sampling.as_str().into(),
    };
    bencher.bench_local(|| {
        let cols = engine::runner::simulate(&s.model, &draws, 0..draws.trials, None, &|_| {})
            .expect("thread pool");
        black_box(ibsim::summary::summarize(&s.model, &cols, &id))
    });
}
