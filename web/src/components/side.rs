//! The side panel: tabs (Node · Clients · Settings · the protocol's own), each scrolling on its
//! own. The ARIA tabs pattern: a tablist of buttons with a roving tabindex (←/→, Home/End move
//! between tabs), one tabpanel for the open tab. The panel body is keyed by protocol and tab,
//! so a protocol switch (or another tab) starts scrolled to the top.

use crate::components::form::{field, form};
use crate::components::inspector;
use crate::model::action::Action;
use crate::model::panes::Tab;
use crate::model::setup::{self, describe_net, DISTS};
use crate::panels::{Panel, PanelCtx};
use netsplit_core::kernel::net::NetConfig;
use netsplit_core::run::registry::Look;
use yew::prelude::*;

/// A tab's label for `panel`.
pub fn label(tab: Tab, panel: &dyn Panel) -> &'static str {
    match tab {
        Tab::Node => "Node",
        Tab::Clients => "Clients",
        Tab::Settings => "Settings",
        Tab::Protocol => panel.own_tab(),
    }
}

/// The network settings every protocol has (Settings tab), showing `net`, the network now.
fn network(ctx: &PanelCtx<'_>, net: &NetConfig) -> Html {
    let (values, d) = (ctx.forms.get(setup::NET), ctx.dispatch);
    let f = |name: &str, label: &str| field(setup::NET, values, name, label);
    let body = html! {
        <>
            { f("latency_min_ms", "shortest delay (ms)").size(5).view(d) }
            { f("latency_max_ms", "longest delay (ms)").size(5).view(d) }
            { f("dist", "delays").select(DISTS.map(|(v, l)| (v.to_string(), l.to_string()))).view(d) }
            { f("loss", "lost (%)").size(4).view(d) }
            { f("duplicate", "duplicated (%)").size(4).view(d) }
            { f("reorder", "reordered (%)").size(4).view(d) }
            <button class="btn" type="submit">{"Apply from now on"}</button>
        </>
    };
    html! {
        <section class="panel net-settings" aria-label="Network">
            <h3>{"Network"}</h3>
            <p class="muted">{format!("Now: {}.", describe_net(net))}</p>
            { form(setup::NET, values, "net-form", "Network settings", body, d) }
            <p class="muted">{"Applies to messages sent from now on (recorded as an action on the timeline, like a fault). Messages already in flight keep their arrival times."}</p>
        </section>
    }
}

/// The side panel with tab `tab` open; `net` is the network now (for the Settings tab).
pub fn view(
    ctx: &PanelCtx<'_>,
    panel: &dyn Panel,
    look: &Look,
    selected: Option<usize>,
    tab: Tab,
    protocol: &str,
    net: &NetConfig,
) -> Html {
    let dispatch = ctx.dispatch;
    let tabs: Html = Tab::ALL
        .iter()
        .map(|t| {
            let t = *t;
            let on = t == tab;
            let onclick = dispatch.reform(move |_| Action::Tab(t));
            let onkeydown = {
                let dispatch = dispatch.clone();
                Callback::from(move |e: KeyboardEvent| {
                    if let Some(next) = t.after_key(&e.key()) {
                        e.prevent_default();
                        e.stop_propagation();
                        dispatch.emit(Action::Tab(next));
                        crate::dom::events::focus_id(&format!("tab-{}", next.name()));
                    }
                })
            };
            html! {
                <button id={format!("tab-{}", t.name())} class={classes!("tab", on.then_some("on"))}
                    role="tab" type="button" aria-selected={on.to_string()}
                    aria-controls={format!("tabpanel-{}", t.name())}
                    tabindex={if on { "0" } else { "-1" }} data-tab={t.name()}
                    {onclick} {onkeydown}>
                    {label(t, panel)}
                </button>
            }
        })
        .collect();
    let body = match tab {
        Tab::Node => inspector::view(ctx, panel, look, selected),
        Tab::Clients => panel.clients_tab(ctx),
        Tab::Settings => html! {
            <>
                { network(ctx, net) }
                <section class="panel protocol-settings">{ panel.settings_tab(ctx) }</section>
            </>
        },
        Tab::Protocol => panel.protocol_tab(ctx),
    };
    html! {
        <>
            <div class="tabs" role="tablist" aria-label="Side panel">{tabs}</div>
            // One keyed child: another protocol or tab makes a new element, scrolled to the top.
            <div class="tab-frame">
                <div key={format!("{protocol}-{}", tab.name())} id={format!("tabpanel-{}", tab.name())}
                    class={classes!("tab-body", format!("tab-{}", tab.name()), (tab == Tab::Node).then_some("inspector"))} role="tabpanel"
                    aria-labelledby={format!("tab-{}", tab.name())} tabindex="0">
                    {body}
                </div>
            </div>
        </>
    }
}
