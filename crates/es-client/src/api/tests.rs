use serde_json::json;

use super::*;

fn search(body: serde_json::Value) -> SearchResponse {
    serde_json::from_value(body).expect("search response")
}

#[test]
fn hits_total_in_both_forms() {
    let check = |total: serde_json::Value, expected: Option<(u64, &str)>| {
        let r = search(
            json!({"took": 1, "timed_out": false, "hits": {"total": total, "max_score": null, "hits": []}}),
        );
        assert_eq!(
            r.hits.total.map(|t| (t.value, t.relation)),
            expected.map(|(v, r)| (v, r.to_owned()))
        );
    };
    check(
        json!({"value": 10000, "relation": "gte"}),
        Some((10000, "gte")),
    );
    check(json!({"value": 3, "relation": "eq"}), Some((3, "eq")));
    check(json!(42), Some((42, "eq")));
    check(json!(null), None);
    let r = search(json!({"hits": {"hits": []}}));
    assert_eq!(r.hits.total, None);
}

#[test]
fn hits_are_typed() {
    let r = search(
        json!({"took": 5, "timed_out": false, "_shards": {"total": 1},
        "hits": {"total": {"value": 1, "relation": "eq"}, "max_score": null, "hits": [
            {"_index": "python-logs", "_id": "a1", "_score": null,
             "_source": {"level": "ERROR", "user": "user3"}, "sort": [1767225600000i64]}
        ]}}),
    );
    assert_eq!(r.took, 5);
    let h = &r.hits.hits[0];
    assert_eq!(
        (h.index.as_str(), h.id.as_str(), h.score),
        ("python-logs", "a1", None)
    );
    assert_eq!(h.source["user"], "user3");
    assert_eq!(h.sort, [json!(1_767_225_600_000i64)]);
}

#[test]
fn aggregations_typed_and_raw() {
    let r = search(json!({"hits": {"hits": []}, "aggregations": {
        "per_user": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": [
            {"key": "user1", "doc_count": 7, "avg_duration": {"value": 1.5}},
            {"key": "user2", "doc_count": 3, "avg_duration": {"value": null}}
        ]},
        "over_time": {"buckets": [
            {"key_as_string": "2026-01-01T00:00:00.000Z", "key": 1767225600000i64, "doc_count": 4}
        ]},
        "avg_duration": {"value": 2.25},
        "empty_avg": {"value": null},
        "duration_stats": {"count": 2, "min": 1.0, "max": 3.5, "avg": 2.25, "sum": 4.5},
        "no_stats": {"count": 0, "min": null, "max": null, "avg": null, "sum": 0.0}
    }}));
    let a = &r.aggregations;
    let users = a.terms("per_user").expect("terms");
    assert_eq!(users.len(), 2);
    assert_eq!(
        (users[0].key.as_str(), users[0].doc_count),
        (Some("user1"), 7)
    );
    assert_eq!(users[0].sub.avg("avg_duration").expect("sub"), Some(1.5));
    assert_eq!(users[1].sub.avg("avg_duration").expect("sub"), None);
    let hist = a.date_histogram("over_time").expect("histogram");
    assert_eq!(hist[0].key.as_i64(), Some(1_767_225_600_000));
    assert_eq!(
        hist[0].key_as_string.as_deref(),
        Some("2026-01-01T00:00:00.000Z")
    );
    assert_eq!(a.avg("avg_duration").expect("avg"), Some(2.25));
    assert_eq!(a.avg("empty_avg").expect("avg"), None);
    let s = a.stats("duration_stats").expect("stats");
    assert_eq!(
        (s.count, s.min, s.max, s.avg, s.sum),
        (2, Some(1.0), Some(3.5), Some(2.25), 4.5)
    );
    assert_eq!(a.stats("no_stats").expect("stats").min, None);
    assert!(a.raw().contains_key("over_time"));
    // Clear errors for the wrong name or shape.
    let err = a.terms("nope").expect_err("missing");
    assert!(
        err.to_string().contains("no aggregation named `nope`"),
        "{err}"
    );
    let err = a.terms("avg_duration").expect_err("not a bucket agg");
    assert!(err.to_string().contains("has no `buckets`"), "{err}");
}

#[test]
fn status_errors_carry_es_error() {
    let check = |status: u16, body: &str, kind: Option<&str>, reason: Option<&str>| {
        let req = Request::new(Method::PUT, "/python-logs");
        let resp = Response {
            status,
            headers: http::HeaderMap::new(),
            body: Bytes::from(body.to_owned()),
        };
        let e = status_error(&req, &resp);
        assert_eq!(
            (e.status(), e.error_type(), e.reason()),
            (Some(status), kind, reason)
        );
        e
    };
    let e = check(
        400,
        r#"{"error":{"root_cause":[{"type":"resource_already_exists_exception","reason":"index [python-logs/abc] already exists"}],"type":"resource_already_exists_exception","reason":"index [python-logs/abc] already exists","index":"python-logs"},"status":400}"#,
        Some("resource_already_exists_exception"),
        Some("index [python-logs/abc] already exists"),
    );
    assert!(e.is_already_exists() && !e.is_retryable());
    assert_eq!(
        e.to_string(),
        "PUT /python-logs returned 400: resource_already_exists_exception: index [python-logs/abc] already exists"
    );
    let e = check(
        404,
        r#"{"error":{"type":"index_not_found_exception","reason":"no such index [x]"},"status":404}"#,
        Some("index_not_found_exception"),
        Some("no such index [x]"),
    );
    assert!(e.is_not_found());
    let e = check(
        409,
        r#"{"error":{"type":"version_conflict_engine_exception","reason":"[1]: version conflict"},"status":409}"#,
        Some("version_conflict_engine_exception"),
        Some("[1]: version conflict"),
    );
    assert!(e.is_conflict());
    assert!(check(429, "{}", None, None).is_retryable());
    assert!(check(503, "not json", None, None).is_retryable());
    // A shard failure: the cause is named, not an empty reason.
    check(
        400,
        r#"{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"Text fields are not optimised"}],"type":"search_phase_execution_exception","reason":"all shards failed","phase":"query","failed_shards":[{"shard":0,"index":"x","reason":{"type":"illegal_argument_exception","reason":"Text fields are not optimised"}}]},"status":400}"#,
        Some("search_phase_execution_exception"),
        Some("all shards failed: illegal_argument_exception: Text fields are not optimised"),
    );
    check(
        400,
        r#"{"error":{"root_cause":[],"type":"search_phase_execution_exception","reason":"","caused_by":{"type":"too_many_buckets_exception","reason":"Trying to create too many buckets"}},"status":400}"#,
        Some("search_phase_execution_exception"),
        Some("too_many_buckets_exception: Trying to create too many buckets"),
    );
    check(
        400,
        r#"{"error":"old style message","status":400}"#,
        None,
        Some("old style message"),
    );
}

#[test]
fn path_segments_are_escaped() {
    for (input, expected) in [
        ("python-logs-2026.01.01", "python-logs-2026.01.01"),
        ("python-logs-*", "python-logs-*"),
        ("a,b", "a,b"),
        ("id with space/slash", "id%20with%20space%2Fslash"),
        ("ü", "%C3%BC"),
    ] {
        assert_eq!(seg(input), expected);
    }
}

#[test]
fn cat_indices_rows_parse_strings_as_numbers() {
    let rows: Vec<CatIndex> = serde_json::from_value(json!([
        {"health": "yellow", "status": "open", "index": "python-logs", "uuid": "u", "pri": "1", "rep": "1", "docs.count": "50", "docs.deleted": "0", "store.size": "12345", "pri.store.size": "12345"},
        {"health": "green", "status": "open", "index": "empty", "docs.count": null, "store.size": null}
    ]))
    .expect("rows");
    assert_eq!(
        (rows[0].docs_count, rows[0].store_size),
        (Some(50), Some(12345))
    );
    assert_eq!((rows[1].docs_count, rows[1].store_size), (None, None));
}
