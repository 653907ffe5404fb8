//! `file` input: follows (`mode => tail`, the default) or reads (`mode => read`) the files
//! matching `path` globs (absolute paths, as Logstash requires), minus `exclude` (globs on
//! the file name), one event per line (`delimiter`, default `\n`; a partial last line waits
//! for its end).
//!
//! Files are known by device and inode, so a rename (logrotate's default) keeps being read
//! from where it was, and the new file at the old name is read from its start; a file that
//! shrinks below its read position (copytruncate) is read again from the start. New files
//! start at `start_position` (`end` by default in tail mode, always the beginning in read
//! mode).
//!
//! The sincedb (`sincedb_path`, default `<data>/plugins/inputs/file/.sincedb_<md5 of the
//! paths>`, Logstash's line format `inode major minor position last_active path`) is written
//! after the queue took the lines it covers, so a restart neither repeats what was
//! acknowledged nor loses what was not. `sincedb_path => "/dev/null"` keeps no positions.
//! In read mode a file read to its end gets `file_completed_action` (`delete`, Logstash's
//! default, `log`, `log_and_delete`).
//!
//! Each event gets `[log][file][path]` and `[host][name]` (ECS) or `path` and `host`.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use log_model::{LogEvent, Timestamp};
use serde_json::{Value, json};

use super::{BoxFuture, CommonInput, Ecs, InputArgs, InputContext, InputPlugin};
use crate::codec::{IngestTime, decode_frame};
use crate::config::PluginKind;
use crate::config::validate::{Default as D, OptSpec, OptType as T, Schema};
use crate::{Error, Result};

/// Bytes read from one file per pass (the rest waits for the next pass).
const CHUNK: usize = 1024 * 1024;
/// Longest line kept; a longer one is cut there and tagged.
const MAX_LINE: usize = 16 * 1024 * 1024;

pub(super) fn schema() -> Schema {
    Schema::new(
        PluginKind::Input,
        "file",
        vec![
            OptSpec::new("path", T::Array).required(),
            OptSpec::new("exclude", T::Array).default(D::List(&[])),
            OptSpec::new("mode", T::OneOf(&["tail", "read"])).default(D::Str("tail")),
            OptSpec::new("start_position", T::OneOf(&["beginning", "end"])).default(D::Str("end")),
            OptSpec::new("sincedb_path", T::String),
            OptSpec::new("sincedb_write_interval", T::String).default(D::Str("15")),
            OptSpec::new("sincedb_clean_after", T::String),
            OptSpec::new("stat_interval", T::String).default(D::Str("1")),
            OptSpec::new("discover_interval", T::Number).default(D::Int(15)),
            OptSpec::new("delimiter", T::String).default(D::Str("\n")),
            OptSpec::new("close_older", T::String),
            OptSpec::new("ignore_older", T::String),
            OptSpec::new("max_open_files", T::Number),
            OptSpec::new("file_chunk_size", T::Number),
            OptSpec::new("file_chunk_count", T::Number),
            OptSpec::new("file_sort_by", T::OneOf(&["last_modified", "path"]))
                .default(D::Str("last_modified")),
            OptSpec::new("file_sort_direction", T::OneOf(&["asc", "desc"])).default(D::Str("asc")),
            OptSpec::new(
                "file_completed_action",
                T::OneOf(&["delete", "log", "log_and_delete"]),
            )
            .default(D::Str("delete")),
            OptSpec::new("file_completed_log_path", T::String),
            OptSpec::new("exit_after_read", T::Boolean).default(D::Bool(false)),
            OptSpec::new("check_archive_validity", T::Boolean).default(D::Bool(false)),
            OptSpec::new("codec", T::Codec).default(D::Str("plain")),
            super::ecs_opt(),
        ],
    )
}

/// Seconds from a number or a duration string (`"5 s"`, `"1 min"`, `"2h"`).
fn seconds(text: &str) -> Option<f64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let n: f64 = t[..split].parse().ok()?;
    let mult = match t[split..].trim().to_ascii_lowercase().as_str() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "ms" | "msec" | "msecs" => 0.001,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        "w" | "week" | "weeks" => 604_800.0,
        _ => return None,
    };
    Some(n * mult)
}

pub(super) fn build(a: InputArgs<'_>) -> Result<Box<dyn InputPlugin>> {
    let s = a.settings;
    let paths = s.strings("path");
    for p in &paths {
        if !Path::new(p).is_absolute() {
            return Err(s.invalid(
                "path",
                &format!("File paths must be absolute, relative path specified: {p}"),
            ));
        }
        glob::Pattern::new(p)
            .map_err(|e| s.invalid("path", &format!("invalid glob {p:?}: {e}")))?;
    }
    let mut exclude = Vec::new();
    for e in s.strings("exclude") {
        exclude.push(
            glob::Pattern::new(&e)
                .map_err(|err| s.invalid("exclude", &format!("invalid glob {e:?}: {err}")))?,
        );
    }
    // options that change which files or lines are read: refused rather than ignored
    for unsupported in [
        "close_older",
        "ignore_older",
        "sincedb_clean_after",
        "file_chunk_count",
        "check_archive_validity",
    ] {
        if s.is_set(unsupported) && s.boolean(unsupported) != Some(false) {
            return Err(s.invalid(
                unsupported,
                &format!("{unsupported} is not supported by sluice-agent"),
            ));
        }
    }
    let delimiter = s
        .string("delimiter")
        .unwrap_or("\n")
        .replace("\\n", "\n")
        .replace("\\r", "\r");
    if delimiter.is_empty() {
        return Err(s.invalid("delimiter", "delimiter must not be empty"));
    }
    let read_mode = s.string("mode") == Some("read");
    let sincedb = match s.string("sincedb_path") {
        Some("/dev/null" | "NUL") => None,
        Some(p) => Some(PathBuf::from(p)),
        None => {
            use md5::Digest as _;
            let digest = md5::Md5::digest(paths.join(",").as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            Some(PathBuf::from(format!(
                "data/plugins/inputs/file/.sincedb_{hex}"
            )))
        }
    };
    let stat = s.string("stat_interval").and_then(seconds).unwrap_or(1.0);
    Ok(Box::new(FileInput {
        paths,
        exclude,
        delimiter: delimiter.into_bytes(),
        read_mode,
        beginning: read_mode || s.string("start_position") == Some("beginning"),
        sincedb,
        stat_interval: Duration::from_secs_f64(stat.clamp(0.01, 3600.0)),
        completed: s
            .string("file_completed_action")
            .unwrap_or("delete")
            .to_owned(),
        completed_log: s.string("file_completed_log_path").map(PathBuf::from),
        exit_after_read: s.boolean("exit_after_read").unwrap_or(false),
        ecs: a.ecs,
        common: a.common,
    }))
}

#[derive(Debug)]
struct FileInput {
    common: CommonInput,
    paths: Vec<String>,
    exclude: Vec<glob::Pattern>,
    delimiter: Vec<u8>,
    read_mode: bool,
    beginning: bool,
    sincedb: Option<PathBuf>,
    stat_interval: Duration,
    completed: String,
    completed_log: Option<PathBuf>,
    exit_after_read: bool,
    ecs: Ecs,
}

/// What is known of one file, by (device, inode).
#[derive(Debug, Clone)]
struct Watched {
    path: PathBuf,
    /// Bytes acknowledged (pushed to the queue).
    pos: u64,
    /// Bytes of a partial line not yet pushed are re-read from `pos`.
    done: bool,
}

type Key = (u64, u64);

fn major_minor(dev: u64) -> (u64, u64) {
    ((dev >> 8) & 0xfff, (dev & 0xff) | ((dev >> 12) & 0xfff00))
}

fn read_sincedb(path: &Path) -> HashMap<Key, Watched> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return HashMap::new();
    };
    let mut out = HashMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.splitn(6, ' ').collect();
        let [inode, major, minor, pos, ..] = f.as_slice() else {
            continue;
        };
        let (Ok(inode), Ok(major), Ok(minor), Ok(pos)) = (
            inode.parse::<u64>(),
            major.parse::<u64>(),
            minor.parse::<u64>(),
            pos.parse::<u64>(),
        ) else {
            continue;
        };
        let dev = (major << 8) | (minor & 0xff) | ((minor & !0xff) << 12);
        let p = f.get(5).map(PathBuf::from).unwrap_or_default();
        out.insert(
            (dev, inode),
            Watched {
                path: p,
                pos,
                done: false,
            },
        );
    }
    out
}

fn write_sincedb(path: &Path, files: &HashMap<Key, Watched>) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let now = Timestamp::now().epoch_millis() as f64 / 1000.0;
    let mut text = String::new();
    for ((dev, inode), w) in files {
        let (major, minor) = major_minor(*dev);
        text.push_str(&format!(
            "{inode} {major} {minor} {} {now:.3} {}\n",
            w.pos,
            w.path.display()
        ));
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

impl InputPlugin for FileInput {
    fn common(&self) -> &CommonInput {
        &self.common
    }

    fn start(self: Box<Self>, ctx: InputContext) -> BoxFuture<Result<BoxFuture<Result<()>>>> {
        Box::pin(async move {
            let task: BoxFuture<Result<()>> = Box::pin(self.run(ctx));
            Ok(task)
        })
    }
}

impl FileInput {
    fn discover(&self) -> Vec<(PathBuf, Key, u64)> {
        let mut out = Vec::new();
        for p in &self.paths {
            let Ok(found) = glob::glob(p) else { continue };
            for path in found.filter_map(std::result::Result::ok) {
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                if self.exclude.iter().any(|e| e.matches(name)) {
                    continue;
                }
                let Ok(meta) = std::fs::metadata(&path) else {
                    continue;
                };
                if meta.is_file() {
                    out.push((path, (meta.dev(), meta.ino()), meta.len()));
                }
            }
        }
        out
    }

    fn event(&self, line: &[u8], path: &Path, host: &str, at: &IngestTime) -> LogEvent {
        let frame = ndjson_codec::Frame::Unvalidated {
            raw: bytes::Bytes::copy_from_slice(line),
            offset: 0,
            line: 0,
        };
        let mut ev =
            decode_frame(frame, &self.common.codec, self.common.decode_size_limit, at).event;
        let p = path.display().to_string();
        match self.ecs {
            Ecs::V8 => {
                ev.insert(
                    &log_model::FieldRef::parse("[log][file][path]")
                        .unwrap_or_else(|_| log_model::FieldRef::top("path")),
                    Value::String(p),
                );
                if !ev.contains_field("host") {
                    ev.insert_field("host", json!({"name": host}));
                }
            }
            Ecs::Disabled => {
                ev.insert_field("path", Value::String(p));
                ev.insert_field("host", Value::String(host.to_owned()));
            }
        }
        ev
    }

    /// Reads what is new in one file: complete lines from `pos`, at most [`CHUNK`] bytes.
    /// Returns the lines and the position after the last complete one.
    fn read_new(&self, path: &Path, pos: u64) -> std::io::Result<(Vec<Vec<u8>>, u64, bool)> {
        let mut f = std::fs::File::open(path)?;
        f.seek(SeekFrom::Start(pos))?;
        let mut buf = Vec::with_capacity(64 * 1024);
        f.take(CHUNK as u64).read_to_end(&mut buf)?;
        let at_end = buf.len() < CHUNK;
        let mut lines = Vec::new();
        let mut start = 0;
        let d = &self.delimiter;
        let mut i = 0;
        while i + d.len() <= buf.len() {
            if buf[i..i + d.len()] == d[..] {
                let mut line = buf[start..i].to_vec();
                if d == b"\n" && line.last() == Some(&b'\r') {
                    line.pop();
                }
                lines.push(line);
                i += d.len();
                start = i;
            } else {
                i += 1;
            }
        }
        // a partial line longer than MAX_LINE is cut
        if start == 0 && buf.len() - start >= MAX_LINE {
            lines.push(buf[..MAX_LINE].to_vec());
            start = MAX_LINE;
        }
        Ok((lines, pos + start as u64, at_end))
    }

    fn complete(&self, path: &Path) {
        tracing::info!(path = %path.display(), action = %self.completed, "file input: file read to its end");
        if self.completed.contains("log")
            && let Some(log) = &self.completed_log
        {
            use std::io::Write as _;
            let line = format!("{}\n", path.display());
            let _ = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .and_then(|mut f| f.write_all(line.as_bytes()));
        }
        if self.completed.contains("delete")
            && let Err(e) = std::fs::remove_file(path)
        {
            tracing::warn!(path = %path.display(), error = %e, "file input: cannot delete a completed file");
        }
    }

    async fn run(self, ctx: InputContext) -> Result<()> {
        let host = super::stdin::hostname();
        let mut files: HashMap<Key, Watched> = self
            .sincedb
            .as_deref()
            .map(read_sincedb)
            .unwrap_or_default();
        let mut first_pass = true;
        loop {
            let mut progressed = false;
            let mut all_done = true;
            for (path, key, len) in self.discover() {
                let w = files.entry(key).or_insert_with(|| Watched {
                    path: path.clone(),
                    pos: if self.beginning || !first_pass {
                        0
                    } else {
                        len
                    },
                    done: false,
                });
                w.path.clone_from(&path);
                if len < w.pos {
                    tracing::info!(path = %path.display(), "file input: file shrank (truncated), reading from the start");
                    w.pos = 0;
                }
                if w.done {
                    continue;
                }
                let pos = w.pos;
                if pos == len {
                    if self.read_mode && len > 0 {
                        w.done = true;
                        self.complete(&path);
                    }
                    continue;
                }
                all_done = false;
                let (lines, new_pos, _) = match self.read_new(&path, pos) {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(path = %path.display(), error = %e, "file input: read failed");
                        continue;
                    }
                };
                if lines.is_empty() {
                    continue;
                }
                let at = IngestTime::new(Timestamp::now());
                let mut events = Vec::with_capacity(lines.len());
                let mut ml = self.common.multiline.as_ref().map(|m| m.start());
                for l in &lines {
                    match ml.as_mut() {
                        Some(m) => {
                            for j in m.push(String::from_utf8_lossy(l).into_owned()) {
                                let mut ev = self.event(j.text.as_bytes(), &path, &host, &at);
                                j.tags.iter().for_each(|t| ev.add_tag(t));
                                events.push(ev);
                            }
                        }
                        None => events.push(self.event(l, &path, &host, &at)),
                    }
                }
                if let Some(j) = ml
                    .as_mut()
                    .and_then(super::super::codec::multiline::Multiline::flush)
                {
                    let mut ev = self.event(j.text.as_bytes(), &path, &host, &at);
                    j.tags.iter().for_each(|t| ev.add_tag(t));
                    events.push(ev);
                }
                for ev in &mut events {
                    self.common.decorate(ev);
                }
                if ctx.push_events(events).await.is_err() {
                    return Ok(());
                }
                // the queue took the lines: only now is the position durable
                if let Some(w) = files.get_mut(&key) {
                    w.pos = new_pos;
                }
                progressed = true;
                if let Some(db) = &self.sincedb {
                    write_sincedb(db, &files).map_err(|e| {
                        Error::io(format!("file input sincedb {}", db.display()), e)
                    })?;
                }
            }
            first_pass = false;
            if self.read_mode && self.exit_after_read && all_done {
                return Ok(());
            }
            if !progressed {
                tokio::select! {
                    () = ctx.shutdown.cancelled() => return Ok(()),
                    () = tokio::time::sleep(self.stat_interval) => {}
                }
            } else if ctx.shutdown.is_cancelled() {
                return Ok(());
            }
        }
    }
}
