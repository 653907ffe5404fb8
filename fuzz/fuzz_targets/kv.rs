//! kv with brackets, quotes, several split characters and recursion, on arbitrary text: an
//! event back, never a panic.
#![no_main]
use std::sync::LazyLock;

use pipeline::filter::FilterChain;

static CHAIN: LazyLock<FilterChain> = LazyLock::new(|| {
    let p = pipeline::config::parse_str(
        "fuzz.conf",
        r#"filter { kv { field_split => " &,;" value_split => "=:" include_brackets => true recursive => true trim_value => "\"" target => "kv" } }"#,
    )
    .expect("config");
    FilterChain::build(&p.filters).expect("chain")
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut ev = log_model::LogEvent::new();
    ev.insert_field(
        "message",
        serde_json::Value::String(String::from_utf8_lossy(data).into_owned()),
    );
    let _ = CHAIN.process(&mut ev);
});
