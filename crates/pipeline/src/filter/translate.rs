//! `translate`: replaces a field's value through a dictionary (logstash-filter-translate 3.x).
//!
//! `source` (or the deprecated `field`) is looked up in `dictionary` (inline) or
//! `dictionary_path` (`.json`, `.csv` of `key,value` rows, or a flat `.yml`/`.yaml` map of
//! `key: value` lines), exactly, or with `regex => true` as regexes tried in order. The result
//! goes to `target` (deprecated `destination`; ECS default: the source field itself,
//! legacy: `translation`); an existing target is kept unless `override` (implied when the
//! target is the source). Without a match, `fallback` (sprintf'd) if set. The file is read at
//! start-up; `refresh_interval` is accepted, the file is not re-read while running.

use log_model::{FieldRef, LogEvent};
use regex::Regex;
use serde_json::Value as Json;

use super::{Common, Filter, FilterOutcome, Sprintf, field_ref};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings, json_text};

pub(super) fn schema() -> Schema {
    use OptType as T;
    Schema::new(
        PluginKind::Filter,
        "translate",
        vec![
            OptSpec::new("source", T::String),
            OptSpec::new("field", T::String),
            OptSpec::new("target", T::String),
            OptSpec::new("destination", T::String),
            OptSpec::new("dictionary", T::Hash),
            OptSpec::new("dictionary_path", T::Path),
            OptSpec::new("exact", T::Boolean).default(Default::Bool(true)),
            OptSpec::new("regex", T::Boolean).default(Default::Bool(false)),
            OptSpec::new("override", T::Boolean),
            OptSpec::new("fallback", T::String),
            OptSpec::new("refresh_interval", T::Number).default(Default::Int(300)),
            OptSpec::new("refresh_behaviour", T::OneOf(&["merge", "replace"]))
                .default(Default::Str("merge")),
            OptSpec::new("iterate_on", T::String),
            OptSpec::new("yaml_dictionary_code_point_limit", T::Number),
            OptSpec::new("ecs_compatibility", T::OneOf(&["disabled", "v1", "v8"])),
        ],
    )
}

/// Reads a dictionary file by its extension.
fn load(path: &str) -> std::result::Result<Vec<(String, Json)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".json") {
        let v: Json = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        let Json::Object(map) = v else {
            return Err(format!("{path}: a JSON dictionary must be an object"));
        };
        return Ok(map.into_iter().collect());
    }
    if lower.ends_with(".csv") {
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let cols = super::csv::split(line, ',', '"')
                .filter(|c| c.len() >= 2)
                .ok_or_else(|| format!("{path}:{}: expected key,value", n + 1))?;
            out.push((cols[0].clone(), Json::String(cols[1].clone())));
        }
        return Ok(out);
    }
    if lower.ends_with(".yml") || lower.ends_with(".yaml") {
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') || t == "---" {
                continue;
            }
            let (k, v) = yaml_pair(t).ok_or_else(|| {
                format!(
                    "{path}:{}: only flat `key: value` YAML maps are supported",
                    n + 1
                )
            })?;
            out.push((k, Json::String(v)));
        }
        return Ok(out);
    }
    Err(format!(
        "{path}: dictionary files must end in .json, .csv, .yml or .yaml"
    ))
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return s[1..s.len() - 1].to_owned();
        }
    }
    s.to_owned()
}

fn yaml_pair(line: &str) -> Option<(String, String)> {
    let (k, v) = if let Some(q) = line.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let end = line[1..].find(q)? + 1;
        let rest = line[end + 1..].trim_start().strip_prefix(':')?;
        (line[1..end].to_owned(), rest)
    } else {
        let (k, v) = line
            .split_once(": ")
            .or_else(|| line.strip_suffix(':').map(|k| (k, "")))?;
        (k.trim().to_owned(), v)
    };
    Some((k, unquote(v)))
}

pub(super) fn build(settings: &Settings, common: Common) -> Result<Box<dyn Filter>> {
    let source = settings
        .string("source")
        .or_else(|| settings.string("field"))
        .ok_or_else(|| settings.invalid("source", "one of source or field is required"))?;
    let ecs = settings.string("ecs_compatibility") != Some("disabled");
    let target = settings
        .string("target")
        .or_else(|| settings.string("destination"))
        .unwrap_or(if ecs { source } else { "translation" });
    let mut dict: Vec<(String, Json)> = settings.hash("dictionary").unwrap_or_default().to_vec();
    if let Some(path) = settings.string("dictionary_path") {
        dict.extend(load(path).map_err(|e| settings.invalid("dictionary_path", &e))?);
    }
    if settings.is_set("iterate_on") {
        return Err(settings.invalid("iterate_on", "iterate_on is not supported by sluice-agent"));
    }
    let regex = settings.boolean("regex").unwrap_or(false);
    let mut regexes = Vec::new();
    if regex {
        for (k, v) in &dict {
            let r = Regex::new(k).map_err(|e| {
                settings.invalid("dictionary", &format!("invalid regex {k:?}: {e}"))
            })?;
            regexes.push((r, v.clone()));
        }
    }
    let same = source == target;
    Ok(Box::new(Translate {
        source: field_ref(source).ok_or_else(|| settings.invalid("source", "invalid field"))?,
        target: field_ref(target).ok_or_else(|| settings.invalid("target", "invalid field"))?,
        dict,
        regexes,
        exact: settings.boolean("exact").unwrap_or(true),
        regex,
        override_: settings.boolean("override").unwrap_or(same),
        fallback: settings.string("fallback").map(Sprintf::new),
        common,
    }))
}

#[derive(Debug)]
struct Translate {
    common: Common,
    source: FieldRef,
    target: FieldRef,
    dict: Vec<(String, Json)>,
    regexes: Vec<(Regex, Json)>,
    exact: bool,
    regex: bool,
    override_: bool,
    fallback: Option<Sprintf>,
}

impl Translate {
    fn lookup(&self, key: &str) -> Option<Json> {
        if self.regex {
            return self
                .regexes
                .iter()
                .find(|(r, _)| {
                    if self.exact {
                        r.find(key).is_some_and(|m| m.as_str() == key)
                    } else {
                        r.is_match(key)
                    }
                })
                .map(|(_, v)| v.clone());
        }
        if self.exact {
            return self
                .dict
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone());
        }
        // exact => false: every occurrence of a key inside the value is replaced
        let mut out = key.to_owned();
        let mut hit = false;
        for (k, v) in &self.dict {
            if !k.is_empty() && out.contains(k.as_str()) {
                out = out.replace(k.as_str(), &json_text(v));
                hit = true;
            }
        }
        hit.then(|| Json::String(out))
    }
}

impl Filter for Translate {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        if !self.override_ && event.get(&self.target).is_some() {
            return FilterOutcome::Keep;
        }
        let key = match event.get(&self.source) {
            None | Some(Json::Null) => return FilterOutcome::Keep,
            Some(Json::Array(items)) => items.first().map(json_text).unwrap_or_default(),
            Some(v) => json_text(v),
        };
        let value = self.lookup(&key).or_else(|| {
            self.fallback
                .as_ref()
                .map(|f| Json::String(f.render(event)))
        });
        if let Some(v) = value {
            event.insert(&self.target, v);
            self.common.matched(event);
        }
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "translate"
    }
}
