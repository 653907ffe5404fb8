//! `sluice-agent`: runs a Logstash pipeline config (Logstash's role in the seed).
//!
//! ```text
//! sluice-agent -f logstash.conf [-f more.conf|dir/] [-e 'input { stdin {} } output { stdout {} }']
//!              [-w N] [-b 125] [-u 50] [--pipeline.ordered auto|true|false]
//!              [--queue.type memory|persisted] [--path.queue DIR] [--queue.max_bytes 1gb]
//!              [--dead_letter_queue.enable true|false] [--path.dead_letter_queue DIR]
//!              [--http 127.0.0.1:9600] [--allow-remote] [--input.http.memory_limit 256mb]
//!              [-t | --config.test_and_exit]
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use pipeline::runtime::{self, Ordered, QueueType, Settings};
use tokio_util::sync::CancellationToken;

const DEFAULT_API: &str = "127.0.0.1:9600";

/// Runs Logstash pipeline configs: inputs → filters → outputs.
#[derive(Parser, Debug)]
#[command(name = "sluice-agent", version)]
struct Args {
    /// Config file or directory (`path.config`; repeatable, concatenated like Logstash).
    #[arg(short = 'f', long = "path.config", value_name = "PATH")]
    config: Vec<PathBuf>,
    /// Config text (`config.string`).
    #[arg(short = 'e', long = "config.string", value_name = "CONFIG")]
    config_string: Option<String>,
    /// Pipeline workers (`pipeline.workers`); default: the number of cores.
    #[arg(short = 'w', long = "pipeline.workers")]
    workers: Option<usize>,
    /// Events per worker batch (`pipeline.batch.size`).
    #[arg(short = 'b', long = "pipeline.batch.size", default_value_t = 125)]
    batch_size: usize,
    /// Milliseconds to wait for a batch to fill (`pipeline.batch.delay`).
    #[arg(short = 'u', long = "pipeline.batch.delay", default_value_t = 50)]
    batch_delay: u64,
    /// `pipeline.ordered`: auto (ordered with one worker), true (requires -w 1) or false.
    #[arg(long = "pipeline.ordered", default_value = "auto", value_parser = ["auto", "true", "false"])]
    ordered: String,
    /// `queue.type`: memory or persisted.
    #[arg(long = "queue.type", default_value = "memory", value_parser = ["memory", "persisted"])]
    queue_type: String,
    /// `path.queue`: directory of the persisted queue.
    #[arg(long = "path.queue", default_value = "data/queue/main")]
    path_queue: PathBuf,
    /// `queue.page_capacity`.
    #[arg(long = "queue.page_capacity", default_value = "64mb")]
    page_capacity: String,
    /// `queue.max_bytes`.
    #[arg(long = "queue.max_bytes", default_value = "1024mb")]
    max_bytes: String,
    /// `dead_letter_queue.enable` (default true: rejected events are kept, not dropped).
    #[arg(long = "dead_letter_queue.enable", default_value_t = true, action = clap::ArgAction::Set)]
    dlq: bool,
    /// `path.dead_letter_queue`.
    #[arg(
        long = "path.dead_letter_queue",
        default_value = "data/dead_letter_queue"
    )]
    path_dlq: PathBuf,
    /// Monitoring API address (Logstash's `api.http.host`:`api.http.port`).
    #[arg(long = "http", alias = "api.http", default_value = DEFAULT_API)]
    http: String,
    /// Allow inputs and the monitoring API (--http) to listen on non-loopback addresses (they
    /// have no authentication).
    #[arg(long = "allow-remote")]
    allow_remote: bool,
    /// Bytes that requests to `http` inputs may hold in memory at once (bodies and the events
    /// decoded from them; sluice's own setting, Logstash has none): over it a request gets 429.
    #[arg(long = "input.http.memory_limit", default_value = "256mb")]
    http_input_memory_limit: String,
    /// Check the configuration and exit (`config.test_and_exit`).
    #[arg(short = 't', long = "config.test_and_exit")]
    test_and_exit: bool,
    /// Log level (`log.level`): error, warn, info, debug, trace.
    #[arg(long = "log.level", default_value = "info")]
    log_level: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&args.log_level)),
        )
        .with_writer(std::io::stderr)
        // colours only on a terminal, never with NO_COLOR (no-color.org)
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .init();
    match try_main(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sluice-agent: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn settings(args: &Args) -> anyhow::Result<Settings> {
    let mut s = Settings::default();
    if let Some(w) = args.workers {
        s.workers = w;
    }
    s.batch_size = args.batch_size;
    s.batch_delay = Duration::from_millis(args.batch_delay);
    s.ordered = match args.ordered.as_str() {
        "true" => Ordered::True,
        "false" => Ordered::False,
        _ => Ordered::Auto,
    };
    s.queue_type = if args.queue_type == "persisted" {
        QueueType::Persisted
    } else {
        QueueType::Memory
    };
    s.path_queue.clone_from(&args.path_queue);
    s.queue_page_capacity = Settings::parse_bytes("queue.page_capacity", &args.page_capacity)?;
    s.queue_max_bytes = Settings::parse_bytes("queue.max_bytes", &args.max_bytes)?;
    s.dead_letter_queue = args.dlq;
    s.path_dead_letter_queue.clone_from(&args.path_dlq);
    s.allow_remote = args.allow_remote;
    s.http_input_memory_limit =
        Settings::parse_bytes("input.http.memory_limit", &args.http_input_memory_limit)?;
    s.check()?;
    Ok(s)
}

fn load(args: &Args) -> anyhow::Result<pipeline::config::Pipeline> {
    match (&args.config_string, args.config.is_empty()) {
        (Some(text), true) => Ok(pipeline::config::parse_str("config string", text)?),
        (None, false) => Ok(pipeline::config::load(&args.config)?),
        (Some(_), false) => anyhow::bail!("give either -f or -e, not both"),
        (None, true) => anyhow::bail!("no configuration: give -f PATH or -e CONFIG"),
    }
}

fn try_main(args: Args) -> anyhow::Result<()> {
    let settings = settings(&args)?;
    let config = load(&args)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let force = CancellationToken::new();
        let components = runtime::build(&config, &settings, &force)?;
        if args.test_and_exit {
            println!("Configuration OK");
            return Ok(());
        }
        check_monitor_exposure(&args.http, args.allow_remote)?;
        let running = runtime::start(components, settings, force.clone()).await?;
        let monitor_stop = CancellationToken::new();
        let monitor = serve_monitor(&args.http, &running, &monitor_stop).await?;
        tracing::info!(api = %monitor.addr, "pipeline started");
        let shutdown = running.shutdown_token();
        tokio::spawn(signals(shutdown, force));
        let res = running.wait().await;
        monitor_stop.cancel();
        res?;
        tracing::info!("pipeline stopped");
        Ok(())
    })
}

/// The monitoring API has no authentication: a non-loopback address (or a host name that
/// resolves to one) is refused unless `--allow-remote` says so.
fn check_monitor_exposure(addr: &str, allow_remote: bool) -> anyhow::Result<()> {
    use std::net::ToSocketAddrs as _;
    if allow_remote {
        return Ok(());
    }
    let resolved: Vec<_> = addr
        .to_socket_addrs()
        .with_context(|| format!("--http {addr}: not an address (HOST:PORT)"))?
        .collect();
    if let Some(exposed) = resolved
        .iter()
        .find(|a| http_serve::check_listen(&a.to_string(), false).is_err())
    {
        anyhow::bail!(
            "refusing to serve the monitoring API on {exposed} (--http {addr}): it has no \
             authentication; use a loopback address, or pass --allow-remote to expose it anyway"
        );
    }
    Ok(())
}

/// Serves the monitoring API. Like Logstash's `api.http.port` default range 9600-9700, the
/// default address moves to the next free port when 9600 is taken.
async fn serve_monitor(
    addr: &str,
    running: &runtime::RunningPipeline,
    stop: &CancellationToken,
) -> anyhow::Result<pipeline::monitor::MonitorServer> {
    let ports = if addr == DEFAULT_API {
        9600..=9700
    } else {
        0..=0
    };
    let mut last = None;
    for port in ports {
        let candidate = if port == 0 {
            addr.to_string()
        } else {
            format!("127.0.0.1:{port}")
        };
        match pipeline::monitor::serve(&candidate, running.shared(), stop.clone()).await {
            Ok(m) => return Ok(m),
            Err(e) => last = Some(e),
        }
    }
    Err(last.map_or_else(
        || anyhow::anyhow!("no address for the monitoring API"),
        Into::into,
    ))
}

/// First SIGINT/SIGTERM: graceful shutdown (drain). Second: abandon outputs still retrying.
async fn signals(shutdown: CancellationToken, force: CancellationToken) {
    let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    else {
        return;
    };
    let mut count = 0;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        count += 1;
        if count == 1 {
            tracing::warn!(
                "shutdown requested: stopping inputs and draining (signal again to force)"
            );
            shutdown.cancel();
        } else {
            tracing::warn!("forced shutdown: abandoning outputs still retrying");
            force.cancel();
            return;
        }
    }
}
