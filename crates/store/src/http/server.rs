//! The hyper plumbing: accept loop, keep-alive connections, graceful shutdown, and the
//! per-request pipeline (auth → limits → media types → route → handler → response).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use http_serve::{BodyLimits, ServeConfig};
use hyper::body::Incoming;
use serde_json::Value;
use tokio::net::TcpListener;

use super::HttpConfig;
use super::error::Failure;
use super::filter::FilterPath;
use super::handlers::{self, Reply};
use super::media::{self, ResponseType};
use super::params::Params;
use super::router::{self, NoRoute};
use crate::{Error, Result, Store};

/// How long open connections get to finish their requests after shutdown is asked.
const DRAIN: Duration = Duration::from_secs(10);
/// A connection that sends no complete request head for this long is closed (slow or idle
/// clients cannot hold connections forever).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(300);
/// Connections served at once; beyond, new ones wait in the listen backlog.
const MAX_CONNECTIONS: usize = 4096;

pub(crate) struct State {
    pub(crate) store: Arc<Store>,
    pub(crate) config: HttpConfig,
    /// The address the server listens on (`_nodes`' publish address).
    pub(crate) local: Option<std::net::SocketAddr>,
}

/// ES's `in_flight_requests` breaker error.
fn breaker(wanted: usize, limit: usize) -> Failure {
    Failure::Es(
        Error::es(
            429,
            "circuit_breaking_exception",
            format!(
                "[in_flight_requests] Data too large, data for [<http_request>] would be \
                 [{wanted}/{}], which is larger than the limit of [{limit}/{}]",
                human(wanted),
                human(limit)
            ),
        )
        .with("bytes_wanted", wanted)
        .with("bytes_limit", limit)
        .with("durability", "TRANSIENT"),
    )
}

/// `104857600` → `100mb` (ES's byte size rendering, one decimal).
fn human(bytes: usize) -> String {
    const UNITS: &[(&str, usize)] = &[("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10)];
    for (name, size) in UNITS {
        if bytes >= *size {
            #[allow(clippy::cast_precision_loss)]
            let v = bytes as f64 / *size as f64;
            let s = format!("{v:.1}");
            return format!("{}{name}", s.strip_suffix(".0").unwrap_or(&s));
        }
    }
    format!("{bytes}b")
}

/// Serves the REST API on `listener` until `shutdown` completes, then lets open requests finish
/// (up to 10 s) and returns. The plumbing (accept, keep-alive, timeouts, drain) is
/// [`http_serve::serve`]'s.
///
/// # Errors
/// Never for a single bad connection (those are logged); only when the listener itself fails
/// beyond recovery.
pub async fn serve(
    listener: TcpListener,
    store: Arc<Store>,
    config: HttpConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    let local = listener.local_addr().ok();
    let state = Arc::new(State {
        store,
        config,
        local,
    });
    let mut options = ServeConfig::new("sluice-store");
    options.header_read_timeout = HEADER_READ_TIMEOUT;
    options.drain_timeout = DRAIN;
    options.max_connections = MAX_CONNECTIONS;
    let handler = move |req, _peer| {
        let state = Arc::clone(&state);
        async move { handle(&state, req).await }
    };
    http_serve::serve(listener, options, handler, shutdown)
        .await
        .map_err(|e| Error::io("listener", e))
}

/// Everything about one request that shapes its response.
struct Ctx {
    head: bool,
    pretty: bool,
    filter: Option<FilterPath>,
    response_type: ResponseType,
}

async fn handle(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let head = req.method() == Method::HEAD;
    // ES echoes the caller's request id so clients can match logs and responses.
    let opaque_id = req.headers().get("x-opaque-id").cloned();
    let mut ctx = Ctx {
        head,
        pretty: false,
        filter: None,
        response_type: ResponseType::Json,
    };
    let mut response = match handle_inner(state, req, &mut ctx).await {
        Ok(reply) => render_reply(reply, &ctx),
        Err(failure) => render_failure(&failure, &ctx),
    };
    if let Some(id) = opaque_id {
        response.headers_mut().insert("x-opaque-id", id);
    }
    response
}

async fn handle_inner(
    state: &State,
    req: Request<Incoming>,
    ctx: &mut Ctx,
) -> std::result::Result<Reply, Failure> {
    let (parts, body) = req.into_parts();
    let uri = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let path = parts.uri.path().to_owned();
    let header_str = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header_str(header::CONTENT_TYPE);
    ctx.response_type = media::response_type(
        header_str(header::ACCEPT).as_deref(),
        content_type.as_deref(),
    )?;

    state.config.credentials.authenticate(
        parts
            .headers
            .get(header::AUTHORIZATION)
            .map(HeaderValue::as_bytes),
        &uri,
    )?;

    let params = Params::parse(parts.uri.query())?;
    ctx.pretty = params.bool("pretty", false)?;
    if let Some(fp) = params.get("filter_path") {
        ctx.filter = Some(FilterPath::parse(fp)?);
    }
    let _ = params.bool("human", false)?;
    let _ = params.bool("error_trace", false)?;

    let route = match router::route(&parts.method, &path) {
        Ok(r) => r,
        Err(NoRoute::BadPath(e)) => return Err(e.into()),
        Err(NoRoute::NotFound) => {
            if parts.method == Method::OPTIONS {
                return Ok(Reply::empty(StatusCode::OK));
            }
            return Err(Failure::Bare(format!(
                "no handler found for uri [{uri}] and method [{}]",
                parts.method
            )));
        }
        Err(NoRoute::MethodNotAllowed(allowed)) => {
            let list: Vec<&str> = allowed.iter().map(Method::as_str).collect();
            if parts.method == Method::OPTIONS {
                return Ok(Reply::empty(StatusCode::OK).with_header("allow", list.join(",")));
            }
            return Err(Failure::Simple {
                status: StatusCode::METHOD_NOT_ALLOWED,
                reason: format!(
                    "Incorrect HTTP method for uri [{uri}] and method [{}], allowed: [{}]",
                    parts.method,
                    list.join(", ")
                ),
                allow: Some(list.join(",")),
            });
        }
    };

    let encoding = match header_str(header::CONTENT_ENCODING) {
        None => None,
        Some(enc) => match enc.trim().to_ascii_lowercase().as_str() {
            "identity" | "" => None,
            "gzip" | "x-gzip" => Some(Encoding::Gzip),
            "deflate" => Some(Encoding::Deflate),
            _ => {
                return Err(Error::illegal_argument(format!(
                    "Content-Encoding [{enc}] is not supported: use gzip, deflate or identity"
                ))
                .into());
            }
        },
    };
    let limit = state.config.max_body_bytes;
    let mut limits = BodyLimits::with_max_bytes(limit);
    limits.idle_timeout = BODY_IDLE_TIMEOUT;
    // The budget is the store's indexing pressure: bodies are charged as bytes arrive (a client
    // that declares a large body and stalls holds only what it sent), and a request over budget
    // is read to its end and discarded, so the client receives the 429 instead of a broken pipe.
    let budget = state.store.pressure.budget();
    let (body, mut reservation) = http_serve::read_body(body, budget, &limits)
        .await
        .map_err(body_refused)?;
    let body = match encoding {
        Some(enc) if !body.is_empty() => {
            let inflated = inflate(enc, body, limit).await?;
            // The inflated copy replaces the compressed one in the budget.
            drop(reservation);
            reservation = budget.reserve(inflated.len()).map_err(body_refused)?;
            inflated
        }
        _ => body,
    };
    if !body.is_empty() {
        media::check_content_type(content_type.as_deref())?;
    }
    let reply = handlers::dispatch(state, route, &path, &params, body).await;
    drop(reservation);
    reply
}

/// A body that sends nothing for this long is abandoned (408): a stalled client cannot hold its
/// connection and its share of the budget forever.
const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// A refused body in Elasticsearch's shape.
fn body_refused(e: http_serve::Error) -> Failure {
    match e {
        http_serve::Error::TooLarge { received, limit } => too_large(received, limit),
        http_serve::Error::OverBudget { wanted, limit } => breaker(wanted, limit),
        http_serve::Error::Timeout { read, after } => Failure::Es(Error::es(
            408,
            "request_timeout_exception",
            format!(
                "no request body bytes arrived for {}s (after {read} bytes); the request was not applied",
                after.as_secs()
            ),
        )),
        http_serve::Error::Io(e) => {
            Error::illegal_argument(format!("could not read the request body: {e}")).into()
        }
        // `http_serve::Error` is non-exhaustive: a new kind still reaches the client, as 400
        other => Error::illegal_argument(other.to_string()).into(),
    }
}

#[derive(Debug, Clone, Copy)]
enum Encoding {
    Gzip,
    Deflate,
}

/// Decompresses a request body on the blocking pool; the inflated size is bounded by `limit`
/// too (a small compressed body cannot expand without bound).
async fn inflate(enc: Encoding, body: Bytes, limit: usize) -> std::result::Result<Bytes, Failure> {
    use std::io::Read;
    let task = tokio::task::spawn_blocking(move || {
        let reader: Box<dyn Read + Send> = match enc {
            Encoding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(&body[..])),
            Encoding::Deflate => Box::new(flate2::read::ZlibDecoder::new(&body[..])),
        };
        let mut out = Vec::new();
        let read = reader.take(limit as u64 + 1).read_to_end(&mut out);
        (read, out)
    });
    let (read, out) = task.await.map_err(|e| {
        Failure::Es(Error::es(
            500,
            "exception",
            format!("decompression task failed: {e}"),
        ))
    })?;
    if let Err(e) = read {
        return Err(Failure::Es(Error::es(
            400,
            "parse_exception",
            format!("could not decompress the {enc:?} request body: {e}").to_lowercase(),
        )));
    }
    if out.len() > limit {
        return Err(too_large(out.len() as u64, limit));
    }
    Ok(Bytes::from(out))
}

fn too_large(len: u64, limit: usize) -> Failure {
    Failure::Es(Error::es(
        413,
        "content_too_long",
        format!(
            "request body of {len} bytes is larger than the limit [http.max_content_length] of \
             {limit} bytes; send smaller requests (e.g. fewer documents per _bulk)"
        ),
    ))
}

fn base_response(status: StatusCode) -> http::response::Builder {
    Response::builder()
        .status(status)
        .header("x-elastic-product", "Elasticsearch")
}

fn json_bytes(value: &Value, ctx: &Ctx) -> Bytes {
    let filtered;
    let value = match &ctx.filter {
        Some(f) => {
            filtered = f.apply(value);
            &filtered
        }
        None => value,
    };
    let mut out = if ctx.pretty {
        serde_json::to_vec_pretty(value).unwrap_or_default()
    } else {
        serde_json::to_vec(value).unwrap_or_default()
    };
    if ctx.pretty {
        out.push(b'\n');
    }
    Bytes::from(out)
}

fn finish(builder: http::response::Builder, body: Bytes, ctx: &Ctx) -> Response<Full<Bytes>> {
    let body = if ctx.head { Bytes::new() } else { body };
    builder.body(Full::new(body)).unwrap_or_else(|e| {
        tracing::error!(error = %e, "could not build a response");
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

fn render_reply(reply: Reply, ctx: &Ctx) -> Response<Full<Bytes>> {
    let mut b = base_response(reply.status);
    for (k, v) in &reply.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    match reply.body {
        handlers::Body::Empty => finish(b, Bytes::new(), ctx),
        handlers::Body::Json(v) => {
            let bytes = json_bytes(&v, ctx);
            finish(
                b.header(header::CONTENT_TYPE, ctx.response_type.header_value()),
                bytes,
                ctx,
            )
        }
        handlers::Body::Bulk(r) => {
            let bytes = if ctx.filter.is_none() && !ctx.pretty {
                let mut out = Vec::with_capacity(64 + r.items.len() * 192);
                r.write_json(&mut out);
                Bytes::from(out)
            } else {
                json_bytes(&r.to_json(), ctx)
            };
            finish(
                b.header(header::CONTENT_TYPE, ctx.response_type.header_value()),
                bytes,
                ctx,
            )
        }
        handlers::Body::Text(t) => finish(
            b.header(header::CONTENT_TYPE, "text/plain; charset=UTF-8"),
            Bytes::from(t),
            ctx,
        ),
    }
}

fn render_failure(failure: &Failure, ctx: &Ctx) -> Response<Full<Bytes>> {
    let status = failure.status();
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), body = %failure.body(), "request failed");
    } else {
        tracing::debug!(status = status.as_u16(), body = %failure.body(), "request refused");
    }
    let mut b =
        base_response(status).header(header::CONTENT_TYPE, ctx.response_type.header_value());
    if let Failure::Simple {
        allow: Some(allow), ..
    } = failure
    {
        b = b.header(header::ALLOW, allow.as_str());
    }
    if let Failure::Es(e) = failure
        && e.es_type() == "security_exception"
        && e.status() == 401
    {
        for c in super::auth::CHALLENGES {
            b = b.header(header::WWW_AUTHENTICATE, *c);
        }
    }
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        b = b.header(header::CONNECTION, "close");
    }
    // Errors are never filtered: a client must see why it failed.
    let plain = Ctx {
        head: ctx.head,
        pretty: ctx.pretty,
        filter: None,
        response_type: ctx.response_type,
    };
    let bytes = json_bytes(&failure.body(), &plain);
    finish(b, bytes, ctx)
}
