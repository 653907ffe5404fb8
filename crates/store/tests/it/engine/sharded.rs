//! Indices of several shards: every `_id` lives in the shard ES's routing gives it, realtime
//! gets, conflicts, overwrites and deletes find it there, and searches and aggregations over
//! the shards answer exactly what one shard answers for the same documents.

use serde_json::{Value, json};
use store::engine::routing::Routing;
use store::{OpType, Refresh, WriteOp};

use super::{ok, open, search, seed_docs, seed_mapping};

fn with_shards(n: u32) -> Value {
    let mut body = seed_mapping();
    body["settings"] = json!({"number_of_shards": n});
    body
}

fn bulk_ids(store: &store::Store, index: &str, docs: &[Value], refresh: Refresh) {
    let ops = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            WriteOp::new(
                OpType::Index,
                index.into(),
                Some(format!("doc-{i}")),
                Some(serde_json::to_vec(d).unwrap_or_default().into()),
            )
        })
        .collect();
    let resp = ok(store.bulk(ops, refresh));
    assert!(!resp.errors, "{}", resp.to_json());
}

#[test]
fn ids_route_to_their_shard_and_writes_find_them_there() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    ok(store.create_index("s", Some(&with_shards(4))));
    let docs = seed_docs(1000);
    // not refreshed: realtime gets read each shard's live map
    bulk_ids(&store, "s", &docs, Refresh::False);
    for i in (0..1000).step_by(37) {
        let got = ok(store.get_doc("s", &format!("doc-{i}")));
        assert_eq!(got["found"], true, "doc-{i}");
        assert_eq!(got["_source"], docs[i]);
    }
    // a create of an existing id conflicts in the shard the id routes to
    let routing = Routing::new(4);
    for i in [0usize, 1, 2, 3, 500, 999] {
        let id = format!("doc-{i}");
        let err = store
            .index_doc("s", Some(&id), OpType::Create, b"{}", Refresh::False)
            .err()
            .unwrap_or_else(|| panic!("create of existing {id} succeeded"));
        let body = err.to_es_body();
        assert_eq!(body["error"]["type"], "version_conflict_engine_exception");
        assert_eq!(
            body["error"]["shard"],
            routing.shard(&id).to_string(),
            "{body}"
        );
    }
    // sequence numbers are per shard: each shard's are 0..its document count
    let mut per_shard: Vec<Vec<u64>> = vec![Vec::new(); 4];
    for i in 0..1000 {
        let id = format!("doc-{i}");
        let got = ok(store.get_doc("s", &id));
        per_shard[routing.shard(&id)].push(got["_seq_no"].as_u64().unwrap_or(u64::MAX));
    }
    for (n, mut seqs) in per_shard.into_iter().enumerate() {
        assert!(!seqs.is_empty(), "shard {n} got no document");
        seqs.sort_unstable();
        let want: Vec<u64> = (0..seqs.len() as u64).collect();
        assert_eq!(seqs, want, "shard {n}");
    }
    ok(store.refresh("s"));
    let count = |store: &store::Store| {
        search(store, "s", &json!({"size": 0, "track_total_hits": true}))["hits"]["total"]["value"]
            .as_u64()
            .unwrap_or(0)
    };
    assert_eq!(count(&store), 1000);
    // overwrite and delete through the shards, refreshed
    for i in 0..100 {
        let r = ok(store.index_doc(
            "s",
            Some(&format!("doc-{i}")),
            OpType::Index,
            br#"{"user":"again"}"#,
            Refresh::False,
        ));
        assert_eq!(r.version, 2);
    }
    for i in 100..300 {
        let r = ok(store.delete_doc("s", &format!("doc-{i}"), Refresh::False));
        assert_eq!(r.result, store::DocResult::Deleted);
    }
    ok(store.refresh("s"));
    assert_eq!(count(&store), 800);
    let again = search(
        &store,
        "s",
        &json!({"size": 0, "query": {"term": {"user": "again"}}}),
    );
    assert_eq!(again["hits"]["total"]["value"], 100);
    assert_eq!(again["_shards"]["total"], 4);
    // the shard count is the index's, after a restart too
    drop(store);
    let store = open(dir.path());
    assert_eq!(count(&store), 800);
    let settings = ok(store.get_index("s", store::Resolve::default()));
    assert_eq!(settings["s"]["settings"]["index"]["number_of_shards"], "4");
    assert_eq!(ok(store.get_doc("s", "doc-5"))["_source"]["user"], "again");
    assert_eq!(ok(store.get_doc("s", "doc-150"))["found"], false);
}

/// What a search answers, without what differs by shard layout (timings, shard counts, the
/// index name and scores, which ES too computes per shard).
fn comparable(mut v: Value) -> Value {
    if let Value::Object(o) = &mut v {
        o.remove("took");
        o.remove("_shards");
    }
    if let Some(hits) = v["hits"]["hits"].as_array_mut() {
        for h in hits {
            if let Value::Object(o) = h {
                o.remove("_index");
                o.remove("_score");
            }
        }
    }
    if let Value::Object(o) = &mut v["hits"] {
        o.remove("max_score");
    }
    v
}

#[test]
fn searches_over_shards_answer_as_one_shard() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    let docs = seed_docs(1400);
    for (name, n) in [("one", 1), ("five", 5)] {
        ok(store.create_index(name, Some(&with_shards(n))));
        // in three refreshes: several segments per shard
        for (c, part) in docs.chunks(500).enumerate() {
            let offset = c * 500;
            let ops = part
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    WriteOp::new(
                        OpType::Index,
                        name.into(),
                        Some(format!("doc-{}", offset + i)),
                        Some(serde_json::to_vec(d).unwrap_or_default().into()),
                    )
                })
                .collect();
            let resp = ok(store.bulk(ops, Refresh::True));
            assert!(!resp.errors);
        }
    }
    let bodies = [
        json!({"size": 30, "sort": [{"timestamp": "desc"}], "track_total_hits": true}),
        json!({"size": 20, "query": {"term": {"level": "ERROR"}}, "sort": [{"duration": "asc"}, {"timestamp": "asc"}]}),
        json!({"size": 10, "from": 25, "query": {"range": {"duration": {"gte": 1.0, "lt": 3.0}}}, "sort": [{"timestamp": "asc"}]}),
        json!({"size": 5, "query": {"match": {"message": "purchase"}}, "sort": [{"user": "asc"}, {"timestamp": "desc"}]}),
        json!({"size": 0, "aggs": {
            "users": {"terms": {"field": "user", "size": 3},
                      "aggs": {"avg_d": {"avg": {"field": "duration"}}, "max_d": {"max": {"field": "duration"}}}},
            "per_hour": {"date_histogram": {"field": "timestamp", "fixed_interval": "1h"},
                         "aggs": {"levels": {"terms": {"field": "level"}}}},
            "stats": {"stats": {"field": "duration"}},
            "actions": {"cardinality": {"field": "action"}},
            "ranges": {"range": {"field": "duration", "ranges": [{"to": 1}, {"from": 1, "to": 4}, {"from": 4}]}},
        }}),
        json!({"size": 0, "query": {"bool": {"must_not": [{"term": {"user": "user2"}}]}},
               "aggs": {"hist": {"histogram": {"field": "duration", "interval": 0.5}}}}),
    ];
    for body in &bodies {
        let a = comparable(search(&store, "one", body));
        let b = comparable(search(&store, "five", body));
        assert_eq!(a, b, "request {body}");
        // and it is not an empty answer that trivially agrees
        assert!(
            a["hits"]["total"]["value"].as_u64().unwrap_or(0) > 0,
            "{body}"
        );
    }
    // search_after pages through the shards in the same order
    let mut after: Option<Value> = None;
    let mut seen = Vec::new();
    loop {
        let mut body = json!({"size": 97, "sort": [{"timestamp": "asc"}]});
        if let Some(a) = &after {
            body["search_after"] = a.clone();
        }
        let r = search(&store, "five", &body);
        let hits = r["hits"]["hits"].as_array().cloned().unwrap_or_default();
        if hits.is_empty() {
            break;
        }
        after = hits.last().map(|h| h["sort"].clone());
        seen.extend(
            hits.iter()
                .map(|h| h["_id"].as_str().unwrap_or("").to_owned()),
        );
    }
    let want: Vec<String> = (0..1400).map(|i| format!("doc-{i}")).collect();
    assert_eq!(seen, want);
}
