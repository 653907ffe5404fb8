//! The HTTP server of the monitoring API (see [`super`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use http_serve::ServeConfig;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::stats::get;
use crate::runtime::Shared;
use crate::{Error, Result};

/// A bound monitoring server.
#[derive(Debug)]
pub struct MonitorServer {
    /// The address it listens on.
    pub addr: SocketAddr,
}

/// Connections served at once (monitoring tools poll with one or two).
const MAX_CONNECTIONS: usize = 64;

/// Binds `addr` and serves until `shutdown` (on [`http_serve::serve`]: header timeout,
/// accept backoff, a connection limit; requests in flight finish, up to 5 s). The caller
/// applies the loopback rule (the agent's `--allow-remote`): the API has no authentication.
///
/// # Errors
/// When the address cannot be bound.
pub async fn serve(
    addr: &str,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) -> Result<MonitorServer> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| Error::io(format!("monitoring API: cannot bind {addr}"), e))?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::io("monitoring API", e))?;
    let mut options = ServeConfig::new("monitoring API");
    options.header_read_timeout = Duration::from_secs(30);
    options.drain_timeout = Duration::from_secs(5);
    options.max_connections = MAX_CONNECTIONS;
    let handler = move |req: Request<Incoming>, _peer| {
        let answer = handle(&shared, local, &req);
        async move { answer }
    };
    tokio::spawn(async move {
        let stopped = shutdown.cancelled_owned();
        if let Err(e) = http_serve::serve(listener, options, handler, stopped).await {
            tracing::error!(error = %e, "monitoring API stopped");
        }
    });
    Ok(MonitorServer { addr: local })
}

fn respond(status: StatusCode, body: &Value, pretty: bool) -> Response<Full<Bytes>> {
    let text = if pretty {
        serde_json::to_string_pretty(body)
    } else {
        serde_json::to_string(body)
    }
    .unwrap_or_default();
    let mut r = Response::new(Full::new(Bytes::from(text)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

fn handle(shared: &Shared, local: SocketAddr, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let pretty = req
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "pretty" || p == "pretty=true"));
    if req.method() != hyper::Method::GET {
        return respond(
            StatusCode::METHOD_NOT_ALLOWED,
            &json!({"status": 405, "error": format!("method {} not allowed", req.method())}),
            pretty,
        );
    }
    let path = req.uri().path().trim_end_matches('/');
    let base = node_info(shared, local);
    let id = shared.settings.id.as_str();
    let body = match path {
        "" => {
            let mut b = base;
            b["status"] = json!("green");
            b["pipeline"] = json!({
                "workers": shared.settings.workers,
                "batch_size": shared.settings.batch_size,
                "batch_delay": shared.settings.batch_delay.as_millis() as u64,
            });
            b
        }
        "/_node/stats" | "/_node/stats/pipelines" => {
            let mut b = base;
            b["pipelines"] = json!({ id: pipeline_stats(shared) });
            b
        }
        p if p == format!("/_node/stats/pipelines/{id}") => {
            let mut b = base;
            b["pipelines"] = json!({ id: pipeline_stats(shared) });
            b
        }
        _ => {
            return respond(
                StatusCode::NOT_FOUND,
                &json!({"path": path, "status": 404, "error": {
                    "message": format!("Not Found: no monitoring API endpoint at {path}")}}),
                pretty,
            );
        }
    };
    respond(StatusCode::OK, &body, pretty)
}

fn node_info(shared: &Shared, local: SocketAddr) -> Value {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    json!({
        "host": host,
        "version": env!("CARGO_PKG_VERSION"),
        "http_address": local.to_string(),
        "id": format!("sluice-agent-{}", std::process::id()),
        "name": host,
        "ephemeral_id": format!("{}-{}", std::process::id(), shared.started.elapsed().as_nanos() % 1_000_000),
        "snapshot": false,
    })
}

fn pipeline_stats(shared: &Shared) -> Value {
    let ev = &shared.events;
    let q = shared.queue.stats();
    let inputs: Vec<Value> = shared
        .inputs
        .iter()
        .map(|s| {
            json!({
                "id": s.id, "name": s.name,
                "events": {"out": get(&s.events_out), "queue_push_duration_in_millis": get(&s.queue_push_duration_ms)},
                "failures": get(&s.failures),
                "decode_size_limit_exceeded": get(&s.too_long),
                "connections": get(&s.connections),
            })
        })
        .collect();
    let filters: Vec<Value> = (shared.filter_metrics)()
        .into_iter()
        .map(|f| json!({"id": f.id, "name": f.name, "events": {"in": f.events_in, "out": f.events_out}, "failures": f.failures}))
        .collect();
    let outputs: Vec<Value> = shared
        .outputs
        .iter()
        .map(|o| {
            let s = o.stats();
            let mut v = json!({
                "id": s.id, "name": s.name,
                "events": {"in": get(&s.events_in), "out": get(&s.events_out), "duration_in_millis": get(&s.duration_ms)},
                "failures": get(&s.failures),
            });
            if let Some(Value::Object(extra)) = o.monitoring() {
                for (k, x) in extra {
                    v[k] = x;
                }
            }
            v
        })
        .collect();
    json!({
        "events": {
            "in": get(&ev.events_in),
            "filtered": get(&ev.filtered),
            "out": get(&ev.out),
            "duration_in_millis": get(&ev.duration_ms),
            "queue_push_duration_in_millis": get(&ev.queue_push_duration_ms),
        },
        "plugins": {"inputs": inputs, "codecs": [], "filters": filters, "outputs": outputs},
        "reloads": {"successes": 0, "failures": 0, "last_error": null, "last_success_timestamp": null, "last_failure_timestamp": null},
        "queue": {
            "type": shared.queue.kind(),
            "events_count": q.events_count,
            "queue_size_in_bytes": q.queue_size_in_bytes,
            "max_queue_size_in_bytes": q.max_queue_size_in_bytes,
            "max_events": q.max_events,
        },
        "dead_letter_queue": {"enabled": shared.settings.dead_letter_queue},
        "workers": shared.settings.workers,
        "batch_size": shared.settings.batch_size,
    })
}
