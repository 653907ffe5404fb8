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
//!   is set (`data_stream => auto` with ECS on); we write to an index of that name with
//!   `action => create` (no data-stream templates). With `index` set, `action` defaults to `index`.

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
        None => error_type != "mapper_parsing_exception",
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
        Ok(EsOutput {
            config,
            client,
            bulk,
            index,
            index_by_day,
            document_id,
            dlq,
            shutdown,
            stats,
        })
    }

    fn doc(&self, ev: &LogEvent, cache: &mut IndexCache) -> BulkDoc {
        let source = to_json_without_metadata(ev);
        let index = cache.render(&self.index, self.index_by_day, ev);
        let mut doc = match self.config.action {
            BulkOp::Create => BulkDoc::create(source),
            _ => BulkDoc::index(source),
        }
        .with_index(index);
        if let Some(t) = &self.document_id {
            doc = doc.with_id(t.render(ev));
        }
        doc
    }

    pub(crate) async fn send(&self, events: &[&LogEvent]) -> Result<()> {
        let mut cache = IndexCache::default();
        let mut pending: Vec<BulkDoc> = events.iter().map(|e| self.doc(e, &mut cache)).collect();
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
                    pending = events.iter().map(|e| self.doc(e, &mut cache)).collect();
                    continue;
                }
            };
            stats::add(&self.stats.requests, outcome.requests);
            stats::add(&self.stats.retried, outcome.retried);
            let mut retry = Vec::new();
            let mut dead = Vec::new();
            for f in outcome.failures {
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
