//! `_cluster/settings`: the search limits an operator changes at run time, honoured by the
//! store (expensive queries refused, the bucket limit, the keep-alive limit), persistent ones
//! kept across a restart, transient ones not.

use serde_json::json;

use crate::TestServer;
use crate::client::{es_error, json, ok};

#[test]
fn cluster_settings_limit_searches_and_persist() {
    let t = TestServer::start();
    let a = t.addr();
    ok(&json(
        a,
        "PUT",
        "/logs",
        Some(
            &json!({"mappings": {"properties": {"msg": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
            "n": {"type": "long"}, "obj": {"type": "nested"}}}}),
        ),
    ));
    for i in 0..5 {
        ok(&json(
            a,
            "PUT",
            &format!("/logs/_doc/{i}?refresh=true"),
            Some(&json!({"msg": format!("outside {i}"), "n": i})),
        ));
    }
    let search = |body: serde_json::Value| json(a, "POST", "/logs/_search", Some(&body));
    // expensive queries run by default
    ok(&search(json!({"query": {"prefix": {"msg": "out"}}})));
    let v = ok(&json(
        a,
        "PUT",
        "/_cluster/settings",
        Some(
            &json!({"transient": {"search.allow_expensive_queries": false},
                     "persistent": {"search": {"max_buckets": 3}}}),
        ),
    ));
    assert_eq!(v["transient"]["search"]["allow_expensive_queries"], "false");
    assert_eq!(v["persistent"]["search"]["max_buckets"], "3");
    for (query, what) in [
        (json!({"prefix": {"msg": "out"}}), "[prefix] queries"),
        (json!({"wildcard": {"msg": "out*"}}), "[wildcard] queries"),
        (json!({"regexp": {"msg": "out.*"}}), "[regexp] queries"),
        (json!({"fuzzy": {"msg": "outsde"}}), "[fuzzy] queries"),
        (
            json!({"range": {"msg.raw": {"gte": "a"}}}),
            "[range] queries on [text] or [keyword] fields",
        ),
        (
            json!({"nested": {"path": "obj", "query": {"match_all": {}}}}),
            "[joining] queries",
        ),
    ] {
        let reason = es_error(
            &search(json!({"query": query})),
            400,
            "search_phase_execution_exception",
        );
        let body = search(json!({"query": query})).json();
        // listed per shard, as ES lists a query the shard cannot build
        let cause = body["error"]["failed_shards"][0]["reason"]["caused_by"]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            cause.starts_with(&format!(
                "{what} cannot be executed when 'search.allow_expensive_queries' is set to false"
            )),
            "{query}: {reason} / {cause}"
        );
    }
    // a range on a number is not expensive
    ok(&search(json!({"query": {"range": {"n": {"gte": 2}}}})));
    // three buckets at most
    ok(&search(
        json!({"size": 0, "aggs": {"t": {"terms": {"field": "n", "size": 3}}}}),
    ));
    // counted as the shards' results are reduced: ES fails that phase, naming no shard
    let r = search(json!({"size": 0, "aggs": {"t": {"terms": {"field": "n", "size": 10}}}}));
    es_error(&r, 400, "search_phase_execution_exception");
    let v = r.json();
    assert_eq!(
        v["error"]["caused_by"]["type"], "too_many_buckets_exception",
        "{v}"
    );
    assert_eq!(v["error"]["caused_by"]["max_buckets"], 3, "{v}");
    assert_eq!(v["error"]["root_cause"], json!([]), "{v}");
    // the keep-alive limit
    ok(&json(
        a,
        "PUT",
        "/_cluster/settings",
        Some(
            &json!({"transient": {"search.max_keep_alive": "1m", "search.default_keep_alive": "1m"}}),
        ),
    ));
    let too_long = es_error(
        &json(
            a,
            "POST",
            "/logs/_search?scroll=2m",
            Some(&json!({"size": 1})),
        ),
        400,
        "illegal_argument_exception",
    );
    assert!(too_long.contains("It must be less than (1m)"), "{too_long}");
    ok(&json(
        a,
        "POST",
        "/logs/_search?scroll=1m",
        Some(&json!({"size": 1})),
    ));
    // persistent settings survive a restart, transient ones do not
    let t = t.restart();
    let a = t.addr();
    let v = ok(&json(
        a,
        "GET",
        "/_cluster/settings?flat_settings=true",
        None,
    ));
    assert_eq!(
        v,
        json!({"persistent": {"search.max_buckets": "3"}, "transient": {}})
    );
    ok(&json(
        a,
        "POST",
        "/logs/_search",
        Some(&json!({"query": {"prefix": {"msg": "out"}}})),
    ));
    // reset, then unknown names and wrong values are ES's errors
    ok(&json(
        a,
        "PUT",
        "/_cluster/settings",
        Some(&json!({"persistent": {"search.max_buckets": null}})),
    ));
    let v = ok(&json(a, "GET", "/_cluster/settings", None));
    assert_eq!(v, json!({"persistent": {}, "transient": {}}));
    let e = es_error(
        &json(
            a,
            "PUT",
            "/_cluster/settings",
            Some(&json!({"persistent": {"nope": 1}})),
        ),
        400,
        "illegal_argument_exception",
    );
    assert_eq!(e, "persistent setting [nope], not recognized");
}
