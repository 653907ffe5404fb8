//! `${VAR}` and `${VAR:default}` in plugin settings, replaced from the environment before
//! validation, as Logstash does: in strings, barewords, array items, hash keys and values and
//! codec settings, so `port => "${PORT:5044}"` validates as a number. A variable that is not
//! set and has no default is an error naming it. `$` not followed by `{` is literal. In
//! conditions (Logstash 8), string and list operands are substituted too, when the pipeline is
//! built ([`substitute_condition`]); field references and regular expressions are not.

use super::ast::{Plugin, Value};

/// Where to read variables from (the process environment, or a map in tests).
pub trait Lookup {
    /// The value of `name`, if set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Environment;

impl Lookup for Environment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<F: Fn(&str) -> Option<String>> Lookup for F {
    fn var(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// Replaces every `${VAR}` / `${VAR:default}` in `text`.
///
/// # Errors
/// Logstash's message for the first variable that is unset and has no default.
pub fn substitute(text: &str, env: &dyn Lookup) -> Result<String, String> {
    if !text.contains("${") {
        return Ok(text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[at..]);
            return Ok(out);
        };
        let spec = &after[..end];
        let (name, default) = match spec.split_once(':') {
            Some((n, d)) => (n, Some(d)),
            None => (spec, None),
        };
        let name = name.trim();
        match env.var(name).or_else(|| default.map(str::to_owned)) {
            Some(v) => out.push_str(&v),
            None => {
                return Err(format!(
                    "Cannot evaluate `${{{name}}}`. Replacement variable `{name}` is not defined in a Logstash secret store or an environment entry and there is no default value given."
                ));
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// [`substitute`] throughout a setting's value.
///
/// # Errors
/// As [`substitute`].
pub fn substitute_value(value: &Value, env: &dyn Lookup) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => Value::String(substitute(s, env)?),
        Value::Bareword(s) => Value::Bareword(substitute(s, env)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| substitute_value(i, env))
                .collect::<Result<_, _>>()?,
        ),
        Value::Hash(entries) => Value::Hash(
            entries
                .iter()
                .map(|(k, v)| Ok((substitute(k, env)?, substitute_value(v, env)?)))
                .collect::<Result<_, String>>()?,
        ),
        Value::Plugin(p) => {
            let mut p: Plugin = (**p).clone();
            for s in &mut p.settings {
                s.value = substitute_value(&s.value, env)?;
            }
            Value::Plugin(Box::new(p))
        }
        other => other.clone(),
    })
}

/// [`substitute`] in a condition's string and list operands, as Logstash 8 does (field
/// references and regular expressions are left as written).
///
/// # Errors
/// As [`substitute`].
pub fn substitute_condition(
    condition: &super::condition::Condition,
    env: &dyn Lookup,
) -> Result<super::condition::Condition, String> {
    use super::condition::{Condition as C, Rvalue as R};
    let value = |v: &R| -> Result<R, String> {
        Ok(match v {
            R::String(s) => R::String(substitute(s, env)?),
            R::Array(items) => R::Array(
                items
                    .iter()
                    .map(|i| match i {
                        serde_json::Value::String(s) => {
                            substitute(s, env).map(serde_json::Value::String)
                        }
                        other => Ok(other.clone()),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            other => other.clone(),
        })
    };
    Ok(match condition {
        C::Value(v) => C::Value(value(v)?),
        C::Not(c) => C::Not(Box::new(substitute_condition(c, env)?)),
        C::Compare { left, op, right } => C::Compare {
            left: value(left)?,
            op: *op,
            right: value(right)?,
        },
        C::Regex {
            left,
            pattern,
            negate,
        } => C::Regex {
            left: value(left)?,
            pattern: pattern.clone(),
            negate: *negate,
        },
        C::In { item, list, negate } => C::In {
            item: value(item)?,
            list: value(list)?,
            negate: *negate,
        },
        C::Bool { op, left, right } => C::Bool {
            op: *op,
            left: Box::new(substitute_condition(left, env)?),
            right: Box::new(substitute_condition(right, env)?),
        },
    })
}
