//! `filter_path`: keeps only the parts of a response named by dotted paths, with `*` inside a
//! name and `**` for any depth, as Elasticsearch does (e.g. `hits.hits._source.user,took`).

use serde_json::{Map, Value};

use crate::Error;

/// A parsed `filter_path` parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilterPath {
    patterns: Vec<Vec<String>>,
}

impl FilterPath {
    /// Parses a comma-separated list of dotted paths.
    ///
    /// # Errors
    /// `illegal_argument_exception` for an exclusion (`-path`, not supported) or an empty list.
    pub(crate) fn parse(s: &str) -> Result<Self, Error> {
        let mut patterns = Vec::new();
        for p in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if p.starts_with('-') {
                return Err(Error::illegal_argument(format!(
                    "filter_path exclusions such as [{p}] are not supported by sluice-store"
                )));
            }
            patterns.push(p.split('.').map(str::to_owned).collect());
        }
        if patterns.is_empty() {
            return Err(Error::illegal_argument(
                "filter_path must name at least one path",
            ));
        }
        Ok(Self { patterns })
    }

    /// The filtered copy of `value` (an empty object when nothing matches, as ES answers `{}`).
    pub(crate) fn apply(&self, value: &Value) -> Value {
        let states: Vec<(usize, usize)> = (0..self.patterns.len()).map(|i| (i, 0)).collect();
        self.filter(value, &states)
            .unwrap_or_else(|| Value::Object(Map::new()))
    }

    fn complete(&self, states: &[(usize, usize)]) -> bool {
        states.iter().any(|&(p, pos)| {
            let pat = &self.patterns[p];
            pat[pos..].iter().all(|s| s == "**")
        })
    }

    fn advance(&self, states: &[(usize, usize)], key: &str) -> Vec<(usize, usize)> {
        let mut next = Vec::new();
        let mut push = |s: (usize, usize)| {
            if !next.contains(&s) {
                next.push(s);
            }
        };
        for &(p, pos) in states {
            let pat = &self.patterns[p];
            let mut pos = pos;
            // `**` may match nothing: also try the segments after it.
            while let Some(seg) = pat.get(pos) {
                if seg == "**" {
                    push((p, pos));
                    pos += 1;
                    continue;
                }
                if glob(seg, key) {
                    push((p, pos + 1));
                }
                break;
            }
        }
        next
    }

    fn filter(&self, value: &Value, states: &[(usize, usize)]) -> Option<Value> {
        if self.complete(states) {
            return Some(value.clone());
        }
        match value {
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    let next = self.advance(states, k);
                    if next.is_empty() {
                        continue;
                    }
                    if let Some(f) = self.filter(v, &next) {
                        out.insert(k.clone(), f);
                    }
                }
                (!out.is_empty()).then_some(Value::Object(out))
            }
            Value::Array(items) => {
                let out: Vec<Value> = items
                    .iter()
                    .filter_map(|v| self.filter(v, states))
                    .collect();
                (!out.is_empty()).then_some(Value::Array(out))
            }
            _ => None,
        }
    }
}

/// `*` matches any run of characters; everything else literally.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(at) = rest.find(part) {
            rest = &rest[at + part.len()..];
        } else {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests;
