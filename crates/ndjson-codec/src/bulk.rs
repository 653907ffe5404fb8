//! The `_bulk` request body encoder.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use crate::{Error, Result};

/// A `_bulk` action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BulkOp {
    /// Add or replace a document (source required).
    Index,
    /// Add a document; fails with 409 if the `_id` exists (source required).
    Create,
    /// Partial update (the source is the update body, e.g. `{"doc":{...}}`; `_id` required by ES).
    Update,
    /// Delete a document by `_id` (no source).
    Delete,
}

impl BulkOp {
    /// The action's name in a bulk body: `index`, `create`, `update`, `delete`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            BulkOp::Index => "index",
            BulkOp::Create => "create",
            BulkOp::Update => "update",
            BulkOp::Delete => "delete",
        }
    }

    /// Parses an action name as it appears in bulk bodies and responses.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "index" => BulkOp::Index,
            "create" => BulkOp::Create,
            "update" => BulkOp::Update,
            "delete" => BulkOp::Delete,
            _ => return None,
        })
    }

    /// Whether a source line follows the action line.
    #[must_use]
    pub fn has_source(self) -> bool {
        !matches!(self, BulkOp::Delete)
    }
}

impl fmt::Display for BulkOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The action line of one bulk item: `{"index":{"_index":"logs","_id":"1"}}`.
/// Without `index`, the index comes from the request path (`POST /logs/_bulk`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkAction<'a> {
    /// The action.
    pub op: BulkOp,
    /// `_index`; default none (the path's index applies).
    pub index: Option<&'a str>,
    /// `_id`; default none (ES assigns one for index/create).
    pub id: Option<&'a str>,
    /// `retry_on_conflict` (written for `update` actions only); default none.
    pub retry_on_conflict: Option<u32>,
}

impl<'a> BulkAction<'a> {
    /// An action with no `_index` or `_id`.
    #[must_use]
    pub fn new(op: BulkOp) -> Self {
        Self {
            op,
            index: None,
            id: None,
            retry_on_conflict: None,
        }
    }

    /// `{"index":{}}`.
    #[must_use]
    pub fn index() -> Self {
        Self::new(BulkOp::Index)
    }

    /// `{"create":{}}`.
    #[must_use]
    pub fn create() -> Self {
        Self::new(BulkOp::Create)
    }

    /// `{"update":{"_id":…}}`.
    #[must_use]
    pub fn update(id: &'a str) -> Self {
        Self::new(BulkOp::Update).with_id(id)
    }

    /// `{"delete":{"_id":…}}`.
    #[must_use]
    pub fn delete(id: &'a str) -> Self {
        Self::new(BulkOp::Delete).with_id(id)
    }

    /// Sets `_index`.
    #[must_use]
    pub fn with_index(mut self, index: &'a str) -> Self {
        self.index = Some(index);
        self
    }

    /// Sets `_id`.
    #[must_use]
    pub fn with_id(mut self, id: &'a str) -> Self {
        self.id = Some(id);
        self
    }

    /// Sets `retry_on_conflict` (sent with `update` actions; Elasticsearch refuses it on others).
    #[must_use]
    pub fn with_retry_on_conflict(mut self, retries: u32) -> Self {
        self.retry_on_conflict = Some(retries);
        self
    }

    /// Appends the action line, with its `\n`.
    fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"");
        out.extend_from_slice(self.op.as_str().as_bytes());
        out.extend_from_slice(b"\":{");
        let mut first = true;
        for (key, value) in [("_index", self.index), ("_id", self.id)] {
            let Some(value) = value else { continue };
            if !first {
                out.push(b',');
            }
            first = false;
            out.push(b'"');
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            write_json_string(out, value);
        }
        if let (BulkOp::Update, Some(n)) = (self.op, self.retry_on_conflict) {
            if !first {
                out.push(b',');
            }
            out.extend_from_slice(format!("\"retry_on_conflict\":{n}").as_bytes());
        }
        out.extend_from_slice(b"}}\n");
    }
}

/// Writes `s` as a JSON string literal.
fn write_json_string(out: &mut Vec<u8>, s: &str) {
    let plain = s
        .bytes()
        .all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b != 0x7f);
    if plain {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // serde_json escapes exactly what JSON needs; writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// When a [`BulkEncoder`] closes a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkLimits {
    /// Most items (documents or deletes) in one body. Default 5,000. Values below 1 count as 1.
    pub max_docs: usize,
    /// Most bytes in one body. Default 5 MiB. A body exceeds it only when a single item
    /// alone is larger; that body then holds just that item and is [`BulkBody::is_oversized`].
    pub max_bytes: usize,
}

impl Default for BulkLimits {
    fn default() -> Self {
        Self {
            max_docs: 5_000,
            max_bytes: 5 << 20,
        }
    }
}

/// One complete `_bulk` request body: action and source lines, ending with `\n`
/// (send it with `Content-Type: application/x-ndjson`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkBody {
    bytes: Bytes,
    /// Byte offset where each item's action line starts.
    starts: Vec<usize>,
    oversized: bool,
}

impl BulkBody {
    /// The body.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The body, without copying.
    #[must_use]
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// Size in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Never true: the encoder emits no empty bodies.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Number of items (actions) in the body; the response has one item per action, in order.
    #[must_use]
    pub fn docs(&self) -> usize {
        self.starts.len()
    }

    /// True when this body holds a single item larger than [`BulkLimits::max_bytes`].
    #[must_use]
    pub fn is_oversized(&self) -> bool {
        self.oversized
    }

    /// The lines of item `i` (its action line and, if any, its source line, each with `\n`),
    /// e.g. to re-send the items a response rejected with 429.
    #[must_use]
    pub fn item(&self, i: usize) -> Option<&[u8]> {
        let start = *self.starts.get(i)?;
        let end = self.starts.get(i + 1).copied().unwrap_or(self.bytes.len());
        Some(&self.bytes[start..end])
    }

    /// Every item's lines, in order (see [`BulkBody::item`]).
    pub fn items(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        (0..self.docs()).map(|i| self.item(i).unwrap_or_default())
    }
}

/// Builds `_bulk` request bodies from actions and raw JSON sources, closing a body when the
/// next item would break [`BulkLimits`].
///
/// Sources are passed through as bytes (no parse, no re-serialisation): they must be one JSON
/// object on one line, as [`Frame::Object`](crate::Frame::Object) lines are. The encoder checks
/// the cheap part of that (starts with `{`, no `\n`) and refuses the rest.
///
/// ```
/// use ndjson_codec::{BulkAction, BulkEncoder, BulkLimits};
///
/// let mut enc = BulkEncoder::new(BulkLimits { max_docs: 2, ..BulkLimits::default() });
/// let action = BulkAction::index().with_index("python-logs");
/// assert!(enc.push(&action, Some(br#"{"n":1}"#))?.is_none());
/// let full = enc.push(&action, Some(br#"{"n":2}"#))?.expect("two docs make a full body");
/// assert_eq!(
///     full.as_bytes(),
///     b"{\"index\":{\"_index\":\"python-logs\"}}\n{\"n\":1}\n{\"index\":{\"_index\":\"python-logs\"}}\n{\"n\":2}\n"
/// );
/// enc.push(&BulkAction::delete("42"), None)?;
/// assert_eq!(enc.finish().unwrap().as_bytes(), b"{\"delete\":{\"_id\":\"42\"}}\n");
/// # Ok::<(), ndjson_codec::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct BulkEncoder {
    limits: BulkLimits,
    buf: BytesMut,
    starts: Vec<usize>,
    oversized: bool,
    scratch: Vec<u8>,
}

impl BulkEncoder {
    /// An encoder with the given limits.
    #[must_use]
    pub fn new(limits: BulkLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// Makes room for about `bytes` more bytes of body (action and source lines), so that a
    /// body whose size the caller can estimate is built without regrowing.
    pub fn reserve(&mut self, bytes: usize) {
        self.buf.reserve(bytes.min(self.limits.max_bytes));
    }

    /// The limits in use.
    #[must_use]
    pub fn limits(&self) -> BulkLimits {
        self.limits
    }

    /// Items in the body being built.
    #[must_use]
    pub fn pending_docs(&self) -> usize {
        self.starts.len()
    }

    /// Bytes in the body being built.
    #[must_use]
    pub fn pending_bytes(&self) -> usize {
        self.buf.len()
    }

    /// True when no item is pending.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Appends one item: the action and, for index/create/update, its source (one JSON object,
    /// no `\n`). Returns a finished body when the limits close one: either the pending items,
    /// because this item would not fit with them (this item then starts the next body), or the
    /// pending items including this one, because they reached a limit.
    ///
    /// An item larger than [`BulkLimits::max_bytes`] on its own still goes out, alone, in a body
    /// marked [`BulkBody::is_oversized`] (and a warning is logged), since only the server can
    /// say whether it accepts it.
    ///
    /// # Errors
    /// [`Error::MissingSource`], [`Error::UnexpectedSource`], [`Error::SourceContainsNewline`],
    /// [`Error::SourceNotAnObject`]; the item is then not added.
    pub fn push(
        &mut self,
        action: &BulkAction<'_>,
        source: Option<&[u8]>,
    ) -> Result<Option<BulkBody>> {
        check_source(action.op, source)?;
        self.scratch.clear();
        action.write_to(&mut self.scratch);
        let source_len = source.map_or(0, |s| s.len() + 1);
        let item_len = self.scratch.len() + source_len;
        let max_docs = self.limits.max_docs.max(1);

        let mut out = None;
        if !self.is_empty()
            && (self.starts.len() >= max_docs || self.buf.len() + item_len > self.limits.max_bytes)
        {
            out = self.take();
        }
        self.buf.reserve(item_len);
        self.starts.push(self.buf.len());
        self.buf.put_slice(&self.scratch);
        if let Some(source) = source {
            self.buf.put_slice(source);
            self.buf.put_u8(b'\n');
        }
        if item_len > self.limits.max_bytes {
            tracing::warn!(
                item_bytes = item_len,
                max_bytes = self.limits.max_bytes,
                op = %action.op,
                "bulk item is larger than the body limit; sending it alone"
            );
            self.oversized = true;
        }
        if out.is_none()
            && (self.starts.len() >= max_docs || self.buf.len() >= self.limits.max_bytes)
        {
            out = self.take();
        }
        Ok(out)
    }

    /// The body holding the pending items, if any.
    pub fn finish(&mut self) -> Option<BulkBody> {
        self.take()
    }

    fn take(&mut self) -> Option<BulkBody> {
        if self.starts.is_empty() {
            return None;
        }
        Some(BulkBody {
            bytes: self.buf.split().freeze(),
            starts: std::mem::take(&mut self.starts),
            oversized: std::mem::take(&mut self.oversized),
        })
    }
}

fn check_source(op: BulkOp, source: Option<&[u8]>) -> Result<()> {
    let source = match (op.has_source(), source) {
        (true, Some(s)) => s,
        (true, None) => return Err(Error::MissingSource { op }),
        (false, Some(_)) => return Err(Error::UnexpectedSource { op }),
        (false, None) => return Ok(()),
    };
    let first = source
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r'));
    if first.map(|i| source[i]) != Some(b'{') {
        let shown = &source[..source.len().min(20)];
        return Err(Error::SourceNotAnObject {
            found: String::from_utf8_lossy(shown).into_owned(),
        });
    }
    if let Some(position) = memchr::memchr(b'\n', source) {
        return Err(Error::SourceContainsNewline { position });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
