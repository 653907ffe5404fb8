use serde_json::{Map, Value};

use crate::{Error, FieldRef, Level, Result, Timestamp};

/// One log event: an ordered JSON object. Field order is preserved; unknown fields are kept.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct LogEvent {
    fields: Map<String, Value>,
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
        Self { fields }
    }

    /// Parses one JSON object.
    ///
    /// # Errors
    /// [`Error::InvalidEvent`] when the bytes are not JSON or not an object.
    pub fn from_json_slice(bytes: &[u8]) -> Result<Self> {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(fields)) => Ok(Self { fields }),
            Ok(other) => Err(Error::InvalidEvent(format!(
                "expected a JSON object, found {}",
                kind(&other)
            ))),
            Err(e) => Err(Error::InvalidEvent(e.to_string())),
        }
    }

    /// The fields.
    #[must_use]
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.fields
    }

    /// The fields, mutable.
    pub fn as_map_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.fields
    }

    /// The fields, owned.
    #[must_use]
    pub fn into_map(self) -> Map<String, Value> {
        self.fields
    }

    /// Compact JSON.
    #[must_use]
    pub fn to_json_vec(&self) -> Vec<u8> {
        serde_json::to_vec(&self.fields).expect("a JSON map always serialises")
    }

    /// The value at `path`, if every step exists and is an object.
    #[must_use]
    pub fn get(&self, path: &FieldRef) -> Option<&Value> {
        let (first, rest) = path.segments().split_first()?;
        rest.iter()
            .try_fold(self.fields.get(first)?, |v, seg| v.as_object()?.get(seg))
    }

    /// The value at `path`, mutable.
    pub fn get_mut(&mut self, path: &FieldRef) -> Option<&mut Value> {
        let (first, rest) = path.segments().split_first()?;
        rest.iter().try_fold(self.fields.get_mut(first)?, |v, seg| {
            v.as_object_mut()?.get_mut(seg)
        })
    }

    /// Sets `path` to `value`, creating objects on the way (a non-object in the way is
    /// replaced by an object, as Logstash does). Returns the previous value.
    pub fn insert(&mut self, path: &FieldRef, value: Value) -> Option<Value> {
        let (last, parents) = path.segments().split_last()?;
        let mut map = &mut self.fields;
        for seg in parents {
            let slot = map
                .entry(seg.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            map = slot.as_object_mut()?;
        }
        map.insert(last.clone(), value)
    }

    /// Removes the value at `path` (order of the remaining fields is kept).
    pub fn remove(&mut self, path: &FieldRef) -> Option<Value> {
        let (last, parents) = path.segments().split_last()?;
        let mut map = &mut self.fields;
        for seg in parents {
            map = map.get_mut(seg)?.as_object_mut()?;
        }
        map.shift_remove(last)
    }

    /// `@timestamp` (or, failing that, the seed's `timestamp`), parsed; a string in any
    /// form [`Timestamp::parse`] accepts, or a number of epoch milliseconds.
    #[must_use]
    pub fn timestamp(&self) -> Option<Timestamp> {
        ["@timestamp", "timestamp"]
            .iter()
            .find_map(|k| match self.fields.get(*k)? {
                Value::String(s) => Timestamp::parse(s).ok(),
                Value::Number(n) => Timestamp::from_epoch_millis(n.as_i64()?).ok(),
                _ => None,
            })
    }

    /// Writes `@timestamp` in Elasticsearch's form.
    pub fn set_timestamp(&mut self, ts: Timestamp) {
        self.fields
            .insert("@timestamp".to_owned(), Value::String(ts.to_es_string()));
    }

    /// The level from `level`, ECS `log.level` (nested or dotted key) or Python's `levelname`.
    #[must_use]
    pub fn level(&self) -> Option<Level> {
        let v = self
            .fields
            .get("level")
            .or_else(|| self.nested(&["log", "level"]))
            .or_else(|| self.fields.get("log.level"))
            .or_else(|| self.fields.get("levelname"))?;
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
        if let Some(v) = self.fields.get("duration") {
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
        match self.fields.get("tags") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(s)) => vec![s.as_str()],
            _ => Vec::new(),
        }
    }

    /// Appends `tag` to `tags` unless present (Logstash's `add_tag`).
    pub fn add_tag(&mut self, tag: &str) {
        let slot = self
            .fields
            .entry("tags".to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
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
        match self.fields.get_mut("tags") {
            Some(Value::Array(a)) => a.retain(|t| t.as_str() != Some(tag)),
            Some(Value::String(s)) if s == tag => {
                self.fields.shift_remove("tags");
            }
            _ => {}
        }
    }

    fn str_field(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|k| self.fields.get(*k)?.as_str())
    }

    fn nested(&self, path: &[&str]) -> Option<&Value> {
        let (first, rest) = path.split_first()?;
        rest.iter()
            .try_fold(self.fields.get(*first)?, |v, seg| v.as_object()?.get(*seg))
    }
}

impl From<Map<String, Value>> for LogEvent {
    fn from(fields: Map<String, Value>) -> Self {
        Self { fields }
    }
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
