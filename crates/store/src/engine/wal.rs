//! The write-ahead log (ES's translog): checksummed records, group commit, replay with torn-tail
//! truncation.
//!
//! Files are `translog-<generation>.tlog` in the index directory. A record is
//! `[len: u32 LE][crc32(payload): u32 LE][payload]`, the payload
//! `[kind: u8][seq_no: u64][version: u64][id_len: u32][id][source]`.
//! Writers [`Wal::append`] under the index's writer lock, then [`Wal::sync`] outside it: one
//! thread's fsync covers every record appended before it (group commit).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

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

struct SyncState {
    file: File,
    path: PathBuf,
    generation: u64,
    synced: u64,
}

/// A per-index write-ahead log.
pub struct Wal {
    dir: PathBuf,
    fsync: bool,
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
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let gens = generations(dir)?;
        let mut replay = Replay::default();
        for g in &gens {
            let path = gen_path(dir, *g);
            replay.truncated_bytes += read_generation(&path, &mut replay.ops)?;
        }
        let generation = gens.last().map_or(1, |g| g + 1);
        let path = gen_path(dir, generation);
        let file = create_file(&path)?;
        sync_dir(dir);
        Ok((
            Wal {
                dir: dir.to_owned(),
                fsync,
                pending: Mutex::new(Pending {
                    buf: Vec::with_capacity(1 << 20),
                    appended: 0,
                }),
                sync: Mutex::new(SyncState {
                    file,
                    path,
                    generation,
                    synced: 0,
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
        let (buf, end) = {
            let mut p = self.pending.lock();
            let cap = p.buf.capacity().min(8 << 20);
            (
                std::mem::replace(&mut p.buf, Vec::with_capacity(cap)),
                p.appended,
            )
        };
        if !buf.is_empty() {
            s.file.write_all(&buf).map_err(|e| Error::io(&s.path, e))?;
            if self.fsync {
                s.file.sync_data().map_err(|e| Error::io(&s.path, e))?;
            }
        }
        s.synced = end;
        Ok(())
    }

    /// Flushes the tail and starts a new generation; returns the new generation number. Call it
    /// while no writer appends (under the index's exclusive writer lock), before committing.
    pub fn roll(&self) -> Result<u64> {
        let mut s = self.sync.lock();
        self.flush_locked(&mut s)?;
        let generation = s.generation + 1;
        let path = gen_path(&self.dir, generation);
        s.file = create_file(&path)?;
        s.path = path;
        s.generation = generation;
        sync_dir(&self.dir);
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

fn create_file(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(path, e))
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
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
