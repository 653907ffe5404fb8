//! `http` input: `POST`/`PUT` bodies become events; answers `200 ok` once the events are in the
//! queue (so the persisted queue makes the answer durable), `429` while the queue is closing.
//!
//! Bodies: `application/json` holding an object or an array of objects, NDJSON
//! (`application/x-ndjson`), or anything else as one `line` event per line (`codec`
//! overrides). ECS metadata as Logstash 8 adds it: `[host][ip]`, `[url][path]`,
//! `[http][method]`, `[http][version]`, `[user_agent][original]`,
//! `[http][request][mime_type]`, `[http][request][body][bytes]`.
//!
//! Memory: every `http` input of the agent shares one [`Budget`] (`--input.http.memory_limit`,
//! 256 MiB): a body is charged as it arrives, then the cost of decoding it. Line and NDJSON
//! bodies are decoded and queued 1 MiB of lines at a time, so a request holds its body and the
//! events of one piece; a JSON document (an array) is decoded whole and charged at its
//! estimated cost. Beyond the budget a request gets 429 with a text naming it; a queue that
//! refuses after some pieces were queued gets a 429 saying how many events (and body bytes)
//! were accepted. The server is [`http_serve::serve`]: header and body timeouts (30 s), a
//! connection limit, drain on shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use http_serve::{BodyLimits, Budget, ServeConfig};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::{BoxFuture, CommonInput, Ecs, InputArgs, InputContext, InputPlugin};
use crate::codec::{
    Decoded, IngestTime, InputCodec, decode_body_lines, decode_json_document, is_json_document,
};
use crate::config::PluginKind;
use crate::config::validate::{Default as D, OptSpec, OptType as T, Schema};
use crate::{Error, Result};

/// Body bytes decoded and pushed to the queue at a time (whole lines): the events of one such
/// piece exist at once per request, not those of the whole body.
const CHUNK_BYTES: usize = 1 << 20;
/// What decoding a line body holds per body byte while its events are built and queued: each
/// line becomes an event map with `@timestamp`, `@version` and the ECS request metadata.
/// Measured on a release `sluice-agent` (100-byte lines, `docs/reliability.md`).
const LINE_COST_FACTOR: usize = 45;
/// The same for a JSON document decoded whole (an array of objects): parsed values, then events.
const DOCUMENT_COST_FACTOR: usize = 42;
/// A connection that sends no complete request head for this long is closed.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// A body that sends nothing for this long is abandoned (408).
const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// After shutdown, how long requests in flight get to finish.
const DRAIN: Duration = Duration::from_secs(5);

/// Settings of the `http` input.
#[derive(Debug, Clone)]
pub struct HttpInput {
    /// Common options (codec chosen by Content-Type unless set).
    pub common: CommonInput,
    /// Whether `codec` was set explicitly.
    pub codec_set: bool,
    /// `host`, default `127.0.0.1` (Logstash: `0.0.0.0`).
    pub host: String,
    /// `port`, default 8080.
    pub port: u16,
    /// `ecs_compatibility`, default `v8`.
    pub ecs: Ecs,
    /// Binding a non-loopback host is allowed.
    pub allow_remote: bool,
    /// Largest accepted body (default 100 MiB, like Elasticsearch's `http.max_content_length`).
    pub max_body: usize,
    /// The `Authorization` header `user`/`password` require (`None`: none required).
    pub basic_auth: Option<String>,
    /// Bytes that requests may hold in memory at once (bodies and the decoding of their
    /// events), shared by every `http` input of the agent: the agent's
    /// `--input.http.memory_limit` (Logstash has no equivalent). Over it: 429.
    pub budget: Budget,
}

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Input,
        "http",
        vec![
            OptSpec::new("port", T::Number).default(D::Int(8080)),
            OptSpec::new("host", T::String).default(D::Str("127.0.0.1")),
            super::ecs_opt(),
            OptSpec::new("ssl_enabled", T::Boolean).default(D::Bool(false)),
            OptSpec::new("ssl", T::Boolean).default(D::Bool(false)),
            OptSpec::new("max_content_length", T::Number).default(D::Int(100 * 1024 * 1024)),
            OptSpec::new("threads", T::Number),
            OptSpec::new("user", T::String),
            OptSpec::new("password", T::Password),
            OptSpec::new("response_code", T::Number).default(D::Int(200)),
            OptSpec::new("additional_codecs", T::Hash),
        ],
    )
}

pub(super) fn build(a: InputArgs<'_>) -> Result<Box<dyn InputPlugin>> {
    let s = a.settings;
    for tls in ["ssl_enabled", "ssl"] {
        super::unsupported_if(
            s,
            tls,
            s.boolean(tls) == Some(true),
            "TLS on the http input is not supported",
        )?;
    }
    if s.is_set("user") != s.is_set("password") {
        return Err(s.invalid("user", "give both user and password"));
    }
    let max = s.integer("max_content_length").unwrap_or(100 * 1024 * 1024);
    Ok(Box::new(HttpInput {
        codec_set: s.is_set("codec"),
        common: a.common,
        host: s.string("host").unwrap_or("127.0.0.1").to_owned(),
        port: super::port(s)?,
        ecs: a.ecs,
        allow_remote: a.allow_remote,
        max_body: usize::try_from(max).unwrap_or(usize::MAX),
        basic_auth: match (s.string("user"), s.string("password")) {
            (Some(u), Some(p)) => {
                use base64::Engine as _;
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
                ))
            }
            _ => None,
        },
        budget: a.http_budget.clone(),
    }))
}

impl InputPlugin for HttpInput {
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

/// A bound http input.
#[derive(Debug)]
pub struct BoundHttp {
    input: HttpInput,
    listener: TcpListener,
}

impl HttpInput {
    pub(crate) async fn bind(self) -> Result<BoundHttp> {
        super::check_bind(
            "http",
            &self.host,
            self.allow_remote || self.basic_auth.is_some(),
        )?;
        let addr = format!("{}:{}", self.host, self.port);
        let listener = TcpListener::bind(&addr).await.map_err(|e| {
            Error::io(
                format!("http input {}: cannot bind {addr}", self.common.id),
                e,
            )
        })?;
        tracing::info!(id = %self.common.id, %addr, "http input listening");
        Ok(BoundHttp {
            input: self,
            listener,
        })
    }
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r
}

impl BoundHttp {
    pub(crate) async fn run(self, ctx: InputContext) -> Result<()> {
        let input = Arc::new(self.input);
        let mut options = ServeConfig::new(format!("http input {}", input.common.id));
        options.header_read_timeout = HEADER_READ_TIMEOUT;
        options.drain_timeout = DRAIN;
        let stop = ctx.shutdown.clone().cancelled_owned();
        let id = input.common.id.clone();
        let handler = move |req, peer| {
            let input = Arc::clone(&input);
            let ctx = ctx.clone();
            async move { handle(&input, &ctx, peer, req).await }
        };
        http_serve::serve(self.listener, options, handler, stop)
            .await
            .map_err(|e| Error::io(format!("http input {id}"), e))
    }
}

/// What Logstash records of a request on each of its events.
struct RequestMeta {
    method: String,
    path: String,
    version: String,
    mime: String,
    agent: Option<String>,
}

impl RequestMeta {
    fn of(req: &Request<Incoming>) -> RequestMeta {
        let header = |name| {
            req.headers()
                .get(name)
                .and_then(|v: &hyper::header::HeaderValue| v.to_str().ok())
        };
        RequestMeta {
            method: req.method().as_str().to_string(),
            path: req.uri().path().to_string(),
            version: format!("{:?}", req.version())
                .trim_start_matches("HTTP/")
                .to_string(),
            mime: header(hyper::header::CONTENT_TYPE)
                .unwrap_or("text/plain")
                .to_string(),
            agent: header(hyper::header::USER_AGENT).map(str::to_string),
        }
    }

    /// The fields added to each event (where the event has none of that name).
    fn fields(&self, ecs: Ecs, peer: SocketAddr, body_bytes: usize) -> Vec<(&'static str, Value)> {
        let RequestMeta {
            method,
            path,
            version,
            mime,
            agent,
        } = self;
        let mut add = match ecs {
            Ecs::Disabled => vec![
                ("host", json!(peer.ip().to_string())),
                (
                    "headers",
                    json!({"request_method": method, "request_path": path, "http_version": format!("HTTP/{version}"), "content_type": mime}),
                ),
            ],
            Ecs::V8 => vec![
                ("host", json!({"ip": peer.ip().to_string()})),
                ("url", json!({"path": path})),
                (
                    "http",
                    json!({"method": method, "version": version, "request": {"mime_type": mime, "body": {"bytes": body_bytes}}}),
                ),
            ],
        };
        if let (Ecs::V8, Some(agent)) = (ecs, agent) {
            add.push(("user_agent", json!({ "original": agent })));
        }
        add
    }
}

async fn handle(
    input: &HttpInput,
    ctx: &InputContext,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    if let Some(expected) = &input.basic_auth {
        let given = req
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if given != Some(expected.as_str()) {
            let mut r = text(StatusCode::UNAUTHORIZED, "authentication required");
            r.headers_mut().insert(
                hyper::header::WWW_AUTHENTICATE,
                hyper::header::HeaderValue::from_static("Basic realm=\"logstash\""),
            );
            return r;
        }
    }
    let meta = RequestMeta::of(&req);
    let mut limits = BodyLimits::with_max_bytes(input.max_body);
    limits.idle_timeout = BODY_IDLE_TIMEOUT;
    // The body is charged to the budget as it arrives (a stalled client holds what it sent).
    let (body, mut held) =
        match http_serve::read_body(req.into_body(), &input.budget, &limits).await {
            Ok(read) => read,
            Err(e) => return refused(&e),
        };
    let codec = if input.codec_set {
        input.common.codec.clone()
    } else if meta.mime.starts_with("application/json") || meta.mime.contains("ndjson") {
        InputCodec::Json
    } else {
        InputCodec::Line
    };
    let document = codec != InputCodec::Line && is_json_document(&body);
    // What decoding costs on top of the body: the whole of it for a JSON document, one piece of
    // lines at a time otherwise (the events of a piece are queued before the next is decoded).
    let cost = if document {
        body.len().saturating_mul(DOCUMENT_COST_FACTOR)
    } else {
        body.len().min(CHUNK_BYTES).saturating_mul(LINE_COST_FACTOR)
    };
    if let Err(e) = held.grow(cost) {
        return refused(&e);
    }
    let clock = IngestTime::now();
    let fields = meta.fields(input.ecs, peer, body.len());
    if document {
        let decoded = decode_json_document(&body, &clock)
            .unwrap_or_else(|| decode_body_lines(&body, &codec, &clock));
        return match push(input, ctx, decoded, &fields).await {
            Ok(_) => text(StatusCode::OK, "ok"),
            Err(e) => text(StatusCode::TOO_MANY_REQUESTS, &format!("{e}")),
        };
    }
    let mut accepted = Accepted::default();
    for piece in line_pieces(&body, CHUNK_BYTES) {
        let decoded = decode_body_lines(piece, &codec, &clock);
        match push(input, ctx, decoded, &fields).await {
            Ok(n) => {
                accepted.events += n;
                accepted.bytes += piece.len();
            }
            Err(e) => return accepted.refusal(accepted.bytes + piece.len(), &e),
        }
    }
    drop(held);
    text(StatusCode::OK, "ok")
}

/// Adds the request's metadata to `decoded` and queues them; how many were queued.
async fn push(
    input: &HttpInput,
    ctx: &InputContext,
    mut decoded: Vec<Decoded>,
    fields: &[(&'static str, Value)],
) -> Result<usize> {
    for d in &mut decoded {
        let map = d.event.as_map_mut();
        for (k, v) in fields {
            map.entry(*k).or_insert_with(|| v.clone());
        }
    }
    let n = decoded.len();
    ctx.push(&input.common, decoded).await?;
    Ok(n)
}

/// What part of a body reached the queue before it refused the rest.
#[derive(Debug, Default)]
struct Accepted {
    events: usize,
    bytes: usize,
}

impl Accepted {
    /// 429 saying how much was accepted (never a silent partial): the first `events` events,
    /// from the body's first `bytes` bytes (a line start), are queued; a client resends the
    /// rest from there. The piece being queued when the queue refused (up to `piece_end`) may
    /// have been queued in part (the memory queue takes a piece as it finds room).
    fn refusal(&self, piece_end: usize, e: &Error) -> Response<Full<Bytes>> {
        if self.events == 0 {
            return text(StatusCode::TOO_MANY_REQUESTS, &format!("{e}"));
        }
        let mut r = text(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "partly accepted: the first {} events (bytes 0..{} of the body) are queued; the \
                 queue refused the rest ({e}); the events of bytes {}..{} may be queued in part, \
                 those after byte {piece_end} are not",
                self.events, self.bytes, self.bytes, piece_end
            ),
        );
        for (name, n) in [
            ("x-sluice-accepted-events", self.events),
            ("x-sluice-accepted-bytes", self.bytes),
        ] {
            r.headers_mut()
                .insert(name, hyper::header::HeaderValue::from(n));
        }
        r
    }
}

/// A refused body as Logstash's plain-text answers.
fn refused(e: &http_serve::Error) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let message = match e {
        http_serve::Error::TooLarge { received, limit } => format!(
            "request body of {received} bytes is larger than max_content_length ({limit} bytes)"
        ),
        http_serve::Error::OverBudget { wanted, limit } => format!(
            "the http input's memory budget is full: this request would bring what requests \
             hold to {wanted} bytes, over the budget of {limit} bytes \
             (sluice-agent --input.http.memory_limit); retry later"
        ),
        other => format!("request body rejected: {other}"),
    };
    let mut r = text(status, &message);
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        // a body declared too large is not read: the connection cannot be reused
        r.headers_mut().insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
    }
    r
}

/// `body` in pieces of whole lines of at most `max` bytes (a longer line is a piece of its
/// own); each piece ends with its newline, the last one at the body's end.
fn line_pieces(body: &[u8], max: usize) -> impl Iterator<Item = &[u8]> {
    let mut rest = body;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = if rest.len() <= max {
            rest.len()
        } else {
            match rest[..max].iter().rposition(|b| *b == b'\n') {
                Some(i) => i + 1,
                None => rest[max..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(rest.len(), |i| max + i + 1),
            }
        };
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        Some(piece)
    })
}

#[cfg(test)]
mod tests;
