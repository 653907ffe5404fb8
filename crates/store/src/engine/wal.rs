//! The write-ahead log (ES's translog): checksummed records, group commit, replay with torn-tail
//! truncation.
//!
//! Files are `translog-<generation>.tlog` in the index directory. A record is
//! `[len: u32 LE][crc32(payload): u32 LE][payload]`, the payload
//! `[kind: u8][seq_no: u64][version: u64][id_len: u32][id][source]`; an index operation with a
//! custom routing (kinds 4 and 5) has `[routing_len: u32][routing]` between the id and the
//! source.
//! Writers [`Wal::append`] under the index's writer lock, then [`Wal::sync`] outside it: one
//! thread's fsync covers every record appended before it (group commit), and every writer whose
//! records were in that batch gets the batch's result. The first failed write or fsync stops the
//! log (as PostgreSQL stops after a failed fsync: the kernel may have dropped the dirty pages):
//! every later sync of a record not yet durable gets the same error until the store reopens the
//! index, whose replay truncates whatever partial record the failure left. The file sits behind
//! [`LogFile`] so tests inject `ENOSPC`/`EIO`.

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use durable_log::{Appender, Segments, frame};
pub use durable_log::{LogFile, Opener, real_opener};

use crate::engine::util::log_error;
use crate::error::{Error, Result};

/// One logged operation.
#[derive(Debug, Clone, PartialEq)]
pub enum WalOp {
    /// Index a document (create or overwrite).
    Index {
        /// Sequence number.
        seq_no: u64,
        /// Version after the write.
        version: u64,
        /// `_id`.
        id: String,
        /// `_source` bytes.
        source: Bytes,
        /// True when the id was generated (no previous version can exist).
        auto_id: bool,
        /// The custom `routing` the document was written with.
        routing: Option<String>,
    },
    /// Delete a document.
    Delete {
        /// Sequence number.
        seq_no: u64,
        /// Version after the delete.
        version: u64,
        /// `_id`.
        id: String,
    },
}

impl WalOp {
    /// The sequence number.
    pub fn seq_no(&self) -> u64 {
        match self {
            WalOp::Index { seq_no, .. } | WalOp::Delete { seq_no, .. } => *seq_no,
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            WalOp::Index {
                seq_no,
                version,
                id,
                source,
                auto_id,
                routing,
            } => encode_record(
                out,
                Record {
                    kind: index_kind(*auto_id, routing.is_some()),
                    seq: *seq_no,
                    ver: *version,
                    id,
                    routing: routing.as_deref(),
                    src: source,
                },
            ),
            WalOp::Delete {
                seq_no,
                version,
                id,
            } => encode_record(
                out,
                Record {
                    kind: 3,
                    seq: *seq_no,
                    ver: *version,
                    id,
                    routing: None,
                    src: &[],
                },
            ),
        }
    }

    fn decode(payload: &Bytes) -> Option<WalOp> {
        let p = &payload[..];
        let kind = *p.first()?;
        let seq_no = u64::from_le_bytes(p.get(1..9)?.try_into().ok()?);
        let version = u64::from_le_bytes(p.get(9..17)?.try_into().ok()?);
        let id_len = u32::from_le_bytes(p.get(17..21)?.try_into().ok()?) as usize;
        let id = std::str::from_utf8(p.get(21..21 + id_len)?)
            .ok()?
            .to_owned();
        let mut rest = p.get(21 + id_len..)?;
        let routing = if matches!(kind, 4 | 5) {
            let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
            let r = std::str::from_utf8(rest.get(4..4 + len)?).ok()?.to_owned();
            rest = rest.get(4 + len..)?;
            Some(r)
        } else {
            None
        };
        match kind {
            1 | 2 | 4 | 5 => Some(WalOp::Index {
                seq_no,
                version,
                id,
                source: payload.slice(payload.len() - rest.len()..),
                auto_id: matches!(kind, 2 | 5),
                routing,
            }),
            3 => Some(WalOp::Delete {
                seq_no,
                version,
                id,
            }),
            _ => None,
        }
    }
}

/// The record kind of an index operation: 1 (2 with a generated id), 4 and 5 with a routing.
fn index_kind(auto_id: bool, routed: bool) -> u8 {
    match (auto_id, routed) {
        (false, false) => 1,
        (true, false) => 2,
        (false, true) => 4,
        (true, true) => 5,
    }
}

/// The parts of one record.
#[derive(Clone, Copy)]
struct Record<'a> {
    kind: u8,
    seq: u64,
    ver: u64,
    id: &'a str,
    routing: Option<&'a str>,
    src: &'a [u8],
}

/// Appends one record: `[len][crc][kind][seq_no][version][id_len][id]([routing_len][routing])
/// [source]`.
fn encode_record(out: &mut Vec<u8>, r: Record<'_>) {
    frame::encode_with(out, |out| {
        out.push(r.kind);
        out.extend_from_slice(&r.seq.to_le_bytes());
        out.extend_from_slice(&r.ver.to_le_bytes());
        out.extend_from_slice(&(r.id.len() as u32).to_le_bytes());
        out.extend_from_slice(r.id.as_bytes());
        if let Some(routing) = r.routing {
            out.extend_from_slice(&(routing.len() as u32).to_le_bytes());
            out.extend_from_slice(routing.as_bytes());
        }
        out.extend_from_slice(r.src);
    });
}

/// The document of an index record, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct IndexRecord<'a> {
    /// `_id`.
    pub id: &'a str,
    /// The custom routing, if any.
    pub routing: Option<&'a str>,
    /// `_source` bytes.
    pub source: &'a [u8],
    /// True when the id was generated.
    pub auto_id: bool,
}

/// A per-index write-ahead log: generations `translog-<n>.tlog` written through one
/// [`Appender`].
pub struct Wal {
    segments: Segments,
    log: Appender,
    generation: AtomicU64,
}

/// What replay found.
#[derive(Debug, Default)]
pub struct Replay {
    /// Operations in log order.
    pub ops: Vec<WalOp>,
    /// Bytes cut off torn or corrupt tails.
    pub truncated_bytes: u64,
}

impl Wal {
    /// Opens the log in `dir`: reads every generation (cutting torn tails), then starts a new
    /// generation for writing.
    pub fn open(dir: &Path, fsync: bool) -> Result<(Wal, Replay)> {
        Wal::open_with(dir, fsync, real_opener())
    }

    /// [`Wal::open`] writing through `opener` (tests inject failing files).
    pub fn open_with(dir: &Path, fsync: bool, opener: Opener) -> Result<(Wal, Replay)> {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let segments = Segments::new(dir, "translog-", ".tlog");
        let gens = segments.list().map_err(log_error)?;
        let mut replay = Replay::default();
        for g in &gens {
            // every generation may end torn: each was the newest once, and a later one is only
            // started after the earlier was flushed, so a cut never loses an acknowledged record
            let scan = segments
                .scan(*g, true, |payload| {
                    let op = WalOp::decode(&Bytes::from(payload))
                        .ok_or_else(|| "undecodable record".to_owned())?;
                    replay.ops.push(op);
                    Ok(())
                })
                .map_err(log_error)?;
            replay.truncated_bytes += scan.cut;
        }
        let generation = gens.last().map_or(1, |g| g + 1);
        let log = Appender::create("translog", &segments.path(generation), fsync, opener)
            .map_err(log_error)?;
        Ok((
            Wal {
                segments,
                log,
                generation: AtomicU64::new(generation),
            },
            replay,
        ))
    }

    /// Appends a record to the in-memory tail; returns the position to pass to [`Wal::sync`].
    pub fn append(&self, op: &WalOp) -> u64 {
        self.log.append(|buf| op.encode(buf))
    }

    /// [`Wal::append`] of an index operation, from borrowed parts.
    pub fn append_index(&self, seq_no: u64, version: u64, doc: IndexRecord<'_>) -> u64 {
        let record = Record {
            kind: index_kind(doc.auto_id, doc.routing.is_some()),
            seq: seq_no,
            ver: version,
            id: doc.id,
            routing: doc.routing,
            src: doc.source,
        };
        self.log.append(|buf| encode_record(buf, record))
    }

    /// Makes every record up to `upto` durable (write + fdatasync), batching with other writers.
    pub fn sync(&self, upto: u64) -> Result<()> {
        self.log.sync(upto).map_err(log_error)
    }

    /// True when a write or fsync failed: no further write can be acknowledged.
    pub fn is_stopped(&self) -> bool {
        self.log.is_stopped()
    }

    /// Flushes the tail and starts a new generation; returns the new generation number. Call it
    /// while no writer appends (under the index's exclusive writer lock), before committing.
    pub fn roll(&self) -> Result<u64> {
        let generation = self.generation.load(Ordering::SeqCst) + 1;
        self.log
            .roll(&self.segments.path(generation))
            .map_err(log_error)?;
        self.generation.store(generation, Ordering::SeqCst);
        Ok(generation)
    }

    /// Deletes generations older than `generation` (their operations are committed).
    pub fn trim_below(&self, generation: u64) -> Result<()> {
        for g in self.segments.list().map_err(log_error)? {
            if g < generation {
                self.segments.remove(g).map_err(log_error)?;
            }
        }
        Ok(())
    }

    /// Bytes appended and not yet written (for memory accounting).
    pub fn pending_bytes(&self) -> usize {
        self.log.pending_bytes()
    }
}

#[cfg(test)]
mod tests;
