//! Tables of text cells: the protocol-neutral [`ViewTable`]s of a node's view, and any panel's
//! grid drawn the same way.

use netsplit_core::kernel::view::ViewTable;
use yew::prelude::*;

/// A titled grid. `durable` marks what survives a crash (■) or not (□); `lost` greys out
/// volatile contents of a crashed node.
pub fn grid<S: AsRef<str>>(
    title: &str,
    columns: &[S],
    rows: &[Vec<String>],
    durable: bool,
    lost: bool,
) -> Html {
    let head: Html = columns
        .iter()
        .map(|c| html! { <th scope="col">{c.as_ref().to_string()}</th> })
        .collect();
    let body: Html = if rows.is_empty() {
        html! { <tr><td class="muted" colspan={columns.len().max(1).to_string()}>{"(empty)"}</td></tr> }
    } else {
        rows.iter()
            .map(|r| html! { <tr>{ for r.iter().map(|c| html! { <td>{c}</td> }) }</tr> })
            .collect()
    };
    let kind = if durable {
        "■ durable"
    } else {
        "□ volatile"
    };
    // A table wider than the panel scrolls in its own box (no word is broken in the middle).
    html! {
        <div class="table-scroll" tabindex="0" role="region" aria-label={title.to_string()}>
            <table class={classes!("ptable", (lost && !durable).then_some("lost"))}>
                <caption>{title.to_string()}<span class="tag">{kind}</span></caption>
                <thead><tr>{head}</tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}

/// One table of a node's view. `lost` greys out volatile tables of a crashed node.
pub fn table(t: &ViewTable, lost: bool) -> Html {
    grid(&t.title, &t.columns, &t.rows, t.durable, lost)
}

/// Every table of a node (nothing for protocols without tables).
pub fn view(tables: &[ViewTable], crashed: bool) -> Html {
    tables.iter().map(|t| table(t, crashed)).collect()
}
