use super::*;

#[test]
fn murmur3_matches_the_reference() {
    // reference values: Appleby's MurmurHash3_x64_128 (as Python's mmh3.hash64 gives them)
    fn check(input: &[u8], expected: (u64, u64)) {
        assert_eq!(murmur3_x64_128(input, 0), expected, "{input:?}");
    }
    check(b"", (0, 0));
    check(b"hello", (0xcbd8_a7b3_41bd_9b02, 0x5b1e_906a_48ae_1d19));
    check(b"user42", (0x95c3_3a54_bf64_37ef, 0x9bb8_c63a_259f_8bf1));
    check(
        b"0123456789abcdef0",
        (0xeb24_ae87_85a5_c075, 0x73fb_68b3_3131_28ca),
    );
    check(
        b"The quick brown fox jumps over the lazy dog",
        (0xe34b_bc7b_bc07_1b6c, 0x7a43_3ca9_c49a_9347),
    );
}

#[test]
fn precision_follows_es() {
    fn check(threshold: u32, expected: u8) {
        assert_eq!(precision_from_threshold(threshold), expected, "{threshold}");
    }
    check(0, 4);
    check(1, 4);
    check(100, 10);
    check(1000, 13);
    check(3000, 14);
    check(40_000, 18);
    check(u32::MAX, 18);
}

/// A deterministic stream of distinct keys (`key-0`, `key-1`, ...) hashed as keywords.
fn keys(range: std::ops::Range<u64>) -> impl Iterator<Item = u64> {
    range.map(|i| hash_bytes(format!("key-{i}").as_bytes()))
}

#[test]
fn exact_up_to_the_threshold() {
    for (threshold, n) in [(3000, 0), (3000, 1), (3000, 2999), (3000, 3000), (100, 100)] {
        let mut d = Distinct::new(threshold);
        // every value three times
        for _ in 0..3 {
            keys(0..n).for_each(|h| d.insert(h));
        }
        assert!(d.is_exact(), "{threshold} {n}");
        assert_eq!(d.count(), n, "{threshold} {n}");
    }
}

#[test]
fn estimates_within_error_beyond_the_threshold() {
    // relative standard error 1.04 / sqrt(2^p); allow four of them
    for (threshold, n) in [(3000, 3001), (3000, 20_000), (3000, 200_000), (100, 50_000)] {
        let mut d = Distinct::new(threshold);
        keys(0..n).for_each(|h| d.insert(h));
        keys(0..n / 2).for_each(|h| d.insert(h));
        assert!(!d.is_exact());
        let m = f64::from(1u32 << precision_from_threshold(threshold));
        let err = (d.count() as f64 - n as f64).abs() / n as f64;
        assert!(
            err < 4.0 * 1.04 / m.sqrt(),
            "threshold {threshold}, {n} distinct: estimated {}",
            d.count()
        );
    }
}

#[test]
fn merging_does_not_depend_on_the_split() {
    // the same values split in parts (overlapping) and merged in any order: one answer
    for n in [10u64, 2500, 5000, 80_000] {
        let mut whole = Distinct::new(3000);
        keys(0..n).for_each(|h| whole.insert(h));
        let mut parts: Vec<Distinct> = (0..4)
            .map(|p| {
                let mut d = Distinct::new(3000);
                keys(p * n / 4..((p + 1) * n / 4 + n / 10).min(n)).for_each(|h| d.insert(h));
                d
            })
            .collect();
        let mut forward = Distinct::new(3000);
        for p in parts.clone() {
            forward.merge(p);
        }
        parts.reverse();
        let mut backward = Distinct::new(3000);
        for p in parts {
            backward.merge(p);
        }
        assert_eq!(forward.count(), whole.count(), "{n}");
        assert_eq!(backward.count(), whole.count(), "{n}");
        if n <= 3000 {
            assert_eq!(whole.count(), n);
        }
    }
}

#[test]
fn numbers_hash_by_value() {
    assert_eq!(hash_num(0.0, true), hash_num(-0.0, true));
    assert_ne!(hash_num(1.0, true), hash_num(2.0, true));
    assert_eq!(hash_num(7.0, false), hash_num(7.0, false));
    let mut d = Distinct::new(3000);
    for i in 0..10_000 {
        d.insert(hash_num(f64::from(i % 1234), false));
    }
    assert_eq!(d.count(), 1234);
}

#[test]
fn ord_sets_list_their_ordinals() {
    fn check(num_terms: usize, ords: &[u64]) {
        let mut s = OrdSet::default();
        for &o in ords {
            s.insert(o, num_terms);
        }
        let mut expected: Vec<u64> = ords.to_vec();
        expected.sort_unstable();
        expected.dedup();
        assert_eq!(s.sorted(), expected);
        assert_eq!(s.is_empty(), expected.is_empty());
        let mut b = OrdSet::bits(num_terms);
        for &o in ords {
            b.insert(o, num_terms);
        }
        assert_eq!(b.sorted(), expected);
    }
    check(10, &[]);
    check(10, &[3, 3, 9, 0]);
    // enough to switch the sparse set to a bitset
    let many: Vec<u64> = (0..5000).map(|i| (i * 7919) % 100_000).collect();
    check(100_000, &many);
    check(200, &[199, 0, 64, 63, 128]);
}
