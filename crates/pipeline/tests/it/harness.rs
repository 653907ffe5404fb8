//! Runs a pipeline in-process on its own runtime thread.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use pipeline::runtime::{self, Settings};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub const DEADLINE: Duration = Duration::from_secs(60);

pub struct Agent {
    pub api: SocketAddr,
    shutdown: CancellationToken,
    force: CancellationToken,
    thread: Option<std::thread::JoinHandle<pipeline::Result<()>>>,
}

impl Agent {
    pub fn start(config: &str, settings: Settings) -> pipeline::Result<Agent> {
        let (tx, rx) = std::sync::mpsc::channel();
        let config = config.to_string();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let started = async {
                    let p = pipeline::config::parse_str("test.conf", &config)?;
                    let force = CancellationToken::new();
                    let comps = runtime::build(&p, &settings, &force)?;
                    let running = runtime::start(comps, settings, force.clone()).await?;
                    let stop = running.shutdown_token();
                    let mon =
                        pipeline::monitor::serve("127.0.0.1:0", running.shared(), stop.clone())
                            .await?;
                    pipeline::Result::Ok((running, mon.addr, stop, force))
                }
                .await;
                match started {
                    Ok((running, addr, stop, force)) => {
                        let _ = tx.send(Ok((addr, stop, force)));
                        running.wait().await
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        Ok(())
                    }
                }
            })
        });
        let (api, shutdown, force) = rx.recv().unwrap()?;
        Ok(Agent {
            api,
            shutdown,
            force,
            thread: Some(thread),
        })
    }

    /// GET on the monitoring API.
    pub fn get(&self, path: &str) -> (u16, Value) {
        http_get(self.api, path)
    }

    pub fn stats(&self) -> Value {
        self.get("/_node/stats/pipelines").1["pipelines"]["main"].clone()
    }

    /// Graceful shutdown: drains; returns the pipeline's result.
    pub fn stop(mut self) -> pipeline::Result<()> {
        self.shutdown.cancel();
        self.thread.take().unwrap().join().unwrap()
    }

    /// Forced shutdown (outputs still retrying are abandoned).
    pub fn kill(mut self) {
        self.force.cancel();
        self.shutdown.cancel();
        let _ = self.thread.take().unwrap().join().unwrap();
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            self.force.cancel();
            self.shutdown.cancel();
            let _ = t.join();
        }
    }
}

pub fn http_get(addr: SocketAddr, path: &str) -> (u16, Value) {
    http(addr, "GET", path, "", "")
}

pub fn http(addr: SocketAddr, method: &str, path: &str, ctype: &str, body: &str) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let v = serde_json::from_str(body).unwrap_or(Value::String(body.to_string()));
    (status, v)
}

/// Sends raw bytes over one TCP connection and closes it.
pub fn send_tcp(addr: SocketAddr, bytes: &[u8]) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(bytes).unwrap();
}
