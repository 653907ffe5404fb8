//! Elasticsearch's `function_score` query: the inner query's documents, rescored by functions
//! (`weight`, `field_value_factor`, and the `gauss`, `exp` and `linear` decays over numeric and
//! date fields), each under an optional filter, combined by `score_mode`, capped by `max_boost`,
//! merged with the query's score by `boost_mode`, and cut at `min_score` — the arithmetic of ES's
//! `FunctionScoreQuery` in doubles, as it does it.

use serde_json::{Map, Value};
use tantivy::columnar::Column;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

use super::{Q, as_str_value, boost_of};
use crate::error::{Error, Result};
use crate::mapping::FieldType;

/// How the functions' values are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreMode {
    Multiply,
    Sum,
    Avg,
    First,
    Max,
    Min,
}

/// How the combined value meets the query's score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoostMode {
    Multiply,
    Replace,
    Sum,
    Avg,
    Max,
    Min,
}

/// `field_value_factor`'s `modifier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modifier {
    None,
    Log,
    Log1p,
    Log2p,
    Ln,
    Ln1p,
    Ln2p,
    Square,
    Sqrt,
    Reciprocal,
}

impl Modifier {
    fn apply(self, x: f64) -> f64 {
        match self {
            Modifier::None => x,
            Modifier::Log => x.log10(),
            Modifier::Log1p => (x + 1.0).log10(),
            Modifier::Log2p => (x + 2.0).log10(),
            Modifier::Ln => x.ln(),
            Modifier::Ln1p => x.ln_1p(),
            Modifier::Ln2p => (x + 2.0).ln(),
            Modifier::Square => x * x,
            Modifier::Sqrt => x.sqrt(),
            Modifier::Reciprocal => 1.0 / x,
        }
    }
}

/// A decay's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Gauss,
    Exp,
    Linear,
    /// `distance_feature`'s `pivot / (pivot + distance)` (the scale is the pivot)
    Saturation,
}

/// What one function computes.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `weight` alone: the weight
    Weight,
    /// `field_value_factor`
    Factor {
        field: String,
        factor: f64,
        modifier: Modifier,
        missing: Option<f64>,
    },
    /// `gauss` / `exp` / `linear`: origin, scale and offset in the field's units (millis for
    /// dates); values as given until compiled against the mapping
    Decay {
        shape: Shape,
        field: String,
        origin: Option<Value>,
        scale: Value,
        offset: Option<Value>,
        decay: f64,
    },
}

/// One function with its filter and weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub filter: Option<Q>,
    pub weight: Option<f64>,
    pub kind: Kind,
}

/// A parsed `function_score`.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub query: Q,
    pub functions: Vec<Function>,
    pub score_mode: ScoreMode,
    pub boost_mode: BoostMode,
    pub max_boost: f64,
    pub min_score: Option<f32>,
    pub boost: f32,
}

const NAME: &str = "function_score";

fn number(v: &Value, what: &str) -> Result<f64> {
    super::float_param(v, NAME, what)
}

/// Parses a `function_score` body.
///
/// # Errors
/// ES's parsing errors; `random_score`, `script_score` and decays on geo points are refused by
/// name.
pub fn parse(body: &Value) -> Result<Spec> {
    let o = body
        .as_object()
        .ok_or_else(|| Error::parsing(format!("[{NAME}] malformed query, expected an object")))?;
    let mut spec = Spec {
        query: Q::MatchAll(1.0),
        functions: Vec::new(),
        score_mode: ScoreMode::Multiply,
        boost_mode: BoostMode::Multiply,
        max_boost: f64::from(f32::MAX),
        min_score: None,
        boost: 1.0,
    };
    let mut single: Map<String, Value> = Map::new();
    let mut had_functions = false;
    for (k, v) in o {
        match k.as_str() {
            "query" => spec.query = super::parse(v)?,
            "functions" => {
                had_functions = true;
                let list = v.as_array().ok_or_else(|| {
                    Error::parsing(format!("[{NAME}] functions must be an array"))
                })?;
                for f in list {
                    let f = f.as_object().ok_or_else(|| {
                        Error::parsing(format!("[{NAME}] a function must be an object"))
                    })?;
                    spec.functions.push(function(f)?);
                }
            }
            "score_mode" => {
                spec.score_mode = match as_str_value(v).as_str() {
                    "multiply" => ScoreMode::Multiply,
                    "sum" => ScoreMode::Sum,
                    "avg" => ScoreMode::Avg,
                    "first" => ScoreMode::First,
                    "max" => ScoreMode::Max,
                    "min" => ScoreMode::Min,
                    other => {
                        return Err(Error::parsing(format!(
                            "[{NAME}] illegal score_mode [{other}]"
                        )));
                    }
                };
            }
            "boost_mode" => {
                spec.boost_mode = match as_str_value(v).as_str() {
                    "multiply" => BoostMode::Multiply,
                    "replace" => BoostMode::Replace,
                    "sum" => BoostMode::Sum,
                    "avg" => BoostMode::Avg,
                    "max" => BoostMode::Max,
                    "min" => BoostMode::Min,
                    other => {
                        return Err(Error::parsing(format!(
                            "[{NAME}] illegal boost_mode [{other}]"
                        )));
                    }
                };
            }
            "max_boost" => spec.max_boost = number(v, "max_boost")?,
            "min_score" => spec.min_score = Some(number(v, "min_score")? as f32),
            "boost" => spec.boost = boost_of(v, NAME)?,
            "_name" => {}
            // a single function given beside the query
            "weight" | "field_value_factor" | "gauss" | "exp" | "linear" | "filter"
            | "random_score" | "script_score" => {
                single.insert(k.clone(), v.clone());
            }
            other => {
                return Err(Error::parsing(format!(
                    "[{NAME}] query does not support [{other}]"
                )));
            }
        }
    }
    if !single.is_empty() {
        if had_functions {
            return Err(Error::parsing(format!(
                "[{NAME}] already found [functions] array, now encountering [{}].",
                single.keys().next().map_or("", String::as_str)
            )));
        }
        if single.contains_key("filter") {
            return Err(Error::parsing(format!(
                "[{NAME}] query does not support [filter]"
            )));
        }
        spec.functions.push(function(&single)?);
    }
    Ok(spec)
}

fn function(f: &Map<String, Value>) -> Result<Function> {
    let mut filter = None;
    let mut weight = None;
    let mut kind = None;
    for (k, v) in f {
        match k.as_str() {
            "filter" => filter = Some(super::parse(v)?),
            "weight" => weight = Some(number(v, "weight")?),
            "field_value_factor" => {
                let o = v
                    .as_object()
                    .ok_or_else(|| Error::parsing("[field_value_factor] must be an object"))?;
                let mut field = None;
                let (mut factor, mut modifier, mut missing) = (1.0, Modifier::None, None);
                for (k, v) in o {
                    match k.as_str() {
                        "field" => field = Some(as_str_value(v)),
                        "factor" => factor = number(v, "factor")?,
                        "missing" => missing = Some(number(v, "missing")?),
                        "modifier" => {
                            modifier = match as_str_value(v).to_ascii_lowercase().as_str() {
                                "none" => Modifier::None,
                                "log" => Modifier::Log,
                                "log1p" => Modifier::Log1p,
                                "log2p" => Modifier::Log2p,
                                "ln" => Modifier::Ln,
                                "ln1p" => Modifier::Ln1p,
                                "ln2p" => Modifier::Ln2p,
                                "square" => Modifier::Square,
                                "sqrt" => Modifier::Sqrt,
                                "reciprocal" => Modifier::Reciprocal,
                                other => {
                                    return Err(Error::parsing(format!(
                                        "[field_value_factor] illegal modifier [{other}]"
                                    )));
                                }
                            };
                        }
                        other => {
                            return Err(Error::parsing(format!(
                                "[field_value_factor] query does not support [{other}]"
                            )));
                        }
                    }
                }
                let field = field.ok_or_else(|| {
                    Error::parsing("[field_value_factor] required field 'field' missing")
                })?;
                kind = Some(Kind::Factor {
                    field,
                    factor,
                    modifier,
                    missing,
                });
            }
            shape @ ("gauss" | "exp" | "linear") => {
                let o = v
                    .as_object()
                    .ok_or_else(|| Error::parsing(format!("[{shape}] must be an object")))?;
                let mut field = None;
                for (k, v) in o {
                    match k.as_str() {
                        "multi_value_mode" if as_str_value(v).eq_ignore_ascii_case("min") => {}
                        "multi_value_mode" => {
                            return Err(Error::parsing(format!(
                                "[{shape}] multi_value_mode [{}] is not supported by sluice-store (min is)",
                                as_str_value(v)
                            )));
                        }
                        name => {
                            if field.is_some() {
                                return Err(Error::parsing(format!(
                                    "[{shape}] query does not support [{name}]"
                                )));
                            }
                            field = Some((name.to_owned(), v));
                        }
                    }
                }
                let (name, params) =
                    field.ok_or_else(|| Error::parsing(format!("[{shape}] requires a field")))?;
                let p = params.as_object().ok_or_else(|| {
                    Error::parsing(format!(
                        "[{shape}] the parameters of [{name}] must be an object"
                    ))
                })?;
                let (mut origin, mut scale, mut offset, mut decay) = (None, None, None, 0.5);
                for (k, v) in p {
                    match k.as_str() {
                        "origin" => origin = Some(v.clone()),
                        "scale" => scale = Some(v.clone()),
                        "offset" => offset = Some(v.clone()),
                        "decay" => decay = number(v, "decay")?,
                        other => {
                            return Err(Error::parsing(format!(
                                "[{shape}] parameter [{other}] not supported"
                            )));
                        }
                    }
                }
                if !(decay > 0.0 && decay < 1.0) {
                    return Err(Error::illegal_argument(format!(
                        "decay must be in the range [0..1]. Got {decay}"
                    )));
                }
                let scale =
                    scale.ok_or_else(|| Error::parsing(format!("[{shape}] must have a scale")))?;
                kind = Some(Kind::Decay {
                    shape: match shape {
                        "gauss" => Shape::Gauss,
                        "exp" => Shape::Exp,
                        _ => Shape::Linear,
                    },
                    field: name,
                    origin,
                    scale,
                    offset,
                    decay,
                });
            }
            other @ ("random_score" | "script_score") => {
                return Err(Error::parsing(format!(
                    "[{other}] of a function_score is not supported by sluice-store"
                )));
            }
            other => {
                return Err(Error::parsing(format!(
                    "failed to parse [{NAME}] query. field [{other}] is not supported"
                )));
            }
        }
    }
    let kind = match (kind, weight) {
        (Some(k), _) => k,
        (None, Some(_)) => Kind::Weight,
        (None, None) => {
            return Err(Error::parsing(format!(
                "failed to parse [{NAME}] query. function must have a weight or a score function"
            )));
        }
    };
    Ok(Function {
        filter,
        weight,
        kind,
    })
}

/// A function ready to run: its filter compiled, its values in the field's units.
pub(super) struct Compiled {
    pub(super) filter: Option<Box<dyn Query>>,
    pub(super) weight: f64,
    pub(super) run: Run,
}

#[derive(Clone)]
pub(super) enum Run {
    Weight,
    Factor {
        column: String,
        float: bool,
        factor: f64,
        modifier: Modifier,
        missing: Option<f64>,
    },
    Decay {
        column: String,
        float: bool,
        shape: Shape,
        origin: f64,
        /// a date's origin as the column's integer, for exact distances (nanoseconds beyond
        /// what a double holds)
        exact_origin: Option<i64>,
        /// a `geo_point` field's origin: distances are meters along the great circle
        geo_origin: Option<crate::mapping::geo::GeoPoint>,
        scale: f64,
        offset: f64,
        decay: f64,
    },
}

impl Clone for Compiled {
    fn clone(&self) -> Self {
        Self {
            filter: self.filter.as_ref().map(|q| q.box_clone()),
            weight: self.weight,
            run: self.run.clone(),
        }
    }
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("function")
    }
}

/// Parses a `distance_feature` query (`field`, `origin`, `pivot`, `boost`) into the
/// function score it is: the documents with a value, each scored
/// `boost * pivot / (pivot + distance)`, as Lucene's distance feature queries score.
///
/// # Errors
/// ES's parsing errors for unknown keys and missing parameters.
pub fn parse_distance_feature(body: &Value) -> Result<Spec> {
    const DF: &str = "distance_feature";
    let o = body
        .as_object()
        .ok_or_else(|| Error::parsing(format!("[{DF}] query malformed, no start_object")))?;
    let (mut field, mut origin, mut pivot, mut boost) = (None, None, None, 1.0f32);
    for (k, v) in o {
        match k.as_str() {
            "field" => field = Some(as_str_value(v)),
            "origin" => origin = Some(v.clone()),
            // a distance or a time value: text only, as ES declares it
            "pivot" if v.is_string() => pivot = Some(v.clone()),
            "pivot" => {
                let kind = match v {
                    Value::Number(_) => "VALUE_NUMBER",
                    Value::Bool(_) => "VALUE_BOOLEAN",
                    Value::Array(_) => "START_ARRAY",
                    Value::Object(_) => "START_OBJECT",
                    _ => "VALUE_NULL",
                };
                return Err(Error::x_content(format!(
                    "[{DF}] pivot doesn't support values of type: {kind}"
                )));
            }
            "boost" => boost = number(v, "boost")? as f32,
            "_name" => {}
            other => {
                return Err(Error::x_content(format!("[{DF}] unknown field [{other}]")));
            }
        }
    }
    let missing = |what: &str| Error::illegal_argument(format!("Required [{what}]"));
    let field = field.ok_or_else(|| missing("field"))?;
    let origin = origin.ok_or_else(|| missing("origin"))?;
    let pivot = pivot.ok_or_else(|| missing("pivot"))?;
    Ok(Spec {
        query: Q::Exists {
            field: field.clone(),
        },
        functions: vec![Function {
            filter: None,
            weight: None,
            kind: Kind::Decay {
                shape: Shape::Saturation,
                field,
                origin: Some(origin),
                scale: pivot,
                offset: None,
                decay: 0.5,
            },
        }],
        score_mode: ScoreMode::Multiply,
        boost_mode: BoostMode::Replace,
        max_boost: f64::from(f32::MAX),
        min_score: None,
        boost,
    })
}

/// Compiles one function against an index's mapping.
pub(super) fn compile(func: &Function, ctx: &super::Ctx<'_>) -> Result<Compiled> {
    let filter = func
        .filter
        .as_ref()
        .map(|q| super::compile(q, ctx))
        .transpose()?;
    let numeric = |field: &str| -> Result<(String, bool, Option<FieldType>)> {
        match ctx.mapping.field(field) {
            None => Ok((format!("n.{field}"), false, None)),
            // its column holds shifted values: not read here
            Some(fm) if fm.unsigned => Err(Error::illegal_argument(format!(
                "[function_score] on the [unsigned_long] field [{field}] is not supported by sluice-store"
            ))),
            Some(fm) if fm.ty.is_numeric() || fm.ty == FieldType::Date => Ok((
                format!("n.{field}"),
                matches!(
                    fm.ty,
                    FieldType::Double | FieldType::Float | FieldType::HalfFloat
                ),
                Some(fm.ty),
            )),
            Some(fm) => Err(Error::illegal_argument(format!(
                "field [{field}] is of type [{}], but only numeric and date types are supported",
                fm.type_name()
            ))),
        }
    };
    let run = match &func.kind {
        Kind::Weight => Run::Weight,
        Kind::Factor {
            field,
            factor,
            modifier,
            missing,
        } => {
            let (column, float, _) = numeric(field)?;
            Run::Factor {
                column,
                float,
                factor: *factor,
                modifier: *modifier,
                missing: *missing,
            }
        }
        Kind::Decay {
            shape,
            field,
            origin,
            scale,
            offset,
            decay,
        } => {
            let (column, float, ty) = match ctx.mapping.field(field) {
                // `distance_feature` runs on dates and refuses numbers, as ES does
                // a point's distance in meters from a point origin
                Some(fm) if *shape == Shape::Saturation && fm.ty == FieldType::GeoPoint => {
                    let origin = origin.as_ref().ok_or_else(|| {
                        Error::parsing("[distance_feature] requires [origin] to be set")
                    })?;
                    let point = crate::mapping::geo::parse_point(origin, true, field)
                        .map_err(super::create_query_error)?;
                    let pivot = crate::mapping::geo::parse_distance(scale)?;
                    return Ok(Compiled {
                        filter,
                        weight: func.weight.unwrap_or(1.0),
                        run: Run::Decay {
                            column: format!("n.{field}"),
                            float: false,
                            shape: Shape::Saturation,
                            origin: 0.0,
                            exact_origin: None,
                            geo_origin: Some(point),
                            scale: pivot,
                            offset: 0.0,
                            decay: *decay,
                        },
                    });
                }
                Some(fm) if *shape == Shape::Saturation && fm.ty != FieldType::Date => {
                    return Err(super::create_query_error(Error::illegal_argument(format!(
                        "Illegal data type of [{}]![distance_feature] query can only be run on a date, date_nanos or geo_point field type!",
                        fm.type_name()
                    ))));
                }
                _ => numeric(field)?,
            };
            let (origin, exact_origin, scale, offset) = if ty == Some(FieldType::Date) {
                let fm = ctx.mapping.field(field);
                let formats = fm.map(|f| f.formats.clone()).unwrap_or_default();
                // a `date_nanos` column holds nanoseconds: origin, scale and offset in its unit
                let nanos = fm.is_some_and(|f| f.nanos);
                let per_ms = crate::mapping::date::NANOS_PER_MILLI;
                // `distance_feature` reads its origin rounding up, as ES (`08:00:30` is
                // `08:00:30.999`)
                let up = *shape == Shape::Saturation;
                // milliseconds (a number, `now`) in the column's unit; text in it directly
                let (unit, resolve): (i64, fn(_, _, _, _, _) -> _) = if nanos {
                    (per_ms, super::datemath::resolve_nanos)
                } else {
                    (1, super::datemath::resolve)
                };
                let exact = match origin.as_ref().map(|v| (v, v.as_i64())) {
                    None => ctx.now_ms.saturating_mul(unit),
                    Some((_, Some(ms))) => ms.saturating_mul(unit),
                    Some((v, None)) => resolve(&as_str_value(v), &formats, None, ctx.now_ms, up)?,
                };
                let origin = exact as f64;
                let span = |v: &Value, what: &str| -> Result<f64> {
                    let d = crate::search::pit::parse_time_value(&as_str_value(v), what)?;
                    Ok(if nanos {
                        d.as_nanos() as f64
                    } else {
                        d.as_millis() as f64
                    })
                };
                let scale = span(
                    scale,
                    if *shape == Shape::Saturation {
                        "pivot"
                    } else {
                        "scale"
                    },
                )?;
                let offset = offset.as_ref().map(|o| span(o, "offset")).transpose()?;
                (origin, Some(exact), scale, offset.unwrap_or(0.0))
            } else {
                let origin = origin.as_ref().ok_or_else(|| {
                    Error::parsing(format!("[{field}] origin is required for a numeric field"))
                })?;
                (
                    number(origin, "origin")?,
                    None,
                    number(scale, "scale")?,
                    offset
                        .as_ref()
                        .map(|o| number(o, "offset"))
                        .transpose()?
                        .unwrap_or(0.0),
                )
            };
            if scale <= 0.0 {
                return Err(Error::illegal_argument(format!(
                    "[scale] must be greater than 0, got [{scale}]"
                )));
            }
            Run::Decay {
                column,
                float,
                shape: *shape,
                origin,
                exact_origin,
                geo_origin: None,
                scale,
                offset,
                decay: *decay,
            }
        }
    };
    Ok(Compiled {
        filter,
        weight: func.weight.unwrap_or(1.0),
        run,
    })
}

/// The compiled query.
#[derive(Debug)]
pub(super) struct FunctionScore {
    pub(super) query: Box<dyn Query>,
    pub(super) functions: Vec<Compiled>,
    pub(super) score_mode: ScoreMode,
    pub(super) boost_mode: BoostMode,
    pub(super) max_boost: f64,
    pub(super) min_score: Option<f32>,
}

impl Clone for FunctionScore {
    fn clone(&self) -> Self {
        Self {
            query: self.query.box_clone(),
            functions: self.functions.clone(),
            score_mode: self.score_mode,
            boost_mode: self.boost_mode,
            max_boost: self.max_boost,
            min_score: self.min_score,
        }
    }
}

impl Query for FunctionScore {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let unscored = match enable_scoring.searcher() {
            Some(s) => EnableScoring::disabled_from_searcher(s),
            None => EnableScoring::disabled_from_schema(enable_scoring.schema()),
        };
        let mut filters = Vec::new();
        for f in &self.functions {
            filters.push(f.filter.as_ref().map(|q| q.weight(unscored)).transpose()?);
        }
        Ok(Box::new(FsWeight {
            query: self.query.weight(enable_scoring)?,
            filters,
            spec: self.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.query.query_terms(visitor);
    }
}

struct FsWeight {
    query: Box<dyn Weight>,
    filters: Vec<Option<Box<dyn Weight>>>,
    spec: FunctionScore,
}

/// A column of one segment, read as doubles.
enum Col {
    I(Column<i64>),
    F(Column<f64>),
    None,
}

impl Col {
    fn min(&self, doc: DocId) -> Option<f64> {
        match self {
            Col::I(c) => c.values_for_doc(doc).min().map(|v| v as f64),
            Col::F(c) => c.values_for_doc(doc).reduce(f64::min),
            Col::None => None,
        }
    }

    /// The distance of the value closest to `exact` (an integer column's origin), computed in
    /// integers as Lucene's long distance feature does.
    fn nearest_distance(&self, doc: DocId, exact: i64) -> Option<f64> {
        match self {
            Col::I(c) => c
                .values_for_doc(doc)
                .map(|v| (i128::from(v) - i128::from(exact)).unsigned_abs())
                .min()
                .map(|d| d as f64),
            Col::F(_) | Col::None => None,
        }
    }

    /// The meters from `origin` to the closest of a document's points (encoded as
    /// `mapping::geo::encode`).
    fn nearest_meters(&self, doc: DocId, origin: crate::mapping::geo::GeoPoint) -> Option<f64> {
        match self {
            Col::I(c) => c
                .values_for_doc(doc)
                .map(|v| crate::mapping::geo::arc_distance(crate::mapping::geo::decode(v), origin))
                .min_by(f64::total_cmp),
            Col::F(_) | Col::None => None,
        }
    }

    /// The value closest to `origin` (a decay's `multi_value_mode: min` distance).
    fn nearest(&self, doc: DocId, origin: f64) -> Option<f64> {
        let d = |v: f64| (v - origin).abs();
        match self {
            Col::I(c) => c
                .values_for_doc(doc)
                .map(|v| v as f64)
                .min_by(|a, b| d(*a).total_cmp(&d(*b))),
            Col::F(c) => c.values_for_doc(doc).min_by(|a, b| d(*a).total_cmp(&d(*b))),
            Col::None => None,
        }
    }
}

impl Weight for FsWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut filters = Vec::new();
        for f in &self.filters {
            filters.push(f.as_ref().map(|w| w.scorer(reader, 1.0)).transpose()?);
        }
        let mut columns = Vec::new();
        for f in &self.spec.functions {
            let col = match &f.run {
                Run::Weight => Col::None,
                Run::Factor { column, float, .. } | Run::Decay { column, float, .. } => {
                    if *float {
                        reader
                            .fast_fields()
                            .column_opt::<f64>(column)?
                            .map_or(Col::None, Col::F)
                    } else {
                        reader
                            .fast_fields()
                            .column_opt::<i64>(column)?
                            .map_or(Col::None, Col::I)
                    }
                }
            };
            columns.push(col);
        }
        let mut s = FsScorer {
            inner: self.query.scorer(reader, 1.0)?,
            filters,
            columns,
            spec: self.spec.clone(),
            boost,
            score: 0.0,
        };
        s.settle();
        Ok(Box::new(s))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        super::explain_score(self, reader, doc, "function score")
    }
}

struct FsScorer {
    inner: Box<dyn Scorer>,
    filters: Vec<Option<Box<dyn Scorer>>>,
    columns: Vec<Col>,
    spec: FunctionScore,
    boost: Score,
    score: Score,
}

impl FsScorer {
    fn matches(&mut self, i: usize, doc: DocId) -> bool {
        match &mut self.filters[i] {
            None => true,
            Some(f) => {
                let mut at = f.doc();
                if at != TERMINATED && at < doc {
                    at = f.seek(doc);
                }
                at == doc
            }
        }
    }

    fn value(&self, i: usize, doc: DocId) -> f64 {
        let f = &self.spec.functions[i];
        let v = match &f.run {
            // a lone weight multiplies 1 (ES's `WeightFactorFunction` over a constant)
            Run::Weight => 1.0,
            Run::Factor {
                factor,
                modifier,
                missing,
                ..
            } => match self.columns[i].min(doc).or(*missing) {
                Some(x) => modifier.apply(factor * x),
                // ES fails the search ("Missing value for field"); the store scores the
                // document as if its value were 0 (docs/architecture.md)
                None => modifier.apply(0.0),
            },
            Run::Decay {
                shape,
                origin,
                exact_origin,
                geo_origin,
                scale,
                offset,
                decay,
                ..
            } => match geo_origin
                .and_then(|o| self.columns[i].nearest_meters(doc, o))
                .or_else(|| exact_origin.and_then(|o| self.columns[i].nearest_distance(doc, o)))
                .or_else(|| {
                    self.columns[i]
                        .nearest(doc, *origin)
                        .map(|x| (x - origin).abs())
                }) {
                // a document without the field is not decayed
                None => 1.0,
                Some(distance) => {
                    let d = (distance - offset).max(0.0);
                    match shape {
                        // ES's order of operations (`processScale`, then `evaluate`)
                        Shape::Gauss => {
                            let s = 0.5 * scale.powi(2) / decay.ln();
                            (0.5 * d.powi(2) / s).exp()
                        }
                        Shape::Exp => (decay.ln() / scale * d).exp(),
                        Shape::Linear => {
                            let s = scale / (1.0 - decay);
                            ((s - d) / s).max(0.0)
                        }
                        Shape::Saturation => scale / (scale + d),
                    }
                }
            },
        };
        v * f.weight
    }

    fn compute(&mut self) -> Score {
        let doc = self.inner.doc();
        let q = f64::from(self.inner.score());
        let n = self.spec.functions.len();
        let mut factor = 1.0f64;
        match self.spec.score_mode {
            ScoreMode::First => {
                for i in 0..n {
                    if self.matches(i, doc) {
                        factor = self.value(i, doc);
                        break;
                    }
                }
            }
            ScoreMode::Max | ScoreMode::Min => {
                let max = self.spec.score_mode == ScoreMode::Max;
                let mut best: Option<f64> = None;
                for i in 0..n {
                    if self.matches(i, doc) {
                        let v = self.value(i, doc);
                        best = Some(best.map_or(v, |b| if max { b.max(v) } else { b.min(v) }));
                    }
                }
                if let Some(b) = best {
                    factor = b;
                }
            }
            ScoreMode::Multiply => {
                for i in 0..n {
                    if self.matches(i, doc) {
                        factor *= self.value(i, doc);
                    }
                }
            }
            ScoreMode::Sum | ScoreMode::Avg => {
                let (mut total, mut weights) = (0.0, 0.0);
                for i in 0..n {
                    if self.matches(i, doc) {
                        total += self.value(i, doc);
                        weights += self.spec.functions[i].weight;
                    }
                }
                if weights != 0.0 {
                    factor = total;
                    if self.spec.score_mode == ScoreMode::Avg {
                        factor /= weights;
                    }
                }
            }
        }
        let factor = factor.min(self.spec.max_boost);
        let s = match self.spec.boost_mode {
            BoostMode::Multiply => q * factor,
            BoostMode::Replace => factor,
            BoostMode::Sum => q + factor,
            BoostMode::Avg => (q + factor) / 2.0,
            BoostMode::Max => q.max(factor),
            BoostMode::Min => q.min(factor),
        };
        s as f32
    }

    /// Moves to the first document from the current one whose score reaches `min_score`.
    fn settle(&mut self) -> DocId {
        loop {
            let doc = self.inner.doc();
            if doc == TERMINATED {
                return doc;
            }
            self.score = self.compute();
            match self.spec.min_score {
                Some(m) if self.score < m => {
                    self.inner.advance();
                }
                _ => return doc,
            }
        }
    }
}

impl DocSet for FsScorer {
    fn advance(&mut self) -> DocId {
        self.inner.advance();
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.inner.seek(target);
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }

    fn cost(&self) -> u64 {
        self.inner.cost()
    }
}

impl Scorer for FsScorer {
    fn score(&mut self) -> Score {
        self.score * self.boost
    }
}
