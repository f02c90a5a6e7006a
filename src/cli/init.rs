//! `ibsim init FILE --template NAME [--lang es] [--force]`: a commented
//! starter scenario.

use std::path::PathBuf;

use clap::ValueEnum;
use ibsim::report::i18n::Lang;

use super::{Error, LangFlag};

/// Options of `ibsim init`.
#[derive(clap::Args)]
pub struct Args {
    /// File to create.
    file: PathBuf,
    /// Starting point: employment, bilingual or dib.
    #[arg(long, value_enum, default_value_t = Template::Employment)]
    template: Template,
    /// Language of the comments, names and labels.
    #[arg(long, value_enum, default_value_t)]
    lang: LangFlag,
    /// Replace the file if it exists.
    #[arg(long)]
    force: bool,
}

/// The bundled templates.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Template {
    Employment,
    Bilingual,
    Dib,
    /// A results-based budget against a rate (`results-budget`).
    ResultsBudget,
    /// A performance contract the provider funds itself (`performance`).
    Performance,
}

/// Writes the template.
pub fn run(a: &Args) -> Result<(), Error> {
    let name = match a.template {
        Template::Employment => "employment",
        Template::Bilingual => "bilingual",
        Template::Dib => "dib",
        Template::ResultsBudget => "results-budget",
        Template::Performance => "performance",
    };
    let lang = Lang::from(a.lang);
    let t = ibsim::templates::find(name)
        .ok_or_else(|| Error::usage(format!("unknown template `{name}`")))?;
    let file = &a.file;
    if file.exists() && !a.force {
        return Err(Error::failed(format!(
            "{} already exists; choose another name or pass --force to replace it",
            file.display()
        )));
    }
    ibsim::output::write_atomic(file, t.text(lang).as_bytes())
        .map_err(|e| Error::failed(format!("cannot write {}: {e}", file.display())))?;
    let f = file.display();
    match lang {
        Lang::En => println!(
            "wrote {f} ({}); check it with: ibsim validate {f}",
            t.about(lang)
        ),
        Lang::Es => println!(
            "se escribió {f} ({}); revíselo con: ibsim validate {f}",
            t.about(lang)
        ),
    }
    Ok(())
}
