/// Everything that can go wrong in the model: each variant names the offending input.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A field reference that is neither `[a][b]` nor `a.b` form.
    #[error("invalid field reference {input:?}: {reason}")]
    InvalidFieldRef { input: String, reason: &'static str },
    /// A level name or number that matches no known level.
    #[error("invalid log level {0:?}")]
    InvalidLevel(String),
    /// A timestamp that no supported format accepts.
    #[error("invalid timestamp {input:?}: {reason}")]
    InvalidTimestamp { input: String, reason: String },
    /// A date pattern with a letter Sluice does not implement.
    #[error("invalid date pattern {pattern:?}: {reason}")]
    InvalidDatePattern { pattern: String, reason: String },
    /// A sprintf template that does not parse (for instance an unclosed `%{`).
    #[error("invalid template {input:?}: {reason}")]
    InvalidTemplate { input: String, reason: &'static str },
    /// An index name Elasticsearch would reject; the reason is Elasticsearch's wording.
    #[error("invalid index name [{name}], {reason}")]
    InvalidIndexName { name: String, reason: String },
    /// Bytes that are not one JSON object.
    #[error("invalid event: {0}")]
    InvalidEvent(String),
}

/// The model's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
