//! [`NdjsonReader`]: the same framing over a blocking [`BufRead`].

use std::io::BufRead;

use bytes::BytesMut;
use tokio_util::codec::Decoder;

use crate::{DecoderConfig, Frame, NdjsonDecoder};

/// How much is taken from the underlying reader at a time.
const CHUNK: usize = 64 * 1024;

/// An iterator of [`Frame`]s over a blocking reader, with exactly the semantics of
/// [`NdjsonDecoder`] (it is built on it): `Err` only for I/O errors, bad lines are items.
///
/// ```
/// use ndjson_codec::{Frame, NdjsonReader};
///
/// let input = "{\"level\":\"INFO\"}\n[1]\n{\"level\":\"ERROR\"}";
/// let mut good = 0;
/// for frame in NdjsonReader::new(input.as_bytes()) {
///     match frame? {
///         Frame::Object { .. } => good += 1,
///         bad => assert_eq!(bad.line(), 2),
///     }
/// }
/// assert_eq!(good, 2);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct NdjsonReader<R> {
    inner: R,
    buf: BytesMut,
    decoder: NdjsonDecoder,
    eof: bool,
    done: bool,
}

impl<R: BufRead> NdjsonReader<R> {
    /// A reader with the default [`DecoderConfig`].
    pub fn new(inner: R) -> Self {
        Self::with_config(inner, DecoderConfig::default())
    }

    /// A reader with the given options.
    pub fn with_config(inner: R, config: DecoderConfig) -> Self {
        Self {
            inner,
            buf: BytesMut::new(),
            decoder: NdjsonDecoder::with_config(config),
            eof: false,
            done: false,
        }
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Bytes consumed from the stream and framed so far.
    pub fn position(&self) -> u64 {
        self.decoder.position()
    }

    /// Gives back the underlying reader (bytes buffered but not yet framed are lost).
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Moves the next chunk of input into the buffer; sets `eof` at the end.
    fn fill(&mut self) -> std::io::Result<()> {
        let chunk = loop {
            match self.inner.fill_buf() {
                Ok(chunk) => break chunk,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        if chunk.is_empty() {
            self.eof = true;
            return Ok(());
        }
        let n = chunk.len().min(CHUNK);
        if self.buf.capacity() - self.buf.len() < n {
            self.buf.reserve(n.max(CHUNK));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        self.inner.consume(n);
        Ok(())
    }
}

impl<R: BufRead> Iterator for NdjsonReader<R> {
    type Item = std::io::Result<Frame>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let decoded = if self.eof {
                self.decoder.decode_eof(&mut self.buf)
            } else {
                self.decoder.decode(&mut self.buf)
            };
            match decoded {
                Ok(Some(frame)) => return Some(Ok(frame)),
                Ok(None) if self.eof => self.done = true,
                Ok(None) => {
                    if let Err(e) = self.fill() {
                        return Some(Err(e));
                    }
                }
                Err(e) => return Some(Err(e)),
            }
        }
        None
    }
}
