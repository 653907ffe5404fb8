//! `dynamic_templates`: how a field that dynamic mapping adds is mapped.
//!
//! A mapping holds an ordered list of named templates. When a document brings a field the
//! mapping does not have (and `dynamic` lets it be added), the first template that matches
//! decides its mapping; with none, Elasticsearch's defaults apply ([`super::Mapping::infer`]).
//! A template matches on
//!
//! - the kind of JSON value seen ([`Kind`]: `match_mapping_type` / `unmatch_mapping_type`),
//! - the field's own name (`match` / `unmatch`) and its full dotted path (`path_match` /
//!   `path_unmatch`): simple wildcards (`*` any run of characters) or, with
//!   `match_pattern: regex`, regular expressions that must match the whole name;
//!
//! and its `mapping` is the new field's mapping once `{name}` is replaced by the field's name
//! and `{dynamic_type}` by the kind's default type (`text`, `long`, `float`, `boolean`, `date`,
//! `object`). Each template is checked when the mapping is parsed, as Elasticsearch does: its
//! mapping must be valid for at least one of the kinds it matches. `runtime` templates are
//! refused by name (sluice-store has no runtime fields).

use serde_json::{Map, Value};

use super::{
    FieldMapping, FieldType, ObjectMapping, is_unsupported_type, mapper_parsing, unsupported_type,
};
use crate::error::{Error, Result};

/// The kind of JSON value a dynamic field was seen with (Elasticsearch's `XContentFieldType`),
/// in Elasticsearch's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// an object
    Object,
    /// a string that is neither a date nor (with `numeric_detection`) a number
    String,
    /// an integer (or, with `numeric_detection`, a string holding one)
    Long,
    /// a number with a fraction or exponent (or such a string, with `numeric_detection`)
    Double,
    /// `true` / `false`
    Boolean,
    /// a string `date_detection` recognised as a date
    Date,
    /// binary (never seen in JSON, accepted in templates)
    Binary,
}

const KINDS: [Kind; 7] = [
    Kind::Object,
    Kind::String,
    Kind::Long,
    Kind::Double,
    Kind::Boolean,
    Kind::Date,
    Kind::Binary,
];

impl Kind {
    /// The name `match_mapping_type` uses.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Object => "object",
            Kind::String => "string",
            Kind::Long => "long",
            Kind::Double => "double",
            Kind::Boolean => "boolean",
            Kind::Date => "date",
            Kind::Binary => "binary",
        }
    }

    /// The type `{dynamic_type}` stands for (and a template without `type` maps to).
    pub fn default_type(self) -> &'static str {
        match self {
            Kind::Object => "object",
            Kind::String => "text",
            Kind::Long => "long",
            Kind::Double => "float",
            Kind::Boolean => "boolean",
            Kind::Date => "date",
            Kind::Binary => "binary",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        KINDS.into_iter().find(|k| k.name() == s)
    }
}

/// One `match` / `unmatch` / `path_match` / `path_unmatch` pattern.
#[derive(Debug, Clone)]
enum Pattern {
    /// `*` wildcards (Elasticsearch's `Regex.simpleMatch`)
    Simple(String),
    /// a regular expression matched against the whole name
    Regex(regex::Regex),
}

impl Pattern {
    fn matches(&self, s: &str) -> bool {
        match self {
            Pattern::Simple(p) => crate::engine::util::wildcard_match(p, s),
            Pattern::Regex(r) => r.is_match(s),
        }
    }
}

/// What a template maps a field to.
// Leaves outnumber objects, and a mapping is read far more than built: a box per leaf would
// cost an allocation and an indirection for the size of the rare object variant.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Resolved {
    /// a leaf field
    Field(FieldMapping),
    /// an object (for values of kind [`Kind::Object`])
    Object(ObjectMapping),
}

/// One named template of `dynamic_templates`.
#[derive(Debug, Clone)]
pub struct DynamicTemplate {
    name: String,
    /// the template as Elasticsearch renders it (`{name: {...}}`)
    rendered: Value,
    match_: Vec<Pattern>,
    unmatch: Vec<Pattern>,
    path_match: Vec<Pattern>,
    path_unmatch: Vec<Pattern>,
    /// the kinds it applies to (all when `match_mapping_type` is absent or `*`)
    kinds: Vec<Kind>,
    unmatch_kinds: Vec<Kind>,
    mapping: Map<String, Value>,
}

impl PartialEq for DynamicTemplate {
    fn eq(&self, other: &Self) -> bool {
        self.rendered == other.rendered
    }
}

fn syntax_error() -> Error {
    mapper_parsing("Dynamic template syntax error. An array of named objects is expected.")
}

/// Parses a `dynamic_templates` array.
///
/// # Errors
/// `mapper_parsing_exception` for a malformed list or template, a `runtime` template, or a
/// template whose mapping is valid for none of the kinds it matches.
pub fn parse_list(v: &Value) -> Result<Vec<DynamicTemplate>> {
    let items = v.as_array().ok_or_else(syntax_error)?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let obj = item
            .as_object()
            .filter(|o| o.len() == 1)
            .ok_or_else(syntax_error)?;
        for (name, def) in obj {
            let def = def.as_object().ok_or_else(syntax_error)?;
            out.push(DynamicTemplate::parse(name, def)?);
        }
    }
    Ok(out)
}

/// The list as `GET _mapping` renders it.
pub fn list_to_json(list: &[DynamicTemplate]) -> Value {
    Value::Array(list.iter().map(|t| t.rendered.clone()).collect())
}

/// Merges index-template layers' lists as Elasticsearch composes them: a template of a later
/// layer replaces the one of the same name where it stands, a new name is appended.
pub fn merge_rendered(into: &mut Vec<Value>, from: &[Value]) {
    let name_of = |t: &Value| {
        t.as_object()
            .and_then(|o| o.keys().next())
            .cloned()
            .unwrap_or_default()
    };
    for t in from {
        let name = name_of(t);
        match into.iter_mut().find(|e| name_of(e) == name) {
            Some(e) => *e = t.clone(),
            None => into.push(t.clone()),
        }
    }
}

fn patterns(template: &str, key: &str, v: &Value, regex: bool) -> Result<Vec<Pattern>> {
    let texts: Vec<&str> = match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str().ok_or_else(|| {
                    mapper_parsing(format!(
                        "[{key}] values must either be a string or list of strings, but was [{v}]"
                    ))
                })
            })
            .collect::<Result<_>>()?,
        other => {
            return Err(mapper_parsing(format!(
                "[{key}] values must either be a string or list of strings, but was [{other}]"
            )));
        }
    };
    texts
        .into_iter()
        .map(|p| {
            if !regex {
                return Ok(Pattern::Simple(p.to_owned()));
            }
            regex::Regex::new(&format!("^(?:{p})$"))
                .map(Pattern::Regex)
                .map_err(|e| {
                    mapper_parsing(format!(
                        "Pattern [{p}] of type [regex] is invalid. Cannot create dynamic template [{template}]."
                    ))
                    .caused_by(Error::illegal_argument(e.to_string()))
                })
        })
        .collect()
}

fn kinds(v: &Value) -> Result<Vec<Kind>> {
    let one = |s: &str| -> Result<Option<Kind>> {
        if s == "*" {
            return Ok(None);
        }
        Kind::parse(s).map(Some).ok_or_else(|| {
            failed_to_parse(format!(
                "No field type matched on [{s}], possible values are [{}]",
                KINDS.map(Kind::name).join(", ")
            ))
        })
    };
    let texts: Vec<&str> = match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .ok_or_else(|| mapper_parsing(format!("No field type matched on [{x}]")))
            })
            .collect::<Result<_>>()?,
        other => {
            return Err(mapper_parsing(format!(
                "No field type matched on [{other}]"
            )));
        }
    };
    let mut out = Vec::new();
    for t in texts {
        match one(t)? {
            None => return Ok(KINDS.to_vec()),
            Some(k) if !out.contains(&k) => out.push(k),
            Some(_) => {}
        }
    }
    Ok(out)
}

/// Elasticsearch's error for a template parameter it cannot read: `Failed to parse mapping:
/// <reason>`, caused by the `illegal_argument_exception` itself.
fn failed_to_parse(reason: String) -> Error {
    mapper_parsing(format!("Failed to parse mapping: {reason}"))
        .caused_by(Error::illegal_argument(reason))
}

/// The template as Elasticsearch writes it in messages: its parameters in Elasticsearch's
/// order, the mapping's keys sorted.
fn describe(def: &Map<String, Value>) -> String {
    let mut out = Map::new();
    for k in [
        "match",
        "path_match",
        "unmatch",
        "path_unmatch",
        "match_mapping_type",
        "unmatch_mapping_type",
        "match_pattern",
    ] {
        if let Some(v) = def.get(k) {
            out.insert(k.to_owned(), v.clone());
        }
    }
    if let Some(Value::Object(m)) = def.get("mapping") {
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort();
        let sorted: Map<String, Value> = keys
            .into_iter()
            .map(|k| (k.clone(), m[k].clone()))
            .collect();
        out.insert("mapping".into(), Value::Object(sorted));
    }
    Value::Object(out).to_string()
}

impl DynamicTemplate {
    fn parse(name: &str, def: &Map<String, Value>) -> Result<DynamicTemplate> {
        let regex = match def.get("match_pattern") {
            None => false,
            Some(Value::String(s)) if s == "simple" => false,
            Some(Value::String(s)) if s == "regex" => true,
            Some(other) => {
                let s = other
                    .as_str()
                    .map_or_else(|| other.to_string(), str::to_owned);
                return Err(failed_to_parse(format!(
                    "No matching pattern matched on [{s}]"
                )));
            }
        };
        let mut t = DynamicTemplate {
            name: name.to_owned(),
            rendered: Value::Null,
            match_: Vec::new(),
            unmatch: Vec::new(),
            path_match: Vec::new(),
            path_unmatch: Vec::new(),
            kinds: KINDS.to_vec(),
            unmatch_kinds: Vec::new(),
            mapping: Map::new(),
        };
        let mut mapping = None;
        for (k, v) in def {
            match k.as_str() {
                "match" => t.match_ = patterns(name, k, v, regex)?,
                "unmatch" => t.unmatch = patterns(name, k, v, regex)?,
                "path_match" => t.path_match = patterns(name, k, v, regex)?,
                "path_unmatch" => t.path_unmatch = patterns(name, k, v, regex)?,
                "match_mapping_type" => t.kinds = kinds(v)?,
                "unmatch_mapping_type" => t.unmatch_kinds = kinds(v)?,
                "match_pattern" => {}
                "mapping" => {
                    mapping = Some(v.as_object().cloned().ok_or_else(|| {
                        mapper_parsing(format!(
                            "[mapping] of dynamic template [{name}] must be an object"
                        ))
                    })?);
                }
                "runtime" => {
                    return Err(mapper_parsing(format!(
                        "[runtime] in dynamic template [{name}] is not supported by sluice-store (it has no runtime fields)"
                    )));
                }
                other => {
                    return Err(failed_to_parse(format!(
                        "Illegal dynamic template parameter: [{other}]"
                    )));
                }
            }
        }
        t.mapping = mapping.ok_or_else(|| {
            mapper_parsing(format!(
                "template [{name}] must have either mapping or runtime set"
            ))
        })?;
        // echoed as given, as Elasticsearch does
        let mut outer = Map::new();
        outer.insert(name.to_owned(), Value::Object(def.clone()));
        t.rendered = Value::Object(outer);
        t.validate(def)?;
        Ok(t)
    }

    /// Elasticsearch's check: the mapping must be valid for at least one kind it matches.
    /// (Elasticsearch skips it for a template with no `match`, `path_match` or
    /// `match_mapping_type`, and fails such a template's documents later: here it is checked
    /// all the same.)
    fn validate(&self, def: &Map<String, Value>) -> Result<()> {
        let mut last = None;
        for &kind in &self.kinds {
            match self.resolve(&format!("__dynamic__{}", self.name), kind, None) {
                Ok(_) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        let Some(cause) = last else {
            return Ok(());
        };
        let reason = format!(
            "dynamic template [{}] has invalid content [{}], attempted to validate it with the following match_mapping_type: [{}]",
            self.name,
            describe(def),
            self.kinds
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(", ")
        );
        Err(mapper_parsing(format!("Failed to parse mapping: {reason}"))
            .caused_by(Error::illegal_argument(reason).caused_by(cause)))
    }

    /// Whether the template applies to a new field `name` at `path` (its full dotted path)
    /// seen as a value of `kind`.
    pub fn matches(&self, path: &str, name: &str, kind: Kind) -> bool {
        (self.path_match.is_empty() || self.path_match.iter().any(|p| p.matches(path)))
            && (self.match_.is_empty() || self.match_.iter().any(|p| p.matches(name)))
            && !self.path_unmatch.iter().any(|p| p.matches(path))
            && !self.unmatch.iter().any(|p| p.matches(name))
            && self.kinds.contains(&kind)
            && !self.unmatch_kinds.contains(&kind)
    }

    /// The mapping the template gives field `name` seen as `kind`; `date_format` is the format
    /// date detection recognised the value with, used when the template says none.
    pub fn resolve(&self, name: &str, kind: Kind, date_format: Option<&str>) -> Result<Resolved> {
        let dynamic_type = kind.default_type();
        let Value::Object(mut def) =
            substitute(&Value::Object(self.mapping.clone()), name, dynamic_type)
        else {
            return Err(mapper_parsing("dynamic template mapping must be an object"));
        };
        let ty = match def.get("type") {
            Some(Value::String(t)) => t.clone(),
            Some(other) => other.to_string(),
            None => dynamic_type.to_owned(),
        };
        if ty == "object" {
            def.remove("type");
            return Ok(Resolved::Object(ObjectMapping::parse(name, &def, false)?));
        }
        def.insert("type".into(), Value::from(ty.clone()));
        if ty == "date"
            && !def.contains_key("format")
            && let Some(f) = date_format
        {
            def.insert("format".into(), Value::from(f));
        }
        let Some(ft) = FieldType::parse(&ty)
            .or_else(|| (ty == "match_only_text").then_some(FieldType::Text))
            .or_else(|| {
                matches!(ty.as_str(), "constant_keyword" | "flattened" | "wildcard")
                    .then_some(FieldType::Keyword)
            })
            .or_else(|| (ty == "scaled_float").then_some(FieldType::Double))
            .or_else(|| (ty == "date_nanos").then_some(FieldType::Date))
            .or_else(|| (ty == "unsigned_long").then_some(FieldType::Long))
        else {
            if is_unsupported_type(&ty) {
                return Err(unsupported_type(&ty, name));
            }
            return Err(Error::illegal_argument(format!(
                "No mapper found for type [{ty}]"
            )));
        };
        let fm = FieldMapping::parse(name, ft, &def)?;
        Ok(Resolved::Field(fm))
    }
}

/// `{name}` and `{dynamic_type}` (or `{dynamicType}`) replaced in every key and string value.
fn substitute(v: &Value, name: &str, dynamic_type: &str) -> Value {
    let text = |s: &str| {
        s.replace("{name}", name)
            .replace("{dynamic_type}", dynamic_type)
            .replace("{dynamicType}", dynamic_type)
    };
    match v {
        Value::String(s) => Value::from(text(s)),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| substitute(x, name, dynamic_type))
                .collect(),
        ),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (text(k), substitute(x, name, dynamic_type)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The mapping of the first template in `list` matching field `name` at `path` seen as
/// `kind`; `None` when no template matches.
pub fn find(
    list: &[DynamicTemplate],
    path: &str,
    name: &str,
    kind: Kind,
    date_format: Option<&str>,
) -> Option<Result<Resolved>> {
    list.iter()
        .find(|t| t.matches(path, name, kind))
        .map(|t| t.resolve(name, kind, date_format))
}
