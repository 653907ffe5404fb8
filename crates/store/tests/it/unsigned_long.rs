//! `unsigned_long` through HTTP, as Elasticsearch documents it (its reference page's examples
//! and `UnsignedLongFieldMapper`'s rules): 0 to 2^64 - 1 from numbers and text, ES's refusals,
//! exact `term` and `range` queries with ES's rounding of bounds, exact sorts, `search_after`,
//! doc values and `fields`, aggregations as doubles, and all of it after a restart. There is no
//! differential test: `unsigned_long` is an X-Pack mapper, absent from the Elasticsearch that
//! `cargo xtask peers es` starts (it answers that the type does not exist).

use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{get, json, ndjson};

fn search(a: SocketAddr, body: &Value) -> Value {
    let r = json(a, "POST", "/counters/_search", Some(body));
    assert_eq!(r.status, 200, "{body}: {}", r.text());
    r.json()
}

fn ids(v: &Value) -> Vec<String> {
    v["hits"]["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| h["_id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn matching(a: SocketAddr, query: &Value) -> Vec<String> {
    let mut found = ids(&search(a, &json!({"query": query, "_source": false})));
    found.sort();
    found
}

#[test]
fn unsigned_longs_follow_elasticsearch() {
    let t = TestServer::start();
    let a = t.addr();
    let r = json(
        a,
        "PUT",
        "/counters",
        Some(&json!({"mappings": {"properties": {
            "c": {"type": "unsigned_long"},
            "nv": {"type": "unsigned_long", "null_value": "18446744073709551615"}
        }}})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let body = concat!(
        "{\"index\":{\"_id\":\"1\"}}\n{\"c\":0}\n",
        "{\"index\":{\"_id\":\"2\"}}\n{\"c\":9223372036854775808}\n",
        "{\"index\":{\"_id\":\"3\"}}\n{\"c\":18446744073709551614}\n",
        "{\"index\":{\"_id\":\"4\"}}\n{\"c\":\"18446744073709551615\",\"nv\":null}\n",
        "{\"index\":{\"_id\":\"5\"}}\n{\"c\":\"1e3\"}\n",
        "{\"index\":{\"_id\":\"bad1\"}}\n{\"c\":-5}\n",
        "{\"index\":{\"_id\":\"bad2\"}}\n{\"c\":\"1.5\"}\n",
        "{\"index\":{\"_id\":\"bad3\"}}\n{\"c\":\"18446744073709551616\"}\n",
        "{\"index\":{\"_id\":\"bad4\"}}\n{\"c\":1.5}\n",
    );
    let r = ndjson(a, "/counters/_bulk?refresh=true", body);
    let items = r.json()["items"].clone();
    for (i, reason) in [
        (5, "Value [-5] is out of range for unsigned long."),
        (6, "Value \"1.5\" has a decimal part"),
        (
            7,
            "Value [18446744073709551616] is out of range for unsigned long",
        ),
        (8, "For input string: [1.5]."),
    ] {
        let e = &items[i]["index"]["error"];
        assert_eq!(e["type"], "document_parsing_exception", "{e}");
        assert_eq!(e["caused_by"]["type"], "illegal_argument_exception", "{e}");
        assert_eq!(e["caused_by"]["reason"], reason, "{e}");
    }
    for i in 0..5 {
        assert_eq!(items[i]["index"]["status"], 201, "{}", items[i]);
    }
    let check = |a: SocketAddr| {
        // term queries take numbers and text; a fraction or a negative number matches nothing
        assert_eq!(
            matching(a, &json!({"term": {"c": 18_446_744_073_709_551_615u64}})),
            ["4"]
        );
        assert_eq!(
            matching(a, &json!({"term": {"c": "9223372036854775808"}})),
            ["2"]
        );
        assert_eq!(
            matching(a, &json!({"terms": {"c": [0, 1000, -1, 2.5]}})),
            ["1", "5"]
        );
        // the null value is indexed for a null
        assert_eq!(
            matching(a, &json!({"term": {"nv": "18446744073709551615"}})),
            ["4"]
        );
        // ES's example: a bound with a fraction is rounded to the values it takes in
        assert_eq!(
            matching(
                a,
                &json!({"range": {"c": {"gte": "9223372036854775808.5", "lte": "18446744073709551615"}}})
            ),
            ["3", "4"]
        );
        assert_eq!(
            matching(a, &json!({"range": {"c": {"gt": 0, "lt": 1001}}})),
            ["5"]
        );
        assert_eq!(
            matching(a, &json!({"range": {"c": {"lt": 0}}})),
            Vec::<String>::new()
        );
        assert_eq!(
            matching(a, &json!({"range": {"c": {"gte": -10, "lte": "1e3"}}})),
            ["1", "5"]
        );
        // exact sort values beyond `i64`
        let v = search(
            a,
            &json!({"sort": [{"c": "desc"}], "_source": false, "docvalue_fields": ["c"], "fields": ["c"]}),
        );
        let got: Vec<Value> = v["hits"]["hits"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|h| json!([h["_id"], h["sort"], h["fields"]["c"]]))
            .collect();
        let want: Vec<Value> = [
            ("4", json!(18_446_744_073_709_551_615u64)),
            ("3", json!(18_446_744_073_709_551_614u64)),
            ("2", json!(9_223_372_036_854_775_808u64)),
            ("5", json!(1000)),
            ("1", json!(0)),
        ]
        .into_iter()
        .map(|(id, n)| json!([id, [n], [n]]))
        .collect();
        assert_eq!(got, want);
        let after = search(
            a,
            &json!({"sort": [{"c": "desc"}], "_source": false,
                    "search_after": ["18446744073709551614"]}),
        );
        assert_eq!(ids(&after), ["2", "5", "1"]);
        // other aggregations read doubles
        let v = search(
            a,
            &json!({"size": 0, "aggs": {"mx": {"max": {"field": "c"}}, "mn": {"min": {"field": "c"}},
                    "t": {"terms": {"field": "c", "size": 2, "order": {"_key": "asc"}}}}}),
        );
        assert_eq!(
            v["aggregations"]["mx"]["value"],
            json!(1.8446744073709552e19)
        );
        assert_eq!(v["aggregations"]["mn"]["value"], json!(0.0));
        let keys: Vec<Value> = v["aggregations"]["t"]["buckets"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|b| b["key"].clone())
            .collect();
        assert_eq!(keys, [json!(0), json!(1000)]);
    };
    check(a);
    let caps = get(a, "/counters/_field_caps?fields=c").json();
    assert_eq!(
        caps["fields"]["c"]["unsigned_long"]["type"],
        "unsigned_long"
    );
    // bad requests are ES's errors
    let r = json(
        a,
        "POST",
        "/counters/_search",
        Some(&json!({"query": {"term": {"c": "abc"}}})),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    let r = json(
        a,
        "PUT",
        "/other",
        Some(
            &json!({"mappings": {"properties": {"c": {"type": "unsigned_long", "coerce": false}}}}),
        ),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        r.json()["error"]["root_cause"][0]["reason"],
        "unknown parameter [coerce] on mapper [c] of type [unsigned_long]"
    );
    let r = json(
        a,
        "PUT",
        "/other",
        Some(
            &json!({"mappings": {"properties": {"c": {"type": "unsigned_long", "null_value": -1}}}}),
        ),
    );
    assert_eq!(r.status, 400, "{}", r.text());

    let t = t.restart();
    let a = t.addr();
    assert_eq!(
        get(a, "/counters/_mapping").json()["counters"]["mappings"]["properties"]["c"],
        json!({"type": "unsigned_long"})
    );
    check(a);
}
