//! Index blocks, as Elasticsearch's `index.blocks.*` settings and `PUT /{index}/_block/{block}`
//! set them: `write` refuses document writes, `read_only` refuses them and changes to the
//! index's settings and mappings (other than its blocks), `read_only_allow_delete` (the block
//! the disk guard stands for) the same with a 429, as ES's flood-stage block answers. Deleting
//! the index is refused under `read_only` only, as in ES 8. The `read` and `metadata` blocks
//! are refused by name.

use serde_json::{Value, json};

use crate::engine::shard::Shard;
use crate::engine::store::{Resolve, Store};
use crate::error::{Error, Result};

/// A block an index can carry, with ES's status, id and description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// `index.blocks.write`
    Write,
    /// `index.blocks.read_only`
    ReadOnly,
    /// `index.blocks.read_only_allow_delete`
    ReadOnlyAllowDelete,
}

impl Block {
    const ALL: [Block; 3] = [Block::ReadOnly, Block::ReadOnlyAllowDelete, Block::Write];

    /// The setting that sets it (without `index.`).
    pub fn setting(self) -> &'static str {
        match self {
            Block::Write => "blocks.write",
            Block::ReadOnly => "blocks.read_only",
            Block::ReadOnlyAllowDelete => "blocks.read_only_allow_delete",
        }
    }

    fn refusal(self, index: &str) -> Error {
        let what = match self {
            Block::Write => "FORBIDDEN/8/index write (api)",
            Block::ReadOnly => "FORBIDDEN/5/index read-only (api)",
            Block::ReadOnlyAllowDelete => return read_only_allow_delete(index),
        };
        Error::es(
            403,
            "cluster_block_exception",
            format!("index [{index}] blocked by: [{what}];"),
        )
    }
}

/// ES's refusal of a write to `index` under the read-only-allow-delete block (set by hand, or
/// by the disk guard past the flood stage), with the page its message points to.
pub fn read_only_allow_delete(index: &str) -> Error {
    let version = crate::http::ES_VERSION
        .rsplit_once('.')
        .map_or(crate::http::ES_VERSION, |(minor, _)| minor);
    Error::es(
        429,
        "cluster_block_exception",
        format!(
            "index [{index}] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block; for more information, see https://www.elastic.co/guide/en/elasticsearch/reference/{version}/fix-watermark-errors.html];"
        ),
    )
}

/// `Ok` when the indices `shards` may be deleted: not under a `read_only` block.
///
/// # Errors
/// The block, in ES's words.
pub fn check_delete(shards: &[std::sync::Arc<Shard>]) -> Result<()> {
    for s in shards {
        if s.setting_is_true(Block::ReadOnly.setting()) {
            return Err(Block::ReadOnly.refusal(&s.name));
        }
    }
    Ok(())
}

/// The blocks `shard` carries.
fn blocks(shard: &Shard) -> Vec<Block> {
    Block::ALL
        .into_iter()
        .filter(|b| shard.setting_is_true(b.setting()))
        .collect()
}

/// `Ok` when documents of `shard` may be written.
///
/// # Errors
/// The first block that refuses it, in ES's words.
pub fn check_write(shard: &Shard) -> Result<()> {
    match blocks(shard).first() {
        Some(b) => Err(b.refusal(&shard.name)),
        None => Ok(()),
    }
}

/// `Ok` when the settings or mapping of `shard` may change; `only_blocks`: the change touches
/// nothing but its blocks (always allowed, so that a block can be lifted).
///
/// # Errors
/// A read-only block, in ES's words.
pub fn check_metadata(shard: &Shard, only_blocks: bool) -> Result<()> {
    if only_blocks {
        return Ok(());
    }
    match blocks(shard).into_iter().find(|b| *b != Block::Write) {
        Some(b) => Err(b.refusal(&shard.name)),
        None => Ok(()),
    }
}

impl Store {
    /// `PUT /{target}/_block/{block}`: sets the block on every matching index.
    ///
    /// # Errors
    /// An unknown or unsupported block, or index resolution.
    pub fn add_block(&self, target: &str, block: &str, opts: Resolve) -> Result<Value> {
        let b = match block {
            "write" => Block::Write,
            "read_only" => Block::ReadOnly,
            "read_only_allow_delete" => Block::ReadOnlyAllowDelete,
            "read" | "metadata" => {
                return Err(Error::illegal_argument(format!(
                    "the [{block}] block is not supported by sluice-store (write, read_only and read_only_allow_delete are)"
                )));
            }
            other => {
                return Err(Error::illegal_argument(format!(
                    "No block found with name {other}"
                )));
            }
        };
        let shards = self.shards(target, opts)?;
        for shard in &shards {
            check_metadata(shard, false)?;
        }
        let mut indices = Vec::with_capacity(shards.len());
        for shard in shards {
            shard.update_meta(|meta| {
                meta.settings
                    .insert(b.setting().to_owned(), Value::from("true"));
                Ok(())
            })?;
            indices.push(json!({"name": shard.name, "blocked": true}));
        }
        Ok(json!({"acknowledged": true, "shards_acknowledged": true, "indices": indices}))
    }
}
