//! `cargo xtask bench pipeline [--lines N] [--events N] [--workers W] [--window W]
//! [--only grok|beats|file] [--no-rsyslog] [--rounds R]`
//!
//! sluice-agent's parsing and inputs, each measured in one run beside a peer, into the null
//! `_bulk` sink of `bench agent` (acknowledges every document, counts them and the ones that
//! carry a parse-failure marker):
//!
//! - **grok**: N (default 1,000,000) Apache combined access lines over one TCP connection,
//!   parsed with `%{COMBINEDAPACHELOG}` by sluice-agent (tcp → grok → elasticsearch) and by
//!   rsyslog (imtcp → mmnormalize with a liblognorm rule base for the same fields →
//!   omelasticsearch). Both use W workers (default: the cores). Reported: wall-clock lines/s,
//!   and lines per CPU-second of the process ("per core"), the figure the goal (≥ 2× rsyslog)
//!   is about. `--rounds R` measures the pair R times, alternating, and prints each round's
//!   ratio and their median: on a shared virtual machine one run of either program can be
//!   10–20 % off the next.
//! - **beats**: N events (default 1,000,000) sent by Elastic's go-lumber client (the peer the
//!   beats tests build, `crates/pipeline/tests/lumber-client`: synchronous windows of `--window`
//!   events, default 2048 as Filebeat's `bulk_max_size`, compressed) into the beats input.
//! - **file**: the grok run's file read by the `file` input (tail mode from the beginning,
//!   plain lines, no filter) → MB/s of input; beside rsyslog's `imfile` doing the same.
//!
//! rsyslog runs when `rsyslogd` and its `mmnormalize` and `omelasticsearch` modules are
//! installed (Debian: `rsyslog`, `rsyslog-elasticsearch`); as root the harness installs them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};

use super::agent::{NullSink, cpu_secs, free_addr, rsyslog_available};
use crate::util;

struct Opts {
    lines: usize,
    events: usize,
    workers: usize,
    window: usize,
    only: Option<String>,
    rsyslog: bool,
    /// Times the grok pair (sluice-agent, then rsyslog) is measured, alternating.
    rounds: usize,
}

fn parse(rest: &[String]) -> anyhow::Result<Opts> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let mut o = Opts {
        lines: 1_000_000,
        events: 1_000_000,
        workers: cores,
        window: 2048,
        only: None,
        rsyslog: true,
        rounds: 1,
    };
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--lines" => o.lines = super::value(&mut it, "--lines")?,
            "--events" => o.events = super::value(&mut it, "--events")?,
            "--workers" => o.workers = super::value(&mut it, "--workers")?,
            "--window" => o.window = super::value(&mut it, "--window")?,
            "--only" => {
                let v = it.next().context("--only needs grok, beats or file")?;
                if !matches!(v.as_str(), "grok" | "beats" | "file") {
                    bail!("--only takes grok, beats or file, not {v}");
                }
                o.only = Some(v.clone());
            }
            "--no-rsyslog" => o.rsyslog = false,
            "--rounds" => {
                o.rounds = super::value(&mut it, "--rounds")?;
                if o.rounds == 0 {
                    bail!("--rounds needs at least 1");
                }
            }
            other => bail!(
                "unknown option {other}; usage: cargo xtask bench pipeline [--lines N] [--events N] \
                 [--workers W] [--window W] [--only grok|beats|file] [--no-rsyslog] [--rounds N]"
            ),
        }
    }
    Ok(o)
}

fn per_cpu_second(o: &Outcome) -> f64 {
    o.events as f64 / o.cpu.max(1e-9)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => f64::midpoint(values[n / 2 - 1], values[n / 2]),
    }
}

/// One measured run.
struct Outcome {
    name: String,
    events: u64,
    failed: u64,
    secs: f64,
    bytes: u64,
    cpu: f64,
}

pub fn run(rest: &[String]) -> anyhow::Result<()> {
    let opts = parse(rest)?;
    let wants = |what: &str| opts.only.as_deref().is_none_or(|o| o == what);
    let work = util::root().join("target/bench-pipeline");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    util::run(util::cargo().args(["build", "--release", "-p", "agent", "--bins"]))?;
    let agent = util::root().join("target/release/sluice-agent");
    let rsyslog = opts.rsyslog && (wants("grok") || wants("file")) && rsyslog_available();
    let mmnormalize = rsyslog && module_exists("mmnormalize.so");
    let sink = NullSink::start()?;
    let mut results = Vec::new();
    let mut grok_ratios: Vec<f64> = Vec::new();

    let log = work.join("access.log");
    let bytes = if wants("grok") || wants("file") {
        write_access_log(&log, opts.lines)?
    } else {
        0
    };
    if wants("grok") {
        eprintln!(
            "bench pipeline: grok, {} Apache lines ({:.1} MB)",
            opts.lines,
            bytes as f64 / 1e6
        );
        // alternating rounds, so that a machine that slows down or speeds up during the run
        // weighs on both programs alike
        for round in 1..=opts.rounds {
            let mut ours = grok_agent(&agent, &work, &opts, &log, bytes, &sink)?;
            let mut theirs = if mmnormalize {
                Some(grok_rsyslog(&work, &opts, &log, bytes, &sink)?)
            } else {
                None
            };
            if opts.rounds > 1 {
                ours.name = format!("{}, round {round}", ours.name);
                if let Some(t) = &mut theirs {
                    t.name = format!("{}, round {round}", t.name);
                }
            }
            if let Some(t) = &theirs {
                grok_ratios.push(per_cpu_second(&ours) / per_cpu_second(t));
            }
            results.push(ours);
            results.extend(theirs);
        }
    }
    if wants("beats") {
        results.push(beats(&agent, &work, &opts, &sink)?);
    }
    if wants("file") {
        results.push(file_agent(&agent, &work, &opts, &log, bytes, &sink)?);
        if rsyslog {
            results.push(file_rsyslog(&work, &opts, &log, bytes, &sink)?);
        }
    }
    print_table(&results);
    if !grok_ratios.is_empty() {
        let each: Vec<String> = grok_ratios.iter().map(|r| format!("{r:.2}")).collect();
        println!(
            "\ngrok lines per CPU-second, sluice-agent / rsyslog mmnormalize: {} (median {:.2})",
            each.join(", "),
            median(&mut grok_ratios)
        );
    }
    if opts.rsyslog && !mmnormalize && (wants("grok") || wants("file")) {
        println!(
            "\nrsyslog was not measured: install it with\n  apt-get update && apt-get install -y rsyslog rsyslog-elasticsearch"
        );
    }
    Ok(())
}

fn print_table(results: &[Outcome]) {
    println!(
        "\n{:<52} {:>10} {:>8} {:>8} {:>12} {:>8} {:>8} {:>14}",
        "run", "events", "failed", "secs", "events/s", "MB/s", "cpu s", "events/cpu-s"
    );
    for r in results {
        println!(
            "{:<52} {:>10} {:>8} {:>8.2} {:>12.0} {:>8.1} {:>8.2} {:>14.0}",
            r.name,
            r.events,
            r.failed,
            r.secs,
            r.events as f64 / r.secs,
            r.bytes as f64 / 1e6 / r.secs,
            r.cpu,
            r.events as f64 / r.cpu.max(0.01),
        );
    }
}

fn module_exists(name: &str) -> bool {
    [
        "/usr/lib/x86_64-linux-gnu/rsyslog",
        "/usr/lib/aarch64-linux-gnu/rsyslog",
        "/usr/lib/rsyslog",
    ]
    .iter()
    .any(|d| Path::new(d).join(name).exists())
}

// ---- input -------------------------------------------------------------------------------------

/// Writes `n` Apache combined access lines (fixed seed); returns the file size.
fn write_access_log(path: &Path, n: usize) -> anyhow::Result<u64> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let methods = ["GET", "GET", "GET", "POST", "HEAD", "PUT"];
    let paths = [
        "/",
        "/index.html",
        "/presentations/logstash-monitorama-2013/images/kibana-search.png",
        "/blog/tags/puppet?flav=rss20",
        "/api/v1/orders/4711/items",
        "/static/css/site.min.css",
        "/reset.css",
    ];
    let statuses = [200, 200, 200, 200, 304, 404, 500, 301];
    let referrers = [
        "-",
        "http://semicomplete.com/presentations/logstash-monitorama-2013/",
        "https://www.google.com/search?q=logstash",
    ];
    let agents = [
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
        "curl/8.5.0",
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
    ];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut bytes = 0u64;
    for i in 0..n {
        let r = next();
        let line = format!(
            "{}.{}.{}.{} - {} [{:02}/{}/2026:{:02}:{:02}:{:02} +0000] \"{} {} HTTP/1.1\" {} {} \"{}\" \"{}\"\n",
            1 + r % 223,
            (r >> 8) % 256,
            (r >> 16) % 256,
            1 + (r >> 24) % 254,
            if r % 17 == 0 { "frank" } else { "-" },
            1 + (i / 86_400) % 28,
            months[(r >> 32) as usize % 12],
            (i / 3600) % 24,
            (i / 60) % 60,
            i % 60,
            methods[(r >> 36) as usize % methods.len()],
            paths[(r >> 40) as usize % paths.len()],
            statuses[(r >> 44) as usize % statuses.len()],
            (r >> 48) % 250_000,
            referrers[(r >> 52) as usize % referrers.len()],
            agents[(r >> 56) as usize % agents.len()],
        );
        bytes += line.len() as u64;
        out.write_all(line.as_bytes())?;
    }
    out.flush()?;
    Ok(bytes)
}

fn send_file(
    addr: std::net::SocketAddr,
    path: &Path,
) -> std::thread::JoinHandle<anyhow::Result<()>> {
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(addr)?;
        let mut f = std::fs::File::open(&path)?;
        std::io::copy(&mut f, &mut s)?;
        Ok(())
    })
}

// ---- measuring ---------------------------------------------------------------------------------

/// Kills the process it holds when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `start` (which begins feeding the pipeline) and waits until the sink counted `n` more
/// documents, with a progress bar; the CPU time is the process `pid`'s (the file runs start
/// their process inside `start` and put its whole CPU time in the outcome afterwards).
fn measure(
    name: String,
    pid: u32,
    n: usize,
    bytes: u64,
    sink: &NullSink,
    start: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<Outcome> {
    let (base, failed0) = (
        sink.docs.load(Ordering::SeqCst),
        sink.failed.load(Ordering::SeqCst),
    );
    let bar = ProgressBar::new(n as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg:32} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, eta {eta})",
    ) {
        bar.set_style(style);
    }
    bar.set_message(name.clone());
    let cpu0 = cpu_secs(pid);
    let t0 = Instant::now();
    start()?;
    let mut got = 0;
    while t0.elapsed() < Duration::from_secs(600) {
        got = sink.docs.load(Ordering::SeqCst) - base;
        bar.set_position(got.min(n as u64));
        if got >= n as u64 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let secs = t0.elapsed().as_secs_f64();
    bar.finish_and_clear();
    if got < n as u64 {
        bail!("{name}: only {got} of {n} events arrived within 10 minutes");
    }
    let o = Outcome {
        name,
        events: got,
        failed: sink.failed.load(Ordering::SeqCst) - failed0,
        secs,
        bytes,
        cpu: cpu_secs(pid) - cpu0,
    };
    eprintln!(
        "bench pipeline: {}: {:.0} events/s",
        o.name,
        o.events as f64 / o.secs
    );
    Ok(o)
}

// ---- sluice-agent ------------------------------------------------------------------------------

fn start_agent(
    agent: &Path,
    work: &Path,
    name: &str,
    conf: &str,
    workers: usize,
) -> anyhow::Result<Proc> {
    let path = work.join(format!("{name}.conf"));
    std::fs::write(&path, conf)?;
    let child = Command::new(agent)
        .arg("-f")
        .arg(&path)
        .args(["-w", &workers.to_string(), "-b", "1000"])
        .args(["--http", &free_addr()?.to_string()])
        .arg("--path.dead_letter_queue")
        .arg(work.join(format!("dlq-{name}")))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .env("RUST_LOG", "warn")
        .spawn()
        .context("starting sluice-agent")?;
    Ok(Proc(child))
}

fn es_output(sink: &NullSink, index: &str) -> String {
    format!(
        "output {{ elasticsearch {{ hosts => [\"{}\"] index => \"{index}\" manage_template => false }} }}\n",
        sink.addr
    )
}

fn grok_agent(
    agent: &Path,
    work: &Path,
    opts: &Opts,
    log: &Path,
    bytes: u64,
    sink: &NullSink,
) -> anyhow::Result<Outcome> {
    let input = free_addr()?;
    let conf = format!(
        "input {{ tcp {{ port => {} codec => line }} }}\n\
         filter {{ grok {{ match => {{ \"message\" => \"%{{COMBINEDAPACHELOG}}\" }} }} }}\n{}",
        input.port(),
        es_output(sink, "apache")
    );
    let p = start_agent(agent, work, "grok", &conf, opts.workers)?;
    crate::services::wait_port(input, Duration::from_secs(30))?;
    let mut sender = None;
    let o = measure(
        format!("grok: sluice-agent ({} workers)", opts.workers),
        p.0.id(),
        opts.lines,
        bytes,
        sink,
        || {
            sender = Some(send_file(input, log));
            Ok(())
        },
    )?;
    join(sender)?;
    Ok(o)
}

fn join(sender: Option<std::thread::JoinHandle<anyhow::Result<()>>>) -> anyhow::Result<()> {
    if let Some(s) = sender {
        s.join()
            .map_err(|_| anyhow::anyhow!("sender thread panicked"))??;
    }
    Ok(())
}

fn beats(agent: &Path, work: &Path, opts: &Opts, sink: &NullSink) -> anyhow::Result<Outcome> {
    eprintln!("bench pipeline: building the go-lumber client (Go module proxy)");
    let client = test_support::go_lumber_client();
    let input = free_addr()?;
    let conf = format!(
        "input {{ beats {{ port => {} }} }}\n{}",
        input.port(),
        es_output(sink, "beats")
    );
    let p = start_agent(agent, work, "beats", &conf, opts.workers)?;
    crate::services::wait_port(input, Duration::from_secs(30))?;
    let mut peer = None;
    let o = measure(
        format!("beats: go-lumber (window {}) -> sluice-agent", opts.window),
        p.0.id(),
        opts.events,
        0,
        sink,
        || {
            let child = Command::new(&client)
                .args(["-addr", &input.to_string()])
                .args(["-n", &opts.events.to_string()])
                .args(["-window", &opts.window.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .context("starting the go-lumber client")?;
            peer = Some(Proc(child));
            Ok(())
        },
    )?;
    if let Some(mut peer) = peer {
        let status = peer.0.wait()?;
        if !status.success() {
            bail!("the go-lumber client failed: {status}");
        }
    }
    Ok(o)
}

fn file_agent(
    agent: &Path,
    work: &Path,
    opts: &Opts,
    log: &Path,
    bytes: u64,
    sink: &NullSink,
) -> anyhow::Result<Outcome> {
    // The agent starts reading as soon as it is up: the clock starts before it does.
    let conf = format!(
        "input {{ file {{ path => \"{}\" start_position => \"beginning\" sincedb_path => \"{}\" }} }}\n{}",
        log.display(),
        work.join("sincedb").display(),
        es_output(sink, "file")
    );
    let mut started = None;
    measure(
        "file: sluice-agent (tail from beginning)".into(),
        std::process::id(),
        opts.lines,
        bytes,
        sink,
        || {
            started = Some(start_agent(agent, work, "file", &conf, opts.workers)?);
            Ok(())
        },
    )
    .map(|mut o| {
        if let Some(p) = &started {
            o.cpu = cpu_secs(p.0.id());
        }
        o
    })
}

// ---- rsyslog -----------------------------------------------------------------------------------

/// liblognorm's rule for the fields of `%{COMBINEDAPACHELOG}`.
const APACHE_RULEBASE: &str = r#"version=2
rule=:%clientip:ipv4% %ident:word% %auth:word% [%timestamp:char-to{"extradata":"]"}%] "%verb:word% %request:word% HTTP/%httpversion:char-to{"extradata":"\""}%" %response:number% %bytes:word% "%referrer:char-to{"extradata":"\""}%" "%agent:char-to{"extradata":"\""}%"
"#;

fn rsyslog_conf(dir: &Path, input: &str, parse: &str, sink: &NullSink, workers: usize) -> String {
    format!(
        r#"global(workDirectory="{w}/work" maxMessageSize="64k")
module(load="omelasticsearch")
{input}
template(name="all-json" type="list") {{ property(name="$!all-json") }}
ruleset(name="main" queue.type="LinkedList" queue.size="100000" queue.dequeueBatchSize="2000" queue.workerThreads="{workers}") {{
  {parse}
  action(type="omelasticsearch" name="es" server="{host}" serverport="{port}" template="all-json"
         esVersion.major="8" searchIndex="rsyslog" bulkmode="on" maxbytes="10m" queue.type="LinkedList" queue.size="100000"
         queue.dequeuebatchsize="5000" action.resumeretrycount="-1" errorfile="{w}/es-err.json")
}}
"#,
        w = dir.display(),
        host = sink.addr.ip(),
        port = sink.addr.port()
    )
}

fn start_rsyslog(dir: &Path, conf: &str) -> anyhow::Result<Proc> {
    std::fs::create_dir_all(dir.join("work"))?;
    let path = dir.join("rsyslog.conf");
    std::fs::write(&path, conf)?;
    let child = Command::new("rsyslogd")
        .arg("-n")
        .arg("-f")
        .arg(&path)
        .arg("-i")
        .arg(dir.join("rsyslog.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting rsyslogd")?;
    Ok(Proc(child))
}

fn grok_rsyslog(
    work: &Path,
    opts: &Opts,
    log: &Path,
    bytes: u64,
    sink: &NullSink,
) -> anyhow::Result<Outcome> {
    let dir: PathBuf = work.join("rsyslog-grok");
    std::fs::create_dir_all(&dir)?;
    let rulebase = dir.join("apache.rb");
    std::fs::write(&rulebase, APACHE_RULEBASE)?;
    let input = free_addr()?;
    let conf = rsyslog_conf(
        &dir,
        &format!(
            "module(load=\"imtcp\" MaxSessions=\"100\")\nmodule(load=\"mmnormalize\")\n\
             input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{}\" ruleset=\"main\" supportOctetCountedFraming=\"off\")",
            input.port()
        ),
        &format!(
            "action(type=\"mmnormalize\" rulebase=\"{}\" useRawMsg=\"on\")",
            rulebase.display()
        ),
        sink,
        opts.workers,
    );
    let p = start_rsyslog(&dir, &conf)?;
    crate::services::wait_port(input, Duration::from_secs(30))?;
    let mut sender = None;
    let o = measure(
        format!("grok: rsyslog mmnormalize ({} workers)", opts.workers),
        p.0.id(),
        opts.lines,
        bytes,
        sink,
        || {
            sender = Some(send_file(input, log));
            Ok(())
        },
    )?;
    join(sender)?;
    Ok(o)
}

fn file_rsyslog(
    work: &Path,
    opts: &Opts,
    log: &Path,
    bytes: u64,
    sink: &NullSink,
) -> anyhow::Result<Outcome> {
    let dir: PathBuf = work.join("rsyslog-file");
    std::fs::create_dir_all(&dir)?;
    let conf = rsyslog_conf(
        &dir,
        &format!(
            "module(load=\"imfile\" mode=\"inotify\")\n\
             input(type=\"imfile\" file=\"{}\" tag=\"access\" ruleset=\"main\" freshStartTail=\"off\")",
            log.display()
        ),
        "set $!message = $msg;",
        sink,
        opts.workers,
    );
    let mut started = None;
    measure(
        "file: rsyslog imfile".into(),
        std::process::id(),
        opts.lines,
        bytes,
        sink,
        || {
            started = Some(start_rsyslog(&dir, &conf)?);
            Ok(())
        },
    )
    .map(|mut o| {
        if let Some(p) = &started {
            o.cpu = cpu_secs(p.0.id());
        }
        o
    })
}
