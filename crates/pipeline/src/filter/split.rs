//! `split`: one event per element of an array field, or per piece of a string field cut at
//! `terminator` (default `\n`) (logstash-filter-split). Each new event holds its element in
//! `target` (default: the field itself), gets the common decorations and goes on through the
//! filters after this one; the original is dropped (counted as such). A field that is missing
//! or neither a string nor an array tags `_split_type_failure`. Empty pieces are skipped.

use log_model::{FieldRef, LogEvent};
use serde_json::Value as Json;

use super::{Common, Filter, FilterOutcome, field_ref};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings};

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Filter,
        "split",
        vec![
            OptSpec::new("field", OptType::String).default(Default::Str("message")),
            OptSpec::new("target", OptType::String),
            OptSpec::new("terminator", OptType::String).default(Default::Str("\n")),
        ],
    )
}

pub(super) fn build(settings: &Settings, common: Common) -> Result<Box<dyn Filter>> {
    let field = field_ref(settings.string("field").unwrap_or("message"))
        .ok_or_else(|| settings.invalid("field", "field must name a field"))?;
    let terminator = settings
        .string("terminator")
        .unwrap_or("\n")
        .replace("\\n", "\n");
    if terminator.is_empty() {
        return Err(settings.invalid("terminator", "terminator must not be empty"));
    }
    Ok(Box::new(Split {
        target: settings
            .string("target")
            .and_then(field_ref)
            .unwrap_or_else(|| field.clone()),
        field,
        terminator,
        common,
    }))
}

#[derive(Debug)]
struct Split {
    common: Common,
    field: FieldRef,
    target: FieldRef,
    terminator: String,
}

impl Filter for Split {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        self.filter_spawning(event, &mut Vec::new())
    }

    fn filter_spawning(&self, event: &mut LogEvent, new: &mut Vec<LogEvent>) -> FilterOutcome {
        let pieces: Vec<Json> = match event.get(&self.field) {
            Some(Json::String(s)) => s
                .split(self.terminator.as_str())
                .filter(|p| !p.is_empty())
                .map(|p| Json::String(p.to_owned()))
                .collect(),
            Some(Json::Array(items)) => items.clone(),
            _ => {
                self.common
                    .failed(event, &["_split_type_failure".to_owned()]);
                return FilterOutcome::Keep;
            }
        };
        for piece in pieces {
            let mut one = LogEvent::from_map(event.as_map().clone());
            if self.target != self.field {
                one.remove(&self.field);
            }
            one.insert(&self.target, piece);
            self.common.matched(&mut one);
            new.push(one);
        }
        FilterOutcome::Drop
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "split"
    }

    fn failures(&self) -> u64 {
        self.common.failures()
    }
}
