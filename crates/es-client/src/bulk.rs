//! The bulk indexer: batching, concurrency, per-item retries, failure reporting.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;
use ndjson_codec::{BulkAction, BulkEncoder, BulkLimits, BulkOp};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::api::{Client, seg, status_error};
use crate::config::backoff;
use crate::error::{Error, Result};
use crate::transport::{ContentType, Request};

/// One document for the bulk indexer: an action (`index` or `create`), an optional target index
/// and `_id`, and the source as raw JSON bytes (one object, no newline; never re-serialised).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkDoc {
    /// `index` (add or replace) or `create` (fail with 409 when the id exists).
    pub op: BulkOp,
    /// Target index; `None` uses [`BulkConfig::index`].
    pub index: Option<String>,
    /// `_id`; `None` lets Elasticsearch choose (or the client, with [`BulkConfig::generate_ids`]).
    pub id: Option<String>,
    /// The document, one JSON object.
    pub source: Bytes,
    /// `retry_on_conflict` of an `update` action; `None` sends none (Elasticsearch's 0).
    pub retry_on_conflict: Option<u32>,
}

impl BulkDoc {
    /// An `index` action for `source`.
    #[must_use]
    pub fn index(source: impl Into<Bytes>) -> Self {
        BulkDoc {
            op: BulkOp::Index,
            index: None,
            id: None,
            source: source.into(),
            retry_on_conflict: None,
        }
    }

    /// A `create` action for `source`.
    #[must_use]
    pub fn create(source: impl Into<Bytes>) -> Self {
        BulkDoc {
            op: BulkOp::Create,
            ..BulkDoc::index(source)
        }
    }

    /// Sets the target index.
    #[must_use]
    pub fn with_index(mut self, index: impl Into<String>) -> Self {
        self.index = Some(index.into());
        self
    }

    /// Sets the `_id`.
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }
}

/// Called once per document that finally failed.
pub type FailureCallback = Arc<dyn Fn(&BulkFailure) + Send + Sync>;

/// Options of [`BulkIndexer`] and [`Client::bulk_batch`].
#[derive(Clone)]
#[non_exhaustive]
pub struct BulkConfig {
    /// Index for documents that name none (`POST /{index}/_bulk`). Default none: every document
    /// must carry its index.
    pub index: Option<String>,
    /// Documents per request. Default 1000.
    pub max_docs: usize,
    /// Bytes (sources) per request. Default 5 MiB.
    pub max_bytes: usize,
    /// A partial batch is sent after this long. Default 1 s.
    pub flush_interval: Duration,
    /// Requests in flight at once. Default 2.
    pub concurrency: usize,
    /// Documents waiting in the channel before `add` waits. Default 10,000.
    pub channel_capacity: usize,
    /// Item statuses retried (item by item). Default 429, 502, 503, 504. 400/404/409 are final.
    pub retry_statuses: Vec<u16>,
    /// Retries per document. Default 5.
    pub max_retries: u32,
    /// First retry delay; doubled per round, jittered. Default 200 ms.
    pub initial_backoff: Duration,
    /// Cap of the retry delay. Default 10 s.
    pub max_backoff: Duration,
    /// Give documents without an `_id` a client-generated one and send them with `create`, so a
    /// re-send after a timeout cannot duplicate (a 409 on that re-send counts as delivered).
    /// Default false.
    pub generate_ids: bool,
    /// Append every final failure to this NDJSON file. Default none.
    pub dead_letter: Option<PathBuf>,
    /// Called for every final failure. Default none (failures are still counted and logged).
    pub on_failure: Option<FailureCallback>,
    /// Per-request timeout. Default none: the client's.
    pub request_timeout: Option<Duration>,
}

impl std::fmt::Debug for BulkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkConfig")
            .field("index", &self.index)
            .field("max_docs", &self.max_docs)
            .field("max_bytes", &self.max_bytes)
            .field("flush_interval", &self.flush_interval)
            .field("concurrency", &self.concurrency)
            .field("channel_capacity", &self.channel_capacity)
            .field("retry_statuses", &self.retry_statuses)
            .field("max_retries", &self.max_retries)
            .field("generate_ids", &self.generate_ids)
            .field("dead_letter", &self.dead_letter)
            .finish_non_exhaustive()
    }
}

impl Default for BulkConfig {
    fn default() -> Self {
        BulkConfig {
            index: None,
            max_docs: 1000,
            max_bytes: 5 << 20,
            flush_interval: Duration::from_secs(1),
            concurrency: 2,
            channel_capacity: 10_000,
            retry_statuses: vec![429, 502, 503, 504],
            max_retries: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            generate_ids: false,
            dead_letter: None,
            on_failure: None,
            request_timeout: None,
        }
    }
}

impl BulkConfig {
    /// Defaults, writing to `index`.
    #[must_use]
    pub fn for_index(index: impl Into<String>) -> Self {
        BulkConfig {
            index: Some(index.into()),
            ..BulkConfig::default()
        }
    }
}

/// A document that will not be delivered, with why.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BulkFailure {
    /// The document, with its source.
    pub doc: BulkDoc,
    /// The item's (or the whole request's) HTTP status; `None` when no answer came.
    pub status: Option<u16>,
    /// ES `error.type` (`document_parsing_exception`, ...) or ours (`possibly_applied`,
    /// `connection_error`, `invalid_source`, `invalid_response`).
    pub error_type: String,
    /// ES `error.reason` or our explanation.
    pub reason: String,
    /// The item's raw ES `error` object, when there is one.
    pub error: Option<serde_json::Value>,
    /// Requests that carried the document.
    pub attempts: u32,
}

impl std::fmt::Display for BulkFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(s) => write!(f, "status {s}: {}: {}", self.error_type, self.reason),
            None => write!(f, "{}: {}", self.error_type, self.reason),
        }
    }
}

/// Counters of a bulk indexer. After [`BulkIndexer::close`]: `added == indexed + failed`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BulkStats {
    /// Documents accepted by `add`.
    pub added: u64,
    /// Documents handed to a first request.
    pub flushed: u64,
    /// Documents delivered (including `created`).
    pub indexed: u64,
    /// Delivered with the `create` action.
    pub created: u64,
    /// Documents finally failed (each reported).
    pub failed: u64,
    /// Document re-sends.
    pub retried: u64,
    /// `_bulk` requests sent.
    pub requests: u64,
    /// Request body bytes sent.
    pub bytes: u64,
    /// Since the indexer started.
    pub elapsed: Duration,
}

#[derive(Debug, Default)]
struct Counters {
    added: AtomicU64,
    flushed: AtomicU64,
    indexed: AtomicU64,
    created: AtomicU64,
    failed: AtomicU64,
    retried: AtomicU64,
    requests: AtomicU64,
    bytes: AtomicU64,
}

impl Counters {
    fn snapshot(&self, started: Instant) -> BulkStats {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        BulkStats {
            added: g(&self.added),
            flushed: g(&self.flushed),
            indexed: g(&self.indexed),
            created: g(&self.created),
            failed: g(&self.failed),
            retried: g(&self.retried),
            requests: g(&self.requests),
            bytes: g(&self.bytes),
            elapsed: started.elapsed(),
        }
    }
}

fn add(a: &AtomicU64, n: u64) {
    a.fetch_add(n, Ordering::Relaxed);
}

/// What one [`Client::bulk_batch`] call achieved.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct BatchOutcome {
    /// Delivered (including `created`).
    pub indexed: u64,
    /// Delivered with `create`.
    pub created: u64,
    /// Re-sends.
    pub retried: u64,
    /// Requests.
    pub requests: u64,
    /// Bytes sent.
    pub bytes: u64,
    /// Final failures, each with its document.
    pub failures: Vec<BulkFailure>,
}

struct Pending {
    doc: BulkDoc,
    attempts: u32,
    /// A request carrying it timed out or broke after being sent.
    possibly_applied: bool,
}

impl Pending {
    fn fail(
        self,
        status: Option<u16>,
        error_type: &str,
        reason: String,
        error: Option<serde_json::Value>,
    ) -> BulkFailure {
        BulkFailure {
            doc: self.doc,
            status,
            error_type: error_type.to_owned(),
            reason,
            error,
            attempts: self.attempts,
        }
    }
}

/// A fresh `_id`: 20 URL-safe characters from 120 random bits (the length of ES's own ids).
fn generate_id() -> String {
    use base64::Engine as _;
    let bytes: [u8; 15] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl Client {
    /// Sends one batch with the bulk retry policy of `config` (item-level retries, timeout
    /// handling) and waits for its outcome. The building block of [`BulkIndexer`], for callers
    /// that acknowledge whole batches themselves.
    ///
    /// # Errors
    /// Never for delivery problems (those are in [`BatchOutcome::failures`]); only a config
    /// without any index for a document without one is refused up front.
    pub async fn bulk_batch(
        &self,
        docs: Vec<BulkDoc>,
        config: &BulkConfig,
    ) -> Result<BatchOutcome> {
        let counters = Counters::default();
        let docs = docs
            .into_iter()
            .map(|d| prepare(d, config))
            .collect::<Result<Vec<_>>>()?;
        let failures = execute(self, config, docs, &counters).await;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Ok(BatchOutcome {
            indexed: g(&counters.indexed),
            created: g(&counters.created),
            retried: g(&counters.retried),
            requests: g(&counters.requests),
            bytes: g(&counters.bytes),
            failures,
        })
    }
}

fn prepare(mut doc: BulkDoc, config: &BulkConfig) -> Result<Pending> {
    if doc.index.is_none() && config.index.is_none() {
        return Err(Error::Config(
            "a bulk document names no index and the bulk config has no default index".into(),
        ));
    }
    if config.generate_ids && doc.id.is_none() {
        doc.id = Some(generate_id());
        doc.op = BulkOp::Create;
    }
    Ok(Pending {
        doc,
        attempts: 0,
        possibly_applied: false,
    })
}

/// Sends `todo` until every document is delivered or finally failed; returns the failures.
async fn execute(
    client: &Client,
    config: &BulkConfig,
    mut todo: Vec<Pending>,
    counters: &Counters,
) -> Vec<BulkFailure> {
    let mut failures = Vec::new();
    let path = match &config.index {
        Some(i) => format!("/{}/_bulk", seg(i)),
        None => "/_bulk".to_owned(),
    };
    let mut round = 0u32;
    while !todo.is_empty() {
        if round > 0 {
            tokio::time::sleep(backoff(
                config.initial_backoff,
                config.max_backoff,
                round - 1,
            ))
            .await;
        }
        round += 1;
        let (sent, body) = encode(todo, &mut failures);
        let Some(body) = body else { break };
        // Never let the transport re-send after a timeout: this loop does it, knowing which
        // documents were possibly applied (a 409 on their `create` re-send means delivered).
        let mut req = Request::new(Method::POST, path.clone())
            .body(body, ContentType::Ndjson)
            .idempotent(false);
        if let Some(t) = config.request_timeout {
            req = req.timeout(t);
        }
        add(&counters.requests, 1);
        add(
            &counters.bytes,
            req.body.as_ref().map_or(0, |b| b.len() as u64),
        );
        let mut sent = sent;
        for p in &mut sent {
            p.attempts += 1;
        }
        let resp = client.send_raw(req.clone()).await;
        todo = match resp {
            Err(e) => retry_all(sent, config, counters, &mut failures, &e),
            Ok(r) if config.retry_statuses.contains(&r.status) => {
                let e = status_error(&req, &r);
                retry_all(sent, config, counters, &mut failures, &e)
            }
            Ok(r) if !(200..300).contains(&r.status) => {
                let e = status_error(&req, &r);
                let kind = e.error_type().unwrap_or("http_error").to_owned();
                let reason = e.to_string();
                for p in sent {
                    failures.push(p.fail(Some(r.status), &kind, reason.clone(), None));
                }
                Vec::new()
            }
            Ok(r) => handle_items(sent, &r.body, config, counters, &mut failures),
        };
    }
    add(&counters.failed, failures.len() as u64);
    for f in &failures {
        tracing::warn!(index = ?f.doc.index, id = ?f.doc.id, status = ?f.status, error = %f, "bulk document failed");
    }
    failures
}

/// Encodes the documents; the ones the encoder refuses become failures.
fn encode(todo: Vec<Pending>, failures: &mut Vec<BulkFailure>) -> (Vec<Pending>, Option<Bytes>) {
    let mut enc = BulkEncoder::new(BulkLimits {
        max_docs: usize::MAX,
        max_bytes: usize::MAX,
    });
    // each document's source line, plus its action line (about 20 bytes and the names)
    enc.reserve(
        todo.iter()
            .map(|p| {
                p.doc.source.len()
                    + 24
                    + p.doc.index.as_ref().map_or(0, |i| i.len() + 12)
                    + p.doc.id.as_ref().map_or(0, |i| i.len() + 10)
            })
            .sum(),
    );
    let mut sent = Vec::with_capacity(todo.len());
    for p in todo {
        let action = BulkAction {
            op: p.doc.op,
            index: p.doc.index.as_deref(),
            id: p.doc.id.as_deref(),
            retry_on_conflict: p.doc.retry_on_conflict,
        };
        // a delete has no source line
        let source = p.doc.op.has_source().then_some(&p.doc.source[..]);
        match enc.push(&action, source) {
            Ok(None) => sent.push(p),
            Ok(Some(_)) => unreachable_split(),
            Err(e) => failures.push(p.fail(None, "invalid_source", e.to_string(), None)),
        }
    }
    (sent, enc.finish().map(ndjson_codec::BulkBody::into_bytes))
}

#[allow(clippy::missing_const_for_fn)]
fn unreachable_split() {
    // Limits are usize::MAX: the encoder never closes a body on push.
    tracing::error!("bulk encoder split a body with unlimited limits");
}

/// The whole request failed: re-send what can be re-sent safely.
fn retry_all(
    sent: Vec<Pending>,
    config: &BulkConfig,
    counters: &Counters,
    failures: &mut Vec<BulkFailure>,
    e: &Error,
) -> Vec<Pending> {
    let possibly = e.is_possibly_applied();
    let status = e.status();
    let kind = match e {
        Error::Timeout { .. } => "timeout",
        Error::Connection { .. } => "connection_error",
        _ => e.error_type().unwrap_or("http_error"),
    };
    let mut next = Vec::new();
    for mut p in sent {
        p.possibly_applied |= possibly;
        if possibly && p.doc.id.is_none() {
            let reason = format!(
                "{e}; the request may have been applied, and re-sending a document without an _id could duplicate it (set generate_ids)"
            );
            failures.push(p.fail(status, "possibly_applied", reason, None));
        } else if p.attempts > config.max_retries {
            let reason = format!("{e} (gave up after {} attempts)", p.attempts);
            failures.push(p.fail(status, kind, reason, None));
        } else {
            add(&counters.retried, 1);
            next.push(p);
        }
    }
    next
}

/// Reads a 2xx `_bulk` response item by item.
fn handle_items(
    sent: Vec<Pending>,
    body: &[u8],
    config: &BulkConfig,
    counters: &Counters,
    failures: &mut Vec<BulkFailure>,
) -> Vec<Pending> {
    let summary = match ndjson_codec::summarize_bulk_response(body) {
        Ok(s) if s.items == sent.len() => s,
        Ok(s) => {
            let reason = format!(
                "the bulk response has {} items for {} actions",
                s.items,
                sent.len()
            );
            for p in sent {
                failures.push(p.fail(None, "invalid_response", reason.clone(), None));
            }
            return Vec::new();
        }
        Err(e) => {
            for p in sent {
                failures.push(p.fail(None, "invalid_response", e.to_string(), None));
            }
            return Vec::new();
        }
    };
    let mut failed = summary.failed.into_iter().peekable();
    let mut next = Vec::new();
    for (i, p) in sent.into_iter().enumerate() {
        let item = match failed.peek() {
            Some((pos, _)) if *pos == i => failed.next().map(|(_, item)| item),
            _ => None,
        };
        let Some(item) = item else {
            delivered(&p, counters);
            continue;
        };
        let err = item.error;
        if item.status == 409 && p.possibly_applied && p.doc.op == BulkOp::Create {
            // Our earlier attempt did land: the id exists because we created it.
            delivered(&p, counters);
        } else if config.retry_statuses.contains(&item.status) && p.attempts <= config.max_retries {
            add(&counters.retried, 1);
            next.push(p);
        } else {
            let (kind, reason, raw) = match err {
                Some(e) => (e.kind.clone(), e.to_string(), Some(e.raw)),
                None => (
                    "unknown".to_owned(),
                    format!("item status {}", item.status),
                    None,
                ),
            };
            let reason = if config.retry_statuses.contains(&item.status) {
                format!("{reason} (gave up after {} attempts)", p.attempts)
            } else {
                reason
            };
            failures.push(p.fail(Some(item.status), &kind, reason, raw));
        }
    }
    next
}

fn delivered(p: &Pending, counters: &Counters) {
    add(&counters.indexed, 1);
    if p.doc.op == BulkOp::Create {
        add(&counters.created, 1);
    }
}

/// Reports final failures: dead-letter file, callback.
struct FailureSink {
    dead_letter: Option<Mutex<std::io::BufWriter<std::fs::File>>>,
    path: Option<PathBuf>,
    on_failure: Option<FailureCallback>,
}

impl FailureSink {
    fn open(config: &BulkConfig) -> Result<FailureSink> {
        let dead_letter = match &config.dead_letter {
            Some(path) => {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| Error::Io {
                        path: path.display().to_string(),
                        source,
                    })?;
                Some(Mutex::new(std::io::BufWriter::new(f)))
            }
            None => None,
        };
        Ok(FailureSink {
            dead_letter,
            path: config.dead_letter.clone(),
            on_failure: config.on_failure.clone(),
        })
    }

    fn report(&self, failures: &[BulkFailure]) {
        if failures.is_empty() {
            return;
        }
        if let Some(cb) = &self.on_failure {
            for f in failures {
                cb(f);
            }
        }
        if let Some(w) = &self.dead_letter {
            let mut w = w.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut result = Ok(());
            for f in failures {
                let line = dead_letter_line(f);
                result = result.and_then(|()| w.write_all(&line));
            }
            if let Err(e) = result.and_then(|()| w.flush()) {
                tracing::error!(path = ?self.path, error = %e, "cannot write the dead-letter file");
            }
        }
    }
}

/// `{"@timestamp":…,"status":…,"error":{"type":…,"reason":…},"op":…,"index":…,"id":…,"attempts":…,"source":{…}}`
pub(crate) fn dead_letter_line(f: &BulkFailure) -> Vec<u8> {
    let source = match serde_json::from_slice::<Box<serde_json::value::RawValue>>(&f.doc.source) {
        Ok(raw) => serde_json::to_value(&raw).unwrap_or(serde_json::Value::Null),
        Err(_) => serde_json::Value::String(String::from_utf8_lossy(&f.doc.source).into_owned()),
    };
    let error = f
        .error
        .clone()
        .unwrap_or_else(|| serde_json::json!({ "type": f.error_type, "reason": f.reason }));
    let v = serde_json::json!({
        "@timestamp": log_model::Timestamp::now().to_es_string(),
        "status": f.status,
        "error": error,
        "op": f.doc.op.as_str(),
        "index": f.doc.index,
        "id": f.doc.id,
        "attempts": f.attempts,
        "source": source,
    });
    let mut line = serde_json::to_vec(&v).unwrap_or_default();
    line.push(b'\n');
    line
}

/// Streams documents into `_bulk` requests: a bounded channel (backpressure), batches closed by
/// count, bytes or interval, `concurrency` requests in flight, per-item retries, and every final
/// failure reported. [`BulkIndexer::close`] flushes and returns the final [`BulkStats`].
///
/// ```no_run
/// # async fn demo() -> es_client::Result<()> {
/// use es_client::{BulkConfig, BulkDoc, BulkIndexer, Client, ClientConfig};
/// let client = Client::new(ClientConfig::new("http://127.0.0.1:9200"))?;
/// let indexer = BulkIndexer::new(client, BulkConfig::for_index("python-logs"))?;
/// indexer.add(BulkDoc::index(r#"{"level":"INFO","user":"user1"}"#)).await?;
/// let stats = indexer.close().await?;
/// assert_eq!(stats.added, stats.indexed + stats.failed);
/// # Ok(()) }
/// ```
pub struct BulkIndexer {
    tx: mpsc::Sender<BulkDoc>,
    worker: tokio::task::JoinHandle<()>,
    counters: Arc<Counters>,
    started: Instant,
}

impl std::fmt::Debug for BulkIndexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkIndexer")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl BulkIndexer {
    /// Starts the indexer on the current tokio runtime.
    ///
    /// # Errors
    /// On a zero `concurrency`/`max_docs`/`channel_capacity`/`flush_interval`, or a dead-letter
    /// file that cannot be opened.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn new(client: Client, config: BulkConfig) -> Result<BulkIndexer> {
        if config.concurrency == 0 || config.max_docs == 0 || config.channel_capacity == 0 {
            return Err(Error::Config(
                "bulk concurrency, max_docs and channel_capacity must be at least 1".into(),
            ));
        }
        if config.flush_interval.is_zero() {
            return Err(Error::Config(
                "bulk flush_interval must be above zero".into(),
            ));
        }
        let sink = Arc::new(FailureSink::open(&config)?);
        let (tx, rx) = mpsc::channel(config.channel_capacity);
        let counters = Arc::new(Counters::default());
        let worker = tokio::spawn(dispatch(client, config, rx, counters.clone(), sink));
        Ok(BulkIndexer {
            tx,
            worker,
            counters,
            started: Instant::now(),
        })
    }

    /// Queues a document, waiting while the channel is full.
    ///
    /// # Errors
    /// [`Error::Closed`] when the indexer's worker has stopped; the document was not taken.
    pub async fn add(&self, doc: BulkDoc) -> Result<()> {
        self.tx.send(doc).await.map_err(|_| Error::Closed)?;
        add(&self.counters.added, 1);
        Ok(())
    }

    /// [`BulkIndexer::add`] for synchronous callers (not on a runtime thread).
    ///
    /// # Errors
    /// [`Error::Closed`] when the indexer's worker has stopped.
    pub fn blocking_add(&self, doc: BulkDoc) -> Result<()> {
        self.tx.blocking_send(doc).map_err(|_| Error::Closed)?;
        add(&self.counters.added, 1);
        Ok(())
    }

    /// A live snapshot of the counters.
    #[must_use]
    pub fn stats(&self) -> BulkStats {
        self.counters.snapshot(self.started)
    }

    /// Sends everything queued, waits for every request, and returns the final counters.
    ///
    /// # Errors
    /// [`Error::Closed`] when the worker panicked.
    pub async fn close(self) -> Result<BulkStats> {
        let BulkIndexer {
            tx,
            worker,
            counters,
            started,
        } = self;
        drop(tx);
        worker.await.map_err(|_| Error::Closed)?;
        Ok(counters.snapshot(started))
    }
}

async fn dispatch(
    client: Client,
    config: BulkConfig,
    mut rx: mpsc::Receiver<BulkDoc>,
    counters: Arc<Counters>,
    sink: Arc<FailureSink>,
) {
    let config = Arc::new(config);
    let permits = Arc::new(Semaphore::new(config.concurrency));
    let mut tasks = JoinSet::new();
    let mut batch: Vec<Pending> = Vec::new();
    let mut batch_bytes = 0usize;
    let mut tick = tokio::time::interval(config.flush_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_flush = Instant::now();
    loop {
        tokio::select! {
            doc = rx.recv() => {
                let Some(doc) = doc else { break };
                if doc.index.is_none() && config.index.is_none() {
                    let f = BulkFailure {
                        doc,
                        status: None,
                        error_type: "invalid_document".into(),
                        reason: "the document names no index and the bulk config has no default index".into(),
                        error: None,
                        attempts: 0,
                    };
                    add(&counters.failed, 1);
                    sink.report(std::slice::from_ref(&f));
                    continue;
                }
                match prepare(doc, &config) {
                    Ok(p) => {
                        batch_bytes += p.doc.source.len() + 64;
                        batch.push(p);
                    }
                    Err(e) => {
                        // prepare fails only for the missing index checked above
                        tracing::error!(error = %e, "bulk document refused");
                        add(&counters.failed, 1);
                        continue;
                    }
                }
                if batch.len() >= config.max_docs || batch_bytes >= config.max_bytes {
                    flush(&client, &config, &mut batch, &permits, &mut tasks, &counters, &sink).await;
                    batch_bytes = 0;
                    last_flush = Instant::now();
                }
            }
            _ = tick.tick() => {
                if !batch.is_empty() && last_flush.elapsed() >= config.flush_interval {
                    flush(&client, &config, &mut batch, &permits, &mut tasks, &counters, &sink).await;
                    batch_bytes = 0;
                    last_flush = Instant::now();
                }
            }
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                if let Err(e) = done {
                    tracing::error!(error = %e, "a bulk request task failed");
                }
            }
        }
    }
    flush(
        &client, &config, &mut batch, &permits, &mut tasks, &counters, &sink,
    )
    .await;
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done {
            tracing::error!(error = %e, "a bulk request task failed");
        }
    }
}

async fn flush(
    client: &Client,
    config: &Arc<BulkConfig>,
    batch: &mut Vec<Pending>,
    permits: &Arc<Semaphore>,
    tasks: &mut JoinSet<()>,
    counters: &Arc<Counters>,
    sink: &Arc<FailureSink>,
) {
    if batch.is_empty() {
        return;
    }
    let Ok(permit) = permits.clone().acquire_owned().await else {
        return;
    };
    let docs = std::mem::take(batch);
    add(&counters.flushed, docs.len() as u64);
    let (client, config, counters, sink) = (
        client.clone(),
        config.clone(),
        counters.clone(),
        sink.clone(),
    );
    tasks.spawn(async move {
        let failures = execute(&client, &config, docs, &counters).await;
        sink.report(&failures);
        drop(permit);
    });
}

#[cfg(test)]
mod tests;
