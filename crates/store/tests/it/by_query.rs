//! `_update_by_query` and `_delete_by_query` through HTTP. (Elasticsearch's integration-test
//! distribution that `cargo xtask test` starts has no `reindex` module, so these answers are
//! checked against ES's documented `BulkByScrollResponse` here rather than side by side.)

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{es_error as err, json, ndjson, ok};

/// The answer without `took`.
fn view(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        assert!(o.remove("took").is_some_and(|t| t.is_u64()), "took");
    }
    v
}

fn counts(total: u64, kind: &str, n: u64, conflicts: u64, batches: u64) -> Value {
    let mut v = json!({"timed_out": false, "total": total});
    v[kind] = json!(n);
    if kind == "updated" {
        v["deleted"] = json!(0);
    }
    v["batches"] = json!(batches);
    v["version_conflicts"] = json!(conflicts);
    v["noops"] = json!(0);
    v["retries"] = json!({"bulk": 0, "search": 0});
    v["throttled_millis"] = json!(0);
    v["requests_per_second"] = json!(-1.0);
    v["throttled_until_millis"] = json!(0);
    v["failures"] = json!([]);
    v
}

#[test]
fn by_query_acts_on_the_last_refresh_and_counts_conflicts() {
    const G: [&str; 3] = ["a", "b", "c"];
    let t = TestServer::start();
    let a = t.addr();
    ok(&json(
        a,
        "PUT",
        "/byq",
        Some(&json!({
        "settings": {"number_of_shards": 1, "refresh_interval": "-1"},
        "mappings": {"properties": {"n": {"type": "long"}, "g": {"type": "keyword"}}}})),
    ));
    let bulk: String = (0..20)
        .map(|i| {
            format!(
                "{}\n{}\n",
                json!({"index": {"_id": i.to_string()}}),
                json!({"n": i, "g": G[i % 3]})
            )
        })
        .collect();
    assert_eq!(
        ndjson(a, "/byq/_bulk?refresh=true", &bulk).json()["errors"],
        false
    );
    let count = |q: &str| ok(&json(a, "GET", &format!("/byq/_count{q}"), None))["count"].clone();
    // written after the last refresh: a conflict, counted and passed over with proceed
    ok(&json(
        a,
        "PUT",
        "/byq/_doc/3",
        Some(&json!({"n": 3, "g": "a", "v": 2})),
    ));
    let r = json(
        a,
        "POST",
        "/byq/_update_by_query?conflicts=proceed&refresh=true",
        Some(&json!({"query": {"term": {"g": "a"}}})),
    );
    assert_eq!(
        (r.status, view(r.json())),
        (200, counts(7, "updated", 6, 1, 1))
    );
    assert_eq!(count("?q=g:a"), 7);
    // without proceed: the batch applies, the run ends, the answer is the conflict's 409
    ok(&json(
        a,
        "PUT",
        "/byq/_doc/5",
        Some(&json!({"n": 5, "g": "c", "v": 2})),
    ));
    let r = json(
        a,
        "POST",
        "/byq/_delete_by_query",
        Some(&json!({"query": {"range": {"n": {"gte": 4}}}})),
    );
    assert_eq!(r.status, 409, "{}", r.text());
    let mut v = view(r.json());
    let failures = v["failures"].take();
    let mut want = counts(16, "deleted", 15, 1, 1);
    want["failures"] = Value::Null;
    assert_eq!(v, want);
    assert_eq!(failures[0]["id"], "5");
    assert_eq!(failures[0]["status"], 409);
    assert_eq!(
        failures[0]["cause"]["type"],
        "version_conflict_engine_exception"
    );
    assert!(
        failures[0]["cause"]["reason"]
            .as_str()
            .unwrap_or_default()
            .starts_with("[5]: version conflict, required seqNo [5]"),
        "{failures}"
    );
    ok(&json(a, "POST", "/byq/_refresh", None));
    assert_eq!(count(""), 5);
    // max_docs, q, refresh; an update with nothing to change still rewrites
    let r = json(
        a,
        "POST",
        "/byq/_delete_by_query?q=g:b&max_docs=1&refresh=true",
        None,
    );
    assert_eq!(
        (r.status, view(r.json())),
        (200, counts(1, "deleted", 1, 0, 1))
    );
    assert_eq!(count(""), 4);
    let r = json(
        a,
        "POST",
        "/byq/_update_by_query?refresh=true&scroll_size=1",
        Some(&json!({"max_docs": 3})),
    );
    assert_eq!(
        (r.status, view(r.json())),
        (200, counts(3, "updated", 3, 0, 3))
    );
    let r = json(
        a,
        "POST",
        "/byq/_delete_by_query",
        Some(&json!({"query": {"term": {"g": "zzz"}}})),
    );
    assert_eq!(
        (r.status, view(r.json())),
        (200, counts(0, "deleted", 0, 0, 0))
    );
    // refusals, by name
    err(
        &json(
            a,
            "POST",
            "/byq/_delete_by_query",
            Some(&json!({"max_docs": 0})),
        ),
        400,
        "action_request_validation_exception",
    );
    err(
        &json(a, "POST", "/byq/_delete_by_query?conflicts=maybe", None),
        400,
        "illegal_argument_exception",
    );
    err(
        &json(a, "POST", "/byq-missing/_delete_by_query", None),
        404,
        "index_not_found_exception",
    );
    for (path, body, what) in [
        (
            "/byq/_update_by_query",
            json!({"script": {"source": "ctx._source.n++"}}),
            "[script]",
        ),
        (
            "/byq/_delete_by_query",
            json!({"slice": {"id": 0, "max": 2}}),
            "[slice]",
        ),
        (
            "/byq/_delete_by_query?wait_for_completion=false",
            json!({}),
            "wait_for_completion=false",
        ),
        ("/byq/_delete_by_query?slices=2", json!({}), "[slices]"),
        (
            "/byq/_delete_by_query?requests_per_second=10",
            json!({}),
            "requests_per_second",
        ),
    ] {
        let reason = err(
            &json(a, "POST", path, Some(&body)),
            400,
            "illegal_argument_exception",
        );
        assert!(
            reason.contains(what) && reason.contains("not supported by sluice-store"),
            "{path}: {reason}"
        );
    }
    assert_eq!(count(""), 4, "nothing was written by a refused request");
}
