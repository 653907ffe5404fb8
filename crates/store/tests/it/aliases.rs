//! Aliases through HTTP: kept across a restart, shown by `GET /{index}` and `_cat/aliases`,
//! written through to the write index, dropped with their index; filters kept and applied;
//! routing kept and shown. (Each answer's shape is compared with Elasticsearch's in
//! `es_diff::alias_apis_agree`.)

use serde_json::json;

use crate::TestServer;
use crate::client::{es_error as err, json, ok};

#[test]
fn aliases_survive_a_restart_and_follow_their_indices() {
    let t = TestServer::start();
    let a = t.addr();
    ok(&json(
        a,
        "PUT",
        "/app-1",
        Some(&json!({"aliases": {"app": {}, "app-write": {"is_write_index": true}}})),
    ));
    ok(&json(a, "PUT", "/app-2", None));
    ok(&json(
        a,
        "POST",
        "/_aliases",
        Some(&json!({"actions": [{"add": {"index": "app-2", "alias": "app"}}]})),
    ));
    let r = ok(&json(
        a,
        "POST",
        "/app-write/_doc?refresh=true",
        Some(&json!({"m": "x"})),
    ));
    assert_eq!(r["_index"], "app-1");
    let t = t.restart();
    let a = t.addr();
    let r = ok(&json(a, "GET", "/_alias/app", None));
    assert_eq!(
        r,
        json!({"app-1": {"aliases": {"app": {}}}, "app-2": {"aliases": {"app": {}}}})
    );
    let r = ok(&json(a, "GET", "/app-1", None));
    assert_eq!(
        r["app-1"]["aliases"],
        json!({"app": {}, "app-write": {"is_write_index": true}})
    );
    assert_eq!(ok(&json(a, "GET", "/app/_count", None))["count"], 1);
    let r = ok(&json(a, "GET", "/_cat/aliases?format=json", None));
    assert_eq!(
        r,
        json!([
            {"alias": "app", "index": "app-1", "filter": "-", "routing.index": "-", "routing.search": "-", "is_write_index": "-"},
            {"alias": "app", "index": "app-2", "filter": "-", "routing.index": "-", "routing.search": "-", "is_write_index": "-"},
            {"alias": "app-write", "index": "app-1", "filter": "-", "routing.index": "-", "routing.search": "-", "is_write_index": "true"}
        ])
    );
    let text = json(a, "GET", "/_cat/aliases?v", None).text();
    assert!(text.starts_with("alias"), "{text}");
    assert_eq!(text.lines().count(), 4, "{text}");
    // writing to an alias of two indices without a write index
    let reason = err(
        &json(a, "POST", "/app/_doc", Some(&json!({"m": "y"}))),
        400,
        "illegal_argument_exception",
    );
    assert!(
        reason.starts_with("no write index is defined for alias [app]"),
        "{reason}"
    );
    // deleting an index drops its aliases, also after a restart
    ok(&json(a, "DELETE", "/app-1", None));
    let t = t.restart();
    let a = t.addr();
    assert_eq!(
        ok(&json(a, "GET", "/_alias", None)),
        json!({"app-2": {"aliases": {"app": {}}}})
    );
    assert_eq!(json(a, "HEAD", "/_alias/app-write", None).status, 404);
    // routing: kept and shown (its effect: `routing::alias_routing_places_writes_and_narrows_searches`)
    for (field, shown) in [
        (
            "routing",
            json!({"index_routing": "1", "search_routing": "1"}),
        ),
        ("index_routing", json!({"index_routing": "1"})),
        ("search_routing", json!({"search_routing": "1"})),
    ] {
        ok(&json(
            a,
            "PUT",
            "/app-2/_alias/f",
            Some(&json!({ field: "1" })),
        ));
        let r = ok(&json(a, "GET", "/app-2/_alias/f", None));
        assert_eq!(r["app-2"]["aliases"]["f"], shown, "{field}: {r}");
        ok(&json(a, "DELETE", "/app-2/_alias/f", None));
    }
    // a filtered alias sees only what its filter matches, in searches, counts, scrolls and
    // by-query requests, and keeps its filter across a restart
    let docs = "{\"index\":{}}\n{\"m\":\"x\",\"n\":1}\n{\"index\":{}}\n{\"m\":\"y\",\"n\":2}\n{\"index\":{}}\n{\"m\":\"y\",\"n\":3}\n";
    assert_eq!(
        crate::client::ndjson(a, "/app-2/_bulk?refresh=true", docs).json()["errors"],
        false
    );
    ok(&json(
        a,
        "PUT",
        "/app-2/_alias/only-y",
        Some(&json!({"filter": {"term": {"m.keyword": "y"}}})),
    ));
    let t = t.restart();
    let a = t.addr();
    assert_eq!(ok(&json(a, "GET", "/only-y/_count", None))["count"], 2);
    assert_eq!(ok(&json(a, "GET", "/app-2/_count", None))["count"], 3);
    assert_eq!(
        ok(&json(a, "GET", "/only-y,app-2/_count", None))["count"],
        3,
        "reached by name too: no filter"
    );
    let r = ok(&json(
        a,
        "POST",
        "/only-y/_search?scroll=1m",
        Some(&json!({"size": 1, "aggs": {"n": {"sum": {"field": "n"}}}})),
    ));
    assert_eq!(r["hits"]["total"]["value"], 2);
    assert_eq!(r["aggregations"]["n"]["value"], 5.0);
    let cat = ok(&json(a, "GET", "/_cat/aliases/only-y?format=json", None));
    assert_eq!(cat[0]["filter"], "*");
    let r = ok(&json(
        a,
        "POST",
        "/only-y/_delete_by_query?refresh=true",
        None,
    ));
    assert_eq!(r["deleted"], 2);
    assert_eq!(ok(&json(a, "GET", "/app-2/_count", None))["count"], 1);
    // a filter that is not a query is refused, naming it, and changes nothing
    let reason = err(
        &json(
            a,
            "PUT",
            "/app-3",
            Some(&json!({"aliases": {"x": {"filter": {"no_such_query": {}}}}})),
        ),
        400,
        "illegal_argument_exception",
    );
    assert_eq!(reason, "failed to parse filter for alias [x]");
    assert_eq!(
        json(a, "HEAD", "/app-3", None).status,
        404,
        "a refused create leaves no index"
    );
}

/// `require_alias=true` (on `_bulk`, on an action line, on index, create and update): a write
/// whose target is an index rather than an alias is refused with Elasticsearch's 404, an item
/// at a time in a bulk; through an alias it is written.
#[test]
fn require_alias_refuses_writes_to_what_is_not_an_alias() {
    let t = crate::TestServer::start();
    let a = t.addr();
    crate::client::ok(&crate::client::json(a, "PUT", "/ra", None));
    crate::client::ok(&crate::client::json(a, "PUT", "/ra/_alias/raa", None));
    let want =
        "no such index [ra] and [require_alias] request flag is [true] and [ra] is not an alias";
    for (method, path, body) in [
        (
            "POST",
            "/ra/_doc?require_alias=true",
            serde_json::json!({"a": 1}),
        ),
        (
            "PUT",
            "/ra/_doc/1?require_alias=true",
            serde_json::json!({"a": 1}),
        ),
        (
            "PUT",
            "/ra/_create/1?require_alias=true",
            serde_json::json!({"a": 1}),
        ),
        (
            "POST",
            "/ra/_update/1?require_alias=true",
            serde_json::json!({"doc": {"a": 1}, "doc_as_upsert": true}),
        ),
    ] {
        let r = crate::client::json(a, method, path, Some(&body));
        let why = crate::client::es_error(&r, 404, "index_not_found_exception");
        assert_eq!(why, want, "{method} {path}");
    }
    let r = crate::client::ok(&crate::client::ndjson(
        a,
        "/_bulk?refresh=true",
        "{\"index\":{\"_index\":\"ra\",\"require_alias\":true}}\n{\"a\":1}\n\
         {\"index\":{\"_index\":\"raa\",\"_id\":\"2\",\"require_alias\":true}}\n{\"a\":2}\n\
         {\"index\":{\"_index\":\"ra\",\"_id\":\"3\"}}\n{\"a\":3}\n",
    ));
    assert_eq!(r["errors"], true, "{r}");
    assert_eq!(r["items"][0]["index"]["status"], 404, "{r}");
    assert_eq!(r["items"][0]["index"]["error"]["reason"], want);
    assert_eq!(r["items"][1]["index"]["status"], 201, "{r}");
    assert_eq!(r["items"][2]["index"]["status"], 201, "{r}");
    let r = crate::client::ok(&crate::client::ndjson(
        a,
        "/_bulk?require_alias=true&refresh=true",
        "{\"index\":{\"_index\":\"ra\"}}\n{\"a\":4}\n{\"index\":{\"_index\":\"ra\",\"require_alias\":false}}\n{\"a\":5}\n",
    ));
    assert_eq!(r["items"][0]["index"]["status"], 404, "{r}");
    assert_eq!(r["items"][1]["index"]["status"], 201, "{r}");
    let r = crate::client::ok(&crate::client::get(a, "/ra/_count"));
    assert_eq!(r["count"], 3, "{r}");
    // through the alias, with the flag, a document is written
    crate::client::ok(&crate::client::json(
        a,
        "PUT",
        "/raa/_doc/9?require_alias=true",
        Some(&serde_json::json!({"a": 9})),
    ));
}
