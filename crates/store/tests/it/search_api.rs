//! The search APIs of a Discover-like UI, through HTTP: `search_after`, points in time,
//! `_field_caps`, `highlight`, `fields`/`docvalue_fields`, `_msearch`, `track_total_hits`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{Resp, hit_ids as ids, json, ndjson, send};

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn mapping() -> Value {
    json!({"mappings": {"properties": {
        "timestamp": {"type": "date"},
        "level": {"type": "keyword"},
        "message": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
        "user": {"type": "keyword"},
        "duration": {"type": "float"},
        "count": {"type": "long"},
        "ok": {"type": "boolean"},
        "extra": {"properties": {"code": {"type": "long"}}}
    }}})
}

const USERS: [&str; 4] = ["alice", "bob", "carol", "dave"];
const WORDS: [&str; 6] = ["quick", "brown", "fox", "lazy", "dog", "jumps"];

/// Document `i` of the test set: every fifth has no `duration`, timestamps repeat every 50.
fn doc(i: usize) -> Value {
    let mut d = json!({
        "timestamp": T0 + (i % 50) as i64 * 60_000,
        "level": if i.is_multiple_of(3) { "ERROR" } else { "INFO" },
        "message": format!("{} {} entry {i}", WORDS[i % 6], WORDS[(i / 6) % 6]),
        "user": USERS[i % 4],
        "count": i as i64,
        "ok": i.is_multiple_of(2),
        "extra": {"code": (i % 7) as i64}
    });
    if !i.is_multiple_of(5) {
        d["duration"] = json!((i % 13) as f64 * 0.5);
    }
    d
}

fn bulk(a: SocketAddr, index: &str, docs: impl Iterator<Item = (String, Value)>) {
    let mut body = String::new();
    let mut n = 0;
    let flush = |body: &mut String| {
        let r = ndjson(a, &format!("/{index}/_bulk?refresh=true"), body);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["errors"], false, "{}", r.text());
        body.clear();
    };
    for (id, d) in docs {
        body.push_str(&format!("{{\"index\":{{\"_id\":\"{id}\"}}}}\n{d}\n"));
        n += 1;
        if n % 5000 == 0 {
            flush(&mut body);
        }
    }
    if !body.is_empty() {
        flush(&mut body);
    }
}

fn setup(n: usize) -> TestServer {
    let t = TestServer::start();
    let r = json(t.addr(), "PUT", "/logs", Some(&mapping()));
    assert_eq!(r.status, 200, "{}", r.text());
    bulk(t.addr(), "logs", (0..n).map(|i| (format!("d{i}"), doc(i))));
    t
}

fn post(a: SocketAddr, path: &str, body: &Value) -> Resp {
    json(a, "POST", path, Some(body))
}

fn ok(a: SocketAddr, path: &str, body: &Value) -> Value {
    let r = post(a, path, body);
    assert_eq!(r.status, 200, "{path} {body}: {}", r.text());
    r.json()
}

/// `(status, error type, reason)` of a failed request.
fn failure(r: &Resp) -> (u16, String, String) {
    let b = r.json();
    let root = &b["error"]["root_cause"][0];
    (
        r.status,
        root["type"].as_str().unwrap_or_default().to_owned(),
        root["reason"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Pages through `path` with `body` (which holds `sort`), `size` at a time; returns the ids
/// in order.
fn page_all(a: SocketAddr, path: &str, body: &Value, size: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after: Option<Value> = None;
    for _ in 0..10_000 {
        let mut b = body.clone();
        b["size"] = json!(size);
        if let Some(x) = &after {
            b["search_after"] = x.clone();
        }
        let r = ok(a, path, &b);
        let hits = r["hits"]["hits"].as_array().cloned().unwrap_or_default();
        if hits.is_empty() {
            return seen;
        }
        seen.extend(ids(&r));
        after = hits.last().map(|h| h["sort"].clone());
    }
    panic!("paging did not end");
}

#[test]
fn search_after_pages_through_every_sort_exactly_once() {
    let t = setup(300);
    let a = t.addr();
    for (n, sort) in [
        json!([{"timestamp": "asc"}, {"_doc": "asc"}]),
        json!([{"timestamp": "desc"}, {"user": "asc"}, {"count": "desc"}]),
        json!([{"duration": "asc"}, {"_doc": "desc"}]),
        json!([{"duration": {"order": "desc", "missing": "_first"}}, {"count": "asc"}]),
        json!([{"message.keyword": "asc"}]),
        json!([{"ok": "asc"}, {"extra.code": "desc"}, {"_doc": "asc"}]),
        json!(["_doc"]),
        json!([{"_score": "desc"}, {"count": "asc"}]),
    ]
    .into_iter()
    .enumerate()
    {
        let body = json!({"sort": sort, "query": {"match": {"message": "quick fox"}}});
        // the whole ordering at once is the reference
        let mut all = body.clone();
        all["size"] = json!(1000);
        let want = ids(&ok(a, "/logs/_search", &all));
        assert!(want.len() > 100, "{sort}: {}", want.len());
        // pages of one for the first sort only: every request is a connection
        let sizes: &[usize] = if n == 0 { &[1, 7, 100] } else { &[7, 100] };
        for &size in sizes {
            let got = page_all(a, "/logs/_search", &body, size);
            assert_eq!(got, want, "{sort} size {size}");
        }
    }
}

#[test]
fn sort_values_are_what_elasticsearch_returns() {
    let t = setup(20);
    let a = t.addr();
    let r = ok(
        a,
        "/logs/_search",
        &json!({"size": 20, "sort": [{"timestamp": "asc"}, {"duration": "asc"}, {"user": "desc"}, {"count": "asc"}]}),
    );
    let hits = r["hits"]["hits"].as_array().cloned().unwrap_or_default();
    assert_eq!(hits.len(), 20);
    let first = &hits[0];
    // d0: timestamp T0 as epoch millis, no duration (a double: missing last is "Infinity", as
    // ES shows a double's bound), user, count
    assert_eq!(first["_id"], "d0");
    assert_eq!(first["sort"], json!([T0, "Infinity", "alice", 0]));
    assert_eq!(first["_score"], Value::Null);
    assert_eq!(hits[1]["sort"], json!([T0 + 60_000, 0.5, "bob", 1]));
    // a date sort with a format answers strings, and takes them back in search_after
    let r = ok(
        a,
        "/logs/_search",
        &json!({"size": 1, "sort": [{"timestamp": {"order": "asc", "format": "strict_date_optional_time"}}, {"count": "asc"}],
                "search_after": ["2026-01-01T00:00:00.000Z", 0]}),
    );
    assert_eq!(r["hits"]["hits"][0]["_id"], "d1");
    assert_eq!(
        r["hits"]["hits"][0]["sort"],
        json!(["2026-01-01T00:01:00.000Z", 1])
    );
}

#[test]
fn search_after_refusals_use_elasticsearch_wording() {
    let t = setup(5);
    let a = t.addr();
    let validation = "action_request_validation_exception";
    for (body, status, ty, reason) in [
        (
            json!({"sort": [{"count": "asc"}], "search_after": [1, 2]}),
            400,
            "illegal_argument_exception",
            "search_after has 2 value(s) but sort has 1.",
        ),
        (
            json!({"search_after": [1]}),
            400,
            "illegal_argument_exception",
            "Sort must contain at least one field.",
        ),
        (
            json!({"sort": ["_score"], "search_after": [1.0]}),
            400,
            "illegal_argument_exception",
            "Sort must contain at least one field.",
        ),
        (
            json!({"sort": [{"count": "asc"}], "search_after": [1], "from": 2}),
            400,
            validation,
            "Validation Failed: 1: [from] parameter must be set to 0 when [search_after] is used;",
        ),
        (
            json!({"sort": [{"count": "asc"}, "_shard_doc"]}),
            400,
            validation,
            "Validation Failed: 1: [_shard_doc] sort field cannot be used without [point in time];",
        ),
        (
            json!({"sort": [{"count": "asc"}], "search_after": ["x"]}),
            400,
            "illegal_argument_exception",
            "Failed to parse search_after value for field [count].",
        ),
        (
            json!({"stored_fields": "_none_", "_source": true}),
            400,
            validation,
            "Validation Failed: 1: [stored_fields] cannot be disabled if [_source] is requested;",
        ),
        (
            json!({"pit": {"id": "abc"}}),
            400,
            validation,
            "Validation Failed: 1: [indices] cannot be used with point in time. Do not specify any index with point in time.;",
        ),
    ] {
        let r = post(a, "/logs/_search", &body);
        assert_eq!(
            failure(&r),
            (status, ty.to_owned(), reason.to_owned()),
            "{body}"
        );
    }
    // the shard failure is wrapped as ES wraps it
    let r = post(
        a,
        "/logs/_search",
        &json!({"sort": [{"count": "asc"}], "search_after": [1, 2]}),
    );
    assert_eq!(
        r.json()["error"]["type"],
        "search_phase_execution_exception"
    );
}

fn open_pit(a: SocketAddr, target: &str, keep_alive: &str) -> String {
    let r = send(
        a,
        "POST",
        &format!("/{target}/_pit?keep_alive={keep_alive}"),
        &[],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let b = r.json();
    assert_eq!(b.as_object().map(|o| o.len()), Some(1), "{b}");
    b["id"].as_str().expect("id").to_owned()
}

fn close_pit(a: SocketAddr, id: &str) -> Resp {
    json(a, "DELETE", "/_pit", Some(&json!({ "id": id })))
}

#[test]
fn point_in_time_sees_its_snapshot_until_closed() {
    let t = setup(30);
    let a = t.addr();
    let id = open_pit(a, "logs", "1m");
    // writes after the open are not seen through the point in time
    bulk(a, "logs", (30..40).map(|i| (format!("d{i}"), doc(i))));
    let r = send(
        a,
        "POST",
        "/logs/_doc/d0?refresh=true",
        &[("Content-Type", "application/json")],
        br#"{"user":"zed"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let body = json!({"pit": {"id": id, "keep_alive": "1m"}, "size": 100, "track_total_hits": true,
                      "sort": [{"count": "asc"}], "query": {"term": {"user": "alice"}}});
    let r = ok(a, "/_search", &body);
    assert_eq!(r["pit_id"], id.as_str());
    assert_eq!(
        r.as_object().and_then(|o| o.keys().next().cloned()),
        Some("pit_id".to_owned())
    );
    assert_eq!(r["hits"]["total"]["value"], 8);
    assert_eq!(
        ids(&r)[0],
        "d0",
        "the old d0 is still alice in the snapshot"
    );
    // the implicit `_shard_doc` tie-breaker ends every sort array
    let sort = r["hits"]["hits"][0]["sort"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(sort.len(), 2, "{sort:?}");
    assert!(sort[1].is_u64());
    // the live index has moved on
    let live = ok(
        a,
        "/logs/_search",
        &json!({"query": {"term": {"user": "alice"}}}),
    );
    assert_eq!(live["hits"]["total"]["value"], 9);

    // an index in the path, or index options, are refused with a point in time
    for (path, reason) in [
        (
            "/logs/_search",
            "Validation Failed: 1: [indices] cannot be used with point in time. Do not specify any index with point in time.;",
        ),
        (
            "/_search?ignore_unavailable=true",
            "Validation Failed: 1: [indicesOptions] cannot be used with point in time;",
        ),
        (
            "/_search?preference=_local",
            "Validation Failed: 1: [preference] cannot be used with point in time;",
        ),
    ] {
        let r = post(a, path, &body);
        assert_eq!(
            failure(&r),
            (
                400,
                "action_request_validation_exception".to_owned(),
                reason.to_owned()
            ),
            "{path}"
        );
    }

    let r = close_pit(a, &id);
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"succeeded": true, "num_freed": 1}))
    );
    let r = close_pit(a, &id);
    assert_eq!(
        (r.status, r.json()),
        (404, json!({"succeeded": true, "num_freed": 0}))
    );
    let r = post(a, "/_search", &body);
    let (status, ty, reason) = failure(&r);
    assert_eq!(
        (status, ty.as_str()),
        (404, "search_context_missing_exception")
    );
    assert!(
        reason.starts_with("No search context found for id ["),
        "{reason}"
    );
    assert_eq!(
        r.json()["error"]["type"],
        "search_phase_execution_exception"
    );
}

#[test]
fn point_in_time_refusals() {
    let t = setup(3);
    let a = t.addr();
    for (method, path, body, want) in [
        (
            "POST",
            "/logs/_pit",
            json!(null),
            (
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: [keep_alive] is not specified;",
            ),
        ),
        (
            "POST",
            "/logs/_pit?keep_alive=5x",
            json!(null),
            (
                400,
                "parse_exception",
                "failed to parse setting [keep_alive] with value [5x] as a time value: unit is missing or unrecognized",
            ),
        ),
        (
            "POST",
            "/logs/_pit?keep_alive=2d",
            json!(null),
            (
                400,
                "illegal_argument_exception",
                "Keep alive for request (2d) is too large. It must be less than (1d). This limit can be set by changing the [search.max_keep_alive] cluster level setting.",
            ),
        ),
        (
            "POST",
            "/nope/_pit?keep_alive=1m",
            json!(null),
            (404, "index_not_found_exception", "no such index [nope]"),
        ),
        (
            "POST",
            "/logs/_pit?keep_alive=1m",
            json!({"index_filter": {"match_all": {}}}),
            (
                400,
                "illegal_argument_exception",
                "[index_filter] of a point in time is not supported by sluice-store",
            ),
        ),
        (
            "DELETE",
            "/_pit",
            json!({"id": "not-a-pit"}),
            (400, "illegal_argument_exception", "invalid id: [not-a-pit]"),
        ),
        (
            "POST",
            "/_search",
            json!({"pit": {"id": "not-a-pit"}}),
            (400, "illegal_argument_exception", "invalid id: [not-a-pit]"),
        ),
        (
            "POST",
            "/_search",
            json!({"pit": {"id": "x", "foo": 1}}),
            (
                400,
                "x_content_parse_exception",
                "[point_in_time] unknown field [foo]",
            ),
        ),
    ] {
        let r = if body.is_null() {
            send(a, method, path, &[], b"")
        } else {
            json(a, method, path, Some(&body))
        };
        assert_eq!(
            failure(&r),
            (want.0, want.1.to_owned(), want.2.to_owned()),
            "{method} {path} {body}"
        );
    }
    assert_eq!(
        send(a, "GET", "/logs/_pit?keep_alive=1m", &[], b"").status,
        405
    );
}

#[test]
fn point_in_time_expires_after_its_keep_alive() {
    let t = setup(3);
    let a = t.addr();
    let id = open_pit(a, "logs", "1ms");
    let body = json!({"pit": {"id": id}});
    // each search renews the keep-alive: the first search started after 1 ms of idleness fails
    let gone = test_support::wait_for(
        "the point in time to expire",
        Duration::from_secs(10),
        || {
            let r = post(a, "/_search", &body);
            (r.status == 404).then(|| failure(&r))
        },
    )
    .expect("expired");
    assert_eq!(gone.1, "search_context_missing_exception");
    // a search's keep_alive replaces the one it was opened with
    let id = open_pit(a, "logs", "10m");
    let r = post(
        a,
        "/_search",
        &json!({"pit": {"id": id, "keep_alive": "1ms"}}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    test_support::wait_for(
        "the shortened point in time to expire",
        Duration::from_secs(10),
        || (post(a, "/_search", &json!({"pit": {"id": id}})).status == 404).then_some(()),
    )
    .expect("expired");
}

#[test]
fn open_points_in_time_are_bounded() {
    let t = setup(1);
    let a = t.addr();
    let ids: Vec<String> = (0..500).map(|_| open_pit(a, "logs", "10m")).collect();
    let r = send(a, "POST", "/logs/_pit?keep_alive=10m", &[], b"");
    let (status, ty, reason) = failure(&r);
    assert_eq!(
        (status, ty.as_str()),
        (429, "too_many_scroll_contexts_exception")
    );
    assert!(reason.contains("[500]"), "{reason}");
    assert_eq!(close_pit(a, &ids[0]).status, 200);
    open_pit(a, "logs", "10m");
}

#[test]
fn pit_and_search_after_page_25000_documents_exactly_once() {
    let t = TestServer::start();
    let a = t.addr();
    assert_eq!(json(a, "PUT", "/big-a", Some(&mapping())).status, 200);
    assert_eq!(json(a, "PUT", "/big-b", Some(&mapping())).status, 200);
    // two indices, several segments each, timestamps with many ties
    bulk(a, "big-a", (0..15_000).map(|i| (format!("a{i}"), doc(i))));
    bulk(a, "big-b", (0..10_000).map(|i| (format!("b{i}"), doc(i))));
    let id = open_pit(a, "big-*", "5m");
    // changes after the open: new documents, a deletion, an update
    bulk(
        a,
        "big-a",
        (15_000..16_000).map(|i| (format!("a{i}"), doc(i))),
    );
    assert_eq!(
        send(a, "DELETE", "/big-b/_doc/b7?refresh=true", &[], b"").status,
        200
    );
    for sort in [json!([{"timestamp": "desc"}]), json!(["_shard_doc"])] {
        let body = json!({"pit": {"id": id, "keep_alive": "5m"}, "sort": sort, "_source": false, "track_total_hits": false});
        let seen = page_all(a, "/_search", &body, 1000);
        let distinct: HashSet<&String> = seen.iter().collect();
        assert_eq!(seen.len(), 25_000, "{sort}");
        assert_eq!(distinct.len(), 25_000, "{sort}");
        assert!(distinct.contains(&"b7".to_owned()));
        assert!(!distinct.contains(&"a15000".to_owned()));
    }
    assert_eq!(close_pit(a, &id).status, 200);
}

#[test]
fn track_total_hits_counts_up_to_the_limit() {
    let t = setup(120);
    let a = t.addr();
    for (tth, want) in [
        (json!(true), json!({"value": 120, "relation": "eq"})),
        (json!(-1), json!({"value": 120, "relation": "eq"})),
        (json!(100), json!({"value": 100, "relation": "gte"})),
        (json!(120), json!({"value": 120, "relation": "eq"})),
        (json!(500), json!({"value": 120, "relation": "eq"})),
        (json!(0), json!({"value": 0, "relation": "gte"})),
    ] {
        let r = ok(
            a,
            "/logs/_search",
            &json!({"size": 0, "track_total_hits": tth}),
        );
        assert_eq!(r["hits"]["total"], want, "{tth}");
    }
    let r = ok(
        a,
        "/logs/_search",
        &json!({"size": 0, "track_total_hits": false}),
    );
    assert!(r["hits"].get("total").is_none(), "{r}");
    let r = send(a, "GET", "/logs/_search?track_total_hits=50", &[], b"");
    assert_eq!(
        r.json()["hits"]["total"],
        json!({"value": 50, "relation": "gte"})
    );
    let r = post(a, "/logs/_search", &json!({"track_total_hits": -2}));
    assert_eq!(
        failure(&r),
        (
            400,
            "illegal_argument_exception".to_owned(),
            "[track_total_hits] parameter must be positive or equals to -1, got -2".to_owned()
        )
    );
}

fn highlight_of(a: SocketAddr, query: &Value, highlight: &Value) -> Value {
    let r = ok(
        a,
        "/hl/_search",
        &json!({"query": query, "highlight": highlight, "sort": ["_doc"]}),
    );
    // in id order (the index order of documents written by one bulk is not theirs)
    let mut hits: Vec<(String, Value)> = r["hits"]["hits"]
        .as_array()
        .map(|h| {
            h.iter()
                .map(|x| {
                    let id = x["_id"].as_str().unwrap_or_default().to_owned();
                    (id, x.get("highlight").cloned().unwrap_or(Value::Null))
                })
                .collect()
        })
        .unwrap_or_default();
    hits.sort_by(|a, b| a.0.cmp(&b.0));
    hits.into_iter().map(|(_, h)| h).collect()
}

#[test]
fn highlight_marks_what_the_query_matched() {
    let t = TestServer::start();
    let a = t.addr();
    assert_eq!(json(a, "PUT", "/hl", Some(&mapping())).status, 200);
    let long = "The quick brown fox jumps over the lazy dog. ".repeat(6);
    bulk(
        a,
        "hl",
        [
            json!({"message": "User alice logged in from Paris", "user": "alice", "level": "INFO"}),
            json!({"message": long.trim(), "user": "bob", "level": "ERROR"}),
            json!({"message": "<b>alice</b> & bob", "user": "bob", "level": "WARN"}),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, d)| (format!("h{i}"), d)),
    );
    for (query, hl, want) in [
        (
            json!({"match": {"message": "ALICE paris"}}),
            json!({"fields": {"message": {}}}),
            json!([{"message": ["User <em>alice</em> logged in from <em>Paris</em>"]}, {"message": ["<b><em>alice</em></b> & bob"]}]),
        ),
        (
            json!({"match_phrase": {"message": "logged in"}}),
            json!({"fields": {"message": {}}, "pre_tags": ["["], "post_tags": ["]"]}),
            json!([{"message": ["User alice [logged] [in] from Paris"]}]),
        ),
        (
            json!({"bool": {"must": [{"term": {"user": "alice"}}], "filter": [{"prefix": {"message": "pa"}}]}}),
            json!({"fields": {"*": {}}}),
            json!([{"user": ["<em>alice</em>"], "message": ["User alice logged in from <em>Paris</em>"]}]),
        ),
        (
            json!({"bool": {"must": [{"term": {"user": "bob"}}], "must_not": [{"term": {"user": "alice"}}]}}),
            json!({"fields": {"message": {}}, "require_field_match": false}),
            json!([null, {"message": ["<b>alice</b> & <em>bob</em>"]}]),
        ),
        (
            json!({"query_string": {"query": "alice AND log*"}}),
            json!({"fields": [{"message": {"number_of_fragments": 0}}, {"user": {}}]}),
            json!([{"message": ["User <em>alice</em> <em>logged</em> in from Paris"], "user": ["<em>alice</em>"]}]),
        ),
        (
            json!({"multi_match": {"query": "bob", "fields": ["message", "level"]}}),
            json!({"fields": {"message": {}, "user": {}}, "encoder": "html"}),
            json!([{"message": ["&lt;b&gt;alice&lt;&#x2F;b&gt; &amp; <em>bob</em>"]}]),
        ),
        (
            json!({"wildcard": {"user": {"value": "b*b"}}}),
            json!({"fields": {"user": {}}, "require_field_match": true}),
            json!([{"user": ["<em>bob</em>"]}, {"user": ["<em>bob</em>"]}]),
        ),
        (
            json!({"match": {"message": "dog"}}),
            json!({"fields": {"message": {"fragment_size": 50, "number_of_fragments": 2}}, "type": "unified"}),
            // fragments cut at the first token ending past each multiple of fragment_size, as
            // Lucene's SimpleFragmenter does
            json!([{"message": ["The quick brown fox jumps over the lazy <em>dog</em>. The", "quick brown fox jumps over the lazy <em>dog</em>. The quick"]}]),
        ),
        (
            json!({"match": {"message": "dog fox"}}),
            json!({"fields": {"message": {"fragment_size": 50, "number_of_fragments": 1}}, "type": "plain"}),
            json!([{"message": ["The quick brown <em>fox</em> jumps over the lazy <em>dog</em>. The"]}]),
        ),
        (
            json!({"term": {"level": "ERROR"}}),
            json!({"fields": {"message": {"no_match_size": 20}}, "require_field_match": false}),
            json!([{"message": ["The quick brown fox"]}]),
        ),
    ] {
        // only documents that match: an hit without a match has no highlight
        let got = highlight_of(a, &query, &hl);
        let got = Value::Array(got.as_array().cloned().unwrap_or_default());
        assert_eq!(got, want, "{query} {hl}");
    }
    for (hl, ty, reason) in [
        (
            json!({"fields": {"message": {}}, "boundary_scanner": "sentence"}),
            "illegal_argument_exception",
            "[highlight] option [boundary_scanner] is not supported by sluice-store",
        ),
        (
            json!({"fields": {"message": {"fragmenter": "span"}}}),
            "illegal_argument_exception",
            "[highlight] option [fragmenter] is not supported by sluice-store",
        ),
        (
            json!({"fields": {"message": {"foo": 1}}}),
            "x_content_parse_exception",
            "[highlight_field] unknown field [foo]",
        ),
        (
            json!({"fields": {"message": {}}, "bar": 1}),
            "x_content_parse_exception",
            "[highlight] unknown field [bar]",
        ),
        (
            json!({"fields": {"message": {"type": "fvh"}}}),
            "illegal_argument_exception",
            "[highlight] type [fvh] is not supported by sluice-store (use plain or unified)",
        ),
        (
            json!({"fields": {"message": {"type": "best"}}}),
            "illegal_argument_exception",
            "unknown highlighter type [best] for the field",
        ),
        (
            json!({"pre_tags": ["<x>"]}),
            "illegal_argument_exception",
            "Highlighter global fields must be defined",
        ),
    ] {
        let r = post(a, "/hl/_search", &json!({"highlight": hl}));
        assert_eq!(failure(&r), (400, ty.to_owned(), reason.to_owned()), "{hl}");
    }
}

#[test]
fn fields_and_docvalue_fields_read_as_elasticsearch() {
    let t = TestServer::start();
    let a = t.addr();
    let mut m = mapping();
    m["mappings"]["dynamic"] = json!(false);
    assert_eq!(json(a, "PUT", "/f", Some(&m)).status, 200);
    bulk(
        a,
        "f",
        std::iter::once((
            "f1".to_owned(),
            json!({"timestamp": "2026-01-01T10:00:00Z", "message": "hello world", "user": ["bob", "alice"],
                   "duration": 1.1, "count": "42", "ok": "true", "extra": {"code": 7, "note": "free"}, "other": 5}),
        )),
    );
    for (body, want_fields, has_source) in [
        (
            json!({"fields": ["timestamp", "user", "duration", "count", "ok", "message*"]}),
            json!({"timestamp": ["2026-01-01T10:00:00.000Z"], "user": ["bob", "alice"], "duration": [1.1],
                   "count": [42], "ok": [true], "message": ["hello world"], "message.keyword": ["hello world"]}),
            true,
        ),
        (
            json!({"fields": [{"field": "timestamp", "format": "epoch_millis"}, "extra.*"], "_source": false}),
            json!({"timestamp": ["1767261600000"], "extra.code": [7]}),
            false,
        ),
        (
            json!({"fields": [{"field": "extra.*", "include_unmapped": true}, {"field": "oth*", "include_unmapped": true}], "_source": false}),
            json!({"extra.code": [7], "extra.note": ["free"], "other": [5]}),
            false,
        ),
        (
            json!({"docvalue_fields": ["user", "duration", {"field": "timestamp", "format": "yyyy-MM-dd"}, "ok", "count", "nope"], "_source": false}),
            json!({"user": ["alice", "bob"], "duration": [1.100000023841858], "timestamp": ["2026-01-01"], "ok": [true], "count": [42]}),
            false,
        ),
        (
            json!({"docvalue_fields": ["timestamp"], "stored_fields": "_none_"}),
            json!({"timestamp": ["2026-01-01T10:00:00.000Z"]}),
            false,
        ),
    ] {
        let r = ok(a, "/f/_search", &body);
        let hit = &r["hits"]["hits"][0];
        assert_eq!(hit["fields"], want_fields, "{body}");
        assert_eq!(hit.get("_source").is_some(), has_source, "{body}");
    }
    let r = ok(a, "/f/_search", &json!({"stored_fields": "_none_"}));
    let hit = r["hits"]["hits"][0]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        hit.keys().cloned().collect::<Vec<_>>(),
        ["_index", "_score"]
    );
    let r = ok(a, "/f/_search", &json!({"stored_fields": []}));
    let hit = r["hits"]["hits"][0]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        hit.keys().cloned().collect::<Vec<_>>(),
        ["_index", "_id", "_score"]
    );
    for (body, ty, reason) in [
        (
            json!({"fields": [{"field": "user", "format": "x"}]}),
            "illegal_argument_exception",
            "Field [user] of type [keyword] doesn't support formats.",
        ),
        (
            json!({"docvalue_fields": [{"field": "count", "format": "0.0E0"}]}),
            "illegal_argument_exception",
            "[E] in the number format [0.0E0] is not supported by sluice-store",
        ),
        (
            json!({"fields": [{"field": "user", "foo": 1}]}),
            "x_content_parse_exception",
            "[fetch_field_and_format] unknown field [foo]",
        ),
    ] {
        let r = post(a, "/f/_search", &body);
        assert_eq!(
            failure(&r),
            (400, ty.to_owned(), reason.to_owned()),
            "{body}"
        );
    }
    let r = post(a, "/f/_search", &json!({"docvalue_fields": ["message"]}));
    let (status, ty, _) = failure(&r);
    assert_eq!((status, ty.as_str()), (400, "illegal_argument_exception"));
}

#[test]
fn field_caps_reports_types_per_index() {
    let t = TestServer::start();
    let a = t.addr();
    assert_eq!(json(a, "PUT", "/caps-a", Some(&mapping())).status, 200);
    let other = json!({"mappings": {"properties": {"user": {"type": "text"}, "count": {"type": "long", "doc_values": false}, "only_b": {"type": "keyword"}}}});
    assert_eq!(json(a, "PUT", "/caps-b", Some(&other)).status, 200);
    let r = send(a, "GET", "/caps-a/_field_caps?fields=*", &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let b = r.json();
    assert_eq!(b["indices"], json!(["caps-a"]));
    for (field, want) in [
        (
            "message",
            json!({"text": {"type": "text", "metadata_field": false, "searchable": true, "aggregatable": false}}),
        ),
        (
            "message.keyword",
            json!({"keyword": {"type": "keyword", "metadata_field": false, "searchable": true, "aggregatable": true}}),
        ),
        (
            "timestamp",
            json!({"date": {"type": "date", "metadata_field": false, "searchable": true, "aggregatable": true}}),
        ),
        (
            "duration",
            json!({"float": {"type": "float", "metadata_field": false, "searchable": true, "aggregatable": true}}),
        ),
        (
            "ok",
            json!({"boolean": {"type": "boolean", "metadata_field": false, "searchable": true, "aggregatable": true}}),
        ),
        (
            "extra",
            json!({"object": {"type": "object", "metadata_field": false, "searchable": false, "aggregatable": false}}),
        ),
        (
            "extra.code",
            json!({"long": {"type": "long", "metadata_field": false, "searchable": true, "aggregatable": true}}),
        ),
        (
            "_id",
            json!({"_id": {"type": "_id", "metadata_field": true, "searchable": true, "aggregatable": false}}),
        ),
        (
            "_index",
            json!({"_index": {"type": "_index", "metadata_field": true, "searchable": true, "aggregatable": true}}),
        ),
        (
            "_source",
            json!({"_source": {"type": "_source", "metadata_field": true, "searchable": false, "aggregatable": false}}),
        ),
    ] {
        assert_eq!(b["fields"][field], want, "{field}");
    }
    // across indices: conflicting types list their indices; unmapped only when asked
    let b = json(
        a,
        "POST",
        "/caps-*/_field_caps?fields=user,count,only_b,level&include_unmapped=true",
        None,
    )
    .json();
    assert_eq!(b["indices"], json!(["caps-a", "caps-b"]));
    assert_eq!(
        b["fields"],
        json!({
            "user": {
                "keyword": {"type": "keyword", "metadata_field": false, "searchable": true, "aggregatable": true, "indices": ["caps-a"]},
                "text": {"type": "text", "metadata_field": false, "searchable": true, "aggregatable": false, "indices": ["caps-b"]}
            },
            "count": {"long": {"type": "long", "metadata_field": false, "searchable": true, "aggregatable": false, "non_aggregatable_indices": ["caps-b"]}},
            "only_b": {
                "keyword": {"type": "keyword", "metadata_field": false, "searchable": true, "aggregatable": true, "indices": ["caps-b"]},
                "unmapped": {"type": "unmapped", "metadata_field": false, "searchable": false, "aggregatable": false, "indices": ["caps-a"]}
            },
            "level": {
                "keyword": {"type": "keyword", "metadata_field": false, "searchable": true, "aggregatable": true, "indices": ["caps-a"]},
                "unmapped": {"type": "unmapped", "metadata_field": false, "searchable": false, "aggregatable": false, "indices": ["caps-b"]}
            }
        })
    );
    let b = json(
        a,
        "POST",
        "/_field_caps",
        Some(&json!({"fields": ["only_b"]})),
    )
    .json();
    assert_eq!(b["fields"]["only_b"]["keyword"].get("indices"), None, "{b}");
    let b = json(
        a,
        "GET",
        "/caps-a/_field_caps?fields=*&filters=-metadata,-multifield,-parent&types=keyword,text",
        None,
    )
    .json();
    let names: Vec<&String> = b["fields"]
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(names, ["level", "message", "user"]);
    let b = json(
        a,
        "GET",
        "/nope,caps-a/_field_caps?fields=_id&ignore_unavailable=true",
        None,
    )
    .json();
    assert_eq!(b["indices"], json!(["caps-a"]));
    for (method, path, body, want) in [
        (
            "GET",
            "/caps-a/_field_caps",
            json!(null),
            (
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: specified fields can't be null or empty;",
            ),
        ),
        (
            "GET",
            "/nope/_field_caps?fields=*",
            json!(null),
            (404, "index_not_found_exception", "no such index [nope]"),
        ),
        (
            "POST",
            "/_field_caps?fields=a",
            json!({"fields": ["b"]}),
            (
                400,
                "illegal_argument_exception",
                "can't specify a request body and [fields] request parameter, either specify a request body or the [fields] request parameter",
            ),
        ),
        (
            "POST",
            "/_field_caps",
            json!({"fields": ["b"], "index_filter": {}}),
            (
                400,
                "illegal_argument_exception",
                "[index_filter] of _field_caps is not supported by sluice-store",
            ),
        ),
        (
            "GET",
            "/_field_caps?fields=*&filters=+foo",
            json!(null),
            (
                400,
                "illegal_argument_exception",
                "Unknown field caps filter [foo]",
            ),
        ),
    ] {
        let r = if body.is_null() {
            send(a, method, path, &[], b"")
        } else {
            json(a, method, path, Some(&body))
        };
        assert_eq!(
            failure(&r),
            (want.0, want.1.to_owned(), want.2.to_owned()),
            "{path}"
        );
    }
}

/// `took` removed: the part of an answer that depends on timing.
fn without_took(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("took");
    }
    v
}

#[test]
fn msearch_runs_searches_concurrently_in_request_order() {
    let t = setup(300);
    let a = t.addr();
    // many searches of different cost, failures among them, each with an answer of its own
    let mut searches: Vec<(String, Value)> = Vec::new();
    for i in 0..24 {
        let (index, body) = match i % 6 {
            0 => (
                "logs",
                json!({"size": 0, "query": {"term": {"user": USERS[i % 4]}},
                                 "aggs": {"c": {"cardinality": {"field": "count"}}}}),
            ),
            1 => (
                "logs",
                json!({"size": 3, "sort": [{"count": "desc"}],
                                 "query": {"range": {"count": {"lt": i * 10}}}}),
            ),
            2 => ("nope", json!({})),
            3 => (
                "logs",
                json!({"size": 0, "aggs": {"t": {"date_histogram": {
                                 "field": "timestamp", "fixed_interval": format!("{}m", i + 1)}}}}),
            ),
            4 => (
                "logs",
                json!({"size": 2, "sort": [{"count": "asc"}], "search_after": [i, 1]}),
            ),
            _ => (
                "logs",
                json!({"size": 1, "from": i, "sort": [{"timestamp": "asc"}, {"count": "asc"}]}),
            ),
        };
        searches.push((index.to_owned(), body));
    }
    let mut body = String::new();
    for (index, b) in &searches {
        body.push_str(&format!("{{\"index\":\"{index}\"}}\n{b}\n"));
    }
    for path in ["/_msearch", "/_msearch?max_concurrent_searches=3"] {
        let r = ndjson(a, path, &body);
        assert_eq!(r.status, 200, "{}", r.text());
        let rs = r.json()["responses"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(rs.len(), searches.len());
        for ((index, b), got) in searches.iter().zip(rs) {
            let alone = post(a, &format!("/{index}/_search"), b);
            let mut want = alone.json();
            if let Some(o) = want.as_object_mut() {
                o.insert("status".into(), json!(alone.status));
            }
            assert_eq!(without_took(got), without_took(want), "{path}: {index} {b}");
        }
    }
}

#[test]
fn msearch_answers_each_search() {
    let t = setup(10);
    let a = t.addr();
    let body = concat!(
        "{}\n",
        "{\"query\":{\"term\":{\"user\":\"alice\"}},\"size\":0}\n",
        "{\"index\":\"logs\"}\n",
        "{\"sort\":[{\"count\":\"desc\"}],\"size\":1}\n",
        "{\"index\":\"nope\"}\n",
        "{}\n",
        "{\"index\":\"logs\"}\n",
        "{\"sort\":[{\"count\":\"asc\"}],\"search_after\":[1,2]}\n",
    );
    for path in ["/_msearch?max_concurrent_searches=2", "/logs/_msearch"] {
        let r = ndjson(a, path, body);
        assert_eq!(r.status, 200, "{}", r.text());
        let b = r.json();
        assert!(b["took"].is_u64());
        let rs = b["responses"].as_array().cloned().unwrap_or_default();
        assert_eq!(rs.len(), 4);
        assert_eq!(rs[0]["status"], 200);
        assert_eq!(rs[0]["hits"]["total"]["value"], 3);
        assert_eq!(rs[1]["hits"]["hits"][0]["_id"], "d9");
        assert_eq!(rs[2]["status"], 404);
        assert_eq!(rs[2]["error"]["type"], "index_not_found_exception");
        assert_eq!(rs[3]["status"], 400);
        assert_eq!(
            rs[3]["error"]["root_cause"][0]["reason"],
            "search_after has 2 value(s) but sort has 1."
        );
    }
    for (body, ty, reason) in [
        (
            "{}\n{\"query\":{\"nope\":{}}}\n",
            "parsing_exception",
            "unknown query [nope]",
        ),
        (
            "{\"foo\":1}\n{}\n",
            "illegal_argument_exception",
            "key [foo] is not supported in the metadata section",
        ),
        (
            "{}\n{}",
            "illegal_argument_exception",
            "The msearch request must be terminated by a newline [\n]",
        ),
    ] {
        let r = ndjson(a, "/_msearch", body);
        let (status, got_ty, got_reason) = failure(&r);
        assert_eq!((status, got_ty.as_str()), (400, ty), "{body:?}");
        assert!(got_reason.starts_with(reason), "{body:?}: {got_reason}");
    }
    let r = ndjson(a, "/_msearch", "{}\n{\"size\":\n");
    assert_eq!(failure(&r).1, "x_content_parse_exception");
    let r = ndjson(a, "/_msearch?max_concurrent_searches=0", "{}\n{}\n");
    assert_eq!(
        failure(&r),
        (
            400,
            "illegal_argument_exception".to_owned(),
            "max_concurrent_searches must be positive".to_owned()
        )
    );
    // a point in time in an msearch body
    let id = open_pit(a, "logs", "1m");
    let r = ndjson(
        a,
        "/_msearch",
        &format!("{{}}\n{{\"pit\":{{\"id\":\"{id}\"}},\"size\":0}}\n"),
    );
    assert_eq!(r.json()["responses"][0]["pit_id"], id.as_str());
}

/// Scrolls `path` (a `_search` with `?scroll=1m`) to the end; returns every page's response.
fn scroll_all(a: SocketAddr, path: &str, body: &Value) -> Vec<Value> {
    let mut pages = vec![ok(a, path, body)];
    for _ in 0..10_000 {
        let last = pages.last().expect("a page");
        if last["hits"]["hits"].as_array().is_none_or(Vec::is_empty) {
            return pages;
        }
        let id = last["_scroll_id"].as_str().expect("_scroll_id").to_owned();
        pages.push(ok(
            a,
            "/_search/scroll",
            &json!({"scroll": "1m", "scroll_id": id}),
        ));
    }
    panic!("the scroll did not end");
}

#[test]
fn scroll_returns_every_document_once_in_order_from_its_snapshot() {
    let t = setup(1_234);
    let a = t.addr();
    // the default order (score, then index order), a field sort with ties, and `_doc`
    for sort in [Value::Null, json!([{"timestamp": "desc"}]), json!(["_doc"])] {
        let mut body = json!({"size": 100, "query": {"term": {"level": "INFO"}},
            "aggs": {"users": {"terms": {"field": "user"}}}});
        if !sort.is_null() {
            body["sort"] = sort.clone();
        }
        let first = ok(a, "/logs/_search?scroll=1m", &body);
        // a write after the scroll opened is not seen by its later pages
        let r = json(
            a,
            "PUT",
            "/logs/_doc/late?refresh=true",
            Some(&json!({"level": "INFO", "timestamp": T0})),
        );
        assert!(r.status == 201 || r.status == 200, "{}", r.text());
        let mut pages = vec![first];
        for _ in 0..100 {
            let last = pages.last().expect("a page");
            if last["hits"]["hits"].as_array().is_none_or(Vec::is_empty) {
                break;
            }
            let id = last["_scroll_id"].as_str().expect("_scroll_id").to_owned();
            pages.push(ok(
                a,
                "/_search/scroll",
                &json!({"scroll": "1m", "scroll_id": id}),
            ));
        }
        let expected: Vec<usize> = (0..1_234).filter(|i| i % 3 != 0).collect();
        let got: Vec<String> = pages.iter().flat_map(ids).collect();
        let unique: HashSet<&String> = got.iter().collect();
        assert_eq!(got.len(), expected.len(), "sort {sort}: every hit once");
        assert_eq!(unique.len(), got.len(), "sort {sort}: no hit twice");
        assert!(!unique.contains(&"late".to_owned()), "sort {sort}");
        for p in &pages {
            // the whole search's total on every page; aggregations on the first only
            assert_eq!(p["hits"]["total"], json!({"value": 822, "relation": "eq"}));
            assert_eq!(
                p.as_object()
                    .and_then(|o| o.keys().next())
                    .map(String::as_str),
                Some("_scroll_id")
            );
        }
        assert!(pages[0]["aggregations"]["users"]["buckets"].is_array());
        assert!(pages[1].get("aggregations").is_none(), "{}", pages[1]);
        if sort == json!([{"timestamp": "desc"}]) {
            // in sort order across pages, and hits show the request's sort only
            let keys: Vec<i64> = pages
                .iter()
                .flat_map(|p| p["hits"]["hits"].as_array().cloned().unwrap_or_default())
                .map(|h| {
                    assert_eq!(h["sort"].as_array().map(Vec::len), Some(1), "{h}");
                    h["sort"][0].as_i64().unwrap_or_default()
                })
                .collect();
            assert!(keys.windows(2).all(|w| w[0] >= w[1]));
        }
        if sort.is_null() {
            assert!(pages[0]["hits"]["hits"][0].get("sort").is_none());
            assert!(pages[0]["hits"]["hits"][0]["_score"].is_number());
        }
        let r = json(a, "DELETE", "/logs/_doc/late?refresh=true", None);
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // the client helpers' way: scroll_id in the URL, `rest_total_hits_as_int` per request
    let first = ok(a, "/logs/_search?scroll=30s&size=1000", &json!({}));
    let id = first["_scroll_id"].as_str().expect("_scroll_id").to_owned();
    let r = send(
        a,
        "GET",
        &format!("/_search/scroll/{id}?scroll=30s&rest_total_hits_as_int=true"),
        &[],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["hits"]["total"], json!(1_234));
    assert_eq!(ids(&r.json()).len(), 234);
    assert_eq!(
        scroll_all(a, "/logs/_search?scroll=1m&size=500", &json!({}))
            .iter()
            .map(|p| ids(p).len())
            .sum::<usize>(),
        1_234
    );
}

#[test]
fn clear_scroll_frees_contexts_as_elasticsearch_answers() {
    let t = setup(20);
    let a = t.addr();
    let open = |n: usize| -> Vec<String> {
        (0..n)
            .map(|_| {
                ok(a, "/logs/_search?scroll=1m&size=5", &json!({}))["_scroll_id"]
                    .as_str()
                    .expect("_scroll_id")
                    .to_owned()
            })
            .collect()
    };
    let ids1 = open(2);
    let r = json(
        a,
        "DELETE",
        "/_search/scroll",
        Some(&json!({"scroll_id": ids1})),
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"succeeded": true, "num_freed": 2}))
    );
    // freed: a second clear finds nothing (404, ES's body), a page is search_context_missing
    let r = json(
        a,
        "DELETE",
        "/_search/scroll",
        Some(&json!({"scroll_id": ids1[0]})),
    );
    assert_eq!(
        (r.status, r.json()),
        (404, json!({"succeeded": true, "num_freed": 0}))
    );
    let r = post(a, "/_search/scroll", &json!({"scroll_id": ids1[0]}));
    let (status, ty, reason) = failure(&r);
    assert_eq!(
        (status, ty.as_str()),
        (404, "search_context_missing_exception")
    );
    assert!(
        reason.starts_with("No search context found for id ["),
        "{reason}"
    );
    assert_eq!(
        r.json()["error"]["type"],
        "search_phase_execution_exception"
    );
    // `_all` frees every scroll and leaves points in time alone
    let pit = open_pit(a, "logs", "1m");
    open(3);
    let r = send(a, "DELETE", "/_search/scroll/_all", &[], b"");
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"succeeded": true, "num_freed": 3}))
    );
    let r = post(a, "/_search", &json!({"pit": {"id": pit}}));
    assert_eq!(r.status, 200, "{}", r.text());
    // a point-in-time id is not a scroll id, nor the other way round
    let r = post(a, "/_search/scroll", &json!({"scroll_id": pit}));
    assert_eq!(
        failure(&r),
        (
            400,
            "illegal_argument_exception".into(),
            "Cannot parse scroll id".into()
        )
    );
    let sid = open(1).remove(0);
    let r = close_pit(a, &sid);
    assert_eq!(failure(&r).1, "illegal_argument_exception");
    let r = post(a, "/_search", &json!({"pit": {"id": sid}}));
    assert_eq!(failure(&r).0, 400);
}

#[test]
fn scroll_refusals_use_elasticsearch_wording() {
    let t = setup(10);
    let a = t.addr();
    let refused =
        |path: &str, body: &Value| -> (u16, String, String) { failure(&post(a, path, body)) };
    let validation = |msgs: &[&str]| -> (u16, String, String) {
        let reason = msgs
            .iter()
            .enumerate()
            .map(|(i, m)| format!("{}: {m};", i + 1))
            .collect::<String>();
        (
            400,
            "action_request_validation_exception".into(),
            format!("Validation Failed: {reason}"),
        )
    };
    assert_eq!(
        refused(
            "/logs/_search?scroll=1m",
            &json!({"from": 5, "size": 0, "track_total_hits": 100})
        ),
        validation(&[
            "disabling [track_total_hits] is not allowed in a scroll context",
            "using [from] is not allowed in a scroll context",
            "[size] cannot be [0] in a scroll context",
        ])
    );
    assert_eq!(
        refused(
            "/logs/_search?scroll=1m",
            &json!({"sort": ["count"], "search_after": [3]})
        ),
        validation(&["[search_after] cannot be used in a scroll context"])
    );
    assert_eq!(
        refused("/logs/_search?scroll=1m&request_cache=true", &json!({})),
        validation(&["[request_cache] cannot be used in a scroll context"])
    );
    assert_eq!(
        refused("/logs/_search?scroll=1x", &json!({})).1,
        "illegal_argument_exception"
    );
    assert_eq!(
        refused("/logs/_search?scroll=2d", &json!({})).1,
        "illegal_argument_exception"
    );
    assert_eq!(
        refused("/_search/scroll", &json!({})),
        validation(&["scrollId is missing"])
    );
    assert_eq!(
        refused("/_search/scroll", &json!({"scroll_id": "x", "size": 3})),
        (
            400,
            "illegal_argument_exception".into(),
            "Unknown parameter [size] in request body or parameter is of the wrong type[VALUE_NUMBER] ".into()
        )
    );
    assert_eq!(
        refused("/_search/scroll", &json!({"scroll_id": "bm90IGEgc2Nyb2xs"})),
        (
            400,
            "illegal_argument_exception".into(),
            "Cannot parse scroll id".into()
        )
    );
    let r = json(a, "DELETE", "/_search/scroll", Some(&json!({})));
    assert_eq!(failure(&r), validation(&["no scroll ids specified"]));
}

#[test]
fn scroll_contexts_expire_after_their_keep_alive() {
    let t = setup(10);
    let a = t.addr();
    let first = ok(a, "/logs/_search?scroll=300ms&size=2", &json!({}));
    let id = first["_scroll_id"].as_str().expect("_scroll_id").to_owned();
    // a page with a new keep-alive renews it
    let r = post(
        a,
        "/_search/scroll",
        &json!({"scroll_id": id, "scroll": "400ms"}),
    );
    assert_eq!(ids(&r.json()).len(), 2, "{}", r.text());
    std::thread::sleep(Duration::from_millis(900));
    let r = post(a, "/_search/scroll", &json!({"scroll_id": id}));
    assert_eq!(failure(&r).1, "search_context_missing_exception");
}

/// The best hits by one numeric column (the store's block path for sorted pages) are a full
/// sort's first ones, whether the values rise, fall, repeat or are missing along the documents.
#[test]
fn top_hits_by_a_column_agree_with_a_full_sort_in_every_order() {
    const N: i64 = 3000;
    let t = TestServer::start();
    let a = t.addr();
    let r = json(
        a,
        "PUT",
        "/cols",
        Some(&json!({"mappings": {"properties": {
            "up": {"type": "long"}, "down": {"type": "long"},
            "mixed": {"type": "long"}, "gappy": {"type": "double"}
        }}})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let doc = |i: i64| {
        let mut d = json!({"up": i, "down": N - i, "mixed": (i * 7919) % 1000});
        if i % 3 != 0 {
            d["gappy"] = json!((i % 97) as f64 / 4.0);
        }
        d
    };
    bulk(a, "cols", (0..N).map(|i| (format!("c{i}"), doc(i))));
    for field in ["up", "down", "mixed", "gappy"] {
        for (order, missing) in [("asc", "_last"), ("desc", "_last"), ("desc", "_first")] {
            for size in [1, 10, 50] {
                // the reference: every document's value, sorted here
                let mut vals: Vec<Option<f64>> = (0..N).map(|i| doc(i)[field].as_f64()).collect();
                vals.sort_by(|x, y| {
                    use std::cmp::Ordering;
                    match (x, y) {
                        (None, None) => Ordering::Equal,
                        (None, Some(_)) if missing == "_first" => Ordering::Less,
                        (None, Some(_)) => Ordering::Greater,
                        (Some(_), None) if missing == "_first" => Ordering::Greater,
                        (Some(_), None) => Ordering::Less,
                        (Some(p), Some(q)) if order == "asc" => p.total_cmp(q),
                        (Some(p), Some(q)) => q.total_cmp(p),
                    }
                });
                let body = json!({"size": size, "sort": [
                    {field: {"order": order, "missing": missing}}, {"_doc": order}
                ]});
                let resp = ok(a, "/cols/_search", &body);
                let got: Vec<Option<f64>> = resp["hits"]["hits"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| {
                        let v = &h["sort"][0];
                        // a missing value sorts as the type's extreme, as in ES
                        let extreme = v
                            .as_f64()
                            .is_some_and(|f| f.abs() >= 2.1e9 || f.is_infinite())
                            || matches!(v.as_str(), Some("Infinity" | "-Infinity"));
                        if h["_source"][field].is_null() {
                            assert!(extreme || v.is_null(), "{field} {order}: {h}");
                            None
                        } else {
                            h["_source"][field].as_f64()
                        }
                    })
                    .collect();
                assert_eq!(
                    got,
                    vals[..size].to_vec(),
                    "{field} {order} missing {missing} size {size}"
                );
            }
        }
    }
}

/// A page sorted by the field a date histogram counts reads that column once for both (the
/// store's shared read); the buckets are those of the histogram alone, over many blocks.
#[test]
fn a_histogram_beside_hits_sorted_by_its_field_counts_as_alone() {
    let t = TestServer::start();
    let a = t.addr();
    let r = json(
        a,
        "PUT",
        "/hist",
        Some(&json!({"mappings": {"properties": {"t": {"type": "date"}, "n": {"type": "long"}}}})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // mostly rising times (events in order), with every ninth out of order
    let doc = |i: i64| {
        let t = if i % 9 == 0 {
            T0 + (i * 7919 % 5000) * 60_000
        } else {
            T0 + i * 60_000
        };
        json!({"t": t, "n": i})
    };
    bulk(a, "hist", (0..5000).map(|i| (format!("h{i}"), doc(i))));
    let agg =
        json!({"h": {"date_histogram": {"field": "t", "fixed_interval": "7h", "offset": "+13m"}}});
    let alone = ok(a, "/hist/_search", &json!({"size": 0, "aggs": agg}));
    for sort in [
        json!([{"t": "desc"}, {"_doc": "desc"}]),
        json!([{"t": "asc"}]),
        json!([{"n": "desc"}]),
    ] {
        let both = ok(
            a,
            "/hist/_search",
            &json!({"size": 50, "sort": sort, "aggs": agg, "query": {"range": {"t": {"gte": T0}}}}),
        );
        assert_eq!(both["aggregations"], alone["aggregations"], "{sort}");
        assert_eq!(both["hits"]["hits"].as_array().unwrap().len(), 50);
    }
}

/// `prefix`, `wildcard` and `regexp` score a constant: a `rewrite` that would score terms
/// (`top_terms_N`, `scoring_boolean`) is refused by name, the constant-score ones accepted.
#[test]
fn scoring_rewrites_are_refused_by_name() {
    let t = setup(10);
    for q in ["prefix", "wildcard", "regexp"] {
        let value = match q {
            "prefix" => "al",
            "wildcard" => "al*",
            _ => "al.*",
        };
        let body = json!({"query": {q: {"user": {"value": value, "rewrite": "top_terms_10"}}}});
        let (status, kind, reason) = failure(&post(t.addr(), "/logs/_search", &body));
        assert_eq!(
            (status, kind.as_str()),
            (400, "illegal_argument_exception"),
            "{reason}"
        );
        assert!(reason.contains("[rewrite] [top_terms_10]"), "{reason}");
        let body =
            json!({"query": {q: {"user": {"value": value, "rewrite": "constant_score_blended"}}}});
        let hits = ok(t.addr(), "/logs/_search", &body);
        assert!(
            hits["hits"]["total"]["value"].as_u64().unwrap() > 0,
            "{hits}"
        );
    }
}
