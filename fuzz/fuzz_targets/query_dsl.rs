//! Query DSL and aggregation bodies: any JSON parses or is an error, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = store::query::parse(&v);
        let _ = store::aggs::parse(&v);
    }
});
