//! The `hdr` method of `percentiles` and `percentile_ranks`: an HDR histogram as Elasticsearch
//! keeps one (HdrHistogram's `DoubleHistogram` with `number_of_significant_value_digits`, whose
//! range follows the values).
//!
//! Such a histogram counts each value in a bucket whose width is the value's power of two
//! divided by `2^h` (`h`: the digits' half sub-bucket magnitude, 10 for 3 digits), so a bucket
//! is the value with its binary mantissa cut to `h` bits: the bucket does not depend on the
//! other values. What does depend on them is the histogram's unit, the width of the smallest
//! value's buckets, which `DoubleHistogram` derives from the smallest value it recorded (its
//! range starts at that value's power of two); a percentile is the highest value of its
//! bucket, one unit below the next bucket. Here the buckets are kept by their lowest value
//! and the unit is computed when asked, which gives Elasticsearch's answers to the last digit
//! whatever the order the values came in (and across shards: a merged histogram records each
//! bucket's lowest value, the same bucket).
//!
//! Negative values cannot be recorded: as in Elasticsearch, a shard that meets one fails
//! (`array_index_out_of_bounds_exception`), the other shards answer.

use std::collections::BTreeMap;

/// The reason Elasticsearch's histogram gives for a negative value.
pub const NEGATIVE: &str = "Negative values cannot be recorded";

/// An HDR histogram of non-negative values.
#[derive(Debug, Clone)]
pub struct Hdr {
    /// the half sub-bucket count's magnitude: buckets are `2^(e - half_mag)` wide for values
    /// in `[2^e, 2^(e+1))`
    half_mag: i32,
    /// zeros (their own bucket, below every other)
    zeros: u64,
    /// counts by bucket, keyed by the bits of the bucket's lowest value (positive doubles
    /// order as their bits)
    counts: BTreeMap<u64, u64>,
    /// a negative value was given: the histogram cannot answer
    negative: bool,
}

impl Hdr {
    /// A histogram keeping `digits` (0..=5) significant decimal digits.
    pub fn new(digits: u8) -> Hdr {
        // HdrHistogram: the sub-bucket count is the power of two holding 2 × 10^digits
        let largest = 2 * 10u64.pow(u32::from(digits.min(5)));
        let mag = 64 - (largest - 1).leading_zeros() as i32;
        Hdr {
            half_mag: mag.max(1) - 1,
            zeros: 0,
            counts: BTreeMap::new(),
            negative: false,
        }
    }

    /// Records one value (non-finite values are not recorded).
    pub fn record(&mut self, v: f64) {
        if v < 0.0 {
            self.negative = true;
        } else if v == 0.0 {
            self.zeros += 1;
        } else if v.is_finite() {
            *self.counts.entry(self.lowest(v).to_bits()).or_insert(0) += 1;
        }
    }

    /// Adds what `other` recorded.
    pub fn merge(&mut self, other: &Hdr) {
        self.zeros += other.zeros;
        self.negative |= other.negative;
        for (k, c) in &other.counts {
            *self.counts.entry(*k).or_insert(0) += c;
        }
    }

    /// Whether a negative value was given (the shard fails).
    pub fn failed(&self) -> bool {
        self.negative
    }

    fn total(&self) -> u64 {
        self.zeros + self.counts.values().sum::<u64>()
    }

    /// The lowest value of `v`'s bucket (`v` > 0).
    fn lowest(&self, v: f64) -> f64 {
        let step = pow2(floor_log2(v) - self.half_mag);
        (v / step).floor() * step
    }

    /// The unit: the width of the smallest positive value's buckets.
    fn unit(&self) -> Option<f64> {
        let (&min, _) = self.counts.iter().next()?;
        Some(pow2(floor_log2(f64::from_bits(min)) - self.half_mag))
    }

    /// The `p`th percentiles (0..=100), as `DoubleHistogram.getValueAtPercentile` answers
    /// (the count at a percentile rounded to the nearest, at least 1; the highest value of
    /// its bucket, the lowest for the 0th); `None` without values.
    pub fn percentiles(&self, ps: &[f64]) -> Vec<Option<f64>> {
        let total = self.total();
        ps.iter()
            .map(|&p| {
                if total == 0 {
                    return None;
                }
                let at = ((p.min(100.0) / 100.0 * total as f64 + 0.5) as u64).max(1);
                if self.zeros >= at {
                    return Some(0.0);
                }
                let unit = self.unit()?;
                let mut seen = self.zeros;
                for (&bits, &c) in &self.counts {
                    seen += c;
                    if seen >= at {
                        let low = f64::from_bits(bits);
                        if p == 0.0 {
                            return Some(low);
                        }
                        let width = pow2(floor_log2(low) - self.half_mag);
                        return Some(low + width - unit);
                    }
                }
                Some(0.0)
            })
            .collect()
    }

    /// The percentile ranks (0..=100) of `xs`, as `DoubleHistogram.getPercentileAtOrBelowValue`
    /// answers: the share of values whose bucket is at or below `x`'s; `None` without values.
    pub fn ranks(&self, xs: &[f64]) -> Vec<Option<f64>> {
        let total = self.total();
        xs.iter()
            .map(|&x| {
                if total == 0 {
                    return None;
                }
                let below = match self.unit() {
                    // a negative value's bucket index lies past the histogram's end, as does
                    // any value when only zeros were recorded: everything is at or below it
                    _ if x < 0.0 || x.is_nan() => total,
                    None => total,
                    Some(unit) if x < unit * pow2(self.half_mag) => self.zeros,
                    Some(_) if !x.is_finite() => total,
                    Some(_) => {
                        let key = self.lowest(x).to_bits();
                        self.zeros + self.counts.range(..=key).map(|(_, c)| c).sum::<u64>()
                    }
                };
                Some((100.0 * below as f64 / total as f64).clamp(0.0, 100.0))
            })
            .collect()
    }
}

/// `floor(log2(v))` of a positive finite value, exactly.
fn floor_log2(v: f64) -> i32 {
    let bits = v.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i32;
    if e == 0 {
        let m = bits & ((1u64 << 52) - 1);
        -1074 + (63 - m.leading_zeros() as i32)
    } else {
        e - 1023
    }
}

/// `2^e`, exactly where a double holds it.
fn pow2(e: i32) -> f64 {
    if (-1022..=1023).contains(&e) {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else {
        2f64.powi(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(values: &[f64]) -> Hdr {
        let mut h = Hdr::new(3);
        for v in values {
            h.record(*v);
        }
        h
    }

    /// Elasticsearch's documented answers for 1, 51, 101, 151 at 3 digits (its REST tests):
    /// the unit is 2^-10 (the smallest value is 1), 51 lies in a bucket 2^-5 wide.
    #[test]
    fn percentiles_as_elasticsearch_answers() {
        let ps = [1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0];
        let want = [
            1.0,
            1.0,
            1.0,
            51.0302734375,
            101.0615234375,
            151.1240234375,
            151.1240234375,
        ];
        for order in [[1.0, 51.0, 101.0, 151.0], [151.0, 101.0, 51.0, 1.0]] {
            let got: Vec<f64> = of(&order).percentiles(&ps).into_iter().flatten().collect();
            assert_eq!(got, want);
        }
        // merged from two shards: the same answers
        let mut a = of(&[151.0, 51.0]);
        a.merge(&of(&[101.0, 1.0]));
        assert_eq!(a.percentiles(&[50.0]), vec![Some(51.0302734375)]);
        // the 0th percentile is the lowest value of the first bucket
        assert_eq!(a.percentiles(&[0.0]), vec![Some(1.0)]);
        assert_eq!(Hdr::new(3).percentiles(&[50.0]), vec![None]);
    }

    #[test]
    fn zeros_digits_ranks_and_negatives() {
        let h = of(&[0.0, 0.0, 3.0]);
        assert_eq!(h.percentiles(&[50.0, 100.0]), vec![Some(0.0), Some(3.0)]);
        // 0 digits: no mantissa bit kept, a bucket as wide as its power of two: 3.5 lies in
        // [2, 4), whose highest value is one unit (1, the smallest value's width) below 4
        let mut h0 = Hdr::new(0);
        for v in [1.0, 3.5] {
            h0.record(v);
        }
        assert_eq!(h0.percentiles(&[100.0]), vec![Some(3.0)]);
        let h = of(&[1.0, 51.0, 101.0, 151.0]);
        assert_eq!(
            h.ranks(&[0.5, 1.0, 51.01, 100.0, 1000.0]),
            vec![Some(0.0), Some(25.0), Some(50.0), Some(50.0), Some(100.0)]
        );
        let mut n = of(&[1.0]);
        assert!(!n.failed());
        n.record(-10.0);
        assert!(n.failed());
    }
}
