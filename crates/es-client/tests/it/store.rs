//! Round trips against sluice-store (in-process, on a free port): indices, documents, bulk,
//! search with aggregations, `_cat/indices`, and authentication.

use std::time::Duration;

use es_client::{Auth, BulkConfig, BulkDoc, BulkIndexer, Client, ClientConfig};
use serde_json::{Value, json};

fn start(http: Option<store::http::HttpConfig>) -> (store::http::RunningServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = store::http::ServerConfig::new(dir.path()).disk_threshold(false);
    if let Some(h) = http {
        cfg.http = h;
    }
    (store::http::spawn(cfg).expect("store"), dir)
}

fn client(url: String, auth: Option<Auth>) -> Client {
    let mut cfg = ClientConfig::new(url);
    cfg.auth = auth;
    cfg.product_check = true;
    cfg.request_timeout = Duration::from_secs(60);
    Client::new(cfg).expect("client")
}

fn seed_doc(n: u64) -> String {
    let levels = ["INFO", "WARNING", "ERROR"];
    let actions = ["login", "search", "purchase", "logout", "view"];
    json!({
        "timestamp": format!("2026-01-01T00:{:02}:{:02}.000Z", n / 60 % 60, n % 60),
        "level": levels[(n % 3) as usize],
        "message": format!("Log entry {n}"),
        "user": format!("user{}", n % 5 + 1),
        "action": actions[(n % 5) as usize],
        "duration": 0.5 + (n % 4) as f64,
        "source": "python-script",
    })
    .to_string()
}

#[tokio::test]
async fn index_bulk_search_round_trip() {
    let (server, _dir) = start(None);
    let es = client(server.url(), None);
    let info = es.info().await.expect("info");
    assert!(info.version.number.starts_with('8'), "{info:?}");
    assert!(!es.index_exists("python-logs").await.expect("exists"));
    es.create_index("python-logs", &log_model::mapping::seed())
        .await
        .expect("create");
    assert!(es.index_exists("python-logs").await.expect("exists"));
    let err = es
        .create_index("python-logs", &log_model::mapping::seed())
        .await
        .expect_err("twice");
    assert!(err.is_already_exists(), "{err}");
    let mapping = es.get_mapping("python-logs").await.expect("mapping");
    assert_eq!(
        mapping["python-logs"]["mappings"]["properties"]["user"]["type"],
        "keyword"
    );

    // Single documents, as the seed's Example 2.
    let w = es
        .index_document("python-logs", None, seed_doc(0).as_bytes())
        .await
        .expect("index");
    assert_eq!((w.status, w.result.as_str()), (201, "created"));
    let got = es.get_document("python-logs", &w.id).await.expect("get");
    assert_eq!(got.source["message"], "Log entry 0");
    let c = es
        .create_document("python-logs", "fixed-1", seed_doc(1).as_bytes())
        .await
        .expect("create doc");
    assert_eq!(c.status, 201);
    let err = es
        .create_document("python-logs", "fixed-1", seed_doc(1).as_bytes())
        .await
        .expect_err("exists");
    assert!(err.is_conflict(), "{err}");
    assert_eq!(err.error_type(), Some("version_conflict_engine_exception"));
    let err = es
        .get_document("python-logs", "nope")
        .await
        .expect_err("missing");
    assert!(err.is_not_found(), "{err}");

    // Bulk, with one document the mapping refuses.
    let mut cfg = BulkConfig::for_index("python-logs");
    cfg.max_docs = 100;
    cfg.generate_ids = true;
    let indexer = BulkIndexer::new(es.clone(), cfg).expect("indexer");
    for n in 2..502 {
        indexer.add(BulkDoc::index(seed_doc(n))).await.expect("add");
    }
    indexer
        .add(BulkDoc::index(
            r#"{"timestamp":"2026-01-01T00:00:00Z","duration":"slow"}"#,
        ))
        .await
        .expect("add");
    let stats = indexer.close().await.expect("close");
    assert_eq!(
        (stats.added, stats.indexed, stats.failed),
        (501, 500, 1),
        "{stats:?}"
    );
    assert_eq!(stats.created, 500);

    es.refresh("python-logs").await.expect("refresh");
    assert_eq!(es.count("python-logs", None).await.expect("count"), 502);
    assert_eq!(
        es.count("python-logs", Some(&json!({"term": {"user": "user3"}})))
            .await
            .expect("count"),
        100
    );

    // query_string, newest first, with the seed's three charts as aggregations.
    let resp = es
        .search(
            "python-logs*",
            &json!({
                "size": 3,
                "track_total_hits": true,
                "query": {"query_string": {"query": "level:ERROR AND user:user3"}},
                "sort": [{"timestamp": {"order": "desc"}}],
                "aggs": {
                    "per_user": {"terms": {"field": "user"}},
                    "levels_over_time": {"date_histogram": {"field": "timestamp", "fixed_interval": "1m"}},
                    "avg_duration": {"avg": {"field": "duration"}},
                    "duration_stats": {"stats": {"field": "duration"}}
                }
            }),
        )
        .await
        .expect("search");
    let expected: Vec<u64> = (0..502).filter(|n| n % 3 == 2 && n % 5 == 2).collect();
    assert_eq!(
        resp.hits.total.as_ref().map(|t| t.value),
        Some(expected.len() as u64)
    );
    let messages: Vec<&str> = resp
        .hits
        .hits
        .iter()
        .filter_map(|h| h.source["message"].as_str())
        .collect();
    let newest: Vec<String> = expected
        .iter()
        .rev()
        .take(3)
        .map(|n| format!("Log entry {n}"))
        .collect();
    assert_eq!(messages, newest);
    let users = resp.aggregations.terms("per_user").expect("terms");
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].key, Value::from("user3"));
    let hist = resp
        .aggregations
        .date_histogram("levels_over_time")
        .expect("histogram");
    assert_eq!(
        hist.iter().map(|b| b.doc_count).sum::<u64>(),
        expected.len() as u64
    );
    let stats = resp.aggregations.stats("duration_stats").expect("stats");
    assert_eq!(stats.count, expected.len() as u64);
    let want_avg =
        expected.iter().map(|n| 0.5 + (n % 4) as f64).sum::<f64>() / expected.len() as f64;
    let avg = resp
        .aggregations
        .avg("avg_duration")
        .expect("avg")
        .expect("a value");
    assert!((avg - want_avg).abs() < 1e-9, "{avg} vs {want_avg}");

    let rows = es.cat_indices(Some("python-*")).await.expect("cat");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].index.as_str(), rows[0].docs_count),
        ("python-logs", Some(502))
    );
    let health = es.cluster_health(None).await.expect("health");
    assert!(["green", "yellow"].contains(&health.status.as_str()));

    let d = es
        .delete_document("python-logs", "fixed-1")
        .await
        .expect("delete doc");
    assert_eq!(d.result, "deleted");
    es.delete_index("python-logs").await.expect("delete index");
    assert!(!es.index_exists("python-logs").await.expect("exists"));
    let err = es.delete_index("python-logs").await.expect_err("gone");
    assert!(err.is_not_found(), "{err}");
    server.shutdown().expect("shutdown");
}

#[tokio::test]
async fn basic_and_api_key_auth_and_401() {
    let http = store::http::HttpConfig::default()
        .user("elastic", "changeme")
        .api_key("VuaCfGcBCdbkQm-e5aOx", "ui2lp2axTNmsyakw9tvNnw");
    let (server, _dir) = start(Some(http));
    let url = server.url();
    let addr = server.addr();
    let ok = |auth: Option<Auth>| client(url.clone(), auth);

    let err = ok(None).info().await.expect_err("no credentials");
    assert!(err.is_unauthorized() && !err.is_retryable(), "{err}");
    assert_eq!(err.error_type(), Some("security_exception"));
    let err = ok(Some(Auth::basic("elastic", "wrong")))
        .info()
        .await
        .expect_err("bad password");
    assert_eq!(err.status(), Some(401));

    for client in [
        ok(Some(Auth::basic("elastic", "changeme"))),
        client(format!("http://elastic:changeme@{addr}"), None),
        ok(Some(Auth::api_key(
            "VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw",
        ))),
        ok(Some(Auth::api_key(
            "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==",
        ))),
    ] {
        client.info().await.expect("authenticated");
    }

    // A bulk indexer with bad credentials reports every document, with status 401.
    let failures = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = failures.clone();
    let mut cfg = BulkConfig::for_index("python-logs");
    cfg.on_failure = Some(std::sync::Arc::new(move |f: &es_client::BulkFailure| {
        sink.lock()
            .expect("lock")
            .push((f.status, f.error_type.clone()));
    }));
    let indexer =
        BulkIndexer::new(ok(Some(Auth::basic("elastic", "wrong"))), cfg).expect("indexer");
    for n in 0..5 {
        indexer.add(BulkDoc::index(seed_doc(n))).await.expect("add");
    }
    let stats = indexer.close().await.expect("close");
    assert_eq!((stats.indexed, stats.failed, stats.retried), (0, 5, 0));
    assert!(
        failures
            .lock()
            .expect("lock")
            .iter()
            .all(|(s, t)| *s == Some(401) && t == "security_exception")
    );
    drop(server);
}
