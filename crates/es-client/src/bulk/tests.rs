use super::*;

#[test]
fn dead_letter_lines_keep_the_source_as_json() {
    let f = BulkFailure {
        doc: BulkDoc::index(r#"{"user":"user1","duration":"slow"}"#).with_index("python-logs"),
        status: Some(400),
        error_type: "document_parsing_exception".into(),
        reason: "failed to parse field [duration]".into(),
        error: Some(
            serde_json::json!({"type": "document_parsing_exception", "reason": "failed to parse field [duration]"}),
        ),
        attempts: 1,
    };
    let line = dead_letter_line(&f);
    assert_eq!(line.last(), Some(&b'\n'));
    let v: serde_json::Value = serde_json::from_slice(&line).expect("json");
    assert_eq!(
        v["source"],
        serde_json::json!({"user": "user1", "duration": "slow"})
    );
    assert_eq!(
        (v["status"].as_u64(), v["index"].as_str(), v["op"].as_str()),
        (Some(400), Some("python-logs"), Some("index"))
    );
    assert_eq!(v["error"]["type"], "document_parsing_exception");

    // A source that is not JSON is kept as a string, never dropped.
    let mut bad = f;
    bad.doc.source = Bytes::from_static(b"not json");
    bad.error = None;
    let v: serde_json::Value = serde_json::from_slice(&dead_letter_line(&bad)).expect("json");
    assert_eq!(v["source"], "not json");
    assert_eq!(v["error"]["reason"], "failed to parse field [duration]");
}

#[test]
fn generated_ids_look_like_es_ids() {
    let a = generate_id();
    assert_eq!(a.len(), 20);
    assert!(
        a.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{a}"
    );
    assert_ne!(a, generate_id());
}

#[test]
fn prepare_assigns_ids_and_create() {
    let cfg = BulkConfig {
        generate_ids: true,
        ..BulkConfig::for_index("logs")
    };
    let p = prepare(BulkDoc::index("{}"), &cfg).expect("ok");
    assert_eq!(
        (p.doc.op, p.doc.id.map(|i| i.len())),
        (BulkOp::Create, Some(20))
    );
    let p = prepare(BulkDoc::index("{}").with_id("mine"), &cfg).expect("ok");
    assert_eq!(
        (p.doc.op, p.doc.id.as_deref()),
        (BulkOp::Index, Some("mine"))
    );
    let err = prepare(BulkDoc::index("{}"), &BulkConfig::default()).err();
    assert!(err.is_some_and(|e| e.to_string().contains("names no index")));
}
