//! Small helpers: ES-style wildcard matching and generated document ids.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Matches `*`-wildcard patterns (ES index patterns and field patterns); `?` is literal here.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] != b'*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

static SEQ: AtomicU64 = AtomicU64::new(0);

fn node_bits() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static NODE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *NODE.get_or_init(|| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.finish()
    })
}

/// A 20-character, URL-safe base64 id in the manner of ES's time-based ids
/// (6 bytes of milliseconds, 6 bytes of node identity, 3 bytes of sequence).
pub fn generate_id() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let node = node_bits();
    let mut b = [0u8; 15];
    // time and node first, sequence last: ids generated together share a 16-character prefix,
    // so the `_id` term dictionary (an FST, built at every flush and merge) adds only a short
    // suffix per document. (ES puts the sequence first for Lucene's block tree; with the
    // sequence first, building the FST of random-prefixed ids was ~10% of indexing.)
    b[0..6].copy_from_slice(&ms.to_be_bytes()[2..8]);
    b[6..12].copy_from_slice(&node.to_be_bytes()[2..8]);
    b[12] = (seq >> 16) as u8;
    b[13] = (seq >> 8) as u8;
    b[14] = seq as u8;
    let mut out = String::with_capacity(20);
    for chunk in b.chunks(3) {
        let n = (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]);
        for shift in [18, 12, 6, 0] {
            out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
        }
    }
    out
}

/// Writes `v` to `dir/name` atomically and durably: a temporary file written and fsynced, renamed
/// over the old one, then the directory fsynced (the store's small metadata files).
///
/// # Errors
/// Encoding or any I/O step, naming the path.
pub fn write_json_atomic(
    dir: &std::path::Path,
    name: &str,
    v: &serde_json::Value,
) -> crate::error::Result<()> {
    let bytes = serde_json::to_vec(v).map_err(|e| {
        crate::error::Error::es(500, "exception", format!("cannot encode {name}: {e}"))
    })?;
    durable_log::write_atomic(&dir.join(name), &bytes).map_err(log_error)
}

/// The store's error for a [`durable_log`] error (paths stay in the `Io` variant, which
/// responses redact).
pub(crate) fn log_error(e: durable_log::Error) -> crate::error::Error {
    use crate::error::Error;
    use std::io;
    match e {
        durable_log::Error::Io { path, source } => Error::io(&path, source),
        durable_log::Error::Stopped {
            name,
            path,
            kind,
            message,
        } => Error::io(
            &path,
            io::Error::new(
                kind,
                format!(
                    "{name} stopped after a failed write ({message}); the write was not acknowledged and may or may not be applied after a restart"
                ),
            ),
        ),
        durable_log::Error::Corrupt {
            path,
            offset,
            reason,
        } => Error::io(
            &path,
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{reason} at byte {offset}"),
            ),
        ),
        other => Error::io("log", io::Error::other(other.to_string())),
    }
}

/// An Elasticsearch byte size: `500mb`, `1gb`, `64kb`, `2tb`, `100b` or a plain number of bytes
/// (case-insensitive; `None` when it is none of those, saturating when huge).
pub fn parse_byte_size(s: &str) -> Option<u64> {
    let t = s.trim().to_ascii_lowercase();
    let units: [(&str, u64); 6] = [
        ("tb", 1 << 40),
        ("gb", 1 << 30),
        ("mb", 1 << 20),
        ("kb", 1 << 10),
        ("b", 1),
        ("", 1),
    ];
    units.iter().find_map(|(unit, mult)| {
        t.strip_suffix(unit)
            .and_then(|n| n.trim().parse::<u64>().ok())
            .map(|v| v.saturating_mul(*mult))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard() {
        for (p, t, want) in [
            ("python-logs-*", "python-logs-2024.01.01", true),
            ("python-logs-*", "python-log", false),
            ("*", "", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            ("abc", "abc", true),
            ("abc", "abcd", false),
        ] {
            assert_eq!(wildcard_match(p, t), want, "{p} vs {t}");
        }
    }

    #[test]
    fn consecutive_ids_share_their_time_and_node_prefix() {
        let ids: Vec<String> = (0..1000).map(|_| generate_id()).collect();
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        // the same millisecond and node: only the last 4 characters (the sequence) differ
        let same_prefix = ids.windows(2).filter(|w| w[0][..16] == w[1][..16]).count();
        assert!(same_prefix > 0, "{:?}", &ids[..4]);
    }

    #[test]
    fn ids_are_20_chars_and_unique() {
        let a = generate_id();
        let b = generate_id();
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}
