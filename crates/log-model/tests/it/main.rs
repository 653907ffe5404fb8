//! log-model through its public interface, data-driven.

use log_model::{
    Error, FieldRef, Level, LogEvent, Template, Timestamp, ecs, mapping, validate_index_name,
};
use serde_json::json;

fn ev(v: serde_json::Value) -> LogEvent {
    serde_json::from_value(v).unwrap()
}

#[test]
fn field_refs() {
    fn check(input: &str, expected: Result<&[&str], &str>) {
        let got = FieldRef::parse(input);
        match expected {
            Ok(segs) => assert_eq!(got.unwrap().segments(), segs, "{input}"),
            Err(msg) => assert_eq!(got.unwrap_err().to_string(), msg, "{input}"),
        }
    }
    check("duration", Ok(&["duration"]));
    check("@timestamp", Ok(&["@timestamp"]));
    check("[extra][duration]", Ok(&["extra", "duration"]));
    check("extra.duration", Ok(&["extra", "duration"]));
    check("[log.level]", Ok(&["log.level"]));
    check("", Err("invalid field reference \"\": empty"));
    check(
        "[a][]",
        Err("invalid field reference \"[a][]\": empty segment"),
    );
    check("[a", Err("invalid field reference \"[a\": unclosed `[`"));
    check(
        "[a]b",
        Err("invalid field reference \"[a]b\": expected `[`"),
    );
    check(
        "a..b",
        Err("invalid field reference \"a..b\": empty segment"),
    );
    check(
        "a[b]",
        Err("invalid field reference \"a[b]\": brackets must enclose every segment"),
    );
    assert_eq!(FieldRef::parse("a.b").unwrap().to_string(), "[a][b]");
}

#[test]
fn events_get_insert_remove_keep_order() {
    let mut e = ev(json!({"z": 1, "extra": {"duration": "1.5"}, "a": 2}));
    let d = FieldRef::parse("[extra][duration]").unwrap();
    assert_eq!(e.get(&d), Some(&json!("1.5")));
    assert_eq!(e.insert(&d, json!(1.5)), Some(json!("1.5")));
    e.insert(&FieldRef::parse("[new][deep][x]").unwrap(), json!(true));
    // A scalar in the way becomes an object, as in Logstash.
    e.insert(&FieldRef::parse("[z][inner]").unwrap(), json!(3));
    assert_eq!(
        String::from_utf8(e.to_json_vec()).unwrap(),
        r#"{"z":{"inner":3},"extra":{"duration":1.5},"a":2,"new":{"deep":{"x":true}}}"#
    );
    assert_eq!(
        e.remove(&FieldRef::parse("extra").unwrap()),
        Some(json!({"duration": 1.5}))
    );
    assert_eq!(e.remove(&FieldRef::parse("[nope][x]").unwrap()), None);
    assert_eq!(
        String::from_utf8(e.to_json_vec()).unwrap(),
        r#"{"z":{"inner":3},"a":2,"new":{"deep":{"x":true}}}"#
    );
}

#[test]
fn events_reject_non_objects() {
    fn check(input: &str, expected: &str) {
        assert_eq!(
            LogEvent::from_json_slice(input.as_bytes())
                .unwrap_err()
                .to_string(),
            expected
        );
    }
    check(
        "[1]",
        "invalid event: expected a JSON object, found an array",
    );
    check(
        "\"x\"",
        "invalid event: expected a JSON object, found a string",
    );
    check(
        "{\"a\":",
        "invalid event: EOF while parsing a value at line 1 column 5",
    );
}

#[test]
fn well_known_fields() {
    let e = ev(json!({
        "timestamp": "2026-11-24T10:00:00.5", "level": "WARNING", "message": "m",
        "user": "user3", "action": "login", "duration": "2.25", "source": "python-script",
        "tags": ["python", "webapp"], "host": "h1", "logger_name": "python-logstash-logger"
    }));
    assert_eq!(
        e.timestamp().unwrap().to_es_string(),
        "2026-11-24T10:00:00.500Z"
    );
    assert_eq!(e.level(), Some(Level::Warning));
    assert_eq!(e.message(), Some("m"));
    assert_eq!(e.user(), Some("user3"));
    assert_eq!(e.action(), Some("login"));
    assert_eq!(e.duration(), Some(2.25));
    assert_eq!(e.source(), Some("python-script"));
    assert_eq!(e.tags(), vec!["python", "webapp"]);
    assert_eq!(e.host(), Some("h1"));
    assert_eq!(e.logger(), Some("python-logstash-logger"));

    let ecs_shaped = ev(json!({
        "@timestamp": 1_700_000_000_000_i64, "log": {"level": "error", "logger": "app"},
        "user": {"name": "u"}, "event": {"action": "view", "duration": 1_500_000_000},
        "service": {"name": "svc"}, "host": {"name": "h"}
    }));
    assert_eq!(
        ecs_shaped.timestamp().unwrap().epoch_millis(),
        1_700_000_000_000
    );
    assert_eq!(ecs_shaped.level(), Some(Level::Error));
    assert_eq!(ecs_shaped.user(), Some("u"));
    assert_eq!(ecs_shaped.action(), Some("view"));
    assert_eq!(ecs_shaped.duration(), Some(1.5));
    assert_eq!(ecs_shaped.source(), Some("svc"));
    assert_eq!(ecs_shaped.host(), Some("h"));
    assert_eq!(ecs_shaped.logger(), Some("app"));
}

#[test]
fn tags() {
    let mut e = ev(json!({"tags": "one"}));
    e.add_tag("two");
    e.add_tag("two");
    assert_eq!(e.tags(), vec!["one", "two"]);
    e.remove_tag("one");
    assert_eq!(e.as_map()["tags"], json!(["two"]));
    let mut fresh = LogEvent::new();
    fresh.add_tag("_jsonparsefailure");
    assert_eq!(fresh.as_map()["tags"], json!(["_jsonparsefailure"]));
}

#[test]
fn levels() {
    fn check(input: &str, expected: Option<Level>) {
        assert_eq!(Level::parse(input).ok(), expected, "{input}");
    }
    check("DEBUG", Some(Level::Debug));
    check("info", Some(Level::Info));
    check("Warning", Some(Level::Warning));
    check("WARN", Some(Level::Warning));
    check("error", Some(Level::Error));
    check("CRITICAL", Some(Level::Critical));
    check("FATAL", Some(Level::Critical));
    check("notice", Some(Level::Info));
    check("err", Some(Level::Error));
    check("emerg", Some(Level::Critical));
    check("10", Some(Level::Debug));
    check("20", Some(Level::Info));
    check("30", Some(Level::Warning));
    check("35", Some(Level::Warning));
    check("40", Some(Level::Error));
    check("50", Some(Level::Critical));
    check("0", None);
    check("verbose", None);
    assert_eq!(
        Level::parse("loud").unwrap_err(),
        Error::InvalidLevel("loud".into())
    );
    assert!(Level::Warning < Level::Error && Level::Info < Level::Warning);
    let kept: Vec<_> = Level::ALL
        .iter()
        .filter(|l| **l >= Level::Warning)
        .collect();
    assert_eq!(kept, [&Level::Warning, &Level::Error, &Level::Critical]);
    assert_eq!(Level::from_syslog_severity(4), Some(Level::Warning));
    assert_eq!(Level::Warning.python_number(), 30);
    assert_eq!(Level::Warning.to_string(), "WARNING");
}

#[test]
fn timestamps() {
    fn check(input: &str, expected: &str) {
        let got = Timestamp::parse(input).map(|t| t.to_es_string());
        assert_eq!(got.unwrap_or_else(|e| e.to_string()), expected, "{input}");
    }
    check("2026-11-24T22:15:44Z", "2026-11-24T22:15:44.000Z");
    check("2026-11-24T22:15:44.123Z", "2026-11-24T22:15:44.123Z");
    check("2026-11-24T22:15:44.123+09:00", "2026-11-24T13:15:44.123Z");
    check("2026-11-24T22:15:44.123-0500", "2026-11-25T03:15:44.123Z");
    // Python's datetime.utcnow().isoformat(): no zone means UTC, microseconds.
    check("2026-11-24T22:15:44.123456", "2026-11-24T22:15:44.123Z");
    check("2026-11-24T22:15:44", "2026-11-24T22:15:44.000Z");
    // Python logging's asctime.
    check("2026-11-24 22:15:44,123", "2026-11-24T22:15:44.123Z");
    check("2026-11-24", "2026-11-24T00:00:00.000Z");
    check("1700000000000", "2023-11-14T22:13:20.000Z");
    check(
        "yesterday",
        "invalid timestamp \"yesterday\": expected RFC 3339, ISO 8601 without zone (UTC), a date, or epoch milliseconds",
    );
    check(
        "2026-13-01",
        "invalid timestamp \"2026-13-01\": not a date: input is out of range",
    );
    check("", "invalid timestamp \"\": empty");
    assert_eq!(
        Timestamp::from_epoch_millis(1_700_000_000_123)
            .unwrap()
            .epoch_millis(),
        1_700_000_000_123
    );
}

#[test]
fn joda_patterns() {
    let t = Timestamp::parse("2026-03-07T05:04:09.045Z").unwrap();
    fn check(t: &Timestamp, pattern: &str, expected: &str) {
        let got = t.format_joda(pattern).unwrap_or_else(|e| e.to_string());
        assert_eq!(got, expected, "{pattern}");
    }
    check(&t, "YYYY.MM.dd", "2026.03.07");
    check(
        &t,
        "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
        "2026-03-07T05:04:09.045+0000",
    );
    check(&t, "yy/M/d H:m:s", "26/3/7 5:4:9");
    check(&t, "MMM MMMM EEE EEEE", "Mar March Sat Saturday");
    check(&t, "xxxx.ww", "2026.10");
    check(&t, "hh a", "05 AM");
    check(&t, "'it''s' D", "it's 66");
    check(
        &t,
        "YYYY.MM.qq",
        "invalid date pattern \"YYYY.MM.qq\": unsupported letter 'q'",
    );
}

#[test]
fn templates() {
    let e = ev(json!({
        "@timestamp": "2026-11-24T23:59:59.999Z", "user": "user1",
        "extra": {"n": 3}, "tags": ["a", "b"], "f": 1.5, "obj": {"k": "v"}
    }));
    fn check(e: &LogEvent, template: &str, expected: &str) {
        let got = Template::parse(template).map(|t| t.render(e));
        assert_eq!(
            got.unwrap_or_else(|e| e.to_string()),
            expected,
            "{template}"
        );
    }
    check(&e, "python-logs-%{+YYYY.MM.dd}", "python-logs-2026.11.24");
    check(
        &e,
        "%{[user]}-%{user}-%{[extra][n]}-%{extra.n}",
        "user1-user1-3-3",
    );
    check(&e, "%{tags}|%{f}|%{obj}", "a,b|1.5|{\"k\":\"v\"}");
    check(&e, "missing-%{[nope]}", "missing-%{[nope]}");
    check(&e, "%{+%s}", "1795564799");
    check(&e, "plain", "plain");
    check(
        &e,
        "bad-%{user",
        "invalid template \"bad-%{user\": unclosed `%{`",
    );
    check(&e, "%{}", "invalid template \"%{}\": empty reference `%{}`");
    check(
        &e,
        "%{+YYYY.qq}",
        "invalid date pattern \"YYYY.qq\": unsupported letter 'q'",
    );
    // No @timestamp: the date reference stays as written, as Logstash leaves it.
    check(&ev(json!({})), "i-%{+YYYY}", "i-%{+YYYY}");

    let t = Template::parse("python-logs-%{+YYYY.MM.dd}").unwrap();
    assert!(!t.is_constant() && t.uses_date());
    assert_eq!(t.render_index(&e).unwrap(), "python-logs-2026.11.24");
    let upper = Template::parse("Logs-%{user}").unwrap();
    assert_eq!(
        upper.render_index(&e).unwrap_err().to_string(),
        "invalid index name [Logs-user1], must be lowercase"
    );
    let unresolved = Template::parse("logs-%{missing}").unwrap();
    assert_eq!(
        unresolved.render_index(&e).unwrap_err().to_string(),
        "invalid index name [logs-%{missing}], contains an unresolved sprintf reference"
    );
}

#[test]
fn index_names() {
    fn check(name: &str, expected: Result<(), &str>) {
        let got = validate_index_name(name).map_err(|e| e.to_string());
        assert_eq!(got, expected.map_err(str::to_owned), "{name}");
    }
    check("python-logs-2026.11.24", Ok(()));
    check(".kibana", Ok(()));
    check(
        "Python",
        Err("invalid index name [Python], must be lowercase"),
    );
    check("a#b", Err("invalid index name [a#b], must not contain '#'"));
    check("a:b", Err("invalid index name [a:b], must not contain ':'"));
    for bad in [
        "a\\b", "a/b", "a*b", "a?b", "a\"b", "a<b", "a>b", "a|b", "a,b", "a b",
    ] {
        check(
            bad,
            Err(&format!(
                "invalid index name [{bad}], must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?]"
            )),
        );
    }
    for bad in ["_a", "-a", "+a"] {
        check(
            bad,
            Err(&format!(
                "invalid index name [{bad}], must not start with '_', '-', or '+'"
            )),
        );
    }
    check(".", Err("invalid index name [.], must not be '.' or '..'"));
    for bad in ["a\nb", "a\0b", "a\u{7f}b"] {
        check(
            bad,
            Err(&format!(
                "invalid index name [{bad}], must not contain control characters"
            )),
        );
    }
    check("", Err("invalid index name [], must not be empty"));
    let long = "a".repeat(256);
    check(
        &long,
        Err(&format!(
            "invalid index name [{long}], index name is too long, (256 > 255)"
        )),
    );
    check(&"a".repeat(255), Ok(()));
}

#[test]
fn seed_mapping_is_the_seed_body() {
    assert_eq!(
        mapping::seed().to_string(),
        r#"{"mappings":{"properties":{"timestamp":{"type":"date"},"level":{"type":"keyword"},"message":{"type":"text"},"user":{"type":"keyword"},"action":{"type":"keyword"},"duration":{"type":"float"},"source":{"type":"keyword"}}}}"#
    );
    let ecs = mapping::ecs();
    let props = &ecs["mappings"]["properties"];
    assert_eq!(props["event"]["properties"]["duration"]["type"], "long");
    assert_eq!(props["log"]["properties"]["level"]["type"], "keyword");
    assert_eq!(props["ecs"]["properties"]["version"]["type"], "keyword");
}

#[test]
fn ecs_round_trip() {
    let seed = ev(json!({
        "timestamp": "2026-11-24T10:00:00.000Z", "level": "INFO", "message": "User user1 performed login in 1.25s",
        "user": "user1", "action": "login", "duration": 1.25, "source": "python-script",
        "tags": ["python", "webapp"], "custom": {"k": 1}
    }));
    let e = ecs::seed_to_ecs(&seed);
    assert_eq!(
        serde_json::Value::Object(e.as_map().clone()),
        json!({
            "@timestamp": "2026-11-24T10:00:00.000Z", "log": {"level": "INFO"},
            "message": "User user1 performed login in 1.25s", "user": {"name": "user1"},
            "event": {"action": "login", "duration": 1_250_000_000_i64}, "service": {"name": "python-script"},
            "tags": ["python", "webapp"], "custom": {"k": 1}, "ecs": {"version": "8.11.0"}
        })
    );
    let back = ecs::ecs_to_seed(&e);
    assert_eq!(
        serde_json::Value::Object(back.as_map().clone()),
        serde_json::Value::Object(seed.as_map().clone())
    );
    // A numeric string duration (before Logstash's mutate convert) still scales.
    let s = ecs::seed_to_ecs(&ev(json!({"duration": "0.5"})));
    assert_eq!(s.as_map()["event"]["duration"], json!(500_000_000));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn timestamp_round_trips_through_es_form(ms in -62_000_000_000_000_i64..253_000_000_000_000_i64) {
            let t = Timestamp::from_epoch_millis(ms).unwrap();
            let back = Timestamp::parse(&t.to_es_string()).unwrap();
            prop_assert_eq!(back.epoch_millis(), ms);
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,40}") {
            let _ = Timestamp::parse(&s);
            let _ = Level::parse(&s);
            let _ = FieldRef::parse(&s);
            if let Ok(t) = Template::parse(&s) {
                let _ = t.render(&LogEvent::new());
            }
            let _ = validate_index_name(&s);
        }
    }
}

/// The `lazy_event` fuzz target's corpus and crash reproducers (`fuzz/`), replayed: the lazy
/// parse accepts exactly the objects serde_json accepts.
#[test]
fn fuzz_corpus_lazy_and_full_parses_agree() {
    // serde_json's `raw_value` feature reserves this key: a `Value` cannot hold an object with
    // it, so the full parse is no oracle there (the fuzzer found it; its reproducer is kept)
    let token = b"$serde_json::private::RawValue";
    for (path, bytes) in test_support::fuzz_inputs("lazy_event") {
        if bytes.windows(token.len()).any(|w| w == token) {
            continue;
        }
        let lazy = LogEvent::from_json_bytes(bytes::Bytes::from(bytes.clone()));
        let full = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .filter(serde_json::Value::is_object);
        assert_eq!(lazy.is_ok(), full.is_some(), "{}", path.display());
    }
}
