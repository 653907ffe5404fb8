//! HTTP round trips through `store::http::spawn`, checking Elasticsearch's exact response shapes.

use std::io::{BufRead, BufReader, Read, Write};

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{get, json, ndjson, send};

fn seed_mapping() -> Value {
    json!({"mappings": {"properties": {
        "timestamp": {"type": "date"},
        "level": {"type": "keyword"},
        "message": {"type": "text"},
        "user": {"type": "keyword"},
        "action": {"type": "keyword"},
        "duration": {"type": "float"},
        "source": {"type": "keyword"}
    }}})
}

#[test]
fn info_answers_as_elasticsearch_8() {
    let t = TestServer::start();
    let r = get(t.addr(), "/");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-elastic-product"), Some("Elasticsearch"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let b = r.json();
    let keys: Vec<&str> = b
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["name", "cluster_name", "cluster_uuid", "version", "tagline"]
    );
    assert_eq!(b["tagline"], "You Know, for Search");
    assert_eq!(b["version"]["distribution"], "sluice");
    assert!(
        b["version"]["number"]
            .as_str()
            .expect("number")
            .starts_with("8.")
    );
    for k in [
        "build_flavor",
        "lucene_version",
        "minimum_wire_compatibility_version",
        "minimum_index_compatibility_version",
    ] {
        assert!(b["version"][k].is_string(), "version.{k} in {b}");
    }
    // Stable across calls (derived from the data directory).
    assert_eq!(get(t.addr(), "/").json()["cluster_uuid"], b["cluster_uuid"]);

    let traced = send(t.addr(), "GET", "/", &[("X-Opaque-Id", "req-42")], b"");
    assert_eq!(traced.header("x-opaque-id"), Some("req-42"));

    let head = send(t.addr(), "HEAD", "/", &[], b"");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("x-elastic-product"), Some("Elasticsearch"));
}

#[test]
fn versioned_media_types_are_mirrored() {
    let t = TestServer::start();
    let compat = "application/vnd.elasticsearch+json; compatible-with=8";
    let r = send(t.addr(), "GET", "/", &[("Accept", compat)], b"");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.elasticsearch+json;compatible-with=8")
    );
    let r = send(
        t.addr(),
        "PUT",
        "/compat",
        &[("Accept", compat), ("Content-Type", compat)],
        br#"{"mappings":{"properties":{"a":{"type":"keyword"}}}}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = send(
        t.addr(),
        "GET",
        "/",
        &[(
            "Accept",
            "application/vnd.elasticsearch+json; compatible-with=9",
        )],
        b"",
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["type"], "media_type_header_exception");
}

#[test]
fn index_lifecycle() {
    let t = TestServer::start();
    let a = t.addr();
    let r = json(a, "PUT", "/python-logs", Some(&seed_mapping()));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"acknowledged": true, "shards_acknowledged": true, "index": "python-logs"})
    );

    let again = json(a, "PUT", "/python-logs", Some(&seed_mapping()));
    assert_eq!(again.status, 400);
    let e = again.json();
    assert_eq!(e["status"], 400);
    assert_eq!(e["error"]["type"], "resource_already_exists_exception");
    assert_eq!(
        e["error"]["root_cause"][0]["type"],
        "resource_already_exists_exception"
    );
    assert!(
        e["error"]["reason"]
            .as_str()
            .expect("reason")
            .starts_with("index [python-logs/"),
        "{e}"
    );

    let bad = json(a, "PUT", "/Bad", None);
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["type"], "invalid_index_name_exception");

    assert_eq!(send(a, "HEAD", "/python-logs", &[], b"").status, 200);
    assert_eq!(send(a, "HEAD", "/nope", &[], b"").status, 404);

    let m = get(a, "/python-logs/_mapping").json();
    assert_eq!(
        m["python-logs"]["mappings"]["properties"]["duration"],
        json!({"type": "float"})
    );
    assert_eq!(
        m["python-logs"]["mappings"]["properties"]["user"],
        json!({"type": "keyword"})
    );
    let idx = get(a, "/python-logs").json();
    assert!(idx["python-logs"]["settings"]["index"].is_object(), "{idx}");

    let r = json(a, "DELETE", "/python-logs", None);
    assert_eq!((r.status, r.json()), (200, json!({"acknowledged": true})));
    let missing = get(a, "/python-logs");
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json(),
        json!({"error": {
            "root_cause": [{"type": "index_not_found_exception", "reason": "no such index [python-logs]",
                "resource.type": "index_or_alias", "resource.id": "python-logs", "index_uuid": "_na_", "index": "python-logs"}],
            "type": "index_not_found_exception", "reason": "no such index [python-logs]",
            "resource.type": "index_or_alias", "resource.id": "python-logs", "index_uuid": "_na_", "index": "python-logs"},
            "status": 404})
    );
}

fn assert_write(r: &crate::client::Resp, status: u16, result: &str, version: u64) -> Value {
    assert_eq!(r.status, status, "{}", r.text());
    let b = r.json();
    let keys: Vec<&str> = b
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "forced_refresh")
        .collect();
    assert_eq!(
        keys,
        [
            "_index",
            "_id",
            "_version",
            "result",
            "_shards",
            "_seq_no",
            "_primary_term"
        ],
        "{b}"
    );
    assert_eq!(b["result"], result);
    assert_eq!(b["_version"], version);
    b
}

#[test]
fn document_round_trips() {
    let t = TestServer::start();
    let a = t.addr();
    assert_eq!(json(a, "PUT", "/logs", Some(&seed_mapping())).status, 200);
    let doc = json!({"timestamp": "2026-11-24T10:00:00Z", "level": "INFO", "message": "Log entry 1", "user": "user1", "action": "login", "duration": 1.5, "source": "python-script"});

    let r = json(a, "POST", "/logs/_doc", Some(&doc));
    let b = assert_write(&r, 201, "created", 1);
    let id = b["_id"].as_str().expect("id").to_owned();
    assert_eq!(id.len(), 20, "ES-style generated id: {id}");
    assert_eq!(
        r.header("location"),
        Some(format!("/logs/_doc/{id}").as_str())
    );
    // One primary and one (unassigned) replica: what a single-node Elasticsearch answers.
    assert_eq!(
        b["_shards"],
        json!({"total": 2, "successful": 1, "failed": 0})
    );

    let g = get(a, &format!("/logs/_doc/{id}"));
    assert_eq!(g.status, 200);
    let gb = g.json();
    assert_eq!(
        (
            gb["_index"].clone(),
            gb["found"].clone(),
            gb["_source"].clone()
        ),
        (json!("logs"), json!(true), doc.clone())
    );
    let no_source = get(a, &format!("/logs/_doc/{id}?_source=false")).json();
    assert!(no_source.get("_source").is_none(), "{no_source}");

    assert_write(
        &json(a, "PUT", "/logs/_doc/one", Some(&doc)),
        201,
        "created",
        1,
    );
    let b = assert_write(
        &json(a, "PUT", "/logs/_doc/one?refresh=true", Some(&doc)),
        200,
        "updated",
        2,
    );
    assert_eq!(b["forced_refresh"], true, "{b}");
    let b = assert_write(
        &json(a, "PUT", "/logs/_doc/one", Some(&doc)),
        200,
        "updated",
        3,
    );
    assert!(b.get("forced_refresh").is_none(), "{b}");
    let conflict = json(a, "PUT", "/logs/_create/one", Some(&doc));
    assert_eq!(conflict.status, 409);
    assert_eq!(
        conflict.json()["error"]["type"],
        "version_conflict_engine_exception"
    );
    assert_write(
        &json(a, "POST", "/logs/_create/two", Some(&doc)),
        201,
        "created",
        1,
    );
    assert_eq!(send(a, "HEAD", "/logs/_doc/two", &[], b"").status, 200);

    let missing = get(a, "/logs/_doc/nope");
    assert_eq!(
        (missing.status, missing.json()),
        (
            404,
            json!({"_index": "logs", "_id": "nope", "found": false})
        )
    );
    assert_eq!(send(a, "HEAD", "/logs/_doc/nope", &[], b"").status, 404);

    assert_write(
        &json(a, "DELETE", "/logs/_doc/two", None),
        200,
        "deleted",
        2,
    );
    let gone = json(a, "DELETE", "/logs/_doc/two", None);
    assert_eq!(gone.status, 404);
    assert_eq!(gone.json()["result"], "not_found");
}

#[test]
fn bulk_reports_each_item_and_searches_see_them() {
    let t = TestServer::start();
    let a = t.addr();
    assert_eq!(json(a, "PUT", "/logs", Some(&seed_mapping())).status, 200);
    let body = concat!(
        "{\"index\":{}}\n{\"user\":\"user1\",\"action\":\"login\",\"duration\":1.0,\"level\":\"INFO\"}\n",
        "{\"index\":{\"_id\":\"b\"}}\n{\"user\":\"user2\",\"action\":\"view\",\"duration\":3.0,\"level\":\"ERROR\"}\n",
        "{\"create\":{\"_id\":\"b\"}}\n{\"user\":\"user2\"}\n",
        "{\"index\":{\"_id\":\"bad\"}}\n{\"duration\":\"not a number\"}\n",
        "{\"index\":{\"_index\":\"other\",\"_id\":\"o\"}}\n{\"user\":\"user3\"}\n",
        "{\"delete\":{\"_id\":\"missing\"}}\n",
    );
    let r = ndjson(a, "/logs/_bulk?refresh=true", body);
    assert_eq!(r.status, 200, "{}", r.text());
    let b = r.json();
    assert_eq!(b["errors"], true);
    assert!(b["took"].is_u64());
    let items = b["items"].as_array().expect("items");
    let summary: Vec<(String, u64, String)> = items
        .iter()
        .map(|it| {
            let (op, v) = it
                .as_object()
                .expect("item")
                .iter()
                .next()
                .expect("one key");
            let outcome = v.get("result").and_then(Value::as_str).map_or_else(
                || v["error"]["type"].as_str().unwrap_or("?").to_owned(),
                str::to_owned,
            );
            (op.clone(), v["status"].as_u64().expect("status"), outcome)
        })
        .collect();
    let want: Vec<(String, u64, String)> = [
        ("index", 201, "created"),
        ("index", 201, "created"),
        ("create", 409, "version_conflict_engine_exception"),
        ("index", 400, "document_parsing_exception"),
        ("index", 201, "created"),
        ("delete", 404, "not_found"),
    ]
    .iter()
    .map(|(o, s, r)| ((*o).to_owned(), *s, (*r).to_owned()))
    .collect();
    assert_eq!(summary, want, "{b}");
    assert_eq!(items[4]["index"]["_index"], "other");

    // What was acknowledged is searchable (refresh=true).
    assert_eq!(get(a, "/logs/_count").json()["count"], 2);
    assert_eq!(get(a, "/logs,other/_count").json()["count"], 3);
    assert_eq!(get(a, "/_count?q=user:user2").json()["count"], 1);
    let s = json(
        a,
        "POST",
        "/logs/_search",
        Some(&json!({
            "size": 0,
            "aggs": {"actions": {"terms": {"field": "action"}, "aggs": {"avg_duration": {"avg": {"field": "duration"}}}}}
        })),
    );
    assert_eq!(s.status, 200, "{}", s.text());
    let sb = s.json();
    assert_eq!(sb["hits"]["total"], json!({"value": 2, "relation": "eq"}));
    assert_eq!(
        sb["aggregations"]["actions"]["buckets"],
        json!([
            {"key": "login", "doc_count": 1, "avg_duration": {"value": 1.0}},
            {"key": "view", "doc_count": 1, "avg_duration": {"value": 3.0}}
        ])
    );
    let hits = get(a, "/logs/_search?q=level:ERROR").json();
    assert_eq!(hits["hits"]["hits"][0]["_id"], "b");
    assert_eq!(hits["hits"]["hits"][0]["_source"]["user"], "user2");
}

#[test]
fn cat_health_refresh_and_response_filters() {
    let t = TestServer::start();
    let a = t.addr();
    assert_eq!(ndjson(a, "/_bulk", "{\"index\":{\"_index\":\"b-logs\"}}\n{\"x\":1}\n{\"index\":{\"_index\":\"a-logs\"}}\n{\"x\":2}\n{\"index\":{\"_index\":\"a-logs\"}}\n{\"x\":3}\n").status, 200);
    let r = json(a, "POST", "/_refresh", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["_shards"]["failed"], 0);

    let cat = get(a, "/_cat/indices?format=json&h=index,docs.count");
    assert_eq!(cat.status, 200);
    assert_eq!(
        cat.json(),
        json!([{"index": "a-logs", "docs.count": "2"}, {"index": "b-logs", "docs.count": "1"}])
    );
    let text = get(a, "/_cat/indices?v&h=index,docs.count&s=docs.count:desc");
    assert_eq!(
        text.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
    assert_eq!(
        text.text(),
        "index  docs.count\na-logs          2\nb-logs          1\n"
    );
    let plain = get(a, "/_cat/indices").text();
    assert_eq!(plain.lines().count(), 2, "{plain}");
    assert!(
        plain.lines().next().expect("line").contains("a-logs"),
        "{plain}"
    );

    // Auto-created indices have one replica that a single node cannot assign: yellow, as ES.
    let h = get(a, "/_cluster/health?wait_for_status=yellow&timeout=1s").json();
    assert_eq!(
        (h["status"].clone(), h["timed_out"].clone()),
        (json!("yellow"), json!(false))
    );
    let g = get(a, "/_cluster/health?wait_for_status=green&timeout=1s");
    assert_eq!(
        (g.status, g.json()["timed_out"].clone()),
        (408, json!(true))
    );
    let h = get(a, "/_cluster/health").json();
    assert!(
        matches!(h["status"].as_str(), Some("green" | "yellow")),
        "{h}"
    );
    assert_eq!(h["number_of_nodes"], 1);

    let f = get(
        a,
        "/a-logs/_search?filter_path=hits.total.value,took&pretty",
    )
    .json();
    let keys: Vec<&str> = f
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["took", "hits"]);
    assert_eq!(f["hits"], json!({"total": {"value": 2}}));
    let pretty = get(a, "/?pretty").text();
    assert!(pretty.starts_with("{\n"), "{pretty}");
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    let t = TestServer::start();
    let mut s = std::net::TcpStream::connect(t.addr()).expect("connect");
    let mut reader = BufReader::new(s.try_clone().expect("clone"));
    for i in 0..3 {
        write!(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").expect("write");
        let mut status = String::new();
        reader.read_line(&mut status).expect("status");
        assert!(status.starts_with("HTTP/1.1 200"), "request {i}: {status}");
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().expect("length");
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).expect("body");
        let v: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["tagline"], "You Know, for Search");
    }
}

#[test]
fn refresh_interval_set_through_settings_is_honoured_and_kept() {
    let t = crate::TestServer::start();
    let a = t.addr();
    let send = |method: &str, path: &str, body: Option<&serde_json::Value>| {
        let r = crate::client::json(a, method, path, body);
        assert!(r.status < 300, "{method} {path}: {} {}", r.status, r.text());
        r.json()
    };
    send("PUT", "/ri", None);
    send(
        "PUT",
        "/ri/_settings",
        Some(&serde_json::json!({"index": {"refresh_interval": "-1"}})),
    );
    send("PUT", "/ri/_doc/1", Some(&serde_json::json!({"a": 1})));
    // the store's background refresh runs every second: well past it, still not searchable
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(send("GET", "/ri/_count", None)["count"], 0);
    let t = t.restart();
    let a = t.addr();
    let r = crate::client::json(a, "GET", "/ri/_settings/index.refresh_interval", None).json();
    assert_eq!(
        r,
        serde_json::json!({"ri": {"settings": {"index": {"refresh_interval": "-1"}}}})
    );
    let r = crate::client::json(
        a,
        "PUT",
        "/ri/_settings",
        Some(&serde_json::json!({"refresh_interval": "100ms"})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let mut count = serde_json::Value::Null;
    for _ in 0..50 {
        count = crate::client::json(a, "GET", "/ri/_count", None).json()["count"].clone();
        if count == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(count, 1, "refreshed by the new interval");
}

#[test]
fn index_stats_count_documents_and_bytes_in_elasticsearch_shape() {
    let t = crate::TestServer::start();
    let a = t.addr();
    let bulk = "{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n{\"index\":{\"_id\":\"2\"}}\n{\"a\":2}\n{\"index\":{\"_id\":\"3\"}}\n{\"a\":3}\n";
    assert_eq!(
        ndjson(a, "/st/_bulk?refresh=true", bulk).json()["errors"],
        false
    );
    assert_eq!(
        json(a, "DELETE", "/st/_doc/3?refresh=true", None).status,
        200
    );
    let v = get(a, "/st/_stats/docs,store").json();
    assert_eq!(v["_shards"]["failed"], 0);
    for part in [&v["_all"]["primaries"], &v["indices"]["st"]["total"]] {
        assert_eq!(part["docs"]["count"], 2, "{v}");
        assert!(
            part["store"]["size_in_bytes"]
                .as_u64()
                .is_some_and(|b| b > 0),
            "{v}"
        );
        assert_eq!(part["store"]["reserved_in_bytes"], 0);
    }
    assert_eq!(v["indices"]["st"]["status"], "open");
    let only_docs = get(a, "/_stats/docs").json();
    assert!(
        only_docs["_all"]["total"].get("store").is_none(),
        "{only_docs}"
    );
    let r = get(a, "/st/_stats/mappings");
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text()
            .contains("index stats metric [mappings] is not kept by sluice-store"),
        "{}",
        r.text()
    );
    assert_eq!(get(a, "/nope/_stats").status, 404);
}

#[test]
fn cluster_health_waits_for_nodes_as_one_node_can() {
    let t = crate::TestServer::start();
    let a = t.addr();
    for (q, status) in [
        ("wait_for_nodes=1", 200),
        ("wait_for_nodes=%3E%3D1", 200),
        ("wait_for_nodes=%3C%3D2", 200),
        ("wait_for_nodes=2&timeout=200ms", 408),
        ("wait_for_nodes=%3E1&timeout=200ms", 408),
        ("wait_for_nodes=x", 400),
    ] {
        let r = get(a, &format!("/_cluster/health?{q}"));
        assert_eq!(r.status, status, "{q}: {}", r.text());
    }
}

#[test]
fn cat_shards_lists_each_primary_and_the_unassigned_replicas() {
    let t = crate::TestServer::start();
    let a = t.addr();
    let r = json(
        a,
        "PUT",
        "/cs",
        Some(&json!({"settings": {"number_of_shards": 2, "number_of_replicas": 1}})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let bulk: String = (0..20)
        .map(|i| format!("{{\"index\":{{\"_id\":\"{i}\"}}}}\n{{\"n\":{i}}}\n"))
        .collect();
    assert_eq!(
        ndjson(a, "/cs/_bulk?refresh=true", &bulk).json()["errors"],
        false
    );
    let rows = get(a, "/_cat/shards/cs?format=json&bytes=b").json();
    let rows = rows.as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 4, "{rows:?}");
    let primaries: Vec<&Value> = rows.iter().filter(|r| r["prirep"] == "p").collect();
    assert_eq!(primaries.len(), 2);
    let docs: u64 = primaries
        .iter()
        .map(|r| {
            r["docs"]
                .as_str()
                .and_then(|d| d.parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(docs, 20, "every document on one primary");
    for p in &primaries {
        assert_eq!(p["state"], "STARTED");
        assert!(
            p["store"]
                .as_str()
                .and_then(|s| s.parse::<u64>().ok())
                .is_some_and(|b| b > 0)
        );
    }
    for r in rows.iter().filter(|r| r["prirep"] == "r") {
        assert_eq!(r["state"], "UNASSIGNED");
        assert_eq!(r["docs"], Value::Null);
        assert_eq!(r["node"], Value::Null);
    }
    let text = get(a, "/_cat/shards/cs?v").text();
    assert!(text.starts_with("index shard prirep state"), "{text}");
    assert_eq!(get(a, "/_cat/shards/nope").status, 404);
}
