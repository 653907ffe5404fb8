//! What a search task computed over a whole range of a segment's documents, kept for the next
//! search that asks the same of the same range.
//!
//! A segment never changes once written (deletes show as an alive bitset, and a task with one is
//! never memoised), so the best `k` documents of a range by a column, or the per-segment state of
//! a date histogram over it, are facts of the segment: Discover's first screen (newest 50 rows and
//! the hits over time, the time range covering most segments whole) asks for exactly these again
//! and again while only the newest, small segments differ. Kept only when every document of the
//! range matched (the scorer is tantivy's all-documents scorer: `match_all`, or a range filter
//! that covers the segment), so the answer depends on nothing but the range and what was asked.
//!
//! Bounded: at most [`BUDGET`] bytes (estimated) and [`MAX_ENTRIES`] entries, least recently used
//! dropped first; entries of segments that were merged away age out the same way.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use tantivy::DocId;
use tantivy::index::SegmentId;

use crate::aggs::{self, Agg, Kind};

/// Estimated bytes the memo may hold.
pub const BUDGET: usize = 32 << 20;
/// Entries the memo may hold.
pub const MAX_ENTRIES: usize = 4096;

/// A range of one segment, and what was computed over it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    segment: SegmentId,
    docs: (DocId, DocId),
    what: String,
}

impl Key {
    /// The best documents of `docs` by a column, as [`super::TopByColumn`] orders them.
    pub fn top(segment: SegmentId, docs: (DocId, DocId), order: &str) -> Key {
        Key {
            segment,
            docs,
            what: format!("top {order}"),
        }
    }

    /// The per-segment states of `aggs` over `docs`, when their states depend on nothing but the
    /// documents (see [`aggs_key`]).
    pub fn aggs(segment: SegmentId, docs: (DocId, DocId), aggs: &str) -> Key {
        Key {
            segment,
            docs,
            what: format!("aggs {aggs}"),
        }
    }
}

/// What a memoised entry holds.
#[derive(Debug, Clone)]
pub enum Entry {
    /// the best documents of the range (any order)
    Docs(Arc<Vec<DocId>>),
    /// the range's finished per-segment aggregation states
    States(Arc<Vec<aggs::State>>),
}

impl Entry {
    fn bytes(&self) -> usize {
        match self {
            Entry::Docs(d) => 64 + d.len() * 4,
            Entry::States(s) => 64 + s.iter().map(aggs::State::approx_bytes).sum::<usize>(),
        }
    }
}

/// The memo: entries with their last use.
#[derive(Debug, Default)]
pub struct Memo {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<Key, (Entry, u64)>,
    bytes: usize,
    clock: u64,
}

/// The process's memo (segment ids are unique across indices).
pub static MEMO: LazyLock<Memo> = LazyLock::new(Memo::default);

impl Memo {
    /// The locked memo and the time of this use.
    fn tick(&self) -> (std::sync::MutexGuard<'_, Inner>, u64) {
        let mut g = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.clock += 1;
        let now = g.clock;
        (g, now)
    }

    /// The entry for `key`, if kept.
    pub fn get(&self, key: &Key) -> Option<Entry> {
        let (mut g, now) = self.tick();
        let (entry, used) = g.map.get_mut(key)?;
        *used = now;
        Some(entry.clone())
    }

    /// Keeps `entry` for `key`, dropping the least recently used entries beyond the bounds; an
    /// entry larger than a quarter of the budget is not kept.
    pub fn put(&self, key: Key, entry: Entry) {
        let size = entry.bytes();
        if size > BUDGET / 4 {
            return;
        }
        let (mut g, now) = self.tick();
        if let Some((old, _)) = g.map.insert(key, (entry, now)) {
            g.bytes -= old.bytes();
        }
        g.bytes += size;
        while g.bytes > BUDGET || g.map.len() > MAX_ENTRIES {
            let Some(oldest) = g
                .map
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some((e, _)) = g.map.remove(&oldest) {
                g.bytes -= e.bytes();
            }
        }
    }

    /// Entries and their estimated bytes (tests).
    #[cfg(test)]
    pub fn usage(&self) -> (usize, usize) {
        let g = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (g.map.len(), g.bytes)
    }
}

/// What identifies `aggs` for the memo, when their per-segment states depend only on the
/// documents collected: date histograms without sub-aggregations (Discover's hits over time).
/// Their `extended_bounds` only shape the answer after the merge, so they are left out (a time
/// range that moves with `now` asks the same of every segment it covers). `None` for anything
/// else.
pub fn aggs_key(aggs: &[Agg]) -> Option<String> {
    let mut key = String::new();
    for a in aggs {
        if !a.subs.is_empty() {
            return None;
        }
        match &a.kind {
            Kind::DateHistogram {
                field,
                interval,
                min_doc_count,
                bounds: _,
                tz,
                format,
                offset,
            } => {
                key.push_str(&format!(
                    "date_histogram {field:?} {interval:?} {min_doc_count} {tz:?} {format:?} {offset};"
                ));
            }
            _ => return None,
        }
    }
    (!key.is_empty()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(n: usize) -> Entry {
        Entry::Docs(Arc::new((0..n as DocId).collect()))
    }

    fn key(i: u32) -> Key {
        Key::top(SegmentId::generate_random(), (0, i), "t")
    }

    #[test]
    fn keeps_what_it_was_given_and_drops_the_least_recently_used() {
        let memo = Memo::default();
        let (a, b) = (key(1), key(2));
        memo.put(a.clone(), docs(3));
        memo.put(b.clone(), docs(4));
        assert!(matches!(memo.get(&a), Some(Entry::Docs(d)) if *d == vec![0, 1, 2]));
        assert!(memo.get(&key(3)).is_none());
        // fill past the entry bound: `b` (used before `a`) goes first, `a` stays while newer
        // entries come in after its last use
        for i in 0..MAX_ENTRIES as u32 - 2 {
            memo.put(key(i), docs(1));
        }
        assert_eq!(memo.usage().0, MAX_ENTRIES);
        memo.put(key(0), docs(1));
        assert!(
            memo.get(&b).is_none(),
            "the least recently used entry was dropped"
        );
        assert!(memo.get(&a).is_some());
        assert_eq!(memo.usage().0, MAX_ENTRIES);
    }

    #[test]
    fn stays_within_its_byte_budget() {
        let memo = Memo::default();
        // an entry over a quarter of the budget is not kept
        let big = key(1);
        memo.put(big.clone(), docs(BUDGET / 4 / 4 + 1));
        assert!(memo.get(&big).is_none());
        assert_eq!(memo.usage(), (0, 0));
        let each = BUDGET / 4 / 4 - 64;
        for i in 0..6 {
            memo.put(key(i), docs(each));
            let (_, bytes) = memo.usage();
            assert!(bytes <= BUDGET, "{bytes} bytes after {i} entries");
        }
        assert_eq!(
            memo.usage().0,
            4,
            "four entries of a quarter of the budget fit"
        );
        // replacing an entry counts its bytes once
        let k = key(9);
        memo.put(k.clone(), docs(10));
        let before = memo.usage().1;
        memo.put(k, docs(10));
        assert_eq!(memo.usage().1, before);
    }
}
