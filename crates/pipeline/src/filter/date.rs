//! `date`: parses a field into `@timestamp` (or `target`).
//!
//! `match => [ "field", "format1", "format2", ... ]`, formats tried in order:
//! - `ISO8601`: `2011-04-19T03:44:01.103Z`; the `T` may be a space, the fraction may follow
//!   a comma (Python's logging `asctime`), the offset may be `Z`, `+01:00`, `+0100` or `+01`, or
//!   absent (then `timezone` applies);
//! - `UNIX` (seconds, integer or decimal, number or string), `UNIX_MS` (milliseconds), `TAI64N`;
//! - a Joda-Time pattern: `y`/`Y`/`u` year (`yy` = 20yy), `M`/`MM` month, `MMM`/`MMMM` month name
//!   (English), `d`, `D` (day of year), `H`, `k`, `h`/`K` with `a`, `m`, `s`, `S…` fraction,
//!   `E` day name (checked, ignored), `Z`/`ZZ` offset, `ZZZ` zone id (`Europe/Paris`),
//!   `'quoted text'`, other non-letters literal. A pattern without a year uses the current one.
//!
//! `timezone` (an IANA id such as `Europe/Paris`, `UTC`, or an offset like `+01:00`; it may use
//! `%{field}`) applies to times without an offset. The default is UTC (Logstash uses the JVM's
//! zone, which is UTC on servers and in its Docker images). On success the target gets the time
//! in Elasticsearch's form (`2026-11-24T22:15:44.123Z`, millisecond precision like Logstash)
//! and the common decorations run; when no format matches, the event is tagged with
//! `tag_on_failure` (`_dateparsefailure`). A missing field does nothing.
//!
//! `locale` is accepted; month and day names are matched in English only. A field holding an
//! array is parsed from its first element.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use chrono_tz::Tz;
use log_model::zone::{Zone, parse_offset};
use log_model::{FieldRef, LogEvent, Timestamp};
use serde_json::Value as Json;

use super::{Common, Filter, FilterOutcome, Sprintf, field_ref, tag_list};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings};

pub(super) fn schema() -> Schema {
    use OptType as T;
    Schema::new(
        PluginKind::Filter,
        "date",
        vec![
            OptSpec::new("match", T::Array).default(Default::List(&[])),
            OptSpec::new("target", T::String).default(Default::Str("@timestamp")),
            OptSpec::new("timezone", T::String),
            OptSpec::new("locale", T::String),
            OptSpec::new("tag_on_failure", T::Array).default(Default::List(&["_dateparsefailure"])),
        ],
    )
}

#[derive(Debug, Clone)]
enum TimeZoneOpt {
    Utc,
    Static(Zone),
    Dynamic(Sprintf),
}

#[derive(Debug, Clone, PartialEq)]
enum Format {
    Iso8601,
    Unix,
    UnixMs,
    Tai64n,
    Joda(Vec<Tok>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Year(usize),
    Month(usize),
    MonthName,
    Day,
    DayOfYear,
    Hour24,
    Hour12,
    Minute,
    Second,
    Fraction(usize),
    AmPm,
    DayName,
    Offset,
    ZoneId,
    Literal(String),
}

impl Tok {
    fn is_numeric(&self) -> bool {
        matches!(
            self,
            Tok::Year(_)
                | Tok::Month(_)
                | Tok::Day
                | Tok::DayOfYear
                | Tok::Hour24
                | Tok::Hour12
                | Tok::Minute
                | Tok::Second
                | Tok::Fraction(_)
        )
    }
}

#[derive(Debug)]
pub(super) struct Date {
    common: Common,
    field: Option<FieldRef>,
    formats: Vec<Format>,
    target: FieldRef,
    timezone: TimeZoneOpt,
    tag_on_failure: Vec<String>,
}

impl Date {
    pub(super) fn new(settings: &Settings, common: Common) -> Result<Self> {
        let mut matches = settings.strings("match");
        if matches.len() < 2 {
            return Err(settings.invalid(
                "match",
                &format!(
                    "The match setting should contains first a field name and at least one date format, current value is {matches:?}"
                ),
            ));
        }
        let field_name = matches.remove(0);
        let mut formats = Vec::with_capacity(matches.len());
        for f in &matches {
            formats.push(
                parse_format(f).map_err(|e| {
                    settings.invalid("match", &format!("Illegal pattern {f:?}: {e}"))
                })?,
            );
        }
        let timezone = match settings.string("timezone") {
            None => TimeZoneOpt::Utc,
            Some(tz) if tz.contains("%{") => TimeZoneOpt::Dynamic(Sprintf::new(tz)),
            Some(tz) => TimeZoneOpt::Static(Zone::parse(tz).ok_or_else(|| {
                settings.invalid(
                    "timezone",
                    &format!("The datetime zone id '{tz}' is not recognised"),
                )
            })?),
        };
        let target_name = settings.string("target").unwrap_or("@timestamp");
        let target = field_ref(target_name)
            .ok_or_else(|| settings.invalid("target", "target must name a field"))?;
        Ok(Self {
            common,
            field: field_ref(&field_name),
            formats,
            target,
            timezone,
            tag_on_failure: tag_list(settings, "tag_on_failure"),
        })
    }

    fn zone(&self, event: &LogEvent) -> Option<Zone> {
        match &self.timezone {
            TimeZoneOpt::Utc => Some(Zone::utc()),
            TimeZoneOpt::Static(z) => Some(*z),
            TimeZoneOpt::Dynamic(t) => Zone::parse(&t.render(event)),
        }
    }
}

impl Filter for Date {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        let Some(field) = &self.field else {
            return FilterOutcome::Keep;
        };
        let value = match event.get(field) {
            None | Some(Json::Null) => return FilterOutcome::Keep,
            Some(Json::Array(items)) => match items.first() {
                Some(v) => v.clone(),
                None => return FilterOutcome::Keep,
            },
            Some(v) => v.clone(),
        };
        let parsed = self.zone(event).and_then(|zone| {
            self.formats
                .iter()
                .find_map(|f| parse_with(f, &value, zone, Utc::now().year()))
        });
        match parsed.and_then(|dt| Timestamp::from_epoch_millis(dt.timestamp_millis()).ok()) {
            Some(ts) => {
                if self.target.segments() == ["@timestamp"] {
                    event.set_timestamp(ts);
                } else {
                    event.insert(&self.target, Json::String(ts.to_es_string()));
                }
                self.common.matched(event);
            }
            None => {
                tracing::debug!(filter = self.common.id(), value = %value, "date parse failure");
                self.common.failed(event, &self.tag_on_failure);
            }
        }
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "date"
    }

    fn failures(&self) -> u64 {
        self.common.failures()
    }
}

fn parse_format(f: &str) -> std::result::Result<Format, String> {
    Ok(match f {
        "ISO8601" => Format::Iso8601,
        "UNIX" => Format::Unix,
        "UNIX_MS" => Format::UnixMs,
        "TAI64N" => Format::Tai64n,
        pattern => Format::Joda(tokenize(pattern)?),
    })
}

fn tokenize(pattern: &str) -> std::result::Result<Vec<Tok>, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let mut lit = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // quoted text; '' is a quote
            if chars.get(i + 1) == Some(&'\'') {
                lit.push('\'');
                i += 2;
                continue;
            }
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        lit.push('\'');
                        i += 2;
                        continue;
                    }
                    break;
                }
                lit.push(chars[i]);
                i += 1;
            }
            if i >= chars.len() {
                return Err("unterminated quote".into());
            }
            i += 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            lit.push(c);
            i += 1;
            continue;
        }
        let mut n = 1;
        while chars.get(i + n) == Some(&c) {
            n += 1;
        }
        i += n;
        if !lit.is_empty() {
            toks.push(Tok::Literal(std::mem::take(&mut lit)));
        }
        toks.push(match c {
            'y' | 'Y' | 'u' | 'x' => Tok::Year(n),
            'M' if n >= 3 => Tok::MonthName,
            'M' => Tok::Month(n),
            'd' => Tok::Day,
            'D' => Tok::DayOfYear,
            'H' | 'k' => Tok::Hour24,
            'h' | 'K' => Tok::Hour12,
            'm' => Tok::Minute,
            's' => Tok::Second,
            'S' => Tok::Fraction(n),
            'a' => Tok::AmPm,
            'E' => Tok::DayName,
            'Z' if n >= 3 => Tok::ZoneId,
            'Z' => Tok::Offset,
            'z' => {
                return Err(
                    "parsing of time zone names ('z') is not supported; use Z or ZZZ".into(),
                );
            }
            other => return Err(format!("Illegal pattern component: {other}")),
        });
    }
    if !lit.is_empty() {
        toks.push(Tok::Literal(lit));
    }
    Ok(toks)
}

fn value_text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_with(f: &Format, v: &Json, zone: Zone, this_year: i32) -> Option<DateTime<Utc>> {
    match f {
        Format::Unix => {
            let secs = match v {
                Json::Number(n) => n.as_f64()?,
                Json::String(s) => {
                    let t = s.trim();
                    if t.is_empty()
                        || !t
                            .chars()
                            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
                    {
                        return None;
                    }
                    t.parse::<f64>().ok()?
                }
                _ => return None,
            };
            #[allow(clippy::cast_possible_truncation)]
            let ms = (secs * 1000.0).round() as i64;
            DateTime::from_timestamp_millis(ms)
        }
        Format::UnixMs => {
            let ms = match v {
                Json::Number(n) => n.as_i64().or_else(|| {
                    #[allow(clippy::cast_possible_truncation)]
                    n.as_f64().map(|f| f as i64)
                })?,
                Json::String(s) => s.trim().parse::<i64>().ok()?,
                _ => return None,
            };
            DateTime::from_timestamp_millis(ms)
        }
        Format::Tai64n => {
            let s = value_text(v)?;
            let s = s.strip_prefix('@').unwrap_or(&s);
            if s.len() != 24 || !s.is_ascii() {
                return None;
            }
            let secs = u64::from_str_radix(&s[..16], 16)
                .ok()?
                .checked_sub(0x4000_0000_0000_0000)?;
            let nanos = u32::from_str_radix(&s[16..], 16).ok()?;
            DateTime::from_timestamp(i64::try_from(secs).ok()?, nanos)
        }
        Format::Iso8601 => parse_iso(&value_text(v)?, zone),
        Format::Joda(toks) => parse_joda(toks, &value_text(v)?, zone, this_year),
    }
}

/// `+01:00`, `+0100`, `+01`, `-05:30`.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.rest().starts_with(lit) {
            self.pos += lit.len();
            true
        } else {
            false
        }
    }

    /// Between `min` and `max` ASCII digits.
    fn digits(&mut self, min: usize, max: usize) -> Option<(u64, usize)> {
        let n = self
            .rest()
            .bytes()
            .take(max)
            .take_while(u8::is_ascii_digit)
            .count();
        if n < min {
            return None;
        }
        let v = self.rest()[..n].parse().ok()?;
        self.pos += n;
        Some((v, n))
    }

    fn offset(&mut self) -> Option<FixedOffset> {
        if self.eat("Z") {
            return FixedOffset::east_opt(0);
        }
        let r = self.rest();
        let len = r
            .char_indices()
            .take_while(|(i, c)| {
                (*i == 0 && (*c == '+' || *c == '-'))
                    || (*i > 0 && (c.is_ascii_digit() || *c == ':'))
            })
            .count();
        let off = parse_offset(&r[..len])?;
        self.pos += len;
        Some(off)
    }
}

#[derive(Default)]
struct Fields {
    year: Option<i32>,
    month: Option<u32>,
    day: Option<u32>,
    day_of_year: Option<u32>,
    hour: Option<u32>,
    hour12: Option<u32>,
    pm: Option<bool>,
    minute: u32,
    second: u32,
    millis: u32,
    offset: Option<FixedOffset>,
    zone: Option<Tz>,
}

impl Fields {
    fn finish(self, zone: Zone, this_year: i32) -> Option<DateTime<Utc>> {
        let year = self.year.unwrap_or(this_year);
        let date = match (self.day_of_year, self.month) {
            (Some(doy), None) => NaiveDate::from_yo_opt(year, doy)?,
            _ => NaiveDate::from_ymd_opt(year, self.month.unwrap_or(1), self.day.unwrap_or(1))?,
        };
        let hour = match (self.hour, self.hour12, self.pm) {
            (Some(h), _, _) => h,
            (None, Some(h), pm) => (h % 12) + if pm == Some(true) { 12 } else { 0 },
            (None, None, _) => 0,
        };
        let local = date.and_hms_milli_opt(hour, self.minute, self.second, self.millis)?;
        if let Some(off) = self.offset {
            return Zone::Fixed(off).from_local_strict(&local);
        }
        if let Some(tz) = self.zone {
            return Zone::Named(tz).from_local_strict(&local);
        }
        zone.from_local_strict(&local)
    }
}

fn fraction_millis(v: u64, digits: usize) -> u32 {
    let mut v = v;
    let mut d = digits;
    while d > 3 {
        v /= 10;
        d -= 1;
    }
    while d < 3 {
        v *= 10;
        d += 1;
    }
    u32::try_from(v).unwrap_or(0)
}

fn parse_iso(s: &str, zone: Zone) -> Option<DateTime<Utc>> {
    let mut c = Cursor {
        s: s.trim(),
        pos: 0,
    };
    let mut f = Fields::default();
    let neg = c.eat("-");
    let (y, _) = c.digits(4, 4)?;
    let y = i32::try_from(y).ok()?;
    f.year = Some(if neg { -y } else { y });
    if c.eat("-") {
        f.month = Some(u32::try_from(c.digits(2, 2)?.0).ok()?);
        if c.eat("-") {
            f.day = Some(u32::try_from(c.digits(2, 2)?.0).ok()?);
        }
    }
    if c.eat("T") || (f.day.is_some() && c.rest().len() > 1 && c.eat(" ")) {
        f.hour = Some(u32::try_from(c.digits(2, 2)?.0).ok()?);
        if c.eat(":") {
            f.minute = u32::try_from(c.digits(2, 2)?.0).ok()?;
            if c.eat(":") {
                f.second = u32::try_from(c.digits(2, 2)?.0).ok()?;
                if c.eat(".") || c.eat(",") {
                    let (v, n) = c.digits(1, 9)?;
                    f.millis = fraction_millis(v, n);
                }
            }
        }
        if !c.rest().is_empty() {
            f.offset = Some(c.offset()?);
        }
    }
    if !c.rest().is_empty() {
        return None;
    }
    f.finish(zone, 0)
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Matches a full or three-letter English name, case-insensitively; returns its index.
fn eat_name(c: &mut Cursor<'_>, names: &[&str]) -> Option<usize> {
    let lower = c.rest().to_ascii_lowercase();
    for (i, name) in names.iter().enumerate() {
        if lower.starts_with(name) {
            c.pos += name.len();
            return Some(i);
        }
    }
    for (i, name) in names.iter().enumerate() {
        if lower.starts_with(&name[..3]) {
            c.pos += 3;
            return Some(i);
        }
    }
    None
}

fn parse_joda(toks: &[Tok], s: &str, zone: Zone, this_year: i32) -> Option<DateTime<Utc>> {
    let mut c = Cursor { s, pos: 0 };
    let mut f = Fields::default();
    for (i, tok) in toks.iter().enumerate() {
        let adjacent = toks.get(i + 1).is_some_and(Tok::is_numeric);
        let num = |c: &mut Cursor<'_>, width: usize, max: usize| -> Option<u64> {
            if adjacent {
                c.digits(width, width)
            } else {
                c.digits(1, max)
            }
            .map(|(v, _)| v)
        };
        match tok {
            Tok::Literal(l) => {
                if !c.eat(l) {
                    return None;
                }
            }
            Tok::Year(2) => {
                let (v, n) = c.digits(2, 2)?;
                let v = i32::try_from(v).ok()?;
                f.year = Some(if n == 2 { 2000 + v } else { v });
            }
            Tok::Year(n) => {
                let neg = c.eat("-");
                let v = i32::try_from(num(&mut c, (*n).max(4), 9)?).ok()?;
                f.year = Some(if neg { -v } else { v });
            }
            Tok::Month(_) => f.month = Some(u32::try_from(num(&mut c, 2, 2)?).ok()?),
            Tok::MonthName => f.month = Some(u32::try_from(eat_name(&mut c, &MONTHS)? + 1).ok()?),
            Tok::Day => f.day = Some(u32::try_from(num(&mut c, 2, 2)?).ok()?),
            Tok::DayOfYear => f.day_of_year = Some(u32::try_from(num(&mut c, 3, 3)?).ok()?),
            Tok::Hour24 => f.hour = Some(u32::try_from(num(&mut c, 2, 2)?).ok()?),
            Tok::Hour12 => f.hour12 = Some(u32::try_from(num(&mut c, 2, 2)?).ok()?),
            Tok::Minute => f.minute = u32::try_from(num(&mut c, 2, 2)?).ok()?,
            Tok::Second => f.second = u32::try_from(num(&mut c, 2, 2)?).ok()?,
            Tok::Fraction(n) => {
                let (v, d) = if adjacent {
                    c.digits(*n, *n)?
                } else {
                    c.digits(1, 9)?
                };
                f.millis = fraction_millis(v, d);
            }
            Tok::AmPm => {
                let r = c.rest().to_ascii_lowercase();
                if r.starts_with("am") {
                    f.pm = Some(false);
                } else if r.starts_with("pm") {
                    f.pm = Some(true);
                } else {
                    return None;
                }
                c.pos += 2;
            }
            Tok::DayName => {
                eat_name(&mut c, &DAYS)?;
            }
            Tok::Offset => f.offset = Some(c.offset()?),
            Tok::ZoneId => {
                let r = c.rest();
                let len = r
                    .find(|ch: char| {
                        !(ch.is_ascii_alphanumeric() || matches!(ch, '/' | '_' | '-' | '+'))
                    })
                    .unwrap_or(r.len());
                let id = &r[..len];
                match Zone::parse(id)? {
                    Zone::Fixed(off) => f.offset = Some(off),
                    Zone::Named(tz) => f.zone = Some(tz),
                }
                c.pos += len;
            }
        }
    }
    if !c.rest().is_empty() {
        return None;
    }
    f.finish(zone, this_year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joda_patterns_tokenize() {
        assert_eq!(
            tokenize("yyyy-MM-dd'T'HH:mm:ss.SSSZ").unwrap(),
            vec![
                Tok::Year(4),
                Tok::Literal("-".into()),
                Tok::Month(2),
                Tok::Literal("-".into()),
                Tok::Day,
                Tok::Literal("T".into()),
                Tok::Hour24,
                Tok::Literal(":".into()),
                Tok::Minute,
                Tok::Literal(":".into()),
                Tok::Second,
                Tok::Literal(".".into()),
                Tok::Fraction(3),
                Tok::Offset,
            ]
        );
        assert_eq!(
            tokenize("'it''s' MMM").unwrap(),
            vec![Tok::Literal("it's ".into()), Tok::MonthName]
        );
        assert!(tokenize("HH 'open").is_err());
        assert!(tokenize("yyyy z").is_err());
    }

    #[test]
    fn a_pattern_without_year_uses_the_given_year() {
        let toks = tokenize("MMM dd HH:mm:ss").unwrap();
        let utc = Zone::parse("UTC").unwrap();
        let dt = parse_joda(&toks, "Nov 24 22:15:44", utc, 2031).unwrap();
        assert_eq!(dt.to_rfc3339(), "2031-11-24T22:15:44+00:00");
        assert!(parse_joda(&toks, "Nov 24 22:15:44 extra", utc, 2031).is_none());
    }

    #[test]
    fn offsets_parse_in_every_form() {
        for (text, secs) in [
            ("+01:00", 3600),
            ("+0100", 3600),
            ("-05", -18000),
            ("-05:30", -19800),
        ] {
            assert_eq!(
                parse_offset(text).unwrap().local_minus_utc(),
                secs,
                "{text}"
            );
        }
        for bad in ["+1", "01:00", "+01:0", "+abc"] {
            assert!(parse_offset(bad).is_none(), "{bad}");
        }
    }
}
