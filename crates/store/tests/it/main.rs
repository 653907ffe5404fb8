//! Integration tests of `sluice-store`: the HTTP surface, its errors and security, interop with
//! the real Python clients, durability across `kill -9`, and differential tests against a real
//! Elasticsearch.

mod aliases;
mod by_query;
mod client;
mod cluster_settings;
mod composite;
mod conformance;
mod constant_keyword;
mod crash;
mod date_nanos;
mod disk;
mod documents;
mod dynamic_templates;
mod engine;
mod errors;
mod es_diff;
mod esapi;
mod field_params;
mod fuzz_corpus;
mod hostile;
mod http_api;
mod ilm;
mod index_options;
mod interop;
mod ip;
mod match_only_text;
mod multi_terms;
mod pipelines;
mod routing;
mod scaled_float;
mod search_api;
mod security;
mod stats;
mod templates;
mod top_aggs;
mod unsigned_long;
mod wildcard_field;

use store::http::{RunningServer, ServerConfig, spawn};

/// A store in a fresh temporary directory, served on a free loopback port.
pub struct TestServer {
    pub server: RunningServer,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    pub fn start() -> Self {
        Self::with(|_| {})
    }

    pub fn with(edit: impl FnOnce(&mut ServerConfig)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = ServerConfig::new(dir.path()).disk_threshold(false);
        edit(&mut config);
        let server = spawn(config).expect("spawn sluice-store");
        Self { server, dir }
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr()
    }

    /// Stops the store cleanly and opens the same data directory again.
    pub fn restart(self) -> Self {
        let Self { server, dir } = self;
        server.shutdown().expect("clean shutdown");
        let server = spawn(ServerConfig::new(dir.path()).disk_threshold(false))
            .expect("the store opens again");
        Self { server, dir }
    }
}
