//! Inputs: `tcp`, `stdin` and `http`, with Logstash's option names.
//!
//! Every input decodes bytes with its codec (see [`crate::codec`]), applies the common input
//! options (`type`, `tags`, `add_field`), and pushes each read's events into the queue as one
//! batch; it does not read again until the queue accepted them, so a full queue stops reading
//! the sockets.
//!
//! Deviation from Logstash: `host` defaults to `127.0.0.1` (Logstash: `0.0.0.0`); binding a
//! non-loopback address requires the agent's `--allow-remote` flag (these inputs have no
//! authentication).

mod http;
mod stdin;
mod tcp;

use std::sync::Arc;
use std::time::Instant;

use log_model::{FieldRef, LogEvent, Template, Timestamp};
use ndjson_codec::Frame;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::codec::{Decoded, IngestTime, InputCodec, decode_frame};
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
        }
    }

    fn decorate(&self, ev: &mut LogEvent) {
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

/// One configured input.
#[derive(Debug)]
pub enum Input {
    /// `tcp`.
    Tcp(TcpInput),
    /// `stdin`.
    Stdin(StdinInput),
    /// `http`.
    Http(HttpInput),
}

impl Input {
    /// The plugin name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Input::Tcp(_) => "tcp",
            Input::Stdin(_) => "stdin",
            Input::Http(_) => "http",
        }
    }

    /// The common options.
    #[must_use]
    pub fn common(&self) -> &CommonInput {
        match self {
            Input::Tcp(i) => &i.common,
            Input::Stdin(i) => &i.common,
            Input::Http(i) => &i.common,
        }
    }

    /// Binds listening sockets (so start-up fails early on a busy port), then returns the task
    /// that runs the input until `ctx.shutdown` is cancelled or the input ends (stdin EOF).
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn start(
        self,
        ctx: InputContext,
    ) -> Result<impl std::future::Future<Output = Result<()>> + Send + 'static> {
        let fut: std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send>> =
            match self {
                Input::Tcp(i) => Box::pin(i.bind().await?.run(ctx)),
                Input::Stdin(i) => Box::pin(i.run(ctx)),
                Input::Http(i) => Box::pin(i.bind().await?.run(ctx)),
            };
        Ok(fut)
    }
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
        let d = decode_frame(frame, self.common.codec, self.common.decode_size_limit, at);
        let mut ev = count_failures(&self.stats, d);
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
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback || allow_remote {
        return Ok(());
    }
    Err(Error::Setting(format!(
        "{plugin} input: refusing to listen on {host} without authentication; \
         start the agent with --allow-remote to bind a non-loopback address"
    )))
}
