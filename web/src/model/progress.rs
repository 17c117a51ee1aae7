//! Challenge progress, kept in the browser's local storage behind the [`Store`] trait: the
//! page uses `dom::storage` (gloo's `LocalStorage`), the tests a map or a store that always
//! fails. A store that fails — storage denied, quota exceeded, a damaged value — never breaks
//! the page: progress then lasts until the page closes, and the panel says so once.

use std::collections::{BTreeMap, BTreeSet};

/// The storage key of the solved challenges (a JSON array of challenge ids).
pub const KEY: &str = "netsplit.challenges.solved.v1";

/// At most this many ids are kept (a damaged or hostile value cannot grow without bound).
pub const MAX_IDS: usize = 256;

/// Where progress is kept. Errors are sentences for the user.
pub trait Store {
    /// The value at `key`, if any.
    fn get(&self, key: &str) -> Result<Option<String>, String>;
    /// Store `value` at `key`.
    fn set(&mut self, key: &str, value: &str) -> Result<(), String>;
}

/// A store in memory (tests, and the fallback when the browser has none).
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    /// The values.
    pub values: BTreeMap<String, String>,
}

impl Store for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        Ok(self.values.get(key).cloned())
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        self.values.insert(key.to_string(), value.to_string());
        Ok(())
    }
}

/// What a store failure means for the user.
pub fn unsaved(reason: &str) -> String {
    format!("Progress is not saved in this browser ({reason}); it lasts until you close the page.")
}

/// The challenges solved, as far as this page knows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    solved: BTreeSet<String>,
    /// Why progress is not being saved, if it is not.
    pub warning: Option<String>,
}

impl Progress {
    /// Read the solved challenges from `store` (nothing, with a warning, if it fails).
    pub fn load(store: &dyn Store) -> Progress {
        match store.get(KEY) {
            Ok(None) => Progress::default(),
            Ok(Some(text)) => match serde_json::from_str::<Vec<String>>(&text) {
                Ok(ids) => Progress {
                    solved: ids.into_iter().take(MAX_IDS).collect(),
                    warning: None,
                },
                // A damaged value is ignored and overwritten at the next success.
                Err(_) => Progress::default(),
            },
            Err(e) => Progress {
                solved: BTreeSet::new(),
                warning: Some(unsaved(&e)),
            },
        }
    }

    /// Whether challenge `id` is solved.
    pub fn solved(&self, id: &str) -> bool {
        self.solved.contains(id)
    }

    /// How many challenges are solved.
    pub fn count(&self) -> usize {
        self.solved.len()
    }

    /// Record `id` as solved and save (a failure keeps it for this page and sets the
    /// warning). Returns whether it is new.
    pub fn mark(&mut self, id: &str, store: &mut dyn Store) -> bool {
        if self.solved.contains(id) || self.solved.len() >= MAX_IDS {
            return false;
        }
        self.solved.insert(id.to_string());
        self.save(store);
        true
    }

    /// Forget every solved challenge (and save).
    pub fn reset(&mut self, store: &mut dyn Store) {
        self.solved.clear();
        self.save(store);
    }

    fn save(&mut self, store: &mut dyn Store) {
        let ids: Vec<&String> = self.solved.iter().collect();
        let text = serde_json::to_string(&ids).unwrap_or_default();
        match store.set(KEY, &text) {
            Ok(()) => self.warning = None,
            Err(e) => self.warning = Some(unsaved(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store that always fails, like a browser with storage denied or full.
    struct Broken;

    impl Store for Broken {
        fn get(&self, _: &str) -> Result<Option<String>, String> {
            Err("storage is blocked".into())
        }
        fn set(&mut self, _: &str, _: &str) -> Result<(), String> {
            Err("storage is full".into())
        }
    }

    #[test]
    fn progress_is_saved_and_read_back() {
        let mut store = MemoryStore::default();
        let mut p = Progress::load(&store);
        assert_eq!(p.count(), 0);
        assert!(p.mark("split-vote", &mut store));
        assert!(!p.mark("split-vote", &mut store), "once");
        let again = Progress::load(&store);
        assert!(again.solved("split-vote") && again.warning.is_none());
        assert_eq!(store.values[KEY], "[\"split-vote\"]");
        let mut p = again;
        p.reset(&mut store);
        assert_eq!(Progress::load(&store).count(), 0);
    }

    #[test]
    fn a_failing_store_never_breaks_the_page() {
        let p = Progress::load(&Broken);
        assert_eq!(p.count(), 0);
        assert!(p.warning.as_deref().unwrap().contains("storage is blocked"));
        let mut p = Progress::default();
        let mut broken = Broken;
        assert!(p.mark("block-2pc", &mut broken), "kept for this page");
        assert!(p.solved("block-2pc"));
        assert!(p.warning.as_deref().unwrap().contains("storage is full"));
        // It works again: the warning goes.
        let mut store = MemoryStore::default();
        p.mark("lww", &mut store);
        assert!(p.warning.is_none());
    }

    #[test]
    fn damaged_values_are_ignored() {
        let mut store = MemoryStore::default();
        store.values.insert(KEY.into(), "{not json".into());
        let p = Progress::load(&store);
        assert_eq!((p.count(), p.warning.clone()), (0, None));
        let many: Vec<String> = (0..1000).map(|i| format!("c{i}")).collect();
        store
            .values
            .insert(KEY.into(), serde_json::to_string(&many).unwrap());
        assert_eq!(Progress::load(&store).count(), MAX_IDS);
    }
}
