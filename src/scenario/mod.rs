//! Reading and checking scenario files (SPEC sections 2 and 9).
//!
//! [`load`] reads a file, parses it as YAML 1.2 into the typed
//! [`Scenario`], runs every validation rule and returns either a checked
//! scenario or the full list of [`Diagnostic`]s, each with file, line,
//! column, field path and what was expected.

pub mod index;
pub mod types;
pub mod validate;
pub mod values;

use std::fmt;
use std::path::Path;

pub use index::{Loc, LocationIndex};
pub use types::*;
pub use values::{Dist, Distributions, IdMap, PerOutcome, Price, Tier, Whole};

/// Largest scenario file ibsim reads (16 MiB); real scenarios are a few KB.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// One problem in a scenario file, ready to print on one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// The file as the user named it.
    pub file: String,
    /// Where in the file (line 0: unknown).
    pub loc: Loc,
    /// Field path such as `outcomes[1].rate.beta.sd` (empty: the whole file).
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.loc.line > 0 {
            write!(f, ":{}", self.loc.line)?;
            if self.loc.col > 0 {
                write!(f, ":{}", self.loc.col)?;
            }
        }
        if self.path.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": {}: {}", self.path, self.message)
        }
    }
}

/// A scenario that parsed and passed validation, with what it was read from.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    /// The checked scenario.
    pub scenario: Scenario,
    /// The file name as given.
    pub file: String,
    /// The file's text.
    pub text: String,
    /// Field path -> location, for messages about this file.
    pub index: LocationIndex,
}

/// The YAML reading options: YAML 1.2 core booleans (`yes`/`no` stay strings),
/// duplicate keys rejected, default alias and depth budgets (alias bombs and
/// deeply nested input end in an error, not in exhausted memory or stack).
pub fn yaml_options() -> serde_saphyr::Options {
    let mut o = serde_saphyr::Options::default();
    o.strict_booleans = true;
    o.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    o.legacy_octal_numbers = false;
    o.with_snippet = false;
    o
}

/// Reads and checks a scenario file.
pub fn load(path: &Path) -> Result<LoadedScenario, Vec<Diagnostic>> {
    let file = path.display().to_string();
    let whole = |message: String| {
        vec![Diagnostic {
            file: file.clone(),
            loc: Loc::default(),
            path: String::new(),
            message,
        }]
    };
    let meta =
        std::fs::metadata(path).map_err(|e| whole(format!("cannot read: {}", io_reason(&e))))?;
    if meta.is_dir() {
        return Err(whole(
            "is a folder, expected a scenario file (.yaml)".into(),
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(whole(format!(
            "file is {} bytes, more than the {MAX_FILE_BYTES}-byte limit for a scenario",
            meta.len()
        )));
    }
    let bytes =
        std::fs::read(path).map_err(|e| whole(format!("cannot read: {}", io_reason(&e))))?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            return Err(vec![Diagnostic {
                file,
                loc: Loc {
                    line: u32::try_from(line).unwrap_or(u32::MAX),
                    col: 0,
                },
                path: String::new(),
                message: format!(
                    "not UTF-8 text (invalid byte at offset {at}): a scenario is a YAML text file"
                ),
            }]);
        }
    };
    parse_str(&text, &file)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Parses and checks scenario text; `file` names it in messages.
pub fn parse_str(text: &str, file: &str) -> Result<LoadedScenario, Vec<Diagnostic>> {
    let diag = |loc: Loc, path: String, message: String| Diagnostic {
        file: file.to_owned(),
        loc,
        path,
        message,
    };
    if text.trim().is_empty() {
        return Err(vec![diag(
            Loc::default(),
            String::new(),
            "the file is empty: expected a scenario mapping (name, currency, horizon_months, cohorts, outcomes, ...)".into(),
        )]);
    }
    // 1. YAML syntax, duplicate keys, budgets; and the location of every value.
    // Non-finite numbers are let through here so that validation can name their path.
    let mut index_options = yaml_options();
    index_options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::PassThrough;
    let index = LocationIndex::build(text, index_options)
        .map_err(|e| vec![diag(saphyr_loc(&e), String::new(), saphyr_message(&e))])?;

    // 2. Types and unknown keys, with the field path of the first error.
    let mut err_path = String::new();
    let typed = serde_saphyr::with_deserializer_from_str_with_options(text, yaml_options(), |de| {
        serde_path_to_error::deserialize::<_, Scenario>(de).map_err(|e| {
            err_path = e.path().to_string();
            e.into_inner()
        })
    });
    let scenario = match typed {
        Ok(s) => s,
        Err(e) => {
            let path = if err_path == "." {
                String::new()
            } else {
                err_path
            };
            let mut message = saphyr_message(&e);
            // A missing field is reported where its mapping starts, not where it ends.
            let mut loc = saphyr_loc(&e);
            if loc.line == 0 || message.starts_with("missing field") {
                loc = index.locate(&path);
            }
            if message.starts_with("invalid floating point")
                || message.starts_with("invalid integer")
            {
                message = format!("expected a number, found `{}`", token_at(text, loc));
            }
            return Err(vec![diag(loc, path, message)]);
        }
    };

    // 3. Every semantic rule, all problems at once.
    let problems = validate::validate(&scenario);
    if !problems.is_empty() {
        return Err(problems
            .into_iter()
            .map(|p| diag(index.locate(&p.path), p.path, p.message))
            .collect());
    }
    Ok(LoadedScenario {
        scenario,
        file: file.to_owned(),
        text: text.to_owned(),
        index,
    })
}

/// The scalar written at `loc` (up to the end of the line or a flow delimiter).
fn token_at(text: &str, loc: Loc) -> String {
    let line = text
        .lines()
        .nth(loc.line.saturating_sub(1) as usize)
        .unwrap_or("");
    let rest: String = line
        .chars()
        .skip(loc.col.saturating_sub(1) as usize)
        .collect();
    let end = rest.find([',', '}', ']', '#']).unwrap_or(rest.len());
    rest[..end].trim().to_owned()
}

fn saphyr_loc(e: &serde_saphyr::Error) -> Loc {
    e.location()
        .map(|l| Loc::from_saphyr(&l))
        .unwrap_or_default()
}

/// serde-saphyr's message on one line, without its own location suffix.
fn saphyr_message(e: &serde_saphyr::Error) -> String {
    let s = e.without_snippet().to_string();
    let first = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid YAML");
    // Drop a trailing " at line X, column Y": the location is printed up front.
    let cut = first.find(" at line ").map_or(first, |i| &first[..i]);
    let cut = cut.trim_end_matches(['.', ':']);
    if let Some(rest) = cut.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest).trim();
        return format!("duplicate key `{key}`: each key may appear only once in a mapping");
    }
    cut.to_owned()
}
