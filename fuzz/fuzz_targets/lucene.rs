//! Lucene query syntax (`q=`, `query_string`): never a panic or a stack overflow.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = store::query::lucene::parse_lucene(s, &store::query::lucene::Options::default());
    }
});
