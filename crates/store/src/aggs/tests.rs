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
    let plus2 = Zone::parse("+02:00");
    // 07:00 local on Jan 2 → local day starts at 2024-01-01T22:00Z
    assert_eq!(
        date_key(ms, &Interval::Calendar(b'd'), plus2, 0),
        1_704_153_600_000 - 7_200_000
    );
}

#[test]
fn calendar_buckets_follow_daylight_saving() {
    let berlin = Zone::parse("Europe/Berlin");
    let at = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("date")
            .timestamp_millis()
    };
    // 2024-03-31 has 23 hours in Berlin: its day starts at 23:00Z the day before (CET) and
    // the next one at 22:00Z (CEST)
    let d = Interval::Calendar(b'd');
    assert_eq!(
        date_key(at("2024-03-31T12:00:00Z"), &d, berlin, 0),
        at("2024-03-30T23:00:00Z")
    );
    assert_eq!(
        next_key(at("2024-03-30T23:00:00Z"), &d, berlin, 0),
        at("2024-03-31T22:00:00Z")
    );
    // and 2024-10-27 has 25
    assert_eq!(
        next_key(at("2024-10-26T22:00:00Z"), &d, berlin, 0),
        at("2024-10-27T23:00:00Z")
    );
    // months start at local midnight whatever the offset of the day
    let m = Interval::Calendar(b'M');
    assert_eq!(
        date_key(at("2024-07-15T00:00:00Z"), &m, berlin, 0),
        at("2024-06-30T22:00:00Z")
    );
    assert_eq!(
        date_key(at("2024-01-15T00:00:00Z"), &m, berlin, 0),
        at("2023-12-31T23:00:00Z")
    );
    // hours are elapsed time: the repeated hour of October is two buckets
    let h = Interval::Calendar(b'h');
    assert_eq!(
        date_key(at("2024-10-27T00:30:00Z"), &h, berlin, 0),
        at("2024-10-27T00:00:00Z")
    );
    assert_eq!(
        date_key(at("2024-10-27T01:30:00Z"), &h, berlin, 0),
        at("2024-10-27T01:00:00Z")
    );
    // a fixed 1d interval rounds local days too
    assert_eq!(
        date_key(
            at("2024-07-15T23:30:00Z"),
            &Interval::Fixed(86_400_000),
            berlin,
            0
        ),
        at("2024-07-15T22:00:00Z")
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
