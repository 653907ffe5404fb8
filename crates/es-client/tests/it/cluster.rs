//! The node pool against a real Elasticsearch cluster (the one `cargo xtask test` starts,
//! `SLUICE_ES_CLUSTER`): a dead node is skipped, a node that comes back serves again, and retries
//! stay bounded when every node is down.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use es_client::{Client, ClientConfig, Request};
use http::Method;
use serde_json::Value;
use test_support::peers::Cluster;

/// The name of the node that answered (`GET _nodes/_local` describes the node it reaches).
async fn answering_node(es: &Client) -> es_client::Result<String> {
    let resp = es
        .send(Request::new(
            Method::GET,
            "/_nodes/_local?filter_path=nodes.*.name",
        ))
        .await?;
    let v: Value = resp.json()?;
    Ok(v["nodes"]
        .as_object()
        .and_then(|m| m.values().next())
        .and_then(|n| n["name"].as_str())
        .unwrap_or_default()
        .to_owned())
}

/// A port that accepts connections and closes them at once (a node that is there but broken),
/// counting them.
fn broken_node() -> (String, Arc<AtomicU32>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", l.local_addr().expect("addr"));
    let n = Arc::new(AtomicU32::new(0));
    let count = Arc::clone(&n);
    std::thread::spawn(move || {
        for s in l.incoming() {
            count.fetch_add(1, Ordering::SeqCst);
            drop(s);
        }
    });
    (url, n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_pool_skips_a_dead_node_takes_it_back_and_bounds_retries() {
    let Some(cluster) = Cluster::from_env("es-client node pool") else {
        return;
    };
    let (broken, broken_hits) = broken_node();
    let mut cfg = ClientConfig::with_nodes([
        cluster.nodes[0].url(),
        broken.clone(),
        cluster.nodes[1].url(),
    ]);
    cfg.product_check = true;
    cfg.max_retries = 3;
    cfg.retry_backoff = Duration::from_millis(10);
    cfg.dead_node_backoff = Duration::from_secs(10);
    let es = Client::new(cfg).expect("client");

    // Both real nodes serve; the broken one is tried, marked dead and skipped.
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..12 {
        seen.insert(answering_node(&es).await.expect("a live node answers"));
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["node-0", "node-1"],
        "round robin over the live nodes"
    );
    assert!(
        broken_hits.load(Ordering::SeqCst) <= 3,
        "the broken node is skipped while it is marked dead: {} attempts",
        broken_hits.load(Ordering::SeqCst)
    );

    // Kill node-1: every request still succeeds, on node-0.
    cluster.nodes[1].kill().expect("kill node-1");
    struct Restart<'a>(&'a Cluster);
    impl Drop for Restart<'_> {
        fn drop(&mut self) {
            if self.0.nodes[1].pid().is_none() {
                self.0
                    .restart_node(1)
                    .unwrap_or_else(|e| panic!("restarting node-1: {e:#}"));
            }
        }
    }
    let restart = Restart(&cluster);
    for _ in 0..10 {
        assert_eq!(answering_node(&es).await.expect("failover"), "node-0");
    }

    // node-1 comes back: the pool uses it again once its dead period has passed.
    cluster.restart_node(1).expect("restart node-1");
    drop(restart);
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        if answering_node(&es).await.expect("request") == "node-1" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "node-1 never served again after it came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Every node down: the error comes back after exactly 1 + max_retries attempts.
    let (a, a_hits) = broken_node();
    let (b, b_hits) = broken_node();
    let mut cfg = ClientConfig::with_nodes([a, b]);
    cfg.max_retries = 2;
    cfg.retry_backoff = Duration::from_millis(10);
    let dead = Client::new(cfg).expect("client");
    let err = dead
        .send(Request::new(Method::GET, "/_cluster/health"))
        .await
        .expect_err("no node can answer");
    let attempts = a_hits.load(Ordering::SeqCst) + b_hits.load(Ordering::SeqCst);
    assert_eq!(attempts, 3, "1 attempt + 2 retries, then {err}");
}
