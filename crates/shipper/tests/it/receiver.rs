//! A small TCP json_lines receiver standing in for the agent: it decodes every complete
//! line as JSON and keeps it; reading can be paused to make the sender block.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

#[derive(Default)]
struct State {
    events: Mutex<Vec<Value>>,
    /// Readers stop reading while `events.len() >= pause_at`.
    pause_at: AtomicUsize,
    bad_lines: AtomicUsize,
    /// Connections accepted and not yet closed by the peer.
    open: AtomicUsize,
}

pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl Receiver {
    pub fn start() -> Self {
        Self::start_at("127.0.0.1:0".parse().expect("addr"))
    }

    pub fn start_at(addr: SocketAddr) -> Self {
        let listener = TcpListener::bind(addr).expect("bind the test receiver");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State {
            pause_at: AtomicUsize::new(usize::MAX),
            ..State::default()
        });
        let s = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let s = s.clone();
                s.open.fetch_add(1, SeqCst);
                std::thread::spawn(move || {
                    read(&conn, &s);
                    s.open.fetch_sub(1, SeqCst);
                });
            }
        });
        Self { addr, state }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn count(&self) -> usize {
        self.state.events.lock().expect("lock").len()
    }

    pub fn events(&self) -> Vec<Value> {
        self.state.events.lock().expect("lock").clone()
    }

    pub fn bad_lines(&self) -> usize {
        self.state.bad_lines.load(SeqCst)
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.state.open.load(SeqCst)
    }

    /// Stop reading once `n` events were received.
    pub fn pause_at(&self, n: usize) {
        self.state.pause_at.store(n, SeqCst);
    }

    pub fn resume(&self) {
        self.state.pause_at.store(usize::MAX, SeqCst);
    }

    /// Waits until at least `n` events arrived.
    pub fn wait_count(&self, n: usize, deadline: Duration) -> Vec<Value> {
        test_support::wait_for(&format!("{n} events at the receiver"), deadline, || {
            (self.count() >= n).then(|| self.events())
        })
        .unwrap_or_else(|e| panic!("{e} (got {})", self.count()))
    }

    /// After the sender closed its connections: waits until at least `n` events arrived and
    /// every connection was read to its end, so that nothing more (no duplicate) is coming.
    pub fn settled(&self, n: u64) -> Vec<Value> {
        let n = usize::try_from(n).expect("count");
        test_support::wait_for(
            &format!("{n} events and closed connections"),
            Duration::from_secs(20),
            || (self.count() >= n && self.open_connections() == 0).then(|| self.events()),
        )
        .unwrap_or_else(|e| panic!("{e} (got {})", self.count()))
    }

    /// The `id` field of every event received, in arrival order.
    pub fn ids(&self) -> Vec<u64> {
        self.events()
            .iter()
            .map(|e| e["id"].as_u64().expect("event with a numeric id"))
            .collect()
    }
}

fn read(conn: &TcpStream, s: &State) {
    let mut r = BufReader::new(conn);
    let mut line = Vec::new();
    loop {
        while s.events.lock().expect("lock").len() >= s.pause_at.load(SeqCst) {
            std::thread::sleep(Duration::from_millis(5));
        }
        line.clear();
        match r.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line.last() != Some(&b'\n') => return, // cut by a crash: not delivered
            Ok(_) => match serde_json::from_slice::<Value>(&line) {
                Ok(v) => s.events.lock().expect("lock").push(v),
                Err(_) => {
                    s.bad_lines.fetch_add(1, SeqCst);
                }
            },
        }
    }
}
