//! [`NdjsonDecoder`]: the tokio-util codec.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::frame::{DecoderConfig, Frame, classify, is_blank};

/// A tokio-util [`Decoder`] of NDJSON lines into [`Frame`]s, and an [`Encoder`] of raw
/// JSON lines.
///
/// Decoding follows the contract of the crate (see [`Frame`]): bad lines are items, `Err`
/// only carries I/O errors from the transport, so a `FramedRead` never stops on bad input.
/// Lines are split on `\n`; one `\r` before it is stripped; a final line without `\n` is
/// accepted at the end of the stream; blank lines are skipped. A line longer than
/// [`DecoderConfig::max_line_length`] is discarded as it arrives (memory stays bounded) and
/// reported once as [`Frame::TooLong`].
///
/// ```
/// use bytes::BytesMut;
/// use ndjson_codec::{Frame, NdjsonDecoder};
/// use tokio_util::codec::Decoder;
///
/// let mut dec = NdjsonDecoder::new();
/// let mut buf = BytesMut::from(&b"{\"a\":1}\r\n\nnope\n{\"b\""[..]);
/// assert!(matches!(dec.decode(&mut buf)?, Some(Frame::Object { line: 1, offset: 0, .. })));
/// assert!(matches!(dec.decode(&mut buf)?, Some(Frame::InvalidJson { line: 3, offset: 10, .. })));
/// assert_eq!(dec.decode(&mut buf)?, None); // `{"b"` waits for the rest of its line
/// assert!(matches!(dec.decode_eof(&mut buf)?, Some(Frame::InvalidJson { line: 4, .. })));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct NdjsonDecoder {
    config: DecoderConfig,
    /// Stream offset of the first byte of the buffer.
    offset: u64,
    /// Lines begun so far; the next line gets `line + 1`.
    line: u64,
    /// How much of the buffer has been searched for `\n` without finding one.
    scanned: usize,
    /// Set while an over-long line is being discarded.
    discarding: Option<Discard>,
}

#[derive(Debug, Clone, Copy)]
struct Discard {
    offset: u64,
    line: u64,
    /// Bytes discarded so far.
    len: u64,
    /// Whether the last discarded byte was `\r` (not counted if the `\n` follows).
    last_cr: bool,
}

impl Discard {
    fn frame(self) -> Frame {
        Frame::TooLong {
            len: self.len - u64::from(self.last_cr),
            offset: self.offset,
            line: self.line,
        }
    }
}

impl NdjsonDecoder {
    /// A decoder with the default [`DecoderConfig`] (1 MiB lines, validation on).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder with the given options.
    #[must_use]
    pub fn with_config(config: DecoderConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// The options in use.
    #[must_use]
    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }

    /// Bytes consumed from the stream so far (the offset of the next unread byte).
    #[must_use]
    pub fn position(&self) -> u64 {
        self.offset
    }

    /// Lines begun so far, blank and over-long ones included.
    #[must_use]
    pub fn lines(&self) -> u64 {
        self.line
    }

    fn consume(&mut self, buf: &mut BytesMut, n: usize) -> BytesMut {
        self.offset += n as u64;
        buf.split_to(n)
    }

    /// Discards the over-long line in progress; returns its frame once its `\n` is seen.
    fn discard(&mut self, buf: &mut BytesMut, mut d: Discard) -> Option<Frame> {
        match memchr::memchr(b'\n', buf) {
            Some(i) => {
                if i > 0 {
                    d.last_cr = buf[i - 1] == b'\r';
                }
                d.len += i as u64;
                self.offset += i as u64 + 1;
                buf.advance(i + 1);
                self.discarding = None;
                Some(d.frame())
            }
            None => {
                if let Some(&last) = buf.last() {
                    d.last_cr = last == b'\r';
                    d.len += buf.len() as u64;
                    self.offset += buf.len() as u64;
                    buf.clear();
                }
                self.discarding = Some(d);
                None
            }
        }
    }

    /// Turns one complete line (terminator removed) into a frame; `None` for a blank line.
    fn finish_line(&self, mut raw: BytesMut, offset: u64, line: u64) -> Option<Frame> {
        if raw.last() == Some(&b'\r') {
            raw.truncate(raw.len() - 1);
        }
        if raw.len() > self.config.max_line_length {
            return Some(Frame::TooLong {
                len: raw.len() as u64,
                offset,
                line,
            });
        }
        if is_blank(&raw) {
            return None;
        }
        Some(classify(raw.freeze(), offset, line, self.config.validate))
    }
}

impl Decoder for NdjsonDecoder {
    type Item = Frame;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> std::io::Result<Option<Frame>> {
        loop {
            if let Some(d) = self.discarding {
                return Ok(self.discard(buf, d));
            }
            // A line may hold `max_line_length` bytes, a `\r`, then the `\n`.
            let limit = self.config.max_line_length.saturating_add(2);
            let window = buf.len().min(limit);
            let Some(found) = memchr::memchr(b'\n', &buf[self.scanned.min(window)..window]) else {
                if buf.len() >= limit {
                    // No `\n` where one had to be: the line is too long.
                    self.scanned = 0;
                    self.line += 1;
                    self.discarding = Some(Discard {
                        offset: self.offset,
                        line: self.line,
                        len: 0,
                        last_cr: false,
                    });
                    continue;
                }
                self.scanned = buf.len();
                return Ok(None);
            };
            let end = self.scanned.min(window) + found;
            self.scanned = 0;
            self.line += 1;
            let offset = self.offset;
            let mut raw = self.consume(buf, end + 1);
            raw.truncate(end);
            if let Some(frame) = self.finish_line(raw, offset, self.line) {
                return Ok(Some(frame));
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> std::io::Result<Option<Frame>> {
        if let Some(frame) = self.decode(buf)? {
            return Ok(Some(frame));
        }
        if let Some(d) = self.discarding.take() {
            return Ok(Some(d.frame()));
        }
        if buf.is_empty() {
            return Ok(None);
        }
        // The final line has no `\n`.
        self.scanned = 0;
        self.line += 1;
        let offset = self.offset;
        let raw = self.consume(buf, buf.len());
        Ok(self.finish_line(raw, offset, self.line))
    }
}

fn check_one_line(line: &[u8]) -> std::io::Result<()> {
    match memchr::memchr(b'\n', line) {
        None => Ok(()),
        Some(i) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("ndjson line contains a newline at byte {i}"),
        )),
    }
}

/// Writes one line: the bytes, then `\n`. Bytes holding a `\n` are refused
/// ([`std::io::ErrorKind::InvalidInput`]) since they would split into two lines.
impl Encoder<&[u8]> for NdjsonDecoder {
    type Error = std::io::Error;

    fn encode(&mut self, line: &[u8], dst: &mut BytesMut) -> std::io::Result<()> {
        check_one_line(line)?;
        dst.reserve(line.len() + 1);
        dst.put_slice(line);
        dst.put_u8(b'\n');
        Ok(())
    }
}

/// Same as the `&[u8]` encoder.
impl Encoder<Bytes> for NdjsonDecoder {
    type Error = std::io::Error;

    fn encode(&mut self, line: Bytes, dst: &mut BytesMut) -> std::io::Result<()> {
        Encoder::<&[u8]>::encode(self, &line, dst)
    }
}

/// Writes the event as compact JSON on one line (JSON escapes every newline inside strings).
impl Encoder<&log_model::LogEvent> for NdjsonDecoder {
    type Error = std::io::Error;

    fn encode(&mut self, event: &log_model::LogEvent, dst: &mut BytesMut) -> std::io::Result<()> {
        let mut w = dst.writer();
        serde_json::to_writer(&mut w, event)?;
        w.into_inner().put_u8(b'\n');
        Ok(())
    }
}

#[cfg(test)]
mod tests;
