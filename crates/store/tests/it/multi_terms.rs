//! `multi_terms` held to answers worked out by hand with Elasticsearch's rules (its x-pack
//! `analytics` plugin, which the integration-test Elasticsearch does not have, so `es_diff`
//! cannot compare it): one bucket per combination of the terms' values (the product of
//! multi-valued fields, each document counted once per combination), a document without a value
//! for a term left out unless that term has `missing`; keys as lists (dates formatted, booleans as
//! booleans) and `key_as_string` joined by `|`; by count, largest first, then by key.

use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{es_error, json, ndjson, ok};

fn load(a: SocketAddr) {
    let r = json(
        a,
        "PUT",
        "/mt",
        Some(
            &json!({"mappings": {"properties": {"user": {"type": "keyword"},
            "level": {"type": "keyword"}, "code": {"type": "long"}, "ratio": {"type": "double"},
            "ok": {"type": "boolean"}, "day": {"type": "date"}, "ms": {"type": "long"}}}}),
        ),
    );
    ok(&r);
    let docs = [
        json!({"user": "ann", "level": "ERROR", "code": 500, "ratio": 1.5, "ok": false, "day": "2026-03-01", "ms": 10}),
        json!({"user": "ann", "level": "ERROR", "code": 500, "ratio": 1.5, "ok": false, "day": "2026-03-01", "ms": 30}),
        json!({"user": "ann", "level": "INFO", "code": 200, "ratio": 2.0, "ok": true, "day": "2026-03-02", "ms": 5}),
        json!({"user": "bob", "level": "ERROR", "code": 502, "ratio": 1.5, "ok": false, "day": "2026-03-02", "ms": 70}),
        json!({"user": "bob", "level": "INFO", "code": 200, "ratio": 2.0, "ok": true, "day": "2026-03-02", "ms": 1}),
        json!({"user": "bob", "level": "INFO", "code": 200, "ratio": 2.0, "ok": true, "day": "2026-03-03", "ms": 2}),
        // two levels: counted once in each combination
        json!({"user": "cy", "level": ["ERROR", "WARN"], "code": 500, "ratio": 0.5, "ok": false, "day": "2026-03-03", "ms": 40}),
        // no level: left out unless `missing`
        json!({"user": "cy", "code": 200, "ratio": 0.5, "ok": true, "day": "2026-03-03", "ms": 3}),
    ];
    let mut bulk = String::new();
    for d in docs {
        bulk.push_str(&format!("{{\"index\":{{}}}}\n{d}\n"));
    }
    let r = ok(&ndjson(a, "/mt/_bulk?refresh=true", &bulk));
    assert_eq!(r["errors"], false, "{r}");
}

fn agg(a: SocketAddr, body: &Value) -> Value {
    let r = json(
        a,
        "POST",
        "/mt/_search",
        Some(&json!({"size": 0, "aggs": {"m": body}})),
    );
    ok(&r)["aggregations"]["m"].clone()
}

/// `(key, key_as_string, doc_count)` of each bucket.
fn buckets(v: &Value) -> Vec<(Value, String, u64)> {
    v["buckets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| {
            (
                b["key"].clone(),
                b["key_as_string"].as_str().unwrap_or("?").to_owned(),
                b["doc_count"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn terms(fields: &[&str]) -> Value {
    Value::from(
        fields
            .iter()
            .map(|f| json!({"field": f}))
            .collect::<Vec<_>>(),
    )
}

#[test]
fn combinations_counts_keys_and_order() {
    let t = TestServer::start();
    load(t.addr());
    let r = agg(
        t.addr(),
        &json!({"multi_terms": {"terms": terms(&["user", "level"])}}),
    );
    assert_eq!(r["doc_count_error_upper_bound"], 0);
    assert_eq!(r["sum_other_doc_count"], 0);
    // by count, largest first, then by key (user, then level)
    assert_eq!(
        buckets(&r),
        vec![
            (json!(["ann", "ERROR"]), "ann|ERROR".into(), 2),
            (json!(["bob", "INFO"]), "bob|INFO".into(), 2),
            (json!(["ann", "INFO"]), "ann|INFO".into(), 1),
            (json!(["bob", "ERROR"]), "bob|ERROR".into(), 1),
            (json!(["cy", "ERROR"]), "cy|ERROR".into(), 1),
            (json!(["cy", "WARN"]), "cy|WARN".into(), 1),
        ]
    );
    // the bucket's fields in ES's order
    let first: Vec<&String> = r["buckets"][0]
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(first, ["key", "key_as_string", "doc_count"]);
    // size cuts, the rest is counted as other
    let r = agg(
        t.addr(),
        &json!({"multi_terms": {"terms": terms(&["user", "level"]), "size": 2}}),
    );
    assert_eq!(buckets(&r).len(), 2);
    assert_eq!(r["sum_other_doc_count"], 4);
    // min_doc_count
    let r = agg(
        t.addr(),
        &json!({"multi_terms": {"terms": terms(&["user", "level"]), "min_doc_count": 2}}),
    );
    assert_eq!(buckets(&r).len(), 2);
    // by key, descending; by count ascending (ties by key)
    let r = agg(
        t.addr(),
        &json!({"multi_terms": {"terms": terms(&["level", "user"]), "order": {"_key": "desc"}}}),
    );
    let keys: Vec<String> = buckets(&r).into_iter().map(|b| b.1).collect();
    assert_eq!(
        keys,
        [
            "WARN|cy",
            "INFO|bob",
            "INFO|ann",
            "ERROR|cy",
            "ERROR|bob",
            "ERROR|ann"
        ]
    );
    let r = agg(
        t.addr(),
        &json!({"multi_terms": {"terms": terms(&["level", "user"]), "order": {"_count": "asc"}, "size": 3}}),
    );
    let keys: Vec<String> = buckets(&r).into_iter().map(|b| b.1).collect();
    assert_eq!(keys, ["ERROR|bob", "ERROR|cy", "INFO|ann"]);
}

#[test]
fn missing_values_typed_keys_and_sub_aggregations() {
    let t = TestServer::start();
    load(t.addr());
    // the document without a level joins with `missing`
    let r = agg(
        t.addr(),
        &json!({"multi_terms": {"terms": [{"field": "user"}, {"field": "level", "missing": "NONE"}],
            "order": {"_key": "asc"}}}),
    );
    let keys: Vec<String> = buckets(&r).into_iter().map(|b| b.1).collect();
    assert_eq!(
        keys,
        [
            "ann|ERROR",
            "ann|INFO",
            "bob|ERROR",
            "bob|INFO",
            "cy|ERROR",
            "cy|NONE",
            "cy|WARN"
        ]
    );
    // numbers, doubles, booleans and dates: typed keys, Java's text in key_as_string
    let r = agg(
        t.addr(),
        &json!({"multi_terms": {"terms": terms(&["code", "ratio", "ok", "day"]), "size": 2}}),
    );
    assert_eq!(
        buckets(&r),
        vec![
            (
                json!([200, 2.0, true, "2026-03-02T00:00:00.000Z"]),
                "200|2.0|true|2026-03-02T00:00:00.000Z".into(),
                2
            ),
            (
                json!([500, 1.5, false, "2026-03-01T00:00:00.000Z"]),
                "500|1.5|false|2026-03-01T00:00:00.000Z".into(),
                2
            ),
        ]
    );
    // ordered by a sub-aggregation, which each bucket carries
    let r = agg(
        t.addr(),
        &json!({"multi_terms": {"terms": terms(&["user", "ok"]), "order": {"slowest": "desc"}},
            "aggs": {"slowest": {"max": {"field": "ms"}}}}),
    );
    let got: Vec<(String, f64)> = r["buckets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| {
            (
                b["key_as_string"].as_str().unwrap_or("?").to_owned(),
                b["slowest"]["value"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("bob|false".to_owned(), 70.0),
            ("cy|false".to_owned(), 40.0),
            ("ann|false".to_owned(), 30.0),
            ("ann|true".to_owned(), 5.0),
            ("cy|true".to_owned(), 3.0),
            ("bob|true".to_owned(), 2.0),
        ]
    );
    // show_term_doc_count_error adds the per-bucket figure
    let r = agg(
        t.addr(),
        &json!({"multi_terms": {"terms": terms(&["user", "level"]), "size": 1,
            "show_term_doc_count_error": true}}),
    );
    assert_eq!(r["buckets"][0]["doc_count_error_upper_bound"], 0);
}

#[test]
fn invalid_requests_are_refused_as_elasticsearch_words_them() {
    let t = TestServer::start();
    load(t.addr());
    let search = |body: &Value| {
        json(
            t.addr(),
            "POST",
            "/mt/_search",
            Some(&json!({"size": 0, "aggs": {"m": body}})),
        )
    };
    let reason = es_error(
        &search(&json!({"multi_terms": {"terms": terms(&["user"])}})),
        400,
        "illegal_argument_exception",
    );
    assert_eq!(
        reason,
        "The [terms] parameter in the aggregation [m] must be present and have at least 2 fields or scripts. For a single field user terms aggregation."
    );
    let reason = es_error(
        &search(&json!({"multi_terms": {"terms": [{"field": "user"}, {"script": "doc.x"}]}})),
        400,
        "illegal_argument_exception",
    );
    assert!(reason.contains("[script]"), "{reason}");
    let r =
        search(&json!({"multi_terms": {"terms": terms(&["user", "level"]), "min_doc_count": 0}}));
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text()
            .contains("[minDocCount] must be greater than or equal to 1. Found [0] in [m]")
    );
    let r = search(&json!({"multi_terms": {"terms": terms(&["user", "level"]), "colour": 1}}));
    es_error(&r, 400, "x_content_parse_exception");
    let r = search(
        &json!({"multi_terms": {"terms": terms(&["user", "level"]), "order": {"nope": "asc"}}}),
    );
    assert_eq!(r.status, 400, "{}", r.text());
}
