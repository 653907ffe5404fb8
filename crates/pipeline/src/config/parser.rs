//! A PEG parser that follows Logstash's treetop grammar (`lscl_grammar.treetop`) rule by rule,
//! so that what parses, and the "Expected one of ..." message for what does not, match Logstash.
//!
//! Like treetop, the parser remembers the furthest position where a terminal failed to match and
//! every terminal expected there; the syntax error names them in the order they were tried,
//! with the line, column and (1-based, counted in characters) byte, and the text between the end
//! of the last complete section and the failure.
//!
//! Deliberate differences from Logstash, each for robustness:
//! - a `#` comment may end at the end of the file without a newline;
//! - nesting deeper than [`MAX_DEPTH`] levels is an error instead of a stack overflow;
//! - a regex that does not compile, a method call in a condition, and `xor`/`nand` mixed with other
//!   boolean operators without parentheses are reported at parse time with their position
//!   (Logstash fails later, without one).
//!
//! Precedence of boolean operators is Logstash's: its shunting-yard pops at most one operator of
//! higher precedence per new operator (`and`/`nand` = 2, `or`/`xor` = 1), so `a and b and c or d`
//! groups as `a and ((b and c) or d)`, exactly as Logstash evaluates it.

use std::sync::Arc;

use log_model::FieldRef;

use super::ast::{Arm, Branch, Node, Number, Pipeline, Plugin, PluginKind, Setting, Span, Value};
use super::condition::{BoolOp, CompareOp, Condition, Pattern, Rvalue};
use crate::{Error, Result};

/// How deep arrays, hashes, plugins, conditionals and parentheses may nest.
pub const MAX_DEPTH: u32 = 100;

/// Parsing options.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Process `\n`, `\t`, `\r`, `\0`, `\\`, `\"` and `\'` in quoted strings, like Logstash's
    /// `config.support_escapes: true`. Default `false`: strings are taken as written.
    pub support_escapes: bool,
}

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    max_fail: usize,
    fails: Vec<(&'static str, bool)>,
    /// Errors found inside constructs that parsed (position, message); dropped on backtrack.
    semantic: Vec<(usize, String)>,
    file: Arc<str>,
    line_starts: Vec<usize>,
    escapes: bool,
    depth: u32,
    too_deep: Option<usize>,
}

/// Parses one config text.
pub(crate) fn parse(file: &str, src: &str, opts: &ParseOptions) -> Result<Pipeline> {
    let mut p = Parser {
        src,
        b: src.as_bytes(),
        pos: 0,
        max_fail: 0,
        fails: Vec::new(),
        semantic: Vec::new(),
        file: Arc::from(file),
        line_starts: std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect(),
        escapes: opts.support_escapes,
        depth: 0,
        too_deep: None,
    };
    let sections = p.config();
    if let Some(at) = p.too_deep {
        return Err(p.error_at(
            at,
            format!("the config nests deeper than {MAX_DEPTH} levels"),
        ));
    }
    if p.pos != p.b.len() {
        return Err(p.syntax_error());
    }
    if let Some((at, message)) = p.semantic.first().cloned() {
        return Err(p.error_at(at, message));
    }
    let mut pipeline = Pipeline::default();
    for (kind, body) in sections {
        match kind {
            PluginKind::Input => pipeline.inputs.extend(body),
            PluginKind::Filter => pipeline.filters.extend(body),
            _ => pipeline.outputs.extend(body),
        }
    }
    Ok(pipeline)
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Logstash's `StringEscape.process_escapes`.
fn process_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(e @ ('"' | '\'' | '\\')) => out.push(e),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('0') => out.push('\0'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

impl Parser<'_> {
    // ---- positions and errors -------------------------------------------------------------

    fn span(&self, byte: usize) -> Span {
        let line_idx = self.line_starts.partition_point(|&s| s <= byte) - 1;
        let start = self.line_starts[line_idx];
        let column = self.src[start..byte].chars().count() + 1;
        Span {
            file: self.file.clone(),
            line: u32::try_from(line_idx + 1).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
            byte,
        }
    }

    fn error_at(&self, byte: usize, message: String) -> Error {
        Error::ConfigAt {
            span: self.span(byte),
            message,
        }
    }

    /// treetop's `failure_reason`.
    fn syntax_error(&self) -> Error {
        let mut expected: Vec<String> = Vec::new();
        for (what, unexpected) in &self.fails {
            let s = if *unexpected {
                format!("something other than {what}")
            } else {
                (*what).to_owned()
            };
            if !expected.contains(&s) {
                expected.push(s);
            }
        }
        let at = self.max_fail;
        let span = self.span(at);
        let char_index = self.src[..at].chars().count();
        let what = if expected.len() == 1 {
            expected.remove(0)
        } else {
            format!("one of {}", expected.join(", "))
        };
        let mut message = format!(
            "Expected {what} at line {}, column {} (byte {})",
            span.line,
            span.column,
            char_index + 1
        );
        if at > 0 {
            message.push_str(" after ");
            message.push_str(&self.src[self.pos.min(at)..at]);
        }
        Error::ConfigAt { span, message }
    }

    // ---- terminals --------------------------------------------------------------------------

    fn fail(&mut self, expected: &'static str, unexpected: bool) {
        if self.pos < self.max_fail {
            return;
        }
        if self.pos > self.max_fail {
            self.max_fail = self.pos;
            self.fails.clear();
        }
        self.fails.push((expected, unexpected));
    }

    fn reset(&mut self, to: usize) {
        self.pos = to;
        if self.semantic.last().is_some_and(|(at, _)| *at >= to) {
            self.semantic.retain(|(at, _)| *at < to);
        }
    }

    fn lit(&mut self, s: &str, expected: &'static str) -> bool {
        if self.b[self.pos..].starts_with(s.as_bytes()) {
            self.pos += s.len();
            true
        } else {
            self.fail(expected, false);
            false
        }
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn class(&mut self, pred: fn(char) -> bool, expected: &'static str) -> bool {
        match self.peek() {
            Some(c) if pred(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => {
                self.fail(expected, false);
                false
            }
        }
    }

    fn any_char(&mut self) -> bool {
        match self.peek() {
            Some(c) => {
                self.pos += c.len_utf8();
                true
            }
            None => {
                self.fail("any character", false);
                false
            }
        }
    }

    /// `!'x'` followed by `.` — one character that is not `quote`.
    fn not_then_any(&mut self, quote: &str, expected: &'static str) -> bool {
        let i = self.pos;
        if self.lit(quote, expected) {
            self.pos = i;
            self.fail(expected, true);
            return false;
        }
        // treetop pops the failure the lookahead just recorded.
        self.fails.pop();
        self.any_char()
    }

    fn enter(&mut self) -> bool {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            if self.too_deep.is_none() {
                self.too_deep = Some(self.pos);
            }
            return false;
        }
        self.too_deep.is_none()
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ---- whitespace and comments --------------------------------------------------------------

    fn whitespace(&mut self) -> bool {
        let start = self.pos;
        while self.class(is_ws, "[ \\t\\r\\n]") {}
        self.pos > start
    }

    fn comment(&mut self) -> bool {
        let mut count = 0;
        loop {
            let i = self.pos;
            self.whitespace();
            if !self.lit("#", "\"#\"") {
                self.reset(i);
                break;
            }
            while self.class(|c| c != '\r' && c != '\n', "[^\\r\\n]") {}
            self.lit("\r", "\"\\r\"");
            if !self.lit("\n", "\"\\n\"") && self.pos != self.b.len() {
                self.reset(i);
                break;
            }
            count += 1;
            if self.pos == self.b.len() {
                break;
            }
        }
        count > 0
    }

    fn cs(&mut self) {
        while self.comment() || self.whitespace() {}
    }

    // ---- sections and plugins ---------------------------------------------------------------

    fn config(&mut self) -> Vec<(PluginKind, Vec<Node>)> {
        let mut sections = Vec::new();
        loop {
            let i = self.pos;
            self.cs();
            match self.plugin_section() {
                Some(s) => sections.push(s),
                None => {
                    self.reset(i);
                    break;
                }
            }
        }
        self.cs();
        sections
    }

    fn plugin_section(&mut self) -> Option<(PluginKind, Vec<Node>)> {
        let i = self.pos;
        let kind = if self.lit("input", "\"input\"") {
            PluginKind::Input
        } else if self.lit("filter", "\"filter\"") {
            PluginKind::Filter
        } else if self.lit("output", "\"output\"") {
            PluginKind::Output
        } else {
            return None;
        };
        self.cs();
        if !self.lit("{", "\"{\"") {
            self.reset(i);
            return None;
        }
        self.cs();
        let body = self.body(kind);
        if !self.lit("}", "\"}\"") {
            self.reset(i);
            return None;
        }
        Some((kind, body))
    }

    /// `(branch_or_plugin cs)*`
    fn body(&mut self, kind: PluginKind) -> Vec<Node> {
        let mut nodes = Vec::new();
        loop {
            let j = self.pos;
            match self.branch_or_plugin(kind) {
                Some(n) => {
                    nodes.push(n);
                    self.cs();
                }
                None => {
                    self.reset(j);
                    break;
                }
            }
        }
        nodes
    }

    fn branch_or_plugin(&mut self, kind: PluginKind) -> Option<Node> {
        if let Some(b) = self.branch(kind) {
            return Some(Node::Branch(b));
        }
        self.plugin(kind).map(Node::Plugin)
    }

    fn plugin(&mut self, kind: PluginKind) -> Option<Plugin> {
        if !self.enter() {
            self.leave();
            return None;
        }
        let r = self.plugin_inner(kind);
        self.leave();
        r
    }

    fn plugin_inner(&mut self, kind: PluginKind) -> Option<Plugin> {
        let i = self.pos;
        let (name, _) = self.name()?;
        self.cs();
        if !self.lit("{", "\"{\"") {
            self.reset(i);
            return None;
        }
        self.cs();
        let mut settings = Vec::new();
        let j = self.pos;
        if let Some(a) = self.attribute() {
            settings.push(a);
            loop {
                let k = self.pos;
                if !self.whitespace() {
                    self.reset(k);
                    break;
                }
                self.cs();
                match self.attribute() {
                    Some(a) => settings.push(a),
                    None => {
                        self.reset(k);
                        break;
                    }
                }
            }
        } else {
            self.reset(j);
        }
        self.cs();
        if !self.lit("}", "\"}\"") {
            self.reset(i);
            return None;
        }
        Some(Plugin {
            kind,
            name,
            settings,
            span: self.span(i),
        })
    }

    /// `[A-Za-z0-9_-]+ / string`; returns the text as Logstash keeps it for a plugin name (a
    /// quoted name keeps its quotes) and the unquoted text.
    fn name(&mut self) -> Option<(String, String)> {
        let i = self.pos;
        while self.class(is_name_char, "[A-Za-z0-9_-]") {}
        if self.pos > i {
            let s = self.src[i..self.pos].to_owned();
            return Some((s.clone(), s));
        }
        self.reset(i);
        let (_, raw) = self.string_raw()?;
        let inner = raw[1..raw.len() - 1].to_owned();
        Some((raw, inner))
    }

    fn attribute(&mut self) -> Option<Setting> {
        let i = self.pos;
        let (_, name) = self.name()?;
        self.cs();
        if !self.lit("=>", "\"=>\"") {
            self.reset(i);
            return None;
        }
        self.cs();
        let v = self.pos;
        let Some(value) = self.value() else {
            self.reset(i);
            return None;
        };
        Some(Setting {
            name,
            value,
            span: self.span(i),
            value_span: self.span(v),
        })
    }

    // ---- values -----------------------------------------------------------------------------

    fn value(&mut self) -> Option<Value> {
        if !self.enter() {
            self.leave();
            return None;
        }
        let r = self.value_inner();
        self.leave();
        r
    }

    fn value_inner(&mut self) -> Option<Value> {
        let i = self.pos;
        if let Some(p) = self.plugin(PluginKind::Codec) {
            return Some(Value::Plugin(Box::new(p)));
        }
        self.reset(i);
        if let Some(w) = self.bareword() {
            return Some(match w.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => Value::Bareword(w),
            });
        }
        if let Some(s) = self.string() {
            return Some(Value::String(s));
        }
        if let Some(n) = self.number() {
            return Some(Value::Number(n));
        }
        if let Some(a) = self.array() {
            return Some(Value::Array(a));
        }
        self.hash().map(Value::Hash)
    }

    fn bareword(&mut self) -> Option<String> {
        let i = self.pos;
        if !self.class(is_word_start, "[A-Za-z_]") {
            return None;
        }
        let j = self.pos;
        while self.class(is_word_char, "[A-Za-z0-9_]") {}
        if self.pos == j {
            self.reset(i);
            return None;
        }
        Some(self.src[i..self.pos].to_owned())
    }

    /// A quoted string: (processed contents, raw text with quotes).
    fn string_raw(&mut self) -> Option<(String, String)> {
        let i = self.pos;
        let ok = if self.lit("\"", "'\"'") {
            loop {
                if self.lit("\\\"", "'\\\"'") {
                    continue;
                }
                if !self.not_then_any("\"", "'\"'") {
                    break;
                }
            }
            self.lit("\"", "'\"'")
        } else if self.lit("'", "\"'\"") {
            loop {
                if self.lit("\\'", "\"\\\\'\"") {
                    continue;
                }
                if !self.not_then_any("'", "\"'\"") {
                    break;
                }
            }
            self.lit("'", "\"'\"")
        } else {
            false
        };
        if !ok {
            self.reset(i);
            return None;
        }
        let raw = &self.src[i..self.pos];
        let inner = &raw[1..raw.len() - 1];
        let text = if self.escapes {
            process_escapes(inner)
        } else {
            inner.to_owned()
        };
        Some((text, raw.to_owned()))
    }

    fn string(&mut self) -> Option<String> {
        self.string_raw().map(|(s, _)| s)
    }

    fn regexp(&mut self) -> Option<(usize, String)> {
        let i = self.pos;
        if !self.lit("/", "'/'") {
            return None;
        }
        loop {
            if self.lit("\\/", "'\\/'") {
                continue;
            }
            if !self.not_then_any("/", "'/'") {
                break;
            }
        }
        if !self.lit("/", "'/'") {
            self.reset(i);
            return None;
        }
        Some((i, self.src[i + 1..self.pos - 1].to_owned()))
    }

    fn number(&mut self) -> Option<Number> {
        let i = self.pos;
        self.lit("-", "\"-\"");
        let d = self.pos;
        while self.class(|c| c.is_ascii_digit(), "[0-9]") {}
        if self.pos == d {
            self.reset(i);
            return None;
        }
        let k = self.pos;
        let mut float = false;
        if self.lit(".", "\".\"") {
            float = true;
            while self.class(|c| c.is_ascii_digit(), "[0-9]") {}
        } else {
            self.reset(k);
        }
        let text = &self.src[i..self.pos];
        if !float && let Ok(n) = text.parse::<i64>() {
            return Some(Number::Integer(n));
        }
        let f = text
            .trim_end_matches('.')
            .parse::<f64>()
            .unwrap_or(f64::NAN);
        Some(Number::Float(f))
    }

    fn array(&mut self) -> Option<Vec<Value>> {
        let i = self.pos;
        if !self.lit("[", "\"[\"") {
            return None;
        }
        self.cs();
        let mut items = Vec::new();
        let j = self.pos;
        if let Some(v) = self.value() {
            items.push(v);
            loop {
                let k = self.pos;
                self.cs();
                if !self.lit(",", "\",\"") {
                    self.reset(k);
                    break;
                }
                self.cs();
                match self.value() {
                    Some(v) => items.push(v),
                    None => {
                        self.reset(k);
                        break;
                    }
                }
            }
        } else {
            self.reset(j);
        }
        self.cs();
        if !self.lit("]", "\"]\"") {
            self.reset(i);
            return None;
        }
        Some(items)
    }

    fn hash(&mut self) -> Option<Vec<(String, Value)>> {
        let i = self.pos;
        if !self.lit("{", "\"{\"") {
            return None;
        }
        self.cs();
        let mut entries: Vec<(String, String, Value)> = Vec::new();
        let j = self.pos;
        if let Some(e) = self.hashentry() {
            entries.push(e);
            loop {
                let k = self.pos;
                // Logstash accepts comments between entries, not only whitespace.
                self.cs();
                if self.pos == k {
                    break;
                }
                match self.hashentry() {
                    Some(e) => entries.push(e),
                    None => {
                        self.reset(k);
                        break;
                    }
                }
            }
        } else {
            self.reset(j);
        }
        self.cs();
        if !self.lit("}", "\"}\"") {
            self.reset(i);
            return None;
        }
        let mut dups: Vec<&str> = Vec::new();
        for (n, (raw, _, _)) in entries.iter().enumerate() {
            if entries[..n].iter().any(|(r, _, _)| r == raw) && !dups.contains(&raw.as_str()) {
                dups.push(raw);
            }
        }
        if !dups.is_empty() {
            let span = self.span(i);
            let char_index = self.src[..i].chars().count();
            let keys = dups.join(", ");
            let message = format!(
                "Duplicate keys found in your configuration: [{keys}]\nAt line: {}, column {} (byte {})\nafter {}",
                span.line,
                span.column,
                char_index + 1,
                &self.src[..=i]
            );
            self.semantic.push((i, message));
        }
        Some(entries.into_iter().map(|(_, k, v)| (k, v)).collect())
    }

    /// `(number / bareword / string) cs "=>" cs value`: (raw key text, key, value).
    fn hashentry(&mut self) -> Option<(String, String, Value)> {
        let i = self.pos;
        let key = if self.number().is_some() {
            self.src[i..self.pos].to_owned()
        } else if let Some(w) = self.bareword() {
            w
        } else {
            self.string()?
        };
        let raw = self.src[i..self.pos].to_owned();
        self.cs();
        if !self.lit("=>", "\"=>\"") {
            self.reset(i);
            return None;
        }
        self.cs();
        let Some(value) = self.value() else {
            self.reset(i);
            return None;
        };
        Some((raw, key, value))
    }

    // ---- conditionals -----------------------------------------------------------------------

    fn branch(&mut self, kind: PluginKind) -> Option<Branch> {
        if !self.enter() {
            self.leave();
            return None;
        }
        let r = self.branch_inner(kind);
        self.leave();
        r
    }

    fn branch_inner(&mut self, kind: PluginKind) -> Option<Branch> {
        let i = self.pos;
        if !self.lit("if", "\"if\"") {
            return None;
        }
        let Some(first) = self.arm_rest(kind) else {
            self.reset(i);
            return None;
        };
        let mut arms = vec![first];
        loop {
            let j = self.pos;
            self.cs();
            if !self.lit("else", "\"else\"") {
                self.reset(j);
                break;
            }
            self.cs();
            if !self.lit("if", "\"if\"") {
                self.reset(j);
                break;
            }
            match self.arm_rest(kind) {
                Some(arm) => arms.push(arm),
                None => {
                    self.reset(j);
                    break;
                }
            }
        }
        let j = self.pos;
        let mut otherwise = None;
        self.cs();
        if self.lit("else", "\"else\"") {
            self.cs();
            if self.lit("{", "\"{\"") {
                self.cs();
                let body = self.body(kind);
                if self.lit("}", "\"}\"") {
                    otherwise = Some(body);
                }
            }
        }
        if otherwise.is_none() {
            self.reset(j);
        }
        Some(Branch {
            arms,
            otherwise,
            span: self.span(i),
        })
    }

    /// After `if`: `cs condition cs "{" cs (branch_or_plugin cs)* "}"`.
    fn arm_rest(&mut self, kind: PluginKind) -> Option<Arm> {
        let i = self.pos;
        self.cs();
        let c = self.pos;
        let Some(condition) = self.condition() else {
            self.reset(i);
            return None;
        };
        self.cs();
        if !self.lit("{", "\"{\"") {
            self.reset(i);
            return None;
        }
        self.cs();
        let body = self.body(kind);
        if !self.lit("}", "\"}\"") {
            self.reset(i);
            return None;
        }
        Some(Arm {
            condition,
            body,
            span: self.span(c),
        })
    }

    fn condition(&mut self) -> Option<Condition> {
        if !self.enter() {
            self.leave();
            return None;
        }
        let r = self.condition_inner();
        self.leave();
        r
    }

    fn condition_inner(&mut self) -> Option<Condition> {
        let start = self.pos;
        let first = self.expression()?;
        let mut items = vec![first];
        let mut ops = Vec::new();
        loop {
            let j = self.pos;
            self.cs();
            let op = if self.lit("and", "\"and\"") {
                BoolOp::And
            } else if self.lit("or", "\"or\"") {
                BoolOp::Or
            } else if self.lit("xor", "\"xor\"") {
                BoolOp::Xor
            } else if self.lit("nand", "\"nand\"") {
                BoolOp::Nand
            } else {
                self.reset(j);
                break;
            };
            self.cs();
            match self.expression() {
                Some(e) => {
                    ops.push(op);
                    items.push(e);
                }
                None => {
                    self.reset(j);
                    break;
                }
            }
        }
        match join_conditions(items, &ops) {
            Ok(c) => Some(c),
            Err(message) => {
                self.semantic.push((start, message));
                Some(Condition::Value(Rvalue::Number(Number::Integer(0))))
            }
        }
    }

    fn expression(&mut self) -> Option<Condition> {
        let i = self.pos;
        // "(" cs condition cs ")"
        if self.lit("(", "\"(\"") {
            self.cs();
            if let Some(c) = self.condition() {
                self.cs();
                if self.lit(")", "\")\"") {
                    return Some(c);
                }
            }
        }
        self.reset(i);
        if let Some(c) = self.negative_expression() {
            return Some(c);
        }
        self.reset(i);
        if let Some(c) = self.in_expression(false) {
            return Some(c);
        }
        self.reset(i);
        if let Some(c) = self.in_expression(true) {
            return Some(c);
        }
        self.reset(i);
        if let Some(c) = self.compare_expression() {
            return Some(c);
        }
        self.reset(i);
        if let Some(c) = self.regexp_expression() {
            return Some(c);
        }
        self.reset(i);
        if let Some(v) = self.rvalue() {
            return Some(Condition::Value(v));
        }
        self.reset(i);
        None
    }

    fn negative_expression(&mut self) -> Option<Condition> {
        let i = self.pos;
        if self.lit("!", "\"!\"") {
            self.cs();
            if self.lit("(", "\"(\"") {
                self.cs();
                if let Some(c) = self.condition() {
                    self.cs();
                    if self.lit(")", "\")\"") {
                        return Some(Condition::Not(Box::new(c)));
                    }
                }
            }
        }
        self.reset(i);
        if self.lit("!", "\"!\"") {
            self.cs();
            if let Some(f) = self.selector() {
                return Some(Condition::Not(Box::new(Condition::Value(Rvalue::Field(f)))));
            }
        }
        self.reset(i);
        None
    }

    fn in_expression(&mut self, negate: bool) -> Option<Condition> {
        let item = self.rvalue()?;
        self.cs();
        if negate {
            if !self.lit("not ", "\"not \"") {
                return None;
            }
            self.cs();
        }
        if !self.lit("in", "\"in\"") {
            return None;
        }
        self.cs();
        let list = self.rvalue()?;
        Some(Condition::In { item, list, negate })
    }

    fn compare_expression(&mut self) -> Option<Condition> {
        let left = self.rvalue()?;
        self.cs();
        let op = [
            ("==", "\"==\"", CompareOp::Eq),
            ("!=", "\"!=\"", CompareOp::Ne),
            ("<=", "\"<=\"", CompareOp::Le),
            (">=", "\">=\"", CompareOp::Ge),
            ("<", "\"<\"", CompareOp::Lt),
            (">", "\">\"", CompareOp::Gt),
        ]
        .into_iter()
        .find(|(s, e, _)| self.lit(s, e))
        .map(|(_, _, op)| op)?;
        self.cs();
        let right = self.rvalue()?;
        Some(Condition::Compare { left, op, right })
    }

    fn regexp_expression(&mut self) -> Option<Condition> {
        let left = self.rvalue()?;
        self.cs();
        let negate = if self.lit("=~", "\"=~\"") {
            false
        } else if self.lit("!~", "\"!~\"") {
            true
        } else {
            return None;
        };
        self.cs();
        let at = self.pos;
        let source = match self.string() {
            Some(s) => s,
            None => self.regexp()?.1,
        };
        let pattern = self.pattern(at, &source);
        Some(Condition::Regex {
            left,
            pattern,
            negate,
        })
    }

    fn pattern(&mut self, at: usize, source: &str) -> Pattern {
        match Pattern::new(source) {
            Ok(p) => p,
            Err(e) => {
                self.semantic
                    .push((at, format!("invalid regular expression /{source}/: {e}")));
                Pattern::never()
            }
        }
    }

    fn rvalue(&mut self) -> Option<Rvalue> {
        let i = self.pos;
        if let Some(s) = self.string() {
            return Some(Rvalue::String(s));
        }
        if let Some(n) = self.number() {
            return Some(Rvalue::Number(n));
        }
        if let Some(f) = self.selector() {
            return Some(Rvalue::Field(f));
        }
        if let Some(items) = self.array() {
            return Some(Rvalue::Array(items.iter().map(Value::to_json).collect()));
        }
        if let Some(name) = self.method_call() {
            self.semantic.push((
                i,
                format!("method calls are not supported in conditions: {name}(...)"),
            ));
            return Some(Rvalue::String(String::new()));
        }
        if let Some((at, source)) = self.regexp() {
            return Some(Rvalue::Regex(self.pattern(at, &source)));
        }
        None
    }

    fn method_call(&mut self) -> Option<String> {
        let i = self.pos;
        let name = self.bareword()?;
        self.cs();
        if !self.lit("(", "\"(\"") {
            self.reset(i);
            return None;
        }
        self.cs();
        let j = self.pos;
        if self.rvalue().is_some() {
            loop {
                let k = self.pos;
                self.cs();
                if !self.lit(",", "\",\"") {
                    self.reset(k);
                    break;
                }
                self.cs();
                if self.rvalue().is_none() {
                    self.reset(k);
                    break;
                }
            }
        } else {
            self.reset(j);
        }
        self.cs();
        if !self.lit(")", "\")\"") {
            self.reset(i);
            return None;
        }
        Some(name)
    }

    fn selector(&mut self) -> Option<FieldRef> {
        let i = self.pos;
        loop {
            let j = self.pos;
            if !self.lit("[", "\"[\"") {
                break;
            }
            let k = self.pos;
            while self.class(|c| !matches!(c, '[' | ']' | ','), "[^\\]\\[,]") {}
            if self.pos == k || !self.lit("]", "\"]\"") {
                self.reset(j);
                break;
            }
        }
        if self.pos == i {
            return None;
        }
        // Every element is `[...]` without brackets inside, which FieldRef always accepts.
        match FieldRef::parse(&self.src[i..self.pos]) {
            Ok(f) => Some(f),
            Err(_) => {
                self.reset(i);
                None
            }
        }
    }
}

fn precedence(op: BoolOp) -> std::result::Result<u8, String> {
    match op {
        BoolOp::And => Ok(2),
        BoolOp::Or => Ok(1),
        BoolOp::Nand | BoolOp::Xor => Err(format!(
            "Unexpected operator {}: Logstash cannot combine `xor` or `nand` with another boolean operator without parentheses",
            op.as_str()
        )),
    }
}

/// Logstash's `join_conditions`: a shunting-yard that pops at most one operator per new one.
fn join_conditions(
    items: Vec<Condition>,
    ops: &[BoolOp],
) -> std::result::Result<Condition, String> {
    enum Tok {
        Item(Condition),
        Op(BoolOp),
    }
    let mut out: Vec<Tok> = Vec::new();
    let mut stack: Vec<BoolOp> = Vec::new();
    let mut items = items.into_iter();
    if let Some(first) = items.next() {
        out.push(Tok::Item(first));
    }
    for (op, item) in ops.iter().zip(items) {
        if let Some(&last) = stack.last()
            && precedence(last)? > precedence(*op)?
        {
            stack.pop();
            out.push(Tok::Op(last));
        }
        stack.push(*op);
        out.push(Tok::Item(item));
    }
    while let Some(op) = stack.pop() {
        out.push(Tok::Op(op));
    }
    let mut eval: Vec<Condition> = Vec::new();
    for tok in out {
        match tok {
            Tok::Item(c) => eval.push(c),
            Tok::Op(op) => {
                let (Some(right), Some(left)) = (eval.pop(), eval.pop()) else {
                    return Err("malformed condition".to_owned());
                };
                eval.push(Condition::Bool {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                });
            }
        }
    }
    match (eval.pop(), eval.is_empty()) {
        (Some(c), true) => Ok(c),
        _ => Err("malformed condition".to_owned()),
    }
}
