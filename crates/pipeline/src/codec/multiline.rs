//! The `multiline` codec: joins lines into one event (stack traces, continuation lines), as
//! logstash-codec-multiline.
//!
//! A line "matches" when `pattern` (a regex that may use grok's `%{NAME}` patterns) finds it,
//! inverted by `negate`. With `what => previous` a matching line belongs to the event before
//! it; with `what => next` it belongs to the event after it. Joined lines are separated by
//! `\n` and the event is tagged `multiline_tag` (default `multiline`). An event is also
//! closed at `max_lines` (500) or `max_bytes` (10 MiB), tagged `multiline_codec_max_lines_reached`
//! / `multiline_codec_max_bytes_reached`, and by the input after `auto_flush_interval` seconds
//! without a new line (tcp, stdin), or at the end of the stream. The file input closes the
//! pending event at the end of each read of a file (so that its sincedb never counts a line
//! that is not in the queue): a trace written in two pieces far apart in time is two events.

use std::time::Duration;

use crate::config::PluginKind;
use crate::config::validate::{Default as D, OptSpec, OptType as T, Schema, Settings};

pub(crate) fn schema() -> Schema {
    Schema::new(
        PluginKind::Codec,
        "multiline",
        vec![
            OptSpec::new("pattern", T::String).required(),
            OptSpec::new("what", T::OneOf(&["previous", "next"])).required(),
            OptSpec::new("negate", T::Boolean).default(D::Bool(false)),
            OptSpec::new("patterns_dir", T::Array).default(D::List(&[])),
            OptSpec::new("charset", T::String).default(D::Str("UTF-8")),
            OptSpec::new("multiline_tag", T::String).default(D::Str("multiline")),
            OptSpec::new("max_lines", T::Number).default(D::Int(500)),
            OptSpec::new("max_bytes", T::Bytes).default(D::Str("10 MiB")),
            OptSpec::new("auto_flush_interval", T::Number),
            OptSpec::new("ecs_compatibility", T::OneOf(&["disabled", "v1", "v8"])),
        ],
    )
}

/// The codec's settings, compiled.
#[derive(Debug, Clone)]
pub struct MultilineConfig {
    regex: fancy_regex::Regex,
    negate: bool,
    previous: bool,
    /// The tag of joined events.
    pub tag: String,
    max_lines: usize,
    max_bytes: usize,
    /// `auto_flush_interval`.
    pub auto_flush: Option<Duration>,
}

impl MultilineConfig {
    /// Compiles validated codec settings.
    ///
    /// # Errors
    /// A pattern that does not compile (or names an unknown grok pattern).
    pub(crate) fn new(s: &Settings) -> crate::Result<Self> {
        let pattern = s.string("pattern").unwrap_or_default();
        let regex = crate::filter::grok_regex(pattern, &s.strings("patterns_dir"))
            .map_err(|e| s.invalid("pattern", &e))?;
        let n = |name: &str, d: i64| {
            usize::try_from(s.integer(name).unwrap_or(d))
                .unwrap_or(1)
                .max(1)
        };
        Ok(Self {
            regex,
            negate: s.boolean("negate").unwrap_or(false),
            previous: s.string("what") != Some("next"),
            tag: s.string("multiline_tag").unwrap_or("multiline").to_owned(),
            max_lines: n("max_lines", 500),
            max_bytes: n("max_bytes", 10 * 1024 * 1024),
            auto_flush: s
                .number("auto_flush_interval")
                .filter(|f| *f > 0.0)
                .map(Duration::from_secs_f64),
        })
    }

    /// An aggregator for one stream.
    #[must_use]
    pub fn start(&self) -> Multiline {
        Multiline {
            config: self.clone(),
            buf: Vec::new(),
            bytes: 0,
        }
    }
}

/// A joined event: its text, and the tags it gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The lines, joined by `\n`.
    pub text: String,
    /// `multiline_tag` when more than one line, and the limit tags.
    pub tags: Vec<String>,
}

/// The per-stream state of the multiline codec.
#[derive(Debug)]
pub struct Multiline {
    config: MultilineConfig,
    buf: Vec<String>,
    bytes: usize,
}

impl Multiline {
    fn matches(&self, line: &str) -> bool {
        self.config.regex.is_match(line).unwrap_or(false) != self.config.negate
    }

    /// Takes one line; returns the events it completed.
    pub fn push(&mut self, line: String) -> Vec<Joined> {
        let mut out = Vec::new();
        let m = self.matches(&line);
        if self.config.previous {
            if !m {
                out.extend(self.flush());
            }
            self.add(line, &mut out);
        } else {
            self.add(line, &mut out);
            if !m {
                out.extend(self.flush());
            }
        }
        out
    }

    fn add(&mut self, line: String, out: &mut Vec<Joined>) {
        self.bytes += line.len();
        self.buf.push(line);
        if self.buf.len() >= self.config.max_lines {
            out.extend(self.flush_tagged("multiline_codec_max_lines_reached"));
        } else if self.bytes >= self.config.max_bytes {
            out.extend(self.flush_tagged("multiline_codec_max_bytes_reached"));
        }
    }

    fn flush_tagged(&mut self, tag: &str) -> Option<Joined> {
        let mut j = self.flush()?;
        j.tags.push(tag.to_owned());
        Some(j)
    }

    /// When a pending event is to be closed with no further line: `auto_flush_interval` after
    /// the last line, if there is a pending event and the option is set.
    #[must_use]
    pub fn flush_after(&self) -> Option<Duration> {
        if self.buf.is_empty() {
            return None;
        }
        self.config.auto_flush
    }

    /// Closes the pending event (end of stream, or `auto_flush_interval` elapsed).
    pub fn flush(&mut self) -> Option<Joined> {
        if self.buf.is_empty() {
            return None;
        }
        let lines = std::mem::take(&mut self.buf);
        self.bytes = 0;
        let tags = if lines.len() > 1 {
            vec![self.config.tag.clone()]
        } else {
            Vec::new()
        };
        Some(Joined {
            text: lines.join("\n"),
            tags,
        })
    }

    /// Whether an event is pending.
    #[must_use]
    pub fn is_pending(&self) -> bool {
        !self.buf.is_empty()
    }
}
