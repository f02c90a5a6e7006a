//! Hostile input, oversized runs, interrupted runs and output folders
//! driven through the real binary.

use crate::common::*;

use std::path::Path;

/// A small valid scenario to edit.
const SMALL: &str = "\
name: Small deal
currency: USD
horizon_months: 24
cohorts:
  - {name: c1, start_month: 0, size: 100}
outcomes:
  - {id: job, rate: {beta: {mean: 0.5, sd: 0.1}}, lag_months: 3, price: 1000}
costs: {upfront: 20000}
simulation: {trials: 2000, seed: 1}
";

/// Runs `ibsim validate` on `text`; returns (exit code, stderr).
fn validate_text(dir: &Path, name: &str, text: &[u8]) -> (Option<i32>, String) {
    let p = dir.join(format!("{name}.yaml"));
    std::fs::write(&p, text).unwrap();
    let o = ibsim(&["validate", p.to_str().unwrap()]);
    (o.status.code(), stderr(&o))
}

#[test]
fn hostile_values_are_refused_with_a_path_and_the_limit() {
    let dir = tempdir("hostile-values");
    let outcomes: String = (0..10_000)
        .map(|i| format!("  - {{id: o{i}, rate: 0.5, price: 1}}\n"))
        .collect();
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "1e15 participants",
            SMALL.replace("size: 100}", "size: 1e15}"),
            "cohorts[0].size",
            "1e9",
        ),
        (
            "a size distribution reaching 1e15",
            SMALL.replace("size: 100}", "size: {uniform: {min: 1e14, max: 1e15}}}"),
            "cohorts[0].size",
            "1e9",
        ),
        (
            "101 years",
            SMALL.replace("horizon_months: 24", "horizon_months: 1212"),
            "horizon_months",
            "1 to 1200 months",
        ),
        (
            "10,000 outcomes",
            SMALL.replace(
                "  - {id: job, rate: {beta: {mean: 0.5, sd: 0.1}}, lag_months: 3, price: 1000}\n",
                &outcomes,
            ),
            "outcomes",
            "at most 1000",
        ),
        (
            "NaN price",
            SMALL.replace("price: 1000", "price: .nan"),
            "outcomes[0].price",
            "finite",
        ),
        (
            "infinite cost",
            SMALL.replace("upfront: 20000", "upfront: .inf"),
            "costs.upfront",
            "finite",
        ),
        (
            "an amount beyond 1e18",
            SMALL.replace("price: 1000", "price: 1e300"),
            "outcomes[0].price",
            "too large",
        ),
        (
            "a state of 1e9 counts",
            SMALL
                .replace(
                    "cohorts:\n  - {name: c1, start_month: 0, size: 100}",
                    "enrolment: {cohorts: 10000, every_months: 1, size: 100}",
                )
                .replace(
                    "lag_months: 3",
                    "lag_months: {uniform: {min: 0, max: 1100}}",
                ),
            "outcomes",
            "counts",
        ),
    ];
    for (what, text, path, needle) in cases {
        let (code, err) = validate_text(&dir, "case", text.as_bytes());
        assert_eq!(code, Some(1), "{what}: {err}");
        assert!(
            err.lines()
                .any(|l| l.contains(&format!(": {path}: ")) && l.contains(needle)),
            "{what}: expected `{path}` and `{needle}` in: {}",
            err.lines().take(5).collect::<Vec<_>>().join("\n")
        );
        assert!(!err.contains("panicked"), "{what}: {err}");
    }
    // Non-UTF-8 bytes: one line, exit 1.
    let mut bytes = SMALL.as_bytes().to_vec();
    bytes.extend_from_slice(b"description: \xff\xfe\x80\n");
    let (code, err) = validate_text(&dir, "latin1", &bytes);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("UTF-8") && !err.contains("panicked"), "{err}");
}

#[test]
fn a_100_year_horizon_runs() {
    let dir = tempdir("century");
    let text = SMALL
        .replace("horizon_months: 24", "horizon_months: 1200")
        .replace("start_month: 0", "start_month: 1100");
    let f = write(&dir, "century.yaml", &text);
    let out = dir.join("out");
    let o = ibsim(&[
        "run",
        f.to_str().unwrap(),
        "--trials",
        "200",
        "--no-report",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn runs_estimated_to_take_hours_need_force() {
    let dir = tempdir("force");
    let f = write(&dir, "deal.yaml", SMALL);
    let out = dir.join("out");
    // A billion trials of a one-cohort deal: hours, or more memory than the machine has.
    let o = ibsim(&[
        "run",
        f.to_str().unwrap(),
        "--trials",
        "1000000000",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        (err.contains("--force") && err.contains("hours")) || err.contains("--shard"),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
    // A sweep multiplies the work by its points.
    let o = ibsim(&[
        "sweep",
        f.to_str().unwrap(),
        "--vary",
        "outcomes.job.price=500..1500:5000",
        "--trials",
        "1000000",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn an_interrupted_run_leaves_nothing_and_exits_130() {
    let dir = tempdir("sigint");
    let text = std::fs::read_to_string(root().join("scenarios/bench/reference.yaml")).unwrap();
    let f = write(&dir, "reference.yaml", &text);
    let out = dir.join("out");
    // A previous run's outputs stay as they were.
    let o = ibsim(&[
        "run",
        f.to_str().unwrap(),
        "--trials",
        "1000",
        "-q",
        "--no-report",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before = std::fs::read(out.join("reference/summary.json")).unwrap();
    let child = std::process::Command::new(bin())
        .args([
            "run",
            f.to_str().unwrap(),
            "--trials",
            "5000000",
            "--threads",
            "1",
            "--out",
            out.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(out.join("reference/summary.json")).unwrap(),
        before
    );
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["reference".to_string()], "no staging left");
    let inside: Vec<String> = std::fs::read_dir(out.join("reference"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp") || n.contains("staging"))
        .collect();
    assert!(inside.is_empty(), "{inside:?}");
}

#[test]
fn another_scenarios_output_folder_is_not_overwritten_without_replace() {
    let dir = tempdir("foreign");
    let a = write(&dir, "deal.yaml", SMALL);
    let other = dir.join("other");
    std::fs::create_dir_all(&other).unwrap();
    let b = write(
        &other,
        "deal.yaml",
        &SMALL.replace("name: Small deal", "name: Another deal"),
    );
    let out = dir.join("out");
    let run = |f: &Path, extra: &[&str]| {
        let mut args = vec![
            "run",
            f.to_str().unwrap(),
            "--trials",
            "500",
            "-q",
            "--no-report",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        ibsim(&args)
    };
    assert_eq!(run(&a, &[]).status.code(), Some(0));
    // The same scenario again (even edited): replaced in place.
    std::fs::write(&a, SMALL.replace("price: 1000", "price: 1100")).unwrap();
    assert_eq!(run(&a, &[]).status.code(), Some(0));
    // Another scenario with the same file name: refused, also with --force
    // (which only allows long runs), then replaced with --replace.
    for extra in [&[][..], &["--force"][..]] {
        let o = run(&b, extra);
        assert_eq!(o.status.code(), Some(1));
        assert!(
            stderr(&o).contains("another scenario") && stderr(&o).contains("--replace"),
            "{}",
            stderr(&o)
        );
    }
    let summary = std::fs::read_to_string(out.join("deal/summary.json")).unwrap();
    assert!(summary.contains("Small deal"));
    let o = run(&b, &["--replace"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary = std::fs::read_to_string(out.join("deal/summary.json")).unwrap();
    assert!(summary.contains("Another deal"));
    // A folder of the user's own files is not ibsim's to replace.
    let mine = out.join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep").unwrap();
    let m = write(&dir, "mine.yaml", SMALL);
    for extra in [&[][..], &["--replace"][..], &["--force", "--replace"][..]] {
        let o = run(&m, extra);
        assert_eq!(o.status.code(), Some(1));
        assert!(
            stderr(&o).contains("files ibsim did not write (such as notes.txt)"),
            "{}",
            stderr(&o)
        );
        assert!(mine.join("notes.txt").exists());
    }
    // Analyses share the scenario's folder with its run.
    let o = ibsim(&[
        "sweep",
        a.to_str().unwrap(),
        "--vary",
        "outcomes.job.price=900..1100:3",
        "--trials",
        "300",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "the folder is b's now");
    let o = ibsim(&[
        "sweep",
        b.to_str().unwrap(),
        "--vary",
        "outcomes.job.price=900..1100:3",
        "--trials",
        "300",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.join("deal/summary.json").exists() && out.join("deal/sweep.json").exists());
}

#[test]
fn output_folder_names_come_from_the_file_name_only() {
    let dir = tempdir("names");
    // A scenario whose file name has spaces and whose content names
    // tranches and payers with slashes: nothing lands outside --out.
    let text = SMALL.replace(
        "costs:",
        "payment:\n  payers: [{name: \"/evil/payer\", share: 1}]\nfinance:\n  tranches: [{name: \"/tmp/x\", share: 1}]\ncosts:",
    );
    let f = write(&dir, "my deal (v2).yaml", &text);
    let out = dir.join("out");
    let o = ibsim(&[
        "run",
        f.to_str().unwrap(),
        "--trials",
        "300",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["my_deal__v2_".to_string()]);
    assert!(!dir.join("evil").exists());
}
