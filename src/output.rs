//! Where files go, and that they arrive whole.
//!
//! - [`write_atomic`]: one file through a temporary file and a rename in the
//!   same folder.
//! - [`Staging`]: a command's files are written into a hidden folder beside
//!   the output folder, which becomes the complete new folder and is swapped
//!   for the old one at the end: an interrupted command leaves the output
//!   folder as it was, and a finished one leaves exactly its own files (and
//!   the other commands' files of the same scenario).
//! - [`claim`]: an output folder holding another scenario's outputs is not
//!   replaced without `--replace`, and one holding files ibsim did not write
//!   never is (a marker file, `.ibsim.json`, says whose outputs a folder
//!   holds); [`clean_stale`] removes what killed processes left behind.
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

/// The folder holding `path` (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `bytes` to `path` through a temporary file in the same folder and
/// a rename: readers see the old file or the new one, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = folder_of(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", process_tag()));
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

/// Pretty JSON with a trailing newline.
pub fn json_text(v: &impl serde::Serialize) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// Writes each `(path under dir, bytes)` atomically, creating the folders
/// the paths name.
pub fn write_files<'a>(
    dir: &Path,
    files: impl IntoIterator<Item = (&'a Path, &'a [u8])>,
) -> Result<(), String> {
    for (rel, bytes) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        write_atomic(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
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

/// What one command writes into an output folder. A command replaces its
/// product as a whole (the files it does not write this time go), and
/// keeps the other commands' products of the same scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// `run` and `merge`: summary, run information, reports, trials, charts.
    Run,
    /// `sweep`: its table, JSON and chart.
    Sweep,
    /// `solve`: its JSON.
    Solve,
    /// `sensitivity`: its JSON and tornado charts.
    Sensitivity,
}

impl Product {
    /// Whether `rel` (`/`-separated, inside the output folder) is one of
    /// this product's files.
    pub fn owns(self, rel: &str) -> bool {
        let sweep = matches!(
            rel,
            "sweep.csv" | "sweep.json" | "charts/sweep.png" | "charts/sweep.svg"
        );
        let sensitivity = rel == "sensitivity.json" || rel.starts_with("charts/tornado_");
        match self {
            Product::Run => {
                matches!(
                    rel,
                    "summary.json" | "run.json" | "report.html" | "workbook.xlsx" | "trials.csv"
                ) || (rel.starts_with("charts/") && !sweep && !sensitivity)
            }
            Product::Sweep => sweep,
            Product::Solve => rel == "solve.json",
            Product::Sensitivity => sensitivity,
        }
    }
}

/// Whether `rel` is a file some ibsim command writes into an output folder
/// (a product's file, the marker, or a shard file).
pub fn is_ibsim_file(rel: &str) -> bool {
    if let Some(real) = on_its_way(rel) {
        return is_ibsim_file(&real);
    }
    let shard = rel.strip_suffix(".ibshard").is_some_and(|stem| {
        ["shard-", "sweep-shard-", "sobol-shard-"]
            .iter()
            .any(|p| stem.starts_with(p))
    });
    rel == MARKER
        || shard
        || [
            Product::Run,
            Product::Sweep,
            Product::Solve,
            Product::Sensitivity,
        ]
        .iter()
        .any(|p| p.owns(rel))
}

/// The file that `rel` is on its way to, if `rel` is a temporary file of
/// [`write_atomic`] (`charts/.x.svg.tmp-PID@HOST` is on its way to
/// `charts/x.svg`).
fn on_its_way(rel: &str) -> Option<String> {
    let (folder, file) = rel.rsplit_once('/').map_or(("", rel), |(d, f)| (d, f));
    let (real, _) = file.strip_prefix('.')?.rsplit_once(".tmp-")?;
    Some(if folder.is_empty() {
        real.to_string()
    } else {
        format!("{folder}/{real}")
    })
}

/// Whether `rel` is an ibsim file still being written (by a live process
/// or on another machine: [`clean_stale`] has removed the dead ones).
fn in_flight(rel: &str) -> bool {
    on_its_way(rel).is_some_and(|real| is_ibsim_file(&real))
}

/// Every file under `dir`, as `/`-separated paths relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, prefix)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push((e.path(), rel));
            } else {
                out.push(rel);
            }
        }
    }
    out.sort();
    out
}

/// Whether process `pid` still runs (Linux: `/proc/PID`; elsewhere
/// assumed to, so that nothing of a live process is ever removed).
fn alive(pid: u32) -> bool {
    if pid == std::process::id() || !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new("/proc").join(pid.to_string()).exists()
}

/// This process as temporary names carry it: `PID@HOST`. Shards of one
/// run on several machines may write into one shared folder at once, and
/// a process id means nothing on another machine, so only this machine's
/// dead processes' leftovers are ever removed.
fn process_tag() -> &'static str {
    static TAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TAG.get_or_init(|| format!("{}@{}", std::process::id(), host_name()))
}

/// This machine's name, reduced to safe characters (empty when unknown).
fn host_name() -> String {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_default();
    raw.trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        .take(64)
        .collect()
}

/// Whether a temporary name (`.x.tmp-123@host`, `.deal.staging-123@host`,
/// `.deal.old-123@host`; older names have no `@host`) was left by a
/// process of this machine that no longer runs.
fn left_by_dead_process(name: &str, tags: &[&str]) -> bool {
    let Some(owner) = tags
        .iter()
        .find_map(|t| name.rsplit_once(t).map(|(_, owner)| owner))
    else {
        return false;
    };
    let (pid, host) = owner.split_once('@').unwrap_or((owner, ""));
    let this_machine =
        host.is_empty() || process_tag().split_once('@').map(|(_, h)| h) == Some(host);
    this_machine && pid.parse().is_ok_and(|p| !alive(p))
}

/// Removes what killed ibsim processes left behind for `target`: staging
/// folders beside it, temporary files inside it, and a previous folder
/// set aside during a swap (put back when the swap never finished).
pub fn clean_stale(target: &Path) {
    let parent = folder_of(target);
    let name = target
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    if let Ok(entries) = std::fs::read_dir(parent) {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            let Some(rest) = n.strip_prefix(&format!(".{name}.")) else {
                continue;
            };
            if left_by_dead_process(rest, &["staging-"]) {
                remove(&e.path());
            } else if left_by_dead_process(rest, &["old-"]) {
                if target.exists() {
                    remove(&e.path());
                } else {
                    let _ = std::fs::rename(e.path(), target);
                }
            }
        }
    }
    for rel in files_under(target) {
        let file = rel.rsplit('/').next().unwrap_or(&rel);
        if file.starts_with('.') && left_by_dead_process(file, &[".tmp-"]) {
            let _ = std::fs::remove_file(target.join(&rel));
        }
    }
}

/// Checks that `dir` may receive `owner`'s outputs: it does not exist, is
/// empty, or holds outputs of the same scenario. A folder holding another
/// scenario's outputs is taken over only with `replace`; a folder holding
/// files ibsim did not write is never taken over.
pub fn claim(dir: &Path, owner: &Owner, replace: bool) -> Result<(), String> {
    if dir.exists() && !dir.is_dir() {
        return Err(format!(
            "output path {} exists and is not a folder",
            dir.display()
        ));
    }
    clean_stale(dir);
    // Files still on their way (another shard's, being written now) are
    // not there yet.
    let files: Vec<String> = files_under(dir)
        .into_iter()
        .filter(|f| !in_flight(f))
        .collect();
    if files.is_empty() {
        return Ok(());
    }
    let found = Owner::of(dir);
    if found.as_ref() == Some(owner) {
        return Ok(());
    }
    if let Some(foreign) = files.iter().find(|f| !is_ibsim_file(f)) {
        return Err(format!(
            "output folder {} holds files ibsim did not write (such as {}); ibsim never replaces such a folder: choose another --out",
            dir.display(),
            crate::scenario::printable(foreign)
        ));
    }
    if replace {
        return Ok(());
    }
    Err(match found {
        Some(o) => format!(
            "output folder {} holds the outputs of another scenario ({} in {}); pass --replace to replace them, or choose another --out",
            dir.display(),
            crate::scenario::printable(&o.name),
            crate::scenario::printable(&o.file)
        ),
        None => format!(
            "output folder {} holds ibsim files of an unknown scenario; pass --replace to replace them, or choose another --out",
            dir.display()
        ),
    })
}

/// Writes `dir`'s marker: the folder holds `owner`'s outputs (for files
/// written straight into it, such as shard files).
pub fn mark(dir: &Path, owner: &Owner) -> std::io::Result<()> {
    write_atomic(&dir.join(MARKER), json_text(&owner.to_json()).as_bytes())
}

/// Writes shard file `name` into `dir` for `owner`, and gives its path:
/// the marker first, so that the other shards of an array, writing into
/// the same folder at the same time, always find whose folder it is; then
/// the file, atomically.
pub fn write_shard(dir: &Path, owner: &Owner, name: &str, bytes: &[u8]) -> Result<PathBuf, String> {
    let path = dir.join(name);
    std::fs::create_dir_all(dir)
        .and_then(|()| mark(dir, owner))
        .and_then(|()| write_atomic(&path, bytes))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// A command's files on their way to an output folder: written under
/// [`Staging::path`], then [`Staging::commit`] makes the staging folder the
/// complete new output folder (this product's new files, the other
/// products of the same scenario, files ibsim did not write) and swaps it
/// for the old one; removed if the command fails or is interrupted.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
    owner: Owner,
    product: Product,
    done: bool,
}

impl Staging {
    /// Claims `target` for `owner` (see [`claim`]) and creates the staging folder beside it.
    pub fn new(
        target: &Path,
        owner: Owner,
        product: Product,
        replace: bool,
    ) -> Result<Staging, String> {
        claim(target, &owner, replace)?;
        let parent = folder_of(target);
        let name = target
            .file_name()
            .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create output folder {}: {e}", parent.display()))?;
        let dir = parent.join(format!(".{name}.staging-{}", process_tag()));
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
            product,
            done: false,
        })
    }

    /// Where to write the files (the same layout as in the output folder).
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Completes the staging folder and swaps it for the output folder: the
    /// old folder is set aside, the new one renamed into its place, and the
    /// old one removed only once the new one is there (put back if the
    /// rename fails). Readers never see old and new files mixed.
    pub fn commit(mut self) -> Result<(), String> {
        let _hold = pending(); // an interrupt waits until the swap is over
        let result = self.swap();
        remove(&self.dir);
        drop(_hold);
        unregister(&self.dir);
        self.done = true;
        result.map_err(|e| format!("cannot write into {}: {e}", self.target.display()))
    }

    fn swap(&self) -> std::io::Result<()> {
        let old = Owner::of(&self.target);
        if self.target.exists() && old.as_ref() == Some(&self.owner) {
            // The same scenario: every file that is not this product's
            // (nor written anew) comes along, by a hard link where it can.
            for rel in files_under(&self.target) {
                let to = self.dir.join(&rel);
                if self.product.owns(&rel) || rel == MARKER || to.exists() {
                    continue;
                }
                if let Some(p) = to.parent() {
                    std::fs::create_dir_all(p)?;
                }
                let from = self.target.join(&rel);
                if std::fs::hard_link(&from, &to).is_err() {
                    std::fs::copy(&from, &to)?;
                }
            }
        }
        std::fs::write(self.dir.join(MARKER), json_text(&self.owner.to_json()))?;
        if !self.target.exists() {
            return std::fs::rename(&self.dir, &self.target);
        }
        let name = self
            .target
            .file_name()
            .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
        let aside = self
            .target
            .with_file_name(format!(".{name}.old-{}", process_tag()));
        // (The commit holds the lock of the interrupt handler, so no signal
        // lands between the two renames; a kill -9 there leaves the old
        // folder aside, and `clean_stale` puts it back.)
        remove(&aside);
        std::fs::rename(&self.target, &aside)?;
        let placed = std::fs::rename(&self.dir, &self.target);
        if placed.is_err() {
            let _ = std::fs::rename(&aside, &self.target);
        } else {
            remove(&aside);
        }
        placed
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
    fn staging_swaps_the_whole_folder_at_commit_and_nothing_on_drop() {
        let root = tmp("staging");
        let target = root.join("deal");
        let s = Staging::new(&target, owner("deal.yaml"), Product::Run, false).unwrap();
        std::fs::create_dir_all(s.path().join("charts")).unwrap();
        std::fs::write(s.path().join("summary.json"), "{}").unwrap();
        std::fs::write(s.path().join("trials.csv"), "trial").unwrap();
        std::fs::write(s.path().join("charts/a.svg"), "<svg/>").unwrap();
        assert!(!target.exists(), "nothing visible before the commit");
        s.commit().unwrap();
        assert!(target.join("summary.json").exists() && target.join("charts/a.svg").exists());
        assert!(target.join(MARKER).exists());
        // Another command of the same scenario keeps the run's files.
        let s = Staging::new(&target, owner("deal.yaml"), Product::Sweep, false).unwrap();
        std::fs::write(s.path().join("sweep.json"), "{}").unwrap();
        s.commit().unwrap();
        assert!(target.join("sweep.json").exists() && target.join("trials.csv").exists());
        // A new run leaves exactly its own files: no old trials.csv or chart.
        let s = Staging::new(&target, owner("deal.yaml"), Product::Run, false).unwrap();
        std::fs::write(s.path().join("summary.json"), "{\"new\": 1}").unwrap();
        s.commit().unwrap();
        assert!(!target.join("trials.csv").exists() && !target.join("charts/a.svg").exists());
        assert!(target.join("sweep.json").exists(), "the sweep stays");
        // Dropped without a commit: the folder keeps what it had.
        let s = Staging::new(&target, owner("deal.yaml"), Product::Run, false).unwrap();
        std::fs::write(s.path().join("summary.json"), "{\"newer\": 1}").unwrap();
        drop(s);
        assert_eq!(
            std::fs::read_to_string(target.join("summary.json")).unwrap(),
            "{\"new\": 1}"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&root).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no staging folder left");
        // Another scenario's folder needs --replace, and is then all new.
        let e = Staging::new(&target, owner("other.yaml"), Product::Run, false).unwrap_err();
        assert!(
            e.contains("another scenario") && e.contains("--replace"),
            "{e}"
        );
        let s = Staging::new(&target, owner("other.yaml"), Product::Run, true).unwrap();
        s.commit().unwrap();
        assert!(!target.join("summary.json").exists(), "replaced, not mixed");
        assert!(!target.join("sweep.json").exists(), "replaced, not mixed");
        // A folder of other files is never taken, even with --replace.
        let mine = root.join("mine");
        std::fs::create_dir_all(&mine).unwrap();
        std::fs::write(mine.join("notes.txt"), "keep").unwrap();
        for replace in [false, true] {
            let e = claim(&mine, &owner("deal.yaml"), replace).unwrap_err();
            assert!(
                e.contains("files ibsim did not write") && e.contains("notes.txt"),
                "{e}"
            );
        }
        assert!(mine.join("notes.txt").exists());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn another_shards_file_in_flight_is_ibsim_s() {
        let root = tmp("in-flight");
        let target = root.join("deal");
        std::fs::create_dir_all(&target).unwrap();
        // Another machine's shard, being written: no marker yet.
        std::fs::write(
            target.join(".shard-1-of-4.ibshard.tmp-4194305@another-host"),
            "x",
        )
        .unwrap();
        assert_eq!(claim(&target, &owner("deal.yaml"), false), Ok(()));
        assert!(is_ibsim_file("charts/.payer_cost.svg.tmp-12@h"));
        assert!(!is_ibsim_file(".notes.txt.tmp-12@h"));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn what_killed_processes_left_is_cleaned_up() {
        let root = tmp("stale");
        let target = root.join("deal");
        std::fs::create_dir_all(&target).unwrap();
        // A pid that cannot be running (above the kernel's pid limit).
        let dead = 4_194_305u32;
        std::fs::create_dir_all(root.join(format!(".deal.staging-{dead}"))).unwrap();
        std::fs::write(
            target.join(format!(".shard-0-of-2.ibshard.tmp-{dead}")),
            "x",
        )
        .unwrap();
        let mine = format!(".summary.json.tmp-{}", process_tag());
        // Another machine's file is never taken for a dead process's.
        let elsewhere = format!(".run.json.tmp-{dead}@another-host");
        std::fs::write(target.join(&elsewhere), "x").unwrap();
        std::fs::write(target.join(&mine), "x").unwrap();
        clean_stale(&target);
        assert!(!root.join(format!(".deal.staging-{dead}")).exists());
        assert!(
            !target
                .join(format!(".shard-0-of-2.ibshard.tmp-{dead}"))
                .exists()
        );
        assert!(target.join(&mine).exists(), "a live process's file stays");
        assert!(
            target.join(&elsewhere).exists(),
            "another machine's file stays"
        );
        // A folder set aside by a swap that never finished comes back.
        std::fs::remove_dir_all(&target).unwrap();
        let aside = root.join(format!(".deal.old-{dead}"));
        std::fs::create_dir_all(&aside).unwrap();
        std::fs::write(aside.join("summary.json"), "{}").unwrap();
        clean_stale(&target);
        assert!(target.join("summary.json").exists() && !aside.exists());
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
