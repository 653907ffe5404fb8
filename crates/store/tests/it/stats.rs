//! `GET /_stats` counts what the store did: writes, failed writes, deletes, no-op updates, gets
//! that found or missed, searches by shard and by `stats` group, fetches, scroll contexts,
//! refreshes and flushes, bulk requests and the translog since the last commit; per shard at
//! `level=shards`, summed per index and over all indices.

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{es_error, get, json, ok};

fn n(v: &Value, path: &str) -> u64 {
    path.split('.')
        .fold(v, |v, k| &v[k])
        .as_u64()
        .unwrap_or_else(|| panic!("{path} is not a number in {v}"))
}

#[test]
fn stats_count_what_the_store_did() {
    let t = TestServer::start();
    let a = t.addr();
    ok(&json(
        a,
        "PUT",
        "/logs",
        Some(&json!({"settings": {"number_of_shards": 2, "number_of_replicas": 0}})),
    ));
    for i in 0..6 {
        ok(&json(
            a,
            "PUT",
            &format!("/logs/_doc/{i}"),
            Some(&json!({"n": i})),
        ));
    }
    let before = ok(&get(a, "/logs/_stats/translog,indexing"));
    assert_eq!(n(&before, "_all.primaries.translog.operations"), 6);
    // a create of an existing id fails (and is a version conflict)
    let r = json(a, "PUT", "/logs/_create/1", Some(&json!({"n": 1})));
    es_error(&r, 409, "version_conflict_engine_exception");
    ok(&json(a, "DELETE", "/logs/_doc/5", None));
    ok(&json(
        a,
        "POST",
        "/logs/_update/2",
        Some(&json!({"doc": {"n": 2}})),
    ));
    ok(&get(a, "/logs/_doc/1"));
    assert_eq!(get(a, "/logs/_doc/404").status, 404);
    ok(&json(a, "POST", "/logs/_refresh", None));
    ok(&json(
        a,
        "POST",
        "/logs/_search",
        Some(&json!({"stats": ["dash"], "size": 1, "query": {"term": {"n": 3}}})),
    ));
    ok(&json(a, "POST", "/logs/_search", Some(&json!({"size": 0}))));
    let scroll = ok(&json(
        a,
        "POST",
        "/logs/_search?scroll=1m",
        Some(&json!({"size": 1})),
    ));
    let open = ok(&get(a, "/_stats/search"));
    assert_eq!(n(&open, "_all.total.search.open_contexts"), 2, "{open}");
    assert_eq!(n(&open, "_all.total.search.scroll_current"), 2);
    ok(&json(
        a,
        "DELETE",
        "/_search/scroll",
        Some(&json!({"scroll_id": scroll["_scroll_id"]})),
    ));

    let s = ok(&get(a, "/logs/_stats?groups=dash,nope&level=shards"));
    let all = "_all.total";
    assert_eq!(n(&s, &format!("{all}.indexing.index_total")), 6);
    assert_eq!(n(&s, &format!("{all}.indexing.index_failed")), 1);
    assert_eq!(
        n(
            &s,
            &format!("{all}.indexing.index_failed_due_to_version_conflict")
        ),
        1
    );
    assert_eq!(n(&s, &format!("{all}.indexing.delete_total")), 1);
    assert_eq!(n(&s, &format!("{all}.indexing.noop_update_total")), 1);
    // the update's read of the document is a get, as in ES
    assert_eq!(n(&s, &format!("{all}.get.exists_total")), 2);
    assert_eq!(n(&s, &format!("{all}.get.missing_total")), 1);
    assert_eq!(n(&s, &format!("{all}.get.total")), 3);
    assert_eq!(n(&s, &format!("{all}.docs.count")), 5);
    // three searches of two shards each; fetches only where a shown hit came from
    assert_eq!(n(&s, &format!("{all}.search.query_total")), 6);
    assert_eq!(n(&s, &format!("{all}.search.fetch_total")), 2);
    assert_eq!(n(&s, &format!("{all}.search.groups.dash.query_total")), 2);
    assert_eq!(n(&s, &format!("{all}.search.groups.dash.fetch_total")), 1);
    assert!(s["_all"]["total"]["search"]["groups"].get("nope").is_none());
    assert_eq!(n(&s, &format!("{all}.search.scroll_total")), 2);
    assert_eq!(n(&s, &format!("{all}.search.open_contexts")), 0);
    assert!(n(&s, &format!("{all}.refresh.total")) >= 1);
    assert_eq!(
        n(&s, &format!("{all}.flush.total")),
        n(&s, &format!("{all}.refresh.total"))
    );
    // the translog is trimmed by the refresh's commit
    assert_eq!(n(&s, &format!("{all}.translog.operations")), 0);
    // one bulk request per shard per write request
    assert!(n(&s, &format!("{all}.bulk.total_operations")) >= 8);
    // shards: each its own figures, summing to the index's
    let shards = &s["indices"]["logs"]["shards"];
    let docs: u64 = ["0", "1"]
        .iter()
        .map(|k| n(&shards[*k][0], "docs.count"))
        .sum();
    assert_eq!(docs, 5);
    assert_eq!(shards["0"][0]["routing"]["primary"], true);
    assert!(shards["1"][0]["commit"]["id"].is_string());
    // cluster level has no per-index part
    let c = ok(&get(a, "/_stats/docs?level=cluster"));
    assert!(c.get("indices").is_none());
    assert_eq!(n(&c, "_all.primaries.docs.count"), 5);
    assert!(c["_all"]["primaries"].get("search").is_none());
}

#[test]
fn stats_refuse_unknown_metrics_and_levels_in_es_words() {
    let t = TestServer::start();
    let a = t.addr();
    ok(&json(a, "PUT", "/logs", None));
    assert_eq!(
        es_error(
            &get(a, "/_stats/fieldata"),
            400,
            "illegal_argument_exception"
        ),
        "request [/_stats/fieldata] contains unrecognized metric: [fieldata] -> did you mean [fielddata]?"
    );
    assert_eq!(
        es_error(
            &get(a, "/_stats?level=node"),
            400,
            "illegal_argument_exception"
        ),
        "level parameter must be one of [cluster] or [indices] or [shards] but was [node]"
    );
    // a flush is a commit: what was written is then on disk and the translog is empty
    ok(&json(a, "PUT", "/logs/_doc/1", Some(&json!({"n": 1}))));
    ok(&json(a, "POST", "/logs/_flush", None));
    let s = ok(&get(
        a,
        "/logs/_stats/translog,segments?include_segment_file_sizes=true",
    ));
    assert_eq!(n(&s, "_all.total.translog.operations"), 0);
    assert_eq!(n(&s, "_all.total.segments.count"), 1);
    let files = s["_all"]["total"]["segments"]["file_sizes"]
        .as_object()
        .expect("file sizes");
    assert!(files.contains_key("store"), "{files:?}");
}
