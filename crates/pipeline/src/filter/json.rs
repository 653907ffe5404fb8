//! `json`: parses a field holding JSON text into the event (or into `target`).
//!
//! As logstash-filter-json: a missing `source` does nothing; text that is not JSON tags the
//! event with `tag_on_failure` (default `_jsonparsefailure`) unless `skip_on_invalid_json`;
//! without `target` the JSON must be an object, whose keys are set at the top level; a
//! `@timestamp` that does not parse is kept as `_@timestamp` and the event is tagged
//! `_timestampparsefailure`.

use log_model::{FieldRef, LogEvent, Timestamp};
use serde_json::Value as JsonValue;

use super::{Common, Filter, FilterOutcome, field_ref, tag_list};
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings};

pub(super) fn schema() -> Schema {
    use OptType as T;
    Schema::new(
        PluginKind::Filter,
        "json",
        vec![
            OptSpec::new("source", T::String).required(),
            OptSpec::new("target", T::String),
            OptSpec::new("skip_on_invalid_json", T::Boolean).default(Default::Bool(false)),
            OptSpec::new("tag_on_failure", T::Array).default(Default::List(&["_jsonparsefailure"])),
            OptSpec::new("ecs_compatibility", T::String),
        ],
    )
}

#[derive(Debug)]
pub(super) struct Json {
    common: Common,
    source: Option<FieldRef>,
    target: Option<FieldRef>,
    skip_on_invalid: bool,
    tag_on_failure: Vec<String>,
}

impl Json {
    pub(super) fn new(settings: &Settings, common: Common) -> Self {
        Self {
            common,
            source: settings.string("source").and_then(field_ref),
            target: settings.string("target").and_then(field_ref),
            skip_on_invalid: settings.boolean("skip_on_invalid_json").unwrap_or(false),
            tag_on_failure: tag_list(settings, "tag_on_failure"),
        }
    }

    fn fail(&self, event: &mut LogEvent, why: &str) {
        if self.skip_on_invalid {
            return;
        }
        tracing::warn!(
            filter = self.common.id(),
            reason = why,
            "error parsing json"
        );
        self.common.failed(event, &self.tag_on_failure);
    }
}

impl Filter for Json {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        let Some(source) = &self.source else {
            return FilterOutcome::Keep;
        };
        let parsed = match event.get(source) {
            None | Some(JsonValue::Null) => return FilterOutcome::Keep,
            Some(JsonValue::String(text)) => serde_json::from_str::<JsonValue>(text),
            Some(_) => {
                self.fail(event, "source is not a string");
                return FilterOutcome::Keep;
            }
        };
        let parsed = match parsed {
            Ok(v) => v,
            Err(e) => {
                self.fail(event, &e.to_string());
                return FilterOutcome::Keep;
            }
        };
        if let Some(target) = &self.target {
            event.insert(target, parsed);
        } else {
            let JsonValue::Object(map) = parsed else {
                self.fail(
                    event,
                    "parsed JSON object/hash requires a target configuration option",
                );
                return FilterOutcome::Keep;
            };
            for (k, v) in map {
                if k == "@timestamp" {
                    let ok = v.as_str().and_then(|s| Timestamp::parse(s).ok());
                    match ok {
                        Some(ts) => event.set_timestamp(ts),
                        None => {
                            event.insert(&FieldRef::top("_@timestamp"), v);
                            event.add_tag("_timestampparsefailure");
                        }
                    }
                    continue;
                }
                event.insert(&FieldRef::top(&k), v);
            }
        }
        self.common.matched(event);
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "json"
    }

    fn failures(&self) -> u64 {
        self.common.failures()
    }
}
