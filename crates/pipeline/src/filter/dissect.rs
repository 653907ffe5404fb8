//! `dissect`: splits a field by the literal delimiters of a pattern (logstash-filter-dissect).
//!
//! `%{name}` takes the text up to the next delimiter (the last field takes the rest); `%{}` and
//! `%{?name}` skip; `%{+name}` appends to `name` with a space (`%{+name/2}` orders the parts);
//! `%{&name}` names a field by the value of the skipped `%{?name}`; `%{name->}` also skips
//! repeats of the delimiter that follows. A text that does not fit tags `_dissectfailure`.
//! `convert_datatype` turns fields into `int` or `float`.

use log_model::{FieldRef, LogEvent};
use serde_json::Value as Json;

use super::{Common, Filter, FilterOutcome, field_ref, tag_list};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings, json_text};

pub(super) fn schema() -> Schema {
    use OptType as T;
    Schema::new(
        PluginKind::Filter,
        "dissect",
        vec![
            OptSpec::new("mapping", T::Hash),
            OptSpec::new("convert_datatype", T::Hash),
            OptSpec::new("tag_on_failure", T::Array).default(Default::List(&["_dissectfailure"])),
        ],
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Normal,
    Skip,
    Append(u32),
    /// `%{?name}`: kept for `%{&name}`.
    Named,
    Indirect,
}

#[derive(Debug, Clone)]
struct Key {
    name: String,
    kind: Kind,
    pad: bool,
}

/// A compiled pattern: a leading literal, then fields each followed by a delimiter (the last
/// one's may be empty).
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    prefix: String,
    fields: Vec<(Key, String)>,
}

impl Pattern {
    pub(crate) fn parse(text: &str) -> std::result::Result<Self, String> {
        let mut rest = text;
        let prefix_end = rest.find("%{").unwrap_or(rest.len());
        let prefix = rest[..prefix_end].to_owned();
        rest = &rest[prefix_end..];
        let mut fields = Vec::new();
        while let Some(after) = rest.strip_prefix("%{") {
            let end = after
                .find('}')
                .ok_or_else(|| format!("unterminated %{{ in dissect pattern {text:?}"))?;
            let key = parse_key(&after[..end]);
            rest = &after[end + 1..];
            let delim_end = rest.find("%{").unwrap_or(rest.len());
            let delim = rest[..delim_end].to_owned();
            rest = &rest[delim_end..];
            if delim.is_empty() && !rest.is_empty() {
                return Err(format!(
                    "dissect pattern {text:?} has two fields with no delimiter between them"
                ));
            }
            fields.push((key, delim));
        }
        Ok(Self { prefix, fields })
    }

    /// The (key, value) pairs, or `None` when the text does not fit.
    fn apply<'t>(&self, text: &'t str) -> Option<Vec<(&Key, &'t str)>> {
        let mut rest = text.strip_prefix(self.prefix.as_str())?;
        let mut out = Vec::with_capacity(self.fields.len());
        let last = self.fields.len().saturating_sub(1);
        for (i, (key, delim)) in self.fields.iter().enumerate() {
            let value = if delim.is_empty() {
                std::mem::take(&mut rest)
            } else if i == last {
                // the last delimiter ends the text
                let at = rest.find(delim.as_str())?;
                let v = &rest[..at];
                rest = "";
                v
            } else {
                let at = rest.find(delim.as_str())?;
                let v = &rest[..at];
                rest = &rest[at + delim.len()..];
                if key.pad {
                    while let Some(r) = rest.strip_prefix(delim.as_str()) {
                        rest = r;
                    }
                }
                v
            };
            out.push((key, value));
        }
        Some(out)
    }
}

fn parse_key(spec: &str) -> Key {
    let (spec, pad) = match spec.strip_suffix("->") {
        Some(s) => (s, true),
        None => (spec, false),
    };
    let (kind, name) = if spec.is_empty() {
        (Kind::Skip, "")
    } else if let Some(n) = spec.strip_prefix('?') {
        (Kind::Named, n)
    } else if let Some(n) = spec.strip_prefix('&') {
        (Kind::Indirect, n)
    } else if let Some(n) = spec.strip_prefix('+') {
        match n.rsplit_once('/') {
            Some((n, ord)) => (Kind::Append(ord.parse().unwrap_or(0)), n),
            None => (Kind::Append(0), n),
        }
    } else {
        (Kind::Normal, spec)
    };
    Key {
        name: name.to_owned(),
        kind,
        pad,
    }
}

pub(super) fn build(settings: &Settings, common: Common) -> Result<Box<dyn Filter>> {
    let mut mapping = Vec::new();
    for (field, pattern) in settings.hash("mapping").unwrap_or_default() {
        let source = field_ref(field)
            .ok_or_else(|| settings.invalid("mapping", &format!("invalid field {field:?}")))?;
        let p = Pattern::parse(&json_text(pattern)).map_err(|e| settings.invalid("mapping", &e))?;
        mapping.push((source, p));
    }
    let mut convert = Vec::new();
    for (field, ty) in settings.hash("convert_datatype").unwrap_or_default() {
        let ty = json_text(ty);
        if ty != "int" && ty != "float" {
            return Err(settings.invalid(
                "convert_datatype",
                &format!("unknown type {ty:?} for {field} (int or float)"),
            ));
        }
        let path = field_ref(field).ok_or_else(|| {
            settings.invalid("convert_datatype", &format!("invalid field {field:?}"))
        })?;
        convert.push((path, ty == "int"));
    }
    Ok(Box::new(Dissect {
        mapping,
        convert,
        tag_on_failure: tag_list(settings, "tag_on_failure"),
        common,
    }))
}

#[derive(Debug)]
struct Dissect {
    common: Common,
    mapping: Vec<(FieldRef, Pattern)>,
    convert: Vec<(FieldRef, bool)>,
    tag_on_failure: Vec<String>,
}

impl Filter for Dissect {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        let mut ok = true;
        for (source, pattern) in &self.mapping {
            let Some(Json::String(text)) = event.get(source).cloned() else {
                ok = false;
                continue;
            };
            let Some(pairs) = pattern.apply(&text) else {
                ok = false;
                continue;
            };
            let mut named: Vec<(&str, &str)> = Vec::new();
            let mut appends: Vec<(&str, u32, usize, &str)> = Vec::new();
            for (n, (key, value)) in pairs.iter().enumerate() {
                match key.kind {
                    Kind::Normal => {
                        if let Some(p) = field_ref(&key.name) {
                            event.insert(&p, Json::String((*value).to_owned()));
                        }
                    }
                    Kind::Named => named.push((&key.name, value)),
                    Kind::Indirect => {
                        let name = named.iter().find(|(k, _)| *k == key.name).map(|(_, v)| *v);
                        if let Some(p) = name.and_then(field_ref) {
                            event.insert(&p, Json::String((*value).to_owned()));
                        }
                    }
                    Kind::Append(ord) => appends.push((&key.name, ord, n, value)),
                    Kind::Skip => {}
                }
            }
            appends.sort_by_key(|(name, ord, n, _)| (*name, *ord, *n));
            let mut i = 0;
            while i < appends.len() {
                let name = appends[i].0;
                let parts: Vec<&str> = appends[i..]
                    .iter()
                    .take_while(|a| a.0 == name)
                    .map(|a| a.3)
                    .collect();
                i += parts.len();
                if let Some(p) = field_ref(name) {
                    let joined = match event.get(&p) {
                        Some(Json::String(prev)) => format!("{prev} {}", parts.join(" ")),
                        _ => parts.join(" "),
                    };
                    event.insert(&p, Json::String(joined));
                }
            }
        }
        if !ok {
            self.common.failed(event, &self.tag_on_failure);
            return FilterOutcome::Keep;
        }
        for (path, int) in &self.convert {
            let Some(Json::String(s)) = event.get(path) else {
                continue;
            };
            let v = if *int {
                s.trim().parse::<i64>().ok().map(Json::from)
            } else {
                s.trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Json::Number)
            };
            if let Some(v) = v {
                event.insert(path, v);
            }
        }
        self.common.matched(event);
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "dissect"
    }

    fn failures(&self) -> u64 {
        self.common.failures()
    }
}
