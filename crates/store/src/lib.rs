//! An embedded, Elasticsearch-compatible log store on tantivy, and its HTTP surface.
//!
//! The engine is synchronous; the HTTP layer ([`http`]) calls it from blocking tasks.
//!
//! ```no_run
//! use store::{Store, StoreConfig, Refresh, OpType, SearchParams};
//! # fn main() -> store::Result<()> {
//! let store = Store::open(StoreConfig::new("/tmp/sluice-data"))?;
//! store.create_index("python-logs", Some(&serde_json::json!({
//!     "mappings": {"properties": {"user": {"type": "keyword"}, "duration": {"type": "float"}}}
//! })))?;
//! // a 2xx-equivalent return means the write is in the fsynced translog
//! store.index_doc("python-logs", None, OpType::Index, br#"{"user":"user1","duration":1.5}"#, Refresh::True)?;
//! let resp = store.search("python-logs-*,python-logs", Some(&serde_json::json!({
//!     "size": 0,
//!     "aggs": {"users": {"terms": {"field": "user"}, "aggs": {"d": {"avg": {"field": "duration"}}}}}
//! })), &SearchParams::default())?;
//! assert_eq!(resp["aggregations"]["users"]["buckets"][0]["key"], "user1");
//! # Ok(()) }
//! ```
//!
//! Layout: [`mapping`] (ES mappings, dynamic mapping, coercion), [`engine`] (store, per-index
//! shard with translog), [`query`] (query DSL and Lucene syntax), [`aggs`] (aggregations),
//! [`search`] (hits, sort, `_source` filtering).

pub mod aggs;
pub mod analysis;
pub mod engine;
pub mod error;
pub mod http;
pub mod mapping;
pub mod query;
pub mod search;

pub use engine::shard::{Cond, DocResult, OpType, WriteResult};
pub use engine::store::{
    BulkItem, BulkResponse, CatIndex, DocOpts, DocRef, Expand, Refresh, Resolve, Store,
    StoreConfig, Updated, WriteOp,
};
pub use error::{Error, Result};
pub use search::SearchParams;
