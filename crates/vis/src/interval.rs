//! Date histogram intervals (Kibana's auto interval, fixed and calendar intervals) and time
//! zones (IANA names, `UTC`, fixed offsets).

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, LocalResult, Months, NaiveDateTime, TimeZone,
    Timelike,
};

/// A parsed date histogram interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interval {
    /// Kibana's automatic interval.
    Auto,
    /// `fixed_interval`: the text and its length.
    Fixed {
        /// As written (`30s`).
        text: String,
        /// Milliseconds.
        ms: i64,
    },
    /// `calendar_interval` of one unit (`m`, `h`, `d`, `w`, `M`, `q`, `y`).
    Calendar {
        /// As written (`1M`).
        text: String,
        /// The unit letter.
        unit: char,
    },
}

impl Interval {
    /// About how long one bucket is, in milliseconds (for bounding bucket counts).
    pub fn approx_ms(&self) -> i64 {
        match self {
            Interval::Auto => 0,
            Interval::Fixed { ms, .. } => *ms,
            Interval::Calendar { unit, .. } => unit_ms(*unit),
        }
    }
}

const SEC: i64 = 1_000;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

fn unit_ms(unit: char) -> i64 {
    match unit {
        'm' => MIN,
        'h' => HOUR,
        'd' => DAY,
        'w' => 7 * DAY,
        'M' => 30 * DAY,
        'q' => 91 * DAY,
        _ => 365 * DAY,
    }
}

/// Parses `auto`, a fixed interval (`500ms`, `30s`, `5m`, `3h`, `2d`) or a calendar interval
/// (`1m`, `1h`, `1d`, `1w`, `1M`, `1q`, `1y`: one unit, time-zone and DST aware).
///
/// # Errors
/// The reason, for the caller to attach to the member.
pub fn parse(s: &str) -> Result<Interval, String> {
    if s == "auto" {
        return Ok(Interval::Auto);
    }
    let bad = || {
        format!(
            "invalid interval [{s}]: use auto, a fixed interval such as 30s, 5m, 3h, 2d, or a calendar interval 1m, 1h, 1d, 1w, 1M, 1q, 1y"
        )
    };
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().map_err(|_| bad())?;
    if n <= 0 || n > 1_000_000 {
        return Err(bad());
    }
    let fixed = |u: i64| {
        Ok(Interval::Fixed {
            text: s.to_owned(),
            ms: n * u,
        })
    };
    match (n, unit) {
        (_, "ms") => fixed(1),
        (_, "s") => fixed(SEC),
        (1, "m" | "h" | "d" | "w" | "M" | "q" | "y") => Ok(Interval::Calendar {
            text: s.to_owned(),
            unit: unit.chars().next().unwrap_or('d'),
        }),
        (_, "m") => fixed(MIN),
        (_, "h") => fixed(HOUR),
        (_, "d") => fixed(DAY),
        _ => Err(bad()),
    }
}

/// Kibana's automatic histogram interval: the range divided by a target of 50 bars, rounded
/// to a readable interval by the thresholds Kibana uses. Returns the `fixed_interval` string and
/// its length in milliseconds.
#[must_use]
pub fn auto_interval(range_ms: i64) -> (&'static str, i64) {
    let raw = range_ms.max(0) / 50;
    let rules: [(i64, &'static str, i64); 16] = [
        (500, "100ms", 100),
        (5 * SEC, "1s", SEC),
        (7_500, "5s", 5 * SEC),
        (15 * SEC, "10s", 10 * SEC),
        (45 * SEC, "30s", 30 * SEC),
        (3 * MIN, "1m", MIN),
        (9 * MIN, "5m", 5 * MIN),
        (20 * MIN, "10m", 10 * MIN),
        (45 * MIN, "30m", 30 * MIN),
        (2 * HOUR, "1h", HOUR),
        (6 * HOUR, "3h", 3 * HOUR),
        (24 * HOUR, "12h", 12 * HOUR),
        (7 * DAY, "24h", DAY),
        (21 * DAY, "7d", 7 * DAY),
        (42 * DAY, "30d", 30 * DAY),
        (i64::MAX, "365d", 365 * DAY),
    ];
    rules
        .iter()
        .find(|(bound, _, _)| raw <= *bound)
        .map_or(("365d", 365 * DAY), |(_, s, ms)| (*s, *ms))
}

/// A time zone: an IANA name or a fixed offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Zone {
    /// From the IANA database.
    Named(chrono_tz::Tz),
    /// A fixed offset (`UTC`, `+01:00`).
    Fixed(FixedOffset),
}

/// Parses a time zone: `UTC`, `Z`, a fixed offset (`+01:00`, `-0530`) or an IANA name
/// (`Europe/Paris`).
///
/// # Errors
/// The reason.
pub fn parse_zone(s: &str) -> Result<Zone, String> {
    let t = s.trim();
    if matches!(t, "UTC" | "Z" | "utc" | "GMT" | "Etc/UTC") {
        return Ok(Zone::Fixed(utc()));
    }
    if let Some(rest) = t.strip_prefix('+').or_else(|| t.strip_prefix('-')) {
        let sign = if t.starts_with('-') { -1 } else { 1 };
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        let hm = match digits.len() {
            1 | 2 => digits.parse::<i32>().ok().map(|h| (h, 0)),
            4 => digits[..2]
                .parse::<i32>()
                .ok()
                .zip(digits[2..].parse::<i32>().ok()),
            _ => None,
        };
        if let Some((h, m)) = hm
            && h < 24
            && m < 60
            && let Some(off) = FixedOffset::east_opt(sign * (h * 3600 + m * 60))
        {
            return Ok(Zone::Fixed(off));
        }
    }
    t.parse::<chrono_tz::Tz>().map(Zone::Named).map_err(|_| {
        format!("unknown time zone [{s}]: use an IANA name such as Europe/Paris, UTC, or an offset such as +01:00")
    })
}

fn utc() -> FixedOffset {
    chrono::Offset::fix(&chrono::Utc)
}

impl Zone {
    /// The local wall-clock time of an instant.
    pub fn local(&self, ms: i64) -> Option<NaiveDateTime> {
        let dt = DateTime::from_timestamp_millis(ms)?;
        Some(match self {
            Zone::Named(tz) => dt.with_timezone(tz).naive_local(),
            Zone::Fixed(off) => dt.with_timezone(off).naive_local(),
        })
    }

    /// The instant of a local wall-clock time (the earlier one when ambiguous; the first
    /// instant after a gap).
    pub fn instant(&self, local: NaiveDateTime) -> Option<i64> {
        let pick = |r: LocalResult<i64>| match r {
            LocalResult::Single(x) | LocalResult::Ambiguous(x, _) => Some(x),
            LocalResult::None => None,
        };
        let at = |l: NaiveDateTime| match self {
            Zone::Named(tz) => pick(tz.from_local_datetime(&l).map(|d| d.timestamp_millis())),
            Zone::Fixed(off) => pick(off.from_local_datetime(&l).map(|d| d.timestamp_millis())),
        };
        // a local time inside a DST gap: move forward by minutes until it exists
        (0..=120).find_map(|m| at(local + Duration::minutes(m)))
    }

    /// ISO day of week (1 = Monday) and hour of day of an instant.
    pub fn weekday_hour(&self, ms: i64) -> Option<(u32, u32)> {
        let l = self.local(ms)?;
        Some((l.weekday().number_from_monday(), l.hour()))
    }
}

/// The end (exclusive) of the bucket that starts at `key`.
pub fn bucket_end(key: i64, interval: &Interval, zone: &Zone) -> Option<i64> {
    match interval {
        Interval::Auto => None,
        Interval::Fixed { ms, .. } => key.checked_add(*ms),
        Interval::Calendar { unit, .. } => {
            let l = zone.local(key)?;
            let next = match unit {
                'm' => l + Duration::minutes(1),
                'h' => l + Duration::hours(1),
                'd' => l + Duration::days(1),
                'w' => l + Duration::weeks(1),
                'M' => l.checked_add_months(Months::new(1))?,
                'q' => l.checked_add_months(Months::new(3))?,
                _ => l.checked_add_months(Months::new(12))?,
            };
            // an hour across a DST change: the fixed length is the right end
            if *unit == 'm' || *unit == 'h' {
                return key.checked_add(unit_ms(*unit));
            }
            zone.instant(next)
        }
    }
}

/// Resolves the time picker's text: `now`, `now-15m`, `now-7d/d`, `now/w`, an RFC 3339 date, or
/// epoch milliseconds. `end`: round up (the end of the rounded unit), as Kibana does for `to`.
///
/// # Errors
/// The reason.
pub fn resolve_time(text: &str, now_ms: i64, end: bool, zone: &Zone) -> Result<i64, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "invalid time [{text}]: use now, now-15m, now-7d/d, an ISO date or epoch milliseconds"
        )
    };
    if let Ok(ms) = t.parse::<i64>() {
        return Ok(ms);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.timestamp_millis());
    }
    let Some(mut rest) = t.strip_prefix("now") else {
        return Err(bad());
    };
    let mut local = zone.local(now_ms).ok_or_else(bad)?;
    let mut steps = 0;
    while !rest.is_empty() {
        steps += 1;
        if steps > 10 {
            return Err(bad());
        }
        let op = rest.chars().next().ok_or_else(bad)?;
        rest = &rest[1..];
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(digits);
        let unit = tail.chars().next().ok_or_else(bad)?;
        rest = &tail[unit.len_utf8()..];
        match op {
            '+' | '-' => {
                let n: i64 = num.parse().map_err(|_| bad())?;
                let n = if op == '-' { -n } else { n };
                local = shift(local, n, unit).ok_or_else(bad)?;
            }
            '/' if num.is_empty() => {
                local = round(local, unit, end).ok_or_else(bad)?;
            }
            _ => return Err(bad()),
        }
    }
    zone.instant(local).ok_or_else(bad)
}

fn shift(l: NaiveDateTime, n: i64, unit: char) -> Option<NaiveDateTime> {
    let months = |m: i64| -> Option<NaiveDateTime> {
        let k = Months::new(u32::try_from(m.unsigned_abs()).ok()?);
        if m >= 0 {
            l.checked_add_months(k)
        } else {
            l.checked_sub_months(k)
        }
    };
    match unit {
        's' => l.checked_add_signed(Duration::seconds(n)),
        'm' => l.checked_add_signed(Duration::minutes(n)),
        'h' | 'H' => l.checked_add_signed(Duration::hours(n)),
        'd' => l.checked_add_signed(Duration::days(n)),
        'w' => l.checked_add_signed(Duration::weeks(n)),
        'M' => months(n),
        'y' => months(n.checked_mul(12)?),
        _ => None,
    }
}

fn round(l: NaiveDateTime, unit: char, end: bool) -> Option<NaiveDateTime> {
    let date = l.date();
    let start = match unit {
        's' => l.with_nanosecond(0)?,
        'm' => l.with_second(0)?.with_nanosecond(0)?,
        'h' | 'H' => l.with_minute(0)?.with_second(0)?.with_nanosecond(0)?,
        'd' => date.and_hms_opt(0, 0, 0)?,
        'w' => (date - Duration::days(i64::from(date.weekday().num_days_from_monday())))
            .and_hms_opt(0, 0, 0)?,
        'M' => date.with_day(1)?.and_hms_opt(0, 0, 0)?,
        'y' => date.with_day(1)?.with_month(1)?.and_hms_opt(0, 0, 0)?,
        _ => return None,
    };
    if !end {
        return Some(start);
    }
    let next = match unit {
        'M' => start.checked_add_months(Months::new(1))?,
        'y' => start.checked_add_months(Months::new(12))?,
        u => shift(start, 1, u)?,
    };
    Some(next - Duration::milliseconds(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_as_kibana_writes_them() {
        assert_eq!(parse("auto"), Ok(Interval::Auto));
        assert_eq!(
            parse("30s"),
            Ok(Interval::Fixed {
                text: "30s".into(),
                ms: 30_000
            })
        );
        assert_eq!(
            parse("1d"),
            Ok(Interval::Calendar {
                text: "1d".into(),
                unit: 'd'
            })
        );
        assert_eq!(
            parse("2d"),
            Ok(Interval::Fixed {
                text: "2d".into(),
                ms: 2 * DAY
            })
        );
        for bad in ["", "d", "0s", "2w", "3M", "1x", "-1h", "1.5h"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn zones_are_names_or_offsets() {
        assert!(matches!(parse_zone("Europe/Paris"), Ok(Zone::Named(_))));
        assert_eq!(
            parse_zone("+05:30"),
            Ok(Zone::Fixed(FixedOffset::east_opt(19_800).expect("offset")))
        );
        assert_eq!(
            parse_zone("-0800"),
            Ok(Zone::Fixed(FixedOffset::west_opt(28_800).expect("offset")))
        );
        assert!(parse_zone("Mars/Olympus").is_err());
        assert!(parse_zone("+25:00").is_err());
    }

    #[test]
    fn calendar_buckets_end_on_local_boundaries() {
        let paris = parse_zone("Europe/Paris").expect("zone");
        // 2026-03-29 00:00 Paris (+01:00) is 2026-03-28T23:00Z; that day has 23 hours (DST)
        let start = 1_774_738_800_000;
        let day = parse("1d").expect("1d");
        assert_eq!(bucket_end(start, &day, &paris), Some(start + 23 * HOUR));
        let month = parse("1M").expect("1M");
        // 2026-03-01 00:00 Paris = 2026-02-28T23:00Z → 2026-04-01 00:00 Paris = 2026-03-31T22:00Z
        assert_eq!(
            bucket_end(1_772_319_600_000, &month, &paris),
            Some(1_774_994_400_000)
        );
        assert_eq!(paris.weekday_hour(start), Some((7, 0)));
    }

    #[test]
    fn time_picker_text_resolves() {
        let utc = parse_zone("UTC").expect("utc");
        let now = 1_764_849_600_000; // 2025-12-04T12:00:00Z, a Thursday
        let check = |t: &str, end: bool, want: i64| {
            assert_eq!(resolve_time(t, now, end, &utc), Ok(want), "{t}");
        };
        check("now", false, now);
        check("now-15m", false, now - 15 * MIN);
        check("now-1d/d", false, now - 12 * HOUR - DAY);
        check("now/d", true, now + 12 * HOUR - 1);
        check("now/w", false, now - 3 * DAY - 12 * HOUR);
        check("2025-12-04T00:00:00Z", false, now - 12 * HOUR);
        check("1764849600000", false, now);
        for bad in ["yesterday", "now-", "now-5x", "now/2d", "now+1"] {
            assert!(resolve_time(bad, now, false, &utc).is_err(), "{bad}");
        }
    }

    #[test]
    fn auto_interval_targets_about_fifty_bars() {
        assert_eq!(auto_interval(24 * HOUR), ("30m", 30 * MIN));
        assert_eq!(auto_interval(15 * MIN), ("30s", 30 * SEC));
        assert_eq!(auto_interval(7 * DAY), ("3h", 3 * HOUR));
    }
}
