use super::*;
use serde_json::json;

#[test]
fn parses_bool_with_all_clauses() {
    let q = parse(
        &json!({"bool": {"must": {"match": {"message": "a b"}}, "filter": [{"term": {"user": "u"}}],
        "should": [{"exists": {"field": "x"}}], "must_not": [{"range": {"d": {"gte": 1}}}], "minimum_should_match": 1}}),
    );
    let Ok(Q::Bool {
        must,
        filter,
        should,
        must_not,
        msm,
        ..
    }) = q
    else {
        panic!("not a bool: {q:?}")
    };
    assert_eq!(
        (
            must.len(),
            filter.len(),
            should.len(),
            must_not.len(),
            msm.as_deref()
        ),
        (1, 1, 1, 1, Some("1"))
    );
}

#[test]
fn unknown_clauses_and_params_are_refused() {
    for body in [
        json!({"fuzzy": {"a": {"value": "b", "prefix_length": 2}}}),
        json!({"fuzzy": {"a": {"value": "b", "fuzziness": 3}}}),
        json!({"match": {"a": {"query": "b", "fuzziness": "sometimes"}}}),
        json!({"match": {"a": {"query": "b", "max_expansions": 10}}}),
        json!({"bool": {"must": [], "boost_mode": 1}}),
        json!({"range": {"a": {"gte": 1, "foo": 2}}}),
        json!({"term": {"a": "b", "c": "d"}}),
    ] {
        let e = parse(&body).err().map(|e| e.status());
        assert_eq!(e, Some(400), "{body}");
    }
}

#[test]
fn minimum_should_match_forms() {
    for (m, n, want) in [
        ("1", 3, 1),
        ("-1", 3, 2),
        ("50%", 4, 2),
        ("-25%", 4, 3),
        ("100%", 3, 3),
    ] {
        assert_eq!(parse_msm(m, n).ok(), Some(want), "{m}");
    }
}
