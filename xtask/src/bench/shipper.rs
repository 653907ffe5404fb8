//! `cargo xtask bench shipper [--count N] [--py-count M] [--no-criterion] [--no-python]`
//!
//! 1. Per-call overhead: the criterion bench `crates/shipper/benches/overhead.rs`.
//! 2. End to end, in one run and into the same receiver: events/s from process start until
//!    the receiver has every event, for
//!    - `sluice ship` (generator → shipper), memory-only and durable (SQLite),
//!    - the Rust Example 1 (`tracing` → `ShipperLayer` → shipper), memory-only and durable,
//!    - python-logstash-async's `AsynchronousLogstashHandler` (defaults), memory and SQLite,
//!      sending the same seed-shaped events (`crates/shipper/benches/py/`).
//!
//! The receiver is a TCP json_lines sink inside xtask that counts complete lines (it does
//! not parse them), so the figures measure the senders, not an agent.
//! Defaults: N = 200,000 Rust events, M = 20,000 Python events (Python is far slower).

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::{pyenv, util};

struct Opts {
    count: u64,
    py_count: u64,
    criterion: bool,
    python: bool,
}

fn parse(rest: &[String]) -> anyhow::Result<Opts> {
    let mut o = Opts {
        count: 200_000,
        py_count: 20_000,
        criterion: true,
        python: true,
    };
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--count" => o.count = super::value(&mut it, "--count")?,
            "--py-count" => o.py_count = super::value(&mut it, "--py-count")?,
            "--no-criterion" => o.criterion = false,
            "--no-python" => o.python = false,
            other => bail!(
                "unknown option {other}: expected --count N, --py-count M, --no-criterion, --no-python"
            ),
        }
    }
    Ok(o)
}

pub fn run(rest: &[String]) -> anyhow::Result<()> {
    let o = parse(rest)?;
    let root = util::root();
    if o.criterion {
        util::run(util::cargo().args([
            "bench",
            "-p",
            "shipper",
            "--bench",
            "overhead",
            "--",
            "--warm-up-time",
            "1",
            "--measurement-time",
            "3",
        ]))?;
    }
    util::run(util::cargo().args(["build", "--release", "-p", "cli", "--bin", "sluice"]))?;
    util::run(util::cargo().args([
        "build",
        "--release",
        "-p",
        "shipper",
        "--example",
        "example1",
    ]))?;
    let python = if o.python {
        Some(pyenv::ensure()?)
    } else {
        None
    };

    let sink = Sink::start()?;
    let port = sink.port.to_string();
    let tmp = root.join("target/tmp/bench-shipper");
    std::fs::create_dir_all(&tmp)?;
    let sluice = root.join("target/release/sluice");
    let example = root.join("target/release/examples/example1");
    let n = o.count.to_string();

    let mut results = Vec::new();
    let mut measure = |name: &str, events: u64, mut cmd: Command| -> anyhow::Result<()> {
        let r = sink.measure(name, events, &mut cmd)?;
        println!(
            "{name:<46} {events:>9} events {:>8.2} s {:>12.0} events/s",
            r.as_secs_f64(),
            events as f64 / r.as_secs_f64()
        );
        results.push((name.to_owned(), events as f64 / r.as_secs_f64()));
        Ok(())
    };
    let ship = |db: Option<&Path>| {
        let mut c = Command::new(&sluice);
        c.args([
            "ship",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--count",
            &n,
        ]);
        if let Some(db) = db {
            c.arg("--database").arg(db);
        }
        c
    };
    let ex1 = |db: Option<&Path>| {
        let mut c = Command::new(&example);
        c.args(["--host", "127.0.0.1", "--port", &port, "--count", &n]);
        match db {
            Some(db) => c.arg("--database").arg(db),
            None => c.arg("--memory"),
        };
        c
    };
    println!("\nend to end into a tcp json_lines sink (counts lines) on 127.0.0.1:{port}");
    measure("sluice ship, memory", o.count, ship(None))?;
    measure(
        "sluice ship, durable (SQLite)",
        o.count,
        ship(Some(&fresh(&tmp, "ship.db")?)),
    )?;
    measure(
        "Rust Example 1 via tracing layer, memory",
        o.count,
        ex1(None),
    )?;
    measure(
        "Rust Example 1 via tracing layer, durable",
        o.count,
        ex1(Some(&fresh(&tmp, "ex1.db")?)),
    )?;
    if let Some(py) = &python {
        let script = root.join("crates/shipper/benches/py/logstash_async_bench.py");
        let m = o.py_count.to_string();
        let pyc = |db: Option<&Path>| {
            let mut c = Command::new(py);
            c.arg(&script).args(["127.0.0.1", &port, &m]);
            if let Some(db) = db {
                c.arg(db);
            }
            c
        };
        measure("python-logstash-async, memory", o.py_count, pyc(None))?;
        measure(
            "python-logstash-async, SQLite",
            o.py_count,
            pyc(Some(&fresh(&tmp, "logstash.db")?)),
        )?;
    }
    let rate = |name: &str| results.iter().find(|(n, _)| n == name).map(|(_, r)| *r);
    if let (Some(rs), Some(py)) = (
        rate("sluice ship, durable (SQLite)"),
        rate("python-logstash-async, SQLite"),
    ) {
        println!(
            "\ndurable: sluice ship is {:.0}x python-logstash-async with SQLite (goal >= 50x; goal >= 200,000 events/s: {})",
            rs / py,
            if rs >= 200_000.0 { "met" } else { "not met" }
        );
    }
    if let (Some(rs), Some(py)) = (
        rate("sluice ship, memory"),
        rate("python-logstash-async, memory"),
    ) {
        println!(
            "memory:  sluice ship is {:.0}x python-logstash-async in memory",
            rs / py
        );
    }
    Ok(())
}

/// A path in `dir` with no database (nor WAL files) left from an earlier run.
fn fresh(dir: &Path, name: &str) -> anyhow::Result<std::path::PathBuf> {
    for suffix in ["", "-wal", "-shm"] {
        let p = dir.join(format!("{name}{suffix}"));
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
        }
    }
    Ok(dir.join(name))
}

/// Counts newline-terminated lines received on any connection.
struct Sink {
    port: u16,
    lines: Arc<AtomicU64>,
}

impl Sink {
    fn start() -> anyhow::Result<Self> {
        let l = TcpListener::bind("127.0.0.1:0")?;
        let port = l.local_addr()?.port();
        let lines = Arc::new(AtomicU64::new(0));
        let counter = lines.clone();
        std::thread::spawn(move || {
            for c in l.incoming().flatten() {
                let counter = counter.clone();
                std::thread::spawn(move || {
                    let mut c = c;
                    let mut buf = vec![0u8; 1 << 16];
                    while let Ok(n) = c.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        let nl = buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
                        counter.fetch_add(nl, SeqCst);
                    }
                });
            }
        });
        Ok(Self { port, lines })
    }

    /// Runs `cmd` and returns the time from its start until `events` more lines arrived.
    fn measure(&self, name: &str, events: u64, cmd: &mut Command) -> anyhow::Result<Duration> {
        let target = self.lines.load(SeqCst) + events;
        let start = Instant::now();
        let mut child = cmd
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {name}: {cmd:?}"))?;
        let limit = Duration::from_secs(600);
        loop {
            if self.lines.load(SeqCst) >= target {
                break;
            }
            if let Some(status) = child.try_wait()? {
                // Let the sink read what the process wrote just before it exited.
                let grace = Instant::now();
                while self.lines.load(SeqCst) < target && grace.elapsed() < Duration::from_secs(5) {
                    std::thread::sleep(Duration::from_millis(1));
                }
                if self.lines.load(SeqCst) < target {
                    bail!(
                        "{name} exited ({status}) after sending {} of {events} events",
                        events - (target - self.lines.load(SeqCst))
                    );
                }
                break;
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                bail!("{name} did not deliver {events} events within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let took = start.elapsed();
        let status = child.wait()?;
        if !status.success() {
            bail!("{name} failed: {status}");
        }
        Ok(took)
    }
}
