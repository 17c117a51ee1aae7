//! The share-link decoder on arbitrary fragments: it must never panic, and whatever it accepts
//! is a valid scenario that encodes back to a link which decodes to the same scenario.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netsplit_core::run::link;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // As typed (with or without the `s1.` prefix a real link has).
    for fragment in [text.to_string(), format!("s1.{text}")] {
        if let Ok(scenario) = link::decode(&fragment) {
            assert!(scenario.validate().is_ok(), "decoded but invalid");
            if let Ok(again) = link::encode(&scenario) {
                assert_eq!(link::decode(&again).ok(), Some(scenario));
            }
        }
    }
});
