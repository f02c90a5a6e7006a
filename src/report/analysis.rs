//! The terminal text of `ibsim solve` and `ibsim sensitivity` (the sweep's
//! table is beside its chart in [`super::sweep_chart`]).

use super::i18n::{Lang, number};
use crate::analysis::sensitivity::Sensitivity;
use crate::analysis::solve::{Outcome, SolveResult};

/// The terminal table of `ibsim sensitivity`.
pub fn sensitivity_table(res: &Sensitivity, lang: Lang) -> String {
    let head = match lang {
        Lang::En => [
            "input",
            "P10 / P90",
            "rho IRR",
            "rho net",
            "rho cost",
            "net @P10",
            "net @P90",
            "cost @P10",
            "cost @P90",
        ],
        Lang::Es => [
            "entrada",
            "P10 / P90",
            "rho TIR",
            "rho neto",
            "rho costo",
            "neto @P10",
            "neto @P90",
            "costo @P10",
            "costo @P90",
        ],
    };
    let mut rows: Vec<Vec<String>> = vec![head.iter().map(|h| (*h).to_owned()).collect()];
    for i in &res.inputs {
        let v = |x: f64| number(x, if x.abs() >= 100.0 { 0 } else { 4 }, lang);
        rows.push(vec![
            i.path.clone(),
            format!("{} / {}", v(i.low_high.0), v(i.low_high.1)),
            number(i.spearman[0], 3, lang),
            number(i.spearman[1], 3, lang),
            number(i.spearman[2], 3, lang),
            number(i.net.0, 0, lang),
            number(i.net.1, 0, lang),
            number(i.cost.0, 0, lang),
            number(i.cost.1, 0, lang),
        ]);
    }
    let widths: Vec<usize> = (0..head.len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        out.push(' ');
        for (c, cell) in r.iter().enumerate() {
            let pad = " ".repeat(widths[c] - cell.chars().count());
            if c == 0 {
                out.push_str(&format!(" {cell}{pad}"))
            } else {
                out.push_str(&format!(" {pad}{cell}"))
            }
        }
        out.push('\n');
    }
    out
}

/// The terminal lines of `ibsim solve`.
pub fn solve_text(res: &SolveResult, lang: Lang) -> String {
    let f = |x: f64| {
        let dec = if x.abs() >= 1000.0 { 0 } else { 6 };
        number(x, dec, lang)
    };
    let es = lang == Lang::Es;
    let w = |en: &'static str, es_text: &'static str| if es { es_text } else { en };
    let mut s = format!(
        "{} {} [{}, {}]\n",
        res.vary.path,
        w("in", "en"),
        f(res.vary.lo),
        f(res.vary.hi)
    );
    for r in &res.targets {
        let line = match &r.outcome {
            Outcome::Everywhere => w(
                "met at every value in the range",
                "se cumple en todos los valores del rango",
            )
            .to_owned(),
            Outcome::Nowhere => w(
                "no value in the range meets it",
                "ningún valor del rango lo cumple",
            )
            .to_owned(),
            Outcome::Boundary {
                boundary,
                above,
                at,
            } => format!(
                "{} {} {} ({} {} = {} ± {})",
                w("met for", "se cumple para"),
                res.vary.path,
                if *above {
                    format!(">= {}", f(*boundary))
                } else {
                    format!("<= {}", f(*boundary))
                },
                w("there", "allí"),
                r.target.measure_text(),
                number(at.value, 6, lang),
                number(at.se, 6, lang)
            ),
            Outcome::NotMonotone { grid } => format!(
                "{} {}",
                w(
                    "not monotone in the range: met at",
                    "no es monótono en el rango: se cumple en"
                ),
                grid.iter()
                    .filter(|g| g.1)
                    .map(|g| f(g.0))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        s.push_str(&format!("  {}: {line}\n", r.target.text));
    }
    match res.window {
        Some((a, b)) => s.push_str(&format!(
            "  {} {} {} [{}, {}]\n",
            w("every target is met for", "todas las metas se cumplen para"),
            res.vary.path,
            w("in", "en"),
            f(a),
            f(b)
        )),
        None if res.targets.len() > 1 => s.push_str(&format!(
            "  {}\n",
            w(
                "no single interval of the range meets every target",
                "ningún intervalo del rango cumple todas las metas"
            )
        )),
        None => {}
    }
    s
}
