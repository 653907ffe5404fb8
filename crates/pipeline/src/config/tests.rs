//! Unit tests of the parser's and loader's internals.

use super::parser::ParseOptions;
use super::{Condition, Node, Rvalue, wildcard};

fn cond(text: &str) -> Condition {
    let src = format!("filter {{ if {text} {{ }} }}");
    let p = super::parser::parse("u.conf", &src, &ParseOptions::default()).unwrap();
    let Node::Branch(b) = &p.filters[0] else {
        panic!("not a branch")
    };
    b.arms[0].condition.clone()
}

#[test]
fn wildcard_matches_file_names() {
    let cases: &[(&str, &str, bool)] = &[
        ("*.conf", "a.conf", true),
        ("*.conf", "a.conf~", false),
        ("*.conf", ".conf", true),
        ("1?-*.conf", "10-in.conf", true),
        ("1?-*.conf", "1-in.conf", false),
        ("*", "anything", true),
        ("a*b*c", "aXbYc", true),
        ("a*b*c", "aXbY", false),
        ("exact", "exact", true),
        ("exact", "exactly", false),
    ];
    for (pattern, name, expected) in cases {
        assert_eq!(wildcard(pattern, name), *expected, "{pattern} vs {name}");
    }
}

#[test]
fn regex_literal_keeps_escaped_slashes_for_the_regex_engine() {
    let Condition::Regex { pattern, .. } = cond(r"[p] =~ /a\/b/") else {
        panic!()
    };
    assert_eq!(pattern.as_str(), r"a\/b");
    assert!(pattern.is_match("xa/by"));
}

#[test]
fn selectors_keep_dots_inside_brackets_as_one_segment() {
    let Condition::Value(Rvalue::Field(f)) = cond("[log.level]") else {
        panic!()
    };
    assert_eq!(f.segments(), ["log.level"]);
    let Condition::Value(Rvalue::Field(f)) = cond("[@metadata][x y]") else {
        panic!()
    };
    assert_eq!(f.segments(), ["@metadata", "x y"]);
}

#[test]
fn backtracking_drops_errors_of_abandoned_attempts() {
    // `/(/` is first tried as the left operand of `in`, `==`, ... before being parsed for good;
    // with a valid regex no error survives, with an invalid one exactly one does.
    assert!(super::parse_str("u.conf", "filter { if [a] =~ /x/ { } }").is_ok());
    let err = super::parse_str("u.conf", "filter { if /(/ { } }").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("u.conf:1:13: invalid regular expression /(/"),
        "{err}"
    );
}

#[test]
fn empty_and_comment_only_files_are_empty_pipelines() {
    for text in ["", "\n\n", "# only a comment", "# a\n# b\n"] {
        let p = super::parse_str("u.conf", text).unwrap();
        assert!(p.inputs.is_empty() && p.filters.is_empty() && p.outputs.is_empty());
    }
}

#[test]
fn big_integers_become_floats() {
    let p = super::parse_str("u.conf", "filter { m { a => 99999999999999999999 } }").unwrap();
    let Node::Plugin(m) = &p.filters[0] else {
        panic!()
    };
    assert_eq!(
        m.settings[0].value,
        super::Value::Number(super::Number::Float(1e20))
    );
}

/// `${VAR}` in conditions (Logstash 8): string and list operands are substituted, field
/// references and regular expressions are not; an unset variable without default is an error.
#[test]
fn env_vars_in_conditions() {
    use super::env::substitute_condition;
    let env = |name: &str| match name {
        "APP" => Some("shop".to_owned()),
        "T1" => Some("a".to_owned()),
        _ => None,
    };
    let ev =
        log_model::LogEvent::from_json_slice(br#"{"app":"shop","type":"a","m":"${APP}"}"#).unwrap();
    for (text, holds) in [
        (r#"[app] == "${APP}""#, true),
        (r#"[app] == "${MISSING:shop}""#, true),
        (r#"[type] in ["${T1}", "b"]"#, true),
        (r#""${APP}" == "shop" and [type] != "${T1}""#, false),
        (r#"!([app] == "${APP}")"#, false),
        // a regex is taken as written
        (r#"[m] =~ /\$\{APP\}/"#, true),
    ] {
        let c = substitute_condition(&cond(text), &env).unwrap();
        assert_eq!(c.eval(&ev), holds, "{text}");
    }
    let err = substitute_condition(&cond(r#"[app] == "${NOPE}""#), &env).unwrap_err();
    assert!(
        err.contains("Replacement variable `NOPE` is not defined"),
        "{err}"
    );
}
