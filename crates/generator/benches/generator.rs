//! Generator throughput to a null writer.
//!
//! `cargo xtask bench codec` runs this and prints a summary; or
//! `cargo bench -p generator --bench generator -- --warm-up-time 1 --measurement-time 2`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use generator::{Format, Generator, GeneratorConfig, Profile};

const EVENTS: u64 = 100_000;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group(format!("generator ({EVENTS} events to io::sink)"));
    for (name, profile, format) in [
        ("seed profile, seed format", Profile::Seed, Format::Seed),
        ("seed profile, ecs format", Profile::Seed, Format::Ecs),
        (
            "realistic profile, seed format",
            Profile::Realistic,
            Format::Seed,
        ),
    ] {
        let config = GeneratorConfig {
            seed: 7,
            profile,
            format,
            ..GeneratorConfig::default()
        };
        // Bytes per run, for MB/s next to events/s.
        let mut sample = Vec::new();
        Generator::new(config.clone())
            .expect("valid config")
            .write_ndjson(&mut sample, EVENTS)
            .expect("to a Vec");
        g.throughput(Throughput::ElementsAndBytes {
            elements: EVENTS,
            bytes: sample.len() as u64,
        });
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut generator = Generator::new(config.clone()).expect("valid config");
                let n = generator
                    .write_ndjson(&mut std::io::sink(), black_box(EVENTS))
                    .expect("sink never fails");
                assert_eq!(n, EVENTS);
            });
        });
    }
    g.finish();
}

criterion_group!(generator_benches, bench);
criterion_main!(generator_benches);
