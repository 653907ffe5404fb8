//! Cluster-level settings (`GET|PUT /_cluster/settings`): the search limits Elasticsearch lets
//! an operator change at run time, each honoured by the store where ES honours it.
//!
//! - `search.max_buckets` (65,536): buckets one response may hold over all aggregation levels,
//!   and the largest `composite` page;
//! - `search.allow_expensive_queries` (true): `false` refuses `prefix`, `wildcard`, `regexp`,
//!   `fuzzy`, `range` on `text`/`keyword` fields and joining (`nested`) queries, as ES does;
//! - `search.max_keep_alive` (1d): the longest keep-alive a scroll or point in time may ask;
//!   `search.default_keep_alive` (5m) must stay below it.
//!
//! `persistent` settings are kept in `cluster_settings.json` in the data directory and survive
//! a restart; `transient` ones last until the store stops and take precedence. A `null` value
//! resets a setting; any other name is ES's "not recognized" error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use parking_lot::RwLock;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

const FILE: &str = "cluster_settings.json";

/// The settings the store knows, with Elasticsearch's defaults (as ES renders them).
const KNOWN: &[(&str, &str)] = &[
    ("search.allow_expensive_queries", "true"),
    ("search.default_keep_alive", "5m"),
    ("search.max_buckets", "65536"),
    ("search.max_keep_alive", "24h"),
];

/// The limits searches read, resolved from the settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// `search.max_buckets`
    pub max_buckets: usize,
    /// `search.allow_expensive_queries`
    pub allow_expensive: bool,
    /// `search.max_keep_alive`
    pub max_keep_alive: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_buckets: 65_536,
            allow_expensive: true,
            max_keep_alive: Duration::from_secs(24 * 3600),
        }
    }
}

#[derive(Debug, Default, Clone)]
struct Scopes {
    persistent: BTreeMap<String, String>,
    transient: BTreeMap<String, String>,
}

/// The store's cluster settings.
#[derive(Debug)]
pub struct ClusterSettings {
    dir: PathBuf,
    scopes: RwLock<Scopes>,
}

impl ClusterSettings {
    /// Reads the persistent settings kept in `dir` (none yet: every default).
    ///
    /// # Errors
    /// An unreadable or corrupt file.
    pub fn open(dir: &Path) -> Result<ClusterSettings> {
        let path = dir.join(FILE);
        let mut scopes = Scopes::default();
        match std::fs::read(&path) {
            Ok(bytes) => {
                let v: Value = serde_json::from_slice(&bytes)
                    .map_err(|e| Error::es(500, "exception", format!("corrupt {FILE}: {e}")))?;
                for (k, v) in v
                    .get("persistent")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    if let Some(s) = v.as_str()
                        && KNOWN.iter().any(|(n, _)| n == k)
                    {
                        scopes.persistent.insert(k.clone(), s.to_owned());
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&path, e)),
        }
        Ok(ClusterSettings {
            dir: dir.to_owned(),
            scopes: RwLock::new(scopes),
        })
    }

    /// The limits in force (transient over persistent over the defaults).
    pub fn limits(&self) -> Limits {
        let s = self.scopes.read();
        let get = |k: &str| effective(&s, k);
        Limits {
            max_buckets: get("search.max_buckets").parse().unwrap_or(65_536),
            allow_expensive: get("search.allow_expensive_queries") != "false",
            max_keep_alive: crate::search::pit::parse_time_value(
                &get("search.max_keep_alive"),
                "search.max_keep_alive",
            )
            .unwrap_or(Duration::from_secs(24 * 3600)),
        }
    }

    /// `GET /_cluster/settings`: the settings given, nested (or `flat`); `include_defaults`
    /// adds the defaults of the settings the store knows.
    pub fn get(&self, flat: bool, include_defaults: bool) -> Value {
        let s = self.scopes.read();
        let mut out = Map::new();
        out.insert("persistent".into(), render(&s.persistent, flat));
        out.insert("transient".into(), render(&s.transient, flat));
        if include_defaults {
            let defaults: BTreeMap<String, String> = KNOWN
                .iter()
                .filter(|(k, _)| !s.persistent.contains_key(*k) && !s.transient.contains_key(*k))
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            out.insert("defaults".into(), render(&defaults, flat));
        }
        Value::Object(out)
    }

    /// `PUT /_cluster/settings`: checks every setting of both scopes, then applies them
    /// (persistent ones written to disk first). Answers the settings changed, as ES does.
    ///
    /// # Errors
    /// ES's for an unknown setting, a value of the wrong kind, a default keep-alive above the
    /// maximum; the file's write error.
    pub fn put(&self, body: &Value, flat: bool) -> Result<Value> {
        let obj = body
            .as_object()
            .ok_or_else(|| Error::parsing("request body must be a JSON object"))?;
        let mut given: Vec<(&str, Vec<(String, Value)>)> = Vec::new();
        // other members are ignored, as ES's parser ignores them
        for (scope, v) in obj {
            if scope != "persistent" && scope != "transient" {
                continue;
            }
            let mut flat_kv = Vec::new();
            crate::engine::settings::flatten("", v, &mut flat_kv);
            given.push((scope.as_str(), flat_kv));
        }
        if given.iter().all(|(_, kv)| kv.is_empty()) {
            return Err(Error::validation(&["no settings to update"]));
        }
        let mut next = self.scopes.read().clone();
        let mut changed = Scopes::default();
        for (scope, kv) in &given {
            for (k, v) in kv {
                if !KNOWN.iter().any(|(n, _)| n == k) {
                    return Err(Error::illegal_argument(format!(
                        "{scope} setting [{k}], not recognized"
                    )));
                }
                let map = if *scope == "persistent" {
                    &mut next.persistent
                } else {
                    &mut next.transient
                };
                if v.is_null() {
                    map.remove(k);
                    continue;
                }
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                check(k, &text)?;
                map.insert(k.clone(), text.clone());
                let out = if *scope == "persistent" {
                    &mut changed.persistent
                } else {
                    &mut changed.transient
                };
                out.insert(k.clone(), text);
            }
        }
        // the default keep-alive stays below the maximum, whichever of them changed
        let ka = |k: &str| crate::search::pit::parse_time_value(&effective(&next, k), k);
        let (default, max) = (
            ka("search.default_keep_alive")?,
            ka("search.max_keep_alive")?,
        );
        if default > max {
            return Err(Error::illegal_argument(format!(
                "Default keep alive setting for request [search.default_keep_alive] should be smaller than max keep alive [search.max_keep_alive], was ({} > {})",
                time_text(default),
                time_text(max)
            )));
        }
        if given.iter().any(|(s, _)| *s == "persistent") {
            crate::engine::util::write_json_atomic(
                &self.dir,
                FILE,
                &json!({ "persistent": next.persistent }),
            )?;
        }
        *self.scopes.write() = next;
        Ok(json!({
            "acknowledged": true,
            "persistent": render(&changed.persistent, flat),
            "transient": render(&changed.transient, flat),
        }))
    }
}

/// A setting's value in force: transient, else persistent, else the default.
fn effective(s: &Scopes, k: &str) -> String {
    s.transient
        .get(k)
        .or_else(|| s.persistent.get(k))
        .cloned()
        .or_else(|| {
            KNOWN
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, d)| (*d).to_owned())
        })
        .unwrap_or_default()
}

/// ES's checks of a setting's value.
fn check(k: &str, v: &str) -> Result<()> {
    match k {
        "search.max_buckets" => match v.trim().parse::<i64>() {
            Ok(n) if n >= 0 && n <= i64::from(i32::MAX) => Ok(()),
            Ok(_) if v.trim().starts_with('-') => Err(Error::illegal_argument(format!(
                "Failed to parse value [{v}] for setting [{k}] must be >= 0"
            ))),
            _ => Err(Error::illegal_argument(format!(
                "Failed to parse value [{v}] for setting [{k}]"
            ))),
        },
        "search.allow_expensive_queries" => {
            if v == "true" || v == "false" {
                Ok(())
            } else {
                Err(Error::illegal_argument(format!(
                    "Failed to parse value [{v}] as only [true] or [false] are allowed."
                )))
            }
        }
        _ => crate::search::pit::parse_time_value(v, k).map(|_| ()),
    }
}

/// A duration as ES's `TimeValue` prints it: in its largest whole unit, one decimal at most
/// (`1d` for 24 hours, `1.5m` for 90 seconds).
pub fn time_text(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    let (n, unit) = [
        (86_400_000.0, "d"),
        (3_600_000.0, "h"),
        (60_000.0, "m"),
        (1000.0, "s"),
    ]
    .into_iter()
    .find(|(size, _)| ms >= *size)
    .map_or((ms, "ms"), |(size, u)| (ms / size, u));
    let text = format!("{:.1}", (n * 10.0).floor() / 10.0);
    format!("{}{unit}", text.trim_end_matches(".0"))
}

/// Settings as ES shows them: nested objects by the dots of their names, or `flat`.
fn render(map: &BTreeMap<String, String>, flat: bool) -> Value {
    let mut out = Map::new();
    for (k, v) in map {
        if flat {
            out.insert(k.clone(), Value::from(v.clone()));
            continue;
        }
        let mut node = &mut out;
        let parts: Vec<&str> = k.split('.').collect();
        for p in &parts[..parts.len() - 1] {
            let entry = node
                .entry((*p).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            node = entry.as_object_mut().expect("an object was just put there");
        }
        node.insert(parts[parts.len() - 1].to_owned(), Value::from(v.clone()));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_precedence_persistence_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let c = ClusterSettings::open(dir.path()).unwrap();
        assert_eq!(c.limits(), Limits::default());
        let v = c
            .put(
                &json!({"persistent": {"search": {"max_buckets": 10}},
                        "transient": {"search.allow_expensive_queries": "false"}}),
                false,
            )
            .unwrap();
        assert_eq!(v["persistent"]["search"]["max_buckets"], "10");
        assert_eq!(v["transient"]["search"]["allow_expensive_queries"], "false");
        let l = c.limits();
        assert_eq!((l.max_buckets, l.allow_expensive), (10, false));
        // transient wins over persistent
        c.put(&json!({"transient": {"search.max_buckets": "20"}}), true)
            .unwrap();
        assert_eq!(c.limits().max_buckets, 20);
        // persistent ones survive a reopen, transient ones do not
        let again = ClusterSettings::open(dir.path()).unwrap();
        assert_eq!(again.limits().max_buckets, 10);
        assert!(again.limits().allow_expensive);
        // null resets
        c.put(&json!({"transient": {"search.max_buckets": null}}), true)
            .unwrap();
        assert_eq!(c.limits().max_buckets, 10);
        let err = |b: Value| c.put(&b, false).unwrap_err().reason();
        assert_eq!(
            err(json!({"persistent": {"foo.bar": 1}})),
            "persistent setting [foo.bar], not recognized"
        );
        assert_eq!(
            err(json!({"transient": {"search.max_buckets": -1}})),
            "Failed to parse value [-1] for setting [search.max_buckets] must be >= 0"
        );
        assert!(
            err(json!({"transient": {"search.default_keep_alive": "2d"}}))
                .starts_with("Default keep alive setting for request")
        );
        assert_eq!(c.get(true, false)["persistent"]["search.max_buckets"], "10");
        assert_eq!(
            c.get(false, true)["defaults"]["search"]["max_keep_alive"],
            "24h"
        );
    }
}
