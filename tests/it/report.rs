//! Charts, report.html and workbook.xlsx written by `ibsim run`.

use crate::common::*;

use std::path::{Path, PathBuf};

fn run_with_reports(name: &str, extra: &[&str]) -> (TempDir, PathBuf) {
    let dir = tempdir(name);
    let mut args = vec![
        "run",
        "scenarios/bucaramanga-employment.yaml",
        "--trials",
        "4000",
        "--out",
        dir.to_str().unwrap(),
        "-q",
    ];
    args.extend_from_slice(extra);
    let o = ibsim(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let d = dir.join("bucaramanga-employment");
    (dir, d)
}

/// Number of distinct colours in a PNG (1 for a blank image).
pub(crate) fn distinct_colours(path: &Path) -> usize {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    let mut seen = std::collections::HashSet::new();
    for p in img.pixels() {
        seen.insert(p.0);
        if seen.len() > 50 {
            break;
        }
    }
    seen.len()
}

const CHARTS: [&str; 7] = [
    "irr_histogram",
    "payer_cost_histogram",
    "cdf",
    "funding_fan",
    "deal_account",
    "risk_sharing",
    "irr_vs_payer_cost",
];

#[test]
fn charts_render_as_png_and_svg_with_text() {
    let (_dir, d) = run_with_reports("charts", &[]);
    for c in CHARTS {
        let png = d.join("charts").join(format!("{c}.png"));
        assert!(distinct_colours(&png) > 20, "{c}.png looks blank");
        let svg = std::fs::read_to_string(d.join("charts").join(format!("{c}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("<text"),
            "{c}.svg has no text"
        );
    }
    let irr = std::fs::read_to_string(d.join("charts/irr_histogram.svg")).unwrap();
    assert!(irr.contains("Investor IRR") && irr.contains("P(investors lose money)"));
    assert!(
        !d.join("charts").read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("tmp"))
    );
}

#[test]
fn report_is_self_contained_and_holds_the_summary() {
    let (_dir, d) = run_with_reports("html", &[]);
    let html = std::fs::read_to_string(d.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>Bucaramanga employment bond — ibsim</title>"));
    for needle in [
        "Headline figures",
        "Risk sharing",
        "Outcome funnel",
        "Investor tranches",
        "retention_6m",
        "senior",
        "Deal account",
        "Excess leaves the deal</td><td class=\"n\">at the end",
        "Distributions to the tranches</td><td class=\"n\">every month",
        "Cash held",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    assert_eq!(html.matches("<svg").count(), 7, "seven inline charts");
    for banned in [
        "<script", "http://", "https://", "<link", "@import", "src=\"",
    ] {
        let n = html.matches(banned).count();
        let allowed = if banned == "http://" { 7 } else { 0 }; // the SVG xmlns declarations only
        assert!(n <= allowed, "{banned} appears {n} times");
    }
    assert!(!html.contains("NaN"));
}

#[test]
fn no_report_skips_charts_html_and_workbook() {
    let (_dir, d) = run_with_reports("noreport", &["--no-report"]);
    assert!(d.join("summary.json").exists());
    for f in ["charts", "report.html", "workbook.xlsx"] {
        assert!(!d.join(f).exists(), "{f} written despite --no-report");
    }
}

#[test]
fn workbook_cells_hold_the_summary_numbers() {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let (_dir, d) = run_with_reports("xlsx", &[]);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("summary.json")).unwrap()).unwrap();
    let mut wb: Xlsx<_> = open_workbook(d.join("workbook.xlsx")).expect("workbook opens");
    assert_eq!(
        wb.sheet_names(),
        vec!["Summary", "RiskSharing", "DealAccount", "Inputs", "Trials"]
    );
    let sheet = wb.worksheet_range("Summary").unwrap();
    let mut checked = 0;
    for row in sheet.rows().skip(1) {
        // The metric's key is in the last column, its label in the first.
        let Some(Data::String(name)) = row.get(15) else {
            continue;
        };
        let Some(m) = summary["metrics"].get(name) else {
            continue;
        };
        for (col, key) in [
            (1, "mean"),
            (2, "se"),
            (3, "p1"),
            (4, "p5"),
            (10, "p95"),
            (11, "p99"),
        ] {
            let expected = m[key].as_f64();
            match (&row[col], expected) {
                (Data::Float(v), Some(e)) => assert_eq!(*v, e, "{name}.{key}"),
                (Data::Empty, None) => {}
                (cell, e) => panic!("{name}.{key}: cell {cell:?}, summary {e:?}"),
            }
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} metrics found");
    let risk = wb.worksheet_range("RiskSharing").unwrap();
    let first = &summary["risk_sharing"]["deciles"][0];
    let row1: Vec<&Data> = risk.rows().nth(1).unwrap().iter().collect();
    assert_eq!(row1[3], &Data::Float(first["payer_cost"].as_f64().unwrap()));
    let trials = wb.worksheet_range("Trials").unwrap();
    assert_eq!(trials.height(), 4001);
    let inputs = wb.worksheet_range("Inputs").unwrap();
    let input = |path: &str, want: Data| {
        assert!(
            inputs
                .rows()
                .any(|r| r[0] == Data::String(path.into()) && r[1] == want),
            "Inputs lacks {path} = {want:?}"
        );
    };
    input("outcomes[0].price", Data::Float(2_200_000.0));
    // The deal account's defaults are written out, not left implicit.
    input("finance.excess_settlement", Data::String("end".into()));
    input("finance.distributions", Data::String("monthly".into()));

    // DealAccount: the 4,000 trials are all kept, so each series' monthly
    // means add up to the mean of the matching metric over the run.
    let account = wb.worksheet_range("DealAccount").unwrap();
    let head: Vec<String> = account
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let col = |name: &str| {
        head.iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let months: Vec<&[Data]> = account
        .rows()
        .skip(1)
        .take_while(|r| matches!(r[0], Data::Float(_)))
        .collect();
    assert_eq!(months.len(), 54);
    let f = |d: &Data| match d {
        Data::Float(v) => *v,
        other => panic!("not a number: {other:?}"),
    };
    let total = |name: &str| months.iter().map(|r| f(&r[col(name)])).sum::<f64>();
    for (series, metric) in [
        ("Contributions mean", "investor_contributions"),
        ("Excess mean", "excess"),
    ] {
        let want = summary["metrics"][metric]["mean"].as_f64().unwrap();
        let got = total(series);
        assert!(
            (got - want).abs() <= 1e-9 * want.abs().max(1.0),
            "{series}: {got} against {metric} {want}"
        );
    }
    assert!(months.iter().all(|r| f(&r[col("Cash held P5")]) >= 0.0));
    assert_eq!(f(&months[53][col("Cash held P95")]), 0.0);
}

#[test]
fn spanish_reports_and_table() {
    let dir = tempdir("es");
    let o = ibsim(&[
        "run",
        "scenarios/bucaramanga-employment.yaml",
        "--trials",
        "2000",
        "--out",
        dir.to_str().unwrap(),
        "--lang",
        "es",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("TIR de los inversionistas") && out.contains("simulaciones"),
        "{out}"
    );
    assert!(out.contains("COP ") && out.contains('.'), "{out}");
    let d = dir.join("bucaramanga-employment");
    let html = std::fs::read_to_string(d.join("report.html")).unwrap();
    assert!(
        html.contains("<html lang=\"es\">")
            && html.contains("Reparto del riesgo")
            && html.contains("Cifras principales")
    );
    let svg = std::fs::read_to_string(d.join("charts/funding_fan.svg")).unwrap();
    assert!(svg.contains("Mes"));
    assert_eq!(
        ibsim(&["run", "scenarios/empleando-futuro.yaml", "--lang", "fr"])
            .status
            .code(),
        Some(2)
    );
}

pub(crate) fn chromium() -> Option<PathBuf> {
    for c in [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ] {
        if Path::new(c).exists() {
            return Some(PathBuf::from(c));
        }
    }
    None
}

#[test]
fn report_renders_in_a_real_browser() {
    let Some(browser) = chromium() else {
        eprintln!(
            "SKIPPED report_renders_in_a_real_browser: no Chromium installed (apt-get install chromium; .ci/run does)"
        );
        return;
    };
    let (_dir, d) = run_with_reports("browser", &[]);
    let page = format!("file://{}", d.join("report.html").display());
    let profile = tempdir("chromium-profile");
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ];
    let shot = d.join("screenshot.png");
    let o = std::process::Command::new(&browser)
        .args(flags)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--window-size=1100,1600")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&page)
        .output()
        .unwrap();
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(distinct_colours(&shot) > 20, "the screenshot is blank");
    let o = std::process::Command::new(&browser)
        .args(flags)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&page)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&o.stdout);
    assert!(
        dom.contains("<title>Bucaramanga employment bond — ibsim</title>"),
        "DOM: {}",
        &dom[..dom.len().min(500)]
    );
    assert!(dom.contains("Risk sharing") && dom.contains("Expected loss borne by investors"));
}

/// Runs of letters (any script) of three or more, in `text`.
fn words(text: &str) -> std::collections::BTreeSet<String> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_owned)
        .collect()
}

/// What a reader sees of a page: no style sheet, no tags (the charts' SVG
/// text stays), entities decoded.
fn visible(html: &str) -> String {
    let html = match (html.find("<style>"), html.find("</style>")) {
        (Some(a), Some(b)) => format!("{}{}", &html[..a], &html[b..]),
        _ => html.to_owned(),
    };
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
}

/// Every text cell of a workbook but identifiers: scenario paths and the
/// keys of `summary` (metrics, probabilities and the rest, as in summary.json).
fn workbook_text(path: &Path, summary: &serde_json::Value) -> String {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut wb: Xlsx<_> = open_workbook(path).expect("workbook opens");
    let mut out = wb.sheet_names().join(" ");
    let mut keys: Vec<String> = Vec::new();
    for part in ["metrics", "probabilities", "risk_sharing"] {
        keys.extend(summary[part].as_object().unwrap().keys().cloned());
    }
    let identifier = |s: &str| {
        keys.iter().any(|k| k == s)
            || s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.[]-".contains(c))
    };
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        for cell in range.used_cells() {
            if let Data::String(s) = cell.2
                && !identifier(s)
            {
                out.push(' ');
                out.push_str(s);
            }
        }
    }
    out
}

/// The table, the report (charts included) and the workbook of `template`
/// written and run in `lang`.
fn outputs_of(template: &str, lang: &str) -> String {
    let dir = tempdir(&format!("words-{template}-{lang}"));
    let f = dir.join("deal.yaml");
    let o = ibsim(&[
        "init",
        f.to_str().unwrap(),
        "--template",
        template,
        "--lang",
        lang,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = ibsim(&[
        "run",
        f.to_str().unwrap(),
        "--trials",
        "2000",
        "--lang",
        lang,
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let d = dir.join("deal");
    let html = std::fs::read_to_string(d.join("report.html")).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("summary.json")).unwrap()).unwrap();
    // (The output folder's path is the test's, not ibsim's words.)
    format!(
        "{}\n{}\n{}",
        stdout(&o).replace(dir.to_str().unwrap(), ""),
        visible(&html),
        workbook_text(&d.join("workbook.xlsx"), &summary)
    )
}

/// `--lang es` leaves no English: no word of the English table, report and
/// workbook (of the English template) shows in the Spanish ones (of the
/// Spanish template), but for words that are Spanish too.
#[test]
fn spanish_output_has_no_english_words() {
    // The same in both languages: technical names, currency codes, file
    // names, proper names in the templates' sources, and words Spanish
    // shares with English.
    let shared = [
        "COP",
        "USD",
        "CVaR",
        "MOIC",
        "SHA",
        "ibsim",
        "Monte",
        "Carlo",
        "beta",
        "pert",
        "yaml",
        "json",
        "min",
        "max",
        "nan",
        "deal",
        "summary",
        "run",
        "Cambridge",
        "English",
        "Capital",
        "capital",
        "normal",
        "triangular",
        "senior",
        "formal",
        "error",
        "deciles",
    ];
    for template in [
        "employment",
        "dib",
        "bilingual",
        "results-budget",
        "performance",
    ] {
        let english = words(&outputs_of(template, "en"));
        let spanish = words(&outputs_of(template, "es"));
        let left: Vec<&String> = english
            .intersection(&spanish)
            .filter(|w| !shared.contains(&w.as_str()))
            .collect();
        assert!(
            left.is_empty(),
            "{template}: English words in the Spanish output: {left:?}"
        );
    }
}
