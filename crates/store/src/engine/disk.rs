//! Disk watermarks, as Elasticsearch has them (`cluster.routing.allocation.disk.watermark.*`).
//!
//! A single node has no shards to move, so `low` and `high` only log; at `flood_stage` every
//! index gets Elasticsearch's `read_only_allow_delete` block: writes are refused at once with
//! 429 `cluster_block_exception` (instead of hanging when the disk fills), while searches,
//! reads and deletes still work. The block goes away by itself once usage is back below `high`,
//! as in Elasticsearch 8. Usage is read through [`DiskProbe`] (`statvfs`, or a test double) at
//! most once per check interval.
//!
//! As in Elasticsearch 8, a percentage watermark left at its default has a maximum headroom
//! (200 GB, 150 GB, 100 GB): on a large disk the mark is crossed when the free space falls below
//! the smaller of the share and the headroom. `cluster.routing.allocation.disk.threshold_enabled:
//! false` turns the whole guard off.

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

    /// Whether `u` crosses this mark; a share's free space is capped at `max_headroom` bytes.
    fn exceeded(self, u: DiskUsage, max_headroom: Option<u64>) -> bool {
        match self {
            Threshold::Used(share) => {
                #[allow(clippy::cast_precision_loss)]
                let used = 1.0 - u.available as f64 / u.total.max(1) as f64;
                used > share && max_headroom.is_none_or(|h| u.available < h)
            }
            Threshold::Free(bytes) => u.available < bytes,
        }
    }
}

/// Parses a `…max_headroom` setting: a byte size, or `-1` for none.
///
/// # Errors
/// `illegal_argument_exception` naming `setting`.
pub fn parse_headroom(setting: &str, s: &str) -> Result<Option<u64>> {
    if s.trim() == "-1" {
        return Ok(None);
    }
    crate::engine::util::parse_byte_size(&s.trim().to_ascii_lowercase())
        .map(Some)
        .ok_or_else(|| {
            Error::illegal_argument(format!(
                "failed to parse setting [{setting}] with value [{s}]: use a byte size (100gb) or -1"
            ))
        })
}

/// The three watermarks (Elasticsearch's defaults: 85%, 90%, 95%, with headrooms of 200 GB,
/// 150 GB and 100 GB).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Watermarks {
    /// `cluster.routing.allocation.disk.threshold_enabled`: `false` never blocks nor logs.
    pub enabled: bool,
    /// `…watermark.low`: logged.
    pub low: Threshold,
    /// `…watermark.low.max_headroom`: a percentage `low` is crossed only below this many free
    /// bytes.
    pub low_max_headroom: Option<u64>,
    /// `…watermark.high`: logged; below it a flood-stage block is released.
    pub high: Threshold,
    /// `…watermark.high.max_headroom`.
    pub high_max_headroom: Option<u64>,
    /// `…watermark.flood_stage`: writes are refused.
    pub flood_stage: Threshold,
    /// `…watermark.flood_stage.max_headroom`.
    pub flood_stage_max_headroom: Option<u64>,
}

impl Watermarks {
    /// Elasticsearch's default headrooms, which apply only to watermarks left at their default.
    pub const DEFAULT_MAX_HEADROOMS: [u64; 3] = [200 << 30, 150 << 30, 100 << 30];

    /// The guard switched off (`threshold_enabled: false`), as a test machine's shared disk
    /// wants.
    #[must_use]
    pub fn disabled() -> Self {
        Watermarks {
            enabled: false,
            ..Watermarks::default()
        }
    }
}

impl Default for Watermarks {
    fn default() -> Self {
        let [low, high, flood] = Watermarks::DEFAULT_MAX_HEADROOMS;
        Watermarks {
            enabled: true,
            low: Threshold::Used(0.85),
            low_max_headroom: Some(low),
            high: Threshold::Used(0.90),
            high_max_headroom: Some(high),
            flood_stage: Threshold::Used(0.95),
            flood_stage_max_headroom: Some(flood),
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
            return Err(crate::engine::blocks::read_only_allow_delete(index));
        }
        Ok(())
    }

    /// Whether the flood-stage block holds (re-reading the usage when the interval passed).
    pub fn is_blocked(&self) -> bool {
        if !self.marks.enabled {
            return false;
        }
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
        let m = &self.marks;
        let level = if m.flood_stage.exceeded(usage, m.flood_stage_max_headroom) {
            Level::Flood
        } else if m.high.exceeded(usage, m.high_max_headroom) {
            Level::High
        } else if m.low.exceeded(usage, m.low_max_headroom) {
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

    #[test]
    fn a_large_disk_keeps_the_default_headroom_and_the_guard_can_be_off() {
        let gb = 1u64 << 30;
        let probe = Arc::new(Big(AtomicU64::new(0)));
        let guard = |marks| DiskGuard::new(Path::new("."), marks, probe.clone(), Duration::ZERO);
        let (default, disabled) = (guard(Watermarks::default()), guard(Watermarks::disabled()));
        let explicit = guard(Watermarks {
            flood_stage_max_headroom: None,
            ..Watermarks::default()
        });
        // 4 TB disk: 96% used leaves 164 GB free, above the 100 GB headroom.
        probe.0.store(164 * gb, Ordering::SeqCst);
        assert!(default.check_write("logs").is_ok());
        assert!(
            explicit.check_write("logs").is_err(),
            "no headroom: 95% holds"
        );
        // 99% used: 41 GB free, below the headroom.
        probe.0.store(41 * gb, Ordering::SeqCst);
        assert!(default.check_write("logs").is_err());
        assert!(disabled.check_write("logs").is_ok());
        assert_eq!(parse_headroom("x", "-1").ok(), Some(None));
        assert_eq!(parse_headroom("x", "100gb").ok(), Some(Some(100 * gb)));
        assert!(parse_headroom("x", "much").is_err());
    }

    struct Big(AtomicU64);

    impl DiskProbe for Big {
        fn usage(&self, _: &Path) -> io::Result<DiskUsage> {
            Ok(DiskUsage {
                total: 4096 << 30,
                available: self.0.load(Ordering::SeqCst),
            })
        }
    }
}
