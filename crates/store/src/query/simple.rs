//! `simple_query_string`: Lucene's simple query syntax as Elasticsearch reads it — `+` (and),
//! `|` (or), `-` (not), `"phrases"` with `~slop`, `prefix*`, `word~N` (fuzzy), parentheses, `\`
//! escapes, whitespace as `default_operator`, each operator switched by `flags` — never a syntax
//! error: what does not parse is read as text.

use serde_json::Value;

use super::{Fuzziness, Operator, Q, as_str_value, boost_of, field_boost, parse_operator};
use crate::error::{Error, Result};

const AND: u32 = 1;
const NOT: u32 = 1 << 1;
const OR: u32 = 1 << 2;
const PREFIX: u32 = 1 << 3;
const PHRASE: u32 = 1 << 4;
const PRECEDENCE: u32 = 1 << 5;
const ESCAPE: u32 = 1 << 6;
const WHITESPACE: u32 = 1 << 7;
const FUZZY: u32 = 1 << 8;
const NEAR: u32 = 1 << 9;
const ALL: u32 = (1 << 10) - 1;

fn parse_flags(v: &Value) -> Result<u32> {
    if let Some(n) = v.as_i64() {
        return Ok(if n == -1 { ALL } else { (n as u32) & ALL });
    }
    let mut out = 0;
    for f in as_str_value(v)
        .split('|')
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        out |= match f.to_ascii_uppercase().as_str() {
            "ALL" => ALL,
            "NONE" => 0,
            "AND" => AND,
            "NOT" => NOT,
            "OR" => OR,
            "PREFIX" => PREFIX,
            "PHRASE" => PHRASE,
            "PRECEDENCE" => PRECEDENCE,
            "ESCAPE" => ESCAPE,
            "WHITESPACE" => WHITESPACE,
            "FUZZY" => FUZZY,
            "NEAR" | "SLOP" => NEAR,
            other => {
                return Err(Error::illegal_argument(format!(
                    "Unknown simple_query_string flag [{other}]"
                )));
            }
        };
    }
    Ok(out)
}

/// The options of one `simple_query_string`.
struct Opts {
    fields: Vec<(String, f32)>,
    op: Operator,
    flags: u32,
    lenient: bool,
}

/// Parses a `simple_query_string` body.
///
/// # Errors
/// A missing `query`, wrong parameter types, unknown flags, or parameters refused by name.
pub fn parse(body: &Value) -> Result<Q> {
    let name = "simple_query_string";
    let o = body
        .as_object()
        .ok_or_else(|| Error::parsing(format!("[{name}] query malformed, no start_object")))?;
    let mut query = None;
    let mut fields = vec![("*".to_owned(), 1.0)];
    let (mut op, mut flags, mut lenient, mut msm, mut boost) = (Operator::Or, ALL, None, None, 1.0);
    for (k, v) in o {
        match k.as_str() {
            "query" => query = Some(as_str_value(v)),
            "fields" => {
                fields = match v {
                    Value::Array(a) => a.iter().map(|f| field_boost(&as_str_value(f))).collect(),
                    other => vec![field_boost(&as_str_value(other))],
                };
            }
            "default_operator" => op = parse_operator(v)?,
            "flags" => flags = parse_flags(v)?,
            "lenient" => lenient = v.as_bool(),
            "minimum_should_match" => msm = Some(as_str_value(v)),
            "boost" => boost = boost_of(v, name)?,
            "analyzer" if v.as_str() == Some("standard") => {}
            // there are no synonyms to expand, and terms are analysed whatever this says
            "_name" | "auto_generate_synonyms_phrase_query" | "analyze_wildcard" => {}
            "fuzzy_prefix_length" | "fuzzy_max_expansions" => {
                let key = if k == "fuzzy_max_expansions" {
                    "max_expansions"
                } else {
                    "prefix_length"
                };
                super::fuzzy_extra(name, key, v)?;
            }
            "fuzzy_transpositions" if v.as_bool() == Some(true) => {}
            other => {
                return Err(Error::parsing(format!(
                    "[{name}] query does not support [{other}]"
                )));
            }
        }
    }
    let query = query.ok_or_else(|| Error::parsing(format!("[{name}] query text missing")))?;
    let names: Vec<String> = fields.iter().map(|(f, _)| f.clone()).collect();
    let opts = Opts {
        lenient: lenient.unwrap_or_else(|| super::lucene::Options::lenient_by_default(&names)),
        fields,
        op,
        flags,
    };
    let chars: Vec<char> = query.chars().collect();
    let mut pos = 0;
    let q = parse_group(&chars, &mut pos, &opts, false).unwrap_or(Q::MatchNone);
    let q = match (q, msm) {
        (
            Q::Bool {
                must,
                filter,
                should,
                must_not,
                boost,
                ..
            },
            Some(m),
        ) => Q::Bool {
            must,
            filter,
            should,
            must_not,
            msm: Some(m),
            boost,
        },
        (q, _) => q,
    };
    Ok(boosted(q, boost))
}

/// Clauses combined left to right: a run of one operator is one `bool`, a change of operator
/// wraps what came before (Lucene's `SimpleQueryParser`).
fn parse_group(chars: &[char], pos: &mut usize, o: &Opts, nested: bool) -> Option<Q> {
    let mut top: Option<(Option<Operator>, Vec<Q>)> = None;
    let mut pending: Option<Operator> = None;
    let mut negate = false;
    while *pos < chars.len() {
        let c = chars[*pos];
        match c {
            '+' if o.flags & AND != 0 => {
                pending = Some(Operator::And);
                *pos += 1;
                continue;
            }
            '|' if o.flags & OR != 0 => {
                pending = Some(Operator::Or);
                *pos += 1;
                continue;
            }
            '-' if o.flags & NOT != 0 => {
                negate = !negate;
                *pos += 1;
                continue;
            }
            ')' if nested && o.flags & PRECEDENCE != 0 => {
                *pos += 1;
                break;
            }
            c if c.is_whitespace() && o.flags & WHITESPACE != 0 => {
                *pos += 1;
                continue;
            }
            _ => {}
        }
        let branch = if c == '(' && o.flags & PRECEDENCE != 0 {
            *pos += 1;
            parse_group(chars, pos, o, true)
        } else if c == '"' && o.flags & PHRASE != 0 {
            phrase(chars, pos, o)
        } else {
            word(chars, pos, o)
        };
        let Some(mut branch) = branch else {
            continue;
        };
        if negate {
            // Lucene's `NOT x`: everything but x (so that `a -b` under OR keeps the rest)
            branch = Q::Bool {
                must: vec![],
                filter: vec![],
                should: vec![Q::MatchAll(1.0)],
                must_not: vec![branch],
                msm: None,
                boost: 1.0,
            };
            negate = false;
        }
        let op = pending.take().unwrap_or(o.op);
        top = Some(match top {
            None => (None, vec![branch]),
            Some((None, mut qs)) | Some((Some(_), mut qs)) if qs.len() == 1 => {
                qs.push(branch);
                (Some(op), qs)
            }
            Some((Some(cur), mut qs)) if cur == op => {
                qs.push(branch);
                (Some(op), qs)
            }
            Some((cur, qs)) => (Some(op), vec![combine(cur, qs), branch]),
        });
    }
    top.map(|(op, qs)| combine(op, qs))
}

/// `q` with its score times `boost` (a one-clause `bool`).
fn boosted(q: Q, boost: f32) -> Q {
    if boost == 1.0 {
        return q;
    }
    Q::Bool {
        must: vec![q],
        filter: vec![],
        should: vec![],
        must_not: vec![],
        msm: None,
        boost,
    }
}

fn combine(op: Option<Operator>, mut qs: Vec<Q>) -> Q {
    if qs.len() == 1 {
        return qs.pop().unwrap_or(Q::MatchNone);
    }
    let and = op == Some(Operator::And);
    Q::Bool {
        must: if and { qs.clone() } else { vec![] },
        filter: vec![],
        should: if and { vec![] } else { qs },
        must_not: vec![],
        msm: None,
        boost: 1.0,
    }
}

/// `"a phrase"` with an optional `~slop`; an unclosed quote is read as text.
fn phrase(chars: &[char], pos: &mut usize, o: &Opts) -> Option<Q> {
    let start = *pos;
    let mut i = start + 1;
    let mut text = String::new();
    while i < chars.len() && chars[i] != '"' {
        if chars[i] == '\\' && o.flags & ESCAPE != 0 && i + 1 < chars.len() {
            i += 1;
        }
        text.push(chars[i]);
        i += 1;
    }
    if i >= chars.len() {
        // no closing quote: the rest is words
        *pos = start + 1;
        return word(chars, pos, o);
    }
    i += 1;
    let mut slop = 0;
    if o.flags & NEAR != 0 && chars.get(i) == Some(&'~') {
        let digits: String = chars[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        slop = digits.parse().unwrap_or(0);
        i += 1 + digits.len();
    }
    *pos = i;
    Some(on_fields(o, &|field| Q::MatchPhrase {
        field: field.to_owned(),
        query: text.clone(),
        slop,
        boost: 1.0,
    }))
}

/// A word up to whitespace or an operator; `*` at its end makes it a prefix, `~N` fuzzy.
fn word(chars: &[char], pos: &mut usize, o: &Opts) -> Option<Q> {
    let mut text = String::new();
    while *pos < chars.len() {
        let c = chars[*pos];
        if c == '\\' && o.flags & ESCAPE != 0 && *pos + 1 < chars.len() {
            text.push(chars[*pos + 1]);
            *pos += 2;
            continue;
        }
        let stop = (c.is_whitespace() && o.flags & WHITESPACE != 0)
            || (c == '|' && o.flags & OR != 0)
            || (c == '+' && o.flags & AND != 0 && !text.is_empty())
            || (c == ')' && o.flags & PRECEDENCE != 0)
            || (c == '(' && o.flags & PRECEDENCE != 0)
            || (c == '"' && o.flags & PHRASE != 0);
        if stop {
            break;
        }
        if c == '~' && o.flags & FUZZY != 0 {
            let digits: String = chars[*pos + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            *pos += 1 + digits.len();
            let d = digits.parse::<u8>().unwrap_or(2).min(2);
            if text.is_empty() {
                return None;
            }
            let value = crate::analysis::lowercase(&text);
            return Some(on_fields(o, &|field| Q::Fuzzy {
                field: field.to_owned(),
                value: value.clone(),
                fuzziness: Fuzziness::Fixed(d),
                transpositions: true,
                boost: 1.0,
            }));
        }
        text.push(c);
        *pos += 1;
    }
    if text.is_empty() {
        return None;
    }
    if o.flags & PREFIX != 0 && text.len() > 1 && text.ends_with('*') {
        let value = text.trim_end_matches('*').to_owned();
        return Some(on_fields(o, &|field| Q::Prefix {
            field: field.to_owned(),
            value: value.clone(),
            case_insensitive: false,
            normalize: true,
            boost: 1.0,
        }));
    }
    Some(on_fields(o, &|field| Q::Match {
        field: field.to_owned(),
        query: Value::from(text.clone()),
        operator: o.op,
        msm: None,
        fuzzy: None,
        boost: 1.0,
    }))
}

/// A clause over every field of the query: a field (or pattern) each, boosted as given, the
/// best field's score counting (a field its text cannot be read for matches nothing when
/// lenient).
fn on_fields(o: &Opts, leaf: &dyn Fn(&str) -> Q) -> Q {
    let per_field: Vec<Q> = o
        .fields
        .iter()
        .map(|(f, b)| {
            let q = Q::AnyField {
                fields: vec![f.clone()],
                inner: Box::new(leaf(f)),
                lenient: o.lenient,
            };
            boosted(q, *b)
        })
        .collect();
    if per_field.len() == 1 {
        return per_field.into_iter().next().unwrap_or(Q::MatchNone);
    }
    Q::DisMax {
        queries: per_field,
        tie_breaker: 0.0,
        boost: 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn words(q: &Q) -> String {
        match q {
            Q::AnyField { inner, .. } => words(inner),
            Q::Match { query, .. } => as_str_value(query),
            Q::MatchPhrase { query, slop, .. } => format!("\"{query}\"~{slop}"),
            Q::Prefix { value, .. } => format!("{value}*"),
            Q::Fuzzy {
                value, fuzziness, ..
            } => format!("{value}~{fuzziness:?}"),
            Q::MatchAll(_) => "ALL".into(),
            Q::Bool {
                must,
                should,
                must_not,
                ..
            } => {
                let mut parts = Vec::new();
                for m in must {
                    parts.push(format!("+{}", words(m)));
                }
                for s in should {
                    parts.push(words(s));
                }
                for n in must_not {
                    parts.push(format!("-{}", words(n)));
                }
                format!("({})", parts.join(" "))
            }
            other => format!("{other:?}"),
        }
    }

    fn p(s: &str, extra: &Value) -> String {
        let mut body = json!({"query": s, "fields": ["f"]});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        words(&parse(&body).unwrap())
    }

    #[test]
    fn operators_group_left_to_right() {
        assert_eq!(p("a b", &json!({})), "(a b)");
        assert_eq!(p("a b", &json!({"default_operator": "and"})), "(+a +b)");
        assert_eq!(p("a + b | c", &json!({})), "((+a +b) c)");
        assert_eq!(p("a -b", &json!({})), "(a (ALL -b))");
        assert_eq!(p("(a | b) + c", &json!({})), "(+(a b) +c)");
        assert_eq!(p("\"a b\"~2 c*", &json!({})), "(\"a b\"~2 c*)");
        assert_eq!(p("quikc~1", &json!({})), "quikc~Fixed(1)");
        assert_eq!(p("a\\+b", &json!({})), "a+b");
    }

    #[test]
    fn flags_turn_operators_into_text() {
        assert_eq!(p("a + b", &json!({"flags": "OR|WHITESPACE"})), "(a + b)");
        assert_eq!(p("c*", &json!({"flags": "NONE"})), "c*");
        assert!(matches!(
            parse(&json!({"query": "a", "flags": "SOMETIMES"})),
            Err(e) if e.status() == 400
        ));
        // an unclosed quote or a stray operator is text, never an error
        assert_eq!(p("\"a b", &json!({})), "(a b)");
        assert_eq!(p("a |", &json!({})), "a");
    }
}
