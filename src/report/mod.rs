//! Turning a run into things people read: the terminal tables, and the
//! bytes of the files under the output folder (charts, `report.html`,
//! `workbook.xlsx`, `trials.csv`). Renderers return bytes and never write;
//! [`crate::output`] writes them.

pub mod account;
pub mod analysis;
pub mod charts;
pub mod ci;
pub mod html;
pub mod i18n;
pub mod programme;
pub mod sensitivity;
pub mod sweep_chart;
pub mod table;
pub mod tornado;
pub mod xlsx;

use std::path::PathBuf;

use crate::engine::runner::TrialColumns;

/// One file of the outputs: its path under the output folder and its bytes.
#[derive(Debug, Clone)]
pub struct Document {
    /// Path relative to the output folder, e.g. `charts/cdf.png`.
    pub path: PathBuf,
    /// The file's content.
    pub bytes: Vec<u8>,
}

impl Document {
    /// A document at `path` (relative to the output folder).
    pub fn new(path: String, bytes: Vec<u8>) -> Document {
        Document {
            path: path.into(),
            bytes,
        }
    }
}

/// `trials.csv`: one row per trial, `trial` then every metric column
/// (quoted as CSV needs: a payer or tranche name in a key may hold a comma,
/// a quote or a line break).
pub fn trials_csv(cols: &TrialColumns) -> std::io::Result<Document> {
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
    Ok(Document::new("trials.csv".into(), bytes))
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

/// The charts (`charts/*.png`, `charts/*.svg`), `report.html` and `workbook.xlsx` of a run.
pub fn files(
    result: &crate::run::RunResult,
    run_info: &serde_json::Value,
    lang: i18n::Lang,
) -> Result<Vec<Document>, String> {
    let account = account::AccountBands::of(&result.columns);
    let charts = charts::render(
        &result.model,
        &result.columns,
        &account,
        &result.summary,
        lang,
        true,
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
    let book = xlsx::render(
        &result.scenario,
        &result.summary,
        &result.columns,
        &account,
        &result.model.currency,
        lang,
    )
    .map_err(|e| format!("cannot build workbook.xlsx: {e}"))?;
    let mut out = Vec::with_capacity(2 * charts.len() + 2);
    for c in charts {
        out.push(Document::new(
            format!("charts/{}.svg", c.name),
            c.svg.into_bytes(),
        ));
        out.push(Document::new(format!("charts/{}.png", c.name), c.png));
    }
    out.push(Document::new("report.html".into(), page.into_bytes()));
    out.push(Document::new("workbook.xlsx".into(), book));
    Ok(out)
}
