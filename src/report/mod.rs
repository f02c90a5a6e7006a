//! Turning a run into things people read: the terminal table and the files
//! under the output folder (`summary.json`, `run.json`, `trials.csv`).

pub mod account;
pub mod charts;
pub mod html;
pub mod i18n;
pub mod sweep_chart;
pub mod table;
pub mod tornado;
pub mod xlsx;

use std::path::Path;

use crate::commands::write_atomic;
use crate::engine::runner::TrialColumns;

/// Text from a scenario or a file, safe to print on a terminal: control
/// characters (escape sequences, carriage returns, bells) are shown as
/// escapes such as `\u{1b}` instead of acting on the terminal.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_control) {
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect::<String>()
            .into()
    } else {
        s.into()
    }
}

/// Pretty JSON with a trailing newline.
pub fn json_text(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// Writes `trials.csv`: one row per trial, `trial` then every metric column
/// (quoted as CSV needs: a payer or tranche name in a key may hold a comma,
/// a quote or a line break).
pub fn write_trials_csv(path: &Path, cols: &TrialColumns) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(cols.len() * cols.names.len() * 12));
    let mut head = vec!["trial"];
    head.extend(cols.names.iter().map(String::as_str));
    w.write_record(&head)?;
    let mut row: Vec<String> = Vec::with_capacity(cols.names.len() + 1);
    for i in 0..cols.len() {
        row.clear();
        row.push((cols.first_trial + i as u64).to_string());
        for c in &cols.data {
            let x = c[i];
            row.push(if x.is_nan() {
                "NaN".to_owned()
            } else {
                x.to_string()
            });
        }
        w.write_record(&row)?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    write_atomic(path, &bytes)
}

/// The host name, for `run.json`.
pub fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// Writes the charts (`charts/*.png`, `charts/*.svg`), `report.html` and `workbook.xlsx` of a run into `dir`.
pub fn write_reports(
    result: &crate::commands::RunResult,
    run_info: &serde_json::Value,
    dir: &Path,
    lang: i18n::Lang,
) -> Result<(), String> {
    let account = account::AccountBands::of(&result.columns);
    let charts = charts::render(
        &result.model,
        &result.columns,
        &account,
        &result.summary,
        lang,
        Some(&dir.join("charts")),
    )?;
    let page = html::render(
        &result.scenario,
        &result.model,
        &result.summary,
        &account,
        &charts,
        run_info,
        lang,
    );
    let path = dir.join("report.html");
    write_atomic(&path, page.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let book = xlsx::render(
        &result.scenario,
        &result.summary,
        &result.columns,
        &account,
        &result.model.currency,
        lang,
    )
    .map_err(|e| format!("cannot build workbook.xlsx: {e}"))?;
    let path = dir.join("workbook.xlsx");
    write_atomic(&path, &book).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}
