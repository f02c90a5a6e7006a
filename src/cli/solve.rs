//! `ibsim solve`: the value of one PATH where each target switches, and the
//! window where every target holds; `solve.json` and a few lines.

use std::path::PathBuf;

use ibsim::analysis::sweep::Vary;
use ibsim::analysis::target::Target;
use ibsim::output::{self, Product};
use ibsim::report::i18n::Lang;

use super::analysis::{Destination, check_paths, is_programme, load, load_programme};
use super::{CommonFlags, Error};

/// Options of `ibsim solve`.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario or programme file (YAML).
    scenario: PathBuf,
    /// PATH=LO..HI, e.g. outcomes.placement.price=1e6..3e6.
    #[arg(long, required = true)]
    vary: String,
    /// prob(METRIC OP X) OP P, prob(EVENT) OP P, quantile(METRIC, Q) OP X or mean(METRIC) OP X (repeatable).
    #[arg(long, required = true)]
    target: Vec<String>,
    /// Grid points tried before bisection (also the monotonicity check).
    #[arg(long, default_value_t = 9)]
    grid: usize,
    /// Bisection stops when the bracket is this fraction of the range.
    #[arg(long, default_value_t = 1e-4)]
    tol: f64,
    #[command(flatten)]
    common: CommonFlags,
}

/// `ibsim solve`.
pub fn run(a: &Args) -> Result<(), Error> {
    let c = &a.common;
    if a.target.is_empty() {
        return Err(Error::usage(
            "give at least one --target, e.g. \"prob(investor_irr >= 0.08) >= 0.8\"",
        ));
    }
    let tol = a.tol;
    if !(tol.is_finite() && (ibsim::limits::MIN_TOL..1.0).contains(&tol)) {
        return Err(Error::usage(format!(
            "--tol {tol}: expected a fraction of the range from {:e} to below 1 (default 1e-4)",
            ibsim::limits::MIN_TOL
        )));
    }
    let vary = Vary::parse(&a.vary).map_err(|e| Error::usage(format!("--vary {e}")))?;
    // The grid, then bisection steps (about 30 per target at most).
    let runs = (a.grid + 30 * a.target.len()) as u64;
    if is_programme(&a.scenario) {
        return programme_solve(a, &vary, runs);
    }
    let (p, dest) = load(&a.scenario, c)?;
    let s = &p.loaded.scenario;
    check_paths(s, std::slice::from_ref(&vary))?;
    p.check_cost(p.trials, runs, c.threads, c.force)?;
    let layout = ibsim::engine::Layout::new(&p.model);
    let targets = a
        .target
        .iter()
        .map(|t| Target::parse(t, &layout.names).map_err(|e| Error::usage(format!("--target {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let result =
        ibsim::analysis::solve::solve(s, &vary, &targets, a.grid, tol, p.trials, p.seed, c.threads)
            .map_err(Error::failed)?;
    write(&result, &dest, p.trials, c)
}

/// `ibsim solve PROGRAMME.yaml`: targets read the fund's columns
/// (`fund.payer_cost`, `fund_budget_binds`, `investor.<name>.irr`, ...)
/// and every deal's as `deals.<name>.<metric>`.
fn programme_solve(a: &Args, vary: &Vary, runs: u64) -> Result<(), Error> {
    use ibsim::programme::analysis::{column_names, run_point, target_columns};
    let c = &a.common;
    let p = load_programme(&a.scenario, c, std::slice::from_ref(vary), runs)?;
    let pm = ibsim::programme::run::ProgrammeModel::compile(&p.loaded);
    let names = column_names(&pm);
    let targets = a
        .target
        .iter()
        .map(|t| Target::parse(t, &names).map_err(|e| Error::usage(format!("--target {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let mut run = |x: f64| {
        run_point(
            &p.loaded,
            &[(vary.path.as_str(), x)],
            p.trials,
            p.seed,
            c.threads,
        )
        .map(|(pm, cols)| target_columns(&pm, cols))
    };
    let result = ibsim::analysis::solve::solve_by(&mut run, vary, &targets, a.grid, a.tol)
        .map_err(Error::failed)?;
    write(&result, &p.dest, p.trials, c)
}

/// Writes `solve.json` and prints the answer.
fn write(
    result: &ibsim::analysis::solve::SolveResult,
    dest: &Destination,
    trials: u64,
    c: &CommonFlags,
) -> Result<(), Error> {
    let staging = dest.stage(Product::Solve)?;
    output::write_atomic(
        &staging.path().join("solve.json"),
        output::json_text(&result.to_json()).as_bytes(),
    )
    .map_err(|e| e.to_string())
    .and_then(|()| staging.commit())
    .map_err(|e| {
        Error::failed(format!(
            "cannot write solve.json into {}: {e}",
            dest.dir.display()
        ))
    })?;
    if !c.quiet {
        let lang: Lang = c.lang.into();
        let path = dest.dir.join("solve.json");
        let (runs, path) = (result.runs, path.display());
        print!("{}", ibsim::report::analysis::solve_text(result, lang));
        match lang {
            Lang::En => println!("  {runs} runs of {trials} trials; wrote {path}"),
            Lang::Es => {
                println!("  {runs} ejecuciones de {trials} simulaciones; se escribió {path}")
            }
        }
    }
    Ok(())
}
