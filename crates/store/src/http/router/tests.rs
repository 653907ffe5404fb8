use http::Method;

use super::*;

fn check(method: &Method, path: &str, expected: &Route) {
    assert_eq!(
        &route(method, path).expect(path),
        expected,
        "{method} {path}"
    );
}

fn s(x: &str) -> String {
    x.to_owned()
}

#[test]
fn routes_every_endpoint() {
    check(&Method::GET, "/", &Route::Info);
    check(&Method::HEAD, "/", &Route::Info);
    check(
        &Method::GET,
        "/_cluster/health",
        &Route::ClusterHealth(None),
    );
    check(
        &Method::GET,
        "/_cluster/health/logs-*",
        &Route::ClusterHealth(Some("logs-*".into())),
    );
    check(&Method::POST, "/_aliases", &Route::UpdateAliases);
    check(
        &Method::DELETE,
        "/_search/scroll",
        &Route::ClearScroll(None),
    );
    check(&Method::GET, "/_cat/indices", &Route::CatIndices(None));
    check(
        &Method::GET,
        "/_cat/indices/logs-*",
        &Route::CatIndices(Some(s("logs-*"))),
    );
    check(&Method::POST, "/_refresh", &Route::Refresh(None));
    check(
        &Method::GET,
        "/logs/_refresh",
        &Route::Refresh(Some(s("logs"))),
    );
    check(&Method::PUT, "/_bulk", &Route::Bulk(None));
    check(&Method::POST, "/logs/_bulk", &Route::Bulk(Some(s("logs"))));
    check(&Method::GET, "/_search", &Route::Search(None));
    check(
        &Method::POST,
        "/a,b/_search",
        &Route::Search(Some(s("a,b"))),
    );
    check(
        &Method::GET,
        "/python-logs-*/_count",
        &Route::Count(Some(s("python-logs-*"))),
    );
    check(
        &Method::GET,
        "/logs/_mapping",
        &Route::Mapping(Some(s("logs"))),
    );
    check(&Method::PUT, "/logs", &Route::CreateIndex(s("logs")));
    check(&Method::HEAD, "/logs", &Route::IndexExists(s("logs")));
    check(&Method::GET, "/logs", &Route::GetIndex(s("logs")));
    check(&Method::DELETE, "/logs", &Route::DeleteIndex(s("logs")));
    check(&Method::POST, "/logs/_doc", &Route::IndexAutoId(s("logs")));
    check(
        &Method::PUT,
        "/logs/_doc/1",
        &Route::IndexDoc(s("logs"), s("1")),
    );
    check(
        &Method::POST,
        "/logs/_doc/1",
        &Route::IndexDoc(s("logs"), s("1")),
    );
    check(
        &Method::PUT,
        "/logs/_create/1",
        &Route::CreateDoc(s("logs"), s("1")),
    );
    check(
        &Method::GET,
        "/logs/_doc/a%2Fb",
        &Route::GetDoc(s("logs"), s("a/b")),
    );
    check(
        &Method::HEAD,
        "/logs/_doc/1",
        &Route::DocExists(s("logs"), s("1")),
    );
    check(
        &Method::DELETE,
        "/logs/_doc/1",
        &Route::DeleteDoc(s("logs"), s("1")),
    );
    check(
        &Method::GET,
        "//logs//_doc/1/",
        &Route::GetDoc(s("logs"), s("1")),
    );
}

#[test]
fn misses_are_classified() {
    match route(&Method::GET, "/logs/_doc") {
        Err(NoRoute::MethodNotAllowed(m)) => assert_eq!(m, vec![Method::POST]),
        other => panic!("{other:?}"),
    }
    match route(&Method::PATCH, "/") {
        Err(NoRoute::MethodNotAllowed(m)) => assert_eq!(m, vec![Method::GET, Method::HEAD]),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        route(&Method::GET, "/a/b/c/d"),
        Err(NoRoute::NotFound)
    ));
    assert!(matches!(
        route(&Method::GET, "/a/_nope"),
        Err(NoRoute::NotFound)
    ));
    assert!(matches!(
        route(&Method::GET, "/a%zz"),
        Err(NoRoute::BadPath(_))
    ));
}

mod no_panic {
    use proptest::prelude::*;

    use super::super::super::auth::Credentials;
    use super::super::super::filter::FilterPath;
    use super::super::super::media;
    use super::super::super::params::Params;
    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The request-line and header parsers answer every input with a value or an error.
        #[test]
        fn request_parsers(path in "(/[a-z_%0-9,*.-]{0,6}){0,5}", query in "[ -~]{0,40}", header in "[ -~]{0,40}") {
            for m in [Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::HEAD, Method::PATCH] {
                let _ = route(&m, &path);
            }
            let _ = Params::parse(Some(&query));
            let _ = FilterPath::parse(&query).map(|f| f.apply(&serde_json::json!({"a": {"b": [1, {"c": 2}]}})));
            let creds = Credentials { users: vec![("u".into(), "p".into())], api_keys: vec![("i".into(), "k".into())] };
            let _ = creds.authenticate(Some(header.as_bytes()), &path);
            let _ = media::check_content_type(Some(&header));
            let _ = media::response_type(Some(&header), Some(&query));
        }
    }
}
