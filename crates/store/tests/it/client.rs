//! A deliberately small HTTP/1.1 client over `std::net::TcpStream`, so tests see exactly the
//! bytes the server sends (status, every header, body) and can send malformed requests.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

/// One response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Sends one request (`Connection: close`) and reads the whole response.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    try_send(addr, method, path, headers, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// [`send`], with connection failures and truncated answers as errors.
pub fn try_send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Resp> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT") {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    // The server may answer (e.g. 413) before the body is sent and close.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse_response(&raw, method == "HEAD")
}

fn parse_response(raw: &[u8], head: bool) -> std::io::Result<Resp> {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Err(std::io::Error::other(format!(
            "no complete response head in {:?}",
            String::from_utf8_lossy(raw)
        )));
    };
    let head_text = std::str::from_utf8(&raw[..end]).expect("utf-8 head");
    let mut lines = head_text.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if head {
        body.clear();
    }
    Ok(Resp {
        status,
        headers,
        body,
    })
}

/// JSON request helpers.
pub fn json(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> Resp {
    match body {
        Some(b) => send(
            addr,
            method,
            path,
            &[("Content-Type", "application/json")],
            &serde_json::to_vec(b).expect("json"),
        ),
        None => send(addr, method, path, &[], b""),
    }
}

pub fn get(addr: SocketAddr, path: &str) -> Resp {
    json(addr, "GET", path, None)
}

pub fn ndjson(addr: SocketAddr, path: &str, body: &str) -> Resp {
    send(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/x-ndjson")],
        body.as_bytes(),
    )
}

/// The JSON body of a successful answer (fails the test with the body otherwise).
pub fn ok(r: &Resp) -> Value {
    assert!(r.status < 300, "{} {}", r.status, r.text());
    r.json()
}

/// Checks an Elasticsearch-shaped error answer (`{"error": {"type", "reason"}, "status"}`) and
/// returns its reason.
pub fn es_error(r: &Resp, status: u16, kind: &str) -> String {
    assert_eq!(r.status, status, "{}", r.text());
    let v = r.json();
    assert_eq!(v["error"]["type"], kind, "{v}");
    assert_eq!(v["status"], status, "{v}");
    v["error"]["reason"].as_str().unwrap_or("").to_owned()
}

/// The `_id`s of `hits.hits` in a search answer (or a `top_hits` aggregation), in order.
pub fn hit_ids(resp: &Value) -> Vec<String> {
    resp["hits"]["hits"]
        .as_array()
        .map(|h| {
            h.iter()
                .map(|x| x["_id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
