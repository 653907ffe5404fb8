//! Data streams: a name that stands for an ordered list of backing indices
//! (`.ds-<name>-<yyyy.MM.dd>-<generation>`), searched together and written through the newest
//! one, with append-only writes (`op_type: create`) that must carry `@timestamp`. Made from an
//! index template with `data_stream: {}` (on the first write, or `PUT _data_stream/<name>`);
//! `_rollover` starts the next backing index. Kept in `data_streams.json` in the data directory,
//! rewritten atomically on every change.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use parking_lot::RwLock;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

const FILE: &str = "data_streams.json";

/// The field every document of a data stream must carry.
pub const TIMESTAMP_FIELD: &str = "@timestamp";

/// One data stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataStream {
    /// Backing indices, oldest first; the last one takes the writes.
    pub indices: Vec<String>,
    /// How many backing indices were made (the next gets `generation + 1`).
    pub generation: u64,
    /// The index template it was made from.
    pub template: String,
    /// `data_stream.hidden` of that template.
    pub hidden: bool,
}

impl DataStream {
    /// The index that takes the writes.
    pub fn write_index(&self) -> Option<&str> {
        self.indices.last().map(String::as_str)
    }

    fn to_json(&self) -> Value {
        json!({"indices": self.indices, "generation": self.generation,
               "template": self.template, "hidden": self.hidden})
    }

    fn from_json(name: &str, v: &Value) -> Result<DataStream> {
        let corrupt = || {
            Error::es(
                500,
                "exception",
                format!("corrupt {FILE}: data stream [{name}]"),
            )
        };
        Ok(DataStream {
            indices: v["indices"]
                .as_array()
                .ok_or_else(corrupt)?
                .iter()
                .map(|i| i.as_str().map(str::to_owned).ok_or_else(corrupt))
                .collect::<Result<_>>()?,
            generation: v["generation"].as_u64().ok_or_else(corrupt)?,
            template: v["template"].as_str().ok_or_else(corrupt)?.to_owned(),
            hidden: v["hidden"].as_bool().unwrap_or(false),
        })
    }
}

/// The name of a data stream's backing index of `generation`, made at `epoch_ms`
/// (`.ds-logs-app-default-2026.12.06-000001`, as Elasticsearch 8 names them).
pub fn backing_index_name(stream: &str, generation: u64, epoch_ms: i64) -> String {
    let day = chrono::DateTime::from_timestamp_millis(epoch_ms)
        .unwrap_or_default()
        .format("%Y.%m.%d");
    format!(".ds-{stream}-{day}-{generation:06}")
}

/// The data streams of one store.
pub struct DataStreams {
    dir: PathBuf,
    set: RwLock<BTreeMap<String, DataStream>>,
}

impl std::fmt::Debug for DataStreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataStreams")
            .field("count", &self.set.read().len())
            .finish()
    }
}

impl DataStreams {
    /// Reads `data_streams.json` from `dir` (none yet: no data streams); backing indices that
    /// no longer exist (`exists` says) are dropped, and a stream left without any is dropped.
    ///
    /// # Errors
    /// An unreadable or corrupt file.
    pub fn open(dir: &Path, exists: impl Fn(&str) -> bool) -> Result<DataStreams> {
        let path = dir.join(FILE);
        let mut set = BTreeMap::new();
        match fs::read(&path) {
            Ok(bytes) => {
                let v: Value = serde_json::from_slice(&bytes)
                    .map_err(|e| Error::es(500, "exception", format!("corrupt {FILE}: {e}")))?;
                for (name, def) in v.as_object().into_iter().flatten() {
                    let mut ds = DataStream::from_json(name, def)?;
                    ds.indices.retain(|i| exists(i));
                    if ds.indices.is_empty() {
                        tracing::warn!(data_stream = %name, "data stream without backing indices dropped");
                        continue;
                    }
                    set.insert(name.clone(), ds);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&path, e)),
        }
        Ok(DataStreams {
            dir: dir.to_owned(),
            set: RwLock::new(set),
        })
    }

    fn save(&self, set: &BTreeMap<String, DataStream>) -> Result<()> {
        let v: Map<String, Value> = set.iter().map(|(n, d)| (n.clone(), d.to_json())).collect();
        crate::engine::util::write_json_atomic(&self.dir, FILE, &Value::Object(v))
    }

    /// Whether `name` is a data stream.
    pub fn contains(&self, name: &str) -> bool {
        self.set.read().contains_key(name)
    }

    /// A data stream by name.
    pub fn get(&self, name: &str) -> Option<DataStream> {
        self.set.read().get(name).cloned()
    }

    /// Every data stream, by name.
    pub fn all(&self) -> BTreeMap<String, DataStream> {
        self.set.read().clone()
    }

    /// The data stream `index` backs, if any.
    pub fn owner_of(&self, index: &str) -> Option<String> {
        self.set
            .read()
            .iter()
            .find(|(_, d)| d.indices.iter().any(|i| i == index))
            .map(|(n, _)| n.clone())
    }

    /// Adds (or replaces) a data stream and saves.
    ///
    /// # Errors
    /// When it cannot be saved (nothing changes then).
    pub fn put(&self, name: &str, ds: DataStream) -> Result<()> {
        let mut guard = self.set.write();
        let mut set = guard.clone();
        set.insert(name.to_owned(), ds);
        self.save(&set)?;
        *guard = set;
        Ok(())
    }

    /// Removes a data stream and saves; returns it.
    ///
    /// # Errors
    /// When it cannot be saved (nothing changes then).
    pub fn remove(&self, name: &str) -> Result<Option<DataStream>> {
        let mut guard = self.set.write();
        let mut set = guard.clone();
        let removed = set.remove(name);
        if removed.is_some() {
            self.save(&set)?;
            *guard = set;
        }
        Ok(removed)
    }

    /// Drops a deleted backing index (not the write index: the caller refuses that) and saves.
    ///
    /// # Errors
    /// When it cannot be saved.
    pub fn remove_index(&self, index: &str) -> Result<()> {
        let mut guard = self.set.write();
        if !guard.values().any(|d| d.indices.iter().any(|i| i == index)) {
            return Ok(());
        }
        let mut set = guard.clone();
        for d in set.values_mut() {
            d.indices.retain(|i| i != index);
        }
        self.save(&set)?;
        *guard = set;
        Ok(())
    }
}

/// Checks that a data stream document has one `@timestamp` value (what Elasticsearch's
/// `_data_stream_timestamp` field requires), without building the document.
///
/// # Errors
/// ES's `document_parsing_exception` when it is missing, null, or an array of several.
pub fn check_timestamp(source: &[u8]) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Top<'a> {
        #[serde(rename = "@timestamp", borrow, default)]
        timestamp: Option<&'a serde_json::value::RawValue>,
    }
    let missing = || {
        Error::es(
            400,
            "document_parsing_exception",
            format!(
                "{} failed to parse: data stream timestamp field [{TIMESTAMP_FIELD}] is missing",
                end_position(source)
            ),
        )
    };
    let top: Top<'_> = serde_json::from_slice(source).map_err(|_| missing())?;
    let Some(raw) = top.timestamp else {
        return Err(missing());
    };
    match serde_json::from_str::<Value>(raw.get()) {
        Ok(Value::Null) => Err(missing()),
        Ok(Value::Array(a)) if a.len() != 1 => Err(Error::es(
            400,
            "document_parsing_exception",
            format!(
                "{} failed to parse: data stream timestamp field [{TIMESTAMP_FIELD}] encountered multiple values",
                end_position(source)
            ),
        )),
        _ => Ok(()),
    }
}

/// `[line:column]` of a document's last character, where Elasticsearch reports a missing
/// timestamp (it notices at the end of the document).
fn end_position(source: &[u8]) -> String {
    let end = source
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    let line = 1 + source[..end].iter().filter(|&&b| b == b'\n').count();
    let line_start = source[..end]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = 1 + String::from_utf8_lossy(&source[line_start..end])
        .chars()
        .count();
    format!("[{line}:{column}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backing_indices_are_named_as_elasticsearch_8_names_them() {
        // 2025-12-06T05:46:40Z
        assert_eq!(
            backing_index_name("logs-app-default", 1, 1_765_000_000_000),
            ".ds-logs-app-default-2025.12.06-000001"
        );
        assert!(backing_index_name("s", 123, 0).ends_with("-1970.01.01-000123"));
    }

    #[test]
    fn documents_need_one_timestamp() {
        let check = |s: &str| check_timestamp(s.as_bytes()).map_err(|e| e.reason());
        assert!(check(r#"{"@timestamp":"2026-12-06T00:00:00Z","m":1}"#).is_ok());
        assert!(check(r#"{"@timestamp":["2026-12-06T00:00:00Z"]}"#).is_ok());
        assert!(check(r#"{"@timestamp":1765000000000}"#).is_ok());
        for (bad, at) in [
            (r#"{"m":1}"#, "[1:7]"),
            (r#"{"@timestamp":null}"#, "[1:19]"),
            ("{\n  \"a\": {\"@timestamp\": \"x\"}\n}\n", "[3:1]"),
        ] {
            assert_eq!(
                check(bad),
                Err(format!(
                    "{at} failed to parse: data stream timestamp field [@timestamp] is missing"
                )),
                "{bad}"
            );
        }
        assert!(
            check(r#"{"@timestamp":["2026-12-06T00:00:00Z","2026-12-07T00:00:00Z"]}"#)
                .is_err_and(|e| e.contains("multiple values"))
        );
    }

    #[test]
    fn streams_survive_a_reopen_and_lose_missing_backing_indices() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ds = DataStream {
            indices: vec![".ds-a-1".into(), ".ds-a-2".into()],
            generation: 2,
            template: "t".into(),
            hidden: false,
        };
        {
            let streams = DataStreams::open(dir.path(), |_| true).unwrap_or_else(|e| panic!("{e}"));
            streams
                .put("a", ds.clone())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(streams.owner_of(".ds-a-2").as_deref(), Some("a"));
        }
        let again = DataStreams::open(dir.path(), |_| true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.get("a"), Some(ds));
        let partial =
            DataStreams::open(dir.path(), |i| i == ".ds-a-2").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            partial.get("a").map(|d| d.indices),
            Some(vec![".ds-a-2".to_owned()])
        );
        let none = DataStreams::open(dir.path(), |_| false).unwrap_or_else(|e| panic!("{e}"));
        assert!(!none.contains("a"));
    }
}

// ---------------------------------------------------------------------------------------------
// the store's data stream operations

use std::sync::Arc;

use crate::engine::shard::{OpType, Shard};
use crate::engine::store::Store;
use crate::engine::util::wildcard_match;

/// Where a write to a name goes.
pub(crate) enum WriteTarget {
    /// An index (or an alias's write index).
    Index(Arc<Shard>),
    /// A data stream's write index.
    Stream(Arc<Shard>),
    /// A data stream's backing index named directly (the stream's name).
    Backing(Arc<Shard>, String),
}

/// ES's refusal of anything but `create` on a data stream.
pub(crate) fn only_create() -> Error {
    Error::illegal_argument("only write ops with an op_type of create are allowed in data streams")
}

/// ES's refusal of an index or create request aimed at a backing index.
pub(crate) fn no_backing_writes(op: OpType, stream: &str) -> Error {
    let what = match op {
        OpType::Create => "op_type=create",
        _ => "op_type=index and no if_primary_term and if_seq_no set",
    };
    Error::illegal_argument(format!(
        "index request with {what} targeting backing indices is disallowed, target corresponding data stream [{stream}] instead"
    ))
}

/// The rollover conditions sluice-store evaluates.
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    /// `settings`, `mappings` and `aliases` of the body: the new index's, for an alias's
    /// rollover (a data stream's takes none)
    pub(crate) create: Map<String, Value>,
    max_age_ms: Option<(String, i64)>,
    max_docs: Option<u64>,
    max_primary_shard_docs: Option<u64>,
    /// `max_size` (all primaries) and `max_primary_shard_size`: as written, and bytes
    max_size: Option<(String, u64)>,
    max_primary_shard_size: Option<(String, u64)>,
}

impl Conditions {
    pub(crate) fn parse(body: Option<&Value>) -> Result<Conditions> {
        let mut c = Conditions::default();
        let Some(body) = body else { return Ok(c) };
        let Some(obj) = body.as_object() else {
            return Err(Error::x_content("[1:1] [rollover] expected an object"));
        };
        for (k, v) in obj {
            match k.as_str() {
                "conditions" => {
                    let Some(conds) = v.as_object() else {
                        return Err(Error::x_content(
                            "[1:2] [rollover] failed to parse field [conditions]",
                        ));
                    };
                    for (name, value) in conds {
                        match name.as_str() {
                            "max_age" => {
                                let text = value.as_str().ok_or_else(|| {
                                    Error::x_content(
                                        "[1:2] [conditions] failed to parse field [max_age]",
                                    )
                                })?;
                                let ms = crate::engine::settings::parse_interval(text)
                                    .ok()
                                    .flatten()
                                    .and_then(|d| i64::try_from(d.as_millis()).ok())
                                    .ok_or_else(|| {
                                        Error::illegal_argument(format!(
                                            "failed to parse setting [max_age] with value [{text}] as a time value: unit is missing or unrecognized"
                                        ))
                                    })?;
                                c.max_age_ms = Some((text.to_owned(), ms));
                            }
                            "max_docs" | "max_primary_shard_docs" => {
                                let n = value.as_u64().ok_or_else(|| {
                                    Error::x_content(format!(
                                        "[1:2] [conditions] failed to parse field [{name}]"
                                    ))
                                })?;
                                if name == "max_docs" {
                                    c.max_docs = Some(n);
                                } else {
                                    c.max_primary_shard_docs = Some(n);
                                }
                            }
                            "max_size" | "max_primary_shard_size" => {
                                let text = value.as_str().unwrap_or_default();
                                let bytes = crate::engine::util::parse_byte_size(text)
                                    .ok_or_else(|| {
                                        Error::x_content(format!(
                                            "[1:2] [conditions] failed to parse field [{name}]"
                                        ))
                                        .caused_by(Error::parsing(format!(
                                            "failed to parse setting [{name}] with value [{text}] as a size in bytes: unit is missing or unrecognized"
                                        )))
                                    })?;
                                let slot = if name == "max_size" {
                                    &mut c.max_size
                                } else {
                                    &mut c.max_primary_shard_size
                                };
                                *slot = Some((text.to_owned(), bytes));
                            }
                            other => {
                                return Err(Error::illegal_argument(format!(
                                    "rollover condition [{other}] is not supported by sluice-store (it has max_age, max_docs, max_primary_shard_docs, max_size and max_primary_shard_size)"
                                )));
                            }
                        }
                    }
                }
                "settings" | "mappings" | "aliases" => {
                    c.create.insert(k.clone(), v.clone());
                }
                other => {
                    return Err(Error::x_content(format!(
                        "[1:2] [rollover] unknown field [{other}]"
                    )));
                }
            }
        }
        Ok(c)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.max_age_ms.is_none()
            && self.max_docs.is_none()
            && self.max_primary_shard_docs.is_none()
            && self.max_size.is_none()
            && self.max_primary_shard_size.is_none()
    }

    /// Each condition as ES names it in the response, with whether it holds.
    pub(crate) fn evaluate(&self, shard: &Shard, now_ms: i64) -> Map<String, Value> {
        let mut out = Map::new();
        let age = now_ms - shard.meta().created_ms;
        if let Some((text, ms)) = &self.max_age_ms {
            out.insert(format!("[max_age: {text}]"), Value::from(age >= *ms));
        }
        let docs = shard.stats().0;
        if let Some(n) = self.max_docs {
            out.insert(format!("[max_docs: {n}]"), Value::from(docs >= n));
        }
        if let Some(n) = self.max_primary_shard_docs {
            let most = shard.shard_stats().iter().map(|s| s.1).max().unwrap_or(0);
            out.insert(
                format!("[max_primary_shard_docs: {n}]"),
                Value::from(most >= n),
            );
        }
        if let Some((text, n)) = &self.max_size {
            out.insert(
                format!("[max_size: {text}]"),
                Value::from(shard.stats().2 >= *n),
            );
        }
        if let Some((text, n)) = &self.max_primary_shard_size {
            let most = shard.shard_stats().iter().map(|s| s.2).max().unwrap_or(0);
            out.insert(
                format!("[max_primary_shard_size: {text}]"),
                Value::from(most >= *n),
            );
        }
        out
    }
}

impl Store {
    /// Makes data stream `name` with its first backing index, from the template that applies
    /// (`template`, `hidden`). The caller holds the create lock and checked that no index,
    /// alias or stream has the name.
    pub(crate) fn create_stream_locked(
        &self,
        name: &str,
        template: String,
        hidden: bool,
    ) -> Result<Arc<Shard>> {
        if name.starts_with(".ds-") {
            return Err(Error::illegal_argument(format!(
                "data_stream [{name}] must not start with '.ds-'"
            )));
        }
        let backing = backing_index_name(name, 1, crate::engine::store::now_ms());
        let shard = self.create_backing_locked(name, &backing)?;
        let ds = DataStream {
            indices: vec![backing.clone()],
            generation: 1,
            template,
            hidden,
        };
        if let Err(e) = self.data_streams().put(name, ds) {
            let _ = self.drop_index_locked(&backing);
            return Err(e);
        }
        tracing::info!(data_stream = name, index = %backing, "data stream created");
        Ok(shard)
    }

    /// A backing index of `stream`: the template that applies to the stream's name, with
    /// `@timestamp` mapped as a date when the template does not map it.
    fn create_backing_locked(&self, stream: &str, index: &str) -> Result<Arc<Shard>> {
        let mut body = self
            .templates()
            .body_for(stream, None)?
            .unwrap_or_else(|| json!({}));
        if body
            .get("aliases")
            .is_some_and(|a| a.as_object().is_none_or(|m| !m.is_empty()))
        {
            return Err(Error::illegal_argument(format!(
                "aliases in the template of data stream [{stream}] are not supported by sluice-store (data stream aliases)"
            )));
        }
        let props = &mut body["mappings"]["properties"];
        if !props.is_object() {
            *props = json!({});
        }
        match props.get(TIMESTAMP_FIELD).map(|f| f["type"].as_str()) {
            None => {
                props[TIMESTAMP_FIELD] = json!({"type": "date"});
            }
            Some(Some("date" | "date_nanos")) => {}
            Some(other) => {
                return Err(Error::illegal_argument(format!(
                    "data stream timestamp field [{TIMESTAMP_FIELD}] is of type [{}], but [date,date_nanos] is expected",
                    other.unwrap_or("object")
                )));
            }
        }
        self.create_from_body_locked(index, Some(&body))
    }

    /// `PUT /_data_stream/{name}`.
    ///
    /// # Errors
    /// ES's: the name taken, or no template with `data_stream` applying to it.
    pub fn create_data_stream(&self, name: &str) -> Result<Value> {
        log_model::validate_index_name(name)?;
        let _g = self.create_lock().lock();
        if self.data_streams().contains(name) {
            return Err(Error::es(
                400,
                "resource_already_exists_exception",
                format!("data_stream [{name}] already exists"),
            ));
        }
        if self.shard(name).is_ok() || self.aliases().contains(name) {
            return Err(Error::es(
                400,
                "resource_already_exists_exception",
                format!("[{name}] already exists as an index or alias"),
            ));
        }
        let Some((template, hidden)) = self.templates().data_stream_for(name) else {
            return Err(Error::illegal_argument(format!(
                "no matching index template found for data stream [{name}]"
            )));
        };
        self.create_stream_locked(name, template, hidden)?;
        Ok(json!({"acknowledged": true}))
    }

    /// The data streams `names` (comma list, wildcards; none: all) match.
    fn matching_streams(&self, names: Option<&str>) -> Result<Vec<(String, DataStream)>> {
        let all = self.data_streams().all();
        let Some(names) = names.filter(|n| !n.is_empty() && *n != "_all" && *n != "*") else {
            return Ok(all.into_iter().collect());
        };
        let mut out = BTreeMap::new();
        for part in names.split(',').map(str::trim) {
            if part.contains('*') {
                for (n, d) in &all {
                    if wildcard_match(part, n) {
                        out.insert(n.clone(), d.clone());
                    }
                }
            } else if let Some(d) = all.get(part) {
                out.insert(part.to_owned(), d.clone());
            } else {
                return Err(Error::index_not_found(part));
            }
        }
        Ok(out.into_iter().collect())
    }

    /// `GET /_data_stream[/{names}]`.
    ///
    /// # Errors
    /// A named stream that does not exist (`index_not_found_exception`).
    pub fn get_data_streams(&self, names: Option<&str>) -> Result<Value> {
        let mut list = Vec::new();
        for (name, ds) in self.matching_streams(names)? {
            let indices: Vec<Value> = ds
                .indices
                .iter()
                .map(|i| {
                    let uuid = self.shard(i).map(|s| s.uuid.clone()).unwrap_or_default();
                    json!({"index_name": i, "index_uuid": uuid, "prefer_ilm": true,
                           "managed_by": "Unmanaged"})
                })
                .collect();
            list.push(json!({
                "name": name,
                "timestamp_field": {"name": TIMESTAMP_FIELD},
                "indices": indices,
                "generation": ds.generation,
                "status": "GREEN",
                "template": ds.template,
                "next_generation_managed_by": "Unmanaged",
                "prefer_ilm": true,
                "hidden": ds.hidden,
                "system": false,
                "allow_custom_routing": false,
                "replicated": false,
                "rollover_on_write": false,
            }));
        }
        Ok(json!({"data_streams": list}))
    }

    /// `DELETE /_data_stream/{names}`: the streams and their backing indices.
    ///
    /// # Errors
    /// A named stream that does not exist.
    pub fn delete_data_streams(&self, names: &str) -> Result<Value> {
        let matched = self.matching_streams(Some(names))?;
        let _g = self.create_lock().lock();
        for (name, ds) in matched {
            self.data_streams().remove(&name)?;
            for index in &ds.indices {
                self.drop_index_locked(index)?;
            }
            tracing::info!(data_stream = %name, "data stream deleted");
        }
        Ok(json!({"acknowledged": true}))
    }

    /// `POST /{target}/_rollover[/{new_index}]`: a new write index for a data stream, or for an
    /// alias ([`Store::rollover_alias`]), when any condition in the body holds (or none is
    /// given).
    ///
    /// # Errors
    /// Not a data stream; unsupported conditions or options.
    pub fn rollover(
        &self,
        target: &str,
        new_index: Option<&str>,
        body: Option<&Value>,
        dry_run: bool,
    ) -> Result<Value> {
        let conditions = Conditions::parse(body)?;
        if !self.data_streams().contains(target) && self.aliases().contains(target) {
            return self.rollover_alias(target, new_index, &conditions, dry_run);
        }
        let _g = self.create_lock().lock();
        let Some(mut ds) = self.data_streams().get(target) else {
            if self.shard(target).is_ok() {
                return Err(Error::illegal_argument(
                    "rollover target is a [concrete index] but one of [alias,data_stream] was expected",
                ));
            }
            return Err(super::rollover::no_target(target));
        };
        if new_index.is_some() {
            return Err(Error::illegal_argument(
                "a data stream's rollover cannot name its new index",
            ));
        }
        if !conditions.create.is_empty() {
            return Err(Error::illegal_argument(
                "aliases, mappings, and settings are not allowed when rolling over data streams",
            ));
        }
        let old = ds.write_index().unwrap_or_default().to_owned();
        let old_shard = self.shard(&old)?;
        let now = crate::engine::store::now_ms();
        let results = conditions.evaluate(&old_shard, now);
        let met = conditions.is_empty() || results.values().any(|v| v == &Value::Bool(true));
        let new = backing_index_name(target, ds.generation + 1, now);
        let rolled = met && !dry_run;
        if rolled {
            self.create_backing_locked(target, &new)?;
            ds.indices.push(new.clone());
            ds.generation += 1;
            if let Err(e) = self.data_streams().put(target, ds) {
                let _ = self.drop_index_locked(&new);
                return Err(e);
            }
            tracing::info!(data_stream = target, old_index = %old, new_index = %new, "rolled over");
        }
        Ok(super::rollover::response(
            rolled, &old, &new, dry_run, &results,
        ))
    }

    /// The backing indices of the streams a resolve part names (exact or pattern).
    pub(crate) fn stream_indices(&self, part: &str) -> Vec<String> {
        let streams = self.data_streams().all();
        streams
            .iter()
            .filter(|(n, _)| {
                if part.contains('*') {
                    wildcard_match(part, n)
                } else {
                    *n == part
                }
            })
            .flat_map(|(_, d)| d.indices.iter().cloned())
            .collect()
    }
}
