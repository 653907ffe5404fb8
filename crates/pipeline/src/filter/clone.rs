//! `clone`: a copy of the event for each name in `clones` (logstash-filter-clone). Under ECS
//! (Logstash 8's default) the copy gets the name as a tag; with `ecs_compatibility => disabled`
//! it gets it as `type`. The copies get the common decorations (`add_field`, `add_tag`, ...)
//! and go on through the filters after this one; the original goes on unchanged.

use log_model::LogEvent;
use serde_json::Value as Json;

use super::{Common, Filter, FilterOutcome};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings};

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Filter,
        "clone",
        vec![
            OptSpec::new("clones", OptType::Array).default(Default::List(&[])),
            OptSpec::new(
                "ecs_compatibility",
                OptType::OneOf(&["disabled", "v1", "v8"]),
            ),
        ],
    )
}

pub(super) fn build(settings: &Settings, common: Common) -> Result<Box<dyn Filter>> {
    Ok(Box::new(Clone {
        clones: settings.strings("clones"),
        ecs: settings.string("ecs_compatibility") != Some("disabled"),
        common,
    }))
}

#[derive(Debug)]
struct Clone {
    common: Common,
    clones: Vec<String>,
    ecs: bool,
}

impl Filter for Clone {
    fn filter(&self, _event: &mut LogEvent) -> FilterOutcome {
        FilterOutcome::Keep
    }

    fn filter_spawning(&self, event: &mut LogEvent, new: &mut Vec<LogEvent>) -> FilterOutcome {
        for name in &self.clones {
            let mut copy = LogEvent::from_map(event.as_map().clone());
            if self.ecs {
                copy.add_tag(name);
            } else {
                copy.insert_field("type", Json::String(name.clone()));
            }
            self.common.matched(&mut copy);
            new.push(copy);
        }
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "clone"
    }
}
