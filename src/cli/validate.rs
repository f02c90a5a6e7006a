//! `ibsim validate FILE...`: `ok: FILE` (after any warnings) or every problem.

use std::io::Write;
use std::path::PathBuf;

use super::Error;

/// Checks every file; [`Error::Reported`] if any is invalid.
pub fn run(files: &[PathBuf]) -> Result<(), Error> {
    let mut failed = false;
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    for f in files {
        match ibsim::scenario::load(f) {
            Ok(loaded) => {
                print_warnings(&loaded);
                let _ = writeln!(stdout.lock(), "ok: {}", f.display());
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
