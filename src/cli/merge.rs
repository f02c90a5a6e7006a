//! `ibsim merge SHARD...`: checks the shards, puts the trials (or grid
//! points) back in order and writes what the whole run (or sweep) writes.

use std::path::{Path, PathBuf};

use ibsim::analysis::sweep::{Limits, SweepResult, Vary};
use ibsim::output;

use super::analysis::Destination;
use super::run::{Written, owner_of, write};
use super::{Error, LangFlag};

/// Options of `ibsim merge`.
#[derive(clap::Args)]
pub struct Args {
    /// Shard files written by `ibsim run --shard K/N`, folders holding
    /// them, or glob patterns (`'out/*/shard-*.ibshard'`).
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Output folder; results go to OUT/<scenario-file-stem>/.
    #[arg(long, default_value = "output")]
    out: PathBuf,
    /// Language of the table, charts and reports.
    #[arg(long, value_enum, default_value_t)]
    lang: LangFlag,
    /// Skip charts, report.html and workbook.xlsx.
    #[arg(long)]
    no_report: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Replace an output folder that holds another scenario's ibsim outputs.
    #[arg(long)]
    replace: bool,
}

/// The shard files `args` name: files as given, every `*.ibshard` of a
/// folder (its subfolders too, where `ibsim run --shard` writes them), and
/// the files a glob pattern matches, sorted. A file named twice stays twice
/// (and is refused as a repeated shard).
fn shard_files(args: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    fn in_folder(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for e in std::fs::read_dir(dir)? {
            let p = e?.path();
            if p.is_dir() {
                in_folder(&p, out)?;
            } else if p.extension().is_some_and(|x| x == "ibshard") {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for a in args {
        let text = a.to_string_lossy();
        if a.is_dir() {
            let mut found = Vec::new();
            in_folder(a, &mut found)
                .map_err(|e| Error::failed(format!("cannot read {}: {e}", a.display())))?;
            if found.is_empty() {
                return Err(Error::failed(format!(
                    "{}: no shard files (*.ibshard) in this folder",
                    a.display()
                )));
            }
            found.sort();
            out.extend(found);
        } else if !a.exists() && text.contains(['*', '?', '[']) {
            let found: Vec<PathBuf> = glob::glob(&text)
                .map_err(|e| Error::usage(format!("`{text}` is not a glob pattern: {e}")))?
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect();
            if found.is_empty() {
                return Err(Error::failed(format!("`{text}`: no file matches")));
            }
            out.extend(found);
        } else {
            out.push(a.clone());
        }
    }
    Ok(out)
}

/// `ibsim merge`.
pub fn run(a: &Args) -> Result<(), Error> {
    let files = shard_files(&a.shards)?;
    let a = &Args {
        shards: files,
        out: a.out.clone(),
        lang: a.lang,
        no_report: a.no_report,
        quiet: a.quiet,
        replace: a.replace,
    };
    let mut magic = [0u8; 8];
    if let Some(p) = a.shards.first() {
        let _ =
            std::fs::File::open(p).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic));
    }
    if ibsim::shard::is_sweep(&magic) {
        return merge_sweep(a);
    }
    if ibsim::shard::is_sobol(&magic) {
        return merge_sobol(a);
    }
    let first_is_programme = a.shards.first().is_some_and(|p| {
        ibsim::shard::read(p)
            .is_ok_and(|(h, _)| ibsim::programme::shard::is_programme_shard(&h.json))
    });
    if first_is_programme {
        return merge_programme(a);
    }
    let (result, file) = ibsim::run::merge(&a.shards)?;
    write(&Written {
        scenario: format!("{file} (merged from {} shards)", a.shards.len()),
        dir: a.out.join(output::folder_name(Path::new(&file))),
        threads: rayon::current_num_threads(),
        lang: a.lang.into(),
        no_report: a.no_report,
        save_trials: false,
        quiet: a.quiet,
        replace: a.replace,
        result: &result,
    })
}

/// `ibsim merge` of sweep shards: every grid point once, then the sweep's files.
fn merge_sweep(a: &Args) -> Result<(), Error> {
    let mut shards = Vec::with_capacity(a.shards.len());
    for p in &a.shards {
        let sh = ibsim::shard::read_container(p, ibsim::shard::SWEEP_MAGIC, "sweep shard")
            .and_then(|b| ibsim::shard::decode_sweep(&b))
            .map_err(|e| Error::failed(format!("{}: {e}", p.display())))?;
        shards.push((p.display().to_string(), sh));
    }
    let (h, rows, cap) = ibsim::shard::assemble_sweep(shards).map_err(Error::failed)?;
    let bits = |v: &serde_json::Value| v.as_u64().map(f64::from_bits);
    let vary: Vec<Vary> = h["vary"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| Vary {
                    path: v["path"].as_str().unwrap_or_default().to_string(),
                    lo: bits(&v["lo"]).unwrap_or(f64::NAN),
                    hi: bits(&v["hi"]).unwrap_or(f64::NAN),
                    steps: v["steps"].as_u64().unwrap_or(0) as usize,
                })
                .collect()
        })
        .unwrap_or_default();
    let limits = Limits {
        max_prob_loss: bits(&h["limits"]["max_prob_loss"]).unwrap_or(f64::NAN),
        max_prob_over_cap: bits(&h["limits"]["max_prob_over_cap"]).unwrap_or(f64::NAN),
        payer_cap: bits(&h["limits"]["payer_cap"]),
    };
    let result = SweepResult {
        vary,
        rows,
        trials: h["trials"].as_u64().unwrap_or_default(),
        seed: h["seed"].as_u64().unwrap_or_default(),
        cap,
        funded_by: serde_json::from_value(h["funded_by"].clone()).unwrap_or_default(),
    };
    let file = h["scenario"]["file"].as_str().unwrap_or("scenario.yaml");
    let dest = Destination {
        dir: a.out.join(output::folder_name(Path::new(file))),
        owner: owner_of(&h),
        replace: a.replace,
    };
    super::sweep::write(&result, &limits, &dest, a.lang.into(), a.quiet)
}

/// `ibsim merge` of a programme's shards: every trial once, then what the
/// whole programme's run writes.
fn merge_programme(a: &Args) -> Result<(), Error> {
    let start = std::time::Instant::now();
    let merged = ibsim::programme::shard::merge(&a.shards).map_err(|e| match e {
        ibsim::shard::MergeFailure::Shards(m) => Error::failed(m),
        ibsim::shard::MergeFailure::Scenario(d) => Error::Run(ibsim::run::Failure::Scenario(d)),
    })?;
    let file = Path::new(&merged.loaded.file).file_name().map_or_else(
        || merged.loaded.file.clone(),
        |f| f.to_string_lossy().into_owned(),
    );
    let dir = a.out.join(output::folder_name(Path::new(&file)));
    let owner = output::Owner {
        file: file.clone(),
        name: merged.model.name.clone(),
    };
    let staging = output::Staging::new(&dir, owner, output::Product::Run, a.replace)
        .map_err(Error::failed)?;
    super::run::write_programme(
        &merged.model,
        &merged.columns,
        super::run::ProgrammeOutput {
            file: file.clone(),
            shown: format!("{file} (merged from {} shards)", a.shards.len()),
            dir: &dir,
            staging,
            threads: rayon::current_num_threads(),
            seconds: start.elapsed().as_secs_f64(),
            lang: a.lang.into(),
            no_report: a.no_report,
            quiet: a.quiet,
        },
    )
}

/// `ibsim merge` of a Sobol design's shards: every base sample once; then
/// the analyses that `ibsim sensitivity --sobol` runs beside the design
/// (rank correlations, swings, the tail analysis: `trials` trials per run,
/// on this machine) and the indices from the merged outputs, written as
/// the unsharded command writes them.
fn merge_sobol(a: &Args) -> Result<(), Error> {
    let mut shards = Vec::with_capacity(a.shards.len());
    for p in &a.shards {
        let (h, out) =
            ibsim::shard::read_container(p, ibsim::shard::SOBOL_MAGIC, "Sobol design shard")
                .and_then(|b| ibsim::shard::decode_sobol(&b))
                .map_err(|e| Error::failed(format!("{}: {e}", p.display())))?;
        shards.push((p.display().to_string(), h, out));
    }
    let (h, out) = ibsim::shard::assemble_sobol(shards).map_err(Error::failed)?;
    let sc = &h["scenario"];
    let file = sc["file"].as_str().unwrap_or("scenario.yaml").to_string();
    let text = sc["yaml"].as_str().unwrap_or_default();
    if ibsim::shard::sha256_hex(text) != sc["sha256"].as_str().unwrap_or_default() {
        return Err(Error::failed(
            "the scenario stored in the shards does not match its sha256",
        ));
    }
    let loaded = ibsim::scenario::parse_str(text, &file)
        .map_err(|d| Error::Run(ibsim::run::Failure::Scenario(d)))?;
    let model = ibsim::model::Model::compile(&loaded.scenario);
    let layout = ibsim::engine::Layout::new(&model);
    let columns = h["metrics"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|v| {
                    let name = v.as_str().unwrap_or_default();
                    layout.index_of(name).ok_or_else(|| {
                        Error::failed(format!(
                            "the shards' metric `{name}` is not this scenario's"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap_or_else(|| Err(Error::failed("header lacks `metrics`")))?;
    let n = |k: &str| {
        h[k].as_u64()
            .ok_or_else(|| Error::failed(format!("header lacks `{k}`")))
    };
    let (seed, trials, base) = (n("seed")?, n("trials")?, n("base_samples")?);
    let resamples = usize::try_from(n("resamples")?).unwrap_or(usize::MAX);
    let given =
        ibsim::analysis::tail::Condition::parse(h["given"].as_str().unwrap_or_default(), &layout)
            .map_err(Error::failed)?;
    let mut res = ibsim::analysis::sensitivity::analyse(&model, trials, seed, &given, None)
        .map_err(Error::failed)?;
    res.sobol = Some(
        ibsim::analysis::sobol::from_outputs(&model, base, seed, &columns, resamples, &out)
            .map_err(Error::failed)?,
    );
    let dest = Destination {
        dir: a.out.join(output::folder_name(Path::new(&file))),
        owner: owner_of(&h),
        replace: a.replace,
    };
    output::claim(&dest.dir, &dest.owner, a.replace).map_err(Error::failed)?;
    super::sensitivity::write(&res, &model, &dest, trials, a.lang.into(), a.quiet)
}
