use bytes::Bytes;
use proptest::prelude::*;

use super::*;

type Op = (
    OpType,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

fn check(body: &str, default_index: Option<&str>, expected: Result<Vec<Op>, (&str, &str)>) {
    let got = parse(Bytes::from(body.to_owned()), default_index, false);
    match (got, expected) {
        (Ok(ops), Ok(want)) => {
            let got: Vec<(OpType, String, Option<String>, Option<String>)> = ops
                .into_iter()
                .map(|o| {
                    let src = o
                        .source
                        .map(|s| String::from_utf8(s.to_vec()).expect("utf-8"));
                    (o.kind, o.index, o.id, src)
                })
                .collect();
            let want: Vec<(OpType, String, Option<String>, Option<String>)> = want
                .into_iter()
                .map(|(k, i, id, s)| (k, i.to_owned(), id.map(str::to_owned), s.map(str::to_owned)))
                .collect();
            assert_eq!(got, want, "{body:?}");
        }
        (Err(e), Err((kind, reason))) => {
            assert_eq!(
                (e.es_type(), e.reason().as_str()),
                (kind, reason),
                "{body:?}"
            );
            assert_eq!(e.status(), 400);
        }
        (got, want) => panic!("{body:?}: got {got:?}, want {want:?}"),
    }
}

const IAE: &str = "illegal_argument_exception";

#[test]
fn parses_actions_and_sources() {
    check(
        "{\"index\":{}}\n{\"a\":1}\n",
        Some("logs"),
        Ok(vec![(OpType::Index, "logs", None, Some("{\"a\":1}"))]),
    );
    check(
        "{\"create\":{\"_index\":\"x\",\"_id\":7}}\r\n{\"a\":1}\r\n{\"delete\":{\"_index\":\"x\",\"_id\":\"7\"}}\n",
        Some("logs"),
        Ok(vec![
            (OpType::Create, "x", Some("7"), Some("{\"a\":1}")),
            (OpType::Delete, "x", Some("7"), None),
        ]),
    );
    check(
        "{\"index\":{\"_index\":\"x\",\"op_type\":\"create\",\"routing\":\"r\",\"_id\":null}}\n{}\n",
        None,
        Ok(vec![(OpType::Create, "x", None, Some("{}"))]),
    );
    // Blank lines between requests are skipped, as ES skips empty action lines.
    check(
        "\n{\"index\":{\"_index\":\"x\"}}\n{\"b\":2}\n\n",
        None,
        Ok(vec![(OpType::Index, "x", None, Some("{\"b\":2}"))]),
    );
    // A source that is not JSON is passed on: it fails that item alone, in the engine.
    check(
        "{\"index\":{\"_index\":\"x\"}}\nnot json\n",
        None,
        Ok(vec![(OpType::Index, "x", None, Some("not json"))]),
    );
}

#[test]
fn repeated_action_lines_each_count() {
    check(
        "{\"index\":{\"_id\":\"x\"}}\n{\"a\":1}\n{\"index\":{\"_id\":\"x\"}}\n{\"a\":2}\n{\"create\":{}}\n{\"a\":3}\n{\"index\":{\"_id\":\"x\"}}\n{\"a\":4}\n",
        Some("logs"),
        Ok(vec![
            (OpType::Index, "logs", Some("x"), Some("{\"a\":1}")),
            (OpType::Index, "logs", Some("x"), Some("{\"a\":2}")),
            (OpType::Create, "logs", None, Some("{\"a\":3}")),
            (OpType::Index, "logs", Some("x"), Some("{\"a\":4}")),
        ]),
    );
}

#[test]
fn refuses_what_es_refuses() {
    check(
        "",
        None,
        Err(("parse_exception", "request body is required")),
    );
    check(
        "{\"index\":{}}\n{}",
        Some("x"),
        Err((
            IAE,
            "The bulk request must be terminated by a newline [\\n]",
        )),
    );
    check(
        "\n\n",
        Some("x"),
        Err((
            "action_request_validation_exception",
            "Validation Failed: 1: no requests added;",
        )),
    );
    check(
        "\"index\"\n{}\n",
        Some("x"),
        Err((
            IAE,
            "Malformed action/metadata line [1], expected START_OBJECT but found [VALUE_STRING]",
        )),
    );
    check(
        "{\"index\":{}}\n{}\n[1]\n",
        Some("x"),
        Err((
            IAE,
            "Malformed action/metadata line [3], expected START_OBJECT but found [START_ARRAY]",
        )),
    );
    check(
        "{}\n",
        Some("x"),
        Err((
            IAE,
            "Malformed action/metadata line [1], expected FIELD_NAME but found [END_OBJECT]",
        )),
    );
    check(
        "{\"upsert\":{}}\n",
        Some("x"),
        Err((
            IAE,
            "Malformed action/metadata line [1], expected field [create], [delete], [index] or [update] but found [upsert]",
        )),
    );
    check(
        "{\"index\":\"x\"}\n{}\n",
        Some("x"),
        Err((
            IAE,
            "Malformed action/metadata line [1], expected START_OBJECT or END_OBJECT but found [VALUE_STRING]",
        )),
    );
    check(
        "{\"index\":{\"_id\":[1]}}\n{}\n",
        Some("x"),
        Err((
            IAE,
            "Malformed action/metadata line [1], expected a simple value for field [_id] but found [START_ARRAY]",
        )),
    );
    check(
        "{\"index\":{\"_type\":\"doc\"}}\n{}\n",
        Some("x"),
        Err((
            IAE,
            "Action/metadata line [1] contains an unknown parameter [_type]",
        )),
    );
    check(
        "{\"index\":{}}\n{}\n",
        None,
        Err((
            "action_request_validation_exception",
            "Validation Failed: 1: index is missing;",
        )),
    );
    check(
        "{\"delete\":{\"_index\":\"x\"}}\n",
        None,
        Err((
            "action_request_validation_exception",
            "Validation Failed: 1: id is missing;",
        )),
    );
    check(
        "{\"index\":{\"_index\":\"x\"}}\n",
        None,
        Err((
            "action_request_validation_exception",
            "Validation Failed: 1: the action on line [1] has no source line;",
        )),
    );
    check(
        "{\"index\":{\"_index\":\"x\",\"version\":3}}\n{}\n",
        None,
        Err((
            "action_request_validation_exception",
            "Validation Failed: 1: an id must be provided if version type or value are set;\
             2: internal versioning can not be used for optimistic concurrency control. \
             Please use `if_seq_no` and `if_primary_term` instead;",
        )),
    );
    check(
        "{\"update\":{\"_index\":\"x\",\"_id\":\"1\",\"if_seq_no\":3}}\n{\"doc\":{}}\n",
        None,
        Err((
            "action_request_validation_exception",
            "Validation Failed: 1: ifSeqNo is set, but primary term is [0];",
        )),
    );
    check(
        "{\"update\":{\"_index\":\"x\",\"_id\":\"1\",\"retry_on_conflict\":\"x\"}}\n{}\n",
        None,
        Err((
            IAE,
            "Malformed action/metadata line [1], [retry_on_conflict] must be a number, found [x]",
        )),
    );
    let e = parse(Bytes::from_static(b"{\"index\":\n"), None, false).expect_err("bad json");
    assert_eq!(e.es_type(), "x_content_parse_exception");
    assert!(e.reason().starts_with("[1:"), "{}", e.reason());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// No body, however mangled, panics the parser.
    #[test]
    fn never_panics(body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse(Bytes::from(body), Some("x"), false);
    }

    /// Bodies built from JSON-ish fragments reach the deeper branches.
    #[test]
    fn never_panics_on_near_json(parts in proptest::collection::vec(
        prop_oneof![
            Just("{\"index\":{}}".to_owned()),
            Just("{\"delete\":{\"_id\":1}}".to_owned()),
            Just("{\"create\":{\"_index\":null}}".to_owned()),
            Just("{\"a\":1}".to_owned()),
            Just("[".to_owned()),
            Just("{".to_owned()),
            "[ -~]{0,12}",
        ],
        0..12,
    )) {
        let body = parts.join("\n") + "\n";
        let _ = parse(Bytes::from(body), None, false);
    }
}

#[test]
fn sources_are_slices_of_the_body_not_copies() {
    // As the HTTP layer hands it over: a body nobody else holds.
    let body = Bytes::from(
        b"{\"index\":{\"_index\":\"a\"}}\n{\"n\":1}\r\n\n{\"create\":{\"_index\":\"a\",\"_id\":\"2\"}}\n{\"n\":2}\n"
            .to_vec(),
    );
    let range = body.as_ptr() as usize..body.as_ptr() as usize + body.len();
    let ops = parse(body, None, false).expect("valid bulk");
    let sources: Vec<&Bytes> = ops.iter().filter_map(|o| o.source.as_ref()).collect();
    assert_eq!(sources.len(), 2);
    for (s, want) in sources.into_iter().zip([&b"{\"n\":1}"[..], b"{\"n\":2}"]) {
        assert_eq!(&s[..], want);
        assert!(
            range.contains(&(s.as_ptr() as usize)),
            "source {s:?} was copied out of the body"
        );
    }
}
