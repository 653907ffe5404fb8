//! The tree-based document conversion sluice-store used before the streaming converter
//! (`convert.rs`), kept as a test oracle: the streaming converter must index the same values,
//! find the same mapping updates and fail with the same errors.

use serde_json::{Map, Value};

use super::date::{self, DateFormat};
use super::*;

/// A typed value as the tree-based converter produced it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum OldValue {
    Keyword(String),
    Text(String),
    Long(i64),
    Double(f64),
    Bool(bool),
    Ip(u128),
}

/// What the tree-based converter produced: values by full path in document order, and every
/// path that had a value.
#[derive(Debug, Default)]
pub(super) struct OldDoc {
    pub(super) values: Vec<(String, OldValue)>,
    pub(super) present: Vec<String>,
}

/// The old `Mapping::convert` on a parsed source.
pub(super) fn convert(
    m: &Mapping,
    source: &Map<String, Value>,
    id: &str,
) -> Result<(OldDoc, Updates)> {
    let mut ctx = Ctx {
        id,
        up: Updates::default(),
    };
    let mut out = OldDoc::default();
    walk_object(m, &[], source, &mut ctx, &mut out)?;
    Ok((out, ctx.up))
}

fn walk_object(
    m: &Mapping,
    segs: &[String],
    obj: &Map<String, Value>,
    ctx: &mut Ctx<'_>,
    out: &mut OldDoc,
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
        if path.len() > segs.len() + 1 && !ensure_objects(m, &path[..path.len() - 1], ctx)? {
            continue;
        }
        walk_value(m, &path, value, ctx, out)?;
    }
    Ok(())
}

/// Makes sure every prefix of `segs` is an object (adding dynamic ones to the updates);
/// false when a disabled or non-dynamic parent means the value is not indexed.
fn ensure_objects(m: &Mapping, segs: &[String], ctx: &mut Ctx<'_>) -> Result<bool> {
    for i in 1..=segs.len() {
        let path = segs[..i].join(".");
        if m.lookup_object(&path, ctx) {
            if let Some(o) = m.object_at_segs(segs[..i].iter().map(String::as_str))
                && !o.enabled
            {
                return Ok(false);
            }
            continue;
        }
        if let Some(f) = m.lookup_field(&path, ctx) {
            return Err(doc_parsing(format!(
                "Could not dynamically add mapping for field [{}]. Existing mapping for [{path}] must be of type object but found [{}].",
                segs.join("."),
                f.ty.name()
            )));
        }
        match m.dynamic_at_segs(segs[..i - 1].iter().map(String::as_str)) {
            Dynamic::False => return Ok(false),
            Dynamic::Strict => return Err(strict(&segs[..i])),
            Dynamic::True => {}
        }
        ctx.up.add_object(segs[..i].to_vec(), &path, None);
    }
    Ok(true)
}

fn walk_value(
    m: &Mapping,
    path: &[String],
    value: &Value,
    ctx: &mut Ctx<'_>,
    out: &mut OldDoc,
) -> Result<()> {
    let dotted = path.join(".");
    match value {
        Value::Null => {
            if let Some(f) = m.lookup_field(&dotted, ctx).cloned()
                && let Some(nv) = &f.null_value
            {
                return index_leaf(&dotted, &f, nv, ctx.id, out);
            }
            Ok(())
        }
        Value::Array(items) => {
            for item in items {
                walk_value(m, path, item, ctx, out)?;
            }
            Ok(())
        }
        Value::Object(inner) => {
            if let Some(f) = m.lookup_field(&dotted, ctx) {
                return Err(field_parse_error(&dotted, f, value, ctx.id, None));
            }
            if !ensure_objects(m, path, ctx)? {
                return Ok(());
            }
            walk_object(m, path, inner, ctx, out)
        }
        scalar => {
            // mapped fields are borrowed from the mapping; only fields added by this very
            // document (in `ctx.up`) need a copy to release the borrow of `ctx`
            if let Some(f) = m.flat.get(&dotted) {
                return index_leaf(&dotted, f, scalar, ctx.id, out);
            }
            if let Some(f) = ctx.up.flat.get(&dotted) {
                let f = f.clone();
                return index_leaf(&dotted, &f, scalar, ctx.id, out);
            }
            if m.lookup_object(&dotted, ctx) {
                return Err(doc_parsing(format!(
                    "object mapping for [{dotted}] tried to parse field [{}] as object, but found a concrete value",
                    path.last().map_or("", String::as_str)
                )));
            }
            let parent = &path[..path.len() - 1];
            if !parent.is_empty() && !ensure_objects(m, parent, ctx)? {
                return Ok(());
            }
            match m.dynamic_at_segs(parent.iter().map(String::as_str)) {
                Dynamic::False => return Ok(()),
                Dynamic::Strict => return Err(strict(path)),
                Dynamic::True => {}
            }
            let fm = infer(m, scalar);
            for (sub, sm) in &fm.fields {
                ctx.up.flat.insert(format!("{dotted}.{sub}"), sm.clone());
            }
            ctx.up.flat.insert(dotted.clone(), fm.clone());
            ctx.up.fields.push((path.to_vec(), fm.clone()));
            index_leaf(&dotted, &fm, scalar, ctx.id, out)
        }
    }
}

fn infer(m: &Mapping, v: &Value) -> FieldMapping {
    match v {
        Value::Bool(_) => FieldMapping::new(FieldType::Boolean),
        Value::Number(n) if n.is_f64() => FieldMapping::new(FieldType::Float),
        Value::Number(_) => FieldMapping::new(FieldType::Long),
        Value::String(s) => {
            if m.date_detection {
                if looks_like_iso_date(s) {
                    return FieldMapping::new(FieldType::Date);
                }
                if let Some(fm) = slash_date(s) {
                    return fm;
                }
            }
            if m.numeric_detection {
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

fn index_leaf(path: &str, f: &FieldMapping, v: &Value, id: &str, out: &mut OldDoc) -> Result<()> {
    match old_coerce(path, f, v, id) {
        Ok(Some(iv)) => {
            if !out.present.iter().any(|p| p == path) {
                out.present.push(path.to_owned());
            }
            if f.index || f.doc_values {
                out.values.push((path.to_owned(), iv));
            }
        }
        Ok(None) => {
            if beyond_ignore_above(f, v) {
                ignored(out, path);
            }
        }
        Err(e) => {
            if !f.ignore_malformed {
                return Err(e);
            }
            ignored(out, path);
        }
    }
    for (sub, sm) in &f.fields {
        let sub_path = format!("{path}.{sub}");
        match old_coerce(&sub_path, sm, v, id) {
            Ok(Some(iv)) => {
                if !out.present.iter().any(|p| p == &sub_path) {
                    out.present.push(sub_path.clone());
                }
                out.values.push((sub_path, iv));
            }
            Ok(None) => {
                if beyond_ignore_above(sm, v) {
                    ignored(out, &sub_path);
                }
            }
            Err(e) => {
                if !sm.ignore_malformed {
                    return Err(e);
                }
                ignored(out, &sub_path);
            }
        }
    }
    Ok(())
}

/// A keyword value longer than `ignore_above`.
fn beyond_ignore_above(f: &FieldMapping, v: &Value) -> bool {
    let Some(n) = f.ignore_above else {
        return false;
    };
    f.ty == FieldType::Keyword
        && match v {
            Value::String(s) => s.chars().count() > n,
            Value::Number(x) => x.to_string().chars().count() > n,
            _ => false,
        }
}

/// Records `path` in `_ignored`, once.
fn ignored(out: &mut OldDoc, path: &str) {
    let seen = out
        .values
        .iter()
        .any(|(p, v)| p == "_ignored" && matches!(v, OldValue::Keyword(k) if k == path));
    if !seen {
        out.values
            .push(("_ignored".to_owned(), OldValue::Keyword(path.to_owned())));
    }
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

fn old_coerce(path: &str, f: &FieldMapping, v: &Value, id: &str) -> Result<Option<OldValue>> {
    let bad = |cause: Option<Error>| field_parse_error(path, f, v, id, cause);
    match f.ty {
        FieldType::Ip => {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(bad(None)),
            };
            match super::ip::parse(&s) {
                Some(a) => Ok(Some(OldValue::Ip(a))),
                None => Err(doc_parsing(format!(
                    "failed to parse field [{path}] of type [ip] in document with id '{id}'. Preview of field's value: '{s}'"
                ))
                .caused_by(super::ip::not_an_ip(&s))),
            }
        }
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
            Ok(Some(OldValue::Keyword(s)))
        }
        FieldType::Text => match v {
            Value::String(s) => Ok(Some(OldValue::Text(s.clone()))),
            Value::Number(n) => Ok(Some(OldValue::Text(n.to_string()))),
            Value::Bool(b) => Ok(Some(OldValue::Text(b.to_string()))),
            _ => Err(bad(None)),
        },
        FieldType::Boolean => match v {
            Value::Bool(b) => Ok(Some(OldValue::Bool(*b))),
            Value::String(s) if s == "true" => Ok(Some(OldValue::Bool(true))),
            Value::String(s) if s == "false" || s.is_empty() => Ok(Some(OldValue::Bool(false))),
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
            Ok(Some(OldValue::Long(n)))
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
            Ok(Some(OldValue::Double(x)))
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
                Some(ms) => Ok(Some(OldValue::Long(ms))),
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
