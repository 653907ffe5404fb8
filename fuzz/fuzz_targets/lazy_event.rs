//! Received lines: the lazy event and a full parse agree on accepting a line, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
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
