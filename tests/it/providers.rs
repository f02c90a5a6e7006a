//! Several providers in one contract (docs/model.md, "Several providers"):
//! hand-computed deals with different prices, a budget cap and a `max_paid`
//! that cut them, rate multipliers drawn per provider against their
//! expectation, and the providers in the summary and the reports.

use crate::common::library::{close, deterministic, model, run};
use crate::common::{stdout, tempdir, write};

/// Two providers, every participant succeeding two months after it starts.
/// `alpha`: 100 participants in month 0, 10 each to serve and 5 per job,
/// paid 40 a job. `beta`: 50 participants in month `beta_start`, 100 up
/// front and 20 each, paid 1.5 x 40 = 60 a job. The contract's own cost is
/// 300 up front; `extra` adds to the outcome, `finance` is the funding.
fn two_providers(beta_start: u32, extra: &str, payment: &str, finance: &str) -> String {
    format!(
        "
name: two providers
currency: USD
horizon_months: 6
providers:
  - name: alpha
    cohorts: [{{name: a, start_month: 0, size: 100}}]
    costs: {{per_participant: 10, per_outcome: {{job: 5}}}}
  - name: beta
    cohorts: [{{name: b, start_month: {beta_start}, size: 50}}]
    costs: {{per_participant: 20, upfront: 100}}
    price_multiplier: {{job: 1.5}}
outcomes:
  - {{id: job, rate: 1, lag_months: 2, price: 40{extra}}}
costs: {{upfront: 300}}
payment:
  lag_months: 0
{payment}
finance:
{finance}
simulation: {{trials: 8, seed: 3}}
"
    )
}

#[test]
fn two_providers_with_different_prices() {
    // alpha: costs 1,000 in month 0 and 5 x 100 = 500 in month 2; paid
    // 100 x 40 = 4,000 in month 2: net 2,500, at most 1,000 down.
    // beta: costs 100 + 50 x 20 = 1,100 in month 1 (upfront in month 0);
    // paid 50 x 60 = 3,000 in month 3: net 1,900, at most 1,100 down.
    let text = two_providers(1, "", "", "  funded_by: provider");
    let (v, summary) = deterministic(&text);
    for (key, want) in [
        ("provider.alpha.outcome.job", 100.0),
        ("provider.alpha.paid", 4_000.0),
        ("provider.alpha.cost", 1_500.0),
        ("provider.alpha.net", 2_500.0),
        ("provider.alpha.peak_cash", 1_000.0),
        ("provider.beta.outcome.job", 50.0),
        ("provider.beta.paid", 3_000.0),
        ("provider.beta.cost", 1_100.0),
        ("provider.beta.net", 1_900.0),
        ("provider.beta.peak_cash", 1_100.0),
        ("outcome.job", 150.0),
        ("payer_cost", 7_000.0),
        ("delivery_cost", 2_900.0),
        // The providers together, with the contract's own 300.
        ("provider.margin", 4_100.0),
    ] {
        close(key, v(key), want);
    }
    for name in ["alpha", "beta"] {
        let p = &summary["probabilities"][format!("prob_provider_loss.{name}")];
        assert_eq!(p["value"], 0.0, "{name}: {p}");
    }
    // Funded by investors through one vehicle, the providers' figures are
    // the same and the investors' net is theirs less the shared cost.
    let (v, _) = deterministic(&two_providers(1, "", "", "  hurdle_irr: 0"));
    close("investor_net", v("investor_net"), 2_500.0 + 1_900.0 - 300.0);
    close("beta net", v("provider.beta.net"), 1_900.0);
}

#[test]
fn a_budget_cap_cuts_each_provider_pro_rata_to_what_it_invoiced() {
    // Both paid in month 2: alpha invoices 4,000 and beta 3,000; the cap
    // of 3,500 pays half of each.
    let text = two_providers(0, "", "  budget_cap: 3500", "  funded_by: provider");
    let (v, _) = deterministic(&text);
    close("alpha paid", v("provider.alpha.paid"), 2_000.0);
    close("beta paid", v("provider.beta.paid"), 1_500.0);
    close("alpha net", v("provider.alpha.net"), 2_000.0 - 1_500.0);
    close("beta net", v("provider.beta.net"), 1_500.0 - 1_100.0);
    close("payments", v("payer_cost"), 3_500.0);
}

#[test]
fn max_paid_pays_the_earliest_cohorts_first_provider_by_provider_within_a_month() {
    // Both start in month 0 and are paid in month 2; only 120 jobs are
    // paid: alpha's 100 (first in the file) at 40, then 20 of beta's at 60.
    let text = two_providers(0, ", max_paid: 120", "", "  funded_by: provider");
    let (v, _) = deterministic(&text);
    close("paid jobs", v("paid.job"), 120.0);
    close("alpha paid", v("provider.alpha.paid"), 4_000.0);
    close("beta paid", v("provider.beta.paid"), 1_200.0);
    // Started a month earlier, beta's cohort comes first: its 50 at 60,
    // then 70 of alpha's at 40.
    let text = two_providers(0, ", max_paid: 120", "", "  funded_by: provider")
        .replace("start_month: 0, size: 100", "start_month: 1, size: 100");
    let (v, _) = deterministic(&text);
    close("beta paid first", v("provider.beta.paid"), 3_000.0);
    close("alpha paid next", v("provider.alpha.paid"), 2_800.0);
}

#[test]
fn rate_multipliers_are_each_providers_own_draw_on_the_shared_rate() {
    // Rate 0.5 for the contract; east at 1.2 of it (0.6), west at a
    // multiplier uniform on [0.4, 0.8] drawn per trial (0.3 on average).
    // A shock halves both in half the trials.
    let text = "
name: multipliers
currency: USD
horizon_months: 6
providers:
  - name: east
    cohorts: [{name: e, start_month: 0, size: 1000}]
    rate_multiplier: {job: 1.2}
  - name: west
    cohorts: [{name: w, start_month: 0, size: 1000}]
    rate_multiplier: {job: {uniform: {min: 0.4, max: 0.8}}}
outcomes:
  - {id: job, rate: 0.5, lag_months: 1, price: 10}
shocks:
  - {name: slump, probability: 0.5, rate_multiplier: {job: 0.5}}
simulation: {seed: 11}
";
    let m = model(text);
    let n = 4000;
    let (cols, summary) = run(&m, n, 2);
    let mean_se = |key: &str| {
        let s = &summary["metrics"][key];
        (s["mean"].as_f64().unwrap(), s["se"].as_f64().unwrap())
    };
    // E[shock factor] = 0.75.
    for (key, want) in [
        ("provider.east.outcome.job", 1000.0 * 0.5 * 1.2 * 0.75),
        ("provider.west.outcome.job", 1000.0 * 0.5 * 0.6 * 0.75),
    ] {
        let (mean, se) = mean_se(key);
        assert!(
            (mean - want).abs() < 5.0 * se,
            "{key}: {mean} ± {se}, expected {want}"
        );
    }
    // The shock is shared: the providers' results move together.
    let east = crate::common::library::column(&cols, "provider.east.outcome.job");
    let west = crate::common::library::column(&cols, "provider.west.outcome.job");
    let corr = correlation(east, west);
    assert!(corr > 0.5, "correlation {corr}");
}

/// Pearson's correlation of two columns.
fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}

#[test]
fn providers_appear_in_the_terminal_report_and_workbook_in_both_languages() {
    let dir = tempdir("providers-report");
    let f = write(
        &dir,
        "two.yaml",
        &two_providers(1, "", "", "  funded_by: provider"),
    );
    for (lang, word) in [("en", "Provider"), ("es", "Operador")] {
        let out_dir = dir.join(lang);
        let out = crate::common::run_in_language(&f, &out_dir, lang);
        assert!(out.status.success(), "{out:?}");
        let text = stdout(&out);
        assert!(text.contains(&format!("{word} alpha")), "{text}");
        assert!(text.contains(&format!("{word} beta")), "{text}");
        let html = std::fs::read_to_string(out_dir.join("two/report.html")).unwrap();
        let heading = if lang == "en" {
            "<h2>Providers</h2>"
        } else {
            "<h2>Operadores</h2>"
        };
        assert!(html.contains(heading), "{lang}: no providers section");
        assert!(html.contains("<td>beta</td>"), "{lang}: no beta row");
        assert!(html.contains("beta/b"), "{lang}: beta's cohort not listed");
        use calamine::{Data, Reader, Xlsx, open_workbook};
        let mut wb: Xlsx<_> = open_workbook(out_dir.join("two/workbook.xlsx")).unwrap();
        let sheet_name = if lang == "en" {
            "Providers"
        } else {
            "Operadores"
        };
        let sheet = wb.worksheet_range(sheet_name).unwrap();
        // beta's row: its mean payments and net (hand-computed above).
        let row = sheet
            .rows()
            .find(|r| r.first() == Some(&Data::String("beta".into())))
            .unwrap();
        assert_eq!(row.get(1), Some(&Data::Float(3_000.0)), "{lang}");
        assert_eq!(row.get(3), Some(&Data::Float(1_900.0)), "{lang}");
    }
}

#[test]
fn a_provider_scenario_gives_the_same_bytes_for_any_threads_and_shards() {
    crate::common::same_bytes_for_any_threads_and_shards("cali-progresa");
}
