use std::fmt::Write as _;

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, Timelike, Utc,
};

use crate::{Error, Result};

/// A point in time, in UTC, as events carry it in `@timestamp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Parses the forms the seed's producers write:
    ///
    /// - RFC 3339 / ISO 8601 with `Z` or an offset: `2026-11-24T22:15:44.123Z`, `...+09:00`;
    ///   the offset may also be written without a colon (`+0900`), as Java and Python do;
    /// - Python's `datetime.utcnow().isoformat()`, without a zone (read as UTC), with up to
    ///   nanosecond fractions; a space instead of `T` is accepted, and so is a comma before
    ///   the fraction (Python `logging`'s `asctime`);
    /// - a date alone (`2026-11-24`, midnight UTC);
    /// - a string of digits (optionally `-`): epoch milliseconds, as Elasticsearch's
    ///   `epoch_millis`.
    ///
    /// # Errors
    /// [`Error::InvalidTimestamp`] naming the input.
    pub fn parse(input: &str) -> Result<Self> {
        let s = input.trim();
        let invalid = |reason: &str| Error::InvalidTimestamp {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        if s.is_empty() {
            return Err(invalid("empty"));
        }
        let digits = s.strip_prefix('-').unwrap_or(s);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let ms: i64 = s
                .parse()
                .map_err(|_| invalid("epoch milliseconds out of range"))?;
            return Self::from_epoch_millis(ms);
        }
        if s.len() == 10 {
            let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|e| invalid(&format!("not a date: {e}")))?;
            let dt = d.and_hms_opt(0, 0, 0).ok_or_else(|| invalid("bad date"))?;
            return Ok(Self(dt.and_utc()));
        }
        let normalised = normalise(s);
        if let Ok(dt) = DateTime::<FixedOffset>::parse_from_rfc3339(&normalised) {
            return Ok(Self(dt.with_timezone(&Utc)));
        }
        if let Ok(dt) =
            DateTime::<FixedOffset>::parse_from_str(&normalised, "%Y-%m-%dT%H:%M:%S%.f%z")
        {
            return Ok(Self(dt.with_timezone(&Utc)));
        }
        for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(&normalised, fmt) {
                return Ok(Self(dt.and_utc()));
            }
        }
        Err(invalid(
            "expected RFC 3339, ISO 8601 without zone (UTC), a date, or epoch milliseconds",
        ))
    }

    /// Milliseconds since the Unix epoch.
    ///
    /// # Errors
    /// When the value is outside chrono's range (about ±262,000 years).
    pub fn from_epoch_millis(ms: i64) -> Result<Self> {
        DateTime::from_timestamp_millis(ms)
            .map(Self)
            .ok_or_else(|| Error::InvalidTimestamp {
                input: ms.to_string(),
                reason: "epoch milliseconds out of range".to_owned(),
            })
    }

    /// The current time.
    #[must_use]
    pub fn now() -> Self {
        Self(Utc::now())
    }

    /// Wraps a chrono time.
    #[must_use]
    pub fn from_datetime(dt: DateTime<Utc>) -> Self {
        Self(dt)
    }

    /// Milliseconds since the Unix epoch.
    #[must_use]
    pub fn epoch_millis(&self) -> i64 {
        self.0.timestamp_millis()
    }

    /// The chrono time.
    #[must_use]
    pub fn as_datetime(&self) -> &DateTime<Utc> {
        &self.0
    }

    /// Elasticsearch's `strict_date_optional_time` with milliseconds and `Z`:
    /// `2026-11-24T22:15:44.123Z`.
    #[must_use]
    pub fn to_es_string(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// Formats with a Joda-Time pattern as Logstash's `%{+YYYY.MM.dd}` does, in UTC.
    ///
    /// Supported letters: `y`/`Y`/`u` (year; two letters = two digits), `x` (week-year),
    /// `M` (month: `M`, `MM`, `MMM` = Jan, `MMMM` = January), `d`, `D` (day of year), `H`, `h`,
    /// `k`, `m`, `s`, `S` (fraction, as many digits as letters), `a` (AM/PM), `E` (`EEE` = Mon,
    /// `EEEE` = Monday), `e` (ISO day of week), `w` (ISO week), `Z` (`+0000`; `ZZ` = `+00:00`),
    /// text in single quotes (`''` is a quote); other non-letters are copied.
    ///
    /// # Errors
    /// [`Error::InvalidDatePattern`] for any other letter or an unclosed quote.
    pub fn format_joda(&self, pattern: &str) -> Result<String> {
        let t = &self.0;
        let mut out = String::with_capacity(pattern.len() + 8);
        let chars: Vec<char> = pattern.chars().collect();
        let mut i = 0;
        let bad = |reason: String| Error::InvalidDatePattern {
            pattern: pattern.to_owned(),
            reason,
        };
        while i < chars.len() {
            let c = chars[i];
            let mut n = 1;
            while i + n < chars.len() && chars[i + n] == c {
                n += 1;
            }
            if c == '\'' {
                i = quoted(&chars, i, &mut out).ok_or_else(|| bad("unclosed quote".to_owned()))?;
                continue;
            }
            if !c.is_ascii_alphabetic() {
                out.push(c);
                i += 1;
                continue;
            }
            let num = |out: &mut String, v: i64, width: usize| {
                let _ = write!(out, "{v:0width$}");
            };
            match c {
                'y' | 'Y' | 'u' => {
                    if n == 2 {
                        num(&mut out, i64::from(t.year()).rem_euclid(100), 2);
                    } else {
                        num(&mut out, i64::from(t.year()), n);
                    }
                }
                'x' => {
                    let wy = t.iso_week().year();
                    if n == 2 {
                        num(&mut out, i64::from(wy).rem_euclid(100), 2);
                    } else {
                        num(&mut out, i64::from(wy), n);
                    }
                }
                'M' => match n {
                    1 | 2 => num(&mut out, i64::from(t.month()), n),
                    3 => out.push_str(&MONTHS[t.month0() as usize][..3]),
                    _ => out.push_str(MONTHS[t.month0() as usize]),
                },
                'd' => num(&mut out, i64::from(t.day()), n),
                'D' => num(&mut out, i64::from(t.ordinal()), n),
                'H' => num(&mut out, i64::from(t.hour()), n),
                'k' => num(
                    &mut out,
                    i64::from(if t.hour() == 0 { 24 } else { t.hour() }),
                    n,
                ),
                'h' => num(&mut out, i64::from(t.hour12().1), n),
                'm' => num(&mut out, i64::from(t.minute()), n),
                's' => num(&mut out, i64::from(t.second()), n),
                'S' => {
                    let nanos = format!("{:09}", t.nanosecond() % 1_000_000_000);
                    let take = n.min(9);
                    out.push_str(&nanos[..take]);
                    for _ in take..n {
                        out.push('0');
                    }
                }
                'a' => out.push_str(if t.hour12().0 { "PM" } else { "AM" }),
                'E' => {
                    let name = DAYS[t.weekday().num_days_from_monday() as usize];
                    out.push_str(if n >= 4 { name } else { &name[..3] });
                }
                'e' => num(&mut out, i64::from(t.weekday().number_from_monday()), n),
                'w' => num(&mut out, i64::from(t.iso_week().week()), n),
                'Z' => out.push_str(if n >= 2 { "+00:00" } else { "+0000" }),
                _ => return Err(bad(format!("unsupported letter '{c}'"))),
            }
            i += n;
        }
        Ok(out)
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Copies the quoted literal starting at `chars[start]` (a `'`) into `out`; `''` is a quote,
/// inside or outside a literal. Returns the index after it, or `None` when unclosed.
fn quoted(chars: &[char], start: usize, out: &mut String) -> Option<usize> {
    if chars.get(start + 1) == Some(&'\'') {
        out.push('\'');
        return Some(start + 2);
    }
    let mut i = start + 1;
    while i < chars.len() {
        if chars[i] == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        out.push(chars[i]);
        i += 1;
    }
    None
}

/// `2026-11-24 22:15:44,123` → `2026-11-24T22:15:44.123`, and a lower-case `z` → `Z`.
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, ch) in s.char_indices() {
        match ch {
            ' ' if i == 10 => out.push('T'),
            ',' if i == 19 => out.push('.'),
            'z' => out.push('Z'),
            't' if i == 10 => out.push('T'),
            _ => out.push(ch),
        }
    }
    out
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_es_string())
    }
}

impl std::str::FromStr for Timestamp {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}
