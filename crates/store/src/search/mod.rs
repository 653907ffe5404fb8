//! Search execution: request parsing, hits (sort, from/size, `_source` filtering), totals and
//! aggregations across the target indices.

pub(crate) mod by_query;
pub mod field_caps;
pub(crate) mod fielddata;
pub(crate) mod fields;
pub(crate) use fields::parse_specs as parse_field_specs;
mod highlight;
pub(crate) mod memo;
pub mod pit;
pub(crate) mod scroll;
pub(crate) mod suggest;

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use tantivy::query::{EnableScoring, Query};
use tantivy::{DocAddress, DocId, Searcher, TantivyDocument};

use crate::aggs::{self, Agg};
use crate::engine::shard::{IndexMeta, Shard};
use crate::engine::store::Resolve;
use crate::error::{Error, Result};
use crate::mapping::FieldType;
use crate::query::{self, Q, lucene};

/// URL parameters of `_search` / `_count` (raw strings, validated here).
#[derive(Debug, Clone, Default)]
pub struct SearchParams {
    /// the cluster's search limits (`_cluster/settings`), set by the store
    pub limits: crate::engine::cluster_settings::Limits,
    /// `allow_partial_search_results` (default true): `false` fails a search that some
    /// shards failed
    pub allow_partial_search_results: Option<String>,
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
    /// `typed_keys`: aggregation names prefixed with their type (`sterms#name`), as the
    /// official typed clients ask
    pub typed_keys: Option<String>,
    /// `routing`: only the shards these (comma-separated) values route to are searched
    pub routing: Option<String>,
    /// `expand_wildcards` (default `open`)
    pub expand_wildcards: Option<String>,
    /// `seq_no_primary_term`: `_seq_no` and `_primary_term` in each hit
    pub seq_no_primary_term: Option<String>,
    /// `version`: `_version` in each hit
    pub version: Option<String>,
    /// `stored_fields` (comma-separated)
    pub stored_fields: Option<String>,
    /// `docvalue_fields` (comma-separated)
    pub docvalue_fields: Option<String>,
    /// `lenient` of the `q` query
    pub lenient: Option<String>,
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
            expand: match &self.expand_wildcards {
                None => crate::engine::store::Expand::OPEN,
                Some(s) => crate::engine::store::Expand::parse(s)?,
            },
            ignore_aliases: false,
        })
    }
}

/// One searched shard: its index and the shard's searcher (the snapshot) every phase of one
/// request reads, so that matching and fetching see the same segments (a point in time keeps
/// it). An index of N shards is N targets, merged as ES merges shard results.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) shard: Arc<Shard>,
    /// The shard's number within its index.
    pub(crate) part: usize,
    /// `indices_boost`: its scores are multiplied by this.
    pub(crate) boost: f32,
    pub(crate) searcher: Searcher,
    /// A filtered alias's filter: only documents matching it are seen through this target.
    pub(crate) filter: Option<Arc<Q>>,
}

impl Target {
    /// Every shard of `index` with its current searcher.
    pub(crate) fn current(index: &Arc<Shard>) -> impl Iterator<Item = Target> + '_ {
        Self::filtered(index, None)
    }

    /// Every shard of `index` with its current searcher, seen through `filter`.
    pub(crate) fn filtered(
        index: &Arc<Shard>,
        filter: Option<Arc<Q>>,
    ) -> impl Iterator<Item = Target> + '_ {
        index
            .searchers()
            .into_iter()
            .enumerate()
            .map(move |(part, searcher)| Target {
                shard: Arc::clone(index),
                part,
                boost: 1.0,
                searcher,
                filter: filter.clone(),
            })
    }
}

/// A boolean of the search body (`true`/`false`, or their strings).
fn body_bool(key: &str, v: &Value) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
        other => Err(Error::parsing(format!(
            "[{key}] doesn't support values of type: {}",
            token_name(other)
        ))),
    }
}

/// `collapse`: `{"field": f}` (`inner_hits` refused by name; `max_concurrent_group_searches`
/// only paces inner hits, so it is checked and changes nothing).
fn parse_collapse(v: &Value) -> Result<String> {
    let o = v.as_object().ok_or_else(|| {
        Error::parsing(format!(
            "Unknown key for a {} in [collapse].",
            token_name(v)
        ))
    })?;
    let mut field = None;
    for (k, x) in o {
        match k.as_str() {
            "field" => {
                field = Some(x.as_str().map(str::to_owned).ok_or_else(|| {
                    Error::x_content("[collapse] field doesn't support values of this type")
                })?);
            }
            "max_concurrent_group_searches" => {
                if x.as_i64().is_none_or(|n| n <= 0) {
                    return Err(Error::illegal_argument(
                        "maxConcurrentGroupRequests must be positive",
                    ));
                }
            }
            "inner_hits" => {
                return Err(Error::illegal_argument(
                    "[inner_hits] of [collapse] is not supported by sluice-store",
                ));
            }
            other => {
                return Err(Error::x_content(format!(
                    "[collapse] unknown field [{other}]"
                )));
            }
        }
    }
    field.ok_or_else(|| Error::x_content("Required [field]"))
}

/// The top `want` hits with one hit per value of `field` (the best of each, in the search's
/// order; documents without a value are one group): searches for more hits until that many
/// groups are found or the matches run out.
fn collapsed(targets: &[Target], req: &Request, field: &str, want: usize) -> Result<Outcome> {
    let metas: Vec<IndexMeta> = targets.iter().map(|t| t.shard.meta()).collect();
    let mut mapped = false;
    for meta in &metas {
        let Some(fm) = meta.mapping.field(field) else {
            continue;
        };
        mapped = true;
        let numeric = fm.ty.is_numeric() || fm.ty == crate::mapping::FieldType::Date;
        if !(fm.ty == crate::mapping::FieldType::Keyword || numeric) {
            return Err(all_shards_failed(Error::illegal_argument(format!(
                "collapse is not supported for the field [{field}] of the type [{}]",
                fm.ty.name()
            ))));
        }
    }
    if !mapped {
        return Err(all_shards_failed(Error::illegal_argument(format!(
            "no mapping found for `{field}` in order to collapse on"
        ))));
    }
    let mut k = want.saturating_mul(4).max(64);
    loop {
        let mut out = execute(targets, req, k)?;
        let exhausted = out.hits.len() < k;
        let mut seen = std::collections::HashSet::new();
        let mut kept = Vec::with_capacity(want);
        for h in std::mem::take(&mut out.hits) {
            if kept.len() == want {
                break;
            }
            let key = collapse_value(targets, &metas, &h, field)?.to_string();
            if seen.insert(key) {
                kept.push(h);
            }
        }
        if kept.len() >= want || exhausted {
            out.hits = kept;
            return Ok(out);
        }
        k = k.saturating_mul(4);
    }
}

/// A hit's values of the collapse field, as its `fields` show them (`[null]` without one).
fn collapse_value(targets: &[Target], metas: &[IndexMeta], h: &Hit, field: &str) -> Result<Value> {
    let target = &targets[h.shard];
    let seg = target.searcher.segment_reader(h.addr.segment_ord);
    let mut out = Map::new();
    let spec = [fields::FieldSpec {
        pattern: field.to_owned(),
        format: None,
        include_unmapped: false,
    }];
    fields::from_doc_values(
        &spec,
        seg,
        h.addr.doc_id,
        &metas[h.shard].mapping,
        &target.shard.name,
        &mut out,
    )?;
    Ok(out
        .remove(field)
        .unwrap_or_else(|| Value::Array(vec![Value::Null])))
}

/// `indices_boost`: `[{"index, alias or pattern": boost}, ...]` (the object form is refused
/// as Elasticsearch 8 refuses it).
///
/// # Errors
/// ES's `parsing_exception` for each wrong shape.
pub(crate) fn parse_indices_boost(v: &Value) -> Result<Vec<(String, f32)>> {
    let at = |reason: String| Error::parsing(reason).with("line", 1).with("col", 1);
    let Value::Array(items) = v else {
        return Err(at(format!(
            "Unknown key for a {} in [indices_boost].",
            token_name(v)
        )));
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(o) = item else {
            return Err(at(format!(
                "Expected [START_OBJECT] in [null] but found [{}]",
                token_name(item)
            )));
        };
        if o.len() != 1 {
            return Err(at(
                "Expected [END_OBJECT] in [indices_boost] but found [FIELD_NAME]".to_owned(),
            ));
        }
        for (name, b) in o {
            let Some(b) = b.as_f64() else {
                return Err(at(format!(
                    "Expected [VALUE_NUMBER] in [indices_boost] but found [{}]",
                    token_name(b)
                )));
            };
            out.push((name.clone(), b as f32));
        }
    }
    Ok(out)
}

/// Keeps the shards the `routing` values (comma-separated) route to, as Elasticsearch searches
/// only those; no `routing` keeps every shard.
pub(crate) fn keep_routed(targets: &mut Vec<Target>, routing: Option<&str>) {
    let Some(r) = routing else { return };
    let values: Vec<&str> = r.split(',').filter(|v| !v.is_empty()).collect();
    if values.is_empty() {
        return;
    }
    targets.retain(|t| {
        t.shard
            .shards_for_routing(values.iter().copied())
            .contains(&t.part)
    });
}

/// One sort criterion of a search or a `top_hits` aggregation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SortKey {
    Score(bool),
    /// `_doc`: the document's number within its index
    Doc(bool),
    /// `_shard_doc`: index position in the request (high 32 bits) and document number
    ShardDoc(bool),
    Field {
        field: String,
        asc: bool,
        missing_first: bool,
        /// `format` (date fields): sort values rendered as strings in this format
        format: Option<String>,
    },
}

impl SortKey {
    fn asc(&self) -> bool {
        match self {
            SortKey::Score(a) | SortKey::Doc(a) | SortKey::ShardDoc(a) => *a,
            SortKey::Field { asc, .. } => *asc,
        }
    }
}

/// What `_source` asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SourceFilter {
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

/// What `stored_fields` asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Stored {
    /// absent: `_id` and `_source`
    Default,
    /// a list (none of our fields is stored): `_id`, and `_source` only when asked for
    List,
    /// `_none_`: neither `_id` nor `_source`
    None,
}

/// `pit` of a search body.
#[derive(Debug, Clone)]
pub(crate) struct PitRef {
    pub(crate) id: String,
    pub(crate) keep_alive: Option<String>,
}

struct Request {
    /// the cluster's search limits
    limits: crate::engine::cluster_settings::Limits,
    query: Q,
    size: usize,
    from: usize,
    sort: Vec<SortKey>,
    source: SourceFilter,
    /// `typed_keys`: aggregation names as `type#name`
    typed_keys: bool,
    source_given: bool,
    track_total: TrackTotal,
    aggs: Vec<Agg>,
    track_scores: bool,
    total_as_int: bool,
    search_after: Option<Vec<Value>>,
    /// A scroll's position: hits sorting after these keys (set by [`scroll`], never parsed).
    after_keys: Option<Vec<SortVal>>,
    pit: Option<PitRef>,
    highlight: Option<highlight::Highlight>,
    fields: Vec<fields::FieldSpec>,
    docvalue_fields: Vec<fields::FieldSpec>,
    stored: Stored,
    /// `stored_fields` as named (see [`HitView::stored_names`])
    stored_names: Vec<String>,
    /// `collapse`: the field whose values the hits are collapsed on
    collapse: Option<String>,
    /// `version`: `_version` in each hit
    version: bool,
    /// `seq_no_primary_term`: `_seq_no` and `_primary_term` in each hit
    seq_no_primary_term: bool,
    /// `script_fields`: how many (checked against the limit, then refused by name)
    script_fields: usize,
    /// `rescore`: the window of each rescorer (checked against the limit, then refused by name)
    rescore_windows: Vec<usize>,
    /// `stats`: the search groups this request is counted in (`_stats?groups=`).
    stats_groups: Vec<String>,
    /// `suggest`: the completion suggestions asked for.
    suggest: Vec<suggest::Suggestion>,
    /// Whether a query was given (a search with only suggestions runs no query, as in ES).
    query_given: bool,
}

/// `action_request_validation_exception` listing ES's numbered validation messages.
fn validation_failed(msgs: &[String]) -> Error {
    Error::validation(msgs)
}

/// ES's answer to a failure on every shard: `search_phase_execution_exception` caused by `cause`.
pub(crate) fn all_shards_failed(cause: Error) -> Error {
    let status = cause.status();
    Error::es(
        status,
        "search_phase_execution_exception",
        "all shards failed",
    )
    .with("phase", "query")
    .with("grouped", true)
    .caused_by(cause)
}

/// ES's answer to a failure of its own kind (`too_many_buckets_exception`, ...) on every
/// shard: `search_phase_execution_exception` listing it under `failed_shards` (its root cause),
/// with no `caused_by`.
pub(crate) fn all_shards_failed_with(cause: &Error, index: &str) -> Error {
    Error::es(
        cause.status(),
        "search_phase_execution_exception",
        "all shards failed",
    )
    .with("phase", "query")
    .with("grouped", true)
    .with(
        "failed_shards",
        json!([{"index": index, "reason": cause.to_item_error()}]),
    )
}

/// ES's name of the JSON token a value starts with.
pub(crate) fn token_name(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "START_OBJECT",
        Value::Array(_) => "START_ARRAY",
        Value::String(_) => "VALUE_STRING",
        Value::Number(_) => "VALUE_NUMBER",
        Value::Bool(_) => "VALUE_BOOLEAN",
        Value::Null => "VALUE_NULL",
    }
}

fn parse_usize(name: &str, v: &Value) -> Result<usize> {
    match v {
        Value::Number(n) => n.as_i64().filter(|x| *x >= 0).map(|x| x as usize),
        Value::String(s) => s.parse::<usize>().ok(),
        _ => None,
    }
    .ok_or_else(|| negative(name, &v.to_string()))
}

/// ES's refusal of a negative `from` or `size` (its two wordings).
fn negative(name: &str, v: &str) -> Error {
    if name == "from" {
        Error::illegal_argument(format!("[from] parameter cannot be negative but was [{v}]"))
    } else {
        Error::illegal_argument(format!(
            "[{name}] parameter cannot be negative, found [{v}]"
        ))
    }
}

pub(crate) fn parse_sort_value(v: &Value) -> Result<Vec<SortKey>> {
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
                                if matches!(k.as_str(), "nested" | "mode") {
                                    return Err(Error::illegal_argument(format!(
                                        "[{k}] of a field sort is not supported by sluice-store"
                                    )));
                                }
                                if !matches!(
                                    k.as_str(),
                                    "order" | "missing" | "unmapped_type" | "format"
                                ) {
                                    return Err(Error::parsing(format!(
                                        "[field_sort] unknown field [{k}]"
                                    )));
                                }
                            }
                            let mut key = sort_key(
                                field,
                                so.get("order").and_then(Value::as_str),
                                so.get("missing").and_then(Value::as_str),
                            )?;
                            if let SortKey::Field { format, .. } = &mut key {
                                *format =
                                    so.get("format").and_then(Value::as_str).map(str::to_owned);
                            }
                            out.push(key);
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
        // ES 8 keeps no doc values for `_id` (`indices.id_field_data.enabled` is off)
        "_id" => {
            let reason = "Fielddata access on the _id field is disallowed, you can re-enable it \
                          by updating the dynamic cluster setting: indices.id_field_data.enabled";
            return Err(all_shards_failed(
                Error::illegal_argument(reason).caused_by(Error::illegal_argument(reason)),
            ));
        }
        "_shard_doc" => SortKey::ShardDoc(asc),
        f => SortKey::Field {
            field: f.to_owned(),
            asc,
            missing_first: missing == Some("_first"),
            format: None,
        },
    })
}

pub(crate) fn parse_source_filter(v: &Value) -> Result<SourceFilter> {
    let list = stored_names;
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
        limits: params.limits,
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
        typed_keys: bool_param("typed_keys", &params.typed_keys, false)?,
        source_given: false,
        search_after: None,
        after_keys: None,
        pit: None,
        highlight: None,
        fields: Vec::new(),
        docvalue_fields: Vec::new(),
        stored: Stored::Default,
        stored_names: Vec::new(),
        collapse: None,
        version: bool_param("version", &params.version, false)?,
        seq_no_primary_term: bool_param("seq_no_primary_term", &params.seq_no_primary_term, false)?,
        script_fields: 0,
        rescore_windows: Vec::new(),
        stats_groups: Vec::new(),
        suggest: Vec::new(),
        query_given: params.q.is_some(),
    };
    if let Some(body) = body {
        let o = body
            .as_object()
            .ok_or_else(|| Error::parsing("request body must be an object"))?;
        for (k, v) in o {
            match (k.as_str(), count_only) {
                ("query", _) => {
                    req.query = query::parse(v)?;
                    req.query_given = true;
                }
                ("suggest", false) => req.suggest = suggest::parse(v)?,
                ("size", false) => req.size = parse_usize("size", v)?,
                ("from", false) => req.from = parse_usize("from", v)?,
                ("sort", false) => req.sort = parse_sort_value(v)?,
                ("_source", false) => {
                    req.source = parse_source_filter(v)?;
                    req.source_given = !matches!(v, Value::Bool(false));
                }
                ("search_after", false) => {
                    req.search_after = Some(match v {
                        Value::Array(a) => a.clone(),
                        other => vec![other.clone()],
                    });
                }
                ("pit", false) => req.pit = Some(parse_pit(v)?),
                ("highlight", false) => req.highlight = Some(highlight::Highlight::parse(v)?),
                ("fields", false) => req.fields = fields::parse_specs("fields", v)?,
                ("docvalue_fields", false) => {
                    req.docvalue_fields = fields::parse_specs("docvalue_fields", v)?;
                }
                ("stored_fields", false) => {
                    req.stored = parse_stored(v)?;
                    req.stored_names = stored_names(v);
                }
                ("aggs" | "aggregations", false) => req.aggs = aggs::parse(v)?,
                ("track_total_hits", false) => {
                    req.track_total = match v {
                        Value::Bool(true) => TrackTotal::Exact,
                        Value::Bool(false) => TrackTotal::Off,
                        Value::Number(n) => track_total_number(n.as_i64(), &n.to_string())?,
                        _ => {
                            return Err(Error::parsing(
                                "[track_total_hits] must be a boolean or a number",
                            ));
                        }
                    };
                }
                ("track_scores", false) => req.track_scores = v.as_bool().unwrap_or(false),
                ("collapse", false) => req.collapse = Some(parse_collapse(v)?),
                ("version", false) => req.version = body_bool(k, v)?,
                ("script_fields", false) => {
                    req.script_fields = v
                        .as_object()
                        .ok_or_else(|| {
                            Error::parsing(format!(
                                "Expected [START_OBJECT] in [script_fields] but found [{}]",
                                token_name(v)
                            ))
                        })?
                        .len();
                }
                ("rescore", false) => req.rescore_windows = rescore_windows(v)?,
                ("stats", false) => req.stats_groups = parse_stats_groups(v)?,
                ("seq_no_primary_term", false) => req.seq_no_primary_term = body_bool(k, v)?,
                // applied to the targets by the store, which resolves its names
                ("indices_boost", false) => {
                    parse_indices_boost(v)?;
                }
                ("timeout", _) => {}
                (other, _) => {
                    return Err(Error::parsing(format!(
                        "Unknown key for a {} in [{other}].",
                        token_name(v)
                    ))
                    .with("line", 1)
                    .with("col", 1));
                }
            }
        }
    }
    if let Some(q) = &params.q {
        let default_fields = params
            .df
            .as_deref()
            .map_or_else(|| vec!["*".to_owned()], |d| vec![d.to_owned()]);
        let lenient = match &params.lenient {
            None => lucene::Options::lenient_by_default(&default_fields),
            given => bool_param("lenient", given, false)?,
        };
        let opts = lucene::Options {
            lenient,
            default_fields,
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
            time_zone: None,
        };
        req.query = lucene::parse_lucene(q, &opts)?;
    }
    let num = |name: &str, v: &Option<String>| -> Result<Option<usize>> {
        v.as_deref()
            .map(|s| {
                s.parse::<usize>().map_err(|_| {
                    if s.parse::<i64>().is_ok_and(|n| n < 0) {
                        negative(name, s)
                    } else {
                        Error::illegal_argument(format!(
                            "Failed to parse int parameter [{name}] with value [{s}]"
                        ))
                    }
                })
            })
            .transpose()
    };
    if let Some(n) = num("size", &params.size)? {
        req.size = n;
    }
    if let Some(s) = &params.stored_fields {
        let list = Value::Array(split_list(s).into_iter().map(Value::from).collect());
        req.stored = parse_stored(&list)?;
        req.stored_names = stored_names(&list);
    }
    if let Some(s) = &params.docvalue_fields {
        let list: Vec<Value> = split_list(s).into_iter().map(Value::from).collect();
        req.docvalue_fields = fields::parse_specs("docvalue_fields", &Value::Array(list))?;
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
            n => track_total_number(n.parse().ok(), n)?,
        };
    }
    // a total as a number must be exact (ES tracks every hit for it unless told a limit,
    // which it refuses)
    if req.total_as_int {
        let given = params.track_total_hits.is_some()
            || body.is_some_and(|b| b.get("track_total_hits").is_some());
        match req.track_total {
            TrackTotal::Upto(n) if given => {
                return Err(Error::illegal_argument(format!(
                    "[rest_total_hits_as_int] cannot be used if the tracking of total hits is not accurate, got {n}"
                )));
            }
            TrackTotal::Upto(_) => req.track_total = TrackTotal::Exact,
            TrackTotal::Exact | TrackTotal::Off => {}
        }
    }
    validate(&mut req)?;
    Ok(req)
}

/// The `window_size` of each rescorer (`rescore` as an object or an array of them).
fn rescore_windows(v: &Value) -> Result<Vec<usize>> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    items
        .into_iter()
        .map(|r| match r.get("window_size") {
            None => Ok(10),
            Some(w) => parse_usize("window_size", w),
        })
        .collect()
}

/// An index-level setting (its key without `index.`) as a number, or its default.
pub(crate) fn index_setting(meta: &IndexMeta, key: &str, default: usize) -> usize {
    meta.settings
        .get(key)
        .and_then(|v| match v {
            Value::String(s) => s.parse().ok(),
            other => other.as_u64().and_then(|n| usize::try_from(n).ok()),
        })
        .unwrap_or(default)
}

/// A request against the limits of the indices it searches (the smallest of each applies):
/// `index.max_result_window` (of a page, or of a scroll's batch), `max_docvalue_fields_search`,
/// `max_script_fields` and `max_rescore_window`, in ES's words; then what is within the limits
/// but not supported (`script_fields`, `rescore`) is refused by name.
fn check_limits(targets: &[Target], req: &Request, scroll: bool) -> Result<()> {
    let metas: Vec<IndexMeta> = targets.iter().map(|t| t.shard.meta()).collect();
    let limit = |key: &str, default: usize| {
        metas
            .iter()
            .map(|m| index_setting(m, key, default))
            .min()
            .unwrap_or(default)
    };
    let refuse = |reason: String| Err(all_shards_failed(Error::illegal_argument(reason)));
    let window = limit("max_result_window", 10_000);
    if scroll && req.size > window {
        return refuse(format!(
            "Batch size is too large, size must be less than or equal to: [{window}] but was [{}]. Scroll batch sizes cost as much memory as result windows so they are controlled by the [index.max_result_window] index level setting.",
            req.size
        ));
    }
    if !scroll && req.from + req.size > window {
        return refuse(format!(
            "Result window is too large, from + size must be less than or equal to: [{window}] but was [{}]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.",
            req.from + req.size
        ));
    }
    for (key, default, what, n) in [
        (
            "max_docvalue_fields_search",
            100,
            "docvalue_fields",
            // a field asked for twice is fetched once
            {
                let mut names: Vec<&str> = req
                    .docvalue_fields
                    .iter()
                    .map(|f| f.pattern.as_str())
                    .collect();
                names.sort_unstable();
                names.dedup();
                names.len()
            },
        ),
        ("max_script_fields", 32, "script_fields", req.script_fields),
    ] {
        let max = limit(key, default);
        if n > max {
            return refuse(format!(
                "Trying to retrieve too many {what}. Must be less than or equal to: [{max}] but was [{n}]. This limit can be set by changing the [index.{key}] index level setting."
            ));
        }
    }
    let rescore_max = limit("max_rescore_window", window);
    if let Some(w) = req.rescore_windows.iter().copied().max()
        && w > rescore_max
    {
        return refuse(format!(
            "Rescore window [{w}] is too large. It must be less than [{rescore_max}]. This prevents allocating massive heaps for storing the results to be rescored. This limit can be set by changing the [index.max_rescore_window] index level setting."
        ));
    }
    if req.script_fields > 0 {
        return Err(Error::illegal_argument(
            "[script_fields] are not supported by sluice-store (it runs no scripts)",
        ));
    }
    if !req.rescore_windows.is_empty() {
        return Err(Error::illegal_argument(
            "[rescore] is not supported by sluice-store",
        ));
    }
    Ok(())
}

/// [`check_limits`] of a scroll's first request.
pub(crate) fn check_scroll_limits(
    targets: &[Target],
    body: Option<&Value>,
    params: &SearchParams,
) -> Result<()> {
    let req = parse_request(body, params, false)?;
    check_limits(targets, &req, true)
}

/// `track_total_hits` as a number: `-1` counts exactly, any other negative is refused.
fn track_total_number(n: Option<i64>, raw: &str) -> Result<TrackTotal> {
    match n {
        Some(-1) => Ok(TrackTotal::Exact),
        Some(n) if n >= 0 => Ok(TrackTotal::Upto(n as u64)),
        _ => Err(Error::illegal_argument(format!(
            "[track_total_hits] parameter must be positive or equals to -1, got {raw}"
        ))),
    }
}

fn parse_pit(v: &Value) -> Result<PitRef> {
    let o = v
        .as_object()
        .ok_or_else(|| Error::parsing("[pit] must be an object"))?;
    let mut id = None;
    let mut keep_alive = None;
    for (k, x) in o {
        match (k.as_str(), x) {
            ("id", Value::String(s)) => id = Some(s.clone()),
            ("keep_alive", Value::String(s)) => keep_alive = Some(s.clone()),
            ("id" | "keep_alive", other) => {
                return Err(Error::x_content(format!(
                    "[point_in_time] {k} doesn't support values of type: {}",
                    token_name(other)
                )));
            }
            (other, _) => {
                return Err(Error::x_content(format!(
                    "[point_in_time] unknown field [{other}]"
                )));
            }
        }
    }
    let id = id.ok_or_else(|| Error::x_content("Required [id]"))?;
    Ok(PitRef { id, keep_alive })
}

/// The names a `stored_fields` (or `_source` filter) value lists: one string or strings.
pub(crate) fn stored_names(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn parse_stored(v: &Value) -> Result<Stored> {
    let names: Vec<&str> = match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        other => {
            return Err(Error::parsing(format!(
                "Expected [VALUE_STRING] or [START_ARRAY] in [stored_fields] but found [{}]",
                token_name(other)
            )));
        }
    };
    if names.contains(&"_none_") {
        if names.len() > 1 {
            return Err(Error::illegal_argument(
                "cannot combine _none_ with other fields",
            ));
        }
        return Ok(Stored::None);
    }
    Ok(Stored::List)
}

/// The checks ES's `SearchRequest.validate` makes, with its wording; then the implicit
/// `_shard_doc` tie-breaker of a point in time.
fn validate(req: &mut Request) -> Result<()> {
    let mut msgs = Vec::new();
    let after_len = req.search_after.as_ref().map(Vec::len);
    if after_len.is_some_and(|n| n > 0) && req.from > 0 {
        msgs.push("[from] parameter must be set to 0 when [search_after] is used".to_owned());
    }
    if req.stored == Stored::None && req.source_given {
        msgs.push("[stored_fields] cannot be disabled if [_source] is requested".to_owned());
    }
    if req.pit.is_none() && req.sort.iter().any(|k| matches!(k, SortKey::ShardDoc(_))) {
        msgs.push("[_shard_doc] sort field cannot be used without [point in time]".to_owned());
    }
    if !msgs.is_empty() {
        return Err(validation_failed(&msgs));
    }
    if req.pit.is_some()
        && !req.sort.is_empty()
        && after_len.is_none_or(|n| n == req.sort.len() + 1)
        && !matches!(req.sort.last(), Some(SortKey::ShardDoc(_)))
    {
        req.sort.push(SortKey::ShardDoc(true));
    }
    if let Some(n) = after_len.filter(|n| *n > 0) {
        // ES drops a lone `_score` descending sort: search_after then has no sort to follow
        let effective = !(req.sort.is_empty() || req.sort == [SortKey::Score(false)]);
        if !effective {
            return Err(all_shards_failed(Error::illegal_argument(
                "Sort must contain at least one field.",
            )));
        }
        if n != req.sort.len() {
            return Err(all_shards_failed(Error::illegal_argument(format!(
                "search_after has {n} value(s) but sort has {}.",
                req.sort.len()
            ))));
        }
    }
    Ok(())
}

/// A document's value for one sort criterion.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SortVal {
    Missing,
    Num(f64),
    /// an exact 64-bit integer (a `date_nanos` value)
    Long(i64),
    Str(String),
}

/// A matching document with its sort values.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) keys: Vec<SortVal>,
    pub(crate) score: f32,
    /// the target (shard) it comes from
    pub(crate) shard: usize,
    pub(crate) addr: DocAddress,
    /// target and document number: the final tie-breaker
    pub(crate) order: u64,
}

/// Compares two sort-key tuples in the request's order (missing values where `missing` puts
/// them).
pub(crate) fn cmp_keys(sort: &[SortKey], a: &[SortVal], b: &[SortVal]) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    for (i, k) in sort.iter().enumerate() {
        let missing_first = matches!(
            k,
            SortKey::Field {
                missing_first: true,
                ..
            }
        );
        let c = match (&a[i], &b[i]) {
            (SortVal::Missing, SortVal::Missing) => Ordering::Equal,
            (SortVal::Missing, _) if missing_first => Ordering::Less,
            (SortVal::Missing, _) => Ordering::Greater,
            (_, SortVal::Missing) if missing_first => Ordering::Greater,
            (_, SortVal::Missing) => Ordering::Less,
            (x, y) => {
                let c = match (x, y) {
                    (SortVal::Num(p), SortVal::Num(q)) => p.total_cmp(q),
                    (SortVal::Long(p), SortVal::Long(q)) => p.cmp(q),
                    (SortVal::Long(p), SortVal::Num(q)) => (*p as f64).total_cmp(q),
                    (SortVal::Num(p), SortVal::Long(q)) => p.total_cmp(&(*q as f64)),
                    (SortVal::Str(p), SortVal::Str(q)) => p.cmp(q),
                    (SortVal::Num(_) | SortVal::Long(_), _) => Ordering::Less,
                    (_, _) => Ordering::Greater,
                };
                if k.asc() { c } else { c.reverse() }
            }
        };
        if c != Ordering::Equal {
            return c;
        }
    }
    Ordering::Equal
}

pub(crate) fn cmp_hits(sort: &[SortKey], a: &Hit, b: &Hit) -> std::cmp::Ordering {
    cmp_keys(sort, &a.keys, &b.keys).then(a.order.cmp(&b.order))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

thread_local! {
    /// Threads a search started on this thread may use (`None`: one per core); set by
    /// [`with_threads`].
    static SEARCH_THREADS: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with searches started on this thread using at most `threads` threads each (the
/// share of the cores of one of several concurrent searches, as `_msearch` runs them).
pub(crate) fn with_threads<T>(threads: usize, f: impl FnOnce() -> T) -> T {
    let before = SEARCH_THREADS.replace(Some(threads.max(1)));
    let out = f();
    SEARCH_THREADS.set(before);
    out
}

/// The threads one search started on this thread may use: its [`with_threads`] share, else one
/// per core.
pub(crate) fn search_threads() -> usize {
    SEARCH_THREADS
        .get()
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

struct Outcome {
    total: u64,
    hits: Vec<Hit>,
    states: Vec<aggs::State>,
    max_score: Option<f32>,
    /// the targets (shards) that failed while the others answered, with the reason
    failures: Vec<(usize, Error)>,
}

fn execute(targets: &[Target], req: &Request, want_hits: usize) -> Result<Outcome> {
    let now = now_ms();
    let sort: Vec<SortKey> = if req.sort.is_empty() {
        vec![SortKey::Score(false)]
    } else {
        req.sort.clone()
    };
    let after = match (&req.after_keys, &req.search_after) {
        (Some(keys), _) => Some(keys.clone()),
        (None, Some(raw)) if !raw.is_empty() => Some(after_values(&sort, raw, targets)?),
        _ => None,
    };
    let hit_scores =
        want_hits > 0 && (sort.iter().any(|k| matches!(k, SortKey::Score(_))) || req.track_scores);
    // `top_hits` by score needs the scores even when the search wants no hits
    let scoring = hit_scores || aggs::needs_scores(&req.aggs);
    let mut total = 0u64;
    let mut hits: Vec<Hit> = Vec::new();
    let mut states = aggs::new_states(&req.aggs);
    let mut max_score: Option<f32> = None;
    // every target (shard) compiles the query against its index's mapping and weighs it with
    // its own searcher (per-shard statistics, as ES scores by default)
    let metas: Vec<IndexMeta> = targets.iter().map(|t| t.shard.meta()).collect();
    let analyzers: Vec<crate::analysis::Analyzer> = targets
        .iter()
        .map(|t| t.shard.text_analysis().analyzer())
        .collect();
    let ctxs: Vec<query::Ctx<'_>> = targets
        .iter()
        .zip(&metas)
        .zip(&analyzers)
        .map(|((t, meta), analyzer)| query::Ctx {
            mapping: &meta.mapping,
            fields: t.shard.fields,
            now_ms: now,
            analyzer,
            max_regex_length: index_setting(meta, "max_regex_length", query::MAX_REGEX_LENGTH),
            max_terms_count: index_setting(meta, "max_terms_count", query::MAX_TERMS_COUNT),
            nested_scope: None,
            allow_expensive: req.limits.allow_expensive,
            max_buckets: req.limits.max_buckets,
        })
        .collect();
    let mut weights: Vec<Box<dyn tantivy::query::Weight>> = Vec::with_capacity(targets.len());
    for ((target, meta), ctx) in targets.iter().zip(&metas).zip(&ctxs) {
        let shard = &target.shard;
        let mapping = &meta.mapping;
        // a query the shard cannot build fails the search on every shard, as in ES
        let mut q: Box<dyn Query> = query::compile(&req.query, ctx).map_err(|e| {
            if e.es_type() == "query_shard_exception" {
                // listed per shard (its root cause), with no `caused_by`, as ES lists it
                all_shards_failed_with(
                    &e.with("index_uuid", shard.uuid.clone())
                        .with("index", shard.name.clone()),
                    &shard.name,
                )
            } else {
                e
            }
        })?;
        if (target.boost - 1.0).abs() > f32::EPSILON {
            q = Box::new(tantivy::query::BoostQuery::new(q, target.boost));
        }
        if let Some(filter) = &target.filter {
            // a filtered alias: its filter must match too, adding nothing to the score
            let f = query::compile(filter, ctx)?;
            q = Box::new(tantivy::query::BooleanQuery::new(vec![
                (tantivy::query::Occur::Must, q),
                (
                    tantivy::query::Occur::Must,
                    Box::new(tantivy::query::ConstScoreQuery::new(f, 0.0)),
                ),
            ]));
        }
        if mapping.has_nested() {
            // the documents of nested objects are hidden: a search reads the root documents
            let nested =
                tantivy::Term::from_field_text(shard.fields.present, crate::mapping::NESTED_MARKER);
            q = Box::new(tantivy::query::BooleanQuery::new(vec![
                (tantivy::query::Occur::Must, q),
                (
                    tantivy::query::Occur::MustNot,
                    Box::new(tantivy::query::TermQuery::new(
                        nested,
                        tantivy::schema::IndexRecordOption::Basic,
                    )),
                ),
            ]));
        }
        // validate field sorts against the mapping
        for k in &sort {
            if let SortKey::Field { field, .. } = k
                && let Some(fm) = mapping.field(field)
                && fm.ty == FieldType::Ip
                && !fm.doc_values
            {
                return Err(aggs::no_doc_values_error(field, fm.ty));
            }
            if let SortKey::Field { field, .. } = k
                && mapping
                    .field(field)
                    .is_some_and(|fm| fm.ty == FieldType::GeoPoint)
            {
                return Err(crate::search::all_shards_failed(Error::illegal_argument(
                    "can't sort on geo_point or point field without using specific sorting feature, like \
                     geo_distance",
                )));
            }
            if let SortKey::Field { field, .. } = k
                && let Some(fm) = mapping.field(field)
                && fm.ty == FieldType::Text
                && !fm.fielddata()
            {
                return Err(Error::es(400, "search_phase_execution_exception", "all shards failed").caused_by(Error::illegal_argument(format!(
                    "Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [{field}] in order to load field data by uninverting the inverted index. Note that this can use significant memory."
                )).with("index", shard.name.clone())));
            }
        }
        let searcher = &target.searcher;
        let enable = if scoring {
            EnableScoring::enabled_from_searcher(searcher)
        } else {
            EnableScoring::disabled_from_searcher(searcher)
        };
        weights.push(
            q.weight(enable)
                .map_err(|e| Error::tantivy(&shard.name, e))?,
        );
    }
    // the segments of all shards, split into tasks of similar size for one pool of threads
    let bases: Vec<Vec<u32>> = targets
        .iter()
        .map(|t| creation_bases(&t.searcher))
        .collect();
    let cores = search_threads();
    let tasks = split_segments(targets, cores);
    let how = Collect {
        sort: &sort,
        after: after.as_deref(),
        scoring,
        hit_scores,
        want_hits,
    };
    let run = |t: usize| -> Result<SegOut> {
        let (si, ord, range) = tasks[t];
        let target = &targets[si];
        run_segment(
            req,
            &how,
            &target.searcher.segment_readers()[ord],
            (ord, bases[si][ord]),
            range,
            si,
            weights[si].as_ref(),
            &metas[si].mapping,
            &ctxs[si],
            &target.shard.name,
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
    // a shard whose aggregation state cannot answer (an HDR histogram given a negative
    // value) fails alone, as in ES; the search fails only when every shard does
    let mut failures: Vec<(usize, Error)> = Vec::new();
    for (t, out) in outs.iter().enumerate() {
        if let (Ok(o), Some(&(si, _, _))) = (out, tasks.get(t))
            && o.states.as_deref().is_some_and(aggs::failed)
            && !failures.iter().any(|(s, _)| *s == si)
        {
            failures.push((
                si,
                Error::es(
                    500,
                    "array_index_out_of_bounds_exception",
                    aggs::hdr::NEGATIVE,
                ),
            ));
        }
    }
    if !targets.is_empty() && failures.len() == targets.len() {
        let (si, e) = failures.swap_remove(0);
        return Err(all_shards_failed(
            e.with("index_uuid", targets[si].shard.uuid.clone())
                .with("index", targets[si].shard.name.clone()),
        ));
    }
    failures.sort_by_key(|(si, _)| *si);
    for (t, out) in outs.into_iter().enumerate() {
        if tasks
            .get(t)
            .is_some_and(|(si, _, _)| failures.iter().any(|(s, _)| s == si))
        {
            continue;
        }
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
            aggs::merge(&req.aggs, &mut states, st);
        }
    }
    hits.sort_by(|a, b| cmp_hits(&sort, a, b));
    hits.truncate(want_hits);
    Ok(Outcome {
        total,
        hits,
        states,
        max_score,
        failures,
    })
}

/// The first document number of each segment of a shard (by ordinal) when its segments are
/// laid end to end in the order they were written (by their smallest `_seq_no`, as Lucene
/// keeps segments in creation order, the ordinal breaking ties): documents that tie on every
/// sort key, and `_doc` order, then follow the writes as in Elasticsearch, not the order
/// tantivy lists the segments in.
fn creation_bases(searcher: &Searcher) -> Vec<u32> {
    let readers = searcher.segment_readers();
    let mut order: Vec<(u64, usize)> = readers
        .iter()
        .enumerate()
        .map(|(ord, seg)| {
            let first = seg
                .fast_fields()
                .u64("_seq_no")
                .map_or(u64::MAX, |c| c.min_value());
            (first, ord)
        })
        .collect();
    order.sort_unstable();
    let mut bases = vec![0u32; readers.len()];
    let mut next = 0u32;
    for (_, ord) in order {
        bases[ord] = next;
        next += readers[ord].max_doc();
    }
    bases
}

/// Smallest doc range of one segment searched as its own task.
const MIN_TASK_DOCS: u32 = 8192;

/// Splits the segments of every target into `(target, segment ordinal, doc range)` tasks of
/// similar size, so that one big merged segment (or one big shard) does not leave the other cores
/// idle: about two tasks per core, largest first.
fn split_segments(targets: &[Target], cores: usize) -> Vec<(usize, usize, (u32, u32))> {
    let total: u64 = targets
        .iter()
        .flat_map(|t| t.searcher.segment_readers())
        .map(|s| u64::from(s.max_doc()))
        .sum();
    let target = (total / (cores as u64 * 2).max(1)).max(u64::from(MIN_TASK_DOCS));
    // a power of two, so that a segment's task ranges stay the same while the index grows (up
    // to twice its size): the memo keeps what a task computed by its range
    let step = u32::try_from(1_u64 << target.ilog2()).unwrap_or(1 << 31);
    let mut tasks = Vec::new();
    for (si, t) in targets.iter().enumerate() {
        for (ord, seg) in t.searcher.segment_readers().iter().enumerate() {
            let max = seg.max_doc();
            let parts = max.div_ceil(step).max(1);
            let mut lo: u32 = 0;
            loop {
                let hi = if parts == 1 {
                    u32::MAX
                } else {
                    lo.saturating_add(step).min(max)
                };
                tasks.push((si, ord, (lo, hi)));
                if hi >= max {
                    break;
                }
                lo = hi;
            }
        }
    }
    // largest first (a whole segment's range ends at u32::MAX: size it by its documents)
    tasks.sort_by_key(|&(si, ord, (lo, hi))| {
        let max = targets[si].searcher.segment_readers()[ord].max_doc();
        std::cmp::Reverse(hi.min(max).saturating_sub(lo))
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

/// How one segment task collects hits.
struct Collect<'a> {
    sort: &'a [SortKey],
    /// `search_after`: only hits sorting strictly after these keys
    after: Option<&'a [SortVal]>,
    /// compute scores (for the hits or for the aggregations)
    scoring: bool,
    /// the hits' scores count (`max_score`)
    hit_scores: bool,
    want_hits: usize,
}

#[allow(clippy::too_many_arguments)]
fn run_segment(
    req: &Request,
    how: &Collect<'_>,
    seg: &tantivy::SegmentReader,
    (ord, base): (usize, u32),
    range: (u32, u32),
    si: usize,
    weight: &dyn tantivy::query::Weight,
    mapping: &crate::mapping::Mapping,
    ctx: &query::Ctx<'_>,
    index: &str,
) -> Result<SegOut> {
    let Collect {
        sort,
        after,
        scoring,
        hit_scores,
        want_hits,
    } = *how;
    let tv = |e| Error::tantivy(index, e);
    let mut collector = if req.aggs.is_empty() {
        None
    } else {
        let origin = aggs::top::Origin {
            shard: si,
            segment: ord as u32,
            base,
        };
        Some(aggs::Collector::new(
            &req.aggs, seg, mapping, ctx, index, origin,
        )?)
    };
    let mut sort_cols = Vec::new();
    for k in sort {
        if let SortKey::Field { field, .. } = k {
            let (src, _) = aggs::open_exact_source(seg, mapping, field, index)
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
    // the scores of `block` when computed
    let mut block_scores: Vec<f32> = Vec::new();
    let mut top = TopByColumn::plan(how, &sort_cols);
    // A range where every document matches (`match_all`, or a range filter covering the
    // segment): its best documents and its date histogram are facts of the segment, kept in
    // the memo for the next search that asks the same.
    let whole = (!scoring && after.is_none() && alive.is_none())
        .then_some(())
        .filter(|()| scorer.is::<tantivy::query::AllScorer>())
        .map(|()| (range.0, range.1.min(seg.max_doc())));
    let (mut top_key, mut memo_docs, mut aggs_key, mut memo_states) = (None, None, None, None);
    if let Some(docs) = whole {
        let id = seg.segment_id();
        if let (Some(t), Some(SortKey::Field { field, .. })) = (&top, sort.first()) {
            let key = memo::Key::top(id, docs, &t.memo_order(field));
            match memo::MEMO.get(&key) {
                Some(memo::Entry::Docs(d)) => memo_docs = Some(d),
                _ => top_key = Some(key),
            }
        }
        if collector.is_some()
            && let Some(a) = memo::aggs_key(&req.aggs)
        {
            let key = memo::Key::aggs(id, docs, &a);
            match memo::MEMO.get(&key) {
                Some(memo::Entry::States(st)) => memo_states = Some(st),
                _ => aggs_key = Some(key),
            }
        }
        if memo_docs.is_some() {
            top = None;
        }
        if memo_states.is_some() {
            collector = None;
        }
        if top.is_none() && collector.is_none() && (want_hits == 0 || memo_docs.is_some()) {
            // everything asked of this range is known: only the count is left
            out.total += u64::from(docs.1.saturating_sub(docs.0));
            doc = tantivy::TERMINATED;
        }
    }
    if (want_hits == 0 || top.is_some() || memo_docs.is_some()) && !scoring {
        // Counting and aggregating (`size: 0`, the dashboards' queries), or hits sorted by a
        // numeric column (Discover's): take the matching documents from the scorer a buffer at
        // a time (`match_all` fills it with a plain counter) instead of one virtual `advance`
        // per document.
        let mut ids = [0; tantivy::COLLECT_BLOCK_BUFFER_LEN];
        let mut live = [0; tantivy::COLLECT_BLOCK_BUFFER_LEN];
        // the field the page is sorted by, whose values `top` reads anyway
        let shared_field = match (&top, sort.first()) {
            (Some(_), Some(SortKey::Field { field, .. })) => Some(field.as_str()),
            _ => None,
        };
        let mut block_vals: Vec<f64> = Vec::new();
        while doc != tantivy::TERMINATED && doc < range.1 {
            let n = tantivy::DocSet::fill_buffer(&mut scorer, &mut ids);
            let mut m = 0;
            let mut past = false;
            for &d in &ids[..n] {
                if d >= range.1 {
                    past = true;
                    break;
                }
                if alive.is_none_or(|a| a.is_alive(d)) {
                    live[m] = d;
                    m += 1;
                }
            }
            let live = &live[..m];
            out.total += live.len() as u64;
            let read = top.as_mut().and_then(|t| t.push_block(live));
            if let Some(c) = collector.as_mut() {
                block.extend_from_slice(live);
                // the sort column's values, read once for the page and the aggregations
                match (read, shared_field) {
                    (Some(v), Some(_)) if block_vals.len() + v.len() == block.len() => {
                        block_vals.extend_from_slice(v);
                    }
                    _ => block_vals.clear(),
                }
                if block.len() >= AGG_BLOCK {
                    let known = shared_field
                        .filter(|_| block_vals.len() == block.len())
                        .map(|f| (f, block_vals.as_slice()));
                    c.collect_block_known(&block, &[], known);
                    block.clear();
                    block_vals.clear();
                }
            }
            if past {
                break;
            }
            doc = scorer.doc();
        }
        doc = tantivy::TERMINATED;
        let docs = match (top.take(), memo_docs) {
            (Some(t), _) => {
                let docs = Arc::new(t.into_docs());
                if let Some(key) = top_key.take() {
                    memo::MEMO.put(key, memo::Entry::Docs(Arc::clone(&docs)));
                }
                Some(docs)
            }
            (None, memo) => memo,
        };
        if let Some(docs) = docs {
            for &d in docs.iter() {
                let global = base + d;
                let order = ((si as u64) << 32) | u64::from(global);
                let keys = hit_keys(&sort_cols, sort, d, global, order, 1.0, &mut buf);
                out.hits.push(Hit {
                    keys,
                    score: 1.0,
                    shard: si,
                    addr: DocAddress::new(ord as u32, d),
                    order,
                });
            }
        }
    }
    while doc != tantivy::TERMINATED && doc < range.1 {
        if alive.is_none_or(|a| a.is_alive(doc)) {
            out.total += 1;
            let score = if scoring { scorer.score() } else { 1.0 };
            if hit_scores {
                out.max_score = Some(out.max_score.map_or(score, |m: f32| m.max(score)));
            }
            if let Some(c) = collector.as_mut() {
                block.push(doc);
                if scoring {
                    block_scores.push(score);
                }
                if block.len() == AGG_BLOCK {
                    c.collect_block(&block, &block_scores);
                    block.clear();
                    block_scores.clear();
                }
            }
            if want_hits > 0 {
                let global = base + doc;
                let order = ((si as u64) << 32) | u64::from(global);
                let keys = hit_keys(&sort_cols, sort, doc, global, order, score, &mut buf);
                if after.is_some_and(|a| cmp_keys(sort, &keys, a) != std::cmp::Ordering::Greater) {
                    doc = scorer.advance();
                    continue;
                }
                out.hits.push(Hit {
                    keys,
                    score,
                    shard: si,
                    addr: DocAddress::new(ord as u32, doc),
                    order,
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
        c.collect_block(&block, &block_scores);
    }
    out.states = collector.map(aggs::Collector::finish);
    if let (Some(key), Some(st)) = (aggs_key, &out.states) {
        memo::MEMO.put(key, memo::Entry::States(Arc::new(st.clone())));
    }
    if let Some(st) = memo_states {
        out.states = Some(Vec::clone(&st));
    }
    Ok(out)
}

/// A hit's sort values.
pub(crate) fn hit_keys(
    sort_cols: &[Option<aggs::Source>],
    sort: &[SortKey],
    doc: DocId,
    global: u32,
    order: u64,
    score: f32,
    buf: &mut Vec<f64>,
) -> Vec<SortVal> {
    sort_cols
        .iter()
        .zip(sort)
        .map(|(c, k)| match (c, k) {
            (Some(src), _) => sort_value(src, doc, k, buf),
            (None, SortKey::Score(_)) => SortVal::Num(f64::from(score)),
            (None, SortKey::Doc(_)) => SortVal::Num(f64::from(global)),
            (None, SortKey::ShardDoc(_)) => SortVal::Num(order as f64),
            (None, SortKey::Field { .. }) => SortVal::Missing,
        })
        .collect()
}

/// The best `k` documents of a segment task by a numeric column (sort on a numeric or date
/// field, then nothing but `_doc` or `_shard_doc`; no scores, no `search_after`): the column is
/// read a block of documents at a time; a document no better than the `k`-th best so far is
/// dropped at once, while each one beats the one before (newest first over events indexed in
/// time order) the last `k` are kept, and otherwise a pair goes into a buffer that is cut down to
/// the best `k` when it fills; the hits with all their sort values are built for the survivors
/// only. Within one
/// segment the document number orders ties as `_doc`, `_shard_doc` and the final tie-breaker do,
/// so the survivors are exactly the segment's best `k` by the request's order.
struct TopByColumn {
    col: tantivy::columnar::Column<f64>,
    asc: bool,
    missing_first: bool,
    /// ties: by ascending document number
    doc_asc: bool,
    k: usize,
    /// While every document has beaten the one before it (Discover's newest-first sort over
    /// events indexed in time order), the best `k` so far are simply the last `k`.
    improving: bool,
    last: std::collections::VecDeque<Cand>,
    cands: Vec<Cand>,
    /// No better than the `k`-th best seen so far: cannot be among the best `k`.
    bar: Option<Cand>,
    /// Column values of one block of documents.
    vals: Vec<f64>,
}

type Cand = (Option<f64>, DocId);

impl TopByColumn {
    fn plan(how: &Collect<'_>, sort_cols: &[Option<aggs::Source>]) -> Option<TopByColumn> {
        if how.scoring || how.after.is_some() || how.want_hits == 0 {
            return None;
        }
        let (
            SortKey::Field {
                asc, missing_first, ..
            },
            Some(Some(aggs::Source::Num(col))),
        ) = (how.sort.first()?, sort_cols.first())
        else {
            return None;
        };
        let doc_asc = match how.sort.get(1) {
            None => true,
            Some(SortKey::Doc(a) | SortKey::ShardDoc(a)) => *a,
            Some(_) => return None,
        };
        Some(TopByColumn {
            col: col.clone(),
            asc: *asc,
            missing_first: *missing_first,
            doc_asc,
            k: how.want_hits,
            improving: true,
            last: std::collections::VecDeque::with_capacity(how.want_hits),
            cands: Vec::with_capacity(how.want_hits.max(1024) * 2),
            bar: None,
            vals: Vec::new(),
        })
    }

    /// Offers a block of matching documents (ascending document numbers); the column's values
    /// for them when the column has one for every document.
    fn push_block(&mut self, docs: &[DocId]) -> Option<&[f64]> {
        if self.col.get_cardinality() == tantivy::columnar::Cardinality::Full {
            // one column read for the block instead of one per document
            let mut vals = std::mem::take(&mut self.vals);
            vals.resize(docs.len(), 0.0);
            self.col.values.get_vals(docs, &mut vals);
            if self.improving && self.improves_throughout(docs, &vals) {
                // the whole block continues the run: only its last `k` can stay
                let from = docs.len().saturating_sub(self.k);
                for (&d, &v) in docs[from..].iter().zip(&vals[from..]) {
                    if self.last.len() == self.k {
                        self.last.pop_front();
                    }
                    self.last.push_back((Some(v), d));
                }
                self.vals = vals;
                return Some(&self.vals);
            }
            for (&d, &v) in docs.iter().zip(&vals) {
                // the run of ever better documents, without the general comparison
                if self.improving
                    && self
                        .last
                        .back()
                        .is_none_or(|&(l, ld)| l.is_some_and(|l| self.improves(v, d, l, ld)))
                {
                    if self.last.len() == self.k {
                        self.last.pop_front();
                    }
                    self.last.push_back((Some(v), d));
                    continue;
                }
                // strictly worse than the `k`-th best by value alone (ties and NaN go the
                // long way)
                if let Some((Some(b), _)) = self.bar
                    && (if self.asc { v > b } else { v < b })
                {
                    continue;
                }
                self.push((Some(v), d));
            }
            self.vals = vals;
            Some(&self.vals)
        } else {
            for &d in docs {
                let vals = self.col.values_for_doc(d);
                let v = if self.asc {
                    vals.reduce(f64::min)
                } else {
                    vals.reduce(f64::max)
                };
                self.push((v, d));
            }
            None
        }
    }

    fn push(&mut self, c: Cand) {
        use std::cmp::Ordering::Less;
        if self.bar.is_some_and(|b| self.cmp(&c, &b) != Less) {
            return;
        }
        if self.improving {
            if self.last.back().is_none_or(|l| self.cmp(&c, l) == Less) {
                if self.last.len() == self.k {
                    self.last.pop_front();
                }
                self.last.push_back(c);
                return;
            }
            // the run is broken: what it kept are candidates like any other, and the worst of
            // them (the oldest) bars the way when there are `k`
            self.improving = false;
            if self.last.len() == self.k {
                self.bar = self.last.front().copied();
            }
            self.cands.extend(self.last.drain(..));
            if self.bar.is_some_and(|b| self.cmp(&c, &b) != Less) {
                return;
            }
        }
        self.cands.push(c);
        if self.cands.len() == self.cands.capacity() {
            self.reduce();
        }
    }

    /// What identifies this order of `field`'s values for the memo.
    fn memo_order(&self, field: &str) -> String {
        format!(
            "{field:?} asc={} missing_first={} doc_asc={} k={}",
            self.asc, self.missing_first, self.doc_asc, self.k
        )
    }

    /// Each document of a block beats the one before it, the first beats the last kept.
    fn improves_throughout(&self, docs: &[DocId], vals: &[f64]) -> bool {
        let starts = match (self.last.back(), docs.first(), vals.first()) {
            (None, ..) => true,
            (Some(&(Some(l), ld)), Some(&d), Some(&v)) => self.improves(v, d, l, ld),
            _ => false,
        };
        starts
            && docs
                .windows(2)
                .zip(vals.windows(2))
                .all(|(d, v)| self.improves(v[1], d[1], v[0], d[0]))
    }

    /// `(v, d)` comes before `(l, ld)`, both with values.
    fn improves(&self, v: f64, d: DocId, l: f64, ld: DocId) -> bool {
        use std::cmp::Ordering;
        let by_value = if self.asc {
            v.total_cmp(&l)
        } else {
            l.total_cmp(&v)
        };
        match by_value {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => (d < ld) == self.doc_asc,
        }
    }

    /// Orders candidates best first, as `cmp_hits` orders their hits.
    fn cmp(&self, a: &Cand, b: &Cand) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let c = match (a.0, b.0) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) if self.missing_first => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) if self.missing_first => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) if self.asc => x.total_cmp(&y),
            (Some(x), Some(y)) => y.total_cmp(&x),
        };
        c.then_with(|| {
            if self.doc_asc {
                a.1.cmp(&b.1)
            } else {
                b.1.cmp(&a.1)
            }
        })
    }

    fn reduce(&mut self) {
        if self.cands.len() > self.k {
            let mut cands = std::mem::take(&mut self.cands);
            cands.select_nth_unstable_by(self.k - 1, |a, b| self.cmp(a, b));
            cands.truncate(self.k);
            self.bar = cands.last().copied();
            self.cands = cands;
        }
    }

    /// The best `k` documents, in no particular order.
    fn into_docs(mut self) -> Vec<DocId> {
        if self.improving {
            return self.last.into_iter().map(|(_, d)| d).collect();
        }
        self.reduce();
        self.cands.into_iter().map(|(_, d)| d).collect()
    }
}

pub(crate) fn sort_value(
    src: &aggs::Source,
    doc: u32,
    key: &SortKey,
    buf: &mut Vec<f64>,
) -> SortVal {
    let asc = matches!(key, SortKey::Field { asc: true, .. });
    match src {
        aggs::Source::Str(col) => {
            // a document's ordinals come in the order its values were written: the least or
            // the greatest term (ordinals sort as the terms do), as ES's `min` / `max` mode
            let ords = col.term_ords(doc);
            let o = if asc { ords.min() } else { ords.max() };
            let o = o.as_ref();
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
        aggs::Source::Long(col) => {
            let vals = col.values_for_doc(doc);
            let v = if asc { vals.min() } else { vals.max() };
            v.map_or(SortVal::Missing, SortVal::Long)
        }
        aggs::Source::Geo(_) | aggs::Source::Nothing => SortVal::Missing,
    }
}

/// `_search` over `shards` (their current searchers).
pub fn search(shards: &[Arc<Shard>], body: Option<&Value>, params: &SearchParams) -> Result<Value> {
    let targets: Vec<Target> = shards.iter().flat_map(Target::current).collect();
    search_targets(&targets, body, params, None)
}

/// `_search` over fixed searchers; `pit` is the point in time they come from (its id is
/// echoed as `pit_id`), `None` for a search of named indices.
pub(crate) fn search_targets(
    targets: &[Target],
    body: Option<&Value>,
    params: &SearchParams,
    pit: Option<&str>,
) -> Result<Value> {
    let start = Instant::now();
    let req = parse_request(body, params, false)?;
    if req.pit.is_some() && pit.is_none() {
        return Err(validation_failed(&[
            "[indices] cannot be used with point in time. Do not specify any index with point in time."
                .to_owned(),
        ]));
    }
    check_limits(targets, &req, false)?;
    let want = req.from + req.size;
    // a search with only suggestions runs no query: no hits, a total of 0 (as in ES)
    let suggest_only = !req.suggest.is_empty() && !req.query_given && req.aggs.is_empty();
    let out = match &req.collapse {
        _ if suggest_only => Ok(Outcome {
            total: 0,
            hits: Vec::new(),
            states: aggs::new_states(&req.aggs),
            max_score: None,
            failures: Vec::new(),
        }),
        Some(field) => collapsed(targets, &req, field, want),
        None => execute(targets, &req, want),
    };
    let out = counted_query(targets, &req, start, out)?;
    if let Some((si, e)) = out.failures.first()
        && !bool_param(
            "allow_partial_search_results",
            &params.allow_partial_search_results,
            true,
        )?
    {
        return Err(Error::es(
            e.status(),
            "search_phase_execution_exception",
            "Partial shards failure",
        )
        .with("phase", "query")
        .with("grouped", true)
        .caused_by(
            Error::es(e.status(), e.es_type(), e.reason())
                .with("index", targets[*si].shard.name.clone()),
        ));
    }
    let suggested = if req.suggest.is_empty() {
        None
    } else {
        Some(suggest::execute(
            targets,
            &req.suggest,
            req.typed_keys,
            now_ms(),
        )?)
    };
    let fetched = Instant::now();
    let mut v = respond(
        targets,
        &req,
        &out,
        start,
        pit.map(|id| ("pit_id", id)),
        req.sort.len(),
    );
    counted_fetch(targets, &req, &out, fetched);
    if let (Ok(Value::Object(o)), Some(s)) = (&mut v, suggested) {
        o.insert("suggest".into(), s);
    }
    v
}

/// `stats`: a list of group names.
fn parse_stats_groups(v: &Value) -> Result<Vec<String>> {
    let one = |x: &Value| {
        x.as_str().map(str::to_owned).ok_or_else(|| {
            Error::parsing(format!("Unknown key for a {} in [stats].", token_name(x)))
        })
    };
    match v {
        Value::Array(a) => a.iter().map(one).collect(),
        other => Err(Error::parsing(format!(
            "Unknown key for a {} in [stats].",
            token_name(other)
        ))
        .with("line", 1)
        .with("col", 1)),
    }
}

/// Counts the query phase of a search on each shard it read (and in its `stats` groups), or
/// its failure.
fn counted_query(
    targets: &[Target],
    req: &Request,
    start: Instant,
    out: Result<Outcome>,
) -> Result<Outcome> {
    let took = start.elapsed();
    for t in targets {
        let c = t.shard.counters(t.part);
        let groups = req.stats_groups.iter().map(|g| c.group(g));
        match &out {
            Ok(_) => {
                c.search.query.add(took);
                for g in groups {
                    g.query.add(took);
                }
            }
            Err(_) => {
                c.search
                    .query_failure
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                for g in groups {
                    g.query_failure
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
    }
    out
}

/// Counts the fetch phase on each shard that gave one of the hits shown.
fn counted_fetch(targets: &[Target], req: &Request, out: &Outcome, start: Instant) {
    let took = start.elapsed();
    let mut fetched = vec![false; targets.len()];
    for h in out.hits.iter().skip(req.from) {
        if let Some(f) = fetched.get_mut(h.shard) {
            *f = true;
        }
    }
    for (t, _) in targets.iter().zip(fetched).filter(|x| x.1) {
        let c = t.shard.counters(t.part);
        c.search.fetch.add(took);
        for g in &req.stats_groups {
            c.group(g).fetch.add(took);
        }
    }
}

/// The `_search` response for `out`: `head` is a context id put first (`pit_id` or
/// `_scroll_id`); hits show the first `shown_sort` sort keys (a scroll's implicit tie-breaker
/// stays internal).
fn respond(
    targets: &[Target],
    req: &Request,
    out: &Outcome,
    start: Instant,
    head: Option<(&str, &str)>,
    shown_sort: usize,
) -> Result<Value> {
    let shown = &req.sort[..shown_sort.min(req.sort.len())];
    let sorted_by_field = shown.iter().any(|k| !matches!(k, SortKey::Score(_)));
    let metas: Vec<_> = targets.iter().map(|t| t.shard.meta()).collect();
    let highlight_terms = req.highlight.as_ref().map(|h| h.terms(&req.query));
    let view = HitView {
        source: req.source.clone(),
        source_given: req.source_given,
        stored: req.stored,
        stored_names: req.stored_names.clone(),
        fields: req.fields.clone(),
        docvalue_fields: req.docvalue_fields.clone(),
        sort: shown.to_vec(),
        // a search keeps its hits' scores when it sorts on them too, as ES does (`top_hits`
        // does not)
        track_scores: req.track_scores || shown.iter().any(|k| matches!(k, SortKey::Score(_))),
        version: req.version,
        seq_no_primary_term: req.seq_no_primary_term,
    };
    let highlight = req.highlight.as_ref().zip(highlight_terms.as_ref());
    let named = query::named(&req.query);
    let mut hits = Vec::new();
    for h in out.hits.iter().skip(req.from) {
        let mut hit = render_hit(targets, &metas, h, &view, highlight)?;
        if let Some(field) = &req.collapse
            && let Value::Object(o) = &mut hit
        {
            let v = collapse_value(targets, &metas, h, field)?;
            // a document without the field shows none (ES's `fields` then has no entry)
            if v != Value::Array(vec![Value::Null])
                && let Value::Object(f) = o
                    .entry("fields")
                    .or_insert_with(|| Value::Object(Map::new()))
            {
                f.insert(field.clone(), v);
            }
        }
        if !named.is_empty() {
            let matched = matched_queries(targets, &metas, h, &named)?;
            if !matched.is_empty()
                && let Value::Object(m) = &mut hit
            {
                m.insert("matched_queries".into(), Value::from(matched));
            }
        }
        hits.push(hit);
    }
    let total = match req.track_total {
        TrackTotal::Exact => Some(json!({"value": out.total, "relation": "eq"})),
        TrackTotal::Upto(n) if out.total > n => Some(json!({"value": n, "relation": "gte"})),
        TrackTotal::Upto(_) => Some(json!({"value": out.total, "relation": "eq"})),
        TrackTotal::Off => None,
    };
    let max_score = if (sorted_by_field && !req.track_scores) || out.total == 0 {
        Value::Null
    } else {
        out.max_score.map_or(Value::Null, float_json)
    };
    let mut hits_obj = Map::new();
    if total.is_none() && req.total_as_int {
        // ES: an untracked total, asked for as a number, is -1
        hits_obj.insert("total".into(), Value::from(-1));
    }
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
    let mut resp = Map::new();
    if let Some((name, id)) = head {
        resp.insert(name.into(), Value::from(id));
    }
    resp.insert(
        "took".into(),
        Value::from(start.elapsed().as_millis() as u64),
    );
    resp.insert("timed_out".into(), Value::from(false));
    resp.insert("_shards".into(), shards_header(targets, &out.failures));
    resp.insert("hits".into(), Value::Object(hits_obj));
    if !req.aggs.is_empty() {
        let fetcher = Fetcher {
            targets,
            metas: &metas,
        };
        let rctx = aggs::RenderCtx {
            max_buckets: Some(req.limits.max_buckets),
            mappings: metas.iter().map(|m| &m.mapping).collect(),
            now_ms: now_ms(),
            fetch: Some(&fetcher),
            parent_docs: std::cell::Cell::new(out.total),
            backgrounds: backgrounds(targets, &req.aggs)?,
            ..aggs::RenderCtx::default()
        };
        let mut rendered = aggs::render(&req.aggs, &out.states, &rctx)?;
        if req.typed_keys {
            aggs::type_keys(&req.aggs, &mut rendered, &rctx);
        }
        resp.insert("aggregations".into(), Value::Object(rendered));
    }
    Ok(Value::Object(resp))
}

/// A search's `_shards`: every target counted, the failed ones listed with their reason as
/// ES lists them.
fn shards_header(targets: &[Target], failures: &[(usize, Error)]) -> Value {
    let n = targets.len();
    let mut o = json!({"total": n, "successful": n - failures.len(), "skipped": 0, "failed": failures.len()});
    if !failures.is_empty() {
        o["failures"] = Value::Array(
            failures
                .iter()
                .map(|(si, e)| {
                    json!({
                        "shard": targets[*si].part,
                        "index": targets[*si].shard.name,
                        "reason": e.to_item_error(),
                    })
                })
                .collect(),
        );
    }
    o
}

/// The background sets of the `significant_terms` aggregations of `aggs`: every searched
/// document (or those matching `background_filter`) and the documents with each term, counted
/// by a `terms` aggregation over them.
fn backgrounds(
    targets: &[Target],
    aggs: &[Agg],
) -> Result<aggs::FastMap<String, aggs::Background>> {
    let mut out = aggs::FastMap::default();
    for (field, filter) in aggs::significant_fields(aggs) {
        let body = json!({
            "size": 0,
            "track_total_hits": true,
            "query": filter.clone().unwrap_or_else(|| json!({"match_all": {}})),
            "aggs": {"background": {"terms": {"field": field, "min_doc_count": 1}}}
        });
        let req = parse_request(Some(&body), &SearchParams::default(), false)?;
        let bg = execute(targets, &req, 0)?;
        let counts = match bg.states.first() {
            Some(aggs::State::Keyed(map)) => {
                map.iter().map(|(k, b)| (k.clone(), b.doc_count)).collect()
            }
            _ => aggs::FastMap::default(),
        };
        out.insert(
            aggs::background_key(&field, filter.as_ref()),
            aggs::Background {
                size: bg.total,
                counts,
            },
        );
    }
    Ok(out)
}

/// What a rendered hit shows: a search's hits and a `top_hits` aggregation's.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HitView {
    pub(crate) source: SourceFilter,
    /// `_source` asked for explicitly (with `stored_fields`)
    pub(crate) source_given: bool,
    pub(crate) stored: Stored,
    /// `stored_fields` names: the values of those mapped with `store: true` come back in
    /// `fields` (read from the source, which holds the same values)
    pub(crate) stored_names: Vec<String>,
    pub(crate) fields: Vec<fields::FieldSpec>,
    pub(crate) docvalue_fields: Vec<fields::FieldSpec>,
    /// the requested sort (empty: by score, and no `sort` values in the hits)
    pub(crate) sort: Vec<SortKey>,
    pub(crate) track_scores: bool,
    /// `version`: `_version` in each hit
    pub(crate) version: bool,
    /// `seq_no_primary_term`: `_seq_no` and `_primary_term` in each hit
    pub(crate) seq_no_primary_term: bool,
}

impl HitView {
    /// Sorted by something else than the score: hits then carry no score (unless
    /// `track_scores`) and there is no `max_score`.
    pub(crate) fn sorted_by_field(&self) -> bool {
        self.sort.iter().any(|k| !matches!(k, SortKey::Score(_)))
    }
}

/// Where Java's `HashMap` iterates `name` in a table of `cap` buckets (`String.hashCode`,
/// spread as `HashMap.hash` does): Elasticsearch lists matched queries in that order.
fn java_bucket(name: &str, cap: u32) -> u32 {
    let h = name
        .encode_utf16()
        .fold(0u32, |h, c| h.wrapping_mul(31).wrapping_add(u32::from(c)));
    (h ^ (h >> 16)) & (cap - 1)
}

/// The names of the named clauses (`_name`) that match the hit's document, each once, in the
/// order Elasticsearch lists them (its map of named queries: by hash bucket, then as
/// registered).
fn matched_queries(
    targets: &[Target],
    metas: &[IndexMeta],
    h: &Hit,
    named: &[(&str, &query::Q)],
) -> Result<Vec<String>> {
    let target = &targets[h.shard];
    let analyzer = target.shard.text_analysis().analyzer();
    let ctx = query::Ctx {
        mapping: &metas[h.shard].mapping,
        fields: target.shard.fields,
        now_ms: crate::engine::store::now_ms(),
        analyzer: &analyzer,
        max_regex_length: index_setting(
            &metas[h.shard],
            "max_regex_length",
            query::MAX_REGEX_LENGTH,
        ),
        max_terms_count: index_setting(&metas[h.shard], "max_terms_count", query::MAX_TERMS_COUNT),
        nested_scope: None,
        allow_expensive: true,
        max_buckets: aggs::MAX_BUCKETS,
    };
    let seg = target.searcher.segment_reader(h.addr.segment_ord);
    let mut out: Vec<String> = Vec::new();
    for (name, q) in named {
        if out.iter().any(|n| n == name) {
            continue;
        }
        let compiled = query::compile(q, &ctx)?;
        let weight = compiled
            .weight(tantivy::query::EnableScoring::disabled_from_searcher(
                &target.searcher,
            ))
            .map_err(|e| Error::tantivy(&target.shard.name, e))?;
        let mut scorer = weight
            .scorer(seg, 1.0)
            .map_err(|e| Error::tantivy(&target.shard.name, e))?;
        if scorer.doc() <= h.addr.doc_id && scorer.seek(h.addr.doc_id) == h.addr.doc_id {
            out.push((*name).to_owned());
        }
    }
    // the table a HashMap of this many names grows to (load factor 0.75, from 16)
    let distinct = {
        let mut names: Vec<&str> = named.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    };
    let mut cap = 16u32;
    while distinct as u32 > cap / 4 * 3 {
        cap *= 2;
    }
    let registered = |n: &str| named.iter().position(|(x, _)| *x == n).unwrap_or(0);
    out.sort_by_key(|n| (java_bucket(n, cap), registered(n)));
    Ok(out)
}

/// The ES JSON of one hit (its document fetched from its target's searcher).
pub(crate) fn render_hit(
    targets: &[Target],
    metas: &[IndexMeta],
    h: &Hit,
    view: &HitView,
    highlight: Option<(&highlight::Highlight, &highlight::Terms)>,
) -> Result<Value> {
    let target = &targets[h.shard];
    let shard = &target.shard;
    let mapping = &metas[h.shard].mapping;
    let doc: TantivyDocument = target
        .searcher
        .doc(h.addr)
        .map_err(|e| Error::tantivy(&shard.name, e))?;
    let mut hit = Map::new();
    hit.insert("_index".into(), Value::from(shard.name.clone()));
    if view.stored != Stored::None {
        let id = doc
            .get_first(shard.fields.id)
            .and_then(|v| tantivy::schema::Value::as_str(&v).map(str::to_owned))
            .unwrap_or_default();
        hit.insert("_id".into(), Value::from(id));
    }
    let seg = target.searcher.segment_reader(h.addr.segment_ord);
    let column = |name: &str, default: u64| {
        seg.fast_fields()
            .u64(name)
            .ok()
            .and_then(|c| c.first(h.addr.doc_id))
            .unwrap_or(default)
    };
    if view.version {
        hit.insert("_version".into(), Value::from(column("_version", 1)));
    }
    if view.seq_no_primary_term {
        hit.insert("_seq_no".into(), Value::from(column("_seq_no", 0)));
        hit.insert("_primary_term".into(), Value::from(1));
    }
    hit.insert(
        "_score".into(),
        if view.sorted_by_field() && !view.track_scores {
            Value::Null
        } else {
            float_json(h.score)
        },
    );
    if view.stored != Stored::None
        && let Some(r) = crate::engine::shard::routing_of(seg, h.addr.doc_id)
    {
        hit.insert("_routing".into(), Value::from(r));
    }
    if view.stored != Stored::None {
        let ignored = crate::engine::shard::ignored_of(seg, h.addr.doc_id);
        if !ignored.is_empty() {
            hit.insert("_ignored".into(), Value::from(ignored));
        }
    }
    let wants_source = mapping.source_enabled()
        && match view.stored {
            Stored::Default => !matches!(view.source, SourceFilter::None),
            // `_source` among the stored fields asks for it too
            Stored::List => view.source_given || view.stored_names.iter().any(|n| n == "_source"),
            Stored::None => false,
        };
    let stored_specs: Vec<fields::FieldSpec> = view
        .stored_names
        .iter()
        .flat_map(|n| {
            if n.contains('*') {
                mapping.matching_paths(n)
            } else {
                vec![n.clone()]
            }
        })
        .filter(|n| {
            mapping
                .field(n)
                .is_some_and(|f| f.shown.get("store") == Some(&Value::Bool(true)))
        })
        .map(|n| fields::FieldSpec {
            pattern: n,
            format: None,
            include_unmapped: false,
        })
        .collect();
    let needs_source =
        wants_source || !view.fields.is_empty() || !stored_specs.is_empty() || highlight.is_some();
    let src = if needs_source {
        doc.get_first(shard.fields.source)
            .and_then(|v| {
                tantivy::schema::Value::as_bytes(&v)
                    .and_then(|b| serde_json::from_slice::<Value>(b).ok())
            })
            .unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    let mut doc_fields = fields::from_source(&view.fields, &src, mapping)?;
    for (k, v) in fields::from_source(&stored_specs, &src, mapping)? {
        doc_fields.entry(k).or_insert(v);
    }
    fields::from_doc_values(
        &view.docvalue_fields,
        seg,
        h.addr.doc_id,
        mapping,
        &shard.name,
        &mut doc_fields,
    )?;
    let highlighted = match highlight {
        Some((hl, terms)) => hl.render(
            terms,
            &src,
            mapping,
            &shard.text_analysis().analyzer(),
            (
                index_setting(
                    &metas[h.shard],
                    "highlight.max_analyzed_offset",
                    highlight::MAX_ANALYZED_OFFSET,
                ),
                &shard.name,
                h.addr.doc_id,
            ),
        )?,
        None => Map::new(),
    };
    if wants_source {
        hit.insert("_source".into(), filter_source(src, &view.source));
    }
    if !doc_fields.is_empty() {
        hit.insert("fields".into(), Value::Object(doc_fields));
    }
    if !highlighted.is_empty() {
        hit.insert("highlight".into(), Value::Object(highlighted));
    }
    if !view.sort.is_empty() {
        let vals: Vec<Value> = view
            .sort
            .iter()
            .zip(&h.keys)
            .map(|(k, v)| sort_json(k, v, mapping))
            .collect();
        hit.insert("sort".into(), Value::Array(vals));
    }
    Ok(Value::Object(hit))
}

/// Reads the documents of `top_hits` and `top_metrics` from the search's targets.
struct Fetcher<'a> {
    targets: &'a [Target],
    metas: &'a [IndexMeta],
}

impl aggs::top::Fetch for Fetcher<'_> {
    fn hit(&self, h: &Hit, view: &HitView) -> Result<Value> {
        render_hit(self.targets, self.metas, h, view, None)
    }

    fn metric(&self, h: &Hit, field: &str) -> Result<Value> {
        let target = &self.targets[h.shard];
        let mapping = &self.metas[h.shard].mapping;
        let seg = target.searcher.segment_reader(h.addr.segment_ord);
        let (src, ty) = aggs::open_source(seg, mapping, field, &target.shard.name)?;
        Ok(match src {
            aggs::Source::Num(col) => {
                col.values_for_doc(h.addr.doc_id)
                    .next()
                    .map_or(Value::Null, |x| {
                        let formats = mapping.field(field).map(|f| f.formats.clone());
                        aggs::top::value_json(
                            ty.map(|t| (t, formats.as_deref().unwrap_or_default())),
                            x,
                        )
                    })
            }
            aggs::Source::Str(col) => {
                let mut s = String::new();
                match col.term_ords(h.addr.doc_id).next() {
                    Some(o) if col.ord_to_str(o, &mut s).unwrap_or(false) => match ty {
                        Some(FieldType::Ip) => Value::from(crate::mapping::ip::term_to_display(&s)),
                        _ => Value::from(s),
                    },
                    _ => Value::Null,
                }
            }
            aggs::Source::Geo(_) | aggs::Source::Long(_) | aggs::Source::Nothing => Value::Null,
        })
    }

    fn mapping(&self, h: &Hit) -> &crate::mapping::Mapping {
        &self.metas[h.shard].mapping
    }
}

/// The value ES puts in a hit's `sort` array for a missing value of a non-keyword field:
/// `Long.MAX_VALUE` where it sorts last in ascending order, `Long.MIN_VALUE` where first.
/// The sort value ES shows for a document without the field: the bound of the field's sort
/// type (Java's `int`, `long`, or a double's infinity) on the side missing values sort to.
fn missing_placeholder(ty: Option<FieldType>, asc: bool, missing_first: bool) -> Value {
    let high = asc != missing_first;
    match ty {
        Some(FieldType::Integer | FieldType::Short | FieldType::Byte) => {
            Value::from(if high { i32::MAX } else { i32::MIN })
        }
        Some(FieldType::Double | FieldType::Float | FieldType::HalfFloat) => {
            Value::from(if high { "Infinity" } else { "-Infinity" })
        }
        _ => Value::from(if high { i64::MAX } else { i64::MIN }),
    }
}

/// A Java float as ES writes it: its shortest decimal form (a score of `0.21110919`, not the
/// widened double's `0.2111092060804367`).
pub(crate) fn float_json(x: f32) -> Value {
    x.to_string()
        .parse::<f64>()
        .map_or(Value::Null, aggs::num_json)
}

pub(crate) fn sort_json(k: &SortKey, v: &SortVal, mapping: &crate::mapping::Mapping) -> Value {
    match (k, v) {
        (SortKey::Doc(_) | SortKey::ShardDoc(_), SortVal::Num(x)) => Value::from(*x as u64),
        (SortKey::Score(_), SortVal::Num(x)) => float_json(*x as f32),
        (
            SortKey::Field {
                field,
                format: Some(f),
                ..
            },
            SortVal::Num(x),
        ) if mapping
            .field(field)
            .is_some_and(|m| m.ty == FieldType::Date) =>
        {
            let formats = crate::mapping::date::parse_formats(f).unwrap_or_default();
            Value::from(crate::mapping::date::format_with(*x as i64, &formats, None))
        }
        (
            SortKey::Field {
                field,
                format: Some(f),
                ..
            },
            SortVal::Long(x),
        ) if mapping.field(field).is_some_and(|m| m.nanos) => {
            let formats = crate::mapping::date::parse_formats(f).unwrap_or_default();
            Value::from(crate::mapping::date::format_nanos_with(*x, &formats, None))
        }
        (SortKey::Field { field, .. }, SortVal::Long(x))
            if mapping.field(field).is_some_and(|m| m.unsigned) =>
        {
            Value::from(crate::mapping::unsigned::from_sortable(*x))
        }
        (_, SortVal::Long(x)) => Value::from(*x),
        (SortKey::Field { field, .. }, SortVal::Num(x))
            if x.fract() != 0.0
                && mapping
                    .field(field)
                    .is_some_and(|m| matches!(m.ty, FieldType::Float | FieldType::HalfFloat)) =>
        {
            // ES sorts these as Java floats and writes the float's shortest form (`4.151`, not
            // the widened double's `4.151000022888184`)
            float_json(*x as f32)
        }
        (_, SortVal::Num(x)) => {
            if x.fract() == 0.0 && x.abs() < 9e15 {
                Value::from(*x as i64)
            } else {
                aggs::num_json(*x)
            }
        }
        (SortKey::Field { field, .. }, SortVal::Str(s))
            if mapping.field(field).is_some_and(|m| m.ty == FieldType::Ip) =>
        {
            Value::from(crate::mapping::ip::term_to_display(s))
        }
        (_, SortVal::Str(s)) => Value::from(s.clone()),
        (
            SortKey::Field {
                field,
                asc,
                missing_first,
                ..
            },
            SortVal::Missing,
        ) => {
            if mapping.field(field).is_some_and(|m| {
                matches!(m.ty, FieldType::Keyword | FieldType::Ip | FieldType::Text)
            }) {
                Value::Null
            } else {
                missing_placeholder(mapping.field(field).map(|m| m.ty), *asc, *missing_first)
            }
        }
        (_, SortVal::Missing) => Value::Null,
    }
}

/// Turns `search_after` values into sort keys of the request's sort, reading each value as
/// the type of its field (the first index that maps it), as ES's `SearchAfterBuilder` does.
fn after_values(sort: &[SortKey], raw: &[Value], targets: &[Target]) -> Result<Vec<SortVal>> {
    let metas: Vec<_> = targets.iter().map(|t| t.shard.meta()).collect();
    let bad = |field: &str| {
        all_shards_failed(Error::illegal_argument(format!(
            "Failed to parse search_after value for field [{field}]."
        )))
    };
    let mut out = Vec::with_capacity(sort.len());
    for (k, v) in sort.iter().zip(raw) {
        let val = match k {
            SortKey::Score(_) => match v.as_f64() {
                Some(x) => SortVal::Num(f64::from(x as f32)),
                None => return Err(bad("_score")),
            },
            SortKey::Doc(_) | SortKey::ShardDoc(_) => {
                let name = if matches!(k, SortKey::Doc(_)) {
                    "_doc"
                } else {
                    "_shard_doc"
                };
                match (v.as_u64(), v.as_str().and_then(|s| s.parse::<u64>().ok())) {
                    (Some(x), _) | (None, Some(x)) => SortVal::Num(x as f64),
                    _ => return Err(bad(name)),
                }
            }
            SortKey::Field {
                field,
                asc,
                missing_first,
                format,
            } => {
                let fm = metas.iter().find_map(|m| m.mapping.field(field).cloned());
                let placeholder =
                    missing_placeholder(fm.as_ref().map(|f| f.ty), *asc, *missing_first);
                match (fm.as_ref().map(|f| f.ty), v) {
                    (_, Value::Null) => SortVal::Missing,
                    (_, v) if *v == placeholder => SortVal::Missing,
                    (Some(FieldType::Ip), v) => {
                        let text = match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        let a =
                            crate::mapping::ip::parse_or_err(&text).map_err(all_shards_failed)?;
                        SortVal::Str(crate::mapping::ip::to_term(a))
                    }
                    (Some(FieldType::Keyword) | None, Value::String(s)) => SortVal::Str(s.clone()),
                    (Some(FieldType::Keyword), Value::Number(n)) => SortVal::Str(n.to_string()),
                    (Some(FieldType::Keyword), Value::Bool(b)) => SortVal::Str(b.to_string()),
                    // an `unsigned_long` sort value is exact
                    (Some(FieldType::Long), v) if fm.as_ref().is_some_and(|f| f.unsigned) => {
                        let u = crate::mapping::unsigned::parse_value(v).map_err(|_| bad(field))?;
                        SortVal::Long(crate::mapping::unsigned::to_sortable(u))
                    }
                    // a `date_nanos` sort value is its nanoseconds, exactly
                    (Some(FieldType::Date), v) if fm.as_ref().is_some_and(|f| f.nanos) => {
                        let text = match v {
                            Value::String(s) => s.clone(),
                            Value::Number(n) => n.to_string(),
                            _ => return Err(bad(field)),
                        };
                        let exact = text.parse::<i64>().ok().or_else(|| {
                            let mut formats = match format {
                                Some(f) => {
                                    crate::mapping::date::parse_formats(f).unwrap_or_default()
                                }
                                None => Vec::new(),
                            };
                            formats
                                .extend(fm.as_ref().map(|f| f.formats.clone()).unwrap_or_default());
                            crate::mapping::date::parse_nanos_i128(&text, &formats, None)
                                .and_then(|ns| i64::try_from(ns).ok())
                        });
                        SortVal::Long(exact.ok_or_else(|| bad(field))?)
                    }
                    (_, Value::Number(n)) => SortVal::Num(n.as_f64().ok_or_else(|| bad(field))?),
                    (Some(FieldType::Boolean), Value::Bool(b)) => {
                        SortVal::Num(f64::from(u8::from(*b)))
                    }
                    (Some(FieldType::Boolean), Value::String(s)) => match s.as_str() {
                        "true" => SortVal::Num(1.0),
                        "false" => SortVal::Num(0.0),
                        _ => return Err(bad(field)),
                    },
                    (Some(FieldType::Date), Value::String(s)) => {
                        let mut formats = match format {
                            Some(f) => crate::mapping::date::parse_formats(f).unwrap_or_default(),
                            None => Vec::new(),
                        };
                        formats.extend(fm.as_ref().map(|f| f.formats.clone()).unwrap_or_default());
                        match crate::mapping::date::parse_date_str(s, &formats, None) {
                            Some(ms) => SortVal::Num(ms as f64),
                            None => return Err(bad(field)),
                        }
                    }
                    (Some(_), Value::String(s)) => {
                        SortVal::Num(s.parse::<f64>().map_err(|_| bad(field))?)
                    }
                    _ => return Err(bad(field)),
                }
            }
        };
        out.push(val);
    }
    Ok(out)
}

/// `_count`.
pub fn count(shards: &[Arc<Shard>], body: Option<&Value>, params: &SearchParams) -> Result<Value> {
    let targets: Vec<Target> = shards.iter().flat_map(Target::current).collect();
    count_targets(&targets, body, params)
}

/// `_count` over fixed searchers.
pub(crate) fn count_targets(
    targets: &[Target],
    body: Option<&Value>,
    params: &SearchParams,
) -> Result<Value> {
    let req = parse_request(body, params, true)?;
    let out = execute(targets, &req, 0)?;
    let n = targets.len();
    Ok(
        json!({"count": out.total, "_shards": {"total": n, "successful": n, "skipped": 0, "failed": 0}}),
    )
}

fn path_matches(pattern: &str, path: &str) -> bool {
    crate::engine::util::wildcard_match(pattern, path)
        || path.starts_with(&format!("{pattern}."))
        || crate::engine::util::wildcard_match(&format!("{pattern}.*"), path)
}

pub(crate) fn filter_source(src: Value, f: &SourceFilter) -> Value {
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

/// Parses a search body without running it (`_msearch` reads every body before searching).
///
/// # Errors
/// What parsing the body reports.
pub(crate) fn parse_only(body: Option<&Value>, params: &SearchParams) -> Result<()> {
    parse_request(body, params, false).map(|_| ())
}
