//! `top_hits` and `top_metrics` over HTTP on a small two-shard index: exact hits, sort values,
//! totals and metrics, at the top level and under bucket aggregations, and the refusals.

use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{es_error, hit_ids as ids, json, ndjson, ok};

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const MIN: i64 = 60_000;

/// `(id, user, minutes after T0, n)`; `f` has no `n`.
const DOCS: [(&str, &str, i64, Option<i64>); 6] = [
    ("a1", "ann", 1, Some(5)),
    ("a2", "ann", 3, Some(2)),
    ("a3", "ann", 2, Some(9)),
    ("b1", "bob", 5, Some(1)),
    ("b2", "bob", 4, Some(7)),
    ("c1", "cid", 61, None),
];

fn ts(min: i64) -> String {
    let secs = (T0 + min * MIN) / 1000;
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

fn setup() -> (TestServer, SocketAddr) {
    let t = TestServer::start();
    let a = t.addr();
    let r = json(
        a,
        "PUT",
        "/tops",
        Some(&json!({
            "settings": {"number_of_shards": 2},
            "mappings": {"properties": {
                "ts": {"type": "date"},
                "user": {"type": "keyword"},
                "n": {"type": "long"},
                "msg": {"type": "text"}
            }}
        })),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let mut body = String::new();
    for (id, user, min, n) in DOCS {
        let mut d = json!({"ts": ts(min), "user": user, "msg": format!("{user} fox {id}")});
        if let Some(n) = n {
            d["n"] = json!(n);
        }
        body.push_str(&format!("{{\"index\":{{\"_id\":\"{id}\"}}}}\n{d}\n"));
    }
    let r = ndjson(a, "/tops/_bulk?refresh=true", &body);
    assert_eq!(r.json()["errors"], false, "{}", r.text());
    (t, a)
}

fn search(a: SocketAddr, body: &Value) -> Value {
    ok(&json(a, "POST", "/tops/_search", Some(body)))
}

fn aggs(a: SocketAddr, aggs: &Value) -> Value {
    search(a, &json!({"size": 0, "aggs": aggs}))["aggregations"].clone()
}

#[test]
fn top_hits_under_terms_newest_first_with_source_filter_and_meta() {
    let (_t, a) = setup();
    let r = aggs(
        a,
        &json!({"u": {"terms": {"field": "user"}, "aggs": {"last": {
            "meta": {"why": "last value"},
            "top_hits": {"size": 2, "sort": [{"ts": {"order": "desc"}}], "_source": {"includes": ["n"]}}
        }}}}),
    );
    let b = &r["u"]["buckets"];
    assert_eq!(b[0]["key"], "ann");
    assert_eq!(
        b[0]["last"],
        json!({"meta": {"why": "last value"}, "hits": {
            "total": {"value": 3, "relation": "eq"},
            "max_score": null,
            "hits": [
                {"_index": "tops", "_id": "a2", "_score": null, "_source": {"n": 2}, "sort": [T0 + 3 * MIN]},
                {"_index": "tops", "_id": "a3", "_score": null, "_source": {"n": 9}, "sort": [T0 + 2 * MIN]}
            ]
        }})
    );
    assert_eq!(b[1]["key"], "bob");
    assert_eq!(ids(&b[1]["last"]), ["b1", "b2"]);
    assert_eq!(b[2]["key"], "cid");
    assert_eq!(ids(&b[2]["last"]), ["c1"]);
    assert_eq!(b[2]["last"]["hits"]["hits"][0]["_source"], json!({}));
}

#[test]
fn top_hits_defaults_from_and_missing_values() {
    let (_t, a) = setup();
    // defaults: three hits by score (all 1.0 under match_all), no sort values
    let r = aggs(a, &json!({"h": {"top_hits": {}}}));
    let h = &r["h"]["hits"];
    assert_eq!(h["total"], json!({"value": 6, "relation": "eq"}));
    assert_eq!(h["max_score"], json!(1.0));
    let hits = h["hits"].as_array().expect("hits");
    assert_eq!(hits.len(), 3);
    for x in hits {
        assert_eq!(x["_score"], json!(1.0), "{x}");
        assert!(x.get("sort").is_none(), "{x}");
        assert!(x["_source"]["user"].is_string(), "{x}");
    }
    // by a long field, missing last, skipping one
    let r = aggs(
        a,
        &json!({"h": {"top_hits": {"from": 1, "size": 10, "sort": ["n"], "_source": false}}}),
    );
    let h = &r["h"]["hits"];
    assert_eq!(ids(&r["h"]), ["a2", "a1", "b2", "a3", "c1"]);
    let sorts: Vec<&Value> = h["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|x| &x["sort"][0])
        .collect();
    assert_eq!(
        sorts,
        [&json!(2), &json!(5), &json!(7), &json!(9), &json!(i64::MAX)]
    );
    assert!(h["hits"][0].get("_source").is_none(), "{h}");
    // the same hits as the search API gives for the same sort
    let s = search(
        a,
        &json!({"from": 1, "size": 10, "sort": ["n"], "_source": false}),
    );
    assert_eq!(s["hits"]["hits"], h["hits"]);
}

#[test]
fn top_hits_by_score_match_the_search_hits() {
    let (_t, a) = setup();
    let q = json!({"bool": {"should": [{"match": {"msg": "fox"}}, {"match": {"msg": "ann"}},
        {"match": {"msg": "b2"}}]}});
    let s = search(a, &json!({"query": q, "size": 6}));
    let r = search(
        a,
        &json!({"query": q, "size": 0, "aggs": {"h": {"top_hits": {"size": 6}}}}),
    );
    let h = &r["aggregations"]["h"]["hits"];
    assert_eq!(h["hits"], s["hits"]["hits"]);
    assert_eq!(h["max_score"], s["hits"]["max_score"]);
    assert!(h["max_score"].as_f64().is_some_and(|m| m > 0.0), "{h}");
    // a field sort with track_scores: scores shown, max_score too
    let r = search(
        a,
        &json!({"query": q, "size": 0, "aggs": {"h": {"top_hits": {"size": 1,
            "sort": [{"ts": "asc"}], "track_scores": true}}}}),
    );
    let h = &r["aggregations"]["h"]["hits"];
    assert_eq!(ids(&r["aggregations"]["h"]), ["a1"]);
    assert_eq!(h["max_score"], s["hits"]["max_score"]);
    let a1 = s["hits"]["hits"]
        .as_array()
        .and_then(|v| v.iter().find(|x| x["_id"] == "a1"))
        .expect("a1");
    assert_eq!(h["hits"][0]["_score"], a1["_score"]);
}

#[test]
fn top_hits_under_date_histogram_range_and_filters() {
    let (_t, a) = setup();
    let r = aggs(
        a,
        &json!({
            "t": {"date_histogram": {"field": "ts", "fixed_interval": "1h",
                    "extended_bounds": {"min": T0, "max": T0 + 120 * MIN}},
                "aggs": {"last": {"top_hits": {"size": 1, "sort": [{"ts": "desc"}], "version": true,
                    "seq_no_primary_term": true}}}},
            "r": {"range": {"field": "n", "ranges": [{"to": 5}, {"from": 5}]},
                "aggs": {"low": {"top_hits": {"size": 1, "sort": [{"n": "asc"}], "_source": ["n"]}}}},
            "f": {"filters": {"filters": {"ann": {"term": {"user": "ann"}}}},
                "aggs": {"first": {"top_hits": {"size": 1, "sort": [{"ts": "asc"}], "_source": false}}}}
        }),
    );
    let b = &r["t"]["buckets"];
    assert_eq!(ids(&b[0]["last"]), ["b1"]);
    let hit = &b[0]["last"]["hits"]["hits"][0];
    assert_eq!(hit["_version"], 1, "{hit}");
    assert_eq!(hit["_primary_term"], 1, "{hit}");
    assert!(hit["_seq_no"].is_u64(), "{hit}");
    assert_eq!(ids(&b[1]["last"]), ["c1"]);
    assert_eq!(
        b[2]["last"],
        json!({"hits": {"total": {"value": 0, "relation": "eq"}, "max_score": null, "hits": []}})
    );
    assert_eq!(ids(&r["r"]["buckets"][0]["low"]), ["b1"]);
    assert_eq!(ids(&r["r"]["buckets"][1]["low"]), ["a1"]);
    assert_eq!(r["r"]["buckets"][1]["low"]["hits"]["total"]["value"], 3);
    assert_eq!(ids(&r["f"]["buckets"]["ann"]["first"]), ["a1"]);
    // a document written twice shows its second version
    let doc = json!({"ts": ts(5), "user": "bob", "n": 1});
    ok(&json(a, "PUT", "/tops/_doc/b1?refresh=true", Some(&doc)));
    let r = aggs(
        a,
        &json!({"h": {"top_hits": {"size": 1, "sort": [{"ts": "desc"}, {"n": "asc"}],
        "version": true}}}),
    );
    assert_eq!(ids(&r["h"]), ["c1"]);
    let r = aggs(
        a,
        &json!({"h": {"top_hits": {"size": 1, "sort": [{"n": "asc"}], "version": true}}}),
    );
    assert_eq!(ids(&r["h"]), ["b1"]);
    assert_eq!(r["h"]["hits"]["hits"][0]["_version"], 2);
}

#[test]
fn top_hits_refusals() {
    let (_t, a) = setup();
    let refuse = |aggs: Value| {
        json(
            a,
            "POST",
            "/tops/_search",
            Some(&json!({"size": 0, "aggs": aggs})),
        )
    };
    let r = refuse(json!({"h": {"top_hits": {"from": 95, "size": 6}}}));
    es_error(&r, 400, "search_phase_execution_exception");
    assert_eq!(
        r.json()["error"]["root_cause"][0]["reason"],
        "Top hits result window is too large, the top hits aggregator [h]'s from + size must be less than or equal to: [100] but was [101]. This limit can be set by changing the [index.max_inner_result_window] index level setting."
    );
    assert_eq!(
        r.json()["error"]["caused_by"]["type"],
        "illegal_argument_exception"
    );
    let reason = es_error(
        &refuse(json!({"h": {"top_hits": {}, "aggs": {"m": {"max": {"field": "n"}}}}})),
        400,
        "illegal_argument_exception",
    );
    assert_eq!(
        reason,
        "Aggregator [h] of type [top_hits] cannot accept sub-aggregations"
    );
    let reason = es_error(
        &refuse(json!({"h": {"top_hits": {"colour": "red"}}})),
        400,
        "parsing_exception",
    );
    assert_eq!(reason, "Unknown key for a VALUE_STRING in [colour].");
    for option in ["explain", "highlight", "script_fields"] {
        let mut body = json!({"h": {"top_hits": {}}});
        body["h"]["top_hits"][option] = json!({});
        let reason = es_error(&refuse(body), 400, "illegal_argument_exception");
        assert!(reason.contains(&format!("[{option}]")), "{reason}");
    }
    let reason = es_error(
        &refuse(json!({"h": {"top_hits": {"size": -1}}})),
        400,
        "illegal_argument_exception",
    );
    assert_eq!(
        reason,
        "[size] must be greater than or equal to 0. Found [-1] in [h]"
    );
}

#[test]
fn top_metrics_under_terms_and_at_the_top() {
    let (_t, a) = setup();
    let r = aggs(
        a,
        &json!({
            "u": {"terms": {"field": "user"}, "aggs": {"tm": {"meta": {"k": 1}, "top_metrics": {
                "metrics": [{"field": "n"}, {"field": "ts"}, {"field": "user"}],
                "sort": {"ts": "desc"}}}}},
            "low": {"top_metrics": {"metrics": {"field": "n"}, "sort": {"n": {"order": "asc"}}, "size": 3}},
            "by_n": {"terms": {"field": "user"}, "aggs": {"tm": {"top_metrics": {
                "metrics": {"field": "ts"}, "sort": {"n": "desc"}}}}}
        }),
    );
    assert_eq!(
        r["u"]["buckets"][0]["tm"],
        json!({"meta": {"k": 1}, "top": [{"sort": [ts(3)],
            "metrics": {"n": 2, "ts": ts(3), "user": "ann"}}]})
    );
    assert_eq!(
        r["u"]["buckets"][2]["tm"],
        json!({"meta": {"k": 1},
            "top": [{"sort": [ts(61)], "metrics": {"n": null, "ts": ts(61), "user": "cid"}}]})
    );
    assert_eq!(
        r["low"],
        json!({"top": [
            {"sort": [1], "metrics": {"n": 1}},
            {"sort": [2], "metrics": {"n": 2}},
            {"sort": [5], "metrics": {"n": 5}}
        ]})
    );
    // documents without a sort value are no candidates
    assert_eq!(r["by_n"]["buckets"][2]["key"], "cid");
    assert_eq!(r["by_n"]["buckets"][2]["tm"], json!({"top": []}));
    assert_eq!(
        r["by_n"]["buckets"][0]["tm"]["top"][0]["metrics"]["ts"],
        ts(2)
    );
}

#[test]
fn top_metrics_refusals() {
    let (_t, a) = setup();
    let refuse = |aggs: Value| {
        json(
            a,
            "POST",
            "/tops/_search",
            Some(&json!({"size": 0, "aggs": aggs})),
        )
    };
    let reason = es_error(
        &refuse(json!({"m": {"top_metrics": {"metrics": {"field": "n"}}}})),
        400,
        "x_content_parse_exception",
    );
    assert!(reason.contains("[sort]"), "{reason}");
    let reason = es_error(
        &refuse(
            json!({"m": {"top_metrics": {"metrics": {"field": "n"}, "sort": {"n": "asc"},
            "colour": 1}}}),
        ),
        400,
        "x_content_parse_exception",
    );
    assert!(reason.contains("[colour]"), "{reason}");
    let r = refuse(
        json!({"m": {"top_metrics": {"metrics": {"field": "n"}, "sort": {"n": "asc"}, "size": 11}}}),
    );
    es_error(&r, 400, "search_phase_execution_exception");
    assert_eq!(
        r.json()["error"]["caused_by"]["type"],
        "illegal_argument_exception"
    );
    let reason = es_error(
        &refuse(
            json!({"m": {"top_metrics": {"metrics": {"field": "n"}, "sort": {"n": "asc"}},
            "aggs": {"x": {"max": {"field": "n"}}}}}),
        ),
        400,
        "illegal_argument_exception",
    );
    assert_eq!(
        reason,
        "Aggregator [m] of type [top_metrics] cannot accept sub-aggregations"
    );
}
