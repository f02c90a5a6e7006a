//! Variance-based (Sobol) indices against closed forms and an independent
//! quadrature, their reproducibility, and the tail analysis.

use ibsim::analysis::sobol::{Estimate, analyse};
use ibsim::engine::Layout;
use ibsim::model::Model;
use ibsim::scenario::parse_str;

fn model(text: &str) -> Model {
    Model::compile(&parse_str(text, "s.yaml").unwrap().scenario)
}

/// Everyone succeeds: payer cost = 100 x the two cohorts' sizes (each
/// uniform on 100..300, rounded half up), cut by the budget cap.
fn sizes(cap: Option<f64>, rate: f64) -> String {
    let cap = cap.map_or_else(String::new, |c| format!(", budget_cap: {c}"));
    format!(
        "
name: sizes
currency: USD
horizon_months: 12
cohorts:
  - {{name: a, start_month: 0, size: {{uniform: {{min: 100, max: 300}}}}}}
  - {{name: b, start_month: 0, size: {{uniform: {{min: 100, max: 300}}}}}}
outcomes:
  - {{id: done, rate: {rate}, lag_months: 1, price: 100}}
costs: {{upfront: 1000}}
payment: {{lag_months: 0{cap}}}
finance: {{tranches: [{{name: investor, share: 1}}]}}
simulation: {{trials: 100, seed: 3}}
"
    )
}

/// `est` is within 5 of its bootstrap standard errors of `exact` (and the
/// standard error is small enough for that to mean something).
fn near(what: &str, est: Estimate, exact: f64) {
    assert!(est.se < 0.05, "{what}: se {} too large", est.se);
    assert!(
        (est.value - exact).abs() <= 5.0 * est.se.max(1e-9),
        "{what}: {} vs exact {exact} (se {}, interval {:?})",
        est.value,
        est.se,
        est.interval
    );
}

/// A cohort's size from the uniform x on [100, 300]: rounded half up.
fn rounded(x: f64) -> f64 {
    (x + 0.5).floor()
}

/// First-order and total indices of f(x1, x2) for two independent
/// uniforms on [100, 300], by a midpoint rule on a G x G grid.
fn quadrature(f: impl Fn(f64, f64) -> f64) -> (f64, f64, f64) {
    const G: usize = 1200;
    let x = |i: usize| 100.0 + 200.0 * (i as f64 + 0.5) / G as f64;
    let mut grid = vec![0.0; G * G];
    for i in 0..G {
        for j in 0..G {
            grid[i * G + j] = f(x(i), x(j));
        }
    }
    let n = (G * G) as f64;
    let mean = grid.iter().sum::<f64>() / n;
    let var = grid.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    // E[f | x1] over x2, and Var(f | x2) over x1.
    let cond1: Vec<f64> = (0..G)
        .map(|i| (0..G).map(|j| grid[i * G + j]).sum::<f64>() / G as f64)
        .collect();
    let v1 = cond1.iter().map(|c| (c - mean) * (c - mean)).sum::<f64>() / G as f64;
    let et1 = (0..G)
        .map(|j| {
            let m = (0..G).map(|i| grid[i * G + j]).sum::<f64>() / G as f64;
            (0..G).map(|i| (grid[i * G + j] - m).powi(2)).sum::<f64>() / G as f64
        })
        .sum::<f64>()
        / G as f64;
    (var, v1 / var, et1 / var)
}

#[test]
fn one_uncertain_input_explains_everything_when_the_funnel_is_certain() {
    // Only cohort a's size is uncertain.
    let text = sizes(None, 1.0).replacen(
        "size: {uniform: {min: 100, max: 300}}}\n  - {name: b, start_month: 0, size: {uniform: {min: 100, max: 300}}}",
        "size: {uniform: {min: 100, max: 300}}}\n  - {name: b, start_month: 0, size: 200}",
        1,
    );
    let m = model(&text);
    let l = Layout::new(&m);
    let s = analyse(&m, 4096, 5, &[l.payer_cost], 300, Some(2)).unwrap();
    assert_eq!(s.inputs.len(), 1);
    assert_eq!(s.trials, 4096 * 4);
    let c = &s.metrics[0];
    near("first", c.inputs[0].first, 1.0);
    near("total", c.inputs[0].total, 1.0);
    // No noise: the funnel's draws change nothing, exactly.
    assert_eq!(c.noise.total.value, 0.0);
    // Var(100 x rounded size) against its closed form: sizes 100..300 with
    // the two ends at half weight.
    let exact_var = 100.0f64.powi(2) * (200.0f64.powi(2) / 12.0 + 1.0 / 6.0);
    assert!(
        (c.variance / exact_var - 1.0).abs() < 0.05,
        "{} vs {exact_var}",
        c.variance
    );
}

#[test]
fn a_cap_makes_two_inputs_interact_as_the_quadrature_says() {
    let m = model(&sizes(Some(40_000.0), 1.0));
    let l = Layout::new(&m);
    let s = analyse(&m, 8192, 7, &[l.payer_cost], 300, Some(2)).unwrap();
    let paths: Vec<&str> = s.inputs.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    let (_, first, total) =
        quadrature(|x1, x2| (100.0 * (rounded(x1) + rounded(x2))).min(40_000.0));
    // The cap's interaction: the firsts add up to less than 1, the totals to more.
    assert!(2.0 * first < 0.95 && 2.0 * total > 1.05, "{first} {total}");
    let c = &s.metrics[0];
    eprintln!(
        "cap: first {:.4} +- {:.4} (quadrature {first:.4}), total {:.4} +- {:.4} (quadrature {total:.4})",
        c.inputs[0].first.value,
        c.inputs[0].first.se,
        c.inputs[0].total.value,
        c.inputs[0].total.se
    );
    for i in 0..2 {
        near(&format!("first {i}"), c.inputs[i].first, first);
        near(&format!("total {i}"), c.inputs[i].total, total);
    }
    near("sum of firsts", c.sum_first, 2.0 * first);
    assert!(c.sum_first.value <= 1.0);
    assert_eq!(c.noise.total.value, 0.0);
}

#[test]
fn the_funnels_noise_is_the_unexplained_share() {
    // Rate 0.5: payer cost = 100 x Binomial(n1 + n2, 0.5). Given the sizes,
    // Var = 100^2 x 0.25 x (n1 + n2); so the unexplained share is
    // E[Var(f | n)] / Var f, and each size's first-order index is
    // 100^2 x 0.25 x Var(n) / Var f.
    let m = model(&sizes(None, 0.5));
    let l = Layout::new(&m);
    let s = analyse(&m, 8192, 11, &[l.payer_cost], 300, Some(2)).unwrap();
    let var_n = 200.0f64.powi(2) / 12.0 + 1.0 / 6.0;
    let noise = 100.0f64.powi(2) * 0.25 * 400.0;
    let explained = 100.0f64.powi(2) * 0.25 * 2.0 * var_n;
    let total_var = noise + explained;
    let c = &s.metrics[0];
    eprintln!(
        "noise: unexplained {:.4} +- {:.4} (exact {:.4}), first {:.4} +- {:.4} (exact {:.4})",
        c.noise.total.value,
        c.noise.total.se,
        noise / total_var,
        c.inputs[0].first.value,
        c.inputs[0].first.se,
        explained / 2.0 / total_var
    );
    near("unexplained", c.noise.total, noise / total_var);
    for i in 0..2 {
        near(
            &format!("first {i}"),
            c.inputs[i].first,
            explained / 2.0 / total_var,
        );
    }
    assert!(c.sum_first.value < 1.0);
    assert!(
        (c.variance / total_var - 1.0).abs() < 0.05,
        "{} vs {total_var}",
        c.variance
    );
}

#[test]
fn sobol_indices_are_the_same_on_any_thread_count() {
    let m = model(&sizes(Some(40_000.0), 0.7));
    let l = Layout::new(&m);
    let cols = [l.payer_cost, l.index_of(l.funder.irr).unwrap()];
    let one = analyse(&m, 1000, 3, &cols, 50, Some(1)).unwrap();
    let two = analyse(&m, 1000, 3, &cols, 50, Some(2)).unwrap();
    assert_eq!(one, two);
}

/// Losses come only from the shock: without it the outcomes pay at least
/// 52,250 against costs of at most 41,550; with it at most 20,475.
const SHOCK_LOSSES: &str = "
name: shock losses
currency: USD
horizon_months: 24
cohorts: [{name: c, start_month: 0, size: {uniform: {min: 950, max: 1050}}}]
outcomes:
  - {id: job, rate: {uniform: {min: 0.55, max: 0.65}}, lag_months: 3, price: 100}
shocks: [{name: crash, probability: 0.2, from_month: 0, rate_multiplier: {job: 0.3}}]
costs: {upfront: 30000, per_participant: {uniform: {min: 9, max: 11}}}
finance: {tranches: [{name: investor, share: 1}]}
simulation: {trials: 4000, seed: 2}
";

#[test]
fn the_tail_analysis_finds_the_shock_first_when_losses_come_only_from_it() {
    let m = model(SHOCK_LOSSES);
    let l = Layout::new(&m);
    let given = ibsim::analysis::tail::Condition::parse("investor_net < 0", &l).unwrap();
    let r = ibsim::analysis::sensitivity::analyse(&m, 4000, 2, &given, Some(2)).unwrap();
    let t = &r.tail;
    assert_eq!(t.inputs[0].path, "shocks[0].probability", "{t:?}");
    // Every losing trial is a shocked one, and only they lose.
    let shocked = &t.inputs[0];
    assert_eq!(shocked.median_tail, 1.0);
    assert_eq!(shocked.median_all, 0.0);
    assert_eq!(shocked.prob_by_decile[0], 0.0);
    assert_eq!(shocked.prob_by_decile[9], 1.0);
    // P(loss) = P(shock) = 0.2, within 5 se.
    let p = t.tail_trials as f64 / t.trials as f64;
    assert!(
        (p - 0.2).abs() <= 5.0 * (0.2f64 * 0.8 / 4000.0).sqrt(),
        "{p}"
    );
    // The rate matters less: its shift is smaller than the shock's.
    assert!(t.inputs[1].median_shift.abs() < shocked.median_shift.abs());
}

#[test]
fn the_condition_takes_a_percentile_and_the_command_writes_both_analyses() {
    let dir = crate::common::tempdir("sobol-cli");
    let f = crate::common::write(&dir, "shock.yaml", SHOCK_LOSSES);
    let out = dir.join("out");
    let o = crate::common::ibsim(&[
        "sensitivity",
        f.to_str().unwrap(),
        "--trials",
        "2000",
        "--given",
        "payer_cost > p95",
        "--sobol",
        "--base-samples",
        "512",
        "--resamples",
        "100",
        "--metric",
        "peak_funding",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let text = crate::common::stdout(&o);
    assert!(
        text.contains("Tail: payer_cost > p95") && text.contains("Sobol indices"),
        "{text}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("shock/sensitivity.json")).unwrap())
            .unwrap();
    let tail = &v["tail"];
    assert_eq!(tail["condition"], "payer_cost > p95");
    // Above the P95: 5% of trials (up to ties at the quantile).
    let n = tail["tail_trials"].as_u64().unwrap();
    assert!((80..=100).contains(&n), "{n}");
    let sobol = &v["sobol"];
    assert_eq!(sobol["trials"], 512 * (4 + 3));
    for metric in ["investor_irr", "investor_net", "payer_cost", "peak_funding"] {
        let m = &sobol["metrics"][metric];
        assert!(
            m["unexplained"]["value"].is_number() || m["variance"] == 0.0,
            "{metric}: {m}"
        );
        assert!(m["inputs"]["shocks[0].probability"]["total"]["interval"].is_array());
    }
    // The charts, the report and the workbook, with each analysis.
    let dir_out = out.join("shock");
    for f in [
        "charts/tail.svg",
        "charts/tail.png",
        "charts/sobol_payer_cost.svg",
        "charts/sobol_peak_funding.png",
        "charts/tornado_payer_cost.svg",
    ] {
        assert!(dir_out.join(f).is_file(), "{f}");
    }
    let html = std::fs::read_to_string(dir_out.join("report.html")).unwrap();
    for part in [
        "What the bad trials look like",
        "payer_cost &gt; p95",
        "Sobol",
        "unexplained (noise)",
    ] {
        assert!(html.contains(part), "{part} not in the report");
    }
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook(dir_out.join("workbook.xlsx")).unwrap();
    use calamine::Reader;
    assert_eq!(book.sheet_names(), ["Inputs", "Tail", "Sobol"]);
    let sobol = book.worksheet_range("Sobol").unwrap();
    // A header, then per metric two rows (first, total) per input and for the noise.
    assert_eq!(sobol.height(), 1 + 4 * 2 * (4 + 1));
    // A condition that does not parse is a usage error naming the flag.
    let o = crate::common::ibsim(&[
        "sensitivity",
        f.to_str().unwrap(),
        "--given",
        "payer_cost ~ 3",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        crate::common::stderr(&o).contains("--given"),
        "{}",
        crate::common::stderr(&o)
    );
}

#[test]
fn a_sharded_sobol_design_merges_into_the_unsharded_analysis_byte_for_byte() {
    use crate::common::{ibsim, stderr, tempdir};
    let dir = tempdir("sobol-shards");
    let out = |name: &str| dir.join(name).display().to_string();
    let common = [
        "sensitivity",
        "scenarios/empleando-futuro.yaml",
        "--sobol",
        "--base-samples",
        "300",
        "--resamples",
        "40",
        "--trials",
        "1000",
        "--given",
        "payer_cost > p90",
        "-q",
    ];
    let with = |extra: &[&str]| {
        let args: Vec<&str> = common.iter().chain(extra).copied().collect();
        let o = ibsim(&args);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    let whole = out("whole");
    with(&["--out", &whole]);
    // Three shards by K/N, and four through Slurm's array variables.
    let parts = out("parts");
    for k in 0..3 {
        with(&["--shard", &format!("{k}/3"), "--out", &parts]);
    }
    let slurm = out("slurm");
    for k in 0..4 {
        let o = std::process::Command::new(crate::common::bin())
            .current_dir(crate::common::root())
            .args(common)
            .args(["--shard", "auto", "--out", &slurm])
            .env("SLURM_ARRAY_TASK_ID", (10 + k).to_string())
            .env("SLURM_ARRAY_TASK_MIN", "10")
            .env("SLURM_ARRAY_TASK_COUNT", "4")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    for (from, to) in [(&parts, out("merged")), (&slurm, out("merged-slurm"))] {
        let o = ibsim(&["merge", from, "--out", &to, "-q"]);
        assert!(o.status.success(), "{}", stderr(&o));
        for file in [
            "sensitivity.json",
            "report.html",
            "charts/sobol_payer_cost.svg",
        ] {
            let read =
                |root: &str| std::fs::read(format!("{root}/empleando-futuro/{file}")).unwrap();
            assert!(read(&whole) == read(&to), "{file} of {to}");
        }
    }
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(format!("{whole}/empleando-futuro/sensitivity.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["sobol"]["base_samples"], 300);
    assert_eq!(json["tail"]["condition"], "payer_cost > p90");

    // A shard missing is named; a shard of another design is refused.
    std::fs::remove_file(format!(
        "{parts}/empleando-futuro/sobol-shard-1-of-3.ibshard"
    ))
    .unwrap();
    let o = ibsim(&["merge", &parts, "--out", &out("x")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("shard 1 of 3 missing"),
        "{}",
        stderr(&o)
    );
    let other = out("other");
    let args: Vec<&str> = common
        .iter()
        .map(|a| if *a == "300" { "200" } else { a })
        .chain(["--shard", "1/3", "--out", &other])
        .collect();
    assert!(ibsim(&args).status.success());
    let o = ibsim(&[
        "merge",
        &format!("{parts}/empleando-futuro/sobol-shard-0-of-3.ibshard"),
        &format!("{other}/empleando-futuro/sobol-shard-1-of-3.ibshard"),
        &format!("{parts}/empleando-futuro/sobol-shard-2-of-3.ibshard"),
        "--out",
        &out("y"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("another Sobol design: base_samples"),
        "{}",
        stderr(&o)
    );
    // --shard shards the Sobol design only.
    let o = ibsim(&[
        "sensitivity",
        "scenarios/empleando-futuro.yaml",
        "--shard",
        "0/2",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
