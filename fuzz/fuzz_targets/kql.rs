//! KQL: translates or fails with a position inside the input, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Err(e) = kql::translate(s, &kql::Options::default()) {
            assert!(e.offset() <= s.len());
        }
    }
});
