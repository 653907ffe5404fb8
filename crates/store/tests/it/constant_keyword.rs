//! `constant_keyword` through HTTP, as Elasticsearch documents it: the value comes from the
//! mapping or from the first document that has one, other values are refused, and queries
//! test that one value (matching every document or none); terms aggregations, sorting and
//! field caps see a keyword. There is no differential test: the Elasticsearch that
//! `cargo xtask peers es` starts has no x-pack mapper modules, and answers that the type does
//! not exist. Where sluice-store differs: a document without the field is in no terms
//! bucket and sorts as missing (Elasticsearch gives every document the value).

use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{get, hit_ids, json, ndjson};

fn create(a: SocketAddr, index: &str, field: &Value) {
    let r = json(
        a,
        "PUT",
        &format!("/{index}"),
        Some(&json!({"mappings": {"properties": {"n": {"type": "long"}, "kind": field}}})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

fn bulk(a: SocketAddr, index: &str, docs: &[Value]) -> Value {
    let mut body = String::new();
    for (i, d) in docs.iter().enumerate() {
        body.push_str(&format!("{{\"index\":{{\"_id\":\"{i}\"}}}}\n{d}\n"));
    }
    ndjson(a, &format!("/{index}/_bulk?refresh=true"), &body).json()
}

fn ids(a: SocketAddr, index: &str, q: &Value) -> Vec<String> {
    let r = json(
        a,
        "POST",
        &format!("/{index}/_search"),
        Some(&json!({"query": q, "sort": [{"n": "asc"}]})),
    );
    assert_eq!(r.status, 200, "{q}: {}", r.text());
    hit_ids(&r.json())
}

#[test]
fn the_value_comes_from_the_mapping_or_the_first_document() {
    let t = TestServer::start();
    let a = t.addr();
    create(
        a,
        "fixed",
        &json!({"type": "constant_keyword", "value": "logs"}),
    );
    let r = bulk(
        a,
        "fixed",
        &[
            json!({"n": 0, "kind": "logs"}),
            json!({"n": 1}),
            json!({"n": 2, "kind": "metrics"}),
        ],
    );
    assert_eq!(r["items"][2]["index"]["status"], 400, "{r}");
    assert_eq!(
        r["items"][2]["index"]["error"]["reason"],
        "failed to parse field [kind] of type [constant_keyword] in document with id '2'. Preview of field's value: 'metrics'"
    );
    assert_eq!(
        r["items"][2]["index"]["error"]["caused_by"]["reason"],
        "[constant_keyword] field [kind] only accepts values that are equal to the value defined in the mappings [logs], but got [metrics]"
    );
    // no value yet: the first document sets it
    create(a, "open", &json!({"type": "constant_keyword"}));
    let m = get(a, "/open/_mapping").json();
    assert_eq!(
        m["open"]["mappings"]["properties"]["kind"],
        json!({"type": "constant_keyword"})
    );
    assert!(ids(a, "open", &json!({"term": {"kind": "x"}})).is_empty());
    assert!(ids(a, "open", &json!({"exists": {"field": "kind"}})).is_empty());
    let r = bulk(
        a,
        "open",
        &[json!({"n": 0, "kind": "x"}), json!({"n": 1, "kind": "y"})],
    );
    assert_eq!(r["items"][0]["index"]["status"], 201, "{r}");
    assert_eq!(r["items"][1]["index"]["status"], 400, "{r}");
    let m = get(a, "/open/_mapping").json();
    assert_eq!(
        m["open"]["mappings"]["properties"]["kind"],
        json!({"type": "constant_keyword", "value": "x"})
    );
    // ... and it survives a restart
    let t = t.restart();
    let a = t.addr();
    let m = get(a, "/open/_mapping").json();
    assert_eq!(m["open"]["mappings"]["properties"]["kind"]["value"], "x");
    let r = json(a, "PUT", "/open/_doc/z", Some(&json!({"kind": "z"})));
    assert_eq!(r.status, 400, "{}", r.text());
    // it takes its value and nothing else, and is no multi-field
    for (def, reason) in [
        (
            json!({"type": "constant_keyword", "index": false}),
            "unknown parameter [index] on mapper [kind] of type [constant_keyword]",
        ),
        (
            json!({"type": "keyword", "fields": {"c": {"type": "constant_keyword"}}}),
            "Field [c] of type [constant_keyword] can't be used in multifields",
        ),
    ] {
        let r = json(
            a,
            "PUT",
            "/bad",
            Some(&json!({"mappings": {"properties": {"kind": def}}})),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(r.json()["error"]["reason"], reason, "{}", r.text());
    }
}

#[test]
fn queries_test_the_one_value() {
    let t = TestServer::start();
    let a = t.addr();
    create(
        a,
        "logs",
        &json!({"type": "constant_keyword", "value": "logs"}),
    );
    let r = bulk(
        a,
        "logs",
        &[
            json!({"n": 0, "kind": "logs"}),
            json!({"n": 1}),
            json!({"n": 2, "kind": "logs"}),
        ],
    );
    assert_eq!(r["errors"], false, "{r}");
    let all = ["0", "1", "2"];
    for (q, want) in [
        (json!({"term": {"kind": "logs"}}), &all[..]),
        (json!({"term": {"kind": "metrics"}}), &[][..]),
        (
            json!({"term": {"kind": {"value": "LOGS", "case_insensitive": true}}}),
            &all[..],
        ),
        (json!({"terms": {"kind": ["metrics", "logs"]}}), &all[..]),
        (json!({"prefix": {"kind": "lo"}}), &all[..]),
        (json!({"prefix": {"kind": "x"}}), &[][..]),
        (json!({"wildcard": {"kind": "l*s"}}), &all[..]),
        (json!({"wildcard": {"kind": "m*"}}), &[][..]),
        (json!({"exists": {"field": "kind"}}), &all[..]),
        (json!({"match": {"kind": "logs"}}), &all[..]),
    ] {
        assert_eq!(ids(a, "logs", &q), want, "{q}");
    }
    // a keyword for aggregations, sorting and field caps
    let r = json(
        a,
        "POST",
        "/logs/_search",
        Some(&json!({"size": 0, "aggs": {"k": {"terms": {"field": "kind"}}}})),
    );
    assert_eq!(
        r.json()["aggregations"]["k"]["buckets"],
        json!([{"key": "logs", "doc_count": 2}])
    );
    let r = json(
        a,
        "POST",
        "/logs/_search",
        Some(
            &json!({"sort": [{"kind": "asc"}, {"n": "asc"}], "_source": false, "query": {"ids": {"values": ["0"]}}}),
        ),
    );
    assert_eq!(r.json()["hits"]["hits"][0]["sort"], json!(["logs", 0]));
    let caps = get(a, "/logs/_field_caps?fields=kind").json();
    assert_eq!(
        caps["fields"]["kind"],
        json!({"constant_keyword": {"type": "constant_keyword", "metadata_field": false,
            "searchable": true, "aggregatable": true}})
    );
}
