//! `urldecode`: percent-decoding (and `+` as space) of `field` (default `message`) or of every
//! string field with `all_fields` (logstash-filter-urldecode). Bytes that do not decode to
//! UTF-8 tag `_urldecodefailure` and leave the field as it was.

use log_model::{FieldRef, LogEvent};
use serde_json::Value as Json;

use super::{Common, Filter, FilterOutcome, field_ref, tag_list};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings};

pub(super) fn schema() -> Schema {
    use OptType as T;
    Schema::new(
        PluginKind::Filter,
        "urldecode",
        vec![
            OptSpec::new("field", T::String).default(Default::Str("message")),
            OptSpec::new("all_fields", T::Boolean).default(Default::Bool(false)),
            OptSpec::new("charset", T::String).default(Default::Str("UTF-8")),
            OptSpec::new("tag_on_failure", T::Array).default(Default::List(&["_urldecodefailure"])),
        ],
    )
}

pub(super) fn build(settings: &Settings, common: Common) -> Result<Box<dyn Filter>> {
    if !settings
        .string("charset")
        .unwrap_or("UTF-8")
        .eq_ignore_ascii_case("UTF-8")
    {
        return Err(settings.invalid("charset", "only UTF-8 is supported"));
    }
    Ok(Box::new(UrlDecode {
        field: field_ref(settings.string("field").unwrap_or("message"))
            .ok_or_else(|| settings.invalid("field", "field must name a field"))?,
        all: settings.boolean("all_fields").unwrap_or(false),
        tag_on_failure: tag_list(settings, "tag_on_failure"),
        common,
    }))
}

#[derive(Debug)]
struct UrlDecode {
    common: Common,
    field: FieldRef,
    all: bool,
    tag_on_failure: Vec<String>,
}

/// `%XX` and `+` decoded; `None` when the result is not UTF-8.
pub(crate) fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn decode_value(v: &mut Json) -> bool {
    match v {
        Json::String(s) => match decode(s) {
            Some(d) => {
                *s = d;
                true
            }
            None => false,
        },
        Json::Array(items) => {
            // every item is decoded, even after one fails
            let mut ok = true;
            for i in items {
                ok &= decode_value(i);
            }
            ok
        }
        _ => true,
    }
}

impl Filter for UrlDecode {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        let ok = if self.all {
            event
                .as_map_mut()
                .iter_mut()
                .fold(true, |ok, (_, v)| decode_value(v) && ok)
        } else {
            event.get_mut(&self.field).is_none_or(decode_value)
        };
        if ok {
            self.common.matched(event);
        } else {
            self.common.failed(event, &self.tag_on_failure);
        }
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "urldecode"
    }

    fn failures(&self) -> u64 {
        self.common.failures()
    }
}
