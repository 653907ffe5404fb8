//! `truncate`: cuts string fields to at most `length_bytes` bytes, on a character boundary
//! (logstash-filter-truncate). Without `fields`, every top-level string field; arrays have
//! each string item cut.

use log_model::{FieldRef, LogEvent};
use serde_json::Value as Json;

use super::{Common, Filter, FilterOutcome, field_ref};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{OptSpec, OptType, Schema, Settings};

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Filter,
        "truncate",
        vec![
            OptSpec::new("length_bytes", OptType::Number).required(),
            OptSpec::new("fields", OptType::Array),
        ],
    )
}

pub(super) fn build(settings: &Settings, common: Common) -> Result<Box<dyn Filter>> {
    let len = settings.integer("length_bytes").unwrap_or(0);
    let len = usize::try_from(len)
        .ok()
        .filter(|l| *l > 0)
        .ok_or_else(|| settings.invalid("length_bytes", "length_bytes must be positive"))?;
    Ok(Box::new(Truncate {
        fields: settings
            .strings("fields")
            .iter()
            .filter_map(|f| field_ref(f))
            .collect(),
        len,
        common,
    }))
}

#[derive(Debug)]
struct Truncate {
    common: Common,
    fields: Vec<FieldRef>,
    len: usize,
}

fn cut(v: &mut Json, len: usize) {
    match v {
        Json::String(s) if s.len() > len => {
            let mut end = len;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.truncate(end);
        }
        Json::Array(items) => items.iter_mut().for_each(|i| cut(i, len)),
        _ => {}
    }
}

impl Filter for Truncate {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        if self.fields.is_empty() {
            for (_, v) in event.as_map_mut().iter_mut() {
                cut(v, self.len);
            }
        } else {
            for f in &self.fields {
                if let Some(v) = event.get_mut(f) {
                    cut(v, self.len);
                }
            }
        }
        self.common.matched(event);
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "truncate"
    }
}
