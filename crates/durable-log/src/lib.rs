//! An append-only log of checksummed records on disk, shared by the store's translog and the
//! agent's persisted queue.
//!
//! The pieces, bottom up:
//! - [`frame`]: a record is `[len: u32 LE][crc32(payload): u32 LE][payload]`; [`frame::Frames`]
//!   walks a buffer and [`frame::read`] a stream, both stopping at the first torn or corrupt
//!   record with its offset and reason.
//! - [`Segments`]: a directory of numbered segment files (`translog-<n>.tlog`,
//!   `page-<n>.log`): listing, paths, [`Segments::scan`] that reads one and cuts a torn tail.
//! - [`Appender`]: writes records to the newest segment. Writers [`Appender::append`] to an
//!   in-memory tail, then [`Appender::sync`]: one caller's write + `fdatasync` covers every record
//!   appended before it (group commit), and every writer whose records were in that batch gets
//!   the batch's result. The first failed write or fsync **stops** the log, as PostgreSQL stops
//!   after a failed fsync (the kernel may have dropped the dirty pages, and half a batch may be on
//!   disk): every later sync of a record not yet durable gets the same error until the owner
//!   reopens the directory, whose scan cuts whatever partial record the failure left.
//! - [`LogFile`]: the file behind a trait, so tests inject `ENOSPC` on write and `EIO` on fsync.
//!
//! Directory fsyncs (a new segment, a rename) report their errors; nothing is dropped.
//!
//! ```
//! # fn main() -> Result<(), durable_log::Error> {
//! use durable_log::{Appender, Segments, frame};
//! let dir = tempfile::tempdir().map_err(|e| durable_log::Error::io(".", e))?;
//! let segments = Segments::new(dir.path(), "log-", ".seg");
//! let log = Appender::create("example log", &segments.path(1), true, durable_log::real_opener())?;
//! let pos = log.append(|buf| frame::encode(buf, b"hello"));
//! log.sync(pos)?; // durable once this returns
//! let mut records = Vec::new();
//! let scan = segments.scan(1, true, |r| {
//!     records.push(r);
//!     Ok(())
//! })?;
//! assert_eq!(records, vec![b"hello".to_vec()]);
//! assert_eq!(scan.cut, 0);
//! # Ok(())
//! # }
//! ```

pub mod faults;
pub mod frame;

mod appender;
mod file;
mod segments;

pub use appender::Appender;
pub use file::{LogFile, Opener, real_opener, sync_dir, write_atomic};
pub use segments::{Scan, Segments};

use std::path::{Path, PathBuf};

/// Errors of the log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error on a file or directory.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The log stopped after a failed write or fsync; nothing more is acknowledged until it is
    /// reopened.
    #[error(
        "{}: {name} stopped after a failed write ({message}); the write was not acknowledged and may or may not be applied after a restart",
        path.display()
    )]
    Stopped {
        /// What the log is ("translog", "persisted queue").
        name: &'static str,
        /// The segment that failed.
        path: PathBuf,
        /// The kind of the first error.
        kind: std::io::ErrorKind,
        /// The first error's text.
        message: String,
    },
    /// A record before the last segment's tail is bad (not a crash's torn write).
    #[error("{}: {reason} at byte {offset}", path.display())]
    Corrupt {
        /// The segment.
        path: PathBuf,
        /// Offset of the bad record.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.as_ref().to_owned(),
            source,
        }
    }

    /// The I/O error kind behind this error (`Other` for corruption).
    #[must_use]
    pub fn kind(&self) -> std::io::ErrorKind {
        match self {
            Error::Io { source, .. } => source.kind(),
            Error::Stopped { kind, .. } => *kind,
            Error::Corrupt { .. } => std::io::ErrorKind::InvalidData,
        }
    }

    /// True once the log stopped after a failed write.
    #[must_use]
    pub fn is_stopped(&self) -> bool {
        matches!(self, Error::Stopped { .. })
    }
}

/// Result with the log's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests;
