//! Document routing as Elasticsearch does it: `shard = floorMod(murmur3(_id), routing_num_shards)
//! / (routing_num_shards / number_of_shards)`, with the hash taken over the id's UTF-16 code
//! units (two little-endian bytes each, as Java's `String.charAt`) and ES 7+'s default
//! `routing_num_shards` (the largest `number_of_shards × 2^k` ≤ 1024, at least one split). The
//! same `_id` therefore lands in the same shard number here and in an Elasticsearch index with
//! the same number of shards.

/// The most primary shards an index may have (ES's `index.number_of_shards` limit is 1024).
pub const MAX_SHARDS: usize = 1024;

/// The routing of one index.
#[derive(Debug, Clone, Copy)]
pub struct Routing {
    shards: usize,
    routing_shards: u32,
}

impl Routing {
    /// The routing of an index with `shards` primaries (1 ≤ shards ≤ [`MAX_SHARDS`]).
    pub fn new(shards: usize) -> Routing {
        let shards = shards.clamp(1, MAX_SHARDS);
        Routing {
            shards,
            routing_shards: routing_num_shards(shards as u32),
        }
    }

    /// The routing of an index with `shards` primaries and `index.number_of_routing_shards`
    /// (checked at creation by [`Routing::check`]; ES's default when `None`).
    pub fn with_routing_shards(shards: usize, routing_shards: Option<u32>) -> Routing {
        let mut r = Routing::new(shards);
        if let Some(n) = routing_shards
            .filter(|n| *n as usize >= r.shards && (*n as usize).is_multiple_of(r.shards))
        {
            r.routing_shards = n;
        }
        r
    }

    /// Elasticsearch's checks of `index.number_of_routing_shards` against the shard count.
    ///
    /// # Errors
    /// `illegal_argument_exception` when the routing shards are fewer than the shards or not a
    /// multiple of them.
    pub fn check(shards: u32, routing_shards: u32) -> crate::error::Result<()> {
        if routing_shards < shards {
            return Err(crate::error::Error::illegal_argument(format!(
                "index.number_of_routing_shards [{routing_shards}] must be >= index.number_of_shards [{shards}]"
            )));
        }
        if !routing_shards.is_multiple_of(shards) {
            return Err(crate::error::Error::illegal_argument(format!(
                "the number of source shards [{shards}] must be a factor of [{routing_shards}]"
            )));
        }
        Ok(())
    }

    /// The shard number for a routing value (the `_id` unless a routing is given).
    pub fn shard(&self, routing: &str) -> usize {
        if self.shards == 1 {
            return 0;
        }
        let hash = hash_utf16(routing);
        let factor = self.routing_shards / self.shards as u32;
        (hash.rem_euclid(self.routing_shards as i32) as u32 / factor) as usize
    }
}

/// ES 7+'s default `index.number_of_routing_shards` for `shards` primaries.
fn routing_num_shards(shards: u32) -> u32 {
    let log2_max = 10u32; // 1024
    let log2_shards = 32 - (shards - 1).leading_zeros(); // ceil(log2(shards))
    let splits = log2_max.saturating_sub(log2_shards).max(1);
    shards << splits
}

/// murmur3 x86 32-bit (seed 0) over the UTF-16 code units of `s`, as a Java `int`.
pub fn hash_utf16(s: &str) -> i32 {
    let mut bytes = Vec::with_capacity(s.len() * 2);
    for u in s.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    murmur3_32(&bytes, 0) as i32
}

/// MurmurHash3's x86 32-bit variant.
pub fn murmur3_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h = seed;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut k = 0u32;
        for (i, b) in tail.iter().enumerate() {
            k |= u32::from(*b) << (8 * i);
        }
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur3_matches_the_reference_vectors() {
        // published test vectors of MurmurHash3_x86_32
        assert_eq!(murmur3_32(b"", 0), 0);
        assert_eq!(murmur3_32(b"", 1), 0x514e_28b7);
        assert_eq!(murmur3_32(b"", 0xffff_ffff), 0x81f1_6f39);
        assert_eq!(murmur3_32(&[0xff, 0xff, 0xff, 0xff], 0), 0x7629_3b50);
        assert_eq!(murmur3_32(&[0x21, 0x43, 0x65, 0x87], 0), 0xf55b_516b);
        assert_eq!(murmur3_32(&[0x21, 0x43, 0x65], 0), 0x7e4a_8634);
        assert_eq!(murmur3_32(&[0x21, 0x43], 0), 0xa0f7_b07a);
        assert_eq!(murmur3_32(&[0x21], 0), 0x7266_1cf4);
        assert_eq!(murmur3_32(b"Hello, world!", 1234), 0xfaf6_cdb3);
    }

    #[test]
    fn routing_shards_follow_es_defaults() {
        assert_eq!(routing_num_shards(1), 1024);
        assert_eq!(routing_num_shards(2), 1024);
        assert_eq!(routing_num_shards(3), 768);
        assert_eq!(routing_num_shards(5), 640);
        assert_eq!(routing_num_shards(8), 1024);
        assert_eq!(routing_num_shards(1024), 2048);
    }

    #[test]
    fn every_id_routes_inside_the_index_and_spreads() {
        for n in [2usize, 3, 5, 8] {
            let r = Routing::new(n);
            let mut counts = vec![0usize; n];
            for i in 0..10_000 {
                let s = r.shard(&format!("doc-{i}"));
                assert!(s < n);
                counts[s] += 1;
            }
            // murmur3 spreads sequential ids: every shard gets a fair share
            for c in counts {
                assert!(c > 10_000 / n / 2, "{n} shards: {c}");
            }
        }
        assert_eq!(Routing::new(1).shard("anything"), 0);
    }

    #[test]
    fn given_routing_shards_replace_the_default_when_they_fit() {
        // 5 shards over 5 routing shards: floorMod(hash, 5), a factor of 1
        let r = Routing::with_routing_shards(5, Some(5));
        for i in 0..200 {
            let id = format!("{i}");
            assert_eq!(r.shard(&id), hash_utf16(&id).rem_euclid(5) as usize);
        }
        // 2 shards over 8: floorMod(hash, 8) / 4
        let r = Routing::with_routing_shards(2, Some(8));
        for i in 0..200 {
            let id = format!("{i}");
            assert_eq!(r.shard(&id), hash_utf16(&id).rem_euclid(8) as usize / 4);
        }
        assert!(Routing::check(5, 5).is_ok());
        assert!(Routing::check(3, 4).is_err());
        assert!(Routing::check(4, 2).is_err());
    }
}
