//! The JSON API the browser uses (`/api/...`, described in `crates/ui/API.md`), over the
//! backend reached through `es-client`.

use bytes::Bytes;
use es_client::{Client, Request};
use http::Method;
use serde_json::{Map, Value, json};

use crate::discover::{self, SearchRequest};
use crate::error::{Error, Result};
use crate::fields;
use crate::saved::{ErrorContext, SavedObject, SavedObjects};

/// The pattern of the data view made on first start when its indices exist.
pub const DEFAULT_PATTERN: &str = "python-logs-*";

/// An answer: status, media type, body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: Bytes,
}

impl Reply {
    fn json(status: u16, v: &Value) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: Bytes::from(v.to_string()),
        }
    }

    fn error(e: &Error) -> Reply {
        Reply::json(e.status, &e.to_json())
    }
}

/// The API over one backend.
#[derive(Clone)]
pub struct Api {
    client: Client,
    saved: SavedObjects,
    errors: ErrorContext,
}

impl Api {
    /// The API over `client`; `errors` describes the backend in error messages.
    pub fn new(client: Client, errors: ErrorContext) -> Api {
        Api {
            saved: SavedObjects::new(client.clone(), errors.clone()),
            client,
            errors,
        }
    }

    /// The backend client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The saved objects.
    pub fn saved(&self) -> &SavedObjects {
        &self.saved
    }

    /// How backend errors are described.
    pub fn error_context(&self) -> &ErrorContext {
        &self.errors
    }

    /// Does what the first start does (the tutorial's data view and dashboard, once), for
    /// callers that do not go through `GET /api/data_views` (`sluice report --dashboard`).
    ///
    /// # Errors
    /// When the backend fails.
    pub async fn ensure_defaults(&self) -> Result<()> {
        self.data_views().await.map(|_| ())
    }

    /// Answers one `/api/...` request (`path` starts after `/api`).
    pub async fn handle(&self, method: &Method, path: &str, query: &str, body: &[u8]) -> Reply {
        match self.route(method, path, query, body).await {
            Ok((status, v)) => Reply::json(status, &v),
            Err(e) => {
                if e.status >= 500 {
                    tracing::warn!(%method, path, error = %e, "ui api request failed");
                }
                Reply::error(&e)
            }
        }
    }

    async fn route(
        &self,
        method: &Method,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> Result<(u16, Value)> {
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        let m = method.clone();
        match (m, segs.as_slice()) {
            (Method::GET, ["status"]) => Ok((200, self.status().await)),
            (Method::GET, ["data_views"]) => Ok((200, self.data_views().await?)),
            (Method::POST, ["data_views"]) => Ok((201, self.create_data_view(body).await?)),
            (Method::DELETE, ["data_views", id]) => {
                self.delete_data_view(id).await?;
                Ok((200, json!({"deleted": true})))
            }
            (Method::POST, ["data_views", id, "default"]) => {
                self.saved.get("index-pattern", id).await?;
                self.set_default(Some(id)).await?;
                Ok((200, json!({"default": id})))
            }
            (Method::GET, ["fields"]) => {
                let pattern = param(query, "pattern")
                    .ok_or_else(|| Error::bad_request("missing [pattern] parameter"))?;
                Ok((200, self.fields(&pattern).await?))
            }
            (Method::POST, ["search"]) => Ok((200, self.search(body).await?)),
            (Method::POST, ["vis", "data"]) => Ok((200, self.vis_data(body).await?)),
            (Method::POST, ["dashboards", "data"]) => {
                Ok((200, self.dashboard_data_inline(body).await?))
            }
            (Method::POST, ["dashboards", id, "data"]) => {
                Ok((200, self.dashboard_data_by_id(id, body).await?))
            }
            (Method::POST, ["count"]) => Ok((200, self.count(body).await?)),
            (Method::GET, ["saved_objects", "_export"]) => {
                // NDJSON is not JSON: answered by the server directly (see `export_reply`)
                Err(Error::bad_request("use GET /api/saved_objects/_export"))
            }
            (Method::POST, ["saved_objects", "_import"]) => {
                let text = std::str::from_utf8(body)
                    .map_err(|_| Error::bad_request("the NDJSON body is not UTF-8"))?;
                Ok((200, self.saved.import(text).await?.to_json()))
            }
            (Method::GET, ["saved_objects"]) => {
                let kind = param(query, "type");
                let list = self.saved.list(kind.as_deref()).await?;
                let objs: Vec<Value> = list.iter().map(SavedObject::to_json).collect();
                Ok((200, json!({"saved_objects": objs})))
            }
            (Method::GET, ["saved_objects", kind, id]) => {
                Ok((200, self.saved.get(kind, id).await?.to_json()))
            }
            (Method::POST, ["saved_objects", kind]) => {
                let v = parse_json(body)?;
                let attrs = attributes_of(&v)?;
                let id = v.get("id").and_then(Value::as_str);
                Ok((201, self.saved.create(kind, id, attrs).await?.to_json()))
            }
            (Method::PUT, ["saved_objects", kind, id]) => {
                let v = parse_json(body)?;
                let attrs = attributes_of(&v)?;
                self.saved.get(kind, id).await?;
                let obj = SavedObject {
                    id: (*id).to_owned(),
                    kind: (*kind).to_owned(),
                    attributes: attrs,
                    updated_at: String::new(),
                };
                Ok((200, self.saved.put(&obj).await?.to_json()))
            }
            (Method::DELETE, ["saved_objects", kind, id]) => {
                self.saved.delete(kind, id).await?;
                Ok((200, json!({"deleted": true})))
            }
            (m, _) => Err(Error::not_found(format!("no API at {m} /api{path}"))),
        }
    }

    /// `GET /api/saved_objects/_export` as NDJSON.
    pub async fn export_reply(&self) -> Reply {
        match self.saved.export().await {
            Ok(text) => Reply {
                status: 200,
                content_type: "application/x-ndjson",
                body: Bytes::from(text),
            },
            Err(e) => Reply::error(&e),
        }
    }

    /// The backend's state: reachable, version, distribution; never an error status.
    pub async fn status(&self) -> Value {
        let info = async {
            match self.client.send(Request::new(Method::GET, "/")).await {
                Ok(resp) => resp.json::<Value>(),
                // Elasticsearch without its `rest-root` module (the integration-test
                // distribution) has no `GET /`: the node info carries the same facts.
                Err(e) if e.status() == Some(405) => {
                    let resp = self
                        .client
                        .send(Request::new(
                            Method::GET,
                            "/_nodes/_local?filter_path=cluster_name,nodes.*.version",
                        ))
                        .await?;
                    let v = resp.json::<Value>()?;
                    let version = v["nodes"]
                        .as_object()
                        .and_then(|m| m.values().next())
                        .map(|n| n["version"].clone())
                        .unwrap_or(Value::Null);
                    Ok(json!({"cluster_name": v["cluster_name"], "version": {"number": version}}))
                }
                Err(e) => Err(e),
            }
        };
        match info.await {
            Ok(raw) => {
                json!({
                    "backend": {
                        "url": self.errors.backend,
                        "ok": true,
                        "version": raw["version"]["number"],
                        "distribution": raw["version"]["distribution"].as_str().unwrap_or("elasticsearch"),
                        "name": raw["cluster_name"],
                    },
                    "error": null
                })
            }
            Err(e) => json!({
                "backend": {"url": self.errors.backend, "ok": false},
                "error": self.errors.wrap(&e).to_json()["error"],
            }),
        }
    }

    async fn fields(&self, pattern: &str) -> Result<Value> {
        check_pattern(pattern)?;
        let req = Request::new(
            Method::GET,
            format!(
                "/{pattern}/_field_caps?fields=*&allow_no_indices=true&ignore_unavailable=true"
            ),
        );
        match self.client.send(req).await {
            Ok(resp) => {
                let v: Value = resp.json().map_err(|e| self.errors.wrap(&e))?;
                Ok(fields::from_field_caps(&v))
            }
            Err(e) if e.is_not_found() => Ok(json!({"fields": [], "indices": []})),
            Err(e) => Err(self.errors.wrap(&e)),
        }
    }

    /// The time field of the data under `pattern`: `@timestamp`, else `timestamp`, else the
    /// first date field; `None` when there is none (or nothing matches).
    ///
    /// # Errors
    /// When the backend fails.
    pub async fn time_field(&self, pattern: &str) -> Result<Option<String>> {
        let caps = self.fields(pattern).await?;
        Ok(fields::date_fields(&caps).into_iter().next())
    }

    /// True until the first data view was made (its `config` object is written with it).
    async fn first_start(&self) -> Result<bool> {
        match self.saved.get("config", "default").await {
            Ok(_) => Ok(false),
            Err(e) if e.status == 404 => Ok(true),
            Err(e) => Err(e),
        }
    }

    async fn default_id(&self) -> Result<Option<String>> {
        match self.saved.get("config", "default").await {
            Ok(c) => Ok(c
                .attributes
                .get("defaultIndex")
                .and_then(Value::as_str)
                .map(str::to_owned)),
            Err(e) if e.status == 404 => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn set_default(&self, id: Option<&str>) -> Result<()> {
        let mut attrs = Map::new();
        attrs.insert("defaultIndex".into(), id.map_or(Value::Null, Value::from));
        self.saved
            .put(&SavedObject {
                id: "default".into(),
                kind: "config".into(),
                attributes: attrs,
                updated_at: String::new(),
            })
            .await
            .map(|_| ())
    }

    /// Lists the data views. On first start (no `config` object yet, no data view) and once
    /// indices matching `python-logs-*` exist, creates that data view, as the tutorial's Kibana
    /// step does; a data view the user deleted later does not come back.
    async fn data_views(&self) -> Result<Value> {
        // Discover's first request: the list and the default are read at once
        let (list, default) =
            tokio::join!(self.saved.list(Some("index-pattern")), self.default_id());
        let (mut list, mut default) = (list?, default?);
        if list.is_empty()
            && self.first_start().await?
            && let Some(created) = self.create_default_view().await?
        {
            list.push(created);
            default = self.default_id().await?;
        }
        let views: Vec<Value> = list.iter().map(data_view_json).collect();
        Ok(json!({"data_views": views, "default": default}))
    }

    async fn create_default_view(&self) -> Result<Option<SavedObject>> {
        let caps = self.fields(DEFAULT_PATTERN).await?;
        if caps["indices"].as_array().is_none_or(Vec::is_empty) {
            return Ok(None);
        }
        let time = fields::date_fields(&caps)
            .into_iter()
            .find(|f| f == "@timestamp" || f == "timestamp");
        let mut attrs = Map::new();
        attrs.insert("title".into(), Value::from(DEFAULT_PATTERN));
        attrs.insert(
            "timeFieldName".into(),
            time.map_or(Value::Null, Value::from),
        );
        let obj = self
            .saved
            .create("index-pattern", Some("python-logs"), attrs)
            .await?;
        self.set_default(Some(&obj.id)).await?;
        tracing::info!(pattern = DEFAULT_PATTERN, "created the default data view");
        self.create_tutorial_dashboard(&obj.id).await;
        Ok(Some(obj))
    }

    /// The tutorial's charts and dashboard, made with the default data view (so once only). A
    /// failure is logged, not returned: the data view stands without them.
    async fn create_tutorial_dashboard(&self, data_view: &str) {
        let made = async {
            let mapping = self
                .client
                .get_mapping(DEFAULT_PATTERN)
                .await
                .map_err(|e| e.to_string())?;
            let fields =
                report::Fields::detect(DEFAULT_PATTERN, &mapping).map_err(|e| e.to_string())?;
            for obj in crate::visualize::tutorial_objects(data_view, &fields) {
                self.saved.put(&obj).await.map_err(|e| e.to_string())?;
            }
            Ok::<_, String>(())
        };
        match made.await {
            Ok(()) => tracing::info!("created the tutorial's dashboard [Python logs]"),
            Err(reason) => {
                tracing::warn!(%reason, "the tutorial's dashboard was not created");
            }
        }
    }

    async fn create_data_view(&self, body: &[u8]) -> Result<Value> {
        let v = parse_json(body)?;
        let o = v
            .as_object()
            .ok_or_else(|| Error::bad_request("the body must be a JSON object"))?;
        if let Some(k) = o
            .keys()
            .find(|k| !matches!(k.as_str(), "title" | "timeField" | "id"))
        {
            return Err(Error::bad_request(format!(
                "unknown member [{k}] of a data view"
            )));
        }
        let title = o
            .get("title")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::bad_request("a data view needs a [title] (an index pattern)"))?;
        check_pattern(title)?;
        let time_field = match o.get("timeField") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(other) => {
                return Err(Error::bad_request(format!(
                    "[timeField] must be a field name or null, not {other}"
                )));
            }
        };
        let caps = self.fields(title).await?;
        let matched = caps["indices"].as_array().is_some_and(|a| !a.is_empty());
        if let (true, Some(tf)) = (matched, &time_field) {
            let dates = fields::date_fields(&caps);
            if !dates.contains(tf) {
                return Err(Error::bad_request(format!(
                    "[{tf}] is not a date field of [{title}]; its date fields: [{}]",
                    dates.join(", ")
                )));
            }
        }
        let existing = self.saved.list(Some("index-pattern")).await?;
        if let Some(same) = existing
            .iter()
            .find(|o| o.attributes.get("title").and_then(Value::as_str) == Some(title))
        {
            return Err(Error::new(
                409,
                "conflict",
                format!(
                    "a data view for [{title}] exists already (id [{}])",
                    same.id
                ),
            )
            .with_hint("open that data view, or delete it first"));
        }
        let mut attrs = Map::new();
        attrs.insert("title".into(), Value::from(title));
        attrs.insert(
            "timeFieldName".into(),
            time_field.map_or(Value::Null, Value::from),
        );
        let id = o.get("id").and_then(Value::as_str);
        let obj = self.saved.create("index-pattern", id, attrs).await?;
        if self.default_id().await?.is_none() {
            self.set_default(Some(&obj.id)).await?;
        }
        let warning = (!matched).then(|| format!("no index matches [{title}] yet"));
        Ok(json!({"data_view": data_view_json(&obj), "warning": warning}))
    }

    async fn delete_data_view(&self, id: &str) -> Result<()> {
        self.saved.delete("index-pattern", id).await?;
        if self.default_id().await?.as_deref() == Some(id) {
            self.set_default(None).await?;
        }
        Ok(())
    }

    async fn search(&self, body: &[u8]) -> Result<Value> {
        let req = parse_request(body)?;
        let (path, es_body) = discover::search_body(&req)?;
        let resp = self.post(&path, &es_body).await?;
        Ok(discover::search_answer(&req, &resp))
    }

    async fn count(&self, body: &[u8]) -> Result<Value> {
        let req = parse_request(body)?;
        let (path, es_body) = discover::count_body(&req)?;
        let resp = self.post(&path, &es_body).await?;
        Ok(json!({"count": resp["count"]}))
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Value> {
        let req = Request::new(Method::POST, path)
            .json(body)
            .map_err(|e| self.errors.wrap(&e))?
            .idempotent(true);
        let resp = self
            .client
            .send(req)
            .await
            .map_err(|e| self.errors.wrap(&e))?;
        resp.json().map_err(|e| self.errors.wrap(&e))
    }
}

fn data_view_json(o: &SavedObject) -> Value {
    json!({
        "id": o.id,
        "title": o.attributes.get("title").cloned().unwrap_or(Value::Null),
        "timeField": o.attributes.get("timeFieldName").cloned().unwrap_or(Value::Null),
    })
}

fn parse_json(body: &[u8]) -> Result<Value> {
    serde_json::from_slice(body).map_err(|e| {
        Error::bad_request(format!(
            "invalid JSON body at line {} column {}: {e}",
            e.line(),
            e.column()
        ))
    })
}

fn parse_request(body: &[u8]) -> Result<SearchRequest> {
    serde_json::from_slice(body)
        .map_err(|e| Error::bad_request(format!("invalid search request: {e}")))
}

fn attributes_of(v: &Value) -> Result<Map<String, Value>> {
    v.get("attributes")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| Error::bad_request("the body needs an object [attributes]"))
}

/// An index pattern that can go into a request path unchanged.
fn check_pattern(p: &str) -> Result<()> {
    if p.is_empty()
        || p.chars().any(|c| {
            matches!(c, '/' | '?' | '#' | '%' | '\\' | '"' | '<' | '>' | '|')
                || c.is_whitespace()
                || c.is_control()
        })
    {
        return Err(Error::bad_request(format!(
            "invalid index pattern [{p}]: names, '*' and ',' only (no spaces, '/', '?', '#')"
        )));
    }
    Ok(())
}

/// The value of `key` in a URL query string (percent-decoded; `+` is a space).
pub fn param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k) == key).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_decoded() {
        assert_eq!(
            param("pattern=python-logs-*", "pattern").as_deref(),
            Some("python-logs-*")
        );
        assert_eq!(
            param("a=1&type=index-pattern", "type").as_deref(),
            Some("index-pattern")
        );
        assert_eq!(param("q=a%3Ab+c%2", "q").as_deref(), Some("a:b c%2"));
        assert_eq!(param("q=%zz", "q").as_deref(), Some("%zz"));
        assert_eq!(param("x=1", "q"), None);
    }

    #[test]
    fn patterns_that_would_change_the_path_are_refused() {
        assert!(check_pattern("python-logs-*,other").is_ok());
        for bad in ["", "a/b", "a?b", "a b", "a#", "a%2F"] {
            assert!(check_pattern(bad).is_err(), "{bad}");
        }
    }
}
