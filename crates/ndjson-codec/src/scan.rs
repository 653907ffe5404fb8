//! A fast, conservative check that a line is one JSON object.
//!
//! [`is_object`] answering `true` means the bytes are exactly one JSON object (RFC 8259), with
//! optional surrounding whitespace. `false` means "not sure": the caller then asks serde_json,
//! which gives the verdict and the error message. Anything unusual (a `\u` escape of a
//! surrogate, very deep nesting) is left to serde_json. The input must already be valid UTF-8.
//!
//! It exists for speed: it does what `serde_json::from_slice::<IgnoredAny>` does, for the common
//! case, about twice as fast.

/// Deeper nesting than this is left to serde_json.
const MAX_DEPTH: usize = 128;

/// Bytes that end the fast part of a string: `"`, `\` and control characters.
static STRING_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.peek() {
            self.i += 1;
        }
    }

    #[inline]
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// After the opening quote: through the closing quote.
    fn string(&mut self) -> bool {
        loop {
            while self.i < self.s.len() && !STRING_STOP[self.s[self.i] as usize] {
                self.i += 1;
            }
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    return true;
                }
                Some(b'\\') => {
                    self.i += 1;
                    if !self.escape() {
                        return false;
                    }
                }
                _ => return false, // control character or end of input
            }
        }
    }

    fn escape(&mut self) -> bool {
        let Some(c) = self.peek() else { return false };
        self.i += 1;
        match c {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => true,
            b'u' => {
                let Some(hex) = self.s.get(self.i..self.i + 4) else {
                    return false;
                };
                let mut code = 0u32;
                for &h in hex {
                    let Some(d) = (h as char).to_digit(16) else {
                        return false;
                    };
                    code = code * 16 + d;
                }
                self.i += 4;
                // Surrogates: leave the pairing rules to serde_json.
                !(0xD800..=0xDFFF).contains(&code)
            }
            _ => false,
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> bool {
        self.eat(b'-');
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return false,
        }
        if self.eat(b'.') && self.digits() == 0 {
            return false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return false;
            }
        }
        true
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }
}

#[derive(Clone, Copy)]
enum State {
    /// Just after `{`: a key or `}`.
    KeyOrClose,
    /// Just after `[`: a value or `]`.
    ValueOrClose,
    /// A key, then `:`.
    Key,
    /// Any value.
    Value,
    /// After a complete value: `,` or the closer of the container (or the end).
    AfterValue,
}

/// `true` only when `s` is exactly one JSON object (see the module docs).
pub(crate) fn is_object(s: &[u8]) -> bool {
    let mut p = Scanner { s, i: 0 };
    // Open containers: true = object, false = array.
    let mut stack: Vec<bool> = Vec::with_capacity(8);
    p.skip_ws();
    if !p.eat(b'{') {
        return false;
    }
    stack.push(true);
    let mut state = State::KeyOrClose;
    loop {
        p.skip_ws();
        state = match state {
            State::KeyOrClose if p.eat(b'}') => {
                stack.pop();
                State::AfterValue
            }
            State::KeyOrClose => State::Key,
            State::ValueOrClose if p.eat(b']') => {
                stack.pop();
                State::AfterValue
            }
            State::ValueOrClose => State::Value,
            State::Key => {
                if !(p.eat(b'"') && p.string()) {
                    return false;
                }
                p.skip_ws();
                if !p.eat(b':') {
                    return false;
                }
                State::Value
            }
            State::Value => {
                let Some(c) = p.peek() else { return false };
                match c {
                    b'{' | b'[' => {
                        p.i += 1;
                        stack.push(c == b'{');
                        if stack.len() > MAX_DEPTH {
                            return false;
                        }
                        if c == b'{' {
                            State::KeyOrClose
                        } else {
                            State::ValueOrClose
                        }
                    }
                    b'"' => {
                        p.i += 1;
                        if !p.string() {
                            return false;
                        }
                        State::AfterValue
                    }
                    b't' | b'f' | b'n' => {
                        let word: &[u8] = match c {
                            b't' => b"true",
                            b'f' => b"false",
                            _ => b"null",
                        };
                        if !p.literal(word) {
                            return false;
                        }
                        State::AfterValue
                    }
                    b'-' | b'0'..=b'9' => {
                        if !p.number() {
                            return false;
                        }
                        State::AfterValue
                    }
                    _ => return false,
                }
            }
            State::AfterValue => {
                let Some(&in_object) = stack.last() else {
                    return p.i == s.len();
                };
                match p.peek() {
                    Some(b',') => {
                        p.i += 1;
                        if in_object { State::Key } else { State::Value }
                    }
                    Some(b'}') if in_object => {
                        p.i += 1;
                        stack.pop();
                        State::AfterValue
                    }
                    Some(b']') if !in_object => {
                        p.i += 1;
                        stack.pop();
                        State::AfterValue
                    }
                    _ => return false,
                }
            }
        };
    }
}

#[cfg(test)]
mod tests;
