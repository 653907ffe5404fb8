//! es-client integration tests: a fault-injecting ES 8 stand-in, sluice-store, and a real
//! Elasticsearch cluster.

mod bulk;
mod cluster;
mod fault;
mod store;
mod tls;
mod transport;
