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

use std::fmt::Write as _;
use std::path::Path;

use crate::commands::write_atomic;
use crate::engine::runner::TrialColumns;

/// Pretty JSON with a trailing newline.
pub fn json_text(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// Writes `trials.csv`: one row per trial, `trial` then every metric column.
pub fn write_trials_csv(path: &Path, cols: &TrialColumns) -> std::io::Result<()> {
    let mut s = String::with_capacity(cols.len() * cols.names.len() * 12);
    s.push_str("trial");
    for n in &cols.names {
        s.push(',');
        s.push_str(n);
    }
    s.push('\n');
    for i in 0..cols.len() {
        let _ = write!(s, "{}", cols.first_trial + i as u64);
        for c in &cols.data {
            let x = c[i];
            if x.is_nan() {
                s.push_str(",NaN");
            } else {
                let _ = write!(s, ",{x}");
            }
        }
        s.push('\n');
    }
    write_atomic(path, s.as_bytes())
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
