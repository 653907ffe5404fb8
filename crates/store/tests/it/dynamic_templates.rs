//! `dynamic_templates` through HTTP: Logstash's and Elasticsearch's logs-style lists deciding
//! new fields' mappings, what searches and aggregations then see, index templates carrying
//! them, and a mapping that survives a restart.
//! (`es_diff::dynamic_templates_agree` puts the same kinds of requests to a real
//! Elasticsearch.)

use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{get, hit_ids, json, ndjson, ok};

/// Logstash's ECS template's list: `ip` as ip, `message` as text, other strings as keywords.
fn logstash_templates() -> Value {
    json!([
        {"match_ip": {"match": "ip", "match_mapping_type": "string", "mapping": {"type": "ip"}}},
        {"match_message": {"match": "message", "match_mapping_type": "string", "mapping": {"type": "text"}}},
        {"strings_as_keyword": {"match_mapping_type": "string", "mapping": {"ignore_above": 1024, "type": "keyword"}}}
    ])
}

fn load(a: SocketAddr, index: &str, docs: &[Value]) {
    let mut body = String::new();
    for (i, d) in docs.iter().enumerate() {
        body.push_str(&format!("{{\"index\":{{\"_id\":\"{i}\"}}}}\n{d}\n"));
    }
    let r = ndjson(a, &format!("/{index}/_bulk?refresh=true"), &body);
    assert_eq!(r.json()["errors"], false, "{}", r.text());
}

fn ids(a: SocketAddr, index: &str, q: &Value) -> Vec<String> {
    let r = json(
        a,
        "POST",
        &format!("/{index}/_search"),
        Some(&json!({"query": q, "sort": ["_doc"]})),
    );
    assert_eq!(r.status, 200, "{q}: {}", r.text());
    let mut v = hit_ids(&r.json());
    v.sort();
    v
}

#[test]
fn logstash_templates_map_strings_as_keywords() {
    let t = TestServer::start();
    let a = t.addr();
    let r = json(
        a,
        "PUT",
        "/logs",
        Some(&json!({"mappings": {"dynamic_templates": logstash_templates()}})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    load(
        a,
        "logs",
        &[
            json!({"message": "user login failed", "ip": "10.0.0.1", "host": {"name": "web-1"}, "bytes": 10}),
            json!({"message": "user logout", "ip": "192.168.1.2", "host": {"name": "web-2"}, "bytes": 20}),
        ],
    );
    let m = get(a, "/logs/_mapping").json();
    assert_eq!(
        m["logs"]["mappings"]["properties"],
        json!({
            "bytes": {"type": "long"},
            "host": {"properties": {"name": {"type": "keyword", "ignore_above": 1024}}},
            "ip": {"type": "ip"},
            "message": {"type": "text"}
        })
    );
    assert_eq!(
        m["logs"]["mappings"]["dynamic_templates"],
        logstash_templates()
    );
    // a keyword, not analysed text with a `.keyword` sub-field
    assert_eq!(
        ids(a, "logs", &json!({"term": {"host.name": "web-1"}})),
        ["0"]
    );
    assert!(ids(a, "logs", &json!({"match": {"host.name": "web"}})).is_empty());
    assert_eq!(
        ids(a, "logs", &json!({"term": {"ip": "10.0.0.0/8"}})),
        ["0"]
    );
    assert_eq!(
        ids(a, "logs", &json!({"match": {"message": "login"}})),
        ["0"]
    );
    let r = json(
        a,
        "POST",
        "/logs/_search",
        Some(&json!({"size": 0, "aggs": {"h": {"terms": {"field": "host.name"}}}})),
    );
    let keys: Vec<Value> = r.json()["aggregations"]["h"]["buckets"]
        .as_array()
        .map(|b| b.iter().map(|x| x["key"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(keys, [json!("web-1"), json!("web-2")]);
    // a value the template's type refuses is refused
    let r = json(a, "PUT", "/logs/_doc/x", Some(&json!({"ip": "nope"})));
    assert_eq!(r.status, 400, "{}", r.text());
}

#[test]
fn index_templates_carry_dynamic_templates_across_a_restart() {
    let t = TestServer::start();
    let a = t.addr();
    let r = json(
        a,
        "PUT",
        "/_component_template/ecs",
        Some(&json!({"template": {"mappings": {"dynamic_templates": [
            {"a": {"match": "a_*", "mapping": {"type": "keyword"}}},
            {"b": {"match": "b_*", "mapping": {"type": "keyword"}}}
        ]}}})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = json(
        a,
        "PUT",
        "/_index_template/logs",
        Some(
            &json!({"index_patterns": ["logs-*"], "composed_of": ["ecs"],
            "template": {"mappings": {"dynamic_templates": [
                {"c": {"match_mapping_type": "string", "mapping": {"type": "keyword"}}},
                {"a": {"match": "a_*", "mapping": {"type": "long"}}}
            ]}}}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    load(a, "logs-1", &[json!({"a_1": "5", "b_1": 2, "s": "x y"})]);
    let m = get(a, "/logs-1/_mapping").json();
    let mappings = &m["logs-1"]["mappings"];
    // the index template's `a` replaced the component's where it stood
    assert_eq!(
        mappings["dynamic_templates"],
        json!([
            {"a": {"match": "a_*", "mapping": {"type": "long"}}},
            {"b": {"match": "b_*", "mapping": {"type": "keyword"}}},
            {"c": {"match_mapping_type": "string", "mapping": {"type": "keyword"}}}
        ])
    );
    assert_eq!(
        mappings["properties"],
        json!({"a_1": {"type": "long"}, "b_1": {"type": "keyword"}, "s": {"type": "keyword"}})
    );
    // the list is part of the persisted mapping
    let t = t.restart();
    let m = get(t.addr(), "/logs-1/_mapping").json();
    assert_eq!(
        m["logs-1"]["mappings"]["dynamic_templates"],
        mappings["dynamic_templates"]
    );
    load(t.addr(), "logs-1", &[json!({"a_2": 7, "t": "y"})]);
    let m = get(t.addr(), "/logs-1/_mapping").json();
    assert_eq!(
        m["logs-1"]["mappings"]["properties"]["a_2"],
        json!({"type": "long"})
    );
    assert_eq!(
        m["logs-1"]["mappings"]["properties"]["t"],
        json!({"type": "keyword"})
    );
}

#[test]
fn malformed_and_unsupported_templates_are_refused_by_name() {
    let t = TestServer::start();
    let a = t.addr();
    for (templates, reason) in [
        (
            json!([{"r": {"match": "*", "runtime": {"type": "keyword"}}}]),
            "[runtime] in dynamic template [r] is not supported by sluice-store (it has no runtime fields)",
        ),
        (
            json!([{"g": {"match": "*_geo", "mapping": {"type": "version"}}}]),
            "field type [version] of field [__dynamic__g] is not supported by sluice-store",
        ),
    ] {
        let r = json(
            a,
            "PUT",
            "/bad",
            Some(&json!({"mappings": {"dynamic_templates": templates}})),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        let body = r.json();
        assert_eq!(body["error"]["type"], "mapper_parsing_exception", "{body}");
        // the reason, or (for a template's invalid mapping) its cause's
        let mut e = &body["error"];
        while e["reason"] != reason && e.get("caused_by").is_some() {
            e = &e["caused_by"];
        }
        assert_eq!(e["reason"], reason, "{body}");
    }
}

/// A template mapping new `*_geo` fields to `geo_point`: a string and an object point become
/// points that `geo_distance` finds, and the mapping says so.
#[test]
fn a_template_makes_geo_points_of_strings_and_objects() {
    let t = TestServer::start();
    let a = t.addr();
    let r = json(
        a,
        "PUT",
        "/places",
        Some(&json!({"mappings": {"dynamic_templates": [
            {"g": {"match": "*_geo", "mapping": {"type": "geo_point"}}}]}})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    for (id, doc) in [
        ("1", json!({"home_geo": "52.37,4.89"})),
        ("2", json!({"home_geo": {"lat": 48.85, "lon": 2.35}})),
        ("3", json!({"home_geo": {"lat": -33.87, "lon": 151.21}})),
    ] {
        let r = json(
            a,
            "PUT",
            &format!("/places/_doc/{id}?refresh=true"),
            Some(&doc),
        );
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let m = json(a, "GET", "/places/_mapping", None).json();
    assert_eq!(
        m["places"]["mappings"]["properties"]["home_geo"],
        json!({"type": "geo_point"})
    );
    let r = json(
        a,
        "POST",
        "/places/_search",
        Some(
            &json!({"query": {"geo_distance": {"distance": "1000km", "home_geo": "50,3"}},
            "sort": ["_doc"]}),
        ),
    )
    .json();
    // (`_doc` order is the segments' order, which merges may change: compare as a set)
    let mut ids: Vec<&str> = r["hits"]["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .filter_map(|h| h["_id"].as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["1", "2"], "{r}");
}

/// A template mapping new objects to `flattened`: the object's leaves become keywords of the
/// field and of its key paths, and the mapping says `flattened` (no mapping for the keys).
#[test]
fn a_template_flattens_new_objects() {
    let t = TestServer::start();
    let a = t.addr();
    ok(&json(
        a,
        "PUT",
        "/flat",
        Some(&json!({"mappings": {"dynamic_templates": [
            {"labels": {"match": "*_labels", "match_mapping_type": "object", "mapping": {"type": "flattened"}}}]}})),
    ));
    ok(&json(
        a,
        "PUT",
        "/flat/_doc/1?refresh=true",
        Some(&json!({"pod_labels": {"app": "web", "release": {"track": "stable"}}})),
    ));
    let m = ok(&get(a, "/flat/_mapping"));
    assert_eq!(
        m["flat"]["mappings"]["properties"]["pod_labels"],
        json!({"type": "flattened"}),
        "{m}"
    );
    for q in [
        json!({"term": {"pod_labels": "stable"}}),
        json!({"term": {"pod_labels.release.track": "stable"}}),
        json!({"term": {"pod_labels.app": "web"}}),
    ] {
        let r = ok(&json(
            a,
            "POST",
            "/flat/_search",
            Some(&json!({"query": q})),
        ));
        assert_eq!(r["hits"]["total"]["value"], 1, "{q}: {r}");
    }
    let r = ok(&json(
        a,
        "POST",
        "/flat/_search",
        Some(&json!({"query": {"term": {"pod_labels.app": "stable"}}})),
    ));
    assert_eq!(r["hits"]["total"]["value"], 0, "{r}");
}
