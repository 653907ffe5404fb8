//! The log event model shared by every Sluice crate. No I/O.
//!
//! A [`LogEvent`] is an ordered JSON object: the order in which fields arrived is the order in
//! which they leave, and fields Sluice does not know are carried untouched. Typed accessors
//! read the well-known fields of the seed's events (`@timestamp`, `level`, `message`, `user`,
//! `action`, `duration`, `source`, `tags`, `host`, `logger`):
//!
//! ```
//! use log_model::{FieldRef, Level, LogEvent};
//!
//! let mut ev = LogEvent::from_json_slice(
//!     br#"{"level":"warning","user":"user3","extra":{"duration":"1.5"}}"#,
//! ).unwrap();
//! assert!(ev.level().unwrap() >= Level::Warning);
//! let path = FieldRef::parse("[extra][duration]").unwrap();
//! assert_eq!(ev.get(&path), Some(&serde_json::json!("1.5")));
//! ev.add_tag("python");
//! assert_eq!(ev.tags(), vec!["python"]);
//! ```
//!
//! [`Timestamp`] parses what Python, Logstash and Elasticsearch write and prints Elasticsearch's
//! `strict_date_optional_time`; [`Template`] renders Logstash `sprintf` strings such as
//! `python-logs-%{+YYYY.MM.dd}`; [`validate_index_name`] applies Elasticsearch's index-name rules;
//! [`mapping`] holds the seed's and the ECS index mappings and [`ecs`] converts between them.

mod error;
mod event;
mod field;
mod index_name;
mod json_scan;
mod level;
mod template;
mod time;

pub mod ecs;
pub mod mapping;
pub mod zone;

pub use error::{Error, Result};
pub use event::{Key, LogEvent, MemberName, ObjectWriter, intern};
pub use field::FieldRef;
pub use index_name::validate_index_name;
pub use json_scan::is_json_object;
pub use level::Level;
pub use template::Template;
pub use time::Timestamp;

/// Re-exported so that callers build values with the same `serde_json` (order-preserving maps).
pub use serde_json::{Map, Value};
