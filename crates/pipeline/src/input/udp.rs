//! `udp` input: one event per datagram (codec `plain`), or one per line with `line` /
//! `json_lines`. Adds the sender as `[host][ip]` (ECS) or `host` (`ecs_compatibility =>
//! disabled`). Listens on 127.0.0.1 unless `--allow-remote` (Logstash: 0.0.0.0).

use std::net::SocketAddr;

use bytes::Bytes;
use log_model::{LogEvent, Timestamp};
use ndjson_codec::Frame;
use serde_json::{Value, json};
use tokio::net::UdpSocket;

use super::{BoxFuture, CommonInput, Ecs, InputArgs, InputContext, InputPlugin};
use crate::codec::{IngestTime, decode_frame};
use crate::config::PluginKind;
use crate::config::validate::{Default as D, OptSpec, OptType as T, Schema};
use crate::{Error, Result};

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Input,
        "udp",
        vec![
            OptSpec::new("port", T::Number).required(),
            OptSpec::new("host", T::String).default(D::Str("127.0.0.1")),
            OptSpec::new("buffer_size", T::Number).default(D::Int(65_536)),
            OptSpec::new("codec", T::Codec).default(D::Str("plain")),
            OptSpec::new("workers", T::Number).default(D::Int(2)),
            OptSpec::new("queue_size", T::Number).default(D::Int(2000)),
            OptSpec::new("receive_buffer_bytes", T::Number),
            OptSpec::new("source_ip_fieldname", T::String),
            super::ecs_opt(),
        ],
    )
}

pub(super) fn build(a: InputArgs<'_>) -> Result<Box<dyn InputPlugin>> {
    let s = a.settings;
    let size = s.integer("buffer_size").unwrap_or(65_536);
    Ok(Box::new(UdpInput {
        host: s.string("host").unwrap_or("127.0.0.1").to_owned(),
        port: super::port(s)?,
        buffer: usize::try_from(size)
            .ok()
            .filter(|b| (1..=65_536).contains(b))
            .ok_or_else(|| s.invalid("buffer_size", "buffer_size must be between 1 and 65536"))?,
        source_field: s.string("source_ip_fieldname").map(str::to_owned),
        ecs: a.ecs,
        allow_remote: a.allow_remote,
        common: a.common,
        by_line: matches!(a.codec.0.as_str(), "line" | "json_lines"),
    }))
}

/// Settings of the `udp` input.
#[derive(Debug)]
struct UdpInput {
    common: CommonInput,
    host: String,
    port: u16,
    buffer: usize,
    source_field: Option<String>,
    ecs: Ecs,
    allow_remote: bool,
    by_line: bool,
}

impl InputPlugin for UdpInput {
    fn common(&self) -> &CommonInput {
        &self.common
    }

    fn start(self: Box<Self>, ctx: InputContext) -> BoxFuture<Result<BoxFuture<Result<()>>>> {
        Box::pin(async move {
            super::check_bind("udp", &self.host, self.allow_remote)?;
            let addr = format!("{}:{}", self.host, self.port);
            let socket = UdpSocket::bind(&addr).await.map_err(|e| {
                Error::io(
                    format!("udp input {}: cannot bind {addr}", self.common.id),
                    e,
                )
            })?;
            tracing::info!(id = %self.common.id, %addr, "udp input listening");
            let task: BoxFuture<Result<()>> = Box::pin(self.run(socket, ctx));
            Ok(task)
        })
    }
}

impl UdpInput {
    fn event(&self, raw: Bytes, peer: SocketAddr, at: &IngestTime) -> LogEvent {
        let frame = Frame::Unvalidated {
            raw,
            offset: 0,
            line: 0,
        };
        let mut ev =
            decode_frame(frame, &self.common.codec, self.common.decode_size_limit, at).event;
        let ip = peer.ip().to_string();
        match (&self.source_field, self.ecs) {
            (Some(f), _) => {
                if let Some(path) = crate::filter::field_path(f) {
                    ev.insert(&path, Value::String(ip));
                }
            }
            (None, Ecs::V8) => {
                if !ev.contains_field("host") {
                    ev.insert_field("host", json!({"ip": ip}));
                }
            }
            (None, Ecs::Disabled) => {
                ev.insert_field("host", Value::String(ip));
            }
        }
        self.common.decorate(&mut ev);
        ev
    }

    async fn run(self, socket: UdpSocket, ctx: InputContext) -> Result<()> {
        let mut buf = vec![0u8; self.buffer];
        loop {
            let (n, peer) = tokio::select! {
                () = ctx.shutdown.cancelled() => return Ok(()),
                r = socket.recv_from(&mut buf) => match r {
                    Ok(x) => x,
                    Err(e) => { tracing::warn!(error = %e, "udp input: receive failed"); continue; }
                },
            };
            let at = IngestTime::new(Timestamp::now());
            let data = Bytes::copy_from_slice(&buf[..n]);
            let events: Vec<LogEvent> = if self.by_line {
                data.split(|b| *b == b'\n')
                    .filter(|l| !l.is_empty())
                    .map(|l| self.event(Bytes::copy_from_slice(l), peer, &at))
                    .collect()
            } else {
                let text = data
                    .strip_suffix(b"\n")
                    .map_or(data.clone(), |t| data.slice(..t.len()));
                vec![self.event(text, peer, &at)]
            };
            if ctx.push_events(events).await.is_err() {
                return Ok(());
            }
        }
    }
}
