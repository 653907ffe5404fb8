use serde::Serialize;
use serde_json::Value;

use crate::{Error, Fields, Result, auto_interval};

/// The numbers behind the three charts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The index pattern reported on.
    pub index: String,
    /// Where the fields were found.
    pub fields: Fields,
    /// Matching events.
    pub total: u64,
    /// The histogram interval (`fixed_interval`), chosen from the range.
    pub interval: String,
    /// The same interval in milliseconds.
    pub interval_ms: i64,
    /// Pie: events per user, largest first.
    pub actions_per_user: Vec<UserSlice>,
    /// Events whose user is outside the listed slices (`sum_other_doc_count`).
    pub other_users: u64,
    /// Stacked histogram: events per level per time bucket.
    pub levels_over_time: Vec<TimeBucket>,
    /// Every level seen, most frequent first (the stacking order).
    pub levels: Vec<String>,
    /// Bar: average duration per action, in seconds.
    pub duration_per_action: Vec<ActionDuration>,
}

/// One pie slice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserSlice {
    /// The user.
    pub user: String,
    /// Their events.
    pub count: u64,
}

/// One histogram bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeBucket {
    /// Bucket start, epoch milliseconds.
    pub start_ms: i64,
    /// Bucket start as the server formats it.
    pub start: String,
    /// Events in the bucket.
    pub count: u64,
    /// Events per level, in [`Report::levels`] order where present.
    pub by_level: Vec<(String, u64)>,
}

/// One bar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionDuration {
    /// The action.
    pub action: String,
    /// Events with this action.
    pub count: u64,
    /// Their average duration in seconds (`None` when none has a duration).
    pub avg_seconds: Option<f64>,
}

impl Report {
    /// Reads the response to [`crate::Plan::report_body`].
    ///
    /// # Errors
    /// [`Error::BadResponse`] naming the missing part.
    pub fn from_response(
        index: &str,
        fields: &Fields,
        range_ms: i64,
        resp: &Value,
    ) -> Result<Self> {
        let aggs = resp
            .get("aggregations")
            .ok_or_else(|| bad("no `aggregations`"))?;
        let total = total_hits(resp)?;
        let (slices, other_users) = terms(aggs, "actions_per_user")?;
        let actions_per_user = slices
            .iter()
            .map(|b| {
                Ok(UserSlice {
                    user: key(b)?,
                    count: doc_count(b)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;

        let mut level_totals: Vec<(String, u64)> = Vec::new();
        let mut levels_over_time = Vec::new();
        for b in buckets(aggs, "levels_over_time")? {
            let mut by_level = Vec::new();
            let (lv, _) = terms(b, "level")?;
            for l in lv {
                let (k, n) = (key(l)?, doc_count(l)?);
                match level_totals.iter_mut().find(|(name, _)| *name == k) {
                    Some(t) => t.1 += n,
                    None => level_totals.push((k.clone(), n)),
                }
                by_level.push((k, n));
            }
            levels_over_time.push(TimeBucket {
                start_ms: b
                    .get("key")
                    .and_then(Value::as_i64)
                    .ok_or_else(|| bad("a histogram bucket without a numeric `key`"))?,
                start: b
                    .get("key_as_string")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                count: doc_count(b)?,
                by_level,
            });
        }
        level_totals.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let levels: Vec<String> = level_totals.into_iter().map(|(k, _)| k).collect();
        for b in &mut levels_over_time {
            b.by_level
                .sort_by_key(|(k, _)| levels.iter().position(|l| l == k));
        }

        let (actions, _) = terms(aggs, "duration_per_action")?;
        let duration_per_action = actions
            .iter()
            .map(|b| {
                Ok(ActionDuration {
                    action: key(b)?,
                    count: doc_count(b)?,
                    avg_seconds: b
                        .pointer("/avg_duration/value")
                        .and_then(Value::as_f64)
                        .map(|v| v * fields.duration_scale),
                })
            })
            .collect::<Result<Vec<_>>>()?;

        Ok(Self {
            index: index.to_owned(),
            fields: fields.clone(),
            total,
            interval: auto_interval(range_ms).0.to_owned(),
            interval_ms: auto_interval(range_ms).1,
            actions_per_user,
            other_users,
            levels_over_time,
            levels,
            duration_per_action,
        })
    }
}

/// `hits.total` as ES 7+ writes it (`{"value": n}`) or as a bare number (ES 6, OpenSearch
/// with `rest_total_hits_as_int`).
pub(crate) fn total_hits(resp: &Value) -> Result<u64> {
    let t = resp
        .pointer("/hits/total")
        .ok_or_else(|| bad("no `hits.total`"))?;
    t.as_u64()
        .or_else(|| t.get("value").and_then(Value::as_u64))
        .ok_or_else(|| bad("`hits.total` is neither a number nor {value}"))
}

fn bad(what: &str) -> Error {
    Error::BadResponse(what.to_owned())
}

fn buckets<'a>(parent: &'a Value, name: &str) -> Result<&'a Vec<Value>> {
    parent
        .get(name)
        .and_then(|a| a.get("buckets"))
        .and_then(Value::as_array)
        .ok_or_else(|| Error::BadResponse(format!("aggregation `{name}` has no `buckets` array")))
}

fn terms<'a>(parent: &'a Value, name: &str) -> Result<(&'a Vec<Value>, u64)> {
    let other = parent
        .get(name)
        .and_then(|a| a.get("sum_other_doc_count"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    Ok((buckets(parent, name)?, other))
}

fn key(b: &Value) -> Result<String> {
    match b.get("key") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::Bool(v)) => Ok(v.to_string()),
        _ => Err(bad("a bucket without a `key`")),
    }
}

fn doc_count(b: &Value) -> Result<u64> {
    b.get("doc_count")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad("a bucket without a `doc_count`"))
}

/// Reads the response to [`crate::Plan::bounds_body`]: `(min_ms, max_ms, total)`, or `None`
/// for the range when nothing matched.
///
/// # Errors
/// [`Error::BadResponse`].
pub fn read_bounds(resp: &Value) -> Result<(Option<(i64, i64)>, u64)> {
    let total = total_hits(resp)?;
    let get = |name: &str| {
        resp.pointer(&format!("/aggregations/{name}/value"))
            .and_then(Value::as_f64)
    };
    #[allow(clippy::cast_possible_truncation)]
    let range = match (get("t_min"), get("t_max")) {
        (Some(a), Some(b)) => Some((a as i64, b as i64)),
        _ => None,
    };
    Ok((range, total))
}
