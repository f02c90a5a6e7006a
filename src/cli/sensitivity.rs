//! `ibsim sensitivity`: rank correlations and P10/P90 swings of every
//! uncertain input; `sensitivity.json`, tornado charts and a table.

use std::path::PathBuf;

use ibsim::output::{self, Product};
use ibsim::report::i18n::Lang;

use super::analysis::load;
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
    #[command(flatten)]
    common: CommonFlags,
}

/// `ibsim sensitivity`.
pub fn run(a: &Args) -> Result<(), Error> {
    let c = &a.common;
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
    if a.sobol {
        if a.base_samples < 2 {
            return Err(Error::usage("--base-samples: expected at least 2"));
        }
        p.check_cost(a.base_samples, k as u64 + 3, c.threads, c.force)?;
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
    let lang: Lang = c.lang.into();
    let staging = dest.stage(Product::Sensitivity)?;
    let mut docs = vec![ibsim::report::Document::new(
        "sensitivity.json".into(),
        output::json_text(&res.to_json()).into_bytes(),
    )];
    let tornado =
        ibsim::report::tornado::files(&res, &model.currency, lang).map_err(Error::failed)?;
    let tornado_svgs: Vec<String> = tornado
        .iter()
        .filter(|d| d.path.extension().is_some_and(|e| e == "svg"))
        .map(|d| String::from_utf8_lossy(&d.bytes).into_owned())
        .collect();
    docs.extend(tornado);
    docs.extend(
        ibsim::report::sensitivity::files(&res, &model.name, &tornado_svgs, lang)
            .map_err(Error::failed)?,
    );
    write_documents(staging.path(), &docs)?;
    staging.commit().map_err(Error::failed)?;
    if !c.quiet {
        let path = dest.dir.join("sensitivity.json");
        let path = path.display();
        let (inputs, runs, trials) = (res.inputs.len(), 2 * res.inputs.len() + 1, p.trials);
        print!("{}", ibsim::report::analysis::sensitivity_table(&res, lang));
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
