//! Counters shared by the running pipeline and the monitoring API.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one plugin (`/_node/stats/pipelines` → `plugins.inputs[]` etc.).
#[derive(Debug)]
pub struct PluginStats {
    /// The plugin's `id` (set in the config or generated).
    pub id: String,
    /// The plugin name (`tcp`, `elasticsearch`, ...).
    pub name: String,
    /// Events received by the plugin (filters and outputs).
    pub events_in: AtomicU64,
    /// Events emitted by the plugin (inputs: accepted into the queue).
    pub events_out: AtomicU64,
    /// Failures (parse failures for inputs, failed documents for outputs).
    pub failures: AtomicU64,
    /// Time spent in the plugin, milliseconds.
    pub duration_ms: AtomicU64,
    /// Inputs: time spent waiting for the queue to accept events, milliseconds.
    pub queue_push_duration_ms: AtomicU64,
    /// Outputs: documents rejected for good and written to the dead-letter queue.
    pub dead_lettered: AtomicU64,
    /// Outputs: documents retried (429/5xx and transport errors).
    pub retried: AtomicU64,
    /// Outputs: bulk requests sent.
    pub requests: AtomicU64,
    /// Inputs: lines over the size limit.
    pub too_long: AtomicU64,
    /// Inputs: open connections.
    pub connections: AtomicU64,
}

impl PluginStats {
    /// Zeroed counters for a plugin.
    #[must_use]
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Arc<Self> {
        Arc::new(PluginStats {
            id: id.into(),
            name: name.into(),
            events_in: AtomicU64::new(0),
            events_out: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            duration_ms: AtomicU64::new(0),
            queue_push_duration_ms: AtomicU64::new(0),
            dead_lettered: AtomicU64::new(0),
            retried: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            too_long: AtomicU64::new(0),
            connections: AtomicU64::new(0),
        })
    }
}

pub(crate) fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

pub(crate) fn get(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

/// Pipeline-wide counters (`pipelines.main.events`).
#[derive(Debug, Default)]
pub struct EventCounters {
    /// Events accepted into the queue.
    pub events_in: AtomicU64,
    /// Events that went through the filters (dropped ones included).
    pub filtered: AtomicU64,
    /// Events delivered by every output.
    pub out: AtomicU64,
    /// Worker time per batch, milliseconds.
    pub duration_ms: AtomicU64,
    /// Time inputs waited on the queue, milliseconds.
    pub queue_push_duration_ms: AtomicU64,
}
