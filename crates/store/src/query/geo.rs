//! `geo_bounding_box` and `geo_distance`: parsed from Elasticsearch's query DSL and run over the
//! encoded column of a `geo_point` field (`n.{field}`, latitude and longitude as Lucene encodes
//! them), so that a box matches exactly the points Lucene's `LatLonPoint` box query matches.

use serde_json::{Map, Value};
use tantivy::query::doc_predicate_query::{DocPredicateQuery, FunctionPredicate};
use tantivy::query::{ConstScoreQuery, Query};
use tantivy::{DocId, SegmentReader};

use super::{Ctx, boost, boxed, none};
use crate::error::{Error, Result};
use crate::mapping::FieldType;
use crate::mapping::geo::{self, GeoPoint};

/// How out-of-range corners and centres are treated (`validation_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    /// refused (the default)
    Strict,
    /// wrapped into range
    Coerce,
    /// taken as they are
    IgnoreMalformed,
}

/// A geo query's target and options.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoTarget {
    /// the `geo_point` field
    pub field: String,
    /// `ignore_unmapped`
    pub ignore_unmapped: bool,
    /// `validation_method`
    pub validation: Validation,
    /// `boost`
    pub boost: f32,
}

/// A `geo_bounding_box` query's box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// north edge
    pub top: f64,
    /// west edge (east of `right` when the box crosses the date line)
    pub left: f64,
    /// south edge
    pub bottom: f64,
    /// east edge
    pub right: f64,
}

fn parsing(q: &str, reason: impl std::fmt::Display) -> Error {
    Error::parsing(format!("failed to parse [{q}] query. {reason}"))
}

fn common_option(q: &str, key: &str, v: &Value, target: &mut GeoTarget) -> Result<bool> {
    match key {
        "ignore_unmapped" => {
            target.ignore_unmapped = match v {
                Value::Bool(b) => *b,
                Value::String(s) if s == "true" || s == "false" => s == "true",
                _ => return Err(parsing(q, "[ignore_unmapped] must be a boolean")),
            };
        }
        "validation_method" => {
            target.validation = match v.as_str().map(str::to_ascii_lowercase).as_deref() {
                Some("strict") => Validation::Strict,
                Some("coerce") => Validation::Coerce,
                Some("ignore_malformed") => Validation::IgnoreMalformed,
                _ => {
                    return Err(Error::illegal_argument(format!(
                        "No enum constant org.elasticsearch.index.query.GeoValidationMethod.{}",
                        v.as_str().unwrap_or_default().to_ascii_uppercase()
                    )));
                }
            };
        }
        "boost" => target.boost = super::boost_of(v, q)?,
        "_name" => {}
        _ => return Ok(false),
    }
    Ok(true)
}

/// A corner or centre point, unchecked (validation comes when the query is built).
fn loose_point(v: &Value, q: &str, what: &str) -> Result<GeoPoint> {
    let num = |x: &Value| match x {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    let p = match v {
        Value::Object(o) if o.contains_key("lat") || o.contains_key("lon") => {
            match (o.get("lat").and_then(num), o.get("lon").and_then(num)) {
                (Some(lat), Some(lon)) => Some(GeoPoint { lat, lon }),
                _ => None,
            }
        }
        Value::Array(a) if a.len() == 2 || a.len() == 3 => match (num(&a[0]), num(&a[1])) {
            (Some(lon), Some(lat)) => Some(GeoPoint { lat, lon }),
            _ => None,
        },
        Value::String(s) => {
            if let Some((lat, lon)) = s.split_once(',') {
                match (lat.trim().parse(), lon.trim().parse()) {
                    (Ok(lat), Ok(lon)) => Some(GeoPoint { lat, lon }),
                    _ => None,
                }
            } else {
                return geo::string_point(s, true, what);
            }
        }
        _ => None,
    };
    p.ok_or_else(|| parsing(q, format_args!("[{what}] is not a valid point")))
}

/// A geohash corner: its cell's corner on that side.
fn geohash_corner(v: &Value, north: bool, west: bool) -> Option<(f64, f64)> {
    let s = v.as_str()?;
    if s.contains(',') || s.trim_start().to_ascii_uppercase().starts_with("POINT") {
        return None;
    }
    let (sw, ne) = geo::geohash_cell(s)?;
    Some((
        if north { ne.lat } else { sw.lat },
        if west { sw.lon } else { ne.lon },
    ))
}

fn wkt_bbox(s: &str, q: &str) -> Result<BBox> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let body = upper
        .strip_prefix("BBOX")
        .map(str::trim)
        .and_then(|r| r.strip_prefix('('))
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| {
            parsing(
                q,
                format_args!("expected a WKT BBOX (minLon, maxLon, maxLat, minLat), found [{t}]"),
            )
        })?;
    let n: Vec<f64> = body
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| {
            parsing(
                q,
                format_args!("[wkt] has a value that is not a number: [{t}]"),
            )
        })?;
    let [left, right, top, bottom] = n[..] else {
        return Err(parsing(
            q,
            format_args!("[wkt] BBOX takes 4 numbers, found {}", n.len()),
        ));
    };
    Ok(BBox {
        top,
        left,
        bottom,
        right,
    })
}

/// Parses a `geo_bounding_box` body.
pub fn parse_bbox(body: &Value) -> Result<(GeoTarget, BBox)> {
    const Q: &str = "geo_bounding_box";
    let o = super::obj(body, Q)?;
    let mut target = GeoTarget {
        field: String::new(),
        ignore_unmapped: false,
        validation: Validation::Strict,
        boost: 1.0,
    };
    let mut bbox = None;
    for (k, v) in o {
        if common_option(Q, k, v, &mut target)? {
            continue;
        }
        if k == "type" {
            // Elasticsearch 8 still accepts the deprecated execution type and ignores it
            match v.as_str() {
                Some("indexed" | "memory") => continue,
                _ => {
                    return Err(parsing(
                        Q,
                        format_args!("[type] must be indexed or memory, found [{v}]"),
                    ));
                }
            }
        }
        let Value::Object(corners) = v else {
            return Err(parsing(Q, format_args!("unexpected field [{k}]")));
        };
        if !target.field.is_empty() {
            return Err(parsing(
                Q,
                format_args!(
                    "[geo_bounding_box] query doesn't support multiple fields, found [{}] and [{k}]",
                    target.field
                ),
            ));
        }
        target.field.clone_from(k);
        bbox = Some(parse_corners(corners)?);
    }
    let bbox = bbox.ok_or_else(|| {
        Error::illegal_argument("failed to parse [geo_bounding_box] query. field name expected")
    })?;
    if target.validation != Validation::IgnoreMalformed {
        for (x, what) in [
            (bbox.top, "top latitude"),
            (bbox.left, "left longitude"),
            (bbox.bottom, "bottom latitude"),
            (bbox.right, "right longitude"),
        ] {
            if !x.is_finite() {
                return Err(Error::illegal_argument(format!(
                    "{what} is invalid: {}",
                    show(x)
                )));
            }
        }
    }
    if bbox.top < bbox.bottom {
        return Err(Error::illegal_argument(format!(
            "top is below bottom corner: {} vs. {}",
            show(bbox.top),
            show(bbox.bottom)
        )));
    }
    Ok((target, bbox))
}

fn show(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    let s = x.to_string();
    if s.contains('.') || s.contains('e') || !x.is_finite() {
        s
    } else {
        format!("{s}.0")
    }
}

pub(crate) fn parse_corners(o: &Map<String, Value>) -> Result<BBox> {
    const Q: &str = "geo_bounding_box";
    let (mut top, mut left, mut bottom, mut right) = (None, None, None, None);
    let set = |slot: &mut Option<f64>, x: f64| *slot = Some(x);
    for (k, v) in o {
        match k.as_str() {
            "top_left" | "top_right" | "bottom_left" | "bottom_right" => {
                let north = k.starts_with("top");
                let west = k.ends_with("left");
                let (lat, lon) = match geohash_corner(v, north, west) {
                    Some(c) => c,
                    None => {
                        let p = loose_point(v, Q, k)?;
                        (p.lat, p.lon)
                    }
                };
                set(if north { &mut top } else { &mut bottom }, lat);
                set(if west { &mut left } else { &mut right }, lon);
            }
            "top" | "bottom" | "left" | "right" => {
                let x = match v {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                }
                .ok_or_else(|| parsing(Q, format_args!("[{k}] must be a number")))?;
                let slot = match k.as_str() {
                    "top" => &mut top,
                    "bottom" => &mut bottom,
                    "left" => &mut left,
                    _ => &mut right,
                };
                set(slot, x);
            }
            "wkt" => {
                let b = wkt_bbox(v.as_str().unwrap_or_default(), Q)?;
                (top, left, bottom, right) =
                    (Some(b.top), Some(b.left), Some(b.bottom), Some(b.right));
            }
            other => {
                return Err(Error::es(
                    400,
                    "parse_exception",
                    format!(
                        "failed to parse [{Q}] query. [failed to parse bounding box. unexpected \
                         field [{other}]]"
                    ),
                ));
            }
        }
    }
    // a missing edge is NaN, refused (as Elasticsearch does) when the box is validated
    Ok(BBox {
        top: top.unwrap_or(f64::NAN),
        left: left.unwrap_or(f64::NAN),
        bottom: bottom.unwrap_or(f64::NAN),
        right: right.unwrap_or(f64::NAN),
    })
}

/// Parses a `geo_distance` body: the target, the centre and the radius in metres.
pub fn parse_distance(body: &Value) -> Result<(GeoTarget, GeoPoint, f64)> {
    const Q: &str = "geo_distance";
    let o = super::obj(body, Q)?;
    let mut target = GeoTarget {
        field: String::new(),
        ignore_unmapped: false,
        validation: Validation::Strict,
        boost: 1.0,
    };
    let (mut centre, mut distance) = (None, None);
    for (k, v) in o {
        if common_option(Q, k, v, &mut target)? {
            continue;
        }
        match k.as_str() {
            "distance" => distance = Some(geo::parse_distance(v)?),
            "distance_type" => match v.as_str() {
                // `plane` is a faster, less exact formula; the exact one answers for both
                Some("arc" | "plane") => {}
                _ => {
                    return Err(Error::illegal_argument(format!(
                        "No geo distance for [{}]",
                        v.as_str().unwrap_or_default()
                    )));
                }
            },
            "unit" => {
                return Err(parsing(
                    Q,
                    "[unit] is not supported by sluice-store: give the unit in [distance] (\"12km\")",
                ));
            }
            field => {
                if !target.field.is_empty() {
                    return Err(parsing(
                        Q,
                        format_args!(
                            "[geo_distance] query doesn't support multiple fields, found [{}] and [{field}]",
                            target.field
                        ),
                    ));
                }
                target.field = field.to_owned();
                centre = Some(loose_point(v, Q, field)?);
            }
        }
    }
    let Some(distance) = distance else {
        return Err(Error::parsing(
            "geo_distance requires 'distance' to be specified",
        ));
    };
    let Some(centre) = centre else {
        return Err(Error::illegal_argument(
            "geo_distance requires a field name and a point",
        ));
    };
    if distance.is_nan() || distance <= 0.0 {
        return Err(Error::illegal_argument(
            "distance must be greater than zero",
        ));
    }
    Ok((target, centre, distance))
}

/// Elasticsearch's refusal of out-of-range coordinates under `validation_method: strict`: each
/// `(value, what)` outside its range is listed; `None` when all are valid.
fn invalid_coordinates(q: &str, checks: &[(f64, &str, f64)]) -> Option<Error> {
    let bad: Vec<String> = checks
        .iter()
        .filter(|(x, _, limit)| !(-limit..=*limit).contains(x))
        .enumerate()
        .map(|(i, (x, what, _))| format!("{}: [{q}] {what} is invalid: {};", i + 1, show(*x)))
        .collect();
    if bad.is_empty() {
        return None;
    }
    Some(
        Error::es(
            400,
            "query_shard_exception",
            "couldn't validate latitude/ longitude values",
        )
        .caused_by(Error::es(
            400,
            "query_validation_exception",
            format!("Validation Failed: {}", bad.concat()),
        )),
    )
}

/// Wraps a latitude and longitude into range, as `validation_method: coerce` does.
fn normalize(lat: f64, lon: f64) -> (f64, f64) {
    let mut lat = (lat + 180.0).rem_euclid(360.0) - 180.0;
    let mut lon = lon;
    if lat > 90.0 {
        lat = 180.0 - lat;
        lon += 180.0;
    } else if lat < -90.0 {
        lat = -180.0 - lat;
        lon += 180.0;
    }
    if !(-180.0..=180.0).contains(&lon) {
        lon = (lon + 180.0).rem_euclid(360.0) - 180.0;
    }
    (lat, lon)
}

/// The mapped `geo_point` field of a query, or what to answer without one.
fn geo_field(ctx: &Ctx<'_>, t: &GeoTarget, q: &str) -> Result<Option<String>> {
    match ctx.mapping.field(&t.field) {
        Some(fm) if fm.ty == FieldType::GeoPoint => Ok(Some(t.field.clone())),
        Some(fm) => Err(Error::es(
            400,
            "query_shard_exception",
            format!(
                "Field [{}] is of unsupported type [{}] for [{q}] query",
                t.field,
                fm.type_name()
            ),
        )),
        None if t.ignore_unmapped => Ok(None),
        None => Err(Error::es(
            400,
            "query_shard_exception",
            format!("failed to find geo field [{}]", t.field),
        )),
    }
}

/// Documents with a point of `path` for which `keep` holds (constant score).
fn point_predicate(
    path: &str,
    boost_by: f32,
    keep: impl Fn(i64) -> bool + Clone + Send + Sync + 'static,
) -> Box<dyn Query> {
    let column = format!("n.{path}");
    let factory =
        move |seg: &SegmentReader| -> tantivy::Result<Box<dyn Fn(DocId) -> bool + Send + Sync>> {
            let Some(col) = point_column(seg, &column)? else {
                return Ok(Box::new(|_| false));
            };
            let keep = keep.clone();
            Ok(Box::new(move |doc: DocId| {
                col.values_for_doc(doc).any(&keep)
            }))
        };
    boost(
        boxed(ConstScoreQuery::new(
            boxed(DocPredicateQuery::from(FunctionPredicate::from(factory))),
            1.0,
        )),
        boost_by,
    )
}

/// The encoded points of a `geo_point` column in one segment.
pub(crate) fn point_column(
    seg: &SegmentReader,
    column: &str,
) -> tantivy::Result<Option<tantivy::columnar::Column<i64>>> {
    for h in seg.fast_fields().dynamic_column_handles(column)? {
        let col = h.open()?;
        if let Some(tantivy::columnar::DynamicColumn::I64(c)) =
            col.coerce_numerical(tantivy::columnar::NumericalType::I64)
        {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// Builds a `geo_bounding_box` query.
pub fn compile_bbox(ctx: &Ctx<'_>, t: &GeoTarget, b: &BBox) -> Result<Box<dyn Query>> {
    let Some(path) = geo_field(ctx, t, "geo_bounding_box")? else {
        return Ok(none());
    };
    let mut b = *b;
    match t.validation {
        Validation::Strict => {
            if let Some(e) = invalid_coordinates(
                "geo_bounding_box",
                &[
                    (b.top, "top latitude", 90.0),
                    (b.left, "left longitude", 180.0),
                    (b.bottom, "bottom latitude", 90.0),
                    (b.right, "right longitude", 180.0),
                ],
            ) {
                return Err(e);
            }
        }
        Validation::Coerce => {
            (b.top, b.left) = normalize(b.top, b.left);
            (b.bottom, b.right) = normalize(b.bottom, b.right);
        }
        Validation::IgnoreMalformed => {}
    }
    let clamp_lat = |x: f64| x.clamp(-90.0, 90.0);
    let clamp_lon = |x: f64| x.clamp(-180.0, 180.0);
    let lat_lo = geo::encode_lat_ceil(clamp_lat(b.bottom));
    let lat_hi = geo::encode_lat(clamp_lat(b.top));
    let lon_lo = geo::encode_lon_ceil(clamp_lon(b.left));
    let lon_hi = geo::encode_lon(clamp_lon(b.right));
    // west of east: one range; otherwise the box crosses the date line and takes both ends
    let crosses = b.left > b.right;
    Ok(point_predicate(&path, t.boost, move |v| {
        let (lat, lon) = geo::split(v);
        (lat_lo..=lat_hi).contains(&lat)
            && if crosses {
                lon >= lon_lo || lon <= lon_hi
            } else {
                (lon_lo..=lon_hi).contains(&lon)
            }
    }))
}

/// Builds a `geo_distance` query.
pub fn compile_distance(
    ctx: &Ctx<'_>,
    t: &GeoTarget,
    centre: GeoPoint,
    meters: f64,
) -> Result<Box<dyn Query>> {
    let Some(path) = geo_field(ctx, t, "geo_distance")? else {
        return Ok(none());
    };
    let mut c = centre;
    match t.validation {
        Validation::Strict => {
            if let Some(e) = invalid_coordinates(
                "geo_distance",
                &[
                    (c.lat, "center point latitude", 90.0),
                    (c.lon, "center point longitude", 180.0),
                ],
            ) {
                return Err(e);
            }
        }
        Validation::Coerce => (c.lat, c.lon) = normalize(c.lat, c.lon),
        _ => {}
    }
    Ok(point_predicate(&path, t.boost, move |v| {
        geo::arc_distance(c, geo::decode(v)) <= meters
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_box_form_reads_the_same_box() {
        let want = BBox {
            top: 40.73,
            left: -74.1,
            bottom: 40.01,
            right: -71.12,
        };
        for body in [
            json!({"loc": {"top_left": {"lat": 40.73, "lon": -74.1}, "bottom_right": {"lat": 40.01, "lon": -71.12}}}),
            json!({"loc": {"top_left": [-74.1, 40.73], "bottom_right": [-71.12, 40.01]}}),
            json!({"loc": {"top_left": "40.73, -74.1", "bottom_right": "40.01, -71.12"}}),
            json!({"loc": {"top_right": "40.73, -71.12", "bottom_left": "40.01, -74.1"}}),
            json!({"loc": {"top": 40.73, "left": -74.1, "bottom": 40.01, "right": -71.12}}),
            json!({"loc": {"wkt": "BBOX (-74.1, -71.12, 40.73, 40.01)"}}),
        ] {
            let (t, b) = parse_bbox(&body).expect("parses");
            assert_eq!((t.field.as_str(), b), ("loc", want), "{body}");
        }
        let (_, b) = parse_bbox(&json!({"loc": {"top_left": "dr5r9", "bottom_right": "dr5r9"}}))
            .expect("geohash corners");
        assert!(b.top > b.bottom && b.right > b.left, "{b:?}");
        let e = parse_bbox(&json!({"loc": {"top": 0, "left": 0, "bottom": 10, "right": 1}}))
            .expect_err("upside down");
        assert!(
            e.reason()
                .contains("top is below bottom corner: 0.0 vs. 10.0"),
            "{e:?}"
        );
        assert!(parse_bbox(&json!({"loc": {"top": 1}})).is_err());
        assert!(parse_bbox(&json!({"loc": {"nope": 1}})).is_err());
    }

    #[test]
    fn distance_needs_a_positive_distance_and_a_point() {
        let (t, c, m) =
            parse_distance(&json!({"distance": "12km", "loc": "40,-70"})).expect("parses");
        assert_eq!(
            (t.field.as_str(), c, m),
            (
                "loc",
                GeoPoint {
                    lat: 40.0,
                    lon: -70.0
                },
                12_000.0
            )
        );
        assert!(parse_distance(&json!({"loc": "40,-70"})).is_err());
        assert!(parse_distance(&json!({"distance": "0km", "loc": "40,-70"})).is_err());
        assert!(parse_distance(&json!({"distance": "200parsec", "loc": "40,-70"})).is_err());
    }

    #[test]
    fn coerce_wraps_points_into_range() {
        assert_eq!(normalize(10.0, 190.0), (10.0, -170.0));
        assert_eq!(normalize(100.0, 0.0), (80.0, 180.0));
    }
}
