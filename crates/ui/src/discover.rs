//! Discover's searches: the browser's state (query, language, filters, time range, sort,
//! paging, histogram interval) turned into one Elasticsearch `_search` body, and its answer
//! into the UI API's shape. Only public Elasticsearch APIs are used, so the same request works
//! against sluice-store, Elasticsearch 8 and OpenSearch 2.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{Error, Result};

/// Most rows one page may ask for (Elasticsearch's `index.max_result_window`).
pub const MAX_PAGE: u32 = 10_000;
/// Most histogram buckets one request may produce.
pub const MAX_BUCKETS: i64 = 2_000;

/// `POST /api/search` and `POST /api/count`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchRequest {
    /// Index pattern(s), comma-separated (`python-logs-*`).
    pub index: String,
    /// The data view's time field; `None`: no time filter, no histogram, sort by `_doc`.
    #[serde(default)]
    pub time_field: Option<String>,
    /// The query bar.
    #[serde(default)]
    pub query: QueryBar,
    /// Filter pills.
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// Start of the time range (epoch ms, inclusive).
    #[serde(default)]
    pub from: Option<i64>,
    /// End of the time range (epoch ms, inclusive).
    #[serde(default)]
    pub to: Option<i64>,
    /// Time sort (default newest first).
    #[serde(default)]
    pub sort: SortOrder,
    /// Rows per page (default 50, at most 10,000).
    #[serde(default)]
    pub size: Option<u32>,
    /// The `sort` values of the previous page's last hit.
    #[serde(default)]
    pub search_after: Option<Vec<Value>>,
    /// Hits-over-time histogram, when wanted.
    #[serde(default)]
    pub histogram: Option<Histogram>,
    /// Columns shown (accepted for symmetry with saved searches; all of `_source` is returned).
    #[serde(default)]
    pub columns: Vec<String>,
}

pub use vis::query::{Filter, Language, QueryBar};

/// Time sort order.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Newest first.
    #[default]
    Desc,
    /// Oldest first.
    Asc,
}

impl SortOrder {
    fn as_str(self) -> &'static str {
        match self {
            SortOrder::Desc => "desc",
            SortOrder::Asc => "asc",
        }
    }
}

/// The histogram's interval: fixed `Ns|Nm|Nh|Nd` or calendar `1w|1M|1q|1y`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Histogram {
    /// The interval.
    pub interval: String,
}

/// An interval as a date histogram wants it.
#[derive(Debug, Clone, PartialEq)]
enum Interval {
    Fixed { text: String, ms: i64 },
    Calendar { text: String, approx_ms: i64 },
}

fn parse_interval(s: &str) -> Result<Interval> {
    let bad = || {
        Error::bad_request(format!(
            "invalid histogram interval [{s}]: use a fixed interval such as 30s, 5m, 3h, 1d, or a calendar interval 1w, 1M, 1q, 1y"
        ))
    };
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().map_err(|_| bad())?;
    if n <= 0 {
        return Err(bad());
    }
    let fixed = |unit_ms: i64| Interval::Fixed {
        text: s.to_owned(),
        ms: n.saturating_mul(unit_ms),
    };
    let calendar = |approx_ms: i64| {
        if n == 1 {
            Ok(Interval::Calendar {
                text: s.to_owned(),
                approx_ms,
            })
        } else {
            Err(bad())
        }
    };
    match unit {
        "ms" => Ok(fixed(1)),
        "s" => Ok(fixed(1_000)),
        "m" => Ok(fixed(60_000)),
        "h" => Ok(fixed(3_600_000)),
        "d" => Ok(fixed(86_400_000)),
        "w" => calendar(7 * 86_400_000),
        "M" => calendar(30 * 86_400_000),
        "q" => calendar(91 * 86_400_000),
        "y" => calendar(365 * 86_400_000),
        _ => Err(bad()),
    }
}

/// Characters that would change the meaning of the request path if an index pattern held them.
fn check_index(index: &str) -> Result<()> {
    if index.is_empty() {
        return Err(Error::bad_request("[index] must not be empty"));
    }
    if let Some(c) = index.chars().find(|c| {
        matches!(c, '/' | '?' | '#' | '%' | '\\' | '"') || c.is_whitespace() || c.is_control()
    }) {
        return Err(Error::bad_request(format!(
            "invalid index pattern [{index}]: it must not contain {c:?}"
        )));
    }
    Ok(())
}

/// The query clause of the query bar alone (`match_all` when empty).
///
/// # Errors
/// A KQL syntax error with its position (`kql_syntax_error`).
pub fn query_clause(bar: &QueryBar) -> Result<Value> {
    Ok(vis::query::query_clause(bar)?)
}

/// The whole `query` of a request: the query bar, the enabled filters and the time range.
///
/// # Errors
/// As [`query_clause`]; a filter or range that makes no sense.
pub fn build_query(req: &SearchRequest) -> Result<Value> {
    let mut filter = vec![query_clause(&req.query)?];
    let mut must_not = Vec::new();
    for (i, f) in req.filters.iter().enumerate().filter(|(_, f)| !f.disabled) {
        let clause = f.clause(&format!("filters[{i}]"))?;
        if f.negate {
            must_not.push(clause);
        } else {
            filter.push(clause);
        }
    }
    if let Some(tf) = &req.time_field {
        if let (Some(from), Some(to)) = (req.from, req.to)
            && from > to
        {
            return Err(Error::bad_request(format!(
                "the time range starts ({from}) after it ends ({to})"
            )));
        }
        let mut range = serde_json::Map::new();
        if let Some(from) = req.from {
            range.insert("gte".into(), Value::from(from));
        }
        if let Some(to) = req.to {
            range.insert("lte".into(), Value::from(to));
        }
        if !range.is_empty() {
            range.insert("format".into(), Value::from("epoch_millis"));
            filter.push(json!({"range": { tf.as_str(): range }}));
        }
    }
    Ok(json!({"bool": {"filter": filter, "must_not": must_not}}))
}

/// The `_search` body and path of a Discover request.
///
/// # Errors
/// Invalid requests (`bad_request`) and KQL syntax errors.
pub fn search_body(req: &SearchRequest) -> Result<(String, Value)> {
    check_index(&req.index)?;
    let size = req.size.unwrap_or(50);
    if size > MAX_PAGE {
        return Err(Error::bad_request(format!(
            "[size] {size} is more than {MAX_PAGE}: page with searchAfter instead"
        )));
    }
    let mut body = json!({
        "size": size,
        "track_total_hits": true,
        "query": build_query(req)?,
    });
    let order = req.sort.as_str();
    body["sort"] = match &req.time_field {
        Some(tf) => json!([
            { tf.as_str(): {"order": order, "unmapped_type": "boolean"} },
            { "_doc": {"order": order} }
        ]),
        None => json!([{ "_doc": {"order": order} }]),
    };
    if let Some(after) = &req.search_after {
        let want = body["sort"].as_array().map_or(0, Vec::len);
        if after.len() != want {
            return Err(Error::bad_request(format!(
                "[searchAfter] has {} values; the sort has {want}",
                after.len()
            )));
        }
        body["search_after"] = Value::from(after.clone());
    }
    if !req.query.query.trim().is_empty() {
        body["highlight"] = json!({
            "pre_tags": ["<mark>"],
            "post_tags": ["</mark>"],
            "fields": {"*": {}},
            "number_of_fragments": 0,
            "require_field_match": false
        });
    }
    if let (Some(h), Some(tf)) = (&req.histogram, &req.time_field) {
        body["aggs"] = histogram_agg(h, tf, req.from, req.to)?;
    }
    Ok((format!("/{}/_search", req.index), body))
}

fn histogram_agg(h: &Histogram, tf: &str, from: Option<i64>, to: Option<i64>) -> Result<Value> {
    let interval = parse_interval(&h.interval)?;
    let (key, text, step) = match &interval {
        Interval::Fixed { text, ms } => ("fixed_interval", text, *ms),
        Interval::Calendar { text, approx_ms } => ("calendar_interval", text, *approx_ms),
    };
    let mut agg = json!({ "field": tf, key: text, "min_doc_count": 1 });
    if let (Some(from), Some(to)) = (from, to) {
        let buckets = (to - from) / step.max(1);
        if buckets > MAX_BUCKETS {
            return Err(Error::bad_request(format!(
                "the interval [{text}] makes {buckets} buckets over this time range (at most {MAX_BUCKETS}): choose a larger interval"
            )));
        }
        agg["min_doc_count"] = Value::from(0);
        agg["extended_bounds"] = json!({"min": from, "max": to});
    } else {
        // no bounds: buckets only where documents are, but never more than the limit
        agg["min_doc_count"] = Value::from(1);
    }
    Ok(json!({"hits_over_time": {"date_histogram": agg}}))
}

/// The `_count` body and path of a Discover request.
///
/// # Errors
/// As [`search_body`].
pub fn count_body(req: &SearchRequest) -> Result<(String, Value)> {
    check_index(&req.index)?;
    Ok((
        format!("/{}/_count", req.index),
        json!({"query": build_query(req)?}),
    ))
}

/// The UI API's answer to a search, from the backend's `_search` response.
pub fn search_answer(req: &SearchRequest, resp: &Value) -> Value {
    let (total, relation) = match &resp["hits"]["total"] {
        Value::Number(n) => (n.as_u64().unwrap_or(0), "eq"),
        v => (
            v["value"].as_u64().unwrap_or(0),
            if v["relation"] == "gte" { "gte" } else { "eq" },
        ),
    };
    let hits: Vec<Value> = resp["hits"]["hits"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|h| {
                    let mut out = json!({
                        "_index": h["_index"],
                        "_id": h["_id"],
                        "_source": h.get("_source").cloned().unwrap_or_else(|| json!({})),
                        "sort": h.get("sort").cloned().unwrap_or_else(|| json!([])),
                    });
                    if let Some(hl) = h.get("highlight") {
                        out["highlight"] = hl.clone();
                    }
                    out
                })
                .collect()
        })
        .unwrap_or_default();
    let histogram = match (
        &req.histogram,
        &resp["aggregations"]["hits_over_time"]["buckets"],
    ) {
        (Some(h), Value::Array(buckets)) => json!({
            "interval": h.interval,
            "buckets": buckets.iter().map(|b| json!({"key": b["key"], "count": b["doc_count"]})).collect::<Vec<_>>(),
        }),
        _ => Value::Null,
    };
    json!({
        "total": total,
        "totalRelation": relation,
        "took": resp["took"],
        "hits": hits,
        "histogram": histogram,
    })
}

#[cfg(test)]
mod tests;
