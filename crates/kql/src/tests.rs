// The table helpers take the owned values `json!` builds.
#![allow(clippy::needless_pass_by_value)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::{Error, MAX_DEPTH, MAX_QUERY_LEN, Node, Options, Term, dsl::glob_matches};

// ----- query → DSL -----

/// `{"bool": {"should": [clause], "minimum_should_match": 1}}`: what `is` and `range` wrap
/// around each clause.
fn one(clause: Value) -> Value {
    json!({ "bool": { "should": [clause], "minimum_should_match": 1 } })
}

fn m(field: &str, value: Value) -> Value {
    one(json!({ "match": { field: value } }))
}

fn check_with(input: &str, options: &Options, expected: &Value) {
    match crate::translate(input, options) {
        Ok(actual) => assert_eq!(&actual, expected, "{input:?}"),
        Err(e) => panic!("{input:?}: {e}"),
    }
}

fn check(input: &str, expected: Value) {
    check_with(input, &Options::default(), &expected);
}

#[test]
fn empty_and_match_all() {
    let all = json!({ "match_all": {} });
    check("", all.clone());
    check("   \t\n", all.clone());
    check("*:*", all.clone());
    check(" *:* ", all);
}

#[test]
fn field_value() {
    check("level:error", m("level", json!("error")));
    check("level : error", m("level", json!("error")));
    check("level:   error  ", m("level", json!("error")));
    check("\t level:error \n", m("level", json!("error")));
    // Adjacent words are one value, as in Kibana.
    check("message:disk full", m("message", json!("disk full")));
    check("message:disk   full  ", m("message", json!("disk   full")));
    // Numbers stay strings; true/false/null are JSON.
    check("status:200", m("status", json!("200")));
    check("ok:true", m("ok", json!(true)));
    check("ok:false", m("ok", json!(false)));
    check("ok:null", m("ok", Value::Null));
    check("a.b.c:x", m("a.b.c", json!("x")));
    check("名前:値", m("名前", json!("値")));
    check("\"user name\":x", m("user name", json!("x")));
    check("true:x", m("true", json!("x")));
    // A keyword without a space after it is text.
    check("a:x and", m("a", json!("x and")));
    check("a:x or", m("a", json!("x or")));
    check("a:android", m("a", json!("android")));
    check("a:x orb", m("a", json!("x orb")));
}

#[test]
fn phrases() {
    let phrase = |f: &str, v: &str| one(json!({ "match_phrase": { f: v } }));
    check("message:\"disk full\"", phrase("message", "disk full"));
    check("a:\"true\"", phrase("a", "true"));
    check(
        "a:\"x:y (z) * and or not\"",
        phrase("a", "x:y (z) * and or not"),
    );
    check(r#"a:"say \"hi\"""#, phrase("a", "say \"hi\""));
    check(r#"a:"back\\slash""#, phrase("a", "back\\slash"));
    check(r#"a:"c:\dir""#, phrase("a", "c:\\dir"));
    check(r#"a:"tab\there""#, phrase("a", "tab\there"));
    check(r#"a:"\u00e9t\u00e9""#, phrase("a", "été"));
    check(r#"a:"\ud83d\ude00""#, phrase("a", "😀"));
    check("a:\"\"", phrase("a", ""));
}

#[test]
fn free_text() {
    let mm = |kind: &str, q: Value| json!({ "multi_match": { "type": kind, "query": q, "lenient": true } });
    check("error", mm("best_fields", json!("error")));
    check("disk full", mm("best_fields", json!("disk full")));
    check("\"disk full\"", mm("phrase", json!("disk full")));
    check("200", mm("best_fields", json!("200")));
    check("true", mm("best_fields", json!(true)));
    // `not` needs a space after it to be the keyword.
    check("not", mm("best_fields", json!("not")));
    check("NOT", mm("best_fields", json!("NOT")));
    // Kibana's quirk: an unquoted `null` field name means no field.
    check("null:x", mm("best_fields", json!("x")));
    check("us*", json!({ "query_string": { "query": "us*" } }));
    check("*", json!({ "query_string": { "query": "*" } }));
    check("a+b*", json!({ "query_string": { "query": "a\\+b*" } }));
}

#[test]
fn wildcards_and_exists() {
    let qs = |f: &str, q: &str| one(json!({ "query_string": { "fields": [f], "query": q } }));
    check("user:us*", qs("user", "us*"));
    check("user:*us*er", qs("user", "*us*er"));
    check("user:us* er", qs("user", "us* er"));
    // Kibana's escaping, character range and all.
    check("ip:10.0.*", qs("ip", "\\1\\0\\.\\0\\.*"));
    check("path:/var/log*", qs("path", "\\/var\\/log*"));
    check("a:x\\*y*", qs("a", "x\\*y*"));
    check("a:x\\:y*", qs("a", "x\\:y*"));
    check("a:[x]?!~^|&*", qs("a", "\\[x\\]\\?\\!\\~\\^\\|\\&*"));
    check("a:*", one(json!({ "exists": { "field": "a" } })));
    check("a: * ", one(json!({ "exists": { "field": "a" } })));
    // An escaped star is text.
    check("a:\\*", m("a", json!("*")));
    // Field names with wildcards go through as written without known fields.
    check("user*:x", m("user*", json!("x")));
    check("*:x", m("*", json!("x")));
    check("user*:*", one(json!({ "exists": { "field": "user*" } })));
}

#[test]
fn ranges() {
    let r = |f: &str, op: &str, v: Value| one(json!({ "range": { f: { op: v } } }));
    check("bytes > 3", r("bytes", "gt", json!("3")));
    check("bytes>3", r("bytes", "gt", json!("3")));
    check("bytes >= 3", r("bytes", "gte", json!("3")));
    check("bytes < 3", r("bytes", "lt", json!("3")));
    check("bytes <= 3", r("bytes", "lte", json!("3")));
    check("bytes <=3.5", r("bytes", "lte", json!("3.5")));
    check(
        "@timestamp < \"2024-05-01T10:00:00\"",
        r("@timestamp", "lt", json!("2024-05-01T10:00:00")),
    );
    check(
        "@timestamp >= now-1d",
        r("@timestamp", "gte", json!("now-1d")),
    );
    check("a > true", r("a", "gt", json!(true)));
    check("null > 1", r("null", "gt", json!("1")));
}

#[test]
fn boolean_operators_and_precedence() {
    let (a, b, c) = (m("a", json!("x")), m("b", json!("y")), m("c", json!("z")));
    let and = |v: Vec<Value>| json!({ "bool": { "filter": v } });
    let or = |v: Vec<Value>| json!({ "bool": { "should": v, "minimum_should_match": 1 } });
    let not = |v: Value| json!({ "bool": { "must_not": v } });

    check("a:x and b:y", and(vec![a.clone(), b.clone()]));
    check("a:x AND b:y", and(vec![a.clone(), b.clone()]));
    check("a:x   aNd\tb:y", and(vec![a.clone(), b.clone()]));
    check("a:x or b:y", or(vec![a.clone(), b.clone()]));
    check("a:x OR b:y", or(vec![a.clone(), b.clone()]));
    check("not a:x", not(a.clone()));
    check("NOT a:x", not(a.clone()));
    check(
        "a:x and b:y and c:z",
        and(vec![a.clone(), b.clone(), c.clone()]),
    );
    check(
        "a:x or b:y or c:z",
        or(vec![a.clone(), b.clone(), c.clone()]),
    );
    // and binds tighter than or, not tighter than and.
    check(
        "a:x or b:y and c:z",
        or(vec![a.clone(), and(vec![b.clone(), c.clone()])]),
    );
    check(
        "a:x and b:y or c:z",
        or(vec![and(vec![a.clone(), b.clone()]), c.clone()]),
    );
    check("not a:x and b:y", and(vec![not(a.clone()), b.clone()]));
    check("not a:x or b:y", or(vec![not(a.clone()), b.clone()]));
    // Parentheses group.
    check(
        "(a:x or b:y) and c:z",
        and(vec![or(vec![a.clone(), b.clone()]), c.clone()]),
    );
    check("not (a:x or b:y)", not(or(vec![a.clone(), b.clone()])));
    check("( a:x )", a.clone());
    check("((a:x))", a.clone());
    check("not (not a:x)", not(not(a.clone())));
    check(
        "a:x and (b:y or not c:z)",
        and(vec![a, or(vec![b, not(c)])]),
    );
    check(
        "x or y",
        or(vec![
            json!({ "multi_match": { "type": "best_fields", "query": "x", "lenient": true } }),
            json!({ "multi_match": { "type": "best_fields", "query": "y", "lenient": true } }),
        ]),
    );
}

#[test]
fn value_lists() {
    let ax = m("a", json!("x"));
    let ay = m("a", json!("y"));
    let az = m("a", json!("z"));
    let and = |v: Vec<Value>| json!({ "bool": { "filter": v } });
    let or = |v: Vec<Value>| json!({ "bool": { "should": v, "minimum_should_match": 1 } });
    let not = |v: Value| json!({ "bool": { "must_not": v } });

    check("a:(x or y)", or(vec![ax.clone(), ay.clone()]));
    check("a : ( x or y )", or(vec![ax.clone(), ay.clone()]));
    check("a:(x and y)", and(vec![ax.clone(), ay.clone()]));
    check(
        "a:(x and y or z)",
        or(vec![and(vec![ax.clone(), ay.clone()]), az.clone()]),
    );
    check(
        "a:(x or y and z)",
        or(vec![ax.clone(), and(vec![ay.clone(), az.clone()])]),
    );
    check("a:(not x)", not(ax.clone()));
    check("a:(x and not y)", and(vec![ax.clone(), not(ay.clone())]));
    check(
        "a:((x or y) and z)",
        and(vec![or(vec![ax.clone(), ay]), az]),
    );
    check("a:(x)", ax);
    // Adjacent words in a list are one value, not an implicit `or`.
    check("a:(x y)", m("a", json!("x y")));
    check(
        "a:(\"x y\" or z*)",
        or(vec![
            one(json!({ "match_phrase": { "a": "x y" } })),
            one(json!({ "query_string": { "fields": ["a"], "query": "z*" } })),
        ]),
    );
}

#[test]
fn escapes() {
    check("a:\\(x\\)", m("a", json!("(x)")));
    check("a:x\\:y", m("a", json!("x:y")));
    check("a:c\\:\\\\dir", m("a", json!("c:\\dir")));
    check("a:\\\"x\\\"", m("a", json!("\"x\"")));
    check("a:\\<\\>\\{\\}", m("a", json!("<>{}")));
    check("a\\:b:x", m("a:b", json!("x")));
    check("a:x\\ty", m("a", json!("x\ty")));
    check("a:\\u00e9t\\u00e9", m("a", json!("été")));
    // Escaped keywords are text.
    check("a:x \\and y", m("a", json!("x and y")));
    check("a:x \\OR y", m("a", json!("x OR y")));
    check("a:\\NOT y", m("a", json!("NOT y")));
    // Kibana's quirk: `\n` is a newline before `\not` is considered.
    check("a:x \\not y", m("a", json!("x \not y")));
    check("a:\\not y", m("a", json!("ot y")));
    // Escaped whitespace at the ends is trimmed, as Kibana trims the value.
    check("a:x\\n", m("a", json!("x")));
}

#[test]
fn with_field_types() {
    let mut options = Options::default();
    for (name, kind) in [
        ("@timestamp", "date"),
        ("bytes", "long"),
        ("user.id", "keyword"),
        ("user.name", "text"),
        ("host", "keyword"),
    ] {
        options.field_types.insert(name.into(), kind.into());
    }
    options.time_zone = Some("Europe/Paris".into());

    check_with(
        "@timestamp:2024-05-01",
        &options,
        &one(json!({ "range": { "@timestamp": {
            "gte": "2024-05-01", "lte": "2024-05-01", "time_zone": "Europe/Paris" } } })),
    );
    check_with(
        "@timestamp > now-1d",
        &options,
        &one(json!({ "range": { "@timestamp": { "gt": "now-1d", "time_zone": "Europe/Paris" } } })),
    );
    check_with(
        "bytes >= 10",
        &options,
        &one(json!({ "range": { "bytes": { "gte": "10" } } })),
    );
    check_with(
        "host:web-1",
        &options,
        &one(json!({ "term": { "host": { "value": "web-1" } } })),
    );
    check_with(
        "host:web*",
        &options,
        &one(json!({ "wildcard": { "host": { "value": "web*" } } })),
    );
    check_with(
        "@timestamp:2024*",
        &options,
        &one(json!({ "query_string": { "fields": ["@timestamp"], "query": "\\2\\0\\2\\4*" } })),
    );
    check_with(
        "user*:alice",
        &options,
        &json!({ "bool": { "should": [
            { "term": { "user.id": { "value": "alice" } } },
            { "match": { "user.name": "alice" } },
        ], "minimum_should_match": 1 } }),
    );
    check_with(
        "user.*:*",
        &options,
        &json!({ "bool": { "should": [
            { "exists": { "field": "user.id" } },
            { "exists": { "field": "user.name" } },
        ], "minimum_should_match": 1 } }),
    );
    check_with("nothing*:x", &options, &m("nothing*", json!("x")));
    check_with("unknown:x", &options, &m("unknown", json!("x")));

    options.case_insensitive = Some(true);
    options.filters_in_must_clause = true;
    check_with(
        "host:WEB-1 and host:w*",
        &options,
        &json!({ "bool": { "must": [
            one(json!({ "term": { "host": { "value": "WEB-1", "case_insensitive": true } } })),
            one(json!({ "wildcard": { "host": { "value": "w*", "case_insensitive": true } } })),
        ] } }),
    );
}

#[test]
fn leading_wildcards_can_be_refused() {
    let mut options = Options::default();
    check_with(
        "a:*x",
        &options,
        &one(json!({ "query_string": { "fields": ["a"], "query": "*x" } })),
    );
    options.allow_leading_wildcards = false;
    check_with("a:*", &options, &one(json!({ "exists": { "field": "a" } })));
    check_with("*a:x", &options, &m("*a", json!("x")));
    for (input, offset) in [("a:*x", 2), ("*x", 0), ("b:y or a:(x or *y)", 15)] {
        let err = crate::translate(input, &options).unwrap_err();
        assert!(
            matches!(err, Error::LeadingWildcard { .. }),
            "{input:?}: {err}"
        );
        assert_eq!(err.offset(), offset, "{input:?}");
    }
}

#[test]
fn ast_shape() {
    let ast = crate::parse("a:(x or y*) and not b > 2").unwrap();
    let text = |t: &str| Term::Text {
        text: t.into(),
        quoted: false,
    };
    let a = Some(text("a"));
    assert_eq!(
        ast.root(),
        &Node::And(vec![
            Node::Or(vec![
                Node::Is {
                    field: a.clone(),
                    value: text("x")
                },
                Node::Is {
                    field: a,
                    value: Term::Wildcard(vec!["y".into(), String::new()])
                },
            ]),
            Node::Not(Box::new(Node::Range {
                field: text("b"),
                op: crate::RangeOp::Gt,
                value: text("2"),
            })),
        ])
    );
}

// ----- errors -----

#[test]
fn errors_travel_across_threads() {
    fn is_send_sync<T: Send + Sync + 'static>() {}
    is_send_sync::<Error>();
}

/// `input` fails at `offset` (line, column) with `message`.
fn check_err(input: &str, (offset, line, column): (usize, usize, usize), message: &str) {
    let err = match crate::parse(input) {
        Ok(ast) => panic!("{input:?} parsed: {ast:?}"),
        Err(e) => e,
    };
    assert_eq!(
        (err.offset(), err.line(), err.column()),
        (offset, line, column),
        "{input:?}: {err}"
    );
    assert_eq!(err.to_string(), message, "{input:?}");
}

#[test]
fn syntax_errors() {
    check_err(
        "level:",
        (6, 1, 7),
        r#"syntax error at line 1, column 7: expected "(", "{", value, whitespace but end of input found"#,
    );
    check_err(
        "a:x b:y",
        (5, 1, 6),
        r#"syntax error at line 1, column 6: expected AND, OR, end of input, whitespace but ":" found"#,
    );
    check_err(
        "(a:x",
        (4, 1, 5),
        r#"syntax error at line 1, column 5: expected ")", AND, OR, whitespace but end of input found"#,
    );
    check_err(
        "a:(x",
        (4, 1, 5),
        r#"syntax error at line 1, column 5: expected ")", AND, OR, whitespace but end of input found"#,
    );
    check_err(
        "a:x and ",
        (8, 1, 9),
        r#"syntax error at line 1, column 9: expected "(", NOT, field name, value but end of input found"#,
    );
    check_err(
        "not not a:x",
        (4, 1, 5),
        r#"syntax error at line 1, column 5: expected "(", field name, value but "n" found"#,
    );
    check_err(
        "a:x)",
        (3, 1, 4),
        r#"syntax error at line 1, column 4: expected AND, OR, end of input, whitespace but ")" found"#,
    );
    check_err(
        "a:\"unterminated",
        (2, 1, 3),
        r#"syntax error at line 1, column 3: expected "(", "{", value, whitespace but "\"" found"#,
    );
    check_err(
        "a > ",
        (4, 1, 5),
        r#"syntax error at line 1, column 5: expected literal, whitespace but end of input found"#,
    );
    check_err(
        "a:x:y",
        (3, 1, 4),
        r#"syntax error at line 1, column 4: expected AND, OR, end of input, whitespace but ":" found"#,
    );
    check_err(
        r"a:\b",
        (2, 1, 3),
        r#"syntax error at line 1, column 3: expected "(", "{", value, whitespace but "\\" found"#,
    );
    check_err(
        ")",
        (0, 1, 1),
        r#"syntax error at line 1, column 1: expected "(", NOT, end of input, field name, value, whitespace but ")" found"#,
    );
    // `not` needs a space after it.
    check_err(
        "not(a:x)",
        (3, 1, 4),
        r#"syntax error at line 1, column 4: expected ":", "<", "<=", ">", ">=", AND, OR, end of input, whitespace but "(" found"#,
    );
    // A word ending in "not" before a space ends the value there, as in Kibana.
    check_err(
        "message:cannot connect",
        (11, 1, 12),
        r#"syntax error at line 1, column 12: expected AND, OR, end of input, whitespace but "n" found"#,
    );
    // Lines and columns count characters.
    check_err(
        "a:x and\nb:",
        (10, 2, 3),
        r#"syntax error at line 2, column 3: expected "(", "{", value, whitespace but end of input found"#,
    );
    check_err(
        "é:",
        (3, 1, 3),
        r#"syntax error at line 1, column 3: expected "(", "{", value, whitespace but end of input found"#,
    );
}

#[test]
fn nested_queries_are_unsupported() {
    check_err(
        "items:{ name:x }",
        (6, 1, 7),
        "nested field queries (items:{ ... }) are not supported, at line 1, column 7",
    );
    check_err(
        "a:x and\n  items : {name:x}",
        (18, 2, 11),
        "nested field queries (items:{ ... }) are not supported, at line 2, column 11",
    );
}

#[test]
fn nesting_is_bounded() {
    let nested = |depth: usize| format!("{}a:x{}", "(".repeat(depth), ")".repeat(depth));
    assert!(crate::parse(&nested(MAX_DEPTH)).is_ok());
    let err = crate::parse(&nested(MAX_DEPTH + 1)).unwrap_err();
    assert!(matches!(err, Error::TooDeep { .. }), "{err}");
    assert_eq!(err.offset(), MAX_DEPTH);
    for input in [
        "(".repeat(10_000),
        nested(10_000),
        format!("a:{}", "(".repeat(10_000)),
        "not (".repeat(10_000),
        format!("a:{}x", "(not ".repeat(10_000)),
    ] {
        let err = crate::parse(&input).unwrap_err();
        assert!(matches!(err, Error::TooDeep { .. }), "{err}");
        assert!(err.offset() < input.len());
    }
    // Without parentheses a long query is flat: no depth to exceed.
    let long = vec!["a:x"; 5_000].join(" and ");
    assert!(crate::parse(&long).is_ok());
}

#[test]
fn length_is_bounded() {
    let at_limit = "a".repeat(MAX_QUERY_LEN);
    assert!(crate::parse(&at_limit).is_ok());
    let err = crate::parse(&format!("{at_limit}é")).unwrap_err();
    assert!(matches!(err, Error::TooLong { .. }), "{err}");
    assert_eq!(err.offset(), MAX_QUERY_LEN);
    assert_eq!(
        err.to_string(),
        format!(
            "query is {} bytes long, more than the limit of {MAX_QUERY_LEN} bytes",
            MAX_QUERY_LEN + 2
        )
    );
}

#[test]
fn long_runs_of_spaces_parse() {
    // Each space looks ahead for a keyword; the look-ahead is shared along the run.
    let spaces = " ".repeat(MAX_QUERY_LEN - 10);
    assert!(crate::parse(&format!("a:x{spaces}y")).is_ok());
    assert!(crate::parse(&format!("a:x{spaces}")).is_ok());
}

// ----- properties -----

/// Any text either translates to serialisable JSON or fails at a position inside it.
fn never_panics(input: &str) -> Result<(), TestCaseError> {
    match crate::translate(input, &Options::default()) {
        Ok(query) => {
            prop_assert!(serde_json::to_string(&query).is_ok());
        }
        Err(err) => {
            let offset = err.offset();
            prop_assert!(offset <= input.len(), "{err}");
            prop_assert!(input.is_char_boundary(offset), "{err}");
            let before = &input[..offset];
            prop_assert_eq!(err.line(), 1 + before.matches('\n').count());
            let column = 1 + before.rsplit('\n').next().map_or(0, |l| l.chars().count());
            prop_assert_eq!(err.column(), column);
            prop_assert!(!err.to_string().is_empty());
        }
    }
    Ok(())
}

const TOKENS: &[&str] = &[
    "a", "b", "x.y", "é", "値", "1", ":", " ", "  ", "\t", "\n", "\u{a0}", "and", "or", "not",
    "AND", " and ", " or ", "not ", "(", ")", "*", "\"", "\\", "\\u00e9", "\\ud83d", "\\n",
    "\\not", "\\*", ">", ">=", "<", "<=", "{", "}", "true", "null",
];

fn kql_like() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn kql_like_text_never_panics(input in kql_like()) {
        never_panics(&input)?;
    }

    #[test]
    fn any_text_never_panics(input in any::<String>()) {
        never_panics(&input)?;
    }

    #[test]
    fn kql_like_with_unicode_never_panics(a in kql_like(), b in "\\PC{0,8}", c in kql_like()) {
        never_panics(&format!("{a}{b}{c}"))?;
    }
}

// ----- semantic consistency: the AST and its DSL select the same documents -----
//
// A brute-force evaluator for each side, over tiny flat documents, with deliberately simple
// leaf semantics shared by both (values compare as strings; no analysis): it checks the
// translation's structure (bool clauses, field expansion, escaping), not Elasticsearch.

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn compare(doc: &Value, bound: &Value) -> Option<std::cmp::Ordering> {
    let (doc, bound) = (text_of(doc)?, text_of(bound)?);
    match (doc.parse::<f64>(), bound.parse::<f64>()) {
        (Ok(d), Ok(b)) => d.partial_cmp(&b),
        _ => Some(doc.cmp(&bound)),
    }
}

fn known_fields(options: &Options, field: &Term) -> Vec<String> {
    let names: Vec<String> = match field {
        Term::Wildcard(pieces) => options
            .field_types
            .keys()
            .filter(|name| glob_matches(pieces, name))
            .cloned()
            .collect(),
        other => vec![other.to_field_name()],
    };
    if names.is_empty() {
        vec![field.to_field_name()]
    } else {
        names
    }
}

fn value_matches(doc_value: &Value, value: &Term) -> bool {
    let Some(text) = text_of(doc_value) else {
        return false;
    };
    match value {
        Term::Wildcard(pieces) => glob_matches(pieces, &text),
        other => text_of(&other.to_json()).is_some_and(|v| v == text),
    }
}

fn eval_ast(node: &Node, doc: &Map<String, Value>, options: &Options) -> bool {
    match node {
        Node::Or(children) => children.iter().any(|c| eval_ast(c, doc, options)),
        Node::And(children) => children.iter().all(|c| eval_ast(c, doc, options)),
        Node::Not(child) => !eval_ast(child, doc, options),
        Node::Is { field, value } => {
            let field = field.as_ref().filter(|f| !matches!(f, Term::Null));
            match field {
                Some(f) if f.is_lone_wildcard() && value.is_lone_wildcard() => true,
                None => doc.values().any(|v| value_matches(v, value)),
                Some(f) => known_fields(options, f)
                    .iter()
                    .any(|name| match doc.get(name) {
                        None => false,
                        Some(v) if value.is_lone_wildcard() => !v.is_null(),
                        Some(v) => value_matches(v, value),
                    }),
            }
        }
        Node::Range { field, op, value } => known_fields(options, field).iter().any(|name| {
            let Some(ord) = doc.get(name).and_then(|v| compare(v, &value.to_json())) else {
                return false;
            };
            match op {
                crate::RangeOp::Gt => ord.is_gt(),
                crate::RangeOp::Gte => ord.is_ge(),
                crate::RangeOp::Lt => ord.is_lt(),
                crate::RangeOp::Lte => ord.is_le(),
            }
        }),
    }
}

/// A `query_string` or `wildcard` pattern back into literal pieces between unescaped stars.
fn unescape_pattern(pattern: &str) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(piece)) = (chars.next(), pieces.last_mut()) {
                    piece.push(next);
                }
            }
            '*' => pieces.push(String::new()),
            c => {
                if let Some(piece) = pieces.last_mut() {
                    piece.push(c);
                }
            }
        }
    }
    pieces
}

fn single_entry(value: &Value) -> (&String, &Value) {
    let map = value.as_object().expect("an object");
    assert_eq!(map.len(), 1, "{value}");
    map.iter().next().expect("one entry")
}

fn eval_dsl(query: &Value, doc: &Map<String, Value>) -> bool {
    let (kind, body) = single_entry(query);
    let field_matches = |field: &str, pieces: &[String]| {
        doc.get(field)
            .and_then(text_of)
            .is_some_and(|text| glob_matches(pieces, &text))
    };
    let equals = |field: &str, value: &Value| {
        doc.get(field)
            .and_then(text_of)
            .is_some_and(|t| Some(t) == text_of(value))
    };
    match kind.as_str() {
        "match_all" => true,
        "bool" => {
            let clauses = |key: &str| -> Vec<Value> {
                match body.get(key) {
                    None => Vec::new(),
                    Some(Value::Array(list)) => list.clone(),
                    Some(one) => vec![one.clone()],
                }
            };
            let all = |key: &str| clauses(key).iter().all(|q| eval_dsl(q, doc));
            let should = clauses("should");
            let minimum = body
                .get("minimum_should_match")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let matched = should.iter().filter(|q| eval_dsl(q, doc)).count() as u64;
            all("filter")
                && all("must")
                && clauses("must_not").iter().all(|q| !eval_dsl(q, doc))
                && matched >= minimum
        }
        "match" | "match_phrase" => {
            let (field, value) = single_entry(body);
            equals(field, value)
        }
        "term" => {
            let (field, params) = single_entry(body);
            equals(field, &params["value"])
        }
        "multi_match" => doc
            .values()
            .any(|v| text_of(v).is_some() && text_of(v) == text_of(&body["query"])),
        "exists" => doc
            .get(body["field"].as_str().expect("a field"))
            .is_some_and(|v| !v.is_null()),
        "query_string" => {
            let pieces = unescape_pattern(body["query"].as_str().expect("a query"));
            match body.get("fields") {
                Some(fields) => fields
                    .as_array()
                    .expect("fields")
                    .iter()
                    .any(|f| field_matches(f.as_str().expect("a field"), &pieces)),
                None => doc
                    .values()
                    .any(|v| text_of(v).is_some_and(|t| glob_matches(&pieces, &t))),
            }
        }
        "wildcard" => {
            let (field, params) = single_entry(body);
            field_matches(
                field,
                &unescape_pattern(params["value"].as_str().expect("a value")),
            )
        }
        "range" => {
            let (field, params) = single_entry(body);
            let Some(doc_value) = doc.get(field) else {
                return false;
            };
            params
                .as_object()
                .expect("range params")
                .iter()
                .all(|(op, bound)| {
                    let ord = compare(doc_value, bound);
                    match op.as_str() {
                        "gt" => ord.is_some_and(|o| o.is_gt()),
                        "gte" => ord.is_some_and(|o| o.is_ge()),
                        "lt" => ord.is_some_and(|o| o.is_lt()),
                        "lte" => ord.is_some_and(|o| o.is_le()),
                        "time_zone" => true,
                        other => panic!("unexpected range parameter {other}"),
                    }
                })
        }
        other => panic!("unexpected query {other}: {query}"),
    }
}

const FIELDS: &[&str] = &["a", "b", "n", "d", "a*", "*", "zz"];
const VALUES: &[&str] = &[
    "x", "y", "1", "2", "x y", "\"x y\"", "x*", "*", "*y", "\\*", "x\\:y", "1*", "true", "\"1\"",
];
const DOC_VALUES: &[&str] = &["x", "y", "1", "2", "10", "x y", "*", "x:y", "true", "xy"];

fn expression() -> impl Strategy<Value = String> {
    let field = prop::sample::select(FIELDS);
    let value = prop::sample::select(VALUES);
    prop_oneof![
        (field.clone(), value.clone()).prop_map(|(f, v)| format!("{f}:{v}")),
        (field.clone(), value.clone(), value.clone())
            .prop_map(|(f, v, w)| format!("{f}:({v} or {w})")),
        (field.clone(), value.clone(), value.clone())
            .prop_map(|(f, v, w)| format!("{f}:({v} and not {w})")),
        (
            field,
            prop::sample::select(&[">", ">=", "<", "<="][..]),
            prop::sample::select(&["1", "2", "x"][..])
        )
            .prop_map(|(f, op, v)| format!("{f} {op} {v}")),
        value.prop_map(str::to_owned),
    ]
}

fn query() -> impl Strategy<Value = String> {
    expression().prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) and ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("({a}) AND ({b}) or not ({c})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

fn document() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(
        prop::sample::select(&["a", "b", "n", "d"][..]),
        prop::sample::select(DOC_VALUES),
        0..4,
    )
    .prop_map(|fields| {
        fields
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
            .collect()
    })
}

fn typed_options() -> Options {
    let mut options = Options::default();
    let types = [
        ("a", "keyword"),
        ("b", "text"),
        ("n", "long"),
        ("d", "date"),
    ];
    options.field_types = types
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<BTreeMap<_, _>>();
    options.time_zone = Some("UTC".into());
    options
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn dsl_selects_what_the_ast_selects(
        input in query(),
        docs in prop::collection::vec(document(), 1..6),
        typed in any::<bool>(),
    ) {
        let options = if typed { typed_options() } else { Options::default() };
        let ast = crate::parse(&input).map_err(|e| TestCaseError::fail(format!("{input:?}: {e}")))?;
        let query = crate::to_dsl(&ast, &options);
        for doc in &docs {
            prop_assert_eq!(
                eval_ast(ast.root(), doc, &options),
                eval_dsl(&query, doc),
                "{:?} on {:?}: {}", input, doc, query
            );
        }
    }
}
