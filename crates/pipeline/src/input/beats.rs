//! `beats` input: the Lumberjack v2 protocol Filebeat, Metricbeat and the other Beats (and
//! Logstash's own lumberjack output) speak, as logstash-input-beats.
//!
//! A client sends a window size (`2W`), then data frames: JSON events (`2J` seq, length,
//! JSON) or key/value events (`2D`/`1D`), possibly inside zlib-compressed frames (`2C`). Once a
//! window's events are all received they are pushed to the queue, and only after the queue took
//! them is the window acknowledged (`2A` with the last sequence number); a client that gets no
//! ACK sends them again. While the queue is full, the client is kept waiting with ACKs of the
//! previous sequence number every few seconds, as Logstash does.
//!
//! Events keep their `@metadata` (`beat`, `type`, `version`) and `host`; the input adds the
//! peer's address as `[@metadata][input][beats][host][ip]` (ECS) or `[@metadata][ip_address]`
//! (legacy), and, with `include_codec_tag` (default), the tag `beats_input_codec_<codec>_applied`
//! to events with a `message` or `beats_input_raw_event` to the others.
//!
//! TLS: `ssl_enabled => true` with `ssl_certificate` and `ssl_key` (PEM); client certificates
//! are not requested. Frames are bounded: a window over [`MAX_WINDOW`] events or a frame over
//! [`MAX_FRAME`] bytes closes the connection.

use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use log_model::{LogEvent, Timestamp};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::{BoxFuture, CommonInput, Ecs, InputArgs, InputContext, InputPlugin};
use crate::codec::{IngestTime, stamp_at};
use crate::config::PluginKind;
use crate::config::validate::{Default as D, OptSpec, OptType as T, Schema};
use crate::{Error, Result};

/// Largest window accepted (events per acknowledgement).
pub const MAX_WINDOW: u32 = 1 << 16;
/// Largest frame (payload or compressed block) accepted, in bytes.
pub const MAX_FRAME: u32 = 64 * 1024 * 1024;

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Input,
        "beats",
        vec![
            OptSpec::new("port", T::Number).required(),
            OptSpec::new("host", T::String).default(D::Str("127.0.0.1")),
            OptSpec::new("codec", T::Codec).default(D::Str("plain")),
            OptSpec::new("ssl_enabled", T::Boolean).default(D::Bool(false)),
            OptSpec::new("ssl", T::Boolean).default(D::Bool(false)),
            OptSpec::new("ssl_certificate", T::Path),
            OptSpec::new("ssl_key", T::Path),
            OptSpec::new("ssl_key_passphrase", T::Password),
            OptSpec::new("ssl_certificate_authorities", T::Array).default(D::List(&[])),
            OptSpec::new(
                "ssl_client_authentication",
                T::OneOf(&["none", "optional", "required"]),
            )
            .default(D::Str("none")),
            OptSpec::new("ssl_verify_mode", T::OneOf(&["none", "peer", "force_peer"]))
                .default(D::Str("none")),
            OptSpec::new("ssl_handshake_timeout", T::Number).default(D::Int(10_000)),
            OptSpec::new("ssl_cipher_suites", T::Array),
            OptSpec::new("ssl_supported_protocols", T::Array),
            OptSpec::new("tls_min_version", T::Number),
            OptSpec::new("tls_max_version", T::Number),
            OptSpec::new("client_inactivity_timeout", T::Number).default(D::Int(60)),
            OptSpec::new("include_codec_tag", T::Boolean).default(D::Bool(true)),
            OptSpec::new("add_hostname", T::Boolean).default(D::Bool(false)),
            OptSpec::new("enrich", T::Array),
            OptSpec::new("executor_threads", T::Number),
            OptSpec::new("event_loop_threads", T::Number),
            super::ecs_opt(),
        ],
    )
}

pub(super) fn build(a: InputArgs<'_>) -> Result<Box<dyn InputPlugin>> {
    let s = a.settings;
    let tls = s.boolean("ssl_enabled") == Some(true) || s.boolean("ssl") == Some(true);
    let tls = if tls {
        let (Some(cert), Some(key)) = (s.string("ssl_certificate"), s.string("ssl_key")) else {
            return Err(s.invalid("ssl_certificate", "TLS needs ssl_certificate and ssl_key"));
        };
        if s.is_set("ssl_key_passphrase") {
            return Err(s.invalid(
                "ssl_key_passphrase",
                "encrypted keys are not supported; give an unencrypted PEM key",
            ));
        }
        Some(tls_acceptor(cert, key).map_err(|e| s.invalid("ssl_certificate", &e))?)
    } else {
        None
    };
    let client_auth = s.string("ssl_client_authentication").unwrap_or("none") != "none"
        || !matches!(s.string("ssl_verify_mode"), None | Some("none"));
    super::unsupported_if(
        s,
        "ssl_client_authentication",
        client_auth,
        "client certificate authentication is not supported by sluice-agent",
    )?;
    super::unsupported_if(
        s,
        "add_hostname",
        s.boolean("add_hostname") == Some(true),
        "add_hostname was removed in Logstash 8",
    )?;
    for unsupported in [
        "ssl_cipher_suites",
        "ssl_supported_protocols",
        "tls_min_version",
        "tls_max_version",
        "ssl_certificate_authorities",
    ] {
        // an empty list (`ssl_certificate_authorities => []`) asks for nothing
        let given = s.is_set(unsupported)
            && !matches!(s.get(unsupported), Some(crate::config::Typed::Array(a)) if a.is_empty());
        super::unsupported_if(
            s,
            unsupported,
            given,
            &format!("{unsupported} is not supported by sluice-agent"),
        )?;
    }
    let timeout = s.integer("client_inactivity_timeout").unwrap_or(60);
    Ok(Box::new(BeatsInput {
        host: s.string("host").unwrap_or("127.0.0.1").to_owned(),
        port: super::port(s)?,
        ecs: a.ecs,
        allow_remote: a.allow_remote,
        codec_tag: s
            .boolean("include_codec_tag")
            .unwrap_or(true)
            .then(|| format!("beats_input_codec_{}_applied", a.codec.0)),
        inactivity: Duration::from_secs(u64::try_from(timeout).unwrap_or(60).max(1)),
        tls,
        common: a.common,
    }))
}

fn tls_acceptor(cert: &str, key: &str) -> std::result::Result<tokio_rustls::TlsAcceptor, String> {
    let certs = rustls_pemfile::certs(&mut std::io::BufReader::new(
        std::fs::File::open(cert).map_err(|e| format!("{cert}: {e}"))?,
    ))
    .collect::<std::result::Result<Vec<_>, _>>()
    .map_err(|e| format!("{cert}: {e}"))?;
    let key = rustls_pemfile::private_key(&mut std::io::BufReader::new(
        std::fs::File::open(key).map_err(|e| format!("{key}: {e}"))?,
    ))
    .map_err(|e| format!("{key}: {e}"))?
    .ok_or_else(|| format!("{key}: no private key found"))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| format!("certificate and key do not go together: {e}"))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

struct BeatsInput {
    common: CommonInput,
    host: String,
    port: u16,
    ecs: Ecs,
    allow_remote: bool,
    codec_tag: Option<String>,
    inactivity: Duration,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

impl std::fmt::Debug for BeatsInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BeatsInput")
            .field("id", &self.common.id)
            .field("port", &self.port)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl InputPlugin for BeatsInput {
    fn common(&self) -> &CommonInput {
        &self.common
    }

    fn start(self: Box<Self>, ctx: InputContext) -> BoxFuture<Result<BoxFuture<Result<()>>>> {
        Box::pin(async move {
            super::check_bind("beats", &self.host, self.allow_remote)?;
            let addr = format!("{}:{}", self.host, self.port);
            let listener = TcpListener::bind(&addr).await.map_err(|e| {
                Error::io(
                    format!("beats input {}: cannot bind {addr}", self.common.id),
                    e,
                )
            })?;
            tracing::info!(id = %self.common.id, %addr, tls = self.tls.is_some(), "beats input listening");
            let task: BoxFuture<Result<()>> = Box::pin(Arc::new(*self).run(listener, ctx));
            Ok(task)
        })
    }
}

impl BeatsInput {
    async fn run(self: Arc<Self>, listener: TcpListener, ctx: InputContext) -> Result<()> {
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                () = ctx.shutdown.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let me = self.clone();
                        let ctx = ctx.clone();
                        conns.spawn(async move {
                            crate::monitor::stats::add(&ctx.stats.connections, 1);
                            let r = match &me.tls {
                                Some(acceptor) => match acceptor.accept(stream).await {
                                    Ok(s) => me.connection(s, peer, &ctx).await,
                                    Err(e) => Err(format!("TLS handshake failed: {e}")),
                                },
                                None => me.connection(stream, peer, &ctx).await,
                            };
                            ctx.stats.connections.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                            if let Err(e) = r {
                                tracing::debug!(%peer, error = %e, "beats input: connection closed");
                            }
                        });
                    }
                    Err(e) => tracing::warn!(error = %e, "beats input: accept failed"),
                },
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
        drop(listener);
        conns.shutdown().await;
        Ok(())
    }

    /// One client: windows of events, each acknowledged after the queue took it.
    async fn connection<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        mut stream: S,
        peer: SocketAddr,
        ctx: &InputContext,
    ) -> std::result::Result<(), String> {
        let mut window: u32 = 0;
        let mut version = b'2';
        let mut pending: Vec<LogEvent> = Vec::new();
        let mut last_seq: u32 = 0;
        loop {
            let mut frames = Vec::new();
            let header = tokio::select! {
                () = ctx.shutdown.cancelled() => return Ok(()),
                r = tokio::time::timeout(self.inactivity, read_frame(&mut stream)) => match r {
                    Err(_) => return Err("client inactivity timeout".into()),
                    Ok(Ok(Some(f))) => f,
                    Ok(Ok(None)) => return Ok(()),
                    Ok(Err(e)) => return Err(e),
                },
            };
            frames.push(header);
            while let Some(frame) = frames.pop() {
                match frame {
                    RawFrame::Window(v, n) => {
                        if n > MAX_WINDOW {
                            return Err(format!("window size {n} over {MAX_WINDOW}"));
                        }
                        version = v;
                        window = n;
                    }
                    RawFrame::Compressed(block) => {
                        let mut inner = Vec::new();
                        flate2::read::ZlibDecoder::new(&block[..])
                            .take(u64::from(MAX_FRAME) + 1)
                            .read_to_end(&mut inner)
                            .map_err(|e| format!("bad compressed frame: {e}"))?;
                        if inner.len() > MAX_FRAME as usize {
                            return Err("compressed frame inflates over the frame limit".into());
                        }
                        let mut cursor = std::io::Cursor::new(inner);
                        let mut nested = Vec::new();
                        while let Some(f) = read_frame(&mut cursor).await? {
                            nested.push(f);
                        }
                        nested.reverse();
                        frames.extend(nested);
                    }
                    RawFrame::Json(seq, payload) => {
                        last_seq = seq;
                        pending.push(self.event_from_json(&payload, peer));
                    }
                    RawFrame::Data(seq, pairs) => {
                        last_seq = seq;
                        pending.push(self.event_from_pairs(pairs, peer));
                    }
                }
            }
            if pending.len() > MAX_WINDOW as usize {
                return Err(format!(
                    "more than {MAX_WINDOW} events without a window size"
                ));
            }
            if window > 0 && pending.len() >= window as usize {
                let events = std::mem::take(&mut pending);
                self.push_and_ack(&mut stream, version, last_seq, events, ctx)
                    .await?;
            }
        }
    }

    async fn push_and_ack<S: AsyncWrite + Unpin>(
        &self,
        stream: &mut S,
        version: u8,
        seq: u32,
        events: Vec<LogEvent>,
        ctx: &InputContext,
    ) -> std::result::Result<(), String> {
        let push = ctx.push_events(events);
        tokio::pin!(push);
        let mut keepalive = tokio::time::interval(Duration::from_secs(5));
        keepalive.tick().await;
        loop {
            tokio::select! {
                r = &mut push => {
                    r.map_err(|e| format!("events not queued: {e}"))?;
                    break;
                }
                _ = keepalive.tick() => {
                    // still waiting for the queue: a keep-alive ACK of the previous window
                    write_ack(stream, version, seq.saturating_sub(1)).await?;
                }
            }
        }
        write_ack(stream, version, seq).await
    }

    fn decorate(&self, ev: &mut LogEvent, peer: SocketAddr) {
        let ip = peer.ip().to_string();
        let meta = match ev.field_mut("@metadata") {
            Some(Value::Object(m)) => m,
            _ => {
                ev.insert_field("@metadata", Value::Object(Map::new()));
                match ev.field_mut("@metadata") {
                    Some(Value::Object(m)) => m,
                    _ => return,
                }
            }
        };
        match self.ecs {
            Ecs::V8 => {
                meta.insert("input".into(), json!({"beats": {"host": {"ip": ip}}}));
            }
            Ecs::Disabled => {
                meta.insert("ip_address".into(), Value::String(ip));
            }
        }
        if let Some(tag) = &self.codec_tag {
            if ev.contains_field("message") {
                ev.add_tag(tag);
            } else {
                ev.add_tag("beats_input_raw_event");
            }
        }
        stamp_at(ev, &IngestTime::new(Timestamp::now()));
        self.common.decorate(ev);
    }

    fn event_from_json(&self, payload: &[u8], peer: SocketAddr) -> LogEvent {
        let mut ev = match serde_json::from_slice::<Value>(payload) {
            Ok(Value::Object(map)) => LogEvent::from_map(map),
            _ => {
                let mut ev = LogEvent::new();
                ev.insert_field(
                    "message",
                    Value::String(String::from_utf8_lossy(payload).into_owned()),
                );
                ev.add_tag("_jsonparsefailure");
                ev
            }
        };
        self.decorate(&mut ev, peer);
        ev
    }

    fn event_from_pairs(&self, pairs: Vec<(String, String)>, peer: SocketAddr) -> LogEvent {
        let mut ev = LogEvent::new();
        for (k, v) in pairs {
            if let Ok(path) = log_model::FieldRef::parse(&k) {
                ev.insert(&path, Value::String(v));
            }
        }
        self.decorate(&mut ev, peer);
        ev
    }
}

/// Decodes a whole Lumberjack v1/v2 byte stream the way a connection reads it (compressed
/// frames inflated, within [`MAX_FRAME`], and read in turn, nested at most 8 deep): the number
/// of events it carries, or the first error. For fuzzing and tests: it never panics.
///
/// # Errors
/// The first malformed, truncated or over-limit frame.
pub fn decode_stream(data: &[u8]) -> std::result::Result<usize, String> {
    fn decode(data: &[u8], depth: u8) -> std::result::Result<usize, String> {
        use std::future::Future as _;
        let mut cursor = std::io::Cursor::new(data);
        let mut events = 0;
        loop {
            // reading from memory never waits: one poll finishes the future
            let mut read = std::pin::pin!(read_frame(&mut cursor));
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            let std::task::Poll::Ready(frame) = read.as_mut().poll(&mut cx) else {
                return Err("reading from memory did not finish".into());
            };
            match frame? {
                None => return Ok(events),
                Some(RawFrame::Window(_, n)) if n > MAX_WINDOW => {
                    return Err(format!("window size {n} over {MAX_WINDOW}"));
                }
                Some(RawFrame::Window(..)) => {}
                Some(RawFrame::Json(..) | RawFrame::Data(..)) => events += 1,
                Some(RawFrame::Compressed(block)) => {
                    if depth >= 8 {
                        return Err("compressed frames nested too deep".into());
                    }
                    let mut inner = Vec::new();
                    flate2::read::ZlibDecoder::new(&block[..])
                        .take(u64::from(MAX_FRAME) + 1)
                        .read_to_end(&mut inner)
                        .map_err(|e| format!("bad compressed frame: {e}"))?;
                    if inner.len() > MAX_FRAME as usize {
                        return Err("compressed frame inflates over the frame limit".into());
                    }
                    events += decode(&inner, depth + 1)?;
                }
            }
        }
    }
    decode(data, 0)
}

/// One Lumberjack frame as read.
#[derive(Debug)]
enum RawFrame {
    Window(u8, u32),
    Compressed(Bytes),
    Json(u32, Bytes),
    Data(u32, Vec<(String, String)>),
}

async fn read_u32<R: AsyncRead + Unpin>(r: &mut R) -> std::result::Result<u32, String> {
    r.read_u32()
        .await
        .map_err(|e| format!("truncated frame: {e}"))
}

async fn read_bytes<R: AsyncRead + Unpin>(
    r: &mut R,
    len: u32,
) -> std::result::Result<Bytes, String> {
    if len > MAX_FRAME {
        return Err(format!(
            "frame of {len} bytes over the {MAX_FRAME}-byte limit"
        ));
    }
    let mut buf = vec![0u8; len as usize];
    r.read_exact(&mut buf)
        .await
        .map_err(|e| format!("truncated frame: {e}"))?;
    Ok(Bytes::from(buf))
}

/// Reads one frame; `None` at a clean end of stream.
async fn read_frame<R: AsyncRead + Unpin>(
    r: &mut R,
) -> std::result::Result<Option<RawFrame>, String> {
    let mut head = [0u8; 2];
    match r.read_exact(&mut head[..1]).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.to_string()),
    }
    r.read_exact(&mut head[1..])
        .await
        .map_err(|e| format!("truncated frame: {e}"))?;
    let [version, kind] = head;
    if version != b'1' && version != b'2' {
        return Err(format!("unknown protocol version {version:#04x}"));
    }
    Ok(Some(match kind {
        b'W' => RawFrame::Window(version, read_u32(r).await?),
        b'C' => {
            let len = read_u32(r).await?;
            RawFrame::Compressed(read_bytes(r, len).await?)
        }
        b'J' => {
            let seq = read_u32(r).await?;
            let len = read_u32(r).await?;
            RawFrame::Json(seq, read_bytes(r, len).await?)
        }
        b'D' => {
            let seq = read_u32(r).await?;
            let count = read_u32(r).await?;
            if count > 1 << 16 {
                return Err(format!("data frame with {count} pairs"));
            }
            let mut pairs = Vec::with_capacity(count as usize);
            for _ in 0..count {
                let klen = read_u32(r).await?;
                let k = read_bytes(r, klen).await?;
                let vlen = read_u32(r).await?;
                let v = read_bytes(r, vlen).await?;
                pairs.push((
                    String::from_utf8_lossy(&k).into_owned(),
                    String::from_utf8_lossy(&v).into_owned(),
                ));
            }
            RawFrame::Data(seq, pairs)
        }
        other => return Err(format!("unknown frame type {other:#04x}")),
    }))
}

async fn write_ack<S: AsyncWrite + Unpin>(
    s: &mut S,
    version: u8,
    seq: u32,
) -> std::result::Result<(), String> {
    let mut buf = [0u8; 6];
    buf[0] = version;
    buf[1] = b'A';
    buf[2..].copy_from_slice(&seq.to_be_bytes());
    s.write_all(&buf)
        .await
        .map_err(|e| format!("cannot write ACK: {e}"))?;
    s.flush()
        .await
        .map_err(|e| format!("cannot write ACK: {e}"))
}
