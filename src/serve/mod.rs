//! The deal room (`ibsim serve`): a local web page where the parties move a
//! deal's terms and see every party's figures change. This module owns the
//! HTTP API and the page; the binary only binds the socket.
//!
//! API (JSON):
//! - `GET /` the page, every asset embedded (no external request);
//! - `GET /api/deal?file=F` the deal's terms as controls, grouped;
//! - `POST /api/run {file, sets: {PATH: value}, lang}` the figures (with
//!   standard errors), the charts, and the difference from the starting
//!   terms on the same trials (common random numbers);
//! - `POST /api/save {file, sets, name, overwrite}` writes the edited
//!   scenario beside the original (never over a file without `overwrite`);
//! - `POST /api/solve {file, sets, path, lo, hi, target}` a term's value
//!   where the target switches.
//!
//! Invalid values give 422 with the validator's message and the PATH;
//! bodies are limited to 64 KiB; only the served scenario files are read.

pub mod figures;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::analysis::path;
use crate::engine::Draws;
use crate::engine::runner::{TrialColumns, simulate};
use crate::model::Model;
use crate::report::i18n::Lang;
use crate::scenario::{LoadedScenario, Scenario};

/// Most trials a page may ask for.
pub const MAX_TRIALS: u64 = 200_000;
/// Trials of a run when the page does not say (and the default of `--trials`).
pub const DEFAULT_TRIALS: u64 = 20_000;
/// Largest request body.
const MAX_BODY: usize = 64 * 1024;
/// Trials simulated between two checks for a newer request.
const CHUNK: u64 = 4_096;

/// One served scenario: its file, its checked text and its starting run.
struct Deal {
    /// The file's name as the page shows it.
    name: String,
    /// Its path.
    path: PathBuf,
    loaded: LoadedScenario,
    /// The starting terms, compiled.
    model: Arc<Model>,
    /// The starting terms' columns (computed on first use).
    base: tokio::sync::OnceCell<Arc<TrialColumns>>,
}

/// What the server holds: the served scenarios and the settings.
pub struct Room {
    deals: Vec<Deal>,
    /// Trials per run.
    pub trials: u64,
    /// The page's starting language.
    pub lang: Lang,
    /// Bumped by every run request: a run stops when a newer one arrives.
    generation: AtomicU64,
}

/// Why a request failed: its status and a message for the page.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    message: String,
    path: Option<String>,
}

impl Problem {
    fn new(status: StatusCode, message: impl Into<String>) -> Problem {
        Problem {
            status,
            message: message.into(),
            path: None,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": self.message, "path": self.path})),
        )
            .into_response()
    }
}

impl Room {
    /// Serves `target`: a scenario file, or every scenario in a folder (not
    /// its subfolders; programmes are left out). Errors say which file failed.
    pub fn open(target: &Path, trials: u64, lang: Lang) -> Result<Room, String> {
        let files: Vec<PathBuf> = if target.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(target)
                .map_err(|e| format!("cannot read {}: {e}", target.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                .collect();
            v.sort();
            v
        } else {
            vec![target.to_path_buf()]
        };
        let mut deals = Vec::new();
        for p in files {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            if crate::programme::is_programme(&text) {
                continue;
            }
            let loaded = crate::scenario::load(&p).map_err(|d| {
                d.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
            deals.push(Deal {
                model: Arc::new(Model::compile(&loaded.scenario)),
                name: p
                    .file_name()
                    .map_or_else(String::new, |f| f.to_string_lossy().into_owned()),
                path: p,
                loaded,
                base: tokio::sync::OnceCell::new(),
            });
        }
        if deals.is_empty() {
            return Err(format!("no scenario to serve in {}", target.display()));
        }
        Ok(Room {
            deals,
            trials: trials.clamp(2, MAX_TRIALS),
            lang,
            generation: AtomicU64::new(0),
        })
    }

    fn deal(&self, file: Option<&str>) -> Result<&Deal, Problem> {
        match file {
            None => Ok(&self.deals[0]),
            Some(f) => self.deals.iter().find(|d| d.name == f).ok_or_else(|| {
                Problem::new(
                    StatusCode::NOT_FOUND,
                    format!(
                        "no served scenario `{f}`: expected one of {}",
                        self.deals
                            .iter()
                            .map(|d| d.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            }),
        }
    }
}

/// The router of the deal room.
pub fn router(room: Arc<Room>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/deal", get(deal))
        .route("/api/run", post(run))
        .route("/api/save", post(save))
        .route("/api/solve", post(solve))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(room)
}

async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Html(include_str!("page.html")),
    )
        .into_response()
}

#[derive(Deserialize)]
struct FileQuery {
    file: Option<String>,
}

/// `GET /api/deal`: the terms as controls, and the served files.
async fn deal(
    State(room): State<Arc<Room>>,
    Query(q): Query<FileQuery>,
) -> Result<Json<Value>, Problem> {
    let d = room.deal(q.file.as_deref())?;
    let s = &d.loaded.scenario;
    Ok(Json(json!({
        "file": d.name,
        "files": room.deals.iter().map(|d| d.name.clone()).collect::<Vec<_>>(),
        "name": s.name,
        "currency": s.currency,
        "lang": room.lang.code(),
        "trials": room.trials,
        "funded_by": s.finance.funded_by.unwrap_or_default(),
        "terms": figures::terms(s),
    })))
}

/// A request that edits the served scenario.
#[derive(Deserialize)]
struct Edit {
    file: Option<String>,
    #[serde(default)]
    sets: serde_json::Map<String, Value>,
    #[serde(default)]
    lang: Option<String>,
}

/// The served scenario with `sets` applied, each checked: 422 with the
/// validator's message at the first that fails.
fn edited(s: &Scenario, sets: &serde_json::Map<String, Value>) -> Result<Scenario, Problem> {
    let mut out = s.clone();
    for (p, v) in sets {
        let x = v.as_f64().ok_or_else(|| Problem {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: format!("{p}: `{v}` is not a number"),
            path: Some(p.clone()),
        })?;
        out = path::set(&out, p, x).map_err(|e| Problem {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: e,
            path: Some(p.clone()),
        })?;
    }
    Ok(out)
}

/// Simulates `model` for `trials` trials a chunk at a time; `None` when a
/// newer request (generation) arrived in between.
fn simulate_unless_superseded(
    model: &Model,
    trials: u64,
    room: &Room,
    generation: Option<u64>,
) -> Option<TrialColumns> {
    let draws = Draws {
        seed: model.seed,
        trials,
        sampling: model.sampling,
    };
    let mut all: Option<TrialColumns> = None;
    let mut start = 0;
    while start < trials {
        if generation.is_some_and(|g| room.generation.load(Ordering::SeqCst) != g) {
            return None;
        }
        let end = (start + CHUNK).min(trials);
        let part = simulate(model, &draws, start..end, None, &|_| {}).ok()?;
        match &mut all {
            None => all = Some(part),
            Some(a) => {
                for (c, p) in a.data.iter_mut().zip(part.data) {
                    c.extend_from_slice(&p);
                }
                a.months.extend_from_slice(&part.months);
            }
        }
        start = end;
    }
    all
}

fn lang_of(code: Option<&str>, room: &Room) -> Lang {
    match code {
        Some("es") => Lang::Es,
        Some("en") => Lang::En,
        _ => room.lang,
    }
}

/// `POST /api/run`.
async fn run(State(room): State<Arc<Room>>, Json(e): Json<Edit>) -> Result<Json<Value>, Problem> {
    let generation = room.generation.fetch_add(1, Ordering::SeqCst) + 1;
    let d = room.deal(e.file.as_deref())?;
    let scenario = edited(&d.loaded.scenario, &e.sets)?;
    let lang = lang_of(e.lang.as_deref(), &room);
    let trials = room.trials;
    let base_model = d.model.clone();
    let base = d
        .base
        .get_or_try_init(|| {
            let room = room.clone();
            let m = base_model.clone();
            async move {
                tokio::task::spawn_blocking(move || {
                    simulate_unless_superseded(&m, trials, &room, None).map(Arc::new)
                })
                .await
                .ok()
                .flatten()
                .ok_or_else(|| {
                    Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "the starting run failed")
                })
            }
        })
        .await?
        .clone();
    let room2 = room.clone();
    let name = d.name.clone();
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || -> Result<Value, Problem> {
        let model = Model::compile(&scenario);
        let Some(cols) = simulate_unless_superseded(&model, trials, &room2, Some(generation))
        else {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "superseded by a newer change",
            ));
        };
        figures::page_figures(&name, &scenario, &model, &cols, &base_model, &base, lang)
            .map_err(|m| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, m))
    })
    .await
    .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??;
    let mut out = out;
    out["milliseconds"] = json!(started.elapsed().as_secs_f64() * 1000.0);
    Ok(Json(out))
}

#[derive(Deserialize)]
struct Save {
    file: Option<String>,
    #[serde(default)]
    sets: serde_json::Map<String, Value>,
    name: Option<String>,
    #[serde(default)]
    overwrite: bool,
}

/// `POST /api/save`: the edited scenario as YAML beside the original.
async fn save(State(room): State<Arc<Room>>, Json(s): Json<Save>) -> Result<Json<Value>, Problem> {
    let d = room.deal(s.file.as_deref())?;
    let scenario = edited(&d.loaded.scenario, &s.sets)?;
    let stem = d
        .path
        .file_stem()
        .map_or_else(|| "scenario".into(), |f| f.to_string_lossy().into_owned());
    let name = s.name.unwrap_or_else(|| format!("{stem}-edited.yaml"));
    // A plain file name: written beside the served scenario, nowhere else.
    let ok_name = !name.is_empty()
        && name.len() <= 120
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !name.starts_with('.')
        && (name.ends_with(".yaml") || name.ends_with(".yml"));
    if !ok_name {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "`{name}` is not a file name: expected letters, digits, - _ . and .yaml at the end"
            ),
        ));
    }
    let target = d.path.with_file_name(&name);
    if target == d.path {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "the served scenario itself is never overwritten: choose another name",
        ));
    }
    if target.exists() && !s.overwrite {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            format!("{name} exists: confirm to overwrite it, or choose another name"),
        ));
    }
    let yaml = figures::to_yaml(&scenario, &d.name, &s.sets);
    crate::output::write_atomic(&target, yaml.as_bytes()).map_err(|e| {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write {}: {e}", target.display()),
        )
    })?;
    Ok(Json(
        json!({"path": target.display().to_string(), "name": name, "yaml": yaml}),
    ))
}

#[derive(Deserialize)]
struct Solve {
    file: Option<String>,
    #[serde(default)]
    sets: serde_json::Map<String, Value>,
    path: String,
    lo: f64,
    hi: f64,
    target: String,
}

/// `POST /api/solve`: where one term meets a target (the edited terms held).
async fn solve(
    State(room): State<Arc<Room>>,
    Json(s): Json<Solve>,
) -> Result<Json<Value>, Problem> {
    let d = room.deal(s.file.as_deref())?;
    let scenario = edited(&d.loaded.scenario, &s.sets)?;
    let bad = |m: String| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, m);
    if !(s.lo.is_finite() && s.hi.is_finite() && s.lo < s.hi) {
        return Err(bad("the range needs two numbers, the low one first".into()));
    }
    for x in [s.lo, s.hi] {
        path::set(&scenario, &s.path, x).map_err(|e| Problem {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: e,
            path: Some(s.path.clone()),
        })?;
    }
    let model = Model::compile(&scenario);
    let layout = crate::engine::Layout::new(&model);
    let target = crate::analysis::target::Target::parse(&s.target, &layout.names).map_err(bad)?;
    let vary = crate::analysis::sweep::Vary {
        path: s.path.clone(),
        lo: s.lo,
        hi: s.hi,
        steps: 0,
    };
    let trials = room.trials;
    let seed = model.seed;
    let result = tokio::task::spawn_blocking(move || {
        crate::analysis::solve::solve(&scenario, &vary, &[target], 7, 1e-3, trials, seed, None)
    })
    .await
    .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
    .map_err(bad)?;
    Ok(Json(result.to_json()))
}
