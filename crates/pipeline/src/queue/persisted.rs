//! The persisted queue: append-only page files with checksummed records, group-committed
//! fsyncs, and a checkpoint of the acknowledged prefix.
//!
//! Layout of `path.queue`:
//! - `page.<first-seq>`: records `[u32 len][u32 crc32(seq ‖ payload)][u64 seq][payload]`
//!   (little endian), payload = the event as JSON. A page is closed once it exceeds
//!   `page_capacity` and deleted once all its records are acknowledged.
//! - `checkpoint`: `{"acked_seq": N}` — every record with `seq < N` was delivered. Written with
//!   write-to-temp + rename after each acknowledgement.
//!
//! On open, pages are scanned: a torn record at the end of the newest page (a crash in the
//! middle of a write) is truncated away; a bad record anywhere else is reported as corruption.
//! Records from the checkpoint on are delivered again (at least once).

use std::collections::{BTreeMap, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use log_model::LogEvent;
use parking_lot::Mutex;
use tokio::sync::{Notify, mpsc, oneshot};

use super::{AckToken, Batch, IngestIds, QueueStats};
use crate::{Error, Result};

const HEADER: usize = 16;

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

fn page_path(dir: &Path, first_seq: u64) -> PathBuf {
    dir.join(format!("page.{first_seq}"))
}

fn checksum(seq: u64, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&seq.to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// Reads one record; `Ok(None)` at a clean end, `Err(offset-reason)` for a bad or torn record.
fn read_record(r: &mut impl Read) -> std::result::Result<Option<(u64, Vec<u8>)>, String> {
    let mut head = [0u8; HEADER];
    let mut got = 0;
    while got < HEADER {
        match r.read(&mut head[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err("truncated record header".into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    let mut seq_bytes = [0u8; 8];
    seq_bytes.copy_from_slice(&head[8..16]);
    let seq = u64::from_le_bytes(seq_bytes);
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload)
        .map_err(|_| "truncated record payload".to_string())?;
    if checksum(seq, &payload) != crc {
        return Err(format!("checksum mismatch in record {seq}"));
    }
    Ok(Some((seq, payload)))
}

fn page_numbers(dir: &Path) -> Result<Vec<u64>> {
    let mut nums = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir.display().to_string(), e))?;
        let name = entry.file_name();
        let Some(n) = name.to_str().and_then(|s| s.strip_prefix("page.")) else {
            continue;
        };
        if let Ok(n) = n.parse::<u64>() {
            nums.push(n);
        }
    }
    nums.sort_unstable();
    Ok(nums)
}

fn read_checkpoint(dir: &Path) -> Result<u64> {
    let path = dir.join("checkpoint");
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::io(path.display().to_string(), e)),
    };
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::queue(&path, format!("unreadable checkpoint: {e}")))?;
    v.get("acked_seq")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| Error::queue(&path, "checkpoint has no acked_seq"))
}

fn write_checkpoint(dir: &Path, acked: u64) -> std::io::Result<()> {
    let tmp = dir.join("checkpoint.tmp");
    fs::write(&tmp, format!("{{\"acked_seq\":{acked}}}"))?;
    fs::rename(&tmp, dir.join("checkpoint"))
}

/// Scans a page, truncating a torn tail when `last`; returns (end_seq, bytes of records >= acked).
fn scan_page(path: &Path, first_seq: u64, acked: u64, last: bool) -> Result<(u64, u64)> {
    let file = File::open(path).map_err(|e| Error::io(path.display().to_string(), e))?;
    let mut r = BufReader::new(file);
    let mut end_seq = first_seq;
    let mut offset = 0u64;
    let mut bytes = 0u64;
    loop {
        match read_record(&mut r) {
            Ok(None) => break,
            Ok(Some((seq, payload))) => {
                if seq != end_seq {
                    return Err(Error::queue(
                        path,
                        format!("record at byte {offset} has seq {seq}, expected {end_seq}"),
                    ));
                }
                end_seq += 1;
                let size = (HEADER + payload.len()) as u64;
                offset += size;
                if seq >= acked {
                    bytes += size;
                }
            }
            Err(reason) if last => {
                tracing::warn!(page = %path.display(), offset, %reason,
                    "truncating a torn record at the end of the newest page");
                let f = OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| Error::io(path.display().to_string(), e))?;
                f.set_len(offset)
                    .and_then(|()| f.sync_all())
                    .map_err(|e| Error::io(path.display().to_string(), e))?;
                break;
            }
            Err(reason) => {
                return Err(Error::queue(path, format!("{reason} at byte {offset}")));
            }
        }
    }
    Ok((end_seq, bytes))
}

impl PersistedQueue {
    /// Opens (or creates) the queue directory, recovering whatever an earlier run left.
    ///
    /// # Errors
    /// When the directory cannot be used or a page is corrupt before its last record.
    pub fn open(config: PersistedQueueConfig) -> Result<Arc<Self>> {
        let dir = config.path.clone();
        fs::create_dir_all(&dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
        let acked = read_checkpoint(&dir)?;
        let nums = page_numbers(&dir)?;
        let mut pages = VecDeque::new();
        let mut unacked_bytes = 0;
        for (i, &first) in nums.iter().enumerate() {
            let last = i + 1 == nums.len();
            let (end_seq, bytes) = scan_page(&page_path(&dir, first), first, acked, last)?;
            if end_seq <= acked && !last {
                let _ = fs::remove_file(page_path(&dir, first));
                continue;
            }
            unacked_bytes += bytes;
            pages.push_back(Page {
                first_seq: first,
                end_seq,
            });
        }
        let next = pages.back().map_or(acked, |p| p.end_seq).max(acked);
        if pages.is_empty() || pages.back().is_some_and(|p| p.end_seq < acked) {
            File::create(page_path(&dir, next))
                .map_err(|e| Error::io(dir.display().to_string(), e))?;
            pages.push_back(Page {
                first_seq: next,
                end_seq: next,
            });
        }
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
            state: Mutex::new(state),
            reader: tokio::sync::Mutex::new(Reader {
                next_seq: acked,
                page_first: u64::MAX,
                file: None,
            }),
            writes: tx,
            data: Notify::new(),
            space: Notify::new(),
            checkpoint: Mutex::new(acked),
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
        let size: u64 = payloads.iter().map(|p| (p.len() + HEADER) as u64).sum();
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
        if reader.page_first != page_first || reader.file.is_none() {
            let path = page_path(&self.config.path, page_first);
            let f = File::open(&path).map_err(|e| Error::io(path.display().to_string(), e))?;
            let mut r = BufReader::new(f);
            // Skip records before `seq` (only after a restart, or when the page just changed).
            let mut s = page_first;
            while s < seq {
                read_record(&mut r).map_err(|e| Error::queue(&path, e))?;
                s += 1;
            }
            reader.file = Some(r);
            reader.page_first = page_first;
        }
        let path = page_path(&self.config.path, page_first);
        let r = reader
            .file
            .as_mut()
            .ok_or_else(|| Error::queue(&path, "page not open"))?;
        let (got, payload) = read_record(r)
            .map_err(|e| Error::queue(&path, e))?
            .ok_or_else(|| Error::queue(&path, format!("record {seq} missing")))?;
        if got != seq {
            return Err(Error::queue(
                &path,
                format!("read record {got}, expected {seq}"),
            ));
        }
        reader.next_seq += 1;
        let len = payload.len();
        let ev = LogEvent::from_json_bytes(payload.into())
            .map_err(|e| Error::queue(&path, format!("record {seq} is not an event: {e}")))?;
        Ok((ev, (len + HEADER) as u64))
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
            let _ = fs::remove_file(page_path(&self.config.path, first));
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
/// then publishes the new records and answers every pusher.
fn writer_loop(q: &std::sync::Weak<PersistedQueue>, mut rx: mpsc::Receiver<WriteReq>) {
    let mut file: Option<(u64, File, u64)> = None; // (page first seq, file, size)
    while let Some(first) = rx.blocking_recv() {
        let mut reqs = vec![first];
        while let Ok(r) = rx.try_recv() {
            reqs.push(r);
        }
        let Some(q) = q.upgrade() else { return };
        let result = q.append(&mut file, &reqs);
        if let Err(e) = &result {
            q.state.lock().writer_error = Some(e.to_string());
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
    fn append(&self, file: &mut Option<(u64, File, u64)>, reqs: &[WriteReq]) -> Result<()> {
        let dir = &self.config.path;
        let (mut seq, page_first) = {
            let st = self.state.lock();
            let page = st.pages.back().map_or(st.committed, |p| p.first_seq);
            (st.committed, page)
        };
        if file.as_ref().is_none_or(|(f, _, _)| *f != page_first) {
            let path = page_path(dir, page_first);
            let mut f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| Error::io(path.display().to_string(), e))?;
            let size = f
                .seek(SeekFrom::End(0))
                .map_err(|e| Error::io(path.display().to_string(), e))?;
            *file = Some((page_first, f, size));
        }
        let mut buf = Vec::new();
        let mut added_bytes = 0u64;
        for payload in reqs.iter().flat_map(|r| r.payloads.iter()) {
            let len = u32::try_from(payload.len())
                .map_err(|_| Error::queue(dir, "event larger than 4 GiB"))?;
            buf.extend_from_slice(&len.to_le_bytes());
            buf.extend_from_slice(&checksum(seq, payload).to_le_bytes());
            buf.extend_from_slice(&seq.to_le_bytes());
            buf.extend_from_slice(payload);
            added_bytes += (HEADER + payload.len()) as u64;
            seq += 1;
        }
        let Some((_, f, size)) = file.as_mut() else {
            return Err(Error::queue(dir, "no open page"));
        };
        let path = page_path(dir, page_first);
        f.write_all(&buf)
            .and_then(|()| f.sync_data())
            .map_err(|e| Error::io(path.display().to_string(), e))?;
        *size += buf.len() as u64;
        let rotate = *size >= self.config.page_capacity;
        if rotate {
            File::create(page_path(dir, seq))
                .and_then(|_| File::open(dir).and_then(|d| d.sync_all()))
                .map_err(|e| Error::io(dir.display().to_string(), e))?;
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
            *file = None;
        }
        Ok(())
    }
}
