mod lazy;
#[cfg(test)]
mod tests;
mod text;
mod write;

pub use text::{Key, MemberName, ObjectWriter};

use std::borrow::Cow;

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::{Error, FieldRef, Level, Result, Timestamp};
use lazy::RawObject;

/// One log event: an ordered JSON object. Field order is preserved; unknown fields are kept.
///
/// An event built with [`LogEvent::from_json_bytes`] keeps the bytes it was parsed from and
/// parses each top-level field only when something reads it; [`LogEvent::write_json`] writes
/// the fields nobody changed as the bytes that arrived. Every other constructor holds a parsed
/// map. Both behave the same through this API; [`LogEvent::as_map_mut`] turns a lazy event into
/// a parsed one.
#[derive(Clone, Default)]
pub struct LogEvent {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    Map(Map<String, Value>),
    Raw(RawObject),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Map(Map::new())
    }
}

impl LogEvent {
    /// An empty event.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Wraps an existing object.
    #[must_use]
    pub fn from_map(fields: Map<String, Value>) -> Self {
        Self {
            repr: Repr::Map(fields),
        }
    }

    /// An event of the given fields, in order; a name given twice keeps its last value in
    /// its first place, as a map would. Built for adding to cheaply (a text line's event:
    /// `message`, then the fields inputs and filters add), with no hashing of names.
    #[must_use]
    pub fn from_fields<const N: usize>(fields: [(&'static str, Value); N]) -> Self {
        let mut r = RawObject::from_fields(std::iter::empty());
        for (k, v) in fields {
            r.insert(Cow::Borrowed(k), v);
        }
        Self { repr: Repr::Raw(r) }
    }

    /// Parses one JSON object.
    ///
    /// # Errors
    /// [`Error::InvalidEvent`] when the bytes are not JSON or not an object.
    pub fn from_json_slice(bytes: &[u8]) -> Result<Self> {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(fields)) => Ok(Self::from_map(fields)),
            Ok(other) => Err(Error::InvalidEvent(format!(
                "expected a JSON object, found {}",
                kind(&other)
            ))),
            Err(e) => Err(Error::InvalidEvent(e.to_string())),
        }
    }

    /// Parses one JSON object lazily: the whole object is validated now (it is accepted exactly
    /// when [`LogEvent::from_json_slice`] accepts it, with the same fields), but each top-level
    /// value is parsed on first read, and unchanged fields are written out as received.
    ///
    /// # Errors
    /// As [`LogEvent::from_json_slice`].
    pub fn from_json_bytes(bytes: Bytes) -> Result<Self> {
        match RawObject::scan(bytes) {
            Ok(raw) => Ok(Self {
                repr: Repr::Raw(raw),
            }),
            // Not an object, malformed, or a shape the lazy form leaves to the full parse
            // (escaped or duplicate names): the full parse decides and reports.
            Err(bytes) => Self::from_json_slice(&bytes),
        }
    }

    /// True while the event still holds the bytes it was parsed from (see
    /// [`LogEvent::from_json_bytes`]).
    #[must_use]
    pub fn is_lazy(&self) -> bool {
        matches!(self.repr, Repr::Raw(_))
    }

    /// The fields (a lazy event parses all of them once, and keeps the map until it changes).
    #[must_use]
    pub fn as_map(&self) -> &Map<String, Value> {
        match &self.repr {
            Repr::Map(m) => m,
            Repr::Raw(r) => r.map.get_or_init(|| r.to_map()),
        }
    }

    /// The fields, mutable (a lazy event becomes a parsed one).
    pub fn as_map_mut(&mut self) -> &mut Map<String, Value> {
        if let Repr::Raw(_) = self.repr
            && let Repr::Raw(raw) = std::mem::take(&mut self.repr)
        {
            self.repr = Repr::Map(raw.into_map());
        }
        match &mut self.repr {
            Repr::Map(m) => m,
            Repr::Raw(_) => unreachable!("converted above"),
        }
    }

    /// The fields, owned.
    #[must_use]
    pub fn into_map(self) -> Map<String, Value> {
        match self.repr {
            Repr::Map(m) => m,
            Repr::Raw(r) => r.into_map(),
        }
    }

    /// Compact JSON.
    #[must_use]
    pub fn to_json_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write_json(&mut out, &[]);
        out
    }

    /// About how many bytes [`LogEvent::write_json`] writes, to size a buffer: exact enough
    /// that a buffer of this size rarely regrows, cheap enough to ask for every event.
    #[must_use]
    pub fn json_len_hint(&self) -> usize {
        match &self.repr {
            Repr::Raw(r) => r.json_len_hint(),
            // seed events serialise to about 250 bytes
            Repr::Map(m) => 64 + 48 * m.len(),
        }
    }

    /// Appends the event as compact JSON to `out`, leaving out the top-level fields named in
    /// `skip` (e.g. `@metadata`). A lazy event writes its unchanged fields as received.
    pub fn write_json(&self, out: &mut Vec<u8>, skip: &[&str]) {
        match &self.repr {
            Repr::Raw(r) => r.write_json(out, skip),
            Repr::Map(m) => write::object(out, m, skip),
        }
    }

    /// The top-level field `key`.
    #[must_use]
    pub fn field(&self, key: &str) -> Option<&Value> {
        match &self.repr {
            Repr::Map(m) => m.get(key),
            Repr::Raw(r) => r.get(key),
        }
    }

    /// True when the top-level field `key` exists (a lazy event does not parse it).
    #[must_use]
    pub fn contains_field(&self, key: &str) -> bool {
        match &self.repr {
            Repr::Map(m) => m.contains_key(key),
            Repr::Raw(r) => r.position(key).is_some(),
        }
    }

    /// The top-level field `key` when it is a string. On a lazy event this reads a string
    /// received without escapes straight from the received bytes.
    #[must_use]
    pub fn field_str(&self, key: &str) -> Option<&str> {
        match &self.repr {
            Repr::Map(m) => m.get(key)?.as_str(),
            Repr::Raw(r) => r.get_str(key),
        }
    }

    /// The top-level field `key`, mutable.
    pub fn field_mut(&mut self, key: &str) -> Option<&mut Value> {
        match &mut self.repr {
            Repr::Map(m) => m.get_mut(key),
            Repr::Raw(r) => r.get_mut(key),
        }
    }

    /// Sets the top-level field `key` (in place when present, else last); returns the
    /// previous value.
    pub fn insert_field(
        &mut self,
        key: impl Into<Cow<'static, str>>,
        value: Value,
    ) -> Option<Value> {
        match &mut self.repr {
            Repr::Map(m) => m.insert(key.into().into_owned(), value),
            Repr::Raw(r) => r.insert(key.into(), value),
        }
    }

    /// Sets the top-level field `key` (in place when present, else last) to an object whose
    /// members `build` writes, kept as JSON text: written out as it is, parsed only if
    /// something reads the field. Cheaper than building the object's map when nothing reads it.
    pub fn insert_field_object(
        &mut self,
        key: impl Into<Cow<'static, str>>,
        build: impl FnOnce(&mut ObjectWriter<'_>),
    ) {
        if let Repr::Map(m) = &mut self.repr {
            self.repr = Repr::Raw(RawObject::from_map(std::mem::take(m)));
        }
        if let Repr::Raw(r) = &mut self.repr {
            r.insert_object(key.into(), build);
        }
    }

    /// Replaces the value of the existing top-level field `key` without reading the old one
    /// (a lazy event does not parse it); `false` when there is no such field.
    pub fn replace_field(&mut self, key: &str, value: Value) -> bool {
        match &mut self.repr {
            Repr::Map(m) => m.get_mut(key).map(|v| *v = value).is_some(),
            Repr::Raw(r) => r.replace(key, value),
        }
    }

    /// Removes the top-level field `key` (order of the remaining fields is kept).
    pub fn remove_field(&mut self, key: &str) -> Option<Value> {
        match &mut self.repr {
            Repr::Map(m) => m.shift_remove(key),
            Repr::Raw(r) => r.remove(key),
        }
    }

    /// The top-level field `key`, inserting `default()` when absent.
    fn field_or_insert_with(&mut self, key: &str, default: impl FnOnce() -> Value) -> &mut Value {
        if !self.contains_field(key) {
            self.insert_field(key.to_owned(), default());
        }
        self.field_mut(key).expect("inserted above")
    }

    /// The value at `path`, if every step exists and is an object.
    #[must_use]
    pub fn get(&self, path: &FieldRef) -> Option<&Value> {
        let (first, rest) = path.segments().split_first()?;
        rest.iter()
            .try_fold(self.field(first)?, |v, seg| v.as_object()?.get(seg))
    }

    /// The value at `path`, mutable.
    pub fn get_mut(&mut self, path: &FieldRef) -> Option<&mut Value> {
        let (first, rest) = path.segments().split_first()?;
        rest.iter().try_fold(self.field_mut(first)?, |v, seg| {
            v.as_object_mut()?.get_mut(seg)
        })
    }

    /// Sets `path` to `value`, creating objects on the way (a non-object in the way is
    /// replaced by an object, as Logstash does). Returns the previous value.
    pub fn insert(&mut self, path: &FieldRef, value: Value) -> Option<Value> {
        let (last, parents) = path.segments().split_last()?;
        let Some((first, middle)) = parents.split_first() else {
            return self.insert_field(last.clone(), value);
        };
        let mut slot = self.field_or_insert_with(first, || Value::Object(Map::new()));
        for seg in middle {
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            slot = slot
                .as_object_mut()?
                .entry(seg.clone())
                .or_insert_with(|| Value::Object(Map::new()));
        }
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        slot.as_object_mut()?.insert(last.clone(), value)
    }

    /// The value at `path`, created as `null` when absent, with objects created on the way (a
    /// non-object in the way is replaced by an object, as [`LogEvent::insert`] does). One walk,
    /// and a key is copied only where it is new.
    pub fn slot_mut(&mut self, path: &FieldRef) -> Option<&mut Value> {
        let (first, rest) = path.segments().split_first()?;
        let mut slot = self.field_or_insert_with(first, || {
            if rest.is_empty() {
                Value::Null
            } else {
                Value::Object(Map::new())
            }
        });
        for (i, seg) in rest.iter().enumerate() {
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            let map = slot.as_object_mut()?;
            if !map.contains_key(seg) {
                let fresh = if i + 1 == rest.len() {
                    Value::Null
                } else {
                    Value::Object(Map::new())
                };
                map.insert(seg.clone(), fresh);
            }
            slot = map.get_mut(seg)?;
        }
        Some(slot)
    }

    /// Removes the value at `path` (order of the remaining fields is kept).
    pub fn remove(&mut self, path: &FieldRef) -> Option<Value> {
        let (last, parents) = path.segments().split_last()?;
        let Some((first, middle)) = parents.split_first() else {
            return self.remove_field(last);
        };
        // Look before converting a lazy field to its owned form.
        self.get(path)?;
        let mut map = self.field_mut(first)?.as_object_mut()?;
        for seg in middle {
            map = map.get_mut(seg)?.as_object_mut()?;
        }
        map.shift_remove(last)
    }

    /// `@timestamp` (or, failing that, the seed's `timestamp`), parsed; a string in any
    /// form [`Timestamp::parse`] accepts, or a number of epoch milliseconds.
    #[must_use]
    pub fn timestamp(&self) -> Option<Timestamp> {
        ["@timestamp", "timestamp"].iter().find_map(|k| {
            if let Some(s) = self.field_str(k) {
                return Timestamp::parse(s).ok();
            }
            match self.field(k)? {
                Value::String(s) => Timestamp::parse(s).ok(),
                Value::Number(n) => Timestamp::from_epoch_millis(n.as_i64()?).ok(),
                _ => None,
            }
        })
    }

    /// Writes `@timestamp` in Elasticsearch's form.
    pub fn set_timestamp(&mut self, ts: Timestamp) {
        self.insert_field("@timestamp", Value::String(ts.to_es_string()));
    }

    /// The level from `level`, ECS `log.level` (nested or dotted key) or Python's `levelname`.
    #[must_use]
    pub fn level(&self) -> Option<Level> {
        let v = self
            .field("level")
            .or_else(|| self.nested(&["log", "level"]))
            .or_else(|| self.field("log.level"))
            .or_else(|| self.field("levelname"))?;
        match v {
            Value::String(s) => Level::parse(s).ok(),
            Value::Number(n) => Level::from_python_number(n.as_i64()?),
            _ => None,
        }
    }

    /// `message`.
    #[must_use]
    pub fn message(&self) -> Option<&str> {
        self.str_field(&["message"])
    }

    /// `user`, or ECS `user.name`.
    #[must_use]
    pub fn user(&self) -> Option<&str> {
        self.str_field(&["user"])
            .or_else(|| self.nested(&["user", "name"])?.as_str())
    }

    /// `action`, or ECS `event.action`.
    #[must_use]
    pub fn action(&self) -> Option<&str> {
        self.str_field(&["action"])
            .or_else(|| self.nested(&["event", "action"])?.as_str())
    }

    /// `source`, or ECS `service.name`.
    #[must_use]
    pub fn source(&self) -> Option<&str> {
        self.str_field(&["source"])
            .or_else(|| self.nested(&["service", "name"])?.as_str())
    }

    /// `host` as a string, or `host.name` (python-logstash-async and ECS).
    #[must_use]
    pub fn host(&self) -> Option<&str> {
        self.str_field(&["host"])
            .or_else(|| self.nested(&["host", "name"])?.as_str())
    }

    /// `logger`, `logger_name` (python-logstash-async) or ECS `log.logger`.
    #[must_use]
    pub fn logger(&self) -> Option<&str> {
        self.str_field(&["logger", "logger_name"])
            .or_else(|| self.nested(&["log", "logger"])?.as_str())
    }

    /// `duration` in seconds: a number or a numeric string (Logstash's `mutate convert`
    /// turns the latter into the former). Falls back to ECS `event.duration` (nanoseconds).
    #[must_use]
    pub fn duration(&self) -> Option<f64> {
        if let Some(v) = self.field("duration") {
            return match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
        }
        #[allow(clippy::cast_precision_loss)]
        self.nested(&["event", "duration"])?
            .as_i64()
            .map(|ns| ns as f64 / 1e9)
    }

    /// The string members of `tags` (a single string counts as one tag).
    #[must_use]
    pub fn tags(&self) -> Vec<&str> {
        match self.field("tags") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(s)) => vec![s.as_str()],
            _ => Vec::new(),
        }
    }

    /// Appends `tag` to `tags` unless present (Logstash's `add_tag`).
    pub fn add_tag(&mut self, tag: &str) {
        let slot = self.field_or_insert_with("tags", || Value::Array(Vec::new()));
        if let Value::String(s) = slot {
            *slot = Value::Array(vec![Value::String(std::mem::take(s))]);
        }
        if !slot.is_array() {
            *slot = Value::Array(Vec::new());
        }
        if let Value::Array(a) = slot
            && !a.iter().any(|t| t.as_str() == Some(tag))
        {
            a.push(Value::String(tag.to_owned()));
        }
    }

    /// Removes `tag` from `tags`.
    pub fn remove_tag(&mut self, tag: &str) {
        match self.field("tags") {
            Some(Value::Array(a)) if a.iter().any(|t| t.as_str() == Some(tag)) => {
                if let Some(Value::Array(a)) = self.field_mut("tags") {
                    a.retain(|t| t.as_str() != Some(tag));
                }
            }
            Some(Value::String(s)) if s == tag => {
                self.remove_field("tags");
            }
            _ => {}
        }
    }

    fn str_field(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|k| self.field(k)?.as_str())
    }

    fn nested(&self, path: &[&str]) -> Option<&Value> {
        let (first, rest) = path.split_first()?;
        rest.iter()
            .try_fold(self.field(first)?, |v, seg| v.as_object()?.get(*seg))
    }
}

impl From<Map<String, Value>> for LogEvent {
    fn from(fields: Map<String, Value>) -> Self {
        Self::from_map(fields)
    }
}

impl PartialEq for LogEvent {
    fn eq(&self, other: &Self) -> bool {
        self.as_map() == other.as_map()
    }
}

impl std::fmt::Debug for LogEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogEvent")
            .field("fields", self.as_map())
            .finish()
    }
}

impl serde::Serialize for LogEvent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match &self.repr {
            Repr::Map(m) => m.serialize(s),
            Repr::Raw(r) => {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(Some(r.entries.len()))?;
                for e in &r.entries {
                    m.serialize_entry(r.key(e), r.value(e))?;
                }
                m.end()
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for LogEvent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Map::deserialize(d).map(Self::from_map)
    }
}

/// `name` as a `&'static str`, stored once per distinct name for the life of the process: for
/// field names a filter knows when it is built and sets on every event (grok's capture
/// fields), so that setting them copies no name. Only for names from configurations (a
/// bounded set), never for names read from events.
#[must_use]
pub fn intern(name: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
