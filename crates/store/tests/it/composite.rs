//! Paging through every bucket of a `composite` aggregation with `after_key`, over several
//! segments and many more keys than a page: each key comes once, in order, with its full count
//! (the collection keeps only about two pages of buckets, so this checks what it drops).
//! `es_diff::composite_aggregations_agree` compares single pages with Elasticsearch.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{json, ndjson, ok};

#[test]
fn paging_with_after_key_visits_every_bucket_once() {
    let t = TestServer::start();
    ok(&json(
        t.addr(),
        "PUT",
        "/pages",
        Some(
            &json!({"mappings": {"properties": {"n": {"type": "long"}, "k": {"type": "keyword"}}}}),
        ),
    ));
    // 2,400 documents in four segments; n takes 200 values, each key several times per
    // segment, scattered, so a key can be dropped and then met again
    let mut expect: BTreeMap<(i64, String), u64> = BTreeMap::new();
    for part in 0..4 {
        let mut bulk = String::new();
        for i in 0..600i64 {
            let n = (i * 37 + part * 11) % 200;
            let k = ["x", "y", "z"][usize::try_from((i + part) % 3).unwrap()];
            *expect.entry((n, k.to_owned())).or_default() += 1;
            bulk.push_str(&format!(
                "{{\"index\":{{}}}}\n{}\n",
                json!({"n": n, "k": k})
            ));
        }
        let r = ok(&ndjson(t.addr(), "/pages/_bulk?refresh=true", &bulk));
        assert_eq!(r["errors"], false);
    }
    for desc in [false, true] {
        let order = if desc { "desc" } else { "asc" };
        let mut got: Vec<((i64, String), u64)> = Vec::new();
        let mut after: Option<Value> = None;
        for _ in 0..1000 {
            let mut body = json!({"size": 7, "sources": [
                {"n": {"terms": {"field": "n", "order": order}}},
                {"k": {"terms": {"field": "k"}}}]});
            if let Some(a) = &after {
                body["after"] = a.clone();
            }
            let r = ok(&json(
                t.addr(),
                "POST",
                "/pages/_search",
                Some(&json!({"size": 0, "aggs": {"c": {"composite": body}}})),
            ));
            let c = &r["aggregations"]["c"];
            let buckets = c["buckets"].as_array().unwrap();
            if buckets.is_empty() {
                assert!(c.get("after_key").is_none(), "{c}");
                break;
            }
            for b in buckets {
                let key = (
                    b["key"]["n"].as_i64().unwrap(),
                    b["key"]["k"].as_str().unwrap().to_owned(),
                );
                got.push((key, b["doc_count"].as_u64().unwrap()));
            }
            assert_eq!(c["after_key"], buckets.last().unwrap()["key"], "{c}");
            after = Some(c["after_key"].clone());
        }
        let mut want: Vec<((i64, String), u64)> = expect.clone().into_iter().collect();
        if desc {
            // n descending, k ascending within
            want.sort_by(|a, b| b.0.0.cmp(&a.0.0).then(a.0.1.cmp(&b.0.1)));
        }
        assert_eq!(got.len(), want.len(), "{order}");
        assert_eq!(got, want, "{order}");
    }
}
