//! Starter scenarios written by `ibsim init`: commented, valid, meant to be
//! edited, in English or Spanish (`--lang es`: comments, names, labels and
//! ids in Spanish, the same deal and the same numbers).

use crate::report::i18n::Lang;

/// A starter template: its name on the command line and its text.
pub struct Template {
    /// `--template` value.
    pub name: &'static str,
    /// One-line description.
    pub about: &'static str,
    /// One-line description in Spanish.
    pub about_es: &'static str,
    /// The YAML text.
    pub text: &'static str,
    /// The YAML text in Spanish.
    pub text_es: &'static str,
}

impl Template {
    /// The description in `lang`.
    pub fn about(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.about,
            Lang::Es => self.about_es,
        }
    }

    /// The YAML text in `lang`.
    pub fn text(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.text,
            Lang::Es => self.text_es,
        }
    }
}

/// Every template, the first being the default.
pub const TEMPLATES: [Template; 5] = [
    Template {
        name: "employment",
        about: "employment bond: placement and retention, quarterly cohorts, two tranches",
        about_es: "bono de empleo: colocación y retención, cohortes trimestrales, dos tramos",
        text: include_str!("templates/employment.yaml"),
        text_es: include_str!("templates/es/employment.yaml"),
    },
    Template {
        name: "bilingual",
        about: "education bond: English B1 certification of teachers and students",
        about_es: "bono de educación: certificación B1 de inglés de docentes",
        text: include_str!("templates/bilingual.yaml"),
        text_es: include_str!("templates/es/bilingual.yaml"),
    },
    Template {
        name: "dib",
        about: "development impact bond: RCT-verified outcome, cooperation payers, guarantee",
        about_es: "bono de impacto en el desarrollo: resultado verificado por evaluación aleatorizada, pagadores de cooperación, garantía",
        text: include_str!("templates/dib.yaml"),
        text_es: include_str!("templates/es/dib.yaml"),
    },
    Template {
        name: "results-budget",
        about: "results-based budget: a rate against a target, survey rounds, pro-rata schedule",
        about_es: "presupuesto por resultados: una tasa frente a una meta, rondas de encuesta, pago proporcional",
        text: include_str!("templates/results-budget.yaml"),
        text_es: include_str!("templates/es/results-budget.yaml"),
    },
    Template {
        name: "performance",
        about: "performance contract without investors: the provider at risk, a fixed part, an advance",
        about_es: "contrato por desempeño sin inversionistas: el operador asume el riesgo, parte fija, anticipo",
        text: include_str!("templates/performance.yaml"),
        text_es: include_str!("templates/es/performance.yaml"),
    },
];

/// Finds a template by name.
pub fn find(name: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.name == name)
}
