//! `ibsim validate FILE...`: `ok: FILE` (after any warnings) or every
//! problem. A programme file (top-level `deals:`) is checked with every
//! deal it lists.

use std::io::Write;
use std::path::PathBuf;

use super::Error;

/// Checks every file; [`Error::Reported`] if any is invalid.
pub fn run(files: &[PathBuf]) -> Result<(), Error> {
    let mut failed = false;
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    for f in files {
        let checked = match ibsim::scenario::read_text(f, "a scenario or programme") {
            Ok((file, text)) if ibsim::programme::is_programme(&text) => {
                let dir = f.parent().unwrap_or(std::path::Path::new(""));
                ibsim::programme::parse_str(&text, &file, dir).map(|p| {
                    for d in &p.deals {
                        print_warnings(d);
                    }
                    format!(" (a programme of {} deals)", p.deals.len())
                })
            }
            Ok((file, text)) => ibsim::scenario::parse_str(&text, &file).map(|loaded| {
                print_warnings(&loaded);
                String::new()
            }),
            Err(d) => Err(d),
        };
        match checked {
            Ok(what) => {
                let _ = writeln!(stdout.lock(), "ok: {}{what}", f.display());
            }
            Err(diags) => {
                failed = true;
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
    if failed { Err(Error::Reported) } else { Ok(()) }
}

/// Prints a loaded scenario's warnings to stderr, one a line.
pub fn print_warnings(loaded: &ibsim::scenario::LoadedScenario) {
    let mut e = std::io::stderr().lock();
    for w in &loaded.warnings {
        let _ = writeln!(e, "warning: {w}");
    }
}
