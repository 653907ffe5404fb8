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
