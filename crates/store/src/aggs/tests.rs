use super::*;

#[test]
fn percentile_interpolates() {
    assert_eq!(percentile(&[], 50.0), None);
    assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 50.0), Some(2.5));
    assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 100.0), Some(4.0));
}

#[test]
fn date_keys_fixed_and_calendar() {
    let ms = 1_704_153_600_000 + 3_600_000 * 5 + 1234; // 2024-01-02T05:00:01.234Z
    assert_eq!(
        date_key(ms, &Interval::Fixed(3_600_000), None, 0),
        1_704_153_600_000 + 3_600_000 * 5
    );
    assert_eq!(
        date_key(ms, &Interval::Calendar(b'd'), None, 0),
        1_704_153_600_000
    );
    assert_eq!(
        date_key(ms, &Interval::Calendar(b'M'), None, 0),
        1_704_067_200_000
    );
    let plus2 = FixedOffset::east_opt(7200);
    // 07:00 local on Jan 2 → local day starts at 2024-01-01T22:00Z
    assert_eq!(
        date_key(ms, &Interval::Calendar(b'd'), plus2, 0),
        1_704_153_600_000 - 7_200_000
    );
}

#[test]
fn unknown_aggregation_is_an_error() {
    let e = parse(&json!({"x": {"geohash_grid": {"field": "a"}}}))
        .err()
        .map(|e| e.status());
    assert_eq!(e, Some(400));
    let e = parse(&json!({"x": {"date_histogram": {"field": "a", "interval": "1h"}}}))
        .err()
        .map(|e| e.status());
    assert_eq!(e, Some(400));
}
