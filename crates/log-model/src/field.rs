use std::fmt;

use crate::{Error, Result};

/// A path to a field: Logstash's `[extra][duration]`, the dotted `extra.duration`, or a plain
/// top-level name (`duration`, `@timestamp`).
///
/// A top-level name containing dots that is written in bracket form (`[log.level]`) is one
/// segment, as in Logstash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldRef {
    segments: Vec<String>,
}

impl FieldRef {
    /// Parses a field reference.
    ///
    /// # Errors
    /// Empty input, empty brackets, unbalanced brackets, or text after the last `]`.
    pub fn parse(input: &str) -> Result<Self> {
        let err = |reason| Error::InvalidFieldRef {
            input: input.to_owned(),
            reason,
        };
        if input.is_empty() {
            return Err(err("empty"));
        }
        if !input.starts_with('[') {
            if input.contains('[') || input.contains(']') {
                return Err(err("brackets must enclose every segment"));
            }
            let segments: Vec<String> = input.split('.').map(str::to_owned).collect();
            if segments.iter().any(String::is_empty) {
                return Err(err("empty segment"));
            }
            return Ok(Self { segments });
        }
        let mut segments = Vec::new();
        let mut rest = input;
        while !rest.is_empty() {
            let Some(inner) = rest.strip_prefix('[') else {
                return Err(err("expected `[`"));
            };
            let Some(end) = inner.find(']') else {
                return Err(err("unclosed `[`"));
            };
            let seg = &inner[..end];
            if seg.is_empty() {
                return Err(err("empty segment"));
            }
            if seg.contains('[') {
                return Err(err("nested `[`"));
            }
            segments.push(seg.to_owned());
            rest = &inner[end + 1..];
        }
        Ok(Self { segments })
    }

    /// A reference to one top-level field, taken as is (no parsing of dots or brackets).
    #[must_use]
    pub fn top(name: &str) -> Self {
        Self {
            segments: vec![name.to_owned()],
        }
    }

    /// The path's segments, outermost first.
    #[must_use]
    pub fn segments(&self) -> &[String] {
        &self.segments
    }
}

impl fmt::Display for FieldRef {
    /// Logstash's bracket form, `[a][b]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.segments {
            write!(f, "[{s}]")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for FieldRef {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}
