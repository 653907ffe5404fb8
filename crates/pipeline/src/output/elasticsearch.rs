//! `elasticsearch` output through es-client's bulk helper.
//!
//! - Each batch is sent with [`es_client::Client::bulk_batch`] (per-item retries of 429/5xx).
//! - Items still failing with a retryable status, and whole requests that fail (Elasticsearch
//!   down), are retried with exponential backoff (`retry_initial_interval` 2 s doubling up to
//!   `retry_max_interval` 64 s, Logstash's names and defaults) until they succeed: the output
//!   blocks, and the pipeline's backpressure reaches the inputs. Nothing is dropped.
//! - Items rejected for good (400, 404, other 4xx except 409 on `create` which means "already
//!   there") are written to the dead-letter queue (NDJSON, one line per event with the error)
//!   and counted; without a dead-letter queue they are logged and counted.
//! - Default `index`: Logstash 8 writes to the data stream `logs-generic-default` when no `index`
//!   is set (`data_stream => auto` with ECS on); we write to that name with `action => create`,
//!   which becomes a data stream where a template with `data_stream` applies to it (as in
//!   Elasticsearch) and an index otherwise. With `index` set, `action` defaults to `index`.
//! - `ingest_id => true` (sluice's own option; Logstash has none): every event gets an id when
//!   the agent takes it in, kept with it in the persisted queue
//!   ([`crate::queue::ingest_id`]), and sent as its `_id`. A batch sent again — its response
//!   was lost when Elasticsearch died, or the agent was killed before acknowledging it and
//!   replays its queue — then overwrites what the first attempt wrote instead of duplicating
//!   it. With `action => index` (the default) the re-sent item replaces the document (its
//!   `_version` grows); with `create` (data streams, which accept nothing else) Elasticsearch
//!   answers 409, which this output counts as delivered, since no one else writes that id.
//!   It cannot be combined with `document_id` (which names the id itself: Logstash's way is
//!   a `fingerprint` filter and `document_id => "%{[@metadata][fingerprint]}"`, which works
//!   unchanged, but gives identical events one document) nor with `update`/`delete`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use es_client::{BulkConfig, BulkDoc, Client};
use log_model::{LogEvent, Template};
use ndjson_codec::BulkOp;
use parking_lot::Mutex;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::{OutputPlugin, SendFuture};
use crate::codec::to_json_without_metadata;
use crate::monitor::stats::{self, PluginStats};
use crate::{Error, Result};

/// The dead-letter queue (Logstash's `dead_letter_queue.enable` / `path.dead_letter_queue`):
/// an append-only NDJSON file of events that an output rejected for good.
#[derive(Debug)]
pub struct DeadLetterQueue {
    path: PathBuf,
    file: Mutex<Option<std::fs::File>>,
}

impl DeadLetterQueue {
    /// A DLQ writing to `dir/<pipeline>/dlq.ndjson` (created on first use).
    #[must_use]
    pub fn new(dir: &Path, pipeline: &str) -> Self {
        DeadLetterQueue {
            path: dir.join(pipeline).join("dlq.ndjson"),
            file: Mutex::new(None),
        }
    }

    /// The file written.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends entries (each one JSON line) and fsyncs.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write(&self, lines: &[serde_json::Value]) -> Result<()> {
        let mut guard = self.file.lock();
        if guard.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| Error::io(format!("dead letter queue {}", dir.display()), e))?;
            }
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(|e| Error::io(format!("dead letter queue {}", self.path.display()), e))?;
            *guard = Some(f);
        }
        let mut buf = Vec::new();
        for l in lines {
            buf.extend_from_slice(l.to_string().as_bytes());
            buf.push(b'\n');
        }
        if let Some(f) = guard.as_mut() {
            f.write_all(&buf)
                .and_then(|()| f.sync_data())
                .map_err(|e| Error::io(format!("dead letter queue {}", self.path.display()), e))?;
        }
        Ok(())
    }
}

/// Settings of an `elasticsearch` output.
#[derive(Debug, Clone)]
pub struct EsOutputConfig {
    /// The plugin id.
    pub id: String,
    /// `index` template (see the module docs for the default).
    pub index: String,
    /// `action`: `index` or `create`.
    pub action: BulkOp,
    /// `document_id` template.
    pub document_id: Option<String>,
    /// `ingest_id`: send each event's ingest id as its `_id` (see the module docs). Default
    /// false.
    pub ingest_id: bool,
    /// `action` as written when it is a `%{...}` reference (rendered per event).
    pub action_template: Option<String>,
    /// `doc_as_upsert` (update actions).
    pub doc_as_upsert: bool,
    /// `upsert`: the document to insert when an update finds none.
    pub upsert: Option<serde_json::Value>,
    /// `retry_on_conflict` of update actions, default 1.
    pub retry_on_conflict: u32,
    /// The index template to install before the first request (`manage_template`), as
    /// `(name, body, overwrite)`.
    pub template: Option<(String, serde_json::Value, bool)>,
    /// `retry_initial_interval`, default 2 s.
    pub retry_initial: Duration,
    /// `retry_max_interval`, default 64 s.
    pub retry_max: Duration,
}

/// A running `elasticsearch` output.
pub struct EsOutput {
    /// Settings.
    pub config: EsOutputConfig,
    client: Client,
    bulk: BulkConfig,
    index: Template,
    /// `index` depends on nothing but the day of `@timestamp` (see [`IndexCache`]).
    index_by_day: bool,
    document_id: Option<Template>,
    action: Option<Template>,
    template_done: tokio::sync::OnceCell<()>,
    dlq: Option<Arc<DeadLetterQueue>>,
    shutdown: CancellationToken,
    /// Counters.
    pub stats: Arc<PluginStats>,
}

impl std::fmt::Debug for EsOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsOutput")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// True when a `%{+pattern}` index template can only change from one UTC day to the next: every
/// reference is a date (no field, no `%{+%s}`) whose Joda letters are day-level or coarser
/// (year, week-year, month, week, day of month/year/week), with no quoted text.
fn depends_on_day_only(template: &str) -> bool {
    let mut rest = template;
    while let Some(at) = rest.find("%{") {
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else {
            return false;
        };
        let Some(pattern) = after[..end].strip_prefix('+') else {
            return false;
        };
        if pattern.is_empty()
            || !pattern.chars().all(|c| {
                matches!(
                    c,
                    'y' | 'Y' | 'u' | 'x' | 'M' | 'w' | 'd' | 'D' | 'e' | 'E' | '.' | '-' | '_'
                )
            })
        {
            return false;
        }
        rest = &after[end + 1..];
    }
    true
}

/// Index names rendered for one bulk request, keyed by the UTC day of `@timestamp`, so a daily
/// index pattern is formatted once per day seen instead of once per event. Used only when the
/// template depends on the day alone and `@timestamp` is in the canonical form (whose first ten
/// bytes are the UTC date); anything else is rendered per event.
#[derive(Debug, Default)]
pub(crate) struct IndexCache {
    last: Option<([u8; 10], String)>,
}

impl IndexCache {
    pub(crate) fn render(&mut self, template: &Template, by_day: bool, ev: &LogEvent) -> String {
        let day = by_day
            .then(|| ev.field_str("@timestamp"))
            .flatten()
            .filter(|s| crate::codec::is_canonical_timestamp(s))
            .and_then(|s| <[u8; 10]>::try_from(&s.as_bytes()[..10]).ok());
        let Some(day) = day else {
            return render_index(template, ev);
        };
        match &self.last {
            Some((d, name)) if *d == day => name.clone(),
            _ => {
                let name = render_index(template, ev);
                self.last = Some((day, name.clone()));
                name
            }
        }
    }
}

/// The index for `ev`: the rendered name, or when it is not a valid index name the raw
/// rendering (Elasticsearch then rejects the document and it goes to the dead-letter queue).
fn render_index(template: &Template, ev: &LogEvent) -> String {
    template
        .render_index(ev)
        .unwrap_or_else(|_| template.render(ev))
}

fn retryable(status: Option<u16>, error_type: &str) -> bool {
    match status {
        // a document the client could not even encode will never go
        None => error_type != "mapper_parsing_exception" && error_type != "invalid_source",
        Some(s) => s == 429 || s >= 500,
    }
}

impl EsOutput {
    /// An output with a client already configured (hosts, auth, TLS).
    ///
    /// # Errors
    /// When a template is invalid.
    pub fn new(
        config: EsOutputConfig,
        client: Client,
        dlq: Option<Arc<DeadLetterQueue>>,
        shutdown: CancellationToken,
        stats: Arc<PluginStats>,
    ) -> Result<Self> {
        let index = Template::parse(&config.index).map_err(|e| {
            Error::Setting(format!(
                "elasticsearch output: invalid index {:?}: {e}",
                config.index
            ))
        })?;
        let document_id = match &config.document_id {
            Some(t) => Some(Template::parse(t).map_err(|e| {
                Error::Setting(format!(
                    "elasticsearch output: invalid document_id {t:?}: {e}"
                ))
            })?),
            None => None,
        };
        let mut bulk = BulkConfig::default();
        bulk.max_docs = 5_000;
        bulk.max_bytes = 20 * 1024 * 1024;
        let index_by_day = depends_on_day_only(&config.index);
        let action = match &config.action_template {
            Some(t) => Some(Template::parse(t).map_err(|e| {
                Error::Setting(format!("elasticsearch output: invalid action {t:?}: {e}"))
            })?),
            None => None,
        };
        Ok(EsOutput {
            config,
            client,
            bulk,
            index,
            index_by_day,
            document_id,
            action,
            template_done: tokio::sync::OnceCell::new(),
            dlq,
            shutdown,
            stats,
        })
    }

    /// The bulk action of `ev`; `Err` names an `action` reference that rendered to no action.
    fn op(&self, ev: &LogEvent) -> std::result::Result<BulkOp, String> {
        let Some(t) = &self.action else {
            return Ok(self.config.action);
        };
        let name = t.render(ev);
        BulkOp::parse(&name).ok_or_else(|| {
            format!(
                "action {name:?} (from {:?}) is not one of index, create, update, delete",
                self.config.action_template.as_deref().unwrap_or_default()
            )
        })
    }

    fn doc(&self, ev: &LogEvent, op: BulkOp, cache: &mut IndexCache) -> BulkDoc {
        let index = cache.render(&self.index, self.index_by_day, ev);
        let source = match op {
            BulkOp::Delete => bytes::Bytes::new(),
            BulkOp::Update => {
                let doc: serde_json::Value = serde_json::from_slice(&to_json_without_metadata(ev))
                    .unwrap_or(serde_json::Value::Null);
                let mut body = serde_json::Map::new();
                body.insert("doc".into(), doc);
                if self.config.doc_as_upsert {
                    body.insert("doc_as_upsert".into(), serde_json::Value::Bool(true));
                } else if let Some(u) = &self.config.upsert {
                    body.insert("upsert".into(), u.clone());
                }
                bytes::Bytes::from(serde_json::Value::Object(body).to_string().into_bytes())
            }
            _ => bytes::Bytes::from(to_json_without_metadata(ev)),
        };
        let mut doc = BulkDoc::index(source).with_index(index);
        doc.op = op;
        if let Some(t) = &self.document_id {
            doc = doc.with_id(t.render(ev));
        } else if self.config.ingest_id
            && let Some(id) = crate::queue::ingest_id::of(ev)
        {
            doc = doc.with_id(id.to_owned());
        }
        if op == BulkOp::Update {
            doc.retry_on_conflict = Some(self.config.retry_on_conflict);
        }
        doc
    }

    /// Installs the index template once, before the first request, as Logstash does at
    /// start-up; a backend that refuses it (sluice-store has no `_index_template`) is logged,
    /// not fatal, as in Logstash.
    async fn install_template(&self) {
        let Some((name, body, overwrite)) = &self.config.template else {
            return;
        };
        if !overwrite {
            let req =
                es_client::Request::new(hyper::Method::HEAD, format!("/_index_template/{name}"));
            if let Ok(r) = self.client.send_raw(req).await
                && r.status == 200
            {
                tracing::info!(id = %self.config.id, template = %name, "index template exists, not overwritten (template_overwrite => false)");
                return;
            }
        }
        match self.client.put_index_template(name, body).await {
            Ok(()) => {
                tracing::info!(id = %self.config.id, template = %name, "installed index template");
            }
            Err(e) => tracing::error!(id = %self.config.id, template = %name, error = %e,
                "failed to install the index template; continuing without it"),
        }
    }

    pub(crate) async fn send(&self, events: &[&LogEvent]) -> Result<()> {
        self.template_done
            .get_or_init(|| self.install_template())
            .await;
        let mut cache = IndexCache::default();
        let mut bad = Vec::new();
        let mut ok: Vec<(&LogEvent, BulkOp)> = Vec::with_capacity(events.len());
        for ev in events {
            match self.op(ev) {
                Ok(op) => ok.push((ev, op)),
                Err(reason) => bad.push((*ev, reason)),
            }
        }
        if !bad.is_empty() {
            self.dead_letter_events(&bad)?;
        }
        let events: Vec<&LogEvent> = ok.iter().map(|(e, _)| *e).collect();
        let ops: Vec<BulkOp> = ok.iter().map(|(_, o)| *o).collect();
        let events = &events[..];
        let build = |cache: &mut IndexCache| -> Vec<BulkDoc> {
            events
                .iter()
                .zip(&ops)
                .map(|(e, op)| self.doc(e, *op, cache))
                .collect()
        };
        if events.is_empty() {
            return Ok(());
        }
        let mut pending: Vec<BulkDoc> = build(&mut cache);
        let mut backoff = self.config.retry_initial;
        loop {
            let outcome = match self.client.bulk_batch(pending, &self.bulk).await {
                Ok(o) => o,
                Err(e) => {
                    // The request as a whole failed and the client gave up: rebuild and retry.
                    tracing::warn!(id = %self.config.id, error = %e, retry_in = ?backoff,
                        "elasticsearch output: bulk request failed, retrying");
                    stats::add(&self.stats.retried, events.len() as u64);
                    self.pause(backoff).await?;
                    backoff = (backoff * 2).min(self.config.retry_max);
                    pending = build(&mut cache);
                    continue;
                }
            };
            stats::add(&self.stats.requests, outcome.requests);
            stats::add(&self.stats.retried, outcome.retried);
            let mut retry = Vec::new();
            let mut dead = Vec::new();
            for f in outcome.failures {
                if self.config.ingest_id && f.status == Some(409) && f.doc.op == BulkOp::Create {
                    // Our own id exists: an earlier attempt of this batch created it.
                    continue;
                }
                if retryable(f.status, &f.error_type) {
                    retry.push(f.doc);
                } else {
                    dead.push(f);
                }
            }
            if !dead.is_empty() {
                self.dead_letter(&dead)?;
            }
            if retry.is_empty() {
                return Ok(());
            }
            tracing::warn!(id = %self.config.id, docs = retry.len(), retry_in = ?backoff,
                "elasticsearch output: retrying documents");
            stats::add(&self.stats.retried, retry.len() as u64);
            self.pause(backoff).await?;
            backoff = (backoff * 2).min(self.config.retry_max);
            pending = retry;
        }
    }

    async fn pause(&self, d: Duration) -> Result<()> {
        tokio::select! {
            () = tokio::time::sleep(d) => Ok(()),
            () = self.shutdown.cancelled() => Err(Error::Output {
                plugin: self.config.id.clone(),
                reason: "forced shutdown while elasticsearch was unavailable; events not acknowledged".into(),
            }),
        }
    }

    /// Events that never reached Elasticsearch (an `action` that rendered to no action).
    fn dead_letter_events(&self, bad: &[(&LogEvent, String)]) -> Result<()> {
        stats::add(&self.stats.failures, bad.len() as u64);
        stats::add(&self.stats.dead_lettered, bad.len() as u64);
        for (_, reason) in bad {
            tracing::warn!(id = %self.config.id, %reason, "elasticsearch output: event not sent");
        }
        let Some(dlq) = &self.dlq else {
            return Ok(());
        };
        let now = log_model::Timestamp::now().to_es_string();
        let lines: Vec<serde_json::Value> = bad
            .iter()
            .map(|(ev, reason)| {
                let event: serde_json::Value =
                    serde_json::from_slice(&to_json_without_metadata(ev)).unwrap_or(serde_json::Value::Null);
                json!({"@timestamp": now, "plugin_type": "elasticsearch", "plugin_id": self.config.id,
                       "error": {"type": "invalid_action", "reason": reason}, "event": event})
            })
            .collect();
        dlq.write(&lines)
    }

    fn dead_letter(&self, failures: &[es_client::BulkFailure]) -> Result<()> {
        stats::add(&self.stats.failures, failures.len() as u64);
        stats::add(&self.stats.dead_lettered, failures.len() as u64);
        for f in failures {
            tracing::warn!(id = %self.config.id, status = ?f.status, error_type = %f.error_type,
                reason = %f.reason, index = ?f.doc.index, "elasticsearch output: document rejected");
        }
        let Some(dlq) = &self.dlq else {
            return Ok(());
        };
        let now = log_model::Timestamp::now().to_es_string();
        let lines: Vec<serde_json::Value> = failures
            .iter()
            .map(|f| {
                let event: serde_json::Value =
                    serde_json::from_slice(&f.doc.source).unwrap_or(serde_json::Value::Null);
                json!({
                    "@timestamp": now,
                    "plugin_type": "elasticsearch",
                    "plugin_id": self.config.id,
                    "status": f.status,
                    "error": f.error.clone().unwrap_or_else(|| json!({"type": f.error_type, "reason": f.reason})),
                    "index": f.doc.index,
                    "id": f.doc.id,
                    "event": event,
                })
            })
            .collect();
        dlq.write(&lines)
    }
}

#[cfg(test)]
mod tests;

// ---- configuration ------------------------------------------------------------------------------

mod settings;

#[cfg(test)]
pub(crate) use settings::host_url;
pub(super) use settings::{build, schema};

impl OutputPlugin for EsOutput {
    fn stats(&self) -> &Arc<PluginStats> {
        &self.stats
    }

    fn send<'a>(&'a self, events: &'a [&'a LogEvent]) -> SendFuture<'a> {
        Box::pin(EsOutput::send(self, events))
    }

    fn sends_ingest_id(&self) -> bool {
        self.config.ingest_id
    }

    fn monitoring(&self) -> Option<serde_json::Value> {
        let get = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
        let s = &self.stats;
        Some(json!({
            "documents": {
                "successes": get(&s.events_out).saturating_sub(get(&s.dead_lettered)),
                "non_retryable_failures": get(&s.dead_lettered),
                "dlq_routed": get(&s.dead_lettered),
            },
            "bulk_requests": {"successes": get(&s.requests), "retried_documents": get(&s.retried)},
        }))
    }
}
