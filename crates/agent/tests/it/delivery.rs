//! Duplicates on retry: a bulk request the store applied but whose response never reached the
//! agent (what `kill -9` of the store does to a request in flight) is sent again. Without an
//! id per event that duplicates its documents; with `ingest_id => true`, or Logstash's
//! fingerprint + `document_id`, it overwrites them.
//!
//! The store runs in-process behind [`CutProxy`], which drops one response the store already
//! sent (closing both sides), so the fault hits an applied request every time.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde_json::json;
use store::SearchParams;
use store::http::ServerConfig;
use test_support::{KillOnDrop, free_addr, wait_for, wait_for_port};

use super::{DEADLINE, agent, get};

/// A TCP proxy that, once armed, swallows the next response from upstream and cuts that
/// connection.
struct CutProxy {
    addr: SocketAddr,
    armed: Arc<AtomicBool>,
    cut: Arc<AtomicU64>,
}

impl CutProxy {
    fn start(upstream: SocketAddr) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let armed = Arc::new(AtomicBool::new(false));
        let cut = Arc::new(AtomicU64::new(0));
        let (a, c) = (armed.clone(), cut.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let (mut c_in, mut s_out) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c_in, &mut s_out);
                    let _ = s_out.shutdown(Shutdown::Write);
                });
                let (a, c) = (a.clone(), c.clone());
                std::thread::spawn(move || relay_responses(server, client, &a, &c));
            }
        });
        CutProxy { addr, armed, cut }
    }
}

fn relay_responses(
    mut server: TcpStream,
    mut client: TcpStream,
    armed: &AtomicBool,
    cut: &AtomicU64,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match server.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if armed.swap(false, Ordering::SeqCst) {
            // The store answered, so it applied the request: the agent never hears of it.
            cut.fetch_add(1, Ordering::SeqCst);
            break;
        }
        if client.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
}

fn send(tcp: SocketAddr, seqs: std::ops::Range<u64>) {
    let mut s = TcpStream::connect(tcp).unwrap();
    let mut buf = String::new();
    for i in seqs {
        buf.push_str(&format!(
            "{{\"@timestamp\":\"2026-11-24T10:00:00.000Z\",\"seq\":{i},\"message\":\"event {i}\"}}\n"
        ));
    }
    s.write_all(buf.as_bytes()).unwrap();
}

/// Sends `total` events through the agent with `output` options (and `filter`), cutting one
/// applied response mid-stream; returns (documents in the store, distinct events).
fn run(filter: &str, output: &str) -> (u64, u64) {
    let total = 4_000u64;
    let dir = tempfile::tempdir().unwrap();
    let store =
        store::http::spawn(ServerConfig::new(dir.path().join("store")).disk_threshold(false))
            .unwrap();
    let proxy = CutProxy::start(store.addr());
    let (tcp, api) = (free_addr(), free_addr());
    let conf = dir.path().join("dups.conf");
    std::fs::write(
        &conf,
        format!(
            "input {{ tcp {{ port => {} codec => json_lines }} }}\nfilter {{ {filter} }}\noutput {{ elasticsearch {{ hosts => [\"{}\"] index => \"dups\" retry_initial_interval => 1 {output} }} }}\n",
            tcp.port(),
            proxy.addr
        ),
    )
    .unwrap();
    let _agent = KillOnDrop(
        agent()
            .arg("-f")
            .arg(&conf)
            .args(["--http", &api.to_string(), "-w", "1", "-b", "100"])
            .arg("--path.dead_letter_queue")
            .arg(dir.path().join("dlq"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(tcp, DEADLINE).unwrap();
    let st = store.store();
    let census = || -> Option<(u64, u64)> {
        st.refresh("dups").ok()?;
        let body = json!({"size": 10_000, "track_total_hits": true, "_source": ["seq"]});
        let r = st
            .search("dups", Some(&body), &SearchParams::default())
            .ok()?;
        let mut seqs: Vec<u64> = r["hits"]["hits"]
            .as_array()?
            .iter()
            .filter_map(|h| h["_source"]["seq"].as_u64())
            .collect();
        let count = seqs.len() as u64;
        seqs.sort_unstable();
        seqs.dedup();
        Some((count, seqs.len() as u64))
    };
    send(tcp, 0..total / 2);
    wait_for("the first events stored", DEADLINE, || {
        census().filter(|(n, _)| *n >= 500)
    })
    .unwrap();
    proxy.armed.store(true, Ordering::SeqCst);
    send(tcp, total / 2..total);
    wait_for("every event delivered", DEADLINE, || {
        let out =
            get(api, "/_node/stats/pipelines")?["pipelines"]["main"]["events"]["out"].as_u64()?;
        (out == total).then_some(())
    })
    .unwrap();
    assert_eq!(
        proxy.cut.load(Ordering::SeqCst),
        1,
        "one applied response was cut"
    );
    let (count, distinct) = census().unwrap();
    assert_eq!(distinct, total, "no event lost");
    (count, distinct)
}

#[test]
#[allow(clippy::print_stderr)] // the measured duplicates are reported
fn a_batch_sent_again_after_it_was_applied() {
    let (count, distinct) = run("", "");
    eprintln!("without ids: {count} documents for {distinct} events");
    assert!(
        count > distinct,
        "without ids the re-sent batch duplicates ({count} documents)"
    );
    // sluice's option: an id per event, given at ingest
    assert_eq!(run("", "ingest_id => true"), (distinct, distinct));
    // create: the re-sent items answer 409, counted as delivered
    assert_eq!(
        run("", "ingest_id => true action => create"),
        (distinct, distinct)
    );
    // Logstash's way, unchanged
    assert_eq!(
        run(
            "fingerprint { source => [\"seq\"] target => \"[@metadata][fingerprint]\" method => \"SHA256\" }",
            "document_id => \"%{[@metadata][fingerprint]}\""
        ),
        (distinct, distinct)
    );
}

#[test]
fn ingest_id_refuses_what_it_cannot_mean() {
    fn check(output: &str, expected: &str) {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("bad.conf");
        std::fs::write(
            &conf,
            format!("input {{ stdin {{}} }}\noutput {{ elasticsearch {{ index => \"x\" ingest_id => true {output} }} }}\n"),
        )
        .unwrap();
        let out = agent().arg("-t").arg("-f").arg(&conf).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(expected),
            "{output}: {err}"
        );
    }
    check(
        "document_id => \"%{id}\"",
        "ingest_id and document_id cannot be set together",
    );
    check(
        "action => update",
        "ingest_id works with action index or create, not update",
    );
}
