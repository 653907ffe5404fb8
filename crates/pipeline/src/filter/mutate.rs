//! `mutate`: general changes to fields, in Logstash's fixed order of operations:
//! coerce, rename, update, replace, convert, gsub, uppercase, capitalize, lowercase, strip,
//! split, join, merge, copy — then the common decorations.
//!
//! Failures follow logstash-filter-mutate (Logstash 8.14+, strict conversion): an operation that
//! raises (a `float` conversion of text that is not a number, `strip` of an array holding a
//! non-string) stops the filter where it is — what was already done stays — tags the event with
//! `tag_on_failure` (`_mutate_error`) and skips the decorations. Everything else is lenient, as
//! in Logstash: a missing field is skipped; `integer` of `"abc"` is `0` and of `"12abc"` is `12`
//! (Ruby's `to_i`); `boolean` of an unknown word leaves the value as it is (with a warning).

use log_model::{FieldRef, LogEvent};
use regex::Regex;
use serde_json::Value as Json;

use super::{Common, Filter, FilterOutcome, Sprintf, field_ref, render_json, tag_list};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings, json_text};

pub(super) fn schema() -> Schema {
    use OptType as T;
    Schema::new(
        PluginKind::Filter,
        "mutate",
        vec![
            OptSpec::new("coerce", T::Hash),
            OptSpec::new("rename", T::Hash),
            OptSpec::new("replace", T::Hash),
            OptSpec::new("update", T::Hash),
            OptSpec::new("convert", T::Hash),
            OptSpec::new("gsub", T::Array),
            OptSpec::new("uppercase", T::Array),
            OptSpec::new("lowercase", T::Array),
            OptSpec::new("capitalize", T::Array),
            OptSpec::new("split", T::Hash),
            OptSpec::new("join", T::Hash),
            OptSpec::new("strip", T::Array),
            OptSpec::new("merge", T::Hash),
            OptSpec::new("copy", T::Hash),
            OptSpec::new("tag_on_failure", T::String).default(Default::Str("_mutate_error")),
        ],
    )
}

const CONVERSIONS: &[&str] = &[
    "string",
    "integer",
    "float",
    "boolean",
    "integer_eu",
    "float_eu",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conversion {
    String,
    Integer,
    Float,
    Boolean,
    IntegerEu,
    FloatEu,
}

#[derive(Debug)]
enum Needle {
    Static(Regex),
    Dynamic(Sprintf),
}

#[derive(Debug)]
struct Gsub {
    field: String,
    needle: Needle,
    replacement: Sprintf,
}

/// `(field, value)` pairs of a hash option, the field references resolved at build time.
type Pairs = Vec<(FieldRef, Json)>;

#[derive(Debug)]
pub(super) struct Mutate {
    common: Common,
    coerce: Pairs,
    rename: Vec<(String, Json)>,
    update: Pairs,
    replace: Pairs,
    convert: Vec<(FieldRef, Conversion)>,
    gsub: Vec<Gsub>,
    uppercase: Vec<FieldRef>,
    capitalize: Vec<FieldRef>,
    lowercase: Vec<FieldRef>,
    strip: Vec<FieldRef>,
    split: Pairs,
    join: Pairs,
    merge: Pairs,
    copy: Vec<(FieldRef, Json)>,
    tag_on_failure: Vec<String>,
}

impl Mutate {
    pub(super) fn new(settings: &Settings, common: Common) -> Result<Self> {
        let pairs = |name: &str| -> Result<Pairs> {
            let mut out = Vec::new();
            for (k, v) in settings.hash(name).unwrap_or_default() {
                out.push((fixed_field(settings, name, k)?, v.clone()));
            }
            Ok(out)
        };
        let fields = |name: &str| -> Result<Vec<FieldRef>> {
            settings
                .strings(name)
                .iter()
                .map(|f| fixed_field(settings, name, f))
                .collect()
        };
        let mut convert = Vec::new();
        for (field, ty) in settings.hash("convert").unwrap_or_default() {
            let conv = match json_text(ty).as_str() {
                "string" => Conversion::String,
                "integer" => Conversion::Integer,
                "float" => Conversion::Float,
                "boolean" => Conversion::Boolean,
                "integer_eu" => Conversion::IntegerEu,
                "float_eu" => Conversion::FloatEu,
                other => {
                    return Err(settings.invalid(
                        "convert",
                        &format!(
                            "Invalid conversion type '{other}', expected one of '{}'",
                            CONVERSIONS.join(",")
                        ),
                    ));
                }
            };
            convert.push((fixed_field(settings, "convert", field)?, conv));
        }
        let gsub_items = settings.strings("gsub");
        let mut gsub = Vec::new();
        for chunk in gsub_items.chunks(3) {
            let [field, needle, replacement] = chunk else {
                let mut shown: Vec<String> = chunk.iter().map(|s| format!("{s:?}")).collect();
                shown.resize(3, "nil".to_owned());
                return Err(settings.invalid(
                    "gsub",
                    &format!(
                        "Invalid gsub configuration [{}]. gsub requires 3 non-nil elements per config entry",
                        shown.join(", ")
                    ),
                ));
            };
            let needle = if needle.contains("%{") {
                Needle::Dynamic(Sprintf::new(needle))
            } else {
                Needle::Static(Regex::new(needle).map_err(|e| {
                    settings.invalid(
                        "gsub",
                        &format!("invalid regular expression {needle:?}: {e}"),
                    )
                })?)
            };
            gsub.push(Gsub {
                field: field.clone(),
                needle,
                replacement: Sprintf::new(&ruby_replacement(replacement)),
            });
        }
        Ok(Self {
            common,
            coerce: pairs("coerce")?,
            rename: settings
                .hash("rename")
                .map(<[_]>::to_vec)
                .unwrap_or_default(),
            update: pairs("update")?,
            replace: pairs("replace")?,
            convert,
            gsub,
            uppercase: fields("uppercase")?,
            capitalize: fields("capitalize")?,
            lowercase: fields("lowercase")?,
            strip: fields("strip")?,
            split: pairs("split")?,
            join: pairs("join")?,
            merge: pairs("merge")?,
            copy: pairs("copy")?,
            tag_on_failure: tag_list(settings, "tag_on_failure"),
        })
    }

    fn apply(&self, event: &mut LogEvent) -> std::result::Result<(), String> {
        self.coerce(event);
        self.rename(event);
        self.update(event);
        self.replace(event);
        self.convert(event)?;
        self.gsub(event);
        map_strings(event, &self.uppercase, |s| s.to_uppercase());
        map_strings(event, &self.capitalize, capitalize);
        map_strings(event, &self.lowercase, |s| s.to_lowercase());
        self.strip(event)?;
        self.split(event);
        self.join(event);
        self.merge(event);
        self.copy(event);
        Ok(())
    }

    fn coerce(&self, event: &mut LogEvent) {
        for (field, default) in &self.coerce {
            let f = field;
            if matches!(event.get(f), Some(Json::Null)) {
                let v = render_json(default, event);
                event.insert(f, v);
            }
        }
    }

    fn rename(&self, event: &mut LogEvent) {
        for (old, new) in &self.rename {
            let Some(from) = Sprintf::new(old).field(event) else {
                continue;
            };
            let Some(to) = Sprintf::new(&json_text(new)).field(event) else {
                continue;
            };
            if let Some(v) = event.remove(&from) {
                event.insert(&to, v);
            }
        }
    }

    fn update(&self, event: &mut LogEvent) {
        for (field, value) in &self.update {
            let f = field;
            if event.get(f).is_some() {
                let v = render_json(value, event);
                event.insert(f, v);
            }
        }
    }

    fn replace(&self, event: &mut LogEvent) {
        for (field, value) in &self.replace {
            let f = field;
            let v = render_json(value, event);
            event.insert(f, v);
        }
    }

    fn convert(&self, event: &mut LogEvent) -> std::result::Result<(), String> {
        for (field, conv) in &self.convert {
            let f = field;
            // A top-level string converted to a number straight from its text: a lazy event
            // reads it without building the string.
            if let [name] = f.segments()
                && matches!(conv, Conversion::Float | Conversion::Integer)
                && let Some(text) = event.field_str(name)
            {
                let converted = match conv {
                    Conversion::Float => float_from_text(text)?,
                    _ => integer_from_text(text)?,
                };
                event.replace_field(name, converted);
                continue;
            }
            let Some(original) = event.get_mut(f) else {
                continue;
            };
            // converted in place: on an error the field keeps its value (arrays are converted
            // into a new array first, as Logstash's `map` does)
            let converted = match &*original {
                Json::Null | Json::Object(_) => continue,
                Json::Array(items) => Json::Array(
                    items
                        .iter()
                        .map(|v| {
                            if v.is_null() {
                                Ok(Json::Null)
                            } else {
                                convert(v, *conv)
                            }
                        })
                        .collect::<std::result::Result<_, _>>()?,
                ),
                v => convert(v, *conv)?,
            };
            *original = converted;
        }
        Ok(())
    }

    fn gsub(&self, event: &mut LogEvent) {
        for g in &self.gsub {
            let Some(f) = field_ref(&g.field) else {
                continue;
            };
            let replacement = g.replacement.render(event);
            let dynamic;
            let re = match &g.needle {
                Needle::Static(re) => re,
                Needle::Dynamic(t) => match Regex::new(&t.render(event)) {
                    Ok(re) => {
                        dynamic = re;
                        &dynamic
                    }
                    Err(e) => {
                        tracing::warn!(field = %g.field, error = %e, "gsub: invalid dynamic regex, skipping");
                        continue;
                    }
                },
            };
            let Some(value) = event.get_mut(&f) else {
                continue;
            };
            match value {
                Json::String(s) => *s = re.replace_all(s, replacement.as_str()).into_owned(),
                Json::Array(items) => {
                    for item in items {
                        if let Json::String(s) = item {
                            *s = re.replace_all(s, replacement.as_str()).into_owned();
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn strip(&self, event: &mut LogEvent) -> std::result::Result<(), String> {
        for field in &self.strip {
            let f = field;
            match event.get_mut(f) {
                Some(Json::String(s)) => *s = ruby_strip(s).to_owned(),
                Some(Json::Array(items)) => {
                    for item in items.iter_mut() {
                        let Json::String(s) = item else {
                            return Err(format!(
                                "undefined method `strip' for {item} in field {field}"
                            ));
                        };
                        *s = ruby_strip(s).to_owned();
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn split(&self, event: &mut LogEvent) {
        for (field, sep) in &self.split {
            let f = field;
            let sep = json_text(sep);
            if let Some(Json::String(s)) = event.get(f) {
                let parts = ruby_split(s, &sep);
                event.insert(
                    f,
                    Json::Array(parts.into_iter().map(Json::String).collect()),
                );
            }
        }
    }

    fn join(&self, event: &mut LogEvent) {
        for (field, sep) in &self.join {
            let f = field;
            let sep = json_text(sep);
            if let Some(Json::Array(items)) = event.get(f) {
                let joined = items
                    .iter()
                    .map(|v| {
                        if v.is_null() {
                            String::new()
                        } else {
                            json_text(v)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(&sep);
                event.insert(f, Json::String(joined));
            }
        }
    }

    fn merge(&self, event: &mut LogEvent) {
        for (dest, added) in &self.merge {
            let d = dest;
            let added_fields: Vec<String> = match added {
                Json::Array(items) => items.iter().map(json_text).collect(),
                other => vec![json_text(other)],
            };
            for added_field in added_fields {
                let Some(a) = field_ref(&added_field) else {
                    continue;
                };
                let dest_value = event.get(d).cloned();
                let added_value = event.get(&a).cloned();
                let dest_is_hash = matches!(dest_value, Some(Json::Object(_)));
                let added_is_hash = matches!(added_value, Some(Json::Object(_)));
                if dest_is_hash != added_is_hash {
                    tracing::error!(dest_field = %dest, added_field = %added_field, "Not possible to merge an array and a hash");
                    continue;
                }
                let merged = match (dest_value, added_value) {
                    (Some(Json::Object(mut m)), Some(Json::Object(add))) => {
                        m.extend(add);
                        Json::Object(m)
                    }
                    (d, a) => {
                        let mut items = ruby_array(d);
                        items.extend(ruby_array(a));
                        Json::Array(items)
                    }
                };
                event.insert(d, merged);
            }
        }
    }

    fn copy(&self, event: &mut LogEvent) {
        for (src, dest) in &self.copy {
            let s = src;
            let Some(d) = field_ref(&json_text(dest)) else {
                continue;
            };
            match event.get(s) {
                None | Some(Json::Null) => {}
                Some(v) => {
                    let v = v.clone();
                    event.insert(&d, v);
                }
            }
        }
    }
}

impl Filter for Mutate {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        match self.apply(event) {
            Ok(()) => self.common.matched(event),
            Err(e) => {
                tracing::warn!(filter = self.common.id(), exception = %e, "Exception caught while applying mutate filter");
                self.common.failed(event, &self.tag_on_failure);
            }
        }
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "mutate"
    }

    fn failures(&self) -> u64 {
        self.common.failures()
    }
}

/// A field name given in the config, checked now (Logstash fails on every event instead).
fn fixed_field(settings: &Settings, option: &str, name: &str) -> Result<FieldRef> {
    field_ref(name)
        .ok_or_else(|| settings.invalid(option, &format!("Invalid FieldReference: `{name}`")))
}

// ---- conversions (Ruby semantics) ------------------------------------------------------------

fn convert(v: &Json, conv: Conversion) -> std::result::Result<Json, String> {
    match conv {
        Conversion::String => Ok(Json::String(match v {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        })),
        Conversion::Boolean => Ok(to_boolean(v)),
        Conversion::Integer => to_integer(v),
        Conversion::Float => to_float(v),
        Conversion::IntegerEu => to_integer(&eu(v)),
        Conversion::FloatEu => to_float(&eu(v)),
    }
}

/// `"1.234,5"` → `"1,234.5"` (Ruby `tr(",.", ".,")`).
fn eu(v: &Json) -> Json {
    match v {
        Json::String(s) => Json::String(
            s.chars()
                .map(|c| match c {
                    ',' => '.',
                    '.' => ',',
                    c => c,
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn to_boolean(v: &Json) -> Json {
    let text = match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    let lower = text.to_lowercase();
    // Logstash's /^(true|t|yes|y|1|1.0)$/i and /^(false|f|no|n|0|0.0)$/i (the `.` is any char).
    let one_dot_zero = |s: &str, first: char| {
        let c: Vec<char> = s.chars().collect();
        c.len() == 3 && c[0] == first && c[2] == '0'
    };
    if matches!(lower.as_str(), "true" | "t" | "yes" | "y" | "1") || one_dot_zero(&lower, '1') {
        return Json::Bool(true);
    }
    if lower.is_empty()
        || matches!(lower.as_str(), "false" | "f" | "no" | "n" | "0")
        || one_dot_zero(&lower, '0')
    {
        return Json::Bool(false);
    }
    tracing::warn!("Failed to convert {text} into boolean.");
    v.clone()
}

fn clean_number_text(s: &str) -> std::borrow::Cow<'_, str> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\0');
    if t.contains(',') {
        std::borrow::Cow::Owned(t.replace(',', ""))
    } else {
        std::borrow::Cow::Borrowed(t)
    }
}

/// Ruby `Float()` of a hex string (`0x1A`, `-0x1a.8` is not accepted).
fn hex_value(s: &str) -> Option<std::result::Result<f64, String>> {
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let digits = rest
        .strip_prefix("0x")
        .or_else(|| rest.strip_prefix("0X"))?;
    #[allow(clippy::cast_precision_loss)]
    let parsed = i64::from_str_radix(digits, 16)
        .map(|n| if neg { -(n as f64) } else { n as f64 })
        .map_err(|_| format!("invalid value for Float(): {s:?}"));
    Some(parsed)
}

/// Ruby's strict `Float()` of a string: digits with optional sign, `.`, exponent and `_`
/// between digits; nothing else.
fn ruby_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    for (i, &c) in b.iter().enumerate() {
        let ok = c.is_ascii_digit()
            || matches!(c, b'+' | b'-' | b'.' | b'e' | b'E')
            || (c == b'_'
                && i > 0
                && b[i - 1].is_ascii_digit()
                && b.get(i + 1).is_some_and(u8::is_ascii_digit));
        if !ok {
            return None;
        }
    }
    if s.ends_with('.') || s.contains("._") {
        return None;
    }
    let parsed = if s.contains('_') {
        s.replace('_', "").parse::<f64>()
    } else {
        s.parse::<f64>()
    };
    parsed.ok().filter(|f| f.is_finite())
}

/// Ruby's lenient `String#to_i`: the leading integer, or 0.
fn ruby_to_i(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut n: i64 = 0;
    let mut prev_digit = false;
    for c in rest.chars() {
        if let Some(d) = c.to_digit(10) {
            n = n.saturating_mul(10).saturating_add(i64::from(d));
            prev_digit = true;
        } else if c == '_' && prev_digit {
            prev_digit = false;
        } else {
            break;
        }
    }
    if neg { -n } else { n }
}

fn to_integer(v: &Json) -> std::result::Result<Json, String> {
    match v {
        Json::Bool(b) => Ok(Json::from(i64::from(*b))),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Ok(Json::from(i)),
            None => float_to_int(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(raw) => integer_from_text(raw),
        other => Err(format!("can't convert {other} into Integer")),
    }
}

fn integer_from_text(raw: &str) -> std::result::Result<Json, String> {
    let s = clean_number_text(raw);
    if let Some(hex) = hex_value(&s) {
        return float_to_int(hex?);
    }
    if s.contains('e') {
        return match ruby_float(&s) {
            Some(f) => float_to_int(f),
            None => Err(format!("invalid value for BigDecimal(): {raw:?}")),
        };
    }
    Ok(Json::from(ruby_to_i(&s)))
}

#[allow(clippy::cast_possible_truncation)]
fn float_to_int(f: f64) -> std::result::Result<Json, String> {
    if f.is_finite() {
        Ok(Json::from(f.trunc() as i64))
    } else {
        Err(format!("{f} can't be converted to Integer"))
    }
}

fn to_float(v: &Json) -> std::result::Result<Json, String> {
    let f = match v {
        Json::Bool(b) => {
            if *b {
                1.0
            } else {
                0.0
            }
        }
        Json::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Json::String(raw) => return float_from_text(raw),
        other => return Err(format!("can't convert {other} into Float")),
    };
    finite_float(f)
}

fn float_from_text(raw: &str) -> std::result::Result<Json, String> {
    let s = clean_number_text(raw);
    let f = match hex_value(&s) {
        Some(h) => h?,
        None => ruby_float(&s).ok_or_else(|| format!("invalid value for Float(): {raw:?}"))?,
    };
    finite_float(f)
}

fn finite_float(f: f64) -> std::result::Result<Json, String> {
    serde_json::Number::from_f64(f)
        .map(Json::Number)
        .ok_or_else(|| format!("{f} is not a finite float"))
}

// ---- string helpers (Ruby semantics) --------------------------------------------------------

fn map_strings(event: &mut LogEvent, fields: &[FieldRef], f: impl Fn(&str) -> String) {
    for field in fields {
        let r = field;
        match event.get_mut(r) {
            Some(Json::String(s)) => *s = f(s),
            Some(Json::Array(items)) => {
                for item in items {
                    if let Json::String(s) = item {
                        *s = f(s);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Ruby `String#capitalize`: first character upper case, the rest lower case.
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// Ruby `String#strip`: ASCII whitespace and NUL.
fn ruby_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\0' || c == '\x0b')
}

/// Ruby `String#split(sep)`: `" "` splits on runs of whitespace ignoring leading ones; other
/// separators split literally; trailing empty strings are removed.
fn ruby_split(s: &str, sep: &str) -> Vec<String> {
    let mut parts: Vec<String> = if sep == " " {
        s.split_ascii_whitespace().map(str::to_owned).collect()
    } else if sep.is_empty() {
        s.chars().map(String::from).collect()
    } else {
        s.split(sep).map(str::to_owned).collect()
    };
    while parts.last().is_some_and(String::is_empty) {
        parts.pop();
    }
    parts
}

/// Ruby `Array(x)`: nil → [], array → itself, anything else → [x].
fn ruby_array(v: Option<Json>) -> Vec<Json> {
    match v {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(items)) => items,
        Some(other) => vec![other],
    }
}

/// A Ruby `gsub` replacement (`\1`, `\k<name>`, `\\`) in Rust regex syntax (`${1}`, `$$`).
fn ruby_replacement(r: &str) -> String {
    let mut out = String::with_capacity(r.len());
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.peek().copied() {
                Some(d @ '0'..='9') => {
                    chars.next();
                    out.push_str(&format!("${{{d}}}"));
                }
                Some('k') => {
                    chars.next();
                    if chars.peek() == Some(&'<') {
                        chars.next();
                        let name: String = chars.by_ref().take_while(|&c| c != '>').collect();
                        out.push_str(&format!("${{{name}}}"));
                    } else {
                        out.push_str("\\k");
                    }
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruby_to_i_takes_the_leading_integer() {
        let cases: &[(&str, i64)] = &[
            ("42", 42),
            ("-7x", -7),
            ("+3", 3),
            ("1_000", 1000),
            ("12abc", 12),
            ("abc", 0),
            ("", 0),
            ("  5", 5),
            ("3.9", 3),
            ("99999999999999999999999", i64::MAX),
        ];
        for (input, expected) in cases {
            assert_eq!(ruby_to_i(input), *expected, "{input:?}");
        }
    }

    #[test]
    fn ruby_float_is_strict() {
        let cases: &[(&str, Option<f64>)] = &[
            ("1.5", Some(1.5)),
            ("-2", Some(-2.0)),
            ("1e3", Some(1000.0)),
            ("1_000.5", Some(1000.5)),
            (".5", Some(0.5)),
            ("5.", None),
            ("abc", None),
            ("1.5s", None),
            ("inf", None),
            ("NaN", None),
            ("", None),
            ("1__0", None),
        ];
        for (input, expected) in cases {
            assert_eq!(ruby_float(input), *expected, "{input:?}");
        }
    }

    #[test]
    fn ruby_split_and_replacement() {
        assert_eq!(ruby_split("a,b,,", ","), ["a", "b"]);
        assert_eq!(ruby_split(",a", ","), ["", "a"]);
        assert_eq!(ruby_split("ab", ""), ["a", "b"]);
        assert_eq!(
            ruby_replacement(r"\2-\1 $5 \k<n> \\"),
            "${2}-${1} $$5 ${n} \\"
        );
        assert_eq!(capitalize("hELLO"), "Hello");
    }
}
