//! `cargo xtask bench store [--docs N] [--batch B] [--connections C] [--runs R] [--keep]
//! [--bin PATH] [--server-cpus LIST] [--shards N] [--writer-threads N] [--peer es]`
//!
//! Builds `sluice-store` in release (or runs the binary at PATH, e.g. an older build to compare
//! with), starts it on a fresh data directory under `target/bench-store`, bulk-ingests N seed
//! documents (default 1,000,000) in B-document `_bulk` requests (default 5,000) over C
//! keep-alive connections (default 4), and reports docs/s, MB/s and the server's peak RSS
//! (VmHWM). The request bodies are generated before the clock starts (as a benchmark reads its
//! corpus from disk), so that on a small machine the load generator does not take CPU from the
//! server while it is measured. Then it times the three dashboard queries (actions per
//! user, levels per hour, average duration per action): the median of R runs (default 7) after
//! one warm-up, as seen by the client, with the server's own `took`. `--server-cpus 0-3` pins
//! the server to those cores with `taskset` (the scaling measurement: the store sizes its
//! default shard count and threads from the cores it may use), `--shards N` overrides its
//! default shard count, `--writer-threads N` its indexing threads per shard.
//!
//! Documents come from a small deterministic generator in this file (seed shape: timestamp,
//! level, message, user, action, duration, source, tags), spread evenly over one day.
//!
//! The data directory's size after the server's clean shutdown gives the disk bytes per document.
//!
//! `--peer es` then runs the same measurement, same documents and same queries, against a
//! single Elasticsearch node (1 GiB heap, the integration-test distribution from Maven Central,
//! see `test_support::peers`) started under `target/peers/bench-es`; its disk bytes per
//! document are measured after `_flush` and again after `_forcemerge?max_num_segments=1`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};

use crate::util;

struct Opts {
    docs: usize,
    batch: usize,
    connections: usize,
    runs: usize,
    keep: bool,
    bin: Option<std::path::PathBuf>,
    server_cpus: Option<String>,
    shards: Option<usize>,
    writer_threads: Option<usize>,
    peer: bool,
}

fn parse(rest: &[String]) -> anyhow::Result<Opts> {
    let mut o = Opts {
        docs: 1_000_000,
        batch: 5_000,
        connections: 4,
        runs: 7,
        keep: false,
        bin: None,
        server_cpus: None,
        shards: None,
        writer_threads: None,
        peer: false,
    };
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--docs" => o.docs = super::value(&mut it, "--docs")?,
            "--batch" => o.batch = super::value(&mut it, "--batch")?,
            "--connections" => o.connections = super::value(&mut it, "--connections")?,
            "--runs" => o.runs = super::value(&mut it, "--runs")?,
            "--keep" => o.keep = true,
            "--bin" => o.bin = Some(it.next().context("--bin needs a path")?.into()),
            "--server-cpus" => {
                o.server_cpus = Some(it.next().context("--server-cpus needs a CPU list")?.clone());
            }
            "--shards" => o.shards = Some(super::value(&mut it, "--shards")?),
            "--writer-threads" => {
                o.writer_threads = Some(super::value(&mut it, "--writer-threads")?);
            }
            "--peer" => match it.next().map(String::as_str) {
                Some("es") => o.peer = true,
                other => bail!("--peer: unknown peer {other:?} (known: es)"),
            },
            other => bail!(
                "unknown option {other}; usage: cargo xtask bench store [--docs N] [--batch B] \
                 [--connections C] [--runs R] [--keep] [--bin PATH] [--server-cpus LIST] \
                 [--shards N] [--writer-threads N] [--peer es]"
            ),
        }
    }
    ensure!(
        o.docs > 0 && o.batch > 0 && o.connections > 0 && o.runs > 0,
        "options must be > 0"
    );
    ensure!(
        !(o.peer && (o.server_cpus.is_some() || o.shards.is_some())),
        "--peer es runs both servers unpinned with their default shards: it cannot be combined \
         with --server-cpus or --shards"
    );
    Ok(o)
}

pub fn run(rest: &[String]) -> anyhow::Result<()> {
    let o = parse(rest)?;
    let root = util::root();
    let bin = match &o.bin {
        Some(bin) => bin.clone(),
        None => {
            util::run(util::cargo().args([
                "build",
                "--release",
                "-p",
                "store",
                "--bin",
                "sluice-store",
            ]))?;
            root.join("target/release/sluice-store")
        }
    };
    let data = root.join("target/bench-store");
    if data.exists() {
        std::fs::remove_dir_all(&data).with_context(|| format!("removing {}", data.display()))?;
    }
    let addr = {
        let l = TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?
    };
    let mut cmd = match &o.server_cpus {
        Some(cpus) => {
            let mut c = Command::new("taskset");
            c.args(["-c", cpus]).arg(&bin);
            c
        }
        None => Command::new(&bin),
    };
    if let Some(n) = o.shards {
        cmd.arg("--shards").arg(n.to_string());
    }
    if let Some(n) = o.writer_threads {
        cmd.arg("--writer-threads").arg(n.to_string());
    }
    let mut server = Server(
        cmd.arg("--data-dir")
            .arg(&data)
            .arg("--listen")
            .arg(addr.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?,
    );
    crate::services::wait_port(addr, Duration::from_secs(60))?;
    let pid = server.0.id();
    let result = measure(&o, "sluice-store", addr, &|| server_cpu_secs(pid), &|| {
        crate::services::peak_rss_kb(pid)
    });
    server.stop();
    if result.is_ok() {
        print_disk("after a clean shutdown", dir_bytes(&data), o.docs);
    }
    if !o.keep {
        let _ = std::fs::remove_dir_all(&data);
    }
    result?;
    if o.peer {
        peer_es(&o)?;
    }
    Ok(())
}

/// The same measurement against one Elasticsearch node with a 1 GiB heap.
fn peer_es(o: &Opts) -> anyhow::Result<()> {
    use test_support::peers::{Cluster, ClusterConfig};
    let config = ClusterConfig {
        nodes: 1,
        heap_mb: 1024,
        dir: util::root().join("target/peers/bench-es"),
        ..ClusterConfig::default()
    };
    let (cluster, _launcher) = crate::peers::start(&config)?;
    struct StopOnDrop(Cluster);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            self.0.stop();
        }
    }
    let cluster = StopOnDrop(cluster);
    let node = &cluster.0.nodes[0];
    println!();
    let result = measure(
        o,
        cluster.0.flavor.name(),
        node.http,
        &|| node.cpu_secs(),
        &|| node.peak_rss_kb(),
    );
    result?;
    let mut c = Conn::open(node.http)?;
    let (status, body) = c.request("POST", &format!("/{INDEX}/_flush"), "application/json", b"")?;
    ensure!(
        status == 200,
        "_flush: {status} {}",
        String::from_utf8_lossy(&body)
    );
    print_disk("after _flush", node.data_bytes(), o.docs);
    let (status, body) = c.request(
        "POST",
        &format!("/{INDEX}/_forcemerge?max_num_segments=1"),
        "application/json",
        b"",
    )?;
    ensure!(
        status == 200,
        "_forcemerge: {status} {}",
        String::from_utf8_lossy(&body)
    );
    let (status, _) = c.request("POST", &format!("/{INDEX}/_flush"), "application/json", b"")?;
    ensure!(status == 200, "_flush: {status}");
    print_disk("after _forcemerge to 1 segment", node.data_bytes(), o.docs);
    Ok(())
}

fn print_disk(when: &str, bytes: u64, docs: usize) {
    #[allow(clippy::cast_precision_loss)]
    let per_doc = bytes as f64 / docs as f64;
    println!(
        "  disk            {:.1} MB = {per_doc:.0} bytes/doc ({when})",
        bytes as f64 / 1_048_576.0
    );
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(_) => e.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}

/// Stops the server (SIGTERM, then SIGKILL) when dropped.
struct Server(Child);

impl Server {
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            self.stop();
        }
    }
}

const INDEX: &str = "python-logs-bench";

fn measure(
    o: &Opts,
    label: &str,
    addr: SocketAddr,
    cpu_secs: &dyn Fn() -> Option<f64>,
    peak_rss_kb: &dyn Fn() -> Option<u64>,
) -> anyhow::Result<()> {
    let mut c = Conn::open(addr)?;
    // No replica (on a single node it would never be assigned); each server's default shards.
    let mapping = json!({"settings": {"number_of_replicas": 0},
      "mappings": {"properties": {
        "timestamp": {"type": "date"}, "level": {"type": "keyword"}, "message": {"type": "text"},
        "user": {"type": "keyword"}, "action": {"type": "keyword"}, "duration": {"type": "float"},
        "source": {"type": "keyword"}, "tags": {"type": "keyword"}
    }}});
    let (status, body) = c.request(
        "PUT",
        &format!("/{INDEX}"),
        "application/json",
        mapping.to_string().as_bytes(),
    )?;
    ensure!(
        status == 200,
        "creating the index: {status} {}",
        String::from_utf8_lossy(&body)
    );

    let batches = o.docs.div_ceil(o.batch);
    let generating = Instant::now();
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..batches)
            .map(|b| bulk_body(b * o.batch, ((b + 1) * o.batch).min(o.docs), o.docs))
            .collect(),
    );
    eprintln!(
        "xtask: generated {batches} bulk bodies in {:.2} s (before the clock starts)",
        generating.elapsed().as_secs_f64()
    );
    let next = Arc::new(AtomicUsize::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let took_ms = Arc::new(AtomicU64::new(0));
    eprintln!(
        "xtask: ingesting {} docs in {batches} bulks of {} over {} connections",
        o.docs, o.batch, o.connections
    );
    let cpu_before = cpu_secs();
    let start = Instant::now();
    let workers: Vec<_> = (0..o.connections)
        .map(|_| {
            let (next, bytes, failed, took_ms, bodies) = (
                Arc::clone(&next),
                Arc::clone(&bytes),
                Arc::clone(&failed),
                Arc::clone(&took_ms),
                Arc::clone(&bodies),
            );
            std::thread::spawn(move || -> anyhow::Result<()> {
                let mut c = Conn::open(addr)?;
                loop {
                    let b = next.fetch_add(1, Ordering::Relaxed);
                    if b >= batches {
                        return Ok(());
                    }
                    let body = &bodies[b];
                    bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
                    let (status, resp) =
                        c.request("POST", "/_bulk", "application/x-ndjson", body)?;
                    ensure!(
                        status == 200,
                        "bulk {b}: {status} {}",
                        String::from_utf8_lossy(&resp)
                    );
                    took_ms.fetch_add(leading_took(&resp), Ordering::Relaxed);
                    if memchr_errors_true(&resp) {
                        let v: Value = serde_json::from_slice(&resp)?;
                        let n = v["items"].as_array().map_or(0, |items| {
                            items
                                .iter()
                                .filter(|i| i["index"]["error"].is_object())
                                .count()
                        });
                        failed.fetch_add(n as u64, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join()
            .map_err(|_| anyhow::anyhow!("a bulk worker panicked"))??;
    }
    let ingest = start.elapsed();
    let cpu = cpu_secs().zip(cpu_before).map(|(a, b)| a - b);
    let refresh_start = Instant::now();
    let (status, _) = c.request(
        "POST",
        &format!("/{INDEX}/_refresh"),
        "application/json",
        b"",
    )?;
    ensure!(status == 200, "refresh failed: {status}");
    let refresh = refresh_start.elapsed();
    let (_, count) = c.request("GET", &format!("/{INDEX}/_count"), "application/json", b"")?;
    let count: Value = serde_json::from_slice(&count)?;
    let rss = peak_rss_kb();

    let secs = ingest.as_secs_f64();
    let total_bytes = bytes.load(Ordering::Relaxed);
    #[allow(clippy::cast_precision_loss)]
    let (docs_s, mb_s) = (
        o.docs as f64 / secs,
        total_bytes as f64 / secs / 1_048_576.0,
    );
    println!("{label} bulk ingest");
    println!("  docs            {}", o.docs);
    println!(
        "  bulk size       {} docs, {} connections",
        o.batch, o.connections
    );
    println!(
        "  elapsed         {secs:.2} s (+ {:.2} s final refresh)",
        refresh.as_secs_f64()
    );
    println!(
        "  throughput      {docs_s:.0} docs/s, {mb_s:.1} MB/s ({:.1} MB sent)",
        total_bytes as f64 / 1_048_576.0
    );
    #[allow(clippy::cast_precision_loss)]
    let took_share =
        took_ms.load(Ordering::Relaxed) as f64 / 1000.0 / (secs * o.connections as f64);
    println!(
        "  server `took`   {:.0}% of the connections' time (the rest: HTTP, parsing, client)",
        took_share * 100.0
    );
    if let Some(cpu) = cpu {
        #[allow(clippy::cast_precision_loss)]
        let per_doc = cpu * 1e6 / o.docs as f64;
        println!(
            "  server CPU      {cpu:.2} s = {per_doc:.2} us/doc (user + system, all threads; \
             steadier than docs/s on a shared machine)"
        );
    }
    println!("  failed items    {}", failed.load(Ordering::Relaxed));
    println!("  count after     {}", count["count"]);
    match rss {
        Some(kb) => println!("  peak RSS        {:.1} MB (VmHWM)", kb as f64 / 1024.0),
        None => println!("  peak RSS        unavailable (no /proc/PID/status)"),
    }
    ensure!(
        count["count"] == o.docs as u64,
        "count {} != {} docs sent",
        count["count"],
        o.docs
    );

    println!(
        "dashboard queries (median of {} runs after 1 warm-up; client wall time / server took)",
        o.runs
    );
    for (name, q) in queries() {
        let body = q.to_string();
        let mut times = Vec::new();
        let mut tooks = Vec::new();
        for run in 0..=o.runs {
            let t = Instant::now();
            let (status, resp) = c.request(
                "POST",
                // Elasticsearch would answer repeats from its shard request cache.
                &format!("/{INDEX}/_search?request_cache=false"),
                "application/json",
                body.as_bytes(),
            )?;
            let el = t.elapsed();
            ensure!(
                status == 200,
                "{name}: {status} {}",
                String::from_utf8_lossy(&resp)
            );
            if run > 0 {
                times.push(el);
                let v: Value = serde_json::from_slice(&resp)?;
                tooks.push(v["took"].as_u64().unwrap_or(0));
            }
        }
        times.sort();
        tooks.sort_unstable();
        println!(
            "  {name:<34} {:>8.1} ms   took {} ms",
            times[times.len() / 2].as_secs_f64() * 1000.0,
            tooks[tooks.len() / 2]
        );
    }
    Ok(())
}

fn queries() -> Vec<(&'static str, Value)> {
    vec![
        (
            "actions per user (terms)",
            json!({"size": 0, "aggs": {"users": {"terms": {"field": "user", "size": 10}}}}),
        ),
        (
            "levels per hour (date_histogram)",
            json!({"size": 0, "aggs": {"over_time": {"date_histogram": {"field": "timestamp", "fixed_interval": "1h"},
                "aggs": {"levels": {"terms": {"field": "level"}}}}}}),
        ),
        (
            "avg duration per action",
            json!({"size": 0, "aggs": {"actions": {"terms": {"field": "action"},
                "aggs": {"avg_duration": {"avg": {"field": "duration"}}}}}}),
        ),
    ]
}

/// CPU seconds (user + system, all threads) the process `pid` has used, from `/proc/pid/stat`.
pub(super) fn server_cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // fields after the command name in parentheses: state(0) ... utime(11) stime(12)
    let rest = stat.rsplit(')').next()?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|s| s.parse::<u64>().ok());
    // clock ticks are 100 Hz on Linux
    #[allow(clippy::cast_precision_loss)]
    Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
}

/// The `took` of a `_bulk` response (`{"took":N,...`, or `{"errors":false,"took":N,...` from
/// Elasticsearch), 0 when absent.
fn leading_took(resp: &[u8]) -> u64 {
    let head = &resp[..resp.len().min(64)];
    head.windows(7)
        .position(|w| w == b"\"took\":")
        .map(|at| &head[at + 7..])
        .map(|rest| {
            rest.iter()
                .take_while(|b| b.is_ascii_digit())
                .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'))
        })
        .unwrap_or(0)
}

/// Cheap check for `"errors":true` without parsing the whole response.
fn memchr_errors_true(resp: &[u8]) -> bool {
    resp.windows(13).take(200).any(|w| w == b"\"errors\":true")
}

/// The `_bulk` body for documents `first..end` of `total`.
fn bulk_body(first: usize, end: usize, total: usize) -> Vec<u8> {
    const LEVELS: [&str; 3] = ["INFO", "WARNING", "ERROR"];
    const USERS: [&str; 5] = ["user1", "user2", "user3", "user4", "user5"];
    const ACTIONS: [&str; 5] = ["login", "search", "purchase", "logout", "view"];
    let mut out = Vec::with_capacity((end - first) * 240);
    let day_ms: u64 = 86_400_000;
    let start_ms: u64 = 1_795_478_400_000; // 2026-11-24T00:00:00Z
    for i in first..end {
        let mut r = splitmix(i as u64);
        let mut pick = |n: usize| {
            r = splitmix(r);
            usize::try_from(r % n as u64).unwrap_or(0)
        };
        let level = LEVELS[[0, 0, 0, 0, 0, 0, 1, 1, 2, 0][pick(10)]];
        let user = USERS[pick(5)];
        let action = ACTIONS[pick(5)];
        let duration = 0.1 + (pick(4_900) as f64) / 1000.0;
        let ts = start_ms + (i as u64) * day_ms / total as u64;
        out.extend_from_slice(b"{\"index\":{}}\n");
        let _ = writeln!(
            out,
            "{{\"timestamp\":\"{}\",\"level\":\"{level}\",\"message\":\"User {user} performed {action} (request {i})\",\"user\":\"{user}\",\"action\":\"{action}\",\"duration\":{duration:.3},\"source\":\"python-script\",\"tags\":[\"python\",\"webapp\"]}}",
            iso8601(ts)
        );
    }
    // The action line needs the index: rewrite once per body (cheaper than per line here).
    let action = format!("{{\"index\":{{\"_index\":\"{INDEX}\"}}}}\n");
    let text = String::from_utf8(out).unwrap_or_default();
    text.replace("{\"index\":{}}\n", &action).into_bytes()
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// `2026-11-24T10:11:12.345Z` from epoch milliseconds (proleptic Gregorian, UTC).
fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    addr: SocketAddr,
    w: TcpStream,
    r: BufReader<TcpStream>,
}

impl Conn {
    fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let w = TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
        w.set_nodelay(true)?;
        let r = BufReader::new(w.try_clone()?);
        Ok(Self { addr, w, r })
    }

    fn request(
        &mut self,
        method: &str,
        path: &str,
        ctype: &str,
        body: &[u8],
    ) -> anyhow::Result<(u16, Vec<u8>)> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        self.w.write_all(head.as_bytes())?;
        self.w.write_all(body)?;
        let mut line = String::new();
        self.r.read_line(&mut line)?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad status line {line:?}"))?;
        let mut len = 0usize;
        let mut chunked = false;
        loop {
            line.clear();
            self.r.read_line(&mut line)?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                len = v.trim().parse()?;
            }
            if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
        }
        if !chunked {
            let mut buf = vec![0; len];
            self.r.read_exact(&mut buf)?;
            return Ok((status, buf));
        }
        // Elasticsearch answers larger bodies in chunks.
        let mut buf = Vec::new();
        loop {
            line.clear();
            self.r.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .with_context(|| format!("bad chunk size line {line:?}"))?;
            let start = buf.len();
            buf.resize(start + size, 0);
            self.r.read_exact(&mut buf[start..])?;
            line.clear();
            self.r.read_line(&mut line)?; // the CRLF after the chunk (or after the trailers)
            if size == 0 {
                return Ok((status, buf));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_matches_known_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_795_478_400_000), "2026-11-24T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_123), "2000-02-29T00:00:00.123Z");
    }

    #[test]
    fn reads_took() {
        assert_eq!(leading_took(b"{\"took\":123,\"errors\":false}"), 123);
        assert_eq!(leading_took(b"{\"errors\":false}"), 0);
        assert_eq!(
            leading_took(b"{\"errors\":false,\"took\":7,\"items\":[]}"),
            7
        );
    }

    #[test]
    fn bulk_bodies_are_ndjson_pairs() {
        let body = String::from_utf8(bulk_body(0, 3, 3)).expect("utf-8");
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines.len(), 6);
        for pair in lines.chunks(2) {
            assert_eq!(pair[0], "{\"index\":{\"_index\":\"python-logs-bench\"}}");
            let doc: Value = serde_json::from_str(pair[1]).expect("json");
            assert_eq!(doc["source"], "python-script");
        }
    }
}
