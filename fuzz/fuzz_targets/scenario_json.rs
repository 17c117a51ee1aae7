//! The scenario parser on arbitrary documents: it must never panic, and whatever it accepts
//! round-trips through its JSON form and builds a playground that can take a few steps.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netsplit_core::{build, Scenario};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenario) = Scenario::from_json(text) else {
        return;
    };
    let back = Scenario::from_json(&scenario.to_json()).expect("its own JSON reads back");
    assert_eq!(back, scenario);
    if let Ok(mut playground) = build(&scenario) {
        for _ in 0..200 {
            if !playground.step() {
                break;
            }
        }
    }
});
