//! What each subcommand does, callable from the binary and from tests.
//! Every function returns the process exit code and writes its own messages.

use std::io::Write;
use std::path::Path;

use crate::exit;
use crate::scenario;

/// `ibsim validate FILE...`: prints `ok: FILE` (after any warnings) or every
/// problem; 1 if any file is invalid.
pub fn validate(files: &[std::path::PathBuf]) -> i32 {
    let mut code = exit::OK;
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    for f in files {
        match scenario::load(f) {
            Ok(loaded) => {
                print_warnings(&loaded);
                let _ = writeln!(stdout.lock(), "ok: {}", f.display());
            }
            Err(diags) => {
                code = exit::FAILURE;
                let mut e = stderr.lock();
                for d in &diags {
                    let _ = writeln!(e, "{d}");
                }
                let n = diags.len();
                let _ = writeln!(
                    e,
                    "invalid: {} ({n} problem{})",
                    f.display(),
                    if n == 1 { "" } else { "s" }
                );
            }
        }
    }
    code
}

/// Prints a loaded scenario's warnings to stderr, one a line.
fn print_warnings(loaded: &scenario::LoadedScenario) {
    let mut e = std::io::stderr().lock();
    for w in &loaded.warnings {
        let _ = writeln!(e, "warning: {w}");
    }
}

/// `ibsim init FILE --template NAME [--lang es] [--force]`: writes a commented starter scenario.
pub fn init(file: &Path, template: &str, lang: crate::report::i18n::Lang, force: bool) -> i32 {
    let Some(t) = crate::templates::find(template) else {
        let names: Vec<&str> = crate::templates::TEMPLATES.iter().map(|t| t.name).collect();
        eprintln!(
            "error: unknown template `{template}` (expected one of: {})",
            names.join(", ")
        );
        return exit::USAGE;
    };
    if file.exists() && !force {
        eprintln!(
            "error: {} already exists; choose another name or pass --force to replace it",
            file.display()
        );
        return exit::FAILURE;
    }
    match write_atomic(file, t.text(lang).as_bytes()) {
        Ok(()) => {
            let f = file.display();
            match lang {
                crate::report::i18n::Lang::En => {
                    println!(
                        "wrote {f} ({}); check it with: ibsim validate {f}",
                        t.about(lang)
                    );
                }
                crate::report::i18n::Lang::Es => println!(
                    "se escribió {f} ({}); revíselo con: ibsim validate {f}",
                    t.about(lang)
                ),
            }
            exit::OK
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", file.display());
            exit::FAILURE
        }
    }
}

/// `ibsim schema`: prints the JSON Schema of the scenario format.
pub fn schema() -> i32 {
    println!("{}", crate::schema::scenario_schema_json());
    exit::OK
}

pub use crate::output::write_atomic;

/// Options of `ibsim run`.
#[derive(Debug, Clone)]
pub struct RunArgs {
    /// Scenario file.
    pub scenario: std::path::PathBuf,
    /// Overrides `simulation.trials`.
    pub trials: Option<u64>,
    /// Overrides `simulation.seed`.
    pub seed: Option<u64>,
    /// Worker threads (default: all cores).
    pub threads: Option<usize>,
    /// Output folder; results go to `out/<scenario-file-stem>/`.
    pub out: std::path::PathBuf,
    /// Also write `trials.csv`.
    pub save_trials: bool,
    /// Print nothing but errors.
    pub quiet: bool,
    /// Language of the table, charts and reports.
    pub lang: crate::report::i18n::Lang,
    /// Skip charts, report.html and workbook.xlsx.
    pub no_report: bool,
    /// `--until-se METRIC=VALUE`: double the trials until the metric's standard error
    /// is at most VALUE (`trials` is then the ceiling).
    pub until_se: Option<String>,
    /// `--shard K/N`: run only shard K of N and write a shard file.
    pub shard: Option<crate::shard::ShardSpec>,
    /// Run even when estimated to take hours.
    pub force: bool,
    /// Replace an output folder holding another scenario's ibsim outputs.
    pub replace: bool,
}

pub use crate::run::RunResult;

/// Loads, simulates and summarises; prints diagnostics and returns the exit code on failure.
pub fn simulate_run(args: &RunArgs) -> Result<RunResult, i32> {
    use sha2::Digest;
    let loaded = match scenario::load(&args.scenario) {
        Ok(l) => l,
        Err(diags) => {
            for d in &diags {
                eprintln!("{d}");
            }
            return Err(exit::FAILURE);
        }
    };
    if !args.quiet {
        print_warnings(&loaded);
    }
    let model = crate::model::Model::compile(&loaded.scenario);
    let trials = args.trials.unwrap_or(model.trials);
    if trials == 0 {
        eprintln!("error: --trials must be at least 1");
        return Err(exit::USAGE);
    }
    if args.threads == Some(0) {
        eprintln!("error: --threads must be at least 1");
        return Err(exit::USAGE);
    }
    check_cost(&model, trials, 1, args.threads, args.force)?;
    if !args.out.as_os_str().is_empty() {
        // Refuse another scenario's output folder now, not after the run.
        let owner = crate::output::Owner {
            file: file_name(&args.scenario),
            name: model.name.clone(),
        };
        let dir = args.out.join(crate::output::folder_name(&args.scenario));
        if let Err(e) = crate::output::claim(&dir, &owner, args.replace) {
            eprintln!("error: {e}");
            return Err(exit::FAILURE);
        }
    }
    let seed = args.seed.unwrap_or(model.seed);
    let draws = crate::engine::Draws {
        seed,
        trials,
        sampling: model.sampling,
    };
    let show_progress = !args.quiet
        && std::env::var_os("CI").is_none()
        && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let bar = if show_progress {
        let b = indicatif::ProgressBar::new(trials);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {bar:40} {pos}/{len} trials ({per_sec}, {eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let start = std::time::Instant::now();
    let until = match &args.until_se {
        None => None,
        Some(spec) => match parse_until_se(spec, &crate::engine::Layout::new(&model)) {
            Ok(u) => Some(u),
            Err(e) => {
                eprintln!("error: --until-se {e}");
                return Err(exit::USAGE);
            }
        },
    };
    // Without --until-se one pass; with it, 1,000 trials doubled until the standard
    // error is reached or `trials` (the ceiling) is. Each pass starts again at trial 0,
    // so the result equals `run --trials N` for the N it stops at (LHS included).
    let mut n = if until.is_some() {
        trials.min(1000)
    } else {
        trials
    };
    let columns = loop {
        let pass = crate::engine::Draws { trials: n, ..draws };
        if let Some(b) = &bar {
            b.set_length(n);
            b.set_position(0);
        }
        let progress = |k: u64| {
            if let Some(b) = &bar {
                b.inc(k);
            }
        };
        let cols =
            match crate::engine::runner::simulate(&model, &pass, 0..n, args.threads, &progress) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: cannot start worker threads: {e}");
                    return Err(exit::FAILURE);
                }
            };
        match &until {
            Some((col, target)) if n < trials => {
                if crate::summary::stats(&cols.data[*col]).se <= *target {
                    break cols;
                }
                n = (2 * n).min(trials);
            }
            _ => break cols,
        }
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if let Some((col, target)) = &until
        && !args.quiet
    {
        let se = crate::summary::stats(&columns.data[*col]).se;
        let name = &columns.names[*col];
        if se <= *target {
            eprintln!(
                "until-se: {name} se {se:.6} <= {target} reached with {} trials",
                columns.len()
            );
        } else {
            eprintln!(
                "until-se: {name} se {se:.6} is still above {target} after the maximum of {} trials (raise --trials)",
                columns.len()
            );
        }
    }
    let trials = columns.len() as u64;
    let id = crate::summary::RunIdentity {
        name: model.name.clone(),
        file: file_name(&args.scenario),
        sha256: sha2::Sha256::digest(loaded.text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        currency: model.currency.clone(),
        trials,
        seed,
        sampling: model.sampling.as_str().into(),
    };
    let summary = crate::summary::summarize(&model, &columns, &id);
    Ok(RunResult {
        scenario: loaded.scenario,
        model,
        columns,
        summary,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Parses `METRIC=VALUE` of `--until-se` into (column index, target se).
fn parse_until_se(spec: &str, layout: &crate::engine::Layout) -> Result<(usize, f64), String> {
    let (m, v) = spec
        .split_once('=')
        .ok_or_else(|| format!("`{spec}`: expected METRIC=VALUE, e.g. investor_irr=0.001"))?;
    let col = layout
        .index_of(m.trim())
        .filter(|&i| layout.is_metric(i))
        .ok_or_else(|| format!("`{spec}`: unknown metric `{}`", m.trim()))?;
    let target = v
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x > 0.0);
    let target =
        target.ok_or_else(|| format!("`{spec}`: `{}` is not a positive number", v.trim()))?;
    Ok((col, target))
}

/// `ibsim run`: simulate, write `summary.json`, `run.json` (and `trials.csv`), print a summary.
pub fn run(args: &RunArgs) -> i32 {
    if let Some(spec) = args.shard {
        return run_shard(args, spec);
    }
    let result = match simulate_run(args) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let stem = crate::output::folder_name(&args.scenario);
    let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    write_outputs(
        &result,
        &args.scenario.display().to_string(),
        &args.out.join(&stem),
        threads,
        args,
    )
}

/// Writes `summary.json`, `run.json`, the reports and `trials.csv` of a run
/// (or of merged shards) into `dir`, then prints the summary table.
fn write_outputs(
    result: &RunResult,
    scenario: &str,
    dir: &Path,
    threads: usize,
    args: &RunArgs,
) -> i32 {
    let staging = match crate::output::Staging::new(
        dir,
        owner_of(&result.summary),
        crate::output::Product::Run,
        args.replace,
    ) {
        Ok(st) => st,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::FAILURE;
        }
    };
    let final_dir = dir;
    let dir = staging.path();
    let trials = result.columns.len() as f64;
    let run_info = serde_json::json!({
        "ibsim_version": env!("CARGO_PKG_VERSION"),
        "model_version": crate::MODEL_VERSION,
        "scenario": scenario,
        "seed": result.summary["seed"],
        "trials": result.summary["trials"],
        "threads": threads,
        "wall_seconds": result.seconds,
        "trials_per_second": trials / result.seconds.max(1e-9),
        "host": crate::report::host_name(),
        "finished_unix_seconds": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    });
    let mut files = vec![
        (
            dir.join("summary.json"),
            crate::output::json_text(&result.summary),
        ),
        (dir.join("run.json"), crate::output::json_text(&run_info)),
    ];
    for (path, text) in files.drain(..) {
        if let Err(e) = write_atomic(&path, text.as_bytes()) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return exit::FAILURE;
        }
    }
    if !args.no_report {
        let report_start = std::time::Instant::now();
        let written = crate::report::files(result, &run_info, args.lang).and_then(|docs| {
            crate::output::write_files(dir, docs.iter().map(|d| (d.path.as_path(), &d.bytes[..])))
        });
        if let Err(e) = written {
            eprintln!("error: {e}");
            return exit::FAILURE;
        }
        if !args.quiet && std::env::var_os("IBSIM_TIMING").is_some() {
            eprintln!("reports: {:.3} s", report_start.elapsed().as_secs_f64());
        }
    }
    if args.save_trials {
        let written = crate::report::trials_csv(&result.columns)
            .map_err(|e| format!("cannot write trials.csv: {e}"))
            .and_then(|d| crate::output::write_files(dir, [(d.path.as_path(), &d.bytes[..])]));
        if let Err(e) = written {
            eprintln!("error: {e}");
            return exit::FAILURE;
        }
    }
    if let Err(e) = staging.commit() {
        eprintln!("error: {e}");
        return exit::FAILURE;
    }
    let dir = final_dir;
    if !args.quiet {
        let m = &result.model;
        let last = &m.outcomes[m.last_outcome].id;
        print!(
            "{}",
            crate::report::table::render(
                &result.summary,
                m.hurdle_irr,
                m.committed_capital,
                last,
                args.lang
            )
        );
        println!(
            "  {}",
            args.lang
                .run_written(&dir.display().to_string(), result.seconds, threads, trials)
        );
    }
    exit::OK
}

/// Whose outputs a summary (or sweep) belongs to: its `scenario.file` and `scenario.name`.
fn owner_of(summary: &serde_json::Value) -> crate::output::Owner {
    crate::output::Owner {
        file: summary["scenario"]["file"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        name: summary["scenario"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    }
}

/// Prints a scenario's problems, one per line; the exit code of an invalid scenario.
fn print_diagnostics(diags: &[scenario::Diagnostic]) -> i32 {
    for d in diags {
        eprintln!("{d}");
    }
    exit::FAILURE
}

/// The SHA-256 of a scenario's text, in hex.
use crate::shard::sha256_hex;

/// `ibsim run --shard K/N`: simulates shard K of N of the run and writes
/// `OUT/<stem>/shard-K-of-N.ibshard`.
fn run_shard(args: &RunArgs, spec: crate::shard::ShardSpec) -> i32 {
    if args.until_se.is_some() || args.save_trials {
        eprintln!(
            "error: --shard cannot be combined with --until-se or --save-trials (merge the shards first)"
        );
        return exit::USAGE;
    }
    if args.threads == Some(0) {
        eprintln!("error: --threads must be at least 1");
        return exit::USAGE;
    }
    let loaded = match scenario::load(&args.scenario) {
        Ok(l) => l,
        Err(diags) => return print_diagnostics(&diags),
    };
    let model = crate::model::Model::compile(&loaded.scenario);
    let trials = args.trials.unwrap_or(model.trials);
    if trials == 0 {
        eprintln!("error: --trials must be at least 1");
        return exit::USAGE;
    }
    let seed = args.seed.unwrap_or(model.seed);
    let draws = crate::engine::Draws {
        seed,
        trials,
        sampling: model.sampling,
    };
    let range = spec.range(trials);
    if let Err(c) = check_cost(&model, range.end - range.start, 1, args.threads, args.force) {
        return c;
    }
    let start = std::time::Instant::now();
    let cols =
        match crate::engine::runner::simulate(&model, &draws, range.clone(), args.threads, &|_| {})
        {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: cannot start worker threads: {e}");
                return exit::FAILURE;
            }
        };
    let identity = serde_json::json!({
        "scenario": {
            "name": model.name,
            "file": file_name(&args.scenario),
            "sha256": sha256_hex(&loaded.text),
            "currency": model.currency,
            "yaml": loaded.text,
        },
        "trials": trials,
        "seed": seed,
        "sampling": model.sampling.as_str(),
    });
    let bytes = crate::shard::encode(&identity, spec, &cols);
    let dir = args.out.join(crate::output::folder_name(&args.scenario));
    let owner = crate::output::Owner {
        file: file_name(&args.scenario),
        name: model.name.clone(),
    };
    if let Err(e) = crate::output::claim(&dir, &owner, args.replace) {
        eprintln!("error: {e}");
        return exit::FAILURE;
    }
    let path = dir.join(format!("shard-{}-of-{}.ibshard", spec.index, spec.count));
    if let Err(e) = std::fs::create_dir_all(&dir)
        .and_then(|()| write_atomic(&path, &bytes))
        .and_then(|()| crate::output::mark(&dir, &owner))
    {
        eprintln!("error: cannot write {}: {e}", path.display());
        return exit::FAILURE;
    }
    if !args.quiet {
        println!(
            "wrote {} (trials {}..{} of {trials}, {:.2} s)",
            path.display(),
            range.start,
            range.end,
            start.elapsed().as_secs_f64()
        );
    }
    exit::OK
}

/// Options of `ibsim merge`.
#[derive(Debug, Clone)]
pub struct MergeArgs {
    /// Shard files.
    pub shards: Vec<std::path::PathBuf>,
    /// Output folder; results go to `out/<scenario-file-stem>/`.
    pub out: std::path::PathBuf,
    /// Language of the table and reports.
    pub lang: crate::report::i18n::Lang,
    /// Skip charts, report.html and workbook.xlsx.
    pub no_report: bool,
    /// Print nothing but errors.
    pub quiet: bool,
    /// Replace an output folder that holds another scenario's ibsim outputs.
    pub replace: bool,
}

/// `ibsim merge SHARD... --out DIR`: checks the shards, puts the trials back
/// in order and writes what `ibsim run` of the whole run writes.
pub fn merge(args: &MergeArgs) -> i32 {
    let start = std::time::Instant::now();
    let first_is_sweep = args.shards.first().is_some_and(|p| {
        let mut magic = [0u8; 8];
        std::fs::File::open(p)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
            .is_ok()
            && crate::shard::is_sweep(&magic)
    });
    if first_is_sweep {
        return merge_sweep(args);
    }
    let mut shards = Vec::with_capacity(args.shards.len());
    for p in &args.shards {
        match crate::shard::read(p) {
            Ok((h, c)) => shards.push((p.display().to_string(), h, c)),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::FAILURE;
            }
        }
    }
    let merged = match crate::shard::merge_decoded(shards) {
        Ok(m) => m,
        Err(crate::shard::MergeFailure::Shards(e)) => {
            eprintln!("error: {e}");
            return exit::FAILURE;
        }
        Err(crate::shard::MergeFailure::Scenario(diags)) => return print_diagnostics(&diags),
    };
    let file = merged.file;
    let result = RunResult {
        scenario: merged.scenario,
        model: merged.model,
        columns: merged.columns,
        summary: merged.summary,
        seconds: start.elapsed().as_secs_f64(),
    };
    let stem = crate::output::folder_name(Path::new(&file));
    let run_args = RunArgs {
        scenario: file.clone().into(),
        trials: None,
        seed: None,
        threads: None,
        out: args.out.clone(),
        save_trials: false,
        quiet: args.quiet,
        lang: args.lang,
        no_report: args.no_report,
        until_se: None,
        shard: None,
        force: false,
        replace: args.replace,
    };
    write_outputs(
        &result,
        &format!("{file} (merged from {} shards)", args.shards.len()),
        &args.out.join(stem),
        rayon::current_num_threads(),
        &run_args,
    )
}

/// Options shared by `sweep` and `solve`.
#[derive(Debug, Clone)]
pub struct AnalysisArgs {
    /// Scenario file.
    pub scenario: std::path::PathBuf,
    /// `--vary` values as given.
    pub vary: Vec<String>,
    /// Overrides `simulation.trials` at every point.
    pub trials: Option<u64>,
    /// Overrides `simulation.seed`.
    pub seed: Option<u64>,
    /// Worker threads.
    pub threads: Option<usize>,
    /// Output folder.
    pub out: std::path::PathBuf,
    /// Language.
    pub lang: crate::report::i18n::Lang,
    /// Print nothing but errors.
    pub quiet: bool,
    /// Run even when estimated to take hours.
    pub force: bool,
    /// Replace an output folder holding another scenario's ibsim outputs.
    pub replace: bool,
}

/// Where an analysis writes: its output folder and whose it is.
struct Destination {
    dir: std::path::PathBuf,
    owner: crate::output::Owner,
    replace: bool,
}

impl Destination {
    /// For `scenario` (file `file`) under `out`; refuses a folder holding
    /// another scenario's outputs now, before any work, unless `replace`.
    fn new(
        out: &Path,
        file: &Path,
        s: &scenario::Scenario,
        replace: bool,
    ) -> Result<Destination, i32> {
        let d = Destination {
            dir: out.join(crate::output::folder_name(file)),
            owner: crate::output::Owner {
                file: file_name(file),
                name: s.name.clone(),
            },
            replace,
        };
        if let Err(e) = crate::output::claim(&d.dir, &d.owner, replace) {
            eprintln!("error: {e}");
            return Err(exit::FAILURE);
        }
        Ok(d)
    }

    /// A staging folder for this destination's `product`.
    fn stage(&self, product: crate::output::Product) -> Result<crate::output::Staging, i32> {
        crate::output::Staging::new(&self.dir, self.owner.clone(), product, self.replace).map_err(
            |e| {
                eprintln!("error: {e}");
                exit::FAILURE
            },
        )
    }
}

/// Checks the estimated time and memory of `points` runs of `trials` trials;
/// prints why and returns the usage exit code when the run is refused.
fn check_cost(
    model: &crate::model::Model,
    trials: u64,
    points: u64,
    threads: Option<usize>,
    force: bool,
) -> Result<(), i32> {
    let threads = threads.unwrap_or_else(rayon::current_num_threads);
    match crate::run::budget::check_run(model, trials, points, threads, force) {
        Ok(()) => Ok(()),
        Err(crate::run::budget::Refusal::TooLong(m) | crate::run::budget::Refusal::TooBig(m)) => {
            eprintln!("error: {m}");
            Err(exit::USAGE)
        }
    }
}

fn load_for_analysis(
    args: &AnalysisArgs,
) -> Result<(scenario::Scenario, u64, u64, Destination), i32> {
    let loaded = scenario::load(&args.scenario).map_err(|diags| {
        for d in &diags {
            eprintln!("{d}");
        }
        exit::FAILURE
    })?;
    let model = crate::model::Model::compile(&loaded.scenario);
    let trials = args.trials.unwrap_or(model.trials);
    if trials < 2 {
        eprintln!("error: --trials must be at least 2");
        return Err(exit::USAGE);
    }
    let dest = Destination::new(&args.out, &args.scenario, &loaded.scenario, args.replace)?;
    Ok((
        loaded.scenario,
        trials,
        args.seed.unwrap_or(model.seed),
        dest,
    ))
}

/// Checks every `--vary` PATH against the scenario before running anything.
fn check_paths(s: &scenario::Scenario, vary: &[crate::analysis::sweep::Vary]) -> Result<(), i32> {
    for v in vary {
        for x in [v.lo, v.hi] {
            if let Err(e) = crate::analysis::path::set(s, &v.path, x) {
                eprintln!("error: --vary {}: {e}", v.path);
                return Err(exit::FAILURE);
            }
        }
    }
    // Two PATHs for one value (the same text, or an item by id and by
    // position) would make a grid with a dead axis: setting the first must
    // not move the second.
    if let [a, b] = vary {
        use crate::analysis::path::{get, set};
        let b_when_a_is = |x: f64| {
            set(s, &a.path, x)
                .ok()
                .and_then(|m| get(&m, &b.path))
                .map(f64::to_bits)
        };
        if a.lo != a.hi && b_when_a_is(a.lo) != b_when_a_is(a.hi) {
            eprintln!(
                "error: --vary {} and --vary {} name the same value: vary two different values",
                a.path, b.path
            );
            return Err(exit::USAGE);
        }
    }
    Ok(())
}

/// `ibsim sweep`: grid over one or two values; writes sweep.csv, sweep.json and a chart.
pub fn sweep(
    args: &AnalysisArgs,
    limits: &crate::analysis::sweep::Limits,
    shard: Option<crate::shard::ShardSpec>,
) -> i32 {
    use crate::analysis::sweep::{Vary, sweep};
    if args.vary.is_empty() || args.vary.len() > 2 {
        eprintln!("error: give one or two --vary PATH=LO..HI:STEPS");
        return exit::USAGE;
    }
    let mut vary = Vec::new();
    for v in &args.vary {
        match Vary::parse(v) {
            Ok(mut x) => {
                if x.steps == 0 {
                    x.steps = 11;
                }
                vary.push(x);
            }
            Err(e) => {
                eprintln!("error: --vary {e}");
                return exit::USAGE;
            }
        }
    }
    let (s, trials, seed, dest) = match load_for_analysis(args) {
        Ok(x) => x,
        Err(c) => return c,
    };
    if let Err(c) = check_paths(&s, &vary) {
        return c;
    }
    let points = crate::analysis::sweep::grid_points(&vary).len() as u64;
    let points = shard.map_or(points, |sp| {
        let r = sp.range(points);
        r.end - r.start
    });
    if let Err(c) = check_cost(
        &crate::model::Model::compile(&s),
        trials,
        points,
        args.threads,
        args.force,
    ) {
        return c;
    }
    let quiet = args.quiet
        || std::env::var_os("CI").is_some()
        || !std::io::IsTerminal::is_terminal(&std::io::stderr());
    let total = crate::analysis::sweep::grid_points(&vary).len();
    let only = shard.map(|sp| {
        let r = sp.range(total as u64);
        r.start as usize..r.end as usize
    });
    let result = match sweep(
        &s,
        &vary,
        trials,
        seed,
        args.threads,
        limits,
        only.clone(),
        &|i, n| {
            if !quiet {
                eprint!("\r  point {i}/{n}");
            }
        },
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::FAILURE;
        }
    };
    if !quiet {
        eprintln!();
    }
    if let (Some(spec), Some(only)) = (shard, only) {
        let text = crate::limits::read_bounded(&args.scenario, scenario::MAX_FILE_BYTES)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let header = serde_json::json!({
            "scenario": {"file": file_name(&args.scenario), "name": s.name, "sha256": sha256_hex(&text)},
            "seed": seed,
            "trials": trials,
            "vary": vary.iter().map(|v| serde_json::json!({"path": v.path, "lo": v.lo.to_bits(), "hi": v.hi.to_bits(), "steps": v.steps})).collect::<Vec<_>>(),
            "limits": {
                "max_prob_loss": limits.max_prob_loss.to_bits(),
                "max_prob_over_cap": limits.max_prob_over_cap.to_bits(),
                "payer_cap": limits.payer_cap.map(f64::to_bits),
            },
            "points": total,
        });
        let rows: Vec<(usize, crate::analysis::sweep::SweepRow)> = result
            .rows
            .into_iter()
            .enumerate()
            .map(|(j, r)| (only.start + j, r))
            .collect();
        let bytes = crate::shard::encode_sweep(&header, spec, &rows, result.cap);
        let path = dest.dir.join(format!(
            "sweep-shard-{}-of-{}.ibshard",
            spec.index, spec.count
        ));
        if let Err(e) = std::fs::create_dir_all(&dest.dir)
            .and_then(|()| write_atomic(&path, &bytes))
            .and_then(|()| crate::output::mark(&dest.dir, &dest.owner))
        {
            eprintln!("error: cannot write {}: {e}", path.display());
            return exit::FAILURE;
        }
        if !args.quiet {
            println!(
                "wrote {} (grid points {}..{} of {total})",
                path.display(),
                only.start,
                only.end
            );
        }
        return exit::OK;
    }
    write_sweep_outputs(&result, limits, &dest, args.lang, args.quiet)
}

/// Writes `sweep.json`, `sweep.csv` and the chart of a sweep, and prints its table.
fn write_sweep_outputs(
    result: &crate::analysis::sweep::SweepResult,
    limits: &crate::analysis::sweep::Limits,
    dest: &Destination,
    lang: crate::report::i18n::Lang,
    quiet: bool,
) -> i32 {
    let staging = match dest.stage(crate::output::Product::Sweep) {
        Ok(st) => st,
        Err(c) => return c,
    };
    let dir = staging.path();
    let files = [
        (
            dir.join("sweep.json"),
            crate::output::json_text(&result.to_json()),
        ),
        (dir.join("sweep.csv"), result.to_csv()),
    ];
    for (p, text) in &files {
        if let Err(e) = write_atomic(p, text.as_bytes()) {
            eprintln!("error: cannot write {}: {e}", p.display());
            return exit::FAILURE;
        }
    }
    let written = crate::report::sweep_chart::files(result, limits, lang).and_then(|docs| {
        crate::output::write_files(dir, docs.iter().map(|d| (d.path.as_path(), &d.bytes[..])))
    });
    if let Err(e) = written {
        eprintln!("error: {e}");
        return exit::FAILURE;
    }
    if let Err(e) = staging.commit() {
        eprintln!("error: {e}");
        return exit::FAILURE;
    }
    let dir = &dest.dir;
    if !quiet {
        print!("{}", crate::report::sweep_chart::table(result, lang));
        match lang {
            crate::report::i18n::Lang::En => println!(
                "  wrote {}/sweep.csv, sweep.json and charts/sweep.png",
                dir.display()
            ),
            crate::report::i18n::Lang::Es => println!(
                "  se escribieron {}/sweep.csv, sweep.json y charts/sweep.png",
                dir.display()
            ),
        }
    }
    exit::OK
}

/// `ibsim solve`: the value of one PATH where each target switches; the feasible window.
pub fn solve(args: &AnalysisArgs, targets: &[String], grid: usize, tol: f64) -> i32 {
    use crate::analysis::sweep::Vary;
    use crate::analysis::target::Target;
    if args.vary.len() != 1 {
        eprintln!("error: give exactly one --vary PATH=LO..HI");
        return exit::USAGE;
    }
    if targets.is_empty() {
        eprintln!("error: give at least one --target, e.g. \"prob(investor_irr >= 0.08) >= 0.8\"");
        return exit::USAGE;
    }
    if !(tol.is_finite() && (crate::limits::MIN_TOL..1.0).contains(&tol)) {
        eprintln!(
            "error: --tol {tol}: expected a fraction of the range from {:e} to below 1 (default 1e-4)",
            crate::limits::MIN_TOL
        );
        return exit::USAGE;
    }
    let vary = match Vary::parse(&args.vary[0]) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: --vary {e}");
            return exit::USAGE;
        }
    };
    let (s, trials, seed, dest) = match load_for_analysis(args) {
        Ok(x) => x,
        Err(c) => return c,
    };
    if let Err(c) = check_paths(&s, std::slice::from_ref(&vary)) {
        return c;
    }
    let model = crate::model::Model::compile(&s);
    // The grid, then bisection steps (about 30 per target at most).
    let runs = (grid + 30 * targets.len()) as u64;
    if let Err(c) = check_cost(&model, trials, runs, args.threads, args.force) {
        return c;
    }
    let layout = crate::engine::Layout::new(&model);
    let metrics: Vec<String> = layout
        .names
        .iter()
        .filter(|n| !n.starts_with('_'))
        .cloned()
        .collect();
    let mut parsed = Vec::new();
    for t in targets {
        match Target::parse(t, &metrics) {
            Ok(t) => parsed.push(t),
            Err(e) => {
                eprintln!("error: --target {e}");
                return exit::USAGE;
            }
        }
    }
    let result = match crate::analysis::solve::solve(
        &s,
        &vary,
        &parsed,
        grid,
        tol,
        trials,
        seed,
        args.threads,
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::FAILURE;
        }
    };
    let staging = match dest.stage(crate::output::Product::Solve) {
        Ok(st) => st,
        Err(c) => return c,
    };
    let staged = staging.path().join("solve.json");
    if let Err(e) = write_atomic(
        &staged,
        crate::output::json_text(&result.to_json()).as_bytes(),
    )
    .map_err(|e| e.to_string())
    .and_then(|()| staging.commit())
    {
        eprintln!(
            "error: cannot write solve.json into {}: {e}",
            dest.dir.display()
        );
        return exit::FAILURE;
    }
    let path = dest.dir.join("solve.json");
    if !args.quiet {
        print!(
            "{}",
            crate::report::analysis::solve_text(&result, args.lang)
        );
        match args.lang {
            crate::report::i18n::Lang::En => println!(
                "  {} runs of {trials} trials; wrote {}",
                result.runs,
                path.display()
            ),
            crate::report::i18n::Lang::Es => println!(
                "  {} ejecuciones de {trials} simulaciones; se escribió {}",
                result.runs,
                path.display()
            ),
        }
    }
    exit::OK
}

/// `ibsim sensitivity`: rank correlations and P10/P90 swings of every uncertain input.
pub fn sensitivity(args: &AnalysisArgs) -> i32 {
    let (s, trials, seed, dest) = match load_for_analysis(args) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let model = crate::model::Model::compile(&s);
    if model.params.is_empty() {
        eprintln!(
            "error: {} has no uncertain inputs (every value is a constant)",
            args.scenario.display()
        );
        return exit::FAILURE;
    }
    let runs = 1 + 2 * model.params.len() as u64;
    if let Err(c) = check_cost(&model, trials, runs, args.threads, args.force) {
        return c;
    }
    let res = match crate::analysis::sensitivity::analyse(&model, trials, seed, args.threads) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::FAILURE;
        }
    };
    let staging = match dest.stage(crate::output::Product::Sensitivity) {
        Ok(st) => st,
        Err(c) => return c,
    };
    let staged = staging.path().join("sensitivity.json");
    if let Err(e) = write_atomic(&staged, crate::output::json_text(&res.to_json()).as_bytes()) {
        eprintln!("error: cannot write {}: {e}", staged.display());
        return exit::FAILURE;
    }
    let written =
        crate::report::tornado::files(&res, &model.currency, args.lang).and_then(|docs| {
            crate::output::write_files(
                staging.path(),
                docs.iter().map(|d| (d.path.as_path(), &d.bytes[..])),
            )
        });
    if let Err(e) = written {
        eprintln!("error: {e}");
        return exit::FAILURE;
    }
    if let Err(e) = staging.commit() {
        eprintln!("error: {e}");
        return exit::FAILURE;
    }
    let path = dest.dir.join("sensitivity.json");
    if !args.quiet {
        print!(
            "{}",
            crate::report::analysis::sensitivity_table(&res, args.lang)
        );
        let (inputs, runs) = (res.inputs.len(), 2 * res.inputs.len() + 1);
        match args.lang {
            crate::report::i18n::Lang::En => println!(
                "  {inputs} inputs, {runs} runs of {trials} trials; wrote {} and charts/tornado_*.png",
                path.display()
            ),
            crate::report::i18n::Lang::Es => println!(
                "  {inputs} entradas, {runs} ejecuciones de {trials} simulaciones; se escribieron {} y charts/tornado_*.png",
                path.display()
            ),
        }
    }
    exit::OK
}

/// The file name of a scenario path, as `summary.json` records it: the same
/// from any working folder and on any machine.
pub fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Options of `ibsim check`.
#[derive(Debug, Clone)]
pub struct CheckArgs {
    /// Scenario file.
    pub scenario: std::path::PathBuf,
    /// Stored `summary.json` to compare with.
    pub baseline: std::path::PathBuf,
    /// Trials (default: the baseline's).
    pub trials: Option<u64>,
    /// Seed (default: the baseline's).
    pub seed: Option<u64>,
    /// Worker threads.
    pub threads: Option<usize>,
    /// Compare statistically even when the exact mode applies.
    pub statistical: bool,
    /// Tolerance in combined standard errors.
    pub sigma: f64,
    /// Rewrite the baseline with this run instead of comparing.
    pub update: bool,
    /// Print nothing when consistent.
    pub quiet: bool,
    /// Run even when estimated to take hours.
    pub force: bool,
}

/// `ibsim check SCENARIO --baseline FILE`: 0 when consistent, 1 with a table
/// of what moved (or when the scenario is invalid), 2 on usage errors.
pub fn check(args: &CheckArgs) -> i32 {
    if !(args.sigma.is_finite() && args.sigma > 0.0) {
        eprintln!("error: --sigma must be a positive number");
        return exit::USAGE;
    }
    let read = crate::limits::read_bounded(&args.baseline, crate::limits::MAX_BASELINE_BYTES);
    let baseline: Option<serde_json::Value> = match read {
        Ok(bytes) => match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(v) if v.get("metrics").is_some() && v.get("trials").is_some() => {
                if let Err(e) = crate::check::baseline_problem(&v) {
                    eprintln!("error: {}: {e}", args.baseline.display());
                    return exit::USAGE;
                }
                Some(v)
            }
            Ok(_) => {
                eprintln!(
                    "error: {}: not an ibsim summary.json (no `metrics` or `trials`)",
                    args.baseline.display()
                );
                return exit::USAGE;
            }
            Err(e) => {
                eprintln!("error: {}: not valid JSON: {e}", args.baseline.display());
                return exit::USAGE;
            }
        },
        Err(crate::limits::ReadError::Io(e))
            if e.kind() == std::io::ErrorKind::NotFound && args.update =>
        {
            None
        }
        Err(e) => {
            eprintln!(
                "error: cannot read baseline {}: {e}{}",
                args.baseline.display(),
                if matches!(&e, crate::limits::ReadError::Io(io) if io.kind() == std::io::ErrorKind::NotFound)
                {
                    " (create it with --update)"
                } else {
                    ""
                }
            );
            return exit::USAGE;
        }
    };
    let from_base = |key: &str| baseline.as_ref().and_then(|b| b[key].as_u64());
    let run = RunArgs {
        scenario: args.scenario.clone(),
        trials: args.trials.or_else(|| from_base("trials")),
        seed: args.seed.or_else(|| from_base("seed")),
        threads: args.threads,
        out: std::path::PathBuf::new(),
        save_trials: false,
        quiet: true,
        lang: crate::report::i18n::Lang::En,
        no_report: true,
        until_se: None,
        shard: None,
        force: args.force,
        replace: false,
    };
    let result = match simulate_run(&run) {
        Ok(r) => r,
        Err(code) => return code,
    };
    // Through text and back, exactly as a stored summary is read.
    let text = crate::output::json_text(&result.summary);
    let now: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    let name = args.scenario.display();
    if args.update {
        if let Err(e) = write_atomic(&args.baseline, text.as_bytes()) {
            eprintln!("error: cannot write {}: {e}", args.baseline.display());
            return exit::FAILURE;
        }
        if !args.quiet {
            println!(
                "updated {} from {name} ({} trials, seed {})",
                args.baseline.display(),
                now["trials"],
                now["seed"]
            );
        }
        return exit::OK;
    }
    let Some(base) = baseline else {
        return exit::USAGE;
    };
    let same = |k: &str| base[k] == now[k];
    let exact_mode = !args.statistical
        && same("seed")
        && same("trials")
        && same("sampling")
        && same("model_version");
    let (mode, report) = if exact_mode {
        ("exact", crate::check::exact(&base, &now))
    } else {
        (
            "statistical",
            crate::check::statistical(&base, &now, &result.model, &result.columns, args.sigma),
        )
    };
    let header = format!(
        "check {name} against {}: {mode} mode ({} trials, seed {}; baseline {} trials, seed {}, model {})",
        args.baseline.display(),
        now["trials"],
        now["seed"],
        base["trials"],
        base["seed"],
        base["model_version"],
    );
    if base["scenario"]["sha256"] != now["scenario"]["sha256"] && !args.quiet {
        println!("note: the scenario file differs from the baseline's (sha256)");
    }
    if report.differences.is_empty() {
        if !args.quiet {
            println!("{header}");
            println!(
                "ok: {} figures compared, all {}",
                report.compared,
                if exact_mode {
                    "identical".to_string()
                } else {
                    format!("within {} se", args.sigma)
                }
            );
        }
        return exit::OK;
    }
    println!("{header}");
    println!(
        "FAILED: {} of {} figures {}:",
        report.differences.len(),
        report.compared,
        if exact_mode {
            "differ".to_string()
        } else {
            format!("moved by more than {} se", args.sigma)
        }
    );
    print!("{}", crate::check::table(&report, 20));
    println!(
        "if the change is intended: ibsim check {name} --baseline {} --update",
        args.baseline.display()
    );
    exit::FAILURE
}

/// `ibsim merge` of sweep shards: every grid point once, then the sweep's files.
fn merge_sweep(args: &MergeArgs) -> i32 {
    let mut shards = Vec::with_capacity(args.shards.len());
    for p in &args.shards {
        let read = crate::shard::read_container(p, crate::shard::SWEEP_MAGIC, "sweep shard")
            .and_then(|b| crate::shard::decode_sweep(&b));
        match read {
            Ok(sh) => shards.push((p.display().to_string(), sh)),
            Err(e) => {
                eprintln!("error: {}: {e}", p.display());
                return exit::FAILURE;
            }
        }
    }
    let (h, rows, cap) = match crate::shard::assemble_sweep(shards) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::FAILURE;
        }
    };
    let bits = |v: &serde_json::Value| v.as_u64().map(f64::from_bits);
    let vary: Vec<crate::analysis::sweep::Vary> = h["vary"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| crate::analysis::sweep::Vary {
                    path: v["path"].as_str().unwrap_or_default().to_string(),
                    lo: bits(&v["lo"]).unwrap_or(f64::NAN),
                    hi: bits(&v["hi"]).unwrap_or(f64::NAN),
                    steps: v["steps"].as_u64().unwrap_or(0) as usize,
                })
                .collect()
        })
        .unwrap_or_default();
    let limits = crate::analysis::sweep::Limits {
        max_prob_loss: bits(&h["limits"]["max_prob_loss"]).unwrap_or(f64::NAN),
        max_prob_over_cap: bits(&h["limits"]["max_prob_over_cap"]).unwrap_or(f64::NAN),
        payer_cap: bits(&h["limits"]["payer_cap"]),
    };
    let result = crate::analysis::sweep::SweepResult {
        vary,
        rows,
        trials: h["trials"].as_u64().unwrap_or_default(),
        seed: h["seed"].as_u64().unwrap_or_default(),
        cap,
    };
    let file = h["scenario"]["file"].as_str().unwrap_or("scenario.yaml");
    let dest = Destination {
        dir: args.out.join(crate::output::folder_name(Path::new(file))),
        owner: owner_of(&h),
        replace: args.replace,
    };
    write_sweep_outputs(&result, &limits, &dest, args.lang, args.quiet)
}
