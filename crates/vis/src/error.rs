//! The crate's one error type.

/// What can go wrong while checking a spec, building its request or reading its answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A spec, filter or request member that cannot be used; `path` names it
    /// (`spec.buckets[1].interval`).
    #[error("{path}: {reason}")]
    Invalid {
        /// Where in the request.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A KQL query that does not parse (with its position).
    #[error(transparent)]
    Kql(#[from] kql::Error),
    /// The backend's answer lacks a part the request asked for.
    #[error("unexpected search response: {0}")]
    BadResponse(String),
}

impl Error {
    /// An invalid member at `path`.
    pub fn invalid(path: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Invalid {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// True for mistakes in the request (HTTP 400), false for a bad backend answer.
    pub fn is_bad_request(&self) -> bool {
        matches!(self, Error::Invalid { .. } | Error::Kql(_))
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
