//! `GET /_nodes[/{nodes}][/{metrics}]` and `GET /_nodes[/{nodes}]/stats[/{metrics}]`: the one
//! node sluice-store is, in Elasticsearch's shapes, for what clients ask at start-up — the
//! sniffers of the official clients and Logstash (`_nodes/http`: the publish address), Kibana's
//! version check (`_nodes?filter_path=nodes.*.version,...`) — and minimal statistics. Metrics
//! a JVM node has and sluice-store does not (`jvm`, `thread_pool`, `breaker`, ...) are refused
//! by name when asked for.

use std::net::SocketAddr;

use serde_json::{Map, Value, json};

use super::HttpConfig;
use crate::engine::store::Store;
use crate::error::{Error, Result};

/// The info metrics sluice-store answers.
const INFO_METRICS: &[&str] = &[
    "settings",
    "os",
    "process",
    "http",
    "plugins",
    "modules",
    "aggregations",
];

/// The aggregations the store runs and the kinds of values each reads, as ES's
/// `_nodes/aggregations` lists them (`other`: no field of its own).
pub(crate) const AGGREGATIONS: &[(&str, &[&str])] = &[
    ("avg", NUMERIC),
    ("cardinality", ANY),
    ("composite", OTHER),
    ("date_histogram", NUMERIC),
    ("date_range", NUMERIC),
    ("extended_stats", NUMERIC),
    ("filter", OTHER),
    ("filters", OTHER),
    ("geo_bounds", &["geopoint"]),
    ("geo_centroid", &["geopoint"]),
    ("geo_distance", &["geopoint"]),
    ("geohash_grid", &["geopoint"]),
    ("geotile_grid", &["geopoint"]),
    ("histogram", NUMERIC),
    ("ip_range", &["ip"]),
    ("max", NUMERIC),
    ("median_absolute_deviation", &["numeric"]),
    ("min", NUMERIC),
    ("missing", ANY),
    ("multi_terms", OTHER),
    ("nested", OTHER),
    ("percentile_ranks", NUMERIC),
    ("percentiles", NUMERIC),
    ("range", NUMERIC),
    ("rare_terms", TERMS),
    ("significant_terms", TERMS),
    ("stats", NUMERIC),
    ("sum", NUMERIC),
    ("terms", TERMS),
    ("top_hits", OTHER),
    ("top_metrics", OTHER),
    ("value_count", ANY),
    ("weighted_avg", &["numeric"]),
];
const NUMERIC: &[&str] = &["boolean", "date", "numeric"];
const TERMS: &[&str] = &["boolean", "date", "ip", "keyword", "numeric"];
const ANY: &[&str] = &["boolean", "date", "geopoint", "ip", "keyword", "numeric"];
const OTHER: &[&str] = &["other"];

/// Every node info metric Elasticsearch names (`_nodes/{x}` is metrics when all of `x` are
/// among them, node ids otherwise).
pub(crate) const ES_INFO_METRICS: &[&str] = &[
    "settings",
    "os",
    "process",
    "jvm",
    "thread_pool",
    "transport",
    "http",
    "remote_cluster_server",
    "plugins",
    "modules",
    "ingest",
    "aggregations",
    "indices",
];

/// The stats metrics sluice-store answers.
const STATS_METRICS: &[&str] = &["indices", "os", "process", "fs"];

/// This node's id: stable for a data directory (derived from the cluster uuid), 22 characters
/// as Elasticsearch's.
pub(crate) fn node_id(config: &HttpConfig) -> String {
    let mut id: String = config
        .cluster_uuid
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    id.push_str("sluicenode0000000000000");
    id.truncate(22);
    id
}

/// Whether a node filter (`_all`, `_local`, `_master`, ids, names, patterns; comma list)
/// selects this node.
fn selected(config: &HttpConfig, filter: Option<&str>) -> bool {
    let Some(filter) = filter else { return true };
    let id = node_id(config);
    filter.split(',').map(str::trim).any(|f| {
        matches!(
            f,
            "_all" | "_local" | "_master" | "*" | "master:true" | "data:true"
        ) || f == id
            || crate::engine::util::wildcard_match(f, &config.node_name)
    })
}

/// The metrics asked for, each checked against those kept; `None`: all of them.
fn metrics<'a>(asked: Option<&'a str>, kept: &[&str], what: &str) -> Result<Vec<&'a str>> {
    let Some(asked) = asked.filter(|m| *m != "_all" && *m != "*") else {
        return Ok(Vec::new());
    };
    asked
        .split(',')
        .map(str::trim)
        .map(|m| {
            if kept.contains(&m) {
                Ok(m)
            } else {
                Err(Error::illegal_argument(format!(
                    "node {what} metric [{m}] is not kept by sluice-store (it has {})",
                    kept.join(", ")
                )))
            }
        })
        .collect()
}

fn header(config: &HttpConfig, nodes: Map<String, Value>) -> Value {
    let n = nodes.len();
    json!({
        "_nodes": {"total": n, "successful": n, "failed": 0},
        "cluster_name": config.cluster_name,
        "nodes": Value::Object(nodes),
    })
}

/// The fields every node entry has.
fn base(config: &HttpConfig, local: Option<SocketAddr>) -> Map<String, Value> {
    let ip = local.map_or_else(|| "127.0.0.1".to_owned(), |a| a.ip().to_string());
    let mut m = Map::new();
    m.insert("name".into(), json!(config.node_name));
    m.insert("transport_address".into(), json!(format!("{ip}:9300")));
    m.insert("host".into(), json!(ip));
    m.insert("ip".into(), json!(ip));
    m.insert("roles".into(), json!(["data", "ingest", "master"]));
    m.insert("attributes".into(), json!({}));
    m
}

/// `GET /_nodes[/{nodes}][/{metrics}]`.
///
/// # Errors
/// A metric sluice-store does not keep.
pub(crate) fn info(
    config: &HttpConfig,
    local: Option<SocketAddr>,
    filter: Option<&str>,
    asked: Option<&str>,
) -> Result<Value> {
    let wanted = metrics(asked, INFO_METRICS, "info")?;
    let want = |m: &str| wanted.is_empty() || wanted.contains(&m);
    let mut nodes = Map::new();
    if selected(config, filter) {
        let mut node = base(config, local);
        node.insert("version".into(), json!(super::ES_VERSION));
        node.insert("build_flavor".into(), json!("default"));
        node.insert("build_type".into(), json!("tar"));
        node.insert(
            "build_hash".into(),
            json!(format!("sluice-{}", env!("CARGO_PKG_VERSION"))),
        );
        let address = local.map_or_else(String::new, |a| a.to_string());
        if want("settings") {
            node.insert(
                "settings".into(),
                json!({"cluster": {"name": config.cluster_name},
                       "node": {"name": config.node_name},
                       "path": {"data": ["<data directory>"]},
                       "http": {"max_content_length": format!("{}b", config.max_body_bytes)}}),
            );
        }
        if want("os") {
            let cores = std::thread::available_parallelism().map_or(1, usize::from);
            node.insert(
                "os".into(),
                json!({"name": std::env::consts::OS, "arch": std::env::consts::ARCH,
                       "available_processors": cores, "allocated_processors": cores}),
            );
        }
        if want("process") {
            node.insert(
                "process".into(),
                json!({"id": std::process::id(), "mlockall": false}),
            );
        }
        if want("http") {
            node.insert(
                "http".into(),
                json!({"bound_address": [address], "publish_address": address,
                       "max_content_length_in_bytes": config.max_body_bytes}),
            );
        }
        if want("plugins") {
            node.insert("plugins".into(), json!([]));
        }
        if want("modules") {
            node.insert("modules".into(), json!([]));
        }
        if want("aggregations") {
            let aggs: Map<String, Value> = AGGREGATIONS
                .iter()
                .map(|(name, types)| ((*name).to_owned(), json!({ "types": types })))
                .collect();
            node.insert("aggregations".into(), Value::Object(aggs));
        }
        nodes.insert(node_id(config), Value::Object(node));
    }
    Ok(header(config, nodes))
}

/// `GET /_nodes[/{nodes}]/stats[/{metrics}]`.
///
/// # Errors
/// A metric sluice-store does not keep; the index statistics' errors.
pub(crate) fn stats(
    config: &HttpConfig,
    store: &Store,
    local: Option<SocketAddr>,
    filter: Option<&str>,
    asked: Option<&str>,
) -> Result<Value> {
    let wanted = metrics(asked, STATS_METRICS, "stats")?;
    let want = |m: &str| wanted.is_empty() || wanted.contains(&m);
    let mut nodes = Map::new();
    if selected(config, filter) {
        let mut node = base(config, local);
        let now = crate::engine::store::now_ms();
        node.insert("timestamp".into(), json!(now));
        if want("indices") {
            let req = crate::engine::stats::StatsRequest {
                metrics: vec![
                    crate::engine::stats::Metric::Docs,
                    crate::engine::stats::Metric::Store,
                ],
                level: 0,
                ..Default::default()
            };
            let all = store.stats(None, &req, crate::Resolve::default())?;
            let primaries = &all["_all"]["primaries"];
            node.insert(
                "indices".into(),
                json!({"docs": primaries["docs"], "store": primaries["store"]}),
            );
        }
        if want("os") {
            node.insert(
                "os".into(),
                json!({"timestamp": now, "mem": {"total_in_bytes": meminfo("MemTotal:"),
                       "free_in_bytes": meminfo("MemAvailable:")}}),
            );
        }
        if want("process") {
            let fds = std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count);
            node.insert(
                "process".into(),
                json!({"timestamp": now, "open_file_descriptors": fds,
                       "mem": {"resident_in_bytes": self_status("VmRSS:")}}),
            );
        }
        if want("fs") {
            use crate::engine::disk::DiskProbe as _;
            let usage = crate::engine::disk::Statvfs
                .usage(&store.config().data_dir)
                .map_err(|e| Error::io(&store.config().data_dir, e))?;
            node.insert(
                "fs".into(),
                json!({"timestamp": now, "total": {"total_in_bytes": usage.total,
                       "free_in_bytes": usage.available, "available_in_bytes": usage.available}}),
            );
        }
        nodes.insert(node_id(config), Value::Object(node));
    }
    Ok(header(config, nodes))
}

/// A `/proc/meminfo` line in bytes (0 where there is none).
fn meminfo(key: &str) -> u64 {
    kib_line(
        &std::fs::read_to_string("/proc/meminfo").unwrap_or_default(),
        key,
    )
}

/// A `/proc/self/status` line in bytes (0 where there is none).
fn self_status(key: &str) -> u64 {
    kib_line(
        &std::fs::read_to_string("/proc/self/status").unwrap_or_default(),
        key,
    )
}

fn kib_line(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}
