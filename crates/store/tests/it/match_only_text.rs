//! `match_only_text` through HTTP: text that scores every matching term 1 (Elasticsearch's
//! documented behaviour: "all queries return constant scores that are equal to 1.0"), with
//! phrases, sub-fields, its refusals and its mapping. There is no differential test: the
//! Elasticsearch that `cargo xtask peers es` starts has no mapper-extras / x-pack mapper
//! modules, and answers that the type does not exist.

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{get, json, ndjson};

fn load(a: std::net::SocketAddr) {
    let r = json(
        a,
        "PUT",
        "/logs",
        Some(&json!({"mappings": {"properties": {
            "n": {"type": "long"},
            "message": {"type": "match_only_text", "fields": {"raw": {"type": "keyword"}}}
        }}})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let docs = [
        json!({"n": 0, "message": "user login failed"}),
        json!({"n": 1, "message": "user logout"}),
        json!({"n": 2, "message": "login login login"}),
        json!({"n": 3, "message": "failed to login user"}),
        json!({"n": 4}),
    ];
    let mut body = String::new();
    for (i, d) in docs.iter().enumerate() {
        body.push_str(&format!("{{\"index\":{{\"_id\":\"{i}\"}}}}\n{d}\n"));
    }
    let r = ndjson(a, "/logs/_bulk?refresh=true", &body);
    assert_eq!(r.json()["errors"], false, "{}", r.text());
}

/// `(id, score)` of each hit of `query`, best first (ties by `n`).
fn scored(a: std::net::SocketAddr, query: &Value) -> Vec<(String, f64)> {
    let r = json(
        a,
        "POST",
        "/logs/_search",
        Some(&json!({"query": query, "sort": ["_score", {"n": "asc"}]})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["hits"]["hits"]
        .as_array()
        .map(|h| {
            h.iter()
                .map(|x| {
                    (
                        x["_id"].as_str().unwrap_or_default().to_owned(),
                        x["sort"][0].as_f64().unwrap_or(f64::NAN),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn check(a: std::net::SocketAddr, query: &Value, want: &[(&str, f64)]) {
    let want: Vec<(String, f64)> = want.iter().map(|(i, s)| ((*i).to_owned(), *s)).collect();
    assert_eq!(scored(a, query), want, "{query}");
}

#[test]
fn match_only_text_scores_each_matching_term_one() {
    let t = TestServer::start();
    let a = t.addr();
    load(a);
    // no frequencies or norms: `login login login` is no better a match than the others
    check(
        a,
        &json!({"match": {"message": "login"}}),
        &[("0", 1.0), ("2", 1.0), ("3", 1.0)],
    );
    check(
        a,
        &json!({"match": {"message": "user login"}}),
        &[("0", 2.0), ("3", 2.0), ("1", 1.0), ("2", 1.0)],
    );
    check(
        a,
        &json!({"match": {"message": {"query": "user login", "operator": "and", "boost": 2}}}),
        &[("0", 4.0), ("3", 4.0)],
    );
    // phrases still need their terms in order
    check(
        a,
        &json!({"match_phrase": {"message": "user login"}}),
        &[("0", 1.0)],
    );
    check(
        a,
        &json!({"match_phrase": {"message": "login user"}}),
        &[("3", 1.0)],
    );
    check(
        a,
        &json!({"match_phrase_prefix": {"message": "user lo"}}),
        &[("0", 1.0), ("1", 1.0)],
    );
    check(
        a,
        &json!({"query_string": {"query": "message:failed"}}),
        &[("0", 1.0), ("3", 1.0)],
    );
    // the keyword sub-field scores as keywords do
    let raw = scored(a, &json!({"term": {"message.raw": "user logout"}}));
    assert_eq!(raw.len(), 1);
    assert_eq!(raw[0].0, "1");
    assert_eq!(scored(a, &json!({"exists": {"field": "message"}})).len(), 4);
}

#[test]
fn match_only_text_mapping_and_refusals() {
    let t = TestServer::start();
    let a = t.addr();
    load(a);
    let m = get(a, "/logs/_mapping").json();
    assert_eq!(
        m["logs"]["mappings"]["properties"]["message"],
        json!({"type": "match_only_text", "fields": {"raw": {"type": "keyword"}}})
    );
    let caps = get(a, "/logs/_field_caps?fields=message").json();
    assert_eq!(
        caps["fields"]["message"],
        json!({"match_only_text": {"type": "match_only_text", "metadata_field": false,
            "searchable": true, "aggregatable": false}})
    );
    for body in [
        json!({"sort": [{"message": "asc"}]}),
        json!({"size": 0, "aggs": {"t": {"terms": {"field": "message"}}}}),
    ] {
        let r = json(a, "POST", "/logs/_search", Some(&body));
        assert_eq!(r.status, 400, "{body}: {}", r.text());
    }
    // it takes its sub-fields and nothing else; a text field cannot become one
    for (def, reason) in [
        (
            json!({"type": "match_only_text", "index": false}),
            "unknown parameter [index] on mapper [m] of type [match_only_text]",
        ),
        (
            json!({"type": "match_only_text", "analyzer": "standard"}),
            "unknown parameter [analyzer] on mapper [m] of type [match_only_text]",
        ),
    ] {
        let r = json(
            a,
            "PUT",
            "/bad",
            Some(&json!({"mappings": {"properties": {"m": def}}})),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(r.json()["error"]["reason"], reason, "{}", r.text());
    }
    // a dynamic template can make one (as Elasticsearch's logs templates do for `message`)
    let r = json(
        a,
        "PUT",
        "/dyn",
        Some(
            &json!({"mappings": {"dynamic_templates": [{"message": {"path_match": "message",
            "mapping": {"type": "match_only_text"}}}]}}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = json(
        a,
        "PUT",
        "/dyn/_doc/1?refresh=true",
        Some(&json!({"message": "hello world"})),
    );
    assert!(r.status == 200 || r.status == 201, "{}", r.text());
    let m = get(a, "/dyn/_mapping").json();
    assert_eq!(
        m["dyn"]["mappings"]["properties"]["message"],
        json!({"type": "match_only_text"})
    );
    // the mapping survives a restart
    let t = t.restart();
    let m = get(t.addr(), "/logs/_mapping").json();
    assert_eq!(
        m["logs"]["mappings"]["properties"]["message"]["type"],
        "match_only_text"
    );
}
