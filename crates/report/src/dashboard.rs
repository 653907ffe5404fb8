//! `sluice dashboard`: the report as a web page that keeps itself current (Kibana's role on
//! 127.0.0.1:5601). Every page load runs the report's aggregations again; the page reloads
//! itself every `refresh` seconds.
//!
//! | route | answer |
//! |---|---|
//! | `GET /` | the HTML report ([`crate::html::render`]) with an auto-refresh |
//! | `GET /api/report` | the report's numbers as JSON |
//! | anything else | 404 (405 for other methods on known routes) |

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// What the dashboard shows.
#[derive(Debug, Clone)]
pub struct DashboardConfig {
    /// Index pattern (default `python-logs-*`).
    pub index: String,
    /// Only events newer than this (`24h`); default: all.
    pub since: Option<String>,
    /// Seconds between page reloads (default 10; 0 = never).
    pub refresh: u32,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        Self {
            index: "python-logs-*".to_owned(),
            since: None,
            refresh: 10,
        }
    }
}

/// Serves the dashboard on `listener` until `shutdown` completes.
///
/// # Errors
/// Only when the listener fails; a failing report is a 502 page naming the error.
pub async fn serve(
    listener: TcpListener,
    client: es_client::Client,
    config: DashboardConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    tokio::pin!(shutdown);
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (client, config) = (client.clone(), config.clone());
                conns.spawn(async move {
                    let svc = service_fn(move |req| {
                        let (client, config) = (client.clone(), config.clone());
                        async move { Ok::<_, Infallible>(handle(&client, &config, &req).await) }
                    });
                    if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await {
                        tracing::debug!(error = %e, "dashboard connection ended with an error");
                    }
                });
            }
        }
    }
    conns.abort_all();
    Ok(())
}

async fn handle(
    client: &es_client::Client,
    config: &DashboardConfig,
    req: &Request<Incoming>,
) -> Response<Full<Bytes>> {
    let route = req.uri().path();
    if !matches!(route, "/" | "/api/report") {
        return text(
            StatusCode::NOT_FOUND,
            "text/plain",
            format!("no page at {route}\n"),
        );
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            format!("{} {route}: use GET\n", req.method()),
        );
    }
    let report = match crate::fetch(client, &config.index, config.since.as_deref()).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "dashboard report failed");
            return text(
                StatusCode::BAD_GATEWAY,
                "text/plain",
                format!("report on [{}] failed: {e}\n", config.index),
            );
        }
    };
    if route == "/api/report" {
        let body =
            serde_json::to_string(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
        return text(StatusCode::OK, "application/json", body);
    }
    match crate::html::render(&report) {
        Ok(page) => {
            let page = if config.refresh > 0 {
                page.replacen(
                    "<meta charset=\"utf-8\">",
                    &format!(
                        "<meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"{}\">",
                        config.refresh
                    ),
                    1,
                )
            } else {
                page
            };
            text(StatusCode::OK, "text/html; charset=utf-8", page)
        }
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            format!("{e}\n"),
        ),
    }
}

fn text(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    if let Ok(v) = content_type.parse() {
        resp.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    resp
}
