//! Running many panels with one `_msearch` (and one more for Other buckets), each panel
//! answered with its table or its own error.

use bytes::Bytes;
use es_client::{Client, ContentType, Request};
use http::Method;
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::Error;
use crate::plan::{Search, VisPlan};
use crate::search::SearchPlan;
use crate::table::Table;

/// A panel ready to run.
#[derive(Debug, Clone)]
pub enum Plan {
    /// A visualization.
    Vis(Box<VisPlan>),
    /// A saved search.
    Search(Box<SearchPlan>),
}

/// One panel's failure, in the UI API's error shape.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct PanelError {
    /// HTTP-like status.
    pub status: u16,
    /// `bad_request`, `kql_syntax_error`, `not_found`, or the backend's error type.
    #[serde(rename = "type")]
    pub kind: String,
    /// What went wrong.
    pub reason: String,
    /// What to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl PanelError {
    /// An error with a status, kind and reason.
    pub fn new(status: u16, kind: &str, reason: impl Into<String>) -> PanelError {
        PanelError {
            status,
            kind: kind.to_owned(),
            reason: reason.into(),
            hint: None,
        }
    }

    /// From one `_msearch` item's error body.
    fn from_item(item: &Value) -> PanelError {
        let status = item["status"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or(500);
        let err = &item["error"];
        let mut cur = err;
        // the innermost cause reads best (`failed to parse ...`)
        for _ in 0..16 {
            match cur.get("caused_by") {
                Some(next) => cur = next,
                None => break,
            }
        }
        if std::ptr::eq(cur, err)
            && let Some(root) = err["root_cause"].get(0)
        {
            cur = root;
        }
        let kind = err["type"].as_str().unwrap_or("backend_error");
        let reason = cur["reason"]
            .as_str()
            .or_else(|| err["reason"].as_str())
            .unwrap_or("the backend refused this panel's search");
        let mut e = PanelError::new(status, kind, reason);
        if reason.contains("top_hits") {
            e.hint = Some(
                "this backend has no top_hits aggregation: use another metric than top hit".into(),
            );
        } else if reason.contains("time_zone") {
            e.hint =
                Some("this backend takes only UTC or a fixed offset (+01:00) as time zone".into());
        }
        e
    }
}

impl From<Error> for PanelError {
    fn from(e: Error) -> PanelError {
        match &e {
            Error::Invalid { .. } => PanelError::new(400, "bad_request", e.to_string()),
            Error::Kql(_) => {
                let mut p = PanelError::new(400, "kql_syntax_error", e.to_string());
                p.hint = Some("fix the query (KQL), or switch the query language to Lucene".into());
                p
            }
            Error::BadResponse(_) => PanelError::new(502, "backend_error", e.to_string()),
        }
    }
}

/// Each panel's table or error, in the order given.
pub type Answers = Vec<Result<Table, PanelError>>;

/// Sends `searches` as one `_msearch`; returns each item (an answer or an error body).
///
/// # Errors
/// When the request as a whole fails (backend unreachable, refused credentials).
pub async fn msearch(client: &Client, searches: &[Search]) -> Result<Vec<Value>, es_client::Error> {
    if searches.is_empty() {
        return Ok(Vec::new());
    }
    let mut body = Vec::new();
    for s in searches {
        serde_json::to_writer(&mut body, &json!({"index": s.index}))
            .map_err(|e| es_client::Error::Encode(e.to_string()))?;
        body.push(b'\n');
        serde_json::to_writer(&mut body, &s.body)
            .map_err(|e| es_client::Error::Encode(e.to_string()))?;
        body.push(b'\n');
    }
    let req = Request::new(Method::POST, "/_msearch")
        .body(Bytes::from(body), ContentType::Ndjson)
        .idempotent(true);
    let resp: Value = match client.send(req).await {
        Ok(r) => r.json()?,
        // a backend that refuses the whole request for one bad search (sluice-store does when a
        // body does not parse; Elasticsearch answers that item alone): ask one by one, so the
        // other panels still get their answers
        Err(e) if searches.len() > 1 && is_request_error(&e) => {
            tracing::debug!(error = %e, "the _msearch was refused as a whole; searching one by one");
            return one_by_one(client, searches).await;
        }
        Err(e) => return Err(e),
    };
    let items = resp["responses"].as_array().cloned().unwrap_or_default();
    if items.len() != searches.len() {
        return Err(es_client::Error::Encode(format!(
            "_msearch answered {} responses to {} searches",
            items.len(),
            searches.len()
        )));
    }
    Ok(items)
}

/// A 4xx that is about the request's content (not credentials).
fn is_request_error(e: &es_client::Error) -> bool {
    matches!(e, es_client::Error::Status { status, .. } if (400..500).contains(status) && *status != 401 && *status != 403)
}

/// Each search on its own, answered as `_msearch` items are (an answer, or `{error, status}`).
async fn one_by_one(client: &Client, searches: &[Search]) -> Result<Vec<Value>, es_client::Error> {
    let mut items = Vec::with_capacity(searches.len());
    for s in searches {
        let req = Request::new(Method::POST, format!("/{}/_search", s.index))
            .json(&s.body)?
            .idempotent(true);
        match client.send(req).await {
            Ok(r) => items.push(r.json()?),
            Err(es_client::Error::Status { status, body, .. })
                if status != 401 && status != 403 =>
            {
                let mut v: Value = serde_json::from_str(&body).unwrap_or_else(
                    |_| json!({"error": {"type": "backend_error", "reason": body}}),
                );
                v["status"] = Value::from(status);
                items.push(v);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(items)
}

fn item_result(item: &Value) -> Result<&Value, PanelError> {
    if item.get("error").is_some() {
        Err(PanelError::from_item(item))
    } else {
        Ok(item)
    }
}

/// Runs every panel: one `_msearch` for all of them, and one more for the Other buckets of
/// those that have any. A panel that could not be planned keeps its error.
///
/// # Errors
/// When an `_msearch` as a whole fails.
pub async fn run(
    client: &Client,
    plans: &[Result<Plan, PanelError>],
) -> Result<Answers, es_client::Error> {
    let mut searches = Vec::new();
    let mut at = Vec::new();
    let mut out: Vec<Option<Result<Table, PanelError>>> = vec![None; plans.len()];
    for (i, p) in plans.iter().enumerate() {
        let search = match p {
            Err(e) => {
                out[i] = Some(Err(e.clone()));
                continue;
            }
            Ok(Plan::Vis(v)) => v.search(),
            Ok(Plan::Search(s)) => Ok(s.search()),
        };
        match search {
            Ok(s) => {
                at.push(i);
                searches.push(s);
            }
            Err(e) => out[i] = Some(Err(e.into())),
        }
    }
    let items = msearch(client, &searches).await?;
    // phase two: Other buckets
    let mut partials = Vec::new();
    let mut second = Vec::new();
    for (item, &i) in items.iter().zip(&at) {
        let resp = match item_result(item) {
            Ok(r) => r,
            Err(e) => {
                out[i] = Some(Err(e));
                continue;
            }
        };
        match &plans[i] {
            Ok(Plan::Search(s)) => out[i] = Some(s.read(resp).map_err(PanelError::from)),
            Ok(Plan::Vis(v)) => match v.read(resp).and_then(|p| Ok((v.other_search(&p)?, p))) {
                Ok((Some(search), partial)) => {
                    partials.push((i, partial, Some(second.len())));
                    second.push(search);
                }
                Ok((None, partial)) => partials.push((i, partial, None)),
                Err(e) => out[i] = Some(Err(e.into())),
            },
            Err(_) => {}
        }
    }
    let others = msearch(client, &second).await?;
    for (i, partial, other) in partials {
        let Ok(Plan::Vis(v)) = &plans[i] else {
            continue;
        };
        let other = match other.map(|j| item_result(&others[j])).transpose() {
            Ok(o) => o,
            Err(e) => {
                out[i] = Some(Err(e));
                continue;
            }
        };
        out[i] = Some(v.finish(partial, other).map_err(PanelError::from));
    }
    Ok(out
        .into_iter()
        .map(|o| {
            o.unwrap_or_else(|| Err(PanelError::new(500, "internal", "the panel was not run")))
        })
        .collect())
}
