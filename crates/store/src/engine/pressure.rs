//! Indexing pressure: what write requests may hold at once.
//!
//! Two bounds, as in Elasticsearch. The byte budget (`indexing_pressure.memory.limit`,
//! [`StoreConfig::indexing_pressure_memory_limit`](crate::StoreConfig), one
//! [`http_serve::Budget`]) counts request bodies as the HTTP layer reads them (over it: ES's
//! `in_flight_requests` breaker, 429) and, on top of them, what processing a write costs (see
//! [`Pressure::cost`]); a write whose processing would pass it gets 429
//! `es_rejected_execution_exception`. The write pool (ES's `write` thread
//! pool) bounds how many bulk writes are parsed and indexed at once: the others
//! wait for a slot holding only their request bodies, so the working memory of indexing does not
//! grow with the number of clients.

use http_serve::{Budget, Reservation};
use parking_lot::{Condvar, Mutex};

use crate::error::{Error, Result};

/// Source bytes a bulk request prepares and indexes at a time: its parsed documents, tantivy
/// documents and translog records exist for one such chunk at once, not for the whole request.
pub(crate) const CHUNK_BYTES: usize = 4 << 20;

/// What processing a chunk holds beyond its source bytes, as a multiple of them: parsed
/// documents (field values, terms), the tantivy document and the translog record. Measured with
/// `cargo xtask chaos --only overload` (1 KB documents): the store's peak RSS grew by about
/// 3 times the chunk's source bytes per write being processed; charged at 4, since with 3 the
/// overload peak sat within a few MiB of the budget plus base (574–596 MiB against 595–599
/// in three runs), one over it.
const PROCESSING_FACTOR: usize = 4;

/// Per operation: its `WriteOp`, index and id strings, its response item.
const PER_OP_BYTES: usize = 256;

/// Places in the write pool: two per core (one write parses and indexes while another waits on
/// its translog fsync), at least 4.
pub(crate) fn write_slots() -> usize {
    (2 * std::thread::available_parallelism().map_or(1, usize::from)).max(4)
}

pub(crate) struct Pressure {
    budget: Budget,
    free_slots: Mutex<usize>,
    slot_freed: Condvar,
}

/// A place in the write pool, given back when dropped.
pub(crate) struct Slot<'a>(&'a Pressure);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free_slots.lock() += 1;
        self.0.slot_freed.notify_one();
    }
}

impl Pressure {
    pub(crate) fn new(limit: usize, slots: usize) -> Pressure {
        Pressure {
            budget: Budget::new(limit),
            free_slots: Mutex::new(slots.max(1)),
            slot_freed: Condvar::new(),
        }
    }

    /// What processing a write of `ops` operations with `source_bytes` of sources costs beyond
    /// its sources: a fixed cost per operation and the working memory of its largest chunk.
    /// (The sources themselves are charged by whoever holds them: the HTTP layer charges request
    /// bodies to this same budget as they arrive.)
    pub(crate) fn cost(ops: usize, source_bytes: usize) -> usize {
        ops.saturating_mul(PER_OP_BYTES).saturating_add(
            source_bytes
                .min(CHUNK_BYTES)
                .saturating_mul(PROCESSING_FACTOR),
        )
    }

    /// The budget the HTTP layer charges request bodies to as they arrive.
    pub(crate) fn budget(&self) -> &Budget {
        &self.budget
    }

    /// Charges `bytes`. A write alone is always admitted (the body limit bounds it); beside
    /// others it must fit the budget, or it is refused with ES's 429. (Its own body, charged
    /// while it was read, counts as "others": the rule only spares the first write of an idle
    /// store, as the budget is far above the body limit.)
    pub(crate) fn admit(&self, bytes: usize) -> Result<Reservation> {
        self.budget.reserve(bytes).map_err(|e| {
            let (before, limit) = match e {
                http_serve::Error::OverBudget { wanted, limit } => {
                    (wanted.saturating_sub(bytes), limit)
                }
                // `reserve` refuses with `OverBudget` only; say what happened all the same
                other => return Error::es(500, "exception", other.to_string()),
            };
            Error::es(
                429,
                "es_rejected_execution_exception",
                format!(
                    "rejected execution of coordinating operation [coordinating_and_primary_bytes={before}, operation_bytes={bytes}, max_coordinating_and_primary_bytes={limit}]"
                ),
            )
        })
    }

    /// Waits for a place in the write pool.
    pub(crate) fn slot(&self) -> Slot<'_> {
        let mut free = self.free_slots.lock();
        while *free == 0 {
            self.slot_freed.wait(&mut free);
        }
        *free -= 1;
        Slot(self)
    }

    /// Bytes charged now.
    #[cfg(test)]
    pub(crate) fn current(&self) -> usize {
        self.budget.used()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_write_passes_and_a_second_over_budget_is_refused_until_the_first_ends() {
        let p = Pressure::new(100, 1);
        let first = p.admit(150).expect("alone");
        let e = p.admit(1).expect_err("over budget beside the first");
        assert_eq!(e.status(), 429);
        assert_eq!(e.es_type(), "es_rejected_execution_exception");
        assert!(e.reason().contains("operation_bytes=1"), "{}", e.reason());
        drop(first);
        assert_eq!(p.current(), 0);
        let _ok = p.admit(60).expect("after the first ended");
        let _ok2 = p.admit(40).expect("fits exactly");
        assert!(p.admit(1).is_err());
    }

    #[test]
    fn the_cost_counts_operations_and_one_chunk_of_processing() {
        assert_eq!(Pressure::cost(1, 1000), 256 + 4000);
        let big = 20 << 20;
        assert_eq!(
            Pressure::cost(10, big),
            2560 + CHUNK_BYTES * PROCESSING_FACTOR
        );
    }

    #[test]
    fn the_pool_lets_a_waiting_write_in_when_a_slot_is_given_back() {
        let p = std::sync::Arc::new(Pressure::new(1, 1));
        let first = p.slot();
        let (tx, rx) = std::sync::mpsc::channel();
        let p2 = std::sync::Arc::clone(&p);
        let waiter = std::thread::spawn(move || {
            let _s = p2.slot();
            tx.send(()).expect("send");
        });
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(100))
                .is_err(),
            "the second write got a slot while the only one was taken"
        );
        drop(first);
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("the waiting write got the slot back");
        waiter.join().expect("join");
    }
}
