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
pub mod programme;

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::body::Body;
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
use crate::programme::LoadedProgramme;
use crate::programme::run::{ProgrammeColumns, ProgrammeModel};
use crate::report::i18n::Lang;
use crate::scenario::{LoadedScenario, Scenario};

/// Most trials a page may ask for.
pub const MAX_TRIALS: u64 = 200_000;
/// Trials of a run when the page does not say (and the default of `--trials`).
pub const DEFAULT_TRIALS: u64 = 20_000;
/// Largest request body.
const MAX_BODY: usize = 64 * 1024;
/// Trials of the first chunk of a file's first run; later chunks are sized
/// to take about [`CHUNK_SECONDS`] at the pace last measured on that file.
/// Between two chunks a run reports its progress and may be stopped, so a
/// run shorter than that is one chunk and a longer one shows progress.
const FIRST_CHUNK: u64 = 2_048;
/// About how long a chunk takes.
const CHUNK_SECONDS: f64 = 0.25;

/// A programme's compiled terms and their columns.
struct ProgrammeRun {
    pm: ProgrammeModel,
    cols: ProgrammeColumns,
}

/// What a served file holds.
enum Terms {
    /// One deal.
    Scenario {
        loaded: Box<LoadedScenario>,
        /// The starting terms, compiled.
        model: Arc<Model>,
        /// The starting terms' columns (computed on first use).
        base: OnceLock<Arc<TrialColumns>>,
    },
    /// A programme of deals paid from one fund.
    Programme {
        loaded: Box<LoadedProgramme>,
        /// The starting terms' run (computed on first use).
        base: OnceLock<Arc<ProgrammeRun>>,
    },
}

/// One served file: its name, its path and its checked terms.
struct Served {
    /// The file's name as the page shows it.
    name: String,
    /// Its path.
    path: PathBuf,
    terms: Terms,
    /// Nanoseconds per trial of its last chunk (0: not run yet).
    pace: AtomicU64,
}

/// What the server holds: the served files and the settings.
pub struct Room {
    served: Vec<Served>,
    /// Trials per run.
    pub trials: u64,
    /// The page's starting language.
    pub lang: Lang,
    /// Bumped by every `/api/run`: such a run stops when a newer one arrives.
    generation: AtomicU64,
    /// Runs stopped before the end because the page moved on.
    stopped: AtomicU64,
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

    /// A value the validator rejected at `path`.
    fn invalid(path: &str, message: String) -> Problem {
        Problem {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message,
            path: Some(path.to_owned()),
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

fn joined(d: Vec<crate::scenario::Diagnostic>) -> String {
    d.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl Room {
    /// Serves `target`: a scenario or programme file, or every one in a
    /// folder (not its subfolders). Errors say which file failed.
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
        let mut served = Vec::new();
        for p in files {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            let terms = if crate::programme::is_programme(&text) {
                Terms::Programme {
                    loaded: Box::new(crate::programme::load(&p).map_err(joined)?),
                    base: OnceLock::new(),
                }
            } else {
                let loaded = Box::new(crate::scenario::load(&p).map_err(joined)?);
                Terms::Scenario {
                    model: Arc::new(Model::compile(&loaded.scenario)),
                    loaded,
                    base: OnceLock::new(),
                }
            };
            served.push(Served {
                name: p
                    .file_name()
                    .map_or_else(String::new, |f| f.to_string_lossy().into_owned()),
                path: p,
                terms,
                pace: AtomicU64::new(0),
            });
        }
        if served.is_empty() {
            return Err(format!("no scenario to serve in {}", target.display()));
        }
        Ok(Room {
            served,
            trials: trials.clamp(2, MAX_TRIALS),
            lang,
            generation: AtomicU64::new(0),
            stopped: AtomicU64::new(0),
        })
    }

    /// Runs stopped before their end because a newer change arrived or the
    /// page went away.
    pub fn stopped_runs(&self) -> u64 {
        self.stopped.load(Ordering::SeqCst)
    }

    fn served(&self, file: Option<&str>) -> Result<&Served, Problem> {
        self.index(file).map(|i| &self.served[i])
    }

    /// The position of the served file called `file` (None: the first).
    fn index(&self, file: Option<&str>) -> Result<usize, Problem> {
        match file {
            None => Ok(0),
            Some(f) => self.served.iter().position(|d| d.name == f).ok_or_else(|| {
                Problem::new(
                    StatusCode::NOT_FOUND,
                    format!(
                        "no served scenario `{f}`: expected one of {}",
                        self.served
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
        .route("/api/stream", post(stream))
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
    let d = room.served(q.file.as_deref())?;
    let files: Vec<String> = room.served.iter().map(|d| d.name.clone()).collect();
    let common = json!({
        "file": d.name,
        "files": files,
        "lang": room.lang.code(),
        "trials": room.trials,
    });
    let mut out = match &d.terms {
        Terms::Scenario { loaded, .. } => {
            let s = &loaded.scenario;
            json!({
                "kind": "scenario",
                "name": s.name,
                "currency": s.currency,
                "funded_by": s.finance.funded_by.unwrap_or_default(),
                "terms": figures::terms(s),
            })
        }
        Terms::Programme { loaded, .. } => json!({
            "kind": "programme",
            "name": loaded.programme.name,
            "currency": loaded.programme.currency,
            "terms": programme::terms(loaded),
        }),
    };
    for (k, v) in common.as_object().into_iter().flatten() {
        out[k] = v.clone();
    }
    Ok(Json(out))
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

/// The numbers of `sets`, or 422 at the first that is not one.
fn numbers(sets: &serde_json::Map<String, Value>) -> Result<Vec<(&str, f64)>, Problem> {
    sets.iter()
        .map(|(p, v)| {
            v.as_f64()
                .map(|x| (p.as_str(), x))
                .ok_or_else(|| Problem::invalid(p, format!("{p}: `{v}` is not a number")))
        })
        .collect()
}

/// The served scenario with `sets` applied, each checked: 422 with the
/// validator's message at the first that fails.
fn edited(s: &Scenario, sets: &serde_json::Map<String, Value>) -> Result<Scenario, Problem> {
    let mut out = s.clone();
    for (p, x) in numbers(sets)? {
        out = path::set(&out, p, x).map_err(|e| Problem::invalid(p, e))?;
    }
    Ok(out)
}

/// The served programme with `sets` applied, each checked.
fn edited_programme(
    lp: &LoadedProgramme,
    sets: &serde_json::Map<String, Value>,
) -> Result<LoadedProgramme, Problem> {
    let mut out = lp.clone();
    for (p, x) in numbers(sets)? {
        out = crate::programme::analysis::set(&out, p, x).map_err(|e| Problem::invalid(p, e))?;
    }
    Ok(out)
}

/// The edited terms, checked, ready to run (`None`: the starting terms).
enum Edited {
    Scenario(Option<Box<Scenario>>),
    Programme(Option<Box<LoadedProgramme>>),
}

fn prepare(d: &Served, sets: &serde_json::Map<String, Value>) -> Result<Edited, Problem> {
    Ok(match &d.terms {
        Terms::Scenario { loaded, .. } => Edited::Scenario(if sets.is_empty() {
            None
        } else {
            Some(Box::new(edited(&loaded.scenario, sets)?))
        }),
        Terms::Programme { loaded, .. } => Edited::Programme(if sets.is_empty() {
            None
        } else {
            Some(Box::new(edited_programme(loaded, sets)?))
        }),
    })
}

/// Asked between chunks of a run with (stage, trials done, trials in
/// all): false stops the run. Stages: `start` (the starting terms, run
/// once per served file) and `edited`.
type Go<'a> = &'a dyn Fn(&'static str, u64, u64) -> bool;

/// Runs trials `0..trials` a chunk at a time through `chunk`, appending
/// each to the last; `None` when `go` says stop.
fn chunked<T>(
    trials: u64,
    pace: &AtomicU64,
    stage: &'static str,
    go: Go,
    chunk: impl Fn(std::ops::Range<u64>) -> Option<T>,
    append: impl Fn(&mut T, T),
) -> Option<T> {
    let mut all: Option<T> = None;
    let mut start = 0;
    let chunk_for = |nanos: u64| {
        if nanos == 0 {
            FIRST_CHUNK
        } else {
            ((CHUNK_SECONDS * 1e9 / nanos as f64) as u64).max(FIRST_CHUNK)
        }
    };
    let mut size = chunk_for(pace.load(Ordering::Relaxed));
    while start < trials {
        if !go(stage, start, trials) {
            return None;
        }
        let end = (start + size).min(trials);
        let clock = Instant::now();
        let part = chunk(start..end)?;
        // Trials that take about CHUNK_SECONDS at the pace just measured.
        let nanos = (clock.elapsed().as_nanos() / u128::from(end - start)).max(1);
        let nanos = u64::try_from(nanos).unwrap_or(u64::MAX);
        pace.store(nanos, Ordering::Relaxed);
        size = chunk_for(nanos);
        match &mut all {
            None => all = Some(part),
            Some(a) => append(a, part),
        }
        start = end;
    }
    all
}

/// Simulates `model` for `trials` trials; `None` when `go` says stop.
fn simulate_scenario(
    model: &Model,
    trials: u64,
    pace: &AtomicU64,
    stage: &'static str,
    go: Go,
) -> Option<TrialColumns> {
    let draws = Draws {
        seed: model.seed,
        trials,
        sampling: model.sampling,
    };
    chunked(
        trials,
        pace,
        stage,
        go,
        |r| simulate(model, &draws, r, None, &|_| {}).ok(),
        TrialColumns::append,
    )
}

/// Compiles and simulates a programme for `trials` trials with its own
/// seeds; `None` when `go` says stop.
fn simulate_programme(
    lp: &LoadedProgramme,
    trials: u64,
    pace: &AtomicU64,
    stage: &'static str,
    go: Go,
) -> Option<ProgrammeRun> {
    let mut pm = ProgrammeModel::compile(lp);
    pm.trials = trials;
    let cols = chunked(
        trials,
        pace,
        stage,
        go,
        |r| crate::programme::run::simulate_range(&pm, r, None).ok(),
        |a: &mut ProgrammeColumns, b| {
            for (x, y) in a.deals.iter_mut().zip(b.deals) {
                x.append(y);
            }
            a.fund.append(b.fund);
        },
    )?;
    Some(ProgrammeRun { pm, cols })
}

/// Draws a finished run's charts, `[{name, title, svg}]`.
type Charts = Box<dyn FnOnce() -> Result<Vec<Value>, String> + Send>;

/// A finished run: its headline figures, and its charts when asked for.
struct Computed {
    head: Value,
    charts: Charts,
}

/// Runs the edited terms (and, the first time, the starting terms) of `d`
/// and measures the figures; `None` when `go` stopped it.
fn compute(room: &Room, index: usize, edited: Edited, lang: Lang, go: Go) -> Option<Computed> {
    let d = &room.served[index];
    let trials = room.trials;
    let started = Instant::now();
    let simulated: std::time::Duration;
    let stopped = || {
        room.stopped.fetch_add(1, Ordering::SeqCst);
        None
    };
    let (figures, seed, charts): (Vec<Value>, u64, Charts) = match (&d.terms, edited) {
        (
            Terms::Scenario {
                model: base_model,
                base,
                ..
            },
            Edited::Scenario(s),
        ) => {
            let base = match base.get() {
                Some(b) => b.clone(),
                None => {
                    let Some(cols) = simulate_scenario(base_model, trials, &d.pace, "start", go)
                    else {
                        return stopped();
                    };
                    base.get_or_init(|| Arc::new(cols)).clone()
                }
            };
            let (model, cols) = match s {
                None => (base_model.clone(), base.clone()),
                Some(s) => {
                    let model = Arc::new(Model::compile(&s));
                    let Some(cols) = simulate_scenario(&model, trials, &d.pace, "edited", go)
                    else {
                        return stopped();
                    };
                    (model, Arc::new(cols))
                }
            };
            simulated = started.elapsed();
            let figs = figures::headline(&model, &cols, base_model, &base, lang);
            let file = d.name.clone();
            let seed = model.seed;
            (
                figs,
                seed,
                Box::new(move || figures::charts(&model, &cols, &file, lang)),
            )
        }
        (Terms::Programme { loaded, base }, Edited::Programme(p)) => {
            let base = match base.get() {
                Some(b) => b.clone(),
                None => {
                    let Some(run) = simulate_programme(loaded, trials, &d.pace, "start", go) else {
                        return stopped();
                    };
                    base.get_or_init(|| Arc::new(run)).clone()
                }
            };
            let run = match p {
                None => base.clone(),
                Some(p) => {
                    let Some(run) = simulate_programme(&p, trials, &d.pace, "edited", go) else {
                        return stopped();
                    };
                    Arc::new(run)
                }
            };
            simulated = started.elapsed();
            let figs = programme::headline(&run.pm, &run.cols, &base.pm, &base.cols, lang);
            let file = d.name.clone();
            let seed = run.pm.seed;
            (
                figs,
                seed,
                Box::new(move || programme::charts(&run.pm, &run.cols, &file, lang)),
            )
        }
        _ => return None,
    };
    let (name, currency) = match &d.terms {
        Terms::Scenario { loaded, .. } => (&loaded.scenario.name, &loaded.scenario.currency),
        Terms::Programme { loaded, .. } => (&loaded.programme.name, &loaded.programme.currency),
    };
    Some(Computed {
        head: json!({
            "name": name,
            "currency": currency,
            "trials": trials,
            "seed": seed,
            "figures": figures,
            "milliseconds": started.elapsed().as_secs_f64() * 1000.0,
            "simulation_milliseconds": simulated.as_secs_f64() * 1000.0,
        }),
        charts,
    })
}

fn lang_of(code: Option<&str>, room: &Room) -> Lang {
    match code {
        Some("es") => Lang::Es,
        Some("en") => Lang::En,
        _ => room.lang,
    }
}

/// `POST /api/run`: the figures and the charts in one answer (409 when a
/// newer `/api/run` arrived before it finished).
async fn run(State(room): State<Arc<Room>>, Json(e): Json<Edit>) -> Result<Json<Value>, Problem> {
    let generation = room.generation.fetch_add(1, Ordering::SeqCst) + 1;
    let index = room.index(e.file.as_deref())?;
    let edited = prepare(&room.served[index], &e.sets)?;
    let lang = lang_of(e.lang.as_deref(), &room);
    let started = Instant::now();
    tokio::task::spawn_blocking(move || -> Result<Value, Problem> {
        let go =
            |_: &'static str, _: u64, _: u64| room.generation.load(Ordering::SeqCst) == generation;
        let Some(c) = compute(&room, index, edited, lang, &go) else {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "superseded by a newer change",
            ));
        };
        let mut out = c.head;
        out["charts"] =
            json!((c.charts)().map_err(|m| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, m))?);
        out["milliseconds"] = json!(started.elapsed().as_secs_f64() * 1000.0);
        Ok(out)
    })
    .await
    .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
    .map(Json)
}

/// `POST /api/stream`: the run as lines of JSON, sent as they are ready:
/// `{"progress": done, "of": trials, "stage": "start"|"edited"}` between
/// chunks, then `{"figures": ...}` (the headline figures), then
/// `{"charts": [...]}`. Closing the request stops the run at the next chunk.
async fn stream(State(room): State<Arc<Room>>, Json(e): Json<Edit>) -> Result<Response, Problem> {
    let index = room.index(e.file.as_deref())?;
    let edited = prepare(&room.served[index], &e.sets)?;
    let lang = lang_of(e.lang.as_deref(), &room);
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(8);
    let started = Instant::now();
    tokio::task::spawn_blocking(move || {
        let line = |v: Value| format!("{v}\n");
        let go = |stage: &'static str, done: u64, of: u64| {
            tx.blocking_send(line(json!({"progress": done, "of": of, "stage": stage})))
                .is_ok()
        };
        let Some(c) = compute(&room, index, edited, lang, &go) else {
            return;
        };
        let mut head = c.head;
        head["milliseconds"] = json!(started.elapsed().as_secs_f64() * 1000.0);
        if tx.blocking_send(line(json!({"figures": head}))).is_err() || tx.is_closed() {
            room.stopped.fetch_add(1, Ordering::SeqCst);
            return;
        }
        let charts = match (c.charts)() {
            Ok(c) => json!({"charts": c, "milliseconds": started.elapsed().as_secs_f64() * 1000.0}),
            Err(m) => json!({"error": m}),
        };
        let _ = tx.blocking_send(line(charts));
    });
    let lines = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|l| (Ok::<_, Infallible>(l), rx))
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(lines),
    )
        .into_response())
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
    let d = room.served(s.file.as_deref())?;
    let yaml = match &d.terms {
        Terms::Scenario { loaded, .. } => {
            figures::to_yaml(&edited(&loaded.scenario, &s.sets)?, &d.name, &s.sets)
        }
        Terms::Programme { loaded, .. } => {
            programme::to_yaml(&edited_programme(loaded, &s.sets)?, &d.name, &s.sets)
        }
    };
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

/// One solve point: the run's columns at a value of the term.
type PointRun = Box<dyn FnMut(f64) -> Result<TrialColumns, String> + Send>;

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
    let d = room.served(s.file.as_deref())?;
    let bad = |m: String| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, m);
    if !(s.lo.is_finite() && s.hi.is_finite() && s.lo < s.hi) {
        return Err(bad("the range needs two numbers, the low one first".into()));
    }
    let vary = crate::analysis::sweep::Vary {
        path: s.path.clone(),
        lo: s.lo,
        hi: s.hi,
        steps: 0,
    };
    let trials = room.trials;
    let parse = |names: &[String]| crate::analysis::target::Target::parse(&s.target, names);
    // Each kind's run of one value of the term, with the edited terms held.
    let (run, target): (PointRun, _) = match &d.terms {
        Terms::Scenario { loaded, .. } => {
            let scenario = edited(&loaded.scenario, &s.sets)?;
            for x in [s.lo, s.hi] {
                path::set(&scenario, &s.path, x).map_err(|e| Problem::invalid(&s.path, e))?;
            }
            let model = Model::compile(&scenario);
            let names = crate::engine::Layout::new(&model).names;
            let target = parse(&names).map_err(bad)?;
            let seed = model.seed;
            let p = s.path.clone();
            let run: PointRun = Box::new(move |x| {
                crate::analysis::sweep::run_point(&scenario, &[(p.as_str(), x)], trials, seed, None)
                    .map(|r| r.1)
            });
            (run, target)
        }
        Terms::Programme { loaded, .. } => {
            let lp = edited_programme(loaded, &s.sets)?;
            for x in [s.lo, s.hi] {
                crate::programme::analysis::set(&lp, &s.path, x)
                    .map_err(|e| Problem::invalid(&s.path, e))?;
            }
            let pm = ProgrammeModel::compile(&lp);
            let names = crate::programme::analysis::column_names(&pm);
            let target = parse(&names).map_err(bad)?;
            let seed = pm.seed;
            let p = s.path.clone();
            let run: PointRun = Box::new(move |x| {
                crate::programme::analysis::run_point(&lp, &[(p.as_str(), x)], trials, seed, None)
                    .map(|(pm, cols)| crate::programme::analysis::target_columns(&pm, cols))
            });
            (run, target)
        }
    };
    let mut run = run;
    let result = tokio::task::spawn_blocking(move || {
        crate::analysis::solve::solve_by(&mut run, &vary, &[target], 7, 1e-3)
    })
    .await
    .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
    .map_err(|m| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    Ok(Json(result.to_json()))
}
