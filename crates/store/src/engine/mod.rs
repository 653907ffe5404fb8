//! The storage engine: the [`store::Store`], per-index [`shard::Shard`]s and their translog.

pub mod aliases;
pub mod blocks;
pub mod by_query;
pub mod cluster_settings;
pub mod data_streams;
pub mod date_math_names;
pub mod disk;
pub(crate) mod doc;
pub mod ilm;
pub mod open_close;
pub(crate) mod pressure;
pub(crate) mod rollover;
pub mod routing;
pub mod settings;
pub mod shard;
pub mod stats;
pub mod store;
pub mod templates;
pub(crate) mod terms_lookup;
pub mod update;
pub mod util;
pub mod wal;
