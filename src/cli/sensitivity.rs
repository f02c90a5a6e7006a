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
    let res = ibsim::analysis::sensitivity::analyse(model, p.trials, p.seed, c.threads)
        .map_err(Error::failed)?;
    let lang: Lang = c.lang.into();
    let staging = dest.stage(Product::Sensitivity)?;
    let mut docs = vec![ibsim::report::Document::new(
        "sensitivity.json".into(),
        output::json_text(&res.to_json()).into_bytes(),
    )];
    docs.extend(ibsim::report::tornado::files(&res, &model.currency, lang).map_err(Error::failed)?);
    write_documents(staging.path(), &docs)?;
    staging.commit().map_err(Error::failed)?;
    if !c.quiet {
        let path = dest.dir.join("sensitivity.json");
        let path = path.display();
        let (inputs, runs, trials) = (res.inputs.len(), 2 * res.inputs.len() + 1, p.trials);
        print!("{}", ibsim::report::analysis::sensitivity_table(&res, lang));
        match lang {
            Lang::En => println!(
                "  {inputs} inputs, {runs} runs of {trials} trials; wrote {path} and charts/tornado_*.png"
            ),
            Lang::Es => println!(
                "  {inputs} entradas, {runs} ejecuciones de {trials} simulaciones; se escribieron {path} y charts/tornado_*.png"
            ),
        }
    }
    Ok(())
}
