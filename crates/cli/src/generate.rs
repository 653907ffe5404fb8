//! `sluice generate`: generated log events as NDJSON on stdout.

use std::io::Write as _;
use std::time::Instant;

use anyhow::Context as _;
use generator::{Format, Generator, GeneratorConfig, Pacer, Profile, Timeline};

/// Options of `sluice generate`.
///
/// Timestamps: `--since` back-fills the last SPAN (ending now); `--start` simulates time from
/// an instant; otherwise `--rate` uses the wall clock; with none of these, time is simulated
/// from 2026-01-01T00:00:00Z at about one event a second. Except with the wall clock (and
/// `--since`/`--start now`, which read it), the same options give the same bytes.
#[derive(clap::Args)]
pub struct Args {
    /// Events to write [default: endless].
    #[arg(long, short = 'n')]
    pub count: Option<u64>,
    /// Random seed: the same seed gives the same events.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Events per second, evenly spaced [default: as fast as possible].
    #[arg(long, value_name = "EVENTS_PER_SEC")]
    pub rate: Option<f64>,
    /// Line shape: the tutorial's flat event, or Elastic Common Schema.
    #[arg(long, value_enum, default_value_t = FormatArg::Seed)]
    pub format: FormatArg,
    /// Traffic: the tutorial's uniform choices, or realistic (Zipf users, log-normal durations,
    /// error bursts, a daily curve).
    #[arg(long, value_enum, default_value_t = ProfileArg::Seed)]
    pub profile: ProfileArg,
    /// Back-fill: spread --count events over the last SPAN (e.g. 24h, 7d, 90m).
    #[arg(long, value_name = "SPAN", conflicts_with = "start")]
    pub since: Option<String>,
    /// Simulated time starts here (RFC 3339, a date, or `now`).
    #[arg(long, value_name = "TIME")]
    pub start: Option<String>,
    /// Users in the realistic profile (`user1`..`userN`).
    #[arg(long, default_value_t = 1000)]
    pub users: u32,
    /// The events' `source` field.
    #[arg(long, default_value = "python-script")]
    pub source: String,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// timestamp, level, message, user, action, duration, source, tags.
    Seed,
    /// @timestamp, log.level, message, user.name, event.action, event.duration (ns), service.name, tags.
    Ecs,
    /// What python-logstash-async sends Logstash: @timestamp, @version, the tutorial's fields, type.
    Logstash,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Seed => Format::Seed,
            FormatArg::Ecs => Format::Ecs,
            FormatArg::Logstash => Format::Logstash,
        }
    }
}

impl From<ProfileArg> for Profile {
    fn from(p: ProfileArg) -> Self {
        match p {
            ProfileArg::Seed => Profile::Seed,
            ProfileArg::Realistic => Profile::Realistic,
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ProfileArg {
    /// The tutorial's uniform choices (users user1..user5, durations 0.1–5.0 s).
    Seed,
    /// Realistic traffic.
    Realistic,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let config = config(args)?;
    let mut generator = Generator::new(config)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    match args.rate {
        None => write_fast(&mut generator, &mut out, args.count)?,
        Some(rate) => write_paced(&mut generator, &mut out, args.count, Pacer::new(rate)?)?,
    }
    out.flush().context("writing to stdout")?;
    tracing::info!(events = generator.made(), "generated");
    Ok(())
}

fn config(args: &Args) -> anyhow::Result<GeneratorConfig> {
    let timeline = if let Some(span) = &args.since {
        let count = args
            .count
            .context("--since spreads a fixed number of events over the span: give --count too")?;
        Timeline::backfill_last(generator::parse_span(span)?, count)?
    } else if let Some(start) = &args.start {
        Timeline::Simulated {
            start: generator::parse_time(start)?,
            rate: args.rate.unwrap_or(1.0),
        }
    } else if args.rate.is_some() {
        Timeline::RealTime
    } else {
        Timeline::default()
    };
    Ok(GeneratorConfig {
        seed: args.seed,
        profile: args.profile.into(),
        format: args.format.into(),
        timeline,
        users: args.users,
        source: args.source.clone(),
        ..GeneratorConfig::default()
    })
}

fn write_fast(
    generator: &mut Generator,
    out: &mut impl std::io::Write,
    count: Option<u64>,
) -> anyhow::Result<()> {
    const STEP: u64 = 64 * 1024;
    let mut left = count.unwrap_or(u64::MAX);
    while left > 0 {
        let n = generator
            .write_ndjson(out, left.min(STEP))
            .context("writing to stdout")?;
        if n == 0 {
            break; // a back-fill is complete
        }
        left -= n;
    }
    Ok(())
}

fn write_paced(
    generator: &mut Generator,
    out: &mut impl std::io::Write,
    count: Option<u64>,
    mut pacer: Pacer,
) -> anyhow::Result<()> {
    let mut line = Vec::with_capacity(512);
    let mut left = count.unwrap_or(u64::MAX);
    while left > 0 {
        let wait = pacer.delay(Instant::now());
        if !wait.is_zero() {
            // Whoever reads us sees each event when it is due, not when a buffer fills.
            out.flush().context("writing to stdout")?;
            std::thread::sleep(wait);
        }
        let Some(event) = generator.next() else { break };
        line.clear();
        generator.write_line(&event, &mut line);
        out.write_all(&line).context("writing to stdout")?;
        left -= 1;
    }
    Ok(())
}
