//! Aggregations over fast-field columns, with ES's request and response shapes.
//!
//! [`parse`] validates the request (mapping-independent); [`Collector`] is built per segment,
//! collects matching docs into mergeable [`State`]; [`render`] produces ES JSON.

pub mod cardinality;
pub mod composite;
pub mod geo;
pub mod hdr;
pub mod percentiles;
pub mod pipeline;
pub mod script;
pub mod top;

use std::collections::{BTreeMap, HashMap};

use log_model::zone::Zone;
use serde_json::{Map, Value, json};
use tantivy::columnar::{Column, NumericalType, StrColumn};
use tantivy::query::{EnableScoring, Query};
use tantivy::{DocId, DocSet, SegmentReader, TERMINATED};

use self::cardinality::{Distinct, OrdSet};
use crate::error::{Error, Result};
use crate::mapping::date::{self, DateFormat};
use crate::mapping::{FieldType, Mapping, ip};
use crate::query::{self, Q, datemath};
use crate::search::SortKey;

/// How `significant_terms` scores a term, from its count in the foreground set (the
/// documents of the bucket above, or of the query) and in the background set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heuristic {
    /// JLH (the default): the change in the term's share of the set, absolute times relative.
    Jlh,
    /// The foreground count over the background count.
    Percentage,
}

impl Heuristic {
    /// The score of a term seen `fg` times in `fg_size` documents and `bg` times in `bg_size`.
    pub fn score(self, fg: u64, fg_size: u64, bg: u64, bg_size: u64) -> f64 {
        match self {
            Heuristic::Jlh => {
                if fg_size == 0 || bg_size == 0 {
                    return 0.0;
                }
                // a background that is not a superset may lack a foreground term
                let bg = bg.max(1);
                let p_fg = fg as f64 / fg_size as f64;
                let p_bg = bg as f64 / bg_size as f64;
                let absolute = p_fg - p_bg;
                if absolute <= 0.0 {
                    return 0.0;
                }
                absolute * (p_fg / p_bg)
            }
            Heuristic::Percentage => {
                if bg == 0 {
                    return 0.0;
                }
                fg as f64 / bg as f64
            }
        }
    }
}

/// The options of a `significant_terms` aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct Significant {
    /// The scoring.
    pub heuristic: Heuristic,
    /// `background_filter` as given (the background is every searched document without it).
    pub background: Option<Value>,
}

/// The background set of a `significant_terms` aggregation: its size and each term's count.
#[derive(Debug, Clone, Default)]
pub struct Background {
    /// Documents in the background set.
    pub size: u64,
    /// Documents with each term.
    pub counts: FastMap<Key, u64>,
}

/// Calendar or fixed interval.
#[derive(Debug, Clone, PartialEq)]
pub enum Interval {
    /// Fixed milliseconds.
    Fixed(i64),
    /// Calendar unit (`m`,`h`,`d`,`w`,`M`,`q`,`y`).
    Calendar(u8),
}

/// Bucket ordering.
#[derive(Debug, Clone, PartialEq)]
pub enum Order {
    /// by doc count
    Count(bool),
    /// by key
    Key(bool),
    /// by a single-value metric sub-aggregation (`name` or `name.stat`)
    Metric(String, bool),
}

/// A metric kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// avg
    Avg,
    /// min
    Min,
    /// max
    Max,
    /// sum
    Sum,
    /// stats
    Stats,
    /// extended_stats
    ExtendedStats,
    /// value_count
    ValueCount,
    /// cardinality
    Cardinality,
    /// percentiles
    Percentiles,
    /// percentile_ranks (the values ranked are the `percents`)
    PercentileRanks,
    /// median_absolute_deviation (over the same values as `percentiles`)
    MedianAbsoluteDeviation,
}

/// One aggregation request.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// terms (and rare_terms: `rare` is its `max_doc_count`)
    Terms {
        field: String,
        size: usize,
        order: Vec<Order>,
        missing: Option<Value>,
        min_doc_count: u64,
        rare: Option<u64>,
        /// `include` / `exclude`
        include: Option<TermSet>,
        exclude: Option<TermSet>,
        /// `significant_terms`: buckets scored against a background set
        significant: Option<Box<Significant>>,
        /// `value_type`: the type an unmapped field's `missing` value is read as
        value_type: Option<FieldType>,
    },
    /// date_histogram
    DateHistogram {
        field: String,
        interval: Interval,
        min_doc_count: u64,
        bounds: Option<(Value, Value)>,
        tz: Option<String>,
        format: Option<String>,
        offset: i64,
    },
    /// histogram
    Histogram {
        field: String,
        interval: f64,
        min_doc_count: u64,
        bounds: Option<(f64, f64)>,
        offset: f64,
        /// `format`: a Java `DecimalFormat` pattern for `key_as_string`
        format: Option<crate::mapping::decimal::DecimalFormat>,
    },
    /// range (and date_range, whose `format` and `time_zone` it keeps)
    Range {
        field: String,
        ranges: Vec<RangeSpec>,
        keyed: bool,
        /// `date_range`: its date options
        date: Option<DateRangeOpts>,
        /// `geo_distance`: the ranges are of distances from a point
        geo: Option<GeoDistanceOpts>,
        /// `missing`: the value of documents without one (read as the bounds are)
        missing: Option<Bound>,
    },
    /// ip_range
    IpRange {
        field: String,
        /// sorted as ES sorts them: by `from` (unbounded first), then by `to` (unbounded last)
        ranges: Vec<IpRangeSpec>,
        keyed: bool,
        /// the address of documents without a value
        missing: Option<u128>,
    },
    /// filter
    Filter(Q),
    /// `nested`: the nested documents of this `nested` object path under each document
    Nested(String),
    /// filters
    Filters {
        filters: Vec<(String, Q)>,
        keyed: bool,
        other_bucket: Option<String>,
    },
    /// a metric
    Metric {
        metric: Metric,
        field: String,
        missing: Option<Value>,
        percents: Vec<f64>,
        /// `cardinality`: exact up to this many distinct values (ES's default 3000, at most
        /// 40000)
        precision_threshold: u32,
        /// `extended_stats`: standard deviations of `std_deviation_bounds`
        sigma: f64,
        /// `median_absolute_deviation`: the digest's compression
        compression: f64,
        /// `percentiles` / `percentile_ranks` with the `hdr` method: its significant digits
        hdr: Option<u8>,
        /// `percentiles` / `percentile_ranks`: values as an object (else an array)
        keyed: bool,
    },
    /// missing: the documents without a value of `field`
    Missing {
        field: String,
        /// a `missing` value was given: every document then has one, none is missing
        filled: bool,
    },
    /// weighted_avg: `value` and `weight` fields, each with its `missing`
    WeightedAvg {
        value: String,
        weight: String,
        value_missing: Option<f64>,
        weight_missing: Option<f64>,
    },
    /// top_hits
    TopHits(Box<top::TopHits>),
    /// top_metrics
    TopMetrics(Box<top::TopMetrics>),
    /// geohash_grid / geotile_grid
    GeoGrid(Box<geo::GridSpec>),
    /// geo_bounds / geo_centroid
    GeoMetric(geo::PointMetric),
    /// a pipeline aggregation (computed from other aggregations' answers)
    Pipeline(Box<pipeline::Pipeline>),
    /// composite
    Composite(Box<composite::CompositeSpec>),
}

impl Kind {
    /// A metric aggregation (no sub-aggregations): its type name.
    fn metric_type(&self) -> Option<&'static str> {
        match self {
            Kind::Metric { metric, .. } => Some(metric_name(*metric)),
            Kind::TopHits(_) => Some("top_hits"),
            Kind::TopMetrics(_) => Some("top_metrics"),
            Kind::GeoMetric(m) => Some(m.name()),
            Kind::Pipeline(p) => Some(p.ty),
            Kind::WeightedAvg { .. } => Some("weighted_avg"),
            _ => None,
        }
    }

    /// The aggregation's type name.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Kind::Terms { rare: Some(_), .. } => "rare_terms",
            Kind::Terms {
                significant: Some(_),
                ..
            } => "significant_terms",
            Kind::Terms { .. } => "terms",
            Kind::DateHistogram { .. } => "date_histogram",
            Kind::Histogram { .. } => "histogram",
            Kind::Range { geo: Some(_), .. } => "geo_distance",
            Kind::Range { date: Some(_), .. } => "date_range",
            Kind::Range { .. } => "range",
            Kind::IpRange { .. } => "ip_range",
            Kind::Filter(_) => "filter",
            Kind::Nested(_) => "nested",
            Kind::Filters { .. } => "filters",
            Kind::Metric { metric, .. } => metric_name(*metric),
            Kind::TopHits(_) => "top_hits",
            Kind::TopMetrics(_) => "top_metrics",
            Kind::GeoGrid(g) => g.grid.name(),
            Kind::GeoMetric(m) => m.name(),
            Kind::Pipeline(p) => p.ty,
            Kind::Composite(c) if c.multi.is_some() => "multi_terms",
            Kind::Composite(_) => "composite",
            Kind::Missing { .. } => "missing",
            Kind::WeightedAvg { .. } => "weighted_avg",
        }
    }

    /// The name of a geo aggregation's type (for its errors).
    fn geo_name(&self) -> &'static str {
        match self {
            Kind::GeoGrid(g) => g.grid.name(),
            Kind::GeoMetric(m) => m.name(),
            _ => "",
        }
    }

    /// `top_hits` / `top_metrics`: the sort they rank by and how many hits a bucket keeps.
    fn top_sort(&self) -> Option<(Vec<SortKey>, usize)> {
        match self {
            Kind::TopHits(t) => Some((t.effective_sort(), t.from + t.size)),
            Kind::TopMetrics(t) => Some((vec![t.sort.clone()], t.size)),
            _ => None,
        }
    }
}

/// Whether any aggregation of `aggs` needs the documents' scores (`top_hits` by score or with
/// `track_scores`, `top_metrics` by score).
pub fn needs_scores(aggs: &[Agg]) -> bool {
    aggs.iter().any(|a| {
        let own = match &a.kind {
            Kind::TopHits(t) => t.needs_scores(),
            Kind::TopMetrics(t) => matches!(t.sort, SortKey::Score(_)),
            _ => false,
        };
        own || needs_scores(&a.subs)
    })
}

/// A bound of a `range` bucket: a number, or a string resolved against the field (a date or
/// date math on date fields, a number elsewhere).
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    /// a number
    Num(f64),
    /// a string, resolved once the field's type is known
    Str(String),
}

/// The terms an `include` or `exclude` names: a Lucene regexp (string fields) or values.
#[derive(Debug, Clone, PartialEq)]
pub enum TermSet {
    /// a regular expression over the whole term
    Pattern(String),
    /// exact values
    Values(Vec<Value>),
    /// `{partition, num_partitions}`: the terms whose hash falls in one of `num` partitions
    Partition {
        /// the zero-based partition kept
        partition: u32,
        /// how many partitions the terms are spread over
        num: u32,
    },
}

impl TermSet {
    /// The `k` member (`include` or `exclude`) of a `t` aggregation, if given.
    fn of(o: &Map<String, Value>, k: &str, t: &str) -> Result<Option<TermSet>> {
        o.get(k).map(|v| TermSet::parse(v, k, t)).transpose()
    }

    fn parse(v: &Value, k: &str, t: &str) -> Result<TermSet> {
        match v {
            Value::String(s) => {
                crate::query::regexp::compile(s, crate::query::regexp::Flags::ALL, false)?;
                Ok(TermSet::Pattern(s.clone()))
            }
            Value::Array(a) => Ok(TermSet::Values(a.clone())),
            Value::Object(o) if k == "include" => {
                let (mut partition, mut num) = (None, None);
                for (key, v) in o {
                    let n = v
                        .as_i64()
                        .and_then(|n| i32::try_from(n).ok())
                        .ok_or_else(|| {
                            Error::x_content(format!("[{t}] failed to parse field [{k}]"))
                        })?;
                    match key.as_str() {
                        "partition" => partition = Some(n),
                        "num_partitions" => num = Some(n),
                        other => {
                            return Err(Error::es(
                                400,
                                "parse_exception",
                                format!("Unknown parameter in Include/Exclude clause: {other}"),
                            ));
                        }
                    }
                }
                let partition = partition.ok_or_else(|| {
                    Error::illegal_argument(
                        "Missing [partition] parameter for partition-based include",
                    )
                })?;
                let num = num.ok_or_else(|| {
                    Error::illegal_argument(
                        "Missing [num_partitions] parameter for partition-based include",
                    )
                })?;
                if partition < 0 || partition >= num {
                    return Err(
                        Error::x_content(format!("[{t}] failed to parse field [{k}]")).caused_by(
                            Error::illegal_argument(format!(
                                "Partition must be >=0 and < numPartition which is {num}"
                            )),
                        ),
                    );
                }
                Ok(TermSet::Partition {
                    partition: partition as u32,
                    num: num as u32,
                })
            }
            _ => Err(Error::x_content(format!(
                "[{t}] failed to parse field [{k}]"
            ))),
        }
    }
}

/// The partition (of `num`) of a bucket's key, as ES's partition-based `include` spreads
/// terms: a string by Lucene's `murmurhash3_x86_32` of its bytes (seed 31; an address by its
/// 16 bytes), a number by HPPC's `mix64` of its long (a double's sortable long).
fn partition_of(k: &Key, ty: Option<FieldType>, num: u32) -> u32 {
    let n = i64::from(num);
    match k {
        Key::Str(s) => {
            let h = match ip::from_term(s) {
                Some(a) if ty == Some(FieldType::Ip) => {
                    crate::engine::routing::murmur3_32(&a.to_be_bytes(), 31)
                }
                _ => crate::engine::routing::murmur3_32(s.as_bytes(), 31),
            };
            i64::from(h as i32).rem_euclid(n) as u32
        }
        Key::Num(_) => {
            let x = k2f(k);
            let long = if ty.is_some_and(FieldType::is_float) {
                let bits = x.to_bits() as i64;
                bits ^ ((bits >> 63) & i64::MAX)
            } else {
                x as i64
            };
            mix64(long).rem_euclid(n) as u32
        }
        Key::Ord(o) => (*o % u64::from(num)) as u32,
    }
}

/// HPPC's `BitMixer.mix64`.
fn mix64(z: i64) -> i64 {
    let mut z = z as u64;
    z = (z ^ (z >> 32)).wrapping_mul(0x4cd6_944c_5cc2_0b6d);
    z = (z ^ (z >> 29)).wrapping_mul(0xfc12_c5b1_9d32_59e9);
    (z ^ (z >> 32)) as i64
}

/// Whether a bucket's term passes `include` and `exclude` (`text`: the term as written; `num`:
/// its number, on numeric fields; `part`: its partition of a number of them).
fn term_passes(
    include: Option<&TermSet>,
    exclude: Option<&TermSet>,
    compiled: &[Option<regex::Regex>; 2],
    text: &str,
    num: Option<f64>,
    dates: Option<&[DateFormat]>,
    part: &dyn Fn(u32) -> u32,
) -> bool {
    // a value given as text is read as the field reads it: a date by its formats
    let number = |s: &str| match dates {
        Some(formats) => crate::mapping::date::parse_date_str(s.trim(), formats, None)
            .map(|ms| ms as f64)
            .or_else(|| s.trim().parse::<f64>().ok()),
        None => s.trim().parse::<f64>().ok(),
    };
    let hit = |set: &TermSet, re: &Option<regex::Regex>| match set {
        TermSet::Pattern(_) => re.as_ref().is_some_and(|r| r.is_match(text)),
        TermSet::Values(vs) => vs.iter().any(|v| match (v, num) {
            (Value::Number(n), Some(x)) => n.as_f64() == Some(x),
            (Value::String(s), Some(x)) => number(s) == Some(x),
            (Value::String(s), None) => s == text,
            (Value::Number(n), None) => n.to_string() == text,
            (Value::Bool(b), None) => (if *b { "true" } else { "false" }) == text,
            _ => false,
        }),
        TermSet::Partition { partition, num } => part(*num) == *partition,
    };
    include.is_none_or(|s| hit(s, &compiled[0])) && !exclude.is_some_and(|s| hit(s, &compiled[1]))
}

/// `geo_distance`'s own options: ranges of the distance from `origin`, in `unit`.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoDistanceOpts {
    /// `origin`
    pub origin: crate::mapping::geo::GeoPoint,
    /// metres in one `unit` (default `m`)
    pub unit: f64,
    /// `distance_type: plane` (else `arc`)
    pub plane: bool,
}

impl GeoDistanceOpts {
    /// The distance of an encoded point from the origin, in the unit.
    fn distance(&self, v: i64) -> f64 {
        let p = crate::mapping::geo::decode(v);
        let metres = if self.plane {
            // ES's `GeoUtils.planeDistance`: flat earth at the mean latitude
            let x = (p.lon - self.origin.lon).to_radians()
                * ((p.lat + self.origin.lat) / 2.0).to_radians().cos();
            let y = (p.lat - self.origin.lat).to_radians();
            (x * x + y * y).sqrt() * 6_371_008.771_4
        } else {
            crate::mapping::geo::arc_distance(self.origin, p)
        };
        metres / self.unit
    }
}

/// `origin`, `unit` and `distance_type` of a `geo_distance` aggregation.
fn parse_geo_distance(o: &Map<String, Value>, name: &str) -> Result<GeoDistanceOpts> {
    let origin = o
        .get("origin")
        .ok_or_else(|| Error::x_content(format!("Required [origin] for [{name}]")))?;
    let origin = crate::mapping::geo::parse_point(origin, true, "origin")?;
    let unit = match o.get("unit").and_then(Value::as_str) {
        None => 1.0,
        Some(u) => {
            let known = matches!(
                u,
                "nauticalmiles"
                    | "millimeters"
                    | "centimeters"
                    | "kilometers"
                    | "meters"
                    | "miles"
                    | "yards"
                    | "inch"
                    | "feet"
                    | "nmi"
                    | "NM"
                    | "km"
                    | "mm"
                    | "cm"
                    | "mi"
                    | "yd"
                    | "ft"
                    | "in"
                    | "m"
            );
            if !known {
                return Err(
                    Error::x_content("[geo_distance] failed to parse field [unit]").caused_by(
                        Error::illegal_argument(format!("No distance unit match [{u}]")),
                    ),
                );
            }
            crate::mapping::geo::parse_distance(&Value::from(format!("1{u}")))?
        }
    };
    let plane = match o.get("distance_type").and_then(Value::as_str) {
        None | Some("arc") => false,
        Some("plane") => true,
        Some(other) => {
            return Err(Error::illegal_argument(format!(
                "No type found for name [{other}]"
            )));
        }
    };
    Ok(GeoDistanceOpts {
        origin,
        unit,
        plane,
    })
}

/// `date_range`'s own options.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DateRangeOpts {
    /// `format` of the bounds given as strings and of the `*_as_string` answers
    pub format: Option<String>,
    /// `time_zone` of bounds without one (and of date-math rounding)
    pub time_zone: Option<String>,
}

/// One bucket of a `range` aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSpec {
    /// `key`
    pub key: Option<String>,
    /// `from` (inclusive)
    pub from: Option<Bound>,
    /// `to` (exclusive)
    pub to: Option<Bound>,
}

/// One bucket of an `ip_range` aggregation, its bounds resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct IpRangeSpec {
    /// `key`, or the `mask` when there is no key
    pub key: Option<String>,
    /// inclusive lower bound
    pub from: Option<u128>,
    /// exclusive upper bound
    pub to: Option<u128>,
}

impl IpRangeSpec {
    fn parse(r: &Value) -> Result<IpRangeSpec> {
        let failed = |cause: Error| {
            Error::x_content("[ip_range] failed to parse field [ranges]").caused_by(cause)
        };
        let r = r.as_object().ok_or_else(|| {
            failed(Error::parsing(format!(
                "[ranges] must contain objects, but hit a {}",
                crate::search::token_name(r)
            )))
        })?;
        let text = |v: &Value| match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        };
        let (mut key, mut from, mut to, mut mask) = (None, None, None, None);
        for (k, v) in r {
            match k.as_str() {
                "key" => key = text(v),
                "from" => from = text(v),
                "to" => to = text(v),
                "mask" => mask = text(v),
                other => {
                    return Err(failed(Error::parsing(format!(
                        "Unexpected ip range parameter: [{other}]"
                    ))));
                }
            }
        }
        if let Some(mask) = mask {
            // as ES: a mask wins over `from` and `to`, and is the key unless one is given
            let (lo, hi) = ip::parse_cidr(&mask).map_err(failed)?;
            return Ok(IpRangeSpec {
                key: Some(key.unwrap_or(mask)),
                from: (lo != 0).then_some(lo),
                to: hi.checked_add(1),
            });
        }
        let addr = |t: Option<String>| t.map(|t| ip::parse_or_err(&t)).transpose().map_err(failed);
        Ok(IpRangeSpec {
            key,
            from: addr(from)?,
            to: addr(to)?,
        })
    }
}

impl Bound {
    fn parse(v: &Value, agg: &str, k: &str) -> Result<Option<Bound>> {
        Ok(match v {
            Value::Null => None,
            Value::Number(n) => n.as_f64().map(Bound::Num),
            Value::String(s) => Some(Bound::Str(s.clone())),
            other => {
                return Err(Error::es(
                    400,
                    "x_content_parse_exception",
                    format!(
                        "[range] failed to parse field [{k}]: unsupported value type [{}] in [{agg}]",
                        crate::search::token_name(other)
                    ),
                ));
            }
        })
    }

    /// The bound as a number for a field of type `ty` (`formats` for dates).
    fn resolve(
        &self,
        ty: Option<FieldType>,
        formats: &[DateFormat],
        tz: Option<Zone>,
        now_ms: i64,
    ) -> Result<f64> {
        match self {
            // a number on a date field is read as text with the field's formats, its
            // fraction dropped, as ES reads it (`1000` is the year 1000 by the default
            // format, 1000 seconds by `epoch_second`)
            Bound::Num(n) if ty == Some(FieldType::Date) => {
                resolve_date(&format!("{}", n.trunc() as i64), formats, tz, now_ms)
                    .map(|ms| ms as f64)
            }
            Bound::Num(n) => Ok(*n),
            Bound::Str(s) if ty == Some(FieldType::Date) => {
                resolve_date(s, formats, tz, now_ms).map(|ms| ms as f64)
            }
            Bound::Str(s) => s.trim().parse::<f64>().map_err(|_| {
                Error::es(
                    400,
                    "number_format_exception",
                    format!("For input string: \"{s}\""),
                )
            }),
        }
    }
}

/// A date or date-math string read with the field's `formats` (ES's default when it has none).
pub(crate) fn resolve_date(
    s: &str,
    formats: &[DateFormat],
    tz: Option<Zone>,
    now_ms: i64,
) -> Result<i64> {
    let default;
    let formats = if formats.is_empty() {
        default = date::parse_formats(date::DEFAULT_FORMAT).unwrap_or_default();
        &default
    } else {
        formats
    };
    datemath::resolve(s, formats, tz, now_ms, false)
}

/// The numeric bounds of `ranges` on a field of type `ty`.
fn resolve_bounds(
    ranges: &[RangeSpec],
    ty: Option<FieldType>,
    formats: &[DateFormat],
    date: Option<&DateRangeOpts>,
    now_ms: i64,
) -> Result<Vec<(Option<f64>, Option<f64>)>> {
    let tz = date
        .and_then(|d| d.time_zone.as_deref())
        .map(datemath::parse_time_zone)
        .transpose()?;
    let own;
    let formats = match date.and_then(|d| d.format.as_deref()) {
        Some(f) => {
            own = date::parse_formats(f).map_err(Error::illegal_argument)?;
            &own
        }
        None => formats,
    };
    let one = |b: &Option<Bound>| {
        b.as_ref()
            .map(|b| b.resolve(ty, formats, tz, now_ms))
            .transpose()
    };
    ranges
        .iter()
        .map(|r| Ok((one(&r.from)?, one(&r.to)?)))
        .collect()
}

/// Reads a number with ES's coercion (`5`, `5.0`, `"5"`), as an ES object parser does; a wrong
/// type or an unparsable string is ES's `x_content_parse_exception`.
fn num_param(o: &Map<String, Value>, k: &str, t: &str) -> Result<Option<f64>> {
    let failed = |cause: Option<Error>| {
        let e = Error::es(
            400,
            "x_content_parse_exception",
            format!("[{t}] failed to parse field [{k}]"),
        );
        match cause {
            Some(c) => e.caused_by(c),
            None => e,
        }
    };
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => s.trim().parse::<f64>().map(Some).map_err(|_| {
            failed(Some(Error::es(
                400,
                "number_format_exception",
                format!("For input string: \"{s}\""),
            )))
        }),
        Some(other) => Err(Error::es(
            400,
            "x_content_parse_exception",
            format!(
                "[{t}] {k} doesn't support values of type: {}",
                crate::search::token_name(other)
            ),
        )),
    }
}

/// An integer with ES's coercion (fractions truncated, as `XContentParser::intValue` does).
fn int_param(o: &Map<String, Value>, k: &str, t: &str) -> Result<Option<i64>> {
    Ok(num_param(o, k, t)?.map(|f| f.trunc() as i64))
}

/// A boolean: `true`/`false` or their strings.
fn bool_param(o: &Map<String, Value>, k: &str, t: &str) -> Result<Option<bool>> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
        Some(other) => Err(Error::es(
            400,
            "x_content_parse_exception",
            format!("[{t}] failed to parse field [{k}]"),
        )
        .caused_by(Error::illegal_argument(format!(
            "Failed to parse value [{}] as only [true] or [false] are allowed.",
            other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_owned)
        )))),
    }
}

/// A named aggregation with sub-aggregations.
#[derive(Debug, Clone, PartialEq)]
pub struct Agg {
    /// Name.
    pub name: String,
    /// What it computes.
    pub kind: Kind,
    /// Sub-aggregations.
    pub subs: Vec<Agg>,
    /// `meta`, echoed in the response.
    pub meta: Option<Map<String, Value>>,
}

fn perr(msg: impl Into<String>) -> Error {
    Error::parsing(msg)
}

fn get_str(o: &Map<String, Value>, k: &str, agg: &str) -> Result<String> {
    o.get(k)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| perr(format!("Required [{k}] for aggregation [{agg}]")))
}

fn parse_fixed(s: &str) -> Option<i64> {
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().ok()?;
    let mult = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    Some(n * mult)
}

fn parse_calendar(s: &str) -> Option<u8> {
    Some(match s {
        "minute" | "1m" => b'm',
        "hour" | "1h" => b'h',
        "day" | "1d" => b'd',
        "week" | "1w" => b'w',
        "month" | "1M" => b'M',
        "quarter" | "1q" => b'q',
        "year" | "1y" => b'y',
        _ => return None,
    })
}

fn parse_order(v: &Value, agg: &str) -> Result<Vec<Order>> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for it in items {
        let o = it
            .as_object()
            .ok_or_else(|| perr(format!("[order] must be an object in [{agg}]")))?;
        for (k, dir) in o {
            let asc = match dir.as_str() {
                Some("asc") => true,
                Some("desc") => false,
                _ => return Err(perr(format!("Unknown order direction [{dir}]"))),
            };
            out.push(match k.as_str() {
                "_count" => Order::Count(asc),
                "_key" | "_term" => Order::Key(asc),
                other => Order::Metric(other.to_owned(), asc),
            });
        }
    }
    Ok(out)
}

/// Parses the `aggs`/`aggregations` object.
pub fn parse(v: &Value) -> Result<Vec<Agg>> {
    let aggs = parse_level(v)?;
    pipeline::validate(&aggs, None)?;
    Ok(aggs)
}

/// Parses one level of aggregations and those below it.
fn parse_level(v: &Value) -> Result<Vec<Agg>> {
    let o = v
        .as_object()
        .ok_or_else(|| perr("[aggs] must be an object"))?;
    let mut out = Vec::new();
    for (name, def) in o {
        let d = def
            .as_object()
            .ok_or_else(|| perr(format!("Expected [START_OBJECT] under [{name}]")))?;
        let mut kind = None;
        let mut subs = Vec::new();
        let mut meta = None;
        for (k, body) in d {
            match k.as_str() {
                "aggs" | "aggregations" => subs = parse_level(body)?,
                "meta" => match body {
                    Value::Object(m) => meta = Some(m.clone()),
                    other => {
                        return Err(perr(format!(
                            "Expected [START_OBJECT] under [meta], but got a [{}] in [{name}]",
                            crate::search::token_name(other)
                        )));
                    }
                },
                t => {
                    if kind.is_some() {
                        return Err(perr(format!(
                            "Found two aggregation type definitions in [{name}]: [{t}]"
                        )));
                    }
                    kind = Some(parse_kind(name, t, body)?);
                }
            }
        }
        let kind =
            kind.ok_or_else(|| perr(format!("Missing definition for aggregation [{name}]")))?;
        if matches!(kind, Kind::Pipeline(_)) && !subs.is_empty() {
            return Err(Error::illegal_argument(format!(
                "Aggregation [{name}] cannot define sub-aggregations"
            )));
        }
        if let Some(t) = kind.metric_type()
            && !subs.is_empty()
        {
            return Err(Error::illegal_argument(format!(
                "Aggregator [{name}] of type [{t}] cannot accept sub-aggregations"
            )));
        }
        out.push(Agg {
            name: name.clone(),
            kind,
            subs,
            meta,
        });
    }
    Ok(out)
}

/// `percentiles` / `percentile_ranks`: the `tdigest` method's `compression` (`Some` when
/// given), with ES's validation; the `hdr` method is checked as ES checks it, then refused by
/// name. Other aggregations take neither.
fn percentile_method(
    o: &Map<String, Value>,
    t: &str,
    name: &str,
) -> Result<(Option<f64>, Option<u8>)> {
    let takes = matches!(t, "percentiles" | "percentile_ranks");
    for key in ["tdigest", "hdr"] {
        if o.contains_key(key) && !takes {
            return Err(Error::es(
                400,
                "x_content_parse_exception",
                format!("[1:1] [{t}] unknown field [{key}]"),
            )
            .with("aggregation", name));
        }
    }
    if let Some(h) = o.get("hdr") {
        let digits = h
            .get("number_of_significant_value_digits")
            .map_or(Some(3), Value::as_i64);
        if !digits.is_some_and(|d| (0..=5).contains(&d)) {
            return Err(
                Error::x_content(format!("[{t}] failed to parse field [hdr]")).caused_by(
                    Error::x_content(
                        "[hdr] failed to parse field [number_of_significant_value_digits]",
                    )
                    .caused_by(Error::illegal_argument(
                        "[numberOfSignificantValueDigits] must be between 0 and 5",
                    )),
                ),
            );
        }
        if o.contains_key("tdigest") {
            return Err(Error::es(
                400,
                "x_content_parse_exception",
                format!("[1:1] [{t}] failed to parse field [tdigest]"),
            )
            .caused_by(Error::illegal_argument(format!(
                "Unable to set [tdigest] method on [{t}] aggregation because the method was already set to [hdr]."
            ))));
        }
        return Ok((None, digits.and_then(|d| u8::try_from(d).ok())));
    }
    let Some(td) = o.get("tdigest") else {
        return Ok((None, None));
    };
    let td = td
        .as_object()
        .ok_or_else(|| Error::x_content(format!("[{t}] failed to parse field [tdigest]")))?;
    let mut compression = 100.0;
    for (k, v) in td {
        match k.as_str() {
            "compression" => {
                compression = v.as_f64().ok_or_else(|| {
                    Error::x_content(format!("[{t}] failed to parse field [compression]"))
                })?;
                if compression < 0.0 {
                    return Err(Error::x_content(format!(
                        "[{t}] failed to parse field [tdigest]"
                    ))
                    .caused_by(
                        Error::x_content("[tdigest] failed to parse field [compression]")
                            .caused_by(Error::illegal_argument(format!(
                                "[compression] must be greater than or equal to 0. Found [{}] in [{name}]",
                                java_double(compression)
                            ))),
                    ));
                }
            }
            "execution_hint" => {
                let h = v.as_str().unwrap_or_default();
                match h {
                    "default" => {}
                    "high_accuracy" => {
                        return Err(Error::illegal_argument(
                            "[execution_hint] = high_accuracy of [tdigest] is not supported by sluice-store (its default digest is)",
                        ));
                    }
                    other => {
                        return Err(Error::illegal_argument(format!(
                            "Invalid execution_hint [{other}], valid values are [default, high_accuracy]"
                        )));
                    }
                }
            }
            other => {
                return Err(Error::x_content(format!(
                    "[1:1] [tdigest] unknown field [{other}]"
                )));
            }
        }
    }
    Ok((Some(compression.max(1.0)), None))
}

/// `value_type` as a field type (the types an unmapped field's `missing` can be read as).
fn value_type_of(o: &Map<String, Value>) -> Option<FieldType> {
    Some(match o.get("value_type")?.as_str()? {
        "string" => FieldType::Keyword,
        "long" | "integer" | "short" | "byte" | "number" | "numeric" => FieldType::Long,
        "double" | "float" => FieldType::Double,
        "date" => FieldType::Date,
        "ip" => FieldType::Ip,
        "boolean" => FieldType::Boolean,
        _ => return None,
    })
}

fn check_keys(o: &Map<String, Value>, allowed: &[&str], agg: &str, t: &str) -> Result<()> {
    for k in o.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(Error::es(
                400,
                "x_content_parse_exception",
                format!(
                    "[1:1] [{t}] unknown field [{k}]{}",
                    crate::http::params::did_you_mean(k, allowed)
                ),
            )
            .with("aggregation", agg));
        }
    }
    Ok(())
}

fn parse_kind(name: &str, t: &str, body: &Value) -> Result<Kind> {
    let o = body
        .as_object()
        .ok_or_else(|| perr(format!("[{t}] in [{name}] must be an object")))?;
    let min_doc = |default: u64| -> Result<u64> {
        match int_param(o, "min_doc_count", t)? {
            None => Ok(default),
            Some(n) if n >= 0 => Ok(n as u64),
            Some(n) => Err(Error::illegal_argument(format!(
                "[minDocCount] must be greater than or equal to 0. Found [{n}] in [{name}]"
            ))),
        }
    };
    Ok(match t {
        "terms" => {
            if !o.contains_key("field") && !o.contains_key("script") {
                return Err(Error::illegal_argument(
                    "Required one of fields [field, script], but none were specified.",
                ));
            }
            check_keys(
                o,
                &[
                    "field",
                    "size",
                    "order",
                    "missing",
                    "min_doc_count",
                    "shard_size",
                    "show_term_doc_count_error",
                    "include",
                    "exclude",
                    "execution_hint",
                    "collect_mode",
                    "value_type",
                ],
                name,
                t,
            )?;
            terms_hints(o)?;
            Kind::Terms {
                field: get_str(o, "field", name)?,
                size: match int_param(o, "size", t)? {
                    None => 10,
                    Some(n) if n > 0 => n as usize,
                    Some(n) => {
                        return Err(Error::illegal_argument(format!(
                            "[size] must be greater than 0. Found [{n}] in [{name}]"
                        )));
                    }
                },
                order: o
                    .get("order")
                    .map(|v| parse_order(v, name))
                    .transpose()?
                    .unwrap_or_default(),
                missing: o.get("missing").cloned(),
                min_doc_count: min_doc(1)?,
                rare: None,
                include: TermSet::of(o, "include", t)?,
                exclude: TermSet::of(o, "exclude", t)?,
                significant: None,
                value_type: value_type_of(o),
            }
        }
        "significant_terms" => {
            // ES reads a key it does not know as the name of a significance heuristic
            let known = [
                "field",
                "size",
                "shard_size",
                "min_doc_count",
                "shard_min_doc_count",
                "include",
                "exclude",
                "background_filter",
                "jlh",
                "percentage",
                "mutual_information",
                "chi_square",
                "gnd",
                "script_heuristic",
            ];
            if let Some(k) = o.keys().find(|k| !known.contains(&k.as_str())) {
                return Err(Error::x_content(format!(
                    "[1:1] [significant_terms] unknown field [{k}]{}",
                    crate::http::params::did_you_mean(k, &known)
                ))
                .caused_by(Error::es(
                    400,
                    "named_object_not_found_exception",
                    format!("[1:1] unknown field [{k}]"),
                )));
            }
            let mut heuristic = None;
            for (key, h) in [
                ("jlh", Heuristic::Jlh),
                ("percentage", Heuristic::Percentage),
            ] {
                if let Some(v) = o.get(key) {
                    match v.as_object() {
                        Some(m) if m.is_empty() => heuristic = Some(h),
                        Some(m) => {
                            let k = m.keys().next().map_or("", String::as_str);
                            return Err(Error::es(
                                400,
                                "x_content_parse_exception",
                                format!("[1:1] [{key}] unknown field [{k}]"),
                            ));
                        }
                        None => {
                            return Err(Error::parsing(format!(
                                "[significant_terms] [{key}] must be an object"
                            )));
                        }
                    }
                }
            }
            for other in [
                "mutual_information",
                "chi_square",
                "gnd",
                "script_heuristic",
            ] {
                if o.contains_key(other) {
                    return Err(Error::illegal_argument(format!(
                        "the [{other}] significance heuristic of [significant_terms] is not supported by sluice-store (jlh and percentage are)"
                    )));
                }
            }
            for n in ["size", "shard_size"] {
                if let Some(v) = int_param(o, n, t)?
                    && v <= 0
                {
                    return Err(Error::x_content(format!(
                        "[significant_terms] failed to parse field [{n}]"
                    ))
                    .caused_by(Error::illegal_argument(format!(
                        "[{n}] must be greater than 0. Found [{v}] in [{name}]"
                    ))));
                }
            }
            // every term is counted exactly: a shard-level threshold changes nothing, but a
            // value of the wrong type is still an error
            int_param(o, "shard_min_doc_count", t)?;
            let background = o
                .get("background_filter")
                .map(|b| query::parse(b).map(|_| b.clone()))
                .transpose()?;
            Kind::Terms {
                field: get_str(o, "field", name)?,
                size: int_param(o, "size", t)?.map_or(10, |n| n as usize),
                order: Vec::new(),
                missing: None,
                min_doc_count: min_doc(3)?,
                rare: None,
                include: TermSet::of(o, "include", t)?,
                exclude: TermSet::of(o, "exclude", t)?,
                significant: Some(Box::new(Significant {
                    heuristic: heuristic.unwrap_or(Heuristic::Jlh),
                    background,
                })),
                value_type: None,
            }
        }
        "rare_terms" => {
            for k in o.keys() {
                match k.as_str() {
                    "field" | "max_doc_count" | "missing" | "precision" | "include" | "exclude"
                    | "value_type" => {}
                    other => {
                        return Err(Error::es(
                            400,
                            "x_content_parse_exception",
                            format!("[1:1] [rare_terms] unknown field [{other}]"),
                        ));
                    }
                }
            }
            terms_hints(o)?;
            let max = int_param(o, "max_doc_count", t)?.unwrap_or(1);
            if max <= 0 {
                return Err(
                    Error::x_content("[rare_terms] failed to parse field [max_doc_count]")
                        .caused_by(Error::illegal_argument(format!(
                            "[max_doc_count] must be greater than 0. Found [{max}] in [{name}]"
                        ))),
                );
            }
            if max > 100 {
                // ES's wording, spaces as it writes them
                return Err(
                    Error::x_content("[rare_terms] failed to parse field [max_doc_count]")
                        .caused_by(Error::illegal_argument(format!(
                            "[max_doc_count] must be smallerthan 100in [{name}]"
                        ))),
                );
            }
            // the cuckoo filter's false-positive rate in ES; every term is counted exactly here
            if let Some(p) = num_param(o, "precision", t)?
                && p < 0.00001
            {
                return Err(Error::illegal_argument(
                    "[precision] must be greater than 0.00001",
                ));
            }
            Kind::Terms {
                field: get_str(o, "field", name)?,
                size: usize::MAX,
                order: vec![Order::Count(true), Order::Key(true)],
                missing: o.get("missing").cloned(),
                min_doc_count: 1,
                rare: Some(max as u64),
                include: TermSet::of(o, "include", t)?,
                exclude: TermSet::of(o, "exclude", t)?,
                significant: None,
                value_type: None,
            }
        }
        "date_histogram" => {
            check_keys(
                o,
                &[
                    "field",
                    "fixed_interval",
                    "calendar_interval",
                    "min_doc_count",
                    "extended_bounds",
                    "time_zone",
                    "format",
                    "offset",
                    "keyed",
                    "order",
                ],
                name,
                t,
            )?;
            if bool_param(o, "keyed", t)? == Some(true) {
                return Err(perr(
                    "[date_histogram] keyed=true is not supported by sluice-store",
                ));
            }
            if o.contains_key("order") {
                return Err(perr(
                    "[date_histogram] order is not supported by sluice-store",
                ));
            }
            let interval = match (o.get("fixed_interval"), o.get("calendar_interval")) {
                (Some(f), None) => {
                    let s = f.as_str().unwrap_or_default();
                    Interval::Fixed(parse_fixed(s).filter(|n| *n > 0).ok_or_else(|| {
                        Error::illegal_argument(format!("failed to parse setting [date_histogram.fixed_interval] with value [{s}] as a time value: unit is missing or unrecognized"))
                    })?)
                }
                (None, Some(c)) => {
                    let s = c.as_str().unwrap_or_default();
                    Interval::Calendar(parse_calendar(s).ok_or_else(|| {
                        Error::illegal_argument(format!("The supplied interval [{s}] could not be parsed as a calendar interval."))
                    })?)
                }
                (Some(_), Some(_)) => {
                    return Err(Error::illegal_argument(
                        "Cannot use [fixed_interval] with [calendar_interval] configuration option.",
                    ));
                }
                (None, None) => {
                    return Err(Error::illegal_argument(
                        "Invalid interval specified, must be non-null and non-empty",
                    ));
                }
            };
            let bounds = o.get("extended_bounds").map(|b| {
                (
                    b.get("min").cloned().unwrap_or(Value::Null),
                    b.get("max").cloned().unwrap_or(Value::Null),
                )
            });
            let offset = match o.get("offset") {
                None => 0,
                Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
                Some(Value::String(s)) => {
                    let (neg, s2) = s
                        .strip_prefix('-')
                        .map_or((false, s.as_str()), |r| (true, r));
                    let ms = parse_fixed(s2.trim_start_matches('+')).ok_or_else(|| {
                        Error::illegal_argument(format!("failed to parse offset [{s}]"))
                    })?;
                    if neg { -ms } else { ms }
                }
                Some(_) => return Err(perr("[offset] must be a string")),
            };
            Kind::DateHistogram {
                field: get_str(o, "field", name)?,
                interval,
                min_doc_count: min_doc(0)?,
                bounds,
                tz: o
                    .get("time_zone")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                format: o.get("format").and_then(Value::as_str).map(str::to_owned),
                offset,
            }
        }
        "histogram" => {
            check_keys(
                o,
                &[
                    "field",
                    "interval",
                    "min_doc_count",
                    "extended_bounds",
                    "offset",
                    "format",
                ],
                name,
                t,
            )?;
            let format = match o.get("format") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) => Some(
                    crate::mapping::decimal::DecimalFormat::parse(p)
                        .map_err(Error::illegal_argument)?,
                ),
                Some(_) => {
                    return Err(Error::x_content(format!(
                        "[{t}] failed to parse field [format]"
                    )));
                }
            };
            let interval = num_param(o, "interval", t)?
                .filter(|x| *x > 0.0)
                .ok_or_else(|| {
                    Error::illegal_argument(
                        "[interval] must be >0 for histogram aggregation [".to_owned() + name + "]",
                    )
                })?;
            let bounds = o
                .get("extended_bounds")
                .and_then(|b| Some((b.get("min")?.as_f64()?, b.get("max")?.as_f64()?)));
            Kind::Histogram {
                field: get_str(o, "field", name)?,
                interval,
                min_doc_count: min_doc(0)?,
                bounds,
                offset: num_param(o, "offset", t)?.unwrap_or(0.0),
                format,
            }
        }
        "range" | "date_range" | "geo_distance" => {
            if t == "date_range" {
                check_keys(
                    o,
                    &["field", "ranges", "keyed", "format", "time_zone", "missing"],
                    name,
                    t,
                )?;
            } else if t == "geo_distance" {
                check_keys(
                    o,
                    &[
                        "field",
                        "ranges",
                        "keyed",
                        "origin",
                        "unit",
                        "distance_type",
                    ],
                    name,
                    t,
                )?;
            } else {
                check_keys(o, &["field", "ranges", "keyed", "missing"], name, t)?;
            }
            let arr = o
                .get("ranges")
                .and_then(Value::as_array)
                .ok_or_else(|| perr(format!("[ranges] required for [{name}]")))?;
            let mut ranges = Vec::new();
            for r in arr {
                let r = r
                    .as_object()
                    .ok_or_else(|| perr(format!("[ranges] of [{name}] must hold objects")))?;
                let mut spec = RangeSpec {
                    key: None,
                    from: None,
                    to: None,
                };
                for (k, v) in r {
                    match k.as_str() {
                        "key" => {
                            spec.key =
                                Some(v.as_str().map_or_else(|| v.to_string(), str::to_owned));
                        }
                        "from" => spec.from = Bound::parse(v, name, k)?,
                        "to" => spec.to = Bound::parse(v, name, k)?,
                        other => {
                            return Err(Error::es(
                                400,
                                "x_content_parse_exception",
                                format!("[range] unknown field [{other}]"),
                            ));
                        }
                    }
                }
                ranges.push(spec);
            }
            let text = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
            let geo = if t == "geo_distance" {
                Some(parse_geo_distance(o, name)?)
            } else {
                None
            };
            Kind::Range {
                field: get_str(o, "field", name)?,
                ranges,
                keyed: bool_param(o, "keyed", t)?.unwrap_or(false),
                date: (t == "date_range").then(|| DateRangeOpts {
                    format: text("format"),
                    time_zone: text("time_zone"),
                }),
                geo,
                missing: match o.get("missing") {
                    Some(v) => Bound::parse(v, name, "missing")?,
                    None => None,
                },
            }
        }
        "ip_range" => {
            check_keys(o, &["field", "ranges", "keyed", "missing"], name, t)?;
            let mut ranges = match o.get("ranges") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(IpRangeSpec::parse)
                    .collect::<Result<Vec<_>>>()?,
                Some(other) => {
                    return Err(Error::x_content(format!(
                        "[ip_range] ranges doesn't support values of type: {}",
                        crate::search::token_name(other)
                    )));
                }
            };
            if ranges.is_empty() {
                return Err(crate::search::all_shards_failed(Error::illegal_argument(
                    format!("No [ranges] specified for the [{name}] aggregation"),
                )));
            }
            // ES's order of the buckets; stable, so equal ranges keep the request's order
            ranges.sort_by(|a, b| {
                let to = |r: &IpRangeSpec| r.to.unwrap_or(u128::MAX);
                a.from
                    .cmp(&b.from)
                    .then(to(a).cmp(&to(b)))
                    .then(a.to.is_none().cmp(&b.to.is_none()))
            });
            let missing = match o.get("missing") {
                None | Some(Value::Null) => None,
                Some(v) => {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    Some(ip::parse_or_err(&text).map_err(crate::search::all_shards_failed)?)
                }
            };
            Kind::IpRange {
                field: get_str(o, "field", name)?,
                ranges,
                keyed: bool_param(o, "keyed", t)?.unwrap_or(false),
                missing,
            }
        }
        "filter" => Kind::Filter(query::parse(body)?),
        "nested" => {
            check_keys(o, &["path"], name, t)?;
            Kind::Nested(get_str(o, "path", name)?)
        }
        "reverse_nested" => {
            return Err(Error::illegal_argument(
                "the [reverse_nested] aggregation is not supported by sluice-store (its [nested] aggregation is)",
            ));
        }
        "filters" => {
            check_keys(o, &["filters", "other_bucket", "other_bucket_key"], name, t)?;
            let f = o
                .get("filters")
                .ok_or_else(|| Error::illegal_argument("[filters] cannot be empty."))?;
            let (filters, keyed) = match f {
                Value::Object(m) => (
                    m.iter()
                        .map(|(k, v)| Ok((k.clone(), query::parse(v)?)))
                        .collect::<Result<Vec<_>>>()?,
                    true,
                ),
                Value::Array(a) => (
                    a.iter()
                        .enumerate()
                        .map(|(i, v)| Ok((i.to_string(), query::parse(v)?)))
                        .collect::<Result<Vec<_>>>()?,
                    false,
                ),
                _ => return Err(perr("[filters] must be an object or an array")),
            };
            if filters.is_empty() {
                return Err(Error::illegal_argument("[filters] cannot be empty."));
            }
            let other_bucket = match (
                o.get("other_bucket").and_then(Value::as_bool),
                o.get("other_bucket_key").and_then(Value::as_str),
            ) {
                (_, Some(k)) => Some(k.to_owned()),
                (Some(true), None) => Some("_other_".to_owned()),
                _ => None,
            };
            Kind::Filters {
                filters,
                keyed,
                other_bucket,
            }
        }
        "weighted_avg" => {
            check_keys(o, &["value", "weight"], name, t)?;
            let side = |k: &str| -> Result<(String, Option<f64>)> {
                let Some(v) = o.get(k) else {
                    return Err(Error::illegal_argument(format!(
                        "Could not find field name [{k}] in multiValuesSource"
                    )));
                };
                let so = v
                    .as_object()
                    .ok_or_else(|| perr(format!("[{k}] of [weighted_avg] must be an object")))?;
                for key in so.keys() {
                    match key.as_str() {
                        "field" | "missing" => {}
                        "script" => {
                            return Err(Error::illegal_argument(format!(
                                "[script] of [weighted_avg.{k}] is not supported by sluice-store"
                            )));
                        }
                        other => {
                            return Err(Error::es(
                                400,
                                "x_content_parse_exception",
                                format!("[1:1] [multi_value_source] unknown field [{other}]"),
                            ));
                        }
                    }
                }
                let field = so
                    .get("field")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        Error::illegal_argument(format!(
                            "Required one of fields [field, script], but none were specified. in [{k}]"
                        ))
                    })?;
                Ok((field, num_param(so, "missing", t)?))
            };
            let (value, value_missing) = side("value")?;
            let (weight, weight_missing) = side("weight")?;
            Kind::WeightedAvg {
                value,
                weight,
                value_missing,
                weight_missing,
            }
        }
        "missing" => {
            check_keys(o, &["field", "missing"], name, t)?;
            Kind::Missing {
                field: get_str(o, "field", name)?,
                filled: o.get("missing").is_some_and(|m| !m.is_null()),
            }
        }
        "avg"
        | "min"
        | "max"
        | "sum"
        | "stats"
        | "extended_stats"
        | "value_count"
        | "cardinality"
        | "percentiles"
        | "percentile_ranks"
        | "median_absolute_deviation" => {
            check_keys(
                o,
                &[
                    "field",
                    "missing",
                    "percents",
                    "precision_threshold",
                    "keyed",
                    "format",
                    "sigma",
                    "values",
                    "compression",
                    "tdigest",
                    "hdr",
                ],
                name,
                t,
            )?;
            let (digest, hdr) = percentile_method(o, t, name)?;
            let compression = match num_param(o, "compression", t)? {
                _ if t != "median_absolute_deviation" && o.contains_key("compression") => {
                    return Err(Error::es(
                        400,
                        "x_content_parse_exception",
                        format!("[1:1] [{t}] unknown field [compression]"),
                    )
                    .with("aggregation", name));
                }
                _ if matches!(t, "percentiles" | "percentile_ranks") => {
                    digest.unwrap_or(percentiles::COMPRESSION as f64)
                }
                None => percentiles::MAD_COMPRESSION,
                Some(c) if c > 0.0 => c,
                Some(c) => {
                    return Err(Error::x_content(format!(
                        "[{t}] failed to parse field [compression]"
                    ))
                    .caused_by(Error::illegal_argument(format!(
                        "[compression] must be greater than 0. Found [{}] in [{name}]",
                        java_double(c)
                    ))));
                }
            };
            let sigma = num_param(o, "sigma", t)?.unwrap_or(2.0);
            if sigma < 0.0 {
                return Err(
                    Error::x_content(format!("[{t}] failed to parse field [sigma]")).caused_by(
                        Error::illegal_argument(format!(
                            "[sigma] must be greater than or equal to 0. Found [{}] in [{name}]",
                            java_double(sigma)
                        )),
                    ),
                );
            }
            if t != "extended_stats" && o.contains_key("sigma") {
                return Err(Error::es(
                    400,
                    "x_content_parse_exception",
                    format!("[1:1] [{t}] unknown field [sigma]"),
                )
                .with("aggregation", name));
            }
            let keyed = bool_param(o, "keyed", t)?.unwrap_or(true);
            let metric = match t {
                "avg" => Metric::Avg,
                "min" => Metric::Min,
                "max" => Metric::Max,
                "sum" => Metric::Sum,
                "stats" => Metric::Stats,
                "extended_stats" => Metric::ExtendedStats,
                "value_count" => Metric::ValueCount,
                "cardinality" => Metric::Cardinality,
                "percentile_ranks" => Metric::PercentileRanks,
                "median_absolute_deviation" => Metric::MedianAbsoluteDeviation,
                _ => Metric::Percentiles,
            };
            if (metric == Metric::PercentileRanks) != o.contains_key("values")
                || (metric == Metric::PercentileRanks && o.contains_key("percents"))
            {
                let k = if metric == Metric::PercentileRanks {
                    if o.contains_key("percents") {
                        "percents"
                    } else {
                        ""
                    }
                } else {
                    "values"
                };
                if k.is_empty() {
                    return Err(Error::x_content(format!(
                        "Failed to build [{t}] after last required field arrived"
                    ))
                    .caused_by(Error::illegal_argument(format!(
                        "[values] must not be null: [{name}]"
                    ))));
                }
                return Err(Error::es(
                    400,
                    "x_content_parse_exception",
                    format!("[1:1] [{t}] unknown field [{k}]"),
                )
                .with("aggregation", name));
            }
            if metric == Metric::PercentileRanks {
                let list = match o.get("values") {
                    Some(Value::Array(a)) => a
                        .iter()
                        .map(|v| match v {
                            Value::Number(n) => n.as_f64(),
                            Value::String(s) => s.trim().parse::<f64>().ok(),
                            _ => None,
                        })
                        .collect::<Option<Vec<f64>>>(),
                    _ => None,
                };
                let mut list = list.ok_or_else(|| {
                    Error::es(
                        400,
                        "x_content_parse_exception",
                        format!("[{t}] failed to parse field [values]"),
                    )
                })?;
                if list.is_empty() {
                    return Err(Error::x_content(format!(
                        "Failed to build [{t}] after last required field arrived"
                    ))
                    .caused_by(Error::illegal_argument(format!(
                        "[values] must not be an empty array: [{name}]"
                    ))));
                }
                list.sort_by(f64::total_cmp);
                return Ok(Kind::Metric {
                    metric,
                    field: get_str(o, "field", name)?,
                    missing: o.get("missing").cloned(),
                    percents: list,
                    precision_threshold: cardinality::DEFAULT_THRESHOLD,
                    sigma: 2.0,
                    compression,
                    hdr,
                    keyed,
                });
            }
            let percents = match o.get("percents") {
                None => vec![1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0],
                Some(Value::Array(a)) => {
                    let mut out = Vec::with_capacity(a.len());
                    for p in a {
                        let x = match p {
                            Value::Number(n) => n.as_f64(),
                            Value::String(s) => s.trim().parse::<f64>().ok(),
                            _ => None,
                        };
                        match x {
                            Some(x) if (0.0..=100.0).contains(&x) => out.push(x),
                            Some(x) => {
                                return Err(Error::illegal_argument(format!(
                                    "percent must be in [0,100], got [{x}]: [{name}]"
                                )));
                            }
                            None => {
                                return Err(Error::es(
                                    400,
                                    "x_content_parse_exception",
                                    format!("[{t}] failed to parse field [percents]"),
                                ));
                            }
                        }
                    }
                    if out.is_empty() {
                        return Err(Error::illegal_argument(format!(
                            "[percents] must not be empty: [{name}]"
                        )));
                    }
                    // as ES: answered in ascending order
                    out.sort_by(f64::total_cmp);
                    out
                }
                Some(other) => {
                    return Err(Error::es(
                        400,
                        "x_content_parse_exception",
                        format!(
                            "[{t}] percents doesn't support values of type: {}",
                            crate::search::token_name(other)
                        ),
                    ));
                }
            };
            let precision_threshold = match int_param(o, "precision_threshold", t)? {
                None => cardinality::DEFAULT_THRESHOLD,
                Some(n) if n < 0 => {
                    return Err(Error::illegal_argument(format!(
                        "[precisionThreshold] must be greater than or equal to 0. Found [{n}] in [{name}]"
                    )));
                }
                Some(n) => u32::try_from(n)
                    .unwrap_or(u32::MAX)
                    .min(cardinality::MAX_THRESHOLD),
            };
            Kind::Metric {
                metric,
                field: get_str(o, "field", name)?,
                missing: o.get("missing").cloned(),
                percents,
                precision_threshold,
                sigma,
                compression,
                hdr,
                keyed,
            }
        }
        "top_hits" => Kind::TopHits(Box::new(top::parse_top_hits(name, o)?)),
        "composite" => composite::parse(name, o)?,
        "multi_terms" => composite::parse_multi_terms(name, o)?,
        "geohash_grid" => geo::parse_grid(name, geo::Grid::Hash, o)?,
        "geotile_grid" => geo::parse_grid(name, geo::Grid::Tile, o)?,
        "geo_bounds" => geo::parse_metric(name, true, o)?,
        "geo_centroid" => geo::parse_metric(name, false, o)?,
        "top_metrics" => Kind::TopMetrics(Box::new(top::parse_top_metrics(name, o)?)),
        other if let Some(p) = pipeline::parse(name, other, o)? => Kind::Pipeline(Box::new(p)),
        other => {
            return Err(Error::es(
                400,
                "x_content_parse_exception",
                format!("[1:1] unknown field [{other}]"),
            )
            .caused_by(Error::es(
                400,
                "named_object_not_found_exception",
                format!("[1:1] unknown field [{other}]"),
            )));
        }
    })
}

// ---------------------------------------------------------------------------------------------
// state

/// FxHash-style hasher for bucket maps (keys are ordinals and numbers; no untrusted-input DoS
/// concern beyond what the field data itself allows).
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_isize(&mut self, i: isize) {
        self.write_u64(i as u64);
    }
    fn write_i64(&mut self, i: i64) {
        self.write_u64(i as u64);
    }
}

/// A hash map with [`FxHasher`].
pub type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// A bucket key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// string key
    Str(String),
    /// numeric key (f64 bits, total order via `num`)
    Num(i64),
    /// a term ordinal of the current segment (only while collecting)
    Ord(u64),
}

/// Mergeable per-aggregation state.
#[derive(Debug, Clone)]
pub enum State {
    /// terms / histograms: buckets by key
    Keyed(FastMap<Key, Bucket>),
    /// range / filters: buckets by position
    List(Vec<Bucket>),
    /// filter
    Single(Box<Bucket>),
    /// metrics
    Metric(MetricState),
    /// per-segment dense buckets (term ordinal or date bucket index), only while collecting;
    /// `finish` turns it into `Keyed`
    Dense(Box<Dense>),
    /// top_hits / top_metrics
    Top(top::TopState),
    /// geo_bounds / geo_centroid
    Points(Box<geo::PointStats>),
    /// a pipeline aggregation: nothing collected
    Nothing,
    /// composite: buckets by composite key
    Composite(Box<composite::CompositeState>),
}

impl State {
    /// An estimate of the heap bytes this state holds: buckets and their keys counted, a
    /// flat 256 bytes for the other kinds (the per-segment memo keeps only bucketed states).
    pub fn approx_bytes(&self) -> usize {
        fn bucket(b: &Bucket) -> usize {
            48 + b.subs.iter().map(State::approx_bytes).sum::<usize>()
        }
        match self {
            State::Keyed(map) => {
                64 + map
                    .iter()
                    .map(|(k, b)| {
                        let key = match k {
                            Key::Str(s) => 24 + s.len(),
                            Key::Num(_) | Key::Ord(_) => 16,
                        };
                        key + bucket(b)
                    })
                    .sum::<usize>()
            }
            State::List(v) => 64 + v.iter().map(bucket).sum::<usize>(),
            State::Single(b) => 64 + bucket(b),
            State::Dense(d) => {
                64 + d.buckets.iter().flatten().map(bucket).sum::<usize>() + d.buckets.len() * 8
            }
            _ => 256,
        }
    }
}

/// Buckets addressed by a small integer instead of a hashed key (one segment).
#[derive(Debug, Clone, Default)]
pub struct Dense {
    /// index of slot 0 (date bucket index; 0 for term ordinals)
    base: i64,
    buckets: Vec<Option<Bucket>>,
    missing: Option<Bucket>,
}

/// Largest dense bucket array (term dictionary size or date bucket span) per segment.
const DENSE_MAX: u64 = 1 << 16;

/// Largest dense bucket array of a nested aggregation: one is allocated per parent bucket, so
/// this bounds the memory of e.g. a 65,536-bucket histogram with a terms sub-aggregation.
const NESTED_DENSE_MAX: u64 = 64;

impl Dense {
    fn new(base: i64, len: usize) -> Dense {
        let mut buckets = Vec::with_capacity(len);
        buckets.resize_with(len, || None);
        Dense {
            base,
            buckets,
            missing: None,
        }
    }
}

/// One bucket.
#[derive(Debug, Clone, Default)]
pub struct Bucket {
    /// doc count
    pub doc_count: u64,
    /// sub-aggregation states
    pub subs: Vec<State>,
}

/// Metric accumulator.
#[derive(Debug, Clone, Default)]
pub struct MetricState {
    count: u64,
    sum: f64,
    /// `extended_stats`: the sum of squares; `weighted_avg`: the sum of weights
    sum_sq: f64,
    min: f64,
    max: f64,
    /// `percentiles`: the values, exact up to a bound, then as a t-digest
    values: percentiles::Values,
    /// `cardinality`: the distinct values of finished segments
    distinct: Distinct,
    /// `cardinality` on a keyword column: the term ordinals of the segment being collected
    /// (hashed into `distinct` when the segment finishes)
    ords: OrdSet,
}

fn f2k(x: f64) -> Key {
    // order-preserving integer encoding so BTreeMap/sort on keys is numeric
    let b = x.to_bits() as i64;
    Key::Num(if b < 0 { b ^ i64::MAX } else { b })
}

fn k2f(k: &Key) -> f64 {
    match k {
        Key::Num(b) => {
            let b = if *b < 0 { *b ^ i64::MAX } else { *b };
            f64::from_bits(b as u64)
        }
        Key::Str(_) | Key::Ord(_) => f64::NAN,
    }
}

/// Fresh states for `aggs`.
pub fn new_states(aggs: &[Agg]) -> Vec<State> {
    aggs.iter().map(new_state).collect()
}

fn new_state(a: &Agg) -> State {
    match &a.kind {
        Kind::Terms { .. }
        | Kind::DateHistogram { .. }
        | Kind::Histogram { .. }
        | Kind::GeoGrid(_) => State::Keyed(FastMap::default()),
        Kind::GeoMetric(_) => State::Points(Box::default()),
        Kind::Pipeline(_) => State::Nothing,
        Kind::Composite(_) => State::Composite(Box::default()),
        Kind::Range { ranges, .. } => {
            State::List(ranges.iter().map(|_| new_bucket(&a.subs)).collect())
        }
        Kind::IpRange { ranges, .. } => {
            State::List(ranges.iter().map(|_| new_bucket(&a.subs)).collect())
        }
        Kind::Filters {
            filters,
            other_bucket,
            ..
        } => State::List(
            (0..filters.len() + usize::from(other_bucket.is_some()))
                .map(|_| new_bucket(&a.subs))
                .collect(),
        ),
        Kind::Filter(_) | Kind::Nested(_) | Kind::Missing { .. } => {
            State::Single(Box::new(new_bucket(&a.subs)))
        }
        Kind::WeightedAvg { .. } => State::Metric(MetricState::default()),
        Kind::Metric {
            metric,
            precision_threshold,
            compression,
            hdr,
            ..
        } => State::Metric(MetricState {
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            distinct: Distinct::new(*precision_threshold),
            values: if matches!(
                metric,
                Metric::MedianAbsoluteDeviation | Metric::Percentiles | Metric::PercentileRanks
            ) {
                match hdr {
                    Some(d) => percentiles::Values::with_hdr(*d),
                    None => percentiles::Values::with_compression(*compression),
                }
            } else {
                percentiles::Values::default()
            },
            ..MetricState::default()
        }),
        Kind::TopHits(_) | Kind::TopMetrics(_) => State::Top(top::TopState::default()),
    }
}

fn new_bucket(subs: &[Agg]) -> Bucket {
    Bucket {
        doc_count: 0,
        subs: new_states(subs),
    }
}

/// Whether a state of a segment cannot answer (an HDR histogram was given a negative value):
/// its shard fails.
pub fn failed(states: &[State]) -> bool {
    fn bucket(b: &Bucket) -> bool {
        failed(&b.subs)
    }
    states.iter().any(|st| match st {
        State::Metric(m) => m.values.failed(),
        State::Keyed(map) => map.values().any(bucket),
        State::List(list) => list.iter().any(bucket),
        State::Single(b) => bucket(b),
        State::Composite(c) => c.map.values().any(bucket),
        State::Dense(_) | State::Top(_) | State::Points(_) | State::Nothing => false,
    })
}

/// Merges `b` into `a` (states of `aggs`).
pub fn merge(aggs: &[Agg], a: &mut [State], b: Vec<State>) {
    for ((agg, x), y) in aggs.iter().zip(a.iter_mut()).zip(b) {
        merge_state(agg, x, y);
    }
}

fn merge_bucket(agg: &Agg, a: &mut Bucket, b: Bucket) {
    a.doc_count += b.doc_count;
    merge(&agg.subs, &mut a.subs, b.subs);
}

fn merge_state(agg: &Agg, a: &mut State, b: State) {
    match (a, b) {
        (State::Keyed(x), State::Keyed(y)) => {
            for (k, bk) in y {
                match x.get_mut(&k) {
                    Some(e) => merge_bucket(agg, e, bk),
                    None => {
                        x.insert(k, bk);
                    }
                }
            }
        }
        (State::List(x), State::List(y)) => {
            for (e, bk) in x.iter_mut().zip(y) {
                merge_bucket(agg, e, bk);
            }
        }
        (State::Single(x), State::Single(y)) => merge_bucket(agg, x, *y),
        (State::Points(x), State::Points(y)) => x.merge(&y),
        (State::Composite(x), State::Composite(y)) => {
            if let Kind::Composite(spec) = &agg.kind {
                x.merge(spec, *y, agg);
            }
        }
        (State::Top(x), State::Top(y)) => {
            if let Some((sort, keep)) = agg.kind.top_sort() {
                x.merge(y, &sort, keep);
            }
        }
        (State::Metric(x), State::Metric(y)) => {
            x.count += y.count;
            x.sum += y.sum;
            x.sum_sq += y.sum_sq;
            x.min = x.min.min(y.min);
            x.max = x.max.max(y.max);
            x.values.merge(y.values);
            x.distinct.merge(y.distinct);
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// per-segment collection

/// The fast column behind a field in one segment.
pub enum Source {
    /// keyword column
    Str(StrColumn),
    /// numeric/date/boolean column as f64
    Num(Column<f64>),
    /// a `geo_point` column: encoded points
    Geo(Column<i64>),
    /// exact 64-bit integers: a `date_nanos` column as sorts and doc values read it
    /// ([`open_exact_source`]); aggregations see its milliseconds as [`Source::Num`]
    Long(Column<i64>),
    /// unmapped or no values in this segment
    Nothing,
}

/// Per-segment resolved columns and filters for one aggregation.
struct SegAgg {
    source: Source,
    /// filter / filters bitsets
    filters: Vec<Vec<u64>>,
    field_type: Option<FieldType>,
    tz: Option<Zone>,
    /// `range` bounds resolved against the field
    bounds: Vec<(Option<f64>, Option<f64>)>,
    /// `ip_range`: the address of each term of the segment's column, by ordinal
    ip_terms: Vec<u128>,
    missing_key: Option<Key>,
    missing_num: Option<f64>,
    subs: Vec<SegAgg>,
    /// column-at-a-time plan when the aggregation tree allows it (see `block_plan`)
    block: Option<BlockPlan>,
    /// largest dense bucket array for this aggregation (smaller when nested)
    dense_limit: u64,
    /// `top_hits` / `top_metrics`: the sort columns
    top: Option<top::SegTop>,
    /// `composite`: each source's column, field type and time zone
    comp: Vec<(Source, Option<FieldType>, Option<Zone>)>,
    /// `composite`: the `after` key, typed
    comp_after: Option<Vec<composite::Part>>,
    /// `multi_terms`: each term's `missing` value as a key of its field
    comp_missing: Vec<Option<Key>>,
}

/// A bucket aggregation over a single-valued column whose sub-aggregations are single-valued
/// terms or simple metrics without sub-aggregations of their own: collected a block of docs at
/// a time, reading each column with one batched call instead of per-doc iterators.
struct BlockPlan {
    key: BlockKey,
    subs: Vec<BlockSub>,
}

enum BlockKey {
    /// keyword term ordinal
    Ord(Column<u64>),
    /// fixed-interval date bucket index
    Date {
        col: Column<f64>,
        interval: i64,
        /// the zone's fixed offset in millis (block plans need one offset for all docs)
        shift: i64,
        offset: i64,
    },
}

enum BlockSub {
    Ord(Column<u64>),
    Metric(Column<f64>),
}

fn full_ords(src: &Source, limit: u64) -> Option<Column<u64>> {
    match src {
        Source::Str(col)
            if col.ords().get_cardinality() == tantivy::columnar::Cardinality::Full
                && col.num_terms() as u64 <= limit =>
        {
            Some(col.ords().clone())
        }
        _ => None,
    }
}

fn full_num(src: &Source) -> Option<Column<f64>> {
    match src {
        Source::Num(col) if col.get_cardinality() == tantivy::columnar::Cardinality::Full => {
            Some(col.clone())
        }
        _ => None,
    }
}

fn block_plan(a: &Agg, s: &SegAgg) -> Option<BlockPlan> {
    let key = match &a.kind {
        Kind::Terms { .. } => BlockKey::Ord(full_ords(&s.source, s.dense_limit)?),
        Kind::DateHistogram {
            interval: Interval::Fixed(i),
            offset,
            ..
        } => BlockKey::Date {
            col: full_num(&s.source)?,
            interval: *i,
            shift: fixed_shift(s.tz)?,
            offset: *offset,
        },
        _ => return None,
    };
    let mut subs = Vec::with_capacity(a.subs.len());
    for (sa, ss) in a.subs.iter().zip(&s.subs) {
        if !sa.subs.is_empty() {
            return None;
        }
        subs.push(match &sa.kind {
            Kind::Terms { .. } => BlockSub::Ord(full_ords(&ss.source, ss.dense_limit)?),
            Kind::Metric {
                metric:
                    Metric::Avg
                    | Metric::Min
                    | Metric::Max
                    | Metric::Sum
                    | Metric::Stats
                    | Metric::ExtendedStats
                    | Metric::ValueCount,
                ..
            } => BlockSub::Metric(full_num(&ss.source)?),
            _ => return None,
        });
    }
    Some(BlockPlan { key, subs })
}

/// Reusable buffers for block collection.
#[derive(Default)]
struct BlockBufs {
    keys: Vec<u64>,
    f: Vec<f64>,
    subs: Vec<(Vec<u64>, Vec<f64>)>,
}

/// Collects `docs` for one aggregation with its block plan; false when the state is not dense
/// (the caller then collects doc by doc).
fn collect_block_one(
    a: &Agg,
    s: &mut SegAgg,
    st: &mut State,
    docs: &[DocId],
    known: Option<&[f64]>,
    bufs: &mut BlockBufs,
) -> bool {
    densify(a, s, st);
    let (Some(plan), State::Dense(d)) = (&s.block, st) else {
        return false;
    };
    let n = docs.len();
    bufs.keys.clear();
    bufs.keys.resize(n, 0);
    match &plan.key {
        BlockKey::Ord(col) => col.values.get_vals(docs, &mut bufs.keys),
        BlockKey::Date {
            col,
            interval,
            shift,
            offset,
        } => {
            let vals = match known {
                Some(v) => v,
                None => {
                    bufs.f.clear();
                    bufs.f.resize(n, 0.0);
                    col.values.get_vals(docs, &mut bufs.f);
                    &bufs.f
                }
            };
            // the last bucket's bounds: events indexed in time order mostly fall in the same
            // bucket as the one before, which then costs two comparisons instead of a division
            let (mut lo, mut hi, mut key) = (i64::MAX, i64::MIN, 0u64);
            for (k, v) in bufs.keys.iter_mut().zip(vals) {
                let ms = *v as i64;
                if ms < lo || ms >= hi {
                    let b = fixed_bucket(ms, *interval, *shift, *offset);
                    // an index below `base` wraps to a huge slot that `get_mut` rejects
                    key = (b - d.base) as u64;
                    lo = b
                        .saturating_mul(*interval)
                        .saturating_sub(*shift)
                        .saturating_add(*offset);
                    hi = lo.saturating_add(*interval);
                    if !(lo..hi).contains(&ms) {
                        // bounds that saturated: no shortcut for this value
                        (lo, hi) = (i64::MAX, i64::MIN);
                    }
                }
                *k = key;
            }
        }
    }
    bufs.subs.resize_with(plan.subs.len(), Default::default);
    for (bs, (ko, kf)) in plan.subs.iter().zip(bufs.subs.iter_mut()) {
        match bs {
            BlockSub::Ord(col) => {
                ko.clear();
                ko.resize(n, 0);
                col.values.get_vals(docs, ko);
            }
            BlockSub::Metric(col) => {
                kf.clear();
                kf.resize(n, 0.0);
                col.values.get_vals(docs, kf);
            }
        }
    }
    if plan.subs.is_empty() && a.subs.is_empty() {
        // counts only: a run of documents in one bucket (events in time order) is one update
        let mut i = 0;
        while i < n {
            let key = bufs.keys[i];
            let run = bufs.keys[i..].iter().take_while(|k| **k == key).count();
            if let Some(slot) = d.buckets.get_mut(key as usize) {
                slot.get_or_insert_with(|| new_bucket(&a.subs)).doc_count += run as u64;
            }
            i += run;
        }
        return true;
    }
    for i in 0..n {
        let Some(slot) = d.buckets.get_mut(bufs.keys[i] as usize) else {
            continue;
        };
        let b = slot.get_or_insert_with(|| new_bucket(&a.subs));
        b.doc_count += 1;
        for (j, ((sa, ss), sst)) in a
            .subs
            .iter()
            .zip(s.subs.iter_mut())
            .zip(b.subs.iter_mut())
            .enumerate()
        {
            match plan.subs[j] {
                BlockSub::Ord(_) => {
                    densify(sa, ss, sst);
                    if let State::Dense(sd) = sst
                        && let Some(slot) = sd.buckets.get_mut(bufs.subs[j].0[i] as usize)
                    {
                        slot.get_or_insert_with(Bucket::default).doc_count += 1;
                    }
                }
                BlockSub::Metric(_) => {
                    if let State::Metric(m) = sst {
                        let v = bufs.subs[j].1[i];
                        m.count += 1;
                        m.sum += v;
                        m.sum_sq += v * v;
                        m.min = m.min.min(v);
                        m.max = m.max.max(v);
                    }
                }
            }
        }
    }
    true
}

/// Collects `docs` for a top-level `cardinality` on a single-valued keyword column: the block's
/// term ordinals in one batched read, into a bitset over the segment's dictionary; false when
/// the aggregation is something else (the caller then collects doc by doc).
fn collect_block_distinct(
    a: &Agg,
    s: &SegAgg,
    st: &mut State,
    docs: &[DocId],
    bufs: &mut BlockBufs,
) -> bool {
    let (
        Kind::Metric {
            metric: Metric::Cardinality,
            ..
        },
        Source::Str(col),
        State::Metric(m),
    ) = (&a.kind, &s.source, st)
    else {
        return false;
    };
    if col.ords().get_cardinality() != tantivy::columnar::Cardinality::Full {
        return false;
    }
    let num_terms = col.num_terms();
    if matches!(&m.ords, OrdSet::Sparse(set) if set.is_empty()) {
        // one set per segment at the top level: the bitset from the start
        m.ords = OrdSet::bits(num_terms);
    }
    bufs.keys.clear();
    bufs.keys.resize(docs.len(), 0);
    col.ords().values.get_vals(docs, &mut bufs.keys);
    m.count += docs.len() as u64;
    for &o in &bufs.keys {
        m.ords.insert(o, num_terms);
    }
    true
}

/// Collects aggregations for one segment.
pub struct Collector<'a> {
    aggs: &'a [Agg],
    segs: Vec<SegAgg>,
    states: Vec<State>,
    interner: Vec<f64>,
    block_bufs: BlockBufs,
}

fn bitset_for(q: &dyn Query, seg: &SegmentReader, index: &str) -> Result<Vec<u64>> {
    let weight = q
        .weight(EnableScoring::disabled_from_schema(seg.schema()))
        .map_err(|e| Error::tantivy(index, e))?;
    let mut bits = vec![0u64; (seg.max_doc() as usize).div_ceil(64)];
    let mut scorer = weight
        .scorer(seg, 1.0)
        .map_err(|e| Error::tantivy(index, e))?;
    let mut doc = scorer.doc();
    while doc != TERMINATED {
        bits[(doc / 64) as usize] |= 1 << (doc % 64);
        doc = scorer.advance();
    }
    Ok(bits)
}

/// The last set bit before `doc`.
fn prev_set(bits: &[u64], doc: DocId) -> Option<DocId> {
    if doc == 0 {
        return None;
    }
    let last = doc - 1;
    let mut w = (last / 64) as usize;
    let mut word = bits.get(w).copied().unwrap_or(0) & (u64::MAX >> (63 - (last % 64)));
    loop {
        if word != 0 {
            return Some(w as u32 * 64 + 63 - word.leading_zeros());
        }
        if w == 0 {
            return None;
        }
        w -= 1;
        word = bits[w];
    }
}

fn has_bit(bits: &[u64], doc: DocId) -> bool {
    bits.get((doc / 64) as usize)
        .is_some_and(|w| w & (1 << (doc % 64)) != 0)
}

fn fielddata_error(field: &str) -> Error {
    Error::es(400, "search_phase_execution_exception", "all shards failed").caused_by(Error::illegal_argument(format!(
        "Fielddata is disabled on [{field}] in [_all]. Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [{field}] in order to load field data by uninverting the inverted index. Note that this can use significant memory."
    )))
}

/// ES's refusal to sort or aggregate on a field without doc values (for `ip` fields; the
/// store keeps a column for the other types whatever their `doc_values`).
pub(crate) fn no_doc_values_error(field: &str, ty: FieldType) -> Error {
    crate::search::all_shards_failed(Error::illegal_argument(format!(
        "Can't load fielddata on [{field}] because fielddata is unsupported on fields of type [{}]. Use doc values instead.",
        ty.name()
    )))
}

/// Elasticsearch's refusal of a value aggregation on a `geo_point` field (only `value_count`
/// and the geo aggregations read points).
fn geo_refused(kind: &Kind, mapping: &Mapping) -> Result<()> {
    let (field, name) = match kind {
        Kind::Terms { field, .. } => (field, "terms"),
        Kind::DateHistogram { field, .. } => (field, "date_histogram"),
        Kind::Histogram { field, .. } => (field, "histogram"),
        Kind::Range { geo: Some(_), .. } => return Ok(()),
        Kind::Range {
            field, date: None, ..
        } => (field, "range"),
        Kind::Range { field, .. } => (field, "date_range"),
        Kind::IpRange { field, .. } => (field, "ip_range"),
        Kind::Metric { metric, field, .. } if *metric != Metric::ValueCount => {
            (field, metric_name(*metric))
        }
        _ => return Ok(()),
    };
    if let Some(fm) = mapping.field(field).filter(|fm| fm.binary.is_some()) {
        return Err(crate::search::all_shards_failed(Error::illegal_argument(
            format!(
                "Field [{field}] of type [{}] is not supported for aggregation [{name}]",
                fm.type_name()
            ),
        )));
    }
    if mapping
        .field(field)
        .is_some_and(|fm| fm.ty == FieldType::GeoPoint)
    {
        return Err(crate::search::all_shards_failed(Error::illegal_argument(
            format!(
                "Field [{field}] of type [geo_point] is not supported for aggregation [{name}]"
            ),
        )));
    }
    Ok(())
}

/// The encoded points behind a `geo_point` field for a geo aggregation; another type is
/// refused as Elasticsearch refuses it, an unmapped field has no values.
fn geo_source(
    seg: &SegmentReader,
    mapping: &Mapping,
    field: &str,
    index: &str,
    agg: &str,
) -> Result<Source> {
    let Some(fm) = mapping.field(field) else {
        return Ok(Source::Nothing);
    };
    if fm.ty != FieldType::GeoPoint {
        return Err(crate::search::all_shards_failed(Error::illegal_argument(
            format!(
                "Field [{field}] of type [{}] is not supported for aggregation [{agg}]",
                fm.ty.name()
            ),
        )));
    }
    Ok(query::geo::point_column(seg, &format!("n.{field}"))
        .map_err(|e| Error::tantivy(index, e))?
        .map_or(Source::Nothing, Source::Geo))
}

/// Opens the fast column behind a mapped field.
/// [`open_source`] for sorts and doc values: a `date_nanos` column as its exact nanoseconds.
pub(crate) fn open_exact_source(
    seg: &SegmentReader,
    mapping: &Mapping,
    field: &str,
    index: &str,
) -> Result<(Source, Option<FieldType>)> {
    match mapping.field(field) {
        Some(fm) if fm.nanos || fm.unsigned => Ok((
            long_column(seg, field, index)?.map_or(Source::Nothing, Source::Long),
            Some(fm.ty),
        )),
        _ => open_source(seg, mapping, field, index),
    }
}

/// A field's column of one segment as its `i64` values (a `date_nanos` field's nanoseconds, an
/// `unsigned_long` field's shifted values).
fn long_column(seg: &SegmentReader, field: &str, index: &str) -> Result<Option<Column<i64>>> {
    let handles = seg
        .fast_fields()
        .dynamic_column_handles(&format!("n.{field}"))
        .map_err(|e| Error::tantivy(index, e))?;
    for h in handles {
        let col = h.open().map_err(|e| Error::io(index, e))?;
        if col.is_numerical()
            && let Some(tantivy::columnar::DynamicColumn::I64(c)) =
                col.coerce_numerical(NumericalType::I64)
        {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// A `date_nanos` column's values in milliseconds (toward negative infinity), as
/// Elasticsearch's aggregations read such a field.
struct NanosAsMillis(std::sync::Arc<dyn tantivy::columnar::ColumnValues<i64>>);

impl tantivy::columnar::ColumnValues<f64> for NanosAsMillis {
    fn get_val(&self, idx: u32) -> f64 {
        self.0
            .get_val(idx)
            .div_euclid(crate::mapping::date::NANOS_PER_MILLI) as f64
    }
    fn min_value(&self) -> f64 {
        self.0
            .min_value()
            .div_euclid(crate::mapping::date::NANOS_PER_MILLI) as f64
    }
    fn max_value(&self) -> f64 {
        self.0
            .max_value()
            .div_euclid(crate::mapping::date::NANOS_PER_MILLI) as f64
    }
    fn num_vals(&self) -> u32 {
        self.0.num_vals()
    }
}

/// An `unsigned_long` column's values as doubles, as Elasticsearch's aggregations other than
/// `terms` read such a field.
struct UnsignedAsF64(std::sync::Arc<dyn tantivy::columnar::ColumnValues<i64>>);

impl tantivy::columnar::ColumnValues<f64> for UnsignedAsF64 {
    fn get_val(&self, idx: u32) -> f64 {
        crate::mapping::unsigned::from_sortable(self.0.get_val(idx)) as f64
    }
    fn min_value(&self) -> f64 {
        crate::mapping::unsigned::from_sortable(self.0.min_value()) as f64
    }
    fn max_value(&self) -> f64 {
        crate::mapping::unsigned::from_sortable(self.0.max_value()) as f64
    }
    fn num_vals(&self) -> u32 {
        self.0.num_vals()
    }
}

pub(crate) fn open_source(
    seg: &SegmentReader,
    mapping: &Mapping,
    field: &str,
    index: &str,
) -> Result<(Source, Option<FieldType>)> {
    let Some(fm) = mapping.field(field) else {
        return Ok((Source::Nothing, None));
    };
    let tv = |e| Error::tantivy(index, e);
    match fm.ty {
        FieldType::Text if fm.fielddata() => {
            let text = seg.schema().get_field("t").map_err(tv)?;
            Ok((
                crate::search::fielddata::column(seg, text, field, index)?
                    .map_or(Source::Nothing, Source::Str),
                Some(FieldType::Text),
            ))
        }
        FieldType::Text => Err(fielddata_error(field)),
        FieldType::Keyword if fm.completion => {
            Err(crate::search::all_shards_failed(Error::illegal_argument(format!(
                "Can't load fielddata on [{field}] because fielddata is unsupported on fields of type [completion]. Use doc values instead."
            ))))
        }
        FieldType::Ip if !fm.doc_values => Err(no_doc_values_error(field, fm.ty)),
        FieldType::Keyword | FieldType::Ip => Ok((
            seg.fast_fields()
                .str(&format!("k.{field}"))
                .map_err(tv)?
                .map_or(Source::Nothing, Source::Str),
            Some(fm.ty),
        )),
        FieldType::Date if fm.nanos => Ok((
            long_column(seg, field, index)?.map_or(Source::Nothing, |c| {
                Source::Num(Column {
                    index: c.index.clone(),
                    values: std::sync::Arc::new(NanosAsMillis(c.values.clone())),
                })
            }),
            Some(fm.ty),
        )),
        FieldType::Long if fm.unsigned => Ok((
            long_column(seg, field, index)?.map_or(Source::Nothing, |c| {
                Source::Num(Column {
                    index: c.index.clone(),
                    values: std::sync::Arc::new(UnsignedAsF64(c.values.clone())),
                })
            }),
            Some(fm.ty),
        )),
        ty @ (FieldType::Long
        | FieldType::Integer
        | FieldType::Short
        | FieldType::Byte
        | FieldType::Double
        | FieldType::Float
        | FieldType::HalfFloat
        | FieldType::Boolean
        | FieldType::Date
        // a point's column holds its encoded latitude and longitude: counted, never summed
        // (`geo_refused` turns the other aggregations away)
        | FieldType::GeoPoint) => {
            let handles = seg
                .fast_fields()
                .dynamic_column_handles(&format!("n.{field}"))
                .map_err(tv)?;
            for h in handles {
                let col = h.open().map_err(|e| Error::io(index, e))?;
                if ty == FieldType::Boolean {
                    if let tantivy::columnar::DynamicColumn::Bool(c) = col {
                        let c: Column<bool> = c;
                        let idx = c.index.clone();
                        let vals = c.values.clone();
                        let f: Column<f64> = Column {
                            index: idx,
                            values: std::sync::Arc::new(BoolAsF64(vals)),
                        };
                        return Ok((Source::Num(f), Some(ty)));
                    }
                    continue;
                }
                if col.is_numerical()
                    && let Some(tantivy::columnar::DynamicColumn::F64(c)) =
                        col.coerce_numerical(NumericalType::F64)
                {
                    return Ok((Source::Num(c), Some(ty)));
                }
            }
            Ok((Source::Nothing, Some(ty)))
        }
    }
}

struct BoolAsF64(std::sync::Arc<dyn tantivy::columnar::ColumnValues<bool>>);

impl tantivy::columnar::ColumnValues<f64> for BoolAsF64 {
    fn get_val(&self, idx: u32) -> f64 {
        if self.0.get_val(idx) { 1.0 } else { 0.0 }
    }
    fn min_value(&self) -> f64 {
        0.0
    }
    fn max_value(&self) -> f64 {
        1.0
    }
    fn num_vals(&self) -> u32 {
        self.0.num_vals()
    }
}

fn missing_to_key(v: &Value, ty: Option<FieldType>) -> Result<Option<Key>> {
    if ty == Some(FieldType::Ip) {
        // an address, as the column holds it; anything else is ES's error
        let text = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let a = ip::parse_or_err(&text).map_err(crate::search::all_shards_failed)?;
        return Ok(Some(Key::Str(ip::to_term(a))));
    }
    Ok(match (v, ty) {
        (Value::String(s), Some(FieldType::Keyword) | None) => Some(Key::Str(s.clone())),
        (Value::Number(n), _) => n.as_f64().map(f2k),
        (Value::Bool(b), _) => Some(f2k(if *b { 1.0 } else { 0.0 })),
        // a date as text: read as ES's default date format reads it
        (Value::String(s), Some(FieldType::Date)) => {
            let formats = crate::mapping::date::parse_formats(crate::mapping::date::DEFAULT_FORMAT)
                .unwrap_or_default();
            crate::mapping::date::parse_date_str(s, &formats, None)
                .map(|ms| f2k(ms as f64))
                .or_else(|| s.parse::<f64>().ok().map(f2k))
        }
        (Value::String(s), Some(FieldType::Boolean)) => match s.as_str() {
            "true" => Some(f2k(1.0)),
            "false" => Some(f2k(0.0)),
            _ => None,
        },
        (Value::String(s), _) => s.parse::<f64>().ok().map(f2k),
        _ => None,
    })
}

/// The `cardinality` hash of a `missing` value.
fn key_hash(k: &Key, ty: Option<FieldType>) -> u64 {
    match k {
        Key::Str(s) => cardinality::hash_bytes(s.as_bytes()),
        Key::Num(_) => cardinality::hash_num(k2f(k), ty.is_some_and(FieldType::is_float)),
        Key::Ord(o) => *o,
    }
}

impl<'a> Collector<'a> {
    /// Resolves columns of `aggs` for a segment of an index with `mapping`.
    pub fn new(
        aggs: &'a [Agg],
        seg: &SegmentReader,
        mapping: &Mapping,
        qctx: &query::Ctx<'_>,
        index: &str,
        origin: top::Origin,
    ) -> Result<Collector<'a>> {
        let segs = aggs
            .iter()
            .map(|a| seg_agg(a, seg, mapping, qctx, index, origin))
            .collect::<Result<Vec<_>>>()?;
        Ok(Collector {
            aggs,
            segs,
            states: new_states(aggs),
            interner: Vec::new(),
            block_bufs: BlockBufs::default(),
        })
    }

    /// Collects one matching doc.
    pub fn collect(&mut self, doc: DocId, score: f32) {
        collect_all(
            self.aggs,
            &mut self.segs,
            &mut self.states,
            doc,
            score,
            &mut self.interner,
        );
    }

    /// Collects a block of matching docs (ascending), column-at-a-time where the aggregation
    /// allows it; `scores` are theirs when computed (else empty).
    pub fn collect_block(&mut self, docs: &[DocId], scores: &[f32]) {
        self.collect_block_known(docs, scores, None);
    }

    /// As [`Collector::collect_block`], with the values of one numeric field for `docs`
    /// already read (`known`: the field's name and one value per document, from a column
    /// with a value for every document), which a date histogram on that field uses instead
    /// of reading them again (Discover's hits sorted by time beside hits over time).
    pub fn collect_block_known(
        &mut self,
        docs: &[DocId],
        scores: &[f32],
        known: Option<(&str, &[f64])>,
    ) {
        for ((a, s), st) in self
            .aggs
            .iter()
            .zip(self.segs.iter_mut())
            .zip(self.states.iter_mut())
        {
            let vals = known
                .filter(|(f, v)| {
                    v.len() == docs.len()
                        && matches!(&a.kind, Kind::DateHistogram { field, .. } if field == f)
                })
                .map(|(_, v)| v);
            if s.block.is_some() && collect_block_one(a, s, st, docs, vals, &mut self.block_bufs) {
                continue;
            }
            if collect_block_distinct(a, s, st, docs, &mut self.block_bufs) {
                continue;
            }
            for (i, &doc) in docs.iter().enumerate() {
                let score = scores.get(i).copied().unwrap_or(1.0);
                collect_one(a, s, st, doc, score, &mut self.interner);
            }
        }
    }

    /// Finishes the segment, returning mergeable states.
    pub fn finish(mut self) -> Vec<State> {
        finish_all(self.aggs, &mut self.segs, &mut self.states);
        self.states
    }
}

fn seg_agg(
    a: &Agg,
    seg: &SegmentReader,
    mapping: &Mapping,
    qctx: &query::Ctx<'_>,
    index: &str,
    origin: top::Origin,
) -> Result<SegAgg> {
    let mut s = SegAgg {
        source: Source::Nothing,
        filters: vec![],
        field_type: None,
        tz: None,
        bounds: vec![],
        ip_terms: vec![],
        missing_key: None,
        missing_num: None,
        subs: vec![],
        block: None,
        dense_limit: DENSE_MAX,
        top: None,
        comp: Vec::new(),
        comp_after: None,
        comp_missing: Vec::new(),
    };
    geo_refused(&a.kind, mapping)?;
    match &a.kind {
        Kind::Terms {
            field,
            missing,
            value_type,
            ..
        } if field == "_index" && mapping.field(field).is_none() => {
            // the `_index` metadata field: one value for every document of the segment, its
            // index's name (Kibana's "documents per index")
            s.source = Source::Nothing;
            s.field_type = Some(FieldType::Keyword);
            s.missing_key = Some(Key::Str(index.to_owned()));
        }
        Kind::Terms {
            field,
            missing,
            value_type,
            ..
        } => {
            let (src, ty) = open_source(seg, mapping, field, index)?;
            // an unmapped field's `missing` is read as `value_type` says
            let ty = ty.or(*value_type);
            s.source = src;
            s.field_type = ty;
            s.missing_key = missing
                .as_ref()
                .map(|m| missing_to_key(m, ty))
                .transpose()?
                .flatten();
        }
        Kind::DateHistogram { field, tz, .. } => {
            let (src, ty) = open_source(seg, mapping, field, index)?;
            if let Some(t) = ty
                && t != FieldType::Date
                && !t.is_numeric()
            {
                return Err(Error::illegal_argument(format!(
                    "Field [{field}] of type [{}] is not supported for aggregation [date_histogram]",
                    t.name()
                )));
            }
            s.source = src;
            s.field_type = ty;
            s.tz = tz.as_deref().map(datemath::parse_time_zone).transpose()?;
        }
        Kind::Range {
            field,
            ranges,
            geo: Some(_),
            ..
        } => {
            s.source = geo_source(seg, mapping, field, index, "geo_distance")?;
            s.bounds = resolve_bounds(ranges, None, &[], None, qctx.now_ms)?;
        }
        Kind::Histogram { field, .. } | Kind::Range { field, .. } => {
            let (src, ty) = open_source(seg, mapping, field, index)?;
            if matches!(src, Source::Str(_)) {
                return Err(Error::illegal_argument(format!(
                    "Field [{field}] of type [{}] is not supported for aggregation [{}]",
                    ty.map_or("keyword", FieldType::name),
                    match &a.kind {
                        Kind::Range { date: Some(_), .. } => "date_range",
                        Kind::Range { .. } => "range",
                        _ => "histogram",
                    }
                )));
            }
            s.source = src;
            s.field_type = ty;
            if let Kind::Range { date: Some(_), .. } = &a.kind
                && let Some(t) = ty
                && t != FieldType::Date
                && !t.is_numeric()
            {
                return Err(Error::illegal_argument(format!(
                    "Field [{field}] of type [{}] is not supported for aggregation [date_range]",
                    t.name()
                )));
            }
            if let Kind::Range {
                ranges,
                date,
                missing,
                ..
            } = &a.kind
            {
                let formats = mapping
                    .field(field)
                    .map(|f| f.formats.clone())
                    .unwrap_or_default();
                // an unmapped field's date ranges are dates all the same
                let ty = ty.or(date.as_ref().map(|_| FieldType::Date));
                s.bounds = resolve_bounds(ranges, ty, &formats, date.as_ref(), qctx.now_ms)?;
                if let Some(m) = missing {
                    let spec = RangeSpec {
                        key: None,
                        from: Some(m.clone()),
                        to: None,
                    };
                    s.missing_num = resolve_bounds(
                        std::slice::from_ref(&spec),
                        ty,
                        &formats,
                        date.as_ref(),
                        qctx.now_ms,
                    )?[0]
                        .0;
                }
            }
        }
        Kind::IpRange { field, .. } => {
            let (src, ty) = open_source(seg, mapping, field, index)?;
            if let Some(t) = ty
                && t != FieldType::Ip
            {
                return Err(crate::search::all_shards_failed(Error::illegal_argument(
                    format!(
                        "Field [{field}] of type [{}] is not supported for aggregation [ip_range]",
                        t.name()
                    ),
                )));
            }
            if let Source::Str(col) = &src {
                let mut term = String::new();
                s.ip_terms = (0..col.num_terms() as u64)
                    .map(|o| {
                        term.clear();
                        match col.ord_to_str(o, &mut term) {
                            Ok(true) => Ok(ip::from_term(&term).unwrap_or_default()),
                            Ok(false) => Ok(0),
                            Err(e) => Err(Error::io(index, e)),
                        }
                    })
                    .collect::<Result<_>>()?;
            }
            s.source = src;
            s.field_type = ty;
        }
        Kind::Filter(q) => {
            let cq = query::compile(q, qctx)?;
            s.filters.push(bitset_for(cq.as_ref(), seg, index)?);
        }
        Kind::Nested(path) => {
            // the nested documents of `path`, then the documents they are found under
            let tv = |e| Error::tantivy(index, e);
            let present = seg.schema().get_field("_fields").map_err(tv)?;
            let parent = match qctx.nested_scope {
                Some(p) => query::nested::Level::Nested(p.to_owned()),
                None => query::nested::Level::Root,
            };
            // (a path that is no nested object has no nested documents: an empty bucket, as ES)
            if mapping.is_nested(path) {
                let children = query::nested::Level::Nested(path.clone());
                s.filters
                    .push(query::nested::level_bits(seg, present, &children).map_err(tv)?);
                s.filters
                    .push(query::nested::level_bits(seg, present, &parent).map_err(tv)?);
            }
        }
        Kind::Filters { filters, .. } => {
            for (_, q) in filters {
                let cq = query::compile(q, qctx)?;
                s.filters.push(bitset_for(cq.as_ref(), seg, index)?);
            }
        }
        Kind::Metric {
            metric,
            field,
            missing,
            ..
        } => {
            let (src, ty) = open_source(seg, mapping, field, index)?;
            if matches!(src, Source::Str(_))
                && !matches!(metric, Metric::ValueCount | Metric::Cardinality)
            {
                return Err(Error::illegal_argument(format!(
                    "Field [{field}] of type [{}] is not supported for aggregation [{}]",
                    ty.map_or("keyword", FieldType::name),
                    metric_name(*metric)
                )));
            }
            s.source = src;
            s.field_type = ty;
            s.missing_key = missing
                .as_ref()
                .map(|m| missing_to_key(m, ty))
                .transpose()?
                .flatten();
            s.missing_num = missing.as_ref().and_then(|m| match m {
                Value::Number(n) => n.as_f64(),
                Value::String(st) => st.parse().ok(),
                _ => None,
            });
        }
        Kind::GeoGrid(g) => {
            s.source = geo_source(seg, mapping, &g.field, index, a.kind.geo_name())?;
        }
        Kind::GeoMetric(m) => {
            s.source = geo_source(seg, mapping, &m.field, index, m.name())?;
        }
        Kind::Pipeline(_) => {}
        Kind::Missing { field, .. } => {
            let (src, ty) = open_source(seg, mapping, field, index)?;
            s.source = src;
            s.field_type = ty;
        }
        Kind::WeightedAvg { value, weight, .. } => {
            for f in [value, weight] {
                let (src, ty) = open_source(seg, mapping, f, index)?;
                if matches!(src, Source::Str(_)) || ty == Some(FieldType::GeoPoint) {
                    return Err(Error::illegal_argument(format!(
                        "Expected numeric type on field [{f}], but got [{}]",
                        ty.map_or("keyword", FieldType::name)
                    )));
                }
                s.comp.push((src, ty, None));
            }
            // ES refuses a document with several weights when it meets one; the store refuses
            // a segment whose weight column can hold several
            if let Some((Source::Num(w), _, _)) = s.comp.get(1)
                && w.get_cardinality() == tantivy::columnar::Cardinality::Multivalued
            {
                return Err(crate::search::all_shards_failed(Error::es(
                    400,
                    "aggregation_execution_exception",
                    "Encountered more than one weight for a single document. Use a script to combine multiple weights-per-doc into a single value.",
                )));
            }
        }
        Kind::Composite(c) => {
            // a page larger than the bucket limit fails on every shard, as in ES
            let max = qctx.max_buckets;
            if c.multi.is_none() && c.size > max {
                return Err(crate::search::all_shards_failed_with(
                    &Error::es(
                        400,
                        "too_many_buckets_exception",
                        format!(
                            "Trying to create too many buckets. Must be less than or equal to: [{max}] but was [{}]. This limit can be set by changing the [search.max_buckets] cluster level setting.",
                            c.size
                        ),
                    )
                    .with("max_buckets", max),
                    index,
                ));
            }
            let mut types = Vec::with_capacity(c.sources.len());
            for src in &c.sources {
                let field = src.field();
                let (col, ty) = match &src.kind {
                    // a tile source reads the encoded points
                    Kind::GeoGrid(_) => (
                        geo_source(seg, mapping, field, index, "geotile_grid")?,
                        mapping.field(field).map(|f| f.ty),
                    ),
                    _ => open_source(seg, mapping, field, index)?,
                };
                let tz = match &src.kind {
                    Kind::DateHistogram { tz: Some(z), .. } => Some(datemath::parse_time_zone(z)?),
                    _ => None,
                };
                let formats = match &src.kind {
                    Kind::DateHistogram {
                        format: Some(f), ..
                    } => date::parse_formats(f).map_err(Error::illegal_argument)?,
                    _ => mapping
                        .field(field)
                        .map(|f| f.formats.clone())
                        .unwrap_or_default(),
                };
                types.push((ty, formats));
                s.comp.push((col, ty, tz));
            }
            s.comp_after = composite::after_parts(c, &types, qctx.now_ms)?;
            if let Some(m) = &c.multi {
                s.comp_missing = m
                    .missing
                    .iter()
                    .zip(&s.comp)
                    .map(|(v, (_, ty, _))| {
                        v.as_ref()
                            .map(|v| missing_to_key(v, *ty))
                            .transpose()
                            .map(Option::flatten)
                    })
                    .collect::<Result<_>>()?;
            }
        }
        Kind::TopHits(_) | Kind::TopMetrics(_) => {
            if let Kind::TopMetrics(t) = &a.kind
                && let SortKey::Field { field, .. } = &t.sort
                && let Some(fm) = mapping.field(field)
                && matches!(fm.ty, FieldType::Keyword | FieldType::Ip)
            {
                // ES sorts `top_metrics` on numeric doc values only
                return Err(crate::search::all_shards_failed(Error::illegal_argument(
                    format!(
                        "error building sort for field [{field}] of type [{}] in index [{index}]: only supported on numeric fields",
                        fm.ty.name()
                    ),
                )));
            }
            if let Some((sort, keep)) = a.kind.top_sort() {
                let mut t = top::SegTop::new(sort, keep, seg, mapping, index, origin)?;
                t.skip_missing = matches!(a.kind, Kind::TopMetrics(_));
                s.top = Some(t);
            }
        }
    }
    // below a `nested` aggregation, documents are its path's nested documents
    let inner = match &a.kind {
        Kind::Nested(path) => query::Ctx {
            nested_scope: Some(path),
            ..*qctx
        },
        _ => query::Ctx { ..*qctx },
    };
    s.subs = a
        .subs
        .iter()
        .map(|x| {
            seg_agg(x, seg, mapping, &inner, index, origin).map(|mut sub| {
                sub.dense_limit = NESTED_DENSE_MAX;
                // the block plan depends on the limit
                sub.block = block_plan(x, &sub);
                sub
            })
        })
        .collect::<Result<_>>()?;
    s.block = block_plan(a, &s);
    Ok(s)
}

fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::Avg => "avg",
        Metric::Min => "min",
        Metric::Max => "max",
        Metric::Sum => "sum",
        Metric::Stats => "stats",
        Metric::ExtendedStats => "extended_stats",
        Metric::ValueCount => "value_count",
        Metric::Cardinality => "cardinality",
        Metric::Percentiles => "percentiles",
        Metric::PercentileRanks => "percentile_ranks",
        Metric::MedianAbsoluteDeviation => "median_absolute_deviation",
    }
}

fn collect_all(
    aggs: &[Agg],
    segs: &mut [SegAgg],
    states: &mut [State],
    doc: DocId,
    score: f32,
    buf: &mut Vec<f64>,
) {
    for ((a, s), st) in aggs.iter().zip(segs.iter_mut()).zip(states.iter_mut()) {
        collect_one(a, s, st, doc, score, buf);
    }
}

fn bucket_collect(
    a: &Agg,
    subs: &mut [SegAgg],
    b: &mut Bucket,
    doc: DocId,
    score: f32,
    buf: &mut Vec<f64>,
) {
    b.doc_count += 1;
    if !a.subs.is_empty() {
        collect_all(&a.subs, subs, &mut b.subs, doc, score, buf);
    }
}

fn num_values(src: &Source, doc: DocId, out: &mut Vec<f64>) {
    out.clear();
    if let Source::Num(c) = src {
        out.extend(c.values_for_doc(doc));
    }
}

/// Adds `doc` to the bucket of each key (keys deduplicated, in order).
fn collect_keys(
    a: &Agg,
    subs: &mut [SegAgg],
    map: &mut FastMap<Key, Bucket>,
    keys: impl Iterator<Item = Key>,
    doc: DocId,
    score: f32,
    buf: &mut Vec<f64>,
) {
    let mut last = None;
    for k in keys {
        if last.as_ref() == Some(&k) {
            continue;
        }
        let b = map.entry(k.clone()).or_insert_with(|| new_bucket(&a.subs));
        bucket_collect(a, subs, b, doc, score, buf);
        last = Some(k);
    }
}

/// Switches an empty keyed state to dense buckets when the segment's column allows it: terms on
/// a keyword column with a small dictionary, or a fixed-interval date histogram whose value range
/// spans few buckets.
fn densify(a: &Agg, s: &SegAgg, st: &mut State) {
    let State::Keyed(map) = st else { return };
    if !map.is_empty() {
        return;
    }
    match (&a.kind, &s.source) {
        (Kind::Terms { .. }, Source::Str(col)) if col.num_terms() as u64 <= s.dense_limit => {
            *st = State::Dense(Box::new(Dense::new(0, col.num_terms())));
        }
        (
            Kind::DateHistogram {
                interval: Interval::Fixed(i),
                offset,
                ..
            },
            Source::Num(col),
        ) if *i > 0 && col.num_docs() > 0 => {
            let (lo, hi) = (col.min_value(), col.max_value());
            if !(lo.is_finite() && hi.is_finite()) || lo < -9e15 || hi > 9e15 {
                return;
            }
            // dense arrays need one offset for all docs: not for zones with DST
            let Some(shift) = fixed_shift(s.tz) else {
                return;
            };
            let b_lo = fixed_bucket(lo as i64, *i, shift, *offset);
            let b_hi = fixed_bucket(hi as i64, *i, shift, *offset);
            if b_hi >= b_lo && ((b_hi - b_lo) as u64) < s.dense_limit {
                *st = State::Dense(Box::new(Dense::new(b_lo, (b_hi - b_lo + 1) as usize)));
            }
        }
        _ => {}
    }
}

/// The buckets of a range-like aggregation: an object by key when `keyed`, else a list.
struct KeyedBuckets {
    keyed: bool,
    obj: Map<String, Value>,
    arr: Vec<Value>,
}

impl KeyedBuckets {
    fn new(keyed: bool) -> Self {
        Self {
            keyed,
            obj: Map::new(),
            arr: Vec::new(),
        }
    }

    fn push(&mut self, key: String, body: Value) {
        if self.keyed {
            self.obj.insert(key, body);
        } else {
            self.arr.push(body);
        }
    }

    fn into_json(self) -> Value {
        if self.keyed {
            json!({"buckets": self.obj})
        } else {
            json!({"buckets": self.arr})
        }
    }
}

/// Bucket index of `ms` for a fixed interval: `date_key` = index * interval - shift + offset.
fn fixed_bucket(ms: i64, interval: i64, shift: i64, offset: i64) -> i64 {
    (ms + shift - offset).div_euclid(interval)
}

/// The zone's offset in millis when it never changes (`None` for zones with DST rules).
fn fixed_shift(tz: Option<Zone>) -> Option<i64> {
    match tz {
        None => Some(0),
        Some(Zone::Fixed(o)) => Some(i64::from(o.local_minus_utc()) * 1000),
        Some(Zone::Named(_)) => None,
    }
}

/// The zone's offset in millis at the instant `ms`.
fn shift_at(tz: Option<Zone>, ms: i64) -> i64 {
    match (tz, chrono::DateTime::from_timestamp_millis(ms)) {
        (Some(z), Some(t)) => i64::from(z.offset_secs_at(&t.naive_utc())) * 1000,
        _ => 0,
    }
}

fn dense_slot<'b>(d: &'b mut Dense, idx: i64, subs: &[Agg]) -> Option<&'b mut Bucket> {
    let slot = d.buckets.get_mut(usize::try_from(idx - d.base).ok()?)?;
    Some(slot.get_or_insert_with(|| new_bucket(subs)))
}

/// A document's term ordinals, each once: a column keeps a document's values as they were
/// written, duplicates included, where ES's keyword and ip doc values hold each term once.
fn doc_ords(col: &StrColumn, doc: DocId) -> impl Iterator<Item = u64> + '_ {
    col.term_ords(doc)
        .enumerate()
        .filter(move |&(i, o)| i == 0 || !col.term_ords(doc).take(i).any(|p| p == o))
        .map(|(_, o)| o)
}

fn collect_one(
    a: &Agg,
    s: &mut SegAgg,
    st: &mut State,
    doc: DocId,
    score: f32,
    buf: &mut Vec<f64>,
) {
    densify(a, s, st);
    let SegAgg {
        source,
        filters,
        field_type,
        tz,
        bounds,
        ip_terms,
        missing_key,
        missing_num,
        subs,
        top,
        comp,
        comp_after,
        comp_missing,
        ..
    } = s;
    match (&a.kind, st) {
        (Kind::TopHits(_) | Kind::TopMetrics(_), State::Top(t)) => {
            if let Some(seg) = top {
                t.collect(seg, doc, score, buf);
            }
        }
        (Kind::Terms { .. }, State::Dense(d)) => {
            if let Source::Str(col) = source {
                let mut any = false;
                for o in doc_ords(col, doc) {
                    any = true;
                    if let Some(b) = dense_slot(d, o as i64, &a.subs) {
                        bucket_collect(a, subs, b, doc, score, buf);
                    }
                }
                if !any && missing_key.is_some() {
                    let b = d.missing.get_or_insert_with(|| new_bucket(&a.subs));
                    bucket_collect(a, subs, b, doc, score, buf);
                }
            }
        }
        (
            Kind::DateHistogram {
                interval: Interval::Fixed(i),
                offset,
                ..
            },
            State::Dense(d),
        ) => {
            num_values(source, doc, buf);
            // dense only with a fixed shift (see `densify`)
            let shift = fixed_shift(*tz).unwrap_or(0);
            match buf.len() {
                0 => {}
                1 => {
                    let idx = fixed_bucket(buf[0] as i64, *i, shift, *offset);
                    if let Some(b) = dense_slot(d, idx, &a.subs) {
                        bucket_collect(a, subs, b, doc, score, buf);
                    }
                }
                _ => {
                    let idxs: Vec<i64> = buf
                        .iter()
                        .map(|v| fixed_bucket(*v as i64, *i, shift, *offset))
                        .collect();
                    let mut last = None;
                    for idx in idxs {
                        if last == Some(idx) {
                            continue;
                        }
                        last = Some(idx);
                        if let Some(b) = dense_slot(d, idx, &a.subs) {
                            bucket_collect(a, subs, b, doc, score, buf);
                        }
                    }
                }
            }
        }
        (Kind::Terms { .. }, State::Keyed(map)) => match source {
            Source::Str(col) => {
                let mut any = false;
                for o in doc_ords(col, doc) {
                    any = true;
                    let b = map
                        .entry(Key::Ord(o))
                        .or_insert_with(|| new_bucket(&a.subs));
                    bucket_collect(a, subs, b, doc, score, buf);
                }
                if !any && let Some(k) = missing_key {
                    let b = map.entry(k.clone()).or_insert_with(|| new_bucket(&a.subs));
                    bucket_collect(a, subs, b, doc, score, buf);
                }
            }
            src => {
                num_values(src, doc, buf);
                if buf.is_empty() {
                    if let Some(k) = missing_key {
                        let b = map.entry(k.clone()).or_insert_with(|| new_bucket(&a.subs));
                        bucket_collect(a, subs, b, doc, score, buf);
                    }
                    return;
                }
                let mut keys: Vec<Key> = buf.iter().map(|v| f2k(*v)).collect();
                keys.sort();
                collect_keys(a, subs, map, keys.into_iter(), doc, score, buf);
            }
        },
        (
            Kind::DateHistogram {
                interval, offset, ..
            },
            State::Keyed(map),
        ) => {
            num_values(source, doc, buf);
            match buf.len() {
                0 => {}
                1 => {
                    let k = f2k(date_key(buf[0] as i64, interval, *tz, *offset) as f64);
                    let b = map.entry(k).or_insert_with(|| new_bucket(&a.subs));
                    bucket_collect(a, subs, b, doc, score, buf);
                }
                _ => {
                    let keys: Vec<Key> = buf
                        .iter()
                        .map(|v| f2k(date_key(*v as i64, interval, *tz, *offset) as f64))
                        .collect();
                    collect_keys(a, subs, map, keys.into_iter(), doc, score, buf);
                }
            }
        }
        (
            Kind::Histogram {
                interval, offset, ..
            },
            State::Keyed(map),
        ) => {
            num_values(source, doc, buf);
            let keys: Vec<Key> = buf
                .iter()
                .map(|v| f2k(((v - offset) / interval).floor() * interval + offset))
                .collect();
            collect_keys(a, subs, map, keys.into_iter(), doc, score, buf);
        }
        (Kind::Range { geo, .. }, State::List(bs)) => {
            match (geo, &*source) {
                (Some(g), Source::Geo(col)) => {
                    buf.clear();
                    buf.extend(col.values_for_doc(doc).map(|v| g.distance(v)));
                }
                _ => num_values(source, doc, buf),
            }
            if buf.is_empty()
                && let Some(m) = missing_num
            {
                buf.push(*m);
            }
            let vals = buf.clone();
            for (i, (from, to)) in bounds.iter().enumerate() {
                if vals
                    .iter()
                    .any(|v| from.is_none_or(|f| *v >= f) && to.is_none_or(|t| *v < t))
                {
                    bucket_collect(a, subs, &mut bs[i], doc, score, buf);
                }
            }
        }
        (
            Kind::IpRange {
                ranges, missing, ..
            },
            State::List(bs),
        ) => {
            let col = match &*source {
                Source::Str(col) => Some(col),
                Source::Num(_) | Source::Geo(_) | Source::Long(_) | Source::Nothing => None,
            };
            let has_value = col.is_some_and(|c| c.term_ords(doc).next().is_some());
            for (i, r) in ranges.iter().enumerate() {
                let within = |a: u128| r.from.is_none_or(|f| a >= f) && r.to.is_none_or(|t| a < t);
                let hit = if has_value {
                    col.is_some_and(|c| {
                        c.term_ords(doc)
                            .any(|o| ip_terms.get(o as usize).is_some_and(|&a| within(a)))
                    })
                } else {
                    missing.is_some_and(within)
                };
                if hit {
                    bucket_collect(a, subs, &mut bs[i], doc, score, buf);
                }
            }
        }
        (Kind::GeoGrid(g), State::Keyed(map)) => {
            if let Source::Geo(col) = source {
                let mut cells: Vec<i64> =
                    col.values_for_doc(doc).filter_map(|v| g.cell(v)).collect();
                cells.sort_unstable();
                collect_keys(
                    a,
                    subs,
                    map,
                    cells.into_iter().map(Key::Num),
                    doc,
                    score,
                    buf,
                );
            }
        }
        (Kind::Composite(c), State::Composite(st)) => {
            let mut per: Vec<Vec<composite::Part>> = Vec::with_capacity(c.sources.len());
            for (i, (src, (col, _, tz))) in c.sources.iter().zip(comp.iter()).enumerate() {
                let col: &Source = col;
                let strs: Vec<String> = match col {
                    Source::Str(col) => doc_ords(col, doc)
                        .filter_map(|o| {
                            let mut t = String::new();
                            col.ord_to_str(o, &mut t).ok().filter(|f| *f).map(|_| t)
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                num_values(col, doc, buf);
                let parts = match (&src.kind, col) {
                    (Kind::GeoGrid(g), Source::Geo(points)) => {
                        composite::tile_parts(points.values_for_doc(doc).filter_map(|v| g.cell(v)))
                    }
                    (Kind::GeoGrid(_), _) => Vec::new(),
                    _ => composite::parts_of(src, buf, strs, *tz),
                };
                if parts.is_empty() {
                    if let Some(Some(k)) = comp_missing.get(i) {
                        per.push(vec![Some(k.clone())]);
                        continue;
                    }
                    if !src.missing_bucket {
                        return;
                    }
                    per.push(vec![None]);
                } else {
                    per.push(parts.into_iter().map(Some).collect());
                }
            }
            for key in composite::combinations(&per) {
                if !st.wants(c, comp_after.as_deref(), &key) {
                    continue;
                }
                let b = st.map.entry(key).or_insert_with(|| new_bucket(&a.subs));
                bucket_collect(a, subs, b, doc, score, buf);
            }
            st.prune(c);
        }
        (Kind::GeoMetric(_), State::Points(p)) => {
            if let Source::Geo(col) = source {
                for v in col.values_for_doc(doc) {
                    p.add(v);
                }
            }
        }
        (
            Kind::WeightedAvg {
                value_missing,
                weight_missing,
                ..
            },
            State::Metric(m),
        ) => {
            let read = |i: usize, missing: &Option<f64>| -> Vec<f64> {
                let mut v: Vec<f64> = match comp.get(i) {
                    Some((Source::Num(c), _, _)) => c.values_for_doc(doc).collect(),
                    _ => Vec::new(),
                };
                if v.is_empty()
                    && let Some(x) = missing
                {
                    v.push(*x);
                }
                v
            };
            let (values, weights) = (read(0, value_missing), read(1, weight_missing));
            if let Some(&w) = weights.first() {
                for v in values {
                    m.count += 1;
                    m.sum += v * w;
                    m.sum_sq += w;
                }
            }
        }
        (Kind::Missing { filled, .. }, State::Single(b)) => {
            let has = *filled
                || match &*source {
                    Source::Str(col) => col.term_ords(doc).next().is_some(),
                    Source::Num(col) => col.values_for_doc(doc).next().is_some(),
                    Source::Geo(col) | Source::Long(col) => {
                        col.values_for_doc(doc).next().is_some()
                    }
                    Source::Nothing => false,
                };
            if !has {
                bucket_collect(a, subs, b, doc, score, buf);
            }
        }
        (Kind::Filter(_), State::Single(b)) if filters.first().is_some_and(|f| has_bit(f, doc)) => {
            bucket_collect(a, subs, b, doc, score, buf);
        }
        (Kind::Nested(_), State::Single(b)) => {
            // a document's nested documents come just before it, after the previous document
            // of its own level
            if let [children, level] = &filters[..] {
                let from = prev_set(level, doc).map_or(0, |p| p + 1);
                for child in from..doc {
                    if has_bit(children, child) {
                        bucket_collect(a, subs, b, child, 0.0, buf);
                    }
                }
            }
        }
        (
            Kind::Filters {
                filters: defs,
                other_bucket,
                ..
            },
            State::List(bs),
        ) => {
            let mut any = false;
            for (i, b) in bs.iter_mut().enumerate().take(defs.len()) {
                if has_bit(&filters[i], doc) {
                    any = true;
                    bucket_collect(a, subs, b, doc, score, buf);
                }
            }
            if !any
                && other_bucket.is_some()
                && let Some(b) = bs.last_mut()
            {
                bucket_collect(a, subs, b, doc, score, buf);
            }
        }
        (Kind::Metric { metric, .. }, State::Metric(m)) => match source {
            Source::Str(col) => {
                let distinct = *metric == Metric::Cardinality;
                let num_terms = col.num_terms();
                let mut any = false;
                for o in doc_ords(col, doc) {
                    any = true;
                    m.count += 1;
                    if distinct {
                        m.ords.insert(o, num_terms);
                    }
                }
                if !any && let Some(k) = missing_key {
                    m.count += 1;
                    if distinct {
                        m.distinct.insert(key_hash(k, *field_type));
                    }
                }
            }
            src => {
                num_values(src, doc, buf);
                if buf.is_empty()
                    && let Some(x) = missing_num
                {
                    buf.push(*x);
                }
                // an unmapped field's `missing` that is no number: one distinct value
                if buf.is_empty()
                    && *metric == Metric::Cardinality
                    && let Some(k) = missing_key
                {
                    m.count += 1;
                    m.distinct.insert(key_hash(k, *field_type));
                }
                let float = field_type.is_some_and(FieldType::is_float);
                for &v in buf.iter() {
                    m.count += 1;
                    m.sum += v;
                    m.sum_sq += v * v;
                    m.min = m.min.min(v);
                    m.max = m.max.max(v);
                    match metric {
                        Metric::Percentiles
                        | Metric::PercentileRanks
                        | Metric::MedianAbsoluteDeviation => m.values.push(v),
                        Metric::Cardinality => {
                            m.distinct.insert(cardinality::hash_num(v, float));
                        }
                        _ => {}
                    }
                }
            }
        },
        _ => {}
    }
}

fn finish_all(aggs: &[Agg], segs: &mut [SegAgg], states: &mut [State]) {
    for ((a, s), st) in aggs.iter().zip(segs.iter_mut()).zip(states.iter_mut()) {
        finish_one(a, s, st);
    }
}

fn finish_bucket(a: &Agg, s: &mut SegAgg, b: &mut Bucket) {
    finish_all(&a.subs, &mut s.subs, &mut b.subs);
}

fn finish_one(a: &Agg, s: &mut SegAgg, st: &mut State) {
    finish_collected(a, s, st);
    // `min_doc_count: 0` on terms: every value of the segment's field has a bucket, with no
    // document when no matching document has it (as ES adds them)
    if let (
        Kind::Terms {
            min_doc_count: 0,
            rare: None,
            significant: None,
            ..
        },
        State::Keyed(map),
    ) = (&a.kind, &mut *st)
    {
        match &s.source {
            Source::Str(col) => {
                let mut text = String::new();
                for o in 0..col.num_terms() as u64 {
                    text.clear();
                    if col.ord_to_str(o, &mut text).unwrap_or(false) {
                        map.entry(Key::Str(text.clone()))
                            .or_insert_with(|| new_bucket(&a.subs));
                    }
                }
            }
            Source::Num(col) => {
                for doc in 0..col.num_docs() {
                    for v in col.values_for_doc(doc) {
                        map.entry(f2k(v)).or_insert_with(|| new_bucket(&a.subs));
                    }
                }
            }
            Source::Geo(_) | Source::Long(_) | Source::Nothing => {}
        }
    }
}

fn finish_collected(a: &Agg, s: &mut SegAgg, st: &mut State) {
    if let State::Dense(d) = st {
        let d = std::mem::take(&mut **d);
        let mut map = FastMap::default();
        let mut text = String::new();
        for (i, b) in d.buckets.into_iter().enumerate() {
            let Some(mut b) = b else { continue };
            finish_bucket(a, s, &mut b);
            let idx = d.base + i as i64;
            let key = match (&a.kind, &s.source) {
                (Kind::Terms { .. }, Source::Str(col)) => {
                    text.clear();
                    if !col.ord_to_str(idx as u64, &mut text).unwrap_or(false) {
                        continue;
                    }
                    Key::Str(text.clone())
                }
                (
                    Kind::DateHistogram {
                        interval: Interval::Fixed(iv),
                        offset,
                        ..
                    },
                    _,
                ) => {
                    let shift = fixed_shift(s.tz).unwrap_or(0);
                    f2k((idx * iv - shift + offset) as f64)
                }
                _ => continue,
            };
            map.insert(key, b);
        }
        if let (Some(mut b), Some(k)) = (d.missing, s.missing_key.clone()) {
            finish_bucket(a, s, &mut b);
            match map.get_mut(&k) {
                Some(e) => merge_bucket(a, e, b),
                None => {
                    map.insert(k, b);
                }
            }
        }
        *st = State::Keyed(map);
        return;
    }
    match st {
        State::Keyed(map) => {
            if let Source::Str(col) = &s.source {
                let col = col.clone();
                let ord_keys: Vec<Key> = map
                    .keys()
                    .filter(|k| matches!(k, Key::Ord(_)))
                    .cloned()
                    .collect();
                let mut text = String::new();
                for key in ord_keys {
                    let (Key::Ord(o), Some(mut b)) = (&key, map.remove(&key)) else {
                        continue;
                    };
                    let o = *o;
                    finish_bucket(a, s, &mut b);
                    text.clear();
                    if col.ord_to_str(o, &mut text).unwrap_or(false) {
                        let k = Key::Str(text.clone());
                        match map.get_mut(&k) {
                            Some(e) => merge_bucket(a, e, b),
                            None => {
                                map.insert(k, b);
                            }
                        }
                    }
                }
            }
            let keys: Vec<Key> = map.keys().cloned().collect();
            for k in keys {
                if let Some(b) = map.get_mut(&k) {
                    finish_bucket(a, s, b);
                }
            }
        }
        State::List(bs) => {
            for b in bs {
                finish_bucket(a, s, b);
            }
        }
        State::Single(b) => finish_bucket(a, s, b),
        State::Metric(m) => {
            // hash each distinct term of the segment once
            if let Source::Str(col) = &s.source
                && !m.ords.is_empty()
            {
                let ords = std::mem::take(&mut m.ords);
                if !m.distinct.insert_ords(col, &ords) {
                    tracing::warn!(
                        terms = col.num_terms(),
                        "cardinality: a term dictionary could not be read"
                    );
                }
            }
        }
        State::Composite(c) => {
            for b in c.map.values_mut() {
                finish_bucket(a, s, b);
            }
        }
        State::Dense(_) | State::Top(_) | State::Points(_) | State::Nothing => {}
    }
}

/// The bucket key (epoch millis) of `ms` for a date histogram.
pub fn date_key(ms: i64, interval: &Interval, tz: Option<Zone>, offset: i64) -> i64 {
    match interval {
        Interval::Fixed(i) => {
            // round in local time, then back with the offset in force at the bucket's start
            let shift = shift_at(tz, ms);
            let local = (ms + shift - offset).div_euclid(*i) * i;
            let back = shift_at(tz, local - shift);
            local - back + offset
        }
        Interval::Calendar(unit) => {
            let tz = tz.unwrap_or_else(Zone::utc);
            datemath::round(ms - offset, *unit, tz).map_or(ms, |(s, _)| s + offset)
        }
    }
}

fn next_key(k: i64, interval: &Interval, tz: Option<Zone>, offset: i64) -> i64 {
    match interval {
        Interval::Fixed(i) => k + i,
        Interval::Calendar(unit) => {
            let tz = tz.unwrap_or_else(Zone::utc);
            datemath::round(k - offset, *unit, tz).map_or(k + 86_400_000, |(_, e)| e + offset)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// rendering

/// Rendering context.
#[derive(Default)]
pub struct RenderCtx<'a> {
    /// Mapping of the first index that has the field (for types and formats).
    pub mappings: Vec<&'a Mapping>,
    /// now for extended bounds date math
    pub now_ms: i64,
    /// Buckets rendered so far over all levels (bounded by `max_buckets`).
    pub buckets: std::cell::Cell<usize>,
    /// `search.max_buckets` (`None`: its default, [`MAX_BUCKETS`])
    pub max_buckets: Option<usize>,
    /// Reads the documents of `top_hits` / `top_metrics`.
    pub(crate) fetch: Option<&'a dyn top::Fetch>,
    /// Documents in the bucket being rendered (the query's total at the top): the foreground
    /// set of a `significant_terms` below it.
    pub parent_docs: std::cell::Cell<u64>,
    /// The background sets of the `significant_terms` aggregations, by [`background_key`].
    pub backgrounds: FastMap<String, Background>,
}

/// What identifies a `significant_terms` background set: its field and filter.
pub fn background_key(field: &str, filter: Option<&Value>) -> String {
    format!(
        "{field}\u{0}{}",
        filter.map(Value::to_string).unwrap_or_default()
    )
}

/// The `(field, background_filter)` of every `significant_terms` in `aggs`, at any depth.
pub fn significant_fields(aggs: &[Agg]) -> Vec<(String, Option<Value>)> {
    let mut out: Vec<(String, Option<Value>)> = Vec::new();
    for a in aggs {
        if let Kind::Terms {
            field,
            significant: Some(sig),
            ..
        } = &a.kind
            && !out
                .iter()
                .any(|(f, b)| f == field && b.as_ref() == sig.background.as_ref())
        {
            out.push((field.clone(), sig.background.clone()));
        }
        for sub in significant_fields(&a.subs) {
            if !out.contains(&sub) {
                out.push(sub);
            }
        }
    }
    out
}

/// ES's `search.max_buckets` default: buckets of one response over all aggregation levels.
pub const MAX_BUCKETS: usize = 65_536;

impl RenderCtx<'_> {
    fn field_type(&self, field: &str) -> Option<(FieldType, Vec<DateFormat>, Option<String>)> {
        let first = self.mappings.iter().find_map(|m| {
            m.field(field)
                .map(|f| (f.ty, f.formats.clone(), f.format.clone()))
        })?;
        // a field that is an integer in one index and a float in another: values are doubles
        // (ES reduces long and double terms to double terms)
        if first.0.is_integer()
            && let Some(t) = self
                .mappings
                .iter()
                .find_map(|m| m.field(field).map(|f| f.ty).filter(|t| t.is_float()))
        {
            return Some((t, first.1, first.2));
        }
        Some(first)
    }
}

/// Renders ES JSON for `aggs` from merged states.
pub fn render(aggs: &[Agg], states: &[State], ctx: &RenderCtx<'_>) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for (a, st) in aggs.iter().zip(states) {
        if matches!(a.kind, Kind::Pipeline(_)) {
            // computed from the others' answers: parent ones by the aggregation above,
            // sibling ones below
            continue;
        }
        let mut body = render_one(a, st, ctx)?;
        pipeline::apply_parents(a, &mut body)?;
        let body = match (&a.meta, body) {
            // ES writes `meta` first
            (Some(meta), Value::Object(rest)) => {
                let mut o = Map::new();
                o.insert("meta".into(), Value::Object(meta.clone()));
                o.extend(rest);
                Value::Object(o)
            }
            (_, body) => body,
        };
        out.insert(a.name.clone(), body);
    }
    pipeline::siblings(aggs, &mut out)?;
    Ok(out)
}

/// `typed_keys`: renames each aggregation of `out` (and those inside its buckets) to
/// `type#name`, with the type Elasticsearch writes (`sterms`, `lterms`, `dterms` by the field's
/// type, `tdigest_percentiles`, `bucket_metric_value`, …).
pub fn type_keys(aggs: &[Agg], out: &mut Map<String, Value>, ctx: &RenderCtx<'_>) {
    let old = std::mem::take(out);
    for (k, mut v) in old {
        match aggs.iter().find(|a| a.name == k) {
            Some(a) => {
                if !a.subs.is_empty() {
                    match v.get_mut("buckets") {
                        Some(Value::Array(bs)) => {
                            for b in bs.iter_mut().filter_map(Value::as_object_mut) {
                                type_keys(&a.subs, b, ctx);
                            }
                        }
                        Some(Value::Object(bs)) => {
                            for b in bs.values_mut().filter_map(Value::as_object_mut) {
                                type_keys(&a.subs, b, ctx);
                            }
                        }
                        // a single-bucket aggregation holds its sub-aggregations itself
                        _ => {
                            if let Value::Object(o) = &mut v {
                                type_keys(&a.subs, o, ctx);
                            }
                        }
                    }
                }
                out.insert(format!("{}#{k}", typed_name(&a.kind, ctx)), v);
            }
            None => {
                out.insert(k, v);
            }
        }
    }
}

/// The type Elasticsearch names an aggregation's answer by (its writeable name).
fn typed_name(kind: &Kind, ctx: &RenderCtx<'_>) -> &'static str {
    // string, long or double terms by the field's type
    let flavour = |field: &str| match ctx.field_type(field).map(|t| t.0) {
        Some(t) if t.is_integer() || matches!(t, FieldType::Date | FieldType::Boolean) => 'l',
        Some(FieldType::Double | FieldType::Float | FieldType::HalfFloat) => 'd',
        _ => 's',
    };
    match kind {
        Kind::Terms {
            field,
            rare: Some(_),
            ..
        } => match flavour(field) {
            's' => "srareterms",
            _ => "lrareterms",
        },
        Kind::Terms {
            field,
            significant: Some(_),
            ..
        } => match flavour(field) {
            's' => "sigsterms",
            _ => "siglterms",
        },
        Kind::Terms { field, .. } => match flavour(field) {
            'l' => "lterms",
            'd' => "dterms",
            _ => "sterms",
        },
        Kind::Metric {
            metric: Metric::Percentiles,
            hdr,
            ..
        } => {
            if hdr.is_some() {
                "hdr_percentiles"
            } else {
                "tdigest_percentiles"
            }
        }
        Kind::Metric {
            metric: Metric::PercentileRanks,
            hdr,
            ..
        } => {
            if hdr.is_some() {
                "hdr_percentile_ranks"
            } else {
                "tdigest_percentile_ranks"
            }
        }
        Kind::Pipeline(p) => match p.ty {
            "max_bucket" | "min_bucket" => "bucket_metric_value",
            "avg_bucket" | "sum_bucket" | "cumulative_sum" | "serial_diff" | "moving_fn"
            | "bucket_script" => "simple_value",
            other => other,
        },
        other => other.type_name(),
    }
}

/// A `terms` aggregation's hints, checked as Elasticsearch checks them: `execution_hint` and
/// `collect_mode` choose how ES collects (the answer is the same either way), `value_type` types
/// the values of an unmapped field or a script (a mapped field keeps its own type, as in ES;
/// the store has no scripts, and an unmapped field has no values).
fn terms_hints(o: &Map<String, Value>) -> Result<()> {
    if let Some(v) = o.get("execution_hint") {
        let h = v.as_str().unwrap_or_default();
        if !matches!(h, "map" | "global_ordinals") {
            return Err(Error::illegal_argument(format!(
                "Unknown `execution_hint`: [{h}], expected any of [map, global_ordinals]"
            )));
        }
    }
    if let Some(v) = o.get("collect_mode") {
        let m = v.as_str().unwrap_or_default();
        if !matches!(m, "depth_first" | "breadth_first") {
            return Err(Error::x_content(format!(
                "[terms] failed to parse field [collect_mode]: No mode [{m}]"
            )));
        }
    }
    if let Some(v) = o.get("value_type") {
        let t = v.as_str().unwrap_or_default();
        let known = [
            "string",
            "long",
            "integer",
            "short",
            "byte",
            "double",
            "float",
            "number",
            "numeric",
            "date",
            "ip",
            "boolean",
            "geo_point",
            "range",
        ];
        if !known.contains(&t) {
            return Err(Error::x_content(format!(
                "[terms] failed to parse field [value_type]: Unknown value type [{t}]"
            )));
        }
    }
    Ok(())
}

fn bucket_body(
    a: &Agg,
    b: &Bucket,
    ctx: &RenderCtx<'_>,
    head: Map<String, Value>,
) -> Result<Value> {
    bucket_body_with(a, b, ctx, head, Map::new())
}

/// A bucket: `head` (its key), `doc_count`, `after_count` (a significant term's `score` and
/// `bg_count`), then the sub-aggregations.
fn bucket_body_with(
    a: &Agg,
    b: &Bucket,
    ctx: &RenderCtx<'_>,
    mut head: Map<String, Value>,
    after_count: Map<String, Value>,
) -> Result<Value> {
    let n = ctx.buckets.get() + 1;
    let max = ctx.max_buckets.unwrap_or(MAX_BUCKETS);
    if n > max {
        // buckets are counted as the results are reduced: ES fails that phase
        return Err(Error::es(400, "search_phase_execution_exception", "")
            .with("phase", "fetch")
            .with("grouped", true)
            .with("failed_shards", Value::Array(Vec::new()))
            .caused_by(
                Error::es(
                    400,
                    "too_many_buckets_exception",
                    format!(
                        "Trying to create too many buckets. Must be less than or equal to: [{max}] but this number of buckets was exceeded. This limit can be set by changing the [search.max_buckets] cluster level setting."
                    ),
                )
                .with("max_buckets", max),
            ));
    }
    ctx.buckets.set(n);
    head.insert("doc_count".into(), Value::from(b.doc_count));
    head.extend(after_count);
    let parent = ctx.parent_docs.replace(b.doc_count);
    let subs = render(&a.subs, &b.subs, ctx);
    ctx.parent_docs.set(parent);
    head.extend(subs?);
    Ok(Value::Object(head))
}

/// A term bucket's `key` (and `key_as_string` for dates and booleans) as ES renders it for a
/// field of type `ty`.
fn term_key(
    k: &Key,
    ty: Option<&(FieldType, Vec<DateFormat>, Option<String>)>,
) -> Map<String, Value> {
    let mut head = Map::new();
    match (k, ty) {
        (Key::Str(s), Some((FieldType::Ip, _, _))) => {
            head.insert("key".into(), Value::from(ip::term_to_display(s)));
        }
        (Key::Str(s), _) => {
            head.insert("key".into(), Value::from(s.clone()));
        }
        (k, Some((FieldType::Date, formats, _))) => {
            let ms = k2f(k) as i64;
            head.insert("key".into(), Value::from(ms));
            head.insert(
                "key_as_string".into(),
                Value::from(date::format_with(ms, formats, None)),
            );
        }
        (k, Some((FieldType::Boolean, _, _))) => {
            let v = k2f(k);
            head.insert("key".into(), Value::from(v as i64));
            head.insert(
                "key_as_string".into(),
                Value::from(if v != 0.0 { "true" } else { "false" }),
            );
        }
        (k, Some((t, _, _))) if t.is_integer() => {
            head.insert("key".into(), integer_json(k2f(k)));
        }
        (k, _) => {
            head.insert("key".into(), num_json(k2f(k)));
        }
    }
    head
}

/// A `significant_terms` answer: the terms of `map` (counted in the foreground set, the
/// bucket above) scored against the background set, those with a positive score and at least
/// `min_doc_count` foreground documents, best first.
#[allow(clippy::too_many_arguments)]
fn render_significant(
    a: &Agg,
    field: &str,
    size: usize,
    min_doc_count: u64,
    sig: &Significant,
    terms: Vec<(&Key, &Bucket)>,
    ctx: &RenderCtx<'_>,
) -> Result<Value> {
    let fg_size = ctx.parent_docs.get();
    let empty = Background::default();
    let bg = ctx
        .backgrounds
        .get(&background_key(field, sig.background.as_ref()))
        .unwrap_or(&empty);
    let mut scored: Vec<(&Key, &Bucket, u64, f64)> = terms
        .into_iter()
        .filter(|(_, b)| b.doc_count >= min_doc_count)
        .map(|(k, b)| {
            let bg_count = bg.counts.get(k).copied().unwrap_or(0);
            let score = sig.heuristic.score(b.doc_count, fg_size, bg_count, bg.size);
            (k, b, bg_count, score)
        })
        .filter(|(.., score)| *score > 0.0)
        .collect();
    scored.sort_by(|x, y| y.3.total_cmp(&x.3).then_with(|| cmp_keys(x.0, y.0)));
    let ty = ctx.field_type(field);
    let mut arr = Vec::new();
    for (k, b, bg_count, score) in scored.into_iter().take(size) {
        let mut after = Map::new();
        after.insert("score".into(), num_json(score));
        after.insert("bg_count".into(), Value::from(bg_count));
        arr.push(bucket_body_with(
            a,
            b,
            ctx,
            term_key(k, ty.as_ref()),
            after,
        )?);
    }
    Ok(json!({"doc_count": fg_size, "bg_count": bg.size, "buckets": arr}))
}

/// A `multi_terms` answer: its composite buckets as terms buckets (the key a list of the
/// terms' values, `key_as_string` them joined by `|`), ordered as `order` asks (by default by
/// count, largest first, then by key), the first `size` of those with `min_doc_count` documents.
fn render_multi_terms(
    a: &Agg,
    c: &composite::CompositeSpec,
    st: &composite::CompositeState,
    ctx: &RenderCtx<'_>,
) -> Result<Value> {
    let Some(m) = &c.multi else {
        return Ok(Value::Null);
    };
    validate_order(a, &m.order)?;
    let types: Vec<_> = c
        .sources
        .iter()
        .map(|s| ctx.field_type(s.field()))
        .collect();
    let mut buckets: Vec<(&Vec<composite::Part>, &Bucket)> = st
        .map
        .iter()
        .filter(|(_, b)| b.doc_count >= m.min_doc_count)
        .collect();
    let by_key = |x: &[composite::Part], y: &[composite::Part]| composite::cmp_keys(c, x, y);
    // ES's default: the count, largest first; the key breaks ties unless the order has it
    let order = if m.order.is_empty() {
        vec![Order::Count(false)]
    } else {
        m.order.clone()
    };
    let keyed = order.iter().any(|o| matches!(o, Order::Key(_)));
    buckets.sort_by(|x, y| {
        cmp_by_orders(a, &order, (x.1, y.1), || by_key(x.0, y.0)).then_with(|| {
            if keyed {
                std::cmp::Ordering::Equal
            } else {
                by_key(x.0, y.0)
            }
        })
    });
    let total: u64 = buckets.iter().map(|(_, b)| b.doc_count).sum();
    let shown: Vec<_> = buckets.into_iter().take(m.size).collect();
    let shown_count: u64 = shown.iter().map(|(_, b)| b.doc_count).sum();
    let mut arr = Vec::with_capacity(shown.len());
    for (key, b) in shown {
        let mut keys = Vec::with_capacity(key.len());
        let mut text = String::new();
        for (i, (part, ty)) in key.iter().zip(&types).enumerate() {
            let (k, s) = match part {
                None => (Value::Null, "null".to_owned()),
                Some(part) => multi_term_key(part, ty.as_ref()),
            };
            if i > 0 {
                text.push('|');
            }
            text.push_str(&s);
            keys.push(k);
        }
        let mut head = Map::new();
        head.insert("key".into(), Value::from(keys));
        head.insert("key_as_string".into(), Value::from(text));
        let mut after = Map::new();
        if m.show_error {
            after.insert("doc_count_error_upper_bound".into(), Value::from(0));
        }
        arr.push(bucket_body_with(a, b, ctx, head, after)?);
    }
    Ok(
        json!({"doc_count_error_upper_bound": 0, "sum_other_doc_count": total - shown_count,
        "buckets": arr}),
    )
}

/// One value of a `multi_terms` key as ES shows it (dates formatted, booleans as booleans) and
/// as text for `key_as_string`.
fn multi_term_key(
    k: &Key,
    ty: Option<&(FieldType, Vec<DateFormat>, Option<String>)>,
) -> (Value, String) {
    match (k, ty) {
        (Key::Str(s), Some((FieldType::Ip, _, _))) => {
            let t = ip::term_to_display(s);
            (Value::from(t.clone()), t)
        }
        (Key::Str(s), _) => (Value::from(s.clone()), s.clone()),
        (k, Some((FieldType::Date, formats, _))) => {
            let t = date::format_with(k2f(k) as i64, formats, None);
            (Value::from(t.clone()), t)
        }
        (k, Some((FieldType::Boolean, _, _))) => {
            let b = k2f(k) != 0.0;
            (Value::from(b), b.to_string())
        }
        (k, Some((t, _, _))) if t.is_integer() => {
            let n = integer_json(k2f(k));
            let text = n.to_string();
            (n, text)
        }
        (k, _) => (num_json(k2f(k)), java_double(k2f(k))),
    }
}

/// An integral value of a long or `unsigned_long` field: beyond `i64` (an unsigned value of
/// 2^63 or more) as the unsigned number it is.
pub(crate) fn integer_json(x: f64) -> Value {
    if x >= 9_223_372_036_854_775_808.0 {
        Value::from(x as u64)
    } else {
        Value::from(x as i64)
    }
}

/// Java's double rendering for integral values (`100.0`).
pub fn num_json(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn java_double(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// A figure of `extended_stats` by its response name (`variance`, `std_deviation_bounds.upper`,
/// ...), as Elasticsearch's `InternalExtendedStats` computes it.
fn extended_stat(m: &MetricState, sigma: f64, name: &str) -> f64 {
    let n = m.count as f64;
    let avg = m.sum / n;
    // as ES: a negative rounding error is 0, a NaN (no values, or one for sampling) stays
    let clamp = |v: f64| if v < 0.0 { 0.0 } else { v };
    let population = clamp((m.sum_sq - m.sum * m.sum / n) / n);
    let sampling = clamp((m.sum_sq - m.sum * m.sum / n) / (n - 1.0));
    match name {
        "sum_of_squares" => m.sum_sq,
        "variance" | "variance_population" => population,
        "variance_sampling" => sampling,
        "std_deviation" | "std_deviation_population" => population.sqrt(),
        "std_deviation_sampling" => sampling.sqrt(),
        "std_deviation_bounds.upper" | "std_deviation_bounds.upper_population" => {
            avg + sigma * population.sqrt()
        }
        "std_deviation_bounds.lower" | "std_deviation_bounds.lower_population" => {
            avg - sigma * population.sqrt()
        }
        "std_deviation_bounds.upper_sampling" => avg + sigma * sampling.sqrt(),
        "std_deviation_bounds.lower_sampling" => avg - sigma * sampling.sqrt(),
        "count" => n,
        "sum" => m.sum,
        "min" => m.min,
        "max" => m.max,
        "avg" => avg,
        _ => f64::NAN,
    }
}

fn metric_value(a: &Agg, b: &Bucket, path: &str) -> f64 {
    let (name, stat) = path
        .split_once('.')
        .map_or((path, None), |(n, s)| (n, Some(s)));
    for (sub, st) in a.subs.iter().zip(&b.subs) {
        if sub.name != name {
            continue;
        }
        // a single-bucket aggregation orders by its document count
        if let State::Single(inner) = st {
            return inner.doc_count as f64;
        }
        if let (
            Kind::Metric {
                metric: Metric::ExtendedStats,
                sigma,
                ..
            },
            State::Metric(m),
            Some(stat),
        ) = (&sub.kind, st, stat)
        {
            return extended_stat(m, *sigma, stat);
        }
        if let (Kind::Metric { metric, .. }, State::Metric(m)) = (&sub.kind, st) {
            let avg = if m.count == 0 {
                f64::NAN
            } else {
                m.sum / m.count as f64
            };
            return match (metric, stat) {
                (Metric::Avg, _) | (Metric::Stats, Some("avg")) => avg,
                (Metric::Min, _) | (Metric::Stats, Some("min")) => m.min,
                (Metric::Max, _) | (Metric::Stats, Some("max")) => m.max,
                (Metric::Sum, _) | (Metric::Stats, Some("sum")) => m.sum,
                (Metric::ValueCount, _) | (Metric::Stats, Some("count")) => m.count as f64,
                (Metric::Cardinality, _) => m.distinct.count() as f64,
                (Metric::MedianAbsoluteDeviation, _) => {
                    m.values.median_absolute_deviation().unwrap_or(f64::NAN)
                }
                _ => f64::NAN,
            };
        }
    }
    f64::NAN
}

/// Two buckets of `a` by `order`, the first order that tells them apart (`by_key` compares
/// their keys ascending); `Equal` when none does.
fn cmp_by_orders(
    a: &Agg,
    order: &[Order],
    (x, y): (&Bucket, &Bucket),
    by_key: impl Fn() -> std::cmp::Ordering,
) -> std::cmp::Ordering {
    for o in order {
        let (c, asc) = match o {
            Order::Count(asc) => (x.doc_count.cmp(&y.doc_count), asc),
            Order::Key(asc) => (by_key(), asc),
            Order::Metric(p, asc) => {
                let (vx, vy) = (metric_value(a, x, p), metric_value(a, y, p));
                let c = vx
                    .partial_cmp(&vy)
                    .unwrap_or_else(|| vx.is_nan().cmp(&vy.is_nan()));
                (c, asc)
            }
        };
        let c = if *asc { c } else { c.reverse() };
        if c != std::cmp::Ordering::Equal {
            return c;
        }
    }
    std::cmp::Ordering::Equal
}

fn validate_order(a: &Agg, order: &[Order]) -> Result<()> {
    for o in order {
        if let Order::Metric(path, _) = o {
            let (name, stat) = path
                .split_once('.')
                .map_or((path.as_str(), None), |(n, s)| (n, Some(s)));
            let single_bucket = |k: &Kind| {
                matches!(k, Kind::Filter(_) | Kind::Nested(_) | Kind::Missing { .. })
                    && matches!(stat, None | Some("doc_count" | "_count"))
            };
            let ok = a.subs.iter().any(|s| {
                s.name == name
                    && (single_bucket(&s.kind)
                        || matches!(&s.kind, Kind::Metric { metric, .. } if !matches!(metric, Metric::Percentiles | Metric::PercentileRanks)))
            });
            if !ok {
                return Err(Error::es(
                    400,
                    "aggregation_execution_exception",
                    format!(
                        "Invalid aggregation order path [{path}]. The provided aggregation [{name}] either does not exist, or is a pipeline aggregation and cannot be used to sort the buckets."
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn render_one(a: &Agg, st: &State, ctx: &RenderCtx<'_>) -> Result<Value> {
    match (&a.kind, st) {
        (
            Kind::Terms {
                field,
                size,
                order,
                min_doc_count,
                rare,
                include,
                exclude,
                significant,
                value_type,
                ..
            },
            State::Keyed(map),
        ) => {
            validate_order(a, order)?;
            let ty = ctx.field_type(field).or_else(|| {
                value_type.map(|t| {
                    let formats = if t == FieldType::Date {
                        crate::mapping::date::parse_formats(crate::mapping::date::DEFAULT_FORMAT)
                            .unwrap_or_default()
                    } else {
                        Vec::new()
                    };
                    (t, formats, None)
                })
            });
            let numeric = ty
                .as_ref()
                .is_some_and(|(t, _, _)| !matches!(t, FieldType::Keyword | FieldType::Ip));
            let patterns = [include.as_ref(), exclude.as_ref()];
            if matches!(ty, Some((FieldType::Ip, _, _)))
                && patterns
                    .iter()
                    .flatten()
                    .any(|s| matches!(s, TermSet::Pattern(_)))
            {
                return Err(crate::search::all_shards_failed(Error::illegal_argument(
                    format!(
                        "Aggregation [{}] cannot support regular expression style include/exclude settings as they can only be applied to string fields. Use an array of values for include/exclude clauses",
                        a.name
                    ),
                )));
            }
            if numeric
                && patterns
                    .iter()
                    .flatten()
                    .any(|s| matches!(s, TermSet::Pattern(_)))
            {
                return Err(Error::illegal_argument(format!(
                    "Aggregation [{}] cannot support regular expression style include/exclude settings as they can only be applied to string fields. Use an array of numeric values for include/exclude clauses used to filter numeric fields",
                    a.name
                )));
            }
            let compiled = patterns.map(|s| match s {
                Some(TermSet::Pattern(p)) => {
                    crate::query::regexp::compile(p, crate::query::regexp::Flags::ALL, false).ok()
                }
                _ => None,
            });
            let filtered = include.is_some() || exclude.is_some();
            let mut buckets: Vec<(&Key, &Bucket)> = map
                .iter()
                .filter(|(_, b)| {
                    b.doc_count >= *min_doc_count && rare.is_none_or(|max| b.doc_count <= max)
                })
                .filter(|(k, _)| {
                    !filtered || {
                        let (text, num) = match k {
                            Key::Str(s) if matches!(ty, Some((FieldType::Ip, _, _))) => {
                                (ip::term_to_display(s), None)
                            }
                            Key::Str(s) => (s.clone(), None),
                            k => (java_double(k2f(k)), Some(k2f(k))),
                        };
                        let dates = match &ty {
                            Some((FieldType::Date, formats, _)) => Some(formats.as_slice()),
                            _ => None,
                        };
                        let field_ty = ty.as_ref().map(|(t, _, _)| *t);
                        term_passes(
                            include.as_ref(),
                            exclude.as_ref(),
                            &compiled,
                            &text,
                            num,
                            dates,
                            &|n| partition_of(k, field_ty, n),
                        )
                    }
                })
                .collect();
            if let Some(sig) = significant {
                return render_significant(a, field, *size, *min_doc_count, sig, buckets, ctx);
            }
            let order = if order.is_empty() {
                vec![Order::Count(false)]
            } else {
                order.clone()
            };
            buckets.sort_by(|x, y| {
                cmp_by_orders(a, &order, (x.1, y.1), || cmp_keys(x.0, y.0))
                    .then_with(|| cmp_keys(x.0, y.0))
            });
            let total: u64 = buckets.iter().map(|(_, b)| b.doc_count).sum();
            let shown: Vec<(&Key, &Bucket)> = buckets.into_iter().take(*size).collect();
            let shown_count: u64 = shown.iter().map(|(_, b)| b.doc_count).sum();
            let mut arr = Vec::new();
            for (k, b) in shown {
                arr.push(bucket_body(a, b, ctx, term_key(k, ty.as_ref()))?);
            }
            if rare.is_some() {
                return Ok(json!({ "buckets": arr }));
            }
            Ok(
                json!({"doc_count_error_upper_bound": 0, "sum_other_doc_count": total - shown_count, "buckets": arr}),
            )
        }
        (
            Kind::DateHistogram {
                field,
                interval,
                min_doc_count,
                bounds,
                tz,
                format,
                offset,
            },
            State::Keyed(map),
        ) => {
            let tz = tz.as_deref().map(datemath::parse_time_zone).transpose()?;
            let (formats, has_custom) = match (format, ctx.field_type(field)) {
                (Some(f), _) => (
                    date::parse_formats(f).map_err(Error::illegal_argument)?,
                    true,
                ),
                (None, Some((_, formats, Some(_)))) => (formats, true),
                _ => (
                    date::parse_formats(date::DEFAULT_FORMAT).unwrap_or_default(),
                    false,
                ),
            };
            let _ = has_custom;
            let mut keys: BTreeMap<i64, &Bucket> = BTreeMap::new();
            for (k, b) in map {
                keys.insert(k2f(k) as i64, b);
            }
            let empty = new_bucket(&a.subs);
            let mut out_keys: Vec<i64> = Vec::new();
            if *min_doc_count == 0 {
                let mut lo = keys.keys().next().copied();
                let mut hi = keys.keys().next_back().copied();
                if let Some((bmin, bmax)) = bounds {
                    let f = date::parse_formats(date::DEFAULT_FORMAT).unwrap_or_default();
                    let conv = |v: &Value| -> Result<Option<i64>> {
                        match v {
                            Value::Null => Ok(None),
                            Value::Number(n) => Ok(n.as_i64()),
                            Value::String(s) => {
                                datemath::resolve(s, &f, tz, ctx.now_ms, false).map(Some)
                            }
                            _ => Err(perr("[extended_bounds] must be numbers or dates")),
                        }
                    };
                    if let Some(m) = conv(bmin)? {
                        let k = date_key(m, interval, tz, *offset);
                        lo = Some(lo.map_or(k, |l| l.min(k)));
                    }
                    if let Some(m) = conv(bmax)? {
                        let k = date_key(m, interval, tz, *offset);
                        hi = Some(hi.map_or(k, |h| h.max(k)));
                    }
                }
                if let (Some(mut k), Some(hi)) = (lo, hi) {
                    let mut guard = 0;
                    while k <= hi && guard < 100_000 {
                        out_keys.push(k);
                        k = next_key(k, interval, tz, *offset);
                        guard += 1;
                    }
                    if guard >= 100_000 {
                        return Err(Error::es(
                            400,
                            "too_many_buckets_exception",
                            "Trying to create too many buckets. Must be less than or equal to: [65536]",
                        ));
                    }
                }
            } else {
                out_keys = keys
                    .iter()
                    .filter(|(_, b)| b.doc_count >= *min_doc_count)
                    .map(|(k, _)| *k)
                    .collect();
            }
            let mut arr = Vec::new();
            for k in out_keys {
                let b = keys.get(&k).copied().unwrap_or(&empty);
                let mut head = Map::new();
                head.insert(
                    "key_as_string".into(),
                    Value::from(date::format_with(k, &formats, tz)),
                );
                head.insert("key".into(), Value::from(k));
                arr.push(bucket_body(a, b, ctx, head)?);
            }
            Ok(json!({"buckets": arr}))
        }
        (
            Kind::Histogram {
                interval,
                min_doc_count,
                bounds,
                offset,
                format,
                ..
            },
            State::Keyed(map),
        ) => {
            let mut keys: Vec<(f64, &Bucket)> = map.iter().map(|(k, b)| (k2f(k), b)).collect();
            keys.sort_by(|x, y| x.0.total_cmp(&y.0));
            let empty = new_bucket(&a.subs);
            let mut arr = Vec::new();
            let mut emit = |k: f64, b: &Bucket| -> Result<()> {
                let mut head = Map::new();
                head.insert("key".into(), num_json(k));
                if let Some(f) = format {
                    head.insert("key_as_string".into(), Value::from(f.format(k)));
                }
                arr.push(bucket_body(a, b, ctx, head)?);
                Ok(())
            };
            if *min_doc_count == 0 {
                let mut lo = keys.first().map(|x| x.0);
                let mut hi = keys.last().map(|x| x.0);
                if let Some((bl, bh)) = bounds {
                    let kl = ((bl - offset) / interval).floor() * interval + offset;
                    let kh = ((bh - offset) / interval).floor() * interval + offset;
                    lo = Some(lo.map_or(kl, |l: f64| l.min(kl)));
                    hi = Some(hi.map_or(kh, |h: f64| h.max(kh)));
                }
                if let (Some(lo), Some(hi)) = (lo, hi) {
                    let n = ((hi - lo) / interval).round() as i64;
                    if n > 65_535 {
                        return Err(Error::es(
                            400,
                            "too_many_buckets_exception",
                            "Trying to create too many buckets. Must be less than or equal to: [65536]",
                        ));
                    }
                    for i in 0..=n {
                        let k = lo + i as f64 * interval;
                        let b = map.get(&f2k(k)).unwrap_or(&empty);
                        emit(k, b)?;
                    }
                }
            } else {
                for (k, b) in keys {
                    if b.doc_count >= *min_doc_count {
                        emit(k, b)?;
                    }
                }
            }
            Ok(json!({"buckets": arr}))
        }
        (
            Kind::Range {
                field,
                ranges,
                keyed,
                date,
                geo,
                ..
            },
            State::List(bs),
        ) => {
            let mut out = KeyedBuckets::new(*keyed);
            let (ty, mut formats) = ctx
                .field_type(field)
                .filter(|_| geo.is_none())
                .map_or((None, Vec::new()), |(t, f, _)| (Some(t), f));
            let ty = ty.or(date.as_ref().map(|_| FieldType::Date));
            let bounds = resolve_bounds(ranges, ty, &formats, date.as_ref(), ctx.now_ms)?;
            if let Some(f) = date.as_ref().and_then(|d| d.format.as_deref()) {
                formats = date::parse_formats(f).map_err(Error::illegal_argument)?;
            }
            let zone = date
                .as_ref()
                .and_then(|d| d.time_zone.as_deref())
                .map(datemath::parse_time_zone)
                .transpose()?;
            let is_date = ty == Some(FieldType::Date);
            let show = |x: f64| {
                if is_date {
                    date::format_with(x as i64, &formats, zone)
                } else {
                    java_double(x)
                }
            };
            // ES's range aggregator keeps its ranges sorted by `from`, then `to` (unbounded
            // ends first and last)
            let mut order: Vec<usize> = (0..ranges.len().min(bounds.len()).min(bs.len())).collect();
            order.sort_by(|&x, &y| {
                let (fx, tx) = bounds[x];
                let (fy, ty) = bounds[y];
                fx.unwrap_or(f64::NEG_INFINITY)
                    .total_cmp(&fy.unwrap_or(f64::NEG_INFINITY))
                    .then(
                        tx.unwrap_or(f64::INFINITY)
                            .total_cmp(&ty.unwrap_or(f64::INFINITY)),
                    )
            });
            for i in order {
                let (spec, (from, to), b) = (&ranges[i], &bounds[i], &bs[i]);
                let k = spec.key.clone().unwrap_or_else(|| {
                    format!(
                        "{}-{}",
                        from.map_or("*".to_owned(), show),
                        to.map_or("*".to_owned(), show)
                    )
                });
                let mut head = Map::new();
                if !keyed {
                    head.insert("key".into(), Value::from(k.clone()));
                }
                if let Some(f) = from {
                    head.insert("from".into(), num_json(*f));
                    if is_date {
                        head.insert("from_as_string".into(), Value::from(show(*f)));
                    }
                } else if geo.is_some() {
                    // a distance starts at 0 (ES shows it, keeping `*` in the key)
                    head.insert("from".into(), num_json(0.0));
                }
                if let Some(t) = to {
                    head.insert("to".into(), num_json(*t));
                    if is_date {
                        head.insert("to_as_string".into(), Value::from(show(*t)));
                    }
                }
                out.push(k, bucket_body(a, b, ctx, head)?);
            }
            Ok(out.into_json())
        }
        (Kind::IpRange { ranges, keyed, .. }, State::List(bs)) => {
            let mut out = KeyedBuckets::new(*keyed);
            for (r, b) in ranges.iter().zip(bs) {
                let (from, to) = (r.from.map(ip::format), r.to.map(ip::format));
                let k = r.key.clone().unwrap_or_else(|| {
                    format!(
                        "{}-{}",
                        from.as_deref().unwrap_or("*"),
                        to.as_deref().unwrap_or("*")
                    )
                });
                let mut head = Map::new();
                if !keyed {
                    head.insert("key".into(), Value::from(k.clone()));
                }
                if let Some(f) = from {
                    head.insert("from".into(), Value::from(f));
                }
                if let Some(t) = to {
                    head.insert("to".into(), Value::from(t));
                }
                out.push(k, bucket_body(a, b, ctx, head)?);
            }
            Ok(out.into_json())
        }
        (Kind::Filter(_) | Kind::Nested(_) | Kind::Missing { .. }, State::Single(b)) => {
            bucket_body(a, b, ctx, Map::new())
        }
        (
            Kind::Filters {
                filters,
                keyed,
                other_bucket,
            },
            State::List(bs),
        ) => {
            let mut names: Vec<String> = filters.iter().map(|(n, _)| n.clone()).collect();
            if let Some(o) = other_bucket {
                names.push(o.clone());
            }
            if *keyed {
                let mut obj = Map::new();
                for (n, b) in names.iter().zip(bs) {
                    obj.insert(n.clone(), bucket_body(a, b, ctx, Map::new())?);
                }
                Ok(json!({"buckets": obj}))
            } else {
                let arr = bs
                    .iter()
                    .map(|b| bucket_body(a, b, ctx, Map::new()))
                    .collect::<Result<Vec<_>>>()?;
                Ok(json!({"buckets": arr}))
            }
        }
        (
            Kind::Metric {
                metric,
                field,
                percents,
                sigma,
                keyed,
                ..
            },
            State::Metric(m),
        ) => {
            let is_date = matches!(ctx.field_type(field), Some((FieldType::Date, _, _)));
            let val = |x: f64, present: bool| -> Value {
                if present { num_json(x) } else { Value::Null }
            };
            let with_string = |mut v: Map<String, Value>, key: &str, x: f64, present: bool| {
                if is_date && present {
                    v.insert(
                        format!("{key}_as_string"),
                        Value::from(date::format_millis(x as i64, None)),
                    );
                }
                v
            };
            let has = m.count > 0;
            Ok(match metric {
                Metric::MedianAbsoluteDeviation => {
                    json!({"value": m.values.median_absolute_deviation().map_or(Value::Null, num_json)})
                }
                Metric::Avg => {
                    let avg = m.sum / m.count.max(1) as f64;
                    Value::Object(with_string(
                        Map::from_iter([("value".to_owned(), val(avg, has))]),
                        "value",
                        avg,
                        has,
                    ))
                }
                Metric::Min => Value::Object(with_string(
                    Map::from_iter([("value".to_owned(), val(m.min, has))]),
                    "value",
                    m.min,
                    has,
                )),
                Metric::Max => Value::Object(with_string(
                    Map::from_iter([("value".to_owned(), val(m.max, has))]),
                    "value",
                    m.max,
                    has,
                )),
                Metric::Sum => Value::Object(with_string(
                    Map::from_iter([("value".to_owned(), num_json(m.sum))]),
                    "value",
                    m.sum,
                    true,
                )),
                Metric::ValueCount => json!({"value": m.count}),
                Metric::Cardinality => json!({"value": m.distinct.count()}),
                Metric::Stats => {
                    let avg = m.sum / m.count.max(1) as f64;
                    let mut o = Map::from_iter([
                        ("count".to_owned(), Value::from(m.count)),
                        ("min".to_owned(), val(m.min, has)),
                        ("max".to_owned(), val(m.max, has)),
                        ("avg".to_owned(), val(avg, has)),
                        ("sum".to_owned(), num_json(m.sum)),
                    ]);
                    for (key, x) in [("min", m.min), ("max", m.max), ("avg", avg), ("sum", m.sum)] {
                        o = with_string(o, key, x, has);
                    }
                    Value::Object(o)
                }
                Metric::ExtendedStats => {
                    let mut o = json!({
                        "count": m.count,
                        "min": val(m.min, has),
                        "max": val(m.max, has),
                        "avg": val(m.sum / m.count.max(1) as f64, has),
                        "sum": num_json(m.sum),
                    });
                    let names = [
                        "sum_of_squares",
                        "variance",
                        "variance_population",
                        "variance_sampling",
                        "std_deviation",
                        "std_deviation_population",
                        "std_deviation_sampling",
                    ];
                    // ES writes a NaN figure (sampling variance of one value) as "NaN"
                    let figure = |x: f64| match (has, x.is_nan()) {
                        (false, _) => Value::Null,
                        (true, true) => Value::from("NaN"),
                        (true, false) => num_json(x),
                    };
                    for n in names {
                        o[n] = figure(extended_stat(m, *sigma, n));
                    }
                    let mut bounds = Map::new();
                    for n in [
                        "upper",
                        "lower",
                        "upper_population",
                        "lower_population",
                        "upper_sampling",
                        "lower_sampling",
                    ] {
                        let x = extended_stat(m, *sigma, &format!("std_deviation_bounds.{n}"));
                        bounds.insert(n.to_owned(), figure(x));
                    }
                    o["std_deviation_bounds"] = Value::Object(bounds);
                    o
                }
                Metric::PercentileRanks | Metric::Percentiles => {
                    let found = if *metric == Metric::PercentileRanks {
                        m.values.ranks(percents)
                    } else {
                        m.values.percentiles(percents)
                    };
                    if !keyed {
                        let list: Vec<Value> = percents
                            .iter()
                            .zip(found)
                            .map(|(k, v)| {
                                let o = Map::from_iter([
                                    ("key".to_owned(), num_json(*k)),
                                    ("value".to_owned(), v.map_or(Value::Null, num_json)),
                                ]);
                                Value::Object(with_string(
                                    o,
                                    "value",
                                    v.unwrap_or(0.0),
                                    v.is_some(),
                                ))
                            })
                            .collect();
                        return Ok(json!({ "values": list }));
                    }
                    let mut values = Map::new();
                    for (p, v) in percents.iter().zip(found) {
                        let key = java_double(*p);
                        values.insert(key.clone(), v.map_or(Value::Null, num_json));
                        values = with_string(values, &key, v.unwrap_or(0.0), v.is_some());
                    }
                    json!({"values": values})
                }
            })
        }
        (Kind::GeoGrid(g), State::Keyed(map)) => {
            // most documents first; among equals, the greater `hashAsLong` first
            // (Elasticsearch's bucket queue)
            let mut cells: Vec<(i64, &Bucket)> = map
                .iter()
                .filter_map(|(k, b)| match k {
                    Key::Num(c) => Some((*c, b)),
                    _ => None,
                })
                .collect();
            cells.sort_by(|x, y| {
                y.1.doc_count
                    .cmp(&x.1.doc_count)
                    .then(g.order_key(y.0).cmp(&g.order_key(x.0)))
            });
            let buckets = cells
                .into_iter()
                .take(g.size)
                .map(|(c, b)| {
                    let head = Map::from_iter([("key".to_owned(), Value::from(g.key(c)))]);
                    bucket_body(a, b, ctx, head)
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(json!({"buckets": buckets}))
        }
        (Kind::Composite(c), State::Composite(st)) if c.multi.is_some() => {
            render_multi_terms(a, c, st, ctx)
        }
        (Kind::Composite(c), State::Composite(st)) => {
            let types: Vec<(Option<FieldType>, Vec<DateFormat>)> = c
                .sources
                .iter()
                .map(|src| {
                    let found = ctx.field_type(src.field());
                    let formats = match &src.kind {
                        Kind::DateHistogram {
                            format: Some(f), ..
                        } => date::parse_formats(f).map_err(Error::illegal_argument)?,
                        _ => found.as_ref().map(|f| f.1.clone()).unwrap_or_default(),
                    };
                    Ok((found.map(|f| f.0), formats))
                })
                .collect::<Result<_>>()?;
            let after = composite::after_parts(c, &types, ctx.now_ms)?;
            composite::render_page(
                c,
                st,
                after.as_deref(),
                |key| {
                    Value::Object(
                        c.sources
                            .iter()
                            .zip(key)
                            .zip(&types)
                            .map(|((src, part), (ty, formats))| {
                                (
                                    src.name.clone(),
                                    composite::part_json(src, part, *ty, formats),
                                )
                            })
                            .collect(),
                    )
                },
                |b, head| bucket_body(a, b, ctx, head),
            )
        }
        (Kind::WeightedAvg { .. }, State::Metric(m)) => Ok(json!({
            "value": if m.sum_sq != 0.0 { num_json(m.sum / m.sum_sq) } else { Value::Null }
        })),
        (Kind::GeoMetric(m), State::Points(p)) => Ok(match m.bounds {
            Some(wrap) => p.render_bounds(wrap),
            None => p.render_centroid(),
        }),
        (Kind::TopHits(t), State::Top(st)) => top::render_top_hits(t, st, ctx.fetch),
        (Kind::TopMetrics(t), State::Top(st)) => top::render_top_metrics(t, st, ctx.fetch),
        _ => Err(Error::es(
            500,
            "exception",
            format!("aggregation state mismatch for [{}]", a.name),
        )),
    }
}

fn cmp_keys(a: &Key, b: &Key) -> std::cmp::Ordering {
    match (a, b) {
        (Key::Str(x), Key::Str(y)) => x.cmp(y),
        _ => k2f(a).total_cmp(&k2f(b)),
    }
}

/// Percentile with linear interpolation between closest ranks (`None` when empty).
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    if sorted.len() == 1 {
        return Some(sorted[0]);
    }
    let rank = (p / 100.0).clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let frac = rank - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

#[cfg(test)]
mod tests;
