//! Conversions between the seed's flat events and the Elastic Common Schema.
//!
//! | seed | ECS |
//! |---|---|
//! | `timestamp` (or `@timestamp`) | `@timestamp` |
//! | `level` | `log.level` |
//! | `logger` / `logger_name` | `log.logger` |
//! | `message` | `message` |
//! | `user` | `user.name` |
//! | `action` | `event.action` |
//! | `duration` (seconds) | `event.duration` (nanoseconds, integer) |
//! | `source` | `service.name` |
//! | `host` (a string) | `host.name` |
//! | `tags` | `tags` |
//! | — | `ecs.version` |
//!
//! Other fields are carried over unchanged, in order. Values keep their JSON form, except
//! `duration`, which is scaled (a numeric string is read as a number), and timestamps, which
//! are normalised to Elasticsearch's form when they parse.

use serde_json::{Value, json};

use crate::mapping::ECS_VERSION;
use crate::{FieldRef, LogEvent, Timestamp};

/// Seed (flat) → ECS (nested).
#[must_use]
pub fn seed_to_ecs(ev: &LogEvent) -> LogEvent {
    let mut out = LogEvent::new();
    for (k, v) in ev.as_map() {
        let target: &[&str] = match k.as_str() {
            "timestamp" | "@timestamp" => {
                out.insert(&FieldRef::top("@timestamp"), normalise_time(v));
                continue;
            }
            "duration" => {
                let nanos = seconds(v).map(|s| json!((s * 1e9).round() as i64));
                out.insert(
                    &path(&["event", "duration"]),
                    nanos.unwrap_or_else(|| v.clone()),
                );
                continue;
            }
            "host" if v.is_string() => &["host", "name"],
            "level" => &["log", "level"],
            "logger" | "logger_name" => &["log", "logger"],
            "user" if v.is_string() => &["user", "name"],
            "action" => &["event", "action"],
            "source" => &["service", "name"],
            _ => {
                out.insert(&FieldRef::top(k), v.clone());
                continue;
            }
        };
        out.insert(&path(target), v.clone());
    }
    out.insert(&path(&["ecs", "version"]), json!(ECS_VERSION));
    out
}

/// ECS (nested) → seed (flat). `ecs.version` is dropped; fields with no seed name stay as
/// they are.
#[must_use]
pub fn ecs_to_seed(ev: &LogEvent) -> LogEvent {
    let mut out = LogEvent::new();
    for (k, v) in ev.as_map() {
        match (k.as_str(), v) {
            ("@timestamp", _) => {
                out.insert(&FieldRef::top("timestamp"), normalise_time(v));
            }
            ("ecs", Value::Object(m)) => {
                let rest: serde_json::Map<String, Value> = m
                    .iter()
                    .filter(|(k, _)| k.as_str() != "version")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                if !rest.is_empty() {
                    out.insert(&FieldRef::top("ecs"), Value::Object(rest));
                }
            }
            (obj @ ("log" | "user" | "event" | "service" | "host"), Value::Object(m)) => {
                let mut rest = serde_json::Map::new();
                for (sub, sv) in m {
                    match flat_name(obj, sub) {
                        Some("duration") => {
                            #[allow(clippy::cast_precision_loss)]
                            let secs = sv.as_i64().map(|ns| json!(ns as f64 / 1e9));
                            out.insert(
                                &FieldRef::top("duration"),
                                secs.unwrap_or_else(|| sv.clone()),
                            );
                        }
                        Some(name) => {
                            out.insert(&FieldRef::top(name), sv.clone());
                        }
                        None => {
                            rest.insert(sub.clone(), sv.clone());
                        }
                    }
                }
                if !rest.is_empty() {
                    out.insert(&FieldRef::top(obj), Value::Object(rest));
                }
            }
            _ => {
                out.insert(&FieldRef::top(k), v.clone());
            }
        }
    }
    out
}

fn flat_name(object: &str, field: &str) -> Option<&'static str> {
    Some(match (object, field) {
        ("log", "level") => "level",
        ("log", "logger") => "logger",
        ("user", "name") => "user",
        ("event", "action") => "action",
        ("event", "duration") => "duration",
        ("service", "name") => "source",
        ("host", "name") => "host",
        _ => return None,
    })
}

fn path(segments: &[&str]) -> FieldRef {
    FieldRef::parse(&segments.join(".")).expect("static paths are valid")
}

fn seconds(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn normalise_time(v: &Value) -> Value {
    match v {
        Value::String(s) => {
            Timestamp::parse(s).map_or_else(|_| v.clone(), |t| Value::String(t.to_es_string()))
        }
        _ => v.clone(),
    }
}
