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

    /// [`Self::query`] limited to the bounds the first request saw, so that events made
    /// searchable between the two requests (a refresh) cannot fall outside the histogram's
    /// `extended_bounds` and multiply its buckets.
    fn query_within(&self, min_ms: i64, max_ms: i64) -> Value {
        let within = json!({"range": {self.fields.time.as_str():
            {"gte": min_ms, "lte": max_ms, "format": "epoch_millis"}}});
        match &self.since {
            Some(gte) => json!({"bool": {"filter": [
                {"range": {self.fields.time.as_str(): {"gte": gte, "lte": "now"}}},
                within
            ]}}),
            None => json!({"bool": {"filter": [within]}}),
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

    /// The second request: the three charts over the events in `[min_ms, max_ms]` (what the
    /// first request saw), with the histogram interval chosen for that range.
    #[must_use]
    pub fn report_body(&self, min_ms: i64, max_ms: i64) -> Value {
        let f = &self.fields;
        let (interval, _) = auto_interval(max_ms.saturating_sub(min_ms));
        json!({
            "size": 0,
            "track_total_hits": true,
            "query": self.query_within(min_ms, max_ms),
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

pub use vis::interval::auto_interval;
