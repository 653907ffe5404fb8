//! [`Generator`]: the event stream, and the writing of lines.

use std::io::Write;

use chrono::{DateTime, Utc};
use log_model::{Level, LogEvent};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Zipf};

use crate::clock::Clock;
use crate::write::{push_millis_as_seconds, push_millis_as_seconds_2, push_timestamp, push_u64};
use crate::{Format, GeneratorConfig, Profile, Result, Timeline};

/// The actions of the seed application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `login`
    Login,
    /// `search`
    Search,
    /// `purchase`
    Purchase,
    /// `logout`
    Logout,
    /// `view`
    View,
}

impl Action {
    /// Every action, in the seed's order.
    pub const ALL: [Action; 5] = [
        Action::Login,
        Action::Search,
        Action::Purchase,
        Action::Logout,
        Action::View,
    ];

    /// The name written in events.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::Search => "search",
            Action::Purchase => "purchase",
            Action::Logout => "logout",
            Action::View => "view",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One generated event, before it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Microseconds since the Unix epoch, UTC (written with millisecond precision).
    pub timestamp_micros: i64,
    /// INFO, WARNING or ERROR.
    pub level: Level,
    /// The user's number: the user is `user{n}`, from 1.
    pub user: u32,
    /// What the user did.
    pub action: Action,
    /// How long it took, in milliseconds (written as seconds).
    pub duration_ms: u32,
}

impl Event {
    /// The timestamp.
    #[must_use]
    pub fn timestamp(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.timestamp_micros).unwrap_or_default()
    }

    /// The duration in seconds.
    #[must_use]
    pub fn duration_secs(&self) -> f64 {
        f64::from(self.duration_ms) / 1000.0
    }

    /// The seed's message for this event's level.
    #[must_use]
    pub fn message(&self) -> String {
        let mut out = Vec::with_capacity(64);
        self.push_message(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    fn push_user(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"user");
        push_u64(out, u64::from(self.user));
    }

    fn push_message(&self, out: &mut Vec<u8>) {
        let action = self.action.as_str().as_bytes();
        match self.level {
            Level::Info => {
                out.extend_from_slice(b"User ");
                self.push_user(out);
                out.extend_from_slice(b" performed ");
                out.extend_from_slice(action);
                out.extend_from_slice(b" in ");
                push_millis_as_seconds_2(out, self.duration_ms);
                out.push(b's');
            }
            Level::Error | Level::Critical => {
                out.extend_from_slice(b"Error during ");
                out.extend_from_slice(action);
                out.extend_from_slice(b" by ");
                self.push_user(out);
            }
            _ => {
                out.extend_from_slice(b"Slow action detected: ");
                out.extend_from_slice(action);
                out.extend_from_slice(b" took ");
                push_millis_as_seconds_2(out, self.duration_ms);
                out.push(b's');
            }
        }
    }
}

/// Realistic profile: how often each action happens (order of [`Action::ALL`]).
const ACTION_WEIGHTS: [f64; 5] = [0.15, 0.25, 0.10, 0.15, 0.35];
/// Realistic profile: median duration (s) and log-normal sigma per action.
const DURATIONS: [(f64, f64); 5] = [
    (0.35, 0.45),
    (0.8, 0.6),
    (1.6, 0.5),
    (0.12, 0.35),
    (0.25, 0.5),
];
/// z-score of the 95th percentile: slower than this is a WARNING.
const P95_Z: f64 = 1.645;
/// Realistic profile: error probability outside a burst.
const BASE_ERROR_RATE: f64 = 0.005;
/// Realistic profile: error probability of the burst's action during a burst.
const BURST_ERROR_RATE: f64 = 0.5;
/// Realistic profile: the burst's action is this much slower during a burst.
const BURST_SLOWDOWN: f64 = 3.0;
/// Realistic profile: mean simulated seconds between bursts, and mean burst length.
const BURST_EVERY: f64 = 3.0 * 3600.0;
const BURST_LASTS: f64 = 300.0;
/// Realistic profile: amplitude of the daily rate curve.
const DIURNAL_AMPLITUDE: f64 = 0.6;

/// A seeded, deterministic stream of seed-shaped log events.
///
/// As an [`Iterator`] it yields [`Event`]s (endless, except for [`Timeline::Backfill`]);
/// [`Generator::write_ndjson`] writes them as NDJSON lines in the configured [`Format`].
///
/// ```
/// use generator::{Generator, GeneratorConfig};
///
/// let config = GeneratorConfig { seed: 7, ..GeneratorConfig::default() };
/// let mut out = Vec::new();
/// Generator::new(config.clone())?.write_ndjson(&mut out, 3)?;
/// let mut again = Vec::new();
/// Generator::new(config)?.write_ndjson(&mut again, 3)?;
/// assert_eq!(out, again);
/// let first = std::str::from_utf8(&out)?.lines().next().unwrap();
/// assert!(first.starts_with(r#"{"timestamp":"2026-01-01T00:00:0"#));
/// assert!(first.ends_with(r#","source":"python-script","tags":["python","webapp"]}"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Generator {
    rng: ChaCha8Rng,
    profile: Profile,
    format: Format,
    time: Stamps,
    config: GeneratorConfig,
    /// `"source":"…"` as JSON, precomputed.
    source_json: Vec<u8>,
    realistic: Option<Box<Realistic>>,
    made: u64,
}

#[derive(Debug, Clone)]
enum Stamps {
    Simulated(Clock),
    Backfill {
        clock: Clock,
        total_work: f64,
        count: u64,
        done_work: f64,
    },
    WallClock,
}

#[derive(Debug, Clone)]
struct Realistic {
    users: Zipf<f64>,
    durations: [LogNormal<f64>; 5],
    /// 95th-percentile duration per action, in ms.
    slow_ms: [u32; 5],
    next_burst: f64,
    burst_until: f64,
    burst_action: Action,
}

impl Generator {
    /// A generator for `config`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`] for out-of-range settings.
    pub fn new(config: GeneratorConfig) -> Result<Self> {
        config.validate()?;
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let amplitude = match config.profile {
            Profile::Seed => 0.0,
            Profile::Realistic => DIURNAL_AMPLITUDE,
        };
        let secs = |t: DateTime<Utc>| t.timestamp_micros() as f64 / 1e6;
        let time = match config.timeline {
            Timeline::Simulated { start, rate } => {
                Stamps::Simulated(Clock::new(secs(start), rate, amplitude))
            }
            Timeline::Backfill { start, end, count } => {
                let clock = Clock::new(secs(start), 1.0, amplitude);
                let total_work = clock.work_until(secs(end));
                Stamps::Backfill {
                    clock,
                    total_work,
                    count,
                    done_work: 0.0,
                }
            }
            Timeline::RealTime => Stamps::WallClock,
        };
        let realistic = match config.profile {
            Profile::Seed => None,
            Profile::Realistic => {
                let start = match &time {
                    Stamps::Simulated(c) | Stamps::Backfill { clock: c, .. } => c.now(),
                    Stamps::WallClock => now_micros() as f64 / 1e6,
                };
                Some(Box::new(Realistic::new(&config, &mut rng, start)?))
            }
        };
        let mut source_json = b",\"source\":".to_vec();
        // Writing a string to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut source_json, &config.source);
        Ok(Self {
            rng,
            profile: config.profile,
            format: config.format,
            time,
            source_json,
            realistic,
            made: 0,
            config,
        })
    }

    /// The configuration it was made with.
    #[must_use]
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// Events made so far.
    #[must_use]
    pub fn made(&self) -> u64 {
        self.made
    }

    /// The next event's time, or `None` when a back-fill is complete.
    fn next_time(&mut self) -> Option<i64> {
        match &mut self.time {
            Stamps::Simulated(clock) => {
                let t = (clock.now() * 1e6).round() as i64;
                // Exponential gaps: a Poisson process.
                let u: f64 = self.rng.random();
                clock.advance(-(1.0 - u).ln());
                Some(t)
            }
            Stamps::Backfill {
                clock,
                total_work,
                count,
                done_work,
            } => {
                if self.made >= *count {
                    return None;
                }
                // Stratified: event i sits in the i-th of `count` equal slices of work.
                let u: f64 = self.rng.random();
                let target = *total_work * (self.made as f64 + u) / *count as f64;
                clock.advance((target - *done_work).max(0.0));
                *done_work = target;
                Some((clock.now() * 1e6).floor() as i64)
            }
            Stamps::WallClock => Some(now_micros()),
        }
    }

    fn seed_event(&mut self, timestamp_micros: i64) -> Event {
        const LEVELS: [Level; 3] = [Level::Info, Level::Warning, Level::Error];
        let level = LEVELS[self.rng.random_range(0..3)];
        let action = Action::ALL[self.rng.random_range(0..5)];
        let user = self.rng.random_range(1..=5);
        let duration_ms = self.rng.random_range(100..=5000);
        Event {
            timestamp_micros,
            level,
            user,
            action,
            duration_ms,
        }
    }

    /// Writes `event` as one line in the configured format, with its `\n`.
    pub fn write_line(&self, event: &Event, out: &mut Vec<u8>) {
        match self.format {
            Format::Seed => self.write_seed(event, out),
            Format::Ecs => self.write_ecs(event, out),
            Format::Logstash => self.write_logstash(event, out),
        }
    }

    fn write_seed(&self, e: &Event, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"timestamp\":\"");
        push_timestamp(out, e.timestamp_micros);
        self.write_seed_fields(e, out);
        out.extend_from_slice(b"}\n");
    }

    fn write_logstash(&self, e: &Event, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"@timestamp\":\"");
        push_timestamp(out, e.timestamp_micros);
        out.extend_from_slice(b"\",\"@version\":\"1");
        self.write_seed_fields(e, out);
        out.extend_from_slice(b",\"type\":\"python-logstash\"}\n");
    }

    /// `","level":…,"tags":[…]` — the seed fields after the timestamp, without the closing `}`.
    fn write_seed_fields(&self, e: &Event, out: &mut Vec<u8>) {
        out.extend_from_slice(b"\",\"level\":\"");
        out.extend_from_slice(e.level.as_str().as_bytes());
        out.extend_from_slice(b"\",\"message\":\"");
        e.push_message(out);
        out.extend_from_slice(b"\",\"user\":\"");
        e.push_user(out);
        out.extend_from_slice(b"\",\"action\":\"");
        out.extend_from_slice(e.action.as_str().as_bytes());
        out.extend_from_slice(b"\",\"duration\":");
        push_millis_as_seconds(out, e.duration_ms);
        out.extend_from_slice(&self.source_json);
        out.extend_from_slice(b",\"tags\":[\"python\",\"webapp\"]");
    }

    fn write_ecs(&self, e: &Event, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"@timestamp\":\"");
        push_timestamp(out, e.timestamp_micros);
        out.extend_from_slice(b"\",\"log\":{\"level\":\"");
        out.extend_from_slice(e.level.as_str().as_bytes());
        out.extend_from_slice(b"\"},\"message\":\"");
        e.push_message(out);
        out.extend_from_slice(b"\",\"user\":{\"name\":\"");
        e.push_user(out);
        out.extend_from_slice(b"\"},\"event\":{\"action\":\"");
        out.extend_from_slice(e.action.as_str().as_bytes());
        out.extend_from_slice(b"\",\"duration\":");
        push_u64(out, u64::from(e.duration_ms) * 1_000_000);
        out.extend_from_slice(b"},\"service\":{\"name\"");
        // `source_json` is `,"source":"…"`: reuse its value part.
        out.extend_from_slice(&self.source_json[b",\"source\"".len()..]);
        out.extend_from_slice(b"},\"tags\":[\"python\",\"webapp\"],\"ecs\":{\"version\":\"");
        out.extend_from_slice(log_model::mapping::ECS_VERSION.as_bytes());
        out.extend_from_slice(b"\"}}\n");
    }

    /// The event as a [`LogEvent`], exactly as its line reads (without the `\n`).
    #[must_use]
    pub fn to_log_event(&self, event: &Event) -> LogEvent {
        let mut line = Vec::with_capacity(256);
        self.write_line(event, &mut line);
        line.pop();
        LogEvent::from_json_slice(&line).unwrap_or_default()
    }

    /// Makes up to `n` events and writes them as NDJSON to `w` (in 64 KiB writes; the caller
    /// buffers nothing). Returns how many were written: `n`, or fewer when a back-fill ends.
    ///
    /// # Errors
    /// The writer's I/O errors (a closed pipe comes back as [`std::io::ErrorKind::BrokenPipe`]).
    pub fn write_ndjson<W: Write + ?Sized>(&mut self, w: &mut W, n: u64) -> std::io::Result<u64> {
        const FLUSH_AT: usize = 64 * 1024;
        let mut buf = Vec::with_capacity(FLUSH_AT + 1024);
        let mut written = 0;
        while written < n {
            let Some(event) = self.next() else { break };
            self.write_line(&event, &mut buf);
            written += 1;
            if buf.len() >= FLUSH_AT {
                w.write_all(&buf)?;
                buf.clear();
            }
        }
        w.write_all(&buf)?;
        Ok(written)
    }
}

impl Iterator for Generator {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        let t = self.next_time()?;
        let event = match self.profile {
            Profile::Seed => self.seed_event(t),
            Profile::Realistic => self.realistic.as_mut()?.event(&mut self.rng, t),
        };
        self.made += 1;
        Some(event)
    }
}

impl Realistic {
    fn new(config: &GeneratorConfig, rng: &mut ChaCha8Rng, start: f64) -> Result<Self> {
        let bad = |setting: &'static str, e: &dyn std::fmt::Display| crate::Error::InvalidConfig {
            setting,
            reason: e.to_string(),
        };
        let users = Zipf::new(f64::from(config.users), config.zipf_exponent)
            .map_err(|e| bad("zipf_exponent", &e))?;
        let mut durations = Vec::with_capacity(5);
        let mut slow_ms = [0u32; 5];
        for (i, (median, sigma)) in DURATIONS.iter().enumerate() {
            durations.push(LogNormal::new(median.ln(), *sigma).map_err(|e| bad("durations", &e))?);
            slow_ms[i] = (median * (P95_Z * sigma).exp() * 1000.0).round() as u32;
        }
        let durations: [LogNormal<f64>; 5] = durations
            .try_into()
            .map_err(|_| bad("durations", &"five actions"))?;
        let mut r = Self {
            users,
            durations,
            slow_ms,
            next_burst: start,
            burst_until: start,
            burst_action: Action::Purchase,
        };
        r.next_burst = start + exp_sample(rng, BURST_EVERY);
        Ok(r)
    }

    fn event(&mut self, rng: &mut ChaCha8Rng, timestamp_micros: i64) -> Event {
        let t = timestamp_micros as f64 / 1e6;
        while t >= self.next_burst {
            self.burst_until = self.next_burst + exp_sample(rng, BURST_LASTS).max(30.0);
            self.burst_action = Action::ALL[rng.random_range(0..5)];
            self.next_burst = self.burst_until + exp_sample(rng, BURST_EVERY);
        }
        let action = pick_weighted(rng.random(), &ACTION_WEIGHTS);
        let user = self.users.sample(rng) as u32;
        let in_burst = t < self.burst_until && action == self.burst_action;
        let mut secs = self.durations[action.index()].sample(rng);
        if in_burst {
            secs *= BURST_SLOWDOWN;
        }
        let duration_ms = (secs * 1000.0).round().clamp(1.0, 600_000.0) as u32;
        let error_rate = if in_burst {
            BURST_ERROR_RATE
        } else {
            BASE_ERROR_RATE
        };
        let level = if rng.random::<f64>() < error_rate {
            Level::Error
        } else if duration_ms > self.slow_ms[action.index()] {
            Level::Warning
        } else {
            Level::Info
        };
        Event {
            timestamp_micros,
            level,
            user,
            action,
            duration_ms,
        }
    }
}

fn exp_sample(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    let u: f64 = rng.random();
    -(1.0 - u).ln() * mean
}

fn pick_weighted(u: f64, weights: &[f64; 5]) -> Action {
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if u < acc {
            return Action::ALL[i];
        }
    }
    Action::ALL[4]
}

fn now_micros() -> i64 {
    Utc::now().timestamp_micros()
}
