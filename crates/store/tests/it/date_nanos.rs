//! `date_nanos` through HTTP without Elasticsearch (`es_diff::date_nanos_and_distance_feature_agree`
//! holds the same behaviour to Elasticsearch itself): nanoseconds kept exactly from text and
//! epoch numbers, refused outside 1970–2262 with ES's reason, exact sort values, and the
//! mapping, values and sorts surviving a restart of the store.

use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{get, json, ndjson};

fn sorted(a: SocketAddr, body: &Value) -> Vec<(String, Value, Value)> {
    let r = json(a, "POST", "/ns/_search", Some(body));
    assert_eq!(r.status, 200, "{body}: {}", r.text());
    r.json()["hits"]["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            (
                h["_id"].as_str().unwrap_or_default().to_owned(),
                h["sort"].clone(),
                h["fields"]["d"].clone(),
            )
        })
        .collect()
}

fn expected() -> Vec<(String, Value, Value)> {
    [
        (
            "b",
            1_540_815_132_123_000_000i64,
            "2018-10-29T12:12:12.123Z",
        ),
        (
            "c",
            1_540_815_132_123_456_700,
            "2018-10-29T12:12:12.1234567Z",
        ),
        (
            "a",
            1_540_815_132_123_456_789,
            "2018-10-29T12:12:12.123456789Z",
        ),
        (
            "e",
            1_540_854_000_000_000_001,
            "2018-10-29T23:00:00.000000001Z",
        ),
    ]
    .into_iter()
    .map(|(id, ns, text)| (id.to_owned(), json!([ns]), json!([text])))
    .collect()
}

#[test]
fn nanoseconds_are_kept_exactly_and_survive_a_restart() {
    let t = TestServer::start();
    let a = t.addr();
    let r = json(
        a,
        "PUT",
        "/ns",
        Some(&json!({"mappings": {"properties": {"d": {"type": "date_nanos"}}}})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let body = concat!(
        "{\"index\":{\"_id\":\"a\"}}\n{\"d\":\"2018-10-29T12:12:12.123456789Z\"}\n",
        "{\"index\":{\"_id\":\"b\"}}\n{\"d\":1540815132123}\n",
        "{\"index\":{\"_id\":\"c\"}}\n{\"d\":\"1540815132123.4567\"}\n",
        "{\"index\":{\"_id\":\"e\"}}\n{\"d\":\"2018-10-30T00:00:00.000000001+01:00\"}\n",
        "{\"index\":{\"_id\":\"early\"}}\n{\"d\":\"1969-12-31T23:59:59.999999999Z\"}\n",
        "{\"index\":{\"_id\":\"late\"}}\n{\"d\":\"2262-04-11T23:47:16.854775808Z\"}\n",
    );
    let r = ndjson(a, "/ns/_bulk?refresh=true", body);
    let items = r.json()["items"].clone();
    for (i, reason) in [
        (
            4,
            "date[1969-12-31T23:59:59.999999999Z] is before the epoch in 1970 and cannot be stored in nanosecond resolution",
        ),
        (
            5,
            "date[2262-04-11T23:47:16.854775808Z] is after 2262-04-11T23:47:16.854775807 and cannot be stored in nanosecond resolution",
        ),
    ] {
        let e = &items[i]["index"]["error"];
        assert_eq!(e["type"], "document_parsing_exception", "{e}");
        assert_eq!(e["caused_by"]["reason"], reason, "{e}");
    }
    let query = json!({"sort": [{"d": "asc"}], "_source": false, "docvalue_fields": ["d"]});
    assert_eq!(sorted(a, &query), expected());
    // `search_after` a nanosecond value, given as a number and as text
    let after = |v: Value| {
        sorted(
            a,
            &json!({"sort": [{"d": "asc"}], "_source": false, "docvalue_fields": ["d"],
                    "search_after": [v]}),
        )
    };
    assert_eq!(after(json!(1_540_815_132_123_456_700i64)), expected()[2..]);
    assert_eq!(
        after(json!("2018-10-29T12:12:12.1234567Z")),
        expected()[2..]
    );
    // aggregations see milliseconds
    let r = json(
        a,
        "POST",
        "/ns/_search",
        Some(
            &json!({"size": 0, "aggs": {"t": {"terms": {"field": "d", "order": {"_key": "asc"}}}}}),
        ),
    );
    let keys: Vec<Value> = r.json()["aggregations"]["t"]["buckets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| json!([b["key"], b["doc_count"]]))
        .collect();
    assert_eq!(
        keys,
        [
            json!([1_540_815_132_123i64, 3]),
            json!([1_540_854_000_000i64, 1])
        ]
    );

    let t = t.restart();
    let a = t.addr();
    assert_eq!(
        get(a, "/ns/_mapping").json()["ns"]["mappings"]["properties"]["d"],
        json!({"type": "date_nanos"})
    );
    assert_eq!(sorted(a, &query), expected());
    // a range to the nanosecond
    let within = sorted(
        a,
        &json!({"sort": [{"d": "asc"}], "_source": false, "docvalue_fields": ["d"],
                "query": {"range": {"d": {"gt": "2018-10-29T12:12:12.1234567Z",
                                          "lte": "2018-10-29T23:00:00.000000001Z"}}}}),
    );
    assert_eq!(within, expected()[2..]);
}
