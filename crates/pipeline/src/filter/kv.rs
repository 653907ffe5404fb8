//! `kv`: `key=value` pairs from a field (logstash-filter-kv).
//!
//! `field_split` and `value_split` are sets of characters (as Logstash's); values may be quoted
//! (`"..."`, `'...'`) and, with `include_brackets` (default), bracketed (`(...)`, `[...]`,
//! `<...>`); the quotes and brackets are removed. A key seen twice becomes an array (only of
//! distinct values unless `allow_duplicate_values`). Empty values are dropped unless
//! `allow_empty_values`. Keys get `prefix`; `include_keys` / `exclude_keys` filter them;
//! `default_keys` fill what is missing. Parsing is linear in the input: no regex runs on it.

use std::collections::HashSet;

use log_model::{FieldRef, LogEvent};
use serde_json::{Map, Value as Json};

use super::{Common, Filter, FilterOutcome, field_ref, render_json};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings, json_text};

pub(super) fn schema() -> Schema {
    use OptType as T;
    let transform = || T::OneOf(&["lowercase", "uppercase", "capitalize"]);
    Schema::new(
        PluginKind::Filter,
        "kv",
        vec![
            OptSpec::new("source", T::String).default(Default::Str("message")),
            OptSpec::new("target", T::String),
            OptSpec::new("field_split", T::String).default(Default::Str(" ")),
            OptSpec::new("value_split", T::String).default(Default::Str("=")),
            OptSpec::new("field_split_pattern", T::String),
            OptSpec::new("value_split_pattern", T::String),
            OptSpec::new("trim_key", T::String),
            OptSpec::new("trim_value", T::String),
            OptSpec::new("remove_char_key", T::String),
            OptSpec::new("remove_char_value", T::String),
            OptSpec::new("prefix", T::String).default(Default::Str("")),
            OptSpec::new("include_keys", T::Array).default(Default::List(&[])),
            OptSpec::new("exclude_keys", T::Array).default(Default::List(&[])),
            OptSpec::new("default_keys", T::Hash),
            OptSpec::new("allow_duplicate_values", T::Boolean).default(Default::Bool(true)),
            OptSpec::new("allow_empty_values", T::Boolean).default(Default::Bool(false)),
            OptSpec::new("include_brackets", T::Boolean).default(Default::Bool(true)),
            OptSpec::new("recursive", T::Boolean).default(Default::Bool(false)),
            OptSpec::new("transform_key", transform()),
            OptSpec::new("transform_value", transform()),
            OptSpec::new("whitespace", T::OneOf(&["lenient", "strict"]))
                .default(Default::Str("lenient")),
            OptSpec::new("tag_on_failure", T::Array).default(Default::List(&["_kv_filter_error"])),
            OptSpec::new("tag_on_timeout", T::String).default(Default::Str("_kv_filter_timeout")),
            OptSpec::new("timeout_millis", T::Number).default(Default::Int(30_000)),
            OptSpec::new("ecs_compatibility", T::OneOf(&["disabled", "v1", "v8"])),
        ],
    )
}

pub(super) fn build(settings: &Settings, common: Common) -> Result<Box<dyn Filter>> {
    for unsupported in ["field_split_pattern", "value_split_pattern"] {
        if settings.is_set(unsupported) {
            return Err(settings.invalid(
                unsupported,
                &format!(
                    "{unsupported} is not supported by sluice-agent; use field_split / value_split"
                ),
            ));
        }
    }
    let set =
        |name: &str| -> Vec<char> { settings.string(name).unwrap_or_default().chars().collect() };
    let source = settings.string("source").unwrap_or("message");
    Ok(Box::new(Kv {
        source: field_ref(source)
            .ok_or_else(|| settings.invalid("source", "source must name a field"))?,
        target: settings.string("target").and_then(field_ref),
        field_split: unescape(&set("field_split")),
        value_split: unescape(&set("value_split")),
        trim_key: set("trim_key"),
        trim_value: set("trim_value"),
        remove_key: set("remove_char_key"),
        remove_value: set("remove_char_value"),
        prefix: settings.string("prefix").unwrap_or_default().to_owned(),
        include: settings.strings("include_keys").into_iter().collect(),
        exclude: settings.strings("exclude_keys").into_iter().collect(),
        defaults: settings
            .hash("default_keys")
            .unwrap_or_default()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        duplicates: settings.boolean("allow_duplicate_values").unwrap_or(true),
        empty: settings.boolean("allow_empty_values").unwrap_or(false),
        brackets: settings.boolean("include_brackets").unwrap_or(true),
        transform_key: settings.string("transform_key").map(str::to_owned),
        transform_value: settings.string("transform_value").map(str::to_owned),
        common,
    }))
}

/// `\t`, `\n`, `\r` written as escapes in a set (Logstash's `field_split => "\t"`).
fn unescape(chars: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len());
    let mut it = chars.iter().peekable();
    while let Some(&c) = it.next() {
        if c == '\\' {
            match it.peek() {
                Some('t') => {
                    it.next();
                    out.push('\t');
                    continue;
                }
                Some('n') => {
                    it.next();
                    out.push('\n');
                    continue;
                }
                Some('r') => {
                    it.next();
                    out.push('\r');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

#[derive(Debug)]
struct Kv {
    common: Common,
    source: FieldRef,
    target: Option<FieldRef>,
    field_split: Vec<char>,
    value_split: Vec<char>,
    trim_key: Vec<char>,
    trim_value: Vec<char>,
    remove_key: Vec<char>,
    remove_value: Vec<char>,
    prefix: String,
    include: HashSet<String>,
    exclude: HashSet<String>,
    defaults: Vec<(String, Json)>,
    duplicates: bool,
    empty: bool,
    brackets: bool,
    transform_key: Option<String>,
    transform_value: Option<String>,
}

fn closing(open: char, brackets: bool) -> Option<char> {
    match open {
        '"' => Some('"'),
        '\'' => Some('\''),
        '(' if brackets => Some(')'),
        '[' if brackets => Some(']'),
        '<' if brackets => Some('>'),
        _ => None,
    }
}

fn transform(s: String, how: Option<&str>) -> String {
    match how {
        Some("lowercase") => s.to_lowercase(),
        Some("uppercase") => s.to_uppercase(),
        Some("capitalize") => {
            let mut c = s.chars();
            c.next().map_or_else(String::new, |f| {
                f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase()
            })
        }
        _ => s,
    }
}

impl Kv {
    /// The pairs of `text`, in order.
    fn pairs(&self, text: &str) -> Vec<(String, String)> {
        let chars: Vec<char> = text.chars().collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            // skip separators
            while i < chars.len() && self.field_split.contains(&chars[i]) {
                i += 1;
            }
            let key_start = i;
            while i < chars.len()
                && !self.value_split.contains(&chars[i])
                && !self.field_split.contains(&chars[i])
            {
                i += 1;
            }
            if i >= chars.len() || !self.value_split.contains(&chars[i]) {
                continue; // a token without value_split is not a pair
            }
            let key: String = chars[key_start..i].iter().collect();
            i += 1;
            let value: String = match chars.get(i).and_then(|&c| closing(c, self.brackets)) {
                Some(close) => match chars[i + 1..].iter().position(|&c| c == close) {
                    Some(len) => {
                        let v = chars[i + 1..i + 1 + len].iter().collect();
                        i += len + 2;
                        v
                    }
                    None => self.bare(&chars, &mut i),
                },
                None => self.bare(&chars, &mut i),
            };
            if key.is_empty() {
                continue;
            }
            out.push((key, value));
        }
        out
    }

    fn bare(&self, chars: &[char], i: &mut usize) -> String {
        let start = *i;
        while *i < chars.len() && !self.field_split.contains(&chars[*i]) {
            *i += 1;
        }
        chars[start..*i].iter().collect()
    }
}

impl Filter for Kv {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        let text = match event.get(&self.source) {
            None | Some(Json::Null) => return FilterOutcome::Keep,
            Some(Json::String(s)) => s.clone(),
            Some(Json::Array(items)) => items.iter().map(json_text).collect::<Vec<_>>().join(" "),
            Some(other) => json_text(other),
        };
        let mut found: Map<String, Json> = Map::new();
        for (k, v) in self.pairs(&text) {
            let k: String = k
                .trim_matches(|c| self.trim_key.contains(&c))
                .chars()
                .filter(|c| !self.remove_key.contains(c))
                .collect();
            let v: String = v
                .trim_matches(|c| self.trim_value.contains(&c))
                .chars()
                .filter(|c| !self.remove_value.contains(c))
                .collect();
            if k.is_empty() || (v.is_empty() && !self.empty) {
                continue;
            }
            if (!self.include.is_empty() && !self.include.contains(&k)) || self.exclude.contains(&k)
            {
                continue;
            }
            let k = transform(format!("{}{k}", self.prefix), self.transform_key.as_deref());
            let v = Json::String(transform(v, self.transform_value.as_deref()));
            match found.get_mut(&k) {
                None => {
                    found.insert(k, v);
                }
                Some(Json::Array(items)) => {
                    if self.duplicates || !items.contains(&v) {
                        items.push(v);
                    }
                }
                Some(existing) => {
                    if self.duplicates || *existing != v {
                        let old = existing.take();
                        *existing = Json::Array(vec![old, v]);
                    }
                }
            }
        }
        for (k, v) in &self.defaults {
            if !found.contains_key(k) {
                found.insert(k.clone(), render_json(v, event));
            }
        }
        match &self.target {
            Some(t) => {
                event.insert(t, Json::Object(found));
            }
            None => {
                for (k, v) in found {
                    if let Some(path) = field_ref(&k) {
                        event.insert(&path, v);
                    }
                }
            }
        }
        self.common.matched(event);
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "kv"
    }
}
