//! `ibsim solve`: the value of one PATH where each target switches, and the
//! window where every target holds; `solve.json` and a few lines.

use std::path::PathBuf;

use ibsim::analysis::sweep::Vary;
use ibsim::analysis::target::Target;
use ibsim::output::{self, Product};
use ibsim::report::i18n::Lang;

use super::analysis::{check_paths, load};
use super::{CommonFlags, Error};

/// Options of `ibsim solve`.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (YAML).
    scenario: PathBuf,
    /// PATH=LO..HI, e.g. outcomes.placement.price=1e6..3e6.
    #[arg(long, required = true)]
    vary: String,
    /// prob(METRIC OP X) OP P, quantile(METRIC, Q) OP X or mean(METRIC) OP X (repeatable).
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
    let (p, dest) = load(&a.scenario, c)?;
    let s = &p.loaded.scenario;
    check_paths(s, std::slice::from_ref(&vary))?;
    // The grid, then bisection steps (about 30 per target at most).
    let runs = (a.grid + 30 * a.target.len()) as u64;
    p.check_cost(p.trials, runs, c.threads, c.force)?;
    let layout = ibsim::engine::Layout::new(&p.model);
    let metrics: Vec<String> = layout
        .names
        .iter()
        .filter(|n| !n.starts_with('_'))
        .cloned()
        .collect();
    let targets = a
        .target
        .iter()
        .map(|t| Target::parse(t, &metrics).map_err(|e| Error::usage(format!("--target {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let result =
        ibsim::analysis::solve::solve(s, &vary, &targets, a.grid, tol, p.trials, p.seed, c.threads)
            .map_err(Error::failed)?;
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
        let (runs, trials, path) = (result.runs, p.trials, path.display());
        print!("{}", ibsim::report::analysis::solve_text(&result, lang));
        match lang {
            Lang::En => println!("  {runs} runs of {trials} trials; wrote {path}"),
            Lang::Es => {
                println!("  {runs} ejecuciones de {trials} simulaciones; se escribió {path}")
            }
        }
    }
    Ok(())
}
