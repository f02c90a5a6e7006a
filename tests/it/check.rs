//! `ibsim check`: golden baselines of every bundled scenario, and the check's
//! own behaviour (exact and statistical modes, exit codes, --update).

use crate::common::*;

/// Every bundled scenario reproduces its golden baseline in tests/baselines/
/// exactly. An intended change in the model's numbers is one
/// `ibsim check SCENARIO --baseline tests/baselines/NAME.json --update` away.
#[test]
fn golden_baselines_match_exactly() {
    let scenarios = bundled_scenarios();
    assert!(scenarios.len() >= 5);
    for s in scenarios {
        let stem = s.file_stem().unwrap().to_string_lossy().into_owned();
        let baseline = root().join("tests/baselines").join(format!("{stem}.json"));
        assert!(
            baseline.exists(),
            "no golden baseline for {}: create it with `ibsim check {} --baseline {} --trials 2000 --update`",
            s.display(),
            s.display(),
            baseline.display()
        );
        let o = ibsim(&[
            "check",
            s.to_str().unwrap(),
            "--baseline",
            baseline.to_str().unwrap(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}: {}{}",
            s.display(),
            stdout(&o),
            stderr(&o)
        );
        assert!(stdout(&o).contains("exact mode"), "{}", stdout(&o));
    }
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
