use std::fmt::Write as _;

use serde_json::Value;

use crate::{Error, FieldRef, LogEvent, Result, validate_index_name};

/// A Logstash `sprintf` string: literal text with `%{[field]}` (or `%{field}`) references and
/// `%{+PATTERN}` dates (Joda pattern, from the event's `@timestamp` in UTC; `%{+%s}` is epoch
/// seconds), as in `python-logs-%{+YYYY.MM.dd}`.
///
/// Rendering follows Logstash: a missing field (or a date without `@timestamp`) leaves the
/// reference as written; strings are inserted as they are, numbers and booleans as JSON
/// prints them, arrays as their elements joined by `,`, objects as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Field { path: FieldRef, raw: String },
    Date { pattern: String, raw: String },
    EpochSeconds { raw: String },
}

impl Template {
    /// Parses a template. Date patterns are checked here, so a bad letter fails early.
    ///
    /// # Errors
    /// [`Error::InvalidTemplate`] for an unclosed `%{` or an empty reference,
    /// [`Error::InvalidFieldRef`] / [`Error::InvalidDatePattern`] for what is inside.
    pub fn parse(input: &str) -> Result<Self> {
        let mut parts = Vec::new();
        let mut rest = input;
        let mut lit = String::new();
        while let Some(start) = rest.find("%{") {
            lit.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(Error::InvalidTemplate {
                    input: input.to_owned(),
                    reason: "unclosed `%{`",
                });
            };
            let inner = &after[..end];
            let raw = format!("%{{{inner}}}");
            if !lit.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut lit)));
            }
            parts.push(parse_ref(input, inner, raw)?);
            rest = &after[end + 1..];
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            parts.push(Part::Literal(lit));
        }
        Ok(Self {
            source: input.to_owned(),
            parts,
        })
    }

    /// The text the template was parsed from.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the template has no references (renders the same for every event).
    #[must_use]
    pub fn is_constant(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Literal(_)))
    }

    /// True when the template reads `@timestamp` (`%{+...}`).
    #[must_use]
    pub fn uses_date(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Date { .. } | Part::EpochSeconds { .. }))
    }

    /// Renders the template for `event`.
    #[must_use]
    pub fn render(&self, event: &LogEvent) -> String {
        let mut out = String::with_capacity(self.source.len() + 16);
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Field { path, raw } => match event.get(path) {
                    Some(v) if !v.is_null() => push_value(&mut out, v),
                    _ => out.push_str(raw),
                },
                Part::Date { pattern, raw } => {
                    match event.timestamp().map(|t| t.format_joda(pattern)) {
                        Some(Ok(s)) => out.push_str(&s),
                        _ => out.push_str(raw),
                    }
                }
                Part::EpochSeconds { raw } => match event.timestamp() {
                    Some(t) => {
                        let _ = write!(out, "{}", t.epoch_millis().div_euclid(1000));
                    }
                    None => out.push_str(raw),
                },
            }
        }
        out
    }

    /// Renders and checks the result against Elasticsearch's index-name rules.
    ///
    /// # Errors
    /// [`Error::InvalidIndexName`] when the rendered name breaks a rule (including a reference
    /// left unresolved, whose `%{`, `[` or `}` ES would refuse only in part).
    pub fn render_index(&self, event: &LogEvent) -> Result<String> {
        let name = self.render(event);
        validate_index_name(&name)?;
        if name.contains("%{") {
            return Err(Error::InvalidIndexName {
                name,
                reason: "contains an unresolved sprintf reference".to_owned(),
            });
        }
        Ok(name)
    }
}

fn parse_ref(input: &str, inner: &str, raw: String) -> Result<Part> {
    if inner.is_empty() {
        return Err(Error::InvalidTemplate {
            input: input.to_owned(),
            reason: "empty reference `%{}`",
        });
    }
    if inner.starts_with('{') {
        return Err(Error::InvalidTemplate {
            input: input.to_owned(),
            reason: "java.time patterns `%{{...}}` are not supported; use `%{+PATTERN}`",
        });
    }
    if let Some(pattern) = inner.strip_prefix('+') {
        if pattern == "%s" {
            return Ok(Part::EpochSeconds { raw });
        }
        // Checks the pattern once, on a fixed time.
        crate::Timestamp::from_epoch_millis(0)?.format_joda(pattern)?;
        return Ok(Part::Date {
            pattern: pattern.to_owned(),
            raw,
        });
    }
    Ok(Part::Field {
        path: FieldRef::parse(inner)?,
        raw,
    })
}

fn push_value(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_value(out, item);
            }
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

impl std::str::FromStr for Template {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}
