//! Interop with the real peers (run by `cargo xtask test`): python-logstash-async's
//! `AsynchronousLogstashHandler` → the agent's tcp input (the seed's config) → sluice-store.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use store::SearchParams;
use store::http::{RunningServer, ServerConfig};
use test_support::{free_addr, python, wait_for, workspace_root};

use crate::harness::{Agent, DEADLINE, send_tcp};

fn seed_config(tcp: SocketAddr, es: &str) -> String {
    format!(
        r#"input {{ tcp {{ port => {} codec => json_lines }} }}
filter {{ mutate {{ convert => {{ "duration" => "float" }} }} }}
output {{
  elasticsearch {{
    hosts => ["{es}"]
    index => "python-logs-%{{+YYYY.MM.dd}}"
    retry_initial_interval => 1
  }}
}}"#,
        tcp.port()
    )
}

fn start(dir: &std::path::Path) -> (RunningServer, Agent, SocketAddr) {
    let store =
        store::http::spawn(ServerConfig::new(dir.join("store")).disk_threshold(false)).unwrap();
    let tcp = free_addr();
    let s = pipeline::runtime::Settings {
        path_dead_letter_queue: dir.join("dlq"),
        batch_delay: Duration::from_millis(5),
        ..Default::default()
    };
    let agent = Agent::start(&seed_config(tcp, &store.url()), s).unwrap();
    (store, agent, tcp)
}

/// Every document of `python-logs-*` (refreshed first).
fn docs(store: &RunningServer) -> Vec<(String, Value)> {
    let st = store.store();
    if st.refresh("python-logs-*").is_err() {
        return Vec::new();
    }
    let body = json!({"size": 10000, "query": {"match_all": {}}});
    let Ok(res) = st.search("python-logs-*", Some(&body), &SearchParams::default()) else {
        return Vec::new();
    };
    res["hits"]["hits"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .map(|h| {
                    (
                        h["_index"].as_str().unwrap_or_default().to_string(),
                        h["_source"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn wait_docs(store: &RunningServer, n: usize) -> Vec<(String, Value)> {
    wait_for(&format!("{n} documents in the store"), DEADLINE, || {
        let d = docs(store);
        (d.len() >= n).then_some(d)
    })
    .unwrap()
}

#[test]
fn python_logstash_async_events_arrive_in_the_store_with_their_fields() {
    let dir = tempfile::tempdir().unwrap();
    let (store, agent, tcp) = start(dir.path());
    let script = workspace_root().join("crates/pipeline/tests/it/py/logstash_async_sender.py");
    let out = std::process::Command::new(python())
        .arg(&script)
        .args(["127.0.0.1", &tcp.port().to_string(), "1000"])
        .arg(dir.path().join("logstash.db"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs = wait_docs(&store, 1000);
    assert_eq!(docs.len(), 1000);
    let mut seqs: Vec<u64> = docs
        .iter()
        .map(|(_, s)| s["extra"]["seq"].as_u64().unwrap())
        .collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (0..1000).collect::<Vec<_>>(),
        "each event exactly once"
    );
    for (index, src) in &docs {
        let ts = src["@timestamp"].as_str().unwrap();
        assert_eq!(
            index,
            &format!("python-logs-{}.{}.{}", &ts[0..4], &ts[5..7], &ts[8..10])
        );
        let seq = src["extra"]["seq"].as_u64().unwrap();
        let level = ["INFO", "WARNING", "ERROR"][(seq % 3) as usize];
        assert_eq!(src["level"], level, "{src}");
        assert_eq!(src["@version"], "1");
        assert_eq!(src["type"], "python-logstash");
        assert_eq!(src["logger_name"], Value::Null, "extras sit under `extra`");
        assert_eq!(src["extra"]["logger_name"], "python-logstash-logger");
        assert_eq!(
            src["tags"],
            json!(["python", "webapp"]),
            "the record's tags stay top-level"
        );
        assert!(src["extra"]["duration"].is_f64(), "{src}");
        assert!(src["extra"]["user"].as_str().unwrap().starts_with("user"));
        assert!(src["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(src["host"].is_string() && src["pid"].is_u64());
    }
    agent.stop().unwrap();
}

#[test]
fn broken_lines_and_sixteen_concurrent_connections_are_all_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (store, agent, tcp) = start(dir.path());
    let senders: Vec<_> = (0..16)
        .map(|c| {
            std::thread::spawn(move || {
                let mut payload = String::new();
                for i in 0..250 {
                    if i % 50 == 49 {
                        payload.push_str(&format!("broken line {c}/{i} {{not json\n"));
                    } else {
                        payload.push_str(&format!(
                            "{{\"message\":\"m\",\"conn\":{c},\"i\":{i},\"duration\":\"0.{i}\"}}\n"
                        ));
                    }
                }
                send_tcp(tcp, payload.as_bytes());
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap();
    }
    let docs = wait_docs(&store, 16 * 250);
    assert_eq!(docs.len(), 16 * 250);
    let failures: Vec<&Value> = docs
        .iter()
        .map(|(_, s)| s)
        .filter(|s| s["tags"] == json!(["_jsonparsefailure"]))
        .collect();
    assert_eq!(failures.len(), 16 * 5);
    assert!(
        failures
            .iter()
            .any(|s| s["message"] == "broken line 3/149 {not json")
    );
    let mut ids: Vec<(u64, u64)> = docs
        .iter()
        .filter_map(|(_, s)| Some((s["conn"].as_u64()?, s["i"].as_u64()?)))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 16 * 245);
    let one = docs.iter().find(|(_, s)| s["i"] == 12).unwrap();
    assert_eq!(one.1["duration"], json!(0.12));
    let stats = agent.stats();
    assert_eq!(stats["plugins"]["inputs"][0]["failures"], 80);
    agent.stop().unwrap();
}
