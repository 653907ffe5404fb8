//! The tantivy document of one ES document, read by tantivy straight from the converted source
//! ([`IndexedDoc`]): no intermediate JSON object, no compact-document encoding.

use bytes::Bytes;
use tantivy::schema::document::{ReferenceValue, ReferenceValueLeaf};
use tantivy::schema::{Document, Field, Value};

use crate::engine::shard::Fields;
use crate::mapping::{IndexedDoc, Slot, Span};

/// Which JSON field of the schema a value goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Json {
    /// `k`: keywords, and `ip` values as their terms
    Keyword,
    /// `t`: analysed text
    Text,
    /// `n`: numbers, dates and booleans
    Number,
}

fn json_of(slot: &Slot) -> Json {
    match slot {
        Slot::Keyword(_) | Slot::Ip(_) => Json::Keyword,
        Slot::Text(_) => Json::Text,
        Slot::Long(_) | Slot::Double(_) | Slot::Bool(_) => Json::Number,
    }
}

fn text(buf: &str, s: Span) -> &str {
    buf.get(s.start as usize..s.end as usize)
        .unwrap_or_default()
}

fn leaf(buf: &str, slot: Slot) -> ReferenceValueLeaf<'_> {
    match slot {
        Slot::Keyword(s) | Slot::Text(s) | Slot::Ip(s) => ReferenceValueLeaf::Str(text(buf, s)),
        Slot::Long(n) => ReferenceValueLeaf::I64(n),
        Slot::Double(x) => ReferenceValueLeaf::F64(x),
        Slot::Bool(b) => ReferenceValueLeaf::Bool(b),
    }
}

/// One document for the index writer: `_id`, `_source`, `_version`, `_seq_no`, the `_fields`
/// terms `exists` needs, and the keyword / text / number JSON objects keyed by dotted path.
///
/// Boxed: tantivy moves documents through a bounded channel of batches (reallocated at every
/// commit), which should hold pointers, not ~200-byte documents.
#[derive(Debug)]
pub struct SluiceDoc(Box<Inner>);

#[derive(Debug)]
struct Inner {
    fields: Fields,
    id: String,
    source: Bytes,
    version: u64,
    seq_no: u64,
    idoc: IndexedDoc,
    /// `idoc`'s values grouped by JSON field (document order within each)
    grouped: Vec<(Span, Slot)>,
    /// `grouped[starts[j]..starts[j + 1]]` are the values of JSON field `j`
    starts: [usize; 4],
}

impl SluiceDoc {
    /// Wraps a converted document.
    pub fn new(
        fields: Fields,
        id: String,
        source: Bytes,
        version: u64,
        seq_no: u64,
        idoc: IndexedDoc,
    ) -> SluiceDoc {
        let slots = idoc.slots();
        let mut counts = [0usize; 3];
        for (_, slot) in slots {
            counts[json_of(slot) as usize] += 1;
        }
        let starts = [0, counts[0], counts[0] + counts[1], slots.len()];
        let mut grouped = Vec::with_capacity(slots.len());
        for j in [Json::Keyword, Json::Text, Json::Number] {
            grouped.extend(slots.iter().filter(|(_, s)| json_of(s) == j).copied());
        }
        SluiceDoc(Box::new(Inner {
            fields,
            id,
            source,
            version,
            seq_no,
            idoc,
            grouped,
            starts,
        }))
    }
}

/// A value of a [`SluiceDoc`]: a leaf, or one of its JSON objects.
#[derive(Debug, Clone)]
pub enum DocValue<'a> {
    /// A single value.
    Leaf(ReferenceValueLeaf<'a>),
    /// The values of one JSON field, by path: `(buffer, its values)`.
    Object(&'a str, &'a [(Span, Slot)]),
}

impl<'a> Value<'a> for DocValue<'a> {
    type ArrayIter = std::iter::Empty<DocValue<'a>>;
    type ObjectIter = ObjectIter<'a>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        match self {
            DocValue::Leaf(l) => ReferenceValue::Leaf(l.clone()),
            DocValue::Object(buf, values) => ReferenceValue::Object(ObjectIter {
                buf,
                values: values.iter(),
            }),
        }
    }
}

/// The `(path, value)` pairs of one JSON field, in document order.
#[derive(Debug, Clone)]
pub struct ObjectIter<'a> {
    buf: &'a str,
    values: std::slice::Iter<'a, (Span, Slot)>,
}

impl<'a> Iterator for ObjectIter<'a> {
    type Item = (&'a str, DocValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let &(path, slot) = self.values.next()?;
        Some((text(self.buf, path), DocValue::Leaf(leaf(self.buf, slot))))
    }
}

/// The fields of a [`SluiceDoc`]: the fixed ones, the `_fields` terms, then the JSON objects.
#[derive(Debug)]
pub struct FieldsIter<'a> {
    doc: &'a SluiceDoc,
    stage: usize,
    next_exists: usize,
}

impl<'a> Iterator for FieldsIter<'a> {
    type Item = (Field, DocValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let d = &*self.doc.0;
        let f = &d.fields;
        loop {
            let stage = self.stage;
            if stage == 4
                && let Some(p) = d.idoc.exists_term(self.next_exists)
            {
                self.next_exists += 1;
                return Some((f.present, DocValue::Leaf(ReferenceValueLeaf::Str(p))));
            }
            self.stage += 1;
            let leaf = |l| Some(DocValue::Leaf(l));
            let object = |json: Json| {
                let j = json as usize;
                let values = &d.grouped[d.starts[j]..d.starts[j + 1]];
                (!values.is_empty()).then_some(DocValue::Object(d.idoc.buf(), values))
            };
            let item = match stage {
                0 => (f.id, leaf(ReferenceValueLeaf::Str(&d.id))),
                // a nested document keeps no source (its root holds the whole)
                1 if d.source.is_empty() => continue,
                1 => (f.source, leaf(ReferenceValueLeaf::Bytes(&d.source))),
                2 => (f.version, leaf(ReferenceValueLeaf::U64(d.version))),
                3 => (f.seq_no, leaf(ReferenceValueLeaf::U64(d.seq_no))),
                4 => continue,
                5 => (f.kw, object(Json::Keyword)),
                6 => (f.text, object(Json::Text)),
                7 => (f.num, object(Json::Number)),
                _ => return None,
            };
            if let (field, Some(v)) = item {
                return Some((field, v));
            }
        }
    }
}

impl Document for SluiceDoc {
    type Value<'a> = DocValue<'a>;
    type FieldsValuesIter<'a> = FieldsIter<'a>;

    fn iter_fields_and_values(&self) -> FieldsIter<'_> {
        FieldsIter {
            doc: self,
            stage: 0,
            next_exists: 0,
        }
    }
}
