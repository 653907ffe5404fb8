//! `query_string` / `q=`: the Lucene query syntax (terms, `field:value`, `"phrases"`, `AND`/`OR`/
//! `NOT`, `+`/`-`, groups, `[a TO b]`/`{a TO b}`, `>`/`>=`/`<`/`<=`, `*`/`?` wildcards,
//! `_exists_:field`, `^boost`).

use serde_json::Value;

use super::{Operator, Q, RangeSpec, field_boost};
use crate::error::{Error, Result};

/// Options of a `query_string`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Fields used for terms without `field:` (default `*`).
    pub default_fields: Vec<String>,
    /// `default_operator` (default OR).
    pub default_operator: Operator,
    /// `time_zone` of date ranges (default UTC).
    pub time_zone: Option<String>,
    /// `lenient` (default false): a clause whose value its field cannot take (`ip:foo`,
    /// `count:x`, a wildcard on a number) matches nothing instead of failing the query.
    /// Elasticsearch turns it on when the query searches every field (`*`, its default) and
    /// no `lenient` is given: see [`Options::lenient_by_default`].
    pub lenient: bool,
}

impl Options {
    /// Elasticsearch's `lenient` when the request gives none: on when the default fields are
    /// all fields (`*`).
    pub fn lenient_by_default(default_fields: &[String]) -> bool {
        !default_fields.is_empty() && default_fields.iter().all(|f| f == "*")
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            default_fields: vec!["*".into()],
            default_operator: Operator::Or,
            time_zone: None,
            lenient: false,
        }
    }
}

/// Parses a `{"query_string": {...}}` body.
pub fn parse_query_string(body: &Value) -> Result<Q> {
    let o = body.as_object().ok_or_else(|| {
        Error::parsing("[query_string] query malformed, no start_object after query name")
    })?;
    let mut opts = Options::default();
    let mut query = None;
    let mut lenient = None;
    for (k, v) in o {
        match k.as_str() {
            "query" => query = v.as_str().map(str::to_owned),
            "default_field" => opts.default_fields = vec![v.as_str().unwrap_or("*").to_owned()],
            "fields" => {
                opts.default_fields = v
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(|s| field_boost(s).0)
                            .collect()
                    })
                    .unwrap_or_default();
            }
            "default_operator" => opts.default_operator = super::parse_operator(v)?,
            "time_zone" => {
                let tz = v.as_str().ok_or_else(|| {
                    Error::parsing("[query_string] query does not support [time_zone] of this type")
                })?;
                super::datemath::parse_time_zone(tz)?;
                opts.time_zone = Some(tz.to_owned());
            }
            "lenient" => {
                lenient = Some(v.as_bool().ok_or_else(|| {
                    Error::parsing("[query_string] query does not support [lenient] of this type")
                })?);
            }
            "analyze_wildcard" | "boost" | "_name" | "allow_leading_wildcard" => {}
            other => {
                return Err(Error::parsing(format!(
                    "[query_string] query does not support [{other}]"
                )));
            }
        }
    }
    let query =
        query.ok_or_else(|| Error::parsing("[query_string] must be provided with a [query]"))?;
    opts.lenient = lenient.unwrap_or_else(|| Options::lenient_by_default(&opts.default_fields));
    parse_lucene(&query, &opts)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Phrase(String),
    /// `/regex/` (Lucene's regular expression syntax)
    Regex(String),
    Colon,
    LParen,
    RParen,
    LBracket(bool),
    RBracket(bool),
    Plus,
    Minus,
    And,
    Or,
    Not,
    Caret(f32),
    Cmp(&'static str),
}

fn lex(s: &str) -> Result<Vec<Tok>> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |msg: String| {
        Error::es(
            400,
            "query_shard_exception",
            format!("Failed to parse query [{s}]"),
        )
        .caused_by(Error::es(400, "parse_exception", msg))
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1;
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            '[' => {
                out.push(Tok::LBracket(true));
                i += 1;
            }
            '{' => {
                out.push(Tok::LBracket(false));
                i += 1;
            }
            ']' => {
                out.push(Tok::RBracket(true));
                i += 1;
            }
            '}' => {
                out.push(Tok::RBracket(false));
                i += 1;
            }
            ':' => {
                out.push(Tok::Colon);
                i += 1;
            }
            '+' => {
                out.push(Tok::Plus);
                i += 1;
            }
            '-' if out.last().is_none_or(|t| !matches!(t, Tok::Word(_))) => {
                out.push(Tok::Minus);
                i += 1;
            }
            '!' => {
                out.push(Tok::Not);
                i += 1;
            }
            '&' if chars.get(i + 1) == Some(&'&') => {
                out.push(Tok::And);
                i += 2;
            }
            '|' if chars.get(i + 1) == Some(&'|') => {
                out.push(Tok::Or);
                i += 2;
            }
            '>' | '<' => {
                let eq = chars.get(i + 1) == Some(&'=');
                out.push(Tok::Cmp(match (c, eq) {
                    ('>', true) => ">=",
                    ('>', false) => ">",
                    ('<', true) => "<=",
                    _ => "<",
                }));
                i += if eq { 2 } else { 1 };
            }
            '^' => {
                let start = i + 1;
                let mut j = start;
                while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                    j += 1;
                }
                let b: f32 = chars[start..j]
                    .iter()
                    .collect::<String>()
                    .parse()
                    .map_err(|_| err(format!("invalid boost at position {i}")))?;
                out.push(Tok::Caret(b));
                i = j;
            }
            '/' => {
                // a regular expression, to the next unescaped `/`
                let mut j = i + 1;
                let mut text = String::new();
                while j < chars.len() && chars[j] != '/' {
                    if chars[j] == '\\' && chars.get(j + 1) == Some(&'/') {
                        j += 1;
                    }
                    text.push(chars[j]);
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(err(format!(
                        "Cannot parse '{s}': Lexical error: unterminated regular expression"
                    )));
                }
                out.push(Tok::Regex(text));
                i = j + 1;
            }
            '"' => {
                let mut j = i + 1;
                let mut text = String::new();
                while j < chars.len() && chars[j] != '"' {
                    if chars[j] == '\\' && j + 1 < chars.len() {
                        j += 1;
                    }
                    text.push(chars[j]);
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(err(format!(
                        "Cannot parse '{s}': Lexical error: unterminated phrase"
                    )));
                }
                out.push(Tok::Phrase(text));
                i = j + 1;
            }
            _ => {
                let mut j = i;
                let mut w = String::new();
                while j < chars.len() {
                    let d = chars[j];
                    if d == '\\' && j + 1 < chars.len() {
                        w.push(chars[j + 1]);
                        j += 2;
                        continue;
                    }
                    if d.is_whitespace() || "()[]{}:^\"".contains(d) || (d == '+' && w.is_empty()) {
                        break;
                    }
                    w.push(d);
                    j += 1;
                }
                if j == i {
                    // a character no rule takes (`^` alone, say): it is a term of its own, so
                    // the lexer always moves on
                    w.push(chars[i]);
                    j += 1;
                }
                i = j;
                match w.as_str() {
                    "AND" => out.push(Tok::And),
                    "OR" => out.push(Tok::Or),
                    "NOT" => out.push(Tok::Not),
                    _ => out.push(Tok::Word(w)),
                }
            }
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    opts: &'a Options,
    src: &'a str,
    /// Open groups around the current position (bounded by [`MAX_DEPTH`]).
    depth: usize,
}

/// How deeply groups may nest (`((a))`): deeper queries are refused, never a stack overflow.
pub const MAX_DEPTH: usize = 64;

/// Parses a Lucene query string.
pub fn parse_lucene(s: &str, opts: &Options) -> Result<Q> {
    let toks = lex(s)?;
    if toks.is_empty() {
        return Ok(Q::MatchNone);
    }
    let mut p = Parser {
        toks,
        pos: 0,
        opts,
        src: s,
        depth: 0,
    };
    let q = p.parse_seq(None)?;
    if p.pos < p.toks.len() {
        return Err(p.err("unexpected token"));
    }
    Ok(q)
}

#[derive(Clone, Copy, PartialEq)]
enum Occ {
    Must,
    Should,
    MustNot,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> Error {
        Error::es(
            400,
            "query_shard_exception",
            format!("Failed to parse query [{}]", self.src),
        )
        .caused_by(Error::es(
            400,
            "parse_exception",
            format!("Cannot parse '{}': {what} at token {}", self.src, self.pos),
        ))
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn parse_seq(&mut self, field: Option<&str>) -> Result<Q> {
        let mut items: Vec<(Occ, Q)> = Vec::new();
        let mut saw_or = false;
        let mut and_next = false;
        loop {
            match self.peek() {
                None | Some(Tok::RParen) => break,
                Some(Tok::And) => {
                    self.pos += 1;
                    if let Some(last) = items.last_mut()
                        && last.0 == Occ::Should
                    {
                        last.0 = Occ::Must;
                    }
                    and_next = true;
                    continue;
                }
                Some(Tok::Or) => {
                    self.pos += 1;
                    saw_or = true;
                    continue;
                }
                _ => {}
            }
            let mut occ = None;
            match self.peek() {
                Some(Tok::Plus) => {
                    self.pos += 1;
                    occ = Some(Occ::Must);
                }
                Some(Tok::Minus) | Some(Tok::Not) => {
                    self.pos += 1;
                    occ = Some(Occ::MustNot);
                }
                _ => {}
            }
            let q = self.parse_primary(field)?;
            let default = if and_next || (self.opts.default_operator == Operator::And && !saw_or) {
                Occ::Must
            } else {
                Occ::Should
            };
            items.push((occ.unwrap_or(default), q));
            and_next = false;
            saw_or = false;
        }
        if items.len() == 1 && items[0].0 != Occ::MustNot {
            return Ok(items.remove(0).1);
        }
        let mut must = vec![];
        let mut should = vec![];
        let mut must_not = vec![];
        for (o, q) in items {
            match o {
                Occ::Must => must.push(q),
                Occ::Should => should.push(q),
                Occ::MustNot => must_not.push(q),
            }
        }
        Ok(Q::Bool {
            must,
            filter: vec![],
            should,
            must_not,
            msm: None,
            boost: 1.0,
        })
    }

    fn parse_primary(&mut self, field: Option<&str>) -> Result<Q> {
        let tok = self
            .peek()
            .cloned()
            .ok_or_else(|| self.err("unexpected end of query"))?;
        self.pos += 1;
        let q = match tok {
            Tok::LParen => {
                if self.depth >= MAX_DEPTH {
                    return Err(
                        self.err(&format!("groups nested more than {MAX_DEPTH} levels deep"))
                    );
                }
                self.depth += 1;
                let q = self.parse_seq(field)?;
                self.depth -= 1;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(self.err("missing )"));
                }
                self.pos += 1;
                q
            }
            Tok::Word(w) if self.peek() == Some(&Tok::Colon) => {
                self.pos += 1;
                if matches!(self.peek(), Some(Tok::Word(_)))
                    && self.toks.get(self.pos + 1) == Some(&Tok::Colon)
                {
                    // Lucene's grammar has one field per clause: `a:b:c` is a syntax error
                    return Err(self.err(&format!("a field name after [{w}:]")));
                }
                if w == "_exists_" {
                    let Some(Tok::Word(f)) = self.peek().cloned() else {
                        return Err(self.err("expected a field after _exists_:"));
                    };
                    self.pos += 1;
                    return Ok(Q::Exists { field: f });
                }
                return self.parse_primary(Some(&w));
            }
            Tok::Cmp(op) => {
                let (Some(Tok::Word(v)) | Some(Tok::Phrase(v))) = self.peek().cloned() else {
                    return Err(self.err("expected a value after comparison"));
                };
                self.pos += 1;
                let val = Value::from(v);
                let (lower, upper) = match op {
                    ">" => (Some((val, false)), None),
                    ">=" => (Some((val, true)), None),
                    "<" => (None, Some((val, false))),
                    _ => (None, Some((val, true))),
                };
                self.leaf(
                    field,
                    Q::Range(Box::new(RangeSpec {
                        field: String::new(),
                        lower,
                        upper,
                        format: None,
                        time_zone: self.opts.time_zone.clone(),
                        boost: 1.0,
                    })),
                )
            }
            Tok::LBracket(inc_lo) => {
                let lo = self.range_value()?;
                match self.peek() {
                    Some(Tok::Word(w)) if w == "TO" => self.pos += 1,
                    _ => return Err(self.err("expected TO in range")),
                }
                let hi = self.range_value()?;
                let inc_hi = match self.peek() {
                    Some(Tok::RBracket(i)) => *i,
                    _ => return Err(self.err("expected ] or } closing the range")),
                };
                self.pos += 1;
                let lower = lo.map(|v| (Value::from(v), inc_lo));
                let upper = hi.map(|v| (Value::from(v), inc_hi));
                self.leaf(
                    field,
                    Q::Range(Box::new(RangeSpec {
                        field: String::new(),
                        lower,
                        upper,
                        format: None,
                        time_zone: self.opts.time_zone.clone(),
                        boost: 1.0,
                    })),
                )
            }
            Tok::Regex(r) => self.leaf(
                field,
                Q::Regexp {
                    field: String::new(),
                    value: r,
                    flags: super::regexp::Flags::ALL,
                    case_insensitive: false,
                    boost: 1.0,
                },
            ),
            Tok::Phrase(p) => self.leaf(
                field,
                Q::MatchPhrase {
                    field: String::new(),
                    query: p,
                    slop: 0,
                    boost: 1.0,
                },
            ),
            Tok::Word(w) => {
                let q = if w == "*" {
                    match field {
                        Some(_) => Q::Exists {
                            field: String::new(),
                        },
                        None => Q::MatchAll(1.0),
                    }
                } else if w.ends_with('*') && !w[..w.len() - 1].contains(['*', '?']) {
                    Q::Prefix {
                        field: String::new(),
                        value: w[..w.len() - 1].to_owned(),
                        case_insensitive: false,
                        normalize: true,
                        boost: 1.0,
                    }
                } else if w.contains(['*', '?']) {
                    Q::Wildcard {
                        field: String::new(),
                        value: w,
                        case_insensitive: false,
                        normalize: true,
                        boost: 1.0,
                    }
                } else {
                    Q::Match {
                        field: String::new(),
                        query: Value::from(w),
                        operator: Operator::Or,
                        msm: None,
                        fuzzy: None,
                        boost: 1.0,
                    }
                };
                if matches!(q, Q::MatchAll(_)) {
                    q
                } else {
                    self.leaf(field, q)
                }
            }
            _ => return Err(self.err("unexpected token")),
        };
        if let Some(Tok::Caret(b)) = self.peek().cloned() {
            self.pos += 1;
            return Ok(Q::Bool {
                must: vec![q],
                filter: vec![],
                should: vec![],
                must_not: vec![],
                msm: None,
                boost: b,
            });
        }
        Ok(q)
    }

    fn range_value(&mut self) -> Result<Option<String>> {
        match self.peek().cloned() {
            Some(Tok::Word(w)) => {
                self.pos += 1;
                Ok(if w == "*" { None } else { Some(w) })
            }
            Some(Tok::Phrase(p)) => {
                self.pos += 1;
                Ok(Some(p))
            }
            _ => Err(self.err("expected a range bound")),
        }
    }

    /// A leaf without a field: bound to the explicit field or the default fields (through
    /// [`Q::AnyField`] when lenient, so that a field that cannot take the value matches
    /// nothing).
    fn leaf(&self, field: Option<&str>, q: Q) -> Q {
        match field {
            Some(f) if !self.opts.lenient => super::retarget(&q, f),
            Some(f) => Q::AnyField {
                fields: vec![f.to_owned()],
                inner: Box::new(q),
                lenient: true,
            },
            None => Q::AnyField {
                fields: self.opts.default_fields.clone(),
                inner: Box::new(q),
                lenient: self.opts.lenient,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Q {
        parse_lucene(s, &Options::default()).unwrap_or(Q::MatchNone)
    }

    #[test]
    fn slashes_make_a_regular_expression() {
        assert_eq!(
            p("k:/ab.*c\\/d/"),
            Q::Regexp {
                field: "k".into(),
                value: "ab.*c/d".into(),
                flags: crate::query::regexp::Flags::ALL,
                case_insensitive: false,
                boost: 1.0,
            }
        );
        assert!(parse_lucene("k:/open", &Options::default()).is_err());
    }

    #[test]
    fn field_term() {
        assert_eq!(
            p("level:ERROR"),
            Q::Match {
                field: "level".into(),
                query: Value::from("ERROR"),
                operator: Operator::Or,
                msm: None,
                fuzzy: None,
                boost: 1.0
            }
        );
    }

    #[test]
    fn and_makes_both_required() {
        let Q::Bool { must, should, .. } = p("level:ERROR AND user:user1") else {
            panic!("not a bool")
        };
        assert_eq!(must.len(), 2);
        assert!(should.is_empty());
    }

    #[test]
    fn not_and_ranges() {
        let Q::Bool {
            must_not, should, ..
        } = p("duration:[1 TO 2] -user:user1")
        else {
            panic!("not a bool")
        };
        assert_eq!(must_not.len(), 1);
        assert!(matches!(&should[0], Q::Range(r) if r.field == "duration"));
    }

    #[test]
    fn errors_on_unterminated_phrase() {
        assert!(parse_lucene("message:\"abc", &Options::default()).is_err());
    }

    /// Every character moves the lexer on: a vertical tab (whitespace no arm named) used to make
    /// it push empty terms until memory ran out (found by the fuzz corpus).
    #[test]
    fn the_lexer_always_makes_progress() {
        for q in ["\u{b}", "a\u{c}b", "\u{a0}x", "^", "a:^", "\u{2028}"] {
            let _ = parse_lucene(q, &Options::default());
        }
        assert!(parse_lucene("a\u{b}b", &Options::default()).is_ok());
    }

    /// Hostile nesting is a parse error, never a stack overflow (it used to abort the store).
    #[test]
    fn deep_groups_and_field_chains_are_errors() {
        let deep = format!("{}a{}", "(".repeat(1300), ")".repeat(1300));
        let err = parse_lucene(&deep, &Options::default()).unwrap_err();
        assert!(
            format!("{err:?}").contains("nested more than 64"),
            "{err:?}"
        );
        let ok = format!("{}a{}", "(".repeat(64), ")".repeat(64));
        assert!(parse_lucene(&ok, &Options::default()).is_ok());
        let chain = format!("{}b", "a:".repeat(2200));
        let err = parse_lucene(&chain, &Options::default()).unwrap_err();
        assert!(
            format!("{err:?}").contains("a field name after [a:]"),
            "{err:?}"
        );
        assert!(parse_lucene("a:b", &Options::default()).is_ok());
        assert!(parse_lucene("t:(a b:c)", &Options::default()).is_ok());
    }
}
