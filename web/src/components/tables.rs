//! Generic protocol tables ([`ViewTable`]): titled grids of text cells, drawn as they come.

use netsplit_core::kernel::view::ViewTable;
use yew::prelude::*;

/// One table. `lost` greys out volatile tables of a crashed node.
pub fn table(t: &ViewTable, lost: bool) -> Html {
    let head: Html = t
        .columns
        .iter()
        .map(|c| html! { <th scope="col">{c}</th> })
        .collect();
    let body: Html = if t.rows.is_empty() {
        html! { <tr><td class="muted" colspan={t.columns.len().max(1).to_string()}>{"(empty)"}</td></tr> }
    } else {
        t.rows
            .iter()
            .map(|r| html! { <tr>{ for r.iter().map(|c| html! { <td>{c}</td> }) }</tr> })
            .collect()
    };
    let kind = if t.durable {
        "■ durable"
    } else {
        "□ volatile"
    };
    html! {
        <table class={classes!("ptable", (lost && !t.durable).then_some("lost"))}>
            <caption>{&t.title}<span class="tag">{kind}</span></caption>
            <thead><tr>{head}</tr></thead>
            <tbody>{body}</tbody>
        </table>
    }
}

/// Every table of a node (nothing for protocols without tables).
pub fn view(tables: &[ViewTable], crashed: bool) -> Html {
    tables.iter().map(|t| table(t, crashed)).collect()
}
