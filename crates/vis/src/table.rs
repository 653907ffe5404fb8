//! The tabified result every panel answers with (Kibana's "tabify"): bucket columns, then metric
//! columns, one row per leaf bucket, and the filter each bucket cell stands for.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::query::Filter;

/// A column of a [`Table`].
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Column {
    /// The bucket or metric id (`<metric id>.<percent>` for percentiles).
    pub id: String,
    /// A readable label.
    pub name: String,
    /// `bucket`, `metric`, or `field` (a saved search's column).
    pub kind: String,
    /// The bucket's type (bucket columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_type: Option<String>,
    /// The metric's type (metric columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_type: Option<String>,
    /// The field, if any.
    pub field: Option<String>,
    /// How to show the values: `string`, `number`, `date`, `range`, `filters`, `day_of_week`,
    /// `hour_of_day`, `any`.
    pub format: String,
}

/// What the backend said about the request as a whole.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// Documents matched.
    pub total: u64,
    /// Backend milliseconds (phases added).
    pub took: u64,
    /// The date histogram's interval used (`auto` resolved).
    pub interval: Option<String>,
    /// The time zone of date buckets.
    pub time_zone: String,
    /// The chart type, or `search`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A panel's numbers.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Table {
    /// Bucket columns (outer first), then metric columns.
    pub columns: Vec<Column>,
    /// One per leaf bucket.
    pub rows: Vec<Vec<Value>>,
    /// `row_filters[i][j]`: the filter selecting row `i`'s value of bucket column `j`.
    pub row_filters: Vec<Vec<Option<Filter>>>,
    /// About the request.
    pub meta: Meta,
}

impl Table {
    /// The number of bucket columns.
    pub fn bucket_columns(&self) -> usize {
        self.columns.iter().filter(|c| c.kind == "bucket").count()
    }

    /// A cell as display text (`Other`, `Missing`, dates in RFC 3339 UTC, numbers as JSON).
    pub fn display(&self, row: usize, col: usize) -> String {
        let Some(v) = self.rows.get(row).and_then(|r| r.get(col)) else {
            return String::new();
        };
        let format = self.columns.get(col).map_or("any", |c| c.format.as_str());
        display_value(v, format)
    }
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// A value as display text for a column format.
pub fn display_value(v: &Value, format: &str) -> String {
    match (v, format) {
        (Value::String(s), _) if s == crate::OTHER_KEY => "Other".to_owned(),
        (Value::String(s), _) if s == crate::MISSING_KEY => "Missing".to_owned(),
        (Value::Number(n), "date") => n
            .as_i64()
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map_or_else(
                || n.to_string(),
                |d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
        (Value::Number(n), "day_of_week") => n
            .as_u64()
            .and_then(|d| usize::try_from(d).ok())
            .and_then(|d| d.checked_sub(1))
            .and_then(|d| DAYS.get(d))
            .map_or_else(|| n.to_string(), |d| (*d).to_owned()),
        (Value::Number(n), _) => match n.as_f64() {
            Some(f) if n.is_f64() => {
                let s = format!("{f:.3}");
                s.trim_end_matches('0').trim_end_matches('.').to_owned()
            }
            _ => n.to_string(),
        },
        (Value::String(s), _) => s.clone(),
        (Value::Null, _) => "-".to_owned(),
        (other, _) => other.to_string(),
    }
}
