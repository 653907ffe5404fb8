//! [`GeneratorConfig`] and its parts.

use chrono::{DateTime, Utc};

use crate::{Error, Result};

/// Which kind of traffic to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// The seed tutorial's: levels, actions and users `user1`..`user5` drawn uniformly,
    /// durations uniform in 0.1–5.0 s, a constant event rate. The default.
    #[default]
    Seed,
    /// Traffic with the shape of a real service: users Zipf-distributed over
    /// [`GeneratorConfig::users`], a skewed action mix, log-normal durations per action
    /// (WARNING when slower than that action's 95th percentile), errors rare except in bursts
    /// that hit one action for a few minutes, and a daily rate curve (busiest at 14:00 UTC).
    Realistic,
}

/// The JSON shape of each line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// The seed's flat event, fields in this order: `timestamp` (UTC, milliseconds, `Z`),
    /// `level`, `message`, `user`, `action`, `duration` (seconds, 3 decimals), `source`, `tags`.
    /// It matches the seed mapping (`log_model::mapping::seed`). The default.
    #[default]
    Seed,
    /// Elastic Common Schema: exactly what `log_model::ecs::seed_to_ecs` makes of the seed line
    /// (`@timestamp`, `log.level`, `message`, `user.name`, `event.action`, `event.duration` in
    /// nanoseconds, `service.name`, `tags`, `ecs.version`).
    Ecs,
    /// What python-logstash-async sends to Logstash (its `LogstashFormatter`, extra fields at
    /// the top level as the shipper writes them by default): `@timestamp`, `@version`, `level`,
    /// `message`, `user`, `action`, `duration`, `source`, `tags`, `type`. Logstash (and
    /// sluice-agent) take the event's time from `@timestamp`.
    Logstash,
}

/// Where the events' timestamps come from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timeline {
    /// Simulated time from `start`, at `rate` events per simulated second on average
    /// (Poisson arrivals; the realistic profile modulates the rate through the day).
    /// Deterministic. The default: from 2026-01-01T00:00:00Z at 1 event/s.
    Simulated {
        /// The first instant.
        start: DateTime<Utc>,
        /// Mean events per simulated second (over a whole day for the realistic profile).
        rate: f64,
    },
    /// Exactly `count` events spread over `[start, end)` (following the daily curve for the
    /// realistic profile), in order; the generator ends after them. Deterministic.
    Backfill {
        /// Start of the range.
        start: DateTime<Utc>,
        /// End of the range (exclusive).
        end: DateTime<Utc>,
        /// Number of events.
        count: u64,
    },
    /// The wall clock when each event is made (pace it with [`Pacer`](crate::Pacer)).
    /// Everything but the timestamps (and, in the realistic profile, the error bursts, which
    /// follow time) still depends on the seed alone.
    RealTime,
}

impl Timeline {
    /// A back-fill of `count` events over the `span` that ends now (`--since 24h`).
    ///
    /// # Errors
    /// [`Error::InvalidSpan`] when `span` reaches before the calendar's range.
    pub fn backfill_last(span: std::time::Duration, count: u64) -> Result<Self> {
        let too_long = || Error::InvalidSpan {
            input: format!("{}s", span.as_secs()),
            reason: "too long",
        };
        let span = chrono::Duration::from_std(span).map_err(|_| too_long())?;
        let end = Utc::now();
        let start = end.checked_sub_signed(span).ok_or_else(too_long)?;
        Ok(Timeline::Backfill { start, end, count })
    }

    /// The default simulated start: 2026-01-01T00:00:00Z.
    #[must_use]
    pub fn default_start() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default()
    }
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline::Simulated {
            start: Self::default_start(),
            rate: 1.0,
        }
    }
}

/// Everything that shapes the generated stream. Same config (seed included) → same events,
/// same bytes (on the same platform: the realistic profile uses floating-point `ln`/`exp`).
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorConfig {
    /// The random seed. Default 0.
    pub seed: u64,
    /// Default [`Profile::Seed`].
    pub profile: Profile,
    /// Default [`Format::Seed`].
    pub format: Format,
    /// Default: simulated from 2026-01-01T00:00:00Z, 1 event/s.
    pub timeline: Timeline,
    /// Size of the user population of the realistic profile (`user1`..`userN`). Default 1,000.
    /// The seed profile always uses `user1`..`user5`.
    pub users: u32,
    /// Zipf exponent of user activity in the realistic profile (higher = more skewed). Default 1.1.
    pub zipf_exponent: f64,
    /// The `source` field (`service.name` in ECS). Default `"python-script"`.
    pub source: String,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            profile: Profile::Seed,
            format: Format::Seed,
            timeline: Timeline::default(),
            users: 1000,
            zipf_exponent: 1.1,
            source: "python-script".to_owned(),
        }
    }
}

impl GeneratorConfig {
    /// Checks the values.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the setting.
    pub fn validate(&self) -> Result<()> {
        let bad = |setting, reason: &str| {
            Err(Error::InvalidConfig {
                setting,
                reason: reason.to_owned(),
            })
        };
        if self.users == 0 {
            return bad("users", "must be at least 1");
        }
        if !(self.zipf_exponent.is_finite() && self.zipf_exponent > 0.0) {
            return bad("zipf_exponent", "must be a positive number");
        }
        match self.timeline {
            Timeline::Simulated { rate, .. } if !(rate.is_finite() && rate > 0.0) => {
                bad("rate", "must be a positive number of events per second")
            }
            Timeline::Backfill { start, end, .. } if end <= start => {
                bad("timeline", "the back-fill range must end after it starts")
            }
            _ => Ok(()),
        }
    }
}

/// Parses a time span like `90s`, `15m`, `24h`, `7d`, `2w` (one number, one unit; also `1h30m`).
///
/// ```
/// assert_eq!(generator::parse_span("24h").unwrap(), std::time::Duration::from_secs(86_400));
/// assert_eq!(generator::parse_span("1h30m").unwrap(), std::time::Duration::from_secs(5_400));
/// assert!(generator::parse_span("24").is_err());
/// ```
///
/// # Errors
/// [`Error::InvalidSpan`] naming the text.
pub fn parse_span(input: &str) -> Result<std::time::Duration> {
    let err = |reason| Error::InvalidSpan {
        input: input.to_owned(),
        reason,
    };
    let s = input.trim();
    if s.is_empty() {
        return Err(err("empty"));
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(err("expected a number like 24h"));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| err("number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = match &rest[..unit_len] {
            "ms" => return Err(err("units below a second are not supported")),
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 604_800,
            "" => return Err(err("missing unit (s, m, h, d or w)")),
            _ => return Err(err("unknown unit (use s, m, h, d or w)")),
        };
        rest = &rest[unit_len..];
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| err("too long"))?;
    }
    if total == 0 {
        return Err(err("must be longer than zero"));
    }
    Ok(std::time::Duration::from_secs(total))
}

/// Parses an RFC 3339 timestamp (`2026-11-24T00:00:00Z`), a date (`2026-11-24`, midnight UTC),
/// or `now`.
///
/// # Errors
/// [`Error::InvalidTimestamp`] naming the text.
pub fn parse_time(input: &str) -> Result<DateTime<Utc>> {
    if input.trim() == "now" {
        return Ok(Utc::now());
    }
    log_model::Timestamp::parse(input.trim())
        .map(|t| *t.as_datetime())
        .map_err(|e| Error::InvalidTimestamp {
            input: input.to_owned(),
            reason: e.to_string(),
        })
}
