//! Streaming conversion of a `_source` to its mapping.
//!
//! The source is walked once by serde_json's parser, straight into an [`IndexedDoc`]: no
//! `Value` tree, no `String` per field path. Each leaf is coerced to its mapped type as it is
//! read; fields that dynamic mapping adds are collected as [`Updates`].
//!
//! A parse error anywhere in the source wins over a mapping error found before it (as when the
//! whole source was parsed first): on any error the source is parsed again to tell which.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::date::{self, DateFormat};
use super::dynamic_template::{self, Kind, Resolved};
use super::{
    Ctx, Dynamic, FieldMapping, FieldType, Mapping, Updates, doc_parsing, geo, ip,
    is_metadata_field, looks_like_iso_date, round_float, slash_date,
};
use crate::error::{Error, Result};

/// A range of [`IndexedDoc`]'s text buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

/// One value of an [`IndexedDoc`], its strings as spans of the document's buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Slot {
    Keyword(Span),
    Text(Span),
    Long(i64),
    Double(f64),
    Bool(bool),
    /// an `ip` value: its keyword term ([`super::ip::to_term`])
    Ip(Span),
}

/// A document converted to its mapping: typed values by full dotted path, in document order,
/// and the paths whose presence `exists` reads from the `_fields` terms.
///
/// Paths and strings live in one buffer per document (a few allocations per document, not one
/// per field).
#[derive(Debug, Default, Clone)]
pub struct IndexedDoc {
    buf: String,
    values: Vec<(Span, Slot)>,
    exists_terms: Vec<Span>,
    last_path: Option<Span>,
    /// The documents of its `nested` objects, each before the one holding it (deeper ones
    /// first), as Lucene's block join wants them: written just before this document.
    pub nested: Vec<IndexedDoc>,
}

/// The metadata field listing the fields of a document whose values were left out.
pub const IGNORED_PATH: &str = "_ignored";

/// The `_fields` term every nested document carries (no path can start with NUL).
pub const NESTED_MARKER: &str = "\u{0}nested";

/// The `_fields` term of the nested documents of the `nested` object at `path`.
pub fn nested_marker(path: &str) -> String {
    format!("{NESTED_MARKER}:{path}")
}

/// One indexed value, borrowed from its [`IndexedDoc`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IndexedValue<'a> {
    /// keyword (exact string)
    Keyword(&'a str),
    /// analysed text
    Text(&'a str),
    /// integer family or date (epoch millis)
    Long(i64),
    /// float family
    Double(f64),
    /// boolean
    Bool(bool),
    /// `ip` (IPv4 as its IPv4-mapped IPv6 address)
    Ip(std::net::Ipv6Addr),
}

impl IndexedDoc {
    fn with_capacity(source_len: usize) -> IndexedDoc {
        IndexedDoc {
            buf: String::with_capacity(source_len + 64),
            values: Vec::with_capacity(16),
            exists_terms: Vec::new(),
            last_path: None,
            nested: Vec::new(),
        }
    }

    /// Marks this document as one object of the `nested` object at `path`.
    fn mark_nested(&mut self, path: &str) {
        let any = self.push_str(NESTED_MARKER);
        self.exists_terms.push(any);
        let own = self.push_str(&nested_marker(path));
        self.exists_terms.push(own);
        self.last_path = None;
    }

    fn text(&self, s: Span) -> &str {
        self.buf
            .get(s.start as usize..s.end as usize)
            .unwrap_or_default()
    }

    fn push_str(&mut self, s: &str) -> Span {
        let start = self.buf.len() as u32;
        self.buf.push_str(s);
        Span {
            start,
            end: self.buf.len() as u32,
        }
    }

    /// The span of `path`, reusing the previous one when a leaf yields several values.
    fn path(&mut self, path: &str) -> Span {
        if let Some(p) = self.last_path
            && self.text(p) == path
        {
            return p;
        }
        let p = self.push_str(path);
        self.last_path = Some(p);
        p
    }

    fn push(&mut self, path: Span, v: Coerced<'_>) {
        let slot = match v {
            Coerced::Keyword(s) => Slot::Keyword(self.push_str(&s)),
            Coerced::Text(s) => Slot::Text(self.push_str(&s)),
            Coerced::Long(n) => Slot::Long(n),
            Coerced::Double(x) => Slot::Double(x),
            Coerced::Bool(b) => Slot::Bool(b),
            Coerced::Ip(v) => Slot::Ip(self.push_str(&ip::to_term(v))),
        };
        self.values.push((path, slot));
    }

    fn add_exists_term(&mut self, path: Span) {
        let p = self.text(path);
        if !self.exists_terms.iter().any(|&q| self.text(q) == p) {
            self.exists_terms.push(path);
        }
    }

    /// Records `path` in the `_ignored` metadata field (a malformed value left out with
    /// `ignore_malformed`, a keyword beyond `ignore_above`), once.
    fn add_ignored(&mut self, path: &str) {
        let seen = self.values.iter().any(|(p, s)| {
            self.text(*p) == IGNORED_PATH && matches!(s, Slot::Keyword(v) if self.text(*v) == path)
        });
        if !seen {
            self.add_keyword(IGNORED_PATH, path);
        }
    }

    /// Adds a keyword value at `path` that the source does not give (a metadata field such as
    /// `_routing`).
    pub fn add_keyword(&mut self, path: &str, value: &str) {
        let p = self.push_str(path);
        self.last_path = None;
        let v = self.push_str(value);
        self.values.push((p, Slot::Keyword(v)));
    }

    /// `(path, value)` pairs in document order (an array gives one pair per element).
    pub fn values(&self) -> impl Iterator<Item = (&str, IndexedValue<'_>)> + '_ {
        (0..self.values.len()).filter_map(|i| self.value(i))
    }

    /// The values as spans of [`IndexedDoc::buf`] (for the tantivy document).
    pub(crate) fn slots(&self) -> &[(Span, Slot)] {
        &self.values
    }

    /// The buffer the spans of [`IndexedDoc::slots`] point into.
    pub(crate) fn buf(&self) -> &str {
        &self.buf
    }

    /// Number of `(path, value)` pairs.
    pub fn value_count(&self) -> usize {
        self.values.len()
    }

    /// The `i`-th `(path, value)` pair.
    pub fn value(&self, i: usize) -> Option<(&str, IndexedValue<'_>)> {
        let &(p, slot) = self.values.get(i)?;
        let v = match slot {
            Slot::Keyword(s) => IndexedValue::Keyword(self.text(s)),
            Slot::Text(s) => IndexedValue::Text(self.text(s)),
            Slot::Long(n) => IndexedValue::Long(n),
            Slot::Double(x) => IndexedValue::Double(x),
            Slot::Bool(b) => IndexedValue::Bool(b),
            Slot::Ip(s) => IndexedValue::Ip(ip::from_term(self.text(s))?.into()),
        };
        Some((self.text(p), v))
    }

    /// Paths of `text` values: `exists` finds them by a `_fields` term; every other indexed
    /// value is found by its fast column. (A field with neither `index` nor `doc_values` has
    /// neither, and does not exist for `exists`, as in Elasticsearch.)
    pub fn exists_terms(&self) -> impl Iterator<Item = &str> + '_ {
        self.exists_terms.iter().map(|&p| self.text(p))
    }

    /// The `i`-th of [`IndexedDoc::exists_terms`].
    pub fn exists_term(&self, i: usize) -> Option<&str> {
        self.exists_terms.get(i).map(|&p| self.text(p))
    }
}

/// True when `exists` needs a `_fields` term for a value of `f` that is `stored` in the
/// tantivy document (text values have no fast column).
fn needs_exists_term(f: &FieldMapping, stored: bool) -> bool {
    f.ty == FieldType::Text && stored
}

/// A scalar read from the source (or a mapping's `null_value`).
#[derive(Debug, Clone)]
pub(super) enum Scalar<'v> {
    Str(&'v str),
    Num(Number),
    Bool(bool),
    /// A `null_value` that is not a scalar (refused by every type).
    Other(&'v Value),
}

impl<'v> Scalar<'v> {
    fn from_value(v: &'v Value) -> Scalar<'v> {
        match v {
            Value::String(s) => Scalar::Str(s),
            Value::Number(n) => Scalar::Num(n.clone()),
            Value::Bool(b) => Scalar::Bool(*b),
            other => Scalar::Other(other),
        }
    }

    fn preview(&self) -> String {
        match self {
            Scalar::Str(s) => s.chars().take(20).collect(),
            Scalar::Num(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Other(v) => preview(v),
        }
    }
}

/// A value coerced to its field type, before it is copied into the document.
enum Coerced<'v> {
    Keyword(Cow<'v, str>),
    Text(Cow<'v, str>),
    Long(i64),
    Double(f64),
    Bool(bool),
    Ip(u128),
}

/// ES's preview of a field value in parse errors (strings cut at 20 characters).
pub(super) fn preview(v: &Value) -> String {
    match v {
        Value::String(s) => s.chars().take(20).collect(),
        Value::Object(o) => {
            let inner: Vec<String> = o
                .iter()
                .map(|(k, v)| format!("{k}={}", preview(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        other => other.to_string(),
    }
}

fn field_parse_error(
    path: &str,
    f: &FieldMapping,
    preview: &str,
    id: &str,
    cause: Option<Error>,
) -> Error {
    let e = doc_parsing(format!(
        "failed to parse field [{path}] of type [{}] in document with id '{id}'. Preview of field's value: '{preview}'",
        f.type_name(),
    ));
    match cause {
        Some(c) => e.caused_by(c),
        None => e,
    }
}

/// The last segment of a dotted path (Elasticsearch's simple field name).
fn leaf_name(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

fn coerce<'v>(
    path: &str,
    f: &FieldMapping,
    v: &'v Scalar<'v>,
    id: &str,
) -> Result<Option<Coerced<'v>>> {
    let bad = |cause: Option<Error>| field_parse_error(path, f, &v.preview(), id, cause);
    match f.ty {
        FieldType::Keyword if f.binary.is_some() => {
            // base64, as Elasticsearch decodes a binary value (a number or boolean is no
            // base64 text)
            use base64::Engine as _;
            let Scalar::Str(text) = v else {
                return Err(bad(None));
            };
            base64::engine::general_purpose::STANDARD
                .decode(text.as_bytes())
                .map_err(|e| {
                    bad(Some(Error::es(
                        400,
                        "illegal_argument_exception",
                        format!("Illegal base64 value: {e}"),
                    )))
                })?;
            Ok(Some(Coerced::Keyword(Cow::Borrowed(text))))
        }
        FieldType::Keyword if f.completion => match v {
            // one input: its analyzed key (an input that analyzes to nothing suggests nothing)
            Scalar::Str(s) => Ok(f
                .completion_key(s, false)
                .map(|k| Coerced::Keyword(Cow::Owned(k)))),
            _ => Err(bad(None)),
        },
        FieldType::Keyword => {
            let s: Cow<'v, str> = match v {
                Scalar::Str(s) => Cow::Borrowed(s),
                Scalar::Num(n) => Cow::Owned(n.to_string()),
                Scalar::Bool(b) => Cow::Borrowed(bool_str(*b)),
                Scalar::Other(_) => return Err(bad(None)),
            };
            if f.constant
                && let Some(c) = &f.value
                && *c != s
            {
                return Err(bad(Some(Error::illegal_argument(format!(
                    "[constant_keyword] field [{path}] only accepts values that are equal to the value defined in the mappings [{c}], but got [{s}]"
                )))));
            }
            if f.ignore_above.is_some_and(|n| s.chars().count() > n) {
                return Ok(None);
            }
            if s.len() > 32766 {
                return Err(Error::illegal_argument(format!(
                    "Document contains at least one immense term in field=\"{path}\" (whose UTF8 encoding is longer than the max length 32766), all of which were skipped."
                )));
            }
            Ok(Some(Coerced::Keyword(s)))
        }
        FieldType::Text => match v {
            Scalar::Str(s) => Ok(Some(Coerced::Text(Cow::Borrowed(s)))),
            Scalar::Num(n) => Ok(Some(Coerced::Text(Cow::Owned(n.to_string())))),
            Scalar::Bool(b) => Ok(Some(Coerced::Text(Cow::Borrowed(bool_str(*b))))),
            Scalar::Other(_) => Err(bad(None)),
        },
        FieldType::Boolean => match v {
            Scalar::Bool(b) => Ok(Some(Coerced::Bool(*b))),
            Scalar::Str("true") => Ok(Some(Coerced::Bool(true))),
            Scalar::Str("false" | "") => Ok(Some(Coerced::Bool(false))),
            other => Err(bad(Some(Error::illegal_argument(format!(
                "Failed to parse value [{}] as only [true] or [false] are allowed.",
                other.preview()
            ))))),
        },
        FieldType::Long if f.unsigned => {
            let value = match v {
                Scalar::Num(n) => Value::Number(n.clone()),
                // an empty string is no value, as ES reads it
                Scalar::Str("") => return Ok(None),
                Scalar::Str(s) => Value::from(*s),
                _ => return Err(bad(None)),
            };
            match super::unsigned::parse_value(&value) {
                Ok(u) => Ok(Some(Coerced::Long(super::unsigned::to_sortable(u)))),
                Err(reason) => Err(bad(Some(Error::illegal_argument(reason)))),
            }
        }
        t @ (FieldType::Long | FieldType::Integer | FieldType::Short | FieldType::Byte) => {
            let n: i64 = match v {
                Scalar::Num(n) => {
                    if let Some(i) = n.as_i64() {
                        i
                    } else if !f.coerce {
                        return Err(bad(Some(Error::illegal_argument(format!(
                            "Value [{n}] has a decimal part"
                        )))));
                    } else {
                        let x = n.as_f64().unwrap_or(f64::NAN);
                        if !x.is_finite()
                            || x.trunc() > i64::MAX as f64
                            || x.trunc() < i64::MIN as f64
                        {
                            return Err(bad(Some(Error::illegal_argument(format!(
                                "Value [{n}] is out of range for a {}",
                                t.name()
                            )))));
                        }
                        x.trunc() as i64
                    }
                }
                Scalar::Str(s) if f.coerce => {
                    let s = s.trim();
                    if let Ok(i) = s.parse::<i64>() {
                        i
                    } else if let Ok(x) = s.parse::<f64>() {
                        if !x.is_finite()
                            || x.trunc() > i64::MAX as f64
                            || x.trunc() < i64::MIN as f64
                        {
                            return Err(bad(Some(Error::illegal_argument(format!(
                                "Value [{s}] is out of range for a {}",
                                t.name()
                            )))));
                        }
                        x.trunc() as i64
                    } else {
                        return Err(bad(Some(Error::es(
                            400,
                            "number_format_exception",
                            format!("For input string: \"{s}\""),
                        ))));
                    }
                }
                _ => return Err(bad(None)),
            };
            let (lo, hi) = t.integer_range();
            if n < lo || n > hi {
                return Err(bad(Some(Error::illegal_argument(format!(
                    "Value [{n}] is out of range for {} {}",
                    if t == FieldType::Integer { "an" } else { "a" },
                    t.name()
                )))));
            }
            Ok(Some(Coerced::Long(n)))
        }
        t @ (FieldType::Double | FieldType::Float | FieldType::HalfFloat) => {
            let x = match v {
                Scalar::Num(n) => n.as_f64().unwrap_or(f64::NAN),
                Scalar::Str(s) if f.coerce => s.trim().parse::<f64>().map_err(|_| {
                    bad(Some(Error::es(
                        400,
                        "number_format_exception",
                        format!("For input string: \"{s}\""),
                    )))
                })?,
                _ => return Err(bad(None)),
            };
            let x = f.scale(round_float(t, x));
            if !x.is_finite() {
                return Err(bad(Some(Error::illegal_argument(format!(
                    "[{}] supports only finite values, but got [{x}]",
                    t.name()
                )))));
            }
            Ok(Some(Coerced::Double(x)))
        }
        FieldType::Date if f.nanos => {
            let (text, formats): (Cow<'_, str>, Vec<DateFormat>) = match v {
                Scalar::Str(s) => (Cow::Borrowed(*s), f.formats.clone()),
                // a number is read as its text by the field's first epoch format
                Scalar::Num(n) => (
                    Cow::Owned(n.to_string()),
                    f.formats
                        .iter()
                        .filter(|x| matches!(x, DateFormat::EpochMillis | DateFormat::EpochSecond))
                        .take(1)
                        .cloned()
                        .collect(),
                ),
                _ => (Cow::Borrowed(""), Vec::new()),
            };
            let Some(ns) = date::parse_nanos_i128(&text, &formats, None) else {
                return Err(bad(Some(Error::illegal_argument(format!(
                    "failed to parse date field [{}] with format [{}]",
                    v.preview(),
                    f.format_str()
                )))));
            };
            match i64::try_from(ns) {
                Ok(ns) if ns >= 0 => Ok(Some(Coerced::Long(ns))),
                _ if ns < 0 => Err(bad(Some(Error::illegal_argument(format!(
                    "date[{text}] is before the epoch in 1970 and cannot be stored in nanosecond resolution"
                ))))),
                _ => Err(bad(Some(Error::illegal_argument(format!(
                    "date[{text}] is after 2262-04-11T23:47:16.854775807 and cannot be stored in nanosecond resolution"
                ))))),
            }
        }
        FieldType::Date => {
            let ms = match v {
                Scalar::Str(s) => date::parse_date_str(s, &f.formats, None),
                Scalar::Num(n)
                    if f.formats
                        .iter()
                        .any(|x| matches!(x, DateFormat::EpochMillis)) =>
                {
                    n.as_i64().or_else(|| n.as_f64().map(|x| x as i64))
                }
                Scalar::Num(n)
                    if f.formats
                        .iter()
                        .any(|x| matches!(x, DateFormat::EpochSecond)) =>
                {
                    n.as_f64().map(|x| (x * 1000.0) as i64)
                }
                _ => None,
            };
            match ms {
                Some(ms) => Ok(Some(Coerced::Long(ms))),
                None => Err(bad(Some(Error::illegal_argument(format!(
                    "failed to parse date field [{}] with format [{}]",
                    v.preview(),
                    f.format_str()
                ))))),
            }
        }
        FieldType::GeoPoint => {
            let point = match v {
                Scalar::Str(s) => geo::string_point(s, f.ignore_z_value, leaf_name(path)),
                Scalar::Other(v) => geo::parse_point(v, f.ignore_z_value, leaf_name(path)),
                Scalar::Num(_) | Scalar::Bool(_) => {
                    Err(Error::es(400, "parse_exception", "geo_point expected"))
                }
            };
            match point {
                Ok(p) => Ok(Some(Coerced::Long(geo::encode(p)))),
                // Elasticsearch names neither the document nor the value for a point
                Err(e) => Err(doc_parsing(format!(
                    "failed to parse field [{path}] of type [geo_point]"
                ))
                .caused_by(e)),
            }
        }
        FieldType::Ip => {
            // Elasticsearch reads the value as text (`12`, `true` are not addresses) and
            // previews all of it
            let text: Cow<'v, str> = match v {
                Scalar::Str(s) => Cow::Borrowed(s),
                Scalar::Num(n) => Cow::Owned(n.to_string()),
                Scalar::Bool(b) => Cow::Borrowed(bool_str(*b)),
                Scalar::Other(_) => return Err(bad(None)),
            };
            match ip::parse(&text) {
                Some(a) => Ok(Some(Coerced::Ip(a))),
                None => Err(field_parse_error(
                    path,
                    f,
                    &text,
                    id,
                    Some(ip::not_an_ip(&text)),
                )),
            }
        }
    }
}

/// Coerces `v` for `f` (and its multi-fields) and adds the results to `out`.
fn index_leaf(
    path: &str,
    f: &FieldMapping,
    v: &Scalar<'_>,
    id: &str,
    out: &mut IndexedDoc,
    scratch: &mut String,
) -> Result<()> {
    match coerce(path, f, v, id) {
        Ok(Some(c)) => {
            let p = out.path(path);
            let stored = f.index || f.doc_values;
            if needs_exists_term(f, stored) {
                out.add_exists_term(p);
            }
            if stored {
                out.push(p, c);
            }
        }
        Ok(None) => {
            if beyond_ignore_above(f, v) {
                out.add_ignored(path);
            }
        }
        Err(e) => {
            if !f.ignore_malformed {
                return Err(e);
            }
            out.add_ignored(path);
        }
    }
    for (sub, sm) in &f.fields {
        scratch.clear();
        scratch.push_str(path);
        scratch.push('.');
        scratch.push_str(sub);
        match coerce(scratch, sm, v, id) {
            Ok(Some(c)) => {
                let p = out.path(scratch);
                if needs_exists_term(sm, true) {
                    out.add_exists_term(p);
                }
                out.push(p, c);
            }
            Ok(None) => {
                if beyond_ignore_above(sm, v) {
                    out.add_ignored(scratch);
                }
            }
            Err(e) => {
                if !sm.ignore_malformed {
                    return Err(e);
                }
                out.add_ignored(scratch);
            }
        }
    }
    Ok(())
}

/// Whether a keyword value was left out for being longer than `ignore_above`.
fn beyond_ignore_above(f: &FieldMapping, v: &Scalar<'_>) -> bool {
    let Some(n) = f.ignore_above else {
        return false;
    };
    f.ty == FieldType::Keyword
        && match v {
            Scalar::Str(s) => s.chars().count() > n,
            Scalar::Num(x) => x.to_string().chars().count() > n,
            _ => false,
        }
}

/// A value of a `constant_keyword` field the mapping has no value for yet: the first such
/// value of the document becomes the field's (a mapping update), later ones must equal it.
fn first_constant(
    dotted: &str,
    path: &DPath,
    f: &FieldMapping,
    v: &Scalar<'_>,
    ctx: &mut Ctx<'_>,
    out: &mut IndexedDoc,
    scratch: &mut String,
) -> Result<()> {
    let segs = path.to_vec(path.len());
    let mut fm = f.clone();
    if let Some((_, value)) = ctx.up.constants.iter().find(|(s, _)| *s == segs) {
        fm.value = Some(value.clone());
        return index_leaf(dotted, &fm, v, ctx.id, out, scratch);
    }
    let value = match v {
        Scalar::Str(s) => (*s).to_owned(),
        Scalar::Num(n) => n.to_string(),
        Scalar::Bool(b) => bool_str(*b).to_owned(),
        Scalar::Other(_) => {
            return Err(field_parse_error(dotted, f, &v.preview(), ctx.id, None));
        }
    };
    fm.value = Some(value.clone());
    index_leaf(dotted, &fm, v, ctx.id, out, scratch)?;
    ctx.up.constants.push((segs, value));
    Ok(())
}

/// The dotted path being walked, with its segment boundaries.
#[derive(Debug, Default)]
struct DPath {
    s: String,
    ends: Vec<usize>,
}

impl DPath {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn dotted(&self) -> &str {
        &self.s
    }

    /// The first `n` segments, dotted.
    fn prefix(&self, n: usize) -> &str {
        match n {
            0 => "",
            n => &self.s[..self.ends[n - 1]],
        }
    }

    fn seg(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
        &self.s[start..self.ends[i]]
    }

    fn segs(&self, n: usize) -> impl Iterator<Item = &str> + '_ {
        (0..n).map(move |i| self.seg(i))
    }

    fn to_vec(&self, n: usize) -> Vec<String> {
        self.segs(n).map(str::to_owned).collect()
    }

    /// Appends every dotted part of `key` (parts are not empty: keys are checked first).
    fn push(&mut self, key: &str) {
        for part in key.split('.') {
            if !self.ends.is_empty() {
                self.s.push('.');
            }
            self.s.push_str(part);
            self.ends.push(self.s.len());
        }
    }

    fn truncate(&mut self, n: usize) {
        self.ends.truncate(n);
        self.s.truncate(self.ends.last().copied().unwrap_or(0));
    }
}

fn strict(path: &DPath, n: usize) -> Error {
    let within = if n > 1 { path.prefix(n - 1) } else { "_doc" };
    Error::es(
        400,
        "strict_dynamic_mapping_exception",
        format!(
            "mapping set to strict, dynamic introduction of [{}] within [{within}] is not allowed",
            path.seg(n - 1)
        ),
    )
}

/// Makes sure every prefix of the first `n` segments of `path` is an object (adding dynamic
/// ones to the updates); false when a disabled or non-dynamic parent means the value is not
/// indexed.
fn ensure_objects(m: &Mapping, ctx: &mut Ctx<'_>, path: &DPath, n: usize) -> Result<bool> {
    for i in 1..=n {
        let prefix = path.prefix(i);
        if m.lookup_object(prefix, ctx) {
            if let Some(o) = m.object_at_segs(path.segs(i))
                && !o.enabled
            {
                return Ok(false);
            }
            if ctx.up.is_disabled(prefix) {
                return Ok(false);
            }
            continue;
        }
        if let Some(f) = m.lookup_field(prefix, ctx) {
            return Err(doc_parsing(format!(
                "Could not dynamically add mapping for field [{}]. Existing mapping for [{prefix}] must be of type object but found [{}].",
                path.prefix(n),
                f.ty.name()
            )));
        }
        match dynamic_at(m, &ctx.up, path, i - 1) {
            Dynamic::False => return Ok(false),
            Dynamic::Strict => return Err(strict(path, i)),
            Dynamic::True => {}
        }
        let template = match m.object_template(prefix, path.seg(i - 1)) {
            None => None,
            Some(Ok(Resolved::Object(o))) => Some(o),
            Some(Ok(Resolved::Field(f))) => {
                return Err(doc_parsing(format!(
                    "failed to parse field [{prefix}] of type [{}] in document with id '{}': a dynamic template maps the object to a field",
                    f.ty.name(),
                    ctx.id
                )));
            }
            Some(Err(e)) => return Err(e),
        };
        ctx.up.add_object(path.to_vec(i), prefix, template);
    }
    Ok(true)
}

/// The `dynamic` setting in force for a new child of the object at the first `n` segments of
/// `path`: the mapping's, then that of objects this document added through dynamic
/// templates.
fn dynamic_at(m: &Mapping, up: &Updates, path: &DPath, n: usize) -> Dynamic {
    let mut d = m.dynamic_at_segs(path.segs(n));
    if up.object_meta.is_empty() {
        return d;
    }
    for i in 1..=n {
        if let Some(x) = up.dynamic_of(path.prefix(i)) {
            d = x;
        }
    }
    d
}

/// Keys of one object seen so far, for duplicate detection: a slice of the walker's stack for
/// small objects, a set for large ones.
enum Seen {
    Small { base: usize, buf_base: usize },
    Large(HashSet<String>),
}

/// Objects with more keys than this switch to a hash set for duplicate detection.
const SMALL_OBJECT_KEYS: usize = 32;

struct Walker<'m, 'i> {
    m: &'m Mapping,
    ctx: Ctx<'i>,
    out: IndexedDoc,
    path: DPath,
    /// the key being read (reused buffer)
    key: String,
    /// multi-field paths (reused buffer)
    scratch: String,
    seen: Vec<(usize, usize)>,
    seen_buf: String,
    err: Option<Error>,
}

/// Marker message of a serde error that stands for `Walker::err`.
const MAPPING_ERROR: &str = "sluice-store: mapping error";

impl<'m, 'i> Walker<'m, 'i> {
    fn fail<E: de::Error>(&mut self, e: Error) -> E {
        self.err = Some(e);
        E::custom(MAPPING_ERROR)
    }

    fn scalar(&mut self, v: &Scalar<'_>) -> Result<()> {
        let Walker {
            m,
            ctx,
            out,
            path,
            scratch,
            ..
        } = self;
        let dotted = path.dotted();
        if let Some(f) = m.flat.get(dotted) {
            if f.constant && f.value.is_none() {
                return first_constant(dotted, path, f, v, ctx, out, scratch);
            }
            if f.flattened.is_some() {
                // a flattened field takes an object, not a value (ES's parser error)
                let token = match v {
                    Scalar::Str(_) => "VALUE_STRING",
                    Scalar::Num(_) => "VALUE_NUMBER",
                    Scalar::Bool(_) => "VALUE_BOOLEAN",
                    Scalar::Other(_) => "VALUE_EMBEDDED_OBJECT",
                };
                return Err(field_parse_error(
                    dotted,
                    f,
                    &v.preview(),
                    ctx.id,
                    Some(Error::parsing(format!(
                        "Failed to parse object: expecting token of type [START_OBJECT] but found [{token}]"
                    ))),
                ));
            }
            return index_leaf(dotted, f, v, ctx.id, out, scratch);
        }
        if let Some(f) = ctx.up.flat.get(dotted) {
            return index_leaf(dotted, f, v, ctx.id, out, scratch);
        }
        let n = path.len();
        if m.lookup_object(dotted, ctx) {
            return Err(doc_parsing(format!(
                "object mapping for [{dotted}] tried to parse field [{}] as object, but found a concrete value",
                path.seg(n - 1)
            )));
        }
        if n > 1 && !ensure_objects(m, ctx, path, n - 1)? {
            return Ok(());
        }
        match dynamic_at(m, &ctx.up, path, n - 1) {
            Dynamic::False => return Ok(()),
            Dynamic::Strict => return Err(strict(path, n)),
            Dynamic::True => {}
        }
        let fm = m.dynamic_field(dotted, path.seg(n - 1), v)?;
        for (sub, sm) in &fm.fields {
            ctx.up.flat.insert(format!("{dotted}.{sub}"), sm.clone());
        }
        ctx.up.flat.insert(dotted.to_owned(), fm.clone());
        ctx.up.fields.push((path.to_vec(n), fm.clone()));
        index_leaf(dotted, &fm, v, ctx.id, out, scratch)
    }

    fn null(&mut self) -> Result<()> {
        let Walker {
            m,
            ctx,
            out,
            path,
            scratch,
            ..
        } = self;
        let dotted = path.dotted();
        if let Some(f) = m.lookup_field(dotted, ctx)
            && let Some(nv) = &f.null_value
        {
            return index_leaf(dotted, f, &Scalar::from_value(nv), ctx.id, out, scratch);
        }
        Ok(())
    }

    /// The mapped `geo_point` field at the current path, if any (its values are read whole).
    fn geo_field(&self) -> Option<&'m FieldMapping> {
        if !self.m.has_geo {
            return None;
        }
        self.m
            .flat
            .get(self.path.dotted())
            .filter(|f| f.ty == FieldType::GeoPoint)
    }

    /// A whole `geo_point` value: one point or an array of them (`null` is the `null_value`).
    fn geo_value(&mut self, f: &FieldMapping, v: &Value) -> Result<()> {
        if v.is_null() {
            return self.null();
        }
        let Walker {
            ctx,
            out,
            path,
            scratch,
            ..
        } = self;
        for p in geo::point_values(v) {
            index_leaf(
                path.dotted(),
                f,
                &Scalar::from_value(p),
                ctx.id,
                out,
                scratch,
            )?;
        }
        Ok(())
    }

    /// A `completion` object: `input` (a string or strings) and `weight` (an integer);
    /// `contexts` is refused by name (the mapping takes none).
    fn completion_value(&mut self, f: &FieldMapping, v: &Value) -> Result<()> {
        let o = v.as_object().map(|o| o.iter()).into_iter().flatten();
        let fail = |why: String| {
            doc_parsing(format!("failed to parse: {why}")).caused_by(Error::illegal_argument(why))
        };
        let mut inputs: Vec<&Value> = Vec::new();
        for (k, x) in o {
            match k.as_str() {
                "input" => match x {
                    Value::Array(a) => inputs.extend(a),
                    other => inputs.push(other),
                },
                "weight" => {
                    let ok = match x {
                        Value::Number(n) => n
                            .as_i64()
                            .is_some_and(|w| (0..=i64::from(i32::MAX)).contains(&w)),
                        Value::String(s) => s.parse::<i32>().is_ok_and(|w| w >= 0),
                        _ => false,
                    };
                    if !ok {
                        let shown = x.as_str().map_or_else(|| x.to_string(), str::to_owned);
                        return Err(fail(format!(
                            "weight must be an integer, but was [{shown}]"
                        )));
                    }
                }
                "contexts" => {
                    return Err(fail(format!(
                        "[contexts] of the completion field [{}] are not supported by sluice-store",
                        self.path.dotted()
                    )));
                }
                other => {
                    return Err(fail(format!(
                        "unknown field name [{other}], must be one of [input, weight, contexts]"
                    )));
                }
            }
        }
        let Walker {
            ctx,
            out,
            path,
            scratch,
            ..
        } = self;
        for input in inputs {
            let Value::String(_) = input else {
                return Err(field_parse_error(
                    path.dotted(),
                    f,
                    &preview(input),
                    ctx.id,
                    None,
                ));
            };
            index_leaf(
                path.dotted(),
                f,
                &Scalar::from_value(input),
                ctx.id,
                out,
                scratch,
            )?;
        }
        Ok(())
    }

    /// A whole `flattened` object: each leaf value (`null_value` for a null) is a keyword of the
    /// field itself and of `field.<key path>`; arrays hold values of the same key; objects
    /// nested deeper than `depth_limit` are ES's error.
    fn flattened_value(&mut self, f: &FieldMapping, v: &Value) -> Result<()> {
        fn walk(
            w: &mut Walker<'_, '_>,
            f: &FieldMapping,
            v: &Value,
            key: &mut String,
            depth: usize,
        ) -> Result<()> {
            let root = w.path.dotted().to_owned();
            match v {
                Value::Object(m) => {
                    let limit = f.flattened.unwrap_or(crate::mapping::FLATTENED_DEPTH_LIMIT);
                    if depth > limit {
                        return Err(field_parse_error(
                            &root,
                            f,
                            &preview(v),
                            w.ctx.id,
                            Some(Error::illegal_argument(format!(
                                "The provided [flattened] field [{root}] exceeds the maximum depth limit of [{limit}]."
                            ))),
                        ));
                    }
                    for (k, val) in m {
                        let at = key.len();
                        if !key.is_empty() {
                            key.push('.');
                        }
                        key.push_str(k);
                        walk(w, f, val, key, depth + 1)?;
                        key.truncate(at);
                    }
                    Ok(())
                }
                Value::Array(a) => a.iter().try_for_each(|x| walk(w, f, x, key, depth)),
                Value::Null => match &f.null_value {
                    Some(nv) if !key.is_empty() => leaf(w, f, &root, key, nv),
                    _ => Ok(()),
                },
                _ if key.is_empty() => Ok(()),
                scalar => leaf(w, f, &root, key, scalar),
            }
        }
        fn leaf(
            w: &mut Walker<'_, '_>,
            f: &FieldMapping,
            root: &str,
            key: &str,
            v: &Value,
        ) -> Result<()> {
            let s = Scalar::from_value(v);
            index_leaf(root, f, &s, w.ctx.id, &mut w.out, &mut w.scratch)?;
            let keyed = format!("{root}.{key}");
            index_leaf(&keyed, f, &s, w.ctx.id, &mut w.out, &mut w.scratch)
        }
        let mut key = String::new();
        walk(self, f, v, &mut key, 1)
    }

    /// An object value at the current (non-root) path.
    fn object<'de, A: MapAccess<'de>>(&mut self, mut map: A) -> Result<(), A::Error> {
        if let Some(f) = self.m.lookup_field(self.path.dotted(), &self.ctx) {
            if f.flattened.is_some() {
                let f = f.clone();
                let v = Value::Object(read_map(map)?);
                return self.flattened_value(&f, &v).map_err(|e| self.fail(e));
            }
            if f.completion {
                let f = f.clone();
                let v = Value::Object(read_map(map)?);
                return self.completion_value(&f, &v).map_err(|e| self.fail(e));
            }
            if f.ty == FieldType::GeoPoint {
                // a point a dynamic template mapped earlier in this document
                let f = f.clone();
                let v = Value::Object(read_map(map)?);
                return self.geo_value(&f, &v).map_err(|e| self.fail(e));
            }
            let mut obj = Map::new();
            while let Some((k, v)) = map.next_entry::<String, Value>()? {
                obj.insert(k, v);
            }
            let e = field_parse_error(
                self.path.dotted(),
                f,
                &preview(&Value::Object(obj)),
                self.ctx.id,
                None,
            );
            return Err(self.fail(e));
        }
        if let Some(f) = self.leaf_template_for_object() {
            let obj = read_map(map)?;
            if let Ok(f) = &f
                && (f.ty == FieldType::GeoPoint || f.flattened.is_some())
            {
                // a dynamic template maps this new object to a point, or flattens it
                let n = self.path.len();
                let dotted = self.path.dotted().to_owned();
                self.ctx.up.flat.insert(dotted, f.clone());
                self.ctx.up.fields.push((self.path.to_vec(n), f.clone()));
                let v = Value::Object(obj);
                let r = if f.flattened.is_some() {
                    self.flattened_value(f, &v)
                } else {
                    self.geo_value(f, &v)
                };
                return r.map_err(|e| self.fail(e));
            }
            let e = match f {
                Ok(f) => field_parse_error(
                    self.path.dotted(),
                    &f,
                    &preview(&Value::Object(obj)),
                    self.ctx.id,
                    None,
                ),
                Err(e) => e,
            };
            return Err(self.fail(e));
        }
        match ensure_objects(self.m, &mut self.ctx, &self.path, self.path.len()) {
            Ok(true) if self.m.is_nested(self.path.dotted()) => {
                // one object of a nested field: its own document, before its parent's
                let parent = std::mem::replace(&mut self.out, IndexedDoc::with_capacity(64));
                let walked = self.fields(map, false);
                let mut child = std::mem::replace(&mut self.out, parent);
                walked?;
                child.mark_nested(self.path.dotted());
                let deeper = std::mem::take(&mut child.nested);
                self.out.nested.extend(deeper);
                self.out.nested.push(child);
                Ok(())
            }
            Ok(true) => self.fields(map, false),
            Ok(false) => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(())
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// When the current path is a new object that a dynamic template maps to a leaf field
    /// (which then cannot take the object, as in Elasticsearch): that field's mapping, or the
    /// error finding it.
    fn leaf_template_for_object(&mut self) -> Option<Result<FieldMapping>> {
        let n = self.path.len();
        if self.m.dynamic_templates().is_empty()
            || self.m.lookup_object(self.path.dotted(), &self.ctx)
        {
            return None;
        }
        match ensure_objects(self.m, &mut self.ctx, &self.path, n - 1) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => return Some(Err(e)),
        }
        if dynamic_at(self.m, &self.ctx.up, &self.path, n - 1) != Dynamic::True {
            return None;
        }
        match self
            .m
            .object_template(self.path.dotted(), self.path.seg(n - 1))?
        {
            Ok(Resolved::Field(f)) => Some(Ok(f)),
            Ok(Resolved::Object(_)) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// Checks one key of an object: not empty, no empty dotted part, no metadata field at the
    /// root, no duplicate.
    fn check_key(&mut self, seen: &mut Seen, root: bool) -> Result<()> {
        let key = self.key.as_str();
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(doc_parsing(format!(
                "field name cannot be an empty string (in [{key}]) in document with id '{}'",
                self.ctx.id
            )));
        }
        if key == "$serde_json::private::RawValue" {
            // serde_json reserves this key (its raw_value feature): a stored source holding it
            // could not be read back into a response, so it is refused rather than lost on read
            return Err(doc_parsing(format!(
                "field name [{key}] is reserved by sluice-store (document with id '{}')",
                self.ctx.id
            )));
        }
        if root && key.starts_with('_') && is_metadata_field(key) {
            return Err(doc_parsing(format!(
                "Field [{key}] is a metadata field and cannot be added inside a document. Use the index API request parameters."
            )));
        }
        let duplicate = match seen {
            Seen::Large(set) => !set.insert(key.to_owned()),
            Seen::Small { base, buf_base } => {
                let dup = self.seen[*base..]
                    .iter()
                    .any(|&(a, b)| &self.seen_buf[a..b] == key);
                if !dup {
                    let a = self.seen_buf.len();
                    self.seen_buf.push_str(key);
                    self.seen.push((a, self.seen_buf.len()));
                    if self.seen.len() - *base > SMALL_OBJECT_KEYS {
                        let set = self.seen[*base..]
                            .iter()
                            .map(|&(a, b)| self.seen_buf[a..b].to_owned())
                            .collect();
                        self.seen.truncate(*base);
                        self.seen_buf.truncate(*buf_base);
                        *seen = Seen::Large(set);
                    }
                }
                dup
            }
        };
        if duplicate {
            return Err(
                doc_parsing(format!("failed to parse: Duplicate field '{key}'")).caused_by(
                    Error::es(
                        400,
                        "json_parse_exception",
                        format!("Duplicate field '{key}'"),
                    ),
                ),
            );
        }
        Ok(())
    }

    /// The members of an object (the root or an inner one) at the current path.
    fn fields<'de, A: MapAccess<'de>>(&mut self, mut map: A, root: bool) -> Result<(), A::Error> {
        let mut seen = Seen::Small {
            base: self.seen.len(),
            buf_base: self.seen_buf.len(),
        };
        while map.next_key_seed(KeySeed(&mut self.key))?.is_some() {
            if let Err(e) = self.check_key(&mut seen, root) {
                return Err(self.fail(e));
            }
            let mark = self.path.len();
            self.path.push(&self.key);
            let n = self.path.len();
            if n > mark + 1 {
                match ensure_objects(self.m, &mut self.ctx, &self.path, n - 1) {
                    Ok(true) => {}
                    Ok(false) => {
                        map.next_value::<IgnoredAny>()?;
                        self.path.truncate(mark);
                        continue;
                    }
                    Err(e) => return Err(self.fail(e)),
                }
            }
            map.next_value_seed(ValueSeed(self))?;
            self.path.truncate(mark);
        }
        if let Seen::Small { base, buf_base } = seen {
            self.seen.truncate(base);
            self.seen_buf.truncate(buf_base);
        }
        Ok(())
    }
}

/// Reads a map key into the walker's key buffer.
struct KeySeed<'k>(&'k mut String);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.0.clear();
        self.0.push_str(s);
        Ok(())
    }
}

/// Walks one value at the walker's current path.
struct ValueSeed<'w, 'm, 'i>(&'w mut Walker<'m, 'i>);

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if let Some(f) = self.0.geo_field() {
            let v = Value::deserialize(d)?;
            return self.0.geo_value(f, &v).map_err(|e| self.0.fail(e));
        }
        d.deserialize_any(self)
    }
}

/// The rest of an object, read whole.
fn read_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Map<String, Value>, A::Error> {
    let mut obj = Map::new();
    while let Some((k, v)) = map.next_entry::<String, Value>()? {
        obj.insert(k, v);
    }
    Ok(obj)
}

impl ValueSeed<'_, '_, '_> {
    fn leaf<E: de::Error>(self, v: &Scalar<'_>) -> Result<(), E> {
        match self.0.scalar(v) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.0.fail(e)),
        }
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<(), E> {
        self.leaf(&Scalar::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<(), E> {
        self.leaf(&Scalar::Num(Number::from(n)))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<(), E> {
        self.leaf(&Scalar::Num(Number::from(n)))
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<(), E> {
        // as serde_json's `Value`: a non-finite float reads as null
        match Number::from_f64(x) {
            Some(n) => self.leaf(&Scalar::Num(n)),
            None => self.visit_unit(),
        }
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.leaf(&Scalar::Str(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        match self.0.null() {
            Ok(()) => Ok(()),
            Err(e) => Err(self.0.fail(e)),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(ValueSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.0.object(map)
    }
}

/// The whole source: must be an object.
struct RootSeed<'w, 'm, 'i>(&'w mut Walker<'m, 'i>);

impl<'de> DeserializeSeed<'de> for RootSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

fn not_an_object(token: &str) -> Error {
    doc_parsing(format!(
        "failed to parse, document is not an object but [{token}]"
    ))
}

impl RootSeed<'_, '_, '_> {
    fn refuse<E: de::Error>(self, token: &str) -> Result<(), E> {
        Err(self.0.fail(not_an_object(token)))
    }
}

impl<'de> Visitor<'de> for RootSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.refuse("VALUE_BOOLEAN")
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.refuse("VALUE_NUMBER")
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.refuse("VALUE_NUMBER")
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.refuse("VALUE_NUMBER")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.refuse("VALUE_STRING")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.refuse("VALUE_NULL")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        self.refuse("START_ARRAY")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.0.fields(map, true)
    }
}

/// The error of a source that is not valid JSON (as serde_json's `Value` parser reports it).
fn syntax_error(source: &[u8]) -> Option<Error> {
    serde_json::from_slice::<Value>(source).err().map(|e| {
        doc_parsing("failed to parse").caused_by(Error::es(
            400,
            "json_parse_exception",
            format!("{e}"),
        ))
    })
}

impl Mapping {
    /// Converts a `_source` (the raw JSON of one object) to indexed values against this
    /// mapping, in one pass over the bytes. Fields that dynamic mapping adds come back as
    /// [`Updates`] to [`Mapping::apply`] before the document is acknowledged.
    ///
    /// # Errors
    /// `document_parsing_exception` (and ES's other per-document errors) for a source that is
    /// not a JSON object, has a duplicate or empty field name, or a value its mapping refuses.
    pub fn convert(&self, source: &[u8], id: &str) -> Result<(IndexedDoc, Updates)> {
        let mut w = Walker {
            m: self,
            ctx: Ctx {
                id,
                up: Updates::default(),
            },
            out: IndexedDoc::with_capacity(source.len()),
            path: DPath::default(),
            key: String::new(),
            scratch: String::new(),
            seen: Vec::new(),
            seen_buf: String::new(),
            err: None,
        };
        let mut de = serde_json::Deserializer::from_slice(source);
        let walked = RootSeed(&mut w)
            .deserialize(&mut de)
            .and_then(|()| de.end());
        match walked {
            Ok(()) => Ok((w.out, w.ctx.up)),
            Err(e) => Err(match w.err.take() {
                Some(mapping) => syntax_error(source).unwrap_or(mapping),
                None => syntax_error(source).unwrap_or_else(|| {
                    doc_parsing("failed to parse").caused_by(Error::es(
                        400,
                        "json_parse_exception",
                        format!("{e}"),
                    ))
                }),
            }),
        }
    }

    /// The mapping dynamic mapping gives a new leaf `name` at `path` (dotted) for its first
    /// value `v`: the first matching dynamic template's, else Elasticsearch's default.
    fn dynamic_field(&self, path: &str, name: &str, v: &Scalar<'_>) -> Result<FieldMapping> {
        let fm = self.infer(v);
        let templates = self.dynamic_templates();
        if templates.is_empty() {
            return Ok(fm);
        }
        let kind = match fm.ty {
            FieldType::Boolean => Kind::Boolean,
            FieldType::Long => Kind::Long,
            FieldType::Float => Kind::Double,
            FieldType::Date => Kind::Date,
            _ => Kind::String,
        };
        match dynamic_template::find(templates, path, name, kind, fm.format.as_deref()) {
            None => Ok(fm),
            Some(Ok(Resolved::Field(f))) => Ok(f),
            Some(Ok(Resolved::Object(_))) => Err(doc_parsing(format!(
                "object mapping for [{path}] tried to parse field [{name}] as object, but found a concrete value"
            ))),
            Some(Err(e)) => Err(e),
        }
    }

    /// The mapping the first dynamic template matching a new object `name` at `path` gives
    /// it; `None` when none matches.
    fn object_template(&self, path: &str, name: &str) -> Option<Result<Resolved>> {
        dynamic_template::find(self.dynamic_templates(), path, name, Kind::Object, None)
    }

    pub(super) fn infer(&self, v: &Scalar<'_>) -> FieldMapping {
        match v {
            Scalar::Bool(_) => FieldMapping::new(FieldType::Boolean),
            Scalar::Num(n) if n.is_f64() => FieldMapping::new(FieldType::Float),
            Scalar::Num(_) => FieldMapping::new(FieldType::Long),
            Scalar::Str(s) => {
                if self.date_detection {
                    if looks_like_iso_date(s) {
                        return FieldMapping::new(FieldType::Date);
                    }
                    if let Some(fm) = slash_date(s) {
                        return fm;
                    }
                }
                if self.numeric_detection {
                    if s.parse::<i64>().is_ok() {
                        return FieldMapping::new(FieldType::Long);
                    }
                    if s.parse::<f64>().is_ok_and(f64::is_finite) {
                        return FieldMapping::new(FieldType::Float);
                    }
                }
                FieldMapping::dynamic_string()
            }
            Scalar::Other(_) => FieldMapping::dynamic_string(),
        }
    }
}
