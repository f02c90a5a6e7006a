//! What each subcommand does, callable from the binary and from tests.
//! Every function returns the process exit code and writes its own messages.

use std::io::Write;
use std::path::Path;

use crate::exit;
use crate::scenario;

/// `ibsim validate FILE...`: prints `ok: FILE` or every problem; 1 if any file is invalid.
pub fn validate(files: &[std::path::PathBuf]) -> i32 {
    let mut code = exit::OK;
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    for f in files {
        match scenario::load(f) {
            Ok(_) => {
                let _ = writeln!(stdout.lock(), "ok: {}", f.display());
            }
            Err(diags) => {
                code = exit::FAILURE;
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
    code
}

/// `ibsim init FILE --template NAME [--force]`: writes a commented starter scenario.
pub fn init(file: &Path, template: &str, force: bool) -> i32 {
    let Some(t) = crate::templates::find(template) else {
        let names: Vec<&str> = crate::templates::TEMPLATES.iter().map(|t| t.name).collect();
        eprintln!(
            "error: unknown template `{template}` (expected one of: {})",
            names.join(", ")
        );
        return exit::USAGE;
    };
    if file.exists() && !force {
        eprintln!(
            "error: {} already exists; choose another name or pass --force to replace it",
            file.display()
        );
        return exit::FAILURE;
    }
    match write_atomic(file, t.text.as_bytes()) {
        Ok(()) => {
            println!(
                "wrote {} ({}); check it with: ibsim validate {}",
                file.display(),
                t.about,
                file.display()
            );
            exit::OK
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", file.display());
            exit::FAILURE
        }
    }
}

/// `ibsim schema`: prints the JSON Schema of the scenario format.
pub fn schema() -> i32 {
    println!("{}", crate::schema::scenario_schema_json());
    exit::OK
}

/// Writes a file through a temporary file in the same folder and a rename,
/// so that readers never see a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
