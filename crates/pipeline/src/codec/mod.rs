//! Turning input bytes into events (`json_lines`, `line`, `json`, `cef`) and events into output text
//! (`rubydebug`, `json_lines`, `dots`).
//!
//! Input semantics follow Logstash 8's `json_lines` codec:
//! - each line is one event; `\r\n` and `\n` both end a line;
//! - a line that is not a JSON object becomes `{"message": <raw line>, "tags": ["_jsonparsefailure"]}`
//!   (never dropped);
//! - a line longer than `decode_size_limit_bytes` is discarded up to the next newline and turned
//!   into an event tagged `_jsonparsetoobigfailure` whose `message` says how long it was (Logstash
//!   8's default limit is 512 MiB; ours is 16 MiB, configurable per input);
//! - `@timestamp` is set to the ingest time when absent; a present string is parsed (RFC 3339 /
//!   ISO 8601), and an unparsable one is moved to `_@timestamp`, replaced by the ingest time and
//!   tagged `_timestampparsefailure`; `@version` is `"1"` when absent.

pub mod cef;
pub mod multiline;
mod rubydebug;
#[cfg(test)]
mod tests;

use bytes::Bytes;
use log_model::{LogEvent, Timestamp};
use ndjson_codec::Frame;
use serde_json::Value;

pub use rubydebug::rubydebug;

/// Default `decode_size_limit_bytes` of our inputs (16 MiB).
pub const DEFAULT_DECODE_SIZE_LIMIT: usize = 16 * 1024 * 1024;

/// An input codec.
#[derive(Debug, Clone, PartialEq)]
pub enum InputCodec {
    /// One JSON object per line.
    JsonLines,
    /// One plain-text line per event (`message`).
    Line,
    /// JSON documents; framed by newlines on stream inputs, whole bodies on `http`.
    Json,
    /// ArcSight CEF, one payload per line (stream inputs) or datagram (`udp`).
    Cef(std::sync::Arc<cef::Cef>),
}

impl InputCodec {
    /// Parses a codec name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "json_lines" => Some(InputCodec::JsonLines),
            "line" | "plain" => Some(InputCodec::Line),
            "json" => Some(InputCodec::Json),
            _ => None,
        }
    }
}

/// What a frame turned into.
#[derive(Debug)]
pub struct Decoded {
    /// The event (always produced).
    pub event: LogEvent,
    /// A parse failure (`_jsonparsefailure`) happened.
    pub parse_failure: bool,
    /// The line was over the size limit.
    pub too_long: bool,
}

fn lossy(raw: &Bytes) -> String {
    let s = String::from_utf8_lossy(raw);
    s.strip_suffix('\r').unwrap_or(&s).to_string()
}

fn failure_event(message: String, tag: &str) -> LogEvent {
    let mut ev = LogEvent::new();
    ev.as_map_mut()
        .insert("message".into(), Value::String(message));
    ev.add_tag(tag);
    ev
}

/// The decoder configuration our stream inputs use: frame only (we parse each line once
/// ourselves), with the given line limit.
#[must_use]
pub fn decoder_config(limit: usize) -> ndjson_codec::DecoderConfig {
    ndjson_codec::DecoderConfig::default()
        .validate(false)
        .max_line_length(limit)
}

/// Turns one framed line into an event (see the module docs).
#[must_use]
pub fn decode_frame(frame: Frame, codec: &InputCodec, limit: usize, clock: &IngestTime) -> Decoded {
    let (mut event, parse_failure, too_long) = match frame {
        Frame::TooLong { len, offset, line } => {
            tracing::warn!(
                len,
                offset,
                line,
                limit,
                "line over decode_size_limit_bytes discarded"
            );
            let msg = format!(
                "line {line} of {len} bytes (stream offset {offset}) exceeds decode_size_limit_bytes ({limit})"
            );
            (failure_event(msg, "_jsonparsetoobigfailure"), false, true)
        }
        other => {
            let raw = other.raw().cloned().unwrap_or_default();
            decode_line(&raw, codec)
        }
    };
    stamp_at(&mut event, clock);
    Decoded {
        event,
        parse_failure,
        too_long,
    }
}

/// One line (without its terminator) through a codec: `(event, parse_failure, false)`.
fn decode_line(raw: &Bytes, codec: &InputCodec) -> (LogEvent, bool, bool) {
    if let InputCodec::Cef(cef) = codec {
        let (ev, failed) = cef.decode(&lossy(raw));
        return (ev, failed, false);
    }
    if *codec == InputCodec::Line {
        let ev = LogEvent::from_fields([("message", Value::String(lossy(raw)))]);
        return (ev, false, false);
    }
    // Lazy: validated now, each field parsed when first read, unchanged fields written out as
    // received (see `LogEvent::from_json_bytes`).
    match LogEvent::from_json_bytes(raw.clone()) {
        Ok(ev) => (ev, false, false),
        Err(e) => {
            tracing::debug!(error = %e, "JSON parse failure, falling back to plain text");
            (failure_event(lossy(raw), "_jsonparsefailure"), true, false)
        }
    }
}

/// Decodes a whole body (the `http` input): a JSON object, an array of objects, or NDJSON.
/// Anything unparsable becomes one `_jsonparsefailure` event per line.
#[must_use]
pub fn decode_body(body: &[u8], codec: &InputCodec) -> Vec<Decoded> {
    let clock = IngestTime::now();
    if *codec != InputCodec::Line
        && let Some(events) = decode_json_document(body, &clock)
    {
        return events;
    }
    decode_body_lines(body, codec, &clock)
}

/// A body that is one JSON document: an object (one event) or an array of objects (one event
/// each). `None` when it is not (NDJSON, text, an array holding other values).
#[must_use]
pub fn decode_json_document(body: &[u8], clock: &IngestTime) -> Option<Vec<Decoded>> {
    let wrap = |mut event: LogEvent| {
        stamp_at(&mut event, clock);
        Decoded {
            event,
            parse_failure: false,
            too_long: false,
        }
    };
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Some(vec![wrap(LogEvent::from_map(map))]),
        Ok(Value::Array(items)) if items.iter().all(Value::is_object) => Some(
            items
                .into_iter()
                .filter_map(|v| match v {
                    Value::Object(m) => Some(wrap(LogEvent::from_map(m))),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    }
}

/// Whether a JSON body must be decoded as one document rather than line by line: it starts
/// with an array, or with an object that does not end on its first line (pretty-printed).
/// NDJSON, whose first line is a whole document, is decoded line by line (and so may be
/// decoded in chunks); so is a one-line object.
#[must_use]
pub fn is_json_document(body: &[u8]) -> bool {
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return false;
    };
    let rest = &body[start..];
    match rest[0] {
        b'[' => true,
        b'{' => {
            let first = rest.split(|b| *b == b'\n').next().unwrap_or(rest);
            serde_json::from_slice::<serde::de::IgnoredAny>(first).is_err()
        }
        _ => false,
    }
}

/// The lines of a body (or of a piece of one that ends at a line end), one event each, blank
/// lines skipped: `message` with the `line` codec; JSON documents otherwise, a line that is
/// not one becoming a `_jsonparsefailure` event.
#[must_use]
pub fn decode_body_lines(body: &[u8], codec: &InputCodec, clock: &IngestTime) -> Vec<Decoded> {
    body.split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .map(|l| {
            let (mut event, parse_failure, _) = decode_line(&Bytes::copy_from_slice(l), codec);
            stamp_at(&mut event, clock);
            Decoded {
                event,
                parse_failure,
                too_long: false,
            }
        })
        .collect()
}

/// Sets `@timestamp` (ingest time when absent, parsed when present) and `@version`.
pub fn stamp(event: &mut LogEvent) {
    stamp_at(event, &IngestTime::now());
}

/// When events were received: their `@timestamp` when they arrive without one. Formatted once,
/// on first use, for all the lines of one read.
#[derive(Debug)]
pub struct IngestTime {
    at: Timestamp,
    formatted: std::cell::OnceCell<Value>,
}

impl IngestTime {
    /// The time `at`.
    #[must_use]
    pub fn new(at: Timestamp) -> Self {
        IngestTime {
            at,
            formatted: std::cell::OnceCell::new(),
        }
    }

    /// Now.
    #[must_use]
    pub fn now() -> Self {
        Self::new(Timestamp::now())
    }

    /// As Elasticsearch's `@timestamp` string.
    #[must_use]
    pub fn value(&self) -> Value {
        self.formatted
            .get_or_init(|| Value::String(self.at.to_es_string()))
            .clone()
    }
}

/// [`stamp`], with the given ingest time.
pub fn stamp_at(event: &mut LogEvent, clock: &IngestTime) {
    // Already in the form we write (the common case: shippers send it that way): parsing and
    // re-formatting would give the same string back, so leave it as is.
    if event
        .field_str("@timestamp")
        .is_some_and(is_canonical_timestamp)
    {
        return stamp_version(event);
    }
    match event.field("@timestamp") {
        None | Some(Value::Null) => {
            event.insert_field("@timestamp", clock.value());
        }
        Some(Value::String(s)) => match Timestamp::parse(s) {
            Ok(ts) => {
                event.insert_field("@timestamp", Value::String(ts.to_es_string()));
            }
            Err(_) => bad_timestamp(event, clock),
        },
        Some(_) => bad_timestamp(event, clock),
    }
    stamp_version(event);
}

fn stamp_version(event: &mut LogEvent) {
    if !event.contains_field("@version") {
        event.insert_field("@version", Value::String("1".into()));
    }
}

/// True when `s` is exactly what [`Timestamp::to_es_string`] writes for a valid instant
/// (`YYYY-MM-DDTHH:MM:SS.mmmZ`, UTC, a real calendar date, no leap second), so that
/// `Timestamp::parse(s)?.to_es_string() == s`.
#[must_use]
pub fn is_canonical_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 24 {
        return false;
    }
    let shape = b"dddd-dd-ddTdd:dd:dd.dddZ";
    for (c, want) in b.iter().zip(shape) {
        let ok = if *want == b'd' {
            c.is_ascii_digit()
        } else {
            c == want
        };
        if !ok {
            return false;
        }
    }
    let num =
        |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    // chrono writes years before 1 or after 9999 differently; keep those on the slow path.
    if year == 0 || num(11..13) > 23 || num(14..16) > 59 || num(17..19) > 59 {
        return false;
    }
    // A real calendar date (Gregorian leap years), without a date library on this hot path.
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

fn bad_timestamp(event: &mut LogEvent, clock: &IngestTime) {
    if let Some(orig) = event.remove_field("@timestamp") {
        event.insert_field("_@timestamp", orig);
    }
    event.insert_field("@timestamp", clock.value());
    event.add_tag("_timestampparsefailure");
}

/// The event as JSON without `@metadata` (what outputs write), without copying the event.
#[must_use]
pub fn to_json_without_metadata(event: &LogEvent) -> Vec<u8> {
    let mut out = Vec::with_capacity(event.json_len_hint().max(128));
    event.write_json(&mut out, &["@metadata"]);
    out
}

// ---- the codec registry -----------------------------------------------------------------------

use crate::config::PluginKind;
use crate::config::validate::{self, Default as D, OptSpec, OptType as T, Schema, Settings};

const ECS: &[&str] = &["disabled", "v1", "v8"];

/// One row of the codec registry: a name and its option schema. Which codecs a plugin takes
/// is the plugin's business (its registry row lists them); a codec is validated against its
/// schema wherever it is written.
#[derive(Debug)]
pub struct CodecPlugin {
    /// The codec name (`json_lines`).
    pub name: &'static str,
    /// Its options.
    pub schema: fn() -> Schema,
}

fn charset() -> OptSpec {
    OptSpec::new("charset", T::String).default(D::Str("UTF-8"))
}

fn json_lines_schema() -> Schema {
    Schema::new(
        PluginKind::Codec,
        "json_lines",
        vec![
            charset(),
            OptSpec::new("delimiter", T::String).default(D::Str("\n")),
            OptSpec::new("decode_size_limit_bytes", T::Number),
            OptSpec::new("target", T::String),
            OptSpec::new("ecs_compatibility", T::OneOf(ECS)).default(D::Str("v8")),
        ],
    )
}

fn line_schema() -> Schema {
    Schema::new(
        PluginKind::Codec,
        "line",
        vec![
            charset(),
            OptSpec::new("delimiter", T::String).default(D::Str("\n")),
            OptSpec::new("format", T::String),
        ],
    )
}

fn json_schema() -> Schema {
    Schema::new(
        PluginKind::Codec,
        "json",
        vec![
            charset(),
            OptSpec::new("target", T::String),
            OptSpec::new("ecs_compatibility", T::OneOf(ECS)),
        ],
    )
}

fn plain_schema() -> Schema {
    Schema::new(
        PluginKind::Codec,
        "plain",
        vec![charset(), OptSpec::new("format", T::String)],
    )
}

fn rubydebug_schema() -> Schema {
    Schema::new(
        PluginKind::Codec,
        "rubydebug",
        vec![OptSpec::new("metadata", T::Boolean).default(D::Bool(false))],
    )
}

fn dots_schema() -> Schema {
    Schema::new(PluginKind::Codec, "dots", vec![])
}

/// Every codec: adding one is a schema (and its decoder or encoder) and one line here.
#[rustfmt::skip]
pub static REGISTRY: &[CodecPlugin] = &[
    CodecPlugin { name: "cef", schema: cef::schema },
    CodecPlugin { name: "dots", schema: dots_schema },
    CodecPlugin { name: "json", schema: json_schema },
    CodecPlugin { name: "json_lines", schema: json_lines_schema },
    CodecPlugin { name: "line", schema: line_schema },
    CodecPlugin { name: "multiline", schema: multiline::schema },
    CodecPlugin { name: "plain", schema: plain_schema },
    CodecPlugin { name: "rubydebug", schema: rubydebug_schema },
];

/// The schema of codec `name`, if there is such a codec.
#[must_use]
pub fn schema(name: &str) -> Option<Schema> {
    REGISTRY
        .iter()
        .find(|c| c.name == name)
        .map(|c| (c.schema)())
}

/// Validates the `codec` option of a plugin's `settings`: the codec must exist, pass its
/// schema, and be one of `allowed` (the codecs the plugin supports). Returns the codec's name
/// and settings (`None` when not written: then `default`).
///
/// # Errors
/// Unknown or JVM-bound codec, invalid codec settings, a codec the plugin does not take, or a
/// codec option sluice-agent does not honour (a charset other than UTF-8, another delimiter).
pub(crate) fn resolve(
    settings: &Settings,
    allowed: &[&str],
    default: &str,
) -> crate::Result<(String, Option<Settings>)> {
    let Some(p) = settings.codec("codec") else {
        return Ok((default.to_string(), None));
    };
    let Some(schema) = schema(&p.name) else {
        return Err(crate::registry::unknown(p));
    };
    let cs = validate::validate(p, &schema)?;
    if !allowed.contains(&p.name.as_str()) {
        return Err(settings.invalid(
            "codec",
            &format!(
                "codec {} is not supported by the {} plugin in sluice-agent (supported: {})",
                p.name,
                settings.plugin_name(),
                allowed.join(", ")
            ),
        ));
    }
    if cs
        .string("charset")
        .is_some_and(|c| !c.eq_ignore_ascii_case("UTF-8"))
    {
        return Err(cs.invalid("charset", "only UTF-8 is supported"));
    }
    if cs.is_set("delimiter") && cs.string("delimiter") != Some("\n") {
        return Err(cs.invalid("delimiter", "only \"\\n\" is supported"));
    }
    if cs.is_set("target") || cs.is_set("format") {
        let name = if cs.is_set("target") {
            "target"
        } else {
            "format"
        };
        return Err(cs.invalid(
            name,
            &format!("the {name} option of codecs is not supported"),
        ));
    }
    Ok((p.name.clone(), Some(cs)))
}
