//! The crate's error type.

/// What can go wrong configuring the generator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value out of range.
    #[error("invalid generator setting `{setting}`: {reason}")]
    InvalidConfig {
        /// The setting, e.g. `users`.
        setting: &'static str,
        /// Why, e.g. "must be at least 1".
        reason: String,
    },
    /// A time span like `24h` that does not parse.
    #[error("invalid time span {input:?}: {reason}")]
    InvalidSpan {
        /// The text given.
        input: String,
        /// Why.
        reason: &'static str,
    },
    /// A timestamp that does not parse.
    #[error("invalid timestamp {input:?}: {reason}")]
    InvalidTimestamp {
        /// The text given.
        input: String,
        /// Why.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
