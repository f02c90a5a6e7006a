//! Shards: a range of a run's trials, stored to be merged elsewhere.
//!
//! `ibsim run --shard K/N` simulates trials [K T / N, (K + 1) T / N) of the
//! T-trial run - with the same random streams as the whole run, since a
//! trial's stream depends only on (seed, trial) - and writes their metric
//! columns to a shard file. `ibsim merge` checks that the shards belong to the
//! same scenario, seed, trial count, sampling and model version and cover
//! every trial exactly once, puts the columns back in trial order and
//! summarises them: the same `summary.json`, byte for byte, as the unsharded
//! run, because the summary only ever reads the columns in trial order.
//!
//! File format (little-endian), version 2:
//!
//! ```text
//! "IBSIMSHD"            8 bytes, magic
//! version               u32 (1)
//! header length H       u32
//! header                H bytes of JSON: model and format versions, scenario
//!                       (name, file, sha256, currency, and its YAML text),
//!                       seed, trials, sampling, shard K/N, first trial,
//!                       count, column names, horizon, kept trials
//! columns               count f64 per column, column after column
//! months                kept x series x horizon f64 (the kept trials'
//!                       month-by-month series: funding fan and deal account)
//! sha256                32 bytes over everything before it
//! ```

use std::path::Path;

use serde_json::{Value, json};
use sha2::Digest;

use crate::engine::runner::{MONTH_SERIES, TrialColumns};

/// First bytes of every shard file.
const MAGIC: &[u8; 8] = b"IBSIMSHD";
/// Version of the shard file format.
const FORMAT: u32 = 2;

/// `K/N` of `--shard`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    /// This shard, 0-based.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl ShardSpec {
    /// Parses `K/N` with 0 <= K < N.
    pub fn parse(s: &str) -> Result<ShardSpec, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}`: expected K/N, e.g. 0/100"))?;
        let k: u64 = k
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: K is not a whole number"))?;
        let n: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: N is not a whole number"))?;
        if n == 0 || k >= n {
            return Err(format!("`{s}`: need 0 <= K < N"));
        }
        Ok(ShardSpec { index: k, count: n })
    }

    /// The shard a scheduler's array task is (`--shard auto`), from its
    /// environment (`var` reads a variable): Slurm's
    /// `SLURM_ARRAY_TASK_ID` (less `SLURM_ARRAY_TASK_MIN`, for arrays that
    /// do not start at 0) of `SLURM_ARRAY_TASK_COUNT`; a Kubernetes Indexed
    /// Job's `JOB_COMPLETION_INDEX` of `shards` (its `completions`); AWS
    /// Batch's `AWS_BATCH_JOB_ARRAY_INDEX` of `AWS_BATCH_JOB_ARRAY_SIZE`.
    pub fn from_scheduler(
        var: &dyn Fn(&str) -> Option<String>,
        shards: Option<u64>,
    ) -> Result<ShardSpec, String> {
        let whole = |name: &str| -> Result<Option<u64>, String> {
            match var(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .map(Some)
                    .map_err(|_| format!("{name}=`{v}` is not a whole number")),
            }
        };
        let spec = |index: u64, count: u64, from: &str| {
            ShardSpec::parse(&format!("{index}/{count}")).map_err(|e| format!("from {from}: {e}"))
        };
        if let Some(id) = whole("SLURM_ARRAY_TASK_ID")? {
            let min = whole("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let count = whole("SLURM_ARRAY_TASK_COUNT")?.or(shards).ok_or(
                "SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT: give --shards N",
            )?;
            return spec(id.saturating_sub(min), count, "SLURM_ARRAY_TASK_ID");
        }
        if let Some(index) = whole("JOB_COMPLETION_INDEX")? {
            let count = shards.ok_or(
                "JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) gives the index only: give --shards N, the Job's completions",
            )?;
            return spec(index, count, "JOB_COMPLETION_INDEX");
        }
        if let Some(index) = whole("AWS_BATCH_JOB_ARRAY_INDEX")? {
            let count = whole("AWS_BATCH_JOB_ARRAY_SIZE")?
                .or(shards)
                .ok_or("AWS_BATCH_JOB_ARRAY_INDEX is set but not AWS_BATCH_JOB_ARRAY_SIZE: give --shards N")?;
            return spec(index, count, "AWS_BATCH_JOB_ARRAY_INDEX");
        }
        Err("`auto`: no scheduler's array index is set: expected SLURM_ARRAY_TASK_ID (Slurm), JOB_COMPLETION_INDEX (Kubernetes Indexed Job, with --shards N) or AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch)".into())
    }

    /// The trials of this shard of a `trials`-trial run.
    pub fn range(&self, trials: u64) -> std::ops::Range<u64> {
        let at = |k: u64| (u128::from(k) * u128::from(trials) / u128::from(self.count)) as u64;
        at(self.index)..at(self.index + 1)
    }
}

/// Writes the container: magic, format version, header JSON, `payload`, and a
/// SHA-256 of all of it.
fn seal(magic: &[u8; 8], header: &Value, payload: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let h = serde_json::to_vec(header).unwrap_or_default();
    let mut out = Vec::with_capacity(64 + h.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&(h.len() as u32).to_le_bytes());
    out.extend_from_slice(&h);
    payload(&mut out);
    let sum = sha2::Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

/// Checks a container's magic, checksum and version; returns its header and payload.
fn unseal<'a>(magic: &[u8; 8], what: &str, bytes: &'a [u8]) -> Result<(Value, &'a [u8]), String> {
    if bytes.len() < 16 + 32 || &bytes[..8] != magic {
        return Err(format!("not an ibsim {what} file"));
    }
    let body = &bytes[..bytes.len() - 32];
    if sha2::Sha256::digest(body).as_slice() != &bytes[bytes.len() - 32..] {
        return Err("checksum mismatch: the file is truncated or corrupted".into());
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
    if version != FORMAT {
        return Err(format!(
            "shard format version {version}; this ibsim reads version {FORMAT}"
        ));
    }
    let hlen = u32::from_le_bytes(bytes[12..16].try_into().unwrap_or_default()) as usize;
    let start = 16usize
        .checked_add(hlen)
        .filter(|&e| e <= body.len())
        .ok_or("header length beyond the end of the file")?;
    let header =
        serde_json::from_slice(&body[16..start]).map_err(|e| format!("bad header: {e}"))?;
    Ok((header, &body[start..]))
}

/// What identifies the run a shard belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardHeader {
    /// The header as stored.
    pub json: Value,
    /// First trial held.
    pub first_trial: u64,
    /// Trials held.
    pub count: u64,
    /// Trials of the whole run.
    pub trials: u64,
    /// Column names.
    pub columns: Vec<String>,
    /// Months per kept series.
    pub horizon: usize,
    /// Trials whose month-by-month series are kept.
    pub kept: usize,
}

/// Serialises a shard of `cols` (trials `cols.first_trial..`) of the run `identity`
/// (the summary's identity fields plus `scenario.yaml`, the scenario text).
pub fn encode(identity: &Value, spec: ShardSpec, cols: &TrialColumns) -> Vec<u8> {
    let kept = cols.kept();
    let mut header = identity.clone();
    header["format"] = json!(FORMAT);
    header["model_version"] = json!(crate::MODEL_VERSION);
    header["shard"] = json!({"index": spec.index, "count": spec.count});
    header["first_trial"] = json!(cols.first_trial);
    header["count"] = json!(cols.len());
    header["columns"] = json!(cols.names);
    header["horizon"] = json!(cols.horizon);
    header["kept_trials"] = json!(kept);
    header["month_series"] = json!(MONTH_SERIES);
    seal(MAGIC, &header, |out| {
        out.reserve(8 * (cols.len() * cols.names.len() + cols.months.len()));
        for col in &cols.data {
            for x in col {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        for x in &cols.months {
            out.extend_from_slice(&x.to_le_bytes());
        }
    })
}

/// Reads a shard file: checks magic, version, checksum and sizes.
pub fn decode(bytes: &[u8]) -> Result<(ShardHeader, TrialColumns), String> {
    let (json, data) = unseal(MAGIC, "shard", bytes)?;
    same_model_version(&json)?;
    let num = |k: &str| json[k].as_u64().ok_or(format!("header lacks `{k}`"));
    let columns: Vec<String> = json["columns"]
        .as_array()
        .ok_or("header lacks `columns`")?
        .iter()
        .map(|c| c.as_str().unwrap_or_default().to_string())
        .collect();
    let series = num("month_series")?;
    if series != MONTH_SERIES as u64 {
        return Err(format!(
            "{series} month-by-month series per trial; this ibsim keeps {MONTH_SERIES}"
        ));
    }
    let header = ShardHeader {
        first_trial: num("first_trial")?,
        count: num("count")?,
        trials: num("trials")?,
        horizon: num("horizon")? as usize,
        kept: num("kept_trials")? as usize,
        columns,
        json,
    };
    // The shard's place in the run: shard K of N covers trials
    // [K T / N, (K + 1) T / N) and keeps the month series of the first
    // trials of the run that fall in it.
    let spec = ShardSpec {
        index: header.json["shard"]["index"]
            .as_u64()
            .ok_or("header lacks `shard.index`")?,
        count: header.json["shard"]["count"]
            .as_u64()
            .ok_or("header lacks `shard.count`")?,
    };
    let max_trials = crate::limits::MAX_TRIALS as u64;
    if header.trials == 0 || header.trials > max_trials {
        return Err(format!(
            "a run of {} trials: expected 1 to {max_trials}",
            header.trials
        ));
    }
    if spec.count == 0 || spec.index >= spec.count {
        return Err(format!(
            "shard {}/{} of {} trials is not a shard of the run",
            spec.index, spec.count, header.trials
        ));
    }
    let range = spec.range(header.trials);
    if header.first_trial != range.start || header.count != range.end - range.start {
        return Err(format!(
            "holds trials {}..{} but shard {}/{} of {} trials covers {}..{}",
            header.first_trial,
            header.first_trial.saturating_add(header.count),
            spec.index,
            spec.count,
            header.trials,
            range.start,
            range.end
        ));
    }
    if header.horizon == 0 || header.horizon > crate::limits::MAX_HORIZON_MONTHS as usize {
        return Err(format!("a horizon of {} months", header.horizon));
    }
    // (A programme's shards keep no month-by-month series.)
    let kept = if header.json["scenario"]["programme"] == json!(true) {
        0
    } else {
        crate::engine::runner::kept_trials(header.horizon)
            .saturating_sub(header.first_trial)
            .min(header.count) as usize
    };
    if header.kept != kept {
        return Err(format!(
            "keeps the months of {} trials where this shard keeps {kept}",
            header.kept
        ));
    }
    let n = header.count as usize;
    let expected = header
        .columns
        .len()
        .checked_mul(n)
        .and_then(|c| {
            c.checked_add(
                header
                    .kept
                    .checked_mul(header.horizon)?
                    .checked_mul(MONTH_SERIES)?,
            )
        })
        .and_then(|v| v.checked_mul(8))
        .ok_or("sizes in the header overflow")?;
    if data.len() != expected {
        return Err("data size does not match the header".into());
    }
    let floats = |from: usize, len: usize| -> Vec<f64> {
        data[from..from + 8 * len]
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap_or_default()))
            .collect()
    };
    let data: Vec<Vec<f64>> = (0..header.columns.len())
        .map(|c| floats(8 * c * n, n))
        .collect();
    let months = floats(
        8 * header.columns.len() * n,
        header.kept * MONTH_SERIES * header.horizon,
    );
    let cols = TrialColumns {
        names: header.columns.clone(),
        first_trial: header.first_trial,
        data,
        horizon: header.horizon,
        months,
    };
    Ok((header, cols))
}

/// Largest shard header read, in bytes (it holds the scenario's text, at
/// most 16 MiB, and the column names).
const MAX_HEADER: u64 = 64 << 20;

/// Reads a shard container from `path` a part at a time, never more than
/// its header says it holds: the first 16 bytes (magic, version, header
/// length), the header, then exactly the data its header describes and the
/// checksum, and one byte more only to see that nothing follows. A file of
/// the wrong kind, a pipe or a device (`/dev/zero`) stops at the first part
/// that does not fit; data too large for this machine's memory is refused.
pub fn read_container(path: &Path, magic: &[u8; 8], what: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = vec![0u8; 16];
    f.read_exact(&mut bytes)
        .map_err(|_| format!("not an ibsim {what} file (too short)"))?;
    if &bytes[..8] != magic {
        return Err(format!("not an ibsim {what} file"));
    }
    let hlen = u64::from(u32::from_le_bytes(
        bytes[12..16].try_into().unwrap_or_default(),
    ));
    if hlen > MAX_HEADER {
        return Err(format!(
            "header of {hlen} bytes: more than the {MAX_HEADER}-byte limit"
        ));
    }
    let got = (&mut f)
        .take(hlen)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if got as u64 != hlen {
        return Err("the file is truncated or corrupted: its header is cut short".into());
    }
    let header: Value =
        serde_json::from_slice(&bytes[16..]).map_err(|e| format!("bad header: {e}"))?;
    let data = if magic == MAGIC {
        let num = |k: &str| header[k].as_u64().ok_or(format!("header lacks `{k}`"));
        let columns = header["columns"].as_array().map_or(0, Vec::len) as u64;
        let floats = columns
            .checked_mul(num("count")?)
            .and_then(|c| {
                c.checked_add(
                    num("kept_trials")
                        .ok()?
                        .checked_mul(num("horizon").ok()?)?
                        .checked_mul(MONTH_SERIES as u64)?,
                )
            })
            .ok_or("sizes in the header overflow")?;
        floats
            .checked_mul(8)
            .ok_or("sizes in the header overflow")?
    } else if magic == SOBOL_MAGIC {
        header["values"]
            .as_u64()
            .ok_or("header lacks `values`")?
            .checked_mul(8)
            .ok_or("sizes in the header overflow")?
    } else {
        0
    };
    let memory = crate::limits::available_memory();
    if data > memory / 2 {
        return Err(format!(
            "its header describes {data} bytes of data, more than this machine's memory allows ({memory} bytes available)"
        ));
    }
    let rest = data + 32;
    let got = f
        .take(rest + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if got as u64 != rest {
        return Err(format!(
            "the file is truncated or corrupted: {} bytes after its header, {rest} expected",
            got
        ));
    }
    Ok(bytes)
}

/// Shards of another model version have other numbers: refused rather than
/// merged into a summary that would claim this version.
fn same_model_version(header: &Value) -> Result<(), String> {
    match header["model_version"].as_u64() {
        Some(v) if v == u64::from(crate::MODEL_VERSION) => Ok(()),
        Some(v) => Err(format!(
            "made by ibsim model version {v}; this ibsim merges model version {} only: run the shards again with it",
            crate::MODEL_VERSION
        )),
        None => Err("header lacks `model_version`".into()),
    }
}

/// Checks a shard set's header against the model of the scenario it
/// embeds: the metric columns, the horizon and the sampling scheme must be
/// exactly the ones a run of that scenario writes (the checksum only shows
/// that the file is whole, not that its header tells the truth).
pub fn check_against(header: &ShardHeader, model: &crate::model::Model) -> Result<(), String> {
    let layout = crate::engine::Layout::new(model);
    if header.columns != layout.names {
        let differs = header
            .columns
            .iter()
            .zip(&layout.names)
            .find(|(a, b)| a != b)
            .map_or_else(
                || {
                    format!(
                        "{} columns, {} expected",
                        header.columns.len(),
                        layout.names.len()
                    )
                },
                |(a, b)| format!("column `{a}` where the scenario has `{b}`"),
            );
        return Err(format!(
            "the shards' metric columns do not match the scenario they carry: {differs}"
        ));
    }
    if header.horizon != model.horizon {
        return Err(format!(
            "the shards say {} months, the scenario they carry {}",
            header.horizon, model.horizon
        ));
    }
    if header.json["sampling"].as_str() != Some(model.sampling.as_str()) {
        return Err(format!(
            "the shards say sampling {}, the scenario they carry {}",
            header.json["sampling"],
            model.sampling.as_str()
        ));
    }
    Ok(())
}

/// The SHA-256 of `text` in hexadecimal (a scenario's identity).
pub fn sha256_hex(text: &str) -> String {
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Why shards could not be merged.
#[derive(Debug)]
pub enum MergeFailure {
    /// The shards themselves: one line naming the file and what is wrong.
    Shards(String),
    /// The scenario they carry does not validate.
    Scenario(Vec<crate::scenario::Diagnostic>),
}

/// Merged shards: the scenario they carry, compiled, and the run's summary.
#[derive(Debug)]
pub struct Merged {
    /// The scenario's file name, as the shards record it.
    pub file: String,
    /// The scenario.
    pub scenario: crate::scenario::Scenario,
    /// Its model.
    pub model: crate::model::Model,
    /// Every trial's metrics, in trial order.
    pub columns: TrialColumns,
    /// The run's `summary.json`.
    pub summary: crate::summary::Summary,
}

/// When the shards (their headers' `shard.index` and `shard.count`) are
/// all of N but some index is absent: which, as a message.
pub fn missing_shards<'a>(headers: impl Iterator<Item = &'a serde_json::Value>) -> Option<String> {
    let mut count = None;
    let mut given = std::collections::BTreeSet::new();
    for h in headers {
        let (k, n) = (h["shard"]["index"].as_u64()?, h["shard"]["count"].as_u64()?);
        if *count.get_or_insert(n) != n {
            return None;
        }
        given.insert(k);
    }
    let n = count?;
    let missing: Vec<String> = (0..n)
        .filter(|k| !given.contains(k))
        .map(|k| k.to_string())
        .collect();
    if missing.is_empty() {
        return None;
    }
    Some(format!(
        "shard{} {} of {n} missing (shards are numbered from 0; given: {})",
        if missing.len() == 1 { "" } else { "s" },
        missing.join(", "),
        given
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// Puts decoded shards back together (see [`assemble`]), reads the scenario
/// they carry (checked against its SHA-256), checks their header against it
/// ([`check_against`]) and summarises the run: what `ibsim merge` writes.
pub fn merge_decoded(
    shards: Vec<(String, ShardHeader, TrialColumns)>,
) -> Result<Merged, MergeFailure> {
    let (header, columns) = assemble(shards).map_err(MergeFailure::Shards)?;
    let sc = &header.json["scenario"];
    let file = sc["file"].as_str().unwrap_or("scenario.yaml").to_string();
    let text = sc["yaml"].as_str().unwrap_or_default();
    let sha = sha256_hex(text);
    if sha != sc["sha256"].as_str().unwrap_or_default() {
        return Err(MergeFailure::Shards(
            "the scenario stored in the shards does not match its sha256".into(),
        ));
    }
    let loaded = crate::scenario::parse_str(text, &file).map_err(MergeFailure::Scenario)?;
    let model = crate::model::Model::compile(&loaded.scenario);
    check_against(&header, &model).map_err(MergeFailure::Shards)?;
    let id = crate::summary::RunIdentity {
        name: model.name.clone(),
        file: file.clone(),
        sha256: sha,
        currency: model.currency.clone(),
        trials: header.trials,
        seed: header.json["seed"].as_u64().unwrap_or_default(),
        sampling: header.json["sampling"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    };
    let summary = crate::summary::summarize(&model, &columns, &id);
    Ok(Merged {
        file,
        scenario: loaded.scenario,
        model,
        columns,
        summary,
    })
}

/// Reads `path` as a shard.
pub fn read(path: &Path) -> Result<(ShardHeader, TrialColumns), String> {
    let bytes =
        read_container(path, MAGIC, "shard").map_err(|e| format!("{}: {e}", path.display()))?;
    decode(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// The fields that must agree between shards of one run.
const IDENTITY: [&str; 5] = ["seed", "trials", "sampling", "model_version", "format"];

/// Puts shards back together: same run, every trial exactly once. Returns
/// the first shard's header (the run's identity) and the columns of all trials.
pub fn assemble(
    mut shards: Vec<(String, ShardHeader, TrialColumns)>,
) -> Result<(ShardHeader, TrialColumns), String> {
    let Some((name0, h0, _)) = shards.first() else {
        return Err("no shard given".into());
    };
    let (name0, h0) = (name0.clone(), h0.clone());
    for (name, h, _) in &shards {
        for k in IDENTITY {
            if h.json[k] != h0.json[k] {
                return Err(format!(
                    "{name} belongs to another run: {k} {} (in {name0}: {})",
                    h.json[k], h0.json[k]
                ));
            }
        }
        if h.json["scenario"]["sha256"] != h0.json["scenario"]["sha256"] {
            return Err(format!(
                "{name} belongs to another scenario (sha256 {} against {} in {name0})",
                h.json["scenario"]["sha256"], h0.json["scenario"]["sha256"]
            ));
        }
        if h.columns != h0.columns || h.horizon != h0.horizon {
            return Err(format!("{name} has other metric columns than {name0}"));
        }
    }
    if let Some(m) = missing_shards(shards.iter().map(|(_, h, _)| &h.json)) {
        return Err(m);
    }
    shards.sort_by_key(|(_, h, _)| (h.first_trial, h.count));
    let mut next = 0u64;
    for (name, h, _) in &shards {
        if h.first_trial < next {
            return Err(format!(
                "{name} repeats trials {}..{} (duplicated or overlapping shard)",
                h.first_trial,
                next.min(h.first_trial + h.count)
            ));
        }
        if h.first_trial > next {
            return Err(format!(
                "trials {next}..{} are missing (a shard was not given)",
                h.first_trial
            ));
        }
        next = h.first_trial + h.count;
    }
    if next != h0.trials {
        return Err(format!(
            "trials {next}..{} are missing (a shard was not given)",
            h0.trials
        ));
    }
    let mut data: Vec<Vec<f64>> = h0
        .columns
        .iter()
        .map(|_| Vec::with_capacity(h0.trials as usize))
        .collect();
    let mut months = Vec::new();
    for (_, _, c) in shards {
        for (all, part) in data.iter_mut().zip(c.data) {
            all.extend_from_slice(&part);
        }
        months.extend_from_slice(&c.months);
    }
    let cols = TrialColumns {
        names: h0.columns.clone(),
        first_trial: 0,
        data,
        horizon: h0.horizon,
        months,
    };
    Ok((h0, cols))
}

/// First bytes of a sweep shard file (same container, rows in the header).
pub const SWEEP_MAGIC: &[u8; 8] = b"IBSIMSWP";

/// True when `bytes` start like a sweep shard file.
pub fn is_sweep(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && &bytes[..8] == SWEEP_MAGIC
}

/// Serialises a sweep shard: `header` (identity, grid, limits, total points)
/// plus its rows `(point index, values, figures, feasible)` and the cap
/// seen at its last point. Floats are stored as their bits, so the merge
/// reproduces them exactly.
pub fn encode_sweep(
    header: &Value,
    spec: ShardSpec,
    rows: &[(usize, crate::analysis::sweep::SweepRow)],
    cap: Option<f64>,
) -> Vec<u8> {
    let bits = |x: f64| json!(x.to_bits());
    let rows: Vec<Value> = rows
        .iter()
        .map(|(i, (vals, figs, feasible))| {
            json!({
                "index": i,
                "values": vals.iter().map(|v| bits(*v)).collect::<Vec<_>>(),
                "figures": figs.iter().map(|(k, v, se)| json!([k, bits(*v), bits(*se)])).collect::<Vec<_>>(),
                "feasible": feasible,
            })
        })
        .collect();
    let mut h = header.clone();
    h["format"] = json!(FORMAT);
    h["model_version"] = json!(crate::MODEL_VERSION);
    h["shard"] = json!({"index": spec.index, "count": spec.count});
    h["rows"] = json!(rows);
    h["cap"] = cap.map_or(Value::Null, |c| json!(c.to_bits()));
    seal(SWEEP_MAGIC, &h, |_| {})
}

/// A sweep shard as read: its header and rows by point index.
pub struct SweepShard {
    /// Header (identity, grid, limits, total points, cap).
    pub header: Value,
    /// Rows by point index.
    pub rows: Vec<(usize, crate::analysis::sweep::SweepRow)>,
}

/// Reads a sweep shard: magic, version, checksum, rows.
pub fn decode_sweep(bytes: &[u8]) -> Result<SweepShard, String> {
    let (header, rest) = unseal(SWEEP_MAGIC, "sweep shard", bytes)?;
    same_model_version(&header)?;
    if !rest.is_empty() {
        return Err("data after the header of a sweep shard".into());
    }
    let f = |v: &Value| v.as_u64().map(f64::from_bits).ok_or("bad number in a row");
    let mut rows = Vec::new();
    for r in header["rows"].as_array().ok_or("header lacks `rows`")? {
        let index = r["index"].as_u64().ok_or("row lacks `index`")? as usize;
        let vals = r["values"]
            .as_array()
            .ok_or("row lacks `values`")?
            .iter()
            .map(f)
            .collect::<Result<Vec<f64>, _>>()?;
        let mut figs = Vec::new();
        for fig in r["figures"].as_array().ok_or("row lacks `figures`")? {
            let name = fig[0].as_str().ok_or("figure lacks a name")?;
            let name = crate::analysis::sweep::FIGURES
                .iter()
                .find(|k| **k == name)
                .ok_or_else(|| format!("unknown figure `{name}`"))?;
            figs.push((*name, f(&fig[1])?, f(&fig[2])?));
        }
        let feasible = r["feasible"].as_bool().ok_or("row lacks `feasible`")?;
        rows.push((index, (vals, figs, feasible)));
    }
    Ok(SweepShard { header, rows })
}

/// Puts sweep shards back together: same sweep, every point exactly once.
/// Returns the first header and the rows in point order, with the cap of
/// the shard holding the last point.
pub fn assemble_sweep(
    shards: Vec<(String, SweepShard)>,
) -> Result<(Value, Vec<crate::analysis::sweep::SweepRow>, Option<f64>), String> {
    let Some((name0, first)) = shards.first() else {
        return Err("no shard given".into());
    };
    let (name0, h0) = (name0.clone(), first.header.clone());
    let total = h0["points"].as_u64().ok_or("header lacks `points`")? as usize;
    for (name, sh) in &shards {
        for k in [
            "seed",
            "trials",
            "vary",
            "limits",
            "points",
            "model_version",
            "format",
        ] {
            if sh.header[k] != h0[k] {
                return Err(format!(
                    "{name} belongs to another sweep: {k} {} (in {name0}: {})",
                    sh.header[k], h0[k]
                ));
            }
        }
        if sh.header["scenario"]["sha256"] != h0["scenario"]["sha256"] {
            return Err(format!("{name} belongs to another scenario"));
        }
    }
    let mut slots: Vec<Option<crate::analysis::sweep::SweepRow>> = vec![None; total];
    let mut owner: Vec<&str> = vec![""; total];
    let mut cap = None;
    let mut last_seen = None;
    for (name, sh) in &shards {
        for (i, row) in &sh.rows {
            let slot = slots
                .get_mut(*i)
                .ok_or_else(|| format!("{name}: point {i} is outside the grid"))?;
            if slot.is_some() {
                return Err(format!(
                    "{name} repeats point {i} of {} (duplicated shard)",
                    owner[*i]
                ));
            }
            *slot = Some(row.clone());
            owner[*i] = name;
            if last_seen.is_none_or(|l| *i > l) {
                last_seen = Some(*i);
                cap = sh.header["cap"].as_u64().map(f64::from_bits);
            }
        }
    }
    if let Some(i) = slots.iter().position(Option::is_none) {
        return Err(format!(
            "grid point {i} of {total} is missing (a shard was not given)"
        ));
    }
    Ok((h0, slots.into_iter().flatten().collect(), cap))
}

/// First bytes of a Sobol design's shard file (same container: the design's
/// identity and its rows in the header, the outputs after it).
pub const SOBOL_MAGIC: &[u8; 8] = b"IBSIMSOB";

/// True when `bytes` start like a Sobol design's shard file.
pub fn is_sobol(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && &bytes[..8] == SOBOL_MAGIC
}

/// Serialises the outputs of base samples `rows` of a Sobol design
/// ([`crate::analysis::sobol::evaluate`]): `header` (the scenario with its
/// text, seed, trials, condition, base samples, resamples, metrics, inputs)
/// plus the shard and its rows; the outputs as f64 after it.
pub fn encode_sobol(
    header: &Value,
    spec: ShardSpec,
    rows: std::ops::Range<u64>,
    out: &[f64],
) -> Vec<u8> {
    let mut h = header.clone();
    h["format"] = json!(FORMAT);
    h["model_version"] = json!(crate::MODEL_VERSION);
    h["shard"] = json!({"index": spec.index, "count": spec.count});
    h["rows"] = json!({"start": rows.start, "end": rows.end});
    h["values"] = json!(out.len());
    seal(SOBOL_MAGIC, &h, |buf| {
        buf.reserve(8 * out.len());
        for x in out {
            buf.extend_from_slice(&x.to_le_bytes());
        }
    })
}

/// Reads a Sobol design's shard: magic, version, checksum, model version,
/// header and outputs.
pub fn decode_sobol(bytes: &[u8]) -> Result<(Value, Vec<f64>), String> {
    let (header, rest) = unseal(SOBOL_MAGIC, "Sobol design shard", bytes)?;
    same_model_version(&header)?;
    let values = header["values"].as_u64().ok_or("header lacks `values`")?;
    if rest.len() as u64 != 8 * values {
        return Err(format!(
            "{} bytes of outputs where the header says {values} values",
            rest.len()
        ));
    }
    let out = rest
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap_or_default()))
        .collect();
    Ok((header, out))
}

/// Puts a Sobol design's shards back together: the same design (scenario,
/// seed, trials, condition, base samples, resamples, metrics), every base
/// sample exactly once. Returns the first header and the outputs of all
/// rows in order.
pub fn assemble_sobol(
    mut shards: Vec<(String, Value, Vec<f64>)>,
) -> Result<(Value, Vec<f64>), String> {
    let Some((name0, h0, _)) = shards.first() else {
        return Err("no shard given".into());
    };
    let (name0, h0) = (name0.clone(), h0.clone());
    for (name, h, _) in &shards {
        for k in [
            "seed",
            "trials",
            "given",
            "base_samples",
            "resamples",
            "metrics",
            "inputs",
            "model_version",
            "format",
        ] {
            if h[k] != h0[k] {
                return Err(format!(
                    "{name} belongs to another Sobol design: {k} {} (in {name0}: {})",
                    h[k], h0[k]
                ));
            }
        }
        if h["scenario"]["sha256"] != h0["scenario"]["sha256"] {
            return Err(format!("{name} belongs to another scenario"));
        }
    }
    if let Some(m) = missing_shards(shards.iter().map(|(_, h, _)| h)) {
        return Err(m);
    }
    let n = h0["base_samples"]
        .as_u64()
        .ok_or("header lacks `base_samples`")?;
    let row = |h: &Value, k: &str| h["rows"][k].as_u64().ok_or("header lacks `rows`");
    let mut spans = Vec::with_capacity(shards.len());
    for (name, h, out) in &shards {
        let (a, b) = (row(h, "start")?, row(h, "end")?);
        if a > b || b > n {
            return Err(format!("{name}: base samples {a}..{b} are outside 0..{n}"));
        }
        let per_row = if b > a { out.len() as u64 / (b - a) } else { 0 };
        if per_row * (b - a) != out.len() as u64 {
            return Err(format!("{name}: its outputs do not fill its rows"));
        }
        spans.push((a, b, name.clone(), per_row));
    }
    spans.sort();
    let mut next = 0;
    for (a, b, name, _) in &spans {
        if *a < next {
            return Err(format!(
                "{name} repeats base samples from {a} (duplicated or overlapping shard)"
            ));
        }
        if *a > next {
            return Err(format!(
                "base samples {next}..{a} of {n} are missing (a shard was not given)"
            ));
        }
        next = *b;
    }
    if next != n {
        return Err(format!(
            "base samples {next}..{n} of {n} are missing (a shard was not given)"
        ));
    }
    shards.sort_by_key(|(_, h, _)| h["rows"]["start"].as_u64());
    let out = shards.into_iter().flat_map(|(_, _, o)| o).collect();
    Ok((h0, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_every_trial_once() {
        for (t, n) in [(10u64, 3u64), (7, 7), (5, 8), (1_000_003, 100)] {
            let mut next = 0;
            for k in 0..n {
                let r = ShardSpec { index: k, count: n }.range(t);
                assert_eq!(r.start, next);
                next = r.end;
            }
            assert_eq!(next, t);
        }
        assert!(ShardSpec::parse("3/3").is_err());
        assert!(ShardSpec::parse("0/0").is_err());
        assert!(ShardSpec::parse("a/3").is_err());
        assert_eq!(
            ShardSpec::parse("2/5"),
            Ok(ShardSpec { index: 2, count: 5 })
        );
    }
}
