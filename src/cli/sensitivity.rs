//! `ibsim sensitivity`: rank correlations and P10/P90 swings of every
//! uncertain input, the tail analysis and (`--sobol`) Sobol indices;
//! `sensitivity.json`, charts, report, workbook and a table. With
//! `--sobol --shard K/N`, only base samples K of N of the Sobol design,
//! written to a shard file that `ibsim merge` completes.

use std::path::PathBuf;

use ibsim::analysis::sensitivity::Sensitivity;
use ibsim::model::Model;
use ibsim::output::{self, Product};
use ibsim::report::i18n::Lang;

use super::analysis::{Destination, load};
use super::run::write_documents;
use super::{CommonFlags, Error};

/// Options of `ibsim sensitivity`.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (YAML).
    scenario: PathBuf,
    /// The trials whose inputs the tail analysis describes: METRIC OP VALUE,
    /// VALUE a number or a percentile of the run (default: the funder loses
    /// money, `investor_net < 0`; also e.g. `payer_cost > p95`)
    #[arg(long, value_name = "CONDITION")]
    given: Option<String>,
    /// Also estimate variance-based (Sobol) indices on a Saltelli design
    #[arg(long)]
    sobol: bool,
    /// Base samples N of the Sobol design (N x (inputs + 3) trials)
    #[arg(long, value_name = "N", default_value_t = 8192)]
    base_samples: u64,
    /// Bootstrap resamples for the Sobol indices' intervals
    #[arg(long, value_name = "R", default_value_t = 500)]
    resamples: usize,
    /// A further metric for the Sobol indices (repeatable; investor_irr,
    /// investor_net and payer_cost are always included)
    #[arg(long, value_name = "METRIC")]
    metric: Vec<String>,
    /// Evaluate only base samples K of N (0-based) of the Sobol design and
    /// write a shard file (`OUT/<stem>/sobol-shard-K-of-N.ibshard`) for
    /// `ibsim merge`, which adds the other analyses; `auto` reads K and N
    /// from the scheduler's array variables.
    #[arg(long, value_name = "K/N|auto", requires = "sobol")]
    shard: Option<String>,
    /// The number of shards for `--shard auto` where the scheduler gives
    /// only the index (a Kubernetes Indexed Job's completions).
    #[arg(long, value_name = "N", requires = "shard")]
    shards: Option<u64>,
    #[command(flatten)]
    common: CommonFlags,
}

/// `ibsim sensitivity`.
pub fn run(a: &Args) -> Result<(), Error> {
    let c = &a.common;
    if super::analysis::is_programme(&a.scenario) {
        return Err(Error::usage(programme_message(&a.scenario)));
    }
    let (p, dest) = load(&a.scenario, c)?;
    let model = &p.model;
    if model.params.is_empty() {
        return Err(Error::failed(format!(
            "{} has no uncertain inputs (every value is a constant)",
            a.scenario.display()
        )));
    }
    let runs = 1 + 2 * model.params.len() as u64;
    p.check_cost(p.trials, runs, c.threads, c.force)?;
    let layout = ibsim::engine::Layout::new(model);
    let given = a
        .given
        .clone()
        .unwrap_or_else(|| format!("{} < 0", layout.funder.net));
    let given = ibsim::analysis::tail::Condition::parse(&given, &layout)
        .map_err(|e| Error::usage(format!("--given {e}")))?;
    // The Sobol metrics: the funder's IRR and net, the payers' cost, then --metric.
    let mut metrics = vec![
        layout.funder.irr.to_owned(),
        layout.funder.net.to_owned(),
        "payer_cost".to_owned(),
    ];
    for m in &a.metric {
        if !metrics.contains(m) {
            metrics.push(m.clone());
        }
    }
    let columns = metrics
        .iter()
        .map(|m| {
            layout
                .index_of(m)
                .filter(|&i| layout.is_metric(i))
                .ok_or_else(|| Error::usage(format!("--metric: unknown metric `{m}`")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let k = ibsim::analysis::sobol::inputs(model).len();
    let shard = super::shard_flag(a.shard.as_deref(), a.shards)?;
    if a.sobol {
        if a.base_samples < 2 {
            return Err(Error::usage("--base-samples: expected at least 2"));
        }
        let rows = shard.map_or(a.base_samples, |sp| {
            let r = sp.range(a.base_samples);
            r.end - r.start
        });
        p.check_cost(rows, k as u64 + 3, c.threads, c.force)?;
    }
    if let Some(spec) = shard {
        let rows = spec.range(a.base_samples);
        let start = std::time::Instant::now();
        let out = ibsim::analysis::sobol::evaluate(
            model,
            a.base_samples,
            p.seed,
            &columns,
            rows.clone(),
            c.threads,
        )
        .map_err(Error::failed)?;
        let header = serde_json::json!({
            "scenario": {
                "file": dest.owner.file,
                "name": model.name,
                "sha256": ibsim::shard::sha256_hex(&p.loaded.text),
                "yaml": p.loaded.text,
            },
            "seed": p.seed,
            "trials": p.trials,
            "given": given.text,
            "base_samples": a.base_samples,
            "resamples": a.resamples,
            "metrics": metrics,
            "inputs": k,
        });
        let bytes = ibsim::shard::encode_sobol(&header, spec, rows.clone(), &out);
        let name = format!("sobol-shard-{}-of-{}.ibshard", spec.index, spec.count);
        let path =
            output::write_shard(&dest.dir, &dest.owner, &name, &bytes).map_err(Error::failed)?;
        if !c.quiet {
            println!(
                "wrote {} (base samples {}..{} of {}, {:.2} s)",
                path.display(),
                rows.start,
                rows.end,
                a.base_samples,
                start.elapsed().as_secs_f64()
            );
        }
        return Ok(());
    }
    let mut res = ibsim::analysis::sensitivity::analyse(model, p.trials, p.seed, &given, c.threads)
        .map_err(Error::failed)?;
    if a.sobol {
        res.sobol = Some(
            ibsim::analysis::sobol::analyse(
                model,
                a.base_samples,
                p.seed,
                &columns,
                a.resamples,
                c.threads,
            )
            .map_err(Error::failed)?,
        );
    }
    write(&res, model, &dest, p.trials, c.lang.into(), c.quiet)
}

/// What to say when `ibsim sensitivity` is given a programme: it analyses
/// one deal's inputs, so name the deals' files (or say they are inline).
fn programme_message(path: &std::path::Path) -> String {
    let shown = path.display();
    let deals = ibsim::programme::load(path).map(|p| {
        let dir = path.parent().unwrap_or(std::path::Path::new(""));
        p.programme
            .deals
            .iter()
            .map(|d| match &d.file {
                Some(f) => dir.join(f).display().to_string(),
                None => format!("{} (inline)", d.name),
            })
            .collect::<Vec<_>>()
    });
    match deals {
        Ok(files) if !files.is_empty() => format!(
            "{shown} is a programme; ibsim sensitivity analyses one deal's inputs: run it on a deal's file ({})",
            files.join(", ")
        ),
        _ => format!(
            "{shown} is a programme; ibsim sensitivity analyses one deal's inputs: run it on one of its deals' files"
        ),
    }
}

/// Writes a sensitivity analysis's files into its folder (swapped in
/// whole) and prints its tables: `ibsim sensitivity`, and `ibsim merge` of
/// a Sobol design's shards.
pub fn write(
    res: &Sensitivity,
    model: &Model,
    dest: &Destination,
    trials: u64,
    lang: Lang,
    quiet: bool,
) -> Result<(), Error> {
    let staging = dest.stage(Product::Sensitivity)?;
    let mut docs = vec![ibsim::report::Document::new(
        "sensitivity.json".into(),
        output::json_text(&res.to_json()).into_bytes(),
    )];
    let tornado =
        ibsim::report::tornado::files(res, &model.currency, lang).map_err(Error::failed)?;
    let tornado_svgs: Vec<String> = tornado
        .iter()
        .filter(|d| d.path.extension().is_some_and(|e| e == "svg"))
        .map(|d| String::from_utf8_lossy(&d.bytes).into_owned())
        .collect();
    docs.extend(tornado);
    docs.extend(
        ibsim::report::sensitivity::files(res, &model.name, &tornado_svgs, lang)
            .map_err(Error::failed)?,
    );
    write_documents(staging.path(), &docs)?;
    staging.commit().map_err(Error::failed)?;
    if !quiet {
        let path = dest.dir.join("sensitivity.json");
        let path = path.display();
        let (inputs, runs) = (res.inputs.len(), 2 * res.inputs.len() + 1);
        print!("{}", ibsim::report::analysis::sensitivity_table(res, lang));
        print!("{}", ibsim::report::analysis::tail_table(&res.tail, lang));
        if let Some(sb) = &res.sobol {
            print!("{}", ibsim::report::analysis::sobol_table(sb, lang));
        }
        match lang {
            Lang::En => println!(
                "  {inputs} inputs, {runs} runs of {trials} trials; wrote {path}, report.html, workbook.xlsx and charts/"
            ),
            Lang::Es => println!(
                "  {inputs} entradas, {runs} ejecuciones de {trials} simulaciones; se escribieron {path}, report.html, workbook.xlsx y charts/"
            ),
        }
    }
    Ok(())
}
