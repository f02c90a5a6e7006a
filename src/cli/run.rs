//! `ibsim run`: simulate, write `summary.json`, `run.json`, the reports (and
//! `trials.csv`), print the summary table; with `--shard K/N`, one shard file.

use std::path::{Path, PathBuf};

use ibsim::output::{self, Owner, Product, Staging};
use ibsim::report::i18n::Lang;
use ibsim::run::{Prepared, RunResult, UntilSe, file_name};

use super::progress::Bar;
use super::validate::print_warnings;
use super::{CommonFlags, Error};

/// Options of `ibsim run`.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (YAML).
    scenario: PathBuf,
    #[command(flatten)]
    common: CommonFlags,
    /// Also write trials.csv with every trial's metrics.
    #[arg(long)]
    save_trials: bool,
    /// Skip charts, report.html and workbook.xlsx.
    #[arg(long)]
    no_report: bool,
    /// Run until METRIC's standard error is at most VALUE (e.g. investor_irr=0.001);
    /// --trials is then the maximum.
    #[arg(long, value_name = "METRIC=VALUE")]
    until_se: Option<String>,
    /// Run only shard K of N (0-based) of the trials and write a shard file
    /// (`OUT/<stem>/shard-K-of-N.ibshard`) for `ibsim merge`.
    /// `auto` reads K and N from the scheduler's array variables (Slurm,
    /// Kubernetes Indexed Job, AWS Batch).
    #[arg(long, value_name = "K/N|auto")]
    shard: Option<String>,
    /// The number of shards for `--shard auto` where the scheduler gives
    /// only the index (a Kubernetes Indexed Job's completions).
    #[arg(long, value_name = "N", requires = "shard")]
    shards: Option<u64>,
}

/// What to write of a run, and how to tell it.
pub struct Written<'a> {
    /// The scenario as `run.json` names it.
    pub scenario: String,
    /// The output folder (`OUT/<stem>`).
    pub dir: PathBuf,
    /// Threads the run used.
    pub threads: usize,
    /// Language of the table and reports.
    pub lang: Lang,
    /// Skip charts, report.html and workbook.xlsx.
    pub no_report: bool,
    /// Also write trials.csv.
    pub save_trials: bool,
    /// Print nothing but errors.
    pub quiet: bool,
    /// Replace another scenario's outputs.
    pub replace: bool,
    /// The run.
    pub result: &'a RunResult,
}

/// `ibsim run`.
pub fn run(a: &Args) -> Result<(), Error> {
    let c = &a.common;
    if let Ok((_, text)) = ibsim::scenario::read_text(&a.scenario, "a scenario or programme")
        && ibsim::programme::is_programme(&text)
    {
        return run_programme(a);
    }
    if let Some(spec) = super::shard_flag(a.shard.as_deref(), a.shards)? {
        return run_shard(a, spec);
    }
    let p = Prepared::load(&a.scenario, c.trials, c.seed)?;
    if !c.quiet {
        print_warnings(&p.loaded);
    }
    p.require_trials(1)?;
    p.check_cost(p.trials, 1, c.threads, c.force)?;
    // Refuse another scenario's output folder now, not after the run.
    let dir = c.out.join(output::folder_name(&a.scenario));
    let owner = Owner {
        file: file_name(&a.scenario),
        name: p.model.name.clone(),
    };
    output::claim(&dir, &owner, c.replace).map_err(Error::failed)?;
    let until = a
        .until_se
        .as_deref()
        .map(|spec| UntilSe::parse(spec, &p.model))
        .transpose()
        .map_err(|e| Error::usage(format!("--until-se {e}")))?;
    let bar = Bar::trials(c.quiet);
    let result = ibsim::run::simulate(p, c.threads, until.as_ref(), &|e| bar.update(e))?;
    bar.finish();
    if let Some(u) = &until
        && !c.quiet
    {
        tell_until_se(&result, u);
    }
    write(&Written {
        scenario: a.scenario.display().to_string(),
        dir,
        threads: c.threads.unwrap_or_else(rayon::current_num_threads),
        lang: c.lang.into(),
        no_report: a.no_report,
        save_trials: a.save_trials,
        quiet: c.quiet,
        replace: c.replace,
        result: &result,
    })
}

/// Says whether `--until-se` reached its standard error.
fn tell_until_se(result: &RunResult, u: &UntilSe) {
    let cols = &result.columns;
    let se = u.se(cols);
    let (name, target) = (&u.name, u.target);
    if se <= target {
        eprintln!(
            "until-se: {name} se {se:.6} <= {target} reached with {} trials",
            cols.len()
        );
    } else {
        eprintln!(
            "until-se: {name} se {se:.6} is still above {target} after the maximum of {} trials (raise --trials)",
            cols.len()
        );
    }
}

/// Writes `summary.json`, `run.json`, the reports and `trials.csv` of a run
/// (or of merged shards) into its folder, swapped in whole, then prints the
/// summary table.
pub fn write(w: &Written) -> Result<(), Error> {
    let result = w.result;
    let owner = Owner {
        file: result.summary.scenario.file.clone(),
        name: result.summary.scenario.name.clone(),
    };
    let staging = Staging::new(&w.dir, owner, Product::Run, w.replace).map_err(Error::failed)?;
    let trials = result.columns.len() as f64;
    let run_info = serde_json::json!({
        "ibsim_version": env!("CARGO_PKG_VERSION"),
        "model_version": ibsim::MODEL_VERSION,
        "scenario": w.scenario,
        "seed": result.summary.seed,
        "trials": result.summary.trials,
        "threads": w.threads,
        "wall_seconds": result.seconds,
        "trials_per_second": trials / result.seconds.max(1e-9),
        "host": ibsim::report::host_name(),
        "finished_unix_seconds": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    });
    let mut docs = vec![
        ibsim::report::Document::new(
            "summary.json".into(),
            output::json_text(&result.summary).into_bytes(),
        ),
        ibsim::report::Document::new("run.json".into(), output::json_text(&run_info).into_bytes()),
    ];
    if !w.no_report {
        let report_start = std::time::Instant::now();
        docs.extend(ibsim::report::files(result, &run_info, w.lang).map_err(Error::failed)?);
        if !w.quiet && std::env::var_os("IBSIM_TIMING").is_some() {
            eprintln!("reports: {:.3} s", report_start.elapsed().as_secs_f64());
        }
    }
    if w.save_trials {
        docs.push(
            ibsim::report::trials_csv(&result.columns)
                .map_err(|e| Error::failed(format!("cannot write trials.csv: {e}")))?,
        );
    }
    write_documents(staging.path(), &docs)?;
    staging.commit().map_err(Error::failed)?;
    if !w.quiet {
        let m = &result.model;
        let last = &m.outcomes[m.last_outcome].id;
        print!(
            "{}",
            ibsim::report::table::render(
                &result.summary,
                m.hurdle_irr,
                m.committed_capital,
                last,
                w.lang
            )
        );
        println!(
            "  {}",
            w.lang.run_written(
                &w.dir.display().to_string(),
                result.seconds,
                w.threads,
                trials
            )
        );
    }
    Ok(())
}

/// Writes rendered documents under `dir`.
pub fn write_documents(dir: &Path, docs: &[ibsim::report::Document]) -> Result<(), Error> {
    output::write_files(dir, docs.iter().map(|d| (d.path.as_path(), &d.bytes[..])))
        .map_err(Error::failed)
}

/// Whose outputs a sweep shard's header belongs to: its `scenario.file` and `scenario.name`.
pub fn owner_of(summary: &serde_json::Value) -> Owner {
    let text = |k: &str| {
        summary["scenario"][k]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    Owner {
        file: text("file"),
        name: text("name"),
    }
}

/// `ibsim run --shard K/N`: simulates shard K of N of the run and writes
/// `OUT/<stem>/shard-K-of-N.ibshard`.
fn run_shard(a: &Args, spec: ibsim::shard::ShardSpec) -> Result<(), Error> {
    let c = &a.common;
    if a.until_se.is_some() || a.save_trials {
        return Err(Error::usage(
            "--shard cannot be combined with --until-se or --save-trials (merge the shards first)",
        ));
    }
    let p = Prepared::load(&a.scenario, c.trials, c.seed)?;
    p.require_trials(1)?;
    let range = spec.range(p.trials);
    p.check_cost(range.end - range.start, 1, c.threads, c.force)?;
    let start = std::time::Instant::now();
    let (bytes, range) = ibsim::run::simulate_shard(&p, spec, c.threads)?;
    let owner = Owner {
        file: file_name(&a.scenario),
        name: p.model.name.clone(),
    };
    write_shard(a, owner, spec, &bytes, range, p.trials, start)
}

/// Writes a shard's bytes to `OUT/<stem>/shard-K-of-N.ibshard` and says so.
fn write_shard(
    a: &Args,
    owner: Owner,
    spec: ibsim::shard::ShardSpec,
    bytes: &[u8],
    range: std::ops::Range<u64>,
    trials: u64,
    start: std::time::Instant,
) -> Result<(), Error> {
    let c = &a.common;
    let dir = c.out.join(output::folder_name(&a.scenario));
    output::claim(&dir, &owner, c.replace).map_err(Error::failed)?;
    let name = format!("shard-{}-of-{}.ibshard", spec.index, spec.count);
    let path = output::write_shard(&dir, &owner, &name, bytes).map_err(Error::failed)?;
    if !c.quiet {
        println!(
            "wrote {} (trials {}..{} of {trials}, {:.2} s)",
            path.display(),
            range.start,
            range.end,
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// `ibsim run PROGRAMME.yaml` (docs/model.md, "Programmes"): every deal in
/// the same trials; `summary.json` with the fund's figures and each deal's
/// summary, `run.json`, the reports and the fund's table (with `--shard
/// K/N`, one shard file).
fn run_programme(a: &Args) -> Result<(), Error> {
    use ibsim::programme::run::ProgrammeModel;
    let c = &a.common;
    if a.until_se.is_some() || a.save_trials {
        return Err(Error::usage(
            "--until-se and --save-trials run a scenario; a programme runs all its trials",
        ));
    }
    let shard = super::shard_flag(a.shard.as_deref(), a.shards)?;
    let loaded = ibsim::programme::load(&a.scenario)
        .map_err(|d| Error::Run(ibsim::run::Failure::Scenario(d)))?;
    if !c.quiet {
        for d in &loaded.deals {
            print_warnings(d);
        }
    }
    let mut pm = ProgrammeModel::compile(&loaded);
    if let Some(t) = c.trials {
        pm.trials = t;
    }
    if let Some(s) = c.seed {
        pm.seed = s;
    }
    if pm.trials == 0 {
        return Err(Error::usage("--trials must be at least 1"));
    }
    // Every deal's metric columns, and a copy for the summary.
    let held = shard.map_or(pm.trials, |sp| {
        let r = sp.range(pm.trials);
        r.end - r.start
    });
    let width: u64 =
        pm.deals.iter().map(|d| d.layout.len() as u64).sum::<u64>() + pm.fund.len() as u64;
    let bytes = width.saturating_mul(held).saturating_mul(16);
    if bytes > ibsim::limits::available_memory() {
        return Err(Error::failed(format!(
            "{held} trials of this programme would keep {} MB of per-trial figures, more than this machine has free: run fewer trials, or split the run with --shard K/N and merge",
            bytes >> 20
        )));
    }
    let dir = c.out.join(output::folder_name(&a.scenario));
    let owner = Owner {
        file: file_name(&a.scenario),
        name: pm.name.clone(),
    };
    let start = std::time::Instant::now();
    if let Some(spec) = shard {
        let (bytes, range) = ibsim::programme::shard::simulate_shard(&loaded, &pm, spec, c.threads)
            .map_err(Error::failed)?;
        return write_shard(a, owner, spec, &bytes, range, pm.trials, start);
    }
    let staging = Staging::new(&dir, owner, Product::Run, c.replace).map_err(Error::failed)?;
    let cols = ibsim::programme::run::simulate(&pm, c.threads)
        .map_err(|e| Error::failed(format!("cannot start the worker threads: {e}")))?;
    let seconds = start.elapsed().as_secs_f64();
    write_programme(
        &pm,
        &cols,
        ProgrammeOutput {
            file: file_name(&a.scenario),
            shown: a.scenario.display().to_string(),
            dir: &dir,
            staging,
            threads: c.threads.unwrap_or_else(rayon::current_num_threads),
            seconds,
            lang: c.lang.into(),
            no_report: a.no_report,
            quiet: c.quiet,
        },
    )
}

/// Where and how a programme's outputs are written.
pub struct ProgrammeOutput<'a> {
    /// The programme file's name, as `summary.json` records it.
    pub file: String,
    /// The programme as `run.json` names it (its path, or the shards it was merged from).
    pub shown: String,
    /// The output folder.
    pub dir: &'a Path,
    /// The staging folder the outputs are written into, then swapped in whole.
    pub staging: Staging,
    /// Worker threads.
    pub threads: usize,
    /// Seconds the simulation took.
    pub seconds: f64,
    /// Language of the table and reports.
    pub lang: Lang,
    /// Skip the charts, report.html and workbook.xlsx.
    pub no_report: bool,
    /// Print nothing.
    pub quiet: bool,
}

/// Writes a programme's `summary.json`, `run.json` and reports, then
/// prints the fund's table.
pub fn write_programme(
    pm: &ibsim::programme::run::ProgrammeModel,
    cols: &ibsim::programme::run::ProgrammeColumns,
    o: ProgrammeOutput,
) -> Result<(), Error> {
    let summary = ibsim::programme::summary::summarize_programme(pm, cols, &o.file);
    let run_info = serde_json::json!({
        "ibsim_version": env!("CARGO_PKG_VERSION"),
        "model_version": ibsim::MODEL_VERSION,
        "programme": o.shown,
        "seed": pm.seed,
        "trials": pm.trials,
        "threads": o.threads,
        "wall_seconds": o.seconds,
        "trials_per_second": pm.trials as f64 / o.seconds.max(1e-9),
        "host": ibsim::report::host_name(),
    });
    let mut docs = vec![
        ibsim::report::Document::new(
            "summary.json".into(),
            output::json_text(&summary).into_bytes(),
        ),
        ibsim::report::Document::new("run.json".into(), output::json_text(&run_info).into_bytes()),
    ];
    if !o.no_report {
        docs.extend(
            ibsim::report::programme::files(&summary, &cols.fund, &run_info, o.lang)
                .map_err(Error::failed)?,
        );
    }
    write_documents(o.staging.path(), &docs)?;
    o.staging.commit().map_err(Error::failed)?;
    if !o.quiet {
        print!("{}", ibsim::programme::summary::render(&summary, o.lang));
        println!(
            "  {}",
            o.lang.run_written(
                &o.dir.display().to_string(),
                o.seconds,
                o.threads,
                pm.trials as f64
            )
        );
    }
    Ok(())
}
