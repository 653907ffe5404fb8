//! The engine's error type: every failure carries Elasticsearch's `status`, `type` and `reason`.

use serde_json::{Map, Value, json};

/// An engine error. Every variant renders as an Elasticsearch error body.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An error Elasticsearch would answer with the given status, type and reason.
    #[error("{kind} ({status}): {reason}")]
    Es {
        /// HTTP status.
        status: u16,
        /// ES error `type`, e.g. `index_not_found_exception`.
        kind: String,
        /// ES error `reason`.
        reason: String,
        /// Extra members of the error object (`index`, `index_uuid`, `resource.id` ...).
        extra: Box<Map<String, Value>>,
        /// Nested `caused_by`.
        caused_by: Option<Box<Error>>,
    },
    /// A file-system failure.
    #[error("i/o error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A tantivy failure.
    #[error("index engine error on [{index}]: {source}")]
    Tantivy {
        /// The ES index name.
        index: String,
        /// The cause.
        #[source]
        source: tantivy::TantivyError,
    },
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An ES-shaped error with the given status, `type` and `reason`.
    pub fn es(status: u16, kind: &str, reason: impl Into<String>) -> Error {
        Error::Es {
            status,
            kind: kind.to_owned(),
            reason: reason.into(),
            extra: Box::default(),
            caused_by: None,
        }
    }

    /// 400 `action_request_validation_exception`, its problems numbered as Elasticsearch does:
    /// `Validation Failed: 1: a;2: b;`.
    pub fn validation<S: AsRef<str>>(problems: &[S]) -> Error {
        let mut reason = String::from("Validation Failed: ");
        for (i, p) in problems.iter().enumerate() {
            reason.push_str(&format!("{}: {};", i + 1, p.as_ref()));
        }
        Error::es(400, "action_request_validation_exception", reason)
    }

    /// 400 `illegal_argument_exception`.
    pub fn illegal_argument(reason: impl Into<String>) -> Error {
        Error::es(400, "illegal_argument_exception", reason)
    }

    /// 400 `parsing_exception` (the query DSL's error for unknown or malformed clauses).
    pub fn parsing(reason: impl Into<String>) -> Error {
        Error::es(400, "parsing_exception", reason)
    }

    /// 400 `x_content_parse_exception`.
    pub fn x_content(reason: impl Into<String>) -> Error {
        Error::es(400, "x_content_parse_exception", reason)
    }

    /// 400 `invalid_index_name_exception`: `Invalid index name [name], reason`.
    pub fn invalid_index_name(name: &str, reason: &str) -> Error {
        Error::es(
            400,
            "invalid_index_name_exception",
            format!("Invalid index name [{name}], {reason}"),
        )
        .with("index_uuid", "_na_")
        .with("index", name)
    }

    /// 404 `index_not_found_exception` for `index`.
    pub fn index_not_found(index: &str) -> Error {
        Error::es(
            404,
            "index_not_found_exception",
            format!("no such index [{index}]"),
        )
        .with("resource.type", "index_or_alias")
        .with("resource.id", index)
        .with("index_uuid", "_na_")
        .with("index", index)
    }

    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    /// A tantivy error on index `index`.
    pub fn tantivy(index: &str, source: tantivy::TantivyError) -> Error {
        Error::Tantivy {
            index: index.to_owned(),
            source,
        }
    }

    /// Adds an extra member to the error object (no-op for non-ES variants).
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Error {
        if let Error::Es { extra, .. } = &mut self {
            extra.insert(key.to_owned(), value.into());
        }
        self
    }

    /// Sets `caused_by`.
    #[must_use]
    pub fn caused_by(mut self, cause: Error) -> Error {
        if let Error::Es { caused_by, .. } = &mut self {
            *caused_by = Some(Box::new(cause));
        }
        self
    }

    /// The HTTP status Elasticsearch answers with.
    pub fn status(&self) -> u16 {
        match self {
            Error::Es { status, .. } => *status,
            Error::Io { .. } | Error::Tantivy { .. } => 500,
        }
    }

    /// The ES error `type`.
    pub fn es_type(&self) -> &str {
        match self {
            Error::Es { kind, .. } => kind,
            Error::Io { .. } => "io_exception",
            Error::Tantivy { .. } => "exception",
        }
    }

    /// The ES error `reason`.
    pub fn reason(&self) -> String {
        match self {
            Error::Es { reason, .. } => reason.clone(),
            // a response never shows where the data lives (the log line has the full path)
            Error::Io { path, source } => format!(
                "i/o error on [{}]: {}",
                last_component(path),
                redact_paths(&source.to_string())
            ),
            Error::Tantivy { index, source } => format!(
                "index engine error on [{index}]: {}",
                redact_paths(&source.to_string())
            ),
        }
    }

    /// True for 429 (the client should retry later).
    pub fn is_retryable(&self) -> bool {
        self.status() == 429
    }

    /// The error object used inside bulk items and as `error` of the body:
    /// `{"type","reason",...extra,"caused_by":{..}}`.
    pub fn to_item_error(&self) -> Value {
        let mut obj = self.root_object();
        if let Error::Es {
            caused_by: Some(cause),
            ..
        } = self
        {
            obj.insert("caused_by".into(), cause.to_item_error());
        }
        Value::Object(obj)
    }

    fn root_object(&self) -> Map<String, Value> {
        let mut obj = Map::new();
        obj.insert("type".into(), Value::from(self.es_type()));
        obj.insert("reason".into(), Value::from(self.reason()));
        if let Error::Es { extra, .. } = self {
            for (k, v) in extra.iter() {
                obj.insert(k.clone(), v.clone());
            }
        }
        obj
    }

    /// The whole ES error body: `{"error":{"root_cause":[..],"type",..},"status":N}`.
    pub fn to_es_body(&self) -> Value {
        let mut error = Map::new();
        let root = match self {
            // failures listed per shard: their reasons are the root causes (none for a failure of
            // the reduce, which lists no shard)
            Error::Es { kind, extra, .. }
                if kind == "search_phase_execution_exception"
                    && extra.get("failed_shards").is_some_and(Value::is_array) =>
            {
                let reasons: Vec<Value> = extra["failed_shards"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| f["reason"].clone())
                    .collect();
                error.insert("root_cause".into(), Value::Array(reasons));
                if let Value::Object(inner) = self.to_item_error() {
                    error.extend(inner);
                }
                return json!({"error": Value::Object(error), "status": self.status()});
            }
            Error::Es {
                kind,
                caused_by: Some(cause),
                ..
            } if kind == "search_phase_execution_exception" => cause.root_object(),
            // a document's field refused by a parser of Elasticsearch's own (a geo point's, a
            // flattened field's):
            // Elasticsearch's root cause is that parser's exception
            Error::Es {
                kind,
                caused_by: Some(cause),
                ..
            } if (kind == "document_parsing_exception"
                && matches!(&**cause, Error::Es { kind, .. } if kind == "parse_exception" || kind == "parsing_exception"))
                || (kind == "x_content_parse_exception"
                    && matches!(&**cause, Error::Es { kind, .. } if kind == "named_object_not_found_exception")) =>
            {
                cause.root_object()
            }
            _ => self.root_object(),
        };
        error.insert("root_cause".into(), Value::Array(vec![Value::Object(root)]));
        if let Value::Object(inner) = self.to_item_error() {
            error.extend(inner);
        }
        json!({"error": Value::Object(error), "status": self.status()})
    }
}

impl From<log_model::Error> for Error {
    fn from(e: log_model::Error) -> Error {
        match e {
            log_model::Error::InvalidIndexName { name, reason } => {
                Error::invalid_index_name(&name, &reason)
            }
            other => Error::illegal_argument(other.to_string()),
        }
    }
}

fn last_component(path: &str) -> &str {
    path.rsplit('/').find(|s| !s.is_empty()).unwrap_or(path)
}

/// Replaces every absolute path (`/a/b/c`, at least two separators) in `text` by `…/c`.
pub(crate) fn redact_paths(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('/') {
        let starts_word = rest[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || "\"'([{=:".contains(c));
        let end = rest[at..]
            .find(|c: char| c.is_whitespace() || "\"'()[]{},".contains(c))
            .map_or(rest.len(), |e| at + e);
        let candidate = &rest[at..end];
        out.push_str(&rest[..at]);
        if starts_word && candidate.matches('/').count() >= 2 {
            out.push('…');
            out.push('/');
            out.push_str(last_component(candidate));
        } else {
            out.push_str(candidate);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_never_show_server_paths() {
        fn check(input: &str, expected: &str) {
            assert_eq!(redact_paths(input), expected, "{input}");
        }
        check("no path here", "no path here");
        check("a/b is relative", "a/b is relative");
        check(
            "FileDoesNotExist(\"/srv/data/indices/x/meta.json\")",
            "FileDoesNotExist(\"…/meta.json\")",
        );
        check("open /tmp/x/y: denied", "open …/y: denied");
        check("ratio 1/2", "ratio 1/2");
        let e = Error::io(
            "/srv/data/indices/logs/translog-1.tlog",
            std::io::Error::other("No space left on device"),
        );
        assert_eq!(
            e.reason(),
            "i/o error on [translog-1.tlog]: No space left on device"
        );
        assert!(!e.to_es_body().to_string().contains("/srv"));
    }
}
