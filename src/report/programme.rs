//! A programme's reports: `report.html` (the fund's figures, one row per
//! deal, the payers and the cross-deal investors, the fund's distribution
//! chart and the deals' tail-contribution bars) and `workbook.xlsx` (a
//! Programme sheet and a Deals sheet), in English or Spanish, from the
//! programme's `summary.json` and the fund's per-trial columns.

use std::fmt::Write as _;

use plotters::coord::Shift;
use plotters::prelude::*;
use rust_xlsxwriter::{Workbook, XlsxError};
use serde_json::Value;

use super::Document;
use super::charts::{
    BLUE, GREY, ORANGE, RED_, caption_style, decimals_for, err, histogram, range_of, vline,
};
use super::html::{CSS, esc, head, row};
use super::i18n::{Lang, money_scale, number, pct, thousands};
use super::xlsx::{Formats, header, num};
use crate::engine::runner::TrialColumns;

/// The words of a programme's reports, in the report's language.
fn t(lang: Lang, en: &'static str, es: &'static str) -> &'static str {
    if lang == Lang::Es { es } else { en }
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// One deal's row: its name, start month, who funds it, and its figures.
struct DealRow {
    name: String,
    start: f64,
    provider: bool,
    /// Payer cost mean and P95, its mean over the fund's worst 5%, that
    /// as a share of the tail mean, the funder's P(loss), the funder's
    /// net mean.
    values: [f64; 6],
}

fn deal_rows(summary: &Value) -> Vec<DealRow> {
    let tail = &summary["fund"]["tail"];
    let tail_mean = f(&tail["tail_mean_payer_cost"]);
    summary["deals"]
        .as_object()
        .map(|deals| {
            deals
                .iter()
                .map(|(name, d)| {
                    let provider = d["funded_by"] == "provider";
                    let (loss, net) = if provider {
                        ("prob_provider_loss", "provider.margin")
                    } else {
                        ("prob_loss", "investor_net")
                    };
                    let share = f(&tail["contributions"][name]);
                    DealRow {
                        name: name.clone(),
                        start: f(&d["start_month"]),
                        provider,
                        values: [
                            f(&d["metrics"]["payer_cost"]["mean"]),
                            f(&d["metrics"]["payer_cost"]["p95"]),
                            share,
                            share / tail_mean,
                            f(&d["probabilities"][loss]["value"]),
                            f(&d["metrics"][net]["mean"]),
                        ],
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The fund's figures as (label, mean, P5, P50, P95) rows.
fn fund_rows(summary: &Value, lang: Lang) -> Vec<(String, [f64; 4])> {
    let m = &summary["fund"]["metrics"];
    let mut out = Vec::new();
    for (key, en, es) in [
        ("fund.due", "Due for outcomes", "Adeudado por resultados"),
        ("fund.paid", "Paid by the fund", "Pagado por el fondo"),
        ("fund.payer_cost", "Payers' cost", "Costo de los pagadores"),
        (
            "fund.shortfall",
            "Shortfall (due less paid)",
            "Faltante (adeudado menos pagado)",
        ),
    ] {
        let s = &m[key];
        out.push((
            t(lang, en, es).to_owned(),
            [f(&s["mean"]), f(&s["p5"]), f(&s["p50"]), f(&s["p95"])],
        ));
    }
    if let Some(ms) = m.as_object() {
        for (key, s) in ms {
            if let Some(payer) = key.strip_prefix("fund.payer_cost.") {
                out.push((
                    format!("{}: {payer}", t(lang, "Payer", "Pagador")),
                    [f(&s["mean"]), f(&s["p5"]), f(&s["p50"]), f(&s["p95"])],
                ));
            }
        }
    }
    out
}

/// Investors in several deals: (name, deals, IRR P50, MOIC mean, net mean, P(loss)).
fn investor_rows(summary: &Value) -> Vec<(String, String, [f64; 4])> {
    summary["investors"]
        .as_object()
        .map(|inv| {
            inv.iter()
                .map(|(name, v)| {
                    let m = |w: &str, q: &str| f(&v["metrics"][format!("investor.{name}.{w}")][q]);
                    let deals: Vec<&str> = v["deals"]
                        .as_array()
                        .map(|a| a.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    (
                        name.clone(),
                        deals.join(", "),
                        [
                            m("irr", "p50"),
                            m("moic", "mean"),
                            m("net", "mean"),
                            f(&v["probabilities"][format!("prob_investor_loss.{name}")]["value"]),
                        ],
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The deals table's headers.
fn deal_headers(lang: Lang) -> [&'static str; 9] {
    [
        t(lang, "deal", "contrato"),
        t(lang, "start month", "mes de inicio"),
        t(lang, "funded by", "financiado por"),
        t(lang, "payers' cost mean", "costo pagadores media"),
        t(lang, "payers' cost P95", "costo pagadores P95"),
        t(lang, "in the fund's worst 5%", "en el peor 5% del fondo"),
        t(lang, "share of that tail", "parte de esa cola"),
        t(lang, "funder's P(loss)", "P(pérdida) del financiador"),
        t(lang, "funder's net mean", "neto medio del financiador"),
    ]
}

/// The cross-deal investors table's headers.
fn investor_headers(lang: Lang) -> [&'static str; 6] {
    [
        t(lang, "investor", "inversionista"),
        t(lang, "deals", "contratos"),
        t(lang, "portfolio IRR P50", "TIR del portafolio P50"),
        t(lang, "MOIC mean", "MOIC media"),
        t(lang, "net mean", "neto medio"),
        t(lang, "P(loss)", "P(pérdida)"),
    ]
}

/// The histogram of what the deals made due, with the fund's budget and
/// the budget that covers 95% of trials.
fn fund_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    due: &[f64],
    budget: Option<f64>,
    p95: f64,
    currency: &str,
    lang: Lang,
) -> Result<(), String> {
    area.fill(&WHITE).map_err(err)?;
    let mean = due.iter().sum::<f64>() / due.len().max(1) as f64;
    let (div, unit) = money_scale(mean, lang);
    let v: Vec<f64> = due.iter().map(|x| x / div).collect();
    let (mut lo, mut hi) = range_of(&v);
    for x in [budget, Some(p95)].into_iter().flatten() {
        lo = lo.min(x / div);
        hi = hi.max(x / div);
    }
    let pad = 0.03 * (hi - lo);
    let (lo, hi) = (lo - pad, hi + pad);
    let bins = 50;
    let counts = histogram(&v, lo, hi, bins);
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(
            t(
                lang,
                "What the deals make due, against the fund's budget",
                "Lo que los contratos hacen exigible, frente al presupuesto del fondo",
            ),
            caption_style(),
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(lo..hi, 0.0..top)
        .map_err(err)?;
    let dec = decimals_for(hi - lo);
    let axis = if unit.is_empty() {
        currency.to_owned()
    } else {
        format!("{currency} {unit}")
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(format!(
            "{} ({axis})",
            t(lang, "Due for outcomes", "Adeudado por resultados")
        ))
        .y_desc(t(lang, "Trials", "Simulaciones"))
        .x_label_formatter(&|x| number(*x, dec, lang))
        .y_label_formatter(&|y| number(*y, 0, lang))
        .axis_desc_style(("sans-serif", 16))
        .light_line_style(RGBColor(238, 238, 238))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    let w = (hi - lo) / bins as f64;
    let cap = budget.map(|b| b / div);
    chart
        .draw_series(counts.iter().enumerate().map(|(i, &c)| {
            let x0 = lo + i as f64 * w;
            // Bins above the budget: trials in which it binds.
            let colour = if cap.is_some_and(|b| x0 + 0.5 * w > b) {
                RED_.mix(0.75)
            } else {
                BLUE.mix(0.85)
            };
            Rectangle::new([(x0, 0.0), (x0 + w * 0.92, c as f64)], colour.filled())
        }))
        .map_err(err)?;
    vline(
        &mut chart,
        p95 / div,
        top,
        GREY.stroke_width(2),
        &format!(
            "{} {}",
            t(
                lang,
                "budget for 95% of trials",
                "presupuesto para 95% de simulaciones"
            ),
            number(p95 / div, dec, lang)
        ),
    )?;
    if let Some(b) = cap {
        vline(
            &mut chart,
            b,
            top,
            RED_.stroke_width(3),
            &format!(
                "{} {}",
                t(lang, "fund budget", "presupuesto del fondo"),
                number(b, dec, lang)
            ),
        )?;
    }
    super::charts::legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    area.present().map_err(err)
}

/// Horizontal bars: each deal's mean payer cost over the fund's worst 5%
/// of trials (they add up to the tail mean).
fn tail_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    deals: &[(String, f64)],
    currency: &str,
    lang: Lang,
) -> Result<(), String> {
    area.fill(&WHITE).map_err(err)?;
    let largest = deals.iter().map(|d| d.1).fold(0.0, f64::max);
    let (div, unit) = money_scale(largest, lang);
    let hi = (largest / div).max(1e-9) * 1.15;
    let n = deals.len().max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(
            t(
                lang,
                "Each deal's part of the fund's worst 5% of trials",
                "Parte de cada contrato en el peor 5% de simulaciones del fondo",
            ),
            caption_style(),
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(160)
        .build_cartesian_2d(0.0..hi, 0.0..n as f64)
        .map_err(err)?;
    let dec = decimals_for(hi);
    let axis = if unit.is_empty() {
        currency.to_owned()
    } else {
        format!("{currency} {unit}")
    };
    let names: Vec<String> = deals.iter().map(|d| d.0.clone()).collect();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n * 2 + 1)
        .x_desc(format!(
            "{} ({axis})",
            t(
                lang,
                "Mean payers' cost in those trials",
                "Costo medio de los pagadores en esas simulaciones"
            )
        ))
        .x_label_formatter(&|x| number(*x, dec, lang))
        .y_label_formatter(&|y| {
            // Labels at the middle of each bar (the top bar is the first deal).
            let k = y - y.floor();
            if (k - 0.5).abs() > 1e-6 {
                return String::new();
            }
            let i = n - 1 - y.floor() as usize;
            names.get(i).cloned().unwrap_or_default()
        })
        .axis_desc_style(("sans-serif", 16))
        .light_line_style(RGBColor(238, 238, 238))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(deals.iter().enumerate().map(|(i, d)| {
            let y = (n - 1 - i) as f64;
            Rectangle::new(
                [(0.0, y + 0.15), (d.1 / div, y + 0.85)],
                ORANGE.mix(0.85).filled(),
            )
        }))
        .map_err(err)?;
    area.present().map_err(err)
}

/// A chart as SVG text and PNG bytes.
fn both(
    draw: impl Fn(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
    draw_png: impl Fn(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<(String, Vec<u8>), String> {
    Ok((super::charts::svg(draw)?, super::charts::png(draw_png)?))
}

/// What the fund chart and the tail contributions read.
struct ChartData<'a> {
    cur: String,
    due: &'a [f64],
    budget: Option<f64>,
    p95: f64,
    bars: Vec<(String, f64)>,
    rows: Vec<DealRow>,
}

fn chart_data<'a>(summary: &Value, fund: &'a TrialColumns) -> ChartData<'a> {
    super::charts::register_fonts();
    let rows = deal_rows(summary);
    ChartData {
        cur: summary["programme"]["currency"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        due: fund.column("fund.due").unwrap_or_default(),
        budget: summary["fund"]["budget_cap"].as_f64(),
        p95: f(&summary["fund"]["budget_for_coverage"]["p95"]),
        bars: rows.iter().map(|r| (r.name.clone(), r.values[2])).collect(),
        rows,
    }
}

/// The fund chart and the tail contributions as SVG, `(name, title, svg)`,
/// for the deal room.
pub fn svg_charts(
    summary: &Value,
    fund: &TrialColumns,
    lang: Lang,
) -> Result<Vec<(&'static str, &'static str, String)>, String> {
    let ChartData {
        cur,
        due,
        budget,
        p95,
        bars,
        ..
    } = chart_data(summary, fund);
    Ok(vec![
        (
            "fund",
            t(
                lang,
                "What the deals make due",
                "Lo que los contratos causan",
            ),
            super::charts::svg(|a| fund_chart(a, due, budget, p95, &cur, lang))?,
        ),
        (
            "tail_contributions",
            t(
                lang,
                "Each deal's part of the fund's worst 5%",
                "Parte de cada contrato en el peor 5% del fondo",
            ),
            super::charts::svg(|a| tail_chart(a, &bars, &cur, lang))?,
        ),
    ])
}

/// The charts, `report.html` and `workbook.xlsx` of a programme run.
pub fn files(
    summary: &Value,
    fund: &TrialColumns,
    run: &Value,
    lang: Lang,
) -> Result<Vec<Document>, String> {
    let ChartData {
        cur,
        due,
        budget,
        p95,
        bars,
        rows,
    } = chart_data(summary, fund);
    let fund_figure = both(
        |a| fund_chart(a, due, budget, p95, &cur, lang),
        |a| fund_chart(a, due, budget, p95, &cur, lang),
    )?;
    let tail_figure = both(
        |a| tail_chart(a, &bars, &cur, lang),
        |a| tail_chart(a, &bars, &cur, lang),
    )?;
    let html = page(summary, &rows, &[&fund_figure.0, &tail_figure.0], run, lang);
    let book =
        workbook(summary, &rows, lang).map_err(|e| format!("cannot write the workbook: {e}"))?;
    Ok(vec![
        Document::new("charts/fund.svg".into(), fund_figure.0.into_bytes()),
        Document::new("charts/fund.png".into(), fund_figure.1),
        Document::new(
            "charts/tail_contributions.svg".into(),
            tail_figure.0.into_bytes(),
        ),
        Document::new("charts/tail_contributions.png".into(), tail_figure.1),
        Document::new("report.html".into(), html.into_bytes()),
        Document::new("workbook.xlsx".into(), book),
    ])
}

/// `report.html` of a programme.
fn page(summary: &Value, rows: &[DealRow], charts: &[&str], run: &Value, lang: Lang) -> String {
    let p = &summary["programme"];
    let fund = &summary["fund"];
    let name = p["name"].as_str().unwrap_or_default();
    let cur = p["currency"].as_str().unwrap_or_default();
    let money = |x: f64| format!("{cur} {}", thousands(x, lang));
    let mut h = String::with_capacity(100_000);
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} — ibsim</title>\n<style>{CSS}</style>\n</head>\n<body><main>",
        lang.code(),
        esc(name)
    );
    let _ = writeln!(
        h,
        "<h1>{}</h1>\n<p class=\"sub\">{} · {} {} · {} {} · {} {}</p>",
        esc(name),
        t(
            lang,
            "Programme of deals paid from one fund",
            "Programa de contratos pagados por un fondo"
        ),
        thousands(f(&p["trials"]), lang),
        t(lang, "trials", "simulaciones"),
        t(lang, "seed", "semilla"),
        p["seed"],
        rows.len(),
        t(lang, "deals", "contratos"),
    );
    // Headline figures.
    let binds = f(&fund["probabilities"]["prob_fund_budget_binds"]["value"]);
    let m = |k: &str, q: &str| f(&fund["metrics"][k][q]);
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<div class=\"kpis\">",
        t(lang, "The fund", "El fondo")
    );
    let mut kpis = vec![
        (
            t(
                lang,
                "Payers' cost (mean)",
                "Costo de los pagadores (media)",
            )
            .to_owned(),
            money(m("fund.payer_cost", "mean")),
        ),
        (
            t(lang, "Payers' cost (P95)", "Costo de los pagadores (P95)").to_owned(),
            money(m("fund.payer_cost", "p95")),
        ),
        (
            t(
                lang,
                "Budget for 95% of trials",
                "Presupuesto para 95% de simulaciones",
            )
            .to_owned(),
            money(f(&fund["budget_for_coverage"]["p95"])),
        ),
    ];
    if let Some(b) = fund["budget_cap"].as_f64() {
        kpis.push((
            format!(
                "{} {}",
                t(
                    lang,
                    "P(the budget binds) at",
                    "P(el presupuesto no alcanza) con"
                ),
                money(b)
            ),
            pct(binds, lang),
        ));
    }
    for (label, value) in kpis {
        let _ = writeln!(
            h,
            "<div class=\"kpi\"><span>{}</span><b>{}</b></div>",
            esc(&label),
            esc(&value)
        );
    }
    h.push_str("</div>\n<table>\n");
    head(&mut h, &["", t(lang, "mean", "media"), "P5", "P50", "P95"]);
    for (label, v) in fund_rows(summary, lang) {
        let mut cells = vec![esc(&label)];
        cells.extend(v.iter().map(|x| money(*x)));
        row(&mut h, &cells, 1);
    }
    h.push_str("</table>\n<table>\n");
    let c = &fund["budget_for_coverage"];
    let d = &fund["diversification"];
    for (label, value) in [
        (
            t(
                lang,
                "Budget for 90 / 95 / 99% of trials",
                "Presupuesto para 90 / 95 / 99% de simulaciones",
            ),
            format!(
                "{} / {} / {}",
                money(f(&c["p90"])),
                money(f(&c["p95"])),
                money(f(&c["p99"]))
            ),
        ),
        (
            t(
                lang,
                "Mean of the worst 5% of fund cost",
                "Media del peor 5% del costo del fondo",
            ),
            money(f(&fund["tail"]["tail_mean_payer_cost"])),
        ),
        (
            t(
                lang,
                "P95 of fund cost / sum of the deals' P95",
                "P95 del costo del fondo / suma de los P95 de los contratos",
            ),
            format!(
                "{} / {}",
                money(f(&d["p95_payer_cost"])),
                money(f(&d["sum_of_deal_p95"]))
            ),
        ),
        (
            t(
                lang,
                "Diversification benefit",
                "Beneficio de diversificación",
            ),
            money(f(&d["benefit"])),
        ),
    ] {
        row(&mut h, &[esc(label), value], 1);
    }
    h.push_str("</table>\n");
    // The deals.
    let _ = writeln!(h, "<h2>{}</h2>\n<table>", t(lang, "Deals", "Contratos"));
    head(&mut h, &deal_headers(lang));
    for r in rows {
        let v = r.values;
        row(
            &mut h,
            &[
                esc(&r.name),
                number(r.start, 0, lang),
                if r.provider {
                    t(lang, "provider", "operador")
                } else {
                    t(lang, "investors", "inversionistas")
                }
                .to_owned(),
                money(v[0]),
                money(v[1]),
                money(v[2]),
                pct(v[3], lang),
                pct(v[4], lang),
                money(v[5]),
            ],
            1,
        );
    }
    h.push_str("</table>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">{}</p>",
        t(
            lang,
            "A deal's part of the fund's worst 5% is its mean payers' cost over the trials of the fund's highest 5% of cost (the Euler allocation of the tail mean): the parts add up to the tail mean. Each deal's figures are after the fund's cut.",
            "La parte de un contrato en el peor 5% del fondo es su costo medio para los pagadores en las simulaciones del 5% de mayor costo del fondo (asignación de Euler de la media de la cola): las partes suman la media de la cola. Las cifras de cada contrato son después del recorte del fondo."
        )
    );
    let investors = investor_rows(summary);
    if !investors.is_empty() {
        let _ = writeln!(
            h,
            "<h2>{}</h2>\n<table>",
            t(
                lang,
                "Investors in several deals",
                "Inversionistas en varios contratos"
            )
        );
        head(&mut h, &investor_headers(lang));
        for (name, deals, v) in &investors {
            row(
                &mut h,
                &[
                    esc(name),
                    esc(deals),
                    pct(v[0], lang),
                    number(v[1], 3, lang),
                    money(v[2]),
                    pct(v[3], lang),
                ],
                2,
            );
        }
        h.push_str("</table>\n");
    }
    let _ = writeln!(h, "<h2>{}</h2>", t(lang, "Charts", "Gráficos"));
    for svg in charts {
        let _ = writeln!(h, "<figure>\n{svg}\n</figure>");
    }
    let _ = writeln!(
        h,
        "<p class=\"note\">ibsim {} · {} {} · {} {:.2} s</p>",
        esc(run["ibsim_version"].as_str().unwrap_or_default()),
        t(lang, "model version", "versión del modelo"),
        summary["model_version"],
        t(lang, "run time", "tiempo de ejecución"),
        f(&run["wall_seconds"])
    );
    h.push_str("</main></body></html>\n");
    h
}

/// `workbook.xlsx` of a programme: the fund's figures, then the deals.
fn workbook(summary: &Value, rows: &[DealRow], lang: Lang) -> Result<Vec<u8>, XlsxError> {
    let cur = summary["programme"]["currency"]
        .as_str()
        .unwrap_or_default();
    let fm = Formats::new(cur);
    let mut wb = Workbook::new();
    let ws = wb
        .add_worksheet()
        .set_name(t(lang, "Programme", "Programa"))?;
    header(
        ws,
        &["", t(lang, "mean", "media"), "P5", "P50", "P95"],
        &fm.head,
    )?;
    ws.set_column_width(0, 44)?;
    for c in 1..=4 {
        ws.set_column_width(c, 22)?;
    }
    let mut r = 1u32;
    for (label, v) in fund_rows(summary, lang) {
        ws.write_string(r, 0, &label)?;
        for (k, x) in v.iter().enumerate() {
            num(ws, r, 1 + k as u16, *x, &fm.money)?;
        }
        r += 1;
    }
    r += 1;
    let fund = &summary["fund"];
    if let Some(b) = fund["budget_cap"].as_f64() {
        ws.write_string(r, 0, t(lang, "Fund budget", "Presupuesto del fondo"))?;
        num(ws, r, 1, b, &fm.money)?;
        r += 1;
        ws.write_string(
            r,
            0,
            t(lang, "P(the budget binds)", "P(el presupuesto no alcanza)"),
        )?;
        num(
            ws,
            r,
            1,
            f(&fund["probabilities"]["prob_fund_budget_binds"]["value"]),
            &fm.rate,
        )?;
        r += 1;
    }
    for (label, key) in [
        (
            t(
                lang,
                "Budget for 90% of trials",
                "Presupuesto para 90% de simulaciones",
            ),
            "p90",
        ),
        (
            t(
                lang,
                "Budget for 95% of trials",
                "Presupuesto para 95% de simulaciones",
            ),
            "p95",
        ),
        (
            t(
                lang,
                "Budget for 99% of trials",
                "Presupuesto para 99% de simulaciones",
            ),
            "p99",
        ),
    ] {
        ws.write_string(r, 0, label)?;
        num(ws, r, 1, f(&fund["budget_for_coverage"][key]), &fm.money)?;
        r += 1;
    }
    for (label, v) in [
        (
            t(
                lang,
                "Mean of the worst 5% of fund cost",
                "Media del peor 5% del costo del fondo",
            ),
            &fund["tail"]["tail_mean_payer_cost"],
        ),
        (
            t(lang, "P95 of fund cost", "P95 del costo del fondo"),
            &fund["diversification"]["p95_payer_cost"],
        ),
        (
            t(
                lang,
                "Sum of the deals' P95",
                "Suma de los P95 de los contratos",
            ),
            &fund["diversification"]["sum_of_deal_p95"],
        ),
        (
            t(
                lang,
                "Diversification benefit",
                "Beneficio de diversificación",
            ),
            &fund["diversification"]["benefit"],
        ),
    ] {
        ws.write_string(r, 0, label)?;
        num(ws, r, 1, f(v), &fm.money)?;
        r += 1;
    }
    let investors = investor_rows(summary);
    if !investors.is_empty() {
        r += 1;
        let labels = investor_headers(lang);
        for (c, l) in labels.iter().enumerate() {
            ws.write_string_with_format(r, c as u16, *l, &fm.head)?;
        }
        r += 1;
        for (name, deals, v) in &investors {
            ws.write_string(r, 0, name)?;
            ws.write_string(r, 1, deals)?;
            num(ws, r, 2, v[0], &fm.rate)?;
            ws.write_number(r, 3, v[1])?;
            num(ws, r, 4, v[2], &fm.money)?;
            num(ws, r, 5, v[3], &fm.rate)?;
            r += 1;
        }
    }
    let ws = wb.add_worksheet().set_name(t(lang, "Deals", "Contratos"))?;
    header(ws, &deal_headers(lang), &fm.head)?;
    ws.set_column_width(0, 24)?;
    for c in 1..=8 {
        ws.set_column_width(c, 20)?;
    }
    for (i, d) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, &d.name)?;
        ws.write_number(r, 1, d.start)?;
        ws.write_string(
            r,
            2,
            if d.provider {
                t(lang, "provider", "operador")
            } else {
                t(lang, "investors", "inversionistas")
            },
        )?;
        for (k, v) in d.values.iter().enumerate() {
            let format = if k == 3 || k == 4 {
                &fm.rate
            } else {
                &fm.money
            };
            num(ws, r, 3 + k as u16, *v, format)?;
        }
    }
    wb.save_to_buffer()
}
