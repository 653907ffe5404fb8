//! `top_hits` and `top_metrics`: the best documents of a bucket by a sort, kept in a buffer of
//! at most `from + size` (`size`) hits per bucket; the documents themselves (or their metric
//! values) are read once the buckets are final, through [`Fetch`].

use serde_json::{Map, Value, json};
use tantivy::{DocAddress, DocId, SegmentReader};

use super::{Source, bool_param, int_param};
use crate::error::{Error, Result};
use crate::mapping::{FieldType, Mapping};
use crate::search::{self, Hit, HitView, SortKey, SortVal};

/// ES's `index.max_inner_result_window` default: `from + size` of a `top_hits`.
pub const MAX_INNER_RESULT_WINDOW: usize = 100;

/// ES's `index.top_metrics_max_size` default.
pub const TOP_METRICS_MAX_SIZE: usize = 10;

/// A `top_hits` request.
#[derive(Debug, Clone, PartialEq)]
pub struct TopHits {
    pub(crate) from: usize,
    pub(crate) size: usize,
    /// what each hit shows (its `sort` is the requested one)
    pub(crate) view: HitView,
}

/// A `top_metrics` request.
#[derive(Debug, Clone, PartialEq)]
pub struct TopMetrics {
    pub(crate) sort: SortKey,
    pub(crate) metrics: Vec<String>,
    pub(crate) size: usize,
}

impl TopHits {
    /// The sort documents are ranked by (the score, best first, when none is given).
    pub(crate) fn effective_sort(&self) -> Vec<SortKey> {
        if self.view.sort.is_empty() {
            vec![SortKey::Score(false)]
        } else {
            self.view.sort.clone()
        }
    }

    /// Whether the documents' scores are needed (to rank them or to show them).
    pub(crate) fn needs_scores(&self) -> bool {
        self.view.track_scores
            || self
                .effective_sort()
                .iter()
                .any(|k| matches!(k, SortKey::Score(_)))
    }
}

fn unsupported(t: &str, k: &str) -> Error {
    Error::illegal_argument(format!(
        "[{t}] option [{k}] is not supported by sluice-store"
    ))
}

fn unknown_key(k: &str, v: &Value) -> Error {
    Error::parsing(format!(
        "Unknown key for a {} in [{k}].",
        search::token_name(v)
    ))
}

fn non_negative(o: &Map<String, Value>, k: &str, t: &str, name: &str) -> Result<Option<usize>> {
    // ES reads these with the parser's `intValue`: a string that is no number fails as Java's
    // parse does, unwrapped
    if let Some(Value::String(s)) = o.get(k)
        && s.trim().parse::<f64>().is_err()
    {
        return Err(Error::es(
            400,
            "number_format_exception",
            format!("For input string: \"{s}\""),
        ));
    }
    match int_param(o, k, t)? {
        None => Ok(None),
        Some(n) if n >= 0 => Ok(Some(n as usize)),
        Some(n) => Err(Error::illegal_argument(format!(
            "[{k}] must be greater than or equal to 0. Found [{n}] in [{name}]"
        ))),
    }
}

/// Parses the body of a `top_hits` aggregation named `name`.
pub(crate) fn parse_top_hits(name: &str, o: &Map<String, Value>) -> Result<TopHits> {
    const T: &str = "top_hits";
    let mut view = HitView {
        source: search::SourceFilter::All,
        source_given: false,
        stored: search::Stored::Default,
        stored_names: Vec::new(),
        fields: Vec::new(),
        docvalue_fields: Vec::new(),
        sort: Vec::new(),
        track_scores: false,
        version: false,
        seq_no_primary_term: false,
    };
    for (k, v) in o {
        match k.as_str() {
            "from" | "size" => {}
            "sort" => view.sort = search::parse_sort_value(v)?,
            "_source" => {
                view.source = search::parse_source_filter(v)?;
                view.source_given = !matches!(v, Value::Bool(false));
            }
            "fields" => view.fields = search::parse_field_specs("fields", v)?,
            "docvalue_fields" => {
                view.docvalue_fields = search::parse_field_specs("docvalue_fields", v)?;
            }
            "stored_fields" => {
                view.stored = search::parse_stored(v)?;
                view.stored_names = search::stored_names(v);
            }
            "track_scores" => view.track_scores = bool_param(o, k, T)?.unwrap_or(false),
            "version" => view.version = bool_param(o, k, T)?.unwrap_or(false),
            "seq_no_primary_term" => {
                view.seq_no_primary_term = bool_param(o, k, T)?.unwrap_or(false);
            }
            "explain" | "highlight" | "script_fields" => return Err(unsupported(T, k)),
            _ => return Err(unknown_key(k, v)),
        }
    }
    if view.sort.iter().any(|k| matches!(k, SortKey::ShardDoc(_))) {
        return Err(search::all_shards_failed(Error::illegal_argument(
            "[_shard_doc] sort field cannot be used without [point in time]",
        )));
    }
    let from = non_negative(o, "from", T, name)?.unwrap_or(0);
    let size = non_negative(o, "size", T, name)?.unwrap_or(3);
    if from + size > MAX_INNER_RESULT_WINDOW {
        return Err(search::all_shards_failed(Error::illegal_argument(format!(
            "Top hits result window is too large, the top hits aggregator [{name}]'s from + size must be less than or equal to: [{MAX_INNER_RESULT_WINDOW}] but was [{}]. This limit can be set by changing the [index.max_inner_result_window] index level setting.",
            from + size
        ))));
    }
    Ok(TopHits { from, size, view })
}

/// Parses the body of a `top_metrics` aggregation named `name`.
pub(crate) fn parse_top_metrics(name: &str, o: &Map<String, Value>) -> Result<TopMetrics> {
    const T: &str = "top_metrics";
    let mut sort = None;
    let mut metrics = None;
    for (k, v) in o {
        match k.as_str() {
            "size" => {}
            "sort" => {
                let mut keys = search::parse_sort_value(v)?;
                if keys.len() != 1 {
                    return Err(Error::illegal_argument(format!(
                        "[top_metrics] only supports sorting on a single field but found [{}] in [{name}]",
                        keys.len()
                    )));
                }
                let key = keys.remove(0);
                if matches!(
                    key,
                    SortKey::Doc(_)
                        | SortKey::ShardDoc(_)
                        | SortKey::Field {
                            format: Some(_),
                            ..
                        }
                ) {
                    return Err(unsupported(T, "sort"));
                }
                sort = Some(key);
            }
            "metrics" => {
                let items: Vec<&Value> = match v {
                    Value::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                let mut fields = Vec::with_capacity(items.len());
                for it in items {
                    let m = it.as_object().ok_or_else(|| {
                        Error::x_content(format!("[{T}] failed to parse field [metrics]"))
                    })?;
                    for (mk, mv) in m {
                        match (mk.as_str(), mv) {
                            ("field", Value::String(f)) => fields.push(f.clone()),
                            ("field", other) => {
                                return Err(Error::x_content(format!(
                                    "[metric_field] field doesn't support values of type: {}",
                                    search::token_name(other)
                                )));
                            }
                            (other, _) => {
                                return Err(Error::x_content(format!(
                                    "[metric_field] unknown field [{other}]"
                                )));
                            }
                        }
                    }
                }
                metrics = Some(fields);
            }
            _ => {
                return Err(Error::x_content(format!("[{T}] unknown field [{k}]")));
            }
        }
    }
    let sort = sort.ok_or_else(|| Error::x_content("Required [sort]"))?;
    let metrics = metrics.ok_or_else(|| Error::x_content("Required [metrics]"))?;
    if metrics.is_empty() {
        return Err(Error::illegal_argument(format!(
            "[metrics] must not be empty in [{name}]"
        )));
    }
    let size = match int_param(o, "size", T)? {
        None => 1,
        Some(n) if n >= 1 => n as usize,
        Some(n) => {
            return Err(Error::illegal_argument(format!(
                "[size] must be more than 0 but was [{n}]"
            )));
        }
    };
    if size > TOP_METRICS_MAX_SIZE {
        return Err(search::all_shards_failed(Error::illegal_argument(format!(
            "[top_metrics.size] must not be more than [{TOP_METRICS_MAX_SIZE}] but was [{size}]. This limit can be set by changing the [index.top_metrics_max_size] index level setting."
        ))));
    }
    Ok(TopMetrics {
        sort,
        metrics,
        size,
    })
}

/// Where a segment's documents come from: the target (shard) of the request, the segment's
/// ordinal in its searcher and the document number its first document has in the shard.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin {
    /// target index in the request
    pub shard: usize,
    /// segment ordinal
    pub segment: u32,
    /// document number of the segment's first document within its shard
    pub base: u32,
}

/// The columns one segment ranks its documents by.
pub(crate) struct SegTop {
    pub(crate) sort: Vec<SortKey>,
    cols: Vec<Option<Source>>,
    origin: Origin,
    /// documents kept per bucket
    pub(crate) keep: usize,
    /// `top_metrics`: documents without a sort value are not candidates
    pub(crate) skip_missing: bool,
}

impl SegTop {
    pub(crate) fn new(
        sort: Vec<SortKey>,
        keep: usize,
        seg: &SegmentReader,
        mapping: &Mapping,
        index: &str,
        origin: Origin,
    ) -> Result<SegTop> {
        let mut cols = Vec::with_capacity(sort.len());
        for k in &sort {
            cols.push(match k {
                SortKey::Field { field, .. } => {
                    Some(super::open_exact_source(seg, mapping, field, index)?.0)
                }
                _ => None,
            });
        }
        Ok(SegTop {
            sort,
            cols,
            origin,
            keep,
            skip_missing: false,
        })
    }

    /// The hit of `doc` (with `score`) with its sort values.
    pub(crate) fn hit(&self, doc: DocId, score: f32, buf: &mut Vec<f64>) -> Hit {
        let global = self.origin.base + doc;
        let order = ((self.origin.shard as u64) << 32) | u64::from(global);
        Hit {
            keys: search::hit_keys(&self.cols, &self.sort, doc, global, order, score, buf),
            score,
            shard: self.origin.shard,
            addr: DocAddress::new(self.origin.segment, doc),
            order,
        }
    }
}

/// The best hits of one bucket, best first, at most `keep` of them.
#[derive(Debug, Clone, Default)]
pub struct TopState {
    /// documents seen
    pub(crate) total: u64,
    /// best score seen (when scores are computed)
    pub(crate) max_score: Option<f32>,
    pub(crate) hits: Vec<Hit>,
}

impl TopState {
    /// Adds `h`, keeping the best `keep` hits by `sort`.
    pub(crate) fn push(&mut self, sort: &[SortKey], keep: usize, h: Hit) {
        if self.hits.len() >= keep
            && self
                .hits
                .last()
                .is_none_or(|worst| search::cmp_hits(sort, &h, worst).is_ge())
        {
            return;
        }
        let at = self
            .hits
            .partition_point(|x| search::cmp_hits(sort, x, &h).is_le());
        self.hits.insert(at, h);
        self.hits.truncate(keep);
    }

    /// Counts one document and keeps it when it ranks.
    pub(crate) fn collect(&mut self, seg: &SegTop, doc: DocId, score: f32, buf: &mut Vec<f64>) {
        self.total += 1;
        self.max_score = Some(self.max_score.map_or(score, |m| m.max(score)));
        if seg.keep > 0 {
            let h = seg.hit(doc, score, buf);
            if seg.skip_missing && h.keys.contains(&SortVal::Missing) {
                return;
            }
            self.push(&seg.sort, seg.keep, h);
        }
    }

    /// Counts a hit and keeps it when it ranks (tests).
    #[cfg(test)]
    fn collect_hit(&mut self, sort: &[SortKey], keep: usize, h: Hit) {
        self.total += 1;
        self.push(sort, keep, h);
    }

    /// Merges another segment's or shard's state.
    pub(crate) fn merge(&mut self, other: TopState, sort: &[SortKey], keep: usize) {
        self.total += other.total;
        if let Some(m) = other.max_score {
            self.max_score = Some(self.max_score.map_or(m, |x| x.max(m)));
        }
        for h in other.hits {
            self.push(sort, keep, h);
        }
    }
}

/// Reads what the winning hits show, once the buckets are final (the search's targets).
pub(crate) trait Fetch {
    /// The ES JSON of a hit.
    fn hit(&self, h: &Hit, view: &HitView) -> Result<Value>;
    /// The doc value of `field` of a hit's document (the first one), as ES renders a
    /// `top_metrics` value; `null` without one.
    fn metric(&self, h: &Hit, field: &str) -> Result<Value>;
    /// The mapping of a hit's index.
    fn mapping(&self, h: &Hit) -> &Mapping;
}

fn no_fetch() -> Error {
    Error::es(
        500,
        "exception",
        "top hits rendered without their documents",
    )
}

/// Renders a `top_hits` aggregation.
pub(crate) fn render_top_hits(
    spec: &TopHits,
    st: &TopState,
    fetch: Option<&dyn Fetch>,
) -> Result<Value> {
    let mut hits = Vec::new();
    for h in st.hits.iter().skip(spec.from).take(spec.size) {
        hits.push(fetch.ok_or_else(no_fetch)?.hit(h, &spec.view)?);
    }
    let scored = !spec.view.sorted_by_field() || spec.view.track_scores;
    let max_score = match st.max_score {
        Some(m) if scored && st.total > 0 => crate::search::float_json(m),
        _ => Value::Null,
    };
    Ok(json!({"hits": {
        "total": {"value": st.total, "relation": "eq"},
        "max_score": max_score,
        "hits": hits,
    }}))
}

/// Renders a `top_metrics` aggregation.
pub(crate) fn render_top_metrics(
    spec: &TopMetrics,
    st: &TopState,
    fetch: Option<&dyn Fetch>,
) -> Result<Value> {
    let mut top = Vec::new();
    for h in st.hits.iter().take(spec.size) {
        let fetch = fetch.ok_or_else(no_fetch)?;
        let mapping = fetch.mapping(h);
        let sort = h
            .keys
            .first()
            .map_or(Value::Null, |v| sort_value_json(&spec.sort, v, mapping));
        let mut metrics = Map::new();
        for f in &spec.metrics {
            metrics.insert(f.clone(), fetch.metric(h, f)?);
        }
        top.push(json!({"sort": [sort], "metrics": metrics}));
    }
    Ok(json!({ "top": top }))
}

/// A `top_metrics` sort value: dates as ES formats them, numbers as their field's type.
fn sort_value_json(k: &SortKey, v: &SortVal, mapping: &Mapping) -> Value {
    match (k, v) {
        (SortKey::Field { field, .. }, SortVal::Num(x)) => value_json(
            mapping.field(field).map(|f| (f.ty, f.formats.as_slice())),
            *x,
        ),
        (_, SortVal::Num(x)) => super::num_json(*x),
        (_, SortVal::Long(x)) => Value::from(*x),
        (_, SortVal::Str(s)) => Value::from(s.clone()),
        (_, SortVal::Missing) => Value::Null,
    }
}

/// A doc value as ES renders it in `top_metrics`: a formatted date, an integer for integral
/// types, a double otherwise.
pub(crate) fn value_json(
    ty: Option<(FieldType, &[crate::mapping::date::DateFormat])>,
    x: f64,
) -> Value {
    match ty {
        Some((FieldType::Date, formats)) => {
            Value::from(crate::mapping::date::format_with(x as i64, formats, None))
        }
        Some((t, _)) if t.is_integer() => super::integer_json(x),
        _ => super::num_json(x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(v: Option<f64>, order: u64) -> Hit {
        Hit {
            keys: vec![v.map_or(SortVal::Missing, SortVal::Num)],
            score: 1.0,
            shard: 0,
            addr: DocAddress::new(0, order as u32),
            order,
        }
    }

    fn values(st: &TopState) -> Vec<(Option<f64>, u64)> {
        st.hits
            .iter()
            .map(|h| {
                let v = match h.keys[0] {
                    SortVal::Num(x) => Some(x),
                    SortVal::Long(x) => Some(x as f64),
                    _ => None,
                };
                (v, h.order)
            })
            .collect()
    }

    #[test]
    fn the_buffer_keeps_the_best_in_order_and_never_more() {
        let sort = [SortKey::Field {
            field: "n".into(),
            asc: false,
            missing_first: false,
            format: None,
        }];
        let mut st = TopState::default();
        // a pseudo-random sequence with ties and missing values
        let mut x = 7u64;
        let mut all = Vec::new();
        for order in 0..500u64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let v = if x.is_multiple_of(11) {
                None
            } else {
                Some(((x >> 33) % 50) as f64)
            };
            all.push((v, order));
            st.push(&sort, 4, hit(v, order));
            assert!(st.hits.len() <= 4);
        }
        // descending, missing last, ties by order
        all.sort_by(|a, b| match (a.0, b.0) {
            (Some(p), Some(q)) => q.total_cmp(&p).then(a.1.cmp(&b.1)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.1.cmp(&b.1),
        });
        all.truncate(4);
        assert_eq!(values(&st), all);
        // merging two halves gives the same as one pass
        let (mut a, mut b) = (TopState::default(), TopState::default());
        for (i, h) in (0..500u64).map(|o| (o, hit(Some((o % 37) as f64), o))) {
            if i.is_multiple_of(2) {
                a.collect_hit(&sort, 3, h);
            } else {
                b.collect_hit(&sort, 3, h);
            }
        }
        a.merge(b, &sort, 3);
        assert_eq!(a.total, 500);
        assert_eq!(
            values(&a),
            vec![(Some(36.0), 36), (Some(36.0), 73), (Some(36.0), 110)]
        );
    }

    #[test]
    fn nothing_is_kept_with_size_zero() {
        let sort = [SortKey::Score(false)];
        let mut st = TopState::default();
        st.push(&sort, 0, hit(Some(1.0), 1));
        assert!(st.hits.is_empty());
    }
}
