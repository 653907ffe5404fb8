//! Outputs ([`REGISTRY`]): `elasticsearch`, `stdout` and `file`.
//!
//! A worker hands each output the events of a batch that reached it (after the conditionals);
//! [`Output::send`] returns once the output has taken responsibility for every one of them
//! (delivered, or written to the dead-letter queue). Only then is the batch acknowledged to the
//! queue.

mod elasticsearch;
mod file;
mod stdout;

use std::sync::Arc;

use log_model::LogEvent;

use tokio_util::sync::CancellationToken;

use crate::Result;
use crate::config::Plugin;
use crate::config::validate::{self, Schema, Settings};
use crate::monitor::stats::PluginStats;

#[cfg(test)]
pub(crate) use elasticsearch::host_url;
pub use elasticsearch::{DeadLetterQueue, EsOutput, EsOutputConfig};
pub use file::FileOutput;
pub use stdout::{StdoutCodec, StdoutOutput};

/// A future an output returns.
pub type SendFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + 'a>>;

/// An output plugin, built and ready.
pub trait OutputPlugin: Send + Sync + std::fmt::Debug {
    /// The plugin's counters.
    fn stats(&self) -> &Arc<PluginStats>;
    /// Delivers `events`; returns once the output took responsibility for every one of them
    /// (see the module docs).
    fn send<'a>(&'a self, events: &'a [&'a LogEvent]) -> SendFuture<'a>;
    /// Extra monitoring fields (`documents`, `bulk_requests` for elasticsearch).
    fn monitoring(&self) -> Option<serde_json::Value> {
        None
    }
    /// True when the output sends each event's ingest id (`ingest_id => true`): the pipeline
    /// then gives every event one as it arrives ([`crate::queue::ingest_id`]).
    fn sends_ingest_id(&self) -> bool {
        false
    }
}

/// One configured output: a plugin and its registry name.
#[derive(Debug)]
pub struct Output {
    name: &'static str,
    plugin: Box<dyn OutputPlugin>,
}

impl Output {
    /// The plugin name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The plugin's counters.
    #[must_use]
    pub fn stats(&self) -> &Arc<PluginStats> {
        self.plugin.stats()
    }

    /// True when the plugin sends ingest ids (see [`OutputPlugin::sends_ingest_id`]).
    #[must_use]
    pub fn sends_ingest_id(&self) -> bool {
        self.plugin.sends_ingest_id()
    }

    /// Extra monitoring fields of the plugin.
    #[must_use]
    pub fn monitoring(&self) -> Option<serde_json::Value> {
        self.plugin.monitoring()
    }

    /// Delivers events (see the module docs). Waits (backpressure) while the destination is
    /// unavailable.
    ///
    /// # Errors
    /// When events can neither be delivered nor kept (e.g. the file cannot be written and
    /// retrying is pointless); the batch is then not acknowledged.
    pub async fn send(&self, events: &[&LogEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let start = std::time::Instant::now();
        crate::monitor::stats::add(&self.stats().events_in, events.len() as u64);
        let res = self.plugin.send(events).await;
        crate::monitor::stats::add(
            &self.stats().duration_ms,
            start.elapsed().as_millis() as u64,
        );
        if res.is_ok() {
            crate::monitor::stats::add(&self.stats().events_out, events.len() as u64);
        }
        res
    }
}

/// What an output's `build` gets.
#[derive(Debug)]
pub(crate) struct OutputArgs<'a> {
    /// Validated settings.
    pub settings: &'a Settings,
    /// `id`, or `name@file:line:column`.
    pub id: String,
    /// Its counters.
    pub stats: Arc<PluginStats>,
    /// The pipeline's dead-letter queue, if on.
    pub dlq: Option<Arc<DeadLetterQueue>>,
    /// Cancelled when shutdown is forced (abandon retries).
    pub force: CancellationToken,
}

/// One row of the output registry.
pub struct OutputSpec {
    /// The plugin name (`elasticsearch`).
    pub name: &'static str,
    /// Its options.
    pub schema: fn() -> Schema,
    pub(crate) build: fn(OutputArgs<'_>) -> Result<Box<dyn OutputPlugin>>,
}

impl std::fmt::Debug for OutputSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputSpec")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Every output plugin: adding one is a new module and one line here.
#[rustfmt::skip]
pub static REGISTRY: &[OutputSpec] = &[
    OutputSpec { name: "elasticsearch", schema: elasticsearch::schema, build: elasticsearch::build },
    OutputSpec { name: "file", schema: file::schema, build: file::build },
    OutputSpec { name: "stdout", schema: stdout::schema, build: stdout::build },
];

/// The registry row of output `name`.
#[must_use]
pub fn lookup(name: &str) -> Option<&'static OutputSpec> {
    REGISTRY.iter().find(|p| p.name == name)
}

/// Validates and builds one output.
///
/// # Errors
/// Unknown or unsupported plugin, invalid settings.
pub(crate) fn build(
    plugin: &Plugin,
    dlq: Option<Arc<DeadLetterQueue>>,
    force: &CancellationToken,
) -> Result<Output> {
    let Some(spec) = lookup(&plugin.name) else {
        return Err(crate::registry::unknown(plugin));
    };
    let s = validate::validate(plugin, &(spec.schema)())?;
    let id = s
        .string("id")
        .map_or_else(|| format!("{}@{}", plugin.name, plugin.span), str::to_owned);
    let stats = PluginStats::new(id.clone(), plugin.name.clone());
    let plugin = (spec.build)(OutputArgs {
        settings: &s,
        id,
        stats,
        dlq,
        force: force.clone(),
    })?;
    Ok(Output {
        name: spec.name,
        plugin,
    })
}
