//! Record framing: `[len: u32 LE][crc32(payload): u32 LE][payload]`.

use std::io::Read;

/// Bytes before a record's payload.
pub const HEADER: usize = 8;

/// Largest payload a record may hold (the length field is 32 bits).
pub const MAX_PAYLOAD: usize = u32::MAX as usize;

/// Appends one record holding `payload`.
///
/// # Panics
/// When the payload is larger than [`MAX_PAYLOAD`] (callers bound what they log far below it).
pub fn encode(out: &mut Vec<u8>, payload: &[u8]) {
    encode_with(out, |buf| buf.extend_from_slice(payload));
}

/// Appends one record whose payload `write` appends to the buffer (no intermediate copy).
///
/// # Panics
/// When the payload is larger than [`MAX_PAYLOAD`].
pub fn encode_with(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0u8; HEADER]);
    write(out);
    let len = u32::try_from(out.len() - start - HEADER)
        .unwrap_or_else(|_| panic!("a log record's payload is limited to 4 GiB"));
    let crc = crc32fast::hash(&out[start + HEADER..]);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + HEADER].copy_from_slice(&crc.to_le_bytes());
}

/// Why a record could not be read: a crash's torn write or corruption (the caller decides).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bad {
    /// Offset of the record's first byte.
    pub offset: u64,
    /// What is wrong.
    pub reason: String,
}

/// Walks the records of a buffer.
#[derive(Debug)]
pub struct Frames<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Frames<'a> {
    /// Starts at the beginning of `data`.
    #[must_use]
    pub fn new(data: &'a [u8]) -> Self {
        Frames { data, pos: 0 }
    }

    /// Offset of the next record (after the last good one).
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.pos as u64
    }

    /// The next record's payload; `Ok(None)` at a clean end; `Err` for a torn or corrupt record
    /// (the walk does not advance past it).
    ///
    /// # Errors
    /// A truncated header or payload, or a checksum mismatch.
    pub fn next_record(&mut self) -> Result<Option<&'a [u8]>, Bad> {
        let rest = &self.data[self.pos..];
        if rest.is_empty() {
            return Ok(None);
        }
        let bad = |reason: &str| Bad {
            offset: self.pos as u64,
            reason: reason.to_owned(),
        };
        let Some(header) = rest.get(..HEADER) else {
            return Err(bad("truncated record header"));
        };
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        let Some(payload) = rest.get(HEADER..HEADER + len) else {
            return Err(bad("truncated record payload"));
        };
        if crc32fast::hash(payload) != crc {
            return Err(bad("checksum mismatch"));
        }
        self.pos += HEADER + len;
        Ok(Some(payload))
    }
}

/// Reads one record from a stream positioned at a record boundary; `Ok(None)` at a clean end.
/// Memory grows with the bytes actually present, never with a corrupt length field.
///
/// # Errors
/// A truncated or corrupt record (its `offset` is 0: the caller knows the stream's position),
/// or a read error.
pub fn read(r: &mut impl Read) -> Result<Option<Vec<u8>>, Bad> {
    let bad = |reason: String| Bad { offset: 0, reason };
    let mut header = [0u8; HEADER];
    let mut got = 0;
    while got < HEADER {
        match r.read(&mut header[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(bad("truncated record header".into())),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(bad(e.to_string())),
        }
    }
    let len = u64::from(u32::from_le_bytes([
        header[0], header[1], header[2], header[3],
    ]));
    let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    let mut payload = Vec::new();
    r.take(len)
        .read_to_end(&mut payload)
        .map_err(|e| bad(e.to_string()))?;
    if payload.len() as u64 != len {
        return Err(bad("truncated record payload".into()));
    }
    if crc32fast::hash(&payload) != crc {
        return Err(bad("checksum mismatch".into()));
    }
    Ok(Some(payload))
}
