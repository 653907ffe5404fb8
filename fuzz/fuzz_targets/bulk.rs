//! `_bulk` request bodies: operations or Elasticsearch's 400, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let body = bytes::Bytes::copy_from_slice(data);
    let _ = store::http::bulk::parse(body, Some("fuzz"), false);
});
