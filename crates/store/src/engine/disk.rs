//! Disk watermarks, as Elasticsearch has them (`cluster.routing.allocation.disk.watermark.*`).
//!
//! A single node has no shards to move, so `low` and `high` only log; at `flood_stage` every
//! index gets Elasticsearch's `read_only_allow_delete` block: writes are refused at once with
//! 429 `cluster_block_exception` (instead of hanging when the disk fills), while searches,
//! reads and deletes still work. The block goes away by itself once usage is back below `high`,
//! as in Elasticsearch 8. Usage is read through [`DiskProbe`] (`statvfs`, or a test double) at
//! most once per check interval.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::error::{Error, Result};

/// Space on the file system holding the data directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskUsage {
    /// Size of the file system in bytes.
    pub total: u64,
    /// Bytes available to this process.
    pub available: u64,
}

/// Reads the file system's usage.
pub trait DiskProbe: Send + Sync {
    /// The usage of the file system that holds `path`.
    ///
    /// # Errors
    /// When the file system cannot be asked.
    fn usage(&self, path: &Path) -> io::Result<DiskUsage>;
}

/// The real probe: `statvfs(2)`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Statvfs;

impl DiskProbe for Statvfs {
    fn usage(&self, path: &Path) -> io::Result<DiskUsage> {
        let s = rustix::fs::statvfs(path).map_err(io::Error::from)?;
        Ok(DiskUsage {
            total: s.f_blocks.saturating_mul(s.f_frsize),
            available: s.f_bavail.saturating_mul(s.f_frsize),
        })
    }
}

/// One watermark: a share of the disk used (`95%`, `0.95`) or bytes that must stay free
/// (`500mb`), as Elasticsearch's settings take them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// Exceeded when more than this share (0..=1) is used.
    Used(f64),
    /// Exceeded when fewer than this many bytes are free.
    Free(u64),
}

impl Threshold {
    /// Parses `95%`, `0.95` or a byte size (`500mb`, `1gb`, `1024b`).
    ///
    /// # Errors
    /// `illegal_argument_exception` naming `setting`.
    pub fn parse(setting: &str, s: &str) -> Result<Threshold> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || {
            Error::illegal_argument(format!(
                "failed to parse setting [{setting}] with value [{s}]: use a percentage (95%), a ratio (0.95) or a byte size (500mb)"
            ))
        };
        if let Some(p) = t.strip_suffix('%') {
            let v: f64 = p.trim().parse().map_err(|_| bad())?;
            return if (0.0..=100.0).contains(&v) {
                Ok(Threshold::Used(v / 100.0))
            } else {
                Err(bad())
            };
        }
        if let Ok(v) = t.parse::<f64>() {
            return if (0.0..=1.0).contains(&v) {
                Ok(Threshold::Used(v))
            } else {
                Err(bad())
            };
        }
        crate::engine::util::parse_byte_size(&t)
            .map(Threshold::Free)
            .ok_or_else(bad)
    }

    fn exceeded(self, u: DiskUsage) -> bool {
        match self {
            Threshold::Used(share) => {
                #[allow(clippy::cast_precision_loss)]
                let used = 1.0 - u.available as f64 / u.total.max(1) as f64;
                used > share
            }
            Threshold::Free(bytes) => u.available < bytes,
        }
    }
}

/// The three watermarks (Elasticsearch's defaults: 85%, 90%, 95%).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Watermarks {
    /// `…watermark.low`: logged.
    pub low: Threshold,
    /// `…watermark.high`: logged; below it a flood-stage block is released.
    pub high: Threshold,
    /// `…watermark.flood_stage`: writes are refused.
    pub flood_stage: Threshold,
}

impl Default for Watermarks {
    fn default() -> Self {
        Watermarks {
            low: Threshold::Used(0.85),
            high: Threshold::Used(0.90),
            flood_stage: Threshold::Used(0.95),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Ok,
    Low,
    High,
    Flood,
}

struct State {
    checked: Option<Instant>,
    level: Level,
    blocked: bool,
}

/// Decides whether writes are allowed, from the disk's usage.
pub struct DiskGuard {
    dir: PathBuf,
    marks: Watermarks,
    probe: Arc<dyn DiskProbe>,
    interval: Duration,
    state: Mutex<State>,
}

impl DiskGuard {
    /// Watches the file system of `dir`, asking `probe` at most once per `interval`.
    pub fn new(
        dir: &Path,
        marks: Watermarks,
        probe: Arc<dyn DiskProbe>,
        interval: Duration,
    ) -> DiskGuard {
        DiskGuard {
            dir: dir.to_owned(),
            marks,
            probe,
            interval,
            state: Mutex::new(State {
                checked: None,
                level: Level::Ok,
                blocked: false,
            }),
        }
    }

    /// `Ok` when `index` may be written; 429 `cluster_block_exception` while the flood-stage
    /// block holds.
    ///
    /// # Errors
    /// The block, in Elasticsearch's words.
    pub fn check_write(&self, index: &str) -> Result<()> {
        if self.is_blocked() {
            return Err(Error::es(
                429,
                "cluster_block_exception",
                format!(
                    "index [{index}] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];"
                ),
            ));
        }
        Ok(())
    }

    /// Whether the flood-stage block holds (re-reading the usage when the interval passed).
    pub fn is_blocked(&self) -> bool {
        let mut s = self.state.lock();
        if s.checked.is_some_and(|t| t.elapsed() < self.interval) {
            return s.blocked;
        }
        s.checked = Some(Instant::now());
        let usage = match self.probe.usage(&self.dir) {
            Ok(u) => u,
            Err(e) => {
                // an unreadable file system changes nothing: the translog reports real failures
                tracing::debug!(error = %e, "cannot read the disk usage");
                return s.blocked;
            }
        };
        let level = if self.marks.flood_stage.exceeded(usage) {
            Level::Flood
        } else if self.marks.high.exceeded(usage) {
            Level::High
        } else if self.marks.low.exceeded(usage) {
            Level::Low
        } else {
            Level::Ok
        };
        if level != s.level {
            let (total, available) = (usage.total, usage.available);
            match level {
                Level::Flood => tracing::error!(
                    total,
                    available,
                    "flood-stage disk watermark exceeded: every index is read-only (deletes allowed) until usage falls below the high watermark"
                ),
                Level::High => tracing::warn!(total, available, "high disk watermark exceeded"),
                Level::Low => tracing::warn!(total, available, "low disk watermark exceeded"),
                Level::Ok => tracing::info!(total, available, "disk usage below the low watermark"),
            }
            s.level = level;
        }
        if level == Level::Flood {
            s.blocked = true;
        } else if s.blocked && level != Level::High {
            tracing::info!("disk usage below the high watermark: the read-only block is released");
            s.blocked = false;
        }
        s.blocked
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    struct Fake(AtomicU64);

    impl DiskProbe for Fake {
        fn usage(&self, _: &Path) -> io::Result<DiskUsage> {
            Ok(DiskUsage {
                total: 100,
                available: self.0.load(Ordering::SeqCst),
            })
        }
    }

    #[test]
    fn thresholds_parse_as_elasticsearch_writes_them() {
        assert_eq!(
            Threshold::parse("x", "95%").ok(),
            Some(Threshold::Used(0.95))
        );
        assert_eq!(
            Threshold::parse("x", "0.9").ok(),
            Some(Threshold::Used(0.9))
        );
        assert_eq!(
            Threshold::parse("x", "500mb").ok(),
            Some(Threshold::Free(500 << 20))
        );
        assert_eq!(
            Threshold::parse("x", "1GB").ok(),
            Some(Threshold::Free(1 << 30))
        );
        for bad in ["101%", "1.5", "lots", "-1mb"] {
            assert!(Threshold::parse("x", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn flood_stage_blocks_writes_until_usage_falls_below_high() {
        let probe = Arc::new(Fake(AtomicU64::new(50)));
        let g = DiskGuard::new(
            Path::new("."),
            Watermarks::default(),
            probe.clone(),
            Duration::ZERO,
        );
        let step = |available: u64| {
            probe.0.store(available, Ordering::SeqCst);
            g.check_write("logs").is_err()
        };
        // used: 50%, 96% (flood), 92% (still above high: held), 89% (released), 96% again
        assert!(!step(50));
        assert!(step(4));
        assert!(step(8));
        assert!(!step(11));
        assert!(step(4));
        let e = g.check_write("logs").expect_err("blocked");
        assert_eq!(e.status(), 429);
        assert!(e.reason().contains("index [logs] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark"));
    }
}
