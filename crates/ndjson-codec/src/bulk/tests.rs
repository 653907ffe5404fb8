use super::{BulkAction, BulkBody, BulkEncoder, BulkLimits, BulkOp};
use crate::Error;

fn action_line(action: BulkAction<'_>) -> String {
    let mut out = Vec::new();
    action.write_to(&mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn action_lines() {
    let check = |action: BulkAction<'_>, expected: &str| {
        assert_eq!(action_line(action), expected);
    };
    check(BulkAction::index(), "{\"index\":{}}\n");
    check(BulkAction::create(), "{\"create\":{}}\n");
    check(
        BulkAction::index().with_index("python-logs-2026.11.24"),
        "{\"index\":{\"_index\":\"python-logs-2026.11.24\"}}\n",
    );
    check(
        BulkAction::create().with_index("logs").with_id("a1"),
        "{\"create\":{\"_index\":\"logs\",\"_id\":\"a1\"}}\n",
    );
    check(BulkAction::delete("7"), "{\"delete\":{\"_id\":\"7\"}}\n");
    check(
        BulkAction::update("7").with_index("x"),
        "{\"update\":{\"_index\":\"x\",\"_id\":\"7\"}}\n",
    );
    // retry_on_conflict belongs to updates; other actions do not carry it.
    check(
        BulkAction::update("7")
            .with_index("x")
            .with_retry_on_conflict(3),
        "{\"update\":{\"_index\":\"x\",\"_id\":\"7\",\"retry_on_conflict\":3}}\n",
    );
    check(
        BulkAction::index().with_retry_on_conflict(3),
        "{\"index\":{}}\n",
    );
    // Strings are JSON-escaped.
    check(
        BulkAction::index().with_id("a\"b\\c\nd\u{1}é"),
        "{\"index\":{\"_id\":\"a\\\"b\\\\c\\nd\\u0001é\"}}\n",
    );
}

fn push_all(limits: BulkLimits, sources: &[&[u8]]) -> Vec<BulkBody> {
    let mut enc = BulkEncoder::new(limits);
    let mut out = Vec::new();
    for s in sources {
        out.extend(enc.push(&BulkAction::index(), Some(s)).unwrap());
    }
    out.extend(enc.finish());
    assert!(enc.is_empty());
    out
}

fn shape(bodies: &[BulkBody]) -> Vec<(usize, usize, bool)> {
    bodies
        .iter()
        .map(|b| (b.docs(), b.len(), b.is_oversized()))
        .collect()
}

#[test]
fn split_by_count() {
    // `{"index":{}}\n` is 13 bytes, `{}\n` 3: 16 per item.
    let docs: Vec<&[u8]> = vec![b"{}"; 5];
    let limits = BulkLimits {
        max_docs: 2,
        max_bytes: 1000,
    };
    assert_eq!(
        shape(&push_all(limits, &docs)),
        [(2, 32, false), (2, 32, false), (1, 16, false)]
    );
    // The body is returned as soon as it is full, not on the next push.
    let mut enc = BulkEncoder::new(limits);
    assert!(
        enc.push(&BulkAction::index(), Some(b"{}"))
            .unwrap()
            .is_none()
    );
    assert_eq!(
        enc.push(&BulkAction::index(), Some(b"{}"))
            .unwrap()
            .map(|b| b.docs()),
        Some(2)
    );
    assert!(enc.finish().is_none());
    // max_docs 0 behaves as 1.
    let limits = BulkLimits {
        max_docs: 0,
        max_bytes: 1000,
    };
    assert_eq!(
        shape(&push_all(limits, &docs[..2])),
        [(1, 16, false), (1, 16, false)]
    );
}

#[test]
fn split_by_bytes_never_exceeds_the_limit() {
    let docs: Vec<&[u8]> = vec![b"{}"; 7];
    let limits = BulkLimits {
        max_docs: 100,
        max_bytes: 40, // two 16-byte items fit, three do not
    };
    assert_eq!(
        shape(&push_all(limits, &docs)),
        [
            (2, 32, false),
            (2, 32, false),
            (2, 32, false),
            (1, 16, false)
        ]
    );
    // Exactly at the limit closes the body at once.
    let limits = BulkLimits {
        max_docs: 100,
        max_bytes: 32,
    };
    assert_eq!(
        shape(&push_all(limits, &docs[..3])),
        [(2, 32, false), (1, 16, false)]
    );
}

#[test]
fn an_oversized_item_goes_alone_and_is_flagged() {
    let big: &[u8] = b"{\"m\":\"0123456789012345678901234567890123456789\"}";
    let limits = BulkLimits {
        max_docs: 100,
        max_bytes: 40,
    };
    let bodies = push_all(limits, &[b"{}", big, b"{}", b"{}"]);
    assert_eq!(
        shape(&bodies),
        [
            (1, 16, false),
            (1, 13 + big.len() + 1, true),
            (2, 32, false)
        ]
    );
    assert_eq!(
        bodies[1].item(0).unwrap(),
        [&b"{\"index\":{}}\n"[..], big, b"\n"].concat()
    );
    // Alone from the start: returned at once.
    let mut enc = BulkEncoder::new(limits);
    let body = enc.push(&BulkAction::index(), Some(big)).unwrap().unwrap();
    assert!(body.is_oversized());
    assert!(enc.is_empty());
}

#[test]
fn bodies_hold_items_in_order() {
    let mut enc = BulkEncoder::new(BulkLimits::default());
    enc.push(&BulkAction::index().with_index("a"), Some(b"{\"n\":1}"))
        .unwrap();
    enc.push(&BulkAction::delete("9"), None).unwrap();
    enc.push(&BulkAction::create().with_id("c"), Some(b"{\"n\":2}"))
        .unwrap();
    assert_eq!((enc.pending_docs(), enc.pending_bytes()), (3, 87));
    let body = enc.finish().unwrap();
    let text = std::str::from_utf8(body.as_bytes()).unwrap();
    assert_eq!(
        text,
        "{\"index\":{\"_index\":\"a\"}}\n{\"n\":1}\n{\"delete\":{\"_id\":\"9\"}}\n{\"create\":{\"_id\":\"c\"}}\n{\"n\":2}\n"
    );
    let items: Vec<&[u8]> = body.items().collect();
    assert_eq!(items.len(), 3);
    assert_eq!(items[1], b"{\"delete\":{\"_id\":\"9\"}}\n");
    assert_eq!(items.concat(), body.as_bytes());
    assert_eq!(body.item(3), None);
    assert_eq!(body.clone().into_bytes(), body.as_bytes());
}

#[test]
fn bad_items_are_refused_and_not_added() {
    let mut enc = BulkEncoder::new(BulkLimits::default());
    let mut check = |action: BulkAction<'_>, source: Option<&[u8]>, expected: &str| {
        let err = enc.push(&action, source).unwrap_err();
        assert_eq!(err.to_string(), expected);
        assert!(enc.is_empty(), "nothing added after: {expected}");
    };
    check(
        BulkAction::index(),
        None,
        "bulk action `index` needs a source document",
    );
    check(
        BulkAction::create(),
        None,
        "bulk action `create` needs a source document",
    );
    check(
        BulkAction::update("1"),
        None,
        "bulk action `update` needs a source document",
    );
    check(
        BulkAction::delete("1"),
        Some(b"{}"),
        "bulk action `delete` takes no source document",
    );
    check(
        BulkAction::index(),
        Some(b"{\"a\":\n1}"),
        "bulk source document contains a newline at byte 5: it must be compact JSON on one line",
    );
    check(
        BulkAction::index(),
        Some(b"[1,2]"),
        "bulk source document is not a JSON object (starts with \"[1,2]\")",
    );
    check(
        BulkAction::index(),
        Some(b""),
        "bulk source document is not a JSON object (starts with \"\")",
    );
    assert!(matches!(
        enc.push(&BulkAction::index(), None),
        Err(Error::MissingSource { op: BulkOp::Index })
    ));
}

#[test]
fn op_names_round_trip() {
    for op in [
        BulkOp::Index,
        BulkOp::Create,
        BulkOp::Update,
        BulkOp::Delete,
    ] {
        assert_eq!(BulkOp::parse(op.as_str()), Some(op));
        assert_eq!(op.to_string(), op.as_str());
    }
    assert_eq!(BulkOp::parse("upsert"), None);
}
