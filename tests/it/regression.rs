//! One test per defect found by using ibsim carelessly or with hostile
//! intent (ripgrep's `tests/regression.rs` style): each reproduces the
//! defect and checks what ibsim now does instead.

use crate::common::*;

/// A small valid scenario; cases add or change a line of it.
const BASE: &str = "name: t
currency: USD
horizon_months: 12
enrolment:
  cohorts: 1
  size: 10
outcomes:
  - {id: a, rate: 0.5, price: 10}
";

/// `ibsim validate` of `text`: (exit code, stdout, stderr).
fn validate(name: &str, text: &str) -> (Option<i32>, String, String) {
    let dir = tempdir(&format!("regression-{name}"));
    let f = write(&dir, "deal.yaml", text);
    let o = ibsim(&["validate", f.to_str().unwrap()]);
    (o.status.code(), stdout(&o), stderr(&o))
}

/// Input that must be refused: (case, scenario text, `line:` or `line:col:`
/// prefix expected after the file name, field path, part of the message).
const REFUSED: &[(&str, &str, &str, &str, &str)] = &[
    // YAML 1.2 core schema: a quoted `true` is text, not a boolean.
    (
        "quoted true",
        "finance: {recycling: \"true\"}\n",
        "9:",
        "finance.recycling",
        "expected a boolean (true or false), found the text \"true\"",
    ),
    (
        "single-quoted false",
        "finance: {recycling: 'false'}\n",
        "9:",
        "finance.recycling",
        "found the text 'false'",
    ),
    (
        "quoted TRUE",
        "finance:\n  recycling: \"TRUE\"\n",
        "10:",
        "finance.recycling",
        "write it without quotes",
    ),
    (
        "quoted number",
        "payment: {budget_cap: \"1000\"}\n",
        "9:",
        "payment.budget_cap",
        "expected a number, found the text \"1000\"",
    ),
    (
        "quoted whole number",
        "simulation: {seed: \"12\"}\n",
        "9:",
        "simulation.seed",
        "expected a whole number, found the text \"12\"",
    ),
    // YAML 1.1 integers.
    (
        "underscores",
        "simulation: {seed: 1_500}\n",
        "9:",
        "simulation.seed",
        "`1_500` is not a decimal number",
    ),
    (
        "binary",
        "simulation: {trials: 0b101}\n",
        "9:",
        "simulation.trials",
        "`0b101` is not a decimal number",
    ),
    (
        "binary size",
        "cohorts: [{name: c, start_month: 0, size: 0b101}]\n",
        "9:",
        "cohorts[0].size",
        "not a decimal number",
    ),
    // Messages that name the number as written.
    (
        "seed beyond 64 bits",
        "simulation: {seed: 18446744073709551616}\n",
        "9:",
        "simulation.seed",
        "`18446744073709551616` is too large for a whole number",
    ),
];

#[test]
fn yaml_core_schema_and_plain_messages() {
    for (case, extra, at, path, message) in REFUSED {
        let (code, _, err) = validate("core", &format!("{BASE}{extra}"));
        assert_eq!(code, Some(1), "{case}: {err}");
        assert!(
            err.contains(&format!("deal.yaml:{at}")) && err.contains(&format!("{path}: ")),
            "{case}: expected line {at} and path {path}: {err}"
        );
        assert!(err.contains(message), "{case}: {err}");
    }
    // Plain YAML 1.2 numbers and booleans still read.
    let fine = format!(
        "{BASE}payment: {{budget_cap: +12.5e3, evaluation_cost: .5}}\nfinance: {{recycling: true}}\nsimulation: {{seed: 0012}}\n"
    );
    let (code, _, err) = validate("core-fine", &fine);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn rate_and_tier_messages_say_what_is_wrong() {
    let text = "name: t
currency: USD
horizon_months: 12
enrolment: {cohorts: 1, size: 10}
outcomes:
  - {id: a, rate: 1.0000001, price: {tiers: [{up_to: -5, price: 1}, {price: 2}]}}
";
    let (code, _, err) = validate("rate", text);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("outcomes[0].rate: rate 1.0000001 is outside [0, 1]"),
        "{err}"
    );
    assert!(
        err.contains("outcomes[0].price.tiers[0].up_to: up_to -5 must be at least 1"),
        "{err}"
    );
}

#[test]
fn duplicate_keys_name_their_field_path() {
    for (case, text, path, line) in [
        (
            "enrolment",
            "name: t\ncurrency: USD\nhorizon_months: 12\nenrolment:\n  cohorts: 1\n  size: 10\n  size: 11\noutcomes:\n  - {id: a, rate: 0.5, price: 10}\n",
            "enrolment.size",
            7,
        ),
        (
            "an outcome",
            "name: t\ncurrency: USD\nhorizon_months: 12\nenrolment: {cohorts: 1, size: 10}\noutcomes:\n  - id: a\n    rate: 0.5\n    price: 10\n    rate: 0.6\n",
            "outcomes[0].rate",
            9,
        ),
        (
            "a distribution",
            "name: t\ncurrency: USD\nhorizon_months: 12\nenrolment: {cohorts: 1, size: 10}\noutcomes:\n  - id: a\n    rate:\n      beta: {mean: 0.5, sd: 0.1, sd: 0.2}\n    price: 10\n",
            "outcomes[0].rate.beta.sd",
            8,
        ),
        (
            "rate_multiplier",
            "name: t\ncurrency: USD\nhorizon_months: 12\nenrolment: {cohorts: 1, size: 10}\noutcomes:\n  - {id: a, rate: 0.5, price: 10}\nshocks:\n  - name: s\n    probability: 0.1\n    rate_multiplier: {a: 0.5, a: 0.6}\n",
            "shocks[0].rate_multiplier.a",
            10,
        ),
    ] {
        let (code, _, err) = validate("dup", text);
        assert_eq!(code, Some(1), "{case}: {err}");
        assert!(
            err.contains(&format!("deal.yaml:{line}:"))
                && err.contains(&format!("{path}: duplicate key")),
            "{case}: {err}"
        );
    }
}

#[test]
fn yaml_structure_errors_point_at_the_cause() {
    // A tab in the indentation, on line 6.
    let (code, _, err) = validate(
        "tab",
        "name: t\ncurrency: USD\nhorizon_months: 12\nenrolment:\n  cohorts: 1\n\tsize: 10\n",
    );
    assert_eq!(code, Some(1));
    assert!(
        err.contains("deal.yaml:6: a tab in the indentation"),
        "{err}"
    );
    // A second document.
    let (code, _, err) = validate("two", &format!("{BASE}---\nname: x\n"));
    assert_eq!(code, Some(1));
    assert!(
        err.contains("deal.yaml:9:1: a second YAML document starts here"),
        "{err}"
    );
    assert!(!err.contains("from_str_multiple"), "{err}");
    // Only comments.
    let (code, _, err) = validate("comments", "# a deal\n\n# to come\n");
    assert_eq!(code, Some(1));
    assert!(err.contains("only comments and blank lines"), "{err}");
    assert!(!err.contains("unexpected end of input"), "{err}");
}

#[test]
fn names_and_labels_have_a_sensible_length() {
    let long = "x".repeat(40_000);
    for (case, text, path) in [
        (
            "deal name",
            BASE.replacen("name: t", &format!("name: {long}"), 1),
            "name",
        ),
        (
            "tranche name",
            format!("{BASE}finance: {{tranches: [{{name: {long}, share: 1}}]}}\n"),
            "finance.tranches[0].name",
        ),
        (
            "label",
            BASE.replacen("{id: a,", &format!("{{id: a, label: {long},"), 1),
            "outcomes[0].label",
        ),
    ] {
        let (code, _, err) = validate("long", &text);
        assert_eq!(code, Some(1), "{case}");
        assert!(
            err.contains(&format!("{path}: 40000 characters long")),
            "{case}: {}",
            &err[..err.len().min(300)]
        );
    }
}

#[test]
fn names_in_decomposed_unicode_are_the_same_names() {
    // `Fondo de cooperación` with a combining accent in `paid_by`, composed
    // in `payers`: the same payer.
    let nfd = "Fondo de cooperacio\u{301}n";
    let nfc = "Fondo de cooperación";
    let text = format!(
        "{}payment:\n  payers:\n    - {{name: {nfc}, share: 0.5}}\n    - {{name: City, share: 0.5}}\n",
        BASE.replacen("price: 10}", &format!("price: 10, paid_by: [{nfd}]}}"), 1)
    );
    let (code, _, err) = validate("nfd", &text);
    assert_eq!(code, Some(0), "{err}");
    // And two payers that differ only in how an accent is written are one name twice.
    let text = format!(
        "{BASE}payment:\n  payers:\n    - {{name: {nfc}, share: 0.5}}\n    - {{name: {nfd}, share: 0.5}}\n"
    );
    let (code, _, err) = validate("nfd-twice", &text);
    assert_eq!(code, Some(1));
    assert!(err.contains("duplicate payer name"), "{err}");
}

#[test]
fn a_normal_size_that_reaches_above_the_limit_is_refused() {
    let text = BASE.replacen(
        "size: 10",
        "size: {normal: {mean: 900000000, sd: 100000000}}",
        1,
    );
    let (code, _, err) = validate("normal-size", &text);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("enrolment.size: a cohort size goes up to 1e9; this normal reaches"),
        "{err}"
    );
    // With a `max` within the limit it reads.
    let text = BASE.replacen(
        "size: 10",
        "size: {normal: {mean: 900000000, sd: 100000000, min: 0, max: 1000000000}}",
        1,
    );
    assert_eq!(validate("normal-size-max", &text).0, Some(0));
}

#[test]
fn valid_but_suspicious_scenarios_get_warnings() {
    for (case, text, path, message) in [
        (
            "every payment after the horizon",
            BASE.replacen("price: 10}", "price: 10, lag_months: 12}", 1),
            "outcomes[0].lag_months",
            "paid at or after the horizon",
        ),
        (
            "budget cap 0",
            format!("{BASE}payment: {{budget_cap: 0}}\n"),
            "payment.budget_cap",
            "pay nothing",
        ),
        (
            "shock after the last cohort",
            format!(
                "{BASE}shocks: [{{name: s, probability: 0.1, from_month: 20, rate_multiplier: {{a: 0.5}}}}]\n"
            ),
            "shocks[0].from_month",
            "it affects none",
        ),
        (
            "correlation with a constant rate",
            format!(
                "{}correlations: [{{between: [a, b], rho: 0.3}}]\n",
                BASE.replacen(
                    "  - {id: a, rate: 0.5, price: 10}\n",
                    "  - {id: a, rate: 0.5, price: 10}\n  - {id: b, rate: {beta: {mean: 0.5, sd: 0.1}}, price: 10}\n",
                    1
                )
            ),
            "correlations[0].between",
            "the rate of `a` is a constant",
        ),
    ] {
        let (code, out, err) = validate("warn", &text);
        assert_eq!(code, Some(0), "{case}: {err}");
        assert!(out.contains("ok: "), "{case}");
        assert!(
            err.contains("warning: ") && err.contains(&format!("{path}: ")) && err.contains(message),
            "{case}: {err}"
        );
    }
    // The bundled scenarios have none.
    let mut args = vec!["validate".to_owned()];
    args.extend(bundled_scenarios().iter().map(|p| p.display().to_string()));
    let o = ibsim(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
}

/// Runs `ibsim ARGS` and waits at most `secs` seconds (then kills it):
/// (exit code, stderr); None for the code when it had to be killed. With
/// `feed`, stdin is fed `feed` over and over until ibsim stops reading.
fn bounded(args: &[&str], feed: Option<&'static [u8]>, secs: u64) -> (Option<i32>, String) {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(root())
        .env("CI", "1")
        .stdin(if feed.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let (Some(bytes), Some(mut stdin)) = (feed, child.stdin.take()) {
        std::thread::spawn(move || while stdin.write_all(bytes).is_ok() {});
    }
    let start = std::time::Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if start.elapsed().as_secs() >= secs {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    (code, err)
}

#[test]
fn endless_inputs_are_read_only_up_to_their_limit() {
    // A device, a pipe fed forever and a device given as a shard: each ends
    // at once with its limit, instead of reading until memory runs out.
    let (code, err) = bounded(&["validate", "/dev/zero"], None, 30);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("more than the 16777216-byte limit"), "{err}");
    let (code, err) = bounded(&["validate", "/dev/stdin"], Some(b"a: b\n"), 30);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("more than the 16777216-byte limit"), "{err}");
    let (code, err) = bounded(&["merge", "/dev/zero"], None, 30);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("not an ibsim shard file"), "{err}");
    let (code, err) = bounded(
        &[
            "check",
            "scenarios/bench/reference.yaml",
            "--baseline",
            "/dev/zero",
        ],
        None,
        60,
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("byte limit"), "{err}");
}

#[test]
fn command_line_values_are_bounded() {
    let s = "scenarios/empleando-futuro.yaml";
    // solve's tolerance: 0 never ended, NaN skipped the bisection.
    for tol in ["0", "1e-300", "nan", "inf", "1", "-1e-3"] {
        let (code, err) = bounded(
            &[
                "solve",
                s,
                "--vary",
                "outcomes.placement.price=1e6..2e6",
                "--target",
                "prob(investor_net < 0) <= 0.1",
                "--trials",
                "100",
                &format!("--tol={tol}"),
            ],
            None,
            60,
        );
        assert_eq!(code, Some(2), "--tol {tol}: {err}");
        assert!(err.contains("--tol"), "{err}");
    }
    // Threads: 20,000 panicked while starting them.
    for threads in ["0", "1025", "20000"] {
        let (code, err) = bounded(
            &["run", s, "--threads", threads, "--trials", "100"],
            None,
            60,
        );
        assert_eq!(code, Some(2), "--threads {threads}: {err}");
        assert!(err.contains("from 1 to 1024"), "{err}");
    }
    // sweep: the same value twice (by id and by position) is no grid.
    let dir = tempdir("dead-axis");
    for second in ["outcomes.placement.price", "outcomes.0.price"] {
        let (code, err) = bounded(
            &[
                "sweep",
                s,
                "--vary",
                "outcomes.placement.price=1e6..2e6:3",
                "--vary",
                &format!("{second}=1e6..2e6:3"),
                "--trials",
                "100",
                "--out",
                dir.to_str().unwrap(),
            ],
            None,
            60,
        );
        assert_eq!(code, Some(2), "{second}: {err}");
        assert!(err.contains("name the same value"), "{err}");
    }
}

/// `ibsim run` of `scenario` into `out` with `extra` flags.
fn run_into(
    scenario: &std::path::Path,
    out: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "run",
        scenario.to_str().unwrap(),
        "--trials",
        "300",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ibsim(&args)
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(e.path()).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_run_leaves_exactly_its_own_files() {
    let dir = tempdir("own-files");
    let s = write(&dir, "deal.yaml", BASE);
    let out = dir.join("out");
    assert_eq!(
        run_into(&s, &out, &["--save-trials"]).status.code(),
        Some(0)
    );
    let d = out.join("deal");
    assert!(d.join("report.html").exists() && d.join("trials.csv").exists());
    // A sweep of the same scenario shares the folder.
    let o = ibsim(&[
        "sweep",
        s.to_str().unwrap(),
        "--vary",
        "outcomes.a.price=5..15:2",
        "--trials",
        "200",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Another seed without reports: no old report, workbook, charts or trials.
    let o = run_into(&s, &out, &["--seed", "9", "--no-report", "--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut files: Vec<String> = snapshot(&d).into_iter().map(|(f, _)| f).collect();
    files.sort();
    assert_eq!(
        files,
        [
            ".ibsim.json",
            "charts/sweep.png",
            "charts/sweep.svg",
            "run.json",
            "summary.json",
            "sweep.csv",
            "sweep.json"
        ]
    );
    let summary = std::fs::read_to_string(d.join("summary.json")).unwrap();
    assert!(summary.contains("\"seed\": 9"), "{summary}");
}

#[test]
fn a_file_that_cannot_be_placed_leaves_the_old_folder_whole() {
    let dir = tempdir("whole");
    let s = write(&dir, "deal.yaml", BASE);
    let out = dir.join("out");
    assert_eq!(run_into(&s, &out, &[]).status.code(), Some(0));
    let d = out.join("deal");
    // The user puts a folder where the workbook goes, with a file in it.
    std::fs::remove_file(d.join("workbook.xlsx")).unwrap();
    std::fs::create_dir_all(d.join("workbook.xlsx")).unwrap();
    std::fs::write(d.join("workbook.xlsx/notes.txt"), "mine").unwrap();
    let before = snapshot(&d);
    let o = run_into(&s, &out, &["--seed", "5"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot write into"), "{}", stderr(&o));
    assert_eq!(snapshot(&d), before, "not a file of the old folder changed");
    let left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["deal"], "no staging or set-aside folder left");
}

#[test]
fn what_a_killed_run_left_behind_is_removed_by_the_next() {
    let dir = tempdir("killed");
    let s = write(&dir, "deal.yaml", BASE);
    let out = dir.join("out");
    assert_eq!(run_into(&s, &out, &["--no-report"]).status.code(), Some(0));
    // What kill -9 leaves: a staging folder beside, a shard's temporary file
    // inside (pid 4194305 is above the kernel's limit: never running).
    let staging = out.join(".deal.staging-4194305");
    std::fs::create_dir_all(staging.join("charts")).unwrap();
    std::fs::write(staging.join("summary.json"), "{}").unwrap();
    let tmp = out.join("deal/.shard-0-of-2.ibshard.tmp-4194305");
    std::fs::write(&tmp, vec![0u8; 4096]).unwrap();
    assert_eq!(run_into(&s, &out, &["--no-report"]).status.code(), Some(0));
    assert!(!staging.exists() && !tmp.exists());
}

#[test]
fn force_allows_long_runs_only_and_other_files_are_never_replaced() {
    // `--out .` with a scenario called docs.yaml once emptied docs/.
    let dir = tempdir("docs");
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    std::fs::write(dir.join("docs/thesis.md"), "years of work").unwrap();
    let s = write(&dir, "docs.yaml", BASE);
    for extra in [
        &["--force"][..],
        &["--replace"][..],
        &["--force", "--replace"][..],
    ] {
        let o = run_into(&s, &dir, extra);
        assert_eq!(o.status.code(), Some(1), "{extra:?}");
        assert!(
            stderr(&o).contains("files ibsim did not write (such as thesis.md)"),
            "{}",
            stderr(&o)
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("docs/thesis.md")).unwrap(),
        "years of work"
    );
}

#[test]
fn trials_csv_quotes_names_with_commas_quotes_and_line_breaks() {
    let dir = tempdir("csv");
    let text = format!(
        "{BASE}payment:\n  payers:\n    - {{name: \"Fondo, \\\"A\\\"\\nB\", share: 0.5}}\n    - {{name: City, share: 0.5}}\n"
    );
    let s = write(&dir, "deal.yaml", &text);
    let out = dir.join("out");
    let o = run_into(&s, &out, &["--save-trials", "--no-report"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = std::fs::read_to_string(out.join("deal/trials.csv")).unwrap();
    assert!(
        csv.starts_with("trial,") && csv.contains("\"payer_cost.Fondo, \"\"A\"\"\nB\""),
        "{}",
        &csv[..300.min(csv.len())]
    );
    // Every row has as many fields as the header (read by a CSV reader).
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let n = r.headers().unwrap().len();
    let rows: Vec<_> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 300);
    assert!(rows.iter().all(|x| x.len() == n));
}

#[test]
fn terminal_escapes_in_scenario_text_are_printed_escaped() {
    let dir = tempdir("escapes");
    let text = BASE.replacen("name: t", "name: \"Deal \\e]0;TITLE\\a\\e[31mRED\"", 1);
    let s = write(&dir, "deal.yaml", &text);
    let o = ibsim(&[
        "run",
        s.to_str().unwrap(),
        "--trials",
        "200",
        "--no-report",
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(
        out.contains("Deal \\u{1b}]0;TITLE\\u{7}\\u{1b}[31mRED"),
        "{out}"
    );
    // And in messages that quote the scenario.
    let bad = format!("{text}finance: {{tranches: [{{name: \"x\\e[2Jy\", share: 2}}]}}\n");
    let (code, _, err) = validate("escapes-bad", &bad);
    assert_eq!(code, Some(1));
    assert!(!err.contains('\u{1b}'), "{err:?}");
}

/// A shard file's parts: header JSON and the data between it and the checksum.
fn open_shard(bytes: &[u8]) -> (serde_json::Value, Vec<u8>) {
    let hlen = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let header = serde_json::from_slice(&bytes[16..16 + hlen]).unwrap();
    (header, bytes[16 + hlen..bytes.len() - 32].to_vec())
}

/// A shard file from its parts, with a correct checksum (what anyone can
/// write: the SHA-256 is a checksum, not a signature).
fn seal_shard(magic_version: &[u8], header: &serde_json::Value, data: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    let h = serde_json::to_vec(header).unwrap();
    let mut out = magic_version[..12].to_vec();
    out.extend_from_slice(&(h.len() as u32).to_le_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(data);
    let sum = sha2::Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

#[test]
fn merge_checks_every_shard_header_against_its_data_and_scenario() {
    let dir = tempdir("forged-shards");
    let s = write(&dir, "deal.yaml", BASE);
    let out = dir.join("parts");
    let o = ibsim(&[
        "run",
        s.to_str().unwrap(),
        "--trials",
        "500",
        "--shard",
        "0/1",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let bytes = std::fs::read(out.join("deal/shard-0-of-1.ibshard")).unwrap();
    let (header, data) = open_shard(&bytes);
    let columns = header["columns"].as_array().unwrap().len();
    let n = 500usize;
    let forged = |name: &str, header: serde_json::Value, data: Vec<u8>| {
        let f = dir.join(format!("{name}.ibshard"));
        std::fs::write(&f, seal_shard(&bytes, &header, &data)).unwrap();
        let o = ibsim(&[
            "merge",
            f.to_str().unwrap(),
            "--no-report",
            "-q",
            "--out",
            dir.join(format!("merged-{name}")).to_str().unwrap(),
        ]);
        (o.status.code(), stderr(&o))
    };
    // The untouched shard, resealed, merges.
    assert_eq!(forged("same", header.clone(), data.clone()).0, Some(0));
    let cases: Vec<(&str, serde_json::Value, Vec<u8>, &str)> = vec![
        {
            // One column dropped from the header and the data.
            let mut h = header.clone();
            h["columns"].as_array_mut().unwrap().pop();
            let mut d = data.clone();
            d.drain((columns - 1) * n * 8..columns * n * 8);
            ("dropped-column", h, d, "do not match the scenario")
        },
        {
            // An outcome added to the scenario, its SHA-256 updated.
            let mut h = header.clone();
            let yaml = format!(
                "{}  - {{id: b, rate: 0.5, price: 10}}\n",
                h["scenario"]["yaml"].as_str().unwrap()
            );
            use sha2::Digest;
            let sha: String = sha2::Sha256::digest(yaml.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            h["scenario"]["yaml"] = yaml.into();
            h["scenario"]["sha256"] = sha.into();
            (
                "added-outcome",
                h,
                data.clone(),
                "do not match the scenario",
            )
        },
        {
            let mut h = header.clone();
            h["model_version"] = 4.into();
            ("old-model", h, data.clone(), "model version 4")
        },
        {
            let mut h = header.clone();
            h["columns"][0] = "outcome.renamed".into();
            (
                "renamed-column",
                h,
                data.clone(),
                "column `outcome.renamed`",
            )
        },
        {
            let mut h = header.clone();
            h["horizon"] = 24.into();
            ("other-horizon", h, data.clone(), "")
        },
        {
            let mut h = header.clone();
            h["trials"] = 0.into();
            h["count"] = 0.into();
            h["kept_trials"] = 0.into();
            ("no-trials", h, Vec::new(), "0 trials")
        },
    ];
    for (name, h, d, needle) in cases {
        let (code, err) = forged(name, h, d);
        assert_eq!(code, Some(1), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(err.contains(needle), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: one line: {err}");
    }
}

#[test]
fn check_refuses_baselines_it_cannot_judge_and_shows_small_differences() {
    let dir = tempdir("baselines");
    let s = write(&dir, "deal.yaml", BASE);
    let b = dir.join("base.json");
    let o = ibsim(&[
        "check",
        s.to_str().unwrap(),
        "--baseline",
        b.to_str().unwrap(),
        "--trials",
        "500",
        "--update",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&b).unwrap()).unwrap();
    let check = |name: &str, v: &serde_json::Value| {
        let f = write(&dir, &format!("{name}.json"), &v.to_string());
        ibsim(&[
            "check",
            s.to_str().unwrap(),
            "--baseline",
            f.to_str().unwrap(),
        ])
    };
    for (name, key, value, needle) in [
        (
            "negative-trials",
            "trials",
            serde_json::json!(-5),
            "`trials` is -5",
        ),
        (
            "newer-model",
            "model_version",
            serde_json::json!(99),
            "newer ibsim",
        ),
        (
            "bad-sampling",
            "sampling",
            serde_json::json!("sobol"),
            "`sampling`",
        ),
    ] {
        let mut v = stored.clone();
        v[key] = value;
        let o = check(name, &v);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stdout(&o));
        assert!(stderr(&o).contains(needle), "{name}: {}", stderr(&o));
    }
    // A change of 1e-7 (relative) fails the exact check and shows as two numbers.
    let mut v = stored.clone();
    let mean = v["metrics"]["payer_cost"]["mean"].as_f64().unwrap();
    v["metrics"]["payer_cost"]["mean"] = serde_json::json!(mean * (1.0 + 1e-7));
    let o = check("tiny", &v);
    assert_eq!(o.status.code(), Some(1));
    let line = stdout(&o)
        .lines()
        .find(|l| l.contains("metrics.payer_cost.mean"))
        .unwrap_or_default()
        .to_owned();
    let numbers: Vec<&str> = line.split_whitespace().skip(1).take(2).collect();
    assert_eq!(numbers.len(), 2, "{line}");
    assert_ne!(numbers[0], numbers[1], "{line}");
}
