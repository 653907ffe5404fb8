//! The values behind `percentiles`, as Elasticsearch's default (`hybrid`) t-digest keeps them:
//! every value, sorted when asked, up to 2,000 of them (its `SortingDigest`, whose answers are
//! exact), then a merging t-digest of compression 100 whose memory no longer grows with the
//! values (ES's `MergingDigest`; its estimates are within about 1 % of the exact quantiles, and
//! need not equal ES's digest's to the last digit).

use tdigest::TDigest;

/// Values kept exactly before switching to the digest (ES: `20 × compression`).
pub const MAX_SORTING: usize = 2_000;
/// The digest's compression (ES's default).
pub const COMPRESSION: usize = 100;
/// `median_absolute_deviation`'s default compression (ES's).
pub const MAD_COMPRESSION: f64 = 1000.0;

/// Mergeable percentile state.
#[derive(Debug, Clone, Default)]
pub struct Values {
    exact: Vec<f64>,
    digest: Option<Box<TDigest>>,
    /// the digest's compression, when not the default
    compression: Option<usize>,
    /// the `hdr` method: an HDR histogram instead of the digest
    hdr: Option<Box<super::hdr::Hdr>>,
}

impl Values {
    /// A state whose digest has `compression` (and keeps `20 × compression` values exactly
    /// before it switches to it, as ES's hybrid digest).
    pub fn with_compression(compression: f64) -> Values {
        Values {
            compression: Some((compression.ceil() as usize).max(1)),
            ..Values::default()
        }
    }

    /// A state kept as an HDR histogram of `digits` significant digits (the `hdr` method).
    pub fn with_hdr(digits: u8) -> Values {
        Values {
            hdr: Some(Box::new(super::hdr::Hdr::new(digits))),
            ..Values::default()
        }
    }

    /// Whether the state cannot answer: an HDR histogram was given a negative value (the
    /// shard fails, as in Elasticsearch).
    pub fn failed(&self) -> bool {
        self.hdr.as_ref().is_some_and(|h| h.failed())
    }

    fn compression(&self) -> usize {
        self.compression.unwrap_or(COMPRESSION)
    }

    fn max_sorting(&self) -> usize {
        self.compression
            .map_or(MAX_SORTING, |c| c.saturating_mul(20))
    }

    /// The median absolute deviation: the median of the distances to the median, as ES
    /// computes it (over the digest's centroids once it holds one: here, over a thousand of
    /// its quantiles); `None` without values.
    pub fn median_absolute_deviation(&self) -> Option<f64> {
        let values: Vec<f64> = match &self.digest {
            Some(d) => {
                let mut d = (**d).clone();
                d.flush();
                (0..1000)
                    .filter_map(|i| d.estimate_quantile((f64::from(i) + 0.5) / 1000.0))
                    .collect()
            }
            None => self.exact.clone(),
        };
        if values.is_empty() {
            return None;
        }
        let mut sorted = values;
        sorted.sort_by(f64::total_cmp);
        let median = super::percentile(&sorted, 50.0)?;
        let mut deviations: Vec<f64> = sorted.iter().map(|v| (v - median).abs()).collect();
        deviations.sort_by(f64::total_cmp);
        super::percentile(&deviations, 50.0)
    }
    /// Takes one value.
    pub fn push(&mut self, v: f64) {
        if let Some(h) = &mut self.hdr {
            h.record(v);
            return;
        }
        if !v.is_finite() {
            return;
        }
        match &mut self.digest {
            Some(d) => d.push(v),
            None => {
                self.exact.push(v);
                if self.exact.len() >= self.max_sorting() {
                    self.switch();
                }
            }
        }
    }

    fn switch(&mut self) {
        let mut d = TDigest::new_with_size(self.compression());
        d.extend_values(std::mem::take(&mut self.exact));
        self.exact = Vec::new();
        self.digest = Some(Box::new(d));
    }

    /// Adds what `other` took.
    pub fn merge(&mut self, other: Values) {
        if let (Some(h), Some(theirs)) = (&mut self.hdr, &other.hdr) {
            h.merge(theirs);
            return;
        }
        match (&mut self.digest, other.digest) {
            (None, None) => {
                self.exact.extend(other.exact);
                if self.exact.len() >= self.max_sorting() {
                    self.switch();
                }
            }
            (Some(d), None) => d.extend_values(other.exact),
            (None, Some(mut theirs)) => {
                theirs.extend_values(std::mem::take(&mut self.exact));
                self.digest = Some(theirs);
            }
            (Some(d), Some(mut theirs)) => {
                d.flush();
                theirs.flush();
                let merged = TDigest::merge_digests(vec![(**d).clone(), *theirs]);
                **d = merged;
            }
        }
    }

    /// How many values the state holds exactly (the digest's are summarized).
    pub fn exact_len(&self) -> usize {
        self.exact.len()
    }

    /// The percentile ranks (0..=100) of `xs`; `None` without values. Exact values rank as
    /// Elasticsearch's `Dist.cdf` ranks them: values below count whole, values equal count
    /// half, and between two neighbours the rank is interpolated.
    pub fn ranks(&self, xs: &[f64]) -> Vec<Option<f64>> {
        if let Some(h) = &self.hdr {
            return h.ranks(xs);
        }
        if let Some(d) = &self.digest {
            let mut d = (**d).clone();
            d.flush();
            return xs
                .iter()
                .map(|x| d.estimate_rank(*x).map(|r| r.clamp(0.0, 1.0) * 100.0))
                .collect();
        }
        if self.exact.is_empty() {
            return vec![None; xs.len()];
        }
        let mut sorted = self.exact.clone();
        sorted.sort_by(f64::total_cmp);
        xs.iter()
            .map(|x| Some(cdf(*x, &sorted).clamp(0.0, 1.0) * 100.0))
            .collect()
    }

    /// The `p`th percentiles (0..=100); `None` without values.
    pub fn percentiles(&self, ps: &[f64]) -> Vec<Option<f64>> {
        if let Some(h) = &self.hdr {
            return h.percentiles(ps);
        }
        if let Some(d) = &self.digest {
            let mut d = (**d).clone();
            d.flush();
            return ps.iter().map(|p| d.estimate_quantile(p / 100.0)).collect();
        }
        let mut sorted = self.exact.clone();
        sorted.sort_by(f64::total_cmp);
        ps.iter().map(|p| super::percentile(&sorted, *p)).collect()
    }
}

/// The fraction of `sorted` at or below `x`, as Elasticsearch's `Dist.cdf` computes it.
fn cdf(x: f64, sorted: &[f64]) -> f64 {
    let n = sorted.len() as f64;
    if x.total_cmp(&sorted[0]).is_lt() {
        return 0.0;
    }
    // the first value is counted half, as one of its run of equals
    let (mut below, mut equal) = (0.5, 0u64);
    for i in 1..sorted.len() {
        let v = sorted[i];
        match v.total_cmp(&x) {
            std::cmp::Ordering::Greater => {
                if equal > 0 {
                    return (below + 0.5 * equal as f64) / n;
                }
                let prev = sorted[i - 1];
                let factor = (x - prev) / (v - prev);
                return (below + factor) / n;
            }
            std::cmp::Ordering::Less => below += 1.0,
            std::cmp::Ordering::Equal => equal += 1,
        }
    }
    (n - 0.5 * equal as f64) / n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(values: &[f64], p: f64) -> f64 {
        let mut s = values.to_vec();
        s.sort_by(f64::total_cmp);
        super::super::percentile(&s, p).unwrap()
    }

    /// Ranks of exact values: below the data 0, at the top 100 less half the top run, between
    /// two neighbours interpolated, on a run of equals the values below plus half the run.
    #[test]
    fn exact_ranks() {
        let mut v = Values::default();
        for x in [10.5, 3.5, 12.75, 7.0] {
            v.push(x);
        }
        let got = v.ranks(&[1.0, 3.5, 10.0, 12.75, 100.0]);
        let want = [0.0, 12.5, (1.5 + 3.0 / 3.5) / 4.0 * 100.0, 87.5, 100.0];
        for (g, w) in got.iter().zip(want) {
            assert!((g.unwrap() - w).abs() < 1e-9, "{got:?} vs {want:?}");
        }
        let mut v = Values::default();
        for x in [2.0, 1.0, 5.0, 2.0, 3.0, 2.0, 4.0, 1.0] {
            v.push(x);
        }
        // below 2: one whole value after the first's half, then half of the three 2s
        assert_eq!(v.ranks(&[2.0]), vec![Some(37.5)]);
        assert_eq!(Values::default().ranks(&[1.0]), vec![None]);
    }

    /// Up to the switch the answers are the exact ones; beyond it memory stops growing and the
    /// estimates stay within 1 % of the exact quantiles, merged states included.
    #[test]
    fn exact_then_bounded_and_close() {
        // a skewed, shuffled sequence (a multiplicative hash walks 1..=n out of order)
        let n = 200_000u64;
        let values: Vec<f64> = (0..n)
            .map(|i| {
                let j = (i * 2_654_435_761) % n + 1;
                (j as f64).powf(1.5)
            })
            .collect();
        let mut small = Values::default();
        for v in &values[..1_999] {
            small.push(*v);
        }
        assert_eq!(small.exact_len(), 1_999);
        for p in [1.0, 50.0, 99.0] {
            assert_eq!(small.percentiles(&[p])[0], Some(exact(&values[..1_999], p)));
        }
        let (mut a, mut b) = (Values::default(), Values::default());
        for (i, v) in values.iter().enumerate() {
            if i % 3 == 0 { a.push(*v) } else { b.push(*v) }
        }
        assert_eq!(
            a.exact_len() + b.exact_len(),
            0,
            "both switched to the digest"
        );
        a.merge(b);
        for p in [5.0, 25.0, 50.0, 75.0, 95.0, 99.0] {
            let got = a.percentiles(&[p])[0].unwrap();
            let want = exact(&values, p);
            assert!((got - want).abs() / want < 0.01, "p{p}: {got} vs {want}");
        }
        assert_eq!(Values::default().percentiles(&[50.0]), vec![None]);
    }

    #[test]
    fn median_absolute_deviation_is_exact_then_close_on_the_digest() {
        let mut small = Values::with_compression(MAD_COMPRESSION);
        for v in [100.0, 200.0, 300.0] {
            small.push(v);
        }
        assert_eq!(small.median_absolute_deviation(), Some(100.0));
        assert_eq!(Values::default().median_absolute_deviation(), None);
        // past 20 × compression values the digest answers: uniform 0..1000 has a MAD of 250
        let mut big = Values::with_compression(100.0);
        for i in 0..100_000u32 {
            big.push(f64::from(i % 1000));
        }
        assert_eq!(big.exact_len(), 0);
        let mad = big.median_absolute_deviation().unwrap();
        assert!((mad - 250.0).abs() < 2.5, "{mad}");
    }
}
