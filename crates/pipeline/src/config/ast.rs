//! The syntax tree of a Logstash pipeline config, with the position of every plugin and setting.

use std::fmt;
use std::sync::Arc;

use super::condition::Condition;

/// A position in a config file: 1-based line and column (in characters, as Logstash counts) and
/// the 0-based byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The file name as given to [`super::load`] or [`super::parse_str`].
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
    /// 0-based byte offset into the file.
    pub byte: usize,
}

impl fmt::Display for Span {
    /// `file:line:column`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A whole pipeline: the contents of every `input`, `filter` and `output` section, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pipeline {
    /// Plugins and conditionals of all `input { }` sections.
    pub inputs: Vec<Node>,
    /// Plugins and conditionals of all `filter { }` sections, in file order.
    pub filters: Vec<Node>,
    /// Plugins and conditionals of all `output { }` sections.
    pub outputs: Vec<Node>,
}

impl Pipeline {
    /// Every plugin of the pipeline (inputs, filters, outputs, depth first), without codecs.
    pub fn plugins(&self) -> impl Iterator<Item = &Plugin> {
        let mut out = Vec::new();
        for nodes in [&self.inputs, &self.filters, &self.outputs] {
            collect_plugins(nodes, &mut out);
        }
        out.into_iter()
    }
}

fn collect_plugins<'a>(nodes: &'a [Node], out: &mut Vec<&'a Plugin>) {
    for node in nodes {
        match node {
            Node::Plugin(p) => out.push(p),
            Node::Branch(b) => {
                for arm in &b.arms {
                    collect_plugins(&arm.body, out);
                }
                if let Some(body) = &b.otherwise {
                    collect_plugins(body, out);
                }
            }
        }
    }
}

/// One element of a section body.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `name { settings }`.
    Plugin(Plugin),
    /// `if ... { } else if ... { } else { }`.
    Branch(Branch),
}

/// `if` / `else if` / `else`.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// The `if` arm, then each `else if` arm, in order (never empty).
    pub arms: Vec<Arm>,
    /// The `else` body, if any.
    pub otherwise: Option<Vec<Node>>,
    /// Where the `if` keyword is.
    pub span: Span,
}

/// One conditional arm: run `body` when `condition` holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    /// The condition.
    pub condition: Condition,
    /// What runs when it holds.
    pub body: Vec<Node>,
    /// Where the condition starts.
    pub span: Span,
}

/// The kind of a plugin: the section it is in, or `Codec` for a plugin given as a setting value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PluginKind {
    /// In an `input` section.
    Input,
    /// In a `filter` section.
    Filter,
    /// In an `output` section.
    Output,
    /// `codec => name { ... }`.
    Codec,
}

impl PluginKind {
    /// `input`, `filter`, `output` or `codec`, as Logstash names plugin types.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Input => "input",
            PluginKind::Filter => "filter",
            PluginKind::Output => "output",
            PluginKind::Codec => "codec",
        }
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A plugin with its settings as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Plugin {
    /// Section kind (or `Codec`).
    pub kind: PluginKind,
    /// `mutate`, `tcp`, ...
    pub name: String,
    /// Settings in the order written; a name may repeat (see [`super::validate`]).
    pub settings: Vec<Setting>,
    /// Where the plugin name is.
    pub span: Span,
}

impl Plugin {
    /// The last setting named `name`, if any.
    #[must_use]
    pub fn setting(&self, name: &str) -> Option<&Setting> {
        self.settings.iter().rev().find(|s| s.name == name)
    }
}

/// `name => value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// The option name (quotes removed).
    pub name: String,
    /// Its value.
    pub value: Value,
    /// Where the name is.
    pub span: Span,
    /// Where the value starts.
    pub value_span: Span,
}

/// A number as written: `5` is an integer, `5.0` a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// No decimal point.
    Integer(i64),
    /// With a decimal point (or an integer too large for `i64`).
    Float(f64),
}

impl Number {
    /// The value as `f64`.
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Integer(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    /// The value as JSON.
    #[must_use]
    pub fn to_json(self) -> serde_json::Value {
        match self {
            Number::Integer(i) => serde_json::Value::from(i),
            Number::Float(f) => serde_json::Number::from_f64(f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Integer(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x:?}"),
        }
    }
}

/// A setting value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `"..."` or `'...'`, quotes removed (escapes processed only with `support_escapes`).
    String(String),
    /// `5`, `-1.5`.
    Number(Number),
    /// The barewords `true` and `false`.
    Bool(bool),
    /// Any other bareword: `json_lines`, `rubydebug`.
    Bareword(String),
    /// `[a, b]`.
    Array(Vec<Value>),
    /// `{ "k" => v "k2" => v2 }`, in order.
    Hash(Vec<(String, Value)>),
    /// `codec => json_lines { charset => "UTF-8" }`.
    Plugin(Box<Plugin>),
}

impl Value {
    /// The value as JSON (barewords become strings, a plugin becomes its name).
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::String(s) | Value::Bareword(s) => J::String(s.clone()),
            Value::Number(n) => n.to_json(),
            Value::Bool(b) => J::Bool(*b),
            Value::Array(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Hash(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Value::Plugin(p) => J::String(p.name.clone()),
        }
    }

    /// A short rendering in Logstash's style (`"text"`, `5`, `["a", "b"]`, `{"k"=>"v"}`), used in
    /// error messages.
    #[must_use]
    pub fn inspect(&self) -> String {
        match self {
            Value::String(s) | Value::Bareword(s) => format!("{s:?}"),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Array(items) => {
                let inner: Vec<String> = items.iter().map(Value::inspect).collect();
                format!("[{}]", inner.join(", "))
            }
            Value::Hash(entries) => {
                let inner: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{k:?}=>{}", v.inspect()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
            Value::Plugin(p) => format!("<codec {}>", p.name),
        }
    }

    /// The type name used in messages: `string`, `number`, `boolean`, `array`, `hash`, `codec`.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) | Value::Bareword(_) => "string",
            Value::Number(_) => "number",
            Value::Bool(_) => "boolean",
            Value::Array(_) => "array",
            Value::Hash(_) => "hash",
            Value::Plugin(_) => "codec",
        }
    }
}
