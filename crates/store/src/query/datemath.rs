//! ES date math: `now-1h`, `now/d`, `2024-01-01||+1M/d`, with rounding direction for ranges.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use log_model::zone::Zone;

use crate::error::{Error, Result};
use crate::mapping::date::{self, DateFormat};

/// Resolves a date expression to epoch millis. `round_up` picks the end of a rounded unit
/// (for `gt` and `lte`), as ES does.
pub fn resolve(
    expr: &str,
    formats: &[DateFormat],
    tz: Option<Zone>,
    now_ms: i64,
    round_up: bool,
) -> Result<i64> {
    let (anchor, math) = if let Some(rest) = expr.strip_prefix("now") {
        (now_ms, rest)
    } else if let Some((a, m)) = expr.split_once("||") {
        (parse_anchor(a, formats, tz, expr)?, m)
    } else {
        let ms = parse_anchor(expr, formats, tz, expr)?;
        // rounding up fills the components a date leaves out with their largest values, as ES's
        // round-up parser does: `lte: 2024-03-31` takes in the whole day
        let ms = match partial_unit(expr, formats) {
            Some(unit) if round_up => {
                add(ms, 1, unit, tz.unwrap_or_else(Zone::utc)).map_or(ms, |end| end - 1)
            }
            _ => ms,
        };
        (ms, "")
    };
    apply_math(anchor, math, tz, round_up, expr)
}

/// [`resolve`] for a `date_nanos` field, to epoch nanoseconds: a date without math keeps its
/// nanoseconds, and rounding up ends a unit at its last nanosecond (as ES's nanosecond
/// resolution does); beyond what `i64` nanoseconds hold the bound saturates.
pub fn resolve_nanos(
    expr: &str,
    formats: &[DateFormat],
    tz: Option<Zone>,
    now_ms: i64,
    round_up: bool,
) -> Result<i64> {
    let ms = resolve(expr, formats, tz, now_ms, round_up)?;
    let plain = !expr.starts_with("now") && !expr.contains("||");
    let rounded = round_up
        && if plain {
            partial_unit(expr, formats).is_some()
        } else {
            expr.contains('/')
        };
    let ns = match date::parse_nanos_i128(expr, formats, tz) {
        Some(ns) if plain && !rounded => ns,
        _ => ms as i128 * date::NANOS_PER_MILLI as i128 + if rounded { 999_999 } else { 0 },
    };
    Ok(i64::try_from(ns).unwrap_or(if ns < 0 { i64::MIN } else { i64::MAX }))
}

/// The smallest unit a `strict_date_optional_time` value spells out, when it stops short of
/// milliseconds: `2024` (y), `2024-03` (M), `2024-03-31` (d), `2024-03-31T10` (h), `...:05` (m),
/// `...:05:09` (s); a zone after the time (`Z`, `+01:00`) does not count.
fn partial_unit(s: &str, formats: &[DateFormat]) -> Option<u8> {
    let optional_time = formats.is_empty()
        || formats
            .iter()
            .any(|f| matches!(f, DateFormat::OptionalTime(_)));
    if !optional_time {
        return None;
    }
    let s = match s.get(..10).zip(s.get(10..)) {
        Some((date, time)) if time.starts_with('T') => {
            let zone = time
                .find(['Z', 'z', '+', '-'])
                .map_or(s.len(), |at| date.len() + at);
            &s[..zone]
        }
        _ => s,
    };
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    Some(match b.len() {
        4 if digits(0..4) => b'y',
        7 if digits(0..4) && at(4, b'-') && digits(5..7) => b'M',
        10 if digits(0..4) && at(4, b'-') && at(7, b'-') && digits(8..10) => b'd',
        13 if at(10, b'T') && digits(11..13) && digits(8..10) => b'h',
        16 if at(10, b'T') && at(13, b':') && digits(14..16) => b'm',
        19 if at(10, b'T') && at(16, b':') && digits(17..19) => b's',
        _ => return None,
    })
}

fn parse_anchor(s: &str, formats: &[DateFormat], tz: Option<Zone>, expr: &str) -> Result<i64> {
    date::parse_date_str(s, formats, tz).ok_or_else(|| {
        Error::es(
            400,
            "parse_exception",
            format!(
                "failed to parse date field [{expr}] with format [{}]",
                format_names(formats)
            ),
        )
    })
}

fn format_names(formats: &[DateFormat]) -> String {
    if formats.is_empty() {
        return date::DEFAULT_FORMAT.to_owned();
    }
    formats
        .iter()
        .map(|f| match f {
            DateFormat::OptionalTime(date::IsoPrint::Nanos) => {
                "strict_date_optional_time_nanos".to_owned()
            }
            DateFormat::OptionalTime(_) => "strict_date_optional_time".to_owned(),
            DateFormat::EpochMillis => "epoch_millis".to_owned(),
            DateFormat::EpochSecond => "epoch_second".to_owned(),
            DateFormat::Pattern { chrono, .. } => chrono.clone(),
        })
        .collect::<Vec<_>>()
        .join("||")
}

fn bad(expr: &str, why: &str) -> Error {
    Error::es(
        400,
        "parse_exception",
        format!("operator not supported for date math [{expr}]: {why}"),
    )
}

fn apply_math(
    mut ms: i64,
    math: &str,
    tz: Option<Zone>,
    round_up: bool,
    expr: &str,
) -> Result<i64> {
    let tz = tz.unwrap_or_else(Zone::utc);
    let b = math.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let op = b[i];
        i += 1;
        match op {
            b'/' => {
                let unit = *b.get(i).ok_or_else(|| bad(expr, "missing rounding unit"))?;
                i += 1;
                let (start, end) = round(ms, unit, tz).ok_or_else(|| bad(expr, "unit"))?;
                ms = if round_up { end - 1 } else { start };
            }
            b'+' | b'-' => {
                let start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let n: i64 = if start == i {
                    1
                } else {
                    math[start..i].parse().map_err(|_| bad(expr, "number"))?
                };
                let unit = *b.get(i).ok_or_else(|| bad(expr, "missing unit"))?;
                i += 1;
                let n = if op == b'-' { -n } else { n };
                ms = add(ms, n, unit, tz).ok_or_else(|| bad(expr, "unit"))?;
            }
            _ => return Err(bad(expr, "expected +, - or /")),
        }
    }
    Ok(ms)
}

fn to_local(ms: i64, tz: Zone) -> Option<NaiveDateTime> {
    DateTime::<Utc>::from_timestamp_millis(ms).map(|d| tz.to_local(d))
}

fn from_local(tz: Zone, local: &NaiveDateTime) -> Option<i64> {
    tz.from_local(local).map(|t| t.timestamp_millis())
}

fn add(ms: i64, n: i64, unit: u8, tz: Zone) -> Option<i64> {
    let fixed = |unit_ms: i64| ms.checked_add(n.checked_mul(unit_ms)?);
    match unit {
        b's' => fixed(1000),
        b'm' => fixed(60_000),
        b'h' | b'H' => fixed(3_600_000),
        // days and weeks are calendar days in the zone (23 or 25 hours across a DST change)
        b'd' | b'w' => {
            let days = if unit == b'w' { n.checked_mul(7)? } else { n };
            let d = to_local(ms, tz)?;
            let nd = d.checked_add_signed(chrono::Duration::try_days(days)?)?;
            from_local(tz, &nd)
        }
        b'M' | b'y' => {
            let months = if unit == b'y' { n * 12 } else { n };
            let d = to_local(ms, tz)?;
            let total = i64::from(d.year()) * 12 + i64::from(d.month0()) + months;
            let (y, m0) = (total.div_euclid(12) as i32, total.rem_euclid(12) as u32);
            let last_day = days_in_month(y, m0 + 1);
            let nd = NaiveDate::from_ymd_opt(y, m0 + 1, d.day().min(last_day))?;
            let ndt = nd.and_time(d.time());
            from_local(tz, &ndt)
        }
        _ => None,
    }
}

fn days_in_month(y: i32, m: u32) -> u32 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .map_or(28, |d| d.day())
}

/// `[start, end)` of the calendar unit containing `ms` in `tz`.
pub fn round(ms: i64, unit: u8, tz: Zone) -> Option<(i64, i64)> {
    let d = to_local(ms, tz)?;
    let local = |y: i32, mo: u32, day: u32, h: u32, mi: u32, s: u32| -> Option<i64> {
        let nd = NaiveDate::from_ymd_opt(y, mo, day)?.and_hms_opt(h, mi, s)?;
        from_local(tz, &nd)
    };
    let (y, mo, day, h, mi, s) = (
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minute(),
        d.second(),
    );
    Some(match unit {
        b's' => {
            let st = local(y, mo, day, h, mi, s)?;
            (st, st + 1000)
        }
        b'm' => {
            let st = local(y, mo, day, h, mi, 0)?;
            (st, st + 60_000)
        }
        b'h' | b'H' => {
            // hours are elapsed time: round in local time with the offset of the instant
            let off = ms - d.and_utc().timestamp_millis();
            let st = (ms - off).div_euclid(3_600_000) * 3_600_000 + off;
            (st, st + 3_600_000)
        }
        b'd' => {
            let st = local(y, mo, day, 0, 0, 0)?;
            (st, add(st, 1, b'd', tz)?)
        }
        b'w' => {
            let monday =
                d.date() - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday()));
            let st = local(monday.year(), monday.month(), monday.day(), 0, 0, 0)?;
            (st, add(st, 1, b'w', tz)?)
        }
        b'M' => {
            let st = local(y, mo, 1, 0, 0, 0)?;
            (st, add(st, 1, b'M', tz)?)
        }
        b'q' => {
            let qm = (mo - 1) / 3 * 3 + 1;
            let st = local(y, qm, 1, 0, 0, 0)?;
            (st, add(st, 3, b'M', tz)?)
        }
        b'y' => {
            let st = local(y, 1, 1, 0, 0, 0)?;
            (st, add(st, 12, b'M', tz)?)
        }
        _ => return None,
    })
}

/// Parses a `time_zone` parameter: `Z`, `UTC`, `+01:00`, `-0530`, or an IANA name such as
/// `Europe/Berlin` (the workspace's one zone parser, [`Zone::parse`]).
pub fn parse_time_zone(s: &str) -> Result<Zone> {
    Zone::parse(s).ok_or_else(|| Error::illegal_argument(format!("Unknown time-zone ID: {s}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_123_456; // 2023-11-14T22:15:23.456Z

    fn check(expr: &str, round_up: bool, want: &str) {
        let formats = date::parse_formats(date::DEFAULT_FORMAT).unwrap_or_default();
        let got =
            resolve(expr, &formats, None, NOW, round_up).map(|ms| date::format_millis(ms, None));
        assert_eq!(got.ok().as_deref(), Some(want), "{expr}");
    }

    #[test]
    fn date_math() {
        check("now", false, "2023-11-14T22:15:23.456Z");
        check("now-1h", false, "2023-11-14T21:15:23.456Z");
        check("now/d", false, "2023-11-14T00:00:00.000Z");
        check("now/d", true, "2023-11-14T23:59:59.999Z");
        check("now-1d/d", false, "2023-11-13T00:00:00.000Z");
        check("now/M", false, "2023-11-01T00:00:00.000Z");
        check("now+1M", false, "2023-12-14T22:15:23.456Z");
        check("now/w", false, "2023-11-13T00:00:00.000Z");
        check("2024-01-31||+1M", false, "2024-02-29T00:00:00.000Z");
        check("2024-01-31", false, "2024-01-31T00:00:00.000Z");
        check(
            "2024-01-31T10:00:00+02:00",
            false,
            "2024-01-31T08:00:00.000Z",
        );
        check("1700000000000", false, "2023-11-14T22:13:20.000Z");
        // rounding up fills what a date leaves out, its zone notwithstanding (as ES)
        check("2024-01-31T10:00:30Z", true, "2024-01-31T10:00:30.999Z");
        check("2024-01-31T10Z", true, "2024-01-31T10:59:59.999Z");
        check("2024-01-31T10:00+02:00", true, "2024-01-31T08:00:59.999Z");
        check("2024-01-31T10:00:30.5Z", true, "2024-01-31T10:00:30.500Z");
    }

    #[test]
    fn nanosecond_bounds() {
        let formats = date::parse_formats(date::DEFAULT_NANOS_FORMAT).unwrap_or_default();
        let ns = |expr: &str, up: bool| resolve_nanos(expr, &formats, None, NOW, up).ok();
        assert_eq!(
            ns("2018-10-29T12:12:12.123456789Z", false),
            Some(1_540_815_132_123_456_789)
        );
        // a rounded bound ends at the unit's last nanosecond
        assert_eq!(ns("1970-01-01", true), Some(86_400_000_000_000 - 1));
        assert_eq!(ns("1970-01-02||/d", true), Some(2 * 86_400_000_000_000 - 1));
        assert_eq!(ns("now", false), Some(NOW * 1_000_000));
        // beyond what `i64` nanoseconds hold the bound saturates
        assert_eq!(ns("2300-01-01", false), Some(i64::MAX));
    }

    #[test]
    fn bad_math_is_an_error() {
        let formats = date::parse_formats(date::DEFAULT_FORMAT).unwrap_or_default();
        assert!(resolve("now-1x", &formats, None, NOW, false).is_err());
        assert!(resolve("yesterday", &formats, None, NOW, false).is_err());
    }
}
