//! Field data of `text` fields mapped with `fielddata: true`: as Elasticsearch does, the
//! segment's inverted index is uninverted (every term of the field's path, with the documents
//! that hold it) into a per-document list of terms, so that sorts and terms-style aggregations
//! read a text field's tokens as they read a keyword column. The result is built as a tantivy
//! string column (the same type a keyword's fast column is), kept per segment in a cache with a
//! byte budget (ES's field data circuit breaker refuses what would not fit; here the least
//! recently used columns make room, and one that cannot fit alone is refused the same way),
//! and reported by `_stats`' `fielddata` section.

use std::collections::HashMap;
use std::sync::OnceLock;

use parking_lot::Mutex;
use tantivy::columnar::{ColumnarReader, ColumnarWriter, DynamicColumn, StrColumn};
use tantivy::index::SegmentId;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocSet, SegmentReader, TERMINATED, Term};

use crate::error::{Error, Result};

/// Bytes of field data the process keeps (ES's field data breaker is 40% of a heap; the store
/// has no heap, so a fixed budget).
pub const BUDGET_BYTES: u64 = 256 << 20;
/// (document, term) pairs one uninversion may hold while it builds (bounds its memory).
const MAX_PAIRS: usize = 32 << 20;

struct Entry {
    column: StrColumn,
    bytes: u64,
    used: u64,
}

#[derive(Default)]
struct Cache {
    entries: HashMap<(SegmentId, String), Entry>,
    bytes: u64,
    tick: u64,
}

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

fn breaker(path: &str, bytes: u64) -> Error {
    Error::es(
        429,
        "circuit_breaking_exception",
        format!(
            "[fielddata] Data too large, data for [{path}] would be [{bytes}/{bytes}b], which is larger than the limit of [{BUDGET_BYTES}/{BUDGET_BYTES}b]"
        ),
    )
    .with("bytes_wanted", bytes)
    .with("bytes_limit", BUDGET_BYTES)
    .with("durability", "PERMANENT")
}

/// The field data of text path `path` in `seg` (`text` is the schema's text field), built on
/// first use and then kept; `None` when the segment holds no term of the path.
///
/// # Errors
/// A tantivy read failure; `circuit_breaking_exception` when the column alone exceeds the
/// budget.
pub(crate) fn column(
    seg: &SegmentReader,
    text: Field,
    path: &str,
    index: &str,
) -> Result<Option<StrColumn>> {
    let key = (seg.segment_id(), path.to_owned());
    {
        let mut c = cache().lock();
        c.tick += 1;
        let tick = c.tick;
        if let Some(e) = c.entries.get_mut(&key) {
            e.used = tick;
            return Ok(Some(e.column.clone()));
        }
    }
    let Some((column, bytes)) = uninvert(seg, text, path, index)? else {
        return Ok(None);
    };
    if bytes > BUDGET_BYTES {
        return Err(breaker(path, bytes));
    }
    let mut c = cache().lock();
    while c.bytes + bytes > BUDGET_BYTES {
        let Some(oldest) = c
            .entries
            .iter()
            .min_by_key(|(_, e)| e.used)
            .map(|(k, _)| k.clone())
        else {
            break;
        };
        if let Some(e) = c.entries.remove(&oldest) {
            c.bytes -= e.bytes;
        }
    }
    c.tick += 1;
    let used = c.tick;
    c.bytes += bytes;
    c.entries.insert(
        key,
        Entry {
            column: column.clone(),
            bytes,
            used,
        },
    );
    Ok(Some(column))
}

/// Bytes of field data held for `segments`, by field path (for `_stats`).
pub(crate) fn held(segments: &[SegmentId]) -> Vec<(String, u64)> {
    let c = cache().lock();
    let mut out: Vec<(String, u64)> = Vec::new();
    for ((seg, path), e) in &c.entries {
        if !segments.contains(seg) {
            continue;
        }
        match out.iter_mut().find(|x| &x.0 == path) {
            Some(x) => x.1 += e.bytes,
            None => out.push((path.clone(), e.bytes)),
        }
    }
    out.sort();
    out
}

fn uninvert(
    seg: &SegmentReader,
    text: Field,
    path: &str,
    index: &str,
) -> Result<Option<(StrColumn, u64)>> {
    let tv = |e| Error::tantivy(index, e);
    let inv = seg.inverted_index(text).map_err(tv)?;
    let mut prefix = Term::from_field_json_path(text, path, true);
    prefix.append_type_and_str("");
    let prefix = prefix.serialized_value_bytes().to_vec();
    let mut terms: Vec<String> = Vec::new();
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut stream = inv
        .terms()
        .range()
        .ge(&prefix)
        .into_stream()
        .map_err(|e| Error::tantivy(index, e.into()))?;
    while stream.advance() {
        let Some(t) = stream.key().strip_prefix(prefix.as_slice()) else {
            break;
        };
        let Ok(t) = std::str::from_utf8(t) else {
            continue;
        };
        let ord = u32::try_from(terms.len()).unwrap_or(u32::MAX);
        terms.push(t.to_owned());
        let mut postings = inv
            .read_postings_from_terminfo(stream.value(), IndexRecordOption::Basic)
            .map_err(|e| Error::tantivy(index, e.into()))?;
        let mut doc = postings.doc();
        while doc != TERMINATED {
            pairs.push((doc, ord));
            if pairs.len() > MAX_PAIRS {
                return Err(breaker(path, (pairs.len() * 8) as u64));
            }
            doc = postings.advance();
        }
    }
    if terms.is_empty() {
        return Ok(None);
    }
    pairs.sort_unstable();
    let mut writer = ColumnarWriter::default();
    for (doc, ord) in &pairs {
        writer.record_str(*doc, "f", &terms[*ord as usize]);
    }
    let mut bytes: Vec<u8> = Vec::new();
    writer
        .serialize(seg.max_doc(), None, &mut bytes)
        .map_err(|e| Error::io(path, e))?;
    let size = bytes.len() as u64;
    let reader = ColumnarReader::open(bytes).map_err(|e| Error::io(path, e))?;
    for handle in reader.read_columns("f").map_err(|e| Error::io(path, e))? {
        if let DynamicColumn::Str(col) = handle.open().map_err(|e| Error::io(path, e))? {
            return Ok(Some((col, size)));
        }
    }
    Ok(None)
}
