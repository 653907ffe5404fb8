//! The query bar and filter pills (Kibana's shapes) and their query DSL: one translation used by
//! Discover, visualizations and dashboards.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// The query bar: text and language.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QueryBar {
    /// `kuery` (KQL, the default) or `lucene`.
    #[serde(default)]
    pub language: Language,
    /// The text; empty matches everything.
    #[serde(default)]
    pub query: String,
}

/// Query languages of the query bar.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Kibana Query Language.
    #[default]
    Kuery,
    /// Lucene syntax (`query_string`).
    Lucene,
}

/// Bounds of a range filter: numbers, or epoch milliseconds for date fields.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RangeBounds {
    /// Greater than or equal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gte: Option<f64>,
    /// Greater than.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gt: Option<f64>,
    /// Less than or equal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lte: Option<f64>,
    /// Less than.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lt: Option<f64>,
}

/// One filter pill: exactly one of `value`, `values`, `exists`, `range`, `query`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// The field filtered on (unused by a `query` filter).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub field: String,
    /// A phrase (`match_phrase`).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub value: Value,
    /// Any of these phrases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
    /// "field exists" instead of a value.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exists: bool,
    /// A range of numbers or epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<RangeBounds>,
    /// A query as a filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<QueryBar>,
    /// Exclude instead of include.
    #[serde(default)]
    pub negate: bool,
    /// Skipped when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    /// Text of the pill (not used by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl Filter {
    /// A phrase filter.
    pub fn phrase(field: &str, value: Value) -> Filter {
        Filter {
            field: field.to_owned(),
            value,
            ..Filter::default()
        }
    }

    /// A `[gte, lt)` range filter.
    pub fn range(field: &str, gte: Option<f64>, lt: Option<f64>) -> Filter {
        Filter {
            field: field.to_owned(),
            range: Some(RangeBounds {
                gte,
                lt,
                ..RangeBounds::default()
            }),
            ..Filter::default()
        }
    }

    /// The filter's clause (before `negate`); `path` names it in errors.
    ///
    /// # Errors
    /// A filter without exactly one kind, without a field, or with a bad KQL query.
    pub fn clause(&self, path: &str) -> Result<Value> {
        let kinds = usize::from(!self.value.is_null())
            + usize::from(self.values.is_some())
            + usize::from(self.exists)
            + usize::from(self.range.is_some())
            + usize::from(self.query.is_some());
        if kinds != 1 {
            return Err(Error::invalid(
                path,
                "a filter needs exactly one of [value], [values], [exists], [range], [query]",
            ));
        }
        if let Some(q) = &self.query {
            return query_clause(q);
        }
        if self.field.is_empty() {
            return Err(Error::invalid(path, "a filter needs a [field]"));
        }
        let f = self.field.as_str();
        if self.exists {
            return Ok(json!({"exists": {"field": f}}));
        }
        if let Some(values) = &self.values {
            if values.is_empty() || values.len() > 1024 {
                return Err(Error::invalid(
                    format!("{path}.values"),
                    "give 1 to 1024 values",
                ));
            }
            let should: Vec<Value> = values
                .iter()
                .map(|v| json!({"match_phrase": { f: v }}))
                .collect();
            return Ok(json!({"bool": {"should": should, "minimum_should_match": 1}}));
        }
        if let Some(r) = &self.range {
            let mut m = Map::new();
            for (k, v) in [("gte", r.gte), ("gt", r.gt), ("lte", r.lte), ("lt", r.lt)] {
                if let Some(v) = v {
                    if !v.is_finite() {
                        return Err(Error::invalid(
                            format!("{path}.range.{k}"),
                            "must be a finite number",
                        ));
                    }
                    m.insert(k.into(), number(v));
                }
            }
            if m.is_empty() {
                return Err(Error::invalid(
                    format!("{path}.range"),
                    "give at least one of gte, gt, lte, lt",
                ));
            }
            return Ok(json!({"range": { f: m }}));
        }
        Ok(json!({"match_phrase": { f: self.value }}))
    }
}

/// A number as JSON: integral values as integers (epoch ms stay exact and readable).
pub fn number(v: f64) -> Value {
    #[allow(clippy::cast_possible_truncation)]
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Value::from(v as i64)
    } else {
        Value::from(v)
    }
}

/// The clause of a query bar alone (`match_all` when empty).
///
/// # Errors
/// A KQL syntax error with its position.
pub fn query_clause(bar: &QueryBar) -> Result<Value> {
    if bar.query.trim().is_empty() {
        return Ok(json!({"match_all": {}}));
    }
    match bar.language {
        Language::Kuery => Ok(kql::translate(&bar.query, &kql::Options::default())?),
        Language::Lucene => {
            Ok(json!({"query_string": {"query": bar.query, "analyze_wildcard": true}}))
        }
    }
}

/// A time range in epoch milliseconds (both ends inclusive).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    /// Start (epoch ms).
    pub from: i64,
    /// End (epoch ms).
    pub to: i64,
}

/// Builds `bool` queries: query bars and enabled filters ANDed, negated filters excluded, and the
/// time range on the time field.
#[derive(Debug, Default)]
pub struct BoolBuilder {
    filter: Vec<Value>,
    must_not: Vec<Value>,
}

impl BoolBuilder {
    /// An empty builder (matches everything).
    pub fn new() -> BoolBuilder {
        BoolBuilder::default()
    }

    /// Adds a query bar.
    ///
    /// # Errors
    /// As [`query_clause`].
    pub fn query(&mut self, bar: &QueryBar) -> Result<&mut Self> {
        if !bar.query.trim().is_empty() {
            self.filter.push(query_clause(bar)?);
        }
        Ok(self)
    }

    /// Adds the enabled filters; `path` names the list in errors (`filters`).
    ///
    /// # Errors
    /// As [`Filter::clause`].
    pub fn filters(&mut self, filters: &[Filter], path: &str) -> Result<&mut Self> {
        for (i, f) in filters.iter().enumerate() {
            if f.disabled {
                continue;
            }
            let clause = f.clause(&format!("{path}[{i}]"))?;
            if f.negate {
                self.must_not.push(clause);
            } else {
                self.filter.push(clause);
            }
        }
        Ok(self)
    }

    /// Adds a clause that must match.
    pub fn must(&mut self, clause: Value) -> &mut Self {
        self.filter.push(clause);
        self
    }

    /// Adds a clause that must not match.
    pub fn must_not(&mut self, clause: Value) -> &mut Self {
        self.must_not.push(clause);
        self
    }

    /// Adds the time range on `field` (inclusive, epoch ms).
    ///
    /// # Errors
    /// A range that starts after it ends.
    pub fn time(&mut self, field: &str, from: Option<i64>, to: Option<i64>) -> Result<&mut Self> {
        if let (Some(a), Some(b)) = (from, to)
            && a > b
        {
            return Err(Error::invalid(
                "timeRange",
                format!("the time range starts ({a}) after it ends ({b})"),
            ));
        }
        let mut range = Map::new();
        if let Some(a) = from {
            range.insert("gte".into(), Value::from(a));
        }
        if let Some(b) = to {
            range.insert("lte".into(), Value::from(b));
        }
        if !range.is_empty() {
            range.insert("format".into(), Value::from("epoch_millis"));
            self.filter.push(json!({"range": { field: range }}));
        }
        Ok(self)
    }

    /// The `bool` query.
    pub fn build(&self) -> Value {
        if self.filter.is_empty() && self.must_not.is_empty() {
            return json!({"match_all": {}});
        }
        json!({"bool": {"filter": self.filter, "must_not": self.must_not}})
    }
}
