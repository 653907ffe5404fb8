//! The fuzz targets' corpora and crash reproducers (`fuzz/`), replayed through the parsers
//! they fuzz: Lucene syntax, query DSL and aggregations, `_bulk` bodies.

#[test]
fn lucene_corpus() {
    for (path, bytes) in test_support::fuzz_inputs("lucene") {
        if let Ok(s) = std::str::from_utf8(&bytes) {
            let r =
                store::query::lucene::parse_lucene(s, &store::query::lucene::Options::default());
            if let Err(e) = r {
                assert_eq!(e.status(), 400, "{}: {e}", path.display());
            }
        }
    }
}

#[test]
fn query_dsl_corpus() {
    for (path, bytes) in test_support::fuzz_inputs("query_dsl") {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            for status in [
                store::query::parse(&v).err().map(|e| e.status()),
                store::aggs::parse(&v).err().map(|e| e.status()),
            ]
            .into_iter()
            .flatten()
            {
                assert!((400..500).contains(&status), "{}: {status}", path.display());
            }
        }
    }
}

#[test]
fn bulk_corpus() {
    for (path, bytes) in test_support::fuzz_inputs("bulk") {
        let body = bytes::Bytes::from(bytes);
        if let Err(e) = store::http::bulk::parse(body.clone(), Some("fuzz")) {
            assert_eq!(e.status(), 400, "{}: {e}", path.display());
        }
    }
}
