//! Hostile requests: each gets an Elasticsearch-shaped 4xx, the server stays up, and whatever
//! it accepted opens again after a restart (a document must never brick the store).

use serde_json::{Value, json};
use store::http::{ServerConfig, spawn};

use crate::TestServer;
use crate::client::{get, send};

const JSON: &[(&str, &str)] = &[("Content-Type", "application/json")];

fn post(t: &TestServer, path: &str, body: &Value) -> (u16, Value) {
    let r = send(t.addr(), "POST", path, JSON, body.to_string().as_bytes());
    (r.status, r.json())
}

/// The error `type` and `reason` of an ES error body, and of its first `caused_by`.
fn error_of(body: &Value) -> (String, String) {
    let e = &body["error"];
    let cause = e.get("caused_by").unwrap_or(e);
    (
        e["type"].as_str().unwrap_or_default().to_owned(),
        cause["reason"].as_str().unwrap_or_default().to_owned(),
    )
}

fn nested_doc(levels: usize) -> Value {
    let mut v = json!({"leaf": 1});
    for i in 0..levels {
        v = json!({ format!("l{i}"): v });
    }
    v
}

#[test]
fn deep_lucene_queries_are_parse_errors_not_crashes() {
    let t = TestServer::start();
    assert_eq!(
        post(&t, "/logs/_doc?refresh=true", &json!({"a": "a"})).0,
        201
    );
    let parens = format!("{}a{}", "(".repeat(1300), ")".repeat(1300));
    let chain = format!("{}b", "a:".repeat(2200));
    for q in [&parens, &chain] {
        let r = get(t.addr(), &format!("/logs/_search?q={q}"));
        assert_eq!(r.status, 400, "{}", r.text());
        let (ty, _) = error_of(&r.json());
        assert_eq!(ty, "query_shard_exception");
        let (status, body) = post(
            &t,
            "/logs/_search",
            &json!({"query": {"query_string": {"query": q}}}),
        );
        assert_eq!(status, 400, "{body}");
    }
    // still serving
    assert_eq!(get(t.addr(), "/logs/_count").json()["count"], 1);
}

#[test]
fn mapping_limits_refuse_documents_that_could_not_be_reopened() {
    let t = TestServer::start();
    let cases = [
        (
            nested_doc(63),
            "Limit of mapping depth [20] has been exceeded",
        ),
        (
            json!({ (0..70).map(|i| format!("p{i}")).collect::<Vec<_>>().join("."): 1 }),
            "Limit of mapping depth [20] has been exceeded",
        ),
        (
            Value::Object((0..1001).map(|i| (format!("f{i}"), json!(i))).collect()),
            "Limit of total fields [1000] has been exceeded",
        ),
        (
            json!({ "x".repeat(40_000): 1 }),
            "is longer than the limit of [32766] characters",
        ),
    ];
    for (doc, reason) in &cases {
        let (status, body) = post(&t, "/deep/_doc", doc);
        assert_eq!(status, 400, "{body}");
        let (ty, why) = error_of(&body);
        assert_eq!(ty, "document_parsing_exception", "{body}");
        assert!(why.contains(reason), "{why} should contain {reason}");
    }
    // at the limit: accepted, and kept across a restart together with its mapping
    let deepest = nested_doc(18);
    assert_eq!(post(&t, "/deep/_doc/ok?refresh=true", &deepest).0, 201);
    let fields: Value = Value::Object((0..900).map(|i| (format!("g{i}"), json!(i))).collect());
    assert_eq!(post(&t, "/deep/_doc/wide?refresh=true", &fields).0, 201);
    let mapping_before = get(t.addr(), "/deep/_mapping").json();
    let dir = t.dir;
    t.server.shutdown().expect("clean shutdown");
    let again =
        spawn(ServerConfig::new(dir.path()).disk_threshold(false)).expect("the store opens again");
    let r = get(again.addr(), "/deep/_doc/ok");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["_source"], deepest);
    assert_eq!(get(again.addr(), "/deep/_mapping").json(), mapping_before);
    assert_eq!(get(again.addr(), "/deep/_count").json()["count"], 2);
}

#[test]
fn explicit_mappings_and_settings_are_held_to_the_same_limits() {
    let t = TestServer::start();
    let mut props = json!({"type": "keyword"});
    for i in 0..25 {
        props = json!({"properties": { format!("o{i}"): props }});
    }
    let r = send(
        t.addr(),
        "PUT",
        "/explicit",
        JSON,
        json!({"mappings": props}).to_string().as_bytes(),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["error"]["type"], "illegal_argument_exception");
    // a raised limit is honoured, and a bad one refused by name
    let body = json!({"settings": {"index.mapping.depth.limit": 40}, "mappings": props});
    let r = send(
        t.addr(),
        "PUT",
        "/explicit",
        JSON,
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let body = json!({"settings": {"index": {"mapping": {"total_fields": {"limit": "x"}}}}});
    let r = send(
        t.addr(),
        "PUT",
        "/bad-limit",
        JSON,
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().contains("index.mapping.total_fields.limit"),
        "{}",
        r.text()
    );
}

#[test]
fn control_characters_in_index_names_are_refused_before_anything_is_written() {
    let t = TestServer::start();
    for path in ["/a%0Ab/_doc", "/a%00b/_doc", "/a%0Ab/_doc/1"] {
        let method = if path.ends_with("/1") { "PUT" } else { "POST" };
        let r = send(t.addr(), method, path, JSON, br#"{"x":1}"#);
        assert_eq!(r.status, 400, "{path}: {}", r.text());
        assert_eq!(r.json()["error"]["type"], "invalid_index_name_exception");
        let dir = t.dir.path().to_string_lossy().into_owned();
        assert!(
            !r.text().contains(&dir),
            "{path} shows the data path: {}",
            r.text()
        );
    }
    assert_eq!(get(t.addr(), "/_cat/indices?format=json").json(), json!([]));
}

/// Clients that declare large bodies and stall hold only the bytes they sent: other writes go
/// on (they used to get 429 until the stalled connections closed).
#[test]
fn stalled_bodies_do_not_block_other_writes() {
    use std::io::Write;
    let t = TestServer::with(|c| {
        c.http.max_body_bytes = 100_000;
        // one 2 KB write costs its body plus 256 + 4 × its sources while processed (≈ 10.4 KB)
        c.store.indexing_pressure_memory_limit = 12_000;
    });
    let stalled: Vec<std::net::TcpStream> = (0..6)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(t.addr()).expect("connect");
            write!(
                s,
                "POST /stall/_doc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 90000\r\n\r\n{{"
            )
            .expect("write");
            s
        })
        .collect();
    let doc = json!({"message": "x".repeat(2_000)});
    for i in 0..5 {
        let (status, body) = post(&t, &format!("/logs/_doc/{i}"), &doc);
        assert_eq!(status, 201, "write {i} beside 6 stalled bodies: {body}");
    }
    drop(stalled);
}

/// Empty buckets of nested histograms multiply: the response is bounded over all levels by
/// `search.max_buckets` (it used to grow past 4 GB on a one-document index).
#[test]
fn nested_empty_buckets_are_bounded_over_all_levels() {
    let t = TestServer::start();
    assert_eq!(post(&t, "/h/_doc?refresh=true", &json!({"n": 1})).0, 201);
    let level = |sub: Option<Value>| {
        let mut h = json!({"histogram": {"field": "n", "interval": 1, "min_doc_count": 0,
                                          "extended_bounds": {"min": 0, "max": 60000}}});
        if let Some(s) = sub {
            h["aggs"] = json!({"inner": s});
        }
        h
    };
    let body = json!({"size": 0, "aggs": {"outer": level(Some(level(None)))}});
    let (status, v) = post(&t, "/h/_search", &body);
    assert_eq!(
        status,
        400,
        "{}",
        v.to_string().chars().take(300).collect::<String>()
    );
    let (_, reason) = error_of(&v);
    assert!(
        reason.contains("Trying to create too many buckets"),
        "{reason}"
    );
    // one level of the same size is fine
    let (status, _) = post(
        &t,
        "/h/_search",
        &json!({"size": 0, "aggs": {"outer": level(None)}}),
    );
    assert_eq!(status, 200);
}

/// Two stores on one data directory would corrupt each other: the second is refused with one
/// clear error, and the directory opens again once the first closed.
#[test]
fn a_data_directory_is_opened_by_one_store_at_a_time() {
    let t = TestServer::start();
    let err = spawn(ServerConfig::new(t.dir.path()).disk_threshold(false))
        .expect_err("the directory is locked");
    let text = err.to_string();
    assert!(text.contains("is in use by another sluice-store"), "{text}");
    let dir = t.dir;
    t.server.shutdown().expect("shutdown");
    let again =
        spawn(ServerConfig::new(dir.path()).disk_threshold(false)).expect("free again after close");
    assert_eq!(get(again.addr(), "/").status, 200);
}

/// serde_json reserves one key for its raw values: a document holding it used to be accepted and
/// then read back as `"_source": null` (found by the lazy_event fuzz target). It is refused.
#[test]
fn a_document_the_store_could_not_read_back_is_refused() {
    let t = TestServer::start();
    for doc in [
        json!({"$serde_json::private::RawValue": 4674}),
        json!({"a": {"$serde_json::private::RawValue": "x"}}),
    ] {
        let (status, body) = post(&t, "/rv/_doc?refresh=true", &doc);
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            body["error"]["type"], "document_parsing_exception",
            "{body}"
        );
    }
    let hits = get(t.addr(), "/rv/_search").json();
    assert!(
        hits["hits"]["hits"]
            .as_array()
            .is_none_or(|h| h.iter().all(|h| !h["_source"].is_null())),
        "{hits}"
    );
}
