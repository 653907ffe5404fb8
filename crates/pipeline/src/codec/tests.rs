use bytes::Bytes;
use log_model::LogEvent;
use ndjson_codec::Frame;
use serde_json::{Value, json};

use super::*;

fn obj(v: Value) -> LogEvent {
    let Value::Object(m) = v else { unreachable!() };
    LogEvent::from_map(m)
}

fn line(raw: &str) -> Frame {
    let mut dec = ndjson_codec::NdjsonDecoder::with_config(decoder_config(64));
    let mut buf = bytes::BytesMut::from(format!("{raw}\n").as_bytes());
    tokio_util::codec::Decoder::decode(&mut dec, &mut buf)
        .unwrap()
        .unwrap()
}

/// Decodes a line; returns the event without `@timestamp` when it was the ingest time.
fn check(raw: &str, codec: InputCodec, expected: Value, failure: bool) {
    let d = decode_frame(line(raw), codec, 64);
    let mut map = d.event.as_map().clone();
    let ts = map.remove("@timestamp").expect("@timestamp is always set");
    assert!(ts.as_str().is_some_and(|s| s.ends_with('Z')), "{ts}");
    if let Some(Value::String(orig)) = expected.get("@timestamp") {
        assert_eq!(ts.as_str(), Some(orig.as_str()));
    }
    let mut expected = expected;
    if let Value::Object(m) = &mut expected {
        m.remove("@timestamp");
    }
    assert_eq!(Value::Object(map), expected, "line {raw:?}");
    assert_eq!(d.parse_failure, failure, "line {raw:?}");
}

#[test]
fn json_lines_semantics() {
    use InputCodec::{JsonLines, Line};
    check(
        r#"{"message":"hi","level":"INFO"}"#,
        JsonLines,
        json!({"message":"hi","level":"INFO","@version":"1"}),
        false,
    );
    check(
        "not json",
        JsonLines,
        json!({"message":"not json","tags":["_jsonparsefailure"],"@version":"1"}),
        true,
    );
    check(
        "[1,2]",
        JsonLines,
        json!({"message":"[1,2]","tags":["_jsonparsefailure"],"@version":"1"}),
        true,
    );
    check(
        r#"{"@timestamp":"2026-11-24T10:00:00+02:00","@version":"2"}"#,
        JsonLines,
        json!({"@timestamp":"2026-11-24T08:00:00.000Z","@version":"2"}),
        false,
    );
    check(
        r#"{"@timestamp":"yesterday"}"#,
        JsonLines,
        json!({"_@timestamp":"yesterday","tags":["_timestampparsefailure"],"@version":"1"}),
        false,
    );
    check(
        r#"{"a":1}"#,
        Line,
        json!({"message":"{\"a\":1}","@version":"1"}),
        false,
    );
}

#[test]
fn over_long_lines_become_tagged_events() {
    let d = decode_frame(
        Frame::TooLong {
            len: 100,
            offset: 7,
            line: 2,
        },
        InputCodec::JsonLines,
        64,
    );
    assert!(d.too_long);
    assert_eq!(d.event.tags(), vec!["_jsonparsetoobigfailure"]);
    assert_eq!(
        d.event.message(),
        Some("line 2 of 100 bytes (stream offset 7) exceeds decode_size_limit_bytes (64)")
    );
}

#[test]
fn http_bodies() {
    let n = |body: &str, codec| decode_body(body.as_bytes(), codec).len();
    assert_eq!(n(r#"{"a":1}"#, InputCodec::Json), 1);
    assert_eq!(n(r#"[{"a":1},{"b":2}]"#, InputCodec::Json), 2);
    assert_eq!(n("{\"a\":1}\n{\"b\":2}\n\n", InputCodec::Json), 2);
    let bad = decode_body(b"{\"a\":1}\nnope\n", InputCodec::Json);
    assert_eq!(bad.len(), 2);
    assert!(bad[1].parse_failure);
    assert_eq!(n("one\ntwo\n", InputCodec::Line), 2);
}

#[test]
fn rubydebug_matches_logstash_layout() {
    let ev = obj(json!({
        "message": "User user1 performed login",
        "@timestamp": "2026-11-24T22:15:44.123Z",
        "@version": "1",
        "duration": 1.5,
        "count": 3,
        "ok": true,
        "none": null,
        "tags": ["python", "webapp"],
        "extra": {"user": "user1", "n": {"deep": "a\"b"}},
        "empty": {},
        "@metadata": {"input": "x"}
    }));
    let expected = r#"{
    "@timestamp" => 2026-11-24T22:15:44.123Z,
      "@version" => "1",
         "count" => 3,
      "duration" => 1.5,
         "empty" => {},
         "extra" => {
           "n" => {
            "deep" => "a\"b"
        },
        "user" => "user1"
    },
       "message" => "User user1 performed login",
          "none" => nil,
            "ok" => true,
          "tags" => [
        [0] "python",
        [1] "webapp"
    ]
}
"#;
    assert_eq!(rubydebug(&ev, false), expected);
    assert!(rubydebug(&ev, true).contains("\"@metadata\" => {"));
}

#[test]
fn outputs_never_write_metadata() {
    let ev = obj(json!({"a": 1, "@metadata": {"x": 1}}));
    assert_eq!(to_json_without_metadata(&ev), br#"{"a":1}"#.to_vec());
    let _ = Bytes::new();
}
