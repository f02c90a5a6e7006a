//! Programme files (docs/model.md, "Programmes"): several deals read and
//! checked together, through `ibsim validate`.

use crate::common::*;

/// A deal file and a programme of it, a bundled deal and an inline one.
fn programme_dir(deal: &str, programme_tail: &str) -> (TempDir, std::path::PathBuf) {
    let dir = tempdir("programme");
    let deals = dir.join("deals");
    std::fs::create_dir_all(&deals).unwrap();
    write(&deals, "small.yaml", deal);
    let bundled = root().join("scenarios/bucaramanga-employment.yaml");
    let text = format!(
        "name: Plan
currency: COP
deals:
  - name: small
    file: deals/small.yaml
    loading: 0.3
  - name: employment
    file: {}
    start_month: 6
  - name: inline_one
    scenario:
      name: tiny
      currency: COP
      horizon_months: 6
      cohorts: [{{name: a, start_month: 0, size: 10}}]
      outcomes:
        - {{id: job, rate: 0.5, price: 10}}
{programme_tail}",
        bundled.display()
    );
    let f = write(&dir, "plan.yaml", &text);
    (dir, f)
}

const SMALL: &str = "name: small
currency: COP
horizon_months: 12
cohorts: [{name: a, start_month: 0, size: 100}]
outcomes:
  - {id: job, rate: 0.5, lag_months: 2, price: 1000}
";

#[test]
fn a_programme_is_checked_with_every_deal() {
    let (_dir, f) = programme_dir(
        SMALL,
        "fund: {budget_cap: 5000000000}\nshocks:\n  - {name: recession, probability: 0.2, hits: {small: {job: 0.8}, employment: {placement: 0.75}}}\n",
    );
    let out = ibsim(&["validate", f.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("(a programme of 3 deals)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn problems_inside_deals_name_their_own_file_line_and_path() {
    // A deal file's problem is reported in that file.
    let (_dir, f) = programme_dir(&SMALL.replace("rate: 0.5", "rate: 1.5"), "");
    let out = ibsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("small.yaml:6:") && err.contains("outcomes[0].rate:"),
        "{err}"
    );
    // An inline deal's problem is located in the programme file.
    let (_dir, f) = programme_dir(SMALL, "");
    let text = std::fs::read_to_string(&f).unwrap().replace(
        "{id: job, rate: 0.5, price: 10}",
        "{id: job, rate: 2, price: 10}",
    );
    std::fs::write(&f, text).unwrap();
    let out = ibsim(&["validate", f.to_str().unwrap()]);
    let err = stderr(&out);
    assert!(
        err.contains("plan.yaml:17:") && err.contains("deals[2].scenario.outcomes[0].rate:"),
        "{err}"
    );
}

#[test]
fn invalid_programmes_say_where_and_what_was_expected() {
    for (tail, edit, expected) in [
        (
            "shocks:\n  - {name: s, probability: 0.2, hits: {nobody: {job: 0.8}}}\n",
            None,
            "shocks[0].hits.nobody: unknown deal `nobody`",
        ),
        (
            "shocks:\n  - {name: s, probability: 0.2, hits: {small: {jobs: 0.8}}}\n",
            None,
            "shocks[0].hits.small.jobs: deal `small` has no outcome `jobs`",
        ),
        (
            "shocks:\n  - {name: s, probability: 1.2, hits: {small: {job: 0.8}}}\n",
            None,
            "shocks[0].probability: 1.2 is out of range",
        ),
        (
            "",
            Some(("loading: 0.3", "loading: 1.3")),
            "deals[0].loading: 1.3 is out of range",
        ),
        (
            "",
            Some(("name: employment", "name: small")),
            "deals[1].name: duplicate deal name `small`",
        ),
        (
            "",
            Some(("currency: COP\ndeals", "currency: PEN\ndeals")),
            "deals[0]: the deal's currency is COP, the programme's PEN",
        ),
        (
            "fund: {budget_cap: 100, allocation: priority}\n",
            None,
            "deals[0].priority: missing `priority`",
        ),
        (
            "",
            Some(("    file: deals/small.yaml\n", "")),
            "deals[0]: missing the deal",
        ),
    ] {
        let (_dir, f) = programme_dir(SMALL, tail);
        if let Some((from, to)) = edit {
            let text = std::fs::read_to_string(&f).unwrap();
            assert!(text.contains(from), "{from}");
            std::fs::write(&f, text.replacen(from, to, 1)).unwrap();
        }
        let out = ibsim(&["validate", f.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{expected}");
        let err = stderr(&out);
        assert!(
            err.lines()
                .any(|l| l.contains("plan.yaml:") && l.contains(expected)),
            "`{expected}` missing in:\n{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// A deterministic deal: 100 participants all succeed in month 2, paid
/// `price` each then.
fn certain(name: &str, price: u32) -> String {
    format!(
        "  - name: {name}
    scenario:
      name: {name}
      currency: USD
      horizon_months: 6
      cohorts: [{{name: a, start_month: 0, size: 100}}]
      outcomes:
        - {{id: job, rate: 1, lag_months: 2, price: {price}}}
"
    )
}

mod trials {
    use super::certain;
    use crate::common::root;
    use ibsim::engine::Draws;
    use ibsim::model::Model;
    use ibsim::programme::run::{ProgrammeColumns, ProgrammeModel, simulate};

    /// A programme from its text, its deal files read from the repository.
    fn run(text: &str, threads: usize) -> (ProgrammeModel, ProgrammeColumns) {
        let lp = ibsim::programme::parse_str(text, "plan.yaml", &root())
            .unwrap_or_else(|d| panic!("{}", d[0]));
        let pm = ProgrammeModel::compile(&lp);
        let cols = simulate(&pm, Some(threads)).unwrap();
        (pm, cols)
    }

    #[test]
    fn a_programme_of_one_deal_gives_exactly_that_deals_numbers() {
        let file = root().join("scenarios/bucaramanga-employment.yaml");
        let text = format!(
            "name: one\ncurrency: COP\ndeals:\n  - {{name: jobs, file: {}, loading: 0}}\nsimulation: {{trials: 3000}}\n",
            file.display()
        );
        let (pm, cols) = run(&text, 2);
        let m = Model::compile(&ibsim::scenario::load(&file).unwrap().scenario);
        let draws = Draws {
            seed: m.seed,
            trials: 3000,
            sampling: m.sampling,
        };
        let alone = ibsim::engine::runner::simulate(&m, &draws, 0..3000, Some(1), &|_| {}).unwrap();
        assert_eq!(cols.deals[0].names, alone.names);
        for (name, (a, b)) in alone
            .names
            .iter()
            .zip(alone.data.iter().zip(&cols.deals[0].data))
        {
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(a), bits(b), "{name}");
        }
        assert_eq!(pm.deals.len(), 1);
    }

    #[test]
    fn two_certain_deals_give_the_hand_computed_fund_totals() {
        // Both paid in month 2: 100 x 10 + 100 x 30 = 4,000 due; the budget
        // of 3,000 pays 3/4 of each (750 and 2,250), 1,000 short.
        let text = format!(
            "name: two\ncurrency: USD\ndeals:\n{}{}fund: {{budget_cap: 3000}}\nsimulation: {{trials: 50}}\n",
            certain("a", 10),
            certain("b", 30)
        );
        let (_, cols) = run(&text, 2);
        let all = |c: &ibsim::engine::runner::TrialColumns, name: &str, want: f64| {
            let v = c.column(name).unwrap();
            assert!(
                v.iter().all(|&x| (x - want).abs() <= 1e-9 * want.max(1.0)),
                "{name}: {:?}",
                &v[..3]
            );
        };
        all(&cols.fund, "fund.due", 4000.0);
        all(&cols.fund, "fund.paid", 3000.0);
        all(&cols.fund, "fund.payer_cost", 3000.0);
        all(&cols.fund, "fund.shortfall", 1000.0);
        all(&cols.fund, "_fund_budget_binds", 1.0);
        all(&cols.deals[0], "payer_cost", 750.0);
        all(&cols.deals[1], "payer_cost", 2250.0);
        // By priority, b (rank 1) is paid in full and a gets what is left.
        let text = text
            .replace(
                "budget_cap: 3000}",
                "budget_cap: 3000, allocation: priority}",
            )
            .replace("  - name: a\n", "  - name: a\n    priority: 2\n")
            .replace("  - name: b\n", "  - name: b\n    priority: 1\n");
        let (_, cols) = run(&text, 1);
        all(&cols.deals[1], "payer_cost", 3000.0);
        all(&cols.deals[0], "payer_cost", 0.0);
        all(&cols.fund, "fund.paid", 3000.0);
    }

    #[test]
    fn an_investor_in_two_deals_gets_the_irr_of_its_summed_flows() {
        // Deal a: the investor funds 500 of set-up in month 0 and receives
        // 100 x 10 in month 2. Deal b, from programme month 1: 1,000 in its
        // month 0, 100 x 30 in its month 2. The same investor (b's tranche
        // renamed) holds both: flows -500, -1,000, +1,000, +3,000 by
        // programme month. Their payers are one payer by name.
        let deal = |name: &str, price: u32, upfront: u32, extra: &str| {
            format!(
                "  - name: {name}
{extra}    scenario:
      name: {name}
      currency: USD
      horizon_months: 6
      cohorts: [{{name: a, start_month: 0, size: 100}}]
      outcomes:
        - {{id: job, rate: 1, lag_months: 2, price: {price}}}
      costs: {{upfront: {upfront}}}
      payment: {{payers: [{{name: {name}_city, share: 1}}]}}
      finance: {{tranches: [{{name: {name}_fund, share: 1}}]}}
"
            )
        };
        let text = format!(
            "name: two\ncurrency: USD\ndeals:\n{}{}simulation: {{trials: 20}}\n",
            deal(
                "a",
                10,
                500,
                "    payers: {a_city: city}\n    investors: {a_fund: impact}\n"
            ),
            deal(
                "b",
                30,
                1000,
                "    start_month: 1\n    payers: {b_city: city}\n    investors: {b_fund: impact}\n"
            ),
        );
        let (pm, cols) = run(&text, 2);
        assert_eq!(pm.fund.portfolios.len(), 1);
        assert_eq!(pm.fund.portfolios[0].deals, ["a", "b"]);
        let flows = [-500.0, -1000.0, 1000.0, 3000.0];
        // The monthly rate r solving sum f_t / (1 + r)^t = 0, by bisection.
        let npv = |r: f64| {
            flows
                .iter()
                .enumerate()
                .map(|(t, f)| f / (1.0 + r).powi(t as i32))
                .sum::<f64>()
        };
        let (mut lo, mut hi) = (0.0, 10.0);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if npv(mid) > 0.0 { lo = mid } else { hi = mid }
        }
        let irr = (1.0 + lo).powi(12) - 1.0;
        let all = |name: &str, want: f64| {
            let v = cols.fund.column(name).unwrap();
            assert!(
                v.iter()
                    .all(|&x| (x - want).abs() <= 1e-9 * want.abs().max(1.0)),
                "{name}: {} against {want}",
                v[0]
            );
        };
        all("investor.impact.irr", irr);
        all("investor.impact.net", 2500.0);
        all("investor.impact.moic", 4000.0 / 1500.0);
        all("_investor_loss.impact", 0.0);
        all("fund.payer_cost.city", 4000.0);
        // Each deal's own tranche figures are unchanged by the portfolio.
        let a = cols.deals[0].column("tranche.a_fund.net").unwrap();
        assert!(a.iter().all(|&x| (x - 500.0).abs() < 1e-9), "{}", a[0]);
        // A name that is not the deal's is refused where it is written.
        let bad = text.replace("payers: {b_city: city}", "payers: {b_town: city}");
        let err = ibsim::programme::parse_str(&bad, "plan.yaml", &root()).unwrap_err();
        assert!(
            err[0]
                .to_string()
                .contains("deals[1].payers.b_town: deal `b` has no payer `b_town`"),
            "{}",
            err[0]
        );
        let bad = text.replace(
            "investors: {b_fund: impact}",
            "investors: {b_fund: Impact Fund}",
        );
        let err = ibsim::programme::parse_str(&bad, "plan.yaml", &root()).unwrap_err();
        assert!(
            err[0]
                .to_string()
                .contains("deals[1].investors.b_fund: investor name `Impact Fund` is invalid"),
            "{}",
            err[0]
        );
    }

    #[test]
    fn the_fund_budget_is_never_exceeded_and_money_is_conserved() {
        let file = root().join("scenarios/bucaramanga-employment.yaml");
        let prenatal = root().join("scenarios/bucaramanga-prenatal.yaml");
        let text = format!(
            "name: t\ncurrency: COP\ndeals:\n  - {{name: jobs, file: {}, loading: 0.5}}\n  - {{name: health, file: {}, start_month: 4}}\nfund: {{budget_cap: 55000000000}}\nsimulation: {{trials: 2000}}\n",
            file.display(),
            prenatal.display()
        );
        let (_, cols) = run(&text, 2);
        let paid = cols.fund.column("fund.paid").unwrap();
        let due = cols.fund.column("fund.due").unwrap();
        let binds = cols.fund.column("_fund_budget_binds").unwrap();
        assert!(binds.contains(&1.0) && binds.contains(&0.0));
        for (t, (&p, &d)) in paid.iter().zip(due).enumerate() {
            assert!(p <= 55e9 * (1.0 + 1e-12), "trial {t}: paid {p}");
            assert!(p <= d * (1.0 + 1e-12), "trial {t}: paid {p} above due {d}");
        }
        // Each deal's investors are paid from what the fund paid: a cut deal
        // never does better than without the fund's limit.
        let (_, free) = run(&text.replace("fund: {budget_cap: 55000000000}\n", ""), 2);
        for d in 0..2 {
            let cut = cols.deals[d].column("investor_net").unwrap();
            let whole = free.deals[d].column("investor_net").unwrap();
            for (t, (c, w)) in cut.iter().zip(whole).enumerate() {
                assert!(
                    *c <= w + 1e-6 * w.abs().max(1.0),
                    "deal {d} trial {t}: {c} > {w}"
                );
            }
        }
    }

    #[test]
    fn a_shared_shock_hits_every_deal_in_the_same_trials() {
        // Both deals' jobs vanish when the shock happens (probability 0.3).
        let n: f64 = 4000.0;
        let text = format!(
            "name: shock\ncurrency: USD\ndeals:\n{}{}shocks:\n  - {{name: crisis, probability: 0.3, hits: {{a: {{job: 0}}, b: {{job: 0}}}}}}\nsimulation: {{trials: 4000, seed: 5}}\n",
            certain("a", 10),
            certain("b", 30)
        );
        let (_, cols) = run(&text, 2);
        let a = cols.deals[0].column("outcome.job").unwrap();
        let b = cols.deals[1].column("outcome.job").unwrap();
        let both = a
            .iter()
            .zip(b)
            .filter(|(x, y)| **x == 0.0 && **y == 0.0)
            .count() as f64;
        let either = a
            .iter()
            .zip(b)
            .filter(|(x, y)| **x == 0.0 || **y == 0.0)
            .count() as f64;
        assert_eq!(both, either, "a shock hit one deal without the other");
        let se = (0.3 * 0.7 / n).sqrt();
        assert!(
            (both / n - 0.3).abs() < 5.0 * se,
            "P(both hit) {} against 0.3 ± {se}",
            both / n
        );
    }

    #[test]
    fn the_common_factor_moves_the_deals_rates_together() {
        let deal = |name: &str| {
            format!(
                "  - name: {name}
    loading: 0.9
    scenario:
      name: {name}
      currency: USD
      horizon_months: 6
      cohorts: [{{name: a, start_month: 0, size: 1000}}]
      outcomes:
        - {{id: job, rate: {{beta: {{mean: 0.5, sd: 0.1}}}}, lag_months: 2, price: 10}}
      simulation: {{seed: {}}}
",
                name.len() * 7
            )
        };
        let text = format!(
            "name: factor\ncurrency: USD\ndeals:\n{}{}simulation: {{trials: 3000, seed: 9}}\n",
            deal("north"),
            deal("south")
        );
        let (_, cols) = run(&text, 2);
        let a = cols.deals[0].column("outcome.job").unwrap();
        let b = cols.deals[1].column("outcome.job").unwrap();
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let cov = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - ma) * (y - mb))
            .sum::<f64>();
        let va = a.iter().map(|x| (x - ma).powi(2)).sum::<f64>();
        let vb = b.iter().map(|y| (y - mb).powi(2)).sum::<f64>();
        let corr = cov / (va * vb).sqrt();
        // Loadings of 0.9 each: the normal scores correlate at 0.81; the
        // counts a little less (binomial noise on 1,000).
        assert!(corr > 0.7, "correlation {corr}");
        // Each deal's rate keeps its own law: mean 0.5 x 1,000.
        let se = (va / (n - 1.0)).sqrt() / n.sqrt();
        assert!((ma - 500.0).abs() < 5.0 * se, "{ma} ± {se}");
    }

    #[test]
    fn with_loadings_of_zero_the_funds_quantiles_are_those_of_independent_deals() {
        // Two deals with loading 0 and no shared shock; against them, the
        // same deals simulated alone on disjoint trials (so independent),
        // summed trial by trial. Each quantile of the independent sum lies
        // within 5 standard errors (in rank) of the fund's.
        let jobs = root().join("scenarios/bucaramanga-employment.yaml");
        let health = root().join("scenarios/bucaramanga-prenatal.yaml");
        let n = 4000u64;
        let text = format!(
            "name: z\ncurrency: COP\ndeals:\n  - {{name: jobs, file: {}, loading: 0}}\n  - {{name: health, file: {}, loading: 0}}\nsimulation: {{trials: {n}}}\n",
            jobs.display(),
            health.display()
        );
        let (_, cols) = run(&text, 2);
        let mut fund = cols.fund.column("fund.payer_cost").unwrap().to_vec();
        let alone = |file: &std::path::Path, from: u64| {
            let m = Model::compile(&ibsim::scenario::load(file).unwrap().scenario);
            let draws = Draws {
                seed: m.seed,
                trials: 2 * n,
                sampling: m.sampling,
            };
            let c = ibsim::engine::runner::simulate(&m, &draws, from..from + n, Some(2), &|_| {})
                .unwrap();
            c.column("payer_cost").unwrap().to_vec()
        };
        let (a, b) = (alone(&jobs, 0), alone(&health, n));
        let mut independent: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
        fund.sort_unstable_by(f64::total_cmp);
        independent.sort_unstable_by(f64::total_cmp);
        let nf = n as f64;
        for p in [0.1, 0.5, 0.9, 0.95] {
            let band = 5.0 * (2.0 * p * (1.0 - p) / nf).sqrt();
            let lo = fund[((p - band) * nf).floor().max(0.0) as usize];
            let hi = fund[(((p + band) * nf).ceil() as usize).min(n as usize - 1)];
            let q = independent[(p * nf) as usize];
            assert!(lo <= q && q <= hi, "P{p}: {q} outside [{lo}, {hi}]");
        }
    }

    #[test]
    fn a_programme_gives_the_same_numbers_on_any_thread_count() {
        let file = root().join("scenarios/bucaramanga-employment.yaml");
        let text = format!(
            "name: t\ncurrency: COP\ndeals:\n  - {{name: jobs, file: {}, loading: 0.5}}\n  - {{name: more, file: {}, loading: 0.5, start_month: 3}}\nshocks:\n  - {{name: s, probability: 0.2, hits: {{jobs: {{placement: 0.7}}}}}}\nsimulation: {{trials: 2500}}\n",
            file.display(),
            file.display()
        );
        let (_, one) = run(&text, 1);
        let (_, two) = run(&text, 2);
        let bits = |c: &ibsim::engine::runner::TrialColumns| {
            c.data
                .iter()
                .flat_map(|v| v.iter().map(|x| x.to_bits()))
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&one.fund), bits(&two.fund));
        for (a, b) in one.deals.iter().zip(&two.deals) {
            assert_eq!(bits(a), bits(b));
        }
    }
}

#[test]
fn ibsim_run_writes_the_funds_summary_the_same_for_any_thread_count() {
    let (dir, f) = programme_dir(
        SMALL,
        "fund: {budget_cap: 60000000000}\nshocks:\n  - {name: recession, probability: 0.2, hits: {small: {job: 0.8}, employment: {placement: 0.75}}}\nsimulation: {trials: 3000}\n",
    );
    let mut texts = Vec::new();
    for threads in ["1", "2"] {
        let out_dir = dir.join(format!("out{threads}"));
        let out = ibsim(&[
            "run",
            f.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--threads",
            threads,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("Fund budget"), "{}", stdout(&out));
        texts.push(std::fs::read_to_string(out_dir.join("plan/summary.json")).unwrap());
    }
    assert_eq!(
        texts[0], texts[1],
        "summary.json differs between 1 and 2 threads"
    );
    let s: serde_json::Value = serde_json::from_str(&texts[0]).unwrap();
    let fund = &s["fund"];
    for key in ["fund.due", "fund.payer_cost", "fund.shortfall"] {
        assert!(fund["metrics"][key]["mean"].is_number(), "{key}");
    }
    // The deals' tail contributions add up to the fund's tail mean.
    let sum: f64 = fund["tail"]["contributions"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_f64().unwrap())
        .sum();
    let tail = fund["tail"]["tail_mean_payer_cost"].as_f64().unwrap();
    assert!((sum - tail).abs() <= 1e-9 * tail, "{sum} != {tail}");
    // The fund's P95 never exceeds the sum of the deals' P95s here (the
    // deals' costs are not perfectly dependent).
    assert!(fund["diversification"]["benefit"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        s["deals"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["small", "employment", "inline_one"]
    );
    assert!(s["deals"]["employment"]["metrics"]["investor_irr"]["mean"].is_number());
}

#[test]
fn the_bundled_programmes_validate_and_run() {
    let mut files: Vec<_> = std::fs::read_dir(root().join("scenarios/programmes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in files {
        let out = ibsim(&["validate", f.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        let dir = tempdir("bundled-programme");
        let out = ibsim(&[
            "run",
            f.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
            "--trials",
            "2000",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let stem = f.file_stem().unwrap().to_str().unwrap();
        let s: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(stem).join("summary.json")).unwrap(),
        )
        .unwrap();
        // Each bundled programme's budget binds in some trials, not all.
        let p = s["fund"]["probabilities"]["prob_fund_budget_binds"]["value"]
            .as_f64()
            .unwrap();
        assert!(
            p > 0.0 && p < 0.5,
            "{stem}: the budget binds in {p} of trials"
        );
        let names = s["programme"]["deals"].as_array().unwrap();
        assert_eq!(s["deals"].as_object().unwrap().len(), names.len(), "{stem}");
        // And one investor holds stakes in several of its deals.
        let investors = s["investors"].as_object().unwrap();
        assert!(
            !investors.is_empty(),
            "{stem}: no investor in several deals"
        );
        for (name, v) in investors {
            let irr = &v["metrics"][format!("investor.{name}.irr")];
            assert!(irr["p50"].is_number(), "{stem}: {name}");
        }
    }
}

/// Two certain deals (100 participants each, all paid in month 2) as a
/// programme file in a fresh folder.
fn certain_programme(tail: &str) -> (TempDir, std::path::PathBuf) {
    let dir = tempdir("programme-analysis");
    let text = format!(
        "name: two\ncurrency: USD\ndeals:\n{}{}{tail}",
        certain("a", 10),
        certain("b", 30)
    );
    let f = write(&dir, "two.yaml", &text);
    (dir, f)
}

#[test]
fn sweep_varies_a_value_inside_a_deal_and_reports_the_funds_figures() {
    // Deal a's price from 10 to 50 with b's 3,000 and a budget of 5,000:
    // the fund pays min(100 x price + 3,000, 5,000).
    let (dir, f) = certain_programme("fund: {budget_cap: 5000}\nsimulation: {trials: 20}\n");
    let out = ibsim(&[
        "sweep",
        f.to_str().unwrap(),
        "--vary",
        "deals.a.outcomes.job.price=10..50:5",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("two/sweep.json")).unwrap())
            .unwrap();
    let points = s["points"].as_array().unwrap();
    assert_eq!(points.len(), 5);
    for p in points {
        let price = p["values"]["deals.a.outcomes.job.price"].as_f64().unwrap();
        let due = 100.0 * price + 3000.0;
        let cost = p["fund.payer_cost_mean"]["value"].as_f64().unwrap();
        assert!((cost - due.min(5000.0)).abs() < 1e-6, "{price}: {cost}");
        let binds = p["prob_fund_budget_binds"]["value"].as_f64().unwrap();
        assert_eq!(binds, if due > 5000.0 { 1.0 } else { 0.0 }, "{price}");
    }
    // Paths that name nothing are refused before anything runs.
    for (vary, expected) in [
        (
            "deals.nobody.outcomes.job.price=1..2",
            "no deal `nobody` in the programme: expected one of a, b",
        ),
        (
            "deals.a.outcomes.jobs.price=1..2",
            "deal `a`: no item `jobs`",
        ),
        ("fund.budget=1..2", "fund.budget"),
    ] {
        let out = ibsim(&[
            "sweep",
            f.to_str().unwrap(),
            "--vary",
            vary,
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{vary}");
        assert!(stderr(&out).contains(expected), "{vary}: {}", stderr(&out));
    }
}

#[test]
fn solve_finds_the_fund_budget_that_binds_in_at_most_one_trial_in_twenty() {
    // The budget binds exactly when the deals make more due than it, and
    // what they make due does not depend on the budget (the same draws at
    // every budget): the smallest budget meeting the target is the order
    // statistic of `fund.due` with 5% of trials above it.
    let file = root().join("scenarios/bucaramanga-employment.yaml");
    let prenatal = root().join("scenarios/bucaramanga-prenatal.yaml");
    let dir = tempdir("programme-solve");
    let f = write(
        &dir,
        "plan.yaml",
        &format!(
            "name: t\ncurrency: COP\ndeals:\n  - {{name: jobs, file: {}, loading: 0.5}}\n  - {{name: health, file: {}, start_month: 4}}\nfund: {{budget_cap: 1}}\nsimulation: {{trials: 2000}}\n",
            file.display(),
            prenatal.display()
        ),
    );
    let (lo, hi) = (4e10, 2e11);
    let out = ibsim(&[
        "solve",
        f.to_str().unwrap(),
        "--vary",
        &format!("fund.budget_cap={lo}..{hi}"),
        "--target",
        "prob(fund_budget_binds) <= 0.05",
        "--tol",
        "1e-6",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("plan/solve.json")).unwrap())
            .unwrap();
    let t = &s["targets"][0];
    assert_eq!(t["result"], "holds_at_or_above");
    let boundary = t["boundary"].as_f64().unwrap();
    // The independent answer from one run's due amounts.
    let out = ibsim(&[
        "run",
        f.to_str().unwrap(),
        "--out",
        dir.join("run").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lp = ibsim::programme::load(&f).unwrap();
    let pm = ibsim::programme::run::ProgrammeModel::compile(&lp);
    let cols = ibsim::programme::run::simulate(&pm, Some(2)).unwrap();
    let mut due = cols.fund.column("fund.due").unwrap().to_vec();
    due.sort_unstable_by(f64::total_cmp);
    let n = due.len();
    let allowed_above = n / 20; // at most 100 of 2,000 trials above the budget
    let want = due[n - 1 - allowed_above];
    assert!(
        (boundary - want).abs() <= 1e-6 * (hi - lo) + 1.0,
        "solve {boundary} against {want}"
    );
    // Targets on a deal's metrics name them deals.<name>.<metric>.
    let out = ibsim(&[
        "solve",
        f.to_str().unwrap(),
        "--vary",
        &format!("fund.budget_cap={lo}..{hi}"),
        "--target",
        "prob(deals.jobs.investor_net < 0) <= 0.5",
        "--target",
        "prob(deals.jobs.lost) <= 0.5",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("deals.jobs.loss"), "{}", stderr(&out));
}

#[test]
fn a_programme_run_writes_its_report_and_workbook_in_either_language() {
    // Due 1,000 (a) and 3,000 (b) in month 2; a budget of 3,500 pays each
    // 7/8 of it: 875 and 2,625.
    let (dir, f) = certain_programme("fund: {budget_cap: 3500}\nsimulation: {trials: 50}\n");
    for lang in ["en", "es"] {
        let out_dir = dir.join(lang);
        let out = run_in_language(&f, &out_dir, lang);
        assert!(out.status.success(), "{}", stderr(&out));
        let html = std::fs::read_to_string(out_dir.join("two/report.html")).unwrap();
        let (deals, fund) = if lang == "en" {
            ("<h2>Deals</h2>", "<h2>The fund</h2>")
        } else {
            ("<h2>Contratos</h2>", "<h2>El fondo</h2>")
        };
        assert!(html.contains(deals) && html.contains(fund), "{lang}");
        assert!(
            html.contains("<td>a</td>") && html.contains("<td>b</td>"),
            "{lang}"
        );
        assert_eq!(
            html.matches("<svg").count(),
            2,
            "{lang}: the two charts inline"
        );
        for chart in ["fund", "tail_contributions"] {
            for ext in ["png", "svg"] {
                let p = out_dir.join(format!("two/charts/{chart}.{ext}"));
                assert!(
                    std::fs::metadata(&p).unwrap().len() > 1000,
                    "{}",
                    p.display()
                );
            }
        }
        use calamine::{Data, Reader, Xlsx, open_workbook};
        let mut wb: Xlsx<_> = open_workbook(out_dir.join("two/workbook.xlsx")).unwrap();
        let (programme, deals) = if lang == "en" {
            ("Programme", "Deals")
        } else {
            ("Programa", "Contratos")
        };
        let sheet = wb.worksheet_range(programme).unwrap();
        let first: Vec<&Data> = sheet.rows().nth(1).unwrap().iter().collect();
        assert_eq!(first[1], &Data::Float(4000.0), "{lang}: due");
        let sheet = wb.worksheet_range(deals).unwrap();
        for (name, cost) in [("a", 875.0), ("b", 2625.0)] {
            let row = sheet
                .rows()
                .find(|r| r.first() == Some(&Data::String(name.into())))
                .unwrap();
            assert_eq!(row.get(3), Some(&Data::Float(cost)), "{lang}: {name}");
        }
    }
}

#[test]
fn a_programme_split_in_shards_and_merged_gives_the_same_summary_bytes() {
    let (dir, f) = programme_dir(
        SMALL,
        "fund: {budget_cap: 60000000000}\nshocks:\n  - {name: recession, probability: 0.2, hits: {small: {job: 0.8}, employment: {placement: 0.75}}}\nsimulation: {trials: 2500}\n",
    );
    let f = f.to_str().unwrap();
    let whole = dir.join("whole");
    let out = ibsim(&["run", f, "--out", whole.to_str().unwrap(), "--no-report"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let parts = dir.join("parts");
    for k in ["0/3", "1/3", "2/3"] {
        let out = ibsim(&[
            "run",
            f,
            "--shard",
            k,
            "--threads",
            "1",
            "--out",
            parts.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let shard = |k: usize| {
        parts
            .join(format!("plan/shard-{k}-of-3.ibshard"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    // Merged elsewhere: the shards carry the programme and every deal file.
    let merged = dir.join("merged");
    let out = ibsim(&[
        "merge",
        &shard(2),
        &shard(0),
        &shard(1),
        "--out",
        merged.to_str().unwrap(),
        "--no-report",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let read = |d: &std::path::Path| std::fs::read(d.join("plan/summary.json")).unwrap();
    assert!(
        read(&whole) == read(&merged),
        "merged summary.json differs from the whole run's"
    );
    // A missing shard is named.
    let out = ibsim(&[
        "merge",
        &shard(0),
        &shard(2),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("shard 1 of 3 missing"),
        "{}",
        stderr(&out)
    );
}
