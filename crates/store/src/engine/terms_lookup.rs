//! Terms lookup: a `terms` query whose field names a document (`{"index", "id", "path"}`)
//! instead of an array takes the values at `path` of that document's `_source`. As
//! Elasticsearch does on the coordinating node before the search runs, the store rewrites the
//! request body once, fetching each document (realtime), and the search then parses an
//! ordinary `terms` query (so `index.max_terms_count` and every other check hold).

use serde_json::{Map, Value};

use super::store::Store;
use crate::error::{Error, Result};

/// How deep the walk goes: request bodies are bounded by the JSON reader long before this.
const MAX_DEPTH: usize = 512;

/// `body` with each terms lookup replaced by the values it finds; `None` when it has none.
///
/// # Errors
/// ES's: a lookup missing `index`, `id` or `path` is an `illegal_argument_exception`, one with
/// an unknown key an `x_content_parse_exception`; a missing index is
/// `index_not_found_exception`.
pub(crate) fn rewrite(store: &Store, body: Option<&Value>) -> Result<Option<Value>> {
    let Some(body) = body else {
        return Ok(None);
    };
    if !has_lookup(body, 0) {
        return Ok(None);
    }
    let mut out = body.clone();
    replace(store, &mut out, 0)?;
    Ok(Some(out))
}

/// Whether `body` has a terms lookup anywhere.
pub(crate) fn has_any(body: Option<&Value>) -> bool {
    body.is_some_and(|b| has_lookup(b, 0))
}

/// Whether `spec` (the value of a field in a `terms` query) is a lookup: an object naming a
/// path, or a document (a `terms` aggregation's objects — `order` by a sub-aggregation,
/// `include` partitions — are told apart by these keys).
fn is_lookup(spec: &Value) -> bool {
    spec.as_object()
        .is_some_and(|o| o.contains_key("path") || o.contains_key("id") && o.contains_key("index"))
}

fn has_lookup(v: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match v {
        Value::Object(o) => o.iter().any(|(k, v)| {
            (k == "terms" && v.as_object().is_some_and(|t| t.values().any(is_lookup)))
                || has_lookup(v, depth + 1)
        }),
        Value::Array(a) => a.iter().any(|v| has_lookup(v, depth + 1)),
        _ => false,
    }
}

fn replace(store: &Store, v: &mut Value, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    match v {
        Value::Object(o) => {
            for (k, child) in o.iter_mut() {
                if k == "terms"
                    && let Value::Object(t) = child
                {
                    for spec in t.values_mut() {
                        if is_lookup(spec) {
                            let values = fetch(store, spec.as_object().unwrap_or(&Map::new()))?;
                            *spec = Value::Array(values);
                        }
                    }
                }
                replace(store, child, depth + 1)?;
            }
        }
        Value::Array(a) => {
            for child in a {
                replace(store, child, depth + 1)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The values a lookup finds: those at `path` in the document's `_source`, arrays flattened;
/// none when the document does not exist.
fn fetch(store: &Store, spec: &Map<String, Value>) -> Result<Vec<Value>> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let (mut index, mut id, mut path, mut routing) = (None, None, None, None);
    for (k, v) in spec {
        match k.as_str() {
            "index" => index = text(v),
            "id" => id = text(v),
            "path" => path = text(v),
            "routing" => routing = text(v),
            // pre-8 requests name the type; there is one
            "type" => {}
            other => {
                return Err(Error::x_content(format!(
                    "[terms_lookup] unknown field [{other}]"
                )));
            }
        }
    }
    let required = |what: &str| Error::illegal_argument(format!("Required [{what}]"));
    let index = index.ok_or_else(|| required("index"))?;
    let id = id.ok_or_else(|| required("id"))?;
    let path = path.ok_or_else(|| required("path"))?;
    let got = store.get_doc_as(&index, &id, routing.as_deref(), true)?;
    let mut out = Vec::new();
    if got["found"] == Value::Bool(true) {
        collect(&got["_source"], &path, &mut out);
    }
    Ok(out)
}

/// The scalar values at the dotted `path` of `v` (objects in arrays walked, arrays flattened),
/// as Elasticsearch's `XContentMapValues.extractRawValues`.
fn collect(v: &Value, path: &str, out: &mut Vec<Value>) {
    fn walk(v: &Value, parts: &[&str], out: &mut Vec<Value>) {
        match (v, parts.split_first()) {
            (Value::Array(a), _) => {
                for x in a {
                    walk(x, parts, out);
                }
            }
            (Value::Object(o), Some(_)) => {
                // a dotted key names the rest of the path in one go
                for n in (1..=parts.len()).rev() {
                    if let Some(child) = o.get(&parts[..n].join(".")) {
                        walk(child, &parts[n..], out);
                        return;
                    }
                }
            }
            (Value::Null | Value::Object(_), _) => {}
            (scalar, None) => out.push(scalar.clone()),
            (_, Some(_)) => {}
        }
    }
    let parts: Vec<&str> = path.split('.').collect();
    walk(v, &parts, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(v: &Value, path: &str) -> Vec<Value> {
        let mut out = Vec::new();
        collect(v, path, &mut out);
        out
    }

    #[test]
    fn values_are_collected_along_the_path() {
        let doc = json!({"followers": ["u2", "u3"], "a": {"b": [1, {"c": 2}], "c": 3},
                         "objs": [{"x": "p"}, {"x": ["q", "r"]}, {"y": 1}], "d.e": true});
        assert_eq!(at(&doc, "followers"), [json!("u2"), json!("u3")]);
        assert_eq!(at(&doc, "a.b"), [json!(1)]);
        assert_eq!(at(&doc, "objs.x"), [json!("p"), json!("q"), json!("r")]);
        assert_eq!(at(&doc, "d.e"), [json!(true)]);
        assert!(at(&doc, "a").is_empty());
        assert!(at(&doc, "missing.path").is_empty());
    }

    #[test]
    fn lookups_are_found_under_any_query() {
        let lookup = json!({"terms": {"user": {"index": "i", "id": "1", "path": "f"}}});
        assert!(has_lookup(&lookup, 0));
        let nested = json!({"query": {"bool": {"filter": [lookup]}}});
        assert!(has_lookup(&nested, 0));
        // an aggregation named or typed `terms` is no lookup
        let agg = json!({"aggs": {"terms": {"terms": {"field": "f", "order": {"_count": "asc"}}}}});
        assert!(!has_lookup(&agg, 0));
        assert!(!has_lookup(
            &json!({"query": {"terms": {"user": ["a", "b"]}}}),
            0
        ));
    }
}
