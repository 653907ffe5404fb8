//! Stand-ins for `test_support` until crates/store lists it as a dev-dependency (requested from
//! the Cargo.toml owner): same names, same behaviour.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("SLUICE_PYTHON") {
        return PathBuf::from(p);
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/py-venv/bin/python");
    assert!(
        p.exists(),
        "the Python interop virtualenv is missing at {}: run `cargo xtask test`",
        p.display()
    );
    p
}

pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
}

pub fn wait_for<T>(
    what: &str,
    deadline: Duration,
    mut cond: impl FnMut() -> Option<T>,
) -> Result<T, String> {
    let start = Instant::now();
    loop {
        if let Some(v) = cond() {
            return Ok(v);
        }
        if start.elapsed() > deadline {
            return Err(format!("timed out after {deadline:?} waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn wait_for_port(addr: SocketAddr, deadline: Duration) -> Result<(), String> {
    wait_for(&format!("a listener on {addr}"), deadline, || {
        std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200))
            .ok()
            .map(|_| ())
    })
}

#[derive(Debug)]
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
