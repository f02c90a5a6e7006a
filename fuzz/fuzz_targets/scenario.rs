//! Fuzz target: any bytes through reading, validation and compilation of a
//! scenario. Invalid input must end in diagnostics, never in a panic, a hang
//! or unbounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(loaded) = ibsim::scenario::parse_str(text, "fuzz.yaml") {
        // Validation passed (its limits included): compiling and laying out
        // the metrics must work.
        let model = ibsim::model::Model::compile(&loaded.scenario);
        let layout = ibsim::engine::Layout::new(&model);
        assert!(!layout.is_empty());
        let _ = ibsim::run::budget::ns_per_trial(&model);
    }
});
