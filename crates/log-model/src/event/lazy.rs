//! The lazy representation of a [`super::LogEvent`]: the received JSON object's bytes plus an
//! index of its top-level members. A member's value is parsed the first time something reads
//! it; a member nobody changed is written out again as the bytes that arrived.
//!
//! Building the index validates the whole object with `serde_json` (the same grammar, UTF-8 and
//! control-character checks as a full parse). Values that a full parse could still refuse after
//! that check (escapes, which may hold a lone surrogate; numbers with an exponent or hundreds of
//! digits, which may overflow; deep nesting) are parsed at once, so an object is accepted lazily
//! exactly when `serde_json` would accept it whole. Objects with duplicate keys or escaped keys
//! take the full parse instead (see [`scan`]).

use std::borrow::Cow;
use std::sync::OnceLock;

use bytes::Bytes;
use serde::de::{Deserializer as _, Error as _, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// A member name: a range of the received bytes (no escapes), or a name set later.
#[derive(Debug, Clone)]
pub(super) enum Key {
    Raw(u32, u32),
    Named(Cow<'static, str>),
}

/// A member value: a range of the received bytes, parsed on first read, or a value set later.
#[derive(Debug, Clone)]
pub(super) enum Slot {
    Raw(u32, u32, OnceLock<Value>),
    Owned(Value),
}

#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) key: Key,
    pub(super) value: Slot,
}

/// A JSON object kept as received, indexed by member.
#[derive(Debug, Clone)]
pub(super) struct RawObject {
    bytes: Bytes,
    pub(super) entries: Vec<Entry>,
    /// The whole object as a map, built on demand for callers that need one.
    pub(super) map: OnceLock<Map<String, Value>>,
}

/// Members a seed event has plus what a pipeline adds, so the index does not regrow.
const ENTRIES: usize = 16;

/// Brackets in one value above which it is parsed at once (`serde_json` refuses nesting deeper
/// than 128 in a full parse, but not while only validating).
const MAX_LAZY_BRACKETS: usize = 100;

/// Digits in a row above which a number is parsed at once (it may overflow an `f64`).
const MAX_LAZY_DIGITS: usize = 300;

impl RawObject {
    /// Indexes `bytes` when it is one JSON object that can be kept lazily; `Err` gives the
    /// bytes back for a full parse (which then either succeeds or reports the error).
    pub(super) fn scan(bytes: Bytes) -> Result<Self, Bytes> {
        let entries = match u32::try_from(bytes.len()) {
            Ok(_) => scan(&bytes),
            Err(_) => None,
        };
        match entries {
            Some(entries) => Ok(RawObject {
                bytes,
                entries,
                map: OnceLock::new(),
            }),
            None => Err(bytes),
        }
    }

    pub(super) fn key<'a>(&'a self, e: &'a Entry) -> &'a str {
        match &e.key {
            // Validated as UTF-8 by the scan.
            Key::Raw(s, t) => {
                std::str::from_utf8(&self.bytes[*s as usize..*t as usize]).unwrap_or_default()
            }
            Key::Named(n) => n,
        }
    }

    fn key_is(&self, e: &Entry, key: &str) -> bool {
        match &e.key {
            Key::Raw(s, t) => &self.bytes[*s as usize..*t as usize] == key.as_bytes(),
            Key::Named(n) => n == key,
        }
    }

    pub(super) fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|e| self.key_is(e, key))
    }

    pub(super) fn value<'a>(&'a self, slot: &'a Slot) -> &'a Value {
        match slot {
            Slot::Raw(s, t, cell) => cell.get_or_init(|| self.parse(*s, *t)),
            Slot::Owned(v) => v,
        }
    }

    /// Parses a range the scan validated (and found safe to parse later).
    fn parse(&self, s: u32, t: u32) -> Value {
        // The scan parses at once every value a full parse could refuse (see `safe_to_defer`),
        // so this cannot fail; the property tests check that lazy and full parses agree.
        serde_json::from_slice(&self.bytes[s as usize..t as usize]).unwrap_or_else(|e| {
            debug_assert!(false, "a lazily kept JSON value failed to parse: {e}");
            Value::Null
        })
    }

    pub(super) fn get(&self, key: &str) -> Option<&Value> {
        let e = self.entries.get(self.position(key)?)?;
        Some(self.value(&e.value))
    }

    /// The value of member `i`, owned from now on (so that changes are written out).
    pub(super) fn owned_mut(&mut self, i: usize) -> &mut Value {
        self.map = OnceLock::new();
        let bytes = &self.bytes;
        let slot = &mut self.entries[i].value;
        if let Slot::Raw(s, t, cell) = slot {
            let v = cell.take().unwrap_or_else(|| {
                serde_json::from_slice(&bytes[*s as usize..*t as usize]).unwrap_or_else(|e| {
                    debug_assert!(false, "a lazily kept JSON value failed to parse: {e}");
                    Value::Null
                })
            });
            *slot = Slot::Owned(v);
        }
        match slot {
            Slot::Owned(v) => v,
            Slot::Raw(..) => unreachable!("converted above"),
        }
    }

    pub(super) fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let i = self.position(key)?;
        Some(self.owned_mut(i))
    }

    /// Sets member `key` (in place when present, else appended); returns the previous value.
    pub(super) fn insert(&mut self, key: Cow<'static, str>, value: Value) -> Option<Value> {
        self.map = OnceLock::new();
        match self.position(&key) {
            Some(i) => {
                let old = std::mem::replace(&mut self.entries[i].value, Slot::Owned(value));
                Some(self.take_value(old))
            }
            None => {
                self.entries.push(Entry {
                    key: Key::Named(key),
                    value: Slot::Owned(value),
                });
                None
            }
        }
    }

    /// Removes member `key`, keeping the order of the others.
    pub(super) fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.position(key)?;
        self.map = OnceLock::new();
        let e = self.entries.remove(i);
        Some(self.take_value(e.value))
    }

    fn take_value(&self, slot: Slot) -> Value {
        match slot {
            Slot::Raw(s, t, cell) => cell.into_inner().unwrap_or_else(|| self.parse(s, t)),
            Slot::Owned(v) => v,
        }
    }

    /// The whole object as a map (parses every member not read yet).
    pub(super) fn to_map(&self) -> Map<String, Value> {
        let mut map = Map::with_capacity(self.entries.len());
        for e in &self.entries {
            map.insert(self.key(e).to_owned(), self.value(&e.value).clone());
        }
        map
    }

    /// Consumes the object into a map without cloning values already parsed.
    pub(super) fn into_map(mut self) -> Map<String, Value> {
        if let Some(m) = self.map.take() {
            return m;
        }
        let mut map = Map::with_capacity(self.entries.len());
        let entries = std::mem::take(&mut self.entries);
        for e in entries {
            let k = self.key(&e).to_owned();
            map.insert(k, self.take_value(e.value));
        }
        map
    }

    /// Compact JSON of the members not named in `skip`: unchanged members as received.
    pub(super) fn write_json(&self, out: &mut Vec<u8>, skip: &[&str]) {
        out.push(b'{');
        let mut first = true;
        for e in &self.entries {
            if !skip.is_empty() && skip.iter().any(|k| self.key_is(e, k)) {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            match &e.key {
                Key::Raw(s, t) => {
                    // An unescaped name: its bytes are already valid inside quotes.
                    out.push(b'"');
                    out.extend_from_slice(&self.bytes[*s as usize..*t as usize]);
                    out.push(b'"');
                }
                Key::Named(n) => write_value(out, &**n),
            }
            out.push(b':');
            match &e.value {
                Slot::Raw(s, t, _) => out.extend_from_slice(&self.bytes[*s as usize..*t as usize]),
                Slot::Owned(v) => write_value(out, v),
            }
        }
        out.push(b'}');
    }
}

fn write_value<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    // Writing a string or a JSON value into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

/// True when a full parse of `v` (already validated) cannot fail: no escapes (a `\u` escape
/// may be a lone surrogate), no exponent (`1e999` overflows), no run of hundreds of digits, and
/// bounded nesting.
fn safe_to_defer(v: &[u8]) -> bool {
    if memchr::memchr(b'\\', v).is_some() {
        return false;
    }
    let mut digits = 0usize;
    let mut brackets = 0usize;
    let mut prev_digit = false;
    for &b in v {
        if b.is_ascii_digit() {
            digits += 1;
            if digits > MAX_LAZY_DIGITS {
                return false;
            }
            prev_digit = true;
            continue;
        }
        if prev_digit && (b | 0x20) == b'e' {
            return false;
        }
        if b == b'[' || b == b'{' {
            brackets += 1;
            if brackets > MAX_LAZY_BRACKETS {
                return false;
            }
        }
        digits = 0;
        prev_digit = false;
    }
    true
}

/// Validates `bytes` as one JSON object and indexes its members; `None` when it is not a JSON
/// object, has an escaped or duplicate member name, or a value that the deferred parse could
/// not take (such values are parsed here; one that fails makes the whole scan fail).
fn scan(bytes: &[u8]) -> Option<Vec<Entry>> {
    struct Members {
        base: usize,
    }
    impl<'de> Visitor<'de> for Members {
        type Value = Vec<Entry>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Vec<Entry>, A::Error> {
            let mut entries: Vec<Entry> = Vec::with_capacity(ENTRIES);
            // A borrowed `&str` key fails on escapes: those objects take the full parse.
            while let Some(key) = access.next_key::<&'de str>()? {
                let raw: &'de RawValue = access.next_value()?;
                let offset = |s: &str| (s.as_ptr() as usize - self.base) as u32;
                let (ks, kt) = (offset(key), offset(key) + key.len() as u32);
                let text = raw.get();
                let (vs, vt) = (offset(text), offset(text) + text.len() as u32);
                let cell = OnceLock::new();
                if !safe_to_defer(text.as_bytes()) {
                    let v: Value = serde_json::from_str(text).map_err(A::Error::custom)?;
                    let _ = cell.set(v);
                }
                entries.push(Entry {
                    key: Key::Raw(ks, kt),
                    value: Slot::Raw(vs, vt, cell),
                });
            }
            Ok(entries)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let entries = de
        .deserialize_map(Members {
            base: bytes.as_ptr() as usize,
        })
        .ok()?;
    de.end().ok()?;
    // Duplicate names: a full parse keeps the last value in the first position; leave that to it.
    for (i, e) in entries.iter().enumerate() {
        let Key::Raw(s, t) = e.key else { continue };
        let name = &bytes[s as usize..t as usize];
        if entries[..i].iter().any(|p| match p.key {
            Key::Raw(ps, pt) => &bytes[ps as usize..pt as usize] == name,
            Key::Named(_) => false,
        }) {
            return None;
        }
    }
    Some(entries)
}
