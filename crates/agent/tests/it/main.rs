//! The `sluice-agent` binary: the seed's config verbatim, `-t`, graceful shutdown, the
//! persisted queue surviving `kill -9`, and the tutorial's pipeline into a real Elasticsearch
//! cluster.

mod cluster;
mod delivery;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use store::SearchParams;
use store::http::{RunningServer, ServerConfig};
use test_support::{KillOnDrop, free_addr, wait_for, wait_for_port};

const DEADLINE: Duration = Duration::from_secs(60);

/// The seed's logstash.conf, byte for byte except `hosts` and the tcp port (tests bind free
/// ports).
const SEED: &str = r#"input {
  tcp {
    port => 5000
    codec => json_lines
  }
}

filter {
  # 필요한 경우 추가 필터링
  mutate {
    convert => {
      "duration" => "float"
    }
  }
}

output {
  elasticsearch {
    hosts => ["elasticsearch:9200"]
    index => "python-logs-%{+YYYY.MM.dd}"
    user => "elastic"
    password => "your_password"
  }
  
  # 디버깅용 stdout 출력
  stdout {
    codec => rubydebug
  }
}
"#;

fn agent() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sluice-agent"))
}

fn seed_file(dir: &Path, tcp: SocketAddr, es: &RunningServer) -> std::path::PathBuf {
    let text = SEED
        .replace("port => 5000", &format!("port => {}", tcp.port()))
        .replace("elasticsearch:9200", &es.addr().to_string());
    let path = dir.join("logstash.conf");
    std::fs::write(&path, text).unwrap();
    path
}

fn get(addr: SocketAddr, path: &str) -> Option<Value> {
    let mut s = TcpStream::connect(addr).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    serde_json::from_str(resp.split_once("\r\n\r\n")?.1).ok()
}

fn store_docs(store: &RunningServer) -> Vec<Value> {
    let st = store.store();
    if st.refresh("python-logs-*").is_err() {
        return Vec::new();
    }
    let body = json!({"size": 10000, "query": {"match_all": {}}});
    st.search("python-logs-*", Some(&body), &SearchParams::default())
        .ok()
        .and_then(|r| r["hits"]["hits"].as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .map(|h| h["_source"].clone())
        .collect()
}

fn signal(child: &std::process::Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} failed");
}

#[test]
fn config_test_and_exit() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        store::http::spawn(ServerConfig::new(dir.path().join("store")).disk_threshold(false))
            .unwrap();
    let conf = seed_file(dir.path(), free_addr(), &store);
    let out = agent().arg("-f").arg(&conf).arg("-t").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Configuration OK\n");

    let bad = dir.path().join("bad.conf");
    std::fs::write(
        &bad,
        "input {\n  tcp {\n    port => 5000\n    codec => json_lines\n    hots => 1\n  }\n}\n",
    )
    .unwrap();
    let out = agent()
        .arg("-f")
        .arg(&bad)
        .arg("--config.test_and_exit")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:5:5: Unknown setting 'hots' for tcp",
            bad.display()
        )),
        "{err}"
    );
}

#[test]
fn the_seed_config_runs_unchanged_and_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        store::http::spawn(ServerConfig::new(dir.path().join("store")).disk_threshold(false))
            .unwrap();
    let tcp = free_addr();
    let api = free_addr();
    let conf = seed_file(dir.path(), tcp, &store);
    let mut child = KillOnDrop(
        agent()
            .arg("-f")
            .arg(&conf)
            .args(["--http", &api.to_string()])
            .arg("--path.dead_letter_queue")
            .arg(dir.path().join("dlq"))
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(tcp, DEADLINE).unwrap();
    let mut s = TcpStream::connect(tcp).unwrap();
    s.write_all(b"{\"@timestamp\":\"2026-11-24T10:00:00.000Z\",\"message\":\"User user1 performed login in 1.50s\",\"level\":\"INFO\",\"duration\":\"1.5\",\"tags\":[\"python\",\"webapp\"]}\nnot json at all\n").unwrap();
    drop(s);
    let docs = wait_for("2 documents", DEADLINE, || {
        let d = store_docs(&store);
        (d.len() == 2).then_some(d)
    })
    .unwrap();
    let ok = docs.iter().find(|d| d["level"] == "INFO").unwrap();
    assert_eq!(ok["duration"], json!(1.5));
    assert!(
        docs.iter()
            .any(|d| d["tags"] == json!(["_jsonparsefailure"]))
    );
    let stats = get(api, "/_node/stats/pipelines").unwrap();
    assert_eq!(stats["pipelines"]["main"]["events"]["in"], 2);

    signal(&child.0, "-TERM");
    let status = child.0.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0: {status}");
    let mut stdout = String::new();
    child
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let expected = "{\n    \"@timestamp\" => 2026-11-24T10:00:00.000Z,\n      \"@version\" => \"1\",\n      \"duration\" => 1.5,\n         \"level\" => \"INFO\",\n       \"message\" => \"User user1 performed login in 1.50s\",\n          \"tags\" => [\n        [0] \"python\",\n        [1] \"webapp\"\n    ]\n}\n";
    assert!(stdout.contains(expected), "rubydebug output:\n{stdout}");
    assert!(
        stdout.contains("       \"message\" => \"not json at all\",\n"),
        "{stdout}"
    );
}

/// `kill -9` mid-stream with the persisted queue: every event the agent had accepted (its
/// `events.in` before the kill) ends up in the store after a restart.
#[test]
fn persisted_queue_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        store::http::spawn(ServerConfig::new(dir.path().join("store")).disk_threshold(false))
            .unwrap();
    let tcp = free_addr();
    let api = free_addr();
    let conf = dir.path().join("pq.conf");
    std::fs::write(
        &conf,
        format!(
            "input {{ tcp {{ port => {} codec => json_lines }} }}\noutput {{ elasticsearch {{ hosts => [\"{}\"] index => \"python-logs-%{{+YYYY.MM.dd}}\" retry_initial_interval => 1 }} }}\n",
            tcp.port(),
            store.url()
        ),
    )
    .unwrap();
    let start = || {
        KillOnDrop(
            agent()
                .arg("-f")
                .arg(&conf)
                .args([
                    "--http",
                    &api.to_string(),
                    "--queue.type",
                    "persisted",
                    "-w",
                    "2",
                ])
                .arg("--path.queue")
                .arg(dir.path().join("queue"))
                .arg("--path.dead_letter_queue")
                .arg(dir.path().join("dlq"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let total = 20_000u64;
    let mut first = start();
    wait_for_port(tcp, DEADLINE).unwrap();
    let sender = std::thread::spawn(move || {
        let Ok(mut s) = TcpStream::connect(tcp) else {
            return;
        };
        for chunk in 0..total / 100 {
            let mut buf = String::new();
            for i in chunk * 100..(chunk + 1) * 100 {
                buf.push_str(&format!(
                    "{{\"@timestamp\":\"2026-11-24T10:00:00.000Z\",\"seq\":{i},\"message\":\"event {i}\"}}\n"
                ));
            }
            if s.write_all(buf.as_bytes()).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    // Mid-stream: some events accepted, the stream still going.
    let accepted = wait_for("events accepted", DEADLINE, || {
        let n =
            get(api, "/_node/stats/pipelines")?["pipelines"]["main"]["events"]["in"].as_u64()?;
        (n >= 3000).then_some(n)
    })
    .unwrap();
    first.0.kill().unwrap(); // SIGKILL
    first.0.wait().unwrap();
    let _ = sender.join();
    assert!(accepted < total, "killed mid-stream");
    let _second = start();
    wait_for_port(tcp, DEADLINE).unwrap();
    let seqs = wait_for("every accepted event in the store", DEADLINE, || {
        let mut seqs: Vec<u64> = store_docs(&store)
            .iter()
            .filter_map(|d| d["seq"].as_u64())
            .collect();
        seqs.sort_unstable();
        seqs.dedup();
        // One connection: the queue accepted a prefix of the stream.
        (seqs.len() as u64 >= accepted
            && seqs[..accepted as usize] == (0..accepted).collect::<Vec<_>>()[..])
            .then_some(seqs)
    })
    .unwrap();
    assert!(seqs.iter().all(|s| *s < total));
    let queue = wait_for("the replayed queue to drain", DEADLINE, || {
        let q = get(api, "/_node/stats/pipelines")?["pipelines"]["main"]["queue"].clone();
        (q["events_count"] == 0).then_some(q)
    })
    .unwrap();
    assert_eq!(queue["type"], "persisted");
}

/// `sluice-agent -t` over our corpus of real-world-style pipelines
/// (`crates/pipeline/tests/corpus`): which pass, and for the others the reason, by name.
/// The environment is what a docker-elk style deployment sets.
#[test]
fn corpus_config_test() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pipeline/tests/corpus");
    // Configs -t refuses, with the refusal each must name.
    let refused: &[(&str, &str)] = &[
        (
            "03-apache-file.conf",
            "GeoIP Filter in ECS-Compatiblity mode requires a `target` when `source` is not an `ip` sub-field",
        ),
        (
            "08-kafka-input.conf",
            "input plugin [kafka] is not supported by sluice-agent (it needs the JVM)",
        ),
        (
            "09-jdbc-sync.conf",
            "input plugin [jdbc] is not supported by sluice-agent (it needs the JVM)",
        ),
        (
            "10-ruby-enrich.conf",
            "filter plugin [ruby] is not supported by sluice-agent (it needs the JVM)",
        ),
        (
            "26-nginx-json-stdout.conf",
            "GeoIP Filter in ECS-Compatiblity mode requires a `target` when `source` is not an `ip` sub-field",
        ),
        (
            "40-iis-csv-geo.conf",
            "GeoIP Filter in ECS-Compatiblity mode requires a `target` when `source` is not an `ip` sub-field",
        ),
        (
            "52-ruby-field-cleanup.conf",
            "filter plugin [ruby] is not supported by sluice-agent (it needs the JVM)",
        ),
        (
            "53-aggregate-task-duration.conf",
            "filter plugin [aggregate] is not supported by sluice-agent (it needs the JVM)",
        ),
        (
            "63-kafka-consumer.conf",
            "input plugin [kafka] is not supported by sluice-agent (it needs the JVM)",
        ),
        (
            "64-jdbc-streaming-lookup.conf",
            "filter plugin [jdbc_streaming] is not supported by sluice-agent (it needs the JVM)",
        ),
    ];
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "{} configs", files.len());
    let mut passed = 0;
    let mut wrong = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let out = agent()
            .args(["-t", "-f"])
            .arg(f)
            .env("CORPUS_FILES", dir.join("files"))
            .env("LOGSTASH_INTERNAL_PASSWORD", "changeme")
            .env("ELASTIC_PASSWORD", "changeme")
            .env_remove("BEATS_PORT")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let expected = refused
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, why)| *why);
        match (out.status.success(), expected) {
            (true, None) => {
                passed += 1;
                assert_eq!(
                    String::from_utf8_lossy(&out.stdout).trim(),
                    "Configuration OK",
                    "{name}"
                );
            }
            (false, Some(why)) if stderr.contains(why) => {}
            (ok, _) => wrong.push(format!(
                "{name}: success={ok}, expected {expected:?}\n{stderr}"
            )),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(passed + refused.len(), files.len());
    // The figure README.md quotes: 54 of 64 (84.4 %).
    assert_eq!((passed, files.len()), (54, 64));
}

/// Filebeat's client (go-lumber) over TLS into a persisted queue, and `kill -9` of the agent
/// mid-stream: every event the client saw acknowledged arrives after the restart.
#[test]
fn beats_acknowledged_events_survive_kill_9() {
    use std::io::BufRead;
    let client = test_support::go_lumber_client();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = test_support::self_signed_cert(dir.path());
    let beats = free_addr();
    let api = free_addr();
    let out = dir.path().join("out.ndjson");
    let conf = dir.path().join("beats.conf");
    std::fs::write(
        &conf,
        format!(
            "input {{ beats {{ port => {} ssl_enabled => true ssl_certificate => \"{}\" ssl_key => \"{}\" }} }}\noutput {{ file {{ path => \"{}\" }} }}\n",
            beats.port(),
            cert.display(),
            key.display(),
            out.display()
        ),
    )
    .unwrap();
    let start = || {
        KillOnDrop(
            agent()
                .arg("-f")
                .arg(&conf)
                .args(["--http", &api.to_string(), "--queue.type", "persisted"])
                .arg("--path.queue")
                .arg(dir.path().join("queue"))
                .arg("--path.dead_letter_queue")
                .arg(dir.path().join("dlq"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let total = 200_000;
    let mut first = start();
    wait_for_port(beats, DEADLINE).unwrap();
    let mut peer = KillOnDrop(
        Command::new(&client)
            .args([
                "-addr",
                &beats.to_string(),
                "-n",
                &total.to_string(),
                "-window",
                "200",
                "-ca",
            ])
            .arg(&cert)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = peer.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if let Some(n) = line
                .strip_prefix("acked ")
                .and_then(|n| n.parse::<u64>().ok())
            {
                let _ = tx.send(n);
            }
        }
    });
    // Mid-stream: some windows acknowledged, the client still sending.
    let seen = wait_for("windows acknowledged", DEADLINE, || {
        rx.recv_timeout(Duration::from_millis(50))
            .ok()
            .filter(|n| *n >= 4000)
    })
    .unwrap();
    first.0.kill().unwrap(); // SIGKILL
    first.0.wait().unwrap();
    let _ = peer.0.wait();
    let acked = rx.try_iter().fold(seen, u64::max);
    assert!(acked < total, "killed mid-stream");
    let _second = start();
    wait_for("every acknowledged event written", DEADLINE, || {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        let mut seqs: Vec<u64> = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|v| v["seq"].as_u64())
            .collect();
        seqs.sort_unstable();
        seqs.dedup();
        (seqs.len() as u64 >= acked && seqs[..acked as usize] == (0..acked).collect::<Vec<_>>()[..])
            .then_some(())
    })
    .unwrap();
}
