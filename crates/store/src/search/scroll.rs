//! Scrolling: `_search?scroll=1m` opens a context that keeps the searchers of that moment (as a
//! point in time does, in the same registry and under the same open-context limit) together with
//! the request and its position; `_search/scroll` returns the next page, `DELETE
//! /_search/scroll` frees it.
//!
//! The position is the sort keys of the last hit returned: every page is the request run again
//! over the kept searchers for the hits sorting after it, with `_shard_doc` appended as the
//! tie-breaker (so the order is total and no hit is skipped or repeated) and the aggregations
//! computed on the first page only, as Elasticsearch does. Scroll's default order is ES's: by
//! score, then index order.

use std::time::Instant;

use serde_json::Value;

use super::{
    Outcome, Request, SearchParams, SortKey, SortVal, Target, TrackTotal, counted_fetch,
    counted_query, execute, parse_request, respond, validation_failed,
};
use crate::error::Result;

/// A scroll's request and how far it has gone.
#[derive(Debug)]
pub(crate) struct ScrollCursor {
    body: Option<Value>,
    params: SearchParams,
    /// The sort keys of the last hit returned (`None` before the first page, or while every
    /// page so far was empty).
    after: Option<Vec<SortVal>>,
    /// Pages returned so far.
    pages: u64,
}

impl ScrollCursor {
    /// Checks a search that opens a scroll against ES's scroll-context rules and keeps it.
    ///
    /// # Errors
    /// The request's own parse and validation errors, then `action_request_validation_exception`
    /// with ES's scroll messages (`from`, `size: 0`, `search_after`, `track_total_hits` other
    /// than exact, a point in time, `request_cache`).
    pub(crate) fn open(
        body: Option<&Value>,
        params: &SearchParams,
        request_cache: bool,
    ) -> Result<Self> {
        let req = parse_request(body, params, false)?;
        let mut msgs = Vec::new();
        let total_given = params.track_total_hits.is_some()
            || body.is_some_and(|b| b.get("track_total_hits").is_some());
        if total_given && !matches!(req.track_total, TrackTotal::Exact) {
            msgs.push("disabling [track_total_hits] is not allowed in a scroll context".to_owned());
        }
        if req.from > 0 {
            msgs.push("using [from] is not allowed in a scroll context".to_owned());
        }
        if req.size == 0 {
            msgs.push("[size] cannot be [0] in a scroll context".to_owned());
        }
        if req.search_after.as_ref().is_some_and(|a| !a.is_empty()) {
            msgs.push("[search_after] cannot be used in a scroll context".to_owned());
        }
        if request_cache {
            msgs.push("[request_cache] cannot be used in a scroll context".to_owned());
        }
        if req.collapse.is_some() {
            msgs.push("cannot use `collapse` in a scroll context".to_owned());
        }
        if req.pit.is_some() {
            msgs.push("using [point in time] is not allowed in a scroll context".to_owned());
        }
        if !msgs.is_empty() {
            return Err(validation_failed(&msgs));
        }
        Ok(ScrollCursor {
            body: body.cloned(),
            params: params.clone(),
            after: None,
            pages: 0,
        })
    }

    /// The next page over `targets` (the context's searchers), answered as ES answers a scroll:
    /// `_scroll_id` first, the whole search's total on every page, aggregations on the first.
    /// `rest_total_hits_as_int` is the page request's own (`None` on the opening search keeps
    /// the search's).
    ///
    /// # Errors
    /// As `_search` (the request was checked when the scroll opened).
    pub(crate) fn page(
        &mut self,
        targets: &[Target],
        scroll_id: &str,
        total_as_int: Option<Option<String>>,
    ) -> Result<Value> {
        let start = Instant::now();
        if let Some(v) = total_as_int {
            self.params.rest_total_hits_as_int = v;
        }
        let mut req: Request = parse_request(self.body.as_ref(), &self.params, false)?;
        let shown = req.sort.len();
        if req.sort.is_empty() {
            req.sort.push(SortKey::Score(false));
        }
        if !matches!(req.sort.last(), Some(SortKey::ShardDoc(_))) {
            req.sort.push(SortKey::ShardDoc(true));
        }
        req.track_total = TrackTotal::Exact;
        if self.pages > 0 {
            req.aggs.clear();
            req.after_keys.clone_from(&self.after);
        }
        let out: Outcome = counted_query(targets, &req, start, execute(targets, &req, req.size))?;
        if let Some(last) = out.hits.last() {
            self.after = Some(last.keys.clone());
        }
        self.pages += 1;
        let fetched = Instant::now();
        let v = respond(
            targets,
            &req,
            &out,
            start,
            Some(("_scroll_id", scroll_id)),
            shown,
        );
        counted_fetch(targets, &req, &out, fetched);
        v
    }
}
