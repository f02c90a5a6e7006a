//! The JSON Schema of the scenario format (`ibsim schema`), generated from the
//! same types that read scenario files, so the two cannot drift apart.

use crate::scenario::Scenario;

/// The JSON Schema (draft 2020-12) of a scenario file, as pretty JSON.
pub fn scenario_schema_json() -> String {
    let schema = schemars::schema_for!(Scenario);
    serde_json::to_string_pretty(&schema).unwrap_or_else(|_| "{}".into())
}
