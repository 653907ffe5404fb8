//! The endpoints of search clients beyond `_search`: points in time (`_pit`), `_field_caps` and
//! `_msearch`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use http::StatusCode;
use serde_json::{Map, Value};

use super::error::{Failure, body_required, parse_json_object};
use super::handlers::{Reply, blocking, optional_object, search_params};
use super::msearch;
use super::params::Params;
use crate::search::field_caps::FieldCapsOptions;
use crate::{Error, Resolve, SearchParams, Store};

type Outcome = Result<Reply, Failure>;

/// The index options of a search-side request (wildcards expand to open indices).
fn resolve(params: &Params, allow_no_indices: bool) -> Result<Resolve, Error> {
    super::handlers::index_options(
        params,
        Resolve {
            allow_no_indices,
            ..Resolve::expanding(crate::Expand::OPEN)
        },
    )
}

/// `POST /{target}/_pit?keep_alive=1m`.
pub(crate) async fn open_pit(
    store: Arc<Store>,
    target: String,
    path: &str,
    params: &Params,
    body: &Bytes,
) -> Outcome {
    params.check(
        path,
        &[
            "keep_alive",
            "ignore_unavailable",
            "allow_no_indices",
            "expand_wildcards",
            "preference",
            "routing",
        ],
    )?;
    if let Some(Value::Object(o)) = optional_object(body)?
        && let Some(k) = o.keys().next()
    {
        return Err(match k.as_str() {
            "index_filter" => Error::illegal_argument(
                "[index_filter] of a point in time is not supported by sluice-store",
            ),
            other => Error::x_content(format!("[open_point_in_time] unknown field [{other}]")),
        }
        .into());
    }
    let opts = resolve(params, true)?;
    let keep_alive = params.get("keep_alive").map(str::to_owned);
    let routing = params.get("routing").map(str::to_owned);
    let v = blocking(move || {
        store.open_point_in_time(&target, keep_alive.as_deref(), routing.as_deref(), opts)
    })
    .await?;
    Ok(Reply::json(StatusCode::OK, v))
}

/// `DELETE /_pit` with `{"id": ..}`.
pub(crate) async fn close_pit(
    store: Arc<Store>,
    path: &str,
    params: &Params,
    body: &Bytes,
) -> Outcome {
    params.check(path, &[])?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(body_required().into());
    }
    let o = parse_json_object(body)?;
    let mut ids = Vec::new();
    for (k, v) in &o {
        match (k.as_str(), v) {
            ("id", Value::String(s)) => ids.push(s.clone()),
            ("id", other) => {
                return Err(Error::x_content(format!(
                    "[close_point_in_time] id doesn't support values of type: {}",
                    super::error::token_name(other)
                ))
                .into());
            }
            (other, _) => {
                return Err(Error::x_content(format!(
                    "[close_point_in_time] unknown field [{other}]"
                ))
                .into());
            }
        }
    }
    if ids.iter().all(String::is_empty) {
        return Err(Error::es(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: id is empty;",
        )
        .into());
    }
    let (found, v) = blocking(move || store.close_point_in_time(&ids)).await?;
    Ok(Reply::json(
        if found {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        },
        v,
    ))
}

/// ES's error for a field of a scroll or clear-scroll body it does not know (or of the wrong
/// type).
fn unknown_scroll_field(name: &str, v: &Value) -> Error {
    let token = match v {
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
        Value::String(_) => "VALUE_STRING",
        Value::Number(_) => "VALUE_NUMBER",
        Value::Bool(_) => "VALUE_BOOLEAN",
        Value::Null => "VALUE_NULL",
    };
    Error::illegal_argument(format!(
        "Unknown parameter [{name}] in request body or parameter is of the wrong type[{token}] "
    ))
}

/// `GET|POST /_search/scroll[/{scroll_id}]` with `{"scroll_id": .., "scroll": ..}` (the body
/// wins over the URL, as in ES).
pub(crate) async fn scroll(
    store: Arc<Store>,
    path_id: Option<String>,
    path: &str,
    params: &Params,
    body: &Bytes,
) -> Outcome {
    params.check(path, &["scroll", "scroll_id", "rest_total_hits_as_int"])?;
    let mut id = path_id.or_else(|| params.get("scroll_id").map(str::to_owned));
    let mut keep_alive = params.get("scroll").map(str::to_owned);
    if let Some(Value::Object(o)) = optional_object(body)? {
        for (k, v) in &o {
            match (k.as_str(), v) {
                ("scroll_id", Value::String(s)) => id = Some(s.clone()),
                ("scroll", Value::String(s)) => keep_alive = Some(s.clone()),
                (other, v) => return Err(unknown_scroll_field(other, v).into()),
            }
        }
    }
    let Some(id) = id.filter(|i| !i.is_empty()) else {
        return Err(Error::validation(&["scrollId is missing".to_owned()]).into());
    };
    let as_int = params.get("rest_total_hits_as_int").map(str::to_owned);
    let v = blocking(move || store.scroll(&id, keep_alive.as_deref(), as_int)).await?;
    Ok(Reply::json(StatusCode::OK, v))
}

/// `DELETE /_search/scroll[/{scroll_id,..|_all}]` with `{"scroll_id": id | [ids]}`.
pub(crate) async fn clear_scroll(
    store: Arc<Store>,
    path_ids: Option<String>,
    path: &str,
    params: &Params,
    body: &Bytes,
) -> Outcome {
    params.check(path, &["scroll_id"])?;
    let mut ids: Vec<String> = path_ids
        .or_else(|| params.get("scroll_id").map(str::to_owned))
        .map(|s| split(&s))
        .unwrap_or_default();
    if let Some(Value::Object(o)) = optional_object(body)? {
        for (k, v) in &o {
            match (k.as_str(), v) {
                ("scroll_id", Value::String(s)) => ids.push(s.clone()),
                ("scroll_id", Value::Array(a)) if a.iter().all(Value::is_string) => {
                    ids.extend(a.iter().filter_map(Value::as_str).map(str::to_owned));
                }
                (other, v) => return Err(unknown_scroll_field(other, v).into()),
            }
        }
    }
    if ids.is_empty() {
        return Err(Error::validation(&["no scroll ids specified".to_owned()]).into());
    }
    let all = ids.iter().any(|i| i == "_all");
    let (found, v) = blocking(move || store.clear_scroll((!all).then_some(ids.as_slice()))).await?;
    Ok(Reply::json(
        if found {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        },
        v,
    ))
}

fn split(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `GET|POST [/{target}]/_field_caps?fields=..`.
pub(crate) async fn field_caps(
    store: Arc<Store>,
    target: Option<String>,
    path: &str,
    params: &Params,
    body: &Bytes,
) -> Outcome {
    params.check(
        path,
        &[
            "fields",
            "include_unmapped",
            "ignore_unavailable",
            "allow_no_indices",
            "expand_wildcards",
            "filters",
            "types",
            "include_empty_fields",
        ],
    )?;
    if !params.bool("include_empty_fields", true)? {
        return Err(Error::illegal_argument(
            "[include_empty_fields=false] is not supported by sluice-store",
        )
        .into());
    }
    let mut opts = FieldCapsOptions {
        include_unmapped: params.bool("include_unmapped", false)?,
        filters: params.get("filters").map(split).unwrap_or_default(),
        types: params.get("types").map(split).unwrap_or_default(),
        resolve: resolve(params, true)?,
        ..FieldCapsOptions::default()
    };
    if let Some(Value::Object(o)) = optional_object(body)? {
        for (k, v) in &o {
            match k.as_str() {
                "fields" => {
                    opts.fields = match v {
                        Value::String(s) => split(s),
                        Value::Array(a) => a
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect(),
                        other => {
                            return Err(Error::x_content(format!(
                                "[field_caps_request] fields doesn't support values of type: {}",
                                super::error::token_name(other)
                            ))
                            .into());
                        }
                    };
                }
                "index_filter" | "runtime_mappings" => {
                    return Err(Error::illegal_argument(format!(
                        "[{k}] of _field_caps is not supported by sluice-store"
                    ))
                    .into());
                }
                other => {
                    return Err(Error::x_content(format!(
                        "[field_caps_request] unknown field [{other}]"
                    ))
                    .into());
                }
            }
        }
    }
    if let Some(f) = params.get("fields") {
        if !opts.fields.is_empty() {
            return Err(Error::illegal_argument(
                "can't specify a request body and [fields] request parameter, either specify a request body or the [fields] request parameter",
            )
            .into());
        }
        opts.fields = split(f);
    }
    let target = target.unwrap_or_else(|| "_all".to_owned());
    let v = blocking(move || store.field_caps(&target, &opts)).await?;
    Ok(Reply::json(StatusCode::OK, v))
}

/// Errors ES reports while reading an `_msearch` body (the whole request fails); any other
/// is one search's answer.
fn is_parse_error(e: &Error) -> bool {
    matches!(
        e.es_type(),
        "parsing_exception" | "x_content_parse_exception" | "parse_exception"
    )
}

/// Answers every search of an `_msearch`, in request order: at most `max_concurrent_searches`
/// (by default, and at most, one per core) at a time, each taking the next search when done.
/// Each running search splits its segments over its share of the cores, so that the searches
/// together use about as many threads as one search alone. A search that panics answers an
/// error of its own; the others are unaffected.
fn search_all(
    items: &[msearch::Item],
    max_concurrent: Option<usize>,
    one: impl Fn(&msearch::Item) -> Value + Sync,
) -> Vec<Value> {
    let guarded = |item: &msearch::Item| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| one(item)))
            .unwrap_or_else(|_| Error::es(500, "exception", "search thread panicked").to_es_body())
    };
    let cores = crate::search::search_threads();
    let workers = max_concurrent
        .unwrap_or(cores)
        .min(cores)
        .min(items.len())
        .max(1);
    if workers == 1 {
        return items.iter().map(guarded).collect();
    }
    let share = (cores / workers).max(1);
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Value)> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                sc.spawn(|| {
                    crate::search::with_threads(share, || {
                        let mut out = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(item) = items.get(i) else {
                                return out;
                            };
                            out.push((i, guarded(item)));
                        }
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, v)| v).collect()
}

/// `GET|POST [/{index}]/_msearch`.
pub(crate) async fn msearch(
    store: Arc<Store>,
    target: Option<String>,
    path: &str,
    params: &Params,
    body: Bytes,
) -> Outcome {
    params.check(
        path,
        &[
            "max_concurrent_searches",
            "max_concurrent_shard_requests",
            "pre_filter_shard_size",
            "rest_total_hits_as_int",
            "search_type",
            "ccs_minimize_roundtrips",
            "typed_keys",
            "ignore_unavailable",
            "allow_no_indices",
            "expand_wildcards",
        ],
    )?;
    for name in ["max_concurrent_searches", "max_concurrent_shard_requests"] {
        if let Some(v) = params.get(name)
            && v.parse::<u32>().map_or(true, |n| n == 0)
        {
            return Err(Error::illegal_argument(format!("{name} must be positive")).into());
        }
    }
    params.bool("typed_keys", false)?;
    let defaults = SearchParams {
        rest_total_hits_as_int: params.get("rest_total_hits_as_int").map(str::to_owned),
        ignore_unavailable: params.get("ignore_unavailable").map(str::to_owned),
        allow_no_indices: params.get("allow_no_indices").map(str::to_owned),
        expand_wildcards: params.get("expand_wildcards").map(str::to_owned),
        typed_keys: params.get("typed_keys").map(str::to_owned),
        ..search_params(&Params::default())
    };
    let concurrency = params
        .get("max_concurrent_searches")
        .and_then(|v| v.parse::<usize>().ok());
    let v = blocking(move || {
        let start = Instant::now();
        let items = msearch::parse(&body, target.as_deref())?;
        for item in &items {
            // a parse error, or a total asked as a number that cannot be exact, fails the
            // whole request (ES checks both before it searches)
            // (a body with a terms lookup is checked once its lookups are resolved)
            if crate::engine::terms_lookup::has_any(item.body.as_ref()) {
                continue;
            }
            if let Err(e) = crate::search::parse_only(item.body.as_ref(), &item.params(&defaults))
                && (is_parse_error(&e) || e.reason().starts_with("[rest_total_hits_as_int]"))
            {
                return Err(e);
            }
        }
        let responses = search_all(&items, concurrency, |item| {
            let names = item.option_names();
            match store.search_request(
                item.index.as_deref(),
                item.body.as_ref(),
                &item.params(&defaults),
                &names,
                None,
            ) {
                Ok(Value::Object(mut m)) => {
                    m.insert("status".into(), Value::from(200));
                    Value::Object(m)
                }
                Ok(other) => other,
                Err(e) => e.to_es_body(),
            }
        });
        let mut out = Map::new();
        out.insert(
            "took".into(),
            Value::from(start.elapsed().as_millis() as u64),
        );
        out.insert("responses".into(), Value::Array(responses));
        Ok(Value::Object(out))
    })
    .await?;
    Ok(Reply::json(StatusCode::OK, v))
}
