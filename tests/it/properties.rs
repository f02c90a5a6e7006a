//! Property tests: randomly generated VALID scenarios (every key of the
//! format and every payment mechanic mixed at random), and in every trial the invariants of
//! docs/model.md: money conserved, caps never exceeded, tranche
//! IRR never above its cap, paid counts never above achieved ones (without a
//! measurement error), payer cost never negative, peak funding >= 0, the
//! guarantee within its amount, the floor kept.
//!
//! The generator's seed is fixed, so a run in CI is repeatable; set
//! `PROPTEST_RNG_SEED` and `PROPTEST_CASES` to explore further. A failing
//! case is shrunk by proptest to a small scenario; it is printed as YAML and
//! belongs in `shrunk_cases_stay_fixed` below once fixed.

use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// Normalised shares from positive weights, written with full precision.
fn shares(w: &[u32]) -> Vec<f64> {
    let total: f64 = w.iter().map(|&x| f64::from(x)).sum();
    let mut s: Vec<f64> = w.iter().map(|&x| f64::from(x) / total).collect();
    // Make the sum exactly representable as 1 within 1e-9.
    let rest: f64 = s[1..].iter().sum();
    s[0] = 1.0 - rest;
    s
}

#[derive(Debug, Clone)]
struct Gen {
    horizon: u32,
    cohorts: Vec<(u32, u32, bool)>,
    segments: Vec<(u32, u32, u32)>,
    outcomes: Vec<OutGen>,
    payers: Vec<(u32, Option<u32>)>,
    budget_cap: Option<u32>,
    pay_lag: u32,
    service_fee: Option<u32>,
    tranches: Vec<(u32, u32, Option<u32>)>,
    guarantee: Option<(u32, bool)>,
    floor: Option<(u32, bool)>,
    recycling: bool,
    excess_to_provider: bool,
    success_share: u32,
    costs: (u32, u32, u32),
    seed: u32,
    /// `excess_settlement: monthly` (else the default, `end`, written or not).
    settlement: (bool, bool),
    /// 0: default; 1 monthly; 2 end; 3+ every (n - 2) months.
    distributions: u32,
    /// An effect or rate outcome after the count outcomes, and the count
    /// outcomes' rounds and netting.
    measured: MeasGen,
    /// Who funds the contract, the fixed part of the price and the advance.
    funding: FundGen,
}

/// docs/model.md, "Who funds the contract": what the generator adds.
#[derive(Debug, Clone)]
struct FundGen {
    /// `funded_by: provider` (else investors, written or not).
    provider: (bool, bool),
    /// `fixed_monthly` and the end of `fixed_months` (a share of the horizon, %).
    fixed: Option<(u32, u32)>,
    /// The advance: amount, month (a share of the horizon, %), recovery (%).
    advance: Option<(u32, u32, u32)>,
    /// Transfers to agencies on a rate outcome: how many agencies, the
    /// pool, allocation by priority (docs/model.md, "Transfers to agencies").
    transfers: Option<(u32, Option<u32>, bool)>,
    /// Several providers (docs/model.md, "Several providers"): how many,
    /// each one's price and rate multiplier on o0 (%), and whether its rate
    /// multiplier is a per-trial draw. The cohorts are dealt out to them in
    /// turn; with providers the scenario has no effect or rate outcome, no
    /// transfers, no fixed part and no advance.
    providers: Option<(usize, [u32; 3], [u32; 3], bool)>,
}

fn fund_gen() -> impl Strategy<Value = FundGen> {
    (
        (any::<bool>(), any::<bool>()),
        proptest::option::of((0u32..=5_000, 0u32..=100)),
        proptest::option::of((0u32..=60_000, 0u32..100, 1u32..=100)),
        proptest::option::of((
            1u32..=6,
            proptest::option::of(0u32..=300_000),
            any::<bool>(),
        )),
        proptest::option::weighted(
            0.3,
            (
                2usize..=3,
                [50u32..=200, 50u32..=200, 50u32..=200],
                [0u32..=150, 0u32..=150, 0u32..=150],
                any::<bool>(),
            ),
        ),
    )
        .prop_map(|(provider, fixed, advance, transfers, providers)| FundGen {
            provider,
            fixed,
            advance,
            transfers,
            providers,
        })
}

/// docs/model.md, "Measured outcomes": what the generator adds.
#[derive(Debug, Clone)]
struct MeasGen {
    /// 0: none; 1: an effect; 2: a rate.
    kind: u32,
    /// Effect: mean, comparison, cohort sd, participant sd (tenths).
    effect: (u32, u32, u32, u32),
    /// Rate: true rate and baseline (percent), lower is better, share of target.
    rate: (u32, u32, bool, bool),
    /// 0: exact; 1: survey or RCT.
    noisy: bool,
    /// Rounds: none, or [h / 3, h - 1].
    rounds: bool,
    netting_contract: bool,
    price: u32,
    /// Count outcomes: rounds at [h / 2, h - 1], and contract netting.
    count_rounds: bool,
    count_netting: bool,
}

fn meas_gen() -> impl Strategy<Value = MeasGen> {
    (
        0u32..=2,
        (0u32..=40, 0u32..=20, 0u32..=10, 0u32..=30),
        (0u32..=100, 20u32..=80, any::<bool>(), any::<bool>()),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0u32..=5000,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(kind, effect, rate, noisy, rounds, netting_contract, price, cr, cn)| MeasGen {
                kind,
                effect,
                rate,
                noisy,
                rounds,
                netting_contract,
                price,
                count_rounds: cr,
                count_netting: cn,
            },
        )
}

#[derive(Debug, Clone)]
struct OutGen {
    of_previous: bool,
    rate: (u32, u32),
    lag: (u32, u32),
    price: u32,
    tiers: bool,
    max_paid: Option<u32>,
    paid_by_last: bool,
    counterfactual: Option<u32>,
    measurement: Option<u32>,
    cohort_sd: bool,
}

fn out_gen() -> impl Strategy<Value = OutGen> {
    (
        any::<bool>(),
        (0u32..=100, 0u32..=30),
        (0u32..=5, 0u32..=3),
        0u32..=5000,
        any::<bool>(),
        proptest::option::of(0u32..400),
        any::<bool>(),
        proptest::option::of(0u32..=60),
        proptest::option::of(0u32..=50),
        any::<bool>(),
    )
        .prop_map(
            |(of_previous, rate, lag, price, tiers, max_paid, paid_by_last, cf, m, cohort_sd)| {
                OutGen {
                    of_previous,
                    rate,
                    lag,
                    price,
                    tiers,
                    max_paid,
                    paid_by_last,
                    counterfactual: cf,
                    measurement: m,
                    cohort_sd,
                }
            },
        )
}

fn scenarios() -> impl Strategy<Value = Gen> {
    (
        (
            6u32..=48,
            proptest::collection::vec((0u32..40, 0u32..=400, any::<bool>()), 1..4),
            proptest::collection::vec((1u32..=10, 50u32..=150, 50u32..=200), 0..4),
            proptest::collection::vec(out_gen(), 1..4),
            proptest::collection::vec((1u32..=10, proptest::option::of(0u32..200_000)), 1..4),
            proptest::option::of(0u32..400_000),
            0u32..=3,
            proptest::option::of(0u32..=50),
        ),
        (
            proptest::collection::vec((1u32..=10, 1u32..=2, proptest::option::of(0u32..=30)), 1..4),
            proptest::option::of((0u32..50_000, any::<bool>())),
            proptest::option::of((0u32..=100, any::<bool>())),
            any::<bool>(),
            any::<bool>(),
            0u32..=30,
            (0u32..=50_000, 0u32..=100, 0u32..=2000),
            any::<u32>(),
        ),
        (
            (any::<bool>(), any::<bool>()),
            0u32..=16,
            meas_gen(),
            fund_gen(),
        ),
    )
        .prop_map(
            |(
                (horizon, cohorts, segments, outcomes, payers, budget_cap, pay_lag, service_fee),
                (
                    tranches,
                    guarantee,
                    floor,
                    recycling,
                    excess_to_provider,
                    success_share,
                    costs,
                    seed,
                ),
                (settlement, distributions, measured, funding),
            )| Gen {
                horizon,
                cohorts,
                segments,
                outcomes,
                payers,
                budget_cap,
                pay_lag,
                service_fee,
                tranches,
                guarantee,
                floor,
                recycling,
                excess_to_provider,
                success_share,
                costs,
                seed,
                settlement,
                distributions,
                measured,
                funding,
            },
        )
}

impl Gen {
    /// The scenario as YAML.
    fn yaml(&self) -> String {
        self.yaml_with_prices(1)
    }

    /// The scenario as YAML with every price (and tier) multiplied by `k`.
    fn yaml_with_prices(&self, k: u32) -> String {
        let h = self.horizon;
        let mut y = format!("name: generated\ncurrency: USD\nhorizon_months: {h}\n");
        let cohort = |i: usize, indent: &str| {
            let (start, size, spread) = self.cohorts[i];
            let size = if spread && size > 0 {
                format!("{{uniform: {{min: 0, max: {size}}}}}")
            } else {
                size.to_string()
            };
            format!(
                "{indent}- {{name: c{i}, start_month: {}, size: {size}}}\n",
                start % h
            )
        };
        let providers = self.providers();
        if let Some((n, price, rate, drawn)) = providers {
            y += "providers:\n";
            for q in 0..n {
                let r = f64::from(rate[q]) / 100.0;
                let rate = if drawn {
                    format!("{{uniform: {{min: {}, max: {}}}}}", r * 0.5, r)
                } else {
                    r.to_string()
                };
                y += &format!(
                    "  - name: q{q}\n    costs: {{per_participant: {}, per_outcome: {{o0: {}}}}}\n    price_multiplier: {}\n    rate_multiplier: {{o0: {rate}}}\n    cohorts:\n",
                    self.costs.1 / (q as u32 + 1),
                    10 * q,
                    f64::from(price[q]) / 100.0
                );
                for i in (q..self.cohorts.len()).step_by(n) {
                    y += &cohort(i, "      ");
                }
            }
        } else {
            y += "cohorts:\n";
            for i in 0..self.cohorts.len() {
                y += &cohort(i, "  ");
            }
        }
        if self.segments.len() >= 2 {
            let sh = shares(&self.segments.iter().map(|s| s.0).collect::<Vec<_>>());
            y += "segments:\n";
            for (i, ((_, rm, pm), s)) in self.segments.iter().zip(&sh).enumerate() {
                y += &format!(
                    "  - {{name: s{i}, share: {s:?}, rate_multiplier: {{o0: {}}}, price_multiplier: {}}}\n",
                    f64::from(*rm) / 100.0,
                    f64::from(*pm) / 100.0
                );
            }
        }
        let payer_names: Vec<String> = (0..self.payers.len()).map(|i| format!("p{i}")).collect();
        y += "outcomes:\n";
        for (i, o) in self.outcomes.iter().enumerate() {
            let mean = f64::from(o.rate.0) / 100.0;
            let sd = f64::from(o.rate.1) / 100.0;
            let rate = if sd > 0.0 && mean > 0.0 && mean < 1.0 && sd * sd < mean * (1.0 - mean) {
                format!("{{beta: {{mean: {mean}, sd: {sd}}}}}")
            } else {
                mean.to_string()
            };
            let lag = if o.lag.1 == 0 {
                o.lag.0.to_string()
            } else {
                format!(
                    "{{uniform: {{min: {}, max: {}}}}}",
                    o.lag.0,
                    o.lag.0 + o.lag.1
                )
            };
            let price = if o.tiers {
                format!(
                    "{{tiers: [{{up_to: 20, price: {}}}, {{up_to: 60, price: {}}}, {{price: {}}}]}}",
                    o.price * k,
                    o.price / 2 * k,
                    o.price * 2 * k
                )
            } else {
                (o.price * k).to_string()
            };
            y += &format!(
                "  - id: o{i}\n    rate: {rate}\n    lag_months: {lag}\n    price: {price}\n"
            );
            if i > 0 && o.of_previous {
                y += &format!("    of: o{}\n", i - 1);
            }
            if o.cohort_sd {
                y += "    cohort_sd: 0.05\n";
            }
            if let Some(m) = o.max_paid {
                y += &format!("    max_paid: {m}\n");
            }
            if o.paid_by_last {
                y += &format!("    paid_by: [{}]\n", payer_names[payer_names.len() - 1]);
            }
            if let Some(c) = o.counterfactual {
                y += &format!("    counterfactual_rate: {}\n", f64::from(c) / 100.0);
            }
            if let Some(m) = o.measurement {
                y += &format!(
                    "    measurement: {{relative_sd: {}}}\n",
                    f64::from(m) / 100.0
                );
            }
            if self.measured.count_rounds {
                y += &format!("    verification: {{months: [{}, {}]}}\n", h / 2, h - 1);
            }
            if self.measured.count_netting && o.counterfactual.is_some() {
                y += "    netting: contract\n";
            }
        }
        let transfers = if providers.is_none() {
            y += &self.measured_yaml(k);
            self.transfers_yaml()
        } else {
            String::new()
        };
        y += &transfers;
        let (upfront, per_participant, fixed) = self.costs;
        if providers.is_some() {
            // (Each provider has its own cost per participant.)
            y += &format!("costs: {{upfront: {upfront}, fixed_monthly: {fixed}}}\n");
        } else {
            y += &format!(
                "costs: {{upfront: {upfront}, per_participant: {per_participant}, fixed_monthly: {fixed}}}\n"
            );
        }
        let psh = shares(&self.payers.iter().map(|p| p.0).collect::<Vec<_>>());
        y += "payment:\n  payers:\n";
        for (i, ((_, cap), s)) in self.payers.iter().zip(&psh).enumerate() {
            // (A pool is the transfers' budget: no payer caps beside it.)
            let cap = cap
                .filter(|_| transfers.is_empty())
                .map_or(String::new(), |c| format!(", cap: {c}"));
            y += &format!("    - {{name: p{i}, share: {s:?}{cap}}}\n");
        }
        if let Some(b) = self.budget_cap.filter(|_| transfers.is_empty()) {
            y += &format!("  budget_cap: {b}\n");
        }
        y += &format!("  lag_months: {}\n  evaluation_cost: 500\n", self.pay_lag);
        if let Some(f) = self.service_fee {
            y += &format!("  service_fee: {}\n", f64::from(f) / 100.0);
        }
        let fg = &self.funding;
        if let Some((f, end)) = fg.fixed.filter(|_| providers.is_none()) {
            y += &format!(
                "  fixed_monthly: {f}\n  fixed_months: [0, {}]\n",
                h * end / 100
            );
        }
        if let Some((amount, month, recovery)) = fg.advance.filter(|_| providers.is_none()) {
            y += &format!(
                "  advance: {{amount: {amount}, month: {}, recovery: {}}}\n",
                h * month / 100,
                f64::from(recovery) / 100.0
            );
        }
        if fg.provider.0 {
            // A provider funding the contract: none of the investor terms.
            y += &format!(
                "finance:\n  funded_by: provider\n  recycling: {}\n  committed_capital: 100000\n",
                self.recycling
            );
            y += &format!("simulation: {{trials: 20, seed: {}}}\n", self.seed);
            return y;
        }
        if fg.provider.1 {
            y += "finance:\n  funded_by: investors\n";
        } else {
            y += "finance:\n";
        }
        let tsh = shares(&self.tranches.iter().map(|t| t.0).collect::<Vec<_>>());
        y += &format!(
            "  recycling: {}\n  excess_to: {}\n  provider_success_share: {}\n  committed_capital: 100000\n",
            self.recycling,
            if self.excess_to_provider {
                "provider"
            } else {
                "payer"
            },
            f64::from(self.success_share) / 100.0
        );
        match self.settlement {
            (true, _) => y += "  excess_settlement: monthly\n",
            (false, true) => y += "  excess_settlement: end\n",
            (false, false) => {}
        }
        match self.distributions {
            0 => {}
            1 => y += "  distributions: monthly\n",
            2 => y += "  distributions: end\n",
            n => y += &format!("  distributions: {{every_months: {}}}\n", n - 2),
        }
        y += "  tranches:\n";
        for (i, ((_, sen, cap), s)) in self.tranches.iter().zip(&tsh).enumerate() {
            let cap = cap.map_or(String::new(), |c| {
                format!(", cap_irr: {}", f64::from(c) / 100.0)
            });
            y += &format!("    - {{name: t{i}, share: {s:?}, seniority: {sen}{cap}}}\n");
        }
        let by = |payer: bool| if payer { "payer" } else { "guarantor" };
        if let Some((amount, payer)) = self.guarantee {
            y += &format!(
                "  guarantee: {{amount: {amount}, covers: t0, by: {}}}\n",
                by(payer)
            );
        }
        if let Some((share, payer)) = self.floor {
            y += &format!(
                "  principal_floor: {{covers: t{}, share: {}, by: {}}}\n",
                self.tranches.len() - 1,
                f64::from(share) / 100.0,
                by(payer)
            );
        }
        y += &format!("simulation: {{trials: 20, seed: {}}}\n", self.seed);
        y
    }
}

impl Gen {
    /// The providers, at most one per cohort.
    fn providers(&self) -> Option<(usize, [u32; 3], [u32; 3], bool)> {
        self.funding
            .providers
            .map(|(n, p, r, d)| (n.min(self.cohorts.len()), p, r, d))
    }

    /// The effect or rate outcome, if any, with its price multiplied by `k`.
    /// `transfers:` on the rate outcome, when there is one: agencies with
    /// their own commitments and rates around the outcome's.
    fn transfers_yaml(&self) -> String {
        let Some((n, pool, priority)) = self.funding.transfers else {
            return String::new();
        };
        if self.measured.kind != 2 {
            return String::new();
        }
        let rate = f64::from(self.measured.rate.0) / 100.0;
        let mut y = String::from("transfers:\n  outcome: m0\n");
        if let Some(p) = pool {
            y += &format!("  pool: {p}\n");
        }
        if priority {
            y += "  allocation: priority\n";
        }
        y += "  agencies:\n";
        for i in 0..n {
            let mean = (rate + 0.02 * f64::from(i) - 0.05).clamp(0.05, 0.95);
            y += &format!(
                "    - {{name: a{i}, commitment: {}, rate: {{beta: {{mean: {mean}, sd: 0.03}}}}{}}}\n",
                1000 * (i + 1) * (i + 3),
                if priority {
                    format!(", priority: {}", 1 + i % 3)
                } else {
                    String::new()
                }
            );
        }
        y
    }

    fn measured_yaml(&self, k: u32) -> String {
        let (h, m) = (self.horizon, &self.measured);
        let rounds = if m.rounds || m.kind == 2 {
            format!("      months: [{}, {}]\n", h / 3, h - 1)
        } else {
            String::new()
        };
        let tenth = |x: u32| f64::from(x) / 10.0;
        let pct = |x: u32| f64::from(x) / 100.0;
        match m.kind {
            1 => {
                let (mean, cmp, csd, psd) = m.effect;
                let mut y = format!(
                    "  - id: m0\n    effect: {{mean: {{normal: {{mean: {}, sd: 0.5}}}}, comparison: {}, cohort_sd: {}, participant_sd: {}}}\n    lag_months: 1\n    price: {}\n",
                    tenth(mean),
                    tenth(cmp),
                    tenth(csd),
                    tenth(psd),
                    m.price * k
                );
                if self.outcomes.len() > 1 {
                    y += "    of: o0\n";
                }
                if m.netting_contract {
                    y += "    netting: contract\n";
                }
                if m.noisy {
                    y += &format!(
                        "    verification:\n      rct: {{treated: 50, control: 50, sd: 2, icc: 0.1, cluster_size: 5}}\n      months: [{}, {}]\n",
                        h / 3,
                        h - 1
                    );
                } else if !rounds.is_empty() {
                    y += &format!("    verification:\n{rounds}");
                }
                y
            }
            2 => {
                let (rate, baseline, lower, share) = m.rate;
                let (achievement, points) = if share {
                    let target = if lower {
                        pct(baseline) - 0.1
                    } else {
                        pct(baseline) + 0.1
                    };
                    (
                        format!("share_of_target\n    target: {target}"),
                        "[{at: 0.2, pay: 0}, {at: 0.2, pay: 0.5}, {at: 1, pay: 1}, {at: 1.2, pay: 1.2}]",
                    )
                } else {
                    ("change".into(), "[{at: 0.01, pay: 0}, {at: 0.05, pay: 1}]")
                };
                let mut y = format!(
                    "  - id: m0\n    rate: {}\n    baseline: {}\n    better: {}\n    achievement: {achievement}\n    schedule: {{points: {points}}}\n    price: {}\n    verification:\n{rounds}",
                    pct(rate),
                    pct(baseline),
                    if lower { "lower" } else { "higher" },
                    m.price * k * 20
                );
                if m.noisy {
                    y += "      survey: {sample: 300, design_effect: 1.5}\n";
                }
                y
            }
            _ => String::new(),
        }
    }
}

/// The generator's seed: `default`, or `PROPTEST_RNG_SEED` when set.
fn seed(default: u64) -> RngSeed {
    let set = std::env::var("PROPTEST_RNG_SEED").ok();
    RngSeed::Fixed(set.and_then(|s| s.parse().ok()).unwrap_or(default))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        rng_seed: seed(0x1b51),
        ..ProptestConfig::default()
    })]

    #[test]
    fn invariants_hold_for_random_valid_scenarios(g in scenarios()) {
        let text = g.yaml();
        if let Err(e) = crate::common::invariants::every_trial(&text, 20) {
            prop_assert!(false, "{e}\n--- scenario ---\n{text}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 200,
        rng_seed: seed(0x1b52),
        ..ProptestConfig::default()
    })]

    /// Under `excess_settlement: end`, raising every price never makes a
    /// trial lose money: excess leaves only once every tranche is whole, so
    /// a losing trial returned no excess and its investors' net is the
    /// receipts less the costs they bore, which a higher price only raises.
    /// (Before any guarantee or floor: when one covers one tranche of
    /// several, what it pays depends on how the same receipts are split
    /// between the tranches over time, which a price can shift either way.
    /// Nor with a budget cap and a payer cap together: in the month the
    /// budget binds it cuts every lot pro rata, including a capped payer's
    /// lots that payer will not pay, so a higher price can leave less paid;
    /// see docs/model.md, "Payments".)
    #[test]
    fn a_higher_price_never_makes_investors_lose_under_end_settlement(
        g in scenarios(),
        k in 2u32..=3,
    ) {
        prop_assume!(g.budget_cap.is_none() || g.payers.iter().all(|p| p.1.is_none()));
        let mut g = g;
        g.settlement.0 = false;
        let base = g.yaml();
        let dearer = g.yaml_with_prices(k);
        let a = crate::common::invariants::loss_flags(&base, 20);
        let b = crate::common::invariants::loss_flags(&dearer, 20);
        for (t, (x, y)) in a.iter().zip(&b).enumerate() {
            prop_assert!(
                *x || !*y,
                "trial {t}: loses money at {k}x the prices but not at 1x\n{base}"
            );
        }
    }
}

/// Cases proptest once shrunk to, kept as plain tests.
#[test]
fn shrunk_cases_stay_fixed() {
    for text in SHRUNK {
        crate::common::invariants::every_trial(text, 20).unwrap_or_else(|e| panic!("{e}\n{text}"));
    }
}

const SHRUNK: &[&str] = &[
    // Proptest's first find: a tight beta rate (a = 319.8, b = 1279.2) made
    // puruspe's incomplete beta return ~1 in the lower tail and its inverse
    // panic ("Bad x in routine betai") while compiling the scenario.
    "name: generated
currency: USD
horizon_months: 6
cohorts:
  - {name: c0, start_month: 0, size: 0}
outcomes:
  - id: o0
    rate: {beta: {mean: 0.2, sd: 0.01}}
    lag_months: 0
    price: 0
costs: {upfront: 0, per_participant: 0, fixed_monthly: 0}
payment:
  payers:
    - {name: p0, share: 1.0}
  lag_months: 0
  evaluation_cost: 500
finance:
  recycling: false
  excess_to: payer
  provider_success_share: 0
  committed_capital: 100000
  tranches:
    - {name: t0, share: 1.0, seniority: 1}
simulation: {trials: 20, seed: 0}
",
    // A fixed part of the price with no outcome payment: the excess it
    // leaves goes back to the payers by share (there is no payment to
    // split it by), so the payers' costs still add up.
    "name: generated
currency: USD
horizon_months: 20
cohorts:
  - {name: c0, start_month: 11, size: 0}
outcomes:
  - id: o0
    rate: 0
    lag_months: 0
    price: 0
costs: {upfront: 0, per_participant: 0, fixed_monthly: 0}
payment:
  payers:
    - {name: p0, share: 1.0, cap: 0}
  lag_months: 0
  evaluation_cost: 500
  fixed_monthly: 1
  fixed_months: [0, 1]
finance:
  recycling: false
  excess_to: payer
  provider_success_share: 0
  committed_capital: 100000
  tranches:
    - {name: t0, share: 1.0, seniority: 1, cap_irr: 0}
simulation: {trials: 20, seed: 0}
",
    // An advance that the capped tranche cannot take must not leave the
    // deal as excess and then be repaid again: the account keeps it.
    "name: generated
currency: USD
horizon_months: 14
cohorts:
  - {name: c0, start_month: 0, size: 0}
outcomes:
  - id: o0
    rate: 0
    lag_months: 0
    price: 0
costs: {upfront: 0, per_participant: 0, fixed_monthly: 0}
payment:
  payers:
    - {name: p0, share: 1.0}
  lag_months: 0
  evaluation_cost: 500
  advance: {amount: 501, month: 0, recovery: 0.01}
finance:
  recycling: false
  excess_to: payer
  provider_success_share: 0
  committed_capital: 100000
  excess_settlement: monthly
  tranches:
    - {name: t0, share: 1.0, seniority: 1, cap_irr: 0}
simulation: {trials: 20, seed: 0}
",
];
