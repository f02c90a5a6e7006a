//! Inputs kept from the fuzzing runs (docs/fuzzing.md): mutated scenarios
//! that validate and mutated files that do not. Each must end in exit 0 or 1
//! without a panic; those that validate must run a few trials with money
//! conserved in every one, as the `simulate` fuzz target checks.

use crate::common::*;

use ibsim::engine::{Discounts, Draws, Layout, Workspace, run_trial};
use ibsim::model::Model;

#[test]
fn kept_fuzz_inputs_never_panic_and_valid_ones_conserve_money() {
    let dir = root().join("tests/fuzz_inputs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 40, "only {} kept inputs", files.len());
    let (mut valid, mut invalid) = (0, 0);
    for f in &files {
        let o = ibsim(&["validate", f.to_str().unwrap()]);
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{}: {err}", f.display());
        let named_valid = f
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("valid");
        match o.status.code() {
            Some(0) => {
                assert!(named_valid, "{} now validates", f.display());
                valid += 1;
                let text = std::fs::read_to_string(f).unwrap();
                let loaded = ibsim::scenario::parse_str(&text, "fuzz.yaml").unwrap();
                let model = Model::compile(&loaded.scenario);
                if ibsim::run::budget::ns_per_trial(&model) > 2.0e6 {
                    continue;
                }
                let layout = Layout::new(&model);
                let disc = Discounts::new(&model);
                let draws = Draws {
                    seed: model.seed,
                    trials: 16,
                    sampling: model.sampling,
                };
                let mut ws = Workspace::new(&model, &layout);
                for t in 0..16 {
                    run_trial(&model, &layout, &disc, &draws, t, &mut ws);
                    let x = ws.totals;
                    assert!(
                        x.is_conserved(),
                        "{} trial {t}: money not conserved, gap {}",
                        f.display(),
                        x.conservation_gap()
                    );
                }
            }
            Some(1) => {
                assert!(!named_valid, "{} no longer validates: {err}", f.display());
                assert!(!err.trim().is_empty());
                invalid += 1;
            }
            c => panic!("{}: exit {c:?}: {err}", f.display()),
        }
    }
    assert!(
        valid >= 20 && invalid >= 10,
        "{valid} valid, {invalid} invalid"
    );
}
