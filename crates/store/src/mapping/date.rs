//! Date parsing for `date` fields: `strict_date_optional_time`, `epoch_millis`, `epoch_second` and
//! simple Joda patterns (`yyyy-MM-dd HH:mm:ss`), in `||` lists as ES's `format`.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use log_model::zone::Zone;

/// One alternative of a date `format`.
#[derive(Debug, Clone, PartialEq)]
pub enum DateFormat {
    /// `strict_date_optional_time` / `date_optional_time` / `strict_date_time` and friends:
    /// read as ISO dates with optional time; printed as the named format prints
    /// ([`IsoPrint`]).
    OptionalTime(IsoPrint),
    /// `epoch_millis`.
    EpochMillis,
    /// `epoch_second`.
    EpochSecond,
    /// A Joda pattern translated to a chrono format string; `has_time`/`has_zone` tell how to read it.
    Pattern {
        /// chrono format.
        chrono: String,
        /// Whether the pattern has hours.
        has_time: bool,
        /// Whether the pattern has an offset.
        has_zone: bool,
    },
}

/// The ES default: `strict_date_optional_time||epoch_millis`.
pub const DEFAULT_FORMAT: &str = "strict_date_optional_time||epoch_millis";

/// How a named ISO format prints a date (they all read the same way here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsoPrint {
    /// `yyyy-MM-dd'T'HH:mm:ss.SSSZ` (`strict_date_optional_time`, `date_time`, `iso8601`)
    Full,
    /// `yyyy-MM-dd` (`strict_date`, `date`)
    Date,
    /// `yyyy-MM-dd'T'HH:mm:ssZ` (`strict_date_time_no_millis`)
    NoMillis,
    /// `yyyy-MM-dd'T'HH:mm:ss` (`strict_date_hour_minute_second`)
    HourMinuteSecond,
    /// `yyyy-MM-dd'T'HH:mm:ss.SSS` (`strict_date_hour_minute_second_millis`)
    HourMinuteSecondMillis,
}

/// Parses a `format` string (`a||b||c`) into alternatives.
pub fn parse_formats(format: &str) -> Result<Vec<DateFormat>, String> {
    format.split("||").map(parse_one_format).collect()
}

fn parse_one_format(f: &str) -> Result<DateFormat, String> {
    let f = f.trim();
    Ok(match f {
        "strict_date_optional_time"
        | "date_optional_time"
        | "strict_date_optional_time_nanos"
        | "strict_date_time"
        | "date_time"
        | "iso8601" => DateFormat::OptionalTime(IsoPrint::Full),
        "strict_date_time_no_millis" | "date_time_no_millis" => {
            DateFormat::OptionalTime(IsoPrint::NoMillis)
        }
        "strict_date" | "date" => DateFormat::OptionalTime(IsoPrint::Date),
        "strict_date_hour_minute_second" | "date_hour_minute_second" => {
            DateFormat::OptionalTime(IsoPrint::HourMinuteSecond)
        }
        "strict_date_hour_minute_second_millis" | "date_hour_minute_second_millis" => {
            DateFormat::OptionalTime(IsoPrint::HourMinuteSecondMillis)
        }
        "epoch_millis" => DateFormat::EpochMillis,
        "epoch_second" => DateFormat::EpochSecond,
        other => joda_to_chrono(other)?,
    })
}

fn joda_to_chrono(p: &str) -> Result<DateFormat, String> {
    let mut out = String::new();
    let chars: Vec<char> = p.chars().collect();
    let (mut has_time, mut has_zone, mut has_date) = (false, false, false);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut n = 1;
        while i + n < chars.len() && chars[i + n] == c {
            n += 1;
        }
        match (c, n) {
            ('y' | 'u', 4) | ('y' | 'u', 1) => {
                out.push_str("%Y");
                has_date = true;
            }
            ('y' | 'u', 2) => out.push_str("%y"),
            ('M', 2) | ('M', 1) => out.push_str("%m"),
            ('M', 3) => out.push_str("%b"),
            ('d', 2) | ('d', 1) => out.push_str("%d"),
            ('H', 2) | ('H', 1) => {
                out.push_str("%H");
                has_time = true;
            }
            ('m', 2) | ('m', 1) => out.push_str("%M"),
            ('s', 2) | ('s', 1) => out.push_str("%S"),
            ('S', _) => {
                // chrono's %.f needs the dot in the pattern; the dot precedes in the pattern.
                if out.ends_with('.') {
                    out.pop();
                    out.push_str("%.f");
                } else {
                    out.push_str("%f");
                }
            }
            ('Z', _) | ('X', _) | ('x', _) => {
                out.push_str("%#z");
                has_zone = true;
            }
            ('\'', _) => {
                // quoted literal
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '\'' {
                    out.push(chars[j]);
                    j += 1;
                }
                i = j + 1;
                continue;
            }
            (c, _) if c.is_ascii_alphabetic() => {
                return Err(format!(
                    "Invalid format: [{p}]: Unknown pattern letter: {c}"
                ));
            }
            (c, n) => {
                for _ in 0..n {
                    if c == '%' {
                        out.push_str("%%");
                    } else {
                        out.push(c);
                    }
                }
            }
        }
        i += n;
    }
    if !has_date {
        return Err(format!(
            "Invalid format: [{p}]: a date pattern needs a year"
        ));
    }
    Ok(DateFormat::Pattern {
        chrono: out,
        has_time,
        has_zone,
    })
}

/// Parses ISO-8601 `strict_date_optional_time` (`yyyy[-MM[-dd]]['T'HH[:mm[:ss[.S+]]]][Z|±HH[:]mm]`)
/// into epoch milliseconds; a missing zone means `default_tz` (UTC when `None`).
pub fn parse_optional_time(s: &str, default_tz: Option<Zone>) -> Option<i64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let mut i = 0;
    let (neg, year_start) = if b.first() == Some(&b'-') || b.first() == Some(&b'+') {
        (b[0] == b'-', 1)
    } else {
        (false, 0)
    };
    i += year_start;
    let year = num(i, 4)? as i32;
    let year = if neg { -year } else { year };
    i += 4;
    let (mut month, mut day) = (1, 1);
    if b.get(i) == Some(&b'-') {
        month = num(i + 1, 2)?;
        i += 3;
        if b.get(i) == Some(&b'-') {
            day = num(i + 1, 2)?;
            i += 3;
        }
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let (mut h, mut m, mut sec, mut nanos) = (0, 0, 0, 0u32);
    if b.get(i) == Some(&b'T') || b.get(i) == Some(&b't') {
        i += 1;
        h = num(i, 2)?;
        i += 2;
        if b.get(i) == Some(&b':') {
            m = num(i + 1, 2)?;
            i += 3;
            if b.get(i) == Some(&b':') {
                sec = num(i + 1, 2)?;
                i += 3;
                if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
                    i += 1;
                    let start = i;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    let digits = &s[start..i];
                    if digits.is_empty() || digits.len() > 9 {
                        return None;
                    }
                    let mut padded = digits.to_owned();
                    while padded.len() < 9 {
                        padded.push('0');
                    }
                    nanos = padded.parse().ok()?;
                }
            }
        }
    }
    let time = NaiveTime::from_hms_nano_opt(h, m, sec, nanos)?;
    let naive = NaiveDateTime::new(date, time);
    let offset = if i == b.len() {
        let zone = default_tz.unwrap_or_else(Zone::utc);
        return zone.from_local(&naive).map(|t| t.timestamp_millis());
    } else if b[i] == b'Z' || b[i] == b'z' {
        if i + 1 != b.len() {
            return None;
        }
        FixedOffset::east_opt(0)?
    } else if b[i] == b'+' || b[i] == b'-' {
        let sign = if b[i] == b'-' { -1 } else { 1 };
        let oh = num(i + 1, 2)? as i32;
        let rest = &b[i + 3..];
        let om = match rest {
            [] => 0,
            [b':', _, _] => num(i + 4, 2)? as i32,
            [_, _] => num(i + 3, 2)? as i32,
            _ => return None,
        };
        FixedOffset::east_opt(sign * (oh * 3600 + om * 60))?
    } else {
        return None;
    };
    let dt = offset.from_local_datetime(&naive).single()?;
    Some(dt.timestamp_millis())
}

/// The UTC offset.
pub fn utc() -> FixedOffset {
    Utc.fix()
}

/// Parses `value` with the first matching alternative of `formats`, to epoch milliseconds.
pub fn parse_date_str(value: &str, formats: &[DateFormat], tz: Option<Zone>) -> Option<i64> {
    for f in formats {
        let parsed = match f {
            DateFormat::OptionalTime(_) => parse_optional_time(value, tz),
            DateFormat::EpochMillis => parse_epoch(value, 1.0),
            DateFormat::EpochSecond => parse_epoch(value, 1000.0),
            DateFormat::Pattern {
                chrono,
                has_time,
                has_zone,
            } => parse_pattern(value, chrono, *has_time, *has_zone, tz),
        };
        if parsed.is_some() {
            return parsed;
        }
    }
    None
}

fn parse_epoch(value: &str, scale: f64) -> Option<i64> {
    let v = value.trim();
    if v.is_empty()
        || !v
            .bytes()
            .all(|c| c.is_ascii_digit() || c == b'-' || c == b'.')
    {
        return None;
    }
    if let Ok(i) = v.parse::<i64>() {
        return i.checked_mul(scale as i64);
    }
    let f: f64 = v.parse().ok()?;
    Some((f * scale) as i64)
}

fn parse_pattern(
    value: &str,
    fmt: &str,
    has_time: bool,
    has_zone: bool,
    tz: Option<Zone>,
) -> Option<i64> {
    if has_zone {
        return DateTime::parse_from_str(value, fmt)
            .ok()
            .map(|d| d.timestamp_millis());
    }
    let naive = if has_time {
        NaiveDateTime::parse_from_str(value, fmt).ok()?
    } else {
        NaiveDate::parse_from_str(value, fmt)
            .ok()?
            .and_hms_opt(0, 0, 0)?
    };
    match tz {
        Some(zone) => zone.from_local(&naive).map(|d| d.timestamp_millis()),
        None => Some(Utc.from_utc_datetime(&naive).timestamp_millis()),
    }
}

/// Formats epoch millis the way ES prints dates with the default format: `2024-01-02T03:04:05.000Z`.
pub fn format_millis(ms: i64, zone: Option<Zone>) -> String {
    let Some(dt) = DateTime::<Utc>::from_timestamp_millis(ms) else {
        return ms.to_string();
    };
    match zone.map(|z| z.fixed_at(dt)) {
        Some(off) if off.local_minus_utc() != 0 => dt
            .with_timezone(&off)
            .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
            .to_string(),
        _ => dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
    }
}

/// Formats with the first alternative of a mapping `format` (what `key_as_string` and `format` use).
pub fn format_with(ms: i64, formats: &[DateFormat], zone: Option<Zone>) -> String {
    match formats.first() {
        Some(DateFormat::EpochMillis) => ms.to_string(),
        Some(DateFormat::EpochSecond) => (ms / 1000).to_string(),
        Some(DateFormat::Pattern { chrono, .. }) => {
            let Some(dt) = DateTime::<Utc>::from_timestamp_millis(ms) else {
                return ms.to_string();
            };
            let off = zone.map_or_else(utc, |z| z.fixed_at(dt));
            dt.with_timezone(&off).format(chrono).to_string()
        }
        Some(DateFormat::OptionalTime(print)) if *print != IsoPrint::Full => {
            let Some(dt) = DateTime::<Utc>::from_timestamp_millis(ms) else {
                return ms.to_string();
            };
            let off = zone.map_or_else(utc, |z| z.fixed_at(dt));
            let local = dt.with_timezone(&off);
            let zone_suffix = if off.local_minus_utc() == 0 {
                "Z".to_owned()
            } else {
                local.format("%:z").to_string()
            };
            match print {
                IsoPrint::Date => local.format("%Y-%m-%d").to_string(),
                IsoPrint::NoMillis => format!("{}{zone_suffix}", local.format("%Y-%m-%dT%H:%M:%S")),
                IsoPrint::HourMinuteSecond => local.format("%Y-%m-%dT%H:%M:%S").to_string(),
                IsoPrint::HourMinuteSecondMillis | IsoPrint::Full => {
                    local.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
                }
            }
        }
        _ => format_millis(ms, zone),
    }
}
