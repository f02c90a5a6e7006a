//! The summary of a run (`summary.json`; `docs/model.md`, "Summaries"): every
//! metric's statistics, the probabilities with standard errors, the tail,
//! capital sizing and the risk-sharing table, as a typed [`Summary`] whose
//! serialisation is the document, key for key.
//!
//! [`stats`] holds the statistics of one column; [`risk`] the risk-sharing
//! figures (shared with `ibsim check`'s statistical mode).

pub mod risk;
pub mod stats;

use rayon::prelude::*;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::engine::Layout;
use crate::engine::layout::{FunderKeys, funder_keys};
use crate::engine::runner::TrialColumns;
use crate::model::Model;
use crate::scenario::FundedBy;
pub use stats::{
    QUANTILES, Stats, mean_se, nullable, num, prob_se, quantile_sorted, quantiles_by_selection,
    stats,
};

/// Identity of a run, as its summary records it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunIdentity {
    /// Scenario name.
    pub name: String,
    /// Scenario file as given.
    pub file: String,
    /// SHA-256 of the scenario file's bytes (hex).
    pub sha256: String,
    /// Currency code.
    pub currency: String,
    /// Trials of the whole run.
    pub trials: u64,
    /// Seed.
    pub seed: u64,
    /// `random` or `lhs`.
    pub sampling: String,
}

/// `summary.json`, typed. Serialises to the document in its key order;
/// reads one back (a baseline), with `null` for figures that are not
/// finite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The scenario the run is of.
    pub scenario: ScenarioIdentity,
    /// Trials of the run.
    pub trials: u64,
    /// Seed of the run.
    pub seed: u64,
    /// `random` or `lhs`.
    pub sampling: String,
    /// The model version whose numbers these are.
    pub model_version: u32,
    /// Who funds the contract (written only when it is the provider: then
    /// the funder's figures have `provider` keys).
    #[serde(default, skip_serializing_if = "is_investors")]
    pub funded_by: FundedBy,
    /// Every metric's statistics, in the trial row's order.
    pub metrics: Named<Stats>,
    /// Probabilities of events, with standard errors.
    pub probabilities: Named<Estimate>,
    /// The investors' tail.
    pub tail: Tail,
    /// Capital the investors need: quantiles of peak funding.
    pub capital_needed: Capital,
    /// Who bears the risk: by decile of outcomes, and expected losses.
    pub risk_sharing: risk::RiskSharing,
    /// Transfers to agencies, one compact row per agency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfers: Option<TransfersSummary>,
}

/// The transfers to agencies (docs/model.md, "Transfers to agencies").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransfersSummary {
    /// The rate outcome that pays them.
    pub outcome: String,
    /// The pool (`null`: none).
    #[serde(deserialize_with = "nullable")]
    pub pool: f64,
    /// Every agency, in the file's order.
    pub agencies: Vec<AgencySummary>,
}

/// One agency's transfer over the trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgencySummary {
    /// Its name.
    pub name: String,
    /// What 100% of the schedule transfers to it.
    pub commitment: f64,
    /// Mean transfer and its standard error.
    #[serde(deserialize_with = "nullable")]
    pub mean: f64,
    /// See `mean`.
    #[serde(deserialize_with = "nullable")]
    pub se: f64,
    /// Quantiles of the transfer.
    #[serde(deserialize_with = "nullable")]
    pub p5: f64,
    /// See `p5`.
    #[serde(deserialize_with = "nullable")]
    pub p50: f64,
    /// See `p5`.
    #[serde(deserialize_with = "nullable")]
    pub p95: f64,
    /// P(it receives at least its full commitment).
    #[serde(deserialize_with = "nullable")]
    pub prob_full: f64,
    /// P(it receives nothing).
    #[serde(deserialize_with = "nullable")]
    pub prob_nothing: f64,
}

/// Each agency's row: mean, quantiles and the two probabilities of its
/// transfer column.
fn transfers_summary(
    model: &Model,
    layout: &Layout,
    cols: &TrialColumns,
) -> Option<TransfersSummary> {
    let (tm, tc) = (model.transfers.as_ref()?, layout.transfers?);
    let agencies = tm
        .agencies
        .par_iter()
        .enumerate()
        .map(|(k, a)| {
            let x = cols.data[tc.agency + k].as_slice();
            let (mean, se) = mean_se(x);
            let mut q = [f64::NAN; 3];
            if !x.is_empty() {
                let mut v = x.to_vec();
                quantiles_by_selection(&mut v, &[0.05, 0.5, 0.95], &mut q);
            }
            let full = prob_se(
                x.iter()
                    .map(|&v| a.commitment > 0.0 && v >= a.commitment * (1.0 - 1e-9)),
            )
            .0;
            let nothing = prob_se(x.iter().map(|&v| v == 0.0)).0;
            AgencySummary {
                name: a.name.clone(),
                commitment: a.commitment,
                mean,
                se,
                p5: q[0],
                p50: q[1],
                p95: q[2],
                prob_full: full,
                prob_nothing: nothing,
            }
        })
        .collect();
    Some(TransfersSummary {
        outcome: model.outcomes[model.measures[tm.measure].outcome]
            .id
            .clone(),
        pool: if tm.pooled { tm.pool } else { f64::NAN },
        agencies,
    })
}

/// The scenario part of a summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioIdentity {
    /// The deal's name.
    pub name: String,
    /// The scenario file's name.
    pub file: String,
    /// SHA-256 of its text (hex).
    pub sha256: String,
    /// Currency code.
    pub currency: String,
}

/// A probability and its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The estimate.
    #[serde(deserialize_with = "nullable")]
    pub value: f64,
    /// Its standard error.
    #[serde(deserialize_with = "nullable")]
    pub se: f64,
}

/// The funder's tail.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tail {
    /// Mean of the worst 5% of investor_net (CVaR 95%); 0 when the provider
    /// funds the contract (there are no investors).
    #[serde(deserialize_with = "nullable")]
    pub cvar95_investor_net: f64,
    /// Mean of the worst 5% of provider.margin, when the provider funds the contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvar95_provider_margin: Option<f64>,
}

impl Tail {
    /// The funder's CVaR 95%: the provider's when it funds the contract.
    pub fn funder_cvar95(&self) -> f64 {
        self.cvar95_provider_margin
            .unwrap_or(self.cvar95_investor_net)
    }
}

/// Whether `f` is the default funder (then `summary.json` does not say).
fn is_investors(f: &FundedBy) -> bool {
    *f == FundedBy::Investors
}

/// Quantiles of peak funding.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Capital {
    /// P90.
    #[serde(deserialize_with = "nullable")]
    pub p90: f64,
    /// P95.
    #[serde(deserialize_with = "nullable")]
    pub p95: f64,
    /// P99.
    #[serde(deserialize_with = "nullable")]
    pub p99: f64,
}

/// Named figures in document order (metric names, probability names).
#[derive(Debug, Clone, PartialEq)]
pub struct Named<T>(pub Vec<(String, T)>);

impl<T> Default for Named<T> {
    fn default() -> Self {
        Named(Vec::new())
    }
}

impl<T> Named<T> {
    /// The figure called `name`.
    pub fn get(&self, name: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Every (name, figure), in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
}

impl<T: Serialize> Serialize for Named<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
            type Value = Named<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Named<T>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, T>()? {
                    out.push((k, v));
                }
                Ok(Named(out))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

impl Summary {
    /// The document, as `summary.json` holds it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Reads a stored document (a baseline).
    pub fn from_json(v: &serde_json::Value) -> Result<Summary, String> {
        Summary::deserialize(v).map_err(|e| e.to_string())
    }

    /// A metric's statistic `field` (`mean`, `p50`, ...), NaN when absent.
    pub fn metric(&self, name: &str, field: &str) -> f64 {
        self.metrics.get(name).map_or(f64::NAN, |s| s.field(field))
    }

    /// The output keys of the funder's figures.
    pub fn funder(&self) -> &'static FunderKeys {
        funder_keys(self.funded_by)
    }

    /// A probability's value and standard error, NaN when absent.
    pub fn probability(&self, name: &str) -> (f64, f64) {
        self.probabilities
            .get(name)
            .map_or((f64::NAN, f64::NAN), |e| (e.value, e.se))
    }
}

/// The summary of a whole run.
pub fn summarize(model: &Model, cols: &TrialColumns, id: &RunIdentity) -> Summary {
    let layout = Layout::new(model);
    let col = |i: usize| cols.data[i].as_slice();
    let n = cols.len();

    // Per-metric statistics, in parallel over metrics (each one sequential
    // inside), while the probabilities, tail, capital and risk sharing are
    // computed beside them: both sides are pure functions of the columns.
    let metric_idx: Vec<usize> = (0..layout.len()).filter(|&i| layout.is_metric(i)).collect();
    let (all, (probabilities, cvar, capital, (risk_sharing, transfers))) = rayon::join(
        || -> Vec<Stats> { metric_idx.par_iter().map(|&i| stats(col(i))).collect() },
        || {
            let probabilities = probabilities(model, &layout, cols);
            let cvar = cvar95(col(layout.investor_net));
            let mut capital = [f64::NAN; 3];
            if n > 0 {
                let mut peak: Vec<f64> = col(layout.peak_funding).to_vec();
                quantiles_by_selection(&mut peak, &[0.90, 0.95, 0.99], &mut capital);
            }
            let risk_sharing = risk::RiskSharing::of(model, &layout, cols);
            let transfers = transfers_summary(model, &layout, cols);
            (probabilities, cvar, capital, (risk_sharing, transfers))
        },
    );
    let metrics = metric_idx
        .iter()
        .zip(all)
        .map(|(&i, s)| (layout.names[i].clone(), s))
        .collect();
    Summary {
        scenario: ScenarioIdentity {
            name: id.name.clone(),
            file: id.file.clone(),
            sha256: id.sha256.clone(),
            currency: id.currency.clone(),
        },
        trials: id.trials,
        seed: id.seed,
        sampling: id.sampling.clone(),
        model_version: crate::MODEL_VERSION,
        funded_by: model.funded_by,
        metrics: Named(metrics),
        probabilities,
        tail: if layout.tranche_columns {
            Tail {
                cvar95_investor_net: cvar,
                cvar95_provider_margin: None,
            }
        } else {
            Tail {
                cvar95_investor_net: 0.0,
                cvar95_provider_margin: Some(cvar),
            }
        },
        capital_needed: Capital {
            p90: capital[0],
            p95: capital[1],
            p99: capital[2],
        },
        risk_sharing,
        transfers,
    }
}

/// The events whose probabilities a summary reports, in document order:
/// `(name, flag column, conditional)`. A conditional event's probability is
/// over the trials whose flag is set (not NaN).
pub fn probability_columns(model: &Model, layout: &Layout) -> Vec<(String, usize, bool)> {
    let mut out = Vec::new();
    let mut put = |name: String, col: usize| out.push((name, col, false));
    let funder = layout.funder;
    put(funder.prob_loss.into(), layout.flag_loss);
    put(funder.prob_below_hurdle.into(), layout.flag_below_hurdle);
    put(funder.prob_funding_gap.into(), layout.funding_gap);
    put("prob_budget_cap_hit".into(), layout.budget_cap_hit);
    if layout.tranche_columns {
        put("prob_guarantee_called".into(), layout.flag_guarantee_called);
        for (k, t) in model.tranches.iter().enumerate() {
            put(
                format!("prob_tranche_loss.{}", t.name),
                layout.flag_tranche_loss + k,
            );
        }
    }
    if let Some(i) = layout.flag_floor_called {
        put("prob_floor_called".into(), i);
    }
    if let Some(tc) = layout.transfers {
        put("prob_pool_binds".into(), tc.flag_binds);
    }
    if let Some(pc) = layout.providers {
        for (q, pm) in model.providers.iter().enumerate() {
            put(format!("prob_provider_loss.{}", pm.name), pc.flag_loss + q);
        }
    }
    // Evaluation risk: conditional probabilities.
    for e in &layout.evaluation {
        let id = &model.outcomes[model.measures[e.measure].outcome].id;
        out.push((
            format!("prob_payment_triggered_below_threshold.{id}"),
            e.false_trigger,
            true,
        ));
        if let Some(i) = e.withheld {
            out.push((format!("prob_payment_withheld_at_target.{id}"), i, true));
        }
    }
    out
}

/// The probability of a flag column and its standard error: over every
/// trial, or (`conditional`) over the trials whose flag is not NaN (NaN
/// when there are none).
pub fn flag_probability(flags: &[f64], conditional: bool) -> (f64, f64) {
    if conditional {
        prob_se(flags.iter().filter(|f| !f.is_nan()).map(|f| *f != 0.0))
    } else {
        prob_se(flags.iter().map(|f| *f != 0.0))
    }
}

/// The probabilities of events, with standard errors, in document order.
fn probabilities(model: &Model, layout: &Layout, cols: &TrialColumns) -> Named<Estimate> {
    Named(
        probability_columns(model, layout)
            .into_iter()
            .map(|(name, col, conditional)| {
                let (value, se) = flag_probability(&cols.data[col], conditional);
                (name, Estimate { value, se })
            })
            .collect(),
    )
}

/// Mean of the ceil(0.05 n) smallest values, summed in increasing order.
fn cvar95(values: &[f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let mut net: Vec<f64> = values.to_vec();
    let k = n.div_ceil(20).max(1).min(n);
    if k < n {
        net.select_nth_unstable_by(k - 1, f64::total_cmp);
    }
    let worst = &mut net[..k];
    worst.sort_unstable_by(f64::total_cmp);
    worst.iter().sum::<f64>() / k as f64
}

impl Serialize for Stats {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(6 + QUANTILES.len()))?;
        m.serialize_entry("mean", &self.mean)?;
        m.serialize_entry("sd", &self.sd)?;
        m.serialize_entry("se", &self.se)?;
        m.serialize_entry("min", &self.min)?;
        m.serialize_entry("max", &self.max)?;
        for (i, (k, _)) in QUANTILES.iter().enumerate() {
            m.serialize_entry(k, &self.quantiles[i])?;
        }
        m.serialize_entry("nan", &self.nan)?;
        m.end()
    }
}

impl<'de> Deserialize<'de> for Stats {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m: std::collections::BTreeMap<String, Option<f64>> = Deserialize::deserialize(d)?;
        let get = |k: &str| m.get(k).copied().flatten().unwrap_or(f64::NAN);
        Ok(Stats {
            mean: get("mean"),
            sd: get("sd"),
            se: get("se"),
            min: get("min"),
            max: get("max"),
            quantiles: std::array::from_fn(|i| get(QUANTILES[i].0)),
            nan: get("nan") as u64,
        })
    }
}

impl Stats {
    /// The statistic called `field` in `summary.json` (`mean`, `sd`, `se`,
    /// `min`, `max`, `p1` ... `p99`, `nan`); NaN for another name.
    pub fn field(&self, field: &str) -> f64 {
        match field {
            "mean" => self.mean,
            "sd" => self.sd,
            "se" => self.se,
            "min" => self.min,
            "max" => self.max,
            "nan" => self.nan as f64,
            q => QUANTILES
                .iter()
                .position(|(k, _)| *k == q)
                .map_or(f64::NAN, |i| self.quantiles[i]),
        }
    }
}
