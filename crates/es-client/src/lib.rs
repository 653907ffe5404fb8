//! An async Elasticsearch client: transport, auth, TLS, retries, typed APIs and a bulk indexer.
//!
//! It speaks plain `application/json` (ES 7, ES 8, OpenSearch 2 and sluice-store all accept it),
//! pools connections per node, goes round-robin over the live nodes, and marks a failing node
//! dead for a jittered, growing while.
//!
//! # Connecting
//!
//! ```no_run
//! use es_client::{Auth, Client, ClientConfig};
//!
//! # async fn demo() -> es_client::Result<()> {
//! let mut config = ClientConfig::with_nodes(["https://es1:9200", "https://es2:9200"]);
//! config.auth = Some(Auth::api_key("VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw"));
//! // ES 8 prints this fingerprint of its HTTP CA on first start.
//! config.tls.ca_fingerprint = Some("a7:de:cf:13:...".into());
//! let client = Client::new(config)?;
//! println!("{}", client.info().await?.version.number);
//! # Ok(()) }
//! ```
//!
//! `user:pass@` in a URL means Basic auth. Connection errors and 502/503/504 are retried (on the
//! next node) with jittered exponential backoff; a timeout, or a connection that broke after the
//! request was written, is *possibly applied* and only re-sent when the request is idempotent.
//!
//! # Typed calls
//!
//! ```no_run
//! # async fn demo(client: es_client::Client) -> es_client::Result<()> {
//! use serde_json::json;
//! if !client.index_exists("python-logs").await? {
//!     client.create_index("python-logs", &log_model::mapping::seed()).await?;
//! }
//! let w = client.index_document("python-logs", None, br#"{"user":"user1","level":"ERROR"}"#).await?;
//! assert_eq!(w.status, 201);
//! let resp = client
//!     .search("python-logs", &json!({
//!         "query": {"query_string": {"query": "level:ERROR"}},
//!         "aggs": {"per_user": {"terms": {"field": "user"}}}
//!     }))
//!     .await?;
//! for bucket in resp.aggregations.terms("per_user")? {
//!     println!("{} {}", bucket.key, bucket.doc_count);
//! }
//! # Ok(()) }
//! ```
//!
//! Errors carry the HTTP status and ES's `error.type`/`reason`; ask them
//! [`Error::is_retryable`], [`Error::is_not_found`], [`Error::is_conflict`], ...
//!
//! # Bulk indexing
//!
//! [`BulkIndexer`] takes documents through a bounded channel, sends `_bulk` requests of
//! [`BulkConfig::max_docs`]/[`BulkConfig::max_bytes`] (or whatever arrived within
//! [`BulkConfig::flush_interval`]), [`BulkConfig::concurrency`] at a time, retries rejected items
//! (429 and 502/503/504) item by item, and reports every document that finally failed — with its
//! source — to [`BulkConfig::on_failure`] and the optional dead-letter file.
//! With [`BulkConfig::generate_ids`], documents get a client `_id` and the `create` action, so a
//! re-send after a timeout cannot duplicate them.
//!
//! ```no_run
//! # async fn demo(client: es_client::Client) -> es_client::Result<()> {
//! use es_client::{BulkConfig, BulkDoc, BulkIndexer};
//! let mut config = BulkConfig::for_index("python-logs");
//! config.generate_ids = true;
//! config.dead_letter = Some("failed.ndjson".into());
//! let indexer = BulkIndexer::new(client, config)?;
//! indexer.add(BulkDoc::index(r#"{"user":"user1","action":"login"}"#)).await?;
//! let stats = indexer.close().await?;
//! assert_eq!(stats.added, stats.indexed + stats.failed);
//! # Ok(()) }
//! ```

mod api;
mod bulk;
mod config;
mod error;
mod tls;
mod transport;

pub use api::{
    Aggregations, Bucket, CatIndex, Client, ClusterHealth, Document, Hit, Hits, Info,
    SearchResponse, Stats, Total, Version, WriteResponse,
};
pub use bulk::{
    BatchOutcome, BulkConfig, BulkDoc, BulkFailure, BulkIndexer, BulkStats, FailureCallback,
};
pub use config::{Auth, ClientConfig};
pub use error::{Error, Result};
pub use ndjson_codec::BulkOp;
pub use tls::TlsConfig;
pub use transport::{ContentType, Request, Response};
