//! The chart and terminal table of `ibsim sweep`: for one varied value,
//! P(loss) and P(payer cost > cap) against it with the feasible corridor
//! shaded; for two, a heatmap of P(loss) with infeasible cells marked.

use plotters::prelude::*;

use super::Document;
use super::charts::{png, register_fonts, svg};
use super::i18n::{Lang, number, pct};
use crate::analysis::sweep::{Limits, SweepResult};

fn fig(r: &[(&'static str, f64, f64)], k: &str) -> f64 {
    r.iter().find(|f| f.0 == k).map_or(f64::NAN, |f| f.1)
}

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("sweep chart: {e:?}")
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    res: &SweepResult,
    limits: &Limits,
    lang: Lang,
) -> Result<(), String> {
    area.fill(&WHITE).map_err(err)?;
    if res.vary.len() == 1 {
        draw_line(area, res, limits, lang)?;
    } else {
        draw_heatmap(area, res, lang)?;
    }
    area.present().map_err(err)
}

/// One varied value: P(loss) and P(payer cost > cap) against it, the
/// feasible corridor shaded.
fn draw_line<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    res: &SweepResult,
    limits: &Limits,
    lang: Lang,
) -> Result<(), String> {
    let s = lang.strings_for(res.funded_by);
    let caption = ("sans-serif", 22).into_font().style(FontStyle::Bold);
    let v = &res.vary[0];
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{} / P(> cap) — {}", s.prob_loss, v.path), caption)
        .margin(16)
        .margin_right(48)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(v.lo..v.hi, 0.0..1.0)
        .map_err(err)?;
    let span = v.hi - v.lo;
    let dec = if span >= 50.0 {
        0
    } else if span >= 5.0 {
        1
    } else {
        3
    };
    chart
        .configure_mesh()
        .x_desc(v.path.clone())
        .y_desc(
            s.axis_cdf
                .replace("acumulada", "")
                .replace("Cumulative p", "P"),
        )
        .x_label_formatter(&|x| number(*x, dec, lang))
        .y_label_formatter(&|y| pct(*y, lang))
        .light_line_style(RGBColor(238, 238, 238))
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    // Shade the feasible corridor: half-way to the neighbours of each feasible point.
    let xs: Vec<f64> = res.rows.iter().map(|r| r.0[0]).collect();
    let green = RGBColor(44, 160, 44).mix(0.15).filled();
    let mut first = true;
    for (i, r) in res.rows.iter().enumerate() {
        if !r.2 {
            continue;
        }
        let a = if i == 0 {
            xs[0]
        } else {
            0.5 * (xs[i - 1] + xs[i])
        };
        let b = if i + 1 == xs.len() {
            xs[i]
        } else {
            0.5 * (xs[i] + xs[i + 1])
        };
        let series = chart
            .draw_series(std::iter::once(Rectangle::new([(a, 0.0), (b, 1.0)], green)))
            .map_err(err)?;
        if first {
            series
                .label(format!(
                    "P(loss) <= {}, P(> cap) <= {}",
                    pct(limits.max_prob_loss, lang),
                    pct(limits.max_prob_over_cap, lang)
                ))
                .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], green));
            first = false;
        }
    }
    let blue = RGBColor(31, 119, 180);
    let red = RGBColor(214, 39, 40);
    for (k, name, color) in [
        ("prob_loss", s.prob_loss.to_owned(), blue),
        (
            "prob_payer_cost_over_cap",
            format!("P({} > cap)", s.payer_cost),
            red,
        ),
    ] {
        let pts: Vec<(f64, f64)> = res
            .rows
            .iter()
            .map(|r| (r.0[0], fig(&r.1, k)))
            .filter(|p| p.1.is_finite())
            .collect();
        if pts.is_empty() {
            continue;
        }
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(3)))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3))
            });
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))
            .map_err(err)?;
    }
    super::charts::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    Ok(())
}

/// Two varied values: a heatmap of P(loss), infeasible cells marked.
fn draw_heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    res: &SweepResult,
    lang: Lang,
) -> Result<(), String> {
    let s = lang.strings_for(res.funded_by);
    let caption = ("sans-serif", 22).into_font().style(FontStyle::Bold);
    let (vx, vy) = (&res.vary[0], &res.vary[1]);
    let (gx, gy) = (vx.values(), vy.values());
    let (dx, dy) = (
        (vx.hi - vx.lo) / (gx.len() - 1) as f64,
        (vy.hi - vy.lo) / (gy.len() - 1) as f64,
    );
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("{} — {} × {}", s.prob_loss, vx.path, vy.path),
            caption,
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(90)
        .build_cartesian_2d(
            (vx.lo - dx / 2.0)..(vx.hi + dx / 2.0),
            (vy.lo - dy / 2.0)..(vy.hi + dy / 2.0),
        )
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(vx.path.clone())
        .y_desc(vy.path.clone())
        .x_label_formatter(&|x| number(*x, 2, lang))
        .y_label_formatter(&|y| number(*y, 2, lang))
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    for r in &res.rows {
        let (x, y, p) = (r.0[0], r.0[1], fig(&r.1, "prob_loss"));
        // White (no loss) to red (always loss).
        let c = if p.is_finite() {
            RGBColor(255, (255.0 * (1.0 - p)) as u8, (255.0 * (1.0 - p)) as u8)
        } else {
            RGBColor(200, 200, 200)
        };
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x - dx / 2.0, y - dy / 2.0), (x + dx / 2.0, y + dy / 2.0)],
                c.filled(),
            )))
            .map_err(err)?;
        let label = if r.2 {
            pct(p, lang)
        } else {
            format!("{} ×", pct(p, lang))
        };
        chart
            .draw_series(std::iter::once(Text::new(
                label,
                (x - dx / 4.0, y),
                ("sans-serif", 13).into_font().color(&BLACK),
            )))
            .map_err(err)?;
    }
    Ok(())
}

/// `charts/sweep.svg` and `charts/sweep.png`.
pub fn files(res: &SweepResult, limits: &Limits, lang: Lang) -> Result<Vec<Document>, String> {
    register_fonts();
    let svg = svg(|area| draw(area, res, limits, lang))?;
    let png = png(|area| draw(area, res, limits, lang))?;
    Ok(vec![
        Document::new("charts/sweep.svg".into(), svg.into_bytes()),
        Document::new("charts/sweep.png".into(), png),
    ])
}
