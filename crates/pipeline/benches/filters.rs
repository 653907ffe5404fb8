//! Config parsing, conditions and the filter chain on the seed's config and events.
//!
//! `cargo bench -p pipeline --bench filters` (full); `cargo test -p pipeline --bench filters`
//! runs each once as a smoke test.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use log_model::LogEvent;
use pipeline::config::{self, Node};
use pipeline::filter::FilterChain;

const SEED: &str = "input {\n  tcp {\n    port => 5000\n    codec => json_lines\n  }\n}\n\nfilter {\n  mutate {\n    convert => {\n      \"duration\" => \"float\"\n    }\n  }\n}\n\noutput {\n  elasticsearch {\n    hosts => [\"elasticsearch:9200\"]\n    index => \"python-logs-%{+YYYY.MM.dd}\"\n    user => \"elastic\"\n    password => \"your_password\"\n  }\n  stdout {\n    codec => rubydebug\n  }\n}\n";

const EVENT: &[u8] = br#"{"timestamp":"2026-11-24T22:15:44.123456","level":"INFO","message":"user login succeeded","user":"alice","action":"login","duration":"0.153","source":"auth-service","host":"web-01"}"#;

const RICH: &str = r#"filter {
  json { source => "payload" skip_on_invalid_json => true }
  date { match => ["timestamp", "ISO8601"] }
  mutate { convert => { "duration" => "float" } lowercase => ["level"] }
  if [level] == "debug" { drop { } }
  else if [level] in ["error", "critical"] { mutate { add_tag => ["alert"] } }
}"#;

const APACHE: &[&str] = &[
    r#"192.168.12.7 - - [24/Nov/2026:22:15:44 +0000] "GET /index.html HTTP/1.1" 200 5120 "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36""#,
    r#"10.0.3.250 - frank [24/Nov/2026:22:15:45 +0000] "POST /api/v1/login?next=%2Fhome HTTP/1.1" 302 0 "https://example.com/login" "curl/8.5.0""#,
    r#"172.16.254.1 - - [24/Nov/2026:22:15:46 +0000] "GET /static/app.9f3c.js HTTP/2.0" 304 - "https://example.com/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) Safari/605.1.15""#,
    r#"203.0.113.99 - - [24/Nov/2026:22:15:47 +0000] "GET /search?q=rust+logs HTTP/1.1" 404 2311 "-" "python-requests/2.31.0""#,
];

fn bench(c: &mut Criterion) {
    c.bench_function("parse seed logstash.conf", |b| {
        b.iter(|| config::parse_str("logstash.conf", black_box(SEED)).map(|p| p.filters.len()));
    });

    let template = LogEvent::from_json_slice(EVENT).expect("valid event");
    let mut group = c.benchmark_group("filter chain");
    group.throughput(Throughput::Elements(1));
    for (name, text) in [("seed", SEED), ("json+date+mutate+if", RICH)] {
        let p = config::parse_str("b.conf", text).expect("valid config");
        let chain = FilterChain::build(&p.filters).expect("filters build");
        group.bench_function(name, |b| {
            // by reference: cloning and dropping the event stay outside the measurement
            b.iter_batched_ref(
                || template.clone(),
                |ev| chain.process(ev),
                criterion::BatchSize::SmallInput,
            );
        });
    }
    group.finish();

    // grok on Apache combined access lines (the ECS v1 pattern, as `bench pipeline` runs it)
    let grok = config::parse_str(
        "g.conf",
        r#"filter { grok { match => { "message" => "%{COMBINEDAPACHELOG}" } } }"#,
    )
    .expect("valid config");
    let chain = FilterChain::build(&grok.filters).expect("grok builds");
    let lines: Vec<LogEvent> = APACHE
        .iter()
        .map(|l| {
            let mut e = LogEvent::new();
            e.insert_field("message", serde_json::Value::String((*l).to_owned()));
            e
        })
        .collect();
    let mut group = c.benchmark_group("grok");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("COMBINEDAPACHELOG ecs v1", |b| {
        b.iter_batched_ref(
            || lines.clone(),
            |evs| {
                for ev in evs.iter_mut() {
                    chain.process(ev);
                }
            },
            criterion::BatchSize::SmallInput,
        );
    });
    group.finish();

    let p = config::parse_str(
        "c.conf",
        r#"filter { if [level] == "ERROR" and ([duration] > 1 or "alert" in [tags]) or [message] =~ /fail/ { x {} } }"#,
    )
    .expect("valid config");
    let Node::Branch(b) = &p.filters[0] else {
        return;
    };
    let condition = b.arms[0].condition.clone();
    c.bench_function("condition eval", |bch| {
        bch.iter(|| condition.eval(black_box(&template)));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
