//! Programmes (docs/model.md, "Programmes"): several deals of one fund or
//! one plan, read from a file whose top-level `deals:` lists deal
//! scenarios (files relative to the programme's, or inline), with the
//! fund's budget and the risks the deals share. This module owns the
//! programme file: its types, reading and checking; every deal is a
//! scenario read and checked as its own file would be.

pub mod analysis;
pub mod run;
pub mod shard;
pub mod summary;

use std::collections::HashSet;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scenario::{
    Allocation, Diagnostic, IdMap, LoadedScenario, Scenario, Whole, read_text, read_typed,
};

/// Most deals in a programme.
pub const MAX_DEALS: usize = 100;

/// A programme file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ibsim programme")]
pub struct Programme {
    /// Name of the programme or fund, shown in reports.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// ISO 4217 code: every deal's currency.
    pub currency: String,
    /// Where each number comes from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// The deals, each simulated in every trial.
    pub deals: Vec<DealEntry>,
    /// The fund that pays the deals' outcome payments.
    #[serde(default)]
    pub fund: Fund,
    /// Events drawn once per trial that hit several deals at once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shocks: Vec<CommonShock>,
    /// Monte Carlo settings of the programme.
    #[serde(default)]
    pub simulation: ProgrammeSimulation,
}

/// One deal of a programme.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DealEntry {
    /// Name `[a-z0-9_]+`, unique (it appears in `deals.<name>` paths and keys).
    pub name: String,
    /// The deal's scenario file, relative to the programme file (exactly
    /// one of `file` and `scenario`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The deal's scenario written inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<Box<Scenario>>,
    /// The programme month in which the deal's month 0 falls (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_month: Option<Whole>,
    /// Loading of the deal's outcome rates on the programme's common factor
    /// (one-factor Gaussian copula), in [-1, 1] (default 0: independent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loading: Option<f64>,
    /// With `fund.allocation: priority`, its rank (1 is paid first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Whole>,
    /// The programme's name of the deal's payers, where it differs from the
    /// deal file's: deal payer -> programme payer. Payers of the same name
    /// across deals are one payer of the fund.
    #[serde(default, skip_serializing_if = "IdMap::is_empty")]
    pub payers: IdMap<String>,
    /// The programme's name of the deal's investors (its tranches), where
    /// it differs from the deal file's: tranche -> investor. An investor in
    /// several deals gets a portfolio IRR and P(loss).
    #[serde(default, skip_serializing_if = "IdMap::is_empty")]
    pub investors: IdMap<String>,
}

/// The fund across deals.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fund {
    /// Most the fund pays for outcomes over the programme (none: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_cap: Option<f64>,
    /// How a binding budget is shared: `pro_rata` to what is due (default)
    /// or by each deal's `priority`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation: Option<Allocation>,
}

/// An event drawn once per trial that scales outcome rates in several deals.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommonShock {
    /// Name of the event.
    pub name: String,
    /// Probability that it happens in a trial.
    pub probability: f64,
    /// Deal name -> (outcome id -> multiplier >= 0 on its rate).
    pub hits: IdMap<IdMap<f64>>,
}

/// The programme's Monte Carlo settings.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeSimulation {
    /// Number of trials (default 10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trials: Option<Whole>,
    /// Seed of the common risks (default 0); each deal keeps its own seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<Whole>,
}

/// A programme that parsed and passed validation, with its deals.
#[derive(Debug, Clone)]
pub struct LoadedProgramme {
    /// The checked programme.
    pub programme: Programme,
    /// The file name as given.
    pub file: String,
    /// The programme file's text.
    pub text: String,
    /// Each deal's checked scenario, in the programme's order.
    pub deals: Vec<LoadedScenario>,
}

/// Whether a YAML text is a programme: it has a top-level `deals:` key.
pub fn is_programme(text: &str) -> bool {
    text.lines().any(|l| {
        l.strip_prefix("deals")
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    })
}

/// Reads and checks a programme file and every deal it lists.
pub fn load(path: &Path) -> Result<LoadedProgramme, Vec<Diagnostic>> {
    let (file, text) = read_text(path, "a programme")?;
    let dir = path.parent().unwrap_or(Path::new(""));
    parse_str(&text, &file, dir)
}

/// Parses and checks programme text; `file` names it in messages, deal
/// files are read relative to `dir`.
pub fn parse_str(text: &str, file: &str, dir: &Path) -> Result<LoadedProgramme, Vec<Diagnostic>> {
    parse_with(text, file, &|f| crate::scenario::load(&dir.join(f)))
}

/// [`parse_str`] with the deal files read by `deal_file` (given each
/// deal's `file` as written): a programme merged from shards reads the
/// deals' texts the shards carry.
pub fn parse_with(
    text: &str,
    file: &str,
    deal_file: &dyn Fn(&str) -> Result<LoadedScenario, Vec<Diagnostic>>,
) -> Result<LoadedProgramme, Vec<Diagnostic>> {
    let (programme, index) = read_typed::<Programme>(
        text,
        file,
        "a programme mapping (name, currency, deals, fund, ...)",
    )?;
    let at = |path: String, message: String| Diagnostic {
        file: file.to_owned(),
        loc: index.locate(&path),
        path,
        message,
    };
    let mut problems: Vec<Diagnostic> = check(&programme)
        .into_iter()
        .map(|(p, m)| at(p, m))
        .collect();
    // Every deal as its own file would be read; an inline deal's problems
    // are located in the programme file.
    let mut deals = Vec::new();
    for (i, d) in programme.deals.iter().enumerate() {
        let loaded = match (&d.file, &d.scenario) {
            (Some(f), None) => deal_file(f),
            (None, Some(s)) => inline(s, file, &format!("deals[{i}].scenario"), &index),
            _ => continue,
        };
        match loaded {
            Ok(l) => {
                if l.scenario.currency != programme.currency {
                    problems.push(at(
                        format!("deals[{i}]"),
                        format!(
                            "the deal's currency is {}, the programme's {}: every deal of a programme is in its currency",
                            l.scenario.currency, programme.currency
                        ),
                    ));
                }
                deals.push(l);
            }
            Err(mut d) => problems.append(&mut d),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    for (i, (entry, d)) in programme.deals.iter().zip(&deals).enumerate() {
        for (from, to) in &entry.payers.0 {
            let path = format!("deals[{i}].payers.{from}");
            let named = match &d.scenario.payment.payers {
                Some(ps) => ps.iter().any(|p| &p.name == from),
                None => from == "payer",
            };
            if !named {
                problems.push(at(
                    path.clone(),
                    format!("deal `{}` has no payer `{from}`", entry.name),
                ));
            }
            if to.trim().is_empty() {
                problems.push(at(
                    path,
                    "empty name: give the programme's name of the payer".into(),
                ));
            }
        }
        for (from, to) in &entry.investors.0 {
            let path = format!("deals[{i}].investors.{from}");
            let named = match &d.scenario.finance.tranches {
                Some(ts) => ts.iter().any(|t| &t.name == from),
                None => from == "investor",
            };
            if !named {
                problems.push(at(
                    path.clone(),
                    format!("deal `{}` has no tranche `{from}`", entry.name),
                ));
            }
            if !crate::scenario::validate::is_key_name(to) {
                problems.push(at(
                    path,
                    format!("investor name `{to}` is invalid: expected [a-z0-9_]+ (it appears in keys such as investor.<name>.irr)"),
                ));
            }
        }
    }
    for (k, sh) in programme.shocks.iter().enumerate() {
        for (deal, outcomes) in &sh.hits.0 {
            let Some(d) = programme.deals.iter().position(|d| &d.name == deal) else {
                continue;
            };
            for (id, _) in &outcomes.0 {
                let path = format!("shocks[{k}].hits.{deal}.{id}");
                match deals[d].scenario.outcomes.iter().find(|o| &o.id == id) {
                    None => problems.push(at(path, format!("deal `{deal}` has no outcome `{id}`"))),
                    Some(o) if o.kind() != crate::scenario::OutcomeKind::Count => problems.push(at(
                        path,
                        format!("`{id}` of deal `{deal}` is an effect or a rate: a shock scales the rates of counted outcomes"),
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(LoadedProgramme {
        programme,
        file: file.to_owned(),
        text: text.to_owned(),
        deals,
    })
}

/// An inline deal's scenario checked as a file would be; its problems
/// located at `prefix` in the programme file.
fn inline(
    s: &Scenario,
    file: &str,
    prefix: &str,
    index: &crate::scenario::LocationIndex,
) -> Result<LoadedScenario, Vec<Diagnostic>> {
    let mut s = s.clone();
    s.normalise_names();
    let problems = crate::scenario::validate::validate(&s);
    if !problems.is_empty() {
        return Err(problems
            .into_iter()
            .map(|p| {
                let path = format!("{prefix}.{}", p.path);
                Diagnostic {
                    file: file.to_owned(),
                    loc: index.locate(&path),
                    path,
                    message: p.message,
                }
            })
            .collect());
    }
    // (JSON is YAML: the deal's text as a file of its own would hold it.)
    let text = serde_json::to_string_pretty(&s).unwrap_or_default();
    Ok(LoadedScenario {
        scenario: s,
        file: format!("{file} ({prefix})"),
        text,
        warnings: Vec::new(),
    })
}

/// The programme's own rules: (path, message) for each problem.
pub(crate) fn check(p: &Programme) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut err = |path: String, m: String| out.push((path, m));
    if p.name.trim().is_empty() {
        err(
            "name".into(),
            "name is empty: give the programme a name".into(),
        );
    }
    if !(p.currency.len() == 3 && p.currency.bytes().all(|b| b.is_ascii_uppercase())) {
        err(
            "currency".into(),
            format!(
                "`{}` is not an ISO 4217 code: expected three capital letters such as COP, PEN or USD",
                p.currency
            ),
        );
    }
    if p.deals.is_empty() {
        err(
            "deals".into(),
            "empty list: a programme needs at least one deal".into(),
        );
    }
    if p.deals.len() > MAX_DEALS {
        err(
            "deals".into(),
            format!(
                "{} deals: a programme has at most {MAX_DEALS}",
                p.deals.len()
            ),
        );
    }
    let priority = p.fund.allocation == Some(Allocation::Priority);
    let mut seen = HashSet::new();
    for (i, d) in p.deals.iter().enumerate() {
        let at = format!("deals[{i}]");
        if !crate::scenario::validate::is_key_name(&d.name) {
            err(
                format!("{at}.name"),
                format!(
                    "deal name `{}` is invalid: expected [a-z0-9_]+ (it appears in keys such as deals.<name>)",
                    d.name
                ),
            );
        } else if !seen.insert(d.name.as_str()) {
            err(
                format!("{at}.name"),
                format!("duplicate deal name `{}`", d.name),
            );
        }
        match (&d.file, &d.scenario) {
            (Some(_), Some(_)) => err(
                format!("{at}.scenario"),
                "give either `file` or `scenario`, not both".into(),
            ),
            (None, None) => err(
                at.clone(),
                "missing the deal: give its scenario `file` or write it under `scenario`".into(),
            ),
            _ => {}
        }
        if let Some(m) = d.start_month
            && !(0..=crate::limits::MAX_HORIZON_MONTHS).contains(&m.0)
        {
            err(
                format!("{at}.start_month"),
                format!(
                    "{} is not a month from 0 to {}",
                    m.0,
                    crate::limits::MAX_HORIZON_MONTHS
                ),
            );
        }
        if let Some(l) = d.loading
            && !(-1.0..=1.0).contains(&l)
        {
            err(
                format!("{at}.loading"),
                format!("{l} is out of range: a loading is from -1 to 1"),
            );
        }
        match (priority, d.priority) {
            (true, None) => err(
                format!("{at}.priority"),
                "missing `priority`: with `fund.allocation: priority` every deal needs its rank (1 is paid first)".into(),
            ),
            (false, Some(_)) => err(
                format!("{at}.priority"),
                "`priority` without `fund.allocation: priority`: the budget is shared pro rata; remove it, or set `allocation: priority`".into(),
            ),
            (true, Some(r)) if r.0 < 1 => err(
                format!("{at}.priority"),
                format!("{} is not a rank: expected 1 (paid first) or more", r.0),
            ),
            _ => {}
        }
    }
    if let Some(b) = p.fund.budget_cap
        && !(b.is_finite() && b >= 0.0)
    {
        err(
            "fund.budget_cap".into(),
            format!("{b} is not an amount >= 0"),
        );
    }
    for (k, sh) in p.shocks.iter().enumerate() {
        let at = format!("shocks[{k}]");
        if !(0.0..=1.0).contains(&sh.probability) {
            err(
                format!("{at}.probability"),
                format!(
                    "{} is out of range: a probability is from 0 to 1",
                    sh.probability
                ),
            );
        }
        for (deal, outcomes) in &sh.hits.0 {
            if !p.deals.iter().any(|d| &d.name == deal) {
                err(
                    format!("{at}.hits.{deal}"),
                    format!("unknown deal `{deal}`"),
                );
            }
            for (id, m) in &outcomes.0 {
                if !(m.is_finite() && *m >= 0.0) {
                    err(
                        format!("{at}.hits.{deal}.{id}"),
                        format!("{m} is not a multiplier >= 0"),
                    );
                }
            }
        }
    }
    if let Some(t) = p.simulation.trials
        && !(1..=crate::limits::MAX_TRIALS).contains(&t.0)
    {
        err(
            "simulation.trials".into(),
            format!("{} is not 1 to {} trials", t.0, crate::limits::MAX_TRIALS),
        );
    }
    if let Some(s) = p.simulation.seed
        && s.0 < 0
    {
        err(
            "simulation.seed".into(),
            format!("{} is not a seed >= 0", s.0),
        );
    }
    out
}
