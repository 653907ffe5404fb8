//! The Elasticsearch APIs that the tools around it need beyond the tutorial's: `_analyze` and
//! the standard analyzer, `query_string` wildcards, aggregation `meta`, IANA time zones.

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{json, ndjson};

fn ok(r: &crate::client::Resp) -> Value {
    assert!(r.status < 300, "{} {}", r.status, r.text());
    r.json()
}

#[test]
fn analyze_endpoints_answer_as_elasticsearch() {
    let t = TestServer::start();
    let a = t.addr();
    let v = ok(&json(
        a,
        "POST",
        "/_analyze",
        Some(&json!({"analyzer": "standard", "text": "Brown-Foxes _jsonparsefailure"})),
    ));
    assert_eq!(
        v,
        json!({"tokens": [
            {"token": "brown", "start_offset": 0, "end_offset": 5, "type": "<ALPHANUM>", "position": 0},
            {"token": "foxes", "start_offset": 6, "end_offset": 11, "type": "<ALPHANUM>", "position": 1},
            {"token": "_jsonparsefailure", "start_offset": 12, "end_offset": 29, "type": "<ALPHANUM>", "position": 2},
        ]})
    );
    let r = json(
        a,
        "GET",
        "/_analyze",
        Some(&json!({"analyzer": "standard"})),
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error"]["type"],
        "action_request_validation_exception"
    );
    let r = json(a, "GET", "/missing/_analyze", Some(&json!({"text": "x"})));
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["type"], "index_not_found_exception");
    ok(&json(
        a,
        "PUT",
        "/an",
        Some(&json!({"mappings": {"properties": {"k": {"type": "keyword"}}}})),
    ));
    let v = ok(&json(
        a,
        "POST",
        "/an/_analyze",
        Some(&json!({"field": "k", "text": "Keep Me"})),
    ));
    assert_eq!(v["tokens"][0]["token"], "Keep Me");
    let v = ok(&json(
        a,
        "POST",
        "/an/_analyze",
        Some(&json!({"normalizer": "lowercase", "text": "Keep Me"})),
    ));
    assert_eq!(v["tokens"][0]["token"], "keep me");
}

#[test]
fn term_query_finds_logstash_failure_tags() {
    let t = TestServer::start();
    let a = t.addr();
    let r = ndjson(
        a,
        "/_bulk?refresh=true",
        "{\"index\":{\"_index\":\"logstash-x\"}}\n{\"message\":\"{broken\",\"tags\":[\"_jsonparsefailure\"]}\n\
         {\"index\":{\"_index\":\"logstash-x\"}}\n{\"message\":\"fine\",\"tags\":[\"ok\"]}\n",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    for q in [
        json!({"term": {"tags": "_jsonparsefailure"}}),
        json!({"term": {"tags.keyword": "_jsonparsefailure"}}),
        json!({"match": {"tags": "_jsonparsefailure"}}),
        json!({"query_string": {"query": "tags:_jsonparsefailure"}}),
    ] {
        let v = ok(&json(
            a,
            "POST",
            "/logstash-x/_search",
            Some(&json!({"query": q})),
        ));
        assert_eq!(v["hits"]["total"]["value"], 1, "{q}: {v}");
        assert_eq!(v["hits"]["hits"][0]["_source"]["message"], "{broken");
    }
}

fn hits(a: std::net::SocketAddr, path: &str, body: Option<&Value>) -> u64 {
    let v = ok(&json(a, "POST", path, body));
    v["hits"]["total"]["value"].as_u64().expect("total")
}

#[test]
fn query_string_normalizes_wildcards_as_elasticsearch() {
    let t = TestServer::start();
    let a = t.addr();
    ok(&json(
        a,
        "PUT",
        "/wc",
        Some(&json!({"mappings": {"properties": {
            "message": {"type": "text"}, "code": {"type": "keyword"}
        }}})),
    ));
    ok(&json(
        a,
        "PUT",
        "/wc/_doc/1?refresh=true",
        Some(&json!({"message": "BAR baz", "code": "BAR"})),
    ));
    let cases = [
        // query_string lowercases prefix and wildcard terms of text fields (the field's analyzer
        // normalises them), not of keyword fields
        ("/wc/_search?q=message:BA*", 1),
        ("/wc/_search?q=message:B?R", 1),
        ("/wc/_search?q=message:*AZ", 1),
        ("/wc/_search?q=message:QU*", 0),
        ("/wc/_search?q=code:BA*", 1),
        ("/wc/_search?q=code:ba*", 0),
    ];
    for (path, want) in cases {
        assert_eq!(hits(a, path, None), want, "{path}");
    }
    // the prefix and wildcard queries take the value as it is
    let dsl = [
        (json!({"prefix": {"message": "BA"}}), 0),
        (json!({"prefix": {"message": "ba"}}), 1),
        (json!({"wildcard": {"message": "b*z"}}), 1),
        (
            json!({"wildcard": {"message": {"value": "B*Z", "case_insensitive": true}}}),
            1,
        ),
        (
            json!({"prefix": {"message": {"value": "BA", "case_insensitive": true}}}),
            1,
        ),
    ];
    for (q, want) in dsl {
        assert_eq!(
            hits(a, "/wc/_search", Some(&json!({"query": q}))),
            want,
            "{q}"
        );
    }
}

#[test]
fn iana_time_zones_and_aggregation_meta() {
    let t = TestServer::start();
    let a = t.addr();
    ok(&json(
        a,
        "PUT",
        "/tz",
        Some(&json!({"mappings": {"properties": {"@timestamp": {"type": "date"}}}})),
    ));
    // one event per hour around the spring DST change in Berlin (2024-03-31 02:00 → 03:00)
    let mut body = String::new();
    for h in 0..48 {
        let ms = 1_711_756_800_000i64 + h * 3_600_000; // from 2024-03-30T00:00:00Z
        body.push_str(&format!(
            "{{\"index\":{{\"_index\":\"tz\"}}}}\n{{\"@timestamp\":{ms}}}\n"
        ));
    }
    assert_eq!(ndjson(a, "/_bulk?refresh=true", &body).status, 200);
    let v = ok(&json(
        a,
        "POST",
        "/tz/_search",
        Some(&json!({"size": 0, "aggs": {"per_day": {
            "meta": {"panel": 7},
            "date_histogram": {"field": "@timestamp", "calendar_interval": "day", "time_zone": "Europe/Berlin"}
        }}})),
    ));
    let agg = &v["aggregations"]["per_day"];
    assert_eq!(agg["meta"], json!({"panel": 7}));
    let keys: Vec<(&str, u64)> = agg["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| {
            (
                b["key_as_string"].as_str().expect("key"),
                b["doc_count"].as_u64().expect("count"),
            )
        })
        .collect();
    // 30 March local: 00:00Z..22:59Z (23 events); 31 March has 23 hours; the rest of 1 April
    assert_eq!(
        keys,
        vec![
            ("2024-03-30T00:00:00.000+01:00", 23),
            ("2024-03-31T00:00:00.000+01:00", 23),
            ("2024-04-01T00:00:00.000+02:00", 2),
        ]
    );
    let v = ok(&json(
        a,
        "POST",
        "/tz/_count",
        Some(&json!({"query": {"range": {"@timestamp": {
            "gte": "2024-03-31", "lt": "2024-04-01", "time_zone": "Europe/Berlin"
        }}}})),
    ));
    assert_eq!(v["count"], 23);
    let v = ok(&json(
        a,
        "POST",
        "/tz/_count",
        Some(&json!({"query": {"query_string": {
            "query": "@timestamp:[2024-03-31 TO 2024-03-31]", "time_zone": "Europe/Berlin"
        }}})),
    ));
    assert_eq!(v["count"], 23);
    // range bounds given as dates (they were open bounds before), sizes given as strings
    let v = ok(&json(
        a,
        "POST",
        "/tz/_search",
        Some(
            &json!({"size": 0, "aggs": {"r": {"range": {"field": "@timestamp", "ranges": [
                {"from": "2024-03-31T00:00:00Z"}, {"to": "2024-03-30T12:00:00Z||+1h"}
            ]}}}}),
        ),
    ));
    // ranges come sorted by `from` (an open start first), as ES sorts them
    let b = &v["aggregations"]["r"]["buckets"];
    assert_eq!(b[1]["key"], "2024-03-31T00:00:00.000Z-*");
    assert_eq!(b[1]["from_as_string"], "2024-03-31T00:00:00.000Z");
    assert_eq!(b[1]["doc_count"], 24);
    assert_eq!(b[0]["key"], "*-2024-03-30T13:00:00.000Z");
    assert_eq!(b[0]["doc_count"], 13);
    let r = json(
        a,
        "POST",
        "/tz/_search",
        Some(&json!({"aggs": {"x": {"date_histogram": {
            "field": "@timestamp", "calendar_interval": "day", "time_zone": "Mars/Olympus"
        }}}})),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    let r = json(
        a,
        "POST",
        "/tz/_search",
        Some(&json!({"aggs": {"x": {"meta": "no", "max": {"field": "@timestamp"}}}})),
    );
    assert_eq!(r.status, 400, "{}", r.text());
}

#[test]
fn license_and_xpack_answer_honestly() {
    let t = TestServer::start();
    let v = ok(&crate::client::get(t.addr(), "/_license"));
    assert_eq!(v["license"]["type"], "basic");
    assert_eq!(v["license"]["status"], "active");
    let v = ok(&crate::client::get(t.addr(), "/_xpack"));
    assert_eq!(v["license"]["mode"], "basic");
    assert_eq!(v["features"]["security"]["enabled"], false);
    assert_eq!(v["features"]["ilm"]["available"], false);
}

/// `_nodes`: the one node, filtered by ids, names and `_local`; metrics it has, and the JVM's
/// refused by name.
#[test]
fn nodes_info_and_stats() {
    let t = crate::TestServer::start();
    let a = t.addr();
    let get = |p: &str| crate::client::json(a, "GET", p, None);
    let all = get("/_nodes");
    assert_eq!(all.status, 200, "{}", all.text());
    let v = all.json();
    let (id, node) = v["nodes"]
        .as_object()
        .and_then(|m| m.iter().next())
        .map(|(k, v)| (k.clone(), v.clone()))
        .expect("one node");
    assert_eq!(id.len(), 22);
    assert_eq!(v["_nodes"]["total"], 1);
    assert_eq!(node["http"]["publish_address"], a.to_string());
    assert!(
        node["version"]
            .as_str()
            .is_some_and(|s| s.starts_with("8."))
    );
    for p in [
        "/_nodes/_local/http",
        &format!("/_nodes/{id}/http"),
        "/_nodes/http,os",
    ] {
        let v = get(p).json();
        assert_eq!(
            v["nodes"][&id]["http"]["publish_address"],
            a.to_string(),
            "{p}"
        );
    }
    assert_eq!(
        get("/_nodes/http").json()["nodes"][&id]["os"],
        serde_json::Value::Null
    );
    assert_eq!(
        get("/_nodes/someone-else").json()["nodes"],
        serde_json::json!({})
    );
    let r = get("/_nodes/jvm");
    assert_eq!(r.status, 400);
    assert!(
        r.text()
            .contains("node info metric [jvm] is not kept by sluice-store"),
        "{}",
        r.text()
    );
    crate::client::json(
        a,
        "PUT",
        "/n1/_doc/1?refresh=true",
        Some(&serde_json::json!({"x": 1})),
    );
    let s = get("/_nodes/stats/indices,fs").json();
    assert_eq!(s["nodes"][&id]["indices"]["docs"]["count"], 1);
    assert!(
        s["nodes"][&id]["fs"]["total"]["total_in_bytes"]
            .as_u64()
            .is_some_and(|b| b > 0)
    );
    let r = get("/_nodes/_local/stats/thread_pool");
    assert_eq!(r.status, 400, "{}", r.text());
}

/// A closed index stays closed across a restart and keeps its documents for when it opens.
#[test]
fn a_closed_index_survives_a_restart() {
    let t = crate::TestServer::start();
    let a = t.addr();
    crate::client::json(a, "PUT", "/shut/_doc/1", Some(&json!({"x": 1})));
    let r = crate::client::json(a, "POST", "/shut/_close", None);
    assert_eq!(r.status, 200, "{}", r.text());
    let t = t.restart();
    let a = t.addr();
    let r = crate::client::json(a, "GET", "/shut/_count", None);
    assert_eq!(
        (r.status, &r.json()["error"]["type"]),
        (400, &json!("index_closed_exception"))
    );
    let r = crate::client::json(a, "POST", "/shut/_open", None);
    assert_eq!(r.status, 200, "{}", r.text());
    let r = crate::client::json(a, "GET", "/shut/_count", None);
    assert_eq!(r.json()["count"], 1);
}
