//! Search requests never panic: random query DSL and aggregation bodies built from the words the
//! parsers know, and random Lucene `q=` strings, against an index with every mapped type. Each
//! request must come back as a response or as an Elasticsearch-shaped error.

use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use store::{OpType, Refresh, SearchParams, Store, StoreConfig, WriteOp};

/// One store for every case (opening a store per case would dominate the run).
fn store() -> &'static Arc<Store> {
    static STORE: OnceLock<(tempfile::TempDir, Arc<Store>)> = OnceLock::new();
    &STORE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let mut c = StoreConfig::new(dir.path()).disk_threshold(false);
            c.refresh_interval = None;
            c.fsync = false;
            let store = Store::open(c).unwrap_or_else(|e| panic!("{e}"));
            let docs = (0..300).map(|i| {
                let level = ["INFO", "WARNING", "ERROR"][i % 3];
                let action = ["login", "search"][i % 2];
                json!({
                    "@timestamp": format!("2026-11-24T{:02}:{:02}:00.000Z", i % 24, i % 60),
                    "level": level,
                    "user": format!("user{}", i % 7),
                    "message": format!("User user{} performed search {i}", i % 7),
                    "duration": (i as f64) / 10.0,
                    "count": i,
                    "ok": i % 2 == 0,
                    "tags": ["python", "webapp"],
                    "extra": {"action": action},
                })
            });
            let ops = docs
                .map(|d| {
                    WriteOp::new(
                        OpType::Index,
                        "f".into(),
                        None,
                        Some(serde_json::to_vec(&d).unwrap_or_default().into()),
                    )
                })
                .collect();
            let r = store
                .bulk(ops, Refresh::True)
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(!r.errors, "{}", r.to_json());
            (dir, store)
        })
        .1
}

const WORDS: &[&str] = &[
    "query",
    "bool",
    "must",
    "filter",
    "should",
    "must_not",
    "minimum_should_match",
    "match",
    "match_phrase",
    "multi_match",
    "match_all",
    "term",
    "terms",
    "range",
    "exists",
    "prefix",
    "wildcard",
    "query_string",
    "value",
    "fields",
    "field",
    "operator",
    "gte",
    "lte",
    "gt",
    "lt",
    "format",
    "size",
    "from",
    "sort",
    "order",
    "_source",
    "track_total_hits",
    "aggs",
    "aggregations",
    "date_histogram",
    "histogram",
    "avg",
    "min",
    "max",
    "sum",
    "stats",
    "value_count",
    "cardinality",
    "percentiles",
    "percents",
    "interval",
    "fixed_interval",
    "calendar_interval",
    "time_zone",
    "offset",
    "min_doc_count",
    "extended_bounds",
    "missing",
    "ranges",
    "filters",
    "key",
    "boost",
    "_count",
    "_key",
    "asc",
    "desc",
];

const FIELDS: &[&str] = &[
    "level",
    "user",
    "message",
    "message.keyword",
    "duration",
    "count",
    "ok",
    "@timestamp",
    "tags",
    "extra.action",
    "nope",
    "*",
    "",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        prop::sample::select(FIELDS).prop_map(Value::from),
        prop::sample::select(WORDS).prop_map(Value::from),
        "(now|2026-11-24)?(-1h|/d|\\|\\|)?[a-zA-Z0-9*?:]{0,6}".prop_map(Value::from),
    ]
}

fn body() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        prop::sample::select(WORDS).prop_map(str::to_owned),
                        prop::sample::select(FIELDS).prop_map(str::to_owned),
                    ],
                    inner,
                ),
                0..4,
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn check(body: Option<&Value>, params: &SearchParams) {
    let s = store();
    for r in [s.search("f", body, params), s.count("f", body, params)] {
        if let Err(e) = r {
            // An error is an Elasticsearch error: a 4xx/5xx status with a type and a reason.
            let b = e.to_es_body();
            assert!(b["error"]["type"].is_string(), "{b}");
            assert!(e.status() >= 400, "{b}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_query_bodies_never_panic(b in body()) {
        check(Some(&b), &SearchParams::default());
        // The same value under `query` and under `aggs`, where the parsers look first.
        check(Some(&json!({"query": b})), &SearchParams::default());
        check(Some(&json!({"size": 0, "aggs": {"a": b}})), &SearchParams::default());
    }

    #[test]
    fn random_lucene_strings_never_panic(
        q in "([a-z@.*?]{0,6}|AND|OR|NOT|TO|[:\"()\\[\\]{}~^+\\-!&|/\\\\ ]){0,12}",
    ) {
        let params = SearchParams {
            q: Some(q),
            ..SearchParams::default()
        };
        check(None, &params);
    }
}
