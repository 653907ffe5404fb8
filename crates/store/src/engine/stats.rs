//! Index statistics (`GET [/{target}]/_stats[/{metrics}]`): the counters each shard keeps as it
//! works (writes, gets, searches, refreshes, merges, bulk requests) and the figures read from its
//! files and segments when asked, rendered in Elasticsearch 8's shape per shard, summed per index
//! and over all indices.
//!
//! What the store has no counterpart for is reported as what it is: it keeps no query cache, no
//! shard request cache and no warmers, and recovers no shard from a peer, so those sections are
//! zero; its merges are tantivy's (counted when the merge policy schedules them; only force
//! merges are timed).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// A count of operations and the time they took.
#[derive(Default, Debug)]
pub(crate) struct Counter {
    total: AtomicU64,
    nanos: AtomicU64,
}

impl Counter {
    /// One more operation that took `took`.
    pub(crate) fn add(&self, took: Duration) {
        self.add_n(1, took);
    }

    /// `n` more operations that took `took` together.
    pub(crate) fn add_n(&self, n: u64, took: Duration) {
        self.total.fetch_add(n, Relaxed);
        self.nanos
            .fetch_add(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX), Relaxed);
    }

    pub(crate) fn total(&self) -> u64 {
        self.total.load(Relaxed)
    }

    pub(crate) fn millis(&self) -> u64 {
        self.nanos.load(Relaxed) / 1_000_000
    }
}

/// The search phases of one shard (or of one `stats` group on it).
#[derive(Default, Debug)]
pub(crate) struct SearchCounters {
    pub(crate) query: Counter,
    pub(crate) query_failure: AtomicU64,
    pub(crate) fetch: Counter,
    /// Scroll contexts finished (cleared or expired), with how long each was open.
    pub(crate) scroll: Counter,
    pub(crate) suggest: Counter,
}

impl SearchCounters {
    fn to_json(&self, open: Option<(u64, u64)>) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some((contexts, _)) = open {
            m.insert("open_contexts".into(), contexts.into());
        }
        let scroll_current = open.map_or(0, |o| o.1);
        let rows: [(&str, Value); 14] = [
            ("query_total", self.query.total().into()),
            ("query_time_in_millis", self.query.millis().into()),
            ("query_current", 0.into()),
            ("query_failure", self.query_failure.load(Relaxed).into()),
            ("fetch_total", self.fetch.total().into()),
            ("fetch_time_in_millis", self.fetch.millis().into()),
            ("fetch_current", 0.into()),
            ("fetch_failure", 0.into()),
            ("scroll_total", self.scroll.total().into()),
            ("scroll_time_in_millis", self.scroll.millis().into()),
            ("scroll_current", scroll_current.into()),
            ("suggest_total", self.suggest.total().into()),
            ("suggest_time_in_millis", self.suggest.millis().into()),
            ("suggest_current", 0.into()),
        ];
        for (k, v) in rows {
            m.insert(k.into(), v);
        }
        m
    }
}

/// The counters of one primary shard.
#[derive(Debug)]
pub(crate) struct ShardCounters {
    /// When the shard was opened (`write_load` is write time over the time since).
    opened: Instant,
    pub(crate) index: Counter,
    pub(crate) index_failed: AtomicU64,
    pub(crate) index_conflicts: AtomicU64,
    pub(crate) delete: Counter,
    pub(crate) noop_updates: AtomicU64,
    pub(crate) get_exists: Counter,
    pub(crate) get_missing: Counter,
    pub(crate) search: SearchCounters,
    groups: Mutex<HashMap<String, Arc<SearchCounters>>>,
    /// Refreshes that made writes searchable; each is a tantivy commit, so also a flush.
    pub(crate) refresh: Counter,
    pub(crate) merges: Counter,
    pub(crate) merge_docs: AtomicU64,
    /// Shard-level bulk requests (one per request per shard), with their sources' bytes.
    pub(crate) bulk: Counter,
    pub(crate) bulk_bytes: AtomicU64,
    /// Operations written to the translog since the last commit.
    pub(crate) translog_ops: AtomicU64,
}

impl Default for ShardCounters {
    fn default() -> Self {
        ShardCounters {
            opened: Instant::now(),
            index: Counter::default(),
            index_failed: AtomicU64::default(),
            index_conflicts: AtomicU64::default(),
            delete: Counter::default(),
            noop_updates: AtomicU64::default(),
            get_exists: Counter::default(),
            get_missing: Counter::default(),
            search: SearchCounters::default(),
            groups: Mutex::default(),
            refresh: Counter::default(),
            merges: Counter::default(),
            merge_docs: AtomicU64::default(),
            bulk: Counter::default(),
            bulk_bytes: AtomicU64::default(),
            translog_ops: AtomicU64::default(),
        }
    }
}

impl ShardCounters {
    /// The average number of threads busy writing this shard since it opened.
    fn write_load(&self) -> f64 {
        let busy = self.index.nanos.load(Relaxed) + self.delete.nanos.load(Relaxed);
        let up = self.opened.elapsed().as_nanos().max(1);
        busy as f64 / up as f64
    }

    /// The counters of the search `stats` group `name`.
    pub(crate) fn group(&self, name: &str) -> Arc<SearchCounters> {
        Arc::clone(self.groups.lock().entry(name.to_owned()).or_default())
    }
}

/// The figures of one shard read from its files and segments when stats are asked.
#[derive(Default, Debug, Clone)]
pub(crate) struct ShardFigures {
    pub(crate) docs: u64,
    pub(crate) deleted: u64,
    pub(crate) store_bytes: u64,
    pub(crate) segments: u64,
    /// Bytes on disk by file extension (tantivy's segment files).
    pub(crate) files: Vec<(String, u64, u64)>,
    pub(crate) translog_bytes: u64,
    /// Milliseconds since the oldest translog file was last written.
    pub(crate) translog_age_ms: u64,
    /// Open points in time and scroll contexts reading this shard, and the scrolls among them.
    pub(crate) contexts: (u64, u64),
    /// Bytes of field data held for `fielddata: true` text fields, by field.
    pub(crate) fielddata: Vec<(String, u64)>,
    /// Bytes of `completion` fields' indexed inputs, by field.
    pub(crate) completion: Vec<(String, u64)>,
    /// The last commit: tantivy's opstamp and the payload the store wrote with it.
    pub(crate) commit: Option<(u64, String)>,
    /// The highest sequence number written.
    pub(crate) max_seq_no: Option<u64>,
}

/// One section of the stats response, as ES names it in the `metric` path part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// `docs`
    Docs,
    /// `shard_stats`
    ShardStats,
    /// `store`
    Store,
    /// `indexing`
    Indexing,
    /// `get`
    Get,
    /// `search`
    Search,
    /// `merge` (the `merges` section)
    Merge,
    /// `refresh`
    Refresh,
    /// `flush`
    Flush,
    /// `warmer`
    Warmer,
    /// `query_cache`
    QueryCache,
    /// `fielddata`
    Fielddata,
    /// `completion`
    Completion,
    /// `segments`
    Segments,
    /// `translog`
    Translog,
    /// `request_cache`
    RequestCache,
    /// `recovery`
    Recovery,
    /// `bulk`
    Bulk,
    /// `dense_vector`
    DenseVector,
    /// `sparse_vector`
    SparseVector,
}

impl Metric {
    /// Every metric, in the order ES renders them.
    pub const ALL: [Metric; 20] = [
        Metric::Docs,
        Metric::ShardStats,
        Metric::Store,
        Metric::Indexing,
        Metric::Get,
        Metric::Search,
        Metric::Merge,
        Metric::Refresh,
        Metric::Flush,
        Metric::Warmer,
        Metric::QueryCache,
        Metric::Fielddata,
        Metric::Completion,
        Metric::Segments,
        Metric::Translog,
        Metric::RequestCache,
        Metric::Recovery,
        Metric::Bulk,
        Metric::DenseVector,
        Metric::SparseVector,
    ];

    /// The name in the request path.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Docs => "docs",
            Metric::ShardStats => "shard_stats",
            Metric::Store => "store",
            Metric::Indexing => "indexing",
            Metric::Get => "get",
            Metric::Search => "search",
            Metric::Merge => "merge",
            Metric::Refresh => "refresh",
            Metric::Flush => "flush",
            Metric::Warmer => "warmer",
            Metric::QueryCache => "query_cache",
            Metric::Fielddata => "fielddata",
            Metric::Completion => "completion",
            Metric::Segments => "segments",
            Metric::Translog => "translog",
            Metric::RequestCache => "request_cache",
            Metric::Recovery => "recovery",
            Metric::Bulk => "bulk",
            Metric::DenseVector => "dense_vector",
            Metric::SparseVector => "sparse_vector",
        }
    }

    /// The section's key in the response.
    fn section(self) -> &'static str {
        match self {
            Metric::Merge => "merges",
            other => other.name(),
        }
    }
}

/// What `_stats` was asked for: its metrics and options.
#[derive(Debug, Clone, Default)]
pub struct StatsRequest {
    /// The metrics shown (all when the path names none or `_all`).
    pub metrics: Vec<Metric>,
    /// `level`: 0 cluster, 1 indices (default), 2 shards.
    pub level: u8,
    /// `groups`: the search groups shown (patterns).
    pub groups: Vec<String>,
    /// `fielddata_fields` (or `fields`): the fields whose field data is shown one by one.
    pub fielddata_fields: Vec<String>,
    /// `completion_fields` (or `fields`): the fields whose completion size is shown one by one.
    pub completion_fields: Vec<String>,
    /// `include_segment_file_sizes`
    pub file_sizes: bool,
    /// `include_unloaded_segments`: a closed index's segments are counted (else it shows none).
    pub unloaded_segments: bool,
    /// This node's id (shown in a shard's `routing` at `level=shards`).
    pub node: String,
}

impl StatsRequest {
    /// Parses the metric path part (`None`: every metric), ES's errors for an unknown metric
    /// (with its nearest names) or `_all` among others.
    ///
    /// # Errors
    /// `illegal_argument_exception` naming the request and metric.
    pub fn parse_metrics(path: &str, metrics: Option<&str>) -> Result<Vec<Metric>> {
        let Some(m) = metrics else {
            return Ok(Metric::ALL.to_vec());
        };
        let names: Vec<&str> = m.split(',').map(str::trim).collect();
        if names.len() == 1 && names[0] == "_all" {
            return Ok(Metric::ALL.to_vec());
        }
        let mut out = Vec::new();
        let mut unknown = Vec::new();
        for n in &names {
            if *n == "_all" {
                return Err(Error::illegal_argument(format!(
                    "request [{path}] contains _all and individual metrics [{m}]"
                )));
            }
            match Metric::ALL.iter().find(|x| x.name() == *n) {
                Some(x) => {
                    if !out.contains(x) {
                        out.push(*x);
                    }
                }
                None if *n == "mappings" => {
                    return Err(Error::illegal_argument(
                        "index stats metric [mappings] is not kept by sluice-store",
                    ));
                }
                None => unknown.push(*n),
            }
        }
        if !unknown.is_empty() {
            let known: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
            let told: Vec<String> = unknown
                .iter()
                .map(|u| crate::http::params::unrecognized(u, &known))
                .collect();
            let noun = if unknown.len() == 1 {
                "metric"
            } else {
                "metrics"
            };
            return Err(Error::illegal_argument(format!(
                "request [{path}] contains unrecognized {noun}: {}",
                told.join(", ")
            )));
        }
        Ok(out)
    }

    /// `level`: `cluster`, `indices` or `shards`.
    ///
    /// # Errors
    /// ES's wording for another value.
    pub fn parse_level(v: Option<&str>) -> Result<u8> {
        match v {
            None | Some("indices") => Ok(1),
            Some("cluster") => Ok(0),
            Some("shards") => Ok(2),
            Some(other) => Err(Error::illegal_argument(format!(
                "level parameter must be one of [cluster] or [indices] or [shards] but was [{other}]"
            ))),
        }
    }

    fn wants(&self, m: Metric) -> bool {
        self.metrics.contains(&m)
    }
}

/// Whether `name` is selected by one of `patterns` (`*` wildcards; a comma list each).
fn picked(patterns: &[String], name: &str) -> bool {
    patterns
        .iter()
        .any(|p| crate::engine::util::wildcard_match(p, name))
}

/// The bytes of the fields `patterns` pick, each as `{key: bytes}` (`None`: none picked).
fn per_field(bytes: &[(String, u64)], patterns: &[String], key: &str) -> Option<Value> {
    let shown: Map<String, Value> = bytes
        .iter()
        .filter(|x| picked(patterns, &x.0))
        .map(|(k, b)| (k.clone(), json!({ key: b })))
        .collect();
    (!shown.is_empty()).then_some(Value::Object(shown))
}

/// One shard's sections, as ES renders a shard's stats.
pub(crate) fn shard_sections(
    req: &StatsRequest,
    c: &ShardCounters,
    f: &ShardFigures,
) -> Map<String, Value> {
    let mut out = Map::new();
    for m in &Metric::ALL {
        if !req.wants(*m) {
            continue;
        }
        let v = match m {
            Metric::Docs => json!({"count": f.docs, "deleted": f.deleted,
                "total_size_in_bytes": f.store_bytes}),
            Metric::ShardStats => json!({"total_count": 1}),
            Metric::Store => json!({"size_in_bytes": f.store_bytes,
                "total_data_set_size_in_bytes": f.store_bytes, "reserved_in_bytes": 0}),
            Metric::Indexing => json!({
                "index_total": c.index.total(),
                "index_time_in_millis": c.index.millis(),
                "index_current": 0,
                "index_failed": c.index_failed.load(Relaxed),
                "index_failed_due_to_version_conflict": c.index_conflicts.load(Relaxed),
                "delete_total": c.delete.total(),
                "delete_time_in_millis": c.delete.millis(),
                "delete_current": 0,
                "noop_update_total": c.noop_updates.load(Relaxed),
                "is_throttled": false,
                "throttle_time_in_millis": 0,
                "write_load": c.write_load(),
            }),
            Metric::Get => {
                let (e, x) = (&c.get_exists, &c.get_missing);
                json!({
                    "total": e.total() + x.total(),
                    "time_in_millis": e.millis() + x.millis(),
                    "exists_total": e.total(),
                    "exists_time_in_millis": e.millis(),
                    "missing_total": x.total(),
                    "missing_time_in_millis": x.millis(),
                    "current": 0,
                })
            }
            Metric::Search => {
                let mut s = c.search.to_json(Some(f.contexts));
                if !req.groups.is_empty() {
                    let groups = c.groups.lock();
                    let mut names: Vec<&String> =
                        groups.keys().filter(|g| picked(&req.groups, g)).collect();
                    names.sort();
                    if !names.is_empty() {
                        let mut g = Map::new();
                        for n in names {
                            g.insert(n.clone(), Value::Object(groups[n].to_json(None)));
                        }
                        s.insert("groups".into(), Value::Object(g));
                    }
                }
                Value::Object(s)
            }
            Metric::Merge => json!({
                "current": 0, "current_docs": 0, "current_size_in_bytes": 0,
                "total": c.merges.total(),
                "total_time_in_millis": c.merges.millis(),
                "total_docs": c.merge_docs.load(Relaxed),
                "total_size_in_bytes": 0,
                "total_stopped_time_in_millis": 0,
                "total_throttled_time_in_millis": 0,
                "total_auto_throttle_in_bytes": 0,
            }),
            Metric::Refresh => json!({
                "total": c.refresh.total(),
                "total_time_in_millis": c.refresh.millis(),
                "external_total": c.refresh.total(),
                "external_total_time_in_millis": c.refresh.millis(),
                "listeners": 0,
            }),
            Metric::Flush => json!({
                "total": c.refresh.total(),
                "periodic": 0,
                "total_time_in_millis": c.refresh.millis(),
                "total_time_excluding_waiting_on_lock_in_millis": c.refresh.millis(),
            }),
            Metric::Warmer => json!({"current": 0, "total": 0, "total_time_in_millis": 0}),
            Metric::QueryCache => json!({
                "memory_size_in_bytes": 0, "total_count": 0, "hit_count": 0, "miss_count": 0,
                "cache_size": 0, "cache_count": 0, "evictions": 0,
            }),
            Metric::Fielddata => {
                let total: u64 = f.fielddata.iter().map(|x| x.1).sum();
                let mut v = json!({"memory_size_in_bytes": total, "evictions": 0,
                    "global_ordinals": {"build_time_in_millis": 0}});
                if let Some(fields) =
                    per_field(&f.fielddata, &req.fielddata_fields, "memory_size_in_bytes")
                {
                    v["fields"] = fields;
                }
                v
            }
            Metric::Completion => {
                let total: u64 = f.completion.iter().map(|x| x.1).sum();
                let mut v = json!({"size_in_bytes": total});
                if let Some(fields) =
                    per_field(&f.completion, &req.completion_fields, "size_in_bytes")
                {
                    v["fields"] = fields;
                }
                v
            }
            Metric::Segments => {
                let mut v = json!({
                    "count": f.segments, "memory_in_bytes": 0, "terms_memory_in_bytes": 0,
                    "stored_fields_memory_in_bytes": 0, "term_vectors_memory_in_bytes": 0,
                    "norms_memory_in_bytes": 0, "points_memory_in_bytes": 0,
                    "doc_values_memory_in_bytes": 0, "index_writer_memory_in_bytes": 0,
                    "version_map_memory_in_bytes": 0, "fixed_bit_set_memory_in_bytes": 0,
                    "max_unsafe_auto_id_timestamp": -1,
                });
                // ES shows the (empty) file sizes when not asked for them
                if !req.file_sizes {
                    v["file_sizes"] = json!({});
                } else {
                    let files: Map<String, Value> = f
                        .files
                        .iter()
                        .map(|(ext, bytes, count)| {
                            (
                                ext.clone(),
                                json!({"description": file_description(ext),
                                    "size_in_bytes": bytes, "min_size_in_bytes": bytes,
                                    "max_size_in_bytes": bytes, "average_size_in_bytes": bytes,
                                    "count": count}),
                            )
                        })
                        .collect();
                    v["file_sizes"] = Value::Object(files);
                }
                v
            }
            Metric::Translog => {
                let ops = c.translog_ops.load(Relaxed);
                json!({
                    "operations": ops, "size_in_bytes": f.translog_bytes,
                    "uncommitted_operations": ops, "uncommitted_size_in_bytes": f.translog_bytes,
                    "earliest_last_modified_age": f.translog_age_ms,
                })
            }
            Metric::RequestCache => json!({"memory_size_in_bytes": 0, "evictions": 0,
                "hit_count": 0, "miss_count": 0}),
            Metric::Recovery => json!({"current_as_source": 0, "current_as_target": 0,
                "throttle_time_in_millis": 0}),
            Metric::Bulk => {
                let (ops, bytes) = (c.bulk.total(), c.bulk_bytes.load(Relaxed));
                json!({"total_operations": ops, "total_time_in_millis": c.bulk.millis(),
                    "total_size_in_bytes": bytes,
                    "avg_time_in_millis": c.bulk.millis().checked_div(ops).unwrap_or(0),
                    "avg_size_in_bytes": bytes.checked_div(ops).unwrap_or(0)})
            }
            Metric::DenseVector | Metric::SparseVector => json!({"value_count": 0}),
        };
        out.insert(m.section().into(), v);
    }
    out
}

/// What a segment file holds, by tantivy's extension.
fn file_description(ext: &str) -> &'static str {
    match ext {
        "idx" => "Postings",
        "pos" => "Positions",
        "term" => "Term Dictionary",
        "store" => "Stored Fields",
        "fast" => "Columnar Fields",
        "fieldnorm" => "Field Norms",
        "del" => "Deleted Documents",
        _ => "Others",
    }
}

/// Sums shard (or index) sections into one: numbers add, objects merge key by key; the
/// translog's age is the oldest's (smallest), averages are recomputed from the sums.
pub(crate) fn sum_sections(parts: &[Map<String, Value>]) -> Map<String, Value> {
    let mut out = Map::new();
    for p in parts {
        add_into(&mut out, p);
    }
    if let Some(Value::Object(b)) = out.get_mut("bulk") {
        let get = |b: &Map<String, Value>, k: &str| b.get(k).and_then(Value::as_u64).unwrap_or(0);
        let (ops, time, bytes) = (
            get(b, "total_operations"),
            get(b, "total_time_in_millis"),
            get(b, "total_size_in_bytes"),
        );
        b.insert(
            "avg_time_in_millis".into(),
            time.checked_div(ops).unwrap_or(0).into(),
        );
        b.insert(
            "avg_size_in_bytes".into(),
            bytes.checked_div(ops).unwrap_or(0).into(),
        );
    }
    if let Some(Value::Object(s)) = out.get_mut("segments")
        && let Some(Value::Object(files)) = s.get_mut("file_sizes")
    {
        for f in files.values_mut() {
            if let Value::Object(o) = f {
                let size = o.get("size_in_bytes").and_then(Value::as_u64).unwrap_or(0);
                let count = o.get("count").and_then(Value::as_u64).unwrap_or(0);
                o.insert(
                    "average_size_in_bytes".into(),
                    size.checked_div(count).unwrap_or(0).into(),
                );
            }
        }
    }
    out
}

fn add_into(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(k), v) {
            (None, v) => {
                into.insert(k.clone(), v.clone());
            }
            (Some(Value::Object(a)), Value::Object(b)) => add_into(a, b),
            (Some(a @ Value::Number(_)), Value::Number(b)) if b.is_f64() || a.is_f64() => {
                *a = (a.as_f64().unwrap_or(0.0) + b.as_f64().unwrap_or(0.0)).into();
            }
            (Some(a @ Value::Number(_)), Value::Number(b)) => {
                let x = a.as_i64().unwrap_or(0);
                let y = b.as_i64().unwrap_or(0);
                *a = match k.as_str() {
                    "earliest_last_modified_age" | "min_size_in_bytes" => x.min(y).into(),
                    "max_unsafe_auto_id_timestamp" | "max_size_in_bytes" => x.max(y).into(),
                    _ => (x + y).into(),
                };
            }
            (Some(Value::Bool(a)), Value::Bool(b)) => *a |= *b,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_parse_as_es_names_them() {
        let all = StatsRequest::parse_metrics("/_stats", None).unwrap();
        assert_eq!(all.len(), Metric::ALL.len());
        assert_eq!(
            StatsRequest::parse_metrics("/_stats/_all", Some("_all")).unwrap(),
            all
        );
        assert_eq!(
            StatsRequest::parse_metrics("/_stats/store,get,merge", Some("store,get,merge"))
                .unwrap(),
            vec![Metric::Store, Metric::Get, Metric::Merge]
        );
        let e = StatsRequest::parse_metrics("/_stats/fieldata", Some("fieldata")).unwrap_err();
        assert_eq!(
            e.reason(),
            "request [/_stats/fieldata] contains unrecognized metric: [fieldata] -> did you mean [fielddata]?"
        );
        assert!(StatsRequest::parse_metrics("/_stats/x", Some("_all,docs")).is_err());
        assert_eq!(StatsRequest::parse_level(Some("shards")).unwrap(), 2);
        assert!(StatsRequest::parse_level(Some("node")).is_err());
    }

    #[test]
    fn sections_sum_with_minimum_ages_and_recomputed_averages() {
        let req = StatsRequest {
            metrics: vec![Metric::Indexing, Metric::Translog, Metric::Bulk],
            ..Default::default()
        };
        let a = ShardCounters::default();
        a.index.add(Duration::from_millis(4));
        a.bulk.add(Duration::from_millis(10));
        a.bulk_bytes.fetch_add(100, Relaxed);
        let b = ShardCounters::default();
        b.index.add_n(2, Duration::from_millis(6));
        b.bulk.add(Duration::from_millis(30));
        b.bulk_bytes.fetch_add(300, Relaxed);
        let fa = ShardFigures {
            translog_age_ms: 50,
            ..Default::default()
        };
        let fb = ShardFigures {
            translog_age_ms: 20,
            ..Default::default()
        };
        let sum = sum_sections(&[shard_sections(&req, &a, &fa), shard_sections(&req, &b, &fb)]);
        assert_eq!(sum["indexing"]["index_total"], 3);
        assert_eq!(sum["indexing"]["index_time_in_millis"], 10);
        assert_eq!(sum["translog"]["earliest_last_modified_age"], 20);
        assert_eq!(sum["bulk"]["total_operations"], 2);
        assert_eq!(sum["bulk"]["avg_time_in_millis"], 20);
        assert_eq!(sum["bulk"]["avg_size_in_bytes"], 200);
        assert!(sum.get("docs").is_none());
    }

    #[test]
    fn groups_show_only_those_asked_for() {
        let c = ShardCounters::default();
        c.group("bar").query.add(Duration::from_millis(1));
        c.group("baz").query.add(Duration::from_millis(1));
        let mut req = StatsRequest {
            metrics: vec![Metric::Search],
            groups: vec!["*r".into()],
            ..Default::default()
        };
        let s = shard_sections(&req, &c, &ShardFigures::default());
        assert_eq!(s["search"]["groups"]["bar"]["query_total"], 1);
        assert!(s["search"]["groups"].get("baz").is_none());
        req.groups.clear();
        let s = shard_sections(&req, &c, &ShardFigures::default());
        assert!(s["search"].get("groups").is_none());
    }
}
