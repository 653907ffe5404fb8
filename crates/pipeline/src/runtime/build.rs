//! From the config AST to running [`Components`]: each input and output plugin is validated
//! against its schema (Logstash's option names, types and defaults; errors name
//! `file:line:column`), then built.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use es_client::{Auth, Client, ClientConfig, TlsConfig};
use ndjson_codec::BulkOp;
use tokio_util::sync::CancellationToken;

use super::{Components, Settings};
use crate::codec::{DEFAULT_DECODE_SIZE_LIMIT, InputCodec};
use crate::config::validate::{self, unknown_plugin};
use crate::config::{
    Default as D, OptSpec, OptType as T, Pipeline, Plugin, PluginKind, Schema, Tree,
};
use crate::filter::{FilterChain, FilterOutcome};
use crate::input::{CommonInput, Ecs, HttpInput, Input, StdinInput, TcpInput};
use crate::monitor::stats::PluginStats;
use crate::output::{
    DeadLetterQueue, EsOutput, EsOutputConfig, FileOutput, Output, StdoutCodec, StdoutOutput,
};
use crate::{Error, Result};

const ECS: &[&str] = &["disabled", "v1", "v8"];

fn opt(name: &'static str, ty: T) -> OptSpec {
    OptSpec::new(name, ty)
}

/// The schemas of the input and output plugins this runtime provides (`tcp`, `stdin`, `http`;
/// `elasticsearch`, `stdout`, `file`), for documentation and tests.
#[must_use]
pub fn plugin_schemas() -> Vec<Schema> {
    ["tcp", "stdin", "http"]
        .iter()
        .filter_map(|n| input_schema(n))
        .chain(
            ["elasticsearch", "stdout", "file"]
                .iter()
                .filter_map(|n| output_schema(n)),
        )
        .collect()
}

fn input_schema(name: &str) -> Option<Schema> {
    let ecs = opt("ecs_compatibility", T::OneOf(ECS)).default(D::Str("v8"));
    Some(match name {
        "tcp" => Schema::new(
            PluginKind::Input,
            "tcp",
            vec![
                opt("port", T::Number).required(),
                opt("host", T::String).default(D::Str("127.0.0.1")),
                opt("mode", T::OneOf(&["server", "client"])).default(D::Str("server")),
                opt("codec", T::Codec).default(D::Str("line")),
                ecs,
                opt("ssl_enabled", T::Boolean).default(D::Bool(false)),
                opt("tcp_keep_alive", T::Boolean).default(D::Bool(false)),
                opt("dns_reverse_lookup_enabled", T::Boolean).default(D::Bool(true)),
                opt("proxy_protocol", T::Boolean).default(D::Bool(false)),
            ],
        ),
        "stdin" => Schema::new(
            PluginKind::Input,
            "stdin",
            vec![opt("codec", T::Codec).default(D::Str("line")), ecs],
        ),
        "http" => Schema::new(
            PluginKind::Input,
            "http",
            vec![
                opt("port", T::Number).default(D::Int(8080)),
                opt("host", T::String).default(D::Str("127.0.0.1")),
                ecs,
                opt("ssl_enabled", T::Boolean).default(D::Bool(false)),
                opt("max_content_length", T::Number).default(D::Int(100 * 1024 * 1024)),
                opt("threads", T::Number),
            ],
        ),
        _ => return None,
    })
}

fn output_schema(name: &str) -> Option<Schema> {
    Some(match name {
        "elasticsearch" => Schema::new(
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
                opt("ssl_enabled", T::Boolean),
                opt("ssl_certificate_authorities", T::Path).list(),
                opt("ca_trusted_fingerprint", T::String),
                opt("ssl_verification_mode", T::OneOf(&["full", "none"])).default(D::Str("full")),
                opt("action", T::String).default(D::Str("index")),
                opt("document_id", T::String),
                opt("pipeline", T::String),
                opt("data_stream", T::OneOf(&["true", "false", "auto"])).default(D::Str("auto")),
                opt("manage_template", T::Boolean).default(D::Bool(true)),
                opt("ilm_enabled", T::OneOf(&["true", "false", "auto"])).default(D::Str("auto")),
                opt("http_compression", T::Boolean).default(D::Bool(false)),
                opt("retry_initial_interval", T::Number).default(D::Int(2)),
                opt("retry_max_interval", T::Number).default(D::Int(64)),
                opt("timeout", T::Number).default(D::Int(60)),
                opt("ecs_compatibility", T::OneOf(ECS)).default(D::Str("v8")),
            ],
        ),
        "stdout" => Schema::new(
            PluginKind::Output,
            "stdout",
            vec![opt("codec", T::Codec).default(D::Str("rubydebug"))],
        ),
        "file" => Schema::new(
            PluginKind::Output,
            "file",
            vec![
                opt("path", T::String).required(),
                opt("codec", T::Codec).default(D::Str("json_lines")),
                opt("create_if_deleted", T::Boolean).default(D::Bool(true)),
                opt("flush_interval", T::Number).default(D::Int(2)),
                opt("gzip", T::Boolean).default(D::Bool(false)),
                opt("write_behavior", T::OneOf(&["append", "overwrite"])).default(D::Str("append")),
                opt("dir_mode", T::Number).default(D::Int(-1)),
                opt("file_mode", T::Number).default(D::Int(-1)),
            ],
        ),
        _ => return None,
    })
}

fn codec_schema(name: &str) -> Option<Schema> {
    let charset = || opt("charset", T::String).default(D::Str("UTF-8"));
    Some(match name {
        "json_lines" => Schema::new(
            PluginKind::Codec,
            "json_lines",
            vec![
                charset(),
                opt("delimiter", T::String).default(D::Str("\n")),
                opt("decode_size_limit_bytes", T::Number),
                opt("target", T::String),
                opt("ecs_compatibility", T::OneOf(ECS)).default(D::Str("v8")),
            ],
        ),
        "line" => Schema::new(
            PluginKind::Codec,
            "line",
            vec![
                charset(),
                opt("delimiter", T::String).default(D::Str("\n")),
                opt("format", T::String),
            ],
        ),
        "json" => Schema::new(
            PluginKind::Codec,
            "json",
            vec![
                charset(),
                opt("target", T::String),
                opt("ecs_compatibility", T::OneOf(ECS)),
            ],
        ),
        "plain" => Schema::new(
            PluginKind::Codec,
            "plain",
            vec![charset(), opt("format", T::String)],
        ),
        "rubydebug" => Schema::new(
            PluginKind::Codec,
            "rubydebug",
            vec![opt("metadata", T::Boolean).default(D::Bool(false))],
        ),
        "dots" => Schema::new(PluginKind::Codec, "dots", vec![]),
        _ => return None,
    })
}

/// A plugin's `id`, or `name@file:line:column`.
fn plugin_id(settings: &validate::Settings, plugin: &Plugin) -> String {
    settings.string("id").map_or_else(
        || format!("{}@{}", plugin.name, plugin.span),
        str::to_string,
    )
}

/// Validates a codec plugin; `allowed` are the codecs the plugin supports.
fn codec(
    settings: &validate::Settings,
    allowed: &[&str],
    default: &str,
) -> Result<(String, Option<validate::Settings>)> {
    let Some(p) = settings.codec("codec") else {
        return Ok((default.to_string(), None));
    };
    let Some(schema) = codec_schema(&p.name) else {
        return Err(unknown_plugin(p));
    };
    let cs = validate::validate(p, &schema)?;
    if !allowed.contains(&p.name.as_str()) {
        return Err(settings.invalid(
            "codec",
            &format!(
                "codec {} is not supported by this plugin in sluice-agent (supported: {})",
                p.name,
                allowed.join(", ")
            ),
        ));
    }
    if cs
        .string("charset")
        .is_some_and(|c| !c.eq_ignore_ascii_case("UTF-8"))
    {
        return Err(cs.invalid("charset", "only UTF-8 is supported"));
    }
    if cs.is_set("delimiter") && cs.string("delimiter") != Some("\n") {
        return Err(cs.invalid("delimiter", "only \"\\n\" is supported"));
    }
    if cs.is_set("target") || cs.is_set("format") {
        let name = if cs.is_set("target") {
            "target"
        } else {
            "format"
        };
        return Err(cs.invalid(
            name,
            &format!("the {name} option of codecs is not supported"),
        ));
    }
    Ok((p.name.clone(), Some(cs)))
}

fn unsupported_if(settings: &validate::Settings, name: &str, on: bool, why: &str) -> Result<()> {
    if on {
        return Err(settings.invalid(name, why));
    }
    Ok(())
}

fn port(settings: &validate::Settings) -> Result<u16> {
    let p = settings.integer("port").unwrap_or(0);
    u16::try_from(p).ok().filter(|p| *p > 0).ok_or_else(|| {
        settings.invalid(
            "port",
            &format!("port must be between 1 and 65535, got {p}"),
        )
    })
}

/// Whether anything in the pipeline can see `@metadata`: outputs never write it, so only a
/// reference can (a field reference, sprintf or condition naming `@metadata`, anywhere in the
/// parsed config), or a `rubydebug` codec with its `metadata` option. When nothing can, the tcp
/// input skips building its per-connection `@metadata` for every event (about a tenth of the
/// agent's CPU), with no observable difference.
pub(crate) fn observes_metadata(config: &Pipeline) -> bool {
    // The AST's Debug form holds every string, field reference and condition as parsed.
    if format!("{config:?}").contains("@metadata") {
        return true;
    }
    config.plugins().any(|p| {
        p.settings.iter().any(|s| match &s.value {
            crate::config::Value::Plugin(codec) => {
                codec.name == "rubydebug" && codec.settings.iter().any(|c| c.name == "metadata")
            }
            _ => false,
        })
    })
}

fn build_input(plugin: &Plugin, settings_: &Settings, metadata: bool) -> Result<Input> {
    let Some(schema) = input_schema(&plugin.name) else {
        return Err(unknown_plugin(plugin));
    };
    let s = validate::validate(plugin, &schema)?;
    let (codec_name, codec_settings) = codec(&s, &["json_lines", "line", "plain", "json"], "line")?;
    let mut common = CommonInput::new(
        plugin_id(&s, plugin),
        InputCodec::from_name(&codec_name).unwrap_or(InputCodec::Line),
    );
    if let Some((cs, limit)) = codec_settings
        .as_ref()
        .and_then(|cs| cs.integer("decode_size_limit_bytes").map(|l| (cs, l)))
    {
        common.decode_size_limit = usize::try_from(limit)
            .ok()
            .filter(|l| *l > 0)
            .ok_or_else(|| cs.invalid("decode_size_limit_bytes", "must be positive"))?;
    } else {
        common.decode_size_limit = DEFAULT_DECODE_SIZE_LIMIT;
    }
    common.kind = s.string("type").map(str::to_string);
    common.tags = s.strings("tags");
    common.add_field = s
        .hash("add_field")
        .map(|h| {
            h.iter()
                .map(|(k, v)| (k.clone(), validate::json_text(v)))
                .collect()
        })
        .unwrap_or_default();
    let ecs = s
        .string("ecs_compatibility")
        .and_then(Ecs::from_name)
        .unwrap_or(Ecs::V8);
    let host = s.string("host").unwrap_or("127.0.0.1").to_string();
    Ok(match plugin.name.as_str() {
        "tcp" => {
            unsupported_if(
                &s,
                "mode",
                s.string("mode") == Some("client"),
                "mode => client is not supported",
            )?;
            unsupported_if(
                &s,
                "ssl_enabled",
                s.boolean("ssl_enabled") == Some(true),
                "TLS on the tcp input is not supported",
            )?;
            unsupported_if(
                &s,
                "proxy_protocol",
                s.boolean("proxy_protocol") == Some(true),
                "proxy_protocol is not supported",
            )?;
            Input::Tcp(TcpInput {
                common,
                host,
                port: port(&s)?,
                ecs,
                allow_remote: settings_.allow_remote,
                metadata,
            })
        }
        "stdin" => Input::Stdin(StdinInput { common, ecs }),
        _ => {
            unsupported_if(
                &s,
                "ssl_enabled",
                s.boolean("ssl_enabled") == Some(true),
                "TLS on the http input is not supported",
            )?;
            let max = s.integer("max_content_length").unwrap_or(100 * 1024 * 1024);
            Input::Http(HttpInput {
                codec_set: s.codec("codec").is_some() && plugin.setting("codec").is_some(),
                common,
                host,
                port: port(&s)?,
                ecs,
                allow_remote: settings_.allow_remote,
                max_body: usize::try_from(max).unwrap_or(usize::MAX),
            })
        }
    })
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

fn build_output(
    plugin: &Plugin,
    settings_: &Settings,
    dlq: &Option<Arc<DeadLetterQueue>>,
    force: &CancellationToken,
) -> Result<Output> {
    let Some(schema) = output_schema(&plugin.name) else {
        return Err(unknown_plugin(plugin));
    };
    let s = validate::validate(plugin, &schema)?;
    let id = plugin_id(&s, plugin);
    let stats = PluginStats::new(id.clone(), plugin.name.clone());
    let _ = settings_;
    Ok(match plugin.name.as_str() {
        "stdout" => {
            let (name, cs) = codec(
                &s,
                &["rubydebug", "json_lines", "json", "dots", "line", "plain"],
                "rubydebug",
            )?;
            let codec = match name.as_str() {
                "rubydebug" => StdoutCodec::Rubydebug {
                    metadata: cs.and_then(|c| c.boolean("metadata")).unwrap_or(false),
                },
                "json_lines" | "json" => StdoutCodec::JsonLines,
                "dots" => StdoutCodec::Dots,
                _ => StdoutCodec::Line,
            };
            Output::Stdout(StdoutOutput { codec, stats })
        }
        "file" => {
            let (name, _) = codec(&s, &["json_lines", "line", "plain", "json"], "json_lines")?;
            unsupported_if(
                &s,
                "gzip",
                s.boolean("gzip") == Some(true),
                "gzip is not supported",
            )?;
            unsupported_if(
                &s,
                "write_behavior",
                s.string("write_behavior") == Some("overwrite"),
                "write_behavior => overwrite is not supported",
            )?;
            let path = s.string("path").unwrap_or_default();
            let json = matches!(name.as_str(), "json_lines" | "json");
            Output::File(
                FileOutput::new(path, json, stats)
                    .map_err(|e| s.invalid("path", &e.to_string()))?,
            )
        }
        _ => build_es(&s, id, stats, dlq, force)?,
    })
}

fn build_es(
    s: &validate::Settings,
    id: String,
    stats: Arc<PluginStats>,
    dlq: &Option<Arc<DeadLetterQueue>>,
    force: &CancellationToken,
) -> Result<Output> {
    unsupported_if(
        s,
        "pipeline",
        s.is_set("pipeline"),
        "ingest pipelines are not supported (sluice-store has none)",
    )?;
    unsupported_if(
        s,
        "cloud_id",
        s.is_set("cloud_id"),
        "cloud_id is not supported; give hosts",
    )?;
    let action = match s.string("action").unwrap_or("index") {
        "index" => BulkOp::Index,
        "create" => BulkOp::Create,
        other => {
            return Err(s.invalid(
                "action",
                &format!("action {other:?} is not supported (supported: index, create)"),
            ));
        }
    };
    let (index, action) = match s.string("index") {
        Some(i) => (i.to_string(), action),
        None if s.string("data_stream") == Some("true") || !s.is_set("action") => {
            ("logs-generic-default".to_string(), BulkOp::Create)
        }
        None => ("logs-generic-default".to_string(), action),
    };
    let cas = s.strings("ssl_certificate_authorities");
    let https = s.boolean("ssl_enabled").unwrap_or(false)
        || !cas.is_empty()
        || s.is_set("ca_trusted_fingerprint");
    let nodes: Vec<String> = s
        .strings("hosts")
        .iter()
        .map(|h| host_url(h, https))
        .collect();
    let mut cc = ClientConfig::with_nodes(nodes);
    cc.auth = match (s.string("user"), s.string("password"), s.string("api_key")) {
        (_, _, Some(key)) => Some(Auth::api_key(key)),
        (Some(u), p, None) => Some(Auth::basic(u, p.unwrap_or_default())),
        (None, Some(_), None) => return Err(s.invalid("password", "password given without user")),
        (None, None, None) => cc.auth.take(),
    };
    let mut tls = TlsConfig::default();
    tls.ca_cert = cas.first().map(PathBuf::from);
    if cas.len() > 1 {
        return Err(s.invalid(
            "ssl_certificate_authorities",
            "give one PEM file (it may hold several certificates)",
        ));
    }
    tls.ca_fingerprint = s.string("ca_trusted_fingerprint").map(str::to_string);
    tls.insecure = s.string("ssl_verification_mode") == Some("none");
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
    let config = EsOutputConfig {
        id,
        index,
        action,
        document_id: s.string("document_id").map(str::to_string),
        retry_initial: secs("retry_initial_interval", 2),
        retry_max: secs("retry_max_interval", 64),
    };
    Ok(Output::Elasticsearch(Box::new(EsOutput::new(
        config,
        client,
        dlq.clone(),
        force.clone(),
        stats,
    )?)))
}

/// Validates every plugin of `config` and builds the pipeline's components (nothing binds or
/// connects yet). `force` is the token that abandons retrying outputs.
///
/// # Errors
/// The first invalid plugin, as `file:line:column: message`.
pub fn build(
    config: &Pipeline,
    settings: &Settings,
    force: &CancellationToken,
) -> Result<Components> {
    if config.inputs.is_empty() {
        return Err(Error::Config(
            "pipeline has no inputs: add an input section (e.g. input { stdin { } })".into(),
        ));
    }
    let mut inputs = Vec::new();
    let metadata = observes_metadata(config);
    let tree: Tree<()> = Tree::build(&config.inputs, &mut |p: &Plugin| {
        inputs.push(build_input(p, settings, metadata)?);
        Ok(())
    })?;
    drop(tree);
    let filters = Arc::new(FilterChain::build(&config.filters)?);
    let dlq = settings.dead_letter_queue.then(|| {
        Arc::new(DeadLetterQueue::new(
            &settings.path_dead_letter_queue,
            &settings.id,
        ))
    });
    let mut outputs = Vec::new();
    let route: Tree<usize> = Tree::build(&config.outputs, &mut |p: &Plugin| {
        outputs.push(build_output(p, settings, &dlq, force)?);
        Ok(outputs.len() - 1)
    })?;
    let f1 = filters.clone();
    Ok(Components {
        inputs,
        filter: Box::new(move |ev| f1.process(ev) == FilterOutcome::Keep),
        filter_metrics: Box::new(move || filters.stats()),
        outputs,
        route: Box::new(move |ev, f| route.for_each_match(ev, &mut |i: &usize| f(*i))),
    })
}
