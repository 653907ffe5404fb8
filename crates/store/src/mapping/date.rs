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
        /// chrono format that reads.
        chrono: String,
        /// chrono format that prints (exact fraction widths, printable offsets).
        print: String,
        /// Whether an offset of zero prints as `Z` (Java's `X`).
        zulu: bool,
        /// Whether the pattern has hours.
        has_time: bool,
        /// Whether the pattern has an offset.
        has_zone: bool,
    },
}

/// The ES default: `strict_date_optional_time||epoch_millis`.
pub const DEFAULT_FORMAT: &str = "strict_date_optional_time||epoch_millis";

/// The ES default of a `date_nanos` field.
pub const DEFAULT_NANOS_FORMAT: &str = "strict_date_optional_time_nanos||epoch_millis";

/// Nanoseconds in a millisecond.
pub const NANOS_PER_MILLI: i64 = 1_000_000;

/// How a named ISO format prints a date (they all read the same way here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsoPrint {
    /// `yyyy-MM-dd'T'HH:mm:ss.SSSZ` (`strict_date_optional_time`, `date_time`, `iso8601`)
    Full,
    /// `strict_date_optional_time_nanos`: as [`IsoPrint::Full`] with 3 to 9 fraction digits
    /// (as many as the nanoseconds need)
    Nanos,
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
        "strict_date_optional_time_nanos" => DateFormat::OptionalTime(IsoPrint::Nanos),
        "strict_date_optional_time"
        | "date_optional_time"
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
    // `out` reads, `print` prints: they differ in fraction widths and zone offsets
    let mut out = String::new();
    let mut print = String::new();
    let chars: Vec<char> = p.chars().collect();
    let (mut has_time, mut has_zone, mut has_date, mut zulu) = (false, false, false, false);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut n = 1;
        while i + n < chars.len() && chars[i + n] == c {
            n += 1;
        }
        let both = |out: &mut String, print: &mut String, spec: &str| {
            out.push_str(spec);
            print.push_str(spec);
        };
        match (c, n) {
            ('y' | 'u', 4) | ('y' | 'u', 1) => {
                both(&mut out, &mut print, "%Y");
                has_date = true;
            }
            ('y' | 'u', 2) => both(&mut out, &mut print, "%y"),
            ('M', 2) | ('M', 1) => both(&mut out, &mut print, "%m"),
            ('M', 3) => both(&mut out, &mut print, "%b"),
            ('d', 2) | ('d', 1) => both(&mut out, &mut print, "%d"),
            ('H', 2) | ('H', 1) => {
                both(&mut out, &mut print, "%H");
                has_time = true;
            }
            ('m', 2) | ('m', 1) => both(&mut out, &mut print, "%M"),
            ('s', 2) | ('s', 1) => both(&mut out, &mut print, "%S"),
            ('S', n) => {
                // chrono reads any number of fraction digits with `%.f` (the dot is part of
                // it) and prints exactly 3, 6 or 9 with `%.3f`, `%.6f`, `%.9f`
                let width = match n {
                    1..=3 => 3,
                    4..=6 => 6,
                    _ => 9,
                };
                if out.ends_with('.') {
                    out.pop();
                    print.pop();
                    out.push_str("%.f");
                    print.push_str(&format!("%.{width}f"));
                } else {
                    out.push_str("%f");
                    print.push_str(&format!("%{width}f"));
                }
            }
            ('Z' | 'X' | 'x', n) => {
                out.push_str("%#z");
                // Java prints `X` as `Z` at offset zero, `XXX` and `ZZZZZ` with a colon
                print.push_str(if n >= 3 && c != 'Z' || n == 5 {
                    "%:z"
                } else {
                    "%z"
                });
                zulu |= c == 'X';
                has_zone = true;
            }
            ('\'', _) => {
                // quoted literal
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '\'' {
                    let lit = if chars[j] == '%' {
                        "%%".to_owned()
                    } else {
                        chars[j].to_string()
                    };
                    both(&mut out, &mut print, &lit);
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
                    both(&mut out, &mut print, if c == '%' { "%%" } else { "" });
                    if c != '%' {
                        out.push(c);
                        print.push(c);
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
        print,
        has_time,
        has_zone,
        zulu,
    })
}

/// Parses ISO-8601 `strict_date_optional_time` (`yyyy[-MM[-dd]]['T'HH[:mm[:ss[.S+]]]][Z|±HH[:]mm]`)
/// into epoch milliseconds; a missing zone means `default_tz` (UTC when `None`).
pub fn parse_optional_time(s: &str, default_tz: Option<Zone>) -> Option<i64> {
    optional_time_instant(s, default_tz).map(|t| t.timestamp_millis())
}

/// [`parse_optional_time`] to the nanosecond.
fn optional_time_instant(s: &str, default_tz: Option<Zone>) -> Option<DateTime<Utc>> {
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
        return zone.from_local(&naive).map(|t| t.with_timezone(&Utc));
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
    Some(dt.with_timezone(&Utc))
}

/// The UTC offset.
pub fn utc() -> FixedOffset {
    Utc.fix()
}

/// Parses `value` with the first matching alternative of `formats`, to epoch milliseconds.
pub fn parse_date_str(value: &str, formats: &[DateFormat], tz: Option<Zone>) -> Option<i64> {
    parse_nanos_i128(value, formats, tz).map(|ns| {
        // toward negative infinity, as Java's `Instant::toEpochMilli`
        let ms = ns.div_euclid(NANOS_PER_MILLI as i128);
        i64::try_from(ms).unwrap_or(if ms < 0 { i64::MIN } else { i64::MAX })
    })
}

/// Parses `value` as [`parse_date_str`] does, to epoch nanoseconds (beyond `i64` for dates
/// a `date_nanos` field cannot keep, which the caller refuses).
pub fn parse_nanos_i128(value: &str, formats: &[DateFormat], tz: Option<Zone>) -> Option<i128> {
    for f in formats {
        let parsed = match f {
            DateFormat::OptionalTime(_) => optional_time_instant(value, tz).map(instant_nanos),
            DateFormat::EpochMillis => parse_epoch(value, 6),
            DateFormat::EpochSecond => parse_epoch(value, 9),
            DateFormat::Pattern {
                chrono,
                has_time,
                has_zone,
                ..
            } => parse_pattern(value, chrono, *has_time, *has_zone, tz).map(instant_nanos),
        };
        if parsed.is_some() {
            return parsed;
        }
    }
    None
}

fn instant_nanos(t: DateTime<Utc>) -> i128 {
    t.timestamp() as i128 * 1_000_000_000 + t.timestamp_subsec_nanos() as i128
}

/// An epoch number (`-`, digits, one optional fraction) in units of 10^`exp` nanoseconds,
/// to the nanosecond: the fraction's digits beyond a nanosecond are dropped, toward zero.
fn parse_epoch(value: &str, exp: u32) -> Option<i128> {
    let v = value.trim();
    let (neg, digits) = match v.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, v),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
        || int.len() > 30
    {
        return None;
    }
    let unit = 10i128.pow(exp);
    let whole: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut part: i128 = 0;
    for (k, d) in frac.bytes().take(exp as usize).enumerate() {
        part += (d - b'0') as i128 * 10i128.pow(exp - 1 - k as u32);
    }
    let n = whole.checked_mul(unit)?.checked_add(part)?;
    Some(if neg { -n } else { n })
}

fn parse_pattern(
    value: &str,
    fmt: &str,
    has_time: bool,
    has_zone: bool,
    tz: Option<Zone>,
) -> Option<DateTime<Utc>> {
    if has_zone {
        return DateTime::parse_from_str(value, fmt)
            .ok()
            .map(|d| d.with_timezone(&Utc));
    }
    let naive = if has_time {
        NaiveDateTime::parse_from_str(value, fmt).ok()?
    } else {
        NaiveDate::parse_from_str(value, fmt)
            .ok()?
            .and_hms_opt(0, 0, 0)?
    };
    match tz {
        Some(zone) => zone.from_local(&naive).map(|d| d.with_timezone(&Utc)),
        None => Some(Utc.from_utc_datetime(&naive)),
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
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(dt) => format_instant(dt, formats, zone),
        None => ms.to_string(),
    }
}

/// [`format_with`] for epoch nanoseconds (a `date_nanos` value), to the nanosecond.
pub fn format_nanos_with(ns: i64, formats: &[DateFormat], zone: Option<Zone>) -> String {
    format_instant(DateTime::<Utc>::from_timestamp_nanos(ns), formats, zone)
}

/// Prints `dt` with the first alternative of `formats`, as Java's formatters print it.
fn format_instant(dt: DateTime<Utc>, formats: &[DateFormat], zone: Option<Zone>) -> String {
    let off = zone.map_or_else(utc, |z| z.fixed_at(dt));
    let local = dt.with_timezone(&off);
    let zone_suffix = || {
        if off.local_minus_utc() == 0 {
            "Z".to_owned()
        } else {
            local.format("%:z").to_string()
        }
    };
    let sub_milli = dt.timestamp_subsec_nanos() % 1_000_000;
    match formats.first() {
        Some(DateFormat::EpochMillis) => {
            let ms = dt.timestamp_millis();
            if sub_milli == 0 {
                ms.to_string()
            } else {
                let frac = format!("{sub_milli:06}");
                format!("{ms}.{}", frac.trim_end_matches('0'))
            }
        }
        Some(DateFormat::EpochSecond) => dt.timestamp().to_string(),
        Some(DateFormat::Pattern { print, zulu, .. }) => {
            let spec = if *zulu && off.local_minus_utc() == 0 {
                print.replace("%:z", "Z").replace("%z", "Z")
            } else {
                print.clone()
            };
            let mut out = String::new();
            // a pattern chrono cannot print gives the number rather than a panic
            if std::fmt::write(&mut out, format_args!("{}", local.format(&spec))).is_err() {
                return dt.timestamp_millis().to_string();
            }
            out
        }
        Some(DateFormat::OptionalTime(print)) => match print {
            IsoPrint::Date => local.format("%Y-%m-%d").to_string(),
            IsoPrint::NoMillis => format!("{}{}", local.format("%Y-%m-%dT%H:%M:%S"), zone_suffix()),
            IsoPrint::HourMinuteSecond => local.format("%Y-%m-%dT%H:%M:%S").to_string(),
            IsoPrint::HourMinuteSecondMillis => local.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
            IsoPrint::Full => format!("{}{}", local.format("%Y-%m-%dT%H:%M:%S%.3f"), zone_suffix()),
            IsoPrint::Nanos => {
                let nanos = format!("{:09}", dt.timestamp_subsec_nanos());
                let trimmed = nanos.trim_end_matches('0');
                let digits = if trimmed.len() < 3 {
                    &nanos[..3]
                } else {
                    trimmed
                };
                format!(
                    "{}.{digits}{}",
                    local.format("%Y-%m-%dT%H:%M:%S"),
                    zone_suffix()
                )
            }
        },
        None => format_millis(dt.timestamp_millis(), zone),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formats(f: &str) -> Vec<DateFormat> {
        parse_formats(f).unwrap_or_else(|e| panic!("{f}: {e}"))
    }

    #[test]
    fn epoch_numbers_are_read_to_the_nanosecond() {
        let millis = formats("epoch_millis");
        assert_eq!(
            parse_nanos_i128("1540815132123.456789", &millis, None),
            Some(1_540_815_132_123_456_789)
        );
        // digits beyond a nanosecond are dropped
        assert_eq!(
            parse_nanos_i128("1.0000019", &millis, None),
            Some(1_000_001)
        );
        assert_eq!(parse_nanos_i128("-1.5", &millis, None), Some(-1_500_000));
        assert_eq!(
            parse_nanos_i128("12.5", &formats("epoch_second"), None),
            Some(12_500_000_000)
        );
        for bad in ["", "-", "1e3", "1.2.3", "x", "."] {
            assert_eq!(parse_nanos_i128(bad, &millis, None), None, "{bad:?}");
        }
        // milliseconds are the nanoseconds toward negative infinity, as Java's `toEpochMilli`
        assert_eq!(parse_date_str("-1.5", &millis, None), Some(-2));
        assert_eq!(parse_date_str("1.5", &millis, None), Some(1));
    }

    #[test]
    fn iso_dates_keep_their_nanoseconds() {
        let iso = formats(DEFAULT_NANOS_FORMAT);
        assert_eq!(
            parse_nanos_i128("2018-10-29T12:12:12.123456789Z", &iso, None),
            Some(1_540_815_132_123_456_789)
        );
        assert_eq!(
            parse_nanos_i128("1970-01-01T01:00:00.000000001+01:00", &iso, None),
            Some(1)
        );
        assert_eq!(
            parse_date_str("2018-10-29T12:12:12.123456789Z", &iso, None),
            Some(1_540_815_132_123)
        );
    }

    #[test]
    fn nanoseconds_print_as_java_prints_them() {
        let ns = 1_540_815_132_123_456_700;
        let print = |f: &str| format_nanos_with(ns, &formats(f), None);
        assert_eq!(
            print("strict_date_optional_time_nanos"),
            "2018-10-29T12:12:12.1234567Z"
        );
        assert_eq!(
            print("strict_date_optional_time"),
            "2018-10-29T12:12:12.123Z"
        );
        assert_eq!(print("epoch_millis"), "1540815132123.4567");
        assert_eq!(print("epoch_second"), "1540815132");
        assert_eq!(
            print("uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSSX"),
            "2018-10-29T12:12:12.123456700Z"
        );
        assert_eq!(
            print("yyyy-MM-dd HH:mm:ss.SSSSSS"),
            "2018-10-29 12:12:12.123456"
        );
        assert_eq!(print("yyyy-MM-dd'T'HH:mm:ssZ"), "2018-10-29T12:12:12+0000");
        // at least three fraction digits
        assert_eq!(
            format_nanos_with(
                1_000_000_000,
                &formats("strict_date_optional_time_nanos"),
                None
            ),
            "1970-01-01T00:00:01.000Z"
        );
        // a millisecond date prints as before
        assert_eq!(
            format_with(1_540_815_132_987, &formats("epoch_millis"), None),
            "1540815132987"
        );
        assert_eq!(
            format_with(
                1_540_815_132_987,
                &formats("yyyy-MM-dd'T'HH:mm:ss.SSSX"),
                None
            ),
            "2018-10-29T12:12:12.987Z"
        );
    }
}
