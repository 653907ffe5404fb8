//! `gelf` input: Graylog Extended Log Format messages over UDP (logstash-input-gelf), as Docker's
//! `gelf` logging driver and the GELF logging libraries send them.
//!
//! A datagram is a whole message or one chunk of one (magic `0x1e 0x0f`, an 8-byte message id,
//! the chunk's number and the count, at most 128); a message is JSON, plain or compressed with
//! zlib or gzip. Chunks are put back together in [`Assembler`], whose memory is bounded: at most
//! [`MAX_PENDING_BYTES`] of incomplete messages, each dropped [`CHUNK_TIMEOUT`] after its first
//! chunk (GELF's five seconds), and a message that inflates past [`MAX_MESSAGE_BYTES`] is
//! dropped; every drop is counted in a warning.
//!
//! The event, as Logstash makes it: the GELF fields, `source_host` (the sender's address), a
//! numeric `timestamp` as `@timestamp`; with `remap` (default) `full_message` (or else
//! `short_message`) becomes `message`; with `strip_leading_underscore` (default) `_foo`
//! becomes `foo`. A message that is not JSON becomes a `message` tagged `_jsonparsefailure`.
//! Listens on 127.0.0.1 unless `--allow-remote` (Logstash: 0.0.0.0). GELF over TCP
//! (`use_tcp => true`) is refused by name.

use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use log_model::{LogEvent, Timestamp};
use serde_json::{Map, Value};
use tokio::net::UdpSocket;

use super::{BoxFuture, CommonInput, InputArgs, InputContext, InputPlugin};
use crate::codec::{IngestTime, stamp_at};
use crate::config::PluginKind;
use crate::config::validate::{Default as D, OptSpec, OptType as T, Schema};
use crate::{Error, Result};

/// Most bytes of incomplete chunked messages held at once.
pub const MAX_PENDING_BYTES: usize = 32 << 20;
/// Most bytes of one message once decompressed.
pub const MAX_MESSAGE_BYTES: usize = 8 << 20;
/// How long the chunks of a message are waited for.
pub const CHUNK_TIMEOUT: Duration = Duration::from_secs(5);
/// GELF's most chunks per message.
const MAX_CHUNKS: usize = 128;

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Input,
        "gelf",
        vec![
            OptSpec::new("host", T::String).default(D::Str("127.0.0.1")),
            OptSpec::new("port", T::Number).default(D::Int(12_201)),
            OptSpec::new("port_udp", T::Number),
            OptSpec::new("port_tcp", T::Number),
            OptSpec::new("use_udp", T::Boolean).default(D::Bool(true)),
            OptSpec::new("use_tcp", T::Boolean).default(D::Bool(false)),
            OptSpec::new("remap", T::Boolean).default(D::Bool(true)),
            OptSpec::new("strip_leading_underscore", T::Boolean).default(D::Bool(true)),
            OptSpec::new("codec", T::Codec).default(D::Str("plain")),
        ],
    )
}

pub(super) fn build(a: InputArgs<'_>) -> Result<Box<dyn InputPlugin>> {
    let s = a.settings;
    if s.boolean("use_tcp") == Some(true) {
        return Err(s.invalid(
            "use_tcp",
            "GELF over TCP is not supported by sluice-agent yet (use_tcp => true); GELF over UDP is",
        ));
    }
    if s.boolean("use_udp") == Some(false) {
        return Err(s.invalid("use_udp", "the gelf input needs use_udp => true"));
    }
    let port = s
        .integer("port_udp")
        .or_else(|| s.integer("port"))
        .and_then(|p| u16::try_from(p).ok())
        .filter(|p| *p > 0)
        .ok_or_else(|| s.invalid("port", "port must be between 1 and 65535"))?;
    Ok(Box::new(GelfInput {
        host: s.string("host").unwrap_or("127.0.0.1").to_owned(),
        port,
        remap: s.boolean("remap").unwrap_or(true),
        strip: s.boolean("strip_leading_underscore").unwrap_or(true),
        allow_remote: a.allow_remote,
        common: a.common,
    }))
}

#[derive(Debug)]
struct GelfInput {
    common: CommonInput,
    host: String,
    port: u16,
    remap: bool,
    strip: bool,
    allow_remote: bool,
}

impl InputPlugin for GelfInput {
    fn common(&self) -> &CommonInput {
        &self.common
    }

    fn start(self: Box<Self>, ctx: InputContext) -> BoxFuture<Result<BoxFuture<Result<()>>>> {
        Box::pin(async move {
            super::check_bind("gelf", &self.host, self.allow_remote)?;
            let addr = format!("{}:{}", self.host, self.port);
            let socket = UdpSocket::bind(&addr).await.map_err(|e| {
                Error::io(
                    format!("gelf input {}: cannot bind {addr}", self.common.id),
                    e,
                )
            })?;
            tracing::info!(id = %self.common.id, %addr, "gelf input listening (udp)");
            let task: BoxFuture<Result<()>> = Box::pin(self.run(socket, ctx));
            Ok(task)
        })
    }
}

impl GelfInput {
    async fn run(self, socket: UdpSocket, ctx: InputContext) -> Result<()> {
        let mut buf = vec![0u8; 65_536];
        let mut assembler = Assembler::default();
        loop {
            let (n, peer) = tokio::select! {
                () = ctx.shutdown.cancelled() => return Ok(()),
                r = socket.recv_from(&mut buf) => match r {
                    Ok(x) => x,
                    Err(e) => { tracing::warn!(error = %e, "gelf input: receive failed"); continue; }
                },
            };
            let Some(message) = assembler.push(&buf[..n], Instant::now()) else {
                continue;
            };
            let mut ev = event(&message, peer, self.remap, self.strip);
            self.common.decorate(&mut ev);
            if ctx.push_events(vec![ev]).await.is_err() {
                return Ok(());
            }
        }
    }
}

/// One message being put back together.
#[derive(Debug)]
struct Pending {
    chunks: Vec<Option<Vec<u8>>>,
    have: usize,
    bytes: usize,
    since: Instant,
}

/// Puts GELF chunks back together and decompresses messages, within its memory budget.
#[derive(Debug, Default)]
pub struct Assembler {
    pending: HashMap<[u8; 8], Pending>,
    bytes: usize,
    dropped: u64,
}

impl Assembler {
    /// Takes one datagram; returns a whole message (decompressed) when this datagram completed
    /// one. Malformed, expired, over-budget and over-long messages are dropped and counted.
    pub fn push(&mut self, datagram: &[u8], now: Instant) -> Option<Vec<u8>> {
        self.expire(now);
        let whole = match datagram {
            [0x1e, 0x0f, rest @ ..] => self.chunk(rest, now)?,
            _ => datagram.to_vec(),
        };
        match decompress(&whole) {
            Some(m) => Some(m),
            None => {
                self.drop_one("a message that does not decompress, or is over the size limit");
                None
            }
        }
    }

    /// Incomplete messages dropped so far.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn drop_one(&mut self, why: &str) {
        self.dropped += 1;
        tracing::warn!(dropped = self.dropped, "gelf input: dropped {why}");
    }

    fn expire(&mut self, now: Instant) {
        let before = self.pending.len();
        let mut freed = 0;
        self.pending.retain(|_, p| {
            let keep = now.saturating_duration_since(p.since) < CHUNK_TIMEOUT;
            if !keep {
                freed += p.bytes;
            }
            keep
        });
        self.bytes -= freed;
        for _ in self.pending.len()..before {
            self.drop_one("a chunked message whose chunks did not all come in time");
        }
    }

    fn chunk(&mut self, rest: &[u8], now: Instant) -> Option<Vec<u8>> {
        let (Some(id), Some(&seq), Some(&count)) = (rest.get(..8), rest.get(8), rest.get(9)) else {
            self.drop_one("a chunk shorter than its header");
            return None;
        };
        let (seq, count) = (usize::from(seq), usize::from(count));
        if count == 0 || count > MAX_CHUNKS || seq >= count {
            self.drop_one("a chunk with a bad number or count");
            return None;
        }
        let data = &rest[10..];
        let mut key = [0u8; 8];
        key.copy_from_slice(id);
        while self.bytes + data.len() > MAX_PENDING_BYTES {
            let Some(oldest) = self
                .pending
                .iter()
                .min_by_key(|(_, p)| p.since)
                .map(|(k, _)| *k)
            else {
                break;
            };
            if let Some(p) = self.pending.remove(&oldest) {
                self.bytes -= p.bytes;
            }
            self.drop_one("a chunked message (pending chunks over their memory budget)");
        }
        if self.bytes + data.len() > MAX_PENDING_BYTES {
            self.drop_one("a chunk larger than the memory budget");
            return None;
        }
        let p = self.pending.entry(key).or_insert_with(|| Pending {
            chunks: vec![None; count],
            have: 0,
            bytes: 0,
            since: now,
        });
        if p.chunks.len() != count {
            self.drop_one("a chunk whose count differs from its message's");
            return None;
        }
        if p.chunks[seq].is_none() {
            p.chunks[seq] = Some(data.to_vec());
            p.have += 1;
            p.bytes += data.len();
            self.bytes += data.len();
        }
        if p.have < count {
            return None;
        }
        let p = self.pending.remove(&key)?;
        self.bytes -= p.bytes;
        Some(p.chunks.into_iter().flatten().flatten().collect())
    }
}

/// The message's JSON: gzip (`1f 8b`) or zlib (`78 ..`) inflated, anything else as is;
/// `None` when it does not inflate or is over [`MAX_MESSAGE_BYTES`].
fn decompress(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let limit = MAX_MESSAGE_BYTES as u64 + 1;
    let read = match data {
        [0x1f, 0x8b, ..] => flate2::read::GzDecoder::new(data)
            .take(limit)
            .read_to_end(&mut out),
        [0x78, ..] => flate2::read::ZlibDecoder::new(data)
            .take(limit)
            .read_to_end(&mut out),
        _ => {
            out.extend_from_slice(data);
            Ok(out.len())
        }
    };
    (read.is_ok() && out.len() <= MAX_MESSAGE_BYTES).then_some(out)
}

/// The event of one GELF message, as logstash-input-gelf makes it.
#[must_use]
pub fn event(message: &[u8], peer: SocketAddr, remap: bool, strip: bool) -> LogEvent {
    let clock = IngestTime::new(Timestamp::now());
    let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(message) else {
        let mut ev = LogEvent::new();
        ev.insert_field(
            "message",
            Value::String(String::from_utf8_lossy(message).into_owned()),
        );
        ev.add_tag("_jsonparsefailure");
        ev.insert_field("source_host", Value::String(peer.ip().to_string()));
        stamp_at(&mut ev, &clock);
        return ev;
    };
    fields.insert("source_host".into(), Value::String(peer.ip().to_string()));
    let timestamp = match fields.get("timestamp") {
        Some(Value::Number(n)) => n.as_f64(),
        _ => None,
    };
    if timestamp.is_some() {
        fields.shift_remove("timestamp");
    }
    if remap {
        remap_message(&mut fields);
    }
    if strip {
        fields = fields
            .into_iter()
            .map(|(k, v)| match k.strip_prefix('_') {
                Some(bare) => (bare.to_owned(), v),
                None => (k, v),
            })
            .collect::<Map<String, Value>>();
    }
    let mut ev = LogEvent::from_map(fields);
    #[allow(clippy::cast_possible_truncation)]
    if let Some(ts) =
        timestamp.and_then(|t| Timestamp::from_epoch_millis((t * 1000.0).round() as i64).ok())
    {
        ev.set_timestamp(ts);
    }
    stamp_at(&mut ev, &clock);
    ev
}

fn remap_message(fields: &mut Map<String, Value>) {
    let non_empty = |v: Option<&Value>| match v {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    if let Some(full) = non_empty(fields.get("full_message")) {
        fields.shift_remove("full_message");
        if fields.get("short_message").and_then(Value::as_str) == Some(full.as_str()) {
            fields.shift_remove("short_message");
        }
        fields.insert("message".into(), Value::String(full));
    } else if let Some(short) = non_empty(fields.get("short_message")) {
        fields.shift_remove("short_message");
        fields.insert("message".into(), Value::String(short));
    }
}
