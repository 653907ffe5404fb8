//! Saved objects (data views, saved searches, the default data view) as documents of the index
//! `.sluice` in the backend, as Kibana keeps `.kibana`: they follow the data to Elasticsearch.
//!
//! A document's `_id` is `{type}:{id}`; its source is `{"type", "attributes", "updated_at"}`.
//! The index maps only `type` and `updated_at` (`dynamic: false`), so attributes never grow
//! the mapping or clash with it.

use es_client::{Client, Request};
use http::Method;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// The index holding saved objects.
pub const INDEX: &str = ".sluice";

/// The saved-object types this version knows (an unknown type is refused by name).
pub const TYPES: &[&str] = &[
    "index-pattern",
    "search",
    "config",
    "visualization",
    "dashboard",
];

/// One saved object.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedObject {
    /// Its id within its type.
    pub id: String,
    /// `index-pattern`, `search`, `config`, ...
    pub kind: String,
    /// What it holds.
    pub attributes: Map<String, Value>,
    /// When it was last written (RFC 3339).
    pub updated_at: String,
}

impl SavedObject {
    /// The API and export shape: `{"id","type","attributes","updated_at"}`.
    pub fn to_json(&self) -> Value {
        json!({"id": self.id, "type": self.kind, "attributes": self.attributes, "updated_at": self.updated_at})
    }

    /// Reads the API/export shape (`updated_at` optional).
    pub fn from_json(v: &Value) -> Result<SavedObject> {
        let o = v
            .as_object()
            .ok_or_else(|| Error::bad_request("a saved object must be a JSON object"))?;
        for k in o.keys() {
            if !matches!(
                k.as_str(),
                "id" | "type" | "attributes" | "updated_at" | "references" | "version"
            ) {
                return Err(Error::bad_request(format!(
                    "unknown member [{k}] in a saved object"
                )));
            }
        }
        let kind = o
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::bad_request("a saved object needs a string [type]"))?;
        check_type(kind)?;
        let id = o
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::bad_request("a saved object needs a string [id]"))?;
        check_id(id)?;
        let attributes = o
            .get("attributes")
            .and_then(Value::as_object)
            .cloned()
            .ok_or_else(|| Error::bad_request("a saved object needs an object [attributes]"))?;
        Ok(SavedObject {
            id: id.to_owned(),
            kind: kind.to_owned(),
            attributes,
            updated_at: o
                .get("updated_at")
                .and_then(Value::as_str)
                .map_or_else(now, str::to_owned),
        })
    }
}

/// Refuses a type this version does not know.
pub fn check_type(kind: &str) -> Result<()> {
    if TYPES.contains(&kind) {
        Ok(())
    } else {
        Err(Error::bad_request(format!(
            "unknown saved object type [{kind}]; known types: {}",
            TYPES.join(", ")
        )))
    }
}

/// Ids are what a URL path segment can hold without escaping.
pub fn check_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 200
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::bad_request(format!(
            "invalid saved object id [{id}]: use 1-200 characters of a-z, A-Z, 0-9, '-', '_', '.'"
        )))
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Reads and writes saved objects through the backend.
#[derive(Clone)]
pub struct SavedObjects {
    client: Client,
    errors: ErrorContext,
}

/// How backend errors are described (the backend's URL and the credentials tried).
#[derive(Clone, Debug)]
pub struct ErrorContext {
    /// The backend's URL(s).
    pub backend: String,
    /// The credentials tried, in words (`Basic user [elastic]`, `no credentials`).
    pub credentials: String,
}

impl ErrorContext {
    /// Describes a backend failure.
    pub fn wrap(&self, e: &es_client::Error) -> Error {
        Error::from_backend(e, &self.backend, &self.credentials)
    }
}

impl SavedObjects {
    /// Saved objects kept through `client`.
    pub fn new(client: Client, errors: ErrorContext) -> SavedObjects {
        SavedObjects { client, errors }
    }

    async fn ensure_index(&self) -> Result<()> {
        let exists = self
            .client
            .index_exists(INDEX)
            .await
            .map_err(|e| self.errors.wrap(&e))?;
        if exists {
            return Ok(());
        }
        let body = json!({
            "settings": {"number_of_shards": 1, "number_of_replicas": 0},
            "mappings": {"dynamic": false, "properties": {
                "type": {"type": "keyword"},
                "updated_at": {"type": "date"}
            }}
        });
        match self.client.create_index(INDEX, &body).await {
            Ok(()) => Ok(()),
            Err(e) if e.is_already_exists() => Ok(()),
            Err(e) => Err(self.errors.wrap(&e)),
        }
    }

    /// Every saved object of `kind` (all kinds when `None`), newest first.
    pub async fn list(&self, kind: Option<&str>) -> Result<Vec<SavedObject>> {
        if let Some(k) = kind {
            check_type(k)?;
        }
        let query = match kind {
            Some(k) => json!({"term": {"type": k}}),
            None => json!({"match_all": {}}),
        };
        let body = json!({
            "size": 10000,
            "query": query,
            "sort": [{"updated_at": {"order": "desc", "unmapped_type": "date"}}]
        });
        let req = Request::new(Method::POST, format!("/{INDEX}/_search"))
            .json(&body)
            .map_err(|e| self.errors.wrap(&e))?
            .idempotent(true);
        let resp = match self.client.send(req).await {
            Ok(r) => r,
            Err(e) if e.is_not_found() => return Ok(Vec::new()),
            Err(e) => return Err(self.errors.wrap(&e)),
        };
        let v: Value = resp.json().map_err(|e| self.errors.wrap(&e))?;
        let hits = v["hits"]["hits"].as_array().cloned().unwrap_or_default();
        Ok(hits.iter().filter_map(from_hit).collect())
    }

    /// One saved object; 404 `not_found` when missing.
    pub async fn get(&self, kind: &str, id: &str) -> Result<SavedObject> {
        check_type(kind)?;
        check_id(id)?;
        let missing = || Error::not_found(format!("saved object [{kind}/{id}] not found"));
        match self
            .client
            .get_document(INDEX, &format!("{kind}:{id}"))
            .await
        {
            Ok(doc) => {
                let hit = json!({"_id": format!("{kind}:{id}"), "_source": doc.source});
                from_hit(&hit).ok_or_else(missing)
            }
            Err(e) if e.is_not_found() => Err(missing()),
            Err(e) => Err(self.errors.wrap(&e)),
        }
    }

    /// Writes (creates or replaces) `obj`; visible to the next list at once.
    pub async fn put(&self, obj: &SavedObject) -> Result<SavedObject> {
        check_type(&obj.kind)?;
        check_id(&obj.id)?;
        crate::visualize::check_attributes(&obj.kind, &obj.attributes)?;
        self.ensure_index().await?;
        let mut obj = obj.clone();
        obj.updated_at = now();
        let source =
            json!({"type": obj.kind, "attributes": obj.attributes, "updated_at": obj.updated_at});
        let req = Request::new(
            Method::PUT,
            format!("/{INDEX}/_doc/{}:{}?refresh=true", obj.kind, obj.id),
        )
        .json(&source)
        .map_err(|e| self.errors.wrap(&e))?;
        self.client
            .send(req)
            .await
            .map_err(|e| self.errors.wrap(&e))?;
        Ok(obj)
    }

    /// Creates a new object of `kind` with a fresh id (or `id`).
    pub async fn create(
        &self,
        kind: &str,
        id: Option<&str>,
        attributes: Map<String, Value>,
    ) -> Result<SavedObject> {
        let id = id.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        self.put(&SavedObject {
            id,
            kind: kind.to_owned(),
            attributes,
            updated_at: now(),
        })
        .await
    }

    /// Deletes one object; 404 `not_found` when missing.
    pub async fn delete(&self, kind: &str, id: &str) -> Result<()> {
        check_type(kind)?;
        check_id(id)?;
        let req = Request::new(
            Method::DELETE,
            format!("/{INDEX}/_doc/{kind}:{id}?refresh=true"),
        );
        match self.client.send(req).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Err(Error::not_found(format!(
                "saved object [{kind}/{id}] not found"
            ))),
            Err(e) => Err(self.errors.wrap(&e)),
        }
    }

    /// Every saved object as NDJSON (one object a line), for `sluice ui export`.
    pub async fn export(&self) -> Result<String> {
        let mut out = String::new();
        for obj in self.list(None).await? {
            out.push_str(&obj.to_json().to_string());
            out.push('\n');
        }
        Ok(out)
    }

    /// Imports NDJSON written by [`SavedObjects::export`] (or Kibana-like `{id,type,attributes}`
    /// lines): each good line is written (replacing an object with the same type and id), each
    /// bad one reported with its line number.
    pub async fn import(&self, ndjson: &str) -> Result<ImportSummary> {
        let mut summary = ImportSummary::default();
        for (i, line) in ndjson.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let parsed = serde_json::from_str::<Value>(line)
                .map_err(|e| Error::bad_request(format!("invalid JSON: {e}")))
                .and_then(|v| SavedObject::from_json(&v));
            let outcome = match parsed {
                Ok(obj) => self.put(&obj).await.map(|_| ()),
                Err(e) => Err(e),
            };
            match outcome {
                Ok(()) => summary.success_count += 1,
                Err(e) if e.is_unreachable() => return Err(e),
                Err(e) => summary
                    .errors
                    .push(json!({"line": i + 1, "reason": e.reason})),
            }
        }
        Ok(summary)
    }
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ImportSummary {
    /// Objects written.
    pub success_count: usize,
    /// `{"line", "reason"}` of each refused line.
    pub errors: Vec<Value>,
}

impl ImportSummary {
    /// The API shape: `{"success", "successCount", "errors"}`.
    pub fn to_json(&self) -> Value {
        json!({"success": self.errors.is_empty(), "successCount": self.success_count, "errors": self.errors})
    }
}

fn from_hit(hit: &Value) -> Option<SavedObject> {
    let id = hit["_id"].as_str()?;
    let (kind, id) = id.split_once(':')?;
    let src = &hit["_source"];
    Some(SavedObject {
        id: id.to_owned(),
        kind: kind.to_owned(),
        attributes: src["attributes"].as_object().cloned().unwrap_or_default(),
        updated_at: src["updated_at"].as_str().unwrap_or_default().to_owned(),
    })
}
