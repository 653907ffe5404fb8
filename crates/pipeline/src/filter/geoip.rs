//! `geoip`: where an IP address is, from a MaxMind database (logstash-filter-geoip, as Logstash 8
//! runs it), read with the `maxminddb` crate.
//!
//! The database is the file `database` names: GeoIP2/GeoLite2 City, Country, ASN, ISP, Domain
//! or Anonymous-IP (its type is read from the file's metadata, as Logstash does). The address is
//! the `source` field (the first element of an array); the record's fields go under `target`
//! with ECS names (`[geo][city_name]`, `[geo][location]` as `{lat, lon}`, `[as][number]`, ...)
//! or, with `ecs_compatibility => disabled`, the legacy ones (`city_name`, `country_code2`,
//! `location`, `latitude`, `asn`, ...) under `[geoip]`. `fields` picks some of them (by
//! Logstash's names: `city_name`, `country_code2`, `autonomous_system_number`, ...). In ECS
//! mode the target defaults to the parent of an `[...][ip]` source (`[client][ip]` →
//! `[client]`) and must be given otherwise, as Logstash 8 requires.
//!
//! An address that is missing from the database, or not an address, tags the event with
//! `tag_on_failure` (default `_geoip_lookup_failure`); the target is still created (empty) when
//! the field was there, as Logstash does. Hostnames are not resolved (Logstash would ask DNS).
//!
//! **Without `database`** Logstash uses the GeoLite2 database it downloads or bundles, which
//! sluice-agent cannot ship. It looks for `GeoLite2-City.mmdb` (or `GeoLite2-ASN.mmdb` with
//! `default_database_type => "ASN"`) where MaxMind's `geoipupdate` puts it
//! ([`DEFAULT_DIRS`]); when there is none the pipeline still starts (`-t` passes) with a
//! warning naming what is missing, and every event is tagged `_geoip_expired_database`, the
//! tag Logstash uses when it has no database it may use.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use log_model::{FieldRef, LogEvent};
use maxminddb::{Reader, geoip2};
use serde_json::{Map, Value as Json, json};

use super::{Common, Filter, FilterOutcome, field_ref, tag_list};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings};

/// Where a GeoLite2 database is looked for when `database` is not given: the directories
/// `geoipupdate` writes to (Debian's package, its own default, and `/usr/share/GeoIP`).
pub(super) const DEFAULT_DIRS: &[&str] = &[
    "/var/lib/GeoIP",
    "/usr/local/share/GeoIP",
    "/usr/share/GeoIP",
];

/// The tag Logstash puts on every event when it has no usable database.
const NO_DATABASE_TAG: &str = "_geoip_expired_database";

/// The ECS field sets Logstash expects `geo` under (it warns for other targets).
const ECS_TARGETS: &[&str] = &[
    "client",
    "destination",
    "host",
    "observer",
    "server",
    "source",
];

pub(super) fn schema() -> Schema {
    use OptType as T;
    Schema::new(
        PluginKind::Filter,
        "geoip",
        vec![
            OptSpec::new("source", T::String).required(),
            OptSpec::new("target", T::String),
            OptSpec::new("database", T::Path),
            OptSpec::new("default_database_type", T::OneOf(&["City", "ASN"]))
                .default(Default::Str("City")),
            OptSpec::new("fields", T::Array),
            // A lookup cache size: lookups here are a walk of the mapped tree, so there is no
            // cache to size; accepted for compatibility.
            OptSpec::new("cache_size", T::Number).default(Default::Int(1000)),
            OptSpec::new("tag_on_failure", T::Array)
                .default(Default::List(&["_geoip_lookup_failure"])),
            OptSpec::new("ecs_compatibility", T::OneOf(&["disabled", "v1", "v8"])),
        ],
    )
}

/// One output field of Logstash's geoip filter: its name in `fields`, its ECS path under the
/// target (empty: not written in ECS mode) and its legacy name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    AutonomousSystemNumber,
    AutonomousSystemOrganization,
    CityName,
    CountryName,
    ContinentCode,
    ContinentName,
    CountryCode2,
    CountryCode3,
    Domain,
    Ip,
    Isp,
    PostalCode,
    DmaCode,
    RegionName,
    RegionCode,
    RegionIsoCode,
    Timezone,
    Location,
    Latitude,
    Longitude,
    Organization,
    Network,
    HostingProvider,
    TorExitNode,
    AnonymousVpn,
    Anonymous,
    PublicProxy,
    ResidentialProxy,
}

/// Every field, in Logstash's order: (field, name in `fields`, ECS path, legacy name).
const FIELDS: &[(Field, &str, &str, &str)] = &[
    (
        Field::AutonomousSystemNumber,
        "autonomous_system_number",
        "as.number",
        "asn",
    ),
    (
        Field::AutonomousSystemOrganization,
        "autonomous_system_organization",
        "as.organization.name",
        "as_org",
    ),
    (Field::CityName, "city_name", "geo.city_name", "city_name"),
    (
        Field::CountryName,
        "country_name",
        "geo.country_name",
        "country_name",
    ),
    (
        Field::ContinentCode,
        "continent_code",
        "geo.continent_code",
        "continent_code",
    ),
    (
        Field::ContinentName,
        "continent_name",
        "geo.continent_name",
        "continent_name",
    ),
    (
        Field::CountryCode2,
        "country_code2",
        "geo.country_iso_code",
        "country_code2",
    ),
    (Field::CountryCode3, "country_code3", "", "country_code3"),
    (Field::Domain, "domain", "domain", "domain"),
    (Field::Ip, "ip", "ip", "ip"),
    (Field::Isp, "isp", "mmdb.isp", "isp"),
    (
        Field::PostalCode,
        "postal_code",
        "geo.postal_code",
        "postal_code",
    ),
    (Field::DmaCode, "dma_code", "mmdb.dma_code", "dma_code"),
    (
        Field::RegionName,
        "region_name",
        "geo.region_name",
        "region_name",
    ),
    (
        Field::RegionCode,
        "region_code",
        "geo.region_code",
        "region_code",
    ),
    (
        Field::RegionIsoCode,
        "region_iso_code",
        "geo.region_iso_code",
        "region_iso_code",
    ),
    (Field::Timezone, "timezone", "geo.timezone", "timezone"),
    (Field::Location, "location", "geo.location", "location"),
    (Field::Latitude, "latitude", "geo.location.lat", "latitude"),
    (
        Field::Longitude,
        "longitude",
        "geo.location.lon",
        "longitude",
    ),
    (
        Field::Organization,
        "organization",
        "mmdb.organization",
        "organization",
    ),
    (Field::Network, "network", "ip_traits.network", "network"),
    (
        Field::HostingProvider,
        "hosting_provider",
        "ip_traits.hosting_provider",
        "hosting_provider",
    ),
    (
        Field::TorExitNode,
        "tor_exit_node",
        "ip_traits.tor_exit_node",
        "tor_exit_node",
    ),
    (
        Field::AnonymousVpn,
        "anonymous_vpn",
        "ip_traits.anonymous_vpn",
        "anonymous_vpn",
    ),
    (
        Field::Anonymous,
        "anonymous",
        "ip_traits.anonymous",
        "anonymous",
    ),
    (
        Field::PublicProxy,
        "public_proxy",
        "ip_traits.public_proxy",
        "public_proxy",
    ),
    (
        Field::ResidentialProxy,
        "residential_proxy",
        "ip_traits.residential_proxy",
        "residential_proxy",
    ),
];

fn row(f: Field) -> &'static (Field, &'static str, &'static str, &'static str) {
    FIELDS.iter().find(|r| r.0 == f).unwrap_or(&FIELDS[0])
}

/// The kinds of database, from the metadata's `database_type` as Logstash reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    City,
    Country,
    Domain,
    Asn,
    Isp,
    AnonymousIp,
}

impl Kind {
    fn from_type(t: &str) -> Option<Kind> {
        [
            ("City", Kind::City),
            ("Country", Kind::Country),
            ("GeoIP2-Domain", Kind::Domain),
            ("GeoLite2-ASN", Kind::Asn),
            ("GeoIP2-ISP", Kind::Isp),
            ("GeoIP2-Anonymous-IP", Kind::AnonymousIp),
        ]
        .into_iter()
        .find(|(needle, _)| t.contains(needle))
        .map(|(_, k)| k)
    }

    fn default_fields(self, ecs: bool) -> Vec<Field> {
        use Field as F;
        match self {
            Kind::City => vec![
                F::Ip,
                F::CityName,
                F::ContinentCode,
                F::CountryName,
                F::CountryCode2,
                F::CountryCode3,
                F::PostalCode,
                F::DmaCode,
                F::RegionName,
                if ecs { F::RegionIsoCode } else { F::RegionCode },
                F::Timezone,
                F::Location,
                F::Latitude,
                F::Longitude,
            ],
            Kind::Country => vec![F::Ip, F::CountryCode2, F::CountryName, F::ContinentName],
            Kind::Domain => vec![F::Domain],
            Kind::Asn => vec![
                F::Ip,
                F::AutonomousSystemNumber,
                F::AutonomousSystemOrganization,
            ],
            Kind::Isp => vec![
                F::Ip,
                F::AutonomousSystemNumber,
                F::AutonomousSystemOrganization,
                F::Isp,
                F::Organization,
            ],
            Kind::AnonymousIp => vec![
                F::HostingProvider,
                F::TorExitNode,
                F::AnonymousVpn,
                F::Anonymous,
                F::PublicProxy,
                F::ResidentialProxy,
            ],
        }
    }
}

/// The database file for `default_database_type` in the first of `dirs` that has one.
#[must_use]
pub(super) fn find_default_database(dirs: &[&Path], database_type: &str) -> Option<PathBuf> {
    let name = format!("GeoLite2-{database_type}.mmdb");
    dirs.iter().map(|d| d.join(&name)).find(|p| p.is_file())
}

pub(super) fn build(settings: &Settings, common: Common) -> Result<Box<dyn Filter>> {
    let dirs: Vec<&Path> = DEFAULT_DIRS.iter().map(Path::new).collect();
    build_in(settings, common, &dirs)
}

/// [`build`], looking for a default database in `dirs`.
pub(super) fn build_in(
    settings: &Settings,
    common: Common,
    dirs: &[&Path],
) -> Result<Box<dyn Filter>> {
    let ecs = settings.string("ecs_compatibility") != Some("disabled");
    let source_text = settings.string("source").unwrap_or_default();
    let source = field_ref(source_text)
        .ok_or_else(|| settings.invalid("source", "source must name a field"))?;
    let target_text = match settings.string("target") {
        Some(t) => t.to_owned(),
        None if !ecs => "geoip".to_owned(),
        None => match source_text.strip_suffix("[ip]") {
            Some(parent) if !parent.is_empty() => parent.to_owned(),
            _ => {
                return Err(settings.invalid(
                    "source",
                    "GeoIP Filter in ECS-Compatiblity mode requires a `target` when `source` is not an `ip` sub-field, eg. [client][ip]",
                ));
            }
        },
    };
    let target = field_ref(&target_text)
        .ok_or_else(|| settings.invalid("target", "target must name a field"))?;
    if ecs
        && !(target.segments().len() == 1 && ECS_TARGETS.contains(&target.segments()[0].as_str()))
    {
        tracing::warn!(target = %target, "geoip: ECS expects the target to be one of {ECS_TARGETS:?}");
    }
    let requested = settings
        .strings("fields")
        .iter()
        .map(|name| {
            FIELDS
                .iter()
                .find(|r| r.1.eq_ignore_ascii_case(name))
                .map(|r| r.0)
                .ok_or_else(|| {
                    let valid: Vec<&str> = FIELDS.iter().map(|r| r.1).collect();
                    settings.invalid(
                        "fields",
                        &format!("illegal field value {name}. valid values are {valid:?}"),
                    )
                })
        })
        .collect::<Result<Vec<_>>>()?;
    let tag_on_failure = tag_list(settings, "tag_on_failure");
    let database = match settings.string("database") {
        Some(path) => Some(open(settings, Path::new(path))?),
        None => {
            let ty = settings.string("default_database_type").unwrap_or("City");
            match find_default_database(dirs, ty) {
                Some(path) => {
                    tracing::info!(path = %path.display(), "geoip: using the GeoLite2 database found there");
                    Some(open(settings, &path)?)
                }
                None => {
                    tracing::warn!(
                        filter = common.id(),
                        "geoip: no `database` given and no GeoLite2-{ty}.mmdb in {dirs:?} \
                         (sluice-agent does not bundle MaxMind's database); every event will be \
                         tagged {NO_DATABASE_TAG}"
                    );
                    None
                }
            }
        }
    };
    let database = match database {
        Some((reader, kind)) => {
            let mut fields = if requested.is_empty() {
                kind.default_fields(ecs)
            } else {
                requested
            };
            fields.sort_unstable();
            fields.dedup();
            let outputs = fields
                .iter()
                .filter_map(|f| {
                    let r = row(*f);
                    let sub = if ecs { r.2 } else { r.3 };
                    if sub.is_empty() {
                        return None;
                    }
                    let mut segs = target.segments().to_vec();
                    segs.extend(sub.split('.').map(str::to_owned));
                    let path =
                        FieldRef::parse(&segs.iter().map(|s| format!("[{s}]")).collect::<String>())
                            .ok()?;
                    Some((*f, path))
                })
                .collect();
            Some(Database {
                reader,
                kind,
                outputs,
            })
        }
        None => None,
    };
    Ok(Box::new(GeoIp {
        common,
        source,
        target,
        database,
        tag_on_failure,
    }))
}

fn open(settings: &Settings, path: &Path) -> Result<(Reader<Vec<u8>>, Kind)> {
    let reader = Reader::open_readfile(path).map_err(|e| {
        let what = if path.exists() {
            "The database provided is invalid or corrupted"
        } else {
            "The database provided was not found in the path"
        };
        settings.invalid("database", &format!("{what}: {} ({e})", path.display()))
    })?;
    let ty = reader.metadata().database_type.clone();
    let kind = Kind::from_type(&ty).ok_or_else(|| {
        settings.invalid(
            "database",
            &format!(
                "{}: database type {ty:?} is not supported (City, Country, ASN, ISP, Domain, Anonymous-IP)",
                path.display()
            ),
        )
    })?;
    Ok((reader, kind))
}

struct Database {
    reader: Reader<Vec<u8>>,
    kind: Kind,
    /// The fields to write and where.
    outputs: Vec<(Field, FieldRef)>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("kind", &self.kind)
            .field("type", &self.reader.metadata().database_type)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct GeoIp {
    common: Common,
    source: FieldRef,
    target: FieldRef,
    database: Option<Database>,
    tag_on_failure: Vec<String>,
}

/// The values a record gives, by field.
type GeoData = Vec<(Field, Json)>;

impl Database {
    fn lookup(&self, ip: IpAddr) -> GeoData {
        let Ok(found) = self.reader.lookup(ip) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let wanted = |f: Field| self.outputs.iter().any(|(o, _)| *o == f);
        let mut put = |f: Field, v: Option<Json>| {
            if let Some(v) = v
                && wanted(f)
            {
                out.push((f, v));
            }
        };
        let s = |v: Option<&str>| v.map(|s| Json::String(s.to_owned()));
        match self.kind {
            Kind::City => {
                let Ok(Some(r)) = found.decode::<geoip2::City<'_>>() else {
                    return Vec::new();
                };
                let (lat, lon) = (r.location.latitude, r.location.longitude);
                if lat.is_none() && lon.is_none() {
                    return Vec::new();
                }
                let sub = r.subdivisions.last();
                put(Field::Ip, Some(Json::String(ip.to_string())));
                put(Field::CityName, s(r.city.names.english));
                put(Field::CountryName, s(r.country.names.english));
                put(Field::ContinentCode, s(r.continent.code));
                put(Field::ContinentName, s(r.continent.names.english));
                put(Field::CountryCode2, s(r.country.iso_code));
                put(Field::CountryCode3, s(r.country.iso_code));
                put(Field::PostalCode, s(r.postal.code));
                put(Field::DmaCode, r.location.metro_code.map(Json::from));
                put(Field::RegionName, sub.and_then(|d| s(d.names.english)));
                put(Field::RegionCode, sub.and_then(|d| s(d.iso_code)));
                put(
                    Field::RegionIsoCode,
                    r.country
                        .iso_code
                        .zip(sub.and_then(|d| d.iso_code))
                        .map(|(c, d)| Json::String(format!("{c}-{d}"))),
                );
                put(Field::Timezone, s(r.location.time_zone));
                put(
                    Field::Location,
                    lat.zip(lon)
                        .map(|(lat, lon)| json!({"lat": lat, "lon": lon})),
                );
                put(Field::Latitude, lat.map(Json::from));
                put(Field::Longitude, lon.map(Json::from));
            }
            Kind::Country => {
                let Ok(Some(r)) = found.decode::<geoip2::Country<'_>>() else {
                    return Vec::new();
                };
                put(Field::Ip, Some(Json::String(ip.to_string())));
                put(Field::CountryCode2, s(r.country.iso_code));
                put(Field::CountryName, s(r.country.names.english));
                put(Field::ContinentName, s(r.continent.names.english));
            }
            Kind::Asn => {
                let Ok(Some(r)) = found.decode::<geoip2::Asn<'_>>() else {
                    return Vec::new();
                };
                put(Field::Ip, Some(Json::String(ip.to_string())));
                put(
                    Field::AutonomousSystemNumber,
                    r.autonomous_system_number.map(Json::from),
                );
                put(
                    Field::AutonomousSystemOrganization,
                    s(r.autonomous_system_organization),
                );
                put(
                    Field::Network,
                    found.network().ok().map(|n| Json::String(n.to_string())),
                );
            }
            Kind::Isp => {
                let Ok(Some(r)) = found.decode::<geoip2::Isp<'_>>() else {
                    return Vec::new();
                };
                put(Field::Ip, Some(Json::String(ip.to_string())));
                put(
                    Field::AutonomousSystemNumber,
                    r.autonomous_system_number.map(Json::from),
                );
                put(
                    Field::AutonomousSystemOrganization,
                    s(r.autonomous_system_organization),
                );
                put(Field::Isp, s(r.isp));
                put(Field::Organization, s(r.organization));
            }
            Kind::Domain => {
                let Ok(Some(r)) = found.decode::<geoip2::Domain<'_>>() else {
                    return Vec::new();
                };
                put(Field::Domain, s(r.domain));
            }
            Kind::AnonymousIp => {
                let Ok(Some(r)) = found.decode::<geoip2::AnonymousIp>() else {
                    return Vec::new();
                };
                put(Field::Ip, Some(Json::String(ip.to_string())));
                let b = |v: Option<bool>| Some(Json::Bool(v.unwrap_or(false)));
                put(Field::HostingProvider, b(r.is_hosting_provider));
                put(Field::TorExitNode, b(r.is_tor_exit_node));
                put(Field::AnonymousVpn, b(r.is_anonymous_vpn));
                put(Field::Anonymous, b(r.is_anonymous));
                put(Field::PublicProxy, b(r.is_public_proxy));
                put(Field::ResidentialProxy, b(r.is_residential_proxy));
            }
        }
        out
    }
}

impl GeoIp {
    /// Logstash's `handleEvent`: `None` when the source field is missing or blank (no target
    /// is made), else what the lookup found (possibly nothing).
    fn lookup(&self, db: &Database, event: &LogEvent) -> Option<GeoData> {
        let text = match event.get(&self.source)? {
            Json::String(s) => s.clone(),
            Json::Array(items) => match items.first() {
                Some(Json::String(s)) => s.clone(),
                _ => return None,
            },
            _ => return None,
        };
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match text.parse::<IpAddr>() {
            Ok(ip) => Some(db.lookup(ip)),
            Err(_) => {
                tracing::debug!(source = %self.source, value = text, "geoip: not an IP address");
                Some(Vec::new())
            }
        }
    }
}

impl Filter for GeoIp {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        let Some(db) = &self.database else {
            self.common.failed(event, &[NO_DATABASE_TAG.to_owned()]);
            return FilterOutcome::Keep;
        };
        let Some(data) = self.lookup(db, event) else {
            self.common.failed(event, &self.tag_on_failure);
            return FilterOutcome::Keep;
        };
        if event.get(&self.target).is_none() {
            event.insert(&self.target, Json::Object(Map::new()));
        }
        if data.is_empty() {
            self.common.failed(event, &self.tag_on_failure);
            return FilterOutcome::Keep;
        }
        for (field, value) in data {
            if let Some((_, path)) = db.outputs.iter().find(|(f, _)| *f == field) {
                event.insert(path, value);
            }
        }
        self.common.matched(event);
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "geoip"
    }

    fn failures(&self) -> u64 {
        self.common.failures()
    }
}
