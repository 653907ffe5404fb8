//! The Logstash configuration language: a pipeline or a positioned error, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = pipeline::config::parse_str("fuzz.conf", s);
    }
});
