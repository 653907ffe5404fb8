//! An async Elasticsearch client: transport, auth, TLS, retries, typed APIs and a bulk indexer.

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
