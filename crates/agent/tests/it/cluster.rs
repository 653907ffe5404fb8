//! `sluice-agent` on the tutorial's pipeline into a real two-node Elasticsearch cluster (the one
//! `cargo xtask test` starts, `SLUICE_ES_CLUSTER`): every event lands in the daily index, a
//! mapping conflict goes to the dead-letter file with Elasticsearch's reason, and killing a node
//! mid-stream loses no event (at-least-once: duplicates are counted and reported).

use std::io::Write as _;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Stdio;
use std::sync::Mutex;

use serde_json::{Value, json};
use test_support::peers::{Cluster, http};
use test_support::{KillOnDrop, free_addr, wait_for, wait_for_port};

use super::{DEADLINE, SEED, agent};

/// The tests here share the cluster and one of them kills a node: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn es(cluster: &Cluster, method: &str, path: &str, body: Option<&Value>) -> Value {
    let body = body.map(Value::to_string);
    let (status, text) = http(cluster.nodes[0].http, method, path, body.as_deref())
        .unwrap_or_else(|e| panic!("{method} {path}: {e:#}"));
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {text}"
    );
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The tutorial's pipeline, unchanged but for the port, the hosts (both nodes) and the index
/// prefix (each test has its own daily index).
fn tutorial_config(
    dir: &Path,
    tcp: SocketAddr,
    cluster: &Cluster,
    prefix: &str,
) -> std::path::PathBuf {
    let hosts = cluster
        .nodes
        .iter()
        .map(|n| n.http.to_string())
        .collect::<Vec<_>>()
        .join("\", \"");
    let text = SEED
        .replace("port => 5000", &format!("port => {}", tcp.port()))
        .replace("elasticsearch:9200", &hosts)
        .replace("python-logs-", prefix);
    let path = dir.join("logstash.conf");
    std::fs::write(&path, text).unwrap();
    path
}

/// A daily index with the tutorial's mapping, two shards and a replica: both nodes hold data.
fn create_daily_index(cluster: &Cluster, index: &str) {
    let _ = http(cluster.nodes[0].http, "DELETE", &format!("/{index}"), None);
    let mut body = log_model_seed_mapping();
    body["settings"] = json!({"number_of_shards": 2, "number_of_replicas": 1});
    es(cluster, "PUT", &format!("/{index}"), Some(&body));
    es(
        cluster,
        "GET",
        &format!("/_cluster/health/{index}?wait_for_status=green&timeout=60s"),
        None,
    );
}

/// The tutorial's mapping (log_model::mapping::seed, written out: the agent's tests do not
/// depend on log-model).
fn log_model_seed_mapping() -> Value {
    json!({"mappings": {"properties": {
        "timestamp": {"type": "date"}, "level": {"type": "keyword"}, "message": {"type": "text"},
        "user": {"type": "keyword"}, "action": {"type": "keyword"}, "duration": {"type": "float"},
        "source": {"type": "keyword"}
    }}})
}

fn event(n: u64) -> String {
    let levels = ["INFO", "WARNING", "ERROR"];
    let actions = ["login", "search", "purchase", "logout", "view"];
    json!({
        "@timestamp": format!("2026-11-24T{:02}:{:02}:{:02}.000Z", n / 3600 % 24, n / 60 % 60, n % 60),
        "level": levels[(n % 3) as usize],
        "message": format!("User user{} performed {}", n % 5 + 1, actions[(n % 5) as usize]),
        "user": format!("user{}", n % 5 + 1),
        "action": actions[(n % 5) as usize],
        "duration": format!("{}.5", n % 5),
        "source": "python-script",
        "tags": ["python", "webapp"],
        "n": n,
    })
    .to_string()
}

fn send(tcp: SocketAddr, lines: impl Iterator<Item = String>) {
    let mut s = TcpStream::connect(tcp).unwrap();
    let mut buf = String::new();
    for l in lines {
        buf.push_str(&l);
        buf.push('\n');
        if buf.len() > 64 * 1024 {
            s.write_all(buf.as_bytes()).unwrap();
            buf.clear();
        }
    }
    s.write_all(buf.as_bytes()).unwrap();
}

/// (documents in the index, distinct `n`, `n` values stored more than once); `None` while the
/// cluster cannot answer for every shard (a node just killed: the refresh or the search fails on
/// its copies until the master has noticed), so that callers poll again.
fn census(cluster: &Cluster, index: &str, expected: u64) -> Option<(u64, u64, Vec<u64>)> {
    let node = cluster.nodes[0].http;
    let (status, _) = http(node, "POST", &format!("/{index}/_refresh"), None).ok()?;
    if !(200..300).contains(&status) {
        return None;
    }
    let body = json!({"size": 0, "track_total_hits": true, "aggs": {
        "n": {"terms": {"field": "n", "size": expected + 100}}}});
    let (status, text) = http(
        node,
        "POST",
        &format!("/{index}/_search"),
        Some(&body.to_string()),
    )
    .ok()?;
    let r: Value = serde_json::from_str(&text).ok()?;
    if !(200..300).contains(&status) || r["_shards"]["failed"].as_u64() != Some(0) {
        return None;
    }
    let buckets = r["aggregations"]["n"]["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let dups = buckets
        .iter()
        .filter(|b| b["doc_count"].as_u64() > Some(1))
        .filter_map(|b| b["key"].as_u64())
        .collect();
    Some((
        r["hits"]["total"]["value"].as_u64().unwrap_or(0),
        buckets.len() as u64,
        dups,
    ))
}

fn start_agent(dir: &Path, conf: &Path, api: SocketAddr) -> KillOnDrop {
    KillOnDrop(
        agent()
            .arg("-f")
            .arg(conf)
            .args(["--http", &api.to_string()])
            .arg("--path.dead_letter_queue")
            .arg(dir.join("dlq"))
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

#[test]
fn tutorial_pipeline_into_the_cluster_and_a_mapping_conflict_into_the_dead_letter_file() {
    let Some(cluster) = Cluster::from_env("sluice-agent into Elasticsearch") else {
        return;
    };
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let index = "agent-tutorial-2026.11.24";
    create_daily_index(&cluster, index);
    let dir = tempfile::tempdir().unwrap();
    let (tcp, api) = (free_addr(), free_addr());
    let conf = tutorial_config(dir.path(), tcp, &cluster, "agent-tutorial-");
    let _agent = start_agent(dir.path(), &conf, api);
    wait_for_port(tcp, DEADLINE).unwrap();

    let total = 3_000u64;
    // Event `total` puts an object where the mapping has a keyword: Elasticsearch rejects it.
    let conflict = json!({"@timestamp": "2026-11-24T12:00:00.000Z", "user": {"name": "user1"},
        "message": "conflicting", "n": total})
    .to_string();
    send(tcp, (0..total).map(event).chain(std::iter::once(conflict)));

    let dlq = dir.path().join("dlq/main/dlq.ndjson");
    let (count, distinct, dups) = wait_for("every event indexed", DEADLINE, || {
        let c = census(&cluster, index, total)?;
        (c.0 >= total && dlq.exists()).then_some(c)
    })
    .unwrap();
    assert_eq!((count, distinct), (total, total), "each event once");
    assert!(dups.is_empty());
    let r = es(
        &cluster,
        "POST",
        &format!("/{index}/_search"),
        Some(&json!({"query": {"term": {"n": 7}}})),
    );
    let doc = &r["hits"]["hits"][0]["_source"];
    assert_eq!(
        doc["duration"],
        json!(2.5),
        "mutate convert made a float: {doc}"
    );
    assert_eq!(doc["user"], "user3");

    let lines: Vec<Value> = std::fs::read_to_string(&dlq)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let dead = &lines[0];
    assert_eq!(dead["event"]["n"], json!(total));
    assert_eq!(dead["status"], 400);
    assert_eq!(dead["index"], index);
    let reason = dead["error"].to_string();
    assert!(
        reason.contains("parsing_exception") && reason.contains("[user]"),
        "Elasticsearch's reason, naming the field: {reason}"
    );
}

#[test]
#[allow(clippy::print_stderr)] // the duplicates are reported, as at-least-once delivery allows them
fn a_node_killed_mid_stream_loses_no_event() {
    let Some(cluster) = Cluster::from_env("sluice-agent failover") else {
        return;
    };
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let index = "agent-failover-2026.11.24";
    create_daily_index(&cluster, index);
    let dir = tempfile::tempdir().unwrap();
    let (tcp, api) = (free_addr(), free_addr());
    let conf = tutorial_config(dir.path(), tcp, &cluster, "agent-failover-");
    let _agent = start_agent(dir.path(), &conf, api);
    wait_for_port(tcp, DEADLINE).unwrap();

    /// Starts node-1 again if the test ends without having done it.
    struct Restart<'a>(&'a Cluster);
    impl Drop for Restart<'_> {
        fn drop(&mut self) {
            if self.0.nodes[1].pid().is_none() {
                let _ = self.0.restart_node(1);
            }
        }
    }
    let restart = Restart(&cluster);

    let (half, total) = (5_000u64, 10_000u64);
    send(tcp, (0..half).map(event));
    // Mid-stream: part of the first half is in Elasticsearch, part still on its way.
    wait_for("the first events indexed", DEADLINE, || {
        let (count, ..) = census(&cluster, index, total)?;
        (count >= 500).then_some(())
    })
    .unwrap();
    cluster.nodes[1].kill().unwrap();
    send(tcp, (half..total).map(event));

    let (count, distinct, dups) = wait_for("every event indexed", DEADLINE * 3, || {
        let c = census(&cluster, index, total)?;
        (c.1 >= total).then_some(c)
    })
    .unwrap();
    assert_eq!(distinct, total, "no event lost");
    eprintln!(
        "agent failover: {total} events sent, {count} documents, {} duplicated (at-least-once) \
         {:?}",
        count - distinct,
        &dups[..dups.len().min(10)]
    );
    // The counter moves when a bulk response is read, which can come after Elasticsearch made
    // the documents searchable (a batch retried on the surviving node): wait for it.
    let mut last = Value::Null;
    let counted = wait_for("every event counted out", DEADLINE, || {
        last = super::get(api, "/_node/stats/pipelines")?;
        (last["pipelines"]["main"]["events"]["out"] == json!(total)).then_some(())
    });
    assert!(
        counted.is_ok(),
        "every event left the pipeline once: {last}"
    );
    cluster.restart_node(1).expect("node-1 rejoins");
    drop(restart);
}
