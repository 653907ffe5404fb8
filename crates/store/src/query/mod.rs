//! The query DSL: ES JSON → [`Q`] (validated, mapping-independent) → a tantivy query per index.

mod boosting;
pub mod datemath;
mod function_score;
pub mod geo;
pub mod intervals;
pub mod lucene;
pub mod nested;
mod phrase_guard;
pub mod regexp;
mod simple;

use std::ops::Bound;
use std::sync::Arc;

use serde_json::{Map, Value};
use tantivy::query::doc_predicate_query::{DocPredicateQuery, FunctionPredicate};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery,
    ExistsQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, SegmentReader, Term};

use crate::analysis::Analyzer;
use crate::engine::shard::Fields;
use crate::error::{Error, Result};
use crate::mapping::date::{self, DateFormat};
use crate::mapping::{FieldMapping, FieldType, Mapping, ip, round_float, unsigned};

/// `operator` of match queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// any term
    Or,
    /// all terms
    And,
}

/// A `fuzziness`: a fixed edit distance (0–2) or `AUTO:low,high` (0 below `low` characters,
/// 1 up to `high`, 2 from there; `AUTO` is `AUTO:3,6`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fuzziness {
    /// `0`, `1` or `2`
    Fixed(u8),
    /// `AUTO:low,high`
    Auto(usize, usize),
}

impl Fuzziness {
    /// Parses ES's forms (`AUTO`, `AUTO:3,6`, `0`, `1`, `2`, as a number or a string).
    ///
    /// # Errors
    /// Anything else, or a distance above 2.
    pub fn parse(v: &Value) -> Result<Fuzziness> {
        let text = as_str_value(v);
        let t = text.trim();
        if t.eq_ignore_ascii_case("auto") {
            return Ok(Fuzziness::Auto(3, 6));
        }
        if let Some(rest) = t.strip_prefix("AUTO:").or_else(|| t.strip_prefix("auto:")) {
            let bad = || {
                Error::parsing(format!(
                    "failed to find low and high distance values: [{t}]"
                ))
            };
            let (lo, hi) = rest.split_once(',').ok_or_else(bad)?;
            let lo: usize = lo.trim().parse().map_err(|_| bad())?;
            let hi: usize = hi.trim().parse().map_err(|_| bad())?;
            if hi < lo {
                return Err(Error::parsing(format!(
                    "fuzziness wrongly configured [{t}]. Auto fuzziness low ({lo}) should be less than high ({hi})"
                )));
            }
            return Ok(Fuzziness::Auto(lo, hi));
        }
        match t.parse::<f64>() {
            Ok(n) if n >= 0.0 && n.fract() == 0.0 && n <= 2.0 => Ok(Fuzziness::Fixed(n as u8)),
            Ok(n) if n >= 0.0 && n.fract() == 0.0 => Err(Error::illegal_argument(format!(
                "Valid edit distances are [0, 1, 2] but was [{n}]"
            ))),
            _ => Err(Error::parsing(format!("invalid fuzziness [{t}]"))),
        }
    }

    /// The edit distance for a term of `chars` characters.
    pub fn distance(self, chars: usize) -> u8 {
        match self {
            Fuzziness::Fixed(d) => d,
            Fuzziness::Auto(lo, _) if chars < lo => 0,
            Fuzziness::Auto(_, hi) if chars < hi => 1,
            Fuzziness::Auto(..) => 2,
        }
    }
}

/// The fuzzy parameters ES has and the store refuses by name: `prefix_length` above 0 and a
/// `max_expansions` other than 50 (the store expands to every term within the distance).
fn fuzzy_extra(q: &str, k: &str, v: &Value) -> Result<()> {
    let n = v.as_i64().or_else(|| as_str_value(v).parse().ok());
    match (k, n) {
        ("prefix_length" | "fuzzy_prefix_length", Some(0)) => Ok(()),
        ("max_expansions", Some(50)) => Ok(()),
        ("prefix_length" | "fuzzy_prefix_length" | "max_expansions", Some(n)) if n < 0 => Err(
            Error::illegal_argument(format!("[{k}] must be a non-negative integer, got [{n}]")),
        ),
        _ => Err(Error::parsing(format!(
            "[{q}] [{k}] = [{}] is not supported by sluice-store (prefix_length 0 and max_expansions 50 are)",
            as_str_value(v)
        ))),
    }
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Q {
    /// `match_all`
    MatchAll(f32),
    /// `match_none`
    MatchNone,
    /// `match`
    Match {
        field: String,
        query: Value,
        operator: Operator,
        msm: Option<String>,
        /// `fuzziness` (each analysed term matches the terms within that edit distance)
        fuzzy: Option<(Fuzziness, bool)>,
        boost: f32,
    },
    /// `match_phrase`
    MatchPhrase {
        field: String,
        query: String,
        slop: u32,
        boost: f32,
    },
    /// `match_phrase_prefix`
    MatchPhrasePrefix {
        field: String,
        query: String,
        boost: f32,
    },
    /// `match_bool_prefix`: the analysed terms, the last one a prefix
    MatchBoolPrefix {
        field: String,
        query: String,
        operator: Operator,
        msm: Option<String>,
        /// `fuzziness` and `fuzzy_transpositions` of the terms before the last
        fuzzy: Option<(Fuzziness, bool)>,
        boost: f32,
    },
    /// `multi_match`
    MultiMatch {
        fields: Vec<(String, f32)>,
        query: Value,
        kind: String,
        operator: Operator,
        tie_breaker: f32,
        boost: f32,
        /// `minimum_should_match` (the match types)
        msm: Option<String>,
        /// `fuzziness` and `fuzzy_transpositions` (best and most fields)
        fuzzy: Option<(Fuzziness, bool)>,
        /// `slop` (the phrase types)
        slop: u32,
        /// `lenient`: a value a field cannot take skips that field
        lenient: bool,
    },
    /// `fuzzy`: the terms within an edit distance of `value` (not analysed)
    Fuzzy {
        field: String,
        value: String,
        fuzziness: Fuzziness,
        transpositions: bool,
        boost: f32,
    },
    /// `function_score`
    FunctionScore(Box<function_score::Spec>),
    /// `intervals`: rules over term positions in a text field ([`intervals`])
    Intervals {
        field: String,
        rule: intervals::Rule,
        boost: f32,
    },
    /// `boosting`: `positive`'s documents, scores times `negative_boost` where `negative` matches
    Boosting {
        positive: Box<Q>,
        negative: Box<Q>,
        negative_boost: f32,
        boost: f32,
    },
    /// `combined_fields`: the terms searched over text fields as if they were one
    CombinedFields {
        fields: Vec<(String, f32)>,
        query: String,
        operator: Operator,
        msm: Option<String>,
        boost: f32,
    },
    /// `dis_max`: the best clause's score plus `tie_breaker` times the others'
    DisMax {
        queries: Vec<Q>,
        tie_breaker: f32,
        boost: f32,
    },
    /// `term`
    Term {
        field: String,
        value: Value,
        boost: f32,
        case_insensitive: bool,
    },
    /// `terms`
    Terms {
        field: String,
        values: Vec<Value>,
        boost: f32,
    },
    /// `range`
    Range(Box<RangeSpec>),
    /// `exists`
    Exists { field: String },
    /// `prefix`
    Prefix {
        field: String,
        value: String,
        case_insensitive: bool,
        /// as for [`Q::Wildcard`]
        normalize: bool,
        boost: f32,
    },
    /// `wildcard` (`*`, `?`)
    Wildcard {
        field: String,
        value: String,
        case_insensitive: bool,
        /// normalise the pattern with the field's search analyzer, as `query_string` does (the
        /// `prefix` and `wildcard` queries take it as it is)
        normalize: bool,
        boost: f32,
    },
    /// `regexp` (Lucene's syntax, see [`regexp`])
    Regexp {
        field: String,
        value: String,
        flags: regexp::Flags,
        case_insensitive: bool,
        boost: f32,
    },
    /// `ids`
    Ids(Vec<String>),
    /// `bool`
    Bool {
        must: Vec<Q>,
        filter: Vec<Q>,
        should: Vec<Q>,
        must_not: Vec<Q>,
        msm: Option<String>,
        boost: f32,
    },
    /// `constant_score`
    ConstantScore(Box<Q>, f32),
    /// `nested`: root (or enclosing nested) documents with a nested object of `path` matching
    /// `query` ([`nested`])
    Nested {
        path: String,
        query: Box<Q>,
        score_mode: nested::ScoreMode,
        ignore_unmapped: bool,
        boost: f32,
    },
    /// `geo_bounding_box`
    GeoBoundingBox(Box<(geo::GeoTarget, geo::BBox)>),
    /// `geo_distance` (centre, radius in metres)
    GeoDistance(Box<(geo::GeoTarget, crate::mapping::geo::GeoPoint, f64)>),
    /// a clause with a `_name`: it matches as its clause does, and hits it matches list the
    /// name in `matched_queries`
    Named(String, Box<Q>),
    /// a `query_string` field expansion: any of several fields (`*` default field); when
    /// `lenient`, a field the query cannot be built for matches nothing instead of failing
    AnyField {
        fields: Vec<String>,
        inner: Box<Q>,
        lenient: bool,
    },
    /// A clause whose query text is analysed with a built-in analyzer (`analyzer` of the
    /// match family) instead of the field's
    Analyzed { analyzer: String, inner: Box<Q> },
}

/// A `range` query.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSpec {
    /// field
    pub field: String,
    /// `gt`/`gte`
    pub lower: Option<(Value, bool)>,
    /// `lt`/`lte`
    pub upper: Option<(Value, bool)>,
    /// `format`
    pub format: Option<String>,
    /// `time_zone`
    pub time_zone: Option<String>,
    /// `boost`
    pub boost: f32,
}

fn unknown_query(name: &str) -> Error {
    Error::parsing(format!("unknown query [{name}]"))
        .with("line", 1)
        .with("col", 1)
}

fn obj<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| {
        Error::parsing(format!(
            "[{what}] query malformed, no start_object after query name"
        ))
    })
}

fn boost_of(v: &Value, q: &str) -> Result<f32> {
    match v {
        Value::Number(n) => Ok(n.as_f64().unwrap_or(1.0) as f32),
        Value::String(s) => s
            .parse()
            .map_err(|_| Error::parsing(format!("[{q}] failed to parse [boost]"))),
        _ => Err(Error::parsing(format!("[{q}] failed to parse [boost]"))),
    }
}

/// A number parameter of query `q` (a JSON number or its text), ES's parsing error otherwise.
fn float_param(v: &Value, q: &str, key: &str) -> Result<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .ok_or_else(|| Error::parsing(format!("[{q}] {key} must be a number, got [{v}]")))
}

fn as_str_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Splits `{ "<field>": <value or {query:..}> }` (exactly one field).
fn single_field<'a>(v: &'a Value, q: &str) -> Result<(&'a String, &'a Value)> {
    let o = obj(v, q)?;
    let mut it = o
        .iter()
        .filter(|(k, _)| k.as_str() != "boost" && k.as_str() != "_name");
    let Some((k, val)) = it.next() else {
        return Err(Error::parsing(format!("[{q}] query doesn't have a field")));
    };
    if it.next().is_some() {
        return Err(Error::parsing(format!(
            "[{q}] query doesn't support multiple fields, found [{}] and [{}]",
            k,
            o.keys().find(|x| *x != k).map_or("", String::as_str)
        )));
    }
    Ok((k, val))
}

/// A multi-term query's `rewrite`: the store scores `prefix`, `wildcard` and `regexp` as a
/// constant, so only the `constant_score` rewrites are accepted.
fn constant_rewrite(v: &Value, q: &str) -> Result<()> {
    let r = as_str_value(v);
    if r.starts_with("constant_score") {
        return Ok(());
    }
    Err(Error::illegal_argument(format!(
        "[rewrite] [{r}] of the [{q}] query is not supported by sluice-store (its scores are constant)"
    )))
}

fn unsupported_param(q: &str, p: &str) -> Error {
    Error::parsing(format!("[{q}] query does not support [{p}]"))
}

/// The `_name` of a clause body: its own, or (for clauses keyed by one field) the field's.
fn clause_name(body: &Value) -> Option<String> {
    let o = body.as_object()?;
    if let Some(n) = o.get("_name") {
        return Some(n.as_str().map_or_else(|| n.to_string(), str::to_owned));
    }
    let mut fields = o.values().filter_map(Value::as_object);
    let f = fields.next()?;
    if fields.next().is_some() || o.len() != 1 {
        return None;
    }
    f.get("_name")
        .map(|n| n.as_str().map_or_else(|| n.to_string(), str::to_owned))
}

/// The named clauses of `q`, in the order Elasticsearch registers them (a clause's own
/// named clauses before it).
pub fn named(q: &Q) -> Vec<(&str, &Q)> {
    fn walk<'a>(q: &'a Q, out: &mut Vec<(&'a str, &'a Q)>) {
        match q {
            Q::Named(n, inner) => {
                walk(inner, out);
                out.push((n, inner));
            }
            Q::Bool {
                must,
                filter,
                should,
                must_not,
                ..
            } => {
                for c in must.iter().chain(filter).chain(should).chain(must_not) {
                    walk(c, out);
                }
            }
            Q::ConstantScore(inner, _) | Q::Nested { query: inner, .. } => walk(inner, out),
            Q::AnyField { inner, .. } | Q::Analyzed { inner, .. } => walk(inner, out),
            Q::DisMax { queries, .. } => {
                for c in queries {
                    walk(c, out);
                }
            }
            Q::Boosting {
                positive, negative, ..
            } => {
                walk(positive, out);
                walk(negative, out);
            }
            Q::FunctionScore(spec) => {
                walk(&spec.query, out);
                for f in &spec.functions {
                    if let Some(q) = &f.filter {
                        walk(q, out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(q, &mut out);
    out
}

/// Parses an ES query object (`{"match": {...}}`).
pub fn parse(v: &Value) -> Result<Q> {
    let q = parse_clause(v)?;
    let name = v
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(clause_name);
    Ok(match name {
        Some(n) => Q::Named(n, Box::new(q)),
        None => q,
    })
}

fn parse_clause(v: &Value) -> Result<Q> {
    let o = v
        .as_object()
        .ok_or_else(|| Error::parsing("query malformed, must start with start_object"))?;
    if o.len() != 1 {
        if o.is_empty() {
            return Err(Error::parsing("query malformed, empty clause found"));
        }
        let keys: Vec<&String> = o.keys().collect();
        return Err(Error::parsing(format!(
            "[{}] malformed query, expected [END_OBJECT] but found [FIELD_NAME]",
            keys[0]
        )));
    }
    let Some((name, body)) = o.iter().next() else {
        return Err(Error::parsing("query malformed, empty clause found"));
    };
    match name.as_str() {
        "match_all" => {
            let mut boost = 1.0;
            for (k, v) in obj(body, name)? {
                match k.as_str() {
                    "boost" => boost = boost_of(v, name)?,
                    "_name" => {}
                    other => return Err(unsupported_param(name, other)),
                }
            }
            Ok(Q::MatchAll(boost))
        }
        "match_none" => Ok(Q::MatchNone),
        "geo_bounding_box" => Ok(Q::GeoBoundingBox(Box::new(geo::parse_bbox(body)?))),
        "geo_distance" => Ok(Q::GeoDistance(Box::new(geo::parse_distance(body)?))),
        "match" | "match_phrase" | "match_phrase_prefix" | "match_bool_prefix" => {
            parse_match(name, body)
        }
        "fuzzy" => {
            let (field, spec) = single_field(body, name)?;
            let (mut value, mut fuzziness, mut transpositions, mut boost) =
                (None, Fuzziness::Auto(3, 6), true, 1.0);
            match spec {
                Value::Object(m) => {
                    for (k, v) in m {
                        match k.as_str() {
                            "value" => value = Some(as_str_value(v)),
                            "fuzziness" => fuzziness = Fuzziness::parse(v)?,
                            "transpositions" => transpositions = v.as_bool().unwrap_or(true),
                            "boost" => boost = boost_of(v, name)?,
                            "prefix_length" | "max_expansions" => fuzzy_extra(name, k, v)?,
                            "_name" => {}
                            "rewrite" => {
                                return Err(Error::parsing(
                                    "[fuzzy] [rewrite] is not supported by sluice-store",
                                ));
                            }
                            other => {
                                return Err(Error::parsing(format!(
                                    "[fuzzy] query does not support [{other}]"
                                )));
                            }
                        }
                    }
                }
                other => value = Some(as_str_value(other)),
            }
            let value = value.ok_or_else(|| Error::parsing("[fuzzy] query requires a value"))?;
            Ok(Q::Fuzzy {
                field: field.clone(),
                value,
                fuzziness,
                transpositions,
                boost,
            })
        }
        "function_score" => Ok(Q::FunctionScore(Box::new(function_score::parse(body)?))),
        "distance_feature" => Ok(Q::FunctionScore(Box::new(
            function_score::parse_distance_feature(body)?,
        ))),
        "boosting" => {
            let o = obj(body, name)?;
            let (mut positive, mut negative, mut factor, mut boost) = (None, None, None, 1.0);
            for (k, v) in o {
                match k.as_str() {
                    "positive" => positive = Some(parse(v)?),
                    "negative" => negative = Some(parse(v)?),
                    "negative_boost" => factor = Some(float_param(v, name, k)? as f32),
                    "boost" => boost = boost_of(v, name)?,
                    "_name" => {}
                    other => return Err(unsupported_param(name, other)),
                }
            }
            let positive = positive.ok_or_else(|| {
                Error::parsing("[boosting] query requires 'positive' query to be set'")
            })?;
            let negative = negative.ok_or_else(|| {
                Error::parsing("[boosting] query requires 'negative' query to be set'")
            })?;
            let negative_boost = factor.ok_or_else(|| {
                Error::parsing(
                    "[boosting] query requires 'negative_boost' to be set to be a positive value'",
                )
            })?;
            if negative_boost < 0.0 {
                return Err(Error::illegal_argument(
                    "[boosting] negativeBoost must be a non-negative value",
                ));
            }
            Ok(Q::Boosting {
                positive: Box::new(positive),
                negative: Box::new(negative),
                negative_boost,
                boost,
            })
        }
        "intervals" => {
            let (field, rule, boost) = intervals::parse(body)?;
            Ok(Q::Intervals { field, rule, boost })
        }
        "dis_max" => {
            let o = obj(body, name)?;
            let (mut queries, mut tie_breaker, mut boost) = (None, 0.0, 1.0);
            for (k, v) in o {
                match k.as_str() {
                    "queries" => {
                        let list = v
                            .as_array()
                            .ok_or_else(|| Error::parsing("[dis_max] queries must be an array"))?;
                        queries = Some(list.iter().map(parse).collect::<Result<Vec<Q>>>()?);
                    }
                    "tie_breaker" => tie_breaker = float_param(v, name, k)? as f32,
                    "boost" => boost = boost_of(v, name)?,
                    "_name" => {}
                    other => return Err(unsupported_param(name, other)),
                }
            }
            let queries = queries.filter(|q| !q.is_empty()).ok_or_else(|| {
                Error::parsing("[dis_max] requires 'queries' field with at least one clause")
            })?;
            Ok(Q::DisMax {
                queries,
                tie_breaker,
                boost,
            })
        }
        "multi_match" => parse_multi_match(body),
        "combined_fields" => {
            let o = obj(body, name)?;
            let (mut query, mut fields, mut operator, mut msm, mut boost) =
                (None, None, Operator::Or, None, 1.0);
            for (k, v) in o {
                match k.as_str() {
                    "query" => query = Some(as_str_value(v)),
                    "fields" => {
                        let list = v.as_array().ok_or_else(|| {
                            Error::parsing("[combined_fields] fields must be an array")
                        })?;
                        let mut out = Vec::new();
                        for f in list {
                            let (f, w) = field_boost(&as_str_value(f));
                            if w < 1.0 {
                                return Err(Error::illegal_argument(format!(
                                    "[combined_fields] requires field weights to be greater than or equal to 1.0, got [{w}] for field [{f}]"
                                )));
                            }
                            out.push((f, w));
                        }
                        fields = Some(out);
                    }
                    "operator" => operator = parse_operator(v)?,
                    "minimum_should_match" => msm = Some(as_str_value(v)),
                    "boost" => boost = boost_of(v, name)?,
                    // no synonyms; the standard analyzer has no stop words to leave a query empty
                    "_name" | "auto_generate_synonyms_phrase_query" | "zero_terms_query" => {}
                    other => return Err(unsupported_param(name, other)),
                }
            }
            let query =
                query.ok_or_else(|| Error::parsing("[combined_fields] requires 'query' field"))?;
            let fields = fields
                .filter(|f| !f.is_empty())
                .ok_or_else(|| Error::parsing("[combined_fields] requires 'fields' field"))?;
            Ok(Q::CombinedFields {
                fields,
                query,
                operator,
                msm,
                boost,
            })
        }
        "term" => {
            let (field, spec) = single_field(body, name)?;
            let (mut value, mut boost, mut ci) = (None, 1.0, false);
            match spec {
                Value::Object(m) => {
                    for (k, v) in m {
                        match k.as_str() {
                            "value" => value = Some(v.clone()),
                            "boost" => boost = boost_of(v, name)?,
                            "case_insensitive" => ci = v.as_bool().unwrap_or(false),
                            "_name" => {}
                            other => return Err(unsupported_param(name, other)),
                        }
                    }
                }
                Value::Array(_) => {
                    return Err(Error::parsing(
                        "[term] query does not support array of values",
                    ));
                }
                other => value = Some(other.clone()),
            }
            let value = value.ok_or_else(|| Error::parsing("[term] query requires a [value]"))?;
            Ok(Q::Term {
                field: field.clone(),
                value,
                boost,
                case_insensitive: ci,
            })
        }
        "terms" => {
            let o = obj(body, name)?;
            let mut boost = 1.0;
            let mut found = None;
            for (k, v) in o {
                match k.as_str() {
                    "boost" => boost = boost_of(v, name)?,
                    "_name" => {}
                    _ => {
                        if found.is_some() {
                            return Err(Error::parsing(
                                "[terms] query does not support multiple fields",
                            ));
                        }
                        let arr = v.as_array().ok_or_else(|| {
                            Error::parsing("[terms] query does not support terms lookup (expected an array of values)")
                        })?;
                        found = Some((k.clone(), arr.clone()));
                    }
                }
            }
            let (field, values) =
                found.ok_or_else(|| Error::parsing("[terms] query requires a field"))?;
            Ok(Q::Terms {
                field,
                values,
                boost,
            })
        }
        "range" => {
            let (field, spec) = single_field(body, name)?;
            let spec = obj(spec, name)?;
            let mut r = RangeSpec {
                field: field.clone(),
                lower: None,
                upper: None,
                format: None,
                time_zone: None,
                boost: 1.0,
            };
            for (k, v) in spec {
                match k.as_str() {
                    "gt" => r.lower = Some((v.clone(), false)),
                    "gte" | "from" => r.lower = (!v.is_null()).then(|| (v.clone(), true)),
                    "lt" => r.upper = Some((v.clone(), false)),
                    "lte" | "to" => r.upper = (!v.is_null()).then(|| (v.clone(), true)),
                    "format" => r.format = v.as_str().map(str::to_owned),
                    "time_zone" => r.time_zone = v.as_str().map(str::to_owned),
                    "boost" => r.boost = boost_of(v, name)?,
                    "include_lower" | "include_upper" => {
                        let inc = v.as_bool().unwrap_or(true);
                        if k == "include_lower" {
                            if let Some((_, i)) = &mut r.lower {
                                *i = inc;
                            }
                        } else if let Some((_, i)) = &mut r.upper {
                            *i = inc;
                        }
                    }
                    "_name" => {}
                    "relation" if v.as_str() == Some("intersects") => {}
                    other => {
                        return Err(Error::parsing(format!(
                            "[range] query does not support [{other}]"
                        )));
                    }
                }
            }
            Ok(Q::Range(Box::new(r)))
        }
        "exists" => {
            let o = obj(body, name)?;
            let field = o
                .get("field")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::parsing("[exists] must be provided with a [field]"))?;
            for k in o.keys() {
                if !matches!(k.as_str(), "field" | "boost" | "_name") {
                    return Err(unsupported_param(name, k));
                }
            }
            Ok(Q::Exists {
                field: field.to_owned(),
            })
        }
        "prefix" | "wildcard" => {
            let (field, spec) = single_field(body, name)?;
            let (mut ci, mut b) = (false, 1.0);
            let value = multi_term_value(spec, name, |k, v| {
                match k {
                    "case_insensitive" => ci = v.as_bool().unwrap_or(false),
                    "boost" => b = boost_of(v, name)?,
                    "_name" => {}
                    other => return Err(unsupported_param(name, other)),
                }
                Ok(())
            })?;
            Ok(if name == "prefix" {
                Q::Prefix {
                    field: field.clone(),
                    value,
                    case_insensitive: ci,
                    normalize: false,
                    boost: b,
                }
            } else {
                Q::Wildcard {
                    field: field.clone(),
                    value,
                    case_insensitive: ci,
                    normalize: false,
                    boost: b,
                }
            })
        }
        "regexp" => {
            let (field, spec) = single_field(body, name)?;
            let (mut ci, mut flags, mut boost) = (false, regexp::Flags::ALL, 1.0);
            let value = multi_term_value(spec, name, |k, v| {
                match k {
                    "case_insensitive" => ci = v.as_bool().unwrap_or(false),
                    "flags" => flags = regexp::Flags::parse(&as_str_value(v))?,
                    // the store's own bound is the compiled regex's size
                    "max_determinized_states" | "flags_value" | "_name" => {}
                    "boost" => boost = boost_of(v, name)?,
                    other => return Err(unsupported_param(name, other)),
                }
                Ok(())
            })?;
            // refused now (not when compiled per index), naming what is wrong; one longer
            // than the default `index.max_regex_length` is left to the index's limit first
            if value.chars().count() <= MAX_REGEX_LENGTH {
                regexp::compile(&value, flags, ci)?;
            }
            Ok(Q::Regexp {
                field: field.clone(),
                value,
                flags,
                case_insensitive: ci,
                boost,
            })
        }
        "ids" => {
            let o = obj(body, name)?;
            let values = o
                .get("values")
                .and_then(Value::as_array)
                .ok_or_else(|| Error::parsing("[ids] query requires [values]"))?;
            Ok(Q::Ids(values.iter().map(as_str_value).collect()))
        }
        "bool" => parse_bool(body),
        "nested" => {
            let p = nested::parse(body)?;
            Ok(Q::Nested {
                path: p.path,
                query: Box::new(parse(&p.query)?),
                score_mode: p.score_mode,
                ignore_unmapped: p.ignore_unmapped,
                boost: p.boost,
            })
        }
        "constant_score" => {
            let o = obj(body, name)?;
            let filter = o
                .get("filter")
                .ok_or_else(|| Error::parsing("[constant_score] requires a 'filter' element"))?;
            let boost = o
                .get("boost")
                .map(|b| boost_of(b, name))
                .transpose()?
                .unwrap_or(1.0);
            Ok(Q::ConstantScore(Box::new(parse(filter)?), boost))
        }
        "query_string" => lucene::parse_query_string(body),
        "simple_query_string" => simple::parse(body),
        other => Err(unknown_query(other)),
    }
}

fn parse_clauses(v: &Value) -> Result<Vec<Q>> {
    match v {
        Value::Array(a) => a.iter().map(parse).collect(),
        Value::Object(_) => Ok(vec![parse(v)?]),
        _ => Err(Error::parsing(
            "[bool] clause must be an object or an array",
        )),
    }
}

fn parse_bool(body: &Value) -> Result<Q> {
    let o = obj(body, "bool")?;
    let (mut must, mut filter, mut should, mut must_not) = (vec![], vec![], vec![], vec![]);
    let (mut msm, mut boost) = (None, 1.0);
    for (k, v) in o {
        match k.as_str() {
            "must" => must = parse_clauses(v)?,
            "filter" => filter = parse_clauses(v)?,
            "should" => should = parse_clauses(v)?,
            "must_not" => must_not = parse_clauses(v)?,
            "minimum_should_match" => msm = Some(as_str_value(v)),
            "boost" => boost = boost_of(v, "bool")?,
            "_name" | "adjust_pure_negative" => {}
            other => {
                return Err(Error::parsing(format!(
                    "[bool] query does not support [{other}]"
                )));
            }
        }
    }
    Ok(Q::Bool {
        must,
        filter,
        should,
        must_not,
        msm,
        boost,
    })
}

fn parse_operator(v: &Value) -> Result<Operator> {
    match v.as_str().map(str::to_ascii_lowercase).as_deref() {
        Some("and") => Ok(Operator::And),
        Some("or") => Ok(Operator::Or),
        _ => Err(Error::illegal_argument(format!(
            "No enum constant for operator [{v}]"
        ))),
    }
}

fn parse_match(name: &str, body: &Value) -> Result<Q> {
    let (field, spec) = single_field(body, name)?;
    let (mut query, mut operator, mut msm, mut slop, mut boost) =
        (None, Operator::Or, None, 0u32, 1.0);
    let (mut fuzziness, mut transpositions) = (None, true);
    let (mut analyzer, mut lenient) = (None, false);
    match spec {
        Value::Object(m) => {
            for (k, v) in m {
                match k.as_str() {
                    "query" => query = Some(v.clone()),
                    "operator" if name == "match" || name == "match_bool_prefix" => {
                        operator = parse_operator(v)?;
                    }
                    "minimum_should_match" if name == "match" || name == "match_bool_prefix" => {
                        msm = Some(as_str_value(v));
                    }
                    "slop" if name == "match_phrase" || name == "match_phrase_prefix" => {
                        slop = v.as_u64().unwrap_or(0) as u32;
                    }
                    "boost" => boost = boost_of(v, name)?,
                    "fuzziness" if name == "match" || name == "match_bool_prefix" => {
                        fuzziness = Some(Fuzziness::parse(v)?);
                    }
                    "fuzzy_transpositions" if name == "match" || name == "match_bool_prefix" => {
                        transpositions = v.as_bool().unwrap_or(true);
                    }
                    "prefix_length" | "max_expansions"
                        if name == "match" || name == "match_bool_prefix" =>
                    {
                        fuzzy_extra(name, k, v)?;
                    }
                    // every expanded term scores a constant here, as this rewrite does
                    "fuzzy_rewrite" if name == "match_bool_prefix" => {
                        if !matches!(
                            v.as_str(),
                            Some("constant_score" | "constant_score_boolean")
                        ) {
                            return Err(Error::parsing(format!(
                                "[{name}] [fuzzy_rewrite] = [{}] is not supported by sluice-store (constant_score is)",
                                as_str_value(v)
                            )));
                        }
                    }
                    "analyzer" => analyzer = Some(analyzer_param(name, v)?),
                    "lenient" => lenient = bool_flag(name, k, v)?,
                    "zero_terms_query" => zero_terms(v)?,
                    // ES's synonym graphs: the store's analyzers make no synonyms
                    "_name" | "auto_generate_synonyms_phrase_query" => {}
                    other => {
                        return Err(Error::parsing(format!(
                            "[{name}] query does not support [{other}]"
                        )));
                    }
                }
            }
        }
        other => query = Some(other.clone()),
    }
    let query = query.ok_or_else(|| Error::parsing("No text specified for text query"))?;
    let q = match name {
        "match" => Q::Match {
            field: field.clone(),
            query,
            operator,
            msm,
            fuzzy: fuzziness.map(|f| (f, transpositions)),
            boost,
        },
        "match_bool_prefix" => Q::MatchBoolPrefix {
            field: field.clone(),
            query: as_str_value(&query),
            operator,
            msm,
            fuzzy: fuzziness.map(|f| (f, transpositions)),
            boost,
        },
        "match_phrase" => Q::MatchPhrase {
            field: field.clone(),
            query: as_str_value(&query),
            slop,
            boost,
        },
        _ => Q::MatchPhrasePrefix {
            field: field.clone(),
            query: as_str_value(&query),
            boost,
        },
    };
    // `lenient`: a value the field cannot take matches nothing instead of failing
    let q = if lenient {
        Q::AnyField {
            fields: vec![field.clone()],
            inner: Box::new(q),
            lenient: true,
        }
    } else {
        q
    };
    Ok(analyzed(q, analyzer))
}

/// `q` with its query text analysed by `analyzer` when one is given.
fn analyzed(q: Q, analyzer: Option<String>) -> Q {
    match analyzer {
        Some(a) => Q::Analyzed {
            analyzer: a,
            inner: Box::new(q),
        },
        None => q,
    }
}

/// `analyzer` of a match-family query: a built-in analyzer's name (the store keeps no custom
/// analyzers; an unknown name fails the search when the query is built, as in ES).
fn analyzer_param(q: &str, v: &Value) -> Result<String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| Error::parsing(format!("[{q}] analyzer must be a string")))
}

/// `zero_terms_query`: `none` (ES's default) is what the store does; `all` is refused by name.
fn zero_terms(v: &Value) -> Result<()> {
    match v.as_str().map(str::to_ascii_lowercase).as_deref() {
        Some("none") => Ok(()),
        Some("all") => Err(Error::illegal_argument(
            "[zero_terms_query] [all] is not supported by sluice-store",
        )),
        _ => Err(Error::illegal_argument(format!(
            "Unsupported zero_terms_query value [{}]",
            as_str_value(v)
        ))),
    }
}

fn bool_flag(q: &str, k: &str, v: &Value) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
        _ => Err(Error::parsing(format!(
            "[{q}] failed to parse field [{k}]: expected a boolean"
        ))),
    }
}

/// Parses `field^2` into (field, boost).
pub fn field_boost(s: &str) -> (String, f32) {
    match s.split_once('^') {
        Some((f, b)) => (f.to_owned(), b.parse().unwrap_or(1.0)),
        None => (s.to_owned(), 1.0),
    }
}

fn parse_multi_match(body: &Value) -> Result<Q> {
    let o = obj(body, "multi_match")?;
    let (mut query, mut fields, mut kind, mut operator, mut boost) = (
        None,
        vec![("*".to_owned(), 1.0)],
        "best_fields".to_owned(),
        Operator::Or,
        1.0,
    );
    let mut tie_breaker = 0.0;
    let (mut msm, mut fuzziness, mut transpositions, mut slop) = (None, None, true, None);
    let (mut lenient, mut analyzer) = (false, None);
    for (k, v) in o {
        match k.as_str() {
            "query" => query = Some(v.clone()),
            "minimum_should_match" => msm = Some(as_str_value(v)),
            "fuzziness" => fuzziness = Some(Fuzziness::parse(v)?),
            "fuzzy_transpositions" => transpositions = bool_flag("multi_match", k, v)?,
            "prefix_length" | "max_expansions" => fuzzy_extra("multi_match", k, v)?,
            "slop" => {
                slop = Some(u32::try_from(v.as_u64().unwrap_or(0)).unwrap_or(u32::MAX));
            }
            "lenient" => lenient = bool_flag("multi_match", k, v)?,
            "analyzer" => analyzer = Some(analyzer_param("multi_match", v)?),
            "zero_terms_query" => zero_terms(v)?,
            "auto_generate_synonyms_phrase_query" => {}
            "fields" => {
                fields = match v {
                    Value::Array(a) => a.iter().map(|f| field_boost(&as_str_value(f))).collect(),
                    Value::String(s) => vec![field_boost(s)],
                    _ => return Err(Error::parsing("[multi_match] [fields] must be an array")),
                }
            }
            "type" => {
                let t = as_str_value(v);
                if !matches!(
                    t.as_str(),
                    "best_fields" | "most_fields" | "phrase" | "phrase_prefix" | "bool_prefix"
                ) {
                    return Err(Error::parsing(format!(
                        "[multi_match] query does not support type [{t}] in sluice-store"
                    )));
                }
                kind = t;
            }
            "operator" => operator = parse_operator(v)?,
            "boost" => boost = boost_of(v, "multi_match")?,
            "tie_breaker" => tie_breaker = float_param(v, "multi_match", k)? as f32,
            "_name" => {}
            other => {
                return Err(Error::parsing(format!(
                    "[multi_match] query does not support [{other}]"
                )));
            }
        }
    }
    let query = query.ok_or_else(|| Error::parsing("No text specified for multi_match query"))?;
    if slop.is_some() && kind == "bool_prefix" {
        return Err(Error::parsing("[slop] not allowed for type [bool_prefix]"));
    }
    if fuzziness.is_some()
        && !matches!(kind.as_str(), "best_fields" | "most_fields" | "bool_prefix")
    {
        return Err(Error::parsing(format!(
            "Fuzziness not allowed for type [{kind}]"
        )));
    }
    let q = Q::MultiMatch {
        fields,
        query,
        kind,
        operator,
        tie_breaker,
        boost,
        msm,
        fuzzy: fuzziness.map(|f| (f, transpositions)),
        slop: slop.unwrap_or(0),
        lenient,
    };
    Ok(analyzed(q, analyzer))
}

// ---------------------------------------------------------------------------------------------
// compile

/// Compilation context for one index.
pub struct Ctx<'a> {
    /// The index mapping.
    pub mapping: &'a Mapping,
    /// Schema fields.
    pub fields: Fields,
    /// `now` for date math (epoch millis).
    pub now_ms: i64,
    /// The analyzer of the index's `text` fields (for query text).
    pub analyzer: &'a Analyzer,
    /// `index.max_regex_length`: the longest `regexp` the index takes
    pub max_regex_length: usize,
    /// `index.max_terms_count`: the most values a `terms` query may give
    pub max_terms_count: usize,
    /// The `nested` object a query is compiled inside (`None`: the root documents).
    pub nested_scope: Option<&'a str>,
    /// `search.allow_expensive_queries`: `false` refuses the queries ES calls expensive
    pub allow_expensive: bool,
    /// `search.max_buckets`: the most buckets of a response (and of a `composite` page)
    pub max_buckets: usize,
}

/// With `search.allow_expensive_queries: false`, the queries ES refuses: `prefix` (unless
/// the field indexes prefixes), `wildcard`, `regexp`, `fuzzy`, `range` on `text` or
/// `keyword` fields, and joining (`nested`) queries.
fn refuse_expensive(q: &Q, ctx: &Ctx<'_>) -> Result<()> {
    match q {
        Q::Prefix { field, .. }
            if !ctx
                .mapping
                .field(field)
                .is_some_and(|f| f.shown.contains_key("index_prefixes")) =>
        {
            let reason = "[prefix] queries cannot be executed when 'search.allow_expensive_queries' is set to false. For optimised prefix queries on text fields please enable [index_prefixes].";
            Err(Error::es(
                400,
                "query_shard_exception",
                format!("failed to create query: {reason}"),
            )
            .caused_by(Error::es(400, "exception", reason)))
        }
        Q::Wildcard { .. } => Err(expensive("[wildcard] queries")),
        Q::Regexp { .. } => Err(expensive("[regexp] queries")),
        Q::Fuzzy { .. } => Err(expensive("[fuzzy] queries")),
        Q::Nested { .. } => Err(expensive("[joining] queries")),
        Q::Range(r)
            if ctx
                .mapping
                .field(&r.field)
                .is_some_and(|f| matches!(f.ty, FieldType::Text | FieldType::Keyword)) =>
        {
            Err(expensive("[range] queries on [text] or [keyword] fields"))
        }
        _ => Ok(()),
    }
}

/// ES's refusal of an expensive query while `search.allow_expensive_queries` is false.
fn expensive(what: &str) -> Error {
    let reason =
        format!("{what} cannot be executed when 'search.allow_expensive_queries' is set to false.");
    Error::es(
        400,
        "query_shard_exception",
        format!("failed to create query: {reason}"),
    )
    .caused_by(Error::es(400, "exception", reason))
}

/// `index.max_regex_length`'s default.
pub const MAX_REGEX_LENGTH: usize = 1000;
/// `index.max_terms_count`'s default.
pub const MAX_TERMS_COUNT: usize = 65_536;

fn boxed(q: impl Query) -> Box<dyn Query> {
    Box::new(q)
}

fn boost(q: Box<dyn Query>, b: f32) -> Box<dyn Query> {
    if (b - 1.0).abs() < f32::EPSILON {
        q
    } else {
        boxed(BoostQuery::new(q, b))
    }
}

fn none() -> Box<dyn Query> {
    boxed(EmptyQuery)
}

/// ES's answer to a query a shard cannot build: `failed to create query: ...` caused by the
/// reason, failing the search on every shard.
fn not_built(reason: String) -> Error {
    crate::search::all_shards_failed(
        query_shard_error(format!("failed to create query: {reason}"), "")
            .caused_by(Error::illegal_argument(reason)),
    )
}

fn query_shard_error(reason: impl Into<String>, index: &str) -> Error {
    Error::es(400, "query_shard_exception", reason).with("index", index)
}

/// The query matching `v` exactly on a mapped field (`term`, `terms`, `match` on non-text):
/// keyword and text terms are looked up in the inverted index; numbers and dates have only a
/// fast column, read as the range `[v, v]`, and booleans a column read by a predicate (constant
/// score 1, as ES scores these). An `ip` value is an address (a term, constant score 1 as ES's
/// point query) or a CIDR block (the range of terms it covers). `None` when the value cannot
/// match.
fn value_query(
    ctx: &Ctx<'_>,
    path: &str,
    fm: &FieldMapping,
    v: &Value,
    opt: IndexRecordOption,
) -> Result<Option<Box<dyn Query>>> {
    if fm.constant {
        let needle = as_str_value(v);
        return Ok(Some(constant_query(fm, |c| c == needle)));
    }
    if fm.ty == FieldType::Boolean {
        return Ok(Some(bool_predicate(path, bool_value(v)?)));
    }
    if fm.ty == FieldType::Ip {
        let text = as_str_value(v);
        if text.contains('/') {
            let (lo, hi) = ip::parse_cidr(&text).map_err(create_query_error)?;
            return Ok(Some(ip_range_query(ctx, path, lo, hi)));
        }
        let Some(t) = term_for(ctx, path, fm, v)? else {
            return Ok(None);
        };
        return Ok(Some(boxed(ConstScoreQuery::new(
            boxed(TermQuery::new(t, IndexRecordOption::Basic)),
            1.0,
        ))));
    }
    let Some(t) = term_for(ctx, path, fm, v)? else {
        return Ok(None);
    };
    if t.field() == ctx.fields.num {
        return Ok(Some(boxed(RangeQuery::new(
            Bound::Included(t.clone()),
            Bound::Included(t),
        ))));
    }
    Ok(Some(boxed(TermQuery::new(t, opt))))
}

/// ES's `query_shard_exception` for a value a query cannot be built from: `failed to create
/// query: <cause>`, caused by `cause`.
pub(super) fn create_query_error(cause: Error) -> Error {
    Error::es(
        400,
        "query_shard_exception",
        format!("failed to create query: {}", cause.reason()),
    )
    .caused_by(cause)
}

/// Documents with an `ip` value at `path` in `lo..=hi` (the terms of the keyword column, which
/// sort as the addresses do).
fn ip_range_query(ctx: &Ctx<'_>, path: &str, lo: u128, hi: u128) -> Box<dyn Query> {
    let (lo, hi) = (ip::to_term(lo), ip::to_term(hi));
    keyword_predicate(ctx, path, move |s| {
        s.len() == lo.len() && lo.as_str() <= s && s <= hi.as_str()
    })
}

/// A boolean query value: `true`, `false`, or their strings (`""` is false).
fn bool_value(v: &Value) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" || s.is_empty() => Ok(false),
        other => Err(Error::es(
            400,
            "query_shard_exception",
            format!(
                "failed to create query: Can't parse boolean value [{}], expected [true] or [false]",
                as_str_value(other)
            ),
        )),
    }
}

/// Documents whose boolean column at `path` holds `want`.
fn bool_predicate(path: &str, want: bool) -> Box<dyn Query> {
    let column = format!("n.{path}");
    let factory =
        move |seg: &SegmentReader| -> tantivy::Result<Box<dyn Fn(DocId) -> bool + Send + Sync>> {
            let Some(col) = seg.fast_fields().column_opt::<bool>(&column)? else {
                return Ok(Box::new(|_| false));
            };
            Ok(Box::new(move |doc: DocId| {
                col.values_for_doc(doc).any(|b| b == want)
            }))
        };
    boxed(ConstScoreQuery::new(
        boxed(DocPredicateQuery::from(FunctionPredicate::from(factory))),
        1.0,
    ))
}

/// Typed term for a value on a mapped field; `None` when the value cannot match (e.g. keyword
/// longer than ignore_above). Errors for values that do not parse as the field's type.
fn term_for(ctx: &Ctx<'_>, path: &str, fm: &FieldMapping, v: &Value) -> Result<Option<Term>> {
    let f = &ctx.fields;
    let bad = |what: &str| {
        Error::es(
            400,
            "query_shard_exception",
            format!("failed to create query: {what}"),
        )
    };
    Ok(Some(match fm.ty {
        FieldType::GeoPoint => {
            return Err(create_query_error(Error::illegal_argument(format!(
                "Geometry fields do not support exact searching, use dedicated geometry \
                 queries instead: [{path}]"
            ))));
        }
        FieldType::Keyword => {
            let mut t = Term::from_field_json_path(f.kw, path, true);
            t.append_type_and_str(&as_str_value(v));
            t
        }
        FieldType::Text => {
            let mut t = Term::from_field_json_path(f.text, path, true);
            t.append_type_and_str(&as_str_value(v));
            t
        }
        FieldType::Ip => {
            let a = ip::parse_or_err(&as_str_value(v)).map_err(create_query_error)?;
            let mut t = Term::from_field_json_path(f.kw, path, true);
            t.append_type_and_str(&ip::to_term(a));
            t
        }
        FieldType::Boolean => {
            let b = bool_value(v)?;
            let mut t = Term::from_field_json_path(f.num, path, true);
            t.append_type_and_fast_value(b);
            t
        }
        FieldType::Date => {
            let ms = date_value(ctx, fm, v, None, None, false)?;
            let mut t = Term::from_field_json_path(f.num, path, true);
            t.append_type_and_fast_value(ms);
            t
        }
        FieldType::Long if fm.unsigned => match unsigned::parse_term(v).map_err(|e| bad(&e))? {
            Some(u) => {
                let mut t = Term::from_field_json_path(f.num, path, true);
                t.append_type_and_fast_value(unsigned::to_sortable(u));
                t
            }
            // a negative number, a fraction: no value equals it
            None => return Ok(None),
        },
        FieldType::Long | FieldType::Integer | FieldType::Short | FieldType::Byte => {
            let s = as_str_value(v);
            let n = if let Ok(i) = s.parse::<i64>() {
                i
            } else if let Ok(x) = s.parse::<f64>() {
                if x.fract() != 0.0 {
                    return Ok(None);
                }
                x as i64
            } else {
                return Err(bad(&format!("For input string: \"{s}\"")));
            };
            let mut t = Term::from_field_json_path(f.num, path, true);
            t.append_type_and_fast_value(n);
            t
        }
        ty @ (FieldType::Double | FieldType::Float | FieldType::HalfFloat) => {
            let s = as_str_value(v);
            let x: f64 = s
                .parse()
                .map_err(|_| bad(&format!("For input string: \"{s}\"")))?;
            // a `scaled_float` matches the value the query's rounds to, as Elasticsearch
            let x = fm.scale(round_float(ty, x));
            let mut t = Term::from_field_json_path(f.num, path, true);
            if x.fract() == 0.0 && x.abs() < 9.0e15 {
                // integral floats may have been stored in an i64 column; match both encodings
                t.append_type_and_fast_value(x);
            } else {
                t.append_type_and_fast_value(x);
            }
            t
        }
    }))
}

fn date_value(
    ctx: &Ctx<'_>,
    fm: &FieldMapping,
    v: &Value,
    format: Option<&str>,
    tz: Option<&str>,
    round_up: bool,
) -> Result<i64> {
    let formats: Vec<DateFormat> = match format {
        Some(f) => date::parse_formats(f).map_err(Error::illegal_argument)?,
        None => fm.formats.clone(),
    };
    let tz = tz.map(datemath::parse_time_zone).transpose()?;
    match v {
        // a number is epoch milliseconds, on `date_nanos` fields too
        Value::Number(n) if fm.nanos => Ok(n.as_i64().map_or_else(
            || (n.as_f64().unwrap_or(0.0) * date::NANOS_PER_MILLI as f64) as i64,
            |ms| ms.saturating_mul(date::NANOS_PER_MILLI),
        )),
        Value::Number(n) => Ok(n
            .as_i64()
            .unwrap_or_else(|| n.as_f64().unwrap_or(0.0) as i64)),
        Value::String(s) if fm.nanos => {
            datemath::resolve_nanos(s, &formats, tz, ctx.now_ms, round_up)
        }
        Value::String(s) => datemath::resolve(s, &formats, tz, ctx.now_ms, round_up),
        other => Err(Error::es(
            400,
            "parse_exception",
            format!("failed to parse date field [{other}]"),
        )),
    }
}

fn resolve_fields(ctx: &Ctx<'_>, pattern: &str) -> Vec<String> {
    if pattern.contains('*') {
        ctx.mapping.matching_paths(pattern)
    } else {
        vec![pattern.to_owned()]
    }
}

/// Compiles `q` for one index.
pub fn compile(q: &Q, ctx: &Ctx<'_>) -> Result<Box<dyn Query>> {
    if !ctx.allow_expensive {
        refuse_expensive(q, ctx)?;
    }
    // `prefix` and `wildcard` score a constant: their boost scales the unboosted query
    if let Q::Prefix { boost: b, .. } | Q::Wildcard { boost: b, .. } = q
        && *b != 1.0
    {
        let mut plain = q.clone();
        if let Q::Prefix { boost, .. } | Q::Wildcard { boost, .. } = &mut plain {
            *boost = 1.0;
        }
        return Ok(boost(compile(&plain, ctx)?, *b));
    }
    match q {
        Q::MatchAll(b) => Ok(boost(boxed(AllQuery), *b)),
        Q::MatchNone => Ok(none()),
        Q::Term {
            field,
            value,
            boost: b,
            case_insensitive,
        } => {
            // `_id` is a keyword of every document (a number is its text, as ES reads it)
            if field == "_id" && !*case_insensitive {
                let ids = Q::Ids(vec![as_str_value(value)]);
                return Ok(boost(compile(&ids, ctx)?, *b));
            }
            let Some(fm) = ctx.mapping.field(field) else {
                return Ok(none());
            };
            if fm.constant {
                let (needle, ci) = (as_str_value(value), *case_insensitive);
                return Ok(boost(
                    constant_query(fm, |c| {
                        if ci {
                            c.to_lowercase() == needle.to_lowercase()
                        } else {
                            c == needle
                        }
                    }),
                    *b,
                ));
            }
            if *case_insensitive && fm.ty == FieldType::Ip {
                return Err(query_shard_error(
                    format!(
                        "[{field}] field which is of type [ip], does not support case insensitive term queries"
                    ),
                    "",
                ));
            }
            if *case_insensitive && fm.ty == FieldType::Keyword {
                let needle = as_str_value(value).to_lowercase();
                return Ok(boost(
                    keyword_predicate(ctx, field, move |s| s.to_lowercase() == needle),
                    *b,
                ));
            }
            Ok(
                match value_query(ctx, field, fm, value, IndexRecordOption::WithFreqs)? {
                    // a `wildcard` field's term query scores a constant, as in ES
                    Some(q) => boost(match_only_score(fm, q), *b),
                    None => none(),
                },
            )
        }
        Q::Terms {
            field,
            values,
            boost: b,
        } => {
            if values.len() > ctx.max_terms_count {
                return Err(not_built(format!(
                    "The number of terms [{}] used in the Terms Query request has exceeded the allowed maximum of [{}]. This maximum can be set by changing the [index.max_terms_count] index level setting.",
                    values.len(),
                    ctx.max_terms_count
                )));
            }
            if field == "_id" {
                let ids = Q::Ids(values.iter().map(as_str_value).collect());
                return Ok(boost(compile(&ids, ctx)?, *b));
            }
            let Some(fm) = ctx.mapping.field(field) else {
                return Ok(none());
            };
            if fm.constant {
                let wanted: Vec<String> = values.iter().map(as_str_value).collect();
                return Ok(boost(
                    constant_query(fm, |c| wanted.iter().any(|w| w == c)),
                    *b,
                ));
            }
            let mut subs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for v in values {
                if let Some(q) = value_query(ctx, field, fm, v, IndexRecordOption::Basic)? {
                    subs.push((Occur::Should, q));
                }
            }
            Ok(boost(
                boxed(ConstScoreQuery::new(boxed(BooleanQuery::new(subs)), 1.0)),
                *b,
            ))
        }
        Q::Match {
            field,
            query,
            operator,
            msm,
            fuzzy,
            boost: b,
        } => {
            let mut out = Vec::new();
            for f in resolve_fields(ctx, field) {
                out.push(match fuzzy {
                    Some((fz, tr)) => {
                        compile_fuzzy_match(ctx, &f, query, *operator, msm.as_deref(), *fz, *tr)?
                    }
                    None => compile_match(ctx, &f, query, *operator, msm.as_deref(), false)?,
                });
            }
            Ok(boost(union(out), *b))
        }
        Q::Fuzzy {
            field,
            value,
            fuzziness,
            transpositions,
            boost: b,
        } => {
            let mut out = Vec::new();
            for f in resolve_fields(ctx, field) {
                let Some(fm) = ctx.mapping.field(&f) else {
                    continue;
                };
                out.push(fuzzy_term(ctx, &f, fm, value, *fuzziness, *transpositions)?);
            }
            Ok(boost(union(out), *b))
        }
        Q::MatchPhrase {
            field,
            query,
            slop,
            boost: b,
        } => {
            let mut out = Vec::new();
            for f in resolve_fields(ctx, field) {
                out.push(compile_phrase(ctx, &f, query, *slop, false)?);
            }
            Ok(boost(union(out), *b))
        }
        Q::MatchPhrasePrefix {
            field,
            query,
            boost: b,
        } => {
            let mut out = Vec::new();
            for f in resolve_fields(ctx, field) {
                out.push(compile_phrase(ctx, &f, query, 0, true)?);
            }
            Ok(boost(union(out), *b))
        }
        Q::MultiMatch {
            fields,
            query,
            kind,
            operator,
            tie_breaker,
            boost: b,
            msm,
            fuzzy,
            slop,
            lenient: asked_lenient,
        } => {
            let mut per_field: Vec<Box<dyn Query>> = Vec::new();
            for (pattern, fb) in fields {
                for f in resolve_fields(ctx, pattern) {
                    let Some(fm) = ctx.mapping.field(&f) else {
                        continue;
                    };
                    // multi_match over `*` skips fields the text cannot be parsed for (lenient)
                    let lenient = *asked_lenient || pattern.contains('*');
                    let text = as_str_value(query);
                    let q = match kind.as_str() {
                        "phrase" => compile_phrase(ctx, &f, &text, *slop, false),
                        "phrase_prefix" => compile_phrase(ctx, &f, &text, *slop, true),
                        "bool_prefix" => {
                            compile_bool_prefix(ctx, &f, &text, *operator, msm.as_deref(), *fuzzy)
                        }
                        _ if fuzzy.is_some() => compile(
                            &Q::Match {
                                field: f.clone(),
                                query: query.clone(),
                                operator: *operator,
                                msm: msm.clone(),
                                fuzzy: *fuzzy,
                                boost: 1.0,
                            },
                            ctx,
                        ),
                        _ => compile_match(ctx, &f, query, *operator, msm.as_deref(), lenient),
                    };
                    match q {
                        Ok(q) => per_field.push(boost(q, *fb)),
                        Err(e) if lenient || fm.ty != FieldType::Text => {
                            if !lenient {
                                return Err(e);
                            }
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            // `bool_prefix` scores as `most_fields` does (ES's documentation)
            let q: Box<dyn Query> = if kind == "most_fields" || kind == "bool_prefix" {
                union(per_field)
            } else {
                boxed(DisjunctionMaxQuery::with_tie_breaker(
                    per_field,
                    *tie_breaker,
                ))
            };
            Ok(boost(q, *b))
        }
        Q::MatchBoolPrefix {
            field,
            query,
            operator,
            msm,
            fuzzy,
            boost: b,
        } => {
            let mut out = Vec::new();
            for f in resolve_fields(ctx, field) {
                out.push(compile_bool_prefix(
                    ctx,
                    &f,
                    query,
                    *operator,
                    msm.as_deref(),
                    *fuzzy,
                )?);
            }
            Ok(boost(union(out), *b))
        }
        Q::FunctionScore(spec) => {
            let functions = spec
                .functions
                .iter()
                .map(|f| function_score::compile(f, ctx))
                .collect::<Result<Vec<_>>>()?;
            Ok(boost(
                boxed(function_score::FunctionScore {
                    query: compile(&spec.query, ctx)?,
                    functions,
                    score_mode: spec.score_mode,
                    boost_mode: spec.boost_mode,
                    max_boost: spec.max_boost,
                    min_score: spec.min_score,
                }),
                spec.boost,
            ))
        }
        Q::Intervals {
            field,
            rule,
            boost: b,
        } => Ok(match intervals::compile(ctx, field, rule)? {
            Some(q) => boost(boxed(q), *b),
            None => none(),
        }),
        Q::Boosting {
            positive,
            negative,
            negative_boost,
            boost: b,
        } => Ok(boost(
            boxed(boosting::Boosting {
                positive: compile(positive, ctx)?,
                negative: compile(negative, ctx)?,
                factor: *negative_boost,
            }),
            *b,
        )),
        Q::CombinedFields {
            fields,
            query,
            operator,
            msm,
            boost: b,
        } => {
            let mut resolved = Vec::new();
            for (pattern, w) in fields {
                for f in resolve_fields(ctx, pattern) {
                    let Some(fm) = ctx.mapping.field(&f) else {
                        continue;
                    };
                    if fm.ty != FieldType::Text {
                        let why = format!(
                            "Field [{f}] of type [{}] does not support [combined_fields] queries",
                            fm.type_name()
                        );
                        return Err(crate::search::all_shards_failed(
                            query_shard_error(format!("failed to create query: {why}"), "")
                                .caused_by(Error::illegal_argument(why)),
                        ));
                    }
                    resolved.push((f, fm, *w));
                }
            }
            let tokens = ctx.analyzer.terms(query);
            if tokens.is_empty() || resolved.is_empty() {
                return Ok(none());
            }
            let occur = occur_of(*operator);
            let subs: Vec<(Occur, Box<dyn Query>)> = tokens
                .iter()
                .map(|tok| {
                    let per_field: Vec<(Occur, Box<dyn Query>)> = resolved
                        .iter()
                        .map(|(f, fm, w)| {
                            let mut t = Term::from_field_json_path(ctx.fields.text, f, true);
                            t.append_type_and_str(tok);
                            (Occur::Should, boost(text_term_query(fm, t), *w))
                        })
                        .collect();
                    (occur, boxed(BooleanQuery::new(per_field)) as Box<dyn Query>)
                })
                .collect();
            Ok(boost(terms_bool(subs, *operator, msm.as_deref())?, *b))
        }
        Q::DisMax {
            queries,
            tie_breaker,
            boost: b,
        } => {
            let subs = queries
                .iter()
                .map(|q| compile(q, ctx))
                .collect::<Result<Vec<_>>>()?;
            Ok(boost(
                boxed(DisjunctionMaxQuery::with_tie_breaker(subs, *tie_breaker)),
                *b,
            ))
        }
        Q::Range(r) => compile_range(ctx, r),
        Q::GeoBoundingBox(g) => geo::compile_bbox(ctx, &g.0, &g.1),
        Q::GeoDistance(g) => geo::compile_distance(ctx, &g.0, g.1, g.2),
        Q::Exists { field } => {
            // metadata fields every document has; `_source` is not searchable (ES's words)
            match field.as_str() {
                "_id" | "_index" | "_seq_no" | "_version" | "_primary_term" => {
                    return Ok(boxed(ConstScoreQuery::new(boxed(AllQuery), 1.0)));
                }
                "_source" => {
                    return Err(query_shard_error("The _source field is not searchable", ""));
                }
                // the documents written with a custom routing
                crate::engine::shard::ROUTING_PATH => {
                    return Ok(boxed(ConstScoreQuery::new(
                        boxed(ExistsQuery::new(format!("k.{field}"), false)),
                        1.0,
                    )));
                }
                _ => {}
            }
            let mut paths: Vec<String> = Vec::new();
            if ctx.mapping.field(field).is_some() {
                paths.push(field.clone());
            }
            if ctx.mapping.is_object(field) {
                paths.extend(ctx.mapping.matching_paths(&format!("{field}.*")));
            }
            if field.contains('*') {
                paths.extend(ctx.mapping.matching_paths(field));
            }
            // a `constant_keyword` with a value: every document has it, as in Elasticsearch
            if paths.iter().any(|p| {
                ctx.mapping
                    .field(p)
                    .is_some_and(|fm| fm.constant && fm.value.is_some())
            }) {
                return Ok(boxed(ConstScoreQuery::new(boxed(AllQuery), 1.0)));
            }
            let mut subs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for p in &paths {
                // values without a fast column (text, neither index nor doc_values) have a
                // `_fields` term; every other value is found by its column (indices written
                // before the columns were used have terms for every path: both are asked)
                let t = Term::from_field_text(ctx.fields.present, p);
                subs.push((
                    Occur::Should,
                    boxed(TermQuery::new(t, IndexRecordOption::Basic)),
                ));
                let column = match ctx.mapping.field(p).map(|fm| fm.ty) {
                    Some(FieldType::Keyword | FieldType::Ip) => "k",
                    Some(FieldType::Text) | None => continue,
                    Some(
                        FieldType::Long
                        | FieldType::Integer
                        | FieldType::Short
                        | FieldType::Byte
                        | FieldType::Double
                        | FieldType::Float
                        | FieldType::HalfFloat
                        | FieldType::Boolean
                        | FieldType::Date
                        | FieldType::GeoPoint,
                    ) => "n",
                };
                subs.push((
                    Occur::Should,
                    boxed(ExistsQuery::new(format!("{column}.{p}"), false)),
                ));
            }
            if subs.is_empty() {
                return Ok(none());
            }
            Ok(boxed(ConstScoreQuery::new(
                boxed(BooleanQuery::new(subs)),
                1.0,
            )))
        }
        Q::Prefix {
            field,
            value,
            case_insensitive,
            normalize,
            ..
        } => {
            let Some(fm) = ctx.mapping.field(field) else {
                return Ok(none());
            };
            if fm.constant {
                let (v, ci) = (value.clone(), *case_insensitive);
                return Ok(constant_query(fm, |c| {
                    if ci {
                        c.to_lowercase().starts_with(&v.to_lowercase())
                    } else {
                        c.starts_with(&v)
                    }
                }));
            }
            match fm.ty {
                FieldType::Keyword => {
                    let (v, ci) = (value.clone(), *case_insensitive);
                    Ok(keyword_predicate(ctx, field, move |s| {
                        if ci {
                            s.to_lowercase().starts_with(&v.to_lowercase())
                        } else {
                            s.starts_with(&v)
                        }
                    }))
                }
                FieldType::Text if *case_insensitive => {
                    let pattern = format!("{}*", wildcard_escape(value));
                    text_wildcard(ctx, field, &pattern, true)
                }
                FieldType::Text => {
                    let value = if *normalize {
                        crate::analysis::lowercase(value)
                    } else {
                        value.clone()
                    };
                    let mut t = Term::from_field_json_path(ctx.fields.text, field, true);
                    t.append_type_and_str(&value);
                    Ok(boxed(ConstScoreQuery::new(
                        boxed(PhrasePrefixQuery::new(vec![t])),
                        1.0,
                    )))
                }
                other => Err(query_shard_error(
                    format!(
                        "Can only use prefix queries on keyword, text and wildcard fields - not on [{field}] which is of type [{}]",
                        other.name()
                    ),
                    "",
                )),
            }
        }
        Q::Wildcard {
            field,
            value,
            case_insensitive,
            normalize,
            ..
        } => {
            let Some(fm) = ctx.mapping.field(field) else {
                return Ok(none());
            };
            if fm.ty == FieldType::Text {
                let value = if *normalize {
                    crate::analysis::lowercase(value)
                } else {
                    value.clone()
                };
                return text_wildcard(ctx, field, &value, *case_insensitive);
            }
            if fm.constant {
                let ci = *case_insensitive;
                let pattern: Vec<char> = if ci {
                    value.to_lowercase().chars().collect()
                } else {
                    value.chars().collect()
                };
                return Ok(constant_query(fm, |c| {
                    let c = if ci { c.to_lowercase() } else { c.to_owned() };
                    glob(&pattern, &c.chars().collect::<Vec<_>>())
                }));
            }
            if fm.ty != FieldType::Keyword {
                return Err(query_shard_error(
                    format!(
                        "Can only use wildcard queries on keyword, text and wildcard fields - not on [{field}] which is of type [{}]",
                        fm.ty.name()
                    ),
                    "",
                ));
            }
            let pattern: Vec<char> = if *case_insensitive {
                value.to_lowercase().chars().collect()
            } else {
                value.chars().collect()
            };
            let ci = *case_insensitive;
            Ok(keyword_predicate(ctx, field, move |s| {
                if ci {
                    glob(&pattern, &s.to_lowercase().chars().collect::<Vec<_>>())
                } else {
                    glob(&pattern, &s.chars().collect::<Vec<_>>())
                }
            }))
        }
        Q::Regexp {
            field,
            value,
            flags,
            case_insensitive,
            boost: b,
        } => {
            let len = value.chars().count();
            if len > ctx.max_regex_length {
                return Err(not_built(format!(
                    "The length of regex [{len}] used in the Regexp Query request has exceeded the allowed maximum of [{}]. This maximum can be set by changing the [index.max_regex_length] index level setting.",
                    ctx.max_regex_length
                )));
            }
            let Some(fm) = ctx.mapping.field(field) else {
                return Ok(none());
            };
            let re = regexp::compile(value, *flags, *case_insensitive)?;
            let q = if fm.constant {
                constant_query(fm, move |c| re.is_match(c))
            } else {
                match fm.ty {
                    FieldType::Keyword => keyword_predicate(ctx, field, move |s| re.is_match(s)),
                    FieldType::Text => {
                        // the terms of the text field: tantivy's automaton over the field's
                        // JSON path, with the pattern's body
                        let full = regexp::translate(value, *flags, *case_insensitive)?;
                        let body = full
                            .strip_prefix('^')
                            .and_then(|s| s.strip_suffix('$'))
                            .unwrap_or(&full);
                        let mut prefix = Term::from_field_json_path(ctx.fields.text, field, true);
                        prefix.append_type_and_str("");
                        let path =
                            String::from_utf8_lossy(prefix.serialized_value_bytes()).into_owned();
                        let mut pattern = String::new();
                        for c in path.chars() {
                            regex_literal(&mut pattern, c);
                        }
                        pattern.push_str(body);
                        let q = tantivy::query::RegexQuery::from_pattern(&pattern, ctx.fields.text)
                            .map_err(|e| {
                                query_shard_error(format!("failed to create query: {e}"), "")
                            })?;
                        boxed(ConstScoreQuery::new(boxed(q), 1.0))
                    }
                    other => {
                        return Err(query_shard_error(
                            format!(
                                "Can only use regexp queries on keyword and text fields - not on [{field}] which is of type [{}]",
                                other.name()
                            ),
                            "",
                        ));
                    }
                }
            };
            Ok(boost(q, *b))
        }
        Q::Ids(ids) => {
            let subs: Vec<(Occur, Box<dyn Query>)> = ids
                .iter()
                .map(|id| {
                    (
                        Occur::Should,
                        boxed(TermQuery::new(
                            Term::from_field_text(ctx.fields.id, id),
                            IndexRecordOption::Basic,
                        )),
                    )
                })
                .collect();
            Ok(boxed(ConstScoreQuery::new(
                boxed(BooleanQuery::new(subs)),
                1.0,
            )))
        }
        Q::ConstantScore(inner, b) => Ok(boxed(ConstScoreQuery::new(compile(inner, ctx)?, *b))),
        Q::Nested {
            path,
            query,
            score_mode,
            ignore_unmapped,
            boost: b,
        } => {
            if !ctx.mapping.is_nested(path) {
                if *ignore_unmapped {
                    return Ok(boxed(tantivy::query::EmptyQuery));
                }
                let why = format!("[nested] failed to find nested object under path [{path}]");
                return Err(
                    query_shard_error(format!("failed to create query: {why}"), "")
                        .caused_by(Error::es(400, "illegal_state_exception", why)),
                );
            }
            // the parents are the documents of the scope the query is in (the root documents at
            // the top, as in ES)
            let parent = match ctx.nested_scope {
                Some(p) => nested::Level::Nested(p.to_owned()),
                None => nested::Level::Root,
            };
            let inner = Ctx {
                nested_scope: Some(path),
                ..*ctx
            };
            Ok(boost(
                boxed(nested::NestedQuery {
                    child: compile(query, &inner)?,
                    children: path.clone(),
                    parent,
                    present: ctx.fields.present,
                    score_mode: *score_mode,
                }),
                *b,
            ))
        }
        Q::Named(_, inner) => compile(inner, ctx),
        Q::Analyzed { analyzer, inner } => {
            let a = crate::analysis::Analyzer::builtin(analyzer).ok_or_else(|| {
                query_shard_error(
                    format!("failed to create query: analyzer [{analyzer}] not found"),
                    "",
                )
            })?;
            let with = Ctx {
                analyzer: &a,
                ..*ctx
            };
            compile(inner, &with)
        }
        Q::AnyField {
            fields,
            inner,
            lenient,
        } => {
            let mut out = Vec::new();
            let mut paths = Vec::new();
            for f in fields {
                paths.extend(resolve_fields(ctx, f));
            }
            for p in paths {
                let q = retarget(inner, &p);
                match compile(&q, ctx) {
                    Ok(c) => out.push(c),
                    // lenient skips values a field cannot take, not the index's limits
                    Err(e) if !lenient || e.es_type() == "search_phase_execution_exception" => {
                        return Err(e);
                    }
                    Err(_) => {}
                }
            }
            Ok(boxed(DisjunctionMaxQuery::new(out)))
        }
        Q::Bool {
            must,
            filter,
            should,
            must_not,
            msm,
            boost: b,
        } => {
            let mut subs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for q in must {
                subs.push((Occur::Must, compile(q, ctx)?));
            }
            for q in filter {
                subs.push((
                    Occur::Must,
                    boxed(ConstScoreQuery::new(compile(q, ctx)?, 0.0)),
                ));
            }
            for q in must_not {
                subs.push((Occur::MustNot, compile(q, ctx)?));
            }
            let n_should = should.len();
            let required = match msm {
                Some(m) => parse_msm(m, n_should)?,
                None if must.is_empty() && filter.is_empty() && n_should > 0 => 1,
                None => 0,
            };
            if n_should > 0 {
                let shoulds: Vec<Box<dyn Query>> = should
                    .iter()
                    .map(|q| compile(q, ctx))
                    .collect::<Result<_>>()?;
                if required > n_should {
                    return Ok(none());
                }
                if required <= 1 {
                    let occur = if required == 1 {
                        Occur::Must
                    } else {
                        Occur::Should
                    };
                    if required == 1 && (!must.is_empty() || !filter.is_empty()) {
                        subs.push((Occur::Must, union(shoulds)));
                    } else if required == 1 {
                        subs.push((occur, union(shoulds)));
                    } else {
                        for s in shoulds {
                            subs.push((Occur::Should, s));
                        }
                    }
                } else {
                    subs.push((
                        Occur::Must,
                        boxed(BooleanQuery::with_minimum_required_clauses(
                            shoulds.into_iter().map(|s| (Occur::Should, s)).collect(),
                            required,
                        )),
                    ));
                }
            }
            if subs.is_empty() {
                return Ok(boost(boxed(AllQuery), *b));
            }
            if subs.iter().all(|(o, _)| *o == Occur::MustNot) {
                // as ES: only exclusions match every other document as a filter (score 0)
                subs.push((
                    Occur::Must,
                    boxed(ConstScoreQuery::new(boxed(AllQuery), 0.0)),
                ));
            }
            Ok(boost(boxed(BooleanQuery::new(subs)), *b))
        }
    }
}

/// Escapes `*`, `?` and backslashes so that a literal matches as a wildcard pattern.
fn wildcard_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Appends `c` to a regular expression as a literal.
fn regex_literal(out: &mut String, c: char) {
    if c.is_alphanumeric() {
        out.push(c);
    } else {
        out.push_str(&format!("\\x{{{:x}}}", c as u32));
    }
}

/// A Lucene wildcard pattern (`*`, `?`, backslash escapes) on the terms of a text field: a regular
/// expression over the terms of the field's JSON path, run as an automaton on the dictionary.
fn text_wildcard(
    ctx: &Ctx<'_>,
    field: &str,
    pattern: &str,
    case_insensitive: bool,
) -> Result<Box<dyn Query>> {
    let mut prefix = Term::from_field_json_path(ctx.fields.text, field, true);
    prefix.append_type_and_str("");
    let path = String::from_utf8_lossy(prefix.serialized_value_bytes()).into_owned();
    let mut re = String::new();
    for c in path.chars() {
        regex_literal(&mut re, c);
    }
    if case_insensitive {
        re.push_str("(?i:");
    }
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            '\\' => match chars.next() {
                Some(n) => regex_literal(&mut re, n),
                None => regex_literal(&mut re, '\\'),
            },
            c => regex_literal(&mut re, c),
        }
    }
    if case_insensitive {
        re.push(')');
    }
    let q = tantivy::query::RegexQuery::from_pattern(&re, ctx.fields.text)
        .map_err(|e| query_shard_error(format!("failed to create query: {e}"), ""))?;
    Ok(boxed(ConstScoreQuery::new(boxed(q), 1.0)))
}

/// Replaces the field of a leaf query (for `query_string` field expansion).
fn retarget(q: &Q, field: &str) -> Q {
    let mut q = q.clone();
    match &mut q {
        Q::Match { field: f, .. }
        | Q::MatchBoolPrefix { field: f, .. }
        | Q::Fuzzy { field: f, .. }
        | Q::MatchPhrase { field: f, .. }
        | Q::MatchPhrasePrefix { field: f, .. }
        | Q::Term { field: f, .. }
        | Q::Terms { field: f, .. }
        | Q::Exists { field: f }
        | Q::Prefix { field: f, .. }
        | Q::Wildcard { field: f, .. }
        | Q::Regexp { field: f, .. } => *f = field.to_owned(),
        Q::Range(r) => r.field = field.to_owned(),
        _ => {}
    }
    q
}

fn union(qs: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if qs.len() == 1 {
        return qs.into_iter().next().unwrap_or_else(none);
    }
    if qs.is_empty() {
        return none();
    }
    boxed(BooleanQuery::new(
        qs.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

/// `minimum_should_match`: `2`, `-1`, `75%`, `-25%`.
pub fn parse_msm(m: &str, n: usize) -> Result<usize> {
    let bad = || Error::illegal_argument(format!("unsupported minimum_should_match [{m}]"));
    let m = m.trim();
    let n_i = n as i64;
    let v = if let Some(p) = m.strip_suffix('%') {
        let p: i64 = p.parse().map_err(|_| bad())?;
        let x = n_i * p.abs() / 100;
        if p < 0 { n_i - x } else { x }
    } else {
        let k: i64 = m.parse().map_err(|_| bad())?;
        if k < 0 { n_i + k } else { k }
    };
    Ok(v.clamp(0, n_i.max(v)).max(0) as usize)
}

/// The terms within `fuzziness` of `value` on a keyword or text field (a constant score each, as
/// a rewritten multi-term query scores here).
fn fuzzy_term(
    ctx: &Ctx<'_>,
    field: &str,
    fm: &FieldMapping,
    value: &str,
    fuzziness: Fuzziness,
    transpositions: bool,
) -> Result<Box<dyn Query>> {
    let json_field = match fm.ty {
        FieldType::Keyword if fm.binary.is_none() => ctx.fields.kw,
        FieldType::Text => ctx.fields.text,
        other => {
            return Err(query_shard_error(
                format!(
                    "fuzzy queries on [{field}] of type [{}] are not supported by sluice-store (keyword and text fields are)",
                    if fm.binary.is_some() {
                        "binary"
                    } else {
                        other.name()
                    }
                ),
                "",
            ));
        }
    };
    let mut t = Term::from_field_json_path(json_field, field, true);
    t.append_type_and_str(value);
    let distance = fuzziness.distance(value.chars().count());
    if distance == 0 {
        return Ok(boxed(ConstScoreQuery::new(
            boxed(TermQuery::new(t, IndexRecordOption::Basic)),
            1.0,
        )));
    }
    Ok(boxed(ConstScoreQuery::new(
        boxed(tantivy::query::FuzzyTermQuery::new(
            t,
            distance,
            transpositions,
        )),
        1.0,
    )))
}

/// `match` with `fuzziness`: each analysed term (a keyword's whole value) matches the terms
/// within its edit distance.
fn compile_fuzzy_match(
    ctx: &Ctx<'_>,
    field: &str,
    query: &Value,
    op: Operator,
    msm: Option<&str>,
    fuzziness: Fuzziness,
    transpositions: bool,
) -> Result<Box<dyn Query>> {
    let Some(fm) = ctx.mapping.field(field) else {
        return Ok(none());
    };
    let text = as_str_value(query);
    if fm.ty != FieldType::Text {
        return fuzzy_term(ctx, field, fm, &text, fuzziness, transpositions);
    }
    let tokens = ctx.analyzer.terms(&text);
    if tokens.is_empty() {
        return Ok(none());
    }
    let occur = occur_of(op);
    let subs = tokens
        .iter()
        .map(|tok| {
            Ok((
                occur,
                fuzzy_term(ctx, field, fm, tok, fuzziness, transpositions)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    terms_bool(subs, op, msm)
}

fn compile_match(
    ctx: &Ctx<'_>,
    field: &str,
    query: &Value,
    op: Operator,
    msm: Option<&str>,
    lenient: bool,
) -> Result<Box<dyn Query>> {
    let Some(fm) = ctx.mapping.field(field) else {
        return Ok(none());
    };
    if fm.ty != FieldType::Text {
        return match value_query(ctx, field, fm, query, IndexRecordOption::WithFreqs) {
            Ok(Some(q)) => Ok(q),
            Ok(None) => Ok(none()),
            Err(_) if lenient => Ok(none()),
            Err(e) => Err(e),
        };
    }
    let tokens = ctx.analyzer.terms(&as_str_value(query));
    if tokens.is_empty() {
        return Ok(none());
    }
    let subs: Vec<(Occur, Box<dyn Query>)> = tokens
        .iter()
        .map(|tok| {
            let mut t = Term::from_field_json_path(ctx.fields.text, field, true);
            t.append_type_and_str(tok);
            (occur_of(op), text_term_query(fm, t))
        })
        .collect();
    terms_bool(subs, op, msm)
}

/// The occurrence of each term clause under `operator`.
fn occur_of(op: Operator) -> Occur {
    if op == Operator::And {
        Occur::Must
    } else {
        Occur::Should
    }
}

/// The term clauses of a `match`-like query: all of them (`and`), or `minimum_should_match`
/// of them (`or`, at least one).
fn terms_bool(
    subs: Vec<(Occur, Box<dyn Query>)>,
    op: Operator,
    msm: Option<&str>,
) -> Result<Box<dyn Query>> {
    if let (Some(m), Operator::Or) = (msm, op) {
        let req = parse_msm(m, subs.len())?;
        return Ok(boxed(BooleanQuery::with_minimum_required_clauses(
            subs,
            req.max(1),
        )));
    }
    Ok(boxed(BooleanQuery::new(subs)))
}

/// `match_bool_prefix` on one field: its analysed terms as a `bool` of term queries, the last
/// one a prefix (scoring a constant, as a prefix query does); a keyword is one term, so the
/// whole value is the prefix.
fn compile_bool_prefix(
    ctx: &Ctx<'_>,
    field: &str,
    query: &str,
    op: Operator,
    msm: Option<&str>,
    fuzzy: Option<(Fuzziness, bool)>,
) -> Result<Box<dyn Query>> {
    let Some(fm) = ctx.mapping.field(field) else {
        return Ok(none());
    };
    if fm.ty != FieldType::Text {
        let q = Q::Prefix {
            field: field.to_owned(),
            value: query.to_owned(),
            case_insensitive: false,
            normalize: false,
            boost: 1.0,
        };
        return compile(&q, ctx);
    }
    let tokens = ctx.analyzer.terms(query);
    let Some((last, rest)) = tokens.split_last() else {
        return Ok(none());
    };
    let occur = occur_of(op);
    let term = |tok: &str| {
        let mut t = Term::from_field_json_path(ctx.fields.text, field, true);
        t.append_type_and_str(tok);
        t
    };
    let mut subs: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(rest.len() + 1);
    for tok in rest {
        let q = match fuzzy {
            // the terms before the last match within the edit distance (ES's fuzzy terms)
            Some((f, transpositions)) => fuzzy_term(ctx, field, fm, tok, f, transpositions)?,
            None => text_term_query(fm, term(tok)),
        };
        subs.push((occur, q));
    }
    subs.push((
        occur,
        boxed(ConstScoreQuery::new(
            boxed(PhrasePrefixQuery::new(vec![term(last)])),
            1.0,
        )),
    ));
    terms_bool(subs, op, msm)
}

fn compile_phrase(
    ctx: &Ctx<'_>,
    field: &str,
    query: &str,
    slop: u32,
    prefix: bool,
) -> Result<Box<dyn Query>> {
    let Some(fm) = ctx.mapping.field(field) else {
        return Ok(none());
    };
    if fm.ty != FieldType::Text {
        if prefix && fm.ty == FieldType::Keyword {
            let q = query.to_owned();
            return Ok(keyword_predicate(ctx, field, move |s| s.starts_with(&q)));
        }
        return compile_match(ctx, field, &Value::from(query), Operator::Or, None, false);
    }
    let terms = text_terms(ctx, field, query);
    match terms.len() {
        0 => Ok(none()),
        1 if !prefix => Ok(text_term_query(
            fm,
            terms
                .into_iter()
                .next()
                .ok_or_else(|| Error::parsing("empty phrase"))?,
        )),
        _ if prefix => Ok(match_only_score(
            fm,
            boxed(phrase_guard::PhraseGuard(boxed(PhrasePrefixQuery::new(
                terms,
            )))),
        )),
        _ => {
            let mut p = PhraseQuery::new(terms);
            p.set_slop(slop);
            Ok(match_only_score(
                fm,
                boxed(phrase_guard::PhraseGuard(boxed(p))),
            ))
        }
    }
}

/// The value of a `prefix`, `wildcard` or `regexp` query (`{"field": "v"}` or
/// `{"field": {"value": "v", ...}}`, `prefix` and `wildcard` also naming it `wildcard`), its `rewrite`
/// checked; `other` reads the query's other parameters.
fn multi_term_value(
    spec: &Value,
    name: &str,
    mut other: impl FnMut(&str, &Value) -> Result<()>,
) -> Result<String> {
    let value = match spec {
        Value::Object(m) => {
            let mut value = None;
            for (k, v) in m {
                match k.as_str() {
                    "value" => value = v.as_str().map(str::to_owned),
                    "wildcard" if name != "regexp" => value = v.as_str().map(str::to_owned),
                    "rewrite" => constant_rewrite(v, name)?,
                    k => other(k, v)?,
                }
            }
            value
        }
        Value::String(s) => Some(s.clone()),
        _ => return Err(Error::parsing(format!("[{name}] query malformed"))),
    };
    value.ok_or_else(|| Error::parsing(format!("[{name}] query requires a [value]")))
}

/// A query on a `constant_keyword` field: every document when `test` accepts the mapping's
/// value (score 1), none when it does not or there is no value yet. Elasticsearch indexes
/// nothing for the field, so a document without it matches too.
fn constant_query(fm: &FieldMapping, test: impl Fn(&str) -> bool) -> Box<dyn Query> {
    match &fm.value {
        Some(c) if test(c) => boxed(ConstScoreQuery::new(boxed(AllQuery), 1.0)),
        _ => none(),
    }
}

/// The query for one analysed term of a text field: scored by BM25, or 1 on a
/// `match_only_text` field.
fn text_term_query(fm: &FieldMapping, t: Term) -> Box<dyn Query> {
    match_only_score(fm, boxed(TermQuery::new(t, IndexRecordOption::WithFreqs)))
}

/// `q` as a `match_only_text` field scores it (1 for every match), or as it is on other
/// fields.
fn match_only_score(fm: &FieldMapping, q: Box<dyn Query>) -> Box<dyn Query> {
    if fm.match_only || fm.wildcard {
        boxed(ConstScoreQuery::new(q, 1.0))
    } else {
        q
    }
}

fn compile_range(ctx: &Ctx<'_>, r: &RangeSpec) -> Result<Box<dyn Query>> {
    let Some(fm) = ctx.mapping.field(&r.field) else {
        return Ok(none());
    };
    let path = r.field.as_str();
    let f = &ctx.fields;
    let q: Box<dyn Query> = match fm.ty {
        FieldType::GeoPoint => {
            return Err(create_query_error(Error::illegal_argument(format!(
                "Field [{path}] of type [geo_point] does not support range queries"
            ))));
        }
        FieldType::Date => {
            let lo = r
                .lower
                .as_ref()
                .map(|(v, inc)| {
                    date_value(
                        ctx,
                        fm,
                        v,
                        r.format.as_deref(),
                        r.time_zone.as_deref(),
                        !inc,
                    )
                    .map(|ms| (ms, *inc))
                })
                .transpose()?;
            let hi = r
                .upper
                .as_ref()
                .map(|(v, inc)| {
                    date_value(
                        ctx,
                        fm,
                        v,
                        r.format.as_deref(),
                        r.time_zone.as_deref(),
                        *inc,
                    )
                    .map(|ms| (ms, *inc))
                })
                .transpose()?;
            let mk = |ms: i64| {
                let mut t = Term::from_field_json_path(f.num, path, true);
                t.append_type_and_fast_value(ms);
                t
            };
            boxed(RangeQuery::new(
                bound(lo.map(|(m, i)| (mk(m), i))),
                bound(hi.map(|(m, i)| (mk(m), i))),
            ))
        }
        // bounds rounded to the values they take in, as ES's `unsigned_long` rounds them
        FieldType::Long if fm.unsigned => {
            let bad = |e: String| query_shard_error(format!("failed to create query: {e}"), "");
            let lo = match &r.lower {
                None => Some(0),
                Some((v, inc)) => unsigned::lower_bound(v, *inc).map_err(bad)?,
            };
            let hi = match &r.upper {
                None => Some(u64::MAX),
                Some((v, inc)) => unsigned::upper_bound(v, *inc).map_err(bad)?,
            };
            match (lo, hi) {
                (Some(lo), Some(hi)) if lo <= hi => {
                    let mk = |u: u64| {
                        let mut t = Term::from_field_json_path(f.num, path, true);
                        t.append_type_and_fast_value(unsigned::to_sortable(u));
                        Bound::Included(t)
                    };
                    boxed(RangeQuery::new(mk(lo), mk(hi)))
                }
                _ => none(),
            }
        }
        FieldType::Long | FieldType::Integer | FieldType::Short | FieldType::Byte => {
            let conv = |v: &Value, lower: bool, inc: bool| -> Result<(Term, bool)> {
                let s = as_str_value(v);
                let x: f64 = s.parse().map_err(|_| {
                    query_shard_error(
                        format!("failed to create query: For input string: \"{s}\""),
                        "",
                    )
                })?;
                // integer bounds: gt 1.5 → gte 2; lt 1.5 → lte 1
                let (n, inc) = if x.fract() != 0.0 {
                    (if lower { x.ceil() } else { x.floor() } as i64, true)
                } else {
                    (x as i64, inc)
                };
                let mut t = Term::from_field_json_path(f.num, path, true);
                t.append_type_and_fast_value(n);
                Ok((t, inc))
            };
            let lo = r
                .lower
                .as_ref()
                .map(|(v, inc)| conv(v, true, *inc))
                .transpose()?;
            let hi = r
                .upper
                .as_ref()
                .map(|(v, inc)| conv(v, false, *inc))
                .transpose()?;
            boxed(RangeQuery::new(bound(lo), bound(hi)))
        }
        FieldType::Double | FieldType::Float | FieldType::HalfFloat => {
            let conv = |v: &Value, inc: bool| -> Result<(Term, bool)> {
                let s = as_str_value(v);
                let x: f64 = s.parse().map_err(|_| {
                    query_shard_error(
                        format!("failed to create query: For input string: \"{s}\""),
                        "",
                    )
                })?;
                // ES parses the bound in the field's precision: `gt 1.1` on a float field
                // does not match a stored 1.1 (both are 1.1f)
                let x = round_float(fm.ty, x);
                let mut t = Term::from_field_json_path(f.num, path, true);
                t.append_type_and_fast_value(x);
                Ok((t, inc))
            };
            let lo = r.lower.as_ref().map(|(v, inc)| conv(v, *inc)).transpose()?;
            let hi = r.upper.as_ref().map(|(v, inc)| conv(v, *inc)).transpose()?;
            boxed(RangeQuery::new(bound(lo), bound(hi)))
        }
        FieldType::Ip => {
            // as ES: exclusive bounds move to the next address; an empty range matches nothing
            let bound = |(v, _): &(Value, bool)| {
                ip::parse_or_err(&as_str_value(v)).map_err(create_query_error)
            };
            let lo = match &r.lower {
                None => Some(0),
                Some(b @ (_, true)) => Some(bound(b)?),
                Some(b @ (_, false)) => bound(b)?.checked_add(1),
            };
            let hi = match &r.upper {
                None => Some(u128::MAX),
                Some(b @ (_, true)) => Some(bound(b)?),
                Some(b @ (_, false)) => bound(b)?.checked_sub(1),
            };
            match (lo, hi) {
                (Some(lo), Some(hi)) if lo <= hi => ip_range_query(ctx, path, lo, hi),
                _ => none(),
            }
        }
        FieldType::Keyword => {
            let lo = r.lower.as_ref().map(|(v, inc)| (as_str_value(v), *inc));
            let hi = r.upper.as_ref().map(|(v, inc)| (as_str_value(v), *inc));
            keyword_predicate(ctx, path, move |s| {
                let lo_ok = lo.as_ref().is_none_or(|(l, inc)| {
                    if *inc {
                        s >= l.as_str()
                    } else {
                        s > l.as_str()
                    }
                });
                let hi_ok = hi.as_ref().is_none_or(|(h, inc)| {
                    if *inc {
                        s <= h.as_str()
                    } else {
                        s < h.as_str()
                    }
                });
                lo_ok && hi_ok
            })
        }
        other @ (FieldType::Text | FieldType::Boolean) => {
            return Err(query_shard_error(
                format!(
                    "Field [{path}] of type [{}] does not support range queries",
                    other.name()
                ),
                "",
            ));
        }
    };
    Ok(boost(boxed(ConstScoreQuery::new(q, 1.0)), r.boost))
}

fn bound(b: Option<(Term, bool)>) -> Bound<Term> {
    match b {
        None => Bound::Unbounded,
        Some((t, true)) => Bound::Included(t),
        Some((t, false)) => Bound::Excluded(t),
    }
}

/// The terms the index's analysis makes of `query` on the text path `field`, in order.
pub(crate) fn text_terms(ctx: &Ctx<'_>, field: &str, query: &str) -> Vec<Term> {
    ctx.analyzer
        .terms(query)
        .iter()
        .map(|tok| {
            let mut t = Term::from_field_json_path(ctx.fields.text, field, true);
            t.append_type_and_str(tok);
            t
        })
        .collect()
}

/// The explanation of a scorer's score for `doc` (the custom queries explain no further), or
/// ES's error when `doc` does not match.
pub(crate) fn explain_score(
    weight: &dyn tantivy::query::Weight,
    reader: &tantivy::SegmentReader,
    doc: tantivy::DocId,
    what: &'static str,
) -> tantivy::Result<tantivy::query::Explanation> {
    let mut s = weight.scorer(reader, 1.0)?;
    if s.seek(doc) != doc {
        return Err(tantivy::TantivyError::InvalidArgument(format!(
            "document {doc} does not match"
        )));
    }
    Ok(tantivy::query::Explanation::new(what, s.score()))
}

/// `*`/`?` glob over chars.
pub fn glob(p: &[char], t: &[char]) -> bool {
    glob_by(p, t, |c| *c == '*', |c| *c == '?', |c, x| *c == x)
}

/// A glob over `t` whose pattern items say themselves which are `*`, which `?`, and which
/// character they take (escaped wildcards are plain characters).
pub(crate) fn glob_by<P>(
    p: &[P],
    t: &[char],
    star_at: impl Fn(&P) -> bool,
    any_at: impl Fn(&P) -> bool,
    takes: impl Fn(&P, char) -> bool,
) -> bool {
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (any_at(&p[pi]) || (!star_at(&p[pi]) && takes(&p[pi], t[ti]))) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && star_at(&p[pi]) {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && star_at(&p[pi]) {
        pi += 1;
    }
    pi == p.len()
}

/// A query matching docs whose keyword column at `path` has a value accepted by `pred`
/// (evaluated once per distinct term per segment).
fn keyword_predicate(
    ctx: &Ctx<'_>,
    path: &str,
    pred: impl Fn(&str) -> bool + Send + Sync + 'static,
) -> Box<dyn Query> {
    let column = format!("k.{path}");
    let pred = Arc::new(pred);
    let factory =
        move |seg: &SegmentReader| -> tantivy::Result<Box<dyn Fn(DocId) -> bool + Send + Sync>> {
            let Some(col) = seg.fast_fields().str(&column)? else {
                return Ok(Box::new(|_| false));
            };
            let mut ok = vec![false; col.num_terms()];
            let mut buf = String::new();
            for (ord, slot) in ok.iter_mut().enumerate() {
                buf.clear();
                if col.ord_to_str(ord as u64, &mut buf)? {
                    *slot = pred(&buf);
                }
            }
            let ok = Arc::new(ok);
            Ok(Box::new(move |doc: DocId| {
                col.term_ords(doc)
                    .any(|o| ok.get(o as usize).copied().unwrap_or(false))
            }))
        };
    let _ = ctx;
    boxed(ConstScoreQuery::new(
        boxed(DocPredicateQuery::from(FunctionPredicate::from(factory))),
        1.0,
    ))
}

#[cfg(test)]
mod tests;
