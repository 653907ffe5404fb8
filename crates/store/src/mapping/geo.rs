//! `geo_point`: Elasticsearch's point forms, Lucene's quantized encoding, distances, geohashes
//! and map tiles.
//!
//! A point is kept as one `i64` in the number column: the encoded latitude (32 bits, Lucene's
//! `GeoEncodingUtils.encodeLatitude`) above the encoded longitude, so that every query and
//! aggregation reads the same quantized coordinates Elasticsearch reads from its doc values
//! (a bounding box compares encoded values, a distance is measured from the decoded point).

use serde_json::Value;

use crate::error::{Error, Result};

/// Degrees of latitude per encoded unit (`180 / 2^32`).
const LAT_DECODE: f64 = 180.0 / 4_294_967_296.0;
/// Degrees of longitude per encoded unit (`360 / 2^32`).
const LON_DECODE: f64 = 360.0 / 4_294_967_296.0;
/// Lucene's mean Earth radius in meters (`SloppyMath.TO_METERS`'s radius).
pub const EARTH_MEAN_RADIUS_M: f64 = 6_371_008.771_4;

/// A point in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    /// latitude, -90..=90
    pub lat: f64,
    /// longitude, -180..=180
    pub lon: f64,
}

/// Lucene's `encodeLatitude` (floor); `lat` must be valid.
pub fn encode_lat(lat: f64) -> i32 {
    let lat = if lat == 90.0 {
        f64::next_down(lat)
    } else {
        lat
    };
    (lat / LAT_DECODE).floor() as i32
}

/// Lucene's `encodeLatitudeCeil`, for the lower bound of a box.
pub fn encode_lat_ceil(lat: f64) -> i32 {
    let lat = if lat == 90.0 {
        f64::next_down(lat)
    } else {
        lat
    };
    (lat / LAT_DECODE).ceil() as i32
}

/// Lucene's `encodeLongitude` (floor); `lon` must be valid.
pub fn encode_lon(lon: f64) -> i32 {
    let lon = if lon == 180.0 {
        f64::next_down(lon)
    } else {
        lon
    };
    (lon / LON_DECODE).floor() as i32
}

/// Lucene's `encodeLongitudeCeil`.
pub fn encode_lon_ceil(lon: f64) -> i32 {
    let lon = if lon == 180.0 {
        f64::next_down(lon)
    } else {
        lon
    };
    (lon / LON_DECODE).ceil() as i32
}

/// The column value of a point: encoded latitude above encoded longitude.
pub fn encode(p: GeoPoint) -> i64 {
    (i64::from(encode_lat(p.lat)) << 32) | i64::from(encode_lon(p.lon) as u32)
}

/// The encoded `(latitude, longitude)` of a column value.
pub fn split(v: i64) -> (i32, i32) {
    ((v >> 32) as i32, v as u32 as i32)
}

/// The quantized point a column value stands for.
pub fn decode(v: i64) -> GeoPoint {
    let (lat, lon) = split(v);
    GeoPoint {
        lat: f64::from(lat) * LAT_DECODE,
        lon: f64::from(lon) * LON_DECODE,
    }
}

/// Great-circle distance in meters (haversine on Lucene's mean radius).
pub fn arc_distance(a: GeoPoint, b: GeoPoint) -> f64 {
    let (la, lb) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lb - la;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la.cos() * lb.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_MEAN_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// A distance (`12km`, `1.5mi`, `200`: meters by default) in meters, as Elasticsearch's
/// `DistanceUnit` reads it.
///
/// # Errors
/// `illegal_argument_exception` for an unknown unit or a value that is not a number.
pub fn parse_distance(v: &Value) -> Result<f64> {
    let s = match v {
        Value::Number(n) => return Ok(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => s.trim(),
        other => {
            return Err(Error::es(
                400,
                "parsing_exception",
                format!("failed to parse [distance]: expected a number or a string, got [{other}]"),
            ));
        }
    };
    const UNITS: &[(&str, f64)] = &[
        ("nauticalmiles", 1852.0),
        ("millimeters", 0.001),
        ("centimeters", 0.01),
        ("kilometers", 1000.0),
        ("meters", 1.0),
        ("miles", 1609.344),
        ("yards", 0.9144),
        ("inch", 0.0254),
        ("feet", 0.3048),
        ("nmi", 1852.0),
        ("NM", 1852.0),
        ("km", 1000.0),
        ("mm", 0.001),
        ("cm", 0.01),
        ("mi", 1609.344),
        ("yd", 0.9144),
        ("ft", 0.3048),
        ("in", 0.0254),
        ("m", 1.0),
    ];
    let (number, factor) = UNITS
        .iter()
        .find_map(|(unit, f)| s.strip_suffix(unit).map(|n| (n, *f)))
        .unwrap_or((s, 1.0));
    number
        .trim()
        .parse::<f64>()
        .map(|x| x * factor)
        .map_err(|_| {
            Error::es(
                400,
                "number_format_exception",
                format!("For input string: \"{number}\""),
            )
        })
}

/// The geohash alphabet.
pub(crate) const BASE32: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// The geohash of a column value at `precision` (1..=12) characters, from its quantized
/// coordinates as Elasticsearch computes it.
pub fn geohash(v: i64, precision: u8) -> String {
    let (lat, lon) = split(v);
    let (mut ulat, mut ulon) = ((lat as u32) ^ 0x8000_0000, (lon as u32) ^ 0x8000_0000);
    let mut out = String::with_capacity(usize::from(precision));
    let mut bits = 0u8;
    let mut n = 0;
    for i in 0..u32::from(precision) * 5 {
        let bit = if i % 2 == 0 {
            let b = ulon >> 31;
            ulon <<= 1;
            b
        } else {
            let b = ulat >> 31;
            ulat <<= 1;
            b
        };
        bits = (bits << 1) | bit as u8;
        n += 1;
        if n == 5 {
            out.push(char::from(BASE32[usize::from(bits)]));
            bits = 0;
            n = 0;
        }
    }
    out
}

/// The cell of a geohash: `(south-west, north-east)` corners; `None` for a character outside
/// the alphabet.
pub fn geohash_cell(hash: &str) -> Option<(GeoPoint, GeoPoint)> {
    let (mut lat, mut lon) = ((-90.0f64, 90.0f64), (-180.0f64, 180.0f64));
    let mut even = true;
    for c in hash.bytes() {
        let d = BASE32.iter().position(|&b| b == c.to_ascii_lowercase())?;
        for shift in (0..5).rev() {
            let bit = (d >> shift) & 1 == 1;
            let range = if even { &mut lon } else { &mut lat };
            let mid = (range.0 + range.1) / 2.0;
            if bit {
                range.0 = mid;
            } else {
                range.1 = mid;
            }
            even = !even;
        }
    }
    Some((
        GeoPoint {
            lat: lat.0,
            lon: lon.0,
        },
        GeoPoint {
            lat: lat.1,
            lon: lon.1,
        },
    ))
}

/// The map tile (`zoom/x/y`, Web Mercator) of a column value, as Elasticsearch's
/// `geotile_grid` keys it.
pub fn geotile(v: i64, zoom: u8) -> String {
    let (x, y) = tile_xy(decode(v), zoom);
    format!("{zoom}/{x}/{y}")
}

/// The `(x, y)` of the map tile holding `p` at `zoom` (Elasticsearch's `GeoTileUtils`: edge
/// values clipped into the grid).
pub fn tile_xy(p: GeoPoint, zoom: u8) -> (u64, u64) {
    let tiles = 1u64 << zoom;
    let clip = |t: f64| -> u64 {
        if t < 0.0 {
            0
        } else {
            (t as u64).min(tiles - 1)
        }
    };
    let x = if p.lon == -180.0 {
        0
    } else {
        clip(((p.lon + 180.0) / 360.0 * tiles as f64).floor())
    };
    let sin = p.lat.to_radians().sin();
    let y = clip(
        ((0.5 - ((1.0 + sin) / (1.0 - sin)).ln() / (4.0 * std::f64::consts::PI)) * tiles as f64)
            .floor(),
    );
    (x, y)
}

/// Why a value is not a point, in Elasticsearch's words (the caller wraps it into the field's
/// parse error).
fn bad(reason: impl Into<String>) -> Error {
    Error::es(400, "parse_exception", reason)
}

/// Latitude and longitude in range, or Elasticsearch's `illegal latitude value [..] for
/// <field>`.
fn check(lat: f64, lon: f64, field: &str) -> Result<GeoPoint> {
    if !(-90.0..=90.0).contains(&lat) || lat.is_nan() {
        return Err(Error::illegal_argument(format!(
            "illegal latitude value [{}] for {field}",
            show(lat)
        )));
    }
    if !(-180.0..=180.0).contains(&lon) || lon.is_nan() {
        return Err(Error::illegal_argument(format!(
            "illegal longitude value [{}] for {field}",
            show(lon)
        )));
    }
    Ok(GeoPoint { lat, lon })
}

/// A double as Java prints it (`41.0`, not `41`).
fn show(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.1}")
    } else {
        x.to_string()
    }
}

fn number(v: &Value, what: &str) -> Result<f64> {
    match v {
        Value::Number(n) => Ok(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => s.trim().parse::<f64>().map_err(|_| {
            bad(format!("[{what}] must be a valid double value")).caused_by(Error::es(
                400,
                "number_format_exception",
                format!("For input string: \"{s}\""),
            ))
        }),
        _ => Err(bad(format!("[{what}] must be a number"))),
    }
}

/// A z value where only two coordinates are kept: refused unless `ignore_z` (the mapping's
/// `ignore_z_value`, true by default).
fn z_value(z: Option<f64>, ignore_z: bool) -> Result<()> {
    match z {
        Some(z) if !ignore_z => Err(bad(format!(
            "Exception parsing coordinates: found Z value [{}] but [ignore_z_value] parameter is [false]",
            show(z)
        ))),
        _ => Ok(()),
    }
}

/// One point from any of Elasticsearch's forms: `{"lat": .., "lon": ..}`, `"lat,lon"`,
/// a geohash, `[lon, lat]`, `"POINT (lon lat)"` or GeoJSON `{"type": "Point", "coordinates":
/// [lon, lat]}`; `field` names the field in range errors.
///
/// # Errors
/// `parse_exception` or `illegal_argument_exception` in Elasticsearch's words.
pub fn parse_point(v: &Value, ignore_z: bool, field: &str) -> Result<GeoPoint> {
    match v {
        Value::Object(o) => {
            if o.contains_key("type") || o.contains_key("coordinates") {
                let ty = o.get("type").and_then(Value::as_str).unwrap_or_default();
                if !ty.eq_ignore_ascii_case("point") {
                    return Err(bad("[type] for geo_point can only be 'Point'"));
                }
                let Some(Value::Array(c)) = o.get("coordinates") else {
                    return Err(bad("[coordinates] must be an array of numbers"));
                };
                return array_point(c, ignore_z, field);
            }
            let (mut lat, mut lon, mut z) = (None, None, None);
            for (k, val) in o {
                match k.as_str() {
                    "lat" => lat = Some(number(val, "latitude")?),
                    "lon" => lon = Some(number(val, "longitude")?),
                    "z" => z = Some(number(val, "z")?),
                    other => {
                        return Err(bad(format!(
                            "field [{other}] not supported - must be one of: lon, lat, z, type, coordinates"
                        )));
                    }
                }
            }
            z_value(z, ignore_z)?;
            match (lat, lon) {
                (Some(lat), Some(lon)) => check(lat, lon, field),
                (None, _) => Err(bad("Required [lat]")),
                (_, None) => Err(bad("Required [lon]")),
            }
        }
        // a bare array of more than three numbers is not read as coordinates at all
        Value::Array(a) if a.len() > 3 => Err(bad("geo_point expected")),
        Value::Array(a) => array_point(a, ignore_z, field),
        Value::String(s) => string_point(s, ignore_z, field),
        Value::Number(_) | Value::Bool(_) | Value::Null => Err(bad("geo_point expected")),
    }
}

fn array_point(a: &[Value], ignore_z: bool, field: &str) -> Result<GeoPoint> {
    let mut xs = Vec::with_capacity(3);
    for v in a {
        match v {
            Value::Number(n) => xs.push(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => xs.push(
                s.trim()
                    .parse::<f64>()
                    .map_err(|_| bad("numeric value expected"))?,
            ),
            _ => return Err(bad("numeric value expected")),
        }
    }
    match xs.as_slice() {
        [lon, lat] => check(*lat, *lon, field),
        [lon, lat, z, ..] => {
            z_value(Some(*z), ignore_z)?;
            if xs.len() > 3 {
                return Err(bad(
                    "Exception parsing coordinates: found more than 3 coordinates",
                ));
            }
            check(*lat, *lon, field)
        }
        _ => Err(bad(
            "Exception parsing coordinates: expected at least 2 coordinates",
        )),
    }
}

/// A point written as a string: `"lat,lon"`, `"POINT (lon lat)"` or a geohash.
///
/// # Errors
/// As [`parse_point`].
pub fn string_point(s: &str, ignore_z: bool, field: &str) -> Result<GeoPoint> {
    let t = s.trim();
    if let Some(rest) = t
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("point"))
        .map(|_| t[5..].trim())
    {
        let wkt = || bad("Invalid WKT format");
        let inner = rest
            .strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .ok_or_else(wkt)?;
        let xs: Vec<f64> = inner
            .split_whitespace()
            .map(str::parse::<f64>)
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| wkt())?;
        return match xs.as_slice() {
            [lon, lat] => check(*lat, *lon, field),
            [lon, lat, z] => {
                if !ignore_z {
                    return Err(wkt().caused_by(Error::illegal_argument(format!(
                        "found Z value [{}] but [ignore_z_value] parameter is [false]",
                        show(*z)
                    ))));
                }
                check(*lat, *lon, field)
            }
            _ => Err(wkt()),
        };
    }
    if t.contains(',') {
        let parts: Vec<&str> = t.split(',').collect();
        if parts.len() > 3 {
            // Elasticsearch's own wording, placeholder included
            return Err(bad(format!(
                "failed to parse [{}], expected 2 or 3 coordinates but found: [{{}}]",
                parts.len()
            )));
        }
        let parse = |p: &str, what: &str| {
            p.trim()
                .parse::<f64>()
                .map_err(|_| bad(format!("{what} must be a number")))
        };
        let lat = parse(parts[0], "latitude")?;
        let lon = parse(parts[1], "longitude")?;
        if let Some(z) = parts.get(2) {
            z_value(Some(parse(z, "z")?), ignore_z)?;
        }
        return check(lat, lon, field);
    }
    geohash_point(t)
}

/// The south-west corner of a geohash cell, as Elasticsearch reads a geohash as a point.
fn geohash_point(h: &str) -> Result<GeoPoint> {
    let unsupported = |c: char| {
        let reason = format!("unsupported symbol [{c}] in geohash [{h}]");
        bad(reason.clone()).caused_by(Error::illegal_argument(reason))
    };
    if h.is_empty() {
        return Err(bad("geo_point expected"));
    }
    // Elasticsearch takes a geohash cell by its south-west corner
    let (sw, _) = geohash_cell(&h[..h.len().min(12)]).ok_or_else(|| {
        unsupported(
            h.chars()
                .find(|c| !c.is_ascii() || !BASE32.contains(&(c.to_ascii_lowercase() as u8)))
                .unwrap_or('?'),
        )
    })?;
    Ok(sw)
}

/// The points of a field value: the value itself, or the elements of an array of points (an
/// array of numbers is one point, `[lon, lat]`, as in Elasticsearch); nulls are skipped.
pub fn point_values(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_number) => vec![v],
        Value::Array(a) => a.iter().filter(|x| !x.is_null()).collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// The GeoJSON form Elasticsearch's `fields` option returns for a point.
pub fn to_geojson(p: GeoPoint) -> Value {
    serde_json::json!({"coordinates": [p.lon, p.lat], "type": "Point"})
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_form_reads_the_same_point() {
        let want = GeoPoint {
            lat: 41.12,
            lon: -71.34,
        };
        for v in [
            json!({"lat": 41.12, "lon": -71.34}),
            json!("41.12,-71.34"),
            json!(" 41.12 , -71.34 "),
            json!([-71.34, 41.12]),
            json!("POINT (-71.34 41.12)"),
            json!({"type": "Point", "coordinates": [-71.34, 41.12]}),
            json!({"lat": "41.12", "lon": "-71.34"}),
        ] {
            assert_eq!(parse_point(&v, true, "loc").ok(), Some(want), "{v}");
        }
        let p = parse_point(&json!("drm3btev3e86"), true, "loc").expect("geohash");
        assert!(
            (p.lat - 41.12).abs() < 1e-5 && (p.lon + 71.34).abs() < 1e-5,
            "{p:?}"
        );
        for bad in [
            json!({"lat": 91, "lon": 0}),
            json!({"lat": 0}),
            json!([1]),
            json!("a,b"),
            json!(12),
            json!({"lat": 1, "lon": 2, "x": 3}),
            json!("POINT (1)"),
        ] {
            assert!(parse_point(&bad, true, "loc").is_err(), "{bad}");
        }
        assert!(parse_point(&json!([1, 2, 3]), false, "loc").is_err());
        assert_eq!(point_values(&json!([[1, 2], "3,4", null])).len(), 2);
        assert_eq!(point_values(&json!([1, 2])).len(), 1);
    }

    #[test]
    fn encoding_geohash_and_tiles_agree_with_known_values() {
        let v = encode(GeoPoint {
            lat: 52.374081,
            lon: 4.912350,
        });
        let p = decode(v);
        assert!((p.lat - 52.374081).abs() < 1e-7 && (p.lon - 4.912350).abs() < 1e-7);
        // Amsterdam's geohash (Elasticsearch's geohash_grid documentation example)
        assert_eq!(geohash(v, 3), "u17");
        assert_eq!(geohash(v, 5), "u173z");
        // and its tile at zoom 8 (Web Mercator: x = floor((lon + 180) / 360 * 256))
        assert_eq!(geotile(v, 8), "8/131/84");
        let (sw, ne) = geohash_cell("u17").expect("cell");
        assert!(sw.lat < p.lat && p.lat < ne.lat && sw.lon < p.lon && p.lon < ne.lon);
        // Paris to London, ~343.5 km
        let d = arc_distance(
            GeoPoint {
                lat: 48.8566,
                lon: 2.3522,
            },
            GeoPoint {
                lat: 51.5074,
                lon: -0.1278,
            },
        );
        assert!((d - 343_500.0).abs() < 1000.0, "{d}");
        assert_eq!(parse_distance(&json!("12km")).ok(), Some(12_000.0));
        assert_eq!(parse_distance(&json!("1mi")).ok(), Some(1609.344));
        assert_eq!(parse_distance(&json!(200)).ok(), Some(200.0));
        assert!(parse_distance(&json!("12parsecs")).is_err());
    }
}
