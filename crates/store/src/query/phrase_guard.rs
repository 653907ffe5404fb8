//! A wrapper for phrase queries that keeps tantivy 0.27's phrase scorers out of a state they
//! assert against.
//!
//! `Exclude` (a `must_not` clause) asks its exclusion set `seek_danger(doc)` for each candidate,
//! and a phrase scorer may already stand past `doc` (or be exhausted); `PhraseScorer::seek_danger`
//! then trips its `debug_assert!(target >= self.doc())` and the search thread panics (debug
//! builds only: release builds answer correctly). Found by the differential test against
//! Elasticsearch (`must_not: match_phrase` with a phrase no document holds). The answer in that
//! case is known without asking the scorer: nothing matches before its current document.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, Term};

/// `inner`, with its scorers guarded (see the module docs).
#[derive(Debug)]
pub(super) struct PhraseGuard(pub(super) Box<dyn Query>);

impl Clone for PhraseGuard {
    fn clone(&self) -> Self {
        Self(self.0.box_clone())
    }
}

impl Query for PhraseGuard {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(GuardWeight(self.0.weight(enable_scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct GuardWeight(Box<dyn Weight>);

impl Weight for GuardWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(GuardScorer(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

struct GuardScorer(Box<dyn Scorer>);

impl DocSet for GuardScorer {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.0.seek(target)
    }

    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        let doc = self.0.doc();
        if target < doc {
            // Every document before `doc` was already passed over: none of them matches.
            return SeekDangerResult::SeekLowerBound(doc);
        }
        self.0.seek_danger(target)
    }

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }

    fn cost(&self) -> u64 {
        self.0.cost()
    }
}

impl Scorer for GuardScorer {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}
