//! Inputs ([`REGISTRY`]): `beats`, `file`, `gelf`, `generator`, `heartbeat`, `http`, `redis`, `stdin`, `syslog`,
//! `tcp`, `udp`, with
//! Logstash's option names.
//!
//! Every input decodes bytes with its codec (see [`crate::codec`]), applies the common input
//! options (`type`, `tags`, `add_field`), and pushes each read's events into the queue as one
//! batch; it does not read again until the queue accepted them, so a full queue stops reading
//! the sockets.
//!
//! Deviation from Logstash: `host` defaults to `127.0.0.1` (Logstash: `0.0.0.0`); binding a
//! non-loopback address requires the agent's `--allow-remote` flag (these inputs have no
//! authentication).

mod beats;
mod file;
pub mod gelf;
mod generator;
mod heartbeat;
mod http;
mod redis;
mod stdin;
mod syslog;
mod tcp;
mod udp;

pub use beats::decode_stream as decode_lumberjack;

use std::sync::Arc;
use std::time::Instant;

use log_model::{FieldRef, LogEvent, Template, Timestamp};
use ndjson_codec::Frame;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::codec::{Decoded, IngestTime, InputCodec, decode_frame};
use crate::config::Plugin;
use crate::config::validate::{self, Default as ConfigDefault, OptSpec, OptType, Schema, Settings};
use crate::monitor::stats::{self, EventCounters, PluginStats};
use crate::queue::{Lines, Queue};
use crate::{Error, Result};

pub use http::HttpInput;
pub use stdin::StdinInput;
pub use tcp::TcpInput;

/// `ecs_compatibility`: which connection metadata an input adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ecs {
    /// `disabled`: top-level `host` and `port` (Logstash 7 style).
    Disabled,
    /// `v1` / `v8` (the Logstash 8 default): `[@metadata][input][tcp][source][ip|port|name]`.
    V8,
}

impl Ecs {
    /// Parses `disabled`, `v1`, `v8`.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "disabled" => Some(Ecs::Disabled),
            "v1" | "v8" => Some(Ecs::V8),
            _ => None,
        }
    }
}

/// Options every input has: `type`, `tags`, `add_field`, `id`, `codec`.
#[derive(Debug, Clone)]
pub struct CommonInput {
    /// `id`, default `<name>_<n>`.
    pub id: String,
    /// `type`: set on events that have none.
    pub kind: Option<String>,
    /// `tags`: added to every event.
    pub tags: Vec<String>,
    /// `add_field`: sprintf'd and added.
    pub add_field: Vec<(String, String)>,
    /// The codec.
    pub codec: InputCodec,
    /// `decode_size_limit_bytes` of the codec.
    pub decode_size_limit: usize,
    /// The multiline codec, when it is the codec.
    pub multiline: Option<crate::codec::multiline::MultilineConfig>,
}

impl CommonInput {
    /// Defaults for an input named `id`, with a codec.
    #[must_use]
    pub fn new(id: impl Into<String>, codec: InputCodec) -> Self {
        CommonInput {
            id: id.into(),
            kind: None,
            tags: Vec::new(),
            add_field: Vec::new(),
            codec,
            decode_size_limit: crate::codec::DEFAULT_DECODE_SIZE_LIMIT,
            multiline: None,
        }
    }

    pub(crate) fn decorate(&self, ev: &mut LogEvent) {
        if let Some(t) = &self.kind
            && !ev.contains_field("type")
        {
            ev.insert_field("type", Value::String(t.clone()));
        }
        for t in &self.tags {
            ev.add_tag(t);
        }
        for (k, v) in &self.add_field {
            let name = render(k, ev);
            let value = render(v, ev);
            let Ok(field) = FieldRef::parse(&name) else {
                continue;
            };
            match ev.get(&field).cloned() {
                None => {
                    ev.insert(&field, Value::String(value));
                }
                Some(Value::Array(mut a)) => {
                    a.push(Value::String(value));
                    ev.insert(&field, Value::Array(a));
                }
                Some(old) => {
                    ev.insert(&field, Value::Array(vec![old, Value::String(value)]));
                }
            }
        }
    }
}

fn render(s: &str, ev: &LogEvent) -> String {
    match Template::parse(s) {
        Ok(t) => t.render(ev),
        Err(_) => s.to_string(),
    }
}

/// A future an input returns (boxed: inputs are trait objects).
pub type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'static>>;

/// An input plugin, built and ready to start.
///
/// Inputs are not line-shaped: [`InputPlugin::start`] gets an [`InputContext`] and pushes
/// whole events ([`InputContext::push`], which returns once the queue took them, so a protocol
/// can acknowledge after it) or framed lines ([`InputContext::push_lines`], decoded later by a
/// worker).
pub trait InputPlugin: Send + std::fmt::Debug {
    /// The common options.
    fn common(&self) -> &CommonInput;
    /// Binds what must be bound (so start-up fails early on a busy port), then returns the
    /// task that runs the input until `ctx.shutdown` is cancelled or the input ends.
    fn start(self: Box<Self>, ctx: InputContext) -> BoxFuture<Result<BoxFuture<Result<()>>>>;
}

/// One configured input: a plugin and its registry name.
#[derive(Debug)]
pub struct Input {
    name: &'static str,
    plugin: Box<dyn InputPlugin>,
}

impl Input {
    /// The plugin name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The common options.
    #[must_use]
    pub fn common(&self) -> &CommonInput {
        self.plugin.common()
    }

    /// Binds listening sockets, then returns the task that runs the input until
    /// `ctx.shutdown` is cancelled or the input ends (stdin EOF).
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn start(self, ctx: InputContext) -> Result<BoxFuture<Result<()>>> {
        self.plugin.start(ctx).await
    }
}

/// What an input's `build` gets: its validated settings and what is common to every input.
#[derive(Debug)]
pub(crate) struct InputArgs<'a> {
    /// Validated settings.
    pub settings: &'a Settings,
    /// `id`, `type`, `tags`, `add_field`, the codec.
    pub common: CommonInput,
    /// The codec's name and validated settings (`None`: not written, the default).
    pub codec: (String, Option<Settings>),
    /// `ecs_compatibility`.
    pub ecs: Ecs,
    /// The agent's `--allow-remote`.
    pub allow_remote: bool,
    /// Whether anything in the pipeline reads `@metadata`.
    pub metadata: bool,
    /// The memory budget of the `http` inputs (all of them together).
    pub http_budget: &'a http_serve::Budget,
}

/// One row of the input registry.
pub struct InputSpec {
    /// The plugin name (`tcp`).
    pub name: &'static str,
    /// Its options (with the common input options).
    pub schema: fn() -> Schema,
    /// The codecs it takes; the first is its default.
    pub codecs: &'static [&'static str],
    pub(crate) build: fn(InputArgs<'_>) -> Result<Box<dyn InputPlugin>>,
}

impl std::fmt::Debug for InputSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputSpec")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The codecs line-framed inputs take.
pub(crate) const LINE_CODECS: &[&str] =
    &["line", "json_lines", "plain", "json", "multiline", "cef"];

/// Every input plugin: adding one is a new module and one line here.
#[rustfmt::skip]
pub static REGISTRY: &[InputSpec] = &[
    InputSpec { name: "beats", schema: beats::schema, codecs: &["plain", "json", "line"], build: beats::build },
    InputSpec { name: "file", schema: file::schema, codecs: &["plain", "line", "json", "json_lines", "multiline", "cef"], build: file::build },
    InputSpec { name: "gelf", schema: gelf::schema, codecs: &["plain"], build: gelf::build },
    InputSpec { name: "generator", schema: generator::schema, codecs: &["plain", "line", "json", "json_lines"], build: generator::build },
    InputSpec { name: "heartbeat", schema: heartbeat::schema, codecs: &["plain"], build: heartbeat::build },
    InputSpec { name: "http", schema: http::schema, codecs: &["plain", "json", "json_lines", "line"], build: http::build },
    InputSpec { name: "redis", schema: redis::schema, codecs: &["json", "plain", "line", "json_lines", "cef"], build: redis::build },
    InputSpec { name: "stdin", schema: stdin::schema, codecs: &["line", "json_lines", "plain", "json", "multiline", "cef"], build: stdin::build },
    InputSpec { name: "syslog", schema: syslog::schema, codecs: &["plain"], build: syslog::build },
    InputSpec { name: "tcp", schema: tcp::schema, codecs: LINE_CODECS, build: tcp::build },
    InputSpec { name: "udp", schema: udp::schema, codecs: &["plain", "line", "json", "json_lines", "cef"], build: udp::build },
];

/// The registry row of input `name`.
#[must_use]
pub fn lookup(name: &str) -> Option<&'static InputSpec> {
    REGISTRY.iter().find(|p| p.name == name)
}

/// Validates and builds one input.
///
/// # Errors
/// Unknown or unsupported plugin, invalid settings or codec.
pub(crate) fn build(
    plugin: &Plugin,
    allow_remote: bool,
    metadata: bool,
    http_budget: &http_serve::Budget,
) -> Result<Input> {
    let Some(spec) = lookup(&plugin.name) else {
        return Err(crate::registry::unknown(plugin));
    };
    let s = validate::validate(plugin, &(spec.schema)())?;
    let default = spec.codecs.first().copied().unwrap_or("plain");
    let (codec_name, codec_settings) = crate::codec::resolve(&s, spec.codecs, default)?;
    let mut common = CommonInput::new(
        s.string("id")
            .map_or_else(|| format!("{}@{}", plugin.name, plugin.span), str::to_owned),
        match (&codec_name[..], &codec_settings) {
            ("cef", Some(cs)) => InputCodec::Cef(Arc::new(crate::codec::cef::Cef::new(cs)?)),
            (name, _) => InputCodec::from_name(name).unwrap_or(InputCodec::Line),
        },
    );
    if let Some(cs) = &codec_settings {
        if let Some(limit) = cs.integer("decode_size_limit_bytes") {
            common.decode_size_limit = usize::try_from(limit)
                .ok()
                .filter(|l| *l > 0)
                .ok_or_else(|| cs.invalid("decode_size_limit_bytes", "must be positive"))?;
        }
        if codec_name == "multiline" {
            common.multiline = Some(crate::codec::multiline::MultilineConfig::new(cs)?);
        }
    }
    common.kind = s.string("type").map(str::to_string);
    common.tags = s.strings("tags");
    common.add_field = s
        .hash("add_field")
        .map(|h| {
            h.iter()
                .map(|(k, v)| (k.clone(), validate::json_text(v)))
                .collect()
        })
        .unwrap_or_default();
    let ecs = s
        .string("ecs_compatibility")
        .and_then(Ecs::from_name)
        .unwrap_or(Ecs::V8);
    let plugin = (spec.build)(InputArgs {
        settings: &s,
        common,
        codec: (codec_name, codec_settings),
        ecs,
        allow_remote,
        metadata,
        http_budget,
    })?;
    Ok(Input {
        name: spec.name,
        plugin,
    })
}

/// `port` as a TCP/UDP port.
pub(crate) fn port(settings: &Settings) -> Result<u16> {
    let p = settings.integer("port").unwrap_or(0);
    u16::try_from(p).ok().filter(|p| *p > 0).ok_or_else(|| {
        settings.invalid(
            "port",
            &format!("port must be between 1 and 65535, got {p}"),
        )
    })
}

/// Refuses an option value sluice-agent does not implement, naming it.
pub(crate) fn unsupported_if(settings: &Settings, name: &str, on: bool, why: &str) -> Result<()> {
    if on {
        return Err(settings.invalid(name, why));
    }
    Ok(())
}

/// `ecs_compatibility` as every input declares it.
pub(crate) fn ecs_opt() -> OptSpec {
    OptSpec::new(
        "ecs_compatibility",
        OptType::OneOf(&["disabled", "v1", "v8"]),
    )
    .default(ConfigDefault::Str("v8"))
}

/// How a stream input turns one framed line into an event: the codec, the connection's
/// additions, the common options. Shared by the lines of one connection (see
/// [`crate::queue::Lines`]).
pub struct LineDecoder {
    common: CommonInput,
    stats: Arc<PluginStats>,
    /// What the input adds to each event (connection metadata, `host`).
    extra: Box<dyn Fn(&mut LogEvent) + Send + Sync>,
}

impl std::fmt::Debug for LineDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineDecoder")
            .field("input", &self.common.id)
            .finish_non_exhaustive()
    }
}

impl LineDecoder {
    pub(crate) fn new(
        common: CommonInput,
        stats: Arc<PluginStats>,
        extra: impl Fn(&mut LogEvent) + Send + Sync + 'static,
    ) -> Self {
        LineDecoder {
            common,
            stats,
            extra: Box::new(extra),
        }
    }

    /// One line through the codec, the input's additions and the common options.
    pub(crate) fn decode(&self, frame: Frame, at: &IngestTime) -> LogEvent {
        let d = decode_frame(frame, &self.common.codec, self.common.decode_size_limit, at);
        let mut ev = count_failures(&self.stats, d);
        (self.extra)(&mut ev);
        self.common.decorate(&mut ev);
        ev
    }
}

impl LineDecoder {
    /// A multiline codec's joined lines as one event (the `line` codec's, tagged).
    pub(crate) fn joined(&self, j: crate::codec::multiline::Joined, at: &IngestTime) -> LogEvent {
        let frame = Frame::Unvalidated {
            raw: bytes::Bytes::from(j.text.into_bytes()),
            offset: 0,
            line: 0,
        };
        let d = decode_frame(frame, &InputCodec::Line, usize::MAX, at);
        let mut ev = count_failures(&self.stats, d);
        for t in &j.tags {
            ev.add_tag(t);
        }
        (self.extra)(&mut ev);
        self.common.decorate(&mut ev);
        ev
    }
}

/// Counts a decoded event's codec failures; returns the event.
fn count_failures(stats: &PluginStats, d: Decoded) -> LogEvent {
    if d.parse_failure {
        stats::add(&stats.failures, 1);
    }
    if d.too_long {
        stats::add(&stats.too_long, 1);
        stats::add(&stats.failures, 1);
    }
    d.event
}

/// What a running input needs.
#[derive(Clone, Debug)]
pub struct InputContext {
    /// Where events go.
    pub queue: Queue,
    /// This input's counters.
    pub stats: Arc<PluginStats>,
    /// Pipeline-wide counters.
    pub events: Arc<EventCounters>,
    /// Cancelled on shutdown.
    pub shutdown: CancellationToken,
}

impl InputContext {
    /// Decorates decoded events and pushes them; waits while the queue is full.
    pub(crate) async fn push(&self, common: &CommonInput, decoded: Vec<Decoded>) -> Result<()> {
        if decoded.is_empty() {
            return Ok(());
        }
        let mut events = Vec::with_capacity(decoded.len());
        for d in decoded {
            let mut ev = count_failures(&self.stats, d);
            common.decorate(&mut ev);
            events.push(ev);
        }
        let n = events.len() as u64;
        self.counted(n, self.queue.push(events)).await
    }
}

impl InputContext {
    /// Pushes the lines of one read (decoded by a worker, or now for the persisted queue);
    /// waits while the queue is full.
    pub(crate) async fn push_lines(
        &self,
        decoder: &Arc<LineDecoder>,
        frames: Vec<Frame>,
        received: Timestamp,
    ) -> Result<()> {
        if frames.is_empty() {
            return Ok(());
        }
        let n = frames.len() as u64;
        let lines = Lines {
            frames,
            received,
            decoder: decoder.clone(),
        };
        self.counted(n, self.queue.push_lines(lines)).await
    }

    /// Pushes events that are complete (decoded and decorated); waits while the queue is full
    /// and returns once the queue took them (a protocol acknowledges after this).
    pub(crate) async fn push_events(&self, events: Vec<LogEvent>) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let n = events.len() as u64;
        self.counted(n, self.queue.push(events)).await
    }

    /// The lines of one read of a stream: through the multiline codec when there is one
    /// (`ml`), else queued undecoded; `eof` flushes a pending multiline event.
    pub(crate) async fn push_stream(
        &self,
        decoder: &Arc<LineDecoder>,
        ml: Option<&mut crate::codec::multiline::Multiline>,
        frames: Vec<Frame>,
        received: Timestamp,
        eof: bool,
    ) -> Result<()> {
        let Some(ml) = ml else {
            return self.push_lines(decoder, frames, received).await;
        };
        let at = IngestTime::new(received);
        let mut events = Vec::new();
        for f in frames {
            let Some(raw) = f.raw() else {
                events.push(decoder.decode(f, &at));
                continue;
            };
            let text = String::from_utf8_lossy(raw);
            let text = text.strip_suffix('\r').unwrap_or(&text).to_owned();
            for j in ml.push(text) {
                events.push(decoder.joined(j, &at));
            }
        }
        if eof && let Some(j) = ml.flush() {
            events.push(decoder.joined(j, &at));
        }
        self.push_events(events).await
    }

    /// Runs a push of `n` events until it is done or shutdown begins, and counts it.
    async fn counted(
        &self,
        n: u64,
        push: impl std::future::Future<Output = Result<()>>,
    ) -> Result<()> {
        let start = Instant::now();
        let res = tokio::select! {
            r = push => r,
            () = self.shutdown.cancelled() => Err(Error::Closed),
        };
        let ms = start.elapsed().as_millis() as u64;
        stats::add(&self.stats.queue_push_duration_ms, ms);
        stats::add(&self.events.queue_push_duration_ms, ms);
        res?;
        stats::add(&self.stats.events_out, n);
        stats::add(&self.events.events_in, n);
        Ok(())
    }
}

/// Refuses non-loopback addresses unless `allow_remote`.
pub(crate) fn check_bind(plugin: &str, host: &str, allow_remote: bool) -> Result<()> {
    if http_serve::check_listen(host, allow_remote).is_ok() {
        return Ok(());
    }
    Err(Error::Setting(format!(
        "{plugin} input: refusing to listen on {host} without authentication; \
         start the agent with --allow-remote to bind a non-loopback address"
    )))
}
