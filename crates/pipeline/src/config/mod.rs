//! The Logstash config language: parsing, the syntax tree, settings validation and conditions.
//!
//! ```
//! use pipeline::config::{self, Node, Value};
//!
//! let p = config::parse_str("logstash.conf", r#"
//! input { tcp { port => 5000 codec => json_lines } }
//! filter { mutate { convert => { "duration" => "float" } } }
//! "#).unwrap();
//! let Node::Plugin(tcp) = &p.inputs[0] else { panic!() };
//! assert_eq!(tcp.name, "tcp");
//! assert_eq!(tcp.setting("codec").unwrap().value, Value::Bareword("json_lines".into()));
//! assert_eq!(tcp.span.to_string(), "logstash.conf:2:9");
//! ```
//!
//! Several files (or a directory) load like Logstash's `-f`: the files are sorted by name, each
//! is parsed on its own, inputs and outputs are gathered and the filter sections run one after
//! another in file order.

pub mod ast;
mod condition;
pub mod env;
mod parser;
mod tree;
pub mod validate;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use ast::{Arm, Branch, Node, Number, Pipeline, Plugin, PluginKind, Setting, Span, Value};
pub use condition::{BoolOp, CompareOp, Condition, Pattern, Rvalue};
pub use parser::{MAX_DEPTH, ParseOptions};
pub use tree::{Position, Tree};
pub use validate::{Default, OptSpec, OptType, Schema, Settings, Typed, validate};

use crate::{Error, Result};

/// Options for [`load_with`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Parser options (`config.support_escapes`).
    pub parse: ParseOptions,
    /// Add Logstash's default sections when no file has one: `input { stdin { type => "stdin" } }`
    /// when no text contains `input {`, `output { stdout { codec => rubydebug } }` when none
    /// contains `output {` (Logstash's `-f` does this). Default `false`.
    pub default_sections: bool,
}

/// Parses one config text; `file` names it in positions and errors.
///
/// # Errors
/// [`Error::ConfigAt`] with Logstash's message for the first syntax error, or two plugins with
/// the same `id`.
pub fn parse_str(file: &str, text: &str) -> Result<Pipeline> {
    parse_str_with(file, text, &ParseOptions::default())
}

/// [`parse_str`] with options.
///
/// # Errors
/// As [`parse_str`].
pub fn parse_str_with(file: &str, text: &str, opts: &ParseOptions) -> Result<Pipeline> {
    let p = parser::parse(file, text, opts)?;
    check_unique_ids(&p)?;
    Ok(p)
}

/// Logstash refuses two plugins with the same `id` anywhere in a pipeline.
///
/// # Errors
/// `Two plugins have the id 'x', please fix this conflict`, at the second one's `id`.
pub fn check_unique_ids(pipeline: &Pipeline) -> Result<()> {
    let mut seen: Vec<&str> = Vec::new();
    for plugin in pipeline.plugins() {
        let Some(setting) = plugin.setting("id") else {
            continue;
        };
        let (Value::String(id) | Value::Bareword(id)) = &setting.value else {
            continue;
        };
        if seen.contains(&id.as_str()) {
            return Err(Error::ConfigAt {
                span: setting.span.clone(),
                message: format!("Two plugins have the id '{id}', please fix this conflict"),
            });
        }
        seen.push(id);
    }
    Ok(())
}

/// Loads config files like `logstash -f PATH -f PATH2`: see [`config_files`] and the module
/// docs.
///
/// # Errors
/// A file that cannot be read or is not UTF-8, no file at all, or a parse error.
pub fn load(paths: &[PathBuf]) -> Result<Pipeline> {
    load_with(paths, &LoadOptions::default())
}

/// [`load`] with options.
///
/// # Errors
/// As [`load`].
pub fn load_with(paths: &[PathBuf], opts: &LoadOptions) -> Result<Pipeline> {
    let files = config_files(paths)?;
    let mut texts = Vec::with_capacity(files.len());
    for file in &files {
        let bytes = std::fs::read(file).map_err(|e| Error::Io {
            what: format!("config file {}", file.display()),
            source: e,
        })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::Config(format!(
                "The following config files contains non-ascii characters but are not UTF-8 encoded [{}]",
                file.display()
            ))
        })?;
        texts.push((file.display().to_string(), text));
    }
    if opts.default_sections {
        let input_re = regex::Regex::new(r"input *\{").map_err(|e| Error::Config(e.to_string()))?;
        let output_re =
            regex::Regex::new(r"output *\{").map_err(|e| Error::Config(e.to_string()))?;
        if !texts.iter().any(|(_, t)| input_re.is_match(t)) {
            texts.push((
                "default input".into(),
                "input { stdin { type => stdin } }".into(),
            ));
        }
        if !texts.iter().any(|(_, t)| output_re.is_match(t)) {
            texts.push((
                "default output".into(),
                "output { stdout { codec => rubydebug } }".into(),
            ));
        }
    }
    let mut pipeline = Pipeline::default();
    for (name, text) in &texts {
        let part = parser::parse(name, text, &opts.parse)?;
        pipeline.inputs.extend(part.inputs);
        pipeline.filters.extend(part.filters);
        pipeline.outputs.extend(part.outputs);
    }
    check_unique_ids(&pipeline)?;
    Ok(pipeline)
}

/// The files `-f` arguments name, in load order: a file as is; a directory's files (not
/// recursing) sorted by name; a glob (`*`, `?`, `[...]`, `**` in any component) expanded to
/// the files it matches, sorted. Names ending in `~` (editor backups) are skipped, as Logstash does.
///
/// # Errors
/// A path that does not exist, or no file at all (Logstash's "No config files found").
pub fn config_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let mut found = Vec::new();
        if path.is_dir() {
            found.extend(dir_files(path)?);
        } else if path.is_file() {
            found.push(path.clone());
        } else if path.to_string_lossy().contains(['*', '?', '[']) {
            // Ruby's Dir.glob, as Logstash's `path.config`: files only, sorted.
            let pattern = path.to_string_lossy();
            let paths = glob::glob(&pattern).map_err(|e| {
                Error::Config(format!("invalid path.config pattern {pattern}: {e}"))
            })?;
            let mut matched: Vec<PathBuf> = paths
                .filter_map(std::result::Result::ok)
                .filter(|p| p.is_file())
                .collect();
            matched.sort();
            found.extend(matched);
        } else {
            return Err(no_config(path));
        }
        found.retain(|f| !f.to_string_lossy().ends_with('~'));
        if found.is_empty() {
            return Err(no_config(path));
        }
        files.extend(found);
    }
    if files.is_empty() {
        return Err(Error::Config(
            "No configuration file was specified. Perhaps you forgot to provide the '-f yourlogstash.conf' flag?".into(),
        ));
    }
    Ok(files)
}

fn no_config(path: &Path) -> Error {
    Error::Config(format!(
        "No config files found: {}\nCan you make sure this path is a logstash config file?",
        path.display()
    ))
}

fn dir_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Io {
        what: format!("config directory {}", dir.display()),
        source: e,
    })?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::Io {
            what: format!("config directory {}", dir.display()),
            source: e,
        })?;
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        out.push(path);
    }
    out.sort();
    Ok(out)
}

/// `*` and `?` matching of a file name.
pub(crate) fn wildcard(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}
