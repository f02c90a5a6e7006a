//! `ibsim run` through the real binary.

use crate::common::*;

#[test]
fn run_writes_summary_with_spec_keys_identical_across_threads() {
    let dir = tempdir("run");
    let mut texts = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.join(format!("t{threads}"));
        let o = ibsim(&[
            "run",
            "scenarios/bucaramanga-employment.yaml",
            "--trials",
            "3000",
            "--threads",
            threads,
            "--out",
            out.to_str().unwrap(),
            "--save-trials",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stdout(&o).contains("Investor IRR"), "{}", stdout(&o));
        assert!(
            stdout(&o).contains("COP "),
            "amounts in the scenario currency"
        );
        let d = out.join("bucaramanga-employment");
        texts.push(std::fs::read_to_string(d.join("summary.json")).unwrap());
        let run: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("run.json")).unwrap()).unwrap();
        assert_eq!(run["threads"], threads.parse::<u64>().unwrap());
        let csv = std::fs::read_to_string(d.join("trials.csv")).unwrap();
        assert_eq!(csv.lines().count(), 3001);
        assert!(
            !d.read_dir().unwrap().any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".tmp"))
        );
    }
    assert_eq!(
        texts[0], texts[1],
        "summary.json must not depend on the thread count"
    );
    let s: serde_json::Value = serde_json::from_str(&texts[0]).unwrap();
    for k in [
        "scenario",
        "trials",
        "seed",
        "sampling",
        "metrics",
        "probabilities",
        "tail",
        "capital_needed",
        "risk_sharing",
    ] {
        assert!(s.get(k).is_some(), "missing {k}");
    }
    for k in ["name", "file", "sha256", "currency"] {
        assert!(s["scenario"].get(k).is_some(), "missing scenario.{k}");
    }
    let irr = &s["metrics"]["investor_irr"];
    for k in [
        "mean", "sd", "se", "min", "max", "p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95",
        "p99", "nan",
    ] {
        assert!(irr.get(k).is_some(), "missing investor_irr.{k}");
    }
    for k in [
        "prob_loss",
        "prob_below_hurdle",
        "prob_funding_gap",
        "prob_budget_cap_hit",
        "prob_guarantee_called",
        "prob_tranche_loss.senior",
    ] {
        assert!(
            s["probabilities"][k].get("value").is_some()
                && s["probabilities"][k].get("se").is_some(),
            "{k}"
        );
    }
    assert_eq!(s["risk_sharing"]["deciles"].as_array().unwrap().len(), 10);
    for k in ["p90", "p95", "p99"] {
        assert!(s["capital_needed"][k].is_number());
    }
    assert_eq!(s["scenario"]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn run_rejects_invalid_scenarios_and_bad_usage() {
    let dir = tempdir("run-bad");
    let text = std::fs::read_to_string(root().join("scenarios/empleando-futuro.yaml")).unwrap();
    let f = write(
        &dir,
        "bad.yaml",
        &text.replace("currency: COP", "currency: usd"),
    );
    let o = ibsim(&["run", f.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("currency"));
    assert_eq!(
        ibsim(&["run", "scenarios/empleando-futuro.yaml", "--trials", "zero"])
            .status
            .code(),
        Some(2)
    );
    let o = ibsim(&[
        "run",
        "scenarios/empleando-futuro.yaml",
        "--trials",
        "0",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn until_se_watches_probabilities_and_percentiles() {
    let dir = tempdir("until-se-prob");
    let run = |spec: &str, out: &str| {
        let o = ibsim(&[
            "run",
            "scenarios/empleando-futuro.yaml",
            "--until-se",
            spec,
            "--trials",
            "64000",
            "--out",
            dir.join(out).to_str().unwrap(),
            "--no-report",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stderr(&o).contains("reached with"), "{}", stderr(&o));
        let s: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(out).join("empleando-futuro/summary.json")).unwrap(),
        )
        .unwrap();
        s
    };
    // A probability: summary.json's standard error of it is within the target,
    // and the pass before (half the trials) was not.
    let s = run("prob_loss=0.002", "p");
    let n = s["trials"].as_u64().unwrap();
    let se = s["probabilities"]["prob_loss"]["se"].as_f64().unwrap();
    let p = s["probabilities"]["prob_loss"]["value"].as_f64().unwrap();
    assert!(se <= 0.002, "{se}");
    assert!(n > 1000, "{n}");
    let half = (p * (1.0 - p) / (n / 2) as f64).sqrt();
    assert!(
        half > 0.002 * 0.9,
        "the pass of {} trials had se about {half}",
        n / 2
    );
    // A percentile: its standard error (order statistics) within the target.
    let s = run("payer_cost.p95=2000000", "q");
    let n = s["trials"].as_u64().unwrap();
    assert!(n >= 1000, "{n}");
    // Unknown figures name what is expected.
    let o = ibsim(&[
        "run",
        "scenarios/empleando-futuro.yaml",
        "--until-se",
        "prob_nothing=0.01",
        "--out",
        dir.join("x").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("a percentile such as payer_cost.p95"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn until_se_stops_deterministically_and_equals_a_plain_run() {
    let dir = tempdir("until-se");
    let a = dir.join("a");
    let o = ibsim(&[
        "run",
        "scenarios/empleando-futuro.yaml",
        "--until-se",
        "investor_irr=0.002",
        "--trials",
        "64000",
        "--out",
        a.to_str().unwrap(),
        "--no-report",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let msg = stderr(&o);
    assert!(msg.contains("reached with"), "{msg}");
    let s: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(a.join("empleando-futuro/summary.json")).unwrap(),
    )
    .unwrap();
    let n = s["trials"].as_u64().unwrap();
    assert!(s["metrics"]["investor_irr"]["se"].as_f64().unwrap() <= 0.002);
    assert!(
        n.is_power_of_two() || n.is_multiple_of(1000),
        "doubling from 1,000: {n}"
    );
    // The same arguments give the same result, equal to a plain run of that many trials.
    let b = dir.join("b");
    let o = ibsim(&[
        "run",
        "scenarios/empleando-futuro.yaml",
        "--trials",
        &n.to_string(),
        "--out",
        b.to_str().unwrap(),
        "--no-report",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let read = |d: &std::path::Path| {
        std::fs::read_to_string(d.join("empleando-futuro/summary.json")).unwrap()
    };
    assert_eq!(read(&a), read(&b));
    // A ceiling below what the target needs stops at the ceiling and says so.
    let c = dir.join("c");
    let o = ibsim(&[
        "run",
        "scenarios/empleando-futuro.yaml",
        "--until-se",
        "investor_irr=0.00001",
        "--trials",
        "3000",
        "--out",
        c.to_str().unwrap(),
        "--no-report",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains("after the maximum of 3000 trials"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        ibsim(&[
            "run",
            "scenarios/empleando-futuro.yaml",
            "--until-se",
            "irr=0.1"
        ])
        .status
        .code(),
        Some(2)
    );
}

/// The README's "Reading the output of `ibsim run`" example is what the
/// README's first command prints (so a value-breaking change that forgets
/// the README fails here).
#[test]
fn readme_output_example_is_what_run_prints() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let section = readme
        .split("## Reading the output of `ibsim run`")
        .nth(1)
        .expect("README has the section");
    let example = section
        .split("```")
        .nth(1)
        .expect("a code block")
        .trim_start_matches('\n');
    let dir = tempdir("readme");
    let o = ibsim(&[
        "run",
        "scenarios/bucaramanga-employment.yaml",
        "--no-report",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let printed: String = stdout(&o)
        .lines()
        .take_while(|l| !l.trim_start().starts_with("wrote "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(printed, example, "update the README's example table");
    assert!(!printed.contains("Unpaid after the horizon"), "{printed}");
}

/// Successes paid after the horizon show in the table, per outcome, with
/// the counts of `summary.json`.
#[test]
fn run_reports_outcomes_unpaid_after_the_horizon() {
    let dir = tempdir("unpaid");
    let o = ibsim(&[
        "run",
        "scenarios/barranquilla-bilingual.yaml",
        "--trials",
        "2000",
        "--no-report",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("barranquilla-bilingual/summary.json")).unwrap(),
    )
    .unwrap();
    let mean = |k: &str| s["metrics"][k]["mean"].as_f64().unwrap();
    let (unpaid, drawn) = (
        mean("unpaid_after_horizon.certified_b1"),
        mean("outcome.certified_b1"),
    );
    // The last of 8 identical cohorts (month 42) is certified after month
    // 48: exactly 1/8 in expectation (the ratio's standard error at 2,000
    // trials is below 0.001).
    assert!((unpaid / drawn - 0.125).abs() < 0.01, "{unpaid} of {drawn}");
    let line = stdout(&o)
        .lines()
        .find(|l| l.contains("Unpaid after the horizon"))
        .unwrap_or_else(|| panic!("{}", stdout(&o)))
        .to_owned();
    let count = |x: f64| {
        let d = format!("{:.0}", x);
        let mut out = String::new();
        for (i, c) in d.chars().enumerate() {
            if i > 0 && (d.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    assert!(
        line.contains(&format!(
            "certified_b1 {} of {} ({:.1}%)",
            count(unpaid),
            count(drawn),
            100.0 * unpaid / drawn
        )),
        "{line}"
    );
    assert!(line.contains("course_completed "), "{line}");
}
