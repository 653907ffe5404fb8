//! The TCP json_lines transport: one connection, reconnect with exponential backoff.

use std::io::{ErrorKind, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// A lazily (re)connected TCP stream.
pub(crate) struct Tcp {
    host: String,
    port: u16,
    timeout: Duration,
    stream: Option<TcpStream>,
    backoff_min: Duration,
    backoff_max: Duration,
    /// The wait before the next connect attempt (zero when the last attempt worked).
    pub backoff: Duration,
}

impl Tcp {
    pub fn new(
        host: &str,
        port: u16,
        timeout: Duration,
        backoff_min: Duration,
        backoff_max: Duration,
    ) -> Self {
        Self {
            host: host.to_owned(),
            port,
            timeout,
            stream: None,
            backoff_min,
            backoff_max,
            backoff: Duration::ZERO,
        }
    }

    /// Makes sure a live connection exists. On failure, returns the error and grows the
    /// backoff the caller should wait before the next attempt.
    pub fn ensure(&mut self) -> std::io::Result<bool> {
        if let Some(s) = &self.stream {
            if peer_alive(s) {
                return Ok(false);
            }
            tracing::info!(host = %self.host, port = self.port, "agent closed the connection; reconnecting");
            self.stream = None;
        }
        match self.connect() {
            Ok(s) => {
                self.stream = Some(s);
                self.backoff = Duration::ZERO;
                Ok(true)
            }
            Err(e) => {
                self.backoff = if self.backoff.is_zero() {
                    self.backoff_min
                } else {
                    (self.backoff * 2).min(self.backoff_max)
                };
                Err(e)
            }
        }
    }

    fn connect(&self) -> std::io::Result<TcpStream> {
        let mut last = None;
        for addr in (self.host.as_str(), self.port).to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, self.timeout) {
                Ok(s) => {
                    s.set_nodelay(true)?;
                    s.set_write_timeout(Some(self.timeout))?;
                    return Ok(s);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            std::io::Error::new(
                ErrorKind::NotFound,
                format!("{} resolves to no address", self.host),
            )
        }))
    }

    /// Writes the whole buffer and flushes. On failure the connection is dropped (the next
    /// [`Tcp::ensure`] reconnects) and the backoff starts.
    pub fn send(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let Some(s) = self.stream.as_mut() else {
            return Err(std::io::Error::new(
                ErrorKind::NotConnected,
                "not connected",
            ));
        };
        let r = s.write_all(buf).and_then(|()| s.flush());
        if r.is_err() {
            self.stream = None;
            self.backoff = self.backoff_min;
        }
        r
    }

    /// True right after the first failed attempt of a streak.
    pub fn first_failure(&self) -> bool {
        self.backoff == self.backoff_min
    }

    pub fn close(&mut self) {
        if let Some(s) = self.stream.take() {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// False when the peer has closed or reset the connection (a non-blocking peek sees EOF or
/// an error). Agents do not send anything on a json_lines connection, so data to read is
/// unexpected but harmless.
fn peer_alive(s: &TcpStream) -> bool {
    if s.set_nonblocking(true).is_err() {
        return false;
    }
    let mut b = [0u8; 1];
    let alive = match s.peek(&mut b) {
        Ok(0) => false,
        Ok(_) => true,
        Err(e) => e.kind() == ErrorKind::WouldBlock,
    };
    s.set_nonblocking(false).is_ok() && alive
}
