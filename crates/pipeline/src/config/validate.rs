//! Settings validation: a schema per plugin (option name → type, default, required), checked the
//! way Logstash's `config/mixin.rb` checks it, with Logstash's messages prefixed by
//! `file:line:column`.
//!
//! ```text
//! logstash.conf:12:5: Unknown setting 'foo' for mutate
//! logstash.conf:3:5: Invalid setting for tcp input plugin:
//!
//!   input {
//!     tcp {
//!       # This setting must be a number
//!       # Expected number, got "abc" (type abc)
//!       port => "abc"
//!       ...
//!     }
//!   }
//! ```

use serde_json::Value as Json;

use super::ast::{Number, Plugin, PluginKind, Span, Value};
use crate::{Error, Result};

/// The type an option expects (Logstash's `:validate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptType {
    /// One string; a number or boolean is taken as its text.
    String,
    /// A number, or a string that is one.
    Number,
    /// `true` / `false`, or the strings `"true"` / `"false"`.
    Boolean,
    /// Any value; a single value becomes a one-element array.
    Array,
    /// `{ k => v }`, or an array with an even number of items (`[k, v, k2, v2]`).
    Hash,
    /// A codec: a bareword/string name, or `name { settings }`.
    Codec,
    /// A path to an existing file.
    Path,
    /// A secret string (never shown in messages).
    Password,
    /// A URI (a string).
    Uri,
    /// A size: a number of bytes or a string like `"10 KiB"`, `"20mb"`.
    Bytes,
    /// A field reference (`[a][b]` or `name`).
    FieldReference,
    /// One of the listed strings.
    OneOf(&'static [&'static str]),
}

impl OptType {
    fn describe(self) -> String {
        match self {
            OptType::String => "string".into(),
            OptType::Number => "number".into(),
            OptType::Boolean => "boolean".into(),
            OptType::Array => "array".into(),
            OptType::Hash => "hash".into(),
            OptType::Codec => "codec".into(),
            OptType::Path => "path".into(),
            OptType::Password => "password".into(),
            OptType::Uri => "uri".into(),
            OptType::Bytes => "bytes".into(),
            OptType::FieldReference => "field_reference".into(),
            OptType::OneOf(list) => ruby_list(list),
        }
    }
}

fn ruby_list(list: &[&str]) -> String {
    let items: Vec<String> = list.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", items.join(", "))
}

/// A default value of an option.
#[derive(Debug, Clone, PartialEq)]
pub enum Default {
    /// A string.
    Str(&'static str),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A list of strings.
    List(&'static [&'static str]),
}

/// One option of a plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct OptSpec {
    /// Option name.
    pub name: &'static str,
    /// Expected type.
    pub ty: OptType,
    /// Logstash's `:list => true`: the value is an array of `ty`.
    pub list: bool,
    /// Must be given.
    pub required: bool,
    /// Value when not given.
    pub default: Option<Default>,
}

impl OptSpec {
    /// An optional option without default.
    #[must_use]
    pub const fn new(name: &'static str, ty: OptType) -> Self {
        Self {
            name,
            ty,
            list: false,
            required: false,
            default: None,
        }
    }
    /// Marks the option required.
    #[must_use]
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    /// Makes the option a list of `ty`.
    #[must_use]
    pub const fn list(mut self) -> Self {
        self.list = true;
        self
    }
    /// Sets the default.
    #[must_use]
    pub fn default(mut self, d: Default) -> Self {
        self.default = Some(d);
        self
    }
}

/// The options of one plugin.
#[derive(Debug, Clone)]
pub struct Schema {
    /// Plugin kind.
    pub kind: PluginKind,
    /// Plugin name.
    pub name: &'static str,
    /// Options, including the common ones of the kind.
    pub options: Vec<OptSpec>,
}

impl Schema {
    /// A schema with `options` plus the options every plugin of `kind` has in Logstash:
    /// - filters: `add_field`, `add_tag`, `remove_field`, `remove_tag`, `id`, `enable_metric`,
    ///   `periodic_flush`;
    /// - inputs: `type`, `tags`, `add_field`, `codec`, `id`, `enable_metric`;
    /// - outputs: `codec`, `id`, `enable_metric`, `workers`;
    /// - codecs: `id`, `enable_metric`.
    ///
    /// An option in `options` replaces a common one of the same name (e.g. a different codec
    /// default).
    #[must_use]
    pub fn new(kind: PluginKind, name: &'static str, options: Vec<OptSpec>) -> Self {
        use OptType as T;
        let mut common = vec![
            OptSpec::new("id", T::String),
            OptSpec::new("enable_metric", T::Boolean).default(Default::Bool(true)),
        ];
        match kind {
            PluginKind::Filter => common.extend([
                OptSpec::new("add_field", T::Hash),
                OptSpec::new("add_tag", T::Array),
                OptSpec::new("remove_field", T::Array),
                OptSpec::new("remove_tag", T::Array),
                OptSpec::new("periodic_flush", T::Boolean).default(Default::Bool(false)),
            ]),
            PluginKind::Input => common.extend([
                OptSpec::new("type", T::String),
                OptSpec::new("tags", T::Array),
                OptSpec::new("add_field", T::Hash),
                OptSpec::new("codec", T::Codec).default(Default::Str("plain")),
            ]),
            PluginKind::Output => common.extend([
                OptSpec::new("codec", T::Codec).default(Default::Str("plain")),
                OptSpec::new("workers", T::Number).default(Default::Int(1)),
            ]),
            PluginKind::Codec => {}
        }
        common.retain(|c| !options.iter().any(|o| o.name == c.name));
        let mut all = options;
        all.extend(common);
        Self {
            kind,
            name,
            options: all,
        }
    }

    fn find(&self, name: &str) -> Option<&OptSpec> {
        self.options.iter().find(|o| o.name == name)
    }
}

/// A validated value.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    /// String, path, password, URI, field reference, one-of.
    String(String),
    /// Number (and bytes, as an integer).
    Number(Number),
    /// Boolean.
    Bool(bool),
    /// Array (items as JSON; barewords become strings).
    Array(Vec<Json>),
    /// Hash, in order (values as JSON).
    Hash(Vec<(String, Json)>),
    /// A codec with its settings.
    Codec(Plugin),
}

/// The validated settings of one plugin, with defaults applied.
#[derive(Debug, Clone)]
pub struct Settings {
    kind: PluginKind,
    name: String,
    span: Span,
    values: Vec<(String, Typed, Option<Span>)>,
}

impl Settings {
    /// The value of `name` (given or default).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Typed> {
        self.values
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, v, _)| v)
    }

    /// Whether `name` was written in the config (not defaulted).
    #[must_use]
    pub fn is_set(&self, name: &str) -> bool {
        self.span(name).is_some()
    }

    /// Where `name` was written, if it was.
    #[must_use]
    pub fn span(&self, name: &str) -> Option<&Span> {
        self.values
            .iter()
            .find(|(n, _, _)| n == name)
            .and_then(|(_, _, s)| s.as_ref())
    }

    /// Where the plugin is.
    #[must_use]
    pub fn plugin_span(&self) -> &Span {
        &self.span
    }

    /// The plugin name.
    #[must_use]
    pub fn plugin_name(&self) -> &str {
        &self.name
    }

    /// A string option.
    #[must_use]
    pub fn string(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Typed::String(s) => Some(s),
            _ => None,
        }
    }

    /// A number option as `f64`.
    #[must_use]
    pub fn number(&self, name: &str) -> Option<f64> {
        match self.get(name)? {
            Typed::Number(n) => Some(n.as_f64()),
            _ => None,
        }
    }

    /// A number option as an integer (a float is truncated toward zero).
    #[must_use]
    #[allow(clippy::cast_possible_truncation)]
    pub fn integer(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            Typed::Number(Number::Integer(i)) => Some(*i),
            Typed::Number(Number::Float(f)) => Some(*f as i64),
            _ => None,
        }
    }

    /// A boolean option.
    #[must_use]
    pub fn boolean(&self, name: &str) -> Option<bool> {
        match self.get(name)? {
            Typed::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// An array option.
    #[must_use]
    pub fn array(&self, name: &str) -> Option<&[Json]> {
        match self.get(name)? {
            Typed::Array(a) => Some(a),
            _ => None,
        }
    }

    /// An array (or single string) option as strings; numbers and booleans as their text.
    #[must_use]
    pub fn strings(&self, name: &str) -> Vec<String> {
        match self.get(name) {
            Some(Typed::Array(a)) => a.iter().map(json_text).collect(),
            Some(Typed::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    /// A hash option.
    #[must_use]
    pub fn hash(&self, name: &str) -> Option<&[(String, Json)]> {
        match self.get(name)? {
            Typed::Hash(h) => Some(h),
            _ => None,
        }
    }

    /// A codec option.
    #[must_use]
    pub fn codec(&self, name: &str) -> Option<&Plugin> {
        match self.get(name)? {
            Typed::Codec(p) => Some(p),
            _ => None,
        }
    }

    /// An error about option `name` in Logstash's "Invalid setting" shape, at its position, for
    /// checks a plugin makes after validation (like `register` in Logstash).
    #[must_use]
    pub fn invalid(&self, name: &str, message: &str) -> Error {
        let span = self.span(name).unwrap_or(&self.span).clone();
        Error::ConfigAt {
            span,
            message: format!(
                "Cannot register {} {} plugin. The error reported is: \n  {message}",
                self.name, self.kind
            ),
        }
    }
}

/// Text of a JSON scalar (strings without quotes).
#[must_use]
pub fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The error Logstash gives for a plugin name it cannot find, at the plugin's position.
#[must_use]
pub fn unknown_plugin(plugin: &Plugin) -> Error {
    let (kind, name) = (plugin.kind, &plugin.name);
    Error::ConfigAt {
        span: plugin.span.clone(),
        message: format!(
            "Couldn't find any {kind} plugin named '{name}'. Are you sure this is correct? Trying to load the {name} {kind} plugin resulted in this error: Unable to load the requested plugin named {name} of type {kind}. The plugin is not installed."
        ),
    }
}

/// Merges repeated settings as Logstash does: hashes merged, arrays concatenated, two different
/// scalars become an array.
fn merged(plugin: &Plugin) -> Vec<(String, Value, Span)> {
    let mut out: Vec<(String, Value, Span)> = Vec::new();
    for s in &plugin.settings {
        let Some(slot) = out.iter_mut().find(|(n, _, _)| *n == s.name) else {
            out.push((s.name.clone(), s.value.clone(), s.span.clone()));
            continue;
        };
        let existing = std::mem::replace(&mut slot.1, Value::Bool(false));
        slot.1 = match (existing, s.value.clone()) {
            (Value::Hash(mut a), Value::Hash(b)) => {
                for (k, v) in b {
                    match a.iter_mut().find(|(ka, _)| *ka == k) {
                        Some(entry) => entry.1 = v,
                        None => a.push((k, v)),
                    }
                }
                Value::Hash(a)
            }
            (Value::Array(mut a), Value::Array(b)) => {
                a.extend(b);
                Value::Array(a)
            }
            (Value::Array(mut a), v) => {
                a.push(v);
                Value::Array(a)
            }
            (a, b) if a == b => a,
            (a, b) => Value::Array(vec![a, b]),
        };
    }
    out
}

/// Validates `plugin` against `schema`: unknown options, missing required options and wrong
/// types are errors; defaults are applied.
///
/// # Errors
/// The first problem, as [`Error::ConfigAt`] with Logstash's message.
pub fn validate(plugin: &Plugin, schema: &Schema) -> Result<Settings> {
    validate_with(plugin, schema, &super::env::Environment)
}

/// [`validate`] with `${VAR}` read from `env` instead of the process environment.
///
/// # Errors
/// As [`validate`], and an unset `${VAR}` without default, at its setting.
pub fn validate_with(
    plugin: &Plugin,
    schema: &Schema,
    env: &dyn super::env::Lookup,
) -> Result<Settings> {
    let mut given = merged(plugin);
    for (_, value, span) in &mut given {
        *value = super::env::substitute_value(value, env).map_err(|message| Error::ConfigAt {
            span: span.clone(),
            message,
        })?;
    }
    for (name, _, span) in &given {
        if schema.find(name).is_none() {
            return Err(Error::ConfigAt {
                span: span.clone(),
                message: format!("Unknown setting '{name}' for {}", plugin.name),
            });
        }
    }
    for opt in &schema.options {
        if opt.required && !given.iter().any(|(n, _, _)| n == opt.name) {
            return Err(Error::ConfigAt {
                span: plugin.span.clone(),
                message: format!(
                    "Missing a required setting for the {name} {kind} plugin:\n\n  {kind} {{\n    {name} {{\n      {opt} => # SETTING MISSING\n      ...\n    }}\n  }}",
                    name = plugin.name,
                    kind = plugin.kind,
                    opt = opt.name
                ),
            });
        }
    }
    let mut values = Vec::new();
    for opt in &schema.options {
        match given.iter().find(|(n, _, _)| n == opt.name) {
            Some((name, value, span)) => {
                let typed = coerce(value, opt).map_err(|note| {
                    let shown = if matches!(opt.ty, OptType::Password) {
                        "<password>".to_owned()
                    } else {
                        value.inspect()
                    };
                    Error::ConfigAt {
                        span: span.clone(),
                        message: format!(
                            "Invalid setting for {pname} {kind} plugin:\n\n  {kind} {{\n    {pname} {{\n      # This setting must be a {ty}\n      # {note}\n      {name} => {shown}\n      ...\n    }}\n  }}",
                            pname = plugin.name,
                            kind = plugin.kind,
                            ty = opt.ty.describe(),
                        ),
                    }
                })?;
                // a codec written as a bare name gets the setting's position
                let typed = match typed {
                    Typed::Codec(mut p) if p.span.line == 0 => {
                        p.span = span.clone();
                        Typed::Codec(p)
                    }
                    other => other,
                };
                values.push((name.clone(), typed, Some(span.clone())));
            }
            None => {
                if let Some(d) = &opt.default {
                    values.push((opt.name.to_owned(), default_value(d, opt), None));
                }
            }
        }
    }
    Ok(Settings {
        kind: plugin.kind,
        name: plugin.name.clone(),
        span: plugin.span.clone(),
        values,
    })
}

fn default_value(d: &Default, opt: &OptSpec) -> Typed {
    match d {
        Default::Str(s) if opt.ty == OptType::Codec => Typed::Codec(Plugin {
            kind: PluginKind::Codec,
            name: (*s).to_owned(),
            settings: Vec::new(),
            span: Span {
                file: "default".into(),
                line: 0,
                column: 0,
                byte: 0,
            },
        }),
        Default::Str(s) => Typed::String((*s).to_owned()),
        Default::Int(i) => Typed::Number(Number::Integer(*i)),
        Default::Float(f) => Typed::Number(Number::Float(*f)),
        Default::Bool(b) => Typed::Bool(*b),
        Default::List(l) => Typed::Array(l.iter().map(|s| Json::String((*s).to_owned())).collect()),
    }
}

/// Logstash's `hash_or_array`: a scalar becomes a one-element list.
fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) | Value::Bareword(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn coerce(value: &Value, opt: &OptSpec) -> std::result::Result<Typed, String> {
    if opt.list && !matches!(opt.ty, OptType::Array | OptType::Hash) {
        let mut items = Vec::new();
        for item in as_list(value) {
            let one = OptSpec::new(opt.name, opt.ty);
            items.push(match coerce(item, &one)? {
                Typed::String(s) => Json::String(s),
                Typed::Number(n) => n.to_json(),
                Typed::Bool(b) => Json::Bool(b),
                _ => item.to_json(),
            });
        }
        return Ok(Typed::Array(items));
    }
    match opt.ty {
        OptType::Array => Ok(Typed::Array(
            as_list(value).into_iter().map(Value::to_json).collect(),
        )),
        OptType::Hash => coerce_hash(value),
        OptType::Codec => match value {
            Value::Plugin(p) => Ok(Typed::Codec((**p).clone())),
            Value::Array(items) if items.len() == 1 => coerce(&items[0], opt),
            v => match scalar_text(v) {
                Some(name) => Ok(Typed::Codec(Plugin {
                    kind: PluginKind::Codec,
                    name,
                    settings: Vec::new(),
                    span: Span {
                        file: "".into(),
                        line: 0,
                        column: 0,
                        byte: 0,
                    },
                })),
                None => Err(format!("Expected codec, got {}", value.inspect())),
            },
        },
        OptType::String | OptType::Uri | OptType::FieldReference => {
            let text = single(value).and_then(scalar_text).ok_or_else(|| {
                format!("Expected {}, got {}", opt.ty.describe(), value.inspect())
            })?;
            if opt.ty == OptType::FieldReference && log_model::FieldRef::parse(&text).is_err() {
                return Err(format!("Expected valid field reference, got {text:?}"));
            }
            Ok(Typed::String(text))
        }
        OptType::Password => single(value)
            .and_then(scalar_text)
            .map(Typed::String)
            .ok_or_else(|| {
                format!(
                    "Expected password (one value), got {} values?",
                    as_list(value).len()
                )
            }),
        OptType::Path => {
            let text = single(value).and_then(scalar_text).ok_or_else(|| {
                format!(
                    "Expected path (one value), got {} values?",
                    as_list(value).len()
                )
            })?;
            if !std::path::Path::new(&text).exists() {
                return Err(format!("File does not exist or cannot be opened {text}"));
            }
            Ok(Typed::String(text))
        }
        OptType::Number => coerce_number(value),
        OptType::Boolean => {
            let Some(v) = single(value) else {
                return Err(format!("Expected boolean, got {}", value.inspect()));
            };
            match v {
                Value::Bool(b) => Ok(Typed::Bool(*b)),
                Value::String(s) | Value::Bareword(s) if s == "true" || s == "false" => {
                    Ok(Typed::Bool(s == "true"))
                }
                other => Err(format!(
                    "Expected boolean 'true' or 'false', got {}",
                    other.inspect()
                )),
            }
        }
        OptType::Bytes => {
            let text = single(value).and_then(scalar_text).unwrap_or_default();
            parse_bytes(&text).map(|b| Typed::Number(Number::Integer(b))).ok_or_else(|| {
                format!("Unparseable filesize: {text}. possible units (KiB, MiB, ...) e.g. '10 KiB'. doc reference: http://www.elastic.co/guide/en/logstash/current/configuration.html#bytes")
            })
        }
        OptType::OneOf(allowed) => {
            let list = as_list(value);
            let shown = format!(
                "[{}]",
                list.iter()
                    .map(|v| v.inspect())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let err = || format!("Expected one of {}, got {shown}", ruby_list(allowed));
            if list.len() != 1 {
                return Err(err());
            }
            match scalar_text(list[0]) {
                Some(s) if allowed.contains(&s.as_str()) => Ok(Typed::String(s)),
                _ => Err(err()),
            }
        }
    }
}

/// The one value of a scalar or of a one-element array.
fn single(value: &Value) -> Option<&Value> {
    match value {
        Value::Array(items) if items.len() == 1 => Some(&items[0]),
        Value::Array(_) | Value::Hash(_) | Value::Plugin(_) => None,
        v => Some(v),
    }
}

fn coerce_number(value: &Value) -> std::result::Result<Typed, String> {
    let Some(v) = single(value) else {
        return Err(format!(
            "Expected number, got {} (type Array)",
            value.inspect()
        ));
    };
    match v {
        Value::Number(n) => Ok(Typed::Number(*n)),
        Value::String(s) | Value::Bareword(s) => {
            let t = s.as_str();
            if let Ok(i) = t.parse::<i64>() {
                return Ok(Typed::Number(Number::Integer(i)));
            }
            match t.parse::<f64>() {
                Ok(f) if f.is_finite() && t.contains('.') => Ok(Typed::Number(Number::Float(f))),
                _ => Err(format!("Expected number, got {t:?} (type {t})")),
            }
        }
        other => Err(format!(
            "Expected number, got {} (type {})",
            other.inspect(),
            other.type_name()
        )),
    }
}

fn coerce_hash(value: &Value) -> std::result::Result<Typed, String> {
    match value {
        Value::Hash(entries) => Ok(Typed::Hash(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect(),
        )),
        other => {
            let list = as_list(other);
            if list.len() % 2 == 1 {
                return Err(format!(
                    "This field must contain an even number of items, got {}",
                    list.len()
                ));
            }
            let mut out: Vec<(String, Json)> = Vec::new();
            for pair in list.chunks(2) {
                let key = scalar_text(pair[0]).unwrap_or_else(|| pair[0].inspect());
                let v = pair[1].to_json();
                match out.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, Json::Array(items))) => items.push(v),
                    Some(entry) => {
                        let old = std::mem::take(&mut entry.1);
                        entry.1 = Json::Array(vec![old, v]);
                    }
                    None => out.push((key, v)),
                }
            }
            Ok(Typed::Hash(out))
        }
    }
}

/// `1024`, `"10 KiB"`, `"20mb"`, `"1.5 GB"` → bytes (binary for `KiB`, decimal for `kB`, like
/// the Ruby `filesize` gem Logstash uses).
fn parse_bytes(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(n) = t.parse::<i64>() {
        return Some(n);
    }
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = t.split_at(split);
    let num: f64 = num.parse().ok()?;
    let unit = unit.trim().to_ascii_lowercase();
    let mult: f64 = match unit.as_str() {
        "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "tb" | "t" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    #[allow(clippy::cast_possible_truncation)]
    Some((num * mult) as i64)
}
