//! `scaled_float` through HTTP, as Elasticsearch documents it: values kept as the nearest
//! multiple of `1 / scaling_factor` (`Math.round`), which `term`, `range`, sorting,
//! aggregations and doc values then see. There is no differential test: the Elasticsearch
//! that `cargo xtask peers es` starts has no mapper-extras module, and answers that the type
//! does not exist.

use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{get, hit_ids, json, ndjson};

fn load(a: SocketAddr) {
    let r = json(
        a,
        "PUT",
        "/prices",
        Some(&json!({"mappings": {"properties": {
            "n": {"type": "long"},
            "price": {"type": "scaled_float", "scaling_factor": 100}
        }}})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let mut body = String::new();
    for (i, p) in [
        json!(1.234),
        json!("2.345"),
        json!(10),
        json!(-0.005),
        json!(1.23),
    ]
    .iter()
    .enumerate()
    {
        body.push_str(&format!(
            "{{\"index\":{{\"_id\":\"{i}\"}}}}\n{}\n",
            json!({"n": i, "price": p})
        ));
    }
    let r = ndjson(a, "/prices/_bulk?refresh=true", &body);
    assert_eq!(r.json()["errors"], false, "{}", r.text());
}

fn search(a: SocketAddr, body: &Value) -> Value {
    let r = json(a, "POST", "/prices/_search", Some(body));
    assert_eq!(r.status, 200, "{body}: {}", r.text());
    r.json()
}

#[test]
fn scaled_floats_keep_scaled_values() {
    let t = TestServer::start();
    let a = t.addr();
    load(a);
    let m = get(a, "/prices/_mapping").json();
    assert_eq!(
        m["prices"]["mappings"]["properties"]["price"]["type"],
        "scaled_float"
    );
    assert_eq!(
        m["prices"]["mappings"]["properties"]["price"]["scaling_factor"].as_f64(),
        Some(100.0)
    );
    // doc values hold the rounded values (2.345 rounds half up, -0.005 to -0.0)
    let r = search(
        a,
        &json!({"sort": [{"n": "asc"}], "_source": false, "docvalue_fields": ["price"]}),
    );
    let values: Vec<Value> = r["hits"]["hits"]
        .as_array()
        .map(|h| h.iter().map(|x| x["fields"]["price"][0].clone()).collect())
        .unwrap_or_default();
    assert_eq!(
        values.iter().map(Value::as_f64).collect::<Vec<_>>(),
        [Some(1.23), Some(2.35), Some(10.0), Some(0.0), Some(1.23)]
    );
    // a term matches the value the query's rounds to
    let q = |q: Value| {
        let mut ids = hit_ids(&search(a, &json!({"query": q})));
        ids.sort();
        ids
    };
    assert_eq!(q(json!({"term": {"price": 1.234}})), ["0", "4"]);
    assert_eq!(q(json!({"term": {"price": 2.35}})), ["1"]);
    assert_eq!(
        q(json!({"range": {"price": {"gte": 1.23, "lt": 2.35}}})),
        ["0", "4"]
    );
    let r = search(
        a,
        &json!({"size": 0, "aggs": {"s": {"sum": {"field": "price"}}, "mx": {"max": {"field": "price"}}}}),
    );
    let sum = r["aggregations"]["s"]["value"].as_f64().unwrap_or(f64::NAN);
    assert!((sum - 14.81).abs() < 1e-9, "{r}");
    assert_eq!(r["aggregations"]["mx"]["value"].as_f64(), Some(10.0));
    let caps = get(a, "/prices/_field_caps?fields=price").json();
    assert_eq!(
        caps["fields"]["price"]["scaled_float"]["aggregatable"],
        true
    );
    // the scaling factor is required, positive, and only scaled floats have one
    for (def, reason) in [
        (
            json!({"type": "scaled_float"}),
            "Field [scaling_factor] is required",
        ),
        (
            json!({"type": "scaled_float", "scaling_factor": -1}),
            "[scaling_factor] must be a positive number, got [-1]",
        ),
        (
            json!({"type": "double", "scaling_factor": 10}),
            "unknown parameter [scaling_factor] on mapper [p] of type [double]",
        ),
    ] {
        let r = json(
            a,
            "PUT",
            "/bad",
            Some(&json!({"mappings": {"properties": {"p": def}}})),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(r.json()["error"]["reason"], reason, "{}", r.text());
    }
    // and the mapping survives a restart
    let t = t.restart();
    let m = get(t.addr(), "/prices/_mapping").json();
    assert_eq!(
        m["prices"]["mappings"]["properties"]["price"]["type"],
        "scaled_float"
    );
}
