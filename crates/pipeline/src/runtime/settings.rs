//! Pipeline settings, with Logstash's names (`pipeline.workers`, `queue.type`, ...).

use std::path::PathBuf;
use std::time::Duration;

use crate::{Error, Result};

/// `queue.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueType {
    /// `memory` (default): bounded by `workers × batch.size` events.
    Memory,
    /// `persisted`: on disk under `path.queue`.
    Persisted,
}

/// `pipeline.ordered`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordered {
    /// Ordered when there is one worker (default).
    Auto,
    /// Ordered; requires one worker.
    True,
    /// Not ordered.
    False,
}

/// Settings of one pipeline.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `pipeline.id`, default `main`.
    pub id: String,
    /// `pipeline.workers` (`-w`), default: the number of cores.
    pub workers: usize,
    /// `pipeline.batch.size` (`-b`), default 125.
    pub batch_size: usize,
    /// `pipeline.batch.delay`, default 50 ms.
    pub batch_delay: Duration,
    /// `pipeline.ordered`, default auto.
    pub ordered: Ordered,
    /// `queue.type`, default memory.
    pub queue_type: QueueType,
    /// `path.queue`, default `data/queue/<id>`.
    pub path_queue: PathBuf,
    /// `queue.page_capacity`, default 64 MiB.
    pub queue_page_capacity: u64,
    /// `queue.max_bytes`, default 1024 MiB.
    pub queue_max_bytes: u64,
    /// `dead_letter_queue.enable`. Default **true** (Logstash: false): we never drop a rejected
    /// event silently.
    pub dead_letter_queue: bool,
    /// `path.dead_letter_queue`, default `data/dead_letter_queue`.
    pub path_dead_letter_queue: PathBuf,
    /// Inputs may bind non-loopback addresses.
    pub allow_remote: bool,
    /// Bytes that requests to the `http` inputs may hold in memory at once, all inputs and
    /// connections together: bodies as they are read, and the events being decoded from them
    /// (sluice's own setting, `--input.http.memory_limit`; Logstash has none). Over it a request
    /// gets 429. Default 256 MiB: two bodies of the largest default size (100 MiB,
    /// `max_content_length`) with their decoding, beside the memory queue and the outputs.
    pub http_input_memory_limit: u64,
}

impl Default for Settings {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Settings {
            id: "main".into(),
            workers: cores,
            batch_size: 125,
            batch_delay: Duration::from_millis(50),
            ordered: Ordered::Auto,
            queue_type: QueueType::Memory,
            path_queue: PathBuf::from("data/queue/main"),
            queue_page_capacity: 64 * 1024 * 1024,
            queue_max_bytes: 1024 * 1024 * 1024,
            dead_letter_queue: true,
            path_dead_letter_queue: PathBuf::from("data/dead_letter_queue"),
            allow_remote: false,
            http_input_memory_limit: 256 * 1024 * 1024,
        }
    }
}

impl Settings {
    /// Checks the combination of settings.
    ///
    /// # Errors
    /// Zero workers or batch size, `pipeline.ordered => true` with several workers.
    pub fn check(&self) -> Result<()> {
        let bad = |name: &str, reason: &str| {
            Err(Error::PipelineSetting {
                name: name.into(),
                reason: reason.into(),
            })
        };
        if self.workers == 0 {
            return bad("pipeline.workers", "must be at least 1");
        }
        if self.batch_size == 0 {
            return bad("pipeline.batch.size", "must be at least 1");
        }
        if self.ordered == Ordered::True && self.workers > 1 {
            return bad(
                "pipeline.ordered",
                "window of ordered processing requires exactly 1 worker (set pipeline.workers to 1)",
            );
        }
        if self.queue_type == QueueType::Persisted && self.queue_page_capacity == 0 {
            return bad("queue.page_capacity", "must be positive");
        }
        Ok(())
    }

    /// Parses a byte size like Logstash (`64mb`, `1gb`, `1024`).
    ///
    /// # Errors
    /// When the text is not a size.
    pub fn parse_bytes(name: &str, s: &str) -> Result<u64> {
        let t = s.trim().to_ascii_lowercase();
        let (num, mult) = [
            ("kb", 1u64 << 10),
            ("mb", 1 << 20),
            ("gb", 1 << 30),
            ("tb", 1 << 40),
            ("b", 1),
        ]
        .iter()
        .find_map(|(suf, m)| t.strip_suffix(suf).map(|n| (n.trim().to_string(), *m)))
        .unwrap_or((t.clone(), 1));
        num.parse::<u64>()
            .map(|n| n * mult)
            .map_err(|_| Error::PipelineSetting {
                name: name.into(),
                reason: format!("expected a byte size like 64mb, got {s:?}"),
            })
    }
}
