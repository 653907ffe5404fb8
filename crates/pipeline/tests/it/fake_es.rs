//! A tiny Elasticsearch `_bulk` endpoint for fault injection: items are answered by what the
//! document asks for (`"fail429": n` → 429 for its first n attempts, `"bad": true` → 400
//! mapper_parsing_exception), and the whole endpoint can be switched "down" (503).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::Mutex;
use serde_json::{Value, json};

#[derive(Default)]
pub struct State {
    /// Every document stored: (index, source).
    pub docs: Mutex<Vec<(String, Value)>>,
    attempts: Mutex<HashMap<String, u64>>,
    pub down: AtomicBool,
    pub requests: AtomicU64,
    /// Every bulk action: (op, action metadata, source or body; `null` for delete).
    pub actions: Mutex<Vec<(String, Value, Value)>>,
    /// Every other request: (method, path, JSON body or `null`).
    pub calls: Mutex<Vec<(String, String, Value)>>,
}

pub struct FakeEs {
    pub addr: SocketAddr,
    pub state: Arc<State>,
}

impl FakeEs {
    pub fn start() -> FakeEs {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        let st = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let st = st.clone();
                std::thread::spawn(move || serve(stream, &st));
            }
        });
        FakeEs { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn count(&self) -> usize {
        self.state.docs.lock().len()
    }

    pub fn sources(&self) -> Vec<Value> {
        self.state
            .docs
            .lock()
            .iter()
            .map(|(_, s)| s.clone())
            .collect()
    }

    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }
}

fn serve(stream: TcpStream, st: &State) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let method = line.split_whitespace().next().unwrap_or("GET").to_string();
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (status, resp) = answer(st, &method, &path, &body);
        let text = if method == "HEAD" {
            String::new()
        } else {
            resp.to_string()
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\nx-elastic-product: Elasticsearch\r\ncontent-length: {}\r\n\r\n",
            text.len()
        );
        if out.write_all(head.as_bytes()).is_err() || out.write_all(text.as_bytes()).is_err() {
            return;
        }
    }
}

fn answer(st: &State, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
    st.requests.fetch_add(1, Ordering::SeqCst);
    if st.down.load(Ordering::SeqCst) {
        return (
            503,
            json!({"error": {"type": "unavailable", "reason": "down for the test"}, "status": 503}),
        );
    }
    if !path.contains("_bulk") {
        let parsed = serde_json::from_slice(body).unwrap_or(Value::Null);
        st.calls
            .lock()
            .push((method.to_owned(), path.to_owned(), parsed));
        if path.starts_with("/_index_template/") && method == "HEAD" {
            return (404, Value::Null);
        }
        if path.starts_with("/_index_template/") {
            return (200, json!({"acknowledged": true}));
        }
        return (
            200,
            json!({"name": "fake", "cluster_name": "fake", "version": {"number": "8.15.0"}, "tagline": "You Know, for Search"}),
        );
    }
    let text = String::from_utf8_lossy(body);
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let mut items = Vec::new();
    let mut errors = false;
    while let Some(action) = lines.next() {
        let action: Value = serde_json::from_str(action).unwrap();
        let (op, meta) = action.as_object().unwrap().iter().next().unwrap();
        let index = meta["_index"].as_str().unwrap_or("default").to_string();
        let source_text = if op == "delete" {
            "null"
        } else {
            lines.next().unwrap_or("{}")
        };
        st.actions.lock().push((
            op.clone(),
            meta.clone(),
            serde_json::from_str(source_text).unwrap_or(Value::Null),
        ));
        let source: Value = serde_json::from_str(source_text).unwrap_or(Value::Null);
        let attempt = {
            let mut a = st.attempts.lock();
            let n = a.entry(source_text.to_string()).or_insert(0);
            *n += 1;
            *n
        };
        let fail429 = source["fail429"].as_u64().unwrap_or(0);
        let item = if source["bad"] == json!(true) {
            errors = true;
            json!({"status": 400, "_index": index, "error": {"type": "mapper_parsing_exception", "reason": "failed to parse field [bad]"}})
        } else if attempt <= fail429 {
            errors = true;
            json!({"status": 429, "_index": index, "error": {"type": "es_rejected_execution_exception", "reason": "queue full"}})
        } else {
            st.docs.lock().push((index.clone(), source));
            json!({"status": 201, "_index": index, "_id": format!("id{attempt}"), "result": "created", "_version": 1})
        };
        items.push(json!({ op.clone(): item }));
    }
    (200, json!({"took": 1, "errors": errors, "items": items}))
}
