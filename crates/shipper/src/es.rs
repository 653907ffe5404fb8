//! The Elasticsearch transport: `_bulk` through es-client, with `create` and stable ids.
//!
//! Each queued event gets the `_id` `<queue token>-<row id>`: a batch sent again after a crash
//! or a lost response cannot index an event twice (ES answers 409, which counts as
//! delivered: es-client does so within one call, this transport across calls and runs). Item failures follow es-client's rules: retryable ones (429, 5xx, no
//! answer) were already retried by es-client and stay queued for a later attempt; final
//! ones (a mapping error, 400) are removed from the queue, counted and logged.

use std::collections::HashSet;

use es_client::{BulkConfig, BulkDoc, Client, ClientConfig};
use log_model::{LogEvent, Template};

use crate::disk::Row;
use crate::{Error, Result};

pub(crate) struct Es {
    client: Client,
    config: BulkConfig,
    /// `None` when the index name is constant (then it is in `config.index`).
    template: Option<Template>,
    token: String,
    rt: tokio::runtime::Runtime,
}

/// What one batch achieved.
#[derive(Default)]
pub(crate) struct Outcome {
    pub sent: u64,
    pub failed: u64,
    /// Rows to keep queued (retryable failures).
    pub keep: HashSet<i64>,
}

impl Es {
    pub fn new(client: &ClientConfig, index: &str, token: String) -> Result<Self> {
        let bad = |reason: String| Error::Config {
            option: "transport",
            reason,
        };
        let template = Template::parse(index).map_err(|e| bad(format!("index {index:?}: {e}")))?;
        let mut config = BulkConfig::default();
        let template = if template.is_constant() {
            log_model::validate_index_name(index)
                .map_err(|e| bad(format!("index {index:?}: {e}")))?;
            config.index = Some(index.to_owned());
            None
        } else {
            Some(template)
        };
        let client = Client::new(client.clone()).map_err(|e| bad(e.to_string()))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| Error::Thread {
                thread: "elasticsearch runtime",
                source,
            })?;
        Ok(Self {
            client,
            config,
            template,
            token,
            rt,
        })
    }

    pub fn send(&self, rows: &[&Row]) -> Outcome {
        let mut out = Outcome::default();
        let mut docs = Vec::with_capacity(rows.len());
        for r in rows {
            let mut doc = BulkDoc::create(bytes::Bytes::copy_from_slice(&r.line))
                .with_id(format!("{}-{}", self.token, r.id));
            if let Some(t) = &self.template {
                match LogEvent::from_json_slice(&r.line).and_then(|ev| t.render_index(&ev)) {
                    Ok(index) => doc = doc.with_index(index),
                    Err(e) => {
                        out.failed += 1;
                        tracing::error!(error = %e, row = r.id, "event dropped: no valid index name for it");
                        continue;
                    }
                }
            }
            docs.push(doc);
        }
        if docs.is_empty() {
            return out;
        }
        let outcome = match self.rt.block_on(self.client.bulk_batch(docs, &self.config)) {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, "bulk request refused; the batch stays queued");
                out.keep = rows.iter().map(|r| r.id).collect();
                return out;
            }
        };
        out.sent = outcome.indexed;
        for f in outcome.failures {
            let row = f
                .doc
                .id
                .as_deref()
                .and_then(|id| id.rsplit('-').next())
                .and_then(|n| n.parse::<i64>().ok());
            let retry_later = f.status.is_none_or(|s| s == 429 || s >= 500)
                || matches!(
                    f.error_type.as_str(),
                    "connection_error" | "possibly_applied"
                );
            match row {
                // The id exists: an earlier attempt (before a crash, or one whose answer was
                // lost) created it, and no one else writes this queue's ids.
                Some(_) if f.status == Some(409) => out.sent += 1,
                Some(id) if retry_later => {
                    out.keep.insert(id);
                }
                _ => {
                    out.failed += 1;
                    tracing::error!(failure = %f, "elasticsearch rejected an event; it is dropped");
                }
            }
        }
        if !out.keep.is_empty() {
            tracing::warn!(
                kept = out.keep.len(),
                "elasticsearch unavailable; events stay queued"
            );
        }
        out
    }
}

/// A random token (no RNG dependency: std's hasher keys are random per process).
pub(crate) fn random_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}
