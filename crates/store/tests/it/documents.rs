//! The document APIs beyond index/get/delete, as Elasticsearch 8 answers them: `_update`
//! (partial `doc`, `upsert`, `doc_as_upsert`, `detect_noop`, `retry_on_conflict`), the bulk
//! `update` action, `_mget`, `_source`, optimistic concurrency (`if_seq_no` +
//! `if_primary_term`, external versions) and `forced_refresh`; and that what they wrote
//! survives a restart.

use serde_json::json;

use crate::TestServer;
use crate::client::{es_error as err, get, json, ndjson, ok};

#[test]
fn partial_updates_merge_upsert_and_detect_noops() {
    let t = TestServer::start();
    let a = t.addr();
    let v = ok(&json(
        a,
        "PUT",
        "/u/_doc/1?refresh=true",
        Some(&json!({"user": "user1", "n": 1, "o": {"x": 1, "y": 2}})),
    ));
    assert_eq!(v["forced_refresh"], true, "{v}");
    assert_eq!(
        (v["_version"].clone(), v["_seq_no"].clone()),
        (json!(1), json!(0))
    );

    let v = ok(&json(
        a,
        "POST",
        "/u/_update/1",
        Some(&json!({"doc": {"n": 2, "o": {"y": 3, "z": [1]}}})),
    ));
    assert_eq!(v["result"], "updated");
    assert_eq!(v["_version"], 2);
    let got = ok(&json(a, "GET", "/u/_doc/1", None));
    assert_eq!(
        got["_source"],
        json!({"user": "user1", "n": 2, "o": {"x": 1, "y": 3, "z": [1]}})
    );

    // The same partial doc again changes nothing: a noop, nothing written.
    let v = ok(&json(
        a,
        "POST",
        "/u/_update/1",
        Some(&json!({"doc": {"n": 2}})),
    ));
    assert_eq!(v["result"], "noop");
    assert_eq!(v["_version"], 2);
    assert_eq!(v["_shards"]["total"], 0);
    let v = ok(&json(
        a,
        "POST",
        "/u/_update/1?_source=true",
        Some(&json!({"doc": {"n": 2}, "detect_noop": false})),
    ));
    assert_eq!(
        (v["result"].clone(), v["_version"].clone()),
        (json!("updated"), json!(3))
    );
    assert_eq!(v["get"]["_source"]["n"], 2);
    assert_eq!(v["get"]["found"], true);

    // A missing document: 404, unless an upsert says what to create.
    let reason = err(
        &json(a, "POST", "/u/_update/2", Some(&json!({"doc": {"n": 1}}))),
        404,
        "document_missing_exception",
    );
    assert_eq!(reason, "[2]: document missing");
    let r = json(
        a,
        "POST",
        "/u/_update/2",
        Some(&json!({"doc": {"n": 5}, "upsert": {"n": 0, "fresh": true}})),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["result"], "created");
    assert_eq!(
        ok(&json(a, "GET", "/u/_source/2", None)),
        json!({"n": 0, "fresh": true})
    );
    let r = json(
        a,
        "POST",
        "/u/_update/3",
        Some(&json!({"doc": {"n": 7}, "doc_as_upsert": true})),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(ok(&json(a, "GET", "/u/_source/3", None)), json!({"n": 7}));
    // An update auto-creates its index, as every write does.
    let r = json(
        a,
        "POST",
        "/fresh-index/_update/1",
        Some(&json!({"doc": {"a": 1}, "doc_as_upsert": true})),
    );
    assert_eq!(r.status, 201, "{}", r.text());

    // Scripts are refused by name; bodies are checked.
    let reason = err(
        &json(
            a,
            "POST",
            "/u/_update/1",
            Some(&json!({"script": {"source": "ctx._source.n += 1"}})),
        ),
        400,
        "illegal_argument_exception",
    );
    assert!(reason.contains("[script]"), "{reason}");
    err(
        &json(
            a,
            "POST",
            "/u/_update/1",
            Some(&json!({"upsert": {"n": 1}})),
        ),
        400,
        "action_request_validation_exception",
    );
    err(
        &json(
            a,
            "POST",
            "/u/_update/1",
            Some(&json!({"doc": {}, "nope": 1})),
        ),
        400,
        "x_content_parse_exception",
    );
    err(
        &json(
            a,
            "POST",
            "/u/_update/1?retry_on_conflict=x",
            Some(&json!({"doc": {}})),
        ),
        400,
        "illegal_argument_exception",
    );

    // Searchable as updated, and the same after a restart.
    ok(&json(a, "POST", "/u/_refresh", None));
    let hits = ok(&json(
        a,
        "POST",
        "/u/_search",
        Some(&json!({"query": {"term": {"n": 2}}})),
    ));
    assert_eq!(
        hits["hits"]["total"]["value"], 1,
        "the old version is gone: {hits}"
    );
    let t = t.restart();
    let got = ok(&json(t.addr(), "GET", "/u/_doc/1", None));
    assert_eq!(got["_version"], 3);
    assert_eq!(got["_source"]["o"], json!({"x": 1, "y": 3, "z": [1]}));
}

#[test]
fn optimistic_concurrency_and_external_versions() {
    let t = TestServer::start();
    let a = t.addr();
    let first = ok(&json(a, "PUT", "/c/_doc/1", Some(&json!({"v": 1}))));
    let (seq, term) = (
        first["_seq_no"].as_u64().unwrap(),
        first["_primary_term"].as_u64().unwrap(),
    );
    let ok_write = json(
        a,
        "PUT",
        &format!("/c/_doc/1?if_seq_no={seq}&if_primary_term={term}"),
        Some(&json!({"v": 2})),
    );
    assert_eq!(ok_write.status, 200, "{}", ok_write.text());
    // The same precondition again: the document moved on.
    let reason = err(
        &json(
            a,
            "PUT",
            &format!("/c/_doc/1?if_seq_no={seq}&if_primary_term={term}"),
            Some(&json!({"v": 3})),
        ),
        409,
        "version_conflict_engine_exception",
    );
    assert!(
        reason.starts_with(&format!("[1]: version conflict, required seqNo [{seq}], primary term [1]. current document has seqNo [")),
        "{reason}"
    );
    assert_eq!(ok(&json(a, "GET", "/c/_source/1", None)), json!({"v": 2}));
    let reason = err(
        &json(
            a,
            "DELETE",
            "/c/_doc/1?if_seq_no=99&if_primary_term=1",
            None,
        ),
        409,
        "version_conflict_engine_exception",
    );
    assert!(reason.contains("required seqNo [99]"), "{reason}");
    let reason = err(
        &json(
            a,
            "PUT",
            "/c/_doc/9?if_seq_no=0&if_primary_term=1",
            Some(&json!({})),
        ),
        409,
        "version_conflict_engine_exception",
    );
    assert!(reason.ends_with("but no document was found"), "{reason}");
    let reason = err(
        &json(a, "PUT", "/c/_doc/1?if_seq_no=1", Some(&json!({}))),
        400,
        "action_request_validation_exception",
    );
    assert_eq!(
        reason,
        "Validation Failed: 1: ifSeqNo is set, but primary term is [0];"
    );

    // External versions: the client's version becomes the document's, and must grow.
    let v = ok(&json(
        a,
        "PUT",
        "/c/_doc/e?version=10&version_type=external",
        Some(&json!({"v": 10})),
    ));
    assert_eq!(v["_version"], 10);
    let reason = err(
        &json(
            a,
            "PUT",
            "/c/_doc/e?version=10&version_type=external",
            Some(&json!({"v": 0})),
        ),
        409,
        "version_conflict_engine_exception",
    );
    assert_eq!(
        reason,
        "[e]: version conflict, current version [10] is higher or equal to the one provided [10]"
    );
    let v = ok(&json(
        a,
        "PUT",
        "/c/_doc/e?version=10&version_type=external_gte",
        Some(&json!({"v": 11})),
    ));
    assert_eq!(v["_version"], 10);
    let v = ok(&json(
        a,
        "PUT",
        "/c/_doc/e?version=12&version_type=external",
        Some(&json!({"v": 12})),
    ));
    assert_eq!(v["_version"], 12);
    let reason = err(
        &json(a, "PUT", "/c/_doc/e?version=3", Some(&json!({}))),
        400,
        "action_request_validation_exception",
    );
    assert!(
        reason.contains("internal versioning can not be used"),
        "{reason}"
    );

    // Updates honour if_seq_no too.
    let cur = ok(&json(a, "GET", "/c/_doc/1", None));
    let stale = cur["_seq_no"].as_u64().unwrap() + 100;
    err(
        &json(
            a,
            "POST",
            &format!("/c/_update/1?if_seq_no={stale}&if_primary_term=1"),
            Some(&json!({"doc": {"v": 4}})),
        ),
        409,
        "version_conflict_engine_exception",
    );
    let t = t.restart();
    let v = ok(&json(t.addr(), "GET", "/c/_doc/e", None));
    assert_eq!(
        (v["_version"].clone(), v["_source"].clone()),
        (json!(12), json!({"v": 12}))
    );
}

#[test]
fn bulk_updates_apply_in_request_order() {
    let t = TestServer::start();
    let a = t.addr();
    let body = [
        json!({"index": {"_index": "b", "_id": "1"}}),
        json!({"n": 1, "tags": ["a"]}),
        json!({"update": {"_index": "b", "_id": "1"}}),
        json!({"doc": {"n": 2}}),
        json!({"update": {"_index": "b", "_id": "1", "retry_on_conflict": 3}}),
        json!({"doc": {"m": true}}),
        json!({"update": {"_index": "b", "_id": "2"}}),
        json!({"doc": {"n": 9}}),
        json!({"update": {"_index": "b", "_id": "3"}}),
        json!({"doc": {"n": 3}, "doc_as_upsert": true}),
        json!({"update": {"_index": "b", "_id": "1"}}),
        json!({"script": "ctx._source.n++"}),
        json!({"index": {"_index": "b", "_id": "4", "if_seq_no": 1000, "if_primary_term": 1}}),
        json!({"x": 1}),
    ];
    let body: String = body.iter().map(|l| format!("{l}\n")).collect();
    let v = ok(&ndjson(a, "/_bulk?refresh=true", &body));
    assert_eq!(v["errors"], true);
    let items = v["items"].as_array().unwrap();
    let status: Vec<(String, u64)> = items
        .iter()
        .map(|i| {
            let (op, body) = i.as_object().unwrap().iter().next().unwrap();
            (op.clone(), body["status"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        status,
        [
            ("index", 201),
            ("update", 200),
            ("update", 200),
            ("update", 404),
            ("update", 201),
            ("update", 400),
            ("index", 409),
        ]
        .map(|(o, s)| (o.to_owned(), s))
    );
    assert_eq!(items[2]["update"]["_version"], 3);
    assert_eq!(
        items[3]["update"]["error"]["type"],
        "document_missing_exception"
    );
    assert_eq!(
        ok(&json(a, "GET", "/b/_source/1", None)),
        json!({"n": 2, "tags": ["a"], "m": true})
    );

    // _mget over what is there, what is not, and an index that does not exist.
    let v = ok(&json(
        a,
        "POST",
        "/_mget",
        Some(&json!({"docs": [
            {"_index": "b", "_id": "1"}, {"_index": "b", "_id": "nope"}, {"_index": "gone", "_id": "1"}
        ]})),
    ));
    let docs = v["docs"].as_array().unwrap();
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[0]["found"], true);
    assert_eq!(docs[0]["_source"]["m"], true);
    assert_eq!(docs[0]["_version"], 3);
    assert_eq!(docs[1]["found"], false);
    assert_eq!(docs[2]["error"]["type"], "index_not_found_exception");
    let v = ok(&json(
        a,
        "GET",
        "/b/_mget?_source=false",
        Some(&json!({"ids": ["3", "1"]})),
    ));
    let ids: Vec<&str> = v["docs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["3", "1"]);
    assert!(v["docs"][0].get("_source").is_none());
    let reason = err(
        &json(a, "POST", "/_mget", Some(&json!({"ids": ["1"]}))),
        400,
        "action_request_validation_exception",
    );
    assert_eq!(reason, "Validation Failed: 1: index is missing for doc 0;");
    err(
        &json(a, "POST", "/_mget", Some(&json!({}))),
        400,
        "action_request_validation_exception",
    );

    // _source of a missing document, and HEAD.
    let reason = err(
        &json(a, "GET", "/b/_source/nope", None),
        404,
        "resource_not_found_exception",
    );
    assert_eq!(reason, "Document not found [b]/[nope]");
    assert_eq!(json(a, "HEAD", "/b/_source/1", None).status, 200);
    assert_eq!(json(a, "HEAD", "/b/_source/nope", None).status, 404);
}

/// An index deleted while its background work (scheduled refreshes, merges) is still running
/// and created again under the same name at once: every delete answers 200 and the new index
/// starts empty and works (the old index's threads wrote into the new one's directory before
/// its writers were released on delete).
#[test]
fn an_index_deleted_and_created_again_at_once_starts_clean() {
    let t = crate::TestServer::start();
    let a = t.addr();
    for round in 0..25 {
        ok(&json(
            a,
            "PUT",
            "/again",
            Some(&json!({"settings": {"refresh_interval": "10ms"}})),
        ));
        let bulk: String = (0..300)
            .map(|i| format!("{{\"index\":{{}}}}\n{{\"round\":{round},\"i\":{i}}}\n"))
            .collect();
        let r = ok(&ndjson(a, "/again/_bulk", &bulk));
        assert_eq!(r["errors"], false, "round {round}: {r}");
        let r = json(a, "DELETE", "/again", None);
        assert_eq!(r.status, 200, "round {round}: {}", r.text());
    }
    ok(&json(a, "PUT", "/again", None));
    ok(&json(
        a,
        "PUT",
        "/again/_doc/1?refresh=true",
        Some(&json!({"last": true})),
    ));
    let r = ok(&get(a, "/again/_count"));
    assert_eq!(r["count"], 1, "{r}");
}
