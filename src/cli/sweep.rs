//! `ibsim sweep`: a grid over one or two values with common random numbers;
//! `sweep.json`, `sweep.csv`, a chart and a table (or one sweep shard).

use std::path::PathBuf;

use ibsim::analysis::sweep::{Limits, SweepResult, Vary};
use ibsim::output::{self, Product};
use ibsim::report::i18n::Lang;

use super::analysis::{Destination, check_paths, is_programme, load, load_programme};
use super::run::write_documents;
use super::{CommonFlags, Error};

/// Options of `ibsim sweep`.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario or programme file (YAML).
    scenario: PathBuf,
    /// PATH=LO..HI:STEPS, e.g. outcomes.placement.price=1.5e6..2.5e6:11 (once or twice).
    #[arg(long, required = true)]
    vary: Vec<String>,
    #[command(flatten)]
    common: CommonFlags,
    /// Most acceptable P(investors lose money) for the feasible corridor.
    #[arg(long, default_value_t = 0.10)]
    max_prob_loss: f64,
    /// Most acceptable P(payer cost > cap) for the feasible corridor.
    #[arg(long, default_value_t = 0.05)]
    max_prob_over_cap: f64,
    /// The payer's cap on its cost (default: budget cap + evaluation cost).
    #[arg(long)]
    payer_cap: Option<f64>,
    /// Run only shard K of N (0-based) of the grid points and write a sweep
    /// shard file for `ibsim merge`.
    /// `auto` reads K and N from the scheduler's array variables (Slurm,
    /// Kubernetes Indexed Job, AWS Batch).
    #[arg(long, value_name = "K/N|auto")]
    shard: Option<String>,
    /// The number of shards for `--shard auto` where the scheduler gives
    /// only the index (a Kubernetes Indexed Job's completions).
    #[arg(long, value_name = "N", requires = "shard")]
    shards: Option<u64>,
}

/// `ibsim sweep`.
pub fn run(a: &Args) -> Result<(), Error> {
    let c = &a.common;
    let shard = super::shard_flag(a.shard.as_deref(), a.shards)?;
    let limits = Limits {
        max_prob_loss: a.max_prob_loss,
        max_prob_over_cap: a.max_prob_over_cap,
        payer_cap: a.payer_cap,
    };
    if a.vary.is_empty() || a.vary.len() > 2 {
        return Err(Error::usage("give one or two --vary PATH=LO..HI:STEPS"));
    }
    let mut vary = Vec::new();
    for v in &a.vary {
        let mut x = Vary::parse(v).map_err(|e| Error::usage(format!("--vary {e}")))?;
        if x.steps == 0 {
            x.steps = 11;
        }
        vary.push(x);
    }
    if is_programme(&a.scenario) {
        if shard.is_some() {
            return Err(Error::usage(
                "--shard splits a scenario's sweep; a programme's sweep runs whole",
            ));
        }
        return programme_sweep(a, &vary);
    }
    let (p, dest) = load(&a.scenario, c)?;
    let s = &p.loaded.scenario;
    check_paths(s, &vary)?;
    let total = ibsim::analysis::sweep::grid_points(&vary).len();
    let only = shard.map(|sp| {
        let r = sp.range(total as u64);
        r.start as usize..r.end as usize
    });
    let points = only.as_ref().map_or(total, |r| r.len()) as u64;
    p.check_cost(p.trials, points, c.threads, c.force)?;
    let quiet = c.quiet || !super::progress::shown();
    let result = ibsim::analysis::sweep::sweep(
        s,
        &vary,
        p.trials,
        p.seed,
        c.threads,
        &limits,
        only.clone(),
        &|i, n| {
            if !quiet {
                eprint!("\r  point {i}/{n}");
            }
        },
    )
    .map_err(Error::failed)?;
    if !quiet {
        eprintln!();
    }
    match (shard, only) {
        (Some(spec), Some(only)) => {
            let header = serde_json::json!({
                "scenario": {"file": dest.owner.file, "name": s.name, "sha256": ibsim::shard::sha256_hex(&p.loaded.text)},
                "seed": p.seed,
                "trials": p.trials,
                "vary": vary.iter().map(|v| serde_json::json!({"path": v.path, "lo": v.lo.to_bits(), "hi": v.hi.to_bits(), "steps": v.steps})).collect::<Vec<_>>(),
                "limits": {
                    "max_prob_loss": limits.max_prob_loss.to_bits(),
                    "max_prob_over_cap": limits.max_prob_over_cap.to_bits(),
                    "payer_cap": limits.payer_cap.map(f64::to_bits),
                },
                "points": total,
                "funded_by": result.funded_by,
            });
            let rows: Vec<_> = result
                .rows
                .into_iter()
                .enumerate()
                .map(|(j, r)| (only.start + j, r))
                .collect();
            let bytes = ibsim::shard::encode_sweep(&header, spec, &rows, result.cap);
            let name = format!("sweep-shard-{}-of-{}.ibshard", spec.index, spec.count);
            let path = output::write_shard(&dest.dir, &dest.owner, &name, &bytes)
                .map_err(Error::failed)?;
            if !c.quiet {
                println!(
                    "wrote {} (grid points {}..{} of {total})",
                    path.display(),
                    only.start,
                    only.end
                );
            }
            Ok(())
        }
        _ => write(&result, &limits, &dest, c.lang.into(), c.quiet),
    }
}

/// Writes `sweep.json`, `sweep.csv` and the chart of a sweep, and prints its table.
pub fn write(
    result: &SweepResult,
    limits: &Limits,
    dest: &Destination,
    lang: Lang,
    quiet: bool,
) -> Result<(), Error> {
    let staging = dest.stage(Product::Sweep)?;
    let mut docs = vec![
        ibsim::report::Document::new(
            "sweep.json".into(),
            output::json_text(&result.to_json()).into_bytes(),
        ),
        ibsim::report::Document::new("sweep.csv".into(), result.to_csv().into_bytes()),
    ];
    docs.extend(ibsim::report::sweep_chart::files(result, limits, lang).map_err(Error::failed)?);
    write_documents(staging.path(), &docs)?;
    staging.commit().map_err(Error::failed)?;
    if !quiet {
        let dir = dest.dir.display();
        print!("{}", ibsim::report::analysis::sweep_table(result, lang));
        match lang {
            Lang::En => println!("  wrote {dir}/sweep.csv, sweep.json and charts/sweep.png"),
            Lang::Es => {
                println!("  se escribieron {dir}/sweep.csv, sweep.json y charts/sweep.png")
            }
        }
    }
    Ok(())
}

/// `ibsim sweep PROGRAMME.yaml`: the fund's figures at every grid point;
/// `sweep.json`, `sweep.csv` and a table.
fn programme_sweep(a: &Args, vary: &[Vary]) -> Result<(), Error> {
    let c = &a.common;
    let total = ibsim::analysis::sweep::grid_points(vary).len();
    let p = load_programme(&a.scenario, c, vary, total as u64)?;
    let quiet = c.quiet || !super::progress::shown();
    let result =
        ibsim::programme::analysis::sweep(&p.loaded, vary, p.trials, p.seed, c.threads, &|i, n| {
            if !quiet {
                eprint!("\r  point {i}/{n}");
            }
        })
        .map_err(Error::failed)?;
    if !quiet {
        eprintln!();
    }
    let staging = p.dest.stage(Product::Sweep)?;
    let docs = [
        ibsim::report::Document::new(
            "sweep.json".into(),
            output::json_text(&result.to_json()).into_bytes(),
        ),
        ibsim::report::Document::new("sweep.csv".into(), result.to_csv().into_bytes()),
    ];
    write_documents(staging.path(), &docs)?;
    staging.commit().map_err(Error::failed)?;
    if !c.quiet {
        let lang: Lang = c.lang.into();
        let dir = p.dest.dir.display();
        print!("{}", result.table(lang));
        match lang {
            Lang::En => println!("  wrote {dir}/sweep.csv and sweep.json"),
            Lang::Es => println!("  se escribieron {dir}/sweep.csv y sweep.json"),
        }
    }
    Ok(())
}
