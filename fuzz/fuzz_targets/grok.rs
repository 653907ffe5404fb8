//! grok with the patterns real pipelines use, on arbitrary text: an event back (matched or
//! tagged `_grokparsefailure`), never a panic.
#![no_main]
use std::sync::LazyLock;

use pipeline::filter::FilterChain;

static CHAIN: LazyLock<FilterChain> = LazyLock::new(|| {
    let p = pipeline::config::parse_str(
        "fuzz.conf",
        r#"filter { grok { match => { "message" => ["%{COMBINEDAPACHELOG}", "%{SYSLOGLINE}", "%{HTTPD_ERRORLOG}", "%{TIMESTAMP_ISO8601:t} %{LOGLEVEL:l} \[%{DATA:th}\] %{JAVACLASS:c} - %{GREEDYDATA:m}", "%{IP:ip} %{NUMBER:n:int} %{QS:q} %{URIPATHPARAM:u}"] } } }"#,
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
