//! Pipeline aggregations: computed from other aggregations' answers, not from documents.
//!
//! Parent pipelines (`derivative`, `cumulative_sum`, `serial_diff`, `moving_fn`,
//! `bucket_script`, `bucket_selector`, `bucket_sort`) run over the buckets of the aggregation
//! that holds them once those are rendered, adding a value to each bucket or dropping and
//! reordering buckets; sibling pipelines (`avg_bucket`, `sum_bucket`, `min_bucket`,
//! `max_bucket`, `stats_bucket`) reduce the buckets of another aggregation at their level to
//! one value. Values are read through `buckets_path` (`agg>agg.metric`, `_count`, `_key`,
//! `percentiles[99.0]`) with Elasticsearch's gap policies, as its `BucketHelpers` does.

use serde_json::{Map, Value, json};

use super::script::{self, Script, V, Vars};
use super::{Agg, Kind, int_param, num_json};
use crate::error::{Error, Result};

/// What a pipeline does with a bucket whose value is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    /// leave it out
    Skip,
    /// count it as 0
    InsertZeros,
    /// use the value if there is one, even in an empty bucket
    KeepValues,
}

/// A sibling pipeline's reduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduce {
    /// avg_bucket
    Avg,
    /// sum_bucket
    Sum,
    /// min_bucket
    Min,
    /// max_bucket
    Max,
    /// stats_bucket
    Stats,
}

/// One pipeline aggregation.
#[derive(Debug, Clone, PartialEq)]
pub enum Pipe {
    /// derivative (`unit`: the x-axis unit in milliseconds)
    Derivative {
        path: String,
        gap: Gap,
        unit: Option<f64>,
    },
    /// cumulative_sum
    CumulativeSum { path: String },
    /// serial_diff
    SerialDiff { path: String, lag: usize, gap: Gap },
    /// moving_fn
    MovingFn {
        path: String,
        window: usize,
        shift: i64,
        script: Box<Script>,
        gap: Gap,
    },
    /// bucket_script
    BucketScript {
        paths: Vec<(String, String)>,
        script: Box<Script>,
        gap: Gap,
    },
    /// bucket_selector
    BucketSelector {
        paths: Vec<(String, String)>,
        script: Box<Script>,
        gap: Gap,
    },
    /// bucket_sort
    BucketSort {
        sort: Vec<(String, bool)>,
        from: usize,
        size: Option<usize>,
        gap: Gap,
    },
    /// avg_bucket, sum_bucket, min_bucket, max_bucket, stats_bucket
    Sibling {
        reduce: Reduce,
        path: String,
        gap: Gap,
    },
}

/// A pipeline aggregation and its type name.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// `derivative`, `avg_bucket`, ...
    pub ty: &'static str,
    /// what it computes
    pub pipe: Pipe,
}

const TYPES: &[&str] = &[
    "derivative",
    "cumulative_sum",
    "serial_diff",
    "moving_fn",
    "bucket_script",
    "bucket_selector",
    "bucket_sort",
    "avg_bucket",
    "sum_bucket",
    "min_bucket",
    "max_bucket",
    "stats_bucket",
];

/// Pipeline types Elasticsearch has that the store does not compute (refused by name).
const NOT_BUILT: &[&str] = &[
    "extended_stats_bucket",
    "percentiles_bucket",
    "moving_percentiles",
    "normalize",
    "cumulative_cardinality",
    "inference",
    "bucket_count_ks_test",
    "bucket_correlation",
    "change_point",
    "moving_avg",
];

fn xcontent(t: &str, reason: impl std::fmt::Display) -> Error {
    Error::es(400, "x_content_parse_exception", format!("[{t}] {reason}"))
}

fn validation(reason: impl std::fmt::Display) -> Error {
    Error::es(
        400,
        "action_request_validation_exception",
        format!("Validation Failed: 1: {reason};"),
    )
}

fn gap_policy(o: &Map<String, Value>, t: &str) -> Result<Gap> {
    match o.get("gap_policy") {
        None | Some(Value::Null) => Ok(Gap::Skip),
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "skip" => Ok(Gap::Skip),
            "insert_zeros" => Ok(Gap::InsertZeros),
            "keep_values" => Ok(Gap::KeepValues),
            _ => Err(Error::parsing(format!(
                "Invalid gap policy: [{s}], accepted values: [insert_zeros, skip, keep_values]"
            ))),
        },
        Some(other) => Err(xcontent(
            t,
            format_args!(
                "gap_policy doesn't support values of type: {}",
                crate::search::token_name(other)
            ),
        )),
    }
}

fn one_path(o: &Map<String, Value>, t: &str, name: &str) -> Result<String> {
    match o.get("buckets_path") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Array(a)) if a.len() == 1 && a[0].is_string() => {
            Ok(a[0].as_str().unwrap_or_default().to_owned())
        }
        Some(Value::Object(m)) if m.len() == 1 => Ok(m
            .values()
            .next()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()),
        Some(_) => Err(Error::parsing(format!(
            "[buckets_path] of [{t}] aggregation [{name}] must be a single path"
        ))),
        None => Err(Error::parsing(format!(
            "Missing required field [buckets_path] for {t} aggregation [{name}]"
        ))),
    }
}

fn path_map(o: &Map<String, Value>, t: &str, name: &str) -> Result<Vec<(String, String)>> {
    match o.get("buckets_path") {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(p) => Ok((k.clone(), p.clone())),
                _ => Err(Error::parsing(format!(
                    "[buckets_path] of [{t}] aggregation [{name}] must map names to paths"
                ))),
            })
            .collect(),
        Some(Value::String(p)) => Ok(vec![("_value0".to_owned(), p.clone())]),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(p) => Ok((format!("_value{i}"), p.clone())),
                _ => Err(Error::parsing(format!(
                    "[buckets_path] of [{t}] aggregation [{name}] must hold paths"
                ))),
            })
            .collect(),
        _ => Err(Error::parsing(format!(
            "Missing required field [buckets_path] for {t} aggregation [{name}]"
        ))),
    }
}

fn check_keys(o: &Map<String, Value>, t: &str, allowed: &[&str]) -> Result<()> {
    for k in o.keys() {
        if k == "format" {
            return Err(Error::illegal_argument(format!(
                "[format] of [{t}] is not supported by sluice-store"
            )));
        }
        if !allowed.contains(&k.as_str()) {
            return Err(xcontent(t, format_args!("unknown field [{k}]")));
        }
    }
    Ok(())
}

/// The x-axis unit of a derivative, in milliseconds.
fn unit(s: &str, t: &str) -> Result<f64> {
    let ms = match s {
        "second" | "1s" => 1_000.0,
        "minute" | "1m" => 60_000.0,
        "hour" | "1h" => 3_600_000.0,
        "day" | "1d" => 86_400_000.0,
        "week" | "1w" => 604_800_000.0,
        other => super::parse_fixed(other).map(|ms| ms as f64).ok_or_else(|| {
            Error::illegal_argument(format!(
                "[unit] [{other}] of [{t}] is not supported by sluice-store (fixed units: ms, s, m, h, d, w)"
            ))
        })?,
    };
    Ok(ms)
}

/// Parses a pipeline aggregation of type `t`; `None` when `t` is not one.
pub(super) fn parse(name: &str, t: &str, o: &Map<String, Value>) -> Result<Option<Pipeline>> {
    if NOT_BUILT.contains(&t) {
        return Err(Error::illegal_argument(format!(
            "pipeline aggregation [{t}] is not supported by sluice-store"
        )));
    }
    let Some(&ty) = TYPES.iter().find(|x| **x == t) else {
        return Ok(None);
    };
    let pipe = match ty {
        "derivative" => {
            check_keys(o, t, &["buckets_path", "gap_policy", "unit"])?;
            Pipe::Derivative {
                path: one_path(o, t, name)?,
                gap: gap_policy(o, t)?,
                unit: o
                    .get("unit")
                    .and_then(Value::as_str)
                    .map(|u| unit(u, t))
                    .transpose()?,
            }
        }
        "cumulative_sum" => {
            check_keys(o, t, &["buckets_path"])?;
            Pipe::CumulativeSum {
                path: one_path(o, t, name)?,
            }
        }
        "serial_diff" => {
            check_keys(o, t, &["buckets_path", "gap_policy", "lag"])?;
            let lag = int_param(o, "lag", t)?.unwrap_or(1);
            if lag <= 0 {
                return Err(Error::parsing(format!(
                    "Lag must be a positive, non-zero integer.  Value supplied was{lag} in [{name}]: [lag]."
                )));
            }
            Pipe::SerialDiff {
                path: one_path(o, t, name)?,
                lag: usize::try_from(lag).unwrap_or(usize::MAX),
                gap: gap_policy(o, t)?,
            }
        }
        "moving_fn" => {
            check_keys(
                o,
                t,
                &["buckets_path", "gap_policy", "window", "shift", "script"],
            )?;
            let window = int_param(o, "window", t)?.ok_or_else(|| {
                Error::parsing(format!(
                    "Required [window] for moving_fn aggregation [{name}]"
                ))
            })?;
            if window <= 0 {
                return Err(validation(format_args!(
                    "[window] must be a positive, non-zero integer."
                )));
            }
            let script = o.get("script").ok_or_else(|| {
                Error::parsing(format!(
                    "Required [script] for moving_fn aggregation [{name}]"
                ))
            })?;
            Pipe::MovingFn {
                path: one_path(o, t, name)?,
                window: usize::try_from(window).unwrap_or(usize::MAX),
                shift: int_param(o, "shift", t)?.unwrap_or(0),
                script: Box::new(script::parse(script, name)?),
                gap: gap_policy(o, t)?,
            }
        }
        "bucket_script" | "bucket_selector" => {
            check_keys(o, t, &["buckets_path", "gap_policy", "script"])?;
            let script = o.get("script").ok_or_else(|| {
                Error::parsing(format!(
                    "Missing required field [script] for {t} aggregation [{name}]"
                ))
            })?;
            let paths = path_map(o, t, name)?;
            let script = Box::new(script::parse(script, name)?);
            let gap = gap_policy(o, t)?;
            if ty == "bucket_script" {
                Pipe::BucketScript { paths, script, gap }
            } else {
                Pipe::BucketSelector { paths, script, gap }
            }
        }
        "bucket_sort" => {
            check_keys(o, t, &["sort", "from", "size", "gap_policy"])?;
            let mut sort = Vec::new();
            let items: Vec<&Value> = match o.get("sort") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(a)) => a.iter().collect(),
                Some(other) => vec![other],
            };
            for it in items {
                match it {
                    Value::String(f) => sort.push((f.clone(), true)),
                    Value::Object(m) => {
                        for (f, spec) in m {
                            let order = match spec {
                                Value::String(s) => s.as_str(),
                                Value::Object(s) => {
                                    s.get("order").and_then(Value::as_str).unwrap_or("asc")
                                }
                                _ => "",
                            };
                            let asc = match order {
                                "asc" => true,
                                "desc" => false,
                                other => {
                                    return Err(Error::illegal_argument(format!(
                                        "Unknown SortOrder [{other}]"
                                    )));
                                }
                            };
                            sort.push((f.clone(), asc));
                        }
                    }
                    other => {
                        return Err(xcontent(
                            t,
                            format_args!(
                                "sort doesn't support values of type: {}",
                                crate::search::token_name(other)
                            ),
                        ));
                    }
                }
            }
            let from = int_param(o, "from", t)?.unwrap_or(0);
            let unbuilt = |reason: String| {
                Error::x_content(format!(
                    "failed to build [{t}] after last required field arrived"
                ))
                .caused_by(Error::illegal_argument(reason))
            };
            if from < 0 {
                return Err(unbuilt(format!(
                    "[from] must be a non-negative integer: [{from}]"
                )));
            }
            let size = int_param(o, "size", t)?;
            if let Some(s) = size
                && s <= 0
            {
                return Err(unbuilt(format!("[size] must be a positive integer: [{s}]")));
            }
            Pipe::BucketSort {
                sort,
                from: from as usize,
                size: size.map(|s| s as usize),
                gap: gap_policy(o, t)?,
            }
        }
        _ => {
            check_keys(o, t, &["buckets_path", "gap_policy"])?;
            let reduce = match ty {
                "avg_bucket" => Reduce::Avg,
                "sum_bucket" => Reduce::Sum,
                "min_bucket" => Reduce::Min,
                "max_bucket" => Reduce::Max,
                _ => Reduce::Stats,
            };
            // `agg.metric` names the metric of each bucket of `agg`, as `agg>metric` does
            let path = one_path(o, t, name)?;
            let path = if path.contains('>') {
                path
            } else {
                path.replacen('.', ">", 1)
            };
            Pipe::Sibling {
                reduce,
                path,
                gap: gap_policy(o, t)?,
            }
        }
    };
    Ok(Some(Pipeline { ty, pipe }))
}

impl Pipeline {
    fn is_parent(&self) -> bool {
        !matches!(self.pipe, Pipe::Sibling { .. })
    }

    /// Needs a histogram or date histogram as its parent.
    fn sequential(&self) -> bool {
        matches!(
            self.pipe,
            Pipe::Derivative { .. }
                | Pipe::CumulativeSum { .. }
                | Pipe::SerialDiff { .. }
                | Pipe::MovingFn { .. }
        )
    }

    /// Its `buckets_path`s (and `bucket_sort`'s sort fields).
    fn paths(&self) -> Vec<&str> {
        match &self.pipe {
            Pipe::Derivative { path, .. }
            | Pipe::CumulativeSum { path }
            | Pipe::SerialDiff { path, .. }
            | Pipe::MovingFn { path, .. }
            | Pipe::Sibling { path, .. } => vec![path],
            Pipe::BucketScript { paths, .. } | Pipe::BucketSelector { paths, .. } => {
                paths.iter().map(|(_, p)| p.as_str()).collect()
            }
            Pipe::BucketSort { sort, .. } => sort.iter().map(|(p, _)| p.as_str()).collect(),
        }
    }

    /// The aggregations at its level that it reads (the first element of each path).
    fn reads(&self) -> Vec<&str> {
        fn first(p: &str) -> &str {
            let head = p.split('>').next().unwrap_or(p);
            head.split(['.', '[']).next().unwrap_or(head)
        }
        match &self.pipe {
            Pipe::Derivative { path, .. }
            | Pipe::CumulativeSum { path }
            | Pipe::SerialDiff { path, .. }
            | Pipe::MovingFn { path, .. }
            | Pipe::Sibling { path, .. } => vec![first(path)],
            Pipe::BucketScript { paths, .. } | Pipe::BucketSelector { paths, .. } => {
                paths.iter().map(|(_, p)| first(p)).collect()
            }
            Pipe::BucketSort { sort, .. } => sort.iter().map(|(p, _)| first(p)).collect(),
        }
    }
}

/// Checks where each pipeline sits, as Elasticsearch does before running a search.
pub(super) fn validate(aggs: &[Agg], parent: Option<&Agg>) -> Result<()> {
    for a in aggs {
        if let (Kind::Composite(_), Some(p)) = (&a.kind, parent) {
            // ES names the parent's factory class: `terms` → `TermsAggregatorFactory`
            let class: String = p
                .kind
                .type_name()
                .split('_')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect();
            return Err(Error::illegal_argument(format!(
                "[composite] aggregation cannot be used with a parent aggregation of type: [{class}AggregatorFactory]"
            )));
        }
        if let Kind::Pipeline(p) = &a.kind {
            if p.sequential() {
                let ok = parent.is_some_and(|x| {
                    matches!(x.kind, Kind::Histogram { .. } | Kind::DateHistogram { .. })
                });
                if !ok {
                    return Err(validation(format_args!(
                        "{} aggregation [{}] must have a histogram, date_histogram or auto_date_histogram as parent{}",
                        p.ty,
                        a.name,
                        if parent.is_none() {
                            " but doesn't have a parent"
                        } else {
                            ""
                        }
                    )));
                }
                if let Some(Agg {
                    kind:
                        Kind::Histogram { min_doc_count, .. }
                        | Kind::DateHistogram { min_doc_count, .. },
                    ..
                }) = parent
                    && *min_doc_count != 0
                {
                    return Err(validation(format_args!(
                        "parent histogram of {} aggregation [{}] must have min_doc_count of 0",
                        p.ty, a.name
                    )));
                }
            } else if p.is_parent() && parent.is_none() {
                return Err(validation(format_args!(
                    "{} aggregation [{}] must be declared inside of another aggregation",
                    p.ty, a.name
                )));
            }
            if p.is_parent() {
                for (read, path) in p.reads().into_iter().zip(p.paths()) {
                    if read != "_count" && read != "_key" && !aggs.iter().any(|x| x.name == read) {
                        return Err(validation(format_args!(
                            "No aggregation found for path [{path}]"
                        )));
                    }
                }
            }
            if let Pipe::Sibling { path, .. } = &p.pipe {
                let first = path.split('>').next().unwrap_or(path);
                let target = aggs.iter().find(|x| x.name == first);
                match target {
                    None => {
                        return Err(validation(format_args!(
                            "No aggregation found for path [{path}]"
                        )));
                    }
                    Some(t) if !is_multi_bucket(&t.kind) => {
                        return Err(validation(format_args!(
                            "The first aggregation in buckets_path must be a multi-bucket aggregation for aggregation [{}] found :[{}] for buckets path: {path}",
                            a.name,
                            t.kind.type_name()
                        )));
                    }
                    Some(_) => {}
                }
            }
        }
        validate(&a.subs, Some(a))?;
    }
    Ok(())
}

fn is_multi_bucket(k: &Kind) -> bool {
    matches!(
        k,
        Kind::Terms { .. }
            | Kind::DateHistogram { .. }
            | Kind::Histogram { .. }
            | Kind::Range { .. }
            | Kind::IpRange { .. }
            | Kind::Filters { .. }
            | Kind::GeoGrid(_)
            | Kind::Composite(_)
    )
}

/// A rendered bucket, with its name where buckets are keyed (else an empty name).
type Bucket = (String, Map<String, Value>);
/// Rendered buckets.
type Buckets = Vec<Bucket>;

/// The buckets of a rendered multi-bucket answer, and whether they are keyed.
fn take_buckets(body: &mut Value) -> Option<(bool, Buckets)> {
    let b = body.get_mut("buckets")?;
    match b.take() {
        Value::Array(items) => Some((
            false,
            items
                .into_iter()
                .filter_map(|v| match v {
                    Value::Object(m) => Some((String::new(), m)),
                    _ => None,
                })
                .collect(),
        )),
        Value::Object(m) => Some((
            true,
            m.into_iter()
                .filter_map(|(k, v)| match v {
                    Value::Object(b) => Some((k, b)),
                    _ => None,
                })
                .collect(),
        )),
        other => {
            *b = other;
            None
        }
    }
}

fn put_buckets(body: &mut Value, keyed: bool, buckets: Buckets) {
    let v = if keyed {
        Value::Object(
            buckets
                .into_iter()
                .map(|(k, b)| (k, Value::Object(b)))
                .collect(),
        )
    } else {
        Value::Array(buckets.into_iter().map(|(_, b)| Value::Object(b)).collect())
    };
    if let Some(slot) = body.get_mut("buckets") {
        *slot = v;
    }
}

fn doc_count(b: &Map<String, Value>) -> u64 {
    b.get("doc_count").and_then(Value::as_u64).unwrap_or(0)
}

fn path_error(reason: String) -> Error {
    crate::search::all_shards_failed(Error::es(400, "aggregation_execution_exception", reason))
}

/// The number `path` names in a rendered bucket (`_count` marks a document count, never a
/// gap); `None` where the bucket has no such aggregation (a pipeline that wrote nothing
/// there), as Elasticsearch's `InvalidAggregationPathException` is taken for "no value".
fn property(b: &Map<String, Value>, path: &str) -> Result<Option<(f64, bool)>> {
    let mut bucket = b;
    let mut parts = path.split('>').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_some() {
            match bucket.get(part).and_then(Value::as_object) {
                Some(o) if o.contains_key("doc_count") => bucket = o,
                // a multi-bucket aggregation in the middle of the path: ES reads its buckets
                // as an array where it wants a number
                Some(o) if o.contains_key("buckets") => {
                    return Err(Error::es(400, "search_phase_execution_exception", "")
                        .with("phase", "fetch")
                        .with("grouped", true)
                        .caused_by(Error::illegal_argument(format!(
                            "buckets_path must reference either a number value or a single value numeric metric aggregation, got: [Object[]] at aggregation [{part}]"
                        ))));
                }
                Some(_) => {
                    return Err(path_error(format!(
                        "[{part}] in buckets_path [{path}] is not a single-bucket aggregation"
                    )));
                }
                None => return Ok(None),
            }
            continue;
        }
        if part == "_count" {
            return Ok(Some((doc_count(bucket) as f64, true)));
        }
        if part == "_key" {
            return Ok(Some((
                bucket
                    .get("key")
                    .and_then(Value::as_f64)
                    .unwrap_or(f64::NAN),
                false,
            )));
        }
        let (name, key) = match part.split_once('[') {
            Some((n, k)) => (n, Some(k.trim_end_matches(']'))),
            None => match part.split_once('.') {
                Some((n, k)) => (n, Some(k)),
                None => (part, None),
            },
        };
        let Some(obj) = bucket.get(name).and_then(Value::as_object) else {
            return Ok(None);
        };
        let number = |v: Option<&Value>| -> Option<f64> {
            match v? {
                Value::Null => Some(f64::NAN),
                v => v.as_f64(),
            }
        };
        let found = match key {
            None => number(obj.get("value")),
            Some(k) => number(obj.get(k)).or_else(|| {
                let values = obj.get("values")?.as_object()?;
                let normal = k.parse::<f64>().ok().map(super::java_double);
                number(values.get(k)).or_else(|| number(values.get(normal.as_deref()?)))
            }),
        };
        return match found {
            Some(x) => Ok(Some((x, false))),
            None if key.is_none() => Err(path_error(format!(
                "buckets_path must reference either a number value or a single value numeric metric aggregation, but [{name}] contains multiple values. Please specify which to use."
            ))),
            None => Err(path_error(format!(
                "buckets_path [{path}]: [{name}] has no value [{}]",
                key.unwrap_or_default()
            ))),
        };
    }
    Ok(None)
}

/// Elasticsearch's `BucketHelpers.resolveBucketValue`: NaN for a gap that is skipped, `None`
/// for no value at all.
fn resolve(b: &Map<String, Value>, path: &str, gap: Gap) -> Result<Option<f64>> {
    let Some((v, is_count)) = property(b, path)? else {
        return Ok(None);
    };
    if v.is_nan() || v.is_infinite() || (doc_count(b) == 0 && !is_count) {
        return Ok(Some(match gap {
            Gap::InsertZeros => 0.0,
            Gap::Skip => f64::NAN,
            Gap::KeepValues if v.is_nan() || v.is_infinite() => f64::NAN,
            Gap::KeepValues => v,
        }));
    }
    Ok(Some(v))
}

fn simple(x: f64) -> Value {
    json!({"value": num_json(x)})
}

/// Runs the parent pipelines among `a`'s sub-aggregations over the buckets of `body`, in an
/// order where each runs after the pipelines it reads.
pub(super) fn apply_parents(a: &Agg, body: &mut Value) -> Result<()> {
    let pipes: Vec<(&str, &Pipeline)> = a
        .subs
        .iter()
        .filter_map(|s| match &s.kind {
            Kind::Pipeline(p) if p.is_parent() => Some((s.name.as_str(), &**p)),
            _ => None,
        })
        .collect();
    if pipes.is_empty() {
        return Ok(());
    }
    let Some((keyed, mut buckets)) = take_buckets(body) else {
        return Err(Error::es(
            400,
            "aggregation_execution_exception",
            format!(
                "{} aggregation [{}] must be declared inside of a multi-bucket aggregation",
                pipes[0].1.ty, pipes[0].0
            ),
        ));
    };
    let mut done = vec![false; pipes.len()];
    for i in 0..pipes.len() {
        run_after_reads(i, &pipes, &mut done, &mut buckets, 0)?;
    }
    put_buckets(body, keyed, buckets);
    Ok(())
}

fn run_after_reads(
    i: usize,
    pipes: &[(&str, &Pipeline)],
    done: &mut [bool],
    buckets: &mut Buckets,
    depth: usize,
) -> Result<()> {
    if done[i] {
        return Ok(());
    }
    if depth > pipes.len() {
        return Err(validation(format_args!(
            "pipeline aggregation [{}] reads itself through other pipelines",
            pipes[i].0
        )));
    }
    for read in pipes[i].1.reads() {
        if let Some(j) = pipes.iter().position(|(n, _)| *n == read)
            && j != i
        {
            run_after_reads(j, pipes, done, buckets, depth + 1)?;
        }
    }
    done[i] = true;
    run_parent(pipes[i].0, pipes[i].1, buckets)
}

fn run_parent(name: &str, p: &Pipeline, buckets: &mut Buckets) -> Result<()> {
    match &p.pipe {
        Pipe::Derivative { path, gap, unit } => {
            let mut last: Option<(f64, Option<f64>)> = None;
            for (_, b) in buckets.iter_mut() {
                let key = b.get("key").and_then(Value::as_f64).unwrap_or(f64::NAN);
                let v = resolve(b, path, *gap)?;
                if let Some((lk, Some(lv))) = last
                    && let Some(v) = v
                {
                    let gradient = v - lv;
                    let mut out = simple(gradient);
                    if let Some(u) = unit {
                        let x_diff = (key - lk) / u;
                        let normalized = gradient / x_diff;
                        out["normalized_value"] = if gradient.is_finite() {
                            num_json(normalized)
                        } else {
                            Value::Null
                        };
                    }
                    b.insert(name.to_owned(), out);
                }
                last = Some((key, v));
            }
        }
        Pipe::CumulativeSum { path } => {
            let mut sum = 0.0;
            for (_, b) in buckets.iter_mut() {
                let v = resolve(b, path, Gap::InsertZeros)?;
                if let Some(v) = v
                    && v.is_finite()
                {
                    sum += v;
                }
                b.insert(name.to_owned(), simple(sum));
            }
        }
        Pipe::SerialDiff { path, lag, gap } => {
            let mut window: std::collections::VecDeque<f64> = std::collections::VecDeque::new();
            for (i, (_, b)) in buckets.iter_mut().enumerate() {
                let v = resolve(b, path, *gap)?.unwrap_or(f64::NAN);
                let lagged = if i < *lag {
                    f64::NAN
                } else {
                    window.front().copied().unwrap_or(f64::NAN)
                };
                if !v.is_nan() && !lagged.is_nan() {
                    b.insert(name.to_owned(), simple(v - lagged));
                }
                window.push_back(v);
                if window.len() > *lag {
                    window.pop_front();
                }
            }
        }
        Pipe::MovingFn {
            path,
            window,
            shift,
            script,
            gap,
        } => {
            let all = buckets
                .iter()
                .map(|(_, b)| Ok(resolve(b, path, *gap)?.unwrap_or(f64::NAN)))
                .collect::<Result<Vec<f64>>>()?;
            let values: Vec<f64> = all.iter().copied().filter(|v| !v.is_nan()).collect();
            let clamp = |i: i64| i.clamp(0, values.len() as i64) as usize;
            let mut index = 0i64;
            for ((_, b), v) in buckets.iter_mut().zip(all) {
                if v.is_nan() {
                    continue;
                }
                let from = clamp(index - *window as i64 + shift);
                let to = clamp(index + shift);
                let window = if from < to {
                    &values[from..to]
                } else {
                    &[][..]
                };
                let out = script.eval(&Vars {
                    params: &script.params,
                    paths: &[],
                    values: window,
                })?;
                let x = out
                    .clone()
                    .into_number()
                    .ok_or_else(|| not_a_number(name, &out))?;
                b.insert(name.to_owned(), simple(x));
                index += 1;
            }
        }
        Pipe::BucketScript { paths, script, gap } | Pipe::BucketSelector { paths, script, gap } => {
            let selector = matches!(p.pipe, Pipe::BucketSelector { .. });
            let mut kept = Vec::with_capacity(buckets.len());
            for (k, mut b) in std::mem::take(buckets) {
                let mut vars = Vec::with_capacity(paths.len());
                let mut skip = false;
                for (var, path) in paths {
                    let v = resolve(&b, path, *gap)?.unwrap_or(f64::NAN);
                    if *gap == Gap::Skip && v.is_nan() {
                        skip = true;
                        break;
                    }
                    vars.push((var.clone(), v));
                }
                if skip {
                    kept.push((k, b));
                    continue;
                }
                let out = script.eval(&Vars {
                    params: &script.params,
                    paths: &vars,
                    values: &[],
                })?;
                if selector {
                    match out {
                        V::Bool(true) => kept.push((k, b)),
                        V::Bool(false) => {}
                        other => {
                            return Err(Error::es(
                                400,
                                "script_exception",
                                format!(
                                    "bucket_selector [{name}]: the script returned [{}], not a boolean",
                                    match other {
                                        V::Null => "null".to_owned(),
                                        o => format!("{o:?}"),
                                    }
                                ),
                            ));
                        }
                    }
                } else {
                    match out {
                        V::Null => {}
                        other => {
                            let x = other
                                .clone()
                                .into_number()
                                .ok_or_else(|| not_a_number(name, &other))?;
                            b.insert(name.to_owned(), simple(x));
                        }
                    }
                    kept.push((k, b));
                }
            }
            *buckets = kept;
        }
        Pipe::BucketSort {
            sort,
            from,
            size,
            gap,
        } => {
            let all = std::mem::take(buckets);
            let size = size.unwrap_or(all.len());
            if sort.is_empty() {
                *buckets = all.into_iter().skip(*from).take(size).collect();
                return Ok(());
            }
            // as Elasticsearch's `ComparableBucket`: a value skipped as a gap is absent and
            // sorts last; a bucket without any sort value is dropped
            let mut keyed: Vec<(Vec<Option<SortVal>>, Bucket)> = Vec::with_capacity(all.len());
            for (k, b) in all {
                let mut vals = Vec::with_capacity(sort.len());
                for (path, _) in sort {
                    if path == "_key" {
                        vals.push(Some(match b.get("key") {
                            Some(Value::String(s)) => SortVal::Str(s.clone()),
                            Some(v) => SortVal::Num(v.as_f64().unwrap_or(f64::NAN)),
                            None => SortVal::Str(k.clone()),
                        }));
                        continue;
                    }
                    let v = resolve(&b, path, *gap)?.unwrap_or(f64::NAN);
                    vals.push((!(*gap == Gap::Skip && v.is_nan())).then_some(SortVal::Num(v)));
                }
                if vals.iter().any(Option::is_some) {
                    keyed.push((vals, (k, b)));
                }
            }
            // stable, as Java's `Collections.sort`
            keyed.sort_by(|x, y| {
                for (i, (_, asc)) in sort.iter().enumerate() {
                    let o = match (&x.0[i], &y.0[i]) {
                        (None, None) => continue,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (Some(a), Some(b)) if *asc => a.cmp(b),
                        (Some(a), Some(b)) => b.cmp(a),
                    };
                    if o.is_ne() {
                        return o;
                    }
                }
                std::cmp::Ordering::Equal
            });
            *buckets = keyed
                .into_iter()
                .map(|(_, b)| b)
                .skip(*from)
                .take(size)
                .collect();
        }
        Pipe::Sibling { .. } => {}
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
enum SortVal {
    Num(f64),
    Str(String),
}

impl SortVal {
    fn cmp(&self, other: &SortVal) -> std::cmp::Ordering {
        match (self, other) {
            (SortVal::Num(a), SortVal::Num(b)) => a.total_cmp(b),
            (SortVal::Str(a), SortVal::Str(b)) => a.cmp(b),
            (SortVal::Num(_), SortVal::Str(_)) => std::cmp::Ordering::Less,
            (SortVal::Str(_), SortVal::Num(_)) => std::cmp::Ordering::Greater,
        }
    }
}

fn not_a_number(name: &str, v: &V) -> Error {
    Error::es(
        400,
        "script_exception",
        format!("[{name}]: the script returned [{v:?}], not a number"),
    )
}

impl V {
    fn into_number(self) -> Option<f64> {
        match self {
            V::Int(i) => Some(i as f64),
            V::Num(x) => Some(x),
            _ => None,
        }
    }
}

/// Computes the sibling pipelines of one level from the answers rendered at that level (`out`),
/// appending each.
pub(super) fn siblings(aggs: &[Agg], out: &mut Map<String, Value>) -> Result<()> {
    for a in aggs {
        let Kind::Pipeline(p) = &a.kind else {
            continue;
        };
        let Pipe::Sibling { reduce, path, gap } = &p.pipe else {
            continue;
        };
        let (first, rest) = path.split_once('>').unwrap_or((path, "_count"));
        let target = out.get(first).cloned().unwrap_or(Value::Null);
        let mut target = target;
        let buckets = take_buckets(&mut target)
            .map(|(_, b)| b)
            .unwrap_or_default();
        let (mut count, mut sum) = (0u64, 0.0);
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut min_keys, mut max_keys) = (Vec::new(), Vec::new());
        for (k, b) in &buckets {
            let Some(v) = resolve(b, rest, *gap)?.filter(|v| !v.is_nan()) else {
                continue;
            };
            let key = match b.get("key_as_string").or_else(|| b.get("key")) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => {
                    n.as_f64().map_or_else(|| n.to_string(), super::java_double)
                }
                _ => k.clone(),
            };
            count += 1;
            sum += v;
            if v < min {
                min = v;
                min_keys.clear();
            }
            if v == min {
                min_keys.push(key.clone());
            }
            if v > max {
                max = v;
                max_keys.clear();
            }
            if v == max {
                max_keys.push(key);
            }
        }
        let finite = |x: f64| {
            if x.is_finite() {
                num_json(x)
            } else {
                Value::Null
            }
        };
        let body = match reduce {
            Reduce::Avg => simple(if count == 0 {
                f64::NAN
            } else {
                sum / count as f64
            }),
            Reduce::Sum => simple(sum),
            Reduce::Min => json!({"value": finite(min), "keys": min_keys}),
            Reduce::Max => json!({"value": finite(max), "keys": max_keys}),
            Reduce::Stats => json!({
                "count": count,
                "min": finite(min),
                "max": finite(max),
                "avg": if count == 0 { Value::Null } else { num_json(sum / count as f64) },
                "sum": num_json(sum),
            }),
        };
        let body = match &a.meta {
            Some(meta) => {
                let mut o = Map::new();
                o.insert("meta".into(), Value::Object(meta.clone()));
                if let Value::Object(rest) = body {
                    o.extend(rest);
                }
                Value::Object(o)
            }
            None => body,
        };
        out.insert(a.name.clone(), body);
    }
    Ok(())
}
