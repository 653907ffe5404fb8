//! A fault-injecting stand-in for an Elasticsearch 8 node.
//!
//! It speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies, gzip request bodies) to
//! serve `_bulk` and a few other APIs with ES 8's exact response shapes, and it really stores
//! what it accepts, so tests can check that each document landed exactly once.
//! Faults are scripted per `_bulk` request ([`Fault`]) and per document (poison field, 429 budget).

use std::collections::{HashMap, VecDeque};
use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// What to do with one `_bulk` request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer the whole request with this status and ES's error body for it (429, 503, ...).
    Status(u16),
    /// Apply the documents, then answer only after this delay (past the client's timeout).
    SlowApply(Duration),
    /// Read part of the body, then reset the connection (nothing applied).
    ResetMidRequest,
    /// Apply the documents, then reset the connection instead of answering.
    ResetAfterApply,
}

/// One stored document.
#[derive(Clone, Debug)]
pub struct Stored {
    pub index: String,
    pub id: String,
    pub source: Value,
}

#[derive(Default)]
pub struct State {
    /// Consumed one per `_bulk` request; when empty, requests are served normally.
    pub faults: VecDeque<Fault>,
    /// Document `n` → how many more times its item is rejected with 429.
    pub reject_429: HashMap<u64, u32>,
    /// Every document accepted, in order.
    pub docs: Vec<Stored>,
    ids: HashMap<(String, String), usize>,
    /// `_bulk` requests received (including faulted ones).
    pub bulk_requests: u64,
    /// Every request's `METHOD path` and headers (lower-case names).
    pub requests: Vec<(String, HashMap<String, String>)>,
    /// Whether to send `X-Elastic-Product: Elasticsearch`.
    pub no_product_header: bool,
    /// Publish addresses returned by `GET _nodes/http`.
    pub sniff: Vec<String>,
    /// Answer every request with this status (for a sick node).
    pub always_status: Option<u16>,
    next_auto_id: u64,
}

impl State {
    /// How many stored documents have field `n` equal to `n`.
    pub fn copies_of(&self, n: u64) -> usize {
        self.docs
            .iter()
            .filter(|d| d.source.get("n").and_then(Value::as_u64) == Some(n))
            .count()
    }
}

pub struct FaultServer {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultServer {
    pub async fn start() -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let st = st.clone();
                tokio::spawn(async move {
                    let _ = serve(sock, st).await;
                });
            }
        });
        FaultServer { addr, state, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("state lock")
    }
}

struct Req {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

async fn serve(mut sock: TcpStream, st: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i;
            }
            let mut chunk = [0u8; 8192];
            let n = sock.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut first = lines.next().unwrap_or_default().split(' ');
        let method = first.next().unwrap_or_default().to_owned();
        let path = first.next().unwrap_or_default().to_owned();
        let headers: HashMap<String, String> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let len: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        buf.drain(..head_end + 4);

        let is_bulk = path
            .split('?')
            .next()
            .unwrap_or_default()
            .ends_with("/_bulk");
        let fault = if is_bulk {
            let mut s = st.lock().expect("lock");
            s.bulk_requests += 1;
            s.faults.pop_front()
        } else {
            None
        };
        if matches!(fault, Some(Fault::ResetMidRequest)) {
            // Take a little of the body, then reset (RST) without answering.
            while buf.len() < len.min(16) {
                let mut chunk = [0u8; 64];
                if sock.read(&mut chunk).await? == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk);
            }
            reset(sock);
            return Ok(());
        }
        while buf.len() < len {
            let mut chunk = [0u8; 65536];
            let n = sock.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let mut body: Vec<u8> = buf.drain(..len).collect();
        if headers.get("content-encoding").map(String::as_str) == Some("gzip") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(body.as_slice()).read_to_end(&mut out)?;
            body = out;
        }
        let req = Req {
            method,
            path,
            headers,
            body,
        };
        st.lock()
            .expect("lock")
            .requests
            .push((format!("{} {}", req.method, req.path), req.headers.clone()));

        let (status, resp_body) = match fault {
            Some(Fault::Status(s)) => (s, whole_error(s)),
            Some(Fault::SlowApply(d)) => {
                let r = handle(&req, &st);
                tokio::time::sleep(d).await;
                r
            }
            Some(Fault::ResetAfterApply) => {
                let _ = handle(&req, &st);
                reset(sock);
                return Ok(());
            }
            _ => {
                let sick = st.lock().expect("lock").always_status;
                match sick {
                    Some(s) => (s, whole_error(s)),
                    None => handle(&req, &st),
                }
            }
        };
        let product = !st.lock().expect("lock").no_product_header;
        let mut out = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
            if req.method == "HEAD" {
                0
            } else {
                resp_body.len()
            }
        );
        if product {
            out.push_str("x-elastic-product: Elasticsearch\r\n");
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        if req.method != "HEAD" {
            bytes.extend_from_slice(resp_body.as_bytes());
        }
        sock.write_all(&bytes).await?;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// ES 8's whole-request error bodies.
pub fn whole_error(status: u16) -> String {
    let (kind, reason) = match status {
        429 => (
            "es_rejected_execution_exception",
            "rejected execution of coordinating operation [coordinating_and_primary_bytes=104857600, replica_bytes=0, all_bytes=104857600, coordinating_operation_bytes=4096, max_coordinating_and_primary_bytes=104857600]",
        ),
        503 => (
            "unavailable_shards_exception",
            "[python-logs][0] primary shard is not active Timeout: [1m], request: [BulkShardRequest [[python-logs][0]] containing [10] requests]",
        ),
        401 => (
            "security_exception",
            "unable to authenticate user [elastic] for REST request [/_bulk]",
        ),
        _ => ("illegal_state_exception", "injected failure"),
    };
    json!({
        "error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason},
        "status": status
    })
    .to_string()
}

fn handle(req: &Req, st: &Arc<Mutex<State>>) -> (u16, String) {
    let path = req.path.split('?').next().unwrap_or_default().to_owned();
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", []) => (
            200,
            json!({"name":"fault-node","cluster_name":"fault","cluster_uuid":"u1",
                   "version":{"number":"8.7.0","build_flavor":"default","lucene_version":"9.5.0"},
                   "tagline":"You Know, for Search"})
            .to_string(),
        ),
        ("GET", ["_nodes", "http"]) => {
            let s = st.lock().expect("lock");
            let nodes: serde_json::Map<String, Value> = s
                .sniff
                .iter()
                .enumerate()
                .map(|(i, a)| (format!("node{i}"), json!({"name": format!("node-{i}"), "http": {"publish_address": a}})))
                .collect();
            (200, json!({"_nodes": {"total": nodes.len(), "successful": nodes.len(), "failed": 0}, "cluster_name": "fault", "nodes": nodes}).to_string())
        }
        ("POST", [.., "_bulk"]) => bulk(req, segs.first().filter(|s| **s != "_bulk").copied(), st),
        ("POST", [index, "_doc"]) => {
            let source: Value = match serde_json::from_slice(&req.body) {
                Ok(v) => v,
                Err(e) => return (400, json!({"error":{"type":"document_parsing_exception","reason":e.to_string()},"status":400}).to_string()),
            };
            let mut s = st.lock().expect("lock");
            s.next_auto_id += 1;
            let id = format!("auto{}", s.next_auto_id);
            store(&mut s, index, &id, source);
            (201, json!({"_index":index,"_id":id,"_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1}).to_string())
        }
        _ => (
            400,
            json!({"error":{"type":"illegal_argument_exception","reason":format!("fault server: no handler for {} {}", req.method, req.path)},"status":400}).to_string(),
        ),
    }
}

fn store(s: &mut State, index: &str, id: &str, source: Value) {
    let key = (index.to_owned(), id.to_owned());
    let stored = Stored {
        index: index.to_owned(),
        id: id.to_owned(),
        source,
    };
    match s.ids.get(&key) {
        Some(&i) => s.docs[i] = stored,
        None => {
            s.ids.insert(key, s.docs.len());
            s.docs.push(stored);
        }
    }
}

fn bulk(req: &Req, path_index: Option<&str>, st: &Arc<Mutex<State>>) -> (u16, String) {
    let text = String::from_utf8_lossy(&req.body).into_owned();
    let mut lines = text.lines();
    let mut items = Vec::new();
    let mut errors = false;
    let mut s = st.lock().expect("lock");
    while let Some(action_line) = lines.next() {
        let Ok(action) = serde_json::from_str::<Value>(action_line) else {
            return (400, json!({"error":{"type":"illegal_argument_exception","reason":"Malformed action/metadata line"},"status":400}).to_string());
        };
        let Some((op, meta)) = action.as_object().and_then(|o| o.iter().next()) else {
            return (400, json!({"error":{"type":"illegal_argument_exception","reason":"Malformed action/metadata line"},"status":400}).to_string());
        };
        let op = op.clone();
        let index = meta
            .get("_index")
            .and_then(Value::as_str)
            .or(path_index)
            .unwrap_or("missing")
            .to_owned();
        let source_line = lines.next().unwrap_or_default();
        let source: Value = serde_json::from_str(source_line).unwrap_or(Value::Null);
        let n = source.get("n").and_then(Value::as_u64);
        let id = match meta.get("_id").and_then(Value::as_str) {
            Some(id) => id.to_owned(),
            None => {
                s.next_auto_id += 1;
                format!("auto{}", s.next_auto_id)
            }
        };
        if let Some(left) = n.and_then(|n| s.reject_429.get_mut(&n)).filter(|l| **l > 0) {
            *left -= 1;
            errors = true;
            items.push(json!({op.clone(): {"_index": index, "_id": id, "status": 429, "error": {
                "type": "es_rejected_execution_exception",
                "reason": "rejected execution of org.elasticsearch.action.support.replication.TransportWriteAction$1/WrappedActionListener{org.elasticsearch.action.support.replication.ReplicationOperation$$Lambda$1234/0x0000000801a1e1c0@5d1f6a0b}{org.elasticsearch.action.bulk.TransportShardBulkAction$$Lambda$5678/0x0000000801a1e3f8@6e0be858} on EsThreadPoolExecutor[name = node-1/write, queue capacity = 10000, org.elasticsearch.common.util.concurrent.EsThreadPoolExecutor@1a2b3c4d[Running, pool size = 2, active threads = 2, queued tasks = 10000, completed tasks = 4242]]"
            }}}));
            continue;
        }
        if source.get("duration").is_some_and(Value::is_string) {
            errors = true;
            let d = source["duration"].as_str().unwrap_or_default().to_owned();
            items.push(json!({op.clone(): {"_index": index, "_id": id, "status": 400, "error": {
                "type": "document_parsing_exception",
                "reason": format!("[1:42] failed to parse field [duration] of type [float] in document with id '{id}'. Preview of field's value: '{d}'"),
                "caused_by": {"type": "number_format_exception", "reason": format!("For input string: \"{d}\"")}
            }}}));
            continue;
        }
        let key = (index.clone(), id.clone());
        if op == "create" && s.ids.contains_key(&key) {
            errors = true;
            items.push(json!({op.clone(): {"_index": index, "_id": id, "status": 409, "error": {
                "type": "version_conflict_engine_exception",
                "reason": format!("[{id}]: version conflict, document already exists (current version [1])"),
                "index_uuid": "aAsFqTI0Tc2W0LCWgPNrOA", "shard": "0", "index": index
            }}}));
            continue;
        }
        let existed = s.ids.contains_key(&key);
        store(&mut s, &index, &id, source);
        let (status, result) = if existed {
            (200, "updated")
        } else {
            (201, "created")
        };
        items.push(json!({op.clone(): {"_index": index, "_id": id, "_version": 1, "result": result,
            "_shards": {"total": 2, "successful": 1, "failed": 0}, "_seq_no": 0, "_primary_term": 1, "status": status}}));
    }
    (
        200,
        json!({"took": 3, "errors": errors, "items": items}).to_string(),
    )
}

/// Closes with an RST (SO_LINGER 0) instead of a FIN. With a zero linger the close does not
/// block, which is what tokio's deprecation warns about.
#[allow(deprecated)]
fn reset(sock: TcpStream) {
    let _ = sock.set_linger(Some(Duration::ZERO));
    drop(sock);
}
