use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{Semaphore, mpsc};
use tokio::time::{Instant, timeout};

use super::*;
use crate::testing::{DEADLINE, Server, get, read_response, text};

async fn connect(addr: SocketAddr) -> BufReader<TcpStream> {
    BufReader::new(TcpStream::connect(addr).await.expect("connect"))
}

#[tokio::test]
async fn answers_with_the_peer_address_and_keeps_the_connection_alive() {
    let mut s = Server::start(
        ServeConfig::new("test"),
        |req: Request<Incoming>, peer| async move {
            text(200, format!("{} from {}", req.uri().path(), peer.ip()))
        },
    )
    .await;
    let mut c = connect(s.addr).await;
    for path in ["/a", "/b"] {
        c.get_mut()
            .write_all(get(path).as_bytes())
            .await
            .expect("write");
        let r = timeout(DEADLINE, read_response(&mut c))
            .await
            .expect("in time");
        assert_eq!(
            r.expect("response"),
            (200, format!("{path} from 127.0.0.1"))
        );
    }
    s.shutdown();
    timeout(DEADLINE, &mut s.task)
        .await
        .expect("drained in time")
        .expect("join")
        .expect("serve");
}

#[tokio::test]
async fn at_the_connection_limit_a_new_client_waits_until_one_closes() {
    let mut config = ServeConfig::new("test");
    config.max_connections = 1;
    let s = Server::start(config, |_req, _peer| async { text(200, "ok") }).await;
    let mut first = connect(s.addr).await;
    first
        .get_mut()
        .write_all(get("/").as_bytes())
        .await
        .expect("write");
    let r = timeout(DEADLINE, read_response(&mut first))
        .await
        .expect("in time");
    assert_eq!(r.expect("first"), (200, "ok".to_owned()));
    // The first connection stays open (keep-alive): the second waits in the backlog.
    let mut second = connect(s.addr).await;
    second
        .get_mut()
        .write_all(get("/").as_bytes())
        .await
        .expect("write");
    assert!(
        timeout(Duration::from_millis(300), read_response(&mut second))
            .await
            .is_err(),
        "the second connection was served beside the first, over the limit of 1"
    );
    drop(first);
    let r = timeout(DEADLINE, read_response(&mut second))
        .await
        .expect("served once the first closed");
    assert_eq!(r.expect("second"), (200, "ok".to_owned()));
}

type Answer =
    std::pin::Pin<Box<dyn Future<Output = Response<http_body_util::Full<bytes::Bytes>>> + Send>>;

/// A handler that tells `entered` it started and answers once `gate` gives it a permit.
fn gated(
    gate: &Arc<Semaphore>,
    entered: &mpsc::UnboundedSender<()>,
) -> impl Fn(Request<Incoming>, SocketAddr) -> Answer + Send + Sync + 'static {
    let gate = Arc::clone(gate);
    let entered = entered.clone();
    move |_req, _peer| {
        let gate = Arc::clone(&gate);
        let entered = entered.clone();
        Box::pin(async move {
            let _ = entered.send(());
            let _permit = gate.acquire().await.expect("gate open");
            text(200, "finished")
        })
    }
}

#[tokio::test]
async fn shutdown_lets_the_request_in_flight_finish_and_stops_accepting() {
    let gate = Arc::new(Semaphore::new(0));
    let (entered_tx, mut entered) = mpsc::unbounded_channel();
    let mut s = Server::start(ServeConfig::new("test"), gated(&gate, &entered_tx)).await;
    let mut c = connect(s.addr).await;
    c.get_mut()
        .write_all(get("/slow").as_bytes())
        .await
        .expect("write");
    timeout(DEADLINE, entered.recv())
        .await
        .expect("handler entered");
    s.shutdown();
    // The listener is closed at once...
    let refused = timeout(DEADLINE, async {
        loop {
            if TcpStream::connect(s.addr).await.is_err() {
                return;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(refused.is_ok(), "still accepting after shutdown");
    // ...but the request in flight is not cut off.
    assert!(
        timeout(Duration::from_millis(200), &mut s.task)
            .await
            .is_err(),
        "serve returned with a request in flight"
    );
    gate.add_permits(1);
    let r = timeout(DEADLINE, read_response(&mut c))
        .await
        .expect("in time");
    assert_eq!(
        r.expect("the request in flight"),
        (200, "finished".to_owned())
    );
    timeout(DEADLINE, &mut s.task)
        .await
        .expect("returned once drained")
        .expect("join")
        .expect("serve");
}

#[tokio::test]
async fn shutdown_aborts_what_outlives_the_drain_timeout() {
    let gate = Arc::new(Semaphore::new(0));
    let (entered_tx, mut entered) = mpsc::unbounded_channel();
    let mut config = ServeConfig::new("test");
    config.drain_timeout = Duration::from_millis(100);
    let mut s = Server::start(config, gated(&gate, &entered_tx)).await;
    let mut c = connect(s.addr).await;
    c.get_mut()
        .write_all(get("/never").as_bytes())
        .await
        .expect("write");
    timeout(DEADLINE, entered.recv())
        .await
        .expect("handler entered");
    s.shutdown();
    timeout(DEADLINE, &mut s.task)
        .await
        .expect("returned after the drain timeout")
        .expect("join")
        .expect("serve");
    let r = timeout(DEADLINE, read_response(&mut c))
        .await
        .expect("closed in time");
    assert!(r.is_err(), "an aborted request was answered: {r:?}");
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_header_timeout() {
    let mut config = ServeConfig::new("test");
    config.header_read_timeout = Duration::from_millis(200);
    let s = Server::start(config, |_req, _peer| async { text(200, "ok") }).await;
    let mut c = TcpStream::connect(s.addr).await.expect("connect");
    c.write_all(b"GET / HTTP/1.1\r\nHost:")
        .await
        .expect("write");
    let mut rest = Vec::new();
    let closed = timeout(DEADLINE, c.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the connection stayed open");
    assert!(!String::from_utf8_lossy(&rest).contains("200"), "{rest:?}");
}

#[test]
fn the_backoff_doubles_up_to_a_second_and_resets() {
    let mut b = Backoff::default();
    let delays: Vec<u64> = (0..10)
        .map(|_| u64::try_from(b.next_delay().as_millis()).expect("small"))
        .collect();
    assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    b.reset();
    assert_eq!(b.next_delay(), Duration::from_millis(5));
}

/// Fails every accept with `EMFILE` (as a process out of file descriptors does), noting when
/// each was tried; after 1,000 tries it stops answering, so a spinning loop ends the test.
struct OutOfFiles {
    tries: Arc<Tries>,
}

struct Tries {
    at: std::sync::Mutex<Vec<Instant>>,
    count: AtomicUsize,
}

impl Accept for OutOfFiles {
    async fn accept(&mut self) -> io::Result<(TcpStream, SocketAddr)> {
        if self.tries.count.fetch_add(1, Ordering::SeqCst) >= 1000 {
            return std::future::pending().await;
        }
        self.tries.at.lock().expect("lock").push(Instant::now());
        Err(io::Error::from_raw_os_error(24))
    }
}

#[tokio::test(start_paused = true)]
async fn failed_accepts_back_off_instead_of_spinning() {
    let tries = Arc::new(Tries {
        at: std::sync::Mutex::new(Vec::new()),
        count: AtomicUsize::new(0),
    });
    let listener = OutOfFiles {
        tries: Arc::clone(&tries),
    };
    let local = SocketAddr::from(([127, 0, 0, 1], 0));
    serve_on(
        listener,
        local,
        ServeConfig::new("test"),
        |_req, _peer| async { text(200, "never") },
        tokio::time::sleep(Duration::from_secs(5)),
    )
    .await;
    let at = tries.at.lock().expect("lock").clone();
    // 0, 5, 15, 35, ... ms: 5 s hold 13 tries at most, a spinning loop the 1,000.
    assert!((5..=14).contains(&at.len()), "{} accepts in 5 s", at.len());
    let gaps: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps[0] >= Duration::from_millis(5), "{gaps:?}");
    assert!(gaps.windows(2).all(|g| g[1] >= g[0]), "{gaps:?}");
}
