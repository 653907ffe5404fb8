//! The `elasticsearch` output's options, as Logstash 8 accepts them, and what they become.
//!
//! - `hosts` / `cloud_id` (+ `cloud_auth`), `user`/`password`, `api_key`;
//! - TLS: `ssl_enabled`, `ssl_certificate_authorities`, `ca_trusted_fingerprint`,
//!   `ssl_verification_mode`, and the names before Logstash 8.? (`ssl`, `cacert`,
//!   `ssl_certificate_verification`), accepted with Logstash's deprecation warning;
//! - `action` (`index`, `create`, `update`, `delete`, or a `%{...}` reference rendered per
//!   event), `document_id`, `doc_as_upsert`, `upsert`, `retry_on_conflict` (sent on `update`
//!   actions, as Logstash does);
//! - `manage_template`, `template`, `template_name`, `template_overwrite`, `template_api`:
//!   a `template` file is installed through `_index_template` before the first request
//!   (a legacy-format file is wrapped into the composable shape);
//! - `document_type`: accepted with Logstash 8's deprecation warning and not sent;
//! - `data_stream` (`auto` decides as Logstash 8: a data stream when no `index` and none of
//!   the options that conflict with data streams are set) and `data_stream_*`; `ilm_*`
//!   accepted (the store has no ILM: Logstash's `auto` then uses none);
//! - `failure_type_logging_whitelist` / `silence_errors_in_log`, `pool_*`, `resurrect_delay`,
//!   `validate_after_inactivity`, `compression_level`, `dlq_*` accepted (tuning and logging);
//!   options that would change what is sent or where (`routing`, `version`, `path`, `proxy`,
//!   `custom_headers`, `parameters`, `bulk_path`, `sniffing => true`, TLS protocol and cipher
//!   lists) are refused by name.

use std::path::PathBuf;
use std::time::Duration;

use es_client::{Auth, Client, ClientConfig, TlsConfig};
use ndjson_codec::BulkOp;

use super::{EsOutput, EsOutputConfig};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default as D, OptSpec, OptType as T, Schema, Settings};
use crate::output::{OutputArgs, OutputPlugin};

const ECS: &[&str] = &["disabled", "v1", "v8"];

fn opt(name: &'static str, ty: T) -> OptSpec {
    OptSpec::new(name, ty)
}

pub(crate) fn schema() -> Schema {
    Schema::new(
        PluginKind::Output,
        "elasticsearch",
        vec![
            opt("hosts", T::Uri)
                .list()
                .default(D::List(&["//127.0.0.1"])),
            opt("index", T::String),
            opt("user", T::String),
            opt("password", T::Password),
            opt("api_key", T::Password),
            opt("cloud_id", T::String),
            opt("cloud_auth", T::Password),
            opt("ssl_enabled", T::Boolean),
            opt("ssl_certificate_authorities", T::Path).list(),
            opt("ca_trusted_fingerprint", T::String),
            opt("ssl_verification_mode", T::OneOf(&["full", "none"])).default(D::Str("full")),
            opt("ssl_certificate", T::Path),
            opt("ssl_key", T::Path),
            opt("ssl_keystore_path", T::Path),
            opt("ssl_keystore_password", T::Password),
            opt("ssl_truststore_path", T::Path),
            opt("ssl_truststore_password", T::Password),
            opt("ssl_supported_protocols", T::Array),
            opt("ssl_cipher_suites", T::Array),
            // names before Logstash 8.x's ssl_* rename
            opt("ssl", T::Boolean),
            opt("cacert", T::Path),
            opt("ssl_certificate_verification", T::Boolean),
            opt("keystore", T::Path),
            opt("keystore_password", T::Password),
            opt("truststore", T::Path),
            opt("truststore_password", T::Password),
            opt("action", T::String).default(D::Str("index")),
            opt("document_id", T::String),
            // sluice's own: an id per event given at ingest (see the output's module docs)
            opt("ingest_id", T::Boolean).default(D::Bool(false)),
            opt("document_type", T::String),
            opt("doc_as_upsert", T::Boolean).default(D::Bool(false)),
            opt("upsert", T::String).default(D::Str("")),
            opt("retry_on_conflict", T::Number).default(D::Int(1)),
            opt("scripted_upsert", T::Boolean).default(D::Bool(false)),
            opt("script", T::String),
            opt("routing", T::String),
            opt("version", T::String),
            opt(
                "version_type",
                T::OneOf(&[
                    "internal",
                    "external",
                    "external_gt",
                    "external_gte",
                    "force",
                ]),
            ),
            opt("pipeline", T::String),
            opt("data_stream", T::OneOf(&["true", "false", "auto"])).default(D::Str("auto")),
            opt(
                "data_stream_type",
                T::OneOf(&["logs", "metrics", "synthetics", "traces"]),
            )
            .default(D::Str("logs")),
            opt("data_stream_dataset", T::String).default(D::Str("generic")),
            opt("data_stream_namespace", T::String).default(D::Str("default")),
            opt("data_stream_sync_fields", T::Boolean).default(D::Bool(true)),
            opt("data_stream_auto_routing", T::Boolean).default(D::Bool(true)),
            opt("manage_template", T::Boolean).default(D::Bool(true)),
            opt("template", T::Path),
            opt("template_name", T::String),
            opt("template_overwrite", T::Boolean).default(D::Bool(false)),
            opt("template_api", T::OneOf(&["auto", "legacy", "composable"]))
                .default(D::Str("auto")),
            opt("ilm_enabled", T::OneOf(&["true", "false", "auto"])).default(D::Str("auto")),
            opt("ilm_rollover_alias", T::String),
            opt("ilm_pattern", T::String).default(D::Str("{now/d}-000001")),
            opt("ilm_policy", T::String).default(D::Str("logstash-policy")),
            opt("failure_type_logging_whitelist", T::Array).default(D::List(&[])),
            opt("silence_errors_in_log", T::Array).default(D::List(&[])),
            opt("dlq_custom_codes", T::Array).default(D::List(&[])),
            opt("dlq_on_failed_indexname_interpolation", T::Boolean).default(D::Bool(true)),
            opt("http_compression", T::Boolean).default(D::Bool(false)),
            opt("compression_level", T::Number).default(D::Int(1)),
            opt("retry_initial_interval", T::Number).default(D::Int(2)),
            opt("retry_max_interval", T::Number).default(D::Int(64)),
            opt("timeout", T::Number).default(D::Int(60)),
            opt("pool_max", T::Number).default(D::Int(1000)),
            opt("pool_max_per_route", T::Number).default(D::Int(100)),
            opt("resurrect_delay", T::Number).default(D::Int(5)),
            opt("validate_after_inactivity", T::Number).default(D::Int(10_000)),
            opt("sniffing", T::Boolean).default(D::Bool(false)),
            opt("sniffing_delay", T::Number).default(D::Int(5)),
            opt("sniffing_path", T::String),
            opt("healthcheck_path", T::String),
            opt("path", T::String),
            opt("proxy", T::Uri),
            opt("custom_headers", T::Hash),
            opt("parameters", T::Hash),
            opt("bulk_path", T::String),
            opt("ecs_compatibility", T::OneOf(ECS)).default(D::Str("v8")),
        ],
    )
}

/// Logstash's deprecation warning for an option that still works.
fn deprecated(s: &Settings, name: &str, instead: &str) {
    if s.is_set(name) {
        tracing::warn!(plugin = "elasticsearch", at = %s.span(name).map(ToString::to_string).unwrap_or_default(),
            "The setting `{name}` is deprecated and will be removed in a future release. Use `{instead}` instead.");
    }
}

/// `cloud_id` (`label:base64(host$es_uuid$kibana_uuid)`) to the Elasticsearch URL.
pub(crate) fn cloud_url(cloud_id: &str) -> Option<String> {
    use base64::Engine as _;
    let encoded = cloud_id.rsplit_once(':').map_or(cloud_id, |(_, e)| e);
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let mut parts = text.split('$');
    let host = parts.next().filter(|h| !h.is_empty())?;
    let es = parts.next().filter(|h| !h.is_empty())?;
    let (host, port) = match host.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h, p),
        _ => (host, "443"),
    };
    Some(format!("https://{es}.{host}:{port}"))
}

/// Options that make `data_stream => auto` choose an index (Logstash 8's list).
const NOT_DATA_STREAM: &[&str] = &[
    "index",
    "manage_template",
    "template",
    "template_name",
    "template_overwrite",
    "document_id",
    "document_type",
    "ilm_enabled",
    "ilm_rollover_alias",
    "ilm_pattern",
    "ilm_policy",
    "pipeline",
    "routing",
    "version",
    "version_type",
    "doc_as_upsert",
    "upsert",
    "script",
    "action",
];

/// The template file as a composable template body.
fn template_body(path: &str, name: &str) -> std::result::Result<serde_json::Value, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read template {path}: {e}"))?;
    let mut v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("template {path} is not JSON: {e}"))?;
    let Some(obj) = v.as_object_mut() else {
        return Err(format!("template {path} must be a JSON object"));
    };
    if obj
        .get("template")
        .is_some_and(serde_json::Value::is_object)
    {
        return Ok(v);
    }
    // legacy shape: index_patterns (or `template` as a pattern), settings, mappings, aliases
    let patterns = obj
        .remove("index_patterns")
        .or_else(|| obj.remove("template"))
        .unwrap_or_else(|| serde_json::json!([format!("{name}-*")]));
    let mut inner = serde_json::Map::new();
    for k in ["settings", "mappings", "aliases"] {
        if let Some(x) = obj.remove(k) {
            inner.insert(k.to_owned(), x);
        }
    }
    let mut out = serde_json::Map::new();
    out.insert("index_patterns".into(), patterns);
    if let Some(p) = obj.remove("order").or_else(|| obj.remove("priority")) {
        out.insert("priority".into(), p);
    }
    out.insert("template".into(), serde_json::Value::Object(inner));
    Ok(serde_json::Value::Object(out))
}

pub(crate) fn build(a: OutputArgs<'_>) -> Result<Box<dyn OutputPlugin>> {
    let s = a.settings;
    if s.is_set("pipeline") {
        return Err(s.invalid(
            "pipeline",
            "ingest pipelines are not supported (sluice-store has none)",
        ));
    }
    if s.is_set("script") {
        return Err(s.invalid(
            "script",
            "scripted updates are not supported by sluice-agent",
        ));
    }
    deprecated(s, "ssl", "ssl_enabled");
    deprecated(s, "cacert", "ssl_certificate_authorities");
    deprecated(s, "ssl_certificate_verification", "ssl_verification_mode");
    deprecated(s, "keystore", "ssl_keystore_path");
    deprecated(s, "truststore", "ssl_truststore_path");
    deprecated(s, "failure_type_logging_whitelist", "silence_errors_in_log");
    if s.is_set("document_type") {
        tracing::warn!(
            plugin = "elasticsearch",
            "the `document_type` setting is deprecated and is not sent to Elasticsearch 8 (types were removed)"
        );
    }
    // options that would change what is sent or where: refused rather than ignored
    for unsupported in [
        "routing",
        "version",
        "version_type",
        "path",
        "proxy",
        "custom_headers",
        "parameters",
        "bulk_path",
        "ssl_supported_protocols",
        "ssl_cipher_suites",
        "sniffing_path",
        "healthcheck_path",
    ] {
        if s.is_set(unsupported) {
            return Err(s.invalid(
                unsupported,
                &format!("{unsupported} is not supported by sluice-agent"),
            ));
        }
    }
    if s.boolean("sniffing") == Some(true) {
        return Err(s.invalid(
            "sniffing",
            "sniffing is not supported by sluice-agent; list the nodes in hosts",
        ));
    }
    if s.boolean("scripted_upsert") == Some(true) {
        return Err(s.invalid(
            "scripted_upsert",
            "scripted upserts are not supported by sluice-agent",
        ));
    }
    for unsupported in [
        "ssl_keystore_path",
        "ssl_truststore_path",
        "keystore",
        "truststore",
        "ssl_certificate",
        "ssl_key",
    ] {
        if s.is_set(unsupported) {
            return Err(s.invalid(unsupported, &format!("{unsupported} is not supported by sluice-agent; give ssl_certificate_authorities (PEM)")));
        }
    }

    let action_text = s.string("action").unwrap_or("index");
    let (action, action_template) = if action_text.contains("%{") {
        (BulkOp::Index, Some(action_text.to_owned()))
    } else {
        let op = BulkOp::parse(action_text).ok_or_else(|| {
            s.invalid("action", &format!("Action '{action_text}' is invalid! Pick one of [index, create, update, delete] or use a sprintf style statement"))
        })?;
        (op, None)
    };
    let ingest_id = s.boolean("ingest_id").unwrap_or(false);
    if ingest_id && s.is_set("document_id") {
        return Err(s.invalid(
            "ingest_id",
            "ingest_id and document_id cannot be set together (document_id names the id itself)",
        ));
    }
    if ingest_id && (action_template.is_some() || matches!(action, BulkOp::Update | BulkOp::Delete))
    {
        return Err(s.invalid(
            "ingest_id",
            &format!("ingest_id works with action index or create, not {action_text}"),
        ));
    }
    if matches!(action, BulkOp::Update | BulkOp::Delete) && !s.is_set("document_id") {
        return Err(s.invalid(
            "document_id",
            &format!("action {action_text} needs document_id"),
        ));
    }
    let ecs = s.string("ecs_compatibility") != Some("disabled");
    let data_stream = match s.string("data_stream").unwrap_or("auto") {
        "true" => true,
        "false" => false,
        _ => ecs && !NOT_DATA_STREAM.iter().any(|o| s.is_set(o)),
    };
    let (index, action) = match s.string("index") {
        _ if data_stream => {
            let name = format!(
                "{}-{}-{}",
                s.string("data_stream_type").unwrap_or("logs"),
                s.string("data_stream_dataset").unwrap_or("generic"),
                s.string("data_stream_namespace").unwrap_or("default")
            );
            (name, BulkOp::Create)
        }
        Some(i) => (i.to_string(), action),
        None if ecs => ("ecs-logstash-%{+yyyy.MM.dd}".to_owned(), action),
        None => ("logstash-%{+yyyy.MM.dd}".to_owned(), action),
    };

    let cas: Vec<String> = s
        .strings("ssl_certificate_authorities")
        .into_iter()
        .chain(s.string("cacert").map(str::to_owned))
        .collect();
    let https = s
        .boolean("ssl_enabled")
        .or(s.boolean("ssl"))
        .unwrap_or(false)
        || !cas.is_empty()
        || s.is_set("ca_trusted_fingerprint");
    let mut nodes: Vec<String> = Vec::new();
    if let Some(cloud) = s.string("cloud_id") {
        if s.is_set("hosts") {
            return Err(s.invalid("cloud_id", "cloud_id and hosts cannot be set together"));
        }
        nodes.push(cloud_url(cloud).ok_or_else(|| {
            s.invalid(
                "cloud_id",
                "cloud_id is not `label:base64(host$es_uuid$kibana_uuid)`",
            )
        })?);
    } else {
        nodes.extend(s.strings("hosts").iter().map(|h| host_url(h, https)));
    }
    let mut cc = ClientConfig::with_nodes(nodes);
    let cloud_auth = s.string("cloud_auth").and_then(|a| a.split_once(':'));
    cc.auth = match (
        s.string("user"),
        s.string("password"),
        s.string("api_key"),
        cloud_auth,
    ) {
        (_, _, Some(key), _) => Some(Auth::api_key(key)),
        (_, _, None, Some((u, p))) => Some(Auth::basic(u, p)),
        (Some(u), p, None, None) => Some(Auth::basic(u, p.unwrap_or_default())),
        (None, Some(_), None, None) => {
            return Err(s.invalid("password", "password given without user"));
        }
        (None, None, None, None) => cc.auth.take(),
    };
    if s.is_set("cloud_auth") && cloud_auth.is_none() {
        return Err(s.invalid("cloud_auth", "cloud_auth must be `user:password`"));
    }
    let mut tls = TlsConfig::default();
    if cas.len() > 1 {
        return Err(s.invalid(
            "ssl_certificate_authorities",
            "give one PEM file (it may hold several certificates)",
        ));
    }
    tls.ca_cert = cas.first().map(PathBuf::from);
    tls.ca_fingerprint = s.string("ca_trusted_fingerprint").map(str::to_string);
    tls.insecure = s.string("ssl_verification_mode") == Some("none")
        || s.boolean("ssl_certificate_verification") == Some(false);
    cc.tls = tls;
    cc.compress_requests = s.boolean("http_compression").unwrap_or(false);
    let secs = |name: &str, d: i64| {
        Duration::from_secs(
            u64::try_from(s.integer(name).unwrap_or(d))
                .unwrap_or(1)
                .max(1),
        )
    };
    cc.request_timeout = secs("timeout", 60);
    let client = Client::new(cc).map_err(|e| s.invalid("hosts", &e.to_string()))?;

    let template = match (
        s.boolean("manage_template").unwrap_or(true),
        s.string("template"),
    ) {
        (true, Some(path)) => {
            let name = s
                .string("template_name")
                .unwrap_or(if ecs { "ecs-logstash" } else { "logstash" })
                .to_owned();
            let body = template_body(path, &name).map_err(|e| s.invalid("template", &e))?;
            Some((name, body, s.boolean("template_overwrite").unwrap_or(false)))
        }
        _ => None,
    };
    let upsert = match s.string("upsert").filter(|u| !u.is_empty()) {
        Some(u) => Some(
            serde_json::from_str(u)
                .map_err(|e| s.invalid("upsert", &format!("upsert is not JSON: {e}")))?,
        ),
        None => None,
    };
    let config = EsOutputConfig {
        id: a.id,
        index,
        action,
        document_id: s.string("document_id").map(str::to_string),
        ingest_id,
        action_template,
        doc_as_upsert: s.boolean("doc_as_upsert").unwrap_or(false),
        upsert,
        retry_on_conflict: s
            .integer("retry_on_conflict")
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(1),
        template,
        retry_initial: secs("retry_initial_interval", 2),
        retry_max: secs("retry_max_interval", 64),
    };
    Ok(Box::new(EsOutput::new(
        config, client, a.dlq, a.force, a.stats,
    )?))
}

/// `hosts` entries as URLs: `es:9200` → `http://es:9200`, `//127.0.0.1` → `http://127.0.0.1:9200`.
pub(crate) fn host_url(h: &str, https: bool) -> String {
    let scheme = if https { "https" } else { "http" };
    let (explicit, rest) = match h.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, h.trim_start_matches("//")),
    };
    let scheme = explicit.unwrap_or(scheme);
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let host_part = authority.rsplit('@').next().unwrap_or(authority);
    let has_port = if host_part.starts_with('[') {
        host_part.contains("]:")
    } else {
        host_part.contains(':')
    };
    let port = if has_port { "" } else { ":9200" };
    format!("{scheme}://{authority}{port}{}", path.trim_end_matches('/'))
}
