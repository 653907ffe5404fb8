//! `cardinality` against counts made here: exact up to `precision_threshold` (over several
//! segments and shards, at the top level and per bucket, keywords and numbers, `missing`),
//! within HyperLogLog++'s error beyond it, on deterministic pseudo-random data.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use super::{bulk_index, ok, open, search};

/// A deterministic pseudo-random sequence (64-bit LCG, high bits).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

const LEVELS: [&str; 3] = ["INFO", "WARNING", "ERROR"];

/// `n` docs with `user` among `users` distinct values, `code` among `codes` numbers, `level`
/// among three; one doc in 50 has no `user`.
fn docs(seed: u64, n: usize, users: u64, codes: u64) -> Vec<Value> {
    let mut r = Lcg(seed);
    (0..n)
        .map(|i| {
            let mut d = json!({
                "level": LEVELS[i % 3],
                "code": r.below(codes),
                "ratio": r.below(codes) as f64 / 8.0,
            });
            if i % 50 != 7 {
                d["user"] = json!(format!("user-{}", r.below(users)));
            }
            d
        })
        .collect()
}

fn mapping(shards: u32) -> Value {
    json!({"settings": {"number_of_shards": shards},
           "mappings": {"properties": {
               "user": {"type": "keyword"}, "level": {"type": "keyword"},
               "code": {"type": "long"}, "ratio": {"type": "double"}}}})
}

/// Distinct values of `field` among `docs` (keywords and numbers as their JSON text).
fn distinct<'a>(docs: impl Iterator<Item = &'a Value>, field: &str) -> u64 {
    docs.filter_map(|d| d.get(field).map(Value::to_string))
        .collect::<HashSet<_>>()
        .len() as u64
}

/// Indexes `docs` into `index` in `parts` bulks (one refresh, so at least one segment, each).
fn index_in_parts(store: &store::Store, index: &str, docs: &[Value], parts: usize) {
    for chunk in docs.chunks(docs.len().div_ceil(parts)) {
        bulk_index(store, index, chunk);
    }
}

fn value(r: &Value, path: &[&str]) -> u64 {
    let mut v = &r["aggregations"];
    for p in path {
        v = &v[*p];
    }
    v["value"]
        .as_u64()
        .unwrap_or_else(|| panic!("no value at {path:?} in {r}"))
}

#[test]
fn exact_up_to_the_threshold() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    let all = docs(42, 9000, 2500, 1700);
    for (name, shards) in [("one", 1), ("three", 3)] {
        ok(store.create_index(name, Some(&mapping(shards))));
        index_in_parts(&store, name, &all, 4);
    }
    let per_level = |field: &str| -> BTreeMap<String, u64> {
        LEVELS
            .iter()
            .map(|l| {
                let n = distinct(all.iter().filter(|d| d["level"] == *l), field);
                ((*l).to_owned(), n)
            })
            .collect()
    };
    let body = json!({"size": 0, "aggs": {
        "users": {"cardinality": {"field": "user"}},
        "codes": {"cardinality": {"field": "code"}},
        "ratios": {"cardinality": {"field": "ratio"}},
        "users_or_none": {"cardinality": {"field": "user", "missing": "nobody"}},
        "by_level": {"terms": {"field": "level"}, "aggs": {
            "users": {"cardinality": {"field": "user"}},
            "codes": {"cardinality": {"field": "code", "precision_threshold": 40000}}}},
    }});
    for name in ["one", "three"] {
        let r = search(&store, name, &body);
        let users = distinct(all.iter(), "user");
        assert!(users > 2000, "the data has {users} users");
        assert_eq!(value(&r, &["users"]), users, "{name}");
        assert_eq!(
            value(&r, &["codes"]),
            distinct(all.iter(), "code"),
            "{name}"
        );
        assert_eq!(
            value(&r, &["ratios"]),
            distinct(all.iter(), "ratio"),
            "{name}"
        );
        assert_eq!(value(&r, &["users_or_none"]), users + 1, "{name}");
        let buckets = r["aggregations"]["by_level"]["buckets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(buckets.len(), 3, "{r}");
        let (want_users, want_codes) = (per_level("user"), per_level("code"));
        for b in &buckets {
            let level = b["key"].as_str().unwrap_or_default();
            assert_eq!(b["users"]["value"].as_u64(), want_users.get(level).copied());
            assert_eq!(b["codes"]["value"].as_u64(), want_codes.get(level).copied());
        }
        // a query narrows what is counted
        let r = search(
            &store,
            name,
            &json!({"size": 0, "query": {"term": {"level": "ERROR"}},
                    "aggs": {"u": {"cardinality": {"field": "user", "precision_threshold": 5000}}}}),
        );
        assert_eq!(Some(value(&r, &["u"])), want_users.get("ERROR").copied());
    }
}

#[test]
fn estimated_within_the_error_beyond_the_threshold() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    let all = docs(7, 24_000, 15_000, 12_000);
    ok(store.create_index("big", Some(&mapping(2))));
    index_in_parts(&store, "big", &all, 3);
    let users = distinct(all.iter(), "user");
    let codes = distinct(all.iter(), "code");
    assert!(users > 10_000 && codes > 8000, "{users} {codes}");
    // (threshold, precision bits as ES derives them)
    for (threshold, bits) in [(None, 14), (Some(1000), 13), (Some(100), 10)] {
        let mut agg = json!({"field": "user"});
        let mut num = json!({"field": "code"});
        if let Some(t) = threshold {
            agg["precision_threshold"] = json!(t);
            num["precision_threshold"] = json!(t);
        }
        let r = search(
            &store,
            "big",
            &json!({"size": 0, "aggs": {"u": {"cardinality": agg}, "c": {"cardinality": num}}}),
        );
        // four relative standard errors of a 2^bits-register sketch
        let bound = 4.0 * 1.04 / f64::from(1u32 << bits).sqrt();
        for (name, exact) in [("u", users), ("c", codes)] {
            let got = value(&r, &[name]);
            let err = (got as f64 - exact as f64).abs() / exact as f64;
            assert!(
                err < bound,
                "threshold {threshold:?}: {name} estimated {got}, exactly {exact}"
            );
        }
    }
    // the largest threshold keeps these counts exact
    let r = search(
        &store,
        "big",
        &json!({"size": 0, "aggs": {"u": {"cardinality": {"field": "user", "precision_threshold": 100000}}}}),
    );
    assert_eq!(value(&r, &["u"]), users);
}

#[test]
fn a_negative_threshold_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    ok(store.create_index("x", Some(&mapping(1))));
    let err = store
        .search(
            "x",
            Some(&json!({"aggs": {"u": {"cardinality": {"field": "user", "precision_threshold": -1}}}})),
            &store::SearchParams::default(),
        )
        .err()
        .unwrap_or_else(|| panic!("a negative threshold was accepted"));
    let body = err.to_es_body();
    assert_eq!(
        body["error"]["type"], "illegal_argument_exception",
        "{body}"
    );
    assert!(
        body["error"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("[precisionThreshold] must be greater than or equal to 0"),
        "{body}"
    );
}
