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
#[derive(Debug)]
pub struct SluiceDoc {
    fields: Fields,
    id: String,
    source: Bytes,
    version: u64,
    seq_no: u64,
    idoc: IndexedDoc,
    /// which JSON objects have at least one value
    has: [bool; 3],
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
        let mut has = [false; 3];
        for (_, v) in idoc.values() {
            has[json_of(&v) as usize] = true;
        }
        SluiceDoc {
            fields,
            id,
            source,
            version,
            seq_no,
            idoc,
            has,
        }
    }
}

/// A value of a [`SluiceDoc`]: a leaf, or one of its JSON objects.
#[derive(Debug, Clone)]
pub enum DocValue<'a> {
    /// A single value.
    Leaf(ReferenceValueLeaf<'a>),
    /// The values of one JSON field, by path.
    Object(&'a IndexedDoc, Json),
}

impl<'a> Value<'a> for DocValue<'a> {
    type ArrayIter = std::iter::Empty<DocValue<'a>>;
    type ObjectIter = ObjectIter<'a>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        match self {
            DocValue::Leaf(l) => ReferenceValue::Leaf(l.clone()),
            DocValue::Object(doc, json) => ReferenceValue::Object(ObjectIter {
                doc,
                json: *json,
                next: 0,
            }),
        }
    }
}

/// The `(path, value)` pairs of one JSON field, in document order.
#[derive(Debug, Clone)]
pub struct ObjectIter<'a> {
    doc: &'a IndexedDoc,
    json: Json,
    next: usize,
}

impl<'a> Iterator for ObjectIter<'a> {
    type Item = (&'a str, DocValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        while let Some((path, v)) = self.doc.value(self.next) {
            self.next += 1;
            if json_of(&v) == self.json {
                return Some((path, DocValue::Leaf(leaf(v))));
            }
        }
        None
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
        let d = self.doc;
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
            let object =
                |json: Json| d.has[json as usize].then_some(DocValue::Object(&d.idoc, json));
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
