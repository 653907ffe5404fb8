use serde_json::{Value, json};

use super::*;

fn request(v: Value) -> SearchRequest {
    serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
}

fn check(req: Value, expected_path: &str, expected: &Value) {
    let (path, body) = search_body(&request(req)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(path, expected_path);
    assert_eq!(&body, expected);
}

#[test]
fn kql_query_filters_time_range_sort_and_histogram() {
    check(
        json!({"index": "python-logs-*", "timeField": "@timestamp",
               "query": {"language": "kuery", "query": "level:ERROR"},
               "filters": [
                   {"field": "user", "value": "user1"},
                   {"field": "action", "value": "login", "negate": true},
                   {"field": "ignored", "value": 1, "disabled": true},
                   {"field": "duration", "exists": true}
               ],
               "from": 1000, "to": 3_601_000, "sort": "asc", "size": 10,
               "histogram": {"interval": "1m"}}),
        "/python-logs-*/_search",
        &json!({
            "size": 10,
            "track_total_hits": true,
            "query": {"bool": {
                "filter": [
                    kql::translate("level:ERROR", &kql::Options::default()).unwrap_or_else(|e| panic!("{e}")),
                    {"match_phrase": {"user": "user1"}},
                    {"exists": {"field": "duration"}},
                    {"range": {"@timestamp": {"gte": 1000, "lte": 3_601_000, "format": "epoch_millis"}}}
                ],
                "must_not": [{"match_phrase": {"action": "login"}}]
            }},
            "sort": [{"@timestamp": {"order": "asc", "unmapped_type": "boolean"}}, {"_doc": {"order": "asc"}}],
            "highlight": {"pre_tags": ["<mark>"], "post_tags": ["</mark>"], "fields": {"*": {}},
                          "number_of_fragments": 0, "require_field_match": false},
            "aggs": {"hits_over_time": {"date_histogram": {
                "field": "@timestamp", "fixed_interval": "1m", "min_doc_count": 0,
                "extended_bounds": {"min": 1000, "max": 3_601_000}
            }}}
        }),
    );
}

#[test]
fn lucene_paging_and_no_time_field() {
    check(
        json!({"index": "logs", "query": {"language": "lucene", "query": "level:ERROR AND user:u1"},
               "searchAfter": [17]}),
        "/logs/_search",
        &json!({
            "size": 50,
            "track_total_hits": true,
            "query": {"bool": {"filter": [
                {"query_string": {"query": "level:ERROR AND user:u1", "analyze_wildcard": true}}
            ], "must_not": []}},
            "sort": [{"_doc": {"order": "desc"}}],
            "search_after": [17],
            "highlight": {"pre_tags": ["<mark>"], "post_tags": ["</mark>"], "fields": {"*": {}},
                          "number_of_fragments": 0, "require_field_match": false}
        }),
    );
    // an empty query matches everything and asks for no highlights; calendar intervals
    let (_, body) = search_body(&request(json!({
        "index": "logs", "timeField": "ts", "histogram": {"interval": "1w"}
    })))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body["query"]["bool"]["filter"], json!([{"match_all": {}}]));
    assert!(body.get("highlight").is_none());
    assert_eq!(
        body["aggs"]["hits_over_time"]["date_histogram"],
        json!({"field": "ts", "calendar_interval": "1w", "min_doc_count": 1})
    );
}

#[test]
fn invalid_requests_are_errors_naming_what() {
    fn fails(req: &Value, kind: &str, needle: &str) {
        let err = match serde_json::from_value::<SearchRequest>(req.clone()) {
            Err(e) => {
                assert_eq!(kind, "serde", "{req}: {e}");
                assert!(e.to_string().contains(needle), "{e}");
                return;
            }
            Ok(r) => search_body(&r).expect_err(&req.to_string()),
        };
        assert_eq!(err.kind, kind, "{req}");
        assert!(err.reason.contains(needle), "{}: {}", req, err.reason);
    }
    fails(
        &json!({"index": "a", "sise": 3}),
        "serde",
        "unknown field `sise`",
    );
    fails(
        &json!({"index": "a", "query": {"language": "sql"}}),
        "serde",
        "unknown variant `sql`",
    );
    fails(
        &json!({"index": "a/_delete_by_query?"}),
        "bad_request",
        "must not contain '/'",
    );
    fails(&json!({"index": ""}), "bad_request", "must not be empty");
    fails(
        &json!({"index": "a", "size": 10001}),
        "bad_request",
        "page with searchAfter",
    );
    fails(
        &json!({"index": "a", "timeField": "t", "searchAfter": [1]}),
        "bad_request",
        "has 1 values; the sort has 2",
    );
    fails(
        &json!({"index": "a", "timeField": "t", "from": 5, "to": 1}),
        "bad_request",
        "starts (5) after it ends (1)",
    );
    fails(
        &json!({"index": "a", "timeField": "t", "from": 0, "to": 86_400_000, "histogram": {"interval": "1s"}}),
        "bad_request",
        "makes 86400 buckets",
    );
    fails(
        &json!({"index": "a", "timeField": "t", "histogram": {"interval": "2w"}}),
        "bad_request",
        "invalid histogram interval [2w]",
    );
    fails(
        &json!({"index": "a", "timeField": "t", "histogram": {"interval": "fast"}}),
        "bad_request",
        "invalid histogram interval",
    );
    fails(
        &json!({"index": "a", "filters": [{"field": "f"}]}),
        "bad_request",
        "needs exactly one of [value], [values], [exists], [range], [query]",
    );
    fails(
        &json!({"index": "a", "query": {"query": "level:"}}),
        "kql_syntax_error",
        "syntax error",
    );
}

#[test]
fn kql_errors_carry_their_position() {
    let err = search_body(&request(
        json!({"index": "a", "query": {"query": "level:ERROR and ("}}),
    ))
    .expect_err("syntax error");
    let p = err.position.expect("position");
    assert_eq!((p.line, p.column), (1, 18), "{err:?}");
    assert_eq!(err.to_json()["error"]["position"]["offset"], 17);
}

#[test]
fn answers_keep_hits_sort_values_highlights_and_buckets() {
    let req = request(json!({"index": "a", "timeField": "t", "histogram": {"interval": "1m"}}));
    let resp = json!({
        "took": 3,
        "hits": {"total": {"value": 2, "relation": "eq"}, "hits": [
            {"_index": "a", "_id": "1", "_source": {"m": "x"}, "sort": [5, 1], "highlight": {"m": ["<mark>x</mark>"]}},
            {"_index": "a", "_id": "2", "_source": {"m": "y"}, "sort": [4, 0]}
        ]},
        "aggregations": {"hits_over_time": {"buckets": [{"key": 0, "key_as_string": "z", "doc_count": 2}]}}
    });
    assert_eq!(
        search_answer(&req, &resp),
        json!({
            "total": 2, "totalRelation": "eq", "took": 3,
            "hits": [
                {"_index": "a", "_id": "1", "_source": {"m": "x"}, "sort": [5, 1], "highlight": {"m": ["<mark>x</mark>"]}},
                {"_index": "a", "_id": "2", "_source": {"m": "y"}, "sort": [4, 0]}
            ],
            "histogram": {"interval": "1m", "buckets": [{"key": 0, "count": 2}]}
        })
    );
    // ES 6-style number totals and OpenSearch's gte relation
    let resp = json!({"took": 1, "hits": {"total": 10000, "hits": []}});
    assert_eq!(search_answer(&req, &resp)["total"], 10000);
    let resp =
        json!({"took": 1, "hits": {"total": {"value": 10000, "relation": "gte"}, "hits": []}});
    assert_eq!(search_answer(&req, &resp)["totalRelation"], "gte");
}
