//! `report.html`: one self-contained page (inline CSS and SVG, no scripts, no
//! network requests) with the deal, the headline figures and their standard
//! errors, the risk-sharing table, the deal account month by month, every
//! chart and the run's metadata.

use std::fmt::Write as _;

use serde_json::Value;

use super::account::AccountBands;
use super::charts::Chart;
use super::i18n::{Lang, Strings, money_scale, number, pct, thousands};
use super::table::unpaid_after_horizon;
use crate::model::Model;
use crate::scenario::{Dist, Scenario};
use crate::summary::Summary;

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// A distribution in words: `beta(mean 0.55, sd 0.08)` (`beta(media 0,55,
/// de 0,08)`), or the constant.
pub fn describe(d: &Dist, lang: Lang) -> String {
    let n = |x: f64| number(x, 4, lang);
    let s = lang.strings();
    let [mean, sd] = s.dist_mean_sd;
    let kind = |k: &'static str| -> &'static str {
        crate::scenario::values::DIST_KINDS
            .iter()
            .position(|x| *x == k)
            .map_or(k, |i| s.dist_kinds[i])
    };
    let (min, max) = match lang {
        Lang::En => ("min", "max"),
        Lang::Es => ("mín", "máx"),
    };
    match d {
        Dist::Const(c) => n(*c),
        Dist::Beta(b) => match (b.mean, b.sd, b.alpha, b.beta) {
            (Some(m), Some(v), _, _) => format!("beta({mean} {}, {sd} {})", n(m), n(v)),
            (_, _, Some(a), Some(bb)) => format!("beta(α {}, β {})", n(a), n(bb)),
            _ => "beta".into(),
        },
        Dist::Uniform(r) => format!("{}({}, {})", kind("uniform"), n(r.min), n(r.max)),
        Dist::Triangular(t) => format!(
            "{}({}, {}, {})",
            kind("triangular"),
            n(t.min),
            n(t.mode),
            n(t.max)
        ),
        Dist::Pert(t) => format!("pert({}, {}, {})", n(t.min), n(t.mode), n(t.max)),
        Dist::Normal(p) => {
            let mut text = format!("{}({mean} {}, {sd} {}", kind("normal"), n(p.mean), n(p.sd));
            if let Some(a) = p.min {
                let _ = write!(text, ", {min} {}", n(a));
            }
            if let Some(b) = p.max {
                let _ = write!(text, ", {max} {}", n(b));
            }
            text + ")"
        }
        Dist::Lognormal(l) => format!(
            "{}({mean} {}, {sd} {})",
            kind("lognormal"),
            n(l.mean),
            n(l.sd)
        ),
        Dist::Discrete(dd) => format!(
            "{}({})",
            kind("discrete"),
            dd.values
                .iter()
                .zip(&dd.weights)
                .map(|(v, w)| format!("{}: {}", n(*v), n(*w)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

pub(crate) const CSS: &str = "
body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;margin:0;color:#222;background:#fafafa}
main{max-width:1000px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:28px;margin:8px 0 2px}h2{font-size:20px;margin:32px 0 8px;border-bottom:2px solid #1f77b4;padding-bottom:4px}
h3{font-size:16px;margin:18px 0 6px}.sub{color:#555;margin:0 0 16px}
table{border-collapse:collapse;margin:6px 0 12px;font-size:14px}
th,td{border:1px solid #ddd;padding:4px 9px;text-align:left}th{background:#f0f4f8}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.kpis{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.kpi{flex:1 1 200px;border:1px solid #dde;border-radius:6px;padding:10px 12px;background:#f7fafd}
.kpi b{display:block;font-size:22px;margin-top:4px}.kpi span{color:#555;font-size:13px}
figure{margin:18px 0}figcaption{font-size:13px;color:#555;margin-top:4px}
svg{max-width:100%;height:auto}.note{font-size:13px;color:#555}
";

pub(crate) fn row(html: &mut String, cells: &[String], numeric_from: usize) {
    html.push_str("<tr>");
    for (i, c) in cells.iter().enumerate() {
        if i >= numeric_from {
            let _ = write!(html, "<td class=\"n\">{c}</td>");
        } else {
            let _ = write!(html, "<td>{c}</td>");
        }
    }
    html.push_str("</tr>\n");
}

pub(crate) fn head(html: &mut String, cells: &[&str]) {
    html.push_str("<tr>");
    for c in cells {
        let _ = write!(html, "<th>{}</th>", esc(c));
    }
    html.push_str("</tr>\n");
}

/// Renders the page.
pub fn render(
    scenario: &Scenario,
    model: &Model,
    summary: &Summary,
    account: &AccountBands,
    charts: &[Chart],
    run: &Value,
    lang: Lang,
) -> String {
    let pg = Page {
        scenario,
        model,
        summary,
        lang,
        s: lang.strings_for(summary.funded_by),
        cur: model.currency.as_str(),
    };
    let mut h = String::with_capacity(200_000);
    header(&mut h, &pg);
    headline(&mut h, &pg);
    deal_cohorts(&mut h, &pg);
    deal_funnel(&mut h, &pg);
    deal_segments(&mut h, &pg);
    deal_parties(&mut h, &pg);
    deal_tranches(&mut h, &pg);
    risk(&mut h, &pg);
    evaluation_section(&mut h, &pg);
    transfers_section(&mut h, &pg);
    providers_section(&mut h, &pg);
    account_section(&mut h, account, pg.cur, lang, pg.s);
    charts_section(&mut h, &pg, charts);
    run_section(&mut h, &pg, run);
    h.push_str("</main></body></html>\n");
    h
}

impl Page<'_> {
    /// An amount with its currency, in the page's language.
    fn money(&self, x: f64) -> String {
        format!("{} {}", self.cur, thousands(x, self.lang))
    }
}

/// What every section of the page reads.
#[derive(Clone, Copy)]
struct Page<'a> {
    scenario: &'a Scenario,
    model: &'a Model,
    summary: &'a Summary,
    lang: Lang,
    s: &'static Strings,
    cur: &'a str,
}

/// The page head, title line and description.
fn header(h: &mut String, pg: &Page) {
    let Page {
        scenario,
        model,
        summary,
        lang,
        s,
        ..
    } = *pg;
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} — ibsim</title>\n<style>{CSS}</style>\n</head>\n<body><main>",
        lang.code(),
        esc(&model.name)
    );
    let _ = writeln!(
        h,
        "<h1>{}</h1>\n<p class=\"sub\">{} · {} {} · {} {} · {} {}</p>",
        esc(&model.name),
        s.subtitle,
        thousands(summary.trials as f64, lang),
        s.trials,
        s.seed,
        summary.seed,
        s.sampling,
        esc(lang.sampling(&summary.sampling))
    );
    if let Some(d) = &scenario.description {
        let _ = writeln!(h, "<p>{}</p>", esc(d));
    }
}

/// Headline figures and the table of the main metrics.
fn headline(h: &mut String, pg: &Page) {
    let Page {
        model,
        summary,
        lang,
        s,
        ..
    } = *pg;
    let m = |k: &str, f: &str| summary.metric(k, f);
    let p = |k: &str| summary.probability(k);
    let keys = summary.funder();
    let _ = writeln!(h, "<h2>{}</h2>\n<div class=\"kpis\">", s.h_headline);
    let (pl, _) = p(keys.prob_loss);
    for (label, value) in [
        (
            format!("{} (P50)", s.investor_irr),
            pct(m(keys.irr, "p50"), lang),
        ),
        (s.prob_loss.to_owned(), pct(pl, lang)),
        (
            format!("{} ({})", s.payer_cost, s.mean),
            pg.money(m("payer_cost", "mean")),
        ),
        (
            format!("{} (P95)", s.capital_needed),
            pg.money(summary.capital_needed.p95),
        ),
    ] {
        let _ = writeln!(
            h,
            "<div class=\"kpi\"><span>{}</span><b>{}</b></div>",
            esc(&label),
            esc(&value)
        );
    }
    h.push_str("</div>\n<table>\n");
    head(h, &[s.c_metric, s.c_value, s.c_se]);
    let se_pct = |x: f64| format!("± {}", pct(x, lang));
    let se_money = |x: f64| format!("± {}", thousands(x, lang));
    let mut rows: Vec<(String, String, String)> = vec![
        (
            format!("{} ({})", s.investor_irr, s.mean),
            pct(m(keys.irr, "mean"), lang),
            se_pct(m(keys.irr, "se")),
        ),
        (
            format!("{} P5 / P50 / P95", s.investor_irr),
            format!(
                "{} / {} / {}",
                pct(m(keys.irr, "p5"), lang),
                pct(m(keys.irr, "p50"), lang),
                pct(m(keys.irr, "p95"), lang)
            ),
            String::new(),
        ),
        (
            s.prob_loss.to_owned(),
            pct(pl, lang),
            se_pct(p(keys.prob_loss).1),
        ),
        (
            format!("{} {})", s.prob_below_hurdle, pct(model.hurdle_irr, lang)),
            pct(p(keys.prob_below_hurdle).0, lang),
            se_pct(p(keys.prob_below_hurdle).1),
        ),
        (
            format!("{} ({})", s.payer_cost, s.mean),
            pg.money(m("payer_cost", "mean")),
            se_money(m("payer_cost", "se")),
        ),
        (
            format!("{} (P95)", s.payer_cost),
            pg.money(m("payer_cost", "p95")),
            String::new(),
        ),
        (
            s.fee_for_service.to_owned(),
            pg.money(m("delivery_cost", "mean")),
            se_money(m("delivery_cost", "se")),
        ),
        (
            s.prob_cap_hit.to_owned(),
            pct(p("prob_budget_cap_hit").0, lang),
            se_pct(p("prob_budget_cap_hit").1),
        ),
        (
            format!("{} P90 / P95 / P99", s.capital_needed),
            format!(
                "{} / {} / {}",
                thousands(summary.capital_needed.p90, lang),
                thousands(summary.capital_needed.p95, lang),
                thousands(summary.capital_needed.p99, lang)
            ),
            String::new(),
        ),
        (
            format!("CVaR 95% ({})", s.investor_net.to_lowercase()),
            pg.money(summary.tail.funder_cvar95()),
            String::new(),
        ),
    ];
    // (Transfers pay agencies by a rate: there is no cost per outcome.)
    if summary.transfers.is_none() {
        rows.insert(
            rows.len() - 1,
            (
                format!(
                    "{} {} ({})",
                    s.cost_per, model.outcomes[model.last_outcome].id, s.mean
                ),
                pg.money(m("cost_per_outcome", "mean")),
                se_money(m("cost_per_outcome", "se")),
            ),
        );
    }
    if summary.funded_by == crate::scenario::FundedBy::Provider {
        rows.insert(
            2,
            (
                format!("{} ({}) · P5 / P95", s.investor_net, s.mean),
                format!(
                    "{} · {} / {}",
                    pg.money(m(keys.net, "mean")),
                    thousands(m(keys.net, "p5"), lang),
                    thousands(m(keys.net, "p95"), lang)
                ),
                se_money(m(keys.net, "se")),
            ),
        );
    }
    // The fixed part of the price and the advance, where the contract has them.
    let label = |k: &str| lang.metric_label(k, &|n| n.to_owned());
    for (key, as_share) in [
        ("fixed_paid", false),
        ("fixed_share", true),
        ("advance_recovered", false),
        ("advance_repaid", false),
    ] {
        if summary.metrics.get(key).is_some() {
            let (value, se) = if as_share {
                (pct(m(key, "mean"), lang), se_pct(m(key, "se")))
            } else {
                (pg.money(m(key, "mean")), se_money(m(key, "se")))
            };
            rows.push((format!("{} ({})", label(key), s.mean), value, se));
        }
    }
    for (a, b, c) in rows {
        row(h, &[esc(&a), esc(&b), esc(&c)], 1);
    }
    for u in unpaid_after_horizon(summary) {
        let label = format!("{}: {}", s.unpaid_after_horizon, u.id);
        let se = format!("± {}", thousands(u.se, lang));
        row(h, &[esc(&label), esc(&u.describe(lang)), esc(&se)], 1);
    }
    h.push_str("</table>\n");
}

/// The deal: horizon, currency and cohorts.
fn deal_cohorts(h: &mut String, pg: &Page) {
    let Page {
        scenario,
        model,
        s,
        cur,
        ..
    } = *pg;
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<p>{}: {} {} · {}</p>",
        s.h_deal,
        s.horizon,
        model.horizon,
        s.months,
        esc(cur)
    );
    let _ = writeln!(h, "<h3>{}</h3>\n<table>", s.h_cohorts);
    head(h, &[s.c_name, s.c_start, s.c_size]);
    cohort_rows(
        h,
        pg,
        "",
        scenario.cohorts.as_deref(),
        scenario.enrolment.as_ref(),
    );
    for p in &scenario.providers {
        cohort_rows(
            h,
            pg,
            &format!("{}/", p.name),
            p.cohorts.as_deref(),
            p.enrolment.as_ref(),
        );
    }
}

/// The rows of one `cohorts` list or `enrolment` shorthand (a provider's
/// cohorts are named `<provider>/<cohort>`).
fn cohort_rows(
    h: &mut String,
    pg: &Page,
    prefix: &str,
    list: Option<&[crate::scenario::Cohort]>,
    enrolment: Option<&crate::scenario::Enrolment>,
) {
    let Page { lang, s, .. } = *pg;
    if let Some(list) = list {
        for c in list {
            row(
                h,
                &[
                    esc(&format!("{prefix}{}", c.name)),
                    c.start_month.0.to_string(),
                    esc(&describe(&c.size, lang)),
                ],
                1,
            );
        }
    } else if let Some(e) = enrolment {
        let first = e.first_month.map_or(0, |w| w.0);
        let every = e.every_months.map_or(1, |w| w.0);
        for i in 0..e.cohorts.0 {
            // The shorthand's names `cohort-N`, in the report's language.
            row(
                h,
                &[
                    esc(&format!("{prefix}{}-{}", s.cohort, i + 1)),
                    (first + i * every).to_string(),
                    esc(&describe(&e.size, lang)),
                ],
                1,
            );
        }
    }
}

/// The funnel: each outcome, its base, rate, lag, price and cap.
fn deal_funnel(h: &mut String, pg: &Page) {
    let Page {
        scenario, lang, s, ..
    } = *pg;
    let _ = writeln!(h, "</table>\n<h3>{}</h3>\n<table>", s.h_funnel);
    head(
        h,
        &[
            s.c_outcome,
            s.c_of,
            s.c_rate,
            s.c_lag,
            s.c_price,
            s.c_max_paid,
        ],
    );
    for o in &scenario.outcomes {
        row(
            h,
            &[
                format!(
                    "{}<br><span class=\"note\">{}</span>",
                    esc(&o.id),
                    esc(&outcome_note(o, lang))
                ),
                if o.kind() == crate::scenario::OutcomeKind::Rate {
                    // A rate belongs to the population, not to the cohorts.
                    esc(if lang == Lang::Es {
                        "población"
                    } else {
                        "population"
                    })
                } else {
                    esc(match o.of.as_deref() {
                        None | Some("enrolled") => s.enrolled,
                        Some(base) => base,
                    })
                },
                o.rate
                    .as_ref()
                    .or(o.effect.as_ref().map(|e| &e.mean))
                    .map_or(String::new(), |d| esc(&describe(d, lang))),
                if o.kind() == crate::scenario::OutcomeKind::Rate {
                    "-".into()
                } else {
                    o.lag_months
                        .as_ref()
                        .map_or("0".into(), |l| esc(&describe(l, lang)))
                },
                match &o.price {
                    crate::scenario::Price::Fixed(p) => pg.money(*p),
                    crate::scenario::Price::Tiered { tiers } => tiers
                        .iter()
                        .map(|t| match t.up_to {
                            Some(u) => {
                                format!("≤ {}: {}", thousands(u.0 as f64, lang), pg.money(t.price))
                            }
                            None => format!("+: {}", pg.money(t.price)),
                        })
                        .collect::<Vec<_>>()
                        .join("<br>"),
                },
                o.max_paid
                    .map_or(s.none.to_owned(), |m| thousands(m.0 as f64, lang)),
            ],
            3,
        );
    }
    let _ = writeln!(h, "</table>");
}

/// Segments, with their rate and price multipliers.
fn deal_segments(h: &mut String, pg: &Page) {
    let Page { model, lang, s, .. } = *pg;
    if model.segmented {
        let _ = writeln!(h, "<h3>{}</h3>\n<table>", s.h_segments);
        head(
            h,
            &[
                s.c_name,
                s.c_share,
                s.c_rate_multiplier,
                s.c_price_multiplier,
            ],
        );
        let ns = model.segments.len();
        let per_outcome = |v: &[f64], g: usize| {
            let parts: Vec<String> = model
                .outcomes
                .iter()
                .enumerate()
                .filter(|(o, _)| v[o * ns + g] != 1.0)
                .map(|(o, out)| format!("{} × {}", esc(&out.id), number(v[o * ns + g], 2, lang)))
                .collect();
            if parts.is_empty() {
                "1".to_owned()
            } else {
                parts.join("<br>")
            }
        };
        for (g, seg) in model.segments.iter().enumerate() {
            row(
                h,
                &[
                    esc(&seg.name),
                    pct(seg.share, lang),
                    per_outcome(&model.segment_rate, g),
                    per_outcome(&model.segment_price, g),
                ],
                1,
            );
        }
        h.push_str("</table>\n");
    }
}

/// Payers, their shares and caps, and the payment terms.
fn deal_parties(h: &mut String, pg: &Page) {
    let Page {
        scenario,
        model,
        lang,
        s,
        ..
    } = *pg;
    let _ = writeln!(h, "<h3>{}</h3>\n<table>", s.h_parties);
    head(h, &[s.c_name, s.c_share, s.c_payer_cap]);
    for ((n, sh), cap) in model.payers.iter().zip(&model.payer_caps) {
        let cap = if cap.is_finite() {
            pg.money(*cap)
        } else {
            s.none.to_owned()
        };
        let n = if scenario.payment.payers.is_none() {
            s.default_payer
        } else {
            n
        };
        row(h, &[esc(n), pct(*sh, lang), cap], 1);
    }
    h.push_str("</table>\n<table>\n");
    for (k, v) in [
        (
            s.budget_cap,
            model.budget_cap.map_or(s.none.to_owned(), |x| pg.money(x)),
        ),
        (s.evaluation_cost, pg.money(model.evaluation_cost)),
        (
            s.payment_lag,
            format!("{} ({})", model.payment_lag, s.months),
        ),
        (
            s.service_fee,
            if model.service_fee_declared {
                pct(model.service_fee, lang)
            } else {
                s.none.to_owned()
            },
        ),
    ] {
        row(h, &[esc(k), esc(&v)], 1);
    }
}

/// Tranches, the deal terms, guarantee, floor and committed capital.
fn deal_tranches(h: &mut String, pg: &Page) {
    let Page {
        scenario,
        model,
        lang,
        s,
        ..
    } = *pg;
    let _ = writeln!(h, "</table>\n<h3>{}</h3>", s.h_tranches);
    if model.funded_by == crate::scenario::FundedBy::Provider {
        // No tranches, guarantee or excess: the provider's own money.
        h.push_str("<table>\n");
        row(h, &[esc(s.funded_by), esc(s.funded_by_provider)], 1);
        for (k, v) in deal_terms(model, lang) {
            row(h, &[esc(k), esc(&v)], 1);
        }
        if let Some(k) = model.committed_capital {
            row(h, &[esc(s.credit_line), pg.money(k)], 1);
        }
        h.push_str("</table>\n");
        return;
    }
    h.push_str("<table>\n");
    head(h, &[s.c_name, s.c_share, s.c_seniority, s.c_cap_irr]);
    let tranche_name = |k: usize| -> &str {
        if scenario.finance.tranches.is_none() {
            s.default_tranche
        } else {
            &model.tranches[k].name
        }
    };
    for (k, t) in model.tranches.iter().enumerate() {
        row(
            h,
            &[
                esc(tranche_name(k)),
                pct(t.share, lang),
                t.seniority.to_string(),
                t.cap_irr.map_or(s.none.to_owned(), |c| pct(c, lang)),
            ],
            1,
        );
    }
    h.push_str("</table>\n<table>\n");
    for (k, v) in deal_terms(model, lang) {
        row(h, &[esc(k), esc(&v)], 1);
    }
    h.push_str("</table>\n");
    let by = |b: crate::scenario::SupportBy| match b {
        crate::scenario::SupportBy::Payer => s.by_payer,
        crate::scenario::SupportBy::Guarantor => s.by_guarantor,
    };
    if let Some((amount, k)) = model.guarantee {
        let _ = writeln!(
            h,
            "<p>{}: {} → {} ({})</p>",
            s.guarantee,
            pg.money(amount),
            esc(tranche_name(k)),
            by(model.guarantee_by)
        );
    }
    if let Some(f) = model.floor {
        let _ = writeln!(
            h,
            "<p>{}: {} → {} ({})</p>",
            s.principal_floor,
            pct(f.share, lang),
            esc(tranche_name(f.tranche)),
            by(f.by)
        );
    }
    if let Some(k) = model.committed_capital {
        let _ = writeln!(
            h,
            "<p>{} ({}): {}</p>",
            s.capital_needed,
            s.committed,
            pg.money(k)
        );
    }
}

/// Risk sharing by decile and the expected losses.
/// The evaluation risk of every outcome verified by a survey or an RCT
/// (docs/model.md, "Evaluation risk"); nothing when there is none.
fn evaluation_section(h: &mut String, pg: &Page) {
    let Page {
        summary, lang, s, ..
    } = *pg;
    let risks = super::table::evaluation_risk(summary);
    if risks.is_empty() {
        return;
    }
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<p class=\"note\">{}</p>\n<table>",
        s.h_evaluation,
        esc(s.evaluation_note)
    );
    head(h, &s.c_evaluation);
    for e in &risks {
        row(
            h,
            &[
                esc(e.id),
                pg.money(e.error[0]),
                pg.money(e.error[1]),
                pg.money(e.error[2]),
                super::table::probability_text(e.triggered, lang),
                if e.has_target {
                    super::table::probability_text(e.withheld, lang)
                } else {
                    "-".into()
                },
            ],
            1,
        );
    }
    h.push_str("</table>\n");
}

/// Transfers to agencies: the totals, the spread of the agencies' figures
/// across agencies (not one row per agency: the workbook has those), and
/// the agencies most likely to receive nothing.
/// The providers of a contract with several: one row each.
fn providers_section(h: &mut String, pg: &Page) {
    let Page {
        summary, lang, s, ..
    } = *pg;
    let rows = super::table::providers(summary);
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<p class=\"note\">{}</p>\n<table>",
        s.h_providers,
        esc(s.providers_note)
    );
    head(h, &s.c_providers);
    for p in rows {
        let v = p.values();
        let mut cells = vec![esc(p.name)];
        cells.extend(v[..5].iter().map(|&x| thousands(x, lang)));
        cells.push(super::table::probability_text(p.loss, lang));
        cells.push(thousands(v[6], lang));
        row(h, &cells, 1);
    }
    h.push_str("</table>\n");
}

fn transfers_section(h: &mut String, pg: &Page) {
    let Page {
        summary, lang, s, ..
    } = *pg;
    let Some(t) = &summary.transfers else {
        return;
    };
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<p class=\"note\">{}</p>\n<table>",
        s.h_transfers,
        esc(s.transfers_note)
    );
    let m = |k: &str, f: &str| summary.metric(k, f);
    let label = |k: &str| lang.metric_label(k, &|n| n.to_owned());
    let mut rows: Vec<(String, String)> = Vec::new();
    for key in ["transferred", "earned", "pool_shortfall"] {
        rows.push((
            format!("{} ({}) · P5 / P95", label(key), s.mean),
            format!(
                "{} · {} / {}",
                pg.money(m(key, "mean")),
                thousands(m(key, "p5"), lang),
                thousands(m(key, "p95"), lang)
            ),
        ));
    }
    if t.pool.is_finite() {
        rows.push((label("pool"), pg.money(t.pool)));
        rows.push((
            label("prob_pool_binds"),
            super::table::probability_text(summary.probability("prob_pool_binds"), lang),
        ));
    }
    for key in ["agencies_paid_in_full", "agencies_paid_nothing"] {
        rows.push((
            format!("{} ({}) · P5 / P95", label(key), s.mean),
            format!(
                "{} {} {} · {} / {}",
                number(m(key, "mean"), 1, lang),
                s.of,
                t.agencies.len(),
                number(m(key, "p5"), 0, lang),
                number(m(key, "p95"), 0, lang)
            ),
        ));
    }
    for (a, b) in rows {
        row(h, &[esc(&a), esc(&b)], 1);
    }
    h.push_str("</table>\n<table>\n");
    head(h, &s.across);
    for (name, q) in s.across_rows.iter().zip(super::table::across_agencies(t)) {
        let mut cells = vec![esc(name)];
        cells.extend(q.iter().map(|&x| pct(x, lang)));
        row(h, &cells, 1);
    }
    h.push_str("</table>\n");
    // The ten agencies most likely to receive nothing (ties: the file's order).
    let mut at_risk: Vec<&crate::summary::AgencySummary> = t.agencies.iter().collect();
    at_risk.sort_by(|a, b| b.prob_nothing.total_cmp(&a.prob_nothing));
    at_risk.truncate(10);
    let _ = writeln!(h, "<h3>{}</h3>\n<table>", s.most_at_risk);
    let c = &s.c_agencies;
    head(h, &[c[0], c[1], c[2], c[4], c[6], c[7], c[8]]);
    for a in at_risk {
        row(
            h,
            &[
                esc(&a.name),
                thousands(a.commitment, lang),
                thousands(a.mean, lang),
                thousands(a.p5, lang),
                thousands(a.p95, lang),
                pct(a.prob_full, lang),
                pct(a.prob_nothing, lang),
            ],
            1,
        );
    }
    h.push_str("</table>\n");
}

fn risk(h: &mut String, pg: &Page) {
    let Page {
        model,
        summary,
        lang,
        s,
        ..
    } = *pg;
    let capped_to_payer = model.excess_to == crate::scenario::ExcessTo::Payer
        && model.tranches.iter().all(|t| t.cap_irr.is_some());
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<p class=\"note\">{}{}</p>\n<table>",
        s.h_risk,
        esc(s.risk_note),
        if capped_to_payer {
            format!(" {}", esc(s.risk_note_capped))
        } else {
            String::new()
        }
    );
    // (Without investors there is no guarantee and no success share: the
    // table ends at the provider's margin.)
    let shown = if model.funded_by == crate::scenario::FundedBy::Provider {
        6
    } else {
        8
    };
    let mut cells = vec![s.c_decile];
    cells.extend(s.risk_columns());
    head(h, &cells[..shown]);
    for r in &summary.risk_sharing.deciles {
        let cells = [
            r.decile.to_string(),
            number(r.outcome_count, 1, lang),
            thousands(r.payer_cost, lang),
            thousands(r.cost_per_outcome, lang),
            thousands(r.delivery_cost, lang),
            thousands(r.funder_net(), lang),
            thousands(r.guarantee_paid, lang),
            thousands(r.provider_bonus, lang),
        ];
        row(h, &cells[..shown], 1);
    }
    h.push_str("</table>\n<table>\n");
    let rs = &summary.risk_sharing;
    for (label, key) in s.downside_rows() {
        row(h, &[esc(&label), pg.money(rs.figure(key))], 1);
    }
    h.push_str("</table>\n");
}

/// Every chart, inline.
fn charts_section(h: &mut String, pg: &Page, charts: &[Chart]) {
    let Page { s, .. } = *pg;
    let _ = writeln!(h, "<h2>{}</h2>", s.h_charts);
    for c in charts {
        let _ = writeln!(
            h,
            "<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>",
            c.svg,
            esc(&c.title)
        );
    }
}

/// The run and the scenario's sources.
fn run_section(h: &mut String, pg: &Page, run: &Value) {
    let Page {
        scenario,
        summary,
        lang,
        s,
        ..
    } = *pg;
    let _ = writeln!(h, "<h2>{}</h2>\n<table>", s.h_run);
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    for (k, v) in [
        (s.file, summary.scenario.file.clone()),
        ("SHA-256", summary.scenario.sha256.clone()),
        (s.version, text(&run["ibsim_version"])),
        (s.seed, summary.seed.to_string()),
        (s.trials, summary.trials.to_string()),
        (s.threads, text(&run["threads"])),
        (
            s.wall_time,
            format!(
                "{} s",
                number(run["wall_seconds"].as_f64().unwrap_or(f64::NAN), 2, lang)
            ),
        ),
    ] {
        row(h, &[esc(k), esc(&v)], 1);
    }
    h.push_str("</table>\n");
    if !scenario.sources.is_empty() {
        let _ = writeln!(h, "<h3>{}</h3>\n<ul class=\"note\">", s.h_sources);
        for src in &scenario.sources {
            let _ = writeln!(h, "<li>{}</li>", esc(src));
        }
        h.push_str("</ul>\n");
    }
}

/// How the deal account works (docs/model.md, "The deal account"), as label and value rows.
pub fn deal_terms(model: &Model, lang: Lang) -> Vec<(&'static str, String)> {
    let s = lang.strings();
    let schedule = match model.distribution_every {
        1 => s.dist_monthly.to_owned(),
        n if n >= model.horizon => s.dist_end.to_owned(),
        n => format!("{} {n} {}", s.dist_every, s.months),
    };
    let money = |x: f64| format!("{} {}", model.currency, thousands(x, lang));
    let mut price_terms = Vec::new();
    if let Some(&f) = model.fixed_payments.iter().find(|&&f| f != 0.0) {
        let first = model.fixed_payments.iter().position(|&x| x != 0.0);
        let last = model.fixed_payments.iter().rposition(|&x| x != 0.0);
        let months = match (first, last) {
            (Some(a), Some(b)) => format!(" ({} {a}–{b})", s.months),
            _ => String::new(),
        };
        price_terms.push((
            s.fixed_part[0],
            format!("{} {}{months}", money(f), s.fixed_part[1]),
        ));
    }
    if let Some(a) = model.advance {
        price_terms.push((
            s.advance[0],
            format!(
                "{} {} {}, {} {} {}",
                money(a.amount),
                s.advance[1],
                a.month,
                s.advance[2],
                pct(a.recovery, lang),
                s.advance[3]
            ),
        ));
    }
    if model.funded_by == crate::scenario::FundedBy::Provider {
        let mut terms = vec![(
            s.recycling,
            if model.recycling { s.yes } else { s.no }.to_owned(),
        )];
        terms.extend(price_terms);
        return terms;
    }
    let mut terms = vec![
        (
            s.recycling,
            if model.recycling { s.yes } else { s.no }.to_owned(),
        ),
        (s.success_share, pct(model.success_share, lang)),
        (
            s.excess_to,
            match model.excess_to {
                crate::scenario::ExcessTo::Payer => s.to_payer,
                crate::scenario::ExcessTo::Provider => s.to_provider,
            }
            .to_owned(),
        ),
        (
            s.excess_settlement,
            if model.excess_monthly {
                s.settle_monthly
            } else {
                s.settle_end
            }
            .to_owned(),
        ),
        (s.distributions, schedule),
    ];
    terms.extend(price_terms);
    terms
}

/// The deal account month by month: median and P5-P95 of each series, in
/// the currency scaled to thousands, millions or billions.
fn account_section(h: &mut String, account: &AccountBands, cur: &str, lang: Lang, s: &Strings) {
    let (div, unit) = money_scale(account.largest(), lang);
    let unit = if unit.is_empty() {
        cur.to_owned()
    } else {
        format!("{cur} {unit}")
    };
    let _ = writeln!(
        h,
        "<h2>{}</h2>\n<p class=\"note\">{} ({} {}; {unit})</p>\n<table>",
        s.h_account,
        esc(s.account_note),
        thousands(account.trials as f64, lang),
        s.trials
    );
    let mut cells = vec![s.c_month];
    cells.extend(s.account_series);
    head(h, &cells);
    let dec = if div > 1.0 { 1 } else { 0 };
    let fmt = |x: f64| number(x / div, dec, lang);
    for t in account.active_months() {
        let mut r = vec![t.to_string()];
        for b in &account.months[t] {
            r.push(if b.p5 == b.p95 {
                fmt(b.p50)
            } else {
                format!(
                    "{} <span class=\"note\">[{} – {}]</span>",
                    fmt(b.p50),
                    fmt(b.p5),
                    fmt(b.p95)
                )
            });
        }
        row(h, &r, 1);
    }
    h.push_str("</table>\n");
}

/// The label of an outcome and its payment terms (paid_by, counterfactual, measurement).
fn outcome_note(o: &crate::scenario::Outcome, lang: Lang) -> String {
    let s = lang.strings();
    let [paid_by, counterfactual, measurement] = s.notes;
    let mut parts: Vec<String> = o.label.iter().cloned().collect();
    if let Some(p) = &o.paid_by {
        parts.push(format!("{paid_by}: {}", p.join(", ")));
    }
    if let Some(r) = o.counterfactual_rate {
        parts.push(format!("{counterfactual}: {}", number(r, 4, lang)));
    }
    if let Some(m) = &o.measurement {
        parts.push(format!(
            "{measurement}: ± {} ({})",
            number(m.relative_sd, 4, lang),
            s.dist_mean_sd[1]
        ));
    }
    parts.extend(measured_note(o, lang));
    parts.join("; ")
}

/// What an effect or rate outcome, and a verification, add to an outcome's
/// note: the effect's unit and comparison, the rate's baseline and target,
/// the verification method and rounds.
fn measured_note(o: &crate::scenario::Outcome, lang: Lang) -> Vec<String> {
    let es = lang == Lang::Es;
    let pick = |en: &str, es_text: &str| if es { es_text } else { en }.to_owned();
    let mut parts = Vec::new();
    if let Some(e) = &o.effect {
        let unit = e.unit.clone().unwrap_or_default();
        parts.push(format!(
            "{} {unit}",
            pick("effect per participant, in", "efecto por participante, en")
        ));
        if let Some(c) = &e.comparison {
            parts.push(format!(
                "{}: {}",
                pick("comparison", "comparación"),
                describe(c, lang)
            ));
        }
    }
    if let Some(b) = o.baseline {
        parts.push(format!(
            "{}: {}",
            pick("baseline", "línea base"),
            number(b, 4, lang)
        ));
    }
    if let Some(t) = o.target {
        parts.push(format!(
            "{}: {}",
            pick("target", "meta"),
            number(t, 4, lang)
        ));
    }
    if o.netting == Some(crate::scenario::Netting::Contract) {
        parts.push(pick(
            "netted across the contract",
            "compensado en todo el contrato",
        ));
    }
    if let Some(v) = &o.verification {
        if let Some(sv) = &v.survey {
            parts.push(format!(
                "{} {} ({} {})",
                pick("survey of", "encuesta de"),
                thousands(sv.sample.0 as f64, lang),
                pick("design effect", "efecto de diseño"),
                number(sv.design_effect.unwrap_or(1.0), 2, lang)
            ));
        }
        if let Some(r) = &v.rct {
            parts.push(format!(
                "RCT {} + {}",
                thousands(r.treated.0 as f64, lang),
                thousands(r.control.0 as f64, lang)
            ));
        }
        if let Some(m) = &v.months {
            let months: Vec<String> = m.iter().map(|w| w.0.to_string()).collect();
            parts.push(format!(
                "{}: {}",
                pick("rounds", "rondas"),
                months.join(", ")
            ));
        }
    }
    parts
}
