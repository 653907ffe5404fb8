//! KQL text → [`Ast`], following Kibana 8's PEG grammar (`kuery/grammar/grammar.peggy`) rule by
//! rule, with its quirks: unquoted values run across spaces (`a b` is one value), keywords need
//! spaces on both sides, `not` applies to a parenthesised group or a single expression.
//!
//! It is a recursive-descent parser that backtracks exactly where the PEG does. Errors are
//! reported the way peggy does: at the furthest position any rule failed, listing every
//! expectation recorded there, where a named rule (`value`, `field name`, `whitespace`, `AND`,
//! `OR`, `NOT`, `literal`) counts as one expectation at the position it started. The parse is
//! linear in the text: each alternative that would re-read a field name reuses it.

use crate::ast::{Ast, Node, RangeOp, Term};
use crate::error::{Error, Position, Result};
use crate::{MAX_DEPTH, MAX_QUERY_LEN};

/// Parse `text`; `allow_leading_wildcards` is Kibana's `query:allowLeadingWildcards`.
pub(crate) fn parse(text: &str, allow_leading_wildcards: bool) -> Result<Ast> {
    if text.len() > MAX_QUERY_LEN {
        return Err(Error::TooLong {
            at: Position::locate(text, MAX_QUERY_LEN),
            len: text.len(),
            max: MAX_QUERY_LEN,
        });
    }
    let mut parser = Parser {
        text,
        pos: 0,
        max_fail: 0,
        expected: Vec::new(),
        depth: 0,
        allow_leading_wildcards,
    };
    parser.start()
}

/// `Ok(None)` is an ordinary PEG failure (the caller backtracks); `Err` stops the parse.
type Parsed<T> = Result<Option<T>>;

/// One expectation, as peggy records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A literal token: shown quoted.
    Token(&'static str),
    /// A named rule: shown by name.
    Rule(&'static str),
    /// The end of the text.
    End,
}

impl Expect {
    fn describe(self) -> String {
        match self {
            Expect::Token(t) => format!("\"{t}\""),
            Expect::Rule(name) => name.to_owned(),
            Expect::End => "end of input".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Keyword {
    Or,
    And,
    Not,
}

impl Keyword {
    fn rule_name(self) -> &'static str {
        match self {
            Keyword::Or => "OR",
            Keyword::And => "AND",
            Keyword::Not => "NOT",
        }
    }
}

/// A literal read at some position: the term and where it ends.
#[derive(Debug, Clone)]
struct Lexeme {
    term: Term,
    end: usize,
}

/// The values of `field:(...)` before the field is applied to them.
#[derive(Debug)]
enum Values {
    Or(Vec<Values>),
    And(Vec<Values>),
    Not(Box<Values>),
    One(Term),
}

impl Values {
    fn on_field(self, field: &Term) -> Node {
        match self {
            Values::Or(list) => Node::Or(list.into_iter().map(|v| v.on_field(field)).collect()),
            Values::And(list) => Node::And(list.into_iter().map(|v| v.on_field(field)).collect()),
            Values::Not(v) => Node::Not(Box::new(v.on_field(field))),
            Values::One(value) => Node::Is {
                field: Some(field.clone()),
                value,
            },
        }
    }
}

/// KQL's `Space`: `[ \t\r\n\u00A0]`.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{a0}')
}

/// KQL's `SpecialCharacter`: `[\\():<>"*{}]`.
fn is_special(c: char) -> bool {
    matches!(
        c,
        '\\' | '(' | ')' | ':' | '<' | '>' | '"' | '*' | '{' | '}'
    )
}

/// What JavaScript's `String.prototype.trim` removes.
fn is_js_trim_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// The furthest position where an expectation failed, and what was expected there.
    max_fail: usize,
    expected: Vec<Expect>,
    /// Parentheses open now.
    depth: usize,
    allow_leading_wildcards: bool,
}

impl Parser<'_> {
    // ----- the grammar's rules -----

    /// `start = Space* OrQuery? OptionalSpace` then the end of the text; an empty query is
    /// `*:*`.
    fn start(&mut self) -> Result<Ast> {
        self.space_star();
        let save = self.pos;
        let root = match self.or_query()? {
            Some(node) => node,
            None => {
                self.pos = save;
                Node::Is {
                    field: Some(lone_wildcard()),
                    value: lone_wildcard(),
                }
            }
        };
        self.space_star();
        if self.pos < self.text.len() {
            self.fail(self.pos, Expect::End);
            return Err(self.syntax_error());
        }
        Ok(Ast::new(root))
    }

    /// `OrQuery = AndQuery (Or AndQuery)+ / AndQuery`
    fn or_query(&mut self) -> Parsed<Node> {
        let Some(head) = self.and_query()? else {
            return Ok(None);
        };
        let mut tail = Vec::new();
        loop {
            let save = self.pos;
            if !self.keyword(Keyword::Or) {
                break;
            }
            match self.and_query()? {
                Some(node) => tail.push(node),
                None => {
                    self.pos = save;
                    break;
                }
            }
        }
        Ok(Some(join(head, tail, Node::Or)))
    }

    /// `AndQuery = NotQuery (And NotQuery)+ / NotQuery`
    fn and_query(&mut self) -> Parsed<Node> {
        let Some(head) = self.not_query()? else {
            return Ok(None);
        };
        let mut tail = Vec::new();
        loop {
            let save = self.pos;
            if !self.keyword(Keyword::And) {
                break;
            }
            match self.not_query()? {
                Some(node) => tail.push(node),
                None => {
                    self.pos = save;
                    break;
                }
            }
        }
        Ok(Some(join(head, tail, Node::And)))
    }

    /// `NotQuery = Not SubQuery / SubQuery`
    fn not_query(&mut self) -> Parsed<Node> {
        let save = self.pos;
        if self.keyword(Keyword::Not) {
            if let Some(query) = self.sub_query()? {
                return Ok(Some(Node::Not(Box::new(query))));
            }
            self.pos = save;
        }
        self.sub_query()
    }

    /// `SubQuery = '(' Space* OrQuery OptionalSpace ')' / NestedQuery`
    fn sub_query(&mut self) -> Parsed<Node> {
        let save = self.pos;
        if self.token("(") {
            self.open(save)?;
            self.space_star();
            let mut inner = self.or_query()?;
            if inner.is_some() {
                self.space_star();
                if !self.token(")") {
                    inner = None;
                }
            }
            self.depth -= 1;
            if inner.is_some() {
                return Ok(inner);
            }
            self.pos = save;
        }
        self.nested_query()
    }

    /// `NestedQuery = Field Space* ':' Space* '{' ... '}' / Expression`: the nested form is
    /// refused as unsupported (no other parse of `field:{` exists).
    fn nested_query(&mut self) -> Parsed<Node> {
        let start = self.pos;
        let field = self.field();
        if let Some(field) = &field {
            self.pos = field.end;
            self.space_star();
            if self.token(":") {
                self.space_star();
                let brace = self.pos;
                if self.token("{") {
                    return Err(Error::NestedUnsupported {
                        at: Position::locate(self.text, brace),
                        field: field.term.to_field_name(),
                    });
                }
            }
            self.pos = start;
        }
        self.expression(start, field)
    }

    /// `Expression = FieldRangeExpression / FieldValueExpression / ValueExpression`, given the
    /// field name already read at `start` (the three alternatives all begin with it).
    fn expression(&mut self, start: usize, field: Option<Lexeme>) -> Parsed<Node> {
        let Some(field) = field else {
            // Every alternative begins with the same literal: none can match.
            self.fail(start, Expect::Rule("field name"));
            self.fail(start, Expect::Rule("value"));
            return Ok(None);
        };
        // FieldRangeExpression = Field Space* RangeOperator Space* Literal
        self.pos = field.end;
        self.space_star();
        if let Some(op) = self.range_operator() {
            self.space_star();
            if let Some(value) = self.literal() {
                self.pos = value.end;
                return Ok(Some(Node::Range {
                    field: field.term,
                    op,
                    value: value.term,
                }));
            }
        }
        // FieldValueExpression = Field Space* ':' Space* ListOfValues
        self.pos = field.end;
        self.space_star();
        if self.token(":") {
            self.space_star();
            if let Some(values) = self.list_of_values()? {
                return Ok(Some(values.on_field(&field.term)));
            }
        }
        // ValueExpression = Value (the same literal the field name was)
        self.pos = start;
        let value = self.value_from(start, Some(field))?;
        Ok(value.map(|value| Node::Is { field: None, value }))
    }

    /// `ListOfValues = '(' Space* OrListOfValues OptionalSpace ')' / Value`
    fn list_of_values(&mut self) -> Parsed<Values> {
        let save = self.pos;
        if self.token("(") {
            self.open(save)?;
            self.space_star();
            let mut inner = self.or_list()?;
            if inner.is_some() {
                self.space_star();
                if !self.token(")") {
                    inner = None;
                }
            }
            self.depth -= 1;
            if inner.is_some() {
                return Ok(inner);
            }
            self.pos = save;
        }
        let lexeme = scan_literal(self.text, self.pos);
        Ok(self.value_from(self.pos, lexeme)?.map(Values::One))
    }

    /// `OrListOfValues = AndListOfValues (Or AndListOfValues)+ / AndListOfValues`
    fn or_list(&mut self) -> Parsed<Values> {
        let Some(head) = self.and_list()? else {
            return Ok(None);
        };
        let mut tail = Vec::new();
        loop {
            let save = self.pos;
            if !self.keyword(Keyword::Or) {
                break;
            }
            match self.and_list()? {
                Some(values) => tail.push(values),
                None => {
                    self.pos = save;
                    break;
                }
            }
        }
        Ok(Some(join(head, tail, Values::Or)))
    }

    /// `AndListOfValues = NotListOfValues (And NotListOfValues)+ / NotListOfValues`
    fn and_list(&mut self) -> Parsed<Values> {
        let Some(head) = self.not_list()? else {
            return Ok(None);
        };
        let mut tail = Vec::new();
        loop {
            let save = self.pos;
            if !self.keyword(Keyword::And) {
                break;
            }
            match self.not_list()? {
                Some(values) => tail.push(values),
                None => {
                    self.pos = save;
                    break;
                }
            }
        }
        Ok(Some(join(head, tail, Values::And)))
    }

    /// `NotListOfValues = Not ListOfValues / ListOfValues`
    fn not_list(&mut self) -> Parsed<Values> {
        let save = self.pos;
        if self.keyword(Keyword::Not) {
            if let Some(values) = self.list_of_values()? {
                return Ok(Some(Values::Not(Box::new(values))));
            }
            self.pos = save;
        }
        self.list_of_values()
    }

    /// The named rule `Value` ("value"), given the literal read at `start`: refuses a leading
    /// wildcard when those are disabled, as Kibana's grammar does.
    fn value_from(&mut self, start: usize, lexeme: Option<Lexeme>) -> Parsed<Term> {
        let Some(lexeme) = lexeme else {
            self.fail(start, Expect::Rule("value"));
            return Ok(None);
        };
        if !self.allow_leading_wildcards
            && let Term::Wildcard(pieces) = &lexeme.term
            && pieces.first().is_some_and(String::is_empty)
            && !lexeme.term.is_lone_wildcard()
        {
            return Err(Error::LeadingWildcard {
                at: Position::locate(self.text, start),
                value: lexeme.term.to_field_name(),
            });
        }
        self.pos = lexeme.end;
        Ok(Some(lexeme.term))
    }

    /// The named rule `Field` ("field name") at the current position; does not move.
    fn field(&mut self) -> Option<Lexeme> {
        let lexeme = scan_literal(self.text, self.pos);
        if lexeme.is_none() {
            self.fail(self.pos, Expect::Rule("field name"));
        }
        lexeme
    }

    /// The named rule `Literal` ("literal") at the current position; does not move.
    fn literal(&mut self) -> Option<Lexeme> {
        let lexeme = scan_literal(self.text, self.pos);
        if lexeme.is_none() {
            self.fail(self.pos, Expect::Rule("literal"));
        }
        lexeme
    }

    /// `RangeOperator = '<=' / '>=' / '<' / '>'`
    fn range_operator(&mut self) -> Option<RangeOp> {
        [
            ("<=", RangeOp::Lte),
            (">=", RangeOp::Gte),
            ("<", RangeOp::Lt),
            (">", RangeOp::Gt),
        ]
        .into_iter()
        .find_map(|(token, op)| self.token(token).then_some(op))
    }

    // ----- terminals -----

    /// The named rules `Or`, `And`, `Not`.
    fn keyword(&mut self, keyword: Keyword) -> bool {
        match keyword_end(self.text, self.pos, keyword) {
            Some(end) => {
                self.pos = end;
                true
            }
            None => {
                self.fail(self.pos, Expect::Rule(keyword.rule_name()));
                false
            }
        }
    }

    /// A literal token.
    fn token(&mut self, token: &'static str) -> bool {
        if self.text[self.pos..].starts_with(token) {
            self.pos += token.len();
            true
        } else {
            self.fail(self.pos, Expect::Token(token));
            false
        }
    }

    /// `Space*` (the named rule `Space` is "whitespace"); `OptionalSpace` is the same.
    fn space_star(&mut self) {
        self.pos = spaces_end(self.text, self.pos);
        self.fail(self.pos, Expect::Rule("whitespace"));
    }

    /// One more parenthesis is open at `at`.
    fn open(&mut self, at: usize) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::TooDeep {
                at: Position::locate(self.text, at),
                max: MAX_DEPTH,
            });
        }
        Ok(())
    }

    // ----- errors -----

    /// Record a failed expectation, as peggy's `peg$fail`.
    fn fail(&mut self, at: usize, expect: Expect) {
        if at < self.max_fail {
            return;
        }
        if at > self.max_fail {
            self.max_fail = at;
            self.expected.clear();
        }
        self.expected.push(expect);
    }

    fn syntax_error(&self) -> Error {
        let mut expected: Vec<String> = self.expected.iter().map(|e| e.describe()).collect();
        expected.sort();
        expected.dedup();
        let found = match self.text[self.max_fail..].chars().next() {
            Some(c) => format!("\"{}\"", c.escape_debug()),
            None => "end of input".to_owned(),
        };
        Error::Syntax {
            at: Position::locate(self.text, self.max_fail),
            expected,
            found,
        }
    }
}

fn lone_wildcard() -> Term {
    Term::Wildcard(vec![String::new(), String::new()])
}

/// `head` alone, or `head` and `tail` under `make`.
fn join<T>(head: T, mut tail: Vec<T>, make: fn(Vec<T>) -> T) -> T {
    if tail.is_empty() {
        return head;
    }
    tail.insert(0, head);
    make(tail)
}

/// Where `Space*` starting at `at` ends.
fn spaces_end(text: &str, at: usize) -> usize {
    text[at..]
        .char_indices()
        .find(|&(_, c)| !is_space(c))
        .map_or(text.len(), |(i, _)| at + i)
}

/// `word` (ASCII, lowercase) at `at`, in any case.
fn word_at(text: &str, at: usize, word: &str) -> bool {
    text.as_bytes()
        .get(at..at + word.len())
        .is_some_and(|b| b.eq_ignore_ascii_case(word.as_bytes()))
}

/// Where the keyword at `at` ends (with the spaces after it): `Or = Space+ 'or'i Space+`,
/// `And = Space+ 'and'i Space+`, `Not = 'not'i Space+`.
fn keyword_end(text: &str, at: usize, keyword: Keyword) -> Option<usize> {
    let (word_start, word) = match keyword {
        Keyword::Or => (spaces_end(text, at), "or"),
        Keyword::And => (spaces_end(text, at), "and"),
        Keyword::Not => (at, "not"),
    };
    if matches!(keyword, Keyword::Or | Keyword::And) && word_start == at {
        return None;
    }
    if !word_at(text, word_start, word) {
        return None;
    }
    let after = word_start + word.len();
    let end = spaces_end(text, after);
    (end > after).then_some(end)
}

/// `Literal = QuotedString / UnquotedLiteral` at `at`, without recording anything (every rule
/// that reads a literal is named, and peggy silences what happens inside named rules).
fn scan_literal(text: &str, at: usize) -> Option<Lexeme> {
    if text[at..].starts_with('"') {
        scan_quoted(text, at)
    } else {
        scan_unquoted(text, at)
    }
}

/// `EscapedWhitespace = '\t' / '\r' / '\n'` and `EscapedUnicodeSequence = '\u' HEX{4}` at `at`
/// (a backslash): the character and the escape's length. A UTF-16 surrogate pair written as
/// two escapes becomes one character; a lone surrogate becomes U+FFFD.
fn common_escape(text: &str, at: usize) -> Option<(char, usize)> {
    let rest = &text.as_bytes()[at..];
    match rest.get(1) {
        Some(b't') => Some(('\t', 2)),
        Some(b'r') => Some(('\r', 2)),
        Some(b'n') => Some(('\n', 2)),
        Some(b'u') => {
            let unit = hex4(rest.get(2..6)?)?;
            if (0xD800..0xDC00).contains(&unit)
                && rest.get(6..8) == Some(b"\\u")
                && let Some(low) = rest.get(8..12).and_then(hex4)
                && (0xDC00..0xE000).contains(&low)
            {
                let c = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                return Some((char::from_u32(c).unwrap_or('\u{fffd}'), 12));
            }
            Some((char::from_u32(unit).unwrap_or('\u{fffd}'), 6))
        }
        _ => None,
    }
}

fn hex4(digits: &[u8]) -> Option<u32> {
    if digits.len() != 4 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let digits = std::str::from_utf8(digits).ok()?;
    u32::from_str_radix(digits, 16).ok()
}

/// `QuotedString = '"' QuotedCharacter* '"'` where a character is an escaped whitespace or
/// unicode sequence, `\\` or `\"`, or anything but `"` (a backslash before anything else is
/// kept as a backslash).
fn scan_quoted(text: &str, at: usize) -> Option<Lexeme> {
    let mut pos = at + 1;
    let mut out = String::new();
    loop {
        let c = text[pos..].chars().next()?;
        match c {
            '"' => {
                return Some(Lexeme {
                    term: Term::Text {
                        text: out,
                        quoted: true,
                    },
                    end: pos + 1,
                });
            }
            '\\' => {
                if let Some((c, len)) = common_escape(text, pos) {
                    out.push(c);
                    pos += len;
                } else if let Some(&b @ (b'\\' | b'"')) = text.as_bytes().get(pos + 1) {
                    out.push(char::from(b));
                    pos += 2;
                } else {
                    out.push('\\');
                    pos += 1;
                }
            }
            c => {
                out.push(c);
                pos += c.len_utf8();
            }
        }
    }
}

/// `UnquotedLiteral = UnquotedCharacter+`, trimmed; `null`, `true`, `false` are not text; an
/// unescaped `*` makes it a wildcard. A character is an escape (`\t \r \n`, `\` + one of
/// `\():<>"*{}`, `\uXXXX`, `\` + `or`/`and`/`not` in any case), a `*`, or any character that
/// is not special and does not start a keyword (`␣or␣`, `␣and␣`, `not␣`).
fn scan_unquoted(text: &str, at: usize) -> Option<Lexeme> {
    let mut pieces = vec![String::new()];
    let mut pos = at;
    // Inside a run of spaces every position sees the same keyword ahead (or none): remember
    // the verdict until the run ends, so a long run of spaces is not quadratic.
    let mut run: Option<(usize, bool)> = None;
    while let Some(c) = text[pos..].chars().next() {
        let piece = pieces.last_mut()?;
        if c == '\\' {
            if let Some((c, len)) = common_escape(text, pos) {
                piece.push(c);
                pos += len;
                continue;
            }
            if let Some(&next) = text.as_bytes().get(pos + 1)
                && next.is_ascii()
                && is_special(char::from(next))
            {
                piece.push(char::from(next));
                pos += 2;
                continue;
            }
            if let Some(word) = ["or", "and", "not"]
                .into_iter()
                .find(|w| word_at(text, pos + 1, w))
            {
                piece.push_str(&text[pos + 1..pos + 1 + word.len()]);
                pos += 1 + word.len();
                continue;
            }
            break;
        }
        if c == '*' {
            pieces.push(String::new());
            pos += 1;
            continue;
        }
        if is_special(c) {
            break;
        }
        let keyword_ahead = if is_space(c) {
            match run {
                Some((end, verdict)) if pos < end => verdict,
                _ => {
                    let end = spaces_end(text, pos);
                    let verdict = keyword_end(text, pos, Keyword::Or).is_some()
                        || keyword_end(text, pos, Keyword::And).is_some();
                    run = Some((end, verdict));
                    verdict
                }
            }
        } else {
            matches!(c, 'n' | 'N') && keyword_end(text, pos, Keyword::Not).is_some()
        };
        if keyword_ahead {
            break;
        }
        piece.push(c);
        pos += c.len_utf8();
    }
    if pos == at {
        return None;
    }
    Some(Lexeme {
        term: unquoted_term(pieces),
        end: pos,
    })
}

/// The term of an unquoted literal: trimmed as JavaScript trims, then `null`/`true`/`false`,
/// a wildcard, or text.
fn unquoted_term(mut pieces: Vec<String>) -> Term {
    if let Some(first) = pieces.first_mut() {
        *first = first.trim_start_matches(is_js_trim_space).to_owned();
    }
    if let Some(last) = pieces.last_mut() {
        *last = last.trim_end_matches(is_js_trim_space).to_owned();
    }
    if pieces.len() > 1 {
        return Term::Wildcard(pieces);
    }
    let text = pieces.pop().unwrap_or_default();
    match text.as_str() {
        "null" => Term::Null,
        "true" => Term::Bool(true),
        "false" => Term::Bool(false),
        _ => Term::Text {
            text,
            quoted: false,
        },
    }
}
