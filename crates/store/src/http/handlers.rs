//! One function per REST endpoint: checks the URL parameters, calls the engine (on the blocking
//! pool: the engine is synchronous) and shapes the reply.

use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use serde_json::{Value, json};

use super::error::{Failure, body_required, parse_json_object};
use super::params::Params;
use super::router::Route;
use super::server::State;
use super::{cat, search_api};
use crate::{DocOpts, DocRef, Error, Expand, OpType, Refresh, Resolve, SearchParams, Store};

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Body,
}

#[derive(Debug)]
pub(crate) enum Body {
    Empty,
    Json(Value),
    /// A `_bulk` response, written without building its JSON tree when no `filter_path` or
    /// `pretty` asks for the tree.
    Bulk(crate::BulkResponse),
    Text(String),
}

impl Reply {
    pub(crate) fn json(status: StatusCode, v: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Body::Json(v),
        }
    }

    pub(crate) fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    pub(crate) fn with_header(mut self, k: &str, v: String) -> Self {
        self.headers.push((k.to_owned(), v));
        self
    }
}

type Outcome = Result<Reply, Failure>;

/// Parameters of the write endpoints (`refresh` acts; the others are accepted and need no work
/// on a single node: there are no replicas to wait for, and requests are never queued long).
const WRITE: &[&str] = &["refresh", "timeout", "wait_for_active_shards", "routing"];
/// Optimistic concurrency control of single-document writes.
const CAS: &[&str] = &["if_seq_no", "if_primary_term", "version", "version_type"];
const SEARCH: &[&str] = &[
    "q",
    "df",
    "default_operator",
    "size",
    "from",
    "sort",
    "_source",
    "_source_includes",
    "_source_excludes",
    "track_total_hits",
    "rest_total_hits_as_int",
    "ignore_unavailable",
    "allow_no_indices",
    "timeout",
    "preference",
    "request_cache",
    "scroll",
    "typed_keys",
    "routing",
    "expand_wildcards",
    "seq_no_primary_term",
    "version",
    "stored_fields",
    "docvalue_fields",
    "lenient",
    "allow_partial_search_results",
    // how a coordinating node batches and pre-filters shard requests: checked, and with one
    // node's searches merged in process there is nothing for them to change
    "batched_reduce_size",
    "max_concurrent_shard_requests",
    "pre_filter_shard_size",
];
const COUNT: &[&str] = &[
    "q",
    "df",
    "default_operator",
    "lenient",
    "ignore_unavailable",
    "allow_no_indices",
    "preference",
    "routing",
    "expand_wildcards",
];

pub(crate) async fn dispatch(
    state: &State,
    route: Route,
    path: &str,
    params: &Params,
    body: Bytes,
) -> Outcome {
    let store = Arc::clone(&state.store);
    match route {
        Route::Info => {
            params.check(path, &[])?;
            Ok(Reply::json(StatusCode::OK, info(state)))
        }
        Route::ClusterHealth(target) => {
            params.check(
                path,
                &[
                    "timeout",
                    "master_timeout",
                    "wait_for_status",
                    "local",
                    "level",
                    "wait_for_no_relocating_shards",
                    "wait_for_no_initializing_shards",
                    "wait_for_active_shards",
                    "wait_for_events",
                    "wait_for_nodes",
                    "expand_wildcards",
                ],
            )?;
            let expand = match params.get("expand_wildcards") {
                None => Expand::ALL,
                Some(s) => Expand::parse(s)?,
            };
            // one node: `wait_for_nodes` (`N`, `>=N`, `<=N`, `>N`, `<N`) holds now or never
            let nodes_ok = match params.get("wait_for_nodes") {
                None => true,
                Some(w) => {
                    let (op, n) = ["<=", ">=", "<", ">", ""]
                        .iter()
                        .find_map(|op| w.strip_prefix(op).map(|n| (*op, n)))
                        .unwrap_or(("", w));
                    let n: u64 = n.trim().parse().map_err(|_| {
                        Error::illegal_argument(format!(
                            "cannot parse wait_for_nodes [{w}]: expected N, >=N, <=N, >N or <N"
                        ))
                    })?;
                    match op {
                        "<=" => 1 <= n,
                        ">=" => 1 >= n,
                        "<" => 1 < n,
                        ">" => 1 > n,
                        _ => n == 1,
                    }
                }
            };
            let wanted = match params.get("wait_for_status") {
                None => None,
                Some(w) => Some(health_rank(w).ok_or_else(|| {
                    Error::illegal_argument(format!("unknown cluster health status [{w}]"))
                })?),
            };
            let level = match params.get("level") {
                None | Some("cluster") => 0,
                Some("indices") => 1,
                Some("shards") => 2,
                Some(other) => {
                    return Err(Error::illegal_argument(format!(
                        "No enum constant org.elasticsearch.cluster.health.ClusterHealthRequest.Level.{}",
                        other.to_uppercase()
                    ))
                    .into());
                }
            };
            // `wait_for_active_shards`: a count of active shard copies, or `all` of them
            let active_wanted: Option<Option<u64>> = match params.get("wait_for_active_shards") {
                None | Some("0") => None,
                Some("all") => Some(None),
                Some(n) => Some(Some(n.parse::<u64>().map_err(|_| {
                    Error::illegal_argument(format!(
                        "failed to parse value [{n}] for wait_for_active_shards"
                    ))
                })?)),
            };
            let timeout = crate::search::pit::parse_time_value(
                params.get("timeout").unwrap_or("30s"),
                "timeout",
            )?;
            // As ES: wait (up to `timeout`) for missing indices to appear and for the status
            // asked for; a single node's status changes only when indices come and go.
            let deadline = std::time::Instant::now() + timeout;
            loop {
                let store = Arc::clone(&store);
                let target = target.clone();
                let (mut v, missing) =
                    blocking(move || Ok(store.cluster_health(target.as_deref(), level, expand)))
                        .await?;
                let current = v["status"].as_str().and_then(health_rank).unwrap_or(0);
                let active = v["active_shards"].as_u64().unwrap_or(0);
                let shards_short = match active_wanted {
                    None => false,
                    Some(Some(n)) => active < n,
                    Some(None) => v["unassigned_shards"].as_u64().unwrap_or(0) > 0,
                };
                let waiting =
                    missing || !nodes_ok || shards_short || wanted.is_some_and(|w| w > current);
                if !waiting {
                    return Ok(Reply::json(StatusCode::OK, v));
                }
                if std::time::Instant::now() >= deadline {
                    v["timed_out"] = Value::Bool(true);
                    return Ok(Reply::json(StatusCode::REQUEST_TIMEOUT, v));
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        Route::CatIndices(target) => {
            params.check(path, cat::PARAMS)?;
            let opts = cat::Options::from_params(params)?;
            let resolve = index_options(params, Resolve::expanding(Expand::OPEN_CLOSED))?;
            let rows = blocking(move || store.cat_indices(target.as_deref(), resolve)).await?;
            Ok(cat::render(&rows, &opts)?)
        }
        Route::ForceMerge(target) => {
            params.check(
                path,
                &[
                    "ignore_unavailable",
                    "allow_no_indices",
                    "expand_wildcards",
                    "max_num_segments",
                    "only_expunge_deletes",
                    "flush",
                    "wait_for_completion",
                ],
            )?;
            if !params.bool("wait_for_completion", true)? {
                return Err(Error::illegal_argument(
                    "[wait_for_completion=false] of _forcemerge is not supported by sluice-store (it answers when the merge is done)",
                )
                .into());
            }
            // a merge commits what it merges: `flush=false` changes nothing here
            params.bool("flush", true)?;
            let expunge = params.bool("only_expunge_deletes", false)?;
            let max = match params.get("max_num_segments") {
                None => None,
                Some(v) => match v.parse::<i64>() {
                    Ok(n) if n > 0 => Some(n as usize),
                    // ES: -1 is "not set"
                    Ok(-1) => None,
                    _ => {
                        return Err(Error::illegal_argument(format!(
                            "Failed to parse int parameter [max_num_segments] with value [{v}]"
                        ))
                        .caused_by(Error::es(
                            400,
                            "number_format_exception",
                            format!("For input string: \"{v}\""),
                        ))
                        .into());
                    }
                },
            };
            let target = target.unwrap_or_else(|| "_all".to_owned());
            let opts = index_options(params, Resolve::expanding(Expand::OPEN))?;
            let v = blocking(move || store.force_merge_with(&target, max, expunge, opts)).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::Refresh(target) => {
            params.check(
                path,
                &["ignore_unavailable", "allow_no_indices", "expand_wildcards"],
            )?;
            let target = target.unwrap_or_else(|| "_all".to_owned());
            let opts = index_options(params, Resolve::expanding(Expand::OPEN))?;
            let v = blocking(move || store.refresh_with(&target, opts)).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        // a flush commits each shard and trims its translog: the store's refresh is that commit
        Route::Flush(target) => {
            params.check(
                path,
                &[
                    "ignore_unavailable",
                    "allow_no_indices",
                    "expand_wildcards",
                    "force",
                    "wait_if_ongoing",
                ],
            )?;
            params.bool("force", false)?;
            params.bool("wait_if_ongoing", true)?;
            let target = target.unwrap_or_else(|| "_all".to_owned());
            let opts = index_options(params, Resolve::expanding(Expand::OPEN))?;
            let v = blocking(move || store.refresh_with(&target, opts)).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::Bulk(index) => {
            params.check(path, &[WRITE, &["require_alias"], SOURCE].concat())?;
            let require_alias = params.bool("require_alias", false)?;
            let refresh = refresh(params)?;
            let url_routing = routing(params);
            // the URL's `_source`: every update's source back, filtered, unless its line says
            let url_fetch = SOURCE
                .iter()
                .any(|k| params.get(k).is_some())
                .then(|| url_source_filter(params))
                .transpose()?;
            let r = blocking(move || {
                let mut ops = super::bulk::parse(body, index.as_deref(), require_alias)?;
                if url_routing.is_some() {
                    for op in ops.iter_mut().filter(|o| o.routing.is_none()) {
                        op.routing.clone_from(&url_routing);
                    }
                }
                if url_fetch.is_some() {
                    for op in ops.iter_mut().filter(|o| o.fetch_source.is_none()) {
                        op.fetch_source.clone_from(&url_fetch);
                    }
                }
                store.bulk(ops, refresh)
            })
            .await?;
            Ok(Reply {
                status: StatusCode::OK,
                headers: Vec::new(),
                body: Body::Bulk(r),
            })
        }
        Route::Search(target) => {
            params.check(path, SEARCH)?;
            for (name, min, java) in [
                ("batched_reduce_size", 2, "batchedReduceSize"),
                (
                    "max_concurrent_shard_requests",
                    1,
                    "maxConcurrentShardRequests",
                ),
                ("pre_filter_shard_size", 1, "preFilterShardSize"),
            ] {
                if let Some(v) = params.get(name) {
                    let n: i64 = v.parse().map_err(|_| {
                        Error::illegal_argument(format!(
                            "Failed to parse int parameter [{name}] with value [{v}]"
                        ))
                    })?;
                    if n < min {
                        return Err(
                            Error::illegal_argument(format!("{java} must be >= {min}")).into()
                        );
                    }
                }
            }
            let sp = search_params(params);
            let body = optional_object(&body)?;
            let names: Vec<&'static str> = SEARCH
                .iter()
                .copied()
                .filter(|k| params.get(k).is_some())
                .collect();
            let scroll = params.get("scroll").map(str::to_owned);
            let v = blocking(move || {
                store.search_request(
                    target.as_deref(),
                    body.as_ref(),
                    &sp,
                    &names,
                    scroll.as_deref(),
                )
            })
            .await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::Count(target) => {
            params.check(path, COUNT)?;
            let sp = search_params(params);
            let body = optional_object(&body)?;
            let target = target.unwrap_or_else(|| "_all".to_owned());
            let v = blocking(move || store.count(&target, body.as_ref(), &sp)).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::Mapping(target) => {
            params.check(
                path,
                &[
                    "ignore_unavailable",
                    "allow_no_indices",
                    "expand_wildcards",
                    "master_timeout",
                    "local",
                ],
            )?;
            let target = target.unwrap_or_else(|| "_all".to_owned());
            let opts = index_options(params, Resolve::expanding(Expand::OPEN))?;
            let v = blocking(move || store.get_mapping(&target, opts)).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::PutMapping(target) => {
            params.check(
                path,
                &[
                    "timeout",
                    "master_timeout",
                    "ignore_unavailable",
                    "allow_no_indices",
                    "expand_wildcards",
                ],
            )?;
            let Some(body) = optional_object(&body)? else {
                return Err(super::error::body_required().into());
            };
            let opts = index_options(params, updates_defaults())?;
            let v = blocking(move || store.put_mapping(&target, &body, opts)).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::CreateIndex(name) => {
            params.check(
                path,
                &["timeout", "master_timeout", "wait_for_active_shards"],
            )?;
            let body = optional_object(&body)?;
            let v = blocking(move || store.create_index(&name, body.as_ref())).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::IndexExists(target) => {
            params.check(
                path,
                &[
                    "ignore_unavailable",
                    "allow_no_indices",
                    "expand_wildcards",
                    "local",
                ],
            )?;
            let opts = index_options(
                params,
                Resolve {
                    allow_no_indices: false,
                    ..Resolve::expanding(Expand::OPEN)
                },
            )?;
            let found = blocking(move || Ok(store.exists_with(&target, opts))).await?;
            Ok(Reply::empty(if found {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            }))
        }
        Route::GetIndex(target) => {
            params.check(
                path,
                &[
                    "ignore_unavailable",
                    "allow_no_indices",
                    "expand_wildcards",
                    "master_timeout",
                    "local",
                ],
            )?;
            let opts = index_options(params, Resolve::expanding(Expand::OPEN))?;
            let human = params.bool("human", false)?;
            let v = blocking(move || store.get_index_human(&target, opts, human)).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::DeleteIndex(target) => {
            params.check(
                path,
                &[
                    "timeout",
                    "master_timeout",
                    "ignore_unavailable",
                    "allow_no_indices",
                    "expand_wildcards",
                ],
            )?;
            let opts = index_options(params, Resolve::expanding(Expand::OPEN_CLOSED))?;
            let v = blocking(move || store.delete_index(&target, opts)).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::IndexAutoId(index) => {
            params.check(path, &[WRITE, CAS, &["op_type", "require_alias"]].concat())?;
            // A generated id never exists yet: `create` (ES's default here, which data streams
            // require) and `index` behave the same.
            let op = op_type(params, OpType::Create)?;
            write_doc(store, index, None, op, params, body).await
        }
        Route::IndexDoc(index, id) => {
            params.check(path, &[WRITE, CAS, &["op_type", "require_alias"]].concat())?;
            let op = op_type(params, OpType::Index)?;
            write_doc(store, index, Some(id), op, params, body).await
        }
        Route::CreateDoc(index, id) => {
            params.check(path, &[WRITE, CAS, &["require_alias"]].concat())?;
            write_doc(store, index, Some(id), OpType::Create, params, body).await
        }
        Route::Update(index, id) => {
            params.check(
                path,
                &[
                    WRITE,
                    &[
                        "retry_on_conflict",
                        "_source",
                        "_source_includes",
                        "_source_excludes",
                        "if_seq_no",
                        "if_primary_term",
                        "require_alias",
                    ],
                ]
                .concat(),
            )?;
            update_doc(store, index, id, params, body).await
        }
        Route::Mget(index) => {
            params.check(path, &[GET, SOURCE, &["stored_fields"]].concat())?;
            let url_filter = url_source_filter(params)?;
            let realtime = params.bool("realtime", true)?;
            let docs = mget_docs(&body, index.as_deref())?;
            let filters: Vec<crate::search::SourceFilter> = docs
                .iter()
                .map(|d| d.filter.clone().unwrap_or_else(|| url_filter.clone()))
                .collect();
            // each doc's `stored_fields`, else the URL's; with them, the source comes back
            // only when named (or asked for with `_source`)
            let url_stored = params.get("stored_fields").map(list_param);
            let stored: Vec<Option<Vec<String>>> = docs
                .iter()
                .map(|d| d.stored.clone().or_else(|| url_stored.clone()))
                .collect();
            let source_asked: Vec<bool> = docs
                .iter()
                .zip(&stored)
                .map(|(d, names)| {
                    d.filter.is_some()
                        || params.get("_source").is_some()
                        || names
                            .as_ref()
                            .is_none_or(|n| n.iter().any(|n| n == "_source"))
                })
                .collect();
            let url_routing = routing(params);
            let docs: Vec<DocRef> = docs
                .into_iter()
                .map(|d| DocRef {
                    index: d.index,
                    id: d.id,
                    routing: d.routing.or_else(|| url_routing.clone()),
                })
                .collect();
            if params.get("refresh").is_some() && refresh(params)? != Refresh::False {
                let targets: Vec<String> = docs.iter().map(|d| d.index.clone()).collect();
                let store = Arc::clone(&store);
                blocking(move || {
                    for t in targets {
                        if store.exists(&t) {
                            store.refresh(&t)?;
                        }
                    }
                    Ok(())
                })
                .await?;
            }
            let v = blocking(move || {
                let found = store.mget(&docs, realtime);
                let out: Vec<Value> = docs
                    .iter()
                    .zip(found)
                    .zip(&filters)
                    .zip(stored.iter().zip(&source_asked))
                    .map(|(((d, r), filter), (names, asked))| match r {
                        Ok(mut v) => {
                            if let Some(names) = names
                                && let Some(src) = v.get("_source")
                            {
                                match store.stored_field_values(&d.index, names, src) {
                                    Ok(fields) if !fields.is_empty() => {
                                        v["fields"] = Value::Object(fields);
                                    }
                                    Ok(_) => {}
                                    Err(e) => {
                                        return json!({"_index": d.index, "_id": d.id, "error": e.to_item_error()});
                                    }
                                }
                            }
                            if !asked && let Some(o) = v.as_object_mut() {
                                o.remove("_source");
                            }
                            apply_source_filter(&mut v, filter);
                            v
                        }
                        Err(e) => {
                            json!({"_index": d.index, "_id": d.id, "error": e.to_item_error()})
                        }
                    })
                    .collect();
                Ok(json!({ "docs": out }))
            })
            .await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::GetSource(index, id) => {
            params.check(path, &[GET, SOURCE].concat())?;
            let filter = url_source_filter(params)?;
            let realtime = params.bool("realtime", true)?;
            let (refresh, _) = get_options(params, false)?;
            let (i2, id2) = (index.clone(), id.clone());
            let r = routing(params);
            let v = blocking(move || {
                if refresh {
                    store.refresh(&i2)?;
                }
                store.get_doc_as(&i2, &id2, r.as_deref(), realtime)
            })
            .await?;
            match v.get("_source") {
                Some(src) if v.get("found") == Some(&Value::Bool(true)) => Ok(Reply::json(
                    StatusCode::OK,
                    crate::search::filter_source(src.clone(), &filter),
                )),
                // found, with its source hidden by the mapping
                None if v.get("found") == Some(&Value::Bool(true)) => Err(Error::es(
                    404,
                    "resource_not_found_exception",
                    format!("Source not found [{index}]/[{id}]"),
                )
                .into()),
                _ => Err(Error::es(
                    404,
                    "resource_not_found_exception",
                    format!("Document not found [{index}]/[{id}]"),
                )
                .into()),
            }
        }
        Route::SourceExists(index, id) => {
            params.check(path, GET)?;
            let realtime = params.bool("realtime", true)?;
            let (refresh, _) = get_options(params, false)?;
            let r = routing(params);
            let v = blocking(move || {
                if refresh {
                    store.refresh(&index)?;
                }
                store.get_doc_as(&index, &id, r.as_deref(), realtime)
            })
            .await?;
            let found = v.get("found").and_then(Value::as_bool).unwrap_or(false);
            Ok(Reply::empty(if found {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            }))
        }
        Route::GetDoc(index, id) => {
            params.check(
                path,
                &[GET, GET_VERSION, SOURCE, &["stored_fields"]].concat(),
            )?;
            let filter = url_source_filter(params)?;
            let realtime = params.bool("realtime", true)?;
            let (refresh, version) = get_options(params, true)?;
            let id_shown = id.clone();
            let r = routing(params);
            let stored = params.get("stored_fields").map(list_param);
            // with `stored_fields`, the source comes back only when asked for
            let source_asked = params.get("_source").is_some()
                || stored
                    .as_ref()
                    .is_none_or(|names| names.iter().any(|n| n == "_source"));
            let mut v = blocking(move || {
                if refresh {
                    store.refresh(&index)?;
                }
                let mut v = store.get_doc_as(&index, &id, r.as_deref(), realtime)?;
                if let Some(names) = stored
                    && let Some(src) = v.get("_source")
                {
                    let fields = store.stored_field_values(&index, &names, src)?;
                    if !fields.is_empty() {
                        v["fields"] = Value::Object(fields);
                    }
                }
                Ok(v)
            })
            .await?;
            let found = v.get("found").and_then(Value::as_bool).unwrap_or(false);
            check_get_version(&v, &id_shown, version)?;
            if !source_asked && let Some(o) = v.as_object_mut() {
                o.remove("_source");
            }
            apply_source_filter(&mut v, &filter);
            let status = if found {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            Ok(Reply::json(status, v))
        }
        Route::DocExists(index, id) => {
            params.check(path, &[GET, GET_VERSION].concat())?;
            let realtime = params.bool("realtime", true)?;
            let (refresh, version) = get_options(params, true)?;
            let r = routing(params);
            let id_shown = id.clone();
            let v = blocking(move || {
                if refresh {
                    store.refresh(&index)?;
                }
                store.get_doc_as(&index, &id, r.as_deref(), realtime)
            })
            .await?;
            check_get_version(&v, &id_shown, version)?;
            let found = v.get("found").and_then(Value::as_bool).unwrap_or(false);
            Ok(Reply::empty(if found {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            }))
        }
        Route::DeleteDoc(index, id) => {
            params.check(path, &[WRITE, CAS].concat())?;
            let refresh = refresh(params)?;
            let opts = DocOpts {
                cond: cond(params, OpType::Delete, true)?,
                routing: routing(params),
            };
            let r = blocking(move || store.delete_doc_if(&index, &id, refresh, opts)).await?;
            let status = StatusCode::from_u16(r.status()).unwrap_or(StatusCode::OK);
            Ok(Reply::json(status, forced(r.to_json(), refresh)))
        }
        Route::OpenPit(target) => search_api::open_pit(store, target, path, params, &body).await,
        Route::ClosePit => search_api::close_pit(store, path, params, &body).await,
        Route::Scroll(id) => search_api::scroll(store, id, path, params, &body).await,
        Route::ClearScroll(id) => search_api::clear_scroll(store, id, path, params, &body).await,
        Route::FieldCaps(target) => {
            search_api::field_caps(store, target, path, params, &body).await
        }
        Route::Msearch(target) => search_api::msearch(store, target, path, params, body).await,
        Route::Templates(kind, name) => {
            params.check(
                path,
                &[
                    "local",
                    "flat_settings",
                    "master_timeout",
                    "include_defaults",
                ],
            )?;
            let v = blocking(move || store.templates().get(kind, name.as_deref())).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::PutTemplate(kind, name) => {
            params.check(path, &["create", "master_timeout", "timeout", "cause"])?;
            let create = params.bool("create", false).map_err(|_| {
                Error::illegal_argument("Failed to parse value for parameter [create]")
            })?;
            let body = Value::Object(parse_json_object(&body)?);
            let v = blocking(move || store.templates().put(kind, &name, &body, create)).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::TemplateExists(kind, name) => {
            params.check(path, &["local", "flat_settings", "master_timeout"])?;
            Ok(Reply::empty(if store.templates().exists(kind, &name) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            }))
        }
        Route::DeleteTemplate(kind, name) => {
            params.check(path, &["master_timeout", "timeout"])?;
            let v = blocking(move || store.templates().delete(kind, &name)).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::LegacyTemplate(method, name) => legacy_template(&method, name, path, params),
        Route::ClusterSettings(method) => {
            let flat = params.bool("flat_settings", false)?;
            if method == hyper::Method::PUT {
                params.check(path, &["flat_settings", "master_timeout", "timeout"])?;
                let Some(body) = optional_object(&body)? else {
                    return Err(super::error::body_required().into());
                };
                let v = blocking(move || store.cluster_settings().put(&body, flat)).await?;
                Ok(Reply::json(StatusCode::OK, v))
            } else {
                params.check(
                    path,
                    &[
                        "flat_settings",
                        "include_defaults",
                        "master_timeout",
                        "timeout",
                        "local",
                    ],
                )?;
                let defaults = params.bool("include_defaults", false)?;
                Ok(Reply::json(
                    StatusCode::OK,
                    store.cluster_settings().get(flat, defaults),
                ))
            }
        }
        Route::PutAlias(target, names) => {
            super::aliases::put(store, target, names, path, params, &body).await
        }
        Route::DeleteAlias(target, names) => {
            super::aliases::delete(store, target, names, path, params).await
        }
        Route::GetAlias(target, names, head) => {
            super::aliases::get(store, target, names, head, path, params).await
        }
        Route::ByQuery(kind, target) => by_query(store, kind, target, path, params, &body).await,
        Route::CatCount(target) => {
            params.check(
                path,
                &["v", "format", "local", "master_timeout", "h", "s", "help"],
            )?;
            let target = target.unwrap_or_else(|| "_all".to_owned());
            let v = blocking(move || store.count(&target, None, &SearchParams::default())).await?;
            let (epoch, time) = cat_now();
            let count = v["count"].as_u64().unwrap_or_default().to_string();
            Ok(cat::table(
                params,
                &["epoch", "timestamp", "count"],
                &["epoch", "count"],
                &[vec![epoch, time, count]],
            )?)
        }
        Route::CatHealth => {
            params.check(
                path,
                &[
                    "v",
                    "format",
                    "local",
                    "master_timeout",
                    "ts",
                    "h",
                    "s",
                    "help",
                ],
            )?;
            let (v, _) = blocking(move || Ok(store.cluster_health(None, 0, Expand::ALL))).await?;
            let (epoch, time) = cat_now();
            let n = |k: &str| v[k].as_u64().unwrap_or_default().to_string();
            let pct = v["active_shards_percent_as_number"]
                .as_f64()
                .unwrap_or(100.0);
            let row = vec![
                epoch,
                time,
                v["cluster_name"].as_str().unwrap_or_default().to_owned(),
                v["status"].as_str().unwrap_or_default().to_owned(),
                n("number_of_nodes"),
                n("number_of_data_nodes"),
                n("active_shards"),
                n("active_primary_shards"),
                n("relocating_shards"),
                n("initializing_shards"),
                n("unassigned_shards"),
                n("unassigned_primary_shards"),
                n("number_of_pending_tasks"),
                "-".to_owned(),
                format!("{pct:.1}%"),
            ];
            const COLUMNS: [&str; 15] = [
                "epoch",
                "timestamp",
                "cluster",
                "status",
                "node.total",
                "node.data",
                "shards",
                "pri",
                "relo",
                "init",
                "unassign",
                "unassign.pri",
                "pending_tasks",
                "max_task_wait_time",
                "active_shards_percent",
            ];
            let numeric: Vec<&str> = COLUMNS
                .into_iter()
                .filter(|c| !["timestamp", "cluster", "status"].contains(c))
                .collect();
            Ok(cat::table(params, &COLUMNS, &numeric, &[row])?)
        }
        Route::GetSettings(target, names) => {
            params.check(
                path,
                &[
                    "flat_settings",
                    "include_defaults",
                    "ignore_unavailable",
                    "allow_no_indices",
                    "expand_wildcards",
                    "local",
                    "master_timeout",
                ],
            )?;
            let defaults = params.bool("include_defaults", false)?;
            let flat = params.bool("flat_settings", false)?;
            let target = target.unwrap_or_else(|| "_all".to_owned());
            let opts = index_options(params, Resolve::expanding(Expand::OPEN))?;
            let v = blocking(move || {
                store.get_settings(&target, names.as_deref(), flat, defaults, opts)
            })
            .await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::PutSettings(target) => {
            params.check(
                path,
                &[
                    "preserve_existing",
                    "reopen",
                    "ignore_unavailable",
                    "allow_no_indices",
                    "expand_wildcards",
                    "master_timeout",
                    "timeout",
                    "flat_settings",
                ],
            )?;
            let preserve = params.bool("preserve_existing", false)?;
            let Some(body) = optional_object(&body)? else {
                return Err(super::error::body_required().into());
            };
            let target = target.unwrap_or_else(|| "_all".to_owned());
            let opts = index_options(params, updates_defaults())?;
            let v = blocking(move || store.put_settings(&target, &body, opts, preserve)).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::Stats(target, metrics) => {
            params.check(
                path,
                &[
                    "level",
                    "expand_wildcards",
                    "forbid_closed_indices",
                    "human",
                    "groups",
                    "fields",
                    "fielddata_fields",
                    "completion_fields",
                    "include_segment_file_sizes",
                    "include_unloaded_segments",
                ],
            )?;
            let opts = index_options(params, Resolve::expanding(Expand::OPEN))?;
            let list = |key: &str| -> Vec<String> {
                params
                    .get(key)
                    .into_iter()
                    .flat_map(|v| v.split(','))
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned)
                    .collect()
            };
            let fields = list("fields");
            let or_fields = |own: Vec<String>| if own.is_empty() { fields.clone() } else { own };
            params.bool("forbid_closed_indices", true)?;
            let req = crate::engine::stats::StatsRequest {
                metrics: crate::engine::stats::StatsRequest::parse_metrics(
                    path,
                    metrics.as_deref(),
                )?,
                level: crate::engine::stats::StatsRequest::parse_level(params.get("level"))?,
                groups: list("groups"),
                fielddata_fields: or_fields(list("fielddata_fields")),
                completion_fields: or_fields(list("completion_fields")),
                file_sizes: params.bool("include_segment_file_sizes", false)?,
                unloaded_segments: params.bool("include_unloaded_segments", false)?,
                node: super::nodes::node_id(&state.config),
            };
            let v = blocking(move || store.stats(target.as_deref(), &req, opts)).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::CatTemplates(name) => {
            params.check(
                path,
                &["v", "format", "local", "master_timeout", "h", "s", "help"],
            )?;
            let v = blocking(move || {
                store
                    .templates()
                    .get(crate::engine::templates::Kind::Index, None)
            })
            .await?;
            // ES shows lists as `[a, b]` and a missing version as null (`-` in text)
            let list = |v: &Value| -> String {
                let items: Vec<String> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                    .collect();
                format!("[{}]", items.join(", "))
            };
            let mut rows = Vec::new();
            for t in v["index_templates"].as_array().into_iter().flatten() {
                let n = t["name"].as_str().unwrap_or_default();
                if name.as_deref().is_some_and(|p| {
                    !p.split(',')
                        .any(|p| crate::engine::util::wildcard_match(p, n))
                }) {
                    continue;
                }
                let body = &t["index_template"];
                rows.push(vec![
                    n.to_owned(),
                    list(&body["index_patterns"]),
                    body["priority"].as_u64().unwrap_or(0).to_string(),
                    body["version"]
                        .as_u64()
                        .map_or_else(String::new, |v| v.to_string()),
                    list(&body["composed_of"]),
                ]);
            }
            Ok(cat::table(
                params,
                &["name", "index_patterns", "order", "version", "composed_of"],
                &["order", "version"],
                &rows,
            )?)
        }
        Route::CatShards(target) => {
            params.check(
                path,
                &[
                    "v",
                    "format",
                    "local",
                    "master_timeout",
                    "bytes",
                    "h",
                    "s",
                    "help",
                ],
            )?;
            if params.get("bytes").is_some_and(|b| b != "b") {
                return Err(Error::illegal_argument(
                    "_cat/shards takes bytes=b only in sluice-store (sizes are human-readable otherwise)",
                )
                .into());
            }
            let raw = params.get("bytes").is_some();
            let node = state.config.node_name.clone();
            let rows = blocking(move || store.shard_rows(target.as_deref())).await?;
            let mut table = Vec::new();
            for crate::engine::store::ShardRow {
                index,
                shard: n,
                docs,
                bytes,
                replicas,
            } in rows
            {
                let size = if raw {
                    bytes.to_string()
                } else {
                    cat::human_bytes(bytes)
                };
                table.push(vec![
                    index.clone(),
                    n.to_string(),
                    "p".into(),
                    "STARTED".into(),
                    docs.to_string(),
                    size.clone(),
                    size,
                    "127.0.0.1".into(),
                    node.clone(),
                ]);
                for _ in 0..replicas {
                    table.push(vec![
                        index.clone(),
                        n.to_string(),
                        "r".into(),
                        "UNASSIGNED".into(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                    ]);
                }
            }
            Ok(cat::table(
                params,
                &[
                    "index", "shard", "prirep", "state", "docs", "store", "dataset", "ip", "node",
                ],
                &["shard", "docs", "store", "dataset"],
                &table,
            )?)
        }
        Route::UpdateAliases => super::aliases::update(store, path, params, &body).await,
        Route::CatAliases(names) => super::aliases::cat(store, names, path, params).await,
        Route::DataStream(method, name) => {
            params.check(
                path,
                &[
                    "expand_wildcards",
                    "include_defaults",
                    "master_timeout",
                    "verbose",
                ],
            )?;
            let v = blocking(move || match (method, name) {
                (http::Method::PUT, Some(name)) => store.create_data_stream(&name),
                (http::Method::DELETE, Some(name)) => store.delete_data_streams(&name),
                (_, name) => store.get_data_streams(name.as_deref()),
            })
            .await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::IlmPolicy(method, name) => {
            params.check(path, &["master_timeout", "timeout"])?;
            let parsed = if method == http::Method::PUT {
                Some(Value::Object(parse_json_object(&body)?))
            } else {
                None
            };
            let v = blocking(move || match (method, name) {
                (http::Method::PUT, Some(name)) => {
                    store.put_ilm_policy(&name, &parsed.unwrap_or(Value::Null))
                }
                (http::Method::DELETE, Some(name)) => store.delete_ilm_policy(&name),
                (_, name) => store.get_ilm_policies(name.as_deref()),
            })
            .await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::IlmExplain(target) => {
            params.check(path, &["only_errors", "only_managed", "master_timeout"])?;
            let v = blocking(move || store.explain_ilm(&target)).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::IlmStatus => {
            params.check(path, &[])?;
            Ok(Reply::json(
                StatusCode::OK,
                serde_json::json!({"operation_mode": "RUNNING"}),
            ))
        }
        Route::Close(target) => {
            params.check(path, OPEN_CLOSE)?;
            let opts = index_options(params, Resolve::expanding(Expand::OPEN))?;
            let v = blocking(move || store.close_indices(&target, opts)).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::AddBlock(target, block) => {
            params.check(path, OPEN_CLOSE)?;
            let opts = index_options(params, Resolve::expanding(Expand::OPEN))?;
            let v = blocking(move || store.add_block(&target, &block, opts)).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::Open(target) => {
            params.check(path, OPEN_CLOSE)?;
            let opts = index_options(params, Resolve::expanding(Expand::CLOSED))?;
            let v = blocking(move || store.open_indices(&target, opts)).await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::Rollover(target, new_index) => {
            params.check(
                path,
                &[
                    "dry_run",
                    "lazy",
                    "master_timeout",
                    "timeout",
                    "wait_for_active_shards",
                ],
            )?;
            if params.bool("lazy", false)? {
                return Err(Error::illegal_argument(
                    "[lazy] rollover is not supported by sluice-store",
                )
                .into());
            }
            let dry_run = params.bool("dry_run", false)?;
            let body = optional_object(&body)?;
            let v = blocking(move || {
                store.rollover(&target, new_index.as_deref(), body.as_ref(), dry_run)
            })
            .await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::License => {
            params.check(path, &["local", "accept_enterprise"])?;
            Ok(Reply::json(StatusCode::OK, license(state)))
        }
        Route::NodesInfo(nodes, metrics) => {
            params.check(path, &["flat_settings", "timeout", "master_timeout"])?;
            let v = super::nodes::info(
                &state.config,
                state.local,
                nodes.as_deref(),
                metrics.as_deref(),
            )?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::NodesStats(nodes, metrics) => {
            params.check(
                path,
                &[
                    "level",
                    "timeout",
                    "include_segment_file_sizes",
                    "groups",
                    "fields",
                    "completion_fields",
                    "fielddata_fields",
                    "types",
                ],
            )?;
            let (config, local) = (state.config.clone(), state.local);
            let v = blocking(move || {
                super::nodes::stats(&config, &store, local, nodes.as_deref(), metrics.as_deref())
            })
            .await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
        Route::Xpack => {
            params.check(path, &["categories", "accept_enterprise"])?;
            Ok(Reply::json(StatusCode::OK, xpack(state)))
        }
        Route::Analyze(index) => {
            params.check(path, &["index"])?;
            let body = optional_object(&body)?.unwrap_or(Value::Null);
            let index = index.or_else(|| params.get("index").map(str::to_owned));
            let v = blocking(move || match index {
                Some(name) => {
                    let shard = store.shard(&name)?;
                    let meta = shard.meta();
                    let ix = crate::analysis::IndexContext {
                        text: shard.text_analysis(),
                        mapping: &meta.mapping,
                        max_token_count: meta
                            .settings
                            .get("analyze.max_token_count")
                            .and_then(|v| v.as_str()?.parse().ok())
                            .unwrap_or(crate::analysis::MAX_TOKEN_COUNT),
                    };
                    crate::analysis::analyze_request(&body, Some(ix))
                }
                None => crate::analysis::analyze_request(&body, None),
            })
            .await?;
            Ok(Reply::json(StatusCode::OK, v))
        }
    }
}

async fn write_doc(
    store: Arc<Store>,
    index: String,
    id: Option<String>,
    op: OpType,
    params: &Params,
    body: Bytes,
) -> Outcome {
    let refresh = refresh(params)?;
    let opts = DocOpts {
        cond: cond(params, op, id.is_some())?,
        routing: routing(params),
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(body_required().into());
    }
    if params.bool("require_alias", false)? {
        store.check_alias_required(&index)?;
    }
    let r = blocking(move || store.index_doc_if(&index, id.as_deref(), op, &body, refresh, opts))
        .await?;
    let status = StatusCode::from_u16(r.status()).unwrap_or(StatusCode::OK);
    let v = forced(r.to_json(), refresh);
    let mut reply = Reply::json(status, v.clone());
    if status == StatusCode::CREATED
        && let (Some(i), Some(d)) = (
            v.get("_index").and_then(Value::as_str),
            v.get("_id").and_then(Value::as_str),
        )
    {
        reply = reply.with_header("location", format!("/{i}/_doc/{d}"));
    }
    Ok(reply)
}

async fn update_doc(
    store: Arc<Store>,
    index: String,
    id: String,
    params: &Params,
    body: Bytes,
) -> Outcome {
    let refresh = refresh(params)?;
    if params.bool("require_alias", false)? {
        store.check_alias_required(&index)?;
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(body_required().into());
    }
    let retry = match params.get("retry_on_conflict") {
        None => 0,
        Some(t) => t.parse::<u32>().map_err(|_| {
            Error::illegal_argument(format!(
                "Failed to parse value [{t}] for parameter [retry_on_conflict]"
            ))
        })?,
    };
    let opts = DocOpts {
        cond: cond(params, OpType::Update, true)?,
        routing: routing(params),
    };
    // `_source` (a flag or fields) and `_source_includes`/`_source_excludes` ask for the
    // updated source back, filtered
    let filter = url_source_filter(params)?;
    let with_source = ["_source", "_source_includes", "_source_excludes"]
        .iter()
        .any(|k| params.get(k).is_some())
        && !matches!(filter, crate::search::SourceFilter::None);
    let u =
        blocking(move || store.update_doc_if(&index, &id, &body, retry, refresh, &opts)).await?;
    let status = StatusCode::from_u16(u.result.status()).unwrap_or(StatusCode::OK);
    let mut v = u.result.to_json();
    if u.result.result != crate::DocResult::Noop {
        v = forced(v, refresh);
    }
    if (with_source || u.return_source)
        && let Some(o) = v.as_object_mut()
    {
        o.insert(
            "get".into(),
            json!({"_seq_no": u.result.seq_no, "_primary_term": u.result.primary_term,
                "found": true, "_source": crate::search::filter_source(u.source, &filter)}),
        );
    }
    Ok(Reply::json(status, v))
}

/// `refresh=true` is answered with `forced_refresh: true`, as Elasticsearch does.
fn forced(mut v: Value, refresh: Refresh) -> Value {
    if refresh == Refresh::True
        && let Some(o) = v.as_object_mut()
    {
        o.insert("forced_refresh".into(), Value::Bool(true));
    }
    v
}

/// The optimistic-concurrency parameters of a write.
fn cond(params: &Params, op: OpType, has_id: bool) -> Result<crate::Cond, Error> {
    crate::Cond::from_params(
        op,
        has_id,
        params.get("if_seq_no"),
        params.get("if_primary_term"),
        params.get("version"),
        params.get("version_type"),
    )
}

/// The `(index, id)` pairs of an `_mget` body: `{"docs": [{"_index", "_id"}]}` or, with an
/// index in the path, `{"ids": [...]}`.
/// One document an `_mget` asks for, with its own `_source` filter if it gives one.
struct MgetDoc {
    index: String,
    id: String,
    routing: Option<String>,
    filter: Option<crate::search::SourceFilter>,
    /// `stored_fields` of this doc (a name or a list)
    stored: Option<Vec<String>>,
}

/// The `routing` parameter of a document request.
fn routing(params: &Params) -> Option<String> {
    params.get("routing").map(str::to_owned)
}

/// A comma-separated list parameter.
fn list_param(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The parameters of the document gets.
const GET: &[&str] = &["realtime", "preference", "routing", "refresh"];
/// The version check of `GET` and `HEAD /{index}/_doc/{id}`.
const GET_VERSION: &[&str] = &["version", "version_type"];

/// A get's `refresh` (refresh the index first) and, where `versioned`, its `version` check:
/// the expected version (any `version_type` compares it for equality on reads, as ES does).
fn get_options(params: &Params, versioned: bool) -> Result<(bool, Option<u64>), Error> {
    let refresh = match params.get("refresh") {
        None => false,
        Some("" | "true") => true,
        Some("false") => false,
        Some(other) => {
            return Err(Error::illegal_argument(format!(
                "Failed to parse value [{other}] as only [true] or [false] are allowed."
            )));
        }
    };
    if !versioned {
        return Ok((refresh, None));
    }
    if let Some(t) = params.get("version_type")
        && !matches!(t, "internal" | "external" | "external_gte")
    {
        return Err(Error::illegal_argument(format!(
            "No version type match [{t}]"
        )));
    }
    let version = params
        .get("version")
        .map(|v| {
            v.parse::<u64>().map_err(|_| {
                Error::illegal_argument(format!(
                    "Failed to parse long parameter [version] with value [{v}]"
                ))
            })
        })
        .transpose()?;
    Ok((refresh, version))
}

/// ES's conflict when a found document's version is not the one a get asked for.
fn check_get_version(v: &Value, id: &str, expected: Option<u64>) -> Result<(), Error> {
    let (Some(want), Some(have)) = (expected, v.get("_version").and_then(Value::as_u64)) else {
        return Ok(());
    };
    if want == have {
        return Ok(());
    }
    Err(Error::es(
        409,
        "version_conflict_engine_exception",
        format!("[{id}]: version conflict, current version [{have}] is different than the one provided [{want}]"),
    )
    .with("index", v.get("_index").cloned().unwrap_or(Value::Null)))
}
/// The source filtering parameters of the document gets.
const SOURCE: &[&str] = &["_source", "_source_includes", "_source_excludes"];

/// `_source` (`true`, `false` or fields), `_source_includes` and `_source_excludes` of a get's
/// URL, as a filter.
fn url_source_filter(params: &Params) -> Result<crate::search::SourceFilter, Error> {
    use crate::search::SourceFilter;
    let list = |s: &str| -> Vec<String> {
        s.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let includes = params.get("_source_includes").map(list);
    let excludes = params.get("_source_excludes").map(list);
    let fields = match params.get("_source") {
        Some("false") => return Ok(SourceFilter::None),
        None | Some("true") => None,
        Some(f) => Some(list(f)),
    };
    if fields.is_none() && includes.is_none() && excludes.is_none() {
        return Ok(SourceFilter::All);
    }
    Ok(SourceFilter::Paths {
        includes: fields.or(includes).unwrap_or_default(),
        excludes: excludes.unwrap_or_default(),
    })
}

/// A found document's `_source` filtered (removed when the filter takes none of it).
fn apply_source_filter(v: &mut Value, filter: &crate::search::SourceFilter) {
    if let Some(o) = v.as_object_mut()
        && let Some(src) = o.remove("_source")
    {
        if matches!(filter, crate::search::SourceFilter::None) {
            return;
        }
        o.insert("_source".into(), crate::search::filter_source(src, filter));
    }
}

fn mget_docs(body: &Bytes, default_index: Option<&str>) -> Result<Vec<MgetDoc>, Error> {
    let v = optional_object(body)?.unwrap_or(Value::Null);
    let mut problems = Vec::new();
    let mut out = Vec::new();
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    if let Value::Object(m) = &v {
        for (k, val) in m {
            match (k.as_str(), val) {
                ("docs", Value::Array(docs)) => {
                    for (n, d) in docs.iter().enumerate() {
                        let Value::Object(d) = d else {
                            return Err(Error::x_content(format!(
                                "[1:2] docs array element should include an object, doc {n}"
                            )));
                        };
                        for key in d.keys() {
                            if !matches!(
                                key.as_str(),
                                "_index" | "_id" | "_source" | "routing" | "stored_fields"
                            ) {
                                return Err(Error::x_content(format!(
                                    "[1:2] unknown key [{key}] for a doc of an _mget request"
                                )));
                            }
                        }
                        let index = d
                            .get("_index")
                            .and_then(text)
                            .or_else(|| default_index.map(str::to_owned));
                        let id = d.get("_id").and_then(text);
                        let filter = d
                            .get("_source")
                            .map(crate::search::parse_source_filter)
                            .transpose()?;
                        let routing = d.get("routing").and_then(text);
                        let stored = match d.get("stored_fields") {
                            None => None,
                            Some(Value::Array(a)) => Some(a.iter().filter_map(text).collect()),
                            Some(v) => Some(text(v).map(|s| list_param(&s)).unwrap_or_default()),
                        };
                        match (index, id) {
                            (Some(i), Some(id)) => out.push(MgetDoc {
                                index: i,
                                id,
                                routing,
                                filter,
                                stored,
                            }),
                            (None, _) => problems.push(format!("index is missing for doc {n}")),
                            (_, None) => problems.push(format!("id is missing for doc {n}")),
                        }
                    }
                }
                ("ids", Value::Array(ids)) => {
                    for (n, id) in ids.iter().enumerate() {
                        match (default_index, text(id)) {
                            (Some(i), Some(id)) => out.push(MgetDoc {
                                index: i.to_owned(),
                                id,
                                routing: None,
                                filter: None,
                                stored: None,
                            }),
                            (None, _) => problems.push(format!("index is missing for doc {n}")),
                            (_, None) => problems.push(format!("id is missing for doc {n}")),
                        }
                    }
                }
                (k @ ("docs" | "ids"), _) => {
                    return Err(Error::x_content(format!(
                        "[1:2] Unexpected token parsing [{k}] of an _mget request: expected an array"
                    )));
                }
                (k, _) => {
                    return Err(Error::x_content(format!(
                        "[1:2] unknown key [{k}] of an _mget request: expected [docs] or [ids]"
                    )));
                }
            }
        }
    }
    if out.is_empty() && problems.is_empty() {
        problems.push("no documents to get".to_owned());
    }
    if !problems.is_empty() {
        return Err(Error::validation(&problems));
    }
    Ok(out)
}

fn health_rank(s: &str) -> Option<u8> {
    match s {
        "red" => Some(0),
        "yellow" => Some(1),
        "green" => Some(2),
        _ => None,
    }
}

fn refresh(params: &Params) -> Result<Refresh, Error> {
    Refresh::parse(params.get("refresh").unwrap_or("false"))
}

fn op_type(params: &Params, default: OpType) -> Result<OpType, Error> {
    match params.get("op_type") {
        None => Ok(default),
        Some("index") => Ok(OpType::Index),
        Some("create") => Ok(OpType::Create),
        Some(other) => Err(Error::illegal_argument(format!(
            "opType must be 'create' or 'index', found: [{other}]"
        ))),
    }
}

/// A request's index options (`ignore_unavailable`, `allow_no_indices`, `expand_wildcards`)
/// over the API's defaults.
pub(super) fn index_options(params: &Params, defaults: Resolve) -> Result<Resolve, Error> {
    Ok(Resolve {
        ignore_unavailable: params.bool("ignore_unavailable", defaults.ignore_unavailable)?,
        allow_no_indices: params.bool("allow_no_indices", defaults.allow_no_indices)?,
        expand: match params.get("expand_wildcards") {
            None => defaults.expand,
            Some(s) => Expand::parse(s)?,
        },
        ignore_aliases: defaults.ignore_aliases,
    })
}

/// The index options' defaults of the APIs that change indices' mappings or settings: open
/// and closed indices, and a pattern must reach one.
fn updates_defaults() -> Resolve {
    Resolve {
        allow_no_indices: false,
        ..Resolve::expanding(Expand::OPEN_CLOSED)
    }
}

pub(super) fn search_params(p: &Params) -> SearchParams {
    let s = |k: &str| p.get(k).map(str::to_owned);
    SearchParams {
        q: s("q"),
        size: s("size"),
        from: s("from"),
        sort: s("sort"),
        source: s("_source"),
        source_includes: s("_source_includes"),
        source_excludes: s("_source_excludes"),
        track_total_hits: s("track_total_hits"),
        default_operator: s("default_operator"),
        df: s("df"),
        ignore_unavailable: s("ignore_unavailable"),
        allow_no_indices: s("allow_no_indices"),
        rest_total_hits_as_int: s("rest_total_hits_as_int"),
        typed_keys: s("typed_keys"),
        routing: s("routing"),
        expand_wildcards: s("expand_wildcards"),
        seq_no_primary_term: s("seq_no_primary_term"),
        version: s("version"),
        stored_fields: s("stored_fields"),
        docvalue_fields: s("docvalue_fields"),
        lenient: s("lenient"),
        allow_partial_search_results: s("allow_partial_search_results"),
        ..SearchParams::default()
    }
}

/// A JSON object body, or `None` for an empty body.
pub(super) fn optional_object(body: &Bytes) -> Result<Option<Value>, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    parse_json_object(body).map(|m| Some(Value::Object(m)))
}

/// Runs blocking engine work off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Failure> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(Failure::Es),
        Err(e) => {
            tracing::error!(error = %e, "engine task failed");
            Err(Failure::Es(Error::es(
                500,
                "exception",
                format!("internal error while handling the request: {e}"),
            )))
        }
    }
}

/// `GET /`: who we are, in the shape ES clients check.
/// The license uid: stable per cluster (derived from its uuid), as a real one is per license.
fn license_uid(state: &State) -> String {
    state.config.cluster_uuid.clone()
}

/// `GET /_license`: a basic license, as a cluster without a paid one reports (no expiry).
fn license(state: &State) -> Value {
    json!({"license": {
        "status": "active",
        "uid": license_uid(state),
        "type": "basic",
        "issue_date": "1970-01-01T00:00:00.000Z",
        "issue_date_in_millis": 0,
        "max_nodes": 1000,
        "max_resource_units": null,
        "issued_to": state.config.cluster_name,
        "issuer": "elasticsearch",
        "start_date_in_millis": -1,
    }})
}

/// `GET /_xpack`: the basic license and what sluice-store actually offers of each feature
/// (security is on when credentials are configured; the rest it does not implement).
fn xpack(state: &State) -> Value {
    let security = state.config.credentials.is_enabled();
    let off = json!({"available": false, "enabled": false});
    json!({
        "build": {"hash": "sluice", "date": "1970-01-01T00:00:00.000Z"},
        "license": {
            "uid": license_uid(state),
            "type": "basic",
            "mode": "basic",
            "status": "active",
        },
        "features": {
            "security": {"available": true, "enabled": security},
            "ilm": off,
            "slm": off,
            "monitoring": off,
            "watcher": off,
            "ml": off,
            "graph": off,
            "transform": off,
            "rollup": off,
            "data_streams": off,
            "enrich": off,
            "eql": off,
            "sql": off,
            "searchable_snapshots": off,
            "ccr": off,
        },
        "tagline": "You know, for X",
    })
}

fn info(state: &State) -> Value {
    let c = &state.config;
    json!({
        "name": c.node_name,
        "cluster_name": c.cluster_name,
        "cluster_uuid": c.cluster_uuid,
        "version": {
            "number": super::ES_VERSION,
            "distribution": "sluice",
            "build_flavor": "default",
            "build_type": "tar",
            "build_snapshot": false,
            "lucene_version": super::LUCENE_VERSION,
            "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0",
            "sluice_version": env!("CARGO_PKG_VERSION"),
        },
        "tagline": "You Know, for Search",
    })
}

/// The URL parameters of `_close` and `_open`.
const OPEN_CLOSE: &[&str] = &[
    "ignore_unavailable",
    "allow_no_indices",
    "expand_wildcards",
    "master_timeout",
    "timeout",
    "wait_for_active_shards",
];

/// The URL parameters of `_delete_by_query` / `_update_by_query`.
const BY_QUERY: &[&str] = &[
    "q",
    "df",
    "default_operator",
    "conflicts",
    "max_docs",
    "refresh",
    "scroll_size",
    "wait_for_completion",
    "slices",
    "requests_per_second",
    "timeout",
    "scroll",
    "search_timeout",
    "ignore_unavailable",
    "allow_no_indices",
    "expand_wildcards",
    "wait_for_active_shards",
];

async fn by_query(
    store: Arc<Store>,
    kind: crate::engine::by_query::ByQueryKind,
    target: String,
    path: &str,
    params: &Params,
    body: &Bytes,
) -> Result<Reply, Failure> {
    params.check(path, BY_QUERY)?;
    let unsupported = |what: &str| -> Failure {
        Error::illegal_argument(format!(
            "[{what}] is not supported by sluice-store's by-query APIs"
        ))
        .into()
    };
    if !params.bool("wait_for_completion", true)? {
        return Err(unsupported("wait_for_completion=false (a background task)"));
    }
    if params.get("slices").is_some_and(|s| s != "1") {
        return Err(unsupported("slices"));
    }
    if params
        .get("requests_per_second")
        .is_some_and(|r| r != "-1" && r != "-1.0")
    {
        return Err(unsupported("requests_per_second (throttling)"));
    }
    let mut opts = crate::engine::by_query::ByQueryOptions::default();
    match params.get("conflicts") {
        None | Some("abort") => {}
        Some("proceed") => opts.proceed = true,
        Some(other) => {
            return Err(Error::illegal_argument(format!(
                "conflicts may only be \"proceed\" or \"abort\" but was [{other}]"
            ))
            .into());
        }
    }
    let number = |name: &str| -> Result<Option<u64>, Error> {
        params
            .get(name)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    Error::illegal_argument(format!(
                        "Failed to parse int parameter [{name}] with value [{v}]"
                    ))
                })
            })
            .transpose()
    };
    opts.max_docs = number("max_docs")?;
    if let Some(n) = number("scroll_size")? {
        opts.batch = n.clamp(1, 10_000) as usize;
    }
    opts.refresh = params.bool("refresh", false)?;
    let sp = search_params(params);
    let body = optional_object(body)?;
    let (status, v) =
        blocking(move || store.by_query(kind, &target, body.as_ref(), &sp, opts)).await?;
    Ok(Reply::json(
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        v,
    ))
}

/// `_cat`'s `epoch` (seconds) and `timestamp` (`HH:MM:SS`, UTC) of now.
fn cat_now() -> (String, String) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let day = secs % 86_400;
    (
        secs.to_string(),
        format!("{:02}:{:02}:{:02}", day / 3600, (day / 60) % 60, day % 60),
    )
}

/// `/_template`: the store keeps no legacy index templates (Elasticsearch 8 deprecates them
/// for composable ones, which it keeps): reads and deletes answer as Elasticsearch does when
/// there are none, and creating one is refused by name.
fn legacy_template(
    method: &hyper::Method,
    name: Option<String>,
    path: &str,
    params: &Params,
) -> Outcome {
    let name = name.unwrap_or_default();
    let wildcard = name.is_empty() || name.split(',').any(|n| n.contains('*') || n == "_all");
    match *method {
        hyper::Method::PUT | hyper::Method::POST => {
            params.check(
                path,
                &["create", "order", "master_timeout", "timeout", "cause"],
            )?;
            Err(Error::illegal_argument(format!(
                "legacy index templates (/_template) are not supported by sluice-store: put [{name}] as a composable template (/_index_template/{name})"
            ))
            .into())
        }
        hyper::Method::DELETE => {
            params.check(path, &["master_timeout", "timeout"])?;
            if wildcard {
                Ok(Reply::json(StatusCode::OK, json!({"acknowledged": true})))
            } else {
                Err(Error::es(
                    404,
                    "index_template_missing_exception",
                    format!("index_template [{name}] missing"),
                )
                .into())
            }
        }
        hyper::Method::HEAD => {
            params.check(path, &["local", "flat_settings", "master_timeout"])?;
            Ok(Reply::empty(if name.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            }))
        }
        _ => {
            params.check(path, &["local", "flat_settings", "master_timeout"])?;
            let status = if name.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            Ok(Reply::json(status, json!({})))
        }
    }
}
