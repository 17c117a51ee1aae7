//! Component tests in a real browser (headless Chromium via wasm-bindgen-test):
//! `wasm-pack test --headless --chrome web`, or `cargo xtask test`.
#![cfg(target_arch = "wasm32")]

use netsplit_core::kernel::check::Checker;
use netsplit_core::protocols::raft::{Raft, RaftChecker};
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::Element;

wasm_bindgen_test_configure!(run_in_browser);

fn mount() -> Element {
    let doc = gloo::utils::document();
    let root = doc.create_element("div").expect("a div");
    root.set_attribute("style", "width:1000px;height:700px")
        .ok();
    doc.body()
        .expect("a body")
        .append_child(&root)
        .expect("mounted");
    yew::Renderer::<netsplit_web::app::App>::with_root(root.clone()).render();
    root
}

fn count(root: &Element, selector: &str) -> u32 {
    root.query_selector_all(selector).map_or(0, |l| l.length())
}

#[wasm_bindgen_test]
async fn the_app_mounts_draws_five_nodes_and_time_flows() {
    let root = mount();
    yew::platform::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(count(&root, ".node:not(.client)"), 5, "five servers");
    assert_eq!(count(&root, ".node.client"), 2, "two simulated clients");
    assert_eq!(count(&root, ".link"), 10, "every pair of nodes has a link");
    let properties = <RaftChecker as Checker<Raft>>::properties().len() as u32;
    assert_eq!(
        count(&root, ".badge.ok"),
        properties,
        "every property holds"
    );
    let clock = |r: &Element| {
        r.query_selector(".clock")
            .ok()
            .flatten()
            .and_then(|c| c.text_content())
            .unwrap_or_default()
    };
    let first = clock(&root);
    // Keep waiting until the animation loop has advanced virtual time.
    let mut later = first.clone();
    for _ in 0..50 {
        yew::platform::time::sleep(Duration::from_millis(100)).await;
        later = clock(&root);
        if later != first {
            break;
        }
    }
    assert_ne!(first, later, "virtual time advances on its own");
}

#[wasm_bindgen_test]
async fn clicking_a_node_opens_the_inspector_and_crash_works() {
    let root = mount();
    yew::platform::time::sleep(Duration::from_millis(100)).await;
    let node: web_sys::HtmlElement = root
        .query_selector(".node[data-node=\"n2\"]")
        .ok()
        .flatten()
        .expect("n2")
        .dyn_into::<web_sys::SvgElement>()
        .map(|svg| svg.unchecked_into())
        .expect("svg element");
    let click = web_sys::MouseEvent::new("click").expect("event");
    node.dispatch_event(&click).expect("dispatched");
    yew::platform::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(count(&root, "[data-inspecting=\"n2\"]"), 1);
    let crash = root
        .query_selector(".inspector .actions button")
        .ok()
        .flatten()
        .expect("crash button")
        .dyn_into::<web_sys::HtmlElement>()
        .expect("a button");
    crash.click();
    yew::platform::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        count(&root, ".node[data-node=\"n2\"][data-status=\"crashed\"]"),
        1
    );
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("user: crash n2"), "the log shows the crash");
}
