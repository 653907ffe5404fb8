//! `syslog` input: RFC 3164 lines over tcp and udp on the same `port` (logstash-input-syslog).
//!
//! Each line goes through what Logstash's input runs: grok `grok_pattern` (default
//! `<%{POSINT:priority}>%{SYSLOGLINE}`, ECS names unless `ecs_compatibility => disabled`),
//! then the `syslog_pri` decoding and a `date` parse of the syslog timestamp (`MMM  d
//! HH:mm:ss`, `MMM dd HH:mm:ss`, ISO 8601) into `@timestamp`. A line that does not parse
//! keeps its `message` and is tagged `_grokparsefailure_sysloginput`. The sender's address
//! is `[host][ip]` (ECS) or `host`. RFC 5424 lines parse with
//! `grok_pattern => "%{SYSLOG5424LINE}"`.

use std::net::SocketAddr;
use std::sync::Arc;

use log_model::{LogEvent, Timestamp};
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;
use tokio::net::{TcpListener, UdpSocket};

use super::{BoxFuture, CommonInput, Ecs, InputArgs, InputContext, InputPlugin};
use crate::codec::{IngestTime, stamp_at};
use crate::config::PluginKind;
use crate::config::validate::{Default as D, OptSpec, OptType as T, Schema};
use crate::filter::FilterChain;
use crate::{Error, Result};

/// Longest line read from a tcp connection.
const MAX_LINE: usize = 64 * 1024;

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Input,
        "syslog",
        vec![
            OptSpec::new("port", T::Number).default(D::Int(514)),
            OptSpec::new("host", T::String).default(D::Str("127.0.0.1")),
            OptSpec::new("codec", T::Codec).default(D::Str("plain")),
            OptSpec::new("grok_pattern", T::String)
                .default(D::Str("<%{POSINT:priority}>%{SYSLOGLINE}")),
            OptSpec::new("syslog_field", T::String).default(D::Str("message")),
            OptSpec::new("timezone", T::String),
            OptSpec::new("locale", T::String),
            OptSpec::new("use_labels", T::Boolean).default(D::Bool(true)),
            OptSpec::new("facility_labels", T::Array),
            OptSpec::new("severity_labels", T::Array),
            OptSpec::new("proxy_protocol", T::Boolean).default(D::Bool(false)),
            super::ecs_opt(),
        ],
    )
}

pub(super) fn build(a: InputArgs<'_>) -> Result<Box<dyn InputPlugin>> {
    let s = a.settings;
    super::unsupported_if(
        s,
        "proxy_protocol",
        s.boolean("proxy_protocol") == Some(true),
        "proxy_protocol is not supported",
    )?;
    let ecs = a.ecs == Ecs::V8;
    let mut pattern = s
        .string("grok_pattern")
        .unwrap_or("<%{POSINT:priority}>%{SYSLOGLINE}")
        .to_owned();
    if ecs {
        pattern = pattern.replace(
            "%{POSINT:priority}",
            "%{POSINT:[log][syslog][priority]:int}",
        );
    }
    let pri = if ecs {
        "[log][syslog][priority]"
    } else {
        "priority"
    };
    let ecs_name = if ecs { "v8" } else { "disabled" };
    let timezone = s
        .string("timezone")
        .map(|t| format!("timezone => {}", quote(t)))
        .unwrap_or_default();
    let text = format!(
        r#"filter {{
  grok {{ match => {{ "message" => {pattern} }} overwrite => ["message"] tag_on_failure => ["_grokparsefailure_sysloginput"] ecs_compatibility => {ecs_name} }}
  syslog_pri {{ syslog_pri_field_name => {pri} use_labels => {labels} ecs_compatibility => {ecs_name} }}
  date {{ match => ["timestamp", "MMM  d HH:mm:ss", "MMM dd HH:mm:ss", "ISO8601"] remove_field => ["timestamp"] {timezone} }}
}}"#,
        pattern = quote(&pattern),
        pri = quote(pri),
        labels = s.boolean("use_labels").unwrap_or(true),
    );
    let parsed = crate::config::parse_str("syslog input", &text)
        .map_err(|e| s.invalid("grok_pattern", &e.to_string()))?;
    let chain = FilterChain::build(&parsed.filters)
        .map_err(|e| s.invalid("grok_pattern", &e.to_string()))?;
    Ok(Box::new(Syslog {
        host: s.string("host").unwrap_or("127.0.0.1").to_owned(),
        port: super::port(s)?,
        ecs: a.ecs,
        allow_remote: a.allow_remote,
        chain: Arc::new(chain),
        common: a.common,
    }))
}

/// A config string literal.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[derive(Debug)]
struct Syslog {
    common: CommonInput,
    host: String,
    port: u16,
    ecs: Ecs,
    allow_remote: bool,
    chain: Arc<FilterChain>,
}

impl InputPlugin for Syslog {
    fn common(&self) -> &CommonInput {
        &self.common
    }

    fn start(self: Box<Self>, ctx: InputContext) -> BoxFuture<Result<BoxFuture<Result<()>>>> {
        Box::pin(async move {
            super::check_bind("syslog", &self.host, self.allow_remote)?;
            let addr = format!("{}:{}", self.host, self.port);
            let bind_err = |e| {
                Error::io(
                    format!("syslog input {}: cannot bind {addr}", self.common.id),
                    e,
                )
            };
            let tcp = TcpListener::bind(&addr).await.map_err(bind_err)?;
            let udp = UdpSocket::bind(&addr).await.map_err(bind_err)?;
            tracing::info!(id = %self.common.id, %addr, "syslog input listening (tcp and udp)");
            let task: BoxFuture<Result<()>> = Box::pin(Arc::new(*self).run(tcp, udp, ctx));
            Ok(task)
        })
    }
}

impl Syslog {
    fn event(&self, line: &str, peer: SocketAddr) -> LogEvent {
        let mut ev = LogEvent::new();
        ev.insert_field(
            "message",
            Value::String(line.trim_end_matches(['\r', '\n']).to_owned()),
        );
        stamp_at(&mut ev, &IngestTime::new(Timestamp::now()));
        let ip = peer.ip().to_string();
        match self.ecs {
            Ecs::V8 => ev.insert_field("host", json!({"ip": ip})),
            Ecs::Disabled => ev.insert_field("host", Value::String(ip)),
        };
        self.chain.process(&mut ev);
        self.common.decorate(&mut ev);
        ev
    }

    async fn run(
        self: Arc<Self>,
        tcp: TcpListener,
        udp: UdpSocket,
        ctx: InputContext,
    ) -> Result<()> {
        let mut conns = tokio::task::JoinSet::new();
        let mut buf = vec![0u8; 65_536];
        loop {
            tokio::select! {
                () = ctx.shutdown.cancelled() => break,
                r = udp.recv_from(&mut buf) => {
                    let Ok((n, peer)) = r else { continue };
                    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                    let events = text.lines().filter(|l| !l.is_empty()).map(|l| self.event(l, peer)).collect();
                    if ctx.push_events(events).await.is_err() {
                        break;
                    }
                }
                a = tcp.accept() => {
                    let Ok((stream, peer)) = a else { continue };
                    let me = self.clone();
                    let ctx = ctx.clone();
                    conns.spawn(async move {
                        let mut lines = tokio::io::BufReader::new(stream).take_lines(MAX_LINE);
                        loop {
                            let line = tokio::select! {
                                () = ctx.shutdown.cancelled() => return,
                                l = lines.next_line() => l,
                            };
                            let Ok(Some(line)) = line else { return };
                            if ctx.push_events(vec![me.event(&line, peer)]).await.is_err() {
                                return;
                            }
                        }
                    });
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
        conns.shutdown().await;
        Ok(())
    }
}

/// Line reading with a bound on the line length (a longer line is cut there).
trait TakeLines: tokio::io::AsyncBufRead + Unpin + Sized {
    fn take_lines(self, max: usize) -> BoundedLines<Self> {
        BoundedLines { inner: self, max }
    }
}

impl<R: tokio::io::AsyncBufRead + Unpin> TakeLines for R {}

struct BoundedLines<R> {
    inner: R,
    max: usize,
}

impl<R: tokio::io::AsyncBufRead + Unpin> BoundedLines<R> {
    async fn next_line(&mut self) -> std::io::Result<Option<String>> {
        let mut out = Vec::new();
        loop {
            let buf = self.inner.fill_buf().await?;
            if buf.is_empty() {
                return Ok((!out.is_empty()).then(|| String::from_utf8_lossy(&out).into_owned()));
            }
            match buf.iter().position(|b| *b == b'\n') {
                Some(i) => {
                    let take = i.min(self.max.saturating_sub(out.len()));
                    out.extend_from_slice(&buf[..take]);
                    self.inner.consume(i + 1);
                    return Ok(Some(String::from_utf8_lossy(&out).into_owned()));
                }
                None => {
                    let n = buf.len();
                    let take = n.min(self.max.saturating_sub(out.len()));
                    out.extend_from_slice(&buf[..take]);
                    self.inner.consume(n);
                }
            }
        }
    }
}
