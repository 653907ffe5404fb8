//! `fields` (values read from `_source` through the mapping) and `docvalue_fields` (values read
//! from the columns) of a search body: both land in a hit's `fields`, every value an array, dates
//! formatted (the mapping's format unless the request names one).

use serde_json::{Map, Value};
use tantivy::SegmentReader;

use crate::aggs;
use crate::engine::util::wildcard_match;
use crate::error::{Error, Result};
use crate::mapping::date::{self, DateFormat};
use crate::mapping::{FieldMapping, FieldType, Mapping, ip};

/// One requested field: a name or `*` pattern, with an optional `format`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldSpec {
    pub(crate) pattern: String,
    pub(crate) format: Option<String>,
    /// `include_unmapped` (`fields` only): also return `_source` values no mapping covers.
    pub(crate) include_unmapped: bool,
}

/// Parses `fields` / `docvalue_fields`: an array of names or `{"field", "format"}` objects
/// (`include_unmapped` too for `fields`).
pub(crate) fn parse_specs(what: &str, v: &Value) -> Result<Vec<FieldSpec>> {
    let Value::Array(items) = v else {
        return Err(Error::parsing(format!(
            "Expected [START_ARRAY] in [{what}] but found [{}]",
            super::token_name(v)
        )));
    };
    items.iter().map(|it| parse_spec(what, it)).collect()
}

fn parse_spec(what: &str, v: &Value) -> Result<FieldSpec> {
    match v {
        Value::String(s) => Ok(FieldSpec {
            pattern: s.clone(),
            format: None,
            include_unmapped: false,
        }),
        Value::Object(o) => {
            let mut spec = FieldSpec {
                pattern: String::new(),
                format: None,
                include_unmapped: false,
            };
            let mut field = None;
            for (k, x) in o {
                match (k.as_str(), x) {
                    ("field", Value::String(s)) => field = Some(s.clone()),
                    ("format", Value::String(s)) => spec.format = Some(s.clone()),
                    ("include_unmapped", Value::Bool(b)) if what == "fields" => {
                        spec.include_unmapped = *b;
                    }
                    ("field" | "format", other) => {
                        return Err(Error::x_content(format!(
                            "[fetch_field_and_format] {k} doesn't support values of type: {}",
                            super::token_name(other)
                        )));
                    }
                    (other, _) => {
                        return Err(Error::x_content(format!(
                            "[fetch_field_and_format] unknown field [{other}]"
                        )));
                    }
                }
            }
            spec.pattern = field.ok_or_else(|| Error::x_content("Required [field]".to_owned()))?;
            Ok(spec)
        }
        other => Err(Error::parsing(format!(
            "Expected [VALUE_STRING] or [START_OBJECT] in [{what}] but found [{}]",
            super::token_name(other)
        ))),
    }
}

/// Mapped leaf paths a pattern names (exact names that are not mapped leaves name nothing).
fn expand<'m>(pattern: &str, mapping: &'m Mapping) -> Vec<(String, &'m FieldMapping)> {
    if pattern.contains('*') {
        return mapping
            .matching_paths(pattern)
            .into_iter()
            .filter_map(|p| mapping.field(&p).map(|f| (p, f)))
            .collect();
    }
    mapping
        .field(pattern)
        .map(|f| vec![(pattern.to_owned(), f)])
        .unwrap_or_default()
}

/// The `_source` path holding a field's values: a multi-field (`message.keyword`) reads its
/// parent's.
pub(crate) fn source_path<'p>(path: &'p str, mapping: &Mapping) -> &'p str {
    let mut p = path;
    while let Some((parent, _)) = p.rsplit_once('.') {
        if mapping.field(parent).is_some() {
            p = parent;
        } else {
            break;
        }
    }
    p
}

/// Leaf values at a dotted path of `_source` (objects by name or with dotted keys, arrays
/// flattened).
pub(crate) fn source_values<'v>(src: &'v Value, path: &str) -> Vec<&'v Value> {
    let mut out = Vec::new();
    collect(src, path, false, &mut out);
    out
}

/// The values at a dotted path of `_source` as [`source_values`] finds them, objects at the
/// path's end kept whole (a `completion` input object).
pub(crate) fn source_values_and_objects<'v>(src: &'v Value, path: &str) -> Vec<&'v Value> {
    let mut out = Vec::new();
    collect(src, path, true, &mut out);
    out
}

fn collect<'v>(v: &'v Value, path: &str, objects: bool, out: &mut Vec<&'v Value>) {
    match v {
        Value::Array(a) => {
            for x in a {
                collect(x, path, objects, out);
            }
        }
        Value::Object(o) if !path.is_empty() => {
            for (k, x) in o {
                if k == path {
                    collect(x, "", objects, out);
                } else if let Some(rest) = path
                    .strip_prefix(k.as_str())
                    .and_then(|r| r.strip_prefix('.'))
                {
                    collect(x, rest, objects, out);
                }
            }
        }
        Value::Null => {}
        Value::Object(_) if !objects => {}
        leaf if path.is_empty() => out.push(leaf),
        _ => {}
    }
}

fn no_formats(path: &str, fm: &FieldMapping) -> Error {
    if fm.ty == FieldType::Ip {
        return Error::illegal_argument(format!(
            "Field [{path}] of type [ip] does not support custom formats"
        ));
    }
    Error::illegal_argument(format!(
        "Field [{path}] of type [{}] doesn't support formats.",
        fm.ty.name()
    ))
}

fn date_formats(spec: &FieldSpec, path: &str, fm: &FieldMapping) -> Result<Vec<DateFormat>> {
    match &spec.format {
        None => Ok(fm.formats.clone()),
        Some(f) if fm.ty == FieldType::Date => date::parse_formats(f)
            .map_err(|e| Error::illegal_argument(format!("Invalid format: [{f}]: {e}"))),
        Some(_) => Err(no_formats(path, fm)),
    }
}

/// A `_source` value as the field's type reads it (`None`: not indexable, left out).
fn typed(v: &Value, fm: &FieldMapping, formats: &[DateFormat]) -> Option<Value> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let num = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match fm.ty {
        FieldType::Keyword => text(v)
            .filter(|s| fm.ignore_above.is_none_or(|n| s.chars().count() <= n))
            .map(Value::from),
        FieldType::Text => text(v).map(Value::from),
        // a malformed address (kept by `ignore_malformed`) is not a value of the field
        FieldType::Ip => text(v)
            .and_then(|s| ip::parse(&s))
            .map(|a| Value::from(ip::format(a))),
        FieldType::Long if fm.unsigned => match v {
            Value::String(s) if s.is_empty() => None,
            v => crate::mapping::unsigned::parse_value(v)
                .ok()
                .map(Value::from),
        },
        FieldType::Long | FieldType::Integer | FieldType::Short | FieldType::Byte => {
            num(v).map(|x| Value::from(x.trunc() as i64))
        }
        FieldType::Double => num(v).map(aggs::num_json),
        FieldType::Float | FieldType::HalfFloat => {
            // a float is written as the float it is (`1.1`, not its widened double)
            num(v).and_then(|x| {
                (x as f32)
                    .to_string()
                    .parse::<f64>()
                    .ok()
                    .map(aggs::num_json)
            })
        }
        FieldType::Boolean => match v {
            Value::Bool(b) => Some(Value::from(*b)),
            Value::String(s) if s == "true" => Some(Value::from(true)),
            Value::String(s) if s == "false" || s.is_empty() => Some(Value::from(false)),
            _ => None,
        },
        FieldType::Date if fm.nanos => {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            let ns = i64::try_from(date::parse_nanos_i128(&text, &fm.formats, None)?).ok()?;
            Some(Value::from(date::format_nanos_with(ns, formats, None)))
        }
        FieldType::Date => {
            let ms = match v {
                Value::String(s) => date::parse_date_str(s, &fm.formats, None),
                Value::Number(n) => n.as_i64(),
                _ => None,
            }?;
            Some(Value::from(date::format_with(ms, formats, None)))
        }
        // read whole by `from_source`; a value here is one point
        FieldType::GeoPoint => crate::mapping::geo::parse_point(v, fm.ignore_z_value, "")
            .ok()
            .map(crate::mapping::geo::to_geojson),
    }
}

/// The values at a dotted path of `_source`, whole (a point's array or object is one value;
/// arrays of objects on the way are walked).
fn whole_values<'v>(v: &'v Value, path: &str, out: &mut Vec<&'v Value>) {
    match v {
        _ if path.is_empty() => out.push(v),
        Value::Array(a) => {
            for x in a {
                whole_values(x, path, out);
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                if k == path {
                    whole_values(x, "", out);
                } else if let Some(rest) = path
                    .strip_prefix(k.as_str())
                    .and_then(|r| r.strip_prefix('.'))
                {
                    whole_values(x, rest, out);
                }
            }
        }
        _ => {}
    }
}

/// `fields`: values from `_source`, by mapped field.
pub(crate) fn from_source(
    specs: &[FieldSpec],
    src: &Value,
    mapping: &Mapping,
) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for spec in specs {
        for (path, fm) in expand(&spec.pattern, mapping) {
            let formats = date_formats(spec, &path, fm)?;
            let values: Vec<Value> = if fm.ty == FieldType::GeoPoint {
                let mut whole = Vec::new();
                whole_values(src, &path, &mut whole);
                whole
                    .into_iter()
                    .flat_map(crate::mapping::geo::point_values)
                    .filter_map(|v| typed(v, fm, &formats))
                    .collect()
            } else {
                source_values(src, source_path(&path, mapping))
                    .into_iter()
                    .filter_map(|v| typed(v, fm, &formats))
                    .collect()
            };
            if !values.is_empty() {
                out.insert(path, Value::Array(values));
            }
        }
        if spec.include_unmapped {
            unmapped(src, "", &spec.pattern, mapping, &mut out);
        }
    }
    Ok(out)
}

/// `_source` leaves under no mapping (nor under a mapped leaf) whose path matches `pattern`.
fn unmapped(
    v: &Value,
    prefix: &str,
    pattern: &str,
    mapping: &Mapping,
    out: &mut Map<String, Value>,
) {
    let Value::Object(o) = v else { return };
    for (k, x) in o {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if mapping.field(&path).is_some() {
            continue;
        }
        let leaves: Vec<&Value> = match x {
            Value::Object(_) => {
                unmapped(x, &path, pattern, mapping, out);
                continue;
            }
            Value::Array(a) if a.iter().any(Value::is_object) => {
                for item in a {
                    unmapped(item, &path, pattern, mapping, out);
                }
                continue;
            }
            Value::Array(a) => a.iter().filter(|x| !x.is_null()).collect(),
            Value::Null => continue,
            leaf => vec![leaf],
        };
        if !leaves.is_empty() && wildcard_match(pattern, &path) {
            let entry = out.entry(path).or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(a) = entry {
                a.extend(leaves.into_iter().cloned());
            }
        }
    }
}

/// `docvalue_fields`: values from the columns of one document (sorted, as doc values are).
pub(crate) fn from_doc_values(
    specs: &[FieldSpec],
    seg: &SegmentReader,
    doc: u32,
    mapping: &Mapping,
    index: &str,
    out: &mut Map<String, Value>,
) -> Result<()> {
    for spec in specs {
        for (path, fm) in expand(&spec.pattern, mapping) {
            // a numeric field's `format` is a Java `DecimalFormat` pattern
            let mut decimal = None;
            let formats = match (&spec.format, fm.ty) {
                (None, _) => fm.formats.clone(),
                (Some(_), FieldType::Date) => date_formats(spec, &path, fm)?,
                (Some(f), ty) if ty.is_numeric() && ty != FieldType::Boolean => {
                    decimal = Some(
                        crate::mapping::decimal::DecimalFormat::parse(f)
                            .map_err(Error::illegal_argument)?,
                    );
                    Vec::new()
                }
                (Some(_), _) => return Err(no_formats(&path, fm)),
            };
            let values = if fm.ty == FieldType::GeoPoint {
                geo_doc_values(seg, doc, &path, index)?
            } else {
                let (source, _) = aggs::open_exact_source(seg, mapping, &path, index)?;
                let values = column_values(&source, doc, fm, &formats);
                match &decimal {
                    Some(d) => values
                        .into_iter()
                        .map(|v| v.as_f64().map_or(v, |x| Value::from(d.format(x))))
                        .collect(),
                    None => values,
                }
            };
            if !values.is_empty() {
                out.insert(path, Value::Array(values));
            }
        }
    }
    Ok(())
}

/// A document's points as Elasticsearch's doc values show them: `"lat, lon"` of the encoded
/// point, in encoded order.
fn geo_doc_values(seg: &SegmentReader, doc: u32, path: &str, index: &str) -> Result<Vec<Value>> {
    let Some(col) = crate::query::geo::point_column(seg, &format!("n.{path}"))
        .map_err(|e| Error::tantivy(index, e))?
    else {
        return Ok(Vec::new());
    };
    let mut vs: Vec<i64> = col.values_for_doc(doc).collect();
    vs.sort_unstable();
    Ok(vs
        .into_iter()
        .map(|v| {
            let p = crate::mapping::geo::decode(v);
            Value::from(format!("{}, {}", p.lat, p.lon))
        })
        .collect())
}

fn column_values(
    source: &aggs::Source,
    doc: u32,
    fm: &FieldMapping,
    formats: &[DateFormat],
) -> Vec<Value> {
    match source {
        aggs::Source::Str(col) => {
            let mut ords: Vec<u64> = col.term_ords(doc).collect();
            ords.sort_unstable();
            ords.dedup();
            ords.into_iter()
                .filter_map(|o| {
                    let mut s = String::new();
                    col.ord_to_str(o, &mut s)
                        .ok()
                        .filter(|f| *f)
                        .map(|_| match fm.ty {
                            FieldType::Ip => Value::from(ip::term_to_display(&s)),
                            _ => Value::from(s),
                        })
                })
                .collect()
        }
        aggs::Source::Num(col) => {
            let mut xs: Vec<f64> = col.values_for_doc(doc).collect();
            xs.sort_by(f64::total_cmp);
            xs.into_iter()
                .map(|x| match fm.ty {
                    FieldType::Date => Value::from(date::format_with(x as i64, formats, None)),
                    FieldType::Boolean => Value::from(x != 0.0),
                    ty if ty.is_integer() => Value::from(x as i64),
                    _ => aggs::num_json(x),
                })
                .collect()
        }
        aggs::Source::Long(col) => {
            let mut xs: Vec<i64> = col.values_for_doc(doc).collect();
            xs.sort_unstable();
            xs.into_iter()
                .map(|x| {
                    if fm.unsigned {
                        Value::from(crate::mapping::unsigned::from_sortable(x))
                    } else {
                        Value::from(fm.format_date(x, formats, None))
                    }
                })
                .collect()
        }
        aggs::Source::Geo(_) | aggs::Source::Nothing => Vec::new(),
    }
}
