//! `sluice send`: the seed's Example 2. Creates the index with the seed mapping when it is
//! missing, then indexes generated events one `POST /{index}/_doc` each (expecting 201), or
//! through the bulk indexer with `--bulk`.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use es_client::{BulkConfig, BulkDoc, BulkFailure, BulkIndexer, Client};
use indicatif::{ProgressBar, ProgressStyle};

use crate::conn;

/// Options of `sluice send`.
#[derive(clap::Args)]
pub struct Args {
    /// Events to send.
    #[arg(long, default_value_t = 50)]
    pub count: u64,
    /// Target index (created with the tutorial's mapping when missing).
    #[arg(long, default_value = "python-logs")]
    pub index: String,
    /// Use `_bulk` through the bulk indexer instead of one request per event.
    #[arg(long)]
    pub bulk: bool,
    /// Documents per `_bulk` request (with --bulk).
    #[arg(long, default_value_t = 1000)]
    pub bulk_size: usize,
    /// Concurrent requests.
    #[arg(long, default_value_t = 2)]
    pub concurrency: usize,
    /// Random seed of the generated events (timestamps are the wall clock, as in the seed).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Append documents that finally failed to this NDJSON file (with --bulk).
    #[arg(long, value_name = "FILE")]
    pub dead_letter: Option<PathBuf>,
    /// Do not create the index when it is missing.
    #[arg(long)]
    pub no_create: bool,
    #[command(flatten)]
    pub conn: conn::Args,
}

/// What a run achieved.
struct Summary {
    sent: u64,
    failed: u64,
    elapsed: Duration,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.concurrency >= 1, "--concurrency must be at least 1");
    anyhow::ensure!(args.bulk_size >= 1, "--bulk-size must be at least 1");
    log_model::validate_index_name(&args.index)
        .with_context(|| format!("--index {}", args.index))?;
    conn::runtime()?.block_on(async {
        let client = args.conn.client()?;
        if !args.no_create {
            ensure_index(&client, &args.index).await.with_context(|| {
                format!(
                    "cannot prepare index `{}` at {}",
                    args.index,
                    args.conn.display()
                )
            })?;
        }
        let bar = progress(args.count);
        let summary = if args.bulk {
            send_bulk(&client, args, &bar).await?
        } else {
            send_docs(&client, args, &bar).await?
        };
        // the last frame shows what the summary says
        bar.set_position(summary.sent + summary.failed);
        bar.finish();
        let secs = summary.elapsed.as_secs_f64().max(1e-9);
        #[allow(clippy::cast_precision_loss)]
        let rate = summary.sent as f64 / secs;
        println!(
            "sent {} of {} events to {} ({}), failed {}, {:.1}s, {rate:.0} docs/s",
            summary.sent,
            args.count,
            args.index,
            if args.bulk { "_bulk" } else { "_doc" },
            summary.failed,
            secs,
        );
        anyhow::ensure!(
            summary.failed == 0,
            "{} events were not indexed",
            summary.failed
        );
        Ok(())
    })
}

/// Creates `index` with the seed mapping unless it exists (another writer creating it at the
/// same moment is fine).
async fn ensure_index(client: &Client, index: &str) -> es_client::Result<()> {
    if client.index_exists(index).await? {
        return Ok(());
    }
    match client
        .create_index(index, &log_model::mapping::seed())
        .await
    {
        Err(e) if e.is_already_exists() => Ok(()),
        other => {
            if other.is_ok() {
                eprintln!("created index {index} with the tutorial's mapping");
            }
            other
        }
    }
}

fn progress(count: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(count);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} ({rate}, eta {eta})",
    ) {
        bar.set_style(style.with_key("rate", crate::whole_rate));
    }
    bar
}

/// The generated events, one JSON object each (wall-clock timestamps, like the seed's
/// `datetime.utcnow()`).
fn events(seed: u64) -> anyhow::Result<impl Iterator<Item = Vec<u8>>> {
    let config = generator::GeneratorConfig {
        seed,
        timeline: generator::Timeline::RealTime,
        ..generator::GeneratorConfig::default()
    };
    let mut g = generator::Generator::new(config).context("cannot start the event generator")?;
    Ok(std::iter::from_fn(move || {
        let event = g.next()?;
        let mut line = Vec::with_capacity(256);
        g.write_line(&event, &mut line);
        line.pop();
        Some(line)
    }))
}

async fn send_docs(client: &Client, args: &Args, bar: &ProgressBar) -> anyhow::Result<Summary> {
    let start = Instant::now();
    let mut sent = 0u64;
    let mut failed = 0u64;
    let mut tasks = tokio::task::JoinSet::new();
    let index: Arc<str> = Arc::from(args.index.as_str());
    for source in events(args.seed)?.take(usize::try_from(args.count)?) {
        if tasks.len() >= args.concurrency
            && let Some(done) = tasks.join_next().await
        {
            tally(done?, &mut sent, &mut failed, bar);
        }
        let (client, index) = (client.clone(), index.clone());
        tasks.spawn(async move {
            let result = client.index_document(&index, None, &source).await;
            (result, source)
        });
    }
    while let Some(done) = tasks.join_next().await {
        tally(done?, &mut sent, &mut failed, bar);
    }
    Ok(Summary {
        sent,
        failed,
        elapsed: start.elapsed(),
    })
}

fn tally(
    (result, source): (es_client::Result<es_client::WriteResponse>, Vec<u8>),
    sent: &mut u64,
    failed: &mut u64,
    bar: &ProgressBar,
) {
    match result {
        Ok(w) if w.status == 201 => *sent += 1,
        Ok(w) => {
            *failed += 1;
            bar.suspend(|| {
                eprintln!(
                    "failed to send log (status {} {}, expected 201): {}",
                    w.status,
                    w.result,
                    String::from_utf8_lossy(&source)
                );
            });
        }
        Err(e) => {
            *failed += 1;
            bar.suspend(|| {
                eprintln!(
                    "failed to send log ({e}): {}",
                    String::from_utf8_lossy(&source)
                );
            });
        }
    }
    bar.inc(1);
}

async fn send_bulk(client: &Client, args: &Args, bar: &ProgressBar) -> anyhow::Result<Summary> {
    let mut config = BulkConfig::for_index(args.index.clone());
    config.max_docs = args.bulk_size;
    config.concurrency = args.concurrency;
    config.generate_ids = true; // a re-send after a timeout cannot duplicate
    config.dead_letter.clone_from(&args.dead_letter);
    let failure_bar = bar.clone();
    config.on_failure = Some(Arc::new(move |f: &BulkFailure| {
        failure_bar.suspend(|| {
            eprintln!(
                "failed to send log ({f}): {}",
                String::from_utf8_lossy(&f.doc.source)
            );
        });
    }));
    let indexer = BulkIndexer::new(client.clone(), config)?;
    for (i, source) in events(args.seed)?
        .take(usize::try_from(args.count)?)
        .enumerate()
    {
        indexer.add(BulkDoc::index(source)).await?;
        if i % 256 == 0 {
            let s = indexer.stats();
            bar.set_position(s.indexed + s.failed);
        }
    }
    let stats = indexer.close().await?;
    bar.set_position(stats.indexed + stats.failed);
    Ok(Summary {
        sent: stats.indexed,
        failed: stats.failed,
        elapsed: stats.elapsed,
    })
}
