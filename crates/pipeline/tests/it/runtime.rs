//! The runtime end to end, in-process: tcp/http inputs → filters → outputs, against a fake
//! `_bulk` endpoint with fault injection.

use std::net::SocketAddr;
use std::time::Duration;

use pipeline::runtime::{QueueType, Settings};
use serde_json::{Value, json};
use test_support::{free_addr, wait_for};

use crate::fake_es::FakeEs;
use crate::harness::{Agent, DEADLINE, http, send_tcp};

fn settings(dir: &std::path::Path) -> Settings {
    Settings {
        workers: 2,
        batch_size: 50,
        batch_delay: Duration::from_millis(5),
        path_dead_letter_queue: dir.join("dlq"),
        path_queue: dir.join("queue"),
        ..Default::default()
    }
}

/// The seed's logstash.conf with `hosts` and the port changed, and without its stdout output
/// (the agent's own tests run the seed file verbatim, stdout included).
fn seed_config(tcp: SocketAddr, es: &str) -> String {
    format!(
        r#"input {{
  tcp {{
    port => {}
    codec => json_lines
  }}
}}

filter {{
  # 필요한 경우 추가 필터링
  mutate {{
    convert => {{
      "duration" => "float"
    }}
  }}
}}

output {{
  elasticsearch {{
    hosts => ["{es}"]
    index => "python-logs-%{{+YYYY.MM.dd}}"
    user => "elastic"
    password => "your_password"
    retry_initial_interval => 1
  }}
}}
"#,
        tcp.port()
    )
}

/// The stats once `n` events went through and every batch was acknowledged.
fn settled(agent: &Agent, n: u64) -> Value {
    wait_for("every batch acknowledged", DEADLINE, || {
        let st = agent.stats();
        (st["events"]["filtered"] == n && st["queue"]["events_count"] == 0).then_some(st)
    })
    .unwrap()
}

fn line(i: usize, extra: &str) -> String {
    format!(
        r#"{{"@timestamp":"2026-01-02T03:04:05.{:03}Z","message":"event {i}","level":"INFO","user":"user{}","duration":"{}.5","seq":{i}{extra}}}"#,
        i % 1000,
        i % 5,
        i % 4
    ) + "\n"
}

fn seqs(es: &FakeEs) -> Vec<u64> {
    let mut v: Vec<u64> = es
        .sources()
        .iter()
        .filter_map(|s| s["seq"].as_u64())
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn seed_config_delivers_every_event_with_logstash_semantics() {
    let dir = tempfile::tempdir().unwrap();
    let es = FakeEs::start();
    let tcp = free_addr();
    let agent = Agent::start(
        &seed_config(tcp, &es.addr.to_string()),
        settings(dir.path()),
    )
    .unwrap();
    let mut payload = String::new();
    for i in 0..300 {
        payload.push_str(&line(i, ""));
    }
    payload.push_str("this is not json\n{\"truncated\": \n");
    send_tcp(tcp, payload.as_bytes());
    wait_for("302 documents", DEADLINE, || {
        (es.count() == 302).then_some(())
    })
    .unwrap();

    let docs = es.state.docs.lock().clone();
    for (index, src) in &docs {
        // `%{+YYYY.MM.dd}` comes from each event's @timestamp: the sender's, or the ingest time
        // for lines that were not JSON.
        let ts = src["@timestamp"].as_str().unwrap();
        let day = format!("python-logs-{}.{}.{}", &ts[0..4], &ts[5..7], &ts[8..10]);
        assert_eq!(index, &day, "{src}");
        if src["seq"].is_u64() {
            assert_eq!(index, "python-logs-2026.01.02");
        }
        assert_eq!(src["@version"], "1");
        assert!(src.get("@metadata").is_none(), "@metadata is never indexed");
    }
    let first = docs.iter().find(|(_, s)| s["seq"] == 7).unwrap();
    assert_eq!(first.1["duration"], json!(3.5), "mutate convert to float");
    assert_eq!(first.1["@timestamp"], "2026-01-02T03:04:05.007Z");
    assert_eq!(first.1["user"], "user2");
    let failures: Vec<&Value> = docs
        .iter()
        .map(|(_, s)| s)
        .filter(|s| s["tags"] == json!(["_jsonparsefailure"]))
        .collect();
    assert_eq!(failures.len(), 2);
    assert!(failures.iter().any(|s| s["message"] == "this is not json"));
    assert!(failures.iter().any(|s| s["message"] == "{\"truncated\": "));

    let stats = settled(&agent, 302);
    assert_eq!(stats["events"]["in"], 302);
    assert_eq!(stats["events"]["out"], 302);
    assert_eq!(stats["plugins"]["inputs"][0]["name"], "tcp");
    assert_eq!(stats["plugins"]["inputs"][0]["failures"], 2);
    assert_eq!(stats["plugins"]["outputs"][0]["name"], "elasticsearch");
    assert_eq!(stats["plugins"]["outputs"][0]["events"]["out"], 302);
    assert_eq!(stats["plugins"]["filters"][0]["name"], "mutate");
    agent.stop().unwrap();
}

#[test]
fn retryable_items_are_retried_and_rejected_ones_go_to_the_dead_letter_queue() {
    let dir = tempfile::tempdir().unwrap();
    let es = FakeEs::start();
    let tcp = free_addr();
    let agent = Agent::start(&seed_config(tcp, &es.url()), settings(dir.path())).unwrap();
    let mut payload = String::new();
    for i in 0..20 {
        let extra = match i {
            3 => r#","fail429":2"#,
            5 | 9 => r#","bad":true"#,
            _ => "",
        };
        payload.push_str(&line(i, extra));
    }
    send_tcp(tcp, payload.as_bytes());
    let dlq = dir.path().join("dlq/main/dlq.ndjson");
    wait_for("18 documents and 2 dead letters", DEADLINE, || {
        let lines = std::fs::read_to_string(&dlq).unwrap_or_default();
        (es.count() == 18 && lines.lines().count() == 2).then_some(lines)
    })
    .unwrap();
    let expected: Vec<u64> = (0..20).filter(|i| *i != 5 && *i != 9).collect();
    assert_eq!(
        seqs(&es),
        expected,
        "the 429 document was retried, nothing duplicated"
    );
    let lines = std::fs::read_to_string(&dlq).unwrap();
    for l in lines.lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["status"], 400);
        assert_eq!(v["error"]["type"], "mapper_parsing_exception");
        assert_eq!(v["index"], "python-logs-2026.01.02");
        assert_eq!(v["event"]["bad"], true);
        assert_eq!(v["plugin_type"], "elasticsearch");
    }
    let out = &agent.stats()["plugins"]["outputs"][0];
    assert_eq!(out["documents"]["non_retryable_failures"], 2);
    assert_eq!(out["failures"], 2);
    agent.stop().unwrap();
}

#[test]
fn a_down_elasticsearch_blocks_the_pipeline_and_the_sender_then_everything_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let es = FakeEs::start();
    es.set_down(true);
    let tcp = free_addr();
    let mut s = settings(dir.path());
    s.workers = 1;
    s.batch_size = 20;
    let capacity = 20;
    let agent = Agent::start(&seed_config(tcp, &es.url()), s).unwrap();
    // ~1 KiB events, far more than socket buffers and the queue hold.
    let pad = "x".repeat(1000);
    let n = 30_000;
    let sender = std::thread::spawn(move || {
        let mut payload = String::new();
        for i in 0..n {
            payload.push_str(&line(i, &format!(r#","pad":"{pad}""#)));
        }
        send_tcp(tcp, payload.as_bytes());
    });
    wait_for("the queue to fill", DEADLINE, || {
        let st = agent.stats();
        (st["queue"]["events_count"].as_u64() >= Some(capacity)).then_some(())
    })
    .unwrap();
    // Bounded: the queue never holds more than its capacity plus the batch a worker is
    // retrying while Elasticsearch is down, and the sender cannot finish (TCP flow control).
    for _ in 0..5 {
        let st = agent.stats();
        assert!(
            st["queue"]["events_count"].as_u64().unwrap() <= 2 * capacity,
            "{st}"
        );
        assert!(st["events"]["in"].as_u64().unwrap() < n as u64);
        assert_eq!(es.count(), 0);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!sender.is_finished(), "backpressure reaches the sender");
    es.set_down(false);
    sender.join().unwrap();
    wait_for("every event", DEADLINE, || (es.count() >= n).then_some(())).unwrap();
    assert_eq!(seqs(&es), (0..n as u64).collect::<Vec<_>>());
    agent.stop().unwrap();
}

#[test]
fn the_persisted_queue_keeps_accepted_events_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let es = FakeEs::start();
    es.set_down(true);
    let tcp = free_addr();
    let mut s = settings(dir.path());
    s.queue_type = QueueType::Persisted;
    let config = seed_config(tcp, &es.url());
    let agent = Agent::start(&config, s.clone()).unwrap();
    let mut payload = String::new();
    for i in 0..500 {
        payload.push_str(&line(i, ""));
    }
    send_tcp(tcp, payload.as_bytes());
    wait_for("500 events accepted", DEADLINE, || {
        (agent.stats()["events"]["in"] == 500).then_some(())
    })
    .unwrap();
    assert_eq!(agent.stats()["queue"]["type"], "persisted");
    agent.kill(); // outputs abandoned: nothing was delivered or acknowledged
    assert_eq!(es.count(), 0);
    es.set_down(false);
    let agent = Agent::start(&config, s).unwrap();
    wait_for("500 documents after restart", DEADLINE, || {
        (es.count() >= 500).then_some(())
    })
    .unwrap();
    assert_eq!(seqs(&es), (0..500).collect::<Vec<_>>());
    wait_for("queue drained", DEADLINE, || {
        (agent.stats()["queue"]["events_count"] == 0).then_some(())
    })
    .unwrap();
    agent.stop().unwrap();
}

#[test]
fn one_worker_keeps_order_and_conditionals_route_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let es = FakeEs::start();
    let tcp = free_addr();
    let mut s = settings(dir.path());
    s.workers = 1;
    let out_file = dir.path().join("errors-%{+YYYY}.log");
    let config = format!(
        r#"input {{ tcp {{ port => {} codec => json_lines }} }}
filter {{ if [level] == "DEBUG" {{ drop {{ }} }} }}
output {{
  if [level] == "ERROR" {{ file {{ path => "{}" }} }}
  else {{ elasticsearch {{ hosts => ["{}"] index => "ordered" }} }}
}}"#,
        tcp.port(),
        out_file.display(),
        es.url()
    );
    let agent = Agent::start(&config, s).unwrap();
    let mut payload = String::new();
    for i in 0..400 {
        let level = ["INFO", "ERROR", "DEBUG", "WARNING"][i % 4];
        payload.push_str(&format!(
            "{{\"@timestamp\":\"2026-03-04T00:00:00Z\",\"seq\":{i},\"level\":\"{level}\"}}\n"
        ));
    }
    send_tcp(tcp, payload.as_bytes());
    let file = dir.path().join("errors-2026.log");
    wait_for("routed events", DEADLINE, || {
        let n = std::fs::read_to_string(&file)
            .unwrap_or_default()
            .lines()
            .count();
        (es.count() == 200 && n == 100).then_some(())
    })
    .unwrap();
    let got: Vec<u64> = es
        .sources()
        .iter()
        .map(|s| s["seq"].as_u64().unwrap())
        .collect();
    let want: Vec<u64> = (0..400).filter(|i| i % 4 == 0 || i % 4 == 3).collect();
    assert_eq!(got, want, "one worker delivers in order");
    let text = std::fs::read_to_string(&file).unwrap();
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["seq"], 1);
    assert_eq!(first["level"], "ERROR");
    let stats = settled(&agent, 400);
    assert_eq!(stats["events"]["out"], 300, "dropped events are not out");
    agent.stop().unwrap();
}

#[test]
fn http_input_accepts_json_and_ndjson_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let es = FakeEs::start();
    let port = free_addr().port();
    let config = format!(
        r#"input {{ http {{ port => {port} }} }}
output {{ elasticsearch {{ hosts => ["{}"] index => "web" }} }}"#,
        es.url()
    );
    let agent = Agent::start(&config, settings(dir.path())).unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    test_support::wait_for_port(addr, DEADLINE).unwrap();
    let check = |ctype: &str, body: &str| {
        let (status, resp) = http(addr, "POST", "/logs", ctype, body);
        assert_eq!((status, resp), (200, Value::String("ok".into())), "{body}");
    };
    check("application/json", r#"{"seq":0}"#);
    check("application/json", r#"[{"seq":1},{"seq":2}]"#);
    check("application/x-ndjson", "{\"seq\":3}\n{\"seq\":4}\nnope\n");
    check("text/plain", "hello\nworld");
    wait_for("8 documents", DEADLINE, || (es.count() == 8).then_some(())).unwrap();
    let sources = es.sources();
    assert_eq!(
        sources.iter().filter(|s| s["seq"].is_u64()).count(),
        5,
        "{sources:?}"
    );
    let zero = sources.iter().find(|s| s["seq"] == 0).unwrap();
    assert_eq!(zero["url"]["path"], "/logs");
    assert_eq!(zero["http"]["method"], "POST");
    assert_eq!(zero["host"]["ip"], "127.0.0.1");
    assert!(
        sources
            .iter()
            .any(|s| s["message"] == "nope" && s["tags"] == json!(["_jsonparsefailure"]))
    );
    assert!(sources.iter().any(|s| s["message"] == "world"));
    agent.stop().unwrap();
}

/// `n` lines of 64 bytes: `{prefix} {i}` padded with dots.
fn padded_lines(prefix: &str, n: usize) -> String {
    (0..n)
        .map(|i| format!("{:.<63}\n", format!("{prefix} {i} ")))
        .collect()
}

/// The `message` of each line an output file holds, in order.
fn messages_in(file: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["message"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// A pipeline from the http input on a free port to a file in `dir`: (config, port, file).
fn http_input_to_file(dir: &std::path::Path) -> (String, u16, std::path::PathBuf) {
    let port = free_addr().port();
    let out = dir.join("out.log");
    let config = format!(
        r#"input {{ http {{ port => {port} }} }}
output {{ file {{ path => "{}" }} }}"#,
        out.display()
    );
    (config, port, out)
}

#[test]
fn http_input_delivers_a_large_line_body_completely_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (config, port, out) = http_input_to_file(dir.path());
    let mut s = settings(dir.path());
    s.workers = 1;
    let agent = Agent::start(&config, s).unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    test_support::wait_for_port(addr, DEADLINE).unwrap();
    // 3.2 MB: decoded and queued in pieces of about 1 MiB of lines
    let body = padded_lines("line", 50_000);
    let (status, resp) = http(addr, "POST", "/", "text/plain", &body);
    assert_eq!((status, resp), (200, Value::String("ok".into())));
    let want: Vec<String> = body.lines().map(str::to_owned).collect();
    let got = wait_for("every line written", DEADLINE, || {
        let got = messages_in(&out);
        (got.len() >= want.len()).then_some(got)
    })
    .unwrap();
    assert!(
        got == want,
        "{} lines written, {} sent, or not in order",
        got.len(),
        want.len()
    );
    agent.stop().unwrap();
}

#[test]
fn http_bodies_beyond_the_memory_budget_get_429_while_others_pass() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let (config, port, out) = http_input_to_file(dir.path());
    let mut s = settings(dir.path());
    s.http_input_memory_limit = 512 << 10;
    let agent = Agent::start(&config, s).unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    test_support::wait_for_port(addr, DEADLINE).unwrap();
    // A client sends 640 KiB of a 1 MiB body and waits: alone, it holds more than the budget.
    let big = padded_lines("big", 16_384);
    // Beside it, every other body is refused, with a text naming the budget (bodies sent before
    // the server read the first one's bytes pass). The budget refuses whichever request would
    // pass it beside others, so a probe in flight while the stalled body's last bytes arrive
    // gets the stalled body refused instead: then the scenario starts again (what passed is
    // still delivered).
    let mut passed = Vec::new();
    let mut i = 0;
    let mut attempts = 0;
    let (mut slow, refusal) = loop {
        attempts += 1;
        let mut slow = std::net::TcpStream::connect(addr).unwrap();
        write!(
            slow,
            "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{}",
            big.len(),
            &big[..640 << 10]
        )
        .unwrap();
        slow.set_nonblocking(true).unwrap();
        let outcome = wait_for("a body refused beside the stalled one", DEADLINE, || {
            let mut byte = [0u8; 1];
            match slow.read(&mut byte) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                // answered or closed: the stalled body itself was refused
                _ => return Some(None),
            }
            i += 1;
            let line = format!("probe {i}");
            match http(addr, "POST", "/", "text/plain", &line) {
                (200, _) => {
                    passed.push(line);
                    None
                }
                (status, answer) => Some(Some((status, answer))),
            }
        })
        .unwrap();
        match outcome {
            Some(refusal) => break (slow, refusal),
            None => assert!(
                attempts < 5,
                "the stalled body was refused {attempts} times"
            ),
        }
    };
    slow.set_nonblocking(false).unwrap();
    let refused_line = format!("probe {i}");
    let (status, answer) = refusal;
    assert_eq!(status, 429, "{answer}");
    let answer = answer.as_str().unwrap_or_default().to_owned();
    assert!(
        answer.contains("memory budget") && answer.contains("--input.http.memory_limit"),
        "{answer}"
    );
    // The first body completes and passes; so do bodies after it.
    slow.write_all(&big.as_bytes()[640 << 10..]).unwrap();
    let mut raw = String::new();
    slow.read_to_string(&mut raw).unwrap();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    let (status, _) = http(addr, "POST", "/", "text/plain", "after");
    assert_eq!(status, 200);
    let expected = big.lines().count() + passed.len() + 1;
    let got = wait_for("every accepted line written", DEADLINE, || {
        let got = messages_in(&out);
        (got.len() >= expected).then_some(got)
    })
    .unwrap();
    assert_eq!(got.len(), expected);
    assert!(!got.contains(&refused_line), "a refused body was delivered");
    assert!(got.iter().any(|m| m == "after"));
    agent.stop().unwrap();
}

#[test]
fn monitoring_api_root_and_unknown_paths() {
    let dir = tempfile::tempdir().unwrap();
    let tcp = free_addr();
    let config = format!(
        "input {{ tcp {{ port => {} }} }} output {{ stdout {{ codec => dots }} }}",
        tcp.port()
    );
    let agent = Agent::start(&config, settings(dir.path())).unwrap();
    let (status, root) = agent.get("/");
    assert_eq!(status, 200);
    assert_eq!(root["status"], "green");
    assert_eq!(root["pipeline"]["workers"], 2);
    assert_eq!(root["pipeline"]["batch_size"], 50);
    let (status, body) = agent.get("/_node/nope");
    assert_eq!(status, 404, "{body}");
    let (status, body) = agent.get("/_node/stats/pipelines/main?pretty");
    assert_eq!(status, 200);
    assert_eq!(body["pipelines"]["main"]["queue"]["type"], "memory");
    agent.stop().unwrap();
}

/// Start-up errors: `file:line:column` and the option named, as Logstash reports them.
#[test]
fn invalid_plugin_settings_stop_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let check = |config: &str, expected: &str| {
        let err = match Agent::start(config, settings(dir.path())) {
            Ok(_) => panic!("{config} started"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(expected),
            "{config}\n got: {err}\nwant: {expected}"
        );
    };
    check(
        "input { tcp { port => 5000 prot => 1 } }",
        "test.conf:1:28: Unknown setting 'prot' for tcp",
    );
    check(
        "input { tcp { } }",
        "test.conf:1:9: Missing a required setting for the tcp input plugin",
    );
    check(
        "input { udpx { port => 5000 } }",
        "test.conf:1:9: Couldn't find any input plugin named 'udpx'",
    );
    check(
        "input { tcp { port => 5000 codec => msgpackx } }",
        "test.conf:1:28: Couldn't find any codec plugin named 'msgpackx'",
    );
    check(
        "input { tcp { port => 5000 codec => msgpack } }",
        "test.conf:1:28: codec plugin [msgpack] is not supported by sluice-agent yet",
    );
    check(
        "input { tcp { port => 5000 codec => rubydebug } }",
        "codec rubydebug is not supported by the tcp plugin in sluice-agent",
    );
    check(
        "input { tcp { port => 70000 } }",
        "test.conf:1:15: Cannot register tcp input plugin",
    );
    check(
        "input { stdin { } } output { elasticsearch { action => \"update\" } }",
        "action update needs document_id",
    );
    check(
        "input { stdin { } } output { elasticsearch { action => \"upsert\" } }",
        "Action 'upsert' is invalid! Pick one of [index, create, update, delete] or use a sprintf style statement",
    );
    check(
        "input { stdin { } } output { file { } }",
        "Missing a required setting for the file output plugin",
    );
    check(
        "input { tcp { port => 5000 host => \"0.0.0.0\" } } output { stdout { } }",
        "refusing to listen on 0.0.0.0 without authentication",
    );
    let mut s = settings(dir.path());
    s.ordered = pipeline::runtime::Ordered::True;
    let err = Agent::start("input { stdin { } }", s)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("pipeline.ordered"), "{err}");
}

/// The tcp input's connection metadata is there for whatever references it (here a sprintf
/// and a condition), and never indexed.
#[test]
fn tcp_connection_metadata_is_visible_to_references() {
    let dir = tempfile::tempdir().unwrap();
    let es = FakeEs::start();
    let tcp = free_addr();
    let config = format!(
        r#"input {{ tcp {{ port => {} codec => json_lines }} }}
filter {{
  mutate {{ add_field => {{ "peer" => "%{{[@metadata][input][tcp][source][ip]}}" }} }}
  if [@metadata][input][tcp][source][port] {{ mutate {{ add_tag => ["has_port"] }} }}
}}
output {{ elasticsearch {{ hosts => ["{}"] index => "meta" }} }}"#,
        tcp.port(),
        es.url()
    );
    let agent = Agent::start(&config, settings(dir.path())).unwrap();
    send_tcp(tcp, b"{\"a\":1}\n");
    wait_for("1 document", DEADLINE, || (es.count() == 1).then_some(())).unwrap();
    let src = es.sources().remove(0);
    assert_eq!(src["peer"], "127.0.0.1");
    assert_eq!(src["tags"], json!(["has_port"]));
    assert!(src.get("@metadata").is_none());
    agent.stop().unwrap();
}

/// The elasticsearch output's Logstash 8 options: `action` as a reference (index, create,
/// update with `doc_as_upsert` and `retry_on_conflict`, delete), the template installed through `_index_template`
/// before the first request (a legacy-format file wrapped into the composable shape), the
/// pre-8 SSL names and `document_type` accepted.
#[test]
fn elasticsearch_output_actions_and_template() {
    let dir = tempfile::tempdir().unwrap();
    let es = FakeEs::start();
    let template = dir.path().join("template.json");
    std::fs::write(
        &template,
        r#"{"template": "app-*", "order": 2, "settings": {"number_of_shards": 1}, "mappings": {"properties": {"level": {"type": "keyword"}}}}"#,
    )
    .unwrap();
    let tcp = free_addr();
    let config = format!(
        r#"input {{ tcp {{ port => {} codec => json_lines }} }}
filter {{ mutate {{ add_field => {{ "[@metadata][action]" => "%{{op}}" }} }} }}
output {{ elasticsearch {{
  hosts => ["{}"]
  index => "app-%{{+YYYY}}"
  action => "%{{[@metadata][action]}}"
  document_id => "%{{id}}"
  doc_as_upsert => true
  document_type => "_doc"
  ssl_certificate_verification => true
  template => "{}"
  template_name => "app"
  retry_on_conflict => 3
}} }}"#,
        tcp.port(),
        es.url(),
        template.display()
    );
    let agent = Agent::start(&config, settings(dir.path())).unwrap();
    test_support::wait_for_port(tcp, DEADLINE).unwrap();
    let lines = [
        r#"{"op":"index","id":"1","@timestamp":"2026-12-04T10:00:00Z","v":1}"#,
        r#"{"op":"update","id":"1","@timestamp":"2026-12-04T10:00:00Z","v":2}"#,
        r#"{"op":"delete","id":"1","@timestamp":"2026-12-04T10:00:00Z"}"#,
        r#"{"op":"bogus","id":"2","@timestamp":"2026-12-04T10:00:00Z"}"#,
        r#"{"op":"create","id":"3","@timestamp":"2026-12-04T10:00:00Z"}"#,
    ];
    for (i, l) in lines.iter().enumerate() {
        send_tcp(tcp, format!("{l}\n").as_bytes());
        // one at a time, so the actions arrive in order; the bogus one never reaches ES
        let want = lines[..=i].iter().filter(|x| !x.contains("bogus")).count();
        wait_for("the action", DEADLINE, || {
            (es.state.actions.lock().len() >= want).then_some(())
        })
        .unwrap();
    }
    wait_for("the bogus action dead-lettered", DEADLINE, || {
        let (_, stats) = agent.get("/_node/stats/pipelines");
        (stats["pipelines"]["main"]["plugins"]["outputs"][0]["documents"]["dlq_routed"] == 1)
            .then_some(())
    })
    .unwrap();
    let actions = es.state.actions.lock().clone();
    let ops: Vec<(&str, &str, &str)> = actions
        .iter()
        .map(|(op, meta, _)| {
            (
                op.as_str(),
                meta["_index"].as_str().unwrap(),
                meta["_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ops,
        [
            ("index", "app-2026", "1"),
            ("update", "app-2026", "1"),
            ("delete", "app-2026", "1"),
            ("create", "app-2026", "3")
        ]
    );
    assert_eq!(actions[1].2["doc_as_upsert"], true);
    // retry_on_conflict rides on the update's action line, and only there.
    assert_eq!(actions[1].1["retry_on_conflict"], 3, "{:?}", actions[1].1);
    assert!(actions[0].1.get("retry_on_conflict").is_none());
    assert_eq!(actions[1].2["doc"]["v"], 2);
    assert!(
        actions[0].1.get("_type").is_none(),
        "document_type must not be sent: {:?}",
        actions[0].1
    );
    let calls = es.state.calls.lock().clone();
    let put = calls
        .iter()
        .find(|(m, p, _)| m == "PUT" && p == "/_index_template/app")
        .unwrap_or_else(|| panic!("{calls:?}"));
    assert_eq!(
        put.2,
        json!({"index_patterns": "app-*", "priority": 2, "template": {"settings": {"number_of_shards": 1}, "mappings": {"properties": {"level": {"type": "keyword"}}}}})
    );
    let (_, stats) = agent.get("/_node/stats/pipelines");
    let es_stats = &stats["pipelines"]["main"]["plugins"]["outputs"][0];
    assert_eq!(
        es_stats["documents"]["dlq_routed"], 1,
        "the bogus action: {es_stats}"
    );
    agent.stop().unwrap();
}
