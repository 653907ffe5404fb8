//! Elasticsearch's `nested` query, as Lucene's block join: each object of a `nested` field is a
//! hidden document written just before the document holding it (`engine::shard::index_doc`),
//! marked with the object's path (`_fields` terms, [`crate::mapping::nested_marker`]). The inner
//! query runs over the nested documents of `path`; each match is joined to its parent, the next
//! document at the parent's level (the root documents, or the nested documents of the enclosing
//! `nested` object), and the parent scores the children's scores as `score_mode` says.

use serde_json::Value;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

use crate::error::{Error, Result};

/// How a parent scores its matching children (`score_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreMode {
    /// the mean (default)
    Avg,
    /// the highest
    Max,
    /// the lowest
    Min,
    /// the sum
    Sum,
    /// none: 0
    None,
}

impl ScoreMode {
    /// Parses ES's names.
    ///
    /// # Errors
    /// ES's error for another name.
    pub fn parse(s: &str) -> Result<ScoreMode> {
        Ok(match s {
            "avg" => ScoreMode::Avg,
            "max" => ScoreMode::Max,
            "min" => ScoreMode::Min,
            "sum" | "total" => ScoreMode::Sum,
            "none" => ScoreMode::None,
            other => {
                return Err(Error::illegal_argument(format!(
                    "No score mode for child query [{other}] found"
                )));
            }
        })
    }
}

/// The parsed `nested` query's parameters (its inner query is parsed by the caller).
pub(super) struct Parsed {
    pub(super) path: String,
    pub(super) query: Value,
    pub(super) score_mode: ScoreMode,
    pub(super) ignore_unmapped: bool,
    pub(super) boost: f32,
}

/// Reads a `nested` query's body.
///
/// # Errors
/// ES's errors for a missing `path` or `query`, an unknown key or score mode; `inner_hits` is
/// refused by name.
pub(super) fn parse(body: &Value) -> Result<Parsed> {
    let o = super::obj(body, "nested")?;
    let mut path = None;
    let mut query = None;
    let mut score_mode = ScoreMode::Avg;
    let mut ignore_unmapped = false;
    let mut boost = 1.0;
    for (k, v) in o {
        match k.as_str() {
            "path" => path = v.as_str().map(str::to_owned),
            "query" => query = Some(v.clone()),
            "score_mode" => {
                score_mode = ScoreMode::parse(v.as_str().unwrap_or_default())?;
            }
            "ignore_unmapped" => {
                ignore_unmapped = v.as_bool().ok_or_else(|| {
                    Error::parsing("[nested] failed to parse field [ignore_unmapped]")
                })?;
            }
            "boost" => boost = super::boost_of(v, "nested")?,
            "_name" => {}
            "inner_hits" => {
                return Err(Error::illegal_argument(
                    "[inner_hits] of the [nested] query is not supported by sluice-store",
                ));
            }
            other => {
                return Err(
                    Error::parsing(format!("[nested] query does not support [{other}]"))
                        .with("line", 1)
                        .with("col", 1),
                );
            }
        }
    }
    let path = path.ok_or_else(|| Error::illegal_argument("[nested] requires 'path' field"))?;
    let query = query.ok_or_else(|| Error::illegal_argument("[nested] requires 'query' field"))?;
    Ok(Parsed {
        path,
        query,
        score_mode,
        ignore_unmapped,
        boost,
    })
}

/// Which documents are the parents of the joined children.
#[derive(Debug, Clone)]
pub(crate) enum Level {
    /// The root documents: those without the nested marker.
    Root,
    /// The nested documents of this `nested` object path.
    Nested(String),
}

/// The documents of `level` in `reader`, as a bitset over its documents.
pub(crate) fn level_bits(
    reader: &SegmentReader,
    present: Field,
    level: &Level,
) -> tantivy::Result<Vec<u64>> {
    let n = reader.max_doc() as usize;
    let mut bits = vec![0u64; n.div_ceil(64)];
    let set = |bits: &mut Vec<u64>, term: &str, on: bool| -> tantivy::Result<()> {
        let inv = reader.inverted_index(present)?;
        let t = Term::from_field_text(present, term);
        if let Some(mut p) = inv.read_postings(&t, IndexRecordOption::Basic)? {
            let mut d = p.doc();
            while d != TERMINATED {
                let (w, b) = ((d / 64) as usize, d % 64);
                if on {
                    bits[w] |= 1 << b;
                } else {
                    bits[w] &= !(1 << b);
                }
                d = p.advance();
            }
        }
        Ok(())
    };
    match level {
        Level::Root => {
            for (i, w) in bits.iter_mut().enumerate() {
                let left = n.saturating_sub(i * 64);
                *w = if left >= 64 {
                    u64::MAX
                } else {
                    (1u64 << left) - 1
                };
            }
            set(&mut bits, crate::mapping::NESTED_MARKER, false)?;
        }
        Level::Nested(path) => set(&mut bits, &crate::mapping::nested_marker(path), true)?,
    }
    Ok(bits)
}

/// The first set bit at or after `from`.
pub(crate) fn next_set(bits: &[u64], from: DocId) -> Option<DocId> {
    let mut w = (from / 64) as usize;
    if w >= bits.len() {
        return None;
    }
    let mut word = bits[w] & (u64::MAX << (from % 64));
    loop {
        if word != 0 {
            return Some((w as u32) * 64 + word.trailing_zeros());
        }
        w += 1;
        if w >= bits.len() {
            return None;
        }
        word = bits[w];
    }
}

/// Children of `child` (a query already restricted to the nested documents of a path) joined to
/// their parents at `parent`.
#[derive(Debug)]
pub(super) struct NestedQuery {
    pub(super) child: Box<dyn Query>,
    /// The `nested` object path whose documents `child` is matched against.
    pub(super) children: String,
    pub(super) parent: Level,
    pub(super) present: Field,
    pub(super) score_mode: ScoreMode,
}

impl Clone for NestedQuery {
    fn clone(&self) -> Self {
        NestedQuery {
            child: self.child.box_clone(),
            children: self.children.clone(),
            parent: self.parent.clone(),
            present: self.present,
            score_mode: self.score_mode,
        }
    }
}

impl Query for NestedQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(NestedWeight {
            child: self.child.weight(enable_scoring)?,
            children: Level::Nested(self.children.clone()),
            parent: self.parent.clone(),
            present: self.present,
            score_mode: self.score_mode,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.child.query_terms(visitor);
    }
}

struct NestedWeight {
    child: Box<dyn Weight>,
    children: Level,
    parent: Level,
    present: Field,
    score_mode: ScoreMode,
}

impl NestedWeight {
    /// Every parent with matching children and its score, in document order.
    fn joined(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Vec<(DocId, Score)>> {
        let parents = level_bits(reader, self.present, &self.parent)?;
        let children = level_bits(reader, self.present, &self.children)?;
        let mut child = self.child.scorer(reader, boost)?;
        let mut out: Vec<(DocId, Score)> = Vec::new();
        let mut current: Option<(DocId, Score, u32)> = None;
        let mut doc = child.doc();
        while doc != TERMINATED {
            let is_child = children
                .get((doc / 64) as usize)
                .is_some_and(|w| w & (1 << (doc % 64)) != 0);
            if is_child && let Some(p) = next_set(&parents, doc) {
                let s = if self.score_mode == ScoreMode::None {
                    0.0
                } else {
                    child.score()
                };
                match &mut current {
                    Some((at, acc, n)) if *at == p => {
                        *acc = match self.score_mode {
                            ScoreMode::Max => acc.max(s),
                            ScoreMode::Min => acc.min(s),
                            ScoreMode::None => 0.0,
                            ScoreMode::Avg | ScoreMode::Sum => *acc + s,
                        };
                        *n += 1;
                    }
                    _ => {
                        if let Some(c) = current.take() {
                            out.push(self.finish(c));
                        }
                        current = Some((p, s, 1));
                    }
                }
            }
            doc = child.advance();
        }
        if let Some(c) = current {
            out.push(self.finish(c));
        }
        Ok(out)
    }

    fn finish(&self, (doc, acc, n): (DocId, Score, u32)) -> (DocId, Score) {
        match self.score_mode {
            ScoreMode::Avg => (doc, acc / n as Score),
            _ => (doc, acc),
        }
    }
}

impl Weight for NestedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(Joined {
            docs: self.joined(reader, boost)?,
            at: 0,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        match self.joined(reader, 1.0)?.iter().find(|(d, _)| *d == doc) {
            Some((_, s)) => Ok(Explanation::new(
                "Score based on the matching nested documents (score_mode)",
                *s,
            )),
            None => Err(tantivy::TantivyError::InvalidArgument(format!(
                "document #({doc}) does not match"
            ))),
        }
    }
}

/// The joined parents of one segment.
struct Joined {
    docs: Vec<(DocId, Score)>,
    at: usize,
}

impl DocSet for Joined {
    fn advance(&mut self) -> DocId {
        self.at += 1;
        self.doc()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        while self.doc() < target {
            self.at += 1;
        }
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.docs.get(self.at).map_or(TERMINATED, |d| d.0)
    }

    fn size_hint(&self) -> u32 {
        self.docs.len() as u32
    }
}

impl Scorer for Joined {
    fn score(&mut self) -> Score {
        self.docs.get(self.at).map_or(0.0, |d| d.1)
    }
}
