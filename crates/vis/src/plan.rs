//! A visualization spec over a data view and the page's state, turned into `_search` bodies
//! (phase one; phase two for Other buckets) and their answers into a [`Table`].

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::interval::{self, Interval, Zone};
use crate::query::{BoolBuilder, Filter, QueryBar, TimeRange, number};
use crate::spec::{BucketSpec, BucketType, MetricSpec, MetricType, Spec, VisType};
use crate::table::{Column, Meta, Table};
use crate::{MISSING_KEY, OTHER_KEY};

/// Most buckets a date histogram may make over the time range.
pub const MAX_DATE_BUCKETS: i64 = 2_000;
/// Most rows a spec may make (estimated before the request).
pub const MAX_ROWS: u64 = 10_000;
/// The longest time range of a heat map (its 15-minute buckets stay under `search.max_buckets`).
pub const MAX_HEATMAP_DAYS: i64 = 400;
const HEATMAP_STEP: i64 = 15 * 60_000;

/// Where a panel's data lives: the data view's pattern and time field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Index pattern (`python-logs-*`).
    pub index: String,
    /// The data view's time field; `None`: no time filter.
    pub time_field: Option<String>,
}

/// The page's state every panel reads.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The time range (epoch ms).
    pub time_range: Option<TimeRange>,
    /// The global query bar.
    pub query: QueryBar,
    /// The global filters.
    pub filters: Vec<Filter>,
    /// The time zone's name as given (`UTC` when empty).
    pub time_zone: String,
}

/// One bucket level, resolved.
#[derive(Debug, Clone)]
struct Level {
    spec: BucketSpec,
    field: String,
    interval: Option<Interval>,
}

/// A spec ready to run.
#[derive(Debug, Clone)]
pub struct VisPlan {
    spec: Spec,
    target: Target,
    levels: Vec<Level>,
    query: Value,
    zone: Zone,
    zone_name: String,
    interval_used: Option<String>,
}

/// A `_search` to send: the index pattern and the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// Index pattern.
    pub index: String,
    /// Body.
    pub body: Value,
}

/// Rows of phase one, with places for Other rows.
#[derive(Debug, Clone)]
pub struct Partial {
    entries: Vec<Entry>,
    slots: Vec<Slot>,
    total: u64,
    took: u64,
}

#[derive(Debug, Clone)]
enum Entry {
    Row(Vec<Value>, Vec<Option<Filter>>),
    Other(usize),
}

/// Where an Other row goes: its level, the parent's cells, and the terms listed there.
#[derive(Debug, Clone)]
struct Slot {
    level: usize,
    cells: Vec<Value>,
    filters: Vec<Option<Filter>>,
    keys: Vec<Value>,
}

fn zone_of(name: &str) -> Result<(Zone, String)> {
    let name = if name.trim().is_empty() {
        "UTC"
    } else {
        name.trim()
    };
    let zone = interval::parse_zone(name).map_err(|r| Error::invalid("timeZone", r))?;
    Ok((zone, name.to_owned()))
}

impl VisPlan {
    /// Checks `spec` and resolves it against the data view and the page's state.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the member; KQL errors.
    pub fn new(spec: &Spec, target: &Target, ctx: &Context) -> Result<VisPlan> {
        spec.check("spec")?;
        let (zone, zone_name) = zone_of(&ctx.time_zone)?;
        let mut q = BoolBuilder::new();
        q.query(&ctx.query)?
            .filters(&ctx.filters, "filters")?
            .query(&spec.query)?
            .filters(&spec.filters, "spec.filters")?;
        if let (Some(tf), Some(r)) = (&target.time_field, ctx.time_range) {
            q.time(tf, Some(r.from), Some(r.to))?;
        }
        let range_ms = ctx.time_range.map(|r| r.to.saturating_sub(r.from));
        let mut levels = Vec::new();
        let mut interval_used = None;
        let mut rows: u64 = 1;
        for (i, b) in spec.buckets.iter().enumerate() {
            let p = format!("spec.buckets[{i}]");
            let (field, interval) = match b.kind {
                BucketType::DateHistogram => {
                    let field = b
                        .field
                        .clone()
                        .or_else(|| target.time_field.clone())
                        .ok_or_else(|| {
                            Error::invalid(
                                format!("{p}.field"),
                                "the data view has no time field: name a date field",
                            )
                        })?;
                    let parsed = interval::parse(b.interval.as_deref().unwrap_or("auto"))
                        .map_err(|r| Error::invalid(format!("{p}.interval"), r))?;
                    let resolved = match parsed {
                        Interval::Auto => {
                            let range = range_ms.ok_or_else(|| {
                                Error::invalid(
                                    format!("{p}.interval"),
                                    "an auto interval needs a time range",
                                )
                            })?;
                            let (text, ms) = interval::auto_interval(range);
                            Interval::Fixed {
                                text: text.to_owned(),
                                ms,
                            }
                        }
                        other => other,
                    };
                    if let Some(range) = range_ms {
                        let n = range / resolved.approx_ms().max(1) + 1;
                        if n > MAX_DATE_BUCKETS {
                            return Err(Error::invalid(
                                format!("{p}.interval"),
                                format!(
                                    "[{}] makes {n} buckets over this time range (at most {MAX_DATE_BUCKETS}): choose a larger interval or \"auto\"",
                                    b.interval.as_deref().unwrap_or("auto")
                                ),
                            ));
                        }
                        rows = rows.saturating_mul(u64::try_from(n).unwrap_or(u64::MAX));
                    }
                    interval_used = Some(match &resolved {
                        Interval::Fixed { text, .. } | Interval::Calendar { text, .. } => {
                            text.clone()
                        }
                        Interval::Auto => String::new(),
                    });
                    (field, Some(resolved))
                }
                BucketType::Terms => {
                    let extra = u64::from(b.other_bucket) + u64::from(b.missing_bucket);
                    rows = rows.saturating_mul(u64::from(b.terms_size()) + extra);
                    (b.field.clone().unwrap_or_default(), None)
                }
                BucketType::Range => {
                    rows = rows.saturating_mul(b.ranges.as_ref().map_or(1, Vec::len) as u64);
                    (b.field.clone().unwrap_or_default(), None)
                }
                BucketType::Filters => {
                    rows = rows.saturating_mul(b.filters.as_ref().map_or(1, Vec::len) as u64);
                    (String::new(), None)
                }
                BucketType::Histogram => (b.field.clone().unwrap_or_default(), None),
            };
            if rows > MAX_ROWS {
                return Err(Error::invalid(
                    p,
                    format!(
                        "the buckets up to this one make up to {rows} rows (at most {MAX_ROWS}): ask for fewer terms or a larger interval"
                    ),
                ));
            }
            levels.push(Level {
                spec: b.clone(),
                field,
                interval,
            });
        }
        if spec.kind == VisType::Heatmap {
            let tf = target.time_field.as_ref().ok_or_else(|| {
                Error::invalid(
                    "spec.dataView",
                    "a heat map needs a data view with a time field",
                )
            })?;
            let range = range_ms
                .ok_or_else(|| Error::invalid("timeRange", "a heat map needs a time range"))?;
            if range > MAX_HEATMAP_DAYS * 86_400_000 {
                return Err(Error::invalid(
                    "timeRange",
                    format!(
                        "a heat map covers at most {MAX_HEATMAP_DAYS} days: choose a shorter time range"
                    ),
                ));
            }
            interval_used = Some("15m".to_owned());
            tracing::trace!(time_field = %tf, "heat map over 15-minute buckets");
        }
        for (i, m) in spec.metrics.iter().enumerate() {
            if m.kind == MetricType::TopHit && m.sort_field.is_none() && target.time_field.is_none()
            {
                return Err(Error::invalid(
                    format!("spec.metrics[{i}].sortField"),
                    "the data view has no time field: name the field that orders the last value",
                ));
            }
        }
        Ok(VisPlan {
            spec: spec.clone(),
            target: target.clone(),
            levels,
            query: q.build(),
            zone,
            zone_name,
            interval_used,
        })
    }

    /// The spec.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Phase one: the search for every bucket and metric.
    ///
    /// # Errors
    /// A filters bucket whose query does not translate.
    pub fn search(&self) -> Result<Search> {
        let aggs = if self.spec.kind == VisType::Heatmap {
            self.heatmap_aggs()
        } else {
            self.aggs_from(0)?
        };
        let mut body = json!({"size": 0, "track_total_hits": true, "query": self.query});
        if !aggs.is_empty() {
            body["aggs"] = Value::Object(aggs);
        }
        Ok(Search {
            index: self.target.index.clone(),
            body,
        })
    }

    fn metric_aggs(&self, out: &mut Map<String, Value>) {
        for m in &self.spec.metrics {
            if let Some(a) = self.metric_agg(m) {
                out.insert(format!("m{}", m.id), a);
            }
        }
    }

    fn metric_agg(&self, m: &MetricSpec) -> Option<Value> {
        let f = m.field.as_deref().unwrap_or_default();
        Some(match m.kind {
            MetricType::Count => return None,
            MetricType::Avg => json!({"avg": {"field": f}}),
            MetricType::Sum => json!({"sum": {"field": f}}),
            MetricType::Min => json!({"min": {"field": f}}),
            MetricType::Max => json!({"max": {"field": f}}),
            MetricType::Cardinality => json!({"cardinality": {"field": f}}),
            MetricType::Median | MetricType::Percentiles => {
                let ps: Vec<Value> = m.percents().into_iter().map(Value::from).collect();
                json!({"percentiles": {"field": f, "percents": ps}})
            }
            MetricType::TopHit => {
                let sort = m
                    .sort_field
                    .clone()
                    .or_else(|| self.target.time_field.clone())
                    .unwrap_or_default();
                json!({"top_hits": {"size": 1, "sort": [{ sort: {"order": "desc"} }], "_source": {"includes": [f]}}})
            }
        })
    }

    /// Aggregations of level `i` and below.
    fn aggs_from(&self, i: usize) -> Result<Map<String, Value>> {
        let mut out = Map::new();
        let Some(level) = self.levels.get(i) else {
            self.metric_aggs(&mut out);
            return Ok(out);
        };
        let mut subs = self.aggs_from(i + 1)?;
        let b = &level.spec;
        let agg = match b.kind {
            BucketType::Terms => {
                let order = b.order.clone().unwrap_or(crate::spec::Order {
                    by: "_count".into(),
                    dir: crate::spec::Dir::Desc,
                });
                let key = match order.by.as_str() {
                    "_count" | "_key" => order.by.clone(),
                    id => match self.spec.metrics.iter().find(|m| m.id == id) {
                        Some(m) if m.kind == MetricType::Count => "_count".to_owned(),
                        Some(m) => {
                            if let Some(a) = self.metric_agg(m) {
                                subs.insert(format!("m{}", m.id), a);
                            }
                            format!("m{}", m.id)
                        }
                        None => "_count".to_owned(),
                    },
                };
                let mut t = json!({"field": level.field, "size": b.terms_size(), "order": { key: order.dir.as_str() }});
                if b.missing_bucket {
                    t["missing"] = Value::from(MISSING_KEY);
                }
                json!({ "terms": t })
            }
            BucketType::DateHistogram => {
                let mut d = json!({"field": level.field, "min_doc_count": 1});
                match &level.interval {
                    Some(Interval::Calendar { text, .. }) => {
                        d["calendar_interval"] = Value::from(text.as_str());
                    }
                    Some(Interval::Fixed { text, .. }) => {
                        d["fixed_interval"] = Value::from(text.as_str());
                    }
                    // resolved in `new`: a level's interval is never auto
                    Some(Interval::Auto) | None => {}
                }
                if !is_utc(&self.zone_name) {
                    d["time_zone"] = Value::from(self.zone_name.as_str());
                }
                json!({ "date_histogram": d })
            }
            BucketType::Histogram => json!({"histogram": {
                "field": level.field,
                "interval": b.histogram_interval.unwrap_or(1.0),
                "min_doc_count": 1
            }}),
            BucketType::Range => {
                let ranges: Vec<Value> = b
                    .ranges
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .map(|r| {
                        let mut o = Map::new();
                        if let Some(f) = r.from {
                            o.insert("from".into(), number(f));
                        }
                        if let Some(t) = r.to {
                            o.insert("to".into(), number(t));
                        }
                        Value::Object(o)
                    })
                    .collect();
                json!({"range": {"field": level.field, "ranges": ranges}})
            }
            BucketType::Filters => {
                let qs: Vec<Value> = b
                    .filters
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .map(|f| {
                        crate::query::query_clause(&QueryBar {
                            language: f.language,
                            query: f.query.clone(),
                        })
                    })
                    .collect::<Result<_>>()?;
                json!({"filters": {"filters": qs}})
            }
        };
        let mut agg = agg;
        if !subs.is_empty() {
            agg["aggs"] = Value::Object(subs);
        }
        out.insert(format!("b{}", b.id), agg);
        Ok(out)
    }

    fn heatmap_aggs(&self) -> Map<String, Value> {
        let mut subs = Map::new();
        for m in &self.spec.metrics {
            let f = m.field.as_deref().unwrap_or_default();
            match m.kind {
                MetricType::Avg => {
                    subs.insert(format!("s{}", m.id), json!({"sum": {"field": f}}));
                    subs.insert(format!("c{}", m.id), json!({"value_count": {"field": f}}));
                }
                _ => {
                    if let Some(a) = self.metric_agg(m) {
                        subs.insert(format!("m{}", m.id), a);
                    }
                }
            }
        }
        let mut h = json!({"date_histogram": {
            "field": self.target.time_field.clone().unwrap_or_default(),
            "fixed_interval": "15m",
            "min_doc_count": 1
        }});
        if !subs.is_empty() {
            h["aggs"] = Value::Object(subs);
        }
        let mut out = Map::new();
        out.insert("hm".into(), h);
        out
    }

    /// The columns of this spec's table.
    pub fn columns(&self) -> Vec<Column> {
        let mut cols = Vec::new();
        if self.spec.kind == VisType::Heatmap {
            let tf = self.target.time_field.clone();
            cols.push(Column {
                id: "day_of_week".into(),
                name: "Day of week".into(),
                kind: "bucket".into(),
                bucket_type: Some("day_of_week".into()),
                metric_type: None,
                field: tf.clone(),
                format: "day_of_week".into(),
            });
            cols.push(Column {
                id: "hour_of_day".into(),
                name: "Hour of day".into(),
                kind: "bucket".into(),
                bucket_type: Some("hour_of_day".into()),
                metric_type: None,
                field: tf,
                format: "hour_of_day".into(),
            });
        }
        for l in &self.levels {
            let b = &l.spec;
            let (name, format) = match b.kind {
                BucketType::Terms => (l.field.clone(), "string"),
                BucketType::DateHistogram => (l.field.clone(), "date"),
                BucketType::Histogram => (l.field.clone(), "number"),
                BucketType::Range => (l.field.clone(), "range"),
                BucketType::Filters => ("Filters".to_owned(), "filters"),
            };
            cols.push(Column {
                id: b.id.clone(),
                name,
                kind: "bucket".into(),
                bucket_type: Some(b.kind.as_str().into()),
                metric_type: None,
                field: (b.kind != BucketType::Filters).then(|| l.field.clone()),
                format: format.into(),
            });
        }
        for m in &self.spec.metrics {
            let f = m.field.clone().unwrap_or_default();
            let col = |id: String, name: String, format: &str| Column {
                id,
                name,
                kind: "metric".into(),
                bucket_type: None,
                metric_type: Some(m.kind.as_str().into()),
                field: m.field.clone(),
                format: format.into(),
            };
            match m.kind {
                MetricType::Count => cols.push(col(m.id.clone(), "Count".into(), "number")),
                MetricType::Avg => cols.push(col(m.id.clone(), format!("Average {f}"), "number")),
                MetricType::Sum => cols.push(col(m.id.clone(), format!("Sum of {f}"), "number")),
                MetricType::Min => cols.push(col(m.id.clone(), format!("Min {f}"), "number")),
                MetricType::Max => cols.push(col(m.id.clone(), format!("Max {f}"), "number")),
                MetricType::Cardinality => {
                    cols.push(col(m.id.clone(), format!("Unique count of {f}"), "number"));
                }
                MetricType::Median => cols.push(col(m.id.clone(), format!("Median {f}"), "number")),
                MetricType::Percentiles => {
                    for p in m.percents() {
                        let pt = percent_text(p);
                        cols.push(col(
                            format!("{}.{pt}", m.id),
                            format!("{pt}{} percentile of {f}", ordinal_suffix(p)),
                            "number",
                        ));
                    }
                }
                MetricType::TopHit => cols.push(col(m.id.clone(), format!("Last {f}"), "any")),
            }
        }
        cols
    }

    fn meta(&self, total: u64, took: u64) -> Meta {
        Meta {
            total,
            took,
            interval: self.interval_used.clone(),
            time_zone: self.zone_name.clone(),
            kind: self.spec.kind.as_str().into(),
        }
    }

    /// Reads phase one's answer.
    ///
    /// # Errors
    /// [`Error::BadResponse`] naming what is missing.
    pub fn read(&self, resp: &Value) -> Result<Partial> {
        let total = total_hits(resp)?;
        let took = resp["took"].as_u64().unwrap_or(0);
        let aggs = resp
            .get("aggregations")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let mut partial = Partial {
            entries: Vec::new(),
            slots: Vec::new(),
            total,
            took,
        };
        if self.spec.kind == VisType::Heatmap {
            for row in self.fold_heatmap(&aggs)? {
                let n = row.len();
                partial.entries.push(Entry::Row(row, vec![None; n.min(2)]));
            }
            return Ok(partial);
        }
        let mut out = Vec::new();
        let mut slots = Vec::new();
        self.walk(
            0,
            &aggs,
            Some(total),
            &mut Vec::new(),
            &mut Vec::new(),
            &mut out,
            Some(&mut slots),
        )?;
        partial.entries = out;
        partial.slots = slots;
        Ok(partial)
    }

    /// Phase two, when Other rows are wanted: per level, one `filters` aggregation with a filter
    /// per parent bucket (its buckets' filters, and not the terms listed under it).
    ///
    /// # Errors
    /// Filters that cannot be built.
    pub fn other_search(&self, partial: &Partial) -> Result<Option<Search>> {
        if partial.slots.is_empty() {
            return Ok(None);
        }
        let mut aggs = Map::new();
        for (level, _) in self.levels.iter().enumerate() {
            let slots: Vec<&Slot> = partial.slots.iter().filter(|s| s.level == level).collect();
            if slots.is_empty() {
                continue;
            }
            let mut qs = Vec::new();
            for s in slots {
                qs.push(self.other_query(s)?);
            }
            let mut agg = json!({"filters": {"filters": qs}});
            let subs = self.aggs_from(level + 1)?;
            if !subs.is_empty() {
                agg["aggs"] = Value::Object(subs);
            }
            aggs.insert(format!("o{level}"), agg);
        }
        Ok(Some(Search {
            index: self.target.index.clone(),
            body: json!({"size": 0, "query": self.query, "aggs": aggs}),
        }))
    }

    /// The filter of an Other row, as KQL (it needs two clauses: the field exists, unless the
    /// Missing row is on and unlisted, and none of the listed terms).
    fn other_filter(&self, s: &Slot) -> Filter {
        let level = &self.levels[s.level];
        let f = kql_field(&level.field);
        let listed: Vec<String> = s
            .keys
            .iter()
            .filter(|k| k.as_str() != Some(MISSING_KEY))
            .map(|k| match k {
                Value::String(t) => kql_quote(t),
                other => kql_quote(&other.to_string()),
            })
            .collect();
        let missing_listed = s.keys.iter().any(|k| k.as_str() == Some(MISSING_KEY));
        let mut parts = Vec::new();
        if !level.spec.missing_bucket || missing_listed {
            parts.push(format!("{f}:*"));
        }
        if !listed.is_empty() {
            parts.push(format!("not {f}:({})", listed.join(" or ")));
        }
        Filter {
            query: Some(QueryBar {
                language: crate::query::Language::Kuery,
                query: parts.join(" and "),
            }),
            label: Some(format!("{}: Other", level.field)),
            ..Filter::default()
        }
    }

    fn other_query(&self, s: &Slot) -> Result<Value> {
        let level = &self.levels[s.level];
        let parents: Vec<Filter> = s.filters.iter().flatten().cloned().collect();
        let mut q = BoolBuilder::new();
        q.filters(&parents, "rowFilters")?;
        let listed: Vec<Value> = s
            .keys
            .iter()
            .filter(|k| k.as_str() != Some(MISSING_KEY))
            .cloned()
            .collect();
        if !listed.is_empty() {
            q.must_not(json!({"terms": { level.field.as_str(): listed }}));
        }
        let missing_listed = s.keys.iter().any(|k| k.as_str() == Some(MISSING_KEY));
        if !level.spec.missing_bucket || missing_listed {
            q.must(json!({"exists": {"field": level.field}}));
        }
        Ok(q.build())
    }

    /// The table, from phase one and (when asked for) phase two's answer.
    ///
    /// # Errors
    /// [`Error::BadResponse`].
    pub fn finish(&self, partial: Partial, other: Option<&Value>) -> Result<Table> {
        let mut took = partial.took;
        let mut other_rows: Vec<Vec<Entry>> = vec![Vec::new(); partial.slots.len()];
        if let Some(resp) = other {
            took += resp["took"].as_u64().unwrap_or(0);
            let mut per_level = vec![0usize; self.levels.len()];
            for (si, s) in partial.slots.iter().enumerate() {
                let j = per_level[s.level];
                per_level[s.level] += 1;
                let bucket = resp
                    .pointer(&format!("/aggregations/o{}/buckets/{j}", s.level))
                    .ok_or_else(|| {
                        Error::BadResponse(format!("no Other bucket {j} at level {}", s.level))
                    })?;
                let n = doc_count(bucket)?;
                if n == 0 {
                    continue;
                }
                let mut cells = s.cells.clone();
                let mut filters = s.filters.clone();
                cells.push(Value::from(OTHER_KEY));
                filters.push(Some(self.other_filter(s)));
                let mut rows = Vec::new();
                self.walk(
                    s.level + 1,
                    bucket,
                    Some(n),
                    &mut cells,
                    &mut filters,
                    &mut rows,
                    None,
                )?;
                other_rows[si] = rows;
            }
        }
        let mut rows = Vec::new();
        let mut row_filters = Vec::new();
        let mut push = |e: Entry| {
            if let Entry::Row(r, f) = e {
                rows.push(r);
                row_filters.push(f);
            }
        };
        for e in partial.entries {
            match e {
                Entry::Row(..) => push(e),
                Entry::Other(si) => {
                    for o in std::mem::take(&mut other_rows[si]) {
                        push(o);
                    }
                }
            }
        }
        Ok(Table {
            columns: self.columns(),
            rows,
            row_filters,
            meta: self.meta(partial.total, took),
        })
    }

    /// Walks the buckets of level `i` under `node`, appending rows.
    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        i: usize,
        node: &Value,
        count: Option<u64>,
        cells: &mut Vec<Value>,
        filters: &mut Vec<Option<Filter>>,
        out: &mut Vec<Entry>,
        mut slots: Option<&mut Vec<Slot>>,
    ) -> Result<()> {
        let Some(level) = self.levels.get(i) else {
            let mut row = cells.clone();
            self.metric_cells(node, count.unwrap_or(0), &mut row)?;
            out.push(Entry::Row(row, filters.clone()));
            return Ok(());
        };
        let name = format!("b{}", level.spec.id);
        let buckets = node
            .get(&name)
            .and_then(|a| a.get("buckets"))
            .and_then(Value::as_array)
            .ok_or_else(|| {
                Error::BadResponse(format!("aggregation [{name}] has no buckets array"))
            })?;
        let mut keys = Vec::new();
        for (j, b) in buckets.iter().enumerate() {
            let n = doc_count(b)?;
            let (cell, filter) = self.bucket_cell(level, b, j)?;
            if level.spec.kind == BucketType::Terms {
                keys.push(cell.clone());
            }
            if n == 0 {
                continue;
            }
            cells.push(cell);
            filters.push(filter);
            self.walk(i + 1, b, Some(n), cells, filters, out, slots.as_deref_mut())?;
            cells.pop();
            filters.pop();
        }
        if level.spec.other_bucket
            && let Some(slots) = slots
        {
            let other = node[&name]["sum_other_doc_count"].as_u64().unwrap_or(0);
            // documents without the field are counted here only when the Missing row is on
            // and its term was not listed (sum_other_doc_count includes them then)
            if other > 0 {
                out.push(Entry::Other(slots.len()));
                slots.push(Slot {
                    level: i,
                    cells: cells.clone(),
                    filters: filters.clone(),
                    keys,
                });
            }
        }
        Ok(())
    }

    fn bucket_cell(&self, level: &Level, b: &Value, j: usize) -> Result<(Value, Option<Filter>)> {
        let f = level.field.as_str();
        let key = || {
            b.get("key")
                .cloned()
                .ok_or_else(|| Error::BadResponse("a bucket without a key".into()))
        };
        Ok(match level.spec.kind {
            BucketType::Terms => {
                let k = key()?;
                if k.as_str() == Some(MISSING_KEY) && level.spec.missing_bucket {
                    let filter = Filter {
                        field: f.to_owned(),
                        exists: true,
                        negate: true,
                        label: Some("Missing".into()),
                        ..Filter::default()
                    };
                    (k, Some(filter))
                } else {
                    // booleans come back as 1/0 with key_as_string "true"/"false"
                    let value = match b.get("key_as_string").and_then(Value::as_str) {
                        Some(s @ ("true" | "false")) => Value::from(s == "true"),
                        _ => k.clone(),
                    };
                    (k, Some(Filter::phrase(f, value)))
                }
            }
            BucketType::DateHistogram => {
                let k = key()?.as_i64().ok_or_else(|| {
                    Error::BadResponse("a date bucket without a numeric key".into())
                })?;
                let end = level
                    .interval
                    .as_ref()
                    .and_then(|iv| interval::bucket_end(k, iv, &self.zone));
                #[allow(clippy::cast_precision_loss)]
                let filter = Filter::range(f, Some(k as f64), end.map(|e| e as f64));
                (Value::from(k), Some(filter))
            }
            BucketType::Histogram => {
                let k = key()?.as_f64().ok_or_else(|| {
                    Error::BadResponse("a histogram bucket without a numeric key".into())
                })?;
                let w = level.spec.histogram_interval.unwrap_or(1.0);
                (number(k), Some(Filter::range(f, Some(k), Some(k + w))))
            }
            BucketType::Range => {
                let r = level
                    .spec
                    .ranges
                    .as_deref()
                    .and_then(|rs| rs.get(j))
                    .ok_or_else(|| {
                        Error::BadResponse(format!("range bucket {j} was not asked for"))
                    })?;
                let label = r
                    .label
                    .clone()
                    .filter(|l| !l.is_empty())
                    .unwrap_or_else(|| {
                        let end = |v: Option<f64>, inf: &str| {
                            v.map_or_else(|| inf.to_owned(), |x| number(x).to_string())
                        };
                        format!("{} to {}", end(r.from, "-∞"), end(r.to, "+∞"))
                    });
                (Value::from(label), Some(Filter::range(f, r.from, r.to)))
            }
            BucketType::Filters => {
                let fs = level
                    .spec
                    .filters
                    .as_deref()
                    .and_then(|fs| fs.get(j))
                    .ok_or_else(|| {
                        Error::BadResponse(format!("filters bucket {j} was not asked for"))
                    })?;
                let filter = Filter {
                    query: Some(QueryBar {
                        language: fs.language,
                        query: fs.query.clone(),
                    }),
                    label: fs.label.clone(),
                    ..Filter::default()
                };
                (Value::from(fs.display()), Some(filter))
            }
        })
    }

    fn metric_cells(&self, node: &Value, count: u64, row: &mut Vec<Value>) -> Result<()> {
        for m in &self.spec.metrics {
            let name = format!("m{}", m.id);
            match m.kind {
                MetricType::Count => row.push(Value::from(count)),
                MetricType::Avg
                | MetricType::Sum
                | MetricType::Min
                | MetricType::Max
                | MetricType::Cardinality => {
                    let v = node
                        .get(&name)
                        .ok_or_else(|| Error::BadResponse(format!("no metric [{name}]")))?;
                    row.push(v.get("value").cloned().unwrap_or(Value::Null));
                }
                MetricType::Median | MetricType::Percentiles => {
                    let values = node
                        .get(&name)
                        .and_then(|v| v.get("values"))
                        .ok_or_else(|| Error::BadResponse(format!("no percentiles [{name}]")))?;
                    for p in m.percents() {
                        row.push(percentile(values, p));
                    }
                }
                MetricType::TopHit => {
                    let hit = node
                        .get(&name)
                        .ok_or_else(|| Error::BadResponse(format!("no top_hits [{name}]")))?;
                    let src = &hit["hits"]["hits"][0]["_source"];
                    row.push(source_value(src, m.field.as_deref().unwrap_or_default()));
                }
            }
        }
        Ok(())
    }

    fn fold_heatmap(&self, aggs: &Value) -> Result<Vec<Vec<Value>>> {
        let buckets = aggs
            .pointer("/hm/buckets")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::BadResponse("aggregation [hm] has no buckets array".into()))?;
        // per cell and metric: (count of values or docs, sum, min, max)
        let nm = self.spec.metrics.len();
        let mut cells = vec![vec![Fold::default(); nm]; 7 * 24];
        for b in buckets {
            let key = b["key"].as_i64().ok_or_else(|| {
                Error::BadResponse("a heat map bucket without a numeric key".into())
            })?;
            debug_assert_eq!(key.rem_euclid(HEATMAP_STEP), 0);
            let Some((dow, hour)) = self.zone.weekday_hour(key) else {
                continue;
            };
            let cell = &mut cells[(dow as usize - 1) * 24 + hour as usize];
            let docs = doc_count(b)?;
            for (mi, m) in self.spec.metrics.iter().enumerate() {
                let fold = &mut cell[mi];
                match m.kind {
                    MetricType::Count => fold.add_sum(docs as f64, docs),
                    MetricType::Avg => {
                        let s = b[format!("s{}", m.id)]["value"].as_f64().unwrap_or(0.0);
                        let c = b[format!("c{}", m.id)]["value"].as_u64().unwrap_or(0);
                        fold.add_sum(s, c);
                    }
                    _ => {
                        if let Some(v) = b[format!("m{}", m.id)]["value"].as_f64() {
                            fold.add_value(v);
                        }
                    }
                }
            }
        }
        let mut rows = Vec::with_capacity(7 * 24);
        for dow in 1..=7u32 {
            for hour in 0..24u32 {
                let cell = &cells[(dow as usize - 1) * 24 + hour as usize];
                let mut row = vec![Value::from(dow), Value::from(hour)];
                for (mi, m) in self.spec.metrics.iter().enumerate() {
                    row.push(cell[mi].value(m.kind));
                }
                rows.push(row);
            }
        }
        Ok(rows)
    }
}

#[derive(Debug, Clone, Default)]
struct Fold {
    n: u64,
    sum: f64,
    min: Option<f64>,
    max: Option<f64>,
}

impl Fold {
    fn add_sum(&mut self, sum: f64, n: u64) {
        self.sum += sum;
        self.n += n;
    }

    fn add_value(&mut self, v: f64) {
        self.n += 1;
        self.sum += v;
        self.min = Some(self.min.map_or(v, |m| m.min(v)));
        self.max = Some(self.max.map_or(v, |m| m.max(v)));
    }

    fn value(&self, kind: MetricType) -> Value {
        match kind {
            MetricType::Count => Value::from(self.n),
            #[allow(clippy::cast_precision_loss)]
            MetricType::Avg if self.n > 0 => Value::from(self.sum / self.n as f64),
            MetricType::Sum if self.n > 0 => Value::from(self.sum),
            MetricType::Min => self.min.map_or(Value::Null, Value::from),
            MetricType::Max => self.max.map_or(Value::Null, Value::from),
            _ => Value::Null,
        }
    }
}

fn is_utc(name: &str) -> bool {
    matches!(name, "UTC" | "Z" | "utc" | "GMT" | "Etc/UTC" | "+00:00")
}

/// `hits.total` as ES 7+ writes it or as a bare number.
pub(crate) fn total_hits(resp: &Value) -> Result<u64> {
    let t = resp
        .pointer("/hits/total")
        .ok_or_else(|| Error::BadResponse("no hits.total".into()))?;
    t.as_u64()
        .or_else(|| t.get("value").and_then(Value::as_u64))
        .ok_or_else(|| Error::BadResponse("hits.total is neither a number nor {value}".into()))
}

fn doc_count(b: &Value) -> Result<u64> {
    b.get("doc_count")
        .and_then(Value::as_u64)
        .ok_or_else(|| Error::BadResponse("a bucket without a doc_count".into()))
}

fn percentile(values: &Value, p: f64) -> Value {
    let found = match values {
        Value::Object(m) => m
            .iter()
            .find(|(k, _)| k.parse::<f64>().is_ok_and(|x| (x - p).abs() < 1e-9))
            .map(|(_, v)| v.clone()),
        Value::Array(a) => a
            .iter()
            .find(|e| e["key"].as_f64().is_some_and(|x| (x - p).abs() < 1e-9))
            .map(|e| e["value"].clone()),
        _ => None,
    };
    found.unwrap_or(Value::Null)
}

/// The value at a dotted path of a `_source`: a flat key first, then nested objects.
pub fn source_value(src: &Value, path: &str) -> Value {
    if let Some(v) = src.get(path) {
        return v.clone();
    }
    let mut cur = src;
    for part in path.split('.') {
        match cur.get(part) {
            Some(v) => cur = v,
            None => return Value::Null,
        }
    }
    cur.clone()
}

/// A field name as KQL reads it (its special characters escaped).
fn kql_field(f: &str) -> String {
    let mut out = String::with_capacity(f.len());
    for c in f.chars() {
        if matches!(
            c,
            '\\' | '(' | ')' | ':' | '<' | '>' | '"' | '*' | '{' | '}'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A value as a KQL quoted string.
fn kql_quote(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

fn percent_text(p: f64) -> String {
    number(p).to_string()
}

fn ordinal_suffix(p: f64) -> &'static str {
    if p.fract() != 0.0 {
        return "th";
    }
    #[allow(clippy::cast_possible_truncation)]
    let n = p as i64;
    match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}
