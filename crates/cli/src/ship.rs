//! `sluice ship`: generated events through the durable shipper to an agent (or Logstash).

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use generator::{Generator, GeneratorConfig, Pacer, Timeline};
use shipper::{Shipper, Stats, Transport};

use crate::generate::{FormatArg, ProfileArg};

/// Options of `sluice ship`.
#[derive(clap::Args)]
pub struct Args {
    /// The agent's host (its tcp json_lines input).
    #[arg(long, env = "LOGSTASH_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// The agent's port (the tutorial's Logstash listens on 5000).
    #[arg(long, env = "LOGSTASH_PORT", default_value_t = 5000)]
    pub port: u16,
    /// Events to ship.
    #[arg(long, short = 'n', default_value_t = 100)]
    pub count: u64,
    /// Events per second, evenly spaced [default: as fast as possible].
    #[arg(long, value_name = "EVENTS_PER_SEC")]
    pub rate: Option<f64>,
    /// Durable queue (SQLite, like python-logstash-async's database_path): events survive a
    /// crash or an agent that is down, and what a run could not deliver goes out on the next
    /// [default: memory only].
    #[arg(long, value_name = "PATH")]
    pub database: Option<PathBuf>,
    /// Random seed of the generator.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Event shape. The default is what python-logstash-async (the tutorial's Example 1) sends, with
    /// the event's time in `@timestamp`, which Logstash and sluice-agent keep.
    #[arg(long, value_enum, default_value_t = FormatArg::Logstash)]
    pub format: FormatArg,
    /// The tutorial's uniform vocabulary, or realistic traffic.
    #[arg(long, value_enum, default_value_t = ProfileArg::Seed)]
    pub profile: ProfileArg,
    /// Back-fill: spread the events over the last SPAN (e.g. 24h) instead of stamping them
    /// with the wall clock.
    #[arg(long, value_name = "SPAN")]
    pub since: Option<String>,
    /// Events per write to the agent and per queue transaction.
    #[arg(long, default_value_t = 1000)]
    pub batch_size: usize,
    /// Give each event the queue's id in `[@metadata][ingest_id]`, so an agent with
    /// `ingest_id => true` writes an event re-sent after a crash once (docs/reliability.md).
    #[arg(long)]
    pub ingest_ids: bool,
    /// How long to wait at the end for queued events to be delivered.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub timeout: f64,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .with_context(|| format!("--timeout {}: expected seconds", args.timeout))?;
    let timeline = match &args.since {
        Some(span) => Timeline::backfill_last(generator::parse_span(span)?, args.count)?,
        None => Timeline::RealTime,
    };
    let mut generator = Generator::new(GeneratorConfig {
        seed: args.seed,
        profile: args.profile.into(),
        format: args.format.into(),
        timeline,
        ..GeneratorConfig::default()
    })?;
    let mut pacer = args.rate.map(Pacer::new).transpose()?;
    let transport = Transport::tcp(&args.host, args.port);
    let mut builder = Shipper::builder(transport.clone());
    // A batch job: wait for room rather than drop when the agent is slower than we are.
    builder
        .batch_size(args.batch_size)
        .block_when_full(true)
        .ingest_ids(args.ingest_ids);
    if let Some(db) = &args.database {
        builder.database(db);
    }
    let shipper = builder.build()?;
    let progress = Progress::new(args.count);

    let mut line = Vec::with_capacity(512);
    for _ in 0..args.count {
        if let Some(p) = pacer.as_mut() {
            let wait = p.delay(Instant::now());
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
        }
        let Some(event) = generator.next() else { break };
        line.clear();
        generator.write_line(&event, &mut line);
        shipper.log_json(line.as_slice())?;
        progress.update(&shipper.stats());
    }
    let deadline = Instant::now() + timeout;
    while shipper.flush(Duration::from_millis(100)).is_err() && Instant::now() < deadline {
        progress.update(&shipper.stats());
    }
    let stats = shipper.shutdown(Duration::ZERO);
    progress.finish(&stats);
    println!(
        "shipped to {transport}: queued {}, sent {}, pending on disk {}{}",
        stats.accepted,
        stats.sent,
        stats.pending_on_disk,
        dropped(&stats),
    );
    if stats.pending_on_disk > 0 {
        let db = args.database.as_deref().unwrap_or_else(|| "".as_ref());
        anyhow::bail!(
            "{} events not delivered within {}s; they stay in {} for the next run",
            stats.pending_on_disk,
            args.timeout,
            db.display()
        );
    }
    if stats.lost > 0 {
        anyhow::bail!(
            "{} events lost: the agent at {transport} did not take them within {}s (use --database to keep them)",
            stats.lost,
            args.timeout
        );
    }
    Ok(())
}

fn dropped(s: &Stats) -> String {
    let mut out = String::new();
    if s.dropped_full > 0 {
        out.push_str(&format!(", dropped (queue full) {}", s.dropped_full));
    }
    if s.lost > 0 {
        out.push_str(&format!(", lost {}", s.lost));
    }
    out
}

/// A progress bar of events sent, on a terminal only.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(total: u64) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} sent ({rate}) {msg}")
        {
            bar.set_style(style.with_key("rate", crate::whole_rate));
        }
        Self(Some(bar))
    }

    fn update(&self, s: &Stats) {
        if let Some(bar) = &self.0 {
            bar.set_position(s.sent);
            bar.set_message(format!("{} pending", s.pending));
        }
    }

    fn finish(&self, s: &Stats) {
        if let Some(bar) = &self.0 {
            bar.set_position(s.sent);
            bar.finish_and_clear();
        }
    }
}
