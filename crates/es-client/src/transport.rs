//! Nodes, connections, retries and failover: everything below the typed APIs.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Uri};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::config::{Auth, ClientConfig, backoff};
use crate::error::{Error, Result};

/// The media type of a request body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentType {
    /// `application/json`.
    Json,
    /// `application/x-ndjson` (bulk bodies).
    Ndjson,
}

/// One HTTP request to the cluster, before node selection.
#[derive(Clone, Debug)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// Path and query (`/python-logs/_search?size=10`), relative to the node URL.
    pub path: String,
    /// The body, if any.
    pub body: Option<Bytes>,
    /// The body's media type. Default JSON.
    pub content_type: ContentType,
    /// Overrides the client's per-attempt timeout.
    pub timeout: Option<Duration>,
    /// Whether re-sending after a timeout or a broken connection is safe. Default: true for
    /// GET, HEAD, PUT and DELETE, false for POST.
    pub idempotent: bool,
}

impl Request {
    /// A request without a body.
    #[must_use]
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        let idempotent = method != Method::POST;
        Request {
            method,
            path: path.into(),
            body: None,
            content_type: ContentType::Json,
            timeout: None,
            idempotent,
        }
    }

    /// Sets a JSON body.
    ///
    /// # Errors
    /// When `body` cannot be serialised.
    pub fn json(mut self, body: &impl serde::Serialize) -> Result<Self> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error::Encode(e.to_string()))?;
        self.body = Some(Bytes::from(bytes));
        self.content_type = ContentType::Json;
        Ok(self)
    }

    /// Sets a raw body.
    #[must_use]
    pub fn body(mut self, body: Bytes, content_type: ContentType) -> Self {
        self.body = Some(body);
        self.content_type = content_type;
        self
    }

    /// Sets the per-attempt timeout.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Marks the request safe (or not) to re-send after a timeout.
    #[must_use]
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }
}

/// A response with its whole body.
#[derive(Clone, Debug)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl Response {
    /// Decodes the body as JSON.
    ///
    /// # Errors
    /// When the body is not the expected JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| Error::decode("response body", e))
    }

    fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// One cluster node.
#[derive(Debug)]
pub(crate) struct Node {
    /// `http` or `https`.
    scheme: String,
    /// `host:port`.
    authority: String,
    /// Path prefix without a trailing slash (usually empty).
    prefix: String,
    state: Mutex<NodeState>,
}

#[derive(Debug, Default)]
struct NodeState {
    failures: u32,
    dead_until: Option<Instant>,
}

impl Node {
    pub(crate) fn url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority, self.prefix)
    }

    fn is_alive(&self, now: Instant) -> bool {
        let s = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        s.dead_until.is_none_or(|t| t <= now)
    }

    fn dead_until(&self) -> Option<Instant> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .dead_until
    }

    fn mark_dead(&self, base: Duration) {
        let mut s = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        s.failures = s.failures.saturating_add(1);
        let wait = backoff(base, Duration::from_secs(60), s.failures - 1).max(base / 2);
        s.dead_until = Some(Instant::now() + wait);
        if s.failures == 1 {
            tracing::info!(node = %self.url(), retry_in = ?wait, "marking node dead");
        } else {
            tracing::debug!(node = %self.url(), failures = s.failures, retry_in = ?wait, "node still dead");
        }
    }

    fn mark_alive(&self) {
        let mut s = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if s.failures > 0 {
            tracing::info!(node = %self.url(), "node is back");
        }
        s.failures = 0;
        s.dead_until = None;
    }
}

/// Parses a node URL; returns the node and Basic credentials found in it.
pub(crate) fn parse_node(url: &str) -> Result<(Node, Option<Auth>)> {
    let bad = |why: &str| Error::Config(format!("node url `{url}`: {why}"));
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => ("http".to_owned(), url),
    };
    if scheme != "http" && scheme != "https" {
        return Err(bad("the scheme must be http or https"));
    }
    let (authority, prefix) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if hostport.is_empty() {
        return Err(bad("no host"));
    }
    let has_port = if hostport.starts_with('[') {
        hostport.contains("]:")
    } else {
        hostport.contains(':')
    };
    let hostport = if has_port {
        hostport.to_owned()
    } else {
        format!("{hostport}:9200")
    };
    let authority = hostport
        .parse::<http::uri::Authority>()
        .map_err(|e| bad(&e.to_string()))?;
    if authority.port_u16().is_none() {
        return Err(bad("the port must be a number from 1 to 65535"));
    }
    let auth = match userinfo {
        Some(u) => {
            let (user, pass) = u.split_once(':').unwrap_or((u, ""));
            Some(Auth::basic(&percent_decode(user), &percent_decode(pass)))
        }
        None => None,
    };
    Ok((
        Node {
            scheme,
            authority: hostport,
            prefix: prefix.to_owned(),
            state: Mutex::new(NodeState::default()),
        },
        auth,
    ))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

type HttpClient = hyper_util::client::legacy::Client<Connector, Full<Bytes>>;

pub(crate) struct Transport {
    pub(crate) config: ClientConfig,
    nodes: RwLock<Arc<Vec<Arc<Node>>>>,
    next: AtomicUsize,
    http: HttpClient,
    auth: Option<HeaderValue>,
    sniffed_at: Mutex<Option<Instant>>,
    sniffing: AtomicBool,
}

impl Transport {
    pub(crate) fn new(config: ClientConfig) -> Result<Transport> {
        if config.nodes.is_empty() {
            return Err(Error::Config("no node url given".into()));
        }
        let mut nodes = Vec::with_capacity(config.nodes.len());
        let mut url_auth = None;
        for url in &config.nodes {
            let (node, auth) = parse_node(url)?;
            if url_auth.is_none() {
                url_auth = auth;
            }
            nodes.push(Arc::new(node));
        }
        let auth = config.auth.clone().or(url_auth);
        let auth = match auth {
            Some(a) => Some(
                HeaderValue::from_str(&a.header_value())
                    .map_err(|_| Error::Config("credentials contain invalid characters".into()))?,
            ),
            None => None,
        };
        let tls = if nodes.iter().any(|n| n.scheme == "https") {
            Some(crate::tls::client_config(&config.tls)?)
        } else {
            None
        };
        let connector = Connector {
            tls,
            connect_timeout: config.connect_timeout,
        };
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(config.pool_max_idle_per_host)
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        Ok(Transport {
            config,
            nodes: RwLock::new(Arc::new(nodes)),
            next: AtomicUsize::new(0),
            http,
            auth,
            sniffed_at: Mutex::new(None),
            sniffing: AtomicBool::new(false),
        })
    }

    pub(crate) fn nodes(&self) -> Arc<Vec<Arc<Node>>> {
        self.nodes
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Round-robin over live nodes; when all are dead, the one that comes back soonest.
    fn pick(&self) -> Arc<Node> {
        let nodes = self.nodes();
        let now = Instant::now();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..nodes.len() {
            let n = &nodes[(start + i) % nodes.len()];
            if n.is_alive(now) {
                return n.clone();
            }
        }
        nodes
            .iter()
            .min_by_key(|n| n.dead_until())
            .cloned()
            .unwrap_or_else(|| nodes[0].clone())
    }

    /// Sends with retries and failover. Non-2xx answers come back as `Ok`.
    pub(crate) async fn send_raw(&self, req: &Request) -> Result<Response> {
        self.maybe_sniff().await;
        let body = self.encode_body(req)?;
        let max = self.config.max_retries;
        let mut attempt = 0u32;
        loop {
            let node = self.pick();
            let result = self.attempt(&node, req, body.clone()).await;
            let retry = match &result {
                Ok(resp) if self.config.retry_on_status.contains(&resp.status) => {
                    tracing::debug!(node = %node.url(), status = resp.status, path = %req.path, "retryable status");
                    if matches!(resp.status, 502..=504) {
                        node.mark_dead(self.config.dead_node_backoff);
                    }
                    // A proxy's 502/504 may hide a request the backend applied.
                    req.idempotent || !matches!(resp.status, 502 | 504)
                }
                Ok(resp) => {
                    node.mark_alive();
                    if self.config.product_check && resp.is_success() {
                        let ok = resp
                            .headers
                            .get("x-elastic-product")
                            .is_some_and(|v| v.as_bytes() == b"Elasticsearch");
                        if !ok {
                            return Err(Error::ProductCheck { node: node.url() });
                        }
                    }
                    false
                }
                Err(e) => {
                    node.mark_dead(self.config.dead_node_backoff);
                    tracing::debug!(node = %node.url(), path = %req.path, error = %e, attempt, "request failed");
                    !e.is_possibly_applied() || req.idempotent
                }
            };
            if !retry || attempt >= max {
                return result;
            }
            attempt += 1;
            let delay = backoff(
                self.config.retry_backoff,
                self.config.max_retry_backoff,
                attempt - 1,
            );
            tokio::time::sleep(delay).await;
        }
    }

    fn encode_body(&self, req: &Request) -> Result<Option<Bytes>> {
        let Some(body) = &req.body else {
            return Ok(None);
        };
        if !self.config.compress_requests {
            return Ok(Some(body.clone()));
        }
        use std::io::Write as _;
        let mut enc = flate2::write::GzEncoder::new(
            Vec::with_capacity(body.len() / 4),
            flate2::Compression::fast(),
        );
        enc.write_all(body)
            .and_then(|()| enc.finish())
            .map(|v| Some(Bytes::from(v)))
            .map_err(|e| Error::Encode(format!("gzip: {e}")))
    }

    async fn attempt(&self, node: &Node, req: &Request, body: Option<Bytes>) -> Result<Response> {
        let uri: Uri = format!(
            "{}://{}{}{}",
            node.scheme,
            node.authority,
            node.prefix,
            if req.path.starts_with('/') {
                req.path.clone()
            } else {
                format!("/{}", req.path)
            }
        )
        .parse()
        .map_err(|e| Error::Config(format!("bad request path `{}`: {e}", req.path)))?;
        let mut builder = http::Request::builder().method(req.method.clone()).uri(uri);
        let headers = builder
            .headers_mut()
            .ok_or_else(|| Error::Config("bad request".into()))?;
        self.set_headers(headers, req, body.is_some());
        let http_req = builder
            .body(Full::new(body.unwrap_or_default()))
            .map_err(|e| Error::Config(e.to_string()))?;
        let timeout = req.timeout.unwrap_or(self.config.request_timeout);
        let fut = async {
            let resp = self.http.request(http_req).await.map_err(|e| {
                let connect = e.is_connect();
                Error::Connection {
                    node: node.url(),
                    reason: error_chain(&e),
                    possibly_sent: !connect,
                }
            })?;
            let (parts, body) = resp.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| Error::Connection {
                    node: node.url(),
                    reason: format!("reading the response: {}", error_chain(&e)),
                    possibly_sent: true,
                })?
                .to_bytes();
            Ok(Response {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout {
                node: node.url(),
                timeout,
            }),
        }
    }

    fn set_headers(&self, h: &mut HeaderMap, req: &Request, has_body: bool) {
        let (accept, json, ndjson) = match self.config.compatibility_mode {
            Some(v) => (
                format!("application/vnd.elasticsearch+json; compatible-with={v}"),
                format!("application/vnd.elasticsearch+json; compatible-with={v}"),
                format!("application/vnd.elasticsearch+x-ndjson; compatible-with={v}"),
            ),
            None => (
                "application/json".to_owned(),
                "application/json".to_owned(),
                "application/x-ndjson".to_owned(),
            ),
        };
        if let Ok(v) = HeaderValue::from_str(&accept) {
            h.insert(header::ACCEPT, v);
        }
        if has_body {
            let ct = match req.content_type {
                ContentType::Json => json,
                ContentType::Ndjson => ndjson,
            };
            if let Ok(v) = HeaderValue::from_str(&ct) {
                h.insert(header::CONTENT_TYPE, v);
            }
            if self.config.compress_requests {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
        }
        if let Some(a) = &self.auth {
            h.insert(header::AUTHORIZATION, a.clone());
        }
        h.insert(
            header::USER_AGENT,
            HeaderValue::from_static(concat!("sluice-es-client/", env!("CARGO_PKG_VERSION"))),
        );
    }

    async fn maybe_sniff(&self) {
        let due = {
            let at = self
                .sniffed_at
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match (*at, self.config.sniff_interval) {
                (None, _) => self.config.sniff_on_start,
                (Some(t), Some(every)) => t.elapsed() >= every,
                (Some(_), None) => false,
            }
        };
        if !due || self.sniffing.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Err(e) = self.sniff().await {
            tracing::warn!(error = %e, "sniffing _nodes/http failed; keeping the known nodes");
        }
        self.sniffing.store(false, Ordering::Release);
    }

    /// `GET _nodes/http`: replaces the node list with the publish addresses found.
    pub(crate) async fn sniff(&self) -> Result<usize> {
        *self
            .sniffed_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
        let node = self.pick();
        let req = Request::new(Method::GET, "/_nodes/http");
        let resp = self.attempt(&node, &req, None).await?;
        if !resp.is_success() {
            return Err(crate::api::status_error(&req, &resp));
        }
        let v: serde_json::Value = resp.json()?;
        let mut found = Vec::new();
        if let Some(map) = v.get("nodes").and_then(|n| n.as_object()) {
            for info in map.values() {
                let Some(addr) = info
                    .pointer("/http/publish_address")
                    .and_then(|a| a.as_str())
                else {
                    continue;
                };
                // "hostname/1.2.3.4:9200" or "1.2.3.4:9200"
                let hostport = match addr.split_once('/') {
                    Some((host, ipport)) if !host.is_empty() => {
                        let port = ipport.rsplit_once(':').map_or("9200", |(_, p)| p);
                        format!("{host}:{port}")
                    }
                    Some((_, ipport)) => ipport.to_owned(),
                    None => addr.to_owned(),
                };
                let url = format!("{}://{hostport}{}", node.scheme, node.prefix);
                match parse_node(&url) {
                    Ok((n, _)) => found.push(Arc::new(n)),
                    Err(e) => tracing::warn!(address = addr, error = %e, "ignoring a sniffed node"),
                }
            }
        }
        if found.is_empty() {
            return Err(Error::decode(
                "_nodes/http",
                "no node has an http publish_address",
            ));
        }
        let count = found.len();
        tracing::info!(nodes = count, "sniffed cluster nodes");
        *self
            .nodes
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(found);
        Ok(count)
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Opens TCP (and TLS for https) connections for the pooled hyper client.
#[derive(Clone)]
struct Connector {
    tls: Option<Arc<rustls::ClientConfig>>,
    connect_timeout: Duration,
}

impl tower_service::Service<Uri> for Connector {
    type Response = TokioIo<Stream>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<TokioIo<Stream>>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let host = uri
                .host()
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no host"))?
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned();
            let https = uri.scheme_str() == Some("https");
            let port = uri.port_u16().unwrap_or(if https { 443 } else { 9200 });
            let connect = async {
                let tcp = TcpStream::connect((host.as_str(), port)).await?;
                tcp.set_nodelay(true)?;
                if !https {
                    return Ok(Stream::Plain(tcp));
                }
                let tls = this.tls.clone().ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidInput, "https without tls config")
                })?;
                let name = rustls_pki_types::ServerName::try_from(host.clone())
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                let stream = tokio_rustls::TlsConnector::from(tls)
                    .connect(name, tcp)
                    .await?;
                Ok(Stream::Tls(Box::new(stream)))
            };
            match tokio::time::timeout(this.connect_timeout, connect).await {
                Ok(r) => r.map(TokioIo::new),
                Err(_) => Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("connect timed out after {:?}", this.connect_timeout),
                )),
            }
        })
    }
}

/// A plain or TLS connection.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }
}

#[cfg(test)]
mod tests;
