//! The alias endpoints: `PUT|POST|DELETE /{target}/_alias/{name}`, `GET|HEAD
//! [/{target}]/_alias[/{name}]`, `POST /_aliases` and `GET /_cat/aliases[/{name}]`.

use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use serde_json::Value;

use super::error::Failure;
use super::handlers::{Reply, blocking, optional_object};
use super::params::Params;
use crate::Store;

type Outcome = Result<Reply, Failure>;

const WRITE: &[&str] = &["master_timeout", "timeout"];
const READ: &[&str] = &[
    "ignore_unavailable",
    "allow_no_indices",
    "expand_wildcards",
    "local",
    "master_timeout",
];

fn status(found: bool) -> StatusCode {
    if found {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    }
}

/// `PUT|POST /{target}/_alias/{names}`.
pub(crate) async fn put(
    store: Arc<Store>,
    target: String,
    names: String,
    path: &str,
    params: &Params,
    body: &Bytes,
) -> Outcome {
    params.check(path, WRITE)?;
    let body = optional_object(body)?;
    let v = blocking(move || store.put_alias(&target, &names, body.as_ref())).await?;
    Ok(Reply::json(StatusCode::OK, v))
}

/// `DELETE /{target}/_alias/{names}`.
pub(crate) async fn delete(
    store: Arc<Store>,
    target: String,
    names: String,
    path: &str,
    params: &Params,
) -> Outcome {
    params.check(path, WRITE)?;
    let v = blocking(move || store.delete_alias(&target, &names)).await?;
    Ok(Reply::json(StatusCode::OK, v))
}

/// `POST /_aliases`.
pub(crate) async fn update(
    store: Arc<Store>,
    path: &str,
    params: &Params,
    body: &Bytes,
) -> Outcome {
    params.check(path, WRITE)?;
    let Some(body) = optional_object(body)? else {
        return Err(super::error::body_required().into());
    };
    let v = blocking(move || store.update_aliases(&body)).await?;
    Ok(Reply::json(StatusCode::OK, v))
}

/// `GET|HEAD [/{target}]/_alias[/{names}]`.
pub(crate) async fn get(
    store: Arc<Store>,
    target: Option<String>,
    names: Option<String>,
    head: bool,
    path: &str,
    params: &Params,
) -> Outcome {
    params.check(path, READ)?;
    // ES 8 reads aliases of open, closed and hidden indices unless told otherwise
    let opts = super::handlers::index_options(
        params,
        crate::Resolve {
            ignore_unavailable: false,
            allow_no_indices: true,
            expand: crate::Expand::ALL,
            ignore_aliases: false,
        },
    )?;
    let (found, v) =
        blocking(move || store.get_aliases(target.as_deref(), names.as_deref(), opts)).await?;
    if head {
        let any = v.as_object().is_some_and(|o| {
            o.values()
                .any(|i| i["aliases"].as_object().is_some_and(|a| !a.is_empty()))
        });
        return Ok(Reply::empty(status(found && any)));
    }
    Ok(Reply::json(status(found), v))
}

/// `GET /_cat/aliases[/{names}]`: ES's columns (`alias index filter routing.index
/// routing.search is_write_index`).
pub(crate) async fn cat(
    store: Arc<Store>,
    names: Option<String>,
    path: &str,
    params: &Params,
) -> Outcome {
    params.check(
        path,
        &[
            "v",
            "format",
            "local",
            "expand_wildcards",
            "master_timeout",
            "help",
            "h",
            "s",
        ],
    )?;
    let opts =
        super::handlers::index_options(params, crate::Resolve::expanding(crate::Expand::ALL))?;
    let (_, v) = blocking(move || store.get_aliases(None, names.as_deref(), opts)).await?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (index, entry) in v.as_object().into_iter().flatten() {
        for (alias, def) in entry["aliases"].as_object().into_iter().flatten() {
            let write = def
                .get("is_write_index")
                .and_then(Value::as_bool)
                .map_or("-".to_owned(), |b| b.to_string());
            let filter = if def.get("filter").is_some() {
                "*"
            } else {
                "-"
            };
            let routing = |key: &str| {
                def.get(key)
                    .and_then(Value::as_str)
                    .map_or("-".to_owned(), str::to_owned)
            };
            rows.push(vec![
                alias.clone(),
                index.clone(),
                filter.into(),
                routing("index_routing"),
                routing("search_routing"),
                write,
            ]);
        }
    }
    rows.sort();
    Ok(super::cat::table(
        params,
        &[
            "alias",
            "index",
            "filter",
            "routing.index",
            "routing.search",
            "is_write_index",
        ],
        &[],
        &rows,
    )?)
}
