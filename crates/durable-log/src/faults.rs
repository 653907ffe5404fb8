//! A segment file that fails on demand, for fault-injection tests of the log's users.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::file::{LogFile, Opener};

/// A real file whose writes or fsyncs fail while a switch is on: a failing write lands only
/// the first half of its buffer (plus 3 bytes) on disk, a torn record, as a full disk does, and
/// returns `ENOSPC`; a failing fsync returns `EIO`.
#[derive(Debug)]
pub struct Faulty {
    file: File,
    fail_write: Arc<AtomicBool>,
    fail_sync: Arc<AtomicBool>,
}

impl LogFile for Faulty {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if self.fail_write.load(Ordering::SeqCst) {
            Write::write_all(&mut self.file, &buf[..buf.len() / 2 + 3])?;
            return Err(io::Error::from_raw_os_error(28)); // ENOSPC
        }
        Write::write_all(&mut self.file, buf)
    }
    fn sync_data(&mut self) -> io::Result<()> {
        if self.fail_sync.load(Ordering::SeqCst) {
            return Err(io::Error::from_raw_os_error(5)); // EIO
        }
        self.file.sync_data()
    }
}

/// An opener of [`Faulty`] files and its two switches: (opener, fail writes, fail fsyncs).
#[must_use]
pub fn opener() -> (Opener, Arc<AtomicBool>, Arc<AtomicBool>) {
    let fail_write: Arc<AtomicBool> = Arc::default();
    let fail_sync: Arc<AtomicBool> = Arc::default();
    let (w, s) = (fail_write.clone(), fail_sync.clone());
    let opener: Opener = Arc::new(move |path: &Path| {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Box::new(Faulty {
            file,
            fail_write: w.clone(),
            fail_sync: s.clone(),
        }) as Box<dyn LogFile>)
    });
    (opener, fail_write, fail_sync)
}
