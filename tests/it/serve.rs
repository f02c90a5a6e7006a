//! The deal room's API, driven in-process through its router, and its page
//! in a real browser.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common::*;

/// Trials per run in these tests.
const TRIALS: u64 = 3000;

/// A copy of a bundled scenario in a fresh folder (saves go beside it).
fn served(name: &str) -> (TempDir, std::path::PathBuf) {
    let dir = tempdir("serve");
    let text = std::fs::read_to_string(root().join(format!("scenarios/{name}.yaml"))).unwrap();
    let f = write(&dir, &format!("{name}.yaml"), &text);
    (dir, f)
}

/// One request through the router: its status and JSON (or text) body.
fn call(
    room: &Arc<ibsim::serve::Room>,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut req = Request::builder().method(method).uri(uri);
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        let res = ibsim::serve::router(room.clone())
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let v = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, v)
    })
}

fn figure(v: &Value, key: &str) -> f64 {
    v["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .unwrap_or_else(|| panic!("no figure {key}"))["value"]
        .as_f64()
        .unwrap()
}

/// `ibsim run FILE --trials TRIALS`'s summary.json.
fn run_summary(file: &std::path::Path, out: &std::path::Path) -> Value {
    let o = ibsim(&[
        "run",
        file.to_str().unwrap(),
        "--trials",
        &TRIALS.to_string(),
        "--out",
        out.to_str().unwrap(),
        "--no-report",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stem = file.file_stem().unwrap().to_str().unwrap();
    serde_json::from_str(&std::fs::read_to_string(out.join(stem).join("summary.json")).unwrap())
        .unwrap()
}

#[test]
fn a_price_change_gives_the_numbers_of_ibsim_run_on_the_edited_scenario() {
    let (dir, f) = served("empleando-futuro");
    let room =
        Arc::new(ibsim::serve::Room::open(&f, TRIALS, ibsim::report::i18n::Lang::En).unwrap());
    let (status, deal) = call(&room, "GET", "/api/deal", None);
    assert_eq!(status, StatusCode::OK);
    assert!(
        deal["terms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["path"] == "outcomes.placement.price" && t["value"] == 1_480_000.0),
        "{deal}"
    );
    let sets = json!({"outcomes.placement.price": 1_200_000.0});
    let (status, page) = call(&room, "POST", "/api/run", Some(json!({"sets": sets})));
    assert_eq!(status, StatusCode::OK, "{page}");
    // The same edit made to the file and run by the command line.
    let edited = ibsim::analysis::path::set(
        &ibsim::scenario::load(&f).unwrap().scenario,
        "outcomes.placement.price",
        1_200_000.0,
    )
    .unwrap();
    let g = write(
        &dir,
        "edited.yaml",
        &serde_json::to_string(&edited).unwrap(),
    );
    let s = run_summary(&g, &dir.join("out"));
    assert_eq!(
        figure(&page, "prob_loss"),
        s["probabilities"]["prob_loss"]["value"].as_f64().unwrap()
    );
    let cost = s["metrics"]["payer_cost"]["mean"].as_f64().unwrap();
    assert!((figure(&page, "payer_cost_mean") - cost).abs() <= 1e-9 * cost);
    assert_eq!(
        figure(&page, "irr_p50"),
        s["metrics"]["investor_irr"]["p50"].as_f64().unwrap()
    );
    // Against the starting terms on the same trials: a lower price, a
    // higher P(loss), and the difference is the two runs' difference.
    let start = run_summary(&f, &dir.join("start"));
    let p = page["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "prob_loss")
        .unwrap()
        .clone();
    let (v, s0) = (
        p["value"].as_f64().unwrap(),
        start["probabilities"]["prob_loss"]["value"]
            .as_f64()
            .unwrap(),
    );
    assert_eq!(p["start"].as_f64().unwrap(), s0);
    assert!((p["difference"].as_f64().unwrap() - (v - s0)).abs() < 1e-12);
    assert!(
        v > s0,
        "a lower price must not lower the investors' P(loss): {v} vs {s0}"
    );
    assert!(p["difference_se"].as_f64().unwrap() > 0.0);
    assert_eq!(page["charts"].as_array().unwrap().len(), 4);
}

#[test]
fn invalid_input_gives_a_4xx_with_the_validators_message() {
    let (_dir, f) = served("empleando-futuro");
    let room =
        Arc::new(ibsim::serve::Room::open(&f, TRIALS, ibsim::report::i18n::Lang::En).unwrap());
    let (status, v) = call(
        &room,
        "POST",
        "/api/run",
        Some(json!({"sets": {"outcomes.placement.price": -5}})),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["path"], "outcomes.placement.price");
    assert!(
        v["error"].as_str().unwrap().contains("-5 is negative"),
        "{v}"
    );
    let (status, v) = call(
        &room,
        "POST",
        "/api/run",
        Some(json!({"sets": {"outcomes.nothing.price": 3}})),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        v["error"].as_str().unwrap().contains("no item `nothing`"),
        "{v}"
    );
    let (status, _) = call(&room, "GET", "/api/deal?file=../../etc/passwd", None);
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &room,
        "POST",
        "/api/run",
        Some(json!({"sets": {"x": "y".repeat(100_000)}})),
    );
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, v) = call(
        &room,
        "POST",
        "/api/solve",
        Some(
            json!({"path": "outcomes.placement.price", "lo": 5e5, "hi": 3e6, "target": "prob(irr >= 0) >= 0.9"}),
        ),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("unknown metric `irr`"),
        "{v}"
    );
    // The page asks for nothing outside this server.
    let (status, page) = call(&room, "GET", "/", None);
    assert_eq!(status, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(
        html.contains("/api/stream") && !html.contains("http://") && !html.contains("https://")
    );
}

#[test]
fn a_saved_scenario_validates_and_reproduces_the_pages_numbers() {
    let (dir, f) = served("empleando-futuro");
    let room =
        Arc::new(ibsim::serve::Room::open(&f, TRIALS, ibsim::report::i18n::Lang::Es).unwrap());
    let sets = json!({"outcomes.placement.price": 1_300_000.0, "finance.tranches.investors.cap_irr": 0.12});
    let (_, page) = call(
        &room,
        "POST",
        "/api/run",
        Some(json!({"sets": sets, "lang": "es"})),
    );
    assert!(
        page["figures"][0]["label"]
            .as_str()
            .unwrap()
            .contains("TIR"),
        "{page}"
    );
    let (status, saved) = call(&room, "POST", "/api/save", Some(json!({"sets": sets})));
    assert_eq!(status, StatusCode::OK, "{saved}");
    let path = dir.join("empleando-futuro-edited.yaml");
    assert_eq!(saved["path"], path.display().to_string());
    let o = ibsim(&["validate", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = run_summary(&path, &dir.join("out"));
    assert_eq!(
        figure(&page, "prob_loss"),
        s["probabilities"]["prob_loss"]["value"].as_f64().unwrap()
    );
    // Never over a file without confirmation; never the served file; never elsewhere.
    let (status, v) = call(&room, "POST", "/api/save", Some(json!({"sets": sets})));
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    let (status, _) = call(
        &room,
        "POST",
        "/api/save",
        Some(json!({"sets": sets, "overwrite": true})),
    );
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &room,
        "POST",
        "/api/save",
        Some(json!({"sets": sets, "name": "empleando-futuro.yaml", "overwrite": true})),
    );
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = call(
        &room,
        "POST",
        "/api/save",
        Some(json!({"sets": sets, "name": "../elsewhere.yaml"})),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// A Python with Playwright: `IBSIM_TEST_PYTHON`, else `python3`.
fn playwright_python() -> Option<String> {
    let py = std::env::var("IBSIM_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = std::process::Command::new(&py)
        .args(["-c", "import playwright.sync_api"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(py)
}

/// Kills the server when the test ends, whatever happens.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_deal_room_works_in_a_real_browser() {
    use std::io::BufRead;
    let (Some(browser), Some(python)) = (crate::report::chromium(), playwright_python()) else {
        eprintln!(
            "SKIPPED the_deal_room_works_in_a_real_browser: needs Chromium and Playwright for Python (.ci/run installs both)"
        );
        return;
    };
    let (dir, f) = served("bucaramanga-employment");
    let mut child = std::process::Command::new(bin())
        .args([
            "serve",
            f.to_str().unwrap(),
            "--port",
            "0",
            "--trials",
            "20000",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _server = Server(child);
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_owned();
    let shot = dir.join("deal-room.png");
    let o = std::process::Command::new(&python)
        .arg(root().join("tests/browser/deal_room.py"))
        .args([
            url.as_str(),
            browser.to_str().unwrap(),
            shot.to_str().unwrap(),
            "outcomes.placement.price",
            "2600000",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_str(String::from_utf8_lossy(&o.stdout).trim()).unwrap();
    // The page's P(loss) after the change is `ibsim run`'s on the edited scenario.
    let edited = ibsim::analysis::path::set(
        &ibsim::scenario::load(&f).unwrap().scenario,
        "outcomes.placement.price",
        2_600_000.0,
    )
    .unwrap();
    let g = write(
        &dir,
        "edited.yaml",
        &serde_json::to_string(&edited).unwrap(),
    );
    let o = ibsim(&[
        "run",
        g.to_str().unwrap(),
        "--trials",
        "20000",
        "--out",
        dir.join("out").to_str().unwrap(),
        "--no-report",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("out/edited/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        r["after"].as_f64().unwrap(),
        s["probabilities"]["prob_loss"]["value"].as_f64().unwrap()
    );
    assert_ne!(r["before"], r["after"]);
    assert!(
        crate::report::distinct_colours(&shot) > 20,
        "the screenshot is blank"
    );
    eprintln!(
        "deal room: {:.0} ms from the change to the updated P(loss) (20,000 trials; the request {:.0} ms, of which the server {:.0} ms, of which the simulation {:.0} ms)",
        r["ms"].as_f64().unwrap(),
        r["page_ms"].as_f64().unwrap(),
        r["server_ms"].as_f64().unwrap(),
        r["simulation_ms"].as_f64().unwrap()
    );
}

#[test]
fn a_folder_offers_its_scenarios_and_a_taken_port_is_named() {
    let room = Arc::new(
        ibsim::serve::Room::open(
            &root().join("scenarios"),
            TRIALS,
            ibsim::report::i18n::Lang::En,
        )
        .unwrap(),
    );
    let (status, deal) = call(&room, "GET", "/api/deal?file=cali-progresa.yaml", None);
    assert_eq!(status, StatusCode::OK, "{deal}");
    assert_eq!(deal["file"], "cali-progresa.yaml");
    assert!(deal["files"].as_array().unwrap().len() > 10);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let f = root().join("scenarios/empleando-futuro.yaml");
    let o = ibsim(&["serve", f.to_str().unwrap(), "--port", &port]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(&format!("port {port} is taken")),
        "{}",
        stderr(&o)
    );
}

/// A copy of the bundled Por Más programme and its pilot files in a fresh folder.
fn served_programme() -> (TempDir, std::path::PathBuf) {
    let dir = tempdir("serve-programme");
    let src = root().join("scenarios/programmes");
    std::fs::create_dir_all(dir.join("por-mas")).unwrap();
    for e in std::fs::read_dir(src.join("por-mas")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.join("por-mas").join(p.file_name().unwrap())).unwrap();
    }
    let f = dir.join("por-mas.yaml");
    std::fs::copy(src.join("por-mas.yaml"), &f).unwrap();
    (dir, f)
}

/// `ibsim run PROGRAMME --trials TRIALS`'s summary.json.
fn programme_summary(file: &std::path::Path, out: &std::path::Path) -> Value {
    run_summary(file, out)
}

#[test]
fn a_programmes_fund_budget_and_deal_terms_move_its_figures_as_ibsim_run_does() {
    let (dir, f) = served_programme();
    let room =
        Arc::new(ibsim::serve::Room::open(&f, TRIALS, ibsim::report::i18n::Lang::En).unwrap());
    let (status, deal) = call(&room, "GET", "/api/deal", None);
    assert_eq!(status, StatusCode::OK, "{deal}");
    assert_eq!(deal["kind"], "programme");
    let paths: Vec<&str> = deal["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["path"].as_str().unwrap())
        .collect();
    for p in [
        "fund.budget_cap",
        "deals.empleo.loading",
        "deals.empleo.outcomes.placement.price",
    ] {
        assert!(paths.contains(&p), "{p} not offered: {paths:?}");
    }
    // A tighter budget and a higher price in one deal, as the page sends them.
    let sets =
        json!({"fund.budget_cap": 13_000_000.0, "deals.empleo.outcomes.placement.price": 1500.0});
    let (status, page) = call(&room, "POST", "/api/run", Some(json!({"sets": sets})));
    assert_eq!(status, StatusCode::OK, "{page}");
    // The same edits made to the programme and run by the command line.
    let mut lp = ibsim::programme::load(&f).unwrap();
    for (p, x) in sets.as_object().unwrap() {
        lp = ibsim::programme::analysis::set(&lp, p, x.as_f64().unwrap()).unwrap();
    }
    let (status, saved) = call(&room, "POST", "/api/save", Some(json!({"sets": sets})));
    assert_eq!(status, StatusCode::OK, "{saved}");
    let g = dir.join("por-mas-edited.yaml");
    assert_eq!(saved["path"], g.display().to_string());
    let text = std::fs::read_to_string(&g).unwrap();
    // The changed deal is written inline; the others keep their files.
    assert!(text.contains("file: por-mas/clima.yaml"), "{text}");
    assert!(!text.contains("file: por-mas/empleo.yaml"), "{text}");
    let again = ibsim::programme::load(&g).unwrap();
    assert_eq!(again.programme.fund.budget_cap, Some(13_000_000.0));
    assert_eq!(
        serde_json::to_value(&again.deals[0].scenario).unwrap(),
        serde_json::to_value(&lp.deals[0].scenario).unwrap()
    );
    let s = programme_summary(&g, &dir.join("out"));
    let fund = &s["fund"];
    let cost = fund["metrics"]["fund.payer_cost"]["mean"].as_f64().unwrap();
    assert!((figure(&page, "fund.payer_cost_mean") - cost).abs() <= 1e-9 * cost);
    assert_eq!(
        figure(&page, "fund.payer_cost_p95"),
        fund["metrics"]["fund.payer_cost"]["p95"].as_f64().unwrap()
    );
    assert_eq!(
        figure(&page, "prob_fund_budget_binds"),
        fund["probabilities"]["prob_fund_budget_binds"]["value"]
            .as_f64()
            .unwrap()
    );
    assert_eq!(
        figure(&page, "deals.empleo.prob_loss"),
        s["deals"]["empleo"]["probabilities"]["prob_loss"]["value"]
            .as_f64()
            .unwrap()
    );
    assert_eq!(
        figure(&page, "prob_investor_loss.fondo_impacto"),
        s["investors"]["fondo_impacto"]["probabilities"]["prob_investor_loss.fondo_impacto"]
            ["value"]
            .as_f64()
            .unwrap()
    );
    // A tighter budget binds more often than at the starting terms.
    let binds = page["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "prob_fund_budget_binds")
        .unwrap();
    assert!(binds["difference"].as_f64().unwrap() > 0.0, "{binds}");
    let names: Vec<&str> = page["charts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fund", "tail_contributions"]);
    // Invalid programme terms are named; the solve panel reads the fund.
    let (status, v) = call(
        &room,
        "POST",
        "/api/run",
        Some(json!({"sets": {"fund.budget_cap": -1}})),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["path"], "fund.budget_cap");
    let (status, v) = call(
        &room,
        "POST",
        "/api/solve",
        Some(json!({"path": "fund.budget_cap", "lo": 1e7, "hi": 3e7,
                    "target": "prob(fund_budget_binds) <= 0.05"})),
    );
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["targets"][0]["result"], "holds_at_or_above", "{v}");
}

/// Every term a page offers, for every bundled scenario and programme,
/// can be set to its own value and passes validation.
#[test]
fn every_offered_term_can_be_set() {
    for folder in ["scenarios", "scenarios/programmes"] {
        let room = Arc::new(
            ibsim::serve::Room::open(&root().join(folder), 2, ibsim::report::i18n::Lang::En)
                .unwrap(),
        );
        let (_, first) = call(&room, "GET", "/api/deal", None);
        for file in first["files"].as_array().unwrap() {
            let file = file.as_str().unwrap();
            let (status, deal) = call(&room, "GET", &format!("/api/deal?file={file}"), None);
            assert_eq!(status, StatusCode::OK, "{deal}");
            let path = root().join(folder).join(file);
            for t in deal["terms"].as_array().unwrap() {
                let (p, Some(x)) = (t["path"].as_str().unwrap(), t["value"].as_f64()) else {
                    continue;
                };
                let ok = if deal["kind"] == "programme" {
                    let lp = ibsim::programme::load(&path).unwrap();
                    ibsim::programme::analysis::set(&lp, p, x).map(|_| ())
                } else {
                    let s = ibsim::scenario::load(&path).unwrap().scenario;
                    ibsim::analysis::path::set(&s, p, x).map(|_| ())
                };
                assert!(ok.is_ok(), "{file}: {p} = {x}: {ok:?}");
            }
        }
    }
}

/// Reads a streamed run's lines.
fn stream_lines(
    room: &Arc<ibsim::serve::Room>,
    body: Value,
    stop_after: Option<usize>,
) -> Vec<Value> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let req = Request::builder()
            .method("POST")
            .uri("/api/stream")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let res = ibsim::serve::router(room.clone())
            .oneshot(req)
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let mut body = res.into_body();
        let mut lines = Vec::new();
        let mut buf = Vec::new();
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.unwrap().into_data() {
                buf.extend_from_slice(&data);
            }
            while let Some(i) = buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = buf.drain(..=i).collect();
                lines.push(serde_json::from_slice(&line).unwrap());
            }
            if stop_after.is_some_and(|n| lines.len() >= n) {
                // Dropping the body is what a page's abort does.
                return lines;
            }
        }
        lines
    })
}

#[test]
fn a_streamed_run_reports_progress_then_figures_then_charts_and_stops_when_dropped() {
    let (_dir, f) = served("empleando-futuro");
    let room =
        Arc::new(ibsim::serve::Room::open(&f, 20_000, ibsim::report::i18n::Lang::En).unwrap());
    let sets = json!({"outcomes.placement.price": 1_200_000.0});
    let lines = stream_lines(&room, json!({"sets": sets}), None);
    let n = lines.len();
    assert!(n >= 4, "{lines:?}");
    // Progress of the starting terms (first run), then of the edited terms.
    assert_eq!(lines[0]["stage"], "start");
    assert_eq!(lines[0]["progress"], 0);
    assert!(lines[..n - 2].iter().all(|l| l["of"] == 20_000));
    assert!(lines[..n - 2].iter().any(|l| l["stage"] == "edited"));
    let (_, whole) = call(&room, "POST", "/api/run", Some(json!({"sets": sets})));
    assert_eq!(lines[n - 2]["figures"]["figures"], whole["figures"]);
    assert_eq!(lines[n - 1]["charts"], whole["charts"]);
    // A page that goes away stops its run at the next chunk: here the
    // starting run of 200,000 trials, after its first chunk.
    let room =
        Arc::new(ibsim::serve::Room::open(&f, 200_000, ibsim::report::i18n::Lang::En).unwrap());
    let first = stream_lines(&room, json!({"sets": sets}), Some(1));
    assert_eq!(first[0]["progress"], 0);
    assert_eq!(first[0]["stage"], "start");
    let t = std::time::Instant::now();
    while room.stopped_runs() == 0 && t.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(room.stopped_runs(), 1);
}
