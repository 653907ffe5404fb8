//! Custom `routing`, as Elasticsearch places and finds documents with it: the shard is chosen by
//! the routing value instead of the `_id` (murmur3, as ES), so a get, delete or update must give
//! the same value; `_routing` comes back in gets and hits; searches with `routing` read only the
//! shards it routes to; `_routing: {required: true}` refuses document requests without it; the
//! by-query APIs and `_mget` carry each document's own routing; and a restart keeps it all.
//!
//! With five shards, `_id` 1 and routing 5 route to different shards (ES's own REST tests rely
//! on the same pair), and routings 4 and 5 too.

use serde_json::json;

use crate::TestServer;
use crate::client::{es_error, get, json, ndjson, ok};

fn five_shards(a: std::net::SocketAddr, index: &str) {
    ok(&json(
        a,
        "PUT",
        &format!("/{index}"),
        Some(&json!({"settings": {"number_of_shards": 5}})),
    ));
}

fn count(a: std::net::SocketAddr, path: &str) -> u64 {
    let r = ok(&json(
        a,
        "POST",
        path,
        Some(&json!({"query": {"match_all": {}}})),
    ));
    r["hits"]["total"]["value"].as_u64().unwrap_or(u64::MAX)
}

#[test]
fn a_routed_document_is_found_deleted_and_searched_only_with_its_routing() {
    let t = TestServer::start();
    let a = t.addr();
    five_shards(a, "r");
    ok(&json(
        a,
        "PUT",
        "/r/_doc/1?routing=5",
        Some(&json!({"foo": "bar"})),
    ));
    // realtime, before any refresh
    let g = ok(&get(a, "/r/_doc/1?routing=5"));
    assert_eq!(g["_routing"], "5", "{g}");
    assert_eq!(g["_source"], json!({"foo": "bar"}));
    let miss = get(a, "/r/_doc/1");
    assert_eq!(miss.status, 404, "{}", miss.text());
    assert_eq!(miss.json()["found"], false);
    assert_eq!(get(a, "/r/_source/1?routing=5").status, 200);
    assert_eq!(get(a, "/r/_source/1").status, 404);
    // `stored_fields` names metadata: no `_source`, `_routing` still there
    let g = ok(&get(a, "/r/_doc/1?routing=5&stored_fields=_routing"));
    assert_eq!(g["_routing"], "5");
    assert!(g.get("_source").is_none(), "{g}");

    ok(&json(a, "POST", "/r/_refresh", None));
    let g = ok(&get(a, "/r/_doc/1?routing=5&realtime=false"));
    assert_eq!(g["_routing"], "5", "committed: {g}");
    let hits = ok(&json(a, "POST", "/r/_search", Some(&json!({}))));
    assert_eq!(hits["hits"]["hits"][0]["_routing"], "5", "{hits}");
    assert_eq!(count(a, "/r/_search?routing=5"), 1);
    assert_eq!(count(a, "/r/_search?routing=4"), 0);
    assert_eq!(count(a, "/r/_search?routing=4,5"), 1);
    let c = ok(&json(a, "POST", "/r/_count?routing=4", None));
    assert_eq!(c["count"], 0, "{c}");
    let e = ok(&json(
        a,
        "POST",
        "/r/_search",
        Some(&json!({"query": {"exists": {"field": "_routing"}}})),
    ));
    assert_eq!(e["hits"]["total"]["value"], 1, "{e}");

    // a delete with another routing finds nothing; with its own, the document
    let d = json(a, "DELETE", "/r/_doc/1?routing=4", None);
    assert_eq!(d.status, 404, "{}", d.text());
    assert_eq!(d.json()["result"], "not_found");
    let d = ok(&json(a, "DELETE", "/r/_doc/1?routing=5&refresh=true", None));
    assert_eq!(d["result"], "deleted");
    assert_eq!(count(a, "/r/_search"), 0);
}

#[test]
fn updates_bulk_and_mget_carry_each_documents_routing() {
    let t = TestServer::start();
    let a = t.addr();
    five_shards(a, "u");
    // an action line's routing, and the URL's for the lines without one
    let r = ok(&ndjson(
        a,
        "/u/_bulk?routing=5&refresh=true",
        "{\"index\":{\"_id\":\"1\",\"routing\":\"4\"}}\n{\"n\":1}\n\
         {\"index\":{\"_id\":\"2\"}}\n{\"n\":2}\n",
    ));
    assert_eq!(r["errors"], false, "{r}");
    let m = ok(&json(
        a,
        "POST",
        "/u/_mget",
        Some(&json!({"docs": [
            {"_id": "1", "routing": "4"},
            {"_id": "2", "routing": "5"},
            {"_id": "1"}]})),
    ));
    assert_eq!(m["docs"][0]["found"], true, "{m}");
    assert_eq!(m["docs"][0]["_routing"], "4");
    assert_eq!(m["docs"][1]["_routing"], "5");
    assert_eq!(m["docs"][2]["found"], false);
    let m = ok(&json(
        a,
        "POST",
        "/u/_mget?routing=5",
        Some(&json!({"ids": ["2"]})),
    ));
    assert_eq!(m["docs"][0]["found"], true, "{m}");

    // an update reads and writes where the routing places the document
    let miss = json(a, "POST", "/u/_update/1", Some(&json!({"doc": {"n": 10}})));
    es_error(&miss, 404, "document_missing_exception");
    // `_source` as a field list asks for those fields of the updated source back
    let up = ok(&json(
        a,
        "POST",
        "/u/_update/1?routing=4&refresh=true&_source=n",
        Some(&json!({"doc": {"n": 10, "extra": true}})),
    ));
    assert_eq!(up["get"]["_source"], json!({"n": 10}), "{up}");
    let g = ok(&get(a, "/u/_doc/1?routing=4"));
    assert_eq!(g["_source"]["n"], 10);
    assert_eq!(g["_routing"], "4");

    // by-query rewrites and deletes keep each document's shard
    let r = ok(&json(
        a,
        "POST",
        "/u/_update_by_query?refresh=true",
        Some(&json!({"query": {"match_all": {}}})),
    ));
    assert_eq!(r["updated"], 2, "{r}");
    assert_eq!(ok(&get(a, "/u/_doc/1?routing=4"))["_routing"], "4");
    let r = ok(&json(
        a,
        "POST",
        "/u/_delete_by_query?refresh=true",
        Some(&json!({"query": {"term": {"n": 2}}})),
    ));
    assert_eq!(r["deleted"], 1, "{r}");
    assert_eq!(get(a, "/u/_doc/2?routing=5").status, 404);
    assert_eq!(count(a, "/u/_search"), 1);
}

#[test]
fn required_routing_is_refused_when_missing_and_routing_survives_a_restart() {
    let t = TestServer::start();
    let a = t.addr();
    ok(&json(
        a,
        "PUT",
        "/q",
        Some(&json!({"settings": {"number_of_shards": 5},
                     "mappings": {"_routing": {"required": true}}})),
    ));
    let m = ok(&get(a, "/q/_mapping"));
    assert_eq!(
        m["q"]["mappings"]["_routing"],
        json!({"required": true}),
        "{m}"
    );
    let e = es_error(
        &json(a, "PUT", "/q/_doc/1", Some(&json!({"a": 1}))),
        400,
        "routing_missing_exception",
    );
    assert_eq!(e, "routing is required for [q]/[1]");
    es_error(&get(a, "/q/_doc/1"), 400, "routing_missing_exception");
    es_error(
        &json(a, "DELETE", "/q/_doc/1", None),
        400,
        "routing_missing_exception",
    );
    let r = ok(&ndjson(
        a,
        "/q/_bulk",
        "{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n{\"index\":{\"_id\":\"2\",\"routing\":\"x\"}}\n{\"a\":2}\n",
    ));
    assert_eq!(r["errors"], true);
    assert_eq!(
        r["items"][0]["index"]["error"]["type"], "routing_missing_exception",
        "{r}"
    );
    assert_eq!(r["items"][1]["index"]["status"], 201, "{r}");
    let bad = json(
        a,
        "PUT",
        "/q2",
        Some(&json!({"mappings": {"_routing": {"required": true, "path": "x"}}})),
    );
    es_error(&bad, 400, "mapper_parsing_exception");

    // one document committed, one only in the translog
    ok(&json(a, "POST", "/q/_refresh", None));
    ok(&json(
        a,
        "PUT",
        "/q/_doc/3?routing=y",
        Some(&json!({"a": 3})),
    ));
    let t = t.restart();
    let a = t.addr();
    assert_eq!(ok(&get(a, "/q/_doc/2?routing=x"))["_routing"], "x");
    assert_eq!(ok(&get(a, "/q/_doc/3?routing=y"))["_routing"], "y");
    let m = ok(&get(a, "/q/_mapping"));
    assert_eq!(
        m["q"]["mappings"]["_routing"],
        json!({"required": true}),
        "{m}"
    );
}

#[test]
fn stored_fields_of_a_get_return_the_stored_fields_and_drop_the_source() {
    let t = TestServer::start();
    let a = t.addr();
    ok(&json(
        a,
        "PUT",
        "/s",
        Some(&json!({"mappings": {"properties": {
            "foo": {"type": "keyword", "store": true},
            "count": {"type": "integer", "store": true},
            "plain": {"type": "keyword"}}}})),
    ));
    ok(&json(
        a,
        "PUT",
        "/s/_doc/1",
        Some(&json!({"foo": "bar", "count": 1, "plain": "p"})),
    ));
    let g = ok(&get(a, "/s/_doc/1?stored_fields=foo,count,plain"));
    assert_eq!(g["fields"], json!({"foo": ["bar"], "count": [1]}), "{g}");
    assert!(g.get("_source").is_none(), "{g}");
    let g = ok(&get(a, "/s/_doc/1?stored_fields=foo,_source"));
    assert_eq!(g["fields"], json!({"foo": ["bar"]}), "{g}");
    assert_eq!(g["_source"]["plain"], "p");
}

#[test]
fn alias_routing_places_writes_and_narrows_searches() {
    let t = TestServer::start();
    let a = t.addr();
    five_shards(a, "ar");
    ok(&json(
        a,
        "POST",
        "/_aliases",
        Some(&json!({"actions": [
            {"add": {"index": "ar", "alias": "both", "routing": 5}},
            {"add": {"index": "ar", "alias": "split", "index_routing": "4", "search_routing": "4,5"}},
            {"add": {"index": "ar", "alias": "only_search", "search_routing": "4"}}]})),
    ));
    let g = ok(&get(a, "/ar/_alias"));
    assert_eq!(
        g["ar"]["aliases"],
        json!({"both": {"index_routing": "5", "search_routing": "5"},
               "only_search": {"search_routing": "4"},
               "split": {"index_routing": "4", "search_routing": "4,5"}}),
        "{g}"
    );
    let cat = get(
        a,
        "/_cat/aliases?h=alias,routing.index,routing.search&s=alias",
    )
    .text();
    assert_eq!(
        cat, "both        5 5\nonly_search - 4\nsplit       4 4,5\n",
        "{cat}"
    );
    // a write through an alias takes its index routing; another routing is refused
    ok(&json(
        a,
        "PUT",
        "/both/_doc/1?refresh=true",
        Some(&json!({"n": 1})),
    ));
    assert_eq!(ok(&get(a, "/ar/_doc/1?routing=5"))["_routing"], "5");
    let e = es_error(
        &json(a, "PUT", "/both/_doc/2?routing=4", Some(&json!({"n": 2}))),
        400,
        "illegal_argument_exception",
    );
    assert!(
        e.contains("has index routing associated with it [5]"),
        "{e}"
    );
    let r = ok(&ndjson(
        a,
        "/split/_bulk?refresh=true",
        "{\"index\":{\"_id\":\"3\"}}\n{\"n\":3}\n",
    ));
    assert_eq!(r["errors"], false, "{r}");
    assert_eq!(ok(&get(a, "/ar/_doc/3?routing=4"))["_routing"], "4");
    ok(&json(
        a,
        "POST",
        "/split/_update/3?refresh=true",
        Some(&json!({"doc": {"m": 1}})),
    ));
    assert_eq!(ok(&get(a, "/ar/_doc/3?routing=4"))["_source"]["m"], 1);
    // searches through an alias read only the shards its search routing reaches
    assert_eq!(count(a, "/ar/_search"), 2);
    assert_eq!(count(a, "/both/_search"), 1);
    assert_eq!(count(a, "/only_search/_search"), 1);
    assert_eq!(count(a, "/split/_search"), 2);
    // with the index named too, every shard
    assert_eq!(count(a, "/only_search,ar/_search"), 2);
    let bad = json(
        a,
        "POST",
        "/_aliases",
        Some(&json!({"actions": [{"add": {"index": "ar", "alias": "x", "index_routing": "1,2"}}]})),
    );
    es_error(&bad, 400, "illegal_argument_exception");
}
