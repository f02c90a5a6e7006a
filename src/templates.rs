//! Starter scenarios written by `ibsim init`: commented, valid, meant to be edited.

/// A starter template: its name on the command line and its text.
pub struct Template {
    /// `--template` value.
    pub name: &'static str,
    /// One-line description.
    pub about: &'static str,
    /// The YAML text.
    pub text: &'static str,
}

/// Every template, the first being the default.
pub const TEMPLATES: [Template; 3] = [
    Template {
        name: "employment",
        about: "employment bond: placement and retention, quarterly cohorts, two tranches",
        text: include_str!("templates/employment.yaml"),
    },
    Template {
        name: "bilingual",
        about: "education bond: English B1 certification of teachers and students",
        text: include_str!("templates/bilingual.yaml"),
    },
    Template {
        name: "dib",
        about: "development impact bond: RCT-verified outcome, cooperation payers, guarantee",
        text: include_str!("templates/dib.yaml"),
    },
];

/// Finds a template by name.
pub fn find(name: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.name == name)
}
