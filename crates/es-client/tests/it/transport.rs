//! Transport: failover, retries, auth headers, compression, product check.

use std::time::Duration;

use es_client::{Auth, Client, ClientConfig, Request};
use http::Method;

use crate::fault::{Fault, FaultServer};

fn fast(mut c: ClientConfig) -> ClientConfig {
    c.retry_backoff = Duration::from_millis(5);
    c.max_retry_backoff = Duration::from_millis(20);
    c.dead_node_backoff = Duration::from_millis(50);
    c.connect_timeout = Duration::from_millis(500);
    c
}

#[tokio::test]
async fn one_of_three_nodes_down_still_delivers_everything() {
    let a = FaultServer::start().await;
    let c = FaultServer::start().await;
    let down = test_support::free_addr(); // nothing listens here
    let cfg = fast(ClientConfig::with_nodes([
        a.url(),
        format!("http://{down}"),
        c.url(),
    ]));
    let client = Client::new(cfg).expect("client");
    let mut bulk = es_client::BulkConfig::for_index("python-logs");
    bulk.max_docs = 5;
    let indexer = es_client::BulkIndexer::new(client.clone(), bulk).expect("indexer");
    for n in 0..60u64 {
        indexer
            .add(es_client::BulkDoc::index(format!(r#"{{"n":{n}}}"#)))
            .await
            .expect("add");
    }
    let stats = indexer.close().await.expect("close");
    assert_eq!((stats.indexed, stats.failed), (60, 0), "{stats:?}");
    for n in 0..60 {
        assert_eq!(
            a.state().copies_of(n) + c.state().copies_of(n),
            1,
            "doc {n}"
        );
    }
    // Single-document writes fail over too (a refused connection was never sent).
    for n in 100..110u64 {
        let w = client
            .index_document("python-logs", None, format!(r#"{{"n":{n}}}"#).as_bytes())
            .await
            .expect("index");
        assert_eq!(w.status, 201);
    }
    assert!(
        a.state().bulk_requests > 0 && c.state().bulk_requests > 0,
        "both live nodes used"
    );
}

#[tokio::test]
async fn a_node_answering_503_is_skipped() {
    let sick = FaultServer::start().await;
    sick.state().always_status = Some(503);
    let good = FaultServer::start().await;
    let client =
        Client::new(fast(ClientConfig::with_nodes([sick.url(), good.url()]))).expect("client");
    for _ in 0..6 {
        let info = client.info().await.expect("info");
        assert_eq!(info.version.number, "8.7.0");
    }
}

#[tokio::test]
async fn retries_are_bounded_when_every_node_is_down() {
    let cfg = fast(ClientConfig::with_nodes([
        format!("http://{}", test_support::free_addr()),
        format!("http://{}", test_support::free_addr()),
    ]));
    let client = Client::new(cfg).expect("client");
    let err = client.info().await.expect_err("nothing listens");
    assert!(err.is_retryable(), "{err}");
    assert!(
        !err.is_possibly_applied(),
        "a refused connection sent nothing: {err}"
    );
    assert!(
        err.to_string().contains("connection to http://127.0.0.1:"),
        "{err}"
    );
}

#[tokio::test]
async fn whole_request_errors_carry_es_type_and_reason() {
    let server = FaultServer::start().await;
    server.state().always_status = Some(401);
    let client = Client::new(fast(ClientConfig::new(server.url()))).expect("client");
    let err = client.info().await.expect_err("401");
    assert_eq!(err.status(), Some(401));
    assert!(err.is_unauthorized());
    assert_eq!(err.error_type(), Some("security_exception"));
    assert!(
        err.reason()
            .is_some_and(|r| r.contains("unable to authenticate"))
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_timeout_on_a_post_is_not_resent() {
    let server = FaultServer::start().await;
    server
        .state()
        .faults
        .push_back(Fault::SlowApply(Duration::from_millis(1200)));
    let mut cfg = fast(ClientConfig::new(server.url()));
    cfg.request_timeout = Duration::from_millis(200);
    let client = Client::new(cfg).expect("client");
    let req = Request::new(Method::POST, "/python-logs/_bulk").body(
        bytes::Bytes::from_static(b"{\"index\":{}}\n{\"n\":1}\n"),
        es_client::ContentType::Ndjson,
    );
    let err = client.send(req).await.expect_err("timeout");
    assert!(err.is_timeout() && err.is_possibly_applied(), "{err}");
    assert_eq!(server.state().bulk_requests, 1, "not re-sent");
    assert_eq!(server.state().copies_of(1), 1);
}

fn header(server: &FaultServer, name: &str) -> Option<String> {
    server
        .state()
        .requests
        .last()
        .and_then(|(_, h)| h.get(name).cloned())
}

#[tokio::test]
async fn auth_headers() {
    let server = FaultServer::start().await;
    let addr = server.addr;
    let check = |url: String, auth: Option<Auth>, want: &'static str| {
        let server = &server;
        async move {
            let mut cfg = ClientConfig::new(url);
            cfg.auth = auth;
            Client::new(cfg)
                .expect("client")
                .info()
                .await
                .expect("info");
            assert_eq!(header(server, "authorization").as_deref(), Some(want));
        }
    };
    // base64("elastic:changeme") and base64("VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw")
    check(
        format!("http://elastic:changeme@{addr}"),
        None,
        "Basic ZWxhc3RpYzpjaGFuZ2VtZQ==",
    )
    .await;
    check(
        format!("http://{addr}"),
        Some(Auth::basic("elastic", "changeme")),
        "Basic ZWxhc3RpYzpjaGFuZ2VtZQ==",
    )
    .await;
    check(
        format!("http://{addr}"),
        Some(Auth::api_key("VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw")),
        "ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==",
    )
    .await;
    check(
        format!("http://{addr}"),
        Some(Auth::api_key(
            "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==",
        )),
        "ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==",
    )
    .await;
    check(
        format!("http://{addr}"),
        Some(Auth::Bearer("tok".into())),
        "Bearer tok",
    )
    .await;
}

#[tokio::test]
async fn gzip_and_compatibility_headers_are_opt_in() {
    let server = FaultServer::start().await;
    let plain = Client::new(ClientConfig::new(server.url())).expect("client");
    plain
        .index_document("logs", None, br#"{"n":1}"#)
        .await
        .expect("index");
    assert_eq!(
        header(&server, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        header(&server, "accept").as_deref(),
        Some("application/json")
    );
    assert_eq!(header(&server, "content-encoding"), None);

    let mut cfg = ClientConfig::new(server.url());
    cfg.compress_requests = true;
    cfg.compatibility_mode = Some(8);
    let fancy = Client::new(cfg).expect("client");
    fancy
        .index_document("logs", None, br#"{"n":2}"#)
        .await
        .expect("index");
    assert_eq!(header(&server, "content-encoding").as_deref(), Some("gzip"));
    assert_eq!(
        header(&server, "content-type").as_deref(),
        Some("application/vnd.elasticsearch+json; compatible-with=8")
    );
    assert_eq!(
        server.state().copies_of(2),
        1,
        "the server decompressed the body"
    );
}

#[tokio::test]
async fn product_check() {
    let server = FaultServer::start().await;
    let mut cfg = ClientConfig::new(server.url());
    cfg.product_check = true;
    let client = Client::new(cfg).expect("client");
    client.info().await.expect("a genuine node passes");
    server.state().no_product_header = true;
    let err = client.info().await.expect_err("no header");
    assert!(err.to_string().contains("not Elasticsearch"), "{err}");
}

#[tokio::test]
async fn sniffing_replaces_the_seed_nodes() {
    let seed = FaultServer::start().await;
    let b = FaultServer::start().await;
    let c = FaultServer::start().await;
    seed.state().sniff = vec![format!("localhost/{}", b.addr), c.addr.to_string()];
    let mut cfg = fast(ClientConfig::new(seed.url()));
    cfg.sniff_on_start = true;
    let client = Client::new(cfg).expect("client");
    for _ in 0..4 {
        client.info().await.expect("info");
    }
    assert_eq!(
        client.node_urls(),
        [format!("http://localhost:{}", b.addr.port()), c.url()]
    );
    assert_eq!(
        seed.state().requests.len(),
        1,
        "only the sniff went to the seed node"
    );
    assert_eq!(b.state().requests.len() + c.state().requests.len(), 4);

    // A failed sniff keeps the known nodes (and never panics).
    let mut cfg = fast(ClientConfig::new(b.url()));
    cfg.sniff_on_start = true;
    let client = Client::new(cfg).expect("client");
    client.info().await.expect("info");
    assert_eq!(client.node_urls(), [b.url()]);
}
