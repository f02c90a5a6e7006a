//! `workbook.xlsx`: the run for people who live in Excel. Sheets: Summary
//! (each metric's mean, se and quantiles, then the probabilities), RiskSharing
//! (the decile table), DealAccount (the deal account month by month),
//! Inputs (every scenario value by path, defaults of the deal account
//! included) and Trials (the first 10,000 trials' metrics), with amounts in
//! the scenario's currency. Sheet names, headers and labels are in the
//! report's language; metric keys (as in `summary.json`) stay as they are.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use serde_json::Value;

use super::account::AccountBands;
use super::i18n::{Lang, Strings};
use crate::engine::runner::TrialColumns;
use crate::scenario::{Distributions, ExcessSettlement, Scenario};
use crate::summary::{QUANTILES, Summary};

/// Rows of per-trial data written to the Trials sheet.
pub const TRIAL_ROWS: usize = 10_000;

/// How a metric's values are formatted.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Money,
    Rate,
    Count,
    Ratio,
}

fn kind_of(metric: &str, scenario: &Scenario) -> Kind {
    // A rate outcome's result is a rate and its paid units shares of its price.
    let rate_outcome = ["outcome.", "paid.", "unpaid_after_horizon."]
        .iter()
        .filter_map(|p| metric.strip_prefix(p))
        .any(|id| {
            scenario
                .outcomes
                .iter()
                .any(|o| o.id == id && o.kind() == crate::scenario::OutcomeKind::Rate)
        });
    if rate_outcome
        || metric.ends_with("irr")
        || metric == "budget_cap_hit"
        || metric.ends_with("funding_gap")
        || metric == "fixed_share"
    {
        Kind::Rate
    } else if metric.ends_with("moic") {
        Kind::Ratio
    } else if metric.starts_with("outcome.")
        || metric.starts_with("paid.")
        || metric.starts_with("unpaid_after_horizon.")
    {
        Kind::Count
    } else {
        Kind::Money
    }
}

pub(crate) struct Formats {
    pub(crate) money: Format,
    pub(crate) rate: Format,
    count: Format,
    ratio: Format,
    pub(crate) head: Format,
}

impl Formats {
    pub(crate) fn new(currency: &str) -> Formats {
        Formats {
            money: Format::new().set_num_format(format!("\"{currency}\" #,##0")),
            rate: Format::new().set_num_format("0.00%"),
            count: Format::new().set_num_format("#,##0.0"),
            ratio: Format::new().set_num_format("0.000"),
            head: Format::new().set_bold(),
        }
    }
    fn of(&self, k: Kind) -> &Format {
        match k {
            Kind::Money => &self.money,
            Kind::Rate => &self.rate,
            Kind::Count => &self.count,
            Kind::Ratio => &self.ratio,
        }
    }
}

pub(crate) fn num(ws: &mut Worksheet, r: u32, c: u16, v: f64, f: &Format) -> Result<(), XlsxError> {
    if v.is_finite() {
        ws.write_number_with_format(r, c, v, f)?;
    }
    Ok(())
}

pub(crate) fn header(ws: &mut Worksheet, cells: &[&str], f: &Format) -> Result<(), XlsxError> {
    for (c, h) in cells.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, f)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// Every leaf of a JSON value as (dotted path, value), lists by index.
fn flatten(v: &Value, path: String, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten(x, p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flatten(x, format!("{path}[{i}]"), out);
            }
        }
        _ => out.push((path, v.clone())),
    }
}

/// Builds the workbook's bytes.
pub fn render(
    scenario: &Scenario,
    summary: &Summary,
    cols: &TrialColumns,
    account: &AccountBands,
    currency: &str,
    lang: Lang,
) -> Result<Vec<u8>, XlsxError> {
    let s = lang.strings_for(summary.funded_by);
    let f = Formats::new(currency);
    let b = Book {
        scenario,
        summary,
        cols,
        account,
        lang,
        s,
        f: &f,
    };
    let mut wb = Workbook::new();
    let [
        sheet_summary,
        sheet_risk,
        sheet_account,
        sheet_inputs,
        sheet_trials,
    ] = s.sheets;
    summary_sheet(&mut wb, sheet_summary, &b)?;
    risk_sheet(&mut wb, sheet_risk, &b)?;
    evaluation_sheet(&mut wb, &b)?;
    agencies_sheet(&mut wb, &b)?;
    providers_sheet(&mut wb, &b)?;
    account_sheet(&mut wb, sheet_account, &b)?;
    inputs_sheet(&mut wb, sheet_inputs, &b)?;
    trials_sheet(&mut wb, sheet_trials, &b)?;
    wb.save_to_buffer()
}

/// What every sheet reads.
#[derive(Clone, Copy)]
struct Book<'a> {
    scenario: &'a Scenario,
    summary: &'a Summary,
    cols: &'a TrialColumns,
    account: &'a AccountBands,
    lang: Lang,
    s: &'static Strings,
    f: &'a Formats,
}

impl Book<'_> {
    /// The default payer and tranche (`payer`, `investor`) in the report's language.
    fn party(&self, name: &str) -> String {
        if self.scenario.payment.payers.is_none() && name == "payer" {
            self.s.default_payer.to_owned()
        } else if self.scenario.finance.tranches.is_none() && name == "investor" {
            self.s.default_tranche.to_owned()
        } else {
            name.to_owned()
        }
    }
}

/// Summary: a label, the statistics, then the metric's key.
fn summary_sheet(wb: &mut Workbook, name: &str, b: &Book) -> Result<(), XlsxError> {
    let Book {
        summary,
        lang,
        s,
        f,
        ..
    } = *b;
    let ws = wb.add_worksheet().set_name(name)?;
    let mut cells: Vec<&str> = vec![s.c_metric, s.mean, s.c_se];
    cells.extend(QUANTILES.iter().map(|(k, _)| *k));
    cells.extend(["min", "max", "nan", s.c_key]);
    header(ws, &cells, &f.head)?;
    ws.set_column_width(0, 44)?;
    for c in 1..cells.len() as u16 {
        ws.set_column_width(c, 18)?;
    }
    ws.set_column_width(15, 34)?;
    let mut r = 1u32;
    for (name, m) in summary.metrics.iter() {
        let fmt = f.of(kind_of(name, b.scenario));
        ws.write_string(r, 0, lang.metric_label(name, &|n: &str| b.party(n)))?;
        ws.write_string(r, 15, name)?;
        num(ws, r, 1, m.mean, fmt)?;
        num(ws, r, 2, m.se, fmt)?;
        for (i, q) in m.quantiles.iter().enumerate() {
            num(ws, r, 3 + i as u16, *q, fmt)?;
        }
        num(ws, r, 12, m.min, fmt)?;
        num(ws, r, 13, m.max, fmt)?;
        ws.write_number(r, 14, m.nan as f64)?;
        r += 1;
    }
    r += 1;
    ws.write_string_with_format(r, 0, s.c_probability, &f.head)?;
    ws.write_string_with_format(r, 1, s.c_value, &f.head)?;
    ws.write_string_with_format(r, 2, s.c_se, &f.head)?;
    ws.write_string_with_format(r, 15, s.c_key, &f.head)?;
    r += 1;
    for (name, p) in summary.probabilities.iter() {
        ws.write_string(r, 0, lang.metric_label(name, &|n: &str| b.party(n)))?;
        ws.write_string(r, 15, name)?;
        num(ws, r, 1, p.value, &f.rate)?;
        num(ws, r, 2, p.se, &f.rate)?;
        r += 1;
    }
    r += 1;
    let cvar = format!("CVaR 95% ({})", s.investor_net.to_lowercase());
    for (label, key, v) in [
        (
            format!("{} P90", s.capital_needed),
            "capital_needed.p90",
            summary.capital_needed.p90,
        ),
        (
            format!("{} P95", s.capital_needed),
            "capital_needed.p95",
            summary.capital_needed.p95,
        ),
        (
            format!("{} P99", s.capital_needed),
            "capital_needed.p99",
            summary.capital_needed.p99,
        ),
        (
            cvar,
            if summary.tail.cvar95_provider_margin.is_some() {
                "tail.cvar95_provider_margin"
            } else {
                "tail.cvar95_investor_net"
            },
            summary.tail.funder_cvar95(),
        ),
    ] {
        ws.write_string(r, 0, label)?;
        num(ws, r, 1, v, &f.money)?;
        ws.write_string(r, 15, key)?;
        r += 1;
    }
    Ok(())
}

/// RiskSharing.
fn risk_sheet(wb: &mut Workbook, name: &str, b: &Book) -> Result<(), XlsxError> {
    let Book { summary, s, f, .. } = *b;
    let ws = wb.add_worksheet().set_name(name)?;
    let mut labels = vec![s.c_decile, s.axis_trials];
    labels.extend(s.risk_columns());
    // (Without investors there is no guarantee and no success share: the
    // table ends at the provider's margin.)
    let provider = summary.funded_by == crate::scenario::FundedBy::Provider;
    let shown = if provider { 7 } else { 9 };
    let keys = [
        "decile",
        "trials",
        "outcome_count",
        "payer_cost",
        "cost_per_outcome",
        "delivery_cost",
        if provider {
            "provider_margin"
        } else {
            "investor_net"
        },
        "guarantee_paid",
        "provider_bonus",
    ];
    let keys = &keys[..shown];
    header(ws, &labels[..shown], &f.head)?;
    for c in 0..keys.len() as u16 {
        ws.set_column_width(c, 20)?;
    }
    for (i, row) in summary.risk_sharing.deciles.iter().enumerate() {
        let values = [
            row.decile as f64,
            row.trials as f64,
            row.outcome_count,
            row.payer_cost,
            row.cost_per_outcome,
            row.delivery_cost,
            row.funder_net(),
            row.guarantee_paid,
            row.provider_bonus,
        ];
        {
            for (c, (k, &v)) in keys.iter().zip(&values).enumerate() {
                let fmt = match *k {
                    "decile" | "trials" => &f.ratio,
                    "outcome_count" => &f.count,
                    _ => &f.money,
                };
                if c < 2 {
                    ws.write_number(i as u32 + 1, c as u16, v)?;
                } else {
                    num(ws, i as u32 + 1, c as u16, v, fmt)?;
                }
            }
        }
    }
    let rs = &summary.risk_sharing;
    for (i, (label, k)) in s.downside_rows().iter().enumerate() {
        let r = 13 + i as u32;
        ws.write_string(r, 0, label)?;
        num(ws, r, 1, rs.figure(k), &f.money)?;
        ws.write_string(r, 2, *k)?;
    }
    Ok(())
}

/// EvaluationRisk, when an outcome is verified by a survey or an RCT: per
/// outcome the payment error's mean, P5 and P95, and the two conditional
/// probabilities with their standard errors.
fn evaluation_sheet(wb: &mut Workbook, b: &Book) -> Result<(), XlsxError> {
    let Book { summary, s, f, .. } = *b;
    let risks = super::table::evaluation_risk(summary);
    if risks.is_empty() {
        return Ok(());
    }
    let ws = wb.add_worksheet().set_name(s.sheet_evaluation)?;
    let c = &s.c_evaluation;
    let se = "se";
    let cells = [c[0], c[1], c[2], c[3], c[4], se, c[5], se];
    header(ws, &cells, &f.head)?;
    for col in 0..cells.len() as u16 {
        ws.set_column_width(col, 22)?;
    }
    for (i, e) in risks.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, e.id)?;
        for (k, v) in e.error.iter().enumerate() {
            num(ws, r, 1 + k as u16, *v, &f.money)?;
        }
        num(ws, r, 4, e.triggered.0, &f.rate)?;
        num(ws, r, 5, e.triggered.1, &f.rate)?;
        if e.has_target {
            num(ws, r, 6, e.withheld.0, &f.rate)?;
            num(ws, r, 7, e.withheld.1, &f.rate)?;
        }
    }
    Ok(())
}

/// Agencies, with transfers: one row per agency (its commitment, the mean,
/// se and quantiles of its transfer, P(full commitment), P(nothing)).
fn agencies_sheet(wb: &mut Workbook, b: &Book) -> Result<(), XlsxError> {
    let Book { summary, s, f, .. } = *b;
    let Some(t) = &summary.transfers else {
        return Ok(());
    };
    let ws = wb.add_worksheet().set_name(s.sheet_agencies)?;
    header(ws, &s.c_agencies, &f.head)?;
    ws.set_column_width(0, 30)?;
    for col in 1..s.c_agencies.len() as u16 {
        ws.set_column_width(col, 20)?;
    }
    for (i, a) in t.agencies.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, &a.name)?;
        for (k, v) in [a.commitment, a.mean, a.se, a.p5, a.p50, a.p95]
            .into_iter()
            .enumerate()
        {
            num(ws, r, 1 + k as u16, v, &f.money)?;
        }
        num(ws, r, 7, a.prob_full, &f.rate)?;
        num(ws, r, 8, a.prob_nothing, &f.rate)?;
    }
    Ok(())
}

/// Providers, in a contract with several: one row per provider (the means
/// of its payments and cost, its net's mean and P5/P95, P(loss), the P95
/// of the capital it needs).
fn providers_sheet(wb: &mut Workbook, b: &Book) -> Result<(), XlsxError> {
    let Book { summary, s, f, .. } = *b;
    let rows = super::table::providers(summary);
    if rows.is_empty() {
        return Ok(());
    }
    let ws = wb.add_worksheet().set_name(s.sheet_providers)?;
    header(ws, &s.c_providers, &f.head)?;
    ws.set_column_width(0, 30)?;
    for col in 1..s.c_providers.len() as u16 {
        ws.set_column_width(col, 22)?;
    }
    for (i, p) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, p.name)?;
        for (k, v) in p.values().into_iter().enumerate() {
            let format = if k == 5 { &f.rate } else { &f.money };
            num(ws, r, 1 + k as u16, v, format)?;
        }
    }
    Ok(())
}

/// DealAccount: month, then P5, P50, P95 and mean of each series.
fn account_sheet(wb: &mut Workbook, name: &str, b: &Book) -> Result<(), XlsxError> {
    let Book { account, s, f, .. } = *b;
    let ws = wb.add_worksheet().set_name(name)?;
    let mut cells: Vec<String> = vec![s.c_month.into()];
    for name in s.account_series {
        for q in ["P5", "P50", "P95", s.mean] {
            cells.push(format!("{name} {q}"));
        }
    }
    let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
    header(ws, &refs, &f.head)?;
    for c in 1..cells.len() as u16 {
        ws.set_column_width(c, 18)?;
    }
    for (t, month) in account.months.iter().enumerate() {
        let r = t as u32 + 1;
        ws.write_number(r, 0, t as f64)?;
        for (k, b) in month.iter().enumerate() {
            for (j, v) in [b.p5, b.p50, b.p95, b.mean].into_iter().enumerate() {
                num(ws, r, (1 + 4 * k + j) as u16, v, &f.money)?;
            }
        }
    }
    let r = account.months.len() as u32 + 2;
    ws.write_string(r, 0, format!("{} {}", account.trials, s.trials))?;
    Ok(())
}

/// Inputs, with the deal account's defaults written out.
fn inputs_sheet(wb: &mut Workbook, name: &str, b: &Book) -> Result<(), XlsxError> {
    let Book { scenario, s, f, .. } = *b;
    let ws = wb.add_worksheet().set_name(name)?;
    header(ws, &[s.c_path, s.c_value], &f.head)?;
    ws.set_column_width(0, 48)?;
    ws.set_column_width(1, 60)?;
    let mut full = scenario.clone();
    full.finance
        .excess_settlement
        .get_or_insert(ExcessSettlement::End);
    full.finance
        .distributions
        .get_or_insert(Distributions::Monthly);
    let mut leaves = Vec::new();
    flatten(
        &serde_json::to_value(&full).unwrap_or(Value::Null),
        String::new(),
        &mut leaves,
    );
    for (i, (p, v)) in leaves.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, p)?;
        match v {
            Value::Number(n) => {
                ws.write_number(r, 1, n.as_f64().unwrap_or(f64::NAN))?;
            }
            Value::String(t) => {
                ws.write_string(r, 1, t)?;
            }
            other => {
                ws.write_string(r, 1, other.to_string())?;
            }
        }
    }
    Ok(())
}

/// Trials.
fn trials_sheet(wb: &mut Workbook, name: &str, b: &Book) -> Result<(), XlsxError> {
    let Book { cols, s, f, .. } = *b;
    let ws = wb.add_worksheet().set_name(name)?;
    let names: Vec<(usize, &String)> = cols
        .names
        .iter()
        .enumerate()
        .filter(|(_, n)| !n.starts_with('_'))
        .collect();
    let mut cells: Vec<&str> = vec![s.c_trial];
    cells.extend(names.iter().map(|(_, n)| n.as_str()));
    header(ws, &cells, &f.head)?;
    for (c, (_, n)) in names.iter().enumerate() {
        ws.set_column_width(c as u16 + 1, (n.len() as f64 + 2.0).max(14.0))?;
    }
    for i in 0..cols.len().min(TRIAL_ROWS) {
        let r = i as u32 + 1;
        ws.write_number(r, 0, (cols.first_trial + i as u64) as f64)?;
        for (c, (j, n)) in names.iter().enumerate() {
            num(
                ws,
                r,
                c as u16 + 1,
                cols.data[*j][i],
                f.of(kind_of(n, b.scenario)),
            )?;
        }
    }
    Ok(())
}
