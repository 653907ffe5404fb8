//! Seed-shaped documents for the store's bench and profiling example, from the `generator`
//! crate (shared by `benches/engine.rs` and `examples/store_profile.rs`).

use bytes::Bytes;
use generator::{Generator, GeneratorConfig, Timeline};

/// `n` seed documents (the tutorial's flat event), the `start`-th onwards of one deterministic
/// stream at 20 events per simulated second, so consecutive calls continue the timeline.
pub fn seed_sources(n: usize, start: usize) -> Vec<Bytes> {
    const RATE: f64 = 20.0;
    let offset = chrono::Duration::milliseconds((start as f64 * 1000.0 / RATE) as i64);
    let config = GeneratorConfig {
        seed: start as u64,
        timeline: Timeline::Simulated {
            start: Timeline::default_start() + offset,
            rate: RATE,
        },
        ..GeneratorConfig::default()
    };
    let mut g = Generator::new(config).expect("the default generator settings are valid");
    let mut line = Vec::with_capacity(256);
    (0..n)
        .map_while(|_| {
            let event = g.next()?;
            line.clear();
            g.write_line(&event, &mut line);
            line.pop(); // the newline
            Some(Bytes::copy_from_slice(&line))
        })
        .collect()
}

/// The seed's mapping (`log_model::mapping::seed`), with `tags` as a keyword.
pub fn seed_mapping() -> serde_json::Value {
    let mut m = log_model::mapping::seed();
    m["mappings"]["properties"]["tags"] = serde_json::json!({"type": "keyword"});
    m
}

/// The tutorial's three dashboard queries (terms user → action; date_histogram → level;
/// terms action → avg duration), by name.
pub fn dashboard_queries() -> [(&'static str, serde_json::Value); 3] {
    use serde_json::json;
    [
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
    ]
}
