//! What the analysis subcommands (`sweep`, `solve`, `sensitivity`) share:
//! loading the scenario, checking `--vary` paths, and the output folder.

use std::path::{Path, PathBuf};

use ibsim::analysis::sweep::Vary;
use ibsim::output::{self, Owner, Product, Staging};
use ibsim::run::{Prepared, file_name};
use ibsim::scenario::Scenario;

use super::{CommonFlags, Error};

/// Where an analysis writes: its output folder and whose it is.
pub struct Destination {
    /// `OUT/<stem>`.
    pub dir: PathBuf,
    /// The scenario the folder belongs to.
    pub owner: Owner,
    /// Replace another scenario's outputs.
    pub replace: bool,
}

impl Destination {
    /// For scenario `name` (file `file`) under `out`; refuses a folder
    /// holding another scenario's outputs now, before any work, unless `replace`.
    pub fn claim(out: &Path, file: &Path, name: &str, replace: bool) -> Result<Destination, Error> {
        let d = Destination {
            dir: out.join(output::folder_name(file)),
            owner: Owner {
                file: file_name(file),
                name: name.to_owned(),
            },
            replace,
        };
        output::claim(&d.dir, &d.owner, replace).map_err(Error::failed)?;
        Ok(d)
    }

    /// A staging folder for this destination's `product`.
    pub fn stage(&self, product: Product) -> Result<Staging, Error> {
        Staging::new(&self.dir, self.owner.clone(), product, self.replace).map_err(Error::failed)
    }
}

/// Loads the scenario of an analysis (at least 2 trials a point) and claims
/// its output folder.
pub fn load(scenario: &Path, c: &CommonFlags) -> Result<(Prepared, Destination), Error> {
    let p = Prepared::load(scenario, c.trials, c.seed)?;
    p.require_trials(2)?;
    let dest = Destination::claim(&c.out, scenario, &p.loaded.scenario.name, c.replace)?;
    Ok((p, dest))
}

/// Checks every `--vary` PATH against the scenario before running anything.
pub fn check_paths(s: &Scenario, vary: &[Vary]) -> Result<(), Error> {
    use ibsim::analysis::path::{get, set};
    for v in vary {
        for x in [v.lo, v.hi] {
            set(s, &v.path, x).map_err(|e| Error::failed(format!("--vary {}: {e}", v.path)))?;
        }
    }
    // Two PATHs for one value (the same text, or an item by id and by
    // position) would make a grid with a dead axis: setting the first must
    // not move the second.
    if let [a, b] = vary {
        let b_when_a_is = |x: f64| {
            set(s, &a.path, x)
                .ok()
                .and_then(|m| get(&m, &b.path))
                .map(f64::to_bits)
        };
        if a.lo != a.hi && b_when_a_is(a.lo) != b_when_a_is(a.hi) {
            return Err(Error::usage(format!(
                "--vary {} and --vary {} name the same value: vary two different values",
                a.path, b.path
            )));
        }
    }
    Ok(())
}

/// A programme loaded for an analysis: the checked file, the trials and
/// seed of every point, and where the analysis writes.
pub struct ProgrammeAnalysis {
    /// The programme and its deals.
    pub loaded: ibsim::programme::LoadedProgramme,
    /// Trials per point.
    pub trials: u64,
    /// Seed of the common risks.
    pub seed: u64,
    /// The output folder.
    pub dest: Destination,
}

/// Whether `path` holds a programme (a top-level `deals:`).
pub fn is_programme(path: &Path) -> bool {
    ibsim::scenario::read_text(path, "a scenario or programme")
        .is_ok_and(|(_, text)| ibsim::programme::is_programme(&text))
}

/// Loads the programme of an analysis (at least 2 trials a point), checks
/// every `--vary` PATH on it, refuses `runs` runs estimated to take hours
/// (unless `--force`), and claims its output folder.
pub fn load_programme(
    path: &Path,
    c: &CommonFlags,
    vary: &[Vary],
    runs: u64,
) -> Result<ProgrammeAnalysis, Error> {
    let loaded =
        ibsim::programme::load(path).map_err(|d| Error::Run(ibsim::run::Failure::Scenario(d)))?;
    let pm = ibsim::programme::run::ProgrammeModel::compile(&loaded);
    let trials = c.trials.unwrap_or(pm.trials);
    let seed = c.seed.unwrap_or(pm.seed);
    if trials < 2 {
        return Err(Error::usage("--trials must be at least 2"));
    }
    for v in vary {
        for x in [v.lo, v.hi] {
            ibsim::programme::analysis::set(&loaded, &v.path, x)
                .map_err(|e| Error::failed(format!("--vary {}: {e}", v.path)))?;
        }
    }
    // Every deal runs in every trial: each is checked as if all the runs
    // were of it alone, times the number of deals.
    let threads = c.threads.unwrap_or_else(rayon::current_num_threads);
    let deals = pm.deals.len() as u64;
    for d in &pm.deals {
        ibsim::run::budget::check_run(&d.model, trials, runs * deals, threads, c.force).map_err(
            |r| match r {
                ibsim::run::budget::Refusal::TooLong(m)
                | ibsim::run::budget::Refusal::TooBig(m) => {
                    Error::usage(format!("deal `{}`: {m}", d.name))
                }
            },
        )?;
    }
    let dest = Destination::claim(&c.out, path, &pm.name, c.replace)?;
    Ok(ProgrammeAnalysis {
        loaded,
        trials,
        seed,
        dest,
    })
}
