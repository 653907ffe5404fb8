//! The tracing layer: field mapping, level filter, layouts.

use std::time::Duration;

use serde_json::{Value, json};
use shipper::{Format, LayerBuilder, Shipper, ShipperLayer, Transport};
use tracing_subscriber::layer::SubscriberExt;

use crate::receiver::Receiver;

/// Runs `emit` under a subscriber with a configured [`ShipperLayer`]; returns what the
/// receiver got.
fn ship(configure: impl FnOnce(&mut LayerBuilder), emit: impl FnOnce()) -> Vec<Value> {
    let rx = Receiver::start();
    let shipper = Shipper::builder(Transport::tcp("127.0.0.1", rx.port()))
        .build()
        .expect("build");
    let mut b = ShipperLayer::builder(shipper.handle());
    b.host("testhost").program("/usr/bin/app");
    configure(&mut b);
    let subscriber = tracing_subscriber::registry().with(b.build());
    tracing::subscriber::with_default(subscriber, emit);
    shipper.flush(Duration::from_secs(20)).expect("flush");
    let stats = shipper.shutdown(Duration::from_secs(20));
    let events = rx.settled(stats.sent);
    assert_eq!(stats.sent as usize, events.len());
    events
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn span_and_event_fields_become_top_level_fields() {
    let got = ship(
        |_| {},
        || {
            let span = tracing::info_span!("request", user = "user3");
            let _g = span.enter();
            tracing::info!(target: "webapp", action = "search", duration = 1.25_f64, tags = "python,webapp",
            "User user3 performed search in 1.25s");
        },
    );
    let [ev] = got.as_slice() else {
        panic!("one event expected: {got:?}")
    };
    assert_eq!(
        keys(ev),
        [
            "@timestamp",
            "@version",
            "host",
            "level",
            "logsource",
            "message",
            "pid",
            "program",
            "type",
            "tags",
            "user",
            "action",
            "duration",
            "func_name",
            "line",
            "logger_name",
            "path",
            "process_name",
            "thread_name"
        ]
    );
    let check = |field: &str, expected: Value| assert_eq!(ev[field], expected, "field {field}");
    check("@version", json!("1"));
    check("host", json!("testhost"));
    check("logsource", json!("testhost"));
    check("level", json!("INFO"));
    check("message", json!("User user3 performed search in 1.25s"));
    check("pid", json!(std::process::id()));
    check("program", json!("/usr/bin/app"));
    check("process_name", json!("app"));
    check("type", json!("python-logstash"));
    check("tags", json!(["python", "webapp"]));
    check("logger_name", json!("webapp"));
    check("user", json!("user3"));
    check("action", json!("search"));
    check("duration", json!(1.25));
    check("path", json!(file!()));
    assert!(ev["line"].as_u64().is_some_and(|l| l > 0));
    let ts = ev["@timestamp"].as_str().expect("timestamp");
    assert!(
        chrono::DateTime::parse_from_rfc3339(ts).is_ok() && ts.len() == 24 && ts.ends_with('Z'),
        "{ts}"
    );
}

#[test]
fn level_filter_keeps_warning_and_above() {
    let got = ship(
        |b| {
            b.level(tracing::Level::WARN);
        },
        || {
            tracing::debug!("debug");
            tracing::info!("info");
            tracing::warn!("warn");
            tracing::error!("error");
        },
    );
    let levels: Vec<(&str, &str)> = got
        .iter()
        .map(|e| {
            (
                e["level"].as_str().expect("level"),
                e["message"].as_str().expect("message"),
            )
        })
        .collect();
    assert_eq!(levels, [("WARNING", "warn"), ("ERROR", "error")]);
}

#[test]
fn tags_merge_static_and_event_tags() {
    fn check(static_tags: &[&str], emit: fn(), expected: &Value) {
        let got = ship(
            |b| {
                b.tags(static_tags.iter().copied());
            },
            emit,
        );
        assert_eq!(
            &got[0].get("tags").cloned().unwrap_or(Value::Null),
            expected
        );
    }
    check(&[], || tracing::info!("no tags"), &Value::Null);
    check(&["rust"], || tracing::info!("static"), &json!(["rust"]));
    check(
        &["rust"],
        || tracing::info!(tags = "python,webapp", "both"),
        &json!(["rust", "python", "webapp"]),
    );
    check(
        &[],
        || tracing::info!(tags = ?["a", "b"], "debug list"),
        &json!(["a", "b"]),
    );
}

#[test]
fn extra_prefix_nests_details_and_fields_like_python_logstash_async() {
    let got = ship(
        |b| {
            b.format(Format::Logstash {
                extra_prefix: Some("extra".into()),
            });
        },
        || {
            tracing::warn!(
                user = "user1",
                action = "login",
                duration = 0.5_f64,
                "Slow action detected: login took 0.50s"
            );
        },
    );
    let ev = &got[0];
    assert_eq!(
        keys(ev),
        [
            "@timestamp",
            "@version",
            "host",
            "level",
            "logsource",
            "message",
            "pid",
            "program",
            "type",
            "extra"
        ]
    );
    assert_eq!(
        keys(&ev["extra"]),
        [
            "user",
            "action",
            "duration",
            "func_name",
            "line",
            "logger_name",
            "path",
            "process_name",
            "thread_name"
        ]
    );
    assert_eq!(ev["extra"]["user"], json!("user1"));
    assert_eq!(ev["level"], json!("WARNING"));
}

#[test]
fn fields_named_like_layout_fields_do_not_overwrite_them() {
    let got = ship(
        |_| {},
        || {
            tracing::error!(
                level = "fake",
                host = "override",
                "Error during login by user2"
            );
        },
    );
    let ev = &got[0];
    assert_eq!(ev["level"], json!("ERROR"));
    assert_eq!(ev["fields"], json!({"level": "fake"}));
    assert_eq!(
        ev["host"],
        json!("override"),
        "python-logstash-async lets extra replace host"
    );
}

#[test]
fn ecs_layout() {
    let got = ship(
        |b| {
            b.format(Format::Ecs);
        },
        || tracing::info!(target: "webapp", user = "user1", "hello"),
    );
    let ev = &got[0];
    assert_eq!(
        keys(ev),
        [
            "@timestamp",
            "@version",
            "message",
            "extra",
            "host",
            "log",
            "process",
            "event",
            "ecs"
        ]
    );
    assert_eq!(ev["log"]["level"], json!("INFO"));
    assert_eq!(ev["log"]["logger"], json!("webapp"));
    assert_eq!(ev["host"]["hostname"], json!("testhost"));
    assert_eq!(ev["process"]["pid"], json!(std::process::id()));
    assert_eq!(ev["ecs"]["version"], json!("8.11.0"));
    assert_eq!(ev["extra"], json!({"user": "user1"}));
}

#[test]
fn the_shippers_own_events_are_not_shipped() {
    let got = ship(
        |_| {},
        || {
            tracing::warn!(target: "shipper::worker", "cannot connect to the agent");
            tracing::info!(target: "shipperish", "someone else's target");
        },
    );
    let messages: Vec<&str> = got
        .iter()
        .map(|e| e["message"].as_str().expect("message"))
        .collect();
    assert_eq!(messages, ["someone else's target"]);
}
