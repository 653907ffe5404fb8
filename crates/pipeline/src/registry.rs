//! The plugin seam shared by the four plugin kinds (input, filter, output, codec).
//!
//! Each kind keeps one table next to its plugins ([`crate::input::REGISTRY`],
//! [`crate::filter::REGISTRY`], [`crate::output::REGISTRY`], [`crate::codec::REGISTRY`]): a row
//! is `{ name, schema, build }`, so adding a plugin is one new file and one table line. A name
//! that is in no table is an error naming it; a plugin that only exists on the JVM (its
//! implementation is Ruby or Java code, e.g. `ruby`, `jdbc`, `kafka`) is refused with a message
//! that says so, before any of its settings is looked at.

use crate::Error;
use crate::config::{Plugin, PluginKind};

/// Plugins whose Logstash implementation needs the JVM (Ruby code run by JRuby, or a Java
/// client library), by kind.
const JVM_BOUND: &[(PluginKind, &[&str])] = &[
    (
        PluginKind::Input,
        &[
            "jdbc",
            "kafka",
            "jms",
            "jmx",
            "log4j",
            "rabbitmq",
            "java_generator",
            "java_stdin",
            "exec",
            "pipe",
        ],
    ),
    (
        PluginKind::Filter,
        &[
            "ruby",
            "jdbc_streaming",
            "jdbc_static",
            "java_uuid",
            "aggregate",
            "memcached",
        ],
    ),
    (
        PluginKind::Output,
        &[
            "kafka",
            "jdbc",
            "java_stdout",
            "java_sink",
            "rabbitmq",
            "exec",
            "pipe",
        ],
    ),
    (
        PluginKind::Codec,
        &["java_line", "java_plain", "avro", "protobuf", "netflow"],
    ),
];

/// Logstash plugins sluice-agent does not have (yet), by kind: refused by name with a message
/// that says so rather than Logstash's "not installed".
const NOT_PORTED: &[(PluginKind, &[&str])] = &[
    (
        PluginKind::Input,
        &[
            "s3",
            "sqs",
            "google_pubsub",
            "azure_event_hubs",
            "snmp",
            "snmptrap",
            "elasticsearch",
            "twitter",
            "imap",
            "cloudwatch",
            "unix",
            "websocket",
            "relp",
            "lumberjack",
            "tcp_client",
        ],
    ),
    (
        PluginKind::Filter,
        &[
            "elasticsearch",
            "http",
            "metrics",
            "throttle",
            "xml",
            "de_dot",
            "environment",
            "extractnumbers",
            "sleep",
            "tld",
            "alter",
            "anonymize",
            "checksum",
            "math",
            "range",
            "bytes",
            "age",
            "threats_classifier",
        ],
    ),
    (
        PluginKind::Output,
        &[
            "redis",
            "s3",
            "email",
            "http",
            "tcp",
            "udp",
            "syslog",
            "google_bigquery",
            "influxdb",
            "mongodb",
            "pagerduty",
            "sns",
            "sqs",
            "statsd",
            "nagios",
            "graphite",
            "null",
            "opensearch",
            "loki",
            "csv",
            "lumberjack",
            "websocket",
            "gelf",
            "zabbix",
        ],
    ),
    (
        PluginKind::Codec,
        &[
            "collectd",
            "fluent",
            "msgpack",
            "edn",
            "graphite",
            "es_bulk",
            "nmap",
            "gzip_lines",
        ],
    ),
];

fn listed(table: &[(PluginKind, &[&str])], kind: PluginKind, name: &str) -> bool {
    table
        .iter()
        .any(|(k, names)| *k == kind && names.contains(&name))
}

/// Whether `name` is a Logstash plugin of `kind` that needs the JVM.
#[must_use]
pub fn is_jvm_bound(kind: PluginKind, name: &str) -> bool {
    listed(JVM_BOUND, kind, name)
}

/// The error for a plugin name in no registry: "not supported (it needs the JVM)" for a known
/// Logstash plugin that sluice-agent cannot run, Logstash's "Couldn't find any ... plugin" for
/// any other name.
#[must_use]
pub fn unknown(plugin: &Plugin) -> Error {
    if is_jvm_bound(plugin.kind, &plugin.name) {
        return Error::ConfigAt {
            span: plugin.span.clone(),
            message: format!(
                "{kind} plugin [{name}] is not supported by sluice-agent (it needs the JVM); remove it or run this pipeline on Logstash",
                kind = plugin.kind,
                name = plugin.name
            ),
        };
    }
    if listed(NOT_PORTED, plugin.kind, &plugin.name) {
        return Error::ConfigAt {
            span: plugin.span.clone(),
            message: format!(
                "{kind} plugin [{name}] is not supported by sluice-agent yet",
                kind = plugin.kind,
                name = plugin.name
            ),
        };
    }
    crate::config::validate::unknown_plugin(plugin)
}
