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
    let e = parse(&json!({"x": {"geohex_grid": {"field": "a"}}}))
        .err()
        .map(|e| e.status());
    assert_eq!(e, Some(400));
    let e = parse(&json!({"x": {"date_histogram": {"field": "a", "interval": "1h"}}}))
        .err()
        .map(|e| e.status());
    assert_eq!(e, Some(400));
}

#[test]
fn numbers_are_coerced_and_wrong_types_are_es_errors() {
    let kind = |v: Value| parse(&json!({"a": v})).map(|mut a| a.remove(0).kind);
    match kind(json!({"terms": {"field": "f", "size": "5", "min_doc_count": "2"}})) {
        Ok(Kind::Terms {
            size,
            min_doc_count,
            ..
        }) => assert_eq!((size, min_doc_count), (5, 2)),
        other => panic!("{other:?}"),
    }
    match kind(json!({"percentiles": {"field": "f", "percents": [50, "99.9"]}})) {
        Ok(Kind::Metric { percents, .. }) => assert_eq!(percents, vec![50.0, 99.9]),
        other => panic!("{other:?}"),
    }
    match kind(json!({"range": {"field": "f", "ranges": [{"from": "now-1d", "to": 10}]}})) {
        Ok(Kind::Range { ranges, .. }) => assert_eq!(
            ranges,
            vec![RangeSpec {
                key: None,
                from: Some(Bound::Str("now-1d".into())),
                to: Some(Bound::Num(10.0)),
            }]
        ),
        other => panic!("{other:?}"),
    }
    let cases = [
        (
            json!({"terms": {"field": "f", "size": "five"}}),
            "x_content_parse_exception",
            "[terms] failed to parse field [size]",
        ),
        (
            json!({"terms": {"field": "f", "size": true}}),
            "x_content_parse_exception",
            "[terms] size doesn't support values of type: VALUE_BOOLEAN",
        ),
        (
            json!({"terms": {"field": "f", "size": 0}}),
            "illegal_argument_exception",
            "[size] must be greater than 0. Found [0] in [a]",
        ),
        (
            json!({"terms": {"field": "f", "min_doc_count": -1}}),
            "illegal_argument_exception",
            "[minDocCount] must be greater than or equal to 0. Found [-1] in [a]",
        ),
        (
            json!({"percentiles": {"field": "f", "percents": ["x"]}}),
            "x_content_parse_exception",
            "[percentiles] failed to parse field [percents]",
        ),
        (
            json!({"range": {"field": "f", "ranges": [{"from": true}]}}),
            "x_content_parse_exception",
            "[range] failed to parse field [from]: unsupported value type [VALUE_BOOLEAN] in [a]",
        ),
    ];
    for (body, ty, reason) in cases {
        let e = kind(body.clone()).expect_err("an error");
        assert_eq!((e.es_type(), e.reason().as_str()), (ty, reason), "{body}");
    }
}

#[test]
fn range_bounds_resolve_against_the_field() {
    let specs = vec![RangeSpec {
        key: None,
        from: Some(Bound::Str("2024-01-01".into())),
        to: Some(Bound::Str("2024-01-01||+1d".into())),
    }];
    let b = resolve_bounds(&specs, Some(FieldType::Date), &[], None, 0).expect("dates");
    assert_eq!(
        b,
        vec![(Some(1_704_067_200_000.0), Some(1_704_153_600_000.0))]
    );
    let nums = vec![RangeSpec {
        key: None,
        from: Some(Bound::Str("1.5".into())),
        to: None,
    }];
    assert_eq!(
        resolve_bounds(&nums, Some(FieldType::Long), &[], None, 0).expect("numbers"),
        vec![(Some(1.5), None)]
    );
    let bad = vec![RangeSpec {
        key: None,
        from: Some(Bound::Str("abc".into())),
        to: None,
    }];
    let e = resolve_bounds(&bad, Some(FieldType::Long), &[], None, 0).expect_err("not a number");
    assert_eq!(e.es_type(), "number_format_exception");
}

mod parse_props {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::super::{parse, script};

    /// Values of every JSON type, including the wrong ones for each parameter.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-5i64..200).prop_map(|n| json!(n)),
            (-1e3f64..1e3).prop_map(|f| json!(f)),
            prop::sample::select(vec![
                "f",
                "x",
                "10km",
                "1d",
                "asc",
                "desc",
                "_count",
                "h>s",
                "params.a / 2",
                "",
                "-1",
                "a[99.0]",
                "skip",
                "insert_zeros",
            ])
            .prop_map(|s| json!(s)),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                prop::collection::vec((param(), inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn param() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "field",
            "size",
            "precision",
            "bounds",
            "top_left",
            "bottom_right",
            "wrap_longitude",
            "buckets_path",
            "gap_policy",
            "script",
            "source",
            "params",
            "window",
            "shift",
            "lag",
            "unit",
            "sort",
            "from",
            "sources",
            "after",
            "order",
            "missing_bucket",
            "values",
            "percents",
            "keyed",
            "sigma",
            "max_doc_count",
            "value",
            "weight",
            "missing",
            "ranges",
            "format",
            "time_zone",
            "calendar_interval",
            "interval",
            "terms",
            "s",
        ])
        .prop_map(str::to_owned)
    }

    fn agg_type() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "terms",
            "rare_terms",
            "histogram",
            "date_histogram",
            "range",
            "date_range",
            "composite",
            "geohash_grid",
            "geotile_grid",
            "geo_bounds",
            "geo_centroid",
            "derivative",
            "cumulative_sum",
            "serial_diff",
            "moving_fn",
            "bucket_script",
            "bucket_selector",
            "bucket_sort",
            "avg_bucket",
            "max_bucket",
            "stats_bucket",
            "extended_stats",
            "percentiles",
            "percentile_ranks",
            "weighted_avg",
            "missing",
        ])
        .prop_map(str::to_owned)
    }

    proptest! {
        /// Whatever the body, parsing answers an aggregation tree or an Elasticsearch-shaped
        /// 4xx error; it never panics.
        #[test]
        fn aggregation_bodies_never_panic(
            t in agg_type(), body in value(), sub in prop::option::of((agg_type(), value())),
        ) {
            let mut def = json!({ t: body });
            if let Some((st, sb)) = sub {
                def["aggs"] = json!({"inner": { st: sb }});
            }
            if let Err(e) = parse(&json!({"a": def, "h": {"histogram": {"field": "n", "interval": 1}}})) {
                prop_assert!((400..500).contains(&e.status()), "{}", e.to_es_body());
                prop_assert!(!e.es_type().is_empty());
            }
        }

        /// Any script text compiles or is refused with a `script_exception`; evaluation of
        /// what compiles never panics either.
        #[test]
        fn scripts_never_panic(
            src in prop_oneof![
                "[ -~]{0,40}",
                prop::collection::vec(prop::sample::select(vec![
                    "params.a", "params.k", "1", "0", "-", "/", "%", "*", "+", "(", ")", "Math.max(",
                    "Math.round(", ",", "?", ":", "&&", "||", "!", "==", "<", "values",
                    "MovingFunctions.sum(", "MovingFunctions.holt(", "9223372036854775807",
                    "2.5e308", "return", ";",
                ]), 0..14).prop_map(|t| t.join(" ")),
            ],
            a in -10.0f64..10.0,
        ) {
            match script::parse(&json!({"source": src, "params": {"k": i64::MIN}}), "t") {
                Ok(s) => {
                    let paths = [("a".to_owned(), a)];
                    let _ = s.eval(&script::Vars { params: &s.params, paths: &paths, values: &[1.0, a] });
                }
                Err(e) => prop_assert_eq!(e.es_type(), "script_exception"),
            }
        }
    }
}

#[test]
fn significance_scores_follow_the_heuristics_formulas() {
    // JLH: (p_fg - p_bg) * (p_fg / p_bg); zero when the share does not grow
    let jlh = Heuristic::Jlh.score(10, 100, 20, 1000);
    let (fg, bg) = (0.1, 0.02);
    assert!((jlh - (fg - bg) * (fg / bg)).abs() < 1e-12, "{jlh}");
    assert_eq!(Heuristic::Jlh.score(1, 100, 50, 1000), 0.0);
    assert_eq!(Heuristic::Jlh.score(1, 0, 5, 10), 0.0);
    assert_eq!(Heuristic::Jlh.score(1, 10, 5, 0), 0.0);
    // a term missing from a background that is not a superset counts once there
    assert_eq!(
        Heuristic::Jlh.score(2, 10, 0, 100),
        Heuristic::Jlh.score(2, 10, 1, 100)
    );
    assert_eq!(Heuristic::Percentage.score(3, 10, 12, 100), 0.25);
    assert_eq!(Heuristic::Percentage.score(3, 10, 0, 100), 0.0);
}

#[test]
fn unsupported_significance_heuristics_are_refused_by_name() {
    for h in [
        "mutual_information",
        "chi_square",
        "gnd",
        "script_heuristic",
    ] {
        let e = parse(&json!({"s": {"significant_terms": {"field": "f", h: {}}}})).err();
        let body = e.map(|e| e.to_es_body().to_string()).unwrap_or_default();
        assert!(
            body.contains("illegal_argument_exception") && body.contains(h),
            "{h}: {body}"
        );
    }
    match parse(&json!({"s": {"significant_terms": {"field": "f"}}})).map(|mut a| a.remove(0).kind)
    {
        Ok(Kind::Terms {
            min_doc_count,
            size,
            significant: Some(sig),
            ..
        }) => {
            assert_eq!((min_doc_count, size), (3, 10));
            assert_eq!(sig.heuristic, Heuristic::Jlh);
        }
        other => panic!("{other:?}"),
    }
}

/// Every aggregation `_nodes/aggregations` names is one the store parses (a minimal body of
/// each), so the list says no more than the store runs.
#[test]
fn node_info_lists_only_aggregations_the_store_parses() {
    for (name, _) in crate::http::nodes::AGGREGATIONS {
        let body = match *name {
            "date_histogram" => json!({"field": "f", "calendar_interval": "1d"}),
            "histogram" => json!({"field": "f", "interval": 5}),
            "range" | "date_range" => json!({"field": "f", "ranges": [{"to": 5}]}),
            "ip_range" => json!({"field": "f", "ranges": [{"to": "10.0.0.5"}]}),
            "geo_distance" => {
                json!({"field": "f", "origin": "52.3,4.9", "ranges": [{"to": 100}]})
            }
            "percentile_ranks" => json!({"field": "f", "values": [1]}),
            "composite" => json!({"sources": [{"a": {"terms": {"field": "f"}}}]}),
            "filter" => json!({"match_all": {}}),
            "filters" => json!({"filters": {"a": {"match_all": {}}}}),
            "nested" => json!({"path": "f"}),
            "top_hits" => json!({}),
            "top_metrics" => json!({"metrics": {"field": "f"}, "sort": {"g": "asc"}}),
            "multi_terms" => json!({"terms": [{"field": "f"}, {"field": "g"}]}),
            "weighted_avg" => json!({"value": {"field": "f"}, "weight": {"field": "g"}}),
            _ => json!({"field": "f"}),
        };
        let parsed = parse(&json!({"a": {*name: body}}));
        assert!(
            parsed.is_ok(),
            "{name}: {:?}",
            parsed.err().map(|e| e.reason())
        );
    }
}
