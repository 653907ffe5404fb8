//! The REST API specification (`rest-api-spec/api/*.json`): for each API its paths, methods,
//! parameters and body, and the request a test's `do` step becomes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Context as _;
use serde_json::Value;

/// Parameters every API takes.
const GLOBAL_PARAMS: [&str; 5] = ["error_trace", "filter_path", "human", "pretty", "source"];

/// One API: its paths (most specific first), query parameters and body.
#[derive(Debug, Clone)]
pub struct Api {
    pub paths: Vec<ApiPath>,
    pub params: BTreeSet<String>,
    pub body: Option<Body>,
}

#[derive(Debug, Clone)]
pub struct ApiPath {
    pub path: String,
    pub methods: Vec<String>,
    pub parts: BTreeSet<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct Body {
    pub required: bool,
    /// `serialize: bulk`: newline-delimited JSON.
    pub ndjson: bool,
}

/// Every API of a specification directory, by name (`indices.create`).
#[derive(Debug, Default)]
pub struct Spec {
    pub apis: BTreeMap<String, Api>,
}

/// A request ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: String,
    /// Path and query string, encoded.
    pub target: String,
    pub body: Option<(String, Vec<u8>)>,
}

impl Spec {
    /// Reads every `*.json` of `dir` (`rest-api-spec/api`).
    ///
    /// # Errors
    /// On unreadable files or JSON that is not an API specification.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let mut apis = BTreeMap::new();
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = entry?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let text = std::fs::read_to_string(&path)?;
            let doc: Value = serde_json::from_str(&text)
                .with_context(|| format!("parsing {}", path.display()))?;
            let Some(obj) = doc.as_object() else { continue };
            for (name, api) in obj {
                if name.starts_with('_') || api.pointer("/url/paths").is_none() {
                    continue;
                }
                // An API whose every path is deprecated is not offered at all.
                if let Some(api) = parse_api(api).with_context(|| name.clone())? {
                    apis.insert(name.clone(), api);
                }
            }
        }
        Ok(Self { apis })
    }

    /// The request for `api` called with `args` (path parts and query parameters).
    ///
    /// # Errors
    /// Names an unknown API, an unknown parameter (a test's `catch: param`), a missing required
    /// body or parts that fit no path.
    pub fn request(
        &self,
        api: &str,
        args: &serde_json::Map<String, Value>,
    ) -> Result<Request, ParamError> {
        let spec = self
            .apis
            .get(api)
            .ok_or_else(|| ParamError(format!("no API named [{api}] in the specification")))?;
        let mut params: BTreeMap<&str, &Value> = BTreeMap::new();
        let mut body = None;
        for (k, v) in args {
            if k == "body" {
                body = Some(v);
            } else {
                params.insert(k, v);
            }
        }
        // The most specific path whose parts are all given.
        let path = spec
            .paths
            .iter()
            .filter(|p| {
                p.parts
                    .iter()
                    .all(|part| params.contains_key(part.as_str()))
            })
            .max_by_key(|p| p.parts.len())
            .ok_or_else(|| {
                ParamError(format!(
                    "[{api}]: the parameters given fit none of its paths"
                ))
            })?;
        let mut target = path.path.clone();
        for part in &path.parts {
            let v = params.remove(part.as_str()).unwrap_or(&Value::Null);
            target = target.replace(&format!("{{{part}}}"), &encode(&param_text(v), true));
        }
        let mut query = Vec::new();
        for (k, v) in params {
            if !spec.params.contains(k) && !GLOBAL_PARAMS.contains(&k) {
                return Err(ParamError(format!(
                    "[{api}] does not support the parameter [{k}]"
                )));
            }
            query.push(format!(
                "{}={}",
                encode(k, false),
                encode(&param_text(v), false)
            ));
        }
        if !query.is_empty() {
            target.push('?');
            target.push_str(&query.join("&"));
        }
        let body = match (body, spec.body) {
            (Some(_), None) => {
                return Err(ParamError(format!("[{api}] does not take a body")));
            }
            (None, Some(b)) if b.required => {
                return Err(ParamError(format!("[{api}] needs a body")));
            }
            (Some(b), Some(kind)) => Some(encode_body(b, kind.ndjson)),
            (None, _) => None,
        };
        let method = pick_method(&path.methods, body.is_some());
        Ok(Request {
            method,
            target,
            body,
        })
    }
}

/// A request the specification does not allow (what a test's `catch: param` expects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError(pub String);

fn parse_api(api: &Value) -> anyhow::Result<Option<Api>> {
    let mut paths = Vec::new();
    for p in api
        .pointer("/url/paths")
        .and_then(Value::as_array)
        .context("no url.paths")?
    {
        let path = p["path"]
            .as_str()
            .context("a path without `path`")?
            .to_owned();
        let methods = p["methods"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let parts = p["parts"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        // Paths that still carry a mapping type are not Elasticsearch 8's.
        let deprecated = p.get("deprecated").is_some();
        if !deprecated {
            paths.push(ApiPath {
                path,
                methods,
                parts,
            });
        }
    }
    if paths.is_empty() {
        return Ok(None);
    }
    let params = api["params"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let body = api.get("body").filter(|b| !b.is_null()).map(|b| Body {
        required: b["required"].as_bool().unwrap_or(false),
        ndjson: b["serialize"].as_str() == Some("bulk"),
    });
    Ok(Some(Api {
        paths,
        params,
        body,
    }))
}

/// GET without a body and POST with one when the API allows them, else the first method.
fn pick_method(methods: &[String], with_body: bool) -> String {
    let prefer: &[&str] = if with_body {
        &["POST", "PUT", "GET"]
    } else {
        &["GET", "HEAD", "DELETE", "PUT", "POST"]
    };
    prefer
        .iter()
        .find(|m| methods.iter().any(|x| x == *m))
        .map_or_else(
            || methods.first().cloned().unwrap_or_default(),
            |m| (*m).to_owned(),
        )
}

/// A parameter's text: lists joined by commas.
pub fn param_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(param_text).collect::<Vec<_>>().join(","),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Percent-encodes `s` for a path (`in_path`) or a query string.
pub fn encode(s: &str, in_path: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~' | b'*' | b',')
            || (in_path && matches!(b, b':' | b'@' | b'+'));
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A step's body as sent: a string as written, a list as NDJSON for bulk-style APIs (one JSON
/// document per line), anything else as JSON.
fn encode_body(body: &Value, ndjson: bool) -> (String, Vec<u8>) {
    if ndjson {
        let mut out = match body {
            Value::Array(items) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Value::String(s) => s.trim_end().to_owned(),
            other => other.to_string(),
        };
        out.push('\n');
        return ("application/x-ndjson".to_owned(), out.into_bytes());
    }
    let text = match body {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    ("application/json".to_owned(), text.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Spec {
        let api = json!({
            "url": {"paths": [
                {"path": "/_bulk", "methods": ["POST", "PUT"]},
                {"path": "/{index}/_bulk", "methods": ["POST", "PUT"], "parts": {"index": {}}},
                {"path": "/{index}/{type}/_bulk", "methods": ["POST"], "parts": {"index": {}, "type": {}}, "deprecated": {}}
            ]},
            "params": {"refresh": {}},
            "body": {"required": true, "serialize": "bulk"}
        });
        let get = json!({
            "url": {"paths": [{"path": "/{index}/_doc/{id}", "methods": ["GET", "HEAD"], "parts": {"index": {}, "id": {}}}]},
            "params": {"routing": {}}
        });
        Spec {
            apis: [
                ("bulk".to_owned(), parse_api(&api).unwrap().unwrap()),
                ("get".to_owned(), parse_api(&get).unwrap().unwrap()),
            ]
            .into(),
        }
    }

    #[test]
    fn builds_paths_queries_and_bodies() {
        let s = spec();
        let args = json!({"index": "logs 1", "refresh": true, "body": [{"index": {}}, {"a": 1}]});
        let r = s.request("bulk", args.as_object().unwrap()).unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(r.target, "/logs%201/_bulk?refresh=true");
        assert_eq!(
            r.body.unwrap(),
            (
                "application/x-ndjson".to_owned(),
                b"{\"index\":{}}\n{\"a\":1}\n".to_vec()
            )
        );
        let args = json!({"index": ["a", "b"], "id": 1, "routing": ["x", "y"]});
        let r = s.request("get", args.as_object().unwrap()).unwrap();
        assert_eq!(
            (r.method.as_str(), r.target.as_str()),
            ("GET", "/a,b/_doc/1?routing=x,y")
        );
    }

    #[test]
    fn refuses_what_the_specification_does_not_allow() {
        let s = spec();
        let unknown = json!({"index": "a", "id": 1, "nope": 1});
        assert!(s.request("get", unknown.as_object().unwrap()).is_err());
        let no_body = json!({"index": "a"});
        assert!(s.request("bulk", no_body.as_object().unwrap()).is_err());
        let body_on_get = json!({"index": "a", "id": 1, "body": {}});
        assert!(s.request("get", body_on_get.as_object().unwrap()).is_err());
        assert!(s.request("nope", &serde_json::Map::new()).is_err());
    }
}
