use serde_json::json;

use super::*;

fn check(filter: &str, input: &serde_json::Value, expected: &serde_json::Value) {
    let f = FilterPath::parse(filter).expect(filter);
    assert_eq!(&f.apply(input), expected, "filter_path={filter}");
}

#[test]
fn keeps_named_paths() {
    let resp = json!({
        "took": 3,
        "hits": {"total": {"value": 2, "relation": "eq"}, "hits": [
            {"_id": "1", "_source": {"user": "u1", "n": 1}},
            {"_id": "2", "_source": {"user": "u2", "n": 2}}
        ]},
        "aggregations": {"users": {"buckets": [{"key": "u1", "doc_count": 1}]}}
    });
    check("took", &resp, &json!({"took": 3}));
    check(
        "hits.total.value,took",
        &resp,
        &json!({"took": 3, "hits": {"total": {"value": 2}}}),
    );
    check(
        "hits.hits._source.user",
        &resp,
        &json!({"hits": {"hits": [{"_source": {"user": "u1"}}, {"_source": {"user": "u2"}}]}}),
    );
    check(
        "hits.hits._i*",
        &resp,
        &json!({"hits": {"hits": [{"_id": "1"}, {"_id": "2"}]}}),
    );
    check(
        "**.doc_count",
        &resp,
        &json!({"aggregations": {"users": {"buckets": [{"doc_count": 1}]}}}),
    );
    check("nothing", &resp, &json!({}));
}

#[test]
fn exclusions_are_refused() {
    assert!(FilterPath::parse("-took").is_err());
    assert!(FilterPath::parse(",").is_err());
}
