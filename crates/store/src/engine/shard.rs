//! One ES index: its mapping and settings, and its primary shards. Each shard is a tantivy index
//! with its own translog, live version map, writer and sequence numbers; a document goes to the
//! shard its `_id` routes to (ES's murmur3 routing, [`crate::engine::routing`]), so writes to
//! different shards share no lock, and every search reads all shards (as ES's query phase does).

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::{Mutex, RwLock};
use serde_json::{Map, Value, json};
use tantivy::directory::MmapDirectory;
use tantivy::schema::{
    FAST, Field, IndexRecordOption, JsonObjectOptions, STORED, STRING, Schema, TextFieldIndexing,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term,
};

use crate::analysis::{EsTokenizer, TextAnalysis};
use crate::engine::doc::SluiceDoc;
use crate::engine::stats::{ShardCounters, ShardFigures};
use crate::engine::wal::{IndexRecord, Wal, WalOp};
use crate::error::{Error, Result};
use crate::mapping::{IndexedDoc, Limits, Mapping};

/// How new indices analyse `text` fields (ES `standard`); older indices keep the analysis their
/// tantivy schema names (see [`crate::analysis`]).
pub const TEXT_ANALYSIS: TextAnalysis = TextAnalysis::Standard;

/// The fixed tantivy schema every ES index uses.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// `_id` (raw, stored, fast)
    pub id: Field,
    /// `_source` (stored bytes)
    pub source: Field,
    /// `_version`
    pub version: Field,
    /// `_seq_no`
    pub seq_no: Field,
    /// paths present in the doc whose values have no fast column (`text`, and fields with
    /// neither `index` nor `doc_values`), for `exists`; other paths are found by their column
    /// (indices written before this held every present path)
    pub present: Field,
    /// keyword values and `ip` terms ([`crate::mapping::ip::to_term`]), JSON by path (raw,
    /// fast)
    pub kw: Field,
    /// text values, JSON by path (analysed, positions)
    pub text: Field,
    /// numbers, dates (epoch millis) and booleans, JSON by path (fast column only)
    pub num: Field,
}

fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // `_id` needs terms (lookups, deletes) and the stored value, not a column: a fast column of
    // unique strings costs a dictionary entry per document at every flush and merge
    let id = b.add_text_field("_id", STRING | STORED);
    let source = b.add_bytes_field("_source", STORED);
    // read from their columns only (indices created before this also stored them)
    let version = b.add_u64_field("_version", FAST);
    let seq_no = b.add_u64_field("_seq_no", FAST);
    let present = b.add_text_field("_fields", STRING);
    let kw_opts = JsonObjectOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("raw")
                .set_index_option(IndexRecordOption::Basic),
        )
        .set_fast("raw")
        .set_expand_dots_enabled();
    let kw = b.add_json_field("k", kw_opts);
    let text_opts = JsonObjectOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TEXT_ANALYSIS.tokenizer_name())
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_expand_dots_enabled();
    let text = b.add_json_field("t", text_opts);
    // numbers, dates and booleans are only a fast column: `term`, `terms` and `range` on them
    // read the column (as ES reads points and doc values), so no inverted index is built for
    // them (timestamps are nearly one term per document). Indices created before this keep
    // their schema, with terms nobody reads any more.
    let num_opts = JsonObjectOptions::default()
        .set_fast("raw")
        .set_expand_dots_enabled();
    let num = b.add_json_field("n", num_opts);
    (
        b.build(),
        Fields {
            id,
            source,
            version,
            seq_no,
            present,
            kw,
            text,
            num,
        },
    )
}

/// The analysis the `t` field of a tantivy schema was written with.
fn schema_text_analysis(schema: &Schema, text: Field) -> TextAnalysis {
    match schema.get_field_entry(text).field_type() {
        tantivy::schema::FieldType::JsonObject(o) => o
            .get_text_indexing_options()
            .and_then(|i| TextAnalysis::from_tokenizer_name(i.tokenizer()))
            .unwrap_or(TEXT_ANALYSIS),
        _ => TEXT_ANALYSIS,
    }
}

/// Persistent metadata of an index (`meta.json`).
#[derive(Debug, Clone)]
pub struct IndexMeta {
    /// ES index name.
    pub name: String,
    /// `index.uuid`.
    pub uuid: String,
    /// `index.creation_date` (epoch millis).
    pub created_ms: i64,
    /// The mapping.
    pub mapping: Mapping,
    /// `index.number_of_replicas` (affects only health, as on a single node).
    pub replicas: u32,
    /// `index.number_of_shards` (primaries; fixed at creation).
    pub shards: u32,
    /// `index.refresh_interval` override (`None` = store default, `Some(None)` = -1).
    pub refresh_interval: Option<Option<Duration>>,
    /// Other accepted settings, rendered back in `GET /index`.
    pub settings: Map<String, Value>,
    /// Closed (`POST /{index}/_close`): kept, but neither searched nor written until opened.
    pub closed: bool,
    /// The last lifecycle phase (warm, cold) whose actions ran on the index (ES keeps it in
    /// the index's lifecycle state, so a phase's actions run once).
    pub lifecycle_phase: Option<String>,
}

impl IndexMeta {
    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "uuid": self.uuid,
            "created_ms": self.created_ms,
            "mapping_flat": self.mapping.to_flat_json(),
            "replicas": self.replicas,
            "number_of_shards": self.shards,
            "refresh_interval": match self.refresh_interval {
                None => Value::Null,
                Some(None) => Value::from("-1"),
                Some(Some(d)) => Value::from(format!("{}ms", d.as_millis())),
            },
            "settings": self.settings,
            "closed": self.closed,
            "lifecycle_phase": self.lifecycle_phase,
        })
    }

    fn from_json(v: &Value) -> Result<IndexMeta> {
        let bad = || Error::es(500, "exception", "corrupt index meta.json");
        let refresh_interval = match v.get("refresh_interval") {
            Some(Value::String(s)) => Some(crate::engine::settings::parse_interval(s)?),
            _ => None,
        };
        Ok(IndexMeta {
            name: v
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(bad)?
                .to_owned(),
            uuid: v
                .get("uuid")
                .and_then(Value::as_str)
                .ok_or_else(bad)?
                .to_owned(),
            created_ms: v.get("created_ms").and_then(Value::as_i64).unwrap_or(0),
            // `mapping_flat` nests no deeper however deep the mapping is; `mappings` (the ES
            // rendering) is what stores before it wrote
            mapping: match (v.get("mapping_flat"), v.get("mappings")) {
                (Some(flat), _) => Mapping::from_flat_json(flat)?,
                (None, Some(tree)) => Mapping::parse(tree)?,
                (None, None) => return Err(bad()),
            },
            replicas: v.get("replicas").and_then(Value::as_u64).unwrap_or(1) as u32,
            // indices written before shards existed have one, in the index directory
            shards: match v.get("number_of_shards") {
                None => 1,
                Some(n) => n
                    .as_u64()
                    .filter(|n| (1..=crate::engine::routing::MAX_SHARDS as u64).contains(n))
                    .ok_or_else(bad)? as u32,
            },
            refresh_interval,
            settings: v
                .get("settings")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            closed: v.get("closed").and_then(Value::as_bool).unwrap_or(false),
            lifecycle_phase: v
                .get("lifecycle_phase")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }
}

#[derive(Debug, Clone)]
struct LiveEntry {
    version: u64,
    seq_no: u64,
    /// `None` = deleted
    source: Option<Bytes>,
    /// The custom `routing` it was written with.
    routing: Option<String>,
}

/// A document read by `_id`.
#[derive(Debug, Clone)]
pub struct Got {
    /// `_version`.
    pub version: u64,
    /// `_seq_no`.
    pub seq_no: u64,
    /// `_source` bytes.
    pub source: Bytes,
    /// The custom `routing` it was written with (`_routing`).
    pub routing: Option<String>,
}

/// What a write did to one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocResult {
    /// A new document.
    Created,
    /// An existing document was replaced.
    Updated,
    /// A document was deleted.
    Deleted,
    /// Delete of a missing document.
    NotFound,
    /// An update that changed nothing (`detect_noop`): nothing was written.
    Noop,
}

impl DocResult {
    /// ES's `result` string.
    pub fn as_str(self) -> &'static str {
        match self {
            DocResult::Created => "created",
            DocResult::Updated => "updated",
            DocResult::Deleted => "deleted",
            DocResult::NotFound => "not_found",
            DocResult::Noop => "noop",
        }
    }
}

/// The outcome of one successful write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteResult {
    /// `_index`
    pub index: String,
    /// `_id`
    pub id: String,
    /// `_version`
    pub version: u64,
    /// `_seq_no`
    pub seq_no: u64,
    /// `_primary_term` (always 1)
    pub primary_term: u64,
    /// `result`
    pub result: DocResult,
}

impl WriteResult {
    /// HTTP status: 201 created, 404 not found, else 200.
    pub fn status(&self) -> u16 {
        match self.result {
            DocResult::Created => 201,
            DocResult::NotFound => 404,
            _ => 200,
        }
    }

    /// ES body of a single-document write (also the bulk item body, with `status` added there).
    pub fn to_json(&self) -> Value {
        // a noop wrote nothing: no shard took part
        let shards = if self.result == DocResult::Noop {
            json!({"total": 0, "successful": 0, "failed": 0})
        } else {
            json!({"total": 2, "successful": 1, "failed": 0})
        };
        json!({
            "_index": self.index,
            "_id": self.id,
            "_version": self.version,
            "result": self.result.as_str(),
            "_shards": shards,
            "_seq_no": self.seq_no,
            "_primary_term": self.primary_term,
        })
    }
}

/// The kind of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpType {
    /// Create or overwrite.
    Index,
    /// Create only (409 if the id exists).
    Create,
    /// Delete.
    Delete,
    /// A partial update (`_update`, bulk `update`): read, merged and written as `index` (or
    /// `create` for an upsert) by [`crate::Store`]; never reaches a shard as such.
    Update,
}

impl OpType {
    /// ES's action name.
    pub fn as_str(self) -> &'static str {
        match self {
            OpType::Index => "index",
            OpType::Create => "create",
            OpType::Delete => "delete",
            OpType::Update => "update",
        }
    }
}

/// A write's precondition (optimistic concurrency control).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cond {
    /// None: the write applies whatever the document's state.
    #[default]
    None,
    /// `if_seq_no` + `if_primary_term`: the document must exist with exactly these.
    SeqNo {
        /// The expected `_seq_no`.
        seq_no: u64,
        /// The expected `_primary_term` (always 1 here).
        primary_term: u64,
    },
    /// `version` with `version_type=external` (`gte`: `external_gte`): the given version
    /// becomes the document's, and must be above (at least, for `gte`) the current one.
    External {
        /// The version the client keeps.
        version: u64,
        /// `external_gte`.
        gte: bool,
    },
}

impl Cond {
    /// The precondition of a write from its request parameters (`if_seq_no`,
    /// `if_primary_term`, `version`, `version_type`), checked as Elasticsearch validates an
    /// index/delete request: the problems are `action_request_validation_exception` lines.
    ///
    /// # Errors
    /// The validation problems, or the reason a value is not a number.
    pub fn from_params(
        op: OpType,
        has_id: bool,
        if_seq_no: Option<&str>,
        if_primary_term: Option<&str>,
        version: Option<&str>,
        version_type: Option<&str>,
    ) -> Result<Cond> {
        let num = |name: &str, v: Option<&str>| -> Result<Option<i64>> {
            v.map(|t| {
                t.parse::<i64>().map_err(|_| {
                    Error::illegal_argument(format!(
                        "Failed to parse value [{t}] for parameter [{name}]"
                    ))
                })
            })
            .transpose()
        };
        let seq = num("if_seq_no", if_seq_no)?;
        let term = num("if_primary_term", if_primary_term)?;
        let version = num("version", version)?;
        let external = match version_type {
            None | Some("internal") => None,
            Some("external") => Some(false),
            Some("external_gte") => Some(true),
            Some(other) => {
                return Err(Error::illegal_argument(format!(
                    "No version type match [{other}]"
                )));
            }
        };
        let mut problems = Vec::new();
        if op == OpType::Create && (external.is_some() || version.is_some() || seq.is_some()) {
            problems.push(if external.is_some() {
                "create operations only support internal versioning. use index instead"
            } else if version.is_some() {
                "create operations do not support explicit versions. use index instead"
            } else {
                "create operations do not support compare and set. use index instead"
            });
        }
        if !has_id && (external.is_some() || version.is_some()) {
            problems.push("an id must be provided if version type or value are set");
        }
        if seq.is_some() && (external.is_some() || version.is_some()) {
            problems.push("compare and write operations can not use versioning");
        }
        let term_problem;
        match (seq, term) {
            (Some(_), None) => problems.push("ifSeqNo is set, but primary term is [0]"),
            (None, Some(t)) => {
                term_problem = format!("ifSeqNo is unassigned, but primary term is [{t}]");
                problems.push(&term_problem);
            }
            _ => {}
        }
        let bad_version;
        if external.is_some() && has_id {
            // ES's default version (MATCH_ANY) is -3: not a valid external version
            let v = version.unwrap_or(-3);
            if v < 0 {
                bad_version = format!(
                    "illegal version value [{v}] for version type [{}]",
                    version_type.unwrap_or("").to_ascii_uppercase()
                );
                problems.push(&bad_version);
            }
        }
        if version.is_some() && external.is_none() && op != OpType::Create {
            problems.push(
                "internal versioning can not be used for optimistic concurrency control. \
                 Please use `if_seq_no` and `if_primary_term` instead",
            );
        }
        if !problems.is_empty() {
            return Err(Error::validation(&problems));
        }
        Ok(match (seq, term, external, version) {
            (Some(seq_no), Some(primary_term), _, _) => Cond::SeqNo {
                seq_no: u64::try_from(seq_no).unwrap_or(u64::MAX),
                primary_term: u64::try_from(primary_term).unwrap_or(0),
            },
            (_, _, Some(gte), Some(version)) => Cond::External {
                version: u64::try_from(version).unwrap_or(0),
                gte,
            },
            _ => Cond::None,
        })
    }
}

/// A write prepared for one shard (source parsed and converted).
pub(crate) struct Prepared {
    pub op: OpType,
    pub id: String,
    pub auto_id: bool,
    pub source: Bytes,
    pub doc: Option<IndexedDoc>,
    pub cond: Cond,
    /// The custom `routing`: the shard is chosen by it instead of the `_id`.
    pub routing: Option<String>,
}

/// One ES index: metadata shared by its shards, and the shards.
pub struct Shard {
    /// ES index name.
    pub name: String,
    /// uuid.
    pub uuid: String,
    dir: PathBuf,
    meta: RwLock<IndexMeta>,
    /// The schema fields (the same in every shard).
    pub fields: Fields,
    parts: Vec<Part>,
    routing: crate::engine::routing::Routing,
}

/// The writes of one request routed to one shard, with their positions in the request.
type Batch = Mutex<Vec<(usize, Prepared)>>;

/// One primary shard: a tantivy index, its translog and its live version map.
struct Part {
    /// Shard number.
    num: usize,
    dir: PathBuf,
    _index: Index,
    /// How this shard's `text` values were analysed (named in its tantivy schema).
    text_analysis: TextAnalysis,
    /// `None` once closed
    writer: RwLock<Option<IndexWriter<SluiceDoc>>>,
    reader: IndexReader,
    wal: Wal,
    next_seq: AtomicU64,
    live: Mutex<HashMap<String, LiveEntry>>,
    live_bytes: AtomicUsize,
    dirty: AtomicBool,
    refresh_lock: Mutex<()>,
    /// What `_stats` reports of this shard's work.
    counters: Arc<ShardCounters>,
}

const META_FILE: &str = "meta.json";
/// Live-map budget of a whole index (each shard gets its share).
const LIVE_LIMIT_BYTES: usize = 96 << 20;
/// Writes to several shards of one index run on scoped threads when a request carries at least
/// this many operations (below it a thread costs more than it saves).
const PARALLEL_WRITE_MIN: usize = 256;

fn write_meta(dir: &Path, meta: &IndexMeta) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(&meta.to_json())
        .map_err(|e| Error::es(500, "exception", format!("cannot encode index meta: {e}")))?;
    durable_log::write_atomic(&dir.join(META_FILE), &bytes).map_err(crate::engine::util::log_error)
}

/// Shard tuning taken from the store config.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShardOptions {
    /// Indexing memory of each shard (at least tantivy's minimum per thread): not divided by
    /// the shard count, since with a 1 s refresh the segment a thread writes is bounded by
    /// time, and smaller budgets only made more, smaller segments to merge.
    pub writer_memory_bytes: usize,
    /// Indexing threads per shard.
    pub writer_threads: usize,
    pub fsync: bool,
}

/// Shard `num`'s directory: shard 0 lives in the index directory itself (where indices written
/// before shards existed keep their only shard), the others under `shards/{num}`.
fn part_dir(dir: &Path, num: usize) -> PathBuf {
    if num == 0 {
        dir.to_owned()
    } else {
        dir.join("shards").join(num.to_string())
    }
}

/// Runs `f` for every item of `items`, on scoped threads when `parallel` (results in order).
fn each<T: Sync, R: Send>(items: &[T], parallel: bool, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if !parallel || items.len() < 2 {
        return items.iter().map(f).collect();
    }
    std::thread::scope(|sc| {
        let f = &f;
        let handles: Vec<_> = items.iter().map(|t| sc.spawn(move || f(t))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

impl Shard {
    /// Creates a new index in `dir` (which must not exist).
    pub(crate) fn create(dir: &Path, meta: IndexMeta, opts: ShardOptions) -> Result<Shard> {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        write_meta(dir, &meta)?;
        Shard::open_with(dir, meta, opts)
    }

    /// Opens an existing index directory, replaying its shards' translogs.
    pub(crate) fn open(dir: &Path, opts: ShardOptions) -> Result<Shard> {
        let path = dir.join(META_FILE);
        let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let v: Value = serde_json::from_slice(&bytes)
            .map_err(|e| Error::es(500, "exception", format!("corrupt {}: {e}", path.display())))?;
        let meta = IndexMeta::from_json(&v)?;
        Shard::open_with(dir, meta, opts)
    }

    fn open_with(dir: &Path, meta: IndexMeta, opts: ShardOptions) -> Result<Shard> {
        let n = meta.shards.max(1) as usize;
        let (_, fields) = build_schema();
        let nums: Vec<usize> = (0..n).collect();
        let name = meta.name.clone();
        let parts = each(&nums, n > 1, |&num| Part::open(&name, dir, num, opts))
            .into_iter()
            .collect::<Result<Vec<(Part, Vec<WalOp>, u64)>>>()?;
        let mut index = Shard {
            name: meta.name.clone(),
            uuid: meta.uuid.clone(),
            dir: dir.to_owned(),
            routing: crate::engine::routing::Routing::with_routing_shards(
                n,
                meta.settings
                    .get("number_of_routing_shards")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse().ok()),
            ),
            meta: RwLock::new(meta),
            fields,
            parts: Vec::with_capacity(n),
        };
        let mut replays = Vec::with_capacity(n);
        for (part, ops, truncated) in parts {
            replays.push((ops, truncated));
            index.parts.push(part);
        }
        // replay in shard order (dynamic mapping updates apply in a deterministic order)
        for (part, (ops, truncated)) in index.parts.iter().zip(replays) {
            let committed = part.committed_seq()?;
            let mut replayed = 0usize;
            for op in ops {
                if committed.is_some_and(|c| op.seq_no() <= c) {
                    continue;
                }
                index.replay_op(part, op)?;
                replayed += 1;
            }
            if replayed > 0 || truncated > 0 {
                tracing::info!(index = %index.name, shard = part.num, replayed, truncated_bytes = truncated, "translog replayed");
            }
            part.dirty.store(true, Ordering::SeqCst);
        }
        index.refresh()?;
        Ok(index)
    }

    fn replay_op(&self, part: &Part, op: WalOp) -> Result<()> {
        let seq = op.seq_no();
        let w = part.writer.read();
        let w = w.as_ref().ok_or_else(|| self.closed())?;
        match op {
            WalOp::Index {
                seq_no,
                version,
                id,
                source,
                auto_id,
                routing,
            } => {
                let idoc = {
                    let mut meta = self.meta.write();
                    let (idoc, up) = meta.mapping.convert(&source, &id).map_err(|e| {
                        Error::es(
                            500,
                            "exception",
                            format!("cannot replay the translog record of [{id}]: {e}"),
                        )
                    })?;
                    if !up.is_empty() {
                        meta.mapping.apply(up);
                        write_meta(&self.dir, &meta)?;
                    }
                    let mut idoc = idoc;
                    if let Some(r) = &routing {
                        idoc.add_keyword(ROUTING_PATH, r);
                    }
                    idoc
                };
                self.index_doc(w, !auto_id, &id, (version, seq_no), source.clone(), idoc)?;
                part.live.lock().insert(
                    id,
                    LiveEntry {
                        version,
                        seq_no,
                        source: Some(source),
                        routing,
                    },
                );
            }
            WalOp::Delete {
                seq_no,
                version,
                id,
            } => {
                w.delete_term(Term::from_field_text(self.fields.id, &id));
                part.live.lock().insert(
                    id,
                    LiveEntry {
                        version,
                        seq_no,
                        source: None,
                        routing: None,
                    },
                );
            }
        }
        let next = part.next_seq.load(Ordering::SeqCst).max(seq + 1);
        part.next_seq.store(next, Ordering::SeqCst);
        Ok(())
    }

    /// How this index analyses `text` values (indexing and query text alike).
    pub fn text_analysis(&self) -> TextAnalysis {
        self.parts
            .first()
            .map_or(TEXT_ANALYSIS, |p| p.text_analysis)
    }

    /// A snapshot of the metadata.
    pub fn meta(&self) -> IndexMeta {
        self.meta.read().clone()
    }

    /// Whether the setting `key` (without `index.`) is `"true"`, without copying the metadata.
    pub fn setting_is_true(&self, key: &str) -> bool {
        self.meta.read().settings.get(key).and_then(Value::as_str) == Some("true")
    }

    /// Runs `f` with the mapping.
    pub fn with_mapping<T>(&self, f: impl FnOnce(&Mapping) -> T) -> T {
        f(&self.meta.read().mapping)
    }

    /// Merges `mapping` into the index mapping and persists it.
    pub fn merge_mapping(&self, mapping: &Mapping) -> Result<()> {
        let mut meta = self.meta.write();
        let mut m = meta.mapping.clone();
        m.merge(mapping)?;
        m.check_limits(&Limits::from_settings(&meta.settings)?)?;
        meta.mapping = m;
        write_meta(&self.dir, &meta)
    }

    /// Changes the metadata with `f` (dynamic settings), checks the mapping limits against the
    /// result and persists it.
    ///
    /// # Errors
    /// `f`'s, the limits', writing `meta.json`.
    pub fn update_meta(&self, f: impl FnOnce(&mut IndexMeta) -> Result<()>) -> Result<()> {
        let mut meta = self.meta.write();
        let mut next = meta.clone();
        f(&mut next)?;
        next.mapping
            .check_limits(&Limits::from_settings(&next.settings)?)?;
        write_meta(&self.dir, &next)?;
        *meta = next;
        Ok(())
    }

    /// Whether the index is closed.
    pub fn is_closed(&self) -> bool {
        self.meta.read().closed
    }

    /// `index.hidden`: wildcards skip it unless `expand_wildcards` includes `hidden`.
    pub fn is_hidden(&self) -> bool {
        self.setting_is_true("hidden")
    }

    /// Number of primary shards.
    pub fn shard_count(&self) -> usize {
        self.parts.len()
    }

    /// The current searcher of every shard, in shard order (what `refresh` made visible).
    pub fn searchers(&self) -> Vec<Searcher> {
        self.parts.iter().map(|p| p.reader.searcher()).collect()
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Effective refresh interval given the store default.
    pub fn refresh_interval(&self, default: Option<Duration>) -> Option<Duration> {
        match self.meta.read().refresh_interval {
            None => default,
            Some(x) => x,
        }
    }

    /// `index.translog.durability: async`: writes are acknowledged before their translog is
    /// fsynced, which happens every `index.translog.sync_interval` (default 5 s; the refresh
    /// thread's tick, at most a second, is the finest step) — a crash can lose the writes of
    /// the last interval, as in Elasticsearch. `None`: every request is fsynced before its
    /// answer (the default, `request`).
    pub fn async_durability(&self) -> Option<Duration> {
        let meta = self.meta.read();
        let durability = meta.settings.get("translog.durability")?;
        if !durability
            .as_str()
            .is_some_and(|d| d.eq_ignore_ascii_case("async"))
        {
            return None;
        }
        let interval = meta
            .settings
            .get("translog.sync_interval")
            .and_then(Value::as_str)
            .and_then(|s| crate::engine::settings::parse_interval(s).ok().flatten());
        Some(interval.unwrap_or(Duration::from_secs(5)))
    }

    /// Makes every write appended to the translogs durable (the periodic sync of
    /// [`Shard::async_durability`]).
    ///
    /// # Errors
    /// A failed write or fsync of a translog.
    pub fn sync_translogs(&self) -> Result<()> {
        for p in &self.parts {
            p.wal.sync(u64::MAX)?;
        }
        Ok(())
    }

    /// Writes one document with `w`: first its nested documents (each with the same `_id` and
    /// no `_source`), then itself, in one batch so that they stay together and in order in one
    /// segment (Lucene's block join); `replace` deletes the documents of `id` first (all of
    /// them, nested ones included).
    pub(crate) fn index_doc(
        &self,
        w: &IndexWriter<SluiceDoc>,
        replace: bool,
        id: &str,
        (version, seq_no): (u64, u64),
        source: Bytes,
        mut idoc: IndexedDoc,
    ) -> Result<()> {
        let tv = |e| Error::tantivy(&self.name, e);
        let nested = std::mem::take(&mut idoc.nested);
        let root = SluiceDoc::new(self.fields, id.to_owned(), source, version, seq_no, idoc);
        if nested.is_empty() {
            if replace {
                w.delete_term(Term::from_field_text(self.fields.id, id));
            }
            w.add_document(root).map_err(tv)?;
            return Ok(());
        }
        let mut ops = Vec::with_capacity(nested.len() + 2);
        if replace {
            ops.push(tantivy::indexer::UserOperation::Delete(
                Term::from_field_text(self.fields.id, id),
            ));
        }
        for n in nested {
            ops.push(tantivy::indexer::UserOperation::Add(SluiceDoc::new(
                self.fields,
                id.to_owned(),
                Bytes::new(),
                version,
                seq_no,
                n,
            )));
        }
        ops.push(tantivy::indexer::UserOperation::Add(root));
        w.run(ops).map_err(tv)?;
        Ok(())
    }

    /// Parses and converts one source for this index, applying and persisting dynamic mapping
    /// updates. Errors are per-document (`document_parsing_exception` and friends).
    pub(crate) fn prepare(&self, op: OpType, id: Option<&str>, source: Bytes) -> Result<Prepared> {
        self.prepare_with(op, id, source, true)?
            .ok_or_else(|| Error::es(500, "exception", "mapping update refused"))
    }

    /// [`Shard::prepare`]; with `allow_updates` false, a document that needs a dynamic mapping
    /// update is not converted (`Ok(None)`): the caller prepares it again in request order, so
    /// that concurrent preparation gives the same mapping as a sequential one.
    pub(crate) fn prepare_with(
        &self,
        op: OpType,
        id: Option<&str>,
        source: Bytes,
        allow_updates: bool,
    ) -> Result<Option<Prepared>> {
        let (id, auto_id) = match id {
            Some(id) => {
                validate_id(id)?;
                (id.to_owned(), false)
            }
            None => (crate::engine::util::generate_id(), true),
        };
        if op == OpType::Delete {
            return Ok(Some(Prepared {
                op,
                id,
                auto_id,
                source,
                doc: None,
                cond: Cond::None,
                routing: None,
            }));
        }
        let idoc = {
            let meta = self.meta.read();
            let (idoc, up) = meta.mapping.convert(&source, &id)?;
            if !idoc.nested.is_empty() {
                let limit = Limits::from_settings(&meta.settings)?.nested_objects;
                if idoc.nested.len() > limit {
                    return Err(Error::es(
                        400,
                        "document_parsing_exception",
                        format!(
                            "The number of nested documents has exceeded the allowed limit of [{limit}]. This limit can be set by changing the [index.mapping.nested_objects.limit] index level setting."
                        ),
                    ));
                }
            }
            if up.is_empty() { Some(idoc) } else { None }
        };
        let idoc = match idoc {
            Some(d) => d,
            None if !allow_updates => return Ok(None),
            None => {
                let mut meta = self.meta.write();
                let (idoc, up) = meta.mapping.convert(&source, &id)?;
                if !up.is_empty() {
                    let mut m = meta.mapping.clone();
                    m.apply(up);
                    let limits = Limits::from_settings(&meta.settings)?;
                    m.check_limits(&limits).map_err(|e| {
                        Error::es(
                            400,
                            "document_parsing_exception",
                            format!("failed to parse: {}", e.reason()),
                        )
                        .caused_by(e)
                    })?;
                    let old = std::mem::replace(&mut meta.mapping, m);
                    if let Err(e) = write_meta(&self.dir, &meta) {
                        meta.mapping = old;
                        return Err(e);
                    }
                }
                idoc
            }
        };
        Ok(Some(Prepared {
            op,
            id,
            auto_id,
            source,
            doc: Some(idoc),
            cond: Cond::None,
            routing: None,
        }))
    }

    /// The shard a document routes to: by its custom `routing`, else by its `_id`.
    fn part_for(&self, id: &str, routing: Option<&str>) -> &Part {
        &self.parts[self.routing.shard(routing.unwrap_or(id))]
    }

    /// The shard numbers the `routing` values of a search route to (ES searches only those).
    pub fn shards_for_routing<'a>(&self, values: impl IntoIterator<Item = &'a str>) -> Vec<usize> {
        let mut out: Vec<usize> = values.into_iter().map(|r| self.routing.shard(r)).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Applies prepared writes and makes them durable: each shard takes its documents (version
    /// check, translog append, tantivy add) and syncs its translog once (group commit), shards
    /// in parallel. Results are in `items`' order; a failed translog sync fails every write of
    /// that shard (none of them is acknowledged).
    pub(crate) fn write(&self, items: Vec<Prepared>) -> Vec<Result<WriteResult>> {
        let n = items.len();
        let durable = self.async_durability().is_none();
        if self.parts.len() == 1 {
            let (mut out, pos) = self.parts[0].apply_all(self, items);
            if durable && let Err(e) = self.parts[0].wal.sync(pos) {
                fail_all(&mut out, &e);
            }
            return out;
        }
        let mut per: Vec<Vec<(usize, Prepared)>> =
            (0..self.parts.len()).map(|_| Vec::new()).collect();
        for (i, item) in items.into_iter().enumerate() {
            let shard = self
                .routing
                .shard(item.routing.as_deref().unwrap_or(&item.id));
            per[shard].push((i, item));
        }
        let jobs: Vec<(&Part, Batch)> = self
            .parts
            .iter()
            .zip(per)
            .filter(|(_, v)| !v.is_empty())
            .map(|(p, v)| (p, Mutex::new(v)))
            .collect();
        let done = each(&jobs, n >= PARALLEL_WRITE_MIN, |(part, items)| {
            let items = std::mem::take(&mut *items.lock());
            let (slots, items): (Vec<usize>, Vec<Prepared>) = items.into_iter().unzip();
            let (mut out, pos) = part.apply_all(self, items);
            if durable && let Err(e) = part.wal.sync(pos) {
                fail_all(&mut out, &e);
            }
            slots.into_iter().zip(out).collect::<Vec<_>>()
        });
        let mut out: Vec<Option<Result<WriteResult>>> = (0..n).map(|_| None).collect();
        for (i, r) in done.into_iter().flatten() {
            out[i] = Some(r);
        }
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::es(500, "exception", "no write result"))))
            .collect()
    }

    /// True when the live maps hold more than their budget (the caller should refresh).
    pub(crate) fn needs_flush(&self) -> bool {
        let share = LIVE_LIMIT_BYTES / self.parts.len();
        self.parts
            .iter()
            .any(|p| p.live_bytes.load(Ordering::Relaxed) > share)
    }

    /// Realtime get (ES `GET /index/_doc/id`) of a document written without custom routing.
    pub fn get(&self, id: &str) -> Result<Option<Got>> {
        self.get_as(id, None, true)
    }

    /// A get from the shard `routing` (else the `_id`) routes to, realtime (what was written,
    /// refreshed or not) or, with `realtime: false`, as a search sees it (as of the last
    /// refresh), as ES's `realtime` parameter chooses.
    pub fn get_as(&self, id: &str, routing: Option<&str>, realtime: bool) -> Result<Option<Got>> {
        let part = self.part_for(id, routing);
        let started = Instant::now();
        let got = self.get_in(part, id, realtime)?;
        let c = &part.counters;
        match got {
            Some(_) => c.get_exists.add(started.elapsed()),
            None => c.get_missing.add(started.elapsed()),
        }
        Ok(got)
    }

    fn get_in(&self, part: &Part, id: &str, realtime: bool) -> Result<Option<Got>> {
        if realtime {
            let live = part.live.lock();
            if let Some(e) = live.get(id) {
                return Ok(e.source.clone().map(|source| Got {
                    version: e.version,
                    seq_no: e.seq_no,
                    source,
                    routing: e.routing.clone(),
                }));
            }
        }
        let Some((version, seq_no, addr)) = part.lookup_committed(self, id)? else {
            return Ok(None);
        };
        let searcher = part.reader.searcher();
        let doc: TantivyDocument = searcher
            .doc(addr)
            .map_err(|e| Error::tantivy(&self.name, e))?;
        let source = doc
            .get_first(self.fields.source)
            .and_then(|v| tantivy::schema::Value::as_bytes(&v).map(Bytes::copy_from_slice))
            .unwrap_or_default();
        let routing = routing_of(searcher.segment_reader(addr.segment_ord), addr.doc_id);
        Ok(Some(Got {
            version,
            seq_no,
            source,
            routing,
        }))
    }

    /// Commits pending writes of every shard and makes them searchable (ES refresh + flush).
    pub fn refresh(&self) -> Result<()> {
        let dirty = self
            .parts
            .iter()
            .filter(|p| p.dirty.load(Ordering::SeqCst))
            .count();
        each(&self.parts, dirty > 1, |p| p.refresh(self))
            .into_iter()
            .collect::<Result<Vec<()>>>()?;
        Ok(())
    }

    /// `_forcemerge` of every shard: merges its segments down to `max_segments` (the smallest
    /// ones together), or with `expunge` those that hold deleted documents into one; what is
    /// pending is refreshed first. Writes wait only while a merge is scheduled, not while it runs.
    ///
    /// # Errors
    /// A refresh or merge failure.
    pub fn force_merge(&self, max_segments: Option<usize>, expunge: bool) -> Result<()> {
        self.refresh()?;
        for p in &self.parts {
            p.force_merge(self, max_segments, expunge)?;
        }
        Ok(())
    }

    /// Number of searchable segments (all shards).
    pub fn segment_count(&self) -> usize {
        self.parts
            .iter()
            .map(|p| p.reader.searcher().segment_readers().len())
            .sum()
    }

    /// True when writes are waiting for a refresh.
    pub fn is_dirty(&self) -> bool {
        self.parts.iter().any(|p| p.dirty.load(Ordering::SeqCst))
    }

    /// Per shard: `(shard number, searchable docs, bytes on disk)`.
    pub fn shard_stats(&self) -> Vec<(usize, u64, u64)> {
        self.parts
            .iter()
            .map(|p| (p.num, p.reader.searcher().num_docs(), dir_size(&p.dir)))
            .collect()
    }

    /// The counters `_stats` reports of shard `part`.
    pub(crate) fn counters(&self, part: usize) -> &Arc<ShardCounters> {
        &self.parts[part.min(self.parts.len() - 1)].counters
    }

    /// Counts an update that changed nothing (`detect_noop`) on the shard `id` routes to.
    pub(crate) fn note_noop(&self, id: &str, routing: Option<&str>) {
        self.part_for(id, routing)
            .counters
            .noop_updates
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Per shard: what `_stats` reads from its files, segments and last commit (its open
    /// contexts are the caller's).
    pub(crate) fn figures(&self) -> Vec<ShardFigures> {
        let completion: Vec<String> = self.with_mapping(|m| {
            m.field_paths()
                .into_iter()
                .filter(|p| m.field(p).is_some_and(|f| f.completion))
                .collect()
        });
        self.parts
            .iter()
            .map(|p| {
                let searcher = p.reader.searcher();
                let segments = searcher.segment_readers();
                let deleted = segments
                    .iter()
                    .map(|s| u64::from(s.num_deleted_docs()))
                    .sum();
                let mut files: Vec<(String, u64, u64)> = Vec::new();
                for e in fs::read_dir(p.dir.join("tantivy"))
                    .into_iter()
                    .flatten()
                    .flatten()
                {
                    let path = e.path();
                    let Some(ext) = path.extension().and_then(|x| x.to_str()) else {
                        continue;
                    };
                    let len = e.metadata().map_or(0, |m| m.len());
                    match files.iter_mut().find(|f| f.0 == ext) {
                        Some(f) => {
                            f.1 += len;
                            f.2 += 1;
                        }
                        None => files.push((ext.to_owned(), len, 1)),
                    }
                }
                files.retain(|f| f.0 != "json" && f.0 != "lock");
                files.sort();
                let tdir = p.dir.join("translog");
                let age = fs::read_dir(&tdir)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .filter_map(|e| e.metadata().ok()?.modified().ok()?.elapsed().ok())
                    .max()
                    .unwrap_or_default();
                let commit = p
                    ._index
                    .load_metas()
                    .ok()
                    .map(|m| (m.opstamp, m.payload.unwrap_or_default()));
                let next = p.next_seq.load(Ordering::SeqCst);
                let ids: Vec<tantivy::index::SegmentId> = segments
                    .iter()
                    .map(tantivy::SegmentReader::segment_id)
                    .collect();
                ShardFigures {
                    fielddata: crate::search::fielddata::held(&ids),
                    completion: completion
                        .iter()
                        .map(|path| {
                            let bytes = segments
                                .iter()
                                .map(|seg| completion_bytes(seg, self.fields.kw, path))
                                .sum();
                            (path.clone(), bytes)
                        })
                        .collect(),
                    commit,
                    max_seq_no: next.checked_sub(1),
                    docs: searcher.num_docs(),
                    deleted,
                    store_bytes: dir_size(&p.dir),
                    segments: segments.len() as u64,
                    files,
                    translog_bytes: dir_size(&tdir),
                    translog_age_ms: u64::try_from(age.as_millis()).unwrap_or(u64::MAX),
                    ..Default::default()
                }
            })
            .collect()
    }

    /// `(docs.count, docs.deleted, store bytes)` of what is searchable.
    pub fn stats(&self) -> (u64, u64, u64) {
        let mut docs = 0u64;
        let mut deleted = 0u64;
        for p in &self.parts {
            let searcher = p.reader.searcher();
            docs += searcher.num_docs();
            for s in searcher.segment_readers() {
                deleted += u64::from(s.num_deleted_docs());
            }
        }
        (docs, deleted, dir_size(&self.dir))
    }

    /// Releases the writers without committing, after their background merges (on delete: no
    /// thread of this index may write into its directory once it is gone, nor into a new index
    /// of the same name).
    pub(crate) fn release(&self) -> Result<()> {
        for p in &self.parts {
            let Some(w) = p.writer.write().take() else {
                continue;
            };
            w.wait_merging_threads()
                .map_err(|e| Error::tantivy(&self.name, e))?;
        }
        Ok(())
    }

    /// Waits for background merges and releases the writers (on close).
    pub(crate) fn close(&self) -> Result<()> {
        for p in &self.parts {
            p.dirty.store(true, Ordering::SeqCst);
        }
        self.refresh()?;
        for p in &self.parts {
            let Some(w) = p.writer.write().take() else {
                continue;
            };
            let started = std::time::Instant::now();
            w.wait_merging_threads()
                .map_err(|e| Error::tantivy(&self.name, e))?;
            tracing::debug!(index = %self.name, shard = p.num, ms = started.elapsed().as_millis() as u64, "merges finished");
        }
        Ok(())
    }

    fn closed(&self) -> Error {
        Error::es(
            400,
            "index_closed_exception",
            format!("closed index [{}]", self.name),
        )
        .with("index", self.name.clone())
    }
}

fn fail_all(out: &mut [Result<WriteResult>], e: &Error) {
    for r in out.iter_mut() {
        if r.is_ok() {
            *r = Err(crate::engine::store::clone_err(e));
        }
    }
}

impl Part {
    /// Opens (or creates) shard `num` under the index directory `dir`; returns it with
    /// its translog's records (replayed by the index, which owns the mapping) and the number of
    /// torn-tail bytes truncated.
    fn open(
        name: &str,
        dir: &Path,
        num: usize,
        opts: ShardOptions,
    ) -> Result<(Part, Vec<WalOp>, u64)> {
        let tv = |e| Error::tantivy(name, e);
        let pdir = part_dir(dir, num);
        let tdir = pdir.join("tantivy");
        fs::create_dir_all(&tdir).map_err(|e| Error::io(&tdir, e))?;
        let (schema, fields) = build_schema();
        let mmap = MmapDirectory::open(&tdir).map_err(|e| {
            Error::es(
                500,
                "exception",
                format!("cannot open {}: {e}", tdir.display()),
            )
        })?;
        // indices written before `_id` lost its fast column keep their own schema: field ids and
        // names are the same, only that option differs
        let exists = Index::exists(&mmap).map_err(|e| {
            Error::es(
                500,
                "exception",
                format!("cannot open {}: {e}", tdir.display()),
            )
        })?;
        let index = if exists {
            Index::open(mmap).map_err(tv)?
        } else {
            Index::create(mmap, schema, tantivy::IndexSettings::default()).map_err(tv)?
        };
        for a in [TextAnalysis::Standard, TextAnalysis::Legacy] {
            index
                .tokenizers()
                .register(a.tokenizer_name(), EsTokenizer::text_analyzer(a));
        }
        let text_analysis = schema_text_analysis(&index.schema(), fields.text);
        let threads = opts.writer_threads.max(1);
        let writer: IndexWriter<SluiceDoc> = index
            .writer_with_num_threads(threads, opts.writer_memory_bytes.max(15_000_000 * threads))
            .map_err(tv)?;
        let counters = Arc::new(ShardCounters::default());
        writer.set_merge_policy(Box::new(CountedMerges {
            inner: tantivy::indexer::LogMergePolicy::default(),
            counters: Arc::clone(&counters),
        }));
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(tv)?;
        let (wal, replay) = Wal::open(&pdir.join("translog"), opts.fsync)?;
        let part = Part {
            num,
            dir: pdir,
            _index: index,
            text_analysis,
            writer: RwLock::new(Some(writer)),
            reader,
            wal,
            next_seq: AtomicU64::new(0),
            live: Mutex::new(HashMap::new()),
            live_bytes: AtomicUsize::new(0),
            dirty: AtomicBool::new(false),
            refresh_lock: Mutex::new(()),
            counters,
        };
        let committed = part.committed_seq()?;
        part.next_seq
            .store(committed.map_or(0, |s| s + 1), Ordering::SeqCst);
        Ok((part, replay.ops, replay.truncated_bytes))
    }

    /// The last sequence number the tantivy commit holds (`None`: nothing committed).
    fn committed_seq(&self) -> Result<Option<u64>> {
        Ok(self
            ._index
            .load_metas()
            .map_err(|e| Error::tantivy("", e))?
            .payload
            .and_then(|p| serde_json::from_str::<Value>(&p).ok())
            .and_then(|v| v.get("seq_no").and_then(Value::as_u64)))
    }

    /// Looks up the current version of `id` (live map, then the searcher).
    fn current(
        &self,
        index: &Shard,
        live: &HashMap<String, LiveEntry>,
        id: &str,
    ) -> Result<Option<(u64, u64)>> {
        if let Some(e) = live.get(id) {
            return Ok(e.source.as_ref().map(|_| (e.version, e.seq_no)));
        }
        Ok(self.lookup_committed(index, id)?.map(|(v, s, _)| (v, s)))
    }

    fn lookup_committed(&self, index: &Shard, id: &str) -> Result<Option<(u64, u64, DocAddress)>> {
        let searcher = self.reader.searcher();
        let term = Term::from_field_text(index.fields.id, id);
        for (ord, seg) in searcher.segment_readers().iter().enumerate() {
            let inv = seg
                .inverted_index(index.fields.id)
                .map_err(|e| Error::tantivy(&index.name, e))?;
            let Some(mut postings) = inv
                .read_postings(&term, IndexRecordOption::Basic)
                .map_err(|e| Error::io(&self.dir, e))?
            else {
                continue;
            };
            use tantivy::DocSet;
            // the last live document of the `_id` in a segment is the document itself (its
            // nested documents come before it)
            let mut last = None;
            let mut doc = postings.doc();
            while doc != tantivy::TERMINATED {
                if !seg.is_deleted(doc) {
                    last = Some(doc);
                }
                doc = postings.advance();
            }
            if let Some(doc) = last {
                let ff = seg.fast_fields();
                let v = ff
                    .u64("_version")
                    .ok()
                    .and_then(|c| c.first(doc))
                    .unwrap_or(1);
                let s = ff
                    .u64("_seq_no")
                    .ok()
                    .and_then(|c| c.first(doc))
                    .unwrap_or(0);
                return Ok(Some((v, s, DocAddress::new(ord as u32, doc))));
            }
        }
        Ok(None)
    }

    /// Applies prepared writes routed to this shard: version check, translog append, tantivy
    /// add. Returns per-item results and the translog position to sync before acknowledging.
    fn apply_all(&self, index: &Shard, items: Vec<Prepared>) -> (Vec<Result<WriteResult>>, u64) {
        let mut out = Vec::with_capacity(items.len());
        let mut pos = 0;
        let w = self.writer.read();
        // the live map is taken once for the batch: concurrent requests writing this shard
        // take turns per batch, not per document (no lock hand-off, and the translog's buffer
        // stays with one thread)
        let mut live = self.live.lock();
        let c = &self.counters;
        let batch = Instant::now();
        let mut bytes = 0u64;
        for item in items {
            let started = Instant::now();
            bytes += item.source.len() as u64;
            let delete = item.op == OpType::Delete;
            let r = match w.as_ref() {
                Some(w) => self.apply_one(index, w, &mut live, item, &mut pos),
                None => Err(index.closed()),
            };
            match &r {
                Ok(_) if delete => c.delete.add(started.elapsed()),
                Ok(_) => c.index.add(started.elapsed()),
                Err(e) if !delete => {
                    c.index_failed.fetch_add(1, Ordering::Relaxed);
                    if e.status() == 409 {
                        c.index_conflicts.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Err(_) => {}
            }
            if r.is_ok() {
                c.translog_ops.fetch_add(1, Ordering::Relaxed);
            }
            out.push(r);
        }
        drop(live);
        drop(w);
        c.bulk.add(batch.elapsed());
        c.bulk_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.dirty.store(true, Ordering::SeqCst);
        (out, pos)
    }

    fn apply_one(
        &self,
        index: &Shard,
        w: &IndexWriter<SluiceDoc>,
        live: &mut HashMap<String, LiveEntry>,
        item: Prepared,
        pos: &mut u64,
    ) -> Result<WriteResult> {
        let Prepared {
            op,
            id,
            auto_id,
            source,
            doc,
            cond,
            routing,
        } = item;
        let prev = if auto_id {
            None
        } else {
            self.current(index, live, &id)?
        };
        let conflict = |reason: String| {
            Error::es(409, "version_conflict_engine_exception", reason)
                .with("index_uuid", index.uuid.clone())
                .with("shard", self.num.to_string())
                .with("index", index.name.clone())
        };
        match (cond, prev) {
            (Cond::None, _) => {}
            (
                Cond::SeqNo {
                    seq_no,
                    primary_term,
                },
                Some((_, s)),
            ) if s == seq_no && primary_term == 1 => {}
            (
                Cond::SeqNo {
                    seq_no,
                    primary_term,
                },
                Some((_, s)),
            ) => {
                return Err(conflict(format!(
                    "[{id}]: version conflict, required seqNo [{seq_no}], primary term \
                     [{primary_term}]. current document has seqNo [{s}] and primary term [1]"
                )));
            }
            (
                Cond::SeqNo {
                    seq_no,
                    primary_term,
                },
                None,
            ) => {
                return Err(conflict(format!(
                    "[{id}]: version conflict, required seqNo [{seq_no}], primary term \
                     [{primary_term}]. but no document was found"
                )));
            }
            (Cond::External { version, gte }, Some((v, _)))
                if v > version || (v == version && !gte) =>
            {
                let higher = if gte {
                    "higher than"
                } else {
                    "higher or equal to"
                };
                return Err(conflict(format!(
                    "[{id}]: version conflict, current version [{v}] is {higher} the one \
                     provided [{version}]"
                )));
            }
            (Cond::External { .. }, _) => {}
        }
        if let (OpType::Create, Some((v, _))) = (op, prev) {
            return Err(conflict(format!(
                "[{id}]: version conflict, document already exists (current version [{v}])"
            )));
        }
        if op == OpType::Update {
            return Err(Error::es(
                500,
                "exception",
                "an update reached a shard unresolved",
            ));
        }
        let seq_no = self.next_seq.fetch_add(1, Ordering::SeqCst);
        let (version, result) = match (op, prev) {
            (OpType::Delete, None) => {
                // ES still assigns a seq_no and a version for a not_found delete
                let version = live.get(&id).map_or(1, |e| e.version + 1);
                (version, DocResult::NotFound)
            }
            (OpType::Delete, Some((v, _))) => (v + 1, DocResult::Deleted),
            (_, Some((v, _))) => (v + 1, DocResult::Updated),
            (_, None) => {
                let version = live.get(&id).map_or(1, |e| e.version + 1);
                (version, DocResult::Created)
            }
        };
        // an external version replaces the internal count
        let version = match cond {
            Cond::External { version, .. } => version,
            _ => version,
        };
        match op {
            OpType::Delete => {
                *pos = self.wal.append(&WalOp::Delete {
                    seq_no,
                    version,
                    id: id.clone(),
                });
                if result == DocResult::Deleted {
                    w.delete_term(Term::from_field_text(index.fields.id, &id));
                }
                live.insert(
                    id.clone(),
                    LiveEntry {
                        version,
                        seq_no,
                        source: None,
                        routing: None,
                    },
                );
                self.live_bytes.fetch_add(id.len() + 64, Ordering::Relaxed);
            }
            // (an update was refused above)
            OpType::Index | OpType::Create | OpType::Update => {
                let Some(mut idoc) = doc else {
                    return Err(Error::es(
                        500,
                        "exception",
                        "index operation without a document",
                    ));
                };
                *pos = self.wal.append_index(
                    seq_no,
                    version,
                    IndexRecord {
                        id: &id,
                        routing: routing.as_deref(),
                        source: &source,
                        auto_id,
                    },
                );
                if let Some(r) = &routing {
                    idoc.add_keyword(ROUTING_PATH, r);
                }
                index.index_doc(
                    w,
                    prev.is_some(),
                    &id,
                    (version, seq_no),
                    source.clone(),
                    idoc,
                )?;
                self.live_bytes
                    .fetch_add(id.len() + source.len() + 64, Ordering::Relaxed);
                live.insert(
                    id.clone(),
                    LiveEntry {
                        version,
                        seq_no,
                        source: Some(source),
                        routing,
                    },
                );
            }
        }
        Ok(WriteResult {
            index: index.name.clone(),
            id,
            version,
            seq_no,
            primary_term: 1,
            result,
        })
    }

    /// Commits this shard's pending writes and makes them searchable.
    fn force_merge(&self, index: &Shard, max_segments: Option<usize>, expunge: bool) -> Result<()> {
        let tv = |e| Error::tantivy(&index.name, e);
        let searcher = self.reader.searcher();
        let mut segs: Vec<(u32, u32, tantivy::index::SegmentId)> = searcher
            .segment_readers()
            .iter()
            .map(|s| (s.max_doc(), s.num_deleted_docs(), s.segment_id()))
            .collect();
        let chosen: Vec<tantivy::index::SegmentId> = if expunge {
            segs.iter().filter(|s| s.1 > 0).map(|s| s.2).collect()
        } else {
            let keep = max_segments.unwrap_or(1).max(1);
            if segs.len() <= keep && segs.iter().all(|s| s.1 == 0 || keep > 1) {
                return Ok(());
            }
            // the smallest together, so that `keep` segments remain
            segs.sort_by_key(|s| s.0);
            let n = (segs.len() + 1).saturating_sub(keep).max(1);
            segs.iter().take(n).map(|s| s.2).collect()
        };
        if chosen.is_empty() {
            return Ok(());
        }
        let docs: u64 = segs
            .iter()
            .filter(|s| chosen.contains(&s.2))
            .map(|s| u64::from(s.0 - s.1))
            .sum();
        let started = Instant::now();
        let pending = {
            let mut guard = self.writer.write();
            let Some(w) = guard.as_mut() else {
                return Ok(());
            };
            w.merge(&chosen)
        };
        pending.wait().map_err(tv)?;
        self.counters.merges.add(started.elapsed());
        self.counters.merge_docs.fetch_add(docs, Ordering::Relaxed);
        self.reader.reload().map_err(tv)?;
        tracing::info!(index = %index.name, shard = self.num, merged = chosen.len(), "force-merged");
        Ok(())
    }

    fn refresh(&self, index: &Shard) -> Result<()> {
        let _g = self.refresh_lock.lock();
        if !self.dirty.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let mut guard = self.writer.write();
        let Some(w) = guard.as_mut() else {
            return Ok(());
        };
        let locked = started.elapsed();
        let last_seq = self.next_seq.load(Ordering::SeqCst);
        let generation = self.wal.roll()?;
        let payload = json!({"seq_no": last_seq.checked_sub(1), "translog_generation": generation})
            .to_string();
        let tv = |e| Error::tantivy(&index.name, e);
        let mut pc = w.prepare_commit().map_err(tv)?;
        pc.set_payload(&payload);
        pc.commit().map_err(tv)?;
        self.reader.reload().map_err(tv)?;
        self.live.lock().clear();
        self.live_bytes.store(0, Ordering::Relaxed);
        self.counters.translog_ops.store(0, Ordering::Relaxed);
        self.counters.refresh.add(started.elapsed());
        drop(guard);
        tracing::debug!(
            index = %index.name,
            shard = self.num,
            wait_ms = locked.as_millis() as u64,
            writes_blocked_ms = (started.elapsed() - locked).as_millis() as u64,
            "refreshed"
        );
        self.wal.trim_below(generation)?;
        Ok(())
    }
}

/// Bytes of the terms a `completion` field keeps in one segment (its inputs' keys).
fn completion_bytes(seg: &tantivy::SegmentReader, kw: Field, path: &str) -> u64 {
    let Ok(inv) = seg.inverted_index(kw) else {
        return 0;
    };
    let mut prefix = Term::from_field_json_path(kw, path, true);
    prefix.append_type_and_str("");
    let prefix = prefix.serialized_value_bytes().to_vec();
    let Ok(mut stream) = inv.terms().range().ge(&prefix).into_stream() else {
        return 0;
    };
    let mut bytes = 0u64;
    while stream.advance() {
        let Some(t) = stream.key().strip_prefix(prefix.as_slice()) else {
            break;
        };
        bytes += t.len() as u64;
    }
    bytes
}

/// tantivy's log merge policy, counting the merges it schedules for `_stats`.
#[derive(Debug)]
struct CountedMerges {
    inner: tantivy::indexer::LogMergePolicy,
    counters: Arc<ShardCounters>,
}

impl tantivy::indexer::MergePolicy for CountedMerges {
    fn compute_merge_candidates(
        &self,
        segments: &[tantivy::index::SegmentMeta],
    ) -> Vec<tantivy::indexer::MergeCandidate> {
        let out = self.inner.compute_merge_candidates(segments);
        for c in &out {
            let docs: u64 = segments
                .iter()
                .filter(|m| c.0.contains(&m.id()))
                .map(|m| u64::from(m.num_docs()))
                .sum();
            self.counters.merges.add_n(1, Duration::ZERO);
            self.counters.merge_docs.fetch_add(docs, Ordering::Relaxed);
        }
        out
    }
}

fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let Ok(rd) = fs::read_dir(dir) else { return 0 };
    for e in rd.flatten() {
        let Ok(md) = e.metadata() else { continue };
        if md.is_dir() {
            total += dir_size(&e.path());
        } else {
            total += md.len();
        }
    }
    total
}

/// The keyword path a document's custom routing is indexed at (`_routing` is a metadata field,
/// so no mapped field can take the path): its column gives `_routing` back to gets and hits,
/// and its terms serve queries on `_routing`.
pub const ROUTING_PATH: &str = "_routing";

/// The custom routing of a committed document, from its keyword column.
pub fn routing_of(seg: &tantivy::SegmentReader, doc: tantivy::DocId) -> Option<String> {
    let col = seg
        .fast_fields()
        .str(&format!("k.{ROUTING_PATH}"))
        .ok()
        .flatten()?;
    let ord = col.term_ords(doc).next()?;
    let mut out = String::new();
    col.ord_to_str(ord, &mut out).ok()?;
    Some(out)
}

/// The fields a document had values of left out (its `_ignored` metadata field), sorted.
pub fn ignored_of(seg: &tantivy::SegmentReader, doc: tantivy::DocId) -> Vec<String> {
    let Some(col) = seg
        .fast_fields()
        .str(&format!("k.{}", crate::mapping::IGNORED_PATH))
        .ok()
        .flatten()
    else {
        return Vec::new();
    };
    let mut out: Vec<String> = col
        .term_ords(doc)
        .filter_map(|ord| {
            let mut out = String::new();
            col.ord_to_str(ord, &mut out).ok()?.then_some(out)
        })
        .collect();
    out.sort();
    out
}

/// ES's `_id` rules: at most 512 bytes, not empty.
pub fn validate_id(id: &str) -> Result<()> {
    if id.is_empty() {
        // ES 8's bulk item error (a request cannot name an empty id otherwise)
        return Err(Error::illegal_argument(
            "if _id is specified it must not be empty",
        ));
    }
    if id.len() > 512 {
        return Err(Error::es(
            400,
            "action_request_validation_exception",
            format!(
                "Validation Failed: 1: id [{id}] is too long, must be no longer than 512 bytes but was: {};",
                id.len()
            ),
        ));
    }
    Ok(())
}
