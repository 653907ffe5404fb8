//! grok through the filter interface: Logstash's documented examples as facts, real log lines
//! of our own (Apache/nginx combined, syslog), and Logstash's capture semantics.

use log_model::LogEvent;
use pipeline::config;
use pipeline::filter::{FilterChain, FilterOutcome};
use serde_json::{Value, json};

fn run(filter_body: &str, input: Value) -> Value {
    let text = format!("filter {{\n{filter_body}\n}}");
    let p = config::parse_str("g.conf", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let chain = FilterChain::build(&p.filters).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let Value::Object(m) = input else {
        panic!("not an object")
    };
    let mut ev = LogEvent::from_map(m);
    assert_eq!(chain.process(&mut ev), FilterOutcome::Keep);
    Value::Object(ev.into_map())
}

/// Runs `filter_body` on `{"message": line}` and compares the whole event.
fn check(filter_body: &str, cases: &[(&str, Value)]) {
    for (line, want) in cases {
        let got = run(filter_body, json!({ "message": line }));
        assert_eq!(&got, want, "config: {filter_body}\nline: {line}");
    }
}

fn build_err(filter_body: &str) -> String {
    let text = format!("filter {{\n{filter_body}\n}}");
    let p = config::parse_str("g.conf", &text).unwrap();
    FilterChain::build(&p.filters).unwrap_err().to_string()
}

#[test]
fn logstash_documentation_example() {
    // The grok docs' own example: "55.3.244.1 GET /index.html 15824 0.043".
    check(
        r#"grok { match => { "message" => "%{IP:client} %{WORD:method} %{URIPATHPARAM:request} %{NUMBER:bytes} %{NUMBER:duration}" } }"#,
        &[(
            "55.3.244.1 GET /index.html 15824 0.043",
            json!({"message": "55.3.244.1 GET /index.html 15824 0.043", "client": "55.3.244.1",
                   "method": "GET", "request": "/index.html", "bytes": "15824", "duration": "0.043"}),
        )],
    );
}

const APACHE: &str = r#"192.168.1.20 - alice [10/Oct/2026:13:55:36 +0000] "GET /shop/cart?id=7 HTTP/1.1" 200 2326 "https://example.com/shop" "Mozilla/5.0 (X11; Linux x86_64)""#;
const NGINX: &str = r#"10.0.0.5 - - [04/Dec/2026:07:15:01 +0100] "POST /api/v1/login HTTP/2.0" 401 - "-" "curl/8.5.0""#;

#[test]
fn combined_apache_log_with_ecs_names_by_default() {
    check(
        r#"grok { match => { "message" => "%{COMBINEDAPACHELOG}" } }"#,
        &[
            (
                APACHE,
                json!({"message": APACHE,
                    "source": {"address": "192.168.1.20"}, "user": {"name": "alice"},
                    "timestamp": "10/Oct/2026:13:55:36 +0000",
                    "http": {"request": {"method": "GET", "referrer": "https://example.com/shop"},
                             "version": "1.1", "response": {"status_code": 200, "body": {"bytes": 2326}}},
                    "url": {"original": "/shop/cart?id=7"},
                    "user_agent": {"original": "Mozilla/5.0 (X11; Linux x86_64)"}}),
            ),
            (
                NGINX,
                json!({"message": NGINX, "source": {"address": "10.0.0.5"},
                    "timestamp": "04/Dec/2026:07:15:01 +0100",
                    "http": {"request": {"method": "POST"}, "version": "2.0",
                             "response": {"status_code": 401}},
                    "url": {"original": "/api/v1/login"},
                    "user_agent": {"original": "curl/8.5.0"}}),
            ),
        ],
    );
}

#[test]
fn combined_apache_log_with_legacy_names() {
    check(
        r#"grok { ecs_compatibility => disabled match => { "message" => "%{COMBINEDAPACHELOG}" } }"#,
        &[(
            APACHE,
            json!({"message": APACHE, "clientip": "192.168.1.20", "ident": "-", "auth": "alice",
                "timestamp": "10/Oct/2026:13:55:36 +0000", "verb": "GET", "request": "/shop/cart?id=7",
                "httpversion": "1.1", "response": "200", "bytes": "2326",
                "referrer": "\"https://example.com/shop\"", "agent": "\"Mozilla/5.0 (X11; Linux x86_64)\""}),
        )],
    );
}

const SYSLOG: &str = "Dec  4 07:15:01 web01 CRON[12345]: (root) CMD (run-parts /etc/cron.hourly)";

#[test]
fn syslog_line_and_the_existing_message_field() {
    // Without overwrite, a capture into a field that exists makes an array (Logstash).
    check(
        r#"grok { ecs_compatibility => disabled match => { "message" => "%{SYSLOGLINE}" } }"#,
        &[(
            SYSLOG,
            json!({"message": [SYSLOG, "(root) CMD (run-parts /etc/cron.hourly)"],
                "timestamp": "Dec  4 07:15:01", "logsource": "web01", "program": "CRON", "pid": "12345"}),
        )],
    );
    check(
        r#"grok {
             match => { "message" => "%{SYSLOGTIMESTAMP:[system][syslog][timestamp]} %{SYSLOGHOST:[host][hostname]} %{DATA:[process][name]}(?:\[%{POSINT:[process][pid]:int}\])?: %{GREEDYDATA:message}" }
             overwrite => ["message"]
           }"#,
        &[(
            SYSLOG,
            json!({"message": "(root) CMD (run-parts /etc/cron.hourly)",
                "system": {"syslog": {"timestamp": "Dec  4 07:15:01"}}, "host": {"hostname": "web01"},
                "process": {"name": "CRON", "pid": 12345}}),
        )],
    );
}

#[test]
fn several_patterns_are_tried_in_order_and_break_on_match() {
    let cfg = r#"grok { match => { "message" => [
        "%{IP:ip} %{WORD:verb}",
        "%{WORD:verb} %{NUMBER:n:float}",
        "%{WORD:word}"
    ] } }"#;
    check(
        cfg,
        &[
            (
                "1.2.3.4 GET",
                json!({"message": "1.2.3.4 GET", "ip": "1.2.3.4", "verb": "GET"}),
            ),
            (
                "take 2.5",
                json!({"message": "take 2.5", "verb": "take", "n": 2.5}),
            ),
            ("hello", json!({"message": "hello", "word": "hello"})),
            (
                "!!!",
                json!({"message": "!!!", "tags": ["_grokparsefailure"]}),
            ),
        ],
    );
    // break_on_match => false: every pattern that matches adds its fields
    check(
        r#"grok { break_on_match => false match => { "message" => ["%{IP:ip}", "%{WORD:verb}$"] } }"#,
        &[(
            "1.2.3.4 GET",
            json!({"message": "1.2.3.4 GET", "ip": "1.2.3.4", "verb": "GET"}),
        )],
    );
}

#[test]
fn custom_patterns_named_groups_and_options() {
    check(
        r#"grok {
             pattern_definitions => { "QUEUEID" => "[0-9A-F]{10,11}" }
             match => { "message" => "%{QUEUEID:queue_id}: (?<action>[a-z]+) %{INT:size:int}" }
             add_tag => ["mail"]
           }"#,
        &[(
            "BEF25A72965: removed 42",
            json!({"message": "BEF25A72965: removed 42", "queue_id": "BEF25A72965",
                   "action": "removed", "size": 42, "tags": ["mail"]}),
        )],
    );
    // keep_empty_captures, target, tag_on_failure
    check(
        r#"grok { keep_empty_captures => true target => "[parsed]" match => { "message" => "^(?<a>x*)-%{WORD:b}" } }"#,
        &[(
            "-y",
            json!({"message": "-y", "parsed": {"a": "", "b": "y"}}),
        )],
    );
    check(
        r#"grok { tag_on_failure => ["nope", "_x"] match => { "message" => "^%{INT}$" } }"#,
        &[("abc", json!({"message": "abc", "tags": ["nope", "_x"]}))],
    );
    // a missing source field is a failure, as in Logstash
    let got = run(
        r#"grok { match => { "other" => "%{WORD:w}" } }"#,
        json!({"message": "x"}),
    );
    assert_eq!(got, json!({"message": "x", "tags": ["_grokparsefailure"]}));
    // (?m): Ruby's dot-all
    check(
        r#"grok { match => { "message" => "(?m)^%{WORD:first}%{GREEDYDATA:rest}" } }"#,
        &[(
            "a\nb",
            json!({"message": "a\nb", "first": "a", "rest": "\nb"}),
        )],
    );
}

#[test]
fn patterns_dir_files_are_loaded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app"), "# app patterns\nAPPLEVEL (?:TRACE|DEBUG|INFO|WARN|ERROR)\nAPPLINE \\[%{APPLEVEL:level}\\] %{GREEDYDATA:text}\n").unwrap();
    let cfg = format!(
        r#"grok {{ patterns_dir => ["{}"] match => {{ "message" => "%{{APPLINE}}" }} }}"#,
        dir.path().display()
    );
    check(
        &cfg,
        &[(
            "[WARN] disk 91% full",
            json!({"message": "[WARN] disk 91% full", "level": "WARN", "text": "disk 91% full"}),
        )],
    );
}

#[test]
fn pattern_errors_name_the_pattern_at_the_option() {
    let err = build_err(r#"  grok { match => { "message" => "%{NOSUCHPATTERN:x}" } }"#);
    assert!(
        err.starts_with("g.conf:2:10: Cannot register grok filter plugin"),
        "{err}"
    );
    assert!(
        err.contains("pattern %{NOSUCHPATTERN} not defined"),
        "{err}"
    );
    let err = build_err(r#"  grok { match => { "message" => "%{INT:x:double}" } }"#);
    assert!(err.contains("invalid type \"double\""), "{err}");
}
