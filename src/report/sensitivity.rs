//! What `ibsim sensitivity` writes besides `sensitivity.json` and the
//! tornado charts: the Sobol charts (each input's first-order and total
//! index with its interval, per metric), the tail chart (P(condition) by
//! decile of the inputs most unusual in the tail), `report.html` and
//! `workbook.xlsx` with every table, in English or Spanish.

use std::fmt::Write as _;

use plotters::prelude::*;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::Document;
use super::charts::{png, register_fonts, svg};
use super::html::esc;
use super::i18n::{Lang, number, pct};
use crate::analysis::sensitivity::Sensitivity;
use crate::analysis::sobol::{MetricIndices, Sobol};
use crate::analysis::tail::Tail;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("sensitivity chart: {e:?}")
}

fn t(lang: Lang, en: &'static str, es: &'static str) -> &'static str {
    if lang == Lang::Es { es } else { en }
}

/// Draws a chart on an SVG area.
type DrawSvg<'a> =
    &'a dyn Fn(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), String>;
/// Draws a chart on a bitmap area.
type DrawPng<'a> =
    &'a dyn Fn(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<(), String>;

/// Inputs the tail chart draws.
const TAIL_LINES: usize = 4;

/// One metric's Sobol bars: per input (and the noise), the first-order
/// index and the total, each with its 95% interval.
fn sobol_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    sb: &Sobol,
    m: &MetricIndices,
    lang: Lang,
) -> Result<(), String> {
    area.fill(&WHITE).map_err(err)?;
    let noise = t(lang, "unexplained (noise)", "sin explicar (ruido)");
    let rows: Vec<(&str, crate::analysis::sobol::Indices)> = sb
        .inputs
        .iter()
        .map(|i| i.path.as_str())
        .zip(m.inputs.iter().copied())
        .chain([(noise, m.noise)])
        .collect();
    let k = rows.len();
    let ends = rows
        .iter()
        .flat_map(|(_, x)| [x.first.interval.0, x.first.interval.1, x.total.interval.1])
        .filter(|x| x.is_finite());
    let lo = ends.clone().fold(0.0, f64::min).max(-0.5);
    let hi = ends.fold(1.0, f64::max).min(1.5);
    let longest = rows.iter().map(|r| r.0.len()).max().unwrap_or(10) as u32;
    let title = format!(
        "{}: {}",
        t(lang, "Sobol indices", "Índices de Sobol"),
        m.metric
    );
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22).into_font().style(FontStyle::Bold))
        .margin(16)
        .margin_right(40)
        .x_label_area_size(50)
        .y_label_area_size((longest * 8 + 20).min(360))
        .build_cartesian_2d(lo..hi, 0.0..k as f64)
        .map_err(err)?;
    let names: Vec<String> = rows.iter().map(|r| r.0.to_owned()).collect();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(k * 2 + 1)
        .y_label_formatter(&|y| {
            if (y.fract() - 0.5).abs() < 0.01 {
                let row = (k as f64 - y - 0.5).round() as usize;
                names.get(row).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_desc(t(
            lang,
            "share of the variance (95% intervals)",
            "parte de la varianza (intervalos al 95%)",
        ))
        .x_label_formatter(&|x| number(*x, 1, lang))
        .light_line_style(RGBColor(238, 238, 238))
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    let first = RGBColor(31, 119, 180).mix(0.9).filled();
    let total = RGBColor(230, 126, 34).mix(0.75).filled();
    for (row, (_, x)) in rows.iter().enumerate() {
        let y = k as f64 - row as f64 - 0.5;
        for (e, style, (a, b)) in [
            (x.first, first, (0.04, 0.34)),
            (x.total, total, (-0.34, -0.04)),
        ] {
            if !e.value.is_finite() {
                continue;
            }
            let v = e.value.clamp(lo, hi);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y + a), (v, y + b)],
                    style,
                )))
                .map_err(err)?;
            let mid = y + (a + b) / 2.0;
            let (l, h) = (e.interval.0.clamp(lo, hi), e.interval.1.clamp(lo, hi));
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(l, mid), (h, mid)],
                    BLACK.stroke_width(2),
                )))
                .map_err(err)?;
        }
    }
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(0.0, -1.0), (0.0, -1.0)],
            first,
        )))
        .map_err(err)?
        .label(t(lang, "first order", "primer orden"))
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], first));
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(0.0, -1.0), (0.0, -1.0)],
            total,
        )))
        .map_err(err)?
        .label("total")
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], total));
    super::charts::legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    area.present().map_err(err)
}

/// P(condition) by decile of the inputs most unusual in the tail, against
/// its probability over all trials.
fn tail_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    tail: &Tail,
    lang: Lang,
) -> Result<(), String> {
    area.fill(&WHITE).map_err(err)?;
    let overall = tail.tail_trials as f64 / tail.trials.max(1) as f64;
    let shown = &tail.inputs[..tail.inputs.len().min(TAIL_LINES)];
    let top = shown
        .iter()
        .flat_map(|i| i.prob_by_decile.iter().copied())
        .filter(|x| x.is_finite())
        .fold(overall, f64::max);
    let title = format!(
        "P({}) {}",
        tail.condition,
        t(lang, "by decile of each input", "por decil de cada entrada")
    );
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22).into_font().style(FontStyle::Bold))
        .margin(16)
        .margin_right(30)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0.5..10.5, 0.0..(top * 1.1).max(0.01))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(10)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| pct(*y, lang))
        .x_desc(t(
            lang,
            "decile of the input (1: its lowest tenth of trials)",
            "decil de la entrada (1: su décimo más bajo de simulaciones)",
        ))
        .light_line_style(RGBColor(238, 238, 238))
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(DashedLineSeries::new(
            [(0.5, overall), (10.5, overall)],
            6,
            4,
            BLACK.stroke_width(2),
        ))
        .map_err(err)?
        .label(format!(
            "{} {}",
            t(lang, "all trials", "todas"),
            pct(overall, lang)
        ))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(2)));
    let colours = [
        RGBColor(31, 119, 180),
        RGBColor(230, 126, 34),
        RGBColor(44, 160, 44),
        RGBColor(148, 103, 189),
    ];
    for (i, c) in shown.iter().zip(colours) {
        let points: Vec<(f64, f64)> = i
            .prob_by_decile
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_finite())
            .map(|(d, p)| (d as f64 + 1.0, *p))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), c.stroke_width(3)))
            .map_err(err)?
            .label(i.path.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3)));
        chart
            .draw_series(points.into_iter().map(|p| Circle::new(p, 4, c.filled())))
            .map_err(err)?;
    }
    super::charts::legend(&mut chart, SeriesLabelPosition::UpperMiddle)?;
    area.present().map_err(err)
}

/// A file-name-safe form of a metric name.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// `charts/tail.{png,svg}`, `charts/sobol_<metric>.{png,svg}` (with
/// `--sobol`), `report.html` and `workbook.xlsx`; `tornado` are the
/// tornado charts' SVGs, shown in the report.
pub fn files(
    res: &Sensitivity,
    name: &str,
    tornado: &[String],
    lang: Lang,
) -> Result<Vec<Document>, String> {
    register_fonts();
    let mut out = Vec::new();
    let mut svgs: Vec<(String, String)> = Vec::new();
    let mut both = |file: String, draw: DrawSvg, draw_png: DrawPng| -> Result<(), String> {
        let s = svg(draw)?;
        out.push(Document::new(
            format!("charts/{file}.svg"),
            s.clone().into_bytes(),
        ));
        out.push(Document::new(format!("charts/{file}.png"), png(draw_png)?));
        svgs.push((file, s));
        Ok(())
    };
    if res.tail.tail_trials > 0 {
        both("tail".into(), &|a| tail_chart(a, &res.tail, lang), &|a| {
            tail_chart(a, &res.tail, lang)
        })?;
    }
    if let Some(sb) = &res.sobol {
        for m in &sb.metrics {
            both(
                format!("sobol_{}", slug(&m.metric)),
                &|a| sobol_chart(a, sb, m, lang),
                &|a| sobol_chart(a, sb, m, lang),
            )?;
        }
    }
    let html = page(res, name, tornado, &svgs, lang);
    out.push(Document::new("report.html".into(), html.into_bytes()));
    let book = workbook(res, lang).map_err(|e| format!("cannot write the workbook: {e}"))?;
    out.push(Document::new("workbook.xlsx".into(), book));
    Ok(out)
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d2733;margin:0}main{max-width:1180px;margin:0 auto;padding:18px}table{border-collapse:collapse;margin:8px 0 18px;font-size:14px}td,th{border-bottom:1px solid #dde;padding:4px 9px}td.n{text-align:right;font-variant-numeric:tabular-nums}th{text-align:left;background:#f3f6fa}figure{margin:10px 0}figure svg{max-width:100%;height:auto}.sub{color:#555}";

/// A table of `head` and `rows` (columns from `numeric_from` on right-aligned).
fn table(h: &mut String, head: &[&str], rows: &[Vec<String>], numeric_from: usize) {
    h.push_str("<table><thead><tr>");
    for c in head {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr></thead><tbody>");
    for r in rows {
        h.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let class = if i >= numeric_from {
                " class=\"n\""
            } else {
                ""
            };
            let _ = write!(h, "<td{class}>{}</td>", esc(c));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>\n");
}

fn tail_rows(tail: &Tail, lang: Lang) -> Vec<Vec<String>> {
    let v = |x: f64| number(x, if x.abs() >= 100.0 { 0 } else { 4 }, lang);
    tail.inputs
        .iter()
        .map(|i| {
            let mut r = vec![
                i.path.clone(),
                v(i.median_all),
                v(i.median_tail),
                number(i.median_shift, 2, lang),
                number(i.mean_shift, 2, lang),
            ];
            r.extend(i.prob_by_decile.iter().map(|p| pct(*p, lang)));
            r
        })
        .collect()
}

fn tail_head(lang: Lang) -> Vec<&'static str> {
    let mut h = vec![
        t(lang, "input", "entrada"),
        t(lang, "median", "mediana"),
        t(lang, "median in the tail", "mediana en la cola"),
        t(
            lang,
            "median shift (sd)",
            "desplazamiento de la mediana (sd)",
        ),
        t(lang, "mean shift (sd)", "desplazamiento de la media (sd)"),
    ];
    h.extend([
        "P d1", "P d2", "P d3", "P d4", "P d5", "P d6", "P d7", "P d8", "P d9", "P d10",
    ]);
    h
}

fn ci(e: &crate::analysis::sobol::Estimate, lang: Lang) -> String {
    format!(
        "{} [{}, {}]",
        number(e.value, 3, lang),
        number(e.interval.0, 3, lang),
        number(e.interval.1, 3, lang)
    )
}

fn sobol_rows(sb: &Sobol, m: &MetricIndices, lang: Lang) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = sb
        .inputs
        .iter()
        .zip(&m.inputs)
        .map(|(i, x)| vec![i.path.clone(), ci(&x.first, lang), ci(&x.total, lang)])
        .collect();
    rows.push(vec![
        t(lang, "sum", "suma").into(),
        ci(&m.sum_first, lang),
        String::new(),
    ]);
    rows.push(vec![
        t(lang, "unexplained (noise)", "sin explicar (ruido)").into(),
        ci(&m.noise.first, lang),
        ci(&m.noise.total, lang),
    ]);
    rows
}

/// `report.html` of a sensitivity analysis.
fn page(
    res: &Sensitivity,
    name: &str,
    tornado: &[String],
    charts: &[(String, String)],
    lang: Lang,
) -> String {
    let mut h = String::with_capacity(200_000);
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{} — ibsim</title>\n<style>{CSS}</style>\n</head>\n<body><main>\n<h1>{}</h1>\n<p class=\"sub\">{} · {} {} · {} {}</p>",
        lang.code(),
        esc(name),
        esc(name),
        t(
            lang,
            "Which uncertainties drive the deal",
            "Qué incertidumbres mueven el contrato"
        ),
        number(res.trials as f64, 0, lang),
        t(lang, "trials", "simulaciones"),
        t(lang, "seed", "semilla"),
        res.seed
    );
    let _ = writeln!(
        h,
        "<h2>{}</h2>",
        t(
            lang,
            "Rank correlations and P10/P90 swings",
            "Correlaciones de rango y oscilaciones P10/P90"
        )
    );
    let text = crate::report::analysis::sensitivity_table(res, lang);
    let _ = writeln!(h, "<pre>{}</pre>", esc(&text));
    for s in tornado {
        let _ = writeln!(h, "<figure>{s}</figure>");
    }
    let tail = &res.tail;
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<p>{} <b>{}</b>: {} {} {} ({}). {}</p>",
        t(
            lang,
            "What the bad trials look like",
            "Cómo son las simulaciones malas"
        ),
        t(lang, "Condition", "Condición"),
        esc(&tail.condition),
        number(tail.tail_trials as f64, 0, lang),
        t(lang, "of", "de"),
        number(tail.trials as f64, 0, lang),
        pct(tail.tail_trials as f64 / tail.trials.max(1) as f64, lang),
        t(
            lang,
            "Each input's median and mean in those trials against all trials, in units of its standard deviation, and the probability of the condition in each tenth of the trials ranked by the input.",
            "La mediana y la media de cada entrada en esas simulaciones frente a todas, en unidades de su desviación estándar, y la probabilidad de la condición en cada décimo de las simulaciones ordenadas por la entrada."
        )
    );
    table(&mut h, &tail_head(lang), &tail_rows(tail, lang), 1);
    for (file, s) in charts {
        if file == "tail" {
            let _ = writeln!(h, "<figure>{s}</figure>");
        }
    }
    if let Some(sb) = &res.sobol {
        let _ = writeln!(
            h,
            "<h2>{}</h2>\n<p>{} {} {}, {} {} ({} + 3 {}), {} {} {}. {}</p>",
            t(
                lang,
                "Variance-based (Sobol) indices",
                "Índices basados en la varianza (Sobol)"
            ),
            t(lang, "Saltelli design of", "Diseño de Saltelli de"),
            number(sb.base_samples as f64, 0, lang),
            t(lang, "base samples", "muestras base"),
            number(sb.trials as f64, 0, lang),
            t(lang, "trials", "simulaciones"),
            sb.inputs.len(),
            t(lang, "matrices", "matrices"),
            t(lang, "95% intervals from", "intervalos al 95% de"),
            sb.resamples,
            t(lang, "bootstrap resamples", "remuestreos bootstrap"),
            t(
                lang,
                "First order: the share of the variance an input explains alone; total: alone and through its interactions. The unexplained share is the funnel's own randomness (who succeeds, what is measured) given the inputs.",
                "Primer orden: la parte de la varianza que una entrada explica sola; total: sola y con sus interacciones. La parte sin explicar es el azar propio del embudo (quién logra el resultado, qué se mide) dadas las entradas."
            )
        );
        for m in &sb.metrics {
            let _ = writeln!(h, "<h3>{}</h3>", esc(&m.metric));
            table(
                &mut h,
                &[
                    t(lang, "input", "entrada"),
                    t(lang, "first order", "primer orden"),
                    "total",
                ],
                &sobol_rows(sb, m, lang),
                1,
            );
            let file = format!("sobol_{}", slug(&m.metric));
            if let Some((_, s)) = charts.iter().find(|(f, _)| *f == file) {
                let _ = writeln!(h, "<figure>{s}</figure>");
            }
        }
    }
    h.push_str("</main></body></html>\n");
    h
}

/// `workbook.xlsx`: the inputs' swings, the tail analysis, the Sobol indices.
fn workbook(res: &Sensitivity, lang: Lang) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let put = |ws: &mut rust_xlsxwriter::Worksheet,
               head: &[&str],
               rows: &[Vec<String>]|
     -> Result<(), XlsxError> {
        for (c, x) in head.iter().enumerate() {
            ws.write_with_format(0, c as u16, *x, &bold)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, x) in row.iter().enumerate() {
                ws.write(r as u32 + 1, c as u16, x.as_str())?;
            }
        }
        Ok(())
    };
    let ws = book
        .add_worksheet()
        .set_name(t(lang, "Inputs", "Entradas"))?;
    let rows: Vec<Vec<String>> = res
        .inputs
        .iter()
        .map(|i| {
            vec![
                i.path.clone(),
                i.low_high.0.to_string(),
                i.low_high.1.to_string(),
                i.spearman[0].to_string(),
                i.spearman[1].to_string(),
                i.spearman[2].to_string(),
                i.net.0.to_string(),
                i.net.1.to_string(),
                i.cost.0.to_string(),
                i.cost.1.to_string(),
            ]
        })
        .collect();
    put(
        ws,
        &[
            "input",
            "P10",
            "P90",
            "rho IRR",
            "rho net",
            "rho cost",
            "net @P10",
            "net @P90",
            "cost @P10",
            "cost @P90",
        ],
        &rows,
    )?;
    let ws = book.add_worksheet().set_name(t(lang, "Tail", "Cola"))?;
    let rows: Vec<Vec<String>> = res
        .tail
        .inputs
        .iter()
        .map(|i| {
            let mut r = vec![
                i.path.clone(),
                i.median_all.to_string(),
                i.median_tail.to_string(),
                i.median_shift.to_string(),
                i.mean_shift.to_string(),
            ];
            r.extend(i.prob_by_decile.iter().map(ToString::to_string));
            r
        })
        .collect();
    put(ws, &tail_head(lang), &rows)?;
    if let Some(sb) = &res.sobol {
        let ws = book.add_worksheet().set_name("Sobol")?;
        let mut rows = Vec::new();
        for m in &sb.metrics {
            let mut row = |path: &str, e: &crate::analysis::sobol::Estimate, kind: &str| {
                rows.push(vec![
                    m.metric.clone(),
                    path.to_owned(),
                    kind.to_owned(),
                    e.value.to_string(),
                    e.se.to_string(),
                    e.interval.0.to_string(),
                    e.interval.1.to_string(),
                ]);
            };
            for (i, x) in sb.inputs.iter().zip(&m.inputs) {
                row(&i.path, &x.first, "first");
                row(&i.path, &x.total, "total");
            }
            row("noise", &m.noise.first, "first");
            row("noise", &m.noise.total, "total");
        }
        put(
            ws,
            &["metric", "input", "index", "value", "se", "2.5%", "97.5%"],
            &rows,
        )?;
    }
    book.save_to_buffer()
}
