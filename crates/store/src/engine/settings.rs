//! Index settings accepted at creation (`number_of_shards`, `number_of_replicas`,
//! `refresh_interval`); anything else is refused as ES refuses unknown settings.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The index settings sluice-store honours with Elasticsearch 8's defaults, as
/// `GET _settings?include_defaults` shows the ones an index does not set (flat names).
pub const DEFAULTS: &[(&str, &str)] = &[
    ("index.analyze.max_token_count", "10000"),
    ("index.blocks.read_only", "false"),
    ("index.blocks.read_only_allow_delete", "false"),
    ("index.blocks.write", "false"),
    ("index.hidden", "false"),
    ("index.highlight.max_analyzed_offset", "1000000"),
    ("index.mapping.depth.limit", "20"),
    (
        "index.mapping.field_name_length.limit",
        "9223372036854775807",
    ),
    ("index.mapping.nested_fields.limit", "50"),
    ("index.mapping.nested_objects.limit", "10000"),
    ("index.mapping.total_fields.limit", "1000"),
    ("index.max_docvalue_fields_search", "100"),
    ("index.max_regex_length", "1000"),
    ("index.max_rescore_window", "10000"),
    ("index.max_result_window", "10000"),
    ("index.max_script_fields", "32"),
    ("index.max_terms_count", "65536"),
    ("index.priority", "1"),
    ("index.refresh_interval", "1s"),
    ("index.routing.allocation.enable", "all"),
    ("index.routing.rebalance.enable", "all"),
    ("index.soft_deletes.enabled", "true"),
    ("index.translog.durability", "REQUEST"),
    ("index.translog.sync_interval", "5s"),
];

/// Parses an ES time value (`1s`, `500ms`, `2m`, `-1`) for `refresh_interval`; `-1` → `None`.
pub fn parse_interval(s: &str) -> Result<Option<Duration>> {
    let s = s.trim();
    if s == "-1" {
        return Ok(None);
    }
    let bad = || {
        Error::illegal_argument(format!(
            "failed to parse setting [index.refresh_interval] with value [{s}] as a time value: unit is missing or unrecognized"
        ))
    };
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .ok_or_else(bad)?;
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().map_err(|_| bad())?;
    let ms = match unit {
        "nanos" => n / 1e6,
        "micros" => n / 1e3,
        "ms" => n,
        "s" => n * 1e3,
        "m" => n * 60e3,
        "h" => n * 3600e3,
        "d" => n * 86_400e3,
        _ => return Err(bad()),
    };
    Ok(Some(Duration::from_millis(ms as u64)))
}

/// Settings of a create-index body, flattened (`index.number_of_shards` etc).
#[derive(Debug, Clone, Default)]
pub struct IndexSettings {
    /// `index.number_of_replicas` (default 1).
    pub replicas: u32,
    /// `index.number_of_shards` (`None`: the store's default).
    pub shards: Option<u32>,
    /// `index.number_of_routing_shards` (`None`: ES's default for the shard count).
    pub routing_shards: Option<u32>,
    /// `index.refresh_interval`.
    pub refresh_interval: Option<Option<Duration>>,
    /// Accepted settings as given, flattened with the `index.` prefix stripped.
    pub rendered: Map<String, Value>,
}

pub(crate) fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => out.push((prefix.to_owned(), other.clone())),
    }
}

fn as_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Parses the `settings` member.
pub fn parse_settings(v: Option<&Value>) -> Result<IndexSettings> {
    let mut s = IndexSettings {
        replicas: 1,
        ..IndexSettings::default()
    };
    let Some(v) = v else { return Ok(s) };
    if !v.is_object() {
        return Err(Error::parsing("[settings] must be an object"));
    }
    let mut flat = Vec::new();
    flatten("", v, &mut flat);
    for (k, val) in flat {
        let key = k.strip_prefix("index.").unwrap_or(&k).to_owned();
        let text = as_string(&val);
        match key.as_str() {
            "number_of_shards" => {
                let n: u32 = text.parse().map_err(|_| {
                    Error::illegal_argument(format!(
                        "Failed to parse value [{text}] for setting [index.number_of_shards]"
                    ))
                })?;
                if n == 0 {
                    return Err(Error::illegal_argument(
                        "Failed to parse value [0] for setting [index.number_of_shards] must be >= 1",
                    ));
                }
                if n as usize > crate::engine::routing::MAX_SHARDS {
                    return Err(Error::illegal_argument(format!(
                        "Failed to parse value [{n}] for setting [index.number_of_shards] must be <= {}",
                        crate::engine::routing::MAX_SHARDS
                    )));
                }
                s.shards = Some(n);
            }
            "number_of_routing_shards" => {
                let n: u32 = text.parse().map_err(|_| {
                    Error::illegal_argument(format!(
                        "Failed to parse value [{text}] for setting [index.number_of_routing_shards]"
                    ))
                })?;
                if n == 0 || n as usize > crate::engine::routing::MAX_SHARDS {
                    return Err(Error::illegal_argument(format!(
                        "Failed to parse value [{n}] for setting [index.number_of_routing_shards] must be >= 1 and <= {}",
                        crate::engine::routing::MAX_SHARDS
                    )));
                }
                s.routing_shards = Some(n);
            }
            "number_of_replicas" => {
                s.replicas = text.parse().map_err(|_| {
                    Error::illegal_argument(format!(
                        "Failed to parse value [{text}] for setting [index.number_of_replicas]"
                    ))
                })?;
            }
            "refresh_interval" => s.refresh_interval = Some(parse_interval(&text)?),
            // index blocks (see `engine::blocks`); `hidden` (see `Expand`)
            "blocks.write" | "blocks.read_only" | "blocks.read_only_allow_delete" | "hidden" => {
                if text != "true" && text != "false" {
                    return Err(Error::illegal_argument(format!(
                        "Failed to parse value [{text}] as only [true] or [false] are allowed."
                    )));
                }
            }
            k @ ("blocks.read" | "blocks.metadata") => {
                return Err(Error::illegal_argument(format!(
                    "setting [index.{k}] is not supported by sluice-store (its write and read-only blocks are)"
                )));
            }
            // the search limits (see `search::check_limits` and `query::Ctx`); `_analyze`'s
            "analyze.max_token_count"
            | "highlight.max_analyzed_offset"
            | "max_result_window"
            | "max_docvalue_fields_search"
            | "max_script_fields"
            | "max_regex_length"
            | "max_terms_count"
            | "max_rescore_window" => {
                if text.parse::<u32>().is_err() {
                    return Err(Error::illegal_argument(format!(
                        "Failed to parse value [{text}] for setting [index.{key}] must be >= 0"
                    )));
                }
            }
            // ES 8 keeps every index's history with soft deletes; tantivy marks deletes the same way
            "soft_deletes.enabled" => {
                if text != "true" {
                    return Err(Error::illegal_argument(
                        "Creating indices with soft-deletes disabled is no longer supported. Please do not specify a value for setting [index.soft_deletes.enabled].",
                    ));
                }
            }
            // shard placement among nodes: one node never moves a shard, whatever is allowed
            "routing.rebalance.enable" | "routing.allocation.enable" => {
                let values: &[&str] = if key == "routing.rebalance.enable" {
                    &["all", "primaries", "replicas", "none"]
                } else {
                    &["all", "primaries", "new_primaries", "none"]
                };
                if !values.contains(&text.to_ascii_lowercase().as_str()) {
                    let what = if key == "routing.rebalance.enable" {
                        "Rebalance"
                    } else {
                        "Allocation"
                    };
                    return Err(Error::illegal_argument(format!(
                        "No enum constant org.elasticsearch.cluster.routing.allocation.decider.EnableAllocationDecider.{what}.{}",
                        text.to_ascii_uppercase()
                    )));
                }
            }
            // when writes are fsynced: with each request (default), or every `sync_interval`
            // (see `Shard::async_durability`)
            "translog.durability" => {
                if !["request", "async"].contains(&text.to_ascii_lowercase().as_str()) {
                    return Err(Error::illegal_argument(format!(
                        "No enum constant org.elasticsearch.index.translog.Translog.Durability.{}",
                        text.to_ascii_uppercase()
                    )));
                }
            }
            "translog.sync_interval" => {
                let bad = || {
                    Error::illegal_argument(format!(
                        "failed to parse value [{text}] for setting [index.translog.sync_interval], must be >= [100ms]"
                    ))
                };
                match parse_interval(&text) {
                    Ok(Some(d)) if d >= std::time::Duration::from_millis(100) => {}
                    _ => return Err(bad()),
                }
            }
            // the order indices recover in: the store opens every index before it serves
            "priority" => {
                if text.parse::<u32>().is_err() {
                    return Err(Error::illegal_argument(format!(
                        "Failed to parse value [{text}] for setting [index.priority] must be >= 0"
                    )));
                }
            }
            // the lifecycle policy the index follows and the alias its rollover rolls over
            // (see `engine::ilm`)
            "lifecycle.name" | "lifecycle.rollover_alias" => {}
            k @ ("lifecycle.origination_date"
            | "lifecycle.parse_origination_date"
            | "lifecycle.indexing_complete"
            | "lifecycle.step.wait_time_threshold") => {
                return Err(Error::illegal_argument(format!(
                    "setting [index.{k}] is not supported by sluice-store (its lifecycle dates an index by its creation and rollover)"
                )));
            }
            k if crate::mapping::LIMIT_SETTINGS.contains(&k) => {
                crate::mapping::parse_limit(k, &val)?;
            }
            other => {
                return Err(Error::illegal_argument(format!(
                    "unknown setting [index.{other}] please check that any required plugins are installed, or check the breaking changes documentation for removed settings"
                )));
            }
        }
        s.rendered.insert(key, Value::from(text));
    }
    Ok(s)
}
