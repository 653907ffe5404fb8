use super::*;

fn check_parse(query: &str, expected: &[(&str, &str)]) {
    let p = Params::parse(Some(query)).expect("parses");
    let got: Vec<(&str, &str)> = p
        .keys()
        .map(|k| (k, p.get(k).unwrap_or_default()))
        .collect();
    assert_eq!(got, expected, "query {query:?}");
}

#[test]
fn parses_and_decodes() {
    check_parse("", &[]);
    check_parse("pretty", &[("pretty", "")]);
    check_parse("q=user:user1&size=0", &[("q", "user:user1"), ("size", "0")]);
    check_parse(
        "q=a%20b+c&x=%E2%9C%93",
        &[("q", "a b c"), ("x", "\u{2713}")],
    );
    check_parse("refresh=&v", &[("refresh", ""), ("v", "")]);
}

#[test]
fn bad_queries_are_refused() {
    for q in ["a=%", "a=%4", "a=%zz", "a=1&a=2", "a=%ff"] {
        let e = Params::parse(Some(q)).expect_err(q);
        assert_eq!(e.es_type(), "illegal_argument_exception", "{q}");
    }
}

#[test]
fn booleans_follow_es() {
    let p = Params::parse(Some("a&b=true&c=false&d=yes")).expect("parses");
    assert!(p.bool("a", false).expect("a"));
    assert!(p.bool("b", false).expect("b"));
    assert!(!p.bool("c", true).expect("c"));
    assert!(p.bool("missing", true).expect("default"));
    assert_eq!(
        p.bool("d", false).expect_err("d").reason(),
        "Failed to parse value [yes] as only [true] or [false] are allowed."
    );
}

fn check_unrecognized(query: &str, allowed: &[&str], expected: Option<&str>) {
    let p = Params::parse(Some(query)).expect("parses");
    match (p.check("/idx/_search", allowed), expected) {
        (Ok(()), None) => {}
        (Err(e), Some(want)) => {
            assert_eq!(e.es_type(), "illegal_argument_exception");
            assert_eq!(e.status(), 400);
            assert_eq!(e.reason(), want);
        }
        (got, want) => panic!("{query}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn unknown_parameters_are_named_as_es_names_them() {
    check_unrecognized("size=1&pretty&filter_path=took", &["size"], None);
    check_unrecognized(
        "foo=1",
        &["size"],
        Some("request [/idx/_search] contains unrecognized parameter: [foo]"),
    );
    check_unrecognized(
        "sise=1",
        &["size"],
        Some(
            "request [/idx/_search] contains unrecognized parameter: [sise] -> did you mean [size]?",
        ),
    );
    check_unrecognized(
        "foo=1&bar=2",
        &["size"],
        Some("request [/idx/_search] contains unrecognized parameters: [foo], [bar]"),
    );
}
