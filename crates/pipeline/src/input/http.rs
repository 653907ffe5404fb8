//! `http` input: `POST`/`PUT` bodies become events; answers `200 ok` once the events are in the
//! queue (so the persisted queue makes the answer durable), `429` while the queue is closing.
//!
//! Bodies: `application/json` holding an object or an array of objects, NDJSON
//! (`application/x-ndjson`), or anything else as one `line` event per line (`codec`
//! overrides). ECS metadata as Logstash 8 adds it: `[host][ip]`, `[url][path]`,
//! `[http][method]`, `[http][version]`, `[user_agent][original]`,
//! `[http][request][mime_type]`, `[http][request][body][bytes]`.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::{BoxFuture, CommonInput, Ecs, InputArgs, InputContext, InputPlugin};
use crate::codec::{InputCodec, decode_body};
use crate::config::PluginKind;
use crate::config::validate::{Default as D, OptSpec, OptType as T, Schema};
use crate::{Error, Result};

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
        let input = std::sync::Arc::new(self.input);
        loop {
            let (stream, peer) = tokio::select! {
                () = ctx.shutdown.cancelled() => return Ok(()),
                a = self.listener.accept() => match a {
                    Ok(x) => x,
                    Err(e) => { tracing::warn!(error = %e, "http input: accept failed"); continue; }
                },
            };
            let input = input.clone();
            let ctx = ctx.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let input = input.clone();
                    let ctx = ctx.clone();
                    async move { Ok::<_, Infallible>(handle(&input, &ctx, peer, req).await) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
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
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let version = format!("{:?}", req.version())
        .trim_start_matches("HTTP/")
        .to_string();
    let mime = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/plain")
        .to_string();
    let agent = req
        .headers()
        .get(hyper::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match Limited::new(req.into_body(), input.max_body)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            return text(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("request body rejected: {e}"),
            );
        }
    };
    let codec = if input.codec_set {
        input.common.codec.clone()
    } else if mime.starts_with("application/json") || mime.contains("ndjson") {
        InputCodec::Json
    } else {
        InputCodec::Line
    };
    let mut decoded = decode_body(&body, &codec);
    for d in &mut decoded {
        let map = d.event.as_map_mut();
        let add = match input.ecs {
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
                    json!({"method": method, "version": version, "request": {"mime_type": mime, "body": {"bytes": body.len()}}}),
                ),
                ("user_agent", json!({"original": agent})),
            ],
        };
        for (k, v) in add {
            if k == "user_agent" && agent.is_none() {
                continue;
            }
            map.entry(k).or_insert_with(|| Value::clone(&v));
        }
    }
    match ctx.push(&input.common, decoded).await {
        Ok(()) => text(StatusCode::OK, "ok"),
        Err(e) => text(StatusCode::TOO_MANY_REQUESTS, &format!("{e}")),
    }
}
