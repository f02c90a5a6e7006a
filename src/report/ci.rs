//! Check results as CI systems read them: JUnit XML (GitLab, Jenkins and
//! most CI servers show it as a test report) and Markdown (a GitHub job
//! summary or a pull-request comment). One test suite per checked
//! scenario, one test case per compared figure.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::check::{Comparison, Figure, ScenarioCheck};
use crate::report::analysis::show_pair;

/// The figure's two values and its difference, one line: `baseline 0.51,
/// now 0.60: +7.87 se (tolerance 4 se)`, or `(must be identical)`.
fn moved(f: &Figure, cmp: &Comparison) -> String {
    let (b, n) = show_pair(&f.baseline, &f.now);
    let z = f
        .sigmas
        .map_or_else(String::new, |z| format!(": {z:+.2} se"));
    if cmp.exact {
        format!("baseline {b}, now {n} (must be identical)")
    } else {
        format!("baseline {b}, now {n}{z} (tolerance {} se)", cmp.sigma)
    }
}

/// The scenario's name as a test class: its file name without `.yaml`.
fn class_of(scenario: &str) -> String {
    let file = scenario.rsplit(['/', '\\']).next().unwrap_or(scenario);
    file.strip_suffix(".yaml")
        .or_else(|| file.strip_suffix(".yml"))
        .unwrap_or(file)
        .to_string()
}

/// A JUnit XML report of the checks: a `<testsuite>` per scenario with its
/// run as properties, a `<testcase>` per compared figure (its JSON path),
/// a `<failure>` for each figure that moved (baseline, now, difference in
/// se), and an `<error>` test case for a scenario that could not be
/// checked.
pub fn junit(checks: &[ScenarioCheck]) -> String {
    let mut report = Report::new("ibsim check");
    let mut total = 0.0;
    for c in checks {
        total += c.seconds;
        let class = class_of(&c.scenario);
        let mut suite = TestSuite::new(c.scenario.as_str());
        suite.set_time(Duration::from_secs_f64(c.seconds.max(0.0)));
        suite.add_property(Property::new("baseline", c.baseline.as_str()));
        match &c.outcome {
            Ok(cmp) => {
                suite.add_property(Property::new(
                    "mode",
                    if cmp.exact { "exact" } else { "statistical" },
                ));
                suite.add_property(Property::new("run", cmp.describe()));
                if !cmp.exact {
                    suite.add_property(Property::new("sigma", cmp.sigma.to_string()));
                }
                for f in &cmp.report.figures {
                    let status = if f.agrees {
                        TestCaseStatus::success()
                    } else {
                        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                        s.set_message(moved(f, cmp));
                        s.set_type(if cmp.exact { "differs" } else { "moved" });
                        s
                    };
                    let mut case = TestCase::new(f.key.as_str(), status);
                    case.set_classname(class.as_str());
                    suite.add_test_case(case);
                }
            }
            Err(message) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_message(message.as_str());
                s.set_type("not checked");
                let mut case = TestCase::new("check", s);
                case.set_classname(class.as_str());
                suite.add_test_case(case);
            }
        }
        report.add_test_suite(suite);
    }
    report.set_time(Duration::from_secs_f64(total.max(0.0)));
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- cannot write the JUnit report: {e} -->\n"))
}

/// Text for a Markdown table cell: pipes escaped, one line.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// A Markdown summary: a headline, one row per scenario (mode, figures,
/// moved, result), then for each scenario where something moved a table
/// of those figures (at most `limit` each).
pub fn markdown(checks: &[ScenarioCheck], limit: usize) -> String {
    let ok = checks.iter().filter(|c| c.consistent()).count();
    let mut s = format!(
        "### ibsim check: {ok} of {} scenario{} consistent with {} baseline{}\n\n",
        checks.len(),
        if checks.len() == 1 { "" } else { "s" },
        if checks.len() == 1 { "its" } else { "their" },
        if checks.len() == 1 { "" } else { "s" },
    );
    s.push_str("| scenario | baseline | mode | figures | moved | result |\n");
    s.push_str("|---|---|---|--:|--:|---|\n");
    for c in checks {
        let (mode, figures, moved_n, result) = match &c.outcome {
            Ok(cmp) => {
                let n = cmp.report.differing();
                (
                    cell(&cmp.brief()),
                    cmp.report.compared().to_string(),
                    n.to_string(),
                    if n == 0 {
                        format!("ok, all {}", cmp.agreement())
                    } else {
                        format!("**{n} moved**")
                    },
                )
            }
            Err(m) => (
                "-".into(),
                "-".into(),
                "-".into(),
                format!("**not checked**: {}", cell(m)),
            ),
        };
        s.push_str(&format!(
            "| `{}` | `{}` | {mode} | {figures} | {moved_n} | {result} |\n",
            cell(&c.scenario),
            cell(&c.baseline),
        ));
    }
    for c in checks {
        let Ok(cmp) = &c.outcome else { continue };
        let n = cmp.report.differing();
        if n == 0 {
            continue;
        }
        s.push_str(&format!(
            "\n<details><summary><code>{}</code>: {n} figure{} moved</summary>\n\n",
            html_text(&c.scenario),
            if n == 1 { "" } else { "s" }
        ));
        s.push_str("| figure | baseline | now | difference (se) |\n|---|--:|--:|--:|\n");
        for f in cmp.report.differences().take(limit) {
            let (b, now) = show_pair(&f.baseline, &f.now);
            let z = f.sigmas.map_or_else(|| "-".into(), |z| format!("{z:+.2}"));
            s.push_str(&format!("| `{}` | {b} | {now} | {z} |\n", cell(&f.key)));
        }
        if n > limit {
            s.push_str(&format!("\n... and {} more.\n", n - limit));
        }
        s.push_str(&format!(
            "\nIf the change is intended: `ibsim check {} --baseline {} --update`\n\n</details>\n",
            cell(&c.scenario),
            cell(&c.baseline)
        ));
    }
    s
}

/// Text safe inside HTML (the `<summary>` line).
fn html_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Comparison, Report as Figures};
    use serde_json::json;

    fn two() -> Vec<ScenarioCheck> {
        let figures = Figures {
            figures: vec![
                Figure {
                    key: "metrics.a<b>.mean".into(),
                    baseline: json!(1.0),
                    now: json!(1.0),
                    sigmas: Some(0.1),
                    agrees: true,
                },
                Figure {
                    key: "probabilities.p|q".into(),
                    baseline: json!(0.25),
                    now: json!(0.5),
                    sigmas: Some(6.5),
                    agrees: false,
                },
            ],
        };
        vec![
            ScenarioCheck {
                scenario: "deals/a&b.yaml".into(),
                baseline: "base/a&b.json".into(),
                seconds: 0.5,
                outcome: Ok(Comparison {
                    exact: false,
                    sigma: 4.0,
                    trials: 400,
                    seed: 1,
                    baseline_run: (json!(200), json!(1), json!(crate::MODEL_VERSION)),
                    scenario_changed: false,
                    report: figures,
                }),
            },
            ScenarioCheck {
                scenario: "deals/bad.yaml".into(),
                baseline: "base/bad.json".into(),
                seconds: 0.0,
                outcome: Err("deals/bad.yaml:3: `price`: expected a number <here>".into()),
            },
        ]
    }

    #[test]
    fn junit_escapes_names_and_messages_and_counts_each_outcome() {
        let xml = junit(&two());
        let r = quick_junit::Report::deserialize_from_str(&xml).unwrap();
        assert_eq!((r.tests, r.failures, r.errors), (3, 1, 1));
        let a = &r.test_suites[0];
        assert_eq!(a.name.as_str(), "deals/a&b.yaml");
        assert_eq!(a.test_cases[0].name.as_str(), "metrics.a<b>.mean");
        assert_eq!(a.test_cases[1].classname.as_deref(), Some("a&b"));
        match &a.test_cases[1].status {
            TestCaseStatus::NonSuccess { message, .. } => assert_eq!(
                message.as_deref(),
                Some("baseline 0.25, now 0.5: +6.50 se (tolerance 4 se)")
            ),
            other => panic!("{other:?}"),
        }
        match &r.test_suites[1].test_cases[0].status {
            TestCaseStatus::NonSuccess { kind, message, .. } => {
                assert_eq!(*kind, NonSuccessKind::Error);
                assert!(message.as_deref().unwrap().ends_with("<here>"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn markdown_escapes_table_cells() {
        let md = markdown(&two(), 10);
        assert!(md.starts_with("### ibsim check: 0 of 2 scenarios consistent"));
        assert!(
            md.contains("| `probabilities.p\\|q` | 0.25 | 0.5 | +6.50 |"),
            "{md}"
        );
        assert!(
            md.contains("<code>deals/a&amp;b.yaml</code>: 1 figure moved"),
            "{md}"
        );
        assert!(md.contains("**not checked**: deals/bad.yaml:3:"));
        // Every table row has the header's number of cells.
        for line in md.lines().filter(|l| l.starts_with("| `deals")) {
            assert_eq!(line.replace("\\|", "").matches('|').count(), 7, "{line}");
        }
    }
}
