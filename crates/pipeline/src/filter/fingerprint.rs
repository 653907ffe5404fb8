//! `fingerprint`: a hash of one or more fields (logstash-filter-fingerprint).
//!
//! `method`: `SHA1` (default), `SHA256`, `SHA384`, `SHA512`, `MD5` (HMAC with `key`, plain
//! digests without; hex, or base64 with `base64encode`), `MURMUR3` (32-bit, seed 0, as an
//! integer), `UUID` (random), `PUNCTUATION` (the non-alphanumeric characters).
//! `concatenate_sources` hashes `|field|value|field|value|` of every source;
//! `concatenate_all_fields` does the same over every field, sorted by name.

use hmac::{Hmac, Mac};
use log_model::{FieldRef, LogEvent};
use serde_json::Value as Json;
use sha2::Digest;

use super::{Common, Filter, FilterOutcome, field_ref};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings, json_text};

const METHODS: &[&str] = &[
    "SHA1",
    "SHA256",
    "SHA384",
    "SHA512",
    "MD5",
    "MURMUR3",
    "MURMUR3_128",
    "IPV4_NETWORK",
    "UUID",
    "PUNCTUATION",
];

pub(super) fn schema() -> Schema {
    use OptType as T;
    Schema::new(
        PluginKind::Filter,
        "fingerprint",
        vec![
            OptSpec::new("source", T::Array).default(Default::List(&["message"])),
            OptSpec::new("target", T::String),
            OptSpec::new("method", T::OneOf(METHODS)).default(Default::Str("SHA1")),
            OptSpec::new("key", T::Password),
            OptSpec::new("base64encode", T::Boolean).default(Default::Bool(false)),
            OptSpec::new("concatenate_sources", T::Boolean).default(Default::Bool(false)),
            OptSpec::new("concatenate_all_fields", T::Boolean).default(Default::Bool(false)),
            OptSpec::new("ecs_compatibility", T::OneOf(&["disabled", "v1", "v8"])),
        ],
    )
}

pub(super) fn build(settings: &Settings, common: Common) -> Result<Box<dyn Filter>> {
    let method = settings.string("method").unwrap_or("SHA1").to_owned();
    if matches!(method.as_str(), "MURMUR3_128" | "IPV4_NETWORK") {
        return Err(settings.invalid(
            "method",
            &format!("method {method} is not supported by sluice-agent"),
        ));
    }
    // Logstash 8 (ECS): `[event][hash]`; legacy: `fingerprint`.
    let ecs = settings.string("ecs_compatibility") != Some("disabled");
    let target =
        settings
            .string("target")
            .unwrap_or(if ecs { "[event][hash]" } else { "fingerprint" });
    Ok(Box::new(Fingerprint {
        sources: settings
            .strings("source")
            .iter()
            .filter_map(|s| field_ref(s))
            .collect(),
        source_names: settings
            .strings("source")
            .iter()
            .filter_map(|s| field_ref(s).map(|f| (f, s.clone())))
            .collect(),
        target: field_ref(target).ok_or_else(|| settings.invalid("target", "invalid field"))?,
        method,
        key: settings.string("key").map(str::to_owned),
        base64: settings.boolean("base64encode").unwrap_or(false),
        concat: settings.boolean("concatenate_sources").unwrap_or(false),
        all: settings.boolean("concatenate_all_fields").unwrap_or(false),
        common,
    }))
}

#[derive(Debug)]
struct Fingerprint {
    common: Common,
    sources: Vec<FieldRef>,
    source_names: std::collections::HashMap<FieldRef, String>,
    target: FieldRef,
    method: String,
    key: Option<String>,
    base64: bool,
    concat: bool,
    all: bool,
}

/// MurmurHash3 x86 32-bit.
pub(crate) fn murmur3_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h = seed;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    let mut k: u32 = 0;
    for (i, b) in tail.iter().enumerate() {
        k |= u32::from(*b) << (8 * i);
    }
    if !tail.is_empty() {
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
    }
    #[allow(clippy::cast_possible_truncation)]
    let len = data.len() as u32;
    h ^= len;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

fn encode(bytes: &[u8], base64: bool) -> String {
    if base64 {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    } else {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

macro_rules! digest {
    ($ty:ty, $key:expr, $data:expr) => {
        match $key {
            Some(k) => {
                let mut m = <Hmac<$ty> as Mac>::new_from_slice(k.as_bytes())
                    .expect("HMAC takes keys of any length");
                m.update($data);
                m.finalize().into_bytes().to_vec()
            }
            None => <$ty>::digest($data).to_vec(),
        }
    };
}

impl Fingerprint {
    fn hash(&self, data: &str) -> Json {
        let key = self.key.as_deref();
        let bytes = data.as_bytes();
        let raw = match self.method.as_str() {
            "SHA256" => digest!(sha2::Sha256, key, bytes),
            "SHA384" => digest!(sha2::Sha384, key, bytes),
            "SHA512" => digest!(sha2::Sha512, key, bytes),
            "MD5" => digest!(md5::Md5, key, bytes),
            "MURMUR3" => return Json::from(murmur3_32(bytes, 0)),
            "PUNCTUATION" => {
                return Json::String(
                    data.chars()
                        .filter(|c| !c.is_alphanumeric() && !c.is_whitespace())
                        .collect(),
                );
            }
            _ => digest!(sha1::Sha1, key, bytes),
        };
        Json::String(encode(&raw, self.base64))
    }
}

fn serialize(v: &Json) -> String {
    json_text(v)
}

impl Filter for Fingerprint {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        if self.method == "UUID" {
            event.insert(&self.target, Json::String(uuid::Uuid::new_v4().to_string()));
            self.common.matched(event);
            return FilterOutcome::Keep;
        }
        let value = if self.all {
            let mut fields: Vec<(&String, &Json)> = event.as_map().iter().collect();
            fields.sort_by(|a, b| a.0.cmp(b.0));
            let mut s = String::from("|");
            for (k, v) in fields {
                s.push_str(&format!("{k}|{}|", serialize(v)));
            }
            Some(self.hash(&s))
        } else if self.concat {
            // Logstash: `|name|value` per source in name order, then `|`
            let mut named: Vec<(String, String)> = self
                .sources
                .iter()
                .map(|src| {
                    (
                        self.source_names.get(src).cloned().unwrap_or_default(),
                        event.get(src).map(serialize).unwrap_or_default(),
                    )
                })
                .collect();
            named.sort();
            let mut s = String::new();
            for (k, v) in named {
                s.push_str(&format!("|{k}|{v}"));
            }
            s.push('|');
            Some(self.hash(&s))
        } else {
            self.sources
                .iter()
                .filter_map(|src| event.get(src).map(serialize))
                .last()
                .map(|v| self.hash(&v))
        };
        if let Some(v) = value {
            event.insert(&self.target, v);
            self.common.matched(event);
        }
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "fingerprint"
    }
}
