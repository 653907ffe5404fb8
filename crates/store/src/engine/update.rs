//! Partial updates (`POST /{index}/_update/{id}` and the bulk `update` action): the request
//! body, Elasticsearch's merge of a partial `doc` into the stored source, and noop detection.
//! Scripts are refused by name: sluice-store runs no Painless.

use serde_json::{Map, Value};

use crate::{Error, Result};

/// A parsed update body.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateSpec {
    /// `doc`: merged into the stored source.
    pub doc: Option<Map<String, Value>>,
    /// `upsert`: the document created when none exists.
    pub upsert: Option<Map<String, Value>>,
    /// `doc_as_upsert`: `doc` is the document created when none exists.
    pub doc_as_upsert: bool,
    /// `detect_noop` (default true): an update that changes nothing writes nothing.
    pub detect_noop: bool,
    /// `_source` (in the body): return the updated source under `get`.
    pub return_source: bool,
    /// `_source` as a filter (fields, `includes`/`excludes`) when the body gives one.
    pub(crate) source_filter: Option<crate::search::SourceFilter>,
}

/// How deep a partial `doc` may nest (the mapping's depth limit is 20; this bounds the merge's
/// recursion whatever the mapping says).
const MAX_MERGE_DEPTH: usize = 64;

impl UpdateSpec {
    /// Parses an update body, with Elasticsearch's errors.
    ///
    /// # Errors
    /// `x_content_parse_exception` for malformed JSON, an unknown field or a wrong type;
    /// `illegal_argument_exception` naming `script` (not supported);
    /// `action_request_validation_exception` when there is neither `doc` nor `script`.
    pub fn parse(body: &[u8]) -> Result<UpdateSpec> {
        let v: Value = serde_json::from_slice(body).map_err(|e| {
            Error::x_content(format!(
                "[{}:{}] Failed to parse the update request: {e}",
                e.line(),
                e.column()
            ))
        })?;
        let Value::Object(map) = v else {
            return Err(Error::x_content(
                "[1:1] Failed to parse the update request: the body must be an object",
            ));
        };
        let mut spec = UpdateSpec {
            doc: None,
            upsert: None,
            doc_as_upsert: false,
            detect_noop: true,
            return_source: false,
            source_filter: None,
        };
        for (key, value) in map {
            match (key.as_str(), value) {
                ("doc", Value::Object(m)) => spec.doc = Some(m),
                ("upsert", Value::Object(m)) => spec.upsert = Some(m),
                ("doc_as_upsert", Value::Bool(b)) => spec.doc_as_upsert = b,
                ("detect_noop", Value::Bool(b)) => spec.detect_noop = b,
                ("_source", Value::Bool(b)) => spec.return_source = b,
                ("_source", v @ (Value::String(_) | Value::Array(_) | Value::Object(_))) => {
                    spec.source_filter = Some(crate::search::parse_source_filter(&v)?);
                    spec.return_source = true;
                }
                ("script" | "scripted_upsert", _) => {
                    return Err(Error::illegal_argument(format!(
                        "[{key}] in an update is not supported by sluice-store: it runs no \
                         scripts (send a partial [doc], with [upsert] or [doc_as_upsert])"
                    )));
                }
                (k @ ("doc" | "upsert" | "doc_as_upsert" | "detect_noop" | "_source"), other) => {
                    return Err(Error::x_content(format!(
                        "[1:2] [UpdateRequest] failed to parse field [{k}]: unexpected {}",
                        kind(&other)
                    )));
                }
                (k, _) => {
                    return Err(Error::x_content(format!(
                        "[1:2] [UpdateRequest] unknown field [{k}]{}",
                        crate::http::params::did_you_mean(
                            k,
                            &[
                                "doc",
                                "upsert",
                                "doc_as_upsert",
                                "detect_noop",
                                "_source",
                                "script",
                                "scripted_upsert",
                            ]
                        )
                    )));
                }
            }
        }
        if spec.doc.is_none() {
            return Err(Error::es(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: script or doc is missing;",
            ));
        }
        Ok(spec)
    }

    /// The document to create when none exists: `upsert`, or `doc` with `doc_as_upsert`.
    #[must_use]
    pub fn upsert_doc(&self) -> Option<&Map<String, Value>> {
        if self.doc_as_upsert {
            self.doc.as_ref()
        } else {
            self.upsert.as_ref()
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Merges `doc` into `source` as Elasticsearch does: objects present in both are merged key by
/// key, anything else in `doc` replaces what `source` had. Returns whether `source` changed.
///
/// # Errors
/// When `doc` nests deeper than the merge allows.
pub fn merge(source: &mut Map<String, Value>, doc: &Map<String, Value>) -> Result<bool> {
    merge_at(source, doc, 0)
}

fn merge_at(
    source: &mut Map<String, Value>,
    doc: &Map<String, Value>,
    depth: usize,
) -> Result<bool> {
    if depth > MAX_MERGE_DEPTH {
        return Err(Error::illegal_argument(format!(
            "the partial doc of an update nests deeper than {MAX_MERGE_DEPTH} levels"
        )));
    }
    let mut changed = false;
    for (k, v) in doc {
        match (source.get_mut(k), v) {
            (Some(Value::Object(old)), Value::Object(new)) => {
                changed |= merge_at(old, new, depth + 1)?;
            }
            (Some(old), new) => {
                if old != new {
                    *old = new.clone();
                    changed = true;
                }
            }
            (None, new) => {
                source.insert(k.clone(), new.clone());
                changed = true;
            }
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn merges_objects_and_replaces_the_rest() {
        let mut src = obj(json!({"a": 1, "o": {"x": 1, "y": [1, 2]}, "t": ["a"]}));
        let changed = merge(
            &mut src,
            &obj(json!({"o": {"y": [3], "z": true}, "t": "b", "n": null})),
        )
        .unwrap();
        assert!(changed);
        assert_eq!(
            Value::Object(src),
            json!({"a": 1, "o": {"x": 1, "y": [3], "z": true}, "t": "b", "n": null})
        );
        let mut same = obj(json!({"a": 1, "o": {"x": 1}}));
        assert!(!merge(&mut same, &obj(json!({"o": {"x": 1}, "a": 1}))).unwrap());
    }

    #[test]
    fn parses_bodies_with_es_errors() {
        let s = UpdateSpec::parse(br#"{"doc":{"a":1},"doc_as_upsert":true}"#).unwrap();
        assert_eq!(s.upsert_doc(), s.doc.as_ref());
        assert!(s.detect_noop);
        let s =
            UpdateSpec::parse(br#"{"doc":{"a":1},"upsert":{"b":2},"detect_noop":false}"#).unwrap();
        assert_eq!(s.upsert_doc(), Some(&obj(json!({"b": 2}))));
        assert!(!s.detect_noop);
        for (body, kind, reason) in [
            (
                &br#"{"script":"ctx._source.a++"}"#[..],
                "illegal_argument_exception",
                "[script] in an update is not supported",
            ),
            (
                br#"{"upsert":{"a":1}}"#,
                "action_request_validation_exception",
                "script or doc is missing",
            ),
            (
                br#"{"doc":{},"fields":["a"]}"#,
                "x_content_parse_exception",
                "unknown field [fields]",
            ),
            (
                br#"{"doc":[1]}"#,
                "x_content_parse_exception",
                "failed to parse field [doc]",
            ),
            (
                br#"{"doc":"#,
                "x_content_parse_exception",
                "Failed to parse the update request",
            ),
            (br#"[]"#, "x_content_parse_exception", "must be an object"),
        ] {
            let e = UpdateSpec::parse(body).unwrap_err();
            assert_eq!(e.es_type(), kind, "{e}");
            assert!(e.reason().contains(reason), "{}", e.reason());
        }
    }

    #[test]
    fn deep_partial_docs_are_refused() {
        let mut doc = json!(1);
        for _ in 0..100 {
            doc = json!({"a": doc});
        }
        let mut d2 = json!({});
        for _ in 0..100 {
            d2 = json!({"a": d2});
        }
        let mut src2 = obj(d2);
        assert!(merge(&mut src2, &obj(doc)).is_err());
    }
}
