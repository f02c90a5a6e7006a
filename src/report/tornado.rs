//! Tornado charts of `ibsim sensitivity`: for each input, the mean of an
//! output with the input at its P10 and at its P90, around the base run.

use plotters::prelude::*;

use super::Document;
use super::charts::{png, register_fonts, svg};
use super::i18n::{Lang, money_scale, number};
use crate::analysis::sensitivity::Sensitivity;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("tornado chart: {e:?}")
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    res: &Sensitivity,
    title: &str,
    currency: &str,
    pick: fn(&crate::analysis::sensitivity::InputEffect) -> (f64, f64),
    base: f64,
    lang: Lang,
) -> Result<(), String> {
    area.fill(&WHITE).map_err(err)?;
    let mut items: Vec<(&str, f64, f64)> = res
        .inputs
        .iter()
        .map(|i| (i.path.as_str(), pick(i).0, pick(i).1))
        .collect();
    items.sort_by(|a, b| (b.2 - b.1).abs().total_cmp(&(a.2 - a.1).abs()));
    let k = items.len().max(1);
    let all: Vec<f64> = items
        .iter()
        .flat_map(|i| [i.1, i.2])
        .chain([base])
        .filter(|x| x.is_finite())
        .collect();
    let typical = all.iter().map(|x| x.abs()).fold(0.0, f64::max);
    let (div, unit) = money_scale(typical, lang);
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min) / div;
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max) / div;
    let pad = 0.08 * (hi - lo).max(1e-9);
    let longest = items.iter().map(|i| i.0.len()).max().unwrap_or(10) as u32;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22).into_font().style(FontStyle::Bold))
        .margin(16)
        .margin_right(40)
        .x_label_area_size(50)
        .y_label_area_size((longest * 8 + 20).min(360))
        .build_cartesian_2d((lo - pad)..(hi + pad), 0.0..k as f64)
        .map_err(err)?;
    let names: Vec<String> = items.iter().map(|i| i.0.to_owned()).collect();
    let dec = if hi - lo >= 50.0 {
        0
    } else if hi - lo >= 5.0 {
        1
    } else {
        2
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(k * 2 + 1)
        .y_label_formatter(&|y| {
            let f = y.fract();
            if (f - 0.5).abs() < 0.01 {
                let row = (k as f64 - y - 0.5).round() as usize;
                names.get(row).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_desc(if unit.is_empty() {
            currency.to_owned()
        } else {
            format!("{currency} {unit}")
        })
        .x_label_formatter(&|x| number(*x, dec, lang))
        .light_line_style(RGBColor(238, 238, 238))
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    let low = RGBColor(31, 119, 180).mix(0.85).filled();
    let high = RGBColor(230, 126, 34).mix(0.85).filled();
    let b = base / div;
    for (row, (_, l, h)) in items.iter().enumerate() {
        let y = k as f64 - row as f64 - 0.5;
        for (v, style) in [(*l, low), (*h, high)] {
            if v.is_finite() {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(b, y - 0.32), (v / div, y + 0.32)],
                        style,
                    )))
                    .map_err(err)?;
            }
        }
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(b, 0.0), (b, k as f64)],
            BLACK.stroke_width(2),
        )))
        .map_err(err)?
        .label(format!("base {}", number(b, dec, lang)))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(2)));
    chart
        .draw_series(std::iter::once(Rectangle::new([(b, -1.0), (b, -1.0)], low)))
        .map_err(err)?
        .label("P10")
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], low));
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(b, -1.0), (b, -1.0)],
            high,
        )))
        .map_err(err)?
        .label("P90")
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], high));
    super::charts::legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    area.present().map_err(err)
}

/// `charts/tornado_investor_net.{png,svg}` (`tornado_provider_margin` when the
/// provider funds the contract) and `charts/tornado_payer_cost.{png,svg}`.
pub fn files(res: &Sensitivity, currency: &str, lang: Lang) -> Result<Vec<Document>, String> {
    register_fonts();
    let s = lang.strings_for(res.funded_by);
    type Pick = fn(&crate::analysis::sensitivity::InputEffect) -> (f64, f64);
    let charts: [(&str, String, Pick, f64); 2] = [
        (
            if res.funded_by == crate::scenario::FundedBy::Provider {
                "tornado_provider_margin"
            } else {
                "tornado_investor_net"
            },
            format!("{} ({})", s.investor_net, s.mean),
            |i| i.net,
            res.base.0,
        ),
        (
            "tornado_payer_cost",
            format!("{} ({})", s.payer_cost, s.mean),
            |i| i.cost,
            res.base.1,
        ),
    ];
    let mut out = Vec::new();
    for (name, title, pick, base) in charts {
        let svg = svg(|area| draw(area, res, &title, currency, pick, base, lang))?;
        let png = png(|area| draw(area, res, &title, currency, pick, base, lang))?;
        out.push(Document::new(
            format!("charts/{name}.svg"),
            svg.into_bytes(),
        ));
        out.push(Document::new(format!("charts/{name}.png"), png));
    }
    Ok(out)
}
