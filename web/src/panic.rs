//! When something panics, show a panel with the error, the scenario that reproduces it and a
//! restart link — never a silently frozen page.

use netsplit_core::Scenario;
use std::cell::RefCell;

thread_local! {
    static LAST_SCENARIO: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Remember the scenario of the running session (shown in the panel if we crash).
pub fn remember_scenario(scenario: &Scenario) {
    let json = scenario.to_json();
    LAST_SCENARIO.with(|s| *s.borrow_mut() = json);
}

/// Install the panic hook.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&format!("netsplit panicked: {message}").into());
        let scenario = LAST_SCENARIO.with(|s| s.borrow().clone());
        show_panel(&message, &scenario);
    }));
}

fn show_panel(message: &str, scenario: &str) {
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
        for child in [&h, &p, &hint, &area, &restart] {
            panel.append_child(child).ok()?;
        }
        body.append_child(&panel).ok()?;
        Some(())
    };
    let _ = build();
}
