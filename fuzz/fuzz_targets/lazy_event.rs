//! Received lines: the lazy event and a full parse agree on accepting a line, never a panic.
#![no_main]
/// serde_json's `raw_value` feature reserves this key: a `Value` cannot hold an object that
/// has it, so the full parse is no oracle for such input (found by this target).
const RAW_VALUE_TOKEN: &[u8] = b"$serde_json::private::RawValue";

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if data.windows(RAW_VALUE_TOKEN.len()).any(|w| w == RAW_VALUE_TOKEN) {
        return;
    }
    let lazy = log_model::LogEvent::from_json_bytes(bytes::Bytes::copy_from_slice(data));
    let full = serde_json::from_slice::<serde_json::Value>(data)
        .ok()
        .filter(serde_json::Value::is_object);
    assert_eq!(lazy.is_ok(), full.is_some(), "lazy and full parses disagree");
    if let Ok(e) = lazy {
        let mut out = Vec::new();
        e.write_json(&mut out, &[]);
    }
});
