//! The charts of a run, drawn with plotters once per backend: PNG files for
//! slides and SVG (files, and inline in `report.html`).
//!
//! Fonts are embedded (DejaVu Sans, `assets/fonts/`) and registered with
//! plotters' ab_glyph renderer, so charts render on a machine with no system
//! fonts.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::account::AccountBands;
use super::i18n::{Lang, Strings, money_scale, number, pct};
use crate::engine::Layout;
use crate::engine::runner::TrialColumns;
use crate::model::Model;
use crate::summary::Summary;

/// Chart size in pixels.
pub const SIZE: (u32, u32) = (960, 540);
/// Trials drawn in the scatter chart (the first ones, so the sample is reproducible).
pub const SCATTER_TRIALS: usize = 2000;

static FONT_REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static FONT_BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// Registers the embedded fonts as plotters' `sans-serif` (once per process).
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TTF compiled into the binary; a failure would leave
        // plotters without a font and is reported when drawing text.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT_REGULAR);
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, FONT_BOLD);
    });
}

/// One rendered chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// File stem (`irr_histogram`).
    pub name: &'static str,
    /// Title, for the report's figure caption.
    pub title: String,
    /// The SVG text.
    pub svg: String,
    /// The PNG file's bytes (empty when not asked for).
    pub png: Vec<u8>,
}

/// Draws a chart of [`SIZE`] into a PNG file's bytes.
pub fn png(
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<Vec<u8>, String> {
    use image::ImageEncoder;
    let (w, h) = SIZE;
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        draw(&area)?;
    }
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes)
        .write_image(&rgb, w, h, image::ColorType::Rgb8)
        .map_err(|e| format!("cannot encode PNG: {e}"))?;
    Ok(bytes)
}

/// Draws a chart of [`SIZE`] into SVG text.
pub fn svg(
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<String, String> {
    let mut text = String::new();
    {
        let area = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        draw(&area)?;
    }
    Ok(text)
}

/// Everything the charts read, prepared once.
struct Data<'a> {
    lang: Lang,
    /// The words, named for whoever funds the contract.
    s: &'static Strings,
    currency: &'a str,
    irr: Vec<f64>,
    irr_q: (f64, f64, f64),
    irr_p1: f64,
    prob_loss: f64,
    hurdle: f64,
    payer_cost: Vec<f64>,
    budget_line: Option<f64>,
    delivery_mean: f64,
    net: Vec<f64>,
    tranches: Vec<(String, Vec<f64>)>,
    /// The run's columns, for the kept trials' month-by-month series.
    cols: &'a TrialColumns,
    /// The deal account's bands by month.
    account: &'a AccountBands,
    horizon: usize,
    capital_p95: f64,
    deciles: Vec<[f64; 4]>,
    last_outcome: &'a str,
    scatter: Vec<(f64, f64)>,
}

type DrawResult = Result<(), String>;

pub(crate) fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

fn finite(v: &[f64]) -> Vec<f64> {
    v.iter().copied().filter(|x| x.is_finite()).collect()
}

pub(crate) fn range_of(v: &[f64]) -> (f64, f64) {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 * lo.abs().max(1.0) {
        let pad = 0.05 * lo.abs().max(1.0);
        return (lo - pad, hi + pad);
    }
    (lo, hi)
}

/// Counts of `v` in `bins` equal bins over [lo, hi].
pub(crate) fn histogram(v: &[f64], lo: f64, hi: f64, bins: usize) -> Vec<u32> {
    let mut c = vec![0u32; bins];
    let w = (hi - lo) / bins as f64;
    for &x in v {
        let i = (((x - lo) / w) as usize).min(bins - 1);
        c[i] += 1;
    }
    c
}

/// Decimals that make tick labels over `span` distinct.
pub(crate) fn decimals_for(span: f64) -> usize {
    if span >= 50.0 {
        0
    } else if span >= 5.0 {
        1
    } else if span >= 0.5 {
        2
    } else {
        3
    }
}

fn money_axis(d: &Data, unit: &str) -> String {
    if unit.is_empty() {
        d.currency.to_owned()
    } else {
        format!("{} {unit}", d.currency)
    }
}

pub(crate) const BLUE: RGBColor = RGBColor(31, 119, 180);
pub(crate) const ORANGE: RGBColor = RGBColor(230, 126, 34);
pub(crate) const GREEN: RGBColor = RGBColor(44, 160, 44);
pub(crate) const RED_: RGBColor = RGBColor(214, 39, 40);
const PURPLE: RGBColor = RGBColor(148, 103, 189);
pub(crate) const GREY: RGBColor = RGBColor(110, 110, 110);
const PALETTE: [RGBColor; 5] = [BLUE, ORANGE, GREEN, PURPLE, RED_];

pub(crate) fn caption_style() -> TextStyle<'static> {
    ("sans-serif", 22).into_font().style(FontStyle::Bold).into()
}

pub(crate) fn vline<DB: DrawingBackend>(
    chart: &mut ChartContext<
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    x: f64,
    y_top: f64,
    style: ShapeStyle,
    label: &str,
) -> DrawResult {
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(x, 0.0), (x, y_top)],
            style,
        )))
        .map_err(err)?
        .label(label.to_owned())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
    Ok(())
}

/// Draws the series legend in the house style at `pos`.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    pos: SeriesLabelPosition,
) -> DrawResult {
    chart
        .configure_series_labels()
        .position(pos)
        .background_style(WHITE.mix(0.9))
        .border_style(GREY)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(err)
}

fn irr_histogram<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &Data) -> DrawResult {
    let s = d.s;
    area.fill(&WHITE).map_err(err)?;
    let pcts: Vec<f64> = d.irr.iter().map(|x| 100.0 * x).collect();
    let (min, hi) = range_of(&pcts);
    // A few extreme losses would squeeze the bulk into a few bars: clip the axis at P1.
    let p1 = 100.0 * d.irr_p1;
    let clipped = p1.is_finite() && p1 > min && p1 < hi;
    let lo = if clipped { p1 } else { min };
    let bins = 50;
    let clamped: Vec<f64> = pcts.iter().map(|x| x.max(lo)).collect();
    let counts = histogram(&clamped, lo, hi, bins);
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.1;
    let title = format!(
        "{} — {} {}",
        s.chart_irr,
        s.prob_loss,
        pct(d.prob_loss, d.lang)
    );
    let mut chart = ChartBuilder::on(area)
        .caption(title, caption_style())
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(lo..hi, 0.0..top)
        .map_err(err)?;
    let dec = decimals_for(hi - lo);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(if clipped {
            format!("{} — {}", s.axis_irr, s.clipped_note)
        } else {
            s.axis_irr.to_owned()
        })
        .y_desc(s.axis_trials)
        .x_label_formatter(&|x| number(*x, dec, d.lang))
        .y_label_formatter(&|y| number(*y, 0, d.lang))
        .axis_desc_style(("sans-serif", 16))
        .light_line_style(RGBColor(238, 238, 238))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    if lo < 0.0 {
        let loss = RED_.mix(0.12).filled();
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(lo, 0.0), (0.0_f64.min(hi), top)],
                loss,
            )))
            .map_err(err)?
            .label(s.loss_region)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], loss));
    }
    let w = (hi - lo) / bins as f64;
    chart
        .draw_series(counts.iter().enumerate().map(|(i, &c)| {
            let x0 = lo + i as f64 * w;
            Rectangle::new(
                [(x0, 0.0), (x0 + w * 0.92, c as f64)],
                BLUE.mix(0.85).filled(),
            )
        }))
        .map_err(err)?;
    let (p5, p50, p95) = d.irr_q;
    for (v, name, style) in [
        (p5, "P5", GREY.stroke_width(2)),
        (p50, "P50", BLACK.stroke_width(2)),
        (p95, "P95", GREY.stroke_width(2)),
    ] {
        if v.is_finite() {
            vline(
                &mut chart,
                100.0 * v,
                top,
                style,
                &format!("{name} {}", pct(v, d.lang)),
            )?;
        }
    }
    if (lo..=hi).contains(&(100.0 * d.hurdle)) {
        vline(
            &mut chart,
            100.0 * d.hurdle,
            top,
            GREEN.stroke_width(3),
            &format!("{} {}", s.hurdle, pct(d.hurdle, d.lang)),
        )?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    area.present().map_err(err)
}

fn payer_cost_histogram<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &Data) -> DrawResult {
    let s = d.s;
    area.fill(&WHITE).map_err(err)?;
    let mean = d.payer_cost.iter().sum::<f64>() / d.payer_cost.len().max(1) as f64;
    let (div, unit) = money_scale(mean, d.lang);
    let v: Vec<f64> = d.payer_cost.iter().map(|x| x / div).collect();
    let (mut lo, mut hi) = range_of(&v);
    let fee = d.delivery_mean / div;
    let cap = d.budget_line.map(|c| c / div);
    for x in [Some(fee), cap].into_iter().flatten() {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    let pad = 0.03 * (hi - lo);
    let (lo, hi) = (lo - pad, hi + pad);
    let bins = 50;
    let counts = histogram(&v, lo, hi, bins);
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(s.chart_payer_cost, caption_style())
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(lo..hi, 0.0..top)
        .map_err(err)?;
    let dec = decimals_for(hi - lo);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(format!("{} ({})", s.payer_cost, money_axis(d, unit)))
        .y_desc(s.axis_trials)
        .x_label_formatter(&|x| number(*x, dec, d.lang))
        .y_label_formatter(&|y| number(*y, 0, d.lang))
        .axis_desc_style(("sans-serif", 16))
        .light_line_style(RGBColor(238, 238, 238))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    let w = (hi - lo) / bins as f64;
    chart
        .draw_series(counts.iter().enumerate().map(|(i, &c)| {
            let x0 = lo + i as f64 * w;
            Rectangle::new(
                [(x0, 0.0), (x0 + w * 0.92, c as f64)],
                ORANGE.mix(0.85).filled(),
            )
        }))
        .map_err(err)?;
    vline(
        &mut chart,
        fee,
        top,
        BLACK.stroke_width(2),
        &format!("{} {}", s.fee_for_service, number(fee, dec, d.lang)),
    )?;
    if let Some(c) = cap {
        vline(
            &mut chart,
            c,
            top,
            RED_.stroke_width(3),
            &format!(
                "{} + {} {}",
                s.budget_cap,
                s.evaluation_cost.to_lowercase(),
                number(c, dec, d.lang)
            ),
        )?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    area.present().map_err(err)
}

/// Points (x, F(x)) of an empirical CDF, thinned to at most 400 points.
fn cdf_points(v: &[f64], scale: f64) -> Vec<(f64, f64)> {
    let mut s: Vec<f64> = v.iter().map(|x| x * scale).collect();
    s.sort_unstable_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        return Vec::new();
    }
    let step = (n / 400).max(1);
    let mut pts: Vec<(f64, f64)> = (0..n)
        .step_by(step)
        .map(|i| (s[i], (i + 1) as f64 / n as f64))
        .collect();
    pts.push((s[n - 1], 1.0));
    pts
}

fn cdf_chart<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &Data) -> DrawResult {
    let s = d.s;
    area.fill(&WHITE).map_err(err)?;
    type Curves = Vec<(String, Vec<(f64, f64)>)>;
    let (title, xdesc, series): (&str, String, Curves) = if d.tranches.len() > 1 {
        (
            s.chart_cdf_tranches,
            s.axis_irr.to_owned(),
            d.tranches
                .iter()
                .map(|(n, v)| (n.clone(), cdf_points(v, 100.0)))
                .collect(),
        )
    } else {
        let typical =
            d.payer_cost.iter().map(|x| x.abs()).sum::<f64>() / d.payer_cost.len().max(1) as f64;
        let (div, unit) = money_scale(typical, d.lang);
        (
            s.chart_cdf_money,
            money_axis(d, unit),
            vec![
                (s.investor_net.to_owned(), cdf_points(&d.net, 1.0 / div)),
                (
                    s.payer_cost.to_owned(),
                    cdf_points(&d.payer_cost, 1.0 / div),
                ),
            ],
        )
    };
    let all: Vec<f64> = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.0))
        .collect();
    let (lo, hi) = range_of(&all);
    let pad = 0.02 * (hi - lo);
    let mut chart = ChartBuilder::on(area)
        .caption(title, caption_style())
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d((lo - pad)..(hi + pad), 0.0..1.0)
        .map_err(err)?;
    let dec = decimals_for(hi - lo);
    chart
        .configure_mesh()
        .x_desc(xdesc)
        .y_desc(s.axis_cdf)
        .x_label_formatter(&|x| number(*x, dec, d.lang))
        .y_label_formatter(&|y| number(*y, 1, d.lang))
        .axis_desc_style(("sans-serif", 16))
        .light_line_style(RGBColor(238, 238, 238))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    for (i, (name, pts)) in series.into_iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(3)))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3))
            });
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    area.present().map_err(err)
}

/// A chart's drawing context with plain numbers on both axes.
type Plot<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// The axes of a chart of amounts by month: months 0 to `h - 1` across,
/// `lo..hi` (already divided by the scale whose word is `unit`) up with 5%
/// of room, and the mesh with month and money labels.
fn month_money_axes<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    h: usize,
    (lo, hi): (f64, f64),
    unit: &str,
    d: &Data,
) -> Result<Plot<'a, DB>, String> {
    let s = d.s;
    let pad = 0.05 * (hi - lo).max(1e-9);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, caption_style())
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(90)
        .build_cartesian_2d(0.0..(h.max(2) - 1) as f64, (lo - pad)..(hi + pad))
        .map_err(err)?;
    let dec = decimals_for(hi - lo);
    chart
        .configure_mesh()
        .x_desc(s.axis_month)
        .y_desc(money_axis(d, unit))
        .x_label_formatter(&|x| number(*x, 0, d.lang))
        .y_label_formatter(&|y| number(*y, dec, d.lang))
        .axis_desc_style(("sans-serif", 16))
        .light_line_style(RGBColor(238, 238, 238))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

fn fan_chart<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &Data) -> DrawResult {
    let s = d.s;
    area.fill(&WHITE).map_err(err)?;
    let h = d.horizon;
    let k = d.cols.kept();
    // Investors' cumulative cash: distributions - contributions = -position.
    let levels = [0.05, 0.25, 0.5, 0.75, 0.95];
    let mut bands: Vec<[f64; 5]> = Vec::with_capacity(h);
    let mut col = vec![0.0; k];
    for t in 0..h {
        for (i, c) in col.iter_mut().enumerate() {
            *c = -d.cols.month_series(i, 0)[t];
        }
        let mut q = [0.0; 5];
        crate::summary::quantiles_by_selection(&mut col, &levels, &mut q);
        bands.push(q);
    }
    let all: Vec<f64> = bands
        .iter()
        .flatten()
        .copied()
        .chain([-d.capital_p95, 0.0])
        .collect();
    let typical = all.iter().map(|x| x.abs()).fold(0.0, f64::max);
    let (div, unit) = money_scale(typical, d.lang);
    let (lo, hi) = range_of(&all.iter().map(|x| x / div).collect::<Vec<_>>());
    let dec = decimals_for(hi - lo);
    let mut chart = month_money_axes(area, s.chart_fan, h, (lo, hi), unit, d)?;
    let band = |a: usize, b: usize| -> Vec<(f64, f64)> {
        let mut p: Vec<(f64, f64)> = (0..h).map(|t| (t as f64, bands[t][b] / div)).collect();
        p.extend((0..h).rev().map(|t| (t as f64, bands[t][a] / div)));
        p
    };
    let outer = BLUE.mix(0.18).filled();
    let inner = BLUE.mix(0.38).filled();
    chart
        .draw_series(std::iter::once(Polygon::new(band(0, 4), outer)))
        .map_err(err)?
        .label("P5–P95")
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], outer));
    chart
        .draw_series(std::iter::once(Polygon::new(band(1, 3), inner)))
        .map_err(err)?
        .label("P25–P75")
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], inner));
    chart
        .draw_series(LineSeries::new(
            (0..h).map(|t| (t as f64, bands[t][2] / div)),
            BLUE.stroke_width(3),
        ))
        .map_err(err)?
        .label(s.median)
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLUE.stroke_width(3)));
    if d.capital_p95.is_finite() {
        let y = -d.capital_p95 / div;
        let style = RED_.stroke_width(2);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, y), ((h.max(1) - 1) as f64, y)],
                8,
                6,
                style,
            ))
            .map_err(err)?
            .label(format!("{} {}", s.peak_p95, number(-y, dec, d.lang)))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), ((h.max(1) - 1) as f64, 0.0)],
            BLACK.stroke_width(1),
        )))
        .map_err(err)?;
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    area.present().map_err(err)
}

/// The deal account by month: each series' median as a line, and the cash
/// held with its P5-P95 band (where money waits and when it leaves).
fn account_chart<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &Data) -> DrawResult {
    use crate::engine::account::{CASH, SERIES};
    let s = d.s;
    area.fill(&WHITE).map_err(err)?;
    let h = d.account.months.len().max(1);
    let bands = &d.account.months;
    let (div, unit) = money_scale(d.account.largest(), d.lang);
    let mut all: Vec<f64> = vec![0.0];
    for m in bands {
        all.push(m[CASH].p5 / div);
        all.push(m[CASH].p95 / div);
        all.extend(m.iter().map(|b| b.p50 / div));
    }
    let mut chart = month_money_axes(area, s.chart_account, h, range_of(&all), unit, d)?;
    let band_fill = GREY.mix(0.22).filled();
    let mut band: Vec<(f64, f64)> = (0..bands.len())
        .map(|t| (t as f64, bands[t][CASH].p95 / div))
        .collect();
    band.extend(
        (0..bands.len())
            .rev()
            .map(|t| (t as f64, bands[t][CASH].p5 / div)),
    );
    chart
        .draw_series(std::iter::once(Polygon::new(band, band_fill)))
        .map_err(err)?
        .label(format!("{} P5–P95", s.account_series[CASH]))
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], band_fill));
    let colors = [GREEN, RED_, ORANGE, BLUE, PURPLE, BLACK];
    for (k, color) in colors.into_iter().enumerate().take(SERIES) {
        let style = color.stroke_width(if k == CASH { 3 } else { 2 });
        chart
            .draw_series(LineSeries::new(
                (0..bands.len()).map(|t| (t as f64, bands[t][k].p50 / div)),
                style,
            ))
            .map_err(err)?
            .label(format!(
                "{} ({})",
                s.account_series[k],
                s.median.to_lowercase()
            ))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    area.present().map_err(err)
}

fn risk_chart<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &Data) -> DrawResult {
    let s = d.s;
    area.fill(&WHITE).map_err(err)?;
    let names = [s.payer_cost, s.investor_net, s.guarantee, s.provider_bonus];
    let colors = [ORANGE, BLUE, GREEN, PURPLE];
    let mut ymin: f64 = 0.0;
    let mut ymax: f64 = 0.0;
    for row in &d.deciles {
        let pos: f64 = row.iter().filter(|v| v.is_finite() && **v > 0.0).sum();
        let neg: f64 = row.iter().filter(|v| v.is_finite() && **v < 0.0).sum();
        ymax = ymax.max(pos);
        ymin = ymin.min(neg);
    }
    let (div, unit) = money_scale(ymax.max(-ymin), d.lang);
    let (lo, hi) = (ymin / div, ymax / div);
    let pad = 0.06 * (hi - lo).max(1e-9);
    // Headroom above the tallest stack keeps the legend clear of the bars.
    let room = 0.35 * (hi - lo).max(1e-9);
    let mut chart = ChartBuilder::on(area)
        .caption(s.chart_risk, caption_style())
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(90)
        .build_cartesian_2d(0.5..10.5, (lo - pad)..(hi + room))
        .map_err(err)?;
    let dec = decimals_for(hi - lo);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(10)
        .x_desc(format!("{} {}", s.axis_decile, d.last_outcome))
        .y_desc(format!("{} ({})", money_axis(d, unit), s.per_trial))
        .x_label_formatter(&|x| format!("{:.0}", x))
        .y_label_formatter(&|y| number(*y, dec, d.lang))
        .axis_desc_style(("sans-serif", 16))
        .light_line_style(RGBColor(238, 238, 238))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    // (A provider funding the contract has no guarantee and no bonus.)
    let shown = if d.tranches.is_empty() {
        2
    } else {
        names.len()
    };
    for (k, name) in names.iter().enumerate().take(shown) {
        let color = colors[k].mix(0.9).filled();
        let rects: Vec<Rectangle<(f64, f64)>> = d
            .deciles
            .iter()
            .enumerate()
            .filter_map(|(i, row)| {
                let v = row[k];
                if !v.is_finite() || v == 0.0 {
                    return None;
                }
                // Stack positives upwards and negatives downwards, in legend order.
                let base: f64 = row[..k]
                    .iter()
                    .filter(|x| x.is_finite() && x.signum() == v.signum())
                    .sum();
                let x = (i + 1) as f64;
                Some(Rectangle::new(
                    [(x - 0.36, base / div), (x + 0.36, (base + v) / div)],
                    color,
                ))
            })
            .collect();
        chart
            .draw_series(rects)
            .map_err(err)?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], color));
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.5, 0.0), (10.5, 0.0)],
            BLACK.stroke_width(1),
        )))
        .map_err(err)?;
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    area.present().map_err(err)
}

fn scatter_chart<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &Data) -> DrawResult {
    let s = d.s;
    area.fill(&WHITE).map_err(err)?;
    let typical = d.scatter.iter().map(|p| p.0.abs()).sum::<f64>() / d.scatter.len().max(1) as f64;
    let (div, unit) = money_scale(typical, d.lang);
    let pts: Vec<(f64, f64)> = d
        .scatter
        .iter()
        .map(|&(c, r)| (c / div, 100.0 * r))
        .collect();
    let (xl, xh) = range_of(&pts.iter().map(|p| p.0).collect::<Vec<_>>());
    let (yl, yh) = range_of(&pts.iter().map(|p| p.1).collect::<Vec<_>>());
    let (px, py) = (0.03 * (xh - xl), 0.05 * (yh - yl));
    let mut chart = ChartBuilder::on(area)
        .caption(s.chart_scatter, caption_style())
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d((xl - px)..(xh + px), (yl - py)..(yh + py))
        .map_err(err)?;
    let (dx, dy) = (decimals_for(xh - xl), decimals_for(yh - yl));
    chart
        .configure_mesh()
        .x_desc(format!("{} ({})", s.payer_cost, money_axis(d, unit)))
        .y_desc(s.axis_irr)
        .x_label_formatter(&|x| number(*x, dx, d.lang))
        .y_label_formatter(&|y| number(*y, dy, d.lang))
        .axis_desc_style(("sans-serif", 16))
        .light_line_style(RGBColor(238, 238, 238))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(
            pts.iter()
                .map(|&p| Circle::new(p, 3, BLUE.mix(0.35).filled())),
        )
        .map_err(err)?;
    area.present().map_err(err)
}

/// The chart kinds, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Irr,
    PayerCost,
    Cdf,
    Fan,
    Account,
    Risk,
    Scatter,
}

/// Every chart: its kind and file stem.
const KINDS: [(Kind, &str); 7] = [
    (Kind::Irr, "irr_histogram"),
    (Kind::PayerCost, "payer_cost_histogram"),
    (Kind::Cdf, "cdf"),
    (Kind::Fan, "funding_fan"),
    (Kind::Account, "deal_account"),
    (Kind::Risk, "risk_sharing"),
    (Kind::Scatter, "irr_vs_payer_cost"),
];

fn draw<DB: DrawingBackend>(kind: Kind, area: &DrawingArea<DB, Shift>, d: &Data) -> DrawResult {
    match kind {
        Kind::Irr => irr_histogram(area, d),
        Kind::PayerCost => payer_cost_histogram(area, d),
        Kind::Cdf => cdf_chart(area, d),
        Kind::Fan => fan_chart(area, d),
        Kind::Account => account_chart(area, d),
        Kind::Risk => risk_chart(area, d),
        Kind::Scatter => scatter_chart(area, d),
    }
}

fn prepare<'a>(
    model: &'a Model,
    cols: &'a TrialColumns,
    account: &'a AccountBands,
    summary: &Summary,
    lang: Lang,
) -> Data<'a> {
    let layout = Layout::new(model);
    let col = |i: usize| cols.data[i].as_slice();
    let keys = summary.funder();
    let q = |k: &str| summary.metric(keys.irr, k);
    let deciles = summary
        .risk_sharing
        .deciles
        .iter()
        .map(|r| {
            [
                r.payer_cost,
                r.funder_net(),
                r.guarantee_paid,
                r.provider_bonus,
            ]
        })
        .collect();
    let n = cols.len().min(SCATTER_TRIALS);
    let irr_c = col(layout.investor_irr);
    let pc_c = col(layout.payer_cost);
    Data {
        lang,
        s: lang.strings_for(summary.funded_by),
        currency: &model.currency,
        irr: finite(irr_c),
        irr_q: (q("p5"), q("p50"), q("p95")),
        irr_p1: q("p1"),
        prob_loss: summary.probability(keys.prob_loss).0,
        hurdle: model.hurdle_irr,
        payer_cost: finite(pc_c),
        budget_line: model.budget_cap.map(|c| c + model.evaluation_cost),
        delivery_mean: summary.metric("delivery_cost", "mean"),
        net: finite(col(layout.investor_net)),
        // (A provider funding the contract has no tranches.)
        tranches: model
            .tranches
            .iter()
            .enumerate()
            .filter(|_| layout.tranche_columns)
            .map(|(k, t)| (t.name.clone(), finite(col(layout.tranche + 3 * k))))
            .collect(),
        cols,
        account,
        horizon: cols.horizon,
        capital_p95: summary.capital_needed.p95,
        deciles,
        last_outcome: &model.outcomes[model.last_outcome].id,
        scatter: (0..n)
            .filter(|&i| irr_c[i].is_finite() && pc_c[i].is_finite())
            .map(|i| (pc_c[i], irr_c[i]))
            .collect(),
    }
}

/// Title of each chart kind, for captions.
fn title(kind: Kind, d: &Data) -> String {
    let s = d.s;
    match kind {
        Kind::Irr => s.chart_irr.into(),
        Kind::PayerCost => s.chart_payer_cost.into(),
        Kind::Cdf if d.tranches.len() > 1 => s.chart_cdf_tranches.into(),
        Kind::Cdf => s.chart_cdf_money.into(),
        Kind::Fan => s.chart_fan.into(),
        Kind::Account => s.chart_account.into(),
        Kind::Risk => s.chart_risk.into(),
        Kind::Scatter => s.chart_scatter.into(),
    }
}

/// Draws every chart as SVG and, when `png` is true, as PNG.
pub fn render(
    model: &Model,
    cols: &TrialColumns,
    account: &AccountBands,
    summary: &Summary,
    lang: Lang,
    with_png: bool,
) -> Result<Vec<Chart>, String> {
    render_only(model, cols, account, summary, lang, with_png, &|_| true)
}

/// [`render`] of the charts whose file stem `wanted` accepts.
pub fn render_only(
    model: &Model,
    cols: &TrialColumns,
    account: &AccountBands,
    summary: &Summary,
    lang: Lang,
    with_png: bool,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Vec<Chart>, String> {
    register_fonts();
    use rayon::prelude::*;
    let d = prepare(model, cols, account, summary, lang);
    // Each chart on its own thread; the list keeps KINDS' order.
    let kinds: Vec<(Kind, &'static str)> = KINDS.into_iter().filter(|(_, n)| wanted(n)).collect();
    kinds
        .into_par_iter()
        .map(|(kind, name)| {
            let err = |e: String| format!("{name}: {e}");
            let svg = svg(|area| draw(kind, area, &d)).map_err(err)?;
            let png = if with_png {
                png(|area| draw(kind, area, &d)).map_err(err)?
            } else {
                Vec::new()
            };
            Ok(Chart {
                name,
                title: title(kind, &d),
                svg,
                png,
            })
        })
        .collect()
}
