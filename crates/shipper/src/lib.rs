//! Durable, asynchronous log shipping for Rust applications, with a `tracing` layer: the
//! Rust counterpart of python-logstash-async's `AsynchronousLogstashHandler`.
//!
//! # Shipping events
//!
//! A [`Shipper`] takes events on any thread and sends them in the background to an agent's
//! tcp json_lines input (`sluice-agent -f logstash.conf`, or Logstash). `log()` never waits
//! for I/O: it hands the event to a bounded in-memory queue and returns.
//!
//! ```no_run
//! use std::time::Duration;
//! use shipper::{Shipper, Transport};
//!
//! let shipper = Shipper::builder(Transport::tcp("localhost", 5000))
//!     .database("logstash.db") // durable: survives crashes and agent outages
//!     .build()?;
//! let mut event = serde_json::Map::new();
//! event.insert("message".into(), "User user1 performed login in 0.42s".into());
//! event.insert("user".into(), "user1".into());
//! shipper.log(event);
//! shipper.log_json(r#"{"message":"already serialized"}"#)?;
//! // At exit: deliver what is queued, up to a deadline; the rest stays in logstash.db.
//! let stats = shipper.shutdown(Duration::from_secs(5));
//! assert_eq!(stats.accepted, 2);
//! # Ok::<(), shipper::Error>(())
//! ```
//!
//! # From `tracing`
//!
//! [`ShipperLayer`] turns `tracing` events into log events: the level (`WARNING`, not `WARN`,
//! as Python names it), the message, the target as `logger_name`, span and event fields as
//! fields, `tags` (a field `tags = "a,b"` adds to the layer's), host, pid and program. Its
//! [`Format`]s reproduce python-logstash-async's `LogstashFormatter` (with or without the
//! `extra` object) and `LogstashEcsFormatter` layouts, checked against the real library in
//! this crate's interop tests.
//!
//! ```no_run
//! use tracing_subscriber::layer::SubscriberExt;
//! # let shipper = shipper::Shipper::builder(shipper::Transport::tcp("localhost", 5000)).build()?;
//! let layer = shipper::ShipperLayer::builder(shipper.handle())
//!     .level(tracing::Level::WARN) // the seed's tip 1: WARNING and above
//!     .tags(["python", "webapp"])
//!     .build();
//! tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer)).ok();
//! tracing::warn!(user = "user2", action = "purchase", duration = 4.2, "Slow action detected: purchase took 4.20s");
//! // Keep `shipper` alive until the end of main; dropping it flushes.
//! # Ok::<(), shipper::Error>(())
//! ```
//! The shipper's own diagnostics (target `shipper::*`) are never shipped.
//!
//! # Guarantees
//!
//! - **Durable queue** ([`Builder::database`]): SQLite in WAL mode. A writer thread inserts
//!   events in batches (one transaction per [`Builder::batch_size`] events or
//!   [`Builder::flush_interval`]); a sender thread reads the oldest rows, writes them and
//!   only then deletes them. A committed event survives `kill -9`; call [`Shipper::sync`]
//!   to wait until everything logged so far is committed. Events logged but not yet
//!   committed (at most one flush interval's worth) are lost by a crash.
//! - **TCP is at-least-once, without acknowledgement.** An event counts as delivered once
//!   its batch was written and flushed to the socket. A crash between the write and the
//!   delete sends that batch again on the next run (duplicates, at most one batch); bytes the
//!   kernel accepted just before the connection broke can be lost, as with any TCP shipper.
//!   Before each batch the connection is probed, so an agent that went away is noticed.
//! - **Queue full** ([`Builder::max_queue_events`], [`Builder::max_queue_bytes`]): the
//!   oldest queued events are deleted (never the batch being sent), counted in
//!   [`Stats::dropped_full`] and logged. The in-memory hand-off ([`Builder::memory_capacity`])
//!   drops its oldest event too, unless [`Builder::block_when_full`] makes `log()` wait.
//! - **TTL** ([`Builder::event_ttl`]): older events are discarded unsent and counted in
//!   [`Stats::expired`].
//! - **Exit**: dropping the [`Shipper`] (or [`Shipper::shutdown`]) delivers until the
//!   deadline, commits everything still in memory, and leaves the undelivered on disk for
//!   the next run. Memory only, undelivered events are counted in [`Stats::lost`] and logged.
//! - **Agent down**: reconnects with exponential backoff ([`Builder::reconnect_backoff`]);
//!   the first failure of a streak is logged as a warning, the rest at debug.

mod config;
mod disk;
mod error;
mod es;
mod layer;
mod shipper;
mod tcp;
mod worker;

pub use config::{Builder, Transport};
pub use error::{Error, Result};
pub use layer::{Format, LayerBuilder, ShipperLayer};
pub use shipper::{Handle, Shipper, Stats};
