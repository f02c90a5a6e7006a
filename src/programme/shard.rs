//! A programme's shards: `ibsim run PROGRAMME --shard K/N` simulates trials
//! [K T / N, (K + 1) T / N) of every deal and the fund, with the same
//! random streams as the whole run, and writes them in a shard file (the
//! format of [`crate::shard`]) that carries the programme's text and every
//! deal's; `ibsim merge` puts the shards back in trial order and
//! summarises them: the same `summary.json`, byte for byte, as the
//! unsharded run.

use std::path::Path;

use serde_json::{Value, json};

use super::LoadedProgramme;
use super::analysis::{column_names, target_columns};
use super::run::{ProgrammeColumns, ProgrammeModel, simulate_range};
use crate::engine::runner::TrialColumns;
use crate::scenario::{Diagnostic, LoadedScenario};
use crate::shard::{MergeFailure, ShardSpec, sha256_hex};

/// The texts a shard carries: the programme's, then each deal file's (as
/// the programme names it) with its text.
fn texts(lp: &LoadedProgramme) -> (String, Vec<Value>) {
    let mut all = lp.text.clone();
    let mut deals = Vec::new();
    for (entry, d) in lp.programme.deals.iter().zip(&lp.deals) {
        if let Some(f) = &entry.file {
            all.push('\0');
            all.push_str(f);
            all.push('\0');
            all.push_str(&d.text);
            deals.push(json!({"file": f, "yaml": d.text}));
        }
    }
    (sha256_hex(&all), deals)
}

/// Simulates shard `spec` of the programme's run; the shard file's bytes
/// and the trials it holds.
pub fn simulate_shard(
    lp: &LoadedProgramme,
    pm: &ProgrammeModel,
    spec: ShardSpec,
    threads: Option<usize>,
) -> Result<(Vec<u8>, std::ops::Range<u64>), String> {
    let range = spec.range(pm.trials);
    let cols = simulate_range(pm, range.clone(), threads)
        .map_err(|e| format!("cannot start the worker threads: {e}"))?;
    let mut all = target_columns(pm, cols);
    all.horizon = pm.horizon();
    let (sha, deals) = texts(lp);
    let file = Path::new(&lp.file)
        .file_name()
        .map_or_else(|| lp.file.clone(), |f| f.to_string_lossy().into_owned());
    let identity = json!({
        "scenario": {
            "programme": true,
            "name": pm.name,
            "file": file,
            "sha256": sha,
            "currency": pm.currency,
            "yaml": lp.text,
            "deals": deals,
        },
        "trials": pm.trials,
        "seed": pm.seed,
        "sampling": "programme",
    });
    Ok((crate::shard::encode(&identity, spec, &all), range))
}

/// Whether a shard's header is a programme's.
pub fn is_programme_shard(header: &Value) -> bool {
    header["scenario"]["programme"] == json!(true)
}

/// A programme put back together from its shards.
pub struct Merged {
    /// The programme as the shards carry it.
    pub loaded: LoadedProgramme,
    /// Compiled, with the run's trials and seed.
    pub model: ProgrammeModel,
    /// Every trial's columns, in trial order.
    pub columns: ProgrammeColumns,
}

/// Reads programme shards, checks they are one run's and cover every
/// trial once, and rebuilds the programme from the texts they carry.
pub fn merge(paths: &[std::path::PathBuf]) -> Result<Merged, MergeFailure> {
    let fail = MergeFailure::Shards;
    let mut shards = Vec::with_capacity(paths.len());
    for p in paths {
        let (h, c) = crate::shard::read(p).map_err(fail)?;
        if !is_programme_shard(&h.json) {
            return Err(fail(format!(
                "{}: a scenario's shard; merge it with that scenario's shards, not a programme's",
                p.display()
            )));
        }
        shards.push((p.display().to_string(), h, c));
    }
    let (header, all) = crate::shard::assemble(shards).map_err(fail)?;
    let sc = &header.json["scenario"];
    let deal_texts: Vec<(String, String)> = sc["deals"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| {
                    (
                        d["file"].as_str().unwrap_or_default().to_owned(),
                        d["yaml"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let file = sc["file"].as_str().unwrap_or("programme.yaml");
    let text = sc["yaml"].as_str().unwrap_or_default();
    if let Some(f) = loaded_deal_files(text)
        .into_iter()
        .find(|f| !deal_texts.iter().any(|(n, _)| n == f))
    {
        return Err(fail(format!("the shards do not carry deal file {f}")));
    }
    let resolve = |f: &str| -> Result<LoadedScenario, Vec<Diagnostic>> {
        let t = deal_texts
            .iter()
            .find(|(name, _)| name == f)
            .map_or("", |(_, t)| t.as_str());
        crate::scenario::parse_str(t, f)
    };
    let loaded = super::parse_with(text, file, &resolve).map_err(MergeFailure::Scenario)?;
    if texts(&loaded).0 != sc["sha256"].as_str().unwrap_or_default() {
        return Err(fail(
            "the programme stored in the shards does not match its sha256".into(),
        ));
    }
    let mut model = ProgrammeModel::compile(&loaded);
    model.trials = header.trials;
    model.seed = header.json["seed"].as_u64().unwrap_or_default();
    if column_names(&model) != all.names {
        return Err(fail(
            "the shards' columns are not this programme's: they were written by another version of ibsim".into(),
        ));
    }
    let columns = split(&model, all);
    Ok(Merged {
        loaded,
        model,
        columns,
    })
}

/// The fund's columns, then each deal's, as [`target_columns`] joined them.
fn split(pm: &ProgrammeModel, all: TrialColumns) -> ProgrammeColumns {
    let mut data = all.data.into_iter();
    let fund = TrialColumns {
        names: pm.fund.names.clone(),
        first_trial: 0,
        data: data.by_ref().take(pm.fund.len()).collect(),
        horizon: 0,
        months: Vec::new(),
    };
    let deals = pm
        .deals
        .iter()
        .map(|d| TrialColumns {
            names: d.layout.names.clone(),
            first_trial: 0,
            data: data.by_ref().take(d.layout.len()).collect(),
            horizon: d.model.horizon,
            months: Vec::new(),
        })
        .collect();
    ProgrammeColumns { deals, fund }
}

/// The deal files a programme text names (none when it does not parse:
/// reading it again then says why).
fn loaded_deal_files(text: &str) -> Vec<String> {
    crate::scenario::read_typed::<super::Programme>(text, "", "")
        .map(|(p, _)| p.deals.into_iter().filter_map(|d| d.file).collect())
        .unwrap_or_default()
}
