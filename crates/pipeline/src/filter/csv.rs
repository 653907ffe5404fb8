//! `csv`: splits a field of comma-separated values into named fields (logstash-filter-csv).
//!
//! One line per event; `quote_char` (default `"`) quotes a value, doubled inside it; columns
//! beyond `columns` are named `column<N>` (1-based) unless `autogenerate_column_names => false`;
//! `skip_empty_columns` drops empty values; `convert` turns named columns into `integer`,
//! `float` or `boolean`. A quote that is not closed tags `_csvparsefailure`.

use log_model::{FieldRef, LogEvent};
use serde_json::{Map, Value as Json};

use super::{Common, Filter, FilterOutcome, field_ref, tag_list};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings, json_text};

pub(super) fn schema() -> Schema {
    use OptType as T;
    Schema::new(
        PluginKind::Filter,
        "csv",
        vec![
            OptSpec::new("source", T::String).default(Default::Str("message")),
            OptSpec::new("target", T::String),
            OptSpec::new("columns", T::Array).default(Default::List(&[])),
            OptSpec::new("separator", T::String).default(Default::Str(",")),
            OptSpec::new("quote_char", T::String).default(Default::Str("\"")),
            OptSpec::new("autogenerate_column_names", T::Boolean).default(Default::Bool(true)),
            OptSpec::new("autodetect_column_names", T::Boolean).default(Default::Bool(false)),
            OptSpec::new("skip_empty_columns", T::Boolean).default(Default::Bool(false)),
            OptSpec::new("skip_empty_rows", T::Boolean).default(Default::Bool(false)),
            OptSpec::new("skip_header", T::Boolean).default(Default::Bool(false)),
            OptSpec::new("convert", T::Hash),
            OptSpec::new("tag_on_failure", T::Array).default(Default::List(&["_csvparsefailure"])),
            OptSpec::new("ecs_compatibility", T::OneOf(&["disabled", "v1", "v8"])),
        ],
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conv {
    Integer,
    Float,
    Boolean,
}

pub(super) fn build(settings: &Settings, common: Common) -> Result<Box<dyn Filter>> {
    let one_char = |name: &str, default: char| -> Result<char> {
        let s = settings.string(name).unwrap_or_default();
        let s = if s == "\\t" { "\t" } else { s };
        let mut it = s.chars();
        match (it.next(), it.next()) {
            (Some(c), None) => Ok(c),
            (None, _) => Ok(default),
            _ => Err(settings.invalid(name, &format!("{name} must be one character, got {s:?}"))),
        }
    };
    if settings.boolean("autodetect_column_names") == Some(true) {
        return Err(settings.invalid(
            "autodetect_column_names",
            "autodetect_column_names is not supported by sluice-agent (it needs one worker and ordered events); give columns",
        ));
    }
    let mut convert = Vec::new();
    for (k, v) in settings.hash("convert").unwrap_or_default() {
        let c = match json_text(v).as_str() {
            "integer" => Conv::Integer,
            "float" => Conv::Float,
            "boolean" => Conv::Boolean,
            other => {
                return Err(settings.invalid(
                    "convert",
                    &format!(
                        "unknown conversion {other:?} for column {k} (integer, float, boolean)"
                    ),
                ));
            }
        };
        convert.push((k.clone(), c));
    }
    Ok(Box::new(Csv {
        source: field_ref(settings.string("source").unwrap_or("message"))
            .ok_or_else(|| settings.invalid("source", "source must name a field"))?,
        target: settings.string("target").and_then(field_ref),
        columns: settings.strings("columns"),
        separator: one_char("separator", ',')?,
        quote: one_char("quote_char", '"')?,
        autogenerate: settings
            .boolean("autogenerate_column_names")
            .unwrap_or(true),
        skip_empty_columns: settings.boolean("skip_empty_columns").unwrap_or(false),
        skip_empty_rows: settings.boolean("skip_empty_rows").unwrap_or(false),
        skip_header: settings.boolean("skip_header").unwrap_or(false),
        convert,
        tag_on_failure: tag_list(settings, "tag_on_failure"),
        common,
    }))
}

#[derive(Debug)]
struct Csv {
    common: Common,
    source: FieldRef,
    target: Option<FieldRef>,
    columns: Vec<String>,
    separator: char,
    quote: char,
    autogenerate: bool,
    skip_empty_columns: bool,
    skip_empty_rows: bool,
    skip_header: bool,
    convert: Vec<(String, Conv)>,
    tag_on_failure: Vec<String>,
}

/// Splits one CSV line; `None` when a quote is not closed or text follows a closing quote.
pub(crate) fn split(line: &str, sep: char, quote: char) -> Option<Vec<String>> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == quote {
                if chars.peek() == Some(&quote) {
                    cur.push(quote);
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == sep {
            out.push(std::mem::take(&mut cur));
            was_quoted = false;
        } else if c == quote && cur.is_empty() && !was_quoted {
            quoted = true;
            was_quoted = true;
        } else if was_quoted {
            return None;
        } else {
            cur.push(c);
        }
    }
    if quoted {
        return None;
    }
    out.push(cur);
    Some(out)
}

fn converted(v: String, conv: Option<Conv>) -> Json {
    match conv {
        None => Json::String(v),
        Some(Conv::Integer) => v.trim().parse::<i64>().map_or(Json::String(v), Json::from),
        Some(Conv::Float) => v
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Json::String(v), Json::Number),
        Some(Conv::Boolean) => match v.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "1" => Json::Bool(true),
            "false" | "f" | "no" | "n" | "0" => Json::Bool(false),
            _ => Json::String(v),
        },
    }
}

impl Filter for Csv {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        let text = match event.get(&self.source) {
            None | Some(Json::Null) => return FilterOutcome::Keep,
            Some(v) => json_text(v),
        };
        let Some(values) = split(&text, self.separator, self.quote) else {
            tracing::warn!(filter = self.common.id(), "error parsing csv");
            self.common.failed(event, &self.tag_on_failure);
            return FilterOutcome::Keep;
        };
        if self.skip_empty_rows && values.iter().all(String::is_empty) {
            return FilterOutcome::Drop;
        }
        if self.skip_header && !self.columns.is_empty() && values == self.columns {
            return FilterOutcome::Drop;
        }
        let mut fields = Map::new();
        for (i, v) in values.into_iter().enumerate() {
            if self.skip_empty_columns && v.is_empty() {
                continue;
            }
            let name = match self.columns.get(i) {
                Some(n) => n.clone(),
                None if self.autogenerate => format!("column{}", i + 1),
                None => continue,
            };
            let conv = self
                .convert
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, c)| *c);
            fields.insert(name, converted(v, conv));
        }
        for (name, v) in fields {
            let Some(path) = field_ref(&name) else {
                continue;
            };
            let path = match &self.target {
                Some(t) => FieldRef::parse(&format!("{t}{path}")).unwrap_or(path),
                None => path,
            };
            event.insert(&path, v);
        }
        self.common.matched(event);
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "csv"
    }

    fn failures(&self) -> u64 {
        self.common.failures()
    }
}
