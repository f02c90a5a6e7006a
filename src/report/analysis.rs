//! The terminal text of the analyses: `ibsim sweep`'s table, `ibsim solve`'s
//! lines, `ibsim sensitivity`'s table and `ibsim check`'s table of what moved.

use super::i18n::{Lang, number, pct};
use crate::analysis::sensitivity::Sensitivity;
use crate::analysis::solve::{Outcome, SolveResult};
use crate::analysis::sweep::SweepResult;
use crate::check::Report;
use crate::numeric::math;
use serde_json::Value;

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

/// The terminal table of the tail analysis: each input's median in all
/// trials and in the tail, the shifts in sd, and P(condition) in its lowest
/// and highest decile.
pub fn tail_table(t: &crate::analysis::tail::Tail, lang: Lang) -> String {
    let es = lang == Lang::Es;
    let mut s = if es {
        format!(
            "  Cola: {} en {} de {} simulaciones ({})\n",
            t.condition,
            number(t.tail_trials as f64, 0, lang),
            number(t.trials as f64, 0, lang),
            pct(t.tail_trials as f64 / t.trials.max(1) as f64, lang)
        )
    } else {
        format!(
            "  Tail: {} in {} of {} trials ({})\n",
            t.condition,
            number(t.tail_trials as f64, 0, lang),
            number(t.trials as f64, 0, lang),
            pct(t.tail_trials as f64 / t.trials.max(1) as f64, lang)
        )
    };
    let head: Vec<String> = if es {
        [
            "entrada",
            "mediana",
            "en la cola",
            "desplaz. (sd)",
            "media (sd)",
            "P 1er decil",
            "P 10o decil",
        ]
    } else {
        [
            "input",
            "median",
            "in the tail",
            "shift (sd)",
            "mean (sd)",
            "P lowest decile",
            "P highest decile",
        ]
    }
    .iter()
    .map(|h| (*h).to_owned())
    .collect();
    let v = |x: f64| number(x, if x.abs() >= 100.0 { 0 } else { 4 }, lang);
    let rows: Vec<Vec<String>> = t
        .inputs
        .iter()
        .map(|i| {
            vec![
                i.path.clone(),
                v(i.median_all),
                v(i.median_tail),
                number(i.median_shift, 2, lang),
                number(i.mean_shift, 2, lang),
                pct(i.prob_by_decile[0], lang),
                pct(i.prob_by_decile[9], lang),
            ]
        })
        .collect();
    s.push_str(&aligned(&head, &rows));
    s
}

/// The terminal table of the Sobol indices: per metric, each input's first
/// order and total index with its 95% interval, and the unexplained share.
pub fn sobol_table(sb: &crate::analysis::sobol::Sobol, lang: Lang) -> String {
    let es = lang == Lang::Es;
    let ci = |e: &crate::analysis::sobol::Estimate| {
        format!(
            "{} [{}, {}]",
            number(e.value, 3, lang),
            number(e.interval.0, 3, lang),
            number(e.interval.1, 3, lang)
        )
    };
    let mut s = if es {
        format!(
            "  Índices de Sobol: {} muestras base, {} simulaciones, intervalos al 95% de {} remuestreos\n",
            number(sb.base_samples as f64, 0, lang),
            number(sb.trials as f64, 0, lang),
            sb.resamples
        )
    } else {
        format!(
            "  Sobol indices: {} base samples, {} trials, 95% intervals from {} resamples\n",
            number(sb.base_samples as f64, 0, lang),
            number(sb.trials as f64, 0, lang),
            sb.resamples
        )
    };
    for m in &sb.metrics {
        let head: Vec<String> = vec![
            m.metric.clone(),
            if es { "primer orden" } else { "first order" }.to_owned(),
            "total".to_owned(),
        ];
        let mut rows: Vec<Vec<String>> = sb
            .inputs
            .iter()
            .zip(&m.inputs)
            .map(|(i, x)| vec![i.path.clone(), ci(&x.first), ci(&x.total)])
            .collect();
        rows.push(vec![
            if es { "suma" } else { "sum" }.to_owned(),
            ci(&m.sum_first),
            String::new(),
        ]);
        rows.push(vec![
            if es {
                "sin explicar (ruido)"
            } else {
                "unexplained (noise)"
            }
            .to_owned(),
            ci(&m.noise.first),
            ci(&m.noise.total),
        ]);
        s.push_str(&aligned(&head, &rows));
    }
    s
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

/// The terminal table of a sweep.
pub fn sweep_table(res: &SweepResult, lang: Lang) -> String {
    let mut head: Vec<String> = res.vary.iter().map(|v| v.path.clone()).collect();
    head.extend(
        lang.strings_for(res.funded_by)
            .sweep_columns
            .map(String::from),
    );
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (vals, figs, ok) in &res.rows {
        let mut r: Vec<String> = vals
            .iter()
            .map(|v| number(*v, if v.abs() >= 100.0 { 0 } else { 4 }, lang))
            .collect();
        let g = |k: &str| {
            figs.iter()
                .find(|f| f.0 == k)
                .map_or((f64::NAN, f64::NAN), |f| (f.1, f.2))
        };
        let ps = |k: &str| {
            let (v, se) = g(k);
            format!("{} ±{}", pct(v, lang), pct(se, lang))
        };
        r.push(ps("investor_irr_mean"));
        r.push(ps("prob_loss"));
        r.push(ps("prob_below_hurdle"));
        r.push(number(g("payer_cost_mean").0, 0, lang));
        r.push(number(g("payer_cost_p95").0, 0, lang));
        r.push(ps("prob_budget_cap_hit"));
        r.push(number(g("capital_needed_p95").0, 0, lang));
        let words = lang.strings().feasible_words;
        r.push(if *ok { words[0] } else { words[1] }.into());
        rows.push(r);
    }
    aligned(&head, &rows)
}

/// A table of `head` and `rows` with every column right-aligned to its
/// widest cell.
pub fn aligned(head: &[String], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..head.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([head[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let mut s = String::from(" ");
        for (c, w) in cells.iter().zip(&widths) {
            s.push_str(&format!(" {}{}", " ".repeat(w - c.chars().count()), c));
        }
        s + "\n"
    };
    let mut out = line(head);
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

/// A value as the check's table shows it, with `digits` significant digits.
fn show_with(v: &Value, digits: usize) -> String {
    match v {
        Value::Null => "missing/NaN".into(),
        Value::Number(x) => match x.as_f64() {
            Some(f) if f != 0.0 && (f.abs() >= 1e7 || f.abs() < 1e-3) => {
                format!("{f:.*e}", digits - 1)
            }
            Some(f) if f == f.trunc() => format!("{f}"),
            Some(f) => {
                let int_digits = math::log10(f.abs()).floor().max(0.0) as usize + 1;
                let s = format!("{f:.*}", digits.saturating_sub(int_digits).max(1));
                s.trim_end_matches('0').trim_end_matches('.').to_owned()
            }
            None => x.to_string(),
        },
        other => other.to_string(),
    }
}

/// Two values as the table shows them side by side: with as many digits
/// as it takes (up to 17) for different values to look different.
pub fn show_pair(a: &Value, b: &Value) -> (String, String) {
    let mut digits = 7;
    loop {
        let (x, y) = (show_with(a, digits), show_with(b, digits));
        if x != y || a == b || digits >= 17 {
            return (x, y);
        }
        digits += 1;
    }
}

/// The readable table of what moved (at most `limit` rows).
pub fn check_table(r: &Report, limit: usize) -> String {
    let mut s = String::new();
    let w = r
        .differences()
        .take(limit)
        .map(|d| d.key.len())
        .max()
        .unwrap_or(3)
        .max(3);
    s.push_str(&format!(
        "  {:<w$}  {:>16}  {:>16}  {:>12}\n",
        "key", "baseline", "now", "diff (se)"
    ));
    for d in r.differences().take(limit) {
        let z = d.sigmas.map_or("-".into(), |z| format!("{z:+.2}"));
        let (baseline, now) = show_pair(&d.baseline, &d.now);
        s.push_str(&format!(
            "  {:<w$}  {:>16}  {:>16}  {:>12}\n",
            crate::scenario::printable(&d.key),
            baseline,
            now,
            z
        ));
    }
    if r.differing() > limit {
        s.push_str(&format!("  ... and {} more\n", r.differing() - limit));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_table_shows_enough_digits_to_see_a_difference() {
        let (a, b) = show_pair(&json!(1234.5678), &json!(1234.5678 * (1.0 + 1e-7)));
        assert_ne!(a, b);
        assert_eq!(a, "1234.5678");
        let (a, b) = show_pair(&json!(2.5e9), &json!(2.5e9 * (1.0 + 1e-12)));
        assert_ne!(a, b, "{a} {b}");
        // Equal values stay short.
        assert_eq!(show_pair(&json!(0.25), &json!(0.25)).0, "0.25");
        assert_eq!(show_pair(&json!(null), &json!(1.0)).0, "missing/NaN");
    }
}
