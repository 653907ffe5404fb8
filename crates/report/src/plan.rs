use serde_json::{Value, json};

use crate::{Error, Fields, Result};

/// How many users and actions the terms aggregations return (the rest is counted as "other").
pub const TERMS_SIZE: u32 = 10;

/// The requests of one report.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Where the fields live.
    pub fields: Fields,
    /// `--since` as Elasticsearch date math (`now-1h`), or `None` for all time.
    pub since: Option<String>,
}

impl Plan {
    /// A plan over `fields`; `since` is a duration such as `1h` (see [`parse_since`]).
    ///
    /// # Errors
    /// [`Error::BadSince`].
    pub fn new(fields: Fields, since: Option<&str>) -> Result<Self> {
        let since = since
            .map(parse_since)
            .transpose()?
            .map(|s| format!("now-{s}"));
        Ok(Self { fields, since })
    }

    fn query(&self) -> Value {
        match &self.since {
            Some(gte) => json!({"bool": {"filter": [
                {"range": {self.fields.time.as_str(): {"gte": gte, "lte": "now"}}}
            ]}}),
            None => json!({"match_all": {}}),
        }
    }

    /// The first request: the time range covered (`min`/`max` of the time field) and the count.
    #[must_use]
    pub fn bounds_body(&self) -> Value {
        let t = self.fields.time.as_str();
        json!({
            "size": 0,
            "track_total_hits": true,
            "query": self.query(),
            "aggs": {
                "t_min": {"min": {"field": t}},
                "t_max": {"max": {"field": t}}
            }
        })
    }

    /// The second request: the three charts, with the histogram interval chosen for the
    /// range `[min_ms, max_ms]`.
    #[must_use]
    pub fn report_body(&self, min_ms: i64, max_ms: i64) -> Value {
        let f = &self.fields;
        let (interval, _) = auto_interval(max_ms.saturating_sub(min_ms));
        json!({
            "size": 0,
            "track_total_hits": true,
            "query": self.query(),
            "aggs": {
                "actions_per_user": {"terms": {"field": f.user, "size": TERMS_SIZE}},
                "levels_over_time": {
                    "date_histogram": {
                        "field": f.time,
                        "fixed_interval": interval,
                        "min_doc_count": 0,
                        "extended_bounds": {"min": min_ms, "max": max_ms}
                    },
                    "aggs": {"level": {"terms": {"field": f.level, "size": TERMS_SIZE}}}
                },
                "duration_per_action": {
                    "terms": {"field": f.action, "size": TERMS_SIZE},
                    "aggs": {"avg_duration": {"avg": {"field": f.duration}}}
                }
            }
        })
    }
}

/// Checks a `--since` duration (`30m`, `1h`, `24h`, `7d`, `2w`, `90s`) and returns it as
/// date math accepts it.
///
/// # Errors
/// [`Error::BadSince`] for anything else.
pub fn parse_since(s: &str) -> Result<String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    if n.is_empty()
        || n.parse::<u32>().map_or(true, |v| v == 0)
        || !matches!(unit, "s" | "m" | "h" | "d" | "w")
    {
        return Err(Error::BadSince(s.to_owned()));
    }
    Ok(t.to_owned())
}

/// Kibana's automatic histogram interval: the range divided by a target of 50 bars, rounded
/// to a readable interval by the same thresholds Kibana (Lens/Vega) uses. Returns the
/// `fixed_interval` string and its length in milliseconds.
#[must_use]
pub fn auto_interval(range_ms: i64) -> (&'static str, i64) {
    const S: i64 = 1000;
    const M: i64 = 60 * S;
    const H: i64 = 60 * M;
    const D: i64 = 24 * H;
    let raw = range_ms.max(0) / 50;
    let rules: [(i64, &'static str, i64); 16] = [
        (500, "100ms", 100),
        (5 * S, "1s", S),
        (7_500, "5s", 5 * S),
        (15 * S, "10s", 10 * S),
        (45 * S, "30s", 30 * S),
        (3 * M, "1m", M),
        (9 * M, "5m", 5 * M),
        (20 * M, "10m", 10 * M),
        (45 * M, "30m", 30 * M),
        (2 * H, "1h", H),
        (6 * H, "3h", 3 * H),
        (24 * H, "12h", 12 * H),
        (7 * D, "24h", D),
        (21 * D, "7d", 7 * D),
        (42 * D, "30d", 30 * D),
        (i64::MAX, "365d", 365 * D),
    ];
    rules
        .iter()
        .find(|(bound, _, _)| raw <= *bound)
        .map_or(("365d", 365 * D), |(_, s, ms)| (*s, *ms))
}
