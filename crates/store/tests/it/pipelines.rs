//! Parent pipeline aggregations held to known answers, worked out by hand from six days of
//! sales (the fourth empty) with Elasticsearch's rules: gaps skipped, zeroed or kept, windows
//! of valid values only, Painless's integer arithmetic. The integration-test Elasticsearch has
//! neither its `aggregations` module nor Painless, so `es_diff` cannot compare these; the
//! non-script answers were also compared once with OpenSearch 2.19 (which keeps them in its
//! core) and agreed.

use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{es_error, json, ndjson, ok};

/// Day of March 2026, price, quantity, category: six days, the fourth empty; prices with
/// fractions so sums are not round (`es_diff::pipeline_aggregations_agree` loads them too).
pub(crate) const ROWS: [(u32, f64, i64, &str); 11] = [
    (1, 10.5, 1, "a"),
    (1, 20.25, 2, "b"),
    (2, 7.0, 3, "a"),
    (3, 30.0, 1, "c"),
    (3, 12.75, 5, "a"),
    (3, 1.0, 2, "b"),
    (5, 50.0, 4, "c"),
    (6, 3.5, 1, "a"),
    (6, 8.0, 2, "d"),
    (6, 9.25, 3, "d"),
    (6, 100.0, 7, "b"),
];

fn load(a: SocketAddr) {
    let r = json(
        a,
        "PUT",
        "/sales",
        Some(
            &json!({"mappings": {"properties": {"@timestamp": {"type": "date"},
            "price": {"type": "double"}, "qty": {"type": "long"}, "cat": {"type": "keyword"}}}}),
        ),
    );
    ok(&r);
    let mut bulk = String::new();
    for (day, price, qty, cat) in ROWS {
        let doc = json!({"@timestamp": format!("2026-03-0{day}T12:00:00Z"), "price": price,
            "qty": qty, "cat": cat});
        bulk.push_str(&format!("{{\"index\":{{}}}}\n{doc}\n"));
    }
    let r = ok(&ndjson(a, "/sales/_bulk?refresh=true", &bulk));
    assert_eq!(r["errors"], false, "{r}");
}

fn aggs(a: SocketAddr, aggs: Value) -> Value {
    let mut body = json!({"size": 0});
    body["aggs"] = aggs;
    let r = json(a, "POST", "/sales/_search", Some(&body));
    ok(&r)["aggregations"].clone()
}

/// Per day, the value `name` holds in the daily histogram's buckets (`None`: no entry, `NaN`:
/// `{"value": null}`).
fn per_day(h: &Value, name: &str) -> Vec<Option<f64>> {
    h["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.get(name).map(|v| v["value"].as_f64().unwrap_or(f64::NAN)))
        .collect()
}

fn same(got: &[Option<f64>], want: &[Option<f64>]) -> bool {
    got.len() == want.len()
        && got.iter().zip(want).all(|(g, w)| match (g, w) {
            (None, None) => true,
            (Some(g), Some(w)) => (g.is_nan() && w.is_nan()) || (g - w).abs() < 1e-9,
            _ => false,
        })
}

#[track_caller]
fn assert_days(h: &Value, name: &str, want: &[Option<f64>]) {
    let got = per_day(h, name);
    assert!(same(&got, want), "{name}: {got:?}, expected {want:?}");
}

const NAN: Option<f64> = Some(f64::NAN);

fn daily(subs: Value) -> Value {
    let mut h = json!({"date_histogram": {"field": "@timestamp", "calendar_interval": "day"}});
    h["aggs"] = subs;
    json!({ "h": h })
}

#[test]
fn derivatives_sums_and_differences() {
    let t = TestServer::start();
    load(t.addr());
    // daily price sums: 30.75, 7, 43.75, (empty), 50, 120.75; counts 2, 1, 3, 0, 1, 4
    let r = aggs(
        t.addr(),
        daily(json!({"s": {"sum": {"field": "price"}},
            "d": {"derivative": {"buckets_path": "s"}},
            "dz": {"derivative": {"buckets_path": "s", "gap_policy": "insert_zeros"}},
            "dk": {"derivative": {"buckets_path": "s", "gap_policy": "keep_values"}},
            "dc": {"derivative": {"buckets_path": "_count", "unit": "1h"}},
            "dd": {"derivative": {"buckets_path": "d"}},
            "cs": {"cumulative_sum": {"buckets_path": "s"}},
            "sd": {"serial_diff": {"buckets_path": "s", "lag": 2}}})),
    );
    let h = &r["h"];
    // skip: the empty day's sum is a gap, so both differences touching it have no value
    assert_days(
        h,
        "d",
        &[None, Some(-23.75), Some(36.75), NAN, NAN, Some(70.75)],
    );
    // insert_zeros: the empty day counts as 0
    assert_days(
        h,
        "dz",
        &[
            None,
            Some(-23.75),
            Some(36.75),
            Some(-43.75),
            Some(50.0),
            Some(70.75),
        ],
    );
    // keep_values: the empty day's sum is 0.0, a value, so it is kept
    assert_days(
        h,
        "dk",
        &[
            None,
            Some(-23.75),
            Some(36.75),
            Some(-43.75),
            Some(50.0),
            Some(70.75),
        ],
    );
    // of a derivative: none where the first had no entry, null across its nulls
    assert_days(h, "dd", &[None, None, Some(60.5), NAN, NAN, NAN]);
    assert_days(
        h,
        "cs",
        &[
            Some(30.75),
            Some(37.75),
            Some(81.5),
            Some(81.5),
            Some(131.5),
            Some(252.25),
        ],
    );
    // lag 2: day 3 − day 1 = 13, day 5 − day 3 = 6.25; the empty day has none, and day 6
    // would subtract it
    assert_days(h, "sd", &[None, None, Some(13.0), None, Some(6.25), None]);
    // a count is never a gap; per hour of the 24-hour buckets
    assert_days(
        h,
        "dc",
        &[
            None,
            Some(-1.0),
            Some(2.0),
            Some(-3.0),
            Some(1.0),
            Some(3.0),
        ],
    );
    let normalized: Vec<f64> = h["buckets"].as_array().unwrap()[1..]
        .iter()
        .map(|b| b["dc"]["normalized_value"].as_f64().unwrap())
        .collect();
    assert_eq!(
        normalized,
        [-1.0 / 24.0, 2.0 / 24.0, -3.0 / 24.0, 1.0 / 24.0, 3.0 / 24.0]
    );
}

#[test]
fn moving_functions_over_windows_of_valid_values() {
    let t = TestServer::start();
    load(t.addr());
    // daily average prices: 15.375, 7, 14.5833…, (none), 50, 30.1875
    let avg = [15.375, 7.0, 43.75 / 3.0, 50.0, 30.1875];
    let r = aggs(
        t.addr(),
        daily(json!({"a": {"avg": {"field": "price"}},
            "m": {"moving_fn": {"buckets_path": "a", "window": 3,
                "script": "MovingFunctions.unweightedAvg(values)"}},
            "ahead": {"moving_fn": {"buckets_path": "a", "window": 2, "shift": 1,
                "script": "MovingFunctions.max(values)"}},
            "n": {"moving_fn": {"buckets_path": "_count", "window": 2,
                "script": {"source": "MovingFunctions.sum(values) * params.k", "params": {"k": 10}}}}})),
    );
    let h = &r["h"];
    // the window ends before the bucket and holds only valid values; the empty day gets none
    assert_days(
        h,
        "m",
        &[
            NAN,
            Some(avg[0]),
            Some((avg[0] + avg[1]) / 2.0),
            None,
            Some((avg[0] + avg[1] + avg[2]) / 3.0),
            Some((avg[1] + avg[2] + avg[3]) / 3.0),
        ],
    );
    // shifted by one: the window includes the bucket itself
    assert_days(
        h,
        "ahead",
        &[
            Some(avg[0]),
            Some(avg[0]),
            Some(avg[2]),
            None,
            Some(avg[3]),
            Some(avg[3]),
        ],
    );
    // counts are values every day (the empty one too): sums of the two before, × 10
    assert_days(
        h,
        "n",
        &[
            Some(0.0),
            Some(20.0),
            Some(30.0),
            Some(40.0),
            Some(30.0),
            Some(10.0),
        ],
    );
}

#[test]
fn bucket_scripts_selectors_and_sorts() {
    let t = TestServer::start();
    load(t.addr());
    let r = aggs(
        t.addr(),
        daily(
            json!({"s": {"sum": {"field": "price"}}, "q": {"sum": {"field": "qty"}},
            "per": {"bucket_script": {"buckets_path": {"s": "s", "n": "_count"},
                "script": "params.s / params.n"}},
            "int": {"bucket_script": {"buckets_path": {"n": "_count"}, "script": "7 / 2 + params.n"}},
            "big": {"bucket_selector": {"buckets_path": {"s": "s"}, "script": "params.s > 20"}}}),
        ),
    );
    let h = &r["h"];
    // the empty day is a gap for `s` (skipped: kept, no value) but not for `_count`
    assert_days(
        h,
        "per",
        &[
            Some(15.375),
            Some(43.75 / 3.0),
            None,
            Some(50.0),
            Some(30.1875),
        ],
    );
    // 7 / 2 is Java's integer division
    assert_days(
        h,
        "int",
        &[Some(5.0), Some(6.0), Some(3.0), Some(4.0), Some(7.0)],
    );
    let days: Vec<&str> = h["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["key_as_string"].as_str().unwrap())
        .collect();
    // day 2 (7.0) dropped; the empty day kept, its sum being a skipped gap
    assert_eq!(
        days,
        [
            "2026-03-01T00:00:00.000Z",
            "2026-03-03T00:00:00.000Z",
            "2026-03-04T00:00:00.000Z",
            "2026-03-05T00:00:00.000Z",
            "2026-03-06T00:00:00.000Z"
        ]
    );

    let r = aggs(
        t.addr(),
        json!({"t": {"terms": {"field": "cat"}, "aggs": {"a": {"avg": {"field": "price"}},
            "by_avg": {"bucket_sort": {"sort": [{"a": {"order": "desc"}}], "from": 1, "size": 2}}}}}),
    );
    // averages: a 8.4375, b 40.4166…, c 40, d 8.625 → b, c, d, a; from 1, two
    let keys: Vec<&str> = r["t"]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["c", "d"]);
}

#[test]
fn misplaced_and_malformed_pipelines_are_refused_as_elasticsearch_does() {
    let t = TestServer::start();
    load(t.addr());
    let post = |aggs: Value| {
        json(
            t.addr(),
            "POST",
            "/sales/_search",
            Some(&json!({"size": 0, "aggs": aggs})),
        )
    };
    let r = post(json!({"d": {"derivative": {"buckets_path": "_count"}}}));
    let reason = es_error(&r, 400, "action_request_validation_exception");
    assert!(
        reason.contains("must have a histogram, date_histogram or auto_date_histogram as parent"),
        "{reason}"
    );
    let r = post(json!({"t": {"terms": {"field": "cat"},
        "aggs": {"c": {"cumulative_sum": {"buckets_path": "_count"}}}}}));
    es_error(&r, 400, "action_request_validation_exception");
    let r = post(
        json!({"h": {"date_histogram": {"field": "@timestamp", "calendar_interval": "day",
        "min_doc_count": 1}, "aggs": {"c": {"cumulative_sum": {"buckets_path": "_count"}}}}}),
    );
    let reason = es_error(&r, 400, "action_request_validation_exception");
    assert!(reason.contains("must have min_doc_count of 0"), "{reason}");
    let r = post(daily(
        json!({"d": {"derivative": {"buckets_path": "nope"}}}),
    ));
    let reason = es_error(&r, 400, "action_request_validation_exception");
    assert!(
        reason.contains("No aggregation found for path [nope]"),
        "{reason}"
    );
    let r = post(daily(json!({"st": {"stats": {"field": "qty"}},
        "d": {"derivative": {"buckets_path": "st"}}})));
    let body = r.json();
    assert_eq!(r.status, 400, "{body}");
    assert!(
        body.to_string()
            .contains("but [st] contains multiple values"),
        "{body}"
    );
    let r = post(daily(
        json!({"d": {"derivative": {"buckets_path": "_count"},
        "aggs": {"x": {"max": {"field": "qty"}}}}}),
    ));
    let reason = es_error(&r, 400, "illegal_argument_exception");
    assert_eq!(reason, "Aggregation [d] cannot define sub-aggregations");
    let r = post(daily(
        json!({"m": {"moving_fn": {"buckets_path": "_count", "window": 2,
        "script": "doc['qty'].value"}}}),
    ));
    let body = r.json();
    assert_eq!(body["error"]["type"], "script_exception", "{body}");
    assert!(body.to_string().contains("[doc]"), "{body}");
    let r = post(daily(
        json!({"p": {"percentiles_bucket": {"buckets_path": "_count"}}}),
    ));
    let reason = es_error(&r, 400, "illegal_argument_exception");
    assert!(
        reason.contains("[percentiles_bucket] is not supported by sluice-store"),
        "{reason}"
    );
}
