//! Where files go, and that they arrive whole.
//!
//! - [`write_atomic`]: one file through a temporary file and a rename in the
//!   same folder.
//! - [`Staging`]: a command's files are written into a hidden folder beside
//!   the output folder and moved into it together at the end, so that an
//!   interrupted command leaves the output folder as it was.
//! - [`claim`]: an output folder holding another scenario's outputs is not
//!   replaced without `--force` (a marker file, `.ibsim.json`, says whose
//!   outputs a folder holds).
//! - [`install_interrupt_handler`]: on SIGINT or SIGTERM every temporary
//!   file and staging folder in flight is removed and the process exits 130.
//! - [`folder_name`]: the output folder's name comes from the scenario's file
//!   name, reduced to safe characters; nothing in a scenario's content ever
//!   becomes part of a path.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Temporary files and staging folders being written now.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Name of the marker file in every output folder.
pub const MARKER: &str = ".ibsim.json";

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

fn register(p: &Path) {
    pending().push(p.to_path_buf());
}

fn unregister(p: &Path) {
    pending().retain(|x| x != p);
}

/// Removes a file or a folder, whichever `p` is.
fn remove(p: &Path) {
    if p.is_dir() {
        let _ = std::fs::remove_dir_all(p);
    } else {
        let _ = std::fs::remove_file(p);
    }
}

/// On SIGINT (Ctrl-C) or SIGTERM: removes every temporary file and staging
/// folder in flight, says so, and exits with 130. Call once, at start-up.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        // Holding the lock waits for a commit in progress to finish: a
        // folder is either left as it was or gets every file.
        let list = pending();
        for p in list.iter() {
            remove(p);
        }
        eprintln!("interrupted: nothing was written (partial outputs removed)");
        std::process::exit(crate::exit::INTERRUPTED);
    });
}

/// Writes `bytes` to `path` through a temporary file in the same folder and
/// a rename: readers see the old file or the new one, never a part.
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
    register(&tmp);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    unregister(&tmp);
    result
}

/// The output folder name for a scenario file: its stem, with every
/// character outside `[A-Za-z0-9._-]` replaced by `_` (and never `.`/`..`).
pub fn folder_name(scenario: &Path) -> String {
    let stem = scenario
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() || clean.chars().all(|c| c == '.') {
        "scenario".into()
    } else {
        clean
    }
}

/// Whose outputs a folder holds: the scenario's file name and its `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The scenario's file name (as in `summary.json`'s `scenario.file`).
    pub file: String,
    /// The scenario's `name`.
    pub name: String,
}

impl Owner {
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"scenario_file": self.file, "scenario_name": self.name})
    }

    /// The owner recorded in `dir`: its marker, or (folders written before
    /// markers existed) its `summary.json`.
    fn of(dir: &Path) -> Option<Owner> {
        let read = |f: &str| -> Option<serde_json::Value> {
            serde_json::from_str(&std::fs::read_to_string(dir.join(f)).ok()?).ok()
        };
        if let Some(m) = read(MARKER) {
            return Some(Owner {
                file: m["scenario_file"].as_str()?.to_owned(),
                name: m["scenario_name"].as_str()?.to_owned(),
            });
        }
        let s = read("summary.json")?;
        Some(Owner {
            file: s["scenario"]["file"].as_str()?.to_owned(),
            name: s["scenario"]["name"].as_str()?.to_owned(),
        })
    }
}

/// Checks that `dir` may receive `owner`'s outputs: it does not exist, is
/// empty, or holds outputs of the same scenario. With `force`, a folder
/// holding anything else is emptied first.
pub fn claim(dir: &Path, owner: &Owner, force: bool) -> Result<(), String> {
    let Ok(mut entries) = std::fs::read_dir(dir) else {
        if dir.exists() && !dir.is_dir() {
            return Err(format!(
                "output path {} exists and is not a folder",
                dir.display()
            ));
        }
        return Ok(());
    };
    if entries.next().is_none() {
        return Ok(());
    }
    let found = Owner::of(dir);
    if found.as_ref() == Some(owner) {
        return Ok(());
    }
    if force {
        return std::fs::remove_dir_all(dir)
            .map_err(|e| format!("cannot replace {}: {e}", dir.display()));
    }
    Err(match found {
        Some(o) => format!(
            "output folder {} holds the outputs of another scenario ({} in {}); pass --force to replace them, or choose another --out",
            dir.display(),
            o.name,
            o.file
        ),
        None => format!(
            "output folder {} exists and does not hold ibsim outputs; pass --force to replace it, or choose another --out",
            dir.display()
        ),
    })
}

/// Writes `dir`'s marker: the folder holds `owner`'s outputs (for files
/// written straight into it, such as shard files).
pub fn mark(dir: &Path, owner: &Owner) -> std::io::Result<()> {
    write_atomic(
        &dir.join(MARKER),
        crate::report::json_text(&owner.to_json()).as_bytes(),
    )
}

/// A command's files on their way to an output folder: written under
/// [`Staging::path`], moved into the folder by [`Staging::commit`], removed
/// if the command fails or is interrupted.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
    owner: Owner,
    done: bool,
}

impl Staging {
    /// Claims `target` for `owner` (see [`claim`]) and creates the staging folder beside it.
    pub fn new(target: &Path, owner: Owner, force: bool) -> Result<Staging, String> {
        claim(target, &owner, force)?;
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = target
            .file_name()
            .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create output folder {}: {e}", parent.display()))?;
        let dir = parent.join(format!(".{name}.staging-{}", std::process::id()));
        remove(&dir);
        register(&dir);
        if let Err(e) = std::fs::create_dir_all(&dir) {
            unregister(&dir);
            return Err(format!("cannot create {}: {e}", dir.display()));
        }
        Ok(Staging {
            target: target.to_path_buf(),
            dir,
            owner,
            done: false,
        })
    }

    /// Where to write the files (the same layout as in the output folder).
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Moves every staged file into the output folder (replacing files of
    /// the same name, keeping the others) and removes the staging folder.
    pub fn commit(mut self) -> Result<(), String> {
        let _hold = pending(); // an interrupt waits until the folder is complete
        let result = (|| -> std::io::Result<()> {
            std::fs::create_dir_all(&self.target)?;
            move_tree(&self.dir, &self.target)?;
            let marker = crate::report::json_text(&self.owner.to_json());
            let tmp = self
                .target
                .join(format!(".marker.tmp-{}", std::process::id()));
            std::fs::write(&tmp, marker)?;
            std::fs::rename(&tmp, self.target.join(MARKER))
        })();
        let _ = std::fs::remove_dir_all(&self.dir);
        drop(_hold);
        unregister(&self.dir);
        self.done = true;
        result.map_err(|e| format!("cannot write into {}: {e}", self.target.display()))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.dir);
            unregister(&self.dir);
        }
    }
}

/// Renames every file under `from` to the same place under `to`.
fn move_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&dest)?;
            move_tree(&entry.path(), &dest)?;
        } else {
            std::fs::rename(entry.path(), &dest)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ibsim-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn owner(file: &str) -> Owner {
        Owner {
            file: file.into(),
            name: "Deal".into(),
        }
    }

    #[test]
    fn folder_names_never_leave_the_output_folder() {
        assert_eq!(folder_name(Path::new("a/b/deal one.yaml")), "deal_one");
        assert_eq!(folder_name(Path::new("..yaml")), "scenario");
        assert_eq!(folder_name(Path::new("..")), "scenario");
        assert_eq!(folder_name(Path::new("/")), "scenario");
        assert_eq!(folder_name(Path::new("x/../evil.yaml")), "evil");
        assert_eq!(folder_name(Path::new("ñandú.yaml")), "_and_");
    }

    #[test]
    fn staging_moves_everything_at_commit_and_nothing_on_drop() {
        let root = tmp("staging");
        let target = root.join("deal");
        let s = Staging::new(&target, owner("deal.yaml"), false).unwrap();
        std::fs::create_dir_all(s.path().join("charts")).unwrap();
        std::fs::write(s.path().join("summary.json"), "{}").unwrap();
        std::fs::write(s.path().join("charts/a.svg"), "<svg/>").unwrap();
        assert!(!target.exists(), "nothing visible before the commit");
        s.commit().unwrap();
        assert!(target.join("summary.json").exists() && target.join("charts/a.svg").exists());
        assert!(target.join(MARKER).exists());
        // Dropped without a commit: the folder keeps what it had.
        let s = Staging::new(&target, owner("deal.yaml"), false).unwrap();
        std::fs::write(s.path().join("summary.json"), "{\"new\": 1}").unwrap();
        drop(s);
        assert_eq!(
            std::fs::read_to_string(target.join("summary.json")).unwrap(),
            "{}"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&root).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no staging folder left");
        // Another scenario's folder needs --force.
        let e = Staging::new(&target, owner("other.yaml"), false).unwrap_err();
        assert!(
            e.contains("another scenario") && e.contains("--force"),
            "{e}"
        );
        let s = Staging::new(&target, owner("other.yaml"), true).unwrap();
        s.commit().unwrap();
        assert!(!target.join("summary.json").exists(), "replaced, not mixed");
        // A folder of other files needs --force too.
        let mine = root.join("mine");
        std::fs::create_dir_all(&mine).unwrap();
        std::fs::write(mine.join("notes.txt"), "keep").unwrap();
        let e = claim(&mine, &owner("deal.yaml"), false).unwrap_err();
        assert!(e.contains("does not hold ibsim outputs"), "{e}");
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn atomic_writes_leave_no_temporary_file() {
        let root = tmp("atomic");
        write_atomic(&root.join("a.json"), b"1").unwrap();
        write_atomic(&root.join("a.json"), b"2").unwrap();
        assert_eq!(std::fs::read_to_string(root.join("a.json")).unwrap(), "2");
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 1);
        assert!(write_atomic(&root.join("missing/a.json"), b"1").is_err());
        let _ = std::fs::remove_dir_all(&root);
    }
}
