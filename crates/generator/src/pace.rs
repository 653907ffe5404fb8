//! [`Pacer`]: smooth rate limiting.

use std::time::{Duration, Instant};

use crate::{Error, Result};

/// How far behind schedule a [`Pacer`] may fall before it forgets the missed slots (so a stall
/// is not followed by a burst): 100 ms worth of events.
const MAX_LAG: Duration = Duration::from_millis(100);

/// Spaces events evenly at a fixed rate: event *k* is due `k / rate` seconds after the first.
/// Ask [`Pacer::delay`] before each event and wait that long. A consumer that falls more than
/// 100 ms behind (a stall) is put back on a schedule starting now, rather than allowed to catch
/// up in a burst.
///
/// The pacer does not read the clock itself: pass `Instant::now()`, which keeps it testable.
///
/// ```
/// use std::time::{Duration, Instant};
/// let mut p = generator::Pacer::new(4.0)?; // 4 events/s: one every 250 ms
/// let t0 = Instant::now();
/// assert_eq!(p.delay(t0), Duration::ZERO);
/// assert_eq!(p.delay(t0), Duration::from_millis(250));
/// assert_eq!(p.delay(t0 + Duration::from_millis(300)), Duration::from_millis(200));
/// # Ok::<(), generator::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pacer {
    rate: f64,
    start: Option<Instant>,
    slot: u64,
}

impl Pacer {
    /// A pacer for `rate` events per second.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `rate` is a positive number.
    pub fn new(rate: f64) -> Result<Self> {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(Error::InvalidConfig {
                setting: "rate",
                reason: format!("must be a positive number of events per second, got {rate}"),
            });
        }
        Ok(Self {
            rate,
            start: None,
            slot: 0,
        })
    }

    /// The rate, in events per second.
    #[must_use]
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Takes the next slot: how long to wait from `now` before sending its event.
    pub fn delay(&mut self, now: Instant) -> Duration {
        let start = *self.start.get_or_insert(now);
        let mut due = start + Duration::from_secs_f64(self.slot as f64 / self.rate);
        if now > due + MAX_LAG {
            // Stalled: restart the schedule here instead of bursting to catch up.
            self.start = Some(now);
            self.slot = 0;
            due = now;
        }
        self.slot += 1;
        due.saturating_duration_since(now)
    }
}

#[cfg(test)]
mod tests;
