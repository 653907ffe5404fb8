//! The `kql` fuzz target's corpus and crash reproducers (`fuzz/`), replayed: each input
//! translates or fails with a position inside it.

#[test]
fn fuzz_corpus_translates_or_fails_in_place() {
    for (path, bytes) in test_support::fuzz_inputs("kql") {
        let Ok(s) = std::str::from_utf8(&bytes) else {
            continue;
        };
        if let Err(e) = kql::translate(s, &kql::Options::default()) {
            assert!(e.offset() <= s.len(), "{}: {e}", path.display());
        }
    }
}
