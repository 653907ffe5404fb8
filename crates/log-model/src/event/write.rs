//! Compact JSON straight from a [`Value`], byte for byte what `serde_json::to_writer` writes
//! (a differential test holds it to that), without going through the serde data model.
//!
//! Strings are scanned eight bytes at a time for the bytes JSON escapes (`"`, `\` and the
//! control characters below 0x20); a run without them is copied whole.

use serde_json::{Map, Value};

/// Appends `v` as compact JSON.
pub(crate) fn value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => number(out, n),
        Value::String(s) => string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                value(out, item);
            }
            out.push(b']');
        }
        Value::Object(m) => object(out, m, &[]),
    }
}

/// Appends `m` as compact JSON, leaving out the members named in `skip`.
pub(crate) fn object(out: &mut Vec<u8>, m: &Map<String, Value>, skip: &[&str]) {
    out.push(b'{');
    let mut first = true;
    for (k, v) in m {
        if !skip.is_empty() && skip.contains(&k.as_str()) {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        string(out, k);
        out.push(b':');
        value(out, v);
    }
    out.push(b'}');
}

fn number(out: &mut Vec<u8>, n: &serde_json::Number) {
    if let Some(u) = n.as_u64() {
        out.extend_from_slice(itoa_u64(u, &mut [0; 20]));
    } else if let Some(i) = n.as_i64() {
        // negative: as_u64 took every other integer
        out.push(b'-');
        out.extend_from_slice(itoa_u64(i.unsigned_abs(), &mut [0; 20]));
    } else {
        // floats as serde_json formats them (ryu, `null` for what JSON cannot hold)
        let _ = serde_json::to_writer(&mut *out, n);
    }
}

fn itoa_u64(mut u: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        // `u % 10` fits a byte
        buf[at] = b'0' + u8::try_from(u % 10).unwrap_or(0);
        u /= 10;
        if u == 0 {
            return &buf[at..];
        }
    }
}

const LOW: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether any of the eight bytes of `x` is one JSON escapes. Exact (no false answers either
/// way): each term is the classic "has a byte below n" test, whose first flagged byte is
/// always a true one.
fn needs_escape(x: u64) -> bool {
    let below_space = x.wrapping_sub(LOW * 0x20) & !x;
    let quote = x ^ (LOW * u64::from(b'"'));
    let backslash = x ^ (LOW * u64::from(b'\\'));
    let quote = quote.wrapping_sub(LOW) & !quote;
    let backslash = backslash.wrapping_sub(LOW) & !backslash;
    (below_space | quote | backslash) & HIGH != 0
}

/// Appends `s` as a JSON string.
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + 8) {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            if !needs_escape(u64::from_le_bytes(word)) {
                i += 8;
                continue;
            }
        }
        // at most eight bytes one at a time, then back to whole words
        let end = (i + 8).min(bytes.len());
        while i < end {
            let b = bytes[i];
            let esc: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0C => b"\\f",
                0..0x20 => {
                    out.extend_from_slice(&bytes[copied..i]);
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 0xF)]);
                    i += 1;
                    copied = i;
                    continue;
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            out.extend_from_slice(&bytes[copied..i]);
            out.extend_from_slice(esc);
            i += 1;
            copied = i;
        }
    }
    out.extend_from_slice(&bytes[copied..]);
    out.push(b'"');
}
