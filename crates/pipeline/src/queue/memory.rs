//! The in-memory queue: a bounded deque of events shared by inputs and workers.

use std::collections::VecDeque;
use std::time::Duration;

use log_model::LogEvent;
use parking_lot::Mutex;
use tokio::sync::Notify;

use super::{AckToken, Batch, QueueStats};
use crate::{Error, Result};

/// Bounded by `max_events` (Logstash sizes its memory queue as workers × batch size).
#[derive(Debug)]
pub struct MemoryQueue {
    max_events: usize,
    state: Mutex<State>,
    not_empty: Notify,
    not_full: Notify,
}

#[derive(Debug, Default)]
struct State {
    events: VecDeque<LogEvent>,
    /// Taken by workers but not yet acknowledged.
    in_flight: usize,
    closed: bool,
}

impl MemoryQueue {
    /// A queue holding at most `max_events` queued events (at least 1).
    #[must_use]
    pub fn new(max_events: usize) -> Self {
        MemoryQueue {
            max_events: max_events.max(1),
            state: Mutex::new(State::default()),
            not_empty: Notify::new(),
            not_full: Notify::new(),
        }
    }

    pub(crate) async fn push(&self, events: Vec<LogEvent>) -> Result<()> {
        let mut events = events.into_iter().peekable();
        while events.peek().is_some() {
            let notified = self.not_full.notified();
            {
                let mut st = self.state.lock();
                if st.closed {
                    return Err(Error::Closed);
                }
                let room = self.max_events.saturating_sub(st.events.len());
                if room > 0 {
                    st.events.extend(events.by_ref().take(room));
                    drop(st);
                    self.not_empty.notify_waiters();
                    continue;
                }
            }
            notified.await;
        }
        Ok(())
    }

    pub(crate) async fn read_batch(&self, max: usize, delay: Duration) -> Option<Batch> {
        let max = max.max(1);
        let mut out = Vec::new();
        let mut deadline = None;
        loop {
            let notified = self.not_empty.notified();
            let closed = {
                let mut st = self.state.lock();
                let n = (max - out.len()).min(st.events.len());
                out.extend(st.events.drain(..n));
                st.in_flight += n;
                if n > 0 {
                    self.not_full.notify_waiters();
                }
                st.closed
            };
            if out.len() >= max || (closed && !out.is_empty()) {
                break;
            }
            if closed {
                return None;
            }
            if out.is_empty() {
                notified.await;
                continue;
            }
            let d = *deadline.get_or_insert_with(|| tokio::time::Instant::now() + delay);
            if tokio::time::timeout_at(d, notified).await.is_err() {
                break;
            }
        }
        let count = out.len();
        Some(Batch {
            events: out,
            ack: AckToken::Memory { count },
        })
    }

    pub(crate) fn ack(&self, count: usize) {
        let mut st = self.state.lock();
        st.in_flight = st.in_flight.saturating_sub(count);
    }

    pub(crate) fn close(&self) {
        self.state.lock().closed = true;
        self.not_empty.notify_waiters();
        self.not_full.notify_waiters();
    }

    pub(crate) fn stats(&self) -> QueueStats {
        let st = self.state.lock();
        QueueStats {
            events_count: (st.events.len() + st.in_flight) as u64,
            queue_size_in_bytes: 0,
            max_queue_size_in_bytes: 0,
            max_events: self.max_events as u64,
        }
    }
}
