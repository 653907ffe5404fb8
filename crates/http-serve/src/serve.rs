//! The accept loop and the connections.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tracing::Instrument as _;

/// How [`serve`] runs a server. Every field documents its default ([`ServeConfig::new`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServeConfig {
    /// The server's name in its log lines (`server` field). Given to [`ServeConfig::new`].
    pub name: String,
    /// A connection that sends no complete request head for this long is closed (a slow or
    /// silent client cannot hold a connection forever). Default: 30 s.
    pub header_read_timeout: Duration,
    /// Connections open at once. At the limit the server stops accepting until one closes: new
    /// clients wait in the kernel's listen backlog (their connect succeeds, their request is
    /// answered once a connection frees) rather than being accepted only to be refused, which
    /// would cost a file descriptor and a task for each. Default: 1,024.
    pub max_connections: usize,
    /// After shutdown is asked, how long requests in flight get to finish (connections close
    /// as soon as their current request is answered); then the remaining ones are aborted.
    /// Default: 10 s.
    pub drain_timeout: Duration,
    /// HTTP/1.1 keep-alive. Default: `true`.
    pub keep_alive: bool,
}

impl ServeConfig {
    /// The defaults, for a server called `name`.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        ServeConfig {
            name: name.into(),
            header_read_timeout: Duration::from_secs(30),
            max_connections: 1024,
            drain_timeout: Duration::from_secs(10),
            keep_alive: true,
        }
    }
}

/// Serves `handler` on `listener` (HTTP/1.1) until `shutdown` completes, then drains: it stops
/// accepting, lets each connection finish the request it is serving (up to
/// [`ServeConfig::drain_timeout`]), aborts what is left, and returns.
///
/// The handler gets each request with the peer's address. When accepting fails (`EMFILE`,
/// `ENFILE`, `ENOBUFS`, ...) the loop sleeps, from 5 ms doubling up to 1 s, instead of spinning.
///
/// # Errors
/// Only when the listener's address cannot be read; a failed connection or accept is logged.
pub async fn serve<H, F, B>(
    listener: TcpListener,
    config: ServeConfig,
    handler: H,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()>
where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Send + Sync + 'static,
    F: Future<Output = Response<B>> + Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let local = listener.local_addr()?;
    serve_on(listener, local, config, handler, shutdown).await;
    Ok(())
}

/// What the accept loop accepts from: a [`TcpListener`], or a fake in the tests.
pub(crate) trait Accept: Send {
    fn accept(&mut self) -> impl Future<Output = io::Result<(TcpStream, SocketAddr)>> + Send;
}

impl Accept for TcpListener {
    async fn accept(&mut self) -> io::Result<(TcpStream, SocketAddr)> {
        TcpListener::accept(self).await
    }
}

/// Sleeps between failed accepts: 5 ms, doubling up to 1 s; reset by a successful accept.
#[derive(Debug, Default)]
pub(crate) struct Backoff(Option<Duration>);

impl Backoff {
    const FIRST: Duration = Duration::from_millis(5);
    const MAX: Duration = Duration::from_secs(1);

    pub(crate) fn next_delay(&mut self) -> Duration {
        let d = self.0.map_or(Self::FIRST, |d| (d * 2).min(Self::MAX));
        self.0 = Some(d);
        d
    }

    fn reset(&mut self) {
        self.0 = None;
    }
}

pub(crate) async fn serve_on<L, H, F, B>(
    mut listener: L,
    local: SocketAddr,
    config: ServeConfig,
    handler: H,
    shutdown: impl Future<Output = ()> + Send,
) where
    L: Accept,
    H: Fn(Request<Incoming>, SocketAddr) -> F + Send + Sync + 'static,
    F: Future<Output = Response<B>> + Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let name = config.name.as_str();
    tracing::info!(server = name, addr = %local, "listening");
    let handler = Arc::new(handler);
    let slots = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut conns = JoinSet::new();
    let mut backoff = Backoff::default();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            (stream, peer, permit) = accept(&mut listener, &slots, &mut backoff, name) => {
                let conn = connection(stream, peer, &config, Arc::clone(&handler), stop_rx.clone(), permit);
                conns.spawn(conn.instrument(tracing::debug_span!("conn", server = name, %peer)));
            }
        }
    }
    tracing::info!(server = name, addr = %local, open = conns.len(), "shutting down: draining connections");
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(config.drain_timeout, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            server = name,
            open = conns.len(),
            "connections still open after {:?}; aborting them",
            config.drain_timeout
        );
        conns.abort_all();
        while conns.join_next().await.is_some() {}
    }
}

/// Waits for a free connection slot, then for a connection (backing off on errors).
/// Cancel-safe: a cancelled wait loses no connection (`TcpListener::accept` is cancel-safe).
async fn accept<L: Accept>(
    listener: &mut L,
    slots: &Arc<Semaphore>,
    backoff: &mut Backoff,
    name: &str,
) -> (TcpStream, SocketAddr, OwnedSemaphorePermit) {
    let Ok(permit) = Arc::clone(slots).acquire_owned().await else {
        // never: the semaphore is not closed
        return std::future::pending().await;
    };
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                backoff.reset();
                return (stream, peer, permit);
            }
            Err(e) => {
                let delay = backoff.next_delay();
                tracing::warn!(server = name, error = %e, ?delay, "accept failed; backing off");
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// Serves one connection until it closes, or until shutdown (then the request in flight is
/// answered and the connection closed).
fn connection<H, F, B>(
    stream: TcpStream,
    peer: SocketAddr,
    config: &ServeConfig,
    handler: Arc<H>,
    mut stop: watch::Receiver<bool>,
    permit: OwnedSemaphorePermit,
) -> impl Future<Output = ()> + Send + 'static
where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Send + Sync + 'static,
    F: Future<Output = Response<B>> + Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
    }
    let svc = service_fn(move |req| {
        let answer = handler(req, peer);
        async move { Ok::<_, Infallible>(answer.await) }
    });
    let mut builder = http1::Builder::new();
    builder
        .keep_alive(config.keep_alive)
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout);
    let conn = builder.serve_connection(TokioIo::new(stream), svc);
    async move {
        let _permit = permit;
        tokio::pin!(conn);
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            }
            _ = stop.changed() => {
                conn.as_mut().graceful_shutdown();
                if let Err(e) = conn.await {
                    tracing::debug!(error = %e, "connection ended with an error while draining");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
