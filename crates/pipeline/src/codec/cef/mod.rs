//! The `cef` codec (decode only): ArcSight's Common Event Format, as logstash-codec-cef reads it.
//!
//! ```text
//! <optional syslog header>CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension
//! ```
//!
//! - Header fields are split at unescaped `|` (`\|` and `\\` are escapes); the extension is
//!   `key=value` pairs separated by spaces, a value running to the next ` key=` (so values may
//!   hold spaces), with `\=`, `\\`, `\n` and `\r` unescaped and trailing spaces trimmed.
//! - Text before `CEF:` is the syslog header: `[log][syslog][header]` (ECS) or `syslog` (legacy).
//! - `ecs_compatibility => v1`/`v8` (Logstash 8's default): the header goes to
//!   `[cef][version]`, `[observer][vendor|product|version]` (`[host][...]` with `device => host`),
//!   `[event][code]`, `[cef][name]`, `[event][severity]`; extensions, by abbreviation or full name,
//!   to the ECS fields of the codec's mapping table (`src` → `[source][ip]`, `cs1` and `cs1Label`
//!   → `[cef][device_custom_string_1][value|label]`, ...); keys it does not know go under
//!   `[cef][extensions][key]`. Timestamps (`rt`, `start`, `end`, `art`, ...) written as epoch
//!   milliseconds or `MMM dd [yyyy] HH:mm:ss[.SSS] [zone]` become ISO 8601 instants (zone: the
//!   value's own, else `dtz`, else `default_timezone`, else UTC; no year: the current one), `rt`
//!   becoming `@timestamp`.
//! - `ecs_compatibility => disabled`: header fields `cefVersion`, `deviceVendor`,
//!   `deviceProduct`, `deviceVersion`, `deviceEventClassId`, `name`, `severity`; extension
//!   abbreviations expanded to their full CEF names (`src` → `sourceAddress`), other keys kept.
//! - Not CEF (no `CEF:`, fewer than seven header fields): the payload becomes `message`, tagged
//!   `_cefparsefailure`. `raw_data_field` keeps the whole payload in that field.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone as _};
use log_model::{FieldRef, LogEvent, Timestamp, zone::Zone};
use serde_json::Value;

use crate::config::PluginKind;
use crate::config::validate::{Default as D, OptSpec, OptType as T, Schema, Settings};

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Codec,
        "cef",
        vec![
            OptSpec::new("ecs_compatibility", T::OneOf(&["disabled", "v1", "v8"]))
                .default(D::Str("v8")),
            OptSpec::new("delimiter", T::String),
            OptSpec::new("device", T::OneOf(&["observer", "host"])).default(D::Str("observer")),
            OptSpec::new("raw_data_field", T::String),
            OptSpec::new("default_timezone", T::String),
            OptSpec::new("locale", T::String),
            // Encoding options (accepted; sluice-agent only decodes CEF).
            OptSpec::new("fields", T::Array),
            OptSpec::new("vendor", T::String).default(D::Str("Elasticsearch")),
            OptSpec::new("product", T::String).default(D::Str("Logstash")),
            OptSpec::new("version", T::String).default(D::Str("1.0")),
            OptSpec::new("signature", T::String).default(D::Str("Logstash")),
            OptSpec::new("name", T::String).default(D::Str("Logstash")),
            OptSpec::new("severity", T::String).default(D::Str("6")),
            OptSpec::new("reverse_mapping", T::Boolean).default(D::Bool(false)),
        ],
    )
}

/// A configured `cef` decoder.
#[derive(Debug, Clone, PartialEq)]
pub struct Cef {
    ecs: bool,
    host_device: bool,
    raw_data_field: Option<FieldRef>,
    default_zone: Option<Zone>,
}

impl Default for Cef {
    fn default() -> Self {
        Cef {
            ecs: true,
            host_device: false,
            raw_data_field: None,
            default_zone: None,
        }
    }
}

impl Cef {
    /// From the codec's validated settings.
    ///
    /// # Errors
    /// An invalid `raw_data_field` or `default_timezone`, or a `locale` other than English.
    pub(crate) fn new(s: &Settings) -> crate::Result<Self> {
        let raw_data_field = match s.string("raw_data_field") {
            None => None,
            Some(f) => Some(
                crate::filter::field_ref(f)
                    .ok_or_else(|| s.invalid("raw_data_field", &format!("invalid field {f}")))?,
            ),
        };
        let default_zone =
            match s.string("default_timezone") {
                None => None,
                Some(z) => Some(Zone::parse(z).ok_or_else(|| {
                    s.invalid("default_timezone", &format!("unknown time zone {z}"))
                })?),
            };
        if let Some(l) = s.string("locale")
            && !l.to_ascii_lowercase().starts_with("en")
        {
            return Err(s.invalid(
                "locale",
                &format!("only English month names are supported, got locale {l}"),
            ));
        }
        Ok(Cef {
            ecs: s.string("ecs_compatibility") != Some("disabled"),
            host_device: s.string("device") == Some("host"),
            raw_data_field,
            default_zone,
        })
    }

    /// One payload (a datagram or a line) to an event; `true` when it was not CEF.
    #[must_use]
    pub fn decode(&self, text: &str) -> (LogEvent, bool) {
        let mut ev = LogEvent::new();
        let text = text.trim_end_matches(['\r', '\n']);
        if let Some(f) = &self.raw_data_field {
            ev.insert(f, Value::String(text.to_owned()));
        }
        let Some(parsed) = parse(text) else {
            ev.insert_field("message", Value::String(text.to_owned()));
            ev.add_tag("_cefparsefailure");
            return (ev, true);
        };
        if self.ecs {
            self.to_ecs(&parsed, &mut ev);
        } else {
            to_legacy(&parsed, &mut ev);
        }
        (ev, false)
    }

    fn to_ecs(&self, p: &Parsed, ev: &mut LogEvent) {
        let device = if self.host_device { "host" } else { "observer" };
        let mut set = |path: &str, v: &str| {
            let path = path.replace("[observer]", &format!("[{device}]"));
            if let Ok(f) = FieldRef::parse(&path) {
                ev.insert(&f, Value::String(v.to_owned()));
            }
        };
        if let Some(h) = &p.syslog {
            set("[log][syslog][header]", h);
        }
        let header = [
            "[cef][version]",
            "[observer][vendor]",
            "[observer][product]",
            "[observer][version]",
            "[event][code]",
            "[cef][name]",
            "[event][severity]",
        ];
        for (path, v) in header.iter().zip(&p.header) {
            set(path, v);
        }
        let zone = p
            .extensions
            .iter()
            .find(|(k, _)| k == "dtz" || k == "deviceTimeZone")
            .and_then(|(_, v)| Zone::parse(v))
            .or(self.default_zone);
        for (key, value) in &p.extensions {
            let Some(m) = lookup(key) else {
                set(&format!("[cef][extensions][{key}]"), value);
                continue;
            };
            let value = if TIMESTAMPS.contains(&m.full) {
                parse_time(value, zone).unwrap_or_else(|| value.clone())
            } else {
                value.clone()
            };
            set(m.ecs, &value);
        }
    }
}

fn to_legacy(p: &Parsed, ev: &mut LogEvent) {
    if let Some(h) = &p.syslog {
        ev.insert_field("syslog", Value::String(h.clone()));
    }
    let header = [
        "cefVersion",
        "deviceVendor",
        "deviceProduct",
        "deviceVersion",
        "deviceEventClassId",
        "name",
        "severity",
    ];
    for (name, v) in header.iter().zip(&p.header) {
        ev.insert_field(*name, Value::String(v.clone()));
    }
    for (key, value) in &p.extensions {
        let name = lookup(key).map_or(key.as_str(), |m| m.full);
        ev.insert_field(name.to_owned(), Value::String(value.clone()));
    }
}

/// A payload split into its parts.
#[derive(Debug, PartialEq)]
struct Parsed {
    syslog: Option<String>,
    header: Vec<String>,
    extensions: Vec<(String, String)>,
}

fn parse(text: &str) -> Option<Parsed> {
    let start = text.find("CEF:")?;
    let syslog = text[..start].trim_end();
    let body = &text[start + 4..];
    let mut header = Vec::with_capacity(7);
    let mut field = String::new();
    let mut chars = body.char_indices();
    let mut rest = None;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e @ ('|' | '\\'))) => field.push(e),
                Some((_, other)) => {
                    field.push('\\');
                    field.push(other);
                }
                None => field.push('\\'),
            },
            '|' => {
                header.push(std::mem::take(&mut field));
                if header.len() == 7 {
                    rest = Some(&body[i + 1..]);
                    break;
                }
            }
            c => field.push(c),
        }
    }
    if header.len() < 7 {
        // Seven fields and no extension (`...|Severity` at the end) is still CEF.
        if header.len() == 6 {
            header.push(field);
            rest = Some("");
        } else {
            return None;
        }
    }
    Some(Parsed {
        syslog: (!syslog.is_empty()).then(|| syslog.to_owned()),
        header,
        extensions: extensions(rest.unwrap_or("")),
    })
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'[' | b']')
}

/// Where keys start: `(key start, '=' position)` for each unescaped `key=` that begins the text
/// or follows a space.
fn key_starts(ext: &str) -> Vec<(usize, usize)> {
    let b = ext.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let at_boundary = i == 0 || b[i - 1] == b' ';
        if at_boundary && is_key_byte(b[i]) {
            let mut j = i;
            while j < b.len() && is_key_byte(b[j]) {
                j += 1;
            }
            if j < b.len() && b[j] == b'=' {
                out.push((i, j));
                i = j + 1;
                continue;
            }
        }
        if b[i] == b'\\' {
            i += 1;
        }
        i += 1;
    }
    out
}

fn extensions(ext: &str) -> Vec<(String, String)> {
    let starts = key_starts(ext);
    let mut out = Vec::with_capacity(starts.len());
    for (n, (k, eq)) in starts.iter().enumerate() {
        let end = starts.get(n + 1).map_or(ext.len(), |(next, _)| *next);
        let raw = ext[eq + 1..end].trim_end_matches(' ');
        out.push((ext[*k..*eq].to_owned(), unescape_value(raw)));
    }
    out
}

fn unescape_value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('=') => out.push('='),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out.trim_end().to_owned()
}

// ---- timestamps -------------------------------------------------------------------------------

/// Extension fields holding timestamps (full names).
const TIMESTAMPS: &[&str] = &[
    "deviceReceiptTime",
    "startTime",
    "endTime",
    "agentReceiptTime",
    "deviceCustomDate1",
    "deviceCustomDate2",
    "fileCreateTime",
    "fileModificationTime",
    "oldFileCreateTime",
    "oldFileModificationTime",
    "flexDate1",
    "managerReceiptTime",
];

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Epoch milliseconds, or `MMM dd [yyyy] HH:mm:ss[.SSS] [zone]`, as `@timestamp` is written.
fn parse_time(v: &str, zone: Option<Zone>) -> Option<String> {
    let v = v.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        let ms: i64 = v.parse().ok()?;
        return Some(Timestamp::from_epoch_millis(ms).ok()?.to_es_string());
    }
    let words: Vec<&str> = v.split_whitespace().collect();
    let month = MONTHS.iter().position(|m| {
        words
            .first()
            .and_then(|w| w.get(..3))
            .is_some_and(|w| w.eq_ignore_ascii_case(m))
    })?;
    let day: u32 = words.get(1)?.parse().ok()?;
    let (year, time_at) = match words.get(2)?.parse::<i32>() {
        Ok(y) if words.get(2)?.len() == 4 => (Some(y), 3),
        _ => (None, 2),
    };
    let time = words.get(time_at)?;
    let own_zone = words.get(time_at + 1).and_then(|z| Zone::parse(z));
    let zone = own_zone.or(zone);
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut parts = hms.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    let millis: u32 = format!("{frac:0<3}")[..3].parse().ok()?;
    let year = year.unwrap_or_else(|| chrono::Utc::now().year());
    let naive: NaiveDateTime = NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()? + 1, day)?
        .and_hms_milli_opt(h, m, s, millis)?;
    let utc = match zone {
        Some(z) => z.from_local(&naive)?,
        None => chrono::Utc.from_utc_datetime(&naive),
    };
    Some(Timestamp::from_datetime(utc).to_es_string())
}

// ---- the mapping table -------------------------------------------------------------------------

/// One extension key: its abbreviation, full CEF name and ECS field.
struct Mapping {
    short: &'static str,
    full: &'static str,
    ecs: &'static str,
}

fn lookup(key: &str) -> Option<&'static Mapping> {
    MAPPINGS
        .iter()
        .find(|m| m.short == key || m.full == key)
        .or_else(|| CUSTOM.iter().find(|m| m.short == key || m.full == key))
}

macro_rules! m {
    ($short:literal, $full:literal, $ecs:literal) => {
        Mapping {
            short: $short,
            full: $full,
            ecs: $ecs,
        }
    };
}

/// ArcSight's dictionary (abbreviation, full name) with the ECS fields logstash-codec-cef maps
/// them to.
#[rustfmt::skip]
static MAPPINGS: &[Mapping] = &[
    m!("act", "deviceAction", "[event][action]"),
    m!("app", "applicationProtocol", "[network][protocol]"),
    m!("cat", "deviceEventCategory", "[cef][category]"),
    m!("cnt", "baseEventCount", "[cef][base_event_count]"),
    m!("dhost", "destinationHostName", "[destination][domain]"),
    m!("dmac", "destinationMacAddress", "[destination][mac]"),
    m!("dntdom", "destinationNtDomain", "[destination][registered_domain]"),
    m!("dpid", "destinationProcessId", "[destination][process][pid]"),
    m!("dpriv", "destinationUserPrivileges", "[destination][user][group][name]"),
    m!("dproc", "destinationProcessName", "[destination][process][name]"),
    m!("dpt", "destinationPort", "[destination][port]"),
    m!("dst", "destinationAddress", "[destination][ip]"),
    m!("dtz", "deviceTimeZone", "[event][timezone]"),
    m!("duid", "destinationUserId", "[destination][user][id]"),
    m!("duser", "destinationUserName", "[destination][user][name]"),
    m!("dvc", "deviceAddress", "[observer][ip]"),
    m!("dvchost", "deviceHostName", "[observer][hostname]"),
    m!("dvcmac", "deviceMacAddress", "[observer][mac]"),
    m!("dvcpid", "deviceProcessId", "[process][pid]"),
    m!("end", "endTime", "[event][end]"),
    m!("externalId", "externalId", "[cef][external_id]"),
    m!("fname", "fileName", "[file][name]"),
    m!("fsize", "fileSize", "[file][size]"),
    m!("in", "bytesIn", "[source][bytes]"),
    m!("msg", "message", "[message]"),
    m!("out", "bytesOut", "[destination][bytes]"),
    m!("outcome", "eventOutcome", "[event][outcome]"),
    m!("proto", "transportProtocol", "[network][transport]"),
    m!("request", "requestUrl", "[url][original]"),
    m!("rt", "deviceReceiptTime", "[@timestamp]"),
    m!("shost", "sourceHostName", "[source][domain]"),
    m!("smac", "sourceMacAddress", "[source][mac]"),
    m!("sntdom", "sourceNtDomain", "[source][registered_domain]"),
    m!("spid", "sourceProcessId", "[source][process][pid]"),
    m!("spriv", "sourceUserPrivileges", "[source][user][group][name]"),
    m!("sproc", "sourceProcessName", "[source][process][name]"),
    m!("spt", "sourcePort", "[source][port]"),
    m!("src", "sourceAddress", "[source][ip]"),
    m!("start", "startTime", "[event][start]"),
    m!("suid", "sourceUserId", "[source][user][id]"),
    m!("suser", "sourceUserName", "[source][user][name]"),
    m!("agt", "agentAddress", "[agent][ip]"),
    m!("ahost", "agentHostName", "[agent][name]"),
    m!("aid", "agentId", "[agent][id]"),
    m!("amac", "agentMacAddress", "[agent][mac]"),
    m!("art", "agentReceiptTime", "[event][created]"),
    m!("at", "agentType", "[agent][type]"),
    m!("atz", "agentTimeZone", "[cef][agent][timezone]"),
    m!("av", "agentVersion", "[agent][version]"),
    m!("catdt", "categoryDeviceType", "[cef][device_type]"),
    m!("dlat", "destinationGeoLatitude", "[destination][geo][location][lat]"),
    m!("dlong", "destinationGeoLongitude", "[destination][geo][location][lon]"),
    m!("slat", "sourceGeoLatitude", "[source][geo][location][lat]"),
    m!("slong", "sourceGeoLongitude", "[source][geo][location][lon]"),
    m!("deviceDirection", "deviceDirection", "[network][direction]"),
    m!("deviceExternalId", "deviceExternalId", "[observer][name]"),
    m!("deviceFacility", "deviceFacility", "[log][syslog][facility][name]"),
    m!("deviceInboundInterface", "deviceInboundInterface", "[observer][ingress][interface][name]"),
    m!("deviceOutboundInterface", "deviceOutboundInterface", "[observer][egress][interface][name]"),
    m!("deviceProcessName", "deviceProcessName", "[process][name]"),
    m!("deviceTranslatedAddress", "deviceTranslatedAddress", "[host][nat][ip]"),
    m!("destinationServiceName", "destinationServiceName", "[destination][service][name]"),
    m!("destinationTranslatedAddress", "destinationTranslatedAddress", "[destination][nat][ip]"),
    m!("destinationTranslatedPort", "destinationTranslatedPort", "[destination][nat][port]"),
    m!("sourceServiceName", "sourceServiceName", "[source][service][name]"),
    m!("sourceTranslatedAddress", "sourceTranslatedAddress", "[source][nat][ip]"),
    m!("sourceTranslatedPort", "sourceTranslatedPort", "[source][nat][port]"),
    m!("fileHash", "fileHash", "[file][hash]"),
    m!("fileId", "fileId", "[file][inode]"),
    m!("filePath", "filePath", "[file][path]"),
    m!("filePermission", "filePermission", "[file][group]"),
    m!("fileType", "fileType", "[file][extension]"),
    m!("fileCreateTime", "fileCreateTime", "[file][created]"),
    m!("fileModificationTime", "fileModificationTime", "[file][mtime]"),
    m!("oldFileCreateTime", "oldFileCreateTime", "[cef][old_file][created]"),
    m!("oldFileHash", "oldFileHash", "[cef][old_file][hash]"),
    m!("oldFileId", "oldFileId", "[cef][old_file][inode]"),
    m!("oldFileModificationTime", "oldFileModificationTime", "[cef][old_file][mtime]"),
    m!("oldFileName", "oldFileName", "[cef][old_file][name]"),
    m!("oldFilePath", "oldFilePath", "[cef][old_file][path]"),
    m!("oldFileSize", "oldFileSize", "[cef][old_file][size]"),
    m!("oldFileType", "oldFileType", "[cef][old_file][extension]"),
    m!("reason", "reason", "[event][reason]"),
    m!("requestClientApplication", "requestClientApplication", "[user_agent][original]"),
    m!("requestContext", "requestContext", "[http][request][referrer]"),
    m!("requestCookies", "requestCookies", "[cef][request][cookies]"),
    m!("requestMethod", "requestMethod", "[http][request][method]"),
    m!("type", "type", "[cef][type]"),
    m!("mrt", "managerReceiptTime", "[event][ingested]"),
];

/// The device custom fields: `cs1`..`cs6`, `cn1`..`cn3`, `cfp1`..`cfp4`, `c6a1`..`c6a4`,
/// `deviceCustomDate1|2` and their labels.
#[rustfmt::skip]
static CUSTOM: &[Mapping] = &[
    m!("cs1", "deviceCustomString1", "[cef][device_custom_string_1][value]"),
    m!("cs1Label", "deviceCustomString1Label", "[cef][device_custom_string_1][label]"),
    m!("cs2", "deviceCustomString2", "[cef][device_custom_string_2][value]"),
    m!("cs2Label", "deviceCustomString2Label", "[cef][device_custom_string_2][label]"),
    m!("cs3", "deviceCustomString3", "[cef][device_custom_string_3][value]"),
    m!("cs3Label", "deviceCustomString3Label", "[cef][device_custom_string_3][label]"),
    m!("cs4", "deviceCustomString4", "[cef][device_custom_string_4][value]"),
    m!("cs4Label", "deviceCustomString4Label", "[cef][device_custom_string_4][label]"),
    m!("cs5", "deviceCustomString5", "[cef][device_custom_string_5][value]"),
    m!("cs5Label", "deviceCustomString5Label", "[cef][device_custom_string_5][label]"),
    m!("cs6", "deviceCustomString6", "[cef][device_custom_string_6][value]"),
    m!("cs6Label", "deviceCustomString6Label", "[cef][device_custom_string_6][label]"),
    m!("cn1", "deviceCustomNumber1", "[cef][device_custom_number_1][value]"),
    m!("cn1Label", "deviceCustomNumber1Label", "[cef][device_custom_number_1][label]"),
    m!("cn2", "deviceCustomNumber2", "[cef][device_custom_number_2][value]"),
    m!("cn2Label", "deviceCustomNumber2Label", "[cef][device_custom_number_2][label]"),
    m!("cn3", "deviceCustomNumber3", "[cef][device_custom_number_3][value]"),
    m!("cn3Label", "deviceCustomNumber3Label", "[cef][device_custom_number_3][label]"),
    m!("cfp1", "deviceCustomFloatingPoint1", "[cef][device_custom_floating_point_1][value]"),
    m!("cfp1Label", "deviceCustomFloatingPoint1Label", "[cef][device_custom_floating_point_1][label]"),
    m!("cfp2", "deviceCustomFloatingPoint2", "[cef][device_custom_floating_point_2][value]"),
    m!("cfp2Label", "deviceCustomFloatingPoint2Label", "[cef][device_custom_floating_point_2][label]"),
    m!("cfp3", "deviceCustomFloatingPoint3", "[cef][device_custom_floating_point_3][value]"),
    m!("cfp3Label", "deviceCustomFloatingPoint3Label", "[cef][device_custom_floating_point_3][label]"),
    m!("cfp4", "deviceCustomFloatingPoint4", "[cef][device_custom_floating_point_4][value]"),
    m!("cfp4Label", "deviceCustomFloatingPoint4Label", "[cef][device_custom_floating_point_4][label]"),
    m!("c6a1", "deviceCustomIPv6Address1", "[cef][device_custom_ipv6_address_1][value]"),
    m!("c6a1Label", "deviceCustomIPv6Address1Label", "[cef][device_custom_ipv6_address_1][label]"),
    m!("c6a2", "deviceCustomIPv6Address2", "[cef][device_custom_ipv6_address_2][value]"),
    m!("c6a2Label", "deviceCustomIPv6Address2Label", "[cef][device_custom_ipv6_address_2][label]"),
    m!("c6a3", "deviceCustomIPv6Address3", "[cef][device_custom_ipv6_address_3][value]"),
    m!("c6a3Label", "deviceCustomIPv6Address3Label", "[cef][device_custom_ipv6_address_3][label]"),
    m!("c6a4", "deviceCustomIPv6Address4", "[cef][device_custom_ipv6_address_4][value]"),
    m!("c6a4Label", "deviceCustomIPv6Address4Label", "[cef][device_custom_ipv6_address_4][label]"),
    m!("deviceCustomDate1", "deviceCustomDate1", "[cef][device_custom_date_1][value]"),
    m!("deviceCustomDate1Label", "deviceCustomDate1Label", "[cef][device_custom_date_1][label]"),
    m!("deviceCustomDate2", "deviceCustomDate2", "[cef][device_custom_date_2][value]"),
    m!("deviceCustomDate2Label", "deviceCustomDate2Label", "[cef][device_custom_date_2][label]"),
];

#[cfg(test)]
mod tests;
