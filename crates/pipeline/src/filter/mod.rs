//! Filters ([`REGISTRY`]: `cidr`, `clone`, `csv`, `date`, `dissect`, `dns`, `drop`, `fingerprint`, `geoip`, `grok`,
//! `json`, `kv`, `mutate`, `prune`, `split`, `syslog_pri`, `translate`, `truncate`, `urldecode`, `useragent`, `uuid`)
//! with Logstash's option names, defaults and semantics, and [`FilterChain`], a whole
//! `filter { }` section with its conditionals.
//!
//! ```
//! use log_model::LogEvent;
//! use pipeline::{config, filter::{FilterChain, FilterOutcome}};
//!
//! let p = config::parse_str("f.conf", r#"filter {
//!   mutate { convert => { "duration" => "float" } }
//!   if [level] == "DEBUG" { drop { } }
//! }"#).unwrap();
//! let chain = FilterChain::build(&p.filters).unwrap();
//! let mut ev = LogEvent::from_json_slice(br#"{"duration":"1.5","level":"INFO"}"#).unwrap();
//! assert_eq!(chain.process(&mut ev), FilterOutcome::Keep);
//! assert_eq!(ev.as_map()["duration"], 1.5);
//! ```
//!
//! Every filter has Logstash's common options (`add_field`, `add_tag`, `remove_field`,
//! `remove_tag`, `id`, `enable_metric`, `periodic_flush`); the decorations are applied only when
//! the filter succeeds, in Logstash's order: add_field, remove_field, add_tag, remove_tag.

mod cidr;
mod clone;
mod csv;
mod date;
mod dissect;
mod dns;
mod drop;
mod fingerprint;
mod geoip;
mod grok;
mod json;
mod kv;
mod mutate;
mod prune;
mod split;
mod syslog_pri;
mod translate;
mod truncate;
mod urldecode;
mod useragent;
mod uuid;

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use log_model::{FieldRef, LogEvent, Template};
use serde_json::Value as Json;

use crate::Result;
use crate::config::validate::{self, Schema, Settings, json_text};
use crate::config::{Node, Plugin, PluginKind, Tree};

/// What happens to an event after a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOutcome {
    /// The event goes on.
    Keep,
    /// The event is dropped (the `drop` filter); it is counted, not lost silently.
    Drop,
}

/// A filter plugin. Filters are shared by all pipeline workers.
pub trait Filter: Send + Sync + fmt::Debug {
    /// Applies the filter to `event`.
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome;
    /// Applies the filter to `event`, putting the events it makes (`clone`, `split`) in `new`;
    /// they go on through the filters after this one. Default: [`Filter::filter`].
    fn filter_spawning(&self, event: &mut LogEvent, new: &mut Vec<LogEvent>) -> FilterOutcome {
        let _ = new;
        self.filter(event)
    }
    /// The `id` option, or a generated `name@file:line:column`.
    fn id(&self) -> &str;
    /// The plugin name (`mutate`).
    fn name(&self) -> &'static str;
    /// How many events this filter failed on (tagged with its failure tag) so far.
    fn failures(&self) -> u64 {
        0
    }
}

pub(crate) use grok::plain_regex as grok_regex;

/// One row of the filter registry: a name, its option schema, and how to build it from
/// validated settings.
pub struct FilterPlugin {
    /// The plugin name as written in a config (`mutate`).
    pub name: &'static str,
    /// Its options (Logstash's names, types and defaults, plus the common filter options).
    pub schema: fn() -> Schema,
    /// Builds the filter (Logstash's `register` checks happen here).
    pub(crate) build: fn(&Settings, Common) -> Result<Box<dyn Filter>>,
}

impl fmt::Debug for FilterPlugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilterPlugin")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Every filter plugin: adding one is a new module and one line here.
#[rustfmt::skip]
pub static REGISTRY: &[FilterPlugin] = &[
    FilterPlugin { name: "cidr", schema: cidr::schema, build: cidr::build },
    FilterPlugin { name: "clone", schema: clone::schema, build: clone::build },
    FilterPlugin { name: "csv", schema: csv::schema, build: csv::build },
    FilterPlugin { name: "date", schema: date::schema, build: |s, c| Ok(Box::new(date::Date::new(s, c)?)) },
    FilterPlugin { name: "dissect", schema: dissect::schema, build: dissect::build },
    FilterPlugin { name: "dns", schema: dns::schema, build: dns::build },
    FilterPlugin { name: "drop", schema: drop::schema, build: |s, c| Ok(Box::new(drop::Drop::new(s, c))) },
    FilterPlugin { name: "fingerprint", schema: fingerprint::schema, build: fingerprint::build },
    FilterPlugin { name: "geoip", schema: geoip::schema, build: geoip::build },
    FilterPlugin { name: "grok", schema: grok::schema, build: grok::build },
    FilterPlugin { name: "json", schema: json::schema, build: |s, c| Ok(Box::new(json::Json::new(s, c))) },
    FilterPlugin { name: "kv", schema: kv::schema, build: kv::build },
    FilterPlugin { name: "mutate", schema: mutate::schema, build: |s, c| Ok(Box::new(mutate::Mutate::new(s, c)?)) },
    FilterPlugin { name: "prune", schema: prune::schema, build: prune::build },
    FilterPlugin { name: "split", schema: split::schema, build: split::build },
    FilterPlugin { name: "syslog_pri", schema: syslog_pri::schema, build: syslog_pri::build },
    FilterPlugin { name: "translate", schema: translate::schema, build: translate::build },
    FilterPlugin { name: "truncate", schema: truncate::schema, build: truncate::build },
    FilterPlugin { name: "urldecode", schema: urldecode::schema, build: urldecode::build },
    FilterPlugin { name: "useragent", schema: useragent::schema, build: useragent::build },
    FilterPlugin { name: "uuid", schema: uuid::schema, build: uuid::build },
];

/// The filter plugins this crate has, in name order.
#[must_use]
pub fn names() -> Vec<&'static str> {
    REGISTRY.iter().map(|p| p.name).collect()
}

/// The registry row of filter `name`.
#[must_use]
pub fn lookup(name: &str) -> Option<&'static FilterPlugin> {
    REGISTRY.iter().find(|p| p.name == name)
}

/// The option schema of filter `name`, if there is such a filter.
#[must_use]
pub fn schema(name: &str) -> Option<Schema> {
    lookup(name).map(|p| (p.schema)())
}

/// Builds a filter from its config: looks the name up, validates the settings against the
/// schema, then checks what Logstash checks when it registers the plugin.
///
/// # Errors
/// Unknown or unsupported plugin, unknown option, wrong type, or an invalid value, with
/// Logstash's message prefixed by `file:line:column`.
pub fn build(plugin: &Plugin) -> Result<Box<dyn Filter>> {
    let Some(row) = lookup(&plugin.name) else {
        return Err(crate::registry::unknown(plugin));
    };
    let settings = validate::validate(plugin, &(row.schema)())?;
    let common = Common::new(&settings, plugin);
    (row.build)(&settings, common)
}

/// Counters of one filter in a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterStats {
    /// The filter's id.
    pub id: String,
    /// The plugin name.
    pub name: &'static str,
    /// Events that reached the filter.
    pub events_in: u64,
    /// Events that left it (not dropped).
    pub events_out: u64,
    /// Events it failed on.
    pub failures: u64,
}

#[derive(Debug)]
struct Counted {
    filter: Box<dyn Filter>,
    events_in: AtomicU64,
    events_out: AtomicU64,
}

/// A whole filter section: every filter built, under its `if` / `else` tree.
#[derive(Debug)]
pub struct FilterChain {
    tree: Tree<Counted>,
}

impl FilterChain {
    /// Builds every filter of `nodes` (a pipeline's `filters`).
    ///
    /// # Errors
    /// The first filter that fails to build (see [`build`]).
    pub fn build(nodes: &[Node]) -> Result<Self> {
        let tree = Tree::build(nodes, &mut |p: &Plugin| {
            debug_assert_eq!(p.kind, PluginKind::Filter);
            Ok(Counted {
                filter: build(p)?,
                events_in: AtomicU64::new(0),
                events_out: AtomicU64::new(0),
            })
        })?;
        Ok(Self { tree })
    }

    /// Runs a batch through the filters: drops what is dropped, and adds the events filters
    /// make (`clone`, `split`) after the event they came from, each run through the filters
    /// after the one that made it. Returns how many events were dropped.
    pub fn process_batch(&self, events: &mut Vec<LogEvent>) -> u64 {
        let mut todo: std::collections::VecDeque<(LogEvent, Option<crate::config::Position>)> =
            events.drain(..).map(|e| (e, None)).collect();
        let mut dropped = 0;
        let mut run = |c: &Counted, ev: &mut LogEvent, new: &mut Vec<LogEvent>| {
            c.events_in.fetch_add(1, Ordering::Relaxed);
            let outcome = c.filter.filter_spawning(ev, new);
            if outcome == FilterOutcome::Keep {
                c.events_out.fetch_add(1, Ordering::Relaxed);
            }
            outcome == FilterOutcome::Keep
        };
        while let Some((mut ev, at)) = todo.pop_front() {
            let mut spawned = Vec::new();
            let kept = match &at {
                None => self.tree.run_spawning(&mut ev, &mut run, &mut spawned),
                Some(p) => self.tree.resume(p, &mut ev, &mut run, &mut spawned),
            };
            crate::queue::ingest_id::number_copies(&ev, spawned.iter_mut().map(|(e, _)| e));
            if kept {
                events.push(ev);
            } else {
                dropped += 1;
            }
            for (e, p) in spawned.into_iter().rev() {
                todo.push_front((e, Some(p)));
            }
        }
        dropped
    }

    /// Runs the event through the filters whose conditions hold, in order. Events that
    /// filters make (`clone`, `split`) are not kept here: the pipeline runs
    /// [`FilterChain::process_batch`].
    pub fn process(&self, event: &mut LogEvent) -> FilterOutcome {
        let kept = self.tree.run(event, &mut |c: &Counted, ev: &mut LogEvent| {
            c.events_in.fetch_add(1, Ordering::Relaxed);
            let outcome = c.filter.filter(ev);
            if outcome == FilterOutcome::Keep {
                c.events_out.fetch_add(1, Ordering::Relaxed);
            }
            outcome == FilterOutcome::Keep
        });
        if kept {
            FilterOutcome::Keep
        } else {
            FilterOutcome::Drop
        }
    }

    /// The filters, in config order.
    #[must_use]
    pub fn filters(&self) -> Vec<&dyn Filter> {
        self.tree
            .leaves()
            .into_iter()
            .map(|c| c.filter.as_ref())
            .collect()
    }

    /// Per-filter counters, in config order.
    #[must_use]
    pub fn stats(&self) -> Vec<FilterStats> {
        self.tree
            .leaves()
            .into_iter()
            .map(|c| FilterStats {
                id: c.filter.id().to_owned(),
                name: c.filter.name(),
                events_in: c.events_in.load(Ordering::Relaxed),
                events_out: c.events_out.load(Ordering::Relaxed),
                failures: c.filter.failures(),
            })
            .collect()
    }

    /// True when the section has no filter.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }
}

// ---- shared helpers --------------------------------------------------------------------------

pub(crate) use field_ref as field_path;

/// A field name as filters take it: `[a][b]` is a path, anything else one top-level field
/// (Logstash reads `a.b` as a field named `a.b`).
pub(crate) fn field_ref(name: &str) -> Option<FieldRef> {
    if name.starts_with('[') {
        FieldRef::parse(name).ok()
    } else if name.is_empty() {
        None
    } else {
        Some(FieldRef::top(name))
    }
}

/// A string that may contain `%{...}` references; one that does not parse as a template is
/// taken literally (Logstash leaves what it cannot resolve as written).
#[derive(Debug, Clone)]
pub(crate) enum Sprintf {
    Literal(String),
    Template(Template),
}

impl Sprintf {
    pub(crate) fn new(s: &str) -> Self {
        if !s.contains("%{") {
            return Sprintf::Literal(s.to_owned());
        }
        match Template::parse(s) {
            Ok(t) => Sprintf::Template(t),
            Err(_) => Sprintf::Literal(s.to_owned()),
        }
    }

    pub(crate) fn render(&self, event: &LogEvent) -> String {
        match self {
            Sprintf::Literal(s) => s.clone(),
            Sprintf::Template(t) => t.render(event),
        }
    }

    /// Renders and reads the result as a field reference.
    pub(crate) fn field(&self, event: &LogEvent) -> Option<FieldRef> {
        match self {
            Sprintf::Literal(s) => field_ref(s),
            Sprintf::Template(t) => field_ref(&t.render(event)),
        }
    }
}

/// A JSON value whose strings are sprintf'd.
pub(crate) fn render_json(v: &Json, event: &LogEvent) -> Json {
    match v {
        Json::String(s) => Json::String(Sprintf::new(s).render(event)),
        Json::Array(items) => Json::Array(items.iter().map(|i| render_json(i, event)).collect()),
        other => other.clone(),
    }
}

/// The common filter options (`add_field`, `add_tag`, `remove_field`, `remove_tag`) and the id.
#[derive(Debug)]
pub struct Common {
    id: String,
    add_field: Vec<(Sprintf, Vec<Json>)>,
    remove_field: Vec<Sprintf>,
    add_tag: Vec<Sprintf>,
    remove_tag: Vec<Sprintf>,
    failures: AtomicU64,
}

impl Common {
    pub(crate) fn new(settings: &Settings, plugin: &Plugin) -> Self {
        let id = settings
            .string("id")
            .map_or_else(|| format!("{}@{}", plugin.name, plugin.span), str::to_owned);
        let add_field = settings
            .hash("add_field")
            .unwrap_or_default()
            .iter()
            .map(|(k, v)| {
                let values = match v {
                    Json::Array(items) => items.clone(),
                    other => vec![other.clone()],
                };
                (Sprintf::new(k), values)
            })
            .collect();
        let list = |name: &str| {
            settings
                .strings(name)
                .iter()
                .map(|s| Sprintf::new(s))
                .collect::<Vec<_>>()
        };
        Self {
            id,
            add_field,
            remove_field: list("remove_field"),
            add_tag: list("add_tag"),
            remove_tag: list("remove_tag"),
            failures: AtomicU64::new(0),
        }
    }

    /// Logstash's `filter_matched`: add_field, remove_field, add_tag, remove_tag.
    pub(crate) fn matched(&self, event: &mut LogEvent) {
        for (name, values) in &self.add_field {
            let Some(field) = name.field(event) else {
                continue;
            };
            for v in values {
                let v = match v {
                    Json::String(s) => Json::String(Sprintf::new(s).render(event)),
                    other => other.clone(),
                };
                match event.get_mut(&field) {
                    Some(Json::Array(items)) => items.push(v),
                    Some(existing) => {
                        let old = existing.take();
                        *existing = Json::Array(vec![old, v]);
                    }
                    None => {
                        event.insert(&field, v);
                    }
                }
            }
        }
        for name in &self.remove_field {
            if let Some(field) = name.field(event) {
                event.remove(&field);
            }
        }
        for tag in &self.add_tag {
            let tag = tag.render(event);
            event.add_tag(&tag);
        }
        for tag in &self.remove_tag {
            let tag = tag.render(event);
            event.remove_tag(&tag);
        }
    }

    /// Tags a failure and counts it.
    pub(crate) fn failed(&self, event: &mut LogEvent, tags: &[String]) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        for t in tags {
            event.add_tag(t);
        }
    }

    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }
}

/// `tag_on_failure` as a list (Logstash accepts a string or an array).
pub(crate) fn tag_list(settings: &Settings, name: &str) -> Vec<String> {
    match settings.get(name) {
        Some(validate::Typed::Array(a)) => a.iter().map(json_text).collect(),
        Some(validate::Typed::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}
