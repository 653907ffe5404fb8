//! `cargo xtask bench agent [--events N] [--workers W] [--batch B] [--no-rsyslog] [--no-store]
//! [--baseline PATH]`
//!
//! `--baseline PATH` also runs another `sluice-agent` binary (e.g. a copy built from an older
//! commit) into the null sink in the same run, for before/after figures under the same load.
//!
//! tcp json_lines → elasticsearch output, measured side by side in one run on the same events
//! and the same sinks:
//!
//! - `sluice-agent` (release build) running a seed-shaped config (tcp json_lines → mutate
//!   convert → elasticsearch with a daily index);
//! - rsyslog (`imtcp` → `mmjsonparse` → `omelasticsearch` in bulk mode, daily index), when
//!   `rsyslogd` and its `omelasticsearch` module are installed (Debian: `rsyslog`,
//!   `rsyslog-elasticsearch`). Running as root the harness installs them with apt-get; otherwise
//!   it prints the command and measures Sluice alone.
//!
//! Sinks: a null `_bulk` endpoint in this process (answers every document `201` without storing
//! it; counts documents) and `sluice-store` (release build, fresh data directory).
//!
//! Events: N (default 1,000,000) seed-shaped JSON lines (~220 bytes: timestamp, level, message,
//! user, action, duration, source, tags) from a fixed-seed generator, written once to a file and
//! sent over one TCP connection. Reported per run: wall time from the first byte sent to the
//! last document acknowledged by the sink, events/s, MB/s (input bytes), CPU seconds of the
//! shipper process (user+sys from /proc) and its peak RSS (VmHWM).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::util;

struct Opts {
    events: usize,
    workers: usize,
    batch: usize,
    rsyslog: bool,
    store: bool,
    baseline: Option<PathBuf>,
}

fn parse(rest: &[String]) -> anyhow::Result<Opts> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let mut o = Opts {
        events: 1_000_000,
        workers: cores,
        batch: 1_000,
        rsyslog: true,
        store: true,
        baseline: None,
    };
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--events" => o.events = super::value(&mut it, "--events")?,
            "--workers" => o.workers = super::value(&mut it, "--workers")?,
            "--batch" => o.batch = super::value(&mut it, "--batch")?,
            "--no-rsyslog" => o.rsyslog = false,
            "--no-store" => o.store = false,
            "--baseline" => {
                let v = it.next().context("--baseline needs a path")?;
                o.baseline = Some(PathBuf::from(v));
            }
            other => bail!(
                "unknown option {other}; usage: cargo xtask bench agent [--events N] [--workers W] \
                 [--batch B] [--no-rsyslog] [--no-store] [--baseline PATH]"
            ),
        }
    }
    Ok(o)
}

/// One measured run.
struct Outcome {
    name: String,
    events: u64,
    secs: f64,
    bytes: u64,
    cpu: f64,
    rss_mb: f64,
}

pub fn run(rest: &[String]) -> anyhow::Result<()> {
    let opts = parse(rest)?;
    let work = util::root().join("target/bench-agent");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let mut build = util::cargo();
    build.args(["build", "--release", "-p", "agent", "--bins"]);
    if opts.store {
        build.args(["-p", "store"]);
    }
    util::run(&mut build)?;
    let bin = util::root().join("target/release");
    let events = work.join("events.ndjson");
    let bytes = write_events(&events, opts.events)?;
    eprintln!(
        "bench agent: {} events, {:.1} MB ({:.0} bytes/event)",
        opts.events,
        bytes as f64 / 1e6,
        bytes as f64 / opts.events as f64
    );
    let rsyslog = opts.rsyslog && rsyslog_available();
    let mut results = Vec::new();

    let sink = NullSink::start()?;
    if let Some(b) = &opts.baseline {
        results.push(run_agent(
            ("baseline", b),
            &work,
            &opts,
            &events,
            bytes,
            Target::Null(&sink),
        )?);
    }
    results.push(run_agent(
        ("sluice-agent", &bin.join("sluice-agent")),
        &work,
        &opts,
        &events,
        bytes,
        Target::Null(&sink),
    )?);
    if rsyslog {
        results.push(run_rsyslog(
            &work,
            &events,
            bytes,
            opts.events,
            Target::Null(&sink),
        )?);
    }
    if opts.store {
        let store = Store::start(&bin, &work.join("store-agent"))?;
        results.push(run_agent(
            ("sluice-agent", &bin.join("sluice-agent")),
            &work,
            &opts,
            &events,
            bytes,
            Target::Store(&store),
        )?);
        drop(store);
        if rsyslog {
            let store = Store::start(&bin, &work.join("store-rsyslog"))?;
            results.push(run_rsyslog(
                &work,
                &events,
                bytes,
                opts.events,
                Target::Store(&store),
            )?);
        }
    }
    println!(
        "\n{:<34} {:>10} {:>8} {:>12} {:>8} {:>8} {:>6} {:>9}",
        "run", "events", "secs", "events/s", "MB/s", "cpu s", "cpu %", "peak RSS"
    );
    for r in &results {
        println!(
            "{:<34} {:>10} {:>8.2} {:>12.0} {:>8.1} {:>8.2} {:>6.0} {:>7.1}MB",
            r.name,
            r.events,
            r.secs,
            r.events as f64 / r.secs,
            r.bytes as f64 / 1e6 / r.secs,
            r.cpu,
            100.0 * r.cpu / r.secs,
            r.rss_mb
        );
    }
    if !rsyslog && opts.rsyslog {
        println!(
            "\nrsyslog was not measured: install it with\n  apt-get update && apt-get install -y rsyslog rsyslog-elasticsearch"
        );
    }
    Ok(())
}

// ---- events ------------------------------------------------------------------------------------

/// Writes `n` seed-shaped events; returns the file size.
fn write_events(path: &Path, n: usize) -> anyhow::Result<u64> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let users = ["user1", "user2", "user3", "user4", "user5"];
    let actions = ["login", "search", "purchase", "logout", "view"];
    let levels = ["INFO", "WARNING", "ERROR"];
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut bytes = 0u64;
    for i in 0..n {
        let u = users[(next() % 5) as usize];
        let a = actions[(next() % 5) as usize];
        let l = levels[(next() % 3) as usize];
        let d = 0.1 + (next() % 4900) as f64 / 1000.0;
        let line = format!(
            "{{\"@timestamp\":\"2026-11-24T12:{:02}:{:02}.{:03}Z\",\"level\":\"{l}\",\"message\":\"User {u} performed {a} in {d:.2}s\",\"user\":\"{u}\",\"action\":\"{a}\",\"duration\":\"{d}\",\"source\":\"python-script\",\"tags\":[\"python\",\"webapp\"]}}\n",
            (i / 60) % 60,
            i % 60,
            i % 1000
        );
        bytes += line.len() as u64;
        out.write_all(line.as_bytes())?;
    }
    out.flush()?;
    Ok(bytes)
}

/// Sends the file over one connection (from a thread).
fn send(addr: SocketAddr, path: &Path) -> std::thread::JoinHandle<anyhow::Result<()>> {
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr)?;
        let mut f = std::fs::File::open(&path)?;
        std::io::copy(&mut f, &mut s)?;
        Ok(())
    })
}

// ---- sinks -------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Target<'a> {
    Null(&'a NullSink),
    Store(&'a Store),
}

impl Target<'_> {
    fn addr(&self) -> SocketAddr {
        match self {
            Target::Null(s) => s.addr,
            Target::Store(s) => s.addr,
        }
    }
    fn label(&self) -> &'static str {
        match self {
            Target::Null(_) => "null sink",
            Target::Store(_) => "sluice-store",
        }
    }
    /// CPU seconds the store process has used (none for the null sink, which runs in here).
    fn server_cpu(&self) -> Option<f64> {
        match self {
            Target::Null(_) => None,
            Target::Store(s) => Some(cpu_secs(s.child.id())),
        }
    }

    /// Documents acknowledged so far.
    fn count(&self) -> u64 {
        match self {
            Target::Null(s) => s.docs.load(Ordering::SeqCst),
            Target::Store(s) => s.count(),
        }
    }
}

/// A `_bulk` endpoint that acknowledges every document without storing it.
pub(super) struct NullSink {
    pub(super) addr: SocketAddr,
    pub(super) docs: Arc<AtomicU64>,
    /// Documents that carry a parse-failure marker (`_grokparsefailure`, rsyslog's
    /// `unparsed-data`).
    pub(super) failed: Arc<AtomicU64>,
}

impl NullSink {
    pub(super) fn start() -> anyhow::Result<NullSink> {
        let l = TcpListener::bind("127.0.0.1:0")?;
        let addr = l.local_addr()?;
        let docs = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let (d, f) = (docs.clone(), failed.clone());
        std::thread::spawn(move || {
            for s in l.incoming().flatten() {
                let (d, f) = (d.clone(), f.clone());
                std::thread::spawn(move || {
                    let _ = null_conn(s, &d, &f);
                });
            }
        });
        Ok(NullSink { addr, docs, failed })
    }
}

fn null_conn(stream: TcpStream, docs: &AtomicU64, failed: &AtomicU64) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut r = BufReader::with_capacity(1 << 20, stream.try_clone()?);
    let mut w = stream;
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let bulk = line.contains("_bulk");
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            if r.read_line(&mut h)? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
                // libcurl (rsyslog's omelasticsearch) waits for this before sending a body.
                if k.eq_ignore_ascii_case("expect") && v.trim().eq_ignore_ascii_case("100-continue")
                {
                    w.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
                }
            }
        }
        body.resize(len, 0);
        r.read_exact(&mut body)?;
        let resp = if bulk {
            let n = body.iter().filter(|b| **b == b'\n').count() / 2;
            let mut s = String::with_capacity(40 + n * 40);
            s.push_str("{\"took\":0,\"errors\":false,\"items\":[");
            for i in 0..n {
                if i > 0 {
                    s.push(',');
                }
                s.push_str("{\"index\":{\"_index\":\"x\",\"status\":201,\"result\":\"created\"}}");
            }
            s.push_str("]}");
            let marked = body
                .split(|b| *b == b'\n')
                .filter(|l| {
                    l.windows(8).any(|w| w == b"unparsed")
                        || l.windows(17).any(|w| w == b"_grokparsefailure")
                })
                .count();
            failed.fetch_add(marked as u64, Ordering::SeqCst);
            docs.fetch_add(n as u64, Ordering::SeqCst);
            s
        } else {
            "{\"name\":\"null\",\"cluster_name\":\"null\",\"version\":{\"number\":\"8.15.0\"},\"tagline\":\"You Know, for Search\"}".to_string()
        };
        // One write per response: several small writes meet Nagle and delayed ACKs.
        let out = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-elastic-product: Elasticsearch\r\ncontent-length: {}\r\n\r\n{resp}",
            resp.len()
        );
        w.write_all(out.as_bytes())?;
    }
}

/// A release `sluice-store` on a fresh data directory.
struct Store {
    addr: SocketAddr,
    child: Child,
}

impl Store {
    fn start(bin: &Path, dir: &Path) -> anyhow::Result<Store> {
        let addr = free_addr()?;
        let child = Command::new(bin.join("sluice-store"))
            .arg("--data-dir")
            .arg(dir)
            .args(["--listen", &addr.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting sluice-store")?;
        crate::services::wait_port(addr, Duration::from_secs(30))?;
        // The mapping `bench store` gives its documents (for these fields), so that "the agent
        // into the store" and "the store alone" index the same fields: without it every
        // string would be mapped dynamically as text plus a keyword sub-field.
        let template = serde_json::json!({
            "index_patterns": ["python-logs-*"],
            "template": {
                "settings": {"number_of_replicas": 0},
                "mappings": {"properties": {
                    "@timestamp": {"type": "date"}, "@version": {"type": "keyword"},
                    "level": {"type": "keyword"}, "message": {"type": "text"},
                    "user": {"type": "keyword"}, "action": {"type": "keyword"},
                    "duration": {"type": "float"}, "source": {"type": "keyword"},
                    "tags": {"type": "keyword"}
                }}
            }
        });
        let (status, body) = crate::services::http(
            addr,
            "PUT",
            "/_index_template/bench-python-logs",
            Some(&template.to_string()),
            None,
        )?;
        anyhow::ensure!(status == 200, "index template: {status} {body}");
        Ok(Store { addr, child })
    }

    fn count(&self) -> u64 {
        let _ = http(self.addr, "POST", "/python-logs-*/_refresh");
        http(self.addr, "GET", "/python-logs-*/_count")
            .ok()
            .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok())
            .and_then(|v| v["count"].as_u64())
            .unwrap_or(0)
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http(addr: SocketAddr, method: &str, path: &str) -> anyhow::Result<String> {
    let mut s = TcpStream::connect(addr)?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    Ok(resp
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string())
}

pub(super) fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

// ---- process metrics ---------------------------------------------------------------------------

/// user+sys CPU seconds of a process.
pub(super) fn cpu_secs(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0
}

/// Events the agent's outputs have had acknowledged, from its monitoring API (0 when it cannot
/// be read).
fn agent_events_out(monitor: SocketAddr) -> u64 {
    http(monitor, "GET", "/_node/stats/pipelines")
        .ok()
        .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok())
        .and_then(|v| {
            v["pipelines"]
                .as_object()?
                .values()
                .map(|p| p["events"]["out"].as_u64())
                .sum::<Option<u64>>()
        })
        .unwrap_or(0)
}

/// Sends the events and waits until the target acknowledged them all (or 10 minutes pass).
///
/// Into the store, the clock stops when the agent's monitoring API (`monitor`) says its
/// output has had every event acknowledged, so that the measurement itself forces no refresh
/// on the store (counting searchable documents would need one); the store's count is then
/// checked. Without a monitoring API (rsyslog) the store is refreshed and counted once a
/// second, Elasticsearch's default refresh interval.
fn measure(
    name: String,
    pid: u32,
    (input, events, bytes, n): (SocketAddr, &Path, u64, usize),
    target: &Target<'_>,
    monitor: Option<SocketAddr>,
) -> anyhow::Result<Outcome> {
    let base = target.count();
    let out0 = monitor.map_or(0, agent_events_out);
    let cpu0 = cpu_secs(pid);
    let server_cpu0 = target.server_cpu();
    let start = Instant::now();
    let sender = send(input, events);
    let poll = match (target, monitor) {
        (Target::Null(_), _) => Duration::from_millis(5),
        (Target::Store(_), Some(_)) => Duration::from_millis(20),
        (Target::Store(_), None) => Duration::from_secs(1),
    };
    let mut got = 0;
    while start.elapsed() < Duration::from_secs(600) {
        got = match (target, monitor) {
            (Target::Store(_), Some(m)) => agent_events_out(m).saturating_sub(out0),
            _ => target.count() - base,
        };
        if got >= n as u64 {
            break;
        }
        std::thread::sleep(poll);
    }
    let secs = start.elapsed().as_secs_f64();
    let server_cpu = target.server_cpu().zip(server_cpu0).map(|(a, b)| a - b);
    sender
        .join()
        .map_err(|_| anyhow::anyhow!("sender thread panicked"))??;
    if got < n as u64 {
        bail!("{name}: only {got} of {n} events arrived within 10 minutes");
    }
    if monitor.is_some() && matches!(target, Target::Store(_)) {
        let stored = target.count() - base;
        if stored != n as u64 {
            bail!(
                "{name}: the agent reported {got} events acknowledged, the store counts {stored}"
            );
        }
    }
    if let Some(c) = server_cpu {
        eprintln!(
            "bench agent: {name}: the store used {c:.2} CPU-s ({:.1} µs per event)",
            c * 1e6 / n as f64
        );
    }
    let o = Outcome {
        name,
        events: got,
        secs,
        bytes,
        cpu: cpu_secs(pid) - cpu0,
        rss_mb: crate::services::peak_rss_kb(pid).map_or(0.0, |kb| kb as f64 / 1024.0),
    };
    eprintln!(
        "bench agent: {}: {:.0} events/s",
        o.name,
        o.events as f64 / o.secs
    );
    Ok(o)
}

// ---- sluice-agent ------------------------------------------------------------------------------

fn run_agent(
    (label, agent): (&str, &Path),
    work: &Path,
    opts: &Opts,
    events: &Path,
    bytes: u64,
    target: Target<'_>,
) -> anyhow::Result<Outcome> {
    let input = free_addr()?;
    let monitor = free_addr()?;
    let conf = work.join("agent.conf");
    std::fs::write(
        &conf,
        format!(
            "input {{ tcp {{ port => {} codec => json_lines }} }}\n\
             filter {{ mutate {{ convert => {{ \"duration\" => \"float\" }} }} }}\n\
             output {{ elasticsearch {{ hosts => [\"{}\"] index => \"python-logs-%{{+YYYY.MM.dd}}\" }} }}\n",
            input.port(),
            target.addr()
        ),
    )?;
    let mut child = Command::new(agent)
        .arg("-f")
        .arg(&conf)
        .args([
            "-w",
            &opts.workers.to_string(),
            "-b",
            &opts.batch.to_string(),
        ])
        .args(["--http", &monitor.to_string()])
        .arg("--path.dead_letter_queue")
        .arg(work.join("dlq"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .env("RUST_LOG", "warn")
        .spawn()
        .context("starting sluice-agent")?;
    let res = crate::services::wait_port(input, Duration::from_secs(30)).and_then(|()| {
        crate::services::wait_port(monitor, Duration::from_secs(30))?;
        measure(
            format!("{label} -> {}", target.label()),
            child.id(),
            (input, events, bytes, opts.events),
            &target,
            Some(monitor),
        )
    });
    let _ = child.kill();
    let _ = child.wait();
    res
}

// ---- rsyslog -----------------------------------------------------------------------------------

pub(super) fn rsyslog_available() -> bool {
    let module = Path::new("/usr/lib/x86_64-linux-gnu/rsyslog/omelasticsearch.so").exists()
        || Path::new("/usr/lib/aarch64-linux-gnu/rsyslog/omelasticsearch.so").exists()
        || Path::new("/usr/lib/rsyslog/omelasticsearch.so").exists();
    let found = Command::new("rsyslogd").arg("-v").output().is_ok() && module;
    if found {
        return true;
    }
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false);
    if !root {
        return false;
    }
    eprintln!(
        "bench agent: installing rsyslog and rsyslog-elasticsearch with apt-get (running as root)"
    );
    let ok = Command::new("apt-get")
        .arg("update")
        .status()
        .is_ok_and(|s| s.success())
        && Command::new("apt-get")
            .args(["install", "-y", "rsyslog", "rsyslog-elasticsearch"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success());
    ok && Command::new("rsyslogd").arg("-v").output().is_ok()
}

fn run_rsyslog(
    work: &Path,
    events: &Path,
    bytes: u64,
    n: usize,
    target: Target<'_>,
) -> anyhow::Result<Outcome> {
    let dir: PathBuf = work.join(format!("rsyslog-{}", target.addr().port()));
    std::fs::create_dir_all(dir.join("work"))?;
    let input = free_addr()?;
    let sink = target.addr();
    let conf = dir.join("rsyslog.conf");
    std::fs::write(
        &conf,
        format!(
            r#"global(workDirectory="{w}/work" maxMessageSize="64k")
module(load="imtcp" MaxSessions="100")
module(load="mmjsonparse")
module(load="omelasticsearch")
template(name="all-json" type="list") {{ property(name="$!all-json") }}
template(name="idx" type="string" string="python-logs-%timereported:1:10:date-rfc3339%")
input(type="imtcp" address="127.0.0.1" port="{port}" ruleset="es")
ruleset(name="es" queue.type="LinkedList" queue.size="100000" queue.dequeueBatchSize="2000" queue.workerThreads="2") {{
  action(type="mmjsonparse" cookie="")
  action(type="omelasticsearch" name="es" server="{host}" serverport="{sport}" template="all-json"
         esVersion.major="8" searchIndex="idx" dynSearchIndex="on" bulkmode="on" maxbytes="10m" queue.type="LinkedList" queue.size="100000"
         queue.dequeuebatchsize="5000" action.resumeretrycount="-1" errorfile="{w}/es-err.json")
}}
"#,
            w = dir.display(),
            port = input.port(),
            host = sink.ip(),
            sport = sink.port()
        ),
    )?;
    let mut child = Command::new("rsyslogd")
        .arg("-n")
        .arg("-f")
        .arg(&conf)
        .arg("-i")
        .arg(dir.join("rsyslog.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting rsyslogd")?;
    let res = crate::services::wait_port(input, Duration::from_secs(30)).and_then(|()| {
        measure(
            format!("rsyslog -> {}", target.label()),
            child.id(),
            (input, events, bytes, n),
            &target,
            None,
        )
    });
    let _ = child.kill();
    let _ = child.wait();
    res
}
