//! Elasticsearch's `boosting` query: the documents `positive` matches, scored as it scores
//! them, times `negative_boost` for those `negative` matches too (Lucene's
//! `FunctionScoreQuery.boostByQuery`).

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

/// `positive`, demoted by `factor` where `negative` matches.
#[derive(Debug)]
pub(super) struct Boosting {
    pub(super) positive: Box<dyn Query>,
    pub(super) negative: Box<dyn Query>,
    pub(super) factor: Score,
}

impl Clone for Boosting {
    fn clone(&self) -> Self {
        Self {
            positive: self.positive.box_clone(),
            negative: self.negative.box_clone(),
            factor: self.factor,
        }
    }
}

impl Query for Boosting {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        // the negative side only says which documents are demoted
        let unscored = match enable_scoring.searcher() {
            Some(s) => EnableScoring::disabled_from_searcher(s),
            None => EnableScoring::disabled_from_schema(enable_scoring.schema()),
        };
        Ok(Box::new(BoostingWeight {
            negative: self.negative.weight(unscored)?,
            positive: self.positive.weight(enable_scoring)?,
            factor: self.factor,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.positive.query_terms(visitor);
    }
}

struct BoostingWeight {
    positive: Box<dyn Weight>,
    negative: Box<dyn Weight>,
    factor: Score,
}

impl Weight for BoostingWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(BoostingScorer {
            positive: self.positive.scorer(reader, boost)?,
            negative: self.negative.scorer(reader, 1.0)?,
            factor: self.factor,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut e = self.positive.explain(reader, doc)?;
        let mut neg = self.negative.scorer(reader, 1.0)?;
        if neg.seek(doc) == doc {
            let mut outer = Explanation::new("boosting: negative match", e.value() * self.factor);
            e.add_const("negative_boost", self.factor);
            outer.add_detail(e);
            e = outer;
        }
        Ok(e)
    }
}

struct BoostingScorer {
    positive: Box<dyn Scorer>,
    negative: Box<dyn Scorer>,
    factor: Score,
}

impl DocSet for BoostingScorer {
    fn advance(&mut self) -> DocId {
        self.positive.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.positive.seek(target)
    }

    fn doc(&self) -> DocId {
        self.positive.doc()
    }

    fn size_hint(&self) -> u32 {
        self.positive.size_hint()
    }

    fn cost(&self) -> u64 {
        self.positive.cost()
    }
}

impl Scorer for BoostingScorer {
    fn score(&mut self) -> Score {
        let doc = self.positive.doc();
        let score = self.positive.score();
        // documents come in order: the negative side only ever moves forward
        let mut at = self.negative.doc();
        if at != TERMINATED && at < doc {
            at = self.negative.seek(doc);
        }
        if at == doc {
            score * self.factor
        } else {
            score
        }
    }
}
