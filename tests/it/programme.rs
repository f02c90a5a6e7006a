//! Programme files (docs/model.md, "Programmes"): several deals read and
//! checked together, through `ibsim validate`.

use crate::common::*;

/// A deal file and a programme of it, a bundled deal and an inline one.
fn programme_dir(deal: &str, programme_tail: &str) -> (TempDir, std::path::PathBuf) {
    let dir = tempdir("programme");
    let deals = dir.join("deals");
    std::fs::create_dir_all(&deals).unwrap();
    write(&deals, "small.yaml", deal);
    let bundled = root().join("scenarios/bucaramanga-employment.yaml");
    let text = format!(
        "name: Plan
currency: COP
deals:
  - name: small
    file: deals/small.yaml
    loading: 0.3
  - name: employment
    file: {}
    start_month: 6
  - name: inline_one
    scenario:
      name: tiny
      currency: COP
      horizon_months: 6
      cohorts: [{{name: a, start_month: 0, size: 10}}]
      outcomes:
        - {{id: job, rate: 0.5, price: 10}}
{programme_tail}",
        bundled.display()
    );
    let f = write(&dir, "plan.yaml", &text);
    (dir, f)
}

const SMALL: &str = "name: small
currency: COP
horizon_months: 12
cohorts: [{name: a, start_month: 0, size: 100}]
outcomes:
  - {id: job, rate: 0.5, lag_months: 2, price: 1000}
";

#[test]
fn a_programme_is_checked_with_every_deal() {
    let (_dir, f) = programme_dir(
        SMALL,
        "fund: {budget_cap: 5000000000}\nshocks:\n  - {name: recession, probability: 0.2, hits: {small: {job: 0.8}, employment: {placement: 0.75}}}\n",
    );
    let out = ibsim(&["validate", f.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("(a programme of 3 deals)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn problems_inside_deals_name_their_own_file_line_and_path() {
    // A deal file's problem is reported in that file.
    let (_dir, f) = programme_dir(&SMALL.replace("rate: 0.5", "rate: 1.5"), "");
    let out = ibsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("small.yaml:6:") && err.contains("outcomes[0].rate:"),
        "{err}"
    );
    // An inline deal's problem is located in the programme file.
    let (_dir, f) = programme_dir(SMALL, "");
    let text = std::fs::read_to_string(&f).unwrap().replace(
        "{id: job, rate: 0.5, price: 10}",
        "{id: job, rate: 2, price: 10}",
    );
    std::fs::write(&f, text).unwrap();
    let out = ibsim(&["validate", f.to_str().unwrap()]);
    let err = stderr(&out);
    assert!(
        err.contains("plan.yaml:17:") && err.contains("deals[2].scenario.outcomes[0].rate:"),
        "{err}"
    );
}

#[test]
fn invalid_programmes_say_where_and_what_was_expected() {
    for (tail, edit, expected) in [
        (
            "shocks:\n  - {name: s, probability: 0.2, hits: {nobody: {job: 0.8}}}\n",
            None,
            "shocks[0].hits.nobody: unknown deal `nobody`",
        ),
        (
            "shocks:\n  - {name: s, probability: 0.2, hits: {small: {jobs: 0.8}}}\n",
            None,
            "shocks[0].hits.small.jobs: deal `small` has no outcome `jobs`",
        ),
        (
            "shocks:\n  - {name: s, probability: 1.2, hits: {small: {job: 0.8}}}\n",
            None,
            "shocks[0].probability: 1.2 is out of range",
        ),
        (
            "",
            Some(("loading: 0.3", "loading: 1.3")),
            "deals[0].loading: 1.3 is out of range",
        ),
        (
            "",
            Some(("name: employment", "name: small")),
            "deals[1].name: duplicate deal name `small`",
        ),
        (
            "",
            Some(("currency: COP\ndeals", "currency: PEN\ndeals")),
            "deals[0]: the deal's currency is COP, the programme's PEN",
        ),
        (
            "fund: {budget_cap: 100, allocation: priority}\n",
            None,
            "deals[0].priority: missing `priority`",
        ),
        (
            "",
            Some(("    file: deals/small.yaml\n", "")),
            "deals[0]: missing the deal",
        ),
    ] {
        let (_dir, f) = programme_dir(SMALL, tail);
        if let Some((from, to)) = edit {
            let text = std::fs::read_to_string(&f).unwrap();
            assert!(text.contains(from), "{from}");
            std::fs::write(&f, text.replacen(from, to, 1)).unwrap();
        }
        let out = ibsim(&["validate", f.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{expected}");
        let err = stderr(&out);
        assert!(
            err.lines()
                .any(|l| l.contains("plan.yaml:") && l.contains(expected)),
            "`{expected}` missing in:\n{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}
