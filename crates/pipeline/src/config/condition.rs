//! Conditions of `if` / `else if`, and their evaluation against an event.
//!
//! Semantics follow Logstash:
//! - `[field]` alone is true when the field exists and is not `null`, `false`, `""` or the
//!   string `"false"` (Logstash's `FieldTruthy`; `0` and `[]` are true).
//! - `==` / `!=` compare values; numbers compare numerically (`1 == 1.0`), a string never equals a
//!   number. A missing field equals nothing (so `!=` is true).
//! - `<`, `>`, `<=`, `>=` compare two numbers or two strings (byte order); any other pair is false.
//! - `=~` / `!~` match a string field against a regex (or a string used as one); a missing or
//!   non-string field does not match.
//! - `x in [f]`: `[f]` an array containing `x`, or a string containing `x` as a substring;
//!   `[f] in ["a", 1]` compares as text, like Logstash's `FieldInConstantList`.
//! - `and`, `or`, `nand`, `xor`, `!`, parentheses. Precedence is Logstash's (see
//!   [`super::parser`]).

use std::fmt;

use log_model::{FieldRef, LogEvent};
use serde_json::Value as Json;

use super::ast::Number;

/// A compiled regular expression that remembers its source text.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    regex: regex::Regex,
}

impl Pattern {
    /// Compiles `source` (the text between the slashes, or the string's contents).
    ///
    /// # Errors
    /// The regex syntax error, as text.
    pub fn new(source: &str) -> std::result::Result<Self, String> {
        // nesting bounded as everywhere in the config (the regex parser recurses per group)
        let regex = regex::RegexBuilder::new(source)
            .nest_limit(32)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            source: source.to_owned(),
            regex,
        })
    }

    /// A pattern that matches nothing (stands in for one that failed to compile).
    #[must_use]
    pub(crate) fn never() -> Self {
        Self {
            source: String::new(),
            regex: regex::Regex::new("[^\\s\\S]").expect("constant regex compiles"),
        }
    }

    /// The source text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the pattern matches anywhere in `text`.
    #[must_use]
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// An operand of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Rvalue {
    /// `[a][b]`.
    Field(FieldRef),
    /// `"text"`.
    String(String),
    /// `5`, `1.5`.
    Number(Number),
    /// `["a", "b"]` (its items as JSON).
    Array(Vec<Json>),
    /// `/regex/` used as a value.
    Regex(Pattern),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
}

/// A boolean operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolOp {
    /// `and`
    And,
    /// `or`
    Or,
    /// `nand`
    Nand,
    /// `xor`
    Xor,
}

impl BoolOp {
    /// The keyword.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            BoolOp::And => "and",
            BoolOp::Or => "or",
            BoolOp::Nand => "nand",
            BoolOp::Xor => "xor",
        }
    }
}

/// A condition, as in `if <condition> { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// An operand alone: its truthiness.
    Value(Rvalue),
    /// `!(...)` or `![field]`.
    Not(Box<Condition>),
    /// `left <op> right`.
    Compare {
        /// Left operand.
        left: Rvalue,
        /// Operator.
        op: CompareOp,
        /// Right operand.
        right: Rvalue,
    },
    /// `left =~ /re/` (or `!~` when `negate`).
    Regex {
        /// The value matched.
        left: Rvalue,
        /// The pattern.
        pattern: Pattern,
        /// `!~`.
        negate: bool,
    },
    /// `item in list` (or `not in` when `negate`).
    In {
        /// The needle.
        item: Rvalue,
        /// The haystack.
        list: Rvalue,
        /// `not in`.
        negate: bool,
    },
    /// `left <op> right`.
    Bool {
        /// Operator.
        op: BoolOp,
        /// Left side.
        left: Box<Condition>,
        /// Right side.
        right: Box<Condition>,
    },
}

impl Condition {
    /// Evaluates the condition against `event`. Never fails: operands that cannot be compared
    /// make the comparison false.
    #[must_use]
    pub fn eval(&self, event: &LogEvent) -> bool {
        match self {
            Condition::Value(v) => truthy(resolve(v, event).as_deref()),
            Condition::Not(c) => !c.eval(event),
            Condition::Compare { left, op, right } => compare(
                resolve(left, event).as_deref(),
                *op,
                resolve(right, event).as_deref(),
            ),
            Condition::Regex {
                left,
                pattern,
                negate,
            } => {
                let matched = match resolve(left, event).as_deref() {
                    Some(Json::String(s)) => pattern.is_match(s),
                    _ => false,
                };
                matched != *negate
            }
            Condition::In { item, list, negate } => {
                let item_value = resolve(item, event);
                let found = match list {
                    // Logstash's FieldInConstantList: compared as text (`5 in ["5"]` holds)
                    Rvalue::Array(items) => item_value.as_deref().is_some_and(|v| {
                        let text = crate::config::validate::json_text(v);
                        items
                            .iter()
                            .any(|i| crate::config::validate::json_text(i) == text)
                    }),
                    _ => contains(resolve(list, event).as_deref(), item_value.as_deref()),
                };
                found != *negate
            }
            Condition::Bool { op, left, right } => match op {
                BoolOp::And => left.eval(event) && right.eval(event),
                BoolOp::Or => left.eval(event) || right.eval(event),
                BoolOp::Nand => !(left.eval(event) && right.eval(event)),
                BoolOp::Xor => left.eval(event) != right.eval(event),
            },
        }
    }
}

/// A resolved operand: borrowed from the event or owned (a literal).
enum Operand<'a> {
    Borrowed(&'a Json),
    Owned(Json),
}

impl std::ops::Deref for Operand<'_> {
    type Target = Json;
    fn deref(&self) -> &Json {
        match self {
            Operand::Borrowed(v) => v,
            Operand::Owned(v) => v,
        }
    }
}

fn resolve<'a>(v: &Rvalue, event: &'a LogEvent) -> Option<Operand<'a>> {
    match v {
        Rvalue::Field(f) => event.get(f).map(Operand::Borrowed),
        Rvalue::String(s) => Some(Operand::Owned(Json::String(s.clone()))),
        Rvalue::Number(n) => Some(Operand::Owned(n.to_json())),
        Rvalue::Array(items) => Some(Operand::Owned(Json::Array(items.clone()))),
        Rvalue::Regex(p) => Some(Operand::Owned(Json::String(p.as_str().to_owned()))),
    }
}

/// Logstash's `FieldTruthy`: absent, `null`, `false`, `""` and the string `"false"` are false.
fn truthy(v: Option<&Json>) -> bool {
    match v {
        None | Some(Json::Null | Json::Bool(false)) => false,
        Some(Json::String(s)) => !(s.is_empty() || s == "false"),
        Some(_) => true,
    }
}

/// Equality with numbers compared by value (`1 == 1.0`), recursively.
fn json_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn compare(left: Option<&Json>, op: CompareOp, right: Option<&Json>) -> bool {
    let (Some(l), Some(r)) = (left, right) else {
        // A missing operand equals nothing and orders with nothing.
        return op == CompareOp::Ne && left.is_some() != right.is_some()
            || op == CompareOp::Eq && left.is_none() && right.is_none();
    };
    let ordering = match (l, r) {
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => Some(i.cmp(&j)),
            _ => x
                .as_f64()
                .zip(y.as_f64())
                .and_then(|(a, b)| a.partial_cmp(&b)),
        },
        (Json::String(x), Json::String(y)) => Some(x.cmp(y)),
        _ => None,
    };
    match op {
        CompareOp::Eq => json_eq(l, r),
        CompareOp::Ne => !json_eq(l, r),
        CompareOp::Lt => ordering.is_some_and(std::cmp::Ordering::is_lt),
        CompareOp::Gt => ordering.is_some_and(std::cmp::Ordering::is_gt),
        CompareOp::Le => ordering.is_some_and(std::cmp::Ordering::is_le),
        CompareOp::Ge => ordering.is_some_and(std::cmp::Ordering::is_ge),
    }
}

fn contains(list: Option<&Json>, item: Option<&Json>) -> bool {
    let (Some(list), Some(item)) = (list, item) else {
        return false;
    };
    match list {
        Json::Array(items) => items.iter().any(|v| json_eq(v, item)),
        Json::String(hay) => match item {
            Json::String(needle) => hay.contains(needle.as_str()),
            _ => false,
        },
        _ => false,
    }
}

impl fmt::Display for Rvalue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rvalue::Field(r) => write!(f, "{r}"),
            Rvalue::String(s) => write!(f, "{s:?}"),
            Rvalue::Number(n) => write!(f, "{n}"),
            Rvalue::Array(items) => write!(f, "{}", Json::Array(items.clone())),
            Rvalue::Regex(p) => write!(f, "/{}/", p.as_str()),
        }
    }
}
