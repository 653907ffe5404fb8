//! Search execution: request parsing, hits (sort, from/size, `_source` filtering), totals and
//! aggregations across the target indices.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use tantivy::query::{EnableScoring, Query};
use tantivy::{DocAddress, TantivyDocument};

use crate::aggs::{self, Agg};
use crate::engine::shard::Shard;
use crate::engine::store::Resolve;
use crate::error::{Error, Result};
use crate::mapping::FieldType;
use crate::query::{self, Q, lucene};

/// URL parameters of `_search` / `_count` (raw strings, validated here).
#[derive(Debug, Clone, Default)]
pub struct SearchParams {
    /// `q` (Lucene syntax)
    pub q: Option<String>,
    /// `df`
    pub df: Option<String>,
    /// `default_operator`
    pub default_operator: Option<String>,
    /// `size`
    pub size: Option<String>,
    /// `from`
    pub from: Option<String>,
    /// `sort` (`field:asc,other`)
    pub sort: Option<String>,
    /// `_source`
    pub source: Option<String>,
    /// `_source_includes`
    pub source_includes: Option<String>,
    /// `_source_excludes`
    pub source_excludes: Option<String>,
    /// `track_total_hits`
    pub track_total_hits: Option<String>,
    /// `ignore_unavailable`
    pub ignore_unavailable: Option<String>,
    /// `allow_no_indices`
    pub allow_no_indices: Option<String>,
    /// `rest_total_hits_as_int`
    pub rest_total_hits_as_int: Option<String>,
    /// Any other parameter: refused with ES's "unrecognized parameter" error.
    pub extra: Vec<(String, String)>,
}

fn bool_param(name: &str, v: &Option<String>, default: bool) -> Result<bool> {
    match v.as_deref() {
        None => Ok(default),
        Some("" | "true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(Error::illegal_argument(format!(
            "Failed to parse value [{other}] as only [true] or [false] are allowed."
        )))
        .map_err(|e: Error| e.with("param", name)),
    }
}

impl SearchParams {
    /// Index resolution options from the parameters.
    pub fn resolve_options(&self) -> Result<Resolve> {
        Ok(Resolve {
            ignore_unavailable: bool_param("ignore_unavailable", &self.ignore_unavailable, false)?,
            allow_no_indices: bool_param("allow_no_indices", &self.allow_no_indices, true)?,
        })
    }
}

#[derive(Debug, Clone)]
enum SortKey {
    Score(bool),
    Doc(bool),
    Field {
        field: String,
        asc: bool,
        missing_first: bool,
    },
}

#[derive(Debug, Clone)]
enum SourceFilter {
    All,
    None,
    Paths {
        includes: Vec<String>,
        excludes: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy)]
enum TrackTotal {
    Upto(u64),
    Exact,
    Off,
}

struct Request {
    query: Q,
    size: usize,
    from: usize,
    sort: Vec<SortKey>,
    source: SourceFilter,
    track_total: TrackTotal,
    aggs: Vec<Agg>,
    track_scores: bool,
    total_as_int: bool,
}

fn parse_usize(name: &str, v: &Value) -> Result<usize> {
    match v {
        Value::Number(n) => n.as_i64().filter(|x| *x >= 0).map(|x| x as usize),
        Value::String(s) => s.parse::<usize>().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        Error::illegal_argument(format!(
            "[{name}] parameter cannot be negative, found [{v}]"
        ))
    })
}

fn parse_sort_value(v: &Value) -> Result<Vec<SortKey>> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for it in items {
        match it {
            Value::String(s) => out.push(sort_key(s, None, None)?),
            Value::Object(o) => {
                for (field, spec) in o {
                    match spec {
                        Value::String(dir) => out.push(sort_key(field, Some(dir), None)?),
                        Value::Object(so) => {
                            for k in so.keys() {
                                if !matches!(
                                    k.as_str(),
                                    "order" | "missing" | "unmapped_type" | "format"
                                ) {
                                    return Err(Error::parsing(format!(
                                        "[field_sort] unknown field [{k}]"
                                    )));
                                }
                            }
                            out.push(sort_key(
                                field,
                                so.get("order").and_then(Value::as_str),
                                so.get("missing").and_then(Value::as_str),
                            )?);
                        }
                        _ => {
                            return Err(Error::parsing(format!(
                                "[sort] malformed for field [{field}]"
                            )));
                        }
                    }
                }
            }
            _ => {
                return Err(Error::parsing(
                    "[sort] must be a string, an object or an array",
                ));
            }
        }
    }
    Ok(out)
}

fn sort_key(field: &str, dir: Option<&str>, missing: Option<&str>) -> Result<SortKey> {
    let asc = match dir {
        None => field != "_score",
        Some("asc") => true,
        Some("desc") => false,
        Some(other) => {
            return Err(Error::illegal_argument(format!(
                "Unknown SortOrder [{other}]"
            )));
        }
    };
    Ok(match field {
        "_score" => SortKey::Score(asc),
        "_doc" => SortKey::Doc(asc),
        f => SortKey::Field {
            field: f.to_owned(),
            asc,
            missing_first: missing == Some("_first"),
        },
    })
}

fn parse_source_filter(v: &Value) -> Result<SourceFilter> {
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => vec![],
        }
    };
    Ok(match v {
        Value::Bool(true) => SourceFilter::All,
        Value::Bool(false) => SourceFilter::None,
        Value::String(_) | Value::Array(_) => SourceFilter::Paths {
            includes: list(v),
            excludes: vec![],
        },
        Value::Object(o) => SourceFilter::Paths {
            includes: o
                .get("includes")
                .or_else(|| o.get("include"))
                .map(list)
                .unwrap_or_default(),
            excludes: o
                .get("excludes")
                .or_else(|| o.get("exclude"))
                .map(list)
                .unwrap_or_default(),
        },
        _ => {
            return Err(Error::parsing(
                "[_source] must be a boolean, a string, an array or an object",
            ));
        }
    })
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_request(body: Option<&Value>, params: &SearchParams, count_only: bool) -> Result<Request> {
    if let Some((k, _)) = params.extra.first() {
        return Err(Error::illegal_argument(format!(
            "request [/_search] contains unrecognized parameter: [{k}]"
        )));
    }
    let mut req = Request {
        query: Q::MatchAll(1.0),
        size: 10,
        from: 0,
        sort: vec![],
        source: SourceFilter::All,
        track_total: TrackTotal::Upto(10_000),
        aggs: vec![],
        track_scores: false,
        total_as_int: bool_param(
            "rest_total_hits_as_int",
            &params.rest_total_hits_as_int,
            false,
        )?,
    };
    if let Some(body) = body {
        let o = body
            .as_object()
            .ok_or_else(|| Error::parsing("request body must be an object"))?;
        for (k, v) in o {
            match (k.as_str(), count_only) {
                ("query", _) => req.query = query::parse(v)?,
                ("size", false) => req.size = parse_usize("size", v)?,
                ("from", false) => req.from = parse_usize("from", v)?,
                ("sort", false) => req.sort = parse_sort_value(v)?,
                ("_source", false) => req.source = parse_source_filter(v)?,
                ("aggs" | "aggregations", false) => req.aggs = aggs::parse(v)?,
                ("track_total_hits", false) => {
                    req.track_total = match v {
                        Value::Bool(true) => TrackTotal::Exact,
                        Value::Bool(false) => TrackTotal::Off,
                        Value::Number(n) => TrackTotal::Upto(n.as_u64().ok_or_else(|| Error::illegal_argument("[track_total_hits] parameter must be positive or equals to -1, got [".to_owned() + &n.to_string() + "]"))?),
                        _ => return Err(Error::parsing("[track_total_hits] must be a boolean or a number")),
                    };
                }
                ("track_scores", false) => req.track_scores = v.as_bool().unwrap_or(false),
                ("timeout", _) => {}
                (other, _) => {
                    return Err(Error::parsing(format!(
                        "Unknown key for a {} in [{other}].",
                        match v {
                            Value::Object(_) => "START_OBJECT",
                            Value::Array(_) => "START_ARRAY",
                            Value::String(_) => "VALUE_STRING",
                            Value::Number(_) => "VALUE_NUMBER",
                            Value::Bool(_) => "VALUE_BOOLEAN",
                            Value::Null => "VALUE_NULL",
                        }
                    ))
                    .with("line", 1)
                    .with("col", 1));
                }
            }
        }
    }
    if let Some(q) = &params.q {
        let opts = lucene::Options {
            default_fields: params
                .df
                .as_deref()
                .map_or_else(|| vec!["*".to_owned()], |d| vec![d.to_owned()]),
            default_operator: match params
                .default_operator
                .as_deref()
                .map(str::to_ascii_uppercase)
                .as_deref()
            {
                None | Some("OR") => query::Operator::Or,
                Some("AND") => query::Operator::And,
                Some(other) => {
                    return Err(Error::illegal_argument(format!(
                        "No enum constant for default_operator [{other}]"
                    )));
                }
            },
        };
        req.query = lucene::parse_lucene(q, &opts)?;
    }
    let num = |name: &str, v: &Option<String>| -> Result<Option<usize>> {
        v.as_deref()
            .map(|s| {
                s.parse::<usize>().map_err(|_| {
                    Error::illegal_argument(format!(
                        "Failed to parse int parameter [{name}] with value [{s}]"
                    ))
                })
            })
            .transpose()
    };
    if let Some(n) = num("size", &params.size)? {
        req.size = n;
    }
    if let Some(n) = num("from", &params.from)? {
        req.from = n;
    }
    if let Some(s) = &params.sort {
        req.sort = split_list(s)
            .iter()
            .map(|item| match item.rsplit_once(':') {
                Some((f, d)) => sort_key(f, Some(d), None),
                None => sort_key(item, None, None),
            })
            .collect::<Result<_>>()?;
    }
    match params.source.as_deref() {
        Some("false") => req.source = SourceFilter::None,
        Some("true") | None => {}
        Some(s) => {
            req.source = SourceFilter::Paths {
                includes: split_list(s),
                excludes: vec![],
            }
        }
    }
    if params.source_includes.is_some() || params.source_excludes.is_some() {
        req.source = SourceFilter::Paths {
            includes: params
                .source_includes
                .as_deref()
                .map(split_list)
                .unwrap_or_default(),
            excludes: params
                .source_excludes
                .as_deref()
                .map(split_list)
                .unwrap_or_default(),
        };
    }
    if let Some(t) = &params.track_total_hits {
        req.track_total = match t.as_str() {
            "true" | "" => TrackTotal::Exact,
            "false" => TrackTotal::Off,
            n => TrackTotal::Upto(n.parse().map_err(|_| {
                Error::illegal_argument(format!("Failed to parse [track_total_hits] value [{n}]"))
            })?),
        };
    }
    if req.from + req.size > 10_000 {
        return Err(Error::es(400, "search_phase_execution_exception", "all shards failed").caused_by(Error::illegal_argument(format!(
            "Result window is too large, from + size must be less than or equal to: [10000] but was [{}]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.",
            req.from + req.size
        ))));
    }
    Ok(req)
}

#[derive(Debug, Clone, PartialEq)]
enum SortVal {
    Missing,
    Num(f64),
    Str(String),
}

struct Hit {
    keys: Vec<SortVal>,
    score: f32,
    shard: usize,
    addr: DocAddress,
    order: u64,
}

fn cmp_hits(sort: &[SortKey], a: &Hit, b: &Hit) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    for (i, k) in sort.iter().enumerate() {
        let c = match k {
            SortKey::Score(asc) => {
                let c = a.score.total_cmp(&b.score);
                if *asc { c } else { c.reverse() }
            }
            SortKey::Doc(asc) => {
                let c = a.order.cmp(&b.order);
                if *asc { c } else { c.reverse() }
            }
            SortKey::Field {
                asc, missing_first, ..
            } => {
                let (x, y) = (&a.keys[i], &b.keys[i]);
                match (x, y) {
                    (SortVal::Missing, SortVal::Missing) => Ordering::Equal,
                    (SortVal::Missing, _) => {
                        if *missing_first {
                            Ordering::Less
                        } else {
                            Ordering::Greater
                        }
                    }
                    (_, SortVal::Missing) => {
                        if *missing_first {
                            Ordering::Greater
                        } else {
                            Ordering::Less
                        }
                    }
                    (SortVal::Num(p), SortVal::Num(q)) => {
                        if *asc {
                            p.total_cmp(q)
                        } else {
                            q.total_cmp(p)
                        }
                    }
                    (SortVal::Str(p), SortVal::Str(q)) => {
                        if *asc {
                            p.cmp(q)
                        } else {
                            q.cmp(p)
                        }
                    }
                    (SortVal::Num(_), SortVal::Str(_)) => Ordering::Less,
                    (SortVal::Str(_), SortVal::Num(_)) => Ordering::Greater,
                }
            }
        };
        if c != Ordering::Equal {
            return c;
        }
    }
    a.order.cmp(&b.order)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

struct Outcome {
    total: u64,
    hits: Vec<Hit>,
    states: Vec<aggs::State>,
    max_score: Option<f32>,
}

fn execute(shards: &[Arc<Shard>], req: &Request, want_hits: usize) -> Result<Outcome> {
    let now = now_ms();
    let sort: Vec<SortKey> = if req.sort.is_empty() {
        vec![SortKey::Score(false)]
    } else {
        req.sort.clone()
    };
    let scoring =
        want_hits > 0 && (sort.iter().any(|k| matches!(k, SortKey::Score(_))) || req.track_scores);
    let mut total = 0u64;
    let mut hits: Vec<Hit> = Vec::new();
    let mut states = aggs::new_states(&req.aggs);
    let mut max_score: Option<f32> = None;
    for (si, shard) in shards.iter().enumerate() {
        let meta = shard.meta();
        let mapping = &meta.mapping;
        let ctx = query::Ctx {
            mapping,
            fields: shard.fields,
            now_ms: now,
        };
        let q: Box<dyn Query> = query::compile(&req.query, &ctx)?;
        // validate field sorts against the mapping
        for k in &sort {
            if let SortKey::Field { field, .. } = k
                && let Some(fm) = mapping.field(field)
                && fm.ty == FieldType::Text
            {
                return Err(Error::es(400, "search_phase_execution_exception", "all shards failed").caused_by(Error::illegal_argument(format!(
                    "Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [{field}] in order to load field data by uninverting the inverted index. Note that this can use significant memory."
                )).with("index", shard.name.clone())));
            }
        }
        let searcher = shard.searcher();
        let tv = |e| Error::tantivy(&shard.name, e);
        let enable = if scoring {
            EnableScoring::enabled_from_searcher(&searcher)
        } else {
            EnableScoring::disabled_from_searcher(&searcher)
        };
        let weight = q.weight(enable).map_err(tv)?;
        let segments = searcher.segment_readers();
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let tasks = split_segments(segments, cores);
        let run = |t: usize| -> Result<SegOut> {
            let (ord, range) = tasks[t];
            run_segment(
                req,
                &sort,
                scoring,
                want_hits,
                &segments[ord],
                ord,
                range,
                si,
                weight.as_ref(),
                mapping,
                &ctx,
                &shard.name,
            )
        };
        let threads = cores.min(tasks.len());
        let outs: Vec<Result<SegOut>> = if threads <= 1 {
            (0..tasks.len()).map(run).collect()
        } else {
            // each thread takes the next task when done (tasks differ in cost); results are
            // merged in task order, so that float sums do not depend on scheduling
            let next = std::sync::atomic::AtomicUsize::new(0);
            let mut done: Vec<(usize, Result<SegOut>)> = std::thread::scope(|sc| {
                let handles: Vec<_> = (0..threads)
                    .map(|_| {
                        let (run, next, n) = (&run, &next, tasks.len());
                        sc.spawn(move || {
                            let mut out = Vec::new();
                            loop {
                                let t = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                if t >= n {
                                    return out;
                                }
                                out.push((t, run(t)));
                            }
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| {
                        h.join().unwrap_or_else(|_| {
                            vec![(
                                usize::MAX,
                                Err(Error::es(500, "exception", "search thread panicked")),
                            )]
                        })
                    })
                    .collect()
            });
            done.sort_by_key(|(t, _)| *t);
            done.into_iter().map(|(_, out)| out).collect()
        };
        for out in outs {
            let out = out?;
            total += out.total;
            if let Some(m) = out.max_score {
                max_score = Some(max_score.map_or(m, |x: f32| x.max(m)));
            }
            hits.extend(out.hits);
            if hits.len() >= want_hits * 2 + 64 {
                hits.sort_by(|a, b| cmp_hits(&sort, a, b));
                hits.truncate(want_hits);
            }
            if let Some(st) = out.states {
                aggs::merge(&mut states, st);
            }
        }
    }
    hits.sort_by(|a, b| cmp_hits(&sort, a, b));
    hits.truncate(want_hits);
    Ok(Outcome {
        total,
        hits,
        states,
        max_score,
    })
}

/// Smallest doc range of one segment searched as its own task.
const MIN_TASK_DOCS: u32 = 8192;

/// Splits the segments into `(segment ordinal, doc range)` tasks of similar size, so that one big
/// merged segment does not leave the other cores idle: about two tasks per core, largest first.
fn split_segments(segments: &[tantivy::SegmentReader], cores: usize) -> Vec<(usize, (u32, u32))> {
    let total: u64 = segments.iter().map(|s| u64::from(s.max_doc())).sum();
    let target = (total / (cores as u64 * 2).max(1)).max(u64::from(MIN_TASK_DOCS)) as u32;
    let mut tasks = Vec::new();
    for (ord, seg) in segments.iter().enumerate() {
        let max = seg.max_doc();
        let parts = max.div_ceil(target).max(1);
        let step = max.div_ceil(parts).max(1);
        let mut lo = 0;
        loop {
            let hi = if parts == 1 {
                u32::MAX
            } else {
                (lo + step).min(max)
            };
            tasks.push((ord, (lo, hi)));
            if hi >= max {
                break;
            }
            lo = hi;
        }
    }
    // largest first (a whole segment's range ends at u32::MAX: size it by its documents)
    tasks.sort_by_key(|&(ord, (lo, hi))| {
        std::cmp::Reverse(hi.min(segments[ord].max_doc()).saturating_sub(lo))
    });
    tasks
}

/// Matching docs handed to the aggregation collector at a time.
const AGG_BLOCK: usize = 1024;

struct SegOut {
    total: u64,
    hits: Vec<Hit>,
    states: Option<Vec<aggs::State>>,
    max_score: Option<f32>,
}

#[allow(clippy::too_many_arguments)]
fn run_segment(
    req: &Request,
    sort: &[SortKey],
    scoring: bool,
    want_hits: usize,
    seg: &tantivy::SegmentReader,
    ord: usize,
    range: (u32, u32),
    si: usize,
    weight: &dyn tantivy::query::Weight,
    mapping: &crate::mapping::Mapping,
    ctx: &query::Ctx<'_>,
    index: &str,
) -> Result<SegOut> {
    let tv = |e| Error::tantivy(index, e);
    let mut collector = if req.aggs.is_empty() {
        None
    } else {
        Some(aggs::Collector::new(&req.aggs, seg, mapping, ctx, index)?)
    };
    let mut sort_cols = Vec::new();
    for k in sort {
        if let SortKey::Field { field, .. } = k {
            let (src, _) = aggs::open_source(seg, mapping, field, index)
                .map_err(|_| Error::illegal_argument(format!("cannot sort on [{field}]")))?;
            sort_cols.push(Some(src));
        } else {
            sort_cols.push(None);
        }
    }
    let mut out = SegOut {
        total: 0,
        hits: Vec::new(),
        states: None,
        max_score: None,
    };
    let alive = seg.alive_bitset();
    let mut scorer = weight.scorer(seg, 1.0).map_err(tv)?;
    let mut doc = scorer.doc();
    if doc < range.0 {
        doc = tantivy::DocSet::seek(&mut scorer, range.0);
    }
    let mut buf = Vec::new();
    let mut block: Vec<tantivy::DocId> = Vec::with_capacity(AGG_BLOCK);
    if want_hits == 0 && !scoring {
        // Counting and aggregating only (`size: 0`, the dashboards' queries): take the
        // matching documents from the scorer a buffer at a time (`match_all` fills it with a
        // plain counter) instead of one virtual `advance` per document.
        let mut ids = [0; tantivy::COLLECT_BLOCK_BUFFER_LEN];
        'fill: while doc != tantivy::TERMINATED && doc < range.1 {
            let n = tantivy::DocSet::fill_buffer(&mut scorer, &mut ids);
            for &d in &ids[..n] {
                if d >= range.1 {
                    break 'fill;
                }
                if alive.is_none_or(|a| a.is_alive(d)) {
                    out.total += 1;
                    if let Some(c) = collector.as_mut() {
                        block.push(d);
                        if block.len() == AGG_BLOCK {
                            c.collect_block(&block);
                            block.clear();
                        }
                    }
                }
            }
            doc = scorer.doc();
        }
        doc = tantivy::TERMINATED;
    }
    while doc != tantivy::TERMINATED && doc < range.1 {
        if alive.is_none_or(|a| a.is_alive(doc)) {
            out.total += 1;
            let score = if scoring { scorer.score() } else { 1.0 };
            if scoring {
                out.max_score = Some(out.max_score.map_or(score, |m: f32| m.max(score)));
            }
            if let Some(c) = collector.as_mut() {
                block.push(doc);
                if block.len() == AGG_BLOCK {
                    c.collect_block(&block);
                    block.clear();
                }
            }
            if want_hits > 0 {
                let keys = sort_cols
                    .iter()
                    .zip(sort)
                    .map(|(c, k)| match c {
                        Some(src) => sort_value(src, doc, k, &mut buf),
                        None => SortVal::Missing,
                    })
                    .collect();
                out.hits.push(Hit {
                    keys,
                    score,
                    shard: si,
                    addr: DocAddress::new(ord as u32, doc),
                    order: ((si as u64) << 48) | ((ord as u64) << 32) | u64::from(doc),
                });
                if out.hits.len() >= want_hits * 2 + 64 {
                    out.hits.sort_by(|a, b| cmp_hits(sort, a, b));
                    out.hits.truncate(want_hits);
                }
            }
        }
        doc = scorer.advance();
    }
    if let Some(c) = collector.as_mut()
        && !block.is_empty()
    {
        c.collect_block(&block);
    }
    out.states = collector.map(aggs::Collector::finish);
    Ok(out)
}

fn sort_value(src: &aggs::Source, doc: u32, key: &SortKey, buf: &mut Vec<f64>) -> SortVal {
    let asc = matches!(key, SortKey::Field { asc: true, .. });
    match src {
        aggs::Source::Str(col) => {
            let ords: Vec<u64> = col.term_ords(doc).collect();
            let o = if asc { ords.first() } else { ords.last() };
            let mut s = String::new();
            match o {
                Some(o) if col.ord_to_str(*o, &mut s).unwrap_or(false) => SortVal::Str(s),
                _ => SortVal::Missing,
            }
        }
        aggs::Source::Num(col) => {
            buf.clear();
            buf.extend(col.values_for_doc(doc));
            let v = if asc {
                buf.iter().copied().reduce(f64::min)
            } else {
                buf.iter().copied().reduce(f64::max)
            };
            v.map_or(SortVal::Missing, SortVal::Num)
        }
        aggs::Source::Nothing => SortVal::Missing,
    }
}

/// `_search`.
pub fn search(shards: &[Arc<Shard>], body: Option<&Value>, params: &SearchParams) -> Result<Value> {
    let start = Instant::now();
    let req = parse_request(body, params, false)?;
    let want = req.from + req.size;
    let out = execute(shards, &req, want)?;
    let sorted_by_field = req.sort.iter().any(|k| !matches!(k, SortKey::Score(_)));
    let mut hits = Vec::new();
    for h in out.hits.iter().skip(req.from) {
        let shard = &shards[h.shard];
        let doc: TantivyDocument = shard
            .searcher()
            .doc(h.addr)
            .map_err(|e| Error::tantivy(&shard.name, e))?;
        let id = doc
            .get_first(shard.fields.id)
            .and_then(|v| tantivy::schema::Value::as_str(&v).map(str::to_owned))
            .unwrap_or_default();
        let mut hit = Map::new();
        hit.insert("_index".into(), Value::from(shard.name.clone()));
        hit.insert("_id".into(), Value::from(id));
        hit.insert(
            "_score".into(),
            if sorted_by_field && !req.track_scores {
                Value::Null
            } else {
                aggs::num_json(f64::from(h.score))
            },
        );
        if !matches!(req.source, SourceFilter::None) {
            let src = doc
                .get_first(shard.fields.source)
                .and_then(|v| {
                    tantivy::schema::Value::as_bytes(&v)
                        .and_then(|b| serde_json::from_slice::<Value>(b).ok())
                })
                .unwrap_or(Value::Null);
            hit.insert("_source".into(), filter_source(src, &req.source));
        }
        if !req.sort.is_empty() {
            let vals: Vec<Value> = req
                .sort
                .iter()
                .zip(&h.keys)
                .map(|(k, v)| match (k, v) {
                    (SortKey::Score(_), _) => aggs::num_json(f64::from(h.score)),
                    (SortKey::Doc(_), _) => Value::from(h.addr.doc_id),
                    (_, SortVal::Num(x)) => {
                        if x.fract() == 0.0 && x.abs() < 9e15 {
                            Value::from(*x as i64)
                        } else {
                            aggs::num_json(*x)
                        }
                    }
                    (_, SortVal::Str(s)) => Value::from(s.clone()),
                    (SortKey::Field { asc, .. }, SortVal::Missing) => {
                        if *asc {
                            Value::from(i64::MAX)
                        } else {
                            Value::from(i64::MIN)
                        }
                    }
                })
                .collect();
            hit.insert("sort".into(), Value::Array(vals));
        }
        hits.push(Value::Object(hit));
    }
    let total = match req.track_total {
        TrackTotal::Exact => Some(json!({"value": out.total, "relation": "eq"})),
        TrackTotal::Upto(n) if out.total > n => Some(json!({"value": n, "relation": "gte"})),
        TrackTotal::Upto(_) => Some(json!({"value": out.total, "relation": "eq"})),
        TrackTotal::Off => None,
    };
    let max_score = if sorted_by_field || out.total == 0 {
        Value::Null
    } else {
        out.max_score
            .map_or(Value::Null, |m| aggs::num_json(f64::from(m)))
    };
    let mut hits_obj = Map::new();
    if let Some(t) = total {
        if req.total_as_int {
            hits_obj.insert(
                "total".into(),
                t.get("value").cloned().unwrap_or(Value::Null),
            );
        } else {
            hits_obj.insert("total".into(), t);
        }
    }
    hits_obj.insert("max_score".into(), max_score);
    hits_obj.insert("hits".into(), Value::Array(hits));
    let n = shards.len();
    let mut resp = Map::new();
    resp.insert(
        "took".into(),
        Value::from(start.elapsed().as_millis() as u64),
    );
    resp.insert("timed_out".into(), Value::from(false));
    resp.insert(
        "_shards".into(),
        json!({"total": n, "successful": n, "skipped": 0, "failed": 0}),
    );
    resp.insert("hits".into(), Value::Object(hits_obj));
    if !req.aggs.is_empty() {
        let metas: Vec<_> = shards.iter().map(|s| s.meta()).collect();
        let rctx = aggs::RenderCtx {
            mappings: metas.iter().map(|m| &m.mapping).collect(),
            now_ms: now_ms(),
            ..aggs::RenderCtx::default()
        };
        resp.insert(
            "aggregations".into(),
            Value::Object(aggs::render(&req.aggs, &out.states, &rctx)?),
        );
    }
    Ok(Value::Object(resp))
}

/// `_count`.
pub fn count(shards: &[Arc<Shard>], body: Option<&Value>, params: &SearchParams) -> Result<Value> {
    let req = parse_request(body, params, true)?;
    let out = execute(shards, &req, 0)?;
    let n = shards.len();
    Ok(
        json!({"count": out.total, "_shards": {"total": n, "successful": n, "skipped": 0, "failed": 0}}),
    )
}

fn path_matches(pattern: &str, path: &str) -> bool {
    crate::engine::util::wildcard_match(pattern, path)
        || path.starts_with(&format!("{pattern}."))
        || crate::engine::util::wildcard_match(&format!("{pattern}.*"), path)
}

fn filter_source(src: Value, f: &SourceFilter) -> Value {
    match f {
        SourceFilter::All => src,
        SourceFilter::None => Value::Null,
        SourceFilter::Paths { includes, excludes } => {
            filter_obj(src, "", includes, excludes).unwrap_or_else(|| json!({}))
        }
    }
}

fn filter_obj(v: Value, prefix: &str, inc: &[String], exc: &[String]) -> Option<Value> {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                if exc.iter().any(|e| path_matches(e, &path)) {
                    continue;
                }
                let included = inc.is_empty() || inc.iter().any(|i| path_matches(i, &path));
                let could_contain = inc
                    .iter()
                    .any(|i| i.starts_with(&format!("{path}.")) || i.starts_with('*'));
                if included {
                    if let Some(x) = filter_obj(v, &path, &[], exc) {
                        out.insert(k, x);
                    }
                } else if could_contain
                    && let Some(x) = filter_obj(v, &path, inc, exc)
                    && x.as_object().is_some_and(|o| !o.is_empty())
                {
                    out.insert(k, x);
                }
            }
            Some(Value::Object(out))
        }
        other => Some(other),
    }
}
