//! The background threads.
//!
//! Durable: `log()` → channel → **writer** (batches of inserts, one transaction each) →
//! SQLite → **sender** (oldest rows first, one write + flush per batch, then delete).
//! Memory only: `log()` → channel → **sender**.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

use crate::config::{Builder, Transport};
use crate::disk::{Disk, Removed, Row};
use crate::es::Es;
use crate::shipper::{Item, Shared, now_ms};
use crate::tcp::Tcp;
use crate::{Error, Result};

pub(crate) fn spawn(
    cfg: &Builder,
    shared: &Arc<Shared>,
    wake: Receiver<()>,
) -> Result<Vec<JoinHandle<()>>> {
    let mut threads = Vec::new();
    let make_output = |token: String| -> Result<Output> {
        Ok(match &cfg.transport {
            Transport::Tcp { host, port } => Output::Tcp(
                Tcp::new(
                    host,
                    *port,
                    cfg.io_timeout,
                    cfg.backoff_min,
                    cfg.backoff_max,
                ),
                cfg.ingest_ids.then_some(token),
            ),
            Transport::Elasticsearch { client, index } => Output::Es {
                es: Box::new(Es::new(client, index, token)?),
                backoff: Duration::ZERO,
                min: cfg.backoff_min,
                max: cfg.backoff_max,
            },
        })
    };
    if let Some(path) = &cfg.database {
        let writer_disk = Disk::open(path)?;
        let sender_disk = Disk::open(path)?;
        let (rows, bytes) = writer_disk.size()?;
        shared.c.disk_rows.store(rows, Relaxed);
        shared.c.disk_bytes.store(bytes, Relaxed);
        if rows > 0 {
            tracing::info!(rows, path = %path.display(), "durable queue holds events from an earlier run");
        }
        let w = Writer {
            shared: shared.clone(),
            disk: writer_disk,
            batch: cfg.batch_size,
            flush_interval: cfg.flush_interval,
            ttl: cfg.event_ttl,
            max_rows: cfg.max_queue_events,
            max_bytes: cfg.max_queue_bytes,
        };
        threads.push(start("writer", move || w.run())?);
        let output = make_output(sender_disk.token()?)?;
        let s = DiskSender {
            shared: shared.clone(),
            disk: sender_disk,
            output,
            wake,
            batch: cfg.batch_size,
            ttl: cfg.event_ttl,
        };
        threads.push(start("sender", move || s.run())?);
    } else {
        let s = MemorySender {
            shared: shared.clone(),
            output: make_output(crate::es::random_token())?,
            next_id: 0,
            wake,
            batch: cfg.batch_size,
            linger: cfg.flush_interval,
            ttl: cfg.event_ttl,
        };
        threads.push(start("sender", move || s.run())?);
    }
    Ok(threads)
}

fn start(name: &'static str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(format!("shipper-{name}"))
        .spawn(f)
        .map_err(|source| Error::Thread {
            thread: name,
            source,
        })
}

fn ttl_ms(ttl: Option<Duration>) -> Option<i64> {
    ttl.map(|t| i64::try_from(t.as_millis()).unwrap_or(i64::MAX))
}

/// Sleeps `d` in short slices, returning early when the shipper stops.
fn nap(shared: &Shared, d: Duration) {
    let until = Instant::now() + d;
    while !shared.stop.load(Relaxed) {
        let now = Instant::now();
        if now >= until {
            return;
        }
        std::thread::sleep((until - now).min(Duration::from_millis(20)));
    }
}

struct Writer {
    shared: Arc<Shared>,
    disk: Disk,
    batch: usize,
    flush_interval: Duration,
    ttl: Option<Duration>,
    max_rows: u64,
    max_bytes: u64,
}

impl Writer {
    fn run(mut self) {
        let mut items: Vec<Item> = Vec::with_capacity(self.batch);
        let mut last_sweep = Instant::now();
        loop {
            let stopping = self.shared.stop.load(Relaxed);
            self.collect(&mut items, stopping);
            if items.is_empty() {
                if stopping {
                    return;
                }
            } else {
                self.commit(&mut items);
            }
            if self.ttl.is_some() && last_sweep.elapsed() >= Duration::from_secs(1) {
                self.sweep();
                last_sweep = Instant::now();
            }
        }
    }

    /// Up to a batch: waits for the first event (100 ms at most), then for more until the
    /// batch is full or the flush interval has passed since the first.
    fn collect(&self, items: &mut Vec<Item>, stopping: bool) {
        let rx = &self.shared.rx;
        let first = if stopping {
            rx.try_recv().ok()
        } else {
            rx.recv_timeout(Duration::from_millis(100)).ok()
        };
        let Some(first) = first else { return };
        items.push(first);
        let until = Instant::now() + self.flush_interval;
        while items.len() < self.batch {
            if let Ok(it) = rx.try_recv() {
                items.push(it);
                continue;
            }
            if stopping || !linger(until) {
                return;
            }
        }
    }

    fn commit(&mut self, items: &mut Vec<Item>) {
        let n = items.len() as u64;
        let lines: Vec<(i64, Vec<u8>)> = items
            .drain(..)
            .map(|it| (it.at_ms, it.payload.into_line()))
            .collect();
        let bytes: u64 = lines.iter().map(|(_, l)| l.len() as u64).sum();
        let c = &self.shared.c;
        let (rows_before, bytes_before) = (c.disk_rows.load(Relaxed), c.disk_bytes.load(Relaxed));
        let (max_rows, max_bytes) = (self.max_rows, self.max_bytes);
        let avg = (bytes / n).max(1);
        let over = move |rows_gone: u64, bytes_gone: u64| {
            let rows = (rows_before + n).saturating_sub(rows_gone);
            let b = (bytes_before + bytes).saturating_sub(bytes_gone);
            let by_rows = rows.saturating_sub(max_rows);
            let by_bytes = b.saturating_sub(max_bytes).div_ceil(avg);
            let k = by_rows.max(by_bytes);
            (k > 0).then_some(k)
        };
        let needs_drop = over(0, 0).is_some();
        // Only hold the pick lock when rows will be dropped (see `Shared::pick_lock`).
        let guard = needs_drop.then(|| self.shared.pick_lock.lock());
        let protect = || c.inflight_max.load(Relaxed);
        let result = self.disk.insert(&lines, over, protect);
        drop(guard);
        match result {
            Ok(removed) => {
                c.disk_rows.fetch_add(n, Relaxed);
                c.disk_bytes.fetch_add(bytes, Relaxed);
                sub(c, removed);
                c.persisted.fetch_add(n, Relaxed);
                if removed.rows > 0 {
                    c.dropped_full.fetch_add(removed.rows, Relaxed);
                    tracing::warn!(
                        dropped = removed.rows,
                        "durable queue full: dropped the oldest events"
                    );
                }
            }
            Err(e) => {
                // The disk refused the batch (full disk, I/O error): these events are lost,
                // and said so.
                c.lost.fetch_add(n, Relaxed);
                tracing::error!(error = %e, events = n, "could not persist events; they are lost");
            }
        }
        c.absorbed.fetch_add(n, Relaxed);
        self.shared.wake_sender();
    }

    fn sweep(&self) {
        let Some(ttl) = ttl_ms(self.ttl) else { return };
        let c = &self.shared.c;
        let _guard = self.shared.pick_lock.lock();
        match self
            .disk
            .delete_expired(now_ms() - ttl, c.inflight_max.load(Relaxed))
        {
            Ok(r) => {
                sub(c, r);
                c.expired.fetch_add(r.rows, Relaxed);
                if r.rows > 0 {
                    tracing::info!(
                        expired = r.rows,
                        "expired events removed from the durable queue"
                    );
                }
            }
            Err(e) => tracing::error!(error = %e, "could not remove expired events"),
        }
    }
}

fn sub(c: &crate::shipper::Counters, r: Removed) {
    c.disk_rows
        .fetch_sub(r.rows.min(c.disk_rows.load(Relaxed)), Relaxed);
    c.disk_bytes
        .fetch_sub(r.bytes.min(c.disk_bytes.load(Relaxed)), Relaxed);
}

/// Where batches go.
enum Output {
    /// The connection, and the queue's token when lines carry ingest ids.
    Tcp(Tcp, Option<String>),
    Es {
        es: Box<Es>,
        backoff: Duration,
        min: Duration,
        max: Duration,
    },
}

/// What delivering one batch achieved.
struct Delivered {
    sent: u64,
    failed: u64,
    /// Ids of rows to keep queued.
    keep: std::collections::HashSet<i64>,
}

impl Output {
    /// TCP: connects if needed; on failure counts it and naps for the backoff. True when
    /// the output can take a batch.
    fn ready(&mut self, shared: &Shared) -> bool {
        let Self::Tcp(tcp, _) = self else {
            return true;
        };
        match tcp.ensure() {
            Ok(fresh) => {
                if fresh {
                    shared.c.connects.fetch_add(1, Relaxed);
                    tracing::debug!("connected to the agent");
                }
                true
            }
            Err(e) => {
                let failures = shared.c.send_errors.fetch_add(1, Relaxed);
                // Warn at the first failure of a streak (and every 100th), not at every retry.
                if tcp.first_failure() || failures.is_multiple_of(100) {
                    tracing::warn!(error = %e, retry_in_ms = tcp.backoff.as_millis(), "cannot connect to the agent; events stay queued");
                } else {
                    tracing::debug!(error = %e, retry_in_ms = tcp.backoff.as_millis(), "cannot connect to the agent");
                }
                nap(shared, tcp.backoff);
                false
            }
        }
    }

    /// Delivers `rows` (already free of expired ones). `buf` is scratch space.
    fn deliver(&mut self, shared: &Shared, rows: &[&Row], buf: &mut Vec<u8>) -> Delivered {
        let all = || rows.iter().map(|r| r.id).collect();
        match self {
            Self::Tcp(tcp, token) => {
                buf.clear();
                for r in rows {
                    match token {
                        Some(token) => with_ingest_id(buf, &r.line, token, r.id),
                        None => buf.extend_from_slice(&r.line),
                    }
                    buf.push(b'\n');
                }
                match tcp.send(buf) {
                    Ok(()) => Delivered {
                        sent: rows.len() as u64,
                        failed: 0,
                        keep: Default::default(),
                    },
                    Err(e) => {
                        shared.c.send_errors.fetch_add(1, Relaxed);
                        tracing::warn!(error = %e, "sending to the agent failed; the batch stays queued");
                        Delivered {
                            sent: 0,
                            failed: 0,
                            keep: all(),
                        }
                    }
                }
            }
            Self::Es {
                es,
                backoff,
                min,
                max,
            } => {
                let out = es.send(rows);
                if out.keep.is_empty() {
                    *backoff = Duration::ZERO;
                } else {
                    shared.c.send_errors.fetch_add(1, Relaxed);
                    *backoff = if backoff.is_zero() {
                        *min
                    } else {
                        (*backoff * 2).min(*max)
                    };
                    nap(shared, *backoff);
                }
                Delivered {
                    sent: out.sent,
                    failed: out.failed,
                    keep: out.keep,
                }
            }
        }
    }

    fn close(&mut self) {
        if let Self::Tcp(tcp, _) = self {
            tcp.close();
        }
    }

    /// When stopping, only an output that works right now is worth trying (no naps).
    fn healthy(&self) -> bool {
        match self {
            Self::Tcp(tcp, _) => tcp.backoff.is_zero(),
            Self::Es { backoff, .. } => backoff.is_zero(),
        }
    }
}

/// Appends `line` (a JSON object) with `"@metadata":{"ingest_id":"<token>-<row>"}` as its first
/// member (see [`Builder::ingest_ids`]); a line that has `@metadata` of its own, or is not an
/// object, is sent as it is.
fn with_ingest_id(buf: &mut Vec<u8>, line: &[u8], token: &str, row: i64) {
    let rest = match line.strip_prefix(b"{") {
        Some(rest) if !line.windows(11).any(|w| w == b"\"@metadata\"") => rest,
        _ => {
            buf.extend_from_slice(line);
            return;
        }
    };
    buf.extend_from_slice(
        format!("{{\"@metadata\":{{\"ingest_id\":\"{token}-{row}\"}}").as_bytes(),
    );
    if rest.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'}') {
        buf.push(b',');
    }
    buf.extend_from_slice(rest);
}

/// Splits off the rows older than the TTL; returns the rest.
fn unexpired(rows: &[Row], ttl: Option<i64>) -> Vec<&Row> {
    let cutoff = ttl.map(|t| now_ms() - t);
    rows.iter()
        .filter(|r| cutoff.is_none_or(|c| r.ts >= c))
        .collect()
}

struct DiskSender {
    shared: Arc<Shared>,
    disk: Disk,
    output: Output,
    wake: Receiver<()>,
    batch: usize,
    ttl: Option<Duration>,
}

impl DiskSender {
    fn run(mut self) {
        let mut buf = Vec::new();
        while !self.shared.stop.load(Relaxed) {
            if self.shared.c.disk_rows.load(Relaxed) == 0 {
                let _ = self.wake.recv_timeout(Duration::from_millis(100));
                continue;
            }
            if !self.output.ready(&self.shared) {
                continue;
            }
            self.send_batch(&mut buf);
            // Nothing is in flight between batches: TTL and drop-oldest may take any row.
            self.shared.c.inflight_max.store(0, Relaxed);
        }
        self.output.close();
    }

    fn send_batch(&mut self, buf: &mut Vec<u8>) {
        let rows = match self.pick() {
            Ok(rows) => rows,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the durable queue");
                nap(&self.shared, Duration::from_secs(1));
                return;
            }
        };
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return;
        };
        let (first, last) = (first.id, last.id);
        let live = unexpired(&rows, ttl_ms(self.ttl));
        let expired = (rows.len() - live.len()) as u64;
        let d = if live.is_empty() {
            Delivered {
                sent: 0,
                failed: 0,
                keep: Default::default(),
            }
        } else {
            self.output.deliver(&self.shared, &live, buf)
        };
        if d.keep.len() == live.len() && !live.is_empty() {
            return; // nothing delivered: everything stays queued
        }
        let c = &self.shared.c;
        match self.disk.delete_except(first, last, &d.keep) {
            Ok(r) => sub(c, r),
            Err(e) => {
                tracing::error!(error = %e, "could not remove sent events from the queue; they will be sent again");
            }
        }
        c.sent.fetch_add(d.sent, Relaxed);
        c.failed.fetch_add(d.failed, Relaxed);
        c.expired.fetch_add(expired, Relaxed);
    }

    fn pick(&self) -> Result<Vec<Row>> {
        let _guard = self.shared.pick_lock.lock();
        let rows = self.disk.oldest(self.batch)?;
        if let Some(last) = rows.last() {
            self.shared.c.inflight_max.store(last.id, Relaxed);
        }
        Ok(rows)
    }
}

/// Waits a little (at most 1 ms, never past `until`) for more events to arrive. The thread
/// sleeps rather than blocking on the channel: a receiver parked on the channel would make every
/// `log()` call pay a futex wake-up, which costs the logging thread more than building the event.
/// Returns false once `until` has passed.
fn linger(until: Instant) -> bool {
    let now = Instant::now();
    if now >= until {
        return false;
    }
    std::thread::sleep((until - now).min(Duration::from_millis(1)));
    true
}

struct MemorySender {
    shared: Arc<Shared>,
    output: Output,
    next_id: i64,
    wake: Receiver<()>,
    batch: usize,
    /// How long a batch waits to fill (the flush interval).
    linger: Duration,
    ttl: Option<Duration>,
}

impl MemorySender {
    fn run(mut self) {
        let mut rows: Vec<Row> = Vec::with_capacity(self.batch);
        let mut buf = Vec::new();
        loop {
            let stopping = self.shared.stop.load(Relaxed);
            if rows.is_empty() {
                if !self.take(&mut rows, stopping) && stopping {
                    break;
                }
                if rows.is_empty() {
                    continue;
                }
            }
            if stopping && !self.output.healthy() {
                break;
            }
            if !self.output.ready(&self.shared) {
                continue;
            }
            let c = &self.shared.c;
            let before = rows.len();
            let cutoff = ttl_ms(self.ttl).map(|t| now_ms() - t);
            rows.retain(|r| cutoff.is_none_or(|c| r.ts >= c));
            let expired = (before - rows.len()) as u64;
            if expired > 0 {
                c.expired.fetch_add(expired, Relaxed);
                c.absorbed.fetch_add(expired, Relaxed);
            }
            if rows.is_empty() {
                continue;
            }
            let refs: Vec<&Row> = rows.iter().collect();
            let d = self.output.deliver(&self.shared, &refs, &mut buf);
            drop(refs);
            let done = (rows.len() - d.keep.len()) as u64;
            rows.retain(|r| d.keep.contains(&r.id));
            c.sent.fetch_add(d.sent, Relaxed);
            c.failed.fetch_add(d.failed, Relaxed);
            c.absorbed.fetch_add(done, Relaxed);
        }
        // Whatever is left was never delivered.
        let mut left = rows.len() as u64;
        while self.shared.rx.try_recv().is_ok() {
            left += 1;
        }
        let c = &self.shared.c;
        c.lost.fetch_add(left, Relaxed);
        c.absorbed.fetch_add(left, Relaxed);
        self.output.close();
    }

    /// Takes up to a batch from the channel, waiting up to 100 ms for the first event.
    /// False when nothing came.
    fn take(&mut self, rows: &mut Vec<Row>, stopping: bool) -> bool {
        let rx = &self.shared.rx;
        let first = if stopping {
            rx.try_recv().ok()
        } else {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(it) => Some(it),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    let _ = self.wake.try_recv();
                    None
                }
            }
        };
        let Some(first) = first else { return false };
        let mut next_id = self.next_id;
        let mut push = |rows: &mut Vec<Row>, it: Item| {
            next_id += 1;
            rows.push(Row {
                id: next_id,
                ts: it.at_ms,
                line: it.payload.into_line(),
            });
        };
        push(rows, first);
        // Linger for the rest of a batch (up to the flush interval), as `collect` does: a
        // sender that went back to sleep after every event would cost the logging thread a
        // wake-up (a futex call) per event and the agent a write per event.
        let until = Instant::now() + self.linger;
        while rows.len() < self.batch {
            if let Ok(it) = rx.try_recv() {
                push(rows, it);
                continue;
            }
            if stopping || !linger(until) {
                break;
            }
        }
        self.next_id = next_id;
        true
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ingest_ids_go_first_in_each_line() {
        fn check(line: &str, expected: &str) {
            let mut buf = Vec::new();
            super::with_ingest_id(&mut buf, line.as_bytes(), "t0k", 7);
            assert_eq!(String::from_utf8(buf).unwrap(), expected, "{line}");
        }
        check(
            r#"{"message":"a"}"#,
            r#"{"@metadata":{"ingest_id":"t0k-7"},"message":"a"}"#,
        );
        check("{}", r#"{"@metadata":{"ingest_id":"t0k-7"}}"#);
        check(
            r#"{"@metadata":{"x":1},"message":"a"}"#,
            r#"{"@metadata":{"x":1},"message":"a"}"#,
        );
        check("[1]", "[1]");
    }
}
