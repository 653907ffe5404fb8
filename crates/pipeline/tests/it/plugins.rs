//! The filters besides grok, mutate, date and json: Logstash's documented examples as facts,
//! and the registry's refusals.

use log_model::LogEvent;
use pipeline::config;
use pipeline::filter::{FilterChain, FilterOutcome};
use serde_json::{Value, json};

fn chain(filter_body: &str) -> FilterChain {
    let text = format!("filter {{\n{filter_body}\n}}");
    let p = config::parse_str("p.conf", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    FilterChain::build(&p.filters).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// `(input event, expected event)` pairs through `filter_body`.
fn check(filter_body: &str, cases: &[(Value, Value)]) {
    let c = chain(filter_body);
    for (input, want) in cases {
        let Value::Object(m) = input.clone() else {
            panic!()
        };
        let mut ev = LogEvent::from_map(m);
        assert_eq!(
            c.process(&mut ev),
            FilterOutcome::Keep,
            "{filter_body}\n{input}"
        );
        assert_eq!(
            &Value::Object(ev.into_map()),
            want,
            "{filter_body}\ninput: {input}"
        );
    }
}

fn msg(m: &str) -> Value {
    json!({ "message": m })
}

#[test]
fn dissect() {
    // logstash-filter-dissect's documented example
    let line = "Apr 26 12:20:02 localhost systemd[1]: Starting system activity accounting tool...";
    check(
        r#"dissect { mapping => { "message" => "%{ts} %{+ts} %{+ts} %{src} %{prog}[%{pid}]: %{msg}" } }"#,
        &[(
            msg(line),
            json!({"message": line, "ts": "Apr 26 12:20:02", "src": "localhost", "prog": "systemd",
                   "pid": "1", "msg": "Starting system activity accounting tool..."}),
        )],
    );
    check(
        r#"dissect { mapping => { "message" => "%{?k}=%{&k} %{} %{n->} %{last}" } convert_datatype => { "n" => "int" } }"#,
        &[
            (
                msg("user=bob skip 7    end"),
                json!({"message": "user=bob skip 7    end", "user": "bob", "n": 7, "last": "end"}),
            ),
            (
                msg("no delimiters"),
                json!({"message": "no delimiters", "tags": ["_dissectfailure"]}),
            ),
        ],
    );
}

#[test]
fn kv() {
    // logstash-filter-kv's documented example
    check(
        "kv { }",
        &[(
            msg("ip=1.2.3.4 error=REFUSED"),
            json!({"message": "ip=1.2.3.4 error=REFUSED", "ip": "1.2.3.4", "error": "REFUSED"}),
        )],
    );
    check(
        r#"kv { field_split => "&?" prefix => "q_" include_keys => ["id", "tag"] }"#,
        &[(
            msg("/page?id=7&tag=a&tag=b&x=1"),
            json!({"message": "/page?id=7&tag=a&tag=b&x=1", "q_id": "7", "q_tag": ["a", "b"]}),
        )],
    );
    check(
        r#"kv { source => "line" target => "kv" default_keys => { "level" => "info" } }"#,
        &[(
            json!({"line": "msg=\"hello world\" code=(42) empty="}),
            json!({"line": "msg=\"hello world\" code=(42) empty=", "kv": {"msg": "hello world", "code": "42", "level": "info"}}),
        )],
    );
}

#[test]
fn csv() {
    check(
        r#"csv { columns => ["ts", "user", "amount"] convert => { "amount" => "float" } }"#,
        &[
            (
                msg("2026-12-04,alice,12.5"),
                json!({"message": "2026-12-04,alice,12.5", "ts": "2026-12-04", "user": "alice", "amount": 12.5}),
            ),
            (
                msg("x,\"Smith, J\"\"r\"\"\",3,extra"),
                json!({"message": "x,\"Smith, J\"\"r\"\"\",3,extra", "ts": "x", "user": "Smith, J\"r\"", "amount": 3.0, "column4": "extra"}),
            ),
            (
                msg("a,\"open"),
                json!({"message": "a,\"open", "tags": ["_csvparsefailure"]}),
            ),
        ],
    );
    check(
        r#"csv { separator => ";" skip_empty_columns => true target => "row" }"#,
        &[(
            msg("a;;c"),
            json!({"message": "a;;c", "row": {"column1": "a", "column3": "c"}}),
        )],
    );
}

#[test]
fn fingerprint() {
    check(
        r#"fingerprint { method => "SHA256" source => ["message"] target => "fp" }"#,
        &[(
            msg("hello"),
            json!({"message": "hello", "fp": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}),
        )],
    );
    check(
        r#"fingerprint { method => "MURMUR3" target => "fp" }"#,
        &[(msg("hello"), json!({"message": "hello", "fp": 613_153_351}))],
    );
    check(
        r#"fingerprint { method => "SHA1" source => ["a", "b"] concatenate_sources => true target => "fp" }"#,
        &[(
            json!({"a": "1", "b": "2"}),
            json!({"a": "1", "b": "2", "fp": "47d7ead16239ee4ea1c05f4c7577a241c5506404"}),
        )],
    );
}

#[test]
fn syslog_pri() {
    check(
        "syslog_pri { }",
        &[
            (
                json!({"log": {"syslog": {"priority": 13}}}),
                json!({"log": {"syslog": {"priority": 13,
                "facility": {"code": 1, "name": "user-level"}, "severity": {"code": 5, "name": "notice"}}}}),
            ),
            (
                json!({"log": {"syslog": {"priority": "86"}}}),
                json!({"log": {"syslog": {"priority": "86",
                "facility": {"code": 10, "name": "security/authorization"}, "severity": {"code": 6, "name": "informational"}}}}),
            ),
        ],
    );
    check(
        "syslog_pri { ecs_compatibility => disabled }",
        &[(
            json!({"syslog_pri": "0"}),
            json!({"syslog_pri": "0", "syslog_facility_code": 0, "syslog_facility": "kernel", "syslog_severity_code": 0, "syslog_severity": "emergency"}),
        )],
    );
}

#[test]
fn small_filters() {
    check(
        r#"truncate { length_bytes => 4 fields => ["message"] }"#,
        &[(msg("héllo"), json!({"message": "hél"}))],
    );
    check(
        r#"urldecode { field => "q" }"#,
        &[
            (json!({"q": "a%20b+c%2Fd"}), json!({"q": "a b c/d"})),
            (
                json!({"q": "%ff"}),
                json!({"q": "%ff", "tags": ["_urldecodefailure"]}),
            ),
        ],
    );
    check(
        r#"prune { whitelist_names => ["^message$", "^keep"] }"#,
        &[(
            json!({"message": "m", "keep_me": 1, "drop_me": 2}),
            json!({"message": "m", "keep_me": 1}),
        )],
    );
    check(
        r#"translate { source => "status" target => "status_text" dictionary => { "200" => "OK" "404" => "Not Found" } fallback => "unknown %{status}" }"#,
        &[
            (
                json!({"status": "404"}),
                json!({"status": "404", "status_text": "Not Found"}),
            ),
            (
                json!({"status": 200}),
                json!({"status": 200, "status_text": "OK"}),
            ),
            (
                json!({"status": "503"}),
                json!({"status": "503", "status_text": "unknown 503"}),
            ),
        ],
    );
    check(
        r#"cidr { address => ["%{ip}"] network => ["10.0.0.0/8", "fd00::/8"] add_tag => ["internal"] }"#,
        &[
            (
                json!({"ip": "10.1.2.3"}),
                json!({"ip": "10.1.2.3", "tags": ["internal"]}),
            ),
            (json!({"ip": "8.8.8.8"}), json!({"ip": "8.8.8.8"})),
            (
                json!({"ip": "fd12::1"}),
                json!({"ip": "fd12::1", "tags": ["internal"]}),
            ),
        ],
    );
    let c = chain(r#"uuid { target => "id" }"#);
    let mut ev = LogEvent::from_map(serde_json::Map::new());
    c.process(&mut ev);
    let id = ev.as_map()["id"].as_str().unwrap().to_owned();
    assert_eq!((id.len(), id.chars().nth(14)), (36, Some('4')), "{id}");
}

#[test]
fn translate_dictionary_files() {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [
        ("d.yml", "\"200\": OK\n'404': \"Not Found\"\n"),
        ("d.json", r#"{"200": "OK", "404": "Not Found"}"#),
        ("d.csv", "200,OK\n404,Not Found\n"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        check(
            &format!(
                r#"translate {{ source => "s" target => "t" dictionary_path => "{}" }}"#,
                path.display()
            ),
            &[(json!({"s": "404"}), json!({"s": "404", "t": "Not Found"}))],
        );
    }
}

#[test]
fn jvm_bound_and_unported_plugins_are_refused_by_name() {
    let cases = [
        (
            "filter { ruby { code => \"x\" } }",
            "p.conf:1:10: filter plugin [ruby] is not supported by sluice-agent (it needs the JVM)",
        ),
        (
            "filter { jdbc_streaming { jdbc_driver_library => \"x\" } }",
            "filter plugin [jdbc_streaming] is not supported by sluice-agent (it needs the JVM)",
        ),
        (
            "filter { xml { source => \"body\" } }",
            "filter plugin [xml] is not supported by sluice-agent yet",
        ),
        (
            "filter { nosuchfilter { } }",
            "Couldn't find any filter plugin named 'nosuchfilter'",
        ),
    ];
    for (text, want) in cases {
        let p = config::parse_str("p.conf", text).unwrap();
        let err = FilterChain::build(&p.filters).unwrap_err().to_string();
        assert!(err.contains(want), "{text}\n got: {err}\nwant: {want}");
    }
}

/// `process_batch` over `inputs`: the events that come out, in order.
fn batch(filter_body: &str, inputs: &[Value]) -> (Vec<Value>, u64) {
    let c = chain(filter_body);
    let mut events: Vec<LogEvent> = inputs
        .iter()
        .map(|v| LogEvent::from_map(v.as_object().unwrap().clone()))
        .collect();
    let dropped = c.process_batch(&mut events);
    (
        events
            .into_iter()
            .map(|e| Value::Object(e.into_map()))
            .collect(),
        dropped,
    )
}

#[test]
fn clone_and_split_make_events_that_run_through_the_rest_of_the_section() {
    // the clone goes on after the clone filter: it meets the conditional, the original too
    let (out, dropped) = batch(
        r#"mutate { add_tag => ["before"] }
           clone { clones => ["archive"] add_field => { "copy" => "yes" } }
           if "archive" in [tags] { mutate { add_tag => ["archived"] } } else { mutate { add_tag => ["live"] } }"#,
        &[msg("a")],
    );
    assert_eq!(dropped, 0);
    assert_eq!(
        out,
        [
            json!({"message": "a", "tags": ["before", "live"]}),
            json!({"message": "a", "tags": ["before", "archive", "archived"], "copy": "yes"}),
        ]
    );
    // legacy: the clone's name as its type
    let (out, _) = batch(
        r#"clone { clones => ["x"] ecs_compatibility => disabled }"#,
        &[msg("a")],
    );
    assert_eq!(out, [msg("a"), json!({"message": "a", "type": "x"})]);
    // split: the original is dropped, one event per piece, each through the later filters
    let (out, dropped) = batch(
        r#"split { field => "records" target => "record" }
           mutate { add_field => { "id" => "%{[record][id]}" } }"#,
        &[
            json!({"records": [{"id": 1}, {"id": 2}], "batch": "b1"}),
            json!({"records": "not a list"}),
        ],
    );
    assert_eq!(dropped, 2);
    assert_eq!(
        out,
        [
            json!({"batch": "b1", "record": {"id": 1}, "id": "1"}),
            json!({"batch": "b1", "record": {"id": 2}, "id": "2"}),
            json!({"record": "not a list", "id": "%{[record][id]}"}),
        ]
    );
    let (out, _) = batch(r#"split { }"#, &[msg("l1\nl2\n\nl3"), json!({"other": 1})]);
    assert_eq!(
        out,
        [
            msg("l1"),
            msg("l2"),
            msg("l3"),
            json!({"other": 1, "tags": ["_split_type_failure"]})
        ]
    );
    // a split inside a conditional resumes inside it, then after it
    let (out, _) = batch(
        r#"if [kind] == "multi" { split { field => "v" } mutate { add_tag => ["inner"] } }
           mutate { add_tag => ["outer"] }"#,
        &[json!({"kind": "multi", "v": [1, 2]})],
    );
    assert_eq!(
        out,
        [
            json!({"kind": "multi", "v": 1, "tags": ["inner", "outer"]}),
            json!({"kind": "multi", "v": 2, "tags": ["inner", "outer"]}),
        ]
    );
}

#[test]
fn options_that_would_be_ignored_are_refused_by_name() {
    let cases = [
        (
            "output { elasticsearch { routing => \"%{tenant}\" } }",
            "routing is not supported by sluice-agent",
        ),
        (
            "output { elasticsearch { sniffing => true } }",
            "sniffing is not supported by sluice-agent",
        ),
        (
            "input { file { path => \"/var/log/x.log\" ignore_older => 3600 } }",
            "ignore_older is not supported by sluice-agent",
        ),
        (
            "input { beats { port => 5044 tls_min_version => 1.2 } }",
            "tls_min_version is not supported by sluice-agent",
        ),
    ];
    for (text, want) in cases {
        let p = config::parse_str("o.conf", &format!("{text}\ninput {{ stdin {{ }} }}")).unwrap();
        let force = tokio_util::sync::CancellationToken::new();
        let err = pipeline::runtime::build(&p, &pipeline::runtime::Settings::default(), &force)
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{text}\n got: {err}\nwant: {want}");
    }
}

/// A tiny DNS server for the `dns` filter: answers A and PTR questions from `zone` (name →
/// address), NXDOMAIN for anything else; counts the questions it got. `silent` never answers.
struct DnsServer {
    addr: std::net::SocketAddr,
    questions: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl DnsServer {
    fn start(zone: &[(&str, [u8; 4])], silent: bool) -> DnsServer {
        use std::sync::atomic::Ordering;
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = sock.local_addr().unwrap();
        let questions = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = questions.clone();
        let zone: Vec<(String, [u8; 4])> =
            zone.iter().map(|(n, a)| ((*n).to_owned(), *a)).collect();
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while let Ok((n, peer)) = sock.recv_from(&mut buf) {
                counted.fetch_add(1, Ordering::SeqCst);
                if silent || n < 17 {
                    continue;
                }
                // The question: labels from byte 12, then type and class.
                let (mut labels, mut pos) = (Vec::new(), 12);
                while buf[pos] != 0 {
                    let len = usize::from(buf[pos]);
                    labels.push(String::from_utf8_lossy(&buf[pos + 1..pos + 1 + len]).into_owned());
                    pos += 1 + len;
                }
                let qname = labels.join(".");
                let qtype = u16::from_be_bytes([buf[pos + 1], buf[pos + 2]]);
                let qend = pos + 5;
                let rdata: Option<Vec<u8>> = match qtype {
                    1 => zone
                        .iter()
                        .find(|(n, _)| *n == qname)
                        .map(|(_, a)| a.to_vec()),
                    12 => zone
                        .iter()
                        .find(|(_, a)| {
                            format!("{}.{}.{}.{}.in-addr.arpa", a[3], a[2], a[1], a[0]) == qname
                        })
                        .map(|(name, _)| {
                            let mut d = Vec::new();
                            for l in name.split('.') {
                                d.push(l.len() as u8);
                                d.extend_from_slice(l.as_bytes());
                            }
                            d.push(0);
                            d
                        }),
                    _ => None,
                };
                let mut out = buf[..qend].to_vec();
                out[2] = 0x81;
                out[3] = if rdata.is_some() || qtype == 28 {
                    0x80
                } else {
                    0x83
                };
                out[6..8].copy_from_slice(&u16::from(rdata.is_some()).to_be_bytes());
                if let Some(d) = rdata {
                    out.extend_from_slice(&[0xc0, 12]);
                    out.extend_from_slice(&qtype.to_be_bytes());
                    out.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
                    out.extend_from_slice(&(d.len() as u16).to_be_bytes());
                    out.extend_from_slice(&d);
                }
                let _ = sock.send_to(&out, peer);
            }
        });
        DnsServer { addr, questions }
    }

    fn questions(&self) -> usize {
        self.questions.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[test]
fn dns_from_a_hosts_file() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(
        &hosts,
        "# test hosts\n10.1.2.3  web01.example.net web01\n::1 six.example.net\n",
    )
    .unwrap();
    let h = hosts.display();
    check(
        &format!(
            r#"dns {{ resolve => ["host"] reverse => ["ip"] hostsfile => ["{h}"] nameserver => ["127.0.0.1:9"] timeout => 0.1 max_retries => 0 add_tag => ["resolved"] }}"#
        ),
        &[(
            json!({"host": "web01", "ip": "::1"}),
            json!({"host": ["web01", "10.1.2.3"], "ip": ["::1", "six.example.net"], "tags": ["resolved"]}),
        )],
    );
    check(
        &format!(
            r#"dns {{ reverse => ["ip"] action => "replace" hostsfile => ["{h}"] nameserver => ["127.0.0.1:9"] timeout => 0.1 max_retries => 0 }}"#
        ),
        &[
            (
                json!({"ip": "10.1.2.3"}),
                json!({"ip": "web01.example.net"}),
            ),
            // Not an IP address: the event is left as it was.
            (json!({"ip": "web01"}), json!({"ip": "web01"})),
        ],
    );
}

#[test]
fn dns_against_a_name_server() {
    let server = DnsServer::start(&[("db.internal", [192, 168, 7, 9])], false);
    let ns = server.addr;
    check(
        &format!(
            r#"dns {{ resolve => ["name"] reverse => ["addr"] action => "replace" nameserver => {{ address => ["{ns}"] }} hit_cache_size => 10 add_field => {{ "looked_up" => "yes" }} }}"#
        ),
        &[
            (
                json!({"name": "db.internal", "addr": "192.168.7.9"}),
                json!({"name": "192.168.7.9", "addr": "db.internal", "looked_up": "yes"}),
            ),
            // Both answers come from the cache: no more questions.
            (
                json!({"name": "db.internal", "addr": "192.168.7.9"}),
                json!({"name": "192.168.7.9", "addr": "db.internal", "looked_up": "yes"}),
            ),
            // One lookup fails (NXDOMAIN): nothing changes, not even the resolvable field.
            (
                json!({"name": "db.internal", "addr": "10.9.9.9"}),
                json!({"name": "db.internal", "addr": "10.9.9.9"}),
            ),
        ],
    );
    // First event: A, then PTR; the third: the PTR of 10.9.9.9 (the A is a cache hit).
    assert_eq!(server.questions(), 3);
    // The search list and ndots: `db` is asked as `db.internal`.
    check(
        &format!(
            r#"dns {{ resolve => ["name"] nameserver => {{ address => ["{ns}"] search => ["internal"] }} }}"#
        ),
        &[(
            json!({"name": "db"}),
            json!({"name": ["db", "192.168.7.9"]}),
        )],
    );
}

#[test]
fn dns_timeouts_are_tagged() {
    let server = DnsServer::start(&[], true);
    check(
        &format!(
            r#"dns {{ reverse => ["ip"] nameserver => ["{}"] timeout => 0.05 max_retries => 1 }}"#,
            server.addr
        ),
        &[(
            json!({"ip": "10.0.0.1"}),
            json!({"ip": "10.0.0.1", "tags": ["_dnstimeout"]}),
        )],
    );
    // One question and one retry.
    assert_eq!(server.questions(), 2);
}

#[test]
fn dns_refuses_bad_settings() {
    for (body, want) in [
        (r#"dns { resolve => ["h"] timeout => 0 }"#, "timeout"),
        (
            r#"dns { resolve => ["h"] nameserver => ["not-an-ip"] }"#,
            "not an IP address: not-an-ip",
        ),
        (
            r#"dns { resolve => ["h"] hostsfile => ["/nonexistent/hosts"] }"#,
            "cannot read /nonexistent/hosts",
        ),
        (r#"dns { resolve => ["h"] action => "prepend" }"#, "action"),
    ] {
        let p = config::parse_str("p.conf", &format!("filter {{ {body} }}")).unwrap();
        let err = FilterChain::build(&p.filters).unwrap_err().to_string();
        assert!(err.contains(want), "{body}: {err}");
    }
}

/// Events made by `clone` and `split` get their own ingest id, derived from their parent's,
/// the same on every run (a replayed event must send the ids it sent before).
#[test]
fn copies_get_their_own_ingest_ids() {
    let id = |v: &Value| {
        v["@metadata"]["ingest_id"]
            .as_str()
            .unwrap_or("-")
            .to_owned()
    };
    let input = json!({"message": "a", "records": [1, 2], "@metadata": {"ingest_id": "T-1"}});
    let run = || {
        batch(
            r#"clone { clones => ["x", "y"] }
               split { field => "records" }"#,
            std::slice::from_ref(&input),
        )
        .0
    };
    let out = run();
    let ids: Vec<String> = out.iter().map(id).collect();
    // the original spawned two clones (.1, .2) and, split, two pieces (.3, .4); each clone
    // was split in turn
    assert_eq!(
        ids,
        ["T-1.1.1", "T-1.1.2", "T-1.2.1", "T-1.2.2", "T-1.3", "T-1.4"]
    );
    assert_eq!(run(), out, "the same ids on every run");
    // without an ingest id, none is made up
    let (out, _) = batch(r#"clone { clones => ["x"] }"#, &[msg("a")]);
    assert!(out.iter().all(|v| v.get("@metadata").is_none()), "{out:?}");
}
