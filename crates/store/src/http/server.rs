//! The hyper plumbing: accept loop, keep-alive connections, graceful shutdown, and the
//! per-request pipeline (auth → limits → media types → route → handler → response).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

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

pub(crate) struct State {
    pub(crate) store: Arc<Store>,
    pub(crate) config: HttpConfig,
}

/// A reservation of in-flight body bytes, released when dropped.
struct Reservation<'a> {
    counter: &'a AtomicUsize,
    bytes: usize,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.counter.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

impl State {
    /// Reserves `bytes` of the in-flight budget. A request alone is always admitted (the body
    /// limit bounds it); beside others it must fit, as ES's `in_flight_requests` breaker.
    fn reserve(&self, bytes: usize) -> std::result::Result<Reservation<'_>, Failure> {
        let mut r = Reservation {
            counter: self.store.pressure.counter(),
            bytes: 0,
        };
        self.grow(&mut r, bytes)?;
        Ok(r)
    }
}

impl State {
    /// Grows `r` by `bytes`; refused (429) when others hold budget too and this would pass the
    /// limit. A request alone is always admitted (the body limit bounds it).
    fn grow(&self, r: &mut Reservation<'_>, bytes: usize) -> std::result::Result<(), Failure> {
        let limit = self.config.max_inflight_bytes;
        let counter = self.store.pressure.counter();
        let mut current = counter.load(Ordering::Acquire);
        loop {
            let wanted = current.saturating_add(bytes);
            if current > r.bytes && wanted > limit {
                return Err(breaker(wanted, limit));
            }
            match counter.compare_exchange_weak(
                current,
                wanted,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    r.bytes += bytes;
                    return Ok(());
                }
                Err(actual) => current = actual,
            }
        }
    }
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
/// (up to 10 s) and returns.
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
    let state = Arc::new(State { store, config });
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut conns = JoinSet::new();
    let local = listener
        .local_addr()
        .map_err(|e| Error::io("listener", e))?;
    tracing::info!(addr = %local, "sluice-store listening");
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let state = Arc::clone(&state);
                let mut stop = stop_rx.clone();
                conns.spawn(async move {
                    let svc = service_fn(move |req| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(handle(&state, req).await) }
                    });
                    let conn = http1::Builder::new()
                        .keep_alive(true)
                        .timer(TokioTimer::new())
                        .header_read_timeout(HEADER_READ_TIMEOUT)
                        .serve_connection(TokioIo::new(stream), svc);
                    tokio::pin!(conn);
                    tokio::select! {
                        r = conn.as_mut() => {
                            if let Err(e) = r {
                                tracing::debug!(%peer, error = %e, "connection ended with an error");
                            }
                        }
                        _ = stop.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
        }
    }
    tracing::info!(addr = %local, "shutting down: draining connections");
    drop(listener);
    let _ = stop_tx.send(true);
    let drained =
        tokio::time::timeout(DRAIN, async { while conns.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!("connections still open after {DRAIN:?}; closing them");
        conns.abort_all();
    }
    Ok(())
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
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = declared
        && len > limit as u64
    {
        return Err(too_large(len, limit));
    }
    // The budget is taken as bytes arrive (a client that declares a large body and stalls holds
    // only what it sent), and a request over budget is read to its end and discarded, so the
    // client receives the 429 instead of a broken pipe.
    // The declared length is allocated at once (within the body limit): untouched pages cost no
    // memory, and the body is not copied on every doubling (which held up to 2.4× a 20 MB body).
    let capacity = declared.map_or(0, |l| usize::try_from(l).unwrap_or(limit).min(limit));
    let (body, mut reservation) = read_body(state, body, limit, capacity).await?;
    let body = match encoding {
        Some(enc) if !body.is_empty() => {
            let inflated = inflate(enc, body, limit).await?;
            // The inflated copy replaces the compressed one in the budget.
            drop(reservation);
            reservation = state.reserve(inflated.len())?;
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

/// Reads a request body within `limit` bytes, reserving the in-flight budget as it arrives.
async fn read_body<'s>(
    state: &'s State,
    mut body: Incoming,
    limit: usize,
    capacity: usize,
) -> std::result::Result<(Bytes, Reservation<'s>), Failure> {
    let mut buf = bytes::BytesMut::with_capacity(capacity);
    let mut reservation = Reservation {
        counter: state.store.pressure.counter(),
        bytes: 0,
    };
    loop {
        let frame = match tokio::time::timeout(BODY_IDLE_TIMEOUT, body.frame()).await {
            Err(_) => return Err(body_timeout(buf.len())),
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return Err(Error::illegal_argument(format!(
                    "could not read the request body: {e}"
                ))
                .into());
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if buf.len() + data.len() > limit {
            return Err(too_large((buf.len() + data.len()) as u64, limit));
        }
        if let Err(refused) = state.grow(&mut reservation, data.len()) {
            drop(reservation);
            drop(buf);
            drain(&mut body, limit).await;
            return Err(refused);
        }
        buf.extend_from_slice(&data);
    }
    Ok((buf.freeze(), reservation))
}

/// Reads and discards the rest of a refused body (at most `limit` bytes, each chunk within the
/// idle timeout), so that the client gets to read the answer.
async fn drain(body: &mut Incoming, limit: usize) {
    let mut seen = 0usize;
    while seen <= limit {
        match tokio::time::timeout(BODY_IDLE_TIMEOUT, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                seen += frame.data_ref().map_or(0, Bytes::len);
            }
            _ => return,
        }
    }
}

fn body_timeout(read: usize) -> Failure {
    Failure::Es(Error::es(
        408,
        "request_timeout_exception",
        format!(
            "no request body bytes arrived for {}s (after {read} bytes); the request was not applied",
            BODY_IDLE_TIMEOUT.as_secs()
        ),
    ))
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
