//! Durability: every write acknowledged by the `sluice-store` binary survives `kill -9`.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use test_support::{KillOnDrop, free_addr, wait_for, wait_for_port};

use crate::client::{get, json, try_send};

fn start(dir: &std::path::Path, addr: std::net::SocketAddr) -> KillOnDrop {
    let child = Command::new(env!("CARGO_BIN_EXE_sluice-store"))
        .arg("--data-dir")
        .arg(dir)
        .arg("--listen")
        .arg(addr.to_string())
        // a shared test machine's disk may be fuller than the watermarks like
        .args(["--disk-threshold-enabled", "false"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sluice-store");
    let guard = KillOnDrop(child);
    wait_for_port(addr, Duration::from_secs(60)).expect("sluice-store listens");
    guard
}

/// Sends bulks of 200 docs with explicit ids until the server goes away; records the ids whose
/// item was acknowledged with 201.
fn writer(
    addr: std::net::SocketAddr,
    acked: &Mutex<BTreeSet<String>>,
    count: &AtomicUsize,
    stop: &AtomicBool,
) {
    let mut batch = 0;
    while !stop.load(Ordering::Relaxed) {
        let mut body = String::new();
        for i in 0..200 {
            let id = format!("b{batch}-{i}");
            body.push_str(&format!(
                "{{\"index\":{{\"_index\":\"crash\",\"_id\":\"{id}\"}}}}\n"
            ));
            body.push_str(&format!(
                "{{\"user\":\"user{}\",\"n\":{i},\"message\":\"entry {id}\"}}\n",
                i % 5
            ));
        }
        batch += 1;
        let Ok(r) = try_send(
            addr,
            "POST",
            "/_bulk",
            &[("Content-Type", "application/x-ndjson")],
            body.as_bytes(),
        ) else {
            return;
        };
        if r.status != 200 {
            continue;
        }
        let Ok(v) = serde_json::from_slice::<Value>(&r.body) else {
            return;
        };
        let mut set = acked.lock().expect("lock");
        for item in v["items"].as_array().into_iter().flatten() {
            if item["index"]["status"] == 201 {
                set.insert(item["index"]["_id"].as_str().expect("id").to_owned());
            }
        }
        count.store(set.len(), Ordering::Relaxed);
    }
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = free_addr();
    let mut server = start(dir.path(), addr);

    // Three shards: each has its own translog, replayed on its own after the kill.
    let created = json(
        addr,
        "PUT",
        "/crash",
        Some(&serde_json::json!({"settings": {"number_of_shards": 3}})),
    );
    assert_eq!(created.status, 200, "{}", created.text());

    // A single-document write, acknowledged with 201, before the flood.
    let single = json(
        addr,
        "PUT",
        "/crash/_doc/single",
        Some(&serde_json::json!({"user": "solo"})),
    );
    assert_eq!(single.status, 201, "{}", single.text());

    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let w = {
        let (acked, count, stop) = (Arc::clone(&acked), Arc::clone(&count), Arc::clone(&stop));
        std::thread::spawn(move || writer(addr, &acked, &count, &stop))
    };
    wait_for(
        "2,000 acknowledged documents",
        Duration::from_secs(120),
        || (count.load(Ordering::Relaxed) >= 2_000).then_some(()),
    )
    .expect("the writer makes progress");
    // Kill -9 while the writer is still sending.
    server.0.kill().expect("kill -9");
    let _ = server.0.wait();
    stop.store(true, Ordering::Relaxed);
    w.join().expect("writer thread");

    let _server = start(dir.path(), addr);
    drop(server);
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() >= 2_000);
    assert_eq!(json(addr, "POST", "/crash/_refresh", None).status, 200);
    let total = get(addr, "/crash/_count").json()["count"]
        .as_u64()
        .expect("count");
    // Every acknowledged bulk item plus the single document (unacknowledged ones may be there too).
    assert!(
        total > acked.len() as u64,
        "count {total} < acknowledged {}",
        acked.len() + 1
    );
    assert_eq!(
        get(addr, "/crash/_doc/single").json()["_source"]["user"],
        "solo"
    );
    let mut missing = Vec::new();
    for id in &acked {
        let r = get(addr, &format!("/crash/_doc/{id}"));
        if r.status != 200 {
            missing.push(id.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "{} acknowledged docs lost, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
}

#[test]
fn sigterm_shuts_down_gracefully_and_keeps_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = free_addr();
    let mut server = start(dir.path(), addr);
    let r = json(
        addr,
        "PUT",
        "/graceful/_doc/1?refresh=true",
        Some(&serde_json::json!({"n": 1})),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let term = Command::new("kill")
        .arg("-TERM")
        .arg(server.0.id().to_string())
        .status()
        .expect("kill -TERM");
    assert!(term.success());
    let status = wait_for(
        "sluice-store to exit after SIGTERM",
        Duration::from_secs(60),
        || server.0.try_wait().expect("try_wait"),
    )
    .expect("exits");
    assert!(status.success(), "exit status {status}");

    let _again = start(dir.path(), addr);
    assert_eq!(
        get(addr, "/graceful/_doc/1").json()["_source"],
        serde_json::json!({"n": 1})
    );
}
