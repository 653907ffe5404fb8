//! ndjson-codec throughput on seed-shaped lines, next to serde_json baselines.
//!
//! `cargo xtask bench codec` runs this and prints a summary; or
//! `cargo bench -p ndjson-codec --bench codec -- --warm-up-time 1 --measurement-time 2`.

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use generator::{Generator, GeneratorConfig};
use ndjson_codec::{BulkAction, BulkEncoder, BulkLimits, Frame, NdjsonDecoder, NdjsonReader};
use serde::Deserialize;
use tokio_util::codec::{Decoder, Encoder};

const LINES: u64 = 20_000;

fn seed_lines() -> Vec<u8> {
    let mut out = Vec::new();
    let config = GeneratorConfig {
        seed: 7,
        ..GeneratorConfig::default()
    };
    Generator::new(config)
        .expect("default config is valid")
        .write_ndjson(&mut out, LINES)
        .expect("writing to a Vec");
    out
}

/// The seed event as a borrowed typed struct: the "≈ 470 MB/s" reference shape.
#[derive(Deserialize)]
#[allow(dead_code)]
struct SeedEvent<'a> {
    timestamp: &'a str,
    level: &'a str,
    message: &'a str,
    user: &'a str,
    action: &'a str,
    duration: f64,
    source: &'a str,
    tags: Vec<&'a str>,
}

fn benches(c: &mut Criterion) {
    let data = seed_lines();
    let lines: Vec<&[u8]> = data[..data.len() - 1].split(|b| *b == b'\n').collect();
    let mut g = c.benchmark_group(format!("codec ({LINES} seed lines)"));
    g.throughput(Throughput::ElementsAndBytes {
        elements: LINES,
        bytes: data.len() as u64,
    });
    let action = BulkAction::index().with_index("python-logs");

    g.bench_function("decode: NdjsonReader", |b| {
        b.iter(|| {
            let objects = NdjsonReader::new(black_box(&data[..]))
                .filter(|f| matches!(f, Ok(Frame::Object { .. })))
                .count();
            assert_eq!(objects as u64, LINES);
        });
    });
    g.bench_function("decode: NdjsonDecoder (tokio codec)", |b| {
        b.iter(|| {
            let mut buf = BytesMut::from(black_box(&data[..]));
            let mut dec = NdjsonDecoder::new();
            let mut n = 0u64;
            while let Some(f) = dec.decode_eof(&mut buf).expect("no I/O") {
                n += u64::from(f.is_object());
            }
            assert_eq!(n, LINES);
        });
    });
    g.bench_function("encode: bulk body from raw lines", |b| {
        b.iter(|| {
            let mut enc = BulkEncoder::new(BulkLimits::default());
            let mut bytes = 0;
            for line in &lines {
                if let Some(body) = enc.push(&action, Some(black_box(line))).expect("valid") {
                    bytes += body.len();
                }
            }
            bytes += enc.finish().map_or(0, |b| b.len());
            black_box(bytes)
        });
    });
    g.bench_function("decode + bulk encode (ours)", |b| {
        b.iter(|| {
            let mut enc = BulkEncoder::new(BulkLimits::default());
            let mut bytes = 0;
            for frame in NdjsonReader::new(black_box(&data[..])) {
                if let Ok(Frame::Object { raw, .. }) = frame
                    && let Some(body) = enc.push(&action, Some(&raw)).expect("valid")
                {
                    bytes += body.len();
                }
            }
            bytes += enc.finish().map_or(0, |b| b.len());
            black_box(bytes)
        });
    });
    let events: Vec<log_model::LogEvent> = lines
        .iter()
        .map(|l| log_model::LogEvent::from_json_slice(l).expect("generated lines parse"))
        .collect();
    g.bench_function("encode: LogEvent lines (tokio codec)", |b| {
        b.iter(|| {
            let mut codec = NdjsonDecoder::new();
            let mut out = BytesMut::with_capacity(data.len());
            for ev in &events {
                codec.encode(black_box(ev), &mut out).expect("encodes");
            }
            black_box(out.len())
        });
    });

    // What the agent does to each seed event: parse, convert `duration`, add `@version`,
    // write the document. Lazily (the agent's path) and with a full parse into a map.
    let owned: Vec<bytes::Bytes> = lines
        .iter()
        .map(|l| bytes::Bytes::copy_from_slice(l))
        .collect();
    let duration = log_model::FieldRef::parse("duration").expect("valid");
    let agent_like = |ev: &mut log_model::LogEvent, out: &mut Vec<u8>| {
        if let Some(v) = ev.get_mut(&duration)
            && let Some(f) = v.as_f64()
        {
            *v = serde_json::json!(f);
        }
        ev.insert_field("@version", serde_json::Value::String("1".into()));
        ev.write_json(out, &["@metadata"]);
        out.push(b'\n');
    };
    g.bench_function("event: lazy parse + change + write (agent)", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(data.len() * 2);
            for line in &owned {
                let mut ev =
                    log_model::LogEvent::from_json_bytes(black_box(line.clone())).expect("parses");
                agent_like(&mut ev, &mut out);
            }
            black_box(out.len())
        });
    });
    g.bench_function("event: full parse + change + write", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(data.len() * 2);
            for line in &lines {
                let mut ev = log_model::LogEvent::from_json_slice(black_box(line)).expect("parses");
                agent_like(&mut ev, &mut out);
            }
            black_box(out.len())
        });
    });

    // References.
    g.bench_function("reference: serde_json borrowed struct", |b| {
        b.iter(|| {
            for line in &lines {
                let ev: SeedEvent<'_> = serde_json::from_slice(black_box(line)).expect("parses");
                black_box(ev.duration);
            }
        });
    });
    g.bench_function("reference: serde_json Value", |b| {
        b.iter(|| {
            for line in &lines {
                let v: serde_json::Value = serde_json::from_slice(black_box(line)).expect("parses");
                black_box(v);
            }
        });
    });
    g.bench_function("reference: Value parse + bulk re-encode", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(data.len() * 2);
            for line in &lines {
                let v: serde_json::Value = serde_json::from_slice(black_box(line)).expect("parses");
                out.extend_from_slice(b"{\"index\":{\"_index\":\"python-logs\"}}\n");
                serde_json::to_writer(&mut out, &v).expect("to a Vec");
                out.push(b'\n');
            }
            black_box(out.len())
        });
    });
    g.finish();
}

criterion_group!(codec, benches);
criterion_main!(codec);
