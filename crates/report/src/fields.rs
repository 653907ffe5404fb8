use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::{Error, Result};

/// Where the seed's fields live in the indices being reported on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fields {
    /// The date field of the histogram: `@timestamp` or `timestamp`.
    pub time: String,
    /// An aggregatable (keyword) field holding the user.
    pub user: String,
    /// An aggregatable field holding the action.
    pub action: String,
    /// An aggregatable field holding the level.
    pub level: String,
    /// A numeric field holding the duration.
    pub duration: String,
    /// The factor that turns `duration` into seconds (1e-9 for ECS `event.duration`).
    pub duration_scale: f64,
}

const TIME: &[&str] = &["@timestamp", "timestamp"];
const USER: &[&str] = &["user", "user.name", "extra.user"];
const ACTION: &[&str] = &["action", "event.action", "extra.action"];
const LEVEL: &[&str] = &["level", "log.level", "extra.level", "levelname"];
const DURATION: &[&str] = &["duration", "extra.duration", "event.duration"];

impl Fields {
    /// Reads a `GET /{pattern}/_mapping` response (one entry per index) and picks, for each
    /// chart, the first candidate field that the indices map usably: a `date` for time, a
    /// `keyword` (or the `.keyword` sub-field of a `text`) for terms, a number for durations.
    ///
    /// # Errors
    /// [`Error::NoIndex`] for an empty response, [`Error::MissingField`] naming the
    /// candidates when a chart has no usable field.
    pub fn detect(pattern: &str, mapping_response: &Value) -> Result<Self> {
        let indices = mapping_response
            .as_object()
            .filter(|m| !m.is_empty())
            .ok_or_else(|| Error::NoIndex(pattern.to_owned()))?;
        let mut types = BTreeMap::new();
        for index in indices.values() {
            if let Some(props) = index.pointer("/mappings/properties") {
                flatten("", props, &mut types);
            }
        }
        let missing = |what, candidates: &[&str]| Error::MissingField {
            what,
            index: pattern.to_owned(),
            candidates: candidates.join(", "),
        };
        let time = TIME
            .iter()
            .find(|f| {
                types
                    .get(**f)
                    .is_some_and(|t| t == "date" || t == "date_nanos")
            })
            .ok_or_else(|| missing("time", TIME))?;
        let keyword = |what, candidates: &[&str]| {
            candidates
                .iter()
                .find_map(|f| match types.get(*f).map(String::as_str) {
                    Some("keyword" | "constant_keyword") => Some((*f).to_owned()),
                    Some("text") => {
                        let sub = format!("{f}.keyword");
                        (types.get(&sub).map(String::as_str) == Some("keyword")).then_some(sub)
                    }
                    _ => None,
                })
                .ok_or_else(|| missing(what, candidates))
        };
        let user = keyword("user", USER)?;
        let action = keyword("action", ACTION)?;
        let level = keyword("level", LEVEL)?;
        let duration = DURATION
            .iter()
            .find(|f| types.get(**f).is_some_and(|t| is_numeric(t)))
            .ok_or_else(|| missing("duration", DURATION))?;
        Ok(Self {
            time: (*time).to_owned(),
            user,
            action,
            level,
            duration: (*duration).to_owned(),
            duration_scale: if *duration == "event.duration" {
                1e-9
            } else {
                1.0
            },
        })
    }
}

fn is_numeric(t: &str) -> bool {
    matches!(
        t,
        "long"
            | "integer"
            | "short"
            | "byte"
            | "double"
            | "float"
            | "half_float"
            | "scaled_float"
            | "unsigned_long"
    )
}

/// `{"a":{"properties":{"b":{"type":"keyword"}}}}` → `a.b = keyword`, with multi-fields as
/// `a.b.keyword`. The first index to map a path wins.
fn flatten(prefix: &str, props: &Value, out: &mut BTreeMap<String, String>) {
    let Some(props) = props.as_object() else {
        return;
    };
    for (name, def) in props {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        if let Some(t) = def.get("type").and_then(Value::as_str) {
            out.entry(path.clone()).or_insert_with(|| t.to_owned());
        }
        if let Some(sub) = def.get("fields").and_then(Value::as_object) {
            for (sub_name, sub_def) in sub {
                if let Some(t) = sub_def.get("type").and_then(Value::as_str) {
                    out.entry(format!("{path}.{sub_name}"))
                        .or_insert_with(|| t.to_owned());
                }
            }
        }
        if let Some(inner) = def.get("properties") {
            flatten(&path, inner, out);
        }
    }
}
