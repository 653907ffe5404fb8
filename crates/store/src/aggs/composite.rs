//! `composite`: buckets for every combination of its sources' values (`terms`, `histogram`,
//! `date_histogram`, `geotile_grid`), in the order of those keys, a page of `size` at a time after the `after`
//! key, as Elasticsearch's composite aggregation pages through all buckets.
//!
//! Only the first `size` keys after `after` can be answered, so a collection keeps at most
//! about twice that many buckets: when it holds more, the greatest are dropped and any key
//! beyond the last one kept is turned away from then on (it could never make the page).

use std::cmp::Ordering;

use serde_json::{Map, Value, json};

use super::{Agg, Bucket, FastMap, Key, Kind, date_key, f2k, int_param, k2f};
use crate::error::{Error, Result};
use crate::mapping::{FieldType, date, ip};

/// One source of a composite key.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceSpec {
    /// the key's member name
    pub name: String,
    /// `terms`, `histogram`, `date_histogram` or `geotile_grid` (their own parameters)
    pub kind: Kind,
    /// ascending order (`order: asc`, the default)
    pub asc: bool,
    /// documents without a value get a `null` key instead of no bucket
    pub missing_bucket: bool,
    /// where `null` sorts: first (`missing_order: first`, or the default when ascending)
    pub missing_first: bool,
}

impl SourceSpec {
    /// The source's field.
    pub fn field(&self) -> &str {
        match &self.kind {
            Kind::Terms { field, .. }
            | Kind::Histogram { field, .. }
            | Kind::DateHistogram { field, .. } => field,
            Kind::GeoGrid(g) => &g.field,
            _ => "",
        }
    }
}

/// A `composite` request.
#[derive(Debug, Clone, PartialEq)]
pub struct CompositeSpec {
    /// buckets per page
    pub size: usize,
    /// the key's sources, in key order
    pub sources: Vec<SourceSpec>,
    /// `after`: one value per source (`null` for a missing value)
    pub after: Option<Vec<Value>>,
    /// `multi_terms`: the same keys (terms sources only), every bucket kept, answered as terms
    pub multi: Option<Box<MultiTerms>>,
}

/// What a `multi_terms` aggregation adds to its composite key of terms.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiTerms {
    /// buckets shown
    pub size: usize,
    /// bucket order (`_count` descending, then the key, by default)
    pub order: Vec<super::Order>,
    /// fewest documents of a bucket shown
    pub min_doc_count: u64,
    /// each term's `missing` value
    pub missing: Vec<Option<Value>>,
    /// `show_term_doc_count_error`
    pub show_error: bool,
}

/// One member of a composite key: `None` is a missing value.
pub type Part = Option<Key>;

/// The buckets of a composite aggregation while collecting (mergeable).
#[derive(Debug, Clone, Default)]
pub struct CompositeState {
    /// buckets by key
    pub map: FastMap<Vec<Part>, Bucket>,
    /// keys beyond this one can no longer make the page
    pub cutoff: Option<Vec<Part>>,
}

fn parse_error(reason: impl Into<String>) -> Error {
    Error::parsing(reason)
}

/// Parses a `composite` body.
pub(super) fn parse(name: &str, o: &Map<String, Value>) -> Result<Kind> {
    for k in o.keys() {
        if !matches!(k.as_str(), "size" | "sources" | "after") {
            return Err(Error::es(
                400,
                "x_content_parse_exception",
                format!("[composite] unknown field [{k}]"),
            ));
        }
    }
    let size = match int_param(o, "size", "composite")? {
        None => 10,
        Some(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
        Some(n) => {
            return Err(Error::illegal_argument(format!(
                "[size] must be greater than 0. Found [{n}] in [{name}]"
            )));
        }
    };
    let list = match o.get("sources") {
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(parse_error(format!(
                "[sources] of composite aggregation [{name}] must be an array of objects"
            )));
        }
        None => {
            return Err(Error::illegal_argument("Required [sources]"));
        }
    };
    if list.is_empty() {
        return Err(Error::illegal_argument(
            "Composite [sources] cannot be null or empty",
        ));
    }
    let mut sources: Vec<SourceSpec> = Vec::with_capacity(list.len());
    for item in list {
        let Some(one) = item.as_object().filter(|m| m.len() == 1) else {
            return Err(parse_error(
                "each of composite [sources] must be an object with one named source",
            ));
        };
        let (sname, def) = one
            .iter()
            .next()
            .map(|(k, v)| (k.clone(), v))
            .unwrap_or_default();
        let Some(def) = def.as_object().filter(|m| m.len() == 1) else {
            return Err(parse_error(format!(
                "composite source [{sname}] must be an object with one value source"
            )));
        };
        let (ty, body) = def
            .iter()
            .next()
            .map(|(k, v)| (k.as_str(), v))
            .unwrap_or_default();
        let Some(body) = body.as_object() else {
            return Err(parse_error(format!(
                "[{ty}] of composite source [{sname}] must be an object"
            )));
        };
        if !matches!(
            ty,
            "terms" | "histogram" | "date_histogram" | "geotile_grid"
        ) {
            return Err(Error::illegal_argument(format!(
                "composite source type [{ty}] of [{sname}] is not supported by sluice-store (terms, histogram, date_histogram, geotile_grid)"
            )));
        }
        let mut inner = body.clone();
        let order = inner.remove("order");
        let missing_bucket = match inner.remove("missing_bucket") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => b,
            Some(other) => {
                return Err(parse_error(format!(
                    "[missing_bucket] of composite source [{sname}] must be a boolean, not {other}"
                )));
            }
        };
        let missing_order = inner.remove("missing_order");
        for k in [
            "script",
            "value_type",
            "missing",
            "size",
            "min_doc_count",
            "extended_bounds",
            "keyed",
        ] {
            if inner.contains_key(k) {
                return Err(Error::es(
                    400,
                    "x_content_parse_exception",
                    format!("[{ty}] unknown field [{k}]"),
                ));
            }
        }
        let asc = match order.as_ref().map(|v| v.as_str()) {
            None => true,
            Some(Some("asc")) => true,
            Some(Some("desc")) => false,
            Some(_) => {
                return Err(Error::illegal_argument(format!(
                    "Unknown SortOrder [{}]",
                    order.as_ref().map(Value::to_string).unwrap_or_default()
                )));
            }
        };
        let missing_first = match missing_order.as_ref().map(|v| v.as_str()) {
            None | Some(Some("default")) => asc,
            Some(Some("first")) => true,
            Some(Some("last")) => false,
            Some(_) => {
                return Err(Error::illegal_argument(format!(
                    "Unknown MissingOrder [{}]",
                    missing_order
                        .as_ref()
                        .map(Value::to_string)
                        .unwrap_or_default()
                )));
            }
        };
        if missing_order.is_some()
            && !missing_bucket
            && missing_order.as_ref().and_then(Value::as_str) != Some("default")
        {
            return Err(Error::illegal_argument(
                "missingOrder can only be set if missingBucket is true",
            ));
        }
        // a histogram source takes no `format` in ES (a histogram aggregation does)
        if ty == "histogram" && inner.contains_key("format") {
            return Err(
                Error::x_content("[1:1] [composite] failed to parse field [sources]")
                    .caused_by(Error::x_content("[1:1] [histogram] unknown field [format]")),
            );
        }
        let kind = super::parse_kind(&sname, ty, &Value::Object(inner))?;
        if sources.iter().any(|s| s.name == sname) {
            return Err(Error::x_content(
                "Failed to build [composite] after last required field arrived",
            )
            .caused_by(Error::illegal_argument(format!(
                "Composite source names must be unique, found duplicates: [{sname}]"
            ))));
        }
        sources.push(SourceSpec {
            name: sname,
            kind,
            asc,
            missing_bucket,
            missing_first,
        });
    }
    let after = match o.get("after") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => {
            if m.len() != sources.len() {
                return Err(Error::illegal_argument(format!(
                    "[after] has {} value(s) but [sources] has {}",
                    m.len(),
                    sources.len()
                )));
            }
            let mut vals = Vec::with_capacity(sources.len());
            for s in &sources {
                let v = m.get(&s.name).ok_or_else(|| {
                    Error::illegal_argument(format!("Missing value for [after.{}]", s.name))
                })?;
                if v.is_null() && !s.missing_bucket {
                    return Err(Error::illegal_argument(format!(
                        "Invalid value for [after.{}], expected comparable, got [null]",
                        s.name
                    )));
                }
                vals.push(v.clone());
            }
            Some(vals)
        }
        Some(_) => {
            return Err(parse_error(format!(
                "[after] of [{name}] must be an object"
            )));
        }
    };
    Ok(Kind::Composite(Box::new(CompositeSpec {
        size,
        sources,
        after,
        multi: None,
    })))
}

/// Most terms of one `multi_terms` aggregation (ES's `MAX_TERMS_SIZE`).
const MAX_MULTI_TERMS: usize = 128;

/// Parses a `multi_terms` body: a composite key of terms sources, every bucket kept.
pub(super) fn parse_multi_terms(name: &str, o: &Map<String, Value>) -> Result<Kind> {
    const T: &str = "multi_terms";
    for k in o.keys() {
        if !matches!(
            k.as_str(),
            "terms"
                | "size"
                | "shard_size"
                | "min_doc_count"
                | "shard_min_doc_count"
                | "order"
                | "show_term_doc_count_error"
                | "collect_mode"
        ) {
            return Err(Error::es(
                400,
                "x_content_parse_exception",
                format!("[1:1] [{T}] unknown field [{k}]"),
            ));
        }
    }
    let positive = |key: &str, label: &str| -> Result<Option<i64>> {
        match int_param(o, key, T)? {
            Some(n) if n <= 0 => Err(Error::x_content(format!(
                "[{T}] failed to parse field [{key}]"
            ))
            .caused_by(Error::illegal_argument(format!(
                "[{label}] must be greater than 0. Found [{n}] in [{name}]"
            )))),
            v => Ok(v),
        }
    };
    let size = positive("size", "size")?.map_or(10, |n| usize::try_from(n).unwrap_or(usize::MAX));
    positive("shard_size", "shardSize")?;
    let min_doc_count = match int_param(o, "min_doc_count", T)? {
        None => 1,
        Some(n) if n >= 1 => n as u64,
        Some(n) => {
            return Err(
                Error::x_content(format!("[{T}] failed to parse field [min_doc_count]")).caused_by(
                    Error::illegal_argument(format!(
                        "[minDocCount] must be greater than or equal to 1. Found [{n}] in [{name}]"
                    )),
                ),
            );
        }
    };
    if let Some(n) = int_param(o, "shard_min_doc_count", T)?
        && n < 0
    {
        return Err(
            Error::x_content(format!("[{T}] failed to parse field [shard_min_doc_count]"))
                .caused_by(Error::illegal_argument(format!(
                    "[shardMinDocCount] must be greater than or equal to 0. Found [{n}] in [{name}]"
                ))),
        );
    }
    let show_error = match o.get("show_term_doc_count_error") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
        Some(other) => {
            return Err(Error::x_content(format!(
                "[{T}] failed to parse field [show_term_doc_count_error]: [{other}] is not a boolean"
            )));
        }
    };
    match o.get("collect_mode").map(Value::as_str) {
        None | Some(Some("breadth_first" | "depth_first")) => {}
        Some(other) => {
            return Err(Error::x_content(format!(
                "[{T}] failed to parse field [collect_mode]: unknown collect mode [{}]",
                other.unwrap_or("")
            )));
        }
    }
    let order = o
        .get("order")
        .map(|v| super::parse_order(v, name))
        .transpose()?
        .unwrap_or_default();
    let list = match o.get("terms") {
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => {
            return Err(parse_error(format!(
                "[terms] of [{name}] must be an array of objects"
            )));
        }
        None => &[],
    };
    if list.len() < 2 {
        return Err(Error::illegal_argument(format!(
            "The [terms] parameter in the aggregation [{name}] must be present and have at least 2 fields or scripts.{}",
            if list.len() == 1 {
                " For a single field user terms aggregation."
            } else {
                ""
            }
        )));
    }
    if list.len() > MAX_MULTI_TERMS {
        return Err(Error::illegal_argument(format!(
            "The [terms] parameter in the aggregation [{name}] cannot have more than {MAX_MULTI_TERMS} fields or scripts. Found [{}].",
            list.len()
        )));
    }
    let mut sources = Vec::with_capacity(list.len());
    let mut missing = Vec::with_capacity(list.len());
    for item in list {
        let Some(term) = item.as_object() else {
            return Err(parse_error(format!(
                "each of the [terms] of [{name}] must be an object"
            )));
        };
        for k in term.keys() {
            match k.as_str() {
                "field" | "missing" => {}
                "script" | "format" | "time_zone" | "value_type" => {
                    return Err(Error::illegal_argument(format!(
                        "[{k}] of a [{T}] term is not supported by sluice-store (in [{name}])"
                    )));
                }
                other => {
                    return Err(Error::es(
                        400,
                        "x_content_parse_exception",
                        format!("[1:1] [{T}] unknown field [{other}]"),
                    ));
                }
            }
        }
        let Some(field) = term.get("field").and_then(Value::as_str) else {
            return Err(Error::illegal_argument(format!(
                "[field] must be set for every term of [{name}] (scripts are not supported)"
            )));
        };
        missing.push(term.get("missing").cloned());
        sources.push(SourceSpec {
            name: field.to_owned(),
            kind: Kind::Terms {
                field: field.to_owned(),
                size: usize::MAX,
                order: Vec::new(),
                missing: None,
                min_doc_count: 1,
                rare: None,
                include: None,
                exclude: None,
                significant: None,
                value_type: None,
            },
            asc: true,
            missing_bucket: false,
            missing_first: true,
        });
    }
    Ok(Kind::Composite(Box::new(CompositeSpec {
        size,
        sources,
        after: None,
        multi: Some(Box::new(MultiTerms {
            size,
            order,
            min_doc_count,
            missing,
            show_error,
        })),
    })))
}

/// Compares two keys in the aggregation's order.
pub fn cmp_keys(spec: &CompositeSpec, a: &[Part], b: &[Part]) -> Ordering {
    for (s, (x, y)) in spec.sources.iter().zip(a.iter().zip(b)) {
        let o = match (x, y) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => {
                if s.missing_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (Some(_), None) => {
                if s.missing_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (Some(x), Some(y)) => {
                let o = match (x, y) {
                    (Key::Num(_), Key::Num(_)) => k2f(x).total_cmp(&k2f(y)),
                    _ => x.cmp(y),
                };
                if s.asc { o } else { o.reverse() }
            }
        };
        if o.is_ne() {
            return o;
        }
    }
    Ordering::Equal
}

/// The `after` key as typed parts, for a source of type `ty`.
pub fn after_parts(
    spec: &CompositeSpec,
    types: &[(Option<FieldType>, Vec<date::DateFormat>)],
    now_ms: i64,
) -> Result<Option<Vec<Part>>> {
    let Some(after) = &spec.after else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(after.len());
    for ((s, v), (ty, formats)) in spec.sources.iter().zip(after).zip(types) {
        let bad = || {
            Error::illegal_argument(format!(
                "invalid value [{v}] in [after.{}] for a source of type [{}]",
                s.name,
                ty.map_or("unmapped", FieldType::name)
            ))
        };
        let part = match (v, &s.kind, ty) {
            (Value::Null, _, _) => None,
            (Value::String(t), Kind::Terms { .. }, Some(FieldType::Ip)) => {
                Some(Key::Str(ip::to_term(ip::parse(t).ok_or_else(bad)?)))
            }
            (Value::String(t), Kind::Terms { .. }, Some(FieldType::Keyword) | None) => {
                Some(Key::Str(t.clone()))
            }
            // a date is read in the source's time zone
            (Value::String(t), Kind::DateHistogram { tz, .. }, _) => {
                let zone = tz
                    .as_deref()
                    .map(crate::query::datemath::parse_time_zone)
                    .transpose()?;
                Some(f2k(super::resolve_date(t, formats, zone, now_ms)? as f64))
            }
            (Value::String(t), Kind::Terms { .. }, Some(FieldType::Date)) => {
                Some(f2k(super::resolve_date(t, formats, None, now_ms)? as f64))
            }
            // a tile as `zoom/x/y`
            (Value::String(t), Kind::GeoGrid(_), _) => {
                let mut it = t.split('/').map(str::parse::<u32>);
                match (it.next(), it.next(), it.next(), it.next()) {
                    (Some(Ok(_)), Some(Ok(x)), Some(Ok(y)), None) => Some(tile_part(x, y)),
                    _ => return Err(bad()),
                }
            }
            (Value::Bool(b), Kind::Terms { .. }, Some(FieldType::Boolean)) => {
                Some(f2k(if *b { 1.0 } else { 0.0 }))
            }
            (Value::Number(n), _, _) => Some(f2k(n.as_f64().ok_or_else(bad)?)),
            (Value::String(t), _, _) => Some(f2k(t.trim().parse::<f64>().map_err(|_| bad())?)),
            _ => return Err(bad()),
        };
        out.push(part);
    }
    Ok(Some(out))
}

impl CompositeState {
    /// Whether `key` can still make the page (after `after`, not beyond the cutoff).
    pub fn wants(&self, spec: &CompositeSpec, after: Option<&[Part]>, key: &[Part]) -> bool {
        after.is_none_or(|a| cmp_keys(spec, key, a).is_gt())
            && self
                .cutoff
                .as_ref()
                .is_none_or(|c| cmp_keys(spec, key, c).is_le())
    }

    /// Drops the buckets that can no longer make the page once there are more than twice it.
    pub fn prune(&mut self, spec: &CompositeSpec) {
        if spec.multi.is_some() {
            // ordered by count, not by key: every bucket may make the answer
            return;
        }
        let keep = spec.size.max(1);
        if self.map.len() <= keep.saturating_mul(2).max(64) {
            return;
        }
        let mut keys: Vec<Vec<Part>> = self.map.keys().cloned().collect();
        keys.sort_by(|a, b| cmp_keys(spec, a, b));
        for k in &keys[keep..] {
            self.map.remove(k);
        }
        self.cutoff = keys.into_iter().nth(keep - 1);
    }

    /// Adds what `other` collected.
    pub fn merge(&mut self, spec: &CompositeSpec, other: CompositeState, agg: &Agg) {
        for (k, b) in other.map {
            if !self
                .cutoff
                .as_ref()
                .is_none_or(|c| cmp_keys(spec, &k, c).is_le())
            {
                continue;
            }
            match self.map.get_mut(&k) {
                Some(e) => super::merge_bucket(agg, e, b),
                None => {
                    self.map.insert(k, b);
                }
            }
        }
        if let Some(c) = other.cutoff
            && self
                .cutoff
                .as_ref()
                .is_none_or(|mine| cmp_keys(spec, &c, mine).is_lt())
        {
            self.cutoff = Some(c);
        }
        self.map.retain(|k, _| {
            self.cutoff
                .as_ref()
                .is_none_or(|c| cmp_keys(spec, k, c).is_le())
        });
        self.prune(spec);
    }
}

/// A key part as JSON, for a source over a field of type `ty` (`format` for dates).
pub fn part_json(
    s: &SourceSpec,
    part: &Part,
    ty: Option<FieldType>,
    formats: &[date::DateFormat],
) -> Value {
    let Some(k) = part else {
        return Value::Null;
    };
    match (k, &s.kind, ty) {
        (Key::Str(t), Kind::GeoGrid(g), _) => {
            let (x, y) = t.split_once('/').unwrap_or_default();
            let n = |d: &str| d.trim_start_matches('0').parse::<u32>().unwrap_or(0);
            Value::from(format!("{}/{}/{}", g.precision, n(x), n(y)))
        }
        (Key::Str(t), _, Some(FieldType::Ip)) => Value::from(ip::term_to_display(t)),
        (Key::Str(t), _, _) => Value::from(t.clone()),
        (
            k,
            Kind::DateHistogram {
                format: Some(_),
                tz,
                ..
            },
            _,
        ) => {
            let zone = tz
                .as_deref()
                .and_then(|z| crate::query::datemath::parse_time_zone(z).ok());
            Value::from(date::format_with(k2f(k) as i64, formats, zone))
        }
        (k, Kind::DateHistogram { .. }, _) => Value::from(k2f(k) as i64),
        (k, Kind::Histogram { .. }, _) => super::num_json(k2f(k)),
        (k, _, Some(FieldType::Boolean)) => Value::from(k2f(k) != 0.0),
        (k, _, Some(t)) if t.is_integer() || t == FieldType::Date => Value::from(k2f(k) as i64),
        (k, _, _) => super::num_json(k2f(k)),
    }
}

/// The parts of a source for one document's values (`nums` for numeric sources, `strs` for
/// keyword ones), sorted and deduplicated.
pub fn parts_of(
    s: &SourceSpec,
    nums: &[f64],
    strs: Vec<String>,
    tz: Option<log_model::zone::Zone>,
) -> Vec<Key> {
    let mut keys: Vec<Key> = match &s.kind {
        Kind::Terms { .. } if !strs.is_empty() => strs.into_iter().map(Key::Str).collect(),
        Kind::Terms { .. } => nums.iter().map(|v| f2k(*v)).collect(),
        Kind::Histogram {
            interval, offset, ..
        } => nums
            .iter()
            .map(|v| f2k(((v - offset) / interval).floor() * interval + offset))
            .collect(),
        Kind::DateHistogram {
            interval, offset, ..
        } => nums
            .iter()
            .map(|v| f2k(date_key(*v as i64, interval, tz, *offset) as f64))
            .collect(),
        _ => Vec::new(),
    };
    keys.sort();
    keys.dedup();
    keys
}

/// A tile's part of a composite key: its `x` and `y` as fixed-width digits, so that parts
/// compare as ES orders tiles of one zoom (by `x`, then `y`).
pub fn tile_part(x: u32, y: u32) -> Key {
    Key::Str(format!("{x:09}/{y:09}"))
}

/// The tiles of a document's points for a `geotile_grid` source, sorted and deduplicated.
pub fn tile_parts(cells: impl Iterator<Item = i64>) -> Vec<Key> {
    let mut keys: Vec<Key> = cells
        .map(|c| {
            let (x, y) = (c as u64 >> 29, c as u64 & ((1 << 29) - 1));
            tile_part(x as u32, y as u32)
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Every combination of the sources' parts (`None` stands for a missing value), in order.
pub fn combinations(per_source: &[Vec<Part>]) -> Vec<Vec<Part>> {
    let mut out: Vec<Vec<Part>> = vec![Vec::with_capacity(per_source.len())];
    for parts in per_source {
        let mut next = Vec::with_capacity(out.len() * parts.len());
        for prefix in &out {
            for p in parts {
                let mut k = prefix.clone();
                k.push(p.clone());
                next.push(k);
            }
        }
        out = next;
    }
    out
}

/// The response body: the page of buckets after `after`, and the last one's key as
/// `after_key`.
pub fn render_page<'a>(
    spec: &CompositeSpec,
    st: &'a CompositeState,
    after: Option<&[Part]>,
    key_json: impl Fn(&[Part]) -> Value,
    mut body: impl FnMut(&'a Bucket, Map<String, Value>) -> Result<Value>,
) -> Result<Value> {
    let mut keys: Vec<(&Vec<Part>, &Bucket)> = st
        .map
        .iter()
        .filter(|(k, _)| after.is_none_or(|a| cmp_keys(spec, k, a).is_gt()))
        .collect();
    keys.sort_by(|a, b| cmp_keys(spec, a.0, b.0));
    keys.truncate(spec.size);
    let mut buckets = Vec::with_capacity(keys.len());
    let mut last = None;
    for (k, b) in keys {
        let kj = key_json(k);
        last = Some(kj.clone());
        let head = Map::from_iter([("key".to_owned(), kj)]);
        buckets.push(body(b, head)?);
    }
    Ok(match last {
        Some(after_key) => json!({"after_key": after_key, "buckets": buckets}),
        None => json!({"buckets": buckets}),
    })
}
