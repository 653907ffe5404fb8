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

/// A member name: a range of the received bytes (no escapes), or a name set later.
#[derive(Debug, Clone)]
pub(super) enum Key {
    Raw(u32, u32),
    Named(Cow<'static, str>),
}

/// `ord` of a member added after receipt; `owned` of a member whose value is still received.
const NONE: u32 = u32::MAX;

/// One member. Kept small (40 bytes): values live in [`RawObject::owned`] once set or changed,
/// and in [`RawObject::cache`] once read.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    key: Key,
    /// The received value's byte range.
    vs: u32,
    vt: u32,
    /// Position among the received members ([`NONE`] when added later): indexes the read
    /// cache, and lets writing copy runs of untouched neighbours in one piece.
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

    pub(super) fn value<'a>(&'a self, e: &'a Entry) -> &'a Value {
        if e.owned != NONE {
            return &self.owned[e.owned as usize];
        }
        let cache = self
            .cache
            .get_or_init(|| (0..self.received).map(|_| OnceLock::new()).collect());
        cache[e.ord as usize].get_or_init(|| self.parse(e))
    }

    /// Parses a received value (validated by the scan, and found safe to parse later).
    fn parse(&self, e: &Entry) -> Value {
        let raw = &self.bytes[e.vs as usize..e.vt as usize];
        // The common case, a string without escapes, needs no parser.
        if let [b'"', inner @ .., b'"'] = raw
            && !inner.contains(&b'\\')
            && let Ok(s) = std::str::from_utf8(inner)
        {
            return Value::String(s.to_owned());
        }
        // The scan parses at once every value a full parse could refuse (see `scan`), so this
        // cannot fail; the property tests check that lazy and full parses agree.
        serde_json::from_slice(&self.bytes[e.vs as usize..e.vt as usize]).unwrap_or_else(|err| {
            debug_assert!(false, "a lazily kept JSON value failed to parse: {err}");
            Value::Null
        })
    }

    /// The received value of `e`, taken out of the read cache or parsed.
    fn take_received(&mut self, e: &Entry) -> Value {
        self.cache
            .get_mut()
            .and_then(|c| c[e.ord as usize].take())
            .unwrap_or_else(|| self.parse(e))
    }

    /// The value of member `i`, owned from now on (so that changes are written out).
    pub(super) fn owned_mut(&mut self, i: usize) -> &mut Value {
        self.map = OnceLock::new();
        if self.entries[i].owned == NONE {
            let e = self.entries[i].clone();
            let v = self.take_received(&e);
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
            let raw = &self.bytes[e.vs as usize..e.vt as usize];
            if let [b'"', inner @ .., b'"'] = raw
                && !inner.contains(&b'\\')
            {
                // Validated as UTF-8 by the scan.
                return std::str::from_utf8(inner).ok();
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
        let e = self.entries.remove(i);
        Some(self.take_value(&e))
    }

    fn take_value(&mut self, e: &Entry) -> Value {
        if e.owned == NONE {
            self.take_received(e)
        } else {
            std::mem::take(&mut self.owned[e.owned as usize])
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
        let entries = std::mem::take(&mut self.entries);
        for e in &entries {
            let k = self.key(e).to_owned();
            map.insert(k, self.take_value(e));
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
            if let (Key::Raw(ks, _), NONE) = (&e.key, e.owned) {
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
                Key::Named(n) => write_value(out, &**n),
            }
            out.push(b':');
            write_value(out, self.value(e));
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

fn write_value<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    // Writing a string or a JSON value into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

/// Nesting deeper than this takes the full parse (`serde_json` refuses more than 128 levels).
const MAX_DEPTH: usize = 100;

/// Digits in a number above which its value is parsed at once (it may overflow an `f64`).
const MAX_LAZY_DIGITS: usize = 300;

/// Validates `bytes` as one JSON object (the grammar `serde_json` accepts) and indexes its
/// members; `None` when it is not one JSON object, nests deeper than [`MAX_DEPTH`], or has an
/// escaped or duplicate member name — those take the full parse, which decides. Values a full
/// parse could still refuse (a `\u` escape may be a lone surrogate; an exponent or hundreds of
/// digits may overflow) are parsed here, and one that fails makes the scan fail.
fn scan(bytes: &[u8]) -> Option<(Vec<Entry>, Vec<Value>)> {
    // One UTF-8 check for the whole line; the scanner then only looks at ASCII structure.
    std::str::from_utf8(bytes).ok()?;
    let mut sc = Scanner { b: bytes, i: 0 };
    sc.ws();
    sc.eat(b'{')?;
    let mut entries: Vec<Entry> = Vec::with_capacity(ENTRIES);
    let mut seen = 0u64;
    let mut owned = Vec::new();
    sc.ws();
    if sc.peek() == Some(b'}') {
        sc.i += 1;
    } else {
        loop {
            sc.eat(b'"')?;
            let ks = sc.i;
            if sc.string()? != StrKind::Plain {
                return None;
            }
            let kt = sc.i - 1;
            sc.ws();
            sc.eat(b':')?;
            sc.ws();
            let vs = sc.i;
            let defer = sc.value()?;
            let vt = sc.i;
            let key = &bytes[ks..kt];
            // Duplicate names: a full parse keeps the last value in the first position; leave
            // that to it. A 64-bit filter of (length, first and last byte) skips the
            // comparisons in the usual case.
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
            if !defer {
                // Held as set: written out compact rather than as received.
                entry.owned = owned.len() as u32;
                owned.push(serde_json::from_slice(&bytes[vs..vt]).ok()?);
            }
            entries.push(entry);
            sc.ws();
            match sc.next()? {
                b',' => sc.ws(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    sc.ws();
    (sc.i == bytes.len()).then_some((entries, owned))
}

#[derive(Debug, PartialEq, Eq)]
enum StrKind {
    /// No escapes.
    Plain,
    /// Escapes other than `\u`.
    Escaped,
    /// At least one `\u` escape.
    Unicode,
}

/// Bytes that end a run of plain string content: the quote, the backslash and control
/// characters.
static STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = true;
        c += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Which containers are open (at most [`MAX_DEPTH`] < 128).
#[derive(Default)]
struct Stack {
    bits: u128,
    depth: usize,
}

impl Stack {
    fn push(&mut self, object: bool) {
        self.bits = self.bits << 1 | u128::from(object);
        self.depth += 1;
    }

    fn pop(&mut self) {
        self.bits >>= 1;
        self.depth -= 1;
    }

    /// Whether the innermost open container is an object.
    fn last(&self) -> Option<bool> {
        (self.depth > 0).then_some(self.bits & 1 == 1)
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// The rest of a string whose opening quote was consumed; ends after the closing quote.
    fn string(&mut self) -> Option<StrKind> {
        let mut kind = StrKind::Plain;
        loop {
            self.skip_plain();
            while !STOP[usize::from(*self.b.get(self.i)?)] {
                self.i += 1;
            }
            match self.next()? {
                b'"' => return Some(kind),
                b'\\' => match self.next()? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                        if kind == StrKind::Plain {
                            kind = StrKind::Escaped;
                        }
                    }
                    b'u' => {
                        for _ in 0..4 {
                            if !self.next()?.is_ascii_hexdigit() {
                                return None;
                            }
                        }
                        kind = StrKind::Unicode;
                    }
                    _ => return None,
                },
                // A control character.
                _ => return None,
            }
        }
    }

    /// Skips plain string content eight bytes at a time, stopping at or before the first quote,
    /// backslash or control character (the caller then goes byte by byte).
    fn skip_plain(&mut self) {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        // Per byte, the high bit is set in the lowest byte that is zero (`v - 1` borrows there);
        // bits above it may be false positives, so only the lowest set bit is used.
        let zero = |v: u64| v.wrapping_sub(ONES) & !v;
        while let Some(chunk) = self.b.get(self.i..self.i + 8) {
            let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
                return;
            };
            let x = u64::from_le_bytes(bytes);
            let quote = zero(x ^ (ONES * u64::from(b'"')));
            let backslash = zero(x ^ (ONES * u64::from(b'\\')));
            // Bytes below 0x20 (bytes of 0x80 and up are excluded by `!x`).
            let control = x.wrapping_sub(ONES * 0x20) & !x;
            let hits = (quote | backslash | control) & HIGHS;
            if hits != 0 {
                self.i += (hits.trailing_zeros() / 8) as usize;
                return;
            }
            self.i += 8;
        }
    }

    /// A number; `Some(true)` when a later parse cannot overflow.
    fn number(&mut self) -> Option<bool> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        let mut safe = true;
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
            safe = false;
        }
        Some(safe && self.i - start <= MAX_LAZY_DIGITS)
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<bool> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| {
            self.i = end;
            true
        })
    }

    /// One value (iteratively, nesting bounded by [`MAX_DEPTH`]); `Some(true)` when its parse
    /// can be deferred (see [`scan`]).
    fn value(&mut self) -> Option<bool> {
        let mut safe = true;
        // Open containers, innermost in bit 0: set for an object.
        let mut stack = Stack::default();
        loop {
            // A value.
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    safe &= self.string()? != StrKind::Unicode;
                }
                b'{' | b'[' => {
                    let object = self.next()? == b'{';
                    if stack.depth >= MAX_DEPTH {
                        return None;
                    }
                    stack.push(object);
                    self.ws();
                    let close = if object { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.i += 1;
                        stack.pop();
                    } else {
                        if object {
                            self.member_key()?;
                        }
                        continue;
                    }
                }
                b't' => {
                    self.literal(b"true")?;
                }
                b'f' => {
                    self.literal(b"false")?;
                }
                b'n' => {
                    self.literal(b"null")?;
                }
                _ => safe &= self.number()?,
            }
            // After a value: close containers or move to the next element.
            loop {
                let Some(object) = stack.last() else {
                    return Some(safe);
                };
                self.ws();
                match self.next()? {
                    b',' => {
                        self.ws();
                        if object {
                            self.member_key()?;
                        }
                        break;
                    }
                    b'}' if object => {
                        stack.pop();
                    }
                    b']' if !object => {
                        stack.pop();
                    }
                    _ => return None,
                }
            }
        }
    }

    /// `"name" :` inside a nested object, leaving the scanner at the value.
    fn member_key(&mut self) -> Option<()> {
        self.eat(b'"')?;
        self.string()?;
        self.ws();
        self.eat(b':')?;
        self.ws();
        Some(())
    }
}
