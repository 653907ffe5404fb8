use super::*;

fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut v = Vec::new();
    f(&mut v);
    String::from_utf8(v).unwrap()
}

#[test]
fn numbers() {
    for (n, want) in [
        (0u64, "0"),
        (7, "7"),
        (10, "10"),
        (u64::MAX, "18446744073709551615"),
    ] {
        assert_eq!(s(|o| push_u64(o, n)), want);
    }
    for (ms, three, two) in [
        (0u32, "0.000", "0.00"),
        (100, "0.100", "0.10"),
        (1234, "1.234", "1.23"),
        (1235, "1.235", "1.24"),
        (125, "0.125", "0.12"),
        (375, "0.375", "0.38"),
        (4999, "4.999", "5.00"),
        (5000, "5.000", "5.00"),
        (61_005, "61.005", "61.01"),
    ] {
        assert_eq!(s(|o| push_millis_as_seconds(o, ms)), three);
        assert_eq!(s(|o| push_millis_as_seconds_2(o, ms)), two);
    }
}

#[test]
fn two_decimals_round_like_std_formatting() {
    for ms in 0..=100_000u32 {
        let want = format!("{:.2}", f64::from(ms) / 1000.0);
        assert_eq!(s(|o| push_millis_as_seconds_2(o, ms)), want, "ms {ms}");
    }
}

#[test]
fn timestamps_match_chrono() {
    let micros = [
        0i64,
        1,
        999,
        1_767_225_600_000_000, // 2026-01-01
        1_764_022_544_123_456,
        951_782_400_000_000,   // 2000-02-29
        4_107_542_399_999_999, // 2100-02-28T23:59:59.999999
        -1,
        -86_400_000_001,
        253_402_300_799_999_999, // 9999-12-31T23:59:59.999999
    ];
    for m in micros {
        let want = chrono::DateTime::from_timestamp_micros(m)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        assert_eq!(s(|o| push_timestamp(o, m)), want, "micros {m}");
    }
}
