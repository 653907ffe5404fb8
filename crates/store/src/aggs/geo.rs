//! Aggregations over `geo_point` columns: the `geohash_grid` and `geotile_grid` buckets and the
//! `geo_bounds` and `geo_centroid` metrics, as Elasticsearch 8 computes them.
//!
//! Every figure is taken from a point's quantized coordinates (see [`crate::mapping::geo`]),
//! which are what Elasticsearch reads from its doc values: a geohash from the bits of the
//! encoded latitude and longitude, a map tile and the metrics from the decoded point.

use serde_json::{Map, Value, json};

use super::{Kind, int_param};
use crate::error::{Error, Result};
use crate::mapping::geo::{self, GeoPoint};
use crate::query::geo::{BBox, parse_corners};

/// Which grid a `*_grid` aggregation buckets points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grid {
    /// `geohash_grid`: geohash cells of `precision` characters (1..=12)
    Hash,
    /// `geotile_grid`: Web Mercator map tiles at zoom `precision` (0..=29)
    Tile,
}

impl Grid {
    pub(super) fn name(self) -> &'static str {
        match self {
            Grid::Hash => "geohash_grid",
            Grid::Tile => "geotile_grid",
        }
    }
}

/// A `geohash_grid` or `geotile_grid` request.
#[derive(Debug, Clone, PartialEq)]
pub struct GridSpec {
    /// which grid
    pub grid: Grid,
    /// the `geo_point` field
    pub field: String,
    /// geohash length or tile zoom
    pub precision: u8,
    /// buckets returned, most documents first
    pub size: usize,
    /// only points inside this box are bucketed
    pub bounds: Option<BBox>,
}

/// `geo_bounds` or `geo_centroid`.
#[derive(Debug, Clone, PartialEq)]
pub struct PointMetric {
    /// the `geo_point` field
    pub field: String,
    /// `geo_bounds`: `Some(wrap_longitude)`; `geo_centroid`: `None`
    pub bounds: Option<bool>,
}

impl PointMetric {
    /// `geo_bounds` or `geo_centroid`.
    pub fn name(&self) -> &'static str {
        if self.bounds.is_some() {
            "geo_bounds"
        } else {
            "geo_centroid"
        }
    }
}

/// The grid aggregations' default `size`.
const GRID_SIZE: usize = 10_000;

/// Equatorial circumference and pole-to-pole distance in metres (the WGS 84 semi-axes), as
/// Elasticsearch's `GeoUtils` uses them to turn a distance into a geohash length.
const EARTH_EQUATOR: f64 = 2.0 * std::f64::consts::PI * 6_378_137.0;
const EARTH_POLAR_DISTANCE: f64 = std::f64::consts::PI * 6_356_752.314_245;

fn unsupported(t: &str, k: &str) -> Error {
    Error::illegal_argument(format!(
        "[{k}] of aggregation [{t}] is not supported by sluice-store"
    ))
}

fn unknown(t: &str, k: &str) -> Error {
    Error::es(
        400,
        "x_content_parse_exception",
        format!("[1:1] [{t}] unknown field [{k}]"),
    )
}

fn field(o: &Map<String, Value>, t: &str, name: &str) -> Result<String> {
    match o.get("field") {
        Some(Value::String(f)) => Ok(f.clone()),
        Some(other) => Err(Error::es(
            400,
            "x_content_parse_exception",
            format!(
                "[{t}] field doesn't support values of type: {}",
                crate::search::token_name(other)
            ),
        )),
        None => Err(Error::illegal_argument(format!(
            "Required one of fields [field, script], but none were specified. in [{name}]"
        ))),
    }
}

/// The geohash length whose cells are no larger than `meters` across, as Elasticsearch's
/// `GeoUtils.geoHashLevelsForPrecision` picks it.
fn geohash_levels_for(meters: f64) -> i64 {
    if meters == 0.0 {
        return 24;
    }
    let ratio = 1.0 + EARTH_POLAR_DISTANCE / EARTH_EQUATOR;
    let width = ((meters * meters) / (ratio * ratio)).sqrt();
    let part = (EARTH_EQUATOR / width).ceil();
    if part == 1.0 {
        return 1;
    }
    let bits = (part.ln() / 2f64.ln()).ceil().round() as i64;
    let full = bits / 5;
    let left = bits - full * 5;
    let even = full + i64::from(left > 0);
    let odd = full + i64::from(left > 3);
    even + odd
}

fn precision(o: &Map<String, Value>, grid: Grid) -> Result<u8> {
    let t = grid.name();
    let (default, max) = match grid {
        Grid::Hash => (5, 12),
        Grid::Tile => (7, 29),
    };
    let p = match (grid, o.get("precision")) {
        (_, None | Some(Value::Null)) => return Ok(default),
        // a geohash precision may be a distance: the length whose cells are no larger
        (Grid::Hash, Some(Value::String(s))) if s.trim().parse::<i64>().is_err() => {
            let meters = geo::parse_distance(&Value::String(s.clone())).map_err(|e| {
                Error::es(
                    400,
                    "x_content_parse_exception",
                    format!("[{t}] failed to parse field [precision]"),
                )
                .caused_by(e)
            })?;
            let p = geohash_levels_for(meters);
            if p > 12 {
                return Err(Error::es(
                    400,
                    "x_content_parse_exception",
                    format!("[{t}] failed to parse field [precision]"),
                )
                .caused_by(Error::illegal_argument(format!("precision too high [{s}]"))));
            }
            p
        }
        _ => int_param(o, "precision", t)?.unwrap_or(i64::from(default)),
    };
    let min = i64::from(grid == Grid::Hash);
    if !(min..=max).contains(&p) {
        let what = match grid {
            Grid::Hash => "geohash aggregation",
            Grid::Tile => "geotile_grid",
        };
        return Err(Error::es(
            400,
            "x_content_parse_exception",
            format!("[{t}] failed to parse field [precision]"),
        )
        .caused_by(Error::illegal_argument(format!(
            "Invalid {what} precision of {p}. Must be between {min} and {max}."
        ))));
    }
    Ok(p as u8)
}

/// Parses `geohash_grid` / `geotile_grid`.
pub(super) fn parse_grid(name: &str, grid: Grid, o: &Map<String, Value>) -> Result<Kind> {
    let t = grid.name();
    for k in o.keys() {
        match k.as_str() {
            "field" | "precision" | "size" | "shard_size" | "bounds" => {}
            "missing" | "script" | "value_type" => return Err(unsupported(t, k)),
            other => return Err(unknown(t, other)),
        }
    }
    let field = field(o, t, name)?;
    let precision = precision(o, grid)?;
    let size = match int_param(o, "size", t)? {
        None => GRID_SIZE,
        Some(n) if n > 0 => usize::try_from(n).unwrap_or(usize::MAX),
        Some(n) => {
            return Err(Error::es(
                400,
                "x_content_parse_exception",
                format!("[{t}] failed to parse field [size]"),
            )
            .caused_by(Error::illegal_argument(format!(
                "[size] must be greater than 0. Found [{n}] in [{name}]"
            ))));
        }
    };
    // one shard: every bucket is counted exactly, so `shard_size` changes nothing but is
    // checked as Elasticsearch checks it
    if let Some(n) = int_param(o, "shard_size", t)?
        && n <= 0
    {
        return Err(Error::es(
            400,
            "x_content_parse_exception",
            format!("[{t}] failed to parse field [shard_size]"),
        )
        .caused_by(Error::illegal_argument(format!(
            "[shardSize] must be greater than 0. Found [{n}] in [{name}]"
        ))));
    }
    let bounds = match o.get("bounds") {
        None | Some(Value::Null) => None,
        Some(Value::Object(b)) => {
            let b = parse_corners(b)?;
            if [b.top, b.left, b.bottom, b.right]
                .iter()
                .any(|x| x.is_nan())
            {
                return Err(Error::es(
                    400,
                    "x_content_parse_exception",
                    format!("[{t}] failed to parse field [bounds]"),
                ));
            }
            Some(b)
        }
        Some(other) => {
            return Err(Error::es(
                400,
                "x_content_parse_exception",
                format!(
                    "[{t}] bounds doesn't support values of type: {}",
                    crate::search::token_name(other)
                ),
            ));
        }
    };
    Ok(Kind::GeoGrid(Box::new(GridSpec {
        grid,
        field,
        precision,
        size,
        bounds,
    })))
}

/// Parses `geo_bounds` (`bounds`) or `geo_centroid`.
pub(super) fn parse_metric(name: &str, bounds: bool, o: &Map<String, Value>) -> Result<Kind> {
    let t = if bounds { "geo_bounds" } else { "geo_centroid" };
    for k in o.keys() {
        match k.as_str() {
            "field" => {}
            "wrap_longitude" if bounds => {}
            "missing" | "script" | "value_type" => return Err(unsupported(t, k)),
            other => return Err(unknown(t, other)),
        }
    }
    let field = field(o, t, name)?;
    let wrap = if bounds {
        Some(super::bool_param(o, "wrap_longitude", t)?.unwrap_or(true))
    } else {
        None
    };
    Ok(Kind::GeoMetric(PointMetric {
        field,
        bounds: wrap,
    }))
}

impl GridSpec {
    /// The cell of an encoded point, as a number that sorts as Elasticsearch sorts cells of
    /// one precision (a geohash's bits; a tile's `x` above its `y`); `None` outside `bounds`.
    pub fn cell(&self, v: i64) -> Option<i64> {
        let p = geo::decode(v);
        if let Some(b) = &self.bounds
            && !in_box(b, p)
        {
            return None;
        }
        Some(match self.grid {
            Grid::Hash => {
                let (lat, lon) = geo::split(v);
                let (lat, lon) = ((lat as u32) ^ 0x8000_0000, (lon as u32) ^ 0x8000_0000);
                // interleave, longitude first, and keep the top 5 × precision bits
                let mut bits = 0u64;
                for i in (0..32).rev() {
                    bits =
                        (bits << 2) | (u64::from((lon >> i) & 1) << 1) | u64::from((lat >> i) & 1);
                }
                (bits >> (64 - 5 * u32::from(self.precision))) as i64
            }
            Grid::Tile => {
                let (x, y) = geo::tile_xy(p, self.precision);
                ((x << 29) | y) as i64
            }
        })
    }

    /// Elasticsearch's `hashAsLong` of a cell, which orders buckets with equal counts (the
    /// greater first): a geohash's bits above four bits of precision, which at 12 characters
    /// reach the sign bit; a tile's zoom above its `x` and `y`.
    pub fn order_key(&self, cell: i64) -> i64 {
        match self.grid {
            Grid::Hash => ((cell as u64) << 4 | u64::from(self.precision)) as i64,
            Grid::Tile => i64::from(self.precision) << 58 | cell,
        }
    }

    /// The bucket key of a cell.
    pub fn key(&self, cell: i64) -> String {
        match self.grid {
            Grid::Hash => {
                let n = usize::from(self.precision);
                (0..n)
                    .map(|i| {
                        let d = (cell as u64 >> (5 * (n - 1 - i))) & 31;
                        char::from(geo::BASE32[d as usize])
                    })
                    .collect()
            }
            Grid::Tile => {
                let (x, y) = (cell as u64 >> 29, cell as u64 & ((1 << 29) - 1));
                format!("{}/{x}/{y}", self.precision)
            }
        }
    }
}

/// Elasticsearch's `GeoBoundingBox.pointInBounds` on a decoded point.
fn in_box(b: &BBox, p: GeoPoint) -> bool {
    p.lat >= b.bottom
        && p.lat <= b.top
        && if b.left <= b.right {
            p.lon >= b.left && p.lon <= b.right
        } else {
            p.lon >= b.left || p.lon <= b.right
        }
}

/// Kahan-compensated sum, as Elasticsearch's `CompensatedSum`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Compensated {
    value: f64,
    delta: f64,
}

impl Compensated {
    fn add(&mut self, value: f64, delta: f64) {
        let corrected = value + (self.delta + delta);
        let updated = self.value + corrected;
        self.delta = corrected - (updated - self.value);
        self.value = updated;
    }
}

/// What `geo_bounds` and `geo_centroid` keep of the points they saw (mergeable).
#[derive(Debug, Clone, PartialEq)]
pub struct PointStats {
    count: u64,
    lat: Compensated,
    lon: Compensated,
    top: f64,
    bottom: f64,
    pos_left: f64,
    pos_right: f64,
    neg_left: f64,
    neg_right: f64,
}

impl Default for PointStats {
    fn default() -> Self {
        PointStats {
            count: 0,
            lat: Compensated::default(),
            lon: Compensated::default(),
            top: f64::NEG_INFINITY,
            bottom: f64::INFINITY,
            pos_left: f64::INFINITY,
            pos_right: f64::NEG_INFINITY,
            neg_left: f64::INFINITY,
            neg_right: f64::NEG_INFINITY,
        }
    }
}

impl PointStats {
    /// Takes one encoded point.
    pub fn add(&mut self, v: i64) {
        let p = geo::decode(v);
        self.count += 1;
        self.lat.add(p.lat, 0.0);
        self.lon.add(p.lon, 0.0);
        self.top = self.top.max(p.lat);
        self.bottom = self.bottom.min(p.lat);
        // east and west of Greenwich apart, so that a box may wrap the date line
        if p.lon >= 0.0 {
            self.pos_left = self.pos_left.min(p.lon);
            self.pos_right = self.pos_right.max(p.lon);
        } else {
            self.neg_left = self.neg_left.min(p.lon);
            self.neg_right = self.neg_right.max(p.lon);
        }
    }

    /// Adds what `other` saw.
    pub fn merge(&mut self, other: &PointStats) {
        self.count += other.count;
        self.lat.add(other.lat.value, other.lat.delta);
        self.lon.add(other.lon.value, other.lon.delta);
        self.top = self.top.max(other.top);
        self.bottom = self.bottom.min(other.bottom);
        self.pos_left = self.pos_left.min(other.pos_left);
        self.pos_right = self.pos_right.max(other.pos_right);
        self.neg_left = self.neg_left.min(other.neg_left);
        self.neg_right = self.neg_right.max(other.neg_right);
    }

    /// The response body of `geo_bounds` (`{}` without points).
    pub fn render_bounds(&self, wrap_longitude: bool) -> Value {
        if self.top.is_infinite() {
            return json!({});
        }
        // Elasticsearch's `InternalGeoBounds`: the narrower of the box across Greenwich and
        // the box across the date line, when points lie on both sides and wrapping is allowed
        let (left, right) = if self.pos_left.is_infinite() {
            (self.neg_left, self.neg_right)
        } else if self.neg_left.is_infinite() {
            (self.pos_left, self.pos_right)
        } else if wrap_longitude {
            let unwrapped = self.pos_right - self.neg_left;
            let wrapped = (180.0 - self.pos_left) - (-180.0 - self.neg_right);
            if unwrapped <= wrapped {
                (self.neg_left, self.pos_right)
            } else {
                (self.pos_left, self.neg_right)
            }
        } else {
            (self.neg_left, self.pos_right)
        };
        json!({"bounds": {
            "top_left": {"lat": self.top, "lon": left},
            "bottom_right": {"lat": self.bottom, "lon": right},
        }})
    }

    /// The response body of `geo_centroid`.
    pub fn render_centroid(&self) -> Value {
        if self.count == 0 {
            return json!({"count": 0});
        }
        let n = self.count as f64;
        json!({
            "location": {"lat": self.lat.value / n, "lon": self.lon.value / n},
            "count": self.count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(grid: Grid, precision: u8) -> GridSpec {
        GridSpec {
            grid,
            field: "p".into(),
            precision,
            size: 10,
            bounds: None,
        }
    }

    fn point(lat: f64, lon: f64) -> i64 {
        geo::encode(GeoPoint { lat, lon })
    }

    /// The cell's key is the point's geohash, and cells sort as their keys do.
    #[test]
    fn geohash_cells_are_geohashes_in_key_order() {
        let pts = [
            (52.374081, 4.912350),
            (-33.86, 151.21),
            (0.0, 0.0),
            (-90.0, -180.0),
        ];
        for p in 1..=12 {
            let s = spec(Grid::Hash, p);
            let mut cells: Vec<(i64, String)> = pts
                .iter()
                .map(|&(la, lo)| {
                    let v = point(la, lo);
                    let c = s.cell(v).unwrap();
                    assert_eq!(s.key(c), geo::geohash(v, p));
                    (c, s.key(c))
                })
                .collect();
            cells.sort();
            assert!(cells.windows(2).all(|w| w[0].1 <= w[1].1), "{cells:?}");
        }
        // Amsterdam's museums quarter, as Elasticsearch's documentation shows it
        assert_eq!(
            spec(Grid::Hash, 3).key(
                spec(Grid::Hash, 3)
                    .cell(point(52.374081, 4.912350))
                    .unwrap()
            ),
            "u17"
        );
    }

    /// Equal counts order by Elasticsearch's `hashAsLong`, whose sign bit a 12-character
    /// geohash reaches: `g…` sorts above `x…` there, below it at 11 characters.
    #[test]
    fn equal_counts_order_as_hash_as_long() {
        let (g, x) = (point(51.5074, -0.1278), point(35.68, 139.69));
        let s = spec(Grid::Hash, 12);
        assert!(s.order_key(s.cell(g).unwrap()) > s.order_key(s.cell(x).unwrap()));
        let s = spec(Grid::Hash, 11);
        assert!(s.order_key(s.cell(g).unwrap()) < s.order_key(s.cell(x).unwrap()));
    }

    #[test]
    fn geotile_cells_are_tiles() {
        for (zoom, (la, lo)) in [
            (0, (10.0, 10.0)),
            (8, (52.374081, 4.912350)),
            (29, (-85.0, 179.9)),
        ] {
            let s = spec(Grid::Tile, zoom);
            let v = point(la, lo);
            assert_eq!(s.key(s.cell(v).unwrap()), geo::geotile(v, zoom));
        }
        assert_eq!(
            spec(Grid::Tile, 8).key(
                spec(Grid::Tile, 8)
                    .cell(point(52.374081, 4.912350))
                    .unwrap()
            ),
            "8/131/84"
        );
    }

    #[test]
    fn bounds_keep_only_points_inside_across_the_date_line_too() {
        let mut s = spec(Grid::Hash, 2);
        s.bounds = Some(BBox {
            top: 10.0,
            left: 170.0,
            bottom: -10.0,
            right: -170.0,
        });
        assert!(s.cell(point(0.0, 175.0)).is_some());
        assert!(s.cell(point(0.0, -175.0)).is_some());
        assert!(s.cell(point(0.0, 0.0)).is_none());
        assert!(s.cell(point(20.0, 175.0)).is_none());
    }

    #[test]
    fn bounds_wrap_the_date_line_when_narrower() {
        let mut st = PointStats::default();
        assert_eq!(st.render_bounds(true), json!({}));
        for (la, lo) in [(10.0, 170.0), (-10.0, -170.0)] {
            st.add(point(la, lo));
        }
        let wrapped = st.render_bounds(true);
        let left = wrapped["bounds"]["top_left"]["lon"].as_f64().unwrap();
        let right = wrapped["bounds"]["bottom_right"]["lon"].as_f64().unwrap();
        assert!(left > 169.9 && right < -169.9, "{wrapped}");
        let plain = st.render_bounds(false);
        assert!(
            plain["bounds"]["top_left"]["lon"].as_f64().unwrap() < -169.9,
            "{plain}"
        );
        let c = st.render_centroid();
        assert_eq!(c["count"], 2);
        assert!(c["location"]["lat"].as_f64().unwrap().abs() < 1e-6, "{c}");
    }

    #[test]
    fn distance_precisions_as_elasticsearch_picks_them() {
        // Elasticsearch's formula: from the cell width the distance allows, the bits a
        // geohash needs, five to a character
        assert_eq!(geohash_levels_for(1.0), 11);
        assert_eq!(geohash_levels_for(1_000.0), 7);
        assert_eq!(geohash_levels_for(10_000.0), 5);
        assert_eq!(geohash_levels_for(50_000_000.0), 1);
        let grid = |precision: Value| {
            let o: Map<String, Value> =
                serde_json::from_value(json!({"field": "p", "precision": precision})).unwrap();
            parse_grid("g", Grid::Hash, &o)
        };
        assert!(matches!(grid(json!("10km")), Ok(Kind::GeoGrid(g)) if g.precision == 5));
        let err = grid(json!("1cm")).unwrap_err().to_es_body().to_string();
        assert!(err.contains("precision too high [1cm]"), "{err}");
        let err = grid(json!("13")).unwrap_err().to_es_body().to_string();
        assert!(err.contains("Must be between 1 and 12"), "{err}");
    }
}
