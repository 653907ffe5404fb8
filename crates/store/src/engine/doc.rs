//! The tantivy document of one ES document, read by tantivy straight from the converted source
//! ([`IndexedDoc`]): no intermediate JSON object, no compact-document encoding.

use bytes::Bytes;
use tantivy::schema::document::{ReferenceValue, ReferenceValueLeaf};
use tantivy::schema::{Document, Field, Value};

use crate::engine::shard::Fields;
use crate::mapping::{IndexedDoc, IndexedValue};

/// Which JSON field of the schema a value goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Json {
    /// `k`: keywords
    Keyword,
    /// `t`: analysed text
    Text,
    /// `n`: numbers, dates and booleans
    Number,
}

fn json_of(v: &IndexedValue<'_>) -> Json {
    match v {
        IndexedValue::Keyword(_) => Json::Keyword,
        IndexedValue::Text(_) => Json::Text,
        IndexedValue::Long(_) | IndexedValue::Double(_) | IndexedValue::Bool(_) => Json::Number,
    }
}

fn leaf(v: IndexedValue<'_>) -> ReferenceValueLeaf<'_> {
    match v {
        IndexedValue::Keyword(s) | IndexedValue::Text(s) => ReferenceValueLeaf::Str(s),
        IndexedValue::Long(n) => ReferenceValueLeaf::I64(n),
        IndexedValue::Double(x) => ReferenceValueLeaf::F64(x),
        IndexedValue::Bool(b) => ReferenceValueLeaf::Bool(b),
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
    /// indices of `idoc`'s values grouped by JSON field (document order within each)
    order: Vec<u32>,
    /// `order[starts[j]..starts[j + 1]]` are the values of JSON field `j`
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
        let mut counts = [0usize; 3];
        for (_, v) in idoc.values() {
            counts[json_of(&v) as usize] += 1;
        }
        let starts = [0, counts[0], counts[0] + counts[1], idoc.value_count()];
        let mut next = [starts[0], starts[1], starts[2]];
        let mut order = vec![0u32; idoc.value_count()];
        for (i, (_, v)) in idoc.values().enumerate() {
            let j = json_of(&v) as usize;
            order[next[j]] = i as u32;
            next[j] += 1;
        }
        SluiceDoc(Box::new(Inner {
            fields,
            id,
            source,
            version,
            seq_no,
            idoc,
            order,
            starts,
        }))
    }
}

/// A value of a [`SluiceDoc`]: a leaf, or one of its JSON objects.
#[derive(Debug, Clone)]
pub enum DocValue<'a> {
    /// A single value.
    Leaf(ReferenceValueLeaf<'a>),
    /// The values of one JSON field, by path: `(doc, indices of its values)`.
    Object(&'a IndexedDoc, &'a [u32]),
}

impl<'a> Value<'a> for DocValue<'a> {
    type ArrayIter = std::iter::Empty<DocValue<'a>>;
    type ObjectIter = ObjectIter<'a>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        match self {
            DocValue::Leaf(l) => ReferenceValue::Leaf(l.clone()),
            DocValue::Object(doc, indices) => ReferenceValue::Object(ObjectIter {
                doc,
                indices: indices.iter(),
            }),
        }
    }
}

/// The `(path, value)` pairs of one JSON field, in document order.
#[derive(Debug, Clone)]
pub struct ObjectIter<'a> {
    doc: &'a IndexedDoc,
    indices: std::slice::Iter<'a, u32>,
}

impl<'a> Iterator for ObjectIter<'a> {
    type Item = (&'a str, DocValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let &i = self.indices.next()?;
        let (path, v) = self.doc.value(i as usize)?;
        Some((path, DocValue::Leaf(leaf(v))))
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
                let indices = &d.order[d.starts[j]..d.starts[j + 1]];
                (!indices.is_empty()).then_some(DocValue::Object(&d.idoc, indices))
            };
            let item = match stage {
                0 => (f.id, leaf(ReferenceValueLeaf::Str(&d.id))),
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
