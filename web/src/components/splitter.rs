//! A resize handle (`role="separator"`) shared by every resizable part of the page: drag it, or
//! focus it and use the arrow keys, PageUp/PageDown, Home/End. While a drag is in progress it
//! only previews (the parent sets a CSS variable through the CSSOM, since the strict CSP forbids
//! style attributes); the new value is committed when the pointer is released, or at once for a
//! key. The key and drag arithmetic are pure functions, tested natively.

use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Which way the handle moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// A horizontal bar on top of a body: dragging up (or ↑) makes the body taller; the
    /// value is in px.
    Height,
    /// A vertical bar between two columns: dragging right (or →) widens the first column; the
    /// value is the first column's share of the handle's parent width, in percent.
    Columns,
}

/// A handle's range and step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    /// Smallest value.
    pub min: u32,
    /// Largest value.
    pub max: u32,
    /// One key press.
    pub step: u32,
}

impl Range {
    /// `value` kept inside the range.
    pub fn clamp(self, value: i64) -> u32 {
        value.clamp(i64::from(self.min), i64::from(self.max)) as u32
    }

    /// The value a key moves `value` to on an `axis` handle (`None`: not a key of ours).
    pub fn after_key(self, axis: Axis, value: u32, key: &str) -> Option<u32> {
        let step = i64::from(self.step);
        let delta = match (axis, key) {
            (Axis::Height, "ArrowUp") | (Axis::Columns, "ArrowRight") => step,
            (Axis::Height, "ArrowDown") | (Axis::Columns, "ArrowLeft") => -step,
            (_, "PageUp") => 4 * step,
            (_, "PageDown") => -4 * step,
            (_, "Home") => return Some(self.min),
            (_, "End") => return Some(self.max),
            _ => return None,
        };
        Some(self.clamp(i64::from(value) + delta))
    }

    /// The value a drag from `start` (value `from`) to `now` (pointer positions in px, along
    /// the axis: y for [`Axis::Height`], x for [`Axis::Columns`]) gives; `extent` is the
    /// parent's width in px (used for [`Axis::Columns`]).
    pub fn after_drag(self, axis: Axis, from: u32, start: i32, now: i32, extent: f64) -> u32 {
        let moved = f64::from(now - start);
        let delta = match axis {
            // The handle is on top: dragging up makes the body taller.
            Axis::Height => -moved,
            Axis::Columns if extent > 0.0 => moved * 100.0 / extent,
            Axis::Columns => 0.0,
        };
        self.clamp((f64::from(from) + delta).round() as i64)
    }
}

/// The handle's properties.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Which way it moves.
    pub axis: Axis,
    /// Its current (committed) value.
    pub value: u32,
    /// Its range.
    pub range: Range,
    /// Its accessible name (say which keys move it).
    pub label: AttrValue,
    /// The id of what it resizes.
    pub controls: AttrValue,
    /// Its CSS class (placement).
    pub class: AttrValue,
    /// A value during a drag (not committed).
    pub on_preview: Callback<u32>,
    /// A committed value (a key, or the end of a drag).
    pub on_commit: Callback<u32>,
}

/// The handle.
#[function_component(Splitter)]
pub fn splitter(p: &Props) -> Html {
    // A drag in progress: (pointer position at the start, parent extent, value now).
    let drag = use_mut_ref(|| None::<(i32, f64, u32)>);
    let (axis, range, value) = (p.axis, p.range, p.value);
    let along = move |e: &PointerEvent| match axis {
        Axis::Height => e.client_y(),
        Axis::Columns => e.client_x(),
    };
    let on_key = {
        let commit = p.on_commit.clone();
        Callback::from(move |e: KeyboardEvent| {
            if let Some(v) = range.after_key(axis, value, &e.key()) {
                e.prevent_default();
                e.stop_propagation();
                commit.emit(v);
            }
        })
    };
    let on_down = {
        let drag = drag.clone();
        Callback::from(move |e: PointerEvent| {
            let el = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
            let extent = el
                .as_ref()
                .and_then(|el| el.parent_element())
                .map_or(0.0, |parent| parent.get_bounding_client_rect().width());
            if let Some(el) = el {
                let _ = el.set_pointer_capture(e.pointer_id());
            }
            *drag.borrow_mut() = Some((along(&e), extent, value));
        })
    };
    let on_move = {
        let (drag, preview) = (drag.clone(), p.on_preview.clone());
        Callback::from(move |e: PointerEvent| {
            let mut d = drag.borrow_mut();
            if let Some((start, extent, _)) = *d {
                let v = range.after_drag(axis, value, start, along(&e), extent);
                *d = Some((start, extent, v));
                preview.emit(v);
            }
        })
    };
    let on_up = {
        let commit = p.on_commit.clone();
        Callback::from(move |_: PointerEvent| {
            if let Some((_, _, v)) = drag.borrow_mut().take() {
                if v != value {
                    commit.emit(v);
                }
            }
        })
    };
    let orientation = match axis {
        Axis::Height => "horizontal",
        Axis::Columns => "vertical",
    };
    html! {
        <div class={p.class.clone()} role="separator" aria-orientation={orientation} tabindex="0"
            aria-label={p.label.clone()} aria-controls={p.controls.clone()}
            aria-valuemin={range.min.to_string()} aria-valuemax={range.max.to_string()}
            aria-valuenow={value.to_string()}
            onkeydown={on_key} onpointerdown={on_down} onpointermove={on_move} onpointerup={on_up}>
            <span class="grip" aria-hidden="true"></span>
        </div>
    }
}

/// Set the CSS variable `name` to `value` on `el` through the CSSOM.
pub fn set_var(el: &NodeRef, name: &str, value: &str) {
    if let Some(el) = el.cast::<web_sys::HtmlElement>() {
        let _ = el.style().set_property(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Range = Range {
        min: 160,
        max: 1200,
        step: 24,
    };

    #[test]
    fn keys_move_by_steps_along_the_axis_and_stay_in_range() {
        assert_eq!(R.after_key(Axis::Height, 260, "ArrowUp"), Some(284));
        assert_eq!(R.after_key(Axis::Height, 260, "PageDown"), Some(164));
        assert_eq!(R.after_key(Axis::Height, 170, "ArrowDown"), Some(160));
        assert_eq!(R.after_key(Axis::Height, 260, "Home"), Some(160));
        assert_eq!(R.after_key(Axis::Height, 260, "End"), Some(1200));
        // Left/right do nothing on a height handle, up/down nothing on a column one.
        assert_eq!(R.after_key(Axis::Height, 260, "ArrowRight"), None);
        assert_eq!(R.after_key(Axis::Columns, 260, "ArrowUp"), None);
        assert_eq!(R.after_key(Axis::Columns, 260, "ArrowRight"), Some(284));
        assert_eq!(R.after_key(Axis::Height, 260, "x"), None);
    }

    #[test]
    fn drags_follow_the_pointer() {
        // Up by 40 px: 40 px taller.
        assert_eq!(R.after_drag(Axis::Height, 260, 500, 460, 0.0), 300);
        assert_eq!(R.after_drag(Axis::Height, 260, 500, 9_000, 0.0), 160);
        let pct = Range {
            min: 30,
            max: 75,
            step: 2,
        };
        // Right by 100 px of a 1000 px parent: ten points more.
        assert_eq!(pct.after_drag(Axis::Columns, 55, 300, 400, 1000.0), 65);
        assert_eq!(pct.after_drag(Axis::Columns, 55, 300, -900, 1000.0), 30);
        // No width known: no move.
        assert_eq!(pct.after_drag(Axis::Columns, 55, 300, 400, 0.0), 55);
    }
}
