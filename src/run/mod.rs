//! A whole run in memory: the scenario as read, its compiled model, every
//! trial's metric columns and the summary, made by simulating or by merging
//! shards. Nothing here prints or writes; [`budget`] estimates a run's cost
//! before it starts.

pub mod budget;

/// The result of a whole run, kept in memory for reports and analyses.
pub struct RunResult {
    /// The scenario as read.
    pub scenario: crate::scenario::Scenario,
    /// The compiled model.
    pub model: crate::model::Model,
    /// Per-trial metric columns.
    pub columns: crate::engine::runner::TrialColumns,
    /// The `summary.json` document.
    pub summary: serde_json::Value,
    /// Wall time of the simulation and summary, in seconds.
    pub seconds: f64,
}
