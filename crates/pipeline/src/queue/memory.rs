//! The in-memory queue: a bounded deque of events shared by inputs and workers.

use std::collections::VecDeque;
use std::time::Duration;

use log_model::LogEvent;
use parking_lot::Mutex;
use tokio::sync::Notify;

use super::{AckToken, Batch, Lines, QueueStats};
use crate::{Error, Result};

/// Bounded by `max_events` (Logstash sizes its memory queue as workers × batch size).
#[derive(Debug)]
pub struct MemoryQueue {
    max_events: usize,
    state: Mutex<State>,
    not_empty: Notify,
    not_full: Notify,
}

#[derive(Debug)]
enum Item {
    Event(LogEvent),
    /// Framed lines, decoded by the worker that takes them.
    Lines(Lines),
}

#[derive(Debug, Default)]
struct State {
    items: VecDeque<Item>,
    /// Events (or lines) in `items`.
    queued: usize,
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
        self.push_with(|items, room| {
            items.extend(events.by_ref().take(room).map(Item::Event));
            events.peek().is_none()
        })
        .await
    }

    /// Queues framed lines undecoded: the worker that takes them decodes them.
    pub(crate) async fn push_lines(&self, mut lines: Lines) -> Result<()> {
        self.push_with(|items, room| {
            if room >= lines.frames.len() {
                let empty = lines.empty_like();
                items.push_back(Item::Lines(std::mem::replace(&mut lines, empty)));
                true
            } else {
                items.push_back(Item::Lines(lines.split_front(room)));
                false
            }
        })
        .await
    }

    /// Waits for room, then lets `put` append up to `room` events (or lines) to the queue,
    /// until it says it has put everything.
    async fn push_with(
        &self,
        mut put: impl FnMut(&mut VecDeque<Item>, usize) -> bool,
    ) -> Result<()> {
        loop {
            let notified = self.not_full.notified();
            {
                let mut st = self.state.lock();
                if st.closed {
                    return Err(Error::Closed);
                }
                let room = self.max_events.saturating_sub(st.queued);
                if room > 0 {
                    let before = st.items.len();
                    let done = put(&mut st.items, room);
                    let added: usize = st
                        .items
                        .range(before..)
                        .map(|item| match item {
                            Item::Event(_) => 1,
                            Item::Lines(l) => l.frames.len(),
                        })
                        .sum();
                    st.queued += added;
                    drop(st);
                    self.not_empty.notify_waiters();
                    if done {
                        return Ok(());
                    }
                    continue;
                }
            }
            notified.await;
        }
    }

    pub(crate) async fn read_batch(&self, max: usize, delay: Duration) -> Option<Batch> {
        let max = max.max(1);
        let mut taken = Vec::new();
        let mut count = 0;
        let mut deadline = None;
        loop {
            let notified = self.not_empty.notified();
            let closed = {
                let mut st = self.state.lock();
                let before = count;
                while count < max {
                    let Some(item) = st.items.pop_front() else {
                        break;
                    };
                    match item {
                        Item::Lines(mut lines) if lines.frames.len() > max - count => {
                            let part = lines.split_front(max - count);
                            st.items.push_front(Item::Lines(lines));
                            count += part.frames.len();
                            taken.push(Item::Lines(part));
                        }
                        Item::Lines(lines) => {
                            count += lines.frames.len();
                            taken.push(Item::Lines(lines));
                        }
                        event @ Item::Event(_) => {
                            count += 1;
                            taken.push(event);
                        }
                    }
                }
                let n = count - before;
                st.queued -= n;
                st.in_flight += n;
                if n > 0 {
                    self.not_full.notify_waiters();
                }
                st.closed
            };
            if count >= max || (closed && count > 0) {
                break;
            }
            if closed {
                return None;
            }
            if count == 0 {
                notified.await;
                continue;
            }
            let d = *deadline.get_or_insert_with(|| tokio::time::Instant::now() + delay);
            if tokio::time::timeout_at(d, notified).await.is_err() {
                break;
            }
        }
        // Decoding happens here, outside the lock, on the worker that processes the batch.
        let mut events = Vec::with_capacity(count);
        for item in taken {
            match item {
                Item::Event(ev) => events.push(ev),
                Item::Lines(lines) => lines.decode_into(&mut events),
            }
        }
        Some(Batch {
            events,
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
            events_count: (st.queued + st.in_flight) as u64,
            queue_size_in_bytes: 0,
            max_queue_size_in_bytes: 0,
            max_events: self.max_events as u64,
        }
    }
}
