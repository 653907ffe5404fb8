//! Ingest ids: a document id given to each event when the agent takes it in, so that a batch
//! the `elasticsearch` output sends again (its response was lost, or the agent restarted and
//! replayed its persisted queue) overwrites the documents it already wrote instead of adding
//! them a second time.
//!
//! The id is `<process token>-<counter>` (the token: 64 random bits in base64url, made once
//! per process), kept in the event at `[@metadata][ingest_id]`:
//! - the persisted queue stamps events before it writes them, so the id is on disk with the
//!   event and a replay after `kill -9` sends the same id;
//! - with the memory queue, workers stamp the events of a batch they take (nothing of that
//!   queue survives the process, and within it a batch keeps its events until acknowledged);
//! - copies made by `clone` and pieces made by `split` get `<parent id>.<n>` (their number among
//!   the events the parent spawned), the same on every replay, so they never overwrite one
//!   another or their parent.
//!
//! An event that already has an id keeps it. Only outputs with `ingest_id => true` send it;
//! `@metadata` is never written to Elasticsearch.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use log_model::{FieldRef, LogEvent};
use serde_json::Value;

/// Where an event keeps its ingest id.
pub const FIELD: &str = "[@metadata][ingest_id]";

static PATH: LazyLock<FieldRef> =
    LazyLock::new(|| FieldRef::parse(FIELD).expect("a valid field reference"));

/// Hands out ingest ids (see the module docs).
#[derive(Debug)]
pub struct IngestIds {
    token: String,
    next: AtomicU64,
}

impl Default for IngestIds {
    fn default() -> Self {
        Self::new()
    }
}

impl IngestIds {
    /// A generator with a fresh random token.
    #[must_use]
    pub fn new() -> Self {
        use base64::Engine as _;
        let random = uuid::Uuid::new_v4();
        let token =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&random.as_bytes()[..8]);
        IngestIds {
            token,
            next: AtomicU64::new(0),
        }
    }

    /// Gives `ev` an id unless it has one.
    pub fn stamp(&self, ev: &mut LogEvent) {
        if of(ev).is_some() {
            return;
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        ev.insert(&PATH, Value::String(format!("{}-{n:x}", self.token)));
    }
}

/// The ingest id of `ev`, if it has one.
#[must_use]
pub fn of(ev: &LogEvent) -> Option<&str> {
    ev.get(&PATH)?.as_str()
}

/// Numbers the events `parent` spawned in one pass through the filters: the `n`-th (from 1)
/// gets `<parent id>.<n>`. Nothing happens when the parent has no id.
pub(crate) fn number_copies<'a>(parent: &LogEvent, copies: impl Iterator<Item = &'a mut LogEvent>) {
    let Some(id) = of(parent) else {
        return;
    };
    let id = id.to_owned();
    for (n, copy) in copies.enumerate() {
        copy.insert(&PATH, Value::String(format!("{id}.{}", n + 1)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(v: Value) -> LogEvent {
        let Value::Object(m) = v else {
            unreachable!("an object")
        };
        LogEvent::from_map(m)
    }

    #[test]
    fn ids_are_unique_kept_and_derived_for_copies() {
        let ids = IngestIds::new();
        let mut a = event(json!({"message": "a"}));
        let mut b = event(json!({"message": "b", "@metadata": {"other": 1}}));
        ids.stamp(&mut a);
        ids.stamp(&mut b);
        let (ida, idb) = (of(&a).unwrap().to_owned(), of(&b).unwrap().to_owned());
        assert_ne!(ida, idb);
        assert_eq!(
            b.get(&FieldRef::parse("[@metadata][other]").unwrap()),
            Some(&json!(1))
        );
        // stamping again keeps the id (a replayed event keeps what the queue stored)
        ids.stamp(&mut a);
        assert_eq!(of(&a), Some(ida.as_str()));
        // another process: another token
        let mut c = event(json!({"message": "a"}));
        IngestIds::new().stamp(&mut c);
        assert_ne!(of(&c).unwrap().split('-').next(), ida.split('-').next());

        let mut copies = [a.clone(), a.clone()];
        number_copies(&a, copies.iter_mut());
        let got: Vec<&str> = copies.iter().filter_map(of).collect();
        assert_eq!(got, [format!("{ida}.1"), format!("{ida}.2")]);
        let mut none = [event(json!({}))];
        number_copies(&event(json!({})), none.iter_mut());
        assert_eq!(of(&none[0]), None);
    }
}
