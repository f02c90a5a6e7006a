//! Deal-room benchmark: for every bundled scenario and programme, the time
//! from a changed price to the updated figures (and to the charts) of a
//! streamed run, through the deal room's router in-process, on the same
//! trials as the page (20,000 by default).
//!
//! Run with `cargo bench --bench deal_room`; `IBSIM_BENCH_TRIALS` sets the
//! trials, `IBSIM_BENCH_ONLY` a part of the file names to keep. Each file's
//! starting run is made first (the page makes it when it opens); then three
//! changes of its first price, each figure the best of the three. The
//! browser adds its own few milliseconds (the real-browser test prints the
//! whole figure).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use ibsim::report::i18n::Lang;
use ibsim::serve::{Room, router};

/// Milliseconds to the figures line and to the charts line of one run.
async fn stream(room: &Arc<Room>, body: Value) -> (f64, f64) {
    let req = Request::builder()
        .method("POST")
        .uri("/api/stream")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let t0 = Instant::now();
    let res = router(room.clone()).oneshot(req).await.expect("router");
    let mut body = res.into_body();
    let (mut figures, mut charts) = (f64::NAN, f64::NAN);
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.expect("frame").into_data() {
            buf.extend_from_slice(&data);
        }
        while let Some(i) = buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buf.drain(..=i).collect();
            let v: Value = serde_json::from_slice(&line).expect("a JSON line");
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            if v.get("figures").is_some() {
                figures = ms;
            } else if v.get("charts").is_some() {
                charts = ms;
            } else if let Some(e) = v.get("error") {
                panic!("{e}");
            }
        }
    }
    (figures, charts)
}

async fn get(room: &Arc<Room>, uri: &str) -> Value {
    let req = Request::builder()
        .uri(uri)
        .body(Body::empty())
        .expect("request");
    let res = router(room.clone()).oneshot(req).await.expect("router");
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    serde_json::from_slice(&bytes).expect("JSON")
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let trials: u64 = std::env::var("IBSIM_BENCH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ibsim::serve::DEFAULT_TRIALS);
    let only = std::env::var("IBSIM_BENCH_ONLY").unwrap_or_default();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    println!(
        "{:<36} {:>9} {:>9}   ({trials} trials, {} threads)",
        "file: the first price changed",
        "figures",
        "charts",
        rayon::current_num_threads()
    );
    for folder in ["scenarios", "scenarios/programmes"] {
        let room = Arc::new(Room::open(&root.join(folder), trials, Lang::En).expect("room"));
        rt.block_on(async {
            let first = get(&room, "/api/deal").await;
            for file in first["files"].as_array().into_iter().flatten() {
                let file = file.as_str().unwrap_or_default();
                if !file.contains(only.as_str()) {
                    continue;
                }
                let deal = get(&room, &format!("/api/deal?file={file}")).await;
                let terms = deal["terms"].as_array().cloned().unwrap_or_default();
                let Some(t) = terms
                    .iter()
                    .find(|t| t["path"].as_str().is_some_and(|p| p.ends_with(".price")))
                else {
                    continue;
                };
                let (path, value) = (
                    t["path"].as_str().unwrap_or_default(),
                    t["value"].as_f64().unwrap_or(1.0),
                );
                stream(&room, json!({"file": file, "sets": {}})).await;
                let mut best = (f64::INFINITY, f64::INFINITY);
                for k in 0..3 {
                    let sets = json!({path: value * (1.10 + 0.01 * f64::from(k))});
                    let (f, c) = stream(&room, json!({"file": file, "sets": sets})).await;
                    best = (best.0.min(f), best.1.min(c));
                }
                println!("{file:<36} {:>6.0} ms {:>6.0} ms", best.0, best.1);
            }
        });
    }
}
