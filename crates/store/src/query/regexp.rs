//! Lucene's regular expression syntax (the `regexp` query, and `include`/`exclude` of the
//! `terms` aggregation), translated into the `regex` crate's syntax, matched against a whole
//! term as Lucene matches: no anchors (`^` and `$` are plain characters), `.` any character,
//! `@` any string (flag `ANYSTRING`), `"..."` a quoted literal, character classes with ranges
//! and negation, `{n,m}` repetition, `|` and grouping.
//!
//! What has no counterpart in the `regex` crate is refused by name: the complement `~`
//! (`COMPLEMENT`), the intersection `&` (`INTERSECTION`), numeric intervals `<n-m>`
//! (`INTERVAL`) and the empty language `#` (`EMPTY`), each while its flag is on (all are by
//! default, `flags: ALL`); with a flag off the character is an ordinary one, as in Lucene.

use crate::error::{Error, Result};

/// The optional operators, as `flags` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    complement: bool,
    intersection: bool,
    interval: bool,
    anystring: bool,
    empty: bool,
}

impl Flags {
    /// `ALL`, the default.
    pub const ALL: Flags = Flags {
        complement: true,
        intersection: true,
        interval: true,
        anystring: true,
        empty: true,
    };

    /// Parses `flags` (`ALL`, `NONE`, or names joined by `|`).
    ///
    /// # Errors
    /// An unknown flag, named as ES names it.
    pub fn parse(s: &str) -> Result<Flags> {
        let mut f = Flags {
            complement: false,
            intersection: false,
            interval: false,
            anystring: false,
            empty: false,
        };
        for part in s.split('|').map(str::trim).filter(|p| !p.is_empty()) {
            match part.to_ascii_uppercase().as_str() {
                "ALL" => f = Flags::ALL,
                "NONE" => {}
                "COMPLEMENT" => f.complement = true,
                "INTERSECTION" => f.intersection = true,
                "INTERVAL" => f.interval = true,
                "ANYSTRING" => f.anystring = true,
                "EMPTY" => f.empty = true,
                other => {
                    return Err(Error::illegal_argument(format!(
                        "Unknown regexp flag [{other}]"
                    )));
                }
            }
        }
        Ok(f)
    }
}

fn literal(out: &mut String, c: char) {
    if c.is_alphanumeric() || c == '_' || c == ' ' {
        out.push(c);
    } else {
        out.push_str(&regex::escape(&c.to_string()));
    }
}

fn class_literal(out: &mut String, c: char) {
    // inside a class the regex crate gives `[ ] \ ^ - & ~` meanings of their own
    if matches!(c, '[' | ']' | '\\' | '^' | '-' | '&' | '~') {
        out.push('\\');
    }
    out.push(c);
}

fn refused(op: char, what: &str, flag: &str) -> Error {
    Error::illegal_argument(format!(
        "the regexp operator [{op}] ({what}, flag {flag}) is not supported by sluice-store; \
         escape it or leave its flag out of [flags]"
    ))
}

/// Translates a Lucene regexp into an anchored `regex` pattern (`(?s)` so `.` takes newlines
/// too, `(?i)` when case-insensitive).
///
/// # Errors
/// A malformed pattern, or an operator the store does not evaluate, named.
pub fn translate(pattern: &str, flags: Flags, case_insensitive: bool) -> Result<String> {
    let bad = |why: &str| {
        Error::illegal_argument(format!("invalid regular expression [{pattern}]: {why}"))
    };
    let mut out = String::from(if case_insensitive { "^(?si:" } else { "^(?s:" });
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut depth = 0usize;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let n = *chars.get(i + 1).ok_or_else(|| bad("trailing backslash"))?;
                literal(&mut out, n);
                i += 1;
            }
            '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&x| x == '"')
                    .ok_or_else(|| bad("unterminated quoted string"))?;
                out.push_str("(?:");
                for &q in &chars[i + 1..i + 1 + end] {
                    literal(&mut out, q);
                }
                out.push(')');
                i += end + 1;
            }
            '.' | '?' | '*' | '+' | '|' => out.push(c),
            '(' => {
                depth += 1;
                out.push_str("(?:");
            }
            ')' => {
                depth = depth.checked_sub(1).ok_or_else(|| bad("unbalanced ')'"))?;
                out.push(')');
            }
            '{' => {
                let end = chars[i..]
                    .iter()
                    .position(|&x| x == '}')
                    .ok_or_else(|| bad("unterminated repetition"))?;
                let body: String = chars[i + 1..i + end].iter().collect();
                let ok = !body.is_empty()
                    && body.split(',').count() <= 2
                    && body.split(',').enumerate().all(|(k, n)| {
                        (k == 1 && n.is_empty()) || n.parse::<u32>().is_ok_and(|v| v <= 1000)
                    });
                if !ok {
                    return Err(bad("invalid repetition"));
                }
                out.push('{');
                out.push_str(&body);
                out.push('}');
                i += end;
            }
            '[' => {
                let mut j = i + 1;
                out.push('[');
                if chars.get(j) == Some(&'^') {
                    out.push('^');
                    j += 1;
                }
                let mut empty = true;
                loop {
                    let Some(&k) = chars.get(j) else {
                        return Err(bad("unterminated character class"));
                    };
                    match k {
                        ']' if !empty => break,
                        '\\' => {
                            let n = *chars.get(j + 1).ok_or_else(|| bad("trailing backslash"))?;
                            class_literal(&mut out, n);
                            j += 1;
                        }
                        '-' if !empty && chars.get(j + 1).is_some_and(|&n| n != ']') => {
                            out.push('-');
                        }
                        other => class_literal(&mut out, other),
                    }
                    empty = false;
                    j += 1;
                }
                out.push(']');
                i = j;
            }
            '@' if flags.anystring => out.push_str(".*"),
            '~' if flags.complement => return Err(refused('~', "complement", "COMPLEMENT")),
            '&' if flags.intersection => {
                return Err(refused('&', "intersection", "INTERSECTION"));
            }
            '<' if flags.interval => return Err(refused('<', "numeric interval", "INTERVAL")),
            '#' if flags.empty => return Err(refused('#', "empty language", "EMPTY")),
            other => literal(&mut out, other),
        }
        i += 1;
    }
    if depth != 0 {
        return Err(bad("unbalanced '('"));
    }
    out.push_str(")$");
    Ok(out)
}

/// A compiled whole-term matcher, its size bounded.
///
/// # Errors
/// As [`translate`], or a pattern too large to compile.
pub fn compile(pattern: &str, flags: Flags, case_insensitive: bool) -> Result<regex::Regex> {
    let re = translate(pattern, flags, case_insensitive)?;
    regex::RegexBuilder::new(&re)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            Error::illegal_argument(format!("invalid regular expression [{pattern}]: {e}"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        compile(p, Flags::ALL, false).unwrap().is_match(s)
    }

    #[test]
    fn lucene_patterns_match_whole_terms() {
        assert!(m("us.r[0-9]+", "user42"));
        assert!(!m("us.r[0-9]+", "xuser42"), "anchored at both ends");
        assert!(m("a{2,3}b", "aaab") && !m("a{2,3}b", "ab"));
        assert!(m("(ab|cd)*", "abcdab") && m("(ab|cd)*", ""));
        assert!(m("x@", "xanything") && m("@", ""));
        assert!(m("\"a.b\"", "a.b") && !m("\"a.b\"", "axb"));
        assert!(m("[^a-c]x", "dx") && !m("[^a-c]x", "bx"));
        assert!(m("a^b$", "a^b$"), "^ and $ are characters");
        assert!(m("\\*", "*") && !m("\\*", "x"));
        assert!(m("[a\\]]+", "a]a"));
        assert!(m("a.c", "a\nc"), ". takes a newline");
        assert!(
            compile("US[a-z]R", Flags::ALL, true)
                .unwrap()
                .is_match("user")
        );
        // with a flag off its character is ordinary
        let none = Flags::parse("NONE").unwrap();
        assert!(compile("a~b@", none, false).unwrap().is_match("a~b@"));
        assert!(
            compile("a<1-5>", Flags::parse("ANYSTRING|EMPTY").unwrap(), false)
                .unwrap()
                .is_match("a<1-5>")
        );
    }

    #[test]
    fn what_is_not_evaluated_or_malformed_is_refused_by_name() {
        for (p, says) in [
            ("~a", "[~] (complement"),
            ("a&b", "[&] (intersection"),
            ("<1-10>", "[<] (numeric interval"),
            ("#", "[#] (empty language"),
            ("(a", "unbalanced '('"),
            ("a)", "unbalanced ')'"),
            ("[ab", "unterminated character class"),
            ("a{2,x}", "invalid repetition"),
            ("\"ab", "unterminated quoted string"),
            ("a\\", "trailing backslash"),
        ] {
            let e = compile(p, Flags::ALL, false).unwrap_err().to_string();
            assert!(e.contains(says), "{p}: {e}");
        }
        let e = Flags::parse("ALL|BOGUS").unwrap_err().to_string();
        assert!(e.contains("[BOGUS]"), "{e}");
    }
}
