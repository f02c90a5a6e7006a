//! `ibsim check`: golden baselines of every bundled scenario, and the check's
//! own behaviour (exact and statistical modes, exit codes, --update).

use crate::common::*;

/// Every bundled scenario reproduces its golden baseline in tests/baselines/
/// exactly: one `ibsim check FOLDER --baselines tests/baselines --format
/// junit` per folder, its report read by two JUnit readers. An intended
/// change in the model's numbers is one `ibsim check scenarios --baselines
/// tests/baselines --update` away.
#[test]
fn golden_baselines_match_exactly() {
    let scenarios = bundled_scenarios();
    assert!(scenarios.len() >= 5);
    for s in &scenarios {
        let stem = s.file_stem().unwrap().to_string_lossy().into_owned();
        let baseline = root().join("tests/baselines").join(format!("{stem}.json"));
        assert!(
            baseline.exists(),
            "no golden baseline for {}: create it with `ibsim check {} --baseline {} --trials 2000 --update`",
            s.display(),
            s.display(),
            baseline.display()
        );
    }
    let mut suites = 0;
    for dir in ["scenarios", "scenarios/bench"] {
        let o = ibsim(&[
            "check",
            dir,
            "--baselines",
            "tests/baselines",
            "--format",
            "junit",
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{dir}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        let xml = stdout(&o);
        let report = junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes())).unwrap();
        assert_eq!((report.failures, report.errors), (0, 0), "{dir}");
        for suite in &report.suites {
            assert!(suite.tests > 400, "{}: {} figures", suite.name, suite.tests);
            assert!(suite.cases.iter().all(|c| c.status.is_success()));
            let mode = suite.properties.hashmap.get("mode").map(String::as_str);
            assert_eq!(mode, Some("exact"), "{}", suite.name);
        }
        suites += report.suites.len();
    }
    assert_eq!(suites, scenarios.len());
}

/// A folder of two deals, one of them with a higher placement price: its
/// baseline check fails, the other passes.
fn moved_deal(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let scen = dir.join("deals");
    let base = dir.join("baselines");
    std::fs::create_dir_all(&scen).unwrap();
    std::fs::create_dir_all(&base).unwrap();
    for name in ["agro-productivity", "empleando-futuro"] {
        let text = std::fs::read_to_string(root().join(format!("scenarios/{name}.yaml"))).unwrap();
        let text = text.replacen("price: 1480000", "price: 1530000", 1);
        std::fs::write(scen.join(format!("{name}.yaml")), text).unwrap();
        std::fs::copy(
            root().join(format!("tests/baselines/{name}.json")),
            base.join(format!("{name}.json")),
        )
        .unwrap();
    }
    (scen, base)
}

/// `ibsim check SCENARIOS --baselines BASELINES --trials 20000 EXTRA...`.
fn check_folder(
    scen: &std::path::Path,
    base: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "check",
        scen.to_str().unwrap(),
        "--baselines",
        base.to_str().unwrap(),
        "--trials",
        "20000",
    ];
    args.extend_from_slice(extra);
    ibsim(&args)
}

#[test]
fn junit_reports_each_figure_and_what_moved_for_two_readers() {
    let dir = tempdir("check-junit");
    let (scen, base) = moved_deal(&dir);
    let xml_file = dir.join("report.xml");
    let o = check_folder(
        &scen,
        &base,
        &["--format", "junit", "--output", xml_file.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // The lines for a person still go to stdout when the document has a file.
    assert!(stdout(&o).contains("FAILED") && stdout(&o).contains("1 consistent, 1 moved"));
    let xml = std::fs::read_to_string(&xml_file).unwrap();

    // junit-parser's reader.
    let report = junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes())).unwrap();
    assert_eq!(report.suites.len(), 2);
    let (agro, emp) = (&report.suites[0], &report.suites[1]);
    assert!(
        agro.name.ends_with("agro-productivity.yaml"),
        "{}",
        agro.name
    );
    assert_eq!(agro.failures, 0);
    assert!(emp.failures > 0 && emp.failures == report.failures);
    assert_eq!(emp.tests as usize, emp.cases.len());
    let failed: Vec<_> = emp.cases.iter().filter(|c| c.status.is_failure()).collect();
    assert_eq!(failed.len() as u64, emp.failures);
    let cap_hit = failed
        .iter()
        .find(|c| c.original_name == "probabilities.prob_budget_cap_hit")
        .expect("the budget cap binds more often at the higher price");
    assert_eq!(cap_hit.classname.as_deref(), Some("empleando-futuro"));
    let f = cap_hit.status.failure_as_ref();
    assert_eq!(f.failure_type, "moved");
    assert!(
        f.message.starts_with("baseline 0.5105, now ")
            && f.message.ends_with(" se (tolerance 4 se)"),
        "{}",
        f.message
    );

    // quick-junit's own reader agrees on every count.
    let q = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    assert_eq!(q.test_suites.len(), 2);
    assert_eq!(q.tests as u64, report.tests);
    assert_eq!(q.failures as u64, report.failures);
    assert_eq!(q.errors, 0);
}

#[test]
fn markdown_summarises_each_scenario_and_lists_what_moved() {
    let dir = tempdir("check-markdown");
    let (scen, base) = moved_deal(&dir);
    std::fs::remove_file(base.join("agro-productivity.json")).unwrap();
    let o = check_folder(&scen, &base, &["--format", "markdown"]);
    // One exit code for the folder; the document alone on stdout.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let md = stdout(&o);
    assert!(
        md.starts_with("### ibsim check: 0 of 2 scenarios consistent"),
        "{md}"
    );
    assert!(md.contains("| scenario | baseline | mode | figures | moved | result |"));
    assert!(md.contains("**not checked**: cannot read baseline"), "{md}");
    assert!(md.contains("statistical, 20000 trials, seed 2017 (baseline 2000 trials, seed 2017)"));
    assert!(
        md.contains("| `probabilities.prob_budget_cap_hit` | 0.5105 | "),
        "{md}"
    );
    assert!(md.contains("<details><summary>") && md.contains("--update`"));
    assert!(stderr(&o).contains("cannot read baseline") && stderr(&o).contains("FAILED"));
    assert!(
        !md.contains("FAILED"),
        "the lines for a person go to stderr"
    );

    // A folder without --baselines, a programme, and --update with a format.
    let o = ibsim(&["check", scen.to_str().unwrap(), "--baseline", "x.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--baselines FOLDER"), "{}", stderr(&o));
    let o = ibsim(&[
        "check",
        "scenarios/programmes/por-mas.yaml",
        "--baselines",
        base.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("a programme"), "{}", stderr(&o));
    let o = ibsim(&[
        "check",
        scen.to_str().unwrap(),
        "--baselines",
        base.to_str().unwrap(),
        "--update",
        "--format",
        "junit",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn check_reports_what_moved_and_updates_on_request() {
    let dir = tempdir("check");
    let text =
        std::fs::read_to_string(root().join("scenarios/bucaramanga-employment.yaml")).unwrap();
    let scenario = write(&dir, "deal.yaml", &text);
    let baseline = dir.join("deal.json");
    let (s, b) = (scenario.to_str().unwrap(), baseline.to_str().unwrap());

    // No baseline yet: a usage error that says how to make one; --update makes it.
    let o = ibsim(&["check", s, "--baseline", b, "--trials", "3000"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--update"), "{}", stderr(&o));
    let o = ibsim(&["check", s, "--baseline", b, "--trials", "3000", "--update"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_eq!(stored["trials"], 3000);
    assert_eq!(stored["scenario"]["file"], "deal.yaml");
    assert!(
        std::fs::read_dir(&dir).unwrap().count() == 2,
        "no temporary files left behind"
    );

    // Same seed and trials: exact, consistent.
    let o = ibsim(&["check", s, "--baseline", b]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("exact mode"));

    // Another seed and trial count: statistical, consistent.
    let o = ibsim(&[
        "check",
        s,
        "--baseline",
        b,
        "--seed",
        "5",
        "--trials",
        "12000",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("statistical mode"));

    // The placement price up by 10%: the exact mode names the first keys that moved,
    // and the statistical mode sees it too, in standard errors.
    let changed = text.replacen("price: 2200000", "price: 2420000", 1);
    assert_ne!(changed, text, "the test edits the placement price");
    write(&dir, "deal.yaml", &changed);
    let o = ibsim(&["check", s, "--baseline", b]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("FAILED") && out.contains("metrics.payer_cost.mean"),
        "{out}"
    );
    assert!(out.contains("--update"), "{out}");
    let o = ibsim(&[
        "check",
        s,
        "--baseline",
        b,
        "--seed",
        "5",
        "--trials",
        "12000",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    let moved: Vec<f64> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("metrics."))
        .filter_map(|l| l.split_whitespace().last()?.parse::<f64>().ok())
        .collect();
    assert!(moved.iter().any(|z| z.abs() > 4.0), "{out}");

    // Usage errors: not JSON, not a summary, a bad --sigma.
    let junk = write(&dir, "junk.json", "{ not json");
    let o = ibsim(&["check", s, "--baseline", junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let other = write(&dir, "other.json", "{\"a\": 1}");
    let o = ibsim(&["check", s, "--baseline", other.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not an ibsim summary.json"));
    let o = ibsim(&["check", s, "--baseline", b, "--sigma", "0"]);
    assert_eq!(o.status.code(), Some(2));
}
