//! Elasticsearch-shaped failure responses of the HTTP surface.
//!
//! Most failures are engine-style [`Error`]s (`{"error":{"root_cause":[..],"type":..,"reason":..},
//! "status":N}`); a few use the shorter shapes ES's REST layer itself produces (405, 406, no handler).

use http::StatusCode;
use serde_json::{Map, Value, json};

use crate::Error;

/// One failed request, as answered.
#[derive(Debug)]
pub(crate) enum Failure {
    /// An exception body with `root_cause`.
    Es(Error),
    /// ES's "simple error response": `{"error":"reason","status":N}` (405, 406), with the
    /// `Allow` header value for 405.
    Simple {
        status: StatusCode,
        reason: String,
        allow: Option<String>,
    },
    /// `{"error":"reason"}` with 400 (ES's answer when no handler matches).
    Bare(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Es(e)
    }
}

impl Failure {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Failure::Es(e) => {
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Failure::Simple { status, .. } => *status,
            Failure::Bare(_) => StatusCode::BAD_REQUEST,
        }
    }

    pub(crate) fn body(&self) -> Value {
        match self {
            Failure::Es(e) => e.to_es_body(),
            Failure::Simple { status, reason, .. } => {
                json!({ "error": reason, "status": status.as_u16() })
            }
            Failure::Bare(reason) => json!({ "error": reason }),
        }
    }
}

/// `400 parse_exception`.
pub(crate) fn parse_exception(reason: impl Into<String>) -> Error {
    Error::es(400, "parse_exception", reason)
}

/// The request body is missing where one is required.
pub(crate) fn body_required() -> Error {
    parse_exception("request body is required")
}

/// `400 x_content_parse_exception` naming line and column as ES does (`[line:column] reason`).
pub(crate) fn json_syntax(err: &serde_json::Error) -> Error {
    Error::x_content(format!(
        "[{}:{}] {}",
        err.line(),
        err.column(),
        json_reason(err)
    ))
}

/// serde_json's message without its trailing " at line L column C".
fn json_reason(err: &serde_json::Error) -> String {
    let full = err.to_string();
    match full.rfind(" at line ") {
        Some(at) => full[..at].to_owned(),
        None => full,
    }
}

/// Parses a JSON request body that must be an object.
///
/// # Errors
/// `x_content_parse_exception` naming line and column, or `parse_exception` for a non-object.
pub(crate) fn parse_json_object(body: &[u8]) -> Result<Map<String, Value>, Error> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(parse_exception(format!(
            "request body must be a JSON object, found [{}]",
            token_name(&other)
        ))),
        Err(e) => Err(json_syntax(&e)),
    }
}

/// ES's token name for the first token of a JSON value.
pub(crate) fn token_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "VALUE_NULL",
        Value::Bool(_) => "VALUE_BOOLEAN",
        Value::Number(_) => "VALUE_NUMBER",
        Value::String(_) => "VALUE_STRING",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
    }
}
