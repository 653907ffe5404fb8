//! Time zones as Logstash and Elasticsearch name them: `Z`, `UTC`, fixed offsets (`+01:00`,
//! `-0530`, `+02`) and IANA names (`Europe/Berlin`, from chrono-tz's copy of the tz database).
//! The one zone parser of the workspace: the agent's `date` filter and the store's
//! `time_zone` parameters both use it.
//!
//! Local times that a daylight-saving change skips or repeats resolve as Java's
//! `ZonedDateTime.ofLocal` does (which Logstash and Elasticsearch use): a skipped time moves
//! later by the length of the gap, a repeated one takes the earlier offset.

use std::str::FromStr;

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// A time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// A fixed offset from UTC (UTC itself included).
    Fixed(FixedOffset),
    /// An IANA zone, with its daylight-saving rules.
    Named(Tz),
}

impl Zone {
    /// UTC.
    pub fn utc() -> Zone {
        Zone::Fixed(FixedOffset::east_opt(0).expect("0 is a valid offset"))
    }

    /// Parses `Z`, `UTC`, `GMT`, `+01:00`, `-0530`, `+02`, or an IANA name.
    pub fn parse(s: &str) -> Option<Zone> {
        let s = s.trim();
        if matches!(s, "Z" | "z" | "UTC" | "utc" | "GMT" | "UT") {
            return Some(Zone::utc());
        }
        if let Some(off) = parse_offset(s) {
            return Some(Zone::Fixed(off));
        }
        // `UTC+01:00`, `GMT-05:00` (Java's prefixed offsets)
        for p in ["UTC", "GMT", "UT"] {
            if let Some(rest) = s.strip_prefix(p)
                && let Some(off) = parse_offset(rest)
            {
                return Some(Zone::Fixed(off));
            }
        }
        Tz::from_str(s).ok().map(Zone::Named)
    }

    /// Whether this is UTC (or an offset of zero).
    pub fn is_utc(self) -> bool {
        matches!(self, Zone::Fixed(o) if o.local_minus_utc() == 0)
    }

    /// The offset from UTC in force at `utc`, in seconds.
    pub fn offset_secs_at(self, utc: &NaiveDateTime) -> i32 {
        match self {
            Zone::Fixed(o) => o.local_minus_utc(),
            Zone::Named(tz) => tz.offset_from_utc_datetime(utc).fix().local_minus_utc(),
        }
    }

    /// The local wall-clock time of `instant`.
    pub fn to_local(self, instant: DateTime<Utc>) -> NaiveDateTime {
        let utc = instant.naive_utc();
        utc + chrono::Duration::seconds(i64::from(self.offset_secs_at(&utc)))
    }

    /// The fixed offset in force at `instant` (for printing `+01:00`).
    pub fn fixed_at(self, instant: DateTime<Utc>) -> FixedOffset {
        FixedOffset::east_opt(self.offset_secs_at(&instant.naive_utc()))
            .expect("zone offsets are within a day")
    }

    /// The instant of a local wall-clock time (see the module docs for gaps and overlaps).
    pub fn from_local(self, local: &NaiveDateTime) -> Option<DateTime<Utc>> {
        let r = match self {
            Zone::Fixed(o) => o.from_local_datetime(local).map(|t| t.with_timezone(&Utc)),
            Zone::Named(tz) => tz.from_local_datetime(local).map(|t| t.with_timezone(&Utc)),
        };
        match r {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t),
            LocalResult::None => {
                // in a gap: read it with the offset in force before the gap, which lands as
                // far past the gap's end as the time was past its start
                let before = local.checked_sub_signed(chrono::Duration::days(1))?;
                let off = self.offset_secs_at(&before);
                let t = local.checked_sub_signed(chrono::Duration::seconds(i64::from(off)))?;
                Some(t.and_utc())
            }
        }
    }

    /// The instant of a local time, `None` where the local time does not exist (a gap) —
    /// for parsers that reject such input rather than move it.
    pub fn from_local_strict(self, local: &NaiveDateTime) -> Option<DateTime<Utc>> {
        match self {
            Zone::Fixed(o) => match o.from_local_datetime(local) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                    Some(t.with_timezone(&Utc))
                }
                LocalResult::None => None,
            },
            Zone::Named(tz) => match tz.from_local_datetime(local) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                    Some(t.with_timezone(&Utc))
                }
                LocalResult::None => None,
            },
        }
    }
}

/// Parses a fixed offset: `+01:00`, `-0530`, `+02`, `-00:00`.
pub fn parse_offset(s: &str) -> Option<FixedOffset> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || !(digits.len() == 2 || digits.len() == 4) {
        return None;
    }
    if rest.contains(':') && rest.len() != 5 {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = if digits.len() == 4 {
        digits[2..].parse().ok()?
    } else {
        0
    };
    if h > 18 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").expect("local time")
    }

    #[test]
    fn parses_what_logstash_and_elasticsearch_send() {
        for (s, secs) in [
            ("Z", Some(0)),
            ("UTC", Some(0)),
            ("+01:00", Some(3600)),
            ("-0530", Some(-19800)),
            ("+02", Some(7200)),
            ("UTC+03:00", Some(10800)),
            ("+25:00", None),
            ("+1", None),
            ("Mars/Olympus", None),
        ] {
            let got = Zone::parse(s).map(|z| match z {
                Zone::Fixed(o) => o.local_minus_utc(),
                Zone::Named(_) => i32::MAX,
            });
            assert_eq!(got, secs, "{s}");
        }
        assert_eq!(
            Zone::parse("Europe/Berlin"),
            Some(Zone::Named(chrono_tz::Europe::Berlin))
        );
    }

    #[test]
    fn daylight_saving_gaps_and_overlaps_resolve_as_java() {
        let berlin = Zone::parse("Europe/Berlin").expect("zone");
        // 02:30 does not exist on 2024-03-31: 03:30 CEST = 01:30Z
        assert_eq!(
            berlin.from_local(&local("2024-03-31T02:30:00")),
            Some(local("2024-03-31T01:30:00").and_utc())
        );
        assert_eq!(
            berlin.from_local_strict(&local("2024-03-31T02:30:00")),
            None
        );
        // 02:30 happens twice on 2024-10-27: the earlier (CEST, 00:30Z)
        assert_eq!(
            berlin.from_local(&local("2024-10-27T02:30:00")),
            Some(local("2024-10-27T00:30:00").and_utc())
        );
        let summer = NaiveDate::from_ymd_opt(2024, 7, 1)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .expect("date")
            .and_utc();
        assert_eq!(berlin.to_local(summer), local("2024-07-01T14:00:00"));
        assert_eq!(berlin.fixed_at(summer).local_minus_utc(), 7200);
    }
}
