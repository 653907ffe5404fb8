//! The `suggest` section of a search: the completion suggester, as Elasticsearch's answers it.
//!
//! A `completion` field keeps each input as one term (its analyzed tokens joined,
//! [`crate::mapping::FieldMapping::completion_key`]); a suggestion's `prefix` (or `text`),
//! analyzed the same way, finds the documents holding a term that starts with it. Each document
//! gives one option, its best matching input (highest `weight`, then the smallest key), scored by
//! that weight; options are ordered by score (then key, index and `_id`), `skip_duplicates`
//! keeps the first of each text, and the best `size` (5) are shown. (Elasticsearch searches its
//! suggester's FST for the best `size` inputs per shard with a bounded queue, so where a document
//! has several matching inputs it can answer fewer than `size` documents; the store answers the
//! best `size` documents — docs/architecture.md lists it among the known differences.) The `term` and `phrase` suggesters,
//! and the completion suggester's `fuzzy`, `regex` and `contexts`, are refused by name.

use std::cmp::Ordering;

use serde_json::{Map, Value, json};
use tantivy::schema::Value as _;
use tantivy::{DocSet, TERMINATED, TantivyDocument};

use super::{Target, float_json, token_name};
use crate::error::{Error, Result};
use crate::mapping::FieldMapping;
use crate::query::{self, Q};

/// One named suggestion of a request.
#[derive(Debug, Clone)]
pub(crate) struct Suggestion {
    name: String,
    text: String,
    field: String,
    size: usize,
    skip_duplicates: bool,
}

fn parsing(msg: String) -> Error {
    Error::parsing(msg).with("line", 1).with("col", 1)
}

/// Parses the `suggest` object: a global `text`, then suggestions by name.
///
/// # Errors
/// ES's parsing errors; a suggester or option the store does not have, by name.
pub(crate) fn parse(v: &Value) -> Result<Vec<Suggestion>> {
    let o = v
        .as_object()
        .ok_or_else(|| parsing(format!("Unknown key for a {} in [suggest].", token_name(v))))?;
    let global = o.get("text").and_then(Value::as_str);
    let mut out = Vec::new();
    for (name, def) in o {
        if name == "text" {
            continue;
        }
        let def = def.as_object().ok_or_else(|| {
            parsing(format!(
                "suggestion [{name}] must be an object, found [{}]",
                token_name(def)
            ))
        })?;
        let mut text = global.map(str::to_owned);
        let mut spec = None;
        for (k, x) in def {
            match k.as_str() {
                "text" | "prefix" => {
                    text = Some(x.as_str().map(str::to_owned).ok_or_else(|| {
                        parsing(format!("[{k}] of suggestion [{name}] must be a string"))
                    })?);
                }
                "regex" => {
                    return Err(Error::illegal_argument(
                        "[regex] of the completion suggester is not supported by sluice-store",
                    ));
                }
                "completion" => spec = Some(x),
                s @ ("term" | "phrase") => {
                    return Err(Error::illegal_argument(format!(
                        "the [{s}] suggester is not supported by sluice-store (the completion suggester is)"
                    )));
                }
                other => {
                    return Err(parsing(format!("suggester[{other}] not supported")));
                }
            }
        }
        let Some(spec) = spec.and_then(Value::as_object) else {
            return Err(Error::illegal_argument(format!(
                "suggestion [{name}] names no suggester (the completion suggester is supported)"
            )));
        };
        let mut s = Suggestion {
            name: name.clone(),
            text: text
                .ok_or_else(|| Error::illegal_argument("The required text option is missing"))?,
            field: String::new(),
            size: 5,
            skip_duplicates: false,
        };
        for (k, x) in spec {
            match k.as_str() {
                "field" => {
                    s.field = x.as_str().map(str::to_owned).ok_or_else(|| {
                        parsing("[completion] failed to parse field [field]".into())
                    })?;
                }
                "size" => {
                    s.size = x
                        .as_u64()
                        .filter(|n| *n > 0)
                        .and_then(|n| usize::try_from(n).ok())
                        .ok_or_else(|| {
                            Error::illegal_argument(format!("size must be positive but was [{x}]"))
                        })?;
                }
                "skip_duplicates" => {
                    s.skip_duplicates = x.as_bool().ok_or_else(|| {
                        parsing("[completion] failed to parse field [skip_duplicates]".into())
                    })?;
                }
                other @ ("fuzzy" | "contexts" | "analyzer") => {
                    return Err(Error::illegal_argument(format!(
                        "[{other}] of the completion suggester is not supported by sluice-store"
                    )));
                }
                other => {
                    return Err(parsing(format!("[completion] unknown field [{other}]")));
                }
            }
        }
        if s.field.is_empty() {
            return Err(Error::illegal_argument(
                "The required field option is missing",
            ));
        }
        out.push(s);
    }
    Ok(out)
}

struct Option_ {
    text: String,
    key: String,
    weight: i64,
    index: String,
    id: String,
    source: Value,
}

/// The completion field's mapping in `mapping`, and the `_source` path its inputs are read
/// from (a completion multi-field reads its parent's values, each with weight 1).
fn completion_field<'m>(
    mapping: &'m crate::mapping::Mapping,
    field: &str,
) -> Result<(&'m FieldMapping, String)> {
    let not = || {
        super::all_shards_failed(Error::illegal_argument(format!(
            "Field [{field}] is not a completion suggest field"
        )))
    };
    let f = mapping.field(field).ok_or_else(not)?;
    if !f.completion {
        return Err(not());
    }
    Ok((f, super::fields::source_path(field, mapping).to_owned()))
}

/// The inputs of one document's values that match `key`: `(text, key, weight)`.
fn matching_inputs(f: &FieldMapping, values: &[&Value], key: &str) -> Vec<(String, String, i64)> {
    let mut out = Vec::new();
    let mut consider = |input: &str, weight: i64| {
        if let Some(k) = f.completion_key(input, false)
            && k.starts_with(key)
        {
            out.push((input.to_owned(), k, weight));
        }
    };
    for v in values {
        match v {
            Value::String(s) => consider(s, 1),
            Value::Object(o) => {
                let weight = match o.get("weight") {
                    Some(Value::Number(n)) => n.as_i64().unwrap_or(1),
                    Some(Value::String(s)) => s.parse().unwrap_or(1),
                    _ => 1,
                };
                let inputs: Vec<&Value> = match o.get("input") {
                    Some(Value::Array(a)) => a.iter().collect(),
                    Some(other) => vec![other],
                    None => Vec::new(),
                };
                for i in inputs {
                    if let Some(s) = i.as_str() {
                        consider(s, weight);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Weight first, then the key (the order of Lucene's suggester among equal weights).
fn by_rank(a: &Option_, b: &Option_) -> Ordering {
    b.weight
        .cmp(&a.weight)
        .then_with(|| a.key.cmp(&b.key))
        .then_with(|| a.index.cmp(&b.index))
        .then_with(|| a.id.cmp(&b.id))
}

/// Answers every suggestion over `targets` (one array of one entry per suggestion, as ES).
///
/// # Errors
/// A field that is not a completion field; a tantivy read failure.
pub(crate) fn execute(
    targets: &[Target],
    suggestions: &[Suggestion],
    typed_keys: bool,
    now_ms: i64,
) -> Result<Value> {
    let mut out = Map::new();
    for s in suggestions {
        let started = std::time::Instant::now();
        let mut options: Vec<Option_> = Vec::new();
        for t in targets {
            // this shard's matching inputs
            let mut inputs: Vec<Option_> = Vec::new();
            let meta = t.shard.meta();
            let mapping = &meta.mapping;
            // ES fails the search when the field is no completion field in an index
            let (f, source_path) = completion_field(mapping, &s.field)?;
            let Some(key) = f.completion_key(&s.text, true) else {
                continue;
            };
            let analyzer = t.shard.text_analysis().analyzer();
            let ctx = query::Ctx {
                mapping,
                fields: t.shard.fields,
                now_ms,
                analyzer: &analyzer,
                max_regex_length: query::MAX_REGEX_LENGTH,
                max_terms_count: query::MAX_TERMS_COUNT,
                nested_scope: None,
                allow_expensive: true,
                max_buckets: crate::aggs::MAX_BUCKETS,
            };
            let prefix = Q::Prefix {
                field: s.field.clone(),
                value: key.clone(),
                case_insensitive: false,
                normalize: false,
                boost: 1.0,
            };
            let q = match &t.filter {
                Some(filter) => Q::Bool {
                    must: vec![prefix],
                    filter: vec![(**filter).clone()],
                    should: vec![],
                    must_not: vec![],
                    msm: None,
                    boost: 1.0,
                },
                None => prefix,
            };
            let compiled = query::compile(&q, &ctx)?;
            let tv = |e| Error::tantivy(&t.shard.name, e);
            let weight = compiled
                .weight(tantivy::query::EnableScoring::disabled_from_searcher(
                    &t.searcher,
                ))
                .map_err(tv)?;
            for (ord, seg) in t.searcher.segment_readers().iter().enumerate() {
                let mut scorer = weight.scorer(seg, 1.0).map_err(tv)?;
                let alive = seg.alive_bitset();
                let mut doc = scorer.doc();
                while doc != TERMINATED {
                    if alive.is_none_or(|a| a.is_alive(doc)) {
                        let addr = tantivy::DocAddress::new(ord as u32, doc);
                        let d: TantivyDocument = t.searcher.doc(addr).map_err(tv)?;
                        let source: Value = d
                            .get_first(t.shard.fields.source)
                            .and_then(|v| v.as_bytes())
                            .and_then(|b| serde_json::from_slice(b).ok())
                            .unwrap_or(Value::Null);
                        let id = d
                            .get_first(t.shard.fields.id)
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default();
                        let values =
                            super::fields::source_values_and_objects(&source, &source_path);
                        for (text, k, w) in matching_inputs(f, &values, &key) {
                            inputs.push(Option_ {
                                text,
                                key: k,
                                weight: w,
                                index: t.shard.name.clone(),
                                id: id.clone(),
                                source: source.clone(),
                            });
                        }
                    }
                    doc = scorer.advance();
                }
            }
            // one option per document: its best input
            inputs.sort_by(by_rank);
            let mut docs = std::collections::HashSet::new();
            inputs.retain(|o| docs.insert(o.id.clone()));
            options.extend(inputs);
            t.shard
                .counters(t.part)
                .search
                .suggest
                .add(started.elapsed());
        }
        options.sort_by(by_rank);
        if s.skip_duplicates {
            let mut seen = std::collections::HashSet::new();
            options.retain(|o| seen.insert(o.text.clone()));
        }
        options.truncate(s.size);
        let shown: Vec<Value> = options
            .into_iter()
            .map(|o| {
                json!({"text": o.text, "_index": o.index, "_id": o.id,
                    "_score": float_json(o.weight as f32), "_source": o.source})
            })
            .collect();
        let name = if typed_keys {
            format!("completion#{}", s.name)
        } else {
            s.name.clone()
        };
        let length = s.text.encode_utf16().count();
        out.insert(
            name,
            json!([{"text": s.text, "offset": 0, "length": length, "options": shown}]),
        );
    }
    Ok(Value::Object(out))
}
