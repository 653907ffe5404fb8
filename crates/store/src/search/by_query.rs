//! The documents a `_delete_by_query` or `_update_by_query` acts on: the query run over the
//! searchers of one moment (as a scroll), in index order, a batch at a time, each document with
//! the `_seq_no` that moment saw (so that a write since then is a version conflict, as in
//! Elasticsearch).

use serde_json::{Value, json};
use tantivy::TantivyDocument;

use super::{Request, SearchParams, SortKey, Target, TrackTotal, execute, parse_request};
use crate::error::{Error, Result};

/// One matching document.
#[derive(Debug, Clone)]
pub(crate) struct Matched {
    pub(crate) index: String,
    pub(crate) id: String,
    pub(crate) seq_no: u64,
    /// `_source` (when asked for).
    pub(crate) source: Option<Vec<u8>>,
    /// The custom routing it was written with: its delete or rewrite goes to the same shard.
    pub(crate) routing: Option<String>,
}

/// Runs `query` (a query DSL object, or `None` for all) with the URL's `q`/`df`/... over
/// `targets`, calling `batch` with up to `size` documents at a time until it returns `false`
/// or no documents are left; returns how many matched in all.
///
/// # Errors
/// The query's parse errors; reading a stored document.
pub(crate) fn for_each_batch(
    targets: &[Target],
    query: Option<&Value>,
    params: &SearchParams,
    size: usize,
    with_source: bool,
    mut batch: impl FnMut(Vec<Matched>) -> Result<bool>,
) -> Result<u64> {
    let mut body = json!({"size": size.clamp(1, 10_000), "sort": ["_doc"]});
    if let Some(q) = query {
        body["query"] = q.clone();
    }
    let mut req: Request = parse_request(Some(&body), params, false)?;
    req.sort.push(SortKey::ShardDoc(true));
    req.track_total = TrackTotal::Exact;
    let mut total = None;
    loop {
        let out = execute(targets, &req, req.size)?;
        let total = *total.get_or_insert(out.total);
        let Some(last) = out.hits.last() else {
            return Ok(total);
        };
        req.after_keys = Some(last.keys.clone());
        req.aggs.clear();
        let mut docs = Vec::with_capacity(out.hits.len());
        for h in &out.hits {
            let target = &targets[h.shard];
            let shard = &target.shard;
            let doc: TantivyDocument = target
                .searcher
                .doc(h.addr)
                .map_err(|e| Error::tantivy(&shard.name, e))?;
            let id = doc
                .get_first(shard.fields.id)
                .and_then(|v| tantivy::schema::Value::as_str(&v).map(str::to_owned))
                .unwrap_or_default();
            // `_seq_no` is a column, not a stored field
            let seq_no = target
                .searcher
                .segment_reader(h.addr.segment_ord)
                .fast_fields()
                .u64("_seq_no")
                .map_err(|e| Error::tantivy(&shard.name, e))?
                .first(h.addr.doc_id)
                .unwrap_or_default();
            let source = if with_source {
                doc.get_first(shard.fields.source)
                    .and_then(|v| tantivy::schema::Value::as_bytes(&v).map(<[u8]>::to_vec))
            } else {
                None
            };
            let routing = crate::engine::shard::routing_of(
                target.searcher.segment_reader(h.addr.segment_ord),
                h.addr.doc_id,
            );
            docs.push(Matched {
                index: shard.name.clone(),
                id,
                seq_no,
                source,
                routing,
            });
        }
        if !batch(docs)? {
            return Ok(total);
        }
    }
}
