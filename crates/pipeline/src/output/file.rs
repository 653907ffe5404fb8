//! `file` output: appends events to `path` (sprintf'd per event, e.g.
//! `/var/log/app-%{+YYYY-MM-dd}.log`), codec `json_lines` (the default) or `line`. Files are
//! opened in append mode and written once per batch.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::Arc;

use log_model::{LogEvent, Template};
use parking_lot::Mutex;

use super::{OutputArgs, OutputPlugin, SendFuture};
use crate::codec::to_json_without_metadata;
use crate::config::PluginKind;
use crate::config::validate::{Default as D, OptSpec, OptType as T, Schema};
use crate::monitor::stats::PluginStats;
use crate::{Error, Result};

/// Settings and state of a `file` output.
pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Output,
        "file",
        vec![
            OptSpec::new("path", T::String).required(),
            OptSpec::new("codec", T::Codec).default(D::Str("json_lines")),
            OptSpec::new("create_if_deleted", T::Boolean).default(D::Bool(true)),
            OptSpec::new("flush_interval", T::Number).default(D::Int(2)),
            OptSpec::new("gzip", T::Boolean).default(D::Bool(false)),
            OptSpec::new("write_behavior", T::OneOf(&["append", "overwrite"]))
                .default(D::Str("append")),
            OptSpec::new("dir_mode", T::Number).default(D::Int(-1)),
            OptSpec::new("file_mode", T::Number).default(D::Int(-1)),
        ],
    )
}

pub(super) fn build(a: OutputArgs<'_>) -> Result<Box<dyn OutputPlugin>> {
    let s = a.settings;
    let (name, _) =
        crate::codec::resolve(s, &["json_lines", "line", "plain", "json"], "json_lines")?;
    if s.boolean("gzip") == Some(true) {
        return Err(s.invalid("gzip", "gzip is not supported"));
    }
    if s.string("write_behavior") == Some("overwrite") {
        return Err(s.invalid(
            "write_behavior",
            "write_behavior => overwrite is not supported",
        ));
    }
    let path = s.string("path").unwrap_or_default();
    let json = matches!(name.as_str(), "json_lines" | "json");
    Ok(Box::new(
        FileOutput::new(path, json, a.stats).map_err(|e| s.invalid("path", &e.to_string()))?,
    ))
}

impl OutputPlugin for FileOutput {
    fn stats(&self) -> &Arc<PluginStats> {
        &self.stats
    }

    fn send<'a>(&'a self, events: &'a [&'a LogEvent]) -> SendFuture<'a> {
        Box::pin(async move { self.write(events) })
    }
}

#[derive(Debug)]
pub struct FileOutput {
    /// `path` (required), a sprintf template.
    pub path: Template,
    /// The raw `path` setting (for messages).
    pub path_text: String,
    /// `codec`: `json_lines` (true) or `line` (false).
    pub json: bool,
    /// Counters.
    pub stats: Arc<PluginStats>,
    files: Mutex<HashMap<String, File>>,
}

impl FileOutput {
    /// A file output writing to `path`.
    ///
    /// # Errors
    /// When `path` is not a valid sprintf template.
    pub fn new(path: &str, json: bool, stats: Arc<PluginStats>) -> Result<Self> {
        let template = Template::parse(path)
            .map_err(|e| Error::Setting(format!("file output: invalid path {path:?}: {e}")))?;
        Ok(FileOutput {
            path: template,
            path_text: path.to_string(),
            json,
            stats,
            files: Mutex::new(HashMap::new()),
        })
    }

    fn write(&self, events: &[&LogEvent]) -> Result<()> {
        let mut by_path: Vec<(String, Vec<u8>)> = Vec::new();
        for ev in events {
            let path = self.path.render(ev);
            let idx = match by_path.iter().position(|(p, _)| *p == path) {
                Some(i) => i,
                None => {
                    by_path.push((path, Vec::new()));
                    by_path.len() - 1
                }
            };
            let buf = &mut by_path[idx].1;
            if self.json {
                buf.extend_from_slice(&to_json_without_metadata(ev));
            } else {
                buf.extend_from_slice(ev.message().unwrap_or_default().as_bytes());
            }
            buf.push(b'\n');
        }
        let mut files = self.files.lock();
        for (path, buf) in by_path {
            if !files.contains_key(&path) {
                if let Some(dir) = std::path::Path::new(&path).parent() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| Error::io(format!("file output {}", dir.display()), e))?;
                }
                let f = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(|e| Error::io(format!("file output {path}"), e))?;
                files.insert(path.clone(), f);
            }
            if let Some(f) = files.get_mut(&path) {
                f.write_all(&buf)
                    .map_err(|e| Error::io(format!("file output {path}"), e))?;
            }
        }
        Ok(())
    }
}
