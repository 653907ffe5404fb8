//! `sluice-store`: the embedded Elasticsearch-compatible log store, served over HTTP.
//!
//! ```text
//! sluice-store --data-dir DIR --listen 127.0.0.1:9200 [--user NAME:PASSWORD ...] [--api-key ID:KEY ...] [--insecure]
//!              [--indexing-pressure-memory-limit 512mb]
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use store::http::{
    Credentials, HttpConfig, check_exposure, cluster_uuid_for, serve, shutdown_signal,
};
use store::{Store, StoreConfig};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process. mimalloc asks for them on its arenas;
/// ingest frees and re-allocates large buffers (segment writers, document batches) all the
/// time, and each fresh 2 MiB page is zeroed by the kernel: with them ~20% of ingest CPU was
/// `clear_page`, and peak RSS was ~50 MB higher.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        eprintln!("sluice-store: cannot turn transparent huge pages off: {e}");
    }
}

/// An Elasticsearch 8.x-compatible log store on tantivy (no JVM, no Docker).
#[derive(Parser, Debug)]
#[command(name = "sluice-store", version)]
struct Args {
    /// Where indices and the write-ahead log live (created if missing).
    #[arg(long, env = "SLUICE_STORE_DATA")]
    data_dir: PathBuf,
    /// Address to listen on, HOST:PORT (a host name is resolved). Non-loopback addresses need
    /// --user/--api-key or --insecure.
    #[arg(long, default_value = "127.0.0.1:9200")]
    listen: String,
    /// A Basic-auth user, NAME:PASSWORD (repeatable). With any credential set, every request
    /// must authenticate.
    #[arg(long = "user", value_name = "NAME:PASSWORD", value_parser = Credentials::parse_pair)]
    users: Vec<(String, String)>,
    /// An API key, ID:KEY, sent by clients as `Authorization: ApiKey base64(ID:KEY)` (repeatable).
    #[arg(long = "api-key", value_name = "ID:KEY", value_parser = Credentials::parse_pair)]
    api_keys: Vec<(String, String)>,
    /// Allow listening on a non-loopback address without authentication.
    #[arg(long)]
    insecure: bool,
    /// Whether the disk watermarks apply (`cluster.routing.allocation.disk.threshold_enabled`).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    disk_threshold_enabled: bool,
    /// Disk use above which a warning is logged (`cluster.routing.allocation.disk.watermark.low`):
    /// a percentage, a ratio or bytes that must stay free (`500mb`). Default: 85%.
    #[arg(long)]
    disk_watermark_low: Option<String>,
    /// A percentage `--disk-watermark-low` counts only below this many free bytes (`-1`: none).
    /// Default: 200gb while the watermark is left at its default, else none.
    #[arg(long, value_name = "BYTES")]
    disk_watermark_low_max_headroom: Option<String>,
    /// Disk use above which a warning is logged, and below which a flood-stage block is released
    /// (`…watermark.high`). Default: 90%.
    #[arg(long)]
    disk_watermark_high: Option<String>,
    /// As `--disk-watermark-low-max-headroom`, for the high watermark (default 150gb).
    #[arg(long, value_name = "BYTES")]
    disk_watermark_high_max_headroom: Option<String>,
    /// Disk use above which every index becomes read-only (deletes allowed), writes getting 429
    /// `cluster_block_exception` (`…watermark.flood_stage`). Default: 95%.
    #[arg(long)]
    disk_watermark_flood_stage: Option<String>,
    /// As `--disk-watermark-low-max-headroom`, for the flood stage (default 100gb).
    #[arg(long, value_name = "BYTES")]
    disk_watermark_flood_stage_max_headroom: Option<String>,
    /// Primary shards of an index created without `index.number_of_shards` (auto-created
    /// indices among them), 1 to 1024. Default: half the cores, 1 to 8.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    shards: Option<u16>,
    /// Indexing threads per shard (default 2).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=64))]
    writer_threads: Option<u8>,
    /// Bytes that write requests may hold in memory at once, all together (Elasticsearch's
    /// `indexing_pressure.memory.limit`): request bodies as they are read, and the processing
    /// cost of the writes. Over it a request gets 429 (`circuit_breaking_exception` for a body,
    /// `es_rejected_execution_exception` for a write); one request alone is always admitted.
    /// A byte size: `512mb`, `1gb`, `268435456`.
    #[arg(long, value_name = "BYTES", default_value = "512mb", value_parser = parse_byte_size)]
    indexing_pressure_memory_limit: usize,
    /// How long freed memory stays with the allocator before it goes back to the system, in
    /// milliseconds (mimalloc's `purge_delay`; its default is 1000). Longer: a little faster
    /// ingest, a higher peak RSS under many concurrent bulks (see docs/reliability.md).
    #[arg(long, value_name = "MS", default_value_t = 1, value_parser = clap::value_parser!(u16).range(0..=10_000))]
    memory_purge_delay: u16,
    /// How often index lifecycle policies run: rollovers and deletions (Elasticsearch's
    /// `indices.lifecycle.poll_interval`). A time value: `10m`, `30s`, `1h`.
    #[arg(long, value_name = "TIME", default_value = "10m", value_parser = parse_time)]
    ilm_poll_interval: std::time::Duration,
}

/// `10m`, `30s`, `500ms`: an Elasticsearch time value (not `-1`).
fn parse_time(s: &str) -> Result<std::time::Duration, String> {
    match store::engine::settings::parse_interval(s) {
        Ok(Some(d)) if !d.is_zero() => Ok(d),
        _ => Err(format!(
            "expected a time value such as 10m, 30s or 500ms, got [{s}]"
        )),
    }
}

/// `512mb`, `1gb`, `64kb`, `100b` or a number of bytes (Elasticsearch's byte sizes).
fn parse_byte_size(s: &str) -> Result<usize, String> {
    store::engine::util::parse_byte_size(s)
        .ok_or_else(|| format!("expected a byte size such as 512mb, 1gb or 268435456, got [{s}]"))
        .and_then(|v| usize::try_from(v).map_err(|_| format!("{s}: too large")))
}

/// mimalloc's `mi_option_purge_delay`: the option before `mi_option_use_numa_nodes` in
/// `mi_option_e` (mimalloc 2.x and 3.x headers alike; `libmimalloc-sys` does not name it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t =
    libmimalloc_sys::mi_option_use_numa_nodes - 1;

/// Sets how long freed memory stays with mimalloc. Its delayed purge kept ~300 MB of freed
/// request buffers resident under 32 concurrent 20 MB bulks (peak RSS 842 MiB with the default
/// 1 s, 566 MiB with 1 ms; sequential 20 MB bulks ~10% slower).
#[allow(unsafe_code)] // FFI calls into the allocator, as the global allocator itself is
fn set_purge_delay(ms: u16) {
    // Checked against the option's documented default, so a different vendored mimalloc
    // cannot make this set another option.
    // SAFETY: plain option getters/setters of the allocator, valid at any time.
    let default = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
    if default != 1000 {
        tracing::warn!(
            option = MI_OPTION_PURGE_DELAY,
            value = default,
            "mimalloc's purge_delay is not its default 1000 (MIMALLOC_PURGE_DELAY is set, or the \
             vendored mimalloc moved the option): --memory-purge-delay not applied"
        );
        return;
    }
    // SAFETY: as above.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, std::ffi::c_long::from(ms)) };
}

fn main() -> ExitCode {
    no_transparent_huge_pages();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // colours only on a terminal, never with NO_COLOR (no-color.org)
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .init();
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sluice-store: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn watermarks(args: &Args) -> anyhow::Result<store::engine::disk::Watermarks> {
    use store::engine::disk::{Threshold, Watermarks, parse_headroom};
    let key = "cluster.routing.allocation.disk.watermark";
    let defaults = Watermarks::default();
    // A watermark and its headroom: the default headroom goes with the default watermark only.
    let mark = |name: &str,
                value: &Option<String>,
                headroom: &Option<String>,
                default: (Threshold, Option<u64>)|
     -> anyhow::Result<(Threshold, Option<u64>)> {
        let threshold = match value {
            Some(v) => Threshold::parse(&format!("{key}.{name}"), v)?,
            None => default.0,
        };
        let headroom = match (headroom, value) {
            (Some(h), _) => parse_headroom(&format!("{key}.{name}.max_headroom"), h)?,
            (None, Some(_)) => None,
            (None, None) => default.1,
        };
        Ok((threshold, headroom))
    };
    let (low, low_max_headroom) = mark(
        "low",
        &args.disk_watermark_low,
        &args.disk_watermark_low_max_headroom,
        (defaults.low, defaults.low_max_headroom),
    )?;
    let (high, high_max_headroom) = mark(
        "high",
        &args.disk_watermark_high,
        &args.disk_watermark_high_max_headroom,
        (defaults.high, defaults.high_max_headroom),
    )?;
    let (flood_stage, flood_stage_max_headroom) = mark(
        "flood_stage",
        &args.disk_watermark_flood_stage,
        &args.disk_watermark_flood_stage_max_headroom,
        (defaults.flood_stage, defaults.flood_stage_max_headroom),
    )?;
    Ok(Watermarks {
        enabled: args.disk_threshold_enabled,
        low,
        low_max_headroom,
        high,
        high_max_headroom,
        flood_stage,
        flood_stage_max_headroom,
    })
}

fn try_main() -> anyhow::Result<()> {
    let args = Args::parse();
    set_purge_delay(args.memory_purge_delay);
    let marks = watermarks(&args)?;
    let mut http = HttpConfig::default();
    http.credentials = Credentials {
        users: args.users,
        api_keys: args.api_keys,
    };
    let addrs: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(&args.listen)
        .with_context(|| format!("--listen {}: not HOST:PORT", args.listen))?
        .collect();
    let listen = *addrs
        .first()
        .with_context(|| format!("--listen {}: resolves to no address", args.listen))?;
    for a in &addrs {
        check_exposure(*a, &http.credentials, args.insecure)?;
    }
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create data directory {}", args.data_dir.display()))?;
    http.cluster_uuid = cluster_uuid_for(&args.data_dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    rt.block_on(async {
        // Open (and replay) first, then listen: a client that can connect is served at once.
        let mut config = StoreConfig::new(&args.data_dir);
        config.disk_watermarks = marks;
        config.indexing_pressure_memory_limit = args.indexing_pressure_memory_limit;
        config.ilm_poll_interval = args.ilm_poll_interval;
        if let Some(n) = args.shards {
            config.default_shards = usize::from(n);
        }
        if let Some(n) = args.writer_threads {
            config.writer_threads = usize::from(n);
        }
        let store = Store::open(config)
            .with_context(|| format!("cannot open the store in {}", args.data_dir.display()))?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        eprintln!(
            "sluice-store: serving {} on http://{}",
            args.data_dir.display(),
            listener.local_addr().unwrap_or(listen)
        );
        serve(
            listener,
            std::sync::Arc::clone(&store),
            http,
            shutdown_signal(),
        )
        .await?;
        store.close().context("closing the store")?;
        anyhow::Ok(())
    })
}
