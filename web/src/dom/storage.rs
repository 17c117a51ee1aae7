//! The browser's local storage as a [`Store`] (gloo's `LocalStorage`), never throwing: a
//! browser that denies storage (privacy settings, a sandboxed frame) or has none left (quota)
//! gives an error the page shows in words, and the page goes on.

use crate::model::progress::Store;
use gloo::storage::errors::StorageError;
use gloo::storage::{LocalStorage, Storage as _};

/// `localStorage`, if this page may use it (gloo's own access would throw otherwise).
fn available() -> Result<(), String> {
    match web_sys::window().map(|w| w.local_storage()) {
        Some(Ok(Some(_))) => Ok(()),
        Some(Ok(None)) | None => Err("this browser has no local storage".into()),
        Some(Err(_)) => Err("the browser denies this page its local storage".into()),
    }
}

fn reason(e: StorageError) -> String {
    match e {
        StorageError::JsError(js) if js.name == "QuotaExceededError" => {
            "the browser's storage for this site is full".into()
        }
        StorageError::JsError(js) => format!("the browser refused: {}", js.message),
        other => other.to_string(),
    }
}

/// The page's local storage.
#[derive(Clone, Copy, Debug, Default)]
pub struct BrowserStore;

impl Store for BrowserStore {
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        available()?;
        match LocalStorage::get::<serde_json::Value>(key) {
            Ok(value) => Ok(Some(value.to_string())),
            Err(StorageError::KeyNotFound(_)) => Ok(None),
            // Not JSON: as good as nothing (overwritten at the next save).
            Err(StorageError::SerdeError(_)) => Ok(None),
            Err(e) => Err(reason(e)),
        }
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        available()?;
        let value: serde_json::Value =
            serde_json::from_str(value).map_err(|e| format!("cannot save: {e}"))?;
        LocalStorage::set(key, value).map_err(reason)
    }
}
