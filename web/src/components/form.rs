//! The one form style, drawn: every field of every panel form is a [`Field`] bound to a
//! [`Form`] in the model. Typing sends `Action::Field`; submitting (or, for live fields, every
//! change) sends `Action::Submit`; the last submission's error for a field is shown next to
//! it (`aria-invalid`, `aria-describedby`) and the form's own error under it.

use crate::dom::events::value_of;
use crate::model::action::Action;
use crate::model::form::{Form, WHOLE_FORM};
use yew::prelude::*;

/// What kind of control a field is.
#[derive(Clone, Debug, PartialEq)]
enum Kind {
    /// A text box `size` characters wide.
    Text(u32),
    /// A whole number between `min` and `max`.
    Number(u64, u64),
    /// A choice: `(value, label)` pairs.
    Select(Vec<(String, String)>),
    /// A tick box (`"true"` / `"false"`).
    Checkbox,
}

/// One field of a form, built with [`field`] and drawn with [`Field::view`].
#[derive(Clone, Debug)]
pub struct Field<'a> {
    form: &'static str,
    values: &'a Form,
    name: String,
    label: String,
    kind: Kind,
    /// Submit the form on every change (settings applied at once).
    live: bool,
    /// The label is for screen readers only (rows of a table-like form).
    quiet_label: bool,
    title: Option<String>,
    placeholder: Option<String>,
    disabled: bool,
}

/// Field `name` of form `form` (whose state is `values`), labelled `label`; a text box unless
/// told otherwise.
pub fn field<'a>(form: &'static str, values: &'a Form, name: &str, label: &str) -> Field<'a> {
    Field {
        form,
        values,
        name: name.to_string(),
        label: label.to_string(),
        kind: Kind::Text(6),
        live: false,
        quiet_label: false,
        title: None,
        placeholder: None,
        disabled: false,
    }
}

impl Field<'_> {
    /// A text box `size` characters wide.
    pub fn size(mut self, size: u32) -> Self {
        self.kind = Kind::Text(size);
        self
    }

    /// A whole number from `min` to `max` (submitted when the user leaves the box).
    pub fn number(mut self, min: u64, max: u64) -> Self {
        self.kind = Kind::Number(min, max);
        self
    }

    /// A choice among `(value, label)` pairs.
    pub fn select(mut self, options: impl IntoIterator<Item = (String, String)>) -> Self {
        self.kind = Kind::Select(options.into_iter().collect());
        self
    }

    /// A choice among values shown as they are.
    pub fn choose<S: ToString>(self, values: impl IntoIterator<Item = S>) -> Self {
        self.select(values.into_iter().map(|v| (v.to_string(), v.to_string())))
    }

    /// A tick box.
    pub fn checkbox(mut self) -> Self {
        self.kind = Kind::Checkbox;
        self
    }

    /// Submit the form on every change (a text box: when the user is done with it).
    pub fn live(mut self) -> Self {
        self.live = true;
        self
    }

    /// Keep the label for screen readers only.
    pub fn quiet_label(mut self) -> Self {
        self.quiet_label = true;
        self
    }

    /// A tooltip explaining the field.
    pub fn title(mut self, title: &str) -> Self {
        self.title = Some(title.to_string());
        self
    }

    /// Grey text shown while the box is empty.
    pub fn placeholder(mut self, text: &str) -> Self {
        self.placeholder = Some(text.to_string());
        self
    }

    /// Greyed out.
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }

    /// The field, its label and its error.
    pub fn view(&self, dispatch: &Callback<Action>) -> Html {
        let (form, name) = (self.form, self.name.clone());
        let value = self.values.get(&self.name).to_string();
        let error = self.values.error(&self.name);
        let error_id = format!(
            "{}-{}-error",
            form.replace('.', "-"),
            name.replace('.', "-")
        );
        let described = error.map(|_| error_id.clone());
        let invalid = error.map(|_| "true");
        let edit = {
            let (dispatch, name) = (dispatch.clone(), name.clone());
            move |e: &Event, submit: bool, choice: bool| {
                dispatch.emit(Action::Field {
                    form,
                    field: name.clone(),
                    value: value_of(e),
                    choice,
                });
                if submit {
                    dispatch.emit(Action::Submit(form));
                }
            }
        };
        let live = self.live;
        let control = match &self.kind {
            Kind::Text(size) => {
                let typed = edit.clone();
                let oninput = Callback::from(move |e: InputEvent| typed(&e, false, false));
                // Live text boxes submit when the user is done (Enter, or leaving the box).
                let onchange = live.then(|| Callback::from(move |e: Event| edit(&e, true, false)));
                html! {
                    <input type="text" name={name.clone()} value={value} size={size.to_string()}
                        autocomplete="off" spellcheck="false" placeholder={self.placeholder.clone()}
                        disabled={self.disabled} aria-invalid={invalid}
                        aria-describedby={described.clone()} {oninput} {onchange} />
                }
            }
            Kind::Number(min, max) => {
                let typed = edit.clone();
                let oninput = Callback::from(move |e: InputEvent| typed(&e, false, false));
                // Like text boxes: only a live field submits when the user is done with it
                // (in a form with a submit button, leaving the box for the button would
                // otherwise submit twice).
                let onchange = live.then(|| Callback::from(move |e: Event| edit(&e, true, false)));
                html! {
                    <input type="number" name={name.clone()} value={value} min={min.to_string()}
                        max={max.to_string()} disabled={self.disabled} aria-invalid={invalid}
                        aria-describedby={described.clone()} {oninput} {onchange} />
                }
            }
            Kind::Select(options) => {
                let onchange = Callback::from(move |e: Event| edit(&e, live, true));
                html! {
                    <select name={name.clone()} disabled={self.disabled} aria-invalid={invalid}
                        aria-describedby={described.clone()} {onchange}>
                        { for options.iter().map(|(v, l)| html! {
                            <option value={v.clone()} selected={*v == value}>{l.clone()}</option>
                        }) }
                    </select>
                }
            }
            Kind::Checkbox => {
                let onchange = Callback::from(move |e: Event| edit(&e, live, true));
                html! {
                    <input type="checkbox" name={name.clone()} checked={value == "true"}
                        disabled={self.disabled} aria-invalid={invalid}
                        aria-describedby={described.clone()} {onchange} />
                }
            }
        };
        let label = html! {
            <span class={classes!("field-label", self.quiet_label.then_some("visually-hidden"))}>
                {self.label.clone()}
            </span>
        };
        let class = classes!(
            "field",
            (self.kind == Kind::Checkbox).then_some("toggle"),
            error.map(|_| "invalid")
        );
        html! {
            <label {class} title={self.title.clone()}>
                if self.kind == Kind::Checkbox { {control}{label} } else { {label}{control} }
                if let Some(e) = error {
                    <span class="field-error" id={error_id}>{"⚠ "}{e.to_string()}</span>
                }
            </label>
        }
    }
}

/// A `<form>` that submits `form` through the model, with the form's own error under its
/// fields.
pub fn form(
    form: &'static str,
    values: &Form,
    class: &'static str,
    label: &str,
    body: Html,
    dispatch: &Callback<Action>,
) -> Html {
    let onsubmit = dispatch.reform(move |e: SubmitEvent| {
        e.prevent_default();
        Action::Submit(form)
    });
    html! {
        // The model checks every field (and says why next to it): no browser bubbles.
        <form class={classes!("panel-form", class)} aria-label={label.to_string()} novalidate=true {onsubmit}>
            {body}
            if let Some(e) = values.error(WHOLE_FORM) {
                <p class="form-error" role="alert">{e.to_string()}</p>
            }
        </form>
    }
}
