//! `syslog_pri`: facility and severity from a syslog PRI value (logstash-filter-syslog_pri).
//!
//! Reads `syslog_pri_field_name` (ECS: `[log][syslog][priority]`, legacy: `syslog_pri`; 13 when
//! absent, as Logstash) and sets, under ECS, `[log][syslog][facility][code|name]` and
//! `[log][syslog][severity][code|name]`; legacy: `syslog_facility_code`, `syslog_facility`,
//! `syslog_severity_code`, `syslog_severity`. Names only with `use_labels` (default).

use log_model::{FieldRef, LogEvent};
use serde_json::Value as Json;

use super::{Common, Filter, FilterOutcome, field_ref, tag_list};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings, json_text};

const FACILITIES: &[&str] = &[
    "kernel",
    "user-level",
    "mail",
    "daemon",
    "security/authorization",
    "syslogd",
    "line printer",
    "network news",
    "uucp",
    "clock",
    "security/authorization",
    "ftp",
    "ntp",
    "log audit",
    "log alert",
    "clock",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];
const SEVERITIES: &[&str] = &[
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "informational",
    "debug",
];

pub(super) fn schema() -> Schema {
    use OptType as T;
    Schema::new(
        PluginKind::Filter,
        "syslog_pri",
        vec![
            OptSpec::new("syslog_pri_field_name", T::String),
            OptSpec::new("use_labels", T::Boolean).default(Default::Bool(true)),
            OptSpec::new("facility_labels", T::Array).default(Default::List(FACILITIES)),
            OptSpec::new("severity_labels", T::Array).default(Default::List(SEVERITIES)),
            OptSpec::new("tag_on_failure", T::Array)
                .default(Default::List(&["_syslogpriparsefailure"])),
            OptSpec::new("ecs_compatibility", T::OneOf(&["disabled", "v1", "v8"])),
        ],
    )
}

pub(super) fn build(settings: &Settings, common: Common) -> Result<Box<dyn Filter>> {
    let ecs = settings.string("ecs_compatibility") != Some("disabled");
    let source = settings.string("syslog_pri_field_name").unwrap_or(if ecs {
        "[log][syslog][priority]"
    } else {
        "syslog_pri"
    });
    let names: [&str; 4] = if ecs {
        [
            "[log][syslog][facility][code]",
            "[log][syslog][facility][name]",
            "[log][syslog][severity][code]",
            "[log][syslog][severity][name]",
        ]
    } else {
        [
            "syslog_facility_code",
            "syslog_facility",
            "syslog_severity_code",
            "syslog_severity",
        ]
    };
    let f = |n: &str| field_ref(n).unwrap_or_else(|| FieldRef::top(n));
    Ok(Box::new(SyslogPri {
        source: field_ref(source)
            .ok_or_else(|| settings.invalid("syslog_pri_field_name", "invalid field"))?,
        targets: names.map(f),
        labels: settings.boolean("use_labels").unwrap_or(true),
        facilities: settings.strings("facility_labels"),
        severities: settings.strings("severity_labels"),
        tag_on_failure: tag_list(settings, "tag_on_failure"),
        common,
    }))
}

#[derive(Debug)]
struct SyslogPri {
    common: Common,
    source: FieldRef,
    targets: [FieldRef; 4],
    labels: bool,
    facilities: Vec<String>,
    severities: Vec<String>,
    tag_on_failure: Vec<String>,
}

impl Filter for SyslogPri {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        let pri = match event.get(&self.source) {
            None | Some(Json::Null) => Some(13),
            Some(Json::Array(items)) => items
                .first()
                .and_then(|v| json_text(v).trim().parse::<u64>().ok()),
            Some(v) => json_text(v).trim().parse::<u64>().ok(),
        };
        let Some(pri) = pri.filter(|p| *p < 192) else {
            self.common.failed(event, &self.tag_on_failure);
            return FilterOutcome::Keep;
        };
        let (facility, severity) = (pri / 8, pri % 8);
        event.insert(&self.targets[0], Json::from(facility));
        event.insert(&self.targets[2], Json::from(severity));
        if self.labels {
            let label = |list: &[String], i: u64| {
                usize::try_from(i).ok().and_then(|i| list.get(i)).cloned()
            };
            if let Some(l) = label(&self.facilities, facility) {
                event.insert(&self.targets[1], Json::String(l));
            }
            if let Some(l) = label(&self.severities, severity) {
                event.insert(&self.targets[3], Json::String(l));
            }
        }
        self.common.matched(event);
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "syslog_pri"
    }
}
