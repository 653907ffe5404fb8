//! The fuzz targets' corpora and crash reproducers (`fuzz/`), replayed through the parsers
//! they fuzz: Lucene syntax, query DSL and aggregations, `_bulk` bodies, request heads.

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
        if let Err(e) = store::http::bulk::parse(body.clone(), Some("fuzz"), false) {
            assert_eq!(e.status(), 400, "{}: {e}", path.display());
        }
    }
}

/// Request heads as the `http_request` target splits them: method, path-and-query, headers.
#[test]
fn http_request_corpus() {
    for (path, bytes) in test_support::fuzz_inputs("http_request") {
        let text = String::from_utf8_lossy(&bytes);
        let mut lines = text.split('\n');
        let method = lines.next().unwrap_or("");
        let target = lines.next().unwrap_or("");
        let headers: Vec<(&str, &str)> = lines
            .take(8)
            .map(|l| {
                l.split_once(':')
                    .map_or((l, ""), |(n, v)| (n.trim(), v.trim()))
            })
            .collect();
        let summary = store::http::fuzz_request_head(method, target, &headers);
        assert!(!summary.is_empty(), "{}", path.display());
    }
}

/// The entry point checks `Content-Type` as for a request with a body (406 without one).
#[test]
fn http_request_seeds_reach_their_parsers() {
    let head = |m: &str, p: &str, h: &[(&str, &str)]| store::http::fuzz_request_head(m, p, h);
    assert_eq!(
        head(
            "GET",
            "/logs-*/_search?q=level:ERROR&size=5",
            &[("Content-Type", "application/json")]
        ),
        "Search(Some(\"logs-*\"))"
    );
    assert!(head("GET", "/logs%zz/_search", &[]).starts_with("400 "));
    assert!(head("GET", "/_search?filter_path=-took", &[]).starts_with("400 "));
    assert!(head("GET", "/_search?pretty=maybe", &[]).starts_with("400 "));
    assert!(head("GET", "/_search?sizee=1", &[]).contains("did you mean [size]"));
    assert!(
        head(
            "GET",
            "/",
            &[(
                "Accept",
                "application/vnd.elasticsearch+json; compatible-with=6"
            )]
        )
        .starts_with("400 ")
    );
    assert_eq!(head("GET\n", "/", &[]), "refused by hyper");
}
