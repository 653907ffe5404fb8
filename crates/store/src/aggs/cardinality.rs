//! `cardinality`: Elasticsearch's distinct count — exact up to `precision_threshold` distinct
//! values, a HyperLogLog++ sketch beyond.
//!
//! As in ES, every value is hashed once: a keyword's bytes with murmur3 (x64 128-bit, seed 0,
//! the first half), a number with a 64-bit mixer (its `long` value, or a floating type's IEEE
//! bits); the sketch's precision comes from the threshold as ES computes it
//! ([`precision_from_threshold`]: 14 bits for the default 3000, 18 for the maximum 40000).
//! [`Distinct`] keeps the 64-bit hashes themselves while there are at most `threshold` of them
//! (exact but for a 64-bit hash collision; ES's linear counting keeps 32-bit hashes there), then
//! folds them into `2^p` registers. The estimate is Ertl's improved raw estimator ("New
//! cardinality estimation algorithms for HyperLogLog sketches", 2017), which needs neither ES's
//! empirical bias tables nor a switch to linear counting, with a relative standard error of
//! about `1.04 / sqrt(2^p)` (0.8 % at the default precision).
//!
//! A keyword column is collected per segment as term ordinals ([`OrdSet`]: sparse while few, a
//! bitset over the segment's dictionary beyond), so no document's string is read or hashed;
//! when the segment is done, the dictionary is read once in ordinal order and each distinct term
//! hashed once ([`Distinct::insert_ords`]). Sketches of segments and shards merge losslessly
//! (register-wise maximum), so the answer does not depend on how documents are split.

use std::collections::HashSet;

use tantivy::columnar::StrColumn;

use super::FxHasher;

/// ES's default `precision_threshold`.
pub const DEFAULT_THRESHOLD: u32 = 3000;
/// ES's largest `precision_threshold` (larger requests are capped to it).
pub const MAX_THRESHOLD: u32 = 40_000;

type FastSet<T> = HashSet<T, std::hash::BuildHasherDefault<FxHasher>>;

/// ES's `HyperLogLogPlusPlus.precisionFromThreshold`: the precision whose registers take the
/// memory of a linear-counting hash table of `threshold` 4-byte entries at load factor 0.75,
/// between 4 and 18.
pub fn precision_from_threshold(threshold: u32) -> u8 {
    let entries = (u64::from(threshold) * 4).div_ceil(3); // ceil(threshold / 0.75)
    let bits = (64 - (entries * 4).leading_zeros()).max(1); // PackedInts.bitsRequired
    bits.clamp(4, 18) as u8
}

/// Distinct values seen so far: their hashes while at most `threshold`, else a sketch.
#[derive(Debug, Clone)]
pub struct Distinct {
    threshold: usize,
    precision: u8,
    exact: FastSet<u64>,
    /// `2^precision` HyperLogLog registers; empty while exact
    registers: Vec<u8>,
}

impl Default for Distinct {
    fn default() -> Self {
        Distinct::new(DEFAULT_THRESHOLD)
    }
}

impl Distinct {
    /// An empty count that stays exact up to `threshold` (capped at [`MAX_THRESHOLD`]) values.
    pub fn new(threshold: u32) -> Distinct {
        let threshold = threshold.min(MAX_THRESHOLD);
        Distinct {
            threshold: threshold as usize,
            precision: precision_from_threshold(threshold),
            exact: FastSet::default(),
            registers: Vec::new(),
        }
    }

    /// Whether the count is still exact (not yet a sketch).
    pub fn is_exact(&self) -> bool {
        self.registers.is_empty()
    }

    /// Adds a value's 64-bit hash.
    pub fn insert(&mut self, hash: u64) {
        if self.registers.is_empty() {
            self.exact.insert(hash);
            if self.exact.len() > self.threshold {
                self.start_sketch();
            }
        } else {
            self.add_to_registers(hash);
        }
    }

    /// Adds the terms of `col` whose ordinals are in `ords` (one dictionary pass, in ordinal
    /// order); false when the dictionary could not be read.
    pub fn insert_ords(&mut self, col: &StrColumn, ords: &OrdSet) -> bool {
        let sorted = ords.sorted();
        if sorted.is_empty() {
            return true;
        }
        col.dictionary()
            .sorted_ords_to_term_cb(&sorted, |term| self.insert(hash_bytes(term)))
            .unwrap_or(false)
    }

    fn start_sketch(&mut self) {
        self.registers = vec![0; 1 << self.precision];
        for h in std::mem::take(&mut self.exact) {
            self.add_to_registers(h);
        }
    }

    fn add_to_registers(&mut self, hash: u64) {
        let p = u32::from(self.precision);
        let idx = (hash >> (64 - p)) as usize;
        // rank: position of the first 1 bit after the index bits, 65 - p when there is none
        let rank = ((hash << p).leading_zeros().min(64 - p) + 1) as u8;
        if let Some(r) = self.registers.get_mut(idx)
            && *r < rank
        {
            *r = rank;
        }
    }

    /// Merges `other` (same threshold) into `self`.
    pub fn merge(&mut self, other: Distinct) {
        match (self.registers.is_empty(), other.registers.is_empty()) {
            (_, true) => {
                for h in other.exact {
                    self.insert(h);
                }
            }
            (true, false) => {
                let exact = std::mem::take(&mut self.exact);
                *self = other;
                for h in exact {
                    self.insert(h);
                }
            }
            (false, false) => {
                for (a, b) in self.registers.iter_mut().zip(other.registers) {
                    *a = (*a).max(b);
                }
            }
        }
    }

    /// The distinct count: exact below the threshold, estimated beyond.
    pub fn count(&self) -> u64 {
        if self.registers.is_empty() {
            return self.exact.len() as u64;
        }
        let est = self.estimate().round() as u64;
        // an estimate never goes below what the exact phase had seen
        est.max(self.threshold as u64 + 1)
    }

    /// Ertl's improved raw estimator over the registers.
    fn estimate(&self) -> f64 {
        let m = self.registers.len() as f64;
        let q = 64 - usize::from(self.precision);
        let mut hist = vec![0u32; q + 2];
        for &r in &self.registers {
            hist[usize::from(r)] += 1;
        }
        let mut z = m * tau(1.0 - f64::from(hist[q + 1]) / m);
        for k in (1..=q).rev() {
            z = 0.5 * (z + f64::from(hist[k]));
        }
        z += m * sigma(f64::from(hist[0]) / m);
        m * m / (2.0 * std::f64::consts::LN_2 * z)
    }
}

fn sigma(mut x: f64) -> f64 {
    if x >= 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let old = z;
        z += x * y;
        y += y;
        if z == old {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x <= 0.0 || x >= 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let old = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if z == old {
            return z / 3.0;
        }
    }
}

/// Term ordinals of one segment's dictionary: a hash set while few, a bitset over the
/// dictionary once the set would take more memory than the bitset.
#[derive(Debug, Clone)]
pub enum OrdSet {
    /// few ordinals
    Sparse(FastSet<u64>),
    /// one bit per term of the dictionary
    Bits(Vec<u64>),
}

impl Default for OrdSet {
    fn default() -> Self {
        OrdSet::Sparse(FastSet::default())
    }
}

impl OrdSet {
    /// A bitset over `num_terms` ordinals (for a top-level aggregation, where one set exists).
    pub fn bits(num_terms: usize) -> OrdSet {
        OrdSet::Bits(vec![0; num_terms.div_ceil(64)])
    }

    /// Adds `ord` of a dictionary of `num_terms` terms.
    pub fn insert(&mut self, ord: u64, num_terms: usize) {
        match self {
            OrdSet::Bits(words) => {
                if let Some(w) = words.get_mut((ord / 64) as usize) {
                    *w |= 1 << (ord % 64);
                }
            }
            OrdSet::Sparse(set) => {
                set.insert(ord);
                // a set entry costs ~16 bytes, the bitset one bit per term
                if set.len() * 128 > num_terms {
                    let mut words = vec![0u64; num_terms.div_ceil(64)];
                    for o in set.drain() {
                        if let Some(w) = words.get_mut((o / 64) as usize) {
                            *w |= 1 << (o % 64);
                        }
                    }
                    *self = OrdSet::Bits(words);
                }
            }
        }
    }

    /// Whether no ordinal was added.
    pub fn is_empty(&self) -> bool {
        match self {
            OrdSet::Sparse(s) => s.is_empty(),
            OrdSet::Bits(w) => w.iter().all(|w| *w == 0),
        }
    }

    /// The ordinals, ascending.
    pub fn sorted(&self) -> Vec<u64> {
        match self {
            OrdSet::Sparse(s) => {
                let mut v: Vec<u64> = s.iter().copied().collect();
                v.sort_unstable();
                v
            }
            OrdSet::Bits(words) => {
                let mut v = Vec::new();
                for (i, &w) in words.iter().enumerate() {
                    let mut w = w;
                    while w != 0 {
                        let b = u64::from(w.trailing_zeros());
                        v.push(i as u64 * 64 + b);
                        w &= w - 1;
                    }
                }
                v
            }
        }
    }
}

/// The hash of a keyword value: murmur3 x64 128-bit, seed 0, first half (as ES's cardinality).
pub fn hash_bytes(b: &[u8]) -> u64 {
    murmur3_x64_128(b, 0).0
}

/// The hash of a number: the integer for integer, date and boolean types, the IEEE bits for
/// floating types, mixed to 64 random-looking bits.
pub fn hash_num(v: f64, float: bool) -> u64 {
    let bits = if float {
        // -0.0 and 0.0 are one value
        (if v == 0.0 { 0.0 } else { v }).to_bits()
    } else {
        v as i64 as u64
    };
    mix64(bits)
}

/// A 64-bit mixer (the constants of hppc's `BitMixer.mix64`, the one ES uses for numbers).
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 32)).wrapping_mul(0x4cd6_944c_5cc2_0b6d);
    z = (z ^ (z >> 29)).wrapping_mul(0xfc12_c5b1_9d32_59e9);
    z ^ (z >> 32)
}

fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// MurmurHash3 x64 128-bit (Austin Appleby's reference `MurmurHash3_x64_128`).
pub fn murmur3_x64_128(data: &[u8], seed: u64) -> (u64, u64) {
    const C1: u64 = 0x87c3_7b91_1142_53d5;
    const C2: u64 = 0x4cf5_ad43_2745_937f;
    let mix_k1 = |k: u64| k.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
    let mix_k2 = |k: u64| k.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
    let (mut h1, mut h2) = (seed, seed);
    let mut blocks = data.chunks_exact(16);
    for b in &mut blocks {
        let mut k1 = [0u8; 8];
        let mut k2 = [0u8; 8];
        k1.copy_from_slice(&b[..8]);
        k2.copy_from_slice(&b[8..]);
        h1 ^= mix_k1(u64::from_le_bytes(k1));
        h1 = h1
            .rotate_left(27)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(0x52dc_e729);
        h2 ^= mix_k2(u64::from_le_bytes(k2));
        h2 = h2
            .rotate_left(31)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(0x3849_5ab5);
    }
    let tail = blocks.remainder();
    let (mut k1, mut k2) = (0u64, 0u64);
    for (i, &b) in tail.iter().enumerate() {
        if i < 8 {
            k1 |= u64::from(b) << (8 * i);
        } else {
            k2 |= u64::from(b) << (8 * (i - 8));
        }
    }
    if tail.len() > 8 {
        h2 ^= mix_k2(k2);
    }
    if !tail.is_empty() {
        h1 ^= mix_k1(k1);
    }
    let len = data.len() as u64;
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    (h1, h2)
}

#[cfg(test)]
mod tests;
