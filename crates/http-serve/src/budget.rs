//! A byte budget shared by concurrent requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{Error, Result};

/// Bytes held in memory by all requests together, up to a limit. Cloning shares the counter.
///
/// A request alone is always admitted (its own size limit bounds it): the limit only refuses a
/// request that would pass it *beside others*, as Elasticsearch's `in_flight_requests` breaker
/// and its indexing pressure do. So one large request on an idle server is served, and many
/// together are refused with [`Error::OverBudget`] (the client retries later) before they exhaust
/// memory.
#[derive(Debug, Clone)]
pub struct Budget(Arc<Counter>);

#[derive(Debug)]
struct Counter {
    limit: usize,
    used: AtomicUsize,
}

impl Budget {
    /// A budget of `limit` bytes.
    #[must_use]
    pub fn new(limit: usize) -> Budget {
        Budget(Arc::new(Counter {
            limit,
            used: AtomicUsize::new(0),
        }))
    }

    /// The limit in bytes.
    #[must_use]
    pub fn limit(&self) -> usize {
        self.0.limit
    }

    /// Bytes held now by all reservations.
    #[must_use]
    pub fn used(&self) -> usize {
        self.0.used.load(Ordering::Acquire)
    }

    /// An empty reservation, to [`grow`](Reservation::grow) as bytes arrive.
    pub fn reservation(&self) -> Reservation {
        Reservation {
            budget: self.clone(),
            bytes: 0,
        }
    }

    /// Reserves `bytes` at once.
    ///
    /// # Errors
    /// [`Error::OverBudget`] when others hold budget too and `bytes` more would pass the limit.
    pub fn reserve(&self, bytes: usize) -> Result<Reservation> {
        let mut r = self.reservation();
        r.grow(bytes)?;
        Ok(r)
    }
}

/// Bytes held by one request, given back to the [`Budget`] when dropped.
#[derive(Debug)]
#[must_use = "the bytes are released when the reservation is dropped"]
pub struct Reservation {
    budget: Budget,
    bytes: usize,
}

impl Reservation {
    /// Bytes this reservation holds.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Holds `bytes` more.
    ///
    /// # Errors
    /// [`Error::OverBudget`] (nothing is taken) when other reservations hold bytes and the total
    /// would pass the limit. While this reservation is the only holder it always grows.
    pub fn grow(&mut self, bytes: usize) -> Result<()> {
        if bytes == 0 {
            return Ok(());
        }
        let counter = &self.budget.0;
        let mut current = counter.used.load(Ordering::Acquire);
        loop {
            let wanted = current.saturating_add(bytes);
            if current > self.bytes && wanted > counter.limit {
                return Err(Error::OverBudget {
                    wanted,
                    limit: counter.limit,
                });
            }
            match counter.used.compare_exchange_weak(
                current,
                wanted,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    self.bytes += bytes;
                    return Ok(());
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// Gives back `bytes` (at most what it holds) before the reservation ends.
    pub fn release(&mut self, bytes: usize) {
        let bytes = bytes.min(self.bytes);
        self.budget.0.used.fetch_sub(bytes, Ordering::AcqRel);
        self.bytes -= bytes;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.0.used.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests;
