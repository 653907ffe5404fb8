//! The `ip` field type through HTTP, on web-log-like documents: which documents each query
//! matches, its refusals, sorting, aggregations, how addresses are rendered, and a mapping
//! that survives a restart. (`es_diff::ip_fields_agree` puts the same kinds of requests to a
//! real Elasticsearch.)

use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{Resp, get, hit_ids, json, ndjson};

fn mapping() -> Value {
    json!({"mappings": {"properties": {
        "n": {"type": "long"},
        "clientip": {"type": "ip"},
        "peer": {"type": "ip", "ignore_malformed": true, "null_value": "0.0.0.0"},
        "nodv": {"type": "ip", "doc_values": false}
    }}})
}

/// `(id, document)`: `n` is the id's number, to order hits of equal score.
fn docs() -> Vec<(&'static str, Value)> {
    vec![
        ("a", json!({"n": 0, "clientip": "10.0.0.1", "peer": "bad"})),
        (
            "b",
            json!({"n": 1, "clientip": ["192.168.1.10", "::ffff:10.0.0.2", "2001:DB8::1", "10.0.0.1"], "peer": null}),
        ),
        (
            "c",
            json!({"n": 2, "clientip": "192.168.200.3", "nodv": "1.1.1.1"}),
        ),
        ("d", json!({"n": 3, "clientip": "0:0:0:0:0:0:0:1"})),
        ("e", json!({"n": 4, "clientip": "fe80::1%eth0"})),
        ("f", json!({"n": 5})),
        (
            "g",
            json!({"n": 6, "clientip": ["10.0.0.200", "10.0.0.200", "::1"]}),
        ),
    ]
}

fn load(a: SocketAddr, index: &str) {
    let r = json(a, "PUT", &format!("/{index}"), Some(&mapping()));
    assert_eq!(r.status, 200, "{}", r.text());
    let mut body = String::new();
    for (id, d) in docs() {
        body.push_str(&format!("{{\"index\":{{\"_id\":\"{id}\"}}}}\n{d}\n"));
    }
    let r = ndjson(a, &format!("/{index}/_bulk?refresh=true"), &body);
    assert_eq!(r.json()["errors"], false, "{}", r.text());
}

fn search(a: SocketAddr, body: &Value) -> Value {
    let r = json(a, "POST", "/logs/_search", Some(body));
    assert_eq!(r.status, 200, "{body}: {}", r.text());
    r.json()
}

/// The ids `query` matches, in `n` order.
fn matching(a: SocketAddr, query: &Value) -> Vec<String> {
    hit_ids(&search(
        a,
        &json!({"query": query, "sort": ["n"], "size": 100}),
    ))
}

/// `(status, root cause type, root cause reason)` of a refused request.
fn refusal(r: &Resp) -> (u16, String, String) {
    let root = &r.json()["error"]["root_cause"][0];
    (
        r.status,
        root["type"].as_str().unwrap_or_default().to_owned(),
        root["reason"].as_str().unwrap_or_default().to_owned(),
    )
}

#[test]
fn queries_match_addresses_blocks_and_ranges() {
    let t = TestServer::start();
    let a = t.addr();
    load(a, "logs");
    let qs = |q: &str| json!({"query_string": {"query": q}});
    let cases: Vec<(Value, &[&str])> = vec![
        (json!({"term": {"clientip": "10.0.0.1"}}), &["a", "b"]),
        // IPv4 written as IPv4-mapped IPv6 is the same address
        (json!({"term": {"clientip": "::ffff:10.0.0.2"}}), &["b"]),
        (json!({"term": {"clientip": "10.0.0.2"}}), &["b"]),
        (json!({"term": {"clientip": "2001:db8:0::1"}}), &["b"]),
        (json!({"term": {"clientip": "::1"}}), &["d", "g"]),
        (json!({"term": {"clientip": "fe80::1"}}), &["e"]),
        (
            json!({"term": {"clientip": "10.0.0.0/8"}}),
            &["a", "b", "g"],
        ),
        // host bits of a block are ignored
        (
            json!({"term": {"clientip": "10.9.9.9/8"}}),
            &["a", "b", "g"],
        ),
        (json!({"term": {"clientip": "10.0.0.0/32"}}), &[]),
        (json!({"term": {"clientip": "2001:db8::/32"}}), &["b"]),
        (
            json!({"term": {"clientip": "::/0"}}),
            &["a", "b", "c", "d", "e", "g"],
        ),
        (
            json!({"terms": {"clientip": ["192.168.0.0/16", "::1"]}}),
            &["b", "c", "d", "g"],
        ),
        (
            json!({"range": {"clientip": {"gte": "10.0.0.1", "lt": "10.0.0.200"}}}),
            &["a", "b"],
        ),
        (
            json!({"range": {"clientip": {"gt": "10.0.0.1", "lte": "10.0.0.200"}}}),
            &["b", "g"],
        ),
        (json!({"range": {"clientip": {"lt": "::1"}}}), &[]),
        (json!({"range": {"clientip": {"lte": "::1"}}}), &["d", "g"]),
        (
            json!({"range": {"clientip": {"gt": "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}}}),
            &[],
        ),
        (
            json!({"range": {"clientip": {"gte": "::2", "lte": "::1"}}}),
            &[],
        ),
        (
            json!({"exists": {"field": "clientip"}}),
            &["a", "b", "c", "d", "e", "g"],
        ),
        // `null_value` is indexed, a malformed value ignored
        (json!({"exists": {"field": "peer"}}), &["b"]),
        (json!({"term": {"peer": "0.0.0.0"}}), &["b"]),
        (json!({"term": {"nodv": "1.1.1.1"}}), &["c"]),
        (json!({"match": {"clientip": "192.168.1.10"}}), &["b"]),
        (
            json!({"match": {"clientip": "192.168.0.0/16"}}),
            &["b", "c"],
        ),
        (qs("clientip:10.0.0.1"), &["a", "b"]),
        (qs("clientip:\"10.0.0.0/8\""), &["a", "b", "g"]),
        (qs("clientip:2001\\:db8\\:\\:1"), &["b"]),
        (
            qs("clientip:[10.0.0.0 TO 10.255.255.255]"),
            &["a", "b", "g"],
        ),
        (qs("clientip:>=192.168.0.0"), &["b", "c", "e"]),
        // searching every field, Elasticsearch is lenient: a value that is no address
        // matches nothing on an `ip` field
        (qs("clientip:foo"), &[]),
        (qs("clientip:foo OR clientip:\"::1\""), &["d", "g"]),
        (qs("clientip:10.*"), &[]),
        (qs("10.0.0.1"), &["a", "b"]),
    ];
    for (q, want) in cases {
        assert_eq!(matching(a, &q), want, "{q}");
    }
    let r = get(a, "/logs/_search?q=clientip:192.168.200.3");
    assert_eq!(hit_ids(&r.json()), ["c"]);
    // a term on an address scores 1 (times its boost), as Elasticsearch's point query
    let r = search(
        a,
        &json!({"query": {"term": {"clientip": {"value": "10.0.0.1", "boost": 2}}}}),
    );
    assert_eq!(r["hits"]["max_score"], 2.0);
}

#[test]
fn refusals_use_elasticsearch_wording() {
    let t = TestServer::start();
    let a = t.addr();
    load(a, "logs");
    let not_an_ip = |s: &str| format!("failed to create query: '{s}' is not an IP string literal.");
    let shard = "query_shard_exception";
    let illegal = "illegal_argument_exception";
    let cases: Vec<(Value, &str, String)> = vec![
        (
            json!({"query": {"term": {"clientip": "not-an-ip"}}}),
            shard,
            not_an_ip("not-an-ip"),
        ),
        (
            json!({"query": {"term": {"clientip": 12}}}),
            shard,
            not_an_ip("12"),
        ),
        (
            json!({"query": {"terms": {"clientip": ["::1", "01.2.3.4"]}}}),
            shard,
            not_an_ip("01.2.3.4"),
        ),
        (
            json!({"query": {"range": {"clientip": {"gte": "10.0.0.0/8"}}}}),
            shard,
            not_an_ip("10.0.0.0/8"),
        ),
        (
            json!({"query": {"match": {"clientip": "bad"}}}),
            shard,
            not_an_ip("bad"),
        ),
        (
            json!({"query": {"query_string": {"query": "clientip:foo", "lenient": false}}}),
            shard,
            not_an_ip("foo"),
        ),
        (
            json!({"query": {"query_string": {"query": "foo", "default_field": "clientip"}}}),
            shard,
            not_an_ip("foo"),
        ),
        (
            json!({"query": {"term": {"clientip": "10.0.0.0/33"}}}),
            shard,
            "failed to create query: Illegal prefix length [33] in [10.0.0.0/33]. Must be 0-32 for IPv4 ranges, 0-128 for IPv6 ranges".into(),
        ),
        (
            json!({"query": {"term": {"clientip": "1::/129"}}}),
            shard,
            "failed to create query: Illegal prefix length [129] in [1::/129]. Must be 0-32 for IPv4 ranges, 0-128 for IPv6 ranges".into(),
        ),
        (
            json!({"query": {"term": {"clientip": "10.0.0.0/"}}}),
            shard,
            "failed to create query: Expected [ip/prefix] but was [10.0.0.0/]".into(),
        ),
        (
            json!({"query": {"term": {"clientip": {"value": "::1", "case_insensitive": true}}}}),
            shard,
            "[clientip] field which is of type [ip], does not support case insensitive term queries".into(),
        ),
        (
            json!({"query": {"prefix": {"clientip": "10."}}}),
            shard,
            "Can only use prefix queries on keyword, text and wildcard fields - not on [clientip] which is of type [ip]".into(),
        ),
        (
            json!({"sort": [{"clientip": "asc"}], "search_after": ["zz"]}),
            illegal,
            "'zz' is not an IP string literal.".into(),
        ),
        (
            json!({"sort": [{"nodv": "asc"}]}),
            illegal,
            "Can't load fielddata on [nodv] because fielddata is unsupported on fields of type [ip]. Use doc values instead.".into(),
        ),
        (
            json!({"docvalue_fields": [{"field": "clientip", "format": "x"}]}),
            illegal,
            "Field [clientip] of type [ip] does not support custom formats".into(),
        ),
        (
            json!({"aggs": {"x": {"avg": {"field": "clientip"}}}}),
            illegal,
            "Field [clientip] of type [ip] is not supported for aggregation [avg]".into(),
        ),
        (
            json!({"aggs": {"x": {"terms": {"field": "clientip", "missing": "bad"}}}}),
            illegal,
            "'bad' is not an IP string literal.".into(),
        ),
        (
            json!({"aggs": {"x": {"ip_range": {"field": "n", "ranges": [{"to": "::1"}]}}}}),
            illegal,
            "Field [n] of type [long] is not supported for aggregation [ip_range]".into(),
        ),
        (
            json!({"aggs": {"x": {"ip_range": {"field": "clientip", "ranges": []}}}}),
            illegal,
            "No [ranges] specified for the [x] aggregation".into(),
        ),
        (
            json!({"aggs": {"x": {"ip_range": {"field": "clientip", "ranges": [{"to": "x"}]}}}}),
            "x_content_parse_exception",
            "[ip_range] failed to parse field [ranges]".into(),
        ),
        (
            json!({"aggs": {"x": {"ip_range": {"field": "clientip", "ranges": [{"mask": "10.0.0.0"}]}}}}),
            "x_content_parse_exception",
            "[ip_range] failed to parse field [ranges]".into(),
        ),
    ];
    for (body, ty, reason) in cases {
        let r = json(a, "POST", "/logs/_search", Some(&body));
        assert_eq!(refusal(&r), (400, ty.to_owned(), reason), "{body}");
    }
    // documents
    for (doc, preview, cause) in [
        (
            json!({"clientip": "not-an-ip"}),
            "not-an-ip",
            "'not-an-ip' is not an IP string literal.",
        ),
        (
            json!({"clientip": 12}),
            "12",
            "'12' is not an IP string literal.",
        ),
        (
            json!({"clientip": ["::1", "1.2.3.4.5.6.7.8.9.10.11.12"]}),
            "1.2.3.4.5.6.7.8.9.10.11.12",
            "'1.2.3.4.5.6.7.8.9.10.11.12' is not an IP string literal.",
        ),
    ] {
        let r = json(a, "PUT", "/logs/_doc/x", Some(&doc));
        assert_eq!(
            refusal(&r),
            (
                400,
                "document_parsing_exception".to_owned(),
                format!(
                    "failed to parse field [clientip] of type [ip] in document with id 'x'. Preview of field's value: '{preview}'"
                )
            ),
            "{doc}"
        );
        assert_eq!(r.json()["error"]["caused_by"]["reason"], cause, "{doc}");
    }
    // mappings
    for (def, reason) in [
        (
            json!({"type": "ip", "null_value": "foo"}),
            "Error parsing [null_value] on field [a]: 'foo' is not an IP string literal.",
        ),
        (
            json!({"type": "ip", "coerce": true}),
            "unknown parameter [coerce] on mapper [a] of type [ip]",
        ),
        (
            json!({"type": "ip", "ignore_above": 3}),
            "unknown parameter [ignore_above] on mapper [a] of type [ip]",
        ),
    ] {
        let body = json!({"mappings": {"properties": {"a": def}}});
        let r = json(a, "PUT", "/bad", Some(&body));
        assert_eq!(
            refusal(&r),
            (
                400,
                "mapper_parsing_exception".to_owned(),
                reason.to_owned()
            ),
            "{body}"
        );
    }
}

#[test]
fn sorts_aggregations_and_values_show_addresses() {
    let t = TestServer::start();
    let a = t.addr();
    load(a, "logs");
    let sort_values = |body: Value| -> Vec<(String, Value)> {
        let r = search(a, &body);
        r["hits"]["hits"]
            .as_array()
            .map(|h| {
                h.iter()
                    .map(|x| {
                        (
                            x["_id"].as_str().unwrap_or_default().to_owned(),
                            x["sort"][0].clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let pairs = |v: &[(&str, Value)]| -> Vec<(String, Value)> {
        v.iter()
            .map(|(i, x)| ((*i).to_owned(), x.clone()))
            .collect()
    };
    // a multi-valued document sorts by its least address ascending, its greatest descending;
    // a missing value is `null`
    assert_eq!(
        sort_values(json!({"sort": [{"clientip": "asc"}, "n"]})),
        pairs(&[
            ("d", json!("::1")),
            ("g", json!("::1")),
            ("a", json!("10.0.0.1")),
            ("b", json!("10.0.0.1")),
            ("c", json!("192.168.200.3")),
            ("e", json!("fe80::1")),
            ("f", Value::Null),
        ])
    );
    assert_eq!(
        sort_values(json!({"sort": [{"clientip": "desc"}, "n"]})),
        pairs(&[
            ("e", json!("fe80::1")),
            ("b", json!("2001:db8::1")),
            ("c", json!("192.168.200.3")),
            ("g", json!("10.0.0.200")),
            ("a", json!("10.0.0.1")),
            ("d", json!("::1")),
            ("f", Value::Null),
        ])
    );
    assert_eq!(
        sort_values(json!({"sort": [{"clientip": "asc"}, "n"], "search_after": ["10.0.0.1", 0]})),
        pairs(&[
            ("b", json!("10.0.0.1")),
            ("c", json!("192.168.200.3")),
            ("e", json!("fe80::1")),
            ("f", Value::Null),
        ])
    );
    // doc values: sorted and distinct; `fields`: the source's values, each as ES shows it
    let r = search(
        a,
        &json!({"query": {"ids": {"values": ["b", "g"]}}, "sort": ["n"], "_source": false,
            "docvalue_fields": ["clientip"]}),
    );
    assert_eq!(
        r["hits"]["hits"][0]["fields"]["clientip"],
        json!(["10.0.0.1", "10.0.0.2", "192.168.1.10", "2001:db8::1"])
    );
    assert_eq!(
        r["hits"]["hits"][1]["fields"]["clientip"],
        json!(["::1", "10.0.0.200"])
    );
    let r = search(
        a,
        &json!({"query": {"ids": {"values": ["b"]}}, "_source": false, "fields": ["clientip"]}),
    );
    assert_eq!(
        r["hits"]["hits"][0]["fields"]["clientip"],
        json!(["192.168.1.10", "10.0.0.2", "2001:db8::1", "10.0.0.1"])
    );
    // aggregations: keys are addresses, ordered by count then address; a document counts
    // once per distinct address
    let r = search(
        a,
        &json!({"size": 0, "aggs": {
            "top": {"terms": {"field": "clientip", "size": 3}},
            "last": {"terms": {"field": "clientip", "size": 2, "order": {"_key": "desc"}}},
            "missing": {"terms": {"field": "clientip", "missing": "0.0.0.0", "size": 1, "order": {"_key": "asc"}}},
            "distinct": {"cardinality": {"field": "clientip"}},
            "values": {"value_count": {"field": "clientip"}},
            "nets": {"ip_range": {"field": "clientip", "ranges": [
                {"from": "10.0.0.5"}, {"mask": "10.0.0.0/8"}, {"to": "10.0.0.5"}, {"mask": "::/0"},
                {"mask": "0.0.0.0/0", "key": "v4"}]}},
            "keyed": {"ip_range": {"field": "clientip", "keyed": true, "missing": "10.0.0.3",
                "ranges": [{"mask": "10.0.0.0/24"}]}}
        }}),
    );
    let aggs = &r["aggregations"];
    assert_eq!(
        aggs["top"]["buckets"],
        json!([{"key": "::1", "doc_count": 2}, {"key": "10.0.0.1", "doc_count": 2},
            {"key": "10.0.0.2", "doc_count": 1}])
    );
    assert_eq!(aggs["top"]["sum_other_doc_count"], 5);
    assert_eq!(
        aggs["last"]["buckets"],
        json!([{"key": "fe80::1", "doc_count": 1}, {"key": "2001:db8::1", "doc_count": 1}])
    );
    assert_eq!(
        aggs["missing"]["buckets"],
        json!([{"key": "::1", "doc_count": 2}])
    );
    assert_eq!(aggs["distinct"]["value"], 8);
    assert_eq!(aggs["values"]["value"], 10);
    assert_eq!(
        aggs["nets"]["buckets"],
        json!([
            {"key": "*-10.0.0.5", "to": "10.0.0.5", "doc_count": 4},
            {"key": "::/0", "doc_count": 6},
            {"key": "v4", "from": "0.0.0.0", "to": "::1:0:0:0", "doc_count": 4},
            {"key": "10.0.0.0/8", "from": "10.0.0.0", "to": "11.0.0.0", "doc_count": 3},
            {"key": "10.0.0.5-*", "from": "10.0.0.5", "doc_count": 4}
        ])
    );
    assert_eq!(
        aggs["keyed"]["buckets"],
        json!({"10.0.0.0/24": {"from": "10.0.0.0", "to": "10.0.1.0", "doc_count": 4}})
    );
    // field caps
    let r = get(a, "/logs/_field_caps?fields=clientip,nodv");
    assert_eq!(
        r.json()["fields"],
        json!({
            "clientip": {"ip": {"type": "ip", "metadata_field": false, "searchable": true, "aggregatable": true}},
            "nodv": {"ip": {"type": "ip", "metadata_field": false, "searchable": true, "aggregatable": false}}
        })
    );
}

#[test]
fn ip_mappings_are_echoed_and_survive_a_restart() {
    let t = TestServer::start();
    load(t.addr(), "logs");
    let want = json!({"logs": {"mappings": {"properties": {
        "clientip": {"type": "ip"},
        "n": {"type": "long"},
        "nodv": {"type": "ip", "doc_values": false},
        "peer": {"type": "ip", "ignore_malformed": true, "null_value": "0.0.0.0"}
    }}}});
    assert_eq!(get(t.addr(), "/logs/_mapping").json(), want);
    // a string that looks like an address is mapped dynamically as text + keyword, as ES
    let r = json(
        t.addr(),
        "PUT",
        "/logs/_doc/h?refresh=true",
        Some(&json!({"n": 7, "other": "10.1.1.1"})),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let props = &get(t.addr(), "/logs/_mapping").json()["logs"]["mappings"]["properties"];
    assert_eq!(props["other"]["type"], "text");
    assert_eq!(props["other"]["fields"]["keyword"]["type"], "keyword");
    let t = t.restart();
    let a = t.addr();
    let mapping = get(a, "/logs/_mapping").json();
    for f in ["clientip", "nodv", "peer"] {
        assert_eq!(
            mapping["logs"]["mappings"]["properties"][f],
            want["logs"]["mappings"]["properties"][f]
        );
    }
    assert_eq!(
        matching(a, &json!({"term": {"clientip": "10.0.0.0/8"}})),
        ["a", "b", "g"]
    );
    let r = json(
        a,
        "PUT",
        "/logs/_doc/x",
        Some(&json!({"peer": "still bad"})),
    );
    assert_eq!(r.status, 201, "{}", r.text());
}
