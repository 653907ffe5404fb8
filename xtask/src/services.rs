//! Child processes the demo and benchmarks start, and a minimal HTTP/1.0 client to poll them
//! (xtask stays free of the project's crates so that it builds in seconds).

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use base64::Engine as _;

/// A started server, stopped with SIGTERM (then SIGKILL) when asked or dropped.
pub struct Service {
    pub name: &'static str,
    pub log: PathBuf,
    child: Option<Child>,
}

impl Service {
    /// Starts `cmd` with stdout and stderr appended to `log`.
    pub fn start(name: &'static str, cmd: &mut Command, log: &Path) -> anyhow::Result<Self> {
        let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone()?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("starting {name}: {cmd:?}"))?;
        Ok(Self {
            name,
            log: log.to_path_buf(),
            child: Some(child),
        })
    }

    /// Fails with the log's tail if the process has exited.
    pub fn check_running(&mut self) -> anyhow::Result<()> {
        if let Some(child) = &mut self.child
            && let Some(status) = child.try_wait()?
        {
            bail!(
                "{} exited early ({status}); last lines of {}:\n{}",
                self.name,
                self.log.display(),
                tail(&self.log, 15)
            );
        }
        Ok(())
    }

    /// SIGTERM, then waits up to `grace` for a clean exit; SIGKILL after that.
    /// Returns whether the exit was clean (status 0 within the grace period).
    pub fn stop(&mut self, grace: Duration) -> anyhow::Result<bool> {
        let Some(mut child) = self.child.take() else {
            return Ok(true);
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < grace {
            if let Some(status) = child.try_wait()? {
                return Ok(status.success());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        Ok(false)
    }

    /// Leaves the process running after xtask exits.
    pub fn detach(mut self) -> u32 {
        self.child.take().map_or(0, |c| c.id())
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The last `n` lines of a file (for error messages).
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// `preferred` on loopback if it is free, else a free port.
pub fn pick_port(preferred: u16) -> anyhow::Result<SocketAddr> {
    if let Ok(l) = TcpListener::bind(("127.0.0.1", preferred)) {
        return Ok(l.local_addr()?);
    }
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// Polls `cond` every 100 ms until it returns `Some` or `deadline` passes.
pub fn poll<T>(
    what: &str,
    deadline: Duration,
    mut cond: impl FnMut() -> anyhow::Result<Option<T>>,
) -> anyhow::Result<T> {
    let start = Instant::now();
    let mut last_err = None;
    loop {
        match cond() {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) => last_err = Some(e),
        }
        if start.elapsed() > deadline {
            match last_err {
                Some(e) => bail!("timed out after {deadline:?} waiting for {what}: {e:#}"),
                None => bail!("timed out after {deadline:?} waiting for {what}"),
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One HTTP/1.0 request (so the answer is never chunked); returns status and body.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    basic: Option<(&str, &str)>,
) -> anyhow::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
    if let Some((u, p)) = basic {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
        req.push_str(&format!("Authorization: Basic {token}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("no HTTP status in the answer to {method} {path}"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// Waits until something accepts TCP connections on `addr`.
pub fn wait_port(addr: SocketAddr, deadline: Duration) -> anyhow::Result<()> {
    poll(&format!("a listener on {addr}"), deadline, || {
        Ok(
            TcpStream::connect_timeout(&addr, Duration::from_millis(200))
                .ok()
                .map(|_| ()),
        )
    })
}

/// A process's peak resident set size (`VmHWM`) in KiB, while it is alive.
pub fn peak_rss_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
