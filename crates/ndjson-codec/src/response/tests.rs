use super::{BulkItem, BulkItemError, parse_bulk_response, summarize_bulk_response};
use crate::BulkOp;
use serde_json::json;

const OK_ES8: &str = r#"{"took":30,"errors":false,"items":[
 {"index":{"_index":"python-logs","_id":"a1","_version":1,"result":"created","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}},
 {"delete":{"_index":"python-logs","_id":"zz","_version":1,"result":"not_found","status":404}},
 {"update":{"_index":"python-logs","_id":"a1","result":"noop","status":200}}]}"#;

const OK_ES7: &str = r#"{"took":2,"errors":false,"items":[{"create":{"_index":"logs","_type":"_doc","_id":"x","_version":1,"result":"created","status":201}}]}"#;

const FAILED: &str = r#"{"took":7,"errors":true,"items":[
 {"index":{"_index":"python-logs","_id":"1","status":201,"result":"created"}},
 {"index":{"_index":"python-logs","_id":"2","status":400,"error":{"type":"document_parsing_exception","reason":"[1:15] failed to parse field [duration] of type [float] in document with id '2'","caused_by":{"type":"number_format_exception","reason":"For input string: \"slow\""}}}},
 {"create":{"_index":"python-logs","_id":"3","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[3]: version conflict, document already exists (current version [1])","index_uuid":"u","shard":"0","index":"python-logs"}}},
 {"index":{"_index":"python-logs","_id":"4","status":429,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution"}}}]}"#;

fn item(op: BulkOp, id: &str, status: u16, result: Option<&str>) -> BulkItem {
    BulkItem {
        op,
        index: "python-logs".into(),
        id: Some(id.into()),
        status,
        result: result.map(Into::into),
        error: None,
    }
}

#[test]
fn parses_successes_es8_and_es7() {
    let r = parse_bulk_response(OK_ES8.as_bytes()).unwrap();
    assert_eq!((r.took, r.errors), (30, false));
    assert_eq!(
        r.items,
        [
            item(BulkOp::Index, "a1", 201, Some("created")),
            item(BulkOp::Delete, "zz", 404, Some("not_found")),
            item(BulkOp::Update, "a1", 200, Some("noop")),
        ]
    );
    assert_eq!(r.failed().count(), 0);
    let r = parse_bulk_response(OK_ES7.as_bytes()).unwrap();
    assert_eq!(r.items.len(), 1);
    assert_eq!(
        (r.items[0].op, r.items[0].index.as_str(), r.items[0].status),
        (BulkOp::Create, "logs", 201)
    );
}

#[test]
fn parses_failures_with_causes() {
    let r = parse_bulk_response(FAILED.as_bytes()).unwrap();
    assert!(r.errors);
    let failed: Vec<(usize, u16, String, bool)> = r
        .failed()
        .map(|(i, it)| {
            (
                i,
                it.status,
                it.error.as_ref().unwrap().to_string(),
                it.is_retryable(),
            )
        })
        .collect();
    assert_eq!(
        failed,
        [
            (1, 400, "document_parsing_exception: [1:15] failed to parse field [duration] of type [float] in document with id '2' (caused by number_format_exception: For input string: \"slow\")".to_owned(), false),
            (2, 409, "version_conflict_engine_exception: [3]: version conflict, document already exists (current version [1])".to_owned(), false),
            (3, 429, "es_rejected_execution_exception: rejected execution".to_owned(), true),
        ]
    );
    let e = r.items[2].error.as_ref().unwrap();
    assert_eq!(e.raw["shard"], json!("0"));
    assert_eq!(e.caused_by, None);
    let cause = r.items[1]
        .error
        .as_ref()
        .unwrap()
        .caused_by
        .as_ref()
        .unwrap();
    assert_eq!(cause.kind, "number_format_exception");
}

#[test]
fn summary_counts_without_building_and_keeps_failed_positions() {
    let s = summarize_bulk_response(OK_ES8.as_bytes()).unwrap();
    assert_eq!(
        (s.took, s.errors, s.items, s.failed.len()),
        (30, false, 3, 0)
    );
    let s = summarize_bulk_response(FAILED.as_bytes()).unwrap();
    assert_eq!((s.took, s.errors, s.items), (7, true, 4));
    let positions: Vec<(usize, Option<&str>)> = s
        .failed
        .iter()
        .map(|(i, it)| (*i, it.id.as_deref()))
        .collect();
    assert_eq!(positions, [(1, Some("2")), (2, Some("3")), (3, Some("4"))]);
    assert_eq!(
        s.failed,
        parse_bulk_response(FAILED.as_bytes())
            .unwrap()
            .failed()
            .map(|(i, it)| (i, it.clone()))
            .collect::<Vec<_>>()
    );
}

#[test]
fn summary_fast_path_does_not_look_inside_items() {
    // With errors=false first, items are skipped as opaque JSON: a shape the full parser refuses
    // is only counted. (Elasticsearch never sends this; it shows the tree is not built.)
    let body = br#"{"took":1,"errors":false,"items":[{"weird":true},{}]}"#;
    let s = summarize_bulk_response(body).unwrap();
    assert_eq!((s.items, s.failed.len()), (2, 0));
    assert_eq!(
        parse_bulk_response(body).unwrap_err().to_string(),
        "invalid bulk response: unknown bulk action `weird` at line 1 column 42"
    );
}

#[test]
fn errors_after_items_still_summarises() {
    let body = br#"{"items":[{"index":{"_index":"i","_id":"1","status":400,"error":{"type":"t","reason":"r"}}},{"index":{"_index":"i","status":201}}],"errors":true,"took":5}"#;
    let s = summarize_bulk_response(body).unwrap();
    assert_eq!((s.took, s.errors, s.items), (5, true, 2));
    assert_eq!(s.failed.len(), 1);
    assert_eq!(s.failed[0].1.error.as_ref().unwrap().to_string(), "t: r");
    // An item without `_id` (auto ids that failed before assignment) is fine.
    let r = parse_bulk_response(body).unwrap();
    assert_eq!(r.items[1].id, None);
}

#[test]
fn error_shapes() {
    let check = |error: serde_json::Value, expected: &str| {
        assert_eq!(BulkItemError::from_value(error).to_string(), expected);
    };
    check(json!({"type":"a","reason":"b"}), "a: b");
    check(json!({"type":"a"}), "a");
    check(json!({"reason":"only reason"}), "only reason");
    check(
        json!("MapperParsingException[failed]"),
        "MapperParsingException[failed]",
    );
    check(
        json!({"type":"a","reason":"b","caused_by":{"type":"c","reason":"d","caused_by":{"type":"e","reason":"f"}}}),
        "a: b (caused by c: d (caused by e: f))",
    );
}

#[test]
fn bad_bodies_are_errors_naming_the_problem() {
    let check = |body: &str, expected: &str| {
        for got in [
            parse_bulk_response(body.as_bytes()).map(|_| ()),
            summarize_bulk_response(body.as_bytes()).map(|_| ()),
        ] {
            assert_eq!(got.unwrap_err().to_string(), expected, "body {body}");
        }
    };
    check(
        "",
        "invalid bulk response: EOF while parsing a value at line 1 column 0",
    );
    check(
        "[]",
        "invalid bulk response: invalid type: sequence, expected a bulk response object at line 1 column 0",
    );
    check(
        r#"{"took":1,"errors":false}"#,
        "invalid bulk response: missing `took`, `errors` or `items` (not a _bulk response)",
    );
    check(
        r#"{"error":{"type":"illegal_argument_exception","reason":"The bulk request must be terminated by a newline [\\n]"},"status":400}"#,
        "invalid bulk response: the request failed: illegal_argument_exception: The bulk request must be terminated by a newline [\\n]",
    );
    check(
        r#"{"took":"x","errors":false,"items":[]}"#,
        "invalid bulk response: invalid type: string \"x\", expected u64 at line 1 column 11",
    );
    check(
        r#"{"took":1,"errors":true,"items":[{"index":{"_index":"i"}}]}"#,
        "invalid bulk response: missing field `status` at line 1 column 56",
    );
    check(
        r#"{"took":1,"errors":true,"items":[{"index":{"status":201},"create":{"status":201}}]}"#,
        "invalid bulk response: bulk item has a second key `create` after `index` at line 1 column 65",
    );
    check(
        r#"{"took":1,"errors":true,"items":[{}]}"#,
        "invalid bulk response: empty bulk item, expected {\"index\":{...}} at line 1 column 35",
    );
    check(
        r#"{"took":1,"errors":false,"items":[]} x"#,
        "invalid bulk response: trailing characters at line 1 column 38",
    );
}
