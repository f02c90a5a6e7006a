//! Who bears the risk (`docs/model.md`, "Summaries"): the means of money
//! figures by decile of the last outcome's count, and the expected loss of
//! investors and guarantor and the payer's premium over the delivery cost.
//! The per-trial summands are defined once here, for the summary and for
//! `ibsim check`'s standard errors.

use serde::{Deserialize, Serialize};

use super::stats::{nullable, stable_order_by_count};
use crate::engine::Layout;
use crate::engine::runner::TrialColumns;
use crate::model::Model;

/// The risk-sharing part of a summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskSharing {
    /// Ten rows, by decile of the last outcome's count (ties in trial order).
    pub deciles: Vec<Decile>,
    /// Mean of the investors' loss, max(-investor_net, 0).
    #[serde(deserialize_with = "nullable")]
    pub loss_borne_by_investors: f64,
    /// Mean of the guarantee paid.
    #[serde(deserialize_with = "nullable")]
    pub loss_borne_by_guarantor: f64,
    /// Mean of the payer's premium, max(payer_cost - evaluation - delivery, 0).
    #[serde(deserialize_with = "nullable")]
    pub payer_premium: f64,
    /// Mean of the provider's loss, max(-provider.margin, 0), when the
    /// provider funds the contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_borne_by_provider: Option<f64>,
}

/// The means of one decile of trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decile {
    /// 1 to 10.
    pub decile: u64,
    /// Trials in it.
    pub trials: u64,
    /// Mean count of the last outcome.
    #[serde(deserialize_with = "nullable")]
    pub outcome_count: f64,
    /// Mean payer cost.
    #[serde(deserialize_with = "nullable")]
    pub payer_cost: f64,
    /// Mean payer cost per outcome.
    #[serde(deserialize_with = "nullable")]
    pub cost_per_outcome: f64,
    /// Mean delivery cost.
    #[serde(deserialize_with = "nullable")]
    pub delivery_cost: f64,
    /// Mean investor net.
    #[serde(deserialize_with = "nullable")]
    pub investor_net: f64,
    /// Mean guarantee paid.
    #[serde(deserialize_with = "nullable")]
    pub guarantee_paid: f64,
    /// Mean provider bonus.
    #[serde(deserialize_with = "nullable")]
    pub provider_bonus: f64,
    /// Mean provider margin, when the provider funds the contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_margin: Option<f64>,
}

impl Decile {
    /// The funder's mean net: the provider's margin when it funds the
    /// contract, else the investors' net.
    pub fn funder_net(&self) -> f64 {
        self.provider_margin.unwrap_or(self.investor_net)
    }
}

/// The investors' loss in a trial: max(-investor_net, 0).
pub fn investor_loss(net: f64) -> f64 {
    (-net).max(0.0)
}

/// The payer's premium in a trial: what it paid beyond the evaluation and
/// the delivery cost, max(payer_cost - evaluation - delivery, 0).
pub fn payer_premium(model: &Model, payer_cost: f64, delivery_cost: f64) -> f64 {
    (payer_cost - model.evaluation_cost - delivery_cost).max(0.0)
}

/// The per-trial summands of the three expectations, in
/// [`RiskSharing`]'s order.
pub fn summands(model: &Model, layout: &Layout, cols: &TrialColumns) -> [Vec<f64>; 3] {
    let col = |i: usize| cols.data[i].as_slice();
    [
        col(layout.investor_net)
            .iter()
            .map(|&x| investor_loss(x))
            .collect(),
        col(layout.guarantee_paid).to_vec(),
        col(layout.payer_cost)
            .iter()
            .zip(col(layout.delivery_cost))
            .map(|(&p, &d)| payer_premium(model, p, d))
            .collect(),
    ]
}

/// Mean of the non-NaN values (NaN when none).
fn mean_of(v: impl Iterator<Item = f64>) -> f64 {
    super::stats::mean_of(v)
}

impl RiskSharing {
    /// The expectation called `key` in `summary.json`
    /// (`loss_borne_by_investors`, `loss_borne_by_guarantor`,
    /// `payer_premium`); NaN for another name.
    pub fn figure(&self, key: &str) -> f64 {
        match key {
            "loss_borne_by_investors" => self.loss_borne_by_investors,
            "loss_borne_by_provider" => self.loss_borne_by_provider.unwrap_or(f64::NAN),
            "loss_borne_by_guarantor" => self.loss_borne_by_guarantor,
            "payer_premium" => self.payer_premium,
            _ => f64::NAN,
        }
    }

    /// The risk sharing of a run's trials.
    pub fn of(model: &Model, layout: &Layout, cols: &TrialColumns) -> RiskSharing {
        let col = |i: usize| cols.data[i].as_slice();
        // (The funder's column holds the provider's margin when it funds
        // the contract: then investors, there being none, bear nothing.)
        let funder_loss = mean_of(col(layout.investor_net).iter().map(|&x| investor_loss(x)));
        let investors = layout.tranche_columns;
        RiskSharing {
            deciles: deciles(model, layout, cols),
            loss_borne_by_investors: if investors { funder_loss } else { 0.0 },
            loss_borne_by_provider: (!investors).then_some(funder_loss),
            loss_borne_by_guarantor: mean_of(col(layout.guarantee_paid).iter().copied()),
            payer_premium: mean_of(
                col(layout.payer_cost)
                    .iter()
                    .zip(col(layout.delivery_cost))
                    .map(|(&p, &d)| payer_premium(model, p, d)),
            ),
        }
    }
}

/// Means by decile of the last outcome's count (ties keep trial order).
fn deciles(model: &Model, layout: &Layout, cols: &TrialColumns) -> Vec<Decile> {
    let n = cols.len();
    let investors = layout.tranche_columns;
    let last = cols.data[layout.outcome + model.last_outcome].as_slice();
    let order = stable_order_by_count(last);
    // Decile of each trial (rank i goes to floor(10 i / n)), then one sequential
    // pass per column summing in trial order: no random access into the columns.
    let mut decile_of = vec![0u8; n];
    for (rank, &t) in order.iter().enumerate() {
        decile_of[t as usize] = (10 * rank / n.max(1)) as u8;
    }
    drop(order);
    let columns = [
        layout.outcome + model.last_outcome,
        layout.payer_cost,
        layout.cost_per_outcome,
        layout.delivery_cost,
        layout.investor_net,
        layout.guarantee_paid,
        layout.provider_bonus,
    ];
    let mut trials_in = [0u64; 10];
    for &d in &decile_of {
        trials_in[d as usize] += 1;
    }
    let means: Vec<[f64; 10]> = columns
        .iter()
        .map(|&c| {
            let mut sum = [0.0f64; 10];
            let mut cnt = [0u64; 10];
            for (x, &d) in cols.data[c].iter().zip(&decile_of) {
                if !x.is_nan() {
                    sum[d as usize] += x;
                    cnt[d as usize] += 1;
                }
            }
            std::array::from_fn(|d| {
                if cnt[d] == 0 {
                    f64::NAN
                } else {
                    sum[d] / cnt[d] as f64
                }
            })
        })
        .collect();
    (0..10usize)
        .map(|d| Decile {
            decile: d as u64 + 1,
            trials: trials_in[d],
            outcome_count: means[0][d],
            payer_cost: means[1][d],
            cost_per_outcome: means[2][d],
            delivery_cost: means[3][d],
            investor_net: if investors { means[4][d] } else { 0.0 },
            guarantee_paid: means[5][d],
            provider_bonus: means[6][d],
            provider_margin: (!investors).then_some(means[4][d]),
        })
        .collect()
}
