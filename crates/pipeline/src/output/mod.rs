//! Outputs: `elasticsearch`, `stdout` and `file`.
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

use crate::Result;
use crate::monitor::stats::PluginStats;

pub use elasticsearch::{DeadLetterQueue, EsOutput, EsOutputConfig};
pub use file::FileOutput;
pub use stdout::{StdoutCodec, StdoutOutput};

/// One configured output.
#[derive(Debug)]
pub enum Output {
    /// `elasticsearch`.
    Elasticsearch(Box<EsOutput>),
    /// `stdout`.
    Stdout(StdoutOutput),
    /// `file`.
    File(FileOutput),
}

impl Output {
    /// The plugin name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Output::Elasticsearch(_) => "elasticsearch",
            Output::Stdout(_) => "stdout",
            Output::File(_) => "file",
        }
    }

    /// The plugin's counters.
    #[must_use]
    pub fn stats(&self) -> &Arc<PluginStats> {
        match self {
            Output::Elasticsearch(o) => &o.stats,
            Output::Stdout(o) => &o.stats,
            Output::File(o) => &o.stats,
        }
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
        let res = match self {
            Output::Elasticsearch(o) => o.send(events).await,
            Output::Stdout(o) => o.send(events),
            Output::File(o) => o.send(events),
        };
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
