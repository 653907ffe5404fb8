//! The `_bulk` response parser.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::{BulkOp, Error, Result};

/// A `_bulk` response, every item built.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkResponse {
    /// `took`: milliseconds the request took on the server.
    pub took: u64,
    /// `errors`: true when at least one item failed.
    pub errors: bool,
    /// One per action of the request, in the same order.
    pub items: Vec<BulkItem>,
}

impl BulkResponse {
    /// The failed items with their positions in the request.
    pub fn failed(&self) -> impl Iterator<Item = (usize, &BulkItem)> + '_ {
        self.items.iter().enumerate().filter(|(_, i)| i.is_failed())
    }
}

/// The outcome of one bulk action.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkItem {
    /// The action, from the item's key (`{"index":{...}}`).
    pub op: BulkOp,
    /// `_index`: the concrete index (empty if the server sent none).
    pub index: String,
    /// `_id`, when there is one.
    pub id: Option<String>,
    /// `status`: the HTTP status for this item (201 created, 200 updated, 409 conflict,
    /// 400 mapping error, 429 rejected, ...).
    pub status: u16,
    /// `result`: `created`, `updated`, `deleted`, `not_found`, `noop`; absent on failures.
    pub result: Option<String>,
    /// `error`, on failures.
    pub error: Option<BulkItemError>,
}

impl BulkItem {
    /// True when the item carries an `error` (a `delete` answered 404 `not_found` is not a failure,
    /// as in Elasticsearch's own `errors` flag).
    #[must_use]
    pub fn is_failed(&self) -> bool {
        self.error.is_some()
    }

    /// True for a failure worth sending again unchanged: 429 (`es_rejected_execution_exception`,
    /// the queue was full), as the official clients' bulk helpers do.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.is_failed() && self.status == 429
    }
}

/// An item's `error` object: `{"type":…,"reason":…,"caused_by":{…}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkItemError {
    /// `type`, e.g. `mapper_parsing_exception` (empty when the server sent none).
    pub kind: String,
    /// `reason` (empty when the server sent none).
    pub reason: String,
    /// `caused_by`, when present.
    pub caused_by: Option<Box<BulkItemError>>,
    /// The whole `error` value as sent, with fields not modelled here (`index_uuid`, `shard`, ...).
    pub raw: Value,
}

impl BulkItemError {
    fn from_value(raw: Value) -> Self {
        match &raw {
            Value::Object(map) => {
                let text = |k: &str| {
                    map.get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                BulkItemError {
                    kind: text("type"),
                    reason: text("reason"),
                    caused_by: map
                        .get("caused_by")
                        .map(|c| Box::new(BulkItemError::from_value(c.clone()))),
                    raw,
                }
            }
            // Very old servers sent the error as a plain string.
            Value::String(s) => BulkItemError {
                kind: String::new(),
                reason: s.clone(),
                caused_by: None,
                raw,
            },
            other => BulkItemError {
                kind: String::new(),
                reason: other.to_string(),
                caused_by: None,
                raw,
            },
        }
    }
}

/// `type: reason`, then each `caused_by` as `(caused by type: reason)`.
impl fmt::Display for BulkItemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind.is_empty(), self.reason.is_empty()) {
            (false, false) => write!(f, "{}: {}", self.kind, self.reason)?,
            (false, true) => f.write_str(&self.kind)?,
            _ => f.write_str(&self.reason)?,
        }
        if let Some(cause) = &self.caused_by {
            write!(f, " (caused by {cause})")?;
        }
        Ok(())
    }
}

/// What most callers need from a `_bulk` response: counts, and the failed items.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkSummary {
    /// `took`, in milliseconds.
    pub took: u64,
    /// `errors`.
    pub errors: bool,
    /// Number of items in the response.
    pub items: usize,
    /// The failed items, each with its position in the request.
    pub failed: Vec<(usize, BulkItem)>,
}

/// Parses a whole `_bulk` response.
///
/// ES 7's `_type` and any other unknown field are ignored. A whole-request error body
/// (`{"error":{...},"status":400}`) is an error naming the server's error type and reason.
///
/// # Errors
/// [`Error::InvalidBulkResponse`] when the body is not a bulk response.
pub fn parse_bulk_response(body: &[u8]) -> Result<BulkResponse> {
    let parsed = parse(body, Mode::Full)?;
    Ok(BulkResponse {
        took: parsed.took,
        errors: parsed.errors,
        items: parsed.kept.into_iter().map(|(_, item)| item).collect(),
    })
}

/// Summarises a `_bulk` response without building what is not needed: when `errors` is false
/// (and comes before `items`, as Elasticsearch writes it) the items are only counted, never
/// built; otherwise only the failed items are built.
///
/// ```
/// let body = br#"{"took":3,"errors":false,"items":[{"index":{"_index":"logs","_id":"a","status":201,"result":"created"}}]}"#;
/// let s = ndjson_codec::summarize_bulk_response(body)?;
/// assert_eq!((s.took, s.errors, s.items, s.failed.len()), (3, false, 1, 0));
/// # Ok::<(), ndjson_codec::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidBulkResponse`] when the body is not a bulk response.
pub fn summarize_bulk_response(body: &[u8]) -> Result<BulkSummary> {
    let parsed = parse(body, Mode::FailedOnly)?;
    Ok(BulkSummary {
        took: parsed.took,
        errors: parsed.errors,
        items: parsed.count,
        failed: parsed.kept,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Full,
    FailedOnly,
}

struct Parsed {
    took: u64,
    errors: bool,
    count: usize,
    kept: Vec<(usize, BulkItem)>,
}

fn parse(body: &[u8], mode: Mode) -> Result<Parsed> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = de
        .deserialize_map(ResponseVisitor { mode })
        .and_then(|p| de.end().map(|()| p))
        .map_err(|e| Error::InvalidBulkResponse {
            reason: e.to_string(),
        })?;
    parsed.map_err(|reason| Error::InvalidBulkResponse { reason })
}

struct ResponseVisitor {
    mode: Mode,
}

impl<'de> Visitor<'de> for ResponseVisitor {
    /// Outer error: malformed JSON; inner: a well-formed body that is not a bulk response.
    type Value = std::result::Result<Parsed, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a bulk response object")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut took = None;
        let mut errors = None;
        let mut items = None;
        let mut request_error = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "took" => took = Some(map.next_value::<u64>()?),
                "errors" => errors = Some(map.next_value::<bool>()?),
                "items" => {
                    let keep = match (self.mode, errors) {
                        (Mode::FailedOnly, Some(false)) => Keep::None,
                        (Mode::FailedOnly, _) => Keep::Failed,
                        (Mode::Full, _) => Keep::All,
                    };
                    items = Some(map.next_value_seed(ItemsSeed { keep })?);
                }
                "error" => request_error = Some(map.next_value::<Value>()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if let Some(e) = request_error {
            return Ok(Err(format!(
                "the request failed: {}",
                BulkItemError::from_value(e)
            )));
        }
        let (Some(took), Some(errors), Some((count, kept))) = (took, errors, items) else {
            return Ok(Err(
                "missing `took`, `errors` or `items` (not a _bulk response)".to_owned(),
            ));
        };
        Ok(Ok(Parsed {
            took,
            errors,
            count,
            kept,
        }))
    }
}

#[derive(Debug, Clone, Copy)]
enum Keep {
    None,
    Failed,
    All,
}

struct ItemsSeed {
    keep: Keep,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed {
    type Value = (usize, Vec<(usize, BulkItem)>);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed {
    type Value = (usize, Vec<(usize, BulkItem)>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of bulk items")
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut count = 0;
        let mut kept = Vec::new();
        match self.keep {
            Keep::None => {
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    count += 1;
                }
            }
            Keep::Failed | Keep::All => {
                let all = matches!(self.keep, Keep::All);
                while let Some(raw) = seq.next_element::<RawItem<'de>>()? {
                    if all || raw.body.error.is_some() {
                        kept.push((count, raw.into_item()));
                    }
                    count += 1;
                }
            }
        }
        Ok((count, kept))
    }
}

/// One item, borrowed from the body where possible.
struct RawItem<'a> {
    op: BulkOp,
    body: RawItemBody<'a>,
}

#[derive(Deserialize)]
struct RawItemBody<'a> {
    #[serde(rename = "_index", borrow, default)]
    index: Option<Cow<'a, str>>,
    #[serde(rename = "_id", borrow, default)]
    id: Option<Cow<'a, str>>,
    status: u16,
    #[serde(borrow, default)]
    result: Option<Cow<'a, str>>,
    #[serde(default)]
    error: Option<Value>,
}

impl RawItem<'_> {
    fn into_item(self) -> BulkItem {
        let b = self.body;
        BulkItem {
            op: self.op,
            index: b.index.map(Cow::into_owned).unwrap_or_default(),
            id: b.id.map(Cow::into_owned),
            status: b.status,
            result: b.result.map(Cow::into_owned),
            error: b.error.map(BulkItemError::from_value),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawItem<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_map(RawItemVisitor(std::marker::PhantomData))
    }
}

struct RawItemVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for RawItemVisitor<'a> {
    type Value = RawItem<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a bulk item like {\"index\":{...}}")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let Some(key) = map.next_key::<Cow<'de, str>>()? else {
            return Err(de::Error::custom(
                "empty bulk item, expected {\"index\":{...}}",
            ));
        };
        let Some(op) = BulkOp::parse(&key) else {
            return Err(de::Error::custom(format!("unknown bulk action `{key}`")));
        };
        let body = map.next_value::<RawItemBody<'a>>()?;
        if let Some(extra) = map.next_key::<Cow<'de, str>>()? {
            return Err(de::Error::custom(format!(
                "bulk item has a second key `{extra}` after `{op}`"
            )));
        }
        Ok(RawItem { op, body })
    }
}

#[cfg(test)]
mod tests;
