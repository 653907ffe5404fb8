//! Index mappings: parsing ES mapping JSON, dynamic mapping, coercing a document to its mapping.
//!
//! A [`Mapping`] is a tree of objects and typed fields; every leaf is also reachable by its full
//! dotted path (multi-fields such as `message.keyword` included) through [`Mapping::field`].
//! [`Mapping::convert`] turns a `_source` object into an [`IndexedDoc`]: typed values per path,
//! ready for the tantivy document, or a `document_parsing_exception`.

pub mod date;

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use date::DateFormat;

/// An ES field type Sluice supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// `keyword`
    Keyword,
    /// `text`
    Text,
    /// `long`
    Long,
    /// `integer`
    Integer,
    /// `short`
    Short,
    /// `byte`
    Byte,
    /// `double`
    Double,
    /// `float`
    Float,
    /// `half_float`
    HalfFloat,
    /// `boolean`
    Boolean,
    /// `date`
    Date,
}

impl FieldType {
    /// ES's name of the type.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Keyword => "keyword",
            FieldType::Text => "text",
            FieldType::Long => "long",
            FieldType::Integer => "integer",
            FieldType::Short => "short",
            FieldType::Byte => "byte",
            FieldType::Double => "double",
            FieldType::Float => "float",
            FieldType::HalfFloat => "half_float",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
        }
    }

    fn parse(s: &str) -> Option<FieldType> {
        Some(match s {
            "keyword" => FieldType::Keyword,
            "text" => FieldType::Text,
            "long" => FieldType::Long,
            "integer" => FieldType::Integer,
            "short" => FieldType::Short,
            "byte" => FieldType::Byte,
            "double" => FieldType::Double,
            "float" => FieldType::Float,
            "half_float" => FieldType::HalfFloat,
            "boolean" => FieldType::Boolean,
            "date" => FieldType::Date,
            _ => return None,
        })
    }

    /// Long, integer, short, byte.
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            FieldType::Long | FieldType::Integer | FieldType::Short | FieldType::Byte
        )
    }

    /// Double, float, half_float.
    pub fn is_float(self) -> bool {
        matches!(
            self,
            FieldType::Double | FieldType::Float | FieldType::HalfFloat
        )
    }

    /// Any numeric type (dates excluded).
    pub fn is_numeric(self) -> bool {
        self.is_integer() || self.is_float()
    }

    fn integer_range(self) -> (i64, i64) {
        match self {
            FieldType::Integer => (i32::MIN as i64, i32::MAX as i64),
            FieldType::Short => (i16::MIN as i64, i16::MAX as i64),
            FieldType::Byte => (i8::MIN as i64, i8::MAX as i64),
            _ => (i64::MIN, i64::MAX),
        }
    }
}

/// `dynamic` setting of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dynamic {
    /// Add new fields (default).
    True,
    /// Keep new fields in `_source` only.
    False,
    /// Reject documents with new fields.
    Strict,
}

impl Dynamic {
    fn parse(v: &Value, at: &str) -> Result<Dynamic> {
        match v {
            Value::Bool(true) => Ok(Dynamic::True),
            Value::Bool(false) => Ok(Dynamic::False),
            Value::String(s) if s == "true" => Ok(Dynamic::True),
            Value::String(s) if s == "false" => Ok(Dynamic::False),
            Value::String(s) if s == "strict" => Ok(Dynamic::Strict),
            Value::String(s) if s == "runtime" => Err(mapper_parsing(format!(
                "[dynamic] value [runtime] on [{at}] is not supported by sluice-store"
            ))),
            other => Err(mapper_parsing(format!(
                "Failed to parse mapping: Could not convert [{at}.dynamic] to boolean, got [{other}]"
            ))),
        }
    }

    fn to_json(self) -> Value {
        match self {
            Dynamic::True => Value::from("true"),
            Dynamic::False => Value::from("false"),
            Dynamic::Strict => Value::from("strict"),
        }
    }
}

/// A leaf field's mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMapping {
    /// The type.
    pub ty: FieldType,
    /// `ignore_above` (keyword): longer strings are not indexed.
    pub ignore_above: Option<usize>,
    /// `format` (date) as written; `None` = ES default.
    pub format: Option<String>,
    /// Parsed date formats.
    pub formats: Vec<DateFormat>,
    /// `index` (default true).
    pub index: bool,
    /// `doc_values` (default true).
    pub doc_values: bool,
    /// `coerce` (default true).
    pub coerce: bool,
    /// `ignore_malformed` (default false).
    pub ignore_malformed: bool,
    /// `null_value`.
    pub null_value: Option<Value>,
    /// Multi-fields (`fields`).
    pub fields: BTreeMap<String, FieldMapping>,
}

impl FieldMapping {
    /// A mapping of type `ty` with ES defaults.
    pub fn new(ty: FieldType) -> FieldMapping {
        let formats = if ty == FieldType::Date {
            date::parse_formats(date::DEFAULT_FORMAT).unwrap_or_default()
        } else {
            Vec::new()
        };
        FieldMapping {
            ty,
            ignore_above: None,
            format: None,
            formats,
            index: true,
            doc_values: true,
            coerce: true,
            ignore_malformed: false,
            null_value: None,
            fields: BTreeMap::new(),
        }
    }

    /// ES's dynamic mapping for a string: text with a `keyword` sub-field, ignore_above 256.
    pub fn dynamic_string() -> FieldMapping {
        let mut kw = FieldMapping::new(FieldType::Keyword);
        kw.ignore_above = Some(256);
        let mut m = FieldMapping::new(FieldType::Text);
        m.fields.insert("keyword".into(), kw);
        m
    }

    /// The format string used in messages.
    pub fn format_str(&self) -> &str {
        self.format.as_deref().unwrap_or(date::DEFAULT_FORMAT)
    }

    fn parse(name: &str, ty: FieldType, def: &Map<String, Value>) -> Result<FieldMapping> {
        let mut m = FieldMapping::new(ty);
        for (k, v) in def {
            match (k.as_str(), ty) {
                ("type", _) => {}
                ("ignore_above", FieldType::Keyword) => {
                    m.ignore_above = Some(v.as_u64().ok_or_else(|| {
                        mapper_parsing(format!("[ignore_above] on field [{name}] must be a number"))
                    })? as usize);
                }
                ("format", FieldType::Date) => {
                    let s = v.as_str().ok_or_else(|| {
                        mapper_parsing(format!("[format] on field [{name}] must be a string"))
                    })?;
                    m.formats = date::parse_formats(s).map_err(|e| {
                        mapper_parsing(format!("Error parsing [format] on field [{name}]: {e}"))
                    })?;
                    m.format = Some(s.to_owned());
                }
                ("index", _) => m.index = bool_param(name, k, v)?,
                ("doc_values", _) => m.doc_values = bool_param(name, k, v)?,
                ("store", _) | ("norms", FieldType::Text | FieldType::Keyword) => {
                    bool_param(name, k, v)?;
                }
                ("coerce", t) if t.is_numeric() => m.coerce = bool_param(name, k, v)?,
                ("ignore_malformed", t) if t.is_numeric() || t == FieldType::Date => {
                    m.ignore_malformed = bool_param(name, k, v)?;
                }
                ("null_value", _) => m.null_value = Some(v.clone()),
                ("analyzer" | "search_analyzer", FieldType::Text) => {
                    if v.as_str() != Some("standard") {
                        return Err(mapper_parsing(format!(
                            "analyzer [{}] has not been configured in mappings (sluice-store supports only [standard])",
                            v.as_str().unwrap_or_default()
                        )));
                    }
                }
                ("fields", _) => {
                    let obj = v.as_object().ok_or_else(|| {
                        mapper_parsing(format!("[fields] on field [{name}] must be an object"))
                    })?;
                    for (sub, def) in obj {
                        let def = def.as_object().ok_or_else(|| {
                            mapper_parsing(format!(
                                "Expected map for property [fields] on field [{sub}]"
                            ))
                        })?;
                        let sub_ty = leaf_type(&format!("{name}.{sub}"), def)?;
                        let Some(sub_ty) = sub_ty else {
                            return Err(mapper_parsing(format!(
                                "No type specified for field [{sub}]"
                            )));
                        };
                        let sm = FieldMapping::parse(&format!("{name}.{sub}"), sub_ty, def)?;
                        if !sm.fields.is_empty() {
                            return Err(mapper_parsing(format!(
                                "Field [{sub}] of type [{}] can't be used in multifields",
                                sub_ty.name()
                            )));
                        }
                        m.fields.insert(sub.clone(), sm);
                    }
                }
                (other, _) => {
                    return Err(mapper_parsing(format!(
                        "unknown parameter [{other}] on mapper [{name}] of type [{}]",
                        ty.name()
                    )));
                }
            }
        }
        Ok(m)
    }

    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("type".into(), Value::from(self.ty.name()));
        if !self.fields.is_empty() {
            let f: Map<String, Value> = self
                .fields
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect();
            o.insert("fields".into(), Value::Object(f));
        }
        if let Some(f) = &self.format {
            o.insert("format".into(), Value::from(f.clone()));
        }
        if let Some(n) = self.ignore_above {
            o.insert("ignore_above".into(), Value::from(n));
        }
        if !self.index {
            o.insert("index".into(), Value::from(false));
        }
        if !self.doc_values {
            o.insert("doc_values".into(), Value::from(false));
        }
        if !self.coerce {
            o.insert("coerce".into(), Value::from(false));
        }
        if self.ignore_malformed {
            o.insert("ignore_malformed".into(), Value::from(true));
        }
        if let Some(v) = &self.null_value {
            o.insert("null_value".into(), v.clone());
        }
        Value::Object(o)
    }
}

fn bool_param(field: &str, key: &str, v: &Value) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        other => Err(mapper_parsing(format!(
            "Failed to parse mapping: Could not convert [{field}.{key}] to boolean, got [{other}]"
        ))),
    }
}

/// 400 `mapper_parsing_exception`.
pub fn mapper_parsing(reason: impl Into<String>) -> Error {
    Error::es(400, "mapper_parsing_exception", reason)
}

/// An object (or the root) of a mapping.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectMapping {
    /// Children by name.
    pub properties: BTreeMap<String, Property>,
    /// `dynamic`, inherited from the parent when `None`.
    pub dynamic: Option<Dynamic>,
    /// `enabled` (default true): a disabled object is kept in `_source` only.
    pub enabled: bool,
}

/// A child of an object mapping.
#[derive(Debug, Clone, PartialEq)]
pub enum Property {
    /// A leaf field.
    Field(FieldMapping),
    /// An inner object.
    Object(ObjectMapping),
}

fn leaf_type(name: &str, def: &Map<String, Value>) -> Result<Option<FieldType>> {
    match def.get("type") {
        None => Ok(None),
        Some(Value::String(t)) if t == "object" => Ok(None),
        Some(Value::String(t)) => FieldType::parse(t).map(Some).ok_or_else(|| {
            mapper_parsing(format!(
                "No handler for type [{t}] declared on field [{name}]"
            ))
        }),
        Some(other) => Err(mapper_parsing(format!(
            "No handler for type [{other}] declared on field [{name}]"
        ))),
    }
}

impl ObjectMapping {
    fn parse(path: &str, def: &Map<String, Value>, root: bool) -> Result<ObjectMapping> {
        let mut o = ObjectMapping {
            enabled: true,
            ..ObjectMapping::default()
        };
        for (k, v) in def {
            match k.as_str() {
                "type" if !root => {}
                "properties" => {
                    let props = v.as_object().ok_or_else(|| {
                        mapper_parsing(format!(
                            "Expected map for property [properties] on field [{path}]"
                        ))
                    })?;
                    for (name, pdef) in props {
                        if name.is_empty() {
                            return Err(mapper_parsing("field name cannot be an empty string"));
                        }
                        let full = if path.is_empty() {
                            name.clone()
                        } else {
                            format!("{path}.{name}")
                        };
                        let pdef = pdef.as_object().ok_or_else(|| {
                            mapper_parsing(format!("Expected map for property [fields] on field [{name}] but got a class java.lang.String"))
                        })?;
                        let prop = match leaf_type(&full, pdef)? {
                            Some(ty) => Property::Field(FieldMapping::parse(&full, ty, pdef)?),
                            None => Property::Object(ObjectMapping::parse(&full, pdef, false)?),
                        };
                        // dotted names in mappings are object paths, as in ES
                        insert_dotted(&mut o, name, prop);
                    }
                }
                "dynamic" => {
                    o.dynamic = Some(Dynamic::parse(
                        v,
                        if path.is_empty() { "_doc" } else { path },
                    )?);
                }
                "enabled" => o.enabled = bool_param(path, k, v)?,
                "date_detection" | "numeric_detection" | "_source" | "_meta" | "_routing"
                    if root => {}
                "dynamic_templates" if root => {
                    if v.as_array().is_some_and(|a| !a.is_empty()) {
                        return Err(mapper_parsing(
                            "[dynamic_templates] are not supported by sluice-store",
                        ));
                    }
                }
                other => {
                    return Err(if root {
                        mapper_parsing(format!(
                            "Root mapping definition has unsupported parameters:  [{other} : {v}]"
                        ))
                    } else {
                        mapper_parsing(format!(
                            "unknown parameter [{other}] on mapper [{path}] of type [object]"
                        ))
                    });
                }
            }
        }
        Ok(o)
    }

    fn to_json(&self) -> Value {
        let mut o = Map::new();
        if let Some(d) = self.dynamic {
            o.insert("dynamic".into(), d.to_json());
        }
        if !self.enabled {
            o.insert("enabled".into(), Value::from(false));
        }
        if !self.properties.is_empty() {
            let props: Map<String, Value> = self
                .properties
                .iter()
                .map(|(k, p)| {
                    let v = match p {
                        Property::Field(f) => f.to_json(),
                        Property::Object(ob) => ob.to_json(),
                    };
                    (k.clone(), v)
                })
                .collect();
            o.insert("properties".into(), Value::Object(props));
        }
        Value::Object(o)
    }
}

fn insert_dotted(obj: &mut ObjectMapping, name: &str, prop: Property) {
    match name.split_once('.') {
        None => {
            obj.properties.insert(name.to_owned(), prop);
        }
        Some((head, rest)) => {
            let entry = obj.properties.entry(head.to_owned()).or_insert_with(|| {
                Property::Object(ObjectMapping {
                    enabled: true,
                    ..ObjectMapping::default()
                })
            });
            if let Property::Object(inner) = entry {
                insert_dotted(inner, rest, prop);
            }
        }
    }
}

/// Where a mapped path is stored in the tantivy document.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedField {
    /// Full dotted path (`message.keyword` for a multi-field).
    pub path: String,
    /// Its mapping.
    pub mapping: FieldMapping,
}

/// An index mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    root: ObjectMapping,
    /// `date_detection` (default true).
    pub date_detection: bool,
    /// `numeric_detection` (default false).
    pub numeric_detection: bool,
    flat: HashMap<String, FieldMapping>,
    objects: HashMap<String, ()>,
}

impl Default for Mapping {
    fn default() -> Self {
        Mapping {
            root: ObjectMapping {
                enabled: true,
                ..ObjectMapping::default()
            },
            date_detection: true,
            numeric_detection: false,
            flat: HashMap::new(),
            objects: HashMap::new(),
        }
    }
}

/// A typed value for the tantivy document.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexedValue {
    /// keyword (exact string)
    Keyword(String),
    /// analysed text
    Text(String),
    /// integer family or date (epoch millis)
    Long(i64),
    /// float family
    Double(f64),
    /// boolean
    Bool(bool),
}

/// A document converted to its mapping: `(path, value)` pairs and the set of present fields.
#[derive(Debug, Default, Clone)]
pub struct IndexedDoc {
    /// Values by full path, in document order.
    pub values: Vec<(String, IndexedValue)>,
    /// Paths that have a value (for `exists`).
    pub present: Vec<String>,
}

/// Mapping additions found while converting one document (dynamic mapping).
#[derive(Debug, Default)]
pub struct Updates {
    objects: Vec<Vec<String>>,
    fields: Vec<(Vec<String>, FieldMapping)>,
    flat: HashMap<String, FieldMapping>,
    object_paths: HashMap<String, ()>,
}

impl Updates {
    /// True when the document needs no mapping change.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty() && self.fields.is_empty()
    }
}

struct Ctx<'a> {
    id: &'a str,
    up: Updates,
}

impl Mapping {
    /// Parses the `mappings` member of a create-index body (`{"properties":..,"dynamic":..}`).
    /// A typed body (`{"_doc":{...}}`, pre-7) is refused as ES 8 does.
    pub fn parse(def: &Value) -> Result<Mapping> {
        let obj = def
            .as_object()
            .ok_or_else(|| mapper_parsing("Failed to parse mapping: mappings must be an object"))?;
        if obj.len() == 1 && obj.contains_key("_doc") {
            return Err(mapper_parsing(
                "The mapping definition cannot be nested under a type [_doc] unless include_type_name is set to true.",
            ));
        }
        let mut m = Mapping {
            root: ObjectMapping::parse("", obj, true)?,
            ..Mapping::default()
        };
        if let Some(v) = obj.get("date_detection") {
            m.date_detection = bool_param("_doc", "date_detection", v)?;
        }
        if let Some(v) = obj.get("numeric_detection") {
            m.numeric_detection = bool_param("_doc", "numeric_detection", v)?;
        }
        m.rebuild();
        Ok(m)
    }

    /// ES rendering: `{"dynamic":..,"properties":{...}}` (`{}` when empty).
    pub fn to_json(&self) -> Value {
        let mut v = self.root.to_json();
        if let Value::Object(o) = &mut v {
            if !self.date_detection {
                o.insert("date_detection".into(), Value::from(false));
            }
            if self.numeric_detection {
                o.insert("numeric_detection".into(), Value::from(true));
            }
        }
        v
    }

    /// The leaf at `path` (`message`, `message.keyword`, `a.b.c`).
    pub fn field(&self, path: &str) -> Option<&FieldMapping> {
        self.flat.get(path)
    }

    /// True when `path` names an object.
    pub fn is_object(&self, path: &str) -> bool {
        self.objects.contains_key(path)
    }

    /// All leaf paths, sorted.
    pub fn field_paths(&self) -> Vec<String> {
        let mut v: Vec<String> = self.flat.keys().cloned().collect();
        v.sort();
        v
    }

    /// Leaf paths matching a `*` pattern (`user*`, `*`, `a.*`).
    pub fn matching_paths(&self, pattern: &str) -> Vec<String> {
        self.field_paths()
            .into_iter()
            .filter(|p| crate::engine::util::wildcard_match(pattern, p))
            .collect()
    }

    /// Merges another mapping into this one: new fields are added, changed types are refused.
    pub fn merge(&mut self, other: &Mapping) -> Result<()> {
        let mut root = self.root.clone();
        merge_object(&mut root, &other.root, "")?;
        self.root = root;
        self.rebuild();
        Ok(())
    }

    fn rebuild(&mut self) {
        self.flat.clear();
        self.objects.clear();
        let mut stack: Vec<(String, &ObjectMapping)> = vec![(String::new(), &self.root)];
        while let Some((prefix, obj)) = stack.pop() {
            for (name, p) in &obj.properties {
                let path = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                match p {
                    Property::Field(f) => {
                        for (sub, sm) in &f.fields {
                            self.flat.insert(format!("{path}.{sub}"), sm.clone());
                        }
                        self.flat.insert(path, f.clone());
                    }
                    Property::Object(o) => {
                        self.objects.insert(path.clone(), ());
                        stack.push((path, o));
                    }
                }
            }
        }
    }

    /// Converts `source` (a JSON object) to indexed values against this mapping. Fields that
    /// dynamic mapping adds come back as [`Updates`] to [`Mapping::apply`] before the document
    /// is acknowledged.
    pub fn convert(&self, source: &Map<String, Value>, id: &str) -> Result<(IndexedDoc, Updates)> {
        let mut ctx = Ctx {
            id,
            up: Updates::default(),
        };
        let mut out = IndexedDoc::default();
        self.walk_object(&[], source, &mut ctx, &mut out)?;
        Ok((out, ctx.up))
    }

    /// Applies dynamic-mapping additions.
    pub fn apply(&mut self, up: Updates) {
        for segs in up.objects {
            let mut cur = &mut self.root;
            for s in &segs {
                let entry = cur.properties.entry(s.clone()).or_insert_with(|| {
                    Property::Object(ObjectMapping {
                        enabled: true,
                        ..ObjectMapping::default()
                    })
                });
                match entry {
                    Property::Object(o) => cur = o,
                    Property::Field(_) => break,
                }
            }
        }
        for (segs, fm) in up.fields {
            let Some((last, parents)) = segs.split_last() else {
                continue;
            };
            if let Some(obj) = object_mut(&mut self.root, parents) {
                obj.properties
                    .entry(last.clone())
                    .or_insert(Property::Field(fm));
            }
        }
        self.rebuild();
    }

    fn lookup_field<'s>(&'s self, dotted: &str, ctx: &'s Ctx<'_>) -> Option<&'s FieldMapping> {
        self.flat.get(dotted).or_else(|| ctx.up.flat.get(dotted))
    }

    fn lookup_object(&self, dotted: &str, ctx: &Ctx<'_>) -> bool {
        self.objects.contains_key(dotted) || ctx.up.object_paths.contains_key(dotted)
    }

    fn object_at(&self, segs: &[String]) -> Option<&ObjectMapping> {
        let mut cur = &self.root;
        for s in segs {
            match cur.properties.get(s) {
                Some(Property::Object(o)) => cur = o,
                _ => return None,
            }
        }
        Some(cur)
    }

    fn dynamic_at(&self, segs: &[String]) -> Dynamic {
        let mut cur = &self.root;
        let mut d = self.root.dynamic.unwrap_or(Dynamic::True);
        for s in segs {
            match cur.properties.get(s) {
                Some(Property::Object(o)) => {
                    if let Some(x) = o.dynamic {
                        d = x;
                    }
                    cur = o;
                }
                _ => break,
            }
        }
        d
    }

    fn walk_object(
        &self,
        segs: &[String],
        obj: &Map<String, Value>,
        ctx: &mut Ctx<'_>,
        out: &mut IndexedDoc,
    ) -> Result<()> {
        for (key, value) in obj {
            if key.is_empty() || key.split('.').any(str::is_empty) {
                return Err(doc_parsing(format!(
                    "field name cannot be an empty string (in [{key}]) in document with id '{}'",
                    ctx.id
                )));
            }
            if segs.is_empty() && key.starts_with('_') && is_metadata_field(key) {
                return Err(doc_parsing(format!(
                    "Field [{key}] is a metadata field and cannot be added inside a document. Use the index API request parameters."
                )));
            }
            let mut path: Vec<String> = segs.to_vec();
            path.extend(key.split('.').map(str::to_owned));
            if path.len() > segs.len() + 1 && !self.ensure_objects(&path[..path.len() - 1], ctx)? {
                continue;
            }
            self.walk_value(&path, value, ctx, out)?;
        }
        Ok(())
    }

    /// Makes sure every prefix of `segs` is an object (adding dynamic ones to the updates);
    /// false when a disabled or non-dynamic parent means the value is not indexed.
    fn ensure_objects(&self, segs: &[String], ctx: &mut Ctx<'_>) -> Result<bool> {
        for i in 1..=segs.len() {
            let path = segs[..i].join(".");
            if self.lookup_object(&path, ctx) {
                if let Some(o) = self.object_at(&segs[..i])
                    && !o.enabled
                {
                    return Ok(false);
                }
                continue;
            }
            if let Some(f) = self.lookup_field(&path, ctx) {
                return Err(doc_parsing(format!(
                    "Could not dynamically add mapping for field [{}]. Existing mapping for [{path}] must be of type object but found [{}].",
                    segs.join("."),
                    f.ty.name()
                )));
            }
            match self.dynamic_at(&segs[..i - 1]) {
                Dynamic::False => return Ok(false),
                Dynamic::Strict => return Err(strict(&segs[..i])),
                Dynamic::True => {}
            }
            ctx.up.objects.push(segs[..i].to_vec());
            ctx.up.object_paths.insert(path, ());
        }
        Ok(true)
    }

    fn walk_value(
        &self,
        path: &[String],
        value: &Value,
        ctx: &mut Ctx<'_>,
        out: &mut IndexedDoc,
    ) -> Result<()> {
        let dotted = path.join(".");
        match value {
            Value::Null => {
                if let Some(f) = self.lookup_field(&dotted, ctx).cloned()
                    && let Some(nv) = &f.null_value
                {
                    return index_leaf(&dotted, &f, nv, ctx.id, out);
                }
                Ok(())
            }
            Value::Array(items) => {
                for item in items {
                    self.walk_value(path, item, ctx, out)?;
                }
                Ok(())
            }
            Value::Object(inner) => {
                if let Some(f) = self.lookup_field(&dotted, ctx) {
                    return Err(field_parse_error(&dotted, f, value, ctx.id, None));
                }
                if !self.ensure_objects(path, ctx)? {
                    return Ok(());
                }
                self.walk_object(path, inner, ctx, out)
            }
            scalar => {
                // mapped fields are borrowed from the mapping; only fields added by this very
                // document (in `ctx.up`) need a copy to release the borrow of `ctx`
                if let Some(f) = self.flat.get(&dotted) {
                    return index_leaf(&dotted, f, scalar, ctx.id, out);
                }
                if let Some(f) = ctx.up.flat.get(&dotted) {
                    let f = f.clone();
                    return index_leaf(&dotted, &f, scalar, ctx.id, out);
                }
                if self.lookup_object(&dotted, ctx) {
                    return Err(doc_parsing(format!(
                        "object mapping for [{dotted}] tried to parse field [{}] as object, but found a concrete value",
                        path.last().map_or("", String::as_str)
                    )));
                }
                let parent = &path[..path.len() - 1];
                if !parent.is_empty() && !self.ensure_objects(parent, ctx)? {
                    return Ok(());
                }
                match self.dynamic_at(parent) {
                    Dynamic::False => return Ok(()),
                    Dynamic::Strict => return Err(strict(path)),
                    Dynamic::True => {}
                }
                let fm = self.infer(scalar);
                for (sub, sm) in &fm.fields {
                    ctx.up.flat.insert(format!("{dotted}.{sub}"), sm.clone());
                }
                ctx.up.flat.insert(dotted.clone(), fm.clone());
                ctx.up.fields.push((path.to_vec(), fm.clone()));
                index_leaf(&dotted, &fm, scalar, ctx.id, out)
            }
        }
    }

    fn infer(&self, v: &Value) -> FieldMapping {
        match v {
            Value::Bool(_) => FieldMapping::new(FieldType::Boolean),
            Value::Number(n) if n.is_f64() => FieldMapping::new(FieldType::Float),
            Value::Number(_) => FieldMapping::new(FieldType::Long),
            Value::String(s) => {
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
            _ => FieldMapping::dynamic_string(),
        }
    }
}

fn index_leaf(
    path: &str,
    f: &FieldMapping,
    v: &Value,
    id: &str,
    out: &mut IndexedDoc,
) -> Result<()> {
    match coerce(path, f, v, id) {
        Ok(Some(iv)) => {
            if !out.present.iter().any(|p| p == path) {
                out.present.push(path.to_owned());
            }
            if f.index || f.doc_values {
                out.values.push((path.to_owned(), iv));
            }
        }
        Ok(None) => {}
        Err(e) => {
            if !f.ignore_malformed {
                return Err(e);
            }
        }
    }
    for (sub, sm) in &f.fields {
        let sub_path = format!("{path}.{sub}");
        match coerce(&sub_path, sm, v, id) {
            Ok(Some(iv)) => {
                if !out.present.iter().any(|p| p == &sub_path) {
                    out.present.push(sub_path.clone());
                }
                out.values.push((sub_path, iv));
            }
            Ok(None) => {}
            Err(e) => {
                if !sm.ignore_malformed {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

fn object_mut<'m>(root: &'m mut ObjectMapping, segs: &[String]) -> Option<&'m mut ObjectMapping> {
    let Some((first, rest)) = segs.split_first() else {
        return Some(root);
    };
    match root.properties.get_mut(first) {
        Some(Property::Object(o)) => object_mut(o, rest),
        _ => None,
    }
}

fn merge_object(into: &mut ObjectMapping, from: &ObjectMapping, prefix: &str) -> Result<()> {
    if from.dynamic.is_some() {
        into.dynamic = from.dynamic;
    }
    for (name, p) in &from.properties {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match (into.properties.get_mut(name), p) {
            (None, p) => {
                into.properties.insert(name.clone(), p.clone());
            }
            (Some(Property::Object(a)), Property::Object(b)) => merge_object(a, b, &path)?,
            (Some(Property::Field(a)), Property::Field(b)) => {
                if a.ty != b.ty {
                    return Err(Error::illegal_argument(format!(
                        "mapper [{path}] cannot be changed from type [{}] to [{}]",
                        a.ty.name(),
                        b.ty.name()
                    )));
                }
                for (k, v) in &b.fields {
                    a.fields.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            (Some(Property::Object(_)), Property::Field(b)) => {
                return Err(Error::illegal_argument(format!(
                    "can't merge a non object mapping [{path}] with an object mapping"
                ))
                .with("detail", b.ty.name()));
            }
            (Some(Property::Field(a)), Property::Object(_)) => {
                return Err(Error::illegal_argument(format!(
                    "mapper [{path}] cannot be changed from type [{}] to [object]",
                    a.ty.name()
                )));
            }
        }
    }
    Ok(())
}

fn is_metadata_field(key: &str) -> bool {
    matches!(
        key,
        "_id"
            | "_index"
            | "_source"
            | "_routing"
            | "_version"
            | "_seq_no"
            | "_primary_term"
            | "_field_names"
            | "_ignored"
            | "_doc_count"
            | "_tier"
            | "_data_stream_timestamp"
            | "_feature"
            | "_nested_path"
    )
}

fn strict(path: &[String]) -> Error {
    let within = if path.len() > 1 {
        path[..path.len() - 1].join(".")
    } else {
        "_doc".to_owned()
    };
    Error::es(
        400,
        "strict_dynamic_mapping_exception",
        format!(
            "mapping set to strict, dynamic introduction of [{}] within [{within}] is not allowed",
            path.last().map_or("", String::as_str)
        ),
    )
}

/// 400 `document_parsing_exception`.
pub fn doc_parsing(reason: impl Into<String>) -> Error {
    Error::es(400, "document_parsing_exception", reason)
}

fn preview(v: &Value) -> String {
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
    v: &Value,
    id: &str,
    cause: Option<Error>,
) -> Error {
    let e = doc_parsing(format!(
        "failed to parse field [{path}] of type [{}] in document with id '{id}'. Preview of field's value: '{}'",
        f.ty.name(),
        preview(v)
    ));
    match cause {
        Some(c) => e.caused_by(c),
        None => e,
    }
}

fn looks_like_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b[..4].iter().all(u8::is_ascii_digit)
        && date::parse_optional_time(s, None).is_some()
}

fn slash_date(s: &str) -> Option<FieldMapping> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'/' || b[7] != b'/' {
        return None;
    }
    let format = "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis";
    let formats = date::parse_formats(format).ok()?;
    date::parse_date_str(s, &formats, None)?;
    let mut fm = FieldMapping::new(FieldType::Date);
    fm.format = Some(format.to_owned());
    fm.formats = formats;
    Some(fm)
}

/// Rounds to `float` precision as ES stores it.
pub fn round_float(ty: FieldType, v: f64) -> f64 {
    match ty {
        FieldType::Float => f64::from(v as f32),
        FieldType::HalfFloat => round_half(v),
        _ => v,
    }
}

fn round_half(v: f64) -> f64 {
    if !v.is_finite() || v == 0.0 {
        return v;
    }
    let a = v.abs();
    if a >= 65520.0 {
        return f64::INFINITY.copysign(v);
    }
    // 11 significant bits; subnormals below 2^-14 have a fixed step of 2^-24
    let exp = a.log2().floor().max(-14.0);
    let step = 2f64.powf(exp - 10.0);
    let q = a / step;
    let r = q.round();
    // round half to even
    let r = if (q - q.floor() - 0.5).abs() < f64::EPSILON && r % 2.0 != 0.0 {
        r - 1.0
    } else {
        r
    };
    (r * step).copysign(v)
}

fn coerce(path: &str, f: &FieldMapping, v: &Value, id: &str) -> Result<Option<IndexedValue>> {
    let bad = |cause: Option<Error>| field_parse_error(path, f, v, id, cause);
    match f.ty {
        FieldType::Keyword => {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(bad(None)),
            };
            if f.ignore_above.is_some_and(|n| s.chars().count() > n) {
                return Ok(None);
            }
            if s.len() > 32766 {
                return Err(Error::illegal_argument(format!(
                    "Document contains at least one immense term in field=\"{path}\" (whose UTF8 encoding is longer than the max length 32766), all of which were skipped."
                )));
            }
            Ok(Some(IndexedValue::Keyword(s)))
        }
        FieldType::Text => match v {
            Value::String(s) => Ok(Some(IndexedValue::Text(s.clone()))),
            Value::Number(n) => Ok(Some(IndexedValue::Text(n.to_string()))),
            Value::Bool(b) => Ok(Some(IndexedValue::Text(b.to_string()))),
            _ => Err(bad(None)),
        },
        FieldType::Boolean => match v {
            Value::Bool(b) => Ok(Some(IndexedValue::Bool(*b))),
            Value::String(s) if s == "true" => Ok(Some(IndexedValue::Bool(true))),
            Value::String(s) if s == "false" || s.is_empty() => Ok(Some(IndexedValue::Bool(false))),
            other => Err(bad(Some(Error::illegal_argument(format!(
                "Failed to parse value [{}] as only [true] or [false] are allowed.",
                preview(other)
            ))))),
        },
        t if t.is_integer() => {
            let n: i64 = match v {
                Value::Number(n) => {
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
                Value::String(s) if f.coerce => {
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
            Ok(Some(IndexedValue::Long(n)))
        }
        t if t.is_float() => {
            let x = match v {
                Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
                Value::String(s) if f.coerce => s.trim().parse::<f64>().map_err(|_| {
                    bad(Some(Error::es(
                        400,
                        "number_format_exception",
                        format!("For input string: \"{s}\""),
                    )))
                })?,
                _ => return Err(bad(None)),
            };
            let x = round_float(t, x);
            if !x.is_finite() {
                return Err(bad(Some(Error::illegal_argument(format!(
                    "[{}] supports only finite values, but got [{x}]",
                    t.name()
                )))));
            }
            Ok(Some(IndexedValue::Double(x)))
        }
        FieldType::Date => {
            let ms = match v {
                Value::String(s) => date::parse_date_str(s, &f.formats, None),
                Value::Number(n)
                    if f.formats
                        .iter()
                        .any(|x| matches!(x, DateFormat::EpochMillis)) =>
                {
                    n.as_i64().or_else(|| n.as_f64().map(|x| x as i64))
                }
                Value::Number(n)
                    if f.formats
                        .iter()
                        .any(|x| matches!(x, DateFormat::EpochSecond)) =>
                {
                    n.as_f64().map(|x| (x * 1000.0) as i64)
                }
                _ => None,
            };
            match ms {
                Some(ms) => Ok(Some(IndexedValue::Long(ms))),
                None => Err(bad(Some(Error::illegal_argument(format!(
                    "failed to parse date field [{}] with format [{}]",
                    preview(v),
                    f.format_str()
                ))))),
            }
        }
        _ => Err(bad(None)),
    }
}

/// ES's `GET _mapping` body for one index.
pub fn mapping_body(index: &str, m: &Mapping) -> Value {
    json!({ index: { "mappings": m.to_json() } })
}

#[cfg(test)]
mod tests;
