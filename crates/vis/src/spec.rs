//! The visualization spec (Kibana's aggregation-based editor state) and its checks. Every
//! problem is reported with the path of the member (`spec.buckets[1].interval`).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::query::{Filter, QueryBar};

/// Most metrics in one spec.
pub const MAX_METRICS: usize = 10;
/// Most buckets (levels) in one spec.
pub const MAX_BUCKETS: usize = 3;
/// Most terms one terms bucket may ask for.
pub const MAX_TERMS: u32 = 500;
/// Most ranges or filters in one bucket.
pub const MAX_RANGES: usize = 100;
/// Most percents of one percentiles metric.
pub const MAX_PERCENTS: usize = 20;

/// Chart types.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum VisType {
    /// Pie or donut.
    Pie,
    /// Vertical bars.
    Bar,
    /// Horizontal bars.
    Hbar,
    /// Line over an x axis.
    Line,
    /// Area over an x axis.
    Area,
    /// Big numbers.
    Metric,
    /// Data table.
    Table,
    /// Hour of day × day of week.
    Heatmap,
}

impl VisType {
    /// The name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            VisType::Pie => "pie",
            VisType::Bar => "bar",
            VisType::Hbar => "hbar",
            VisType::Line => "line",
            VisType::Area => "area",
            VisType::Metric => "metric",
            VisType::Table => "table",
            VisType::Heatmap => "heatmap",
        }
    }
}

/// A visualization spec.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Spec {
    /// Chart type.
    #[serde(rename = "type")]
    pub kind: VisType,
    /// The data view's id.
    pub data_view: String,
    /// The visualization's own query (ANDed with the global one).
    #[serde(default)]
    pub query: QueryBar,
    /// The visualization's own filters.
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// Metrics, at least one.
    pub metrics: Vec<MetricSpec>,
    /// Buckets, outermost first.
    #[serde(default)]
    pub buckets: Vec<BucketSpec>,
    /// Drawing options (the server keeps them; the browser and report use them).
    #[serde(default)]
    pub params: Params,
}

/// Drawing options.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Params {
    /// Stack the series (bar, area); default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stacked: Option<bool>,
    /// `top`, `bottom`, `left`, `right` (default right).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legend_position: Option<LegendPosition>,
    /// Values printed on bars and slices; default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_labels: Option<bool>,
    /// A pie with a hole; default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub donut: Option<bool>,
}

/// Where the legend goes.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LegendPosition {
    /// Above.
    Top,
    /// Below.
    Bottom,
    /// Left.
    Left,
    /// Right.
    Right,
}

/// Metric types.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MetricType {
    /// Documents.
    Count,
    /// Average.
    Avg,
    /// Sum.
    Sum,
    /// Minimum.
    Min,
    /// Maximum.
    Max,
    /// Unique count (`cardinality`).
    Cardinality,
    /// The 50th percentile.
    Median,
    /// Percentiles.
    Percentiles,
    /// The last value by a sort field (`top_hits`, size 1).
    TopHit,
}

impl MetricType {
    /// The name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Count => "count",
            MetricType::Avg => "avg",
            MetricType::Sum => "sum",
            MetricType::Min => "min",
            MetricType::Max => "max",
            MetricType::Cardinality => "cardinality",
            MetricType::Median => "median",
            MetricType::Percentiles => "percentiles",
            MetricType::TopHit => "top_hit",
        }
    }

    /// Whether terms can be ordered by it.
    pub fn orders_terms(self) -> bool {
        matches!(
            self,
            MetricType::Count
                | MetricType::Avg
                | MetricType::Sum
                | MetricType::Min
                | MetricType::Max
                | MetricType::Cardinality
        )
    }
}

/// One metric.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricSpec {
    /// Its id (unique over metrics and buckets).
    pub id: String,
    /// What it computes.
    #[serde(rename = "type")]
    pub kind: MetricType,
    /// The field (all but count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Percentiles' percents (default 1, 5, 25, 50, 75, 95, 99).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percents: Option<Vec<f64>>,
    /// top_hit: the field that orders (default the data view's time field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_field: Option<String>,
}

impl MetricSpec {
    /// The percents this metric asks for (median: 50).
    pub fn percents(&self) -> Vec<f64> {
        match self.kind {
            MetricType::Median => vec![50.0],
            _ => self
                .percents
                .clone()
                .unwrap_or_else(|| vec![1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0]),
        }
    }
}

/// Bucket roles.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// x axis, slices.
    X,
    /// Series, outer ring, metric tiles.
    Split,
    /// Table rows.
    Rows,
}

/// Bucket types.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BucketType {
    /// Top terms.
    Terms,
    /// Time buckets.
    DateHistogram,
    /// Numeric buckets of a fixed width.
    Histogram,
    /// Numeric ranges.
    Range,
    /// Queries.
    Filters,
}

impl BucketType {
    /// The name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            BucketType::Terms => "terms",
            BucketType::DateHistogram => "date_histogram",
            BucketType::Histogram => "histogram",
            BucketType::Range => "range",
            BucketType::Filters => "filters",
        }
    }
}

/// Terms order.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// A metric id, `_count` or `_key`.
    pub by: String,
    /// Direction.
    #[serde(default)]
    pub dir: Dir,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    /// Largest first.
    #[default]
    Desc,
    /// Smallest first.
    Asc,
}

impl Dir {
    /// `asc` or `desc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dir::Desc => "desc",
            Dir::Asc => "asc",
        }
    }
}

/// One numeric range.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RangeSpec {
    /// Inclusive start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<f64>,
    /// Exclusive end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<f64>,
    /// Its label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// One query of a filters bucket.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    /// The query text.
    pub query: String,
    /// Its language (default KQL).
    #[serde(default)]
    pub language: crate::query::Language,
    /// Its label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl FilterSpec {
    /// Its label, else its query text (`*` when empty).
    pub fn display(&self) -> String {
        match &self.label {
            Some(l) if !l.is_empty() => l.clone(),
            _ if self.query.trim().is_empty() => "*".to_owned(),
            _ => self.query.clone(),
        }
    }
}

/// One bucket level.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BucketSpec {
    /// Its id.
    pub id: String,
    /// How it is drawn.
    pub role: Role,
    /// What it groups by.
    #[serde(rename = "type")]
    pub kind: BucketType,
    /// The field (all but filters; date_histogram defaults to the time field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// terms: how many (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
    /// terms: order (default by count, descending).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    /// terms: an "Other" row for the rest.
    #[serde(default)]
    pub other_bucket: bool,
    /// terms: a "Missing" row for documents without the field.
    #[serde(default)]
    pub missing_bucket: bool,
    /// date_histogram: `auto`, fixed or calendar (default auto).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// histogram: the width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram_interval: Option<f64>,
    /// range: the ranges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranges: Option<Vec<RangeSpec>>,
    /// filters: the queries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<FilterSpec>>,
}

impl BucketSpec {
    /// terms size (default 5).
    pub fn terms_size(&self) -> u32 {
        self.size.unwrap_or(5)
    }
}

/// Reads a spec from JSON, naming the member serde could not take.
///
/// # Errors
/// [`Error::Invalid`] at `path`.
pub fn from_json(v: &serde_json::Value, path: &str) -> Result<Spec> {
    Spec::deserialize(v).map_err(|e| Error::invalid(path, e.to_string()))
}

fn check_id(id: &str, path: &str, seen: &mut HashSet<String>) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 32
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(Error::invalid(
            format!("{path}.id"),
            format!("invalid id [{id}]: use 1-32 characters of a-z, A-Z, 0-9, '-', '_'"),
        ));
    }
    if !seen.insert(id.to_owned()) {
        return Err(Error::invalid(
            format!("{path}.id"),
            format!("the id [{id}] is used twice"),
        ));
    }
    Ok(())
}

fn check_field(f: Option<&String>, path: &str, what: &str) -> Result<()> {
    match f {
        Some(s) if !s.trim().is_empty() => Ok(()),
        _ => Err(Error::invalid(
            format!("{path}.field"),
            format!("required for {what}"),
        )),
    }
}

impl Spec {
    /// Checks everything that does not need the data: counts, ids, required members, roles per
    /// chart type, intervals' syntax, KQL of filters buckets. `path` prefixes member names.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the first bad member; [`Error::Kql`] for a bad query.
    pub fn check(&self, path: &str) -> Result<()> {
        if self.data_view.trim().is_empty() {
            return Err(Error::invalid(
                format!("{path}.dataView"),
                "a visualization needs a data view id",
            ));
        }
        if self.metrics.is_empty() || self.metrics.len() > MAX_METRICS {
            return Err(Error::invalid(
                format!("{path}.metrics"),
                format!("give 1 to {MAX_METRICS} metrics"),
            ));
        }
        if self.buckets.len() > MAX_BUCKETS {
            return Err(Error::invalid(
                format!("{path}.buckets"),
                format!("at most {MAX_BUCKETS} buckets"),
            ));
        }
        crate::query::query_clause(&self.query)?;
        for (i, f) in self.filters.iter().enumerate() {
            f.clause(&format!("{path}.filters[{i}]"))?;
        }
        let mut ids = HashSet::new();
        for (i, m) in self.metrics.iter().enumerate() {
            let p = format!("{path}.metrics[{i}]");
            check_id(&m.id, &p, &mut ids)?;
            self.check_metric(m, &p)?;
        }
        for (i, b) in self.buckets.iter().enumerate() {
            let p = format!("{path}.buckets[{i}]");
            check_id(&b.id, &p, &mut ids)?;
            self.check_bucket(b, &p)?;
        }
        self.check_roles(path)
    }

    fn check_metric(&self, m: &MetricSpec, p: &str) -> Result<()> {
        if m.kind != MetricType::Count {
            check_field(m.field.as_ref(), p, m.kind.as_str())?;
        }
        if m.percents.is_some() && m.kind != MetricType::Percentiles {
            return Err(Error::invalid(
                format!("{p}.percents"),
                "only a percentiles metric takes percents",
            ));
        }
        if let Some(ps) = &m.percents {
            if ps.is_empty() || ps.len() > MAX_PERCENTS {
                return Err(Error::invalid(
                    format!("{p}.percents"),
                    format!("give 1 to {MAX_PERCENTS} percents"),
                ));
            }
            if let Some(bad) = ps.iter().find(|x| !(0.0..=100.0).contains(*x)) {
                return Err(Error::invalid(
                    format!("{p}.percents"),
                    format!("{bad} is not a percent between 0 and 100"),
                ));
            }
        }
        if m.sort_field.is_some() && m.kind != MetricType::TopHit {
            return Err(Error::invalid(
                format!("{p}.sortField"),
                "only a top_hit metric takes a sortField",
            ));
        }
        if self.kind == VisType::Heatmap
            && !matches!(
                m.kind,
                MetricType::Count
                    | MetricType::Sum
                    | MetricType::Min
                    | MetricType::Max
                    | MetricType::Avg
            )
        {
            return Err(Error::invalid(
                format!("{p}.type"),
                format!(
                    "a heat map folds 15-minute buckets into hours, so its metric must be count, sum, min, max or avg, not {}",
                    m.kind.as_str()
                ),
            ));
        }
        Ok(())
    }

    fn check_bucket(&self, b: &BucketSpec, p: &str) -> Result<()> {
        let only = |set: bool, member: &str, kind: &str| {
            if set && b.kind.as_str() != kind {
                Err(Error::invalid(
                    format!("{p}.{member}"),
                    format!("only a {kind} bucket takes {member}"),
                ))
            } else {
                Ok(())
            }
        };
        only(b.size.is_some(), "size", "terms")?;
        only(b.order.is_some(), "order", "terms")?;
        only(b.other_bucket, "otherBucket", "terms")?;
        only(b.missing_bucket, "missingBucket", "terms")?;
        only(b.interval.is_some(), "interval", "date_histogram")?;
        only(
            b.histogram_interval.is_some(),
            "histogramInterval",
            "histogram",
        )?;
        only(b.ranges.is_some(), "ranges", "range")?;
        only(b.filters.is_some(), "filters", "filters")?;
        match b.kind {
            BucketType::Terms => {
                check_field(b.field.as_ref(), p, "terms")?;
                let size = b.terms_size();
                if size == 0 || size > MAX_TERMS {
                    return Err(Error::invalid(
                        format!("{p}.size"),
                        format!("{size} is not between 1 and {MAX_TERMS}"),
                    ));
                }
                if let Some(o) = &b.order
                    && o.by != "_count"
                    && o.by != "_key"
                {
                    let m = self.metrics.iter().find(|m| m.id == o.by).ok_or_else(|| {
                        Error::invalid(
                            format!("{p}.order.by"),
                            format!(
                                "no metric has the id [{}]; use a metric id, _count or _key",
                                o.by
                            ),
                        )
                    })?;
                    if !m.kind.orders_terms() {
                        return Err(Error::invalid(
                            format!("{p}.order.by"),
                            format!(
                                "a {} metric cannot order terms; use a count, avg, sum, min, max or cardinality metric",
                                m.kind.as_str()
                            ),
                        ));
                    }
                }
            }
            BucketType::DateHistogram => {
                if let Some(i) = &b.interval {
                    crate::interval::parse(i)
                        .map_err(|reason| Error::invalid(format!("{p}.interval"), reason))?;
                }
            }
            BucketType::Histogram => {
                check_field(b.field.as_ref(), p, "histogram")?;
                match b.histogram_interval {
                    Some(x) if x > 0.0 && x.is_finite() => {}
                    _ => {
                        return Err(Error::invalid(
                            format!("{p}.histogramInterval"),
                            "a histogram needs a histogramInterval greater than 0",
                        ));
                    }
                }
            }
            BucketType::Range => {
                check_field(b.field.as_ref(), p, "range")?;
                let rs = b.ranges.as_deref().unwrap_or_default();
                if rs.is_empty() || rs.len() > MAX_RANGES {
                    return Err(Error::invalid(
                        format!("{p}.ranges"),
                        format!("give 1 to {MAX_RANGES} ranges"),
                    ));
                }
                for (j, r) in rs.iter().enumerate() {
                    if let (Some(a), Some(z)) = (r.from, r.to)
                        && a > z
                    {
                        return Err(Error::invalid(
                            format!("{p}.ranges[{j}]"),
                            format!("from {a} is after to {z}"),
                        ));
                    }
                }
            }
            BucketType::Filters => {
                let fs = b.filters.as_deref().unwrap_or_default();
                if fs.is_empty() || fs.len() > MAX_RANGES {
                    return Err(Error::invalid(
                        format!("{p}.filters"),
                        format!("give 1 to {MAX_RANGES} filters"),
                    ));
                }
                if b.field.is_some() {
                    return Err(Error::invalid(
                        format!("{p}.field"),
                        "a filters bucket takes no field",
                    ));
                }
                for (j, f) in fs.iter().enumerate() {
                    crate::query::query_clause(&QueryBar {
                        language: f.language,
                        query: f.query.clone(),
                    })
                    .map_err(|e| match e {
                        Error::Kql(k) => {
                            Error::invalid(format!("{p}.filters[{j}].query"), k.to_string())
                        }
                        other => other,
                    })?;
                }
            }
        }
        Ok(())
    }

    fn check_roles(&self, path: &str) -> Result<()> {
        let roles: Vec<Role> = self.buckets.iter().map(|b| b.role).collect();
        let bad =
            |i: usize, why: String| Err(Error::invalid(format!("{path}.buckets[{i}].role"), why));
        let t = self.kind.as_str();
        match self.kind {
            VisType::Heatmap => {
                if !roles.is_empty() {
                    return bad(0, "a heat map takes no buckets (it is hour of day × day of week of the time field)".into());
                }
            }
            VisType::Metric => {
                if roles.len() > 1 || roles.iter().any(|r| *r != Role::Split) {
                    return bad(
                        0,
                        "a metric visualization takes at most one bucket, with role split".into(),
                    );
                }
            }
            VisType::Table => {
                if let Some(i) = roles.iter().position(|r| *r != Role::Rows) {
                    return bad(i, "a table's buckets have role rows".into());
                }
            }
            VisType::Pie | VisType::Bar | VisType::Hbar | VisType::Line | VisType::Area => {
                if !matches!(
                    roles.as_slice(),
                    [] | [Role::X] | [Role::Split] | [Role::X, Role::Split]
                ) {
                    return bad(
                        roles.len() - 1,
                        format!(
                            "a {t} chart takes an x bucket, a split bucket, or both in that order"
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    /// The date histogram bucket, if any.
    pub fn date_histogram(&self) -> Option<&BucketSpec> {
        self.buckets
            .iter()
            .find(|b| b.kind == BucketType::DateHistogram)
    }
}
