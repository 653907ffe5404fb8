//! `prune`: removes top-level fields by name or value regexes (logstash-filter-prune).
//!
//! `whitelist_names` keeps only fields whose name matches one of them; `blacklist_names`
//! removes matching names; `whitelist_values` / `blacklist_values` (`{ field => regex }`) keep or
//! remove a field by its value. `@timestamp` is never removed (an event always has one).
//! With `interpolate`, `%{field}` in the regexes is filled from the event first.

use log_model::LogEvent;
use regex::Regex;
use serde_json::Value as Json;

use super::{Common, Filter, FilterOutcome, Sprintf};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings, json_text};

pub(super) fn schema() -> Schema {
    use OptType as T;
    Schema::new(
        PluginKind::Filter,
        "prune",
        vec![
            OptSpec::new("interpolate", T::Boolean).default(Default::Bool(false)),
            OptSpec::new("whitelist_names", T::Array).default(Default::List(&[])),
            OptSpec::new("blacklist_names", T::Array).default(Default::List(&[r"%\{[^}]+\}"])),
            OptSpec::new("whitelist_values", T::Hash),
            OptSpec::new("blacklist_values", T::Hash),
        ],
    )
}

#[derive(Debug)]
enum Re {
    Fixed(Regex),
    Template(Sprintf),
}

impl Re {
    fn new(s: &str, interpolate: bool) -> std::result::Result<Self, String> {
        if interpolate && s.contains("%{") {
            return Ok(Re::Template(Sprintf::new(s)));
        }
        Regex::new(s)
            .map(Re::Fixed)
            .map_err(|e| format!("invalid regex {s:?}: {e}"))
    }

    fn is_match(&self, event: &LogEvent, text: &str) -> bool {
        match self {
            Re::Fixed(r) => r.is_match(text),
            Re::Template(t) => Regex::new(&t.render(event)).is_ok_and(|r| r.is_match(text)),
        }
    }
}

pub(super) fn build(settings: &Settings, common: Common) -> Result<Box<dyn Filter>> {
    let interpolate = settings.boolean("interpolate").unwrap_or(false);
    let list = |name: &str| -> Result<Vec<Re>> {
        settings
            .strings(name)
            .iter()
            .map(|s| Re::new(s, interpolate).map_err(|e| settings.invalid(name, &e)))
            .collect()
    };
    let hash = |name: &str| -> Result<Vec<(String, Re)>> {
        let mut out = Vec::new();
        for (k, v) in settings.hash(name).unwrap_or_default() {
            let items = match v {
                Json::Array(a) => a.iter().map(json_text).collect(),
                other => vec![json_text(other)],
            };
            for i in items {
                out.push((
                    k.clone(),
                    Re::new(&i, interpolate).map_err(|e| settings.invalid(name, &e))?,
                ));
            }
        }
        Ok(out)
    };
    Ok(Box::new(Prune {
        whitelist_names: list("whitelist_names")?,
        blacklist_names: list("blacklist_names")?,
        whitelist_values: hash("whitelist_values")?,
        blacklist_values: hash("blacklist_values")?,
        common,
    }))
}

#[derive(Debug)]
struct Prune {
    common: Common,
    whitelist_names: Vec<Re>,
    blacklist_names: Vec<Re>,
    whitelist_values: Vec<(String, Re)>,
    blacklist_values: Vec<(String, Re)>,
}

impl Filter for Prune {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        let names: Vec<String> = event.as_map().keys().cloned().collect();
        let mut remove = Vec::new();
        for name in &names {
            if name == "@timestamp" {
                continue;
            }
            let value = event.as_map().get(name).map(json_text).unwrap_or_default();
            let mut gone = !self.whitelist_names.is_empty()
                && !self.whitelist_names.iter().any(|r| r.is_match(event, name));
            gone |= self.blacklist_names.iter().any(|r| r.is_match(event, name));
            let wl: Vec<&Re> = self
                .whitelist_values
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, r)| r)
                .collect();
            if !wl.is_empty() && !wl.iter().any(|r| r.is_match(event, &value)) {
                gone = true;
            }
            gone |= self
                .blacklist_values
                .iter()
                .any(|(k, r)| k == name && r.is_match(event, &value));
            if gone {
                remove.push(name.clone());
            }
        }
        for name in remove {
            event.remove_field(&name);
        }
        self.common.matched(event);
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "prune"
    }
}
