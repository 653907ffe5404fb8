//! `_delete_by_query` and `_update_by_query` (without scripts): the matching documents of one
//! moment, a batch at a time, deleted or rewritten with `if_seq_no` so that a document written
//! since that moment is a version conflict (counted, and with `conflicts=abort`, the default,
//! the end of the run), answered in Elasticsearch's `BulkByScrollResponse` shape.

use std::time::Instant;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::engine::shard::{Cond, OpType};
use crate::engine::store::{Refresh, WriteOp};
use crate::error::{Error, Result};
use crate::search::Target;
use crate::search::by_query::for_each_batch;
use crate::{SearchParams, Store};

/// Which by-query action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByQueryKind {
    /// `_delete_by_query`
    Delete,
    /// `_update_by_query` (each document rewritten as it is, picking up mapping changes)
    Update,
}

/// The URL options of a by-query request.
#[derive(Debug, Clone)]
pub struct ByQueryOptions {
    /// `conflicts=proceed` (else abort at the first conflict)
    pub proceed: bool,
    /// `max_docs`
    pub max_docs: Option<u64>,
    /// `scroll_size` (documents per batch, default 1000)
    pub batch: usize,
    /// `refresh=true`: refresh the indices acted on before answering
    pub refresh: bool,
}

impl Default for ByQueryOptions {
    fn default() -> Self {
        ByQueryOptions {
            proceed: false,
            max_docs: None,
            batch: 1000,
            refresh: false,
        }
    }
}

impl Store {
    /// `POST /{target}/_delete_by_query` or `_update_by_query`: `(status, body)`; the status is
    /// the worst failure's (409 for an aborting conflict), else 200.
    ///
    /// # Errors
    /// Index resolution, the body's and query's errors (before anything is written).
    pub fn by_query(
        &self,
        kind: ByQueryKind,
        target: &str,
        body: Option<&Value>,
        params: &SearchParams,
        mut opts: ByQueryOptions,
    ) -> Result<(u16, Value)> {
        let start = Instant::now();
        let looked_up = super::terms_lookup::rewrite(self, body)?;
        let body = looked_up.as_ref().or(body);
        let mut query = None;
        for (k, v) in body.and_then(Value::as_object).into_iter().flatten() {
            match k.as_str() {
                "query" => query = Some(v),
                "max_docs" => {
                    opts.max_docs = Some(v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
                        Error::validation(&[format!("maxDocs should be greater than 0, got {v}")])
                    })?);
                }
                "conflicts" => match v.as_str() {
                    Some("proceed") => opts.proceed = true,
                    Some("abort") => opts.proceed = false,
                    _ => {
                        return Err(Error::illegal_argument(format!(
                            "conflicts may only be \"proceed\" or \"abort\" but was [{}]",
                            v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                        )));
                    }
                },
                "script" if kind == ByQueryKind::Update => {
                    return Err(Error::illegal_argument(
                        "[script] in _update_by_query is not supported by sluice-store (no scripting): the documents can only be rewritten as they are",
                    ));
                }
                "slice" => {
                    return Err(Error::illegal_argument(
                        "[slice] is not supported by sluice-store's by-query APIs",
                    ));
                }
                other => {
                    return Err(Error::parsing(format!(
                        "Unknown key for a {} in [{other}].",
                        crate::search::token_name(v)
                    )));
                }
            }
        }
        let mut targets: Vec<Target> = self.filtered_targets(target, params.resolve_options()?)?;
        crate::search::keep_routed(&mut targets, params.routing.as_deref());
        // an update writes each document's source back: none to write where it is hidden
        if kind == ByQueryKind::Update
            && let Some(t) = targets.iter().find(|t| {
                !t.shard
                    .with_mapping(crate::mapping::Mapping::source_enabled)
            })
        {
            return Err(Error::es(
                400,
                "document_source_missing_exception",
                format!(
                    "[{}]: document source missing (its mapping has [_source.enabled] = false)",
                    t.shard.name
                ),
            ));
        }
        let mut touched: Vec<String> = Vec::new();
        let mut done = 0u64;
        let mut acted = 0u64;
        let mut conflicts = 0u64;
        let mut noops = 0u64;
        let mut batches = 0u64;
        let mut failures: Vec<Value> = Vec::new();
        let mut worst = 200u16;
        let batch = opts
            .max_docs
            .map_or(opts.batch, |m| opts.batch.min(m as usize));
        for_each_batch(
            &targets,
            query,
            params,
            batch,
            kind == ByQueryKind::Update,
            |mut docs| {
                if let Some(max) = opts.max_docs {
                    docs.truncate(max.saturating_sub(done) as usize);
                }
                if docs.is_empty() {
                    return Ok(false);
                }
                batches += 1;
                done += docs.len() as u64;
                let ops: Vec<WriteOp> = docs
                    .into_iter()
                    .map(|d| {
                        let (op, source) = match kind {
                            ByQueryKind::Delete => (OpType::Delete, None),
                            ByQueryKind::Update => (OpType::Index, d.source.map(Bytes::from)),
                        };
                        let mut w = WriteOp::new(op, d.index, Some(d.id), source);
                        w.routing = d.routing;
                        w.cond = Cond::SeqNo {
                            seq_no: d.seq_no,
                            primary_term: 1,
                        };
                        w
                    })
                    .collect();
                let resp = self.bulk(ops, Refresh::False)?;
                let mut abort = false;
                for item in resp.items {
                    if !touched.contains(&item.index) {
                        touched.push(item.index.clone());
                    }
                    match item.outcome {
                        Ok(r) if r.result == crate::DocResult::Noop => noops += 1,
                        Ok(_) => acted += 1,
                        Err(e) => {
                            let status = e.status();
                            if status == 409 {
                                conflicts += 1;
                                if opts.proceed {
                                    continue;
                                }
                            }
                            abort = true;
                            worst = worst.max(status);
                            failures.push(json!({
                                "index": item.index,
                                "id": item.id,
                                "cause": e.to_item_error(),
                                "status": status,
                            }));
                        }
                    }
                }
                Ok(!abort && opts.max_docs.is_none_or(|m| done < m))
            },
        )?;
        if opts.refresh {
            for index in &touched {
                self.refresh(index)?;
            }
        }
        let mut out = Map::new();
        out.insert(
            "took".into(),
            Value::from(start.elapsed().as_millis() as u64),
        );
        out.insert("timed_out".into(), Value::from(false));
        out.insert("total".into(), Value::from(done));
        match kind {
            ByQueryKind::Delete => {
                out.insert("deleted".into(), Value::from(acted));
            }
            ByQueryKind::Update => {
                out.insert("updated".into(), Value::from(acted));
                out.insert("deleted".into(), Value::from(0));
            }
        }
        out.insert("batches".into(), Value::from(batches));
        out.insert("version_conflicts".into(), Value::from(conflicts));
        out.insert("noops".into(), Value::from(noops));
        out.insert("retries".into(), json!({"bulk": 0, "search": 0}));
        out.insert("throttled_millis".into(), Value::from(0));
        out.insert("requests_per_second".into(), json!(-1.0));
        out.insert("throttled_until_millis".into(), Value::from(0));
        out.insert("failures".into(), Value::Array(failures));
        Ok((worst, Value::Object(out)))
    }
}
