//! The lazy representation of a [`super::LogEvent`]: the received JSON object's bytes plus an
//! index of its top-level members. A member's value is parsed the first time something reads
//! it; a member nobody changed is written out again as the bytes that arrived.
//!
//! Building the index validates the whole object against the grammar `serde_json` accepts (UTF-8,
//! control characters, number syntax, nesting). Values that a full parse could still refuse
//! after that (a `\u` escape may be a lone surrogate; an exponent or hundreds of digits may
//! overflow) are parsed at once, so an object is accepted lazily exactly when `serde_json` would
//! accept it whole. Objects with duplicate or escaped member names take the full parse instead
//! (see [`scan`]).

use std::borrow::Cow;
use std::sync::OnceLock;

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::json_scan;

/// A member name: a range of the received bytes (no escapes), or a name set later.
#[derive(Debug, Clone)]
pub(super) enum Key {
    Raw(u32, u32),
    Named(Cow<'static, str>),
}

/// `ord` of a member added after receipt; `owned` of a member whose value is still received.
const NONE: u32 = u32::MAX;

/// Flags the `ord` of a member set as JSON text ([`RawObject::insert_object`]): the low bits
/// index [`RawObject::text_values`], `vs..vt` is its text in [`RawObject::extra`]. Received
/// members number fewer than 2^31 (their object is under 4 GiB), so the flag never clashes.
const TEXT: u32 = 1 << 31;

/// One member. Kept small (40 bytes): values live in [`RawObject::owned`] once set or changed,
/// and in [`RawObject::cache`] once read.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    key: Key,
    /// The received value's byte range.
    vs: u32,
    vt: u32,
    /// Position among the received members ([`NONE`] when added later, [`TEXT`] flagged
    /// when set as text): indexes the read cache, and lets writing copy runs of untouched
    /// neighbours in one piece.
    ord: u32,
    /// Index into [`RawObject::owned`] once the value was set or changed, else [`NONE`].
    owned: u32,
}

/// A JSON object kept as received, indexed by member.
#[derive(Debug, Clone)]
pub(super) struct RawObject {
    bytes: Bytes,
    pub(super) entries: Vec<Entry>,
    /// Values set or changed (a removed member leaves a `Null` behind).
    owned: Vec<Value>,
    /// Received values parsed by reads through `&self`, by `ord`; allocated on the first.
    cache: OnceLock<Box<[OnceLock<Value>]>>,
    /// How many members were received.
    received: u32,
    /// The whole object as a map, built on demand for callers that need one.
    pub(super) map: OnceLock<Map<String, Value>>,
    /// The text of members set as JSON text, one after another.
    extra: Vec<u8>,
    /// Those members' values once read, by the index in their `ord`.
    text_values: Vec<OnceLock<Value>>,
}

impl Entry {
    /// The index of a member set as text and unchanged since.
    fn text(&self) -> Option<usize> {
        (self.owned == NONE && self.ord != NONE && self.ord & TEXT != 0)
            .then_some((self.ord & !TEXT) as usize)
    }

    /// A received member, unchanged.
    fn received(&self) -> bool {
        self.owned == NONE && self.ord & TEXT == 0
    }
}

/// Members a seed event has plus what a pipeline adds, so the index does not regrow.
const ENTRIES: usize = 16;

impl RawObject {
    /// Indexes `bytes` when it is one JSON object that can be kept lazily; `Err` gives the
    /// bytes back for a full parse (which then either succeeds or reports the error).
    pub(super) fn scan(bytes: Bytes) -> Result<Self, Bytes> {
        let scanned = match u32::try_from(bytes.len()) {
            Ok(_) => scan(&bytes),
            Err(_) => None,
        };
        match scanned {
            Some((entries, owned)) => Ok(RawObject {
                received: entries.len() as u32,
                bytes,
                entries,
                owned,
                cache: OnceLock::new(),
                map: OnceLock::new(),
                extra: Vec::new(),
                text_values: Vec::new(),
            }),
            None => Err(bytes),
        }
    }

    /// The members of `map`, held as set (no received bytes).
    pub(super) fn from_map(map: Map<String, Value>) -> Self {
        Self::from_fields(map.into_iter().map(|(k, v)| (Cow::Owned(k), v)))
    }

    /// Members held as set (no received bytes).
    pub(super) fn from_fields(
        fields: impl ExactSizeIterator<Item = (Cow<'static, str>, Value)>,
    ) -> Self {
        let mut entries = Vec::with_capacity(fields.len().max(ENTRIES));
        let mut owned = Vec::with_capacity(fields.len().max(ENTRIES));
        for (k, v) in fields {
            entries.push(Entry {
                key: Key::Named(k),
                vs: 0,
                vt: 0,
                ord: NONE,
                owned: owned.len() as u32,
            });
            owned.push(v);
        }
        RawObject {
            bytes: Bytes::new(),
            entries,
            owned,
            cache: OnceLock::new(),
            received: 0,
            map: OnceLock::new(),
            extra: Vec::new(),
            text_values: Vec::new(),
        }
    }

    /// Sets member `key` (in place when present, else appended) to the object `build` writes,
    /// kept as text.
    pub(super) fn insert_object(
        &mut self,
        key: Cow<'static, str>,
        build: impl FnOnce(&mut super::ObjectWriter<'_>),
    ) {
        self.map = OnceLock::new();
        let vs = self.extra.len();
        if self.extra.capacity() == 0 {
            // what a grok match of a web server's log line writes, so that the objects of
            // one match do not regrow it
            self.extra.reserve(1024);
        }
        super::ObjectWriter::write(&mut self.extra, build);
        let (vs, vt) = (vs as u32, self.extra.len() as u32);
        let ord = TEXT | self.text_values.len() as u32;
        self.text_values.push(OnceLock::new());
        match self.position(&key) {
            Some(i) => {
                let e = &mut self.entries[i];
                if e.owned != NONE {
                    // the old value goes; its slot stays (indexes are positions)
                    self.owned[e.owned as usize] = Value::Null;
                }
                e.vs = vs;
                e.vt = vt;
                e.ord = ord;
                e.owned = NONE;
            }
            None => self.entries.push(Entry {
                key: Key::Named(key),
                vs,
                vt,
                ord,
                owned: NONE,
            }),
        }
    }

    /// About how long the object's JSON is, to size a buffer for it.
    pub(super) fn json_len_hint(&self) -> usize {
        let owned: usize = self
            .owned
            .iter()
            .map(|v| match v {
                Value::String(s) => s.len() + 8,
                _ => 32,
            })
            .sum();
        self.bytes.len() + self.extra.len() + owned + 16 * self.entries.len()
    }

    /// The unchanged value of a received member or a member set as text, as JSON text.
    fn raw(&self, e: &Entry) -> &[u8] {
        let (s, t) = (e.vs as usize, e.vt as usize);
        if e.text().is_some() {
            &self.extra[s..t]
        } else {
            &self.bytes[s..t]
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

    pub(super) fn value<'a>(&'a self, e: &'a Entry) -> &'a Value {
        if e.owned != NONE {
            return &self.owned[e.owned as usize];
        }
        if let Some(t) = e.text() {
            return self.text_values[t].get_or_init(|| super::text::parse(self.raw(e)));
        }
        let cache = self
            .cache
            .get_or_init(|| (0..self.received).map(|_| OnceLock::new()).collect());
        cache[e.ord as usize].get_or_init(|| self.parse(e))
    }

    /// Parses a received value (validated by the scan, and found safe to parse later).
    fn parse(&self, e: &Entry) -> Value {
        let raw = self.raw(e);
        // The common case, a string without escapes, needs no parser.
        if let Some(s) = plain_str(raw) {
            return Value::String(s.to_owned());
        }
        // The scan parses at once every value a full parse could refuse (see `scan`), so this
        // cannot fail; the property tests check that lazy and full parses agree.
        serde_json::from_slice(raw).unwrap_or_else(|err| {
            debug_assert!(false, "a lazily kept JSON value failed to parse: {err}");
            Value::Null
        })
    }

    /// The received value of member `i`, taken out of the read cache or parsed.
    fn take_received(&mut self, i: usize) -> Value {
        if let Some(t) = self.entries[i].text() {
            return match self.text_values[t].take() {
                Some(v) => v,
                None => self.parse(&self.entries[i]),
            };
        }
        let ord = self.entries[i].ord as usize;
        match self.cache.get_mut().and_then(|c| c[ord].take()) {
            Some(v) => v,
            None => self.parse(&self.entries[i]),
        }
    }

    /// The value of member `i`, owned from now on (so that changes are written out).
    pub(super) fn owned_mut(&mut self, i: usize) -> &mut Value {
        self.map = OnceLock::new();
        if self.entries[i].owned == NONE {
            let v = self.take_received(i);
            self.entries[i].owned = self.owned.len() as u32;
            self.owned.push(v);
        }
        &mut self.owned[self.entries[i].owned as usize]
    }

    pub(super) fn get(&self, key: &str) -> Option<&Value> {
        let e = self.entries.get(self.position(key)?)?;
        Some(self.value(e))
    }

    /// A string member's text without parsing or caching it, when it was received without
    /// escapes (else through [`RawObject::value`]).
    pub(super) fn get_str(&self, key: &str) -> Option<&str> {
        let e = self.entries.get(self.position(key)?)?;
        if e.owned == NONE {
            let raw = self.raw(e);
            if let Some(s) = plain_str(raw) {
                return Some(s);
            }
            if raw.first() != Some(&b'"') {
                return None;
            }
        }
        self.value(e).as_str()
    }

    pub(super) fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let i = self.position(key)?;
        Some(self.owned_mut(i))
    }

    /// Sets the value of member `key` without reading the old one; `false` when absent.
    pub(super) fn replace(&mut self, key: &str, value: Value) -> bool {
        let Some(i) = self.position(key) else {
            return false;
        };
        self.map = OnceLock::new();
        let e = &mut self.entries[i];
        if e.owned == NONE {
            e.owned = self.owned.len() as u32;
            self.owned.push(value);
        } else {
            self.owned[e.owned as usize] = value;
        }
        true
    }

    /// Sets member `key` (in place when present, else appended); returns the previous value.
    pub(super) fn insert(&mut self, key: Cow<'static, str>, value: Value) -> Option<Value> {
        self.map = OnceLock::new();
        match self.position(&key) {
            Some(i) => Some(std::mem::replace(self.owned_mut(i), value)),
            None => {
                self.entries.push(Entry {
                    key: Key::Named(key),
                    vs: 0,
                    vt: 0,
                    ord: NONE,
                    owned: self.owned.len() as u32,
                });
                self.owned.push(value);
                None
            }
        }
    }

    /// Removes member `key`, keeping the order of the others.
    pub(super) fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.position(key)?;
        self.map = OnceLock::new();
        let v = self.take_value(i);
        self.entries.remove(i);
        Some(v)
    }

    /// The value of member `i`, taken out (the member is about to go).
    fn take_value(&mut self, i: usize) -> Value {
        match self.entries[i].owned {
            NONE => self.take_received(i),
            o => std::mem::take(&mut self.owned[o as usize]),
        }
    }

    /// The whole object as a map (parses every member not read yet).
    pub(super) fn to_map(&self) -> Map<String, Value> {
        let mut map = Map::with_capacity(self.entries.len());
        for e in &self.entries {
            map.insert(self.key(e).to_owned(), self.value(e).clone());
        }
        map
    }

    /// Consumes the object into a map without cloning values already parsed.
    pub(super) fn into_map(mut self) -> Map<String, Value> {
        if let Some(m) = self.map.take() {
            return m;
        }
        let mut map = Map::with_capacity(self.entries.len());
        for i in 0..self.entries.len() {
            let k = self.key(&self.entries[i]).to_owned();
            map.insert(k, self.take_value(i));
        }
        map
    }

    /// JSON of the members not named in `skip`: changed and added members compact, runs of
    /// untouched received members copied as they arrived (whitespace included).
    pub(super) fn write_json(&self, out: &mut Vec<u8>, skip: &[&str]) {
        out.push(b'{');
        let mut first = true;
        // A run of untouched received members not yet copied: byte range and last `ord`.
        let mut run: Option<(usize, usize, u32)> = None;
        for e in &self.entries {
            if !skip.is_empty() && skip.iter().any(|k| self.key_is(e, k)) {
                continue;
            }
            if let Key::Raw(ks, _) = &e.key
                && e.received()
            {
                // The member starts at its name's opening quote.
                let (start, end) = (*ks as usize - 1, e.vt as usize);
                match &mut run {
                    Some((_, run_end, last)) if *last + 1 == e.ord => {
                        *run_end = end;
                        *last = e.ord;
                    }
                    _ => {
                        self.flush(out, &mut first, run.take());
                        run = Some((start, end, e.ord));
                    }
                }
                continue;
            }
            self.flush(out, &mut first, run.take());
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
                Key::Named(n) => super::write::string(out, n),
            }
            out.push(b':');
            match e.text() {
                Some(_) => out.extend_from_slice(self.raw(e)),
                None => super::write::value(out, self.value(e)),
            }
        }
        self.flush(out, &mut first, run);
        out.push(b'}');
    }

    fn flush(&self, out: &mut Vec<u8>, first: &mut bool, run: Option<(usize, usize, u32)>) {
        if let Some((start, end, _)) = run {
            if !*first {
                out.push(b',');
            }
            *first = false;
            out.extend_from_slice(&self.bytes[start..end]);
        }
    }
}

/// Indexes the members of one JSON object (see [`crate::json_scan::members`]); `None` when it
/// is not one, or has an escaped or duplicate member name, or a value that a deferred parse
/// could not take and that fails to parse now — those take the full parse, which decides.
fn scan(bytes: &[u8]) -> Option<(Vec<Entry>, Vec<Value>)> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut entries: Vec<Entry> = Vec::with_capacity(ENTRIES);
    let mut seen = 0u64;
    let mut owned = Vec::new();
    json_scan::members(text, |m| {
        if !m.plain_key {
            return None;
        }
        let (ks, kt, vs, vt) = (m.key.start, m.key.end, m.value.start, m.value.end);
        let key = &bytes[ks..kt];
        // Duplicate names: a full parse keeps the last value in the first position; leave
        // that to it. A 64-bit filter of (length, first and last byte) skips the comparisons
        // in the usual case.
        let bit = 1u64
            << ((key.len() as u64)
                .wrapping_mul(31)
                .wrapping_add(u64::from(key.first().copied().unwrap_or(0)))
                .wrapping_add(u64::from(key.last().copied().unwrap_or(0)) * 7)
                % 64);
        if seen & bit != 0
            && entries.iter().any(|e| match e.key {
                Key::Raw(s, t) => &bytes[s as usize..t as usize] == key,
                Key::Named(_) => false,
            })
        {
            return None;
        }
        seen |= bit;
        let mut entry = Entry {
            key: Key::Raw(ks as u32, kt as u32),
            vs: vs as u32,
            vt: vt as u32,
            ord: entries.len() as u32,
            owned: NONE,
        };
        if !m.deferrable {
            // Held as set: written out compact rather than as received.
            entry.owned = owned.len() as u32;
            owned.push(serde_json::from_slice(&bytes[vs..vt]).ok()?);
        }
        entries.push(entry);
        Some(())
    })?;
    Some((entries, owned))
}

/// The text of a received string without escapes (its bytes, validated as UTF-8 by the scan).
fn plain_str(raw: &[u8]) -> Option<&str> {
    match raw {
        [b'"', inner @ .., b'"'] if !inner.contains(&b'\\') => std::str::from_utf8(inner).ok(),
        _ => None,
    }
}
