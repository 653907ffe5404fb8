//! The beats input's Lumberjack v1/v2 decoder on arbitrary bytes (windows, JSON and data
//! frames, zlib-compressed frames nested in each other): a count or an error, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = pipeline::input::decode_lumberjack(data);
});
