//! The log event model shared by every Sluice crate: events, levels, timestamps,
//! field references, index-name templates and index mappings. No I/O.
