//! A validating scanner for one JSON object: the grammar `serde_json` accepts (strings without
//! control characters, number syntax, literals, nesting), in one pass over the text, without
//! building anything. Used by lazy events (which index the members it reports) and by the NDJSON
//! decoder (which only wants the verdict). Property tests hold it to `serde_json`'s decisions.

use std::ops::Range;

#[cfg(test)]
mod tests;

/// One top-level member, as byte ranges of the text.
#[derive(Debug)]
pub(crate) struct Member {
    /// The name, between its quotes.
    pub(crate) key: Range<usize>,
    /// The name has no escapes (its bytes are its text).
    pub(crate) plain_key: bool,
    /// The value.
    pub(crate) value: Range<usize>,
    /// Parsing the value later cannot fail: no `\u` escape (it may be a lone surrogate), no
    /// exponent and no run of hundreds of digits (either may overflow an `f64`).
    pub(crate) deferrable: bool,
}

/// Walks `text` as one JSON object with optional surrounding whitespace, calling `member` for
/// each top-level member in order; `None` when the text is not one (or nests deeper than
/// [`MAX_DEPTH`]) or when `member` returns `None`.
pub(crate) fn members(text: &str, mut member: impl FnMut(Member) -> Option<()>) -> Option<()> {
    let mut sc = Scanner {
        b: text.as_bytes(),
        i: 0,
    };
    sc.ws();
    sc.eat(b'{')?;
    sc.ws();
    if sc.peek() == Some(b'}') {
        sc.i += 1;
    } else {
        loop {
            sc.eat(b'"')?;
            let ks = sc.i;
            let plain_key = sc.string()? == StrKind::Plain;
            let kt = sc.i - 1;
            sc.ws();
            sc.eat(b':')?;
            sc.ws();
            let vs = sc.i;
            let deferrable = sc.value()?;
            member(Member {
                key: ks..kt,
                plain_key,
                value: vs..sc.i,
                deferrable,
            })?;
            sc.ws();
            match sc.next()? {
                b',' => sc.ws(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    sc.ws();
    (sc.i == sc.b.len()).then_some(())
}

/// True when `text` is exactly one JSON object (with optional surrounding whitespace) that
/// `serde_json` accepts whatever it is parsed into. `false` means "not sure": not an object,
/// malformed, nested deeper than 100 levels, or holding a `\u` escape, an exponent or a very
/// long number — ask `serde_json` for the verdict and the error message.
#[must_use]
pub fn is_json_object(text: &str) -> bool {
    members(text, |m| m.deferrable.then_some(())).is_some()
}

/// Nesting deeper than this is left to `serde_json` (which refuses more than 128 levels).
const MAX_DEPTH: usize = 100;

/// Digits in a number above which its value is parsed at once (it may overflow an `f64`).
const MAX_LAZY_DIGITS: usize = 300;

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
