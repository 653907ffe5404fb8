//! Closed indices (`POST /{target}/_close`, `_open`): a closed index keeps its data and
//! metadata (mapping, settings, `DELETE` and `_cat` still see it) but is neither searched nor
//! written. As in Elasticsearch, a pattern skips it; naming it (or an alias on it) in a search,
//! count, get or write is `index_closed_exception`, unless `ignore_unavailable`.

use serde_json::{Map, Value, json};

use crate::engine::store::{Resolve, Store};
use crate::error::{Error, Result};

/// ES's error for a closed index reached by name.
pub(crate) fn index_closed(name: &str, uuid: &str) -> Error {
    Error::es(400, "index_closed_exception", "closed")
        .with("index_uuid", uuid)
        .with("index", name)
}

impl Store {
    /// `POST /{target}/_close`.
    ///
    /// # Errors
    /// Resolution; a data stream's write index (ES refuses to close it).
    pub fn close_indices(&self, target: &str, opts: Resolve) -> Result<Value> {
        let names = self.resolve(target, opts)?;
        for name in &names {
            if let Some(stream) = self.data_streams().owner_of(name)
                && self
                    .data_streams()
                    .get(&stream)
                    .is_some_and(|d| d.write_index() == Some(name.as_str()))
            {
                return Err(Error::illegal_argument(format!(
                    "cannot close index [{name}] because it is the write index for data stream [{stream}]"
                )));
            }
        }
        let mut indices = Map::new();
        for name in &names {
            let shard = self.shard(name)?;
            if !shard.is_closed() {
                // what was written is made searchable (and committed) before it closes
                shard.refresh()?;
                shard.update_meta(|m| {
                    m.closed = true;
                    Ok(())
                })?;
                tracing::info!(index = %name, "index closed");
                indices.insert(name.clone(), json!({"closed": true}));
            }
        }
        // as ES: only the indices this request closed are listed, and with none the shards
        // are not acknowledged
        let acked = !indices.is_empty();
        Ok(json!({"acknowledged": true, "shards_acknowledged": acked, "indices": indices}))
    }

    /// `POST /{target}/_open`.
    ///
    /// # Errors
    /// Resolution.
    pub fn open_indices(&self, target: &str, opts: Resolve) -> Result<Value> {
        let names = self.resolve(target, opts)?;
        for name in &names {
            let shard = self.shard(name)?;
            if shard.is_closed() {
                shard.update_meta(|m| {
                    m.closed = false;
                    Ok(())
                })?;
                tracing::info!(index = %name, "index opened");
            }
        }
        Ok(json!({"acknowledged": true, "shards_acknowledged": true}))
    }

    /// `names` (what `target` resolved to, with `opts`) without the closed indices a pattern
    /// reached; a closed index `target` names, or reaches through an alias or data stream name,
    /// or a pattern reaches because `expand_wildcards` asked for closed indices, is an error
    /// unless `ignore_unavailable` (as ES's searches forbid closed indices).
    ///
    /// # Errors
    /// `index_closed_exception`.
    pub(crate) fn only_open(
        &self,
        target: &str,
        names: Vec<String>,
        opts: crate::Resolve,
    ) -> Result<Vec<String>> {
        let ignore_unavailable = opts.ignore_unavailable;
        let parts: Vec<&str> = target
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty() && !p.contains('*') && *p != "_all" && !p.starts_with('-'))
            .collect();
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let Ok(shard) = self.shard(&name) else {
                continue;
            };
            if !shard.is_closed() {
                out.push(name);
                continue;
            }
            let named = parts.iter().any(|p| {
                *p == name
                    || self.aliases().indices_of(p).contains(&name)
                    || self
                        .data_streams()
                        .get(p)
                        .is_some_and(|d| d.indices.contains(&name))
            });
            if (named || opts.expand.closed) && !ignore_unavailable {
                return Err(index_closed(&name, &shard.uuid));
            }
        }
        Ok(out)
    }

    /// The index `name` for reading or writing one document: it must be open.
    ///
    /// # Errors
    /// Missing or closed.
    pub(crate) fn open_shard(
        &self,
        name: &str,
    ) -> Result<std::sync::Arc<crate::engine::shard::Shard>> {
        let shard = self.shard(name)?;
        if shard.is_closed() {
            return Err(index_closed(name, &shard.uuid));
        }
        Ok(shard)
    }
}
