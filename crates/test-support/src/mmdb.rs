//! A small writer of MaxMind DB files (the documented `.mmdb` format: a binary search tree of
//! address bits, a data section of typed values, and a metadata map after the
//! `\xAB\xCD\xEFMaxMind.com` marker), so that tests can make the GeoIP databases they read.
//!
//! Only what test databases need: IPv4 or IPv6 trees with 24-bit records, networks that do
//! not overlap, and values of the types below.

use std::net::IpAddr;

/// A value of the MaxMind DB data section.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// UTF-8 string (type 2).
    Str(String),
    /// IEEE double (type 3).
    Double(f64),
    /// Unsigned 16-bit integer (type 5).
    U16(u16),
    /// Unsigned 32-bit integer (type 6).
    U32(u32),
    /// Unsigned 64-bit integer (type 9).
    U64(u64),
    /// Boolean (type 14).
    Bool(bool),
    /// Map with string keys (type 7).
    Map(Vec<(String, Value)>),
    /// Array (type 11).
    Array(Vec<Value>),
}

impl Value {
    /// A map from `(key, value)` pairs.
    #[must_use]
    pub fn map<const N: usize>(pairs: [(&str, Value); N]) -> Self {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// A string.
    #[must_use]
    pub fn str(s: &str) -> Self {
        Value::Str(s.to_owned())
    }

    /// Appends the encoding of this value to `out`.
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Value::Str(s) => {
                control(out, 2, s.len());
                out.extend_from_slice(s.as_bytes());
            }
            Value::Double(d) => {
                control(out, 3, 8);
                out.extend_from_slice(&d.to_be_bytes());
            }
            Value::U16(n) => unsigned(out, 5, u64::from(*n)),
            Value::U32(n) => unsigned(out, 6, u64::from(*n)),
            Value::U64(n) => unsigned(out, 9, *n),
            Value::Bool(b) => control(out, 14, usize::from(*b)),
            Value::Map(pairs) => {
                control(out, 7, pairs.len());
                for (k, v) in pairs {
                    Value::Str(k.clone()).encode(out);
                    v.encode(out);
                }
            }
            Value::Array(items) => {
                control(out, 11, items.len());
                for v in items {
                    v.encode(out);
                }
            }
        }
    }
}

/// An unsigned integer: its big-endian bytes without leading zeros.
fn unsigned(out: &mut Vec<u8>, ty: u8, n: u64) {
    let bytes = n.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    control(out, ty, 8 - skip);
    out.extend_from_slice(&bytes[skip..]);
}

/// The control byte (type in the top three bits, types above 7 extended in a second byte)
/// and the size, with its extension bytes.
fn control(out: &mut Vec<u8>, ty: u8, size: usize) {
    let (size_bits, extra): (u8, Vec<u8>) = match size {
        0..=28 => (u8::try_from(size).unwrap_or(0), Vec::new()),
        29..=284 => (29, vec![u8::try_from(size - 29).unwrap_or(0)]),
        285..=65_820 => (
            30,
            u16::try_from(size - 285)
                .unwrap_or(0)
                .to_be_bytes()
                .to_vec(),
        ),
        _ => (
            31,
            u32::try_from(size - 65_821).unwrap_or(0).to_be_bytes()[1..].to_vec(),
        ),
    };
    if ty <= 7 {
        out.push((ty << 5) | size_bits);
    } else {
        out.push(size_bits);
        out.push(ty - 7);
    }
    out.extend_from_slice(&extra);
}

#[derive(Debug, Clone, Copy)]
enum Record {
    Empty,
    Node(u32),
    Data(u32),
}

/// Builds a database: add networks with their records, then [`Writer::to_bytes`].
#[derive(Debug)]
pub struct Writer {
    database_type: String,
    ip_version: u16,
    nodes: Vec<[Record; 2]>,
    data: Vec<u8>,
}

impl Writer {
    /// A database of `database_type` (`GeoLite2-City`, `GeoLite2-ASN`, ...), IPv6 when
    /// `ipv6` (IPv4 networks then live under `::/96`, where readers look them up).
    #[must_use]
    pub fn new(database_type: &str, ipv6: bool) -> Self {
        Self {
            database_type: database_type.to_owned(),
            ip_version: if ipv6 { 6 } else { 4 },
            nodes: vec![[Record::Empty, Record::Empty]],
            data: Vec::new(),
        }
    }

    /// Maps the network `cidr` (`81.2.69.0/24`, `2001:db8::/32`) to `value`.
    ///
    /// # Panics
    /// On a malformed network, an IPv6 network in an IPv4 database, or a network that
    /// overlaps one added before.
    pub fn insert(&mut self, cidr: &str, value: &Value) -> &mut Self {
        let (addr, len) = cidr.split_once('/').expect("network as addr/len");
        let addr: IpAddr = addr.parse().expect("network address");
        let len: u32 = len.parse().expect("prefix length");
        let (bits, depth): (u128, u32) = match (addr, self.ip_version) {
            (IpAddr::V4(a), 4) => (u128::from(u32::from(a)) << 96, len),
            (IpAddr::V4(a), _) => (u128::from(u32::from(a)), 96 + len),
            (IpAddr::V6(a), 6) => (u128::from(a), len),
            (IpAddr::V6(_), _) => panic!("IPv6 network {cidr} in an IPv4 database"),
        };
        let offset = u32::try_from(self.data.len()).expect("data section under 4 GiB");
        value.encode(&mut self.data);
        let mut node = 0usize;
        for i in 0..depth {
            let bit = usize::from((bits >> (127 - i)) & 1 == 1);
            if i + 1 == depth {
                assert!(
                    matches!(self.nodes[node][bit], Record::Empty),
                    "{cidr} overlaps a network added before"
                );
                self.nodes[node][bit] = Record::Data(offset);
                break;
            }
            node = match self.nodes[node][bit] {
                Record::Node(n) => n as usize,
                Record::Empty => {
                    self.nodes.push([Record::Empty, Record::Empty]);
                    let n = self.nodes.len() - 1;
                    self.nodes[node][bit] = Record::Node(u32::try_from(n).expect("node count"));
                    n
                }
                Record::Data(_) => panic!("{cidr} lies inside a network added before"),
            };
        }
        self
    }

    /// The database file's bytes.
    ///
    /// # Panics
    /// When the tree outgrows 24-bit records.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let count = u32::try_from(self.nodes.len()).expect("node count");
        let mut out = Vec::new();
        for node in &self.nodes {
            for rec in node {
                let v = match *rec {
                    Record::Empty => count,
                    Record::Node(n) => n,
                    Record::Data(off) => count + 16 + off,
                };
                assert!(v < 1 << 24, "the tree outgrew 24-bit records");
                out.extend_from_slice(&v.to_be_bytes()[1..]);
            }
        }
        out.extend_from_slice(&[0; 16]);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
        Value::Map(vec![
            ("binary_format_major_version".into(), Value::U16(2)),
            ("binary_format_minor_version".into(), Value::U16(0)),
            ("build_epoch".into(), Value::U64(1_700_000_000)),
            (
                "database_type".into(),
                Value::Str(self.database_type.clone()),
            ),
            (
                "description".into(),
                Value::map([("en", Value::str("test database"))]),
            ),
            ("ip_version".into(), Value::U16(self.ip_version)),
            ("languages".into(), Value::Array(vec![Value::str("en")])),
            ("node_count".into(), Value::U32(count)),
            ("record_size".into(), Value::U16(24)),
        ])
        .encode(&mut out);
        out
    }
}

/// A GeoIP2/GeoLite2 City record as MaxMind's databases lay it out (English names).
#[must_use]
pub fn city_record(
    city: &str,
    continent: (&str, &str),
    country: (&str, &str),
    subdivision: Option<(&str, &str)>,
    postal: Option<&str>,
    location: (f64, f64, &str),
) -> Value {
    let names = |n: &str| Value::map([("en", Value::str(n))]);
    let mut pairs = vec![
        ("city".to_owned(), Value::map([("names", names(city))])),
        (
            "continent".to_owned(),
            Value::map([
                ("code", Value::str(continent.0)),
                ("names", names(continent.1)),
            ]),
        ),
        (
            "country".to_owned(),
            Value::map([
                ("iso_code", Value::str(country.0)),
                ("names", names(country.1)),
            ]),
        ),
        (
            "location".to_owned(),
            Value::map([
                ("accuracy_radius", Value::U16(100)),
                ("latitude", Value::Double(location.0)),
                ("longitude", Value::Double(location.1)),
                ("time_zone", Value::str(location.2)),
            ]),
        ),
    ];
    if let Some(code) = postal {
        pairs.push((
            "postal".to_owned(),
            Value::map([("code", Value::str(code))]),
        ));
    }
    if let Some((iso, name)) = subdivision {
        pairs.push((
            "subdivisions".to_owned(),
            Value::Array(vec![Value::map([
                ("iso_code", Value::str(iso)),
                ("names", names(name)),
            ])]),
        ));
    }
    Value::Map(pairs)
}
