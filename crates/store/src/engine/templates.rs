//! Composable index templates and component templates (`_index_template`,
//! `_component_template`), applied when an index is created, as Logstash's elasticsearch output
//! and the Beats install them at start-up. Kept in `templates.json` in the data directory.
//!
//! Composition, as Elasticsearch does it: the matching index template with the highest
//! `priority`, its `composed_of` component templates in order, then its own `template`, then the
//! create-index request itself; settings later-wins by key, mappings later-wins by field (object
//! fields merge their `properties`). Two index templates whose patterns overlap at the same
//! priority are refused. A template with `data_stream` makes data streams
//! (`engine::data_streams`) of the names it matches; a template's `aliases` are added to the indices
//! it makes (later layers win per alias name), not to data streams (refused by name).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use parking_lot::RwLock;
use serde_json::{Map, Value, json};

use crate::engine::settings::parse_settings;
use crate::engine::util::wildcard_match;
use crate::error::{Error, Result};
use crate::mapping::Mapping;

const FILE: &str = "templates.json";
/// How deep a template body may nest (it is reread at start: well under serde_json's limit).
const MAX_DEPTH: usize = 64;

/// The templates of one store.
pub struct Templates {
    dir: PathBuf,
    set: RwLock<Set>,
}

#[derive(Default, Clone)]
struct Set {
    index: BTreeMap<String, Value>,
    component: BTreeMap<String, Value>,
}

/// Which kind of template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `_index_template`
    Index,
    /// `_component_template`
    Component,
}

impl Templates {
    /// Reads `templates.json` from `dir` (none yet: no templates).
    ///
    /// # Errors
    /// An unreadable or corrupt file.
    pub fn open(dir: &Path) -> Result<Templates> {
        let path = dir.join(FILE);
        let mut set = Set::default();
        match fs::read(&path) {
            Ok(bytes) => {
                let v: Value = serde_json::from_slice(&bytes)
                    .map_err(|e| Error::es(500, "exception", format!("corrupt {FILE}: {e}")))?;
                for (key, map) in [
                    ("index_templates", &mut set.index),
                    ("component_templates", &mut set.component),
                ] {
                    if let Some(Value::Object(m)) = v.get(key) {
                        map.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&path, e)),
        }
        Ok(Templates {
            dir: dir.to_owned(),
            set: RwLock::new(set),
        })
    }

    fn save(&self, set: &Set) -> Result<()> {
        let v = json!({"index_templates": set.index, "component_templates": set.component});
        crate::engine::util::write_json_atomic(&self.dir, FILE, &v)
    }

    /// `PUT /_index_template/{name}` or `/_component_template/{name}` (`create`: refuse to
    /// replace).
    ///
    /// # Errors
    /// Elasticsearch's for an invalid body, a missing component, overlapping patterns.
    pub fn put(&self, kind: Kind, name: &str, body: &Value, create: bool) -> Result<Value> {
        if name.is_empty()
            || name.contains(['*', ' ', ',', '"', '\\', '/', '?', '<', '>', '|', '#'])
        {
            return Err(Error::es(
                400,
                "invalid_index_template_exception",
                format!(
                    "index_template [{name}] invalid, cause [name must not contain a space, ',', '\"', '*', '\\', '/', '?', '<', '>', '|', '#']"
                ),
            ));
        }
        if depth(body) > MAX_DEPTH {
            return Err(Error::x_content(format!(
                "[1:1] the template [{name}] nests deeper than {MAX_DEPTH} levels"
            )));
        }
        let normal = match kind {
            Kind::Index => normalize_index(body)?,
            Kind::Component => normalize_component(body)?,
        };
        let mut set = self.set.write();
        let map = match kind {
            Kind::Index => &set.index,
            Kind::Component => &set.component,
        };
        if create && map.contains_key(name) {
            let what = match kind {
                Kind::Index => "index template",
                Kind::Component => "component template",
            };
            return Err(Error::illegal_argument(format!(
                "{what} [{name}] already exists"
            )));
        }
        if kind == Kind::Index {
            let missing: Vec<&str> = strings(&normal["composed_of"])
                .into_iter()
                .filter(|c| !set.component.contains_key(*c))
                .collect();
            if !missing.is_empty() {
                return Err(Error::illegal_argument(format!(
                    "index template [{name}] specifies component templates {missing:?} that do not exist"
                )));
            }
            let prio = priority(&normal);
            let mine = strings(&normal["index_patterns"]);
            for (other, t) in &set.index {
                if other == name || priority(t) != prio {
                    continue;
                }
                let theirs = strings(&t["index_patterns"]);
                let overlap = mine.iter().any(|a| {
                    theirs
                        .iter()
                        .any(|b| wildcard_match(a, b) || wildcard_match(b, a))
                });
                if overlap {
                    return Err(Error::illegal_argument(format!(
                        "index template [{name}] has index patterns {mine:?} matching patterns \
                         from existing templates [{other}] with patterns ({other} => {theirs:?}) \
                         that have the same priority [{prio}], multiple index templates may not \
                         match during index creation, please use a different priority"
                    )));
                }
            }
        } else {
            // a replaced component template must still compose with its users
            let mut trial = set.clone();
            trial.component.insert(name.to_owned(), normal.clone());
            for (user, t) in &set.index {
                if strings(&t["composed_of"]).contains(&name) {
                    compose(&trial, t, None).map_err(|e| {
                        Error::illegal_argument(format!(
                            "updating component template [{name}] results in invalid composable \
                             template [{user}] after templates are merged: {}",
                            e.reason()
                        ))
                    })?;
                }
            }
        }
        let mut next = set.clone();
        match kind {
            Kind::Index => next.index.insert(name.to_owned(), normal),
            Kind::Component => next.component.insert(name.to_owned(), normal),
        };
        self.save(&next)?;
        *set = next;
        Ok(json!({"acknowledged": true}))
    }

    /// `GET /_index_template[/{name}]` (a name may hold wildcards).
    ///
    /// # Errors
    /// 404 when a named template does not exist.
    pub fn get(&self, kind: Kind, name: Option<&str>) -> Result<Value> {
        let set = self.set.read();
        let (map, key, item) = match kind {
            Kind::Index => (&set.index, "index_templates", "index_template"),
            Kind::Component => (&set.component, "component_templates", "component_template"),
        };
        let list: Vec<Value> = map
            .iter()
            .filter(|(n, _)| name.is_none_or(|p| p.split(',').any(|p| wildcard_match(p, n))))
            .map(|(n, t)| json!({"name": n, item: t}))
            .collect();
        if let Some(n) = name
            && list.is_empty()
            && !n.contains('*')
        {
            let what = match kind {
                Kind::Index => "index template",
                Kind::Component => "component template",
            };
            return Err(Error::es(
                404,
                "resource_not_found_exception",
                format!("{what} matching [{n}] not found"),
            ));
        }
        Ok(json!({ key: list }))
    }

    /// The index templates whose settings name lifecycle policy `policy`.
    #[must_use]
    pub fn using_lifecycle(&self, policy: &str) -> Vec<String> {
        let set = self.set.read();
        set.index
            .iter()
            .filter(|(_, t)| {
                let s = &t["template"]["settings"];
                [
                    &s["index"]["lifecycle"]["name"],
                    &s["index.lifecycle.name"],
                    &s["lifecycle"]["name"],
                    &s["index"]["lifecycle.name"],
                ]
                .iter()
                .any(|v| v.as_str() == Some(policy))
            })
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Whether a template exists (`HEAD`).
    #[must_use]
    pub fn exists(&self, kind: Kind, name: &str) -> bool {
        let set = self.set.read();
        match kind {
            Kind::Index => set.index.contains_key(name),
            Kind::Component => set.component.contains_key(name),
        }
    }

    /// `DELETE`; a component template still used by an index template is refused.
    ///
    /// # Errors
    /// 404 when missing; 400 when in use.
    pub fn delete(&self, kind: Kind, name: &str) -> Result<Value> {
        let mut set = self.set.write();
        let exists = match kind {
            Kind::Index => set.index.contains_key(name),
            Kind::Component => set.component.contains_key(name),
        };
        if !exists {
            let what = match kind {
                Kind::Index => "index_template",
                Kind::Component => "component_template",
            };
            return Err(Error::es(
                404,
                "resource_not_found_exception",
                format!("{what} [{name}] missing"),
            ));
        }
        if kind == Kind::Component {
            let users: Vec<&String> = set
                .index
                .iter()
                .filter(|(_, t)| strings(&t["composed_of"]).contains(&name))
                .map(|(n, _)| n)
                .collect();
            if !users.is_empty() {
                return Err(Error::illegal_argument(format!(
                    "component templates [{name}] cannot be removed as they are still in use by \
                     index templates {users:?}"
                )));
            }
        }
        let mut next = set.clone();
        match kind {
            Kind::Index => next.index.remove(name),
            Kind::Component => next.component.remove(name),
        };
        self.save(&next)?;
        *set = next;
        Ok(json!({"acknowledged": true}))
    }

    /// The create-index body for `index`: the matching template composed with `request` (the
    /// body of `PUT /{index}`, or none for an auto-created index). `None` when no template
    /// matches and there is no request body.
    ///
    /// # Errors
    /// When the composed mappings or settings are invalid.
    pub fn body_for(&self, index: &str, request: Option<&Value>) -> Result<Option<Value>> {
        let set = self.set.read();
        match best(&set, index) {
            None => Ok(request.cloned()),
            Some((_, t)) => compose(&set, t, request).map(Some),
        }
    }
}

/// The index template that applies to `index`: the highest priority among those whose
/// patterns match (ties cannot exist: overlapping patterns at one priority are refused).
fn best<'a>(set: &'a Set, index: &str) -> Option<(&'a String, &'a Value)> {
    set.index
        .iter()
        .filter(|(_, t)| {
            strings(&t["index_patterns"])
                .iter()
                .any(|p| wildcard_match(p, index))
        })
        .max_by(|(an, a), (bn, b)| priority(a).cmp(&priority(b)).then(bn.cmp(an)))
}

impl Templates {
    /// When the template that applies to `name` makes data streams: its name and
    /// `data_stream.hidden`.
    pub fn data_stream_for(&self, name: &str) -> Option<(String, bool)> {
        let set = self.set.read();
        let (template, t) = best(&set, name)?;
        let ds = t.get("data_stream")?;
        Some((template.clone(), ds["hidden"].as_bool().unwrap_or(false)))
    }
}

fn depth(v: &Value) -> usize {
    // iterative: the body was parsed already, but its depth is what is bounded here
    let mut max = 0;
    let mut stack = vec![(v, 1usize)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            Value::Object(m) => stack.extend(m.values().map(|c| (c, d + 1))),
            Value::Array(a) => stack.extend(a.iter().map(|c| (c, d + 1))),
            _ => {}
        }
    }
    max
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn priority(t: &Value) -> u64 {
    t.get("priority").and_then(Value::as_u64).unwrap_or(0)
}

/// Checks an index template body and returns it in the shape `GET` answers.
fn normalize_index(body: &Value) -> Result<Value> {
    let Value::Object(m) = body else {
        return Err(Error::x_content(
            "[1:1] [index_template] expected an object",
        ));
    };
    let mut out = Map::new();
    for (k, v) in m {
        match k.as_str() {
            "index_patterns" => {
                let list: Vec<Value> = match v {
                    Value::String(s) => s.split(',').map(|p| Value::from(p.trim())).collect(),
                    Value::Array(a) if a.iter().all(Value::is_string) => a.clone(),
                    _ => return Err(field_error("index_template", k)),
                };
                out.insert(k.clone(), Value::Array(list));
            }
            "composed_of" => match v {
                Value::Array(a) if a.iter().all(Value::is_string) => {
                    out.insert(k.clone(), v.clone());
                }
                _ => return Err(field_error("index_template", k)),
            },
            "priority" | "version" => match v.as_u64() {
                Some(_) => {
                    out.insert(k.clone(), v.clone());
                }
                None => return Err(field_error("index_template", k)),
            },
            "_meta" => match v {
                Value::Object(_) => {
                    out.insert(k.clone(), v.clone());
                }
                _ => return Err(field_error("index_template", k)),
            },
            "allow_auto_create" | "deprecated" => match v {
                Value::Bool(_) => {
                    out.insert(k.clone(), v.clone());
                }
                _ => return Err(field_error("index_template", k)),
            },
            "template" => {
                out.insert(k.clone(), normalize_template(v)?);
            }
            "data_stream" => {
                out.insert(k.clone(), normalize_data_stream(v)?);
            }
            "ignore_missing_component_templates" => {
                return Err(Error::illegal_argument(
                    "[ignore_missing_component_templates] is not supported by sluice-store",
                ));
            }
            other => {
                return Err(Error::x_content(format!(
                    "[1:2] [index_template] unknown field [{other}]"
                )));
            }
        }
    }
    if strings(out.get("index_patterns").unwrap_or(&Value::Null)).is_empty() {
        return Err(Error::es(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: index patterns are missing;",
        ));
    }
    out.entry("composed_of").or_insert_with(|| json!([]));
    Ok(Value::Object(out))
}

/// `data_stream` of an index template: `hidden` and `allow_custom_routing` (custom routing
/// refused by name), shown with both as Elasticsearch 8 does.
fn normalize_data_stream(v: &Value) -> Result<Value> {
    let Value::Object(m) = v else {
        return Err(field_error("index_template", "data_stream"));
    };
    let mut hidden = false;
    for (k, v) in m {
        match (k.as_str(), v) {
            ("hidden", Value::Bool(b)) => hidden = *b,
            ("allow_custom_routing", Value::Bool(false)) => {}
            ("allow_custom_routing", Value::Bool(true)) => {
                return Err(Error::illegal_argument(
                    "[allow_custom_routing] of a data stream is not supported by sluice-store",
                ));
            }
            ("hidden" | "allow_custom_routing", _) => {
                return Err(field_error("index_template", "data_stream"));
            }
            ("failure_store", _) => {
                return Err(Error::illegal_argument(
                    "[failure_store] of a data stream is not supported by sluice-store",
                ));
            }
            (other, _) => {
                return Err(Error::x_content(format!(
                    "[1:2] [data_stream] unknown field [{other}]"
                )));
            }
        }
    }
    Ok(json!({"hidden": hidden, "allow_custom_routing": false}))
}

fn normalize_component(body: &Value) -> Result<Value> {
    let Value::Object(m) = body else {
        return Err(Error::x_content(
            "[1:1] [component_template] expected an object",
        ));
    };
    let mut out = Map::new();
    for (k, v) in m {
        match k.as_str() {
            "template" => {
                out.insert(k.clone(), normalize_template(v)?);
            }
            "version" => match v.as_u64() {
                Some(_) => {
                    out.insert(k.clone(), v.clone());
                }
                None => return Err(field_error("component_template", k)),
            },
            "_meta" => match v {
                Value::Object(_) => {
                    out.insert(k.clone(), v.clone());
                }
                _ => return Err(field_error("component_template", k)),
            },
            "deprecated" => match v {
                Value::Bool(_) => {
                    out.insert(k.clone(), v.clone());
                }
                _ => return Err(field_error("component_template", k)),
            },
            other => {
                return Err(Error::x_content(format!(
                    "[1:2] [component_template] unknown field [{other}]"
                )));
            }
        }
    }
    if !out.contains_key("template") {
        return Err(Error::x_content(
            "[1:2] Required [template] of a component template",
        ));
    }
    Ok(Value::Object(out))
}

/// A `template` object: settings checked and kept as `{"index": {key: "value"}}`, mappings
/// checked by parsing them, aliases refused.
fn normalize_template(v: &Value) -> Result<Value> {
    let Value::Object(m) = v else {
        return Err(field_error("template", "template"));
    };
    let mut out = Map::new();
    for (k, v) in m {
        match k.as_str() {
            "settings" => {
                let s = parse_settings(Some(v))?;
                out.insert(k.clone(), json!({"index": s.rendered}));
            }
            "mappings" => {
                Mapping::parse(v)?;
                out.insert(k.clone(), v.clone());
            }
            "aliases" => {
                let Some(aliases) = v.as_object() else {
                    return Err(field_error("template", "aliases"));
                };
                let mut checked = Map::new();
                for (alias, def) in aliases {
                    let def = crate::engine::aliases::AliasDef::parse(def, alias)?;
                    checked.insert(alias.clone(), def.to_json());
                }
                if !checked.is_empty() {
                    out.insert(k.clone(), Value::Object(checked));
                }
            }
            "lifecycle" | "data_stream_options" => {
                return Err(Error::illegal_argument(format!(
                    "[{k}] in a template is not supported by sluice-store"
                )));
            }
            other => {
                return Err(Error::x_content(format!(
                    "[1:2] [template] unknown field [{other}]"
                )));
            }
        }
    }
    Ok(Value::Object(out))
}

fn field_error(what: &str, field: &str) -> Error {
    Error::x_content(format!("[1:2] [{what}] failed to parse field [{field}]"))
}

/// The index template `t` composed with its components and the request body.
fn compose(set: &Set, t: &Value, request: Option<&Value>) -> Result<Value> {
    let mut settings: Map<String, Value> = Map::new();
    let mut mappings = Value::Object(Map::new());
    let mut layers: Vec<&Value> = strings(&t["composed_of"])
        .into_iter()
        .filter_map(|c| set.component.get(c))
        .filter_map(|c| c.get("template"))
        .collect();
    if let Some(own) = t.get("template") {
        layers.push(own);
    }
    if let Some(r) = request {
        layers.push(r);
    }
    let mut aliases = Map::new();
    for layer in layers {
        if let Some(Value::Object(a)) = layer.get("aliases") {
            // later layers win per alias name
            aliases.extend(a.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some(s) = layer.get("settings") {
            let parsed = parse_settings(Some(s))?;
            settings.extend(parsed.rendered);
        }
        if let Some(m) = layer.get("mappings") {
            merge_mapping(&mut mappings, m);
        }
    }
    let mut body = Map::new();
    if !settings.is_empty() {
        body.insert("settings".into(), Value::Object(settings));
    }
    if mappings.as_object().is_some_and(|m| !m.is_empty()) {
        body.insert("mappings".into(), mappings);
    }
    if let Some(Value::Object(r)) = request {
        for (k, v) in r {
            if k != "settings" && k != "mappings" && k != "aliases" {
                body.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(r) = request.and_then(|r| r.get("aliases"))
        && !r.is_object()
    {
        // not an object: left for the create-index request's own error
        body.insert("aliases".into(), r.clone());
    } else if !aliases.is_empty() {
        body.insert("aliases".into(), Value::Object(aliases));
    }
    Ok(Value::Object(body))
}

/// Later wins by field: `properties` merge by name (recursively for objects),
/// `dynamic_templates` by template name (a later one replaces the earlier where it stands),
/// any other key of a field or of the root is replaced.
fn merge_mapping(into: &mut Value, from: &Value) {
    let (Value::Object(a), Value::Object(b)) = (into, from) else {
        return;
    };
    for (k, v) in b {
        if k == "properties" {
            let props = a
                .entry("properties")
                .or_insert_with(|| Value::Object(Map::new()));
            if let (Value::Object(pa), Value::Object(pb)) = (props, v) {
                for (name, field) in pb {
                    let both_objects = field.get("properties").is_some()
                        && pa.get(name).is_some_and(|f| f.get("properties").is_some());
                    if both_objects && let Some(existing) = pa.get_mut(name) {
                        merge_mapping(existing, field);
                    } else {
                        pa.insert(name.clone(), field.clone());
                    }
                }
            }
        } else if k == "dynamic_templates"
            && let (Some(Value::Array(existing)), Value::Array(incoming)) =
                (a.get_mut("dynamic_templates"), v)
        {
            crate::mapping::dynamic_template::merge_rendered(existing, incoming);
        } else {
            a.insert(k.clone(), v.clone());
        }
    }
}
