//! `_msearch` bodies: NDJSON header/body pairs, read as ES's `MultiSearchRequest` reads them.
//!
//! A header or body that is not valid JSON, a header key ES does not know, or a body whose
//! query does not parse fails the whole request (ES parses every search while reading the
//! lines); anything that goes wrong while searching is that search's answer only.

use serde_json::{Map, Value};

use super::error::{json_syntax, parse_exception};
use crate::{Error, SearchParams};

/// One search of a multi-search request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    /// `index` of the header (or of the path); `None`: all indices (or a point in time).
    pub(crate) index: Option<String>,
    /// Index options of the header.
    pub(crate) ignore_unavailable: Option<String>,
    pub(crate) allow_no_indices: Option<String>,
    /// `routing` of the header.
    pub(crate) routing: Option<String>,
    /// `expand_wildcards` of the header.
    pub(crate) expand_wildcards: Option<String>,
    /// The search body (`None` for an empty line).
    pub(crate) body: Option<Value>,
}

impl Item {
    /// The search's URL-style parameters: the request's, overridden by the header's.
    pub(crate) fn params(&self, defaults: &SearchParams) -> SearchParams {
        let mut p = defaults.clone();
        if self.ignore_unavailable.is_some() {
            p.ignore_unavailable.clone_from(&self.ignore_unavailable);
        }
        if self.allow_no_indices.is_some() {
            p.allow_no_indices.clone_from(&self.allow_no_indices);
        }
        if self.routing.is_some() {
            p.routing.clone_from(&self.routing);
        }
        if self.expand_wildcards.is_some() {
            p.expand_wildcards.clone_from(&self.expand_wildcards);
        }
        p
    }

    /// The names of the index options the header set (a point in time refuses them).
    pub(crate) fn option_names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.ignore_unavailable.is_some() {
            v.push("ignore_unavailable");
        }
        if self.allow_no_indices.is_some() {
            v.push("allow_no_indices");
        }
        if self.routing.is_some() {
            v.push("routing");
        }
        if self.expand_wildcards.is_some() {
            v.push("expand_wildcards");
        }
        v
    }
}

/// Header keys ES accepts that change nothing on one node.
const NO_EFFECT: &[&str] = &[
    "search_type",
    "ccs_minimize_roundtrips",
    "request_cache",
    "preference",
    "allow_partial_search_results",
    "ignore_throttled",
];

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn header(line: &[u8], path_index: Option<&str>) -> Result<Item, Error> {
    let mut item = Item {
        index: path_index.map(str::to_owned),
        ignore_unavailable: None,
        allow_no_indices: None,
        routing: None,
        expand_wildcards: None,
        body: None,
    };
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(item);
    }
    let map: Map<String, Value> = match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            return Err(parse_exception(
                "Failed to derive xcontent: the msearch header must be a JSON object",
            ));
        }
        Err(e) => return Err(json_syntax(&e)),
    };
    for (k, v) in &map {
        match k.as_str() {
            "index" | "indices" => {
                item.index = Some(match v {
                    Value::String(s) => s.clone(),
                    Value::Array(a) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(","),
                    other => {
                        return Err(Error::illegal_argument(format!(
                            "Expected [index] to be a string or an array, found [{other}]"
                        )));
                    }
                });
            }
            "ignore_unavailable" => item.ignore_unavailable = scalar_text(v),
            "allow_no_indices" => item.allow_no_indices = scalar_text(v),
            "routing" => item.routing = scalar_text(v),
            "expand_wildcards" => item.expand_wildcards = scalar_text(v),
            "type" => {
                return Err(Error::illegal_argument(
                    "key [type] is not supported in the metadata section",
                ));
            }
            k if NO_EFFECT.contains(&k) => {}
            other => {
                return Err(Error::illegal_argument(format!(
                    "key [{other}] is not supported in the metadata section"
                )));
            }
        }
    }
    Ok(item)
}

/// Splits an `_msearch` body into searches.
///
/// # Errors
/// The whole request's error: a body not ending with a newline, a bad header or body line, or
/// no search at all.
pub(crate) fn parse(body: &[u8], path_index: Option<&str>) -> Result<Vec<Item>, Error> {
    if body.is_empty() {
        return Err(super::error::body_required());
    }
    if body.last() != Some(&b'\n') {
        return Err(Error::illegal_argument(
            "The msearch request must be terminated by a newline [\n]",
        ));
    }
    let mut lines = body[..body.len() - 1].split(|b| *b == b'\n').peekable();
    // ES skips an empty first line
    if lines.peek().is_some_and(|l| l.is_empty()) {
        lines.next();
    }
    let mut items = Vec::new();
    while let Some(h) = lines.next() {
        let mut item = header(h, path_index)?;
        let Some(b) = lines.next() else { break };
        if !b.iter().all(u8::is_ascii_whitespace) {
            match serde_json::from_slice::<Value>(b) {
                Ok(v @ Value::Object(_)) => item.body = Some(v),
                Ok(_) => {
                    return Err(parse_exception(
                        "Failed to derive xcontent: the msearch body must be a JSON object",
                    ));
                }
                Err(e) => return Err(json_syntax(&e)),
            }
        }
        items.push(item);
    }
    if items.is_empty() {
        return Err(Error::es(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: no requests added;",
        ));
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: &str) -> (String, String) {
        parse(body.as_bytes(), None)
            .err()
            .map(|e| (e.es_type().to_owned(), e.reason()))
            .unwrap_or_default()
    }

    #[test]
    fn pairs_with_headers_from_path_and_lines() {
        let items = parse(
            b"{}\n{\"size\":1}\n{\"index\":[\"a\",\"b\"],\"ignore_unavailable\":true}\n\n",
            Some("p"),
        )
        .unwrap_or_default();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].index.as_deref(), Some("p"));
        assert_eq!(items[0].body, Some(serde_json::json!({"size": 1})));
        assert_eq!(items[1].index.as_deref(), Some("a,b"));
        assert_eq!(items[1].ignore_unavailable.as_deref(), Some("true"));
        assert_eq!(items[1].body, None);
    }

    #[test]
    fn whole_request_errors() {
        for (body, ty, reason) in [
            (
                "{}\n{}",
                "illegal_argument_exception",
                "The msearch request must be terminated by a newline [\n]",
            ),
            (
                "\n",
                "action_request_validation_exception",
                "Validation Failed: 1: no requests added;",
            ),
            (
                "{\"foo\":1}\n{}\n",
                "illegal_argument_exception",
                "key [foo] is not supported in the metadata section",
            ),
        ] {
            assert_eq!(err(body), (ty.to_owned(), reason.to_owned()), "{body:?}");
        }
        assert_eq!(err("{}\n{\"size\":\n").0, "x_content_parse_exception");
    }
}
