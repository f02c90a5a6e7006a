//! Shards and merge: the merged summary.json is byte for byte the unsharded
//! run's, and every broken set of shards is refused with a clear message.

use crate::common::*;
use std::path::{Path, PathBuf};

fn scenario(dir: &Path, sampling: &str) -> PathBuf {
    let text =
        std::fs::read_to_string(root().join("scenarios/bucaramanga-employment.yaml")).unwrap();
    let text = if sampling == "lhs" {
        assert!(
            !text.contains("sampling:"),
            "the scenario uses the default sampling"
        );
        text.replace("  seed: 2024\n", "  seed: 2024\n  sampling: lhs\n")
    } else {
        text
    };
    write(dir, "deal.yaml", &text)
}

fn shards(dir: &Path, s: &Path, n: u64, trials: &str, seed: &str) -> Vec<PathBuf> {
    let out = dir.join(format!("parts-{n}-{trials}-{seed}"));
    (0..n)
        .map(|k| {
            let o = ibsim(&[
                "run",
                s.to_str().unwrap(),
                "--trials",
                trials,
                "--seed",
                seed,
                "--shard",
                &format!("{k}/{n}"),
                "--out",
                out.to_str().unwrap(),
                "-q",
            ]);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            out.join(format!("deal/shard-{k}-of-{n}.ibshard"))
        })
        .collect()
}

fn merge(dir: &Path, parts: &[PathBuf], name: &str, report: bool) -> std::process::Output {
    let out = dir.join(name);
    let mut args = vec!["merge".to_string()];
    args.extend(parts.iter().map(|p| p.display().to_string()));
    args.extend(["--out".into(), out.display().to_string(), "-q".into()]);
    if !report {
        args.push("--no-report".into());
    }
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    ibsim(&a)
}

#[test]
fn merged_shards_equal_the_unsharded_run_byte_for_byte() {
    for sampling in ["random", "lhs"] {
        let dir = tempdir(&format!("shard-{sampling}"));
        let s = scenario(&dir, sampling);
        let full = dir.join("full");
        let mut args = vec![
            "run",
            s.to_str().unwrap(),
            "--trials",
            "3001",
            "--seed",
            "17",
            "--out",
            full.to_str().unwrap(),
            "-q",
        ];
        if sampling != "random" {
            args.push("--no-report");
        }
        let o = ibsim(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let expected = std::fs::read(full.join("deal/summary.json")).unwrap();
        for n in [1u64, 3, 7] {
            let parts = shards(&dir, &s, n, "3001", "17");
            let name = format!("merged-{n}");
            // Given in any order.
            let mut shuffled = parts.clone();
            shuffled.reverse();
            let o = merge(&dir, &shuffled, &name, n == 3 && sampling == "random");
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            let got = std::fs::read(dir.join(&name).join("deal/summary.json")).unwrap();
            assert!(
                got == expected,
                "{sampling}, {n} shards: summary.json differs"
            );
            if n == 3 && sampling == "random" {
                for f in ["report.html", "workbook.xlsx", "charts/funding_fan.png"] {
                    assert!(dir.join(&name).join("deal").join(f).exists(), "{f}");
                }
                // The month-by-month series travel in the shards: the charts
                // drawn from them are the unsharded run's.
                for f in ["charts/funding_fan.svg", "charts/deal_account.svg"] {
                    let a = std::fs::read(dir.join(&name).join("deal").join(f)).unwrap();
                    let b = std::fs::read(full.join("deal").join(f)).unwrap();
                    assert!(a == b, "{f} differs after merging");
                }
            }
        }
    }
}

#[test]
fn broken_shard_sets_are_refused() {
    let dir = tempdir("shard-broken");
    let s = scenario(&dir, "random");
    let parts = shards(&dir, &s, 3, "2000", "5");
    let fails = |set: &[PathBuf], needle: &str| {
        let o = merge(&dir, set, "m", false);
        assert_eq!(o.status.code(), Some(1), "{needle}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains(needle), "expected `{needle}` in: {e}");
        assert_eq!(e.lines().count(), 1, "one line: {e}");
        assert!(!dir.join("m/deal/summary.json").exists(), "nothing written");
    };
    // Missing, duplicated.
    fails(&[parts[0].clone(), parts[2].clone()], "missing");
    fails(&[parts[0].clone(), parts[1].clone()], "missing");
    fails(
        &[
            parts[0].clone(),
            parts[1].clone(),
            parts[1].clone(),
            parts[2].clone(),
        ],
        "repeats trials",
    );
    // Truncated and corrupted.
    let bytes = std::fs::read(&parts[1]).unwrap();
    let cut = write_bytes(&dir, "cut.ibshard", &bytes[..bytes.len() / 2]);
    fails(
        &[parts[0].clone(), cut, parts[2].clone()],
        "truncated or corrupted",
    );
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x10;
    let bad = write_bytes(&dir, "bad.ibshard", &flipped);
    fails(
        &[parts[0].clone(), bad, parts[2].clone()],
        "truncated or corrupted",
    );
    let junk = write_bytes(&dir, "junk.ibshard", b"hello");
    fails(&[junk], "not an ibsim shard file");
    // Foreign: another seed, another trial count, another scenario.
    let other_seed = shards(&dir, &s, 3, "2000", "6");
    fails(
        &[parts[0].clone(), other_seed[1].clone(), parts[2].clone()],
        "belongs to another run: seed",
    );
    let other_trials = shards(&dir, &s, 3, "2001", "5");
    fails(
        &[parts[0].clone(), other_trials[1].clone(), parts[2].clone()],
        "belongs to another run: trials",
    );
    let text = std::fs::read_to_string(&s).unwrap();
    let dir2 = dir.join("other");
    std::fs::create_dir_all(&dir2).unwrap();
    let s2 = write(
        &dir2,
        "deal.yaml",
        &text.replacen("price: 2200000", "price: 2500000", 1),
    );
    let other_scenario = shards(&dir2, &s2, 3, "2000", "5");
    fails(
        &[
            parts[0].clone(),
            other_scenario[1].clone(),
            parts[2].clone(),
        ],
        "another scenario",
    );
    // Usage: a bad --shard.
    for bad in ["3/3", "x/2", "1"] {
        let o = ibsim(&["run", s.to_str().unwrap(), "--shard", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
    }
}

fn write_bytes(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn merged_sweep_shards_equal_the_whole_sweep() {
    let dir = tempdir("sweep-shard");
    let s = scenario(&dir, "random");
    let s = s.to_str().unwrap();
    let vary = "outcomes.placement.price=2.0e6..2.8e6:5";
    let run = |out: &str, shard: Option<&str>| {
        let out = dir.join(out);
        let mut a = vec![
            "sweep",
            s,
            "--vary",
            vary,
            "--trials",
            "600",
            "--out",
            out.to_str().unwrap(),
            "-q",
        ];
        if let Some(k) = shard {
            a.extend(["--shard", k]);
        }
        let o = ibsim(&a);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    };
    run("full", None);
    for k in ["0/3", "1/3", "2/3"] {
        run("parts", Some(k));
    }
    let parts: Vec<PathBuf> = (0..3)
        .map(|k| dir.join(format!("parts/deal/sweep-shard-{k}-of-3.ibshard")))
        .collect();
    let o = merge(
        &dir,
        &[parts[2].clone(), parts[0].clone(), parts[1].clone()],
        "merged",
        true,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in ["sweep.json", "sweep.csv"] {
        let a = std::fs::read(dir.join("full/deal").join(f)).unwrap();
        let b = std::fs::read(dir.join("merged/deal").join(f)).unwrap();
        assert!(a == b, "{f} differs");
    }
    let o = merge(&dir, &[parts[0].clone(), parts[2].clone()], "m2", false);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("grid point 1 of 5 is missing"),
        "{}",
        stderr(&o)
    );
    let o = merge(
        &dir,
        &[
            parts[0].clone(),
            parts[1].clone(),
            parts[1].clone(),
            parts[2].clone(),
        ],
        "m3",
        false,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("repeats point"), "{}", stderr(&o));
}

/// `--shard auto`'s reading of each scheduler's array variables.
#[test]
fn shard_auto_reads_each_schedulers_array_variables() {
    use ibsim::shard::ShardSpec;
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let spec = |i, n| ShardSpec { index: i, count: n };
    // Slurm: the index less the array's first id.
    let slurm = env(&[
        ("SLURM_ARRAY_TASK_ID", "3"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ]);
    assert_eq!(ShardSpec::from_scheduler(&slurm, None), Ok(spec(3, 4)));
    let from_one = env(&[
        ("SLURM_ARRAY_TASK_ID", "4"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ]);
    assert_eq!(ShardSpec::from_scheduler(&from_one, None), Ok(spec(3, 4)));
    // Kubernetes: the count from --shards.
    let k8s = env(&[("JOB_COMPLETION_INDEX", "2")]);
    assert_eq!(ShardSpec::from_scheduler(&k8s, Some(5)), Ok(spec(2, 5)));
    let e = ShardSpec::from_scheduler(&k8s, None).unwrap_err();
    assert!(e.contains("--shards N"), "{e}");
    // AWS Batch.
    let aws = env(&[
        ("AWS_BATCH_JOB_ARRAY_INDEX", "0"),
        ("AWS_BATCH_JOB_ARRAY_SIZE", "10"),
    ]);
    assert_eq!(ShardSpec::from_scheduler(&aws, None), Ok(spec(0, 10)));
    // Nothing set, or an index beyond the count: the variables are named.
    let e = ShardSpec::from_scheduler(&env(&[]), Some(4)).unwrap_err();
    for v in [
        "SLURM_ARRAY_TASK_ID",
        "JOB_COMPLETION_INDEX",
        "AWS_BATCH_JOB_ARRAY_INDEX",
    ] {
        assert!(e.contains(v), "{e}");
    }
    let e = ShardSpec::from_scheduler(&env(&[("JOB_COMPLETION_INDEX", "5")]), Some(5)).unwrap_err();
    assert!(e.contains("JOB_COMPLETION_INDEX"), "{e}");
}

/// `ibsim run --shard auto` under a Slurm array task writes the shard that
/// `--shard K/N` writes.
#[test]
fn shard_auto_writes_the_same_shard_as_k_of_n() {
    let dir = tempdir("shard-auto");
    let run = |out: &str, shard: &str, env: &[(&str, &str)]| {
        let o = std::process::Command::new(bin())
            .args([
                "run",
                "scenarios/empleando-futuro.yaml",
                "--trials",
                "4000",
                "--shard",
                shard,
                "--out",
                dir.join(out).to_str().unwrap(),
            ])
            .current_dir(root())
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("JOB_COMPLETION_INDEX")
            .env_remove("AWS_BATCH_JOB_ARRAY_INDEX")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, err) = run(
        "a",
        "auto",
        &[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = run("b", "2/4", &[]);
    assert_eq!(code, Some(0), "{err}");
    let name = "empleando-futuro/shard-2-of-4.ibshard";
    assert_eq!(
        std::fs::read(dir.join("a").join(name)).unwrap(),
        std::fs::read(dir.join("b").join(name)).unwrap()
    );
    let (code, err) = run("c", "auto", &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("SLURM_ARRAY_TASK_ID"), "{err}");
}

/// `ibsim merge` of a folder or a glob finds the shards inside; with one
/// missing it names its index and exits 1.
#[test]
fn merge_takes_folders_and_globs_and_names_a_missing_shard() {
    let dir = tempdir("merge-folder");
    for k in 0..4 {
        let o = ibsim(&[
            "run",
            "scenarios/empleando-futuro.yaml",
            "--trials",
            "2000",
            "--shard",
            &format!("{k}/4"),
            "--out",
            dir.join("shards").to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let whole = ibsim(&[
        "run",
        "scenarios/empleando-futuro.yaml",
        "--trials",
        "2000",
        "--out",
        dir.join("whole").to_str().unwrap(),
        "--no-report",
    ]);
    assert!(whole.status.success());
    let summary =
        |out: &str| std::fs::read(dir.join(out).join("empleando-futuro/summary.json")).unwrap();
    let shards = dir.join("shards");
    let pattern = shards.join("*/shard-*-of-4.ibshard");
    for (out, arg) in [("folder", shards.clone()), ("glob", pattern)] {
        let o = ibsim(&[
            "merge",
            arg.to_str().unwrap(),
            "--out",
            dir.join(out).to_str().unwrap(),
            "--no-report",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(summary(out), summary("whole"), "merge of a {out}");
    }
    std::fs::remove_file(shards.join("empleando-futuro/shard-2-of-4.ibshard")).unwrap();
    let o = ibsim(&[
        "merge",
        shards.to_str().unwrap(),
        "--out",
        dir.join("x").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("shard 2 of 4 missing") && stderr(&o).contains("given: 0, 1, 3"),
        "{}",
        stderr(&o)
    );
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = ibsim(&["merge", empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no shard files"), "{}", stderr(&o));
}

#[test]
fn shards_written_at_once_into_one_folder_all_succeed() {
    // A scheduler starts the array's tasks together, all writing into one
    // shared folder: a shard must take another's file in flight for ibsim's.
    let dir = tempdir("shard-together");
    for round in 0..4 {
        let out = dir.join(format!("round-{round}"));
        let running: Vec<_> = (0..4)
            .map(|k| {
                std::process::Command::new(bin())
                    .current_dir(root())
                    .args([
                        "run",
                        "scenarios/agro-productivity.yaml",
                        "--trials",
                        "400",
                        "--shard",
                        &format!("{k}/4"),
                        "--out",
                        out.to_str().unwrap(),
                        "-q",
                    ])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for (k, child) in running.into_iter().enumerate() {
            let o = child.wait_with_output().unwrap();
            assert!(
                o.status.success(),
                "round {round}, shard {k}: {}",
                stderr(&o)
            );
        }
        let o = ibsim(&[
            "merge",
            out.to_str().unwrap(),
            "--out",
            dir.join(format!("merged-{round}")).to_str().unwrap(),
            "--no-report",
            "-q",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
}

#[test]
fn the_docs_slurm_recipe_is_the_files_the_slurm_test_submits() {
    let doc = std::fs::read_to_string(root().join("docs/sharding.md")).unwrap();
    for file in ["docs/slurm/run-shards.sbatch", "docs/slurm/submit.sh"] {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        let shown = format!("`{file}`:\n\n```bash\n{text}```\n");
        assert!(
            doc.contains(&shown),
            "docs/sharding.md does not show {file} as it is"
        );
    }
    let test = std::fs::read_to_string(root().join("tests/slurm/run.sh")).unwrap();
    assert!(test.contains("\"$root/docs/slurm/submit.sh\""));
}
