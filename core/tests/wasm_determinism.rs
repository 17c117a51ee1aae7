//! The determinism fingerprints, computed in WebAssembly inside headless Chromium, must equal
//! the native ones in `data/determinism.txt` (run with `wasm-pack test --headless --chrome core`
//! or `cargo xtask test`).
#![cfg(target_arch = "wasm32")]

mod common;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn wasm_fingerprints_equal_native_ones() {
    let golden = common::golden();
    assert_eq!(golden.len() as u64, common::SEEDS);
    for (seed, want) in golden {
        assert_eq!(
            common::fingerprint(seed),
            want,
            "seed {seed} differs in wasm"
        );
    }
}
