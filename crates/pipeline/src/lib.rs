//! The agent's engine: the Logstash config language, inputs, filters, outputs and queues.
//!
//! `sluice-agent` is a thin binary over this crate. Running a pipeline takes four steps:
//!
//! ```no_run
//! # async fn demo() -> pipeline::Result<()> {
//! use pipeline::runtime::{self, Settings};
//! use tokio_util::sync::CancellationToken;
//!
//! // 1. Parse a Logstash config (files: `pipeline::config::load(&paths)`).
//! let config = pipeline::config::parse_str("logstash.conf", r#"
//!     input  { tcp { port => 5000 codec => json_lines } }
//!     filter { mutate { convert => { "duration" => "float" } } }
//!     output { elasticsearch { hosts => ["127.0.0.1:9200"] index => "python-logs-%{+YYYY.MM.dd}" } }
//! "#)?;
//! // 2. Validate and build every plugin (errors name file:line:column, as Logstash's do).
//! let settings = Settings { workers: 2, ..Settings::default() };
//! let force = CancellationToken::new();
//! let components = runtime::build(&config, &settings, &force)?;
//! // 3. Start: bind inputs, open the queue, start the workers.
//! let running = runtime::start(components, settings, force).await?;
//! // 4. Optionally serve the monitoring API, then run until shutdown.
//! pipeline::monitor::serve("127.0.0.1:9600", running.shared(), running.shutdown_token()).await?;
//! running.wait().await?;
//! # Ok(()) }
//! ```
//!
//! Every plugin kind has one registry ([`registry`] explains the seam). The data path, module
//! by module: [`input`] (beats, file, tcp, udp, syslog, http, stdin, ...) decodes bytes with [`codec`]
//! (`json_lines` semantics: bad lines become `_jsonparsefailure` events, never dropped) and
//! pushes each read into the [`queue`] (memory or persisted; bounded, so a full queue stops
//! the sockets); [`runtime`] workers take batches, run the [`filter`] section and hand the
//! events to each [`output`] (elasticsearch, stdout, file) after the output conditionals; a
//! batch is acknowledged only once every output took responsibility for it (delivered, or
//! written to the dead-letter queue). [`monitor`] serves Logstash's `/_node/stats/pipelines`.

pub mod codec;
pub mod config;
mod error;
pub mod filter;
pub mod input;
pub mod monitor;
pub mod output;
pub mod queue;
pub mod registry;
pub mod runtime;

pub use error::{Error, Result};

/// The allocator (feature `mimalloc`, on by default): events are allocated on input tasks and
/// freed on worker threads, a pattern glibc's malloc serves slowly.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
