//! The `ibsim init` templates: deals a structurer would sign as written, the
//! same deal in English and Spanish.

use crate::common::*;

use ibsim::report::i18n::Lang;
use ibsim::templates::TEMPLATES;
use serde_json::Value;

fn summary_of(text: &str, trials: u64) -> Value {
    let m = crate::common::library::model(text);
    crate::common::library::run(&m, trials, 2).1
}

/// The keys of the funder's figures in a summary: the provider's when it
/// funds the contract.
fn funder(s: &Value) -> &'static ibsim::engine::layout::FunderKeys {
    if s["funded_by"] == "provider" {
        &ibsim::engine::layout::PROVIDER_KEYS
    } else {
        &ibsim::engine::layout::INVESTOR_KEYS
    }
}

/// At 20,000 trials every template, in both languages, has its funder
/// (investors, or the provider itself) lose money in 2% to 30% of trials
/// and a positive median IRR.
#[test]
fn every_template_is_a_viable_deal_as_written() {
    for t in &TEMPLATES {
        for lang in [Lang::En, Lang::Es] {
            let s = summary_of(t.text(lang), 20_000);
            let k = funder(&s);
            let p = s["probabilities"][k.prob_loss]["value"].as_f64().unwrap();
            let irr = s["metrics"][k.irr]["p50"].as_f64().unwrap();
            assert!(
                (0.02..=0.30).contains(&p) && irr > 0.0,
                "{} ({lang:?}): P(loss) {p}, median IRR {irr}",
                t.name
            );
        }
    }
}

/// The Spanish template is the English one translated: the same numbers.
#[test]
fn spanish_templates_are_the_same_deals() {
    for t in &TEMPLATES {
        let en = summary_of(t.text(Lang::En), 3000);
        let es = summary_of(t.text(Lang::Es), 3000);
        // (Tranche names differ: compare the probabilities in order.)
        let values = |s: &Value| -> Vec<Value> {
            s["probabilities"]
                .as_object()
                .unwrap()
                .values()
                .cloned()
                .collect()
        };
        assert_eq!(values(&en), values(&es), "{}", t.name);
        let f = funder(&en);
        for k in [
            f.irr,
            f.net,
            "payer_cost",
            "payer_cost_pv",
            "delivery_cost",
            f.peak,
        ] {
            assert_eq!(en["metrics"][k], es["metrics"][k], "{}: {k}", t.name);
        }
        assert_eq!(
            en["metrics"]["excess"], es["metrics"]["excess"],
            "{}",
            t.name
        );
    }
}

#[test]
fn init_writes_spanish_templates_with_lang_es() {
    let dir = tempdir("init-es");
    for t in &TEMPLATES {
        let f = dir.join(format!("{}.yaml", t.name));
        let out = ibsim(&[
            "init",
            f.to_str().unwrap(),
            "--template",
            t.name,
            "--lang",
            "es",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stdout(&out).starts_with("se escribió "), "{}", stdout(&out));
        let text = std::fs::read_to_string(&f).unwrap();
        assert_eq!(text, t.text_es);
        assert!(text.contains("Cambie las cifras"), "{}", t.name);
        // No English comment, name or label is left.
        for english in [
            "Edit the numbers",
            "written by",
            "placeholder",
            "[assumption]",
            "My ",
            "label: Placed",
            "shown in reports",
        ] {
            assert!(
                !text.contains(english),
                "{}: `{english}` in\n{text}",
                t.name
            );
        }
        let out = ibsim(&["validate", f.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
}
