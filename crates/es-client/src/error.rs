//! The crate's one error type.

use std::time::Duration;

/// Everything that can go wrong talking to Elasticsearch.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A node URL, header or option that cannot be used.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// TLS setup failed (bad CA file, bad fingerprint).
    #[error("tls: {0}")]
    Tls(String),
    /// No TCP/TLS connection could be made, or it broke before a response.
    #[error("connection to {node} failed: {reason}")]
    Connection {
        /// The node that failed.
        node: String,
        /// What happened.
        reason: String,
        /// True when the request may have reached the server (the connection broke after it was sent).
        possibly_sent: bool,
    },
    /// No response within the timeout; the request may have been applied.
    #[error("request to {node} timed out after {timeout:?}")]
    Timeout {
        /// The node that did not answer.
        node: String,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// Elasticsearch answered with a non-success status.
    #[error("{method} {path} returned {status}{}", es_suffix(.error_type, .reason))]
    Status {
        /// The HTTP method.
        method: String,
        /// The request path.
        path: String,
        /// The HTTP status.
        status: u16,
        /// ES `error.type` when the body has one.
        error_type: Option<String>,
        /// ES `error.reason` when the body has one.
        reason: Option<String>,
        /// The response body (truncated to 4 KiB).
        body: String,
    },
    /// The response lacks `X-Elastic-Product: Elasticsearch` and the product check is on.
    #[error(
        "the server at {node} is not Elasticsearch (no `X-Elastic-Product: Elasticsearch` header)"
    )]
    ProductCheck {
        /// The node that answered.
        node: String,
    },
    /// A response body that is not the JSON we expected.
    #[error("cannot decode the response of {what}: {reason}")]
    Decode {
        /// The API or field decoded.
        what: String,
        /// The parse error.
        reason: String,
    },
    /// A body that could not be encoded.
    #[error("cannot encode the request: {0}")]
    Encode(String),
    /// The bulk indexer was closed, or its worker stopped.
    #[error("the bulk indexer is closed")]
    Closed,
    /// I/O on a local file (dead-letter file, CA file).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn es_suffix(error_type: &Option<String>, reason: &Option<String>) -> String {
    match (error_type, reason) {
        (Some(t), Some(r)) => format!(": {t}: {r}"),
        (Some(t), None) => format!(": {t}"),
        (None, Some(r)) => format!(": {r}"),
        (None, None) => String::new(),
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The HTTP status Elasticsearch answered with, if it answered.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// ES `error.type` (e.g. `index_not_found_exception`), if any.
    #[must_use]
    pub fn error_type(&self) -> Option<&str> {
        match self {
            Error::Status { error_type, .. } => error_type.as_deref(),
            _ => None,
        }
    }

    /// ES `error.reason`, if any.
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        match self {
            Error::Status { reason, .. } => reason.as_deref(),
            _ => None,
        }
    }

    /// True for failures worth retrying later: connection errors, timeouts, 429 and 502/503/504.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Connection { .. } | Error::Timeout { .. } => true,
            Error::Status { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// True when the request timed out (it may have been applied).
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// True for 404 (missing index or document).
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// True for 409 (version conflict, document already exists).
    #[must_use]
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    /// True for 401 and 403 (missing or wrong credentials, no privilege).
    #[must_use]
    pub fn is_unauthorized(&self) -> bool {
        matches!(self.status(), Some(401 | 403))
    }

    /// True when the index already exists (`resource_already_exists_exception`).
    #[must_use]
    pub fn is_already_exists(&self) -> bool {
        self.error_type() == Some("resource_already_exists_exception")
    }

    /// True when the request may have reached the server before it failed (timeout, a
    /// connection that broke after the request was written, or a proxy's 502/504 — the
    /// backend may have applied it): re-sending a non-idempotent write could duplicate it.
    #[must_use]
    pub fn is_possibly_applied(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Connection { possibly_sent, .. } => *possibly_sent,
            Error::Status { status, .. } => matches!(status, 502 | 504),
            _ => false,
        }
    }

    pub(crate) fn decode(what: &str, e: impl std::fmt::Display) -> Error {
        Error::Decode {
            what: what.to_owned(),
            reason: e.to_string(),
        }
    }
}
