//! The client handle and its typed APIs.

use std::sync::Arc;

use bytes::Bytes;
use http::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::transport::{ContentType, Request, Response, Transport};

/// An Elasticsearch client. Cheap to clone; clones share connections and node state.
#[derive(Clone)]
pub struct Client {
    pub(crate) transport: Arc<Transport>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("nodes", &self.node_urls())
            .finish_non_exhaustive()
    }
}

/// Builds the `Error::Status` of a non-success response.
pub(crate) fn status_error(req: &Request, resp: &Response) -> Error {
    let (error_type, reason) = match serde_json::from_slice::<Value>(&resp.body) {
        Ok(v) => match v.get("error") {
            Some(Value::Object(e)) => (
                e.get("type").and_then(Value::as_str).map(str::to_owned),
                with_cause(e),
            ),
            Some(Value::String(s)) => (None, Some(s.clone())),
            _ => (None, None),
        },
        Err(_) => (None, None),
    };
    let mut body = String::from_utf8_lossy(&resp.body).into_owned();
    if body.len() > 4096 {
        let mut cut = 4096;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    }
    Error::Status {
        method: req.method.to_string(),
        path: req.path.clone(),
        status: resp.status,
        error_type,
        reason,
        body,
    }
}

/// ES `error.reason`, followed by the first shard failure's or root cause's type and reason when
/// the top-level reason says nothing of it (`search_phase_execution_exception` comes with `all
/// shards failed` or an empty reason, the cause being in `failed_shards` or `root_cause`).
fn with_cause(e: &serde_json::Map<String, Value>) -> Option<String> {
    let reason = e.get("reason").and_then(Value::as_str).unwrap_or("");
    let says_nothing = reason.is_empty() || reason == "all shards failed";
    let cause = e
        .get("failed_shards")
        .and_then(|f| f.get(0))
        .and_then(|f| f.get("reason"))
        .or_else(|| e.get("root_cause").and_then(|r| r.get(0)))
        .or_else(|| e.get("caused_by"))
        .filter(|c| says_nothing && c.get("reason").and_then(Value::as_str) != Some(reason));
    let cause = cause.map(|c| {
        let t = c.get("type").and_then(Value::as_str).unwrap_or("error");
        let r = c.get("reason").and_then(Value::as_str).unwrap_or("");
        format!("{t}: {r}")
    });
    match (reason.is_empty(), cause) {
        (true, None) => e.get("reason").and_then(Value::as_str).map(str::to_owned),
        (true, Some(c)) => Some(c),
        (false, None) => Some(reason.to_owned()),
        (false, Some(c)) => Some(format!("{reason}: {c}")),
    }
}

/// Percent-encodes one path segment (index names, ids).
pub(crate) fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'*' | b',' | b'~' | b'+')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode<T: serde::de::DeserializeOwned>(what: &str, resp: &Response) -> Result<T> {
    serde_json::from_slice(&resp.body).map_err(|e| Error::decode(what, e))
}

impl Client {
    /// Builds a client. No I/O happens until the first request.
    ///
    /// # Errors
    /// On an unusable node URL, credentials or TLS option.
    pub fn new(config: ClientConfig) -> Result<Client> {
        Ok(Client {
            transport: Arc::new(Transport::new(config)?),
        })
    }

    /// The configuration this client was built with.
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        &self.transport.config
    }

    /// The URLs of the nodes currently known (after sniffing, the discovered ones).
    #[must_use]
    pub fn node_urls(&self) -> Vec<String> {
        self.transport.nodes().iter().map(|n| n.url()).collect()
    }

    /// Replaces the node list with the cluster's HTTP publish addresses (`GET _nodes/http`).
    ///
    /// # Errors
    /// When the call fails or lists no usable node.
    pub async fn sniff(&self) -> Result<usize> {
        self.transport.sniff().await
    }

    /// Sends a request with retries and failover; any status comes back as `Ok`.
    ///
    /// # Errors
    /// Connection failures and timeouts after the retries are spent.
    pub async fn send_raw(&self, req: Request) -> Result<Response> {
        self.transport.send_raw(&req).await
    }

    /// Sends a request; a non-2xx status is an [`Error::Status`] carrying ES's error.
    ///
    /// # Errors
    /// As [`Client::send_raw`], plus any non-success status.
    pub async fn send(&self, req: Request) -> Result<Response> {
        let resp = self.transport.send_raw(&req).await?;
        if (200..300).contains(&resp.status) {
            Ok(resp)
        } else {
            Err(status_error(&req, &resp))
        }
    }

    /// `GET /`: the cluster's name and version.
    ///
    /// # Errors
    /// On any failure.
    pub async fn info(&self) -> Result<Info> {
        let resp = self.send(Request::new(Method::GET, "/")).await?;
        decode("GET /", &resp)
    }

    /// `GET _cluster/health[/index]`.
    ///
    /// # Errors
    /// On any failure.
    pub async fn cluster_health(&self, index: Option<&str>) -> Result<ClusterHealth> {
        let path = match index {
            Some(i) => format!("/_cluster/health/{}", seg(i)),
            None => "/_cluster/health".to_owned(),
        };
        let resp = self.send(Request::new(Method::GET, path)).await?;
        decode("cluster health", &resp)
    }

    /// `PUT /{index}` with `{"mappings":..,"settings":..}` (or `{}`).
    ///
    /// # Errors
    /// On any failure; an existing index gives `is_already_exists()`.
    pub async fn create_index(&self, index: &str, body: &Value) -> Result<()> {
        let req = Request::new(Method::PUT, format!("/{}", seg(index))).json(body)?;
        self.send(req).await.map(|_| ())
    }

    /// `HEAD /{index}`.
    ///
    /// # Errors
    /// On failures other than 404.
    pub async fn index_exists(&self, index: &str) -> Result<bool> {
        let req = Request::new(Method::HEAD, format!("/{}", seg(index)));
        let resp = self.send_raw(req.clone()).await?;
        match resp.status {
            200..=299 => Ok(true),
            404 => Ok(false),
            _ => Err(status_error(&req, &resp)),
        }
    }

    /// `DELETE /{index}`.
    ///
    /// # Errors
    /// On any failure (404 gives `is_not_found()`).
    pub async fn delete_index(&self, index: &str) -> Result<()> {
        let req = Request::new(Method::DELETE, format!("/{}", seg(index)));
        self.send(req).await.map(|_| ())
    }

    /// `GET /{index}/_mapping`, raw.
    ///
    /// # Errors
    /// On any failure.
    pub async fn get_mapping(&self, index: &str) -> Result<Value> {
        let resp = self
            .send(Request::new(
                Method::GET,
                format!("/{}/_mapping", seg(index)),
            ))
            .await?;
        decode("get mapping", &resp)
    }

    /// `POST /{index}/_refresh`.
    ///
    /// # Errors
    /// On any failure.
    pub async fn refresh(&self, index: &str) -> Result<()> {
        let req = Request::new(Method::POST, format!("/{}/_refresh", seg(index))).idempotent(true);
        self.send(req).await.map(|_| ())
    }

    /// `PUT /_index_template/{name}`.
    ///
    /// # Errors
    /// On any failure.
    pub async fn put_index_template(&self, name: &str, body: &Value) -> Result<()> {
        let req =
            Request::new(Method::PUT, format!("/_index_template/{}", seg(name))).json(body)?;
        self.send(req).await.map(|_| ())
    }

    /// `POST /{index}/_doc` or `PUT /{index}/_doc/{id}` with a raw JSON object source.
    ///
    /// # Errors
    /// On any failure. Without an id, a timeout is not re-sent (it may have been applied).
    pub async fn index_document(
        &self,
        index: &str,
        id: Option<&str>,
        source: &[u8],
    ) -> Result<WriteResponse> {
        let req = match id {
            Some(id) => Request::new(Method::PUT, format!("/{}/_doc/{}", seg(index), seg(id))),
            None => Request::new(Method::POST, format!("/{}/_doc", seg(index))),
        }
        .body(Bytes::copy_from_slice(source), ContentType::Json);
        let resp = self.send(req).await?;
        let mut w: WriteResponse = decode("index document", &resp)?;
        w.status = resp.status;
        Ok(w)
    }

    /// `PUT /{index}/_create/{id}`: fails with 409 (`is_conflict()`) when the id exists.
    ///
    /// # Errors
    /// On any failure.
    pub async fn create_document(
        &self,
        index: &str,
        id: &str,
        source: &[u8],
    ) -> Result<WriteResponse> {
        let req = Request::new(Method::PUT, format!("/{}/_create/{}", seg(index), seg(id)))
            .body(Bytes::copy_from_slice(source), ContentType::Json);
        let resp = self.send(req).await?;
        let mut w: WriteResponse = decode("create document", &resp)?;
        w.status = resp.status;
        Ok(w)
    }

    /// `GET /{index}/_doc/{id}`.
    ///
    /// # Errors
    /// On any failure; a missing document gives `is_not_found()`.
    pub async fn get_document(&self, index: &str, id: &str) -> Result<Document> {
        let req = Request::new(Method::GET, format!("/{}/_doc/{}", seg(index), seg(id)));
        let resp = self.send_raw(req.clone()).await?;
        if resp.status == 404 {
            // ES answers a missing doc with {"found":false} and no `error` object.
            let mut e = status_error(&req, &resp);
            if let Error::Status {
                error_type, reason, ..
            } = &mut e
                && error_type.is_none()
            {
                *reason = Some(format!("document [{id}] not found in [{index}]"));
            }
            return Err(e);
        }
        if !(200..300).contains(&resp.status) {
            return Err(status_error(&req, &resp));
        }
        decode("get document", &resp)
    }

    /// `DELETE /{index}/_doc/{id}`.
    ///
    /// # Errors
    /// On any failure; a missing document gives `is_not_found()`.
    pub async fn delete_document(&self, index: &str, id: &str) -> Result<WriteResponse> {
        let req = Request::new(Method::DELETE, format!("/{}/_doc/{}", seg(index), seg(id)));
        let resp = self.send(req).await?;
        let mut w: WriteResponse = decode("delete document", &resp)?;
        w.status = resp.status;
        Ok(w)
    }

    /// `POST /{index}/_count` with an optional query (`{"match_all":{}}` when none).
    ///
    /// # Errors
    /// On any failure.
    pub async fn count(&self, index: &str, query: Option<&Value>) -> Result<u64> {
        let mut req =
            Request::new(Method::POST, format!("/{}/_count", seg(index))).idempotent(true);
        if let Some(q) = query {
            req = req.json(&serde_json::json!({ "query": q }))?;
        }
        let resp = self.send(req).await?;
        #[derive(Deserialize)]
        struct Count {
            count: u64,
        }
        decode::<Count>("count", &resp).map(|c| c.count)
    }

    /// `POST /{index}/_search` with a full search body.
    ///
    /// # Errors
    /// On any failure.
    pub async fn search(&self, index: &str, body: &Value) -> Result<SearchResponse> {
        let req = Request::new(Method::POST, format!("/{}/_search", seg(index)))
            .idempotent(true)
            .json(body)?;
        let resp = self.send(req).await?;
        decode("search", &resp)
    }

    /// `GET _cat/indices[/pattern]?format=json&bytes=b`.
    ///
    /// # Errors
    /// On any failure.
    pub async fn cat_indices(&self, pattern: Option<&str>) -> Result<Vec<CatIndex>> {
        let path = match pattern {
            Some(p) => format!("/_cat/indices/{}?format=json&bytes=b", seg(p)),
            None => "/_cat/indices?format=json&bytes=b".to_owned(),
        };
        let resp = self.send(Request::new(Method::GET, path)).await?;
        decode("cat indices", &resp)
    }
}

/// `GET /`.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct Info {
    /// Node name.
    #[serde(default)]
    pub name: String,
    /// Cluster name.
    #[serde(default)]
    pub cluster_name: String,
    /// Cluster UUID.
    #[serde(default)]
    pub cluster_uuid: String,
    /// Version.
    pub version: Version,
    /// "You Know, for Search".
    #[serde(default)]
    pub tagline: String,
}

/// The `version` object of `GET /`.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct Version {
    /// `8.7.0`.
    pub number: String,
    /// `opensearch` for OpenSearch; absent on Elasticsearch.
    #[serde(default)]
    pub distribution: Option<String>,
}

/// `GET _cluster/health`.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct ClusterHealth {
    /// Cluster name.
    #[serde(default)]
    pub cluster_name: String,
    /// green, yellow or red.
    pub status: String,
    /// Nodes.
    #[serde(default)]
    pub number_of_nodes: u64,
    /// Active shards.
    #[serde(default)]
    pub active_shards: u64,
    /// Unassigned shards.
    #[serde(default)]
    pub unassigned_shards: u64,
}

/// The answer to a document write (index, create, delete).
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct WriteResponse {
    /// `_index`.
    #[serde(rename = "_index")]
    pub index: String,
    /// `_id`.
    #[serde(rename = "_id")]
    pub id: String,
    /// `_version`.
    #[serde(rename = "_version", default)]
    pub version: u64,
    /// `created`, `updated`, `deleted`, `noop`.
    #[serde(default)]
    pub result: String,
    /// HTTP status (201 created, 200 updated).
    #[serde(skip)]
    pub status: u16,
}

/// `GET /{index}/_doc/{id}`.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct Document {
    /// `_index`.
    #[serde(rename = "_index")]
    pub index: String,
    /// `_id`.
    #[serde(rename = "_id")]
    pub id: String,
    /// `_version`.
    #[serde(rename = "_version", default)]
    pub version: u64,
    /// `_source`.
    #[serde(rename = "_source", default)]
    pub source: Value,
}

/// `_search` response.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct SearchResponse {
    /// Milliseconds.
    #[serde(default)]
    pub took: u64,
    /// Whether the search timed out.
    #[serde(default)]
    pub timed_out: bool,
    /// The hits.
    pub hits: Hits,
    /// Aggregations (empty when none asked).
    #[serde(default)]
    pub aggregations: Aggregations,
}

/// `hits`.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct Hits {
    /// `hits.total`: `{"value":N,"relation":"eq"}` (ES 7+) or a bare number (older, or
    /// `rest_total_hits_as_int`); absent with `track_total_hits: false`.
    #[serde(default, deserialize_with = "total")]
    pub total: Option<Total>,
    /// Best score.
    #[serde(default)]
    pub max_score: Option<f64>,
    /// The hits.
    #[serde(default)]
    pub hits: Vec<Hit>,
}

/// `hits.total`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Total {
    /// Count.
    pub value: u64,
    /// `eq` or `gte`.
    pub relation: String,
}

fn total<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Total>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(u64),
        Obj {
            value: u64,
            #[serde(default)]
            relation: Option<String>,
        },
    }
    Ok(Option::<Raw>::deserialize(d)?.map(|r| match r {
        Raw::Int(value) => Total {
            value,
            relation: "eq".to_owned(),
        },
        Raw::Obj { value, relation } => Total {
            value,
            relation: relation.unwrap_or_else(|| "eq".to_owned()),
        },
    }))
}

/// One hit.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct Hit {
    /// `_index`.
    #[serde(rename = "_index")]
    pub index: String,
    /// `_id`.
    #[serde(rename = "_id")]
    pub id: String,
    /// `_score` (null when sorted).
    #[serde(rename = "_score", default)]
    pub score: Option<f64>,
    /// `_source`.
    #[serde(rename = "_source", default)]
    pub source: Value,
    /// Sort values.
    #[serde(default)]
    pub sort: Vec<Value>,
}

/// The `aggregations` object: raw JSON plus typed readers.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Aggregations(pub Map<String, Value>);

/// A bucket of a `terms` or `date_histogram` aggregation.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Bucket {
    /// The key (a string for keyword terms, epoch millis for date histograms).
    pub key: Value,
    /// `key_as_string` (dates, booleans).
    pub key_as_string: Option<String>,
    /// Documents in the bucket.
    pub doc_count: u64,
    /// Sub-aggregations.
    pub sub: Aggregations,
}

/// A `stats` aggregation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Stats {
    /// Values counted.
    pub count: u64,
    /// Minimum (none when count is 0).
    pub min: Option<f64>,
    /// Maximum.
    pub max: Option<f64>,
    /// Average.
    pub avg: Option<f64>,
    /// Sum.
    #[serde(default)]
    pub sum: f64,
}

impl Aggregations {
    /// The raw JSON.
    #[must_use]
    pub fn raw(&self) -> &Map<String, Value> {
        &self.0
    }

    fn named(&self, name: &str) -> Result<&Value> {
        self.0
            .get(name)
            .ok_or_else(|| Error::decode("aggregations", format!("no aggregation named `{name}`")))
    }

    fn buckets(&self, name: &str) -> Result<Vec<Bucket>> {
        let agg = self.named(name)?;
        let list = agg
            .get("buckets")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                Error::decode(
                    "aggregations",
                    format!("aggregation `{name}` has no `buckets` array"),
                )
            })?;
        list.iter()
            .map(|b| {
                let obj = b.as_object().ok_or_else(|| {
                    Error::decode(
                        "aggregations",
                        format!("a bucket of `{name}` is not an object"),
                    )
                })?;
                let mut sub = Map::new();
                for (k, v) in obj {
                    if !matches!(k.as_str(), "key" | "key_as_string" | "doc_count") && v.is_object()
                    {
                        sub.insert(k.clone(), v.clone());
                    }
                }
                Ok(Bucket {
                    key: obj.get("key").cloned().unwrap_or(Value::Null),
                    key_as_string: obj
                        .get("key_as_string")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    doc_count: obj.get("doc_count").and_then(Value::as_u64).unwrap_or(0),
                    sub: Aggregations(sub),
                })
            })
            .collect()
    }

    /// Buckets of a `terms` aggregation.
    ///
    /// # Errors
    /// When `name` is missing or has no buckets.
    pub fn terms(&self, name: &str) -> Result<Vec<Bucket>> {
        self.buckets(name)
    }

    /// Buckets of a `date_histogram` aggregation (`key` = epoch millis).
    ///
    /// # Errors
    /// When `name` is missing or has no buckets.
    pub fn date_histogram(&self, name: &str) -> Result<Vec<Bucket>> {
        self.buckets(name)
    }

    /// The value of an `avg` (or any single-value metric) aggregation; `None` for no values.
    ///
    /// # Errors
    /// When `name` is missing or has no `value`.
    pub fn avg(&self, name: &str) -> Result<Option<f64>> {
        let agg = self.named(name)?;
        match agg.get("value") {
            Some(Value::Null) => Ok(None),
            Some(v) => v.as_f64().map(Some).ok_or_else(|| {
                Error::decode("aggregations", format!("`{name}.value` is not a number"))
            }),
            None => Err(Error::decode(
                "aggregations",
                format!("aggregation `{name}` has no `value`"),
            )),
        }
    }

    /// A `stats` aggregation.
    ///
    /// # Errors
    /// When `name` is missing or not a stats object.
    pub fn stats(&self, name: &str) -> Result<Stats> {
        let agg = self.named(name)?;
        Stats::deserialize(agg).map_err(|e| Error::decode("aggregations", format!("`{name}`: {e}")))
    }
}

/// One row of `_cat/indices?format=json`.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct CatIndex {
    /// green, yellow, red.
    #[serde(default)]
    pub health: Option<String>,
    /// open or close.
    #[serde(default)]
    pub status: Option<String>,
    /// Index name.
    pub index: String,
    /// UUID.
    #[serde(default)]
    pub uuid: Option<String>,
    /// Document count (strings in `_cat` output; parsed).
    #[serde(rename = "docs.count", default, deserialize_with = "num_str")]
    pub docs_count: Option<u64>,
    /// Store size in bytes (`bytes=b`).
    #[serde(rename = "store.size", default, deserialize_with = "num_str")]
    pub store_size: Option<u64>,
}

fn num_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests;
