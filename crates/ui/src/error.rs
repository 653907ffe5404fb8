//! The UI API's one error shape: `{"error": {"status", "type", "reason", "hint", "position"}}`.

use serde_json::{Value, json};

/// A failed API call, as the browser receives it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind} ({status}): {reason}")]
pub struct Error {
    /// HTTP status of the answer.
    pub status: u16,
    /// What kind of failure (`backend_unreachable`, `kql_syntax_error`, or the backend's
    /// Elasticsearch error `type`).
    pub kind: String,
    /// What went wrong, in the backend's words where it answered.
    pub reason: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// Where in the query text (for query syntax errors).
    pub position: Option<Position>,
}

/// A place in a query text: 0-based byte offset, 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Byte offset.
    pub offset: usize,
    /// Line (from 1).
    pub line: usize,
    /// Column in characters (from 1).
    pub column: usize,
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with a status, kind and reason.
    pub fn new(status: u16, kind: &str, reason: impl Into<String>) -> Error {
        Error {
            status,
            kind: kind.to_owned(),
            reason: reason.into(),
            hint: None,
            position: None,
        }
    }

    /// 400 `bad_request`: the UI API's own validation.
    pub fn bad_request(reason: impl Into<String>) -> Error {
        Error::new(400, "bad_request", reason)
    }

    /// 404 `not_found`.
    pub fn not_found(reason: impl Into<String>) -> Error {
        Error::new(404, "not_found", reason)
    }

    /// Adds a hint.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    /// The answer's body.
    pub fn to_json(&self) -> Value {
        let mut e = json!({"status": self.status, "type": self.kind, "reason": self.reason});
        if let Some(h) = &self.hint {
            e["hint"] = Value::from(h.as_str());
        }
        if let Some(p) = self.position {
            e["position"] = json!({"offset": p.offset, "line": p.line, "column": p.column});
        }
        json!({ "error": e })
    }

    /// True when the backend could not be reached (the browser retries by itself).
    pub fn is_unreachable(&self) -> bool {
        self.kind == "backend_unreachable"
    }

    /// A backend failure, described for someone looking at the UI: where the backend was
    /// looked for, which credentials were tried, and what to do.
    pub fn from_backend(e: &es_client::Error, backend: &str, credentials: &str) -> Error {
        use es_client::Error as E;
        match e {
            E::Connection { reason, .. } => {
                let plain_http = reason.contains("InvalidContentType")
                    || reason.to_ascii_lowercase().contains("invalid content type");
                if plain_http {
                    Error::new(
                        502,
                        "backend_unreachable",
                        format!("{backend} answered in plain HTTP to a TLS connection"),
                    )
                    .with_hint("use an http:// URL for this backend (--es)")
                } else {
                    Error::new(
                        502,
                        "backend_unreachable",
                        format!("cannot reach the backend at {backend}: {reason}"),
                    )
                    .with_hint(format!(
                        "start Elasticsearch or sluice-store at {backend}, or point --es at the \
                         right URL"
                    ))
                }
            }
            E::Timeout { timeout, .. } => Error::new(
                502,
                "backend_unreachable",
                format!("the backend at {backend} did not answer within {timeout:?}"),
            )
            .with_hint("the backend may be overloaded; try again in a moment"),
            E::Status { status, .. } if *status == 401 || *status == 403 => Error::new(
                502,
                "backend_unauthorized",
                format!(
                    "the backend at {backend} answered {status} to {credentials}: {}",
                    e.reason().unwrap_or("no reason given")
                ),
            )
            .with_hint(
                "give the right --user/--password or --api-key (env ES_USER/ES_PASSWORD, \
                 ES_API_KEY)",
            ),
            E::Status {
                status,
                error_type,
                reason,
                ..
            } => {
                let kind = error_type.as_deref().unwrap_or("backend_error");
                let reason = reason
                    .clone()
                    .unwrap_or_else(|| format!("the backend answered {status}"));
                let err = Error::new(*status, kind, root_reason(e).unwrap_or(reason));
                if kind == "index_not_found_exception" {
                    err.with_hint(
                        "no index matches this pattern yet: ship some logs, or choose another \
                         index pattern",
                    )
                } else {
                    err
                }
            }
            E::ProductCheck { node } => Error::new(
                502,
                "backend_unreachable",
                format!("the server at {node} is not Elasticsearch"),
            )
            .with_hint("point --es at Elasticsearch, OpenSearch or sluice-store"),
            other => Error::new(502, "backend_error", other.to_string()),
        }
    }
}

/// The innermost `caused_by` reason of an ES error body (the useful one for query errors).
fn root_reason(e: &es_client::Error) -> Option<String> {
    let es_client::Error::Status { body, .. } = e else {
        return None;
    };
    let v: Value = serde_json::from_str(body).ok()?;
    let mut cur = v.get("error")?;
    let mut depth = 0;
    while let Some(next) = cur.get("caused_by")
        && depth < 16
    {
        cur = next;
        depth += 1;
    }
    // search failures keep the per-shard cause in root_cause
    if depth == 0
        && let Some(root) = v["error"]["root_cause"].get(0)
    {
        cur = root;
    }
    cur.get("reason")?.as_str().map(str::to_owned)
}

impl From<kql::Error> for Error {
    fn from(e: kql::Error) -> Error {
        let p = e.position();
        Error {
            status: 400,
            kind: "kql_syntax_error".to_owned(),
            reason: e.to_string(),
            hint: Some("fix the query (KQL), or switch the query language to Lucene".to_owned()),
            position: Some(Position {
                offset: p.offset,
                line: p.line,
                column: p.column,
            }),
        }
    }
}

impl From<vis::Error> for Error {
    fn from(e: vis::Error) -> Error {
        match e {
            vis::Error::Kql(k) => Error::from(k),
            vis::Error::Invalid { .. } => Error::bad_request(e.to_string()),
            other => Error::new(502, "backend_error", other.to_string()),
        }
    }
}

impl From<vis::exec::PanelError> for Error {
    fn from(e: vis::exec::PanelError) -> Error {
        Error {
            status: e.status,
            kind: e.kind,
            reason: e.reason,
            hint: e.hint,
            position: None,
        }
    }
}

impl Error {
    /// The panel-error shape of this error (a dashboard panel that failed).
    pub fn to_panel_error(&self) -> vis::exec::PanelError {
        vis::exec::PanelError {
            status: self.status,
            kind: self.kind.clone(),
            reason: self.reason.clone(),
            hint: self.hint.clone(),
        }
    }
}
