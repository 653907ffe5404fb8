//! The Elasticsearch 8.x-compatible REST surface of the store, over HTTP/1.1 (hyper, keep-alive).
//!
//! Two ways in:
//!
//! - [`serve`]: run the API on a Tokio listener you bound, until a shutdown future completes
//!   (what the `sluice-store` binary does).
//! - [`spawn`]: open a [`Store`] and serve it on its own threads, returning a [`RunningServer`]
//!   with its address: the way other crates' tests run a store in-process.
//!
//! ```no_run
//! use store::http::{ServerConfig, spawn};
//!
//! let server = spawn(ServerConfig::new("/tmp/sluice-data"))?; // 127.0.0.1, a free port
//! let url = server.url(); // "http://127.0.0.1:PORT": point any Elasticsearch client at it
//! # let _ = url;
//! server.shutdown()?;
//! # Ok::<(), store::Error>(())
//! ```
//!
//! Every response carries `X-Elastic-Product: Elasticsearch` (the official clients refuse to talk
//! to a server without it). Errors are Elasticsearch's: same status, `type` and `reason`.

mod aliases;
mod auth;
pub mod bulk;
mod cat;
mod error;
mod filter;
mod handlers;
mod media;
mod msearch;
pub(crate) mod nodes;
pub(crate) mod params;
mod router;
mod search_api;
mod server;

use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

pub use auth::Credentials;
pub use server::serve;
use tokio::sync::oneshot;

use crate::{Error, Result, Store, StoreConfig};

/// The Elasticsearch version the API answers as (`GET /` → `version.number`).
pub const ES_VERSION: &str = "8.15.0";
/// The Lucene version reported beside it (the one that Elasticsearch release shipped).
pub const LUCENE_VERSION: &str = "9.11.1";
/// The default request body limit: ES's `http.max_content_length` default, 100 MB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 100 * 1024 * 1024;

/// Options of the HTTP surface.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpConfig {
    /// Accepted credentials; empty (the default) means no authentication.
    pub credentials: Credentials,
    /// Largest accepted request body in bytes; larger requests get 413.
    /// Default: [`DEFAULT_MAX_BODY_BYTES`] (100 MB). (Bodies held at once by all connections
    /// are bounded by the store's indexing pressure,
    /// [`StoreConfig::indexing_pressure_memory_limit`].)
    pub max_body_bytes: usize,
    /// `cluster_name` in `GET /`. Default: `"sluice"`.
    pub cluster_name: String,
    /// `name` (the node) in `GET /`. Default: `"sluice-store"`.
    pub node_name: String,
    /// `cluster_uuid` in `GET /`. Default: derived from the data directory by [`spawn`] and the
    /// binary, so it is stable across restarts; `"_na_"` otherwise.
    pub cluster_uuid: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            credentials: Credentials::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            cluster_name: "sluice".to_owned(),
            node_name: "sluice-store".to_owned(),
            cluster_uuid: "_na_".to_owned(),
        }
    }
}

impl HttpConfig {
    /// Adds a Basic user.
    #[must_use]
    pub fn user(mut self, name: &str, password: &str) -> Self {
        self.credentials
            .users
            .push((name.to_owned(), password.to_owned()));
        self
    }

    /// Adds an API key (`Authorization: ApiKey base64(id:key)`).
    #[must_use]
    pub fn api_key(mut self, id: &str, key: &str) -> Self {
        self.credentials
            .api_keys
            .push((id.to_owned(), key.to_owned()));
        self
    }
}

/// Everything [`spawn`] needs: where the data lives, where to listen, and the HTTP options.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The engine's options (data directory, refresh interval, ...).
    pub store: StoreConfig,
    /// The address to bind. Default: `127.0.0.1:0` (loopback, a free port).
    pub listen: SocketAddr,
    /// The HTTP options.
    pub http: HttpConfig,
    /// Allow a non-loopback `listen` without credentials. Default: `false`.
    pub insecure: bool,
}

impl ServerConfig {
    /// Defaults for a store in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            store: StoreConfig::new(data_dir),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            http: HttpConfig::default(),
            insecure: false,
        }
    }

    /// Turns the disk watermarks on or off (`cluster.routing.allocation.disk.threshold_enabled`),
    /// as tests on a shared machine's disk want.
    #[must_use]
    pub fn disk_threshold(mut self, enabled: bool) -> Self {
        self.store = self.store.disk_threshold(enabled);
        self
    }
}

/// Refuses to expose an unauthenticated store beyond loopback unless `insecure` is set.
///
/// # Errors
/// `illegal_argument_exception` naming the address and the ways out.
pub fn check_exposure(listen: SocketAddr, credentials: &Credentials, insecure: bool) -> Result<()> {
    http_serve::check_listen(&listen.to_string(), credentials.is_enabled() || insecure).map_err(
        |_| {
            Error::illegal_argument(format!(
                "refusing to listen on non-loopback address {listen} without authentication: add \
                 --user NAME:PASSWORD or --api-key ID:KEY, or pass --insecure to allow anyone \
                 who can reach it"
            ))
        },
    )
}

/// The store's own parsing of one request head, in the order `handle_inner` runs it: media types
/// (`Accept`, `Content-Type`), the `Authorization` header against a fixed set of credentials
/// (whose verdict is not awaited, so the rest runs either way),
/// query parameters (`pretty`, `filter_path`, `human`, `error_trace`), the route (percent-decoded
/// path segments), the unknown-parameter check, and `Content-Type` as for a request with a body
/// (406 when it is missing). A method or
/// path-and-query that hyper (httparse, the HTTP/1.1 framing) would refuse is skipped, as are
/// headers it would refuse. Returns a short summary (the route, or the status refusing it).
///
/// It exists for the `http_request` fuzz target (`fuzz/fuzz_targets/http_request.rs`) and its
/// corpus replay test; it never panics, whatever the input.
#[doc(hidden)]
#[must_use]
pub fn fuzz_request_head(method: &str, path_and_query: &str, headers: &[(&str, &str)]) -> String {
    use http::header::{self, HeaderMap, HeaderName, HeaderValue};

    let (Ok(method), Ok(uri)) = (
        http::Method::from_bytes(method.as_bytes()),
        path_and_query.parse::<http::Uri>(),
    ) else {
        return "refused by hyper".to_owned();
    };
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.append(n, v);
        }
    }
    let header_str = |name: HeaderName| map.get(name).and_then(|v| v.to_str().ok());
    let run = || -> std::result::Result<String, error::Failure> {
        let full = uri.path_and_query().map_or("/", |p| p.as_str());
        let content_type = header_str(header::CONTENT_TYPE);
        let _ = media::response_type(header_str(header::ACCEPT), content_type)?;
        let credentials = Credentials {
            users: vec![("elastic".to_owned(), "changeme".to_owned())],
            api_keys: vec![("id".to_owned(), "key".to_owned())],
        };
        let auth = map.get(header::AUTHORIZATION).map(HeaderValue::as_bytes);
        // Its verdict does not stop the rest: past a good header the server goes on the same way.
        let _ = credentials.authenticate(auth, full);
        let params = params::Params::parse(uri.query())?;
        let _ = params.bool("pretty", false)?;
        if let Some(fp) = params.get("filter_path") {
            let filter = filter::FilterPath::parse(fp)?;
            let _ = filter.apply(&serde_json::json!({"took": 1, "hits": {"hits": [{"_id": "1"}]}}));
        }
        let _ = params.bool("human", false)?;
        let _ = params.bool("error_trace", false)?;
        let route = router::route(&method, uri.path()).map_err(|e| match e {
            router::NoRoute::BadPath(e) => error::Failure::Es(e),
            other => error::Failure::Bare(format!("{other:?}")),
        })?;
        params.check(
            uri.path(),
            &["q", "size", "from", "format", "h", "v", "s", "refresh"],
        )?;
        media::check_content_type(content_type)?;
        Ok(format!("{route:?}"))
    };
    run().unwrap_or_else(|f| format!("{} {}", f.status(), f.body()))
}

/// A stable `cluster_uuid` for a data directory (22 URL-safe characters, like ES's).
#[must_use]
pub fn cluster_uuid_for(data_dir: &std::path::Path) -> String {
    use std::hash::{Hash, Hasher};
    let canonical = data_dir
        .canonicalize()
        .unwrap_or_else(|_| data_dir.to_path_buf());
    let mut out = String::new();
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for salt in 0u8..2 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (salt, &canonical).hash(&mut h);
        let mut v = h.finish();
        for _ in 0..11 {
            out.push(char::from(ALPHABET[usize::try_from(v % 64).unwrap_or(0)]));
            v /= 64;
        }
    }
    out
}

/// A store served on background threads; dropped = shut down.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    store: Arc<Store>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<()>>>,
}

impl RunningServer {
    /// The bound address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, ready for an Elasticsearch client.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The engine behind the API.
    #[must_use]
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Stops accepting, lets open requests finish, closes the store (committing it).
    ///
    /// # Errors
    /// When the server thread failed or the store could not be closed cleanly.
    pub fn shutdown(mut self) -> Result<()> {
        self.stop_and_join()?;
        self.store.close()
    }

    fn stop_and_join(&mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(Error::es(
                500,
                "exception",
                "the http server thread panicked",
            )),
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Err(e) = self.stop_and_join() {
            tracing::warn!(error = %e, "http server did not stop cleanly");
        }
    }
}

/// Opens the store in `config.store.data_dir` and serves it on `config.listen` from a dedicated
/// thread with its own Tokio runtime (so it works from sync and async callers alike).
///
/// # Errors
/// When the exposure check fails, the address cannot be bound, or the store cannot be opened.
pub fn spawn(config: ServerConfig) -> Result<RunningServer> {
    check_exposure(config.listen, &config.http.credentials, config.insecure)?;
    let listener = StdListener::bind(config.listen)
        .map_err(|e| Error::io(format!("listen address {}", config.listen), e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io(format!("listen address {}", config.listen), e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::io(format!("listen address {addr}"), e))?;
    let mut http = config.http;
    if http.cluster_uuid == "_na_" {
        http.cluster_uuid = cluster_uuid_for(&config.store.data_dir);
    }
    let store = Store::open(config.store)?;
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let served = Arc::clone(&store);
    let thread = std::thread::Builder::new()
        .name("sluice-store-http".into())
        .spawn(move || -> Result<()> {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("sluice-store-http")
                .enable_all()
                .build()
                .map_err(|e| Error::io("tokio runtime", e))?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)
                    .map_err(|e| Error::io(format!("listen address {addr}"), e))?;
                serve(listener, served, http, async {
                    let _ = stop_rx.await;
                })
                .await
            })
        })
        .map_err(|e| Error::io("http server thread", e))?;
    Ok(RunningServer {
        addr,
        store,
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}

/// A future that completes on SIGINT or SIGTERM (Ctrl-C elsewhere).
pub async fn shutdown_signal() {
    {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) {
                (Ok(mut int), Ok(mut term)) => {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
