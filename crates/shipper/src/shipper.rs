//! [`Shipper`] (owns the background threads), [`Handle`] (cheap to clone, logs) and [`Stats`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use serde_json::{Map, Value};

use crate::config::{Builder, Transport};
use crate::{Error, Result, worker};

/// One event waiting in memory.
pub(crate) struct Item {
    /// When `log()` was called, epoch milliseconds (for the TTL).
    pub at_ms: i64,
    pub payload: Payload,
}

pub(crate) enum Payload {
    Map(Map<String, Value>),
    /// One serialized JSON object, checked to hold no newline.
    Json(Vec<u8>),
}

impl Payload {
    /// The wire form, without the newline.
    pub fn into_line(self) -> Vec<u8> {
        match self {
            // Serializing a Map of Values cannot fail (keys are strings).
            Self::Map(m) => serde_json::to_vec(&m).unwrap_or_default(),
            Self::Json(b) => b,
        }
    }
}

/// Counters shared by the caller side and the threads.
#[derive(Default)]
pub(crate) struct Counters {
    pub accepted: AtomicU64,
    /// Events the writer (durable) or sender (memory) is finished with: persisted, sent,
    /// dropped, expired or lost. `accepted - absorbed` are in memory.
    pub absorbed: AtomicU64,
    pub persisted: AtomicU64,
    pub sent: AtomicU64,
    pub failed: AtomicU64,
    pub dropped_full: AtomicU64,
    pub expired: AtomicU64,
    pub rejected: AtomicU64,
    pub lost: AtomicU64,
    pub send_errors: AtomicU64,
    pub connects: AtomicU64,
    pub disk_rows: AtomicU64,
    pub disk_bytes: AtomicU64,
    /// Highest queue id the sender is sending now (rows up to it are not dropped).
    pub inflight_max: AtomicI64,
}

pub(crate) struct Shared {
    pub tx: Sender<Item>,
    pub rx: Receiver<Item>,
    pub wake: Sender<()>,
    pub closed: AtomicBool,
    pub stop: AtomicBool,
    pub block_when_full: bool,
    pub c: Counters,
    /// Held by the sender while it picks a batch and by the writer while it drops rows, so
    /// that a row is never both sent and counted as dropped.
    pub pick_lock: std::sync::Mutex<()>,
}

impl Shared {
    /// Events not yet delivered: in memory and on disk.
    pub fn pending(&self) -> u64 {
        let in_memory = self
            .c
            .accepted
            .load(Relaxed)
            .saturating_sub(self.c.absorbed.load(Relaxed));
        in_memory + self.c.disk_rows.load(Relaxed)
    }

    pub fn wake_sender(&self) {
        let _ = self.wake.try_send(());
    }
}

/// What a shipper did so far.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events handed to `log()` and accepted.
    pub accepted: u64,
    /// Events committed to the durable queue (zero when memory only).
    pub persisted: u64,
    /// Events written to the transport (TCP: written and flushed). Includes events queued on
    /// disk by an earlier run.
    pub sent: u64,
    /// Events the transport refused for good (Elasticsearch: a final bulk item failure, such
    /// as a mapping error), removed from the queue and logged with the reason.
    pub failed: u64,
    /// Events dropped because a queue was full (the oldest go first).
    pub dropped_full: u64,
    /// Events discarded unsent because they outlived the TTL.
    pub expired: u64,
    /// `log()` calls refused because the shipper was shut down, or with invalid JSON.
    pub rejected: u64,
    /// Memory only: events still undelivered when the shipper shut down.
    pub lost: u64,
    /// Failed connects and writes.
    pub send_errors: u64,
    /// Successful connects.
    pub connects: u64,
    /// Events not yet delivered (in memory plus on disk).
    pub pending: u64,
    /// Of those, events in the durable queue on disk.
    pub pending_on_disk: u64,
}

/// Owns the queue and the background threads. Log through it or through [`Handle`]s.
///
/// Dropping it flushes with [`Builder::shutdown_timeout`] as the deadline: what cannot be
/// delivered in time stays in the durable queue for the next run. Call
/// [`Shipper::shutdown`] to choose the deadline and get the final [`Stats`].
pub struct Shipper {
    handle: Handle,
    threads: Vec<JoinHandle<()>>,
    shutdown_timeout: Duration,
    transport: Transport,
}

/// A cheap, cloneable way to log into a [`Shipper`] (what [`ShipperLayer`](crate::ShipperLayer)
/// holds). Logging after the shipper shut down is refused and counted.
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Shared>,
}

impl Shipper {
    /// Starts configuring a shipper sending to `transport`.
    #[must_use]
    pub fn builder(transport: Transport) -> Builder {
        Builder::new(transport)
    }

    pub(crate) fn start(cfg: Builder) -> Result<Self> {
        let (tx, rx) = crossbeam_channel::bounded(cfg.memory_capacity);
        let (wake, wake_rx) = crossbeam_channel::bounded(1);
        let shared = Arc::new(Shared {
            tx,
            rx,
            wake,
            closed: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            block_when_full: cfg.block_when_full,
            c: Counters::default(),
            pick_lock: std::sync::Mutex::new(()),
        });
        let threads = worker::spawn(&cfg, &shared, wake_rx)?;
        Ok(Self {
            handle: Handle { shared },
            threads,
            shutdown_timeout: cfg.shutdown_timeout,
            transport: cfg.transport,
        })
    }

    /// A handle for logging from elsewhere (threads, the tracing layer).
    #[must_use]
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// See [`Handle::log`].
    pub fn log(&self, event: Map<String, Value>) {
        self.handle.log(event);
    }

    /// See [`Handle::log_json`].
    ///
    /// # Errors
    /// When `line` is not one JSON object on one line.
    pub fn log_json(&self, line: impl Into<Vec<u8>>) -> Result<()> {
        self.handle.log_json(line)
    }

    /// Counters so far.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.handle.stats()
    }

    /// See [`Handle::flush`].
    ///
    /// # Errors
    /// [`Error::Timeout`] when events are still pending at the deadline.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        self.handle.flush(timeout)
    }

    /// See [`Handle::sync`].
    ///
    /// # Errors
    /// [`Error::Timeout`] when the writer did not catch up in time.
    pub fn sync(&self, timeout: Duration) -> Result<()> {
        self.handle.sync(timeout)
    }

    /// Stops accepting events, waits up to `timeout` for the queue to drain, stops the
    /// threads and returns the final counters. Events still undelivered stay in the durable
    /// queue (`pending_on_disk`); memory only, they are counted as `lost` and logged.
    /// Everything already accepted is committed to disk before this returns, however late.
    #[must_use = "the stats say whether everything was delivered"]
    pub fn shutdown(mut self, timeout: Duration) -> Stats {
        self.stop(timeout)
    }

    fn stop(&mut self, timeout: Duration) -> Stats {
        let shared = &self.handle.shared;
        if self.threads.is_empty() {
            return self.handle.stats();
        }
        shared.closed.store(true, Relaxed);
        if let Err(e) = self.handle.flush(timeout) {
            tracing::warn!(transport = %self.transport, error = %e, "shipper shutting down with events undelivered");
        }
        shared.stop.store(true, Relaxed);
        shared.wake_sender();
        for t in self.threads.drain(..) {
            if t.join().is_err() {
                tracing::error!("a shipper thread panicked");
            }
        }
        let stats = self.handle.stats();
        if stats.lost > 0 {
            tracing::warn!(lost = stats.lost, transport = %self.transport, "memory-only shipper lost undelivered events at shutdown");
        }
        if stats.pending_on_disk > 0 {
            tracing::info!(
                pending = stats.pending_on_disk,
                "undelivered events stay in the durable queue for the next run"
            );
        }
        stats
    }
}

impl Drop for Shipper {
    fn drop(&mut self) {
        let t = self.shutdown_timeout;
        let _ = self.stop(t);
    }
}

impl Handle {
    /// Queues one event (a JSON object, shipped as it is). Never waits for I/O: the event
    /// goes to an in-memory hand-off and the background threads persist and send it. When
    /// the hand-off is full, the oldest waiting event is dropped and counted (unless
    /// [`Builder::block_when_full`] is set).
    pub fn log(&self, event: Map<String, Value>) {
        self.push(Payload::Map(event));
    }

    /// Queues one already serialized JSON object (no trailing newline needed).
    ///
    /// # Errors
    /// [`Error::InvalidEvent`] when `line` does not start with `{` or
    /// contains a newline (it would break json_lines framing). Not a full JSON parse: the
    /// hot path stays cheap; the receiver tags bad JSON (`_jsonparsefailure`).
    pub fn log_json(&self, line: impl Into<Vec<u8>>) -> Result<()> {
        let mut line = line.into();
        while line.last().is_some_and(|b| matches!(b, b'\n' | b'\r')) {
            line.pop();
        }
        let starts_object = line.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if !starts_object || line.contains(&b'\n') {
            self.shared.c.rejected.fetch_add(1, Relaxed);
            return Err(Error::InvalidEvent {
                reason: if starts_object {
                    "a json_lines event must not contain a newline".into()
                } else {
                    "expected a JSON object (starting with `{`)".into()
                },
            });
        }
        self.push(Payload::Json(line));
        Ok(())
    }

    /// Queues an event serialized by this crate (no checks: `serde_json` writes one line).
    pub(crate) fn log_serialized(&self, event: &impl serde::Serialize) {
        // Serializing maps of JSON values cannot fail (keys are strings).
        self.push(Payload::Json(serde_json::to_vec(event).unwrap_or_default()));
    }

    fn push(&self, payload: Payload) {
        let s = &self.shared;
        if s.closed.load(Relaxed) {
            s.c.rejected.fetch_add(1, Relaxed);
            return;
        }
        let mut item = Item {
            at_ms: now_ms(),
            payload,
        };
        s.c.accepted.fetch_add(1, Relaxed);
        if s.block_when_full {
            if s.tx.send(item).is_err() {
                s.c.absorbed.fetch_add(1, Relaxed);
                s.c.lost.fetch_add(1, Relaxed);
            }
            return;
        }
        loop {
            match s.tx.try_send(item) {
                Ok(()) => return,
                Err(TrySendError::Full(back)) => {
                    item = back;
                    // Drop the oldest waiting event to make room (counted).
                    if s.rx.try_recv().is_ok() {
                        s.c.dropped_full.fetch_add(1, Relaxed);
                        s.c.absorbed.fetch_add(1, Relaxed);
                    }
                }
                Err(TrySendError::Disconnected(_)) => {
                    s.c.absorbed.fetch_add(1, Relaxed);
                    s.c.lost.fetch_add(1, Relaxed);
                    return;
                }
            }
        }
    }

    /// Counters so far.
    #[must_use]
    pub fn stats(&self) -> Stats {
        let c = &self.shared.c;
        Stats {
            accepted: c.accepted.load(Relaxed),
            persisted: c.persisted.load(Relaxed),
            sent: c.sent.load(Relaxed),
            failed: c.failed.load(Relaxed),
            dropped_full: c.dropped_full.load(Relaxed),
            expired: c.expired.load(Relaxed),
            rejected: c.rejected.load(Relaxed),
            lost: c.lost.load(Relaxed),
            send_errors: c.send_errors.load(Relaxed),
            connects: c.connects.load(Relaxed),
            pending: self.shared.pending(),
            pending_on_disk: c.disk_rows.load(Relaxed),
        }
    }

    /// Waits until nothing is pending (every accepted event was delivered, dropped or
    /// expired, and the durable queue is empty), or `timeout` passes.
    ///
    /// # Errors
    /// [`Error::Timeout`] with the number of events still pending.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        self.shared.wake_sender();
        wait(timeout, || self.shared.pending() == 0).map_err(|waited| Error::Timeout {
            waited_ms: ms(waited),
            pending: self.shared.pending(),
        })
    }

    /// Waits until every event accepted before this call is committed to the durable
    /// queue (it then survives a crash), or `timeout` passes. Memory only: until the
    /// sender has taken them.
    ///
    /// # Errors
    /// [`Error::Timeout`] with the number of events still in memory.
    pub fn sync(&self, timeout: Duration) -> Result<()> {
        let c = &self.shared.c;
        let target = c.accepted.load(Relaxed);
        wait(timeout, || c.absorbed.load(Relaxed) >= target).map_err(|waited| Error::Timeout {
            waited_ms: ms(waited),
            pending: target.saturating_sub(c.absorbed.load(Relaxed)),
        })
    }
}

/// Polls `done` every millisecond (then every 10 ms) until it holds or `timeout` passes;
/// `Err` carries the time waited.
fn wait(timeout: Duration, mut done: impl FnMut() -> bool) -> Result<(), Duration> {
    let start = Instant::now();
    let mut step = Duration::from_millis(1);
    loop {
        if done() {
            return Ok(());
        }
        let waited = start.elapsed();
        if waited >= timeout {
            return Err(waited);
        }
        std::thread::sleep(step.min(timeout - waited));
        step = (step * 2).min(Duration::from_millis(10));
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
