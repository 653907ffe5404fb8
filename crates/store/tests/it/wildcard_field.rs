//! The `wildcard` field type held to Elasticsearch's documented behaviour (it is X-Pack's, which
//! the integration-test Elasticsearch lacks): a keyword for what it finds — term, terms, prefix,
//! wildcard, regexp, exists, range, terms aggregations, sort — whose queries score a constant,
//! `ignore_above` and `null_value` its only parameters, shown as `wildcard` by the mapping and
//! `_field_caps`, and usable from a dynamic template.

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{es_error, get, json, ndjson, ok};

fn ids_and_scores(r: &Value) -> Vec<(String, f64)> {
    r["hits"]["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            (
                h["_id"].as_str().unwrap_or("?").to_owned(),
                h["_score"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect()
}

#[test]
fn wildcard_fields_find_what_keywords_find_with_constant_scores() {
    let t = TestServer::start();
    let a = t.addr();
    ok(&json(
        a,
        "PUT",
        "/w",
        Some(&json!({"mappings": {"properties": {
            "path": {"type": "wildcard", "ignore_above": 20},
            "n": {"type": "long"}}}})),
    ));
    let bulk = [
        json!({"n": 1, "path": "/var/log/app.log"}),
        json!({"n": 2, "path": "/var/log/app.log"}),
        json!({"n": 3, "path": "/etc/hosts"}),
        json!({"n": 4, "path": "/a/very/long/path/that/is/ignored.log"}),
        json!({"n": 5}),
    ]
    .iter()
    .enumerate()
    .map(|(i, d)| format!("{{\"index\":{{\"_id\":\"{}\"}}}}\n{d}\n", i + 1))
    .collect::<String>();
    let r = ok(&ndjson(a, "/w/_bulk?refresh=true", &bulk));
    assert_eq!(r["errors"], false, "{r}");
    let m = ok(&get(a, "/w/_mapping"));
    assert_eq!(
        m["w"]["mappings"]["properties"]["path"],
        json!({"type": "wildcard", "ignore_above": 20})
    );
    let caps = ok(&get(a, "/w/_field_caps?fields=path"));
    assert_eq!(
        caps["fields"]["path"]["wildcard"]["type"], "wildcard",
        "{caps}"
    );
    let search = |q: Value| ok(&json(a, "POST", "/w/_search", Some(&json!({"query": q}))));
    // every query scores a constant (times its boost)
    for (q, want) in [
        (
            json!({"term": {"path": "/var/log/app.log"}}),
            vec!["1", "2"],
        ),
        (
            json!({"term": {"path": {"value": "/etc/hosts", "boost": 2.0}}}),
            vec!["3"],
        ),
        (json!({"wildcard": {"path": "*.log"}}), vec!["1", "2"]),
        (json!({"prefix": {"path": "/etc"}}), vec!["3"]),
        (json!({"regexp": {"path": "/var/.*"}}), vec!["1", "2"]),
        (
            json!({"terms": {"path": ["/etc/hosts", "/nope"]}}),
            vec!["3"],
        ),
        (json!({"exists": {"field": "path"}}), vec!["1", "2", "3"]),
        (json!({"range": {"path": {"gte": "/f"}}}), vec!["1", "2"]),
    ] {
        let mut got = ids_and_scores(&search(q.clone()));
        got.sort_by(|x, y| x.0.cmp(&y.0));
        let ids: Vec<&str> = got.iter().map(|(i, _)| i.as_str()).collect();
        assert_eq!(ids, want, "{q}");
        let boost = q["term"]["path"]["boost"].as_f64().unwrap_or(1.0);
        for (_, s) in &got {
            assert!((s - boost).abs() < 1e-6, "{q}: score {s}");
        }
    }
    let r = ok(&json(
        a,
        "POST",
        "/w/_search",
        Some(&json!({"size": 0, "aggs": {"p": {"terms": {"field": "path"}}}})),
    ));
    assert_eq!(
        r["aggregations"]["p"]["buckets"],
        json!([{"key": "/var/log/app.log", "doc_count": 2}, {"key": "/etc/hosts", "doc_count": 1}])
    );
    let r = json(
        a,
        "PUT",
        "/w2",
        Some(
            &json!({"mappings": {"properties": {"p": {"type": "wildcard", "doc_values": false}}}}),
        ),
    );
    let reason = es_error(&r, 400, "mapper_parsing_exception");
    assert!(
        reason.contains("unknown parameter [doc_values] on mapper [p] of type [wildcard]"),
        "{reason}"
    );
}
