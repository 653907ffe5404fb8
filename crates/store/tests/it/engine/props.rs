//! Property tests: aggregation results equal a brute-force computation over the same random
//! documents (terms, avg, date_histogram, sub-aggregations; > 2,048 docs per segment;
//! low-cardinality terms; several segments; several shards, whose results merge).

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};
use store::{OpType, Refresh, SearchParams, Store, StoreConfig, WriteOp};

#[derive(Debug, Clone)]
struct Doc {
    user: Option<u8>,
    level: u8,
    minute: u32,
    duration: f32,
}

fn doc_strategy(users: u8) -> impl Strategy<Value = Doc> {
    (
        proptest::option::weighted(0.9, 0..users),
        0u8..3,
        0u32..600,
        1u32..5000,
    )
        .prop_map(|(user, level, minute, d)| Doc {
            user,
            level,
            minute,
            duration: d as f32 / 100.0,
        })
}

const LEVELS: [&str; 3] = ["INFO", "WARNING", "ERROR"];
const BASE_MS: i64 = 1_704_067_200_000; // 2024-01-01T00:00:00Z

fn to_json(d: &Doc) -> Value {
    let mut v = json!({
        "@timestamp": BASE_MS + i64::from(d.minute) * 60_000 + 1234,
        "level": LEVELS[d.level as usize],
        "duration": d.duration,
    });
    if let Some(u) = d.user {
        v["user"] = json!(format!("user{u}"));
    }
    v
}

fn index_docs(store: &Store, batches: &[Vec<Doc>]) {
    for batch in batches {
        let ops = batch
            .iter()
            .map(|d| {
                WriteOp::new(
                    OpType::Index,
                    "p".into(),
                    None,
                    Some(serde_json::to_vec(&to_json(d)).unwrap_or_default().into()),
                )
            })
            .collect();
        let r = store
            .bulk(ops, Refresh::True)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!r.errors, "{}", r.to_json());
    }
}

fn run(batches: &[Vec<Doc>], shards: u32) -> Value {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut c = StoreConfig::new(dir.path()).disk_threshold(false);
    c.refresh_interval = None;
    c.writer_threads = 1;
    c.fsync = false;
    let store = Store::open(c).unwrap_or_else(|e| panic!("{e}"));
    store
        .create_index(
            "p",
            Some(
                &json!({"settings": {"number_of_shards": shards}, "mappings": {"properties": {
                "@timestamp": {"type": "date"}, "level": {"type": "keyword"},
                "user": {"type": "keyword"}, "duration": {"type": "float"}}}}),
            ),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    index_docs(&store, batches);
    let body = json!({"size": 0, "aggs": {
        "users": {"terms": {"field": "user", "size": 100, "missing": "none"},
                  "aggs": {"avg_d": {"avg": {"field": "duration"}}, "levels": {"terms": {"field": "level"}}}},
        "per_hour": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h"},
                     "aggs": {"levels": {"terms": {"field": "level"}}}},
        "per_day": {"date_histogram": {"field": "@timestamp", "calendar_interval": "day"}},
        "per_hour_tz": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h",
                        "time_zone": "+05:30", "offset": "+10m"},
                        "aggs": {"max_d": {"max": {"field": "duration"}}}},
        "avg_all": {"avg": {"field": "duration"}},
    }});
    store
        .search("p", Some(&body), &SearchParams::default())
        .unwrap_or_else(|e| panic!("{}", e.to_es_body()))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn check(batches: &[Vec<Doc>], shards: u32) {
    let docs: Vec<&Doc> = batches.iter().flatten().collect();
    let resp = run(batches, shards);
    let aggs = &resp["aggregations"];
    assert_eq!(
        resp["hits"]["total"]["value"],
        json!(docs.len().min(10_000))
    );

    // terms user (+ missing) with avg and level sub-aggregations
    let mut by_user: BTreeMap<String, Vec<&Doc>> = BTreeMap::new();
    for d in &docs {
        let k = d.user.map_or("none".to_owned(), |u| format!("user{u}"));
        by_user.entry(k).or_default().push(d);
    }
    let mut want: Vec<(&String, &Vec<&Doc>)> = by_user.iter().collect();
    want.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let got = aggs["users"]["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(got.len(), want.len());
    for (g, (k, ds)) in got.iter().zip(&want) {
        assert_eq!(g["key"], json!(k));
        assert_eq!(g["doc_count"], json!(ds.len()));
        let avg = ds.iter().map(|d| f64::from(d.duration)).sum::<f64>() / ds.len() as f64;
        let got_avg = g["avg_d"]["value"].as_f64().unwrap_or(f64::NAN);
        assert!(close(got_avg, avg), "avg for {k}: {got_avg} vs {avg}");
        let mut lv: BTreeMap<&str, usize> = BTreeMap::new();
        for d in ds.iter() {
            *lv.entry(LEVELS[d.level as usize]).or_default() += 1;
        }
        let got_lv: BTreeMap<String, u64> = g["levels"]["buckets"]
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
        let want_lv: BTreeMap<String, u64> = lv
            .iter()
            .map(|(k, v)| ((*k).to_owned(), *v as u64))
            .collect();
        assert_eq!(got_lv, want_lv, "levels of {k}");
    }

    // date_histogram 1h with empty buckets filled between min and max, with a level sub-agg
    let hours: Vec<u32> = docs.iter().map(|d| d.minute / 60).collect();
    let (lo, hi) = (
        hours.iter().min().copied().unwrap_or(0),
        hours.iter().max().copied().unwrap_or(0),
    );
    let got = aggs["per_hour"]["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(got.len(), (hi - lo + 1) as usize);
    for (i, b) in got.iter().enumerate() {
        let h = lo + i as u32;
        assert_eq!(b["key"], json!(BASE_MS + i64::from(h) * 3_600_000));
        let in_hour: Vec<&&Doc> = docs.iter().filter(|d| d.minute / 60 == h).collect();
        assert_eq!(b["doc_count"], json!(in_hour.len()));
        let lv_total: u64 = b["levels"]["buckets"]
            .as_array()
            .map(|a| a.iter().map(|x| x["doc_count"].as_u64().unwrap_or(0)).sum())
            .unwrap_or(0);
        assert_eq!(lv_total, in_hour.len() as u64);
    }
    // fixed interval with a time zone and an offset: key = floor((t + tz - off) / 1h) * 1h - tz + off
    let (tz, off, hour) = (19_800_000i64, 600_000i64, 3_600_000i64);
    let mut want_tz: BTreeMap<i64, (u64, f64)> = BTreeMap::new();
    for d in &docs {
        let t = BASE_MS + i64::from(d.minute) * 60_000 + 1234;
        let k = (t + tz - off).div_euclid(hour) * hour - tz + off;
        let e = want_tz.entry(k).or_insert((0, f64::NEG_INFINITY));
        e.0 += 1;
        e.1 = e.1.max(f64::from(d.duration));
    }
    let got_tz: BTreeMap<i64, (u64, f64)> = aggs["per_hour_tz"]["buckets"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|b| b["doc_count"].as_u64() != Some(0))
                .map(|b| {
                    (
                        b["key"].as_i64().unwrap_or(0),
                        (
                            b["doc_count"].as_u64().unwrap_or(0),
                            b["max_d"]["value"].as_f64().unwrap_or(f64::NAN),
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(got_tz.len(), want_tz.len());
    for ((gk, (gc, gm)), (wk, (wc, wm))) in got_tz.iter().zip(&want_tz) {
        assert_eq!((gk, gc), (wk, wc));
        assert!(close(*gm, *wm), "max at {gk}: {gm} vs {wm}");
    }

    let day = aggs["per_day"]["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(day.len(), 1);
    assert_eq!(day[0]["key_as_string"], "2024-01-01T00:00:00.000Z");
    assert_eq!(day[0]["doc_count"], json!(docs.len()));

    let avg = docs.iter().map(|d| f64::from(d.duration)).sum::<f64>() / docs.len() as f64;
    assert!(close(
        aggs["avg_all"]["value"].as_f64().unwrap_or(f64::NAN),
        avg
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, .. ProptestConfig::default() })]

    /// One segment with more than 2,048 documents and 1–3 distinct users.
    #[test]
    fn big_segment_low_cardinality(users in 1u8..4, docs in proptest::collection::vec(doc_strategy(3), 2100..2600)) {
        let docs: Vec<Doc> = docs.into_iter().map(|mut d| { d.user = d.user.map(|u| u % users); d }).collect();
        check(&[docs], 1);
    }

    /// Every document has a user: single-valued columns take the block (column-at-a-time) path.
    #[test]
    fn all_fields_present(docs in proptest::collection::vec(doc_strategy(4), 1..3000)) {
        let docs: Vec<Doc> = docs.into_iter().map(|mut d| { d.user = Some(d.user.unwrap_or(0)); d }).collect();
        check(&[docs], 2);
    }

    /// Several segments (one per refresh) with small random batches, in 1 to 5 shards.
    #[test]
    fn many_segments(shards in 1u32..6, batches in proptest::collection::vec(proptest::collection::vec(doc_strategy(6), 1..200), 1..5)) {
        check(&batches, shards);
    }
}

/// Values for the sorted-hits property: runs that keep getting better or worse (events in time
/// order), repeats (ties) and jumps.
fn sort_values() -> impl Strategy<Value = Vec<i64>> {
    proptest::collection::vec((0u8..4, 0i64..40, 1usize..400), 1..12).prop_map(|runs| {
        let mut out = Vec::new();
        for (shape, start, len) in runs {
            for i in 0..len as i64 {
                out.push(match shape {
                    0 => start + i,
                    1 => start - i,
                    2 => start,
                    _ => (start * 7 + i * 13) % 41,
                });
            }
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// The hits of a sort by a numeric column then `_doc` (Discover's order, which the
    /// column-at-a-time top-k serves) are the brute-force best `k` over one segment, for either
    /// direction of each key, with ties.
    #[test]
    fn sorted_hits_are_the_best_k(
        vals in sort_values(),
        k in 1usize..80,
        asc in any::<bool>(),
        doc_asc in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut c = StoreConfig::new(dir.path()).disk_threshold(false);
        c.refresh_interval = None;
        let store = Store::open(c).map_err(|e| TestCaseError::fail(e.to_string()))?;
        store
            .create_index("s", Some(&json!({"mappings": {"properties": {"v": {"type": "long"}}}})))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let ops = vals
            .iter()
            .enumerate()
            .map(|(i, v)| {
                WriteOp::new(
                    OpType::Index,
                    "s".into(),
                    Some(i.to_string()),
                    Some(json!({"v": v}).to_string().into_bytes().into()),
                )
            })
            .collect();
        let r = store.bulk(ops, Refresh::True).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(!r.errors);
        let order = |a: bool| if a { "asc" } else { "desc" };
        let body = json!({"size": k, "track_total_hits": true, "query": {"match_all": {}},
            "sort": [{"v": {"order": order(asc)}}, {"_doc": {"order": order(doc_asc)}}]});
        let got = store
            .search("s", Some(&body), &SearchParams::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let ids: Vec<usize> = got["hits"]["hits"]
            .as_array()
            .map(|h| h.iter().filter_map(|h| h["_id"].as_str()?.parse().ok()).collect())
            .unwrap_or_default();
        // document order as the store numbers documents (a bulk may be spread over segments)
        let by_doc = json!({"size": vals.len(), "query": {"match_all": {}}, "sort": ["_doc"]});
        let by_doc = store
            .search("s", Some(&by_doc), &SearchParams::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut rank = vec![0; vals.len()];
        for (r, h) in by_doc["hits"]["hits"].as_array().into_iter().flatten().enumerate() {
            let id: usize = h["_id"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
            rank[id] = r;
        }
        let mut want: Vec<usize> = (0..vals.len()).collect();
        want.sort_by(|&a, &b| {
            let by_v = if asc { vals[a].cmp(&vals[b]) } else { vals[b].cmp(&vals[a]) };
            by_v.then(if doc_asc { rank[a].cmp(&rank[b]) } else { rank[b].cmp(&rank[a]) })
        });
        want.truncate(k);
        prop_assert_eq!(got["hits"]["total"]["value"].as_u64(), Some(vals.len() as u64));
        prop_assert_eq!(ids, want);
    }
}
