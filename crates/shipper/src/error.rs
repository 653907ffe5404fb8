//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong while building or running a [`Shipper`](crate::Shipper).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The durable queue could not be opened or used.
    #[error("durable queue {path}: {source}")]
    Queue {
        /// The SQLite database file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// A builder option was out of range.
    #[error("invalid shipper option `{option}`: {reason}")]
    Config {
        /// The option's name, as the builder method is called.
        option: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A background thread could not be started.
    #[error("could not start the shipper's {thread} thread: {source}")]
    Thread {
        /// Which thread.
        thread: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An event handed to `log_json` that cannot be framed as one json_lines event.
    #[error("invalid event: {reason}")]
    InvalidEvent {
        /// What is wrong with it.
        reason: String,
    },
    /// `flush()` or `shutdown()` ran out of time with events still undelivered.
    #[error("timed out after {waited_ms} ms with {pending} event(s) not yet delivered")]
    Timeout {
        /// How long it waited.
        waited_ms: u64,
        /// Events still queued (on disk they stay for the next run).
        pending: u64,
    },
}

impl Error {
    /// True for [`Error::Timeout`]: the transport was too slow or down; nothing was lost
    /// from a durable queue.
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
