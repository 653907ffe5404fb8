//! Engine-level tests: mapping, writes, search, aggregations and translog replay, through the
//! `store::Store` API (no HTTP).

use std::sync::Arc;

use serde_json::{Value, json};
use store::{OpType, Refresh, SearchParams, Store, StoreConfig, WriteOp};

fn open(dir: &std::path::Path) -> Arc<Store> {
    let mut c = StoreConfig::new(dir).disk_threshold(false);
    c.refresh_interval = None;
    match Store::open(c) {
        Ok(s) => s,
        Err(e) => panic!("open failed: {e}"),
    }
}

fn ok<T>(r: store::Result<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("unexpected error: {}", e.to_es_body()),
    }
}

fn seed_docs(n: usize) -> Vec<Value> {
    let users = ["user1", "user2", "user3", "user4", "user5"];
    let actions = ["login", "search", "purchase", "logout", "view"];
    let levels = ["INFO", "WARNING", "ERROR"];
    (0..n)
        .map(|i| {
            json!({
                "timestamp": format!("2024-01-01T{:02}:{:02}:00Z", (i / 60) % 24, i % 60),
                "level": levels[i % 3],
                "message": format!("user did {} number {i}", actions[i % 5]),
                "user": users[i % 5],
                "action": actions[(i / 5) % 5],
                "duration": (i % 50) as f64 / 10.0 + 0.1,
                "source": "webapp",
                "tags": ["python", "webapp"],
            })
        })
        .collect()
}

fn seed_mapping() -> Value {
    json!({"mappings": {"properties": {
        "timestamp": {"type": "date"}, "level": {"type": "keyword"}, "message": {"type": "text"},
        "user": {"type": "keyword"}, "action": {"type": "keyword"}, "duration": {"type": "float"},
        "source": {"type": "keyword"}, "tags": {"type": "keyword"}
    }}})
}

fn bulk_index(store: &Store, index: &str, docs: &[Value]) {
    let ops = docs
        .iter()
        .map(|d| {
            WriteOp::new(
                OpType::Index,
                index.into(),
                None,
                Some(serde_json::to_vec(d).unwrap_or_default().into()),
            )
        })
        .collect();
    let resp = ok(store.bulk(ops, Refresh::True));
    assert!(!resp.errors, "{}", resp.to_json());
}

fn search(store: &Store, target: &str, body: &Value) -> Value {
    ok(store.search(target, Some(body), &SearchParams::default()))
}

#[test]
fn create_bulk_get_search_and_aggregate() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    ok(store.create_index("python-logs", Some(&seed_mapping())));
    let docs = seed_docs(300);
    bulk_index(&store, "python-logs", &docs);

    let r = search(&store, "python-logs", &json!({"query": {"match_all": {}}}));
    assert_eq!(r["hits"]["total"], json!({"value": 300, "relation": "eq"}));
    assert_eq!(r["hits"]["hits"].as_array().map(Vec::len), Some(10));

    let r = search(
        &store,
        "python-*",
        &json!({"query": {"term": {"user": "user1"}}, "size": 0}),
    );
    assert_eq!(r["hits"]["total"]["value"], 60);

    let r = search(
        &store,
        "python-logs",
        &json!({"query": {"range": {"duration": {"gte": 4.0}}}, "size": 0}),
    );
    let want = docs
        .iter()
        .filter(|d| d["duration"].as_f64().unwrap_or(0.0) as f32 >= 4.0)
        .count();
    assert_eq!(r["hits"]["total"]["value"], want);

    let r = search(
        &store,
        "python-logs",
        &json!({"query": {"range": {"timestamp": {"gte": "2024-01-01T01:00:00Z", "lt": "2024-01-01T02:00:00Z"}}}, "size": 0}),
    );
    assert_eq!(r["hits"]["total"]["value"], 60);

    let r = search(
        &store,
        "python-logs",
        &json!({"size": 0, "aggs": {
            "users": {"terms": {"field": "user"}, "aggs": {"actions": {"terms": {"field": "action"}}}},
            "levels": {"date_histogram": {"field": "timestamp", "fixed_interval": "1h"}, "aggs": {"l": {"terms": {"field": "level"}}}},
            "dur": {"terms": {"field": "action"}, "aggs": {"avg": {"avg": {"field": "duration"}}}}
        }}),
    );
    let users = r["aggregations"]["users"]["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(users.len(), 5);
    assert_eq!(users[0]["doc_count"], 60);
    let hours = r["aggregations"]["levels"]["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(hours.len(), 5);
    assert_eq!(hours[0]["key_as_string"], "2024-01-01T00:00:00.000Z");
    assert_eq!(hours[0]["doc_count"], 60);
    for b in r["aggregations"]["dur"]["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let action = b["key"].as_str().unwrap_or_default();
        let vals: Vec<f64> = docs
            .iter()
            .filter(|d| d["action"] == action)
            .map(|d| f64::from(d["duration"].as_f64().unwrap_or(0.0) as f32))
            .collect();
        let avg = vals.iter().sum::<f64>() / vals.len() as f64;
        let got = b["avg"]["value"].as_f64().unwrap_or(f64::NAN);
        assert!((got - avg).abs() < 1e-9, "{action}: {got} vs {avg}");
    }
}

#[test]
fn text_field_aggregation_is_refused_like_es() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    ok(store.create_index("t", Some(&seed_mapping())));
    bulk_index(&store, "t", &seed_docs(3));
    let err = store
        .search(
            "t",
            Some(&json!({"size": 0, "aggs": {"m": {"terms": {"field": "message"}}}})),
            &SearchParams::default(),
        )
        .err()
        .map(|e| e.to_es_body());
    let body = err.unwrap_or(Value::Null);
    assert_eq!(body["status"], 400);
    assert_eq!(
        body["error"]["root_cause"][0]["type"],
        "illegal_argument_exception"
    );
}

#[test]
fn single_doc_writes_versions_and_conflicts() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    let r = ok(store.index_doc(
        "auto",
        Some("1"),
        OpType::Index,
        br#"{"a":1}"#,
        Refresh::False,
    ));
    assert_eq!((r.version, r.status()), (1, 201));
    let r = ok(store.index_doc(
        "auto",
        Some("1"),
        OpType::Index,
        br#"{"a":2}"#,
        Refresh::False,
    ));
    assert_eq!(
        (r.version, r.status(), r.result.as_str()),
        (2, 200, "updated")
    );
    let e = store
        .index_doc(
            "auto",
            Some("1"),
            OpType::Create,
            br#"{"a":3}"#,
            Refresh::False,
        )
        .err();
    assert_eq!(
        e.map(|e| (e.status(), e.es_type().to_owned())),
        Some((409, "version_conflict_engine_exception".to_owned()))
    );
    let g = ok(store.get_doc("auto", "1"));
    assert_eq!(g["_source"], json!({"a": 2}));
    assert_eq!(g["_version"], 2);
    let d = ok(store.delete_doc("auto", "1", Refresh::True));
    assert_eq!(d.result.as_str(), "deleted");
    let d = ok(store.delete_doc("auto", "1", Refresh::True));
    assert_eq!(d.status(), 404);
    assert_eq!(ok(store.get_doc("auto", "1"))["found"], false);
    let m = ok(store.get_mapping("auto", store::Resolve::default()));
    assert_eq!(m["auto"]["mappings"]["properties"]["a"]["type"], "long");
}

#[test]
fn bad_values_fail_only_their_item() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    ok(store.create_index(
        "m",
        Some(&json!({"mappings": {"properties": {"duration": {"type": "float"}}}})),
    ));
    let ops = vec![
        WriteOp::new(
            OpType::Index,
            "m".into(),
            None,
            Some(br#"{"duration":"1.5"}"#.to_vec().into()),
        ),
        WriteOp::new(
            OpType::Index,
            "m".into(),
            None,
            Some(br#"{"duration":"abc"}"#.to_vec().into()),
        ),
        WriteOp::new(
            OpType::Index,
            "m".into(),
            None,
            Some(br#"{"duration":2}"#.to_vec().into()),
        ),
    ];
    let resp = ok(store.bulk(ops, Refresh::True));
    let body = resp.to_json();
    assert_eq!(body["errors"], true);
    assert_eq!(body["items"][0]["index"]["status"], 201);
    assert_eq!(body["items"][1]["index"]["status"], 400);
    assert_eq!(
        body["items"][1]["index"]["error"]["type"],
        "document_parsing_exception"
    );
    assert_eq!(body["items"][2]["index"]["status"], 201);
    let r = search(
        &store,
        "m",
        &json!({"size": 0, "aggs": {"s": {"sum": {"field": "duration"}}}}),
    );
    assert_eq!(r["aggregations"]["s"]["value"], 3.5);
}

/// Closing a store commits and waits for merges; a write through a closed store is refused,
/// and a reopened store has every acknowledged document.
#[test]
fn writes_after_close_are_refused_and_reopen_sees_everything() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    // one segment per bulk, enough segments for the merge policy to merge
    for i in 0..12 {
        let docs: Vec<Value> = (0..50).map(|j| json!({"n": i * 50 + j})).collect();
        bulk_index(&store, "c", &docs);
    }
    ok(store.close());
    let e = store
        .index_doc("c", None, OpType::Index, br#"{"n":-1}"#, Refresh::False)
        .err()
        .map(|e| (e.status(), e.es_type().to_owned()));
    assert_eq!(e, Some((400, "index_closed_exception".to_owned())));
    drop(store);
    let store = open(dir.path());
    let r = search(&store, "c", &json!({"size": 0, "track_total_hits": true}));
    assert_eq!(r["hits"]["total"]["value"], 600);
}

/// The `_bulk` response written directly is byte for byte the serialised tree: successes,
/// per-item errors (with `caused_by`), deletes of missing documents, ids needing escapes.
#[test]
fn bulk_response_bytes_equal_the_tree() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    ok(store.create_index(
        "m",
        Some(&json!({"mappings": {"properties": {"n": {"type": "integer"}}}})),
    ));
    let op = |kind, id: Option<&str>, src: Option<&str>| {
        WriteOp::new(
            kind,
            "m".into(),
            id.map(str::to_owned),
            src.map(|s| s.as_bytes().to_vec().into()),
        )
    };
    let ops = vec![
        op(OpType::Index, Some("a\"b\\c\u{1}é"), Some(r#"{"n":1}"#)),
        op(OpType::Index, None, Some(r#"{"n":"x"}"#)),
        op(OpType::Create, Some("a\"b\\c\u{1}é"), Some(r#"{"n":2}"#)),
        op(OpType::Index, None, Some(r#"{"n":1,"n":2}"#)),
        op(OpType::Delete, Some("missing"), None),
        op(OpType::Index, Some("k"), Some(r#"{"n":3}"#)),
        op(OpType::Index, Some("k"), Some(r#"{"n":4}"#)),
        op(OpType::Delete, Some("k"), None),
    ];
    let resp = ok(store.bulk(ops, Refresh::False));
    let mut direct = Vec::new();
    resp.write_json(&mut direct);
    let tree = serde_json::to_vec(&resp.to_json()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        String::from_utf8_lossy(&direct),
        String::from_utf8_lossy(&tree)
    );
    let body = resp.to_json();
    let statuses: Vec<u64> = body["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| {
                    i.as_object()
                        .and_then(|o| o.values().next())
                        .map_or(0, |b| b["status"].as_u64().unwrap_or(0))
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(statuses, [201, 400, 409, 400, 404, 201, 200, 200]);
}

#[test]
fn data_and_mapping_persist_across_reopen() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    {
        let store = open(dir.path());
        bulk_index(&store, "keep", &seed_docs(50));
        ok(store.close());
    }
    let store = open(dir.path());
    let r = search(&store, "keep", &json!({"size": 0}));
    assert_eq!(r["hits"]["total"]["value"], 50);
    let m = ok(store.get_mapping("keep", store::Resolve::default()));
    assert_eq!(
        m["keep"]["mappings"]["properties"]["message"]["fields"]["keyword"],
        json!({"type": "keyword", "ignore_above": 256})
    );
    assert_eq!(
        m["keep"]["mappings"]["properties"]["timestamp"]["type"],
        "date"
    );
}

#[test]
fn missing_index_and_window_errors() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    let e = store
        .search("nope", None, &SearchParams::default())
        .err()
        .map(|e| e.to_es_body());
    assert_eq!(
        e.as_ref().map(|b| b["error"]["type"].clone()),
        Some(json!("index_not_found_exception"))
    );
    let r = ok(store.search("nope-*", None, &SearchParams::default()));
    assert_eq!(r["hits"]["total"]["value"], 0);
    ok(store.create_index("w", None));
    let e = store
        .search(
            "w",
            Some(&json!({"from": 9995, "size": 10})),
            &SearchParams::default(),
        )
        .err();
    assert_eq!(e.map(|e| e.status()), Some(400));
    let e = store
        .search(
            "w",
            Some(&json!({"query": {"span_near": {"clauses": []}}})),
            &SearchParams::default(),
        )
        .err();
    assert_eq!(
        e.map(|e| e.es_type().to_owned()),
        Some("parsing_exception".to_owned())
    );
}

mod cardinality;
mod fuzz;
mod props;
mod queries;
mod sharded;

/// A large bulk is converted on several threads; dynamic mapping must still follow request
/// order: the first document with a new field decides its type, later conflicting ones fail.
#[test]
fn large_bulk_dynamic_mapping_follows_request_order() {
    let dir =
        ok(tempfile::tempdir().map_err(|e| store::Error::es(500, "exception", e.to_string())));
    let store = open(dir.path());
    let check = |n: usize, first: usize, late: usize| {
        let index = format!("order-{n}-{first}-{late}");
        let ops: Vec<WriteOp> = (0..n)
            .map(|i| {
                let doc = if i == first {
                    json!({"n": i, "x": 5})
                } else if i == late {
                    json!({"n": i, "x": "not a number"})
                } else {
                    json!({"n": i})
                };
                WriteOp::new(
                    OpType::Index,
                    index.clone(),
                    Some(format!("d{i}")),
                    Some(serde_json::to_vec(&doc).unwrap_or_default().into()),
                )
            })
            .collect();
        let r = ok(store.bulk(ops, Refresh::True));
        let failed: Vec<usize> = r
            .items
            .iter()
            .enumerate()
            .filter(|(_, it)| it.outcome.is_err())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(failed, vec![late], "{index}");
        let m = ok(store.get_mapping(&index, store::Resolve::default()));
        assert_eq!(
            m[&index]["mappings"]["properties"]["x"]["type"], "long",
            "{index}"
        );
        let c = ok(store.count(&index, None, &SearchParams::default()));
        assert_eq!(c["count"], json!(n - 1), "{index}");
        // items come back in request order with their own ids
        for (i, it) in r.items.iter().enumerate() {
            assert_eq!(it.id.as_deref(), Some(format!("d{i}").as_str()));
        }
    };
    // the deciding document late in the first half and the conflicting one at the start of the
    // second half (converted first by a naive split), and other placements
    check(3000, 1400, 1501);
    check(3000, 10, 2900);
    check(3000, 2000, 2999);
}

/// A segment larger than one search task is searched in doc ranges on several threads: counts,
/// aggregations and sorted hits equal a brute-force computation.
#[test]
fn big_segment_split_into_ranges_gives_exact_results() {
    let dir =
        ok(tempfile::tempdir().map_err(|e| store::Error::es(500, "exception", e.to_string())));
    let store = open(dir.path());
    ok(store.create_index("big", Some(&seed_mapping())));
    let docs = seed_docs(40_000);
    bulk_index(&store, "big", &docs);
    let body = json!({"size": 3, "track_total_hits": true,
        "sort": [{"duration": "desc"}, {"timestamp": "asc"}],
        "query": {"range": {"duration": {"gte": 1.0}}},
        "aggs": {"u": {"terms": {"field": "user"}, "aggs": {"a": {"terms": {"field": "action"}}}},
                 "s": {"sum": {"field": "duration"}}}});
    let r = search(&store, "big", &body);
    let hits: Vec<&Value> = docs
        .iter()
        .filter(|d| d["duration"].as_f64().unwrap_or(0.0) >= 1.0)
        .collect();
    assert_eq!(r["hits"]["total"]["value"], json!(hits.len()));
    let mut by_user: std::collections::BTreeMap<String, u64> = Default::default();
    let mut user_action: std::collections::BTreeMap<(String, String), u64> = Default::default();
    for d in &hits {
        let u = d["user"].as_str().unwrap_or_default().to_owned();
        let a = d["action"].as_str().unwrap_or_default().to_owned();
        *by_user.entry(u.clone()).or_default() += 1;
        *user_action.entry((u, a)).or_default() += 1;
    }
    let buckets = r["aggregations"]["u"]["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(buckets.len(), by_user.len());
    for b in &buckets {
        let u = b["key"].as_str().unwrap_or_default();
        assert_eq!(b["doc_count"], json!(by_user[u]), "user {u}");
        for sb in b["a"]["buckets"].as_array().cloned().unwrap_or_default() {
            let a = sb["key"].as_str().unwrap_or_default().to_owned();
            assert_eq!(sb["doc_count"], json!(user_action[&(u.to_owned(), a)]));
        }
    }
    let sum: f64 = hits
        .iter()
        .map(|d| d["duration"].as_f64().unwrap_or(0.0) as f32 as f64)
        .sum();
    let got = r["aggregations"]["s"]["value"].as_f64().unwrap_or(f64::NAN);
    assert!((got - sum).abs() < 1e-6 * sum, "sum {got} vs {sum}");
    // top 3 by duration desc, then timestamp asc
    let max = hits
        .iter()
        .map(|d| d["duration"].as_f64().unwrap_or(0.0))
        .fold(0.0, f64::max);
    let mut want: Vec<&Value> = hits
        .iter()
        .filter(|d| d["duration"].as_f64() == Some(max))
        .map(|d| &d["timestamp"])
        .collect();
    // same-format ISO strings sort as their instants
    want.sort_by_key(|v| v.as_str().unwrap_or_default().to_owned());
    want.truncate(3);
    let got: Vec<&Value> = r["hits"]["hits"]
        .as_array()
        .map(|a| a.iter().map(|h| &h["_source"]["timestamp"]).collect())
        .unwrap_or_default();
    assert_eq!(got, want);
}

/// A nested terms aggregation over more distinct values than the nested dense limit (64) falls
/// back to keyed buckets and stays exact; so does a top-level one with a missing value.
#[test]
fn nested_terms_with_many_values_are_exact() {
    let dir =
        ok(tempfile::tempdir().map_err(|e| store::Error::es(500, "exception", e.to_string())));
    let store = open(dir.path());
    let docs: Vec<Value> = (0..3000)
        .map(|i| {
            let mut d = json!({"t": 1_704_067_200_000i64 + (i % 7) * 3_600_000, "k": format!("k{}", (i * 7) % 150)});
            if i % 11 == 0 {
                d.as_object_mut().map(|o| o.remove("k"));
            }
            d
        })
        .collect();
    ok(store.create_index(
        "many",
        Some(
            &json!({"mappings": {"properties": {"t": {"type": "date"}, "k": {"type": "keyword"}}}}),
        ),
    ));
    bulk_index(&store, "many", &docs);
    let body = json!({"size": 0, "aggs": {
        "h": {"date_histogram": {"field": "t", "fixed_interval": "1h"},
              "aggs": {"k": {"terms": {"field": "k", "size": 200}}}},
        "top": {"terms": {"field": "k", "size": 200, "missing": "none"}}}});
    let r = search(&store, "many", &body);
    let mut want: std::collections::BTreeMap<(i64, String), u64> = Default::default();
    let mut top: std::collections::BTreeMap<String, u64> = Default::default();
    for d in &docs {
        let k = d["k"].as_str().map(str::to_owned);
        if let Some(k) = &k {
            *want
                .entry((d["t"].as_i64().unwrap_or(0), k.clone()))
                .or_default() += 1;
        }
        *top.entry(k.unwrap_or_else(|| "none".into())).or_default() += 1;
    }
    let mut got: std::collections::BTreeMap<(i64, String), u64> = Default::default();
    for b in r["aggregations"]["h"]["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        for sb in b["k"]["buckets"].as_array().cloned().unwrap_or_default() {
            got.insert(
                (
                    b["key"].as_i64().unwrap_or(0),
                    sb["key"].as_str().unwrap_or_default().to_owned(),
                ),
                sb["doc_count"].as_u64().unwrap_or(0),
            );
        }
    }
    assert_eq!(got, want);
    let got_top: std::collections::BTreeMap<String, u64> = r["aggregations"]["top"]["buckets"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|b| {
                    (
                        b["key"].as_str().unwrap_or_default().to_owned(),
                        b["doc_count"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(got_top, top);
}

/// Counting and aggregating without hits (`size: 0`) skip deleted and overwritten documents,
/// as searches with hits do.
#[test]
fn size_zero_counts_skip_deleted_documents() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    for i in 0..200 {
        let level = if i % 2 == 0 { "INFO" } else { "ERROR" };
        ok(store.index_doc(
            "d",
            Some(&i.to_string()),
            OpType::Index,
            json!({"level": level, "n": i}).to_string().as_bytes(),
            Refresh::False,
        ));
    }
    // Delete ten INFO documents and overwrite ten ERROR ones as INFO.
    for i in (0..20).step_by(2) {
        ok(store.delete_doc("d", &i.to_string(), Refresh::False));
    }
    for i in (1..20).step_by(2) {
        ok(store.index_doc(
            "d",
            Some(&i.to_string()),
            OpType::Index,
            json!({"level": "INFO", "n": i}).to_string().as_bytes(),
            Refresh::True,
        ));
    }
    let body = json!({"size": 0, "aggs": {"l": {"terms": {"field": "level.keyword"}}}});
    let r = search(&store, "d", &body);
    assert_eq!(r["hits"]["total"]["value"], 190);
    let buckets = &r["aggregations"]["l"]["buckets"];
    assert_eq!(buckets[0], json!({"key": "INFO", "doc_count": 100}));
    assert_eq!(buckets[1], json!({"key": "ERROR", "doc_count": 90}));
    let c = ok(store.count("d", None, &SearchParams::default()));
    assert_eq!(c["count"], 190);
}

/// Discover's first screen (newest rows and hits over time, a time range covering every
/// segment) asked again and again: the answers of ranges where every document matched are
/// kept per segment and reused, and must stay those of a search over the documents as they are
/// — after deletes, after new segments, with bounds that move, with a range that cuts segments.
#[test]
fn repeated_first_screens_stay_exact_across_deletes_and_new_segments() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    ok(store.create_index(
        "fs",
        Some(&json!({"mappings": {"properties": {
        "@timestamp": {"type": "date"}, "n": {"type": "long"}}}})),
    ));
    const MIN: i64 = 60_000;
    let t0: i64 = 1_700_000_000_000;
    // three bulks (three segments); times interleave across them, some shared by two documents
    let mut live: Vec<(String, i64)> = Vec::new();
    let write = |store: &Store, ids: std::ops::Range<i64>, live: &mut Vec<(String, i64)>| {
        let ops = ids
            .map(|i| {
                let t = t0 + (i * 7919 % 3000) * MIN / 2;
                live.push((i.to_string(), t));
                WriteOp::new(
                    OpType::Index,
                    "fs".into(),
                    Some(i.to_string()),
                    Some(
                        json!({"@timestamp": t, "n": i})
                            .to_string()
                            .into_bytes()
                            .into(),
                    ),
                )
            })
            .collect();
        let r = ok(store.bulk(ops, Refresh::True));
        assert!(!r.errors, "{}", r.to_json());
    };
    for part in 0..3 {
        write(&store, part * 1000..(part + 1) * 1000, &mut live);
    }
    let body = |from: i64, to: i64| {
        json!({"size": 25, "track_total_hits": true,
            "query": {"bool": {"filter": [{"match_all": {}},
                {"range": {"@timestamp": {"gte": from, "lte": to, "format": "epoch_millis"}}}]}},
            "sort": [{"@timestamp": {"order": "desc"}}, {"_doc": {"order": "desc"}}],
            "aggs": {"h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h",
                "min_doc_count": 0, "extended_bounds": {"min": from, "max": to}}}}})
    };
    let check = |store: &Store, live: &[(String, i64)], from: i64, to: i64| {
        let r = search(store, "fs", &body(from, to));
        let inside: Vec<&(String, i64)> = live
            .iter()
            .filter(|(_, t)| (from..=to).contains(t))
            .collect();
        assert_eq!(r["hits"]["total"]["value"], json!(inside.len()));
        // the newest 25 times (ties broken by document order, which the test does not model:
        // compare the times, and the ids only where a time is not shared at the cut)
        let mut times: Vec<i64> = inside.iter().map(|(_, t)| *t).collect();
        times.sort_unstable_by(|a, b| b.cmp(a));
        times.truncate(25);
        let hits = r["hits"]["hits"].as_array().cloned().unwrap_or_default();
        let got: Vec<i64> = hits
            .iter()
            .map(|h| h["sort"][0].as_i64().unwrap_or(0))
            .collect();
        assert_eq!(got, times);
        for h in &hits {
            let id = h["_id"].as_str().unwrap_or_default();
            let t = live.iter().find(|(i, _)| i == id).map(|(_, t)| *t);
            assert_eq!(t, h["sort"][0].as_i64(), "hit {id} is live with that time");
        }
        let mut want: std::collections::BTreeMap<i64, u64> = Default::default();
        for (_, t) in &inside {
            *want.entry(t - t.rem_euclid(3_600_000)).or_default() += 1;
        }
        let buckets = r["aggregations"]["h"]["buckets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let first = from - from.rem_euclid(3_600_000);
        assert_eq!(buckets.first().and_then(|b| b["key"].as_i64()), Some(first));
        for b in &buckets {
            let k = b["key"].as_i64().unwrap_or(0);
            assert_eq!(
                b["doc_count"].as_u64(),
                Some(want.get(&k).copied().unwrap_or(0)),
                "{k}"
            );
        }
        r
    };
    let (lo, hi) = (t0 - 90 * MIN, t0 + 1600 * MIN);
    let first = check(&store, &live, lo, hi);
    let again = check(&store, &live, lo, hi);
    assert_eq!(first["hits"], again["hits"]);
    assert_eq!(first["aggregations"], again["aggregations"]);
    // bounds that move (as `now` does) but still cover every document
    check(&store, &live, lo - 30 * MIN, hi + 45 * MIN);
    // a range that cuts the segments
    check(&store, &live, t0 + 200 * MIN, t0 + 900 * MIN);
    // delete the newest documents (the memo's top rows) and the ones of one hour
    let newest: Vec<String> = {
        let mut l = live.clone();
        l.sort_by_key(|e| std::cmp::Reverse(e.1));
        l.iter().take(10).map(|(id, _)| id.clone()).collect()
    };
    for id in &newest {
        ok(store.delete_doc("fs", id, Refresh::False));
    }
    ok(store.delete_doc("fs", "1500", Refresh::True));
    live.retain(|(id, _)| !newest.contains(id) && id != "1500");
    check(&store, &live, lo, hi);
    check(&store, &live, lo, hi);
    // a new segment with newer documents
    write(&store, 3000..3100, &mut live);
    check(&store, &live, lo, hi);
    check(&store, &live, lo, hi);
}

/// `_forcemerge`: several segments become two (the smallest together) or one
/// (`max_num_segments=1`); `only_expunge_deletes` merges the segments that hold deleted documents; the
/// documents, counts and aggregations stay the same; both options at once are ES's error.
#[test]
fn force_merge_keeps_every_document_in_fewer_segments() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    ok(store.create_index("fm", Some(&seed_mapping())));
    let docs = seed_docs(300);
    for part in docs.chunks(100) {
        bulk_index(&store, "fm", part);
    }
    let body = json!({"size": 300, "sort": ["timestamp"], "track_total_hits": true,
        "aggs": {"u": {"terms": {"field": "user"}}}});
    let before = search(&store, "fm", &body);
    let shard = ok(store.shard("fm"));
    assert!(shard.segment_count() >= 3, "{}", shard.segment_count());
    let r = ok(store.force_merge("fm", Some(2), false));
    assert_eq!(r["_shards"]["failed"], 0);
    assert_eq!(shard.segment_count(), 2);
    let after = search(&store, "fm", &body);
    assert_eq!(before["hits"], after["hits"]);
    assert_eq!(before["aggregations"], after["aggregations"]);
    ok(store.force_merge("fm", None, false));
    assert_eq!(shard.segment_count(), 1);
    assert_eq!(search(&store, "fm", &body)["hits"], before["hits"]);
    // deletes: the segment holding them is rewritten without them
    bulk_index(&store, "fm", &seed_docs(10));
    let ids: Vec<String> = search(&store, "fm", &json!({"size": 5, "sort": ["timestamp"]}))["hits"]
        ["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h["_id"].as_str().map(str::to_owned))
        .collect();
    for id in &ids {
        ok(store.delete_doc("fm", id, Refresh::True));
    }
    // (tantivy's background merges may already have dropped some of the deleted documents)
    let segments = shard.segment_count();
    ok(store.force_merge("fm", None, true));
    let (docs_now, deleted, _) = shard.stats();
    assert_eq!((docs_now, deleted), (305, 0));
    assert!(shard.segment_count() <= segments);
    let e = store
        .force_merge("fm", Some(1), true)
        .err()
        .map(|e| e.to_es_body().to_string());
    assert!(
        e.as_deref().is_some_and(|e| e.contains("cannot set only_expunge_deletes and max_num_segments at the same time, those two parameters are mutually exclusive")),
        "{e:?}"
    );
}

/// A `flattened` field survives a reopen: its mapping, and its key paths searchable as keywords.
#[test]
fn flattened_fields_persist_across_reopen() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    {
        let store = open(dir.path());
        ok(store.create_index(
            "fl",
            Some(&json!({"mappings": {"properties": {"labels": {"type": "flattened", "depth_limit": 3}}}})),
        ));
        bulk_index(
            &store,
            "fl",
            &[json!({"labels": {"team": "ops", "env": {"name": "prod"}}})],
        );
        ok(store.close());
    }
    let store = open(dir.path());
    let m = ok(store.get_mapping("fl", store::Resolve::default()));
    assert_eq!(
        m["fl"]["mappings"]["properties"]["labels"],
        json!({"type": "flattened", "depth_limit": 3})
    );
    let r = search(
        &store,
        "fl",
        &json!({"query": {"term": {"labels.env.name": "prod"}}}),
    );
    assert_eq!(r["hits"]["total"]["value"], 1, "{r}");
}
