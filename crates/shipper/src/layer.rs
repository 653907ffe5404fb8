//! [`ShipperLayer`]: a `tracing` layer that turns events into log events for a [`Shipper`].
//!
//! [`Shipper`]: crate::Shipper

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::Handle;

/// The field layout of shipped events.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// python-logstash-async's `LogstashFormatter`: `@timestamp`, `@version`, `host`,
    /// `level`, `logsource`, `message`, `pid`, `program`, `type`, `tags`, then the record's
    /// details (`logger_name`, `line`, `path`, `func_name`, `thread_name`, `process_name`)
    /// and the span and event fields.
    ///
    /// `extra_prefix`: python-logstash-async's default, `Some("extra")`, nests the details
    /// and fields under `extra` (`[extra][user]`); `None` keeps them at the top level
    /// (`[user]`), the event shape the seed's `logstash.conf` (`convert => duration`) and
    /// dashboards use, and the same as python-logstash-async with `extra_prefix=''`.
    Logstash {
        /// Object to nest details and fields under, or `None` for the top level.
        extra_prefix: Option<String>,
    },
    /// python-logstash-async's `LogstashEcsFormatter` layout (ECS 8.11 nested objects:
    /// `log.level`, `log.logger`, `host.hostname`, `process.pid`, ...), with the event
    /// fields nested under `extra`.
    Ecs,
}

impl Default for Format {
    /// `Logstash { extra_prefix: None }`.
    fn default() -> Self {
        Self::Logstash { extra_prefix: None }
    }
}

/// Builds a [`ShipperLayer`]; non-consuming.
#[derive(Clone, Debug)]
pub struct LayerBuilder {
    handle: Handle,
    level: LevelFilter,
    format: Format,
    tags: Vec<String>,
    message_type: String,
    host: Option<String>,
    program: Option<String>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

impl LayerBuilder {
    /// Least severe level shipped: `Level::WARN` is the seed's tip 1 ("WARNING and above").
    /// Default: `INFO`.
    pub fn level(&mut self, level: Level) -> &mut Self {
        self.level = LevelFilter::from_level(level);
        self
    }

    /// The field layout. Default: [`Format::default`].
    pub fn format(&mut self, format: Format) -> &mut Self {
        self.format = format;
        self
    }

    /// Tags added to every event (python-logstash-async's `tags=`); a `tags` field on the
    /// event or a span adds more. Default: none.
    pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(&mut self, tags: I) -> &mut Self {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// The `type` field (python-logstash-async's `message_type`). Default: `python-logstash`,
    /// what python-logstash-async sends, so pipelines written for it match.
    pub fn message_type(&mut self, t: impl Into<String>) -> &mut Self {
        self.message_type = t.into();
        self
    }

    /// The `host` and `logsource` fields. Default: this machine's host name.
    pub fn host(&mut self, host: impl Into<String>) -> &mut Self {
        self.host = Some(host.into());
        self
    }

    /// The `program` field. Default: `argv[0]`, as Python's `sys.argv[0]`.
    pub fn program(&mut self, program: impl Into<String>) -> &mut Self {
        self.program = Some(program.into());
        self
    }

    /// The layer.
    #[must_use]
    pub fn build(&self) -> ShipperLayer {
        let program = self.program.clone().unwrap_or_else(|| {
            std::env::args_os()
                .next()
                .map(|a| a.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let process_name = std::path::Path::new(&program)
            .file_name()
            .map_or_else(|| program.clone(), |n| n.to_string_lossy().into_owned());
        ShipperLayer {
            handle: self.handle.clone(),
            level: self.level,
            statics: Arc::new(Statics {
                format: self.format.clone(),
                tags: self.tags.clone(),
                message_type: self.message_type.clone(),
                host: self.host.clone().unwrap_or_else(hostname),
                pid: std::process::id(),
                program,
                process_name,
            }),
        }
    }
}

struct Statics {
    format: Format,
    tags: Vec<String>,
    message_type: String,
    host: String,
    pid: u32,
    program: String,
    process_name: String,
}

/// A `tracing_subscriber` layer that ships every event at or above its level through a
/// [`Handle`]. Span fields (outermost first) and event fields become fields of the log
/// event; the event's target is the logger name. Events of this crate's own targets
/// (`shipper::*`) are never shipped, so a failing agent cannot feed itself.
pub struct ShipperLayer {
    handle: Handle,
    level: LevelFilter,
    statics: Arc<Statics>,
}

impl ShipperLayer {
    /// Starts configuring a layer logging into `handle`.
    #[must_use]
    pub fn builder(handle: Handle) -> LayerBuilder {
        LayerBuilder {
            handle,
            level: LevelFilter::INFO,
            format: Format::default(),
            tags: Vec::new(),
            message_type: "python-logstash".to_owned(),
            host: None,
            program: None,
        }
    }

    /// The log event this layer ships for `event` in the context of `spans` (fields of the
    /// enclosing spans, outermost first). Public for tests and custom layers.
    #[must_use]
    pub fn to_event(&self, event: &Event<'_>, spans: &[&Map<String, Value>]) -> Map<String, Value> {
        self.layout(event, spans).into_map()
    }

    fn layout(&self, event: &Event<'_>, spans: &[&Map<String, Value>]) -> Fields {
        let mut fields = FieldVisitor::default();
        event.record(&mut fields);
        let mut user = Fields::with_capacity(8);
        for s in spans {
            for (k, v) in *s {
                user.insert(k.clone(), v.clone());
            }
        }
        let mut tags = self.statics.tags.clone();
        for (k, v) in fields.fields {
            user.insert(k, v);
        }
        if let Some(t) = user.remove("tags") {
            for tag in tags_of(&t) {
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
        }
        let meta = event.metadata();
        let record = Rec {
            level: python_level(*meta.level()),
            message: fields.message.unwrap_or_default(),
            logger: meta.target(),
            line: meta.line(),
            path: meta.file(),
            function: meta.module_path(),
            thread: std::thread::current()
                .name()
                .unwrap_or("unnamed")
                .to_owned(),
        };
        match &self.statics.format {
            Format::Logstash { extra_prefix } => {
                self.logstash(record, tags, user, extra_prefix.as_deref())
            }
            Format::Ecs => self.ecs(record, tags, user),
        }
    }

    fn logstash(
        &self,
        r: Rec<'_>,
        tags: Vec<String>,
        user: Fields,
        prefix: Option<&str>,
    ) -> Fields {
        let s = &self.statics;
        // Sized for the layout plus a few fields: growing a map re-allocates, which costs more
        // than anything else on the logging thread.
        let mut m = Fields::with_capacity(24);
        m.insert("@timestamp", Value::String(timestamp()));
        m.insert("@version", "1".into());
        m.insert("host", s.host.clone().into());
        m.insert("level", r.level.into());
        m.insert("logsource", s.host.clone().into());
        m.insert("message", r.message.into());
        m.insert("pid", s.pid.into());
        m.insert("program", s.program.clone().into());
        m.insert("type", s.message_type.clone().into());
        if !tags.is_empty() {
            m.insert("tags", tags.into());
        }
        // python-logstash-async's order: the record's own fields, then its details.
        let mut extra = Fields::with_capacity(16);
        let mut fields = Fields::default();
        for (k, v) in user {
            if PROTECTED.contains(&&*k) {
                fields.insert(k, v);
            } else if prefix.is_none() && TOP_LEVEL.contains(&&*k) {
                // Like python-logstash-async: a field named as a top-level one replaces it.
                m.insert(k, v);
            } else {
                extra.insert(k, v);
            }
        }
        let details = [
            ("func_name", opt(r.function)),
            ("line", r.line.map_or(Value::Null, Value::from)),
            ("logger_name", r.logger.into()),
            ("path", opt(r.path)),
            ("process_name", s.process_name.clone().into()),
            ("thread_name", r.thread.into()),
        ];
        for (k, v) in details {
            // A field named like a detail is kept under `fields`, not overwritten.
            if let Some(theirs) = extra.insert(k, v) {
                fields.insert(k, theirs);
            }
        }
        if !fields.is_empty() {
            extra.insert("fields", Value::Object(fields.into_map()));
        }
        match prefix {
            Some(p) => {
                m.insert(p.to_owned(), Value::Object(extra.into_map()));
            }
            None => m.extend(extra),
        }
        m
    }

    fn ecs(&self, r: Rec<'_>, tags: Vec<String>, user: Fields) -> Fields {
        // python-logstash-async's LogstashEcsFormatter, key for key and in its order.
        let s = &self.statics;
        let mut m = Fields::with_capacity(12);
        m.insert("@timestamp", Value::String(timestamp()));
        m.insert("@version", "1".into());
        m.insert("message", r.message.into());
        if !tags.is_empty() {
            m.insert("tags", tags.into());
        }
        if !user.is_empty() {
            m.insert("extra", Value::Object(user.into_map()));
        }
        m.insert("host", obj([("hostname", s.host.clone().into())]));
        let origin = obj([
            ("function", opt(r.function)),
            (
                "file",
                obj([
                    ("line", r.line.map_or(Value::Null, Value::from)),
                    ("name", opt(r.path)),
                ]),
            ),
        ]);
        m.insert(
            "log",
            obj([
                ("level", r.level.into()),
                ("syslog", obj([("hostname", s.host.clone().into())])),
                ("origin", origin),
                ("logger", r.logger.into()),
            ]),
        );
        m.insert(
            "process",
            obj([
                ("pid", s.pid.into()),
                ("executable", s.program.clone().into()),
                ("name", s.process_name.clone().into()),
                ("thread", obj([("name", r.thread.into())])),
            ]),
        );
        m.insert("event", obj([("module", s.message_type.clone().into())]));
        m.insert("ecs", obj([("version", ECS_VERSION.into())]));
        m
    }
}

/// The ECS version python-logstash-async's `LogstashEcsFormatter` declares.
const ECS_VERSION: &str = "8.11.0";

/// Fields the layout owns; an event field with one of these names (or the name of a
/// detail: `line`, `path`, `logger_name`, ...) goes to a `fields` object instead.
const PROTECTED: &[&str] = &["@timestamp", "@version", "message", "level"];
/// python-logstash-async's top-level field list.
const TOP_LEVEL: &[&str] = &["host", "logsource", "pid", "program", "type", "@metadata"];

struct Rec<'a> {
    level: &'static str,
    message: String,
    logger: &'a str,
    line: Option<u32>,
    path: Option<&'a str>,
    function: Option<&'a str>,
    thread: String,
}

fn opt(s: Option<&str>) -> Value {
    s.map_or(Value::Null, Value::from)
}

fn obj<const N: usize>(kv: [(&str, Value); N]) -> Value {
    Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// Python's level names (`WARNING`, not `WARN`); `TRACE` has no Python equivalent.
fn python_level(l: Level) -> &'static str {
    match l {
        Level::ERROR => "ERROR",
        Level::WARN => "WARNING",
        Level::INFO => "INFO",
        Level::DEBUG => "DEBUG",
        Level::TRACE => "TRACE",
    }
}

/// `2026-11-24T22:15:44.123Z`, as python-logstash-async formats `@timestamp`.
fn timestamp() -> String {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    let t = chrono::Utc::now();
    let mut out = String::with_capacity(24);
    // Writing into a String cannot fail.
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.timestamp_subsec_millis().min(999)
    );
    out
}

/// Tags from a `tags` field: `"a,b"`, or the Debug form of a list (`?["a", "b"]`).
fn tags_of(v: &Value) -> Vec<String> {
    let Value::String(s) = v else {
        return vec![v.to_string()];
    };
    let s = s.trim();
    if s.starts_with('[')
        && let Ok(list) = serde_json::from_str::<Vec<String>>(s)
    {
        return list;
    }
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Collects `tracing` fields as JSON values; `message` separately.
#[derive(Default)]
struct FieldVisitor {
    message: Option<String>,
    fields: Fields,
}

impl FieldVisitor {
    fn put(&mut self, field: &Field, v: Value) {
        if field.name() == "message" {
            self.message = Some(match v {
                Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.fields.insert(field.name(), v);
        }
    }
}

impl Visit for FieldVisitor {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let v = serde_json::Number::from_f64(value)
            .map_or_else(|| value.to_string().into(), Value::Number);
        self.put(field, v);
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, value.to_string().into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, format!("{value:?}").into());
    }
}

/// An ordered map for building one event: `insert` replaces in place like `serde_json::Map`,
/// but a handful of fields are found by comparing names, not by hashing, and the layout's
/// own names are not allocated. Serialized straight to the wire form.
#[derive(Default)]
struct Fields(Vec<(Cow<'static, str>, Value)>);

impl Fields {
    fn with_capacity(n: usize) -> Self {
        Fields(Vec::with_capacity(n))
    }

    fn insert(&mut self, k: impl Into<Cow<'static, str>>, v: Value) -> Option<Value> {
        let k = k.into();
        match self.0.iter_mut().find(|(name, _)| *name == k) {
            Some((_, old)) => Some(std::mem::replace(old, v)),
            None => {
                self.0.push((k, v));
                None
            }
        }
    }

    fn remove(&mut self, k: &str) -> Option<Value> {
        let i = self.0.iter().position(|(name, _)| name == k)?;
        Some(self.0.remove(i).1)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn extend(&mut self, other: Fields) {
        for (k, v) in other.0 {
            self.insert(k, v);
        }
    }

    fn into_map(self) -> Map<String, Value> {
        let mut m = Map::with_capacity(self.0.len());
        for (k, v) in self.0 {
            m.insert(k.into_owned(), v);
        }
        m
    }
}

impl IntoIterator for Fields {
    type Item = (Cow<'static, str>, Value);
    type IntoIter = std::vec::IntoIter<(Cow<'static, str>, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl serde::Serialize for Fields {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(&**k, v)?;
        }
        m.end()
    }
}

/// Span fields, kept in the span's extensions.
struct SpanFields(Map<String, Value>);

impl<S> tracing_subscriber::Layer<S> for ShipperLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut v = FieldVisitor::default();
        attrs.record(&mut v);
        if let Some(m) = v.message {
            v.fields.insert("message", m.into());
        }
        span.extensions_mut()
            .insert(SpanFields(v.fields.into_map()));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut v = FieldVisitor::default();
        values.record(&mut v);
        let mut ext = span.extensions_mut();
        if let Some(SpanFields(m)) = ext.get_mut::<SpanFields>() {
            m.extend(v.fields.into_map());
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        if *meta.level() > self.level || is_own(meta.target()) {
            return;
        }
        let ev = match ctx.event_scope(event) {
            Some(scope) => {
                let spans: Vec<_> = scope.from_root().collect();
                let exts: Vec<_> = spans.iter().map(|s| s.extensions()).collect();
                let maps: Vec<&Map<String, Value>> = exts
                    .iter()
                    .filter_map(|e| e.get::<SpanFields>().map(|f| &f.0))
                    .collect();
                self.layout(event, &maps)
            }
            None => self.layout(event, &[]),
        };
        // Serialized here and the map freed on this thread: handing the map to the sender
        // thread made every event's allocations cross threads, which the allocator charges
        // back to this thread.
        self.handle.log_serialized(&ev);
    }
}

fn is_own(target: &str) -> bool {
    target == "shipper" || target.starts_with("shipper::")
}
