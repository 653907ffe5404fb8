//! A saved search as a dashboard panel: its query and filters with the page's, newest first, its
//! columns as a [`Table`].

use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::plan::{Context, Search, Target, source_value, total_hits};
use crate::query::{BoolBuilder, Filter, QueryBar};
use crate::table::{Column, Meta, Table};

/// Rows a saved search panel shows.
pub const SEARCH_PANEL_ROWS: u32 = 50;

/// The attributes of a saved search that a panel uses (others are kept by the UI, ignored here).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SavedSearch {
    /// The data view's id.
    #[serde(default)]
    pub data_view_id: String,
    /// Its query.
    #[serde(default)]
    pub query: QueryBar,
    /// Its filters.
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// Its columns (empty: `_source`).
    #[serde(default)]
    pub columns: Vec<String>,
    /// `desc` (default) or `asc`.
    #[serde(default)]
    pub sort: Option<String>,
}

/// A saved search ready to run.
#[derive(Debug, Clone)]
pub struct SearchPlan {
    target: Target,
    columns: Vec<String>,
    query: Value,
    sort: &'static str,
    zone: String,
}

impl SearchPlan {
    /// Resolves `saved` against its data view and the page's state.
    ///
    /// # Errors
    /// Bad filters or queries, by member.
    pub fn new(saved: &SavedSearch, target: &Target, ctx: &Context) -> Result<SearchPlan> {
        let mut q = BoolBuilder::new();
        q.query(&ctx.query)?
            .filters(&ctx.filters, "filters")?
            .query(&saved.query)?
            .filters(&saved.filters, "search.filters")?;
        if let (Some(tf), Some(r)) = (&target.time_field, ctx.time_range) {
            q.time(tf, Some(r.from), Some(r.to))?;
        }
        let sort = match saved.sort.as_deref() {
            None | Some("desc") => "desc",
            Some("asc") => "asc",
            Some(other) => {
                return Err(Error::invalid(
                    "search.sort",
                    format!("[{other}] is not asc or desc"),
                ));
            }
        };
        let mut columns = Vec::new();
        if let Some(tf) = &target.time_field {
            columns.push(tf.clone());
        }
        if saved.columns.is_empty() {
            columns.push("_source".to_owned());
        }
        for c in &saved.columns {
            if !columns.contains(c) {
                columns.push(c.clone());
            }
        }
        Ok(SearchPlan {
            target: target.clone(),
            columns,
            query: q.build(),
            sort,
            zone: if ctx.time_zone.is_empty() {
                "UTC".to_owned()
            } else {
                ctx.time_zone.clone()
            },
        })
    }

    /// The search.
    pub fn search(&self) -> Search {
        let sort = match &self.target.time_field {
            Some(tf) => {
                json!([{ tf.as_str(): {"order": self.sort, "unmapped_type": "boolean"} }, {"_doc": {"order": self.sort}}])
            }
            None => json!([{"_doc": {"order": self.sort}}]),
        };
        Search {
            index: self.target.index.clone(),
            body: json!({
                "size": SEARCH_PANEL_ROWS,
                "track_total_hits": true,
                "query": self.query,
                "sort": sort,
            }),
        }
    }

    /// The table of the answer.
    ///
    /// # Errors
    /// [`Error::BadResponse`].
    pub fn read(&self, resp: &Value) -> Result<Table> {
        let total = total_hits(resp)?;
        let hits = resp["hits"]["hits"]
            .as_array()
            .ok_or_else(|| Error::BadResponse("no hits.hits".into()))?;
        let columns = self
            .columns
            .iter()
            .map(|c| Column {
                id: c.clone(),
                name: c.clone(),
                kind: "field".into(),
                bucket_type: None,
                metric_type: None,
                field: Some(c.clone()),
                format: if Some(c) == self.target.time_field.as_ref() {
                    "date".into()
                } else {
                    "any".into()
                },
            })
            .collect();
        let rows = hits
            .iter()
            .map(|h| {
                let src = &h["_source"];
                self.columns
                    .iter()
                    .map(|c| {
                        if c == "_source" {
                            src.clone()
                        } else {
                            source_value(src, c)
                        }
                    })
                    .collect()
            })
            .collect();
        Ok(Table {
            columns,
            rows,
            row_filters: Vec::new(),
            meta: Meta {
                total,
                took: resp["took"].as_u64().unwrap_or(0),
                interval: None,
                time_zone: self.zone.clone(),
                kind: "search".into(),
            },
        })
    }
}
