//! CPU-time profile of the engine on seed documents, for judging optimisations on a loaded
//! machine where wall-clock time is noisy: process CPU seconds (all threads) per phase.
//!
//! `cargo run --release -p store --example store_profile -- [DOCS] [QUERY_RUNS] [REFRESH_MS]`
//! (REFRESH_MS: the store's refresh interval during ingest, default 1000; 0 = only at the end)
//! (queries run after reopening the store, so background merges of the ingest do not count)
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use store::{OpType, Refresh, SearchParams, Store, StoreConfig, WriteOp};

#[path = "../benches/common/mod.rs"]
mod common;
use common::{dashboard_queries, seed_mapping, seed_sources};

// as the `sluice-store` binary
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Process CPU time (user + system, all threads) from /proc/self/stat, in seconds.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    // fields after ")": state(0) ... utime(11) stime(12), in clock ticks (100 Hz)
    (tick(11) + tick(12)) / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // as the `sluice-store` binary
    #[cfg(target_os = "linux")]
    rustix::thread::disable_transparent_huge_pages(true)?;
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let runs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20);
    let refresh_ms: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let dir = tempfile::tempdir()?;
    let mut c = StoreConfig::new(dir.path());
    c.refresh_interval = (refresh_ms > 0).then(|| Duration::from_millis(refresh_ms));
    let store = Store::open(c)?;
    store.create_index("python-logs", Some(&seed_mapping()))?;
    // sources are generated up front so that only ingest is measured
    let batches: Vec<Vec<Bytes>> = (0..n.div_ceil(5000))
        .map(|b| seed_sources(5000.min(n - b * 5000), b * 5000))
        .collect();
    let bytes: usize = batches.iter().flatten().map(Bytes::len).sum();
    let (c0, t0) = (cpu_secs(), Instant::now());
    for batch in batches {
        let ops = batch
            .into_iter()
            .map(|s| WriteOp::new(OpType::Index, "python-logs".into(), None, Some(s)))
            .collect();
        let r = store.bulk(ops, Refresh::False)?;
        assert!(!r.errors, "bulk errors");
    }
    store.refresh("python-logs")?;
    let (cpu, wall) = (cpu_secs() - c0, t0.elapsed().as_secs_f64());
    println!(
        "ingest {n} docs ({:.1} MB): wall {wall:.2} s = {:.0} docs/s; cpu {cpu:.2} s = {:.2} us/doc = {:.0} docs per cpu-second",
        bytes as f64 / 1e6,
        n as f64 / wall,
        cpu * 1e6 / n as f64,
        n as f64 / cpu
    );
    // reopen so that queries do not share the CPU with background merges of the ingest
    // (process CPU time counts every thread)
    store.close()?;
    drop(store);
    let mut c = StoreConfig::new(dir.path());
    c.refresh_interval = Some(Duration::from_secs(1));
    let store = Store::open(c)?;
    let segs = store.cat_indices(Some("python-logs"), store::Resolve::default())?;
    if let Some(ci) = segs.first() {
        println!(
            "docs {} store {} bytes in {} segments",
            ci.docs_count,
            ci.store_size_bytes,
            store.shard("python-logs")?.segment_count()
        );
    }
    let queries = dashboard_queries();
    for (name, body) in &queries {
        let r = store.search("python-logs", Some(body), &SearchParams::default())?;
        let total = &r["hits"]["total"];
        let (c0, t0) = (cpu_secs(), Instant::now());
        let mut best = f64::MAX;
        for _ in 0..runs {
            let t = Instant::now();
            store.search("python-logs", Some(body), &SearchParams::default())?;
            best = best.min(t.elapsed().as_secs_f64());
        }
        let (cpu, wall) = (cpu_secs() - c0, t0.elapsed().as_secs_f64());
        println!(
            "{name}: hits {total}; wall mean {:.1} ms best {:.1} ms; cpu {:.1} ms/query = {:.1} ns/doc",
            wall * 1e3 / runs as f64,
            best * 1e3,
            cpu * 1e3 / runs as f64,
            cpu * 1e9 / runs as f64 / n.max(1) as f64
        );
    }
    store.close()?;
    Ok(())
}
