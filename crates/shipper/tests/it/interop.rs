//! The field layout python-logstash-async actually produces, against ours: the real
//! library (from the interop virtualenv) sends to the same test receiver.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use shipper::{Format, Shipper, ShipperLayer, Transport};
use tracing_subscriber::layer::SubscriberExt;

use crate::receiver::Receiver;

/// Details only Python has (its interpreter and the library's version).
const PYTHON_ONLY: &[&str] = &[
    "interpreter",
    "interpreter_version",
    "logstash_async_version",
];

fn python_event(format: &str, database: Option<&std::path::Path>) -> Value {
    let rx = Receiver::start();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/py/logstash_async_send.py"
    );
    let mut cmd = Command::new(test_support::python());
    cmd.arg(script)
        .args(["127.0.0.1", &rx.port().to_string(), format]);
    if let Some(db) = database {
        cmd.arg(db);
    }
    let out = cmd.output().expect("run python-logstash-async");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    rx.settled(1).remove(0)
}

fn rust_event(format: Format) -> Value {
    let rx = Receiver::start();
    let shipper = Shipper::builder(Transport::tcp("127.0.0.1", rx.port()))
        .build()
        .expect("build");
    let layer = ShipperLayer::builder(shipper.handle())
        .format(format)
        .build();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        tracing::info!(
            target: "python-logstash-logger",
            user = "user1", action = "login", duration = 1.5_f64, tags = "python,webapp",
            "User user1 performed login in 1.50s"
        );
    });
    let sent = shipper.shutdown(Duration::from_secs(20)).sent;
    rx.settled(sent).remove(0)
}

/// Every leaf as `dotted.path -> JSON type`, without Python-only details.
fn shape(v: &Value) -> BTreeMap<String, &'static str> {
    fn walk(prefix: &str, v: &Value, out: &mut BTreeMap<String, &'static str>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if PYTHON_ONLY.contains(&k.as_str()) {
                        continue;
                    }
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&p, v, out);
                }
            }
            other => {
                let t = match other {
                    Value::Null => "null",
                    Value::Bool(_) => "bool",
                    Value::Number(n) if n.is_f64() => "float",
                    Value::Number(_) => "integer",
                    Value::String(_) => "string",
                    Value::Array(_) => "array",
                    Value::Object(_) => unreachable!(),
                };
                out.insert(prefix.to_owned(), t);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", v, &mut out);
    out
}

fn check(python_format: &str, ours: Format) {
    let py = python_event(python_format, None);
    let rs = rust_event(ours);
    assert_eq!(
        shape(&rs),
        shape(&py),
        "layout {python_format}:\n python {py}\n ours   {rs}"
    );
    for path in [
        "@version",
        "level",
        "message",
        "type",
        "tags",
        "user",
        "action",
        "duration",
        "logger_name",
    ] {
        let get = |v: &Value| {
            let flat = v.get(path).cloned();
            flat.or_else(|| v.get("extra").and_then(|e| e.get(path)).cloned())
        };
        assert_eq!(get(&rs), get(&py), "{python_format}: value of {path}");
    }
}

#[test]
fn logstash_layout_matches_python_logstash_async_defaults() {
    check(
        "logstash",
        Format::Logstash {
            extra_prefix: Some("extra".into()),
        },
    );
}

#[test]
fn flat_layout_matches_python_logstash_async_without_extra_prefix() {
    check("flat", Format::Logstash { extra_prefix: None });
}

#[test]
fn ecs_layout_matches_python_logstash_async_ecs_formatter() {
    check("ecs", Format::Ecs);
    let (py, rs) = (python_event("ecs", None), rust_event(Format::Ecs));
    assert_eq!(rs["log"]["level"], py["log"]["level"]);
    assert_eq!(rs["log"]["logger"], py["log"]["logger"]);
    assert_eq!(rs["extra"]["user"], py["extra"]["user"]);
}

/// The seed's own configuration (`database_path='logstash.db'`) produces the same layout.
#[test]
fn python_with_an_sqlite_queue_sends_the_same_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let py = python_event("logstash", Some(&dir.path().join("logstash.db")));
    let rs = rust_event(Format::Logstash {
        extra_prefix: Some("extra".into()),
    });
    assert_eq!(shape(&rs), shape(&py));
}
