//! `cargo xtask chaos [--events N] [--rounds R] [--debug] [--write-docs]`
//!
//! The fault scenarios of docs/reliability.md against the release binaries (built first;
//! `--debug` uses debug builds), each on a fresh data directory under `target/chaos`, printed
//! as one table (`--write-docs` also puts it, with the date and the machine, into
//! docs/reliability.md between the `chaos` markers):
//!
//! - `kill -9` of `sluice-store` under four concurrent bulk writers (explicit ids), R rounds
//!   (default 3) on one data directory: acknowledged items vs found after each restart;
//! - `kill -9` of `sluice-store` (three times) under `sluice-agent` (tcp → persisted queue →
//!   elasticsearch), and `kill -9` of the agent under load, each without and with `ingest_id => true`: events
//!   sent (or accepted before the kill), distinct events found, duplicates;
//! - overload: 32 clients each sending one 20 MB `_bulk` at once: 429s received, the store's
//!   peak RSS (VmHWM) against the goal: the base (its peak after one such request alone) plus
//!   the in-flight budget (512 MiB);
//! - stalled clients: six connections that declare 512 MiB bodies and send one byte, then
//!   five ordinary writes;
//! - the hostile requests of docs/reliability.md: status and error type of each, the store
//!   alive after each, and a `kill -9` + restart at the end.
//!
//! Injected I/O errors (`ENOSPC`/`EIO`) are not reachable from outside the process (the
//! translog's file sits behind a trait only tests replace); the full-disk test needs root and
//! a tmpfs mount. Both stay in `cargo xtask test`; the table says so.
//!
//! The scenarios are the ones the tests run in debug builds (`crates/store/tests/it/crash.rs`,
//! `hostile.rs`, `crates/agent/tests/it/main.rs`, `delivery.rs`), driven here through the
//! binaries' public interfaces only, as xtask depends on no project crate.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};

use crate::util;

const DEADLINE: Duration = Duration::from_secs(180);

struct Opts {
    events: u64,
    rounds: usize,
    debug: bool,
    write_docs: bool,
    /// Scenario groups to run (`--only kill,overload`); empty: all.
    only: Vec<String>,
}

/// The scenario groups `--only` names.
const GROUPS: &[&str] = &["kill", "agent", "overload", "stalled", "hostile"];

fn parse(rest: &[String]) -> anyhow::Result<Opts> {
    let mut o = Opts {
        events: 100_000,
        rounds: 3,
        debug: false,
        write_docs: false,
        only: Vec::new(),
    };
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--events" => o.events = it.next().context("--events needs a number")?.parse()?,
            "--rounds" => o.rounds = it.next().context("--rounds needs a number")?.parse()?,
            "--debug" => o.debug = true,
            "--write-docs" => o.write_docs = true,
            "--only" => {
                for g in it
                    .next()
                    .context("--only needs a list of scenario groups")?
                    .split(',')
                {
                    ensure!(
                        GROUPS.contains(&g),
                        "unknown scenario group [{g}] (known: {})",
                        GROUPS.join(", ")
                    );
                    o.only.push(g.to_owned());
                }
            }
            other => bail!(
                "unknown option {other} (chaos takes --events N, --rounds R, --debug, --write-docs, --only GROUPS)"
            ),
        }
    }
    Ok(o)
}

/// One line of the table.
struct Row {
    scenario: String,
    figures: String,
    ok: bool,
}

pub fn run(rest: &[String]) -> anyhow::Result<()> {
    let o = parse(rest)?;
    let profile = if o.debug { "debug" } else { "release" };
    let mut build = util::cargo();
    build.args(["build", "-p", "store", "-p", "agent"]);
    if !o.debug {
        build.arg("--release");
    }
    util::run(&mut build)?;
    let bins = util::root().join("target").join(profile);
    let work = util::root().join("target/chaos");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let env = Env {
        store: bins.join("sluice-store"),
        agent: bins.join("sluice-agent"),
        work,
    };
    let started = Instant::now();
    let wanted = |g: &str| o.only.is_empty() || o.only.iter().any(|x| x == g);
    ensure!(
        !o.write_docs || o.only.is_empty(),
        "--write-docs rewrites the whole table: run every scenario (no --only)"
    );
    let mut rows = Vec::new();
    if wanted("kill") {
        rows.push(store_kill_rounds(&env, o.rounds)?);
        for ingest_id in [false, true] {
            rows.push(store_killed_under_agent(&env, o.events, ingest_id)?);
        }
    }
    if wanted("agent") {
        for ingest_id in [false, true] {
            rows.push(agent_killed(&env, o.events, ingest_id)?);
        }
    }
    if wanted("overload") {
        rows.push(overload(&env)?);
    }
    if wanted("stalled") {
        rows.push(stalled(&env)?);
    }
    if wanted("hostile") {
        rows.extend(hostile(&env)?);
        rows.push(Row {
            scenario: "injected I/O errors (ENOSPC on write, EIO on fsync); a full disk".into(),
            figures: "not reachable from outside the process: see the translog test and `disk::a_full_disk_blocks_writes_fast_and_recovers` in `cargo xtask test`".into(),
            ok: true,
        });
    }
    let table = render(&rows, profile, started.elapsed());
    println!("{table}");
    if o.write_docs {
        write_docs(&table)?;
    }
    ensure!(
        rows.iter().all(|r| r.ok),
        "a chaos goal was not met (see the table)"
    );
    Ok(())
}

fn render(rows: &[Row], profile: &str, took: Duration) -> String {
    let mut t = format!(
        "`cargo xtask chaos` ({profile} binaries), {} on {}; {:.0} s in all.\n\n| scenario | figures | goal met |\n|---|---|---|\n",
        today(),
        machine(),
        took.as_secs_f64()
    );
    for r in rows {
        t.push_str(&format!(
            "| {} | {} | {} |\n",
            r.scenario,
            r.figures,
            if r.ok { "yes" } else { "**no**" }
        ));
    }
    t
}

fn write_docs(table: &str) -> anyhow::Result<()> {
    let path = util::root().join("docs/reliability.md");
    let text = std::fs::read_to_string(&path)?;
    let (begin, end) = ("<!-- chaos:begin -->", "<!-- chaos:end -->");
    let (Some(b), Some(e)) = (text.find(begin), text.find(end)) else {
        bail!("{} has no {begin} … {end} markers", path.display());
    };
    let out = format!("{}{begin}\n{table}{}", &text[..b], &text[e..]);
    std::fs::write(&path, out)?;
    eprintln!("xtask: wrote the table into {}", path.display());
    Ok(())
}

fn today() -> String {
    let out = Command::new("date").args(["-u", "+%Y-%m-%d"]).output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let mem_kb: u64 = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!(
        "{cores} cores ({cpu}), {} GiB, shared with other work",
        mem_kb / (1024 * 1024)
    )
}

// ---- processes ----------------------------------------------------------------------------------

struct Env {
    store: PathBuf,
    agent: PathBuf,
    work: PathBuf,
}

/// A child killed (SIGKILL) when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    fn kill9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// Peak resident set (VmHWM) in KiB.
    fn peak_rss_kb(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }
}

fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

fn start_store(env: &Env, dir: &Path, addr: SocketAddr) -> anyhow::Result<Proc> {
    let child = Command::new(&env.store)
        .arg("--data-dir")
        .arg(dir)
        .args(["--listen", &addr.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("start {}", env.store.display()))?;
    let p = Proc(child);
    test_support::wait_for_port(addr, DEADLINE)?;
    Ok(p)
}

fn start_agent(env: &Env, dir: &Path, conf: &Path, api: SocketAddr) -> anyhow::Result<Proc> {
    let child = Command::new(&env.agent)
        .arg("-f")
        .arg(conf)
        .args(["--http", &api.to_string(), "-w", "2"])
        .args(["--queue.type", "persisted", "--path.queue"])
        .arg(dir.join("queue"))
        .arg("--path.dead_letter_queue")
        .arg(dir.join("dlq"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("start {}", env.agent.display()))?;
    Ok(Proc(child))
}

// ---- HTTP ---------------------------------------------------------------------------------------

struct Resp {
    status: u16,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// `error.type` of an Elasticsearch error body.
    fn error_type(&self) -> String {
        self.json()["error"]["type"]
            .as_str()
            .unwrap_or("-")
            .to_owned()
    }
}

fn send(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> std::io::Result<Resp> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let ct = if path.contains("_bulk") {
        "application/x-ndjson"
    } else {
        "application/json"
    };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())?;
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no response head"))?;
    let status = std::str::from_utf8(&raw[..end])
        .ok()
        .and_then(|h| h.split(' ').nth(1)?.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    Ok(Resp {
        status,
        body: raw[end + 4..].to_vec(),
    })
}

fn json_req(addr: SocketAddr, method: &str, path: &str, body: &Value) -> anyhow::Result<Resp> {
    Ok(send(addr, method, path, body.to_string().as_bytes())?)
}

fn alive(addr: SocketAddr) -> bool {
    send(addr, "GET", "/", b"").is_ok_and(|r| r.status == 200)
}

fn count(addr: SocketAddr, index: &str, query: &Value) -> anyhow::Result<u64> {
    send(addr, "POST", &format!("/{index}/_refresh"), b"")?;
    let r = json_req(
        addr,
        "POST",
        &format!("/{index}/_count"),
        &json!({ "query": query }),
    )?;
    r.json()["count"]
        .as_u64()
        .with_context(|| format!("_count of {index}: {}", String::from_utf8_lossy(&r.body)))
}

// ---- kill -9 of the store under bulk writers ------------------------------------------------------

/// Four writers send 200-document bulks with explicit ids until the store dies; the ids whose
/// item was acknowledged (201) are recorded.
fn store_kill_rounds(env: &Env, rounds: usize) -> anyhow::Result<Row> {
    let dir = env.work.join("store-kill");
    let addr = free_addr()?;
    let mut server = start_store(env, &dir, addr)?;
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut restarts_ok = 0;
    for round in 0..rounds {
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let (acked, stop) = (acked.clone(), stop.clone());
                std::thread::spawn(move || {
                    bulk_writer(addr, &format!("r{round}w{w}"), &acked, &stop);
                })
            })
            .collect();
        let target = (round as u64 + 1) * 50_000;
        test_support::wait_for("acknowledged writes", DEADLINE, || {
            (acked.lock().ok()?.len() as u64 >= target).then_some(())
        })?;
        server.kill9();
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            let _ = w.join();
        }
        server = start_store(env, &dir, addr)?;
        restarts_ok += 1;
    }
    let ids = acked
        .lock()
        .map_err(|_| anyhow::anyhow!("writer panicked"))?
        .clone();
    let mut found = 0u64;
    for chunk in ids.chunks(10_000) {
        found += count(addr, "crash", &json!({"ids": {"values": chunk}}))?;
    }
    drop(server);
    Ok(Row {
        scenario: format!(
            "`kill -9` of sluice-store under 4 concurrent bulk writers, {rounds} rounds"
        ),
        figures: format!(
            "{} acknowledged, {found} found; {restarts_ok}/{rounds} restarts served",
            ids.len()
        ),
        ok: found == ids.len() as u64 && restarts_ok == rounds,
    })
}

fn bulk_writer(addr: SocketAddr, name: &str, acked: &Mutex<Vec<String>>, stop: &AtomicBool) {
    let mut batch = 0;
    while !stop.load(Ordering::Relaxed) {
        let mut body = String::new();
        for i in 0..200 {
            body.push_str(&format!(
                "{{\"index\":{{\"_index\":\"crash\",\"_id\":\"{name}-{batch}-{i}\"}}}}\n{{\"user\":\"user{}\",\"n\":{i}}}\n",
                i % 5
            ));
        }
        batch += 1;
        let Ok(r) = send(addr, "POST", "/_bulk", body.as_bytes()) else {
            return;
        };
        let v = r.json();
        let Ok(mut set) = acked.lock() else { return };
        for item in v["items"].as_array().into_iter().flatten() {
            if item["index"]["status"] == 201
                && let Some(id) = item["index"]["_id"].as_str()
            {
                set.push(id.to_owned());
            }
        }
    }
}

// ---- the agent ----------------------------------------------------------------------------------

fn agent_conf(
    dir: &Path,
    tcp: SocketAddr,
    store: SocketAddr,
    ingest_id: bool,
) -> anyhow::Result<PathBuf> {
    let conf = dir.join("chaos.conf");
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        &conf,
        format!(
            "input {{ tcp {{ port => {} codec => json_lines }} }}\noutput {{ elasticsearch {{ hosts => [\"http://{store}\"] index => \"chaos-agent\" retry_initial_interval => 1 ingest_id => {ingest_id} }} }}\n",
            tcp.port()
        ),
    )?;
    Ok(conf)
}

/// Sends events `from..to` over one connection, 500 per write; stops at the first error.
fn sender(tcp: SocketAddr, from: u64, to: u64) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let Ok(mut s) = TcpStream::connect(tcp) else {
            return from;
        };
        let mut at = from;
        while at < to {
            let end = (at + 500).min(to);
            let mut buf = String::new();
            for i in at..end {
                buf.push_str(&format!(
                    "{{\"@timestamp\":\"2026-11-24T10:00:00.000Z\",\"seq\":{i},\"message\":\"event {i}\"}}\n"
                ));
            }
            if s.write_all(buf.as_bytes()).is_err() {
                return at;
            }
            at = end;
            std::thread::sleep(Duration::from_millis(5));
        }
        at
    })
}

fn agent_stat(api: SocketAddr, field: &str) -> Option<u64> {
    let r = send(api, "GET", "/_node/stats/pipelines", b"").ok()?;
    r.json()["pipelines"]["main"]["events"][field].as_u64()
}

fn queue_empty(api: SocketAddr) -> bool {
    send(api, "GET", "/_node/stats/pipelines", b"")
        .is_ok_and(|r| r.json()["pipelines"]["main"]["queue"]["events_count"] == 0)
}

/// Documents, and the extra copies of events found more than once, with `seq < below`.
fn census(store: SocketAddr, below: u64) -> anyhow::Result<(u64, u64)> {
    let range = json!({"range": {"seq": {"lt": below}}});
    let docs = count(store, "chaos-agent", &range)?;
    let body = json!({"size": 0, "query": range,
        "aggs": {"d": {"terms": {"field": "seq", "min_doc_count": 2, "size": 65536}}}});
    let r = json_req(store, "POST", "/chaos-agent/_search", &body)?;
    let extra = r.json()["aggregations"]["d"]["buckets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| b["doc_count"].as_u64().unwrap_or(1) - 1)
        .sum();
    Ok((docs, extra))
}

fn label(ingest_id: bool) -> &'static str {
    if ingest_id {
        "with `ingest_id => true`"
    } else {
        "without ids"
    }
}

fn store_killed_under_agent(env: &Env, total: u64, ingest_id: bool) -> anyhow::Result<Row> {
    let dir = env.work.join(format!("agent-store-kill-{ingest_id}"));
    let (store_addr, tcp, api) = (free_addr()?, free_addr()?, free_addr()?);
    let mut store = start_store(env, &dir.join("store"), store_addr)?;
    let conf = agent_conf(&dir, tcp, store_addr, ingest_id)?;
    let _agent = start_agent(env, &dir, &conf, api)?;
    test_support::wait_for_port(tcp, DEADLINE)?;
    let send = sender(tcp, 0, total);
    // Three kills, at a quarter, half and three quarters of the events stored.
    for quarter in 1..=3 {
        test_support::wait_for("events stored", DEADLINE, || {
            let n = count(store_addr, "chaos-agent", &json!({"match_all": {}})).ok()?;
            (n >= total * quarter / 4).then_some(())
        })?;
        store.kill9();
        std::thread::sleep(Duration::from_millis(500));
        store = start_store(env, &dir.join("store"), store_addr)?;
    }
    let sent = send
        .join()
        .map_err(|_| anyhow::anyhow!("sender panicked"))?;
    test_support::wait_for("every event delivered", DEADLINE, || {
        (agent_stat(api, "out")? >= sent && queue_empty(api)).then_some(())
    })?;
    let (docs, extra) = census(store_addr, u64::MAX)?;
    let distinct = docs - extra;
    drop(store);
    Ok(Row {
        scenario: format!(
            "`kill -9` of sluice-store under sluice-agent (persisted queue), 3 times, {}",
            label(ingest_id)
        ),
        figures: format!("{sent} sent, {distinct} found, {extra} duplicated"),
        ok: distinct == sent && (!ingest_id || extra == 0),
    })
}

fn agent_killed(env: &Env, total: u64, ingest_id: bool) -> anyhow::Result<Row> {
    let dir = env.work.join(format!("agent-kill-{ingest_id}"));
    let (store_addr, tcp, api) = (free_addr()?, free_addr()?, free_addr()?);
    let _store = start_store(env, &dir.join("store"), store_addr)?;
    let conf = agent_conf(&dir, tcp, store_addr, ingest_id)?;
    let mut agent = start_agent(env, &dir, &conf, api)?;
    test_support::wait_for_port(tcp, DEADLINE)?;
    let send = sender(tcp, 0, total);
    // Mid-stream: part accepted, part delivered.
    let accepted = test_support::wait_for("a quarter of the events accepted", DEADLINE, || {
        agent_stat(api, "in").filter(|n| *n >= total / 4)
    })?;
    agent.kill9();
    let _ = send.join();
    let _agent = start_agent(env, &dir, &conf, api)?;
    test_support::wait_for("the replayed queue delivered", DEADLINE, || {
        queue_empty(api).then_some(())
    })?;
    let (docs, extra) = census(store_addr, accepted)?;
    let distinct = docs - extra;
    Ok(Row {
        scenario: format!(
            "`kill -9` of sluice-agent (persisted queue) under load, {}",
            label(ingest_id)
        ),
        figures: format!(
            "{accepted} accepted before the kill, {distinct} of them found, {extra} duplicated"
        ),
        ok: distinct == accepted && (!ingest_id || extra == 0),
    })
}

// ---- overload, stalled clients ------------------------------------------------------------------

/// What the store holds outside its indexing pressure budget, bounded on its own (MiB): a
/// shard's tantivy indexing buffer (64) and an index's live version map (96).
const OUTSIDE_BUDGET_MIB: u64 = 64 + 96;

fn overload(env: &Env) -> anyhow::Result<Row> {
    let dir = env.work.join("overload");
    let addr = free_addr()?;
    let store = start_store(env, &dir, addr)?;
    let mut body = String::new();
    let mut i = 0;
    while body.len() < 20 * 1024 * 1024 {
        body.push_str(&format!(
            "{{\"index\":{{\"_index\":\"load\"}}}}\n{{\"n\":{i},\"message\":\"{}\"}}\n",
            "x".repeat(900)
        ));
        i += 1;
    }
    let body = Arc::new(body.into_bytes());
    // The documented base: the idle store, plus what sits outside the budget by design and is
    // bounded on its own: one shard's tantivy indexing buffer (64 MiB) and the index's live
    // version map (sources until the next refresh, at most 96 MiB).
    let idle = store.peak_rss_kb().unwrap_or(0) / 1024;
    let base = idle + OUTSIDE_BUDGET_MIB;
    // for comparison, the store after one such request alone
    let first = send(addr, "POST", "/_bulk", &body)?;
    ensure!(
        first.status == 200,
        "a lone 20 MB bulk got {}",
        first.status
    );
    let after_one = store.peak_rss_kb().unwrap_or(0) / 1024;
    let (ok, rejected, other) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let clients: Vec<_> = (0..32)
        .map(|_| {
            let (body, ok, rejected, other) =
                (body.clone(), ok.clone(), rejected.clone(), other.clone());
            std::thread::spawn(move || match send(addr, "POST", "/_bulk", &body) {
                Ok(r) if r.status == 200 => ok.fetch_add(1, Ordering::Relaxed),
                Ok(r) if r.status == 429 => rejected.fetch_add(1, Ordering::Relaxed),
                _ => other.fetch_add(1, Ordering::Relaxed),
            })
        })
        .collect();
    for c in clients {
        let _ = c.join();
    }
    let peak = store.peak_rss_kb().unwrap_or(0) / 1024;
    let up = alive(addr);
    let (ok, rejected, other) = (
        ok.load(Ordering::Relaxed),
        rejected.load(Ordering::Relaxed),
        other.load(Ordering::Relaxed),
    );
    Ok(Row {
        scenario: "overload: 32 clients × one 20 MB `_bulk` at once".into(),
        figures: format!(
            "{ok} × 200, {rejected} × 429 received, {other} broken; peak RSS {peak} MiB, goal ≤ {} MiB (documented base {base} MiB: idle {idle} + indexing buffer 64 + live map 96; + the 512 MiB indexing pressure budget; {after_one} MiB after one such request alone); alive: {up}",
            base + 512
        ),
        ok: other == 0 && up && peak <= base + 512,
    })
}

fn stalled(env: &Env) -> anyhow::Result<Row> {
    let dir = env.work.join("stalled");
    let addr = free_addr()?;
    let _store = start_store(env, &dir, addr)?;
    let mut stalled = Vec::new();
    for _ in 0..6 {
        let mut s = TcpStream::connect(addr)?;
        write!(
            s,
            "POST /stall/_doc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 536870912\r\n\r\n{{"
        )?;
        stalled.push(s);
    }
    let mut created = 0;
    for i in 0..5 {
        let r = json_req(
            addr,
            "PUT",
            &format!("/logs/_doc/{i}"),
            &json!({"message": "x".repeat(2000)}),
        )?;
        if r.status == 201 {
            created += 1;
        }
    }
    drop(stalled);
    Ok(Row {
        scenario: "stalled clients: 6 connections declare 512 MiB bodies and send one byte".into(),
        figures: format!("{created}/5 other writes answered 201 meanwhile"),
        ok: created == 5,
    })
}

// ---- hostile requests ---------------------------------------------------------------------------

fn nested_doc(levels: usize) -> Value {
    let mut v = json!({"leaf": 1});
    for i in 0..levels {
        v = json!({ format!("l{i}"): v });
    }
    v
}

fn hostile(env: &Env) -> anyhow::Result<Vec<Row>> {
    let dir = env.work.join("hostile");
    let addr = free_addr()?;
    let mut store = start_store(env, &dir, addr)?;
    ensure!(
        json_req(
            addr,
            "PUT",
            "/logs/_doc/1?refresh=true",
            &json!({"a": "a", "n": 1})
        )?
        .status
            == 201,
        "the hostile scenario's first document was refused"
    );
    let parens = format!("{}a{}", "(".repeat(1300), ")".repeat(1300));
    let chain = format!("{}b", "a:".repeat(2200));
    let many: serde_json::Map<String, Value> =
        (0..1001).map(|i| (format!("f{i}"), json!(i))).collect();
    let dotted = (0..70)
        .map(|i| format!("p{i}"))
        .collect::<Vec<_>>()
        .join(".");
    let level = |sub: Option<Value>| {
        let mut h = json!({"histogram": {"field": "n", "interval": 1, "min_doc_count": 0,
                                          "extended_bounds": {"min": 0, "max": 60000}}});
        if let Some(s) = sub {
            h["aggs"] = json!({"inner": s});
        }
        h
    };
    // (what, method, path, body); all but the form feed (a separator since the fuzzer's
    // finding: answered 200) must get a 4xx.
    let cases: Vec<(&str, &str, String, Vec<u8>)> = vec![
        (
            "`q=` with 1,300 nested parentheses",
            "GET",
            format!("/logs/_search?q={parens}"),
            Vec::new(),
        ),
        (
            "`q=` `a:a:…:b` ×2,200",
            "GET",
            format!("/logs/_search?q={chain}"),
            Vec::new(),
        ),
        (
            "a form feed in `q=`",
            "GET",
            "/logs/_search?q=a%0Cb".into(),
            Vec::new(),
        ),
        (
            "a document nested 63 levels",
            "POST",
            "/logs/_doc".into(),
            nested_doc(63).to_string().into_bytes(),
        ),
        (
            "a 70-part dotted field name",
            "POST",
            "/logs/_doc".into(),
            json!({ dotted: 1 }).to_string().into_bytes(),
        ),
        (
            "1,001 new fields in one document",
            "POST",
            "/logs/_doc".into(),
            Value::Object(many).to_string().into_bytes(),
        ),
        (
            "a 40,000-byte field name",
            "POST",
            "/logs/_doc".into(),
            json!({ "k".repeat(40_000): 1 }).to_string().into_bytes(),
        ),
        (
            "nested `histogram`s, `min_doc_count: 0`, `extended_bounds`",
            "POST",
            "/logs/_search".into(),
            json!({"size": 0, "aggs": {"outer": level(Some(level(None)))}})
                .to_string()
                .into_bytes(),
        ),
        (
            "`POST /a%0ab/_doc`",
            "POST",
            "/a%0ab/_doc".into(),
            b"{\"x\":1}".to_vec(),
        ),
        (
            "`POST /a%00b/_doc`",
            "POST",
            "/a%00b/_doc".into(),
            b"{\"x\":1}".to_vec(),
        ),
    ];
    let mut rows = Vec::new();
    let data_dir = dir.to_string_lossy().into_owned();
    for (what, method, path, body) in cases {
        let r = send(addr, method, &path, &body);
        let up = alive(addr);
        let (status, ty, leaks) = match &r {
            Ok(r) => (
                r.status.to_string(),
                r.error_type(),
                String::from_utf8_lossy(&r.body).contains(&data_dir),
            ),
            Err(e) => (format!("no answer ({e})"), "-".into(), false),
        };
        let expected = if what.contains("form feed") {
            200..201
        } else {
            400..500
        };
        let answered = r.as_ref().is_ok_and(|r| expected.contains(&r.status));
        rows.push(Row {
            scenario: format!("hostile: {what}"),
            figures: format!(
                "{status} `{ty}`; alive: {up}{}",
                if leaks { "; shows the data path" } else { "" }
            ),
            ok: answered && up && !leaks,
        });
    }
    // Start-up refusals: each process must exit with an error, not serve.
    let other = free_addr()?;
    let wide = format!("0.0.0.0:{}", free_addr()?.port());
    let mut second = Command::new(&env.store);
    second
        .arg("--data-dir")
        .arg(&dir)
        .args(["--listen", &other.to_string()]);
    let mut empty_password = Command::new(&env.store);
    empty_password
        .arg("--data-dir")
        .arg(env.work.join("hostile-empty-password"))
        .args(["--listen", &wide, "--user", "elastic:"]);
    let mut agent_wide = Command::new(&env.agent);
    agent_wide.args([
        "-e",
        "input { generator { count => 1 } } output { stdout {} }",
        "--http",
        &wide,
    ]);
    for (what, cmd) in [
        (
            "a second sluice-store on the same data directory",
            &mut second,
        ),
        (
            "`--user elastic:` (empty password) for a non-loopback listen",
            &mut empty_password,
        ),
        (
            "`sluice-agent --http 0.0.0.0:…` without `--allow-remote`",
            &mut agent_wide,
        ),
    ] {
        let (exited, err) = refused(cmd)?;
        rows.push(Row {
            scenario: format!("hostile: {what}"),
            figures: if exited {
                format!("refused at start: {err}")
            } else {
                "started".into()
            },
            ok: exited,
        });
    }
    store.kill9();
    let again = start_store(env, &dir, addr);
    let reopened =
        again.is_ok() && count(addr, "logs", &json!({"match_all": {}})).is_ok_and(|n| n == 1);
    rows.push(Row {
        scenario: "hostile: `kill -9` after all of the above, restart".into(),
        figures: format!("restarted and serving its one document: {reopened}"),
        ok: reopened,
    });
    Ok(rows)
}

/// Runs `cmd`; true with the first error line of its stderr when it exits with an error within 30 s.
fn refused(cmd: &mut Command) -> anyhow::Result<(bool, String)> {
    let mut child = Proc(cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn()?);
    let status = test_support::wait_for("the process to exit", Duration::from_secs(30), || {
        child.0.try_wait().ok().flatten()
    });
    let Ok(status) = status else {
        return Ok((false, String::new()));
    };
    let mut err = String::new();
    if let Some(mut e) = child.0.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let last = err
        .lines()
        .find(|l| l.contains("error"))
        .or_else(|| err.lines().rfind(|l| !l.trim().is_empty()))
        .unwrap_or_default();
    let last: String = strip_ansi(last).chars().take(160).collect();
    Ok((!status.success(), last.replace('|', "\\|")))
}

/// `text` without terminal colour sequences (`ESC [ … m`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
