//! `stdout` output: codec `rubydebug` (the default, as Logstash), `json_lines`, `json`, `line`
//! or `dots`.

use std::io::Write;
use std::sync::Arc;

use log_model::LogEvent;

use super::{OutputArgs, OutputPlugin, SendFuture};
use crate::codec::{rubydebug, to_json_without_metadata};
use crate::config::PluginKind;
use crate::config::validate::{Default as D, OptSpec, OptType as T, Schema};
use crate::monitor::stats::PluginStats;
use crate::{Error, Result};

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Output,
        "stdout",
        vec![OptSpec::new("codec", T::Codec).default(D::Str("rubydebug"))],
    )
}

pub(super) fn build(a: OutputArgs<'_>) -> Result<Box<dyn OutputPlugin>> {
    let (name, cs) = crate::codec::resolve(
        a.settings,
        &["rubydebug", "json_lines", "json", "dots", "line", "plain"],
        "rubydebug",
    )?;
    let codec = match name.as_str() {
        "rubydebug" => StdoutCodec::Rubydebug {
            metadata: cs.and_then(|c| c.boolean("metadata")).unwrap_or(false),
        },
        "json_lines" | "json" => StdoutCodec::JsonLines,
        "dots" => StdoutCodec::Dots,
        _ => StdoutCodec::Line,
    };
    Ok(Box::new(StdoutOutput {
        codec,
        stats: a.stats,
    }))
}

impl OutputPlugin for StdoutOutput {
    fn stats(&self) -> &Arc<PluginStats> {
        &self.stats
    }

    fn send<'a>(&'a self, events: &'a [&'a LogEvent]) -> SendFuture<'a> {
        Box::pin(async move { self.write(events) })
    }
}

/// The stdout codecs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdoutCodec {
    /// Awesome-print style hash; `metadata => true` shows `@metadata`.
    Rubydebug {
        /// Show `@metadata`.
        metadata: bool,
    },
    /// One JSON object per line.
    JsonLines,
    /// One `.` per event, no newline.
    Dots,
    /// `line`: `@timestamp host message` per event.
    Line,
}

/// Settings and state of a `stdout` output.
#[derive(Debug)]
pub struct StdoutOutput {
    /// The codec.
    pub codec: StdoutCodec,
    /// Counters.
    pub stats: Arc<PluginStats>,
}

impl StdoutOutput {
    /// Formats events with a codec.
    #[must_use]
    pub fn format(codec: StdoutCodec, events: &[&LogEvent]) -> Vec<u8> {
        let mut out = Vec::new();
        for ev in events {
            match codec {
                StdoutCodec::Rubydebug { metadata } => {
                    out.extend_from_slice(rubydebug(ev, metadata).as_bytes());
                }
                StdoutCodec::JsonLines => {
                    out.extend_from_slice(&to_json_without_metadata(ev));
                    out.push(b'\n');
                }
                StdoutCodec::Dots => out.push(b'.'),
                StdoutCodec::Line => {
                    let map = ev.as_map();
                    let ts = map.get("@timestamp").and_then(|v| v.as_str()).unwrap_or("");
                    let host = ev.host().unwrap_or("%{host}");
                    let msg = ev.message().unwrap_or("%{message}");
                    out.extend_from_slice(format!("{ts} {host} {msg}\n").as_bytes());
                }
            }
        }
        out
    }

    fn write(&self, events: &[&LogEvent]) -> Result<()> {
        let bytes = Self::format(self.codec, events);
        let mut stdout = std::io::stdout().lock();
        match stdout.write_all(&bytes).and_then(|()| stdout.flush()) {
            Ok(()) => Ok(()),
            // A closed stdout (`| head`) must not stall the pipeline: the events were shown
            // as far as anyone is reading.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(Error::io("stdout output", e)),
        }
    }
}
