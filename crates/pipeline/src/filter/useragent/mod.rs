//! `useragent`: browser, OS and device from a User-Agent string (logstash-filter-useragent, as
//! Logstash 8 runs it), with uap-core's `regexes.yaml` run by `ua-parser` (the ua-parser
//! project's Rust implementation).
//!
//! `regexes.yaml` beside this file is uap-core 0.18.0's, byte for byte as the `ua-parser` 0.2.2
//! package ships it (sha256 `41733e3f…af51`; Apache-2.0, `LICENSE-uap-core`); the `regexes`
//! option reads another one, as in Logstash.
//!
//! ECS names (the default): under `target` (default `[user_agent]`) `name`, `version`,
//! `device.name`, `os.name`, `os.version`, `os.full`, and the version parts under
//! `[@metadata][filter][user_agent]`. With `ecs_compatibility => disabled`: `name`, `version`,
//! `major`, `minor`, `patch`, `device`, `os`, `os_name`, `os_full`, `os_version`, `os_major`,
//! `os_minor`, `os_patch`, each with `prefix`, at the root unless `target` is set. A string no
//! regex recognises gives `Other`, as Logstash's parser does; a missing or empty source leaves
//! the event alone. The source is removed when `target` names the same field.

use std::sync::{Arc, OnceLock};

use log_model::{FieldRef, LogEvent};
use serde_json::Value as Json;
use ua_parser::{Extractor, Regexes};

use super::{Common, Filter, FilterOutcome, field_ref};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings};

/// uap-core's regexes, as shipped in the `ua-parser` package.
const REGEXES: &str = include_str!("regexes.yaml");

/// What a User-Agent string is longer than is not parsed (the regexes are linear, but a bound
/// keeps one hostile header from costing more than any real one).
const MAX_LEN: usize = 4096;

pub(in crate::filter) fn schema() -> Schema {
    use OptType as T;
    Schema::new(
        PluginKind::Filter,
        "useragent",
        vec![
            OptSpec::new("source", T::String).required(),
            OptSpec::new("target", T::String),
            OptSpec::new("regexes", T::Path),
            OptSpec::new("prefix", T::String).default(Default::Str("")),
            // Logstash's parse cache; parsing here needs none to be correct, so the size is
            // accepted and has no effect.
            OptSpec::new("lru_cache_size", T::Number).default(Default::Int(100_000)),
            OptSpec::new("ecs_compatibility", T::OneOf(&["disabled", "v1", "v8"])),
        ],
    )
}

fn compile(yaml: &str) -> std::result::Result<Extractor<'static>, String> {
    let regexes: Regexes<'static> = serde_yaml::from_str(yaml).map_err(|e| e.to_string())?;
    Extractor::try_from(regexes).map_err(|e| e.to_string())
}

/// The extractor of the bundled regexes, compiled once per process.
fn bundled() -> std::result::Result<Arc<Extractor<'static>>, String> {
    static BUNDLED: OnceLock<std::result::Result<Arc<Extractor<'static>>, String>> =
        OnceLock::new();
    BUNDLED
        .get_or_init(|| compile(REGEXES).map(Arc::new))
        .clone()
}

/// Where each value goes (`None`: not written in this mode).
#[derive(Debug)]
struct Targets {
    name: FieldRef,
    device: FieldRef,
    version: FieldRef,
    major: FieldRef,
    minor: FieldRef,
    patch: FieldRef,
    os_full: FieldRef,
    os_name: FieldRef,
    legacy_os: Option<FieldRef>,
    os_version: FieldRef,
    os_major: FieldRef,
    os_minor: FieldRef,
    os_patch: FieldRef,
}

fn path(base: &[String], rest: &[&str]) -> FieldRef {
    let text: String = base
        .iter()
        .map(String::as_str)
        .chain(rest.iter().copied())
        .map(|s| format!("[{s}]"))
        .collect();
    FieldRef::parse(&text).unwrap_or_else(|_| FieldRef::top(rest.last().copied().unwrap_or("")))
}

impl Targets {
    fn new(target: Option<&FieldRef>, ecs: bool, prefix: &str) -> Self {
        if ecs {
            let base =
                target.map_or_else(|| vec!["user_agent".to_owned()], |t| t.segments().to_vec());
            let meta = ["@metadata", "filter", "user_agent"].map(str::to_owned);
            return Targets {
                name: path(&base, &["name"]),
                device: path(&base, &["device", "name"]),
                version: path(&base, &["version"]),
                major: path(&meta, &["version", "major"]),
                minor: path(&meta, &["version", "minor"]),
                patch: path(&meta, &["version", "patch"]),
                os_full: path(&base, &["os", "full"]),
                os_name: path(&base, &["os", "name"]),
                legacy_os: None,
                os_version: path(&base, &["os", "version"]),
                os_major: path(&meta, &["os", "version", "major"]),
                os_minor: path(&meta, &["os", "version", "minor"]),
                os_patch: path(&meta, &["os", "version", "patch"]),
            };
        }
        let base = target.map(|t| t.segments().to_vec()).unwrap_or_default();
        let p = |name: &str| path(&base, &[&format!("{prefix}{name}")]);
        Targets {
            name: p("name"),
            device: p("device"),
            version: p("version"),
            major: p("major"),
            minor: p("minor"),
            patch: p("patch"),
            os_full: p("os_full"),
            os_name: p("os_name"),
            legacy_os: Some(p("os")),
            os_version: p("os_version"),
            os_major: p("os_major"),
            os_minor: p("os_minor"),
            os_patch: p("os_patch"),
        }
    }
}

pub(in crate::filter) fn build(settings: &Settings, common: Common) -> Result<Box<dyn Filter>> {
    let ecs = settings.string("ecs_compatibility") != Some("disabled");
    let source_text = settings.string("source").unwrap_or_default();
    let source = field_ref(source_text)
        .ok_or_else(|| settings.invalid("source", "source must name a field"))?;
    let target = match settings.string("target") {
        Some(t) => Some(
            field_ref(t).ok_or_else(|| settings.invalid("target", "target must name a field"))?,
        ),
        None => None,
    };
    let prefix = settings.string("prefix").unwrap_or_default();
    if ecs && !prefix.is_empty() {
        tracing::warn!(
            "useragent: field prefix isn't supported in ECS compatibility mode, please remove `prefix => {prefix:?}`"
        );
    }
    let extractor = match settings.string("regexes") {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| settings.invalid("regexes", &format!("cannot read {p}: {e}")))?;
            Arc::new(compile(&text).map_err(|e| settings.invalid("regexes", &format!("{p}: {e}")))?)
        }
        None => {
            bundled().map_err(|e| settings.invalid("regexes", &format!("bundled regexes: {e}")))?
        }
    };
    let remove_source = settings.string("target") == Some(source_text);
    Ok(Box::new(UserAgent {
        targets: Targets::new(target.as_ref(), ecs, if ecs { "" } else { prefix }),
        source,
        remove_source,
        extractor,
        common,
    }))
}

struct UserAgent {
    common: Common,
    source: FieldRef,
    remove_source: bool,
    targets: Targets,
    extractor: Arc<Extractor<'static>>,
}

impl std::fmt::Debug for UserAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserAgent")
            .field("source", &self.source)
            .field("targets", &self.targets)
            .finish_non_exhaustive()
    }
}

/// What the parser found, with Logstash's `Other` for what it did not.
#[derive(Debug, Default, PartialEq, Eq)]
struct Parsed {
    name: String,
    major: Option<String>,
    minor: Option<String>,
    patch: Option<String>,
    patch_minor: Option<String>,
    os: String,
    os_major: Option<String>,
    os_minor: Option<String>,
    os_patch: Option<String>,
    os_patch_minor: Option<String>,
    device: String,
}

fn parse(extractor: &Extractor<'static>, ua: &str) -> Parsed {
    let owned = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
    let (agent, os, device) = extractor.extract(ua);
    let mut p = Parsed {
        name: "Other".to_owned(),
        os: "Other".to_owned(),
        device: "Other".to_owned(),
        ..Parsed::default()
    };
    if let Some(a) = agent {
        p.name = a.family.into_owned();
        p.major = owned(a.major);
        p.minor = owned(a.minor);
        p.patch = owned(a.patch);
        p.patch_minor = owned(a.patch_minor);
    }
    if let Some(o) = os {
        p.os = o.os.into_owned();
        p.os_major = owned(o.major.as_deref());
        p.os_minor = owned(o.minor.as_deref());
        p.os_patch = owned(o.patch.as_deref());
        p.os_patch_minor = owned(o.patch_minor.as_deref());
    }
    if let Some(d) = device {
        p.device = d.device.into_owned();
    }
    p
}

/// The browser version as Logstash rebuilds it: up to four parts; with three, a fourth
/// numeric part that follows them in the string (`Chrome/89.0.4389.90`) is added back.
fn version(ua: &str, p: &Parsed) -> Option<String> {
    let mut v = p.major.clone()?;
    let Some(minor) = &p.minor else {
        return Some(v);
    };
    v.push('.');
    v.push_str(minor);
    let Some(patch) = &p.patch else {
        return Some(v);
    };
    v.push('.');
    v.push_str(patch);
    if let Some(pm) = &p.patch_minor {
        v.push('.');
        v.push_str(pm);
        return Some(v);
    }
    if let Some(at) = ua.find(&v) {
        let rest = &ua[at + v.len()..];
        if let Some(after_dot) = rest.strip_prefix('.')
            && let Some(end) = after_dot.find(' ')
        {
            let piece = &after_dot[..end];
            if piece.parse::<i64>().is_ok_and(|n| n.to_string() == piece) {
                v.push('.');
                v.push_str(piece);
            }
        }
    }
    Some(v)
}

/// The OS version as Logstash rebuilds it (`10.15.7`; a named major such as `Vista` is
/// followed by a space).
fn os_version(p: &Parsed) -> Option<String> {
    let major = p.os_major.clone()?;
    let numeric = major.parse::<i64>().is_ok_and(|n| n.to_string() == major);
    let mut v = major;
    if let Some(minor) = &p.os_minor {
        v.push(if numeric { '.' } else { ' ' });
        v.push_str(minor);
        if let Some(patch) = &p.os_patch {
            v.push('.');
            v.push_str(patch);
            if let Some(pm) = &p.os_patch_minor {
                v.push('.');
                v.push_str(pm);
            }
        }
    }
    Some(v)
}

impl Filter for UserAgent {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        let ua = match event.get(&self.source) {
            Some(Json::String(s)) => s.clone(),
            Some(Json::Array(items)) => match items.first() {
                Some(Json::String(s)) => s.clone(),
                _ => return FilterOutcome::Keep,
            },
            _ => return FilterOutcome::Keep,
        };
        if ua.is_empty() {
            return FilterOutcome::Keep;
        }
        let parsed = if ua.len() > MAX_LEN {
            Parsed {
                name: "Other".to_owned(),
                os: "Other".to_owned(),
                device: "Other".to_owned(),
                ..Parsed::default()
            }
        } else {
            parse(&self.extractor, &ua)
        };
        if self.remove_source {
            event.remove(&self.source);
        }
        let t = &self.targets;
        let s = |v: &str| Json::String(v.to_owned());
        event.insert(&t.name, s(&parsed.name));
        event.insert(&t.device, s(&parsed.device));
        for (path, v) in [
            (&t.major, &parsed.major),
            (&t.minor, &parsed.minor),
            (&t.patch, &parsed.patch),
        ] {
            if let Some(v) = v {
                event.insert(path, s(v));
            }
        }
        if let Some(v) = version(&ua, &parsed) {
            event.insert(&t.version, Json::String(v));
        }
        for (path, v) in [
            (&t.os_major, &parsed.os_major),
            (&t.os_minor, &parsed.os_minor),
            (&t.os_patch, &parsed.os_patch),
        ] {
            if let Some(v) = v {
                event.insert(path, s(v));
            }
        }
        let os_version = os_version(&parsed);
        if let Some(v) = &os_version {
            event.insert(&t.os_version, s(v));
        }
        event.insert(&t.os_name, s(&parsed.os));
        if let Some(legacy) = &t.legacy_os {
            event.insert(legacy, s(&parsed.os));
        }
        let full = match &os_version {
            Some(v) => format!("{} {v}", parsed.os),
            None => parsed.os.clone(),
        };
        event.insert(&t.os_full, Json::String(full));
        self.common.matched(event);
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "useragent"
    }
}
