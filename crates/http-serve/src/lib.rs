//! One HTTP/1.1 server loop for every Sluice server: `sluice-store`'s REST API, `sluice ui`, the
//! agent's monitoring API and its `http` input.
//!
//! Three pieces, each usable alone:
//!
//! - [`serve`] runs a handler on a listener: it accepts with backoff when accepting fails
//!   (`EMFILE`: it sleeps, never spins), sets `TCP_NODELAY`, keeps connections alive, closes a
//!   connection whose request head does not arrive in time, holds at most
//!   [`ServeConfig::max_connections`] connections, and on shutdown lets requests in flight finish
//!   (up to [`ServeConfig::drain_timeout`]) before it aborts the rest.
//! - [`Budget`] counts bytes held in memory by all requests together, and [`read_body`] reads a
//!   request body chunk by chunk, charging each chunk to the budget as it arrives, within a size
//!   limit and a timeout. A refused body is read to its end and discarded (bounded), so the
//!   client reads the error answer instead of a broken pipe.
//! - [`check_listen`] is the loopback rule: servers without authentication listen on loopback
//!   unless told otherwise.
//!
//! The errors of [`read_body`] are an [`Error`] enum that each server renders in its own
//! product's shape (Elasticsearch's JSON errors, Logstash's plain text).
//!
//! ```no_run
//! use bytes::Bytes;
//! use http_body_util::Full;
//! use http_serve::{BodyLimits, Budget, ServeConfig, read_body, serve};
//! use hyper::Response;
//!
//! # async fn run() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let budget = Budget::new(64 << 20); // bodies of all connections together
//! let handler = move |req: hyper::Request<hyper::body::Incoming>, _peer| {
//!     let budget = budget.clone();
//!     async move {
//!         match read_body(req.into_body(), &budget, &BodyLimits::default()).await {
//!             // the reservation is released when `_held` is dropped
//!             Ok((body, _held)) => Response::new(Full::new(Bytes::from(format!("{} bytes\n", body.len())))),
//!             Err(e) => {
//!                 let mut r = Response::new(Full::new(Bytes::from(e.to_string())));
//!                 *r.status_mut() = hyper::StatusCode::from_u16(e.status()).unwrap_or_default();
//!                 r
//!             }
//!         }
//!     }
//! };
//! serve(listener, ServeConfig::new("example"), handler, async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await
//! # }
//! ```

mod body;
mod budget;
mod listen;
mod serve;

pub use body::{BodyLimits, read_body};
pub use budget::{Budget, Reservation};
pub use listen::{check_listen, is_loopback};
pub use serve::{ServeConfig, serve};

use std::time::Duration;

/// Why a request body was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The body is (or declares to be) larger than [`BodyLimits::max_bytes`].
    #[error("request body of {received} bytes is larger than the limit of {limit} bytes")]
    TooLarge {
        /// Bytes declared (`Content-Length`) or received when the limit was passed.
        received: u64,
        /// The limit.
        limit: usize,
    },
    /// Holding the body would pass the [`Budget`] shared with other requests.
    #[error("request would hold {wanted} bytes in memory, over the limit of {limit} bytes")]
    OverBudget {
        /// What the budget would hold with this request's next chunk.
        wanted: usize,
        /// The budget's limit.
        limit: usize,
    },
    /// The body stalled ([`BodyLimits::idle_timeout`]) or took too long in all
    /// ([`BodyLimits::total_timeout`]).
    #[error("the request body timed out after {after:?} ({read} bytes read)")]
    Timeout {
        /// Bytes received before the timeout.
        read: usize,
        /// The timeout that passed.
        after: Duration,
    },
    /// The connection failed while the body was read (reset, malformed chunked encoding).
    #[error("could not read the request body: {0}")]
    Io(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// The HTTP status that fits: 413, 429, 408 or 400.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Error::TooLarge { .. } => 413,
            Error::OverBudget { .. } => 429,
            Error::Timeout { .. } => 408,
            Error::Io(_) => 400,
        }
    }

    /// The body stalled or took too long.
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// The client may retry later (the budget was full).
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::OverBudget { .. })
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod testing;
