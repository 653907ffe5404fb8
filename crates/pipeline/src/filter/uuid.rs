//! `uuid`: a random (v4) UUID in `target` (logstash-filter-uuid); an existing value is kept
//! unless `overwrite`.

use log_model::{FieldRef, LogEvent};
use serde_json::Value as Json;

use super::{Common, Filter, FilterOutcome, field_ref};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings};

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Filter,
        "uuid",
        vec![
            OptSpec::new("target", OptType::String).required(),
            OptSpec::new("overwrite", OptType::Boolean).default(Default::Bool(false)),
        ],
    )
}

pub(super) fn build(settings: &Settings, common: Common) -> Result<Box<dyn Filter>> {
    Ok(Box::new(Uuid {
        target: settings
            .string("target")
            .and_then(field_ref)
            .ok_or_else(|| settings.invalid("target", "target must name a field"))?,
        overwrite: settings.boolean("overwrite").unwrap_or(false),
        common,
    }))
}

#[derive(Debug)]
struct Uuid {
    common: Common,
    target: FieldRef,
    overwrite: bool,
}

impl Filter for Uuid {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        if self.overwrite || event.get(&self.target).is_none() {
            event.insert(&self.target, Json::String(uuid::Uuid::new_v4().to_string()));
            self.common.matched(event);
        }
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "uuid"
    }
}
