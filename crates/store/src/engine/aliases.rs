//! Index aliases: a name that stands for one or more indices in searches and, through its write
//! index, for one index in writes (`_alias`, `_aliases`, `aliases` in a create-index body).
//! Kept in `aliases.json` in the data directory, rewritten atomically on every change.
//!
//! Supported per alias and index: `filter` (searches and counts through the alias see only
//! the documents it matches), `is_write_index`, `is_hidden`, and routing: `index_routing`
//! (writes and updates through the alias take it; another routing in the request is refused),
//! `search_routing` (searches through the alias read only the shards its values route to) and
//! `routing` for both.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use parking_lot::RwLock;
use serde_json::{Map, Value, json};

use crate::engine::util::wildcard_match;
use crate::error::{Error, Result};

const FILE: &str = "aliases.json";

/// One alias on one index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AliasDef {
    /// `filter` (a query, checked when the alias is made)
    pub filter: Option<Value>,
    /// `is_write_index`
    pub is_write_index: Option<bool>,
    /// `is_hidden`
    pub is_hidden: Option<bool>,
    /// `index_routing` (or `routing`): the routing of writes and gets through the alias
    pub index_routing: Option<String>,
    /// `search_routing` (or `routing`): searches through the alias read only the shards these
    /// (comma-separated) values route to
    pub search_routing: Option<String>,
}

impl AliasDef {
    /// Reads an alias definition (`{}` or `{"is_write_index": true, ..}`); `at` names where it
    /// was given, for errors.
    ///
    /// # Errors
    /// Filters and routing refused by name; unknown fields and wrong types as ES words them.
    pub fn parse(v: &Value, alias: &str) -> Result<AliasDef> {
        let Some(o) = v.as_object() else {
            return Err(Error::parsing(format!(
                "[alias] failed to parse field [{alias}]: expected an object"
            )));
        };
        let mut def = AliasDef::default();
        let mut routing = None;
        // (a filter is parsed here, so a bad one is refused before anything changes)
        for (k, v) in o {
            match k.as_str() {
                "is_write_index" => def.is_write_index = Some(bool_field(k, v)?),
                "is_hidden" => def.is_hidden = Some(bool_field(k, v)?),
                "filter" => {
                    crate::query::parse(v).map_err(|e| {
                        Error::illegal_argument(format!(
                            "failed to parse filter for alias [{alias}]"
                        ))
                        .caused_by(e)
                    })?;
                    def.filter = Some(v.clone());
                }
                "routing" => routing = Some(routing_value(k, v)?),
                "index_routing" => def.index_routing = Some(routing_value(k, v)?),
                "search_routing" => def.search_routing = Some(routing_value(k, v)?),
                other => {
                    return Err(Error::x_content(format!("[alias] unknown field [{other}]")));
                }
            }
        }
        // `routing` is both, unless one is given on its own
        if def.index_routing.is_none() {
            def.index_routing.clone_from(&routing);
        }
        if def.search_routing.is_none() {
            def.search_routing = routing;
        }
        if def
            .index_routing
            .as_deref()
            .is_some_and(|r| r.contains(','))
        {
            return Err(Error::illegal_argument(format!(
                "alias [{alias}] has several index routing values associated with it"
            )));
        }
        Ok(def)
    }

    /// The definition as ES shows it (only what was set).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(f) = &self.filter {
            m.insert("filter".into(), f.clone());
        }
        if let Some(r) = &self.index_routing {
            m.insert("index_routing".into(), Value::from(r.clone()));
        }
        if let Some(r) = &self.search_routing {
            m.insert("search_routing".into(), Value::from(r.clone()));
        }
        if let Some(w) = self.is_write_index {
            m.insert("is_write_index".into(), Value::from(w));
        }
        if let Some(h) = self.is_hidden {
            m.insert("is_hidden".into(), Value::from(h));
        }
        Value::Object(m)
    }
}

/// A routing value of an alias: a string, or a number taken as its text.
fn routing_value(name: &str, v: &Value) -> Result<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(Error::x_content(format!(
            "[alias] failed to parse field [{name}]"
        ))),
    }
}

fn bool_field(name: &str, v: &Value) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        Value::String(s) => Err(Error::illegal_argument(format!(
            "Failed to parse value [{s}] as only [true] or [false] are allowed."
        ))),
        _ => Err(Error::x_content(format!(
            "[alias] failed to parse field [{name}]"
        ))),
    }
}

/// One change of an `_aliases` request (or of the single-alias APIs).
#[derive(Debug, Clone)]
pub enum Action {
    /// `add`: `alias` on `index` with `def`
    Add {
        /// the index (concrete)
        index: String,
        /// the alias name
        alias: String,
        /// its definition
        def: AliasDef,
    },
    /// `remove`: `alias` (a name or pattern) from `index`; `must_exist` as ES's option
    Remove {
        /// the index (concrete)
        index: String,
        /// the alias name or pattern
        alias: String,
        /// fail when nothing matched (ES's default for a concrete name)
        must_exist: Option<bool>,
    },
}

/// alias → index → definition
type Set = BTreeMap<String, BTreeMap<String, AliasDef>>;

/// The aliases of one store.
pub struct Aliases {
    dir: PathBuf,
    set: RwLock<Set>,
}

impl std::fmt::Debug for Aliases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aliases")
            .field("count", &self.set.read().len())
            .finish()
    }
}

impl Aliases {
    /// Reads `aliases.json` from `dir` (none yet: no aliases); aliases of indices that no
    /// longer exist (`exists` says) are dropped.
    ///
    /// # Errors
    /// An unreadable or corrupt file.
    pub fn open(dir: &Path, exists: impl Fn(&str) -> bool) -> Result<Aliases> {
        let path = dir.join(FILE);
        let mut set = Set::new();
        match fs::read(&path) {
            Ok(bytes) => {
                let v: Value = serde_json::from_slice(&bytes)
                    .map_err(|e| Error::es(500, "exception", format!("corrupt {FILE}: {e}")))?;
                for (alias, indices) in v.as_object().into_iter().flatten() {
                    for (index, def) in indices.as_object().into_iter().flatten() {
                        if exists(index) {
                            set.entry(alias.clone())
                                .or_default()
                                .insert(index.clone(), AliasDef::parse(def, alias)?);
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&path, e)),
        }
        Ok(Aliases {
            dir: dir.to_owned(),
            set: RwLock::new(set),
        })
    }

    fn save(&self, set: &Set) -> Result<()> {
        let v: Map<String, Value> = set
            .iter()
            .map(|(a, idx)| {
                let m: Map<String, Value> =
                    idx.iter().map(|(i, d)| (i.clone(), d.to_json())).collect();
                (a.clone(), Value::Object(m))
            })
            .collect();
        crate::engine::util::write_json_atomic(&self.dir, FILE, &Value::Object(v))
    }

    /// Whether `name` is an alias.
    pub fn contains(&self, name: &str) -> bool {
        self.set.read().contains_key(name)
    }

    /// Every alias name.
    pub fn names(&self) -> Vec<String> {
        self.set.read().keys().cloned().collect()
    }

    /// Whether `alias` is hidden (`is_hidden: true`, which ES requires of all its indices).
    pub fn is_hidden(&self, alias: &str) -> bool {
        self.set
            .read()
            .get(alias)
            .is_some_and(|m| m.values().any(|d| d.is_hidden == Some(true)))
    }

    /// The indices `alias` points to (empty when it is not an alias).
    pub fn indices_of(&self, alias: &str) -> Vec<String> {
        self.set
            .read()
            .get(alias)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The aliases on `index`, with their definitions.
    pub fn of_index(&self, index: &str) -> BTreeMap<String, AliasDef> {
        self.set
            .read()
            .iter()
            .filter_map(|(a, m)| m.get(index).map(|d| (a.clone(), d.clone())))
            .collect()
    }

    /// The index writes to `alias` go to: its only index unless that one says
    /// `is_write_index: false`, else the one with `is_write_index: true`.
    ///
    /// # Errors
    /// ES's `illegal_argument_exception` when the alias has no write index.
    pub fn write_index(&self, alias: &str) -> Result<Option<String>> {
        let set = self.set.read();
        let Some(m) = set.get(alias) else {
            return Ok(None);
        };
        if let Some((i, _)) = m.iter().find(|(_, d)| d.is_write_index == Some(true)) {
            return Ok(Some(i.clone()));
        }
        if m.len() == 1
            && let Some((i, d)) = m.iter().next()
            && d.is_write_index.is_none()
        {
            return Ok(Some(i.clone()));
        }
        Err(Error::illegal_argument(format!(
            "no write index is defined for alias [{alias}]. The write index may be explicitly disabled using is_write_index=false or the alias points to multiple indices without one being designated as a write index"
        )))
    }

    /// Applies `actions` all or nothing, then saves; says for each action whether it changed
    /// something (a remove that matched nothing without `must_exist: true` is `false`).
    /// `is_index` says whether a name is an existing index (an alias may not be named like
    /// one).
    ///
    /// # Errors
    /// ES's errors: an alias named like an index, a missing alias to remove with `must_exist`,
    /// two write indices.
    pub fn apply(&self, actions: &[Action], is_index: impl Fn(&str) -> bool) -> Result<Vec<bool>> {
        let mut guard = self.set.write();
        let mut set = guard.clone();
        let mut done = Vec::with_capacity(actions.len());
        for a in actions {
            match a {
                Action::Add { index, alias, def } => {
                    validate_name(alias, &is_index)?;
                    set.entry(alias.clone())
                        .or_default()
                        .insert(index.clone(), def.clone());
                    done.push(true);
                }
                Action::Remove {
                    index,
                    alias,
                    must_exist,
                } => {
                    let mut removed = false;
                    for (name, m) in &mut set {
                        if (name == alias || wildcard_match(alias, name) || alias == "_all")
                            && m.remove(index).is_some()
                        {
                            removed = true;
                        }
                    }
                    set.retain(|_, m| !m.is_empty());
                    done.push(removed);
                    if !removed && *must_exist == Some(true) {
                        return Err(Error::es(
                            404,
                            "aliases_not_found_exception",
                            format!("aliases [{alias}] missing"),
                        )
                        .with("resource.type", "aliases")
                        .with("resource.id", alias.clone()));
                    }
                }
            }
        }
        for (alias, m) in &set {
            let writers: Vec<&String> = m
                .iter()
                .filter(|(_, d)| d.is_write_index == Some(true))
                .map(|(i, _)| i)
                .collect();
            if writers.len() > 1 {
                // ES answers this one with a 500
                return Err(Error::es(
                    500,
                    "illegal_state_exception",
                    format!(
                        "alias [{alias}] has more than one write index [{}]",
                        writers
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                ));
            }
        }
        if set != *guard {
            self.save(&set)?;
            *guard = set;
        }
        Ok(done)
    }

    /// Drops every alias of a deleted index.
    ///
    /// # Errors
    /// Writing the file.
    pub fn remove_index(&self, index: &str) -> Result<()> {
        let mut guard = self.set.write();
        if !guard.values().any(|m| m.contains_key(index)) {
            return Ok(());
        }
        let mut set = guard.clone();
        for m in set.values_mut() {
            m.remove(index);
        }
        set.retain(|_, m| !m.is_empty());
        self.save(&set)?;
        *guard = set;
        Ok(())
    }

    /// `GET [/{index}]/_alias[/{name}]`'s body for `indices` (every index listed, with the
    /// aliases matching `names`, or all); the names asked for that matched nothing.
    ///
    /// As in Elasticsearch, a name starting with `-` excludes what it matches from what the
    /// names before it selected once a wildcard has appeared in the list (the first wildcard
    /// itself included); before that it is a plain name. Only plain names are called missing,
    /// and not when a later exclusion covers them; missing names come sorted.
    pub fn describe(&self, indices: &[String], names: Option<&[String]>) -> (Value, Vec<String>) {
        let set = self.set.read();
        let first_wildcard = names.map_or(0, |ns| {
            ns.iter().position(|n| n.contains('*')).unwrap_or(ns.len())
        });
        let excludes = |i: usize, n: &str| i >= first_wildcard && n.starts_with('-');
        let matches = |alias: &str| {
            let Some(ns) = names else {
                return true;
            };
            let mut selected = false;
            for (i, n) in ns.iter().enumerate() {
                if excludes(i, n) {
                    let p = &n[1..];
                    if selected && (p == "_all" || wildcard_match(p, alias)) {
                        selected = false;
                    }
                } else if !selected && (n == "_all" || n == alias || wildcard_match(n, alias)) {
                    selected = true;
                }
            }
            selected
        };
        let mut out = Map::new();
        let mut found: Vec<&str> = Vec::new();
        for index in indices {
            let mut aliases = Map::new();
            for (alias, m) in set.iter() {
                if let Some(d) = m.get(index)
                    && matches(alias)
                {
                    aliases.insert(alias.clone(), d.to_json());
                    found.push(alias);
                }
            }
            if names.is_none() || !aliases.is_empty() {
                out.insert(index.clone(), json!({ "aliases": aliases }));
            }
        }
        let mut missing: Vec<String> = Vec::new();
        for (i, n) in names.into_iter().flatten().enumerate() {
            if n == "_all" || n.contains('*') || excludes(i, n) {
                continue;
            }
            let ns = names.unwrap_or_default();
            let excluded = ns
                .iter()
                .enumerate()
                .skip((i + 1).max(first_wildcard))
                .any(|(j, x)| excludes(j, x) && (&x[1..] == "_all" || wildcard_match(&x[1..], n)));
            if !excluded && !found.iter().any(|f| f == n) {
                missing.push(n.clone());
            }
        }
        missing.sort();
        missing.dedup();
        (Value::Object(out), missing)
    }
}

/// ES's checks on an alias name.
///
/// # Errors
/// `invalid_alias_name_exception` as ES words it.
pub(crate) fn validate_name(alias: &str, is_index: &impl Fn(&str) -> bool) -> Result<()> {
    if is_index(alias) {
        return Err(Error::es(
            400,
            "invalid_alias_name_exception",
            format!(
                "Invalid alias name [{alias}]: an index or data stream exists with the same name as the alias"
            ),
        ));
    }
    if alias.is_empty() || alias.starts_with(['_', '-', '+']) || alias.contains(['*', ',', '#']) {
        return Err(Error::es(
            400,
            "invalid_alias_name_exception",
            format!(
                "Invalid alias name [{alias}]: must not start with '_', '-' or '+' or contain '*', ',' or '#'"
            ),
        ));
    }
    Ok(())
}

/// One action of an `_aliases` request as it was written, and the internal actions it became.
struct Span {
    kind: String,
    indices: Vec<String>,
    aliases: Vec<String>,
    actions: std::ops::Range<usize>,
}

fn names_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A string or an array of strings (`index`/`indices`, `alias`/`aliases` of an action).
fn one_or_many(action: &str, key: &str, v: &Value) -> Result<Vec<String>> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) if a.iter().all(Value::is_string) => Ok(a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()),
        _ => Err(Error::x_content(format!(
            "[{action}] failed to parse field [{key}]"
        ))),
    }
}

impl crate::Store {
    fn concrete(&self, target: &str) -> Result<Vec<String>> {
        self.resolve(
            target,
            crate::Resolve {
                ignore_unavailable: false,
                allow_no_indices: false,
                expand: crate::Expand::OPEN_CLOSED,
                ignore_aliases: false,
            },
        )
    }

    /// `PUT|POST /{target}/_alias/{names}` with an optional definition body.
    ///
    /// # Errors
    /// A missing index, an invalid alias name or definition, two write indices.
    pub fn put_alias(&self, target: &str, names: &str, body: Option<&Value>) -> Result<Value> {
        let def = match body {
            Some(b) => AliasDef::parse(b, names)?,
            None => AliasDef::default(),
        };
        let mut actions = Vec::new();
        for index in self.concrete(target)? {
            for alias in names_list(names) {
                actions.push(Action::Add {
                    index: index.clone(),
                    alias,
                    def: def.clone(),
                });
            }
        }
        self.aliases().apply(&actions, |n| self.shard(n).is_ok())?;
        Ok(json!({"acknowledged": true, "errors": false}))
    }

    /// `DELETE /{target}/_alias/{names}`.
    ///
    /// # Errors
    /// 404 `aliases_not_found_exception` when nothing matched.
    pub fn delete_alias(&self, target: &str, names: &str) -> Result<Value> {
        let indices = self.concrete(target)?;
        let names = names_list(names);
        let matched = names.iter().any(|n| {
            indices.iter().any(|i| {
                self.aliases()
                    .of_index(i)
                    .keys()
                    .any(|a| a == n || n == "_all" || n == "*" || wildcard_match(n, a))
            })
        });
        if !matched {
            return Err(Error::es(
                404,
                "aliases_not_found_exception",
                format!("aliases [{}] missing", names.join(",")),
            )
            .with("resource.type", "aliases")
            .with("resource.id", names.join(",")));
        }
        let actions: Vec<Action> = indices
            .iter()
            .flat_map(|i| {
                names.iter().map(move |n| Action::Remove {
                    index: i.clone(),
                    alias: n.clone(),
                    must_exist: Some(false),
                })
            })
            .collect();
        self.aliases().apply(&actions, |n| self.shard(n).is_ok())?;
        Ok(json!({"acknowledged": true, "errors": false}))
    }

    /// `POST /_aliases` with `{"actions": [{"add"|"remove"|"remove_index": {..}}]}`: the alias
    /// changes apply all or nothing, then the `remove_index` indices are deleted.
    ///
    /// # Errors
    /// ES's for a malformed action, a missing index or alias, an invalid name.
    pub fn update_aliases(&self, body: &Value) -> Result<Value> {
        let Some(list) = body
            .get("actions")
            .and_then(Value::as_array)
            .filter(|l| !l.is_empty())
        else {
            return Err(Error::illegal_argument("No action specified"));
        };
        if body.as_object().is_some_and(|o| o.len() > 1) {
            let other = body
                .as_object()
                .and_then(|o| o.keys().find(|k| *k != "actions"))
                .cloned()
                .unwrap_or_default();
            return Err(Error::x_content(format!(
                "[aliases] unknown field [{other}]"
            )));
        }
        let mut actions = Vec::new();
        // per request action: its kind, indices and aliases as named, and its internal actions
        let mut spans: Vec<Span> = Vec::new();
        let mut remove_indices = Vec::new();
        for item in list {
            let Some((kind, spec)) = item
                .as_object()
                .and_then(|o| if o.len() == 1 { o.iter().next() } else { None })
            else {
                return Err(Error::x_content(
                    "[aliases] failed to parse field [actions]: an action is one of add, remove, remove_index",
                ));
            };
            let Some(spec) = spec.as_object() else {
                return Err(Error::x_content(format!(
                    "[{kind}] failed to parse: expected an object"
                )));
            };
            let mut targets = Vec::new();
            let mut names = Vec::new();
            let mut def_fields = Map::new();
            let mut must_exist = None;
            for (k, v) in spec {
                match k.as_str() {
                    "index" | "indices" => targets.extend(one_or_many(kind, k, v)?),
                    "alias" | "aliases" => names.extend(one_or_many(kind, k, v)?),
                    "must_exist" => must_exist = Some(bool_field(k, v)?),
                    _ => {
                        def_fields.insert(k.clone(), v.clone());
                    }
                }
            }
            if targets.is_empty() {
                return Err(Error::validation(&[
                    "One of [index] or [indices] is required",
                ]));
            }
            let mut indices = Vec::new();
            for t in &targets {
                indices.extend(self.concrete(t)?);
            }
            let first = actions.len();
            match kind.as_str() {
                "add" | "remove" if names.is_empty() => {
                    return Err(Error::validation(&[
                        "One of [alias] or [aliases] is required",
                    ]));
                }
                "add" => {
                    let def = AliasDef::parse(&Value::Object(def_fields), &names.join(","))?;
                    for i in &indices {
                        for n in &names {
                            actions.push(Action::Add {
                                index: i.clone(),
                                alias: n.clone(),
                                def: def.clone(),
                            });
                        }
                    }
                }
                "remove" => {
                    if let Some(k) = def_fields.keys().next() {
                        return Err(Error::x_content(format!("[remove] unknown field [{k}]")));
                    }
                    for i in &indices {
                        for n in &names {
                            actions.push(Action::Remove {
                                index: i.clone(),
                                alias: n.clone(),
                                must_exist,
                            });
                        }
                    }
                }
                "remove_index" => remove_indices.extend(indices),
                other => {
                    return Err(Error::x_content(format!(
                        "[aliases] unknown field [{other}]"
                    )));
                }
            }
            spans.push(Span {
                kind: kind.clone(),
                indices: targets,
                aliases: names,
                actions: first..actions.len(),
            });
        }
        // ES: a remove that finds nothing fails that action only (the others apply and the
        // answer lists each action's result); when no action succeeds the request is a 404
        // an index this request removes does not keep its name from an alias it adds (ES
        // applies both at once; here the aliases change first, then the indices go)
        let done = self.aliases().apply(&actions, |n| {
            self.shard(n).is_ok() && !remove_indices.iter().any(|r| r == n)
        })?;
        let ok: Vec<bool> = spans
            .iter()
            .map(|s| s.actions.is_empty() || done[s.actions.clone()].iter().any(|d| *d))
            .collect();
        if let Some(i) = ok.iter().position(|o| !o)
            && !ok.iter().any(|o| *o)
        {
            let names = spans[i].aliases.join(",");
            return Err(Error::es(
                404,
                "aliases_not_found_exception",
                format!("aliases [{names}] missing"),
            )
            .with("resource.type", "aliases")
            .with("resource.id", names));
        }
        for index in remove_indices {
            self.delete_index(&index, crate::Resolve::default())?;
        }
        if ok.iter().all(|o| *o) {
            return Ok(json!({"acknowledged": true, "errors": false}));
        }
        let results: Vec<Value> = spans
            .iter()
            .zip(&ok)
            .map(|(s, ok)| {
                let mut r = json!({
                    "action": {"type": s.kind, "indices": s.indices, "aliases": s.aliases},
                    "status": if *ok { 200 } else { 404 },
                });
                if !ok {
                    let names = s.aliases.join(",");
                    r["error"] = json!({
                        "type": "aliases_not_found_exception",
                        "reason": format!("aliases [{names}] missing"),
                        "resource.type": "aliases",
                        "resource.id": names,
                    });
                }
                r
            })
            .collect();
        Ok(json!({"acknowledged": true, "errors": true, "action_results": results}))
    }

    /// `GET [/{target}]/_alias[/{names}]`: `(all found, body)`; ES answers 404 with the found
    /// part and an `error` line when a concrete name is missing.
    ///
    /// # Errors
    /// A missing index in `target`.
    pub fn get_aliases(
        &self,
        target: Option<&str>,
        names: Option<&str>,
        opts: crate::Resolve,
    ) -> Result<(bool, Value)> {
        let indices = self.resolve(target.unwrap_or("_all"), opts)?;
        let names = names.map(names_list);
        let (mut body, missing) = self.aliases().describe(&indices, names.as_deref());
        if missing.is_empty() {
            return Ok((true, body));
        }
        if let Value::Object(o) = &mut body {
            let what = if missing.len() == 1 {
                "alias"
            } else {
                "aliases"
            };
            o.insert(
                "error".into(),
                Value::from(format!("{what} [{}] missing", missing.join(","))),
            );
            o.insert("status".into(), Value::from(404));
        }
        Ok((false, body))
    }
}

/// How an index is reached by a search target.
#[derive(Debug, Default)]
struct Reach {
    /// by its own name, a pattern over index names, or an alias without a filter
    plain: bool,
    /// the filters of the filtered aliases it was reached through
    filters: Vec<Value>,
    /// by its own name, a pattern or an alias without `search_routing`: every shard
    all_shards: bool,
    /// the `search_routing` values of the aliases it was reached through
    routings: Vec<String>,
}

impl crate::Store {
    /// The searchers of `target`'s indices, each seen through the filters of the filtered
    /// aliases it was reached by (none when also reached by name, a pattern over index names
    /// or an alias without a filter; the filters of several aliases are or-ed), as ES applies
    /// alias filters.
    ///
    /// # Errors
    /// Index resolution; a stored filter that no longer parses.
    pub(crate) fn filtered_targets(
        &self,
        target: &str,
        opts: crate::Resolve,
    ) -> Result<Vec<crate::search::Target>> {
        let names = self.only_open(target, self.resolve(target, opts)?, opts)?;
        let aliases = self.aliases();
        let set = aliases.set.read();
        let mut reach: BTreeMap<&str, Reach> = BTreeMap::new();
        let parts: Vec<&str> = if target.trim().is_empty() {
            vec!["_all"]
        } else {
            target.split(',').map(str::trim).collect()
        };
        for name in &names {
            let r = reach.entry(name.as_str()).or_default();
            for part in &parts {
                if part.starts_with('-') {
                    continue;
                }
                if *part == "_all" || *part == "*" || *part == name || wildcard_match(part, name) {
                    r.plain = true;
                    r.all_shards = true;
                }
                for (alias, m) in set.iter() {
                    if (*part == alias || (part.contains('*') && wildcard_match(part, alias)))
                        && let Some(def) = m.get(name.as_str())
                    {
                        match &def.filter {
                            None => r.plain = true,
                            Some(f) => r.filters.push(f.clone()),
                        }
                        match &def.search_routing {
                            None => r.all_shards = true,
                            Some(v) => r.routings.extend(v.split(',').map(str::to_owned)),
                        }
                    }
                }
            }
        }
        drop(set);
        let mut out = Vec::new();
        for name in &names {
            let shard = self.shard(name)?;
            let reached = reach.remove(name.as_str());
            // an alias's `search_routing`: only the shards its values route to
            let parts = reached
                .as_ref()
                .filter(|r| !r.all_shards && !r.routings.is_empty())
                .map(|r| shard.shards_for_routing(r.routings.iter().map(String::as_str)));
            let filter = match reached {
                Some(r) if !r.plain && !r.filters.is_empty() => {
                    let q = if r.filters.len() == 1 {
                        r.filters[0].clone()
                    } else {
                        json!({"bool": {"should": r.filters, "minimum_should_match": 1}})
                    };
                    Some(std::sync::Arc::new(crate::query::parse(&q)?))
                }
                _ => None,
            };
            out.extend(
                crate::search::Target::filtered(&shard, filter)
                    .filter(|t| parts.as_ref().is_none_or(|p| p.contains(&t.part))),
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(index: &str, alias: &str, w: Option<bool>) -> Action {
        Action::Add {
            index: index.into(),
            alias: alias.into(),
            def: AliasDef {
                is_write_index: w,
                ..AliasDef::default()
            },
        }
    }

    #[test]
    fn write_index_rules_and_atomic_actions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = Aliases::open(dir.path(), |_| true).expect("open");
        let is_index = |n: &str| n.starts_with("logs-");
        a.apply(&[add("logs-1", "logs", None)], is_index)
            .expect("add");
        assert_eq!(a.write_index("logs").ok(), Some(Some("logs-1".into())));
        a.apply(&[add("logs-2", "logs", None)], is_index)
            .expect("add");
        assert!(
            a.write_index("logs").is_err(),
            "two indices, no write index"
        );
        a.apply(&[add("logs-2", "logs", Some(true))], is_index)
            .expect("write index");
        assert_eq!(a.write_index("logs").ok(), Some(Some("logs-2".into())));
        // two write indices: refused, nothing changed
        let e = a
            .apply(&[add("logs-1", "logs", Some(true))], is_index)
            .err();
        assert_eq!(
            e.map(|e| e.es_type().to_owned()),
            Some("illegal_state_exception".into())
        );
        assert_eq!(a.write_index("logs").ok(), Some(Some("logs-2".into())));
        // an alias named like an index
        let e = a.apply(&[add("logs-1", "logs-2", None)], is_index).err();
        assert_eq!(
            e.map(|e| e.es_type().to_owned()),
            Some("invalid_alias_name_exception".into())
        );
        // a failing action leaves the earlier ones of the same request undone
        let e = a.apply(
            &[
                add("logs-1", "other", None),
                Action::Remove {
                    index: "logs-1".into(),
                    alias: "nope".into(),
                    must_exist: Some(true),
                },
            ],
            is_index,
        );
        assert!(e.is_err());
        assert!(!a.contains("other"));
        // kept across a reopen; aliases of vanished indices dropped
        let b = Aliases::open(dir.path(), |n| n == "logs-2").expect("reopen");
        assert_eq!(b.indices_of("logs"), vec!["logs-2".to_owned()]);
        a.remove_index("logs-2").expect("remove index");
        assert_eq!(a.indices_of("logs"), vec!["logs-1".to_owned()]);
    }
}
