//! The monitoring API (Logstash's `api.http.host`/`api.http.port`, default 127.0.0.1:9600):
//!
//! - `GET /`: node info and health (`{"host", "version", "http_address", "id", "name",
//!   "ephemeral_id", "status": "green", "snapshot", "pipeline": {"workers", "batch_size",
//!   "batch_delay"}}`);
//! - `GET /_node/stats/pipelines` (and `/_node/stats`, `/_node/stats/pipelines/main`): events
//!   in / filtered / out, per-plugin counters and failures, queue size, dead-letter queue.
//!
//! `?pretty` pretty-prints, as Logstash does.

mod http;
pub mod stats;

pub use http::{MonitorServer, serve};
