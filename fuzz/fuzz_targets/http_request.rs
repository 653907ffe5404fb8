//! The store's own parsing of a request head (media types, `Authorization`, query parameters,
//! `filter_path`, the route from the percent-encoded path): a route or Elasticsearch's error,
//! never a panic. The input is `METHOD\nPATH?QUERY\nName: value\n...` (the HTTP/1.1 framing
//! itself is hyper's httparse, not fuzzed here).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let method = lines.next().unwrap_or("");
    let path = lines.next().unwrap_or("");
    let headers: Vec<(&str, &str)> = lines
        .take(8)
        .map(|l| l.split_once(':').map_or((l, ""), |(n, v)| (n.trim(), v.trim())))
        .collect();
    let _ = store::http::fuzz_request_head(method, path, &headers);
});
