//! Engine benchmarks: bulk ingest of seed documents (docs/s, MB/s) and the three dashboard
//! queries (actions per user, levels per time bucket, avg duration per action).
//!
//! `cargo bench -p store --bench engine` — scale with `SLUICE_BENCH_DOCS` (documents loaded for
//! the query benchmarks, default 200000) and `SLUICE_BENCH_BULK` (documents per bulk, default 5000).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use store::{OpType, Refresh, SearchParams, Store, StoreConfig, WriteOp};

const USERS: [&str; 5] = ["user1", "user2", "user3", "user4", "user5"];
const ACTIONS: [&str; 5] = ["login", "search", "purchase", "logout", "view"];
const LEVELS: [&str; 3] = ["INFO", "WARNING", "ERROR"];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Seed-shaped documents (the tutorial's event), deterministic.
fn seed_sources(n: usize, start: usize) -> Vec<Bytes> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ start as u64;
    (start..start + n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let user = USERS[(x % 5) as usize];
            let action = ACTIONS[((x >> 8) % 5) as usize];
            let level = LEVELS[((x >> 16) % 10).min(2) as usize];
            let duration = 0.1 + ((x >> 24) % 490) as f64 / 100.0;
            let ts = 1_704_067_200_000i64 + i as i64 * 50;
            let secs = ts / 1000;
            let doc = json!({
                "timestamp": format!("2024-01-{:02}T{:02}:{:02}:{:02}.{:03}Z", 1 + secs / 86_400 % 28, secs / 3600 % 24, secs / 60 % 60, secs % 60, ts % 1000),
                "level": level,
                "message": format!("{user} performed {action}"),
                "user": user,
                "action": action,
                "duration": duration,
                "source": "webapp",
                "tags": ["python", "webapp"],
            });
            Bytes::from(serde_json::to_vec(&doc).unwrap_or_default())
        })
        .collect()
}

fn seed_mapping() -> serde_json::Value {
    json!({"mappings": {"properties": {
        "timestamp": {"type": "date"}, "level": {"type": "keyword"}, "message": {"type": "text"},
        "user": {"type": "keyword"}, "action": {"type": "keyword"}, "duration": {"type": "float"},
        "source": {"type": "keyword"}, "tags": {"type": "keyword"}}}})
}

fn open(dir: &std::path::Path) -> Arc<Store> {
    let mut c = StoreConfig::new(dir);
    c.refresh_interval = Some(Duration::from_secs(1));
    let store = Store::open(c).unwrap_or_else(|e| panic!("{e}"));
    store
        .create_index("python-logs", Some(&seed_mapping()))
        .unwrap_or_else(|e| panic!("{e}"));
    store
}

fn bulk(store: &Store, sources: &[Bytes]) {
    let ops = sources
        .iter()
        .map(|s| WriteOp {
            kind: OpType::Index,
            index: "python-logs".into(),
            id: None,
            source: Some(s.clone()),
        })
        .collect();
    let r = store
        .bulk(ops, Refresh::False)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!r.errors);
}

fn ingest(c: &mut Criterion) {
    let per_bulk = env_usize("SLUICE_BENCH_BULK", 5000);
    let sources = seed_sources(per_bulk, 0);
    let bytes: usize = sources.iter().map(Bytes::len).sum();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    let mut g = c.benchmark_group("ingest");
    g.sample_size(10);
    g.throughput(Throughput::Elements(per_bulk as u64));
    g.bench_function(BenchmarkId::new("bulk_docs", per_bulk), |b| {
        b.iter(|| bulk(&store, &sources));
    });
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function(BenchmarkId::new("bulk_bytes", per_bulk), |b| {
        b.iter(|| bulk(&store, &sources));
    });
    g.finish();
}

fn dashboard(c: &mut Criterion) {
    let n = env_usize("SLUICE_BENCH_DOCS", 200_000);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    let mut done = 0;
    while done < n {
        let k = 5000.min(n - done);
        bulk(&store, &seed_sources(k, done));
        done += k;
    }
    store
        .refresh("python-logs")
        .unwrap_or_else(|e| panic!("{e}"));
    let queries = [
        (
            "actions_per_user",
            json!({"size": 0, "aggs": {"u": {"terms": {"field": "user"}, "aggs": {"a": {"terms": {"field": "action"}}}}}}),
        ),
        (
            "levels_over_time",
            json!({"size": 0, "aggs": {"t": {"date_histogram": {"field": "timestamp", "fixed_interval": "1h"}, "aggs": {"l": {"terms": {"field": "level"}}}}}}),
        ),
        (
            "avg_duration_per_action",
            json!({"size": 0, "aggs": {"a": {"terms": {"field": "action"}, "aggs": {"d": {"avg": {"field": "duration"}}}}}}),
        ),
    ];
    let mut g = c.benchmark_group(format!("dashboard_{n}"));
    g.sample_size(10);
    for (name, body) in &queries {
        g.bench_function(*name, |b| {
            b.iter(|| {
                store
                    .search("python-*", Some(body), &SearchParams::default())
                    .unwrap_or_else(|e| panic!("{e}"))
            });
        });
    }
    g.finish();
}

criterion_group!(benches, ingest, dashboard);
criterion_main!(benches);
