//! A small harness driving the real `ibsim` binary (ripgrep-style).
#![allow(dead_code)]

pub mod invariants;
pub mod library;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path of the built binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ibsim"))
}

/// Repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `ibsim ARGS...` from the repository root.
/// `ibsim run FILE --out OUT --lang LANG`.
pub fn run_in_language(file: &Path, out: &Path, lang: &str) -> Output {
    ibsim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--lang",
        lang,
    ])
}

pub fn ibsim(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(root())
        .env("CI", "1")
        .output()
        .expect("run ibsim")
}

/// A fresh temporary folder for one test, removed when it goes out of scope.
pub struct TempDir(tempfile::TempDir);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

/// A fresh temporary folder for one test (`name` shows in its path).
pub fn tempdir(name: &str) -> TempDir {
    TempDir(
        tempfile::Builder::new()
            .prefix(&format!("ibsim-test-{name}-"))
            .tempdir()
            .unwrap(),
    )
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Every bundled scenario file.
pub fn bundled_scenarios() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["scenarios", "scenarios/bench"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yaml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `summary.json` of the bundled `scenario` (3,000 trials) is the same
/// bytes on 1 and 2 threads and merged from 3 shards.
pub fn same_bytes_for_any_threads_and_shards(scenario: &str) {
    let dir = tempdir(&format!("{scenario}-shards"));
    let out = |name: &str| dir.join(name).display().to_string();
    let file = format!("scenarios/{scenario}.yaml");
    let mut summaries = Vec::new();
    for threads in ["1", "2"] {
        let folder = out(&format!("threads-{threads}"));
        let o = ibsim(&[
            "run",
            &file,
            "--trials",
            "3000",
            "--threads",
            threads,
            "--out",
            &folder,
            "-q",
            "--no-report",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        summaries.push(std::fs::read(format!("{folder}/{scenario}/summary.json")).unwrap());
    }
    let parts = out("parts");
    for k in 0..3 {
        let o = ibsim(&[
            "run",
            &file,
            "--trials",
            "3000",
            "--shard",
            &format!("{k}/3"),
            "--out",
            &parts,
            "-q",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let merged = out("merged");
    let shard = |k: u32| format!("{parts}/{scenario}/shard-{k}-of-3.ibshard");
    let o = ibsim(&[
        "merge",
        &shard(0),
        &shard(1),
        &shard(2),
        "--out",
        &merged,
        "-q",
        "--no-report",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    summaries.push(std::fs::read(format!("{merged}/{scenario}/summary.json")).unwrap());
    assert!(summaries.windows(2).all(|w| w[0] == w[1]), "{scenario}");
}
