//! `tcp` input (server mode): one connection task per client, lines framed with
//! [`ndjson_codec::NdjsonDecoder`].
//!
//! Connection metadata, as Logstash 8's tcp input adds it: with `ecs_compatibility` `v8` (the
//! default) `[@metadata][input][tcp][source][ip]`, `[...][port]` and `[...][name]` (the peer IP; no
//! reverse DNS); with `disabled` the top-level fields `host` (peer IP) and `port`.

use std::net::SocketAddr;
use std::sync::Arc;

use log_model::Timestamp;

use bytes::BytesMut;
use ndjson_codec::NdjsonDecoder;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_util::codec::Decoder;

use super::{BoxFuture, CommonInput, Ecs, InputArgs, InputContext, InputPlugin, LineDecoder};
use crate::codec::decoder_config;
use crate::config::PluginKind;
use crate::config::validate::{Default as D, OptSpec, OptType as T, Schema};
use crate::monitor::stats;
use crate::{Error, Result};

/// Settings of the `tcp` input.
#[derive(Debug, Clone)]
pub struct TcpInput {
    /// Common options (codec default `line`, as Logstash).
    pub common: CommonInput,
    /// `host`, default `127.0.0.1` (Logstash: `0.0.0.0`; see the module docs of [`super`]).
    pub host: String,
    /// `port` (required).
    pub port: u16,
    /// `ecs_compatibility`, default `v8`.
    pub ecs: Ecs,
    /// Binding a non-loopback host is allowed.
    pub allow_remote: bool,
    /// Add the `v8` connection metadata under `@metadata` (set to `false` when nothing in the
    /// pipeline can see `@metadata`; `disabled`'s top-level `host`/`port` are always added).
    pub metadata: bool,
}

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Input,
        "tcp",
        vec![
            OptSpec::new("port", T::Number).required(),
            OptSpec::new("host", T::String).default(D::Str("127.0.0.1")),
            OptSpec::new("mode", T::OneOf(&["server", "client"])).default(D::Str("server")),
            OptSpec::new("codec", T::Codec).default(D::Str("line")),
            super::ecs_opt(),
            OptSpec::new("ssl_enabled", T::Boolean).default(D::Bool(false)),
            OptSpec::new("ssl_enable", T::Boolean).default(D::Bool(false)),
            OptSpec::new("tcp_keep_alive", T::Boolean).default(D::Bool(false)),
            OptSpec::new("dns_reverse_lookup_enabled", T::Boolean).default(D::Bool(true)),
            OptSpec::new("proxy_protocol", T::Boolean).default(D::Bool(false)),
        ],
    )
}

pub(super) fn build(a: InputArgs<'_>) -> Result<Box<dyn InputPlugin>> {
    let s = a.settings;
    super::unsupported_if(
        s,
        "mode",
        s.string("mode") == Some("client"),
        "mode => client is not supported",
    )?;
    for tls in ["ssl_enabled", "ssl_enable"] {
        super::unsupported_if(
            s,
            tls,
            s.boolean(tls) == Some(true),
            "TLS on the tcp input is not supported",
        )?;
    }
    super::unsupported_if(
        s,
        "proxy_protocol",
        s.boolean("proxy_protocol") == Some(true),
        "proxy_protocol is not supported",
    )?;
    Ok(Box::new(TcpInput {
        common: a.common,
        host: s.string("host").unwrap_or("127.0.0.1").to_owned(),
        port: super::port(s)?,
        ecs: a.ecs,
        allow_remote: a.allow_remote,
        metadata: a.metadata,
    }))
}

impl InputPlugin for TcpInput {
    fn common(&self) -> &CommonInput {
        &self.common
    }

    fn start(self: Box<Self>, ctx: InputContext) -> BoxFuture<Result<BoxFuture<Result<()>>>> {
        Box::pin(async move {
            let bound = self.bind().await?;
            let task: BoxFuture<Result<()>> = Box::pin(bound.run(ctx));
            Ok(task)
        })
    }
}

/// A bound tcp input.
#[derive(Debug)]
pub struct BoundTcp {
    input: TcpInput,
    listener: TcpListener,
}

impl TcpInput {
    pub(crate) async fn bind(self) -> Result<BoundTcp> {
        super::check_bind("tcp", &self.host, self.allow_remote)?;
        let addr = format!("{}:{}", self.host, self.port);
        let listener = TcpListener::bind(&addr).await.map_err(|e| {
            Error::io(
                format!("tcp input {}: cannot bind {addr}", self.common.id),
                e,
            )
        })?;
        tracing::info!(id = %self.common.id, %addr, "tcp input listening");
        Ok(BoundTcp {
            input: self,
            listener,
        })
    }
}

impl BoundTcp {
    pub(crate) async fn run(self, ctx: InputContext) -> Result<()> {
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                () = ctx.shutdown.cancelled() => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let input = self.input.clone();
                        let ctx = ctx.clone();
                        conns.spawn(async move { connection(input, ctx, stream, peer).await });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "tcp input: accept failed");
                    }
                },
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
        drop(self.listener);
        while conns.join_next().await.is_some() {}
        Ok(())
    }
}

fn metadata(ecs: Ecs, add_metadata: bool, peer: SocketAddr) -> Vec<(&'static str, Value)> {
    let ip = peer.ip().to_string();
    match ecs {
        Ecs::Disabled => vec![("host", json!(ip)), ("port", json!(peer.port()))],
        Ecs::V8 if !add_metadata => Vec::new(),
        Ecs::V8 => vec![(
            "@metadata",
            json!({"input": {"tcp": {"source": {"ip": ip, "port": peer.port(), "name": ip}}}}),
        )],
    }
}

async fn connection(input: TcpInput, ctx: InputContext, mut stream: TcpStream, peer: SocketAddr) {
    stats::add(&ctx.stats.connections, 1);
    tracing::debug!(%peer, "tcp input: connection opened");
    let limit = input.common.decode_size_limit;
    let mut decoder = NdjsonDecoder::with_config(decoder_config(limit));
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let meta = metadata(input.ecs, input.metadata, peer);
    let lines = Arc::new(LineDecoder::new(
        input.common.clone(),
        ctx.stats.clone(),
        move |ev| add_metadata(ev, &meta),
    ));
    let mut ml = input.common.multiline.as_ref().map(|m| m.start());
    loop {
        let flush_after = ml.as_ref().and_then(|m| m.flush_after());
        let read = tokio::select! {
            () = ctx.shutdown.cancelled() => break,
            r = stream.read_buf(&mut buf) => r,
            () = sleep_or_never(flush_after) => {
                // auto_flush_interval: no line came for that long; the pending event goes
                if ctx.push_stream(&lines, ml.as_mut(), Vec::new(), Timestamp::now(), true).await.is_err() {
                    break;
                }
                continue;
            }
        };
        let eof = match read {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => {
                tracing::debug!(%peer, error = %e, "tcp input: read failed");
                true
            }
        };
        let received = Timestamp::now();
        let mut frames = Vec::new();
        loop {
            let frame = if eof {
                decoder.decode_eof(&mut buf)
            } else {
                decoder.decode(&mut buf)
            };
            match frame {
                Ok(Some(f)) => frames.push(f),
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(%peer, error = %e, "tcp input: decode failed");
                    break;
                }
            }
        }
        if let Err(e) = ctx
            .push_stream(&lines, ml.as_mut(), frames, received, eof)
            .await
        {
            tracing::debug!(%peer, error = %e, "tcp input: events not accepted (shutting down)");
            break;
        }
        if eof {
            break;
        }
        if buf.capacity() - buf.len() < 8 * 1024 {
            buf.reserve(64 * 1024);
        }
    }
    ctx.stats
        .connections
        .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    tracing::debug!(%peer, "tcp input: connection closed");
}

fn add_metadata(ev: &mut log_model::LogEvent, meta: &[(&'static str, Value)]) {
    for (k, v) in meta {
        match (ev.field(k), v) {
            (Some(Value::Object(_)), Value::Object(add)) => {
                if let Some(Value::Object(existing)) = ev.field_mut(k) {
                    for (ak, av) in add {
                        existing.entry(ak.clone()).or_insert_with(|| av.clone());
                    }
                }
            }
            (Some(_), _) => {}
            (None, _) => {
                ev.insert_field(*k, v.clone());
            }
        }
    }
}

/// Sleeps for `d`, or forever when there is nothing to wait for.
pub(crate) async fn sleep_or_never(d: Option<std::time::Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}
