//! `grok`: named captures from regular expressions built out of Logstash's pattern library.
//!
//! The library is Logstash's (logstash-patterns-core): the legacy set as the `grok` crate ships
//! it, with the ECS v1 versions of the patterns whose field names differ (`ecs-v1.patterns`)
//! laid over it unless `ecs_compatibility => disabled`. Patterns compile with `fancy-regex`,
//! which runs Oniguruma's syntax the library needs (atomic groups, look-around, named groups)
//! and hands every sub-expression without those features to the `regex` crate's automata.
//!
//! Semantics as logstash-filter-grok 4.x:
//! - `match => { "field" => ["p1", "p2"] }`: patterns tried in order; with `break_on_match`
//!   (default) the first match ends the filter, otherwise every pattern of every field is tried;
//! - `%{NAME:field}`, `%{NAME:[a][b]:int}` (`int`, `float`), Oniguruma `(?<field>...)`;
//!   unnamed `%{NAME}` are not kept unless `named_captures_only => false`;
//! - a capture that did not participate is skipped, an empty one too unless
//!   `keep_empty_captures`; a field that already holds a value becomes an array of both unless
//!   it is listed in `overwrite`;
//! - no match, or a missing source field: `tag_on_failure` (default `_grokparsefailure`); the
//!   common decorations (`add_field`, ...) only on a match;
//! - `timeout_millis` (default 30000, 0 = none): a match that overruns it ends the filter with
//!   `tag_on_timeout` (`_groktimeout`). A running match cannot be interrupted, so each one is
//!   also bounded by a backtracking limit (a pathological pattern fails as a timeout instead
//!   of hanging a worker);
//! - Ruby regexes are multi-line (`^`/`$` at every line), and Ruby's `(?m)` is "dot matches
//!   newline" (`(?s)` here); both are translated.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use log_model::{FieldRef, LogEvent};
use regex_automata::util::captures::Captures;
use serde_json::Value as Json;

use super::{Common, Filter, FilterOutcome, field_ref, tag_list};
use crate::Result;
use crate::config::PluginKind;
use crate::config::validate::{Default, OptSpec, OptType, Schema, Settings, json_text};

const ECS_V1: &str = include_str!("ecs-v1.patterns");
/// How deep `%{...}` may nest (the standard library needs about 8).
const MAX_DEPTH: usize = 64;
/// fancy-regex's backtracking budget per match attempt.
const BACKTRACK_LIMIT: usize = 1_000_000;

pub(super) fn schema() -> Schema {
    use OptType as T;
    Schema::new(
        PluginKind::Filter,
        "grok",
        vec![
            OptSpec::new("match", T::Hash).default(Default::List(&[])),
            OptSpec::new("break_on_match", T::Boolean).default(Default::Bool(true)),
            OptSpec::new("named_captures_only", T::Boolean).default(Default::Bool(true)),
            OptSpec::new("keep_empty_captures", T::Boolean).default(Default::Bool(false)),
            OptSpec::new("overwrite", T::Array).default(Default::List(&[])),
            OptSpec::new("pattern_definitions", T::Hash),
            OptSpec::new("patterns_dir", T::Array).default(Default::List(&[])),
            OptSpec::new("patterns_files_glob", T::String).default(Default::Str("*")),
            OptSpec::new("tag_on_failure", T::Array).default(Default::List(&["_grokparsefailure"])),
            OptSpec::new("tag_on_timeout", T::String).default(Default::Str("_groktimeout")),
            OptSpec::new("timeout_millis", T::Number).default(Default::Int(30_000)),
            OptSpec::new("timeout_scope", T::OneOf(&["pattern", "event"]))
                .default(Default::Str("pattern")),
            OptSpec::new("target", T::String),
            OptSpec::new("ecs_compatibility", T::OneOf(&["disabled", "v1", "v8"])),
        ],
    )
}

pub(super) fn build(settings: &Settings, common: Common) -> Result<Box<dyn Filter>> {
    Ok(Box::new(Grok::new(settings, common)?))
}

/// The standard library by pattern name, legacy or ECS v1.
fn standard(ecs: bool) -> &'static HashMap<String, String> {
    static LEGACY: OnceLock<HashMap<String, String>> = OnceLock::new();
    static V1: OnceLock<HashMap<String, String>> = OnceLock::new();
    let legacy = || {
        grok::patterns()
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<HashMap<_, _>>()
    };
    if !ecs {
        return LEGACY.get_or_init(legacy);
    }
    V1.get_or_init(|| {
        let mut lib = legacy();
        lib.extend(parse_pattern_lines(ECS_V1));
        lib
    })
}

/// `NAME regex` lines (a patterns file); `#` comments and blank lines skipped.
pub(crate) fn parse_pattern_lines(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim_start)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (name, def) = l.split_once([' ', '\t'])?;
            Some((name.to_owned(), def.trim_start().to_owned()))
        })
        .collect()
}

/// How a capture's text is converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conv {
    Text,
    Int,
    Float,
}

#[derive(Debug, Clone)]
struct Capture {
    /// The group name in the compiled regex (`_g3`).
    group: String,
    /// The field as written (`clientip`, `[http][version]`).
    field: String,
    path: FieldRef,
    conv: Conv,
}

/// One compiled `match` pattern.
#[derive(Debug)]
struct Compiled {
    source: String,
    regex: fancy_regex::Regex,
    captures: Vec<Capture>,
    /// The same pattern on the `regex` crate's automata, with each capture's group index
    /// there; tried first (see [`fast`]).
    fast: Option<(fast::Fast, Vec<usize>)>,
    /// Where the captures go (`target` and `overwrite` applied).
    plan: plan::Plan,
}

struct Expander<'a> {
    user: &'a HashMap<String, String>,
    lib: &'a HashMap<String, String>,
    named_only: bool,
    captures: Vec<Capture>,
    out: String,
}

impl Expander<'_> {
    fn definition(&self, name: &str) -> Option<&str> {
        self.user
            .get(name)
            .or_else(|| self.lib.get(name))
            .map(String::as_str)
    }

    fn capture(&mut self, field: &str, conv: Conv) -> std::result::Result<String, String> {
        let group = format!("_g{}", self.captures.len());
        let path = field_ref(field)
            .or_else(|| FieldRef::parse(field).ok())
            .ok_or_else(|| format!("invalid field name {field:?} in grok pattern"))?;
        self.captures.push(Capture {
            group: group.clone(),
            field: field.to_owned(),
            path,
            conv,
        });
        Ok(group)
    }

    fn expand(&mut self, pattern: &str, depth: usize) -> std::result::Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "pattern nesting deeper than {MAX_DEPTH} levels (a pattern that refers to itself?)"
            ));
        }
        let mut rest = pattern;
        // nesting of `[...]` character classes
        let mut class = 0usize;
        while !rest.is_empty() {
            // `%{NAME[:field[:type]]}`
            if let Some(after) = rest.strip_prefix("%{") {
                let end = after
                    .find('}')
                    .ok_or_else(|| format!("unterminated %{{ in {pattern:?}"))?;
                let spec = &after[..end];
                rest = &after[end + 1..];
                let (spec, inline) = match spec.split_once('=') {
                    Some((s, d)) => (s, Some(d)),
                    None => (spec, None),
                };
                let mut parts = spec.splitn(3, ':');
                let name = parts.next().unwrap_or_default();
                let field = parts.next().filter(|f| !f.is_empty());
                let conv = match parts.next() {
                    None | Some("string") => Conv::Text,
                    Some("int") => Conv::Int,
                    Some("float") => Conv::Float,
                    Some(other) => {
                        return Err(format!(
                            "invalid type {other:?} in %{{{spec}}} (int, float or string)"
                        ));
                    }
                };
                let def = match inline {
                    Some(d) => d.to_owned(),
                    None => self
                        .definition(name)
                        .ok_or_else(|| format!("pattern %{{{name}}} not defined"))?
                        .to_owned(),
                };
                let field = match field {
                    Some(f) => Some(f.to_owned()),
                    None if !self.named_only => Some(name.to_owned()),
                    None => None,
                };
                match field {
                    Some(f) => {
                        let group = self.capture(&f, conv)?;
                        self.out.push_str("(?<");
                        self.out.push_str(&group);
                        self.out.push('>');
                    }
                    None => self.out.push_str("(?:"),
                }
                self.expand(&def, depth + 1)?;
                self.out.push(')');
                continue;
            }
            // Oniguruma named group `(?<field>` (not look-behind `(?<=`, `(?<!`).
            if let Some(after) = rest
                .strip_prefix("(?<")
                .or_else(|| rest.strip_prefix("(?P<"))
                && !after.starts_with(['=', '!'])
            {
                let end = after
                    .find('>')
                    .ok_or_else(|| format!("unterminated named group in {pattern:?}"))?;
                let group = self.capture(&after[..end], Conv::Text)?;
                self.out.push_str("(?<");
                self.out.push_str(&group);
                self.out.push('>');
                rest = &after[end + 1..];
                continue;
            }
            // Ruby's `(?m)` is dot-all.
            if let Some(after) = rest.strip_prefix("(?m)") {
                self.out.push_str("(?s)");
                rest = after;
                continue;
            }
            // An escape is copied whole, so `\%{` and `\(?<` stay literal; Ruby's `\d`, `\w`
            // and `\s` are ASCII classes (the `regex` crate's are Unicode), so they are spelt out.
            let mut chars = rest.chars();
            let c = chars.next().unwrap_or_default();
            let len = if c == '\\' {
                1 + chars.next().map_or(0, char::len_utf8)
            } else {
                c.len_utf8()
            };
            match (&rest[..len], class > 0) {
                (r"\d", false) => self.out.push_str("[0-9]"),
                (r"\d", true) => self.out.push_str("0-9"),
                (r"\D", false) => self.out.push_str("[^0-9]"),
                (r"\w", false) => self.out.push_str("[a-zA-Z0-9_]"),
                (r"\w", true) => self.out.push_str("a-zA-Z0-9_"),
                (r"\W", false) => self.out.push_str("[^a-zA-Z0-9_]"),
                (r"\s", false) => self.out.push_str(r"[ \t\n\x0B\f\r]"),
                (r"\s", true) => self.out.push_str(r" \t\n\x0B\f\r"),
                (r"\S", false) => self.out.push_str(r"[^ \t\n\x0B\f\r]"),
                ("[", _) => {
                    class += 1;
                    self.out.push('[');
                    // `]` first in a class (after an optional `^`) is a literal
                    let after = &rest[1..];
                    let lead = usize::from(after.starts_with('^'));
                    let lead = lead + usize::from(after[lead..].starts_with(']'));
                    self.out.push_str(&after[..lead]);
                    rest = &after[lead..];
                    continue;
                }
                ("]", true) => {
                    class -= 1;
                    self.out.push(']');
                }
                (text, _) => self.out.push_str(text),
            }
            rest = &rest[len..];
        }
        Ok(())
    }
}

fn compile(
    pattern: &str,
    user: &HashMap<String, String>,
    lib: &HashMap<String, String>,
    named_only: bool,
    target: Option<&FieldRef>,
    overwrite: &[String],
) -> std::result::Result<Compiled, String> {
    let mut x = Expander {
        user,
        lib,
        named_only,
        captures: Vec::new(),
        out: String::from("(?m)"),
    };
    x.expand(pattern, 0)?;
    let regex = fancy_regex::RegexBuilder::new(&x.out)
        .backtrack_limit(BACKTRACK_LIMIT)
        .build()
        .map_err(|e| format!("pattern {pattern:?} does not compile: {e}"))?;
    let fast = fast::Fast::new(&x.out).and_then(|f| {
        let groups: Option<Vec<usize>> = x.captures.iter().map(|c| f.group(&c.group)).collect();
        Some((f, groups?))
    });
    if fast.is_none() {
        tracing::debug!(pattern, "grok pattern runs on the backtracking engine only");
    }
    let fields =
        x.captures
            .iter()
            .map(|c| {
                let path = match target {
                    Some(t) => FieldRef::parse(&format!("{t}{}", c.path))
                        .unwrap_or_else(|_| c.path.clone()),
                    None => c.path.clone(),
                };
                (path, overwrite.contains(&c.field))
            })
            .collect();
    Ok(Compiled {
        source: pattern.to_owned(),
        regex,
        plan: plan::Plan::new(fields),
        captures: x.captures,
        fast,
    })
}

/// A regex that may use the standard grok patterns (ECS v1 set) and those of `patterns_dir`,
/// without captures (the multiline codec's `pattern`).
pub(crate) fn plain_regex(
    pattern: &str,
    dirs: &[String],
) -> std::result::Result<fancy_regex::Regex, String> {
    let mut user = HashMap::new();
    load_dirs(dirs, "*", &mut user).map_err(|e| format!("cannot read patterns_dir: {e}"))?;
    compile(pattern, &user, standard(true), true, None, &[]).map(|c| c.regex)
}

/// Loads `patterns_dir` files (matching `glob`, sorted by name) into `into`.
fn load_dirs(
    dirs: &[String],
    glob: &str,
    into: &mut HashMap<String, String>,
) -> std::io::Result<()> {
    for dir in dirs {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(Path::new(dir))? {
            let path = entry?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if path.is_file() && crate::config::wildcard(glob, name) {
                files.push(path);
            }
        }
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f)?;
            into.extend(parse_pattern_lines(&text));
        }
    }
    Ok(())
}

#[derive(Debug)]
struct Grok {
    common: Common,
    matches: Vec<(FieldRef, Vec<Compiled>)>,
    break_on_match: bool,
    keep_empty: bool,
    tag_on_failure: Vec<String>,
    tag_on_timeout: String,
    timeout: Option<Duration>,
    timeout_event: bool,
}

impl Grok {
    fn new(settings: &Settings, common: Common) -> Result<Self> {
        let ecs = settings.string("ecs_compatibility") != Some("disabled");
        let mut user: HashMap<String, String> = HashMap::new();
        let dirs = settings.strings("patterns_dir");
        let glob = settings.string("patterns_files_glob").unwrap_or("*");
        load_dirs(&dirs, glob, &mut user)
            .map_err(|e| settings.invalid("patterns_dir", &format!("cannot read patterns: {e}")))?;
        for (k, v) in settings.hash("pattern_definitions").unwrap_or_default() {
            user.insert(k.clone(), json_text(v));
        }
        let named_only = settings.boolean("named_captures_only").unwrap_or(true);
        let overwrite = settings.strings("overwrite");
        let target = settings.string("target").and_then(field_ref);
        let lib = standard(ecs);
        let mut matches = Vec::new();
        for (field, patterns) in settings.hash("match").unwrap_or_default() {
            let list: Vec<String> = match patterns {
                Json::Array(items) => items.iter().map(json_text).collect(),
                other => vec![json_text(other)],
            };
            let mut compiled = Vec::with_capacity(list.len());
            for p in &list {
                compiled.push(
                    compile(p, &user, lib, named_only, target.as_ref(), &overwrite)
                        .map_err(|e| settings.invalid("match", &e))?,
                );
            }
            let source = field_ref(field)
                .ok_or_else(|| settings.invalid("match", &format!("invalid field {field:?}")))?;
            matches.push((source, compiled));
        }
        let ms = settings.integer("timeout_millis").unwrap_or(30_000);
        Ok(Self {
            common,
            matches,
            break_on_match: settings.boolean("break_on_match").unwrap_or(true),
            keep_empty: settings.boolean("keep_empty_captures").unwrap_or(false),
            tag_on_failure: tag_list(settings, "tag_on_failure"),
            tag_on_timeout: settings
                .string("tag_on_timeout")
                .unwrap_or("_groktimeout")
                .to_owned(),
            timeout: u64::try_from(ms)
                .ok()
                .filter(|m| *m > 0)
                .map(Duration::from_millis),
            timeout_event: settings.string("timeout_scope") == Some("event"),
        })
    }

    /// Tries one pattern on one text; `Err(())` on a timeout or a blown backtracking budget.
    fn try_one(
        &self,
        c: &Compiled,
        text: &str,
        event: &mut LogEvent,
    ) -> std::result::Result<bool, ()> {
        let Some(spans) = c.spans(text).map_err(|e| {
            tracing::warn!(filter = self.common.id(), pattern = %c.source, error = %e, "grok match aborted");
        })?
        else {
            return Ok(false);
        };
        let mut values: Vec<Option<plan::Cap<'_>>> = c
            .captures
            .iter()
            .zip(spans)
            .map(|(cap, span)| {
                let (start, end) = span?;
                let s = &text[start..end];
                (self.keep_empty || !s.is_empty()).then(|| convert(s, cap.conv))
            })
            .collect();
        c.plan.apply(event, &mut values);
        Ok(true)
    }
}

/// Each capture's span in a match, in the order of `Compiled::captures`.
type Spans = Vec<Option<(usize, usize)>>;

impl Compiled {
    /// The match of this pattern in `text`: on the automata when the fast form can tell,
    /// else on fancy-regex.
    fn spans(&self, text: &str) -> std::result::Result<Option<Spans>, Box<fancy_regex::Error>> {
        if let Some((fast, groups)) = &self.fast {
            let read = |caps: &Captures| {
                groups
                    .iter()
                    .map(|g| caps.get_group(*g).map(|s| (s.start, s.end)))
                    .collect()
            };
            if let Some(found) = fast.search(text, read) {
                return Ok(found);
            }
        }
        Ok(self.regex.captures(text).map_err(Box::new)?.map(|caps| {
            self.captures
                .iter()
                .map(|c| caps.name(&c.group).map(|m| (m.start(), m.end())))
                .collect()
        }))
    }
}

/// `:int` / `:float` as Ruby's `to_i` / `to_f` (a leading number, else 0).
fn convert(s: &str, conv: Conv) -> plan::Cap<'_> {
    plan::Cap::Json(match conv {
        Conv::Text => return plan::Cap::Text(s),
        Conv::Int => {
            let t = s.trim_start();
            let end = t
                .char_indices()
                .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && (*c == '-' || *c == '+')))
                .map(|(i, c)| i + c.len_utf8())
                .last()
                .unwrap_or(0);
            Json::from(t[..end].parse::<i64>().unwrap_or(0))
        }
        Conv::Float => {
            let t = s.trim_start();
            let mut end = 0;
            for i in (1..=t.len()).rev() {
                if t.is_char_boundary(i) && t[..i].parse::<f64>().is_ok_and(f64::is_finite) {
                    end = i;
                    break;
                }
            }
            serde_json::Number::from_f64(t[..end].parse::<f64>().unwrap_or(0.0))
                .map_or(Json::Null, Json::Number)
        }
    })
}

/// How the patterns of one text went.
#[derive(PartialEq)]
enum Tried {
    /// None matched, or all were tried without `break_on_match`; `true` when one matched.
    Done(bool),
    /// One matched and `break_on_match` stops the filter.
    Stop,
    /// A match ran out of time or budget.
    TimedOut,
}

impl Grok {
    /// Tries `patterns` on one text; `start`: when the filter began, `began`: now.
    fn try_patterns(
        &self,
        patterns: &[Compiled],
        text: &str,
        event: &mut LogEvent,
        (start, mut began): (Instant, Instant),
    ) -> Tried {
        let mut matched = false;
        for c in patterns {
            let r = self.try_one(c, text, event);
            let since = if self.timeout_event { start } else { began };
            let now = Instant::now();
            let late = self.timeout.is_some_and(|t| now.duration_since(since) > t);
            // the next pattern's clock starts here (one reading per pattern)
            began = now;
            if r.is_err() || late {
                return Tried::TimedOut;
            }
            if r == Ok(true) {
                matched = true;
                if self.break_on_match {
                    return Tried::Stop;
                }
            }
        }
        Tried::Done(matched)
    }

    /// Tries `patterns` on the top-level string field `key`, taken out of the event for the
    /// match and put back after (no copy of the text). Only for a field no capture writes.
    fn try_in_place(
        &self,
        key: &str,
        patterns: &[Compiled],
        event: &mut LogEvent,
        clock: (Instant, Instant),
    ) -> Option<Tried> {
        let Some(Json::String(s)) = event.field_mut(key) else {
            return None;
        };
        let text = std::mem::take(s);
        let tried = self.try_patterns(patterns, &text, event, clock);
        if let Some(slot) = event.field_mut(key) {
            *slot = Json::String(text);
        }
        Some(tried)
    }
}

impl Filter for Grok {
    fn filter(&self, event: &mut LogEvent) -> FilterOutcome {
        let start = Instant::now();
        let mut matched = false;
        let mut first = true;
        'fields: for (source, patterns) in &self.matches {
            let key = match source.segments() {
                [key] if !patterns.iter().any(|c| c.plan.touches(key)) => Some(key),
                _ => None,
            };
            // the first text starts its clock with the filter's
            let mut clock = (start, if first { start } else { Instant::now() });
            first = false;
            let outcome = match key.and_then(|k| self.try_in_place(k, patterns, event, clock)) {
                Some(t) => t,
                None => {
                    let texts: Vec<String> = match event.get(source) {
                        None | Some(Json::Null) => continue,
                        Some(Json::Array(items)) => items.iter().map(json_text).collect(),
                        Some(v) => vec![json_text(v)],
                    };
                    let mut outcome = Tried::Done(false);
                    for text in &texts {
                        let t = self.try_patterns(patterns, text, event, clock);
                        clock.1 = Instant::now();
                        match t {
                            Tried::Done(m) => {
                                outcome = Tried::Done(m || outcome == Tried::Done(true));
                            }
                            // a stop or a timeout ends the field
                            other => {
                                outcome = other;
                                break;
                            }
                        }
                    }
                    outcome
                }
            };
            match outcome {
                Tried::Done(m) => matched |= m,
                Tried::Stop => {
                    matched = true;
                    break 'fields;
                }
                Tried::TimedOut => {
                    self.common
                        .failed(event, std::slice::from_ref(&self.tag_on_timeout));
                    return FilterOutcome::Keep;
                }
            }
        }
        if matched {
            self.common.matched(event);
        } else {
            self.common.failed(event, &self.tag_on_failure);
        }
        FilterOutcome::Keep
    }

    fn id(&self) -> &str {
        self.common.id()
    }

    fn name(&self) -> &'static str {
        "grok"
    }

    fn failures(&self) -> u64 {
        self.common.failures()
    }
}

mod fast;
mod plan;
#[cfg(test)]
mod tests;
