//! Event times: a (possibly time-varying) Poisson process walked in one-minute buckets.

use std::f64::consts::TAU;

/// Width of a rate bucket, in seconds: the rate is constant within one.
const BUCKET: f64 = 60.0;
/// Seconds in a day.
const DAY: f64 = 86_400.0;

/// Relative rate at `t` (seconds since the Unix epoch, UTC): `1 + a·cos(2π(h − 14)/24)`,
/// averaging 1 over a day, busiest at 14:00, quietest at 02:00.
pub(crate) fn diurnal(t: f64, amplitude: f64) -> f64 {
    let hour = t.rem_euclid(DAY) / 3600.0;
    1.0 + amplitude * (TAU * (hour - 14.0) / 24.0).cos()
}

/// Walks simulated time forward by amounts of "work" (expected events), so that events placed
/// at equal steps of work follow the rate curve.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    /// Now, in seconds since the Unix epoch.
    t: f64,
    /// End of the current bucket.
    bucket_end: f64,
    /// Events per second in the current bucket.
    rate: f64,
    base_rate: f64,
    amplitude: f64,
}

impl Clock {
    pub(crate) fn new(start: f64, base_rate: f64, amplitude: f64) -> Self {
        let mut c = Self {
            t: start,
            bucket_end: start,
            rate: base_rate,
            base_rate,
            amplitude,
        };
        c.enter_bucket();
        c
    }

    pub(crate) fn now(&self) -> f64 {
        self.t
    }

    fn enter_bucket(&mut self) {
        let bucket_start = (self.t / BUCKET).floor() * BUCKET;
        self.bucket_end = bucket_start + BUCKET;
        if self.bucket_end <= self.t {
            self.bucket_end = self.t + BUCKET; // guards against rounding at huge t
        }
        self.rate = self.base_rate * diurnal(bucket_start + BUCKET / 2.0, self.amplitude);
    }

    /// Moves forward until `work` expected events have passed.
    pub(crate) fn advance(&mut self, mut work: f64) {
        if self.amplitude == 0.0 {
            self.t += work / self.rate;
            return;
        }
        loop {
            let capacity = (self.bucket_end - self.t) * self.rate;
            if work <= capacity {
                self.t += work / self.rate;
                if self.t >= self.bucket_end {
                    self.t = self.bucket_end;
                    self.enter_bucket();
                }
                return;
            }
            work -= capacity;
            self.t = self.bucket_end;
            self.enter_bucket();
        }
    }

    /// Expected events between `self.now()` and `end` (walks a copy).
    pub(crate) fn work_until(&self, end: f64) -> f64 {
        if self.amplitude == 0.0 {
            return (end - self.t) * self.rate;
        }
        let mut c = self.clone();
        let mut work = 0.0;
        while c.bucket_end < end {
            work += (c.bucket_end - c.t) * c.rate;
            c.t = c.bucket_end;
            c.enter_bucket();
        }
        work + (end - c.t) * c.rate
    }
}

#[cfg(test)]
mod tests;
