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
fn check(raw: &str, codec: &InputCodec, expected: Value, failure: bool) {
    let d = decode_frame(line(raw), codec, 64, &IngestTime::now());
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
        &JsonLines,
        json!({"message":"hi","level":"INFO","@version":"1"}),
        false,
    );
    check(
        "not json",
        &JsonLines,
        json!({"message":"not json","tags":["_jsonparsefailure"],"@version":"1"}),
        true,
    );
    check(
        "[1,2]",
        &JsonLines,
        json!({"message":"[1,2]","tags":["_jsonparsefailure"],"@version":"1"}),
        true,
    );
    check(
        r#"{"@timestamp":"2026-11-24T10:00:00+02:00","@version":"2"}"#,
        &JsonLines,
        json!({"@timestamp":"2026-11-24T08:00:00.000Z","@version":"2"}),
        false,
    );
    check(
        r#"{"@timestamp":"yesterday"}"#,
        &JsonLines,
        json!({"_@timestamp":"yesterday","tags":["_timestampparsefailure"],"@version":"1"}),
        false,
    );
    check(
        r#"{"a":1}"#,
        &Line,
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
        &InputCodec::JsonLines,
        64,
        &IngestTime::now(),
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
    let n = |body: &str, codec: InputCodec| decode_body(body.as_bytes(), &codec).len();
    assert_eq!(n(r#"{"a":1}"#, InputCodec::Json), 1);
    assert_eq!(n(r#"[{"a":1},{"b":2}]"#, InputCodec::Json), 2);
    assert_eq!(n("{\"a\":1}\n{\"b\":2}\n\n", InputCodec::Json), 2);
    let bad = decode_body(b"{\"a\":1}\nnope\n", &InputCodec::Json);
    assert_eq!(bad.len(), 2);
    assert!(bad[1].parse_failure);
    assert_eq!(n("one\ntwo\n", InputCodec::Line), 2);
}

#[test]
fn json_bodies_that_must_be_decoded_whole() {
    for (body, whole) in [
        (r#"[{"a":1},{"b":2}]"#, true),
        ("  \n[\n{\"a\":1}\n]", true),
        ("{\n  \"a\": 1\n}\n", true),
        (r#"{"a":1}"#, false),
        ("{\"a\":1}\n{\"b\":2}\n", false),
        ("{\"a\":1}\nnope\n", false),
        ("plain text\n", false),
        ("", false),
    ] {
        assert_eq!(is_json_document(body.as_bytes()), whole, "{body:?}");
    }
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

/// The fast path of `stamp` must agree with parse + format on every input.
#[test]
fn canonical_timestamps_match_the_parser() {
    fn check(input: &str, canonical: bool) {
        assert_eq!(is_canonical_timestamp(input), canonical, "{input}");
        if canonical {
            let ts = Timestamp::parse(input).expect("canonical parses");
            assert_eq!(ts.to_es_string(), input);
        }
    }
    check("2026-11-24T12:34:56.789Z", true);
    check("2024-02-29T23:59:59.999Z", true);
    check("0001-01-01T00:00:00.000Z", true);
    check("9999-12-31T23:59:59.999Z", true);
    check("2023-02-29T00:00:00.000Z", false); // not a leap year
    check("2026-13-01T00:00:00.000Z", false);
    check("2026-00-01T00:00:00.000Z", false);
    check("2026-04-31T00:00:00.000Z", false);
    check("2026-11-24T24:00:00.000Z", false);
    check("2026-11-24T12:60:00.000Z", false);
    check("2026-11-24T12:00:60.000Z", false); // leap second: slow path
    check("0000-01-01T00:00:00.000Z", false);
    check("2026-11-24T12:34:56.78Z", false);
    check("2026-11-24T12:34:56.789+00:00", false);
    check("2026-11-24T12:34:56.789z", false);
    check("2026-11-24 12:34:56.789Z", false);
    check("2026-11-24T12:34:56,789Z", false);
    check("２026-11-24T12:34:56.789Z", false);
    // Calendar validity agrees with chrono's, century leap rules included.
    for year in [1900, 1999, 2000, 2023, 2024, 2100, 2400] {
        for month in 0..=13 {
            for day in 0..=32 {
                let s = format!("{year:04}-{month:02}-{day:02}T00:00:00.000Z");
                let real = chrono::NaiveDate::from_ymd_opt(year, month, day).is_some();
                check(&s, real);
            }
        }
    }
}

#[test]
fn stamp_keeps_canonical_and_normalises_others() {
    fn check(input: &str, expected: &str, tag: bool) {
        let mut ev = obj(json!({ "@timestamp": input }));
        stamp(&mut ev);
        assert_eq!(ev.as_map()["@timestamp"], json!(expected));
        assert_eq!(ev.tags().contains(&"_timestampparsefailure"), tag);
    }
    check(
        "2026-11-24T12:34:56.789Z",
        "2026-11-24T12:34:56.789Z",
        false,
    );
    check("2026-11-24T12:34:56Z", "2026-11-24T12:34:56.000Z", false);
    check(
        "2026-11-24T13:34:56.789+01:00",
        "2026-11-24T12:34:56.789Z",
        false,
    );
}

/// The lazy event parse the line codecs use gives what `serde_json::from_slice::<Value>` gives
/// (key order, duplicate keys) and refuses everything that is not one JSON object.
#[test]
fn lazy_event_parse_matches_serde_json() {
    fn check(raw: &str) {
        let ours = LogEvent::from_json_bytes(Bytes::copy_from_slice(raw.as_bytes()))
            .ok()
            .map(|e| Value::Object(e.into_map()));
        let theirs = serde_json::from_slice::<Value>(raw.as_bytes())
            .ok()
            .filter(Value::is_object);
        assert_eq!(ours, theirs, "{raw}");
        if let (Some(Value::Object(a)), Some(Value::Object(b))) = (&ours, &theirs) {
            assert!(a.keys().eq(b.keys()), "key order of {raw}");
        }
    }
    for raw in [
        r#"{"b":1,"a":{"y":[1,2.5,"x"],"x":null},"c":true}"#,
        r#"{"a":1,"b":2,"a":3}"#,
        r#"{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17}"#,
        "{}",
        " {\"a\":\"\\u00e9\\n\"} ",
        r#"{"a":1} x"#,
        r#"{"a":1"#,
        "[1,2]",
        "\"s\"",
        "12",
        "",
    ] {
        check(raw);
    }
}

#[test]
fn json_without_metadata() {
    fn check(event: Value, expected: &str) {
        let out = to_json_without_metadata(&obj(event));
        assert_eq!(std::str::from_utf8(&out).unwrap(), expected);
    }
    check(json!({}), "{}");
    check(json!({"@metadata": {"a": 1}}), "{}");
    check(json!({"a": 1}), r#"{"a":1}"#);
    check(json!({"@metadata": {"a": 1}, "b": "x"}), r#"{"b":"x"}"#);
    check(
        json!({"b": [1, {"c": null}], "@metadata": 2, "a": 1.5}),
        r#"{"b":[1,{"c":null}],"a":1.5}"#,
    );
}
