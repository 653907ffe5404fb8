//! Per-call overhead of logging: what the application thread pays.
//!
//! `cargo bench -p shipper --bench overhead` (or `cargo xtask bench shipper`, which runs this
//! and then the end-to-end comparison with python-logstash-async).
//!
//! A sink thread reads and discards the TCP stream, so the shipper's threads really send.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::hint::black_box;
use std::io::Read;
use std::net::TcpListener;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::{Map, Value, json};
use shipper::{Shipper, ShipperLayer, Transport};
use tracing_subscriber::layer::SubscriberExt;

/// A TCP sink that discards everything; returns its port.
fn sink() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for c in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut c = c;
                let mut buf = vec![0u8; 1 << 16];
                while matches!(c.read(&mut buf), Ok(n) if n > 0) {}
            });
        }
    });
    port
}

fn event() -> Map<String, Value> {
    let Value::Object(m) = json!({
        "@timestamp": "2026-11-24T22:15:44.123Z", "level": "INFO",
        "message": "User user3 performed search in 1.25s",
        "user": "user3", "action": "search", "duration": 1.25, "tags": ["python", "webapp"]
    }) else {
        unreachable!()
    };
    m
}

fn shipper(port: u16, db: Option<&std::path::Path>) -> Shipper {
    let mut b = Shipper::builder(Transport::tcp("127.0.0.1", port));
    b.memory_capacity(1 << 20);
    if let Some(db) = db {
        b.database(db);
    }
    b.build().expect("build")
}

fn bench(c: &mut Criterion) {
    let port = sink();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut g = c.benchmark_group("log");
    g.measurement_time(Duration::from_secs(3));

    let mem = shipper(port, None);
    g.bench_function("memory/log(map)", |b| {
        b.iter_batched(event, |e| mem.log(black_box(e)), BatchSize::SmallInput);
    });
    let line = serde_json::to_vec(&event()).expect("json");
    g.bench_function("memory/log_json(bytes)", |b| {
        b.iter_batched(
            || line.clone(),
            |l| mem.log_json(black_box(l)),
            BatchSize::SmallInput,
        );
    });
    let layer = ShipperLayer::builder(mem.handle()).build();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        g.bench_function("memory/tracing::info!(4 fields)", |b| {
            b.iter(|| {
                tracing::info!(
                    user = "user3",
                    action = "search",
                    duration = 1.25_f64,
                    tags = "python,webapp",
                    "User user3 performed search in 1.25s"
                );
            });
        });
    });
    let stats = mem.shutdown(Duration::from_secs(30));
    println!("memory shipper after the benchmark: {stats:?}");

    let durable = shipper(port, Some(&dir.path().join("bench.db")));
    g.bench_function("durable/log(map)", |b| {
        b.iter_batched(event, |e| durable.log(black_box(e)), BatchSize::SmallInput);
    });
    let stats = durable.shutdown(Duration::from_secs(30));
    println!("durable shipper after the benchmark: {stats:?}");
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
