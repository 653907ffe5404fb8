//! `cargo xtask bench client [--docs N] [--batch B] [--concurrency C] [--threads T]
//! [--no-python] [--no-store]`
//!
//! Bulk throughput of es-client's `BulkIndexer` against a null `_bulk` sink and against
//! sluice-store, side by side with the official Python client's `helpers.streaming_bulk` and
//! `helpers.parallel_bulk` (from `target/py-venv`) against the same targets. Every client runs
//! in its own process, so its CPU time (user + system) is its own. Defaults: 1,000,000 docs,
//! 1000 per request, 2 concurrent requests (Rust), 4 threads (parallel_bulk).

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::Value;

use crate::{pyenv, util};

struct Opts {
    docs: u64,
    batch: u64,
    concurrency: u64,
    threads: u64,
    python: bool,
    store: bool,
}

fn parse(rest: &[String]) -> anyhow::Result<Opts> {
    let mut o = Opts {
        docs: 1_000_000,
        batch: 1000,
        concurrency: 2,
        threads: 4,
        python: true,
        store: true,
    };
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--docs" => o.docs = super::value(&mut it, "--docs")?,
            "--batch" => o.batch = super::value(&mut it, "--batch")?,
            "--concurrency" => o.concurrency = super::value(&mut it, "--concurrency")?,
            "--threads" => o.threads = super::value(&mut it, "--threads")?,
            "--no-python" => o.python = false,
            "--no-store" => o.store = false,
            other => bail!(
                "unknown option `{other}` (options: --docs N --batch B --concurrency C --threads T --no-python --no-store)"
            ),
        }
    }
    Ok(o)
}

/// Kills the child when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn run(rest: &[String]) -> anyhow::Result<()> {
    let o = parse(rest)?;
    let root = util::root();
    util::run(util::cargo().args([
        "build",
        "--release",
        "-p",
        "es-client",
        "--example",
        "bench_bulk",
    ]))?;
    let bench = root.join("target/release/examples/bench_bulk");
    let store_bin = root.join("target/release/sluice-store");
    let store_ok = o.store
        && util::run(util::cargo().args([
            "build",
            "--release",
            "-p",
            "store",
            "--bin",
            "sluice-store",
        ]))
        .map_err(|e| eprintln!("xtask: sluice-store does not build, skipping it: {e:#}"))
        .is_ok();
    let python = if o.python {
        Some(pyenv::ensure()?)
    } else {
        None
    };
    let work = root.join("target/bench-client");
    std::fs::create_dir_all(&work)?;
    let script = work.join("py_bulk.py");
    std::fs::write(&script, PY_BULK)?;

    let mut rows: Vec<(String, Value)> = Vec::new();

    // The null sink.
    let mut sink = Guard(
        Command::new(&bench)
            .args(["sink", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", bench.display()))?,
    );
    let sink_addr = read_listening(&mut sink.0)?;
    let sink_url = format!("http://{sink_addr}");
    eprintln!("xtask: null sink at {sink_url}");
    rows.push(("null sink".into(), rust_client(&bench, &sink_url, &o)?));
    if let Some(py) = &python {
        for mode in ["streaming_bulk", "parallel_bulk"] {
            rows.push((
                "null sink".into(),
                py_client(py, &script, &sink_url, mode, &o)?,
            ));
        }
    }
    drop(sink);

    // sluice-store.
    if store_ok {
        let data = work.join("store-data");
        let _ = std::fs::remove_dir_all(&data);
        let addr = free_addr()?;
        let store = Guard(
            Command::new(&store_bin)
                .arg("--data-dir")
                .arg(&data)
                .args(["--listen", &addr.to_string()])
                .stdout(Stdio::null())
                .spawn()
                .with_context(|| format!("cannot start {}", store_bin.display()))?,
        );
        crate::services::wait_port(addr, Duration::from_secs(30))?;
        let url = format!("http://{addr}");
        rows.push(("sluice-store".into(), rust_client(&bench, &url, &o)?));
        if let Some(py) = &python {
            rows.push((
                "sluice-store".into(),
                py_client(py, &script, &url, "streaming_bulk", &o)?,
            ));
        }
        drop(store);
    }

    println!();
    println!("| target | client | docs | seconds | docs/s | client CPU µs/doc |");
    println!("|---|---|---:|---:|---:|---:|");
    for (target, v) in &rows {
        println!(
            "| {target} | {} | {} | {:.2} | {:.0} | {:.2} |",
            v["client"].as_str().unwrap_or("?"),
            v["docs"],
            v["secs"].as_f64().unwrap_or(f64::NAN),
            v["docs_per_s"].as_f64().unwrap_or(f64::NAN),
            v["cpu_us_per_doc"].as_f64().unwrap_or(f64::NAN),
        );
    }
    let rate = |pred: &dyn Fn(&str) -> bool| {
        rows.iter()
            .filter(|(t, v)| t == "null sink" && pred(v["client"].as_str().unwrap_or("")))
            .filter_map(|(_, v)| v["docs_per_s"].as_f64())
            .fold(f64::NAN, f64::max)
    };
    let ours = rate(&|c| c.starts_with("es-client"));
    let best_py = rate(&|c| c.starts_with("python"));
    if best_py.is_finite() {
        println!(
            "\nnull sink: es-client is {:.1}x the best Python helper",
            ours / best_py
        );
    }
    Ok(())
}

fn read_listening(child: &mut Child) -> anyhow::Result<SocketAddr> {
    let out = child.stdout.take().context("no stdout from the sink")?;
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line)?;
    line.trim()
        .strip_prefix("listening ")
        .with_context(|| format!("unexpected sink output `{line}`"))?
        .parse()
        .context("sink address")
}

fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

fn json_line(cmd: &mut Command) -> anyhow::Result<Value> {
    let shown = format!("{cmd:?}");
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {shown}"))?;
    if !out.status.success() {
        bail!("{shown} failed: {}", out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .last()
        .with_context(|| format!("{shown} printed nothing"))?;
    let v: Value =
        serde_json::from_str(line).with_context(|| format!("{shown} printed `{line}`"))?;
    eprintln!("xtask: {v}");
    Ok(v)
}

fn rust_client(bench: &Path, url: &str, o: &Opts) -> anyhow::Result<Value> {
    json_line(Command::new(bench).args([
        "client",
        "--es",
        url,
        "--docs",
        &o.docs.to_string(),
        "--batch",
        &o.batch.to_string(),
        "--concurrency",
        &o.concurrency.to_string(),
    ]))
}

fn py_client(
    python: &PathBuf,
    script: &Path,
    url: &str,
    mode: &str,
    o: &Opts,
) -> anyhow::Result<Value> {
    json_line(Command::new(python).arg(script).args([url, mode]).args([
        o.docs.to_string(),
        o.batch.to_string(),
        o.threads.to_string(),
    ]))
}

/// The Python side: the official client's helpers, seed-shaped documents from a pool built
/// before the clock starts (each still serialised by the client, as in real use).
const PY_BULK: &str = r#"
import json, random, sys, time
from datetime import datetime, timezone
from elasticsearch import Elasticsearch, helpers

url, mode, n, chunk, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rng = random.Random(42)
levels, actions_, users = ["INFO", "WARNING", "ERROR"], ["login", "search", "purchase", "logout", "view"], ["user1", "user2", "user3", "user4", "user5"]
pool = [{
    "timestamp": datetime.now(timezone.utc).isoformat(),
    "level": rng.choice(levels), "message": f"Log entry {i}", "user": rng.choice(users),
    "action": rng.choice(actions_), "duration": rng.uniform(0.1, 3.0), "source": "python-script",
    "tags": ["python", "webapp"],
} for i in range(10000)]

def actions():
    for i in range(n):
        yield {"_index": "bench-python", "_source": pool[i % len(pool)]}

es = Elasticsearch(url, request_timeout=120)
ok = failed = 0
cpu0, t0 = time.process_time(), time.perf_counter()
if mode == "streaming_bulk":
    results = helpers.streaming_bulk(es, actions(), chunk_size=chunk, raise_on_error=False, max_retries=3)
else:
    results = helpers.parallel_bulk(es, actions(), thread_count=threads, chunk_size=chunk, raise_on_error=False)
for success, _info in results:
    if success:
        ok += 1
    else:
        failed += 1
secs, cpu = time.perf_counter() - t0, time.process_time() - cpu0
print(json.dumps({"client": "python " + mode + (f" ({threads} threads)" if mode == "parallel_bulk" else ""),
                  "docs": n, "indexed": ok, "failed": failed, "secs": secs, "docs_per_s": n / secs,
                  "cpu_secs": cpu, "cpu_us_per_doc": cpu * 1e6 / n, "batch": chunk}))
"#;
