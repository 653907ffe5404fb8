//! The queue between inputs and pipeline workers: Logstash's `queue.type` (`memory` or
//! `persisted`).
//!
//! Both kinds are bounded: a full queue makes [`Queue::push`] wait, so inputs stop reading their
//! sockets (backpressure reaches the sender through TCP flow control). Workers take batches with
//! [`Queue::read_batch`] and acknowledge them with [`Queue::ack`] once every output confirmed
//! them; the persisted queue only forgets acknowledged events, so an event accepted by `push`
//! survives `kill -9` and is delivered after a restart (at least once).

pub mod ingest_id;
mod memory;
mod persisted;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use log_model::{LogEvent, Timestamp};
use ndjson_codec::Frame;

use crate::codec::IngestTime;
use crate::input::LineDecoder;

use crate::Result;
pub use ingest_id::IngestIds;
pub use memory::MemoryQueue;
pub use persisted::{PersistedQueue, PersistedQueueConfig};

/// A batch handed to a worker; give it back with [`Queue::ack`].
/// Lines a stream input framed in one read, not decoded yet. The memory queue hands them to a
/// worker, which decodes them (so that one busy connection is decoded on every core); the
/// persisted queue decodes them as they arrive, since it stores events.
#[derive(Debug)]
pub struct Lines {
    pub(crate) frames: Vec<Frame>,
    /// When they were read: `@timestamp` of events that arrive without one.
    pub(crate) received: Timestamp,
    pub(crate) decoder: Arc<LineDecoder>,
}

impl Lines {
    /// The first `n` lines, leaving the rest.
    fn split_front(&mut self, n: usize) -> Lines {
        let rest = self.frames.split_off(n);
        Lines {
            frames: std::mem::replace(&mut self.frames, rest),
            received: self.received,
            decoder: self.decoder.clone(),
        }
    }

    /// No lines, from the same read.
    fn empty_like(&self) -> Lines {
        Lines {
            frames: Vec::new(),
            received: self.received,
            decoder: self.decoder.clone(),
        }
    }

    fn decode_into(self, events: &mut Vec<LogEvent>) {
        let at = IngestTime::new(self.received);
        events.extend(self.frames.into_iter().map(|f| self.decoder.decode(f, &at)));
    }
}

#[derive(Debug)]
pub struct Batch {
    /// The events, in queue order.
    pub events: Vec<LogEvent>,
    pub(crate) ack: AckToken,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum AckToken {
    Memory {
        count: usize,
    },
    /// Sequence numbers `[first, end)` of a persisted queue.
    Persisted {
        first: u64,
        end: u64,
        bytes: u64,
    },
}

/// A point-in-time view of a queue for the monitoring API.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueStats {
    /// Events accepted but not yet acknowledged.
    pub events_count: u64,
    /// Bytes those events take (persisted queue only; 0 for memory).
    pub queue_size_in_bytes: u64,
    /// The bound in bytes (persisted) or 0.
    pub max_queue_size_in_bytes: u64,
    /// The bound in events (memory) or 0.
    pub max_events: u64,
}

/// Logstash's `queue.type`.
#[derive(Clone, Debug)]
pub enum Queue {
    /// In memory, bounded by events.
    Memory(Arc<MemoryQueue>),
    /// On disk, bounded by bytes.
    Persisted(Arc<PersistedQueue>),
}

impl Queue {
    /// Accepts events; waits while the queue is full. For the persisted queue, returning `Ok`
    /// means the events are on disk (fsynced).
    ///
    /// # Errors
    /// [`crate::Error::Closed`] after [`Queue::close`]; I/O errors of the persisted queue.
    pub async fn push(&self, events: Vec<LogEvent>) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        match self {
            Queue::Memory(q) => q.push(events).await,
            Queue::Persisted(q) => q.push(events).await,
        }
    }

    /// Queues framed lines (see [`Lines`]); waits while the queue is full.
    ///
    /// # Errors
    /// [`crate::Error::Closed`] after [`Queue::close`]; persisted-queue I/O errors.
    pub async fn push_lines(&self, lines: Lines) -> Result<()> {
        if lines.frames.is_empty() {
            return Ok(());
        }
        match self {
            Queue::Memory(q) => q.push_lines(lines).await,
            Queue::Persisted(q) => {
                let mut events = Vec::with_capacity(lines.frames.len());
                lines.decode_into(&mut events);
                q.push(events).await
            }
        }
    }

    /// Takes up to `max` events: waits for the first one, then up to `delay` for more. `None`
    /// once the queue is closed and drained.
    ///
    /// # Errors
    /// I/O or corruption errors of the persisted queue.
    pub async fn read_batch(&self, max: usize, delay: Duration) -> Result<Option<Batch>> {
        match self {
            Queue::Memory(q) => Ok(q.read_batch(max, delay).await),
            Queue::Persisted(q) => q.read_batch(max, delay).await,
        }
    }

    /// Marks a batch as delivered by every output.
    ///
    /// # Errors
    /// When the persisted queue cannot write its checkpoint.
    pub fn ack(&self, batch: &Batch) -> Result<()> {
        match (self, batch.ack) {
            (Queue::Memory(q), AckToken::Memory { count }) => {
                q.ack(count);
                Ok(())
            }
            (Queue::Persisted(q), AckToken::Persisted { first, end, bytes }) => {
                q.ack(first, end, bytes)
            }
            _ => Ok(()),
        }
    }

    /// No more pushes; readers drain what is left, then get `None`.
    pub fn close(&self) {
        match self {
            Queue::Memory(q) => q.close(),
            Queue::Persisted(q) => q.close(),
        }
    }

    /// Counters for the monitoring API.
    #[must_use]
    pub fn stats(&self) -> QueueStats {
        match self {
            Queue::Memory(q) => q.stats(),
            Queue::Persisted(q) => q.stats(),
        }
    }

    /// `"memory"` or `"persisted"`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Queue::Memory(_) => "memory",
            Queue::Persisted(_) => "persisted",
        }
    }
}
