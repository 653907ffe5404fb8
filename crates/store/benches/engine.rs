//! Engine benchmarks: bulk ingest of seed documents (docs/s, MB/s) and the three dashboard
//! queries (actions per user, levels per time bucket, avg duration per action).
//!
//! `cargo bench -p store --bench engine` — scale with `SLUICE_BENCH_DOCS` (documents loaded for
//! the query benchmarks, default 200000) and `SLUICE_BENCH_BULK` (documents per bulk, default 5000).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use store::{OpType, Refresh, SearchParams, Store, StoreConfig, WriteOp};

#[path = "common/mod.rs"]
mod common;
use common::{dashboard_queries, seed_mapping, seed_sources};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
        .map(|s| WriteOp::new(OpType::Index, "python-logs".into(), None, Some(s.clone())))
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
    let queries = dashboard_queries();
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
