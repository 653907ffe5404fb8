//! The crate's error type.

use crate::BulkOp;

/// Everything that can go wrong in this crate except I/O on a stream (the codec and the
/// reader report I/O as `std::io::Error`, and bad lines as [`Frame`](crate::Frame) items).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A `_bulk` response body that is not the shape Elasticsearch sends.
    #[error("invalid bulk response: {reason}")]
    InvalidBulkResponse {
        /// What was wrong, with the line and column from the JSON parser where there is one.
        reason: String,
    },
    /// An `index`, `create` or `update` action without a source document.
    #[error("bulk action `{op}` needs a source document")]
    MissingSource {
        /// The action.
        op: BulkOp,
    },
    /// A `delete` action given a source document (ES would read it as the next action line).
    #[error("bulk action `{op}` takes no source document")]
    UnexpectedSource {
        /// The action.
        op: BulkOp,
    },
    /// A source document that does not fit on one NDJSON line.
    #[error(
        "bulk source document contains a newline at byte {position}: it must be compact JSON on one line"
    )]
    SourceContainsNewline {
        /// Byte position of the first `\n` inside the source.
        position: usize,
    },
    /// A source document that does not start with `{` (ES requires an object).
    #[error("bulk source document is not a JSON object (starts with {found:?})")]
    SourceNotAnObject {
        /// The first bytes of the source, lossily decoded.
        found: String,
    },
    /// A decoded line that could not become a [`log_model::LogEvent`].
    #[error("line {line} (byte offset {offset}): {reason}")]
    NotAnEvent {
        /// 1-based line number in the stream.
        line: u64,
        /// Byte offset of the line's first byte in the stream.
        offset: u64,
        /// Why, e.g. "invalid json: expected value at line 1 column 2".
        reason: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
