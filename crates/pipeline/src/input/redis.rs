//! `redis` input: events from a Redis list or Pub/Sub channel (logstash-input-redis), the
//! broker of the classic "shipper → Redis → indexer" deployments.
//!
//! - `data_type => list`: takes up to `batch_count` (default 125) items from the head of `key`
//!   at a time (`LRANGE` + `LTRIM` in one `MULTI`/`EXEC`, so two readers never get the same
//!   item), and waits with `BLPOP` (1 s) when the list is empty. As with Logstash, an item is
//!   removed from Redis when it is read: events in the memory queue are lost on a crash.
//! - `data_type => channel` / `pattern_channel`: `SUBSCRIBE` / `PSUBSCRIBE` to `key`.
//! - Each item or message is one payload for the codec (default `json`).
//! - `host`, `port` (6379), `db` (0), `password`, `timeout` (seconds to connect, default 5),
//!   `threads` (connections reading the list, default 1). On a lost connection the input logs
//!   it and reconnects after a second, as Logstash does. `ssl => true` and `path` (a Unix
//!   socket) are refused by name.

use std::time::Duration;

use bytes::Bytes;
use log_model::{LogEvent, Timestamp};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::{BoxFuture, CommonInput, InputArgs, InputContext, InputPlugin};
use crate::codec::{IngestTime, decode_frame};
use crate::config::PluginKind;
use crate::config::validate::{Default as D, OptSpec, OptType as T, Schema};
use crate::{Error, Result};

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Input,
        "redis",
        vec![
            OptSpec::new("host", T::String).default(D::Str("127.0.0.1")),
            OptSpec::new("port", T::Number).default(D::Int(6379)),
            OptSpec::new("path", T::String),
            OptSpec::new("ssl", T::Boolean).default(D::Bool(false)),
            OptSpec::new("db", T::Number).default(D::Int(0)),
            OptSpec::new("password", T::Password),
            OptSpec::new("timeout", T::Number).default(D::Int(5)),
            OptSpec::new("key", T::String).required(),
            OptSpec::new(
                "data_type",
                T::OneOf(&["list", "channel", "pattern_channel"]),
            )
            .required(),
            OptSpec::new("batch_count", T::Number).default(D::Int(125)),
            OptSpec::new("threads", T::Number).default(D::Int(1)),
            OptSpec::new("command_map", T::Hash),
            OptSpec::new("codec", T::Codec).default(D::Str("json")),
        ],
    )
}

pub(super) fn build(a: InputArgs<'_>) -> Result<Box<dyn InputPlugin>> {
    let s = a.settings;
    super::unsupported_if(
        s,
        "ssl",
        s.boolean("ssl") == Some(true),
        "ssl => true is not supported by sluice-agent's redis input",
    )?;
    super::unsupported_if(
        s,
        "path",
        s.is_set("path"),
        "path (a Unix socket) is not supported by sluice-agent's redis input; use host and port",
    )?;
    super::unsupported_if(
        s,
        "command_map",
        s.hash("command_map").is_some_and(|h| !h.is_empty()),
        "command_map is not supported by sluice-agent's redis input",
    )?;
    let positive = |name: &str, default: i64| -> Result<usize> {
        usize::try_from(s.integer(name).unwrap_or(default))
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| s.invalid(name, &format!("{name} must be positive")))
    };
    let data_type = match s.string("data_type") {
        Some("channel") => DataType::Channel,
        Some("pattern_channel") => DataType::PatternChannel,
        _ => DataType::List,
    };
    Ok(Box::new(RedisInput {
        host: s.string("host").unwrap_or("127.0.0.1").to_owned(),
        port: super::port(s)?,
        db: s.integer("db").unwrap_or(0),
        password: s.string("password").map(str::to_owned),
        connect_timeout: Duration::from_secs(positive("timeout", 5)? as u64),
        key: s.string("key").unwrap_or_default().to_owned(),
        data_type,
        batch: positive("batch_count", 125)?,
        threads: positive("threads", 1)?,
        common: a.common,
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataType {
    List,
    Channel,
    PatternChannel,
}

#[derive(Debug)]
struct RedisInput {
    common: CommonInput,
    host: String,
    port: u16,
    db: i64,
    password: Option<String>,
    connect_timeout: Duration,
    key: String,
    data_type: DataType,
    batch: usize,
    threads: usize,
}

impl InputPlugin for RedisInput {
    fn common(&self) -> &CommonInput {
        &self.common
    }

    fn start(self: Box<Self>, ctx: InputContext) -> BoxFuture<Result<BoxFuture<Result<()>>>> {
        Box::pin(async move {
            let me = std::sync::Arc::new(*self);
            let readers = if me.data_type == DataType::List {
                me.threads
            } else {
                1
            };
            let ctx = std::sync::Arc::new(ctx);
            let task: BoxFuture<Result<()>> = Box::pin(async move {
                let mut tasks = Vec::new();
                for _ in 0..readers {
                    let (me, ctx) = (me.clone(), ctx.clone());
                    tasks.push(tokio::spawn(async move { me.run(&ctx).await }));
                }
                for t in tasks {
                    t.await
                        .map_err(|e| Error::Setting(format!("redis input task failed: {e}")))??;
                }
                Ok(())
            });
            Ok(task)
        })
    }
}

impl RedisInput {
    /// Reads until shutdown, reconnecting after errors.
    async fn run(&self, ctx: &InputContext) -> Result<()> {
        loop {
            let r = tokio::select! {
                () = ctx.shutdown.cancelled() => return Ok(()),
                r = self.session(ctx) => r,
            };
            if let Err(e) = r {
                tracing::warn!(
                    id = %self.common.id, host = %self.host, port = self.port, key = %self.key,
                    error = %e, "redis input: connection failed, reconnecting in 1s"
                );
            } else {
                return Ok(());
            }
            tokio::select! {
                () = ctx.shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// One connection: authenticate, select the database, then read; `Ok` when the queue
    /// closed.
    async fn session(&self, ctx: &InputContext) -> std::io::Result<()> {
        let addr = format!("{}:{}", self.host, self.port);
        let stream = tokio::time::timeout(self.connect_timeout, TcpStream::connect(&addr))
            .await
            .map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("connecting to {addr}"),
                )
            })??;
        stream.set_nodelay(true)?;
        let mut conn = Conn {
            io: BufReader::new(stream),
            limit: self.common.decode_size_limit,
            out: Vec::new(),
        };
        if let Some(p) = &self.password {
            conn.call(&[b"AUTH", p.as_bytes()]).await?.ok()?;
        }
        if self.db != 0 {
            conn.call(&[b"SELECT", self.db.to_string().as_bytes()])
                .await?
                .ok()?;
        }
        tracing::info!(id = %self.common.id, %addr, key = %self.key, "redis input connected");
        match self.data_type {
            DataType::List => self.read_list(&mut conn, ctx).await,
            DataType::Channel | DataType::PatternChannel => self.read_channel(&mut conn, ctx).await,
        }
    }

    async fn read_list(&self, conn: &mut Conn, ctx: &InputContext) -> std::io::Result<()> {
        let key = self.key.as_bytes();
        let (last, from) = ((self.batch - 1).to_string(), self.batch.to_string());
        loop {
            conn.send(&[b"MULTI"]);
            conn.send(&[b"LRANGE", key, b"0", last.as_bytes()]);
            conn.send(&[b"LTRIM", key, from.as_bytes(), b"-1"]);
            conn.send(&[b"EXEC"]);
            conn.flush().await?;
            for _ in 0..3 {
                conn.read().await?.ok()?;
            }
            let items = match conn.read().await? {
                Reply::Array(Some(mut results)) if !results.is_empty() => {
                    results.swap_remove(0).into_items()?
                }
                other => return Err(protocol(&format!("unexpected EXEC reply {other:?}"))),
            };
            let items = if items.is_empty() {
                // Nothing there: wait (briefly, so that shutdown is seen) for the next item.
                match conn.call(&[b"BLPOP", key, b"1"]).await? {
                    Reply::Array(Some(mut kv)) if kv.len() == 2 => {
                        kv.swap_remove(1).into_items()?
                    }
                    Reply::Array(None) | Reply::Bulk(None) => Vec::new(),
                    Reply::Error(e) => return Err(protocol(&e)),
                    other => return Err(protocol(&format!("unexpected BLPOP reply {other:?}"))),
                }
            } else {
                items
            };
            if items.is_empty() {
                continue;
            }
            if ctx.push_events(self.events(items)).await.is_err() {
                return Ok(());
            }
        }
    }

    async fn read_channel(&self, conn: &mut Conn, ctx: &InputContext) -> std::io::Result<()> {
        let (command, kind): (&[u8], &[u8]) = match self.data_type {
            DataType::PatternChannel => (b"PSUBSCRIBE", b"pmessage"),
            DataType::Channel | DataType::List => (b"SUBSCRIBE", b"message"),
        };
        conn.send(&[command, self.key.as_bytes()]);
        conn.flush().await?;
        loop {
            let Reply::Array(Some(parts)) = conn.read().await? else {
                return Err(protocol("unexpected reply to a subscription"));
            };
            let is_message =
                matches!(parts.first(), Some(Reply::Bulk(Some(k))) if k.as_slice() == kind);
            if !is_message {
                continue; // subscribe confirmations
            }
            let Some(Reply::Bulk(Some(payload))) = parts.into_iter().last() else {
                return Err(protocol("a message without a payload"));
            };
            if ctx.push_events(self.events(vec![payload])).await.is_err() {
                return Ok(());
            }
        }
    }

    fn events(&self, items: Vec<Vec<u8>>) -> Vec<LogEvent> {
        let at = IngestTime::new(Timestamp::now());
        items
            .into_iter()
            .map(|raw| {
                let frame = ndjson_codec::Frame::Unvalidated {
                    raw: Bytes::from(raw),
                    offset: 0,
                    line: 0,
                };
                let mut ev = decode_frame(
                    frame,
                    &self.common.codec,
                    self.common.decode_size_limit,
                    &at,
                )
                .event;
                self.common.decorate(&mut ev);
                ev
            })
            .collect()
    }
}

fn protocol(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("redis: {what}"))
}

/// A RESP reply.
#[derive(Debug)]
enum Reply {
    Simple,
    Error(String),
    Int,
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// `Ok` unless it is an error reply.
    fn ok(self) -> std::io::Result<Reply> {
        match self {
            Reply::Error(e) => Err(protocol(&e)),
            other => Ok(other),
        }
    }

    /// An array of bulk strings (or one bulk string) as payloads.
    fn into_items(self) -> std::io::Result<Vec<Vec<u8>>> {
        match self {
            Reply::Array(None) | Reply::Bulk(None) => Ok(Vec::new()),
            Reply::Bulk(Some(b)) => Ok(vec![b]),
            Reply::Array(Some(items)) => items
                .into_iter()
                .map(|i| match i {
                    Reply::Bulk(Some(b)) => Ok(b),
                    other => Err(protocol(&format!("expected a string, got {other:?}"))),
                })
                .collect(),
            Reply::Error(e) => Err(protocol(&e)),
            other => Err(protocol(&format!("expected a list, got {other:?}"))),
        }
    }
}

/// A connection speaking RESP2.
struct Conn {
    io: BufReader<TcpStream>,
    /// The largest bulk string accepted (the codec's `decode_size_limit_bytes`).
    limit: usize,
    /// Commands not written yet.
    out: Vec<u8>,
}

impl Conn {
    /// Queues one command (written by [`Conn::flush`]).
    fn send(&mut self, args: &[&[u8]]) {
        let out = &mut self.out;
        out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        let out = std::mem::take(&mut self.out);
        self.io.get_mut().write_all(&out).await
    }

    async fn call(&mut self, args: &[&[u8]]) -> std::io::Result<Reply> {
        self.send(args);
        self.flush().await?;
        self.read().await
    }

    async fn line(&mut self) -> std::io::Result<String> {
        let mut line = Vec::new();
        let n = (&mut self.io)
            .take(64 * 1024)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if !line.ends_with(b"\r\n") {
            return Err(protocol("a reply line without CRLF"));
        }
        line.truncate(line.len() - 2);
        String::from_utf8(line).map_err(|_| protocol("a reply line that is not UTF-8"))
    }

    /// One reply; arrays nest at most 8 deep.
    async fn read(&mut self) -> std::io::Result<Reply> {
        self.read_nested(0).await
    }

    fn read_nested(&mut self, depth: usize) -> BoxFuture2<'_, std::io::Result<Reply>> {
        Box::pin(async move {
            let line = self.line().await?;
            let (kind, rest) = (line.get(..1).unwrap_or(""), line.get(1..).unwrap_or(""));
            let number = || -> std::io::Result<i64> {
                rest.parse()
                    .map_err(|_| protocol(&format!("bad length {rest}")))
            };
            Ok(match kind {
                "+" => Reply::Simple,
                "-" => Reply::Error(rest.to_owned()),
                ":" => {
                    number()?;
                    Reply::Int
                }
                "$" => {
                    let Ok(len) = usize::try_from(number()?) else {
                        return Ok(Reply::Bulk(None));
                    };
                    if len > self.limit {
                        return Err(protocol(&format!(
                            "an item of {len} bytes is over decode_size_limit_bytes ({})",
                            self.limit
                        )));
                    }
                    let mut data = vec![0; len + 2];
                    self.io.read_exact(&mut data).await?;
                    data.truncate(len);
                    Reply::Bulk(Some(data))
                }
                "*" => {
                    let Ok(n) = usize::try_from(number()?) else {
                        return Ok(Reply::Array(None));
                    };
                    if depth >= 8 {
                        return Err(protocol("arrays nested too deep"));
                    }
                    let mut items = Vec::with_capacity(n.min(1024));
                    for _ in 0..n {
                        items.push(self.read_nested(depth + 1).await?);
                    }
                    Reply::Array(Some(items))
                }
                other => return Err(protocol(&format!("unknown reply type {other:?}"))),
            })
        })
    }
}

type BoxFuture2<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
