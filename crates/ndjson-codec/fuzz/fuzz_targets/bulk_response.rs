//! The `_bulk` response parsers on arbitrary bytes: an answer or an error, never a panic, and
//! the summary agrees with the full parse whenever both succeed.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let full = ndjson_codec::parse_bulk_response(data);
    let summary = ndjson_codec::summarize_bulk_response(data);
    if let (Ok(full), Ok(summary)) = (full, summary) {
        assert_eq!(full.took, summary.took);
        assert_eq!(full.items.len(), summary.items);
        if full.errors {
            let failed: Vec<_> = full.failed().map(|(i, it)| (i, it.clone())).collect();
            assert_eq!(failed, summary.failed);
        }
    }
});
