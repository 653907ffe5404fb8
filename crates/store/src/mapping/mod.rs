//! Index mappings: parsing ES mapping JSON, dynamic mapping, coercing a document to its mapping.
//!
//! A [`Mapping`] is a tree of objects and typed fields; every leaf is also reachable by its full
//! dotted path (multi-fields such as `message.keyword` included) through [`Mapping::field`].
//! [`Mapping::convert`] walks a `_source` (its raw JSON, in one pass: `convert.rs`) into an
//! [`IndexedDoc`]: typed values per path, ready for the tantivy document, or a
//! `document_parsing_exception`.

mod convert;
pub mod date;
pub mod decimal;
pub mod dynamic_template;
pub mod geo;
pub mod ip;
#[cfg(test)]
mod oracle;
pub mod unsigned;

pub use convert::{IGNORED_PATH, IndexedDoc, IndexedValue, NESTED_MARKER, nested_marker};
pub(crate) use convert::{Slot, Span};

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use date::DateFormat;
use dynamic_template::DynamicTemplate;

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
    /// `ip`: an IPv4 or IPv6 address (see [`ip`])
    Ip,
    /// `geo_point`: a latitude and longitude (see [`geo`]), kept as one encoded number
    GeoPoint,
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
            FieldType::Ip => "ip",
            FieldType::GeoPoint => "geo_point",
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
            "ip" => FieldType::Ip,
            "geo_point" => FieldType::GeoPoint,
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
    /// `match_only_text` (a [`FieldType::Text`] flavour, default false): queries score every
    /// matching term 1, as Elasticsearch's `match_only_text`, which keeps no frequencies.
    pub match_only: bool,
    /// `constant_keyword` (a [`FieldType::Keyword`] flavour, default false): every document
    /// has the one value [`FieldMapping::value`].
    pub constant: bool,
    /// A `constant_keyword`'s `value`: from the mapping, or from the first document that has
    /// one (`None` until then).
    pub value: Option<String>,
    /// `scaled_float`'s `scaling_factor` (a [`FieldType::Double`] flavour, `None` for other
    /// types): values are kept as the nearest multiple of `1 / scaling_factor`.
    pub scaling_factor: Option<f64>,
    /// `geo_point`'s `ignore_z_value` (default true): a third coordinate is accepted and
    /// dropped; `false` refuses it.
    pub ignore_z_value: bool,
    /// `flattened` (a [`FieldType::Keyword`] flavour): the field takes a whole object, whose
    /// leaf values are keywords of the field itself and of `field.<key path>` (no mapping for
    /// the keys); `Some(depth_limit)` (ES's default 20).
    pub flattened: Option<usize>,
    /// `wildcard` (a [`FieldType::Keyword`] flavour): a keyword whose queries score a
    /// constant, as Elasticsearch's `wildcard` field's do (its n-gram index is a way of finding
    /// the same documents for wildcard and regexp queries; here the term dictionary is).
    pub wildcard: bool,
    /// `binary` (a [`FieldType::Keyword`] flavour): base64 values, never searched; the column
    /// keeps them so that `exists` finds them. `Some(doc_values as given)`.
    pub binary: Option<bool>,
    /// `unsigned_long` (a [`FieldType::Long`] flavour): 0 to 2^64 - 1, kept shifted by 2^63 in
    /// the column ([`unsigned`]); sorts, hits and `term`/`range` queries are exact, other
    /// aggregations see doubles, as Elasticsearch's do.
    pub unsigned: bool,
    /// `date_nanos` (a [`FieldType::Date`] flavour): values are kept as epoch nanoseconds
    /// (1970 to 2262) rather than milliseconds; sorts and hits show nanoseconds, aggregations
    /// see milliseconds, as Elasticsearch's do.
    pub nanos: bool,
    /// `completion` (a [`FieldType::Keyword`] flavour): each input is kept as one term, its
    /// analyzed tokens joined ([`FieldMapping::completion_key`]), for the completion suggester
    /// (`search::suggest`); its options (`analyzer`, `max_input_length`, ...) are in `shown`.
    pub completion: bool,
    /// Parameters that change nothing the store answers but the mapping itself, kept to be
    /// shown as given: `meta`, `store: true`, and text's `term_vector`, `index_options`
    /// (positions or offsets), `index_phrases` and `index_prefixes` (ways to make queries
    /// faster, not different).
    pub shown: Box<Map<String, Value>>,
}

/// ES's default `depth_limit` of a `flattened` field.
pub const FLATTENED_DEPTH_LIMIT: usize = 20;

/// What a key path under a `flattened` field is: a keyword.
static FLATTENED_KEY: std::sync::LazyLock<FieldMapping> =
    std::sync::LazyLock::new(|| FieldMapping::new(FieldType::Keyword));

/// The `_ignored` metadata field: a keyword of every document that had a value left out.
static IGNORED_FIELD: std::sync::LazyLock<FieldMapping> =
    std::sync::LazyLock::new(|| FieldMapping::new(FieldType::Keyword));

/// What joins the tokens of a `completion` input (Lucene's completion separator, U+001F).
pub const COMPLETION_SEPARATOR: &str = "\u{1f}";

impl FieldMapping {
    /// The term a `completion` field keeps for one input: the input cut to `max_input_length`
    /// characters, analyzed by the field's analyzer (`search_analyzer` for a suggestion's text
    /// when `search` is set), tokens joined by a separator unless `preserve_separators` is
    /// false. `None` when nothing is left.
    pub fn completion_key(&self, input: &str, search: bool) -> Option<String> {
        let named = |k: &str| self.shown.get(k).and_then(Value::as_str);
        let analyzer = (if search {
            named("search_analyzer")
        } else {
            None
        })
        .or_else(|| named("analyzer"))
        .and_then(crate::analysis::Analyzer::builtin)
        .unwrap_or_else(crate::analysis::Analyzer::simple);
        let max = self
            .shown
            .get("max_input_length")
            .and_then(Value::as_u64)
            .map_or(50, |n| usize::try_from(n).unwrap_or(usize::MAX));
        let cut: String = if search {
            input.to_owned()
        } else {
            input.chars().take(max).collect()
        };
        let sep = if self.shown.get("preserve_separators") == Some(&Value::Bool(false)) {
            ""
        } else {
            COMPLETION_SEPARATOR
        };
        let terms = analyzer.terms(&cut);
        (!terms.is_empty()).then(|| terms.join(sep))
    }

    /// `fielddata: true` on a `text` field: sorts and aggregations read its uninverted terms.
    pub fn fielddata(&self) -> bool {
        self.shown.get("fielddata") == Some(&Value::Bool(true))
    }

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
            match_only: false,
            constant: false,
            value: None,
            scaling_factor: None,
            ignore_z_value: true,
            flattened: None,
            wildcard: false,
            binary: None,
            unsigned: false,
            nanos: false,
            completion: false,
            shown: Box::default(),
        }
    }

    /// `x` as this field keeps it: for a `scaled_float`, rounded to its scaling factor (as
    /// Elasticsearch's `Math.round(x * scaling_factor) / scaling_factor`).
    pub fn scale(&self, x: f64) -> f64 {
        match self.scaling_factor {
            Some(f) => (x * f + 0.5).floor() / f,
            None => x,
        }
    }

    /// A `match_only_text` mapping: text whose queries score each matching term 1.
    pub fn match_only_text() -> FieldMapping {
        FieldMapping {
            match_only: true,
            ..FieldMapping::new(FieldType::Text)
        }
    }

    /// ES's name of the field's type (`match_only_text` for that flavour of text).
    pub fn type_name(&self) -> &'static str {
        if self.match_only {
            "match_only_text"
        } else if self.constant {
            "constant_keyword"
        } else if self.scaling_factor.is_some() {
            "scaled_float"
        } else if self.flattened.is_some() {
            "flattened"
        } else if self.wildcard {
            "wildcard"
        } else if self.binary.is_some() {
            "binary"
        } else if self.completion {
            "completion"
        } else if self.nanos {
            "date_nanos"
        } else if self.unsigned {
            "unsigned_long"
        } else {
            self.ty.name()
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
        self.format.as_deref().unwrap_or(if self.nanos {
            date::DEFAULT_NANOS_FORMAT
        } else {
            date::DEFAULT_FORMAT
        })
    }

    /// Formats a value of this date field's column (milliseconds, or nanoseconds for
    /// `date_nanos`) with `formats`.
    pub fn format_date(
        &self,
        v: i64,
        formats: &[date::DateFormat],
        zone: Option<log_model::zone::Zone>,
    ) -> String {
        if self.nanos {
            date::format_nanos_with(v, formats, zone)
        } else {
            date::format_with(v, formats, zone)
        }
    }

    /// A value of this date field's column as epoch milliseconds (what aggregations see).
    pub fn column_millis(&self, v: i64) -> i64 {
        if self.nanos {
            v.div_euclid(date::NANOS_PER_MILLI)
        } else {
            v
        }
    }

    fn parse(name: &str, ty: FieldType, def: &Map<String, Value>) -> Result<FieldMapping> {
        let mut m = FieldMapping::new(ty);
        m.match_only = def.get("type").and_then(Value::as_str) == Some("match_only_text");
        m.constant = def.get("type").and_then(Value::as_str) == Some("constant_keyword");
        if def.get("type").and_then(Value::as_str) == Some("flattened") {
            m.flattened = Some(FLATTENED_DEPTH_LIMIT);
        }
        m.wildcard = def.get("type").and_then(Value::as_str) == Some("wildcard");
        m.unsigned = def.get("type").and_then(Value::as_str) == Some("unsigned_long");
        if def.get("type").and_then(Value::as_str) == Some("date_nanos") {
            m.nanos = true;
            m.formats = date::parse_formats(date::DEFAULT_NANOS_FORMAT).unwrap_or_default();
        }
        if def.get("type").and_then(Value::as_str) == Some("completion") {
            m.completion = true;
            m.shown.insert("analyzer".into(), Value::from("simple"));
            m.shown
                .insert("preserve_separators".into(), Value::from(true));
            m.shown
                .insert("preserve_position_increments".into(), Value::from(true));
            m.shown.insert("max_input_length".into(), Value::from(50));
        }
        if def.get("type").and_then(Value::as_str) == Some("binary") {
            // never indexed; the column holds the values whatever `doc_values` says
            m.binary = Some(false);
            m.index = false;
        }
        let scaled = def.get("type").and_then(Value::as_str) == Some("scaled_float");
        if scaled {
            let f = def
                .get("scaling_factor")
                .ok_or_else(|| mapper_parsing("Field [scaling_factor] is required"))?;
            let f = f
                .as_f64()
                .or_else(|| f.as_str().and_then(|s| s.parse().ok()))
                .ok_or_else(|| {
                    mapper_parsing(format!(
                        "Failed to parse mapping: [scaling_factor] on field [{name}] must be a number, got [{f}]"
                    ))
                })?;
            if !f.is_finite() || f <= 0.0 {
                return Err(mapper_parsing(format!(
                    "[scaling_factor] must be a positive number, got [{f}]"
                )));
            }
            m.scaling_factor = Some(f);
        }
        for (k, v) in def {
            match (k.as_str(), ty) {
                ("type", _) => {}
                ("scaling_factor", _) if scaled => {}
                (k @ ("analyzer" | "search_analyzer"), _) if m.completion => {
                    let a = v.as_str().unwrap_or_default();
                    if crate::analysis::Analyzer::builtin(a).is_none() {
                        return Err(mapper_parsing(format!(
                            "analyzer [{a}] has not been configured in mappings (sluice-store has the built-in analyzers)"
                        )));
                    }
                    m.shown.insert(k.into(), Value::from(a));
                }
                (k @ ("preserve_separators" | "preserve_position_increments"), _)
                    if m.completion =>
                {
                    m.shown
                        .insert(k.into(), Value::Bool(bool_param(name, k, v)?));
                }
                ("max_input_length", _) if m.completion => {
                    let n = v
                        .as_u64()
                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                        .filter(|n| *n > 0)
                        .ok_or_else(|| {
                            mapper_parsing(format!("[max_input_length] must be > 0 but was [{v}]"))
                        })?;
                    m.shown.insert(k.clone(), Value::from(n));
                }
                ("contexts", _) if m.completion => {
                    return Err(mapper_parsing(format!(
                        "[contexts] of the completion field [{name}] are not supported by sluice-store"
                    )));
                }
                (other, _) if m.completion => {
                    return Err(mapper_parsing(format!(
                        "unknown parameter [{other}] on mapper [{name}] of type [completion]"
                    )));
                }
                ("value", _) if m.constant => {
                    m.value = match v {
                        Value::Null => None,
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        Value::Bool(b) => Some(b.to_string()),
                        other => {
                            return Err(mapper_parsing(format!(
                                "Property [value] on field [{name}] must be a number or a string, but got [{other}]"
                            )));
                        }
                    };
                }
                // `constant_keyword` takes its value and nothing else
                (other, _) if m.constant => {
                    return Err(mapper_parsing(format!(
                        "unknown parameter [{other}] on mapper [{name}] of type [constant_keyword]"
                    )));
                }
                ("depth_limit", _) if m.flattened.is_some() => {
                    let n = v.as_u64().filter(|n| *n >= 1).ok_or_else(|| {
                        mapper_parsing(format!(
                            "Failed to parse mapping: [depth_limit] must be positive, got [{v}]"
                        ))
                    })?;
                    m.flattened = Some(usize::try_from(n).unwrap_or(usize::MAX));
                }
                // a `flattened` field takes these (as keyword does) and nothing else
                (other, _)
                    if m.flattened.is_some()
                        && !matches!(
                            other,
                            "ignore_above" | "index" | "doc_values" | "null_value"
                        ) =>
                {
                    return Err(mapper_parsing(format!(
                        "unknown parameter [{other}] on mapper [{name}] of type [flattened]"
                    )));
                }
                // a `wildcard` field takes these and nothing else
                (other, _)
                    if m.wildcard && !matches!(other, "ignore_above" | "null_value" | "fields") =>
                {
                    return Err(mapper_parsing(format!(
                        "unknown parameter [{other}] on mapper [{name}] of type [wildcard]"
                    )));
                }
                // `match_only_text` takes its sub-fields and nothing else
                (other, _) if m.match_only && other != "fields" => {
                    return Err(mapper_parsing(format!(
                        "unknown parameter [{other}] on mapper [{name}] of type [match_only_text]"
                    )));
                }
                ("meta", _) => {
                    m.shown.insert("meta".into(), field_meta(name, v)?);
                }
                ("doc_values", _) if m.binary.is_some() => {
                    m.binary = Some(bool_param(name, k, v)?);
                }
                ("store", _) if bool_param(name, k, v)? => {
                    m.shown.insert("store".into(), Value::Bool(true));
                }
                ("store", _) => {}
                // a `binary` field takes these and nothing else
                (other, _) if m.binary.is_some() => {
                    return Err(mapper_parsing(format!(
                        "unknown parameter [{other}] on mapper [{name}] of type [binary]"
                    )));
                }
                // sorts and aggregations read the uninverted terms (`search::fielddata`)
                ("fielddata", FieldType::Text) => {
                    if bool_param(name, k, v)? {
                        m.shown.insert(k.clone(), Value::Bool(true));
                    }
                }
                ("index_options", FieldType::Text) => match v.as_str() {
                    Some("positions") => {}
                    Some("offsets") => {
                        m.shown.insert(k.clone(), v.clone());
                    }
                    Some(o @ ("docs" | "freqs")) => {
                        return Err(mapper_parsing(format!(
                            "[index_options] = [{o}] on field [{name}] is not supported by sluice-store (text keeps positions)"
                        )));
                    }
                    _ => {
                        return Err(mapper_parsing(format!(
                            "Unknown value [{}] for field [index_options] - accepted values are [positions, docs, freqs, offsets]",
                            v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                        )));
                    }
                },
                ("term_vector", FieldType::Text | FieldType::Keyword) => {
                    const VALUES: [&str; 7] = [
                        "no",
                        "yes",
                        "with_positions",
                        "with_offsets",
                        "with_positions_offsets",
                        "with_positions_payloads",
                        "with_positions_offsets_payloads",
                    ];
                    match v.as_str() {
                        Some("no") => {}
                        Some(t) if VALUES.contains(&t) => {
                            m.shown.insert(k.clone(), v.clone());
                        }
                        _ => {
                            return Err(mapper_parsing(format!(
                                "Unknown value [{}] for field [term_vector] - accepted values are [{}]",
                                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                                VALUES.join(", ")
                            )));
                        }
                    }
                }
                ("index_phrases", FieldType::Text) => {
                    if bool_param(name, k, v)? {
                        m.shown.insert(k.clone(), Value::Bool(true));
                    }
                }
                ("index_prefixes", FieldType::Text) => {
                    m.shown.insert(k.clone(), index_prefixes(name, v)?);
                }
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
                ("norms", FieldType::Text | FieldType::Keyword) => {
                    bool_param(name, k, v)?;
                }
                ("coerce", t) if t.is_numeric() && !m.unsigned => {
                    m.coerce = bool_param(name, k, v)?;
                }
                ("ignore_malformed", t)
                    if t.is_numeric()
                        || matches!(t, FieldType::Date | FieldType::Ip | FieldType::GeoPoint) =>
                {
                    m.ignore_malformed = bool_param(name, k, v)?;
                }
                ("ignore_z_value", FieldType::GeoPoint) => {
                    m.ignore_z_value = bool_param(name, k, v)?;
                }
                ("null_value", FieldType::GeoPoint) => {
                    if !v.is_null() {
                        geo::parse_point(v, m.ignore_z_value, name).map_err(|e| {
                            mapper_parsing(format!(
                                "Failed to parse mapping: Error parsing [null_value] on field [{name}]: {}",
                                e.reason()
                            ))
                        })?;
                        m.null_value = Some(v.clone());
                    }
                }
                ("null_value", FieldType::Ip) => m.null_value = ip_null_value(name, v)?,
                ("null_value", _) if m.unsigned && !v.is_null() => {
                    unsigned::parse_value(v).map_err(|e| {
                        mapper_parsing(format!("Error parsing [null_value] on field [{name}]: {e}"))
                    })?;
                    m.null_value = Some(v.clone());
                }
                // ES's `unsigned_long` takes no `coerce`
                ("coerce", _) if m.unsigned => {
                    return Err(mapper_parsing(format!(
                        "unknown parameter [coerce] on mapper [{name}] of type [unsigned_long]"
                    )));
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
                        if !sm.fields.is_empty() || sm.constant {
                            return Err(mapper_parsing(format!(
                                "Field [{sub}] of type [{}] can't be used in multifields",
                                sm.type_name()
                            )));
                        }
                        m.fields.insert(sub.clone(), sm);
                    }
                }
                (other, _) => {
                    return Err(mapper_parsing(format!(
                        "unknown parameter [{other}] on mapper [{name}] of type [{}]",
                        m.type_name()
                    )));
                }
            }
        }
        Ok(m)
    }

    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("type".into(), Value::from(self.type_name()));
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
        match self.binary {
            Some(dv) => {
                if dv {
                    o.insert("doc_values".into(), Value::from(true));
                }
            }
            None => {
                if !self.index {
                    o.insert("index".into(), Value::from(false));
                }
                if !self.doc_values {
                    o.insert("doc_values".into(), Value::from(false));
                }
            }
        }
        for (k, v) in self.shown.iter() {
            o.insert(k.clone(), v.clone());
        }
        if !self.coerce {
            o.insert("coerce".into(), Value::from(false));
        }
        if self.ignore_malformed {
            o.insert("ignore_malformed".into(), Value::from(true));
        }
        if !self.ignore_z_value {
            o.insert("ignore_z_value".into(), Value::from(false));
        }
        if let Some(v) = &self.null_value {
            o.insert("null_value".into(), v.clone());
        }
        if let Some(v) = &self.value {
            o.insert("value".into(), Value::from(v.clone()));
        }
        if let Some(f) = self.scaling_factor {
            o.insert("scaling_factor".into(), crate::aggs::num_json(f));
        }
        if let Some(d) = self.flattened.filter(|d| *d != FLATTENED_DEPTH_LIMIT) {
            o.insert("depth_limit".into(), Value::from(d));
        }
        Value::Object(o)
    }
}

/// A field's `meta`: at most 5 string entries, keys up to 20 characters, values up to 50 (as
/// Elasticsearch checks them).
fn field_meta(field: &str, v: &Value) -> Result<Value> {
    let m = v.as_object().ok_or_else(|| {
        mapper_parsing(format!(
            "Failed to parse mapping: [meta] on mapper [{field}] should be an object, but got [{v}]"
        ))
    })?;
    if m.len() > 5 {
        return Err(mapper_parsing(format!(
            "Failed to parse mapping: [meta] can't have more than 5 entries, but got {} on field [{field}]",
            m.len()
        )));
    }
    for (k, val) in m {
        if k.chars().count() > 20 {
            return Err(mapper_parsing(format!(
                "Failed to parse mapping: [meta] keys can't be longer than 20 chars, but got [{k}] for field [{field}]"
            )));
        }
        let Some(text) = val.as_str() else {
            return Err(mapper_parsing(format!(
                "Failed to parse mapping: [meta] values can only be strings, but got {val} for field [{field}]"
            )));
        };
        if text.chars().count() > 50 {
            return Err(mapper_parsing(format!(
                "Failed to parse mapping: [meta] values can't be longer than 50 chars, but got [{text}] for field [{field}]"
            )));
        }
    }
    Ok(v.clone())
}

/// A text field's `index_prefixes`: `min_chars` (0–19, default 2) below `max_chars` (1–20,
/// default 5).
fn index_prefixes(field: &str, v: &Value) -> Result<Value> {
    let o = v.as_object().ok_or_else(|| {
        mapper_parsing(format!(
            "[index_prefixes] on field [{field}] must be an object"
        ))
    })?;
    let mut min = 2;
    let mut max = 5;
    for (k, val) in o {
        let n = val
            .as_u64()
            .or_else(|| val.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| {
                mapper_parsing(format!(
                    "[index_prefixes.{k}] on field [{field}] must be a number"
                ))
            })?;
        match k.as_str() {
            "min_chars" => min = n,
            "max_chars" => max = n,
            other => {
                return Err(mapper_parsing(format!(
                    "Failed to parse mapping: unknown parameter [{other}] in [index_prefixes] on field [{field}]"
                )));
            }
        }
    }
    if min > max {
        return Err(mapper_parsing(format!(
            "Failed to parse mapping: min_chars [{min}] must be less than max_chars [{max}]"
        )));
    }
    if max > 20 {
        return Err(mapper_parsing(format!(
            "Failed to parse mapping: max_chars [{max}] must be less than 20"
        )));
    }
    Ok(v.clone())
}

/// An `ip` field's `null_value`: an address, checked when the mapping is parsed (`null` is no
/// null value).
fn ip_null_value(field: &str, v: &Value) -> Result<Option<Value>> {
    let text = match v {
        Value::Null => return Ok(None),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match ip::parse_or_err(&text) {
        Ok(_) => Ok(Some(v.clone())),
        Err(e) => Err(mapper_parsing(format!(
            "Error parsing [null_value] on field [{field}]: {}",
            e.reason()
        ))
        .caused_by(e)),
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
    /// `type: nested`: each object under it is indexed as its own hidden document, placed
    /// before its parent's (see `engine::nested`).
    pub nested: bool,
}

/// A child of an object mapping.
// Leaves outnumber objects, and a mapping is read far more than built: a box per leaf would
// cost an allocation and an indirection for the size of the rare object variant.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Property {
    /// A leaf field.
    Field(FieldMapping),
    /// An inner object.
    Object(ObjectMapping),
}

/// Elasticsearch 8's field types that sluice-store does not implement: refused by name, where
/// a type Elasticsearch does not know at all gets its "The mapper type [..] ... does not exist" error.
const UNSUPPORTED_TYPES: &[&str] = &[
    "aggregate_metric_double",
    "alias",
    "counted_keyword",
    "date_range",
    "dense_vector",
    "double_range",
    "float_range",
    "geo_shape",
    "histogram",
    "integer_range",
    "ip_range",
    "join",
    "long_range",
    "passthrough",
    "percolator",
    "point",
    "rank_feature",
    "rank_features",
    "search_as_you_type",
    "semantic_text",
    "shape",
    "sparse_vector",
    "token_count",
    "version",
];

/// True for a field type Elasticsearch has and sluice-store does not.
fn is_unsupported_type(t: &str) -> bool {
    UNSUPPORTED_TYPES.contains(&t)
}

/// The error for a field type Elasticsearch has and sluice-store does not.
fn unsupported_type(t: &str, field: &str) -> Error {
    mapper_parsing(format!(
        "field type [{t}] of field [{field}] is not supported by sluice-store"
    ))
}

fn leaf_type(name: &str, def: &Map<String, Value>) -> Result<Option<FieldType>> {
    match def.get("type") {
        None => Ok(None),
        Some(Value::String(t)) if t == "object" || t == "nested" => Ok(None),
        Some(Value::String(t)) if t == "match_only_text" => Ok(Some(FieldType::Text)),
        Some(Value::String(t))
            if t == "constant_keyword"
                || t == "flattened"
                || t == "wildcard"
                || t == "binary"
                || t == "completion" =>
        {
            Ok(Some(FieldType::Keyword))
        }
        Some(Value::String(t)) if t == "scaled_float" => Ok(Some(FieldType::Double)),
        Some(Value::String(t)) if t == "date_nanos" => Ok(Some(FieldType::Date)),
        Some(Value::String(t)) if t == "unsigned_long" => Ok(Some(FieldType::Long)),
        Some(Value::String(t)) if is_unsupported_type(t) => Err(unsupported_type(t, name)),
        Some(Value::String(t)) => FieldType::parse(t).map(Some).ok_or_else(|| {
            mapper_parsing(format!(
                "The mapper type [{t}] declared on field [{name}] does not exist. It might have been created within a future version or requires a plugin to be installed. Check the documentation."
            ))
        }),
        Some(other) => Err(mapper_parsing(format!(
            "The mapper type [{other}] declared on field [{name}] does not exist. It might have been created within a future version or requires a plugin to be installed. Check the documentation."
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
                "type" if !root => o.nested = v.as_str() == Some("nested"),
                k @ ("include_in_parent" | "include_in_root")
                    if o.nested || def.get("type").and_then(Value::as_str) == Some("nested") =>
                {
                    if bool_param(path, k, v)? {
                        return Err(mapper_parsing(format!(
                            "[{k}] on the nested field [{path}] is not supported by sluice-store (its fields are searched with a [nested] query)"
                        )));
                    }
                }
                "properties" => {
                    let props = v.as_object().ok_or_else(|| {
                        mapper_parsing(format!(
                            "Expected map for property [properties] on field [{path}]"
                        ))
                    })?;
                    for (name, pdef) in props {
                        if name.is_empty() {
                            return Err(mapper_parsing(
                                "Failed to parse mapping: field name cannot be an empty string",
                            )
                            .caused_by(Error::illegal_argument(
                                "field name cannot be an empty string",
                            )));
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
                // read by `Mapping::parse`
                "dynamic_templates" if root => {}
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
                        Property::Object(ob) => {
                            let mut v = ob.to_json();
                            // as ES: an inner object with no properties says its type, a
                            // nested one always does
                            if let Value::Object(o) = &mut v {
                                if ob.nested {
                                    o.insert("type".into(), Value::from("nested"));
                                } else if ob.properties.is_empty() {
                                    o.insert("type".into(), Value::from("object"));
                                }
                            }
                            v
                        }
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
    /// `_routing: {required: true}`: document requests must give a `routing`.
    routing_required: bool,
    /// `_meta`: the user's object, shown as given (a mapping update replaces it).
    meta: Option<Map<String, Value>>,
    /// `_source.enabled` as given (`None`: not given, enabled).
    source_enabled: Option<bool>,
    /// `dynamic_templates` (default none; `Some` once given, even empty, as ES echoes it).
    dynamic_templates: Option<Vec<DynamicTemplate>>,
    flat: HashMap<String, FieldMapping>,
    objects: HashMap<String, ()>,
    /// The paths of `nested` objects.
    nested: Vec<String>,
    /// Whether some field is a `geo_point` (whose values the converter reads whole).
    has_geo: bool,
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
            routing_required: false,
            meta: None,
            source_enabled: None,
            dynamic_templates: None,
            flat: HashMap::new(),
            objects: HashMap::new(),
            nested: Vec::new(),
            has_geo: false,
        }
    }
}

/// Mapping additions found while converting one document (dynamic mapping).
#[derive(Debug, Default)]
pub struct Updates {
    /// new objects by path; a dynamic template's object mapping where one decided it
    objects: Vec<(Vec<String>, Option<ObjectMapping>)>,
    fields: Vec<(Vec<String>, FieldMapping)>,
    flat: HashMap<String, FieldMapping>,
    object_paths: HashMap<String, ()>,
    /// `enabled` and `dynamic` of the new objects (and the objects inside them) that dynamic
    /// templates mapped, by dotted path
    object_meta: HashMap<String, (bool, Option<Dynamic>)>,
    /// `constant_keyword` fields without a value that this document gives theirs, by path
    constants: Vec<(Vec<String>, String)>,
}

impl Updates {
    /// Records a new object at `segs` (dotted `dotted`), with the mapping a dynamic template
    /// gave it, if any: its own fields and objects are known to the rest of the document.
    fn add_object(&mut self, segs: Vec<String>, dotted: &str, template: Option<ObjectMapping>) {
        self.object_paths.insert(dotted.to_owned(), ());
        if let Some(o) = &template {
            let mut stack: Vec<(String, &ObjectMapping)> = vec![(dotted.to_owned(), o)];
            while let Some((prefix, obj)) = stack.pop() {
                self.object_meta
                    .insert(prefix.clone(), (obj.enabled, obj.dynamic));
                for (name, p) in &obj.properties {
                    let path = format!("{prefix}.{name}");
                    match p {
                        Property::Field(f) => {
                            for (sub, sm) in &f.fields {
                                self.flat.insert(format!("{path}.{sub}"), sm.clone());
                            }
                            self.flat.insert(path, f.clone());
                        }
                        Property::Object(inner) => {
                            self.object_paths.insert(path.clone(), ());
                            stack.push((path, inner));
                        }
                    }
                }
            }
        }
        self.objects.push((segs, template));
    }

    /// Whether `dotted` is an object a dynamic template mapped with `enabled: false`.
    fn is_disabled(&self, dotted: &str) -> bool {
        self.object_meta
            .get(dotted)
            .is_some_and(|(enabled, _)| !enabled)
    }

    /// The `dynamic` a dynamic template gave the new object `dotted`, if any.
    fn dynamic_of(&self, dotted: &str) -> Option<Dynamic> {
        self.object_meta.get(dotted).and_then(|(_, d)| *d)
    }
}

impl Updates {
    /// True when the document needs no mapping change.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty() && self.fields.is_empty() && self.constants.is_empty()
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
            return Err(Error::illegal_argument(
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
        if let Some(v) = obj.get("_routing") {
            m.routing_required = parse_routing(v)?;
        }
        if let Some(v) = obj.get("_meta") {
            m.meta = Some(v.as_object().cloned().ok_or_else(|| {
                mapper_parsing("Failed to parse mapping: [_meta] must be an object")
            })?);
        }
        if let Some(v) = obj.get("_source") {
            m.source_enabled = check_source(v)?;
        }
        if let Some(v) = obj.get("dynamic_templates") {
            m.dynamic_templates = Some(dynamic_template::parse_list(v)?);
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
            if self.routing_required {
                o.insert("_routing".into(), serde_json::json!({"required": true}));
            }
            if let Some(meta) = &self.meta {
                o.insert("_meta".into(), Value::Object(meta.clone()));
            }
            if self.source_enabled == Some(false) {
                o.insert("_source".into(), serde_json::json!({"enabled": false}));
            }
            if let Some(t) = &self.dynamic_templates {
                o.insert(
                    "dynamic_templates".into(),
                    dynamic_template::list_to_json(t),
                );
            }
        }
        v
    }

    /// `_routing: {required: true}`: every document request must give a `routing`.
    pub fn routing_required(&self) -> bool {
        self.routing_required
    }

    /// The `dynamic_templates`, in order (empty when none).
    pub fn dynamic_templates(&self) -> &[DynamicTemplate] {
        self.dynamic_templates.as_deref().unwrap_or_default()
    }

    /// The leaf at `path` (`message`, `message.keyword`, `a.b.c`).
    pub fn field(&self, path: &str) -> Option<&FieldMapping> {
        if path == convert::IGNORED_PATH {
            return Some(&*IGNORED_FIELD);
        }
        self.flat.get(path).or_else(|| {
            // a key path under a `flattened` field is one of its keywords
            let mut at = path.len();
            while let Some(dot) = path[..at].rfind('.') {
                if self
                    .flat
                    .get(&path[..dot])
                    .is_some_and(|f| f.flattened.is_some())
                {
                    return Some(&*FLATTENED_KEY);
                }
                at = dot;
            }
            None
        })
    }

    /// True when `path` names an object.
    pub fn is_object(&self, path: &str) -> bool {
        self.objects.contains_key(path)
    }

    /// Whether documents show their `_source` (`_source.enabled`, default true).
    pub fn source_enabled(&self) -> bool {
        self.source_enabled.unwrap_or(true)
    }

    /// Every object path (inner objects and `nested` ones), sorted.
    pub fn object_paths(&self) -> Vec<String> {
        let mut v: Vec<String> = self.objects.keys().cloned().collect();
        v.sort();
        v
    }

    /// Whether some object is `nested` (searches then read the root documents only).
    pub fn has_nested(&self) -> bool {
        !self.nested.is_empty()
    }

    /// Whether `path` is a `nested` object.
    pub fn is_nested(&self, path: &str) -> bool {
        self.nested.iter().any(|n| n == path)
    }

    /// The deepest `nested` object holding `path` (itself included), if any.
    pub fn nested_scope(&self, path: &str) -> Option<&str> {
        self.nested
            .iter()
            .filter(|n| {
                path == n.as_str()
                    || path
                        .strip_prefix(n.as_str())
                        .is_some_and(|r| r.starts_with('.'))
            })
            .max_by_key(|n| n.len())
            .map(String::as_str)
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

    /// Merges another mapping into this one: new fields are added, changed types are refused;
    /// `dynamic_templates`, when `other` has them, replace the whole list (as ES's put
    /// mapping).
    pub fn merge(&mut self, other: &Mapping) -> Result<()> {
        let mut root = self.root.clone();
        merge_object(&mut root, &other.root, "")?;
        self.root = root;
        if other.dynamic_templates.is_some() {
            self.dynamic_templates.clone_from(&other.dynamic_templates);
        }
        // a template composed over another keeps `_routing.required` once one part asks it
        self.routing_required |= other.routing_required;
        if other.meta.is_some() {
            self.meta.clone_from(&other.meta);
        }
        if let Some(b) = other.source_enabled {
            if self.source_enabled.unwrap_or(true) != b {
                return Err(Error::illegal_argument(format!(
                    "Mapper for [_source] conflicts with existing mapper:\n\tCannot update parameter [enabled] from [{}] to [{b}]",
                    self.source_enabled.unwrap_or(true)
                )));
            }
            self.source_enabled = Some(b);
        }
        self.rebuild();
        Ok(())
    }

    fn rebuild(&mut self) {
        self.flat.clear();
        self.objects.clear();
        self.nested.clear();
        self.has_geo = false;
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
                        self.has_geo |= f.ty == FieldType::GeoPoint;
                        self.flat.insert(path, f.clone());
                    }
                    Property::Object(o) => {
                        self.objects.insert(path.clone(), ());
                        if o.nested {
                            self.nested.push(path.clone());
                        }
                        stack.push((path, o));
                    }
                }
            }
        }
    }

    /// Applies dynamic-mapping additions.
    pub fn apply(&mut self, up: Updates) {
        for (segs, template) in up.objects {
            let mut cur = &mut self.root;
            for (i, s) in segs.iter().enumerate() {
                let entry = cur.properties.entry(s.clone()).or_insert_with(|| {
                    Property::Object(match &template {
                        Some(o) if i + 1 == segs.len() => o.clone(),
                        _ => ObjectMapping {
                            enabled: true,
                            ..ObjectMapping::default()
                        },
                    })
                });
                match entry {
                    Property::Object(o) => cur = o,
                    Property::Field(_) => break,
                }
            }
        }
        for (segs, value) in up.constants {
            let Some((last, parents)) = segs.split_last() else {
                continue;
            };
            if let Some(obj) = object_mut(&mut self.root, parents)
                && let Some(Property::Field(f)) = obj.properties.get_mut(last)
                && f.constant
                && f.value.is_none()
            {
                f.value = Some(value);
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

    fn object_at_segs<'s>(
        &self,
        segs: impl IntoIterator<Item = &'s str>,
    ) -> Option<&ObjectMapping> {
        let mut cur = &self.root;
        for s in segs {
            match cur.properties.get(s) {
                Some(Property::Object(o)) => cur = o,
                _ => return None,
            }
        }
        Some(cur)
    }

    fn dynamic_at_segs<'s>(&self, segs: impl IntoIterator<Item = &'s str>) -> Dynamic {
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
            (Some(Property::Object(a)), Property::Object(b)) => {
                if a.nested != b.nested {
                    return Err(Error::illegal_argument(format!(
                        "can't merge a non-nested mapping [{path}] with a nested mapping"
                    )));
                }
                merge_object(a, b, &path)?;
            }
            (Some(Property::Field(a)), Property::Field(b)) => {
                if a.ty != b.ty
                    || a.match_only != b.match_only
                    || a.constant != b.constant
                    || a.nanos != b.nanos
                    || a.unsigned != b.unsigned
                    || a.scaling_factor.is_some() != b.scaling_factor.is_some()
                {
                    return Err(Error::illegal_argument(format!(
                        "mapper [{path}] cannot be changed from type [{}] to [{}]",
                        a.type_name(),
                        b.type_name()
                    )));
                }
                if a.constant {
                    match (&a.value, &b.value) {
                        (Some(x), Some(y)) if x != y => {
                            return Err(Error::illegal_argument(format!(
                                "Mapper for [{path}] conflicts with existing mapper:\n\tCannot update parameter [value] from [{x}] to [{y}]"
                            )));
                        }
                        (None, Some(y)) => a.value = Some(y.clone()),
                        _ => {}
                    }
                }
                update_field(a, b, &path)?;
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

/// An existing field given again with its type: the parameters Elasticsearch lets a mapping
/// update change take the new definition's values (an absent one its default: `meta`,
/// `ignore_above`, `ignore_malformed`, `coerce`); `index`, `doc_values`, `format` and
/// `null_value` that differ are ES's conflict, as are other parameters both give differently.
fn update_field(a: &mut FieldMapping, b: &FieldMapping, path: &str) -> Result<()> {
    let flag = |x: bool| Value::from(x);
    let fixed = [
        ("index", flag(a.index), flag(b.index)),
        ("doc_values", flag(a.doc_values), flag(b.doc_values)),
        (
            "format",
            Value::from(
                a.format
                    .clone()
                    .unwrap_or_else(|| date::DEFAULT_FORMAT.to_owned()),
            ),
            Value::from(
                b.format
                    .clone()
                    .unwrap_or_else(|| date::DEFAULT_FORMAT.to_owned()),
            ),
        ),
        (
            "null_value",
            a.null_value.clone().unwrap_or(Value::Null),
            b.null_value.clone().unwrap_or(Value::Null),
        ),
    ];
    // other parameters as given: a conflict where both definitions give one
    let shown = a
        .shown
        .iter()
        .filter(|(k, _)| *k != "meta")
        .filter_map(|(k, x)| Some((k.as_str(), x.clone(), b.shown.get(k)?.clone())));
    for (k, x, y) in fixed.into_iter().chain(shown) {
        if x != y {
            let text = |v: &Value| match v {
                Value::String(s) => s.clone(),
                Value::Null => "null".to_owned(),
                other => other.to_string(),
            };
            return Err(Error::illegal_argument(format!(
                "Mapper for [{path}] conflicts with existing mapper:\n\tCannot update parameter [{k}] from [{}] to [{}]",
                text(&x),
                text(&y)
            )));
        }
    }
    a.ignore_above = b.ignore_above;
    a.ignore_malformed = b.ignore_malformed;
    a.coerce = b.coerce;
    match b.shown.get("meta") {
        Some(m) => {
            a.shown.insert("meta".into(), m.clone());
        }
        None => {
            a.shown.remove("meta");
        }
    }
    Ok(())
}

/// The `_source` metadata mapping's `enabled` (`None` when not given). With `enabled: false`
/// no get, search or update sees a document's source (the store still keeps it for its own
/// replays, as ES's translog does); filtering sources (`includes`, `excludes`) and synthetic
/// sources are refused by name.
fn check_source(v: &Value) -> Result<Option<bool>> {
    let o = v.as_object().ok_or_else(|| {
        mapper_parsing(format!(
            "Failed to parse mapping: [_source] must be an object, got [{v}]"
        ))
    })?;
    let mut enabled = None;
    for (k, x) in o {
        match k.as_str() {
            "enabled" => enabled = Some(bool_param("_source", k, x)?),
            "includes" | "excludes" | "mode" => {
                return Err(mapper_parsing(format!(
                    "[_source] {k} = {x} is not supported by sluice-store (it keeps every source whole or hides it)"
                )));
            }
            other => {
                return Err(mapper_parsing(format!(
                    "Failed to parse mapping: unknown parameter [{other}] on metadata field [_source]"
                ))
                .caused_by(mapper_parsing(format!(
                    "unknown parameter [{other}] on metadata field [_source]"
                ))));
            }
        }
    }
    Ok(enabled)
}

/// The `_routing` metadata mapping: `{"required": bool}`.
fn parse_routing(v: &Value) -> Result<bool> {
    let Some(o) = v.as_object() else {
        return Err(mapper_parsing(format!(
            "Failed to parse mapping: [_routing] must be an object, got [{v}]"
        )));
    };
    let mut required = false;
    for (k, val) in o {
        match k.as_str() {
            "required" => required = bool_param("_routing", "required", val)?,
            other => {
                return Err(mapper_parsing(format!(
                    "unknown parameter [{other}] on metadata field [_routing]"
                )));
            }
        }
    }
    Ok(required)
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

/// 400 `document_parsing_exception`.
pub fn doc_parsing(reason: impl Into<String>) -> Error {
    Error::es(400, "document_parsing_exception", reason)
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

/// ES's `GET _mapping` body for one index.
pub fn mapping_body(index: &str, m: &Mapping) -> Value {
    json!({ index: { "mappings": m.to_json() } })
}

#[cfg(test)]
mod tests;

/// Mapping limits: the `index.mapping.*.limit` settings, with Elasticsearch's defaults.
///
/// Whatever a mapping holds is persisted and must open again after a restart, so every mapping
/// change (explicit or dynamic) is checked against these before it is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `index.mapping.total_fields.limit` (default 1000): fields, multi-fields and objects.
    pub total_fields: usize,
    /// `index.mapping.depth.limit` (default 20): how deeply objects nest.
    pub depth: usize,
    /// `index.mapping.field_name_length.limit` (default 32766 bytes, Lucene's term limit:
    /// Elasticsearch's default is unbounded, but a longer path could not be indexed here).
    pub field_name_length: usize,
    /// `index.mapping.nested_fields.limit` (default 50): `nested` objects in the mapping.
    pub nested_fields: usize,
    /// `index.mapping.nested_objects.limit` (default 10000): nested documents per document.
    pub nested_objects: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            total_fields: 1000,
            depth: 20,
            nested_fields: 50,
            nested_objects: 10_000,
            field_name_length: 32766,
        }
    }
}

/// Setting keys of [`Limits`], without the `index.` prefix.
pub const LIMIT_SETTINGS: [&str; 5] = [
    "mapping.total_fields.limit",
    "mapping.depth.limit",
    "mapping.field_name_length.limit",
    "mapping.nested_fields.limit",
    "mapping.nested_objects.limit",
];

impl Limits {
    /// Reads the limits from an index's flattened settings (keys without `index.`).
    pub fn from_settings(settings: &Map<String, Value>) -> Result<Limits> {
        let mut l = Limits::default();
        for key in LIMIT_SETTINGS {
            let Some(v) = settings.get(key) else { continue };
            let n = parse_limit(key, v)?;
            match key {
                "mapping.total_fields.limit" => l.total_fields = n,
                "mapping.depth.limit" => l.depth = n,
                "mapping.nested_fields.limit" => l.nested_fields = n,
                "mapping.nested_objects.limit" => l.nested_objects = n,
                _ => l.field_name_length = n,
            }
        }
        Ok(l)
    }
}

/// Parses one `index.mapping.*.limit` value (a positive integer, as a number or a string).
pub fn parse_limit(key: &str, v: &Value) -> Result<usize> {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(Error::illegal_argument(format!(
            "Failed to parse value [{text}] for setting [index.{key}] must be >= 1"
        ))),
    }
}

impl Mapping {
    /// Checks the mapping against `limits`; the error is Elasticsearch's
    /// `illegal_argument_exception` wording.
    pub fn check_limits(&self, limits: &Limits) -> Result<()> {
        if self.nested.len() > limits.nested_fields {
            return Err(Error::illegal_argument(format!(
                "Limit of nested fields [{}] has been exceeded",
                limits.nested_fields
            )));
        }
        let mut total = 0usize;
        let mut stack: Vec<(String, usize, &ObjectMapping)> = vec![(String::new(), 1, &self.root)];
        while let Some((prefix, depth, obj)) = stack.pop() {
            for (name, p) in &obj.properties {
                if name.len() > limits.field_name_length {
                    let shown: String = name.chars().take(64).collect();
                    return Err(Error::illegal_argument(format!(
                        "Field name [{shown}...] is longer than the limit of [{}] characters",
                        limits.field_name_length
                    )));
                }
                let path = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                total += 1;
                match p {
                    Property::Field(f) => total += f.fields.len(),
                    Property::Object(o) => {
                        // ES counts an object's depth as its dots + 2 (the root is level 1)
                        if depth + 1 > limits.depth {
                            return Err(Error::illegal_argument(format!(
                                "Limit of mapping depth [{}] has been exceeded due to object field [{path}]",
                                limits.depth
                            )));
                        }
                        stack.push((path, depth + 1, o));
                    }
                }
                if total > limits.total_fields {
                    return Err(Error::illegal_argument(format!(
                        "Limit of total fields [{}] has been exceeded",
                        limits.total_fields
                    )));
                }
            }
        }
        Ok(())
    }

    /// The mapping as a flat list (`{"objects": [...], "fields": [...]}`, each entry with its
    /// path as an array of names), for `meta.json`: its JSON nests no deeper however deep the
    /// mapping is, so whatever was accepted can always be read back.
    pub fn to_flat_json(&self) -> Value {
        let mut objects = Vec::new();
        let mut fields = Vec::new();
        let mut stack: Vec<(Vec<&str>, &ObjectMapping)> = vec![(Vec::new(), &self.root)];
        while let Some((segs, obj)) = stack.pop() {
            let mut o = Map::new();
            o.insert("path".into(), Value::from(segs.clone()));
            if let Some(d) = obj.dynamic {
                o.insert("dynamic".into(), d.to_json());
            }
            if !obj.enabled {
                o.insert("enabled".into(), Value::from(false));
            }
            if obj.nested {
                o.insert("nested".into(), Value::from(true));
            }
            objects.push(Value::Object(o));
            for (name, p) in &obj.properties {
                let mut child = segs.clone();
                child.push(name);
                match p {
                    Property::Field(f) => {
                        fields.push(serde_json::json!({"path": child, "mapping": f.to_json()}));
                    }
                    Property::Object(inner) => stack.push((child, inner)),
                }
            }
        }
        let mut out = serde_json::json!({
            "objects": objects,
            "fields": fields,
            "date_detection": self.date_detection,
            "numeric_detection": self.numeric_detection,
            "routing_required": self.routing_required,
            "meta": self.meta,
            "source_enabled": self.source_enabled,
        });
        if let Some(t) = &self.dynamic_templates {
            out["dynamic_templates"] = dynamic_template::list_to_json(t);
        }
        out
    }

    /// Reads [`Mapping::to_flat_json`] back.
    pub fn from_flat_json(v: &Value) -> Result<Mapping> {
        let bad = |what: &str| Error::es(500, "exception", format!("corrupt flat mapping: {what}"));
        let segs_of = |e: &Value| -> Result<Vec<String>> {
            e.get("path")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("entry without a path"))?
                .iter()
                .map(|s| {
                    s.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| bad("path segment"))
                })
                .collect()
        };
        let mut m = Mapping::default();
        for e in v
            .get("objects")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("objects"))?
        {
            let segs = segs_of(e)?;
            let obj = object_at_mut_creating(&mut m.root, &segs);
            if let Some(d) = e.get("dynamic") {
                obj.dynamic = Some(Dynamic::parse(d, "_doc")?);
            }
            obj.enabled = e.get("enabled").and_then(Value::as_bool).unwrap_or(true);
            obj.nested = e.get("nested").and_then(Value::as_bool).unwrap_or(false);
        }
        for e in v
            .get("fields")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("fields"))?
        {
            let segs = segs_of(e)?;
            let Some((last, parents)) = segs.split_last() else {
                return Err(bad("empty field path"));
            };
            let def = e
                .get("mapping")
                .and_then(Value::as_object)
                .ok_or_else(|| bad("field mapping"))?;
            let full = segs.join(".");
            let ty = leaf_type(&full, def)?.ok_or_else(|| bad("field without a type"))?;
            let fm = FieldMapping::parse(&full, ty, def)?;
            object_at_mut_creating(&mut m.root, parents)
                .properties
                .insert(last.clone(), Property::Field(fm));
        }
        m.date_detection = v
            .get("date_detection")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        m.numeric_detection = v
            .get("numeric_detection")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        m.meta = v.get("meta").and_then(Value::as_object).cloned();
        m.source_enabled = v.get("source_enabled").and_then(Value::as_bool);
        m.routing_required = v
            .get("routing_required")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if let Some(t) = v.get("dynamic_templates") {
            m.dynamic_templates = Some(dynamic_template::parse_list(t)?);
        }
        m.rebuild();
        Ok(m)
    }
}

/// The object at `segs` below `root`, created (as an enabled object) where missing; walks
/// iteratively, so a path of any length is fine.
fn object_at_mut_creating<'m>(
    root: &'m mut ObjectMapping,
    segs: &[String],
) -> &'m mut ObjectMapping {
    let mut cur = root;
    for s in segs {
        let entry = cur.properties.entry(s.clone()).or_insert_with(|| {
            Property::Object(ObjectMapping {
                enabled: true,
                ..ObjectMapping::default()
            })
        });
        if let Property::Field(_) = entry {
            *entry = Property::Object(ObjectMapping {
                enabled: true,
                ..ObjectMapping::default()
            });
        }
        let Property::Object(o) = entry else {
            unreachable!("replaced by an object just above")
        };
        cur = o;
    }
    cur
}
