//! When something panics, show a panel with the error, the scenario that reproduces it and a
//! restart link — never a silently frozen page.

use netsplit_core::Scenario;
use std::cell::RefCell;

thread_local! {
    static LAST_SCENARIO: RefCell<String> = const { RefCell::new(String::new()) };
    /// The scenario as a share-link fragment (empty if it is too big for a link).
    static LAST_FRAGMENT: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Remember the scenario of the running session (shown in the panel if we crash).
pub fn remember_scenario(scenario: &Scenario) {
    let json = scenario.to_json();
    let fragment = netsplit_core::run::link::encode(scenario).unwrap_or_default();
    LAST_SCENARIO.with(|s| *s.borrow_mut() = json);
    LAST_FRAGMENT.with(|s| *s.borrow_mut() = fragment);
}

/// Debug builds only (`cfg(debug_assertions)`, never in `trunk build --release`): define
/// `window.__netsplitDebugPanic()`, which panics inside the wasm, so the end-to-end tests can
/// check the error panel and the recovery. Release builds do not contain this function.
#[cfg(debug_assertions)]
pub fn install_debug_trigger() {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let Some(window) = web_sys::window() else {
        return;
    };
    let trigger = Closure::<dyn Fn()>::new(|| {
        panic!("debug panic triggered on purpose (window.__netsplitDebugPanic)");
    });
    let _ = js_sys::Reflect::set(
        &window,
        &"__netsplitDebugPanic".into(),
        trigger.as_ref().unchecked_ref(),
    );
    // Lives as long as the page.
    trigger.forget();
}

/// Install the panic hook. Through Yew: `Renderer::render` replaces any hook not set with
/// `yew::set_custom_panic_hook` by its own console-only one (the e2e panic test caught that).
pub fn install() {
    yew::set_custom_panic_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&format!("netsplit panicked: {message}").into());
        let scenario = LAST_SCENARIO.with(|s| s.borrow().clone());
        let fragment = LAST_FRAGMENT.with(|s| s.borrow().clone());
        show_panel(&message, &scenario, &fragment);
    }));
}

fn show_panel(message: &str, scenario: &str, fragment: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = document.body() else {
        return;
    };
    let Ok(panel) = document.create_element("div") else {
        return;
    };
    panel.set_class_name("panic-panel");
    panel.set_attribute("role", "alertdialog").ok();
    panel.set_attribute("aria-labelledby", "panic-title").ok();
    let build = || -> Option<()> {
        let h = document.create_element("h2").ok()?;
        h.set_id("panic-title");
        h.set_text_content(Some("netsplit hit a bug and stopped"));
        let p = document.create_element("p").ok()?;
        p.set_text_content(Some(message));
        let hint = document.create_element("p").ok()?;
        hint.set_text_content(Some(
            "This scenario reproduces what you were doing (save it and run it with `netsplit run --scenario FILE`):",
        ));
        let area = document.create_element("textarea").ok()?;
        area.set_attribute("readonly", "").ok()?;
        area.set_attribute("aria-label", "Scenario that reproduces the problem")
            .ok()?;
        area.set_text_content(Some(scenario));
        let restart = document.create_element("a").ok()?;
        restart.set_class_name("btn primary");
        let path = web_sys::window()?.location().pathname().ok()?;
        restart.set_attribute("href", &path).ok()?;
        restart.set_text_content(Some("Restart the playground"));
        let actions = document.create_element("p").ok()?;
        actions.set_class_name("panic-actions");
        actions.append_child(&restart).ok()?;
        if !fragment.is_empty() {
            // Opens the same session again, paused at the moment it stopped.
            let repro = document.create_element("a").ok()?;
            repro.set_class_name("btn repro-link");
            repro
                .set_attribute("href", &format!("{path}#{fragment}"))
                .ok()?;
            repro.set_text_content(Some("Reopen this moment (repro link)"));
            actions.append_child(&repro).ok()?;
        }
        for child in [&h, &p, &hint, &area, &actions] {
            panel.append_child(child).ok()?;
        }
        body.append_child(&panel).ok()?;
        Some(())
    };
    let _ = build();
}
