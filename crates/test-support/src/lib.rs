//! Helpers shared by the workspace's integration tests.
//!
//! Nothing here is test logic: it finds the workspace, the Python virtualenv that
//! `cargo xtask test` installs, free loopback ports, and polls conditions with a deadline
//! (tests never sleep to synchronise), and fetches and runs a real Elasticsearch cluster
//! ([`peers`]) for the interop tests, the differential tests and the benchmarks.

pub mod peers;

pub mod mmdb;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The workspace root (the directory holding the virtual manifest).
#[must_use]
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .nth(2)
        .expect("crates/test-support sits two levels below the workspace root")
        .to_path_buf()
}

/// The Python interpreter of the virtualenv that `cargo xtask test` installs under
/// `target/py-venv` (with `elasticsearch`, `requests` and `python-logstash-async`).
///
/// `SLUICE_PYTHON` overrides the location.
///
/// # Panics
/// When the interpreter is missing: interop tests must run against the real peers, so they
/// fail with instructions rather than pass without them.
#[must_use]
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("SLUICE_PYTHON") {
        return PathBuf::from(p);
    }
    let p = workspace_root().join("target/py-venv/bin/python");
    assert!(
        p.exists(),
        "the Python interop virtualenv is missing at {}: run `cargo xtask test` (it installs it), \
         or `cargo xtask pyenv`",
        p.display()
    );
    p
}

/// A loopback address whose port was free a moment ago, for TCP and UDP alike.
///
/// The port is below Linux's ephemeral range (32768–60999): a port the OS hands out for port 0
/// and that is then released can go at once to any outgoing connection (every test makes
/// some), and a server started on it a moment later finds it taken. Ports are tried from a
/// place that depends on the process, so test binaries running side by side rarely try the
/// same ones, and each is checked free for both protocols (the syslog input binds both).
///
/// # Panics
/// When no port in the range is free.
#[must_use]
pub fn free_addr() -> SocketAddr {
    use std::net::UdpSocket;
    use std::sync::atomic::{AtomicUsize, Ordering};
    const FIRST: usize = 20_000;
    const COUNT: usize = 12_000;
    static NEXT: AtomicUsize = AtomicUsize::new(usize::MAX);
    let start = std::process::id() as usize * 997 % COUNT;
    let _ = NEXT.compare_exchange(usize::MAX, start, Ordering::AcqRel, Ordering::Acquire);
    for _ in 0..COUNT {
        let port = FIRST + NEXT.fetch_add(1, Ordering::AcqRel) % COUNT;
        let addr = SocketAddr::from(([127, 0, 0, 1], u16::try_from(port).unwrap_or(0)));
        if let (Ok(_tcp), Ok(_udp)) = (TcpListener::bind(addr), UdpSocket::bind(addr)) {
            return addr;
        }
    }
    panic!("no free loopback port in {FIRST}..{}", FIRST + COUNT);
}

/// Polls `cond` every 20 ms until it returns `Some`, or fails after `deadline`.
///
/// # Errors
/// When the deadline passes; the error names `what` was awaited.
pub fn wait_for<T>(
    what: &str,
    deadline: Duration,
    mut cond: impl FnMut() -> Option<T>,
) -> anyhow::Result<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = cond() {
            return Ok(v);
        }
        if start.elapsed() > deadline {
            anyhow::bail!("timed out after {deadline:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until something accepts TCP connections on `addr`.
///
/// # Errors
/// When nothing listens within `deadline`.
pub fn wait_for_port(addr: SocketAddr, deadline: Duration) -> anyhow::Result<()> {
    wait_for(&format!("a listener on {addr}"), deadline, || {
        std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200))
            .ok()
            .map(|_| ())
    })
}

/// A child process killed (SIGKILL) when dropped, so a failing test leaves no server behind.
#[derive(Debug)]
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The inputs kept for the fuzz target `target`: its corpus (`fuzz/corpus/<target>/`) and the
/// reproducers of every crash it found (`fuzz/regressions/<target>/`), as (file, bytes). Tests
/// replay them through the same function the target calls, so a fixed crash stays fixed.
///
/// # Panics
/// When the target has no corpus at all (a renamed target would otherwise test nothing).
#[must_use]
pub fn fuzz_inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = workspace_root().join("fuzz");
    let mut out = Vec::new();
    for dir in [
        root.join("corpus").join(target),
        root.join("regressions").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if let Ok(bytes) = std::fs::read(&path) {
                out.push((path, bytes));
            }
        }
    }
    out.sort();
    assert!(
        !out.is_empty(),
        "no fuzz corpus for [{target}] under {}",
        root.display()
    );
    out
}

/// Builds the beats interop peer, Elastic's go-lumber client (`crates/pipeline/tests/lumber-client`,
/// its modules fetched from the Go module proxy and cached under `target/go`), and returns the
/// binary's path (`target/lumber-client`).
///
/// # Panics
/// When `go` is missing or the build fails: the interop test must run against the real peer.
#[must_use]
pub fn go_lumber_client() -> PathBuf {
    let root = workspace_root();
    let out = root.join("target/lumber-client");
    let go = root.join("target/go");
    let status = std::process::Command::new("go")
        .args(["build", "-o"])
        .arg(&out)
        .arg(".")
        .current_dir(root.join("crates/pipeline/tests/lumber-client"))
        .env("GOPATH", &go)
        .env("GOMODCACHE", go.join("mod"))
        .env("GOCACHE", go.join("cache"))
        .env("GOFLAGS", "-mod=mod")
        .status()
        .expect("the beats interop tests need `go` (1.22 or later) on PATH");
    assert!(status.success(), "go build of the go-lumber client failed");
    out
}

/// A self-signed certificate for `localhost` and 127.0.0.1, made with `openssl` in `dir`:
/// `(cert.pem, key.pem)`.
///
/// # Panics
/// When `openssl` is missing or fails.
#[must_use]
pub fn self_signed_cert(dir: &std::path::Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("the TLS tests need openssl on PATH");
    assert!(status.success(), "openssl could not make a certificate");
    (cert, key)
}
