//! Logstash's `rubydebug` codec: the event as an awesome_print'ed Ruby hash.
//!
//! ```text
//! {
//!       "@version" => "1",
//!     "@timestamp" => 2026-11-24T22:15:44.123Z,
//!           "tags" => [
//!         [0] "python"
//!     ]
//! }
//! ```
//! Keys are sorted and right-aligned per hash, nesting indents by 4, arrays print `[i]` indices,
//! strings are Ruby-quoted, `null` prints `nil`, `@timestamp` prints unquoted (it is a timestamp
//! object in Logstash). `@metadata` is shown only when `metadata => true`.

use std::fmt::Write as _;

use log_model::LogEvent;
use serde_json::Value;

/// Formats one event, ending with a newline.
#[must_use]
pub fn rubydebug(event: &LogEvent, metadata: bool) -> String {
    let mut out = String::new();
    let entries: Vec<(&String, &Value)> = event
        .as_map()
        .iter()
        .filter(|(k, _)| metadata || k.as_str() != "@metadata")
        .collect();
    hash(&mut out, entries, 0, true);
    out.push('\n');
    out
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn hash(out: &mut String, mut entries: Vec<(&String, &Value)>, indent: usize, top: bool) {
    if entries.is_empty() {
        out.push_str("{}");
        return;
    }
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let keys: Vec<String> = entries.iter().map(|(k, _)| ruby_string(k)).collect();
    let width = keys.iter().map(|k| k.chars().count()).max().unwrap_or(0);
    out.push_str("{\n");
    let n = entries.len();
    for (i, ((name, v), key)) in entries.iter().zip(&keys).enumerate() {
        pad(out, indent + 4 + width - key.chars().count());
        out.push_str(key);
        out.push_str(" => ");
        if top && name.as_str() == "@timestamp" {
            if let Value::String(s) = v {
                out.push_str(s);
            } else {
                value(out, v, indent + 4);
            }
        } else {
            value(out, v, indent + 4);
        }
        if i + 1 < n {
            out.push(',');
        }
        out.push('\n');
    }
    pad(out, indent);
    out.push('}');
}

fn value(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Null => out.push_str("nil"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                out.push_str(&ruby_float(f));
            } else {
                let _ = write!(out, "{n}");
            }
        }
        Value::String(s) => out.push_str(&ruby_string(s)),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            let width = (items.len() - 1).to_string().len();
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                pad(out, indent + 4);
                let _ = write!(out, "[{i:>width$}] ");
                value(out, item, indent + 4);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            pad(out, indent);
            out.push(']');
        }
        Value::Object(map) => hash(out, map.iter().collect(), indent, false),
    }
}

fn ruby_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if f.fract() == 0.0 && f.abs() < 1e16 {
        return format!("{f:.1}");
    }
    let s = format!("{f}");
    if s.contains('e') || s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

/// A Ruby double-quoted string literal, as `String#inspect` writes it.
fn ruby_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{1b}' => out.push_str("\\e"),
            '#' => out.push('#'),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
