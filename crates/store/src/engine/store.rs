//! The store: a directory of indices, index resolution, writes, refresh and stats.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use parking_lot::{Condvar, Mutex, RwLock};
use serde_json::{Value, json};

use crate::engine::settings::parse_settings;
use crate::engine::shard::{
    Cond, DocResult, Got, IndexMeta, OpType, Prepared, Shard, ShardOptions, WriteResult,
    validate_id,
};
use crate::engine::update::{self, UpdateSpec};
use crate::engine::util::wildcard_match;
use crate::error::{Error, Result};
use crate::mapping::Mapping;
use crate::search::{self, SearchParams};

/// Store configuration. Every field documents its default ([`StoreConfig::new`]).
#[derive(Clone)]
pub struct StoreConfig {
    /// Where indices live (`DIR/indices/<name>/`).
    pub data_dir: PathBuf,
    /// How often pending writes become searchable; default 1 s. `None` = only on explicit refresh.
    pub refresh_interval: Option<Duration>,
    /// tantivy indexing memory per shard; default 64 MiB (the floor is 15 MB per indexing
    /// thread).
    pub writer_memory_bytes: usize,
    /// Indexing threads per shard; default 2.
    pub writer_threads: usize,
    /// Primary shards of an index created without `index.number_of_shards` (auto-created ones
    /// among them); default [`default_shards`]: half the cores, 1 to 8.
    pub default_shards: usize,
    /// Elasticsearch's `indexing_pressure.memory.limit`: bytes that write requests may hold at
    /// once, all together — request bodies as the HTTP layer reads them (over it: 429
    /// `circuit_breaking_exception`, ES's `in_flight_requests` breaker) and the processing cost
    /// of the writes (over it: 429 `es_rejected_execution_exception`). One request alone is
    /// always admitted. Default 512 MiB.
    pub indexing_pressure_memory_limit: usize,
    /// fsync the translog before acknowledging; default true.
    pub fsync: bool,
    /// Disk watermarks; default Elasticsearch's 85% / 90% / 95%.
    pub disk_watermarks: crate::engine::disk::Watermarks,
    /// How often the disk usage is read at most; default 1 s.
    pub disk_check_interval: Duration,
    /// How often index lifecycle policies are run (ES's `indices.lifecycle.poll_interval`);
    /// default 10 minutes.
    pub ilm_poll_interval: Duration,
    /// Where the disk usage comes from; default `statvfs` of the data directory.
    pub disk_probe: Arc<dyn crate::engine::disk::DiskProbe>,
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("data_dir", &self.data_dir)
            .field("refresh_interval", &self.refresh_interval)
            .field("writer_memory_bytes", &self.writer_memory_bytes)
            .field("writer_threads", &self.writer_threads)
            .field("default_shards", &self.default_shards)
            .field(
                "indexing_pressure_memory_limit",
                &self.indexing_pressure_memory_limit,
            )
            .field("fsync", &self.fsync)
            .field("disk_watermarks", &self.disk_watermarks)
            .field("disk_check_interval", &self.disk_check_interval)
            .finish_non_exhaustive()
    }
}

/// The default number of primary shards: half the cores (each shard indexes on
/// [`StoreConfig::writer_threads`] threads, 2 by default, so the shards' indexing threads match
/// the cores, while request parsing runs on the request threads), at least 1 and at most 8 (a
/// search reads every shard: more shards than that cost queries more than they give writes).
/// One shard on a 2-core machine, 8 on a 16-core one.
pub fn default_shards() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    (cores / 2).clamp(1, 8)
}

impl StoreConfig {
    /// Defaults with the given data directory.
    pub fn new(data_dir: impl Into<PathBuf>) -> StoreConfig {
        StoreConfig {
            data_dir: data_dir.into(),
            refresh_interval: Some(Duration::from_secs(1)),
            writer_memory_bytes: 64 << 20,
            writer_threads: 2,
            default_shards: default_shards(),
            indexing_pressure_memory_limit: 512 << 20,
            fsync: true,
            disk_watermarks: crate::engine::disk::Watermarks::default(),
            disk_check_interval: Duration::from_secs(1),
            disk_probe: Arc::new(crate::engine::disk::Statvfs),
            ilm_poll_interval: Duration::from_secs(600),
        }
    }

    /// Turns the disk watermarks on or off (`cluster.routing.allocation.disk.threshold_enabled`).
    #[must_use]
    pub fn disk_threshold(mut self, enabled: bool) -> Self {
        self.disk_watermarks.enabled = enabled;
        self
    }
}

/// `refresh` URL parameter of writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Refresh {
    /// Do not wait (default).
    #[default]
    False,
    /// Refresh the touched indices before answering.
    True,
    /// Wait until a refresh has made the write visible.
    WaitFor,
}

impl Refresh {
    /// Parses `true`, `""` (= true), `wait_for`, `false`.
    pub fn parse(s: &str) -> Result<Refresh> {
        match s {
            "" | "true" => Ok(Refresh::True),
            "false" => Ok(Refresh::False),
            "wait_for" => Ok(Refresh::WaitFor),
            other => Err(Error::illegal_argument(format!(
                "Unknown value for refresh: [{other}]."
            ))),
        }
    }
}

/// How targets resolve: ES's index options.
#[derive(Debug, Clone, Copy)]
pub struct Resolve {
    /// Missing concrete names are skipped instead of failing (default false).
    pub ignore_unavailable: bool,
    /// A wildcard that matches nothing is fine (default true).
    pub allow_no_indices: bool,
    /// Which indices wildcards expand to (default open and closed, not hidden).
    pub expand: Expand,
    /// Aliases are not resolved (deletes): a pattern matches index names only, and an alias
    /// named in full is refused (skipped with `ignore_unavailable`), as ES does.
    pub ignore_aliases: bool,
}

impl Default for Resolve {
    fn default() -> Self {
        Resolve {
            ignore_unavailable: false,
            allow_no_indices: true,
            expand: Expand::OPEN_CLOSED,
            ignore_aliases: false,
        }
    }
}

impl Resolve {
    /// The defaults with wildcards expanding as `expand` says.
    #[must_use]
    pub fn expanding(expand: Expand) -> Self {
        Resolve {
            expand,
            ..Resolve::default()
        }
    }
}

/// Which indices a wildcard (`*`, `_all`, a pattern) expands to: ES's `expand_wildcards`. Names
/// given in full are never filtered by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expand {
    /// Open indices.
    pub open: bool,
    /// Closed indices.
    pub closed: bool,
    /// Hidden indices (`index.hidden: true`) and hidden aliases; a pattern starting with `.`
    /// matches hidden names starting with `.` without it, as in ES.
    pub hidden: bool,
}

impl Expand {
    /// `open` (searches', mappings' and most reads' default).
    pub const OPEN: Expand = Expand {
        open: true,
        closed: false,
        hidden: false,
    };
    /// `closed` (`_open`'s default).
    pub const CLOSED: Expand = Expand {
        open: false,
        closed: true,
        hidden: false,
    };
    /// `open,closed` (settings', deletes' and `_cat/indices`' default).
    pub const OPEN_CLOSED: Expand = Expand {
        open: true,
        closed: true,
        hidden: false,
    };
    /// `all` (cluster health's default).
    pub const ALL: Expand = Expand {
        open: true,
        closed: true,
        hidden: true,
    };

    /// Parses `expand_wildcards` (`open`, `closed`, `hidden`, `none`, `all`, comma-separated).
    ///
    /// # Errors
    /// `illegal_argument_exception` naming an unknown value.
    pub fn parse(s: &str) -> Result<Expand> {
        let mut e = Expand {
            open: false,
            closed: false,
            hidden: false,
        };
        for w in s.split(',').map(str::trim) {
            match w {
                "open" => e.open = true,
                "closed" => e.closed = true,
                "hidden" => e.hidden = true,
                "none" => {}
                "all" => e = Expand::ALL,
                other => {
                    return Err(Error::illegal_argument(format!(
                        "No enum constant org.elasticsearch.action.support.IndicesOptions.WildcardStates.{}",
                        other.to_uppercase()
                    )));
                }
            }
        }
        Ok(e)
    }

    /// Whether an index matched by `pattern` is kept.
    fn admits(self, pattern: &str, name: &str, closed: bool, hidden: bool) -> bool {
        let state = if closed { self.closed } else { self.open };
        let visible = !hidden || self.hidden || (pattern.starts_with('.') && name.starts_with('.'));
        state && visible
    }
}

/// One operation of a bulk request.
#[derive(Debug, Clone)]
pub struct WriteOp {
    /// index, create or delete.
    pub kind: OpType,
    /// Target index (already defaulted from the URL by the HTTP layer).
    pub index: String,
    /// `_id`; `None` = generated (index/create only).
    pub id: Option<String>,
    /// Source bytes (index/create), or the update body (update).
    pub source: Option<Bytes>,
    /// `if_seq_no`/`if_primary_term` or an external version.
    pub cond: Cond,
    /// `retry_on_conflict` (update).
    pub retry_on_conflict: u32,
    /// `require_alias`: the target must be an alias.
    pub require_alias: bool,
    /// `routing`: the shard is chosen by it instead of the `_id`.
    pub routing: Option<String>,
    /// `_source` of an update (its action line, else the URL's): the updated source comes
    /// back under `get`, filtered.
    pub(crate) fetch_source: Option<crate::search::SourceFilter>,
}

/// What a single-document request says besides its target: a precondition and a routing.
#[derive(Debug, Clone, Default)]
pub struct DocOpts {
    /// `if_seq_no`/`if_primary_term` or an external version.
    pub cond: Cond,
    /// `routing`.
    pub routing: Option<String>,
}

/// One document of an `_mget`: its index, `_id` and `routing`.
#[derive(Debug, Clone)]
pub struct DocRef {
    /// The index (or alias) it is read from.
    pub index: String,
    /// `_id`.
    pub id: String,
    /// `routing`.
    pub routing: Option<String>,
}

impl WriteOp {
    /// An operation without precondition.
    #[must_use]
    pub fn new(kind: OpType, index: String, id: Option<String>, source: Option<Bytes>) -> Self {
        WriteOp {
            kind,
            index,
            id,
            source,
            cond: Cond::None,
            retry_on_conflict: 0,
            require_alias: false,
            routing: None,
            fetch_source: None,
        }
    }
}

/// The outcome of an update: the write (or noop) and the document as it is now.
#[derive(Debug)]
pub struct Updated {
    /// The write's result (`updated`, `created` or `noop`).
    pub result: WriteResult,
    /// The source after the update.
    pub source: Value,
    /// The body asked for the source back (`"_source": true`).
    pub return_source: bool,
    /// The body's `_source` filter, when it gave one.
    pub(crate) source_filter: Option<crate::search::SourceFilter>,
}

impl Updated {
    /// ES's `get` of an update's answer: the updated source, through `filter`.
    pub(crate) fn get_json(&self, filter: &crate::search::SourceFilter) -> Value {
        json!({"_seq_no": self.result.seq_no, "_primary_term": self.result.primary_term,
            "found": true, "_source": crate::search::filter_source(self.source.clone(), filter)})
    }
}

/// One bulk item's outcome.
#[derive(Debug)]
pub struct BulkItem {
    /// The action.
    pub op: OpType,
    /// `_index`.
    pub index: String,
    /// `_id` (generated ids included when known).
    pub id: Option<String>,
    /// Success or the item's error.
    pub outcome: Result<WriteResult>,
    /// An update's `get` (the updated source, when asked for).
    pub get: Option<Value>,
}

/// A bulk response.
#[derive(Debug)]
pub struct BulkResponse {
    /// Milliseconds taken.
    pub took_ms: u64,
    /// True when any item failed.
    pub errors: bool,
    /// Items in request order.
    pub items: Vec<BulkItem>,
    /// `refresh=true`: successful items say `forced_refresh: true`, as Elasticsearch's do.
    pub forced_refresh: bool,
}

impl BulkResponse {
    /// ES's `_bulk` response body.
    pub fn to_json(&self) -> Value {
        let items: Vec<Value> = self
            .items
            .iter()
            .map(|it| {
                let body = match &it.outcome {
                    Ok(r) => {
                        let mut v = r.to_json();
                        if let Value::Object(o) = &mut v {
                            if self.forced_refresh && r.result != DocResult::Noop {
                                o.insert("forced_refresh".into(), Value::Bool(true));
                            }
                            if let Some(g) = &it.get {
                                o.insert("get".into(), g.clone());
                            }
                            o.insert("status".into(), Value::from(r.status()));
                        }
                        v
                    }
                    Err(e) => {
                        let mut o = serde_json::Map::new();
                        o.insert("_index".into(), Value::from(it.index.clone()));
                        if let Some(id) = &it.id {
                            o.insert("_id".into(), Value::from(id.clone()));
                        } else {
                            o.insert("_id".into(), Value::Null);
                        }
                        o.insert("status".into(), Value::from(e.status()));
                        o.insert("error".into(), e.to_item_error());
                        Value::Object(o)
                    }
                };
                json!({ it.op.as_str(): body })
            })
            .collect();
        json!({"took": self.took_ms, "errors": self.errors, "items": items})
    }
}

impl BulkResponse {
    /// Writes the `_bulk` response body: the bytes `serde_json::to_vec(&self.to_json())` gives,
    /// without building the tree (a 5,000-item response is ~1 MB of JSON).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        use std::io::Write;
        let string = |out: &mut Vec<u8>, s: &str| {
            // infallible: writing to a Vec
            let _ = serde_json::to_writer(&mut *out, s);
        };
        let _ = write!(
            out,
            "{{\"took\":{},\"errors\":{},\"items\":[",
            self.took_ms, self.errors
        );
        for (i, it) in self.items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let _ = write!(out, "{{\"{}\":{{\"_index\":", it.op.as_str());
            match &it.outcome {
                Ok(r) => {
                    string(out, &r.index);
                    out.extend_from_slice(b",\"_id\":");
                    string(out, &r.id);
                    let (forced, shards) = if r.result == DocResult::Noop {
                        ("", "{\"total\":0,\"successful\":0,\"failed\":0}")
                    } else if self.forced_refresh {
                        (
                            ",\"forced_refresh\":true",
                            "{\"total\":2,\"successful\":1,\"failed\":0}",
                        )
                    } else {
                        ("", "{\"total\":2,\"successful\":1,\"failed\":0}")
                    };
                    let _ = write!(
                        out,
                        ",\"_version\":{},\"result\":\"{}\",\"_shards\":{shards},\"_seq_no\":{},\"_primary_term\":{}{forced}",
                        r.version,
                        r.result.as_str(),
                        r.seq_no,
                        r.primary_term,
                    );
                    if let Some(g) = &it.get {
                        out.extend_from_slice(b",\"get\":");
                        let _ = serde_json::to_writer(&mut *out, g);
                    }
                    let _ = write!(out, ",\"status\":{}}}}}", r.status());
                }
                Err(e) => {
                    string(out, &it.index);
                    out.extend_from_slice(b",\"_id\":");
                    match &it.id {
                        Some(id) => string(out, id),
                        None => out.extend_from_slice(b"null"),
                    }
                    let _ = write!(out, ",\"status\":{},\"error\":", e.status());
                    let _ = serde_json::to_writer(&mut *out, &e.to_item_error());
                    out.extend_from_slice(b"}}");
                }
            }
        }
        out.extend_from_slice(b"]}");
    }
}

/// One `_cat/indices` row.
#[derive(Debug, Clone, PartialEq)]
pub struct CatIndex {
    /// green / yellow.
    pub health: &'static str,
    /// open.
    pub status: &'static str,
    /// Name.
    pub index: String,
    /// uuid.
    pub uuid: String,
    /// Primaries (1).
    pub pri: u32,
    /// Replicas.
    pub rep: u32,
    /// Searchable live docs.
    pub docs_count: u64,
    /// Deleted docs not yet merged away.
    pub docs_deleted: u64,
    /// Bytes on disk.
    pub store_size_bytes: u64,
    /// Bytes on disk of primaries (same as store size on one node).
    pub pri_store_size_bytes: u64,
}

/// One primary shard, for `_cat/shards`.
#[derive(Debug, Clone)]
pub struct ShardRow {
    /// The index.
    pub index: String,
    /// The shard number.
    pub shard: usize,
    /// Searchable documents.
    pub docs: u64,
    /// Bytes on disk.
    pub bytes: u64,
    /// Replicas the index asks for (unassigned).
    pub replicas: u32,
}

/// The embedded Elasticsearch-compatible store.
pub struct Store {
    config: StoreConfig,
    indices: RwLock<BTreeMap<String, Arc<Shard>>>,
    create_lock: Mutex<()>,
    /// The write budget (shared with the HTTP layer's body reads) and the write pool.
    pub(crate) pressure: crate::engine::pressure::Pressure,
    stop: Arc<(Mutex<bool>, Condvar)>,
    refresher: Mutex<Option<JoinHandle<()>>>,
    closed: AtomicBool,
    /// Open points in time (`search::pit`).
    pub(crate) pits: crate::search::pit::PitRegistry,
    /// `_cluster/settings` (the search limits).
    pub(crate) cluster: crate::engine::cluster_settings::ClusterSettings,
    /// The data directory's lock (`store.lock`, held while open; released by `close`).
    dir_lock: Mutex<Option<fs::File>>,
    /// The flood-stage block.
    disk: crate::engine::disk::DiskGuard,
    /// Index and component templates.
    templates: crate::engine::templates::Templates,
    aliases: crate::engine::aliases::Aliases,
    data_streams: crate::engine::data_streams::DataStreams,
    /// Index lifecycle policies.
    pub(crate) ilm: crate::engine::ilm::Policies,
}

/// Takes the data directory's exclusive lock: two stores writing one directory would corrupt
/// each other's translogs and metadata.
fn lock_data_dir(dir: &std::path::Path) -> Result<fs::File> {
    use std::io::Write as _;
    let path = dir.join("store.lock");
    let mut file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            let holder = fs::read_to_string(&path).unwrap_or_default();
            let holder = holder.trim();
            return Err(Error::es(
                500,
                "lock_obtain_failed_exception",
                format!(
                    "the data directory {} is in use by another sluice-store{}: stop it, or give \
                     this one another --data-dir",
                    dir.display(),
                    if holder.is_empty() {
                        String::new()
                    } else {
                        format!(" (pid {holder})")
                    }
                ),
            ));
        }
        Err(fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
    }
    let _ = file.set_len(0);
    let _ = writeln!(file, "{}", std::process::id());
    Ok(file)
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn new_uuid() -> String {
    // 22 chars like ES's index uuids
    let a = crate::engine::util::generate_id();
    let b = crate::engine::util::generate_id();
    format!("{}{}", &a[..11], &b[9..20])
}

impl Store {
    /// Opens (or creates) a store in `config.data_dir`: every index is opened and its translog
    /// replayed; a background thread refreshes dirty indices every `refresh_interval`.
    pub fn open(config: StoreConfig) -> Result<Arc<Store>> {
        let idx_dir = config.data_dir.join("indices");
        fs::create_dir_all(&idx_dir).map_err(|e| Error::io(&idx_dir, e))?;
        let dir_lock = lock_data_dir(&config.data_dir)?;
        // what deletes left behind (a removal the process did not live to finish)
        let trash = config.data_dir.join(TRASH);
        if trash.exists()
            && let Err(e) = fs::remove_dir_all(&trash)
        {
            tracing::warn!(dir = %trash.display(), error = %e, "could not clear deleted indices");
        }
        let mut indices = BTreeMap::new();
        let rd = fs::read_dir(&idx_dir).map_err(|e| Error::io(&idx_dir, e))?;
        for entry in rd {
            let entry = entry.map_err(|e| Error::io(&idx_dir, e))?;
            let path = entry.path();
            if !path.join("meta.json").exists() {
                // a create that crashed before its meta was written
                tracing::warn!(dir = %path.display(), "ignoring index directory without meta.json");
                continue;
            }
            let shard = Shard::open(&path, Store::shard_options(&config))?;
            indices.insert(shard.name.clone(), Arc::new(shard));
        }
        let aliases =
            crate::engine::aliases::Aliases::open(&config.data_dir, |n| indices.contains_key(n))?;
        let data_streams = crate::engine::data_streams::DataStreams::open(&config.data_dir, |n| {
            indices.contains_key(n)
        })?;
        let store = Arc::new(Store {
            indices: RwLock::new(indices),
            create_lock: Mutex::new(()),
            pressure: crate::engine::pressure::Pressure::new(
                config.indexing_pressure_memory_limit,
                crate::engine::pressure::write_slots(),
            ),
            stop: Arc::new((Mutex::new(false), Condvar::new())),
            refresher: Mutex::new(None),
            closed: AtomicBool::new(false),
            pits: crate::search::pit::PitRegistry::default(),
            cluster: crate::engine::cluster_settings::ClusterSettings::open(&config.data_dir)?,
            dir_lock: Mutex::new(Some(dir_lock)),
            templates: crate::engine::templates::Templates::open(&config.data_dir)?,
            ilm: crate::engine::ilm::Policies::open(&config.data_dir)?,
            aliases,
            data_streams,
            disk: crate::engine::disk::DiskGuard::new(
                &config.data_dir,
                config.disk_watermarks,
                Arc::clone(&config.disk_probe),
                config.disk_check_interval,
            ),
            config,
        });
        store.start_refresher();
        Ok(store)
    }

    fn shard_options(config: &StoreConfig) -> ShardOptions {
        ShardOptions {
            writer_memory_bytes: config.writer_memory_bytes,
            writer_threads: config.writer_threads,
            fsync: config.fsync,
        }
    }

    fn start_refresher(self: &Arc<Store>) {
        let weak = Arc::downgrade(self);
        let stop = Arc::clone(&self.stop);
        let tick = self
            .config
            .refresh_interval
            .unwrap_or(Duration::from_secs(1))
            .min(Duration::from_secs(1));
        let handle = std::thread::Builder::new()
            .name("sluice-store-refresh".into())
            .spawn(move || {
                let mut last: BTreeMap<String, Instant> = BTreeMap::new();
                let mut last_sync: BTreeMap<String, Instant> = BTreeMap::new();
                let mut last_ilm = Instant::now();
                loop {
                    {
                        let (lock, cv) = &*stop;
                        let mut stopped = lock.lock();
                        if *stopped {
                            return;
                        }
                        cv.wait_for(&mut stopped, tick);
                        if *stopped {
                            return;
                        }
                    }
                    let Some(store) = weak.upgrade() else { return };
                    if last_ilm.elapsed() >= store.config.ilm_poll_interval {
                        last_ilm = Instant::now();
                        store.run_ilm();
                    }
                    let shards: Vec<Arc<Shard>> = store.indices.read().values().cloned().collect();
                    for shard in shards {
                        if let Some(every) = shard.async_durability() {
                            let due = last_sync
                                .get(&shard.name)
                                .is_none_or(|t| t.elapsed() >= every);
                            if due {
                                if let Err(e) = shard.sync_translogs() {
                                    tracing::error!(index = %shard.name, error = %e, "translog sync failed");
                                }
                                last_sync.insert(shard.name.clone(), Instant::now());
                            }
                        }
                        let Some(interval) = shard.refresh_interval(store.config.refresh_interval) else {
                            continue;
                        };
                        let due = last
                            .get(&shard.name)
                            .is_none_or(|t| t.elapsed() >= interval);
                        if due && shard.is_dirty() {
                            if let Err(e) = shard.refresh() {
                                tracing::error!(index = %shard.name, error = %e, "scheduled refresh failed");
                            }
                            last.insert(shard.name.clone(), Instant::now());
                        }
                    }
                }
            });
        match handle {
            Ok(h) => *self.refresher.lock() = Some(h),
            Err(e) => tracing::error!(error = %e, "cannot start the refresh thread"),
        }
    }

    /// Commits every index and stops the refresh thread. Idempotent.
    pub fn close(&self) -> Result<()> {
        if self.closed.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        {
            let (lock, cv) = &*self.stop;
            *lock.lock() = true;
            cv.notify_all();
        }
        if let Some(h) = self.refresher.lock().take()
            && h.thread().id() != std::thread::current().id()
        {
            // (the refresher itself may hold the last reference: it then just ends)
            let _ = h.join();
        }
        let shards: Vec<Arc<Shard>> = self.indices.read().values().cloned().collect();
        for s in shards {
            s.close()?;
        }
        // another store may open the directory now
        self.dir_lock.lock().take();
        Ok(())
    }

    /// The configuration.
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    // ---------------------------------------------------------------------------------------
    // indices

    /// `PUT /{index}` with an optional `{"mappings":..,"settings":..,"aliases":{}}` body.
    pub fn create_index(&self, name: &str, body: Option<&Value>) -> Result<Value> {
        log_model::validate_index_name(name)?;
        let composed = self.templates.body_for(name, body)?;
        let aliases = create_body_aliases(name, composed.as_ref())?;
        let (mapping, settings) = parse_create_body(composed.as_ref())?;
        let _g = self.create_lock.lock();
        if let Some(existing) = self.indices.read().get(name) {
            return Err(already_exists(name, &existing.uuid));
        }
        self.refuse_alias_name(name)?;
        if let Some((template, _)) = self.templates.data_stream_for(name) {
            return Err(Error::illegal_argument(format!(
                "cannot create index with name [{name}], because it matches with template [{template}] that creates data streams only, use create data stream api instead"
            )));
        }
        if self.data_streams.contains(name) {
            return Err(Error::es(
                400,
                "resource_already_exists_exception",
                format!("data stream [{name}] already exists"),
            ));
        }
        // the aliases are checked before the index exists, and added once it does
        self.check_new_aliases(name, &aliases)?;
        self.create_locked(name, mapping, settings)?;
        if !aliases.is_empty() {
            let indices = self.indices.read();
            self.aliases.apply(&aliases, |n| indices.contains_key(n))?;
        }
        Ok(json!({"acknowledged": true, "shards_acknowledged": true, "index": name}))
    }

    /// The aliases a new index `name` is to get are valid names (not an index, `name` included).
    fn check_new_aliases(
        &self,
        name: &str,
        aliases: &[crate::engine::aliases::Action],
    ) -> Result<()> {
        let indices = self.indices.read();
        for a in aliases {
            if let crate::engine::aliases::Action::Add { alias, .. } = a {
                crate::engine::aliases::validate_name(alias, &|n: &str| {
                    n == name || indices.contains_key(n)
                })?;
            }
        }
        Ok(())
    }

    /// ES's refusal of an index named like an alias.
    fn refuse_alias_name(&self, name: &str) -> Result<()> {
        if self.aliases.contains(name) {
            return Err(Error::invalid_index_name(name, "already exists as alias"));
        }
        Ok(())
    }

    /// The aliases.
    pub fn aliases(&self) -> &crate::engine::aliases::Aliases {
        &self.aliases
    }

    /// The data streams.
    pub fn data_streams(&self) -> &crate::engine::data_streams::DataStreams {
        &self.data_streams
    }

    /// Held while indices are created or deleted.
    pub(crate) fn create_lock(&self) -> &Mutex<()> {
        &self.create_lock
    }

    /// Creates index `name` from a create-index body (templates already composed into it).
    /// The caller holds the create lock.
    pub(crate) fn create_from_body_locked(
        &self,
        name: &str,
        body: Option<&Value>,
    ) -> Result<Arc<Shard>> {
        let (mapping, settings) = parse_create_body(body)?;
        self.create_locked(name, mapping, settings)
    }

    /// Deletes index `name` (files, aliases, its place in a data stream). The caller holds
    /// the create lock.
    pub(crate) fn drop_index_locked(&self, name: &str) -> Result<()> {
        let removed = self.indices.write().remove(name);
        if let Some(shard) = removed {
            let dir = shard.dir().to_owned();
            // searches, scrolls and the refresher may still hold the index: its writers go
            // first, so that nothing writes into the directory while it is removed (or into a
            // new index of the same name), then the directory is moved aside at once
            if let Err(e) = shard.release() {
                tracing::warn!(index = %name, error = %e, "releasing a deleted index's writers");
            }
            drop(shard);
            remove_index_dir(&self.config.data_dir, &dir)?;
            self.aliases.remove_index(name)?;
            self.data_streams.remove_index(name)?;
            tracing::info!(index = %name, "index deleted");
        }
        Ok(())
    }

    fn create_locked(
        &self,
        name: &str,
        mapping: Mapping,
        settings: crate::engine::settings::IndexSettings,
    ) -> Result<Arc<Shard>> {
        let dir = self.config.data_dir.join("indices").join(name);
        if dir.exists() {
            // leftovers of a crashed create
            remove_index_dir(&self.config.data_dir, &dir)?;
        }
        mapping.check_limits(&crate::mapping::Limits::from_settings(&settings.rendered)?)?;
        let default = self
            .config
            .default_shards
            .clamp(1, crate::engine::routing::MAX_SHARDS) as u32;
        let shards = match (settings.shards, settings.routing_shards) {
            (Some(n), _) => n,
            // the store's default shard count, or the largest divisor of the routing shards
            // below it (ES's default of one shard always divides them)
            (None, Some(r)) => (1..=default.min(r)).rev().find(|d| r % d == 0).unwrap_or(1),
            (None, None) => default,
        };
        if let Some(r) = settings.routing_shards {
            crate::engine::routing::Routing::check(shards, r)?;
        }
        let meta = IndexMeta {
            name: name.to_owned(),
            uuid: new_uuid(),
            created_ms: now_ms(),
            mapping,
            replicas: settings.replicas,
            shards,
            refresh_interval: settings.refresh_interval,
            settings: settings.rendered,
            closed: false,
            lifecycle_phase: None,
        };
        let shard = Arc::new(Shard::create(
            &dir,
            meta,
            Store::shard_options(&self.config),
        )?);
        self.indices
            .write()
            .insert(name.to_owned(), Arc::clone(&shard));
        tracing::info!(index = name, "index created");
        Ok(shard)
    }

    /// The shard for writes to `name` other than `create` (updates): data streams take only
    /// `create`.
    fn shard_for_write(&self, name: &str) -> Result<Arc<Shard>> {
        use crate::engine::data_streams::{WriteTarget, only_create};
        match self.write_target(name)? {
            WriteTarget::Index(s) | WriteTarget::Backing(s, _) => Ok(s),
            WriteTarget::Stream(_) => Err(only_create()),
        }
    }

    /// Where writes to `name` go, auto-creating it: a data stream when the template that
    /// applies has `data_stream`, else an index with the template's (or dynamic) mapping.
    pub(crate) fn write_target(
        &self,
        name: &str,
    ) -> Result<crate::engine::data_streams::WriteTarget> {
        use crate::engine::data_streams::WriteTarget;
        let t = self.resolve_write_target(name)?;
        match &t {
            WriteTarget::Index(s) | WriteTarget::Backing(s, _) | WriteTarget::Stream(s) => {
                crate::engine::blocks::check_write(s)?;
            }
        }
        Ok(t)
    }

    /// [`Store::write_target`] before the index's blocks are checked.
    fn resolve_write_target(&self, name: &str) -> Result<crate::engine::data_streams::WriteTarget> {
        use crate::engine::data_streams::WriteTarget;
        self.disk.check_write(name)?;
        if let Some(t) = self.existing_write_target(name)? {
            return Ok(t);
        }
        if name.contains('*') || name == "_all" || name.contains(',') {
            return Err(Error::invalid_index_name(
                name,
                "must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?]",
            ));
        }
        log_model::validate_index_name(name)?;
        let _g = self.create_lock.lock();
        if let Some(t) = self.existing_write_target(name)? {
            return Ok(t);
        }
        if let Some((template, hidden)) = self.templates.data_stream_for(name) {
            return self
                .create_stream_locked(name, template, hidden)
                .map(WriteTarget::Stream);
        }
        let composed = self.templates.body_for(name, None)?;
        let aliases = create_body_aliases(name, composed.as_ref())?;
        let (mapping, settings) = parse_create_body(composed.as_ref())?;
        self.check_new_aliases(name, &aliases)?;
        let shard = self.create_locked(name, mapping, settings)?;
        if !aliases.is_empty() {
            let indices = self.indices.read();
            self.aliases.apply(&aliases, |n| indices.contains_key(n))?;
        }
        Ok(WriteTarget::Index(shard))
    }

    fn existing_write_target(
        &self,
        name: &str,
    ) -> Result<Option<crate::engine::data_streams::WriteTarget>> {
        use crate::engine::data_streams::WriteTarget;
        if let Some(s) = self.indices.read().get(name) {
            if s.is_closed() {
                return Err(crate::engine::open_close::index_closed(name, &s.uuid));
            }
            return Ok(Some(match self.data_streams.owner_of(name) {
                Some(stream) => WriteTarget::Backing(Arc::clone(s), stream),
                None => WriteTarget::Index(Arc::clone(s)),
            }));
        }
        if let Some(ds) = self.data_streams.get(name) {
            let index = ds.write_index().unwrap_or_default();
            return self.open_shard(index).map(|s| Some(WriteTarget::Stream(s)));
        }
        if let Some(index) = self.aliases.write_index(name)? {
            return self.open_shard(&index).map(|s| Some(WriteTarget::Index(s)));
        }
        Ok(None)
    }

    /// The index and component templates.
    pub fn templates(&self) -> &crate::engine::templates::Templates {
        &self.templates
    }

    /// `DELETE /{target}`: deletes the matching indices.
    pub fn delete_index(&self, target: &str, opts: Resolve) -> Result<Value> {
        // aliases are not resolved: a pattern reaches index names only, a name in full that
        // is an alias is refused (or skipped with `ignore_unavailable`)
        let opts = Resolve {
            ignore_aliases: true,
            ..opts
        };
        for part in target.split(',').map(str::trim) {
            if self.data_streams.contains(part) {
                return Err(Error::illegal_argument(format!(
                    "The provided expression [{part}] matches a data stream, specify the corresponding concrete indices instead."
                )));
            }
        }
        let names = self.resolve(target, opts)?;
        let _g = self.create_lock.lock();
        for name in &names {
            if let Some(stream) = self.data_streams.owner_of(name)
                && self
                    .data_streams
                    .get(&stream)
                    .is_some_and(|d| d.write_index() == Some(name.as_str()))
            {
                return Err(Error::illegal_argument(format!(
                    "index [{name}] is the write index for data stream [{stream}] and cannot be deleted"
                )));
            }
        }
        let shards: Vec<Arc<Shard>> = names
            .iter()
            .filter_map(|n| self.indices.read().get(n).cloned())
            .collect();
        crate::engine::blocks::check_delete(&shards)?;
        for name in names {
            self.drop_index_locked(&name)?;
        }
        Ok(json!({"acknowledged": true}))
    }

    /// `HEAD /{target}`: true when every concrete name exists and patterns match something.
    pub fn exists(&self, target: &str) -> bool {
        self.exists_with(
            target,
            Resolve {
                ignore_unavailable: false,
                allow_no_indices: false,
                expand: Expand::OPEN_CLOSED,
                ignore_aliases: false,
            },
        )
    }

    /// [`Store::exists`] with the request's index options.
    pub fn exists_with(&self, target: &str, opts: Resolve) -> bool {
        self.resolve(target, opts).is_ok_and(|v| !v.is_empty())
    }

    /// Every index's name, sorted.
    pub(crate) fn index_names(&self) -> Vec<String> {
        self.indices.read().keys().cloned().collect()
    }

    /// Resolves a target (`a,b`, `logs-*`, `_all`, `*`, `-excluded`) to existing index names, sorted.
    pub fn resolve(&self, target: &str, opts: Resolve) -> Result<Vec<String>> {
        let indices = self.indices.read();
        let mut out: Vec<String> = Vec::new();
        let target = target.trim();
        let parts: Vec<&str> = if target.is_empty() {
            vec!["_all"]
        } else {
            target.split(',').map(str::trim).collect()
        };
        for part in parts {
            if part.is_empty() {
                continue;
            }
            if let Some(excl) = part.strip_prefix('-')
                && !out.is_empty()
            {
                out.retain(|n| !wildcard_match(excl, n));
                continue;
            }
            // with neither open nor closed indices to expand to, ES takes a wildcard
            // expression as a name
            let wildcard =
                (part == "_all" || part.contains('*')) && (opts.expand.open || opts.expand.closed);
            let admitted = |pattern: &str, name: &str, s: &Shard| {
                opts.expand
                    .admits(pattern, name, s.is_closed(), s.is_hidden())
            };
            if !wildcard {
                if indices.contains_key(part) {
                    out.push(part.to_owned());
                } else if opts.ignore_aliases && self.aliases.contains(part) {
                    if !opts.ignore_unavailable {
                        return Err(Error::illegal_argument(format!(
                            "The provided expression [{part}] matches an alias, specify the corresponding concrete indices instead."
                        )));
                    }
                } else if self.aliases.contains(part) {
                    out.extend(self.aliases.indices_of(part));
                } else if self.data_streams.contains(part) {
                    out.extend(self.stream_indices(part));
                } else if !opts.ignore_unavailable {
                    return Err(Error::index_not_found(part));
                }
            } else if part == "_all" || part == "*" {
                out.extend(
                    indices
                        .iter()
                        .filter(|(n, s)| admitted(part, n, s))
                        .map(|(n, _)| n.clone()),
                );
            } else {
                // a pattern matches index names and alias names (ES's default expansion), of
                // the states `expand_wildcards` asks for
                let mut matched: Vec<String> = indices
                    .iter()
                    .filter(|(n, s)| wildcard_match(part, n) && admitted(part, n, s))
                    .map(|(n, _)| n.clone())
                    .collect();
                for alias in self.aliases.names() {
                    if !opts.ignore_aliases
                        && wildcard_match(part, &alias)
                        && (opts.expand.hidden
                            || part.starts_with('.')
                            || !self.aliases.is_hidden(&alias))
                    {
                        matched.extend(self.aliases.indices_of(&alias).into_iter().filter(|n| {
                            indices.get(n).is_some_and(|s| {
                                if s.is_closed() {
                                    opts.expand.closed
                                } else {
                                    opts.expand.open
                                }
                            })
                        }));
                    }
                }
                matched.extend(self.stream_indices(part));
                if matched.is_empty() && !opts.allow_no_indices {
                    return Err(Error::index_not_found(part));
                }
                out.extend(matched);
            }
        }
        out.sort();
        out.dedup();
        if out.is_empty() && !opts.allow_no_indices {
            return Err(Error::index_not_found(target));
        }
        Ok(out)
    }

    pub(crate) fn shards(&self, target: &str, opts: Resolve) -> Result<Vec<Arc<Shard>>> {
        let names = self.resolve(target, opts)?;
        let indices = self.indices.read();
        Ok(names
            .iter()
            .filter_map(|n| indices.get(n).cloned())
            .collect())
    }

    /// The shard named exactly `name`.
    pub fn shard(&self, name: &str) -> Result<Arc<Shard>> {
        self.indices
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| Error::index_not_found(name))
    }

    /// `GET /{target}/_mapping`.
    pub fn get_mapping(&self, target: &str, opts: Resolve) -> Result<Value> {
        let mut out = serde_json::Map::new();
        for s in self.shards(target, opts)? {
            out.insert(
                s.name.clone(),
                json!({"mappings": s.with_mapping(Mapping::to_json)}),
            );
        }
        Ok(Value::Object(out))
    }

    /// `PUT /{target}/_mapping`: ES's put mapping — new fields (and sub-fields) are added to
    /// each index's mapping, `dynamic` and `dynamic_templates` replaced when given, a changed
    /// type refused; every index is checked before any is changed.
    ///
    /// # Errors
    /// Index resolution, a malformed mapping, a conflict with the current one, mapping limits.
    pub fn put_mapping(&self, target: &str, body: &Value, opts: Resolve) -> Result<Value> {
        if body
            .as_object()
            .is_some_and(|o| o.len() == 1 && o.get("_doc").is_some_and(Value::is_object))
        {
            return Err(Error::illegal_argument(
                "Types cannot be provided in put mapping requests",
            ));
        }
        let update = Mapping::parse(body)?;
        let shards = self.shards(target, opts)?;
        for s in &shards {
            crate::engine::blocks::check_metadata(s, false)?;
            let mut m = s.with_mapping(Clone::clone);
            m.merge(&update)?;
        }
        for s in shards {
            s.update_meta(|meta| meta.mapping.merge(&update))?;
        }
        Ok(json!({"acknowledged": true}))
    }

    /// `GET /{target}`.
    pub fn get_index(&self, target: &str, opts: Resolve) -> Result<Value> {
        self.get_index_human(target, opts, false)
    }

    /// [`Store::get_index`]; `human` adds the creation date and version as text, as ES's
    /// `?human=true` does.
    ///
    /// # Errors
    /// A name starting with `_` (no index can have one); index resolution.
    pub fn get_index_human(&self, target: &str, opts: Resolve, human: bool) -> Result<Value> {
        if let Some(bad) = target
            .split(',')
            .map(str::trim)
            .find(|p| p.starts_with('_') && *p != "_all")
        {
            return Err(Error::invalid_index_name(bad, "must not start with '_'."));
        }
        let mut out = serde_json::Map::new();
        for s in self.shards(target, opts)? {
            let meta = s.meta();
            let mut index = serde_json::Map::new();
            for (k, v) in &meta.settings {
                if k != "number_of_shards" && k != "number_of_replicas" {
                    index.insert(k.clone(), v.clone());
                }
            }
            index.insert(
                "routing".into(),
                json!({"allocation": {"include": {"_tier_preference": "data_content"}}}),
            );
            index.insert(
                "number_of_shards".into(),
                Value::from(meta.shards.to_string()),
            );
            index.insert("provided_name".into(), Value::from(meta.name.clone()));
            if human {
                let at =
                    chrono::DateTime::from_timestamp_millis(meta.created_ms).unwrap_or_default();
                index.insert(
                    "creation_date_string".into(),
                    Value::from(at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
                );
            }
            index.insert(
                "creation_date".into(),
                Value::from(meta.created_ms.to_string()),
            );
            index.insert(
                "number_of_replicas".into(),
                Value::from(meta.replicas.to_string()),
            );
            index.insert("uuid".into(), Value::from(meta.uuid.clone()));
            index.insert(
                "version".into(),
                if human {
                    json!({"created_string": "8.5.0", "created": "8500003"})
                } else {
                    json!({"created": "8500003"})
                },
            );
            let aliases: serde_json::Map<String, Value> = self
                .aliases
                .of_index(&s.name)
                .into_iter()
                .map(|(a, d)| (a, d.to_json()))
                .collect();
            out.insert(
                s.name.clone(),
                json!({
                    "aliases": aliases,
                    "mappings": meta.mapping.to_json(),
                    "settings": {"index": Value::Object(index)},
                }),
            );
        }
        Ok(Value::Object(out))
    }

    /// `PUT /{target}/_settings`: the dynamic settings `refresh_interval` (honoured at once),
    /// `number_of_replicas` and the mapping limits; `number_of_shards` is final, as in ES.
    ///
    /// # Errors
    /// ES's for unknown or final settings and bad values; nothing changes then.
    pub fn put_settings(
        &self,
        target: &str,
        body: &Value,
        opts: Resolve,
        preserve_existing: bool,
    ) -> Result<Value> {
        let inner = body.get("settings").unwrap_or(body);
        // a `null` value resets the setting to its default (it is removed)
        let mut flat = Vec::new();
        crate::engine::settings::flatten("", inner, &mut flat);
        let reset: Vec<String> = flat
            .iter()
            .filter(|(_, v)| v.is_null())
            .map(|(k, _)| k.strip_prefix("index.").unwrap_or(k).to_owned())
            .collect();
        let given: serde_json::Map<String, Value> =
            flat.into_iter().filter(|(_, v)| !v.is_null()).collect();
        let parsed = parse_settings(Some(&Value::Object(given)))?;
        if parsed.rendered.is_empty() && reset.is_empty() {
            return Err(Error::validation(&["no settings to update"]));
        }
        let shards = self.shards(target, opts)?;
        if parsed.rendered.contains_key("number_of_shards") {
            let open: Vec<String> = shards
                .iter()
                .map(|s| format!("[{}/{}]", s.name, s.uuid))
                .collect();
            return Err(Error::illegal_argument(format!(
                "Can't update non dynamic settings [[index.number_of_shards]] for open indices [{}] unless the `reopen` query parameter is set to true. Alternatively, close the indices, apply the settings changes, and reopen the indices",
                open.join(", ")
            )));
        }
        let only_blocks = parsed.rendered.keys().all(|k| k.starts_with("blocks."));
        for shard in &shards {
            crate::engine::blocks::check_metadata(shard, only_blocks)?;
        }
        for shard in shards {
            shard.update_meta(|meta| {
                // `preserve_existing`: only the settings the index does not have yet
                let take = |meta: &IndexMeta, k: &str| {
                    parsed.rendered.contains_key(k)
                        && !(preserve_existing && meta.settings.contains_key(k))
                };
                if take(meta, "number_of_replicas") {
                    meta.replicas = parsed.replicas;
                }
                if take(meta, "refresh_interval") {
                    meta.refresh_interval = parsed.refresh_interval;
                }
                for (k, v) in &parsed.rendered {
                    if !(preserve_existing && meta.settings.contains_key(k)) {
                        meta.settings.insert(k.clone(), v.clone());
                    }
                }
                for k in reset.iter().filter(|_| !preserve_existing) {
                    meta.settings.remove(k);
                    match k.as_str() {
                        "refresh_interval" => meta.refresh_interval = None,
                        "number_of_replicas" => meta.replicas = 1,
                        _ => {}
                    }
                }
                Ok(())
            })?;
        }
        Ok(json!({"acknowledged": true}))
    }

    /// `GET /{target}/_settings[/{names}]`: each index's `settings` as `GET /{index}` shows
    /// them, only the names (`index.refresh_interval`, patterns) asked for; `flat` as ES's
    /// `flat_settings`.
    ///
    /// # Errors
    /// Index resolution.
    pub fn get_settings(
        &self,
        target: &str,
        names: Option<&str>,
        flat: bool,
        include_defaults: bool,
        opts: Resolve,
    ) -> Result<Value> {
        let all = self.get_index(target, opts)?;
        let patterns: Option<Vec<&str>> = names.map(|n| n.split(',').map(str::trim).collect());
        let mut out = serde_json::Map::new();
        for (index, body) in all.as_object().into_iter().flatten() {
            let mut flat_settings = Vec::new();
            flatten_json("index", &body["settings"]["index"], &mut flat_settings);
            let wanted = |k: &str| {
                patterns.as_ref().is_none_or(|ps| {
                    ps.iter()
                        .any(|p| *p == "_all" || *p == k || wildcard_match(p, k))
                })
            };
            // the defaults of the settings the index does not set
            let defaults: Vec<(String, Value)> = if include_defaults {
                super::settings::DEFAULTS
                    .iter()
                    .filter(|(k, _)| wanted(k) && !flat_settings.iter().any(|(s, _)| s == k))
                    .map(|(k, v)| {
                        // as ES's: the rescore window defaults to the result window
                        let v = match flat_settings
                            .iter()
                            .find(|(s, _)| s == "index.max_result_window")
                        {
                            Some((_, w)) if *k == "index.max_rescore_window" => w.clone(),
                            _ => Value::from(*v),
                        };
                        ((*k).to_owned(), v)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let kept: Vec<(String, Value)> = flat_settings
                .into_iter()
                .filter(|(k, _)| wanted(k))
                .collect();
            if patterns.is_some() && kept.is_empty() && defaults.is_empty() {
                continue;
            }
            let shape = |pairs: Vec<(String, Value)>| {
                if flat {
                    return Value::Object(pairs.into_iter().collect());
                }
                let mut nested = Value::Object(serde_json::Map::new());
                for (k, v) in pairs {
                    let mut at = &mut nested;
                    let parts: Vec<&str> = k.split('.').collect();
                    for (i, part) in parts.iter().enumerate() {
                        if i + 1 == parts.len() {
                            at[*part] = v.clone();
                        } else {
                            if !at[*part].is_object() {
                                at[*part] = json!({});
                            }
                            at = &mut at[*part];
                        }
                    }
                }
                nested
            };
            let mut body = json!({ "settings": shape(kept) });
            if include_defaults {
                body["defaults"] = shape(defaults);
            }
            out.insert(index.clone(), body);
        }
        Ok(Value::Object(out))
    }

    /// `GET [/{target}]/_stats[/{metrics}]`: every metric ES 8 keeps, per shard (at
    /// `level=shards`), per index and for all indices together, in ES's shape
    /// ([`crate::engine::stats`] says what each counts).
    ///
    /// # Errors
    /// Index resolution.
    pub fn stats(
        &self,
        target: Option<&str>,
        req: &crate::engine::stats::StatsRequest,
        opts: Resolve,
    ) -> Result<Value> {
        use crate::engine::stats::{ShardFigures, shard_sections, sum_sections};
        let shards = self.shards(target.unwrap_or("_all"), opts)?;
        let contexts = self.pits().contexts_per_shard(std::time::Instant::now());
        // ES counts shard copies: every primary with its replicas (unassigned here)
        let (mut shard_total, mut copies) = (0u64, 0u64);
        let mut every = Vec::new();
        let mut indices = serde_json::Map::new();
        for s in &shards {
            let meta = s.meta();
            shard_total += u64::from(meta.shards);
            copies += u64::from(meta.shards) * (1 + u64::from(meta.replicas));
            let mut parts = Vec::new();
            let mut rows = serde_json::Map::new();
            let figures = if meta.closed && !req.unloaded_segments {
                vec![ShardFigures::default(); meta.shards as usize]
            } else {
                s.figures()
            };
            for (num, mut f) in figures.into_iter().enumerate() {
                f.contexts = contexts
                    .get(&(s.uuid.clone(), num))
                    .copied()
                    .unwrap_or_default();
                let sections = shard_sections(req, s.counters(num), &f);
                if req.level == 2 {
                    let mut row = serde_json::Map::new();
                    row.insert(
                        "routing".into(),
                        json!({"state": if meta.closed { "CLOSED" } else { "STARTED" },
                            "primary": true, "node": req.node, "relocating_node": null}),
                    );
                    row.extend(sections.clone());
                    if let Some((opstamp, payload)) = &f.commit {
                        use base64::Engine as _;
                        let id = base64::engine::general_purpose::STANDARD
                            .encode(format!("{}/{num}/{opstamp}", s.uuid));
                        let user: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
                        let user: serde_json::Map<String, Value> = user
                            .as_object()
                            .into_iter()
                            .flatten()
                            .map(|(k, v)| (k.clone(), Value::from(v.to_string())))
                            .collect();
                        row.insert(
                            "commit".into(),
                            json!({"id": id, "generation": opstamp, "user_data": user,
                                "num_docs": f.docs}),
                        );
                    }
                    let seq = f
                        .max_seq_no
                        .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
                    row.insert(
                        "seq_no".into(),
                        json!({"max_seq_no": seq, "local_checkpoint": seq, "global_checkpoint": seq}),
                    );
                    rows.insert(num.to_string(), json!([row]));
                }
                parts.push(sections);
            }
            let part = Value::Object(sum_sections(&parts));
            let mut entry = json!({"uuid": s.uuid, "health": if meta.replicas == 0 { "green" } else { "yellow" },
                "status": if meta.closed { "close" } else { "open" },
                "primaries": part, "total": part});
            if req.level == 2 {
                entry["shards"] = Value::Object(rows);
            }
            indices.insert(s.name.clone(), entry);
            every.extend(parts);
        }
        let all = Value::Object(sum_sections(&every));
        let mut out = json!({
            "_shards": {"total": copies, "successful": shard_total, "failed": 0},
            "_all": {"primaries": all, "total": all},
        });
        if req.level > 0 {
            out["indices"] = Value::Object(indices);
        }
        Ok(out)
    }

    /// `POST /{target}/_refresh`.
    pub fn refresh(&self, target: &str) -> Result<Value> {
        self.refresh_with(target, Resolve::expanding(Expand::OPEN))
    }

    /// [`Store::refresh`] with the request's index options.
    pub fn refresh_with(&self, target: &str, opts: Resolve) -> Result<Value> {
        let names = self.only_open(target, self.resolve(target, opts)?, opts)?;
        let shards: Vec<Arc<Shard>> = names.iter().filter_map(|n| self.shard(n).ok()).collect();
        for s in &shards {
            s.refresh()?;
        }
        Ok(shard_copies(&shards))
    }

    /// `POST /{target}/_forcemerge`: merges each index's segments down to `max_num_segments`
    /// (default 1), or with `only_expunge_deletes` those that hold deleted documents.
    ///
    /// # Errors
    /// ES's validation error for both options at once; index resolution; a merge failure.
    pub fn force_merge(
        &self,
        target: &str,
        max_segments: Option<usize>,
        expunge: bool,
    ) -> Result<Value> {
        self.force_merge_with(
            target,
            max_segments,
            expunge,
            Resolve::expanding(Expand::OPEN),
        )
    }

    /// [`Store::force_merge`] with the request's index options.
    pub fn force_merge_with(
        &self,
        target: &str,
        max_segments: Option<usize>,
        expunge: bool,
        opts: Resolve,
    ) -> Result<Value> {
        if expunge && max_segments.is_some() {
            return Err(Error::validation(&[
                "cannot set only_expunge_deletes and max_num_segments at the same time, those two parameters are mutually exclusive",
            ]));
        }
        let names = self.only_open(target, self.resolve(target, opts)?, opts)?;
        let shards: Vec<Arc<Shard>> = names.iter().filter_map(|n| self.shard(n).ok()).collect();
        for s in &shards {
            s.force_merge(max_segments, expunge)?;
        }
        Ok(shard_copies(&shards))
    }

    /// `GET /_cat/indices[/{target}]`.
    pub fn cat_indices(&self, target: Option<&str>, opts: Resolve) -> Result<Vec<CatIndex>> {
        let shards = self.shards(target.unwrap_or("_all"), opts)?;
        Ok(shards
            .iter()
            .map(|s| {
                let meta = s.meta();
                let (count, deleted, size) = s.stats();
                CatIndex {
                    health: if meta.replicas == 0 {
                        "green"
                    } else {
                        "yellow"
                    },
                    status: if meta.closed { "close" } else { "open" },
                    index: s.name.clone(),
                    uuid: s.uuid.clone(),
                    pri: meta.shards,
                    rep: meta.replicas,
                    docs_count: count,
                    docs_deleted: deleted,
                    store_size_bytes: size,
                    pri_store_size_bytes: size,
                }
            })
            .collect())
    }

    /// `GET /_cat/shards[/{target}]`'s facts: one row per primary shard (replicas are never
    /// assigned on one node).
    ///
    /// # Errors
    /// Index resolution.
    pub fn shard_rows(&self, target: Option<&str>) -> Result<Vec<ShardRow>> {
        let shards = self.shards(target.unwrap_or("_all"), Resolve::default())?;
        Ok(shards
            .iter()
            .flat_map(|s| {
                let replicas = s.meta().replicas;
                s.shard_stats()
                    .into_iter()
                    .map(move |(shard, docs, bytes)| ShardRow {
                        index: s.name.clone(),
                        shard,
                        docs,
                        bytes,
                        replicas,
                    })
            })
            .collect())
    }

    /// `GET /_cluster/health[/{target}]` now: the body (`level` 0 cluster, 1 indices, 2
    /// shards) and whether a concrete index of `target` is missing (then the status is red).
    pub fn cluster_health(&self, target: Option<&str>, level: u8, expand: Expand) -> (Value, bool) {
        let mut missing = false;
        let shards: Vec<Arc<Shard>> = match target {
            None => self.indices.read().values().cloned().collect(),
            Some(t) => {
                for part in t.split(',').map(str::trim) {
                    if !part.is_empty()
                        && !part.contains('*')
                        && part != "_all"
                        && !part.starts_with('-')
                        && self.resolve(part, Resolve::default()).is_err()
                    {
                        missing = true;
                    }
                }
                let opts = Resolve {
                    ignore_unavailable: true,
                    allow_no_indices: true,
                    expand,
                    ignore_aliases: false,
                };
                self.shards(t, opts).unwrap_or_default()
            }
        };
        let health = |group: &[Arc<Shard>]| {
            let unassigned: u32 = group
                .iter()
                .map(|s| s.meta().replicas * s.shard_count() as u32)
                .sum();
            let active: usize = group.iter().map(|s| s.shard_count()).sum();
            let status = if unassigned == 0 { "green" } else { "yellow" };
            (status, active, unassigned)
        };
        let (status, active, unassigned) = health(&shards);
        let status = if missing { "red" } else { status };
        let total = active as u32 + unassigned;
        let pct = if total == 0 {
            100.0
        } else {
            // ES's order of operations (its rounding: 66.66666666666666 for 2 of 3)
            active as f64 / f64::from(total) * 100.0
        };
        let mut v = json!({
            "cluster_name": "sluice",
            "status": status,
            "timed_out": false,
            "number_of_nodes": 1,
            "number_of_data_nodes": 1,
            "active_primary_shards": active,
            "active_shards": active,
            "relocating_shards": 0,
            "initializing_shards": 0,
            "unassigned_shards": unassigned,
            "unassigned_primary_shards": 0,
            "delayed_unassigned_shards": 0,
            "number_of_pending_tasks": 0,
            "number_of_in_flight_fetch": 0,
            "task_max_waiting_in_queue_millis": 0,
            "active_shards_percent_as_number": pct,
        });
        if level > 0 {
            let mut per = serde_json::Map::new();
            for s in &shards {
                let (status, active, unassigned) = health(std::slice::from_ref(s));
                per.insert(
                    s.name.clone(),
                    json!({
                        "status": status,
                        "number_of_shards": s.shard_count(),
                        "number_of_replicas": s.meta().replicas,
                        "active_primary_shards": active,
                        "active_shards": active,
                        "relocating_shards": 0,
                        "initializing_shards": 0,
                        "unassigned_shards": unassigned,
                        "unassigned_primary_shards": 0,
                    }),
                );
                if level > 1 {
                    let replicas = s.meta().replicas;
                    let copies: serde_json::Map<String, Value> = (0..s.shard_count())
                        .map(|n| {
                            (
                                n.to_string(),
                                json!({
                                    "status": if replicas == 0 { "green" } else { "yellow" },
                                    "primary_active": true,
                                    "active_shards": 1,
                                    "relocating_shards": 0,
                                    "initializing_shards": 0,
                                    "unassigned_shards": replicas,
                                    "unassigned_primary_shards": 0,
                                }),
                            )
                        })
                        .collect();
                    per[&s.name]["shards"] = Value::Object(copies);
                }
            }
            v["indices"] = Value::Object(per);
        }
        (v, missing)
    }

    // ---------------------------------------------------------------------------------------
    // documents

    /// Charges what processing a write of `ops` operations and `source_bytes` costs to the write
    /// budget (429 beyond it).
    fn admit(&self, ops: usize, source_bytes: usize) -> Result<http_serve::Reservation> {
        self.pressure
            .admit(crate::engine::pressure::Pressure::cost(ops, source_bytes))
    }

    /// `PUT|POST /{index}/_doc[/{id}]` and `/_create/{id}`.
    pub fn index_doc(
        &self,
        index: &str,
        id: Option<&str>,
        op: OpType,
        source: &[u8],
        refresh: Refresh,
    ) -> Result<WriteResult> {
        self.index_doc_if(index, id, op, source, refresh, DocOpts::default())
    }

    /// [`Store::index_doc`] with a precondition (`if_seq_no`, external version) and a routing.
    pub fn index_doc_if(
        &self,
        index: &str,
        id: Option<&str>,
        op: OpType,
        source: &[u8],
        refresh: Refresh,
        opts: DocOpts,
    ) -> Result<WriteResult> {
        let DocOpts { cond, routing } = opts;
        if op == OpType::Update || op == OpType::Delete {
            return Err(Error::illegal_argument(format!(
                "[{}] is not a document index operation",
                op.as_str()
            )));
        }
        let _guard = self.admit(1, source.len())?;
        let shard = self.shard_for_doc(index, op, cond, source)?;
        let routing = self.routing_through(index, &shard.name, routing)?;
        check_routing(&shard, id, routing.as_deref())?;
        let mut prepared = shard.prepare(op, id, Bytes::copy_from_slice(source))?;
        prepared.cond = cond;
        prepared.routing = routing;
        let r = shard
            .write(vec![prepared])
            .pop()
            .unwrap_or_else(|| Err(Error::es(500, "exception", "no write result")))?;
        self.after_write(&[shard], refresh)?;
        Ok(r)
    }

    /// The shard an index or create operation writes to, with the data stream rules: a stream
    /// takes only `create` of documents with `@timestamp`; its backing indices take neither
    /// (except an `index` with `if_seq_no`, as in Elasticsearch).
    fn shard_for_doc(
        &self,
        index: &str,
        op: OpType,
        cond: Cond,
        source: &[u8],
    ) -> Result<Arc<Shard>> {
        use crate::engine::data_streams::{
            WriteTarget, check_timestamp, no_backing_writes, only_create,
        };
        match self.write_target(index)? {
            WriteTarget::Index(s) => Ok(s),
            WriteTarget::Stream(s) if op == OpType::Create => {
                check_timestamp(source)?;
                Ok(s)
            }
            WriteTarget::Stream(_) => Err(only_create()),
            WriteTarget::Backing(s, _)
                if op == OpType::Index && matches!(cond, Cond::SeqNo { .. }) =>
            {
                Ok(s)
            }
            WriteTarget::Backing(_, stream) => Err(no_backing_writes(op, &stream)),
        }
    }

    /// `DELETE /{index}/_doc/{id}` (result `not_found` with status 404 when absent).
    pub fn delete_doc(&self, index: &str, id: &str, refresh: Refresh) -> Result<WriteResult> {
        self.delete_doc_if(index, id, refresh, DocOpts::default())
    }

    /// [`Store::delete_doc`] with a precondition and a routing.
    pub fn delete_doc_if(
        &self,
        index: &str,
        id: &str,
        refresh: Refresh,
        opts: DocOpts,
    ) -> Result<WriteResult> {
        let shard = self.open_shard(index)?;
        crate::engine::blocks::check_write(&shard)?;
        check_routing(&shard, Some(id), opts.routing.as_deref())?;
        let mut prepared = shard.prepare(OpType::Delete, Some(id), Bytes::new())?;
        prepared.cond = opts.cond;
        prepared.routing = opts.routing;
        let r = shard
            .write(vec![prepared])
            .pop()
            .unwrap_or_else(|| Err(Error::es(500, "exception", "no write result")))?;
        self.after_write(&[shard], refresh)?;
        Ok(r)
    }

    /// `POST /{index}/_update/{id}`: merges a partial document into the stored one (or
    /// creates it from `upsert`/`doc_as_upsert`), retrying `retry_on_conflict` times when a
    /// concurrent write got in between the read and the write. The index is created if missing.
    pub fn update_doc(
        &self,
        index: &str,
        id: &str,
        body: &[u8],
        retry_on_conflict: u32,
        refresh: Refresh,
    ) -> Result<Updated> {
        self.update_doc_if(
            index,
            id,
            body,
            retry_on_conflict,
            refresh,
            &DocOpts::default(),
        )
    }

    /// [`Store::update_doc`] that applies only to the document's `if_seq_no` state, of the
    /// document `routing` places.
    pub fn update_doc_if(
        &self,
        index: &str,
        id: &str,
        body: &[u8],
        retry_on_conflict: u32,
        refresh: Refresh,
        opts: &DocOpts,
    ) -> Result<Updated> {
        let _guard = self.admit(1, body.len())?;
        let spec = UpdateSpec::parse(body)?;
        let shard = self.shard_for_write(index)?;
        let opts = DocOpts {
            cond: opts.cond,
            routing: self.routing_through(index, &shard.name, opts.routing.clone())?,
        };
        let r = self.update_in(&shard, id, &spec, retry_on_conflict, &opts)?;
        if r.result.result != DocResult::Noop {
            self.after_write(&[shard], refresh)?;
        }
        Ok(r)
    }

    /// One update against `shard`: read, merge, write conditionally on the read's `_seq_no`.
    fn update_in(
        &self,
        shard: &Shard,
        id: &str,
        spec: &UpdateSpec,
        retry_on_conflict: u32,
        opts: &DocOpts,
    ) -> Result<Updated> {
        validate_id(id)?;
        check_routing(shard, Some(id), opts.routing.as_deref())?;
        if !shard.with_mapping(Mapping::source_enabled) {
            return Err(Error::es(
                400,
                "document_source_missing_exception",
                format!("[{id}]: document source missing"),
            )
            .with("index", shard.name.clone()));
        }
        let mut attempt = 0;
        loop {
            let current = shard.get_as(id, opts.routing.as_deref(), true)?;
            if let (
                Cond::SeqNo {
                    seq_no,
                    primary_term,
                },
                Some(Got { seq_no: s, .. }),
            ) = (opts.cond, &current)
                && (*s != seq_no || primary_term != 1)
            {
                return Err(Error::es(
                    409,
                    "version_conflict_engine_exception",
                    format!(
                        "[{id}]: version conflict, required seqNo [{seq_no}], primary term \
                         [{primary_term}]. current document has seqNo [{s}] and primary term [1]"
                    ),
                )
                .with("index_uuid", shard.uuid.clone())
                .with("index", shard.name.clone()));
            }
            let (op, source, write_cond) = match current {
                None => {
                    let Some(upsert) = spec.upsert_doc() else {
                        return Err(Error::es(
                            404,
                            "document_missing_exception",
                            format!("[{id}]: document missing"),
                        )
                        .with("index_uuid", shard.uuid.clone())
                        .with("shard", "0")
                        .with("index", shard.name.clone()));
                    };
                    (OpType::Create, Value::Object(upsert.clone()), Cond::None)
                }
                Some(Got {
                    version,
                    seq_no,
                    source: bytes,
                    ..
                }) => {
                    let Ok(Value::Object(mut source)) = serde_json::from_slice::<Value>(&bytes)
                    else {
                        return Err(Error::illegal_argument(format!(
                            "[{id}]: the stored source is not a JSON object and cannot be updated"
                        )));
                    };
                    let doc = spec
                        .doc
                        .as_ref()
                        .map_or_else(Default::default, Clone::clone);
                    let changed = update::merge(&mut source, &doc)?;
                    if !changed && spec.detect_noop {
                        shard.note_noop(id, opts.routing.as_deref());
                        return Ok(Updated {
                            result: WriteResult {
                                index: shard.name.clone(),
                                id: id.to_owned(),
                                version,
                                seq_no,
                                primary_term: 1,
                                result: DocResult::Noop,
                            },
                            source: Value::Object(source),
                            return_source: spec.return_source,
                            source_filter: spec.source_filter.clone(),
                        });
                    }
                    let c = Cond::SeqNo {
                        seq_no,
                        primary_term: 1,
                    };
                    (OpType::Index, Value::Object(source), c)
                }
            };
            let bytes = Bytes::from(serde_json::to_vec(&source).map_err(|e| {
                Error::es(
                    500,
                    "exception",
                    format!("encoding the updated source: {e}"),
                )
            })?);
            let mut prepared = shard.prepare(op, Some(id), bytes)?;
            prepared.cond = write_cond;
            prepared.routing.clone_from(&opts.routing);
            let written = shard
                .write(vec![prepared])
                .pop()
                .unwrap_or_else(|| Err(Error::es(500, "exception", "no write result")));
            match written {
                Ok(mut result) => {
                    if op == OpType::Index {
                        // ES reports an update of an existing document as `updated`
                        result.result = DocResult::Updated;
                    }
                    return Ok(Updated {
                        result,
                        source,
                        return_source: spec.return_source,
                        source_filter: spec.source_filter.clone(),
                    });
                }
                Err(e) if e.status() == 409 && attempt < retry_on_conflict => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// `GET|POST /_mget`: each document looked up (in real time unless `realtime` is false);
    /// a missing index is that entry's error.
    pub fn mget(&self, docs: &[DocRef], realtime: bool) -> Vec<Result<Value>> {
        docs.iter()
            .map(|d| self.get_doc_as(&d.index, &d.id, d.routing.as_deref(), realtime))
            .collect()
    }

    /// `GET /{index}/_doc/{id}` (realtime). Found: the ES body with `found: true`; missing doc:
    /// `{"_index","_id","found":false}` (answer 404 with it); missing index: error.
    pub fn get_doc(&self, index: &str, id: &str) -> Result<Value> {
        self.get_doc_as(index, id, None, true)
    }

    /// [`Store::get_doc`] from the shard `routing` places the document in, realtime or
    /// (`realtime: false`) as of the last refresh.
    pub fn get_doc_as(
        &self,
        index: &str,
        id: &str,
        routing: Option<&str>,
        realtime: bool,
    ) -> Result<Value> {
        let shard = self.open_shard(index)?;
        check_routing(&shard, Some(id), routing)?;
        match shard.get_as(id, routing, realtime)? {
            Some(got) => {
                let src: Value = serde_json::from_slice(&got.source).unwrap_or(Value::Null);
                let mut v = serde_json::Map::new();
                v.insert("_index".into(), Value::from(shard.name.clone()));
                v.insert("_id".into(), Value::from(id));
                v.insert("_version".into(), Value::from(got.version));
                v.insert("_seq_no".into(), Value::from(got.seq_no));
                v.insert("_primary_term".into(), Value::from(1));
                if let Some(r) = got.routing {
                    v.insert("_routing".into(), Value::from(r));
                }
                v.insert("found".into(), Value::Bool(true));
                if shard.with_mapping(Mapping::source_enabled) {
                    v.insert("_source".into(), src);
                }
                Ok(Value::Object(v))
            }
            None => Ok(json!({"_index": shard.name, "_id": id, "found": false})),
        }
    }

    /// The `stored_fields` of a get: the values of the named fields mapped with `store: true`
    /// (ES reads them from Lucene's stored fields; here they come from the `_source`, which
    /// holds the same values). Other names give nothing, as in Elasticsearch.
    pub fn stored_field_values(
        &self,
        index: &str,
        names: &[String],
        source: &Value,
    ) -> Result<serde_json::Map<String, Value>> {
        let shard = self.open_shard(index)?;
        shard.with_mapping(|m| {
            let specs: Vec<crate::search::fields::FieldSpec> = names
                .iter()
                .filter(|n| {
                    m.field(n)
                        .is_some_and(|f| f.shown.get("store") == Some(&Value::Bool(true)))
                })
                .map(|n| crate::search::fields::FieldSpec {
                    pattern: n.clone(),
                    format: None,
                    include_unmapped: false,
                })
                .collect();
            crate::search::fields::from_source(&specs, source, m)
        })
    }

    /// The routing of a document request made through `name`: the `index_routing` of the alias
    /// `name` on `index`, unless the request gives another value (refused, as ES refuses it);
    /// else the request's own.
    fn routing_through(
        &self,
        name: &str,
        index: &str,
        routing: Option<String>,
    ) -> Result<Option<String>> {
        if name == index || !self.aliases.contains(name) {
            return Ok(routing);
        }
        let Some(alias_routing) = self
            .aliases
            .of_index(index)
            .remove(name)
            .and_then(|d| d.index_routing)
        else {
            return Ok(routing);
        };
        match routing {
            Some(r) if r != alias_routing => Err(Error::illegal_argument(format!(
                "Alias [{name}] has index routing associated with it [{alias_routing}], and was \
                 provided with routing value [{r}], rejecting operation"
            ))),
            _ => Ok(Some(alias_routing)),
        }
    }

    /// `require_alias=true`: a write whose target is not an alias is refused as ES refuses it.
    ///
    /// # Errors
    /// `index_not_found_exception` naming the target.
    pub fn check_alias_required(&self, target: &str) -> Result<()> {
        if self.aliases.contains(target) {
            return Ok(());
        }
        Err(Error::es(
            404,
            "index_not_found_exception",
            format!(
                "no such index [{target}] and [require_alias] request flag is [true] and [{target}] is not an alias"
            ),
        )
        .with("index_uuid", "_na_")
        .with("index", target))
    }

    /// `POST /_bulk`: applies every operation; failures are per item.
    pub fn bulk(&self, ops: Vec<WriteOp>, refresh: Refresh) -> Result<BulkResponse> {
        let start = Instant::now();
        let bytes: usize = ops
            .iter()
            .map(|o| o.source.as_ref().map_or(0, Bytes::len))
            .sum();
        let _guard = self.admit(ops.len(), bytes)?;
        // Parsing and indexing wait for a place in the write pool (the body is held already).
        let _slot = self.pressure.slot();
        let n = ops.len();
        let mut items: Vec<Option<BulkItem>> = (0..n).map(|_| None).collect();
        // group by index, keeping request order inside each index
        let mut groups: BTreeMap<String, Vec<(usize, WriteOp)>> = BTreeMap::new();
        for (i, op) in ops.into_iter().enumerate() {
            if op.require_alias
                && let Err(e) = self.check_alias_required(&op.index)
            {
                items[i] = Some(BulkItem {
                    get: None,
                    op: op.kind,
                    index: op.index,
                    id: op.id,
                    outcome: Err(e),
                });
                continue;
            }
            groups.entry(op.index.clone()).or_default().push((i, op));
        }
        let mut touched = Vec::new();
        for (index, group) in groups {
            let (shard, stream) = match self.bulk_target(&index, &group) {
                Ok(s) => s,
                Err(e) => {
                    for (i, op) in group {
                        items[i] = Some(BulkItem {
                            get: None,
                            op: op.kind,
                            index: index.clone(),
                            id: op.id,
                            outcome: Err(clone_err(&e)),
                        });
                    }
                    continue;
                }
            };
            // a data stream's items name its write index, except the operations it refuses
            // outright (ES's answer names what was asked for); what it refuses fails alone
            let requested = index;
            let index = match stream {
                StreamRule::Stream => shard.name.clone(),
                StreamRule::Backing(_) | StreamRule::None => requested.clone(),
            };
            let mut rest = Vec::with_capacity(group.len());
            for (i, op) in group {
                if let Err(e) = stream.check(&op) {
                    let named = if op.kind == OpType::Create {
                        &index
                    } else {
                        &requested
                    };
                    items[i] = Some(BulkItem {
                        get: None,
                        op: op.kind,
                        index: named.clone(),
                        id: op.id,
                        outcome: Err(e),
                    });
                } else {
                    rest.push((i, op));
                }
            }
            // Updates read what the operations before them wrote: runs of other operations
            // are written as one batch, each update on its own, in request order.
            while !rest.is_empty() {
                let run = rest
                    .iter()
                    .position(|(_, op)| op.kind == OpType::Update)
                    .unwrap_or(rest.len());
                if run == 0 {
                    let (i, op) = rest.remove(0);
                    let (outcome, get) = match self.bulk_update(&shard, &op) {
                        Ok(u) => {
                            // the action line's `_source`, else the URL's, else the body's:
                            // ES sets the first two over what the body said
                            let filter = op.fetch_source.clone().or_else(|| {
                                u.return_source.then(|| {
                                    u.source_filter
                                        .clone()
                                        .unwrap_or(crate::search::SourceFilter::All)
                                })
                            });
                            let get = filter
                                .filter(|f| !matches!(f, crate::search::SourceFilter::None))
                                .map(|f| u.get_json(&f));
                            (Ok(u.result), get)
                        }
                        Err(e) => (Err(e), None),
                    };
                    items[i] = Some(BulkItem {
                        get,
                        op: op.kind,
                        index: index.clone(),
                        id: op.id,
                        outcome,
                    });
                    continue;
                }
                let tail = rest.split_off(run);
                for chunk in chunks(rest) {
                    self.bulk_run(&shard, &index, chunk, &mut items);
                }
                rest = tail;
            }
            touched.push(shard);
        }
        self.after_write(&touched, refresh)?;
        let items: Vec<BulkItem> = items.into_iter().flatten().collect();
        let errors = items.iter().any(|i| i.outcome.is_err());
        Ok(BulkResponse {
            took_ms: start.elapsed().as_millis() as u64,
            errors,
            items,
            forced_refresh: refresh == Refresh::True,
        })
    }

    /// Writes a run of index/create/delete operations of one index as one batch.
    fn bulk_run(
        &self,
        shard: &Shard,
        index: &str,
        group: Vec<(usize, WriteOp)>,
        items: &mut [Option<BulkItem>],
    ) {
        let mut prepared: Vec<Prepared> = Vec::with_capacity(group.len());
        let mut slots = Vec::with_capacity(group.len());
        let outcomes = prepare_all(shard, &group);
        for ((i, op), outcome) in group.into_iter().zip(outcomes) {
            let outcome = outcome.and_then(|mut p| {
                p.routing = self.routing_through(&op.index, &shard.name, op.routing.clone())?;
                check_routing(shard, Some(&p.id), p.routing.as_deref())?;
                Ok(p)
            });
            match outcome {
                Ok(mut p) => {
                    p.cond = op.cond;
                    slots.push((i, op.kind, p.id.clone()));
                    prepared.push(p);
                }
                Err(e) => {
                    items[i] = Some(BulkItem {
                        get: None,
                        op: op.kind,
                        index: index.to_owned(),
                        id: op.id,
                        outcome: Err(e),
                    });
                }
            }
        }
        let results = shard.write(prepared);
        for ((i, kind, id), outcome) in slots.into_iter().zip(results) {
            items[i] = Some(BulkItem {
                get: None,
                op: kind,
                index: index.to_owned(),
                id: Some(id),
                outcome,
            });
        }
    }

    /// One bulk `update` item.
    fn bulk_update(&self, shard: &Shard, op: &WriteOp) -> Result<Updated> {
        let Some(id) = op.id.as_deref() else {
            return Err(Error::es(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: id is missing;",
            ));
        };
        let spec = UpdateSpec::parse(op.source.as_deref().unwrap_or_default())?;
        let opts = DocOpts {
            cond: op.cond,
            routing: self.routing_through(&op.index, &shard.name, op.routing.clone())?,
        };
        self.update_in(shard, id, &spec, op.retry_on_conflict, &opts)
    }

    /// The shard a bulk group of one target name writes to, and the data stream rule its
    /// operations must follow.
    fn bulk_target(
        &self,
        index: &str,
        group: &[(usize, WriteOp)],
    ) -> Result<(Arc<Shard>, StreamRule)> {
        use crate::engine::data_streams::{WriteTarget, only_create};
        if group.iter().all(|(_, op)| op.kind == OpType::Delete) {
            if self.data_streams.contains(index) {
                return Err(only_create());
            }
            let s = self.open_shard(index)?;
            crate::engine::blocks::check_write(&s)?;
            return Ok((s, StreamRule::None));
        }
        Ok(match self.write_target(index)? {
            WriteTarget::Index(s) => (s, StreamRule::None),
            WriteTarget::Stream(s) => (s, StreamRule::Stream),
            WriteTarget::Backing(s, stream) => (s, StreamRule::Backing(stream)),
        })
    }

    fn after_write(&self, shards: &[Arc<Shard>], refresh: Refresh) -> Result<()> {
        for s in shards {
            if refresh != Refresh::False || s.needs_flush() {
                s.refresh()?;
            }
        }
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // search

    /// `GET|POST /{target}/_search`: the ES response body.
    pub fn search(
        &self,
        target: &str,
        body: Option<&Value>,
        params: &SearchParams,
    ) -> Result<Value> {
        let mut targets = self.filtered_targets(target, params.resolve_options()?)?;
        search::keep_routed(&mut targets, params.routing.as_deref());
        self.boost_targets(&mut targets, body, params.resolve_options()?)?;
        let params = self.with_limits(params);
        search::search_targets(&targets, body, &params, None)
    }

    /// `indices_boost` of a search body: each target's scores multiplied by the boost of the
    /// first entry (an index, alias or pattern) that reaches its index, as ES applies it; a
    /// missing name is `index_not_found_exception` unless `ignore_unavailable`.
    pub(crate) fn boost_targets(
        &self,
        targets: &mut [search::Target],
        body: Option<&Value>,
        opts: Resolve,
    ) -> Result<()> {
        let Some(v) = body.and_then(|b| b.get("indices_boost")) else {
            return Ok(());
        };
        let mut reached: Vec<(Vec<String>, f32)> = Vec::new();
        for (name, boost) in search::parse_indices_boost(v)? {
            reached.push((self.resolve(&name, opts)?, boost));
        }
        for t in targets {
            if let Some((_, b)) = reached
                .iter()
                .find(|(names, _)| names.contains(&t.shard.name))
            {
                t.boost = *b;
            }
        }
        Ok(())
    }

    /// `GET|POST /{target}/_count`: `{"count":N,"_shards":{..}}`.
    pub fn count(
        &self,
        target: &str,
        body: Option<&Value>,
        params: &SearchParams,
    ) -> Result<Value> {
        let looked_up = super::terms_lookup::rewrite(self, body)?;
        let body = looked_up.as_ref().or(body);
        let mut targets = self.filtered_targets(target, params.resolve_options()?)?;
        search::keep_routed(&mut targets, params.routing.as_deref());
        search::count_targets(&targets, body, &self.with_limits(params))
    }

    /// `params` with the cluster's search limits in force.
    pub(crate) fn with_limits(&self, params: &SearchParams) -> SearchParams {
        SearchParams {
            limits: self.cluster.limits(),
            ..params.clone()
        }
    }

    /// `GET|PUT /_cluster/settings`.
    pub fn cluster_settings(&self) -> &crate::engine::cluster_settings::ClusterSettings {
        &self.cluster
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("data_dir", &self.config.data_dir)
            .finish_non_exhaustive()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            tracing::error!(error = %e, "closing the store failed");
        }
    }
}

/// `_routing: {required: true}` in the mapping: a document request without `routing` is
/// refused as ES refuses it.
fn check_routing(shard: &Shard, id: Option<&str>, routing: Option<&str>) -> Result<()> {
    if routing.is_some() || !shard.with_mapping(Mapping::routing_required) {
        return Ok(());
    }
    Err(Error::es(
        400,
        "routing_missing_exception",
        format!(
            "routing is required for [{}]/[{}]",
            shard.name,
            id.unwrap_or("null")
        ),
    )
    .with("index_uuid", "_na_")
    .with("index", shard.name.clone()))
}

pub(crate) fn already_exists(name: &str, uuid: &str) -> Error {
    Error::es(
        400,
        "resource_already_exists_exception",
        format!("index [{name}/{uuid}] already exists"),
    )
    .with("index_uuid", uuid)
    .with("index", name)
}

pub(crate) fn clone_err(e: &Error) -> Error {
    let mut out = Error::es(e.status(), e.es_type(), e.reason());
    if let Error::Es { extra, .. } = e {
        for (k, v) in extra.iter() {
            out = out.with(k, v.clone());
        }
    }
    out
}

fn parse_create_body(
    body: Option<&Value>,
) -> Result<(Mapping, crate::engine::settings::IndexSettings)> {
    let Some(body) = body else {
        return Ok((Mapping::default(), parse_settings(None)?));
    };
    let obj = body
        .as_object()
        .ok_or_else(|| Error::parsing("request body must be a JSON object"))?;
    let mut mapping = Mapping::default();
    let mut settings = None;
    for (k, v) in obj {
        match k.as_str() {
            "mappings" => mapping = Mapping::parse(v)?,
            "settings" => settings = Some(v),
            // read by `create_body_aliases`
            "aliases" => {}
            other => {
                return Err(Error::parsing(format!(
                    "unknown key [{other}] for create index"
                )));
            }
        }
    }
    Ok((mapping, parse_settings(settings)?))
}

/// Bulk groups at least this large are parsed and converted on several threads.
const PARALLEL_PREPARE_MIN: usize = 1024;

/// Splits a run of operations into chunks of at most [`CHUNK_BYTES`] of sources (at least one
/// operation each), each prepared and written before the next, so that the parsed documents of
/// one chunk at a time are held.
///
/// [`CHUNK_BYTES`]: crate::engine::pressure::CHUNK_BYTES
/// What a bulk group's target allows (data streams: `engine::data_streams`).
enum StreamRule {
    /// An index: anything.
    None,
    /// A data stream: only `create`, with `@timestamp`.
    Stream,
    /// A backing index named directly (its stream): no `create`, no `index` without
    /// `if_seq_no`.
    Backing(String),
}

impl StreamRule {
    fn check(&self, op: &WriteOp) -> Result<()> {
        use crate::engine::data_streams::{check_timestamp, no_backing_writes, only_create};
        match (self, op.kind) {
            (StreamRule::None, _) => Ok(()),
            (StreamRule::Stream, OpType::Create) => {
                check_timestamp(op.source.as_deref().unwrap_or_default())
            }
            (StreamRule::Stream, _) => Err(only_create()),
            (StreamRule::Backing(stream), OpType::Create) => {
                Err(no_backing_writes(OpType::Create, stream))
            }
            (StreamRule::Backing(stream), OpType::Index)
                if !matches!(op.cond, Cond::SeqNo { .. }) =>
            {
                Err(no_backing_writes(OpType::Index, stream))
            }
            (StreamRule::Backing(_), _) => Ok(()),
        }
    }
}

fn chunks(run: Vec<(usize, WriteOp)>) -> Vec<Vec<(usize, WriteOp)>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0;
    for item in run {
        let len = item.1.source.as_ref().map_or(0, Bytes::len);
        if !current.is_empty() && bytes + len > crate::engine::pressure::CHUNK_BYTES {
            out.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += len;
        current.push(item);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Parses and converts the sources of one index's bulk group (the JSON walk and dynamic mapping
/// are the caller-thread share of ingest, while tantivy indexes on its own threads): in chunks
/// on scoped threads for large groups, keeping request order. The threads only convert documents
/// the current mapping covers; those needing a dynamic mapping update are prepared afterwards in
/// request order, so the resulting mapping is the one sequential processing gives.
fn prepare_all(shard: &Shard, group: &[(usize, WriteOp)]) -> Vec<Result<Prepared>> {
    let one = |(_, op): &(usize, WriteOp)| {
        shard.prepare(
            op.kind,
            op.id.as_deref(),
            op.source.clone().unwrap_or_default(),
        )
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(group.len() / (PARALLEL_PREPARE_MIN / 2));
    if threads <= 1 {
        return group.iter().map(one).collect();
    }
    let covered = |(_, op): &(usize, WriteOp)| {
        shard
            .prepare_with(
                op.kind,
                op.id.as_deref(),
                op.source.clone().unwrap_or_default(),
                false,
            )
            .transpose()
    };
    let chunk = group.len().div_ceil(threads);
    let firsts: Vec<Option<Result<Prepared>>> = std::thread::scope(|sc| {
        let handles: Vec<_> = group
            .chunks(chunk)
            .map(|part| sc.spawn(move || part.iter().map(covered).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .zip(group.chunks(chunk))
            .flat_map(|(h, part)| {
                h.join().unwrap_or_else(|_| {
                    part.iter()
                        .map(|_| {
                            Some(Err(Error::es(
                                500,
                                "exception",
                                "bulk prepare thread panicked",
                            )))
                        })
                        .collect()
                })
            })
            .collect()
    });
    firsts
        .into_iter()
        .zip(group)
        .map(|(first, item)| first.unwrap_or_else(|| one(item)))
        .collect()
}

/// The `aliases` of a create-index body, as add actions on `index`.
fn create_body_aliases(
    index: &str,
    body: Option<&Value>,
) -> Result<Vec<crate::engine::aliases::Action>> {
    let Some(aliases) = body.and_then(|b| b.get("aliases")) else {
        return Ok(Vec::new());
    };
    let Some(o) = aliases.as_object() else {
        return Err(Error::parsing(format!(
            "Failed to parse value for [aliases]: expected an object, got {}",
            crate::search::token_name(aliases)
        )));
    };
    o.iter()
        .map(|(alias, def)| {
            Ok(crate::engine::aliases::Action::Add {
                index: index.to_owned(),
                alias: alias.clone(),
                def: crate::engine::aliases::AliasDef::parse(def, alias)?,
            })
        })
        .collect()
}

/// `prefix.key` pairs of a JSON object's leaves.
fn flatten_json(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                flatten_json(&format!("{prefix}.{k}"), v, out);
            }
        }
        other => out.push((prefix.to_owned(), other.clone())),
    }
}

/// Where deleted indices' directories wait for their removal (cleared at start).
const TRASH: &str = "deleted-indices";

/// Moves an index directory out of `indices/` in one rename (so a new index of the same name
/// starts from an empty directory whatever happens next), then removes it; a removal that
/// fails is logged and finished at the next start, never an error of the delete.
fn remove_index_dir(data_dir: &Path, dir: &Path) -> Result<()> {
    let trash = data_dir.join(TRASH);
    fs::create_dir_all(&trash).map_err(|e| Error::io(&trash, e))?;
    let aside = trash.join(new_uuid());
    fs::rename(dir, &aside).map_err(|e| Error::io(dir, e))?;
    if let Err(e) = fs::remove_dir_all(&aside) {
        tracing::warn!(dir = %aside.display(), error = %e, "deleted index directory not removed yet");
    }
    Ok(())
}

/// The `_shards` answer of an operation done on every primary of `shards`: ES counts shard
/// copies, every primary with its replicas (unassigned here).
fn shard_copies(shards: &[Arc<Shard>]) -> Value {
    let primaries: usize = shards.iter().map(|s| s.shard_count()).sum();
    let total: usize = shards
        .iter()
        .map(|s| s.shard_count() * (1 + s.meta().replicas as usize))
        .sum();
    json!({"_shards": {"total": total, "successful": primaries, "failed": 0}})
}
