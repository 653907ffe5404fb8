//! Test files (`rest-api-spec/test/<api>/*.yml`): YAML documents of `setup`, `teardown` and named
//! tests, each a list of steps.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::Deserialize as _;
use serde_json::{Map, Value};

/// One test file.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// `search.aggregation/20_terms.yml`
    pub name: String,
    pub setup: Vec<Value>,
    pub teardown: Vec<Value>,
    pub tests: Vec<(String, Vec<Value>)>,
}

/// The test files of the given API directories under `test_dir`, in name order.
///
/// # Errors
/// On a missing directory or a file that is not a test file.
pub fn load(test_dir: &Path, apis: &[&str]) -> anyhow::Result<Vec<TestFile>> {
    let mut out = Vec::new();
    for api in apis {
        let dir = test_dir.join(api);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| format!("no test directory {}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")))
            .collect();
        files.sort();
        for f in files {
            let name = format!(
                "{api}/{}",
                f.file_name().and_then(|n| n.to_str()).unwrap_or_default()
            );
            let text = std::fs::read_to_string(&f)?;
            out.push(parse(&name, &text).with_context(|| name.clone())?);
        }
    }
    Ok(out)
}

/// Parses one test file.
///
/// # Errors
/// On YAML errors or documents that are not one-key maps of step lists.
pub fn parse(name: &str, text: &str) -> anyhow::Result<TestFile> {
    let mut file = TestFile {
        name: name.to_owned(),
        setup: Vec::new(),
        teardown: Vec::new(),
        tests: Vec::new(),
    };
    for doc in serde_yaml::Deserializer::from_str(text) {
        let v = serde_yaml::Value::deserialize(doc)?;
        if v.is_null() {
            continue;
        }
        let Value::Object(map) = to_json(&v) else {
            bail!("a document that is not a map");
        };
        for (key, steps) in map {
            let steps = match steps {
                Value::Array(a) => a,
                Value::Null => Vec::new(),
                _ => bail!("[{key}] is not a list of steps"),
            };
            match key.as_str() {
                "setup" => file.setup = steps,
                "teardown" => file.teardown = steps,
                _ => file.tests.push((key, steps)),
            }
        }
    }
    Ok(file)
}

/// YAML to JSON: keys that are not strings become their text.
pub fn to_json(v: &serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => {
            if let Some(i) = n.as_u64() {
                Value::from(i)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(s) => Value::Array(s.iter().map(to_json).collect()),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s.clone(),
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => "null".to_owned(),
                    other => serde_yaml::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                };
                out.insert(key, to_json(v));
            }
            Value::Object(out)
        }
        Y::Tagged(t) => to_json(&t.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_setup_teardown_and_tests() {
        let text = "---\nsetup:\n  - do:\n      indices.create:\n        index: a\n---\n\"One\":\n  - match: { 1: 2.5 }\n---\n\"Two\":\n  - is_true: ''\n---\nteardown:\n  - do: { indices.delete: { index: a } }\n";
        let f = parse("x/10_a.yml", text).unwrap();
        assert_eq!(f.setup.len(), 1);
        assert_eq!(f.teardown.len(), 1);
        let names: Vec<&str> = f.tests.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["One", "Two"]);
        assert_eq!(f.tests[0].1[0]["match"]["1"], 2.5);
    }
}
