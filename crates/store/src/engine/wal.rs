//! The write-ahead log (ES's translog): checksummed records, group commit, replay with torn-tail
//! truncation.
//!
//! Files are `translog-<generation>.tlog` in the index directory. A record is
//! `[len: u32 LE][crc32(payload): u32 LE][payload]`, the payload
//! `[kind: u8][seq_no: u64][version: u64][id_len: u32][id][source]`.
//! Writers [`Wal::append`] under the index's writer lock, then [`Wal::sync`] outside it: one
//! thread's fsync covers every record appended before it (group commit), and every writer whose
//! records were in that batch gets the batch's result. The first failed write or fsync stops the
//! log (as PostgreSQL stops after a failed fsync: the kernel may have dropped the dirty pages):
//! every later sync of a record not yet durable gets the same error until the store reopens the
//! index, whose replay truncates whatever partial record the failure left. The file sits behind
//! [`LogFile`] so tests inject `ENOSPC`/`EIO`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;

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
        let (kind, seq, ver, id, src): (u8, u64, u64, &str, &[u8]) = match self {
            WalOp::Index {
                seq_no,
                version,
                id,
                source,
                auto_id,
            } => (if *auto_id { 2 } else { 1 }, *seq_no, *version, id, source),
            WalOp::Delete {
                seq_no,
                version,
                id,
            } => (3, *seq_no, *version, id, &[]),
        };
        encode_record(out, kind, seq, ver, id, src);
    }

    fn decode(p: &[u8]) -> Option<WalOp> {
        let kind = *p.first()?;
        let seq_no = u64::from_le_bytes(p.get(1..9)?.try_into().ok()?);
        let version = u64::from_le_bytes(p.get(9..17)?.try_into().ok()?);
        let id_len = u32::from_le_bytes(p.get(17..21)?.try_into().ok()?) as usize;
        let id = std::str::from_utf8(p.get(21..21 + id_len)?)
            .ok()?
            .to_owned();
        let rest = p.get(21 + id_len..)?;
        match kind {
            1 | 2 => Some(WalOp::Index {
                seq_no,
                version,
                id,
                source: Bytes::copy_from_slice(rest),
                auto_id: kind == 2,
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

/// Appends one record: `[len][crc][kind][seq_no][version][id_len][id][source]`.
fn encode_record(out: &mut Vec<u8>, kind: u8, seq: u64, ver: u64, id: &str, src: &[u8]) {
    let start = out.len();
    out.extend_from_slice(&[0u8; 8]);
    out.push(kind);

    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&ver.to_le_bytes());
    out.extend_from_slice(&(id.len() as u32).to_le_bytes());
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(src);
    let payload_len = out.len() - start - 8;
    let crc = crc32fast::hash(&out[start + 8..]);
    out[start..start + 4].copy_from_slice(&(payload_len as u32).to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

struct Pending {
    buf: Vec<u8>,
    appended: u64,
}

/// The file a generation is written to (a real [`File`], or a test double that fails).
pub trait LogFile: Send {
    /// Writes the whole buffer.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()>;
    /// Makes what was written durable (`fdatasync`).
    fn sync_data(&mut self) -> io::Result<()>;
}

impl LogFile for File {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        Write::write_all(self, buf)
    }
    fn sync_data(&mut self) -> io::Result<()> {
        File::sync_data(self)
    }
}

/// Opens (creates, for appending) the file of a generation.
pub type Opener = Arc<dyn Fn(&Path) -> io::Result<Box<dyn LogFile>> + Send + Sync>;

fn real_opener() -> Opener {
    Arc::new(|path: &Path| {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map(|f| Box::new(f) as Box<dyn LogFile>)
    })
}

struct SyncState {
    file: Box<dyn LogFile>,
    path: PathBuf,
    generation: u64,
    synced: u64,
    /// The first write or fsync error: the log is stopped.
    failed: Option<(io::ErrorKind, String)>,
}

/// A per-index write-ahead log.
pub struct Wal {
    dir: PathBuf,
    fsync: bool,
    opener: Opener,
    pending: Mutex<Pending>,
    sync: Mutex<SyncState>,
}

/// What replay found.
#[derive(Debug, Default)]
pub struct Replay {
    /// Operations in log order.
    pub ops: Vec<WalOp>,
    /// Bytes cut off torn or corrupt tails.
    pub truncated_bytes: u64,
}

fn gen_path(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("translog-{generation:020}.tlog"))
}

fn generations(dir: &Path) -> Result<Vec<u64>> {
    let mut gens = Vec::new();
    let rd = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in rd {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(g) = name
            .strip_prefix("translog-")
            .and_then(|r| r.strip_suffix(".tlog"))
            .and_then(|g| g.parse::<u64>().ok())
        {
            gens.push(g);
        }
    }
    gens.sort_unstable();
    Ok(gens)
}

impl Wal {
    /// Opens the log in `dir`: reads every generation (truncating torn tails), then starts a new
    /// generation for writing.
    pub fn open(dir: &Path, fsync: bool) -> Result<(Wal, Replay)> {
        Wal::open_with(dir, fsync, real_opener())
    }

    /// [`Wal::open`] writing through `opener` (tests inject failing files).
    pub fn open_with(dir: &Path, fsync: bool, opener: Opener) -> Result<(Wal, Replay)> {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let gens = generations(dir)?;
        let mut replay = Replay::default();
        for g in &gens {
            let path = gen_path(dir, *g);
            replay.truncated_bytes += read_generation(&path, &mut replay.ops)?;
        }
        let generation = gens.last().map_or(1, |g| g + 1);
        let path = gen_path(dir, generation);
        let file = opener(&path).map_err(|e| Error::io(&path, e))?;
        sync_dir(dir)?;
        Ok((
            Wal {
                dir: dir.to_owned(),
                fsync,
                opener,
                pending: Mutex::new(Pending {
                    buf: Vec::with_capacity(1 << 20),
                    appended: 0,
                }),
                sync: Mutex::new(SyncState {
                    file,
                    path,
                    generation,
                    synced: 0,
                    failed: None,
                }),
            },
            replay,
        ))
    }

    /// Appends a record to the in-memory tail; returns the position to pass to [`Wal::sync`].
    pub fn append(&self, op: &WalOp) -> u64 {
        let mut p = self.pending.lock();
        let before = p.buf.len();
        op.encode(&mut p.buf);
        p.appended += (p.buf.len() - before) as u64;
        p.appended
    }

    /// [`Wal::append`] of an index operation, from borrowed parts.
    pub fn append_index(
        &self,
        seq_no: u64,
        version: u64,
        id: &str,
        source: &[u8],
        auto_id: bool,
    ) -> u64 {
        let mut p = self.pending.lock();
        let before = p.buf.len();
        let kind = if auto_id { 2 } else { 1 };
        encode_record(&mut p.buf, kind, seq_no, version, id, source);
        p.appended += (p.buf.len() - before) as u64;
        p.appended
    }

    /// Makes every record up to `upto` durable (write + fdatasync), batching with other writers.
    pub fn sync(&self, upto: u64) -> Result<()> {
        let mut s = self.sync.lock();
        if s.synced >= upto {
            return Ok(());
        }
        self.flush_locked(&mut s)
    }

    fn flush_locked(&self, s: &mut SyncState) -> Result<()> {
        if let Some((kind, msg)) = &s.failed {
            return Err(stopped(&s.path, *kind, msg));
        }
        let (buf, end) = {
            let mut p = self.pending.lock();
            let cap = p.buf.capacity().min(8 << 20);
            (
                std::mem::replace(&mut p.buf, Vec::with_capacity(cap)),
                p.appended,
            )
        };
        if !buf.is_empty() {
            let mut done = s.file.write_all(&buf);
            if done.is_ok() && self.fsync {
                done = s.file.sync_data();
            }
            if let Err(e) = done {
                // the batch may be partly on disk: nothing after it may be written, and every
                // writer of it (and of anything later) gets this error
                tracing::error!(file = %s.path.display(), error = %e, "translog write failed; the index stops taking writes until it is reopened");
                s.failed = Some((e.kind(), e.to_string()));
                return Err(stopped(&s.path, e.kind(), &e.to_string()));
            }
        }
        s.synced = end;
        Ok(())
    }

    /// True when a write or fsync failed: no further write can be acknowledged.
    pub fn is_stopped(&self) -> bool {
        self.sync.lock().failed.is_some()
    }

    /// Flushes the tail and starts a new generation; returns the new generation number. Call it
    /// while no writer appends (under the index's exclusive writer lock), before committing.
    pub fn roll(&self) -> Result<u64> {
        let mut s = self.sync.lock();
        self.flush_locked(&mut s)?;
        let generation = s.generation + 1;
        let path = gen_path(&self.dir, generation);
        s.file = (self.opener)(&path).map_err(|e| Error::io(&path, e))?;
        s.path = path;
        s.generation = generation;
        sync_dir(&self.dir)?;
        Ok(generation)
    }

    /// Deletes generations older than `generation` (their operations are committed).
    pub fn trim_below(&self, generation: u64) -> Result<()> {
        for g in generations(&self.dir)? {
            if g < generation {
                let p = gen_path(&self.dir, g);
                fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
            }
        }
        Ok(())
    }

    /// Bytes appended and not yet written (for memory accounting).
    pub fn pending_bytes(&self) -> usize {
        self.pending.lock().buf.len()
    }
}

/// The error every sync gets once the log stopped.
fn stopped(path: &Path, kind: io::ErrorKind, msg: &str) -> Error {
    Error::io(
        path,
        io::Error::new(
            kind,
            format!(
                "translog stopped after a failed write ({msg}); the write was not acknowledged and may or may not be applied after a restart"
            ),
        ),
    )
}

/// Makes a directory's entries (a new or renamed file) durable.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// Reads one generation into `ops`; a torn or corrupt tail is cut off (and reported). Returns the
/// number of bytes cut.
fn read_generation(path: &Path, ops: &mut Vec<WalOp>) -> Result<u64> {
    let mut data = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut data))
        .map_err(|e| Error::io(path, e))?;
    let mut pos = 0usize;
    let mut reason = "";
    while pos < data.len() {
        let Some(header) = data.get(pos..pos + 8) else {
            reason = "truncated record header";
            break;
        };
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        let Some(payload) = data.get(pos + 8..pos + 8 + len) else {
            reason = "truncated record payload";
            break;
        };
        if crc32fast::hash(payload) != crc {
            reason = "checksum mismatch";
            break;
        }
        let Some(op) = WalOp::decode(payload) else {
            reason = "undecodable record";
            break;
        };
        ops.push(op);
        pos += 8 + len;
    }
    if pos < data.len() {
        let cut = (data.len() - pos) as u64;
        tracing::warn!(
            file = %path.display(),
            offset = pos,
            bytes = cut,
            reason,
            "translog has a torn or corrupt tail; truncating it"
        );
        let f = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        f.set_len(pos as u64).map_err(|e| Error::io(path, e))?;
        f.sync_all().map_err(|e| Error::io(path, e))?;
        return Ok(cut);
    }
    Ok(0)
}

#[cfg(test)]
mod tests;
