//! The Elasticsearch transport against a small in-test `_bulk` endpoint that behaves like
//! Elasticsearch for `create`: 201 for a new id, 409 for an id it already has, 400 for a
//! document it cannot map, 503 for the whole request while "overloaded".

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value, json};
use shipper::{Builder, Shipper, Transport};

const DEADLINE: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Index {
    /// `_id` -> (`_index`, source)
    docs: Mutex<BTreeMap<String, (String, Value)>>,
    overloaded: AtomicBool,
}

struct FakeEs {
    addr: SocketAddr,
    state: Arc<Index>,
}

impl FakeEs {
    fn start_at(addr: SocketAddr) -> Self {
        let l = TcpListener::bind(addr).expect("bind");
        let addr = l.local_addr().expect("addr");
        let state = Arc::new(Index::default());
        let s = state.clone();
        std::thread::spawn(move || {
            for c in l.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || serve(c, &s));
            }
        });
        Self { addr, state }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn docs(&self) -> BTreeMap<String, (String, Value)> {
        self.state.docs.lock().expect("lock").clone()
    }
}

fn serve(c: TcpStream, s: &Index) {
    let mut r = BufReader::new(c.try_clone().expect("clone"));
    let mut w = c;
    loop {
        let mut request_line = String::new();
        if r.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h == "\r\n" {
                break;
            }
            if let Some((k, v)) = h.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_owned();
        let (status, reply) = if !path.split('?').next().unwrap_or("").ends_with("/_bulk") {
            (200, json!({}))
        } else if s.overloaded.load(SeqCst) {
            (
                503,
                json!({"error": {"type": "unavailable", "reason": "overloaded"}, "status": 503}),
            )
        } else {
            (200, bulk(&path, &body, s))
        };
        let text = reply.to_string();
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\nx-elastic-product: Elasticsearch\r\ncontent-length: {}\r\n\r\n",
            text.len()
        );
        if w.write_all(head.as_bytes())
            .and_then(|()| w.write_all(text.as_bytes()))
            .is_err()
        {
            return;
        }
    }
}

fn bulk(path: &str, body: &[u8], s: &Index) -> Value {
    let default_index = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .filter(|p| *p != "_bulk");
    let mut lines = body.split(|b| *b == b'\n').filter(|l| !l.is_empty());
    let mut items = Vec::new();
    let mut errors = false;
    while let (Some(action), Some(source)) = (lines.next(), lines.next()) {
        let action: Value = serde_json::from_slice(action).expect("action line");
        let meta = &action["create"];
        let id = meta["_id"].as_str().expect("an _id").to_owned();
        let index = meta["_index"]
            .as_str()
            .or(default_index)
            .expect("an index")
            .to_owned();
        let source: Value = serde_json::from_slice(source).expect("source line");
        let mut docs = s.docs.lock().expect("lock");
        let item = if source.get("bad").is_some() {
            errors = true;
            json!({"_index": index, "_id": id, "status": 400,
                   "error": {"type": "document_parsing_exception", "reason": "failed to parse field [bad]"}})
        } else if docs.contains_key(&id) {
            errors = true;
            json!({"_index": index, "_id": id, "status": 409,
                   "error": {"type": "version_conflict_engine_exception", "reason": "document already exists"}})
        } else {
            docs.insert(id.clone(), (index.clone(), source));
            json!({"_index": index, "_id": id, "status": 201, "result": "created"})
        };
        items.push(json!({"create": item}));
    }
    json!({"took": 1, "errors": errors, "items": items})
}

fn event(id: u64, extra: &[(&str, Value)]) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("@timestamp".into(), "2026-11-24T22:15:44.123Z".into());
    m.insert("id".into(), id.into());
    for (k, v) in extra {
        m.insert((*k).to_owned(), v.clone());
    }
    m
}

fn builder(url: &str, index: &str, db: &std::path::Path) -> Builder {
    let mut b = Shipper::builder(Transport::elasticsearch(url, index));
    b.database(db)
        .flush_interval(Duration::from_millis(5))
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(50));
    b
}

fn ids_of(docs: &BTreeMap<String, (String, Value)>) -> Vec<u64> {
    let mut ids: Vec<u64> = docs
        .values()
        .map(|(_, v)| v["id"].as_u64().expect("id"))
        .collect();
    ids.sort_unstable();
    ids
}

#[test]
fn durable_queue_to_elasticsearch_with_stable_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let es = FakeEs::start_at("127.0.0.1:0".parse().expect("addr"));
    let shipper = builder(&es.url(), "python-logs", &dir.path().join("q.db"))
        .batch_size(50)
        .build()
        .expect("build");
    for id in 0..300 {
        shipper.log(event(id, &[]));
    }
    shipper.flush(DEADLINE).expect("flush");
    let stats = shipper.shutdown(DEADLINE);
    let docs = es.docs();
    assert_eq!(ids_of(&docs), (0..300).collect::<Vec<_>>());
    assert!(docs.values().all(|(index, _)| index == "python-logs"));
    let prefixes: std::collections::BTreeSet<&str> = docs
        .keys()
        .map(|k| k.rsplit_once('-').expect("token-row id").0)
        .collect();
    assert_eq!(prefixes.len(), 1, "one queue token: {prefixes:?}");
    assert_eq!(
        (stats.sent, stats.failed, stats.pending_on_disk),
        (300, 0, 0)
    );
}

#[test]
fn elasticsearch_down_or_overloaded_keeps_events_queued_until_it_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = test_support::free_addr();
    let shipper = builder(&format!("http://{addr}"), "logs", &dir.path().join("q.db"))
        .build()
        .expect("build");
    for id in 0..100 {
        shipper.log(event(id, &[]));
    }
    shipper.sync(DEADLINE).expect("sync");
    assert_eq!(shipper.stats().pending_on_disk, 100);
    let es = FakeEs::start_at(addr);
    es.state.overloaded.store(true, SeqCst);
    test_support::wait_for("a failed bulk attempt", DEADLINE, || {
        (shipper.stats().send_errors > 1).then_some(())
    })
    .expect("attempts");
    assert_eq!(
        shipper.stats().pending_on_disk,
        100,
        "503s keep events queued"
    );
    es.state.overloaded.store(false, SeqCst);
    shipper.flush(DEADLINE).expect("flush");
    let stats = shipper.shutdown(DEADLINE);
    assert_eq!(ids_of(&es.docs()), (0..100).collect::<Vec<_>>());
    assert_eq!((stats.sent, stats.failed), (100, 0));
}

#[test]
fn final_item_failures_are_counted_and_leave_the_queue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let es = FakeEs::start_at("127.0.0.1:0".parse().expect("addr"));
    let shipper = builder(&es.url(), "logs", &dir.path().join("q.db"))
        .build()
        .expect("build");
    for id in 0..20 {
        let extra = if id % 5 == 0 {
            vec![("bad", json!(true))]
        } else {
            vec![]
        };
        shipper.log(event(id, &extra));
    }
    shipper.flush(DEADLINE).expect("flush");
    let stats = shipper.shutdown(DEADLINE);
    assert_eq!(
        (stats.sent, stats.failed, stats.pending_on_disk),
        (16, 4, 0)
    );
    assert_eq!(ids_of(&es.docs()).len(), 16);
}

#[test]
/// What makes a re-sent batch idempotent: `_id`s are `<token>-<row>`, the token is kept in
/// the database and row ids are never reused, across runs.
fn ids_are_stable_per_database_across_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("q.db");
    let es = FakeEs::start_at("127.0.0.1:0".parse().expect("addr"));
    for round in 0..2 {
        let shipper = builder(&es.url(), "logs", &db).build().expect("build");
        shipper.log(event(round, &[]));
        shipper.flush(DEADLINE).expect("flush");
        let _ = shipper.shutdown(DEADLINE);
    }
    let docs = es.docs();
    let tokens: std::collections::BTreeSet<&str> = docs
        .keys()
        .map(|k| k.rsplit_once('-').expect("id").0)
        .collect();
    let rows: Vec<&str> = docs
        .keys()
        .map(|k| k.rsplit_once('-').expect("id").1)
        .collect();
    assert_eq!(tokens.len(), 1, "the token is kept in the database");
    assert_eq!(rows, ["1", "2"], "row ids are never reused");
}

#[test]
fn index_template_per_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let es = FakeEs::start_at("127.0.0.1:0".parse().expect("addr"));
    let shipper = builder(
        &es.url(),
        "python-logs-%{+YYYY.MM.dd}",
        &dir.path().join("q.db"),
    )
    .build()
    .expect("build");
    shipper.log(event(1, &[]));
    shipper.flush(DEADLINE).expect("flush");
    let _ = shipper.shutdown(DEADLINE);
    let docs = es.docs();
    assert_eq!(
        docs.values().map(|(i, _)| i.as_str()).collect::<Vec<_>>(),
        ["python-logs-2026.11.24"]
    );
}

/// A batch that reached Elasticsearch but stayed in the queue (a crash between the bulk and the
/// delete) is sent again on the next run: its ids exist, Elasticsearch answers 409, and that
/// counts as delivered — not as a failure, and not as a second document.
#[test]
fn a_batch_sent_again_after_it_landed_counts_as_delivered_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = test_support::free_addr();
    let (db, copy) = (dir.path().join("q.db"), dir.path().join("copy.db"));
    let shipper = builder(&format!("http://{addr}"), "logs", &db)
        .build()
        .expect("build");
    for id in 0..20 {
        shipper.log(event(id, &[]));
    }
    shipper.sync(DEADLINE).expect("sync");
    let _ = shipper.shutdown(Duration::from_millis(200)); // Elasticsearch is down: all stay queued
    for suffix in ["", "-wal", "-shm"] {
        let from = dir.path().join(format!("q.db{suffix}"));
        if from.exists() {
            std::fs::copy(&from, dir.path().join(format!("copy.db{suffix}"))).expect("copy");
        }
    }
    let es = FakeEs::start_at(addr);
    let mut stats = Vec::new();
    for path in [&db, &copy] {
        let shipper = builder(&es.url(), "logs", path).build().expect("build");
        shipper.flush(DEADLINE).expect("flush");
        let s = shipper.shutdown(DEADLINE);
        stats.push((s.sent, s.failed, s.pending_on_disk));
    }
    assert_eq!(stats, [(20, 0, 0), (20, 0, 0)]);
    assert_eq!(ids_of(&es.docs()), (0..20).collect::<Vec<_>>());
}
