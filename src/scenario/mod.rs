//! Reading and checking scenario files (docs/model.md, "Scenario").
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

pub use index::{Loc, LocationIndex, ScalarKind};
pub use types::*;
pub use values::{Dist, Distributions, IdMap, PerOutcome, Price, Tier, Whole};

pub use crate::limits::MAX_FILE_BYTES;

/// Text from a scenario or a file, safe to print on a terminal: control
/// characters (escape sequences, carriage returns, bells) are shown as
/// escapes such as `\u{1b}` instead of acting on the terminal.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_control) {
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect::<String>()
            .into()
    } else {
        s.into()
    }
}

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
    /// `file:line:col: path: message`, with control characters escaped (a
    /// message may quote the scenario's text).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", printable(&self.file))?;
        if self.loc.line > 0 {
            write!(f, ":{}", self.loc.line)?;
            if self.loc.col > 0 {
                write!(f, ":{}", self.loc.col)?;
            }
        }
        if self.path.is_empty() {
            write!(f, ": {}", printable(&self.message))
        } else {
            write!(
                f,
                ": {}: {}",
                printable(&self.path),
                printable(&self.message)
            )
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
    /// What is valid but almost certainly a mistake (see [`validate::warnings`]).
    pub warnings: Vec<Diagnostic>,
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
    let (file, text) = read_text(path, "a scenario")?;
    parse_str(&text, &file)
}

/// Reads a YAML file of ibsim (a scenario, a programme) as text: within
/// the size limit, UTF-8; (the file as named, its text). `what` names the
/// kind of file in messages.
pub fn read_text(path: &Path, what: &str) -> Result<(String, String), Vec<Diagnostic>> {
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
        return Err(whole(format!("is a folder, expected {what} file (.yaml)")));
    }
    let bytes = crate::limits::read_bounded(path, MAX_FILE_BYTES).map_err(|e| match e {
        crate::limits::ReadError::TooLarge(_) => whole(format!(
            "more than the {MAX_FILE_BYTES}-byte limit for {what} (real ones are a few KB)"
        )),
        crate::limits::ReadError::Io(e) => whole(format!("cannot read: {}", io_reason(&e))),
    })?;
    match String::from_utf8(bytes) {
        Ok(t) => Ok((file, t)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            Err(vec![Diagnostic {
                file,
                loc: Loc {
                    line: u32::try_from(line).unwrap_or(u32::MAX),
                    col: 0,
                },
                path: String::new(),
                message: format!(
                    "not UTF-8 text (invalid byte at offset {at}): {what} is a YAML text file"
                ),
            }])
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Steps 1 and 2 of reading any ibsim YAML file (a scenario, a programme)
/// into `T`: YAML syntax, budgets and duplicate keys; types and unknown
/// keys, with the field path of the first error; and the YAML 1.2 core
/// schema of what the typed read accepted (a quoted `"true"` is text).
/// `expected` says what the file should hold. The value and where each of
/// its fields is.
pub fn read_typed<T>(
    text: &str,
    file: &str,
    expected: &str,
) -> Result<(T, LocationIndex), Vec<Diagnostic>>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let diag = |loc: Loc, path: String, message: String| Diagnostic {
        file: file.to_owned(),
        loc,
        path,
        message,
    };
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        let what = if text.trim().is_empty() {
            "the file is empty"
        } else {
            "the file holds only comments and blank lines"
        };
        return Err(vec![diag(
            Loc::default(),
            String::new(),
            format!("{what}: expected {expected}"),
        )]);
    }
    // 1. YAML syntax, budgets, keys written twice; and where every value is.
    // Non-finite numbers are let through here so that validation can name their path.
    let mut index_options = yaml_options();
    index_options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::PassThrough;
    let index = LocationIndex::build(text, index_options).map_err(|e| {
        let (loc, message) = syntax_error(text, &e);
        vec![diag(loc, String::new(), message)]
    })?;
    if !index.duplicates().is_empty() {
        return Err(index
            .duplicates()
            .iter()
            .map(|d| {
                let key = d.path.rsplit('.').next().unwrap_or(&d.path);
                diag(
                    d.again,
                    d.path.clone(),
                    format!(
                        "duplicate key `{key}` (first written on line {}): each key may appear only once in a mapping",
                        d.first.line
                    ),
                )
            })
            .collect());
    }

    // 2. Types and unknown keys, with the field path of the first error.
    let mut err_path = String::new();
    let typed = serde_saphyr::with_deserializer_from_str_with_options(text, yaml_options(), |de| {
        serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
            err_path = e.path().to_string();
            e.into_inner()
        })
    });
    let value = match typed {
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
            if message.starts_with(values::TOO_LARGE) {
                message = format!("`{}` {message}", token_at(text, loc));
            }
            if let Some(m) = quoted_number(&message) {
                message = m;
            }
            return Err(vec![diag(loc, path, message)]);
        }
    };

    let problems = core_schema(&value, &index, text);
    if !problems.is_empty() {
        return Err(problems
            .into_iter()
            .map(|(loc, path, message)| diag(loc, path, message))
            .collect());
    }
    Ok((value, index))
}

/// Parses and checks scenario text; `file` names it in messages.
pub fn parse_str(text: &str, file: &str) -> Result<LoadedScenario, Vec<Diagnostic>> {
    let (mut scenario, index) = read_typed::<Scenario>(
        text,
        file,
        "a scenario mapping (name, currency, horizon_months, cohorts, outcomes, ...)",
    )?;
    let diag = |loc: Loc, path: String, message: String| Diagnostic {
        file: file.to_owned(),
        loc,
        path,
        message,
    };
    scenario.normalise_names();

    // 3. Every semantic rule, all problems at once.
    let problems = validate::validate(&scenario);
    if !problems.is_empty() {
        return Err(problems
            .into_iter()
            .map(|p| diag(index.locate(&p.path), p.path, p.message))
            .collect());
    }
    let warnings = validate::warnings(&scenario)
        .into_iter()
        .map(|p| diag(index.locate(&p.path), p.path, p.message))
        .collect();
    Ok(LoadedScenario {
        scenario,
        file: file.to_owned(),
        text: text.to_owned(),
        warnings,
    })
}

/// The values the typed read took as booleans or numbers whose YAML was
/// something else: quoted text, or a number not written in decimal (YAML 1.1
/// forms such as `1_500` or `0b101`). Each as (location, path, message).
fn core_schema(
    s: &impl serde::Serialize,
    index: &LocationIndex,
    text: &str,
) -> Vec<(Loc, String, String)> {
    let mut out = Vec::new();
    let tree = serde_json::to_value(s).unwrap_or_default();
    let mut stack = vec![(String::new(), &tree)];
    while let Some((path, v)) = stack.pop() {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m.iter().rev() {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    stack.push((p, x));
                }
            }
            serde_json::Value::Array(a) => {
                for (i, x) in a.iter().enumerate().rev() {
                    stack.push((format!("{path}[{i}]"), x));
                }
            }
            serde_json::Value::Bool(_) | serde_json::Value::Number(_) => {
                let Some(kind) = index.kind(&path) else {
                    continue;
                };
                let loc = index.locate(&path);
                let token = token_at(text, loc);
                let wanted = if v.is_boolean() {
                    "a boolean (true or false)"
                } else {
                    "a number"
                };
                if kind == ScalarKind::Text {
                    out.push((
                        loc,
                        path,
                        format!(
                            "expected {wanted}, found the text {token}: write it without quotes"
                        ),
                    ));
                } else if kind == ScalarKind::Number && !is_decimal(&token) {
                    out.push((
                        loc,
                        path,
                        format!(
                            "`{token}` is not a decimal number: write numbers in decimal (ibsim does not read forms such as 1_500, 0b101, 0o17 or 0x1F)"
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

/// serde's `invalid type: string "48", expected a whole number` for a quoted
/// number or boolean, said as what to do.
fn quoted_number(message: &str) -> Option<String> {
    let rest = message.strip_prefix("invalid type: string \"")?;
    let (text, expected) = rest.split_once("\", expected ")?;
    let plain = text.parse::<f64>().is_ok() || matches!(text, "true" | "false");
    plain
        .then(|| format!("expected {expected}, found the text \"{text}\": write it without quotes"))
}

/// Whether `t` is a YAML 1.2 core-schema decimal number (`-12`, `0.5`,
/// `.5`, `1e9`, `2.5E-3`) or one of its infinities and NaNs (refused later
/// by validation, with the field's own message).
fn is_decimal(t: &str) -> bool {
    let u = t.trim_start_matches(['+', '-']);
    if matches!(u, ".inf" | ".Inf" | ".INF") || matches!(t, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let (mantissa, exponent) = match u.find(['e', 'E']) {
        Some(i) => (&u[..i], Some(&u[i + 1..])),
        None => (u, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int)
        && digits(frac)
        && (!int.is_empty() || !frac.is_empty())
        && t.len() - u.len() <= 1;
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// Where a YAML syntax error is and what to do about it: a tab in the
/// indentation is reported on its own line, a second document (`---`) is
/// named as such.
fn syntax_error(text: &str, e: &serde_saphyr::Error) -> (Loc, String) {
    let loc = saphyr_loc(e);
    let message = saphyr_message(e);
    if message.contains("found a tab") || message.contains("tab character") {
        let from = loc.line.max(1) as usize - 1;
        if let Some((i, _)) = yaml_lines(text).enumerate().skip(from).find(|(_, l)| {
            l.starts_with([' ', '\t']) && l.trim_start_matches(' ').starts_with('\t')
        }) {
            return (
                Loc {
                    line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    col: 0,
                },
                "a tab in the indentation: YAML indents with spaces only".into(),
            );
        }
    }
    if message.contains("multiple YAML documents") {
        let upto = (loc.line.max(1) as usize).min(yaml_lines(text).count());
        let line = yaml_lines(text)
            .take(upto)
            .enumerate()
            .filter(|(_, l)| l.starts_with("---"))
            .map(|(i, _)| i + 1)
            .last()
            .unwrap_or(upto);
        return (
            Loc {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                col: 1,
            },
            "a second YAML document starts here (`---`): a scenario file holds one document".into(),
        );
    }
    (loc, message)
}

/// The lines of a YAML text as YAML counts them: a line ends at `\r\n`,
/// `\n` or a lone `\r`.
fn yaml_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
}

/// The scalar written at `loc` (up to the end of the line or a flow delimiter).
fn token_at(text: &str, loc: Loc) -> String {
    let line = yaml_lines(text)
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
