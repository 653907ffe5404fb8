//! Index mappings as the JSON bodies of `PUT /{index}`.

use serde_json::{Value, json};

/// The seed's mapping for `python-logs`: timestamp date, level keyword, message text, user
/// keyword, action keyword, duration float, source keyword — exactly the body the seed's
/// Example 2 sends.
#[must_use]
pub fn seed() -> Value {
    json!({
        "mappings": {
            "properties": {
                "timestamp": {"type": "date"},
                "level": {"type": "keyword"},
                "message": {"type": "text"},
                "user": {"type": "keyword"},
                "action": {"type": "keyword"},
                "duration": {"type": "float"},
                "source": {"type": "keyword"}
            }
        }
    })
}

/// The ECS version written by [`crate::ecs::seed_to_ecs`].
pub const ECS_VERSION: &str = "8.11.0";

/// The Elastic Common Schema variant: `@timestamp`, `log.level`, `log.logger`, `message`,
/// `user.name`, `event.action`, `event.duration` (nanoseconds, long), `service.name`,
/// `host.name`, `tags`, `ecs.version`.
#[must_use]
pub fn ecs() -> Value {
    json!({
        "mappings": {
            "properties": {
                "@timestamp": {"type": "date"},
                "log": {"properties": {
                    "level": {"type": "keyword"},
                    "logger": {"type": "keyword"}
                }},
                "message": {"type": "text"},
                "user": {"properties": {"name": {"type": "keyword"}}},
                "event": {"properties": {
                    "action": {"type": "keyword"},
                    "duration": {"type": "long"}
                }},
                "service": {"properties": {"name": {"type": "keyword"}}},
                "host": {"properties": {"name": {"type": "keyword"}}},
                "tags": {"type": "keyword"},
                "ecs": {"properties": {"version": {"type": "keyword"}}}
            }
        }
    })
}
