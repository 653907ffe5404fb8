//! Running a pipeline: inputs → bounded queue → N workers (filters, then outputs) → ack.
//!
//! Logstash's execution model: each worker takes a batch of up to `pipeline.batch.size` events
//! (waiting at most `pipeline.batch.delay` for it to fill), runs the filter section on every
//! event, then hands the surviving events to each output (in config order, after the output
//! conditionals), and only then acknowledges the batch to the queue. With one worker batches are
//! processed in order; `pipeline.ordered => true` requires one worker (Logstash refuses more),
//! `auto` orders when there is one worker.
//!
//! Shutdown ([`RunningPipeline::shutdown`]): inputs stop reading, the queue is closed, workers
//! drain it and every output confirms, then [`RunningPipeline::wait`] returns. When every input
//! ends on its own (stdin at EOF) the pipeline shuts down the same way. A second request
//! ([`RunningPipeline::force`]) abandons outputs that are still retrying; with the persisted
//! queue their events stay on disk for the next start.

mod build;
mod settings;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::{Duration, Instant};

use log_model::LogEvent;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::input::{Input, InputContext};
use crate::monitor::stats::{self, EventCounters, PluginStats};
use crate::output::Output;
use crate::queue::{IngestIds, MemoryQueue, PersistedQueue, PersistedQueueConfig, Queue};
use crate::{Error, Result};

pub use build::{build, plugin_schemas};
pub use settings::{Ordered, QueueType, Settings};

/// The filter section compiled: runs a batch in place (dropped events removed, events filters
/// made added) and returns how many were dropped.
pub type FilterFn = Box<dyn Fn(&mut Vec<LogEvent>) -> u64 + Send + Sync>;
/// The output section's conditionals: calls back with the index of each output an event goes to.
pub type RouteFn = Box<dyn Fn(&LogEvent, &mut dyn FnMut(usize)) + Send + Sync>;
/// Live per-filter counters.
pub type FilterMetricsFn = Box<dyn Fn() -> Vec<crate::filter::FilterStats> + Send + Sync>;

/// Everything a pipeline runs, already validated and built.
pub struct Components {
    /// Inputs.
    pub inputs: Vec<Input>,
    /// The filter section.
    pub filter: FilterFn,
    /// Per-filter metrics.
    pub filter_metrics: FilterMetricsFn,
    /// Outputs, indexed by [`Components::route`].
    pub outputs: Vec<Output>,
    /// Output routing.
    pub route: RouteFn,
}

impl std::fmt::Debug for Components {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Components")
            .field("inputs", &self.inputs)
            .field("outputs", &self.outputs)
            .finish_non_exhaustive()
    }
}

/// State shared by workers and the monitoring API.
pub struct Shared {
    /// Settings in force.
    pub settings: Settings,
    /// The queue.
    pub queue: Queue,
    /// Pipeline-wide counters.
    pub events: Arc<EventCounters>,
    /// Input counters.
    pub inputs: Vec<Arc<PluginStats>>,
    /// Filter metrics.
    pub filter_metrics: FilterMetricsFn,
    /// Outputs (their counters are inside).
    pub outputs: Vec<Output>,
    /// Filters dropped by `drop`.
    pub dropped: std::sync::atomic::AtomicU64,
    /// Started at.
    pub started: Instant,
    /// Ingest ids, when an output sends them (`ingest_id => true`).
    ingest_ids: Option<Arc<IngestIds>>,
    filter: FilterFn,
    route: RouteFn,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// A started pipeline.
#[derive(Debug)]
pub struct RunningPipeline {
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    force: CancellationToken,
    done: tokio::task::JoinHandle<Result<()>>,
}

impl RunningPipeline {
    /// Shared state (for the monitoring API).
    #[must_use]
    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// Stops the inputs and drains (see the module docs).
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// Abandons outputs still retrying.
    pub fn force(&self) {
        self.shutdown.cancel();
        self.force.cancel();
    }

    /// A token cancelled when shutdown begins.
    #[must_use]
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits until the pipeline has drained and stopped.
    ///
    /// # Errors
    /// A worker's error (queue corruption, forced shutdown with undelivered events).
    pub async fn wait(self) -> Result<()> {
        self.done.await.map_err(|e| Error::Output {
            plugin: "pipeline".into(),
            reason: format!("pipeline task failed: {e}"),
        })?
    }
}

/// Opens the queue, binds the inputs and starts the workers.
///
/// # Errors
/// Invalid settings, a queue that cannot be opened, an input that cannot bind.
pub async fn start(
    components: Components,
    settings: Settings,
    force: CancellationToken,
) -> Result<RunningPipeline> {
    settings.check()?;
    let ingest_ids = components
        .outputs
        .iter()
        .any(Output::sends_ingest_id)
        .then(|| Arc::new(IngestIds::new()));
    let queue = match settings.queue_type {
        QueueType::Memory => Queue::Memory(Arc::new(MemoryQueue::new(
            settings.workers * settings.batch_size,
        ))),
        QueueType::Persisted => {
            let mut c = PersistedQueueConfig::new(settings.path_queue.clone());
            c.page_capacity = settings.queue_page_capacity;
            c.max_bytes = settings.queue_max_bytes;
            c.ingest_ids = ingest_ids.clone();
            Queue::Persisted(PersistedQueue::open(c)?)
        }
    };
    let events = Arc::new(EventCounters::default());
    let shutdown = CancellationToken::new();
    let Components {
        inputs,
        filter,
        filter_metrics,
        outputs,
        route,
    } = components;
    let mut input_stats = Vec::new();
    let mut input_tasks = JoinSet::new();
    for input in inputs {
        let st = PluginStats::new(input.common().id.clone(), input.name());
        input_stats.push(st.clone());
        let ctx = InputContext {
            queue: queue.clone(),
            stats: st,
            events: events.clone(),
            shutdown: shutdown.clone(),
        };
        let id = input.common().id.clone();
        let task = input.start(ctx).await?;
        input_tasks.spawn(async move { (id, task.await) });
    }
    let shared = Arc::new(Shared {
        settings,
        queue: queue.clone(),
        events,
        inputs: input_stats,
        filter_metrics,
        outputs,
        dropped: std::sync::atomic::AtomicU64::new(0),
        started: Instant::now(),
        ingest_ids,
        filter,
        route,
    });
    let mut workers = JoinSet::new();
    for n in 0..shared.settings.workers {
        let shared = shared.clone();
        let force = force.clone();
        workers.spawn(async move { worker(n, &shared, &force).await });
    }
    let sd = shutdown.clone();
    let q = queue.clone();
    let done = tokio::spawn(async move {
        // Inputs end on shutdown, or on their own (stdin EOF).
        while let Some(r) = input_tasks.join_next().await {
            match r {
                Ok((id, Err(e))) => {
                    tracing::error!(input = %id, error = %e, "input stopped with an error");
                }
                Ok((id, Ok(()))) => tracing::debug!(input = %id, "input finished"),
                Err(e) => tracing::error!(error = %e, "input task failed"),
            }
        }
        sd.cancel();
        q.close();
        let mut result = Ok(());
        while let Some(r) = workers.join_next().await {
            let r = r.unwrap_or_else(|e| {
                Err(Error::Output {
                    plugin: "worker".into(),
                    reason: e.to_string(),
                })
            });
            if let Err(e) = r {
                tracing::error!(error = %e, "pipeline worker stopped with an error");
                result = Err(e);
            }
        }
        result
    });
    Ok(RunningPipeline {
        shared,
        shutdown,
        force,
        done,
    })
}

async fn worker(n: usize, shared: &Shared, force: &CancellationToken) -> Result<()> {
    let settings = &shared.settings;
    loop {
        let batch = tokio::select! {
            b = shared.queue.read_batch(settings.batch_size, settings.batch_delay) => b?,
            () = force.cancelled() => return Ok(()),
        };
        let Some(mut batch) = batch else {
            tracing::debug!(worker = n, "queue drained, worker exits");
            return Ok(());
        };
        let start = Instant::now();
        let mut events = std::mem::take(&mut batch.events);
        if let Some(ids) = &shared.ingest_ids {
            // the memory queue's events (the persisted queue stamped its own on arrival)
            events.iter_mut().for_each(|ev| ids.stamp(ev));
        }
        let total = events.len() as u64;
        let dropped = (shared.filter)(&mut events);
        stats::add(&shared.dropped, dropped);
        stats::add(&shared.events.filtered, total);
        let mut per_output: Vec<Vec<&LogEvent>> = vec![Vec::new(); shared.outputs.len()];
        for ev in &events {
            (shared.route)(ev, &mut |i| {
                if let Some(v) = per_output.get_mut(i) {
                    v.push(ev);
                }
            });
        }
        for (output, evs) in shared.outputs.iter().zip(&per_output) {
            deliver(output, evs, force).await?;
        }
        stats::add(&shared.events.out, events.len() as u64);
        stats::add(
            &shared.events.duration_ms,
            start.elapsed().as_millis() as u64,
        );
        shared.queue.ack(&batch)?;
    }
}

/// Sends to one output, retrying (1 s doubling to 30 s) until it succeeds or shutdown is forced.
async fn deliver(output: &Output, events: &[&LogEvent], force: &CancellationToken) -> Result<()> {
    let mut backoff = Duration::from_secs(1);
    loop {
        match output.send(events).await {
            Ok(()) => return Ok(()),
            Err(e) => {
                stats::add(&output.stats().failures, 0);
                tracing::error!(output = %output.stats().id, error = %e, retry_in = ?backoff,
                    "output failed; the batch stays unacknowledged and is retried");
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = force.cancelled() => return Err(e),
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
}
