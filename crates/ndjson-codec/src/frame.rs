//! [`Frame`]: one line of an NDJSON stream, classified.

use bytes::Bytes;

/// One line of an NDJSON stream.
///
/// A bad line is an item, not a stream error: the decoder and the reader hand back one of the
/// bad-line variants and carry on with the next line. Every variant says where the line starts:
/// `offset` is the byte offset of its first byte in the stream (0-based) and `line` its line
/// number (1-based, counting blank lines too), so a message can name the place.
///
/// `raw` never includes the line terminator: a trailing `\n` or `\r\n` is stripped.
/// Blank lines (nothing but spaces, tabs and `\r`) are skipped and produce no frame.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Frame {
    /// A valid JSON object, as its raw bytes (which are valid UTF-8).
    Object {
        /// The line's bytes.
        raw: Bytes,
        /// Byte offset of the line in the stream.
        offset: u64,
        /// 1-based line number.
        line: u64,
    },
    /// A line that was only framed, not checked, because
    /// [`DecoderConfig::validate`] is `false`. It may hold anything but a newline.
    Unvalidated {
        /// The line's bytes.
        raw: Bytes,
        /// Byte offset of the line in the stream.
        offset: u64,
        /// 1-based line number.
        line: u64,
    },
    /// Valid UTF-8 that is not JSON (or is JSON followed by trailing characters).
    InvalidJson {
        /// The line's bytes.
        raw: Bytes,
        /// Byte offset of the line in the stream.
        offset: u64,
        /// 1-based line number.
        line: u64,
        /// The parser's message with the column within the line, e.g.
        /// `"expected value at column 1"`.
        error: String,
    },
    /// Bytes that are not UTF-8 (JSON text must be UTF-8).
    InvalidUtf8 {
        /// The line's bytes.
        raw: Bytes,
        /// Byte offset of the line in the stream.
        offset: u64,
        /// 1-based line number.
        line: u64,
        /// Length of the longest valid UTF-8 prefix: the first bad byte is at `offset + valid_up_to`.
        valid_up_to: usize,
    },
    /// Valid JSON that is not an object, such as `[1]`, `"x"`, `3` or `null`.
    NotAnObject {
        /// The line's bytes.
        raw: Bytes,
        /// Byte offset of the line in the stream.
        offset: u64,
        /// 1-based line number.
        line: u64,
        /// What it is instead: `"array"`, `"string"`, `"number"`, `"boolean"` or `"null"`.
        found: &'static str,
    },
    /// A line longer than [`DecoderConfig::max_line_length`]. Its bytes were discarded up to
    /// and including the next `\n` (or the end of the stream) and are not kept.
    TooLong {
        /// The line's length in bytes, without its terminator.
        len: u64,
        /// Byte offset of the line in the stream.
        offset: u64,
        /// 1-based line number.
        line: u64,
    },
}

impl Frame {
    /// Byte offset of the line's first byte in the stream.
    #[must_use]
    pub fn offset(&self) -> u64 {
        match self {
            Frame::Object { offset, .. }
            | Frame::Unvalidated { offset, .. }
            | Frame::InvalidJson { offset, .. }
            | Frame::InvalidUtf8 { offset, .. }
            | Frame::NotAnObject { offset, .. }
            | Frame::TooLong { offset, .. } => *offset,
        }
    }

    /// 1-based line number.
    #[must_use]
    pub fn line(&self) -> u64 {
        match self {
            Frame::Object { line, .. }
            | Frame::Unvalidated { line, .. }
            | Frame::InvalidJson { line, .. }
            | Frame::InvalidUtf8 { line, .. }
            | Frame::NotAnObject { line, .. }
            | Frame::TooLong { line, .. } => *line,
        }
    }

    /// The line's bytes, unless it was too long to keep.
    #[must_use]
    pub fn raw(&self) -> Option<&Bytes> {
        match self {
            Frame::Object { raw, .. }
            | Frame::Unvalidated { raw, .. }
            | Frame::InvalidJson { raw, .. }
            | Frame::InvalidUtf8 { raw, .. }
            | Frame::NotAnObject { raw, .. } => Some(raw),
            Frame::TooLong { .. } => None,
        }
    }

    /// Length of the line in bytes, without its terminator (also for [`Frame::TooLong`]).
    #[must_use]
    pub fn len(&self) -> u64 {
        match self {
            Frame::TooLong { len, .. } => *len,
            other => other.raw().map_or(0, |r| r.len() as u64),
        }
    }

    /// Never true: blank lines produce no frame. Present because `len` is.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True for [`Frame::Object`].
    #[must_use]
    pub fn is_object(&self) -> bool {
        matches!(self, Frame::Object { .. })
    }

    /// Parses an [`Frame::Object`] (or an [`Frame::Unvalidated`] line) into a
    /// [`log_model::LogEvent`]; any other frame is an error naming the line and the problem.
    ///
    /// # Errors
    /// [`crate::Error::NotAnEvent`] when the line is bad or does not parse as an event.
    pub fn to_event(&self) -> crate::Result<log_model::LogEvent> {
        let not_an_event = |reason: String| crate::Error::NotAnEvent {
            line: self.line(),
            offset: self.offset(),
            reason,
        };
        match self {
            Frame::Object { raw, .. } | Frame::Unvalidated { raw, .. } => {
                log_model::LogEvent::from_json_slice(raw).map_err(|e| not_an_event(e.to_string()))
            }
            _ => {
                let problem = self.problem().unwrap_or_default();
                // `problem` already names the place; keep only the "what".
                let what = problem
                    .split_once("): ")
                    .map_or(problem.as_str(), |(_, w)| w);
                Err(not_an_event(what.to_owned()))
            }
        }
    }

    /// What is wrong with the line, naming where, or `None` for a good line
    /// ([`Frame::Object`], [`Frame::Unvalidated`]).
    ///
    /// ```
    /// # use ndjson_codec::{Frame, NdjsonReader};
    /// let frames: Vec<Frame> = NdjsonReader::new(&b"{}\n[1]\n"[..]).collect::<Result<_, _>>().unwrap();
    /// assert_eq!(frames[0].problem(), None);
    /// assert_eq!(
    ///     frames[1].problem().as_deref(),
    ///     Some("line 2 (byte offset 3): json value is an array, not an object")
    /// );
    /// ```
    #[must_use]
    pub fn problem(&self) -> Option<String> {
        let (line, offset) = (self.line(), self.offset());
        let what = match self {
            Frame::Object { .. } | Frame::Unvalidated { .. } => return None,
            Frame::InvalidJson { error, .. } => format!("invalid json: {error}"),
            Frame::InvalidUtf8 { valid_up_to, .. } => format!(
                "invalid utf-8 at byte {} of the line (stream byte offset {})",
                valid_up_to,
                offset + *valid_up_to as u64
            ),
            Frame::NotAnObject { found, .. } => {
                format!("json value is {} {found}, not an object", article(found))
            }
            Frame::TooLong { len, .. } => {
                format!("line is {len} bytes, longer than the limit; discarded")
            }
        };
        Some(format!("line {line} (byte offset {offset}): {what}"))
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Options of [`NdjsonDecoder`](crate::NdjsonDecoder) and [`NdjsonReader`](crate::NdjsonReader).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecoderConfig {
    /// Longest accepted line in bytes, without its terminator. Longer lines become
    /// [`Frame::TooLong`]; at most about this many bytes are ever buffered for one line.
    /// Default: 1 MiB (1,048,576).
    pub max_line_length: usize,
    /// Check each line (UTF-8, JSON, object). When `false` every non-blank line is handed back
    /// as [`Frame::Unvalidated`], for callers that parse the line themselves anyway.
    /// Default: `true`.
    pub validate: bool,
}

impl DecoderConfig {
    /// The default limit on line length: 1 MiB.
    pub const DEFAULT_MAX_LINE_LENGTH: usize = 1 << 20;

    /// Sets [`DecoderConfig::max_line_length`].
    #[must_use]
    pub fn max_line_length(mut self, n: usize) -> Self {
        self.max_line_length = n;
        self
    }

    /// Sets [`DecoderConfig::validate`].
    #[must_use]
    pub fn validate(mut self, on: bool) -> Self {
        self.validate = on;
        self
    }
}

impl Default for DecoderConfig {
    fn default() -> Self {
        Self {
            max_line_length: Self::DEFAULT_MAX_LINE_LENGTH,
            validate: true,
        }
    }
}

/// True for a line holding nothing but spaces, tabs and carriage returns.
pub(crate) fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

/// Classifies one line (terminator already stripped, not blank).
pub(crate) fn classify(raw: Bytes, offset: u64, line: u64, validate: bool) -> Frame {
    if !validate {
        return Frame::Unvalidated { raw, offset, line };
    }
    let fast = match std::str::from_utf8(&raw) {
        // The common case, fast; anything else is decided (and explained) by serde_json.
        Ok(text) => log_model::is_json_object(text),
        Err(e) => {
            let valid_up_to = e.valid_up_to();
            return Frame::InvalidUtf8 {
                raw,
                offset,
                line,
                valid_up_to,
            };
        }
    };
    if fast {
        return Frame::Object { raw, offset, line };
    }
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&raw) {
        let error = json_error_message(&e);
        return Frame::InvalidJson {
            raw,
            offset,
            line,
            error,
        };
    }
    // Valid JSON: the first non-blank byte says what kind of value it is.
    let first = raw
        .iter()
        .copied()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r'));
    let found = match first {
        Some(b'{') => return Frame::Object { raw, offset, line },
        Some(b'[') => "array",
        Some(b'"') => "string",
        Some(b't' | b'f') => "boolean",
        Some(b'n') => "null",
        _ => "number",
    };
    Frame::NotAnObject {
        raw,
        offset,
        line,
        found,
    }
}

/// serde_json's message with the position as a column within the line (every line is its own
/// document, so serde_json's "line 1" would only confuse).
pub(crate) fn json_error_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let what = full.strip_suffix(&suffix).unwrap_or(&full);
    if e.column() == 0 {
        what.to_owned()
    } else {
        format!("{what} at column {}", e.column())
    }
}
