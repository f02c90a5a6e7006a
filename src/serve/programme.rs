//! The deal room for a programme (docs/model.md, "Programmes"): its terms
//! (the fund's budget, the common shocks, each deal's loading, and every
//! deal's own terms under `deals.<name>.`), the fund's figures with their
//! difference from the starting terms, its charts, and the edited
//! programme written back as YAML.

use serde_json::{Value, json};

use super::figures::{Reading, figure_row, walk_terms};
use crate::programme::LoadedProgramme;
use crate::programme::run::{ProgrammeColumns, ProgrammeModel};
use crate::report::i18n::Lang;

/// The fields of a deal's entry that the page offers.
const ENTRY_TERMS: [&str; 1] = ["loading"];

/// The programme's numbers a page may change, grouped as the scenario's
/// are: `fund`, `shocks.<name>`, `deals.<name>` (its entry's loading), then
/// each deal's own terms as `deals.<name>.<group>`.
pub fn terms(lp: &LoadedProgramme) -> Vec<Value> {
    let p = &lp.programme;
    let mut out = vec![json!({
        "group": "fund",
        "path": "fund.budget_cap",
        "label": "budget_cap",
        "value": p.fund.budget_cap,
    })];
    let shocks = serde_json::to_value(&p.shocks).unwrap_or_default();
    let mut at = vec!["shocks".to_owned()];
    let mut found = Vec::new();
    walk_terms(&shocks, &mut at, &mut found);
    out.extend(found);
    for (entry, loaded) in p.deals.iter().zip(&lp.deals) {
        for field in ENTRY_TERMS {
            out.push(json!({
                "group": format!("deals.{}", entry.name),
                "path": format!("deals.{}.{field}", entry.name),
                "label": field,
                "value": entry.loading.unwrap_or(0.0),
            }));
        }
        for mut t in super::figures::terms(&loaded.scenario) {
            for key in ["group", "path"] {
                let v = format!(
                    "deals.{}.{}",
                    entry.name,
                    t[key].as_str().unwrap_or_default()
                );
                t[key] = json!(v);
            }
            out.push(t);
        }
    }
    out
}

/// What each of the programme's figures reads: `(key, label, kind, reading)`.
fn measure(
    pm: &ProgrammeModel,
    cols: &ProgrammeColumns,
    lang: Lang,
) -> Vec<(String, String, &'static str, Reading)> {
    let es = lang == Lang::Es;
    let l = |en: &str, sp: &str| if es { sp.to_owned() } else { en.to_owned() };
    let f = |name: &str| cols.fund.column(name).unwrap_or_default().to_vec();
    let mut out = vec![
        (
            "fund.payer_cost_mean".to_owned(),
            l("Fund's cost (mean)", "Costo del fondo (media)"),
            "money",
            Reading::Mean(f("fund.payer_cost")),
        ),
        (
            "fund.payer_cost_p95".to_owned(),
            l("Fund's cost (P95)", "Costo del fondo (P95)"),
            "money",
            Reading::Quantile(f("fund.payer_cost"), 0.95),
        ),
        (
            "fund.due_p95".to_owned(),
            l("Budget for 95% coverage", "Presupuesto para cubrir el 95%"),
            "money",
            Reading::Quantile(f("fund.due"), 0.95),
        ),
        (
            "prob_fund_budget_binds".to_owned(),
            l(
                "P(the fund's budget binds)",
                "P(el presupuesto del fondo se agota)",
            ),
            "pct",
            Reading::Flag(f("_fund_budget_binds")),
        ),
        (
            "fund.shortfall_mean".to_owned(),
            l("Unpaid results (mean)", "Resultados no pagados (media)"),
            "money",
            Reading::Mean(f("fund.shortfall")),
        ),
    ];
    for p in &pm.fund.portfolios {
        out.push((
            format!("prob_investor_loss.{}", p.name),
            l(
                &format!("P({} loses money)", p.name),
                &format!("P({} pierde)", p.name),
            ),
            "pct",
            Reading::Flag(f(&format!("_investor_loss.{}", p.name))),
        ));
    }
    for (d, c) in pm.deals.iter().zip(&cols.deals) {
        out.push((
            format!("deals.{}.prob_loss", d.name),
            l(
                &format!("{}: P(funder loses)", d.name),
                &format!("{}: P(el financiador pierde)", d.name),
            ),
            "pct",
            Reading::Flag(c.data[d.layout.flag_loss].clone()),
        ));
    }
    out
}

/// The page's headline figures of the edited programme against the
/// starting one, on the same trials.
pub fn headline(
    pm: &ProgrammeModel,
    cols: &ProgrammeColumns,
    base_pm: &ProgrammeModel,
    base: &ProgrammeColumns,
    lang: Lang,
) -> Vec<Value> {
    let before = measure(base_pm, base, lang);
    measure(pm, cols, lang)
        .iter()
        .zip(&before)
        .map(|((key, label, kind, r), (_, _, _, b))| figure_row(key, label, kind, r, b))
        .collect()
}

/// The fund chart and the tail contributions, `[{name, title, svg}]`.
pub fn charts(
    pm: &ProgrammeModel,
    cols: &ProgrammeColumns,
    file: &str,
    lang: Lang,
) -> Result<Vec<Value>, String> {
    let summary = crate::programme::summary::summarize_programme(pm, cols, file);
    Ok(
        crate::report::programme::svg_charts(&summary, &cols.fund, lang)?
            .into_iter()
            .map(|(name, title, svg)| json!({"name": name, "title": title, "svg": svg}))
            .collect(),
    )
}

/// The edited programme as YAML: a comment saying where it came from and
/// what changed, then the programme, with every deal whose own terms were
/// changed written inline (the others keep their files, which sit beside
/// the saved programme as they sit beside the original).
pub fn to_yaml(
    edited: &LoadedProgramme,
    from: &str,
    sets: &serde_json::Map<String, Value>,
) -> String {
    let mut p = edited.programme.clone();
    for (entry, loaded) in p.deals.iter_mut().zip(&edited.deals) {
        let prefix = format!("deals.{}.", entry.name);
        let inside = sets.keys().any(|k| {
            k.strip_prefix(&prefix)
                .is_some_and(|tail| !["loading", "start_month", "priority"].contains(&tail))
        });
        if inside {
            entry.file = None;
            entry.scenario = Some(Box::new(loaded.scenario.clone()));
        }
    }
    super::figures::yaml_file(&p, from, sets)
}
