//! The crate's error type (runtime side; the config language reports through [`Error::Config`]).

/// Everything that can go wrong building or running a pipeline.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or socket operation failed; `what` names the file, address or plugin.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A plugin setting is invalid (named with the plugin and, when known, its position).
    #[error("{0}")]
    Setting(String),
    /// A pipeline setting (`-w`, `--queue.type`, ...) is invalid.
    #[error("invalid setting {name}: {reason}")]
    PipelineSetting { name: String, reason: String },
    /// The persisted queue is damaged or cannot be used.
    #[error("persisted queue {path}: {reason}")]
    Queue { path: String, reason: String },
    /// The queue was closed (the pipeline is shutting down).
    #[error("the queue is closed (pipeline shutting down)")]
    Closed,
    /// The config file did not parse or validate.
    #[error("{0}")]
    Config(String),
    /// A config error at a position: `file:line:column: message` (Logstash's message).
    #[error("{span}: {message}")]
    ConfigAt {
        span: crate::config::Span,
        message: String,
    },
    /// An output failed in a way that cannot be retried.
    #[error("output {plugin}: {reason}")]
    Output { plugin: String, reason: String },
}

impl Error {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            what: what.into(),
            source,
        }
    }

    pub(crate) fn queue(path: &std::path::Path, reason: impl Into<String>) -> Self {
        Error::Queue {
            path: path.display().to_string(),
            reason: reason.into(),
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
