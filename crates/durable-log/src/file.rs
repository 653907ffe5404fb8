//! The file a segment is written to, and directory durability.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use crate::{Error, Result};

/// The file a segment is written to (a real [`File`], or a test double that fails).
pub trait LogFile: Send {
    /// Writes the whole buffer.
    ///
    /// # Errors
    /// The device's error; part of the buffer may have been written.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()>;
    /// Makes what was written durable (`fdatasync`).
    ///
    /// # Errors
    /// The device's error; what was written may be lost.
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

/// Opens (creates, for appending) a segment file.
pub type Opener = Arc<dyn Fn(&Path) -> io::Result<Box<dyn LogFile>> + Send + Sync>;

/// Opens real files, appending.
#[must_use]
pub fn real_opener() -> Opener {
    Arc::new(|path: &Path| {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map(|f| Box::new(f) as Box<dyn LogFile>)
    })
}

/// Makes a directory's entries (a new, removed or renamed file) durable.
///
/// # Errors
/// When the directory cannot be opened or synced.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// Replaces `path` with `contents` so that a crash leaves the old or the new contents, never a
/// torn or empty file: write a temporary file beside it, fsync it, rename it over, fsync the
/// directory.
///
/// # Errors
/// Any step's I/O error (the old file is then intact).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut tmp_name = path.file_name().unwrap_or_default().to_owned();
    tmp_name.push(".tmp");
    let tmp = dir.join(tmp_name);
    let mut f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    Write::write_all(&mut f, contents)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(&tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
    sync_dir(dir)
}
