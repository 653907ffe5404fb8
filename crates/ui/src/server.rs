//! The HTTP server of `sluice ui`: the single-page application (embedded at build time), the
//! JSON API under `/api`, the tutorial's report page under `/report`, and Basic authentication
//! when UI users are configured.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use http_serve::{BodyLimits, Budget, ServeConfig};
use hyper::body::Incoming;
use tokio::net::TcpListener;

use crate::api::{self, Api};
use crate::assets;

/// Largest request body (an import of saved objects).
pub const MAX_BODY_BYTES: usize = 16 << 20;
/// Request bodies held at once by all connections: four of the largest.
const BODY_BUDGET_BYTES: usize = 4 * MAX_BODY_BYTES;
/// A request head or body that stalls this long is dropped.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long open connections get to finish after shutdown is asked.
const DRAIN: Duration = Duration::from_secs(5);
/// Connections served at once (a browser opens about six).
const MAX_CONNECTIONS: usize = 256;

/// How `sluice ui` serves.
#[derive(Debug, Clone, Default)]
pub struct UiConfig {
    /// Users the browser must authenticate as (HTTP Basic); empty: no authentication (then
    /// only a loopback address may be used, which the binary checks).
    pub users: Vec<(String, String)>,
}

struct State {
    api: Api,
    config: UiConfig,
    bodies: Budget,
}

/// Serves until `shutdown` completes (the plumbing is [`http_serve::serve`]'s).
///
/// # Errors
/// Never for a single bad connection; only when the listener itself fails.
pub async fn serve(
    listener: TcpListener,
    api: Api,
    config: UiConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let state = Arc::new(State {
        api,
        config,
        bodies: Budget::new(BODY_BUDGET_BYTES),
    });
    let mut options = ServeConfig::new("sluice-ui");
    options.header_read_timeout = READ_TIMEOUT;
    options.drain_timeout = DRAIN;
    options.max_connections = MAX_CONNECTIONS;
    let handler = move |req, _peer| {
        let state = Arc::clone(&state);
        async move { handle(&state, req).await }
    };
    http_serve::serve(listener, options, handler, shutdown).await
}

async fn handle(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    if !authorized(&state.config, req.headers().get(header::AUTHORIZATION)) {
        let mut r = respond(
            StatusCode::UNAUTHORIZED,
            "application/json",
            Bytes::from_static(
                br#"{"error":{"status":401,"type":"unauthorized","reason":"sluice ui needs a user name and password"}}"#,
            ),
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"sluice ui\", charset=\"UTF-8\""),
        );
        return r;
    }
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let method = parts.method;
    if let Some(rest) = path.strip_prefix("/api") {
        let body = match read_body(state, body).await {
            Ok(b) => b,
            Err(r) => return r,
        };
        if method == Method::GET && rest == "/saved_objects/_export" {
            return from_reply(state.api.export_reply().await);
        }
        return from_reply(state.api.handle(&method, rest, &query, &body).await);
    }
    if method != Method::GET && method != Method::HEAD {
        return respond(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            Bytes::from(format!("{method} {path}: pages are read with GET\n")),
        );
    }
    if path == "/report" {
        return report_page(state, &query).await;
    }
    page(&path)
}

fn from_reply(r: api::Reply) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = respond(status, r.content_type, r.body);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn read_body(state: &State, body: Incoming) -> Result<Bytes, Response<Full<Bytes>>> {
    let mut limits = BodyLimits::with_max_bytes(MAX_BODY_BYTES);
    limits.idle_timeout = READ_TIMEOUT;
    // The reservation ends with this function: the API copies what it keeps.
    match http_serve::read_body(body, &state.bodies, &limits).await {
        Ok((body, _held)) => Ok(body),
        Err(e) => {
            let (kind, reason) = match &e {
                http_serve::Error::TooLarge { limit, .. } => (
                    "bad_request",
                    format!("the request body is larger than {limit} bytes"),
                ),
                http_serve::Error::OverBudget { .. } => (
                    "too_many_requests",
                    format!("too many request bodies at once ({e}); retry later"),
                ),
                http_serve::Error::Timeout { .. } => {
                    ("request_timeout", "the request body stalled".to_owned())
                }
                _ => ("bad_request", e.to_string()),
            };
            let status = e.status();
            let err = crate::Error::new(status, kind, reason);
            Err(from_reply(api::Reply {
                status,
                content_type: "application/json",
                body: Bytes::from(err.to_json().to_string()),
            }))
        }
    }
}

/// A static file of the bundle, or the application's `index.html` for client routes.
fn page(path: &str) -> Response<Full<Bytes>> {
    if let Some((_, bytes)) = assets::find(path) {
        let mut r = respond(
            StatusCode::OK,
            assets::content_type(path),
            Bytes::from_static(bytes),
        );
        let cache = if path.starts_with("/assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        return r;
    }
    if path.starts_with("/assets/") {
        return respond(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            Bytes::from(format!("no file {path} in this build\n")),
        );
    }
    match assets::find("/index.html") {
        Some((_, bytes)) => {
            let mut r = respond(
                StatusCode::OK,
                "text/html; charset=utf-8",
                Bytes::from_static(bytes),
            );
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            r
        }
        None => respond(
            StatusCode::OK,
            "text/html; charset=utf-8",
            Bytes::from_static(assets::NOT_BUILT_PAGE.as_bytes()),
        ),
    }
}

/// The tutorial's three charts (`sluice report`'s HTML) for `?index=&since=`.
async fn report_page(state: &State, query: &str) -> Response<Full<Bytes>> {
    let index = api::param(query, "index").unwrap_or_else(|| api::DEFAULT_PATTERN.to_owned());
    let since = api::param(query, "since").filter(|s| !s.is_empty());
    let result = async {
        if let Some(s) = &since {
            report::parse_since(s).map_err(|e| e.to_string())?;
        }
        let rep = report::fetch(state.api.client(), &index, since.as_deref())
            .await
            .map_err(|e| e.to_string())?;
        report::html::render(&rep).map_err(|e| e.to_string())
    };
    match result.await {
        Ok(html) => respond(
            StatusCode::OK,
            "text/html; charset=utf-8",
            Bytes::from(html),
        ),
        Err(e) => respond(
            StatusCode::BAD_GATEWAY,
            "text/plain; charset=utf-8",
            Bytes::from(format!("the report on [{index}] failed: {e}\n")),
        ),
    }
}

fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// Whether the request carries one of the configured users (always true without users).
fn authorized(config: &UiConfig, header: Option<&HeaderValue>) -> bool {
    if config.users.is_empty() {
        return true;
    }
    let Some(encoded) = header
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Ok(text) = String::from_utf8(decoded) else {
        return false;
    };
    let Some((user, pass)) = text.split_once(':') else {
        return false;
    };
    config.users.iter().any(|(u, p)| {
        constant_eq(u.as_bytes(), user.as_bytes()) & constant_eq(p.as_bytes(), pass.as_bytes())
    })
}

/// Compares without returning early on the first difference.
fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (x, y) in a.iter().zip(b) {
        diff |= usize::from(x ^ y);
    }
    diff == 0
}
