//! The one form style of the page: every panel's form keeps its text in the model (a [`Form`]
//! in [`Forms`]), each keystroke is an `Action::Field`, submitting is an `Action::Submit`, and
//! a panel's pure validation answers with what to do or with an error per field, shown next
//! to the field (and summed up in the status strip).

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// The key of errors that belong to the whole form rather than to one field.
pub const WHOLE_FORM: &str = "";

/// One form's state: the text of every field, the errors of the last submission, and what the
/// last successful submission computed (for forms that compute rather than act).
#[derive(Clone, Default)]
pub struct Form {
    values: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    output: Option<Rc<dyn Any>>,
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Form")
            .field("values", &self.values)
            .field("errors", &self.errors)
            .field("output", &self.output.is_some())
            .finish()
    }
}

impl Form {
    /// A form with these initial values.
    pub fn with<K: Into<String>>(values: impl IntoIterator<Item = (K, String)>) -> Form {
        Form {
            values: values.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            ..Form::default()
        }
    }

    /// The text of `field` (empty if never set).
    pub fn get(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    /// Whether the form has a field `field`.
    pub fn has(&self, field: &str) -> bool {
        self.values.contains_key(field)
    }

    /// Whether the checkbox `field` is ticked.
    pub fn on(&self, field: &str) -> bool {
        self.get(field) == "true"
    }

    /// Set `field`'s text; its error (and the form's own) no longer applies.
    pub fn set(&mut self, field: &str, value: impl Into<String>) {
        self.values.insert(field.to_string(), value.into());
        self.errors.remove(field);
        self.errors.remove(WHOLE_FORM);
    }

    /// Choose `field`'s value from a menu or a checkbox: a choice can change what the other
    /// fields mean, so no error of the last submission applies any more.
    pub fn choose(&mut self, field: &str, value: impl Into<String>) {
        self.values.insert(field.to_string(), value.into());
        self.errors.clear();
    }

    /// The last submission's error for `field` ([`WHOLE_FORM`] for the form's own).
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    /// Whether the last submission left errors.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Replace the errors by `errors`.
    pub fn set_errors(&mut self, errors: Vec<(String, String)>) {
        self.errors = errors.into_iter().collect();
    }

    /// What the last successful submission computed, if it is a `T`.
    pub fn output<T: 'static>(&self) -> Option<&T> {
        self.output.as_deref().and_then(|o| o.downcast_ref())
    }

    /// Keep what a submission computed.
    pub fn set_output(&mut self, output: Rc<dyn Any>) {
        self.output = Some(output);
    }
}

/// A submission that did not pass: one message per offending field, and a sentence for the
/// status strip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// For the status strip ("cannot send: the key is empty").
    pub notice: String,
    /// `(field, reason)`; [`WHOLE_FORM`] for reasons about the whole form.
    pub fields: Vec<(String, String)>,
}

impl Invalid {
    /// Every reason in `fields`, announced as `"{verb}: {first reason}"`.
    pub fn of(verb: &str, fields: Vec<(String, String)>) -> Invalid {
        let first = fields
            .first()
            .map_or("check the form", |(_, why)| why.as_str());
        Invalid {
            notice: format!("{verb}: {first}"),
            fields,
        }
    }

    /// One reason, about `field`, announced as `"{verb}: {reason}"`.
    pub fn field(verb: &str, field: &str, reason: impl Into<String>) -> Invalid {
        let reason = reason.into();
        Invalid {
            notice: format!("{verb}: {reason}"),
            fields: vec![(field.to_string(), reason)],
        }
    }
}

/// Every form of the page, by id (`"raft.client"`…, chosen by the panels).
#[derive(Clone, Debug, Default)]
pub struct Forms {
    forms: BTreeMap<&'static str, Form>,
    /// What [`Forms::get`] shows for a form that does not exist.
    empty: Form,
}

impl Forms {
    /// Forms with these initial states.
    pub fn new(forms: impl IntoIterator<Item = (&'static str, Form)>) -> Forms {
        Forms {
            forms: forms.into_iter().collect(),
            empty: Form::default(),
        }
    }

    /// Form `id` (an empty one if there is no such form).
    pub fn get(&self, id: &str) -> &Form {
        self.forms.get(id).unwrap_or(&self.empty)
    }

    /// Form `id`, to change it (`None` if there is no such form).
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Form> {
        self.forms.get_mut(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_errors_and_outputs() {
        let mut f = Form::with([("key", "x".to_string()), ("on", "true".to_string())]);
        assert_eq!(f.get("key"), "x");
        assert_eq!(f.get("missing"), "");
        assert!(f.on("on") && !f.on("key"));
        f.set_errors(vec![
            ("key".into(), "the key is empty".into()),
            (WHOLE_FORM.into(), "refused".into()),
        ]);
        assert!(f.has_errors());
        assert_eq!(f.error("key"), Some("the key is empty"));
        f.set("key", "y");
        assert_eq!(f.error("key"), None, "typing clears the field's error");
        assert_eq!(f.error(WHOLE_FORM), None, "and the form's");
        assert!(!f.has_errors());
        f.set_errors(vec![
            ("value".into(), "put needs a value".into()),
            ("key".into(), "the key is empty".into()),
        ]);
        f.set("key", "z");
        assert_eq!(
            f.error("value"),
            Some("put needs a value"),
            "typing elsewhere keeps it"
        );
        f.choose("op", "cas");
        assert!(
            !f.has_errors(),
            "choosing another operation clears every error"
        );
        assert_eq!(f.get("op"), "cas");
        assert!(f.output::<u32>().is_none());
        f.set_output(Rc::new(7u32));
        assert_eq!(f.output::<u32>(), Some(&7));
        assert!(f.output::<String>().is_none());
        let forms = Forms::new([("a", f)]);
        assert_eq!(forms.get("a").get("key"), "z");
        assert_eq!(forms.get("nope").get("key"), "");
        let bad = Invalid::field("cannot send", "key", "the key is empty");
        assert_eq!(bad.notice, "cannot send: the key is empty");
        let two = Invalid::of(
            "cannot send",
            vec![("a".into(), "first".into()), ("b".into(), "second".into())],
        );
        assert_eq!(
            (two.notice.as_str(), two.fields.len()),
            ("cannot send: first", 2)
        );
    }
}
