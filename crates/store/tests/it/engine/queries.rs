//! Every query type, data-driven: `check(query, expected ids)` over a small fixed corpus.

use serde_json::{Value, json};
use store::{OpType, Refresh, SearchParams, Store, StoreConfig, WriteOp};

fn corpus() -> (tempfile::TempDir, std::sync::Arc<Store>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut c = StoreConfig::new(dir.path()).disk_threshold(false);
    c.refresh_interval = None;
    let store = Store::open(c).unwrap_or_else(|e| panic!("{e}"));
    let now = chrono::Utc::now().timestamp_millis();
    let docs = [
        (
            "1",
            json!({"user": "alice", "level": "INFO", "message": "User logged in quickly", "duration": 0.5, "n": 1, "ok": true, "ts": now - 30 * 60_000}),
        ),
        (
            "2",
            json!({"user": "bob", "level": "ERROR", "message": "Payment failed for order", "duration": 2.5, "n": 2, "ok": false, "ts": now - 3 * 3_600_000}),
        ),
        (
            "3",
            json!({"user": "carol", "level": "WARNING", "message": "Search was slow today", "duration": 4.0, "n": 3, "ts": now - 2 * 86_400_000}),
        ),
        (
            "4",
            json!({"user": "alice", "level": "ERROR", "message": "order failed again", "n": 4, "extra": {"code": "E42"}, "ts": now - 60_000}),
        ),
    ];
    store
        .create_index("q", Some(&json!({"mappings": {"properties": {
            "user": {"type": "keyword"}, "level": {"type": "keyword"}, "message": {"type": "text"},
            "duration": {"type": "float"}, "n": {"type": "integer"}, "ok": {"type": "boolean"}, "ts": {"type": "date"}}}})))
        .unwrap_or_else(|e| panic!("{e}"));
    let ops = docs
        .iter()
        .map(|(id, d)| {
            WriteOp::new(
                OpType::Index,
                "q".into(),
                Some((*id).into()),
                Some(serde_json::to_vec(d).unwrap_or_default().into()),
            )
        })
        .collect();
    let r = store
        .bulk(ops, Refresh::True)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!r.errors, "{}", r.to_json());
    (dir, store)
}

fn ids(store: &Store, body: &Value, params: &SearchParams) -> Vec<String> {
    let r = store
        .search("q", Some(body), params)
        .unwrap_or_else(|e| panic!("{body}: {}", e.to_es_body()));
    let mut v: Vec<String> = r["hits"]["hits"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|h| h["_id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn every_query_type() {
    let (_dir, store) = corpus();
    let p = SearchParams::default();
    let check = |q: Value, want: &[&str]| {
        let got = ids(&store, &json!({"query": q}), &p);
        assert_eq!(got, want, "{q}");
    };
    check(json!({"match_all": {}}), &["1", "2", "3", "4"]);
    check(json!({"match_none": {}}), &[]);
    check(json!({"match": {"message": "FAILED order"}}), &["2", "4"]);
    check(
        json!({"match": {"message": {"query": "failed payment", "operator": "and"}}}),
        &["2"],
    );
    check(
        json!({"match": {"message": {"query": "failed payment slow", "minimum_should_match": 2}}}),
        &["2"],
    );
    check(json!({"match": {"user": "alice"}}), &["1", "4"]);
    check(
        json!({"match_phrase": {"message": "failed for order"}}),
        &["2"],
    );
    check(json!({"match_phrase": {"message": "order failed"}}), &["4"]);
    // keyword fields take the whole text as one term, as in ES
    check(
        json!({"multi_match": {"query": "alice slow", "fields": ["user", "message"]}}),
        &["3"],
    );
    check(
        json!({"multi_match": {"query": "alice", "fields": ["user", "mess*"]}}),
        &["1", "4"],
    );
    check(
        json!({"multi_match": {"query": "failed order", "fields": ["message"], "type": "phrase"}}),
        &[],
    );
    check(json!({"term": {"level": "ERROR"}}), &["2", "4"]);
    check(json!({"term": {"level": "error"}}), &[]);
    check(
        json!({"term": {"level": {"value": "error", "case_insensitive": true}}}),
        &["2", "4"],
    );
    check(json!({"term": {"n": 3}}), &["3"]);
    check(json!({"term": {"ok": true}}), &["1"]);
    // numbers, dates and booleans are matched on their fast columns
    check(json!({"term": {"ok": "false"}}), &["2"]);
    check(json!({"terms": {"ok": [true, false]}}), &["1", "2"]);
    check(json!({"term": {"duration": 2.5}}), &["2"]);
    check(json!({"term": {"duration": "4"}}), &["3"]);
    check(json!({"terms": {"n": [1, 4, 9]}}), &["1", "4"]);
    check(json!({"term": {"n": 2.5}}), &[]);
    check(json!({"match": {"n": "2"}}), &["2"]);
    check(
        json!({"bool": {"must_not": {"term": {"n": 1}}}}),
        &["2", "3", "4"],
    );
    check(
        json!({"query_string": {"query": "n:4 OR duration:0.5"}}),
        &["1", "4"],
    );
    check(json!({"terms": {"user": ["bob", "carol"]}}), &["2", "3"]);
    check(
        json!({"range": {"duration": {"gt": 0.5, "lte": 4.0}}}),
        &["2", "3"],
    );
    check(json!({"range": {"n": {"gte": 2, "lt": 4}}}), &["2", "3"]);
    check(json!({"range": {"ts": {"gte": "now-1h"}}}), &["1", "4"]);
    check(json!({"range": {"ts": {"lt": "now-1d/d"}}}), &["3"]);
    check(json!({"range": {"user": {"gte": "b", "lt": "c"}}}), &["2"]);
    check(json!({"exists": {"field": "duration"}}), &["1", "2", "3"]);
    check(json!({"exists": {"field": "extra"}}), &["4"]);
    check(
        json!({"exists": {"field": "message"}}),
        &["1", "2", "3", "4"],
    );
    check(json!({"prefix": {"user": "ca"}}), &["3"]);
    check(json!({"prefix": {"message": "pay"}}), &["2"]);
    check(json!({"wildcard": {"user": "*l*e"}}), &["1", "4"]);
    check(
        json!({"wildcard": {"user": {"value": "B?B", "case_insensitive": true}}}),
        &["2"],
    );
    check(json!({"ids": {"values": ["1", "3", "9"]}}), &["1", "3"]);
    check(
        json!({"bool": {"must": [{"term": {"user": "alice"}}], "must_not": [{"term": {"level": "ERROR"}}]}}),
        &["1"],
    );
    check(
        json!({"bool": {"filter": {"term": {"level": "ERROR"}}, "should": [{"term": {"user": "bob"}}]}}),
        &["2", "4"],
    );
    check(
        json!({"bool": {"should": [{"term": {"user": "bob"}}, {"term": {"level": "ERROR"}}], "minimum_should_match": 2}}),
        &["2"],
    );
    check(
        json!({"bool": {"must_not": {"exists": {"field": "duration"}}}}),
        &["4"],
    );
    check(
        json!({"constant_score": {"filter": {"term": {"user": "carol"}}}}),
        &["3"],
    );
    check(
        json!({"query_string": {"query": "level:ERROR AND user:alice"}}),
        &["4"],
    );
    check(
        json!({"query_string": {"query": "failed -bob"}}),
        &["2", "4"],
    );
    check(
        json!({"query_string": {"query": "user:(bob OR carol)"}}),
        &["2", "3"],
    );
    check(
        json!({"query_string": {"query": "duration:[1 TO 4] AND NOT level:WARNING"}}),
        &["2"],
    );
    check(json!({"query_string": {"query": "n:>=3"}}), &["3", "4"]);
    check(
        json!({"query_string": {"query": "\"payment failed\""}}),
        &["2"],
    );
    check(json!({"query_string": {"query": "user:ali*"}}), &["1", "4"]);
    check(json!({"query_string": {"query": "_exists_:extra"}}), &["4"]);
    check(json!({"term": {"nope": "x"}}), &[]);
}

#[test]
fn q_param_sort_source_and_totals() {
    let (_dir, store) = corpus();
    let p = SearchParams {
        q: Some("level:ERROR".into()),
        ..SearchParams::default()
    };
    assert_eq!(ids(&store, &json!({}), &p), vec!["2", "4"]);

    let r = store
        .search("q", Some(&json!({"sort": [{"n": "desc"}], "size": 2, "from": 1, "_source": ["user", "extra.*"]})), &SearchParams::default())
        .unwrap_or_else(|e| panic!("{}", e.to_es_body()));
    let hits = r["hits"]["hits"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        hits.iter().map(|h| h["_id"].clone()).collect::<Vec<_>>(),
        vec![json!("3"), json!("2")]
    );
    assert_eq!(hits[0]["sort"], json!([3]));
    assert_eq!(hits[0]["_score"], Value::Null);
    assert_eq!(hits[0]["_source"], json!({"user": "carol"}));
    assert_eq!(r["hits"]["total"], json!({"value": 4, "relation": "eq"}));

    let r = store
        .search("q", Some(&json!({"sort": ["user", {"duration": {"order": "asc"}}], "_source": false, "track_total_hits": 2})), &SearchParams::default())
        .unwrap_or_else(|e| panic!("{}", e.to_es_body()));
    let order: Vec<Value> = r["hits"]["hits"]
        .as_array()
        .map(|a| a.iter().map(|h| h["_id"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(order, vec![json!("1"), json!("4"), json!("2"), json!("3")]);
    assert_eq!(r["hits"]["total"], json!({"value": 2, "relation": "gte"}));
    assert!(r["hits"]["hits"][0].get("_source").is_none());

    let c = store
        .count(
            "q",
            Some(&json!({"query": {"term": {"user": "alice"}}})),
            &SearchParams::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c["count"], 2);
}

#[test]
fn aggregation_shapes() {
    let (_dir, store) = corpus();
    let r = store
        .search("q", Some(&json!({"size": 0, "aggs": {
            "st": {"stats": {"field": "n"}},
            "vc": {"value_count": {"field": "user"}},
            "card": {"cardinality": {"field": "user"}},
            "mx": {"max": {"field": "duration"}},
            "pct": {"percentiles": {"field": "n", "percents": [50]}},
            "h": {"histogram": {"field": "n", "interval": 2}},
            "r": {"range": {"field": "duration", "ranges": [{"to": 1}, {"from": 1, "to": 3}, {"from": 3}]}},
            "f": {"filter": {"term": {"level": "ERROR"}}, "aggs": {"u": {"terms": {"field": "user"}}}},
            "fs": {"filters": {"filters": {"err": {"term": {"level": "ERROR"}}, "info": {"term": {"level": "INFO"}}}}},
            "lv": {"terms": {"field": "level", "order": {"_key": "asc"}, "size": 2}},
            "ok": {"terms": {"field": "ok"}},
            "by_avg": {"terms": {"field": "user", "order": {"a": "desc"}}, "aggs": {"a": {"avg": {"field": "n"}}}},
        }})), &SearchParams::default())
        .unwrap_or_else(|e| panic!("{}", e.to_es_body()));
    let a = &r["aggregations"];
    assert_eq!(
        a["st"],
        json!({"count": 4, "min": 1.0, "max": 4.0, "avg": 2.5, "sum": 10.0})
    );
    assert_eq!(a["vc"]["value"], 4);
    assert_eq!(a["card"]["value"], 3);
    assert_eq!(a["mx"]["value"], 4.0);
    assert_eq!(a["pct"]["values"], json!({"50.0": 2.5}));
    assert_eq!(
        a["h"]["buckets"],
        json!([{"key": 0.0, "doc_count": 1}, {"key": 2.0, "doc_count": 2}, {"key": 4.0, "doc_count": 1}])
    );
    assert_eq!(
        a["r"]["buckets"],
        json!([
        {"key": "*-1.0", "to": 1.0, "doc_count": 1},
        {"key": "1.0-3.0", "from": 1.0, "to": 3.0, "doc_count": 1},
        {"key": "3.0-*", "from": 3.0, "doc_count": 1}])
    );
    assert_eq!(a["f"]["doc_count"], 2);
    assert_eq!(a["f"]["u"]["buckets"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        a["fs"]["buckets"],
        json!({"err": {"doc_count": 2}, "info": {"doc_count": 1}})
    );
    assert_eq!(
        a["lv"],
        json!({"doc_count_error_upper_bound": 0, "sum_other_doc_count": 1, "buckets": [
        {"key": "ERROR", "doc_count": 2}, {"key": "INFO", "doc_count": 1}]})
    );
    assert_eq!(
        a["ok"]["buckets"],
        json!([{"key": 0, "key_as_string": "false", "doc_count": 1}, {"key": 1, "key_as_string": "true", "doc_count": 1}])
    );
    assert_eq!(a["by_avg"]["buckets"][0]["key"], "carol");
}

/// `exists` reads fast columns for keyword, numeric, date and boolean values and `_fields`
/// terms for text; a field with neither `index` nor `doc_values` does not exist (as in ES).
/// Documents spread over several segments.
#[test]
fn exists_finds_every_kind_of_field() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut c = StoreConfig::new(dir.path()).disk_threshold(false);
    c.refresh_interval = None;
    let store = Store::open(c).unwrap_or_else(|e| panic!("{e}"));
    store
        .create_index("e", Some(&json!({"mappings": {"properties": {
            "kw": {"type": "keyword", "ignore_above": 3}, "txt": {"type": "text"},
            "num": {"type": "long"}, "f": {"type": "double"}, "ok": {"type": "boolean"},
            "ts": {"type": "date"}, "hidden": {"type": "keyword", "index": false, "doc_values": false},
            "nv": {"type": "keyword", "null_value": "NULL"}}}})))
        .unwrap_or_else(|e| panic!("{e}"));
    let docs = [
        (
            "1",
            json!({"kw": "abc", "txt": "some words", "num": 1, "ok": false}),
        ),
        (
            "2",
            json!({"kw": "too long", "f": 0.0, "ts": "2024-01-02", "hidden": "x"}),
        ),
        (
            "3",
            json!({"nv": null, "dyn": "dynamic string", "obj": {"inner": 5}}),
        ),
        (
            "4",
            json!({"kw": ["toolong", "ab"], "txt": "", "nv": "v", "num": [], "ok": null}),
        ),
    ];
    // one segment per document
    for (id, d) in docs {
        let op = WriteOp::new(
            OpType::Index,
            "e".into(),
            Some(id.into()),
            Some(serde_json::to_vec(&d).unwrap_or_default().into()),
        );
        let r = store
            .bulk(vec![op], Refresh::True)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!r.errors, "{}", r.to_json());
    }
    let p = SearchParams::default();
    let check = |field: &str, want: &[&str]| {
        let q = json!({"query": {"exists": {"field": field}}});
        let r = store
            .search("e", Some(&q), &p)
            .unwrap_or_else(|e| panic!("{q}: {}", e.to_es_body()));
        let mut got: Vec<String> = r["hits"]["hits"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|h| h["_id"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        got.sort();
        assert_eq!(got, want, "exists {field}");
    };
    check("kw", &["1", "4"]);
    check("txt", &["1", "4"]);
    check("num", &["1"]);
    check("f", &["2"]);
    check("ok", &["1"]);
    check("ts", &["2"]);
    check("hidden", &[]);
    check("nv", &["3", "4"]);
    check("dyn", &["3"]);
    check("dyn.keyword", &["3"]);
    check("obj", &["3"]);
    check("obj.inner", &["3"]);
    check("missing", &[]);
    // a date `term` reads the column too
    for (q, want) in [
        (json!({"term": {"ts": "2024-01-02"}}), 1),
        (json!({"term": {"ts": "2024-01-02T00:00:00Z"}}), 1),
        (json!({"term": {"ts": "2024-01-03"}}), 0),
        (json!({"term": {"f": 0}}), 1),
    ] {
        let r = store
            .search("e", Some(&json!({"query": q})), &p)
            .unwrap_or_else(|e| panic!("{q}: {}", e.to_es_body()));
        assert_eq!(r["hits"]["total"]["value"], want, "{q}");
    }
}
