//! Inputs end to end, in-process, with a `file` output to read back what arrived: beats
//! (Lumberjack v2 frames written here as Filebeat writes them), file (restarts and
//! rotations), tcp with the multiline codec, udp and generator.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::time::Duration;

use pipeline::runtime::Settings;
use serde_json::{Value, json};
use test_support::{free_addr, wait_for};

use crate::harness::{Agent, DEADLINE};

fn settings(dir: &Path) -> Settings {
    Settings {
        workers: 1,
        batch_size: 50,
        batch_delay: Duration::from_millis(5),
        path_dead_letter_queue: dir.join("dlq"),
        path_queue: dir.join("queue"),
        ..Default::default()
    }
}

/// The events the file output wrote so far.
fn written(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn wait_events(path: &Path, n: usize) -> Vec<Value> {
    wait_for(
        &format!("{n} events in {}", path.display()),
        DEADLINE,
        || {
            let evs = written(path);
            (evs.len() >= n).then_some(evs)
        },
    )
    .unwrap()
}

// ---- beats ------------------------------------------------------------------------------------

fn u32be(n: usize) -> [u8; 4] {
    u32::try_from(n).unwrap().to_be_bytes()
}

fn json_frame(seq: u32, event: &Value) -> Vec<u8> {
    let payload = event.to_string();
    let mut f = b"2J".to_vec();
    f.extend(seq.to_be_bytes());
    f.extend(u32be(payload.len()));
    f.extend(payload.as_bytes());
    f
}

fn compressed(frames: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(frames).unwrap();
    let body = z.finish().unwrap();
    let mut f = b"2C".to_vec();
    f.extend(u32be(body.len()));
    f.extend(body);
    f
}

fn read_ack(s: &mut TcpStream) -> (u8, u32) {
    let mut b = [0u8; 6];
    s.read_exact(&mut b).unwrap();
    assert_eq!(b[1], b'A', "{b:?}");
    (b[0], u32::from_be_bytes([b[2], b[3], b[4], b[5]]))
}

#[test]
fn beats_windows_are_acknowledged_after_the_queue_took_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.ndjson");
    let addr = free_addr();
    let config = format!(
        r#"input {{ beats {{ port => {} }} }}
filter {{ mutate {{ add_field => {{ "beat" => "%{{[@metadata][beat]}}" "peer" => "%{{[@metadata][input][beats][host][ip]}}" }} }} }}
output {{ file {{ path => "{}" }} }}"#,
        addr.port(),
        out.display()
    );
    let agent = Agent::start(&config, settings(dir.path())).unwrap();
    test_support::wait_for_port(addr, DEADLINE).unwrap();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    let event = |i: u32| {
        json!({"@timestamp": "2026-12-04T10:00:00.000Z", "@metadata": {"beat": "filebeat", "type": "_doc", "version": "8.15.0"},
               "message": format!("line {i}"), "host": {"name": "web01"}, "log": {"offset": i * 10}})
    };
    // window of 3 in one compressed frame
    let mut w = b"2W".to_vec();
    w.extend(3u32.to_be_bytes());
    let inner: Vec<u8> = (1..=3).flat_map(|i| json_frame(i, &event(i))).collect();
    w.extend(compressed(&inner));
    s.write_all(&w).unwrap();
    assert_eq!(read_ack(&mut s), (b'2', 3));
    // window of 2: a plain JSON frame and a key/value data frame, not compressed
    let mut w = b"2W".to_vec();
    w.extend(2u32.to_be_bytes());
    w.extend(json_frame(
        1,
        &json!({"@metadata": {"beat": "metricbeat"}, "metric": 1}),
    ));
    w.extend(b"2D");
    w.extend(2u32.to_be_bytes());
    w.extend(1u32.to_be_bytes());
    for part in ["message", "from a data frame"] {
        w.extend(u32be(part.len()));
        w.extend(part.as_bytes());
    }
    s.write_all(&w).unwrap();
    assert_eq!(read_ack(&mut s), (b'2', 2));
    let evs = wait_events(&out, 5);
    assert_eq!(evs[0]["message"], "line 1");
    assert_eq!(evs[0]["@timestamp"], "2026-12-04T10:00:00.000Z");
    assert_eq!(evs[0]["beat"], "filebeat");
    assert_eq!(evs[0]["peer"], "127.0.0.1");
    assert_eq!(evs[0]["host"], json!({"name": "web01"}));
    assert_eq!(evs[0]["tags"], json!(["beats_input_codec_plain_applied"]));
    assert!(evs[0].get("@metadata").is_none());
    assert_eq!(evs[3]["tags"], json!(["beats_input_raw_event"]));
    assert_eq!(evs[3]["beat"], "metricbeat");
    assert_eq!(evs[4]["message"], "from a data frame");
    // a bad frame closes the connection without an ACK
    s.write_all(b"2X").unwrap();
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{rest:?}");
    agent.stop().unwrap();
}

// ---- file -------------------------------------------------------------------------------------

fn append(path: &Path, lines: std::ops::Range<usize>) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for i in lines {
        writeln!(f, "line {i}").unwrap();
    }
}

fn numbers(evs: &[Value]) -> Vec<usize> {
    let mut n: Vec<usize> = evs
        .iter()
        .map(|e| {
            e["message"]
                .as_str()
                .unwrap()
                .trim_start_matches("line ")
                .parse()
                .unwrap()
        })
        .collect();
    n.sort_unstable();
    n
}

#[test]
fn file_input_neither_loses_nor_repeats_lines_across_restarts_and_rotations() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let log = logs.join("app.log");
    let out = dir.path().join("out.ndjson");
    let config = format!(
        r#"input {{ file {{ path => "{}/*.log*" exclude => "*.gz" start_position => "beginning" sincedb_path => "{}" stat_interval => "0.05" }} }}
output {{ file {{ path => "{}" }} }}"#,
        logs.display(),
        dir.path().join("sincedb").display(),
        out.display()
    );
    append(&log, 0..100);
    std::fs::write(logs.join("old.log.gz"), "not read\n").unwrap();
    let agent = Agent::start(&config, settings(dir.path())).unwrap();
    let evs = wait_events(&out, 100);
    assert_eq!(evs[0]["log"]["file"]["path"], log.display().to_string());
    append(&log, 100..150);
    wait_events(&out, 150);
    // rotation by rename (the pattern covers rotated names, as Logstash's docs require for
    // writers that go on writing to the renamed file): both are followed
    std::fs::rename(&log, logs.join("app.log.1")).unwrap();
    append(&logs.join("app.log.1"), 150..160);
    append(&log, 160..200);
    wait_events(&out, 200);
    agent.stop().unwrap();
    // written while the agent was down
    append(&log, 200..230);
    let agent = Agent::start(&config, settings(dir.path())).unwrap();
    wait_events(&out, 230);
    // copytruncate: the file shrinks and is read again from its start
    std::fs::write(&log, "").unwrap();
    append(&log, 230..240);
    let evs = wait_events(&out, 240);
    agent.stop().unwrap();
    assert_eq!(numbers(&evs), (0..240).collect::<Vec<_>>());
}

// ---- multiline codec, udp, generator ---------------------------------------------------------

#[test]
fn multiline_codec_joins_a_java_stack_trace() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.ndjson");
    let addr = free_addr();
    let config = format!(
        r#"input {{ tcp {{ port => {} codec => multiline {{ pattern => "^%{{TIMESTAMP_ISO8601}} " negate => true what => "previous" }} }} }}
output {{ file {{ path => "{}" }} }}"#,
        addr.port(),
        out.display()
    );
    let agent = Agent::start(&config, settings(dir.path())).unwrap();
    test_support::wait_for_port(addr, DEADLINE).unwrap();
    let trace = "2026-12-04 10:00:00,001 ERROR [main] com.shop.Cart - checkout failed\n\
java.lang.IllegalStateException: cart is empty\n\
\tat com.shop.Cart.checkout(Cart.java:42)\n\
\tat com.shop.Main.main(Main.java:7)\n\
2026-12-04 10:00:01,000 INFO [main] com.shop.Main - retrying\n";
    crate::harness::send_tcp(addr, trace.as_bytes());
    let evs = wait_events(&out, 2);
    assert_eq!(
        evs[0]["message"],
        "2026-12-04 10:00:00,001 ERROR [main] com.shop.Cart - checkout failed\njava.lang.IllegalStateException: cart is empty\n\tat com.shop.Cart.checkout(Cart.java:42)\n\tat com.shop.Main.main(Main.java:7)"
    );
    assert_eq!(evs[0]["tags"], json!(["multiline"]));
    assert_eq!(
        evs[1]["message"],
        "2026-12-04 10:00:01,000 INFO [main] com.shop.Main - retrying"
    );
    assert!(evs[1].get("tags").is_none());
    agent.stop().unwrap();
}

/// `auto_flush_interval`: the last event of a connection that stays open goes out once no
/// line came for that long, not only when the next event starts or the peer hangs up.
#[test]
fn multiline_auto_flush_interval_closes_the_pending_event() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.ndjson");
    let addr = free_addr();
    let config = format!(
        r#"input {{ tcp {{ port => {} codec => multiline {{ pattern => "^\s" what => "previous" auto_flush_interval => 0.2 }} }} }}
output {{ file {{ path => "{}" }} }}"#,
        addr.port(),
        out.display()
    );
    let agent = Agent::start(&config, settings(dir.path())).unwrap();
    test_support::wait_for_port(addr, DEADLINE).unwrap();
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.write_all(b"first\n  continued\nsecond\n  more\n")
        .unwrap();
    // the connection stays open: "second" is completed by the interval alone
    let evs = wait_events(&out, 2);
    assert_eq!(evs[0]["message"], "first\n  continued");
    assert_eq!(evs[1]["message"], "second\n  more");
    assert_eq!(evs[1]["tags"], json!(["multiline"]));
    conn.write_all(b"third\n").unwrap();
    let evs = wait_events(&out, 3);
    assert_eq!(evs[2]["message"], "third");
    drop(conn);
    agent.stop().unwrap();
}

#[test]
fn udp_datagrams_and_generator_events() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.ndjson");
    let port = free_addr().port();
    let config = format!(
        r#"input {{
  udp {{ port => {port} }}
  generator {{ lines => ["a", "b"] count => 2 }}
}}
output {{ file {{ path => "{}" }} }}"#,
        out.display()
    );
    let agent = Agent::start(&config, settings(dir.path())).unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let target: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    // datagrams can be lost before the socket is bound: resend until one arrived
    wait_for("a udp event", DEADLINE, || {
        sock.send_to(b"<13>hello over udp\n", target).unwrap();
        written(&out)
            .iter()
            .any(|e| e["message"] == "<13>hello over udp")
            .then_some(())
    })
    .unwrap();
    let evs = written(&out);
    let udp = evs
        .iter()
        .find(|e| e["message"] == "<13>hello over udp")
        .unwrap();
    assert_eq!(udp["host"]["ip"], "127.0.0.1");
    let mut generated: Vec<(String, u64)> = evs
        .iter()
        .filter(|e| e["message"] == "a" || e["message"] == "b")
        .map(|e| {
            (
                e["message"].as_str().unwrap().to_owned(),
                e["event"]["sequence"].as_u64().unwrap(),
            )
        })
        .collect();
    generated.sort();
    assert_eq!(
        generated,
        [
            ("a".into(), 0),
            ("a".into(), 1),
            ("b".into(), 0),
            ("b".into(), 1)
        ]
    );
    agent.stop().unwrap();
}

// ---- beats against Elastic's go-lumber client -------------------------------------------------

#[test]
fn beats_input_with_go_lumber_over_tls() {
    let client = test_support::go_lumber_client();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = test_support::self_signed_cert(dir.path());
    let out = dir.path().join("out.ndjson");
    let addr = free_addr();
    let config = format!(
        r#"input {{ beats {{ port => {} ssl_enabled => true ssl_certificate => "{}" ssl_key => "{}" }} }}
output {{ file {{ path => "{}" }} }}"#,
        addr.port(),
        cert.display(),
        key.display(),
        out.display()
    );
    let agent = Agent::start(&config, settings(dir.path())).unwrap();
    test_support::wait_for_port(addr, DEADLINE).unwrap();
    let run = std::process::Command::new(&client)
        .args([
            "-addr",
            &addr.to_string(),
            "-n",
            "1000",
            "-window",
            "128",
            "-ca",
        ])
        .arg(&cert)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(stdout.lines().last(), Some("acked 1000"), "{stdout}");
    let evs = wait_events(&out, 1000);
    let mut seqs: Vec<u64> = evs.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (0..1000).collect::<Vec<_>>());
    assert_eq!(evs[0]["host"]["name"], "go-lumber");
    assert_eq!(evs[0]["tags"], json!(["beats_input_codec_plain_applied"]));
    agent.stop().unwrap();
}

#[test]
fn syslog_input_parses_rfc3164_over_tcp_and_udp() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.ndjson");
    let addr = free_addr();
    let config = format!(
        r#"input {{ syslog {{ port => {} timezone => "UTC" }} }}
output {{ file {{ path => "{}" }} }}"#,
        addr.port(),
        out.display()
    );
    let agent = Agent::start(&config, settings(dir.path())).unwrap();
    test_support::wait_for_port(addr, DEADLINE).unwrap();
    crate::harness::send_tcp(
        addr,
        b"<86>Dec  4 07:15:01 web01 sshd[4242]: Accepted publickey for alice\nnot syslog at all\n",
    );
    let evs = wait_events(&out, 2);
    let ok = &evs[0];
    assert_eq!(ok["message"], "Accepted publickey for alice");
    assert_eq!(ok["host"], json!({"hostname": "web01", "ip": "127.0.0.1"}));
    assert_eq!(ok["process"], json!({"name": "sshd", "pid": 4242}));
    assert_eq!(
        ok["log"]["syslog"],
        json!({"priority": 86, "facility": {"code": 10, "name": "security/authorization"}, "severity": {"code": 6, "name": "informational"}})
    );
    assert!(
        ok["@timestamp"]
            .as_str()
            .unwrap()
            .ends_with("-12-04T07:15:01.000Z"),
        "{ok}"
    );
    assert!(ok.get("timestamp").is_none());
    assert_eq!(evs[1]["message"], "not syslog at all");
    assert_eq!(evs[1]["tags"], json!(["_grokparsefailure_sysloginput"]));
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    wait_for("a udp syslog event", DEADLINE, || {
        sock.send_to(b"<13>Dec  4 07:15:02 web02 app: over udp", addr)
            .unwrap();
        written(&out)
            .iter()
            .any(|e| e["message"] == "over udp")
            .then_some(())
    })
    .unwrap();
    agent.stop().unwrap();
}

// ---- gelf ---------------------------------------------------------------------------------------

fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// GELF chunks of `message`, `size` bytes of it per chunk, as GELF UDP senders cut them.
fn chunks(id: [u8; 8], message: &[u8], size: usize) -> Vec<Vec<u8>> {
    let parts: Vec<&[u8]> = message.chunks(size).collect();
    let count = u8::try_from(parts.len()).unwrap();
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut c = vec![0x1e, 0x0f];
            c.extend_from_slice(&id);
            c.push(u8::try_from(i).unwrap());
            c.push(count);
            c.extend_from_slice(p);
            c
        })
        .collect()
}

/// What Docker's gelf driver and GELF libraries send: plain, zlib and gzip messages, and a
/// message in chunks that arrive out of order; the fields as logstash-input-gelf maps them.
#[test]
fn gelf_input_plain_compressed_and_chunked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.ndjson");
    let port = free_addr().port();
    let config = format!(
        r#"input {{ gelf {{ port => {port} }} }}
output {{ file {{ path => "{}" }} }}"#,
        out.display()
    );
    let agent = Agent::start(&config, settings(dir.path())).unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let target: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let docker = br#"{"version":"1.1","host":"web01","short_message":"GET / 200","timestamp":1764842400.123,"level":6,"_container_name":"nginx","_image_name":"nginx:1.27"}"#;
    // datagrams can be lost before the socket is bound: resend until one arrived
    wait_for("a gelf event", DEADLINE, || {
        sock.send_to(docker, target).unwrap();
        (!written(&out).is_empty()).then_some(())
    })
    .unwrap();
    let first = &written(&out)[0];
    assert_eq!(first["message"], "GET / 200");
    assert!(first.get("short_message").is_none());
    assert_eq!(first["container_name"], "nginx");
    assert_eq!(first["image_name"], "nginx:1.27");
    assert_eq!(first["host"], "web01");
    assert_eq!(first["source_host"], "127.0.0.1");
    assert_eq!(first["@timestamp"], "2025-12-04T10:00:00.123Z");
    assert!(first.get("timestamp").is_none());

    let full = br#"{"version":"1.1","host":"app","short_message":"boom","full_message":"boom\n\tat Main.java:7","_user":"ann"}"#;
    sock.send_to(&zlib(full), target).unwrap();
    sock.send_to(&gzip(br#"{"short_message":"gz","_n":1}"#), target)
        .unwrap();
    let long = format!(
        r#"{{"short_message":"chunked","_pad":"{}"}}"#,
        "x".repeat(3000)
    );
    let mut parts = chunks(*b"abcdefgh", &zlib(long.as_bytes()), 20);
    parts.reverse();
    for p in &parts {
        sock.send_to(p, target).unwrap();
    }
    sock.send_to(b"not json", target).unwrap();
    let evs = wait_events(&out, 5);
    let find = |m: &str| {
        evs.iter()
            .find(|e| e["message"] == m)
            .unwrap_or_else(|| panic!("{m} in {evs:?}"))
    };
    let e = find("boom\n\tat Main.java:7");
    assert_eq!(e["short_message"], "boom");
    assert_eq!(e["user"], "ann");
    assert_eq!(find("gz")["n"], 1);
    assert_eq!(find("chunked")["pad"].as_str().unwrap().len(), 3000);
    assert_eq!(find("not json")["tags"], json!(["_jsonparsefailure"]));
    agent.stop().unwrap();
}

/// The chunk assembler holds only what its budget allows: incomplete messages expire after
/// GELF's five seconds, malformed chunks are dropped, and everything dropped is counted.
#[test]
fn gelf_assembler_bounds_what_it_holds() {
    use pipeline::input::gelf::{Assembler, CHUNK_TIMEOUT};
    use std::time::Instant;
    let t0 = Instant::now();
    let mut a = Assembler::default();
    let parts = chunks(*b"11111111", br#"{"short_message":"two parts"}"#, 16);
    assert_eq!(parts.len(), 2);
    assert_eq!(a.push(&parts[0], t0), None);
    // the second part comes too late: the first was dropped, and this one starts anew
    assert_eq!(a.push(&parts[1], t0 + CHUNK_TIMEOUT), None);
    assert_eq!(a.dropped(), 1);
    assert_eq!(
        a.push(&parts[0], t0 + CHUNK_TIMEOUT).as_deref(),
        Some(&br#"{"short_message":"two parts"}"#[..])
    );
    // malformed chunks: too short, number past the count, count over 128
    for bad in [
        &[0x1e, 0x0f, 1, 2, 3][..],
        &[0x1e, 0x0f, 0, 0, 0, 0, 0, 0, 0, 9, 3, 2, b'x'][..],
        &[0x1e, 0x0f, 0, 0, 0, 0, 0, 0, 0, 9, 0, 200, b'x'][..],
    ] {
        assert_eq!(a.push(bad, t0 + CHUNK_TIMEOUT), None);
    }
    assert_eq!(a.dropped(), 4);
    // a zlib stream that inflates past the limit is dropped, not held
    let bomb = zlib(&vec![b' '; pipeline::input::gelf::MAX_MESSAGE_BYTES + 1]);
    assert_eq!(a.push(&bomb, t0 + CHUNK_TIMEOUT), None);
    assert_eq!(a.dropped(), 5);
}

/// A Redis server for the `redis` input: RESP2 over TCP, a list `key` holding `items` and a
/// channel that publishes `items` to each subscriber. Records the commands it got.
fn fake_redis(items: Vec<String>) -> (SocketAddr, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::BufRead;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let list = std::sync::Arc::new(std::sync::Mutex::new(std::collections::VecDeque::from(
        items.clone(),
    )));
    let seen = log.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let (log, list, items) = (seen.clone(), list.clone(), items.clone());
            std::thread::spawn(move || {
                let mut r = std::io::BufReader::new(conn.try_clone().unwrap());
                let mut w = conn;
                let bulk = |s: &str| format!("${}\r\n{s}\r\n", s.len());
                let mut queued: Vec<String> = Vec::new();
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let n: usize = line.trim()[1..].parse().unwrap();
                    let mut args = Vec::new();
                    for _ in 0..n {
                        let mut len = String::new();
                        r.read_line(&mut len).unwrap();
                        let mut buf = vec![0; len.trim()[1..].parse::<usize>().unwrap() + 2];
                        r.read_exact(&mut buf).unwrap();
                        args.push(String::from_utf8_lossy(&buf[..buf.len() - 2]).into_owned());
                    }
                    log.lock().unwrap().push(args.join(" "));
                    let reply = match args[0].as_str() {
                        "AUTH" if args[1] == "s3cret" => "+OK\r\n".to_owned(),
                        "AUTH" => "-WRONGPASS invalid password\r\n".to_owned(),
                        "SELECT" | "MULTI" => "+OK\r\n".to_owned(),
                        "LRANGE" | "LTRIM" => {
                            queued.push(args.join(" "));
                            "+QUEUED\r\n".to_owned()
                        }
                        "EXEC" => {
                            let mut l = list.lock().unwrap();
                            let count: usize = queued[0]
                                .split(' ')
                                .nth(3)
                                .unwrap()
                                .parse::<usize>()
                                .unwrap()
                                + 1;
                            let got: Vec<String> =
                                (0..count).filter_map(|_| l.pop_front()).collect();
                            queued.clear();
                            let mut s = format!("*2\r\n*{}\r\n", got.len());
                            for g in &got {
                                s.push_str(&bulk(g));
                            }
                            s + "+OK\r\n"
                        }
                        "BLPOP" => {
                            std::thread::sleep(Duration::from_millis(20));
                            "*-1\r\n".to_owned()
                        }
                        "SUBSCRIBE" => {
                            let mut s =
                                format!("*3\r\n{}{}:1\r\n", bulk("subscribe"), bulk(&args[1]));
                            for i in &items {
                                s.push_str(&format!(
                                    "*3\r\n{}{}{}",
                                    bulk("message"),
                                    bulk(&args[1]),
                                    bulk(i)
                                ));
                            }
                            s
                        }
                        other => format!("-ERR unknown command '{other}'\r\n"),
                    };
                    if w.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, log)
}

#[test]
fn redis_list_and_channel() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.ndjson");
    let items: Vec<String> = (0..5)
        .map(|i| format!(r#"{{"message":"item {i}","n":{i}}}"#))
        .chain(["not json".to_owned()])
        .collect();
    let (list_addr, list_log) = fake_redis(items);
    let (chan_addr, _) = fake_redis(vec![r#"{"message":"published"}"#.to_owned()]);
    let config = format!(
        r#"input {{
  redis {{ host => "127.0.0.1" port => {} key => "logstash" data_type => "list" batch_count => 4 password => "s3cret" db => 2 tags => ["from-list"] }}
  redis {{ port => {} key => "news" data_type => "channel" }}
}}
output {{ file {{ path => "{}" }} }}"#,
        list_addr.port(),
        chan_addr.port(),
        out.display()
    );
    let agent = Agent::start(&config, settings(dir.path())).unwrap();
    let evs = wait_for("the list's and the channel's events", DEADLINE, || {
        let evs = written(&out);
        (evs.len() >= 7).then_some(evs)
    })
    .unwrap();
    agent.stop().unwrap();
    let from_list: Vec<&Value> = evs
        .iter()
        .filter(|e| e["tags"].to_string().contains("from-list"))
        .collect();
    let mut ns: Vec<u64> = from_list.iter().filter_map(|e| e["n"].as_u64()).collect();
    ns.sort_unstable();
    assert_eq!(ns, [0, 1, 2, 3, 4]);
    let bad = from_list
        .iter()
        .find(|e| e["message"] == "not json")
        .unwrap();
    assert_eq!(bad["tags"], json!(["_jsonparsefailure", "from-list"]));
    assert!(evs.iter().any(|e| e["message"] == "published"));
    let log = list_log.lock().unwrap().clone();
    assert_eq!(log[..3], ["AUTH s3cret", "SELECT 2", "MULTI"]);
    assert!(log.contains(&"LRANGE logstash 0 3".to_owned()), "{log:?}");
    assert!(log.contains(&"LTRIM logstash 4 -1".to_owned()), "{log:?}");
}

#[test]
fn cef_over_udp() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.ndjson");
    let port = free_addr().port();
    let config = format!(
        r#"input {{ udp {{ port => {port} codec => cef }} }}
output {{ file {{ path => "{}" }} }}"#,
        out.display()
    );
    let agent = Agent::start(&config, settings(dir.path())).unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let line = b"<134>Dec  5 07:47:00 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.1|TRAFFIC|end|3|src=10.0.0.5 dst=93.184.216.34 dpt=443 act=allow msg=session ended\n";
    let ev = wait_for("a cef event", DEADLINE, || {
        sock.send_to(line, ("127.0.0.1", port)).unwrap();
        written(&out)
            .into_iter()
            .find(|e| e["event"]["action"] == "allow")
    })
    .unwrap();
    agent.stop().unwrap();
    assert_eq!(
        ev["observer"],
        json!({"vendor": "Palo Alto Networks", "product": "PAN-OS", "version": "10.1"})
    );
    assert_eq!(
        ev["destination"],
        json!({"ip": "93.184.216.34", "port": "443"})
    );
    assert_eq!(ev["message"], "session ended");
    assert_eq!(ev["log"]["syslog"]["header"], "<134>Dec  5 07:47:00 fw01");
    assert_eq!(ev["host"]["ip"], "127.0.0.1");
}
