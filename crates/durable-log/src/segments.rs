//! A directory of numbered segment files.

use std::fs::{self, File, OpenOptions};
use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::frame;
use crate::{Error, Result};

/// Where a log's segments live and how they are named: `<prefix><n, 20 digits><suffix>`.
#[derive(Debug, Clone)]
pub struct Segments {
    dir: PathBuf,
    prefix: &'static str,
    suffix: &'static str,
}

/// What [`Segments::scan`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scan {
    /// Good records read.
    pub records: u64,
    /// Bytes of the good records (the segment's length after a cut).
    pub bytes: u64,
    /// Bytes cut off a torn or corrupt tail (0 when the segment was whole).
    pub cut: u64,
}

impl Segments {
    /// Segments named `<prefix><n><suffix>` in `dir`.
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>, prefix: &'static str, suffix: &'static str) -> Self {
        Segments {
            dir: dir.into(),
            prefix,
            suffix,
        }
    }

    /// The directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of segment `n`.
    #[must_use]
    pub fn path(&self, n: u64) -> PathBuf {
        self.dir
            .join(format!("{}{n:020}{}", self.prefix, self.suffix))
    }

    /// The segments' numbers, ascending.
    ///
    /// # Errors
    /// When the directory cannot be read.
    pub fn list(&self) -> Result<Vec<u64>> {
        let mut numbers = Vec::new();
        let entries = fs::read_dir(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&self.dir, e))?;
            let name = entry.file_name();
            if let Some(n) = name
                .to_str()
                .and_then(|n| n.strip_prefix(self.prefix))
                .and_then(|n| n.strip_suffix(self.suffix))
                .and_then(|n| n.parse::<u64>().ok())
            {
                numbers.push(n);
            }
        }
        numbers.sort_unstable();
        Ok(numbers)
    }

    /// Removes segment `n` (the caller syncs the directory when it matters).
    ///
    /// # Errors
    /// When it exists and cannot be removed.
    pub fn remove(&self, n: u64) -> Result<()> {
        let path = self.path(n);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&path, e)),
            _ => Ok(()),
        }
    }

    /// Reads segment `n`, handing each record's payload to `each` in order. A torn or corrupt
    /// record — or one `each` refuses with a reason — ends the scan: with `cut_tail` (the newest
    /// segment, where a crash leaves a half-written batch) the segment is cut back to the last
    /// good record and the cut is reported and logged; otherwise it is [`Error::Corrupt`].
    ///
    /// # Errors
    /// I/O errors, and a bad record when `cut_tail` is false.
    pub fn scan(
        &self,
        n: u64,
        cut_tail: bool,
        mut each: impl FnMut(Vec<u8>) -> std::result::Result<(), String>,
    ) -> Result<Scan> {
        let path = self.path(n);
        let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
        let len = file.metadata().map_err(|e| Error::io(&path, e))?.len();
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut scan = Scan::default();
        let reason = loop {
            match frame::read(&mut reader) {
                Ok(None) => return Ok(scan),
                Ok(Some(payload)) => {
                    let size = (frame::HEADER + payload.len()) as u64;
                    if let Err(reason) = each(payload) {
                        break reason;
                    }
                    scan.records += 1;
                    scan.bytes += size;
                }
                Err(bad) => break bad.reason,
            }
        };
        if !cut_tail {
            return Err(Error::Corrupt {
                path,
                offset: scan.bytes,
                reason,
            });
        }
        scan.cut = len.saturating_sub(scan.bytes);
        tracing::warn!(file = %path.display(), offset = scan.bytes, bytes = scan.cut, %reason,
            "torn or corrupt tail in the newest segment; cutting it");
        let f = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        f.set_len(scan.bytes)
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io(&path, e))?;
        Ok(scan)
    }
}
