//! `sluice ui`: the web application that takes Kibana's place — data views, Discover, Visualize,
//! Dashboard and saved objects — on any Elasticsearch-compatible backend (sluice-store, Elasticsearch 8,
//! OpenSearch 2).
//!
//! The browser talks only to this server ([`serve`]); the server reaches the backend only
//! through `es-client`, with public Elasticsearch APIs. The JSON API is described in
//! `crates/ui/API.md`; queries in KQL are translated by the `kql` crate, here, so the browser
//! never builds query DSL.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let client = es_client::Client::new(es_client::ClientConfig::new("http://127.0.0.1:9200"))
//!     .map_err(std::io::Error::other)?;
//! let errors = ui::ErrorContext { backend: "http://127.0.0.1:9200".into(), credentials: "no credentials".into() };
//! let api = ui::Api::new(client, errors);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:5601").await?;
//! ui::serve(listener, api, ui::UiConfig::default(), std::future::pending()).await
//! # }
//! ```
//!
//! Saved objects live in the backend's `.sluice` index ([`saved`]), so they follow the data.

pub mod api;
pub mod assets;
pub mod discover;
mod error;
pub mod fields;
pub mod saved;
mod server;
pub mod visualize;

pub use api::Api;
pub use error::{Error, Position, Result};
pub use saved::{ErrorContext, SavedObject, SavedObjects};
pub use server::{MAX_BODY_BYTES, UiConfig, serve};
