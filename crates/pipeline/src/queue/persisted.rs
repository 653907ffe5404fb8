//! The persisted queue: segment files of checksummed records (the [`durable_log`] shared with
//! the store's translog), group-committed fsyncs, and a checkpoint of the acknowledged prefix.
//!
//! Layout of `path.queue`:
//! - `page-<first seq, 20 digits>.log`: records framed as [`durable_log::frame`]s whose payload
//!   is `[u64 seq LE][the event as JSON]`. A page is closed once it exceeds `page_capacity` and
//!   deleted once all its records are acknowledged.
//! - `checkpoint`: `{"acked_seq": N}` — every record with `seq < N` was delivered. Replaced
//!   (write to a temporary file, rename) after each acknowledgement, without an fsync: a stale
//!   or unreadable checkpoint after a crash only means delivering again, from the oldest page
//!   still on disk (at least once).
//!
//! On open, pages are scanned: a torn record at the end of the newest page (a crash in the
//! middle of a write) is cut away; a bad record anywhere else is reported as corruption.
//! Records from the checkpoint on are delivered again (at least once). The first failed write
//! or fsync stops the queue: every pusher of that batch and every later one gets the error.
//! Pages of the earlier format (`page.<n>`, sluice before the shared log) are migrated on open.

use std::collections::{BTreeMap, VecDeque};
use std::fs::{self, File};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use durable_log::{Appender, Opener, Segments, frame};
use log_model::LogEvent;
use parking_lot::Mutex;
use tokio::sync::{Notify, mpsc, oneshot};

use super::{AckToken, Batch, IngestIds, QueueStats};
use crate::{Error, Result};

/// Bytes a record takes beyond its event: the frame header and the sequence number.
const OVERHEAD: usize = frame::HEADER + 8;

/// Settings of the persisted queue, with Logstash's names.
#[derive(Debug, Clone)]
pub struct PersistedQueueConfig {
    /// `path.queue`: the directory holding pages and the checkpoint.
    pub path: PathBuf,
    /// `queue.page_capacity`, default 64 MiB.
    pub page_capacity: u64,
    /// `queue.max_bytes`, default 1024 MiB: pushes wait while unacknowledged bytes exceed it.
    pub max_bytes: u64,
    /// Gives each event an ingest id before it is written (an output has `ingest_id => true`),
    /// so a replay sends the id the event had. Default none.
    pub ingest_ids: Option<Arc<IngestIds>>,
}

impl PersistedQueueConfig {
    /// Defaults for `path`.
    #[must_use]
    pub fn new(path: impl Into<PathBuf>) -> Self {
        PersistedQueueConfig {
            path: path.into(),
            page_capacity: 64 * 1024 * 1024,
            max_bytes: 1024 * 1024 * 1024,
            ingest_ids: None,
        }
    }
}

#[derive(Debug)]
struct Page {
    first_seq: u64,
    /// One past the last record's seq (equal to `first_seq` while empty).
    end_seq: u64,
}

#[derive(Debug)]
struct State {
    pages: VecDeque<Page>,
    /// Every seq below this is on disk and readable.
    committed: u64,
    /// Every seq below this is acknowledged.
    acked: u64,
    /// Acknowledged ranges above `acked` (start → end).
    acked_ranges: BTreeMap<u64, (u64, u64)>,
    unacked_bytes: u64,
    closed: bool,
    writer_error: Option<String>,
}

#[derive(Debug)]
struct Reader {
    next_seq: u64,
    page_first: u64,
    file: Option<BufReader<File>>,
}

/// A disk-backed queue (see the module docs for the format).
#[derive(Debug)]
pub struct PersistedQueue {
    config: PersistedQueueConfig,
    segments: Segments,
    log: Appender,
    state: Mutex<State>,
    reader: tokio::sync::Mutex<Reader>,
    writes: mpsc::Sender<WriteReq>,
    data: Notify,
    space: Notify,
    /// Serialises checkpoint writes (the temp file is shared); holds the last value written.
    checkpoint: Mutex<u64>,
}

struct WriteReq {
    payloads: Vec<Vec<u8>>,
    done: oneshot::Sender<Result<()>>,
}

impl std::fmt::Debug for WriteReq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteReq")
            .field("events", &self.payloads.len())
            .finish()
    }
}

fn segments(dir: &Path) -> Segments {
    Segments::new(dir, "page-", ".log")
}

/// The queue's error for a log error.
fn log_error(dir: &Path, e: durable_log::Error) -> Error {
    match e {
        durable_log::Error::Io { path, source } => Error::io(path.display().to_string(), source),
        durable_log::Error::Corrupt {
            path,
            offset,
            reason,
        } => Error::queue(&path, format!("{reason} at byte {offset}")),
        other => Error::queue(dir, other.to_string()),
    }
}

/// Splits a record's payload into its sequence number and event.
fn split(payload: &[u8]) -> std::result::Result<(u64, &[u8]), String> {
    let (seq, event) = payload
        .split_first_chunk::<8>()
        .ok_or_else(|| "record shorter than its sequence number".to_owned())?;
    Ok((u64::from_le_bytes(*seq), event))
}

/// The acknowledged prefix, or `None` when there is no checkpoint or it cannot be read (a crash
/// while it was replaced): then delivery starts again from the oldest page.
fn read_checkpoint(dir: &Path) -> Result<Option<u64>> {
    let path = dir.join("checkpoint");
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path.display().to_string(), e)),
    };
    let acked = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("acked_seq").and_then(serde_json::Value::as_u64));
    if acked.is_none() {
        tracing::warn!(file = %path.display(), "unreadable checkpoint; delivering every event still on disk again");
    }
    Ok(acked)
}

fn write_checkpoint(dir: &Path, acked: u64) -> std::io::Result<()> {
    let tmp = dir.join("checkpoint.tmp");
    fs::write(&tmp, format!("{{\"acked_seq\":{acked}}}"))?;
    fs::rename(&tmp, dir.join("checkpoint"))
}

/// Pages of the format before the shared log: `page.<n>` holding
/// `[u32 len][u32 crc32(seq ‖ event)][u64 seq][event]` records.
mod legacy {
    use std::fs;
    use std::io::Read;
    use std::path::{Path, PathBuf};

    pub(super) fn pages(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
        let mut pages = Vec::new();
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            if let Some(n) = name
                .to_str()
                .and_then(|s| s.strip_prefix("page."))
                .and_then(|n| n.parse::<u64>().ok())
            {
                pages.push((n, entry.path()));
            }
        }
        pages.sort_unstable();
        Ok(pages)
    }

    /// Records of a page: (seq, event) pairs up to the first bad record, and its reason.
    pub(super) type Records = (Vec<(u64, Vec<u8>)>, Option<String>);

    /// The records of one page, up to the first bad one (with its reason).
    pub(super) fn records(path: &Path) -> std::io::Result<Records> {
        let data = fs::read(path)?;
        let mut r = &data[..];
        let mut out = Vec::new();
        loop {
            if r.is_empty() {
                return Ok((out, None));
            }
            let mut head = [0u8; 16];
            if r.read_exact(&mut head).is_err() {
                return Ok((out, Some("truncated record header".into())));
            }
            let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
            let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
            let mut seq = [0u8; 8];
            seq.copy_from_slice(&head[8..]);
            let Some(event) = r.get(..len) else {
                return Ok((out, Some("truncated record payload".into())));
            };
            let mut h = crc32fast::Hasher::new();
            h.update(&seq);
            h.update(event);
            if h.finalize() != crc {
                return Ok((out, Some("checksum mismatch".into())));
            }
            out.push((u64::from_le_bytes(seq), event.to_vec()));
            r = &r[len..];
        }
    }
}

/// Rewrites pages of the earlier format (from `acked` on) as one page of the shared log, then
/// removes them. A migration cut short by a crash is redone from the old pages, which are
/// removed only once the new page is durable.
fn migrate_legacy(dir: &Path, segs: &Segments, acked: u64) -> Result<()> {
    let old = legacy::pages(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
    if old.is_empty() {
        return Ok(());
    }
    for n in segs.list().map_err(|e| log_error(dir, e))? {
        segs.remove(n).map_err(|e| log_error(dir, e))?;
    }
    let mut records = Vec::new();
    for (i, (_, path)) in old.iter().enumerate() {
        let (got, bad) =
            legacy::records(path).map_err(|e| Error::io(path.display().to_string(), e))?;
        if let Some(reason) = bad {
            if i + 1 < old.len() {
                return Err(Error::queue(path, reason));
            }
            tracing::warn!(page = %path.display(), %reason, "cutting a torn record at the end of the newest page");
        }
        records.extend(got.into_iter().filter(|(seq, _)| *seq >= acked));
    }
    let first = records.first().map_or(acked, |(seq, _)| *seq);
    let log = Appender::create(
        "persisted queue",
        &segs.path(first),
        true,
        durable_log::real_opener(),
    )
    .map_err(|e| log_error(dir, e))?;
    log.append(|buf| {
        for (seq, event) in &records {
            frame::encode_with(buf, |b| {
                b.extend_from_slice(&seq.to_le_bytes());
                b.extend_from_slice(event);
            });
        }
    });
    log.flush().map_err(|e| log_error(dir, e))?;
    for (_, path) in &old {
        fs::remove_file(path).map_err(|e| Error::io(path.display().to_string(), e))?;
    }
    durable_log::sync_dir(dir).map_err(|e| log_error(dir, e))?;
    tracing::info!(path = %dir.display(), events = records.len(),
        "persisted queue: migrated pages of the earlier format");
    Ok(())
}

impl PersistedQueue {
    /// Opens (or creates) the queue directory, recovering whatever an earlier run left.
    ///
    /// # Errors
    /// When the directory cannot be used or a page is corrupt before its last record.
    pub fn open(config: PersistedQueueConfig) -> Result<Arc<Self>> {
        Self::open_with(config, durable_log::real_opener())
    }

    /// [`PersistedQueue::open`] writing pages through `opener` (tests inject failing files).
    pub(crate) fn open_with(config: PersistedQueueConfig, opener: Opener) -> Result<Arc<Self>> {
        let dir = config.path.clone();
        fs::create_dir_all(&dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
        let segs = segments(&dir);
        let checkpoint = read_checkpoint(&dir)?;
        migrate_legacy(&dir, &segs, checkpoint.unwrap_or(0))?;
        let nums = segs.list().map_err(|e| log_error(&dir, e))?;
        // records below the oldest page were acknowledged (their pages are gone)
        let acked = checkpoint
            .unwrap_or(0)
            .max(nums.first().copied().unwrap_or(0));
        let mut pages = VecDeque::new();
        let mut unacked_bytes = 0;
        for (i, &first) in nums.iter().enumerate() {
            let last = i + 1 == nums.len();
            let mut end_seq = first;
            segs.scan(first, last, |payload| {
                let (seq, _) = split(&payload)?;
                if seq != end_seq {
                    return Err(format!("record has seq {seq}, expected {end_seq}"));
                }
                if seq >= acked {
                    unacked_bytes += (frame::HEADER + payload.len()) as u64;
                }
                end_seq += 1;
                Ok(())
            })
            .map_err(|e| log_error(&dir, e))?;
            if end_seq <= acked && !last {
                segs.remove(first).map_err(|e| log_error(&dir, e))?;
                continue;
            }
            pages.push_back(Page {
                first_seq: first,
                end_seq,
            });
        }
        let next = pages.back().map_or(acked, |p| p.end_seq).max(acked);
        if pages.is_empty() || pages.back().is_some_and(|p| p.end_seq < acked) {
            pages.push_back(Page {
                first_seq: next,
                end_seq: next,
            });
        }
        let newest = pages.back().map_or(next, |p| p.first_seq);
        let log = Appender::create("persisted queue", &segs.path(newest), true, opener)
            .map_err(|e| log_error(&dir, e))?;
        let pending = next.saturating_sub(acked);
        if pending > 0 {
            tracing::info!(path = %dir.display(), events = pending,
                "persisted queue: replaying unacknowledged events");
        }
        let state = State {
            pages,
            committed: next,
            acked,
            acked_ranges: BTreeMap::new(),
            unacked_bytes,
            closed: false,
            writer_error: None,
        };
        let (tx, rx) = mpsc::channel::<WriteReq>(1024);
        let q = Arc::new(PersistedQueue {
            config,
            segments: segs,
            log,
            state: Mutex::new(state),
            reader: tokio::sync::Mutex::new(Reader {
                next_seq: acked,
                page_first: u64::MAX,
                file: None,
            }),
            writes: tx,
            data: Notify::new(),
            space: Notify::new(),
            checkpoint: Mutex::new(checkpoint.unwrap_or(0)),
        });
        let weak = Arc::downgrade(&q);
        std::thread::Builder::new()
            .name("pq-writer".into())
            .spawn(move || writer_loop(&weak, rx))
            .map_err(|e| Error::io("persisted queue writer thread", e))?;
        Ok(q)
    }

    pub(crate) async fn push(&self, mut events: Vec<LogEvent>) -> Result<()> {
        if let Some(ids) = &self.config.ingest_ids {
            events.iter_mut().for_each(|ev| ids.stamp(ev));
        }
        let payloads: Vec<Vec<u8>> = events.iter().map(LogEvent::to_json_vec).collect();
        let size: u64 = payloads.iter().map(|p| (p.len() + OVERHEAD) as u64).sum();
        loop {
            let space = self.space.notified();
            {
                let st = self.state.lock();
                if st.closed {
                    return Err(Error::Closed);
                }
                if st.unacked_bytes == 0 || st.unacked_bytes + size <= self.config.max_bytes {
                    break;
                }
            }
            space.await;
        }
        let (done, wait) = oneshot::channel();
        self.writes
            .send(WriteReq { payloads, done })
            .await
            .map_err(|_| Error::Closed)?;
        wait.await.map_err(|_| Error::Closed)?
    }

    pub(crate) async fn read_batch(&self, max: usize, delay: Duration) -> Result<Option<Batch>> {
        let max = max.max(1);
        let mut reader = self.reader.lock().await;
        let mut events = Vec::new();
        let mut bytes = 0u64;
        let first = reader.next_seq;
        let mut deadline = None;
        loop {
            let notified = self.data.notified();
            let (committed, closed) = {
                let st = self.state.lock();
                if let Some(e) = &st.writer_error {
                    return Err(Error::queue(&self.config.path, e.clone()));
                }
                (st.committed, st.closed)
            };
            while reader.next_seq < committed && events.len() < max {
                let (ev, size) = self.read_next(&mut reader)?;
                bytes += size;
                events.push(ev);
            }
            if events.len() >= max || (closed && !events.is_empty()) {
                break;
            }
            if closed {
                return Ok(None);
            }
            if events.is_empty() {
                notified.await;
                continue;
            }
            let d = *deadline.get_or_insert_with(|| tokio::time::Instant::now() + delay);
            if tokio::time::timeout_at(d, notified).await.is_err() {
                break;
            }
        }
        let end = reader.next_seq;
        Ok(Some(Batch {
            events,
            ack: AckToken::Persisted { first, end, bytes },
        }))
    }

    /// Reads the record `reader.next_seq` (known to be committed).
    fn read_next(&self, reader: &mut Reader) -> Result<(LogEvent, u64)> {
        let seq = reader.next_seq;
        let page_first = {
            let st = self.state.lock();
            st.pages
                .iter()
                .rev()
                .find(|p| p.first_seq <= seq)
                .map(|p| p.first_seq)
                .ok_or_else(|| {
                    Error::queue(&self.config.path, format!("no page holds record {seq}"))
                })?
        };
        let path = self.segments.path(page_first);
        if reader.page_first != page_first || reader.file.is_none() {
            let f = File::open(&path).map_err(|e| Error::io(path.display().to_string(), e))?;
            let mut r = BufReader::new(f);
            // Skip records before `seq` (only after a restart, or when the page just changed).
            for _ in page_first..seq {
                frame::read(&mut r).map_err(|e| Error::queue(&path, e.reason))?;
            }
            reader.file = Some(r);
            reader.page_first = page_first;
        }
        let r = reader
            .file
            .as_mut()
            .ok_or_else(|| Error::queue(&path, "page not open"))?;
        let payload = frame::read(r)
            .map_err(|e| Error::queue(&path, e.reason))?
            .ok_or_else(|| Error::queue(&path, format!("record {seq} missing")))?;
        let (got, event) = split(&payload).map_err(|e| Error::queue(&path, e))?;
        if got != seq {
            return Err(Error::queue(
                &path,
                format!("read record {got}, expected {seq}"),
            ));
        }
        reader.next_seq += 1;
        let ev = LogEvent::from_json_bytes(bytes::Bytes::copy_from_slice(event))
            .map_err(|e| Error::queue(&path, format!("record {seq} is not an event: {e}")))?;
        Ok((ev, payload.len() as u64 + frame::HEADER as u64))
    }

    pub(crate) fn ack(&self, first: u64, end: u64, bytes: u64) -> Result<()> {
        if first >= end {
            return Ok(());
        }
        let (acked, remove) = {
            let mut st = self.state.lock();
            st.unacked_bytes = st.unacked_bytes.saturating_sub(bytes);
            st.acked_ranges.insert(first, (first, end));
            loop {
                let floor = st.acked;
                match st.acked_ranges.remove(&floor) {
                    Some((_, e)) => st.acked = e,
                    None => break,
                }
            }
            let mut remove = Vec::new();
            while st.pages.len() > 1 && st.pages.front().is_some_and(|p| p.end_seq <= st.acked) {
                if let Some(p) = st.pages.pop_front() {
                    remove.push(p.first_seq);
                }
            }
            (st.acked, remove)
        };
        self.space.notify_waiters();
        {
            let mut written = self.checkpoint.lock();
            if acked > *written {
                write_checkpoint(&self.config.path, acked).map_err(|e| {
                    Error::io(self.config.path.join("checkpoint").display().to_string(), e)
                })?;
                *written = acked;
            }
        }
        for first in remove {
            if let Err(e) = self.segments.remove(first) {
                tracing::warn!(error = %e, "persisted queue: cannot remove an acknowledged page");
            }
        }
        Ok(())
    }

    pub(crate) fn close(&self) {
        self.state.lock().closed = true;
        self.data.notify_waiters();
        self.space.notify_waiters();
    }

    pub(crate) fn stats(&self) -> QueueStats {
        let st = self.state.lock();
        QueueStats {
            events_count: st.committed.saturating_sub(st.acked),
            queue_size_in_bytes: st.unacked_bytes,
            max_queue_size_in_bytes: self.config.max_bytes,
            max_events: 0,
        }
    }
}

/// The writer thread: drains every pending request, appends them, fsyncs once (group commit),
/// then publishes the new records and answers every pusher with the batch's result. After the
/// first failure every request gets an error (the log stopped).
fn writer_loop(q: &std::sync::Weak<PersistedQueue>, mut rx: mpsc::Receiver<WriteReq>) {
    while let Some(first) = rx.blocking_recv() {
        let mut reqs = vec![first];
        while let Ok(r) = rx.try_recv() {
            reqs.push(r);
        }
        let Some(q) = q.upgrade() else { return };
        let result = q.write_batch(&reqs);
        if let Err(e) = &result {
            q.state
                .lock()
                .writer_error
                .get_or_insert_with(|| e.to_string());
        }
        q.data.notify_waiters();
        for r in reqs {
            let answer = match &result {
                Ok(()) => Ok(()),
                Err(e) => Err(Error::queue(&q.config.path, e.to_string())),
            };
            let _ = r.done.send(answer);
        }
    }
}

impl PersistedQueue {
    fn write_batch(&self, reqs: &[WriteReq]) -> Result<()> {
        let dir = &self.config.path;
        let payloads = || reqs.iter().flat_map(|r| r.payloads.iter());
        if payloads().any(|p| p.len() > frame::MAX_PAYLOAD - 8) {
            return Err(Error::queue(dir, "event larger than 4 GiB"));
        }
        let mut seq = self.state.lock().committed;
        let mut added_bytes = 0u64;
        self.log.append(|buf| {
            for payload in payloads() {
                frame::encode_with(buf, |b| {
                    b.extend_from_slice(&seq.to_le_bytes());
                    b.extend_from_slice(payload);
                });
                added_bytes += (OVERHEAD + payload.len()) as u64;
                seq += 1;
            }
        });
        self.log.flush().map_err(|e| log_error(dir, e))?;
        let rotate = self.log.segment_bytes() >= self.config.page_capacity;
        if rotate {
            self.log
                .roll(&self.segments.path(seq))
                .map_err(|e| log_error(dir, e))?;
        }
        let mut st = self.state.lock();
        st.committed = seq;
        st.unacked_bytes += added_bytes;
        if let Some(p) = st.pages.back_mut() {
            p.end_seq = seq;
        }
        if rotate {
            st.pages.push_back(Page {
                first_seq: seq,
                end_seq: seq,
            });
        }
        Ok(())
    }
}
