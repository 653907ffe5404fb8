//! The bulk indexer against scripted faults: every document ends indexed exactly once or
//! reported failed with its source; retries are bounded; stats add up.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use es_client::{BulkConfig, BulkDoc, BulkFailure, BulkIndexer, BulkStats, Client, ClientConfig};
use serde_json::Value;

use crate::fault::{Fault, FaultServer};

fn client(server: &FaultServer) -> Client {
    let mut c = ClientConfig::new(server.url());
    c.request_timeout = Duration::from_millis(400);
    c.retry_backoff = Duration::from_millis(5);
    c.max_retry_backoff = Duration::from_millis(20);
    c.dead_node_backoff = Duration::from_millis(10);
    Client::new(c).expect("client")
}

fn config() -> (BulkConfig, Arc<Mutex<Vec<BulkFailure>>>) {
    let failures = Arc::new(Mutex::new(Vec::new()));
    let sink = failures.clone();
    let mut c = BulkConfig::for_index("python-logs");
    c.max_docs = 10;
    c.concurrency = 3;
    c.initial_backoff = Duration::from_millis(5);
    c.max_backoff = Duration::from_millis(30);
    c.on_failure = Some(Arc::new(move |f: &BulkFailure| {
        sink.lock().expect("lock").push(f.clone());
    }));
    (c, failures)
}

fn doc(n: u64) -> String {
    format!(
        r#"{{"n":{n},"level":"INFO","user":"user{}","action":"login","duration":0.5}}"#,
        n % 5 + 1
    )
}

fn poisoned(n: u64) -> String {
    format!(r#"{{"n":{n},"level":"ERROR","user":"user1","action":"view","duration":"slow"}}"#)
}

async fn run(client: Client, config: BulkConfig, docs: Vec<String>) -> BulkStats {
    let indexer = BulkIndexer::new(client, config).expect("indexer");
    for d in docs {
        indexer.add(BulkDoc::index(d)).await.expect("add");
    }
    indexer.close().await.expect("close")
}

/// Checks the invariants every run must keep, and returns the `n`s that failed.
fn check_accounting(
    server: &FaultServer,
    total: u64,
    stats: &BulkStats,
    failures: &[BulkFailure],
) -> Vec<u64> {
    assert_eq!(stats.added, total, "{stats:?}");
    assert_eq!(stats.indexed + stats.failed, stats.added, "{stats:?}");
    assert_eq!(stats.failed as usize, failures.len(), "{stats:?}");
    let failed: Vec<u64> = failures
        .iter()
        .map(|f| {
            let v: Value =
                serde_json::from_slice(&f.doc.source).expect("failure carries its source");
            v["n"].as_u64().expect("n")
        })
        .collect();
    let st = server.state();
    for n in 0..total {
        let copies = st.copies_of(n);
        if failed.contains(&n) {
            assert!(
                copies <= 1,
                "doc {n} reported failed and stored {copies} times"
            );
        } else {
            assert_eq!(copies, 1, "doc {n} must be stored exactly once");
        }
    }
    failed
}

#[tokio::test]
async fn clean_run_delivers_everything_once() {
    let server = FaultServer::start().await;
    let (cfg, failures) = config();
    let stats = run(client(&server), cfg, (0..95).map(doc).collect()).await;
    let failed = check_accounting(&server, 95, &stats, &failures.lock().unwrap());
    assert!(failed.is_empty());
    assert_eq!((stats.indexed, stats.flushed, stats.retried), (95, 95, 0));
    assert_eq!(stats.requests, server.state().bulk_requests);
    assert!(stats.requests >= 10, "95 docs at 10 per request: {stats:?}");
    assert!(stats.bytes > 95 * 40);
}

#[tokio::test]
async fn document_parsing_exceptions_are_final_and_reported_with_source() {
    let server = FaultServer::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let dead = dir.path().join("dead.ndjson");
    let (mut cfg, failures) = config();
    cfg.dead_letter = Some(dead.clone());
    let docs = (0..60)
        .map(|n| if n % 10 == 3 { poisoned(n) } else { doc(n) })
        .collect();
    let stats = run(client(&server), cfg, docs).await;
    let failures = failures.lock().unwrap().clone();
    let mut failed = check_accounting(&server, 60, &stats, &failures);
    failed.sort_unstable();
    assert_eq!(failed, [3, 13, 23, 33, 43, 53]);
    assert_eq!(stats.retried, 0, "400 items are not retried");
    for f in &failures {
        assert_eq!(f.status, Some(400));
        assert_eq!(f.error_type, "document_parsing_exception");
        assert!(
            f.reason.contains("failed to parse field [duration]"),
            "{}",
            f.reason
        );
        assert_eq!(f.attempts, 1);
    }
    let lines: Vec<Value> = std::fs::read_to_string(&dead)
        .expect("dead letter file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("dead letter line is json"))
        .collect();
    assert_eq!(lines.len(), 6);
    for l in &lines {
        assert_eq!(l["status"], 400);
        assert_eq!(l["error"]["type"], "document_parsing_exception");
        assert_eq!(l["error"]["caused_by"]["type"], "number_format_exception");
        assert_eq!(l["source"]["duration"], "slow");
    }
}

#[tokio::test]
async fn item_level_429_is_retried_item_by_item() {
    let server = FaultServer::start().await;
    {
        let mut st = server.state();
        for n in (0..50).step_by(7) {
            st.reject_429.insert(n, 2);
        }
    }
    let (cfg, failures) = config();
    let stats = run(client(&server), cfg, (0..50).map(doc).collect()).await;
    let failed = check_accounting(&server, 50, &stats, &failures.lock().unwrap());
    assert!(failed.is_empty());
    assert_eq!(
        stats.retried,
        8 * 2,
        "8 docs rejected twice each: {stats:?}"
    );
}

#[tokio::test]
async fn retries_are_bounded_and_the_give_up_is_reported() {
    let server = FaultServer::start().await;
    server.state().reject_429.insert(4, 1000);
    let (mut cfg, failures) = config();
    cfg.max_retries = 3;
    let stats = run(client(&server), cfg, (0..20).map(doc).collect()).await;
    let failures = failures.lock().unwrap().clone();
    let failed = check_accounting(&server, 20, &stats, &failures);
    assert_eq!(failed, [4]);
    assert_eq!(failures[0].status, Some(429));
    assert_eq!(failures[0].error_type, "es_rejected_execution_exception");
    assert_eq!(failures[0].attempts, 4, "1 try + 3 retries");
    assert_eq!(stats.retried, 3);
    assert_eq!(server.state().reject_429[&4], 1000 - 4);
}

#[tokio::test]
async fn whole_request_429_and_503_are_retried() {
    let server = FaultServer::start().await;
    server.state().faults.extend([
        Fault::Status(429),
        Fault::Status(503),
        Fault::Status(429),
        Fault::Status(503),
    ]);
    let (cfg, failures) = config();
    let stats = run(client(&server), cfg, (0..30).map(doc).collect()).await;
    let failed = check_accounting(&server, 30, &stats, &failures.lock().unwrap());
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(
        server.state().bulk_requests,
        3 + 4,
        "3 batches + 4 rejected attempts"
    );
}

#[tokio::test]
async fn a_timeout_is_possibly_applied_so_docs_without_ids_are_not_resent() {
    let server = FaultServer::start().await;
    server
        .state()
        .faults
        .push_back(Fault::SlowApply(Duration::from_millis(1500)));
    let (mut cfg, failures) = config();
    cfg.concurrency = 1;
    cfg.request_timeout = Some(Duration::from_millis(300));
    let stats = run(client(&server), cfg, (0..30).map(doc).collect()).await;
    let failures = failures.lock().unwrap().clone();
    let failed = check_accounting(&server, 30, &stats, &failures);
    assert_eq!(failed.len(), 10, "the timed-out batch: {stats:?}");
    for f in &failures {
        assert_eq!(f.error_type, "possibly_applied");
        assert_eq!(f.status, None);
    }
    // The server did apply them: still not duplicated.
    for n in &failed {
        assert_eq!(server.state().copies_of(*n), 1);
    }
}

#[tokio::test]
async fn generated_ids_make_resends_after_a_timeout_safe() {
    let server = FaultServer::start().await;
    server.state().faults.extend([
        Fault::SlowApply(Duration::from_millis(1500)),
        Fault::ResetAfterApply,
    ]);
    let (mut cfg, failures) = config();
    cfg.concurrency = 1;
    cfg.generate_ids = true;
    cfg.request_timeout = Some(Duration::from_millis(300));
    let stats = run(client(&server), cfg, (0..30).map(doc).collect()).await;
    let failed = check_accounting(&server, 30, &stats, &failures.lock().unwrap());
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(stats.created, 30);
    assert_eq!(server.state().docs.len(), 30);
    assert!(stats.retried >= 20, "two batches re-sent: {stats:?}");
}

#[tokio::test]
async fn a_reset_mid_request_is_retried_when_ids_make_it_safe() {
    let server = FaultServer::start().await;
    server
        .state()
        .faults
        .extend([Fault::ResetMidRequest, Fault::ResetMidRequest]);
    let (mut cfg, failures) = config();
    cfg.concurrency = 1;
    cfg.generate_ids = true;
    let stats = run(client(&server), cfg, (0..25).map(doc).collect()).await;
    let failed = check_accounting(&server, 25, &stats, &failures.lock().unwrap());
    assert!(failed.is_empty(), "{failed:?}");
}

#[tokio::test]
async fn a_reset_mid_request_without_ids_is_reported_not_duplicated() {
    let server = FaultServer::start().await;
    server.state().faults.push_back(Fault::ResetMidRequest);
    let (mut cfg, failures) = config();
    cfg.concurrency = 1;
    let stats = run(client(&server), cfg, (0..25).map(doc).collect()).await;
    let failures = failures.lock().unwrap().clone();
    let failed = check_accounting(&server, 25, &stats, &failures);
    assert_eq!(failed.len(), 10);
    assert!(failures.iter().all(|f| f.error_type == "possibly_applied"));
}

#[tokio::test]
async fn mixed_faults_keep_every_document_accounted_for() {
    let server = FaultServer::start().await;
    {
        let mut st = server.state();
        st.faults.extend([
            Fault::Status(429),
            Fault::ResetAfterApply,
            Fault::Status(503),
            Fault::SlowApply(Duration::from_millis(1200)),
            Fault::ResetMidRequest,
        ]);
        for n in (0..200).step_by(11) {
            st.reject_429.insert(n, 1);
        }
        st.reject_429.insert(77, 100);
    }
    let (mut cfg, failures) = config();
    cfg.generate_ids = true;
    cfg.max_retries = 4;
    cfg.request_timeout = Some(Duration::from_millis(300));
    let docs = (0..200)
        .map(|n| if n % 50 == 9 { poisoned(n) } else { doc(n) })
        .collect();
    let stats = run(client(&server), cfg, docs).await;
    let mut failed = check_accounting(&server, 200, &stats, &failures.lock().unwrap());
    failed.sort_unstable();
    assert_eq!(failed, [9, 59, 77, 109, 159]);
}

#[tokio::test]
async fn backpressure_bounds_the_channel() {
    let server = FaultServer::start().await;
    let (mut cfg, _failures) = config();
    cfg.channel_capacity = 5;
    cfg.concurrency = 1;
    let indexer = BulkIndexer::new(client(&server), cfg).expect("indexer");
    for n in 0..100 {
        indexer.add(BulkDoc::index(doc(n))).await.expect("add");
        let s = indexer.stats();
        // Queued = added - flushed; bounded by the channel plus one batch being built.
        assert!(s.added - s.flushed <= 5 + 10 + 1, "{s:?}");
    }
    let stats = indexer.close().await.expect("close");
    assert_eq!(stats.indexed, 100);
}

#[tokio::test]
async fn flush_interval_sends_a_partial_batch() {
    let server = FaultServer::start().await;
    let (mut cfg, _failures) = config();
    cfg.flush_interval = Duration::from_millis(50);
    let indexer = BulkIndexer::new(client(&server), cfg).expect("indexer");
    indexer.add(BulkDoc::index(doc(1))).await.expect("add");
    let st = server.state.clone();
    tokio::task::spawn_blocking(move || {
        test_support::wait_for("the interval flush", Duration::from_secs(5), || {
            (st.lock().expect("lock").docs.len() == 1).then_some(())
        })
    })
    .await
    .expect("join")
    .expect("flushed by interval");
    assert_eq!(indexer.stats().indexed, 1);
    indexer.close().await.expect("close");
}

#[tokio::test]
async fn bulk_batch_reports_per_batch() {
    let server = FaultServer::start().await;
    server.state().reject_429.insert(2, 1);
    let (cfg, _f) = config();
    let docs = vec![
        BulkDoc::index(doc(1)),
        BulkDoc::index(doc(2)).with_id("two"),
        BulkDoc::create(poisoned(3)).with_index("other"),
        BulkDoc::index("not json at all"),
    ];
    let out = client(&server).bulk_batch(docs, &cfg).await.expect("batch");
    assert_eq!(out.indexed, 2);
    assert_eq!(out.retried, 1);
    let kinds: Vec<&str> = out.failures.iter().map(|f| f.error_type.as_str()).collect();
    assert_eq!(kinds, ["invalid_source", "document_parsing_exception"]);
    assert_eq!(out.failures[1].doc.index.as_deref(), Some("other"));
    let st = server.state();
    assert_eq!(
        st.docs
            .iter()
            .find(|d| d.id == "two")
            .map(|d| d.index.as_str()),
        Some("python-logs")
    );
}

#[tokio::test]
async fn a_gateway_timeout_is_possibly_applied() {
    // Without ids: the 504 batch is reported, not re-sent.
    let server = FaultServer::start().await;
    server.state().faults.push_back(Fault::Status(504));
    let (mut cfg, failures) = config();
    cfg.concurrency = 1;
    let stats = run(client(&server), cfg, (0..20).map(doc).collect()).await;
    let failures = failures.lock().unwrap().clone();
    let failed = check_accounting(&server, 20, &stats, &failures);
    assert_eq!(failed.len(), 10);
    assert!(
        failures
            .iter()
            .all(|f| f.error_type == "possibly_applied" && f.status == Some(504))
    );
    assert_eq!(server.state().bulk_requests, 2);

    // With ids: re-sent and delivered.
    let server = FaultServer::start().await;
    server.state().faults.push_back(Fault::Status(504));
    let (mut cfg, failures) = config();
    cfg.generate_ids = true;
    let stats = run(client(&server), cfg, (0..20).map(doc).collect()).await;
    assert!(check_accounting(&server, 20, &stats, &failures.lock().unwrap()).is_empty());
}

#[tokio::test]
async fn a_document_without_any_index_is_reported_with_its_source() {
    let server = FaultServer::start().await;
    let (mut cfg, failures) = config();
    cfg.index = None;
    let stats = run(client(&server), cfg, vec![doc(1)]).await;
    assert_eq!((stats.added, stats.indexed, stats.failed), (1, 0, 1));
    let failures = failures.lock().unwrap();
    assert_eq!(failures[0].error_type, "invalid_document");
    assert_eq!(failures[0].doc.source, doc(1).as_bytes());
}
