use bytes::Bytes;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::{FieldRef, LogEvent};

fn lazy(text: &str) -> LogEvent {
    let ev = LogEvent::from_json_bytes(Bytes::copy_from_slice(text.as_bytes())).unwrap();
    assert!(ev.is_lazy(), "{text} should be kept lazily");
    ev
}

fn written(ev: &LogEvent, skip: &[&str]) -> String {
    let mut out = Vec::new();
    ev.write_json(&mut out, skip);
    String::from_utf8(out).unwrap()
}

/// The lazy parse accepts exactly what the full parse accepts, with the same fields.
fn check_agrees(input: &[u8]) {
    let full = LogEvent::from_json_slice(input);
    let lazy = LogEvent::from_json_bytes(Bytes::copy_from_slice(input));
    match (&full, &lazy) {
        (Ok(f), Ok(l)) => {
            assert_eq!(f.as_map(), l.as_map(), "{}", String::from_utf8_lossy(input));
            // What the lazy event writes parses back to the same object.
            let back: Value = serde_json::from_slice(&l.to_json_vec()).unwrap();
            assert_eq!(&back, &Value::Object(f.as_map().clone()));
        }
        (Err(_), Err(_)) => {}
        _ => panic!(
            "full {:?} vs lazy {:?} for {}",
            full.is_ok(),
            lazy.is_ok(),
            String::from_utf8_lossy(input)
        ),
    }
}

#[test]
fn lazy_and_full_parses_agree_on_edge_cases() {
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200));
    let shallow = format!("{{\"a\":{}1{}}}", "[".repeat(90), "]".repeat(90));
    let long_number = format!("{{\"a\":1{}}}", "0".repeat(400));
    let cases: Vec<&[u8]> = vec![
        br#"{"a":1,"b":"x","c":[1,2,{"d":null}],"e":true,"f":-0.5}"#,
        br#"  { "a" : 1 , "b" : { "c" : "d" } }  "#,
        br#"{}"#,
        br#"{"a":"\ud800"}"#,
        br#"{"a":"\ud83d\ude00 ok"}"#,
        br#"{"a":"line\nbreak \"quoted\""}"#,
        br#"{"a":1e999}"#,
        br#"{"a":1.5E3}"#,
        br#"{"a":"1e999 in a string"}"#,
        br#"{"a":18446744073709551616}"#,
        br#"{"a":1,"a":2,"b":3}"#,
        br#"{"k\"ey":1}"#,
        br#"{"k\u0065y":1}"#,
        br#"{"a":1} x"#,
        br#"{"a":1}{"b":2}"#,
        br#"{"a":1,}"#,
        br#"{"a":tru}"#,
        b"{\"a\":\"tab\there\"}",
        b"{\"a\":\"\xff\"}",
        b"{\"\xc3\xa9t\xc3\xa9\":\"\xc3\xa9\"}",
        br#"[1,2]"#,
        br#"{"a":01}"#,
        br#"{"a":-}"#,
        br#"{"a":-0}"#,
        br#"{"a":1.}"#,
        br#"{"a":.5}"#,
        br#"{"a":+1}"#,
        br#"{"a":1e}"#,
        br#"{"a":1e+}"#,
        br#"{"a":[1,]}"#,
        br#"{"a":[,1]}"#,
        br#"{"a":{"b":1,}}"#,
        br#"{"a":{"b" 1}}"#,
        br#"{"a":{"b":}}"#,
        br#"{"a":{1:2}}"#,
        br#"{"a":[1 2]}"#,
        br#"{"a":[1}"#,
        br#"{"a":{"b":1]}"#,
        br#"{"a":"\x"}"#,
        br#"{"a":"\u12"}"#,
        br#"{"a":"\u12G4"}"#,
        br#"{"a":"\/\b\f\r\t"}"#,
        br#"{"a":nul}"#,
        br#"{"a":truex}"#,
        br#"{"a" 1}"#,
        br#"{"a":1 "b":2}"#,
        br#"{"a":{"k\"":1, "k\u0041":[]}}"#,
        br#"{"a":[],"b":{},"c":[{}],"d":[[[]]],"e":{"f":{"g":{}}}}"#,
        b" \t\r\n{ \t\r\n\"a\" \t\r\n: \t\r\n[ 1 , 2 ] \t\r\n} \t\r\n",
        br#"{"#,
        br#"{"a""#,
        br#"{"a":"#,
        br#"{"a":1"#,
        br#"{"a":1,"#,
        br#""str""#,
        br#"null"#,
        b"",
        deep.as_bytes(),
        shallow.as_bytes(),
        long_number.as_bytes(),
    ];
    for c in cases {
        check_agrees(c);
    }
}

#[test]
fn unchanged_fields_are_written_as_received() {
    let ev = lazy(r#"{"b": 1.50, "a":{"x": [1, 2]},"@metadata":{"m":1}}"#);
    assert_eq!(
        written(&ev, &[]),
        r#"{"b": 1.50, "a":{"x": [1, 2]},"@metadata":{"m":1}}"#
    );
    assert_eq!(
        written(&ev, &["@metadata"]),
        r#"{"b": 1.50, "a":{"x": [1, 2]}}"#
    );
    assert_eq!(ev.field("b"), Some(&json!(1.5)));
    // Changed, removed and added members break the runs of copied bytes.
    let mut ev = lazy(r#"{ "a" : 1 , "b":2, "c":3, "d":4, "e":5 }"#);
    ev.remove_field("b");
    *ev.field_mut("d").unwrap() = json!("four");
    ev.insert_field("f", json!([6]));
    assert_eq!(
        written(&ev, &["e"]),
        r#"{"a" : 1,"c":3,"d":"four","f":[6]}"#
    );
    assert_eq!(written(&ev, &["a"]), r#"{"c":3,"d":"four","e":5,"f":[6]}"#);
}

/// The same operations on a lazy and a parsed event give the same event.
#[test]
fn lazy_and_parsed_events_change_alike() {
    type Op = fn(&mut LogEvent);
    let f = |s: &str| FieldRef::parse(s).unwrap();
    let ops: Vec<(&str, Op)> = vec![
        ("insert new", |e| {
            e.insert(&FieldRef::parse("new").unwrap(), json!(1));
        }),
        ("insert existing keeps position", |e| {
            e.insert(&FieldRef::parse("a").unwrap(), json!("x"));
        }),
        ("insert nested creates objects", |e| {
            e.insert(&FieldRef::parse("[n][m][o]").unwrap(), json!(true));
        }),
        ("insert through a scalar", |e| {
            e.insert(&FieldRef::parse("[a][z]").unwrap(), json!(2));
        }),
        ("insert nested into existing object", |e| {
            e.insert(&FieldRef::parse("[obj][k2]").unwrap(), json!(3));
        }),
        ("remove top", |e| {
            e.remove(&FieldRef::parse("a").unwrap());
        }),
        ("remove nested", |e| {
            e.remove(&FieldRef::parse("[obj][k]").unwrap());
        }),
        ("remove missing nested", |e| {
            e.remove(&FieldRef::parse("[obj][nope]").unwrap());
        }),
        ("get_mut", |e| {
            if let Some(v) = e.get_mut(&FieldRef::parse("[obj][k]").unwrap()) {
                *v = json!("changed");
            }
        }),
        ("replace_field", |e| {
            assert!(e.replace_field("s", json!(9)));
        }),
        ("replace missing field", |e| {
            assert!(!e.replace_field("nope", json!(9)));
        }),
        ("add_tag", |e| e.add_tag("t2")),
        ("add existing tag", |e| e.add_tag("t1")),
        ("remove_tag", |e| e.remove_tag("t1")),
        ("set_timestamp", |e| {
            e.set_timestamp(crate::Timestamp::parse("2024-01-02T03:04:05.678Z").unwrap());
        }),
        ("as_map_mut", |e| {
            e.as_map_mut().insert("m".into(), json!(null));
        }),
    ];
    let input = r#"{"a":1,"obj":{"k":"v"},"tags":["t1"],"s":"text"}"#;
    for (what, op) in ops {
        let mut l = lazy(input);
        let mut p = LogEvent::from_json_slice(input.as_bytes()).unwrap();
        // Read first, so that cached parses are exercised too.
        let _ = l.get(&f("[obj][k]"));
        op(&mut l);
        op(&mut p);
        assert_eq!(l.as_map(), p.as_map(), "{what}");
        assert_eq!(written(&l, &[]), written(&p, &[]), "{what}");
        assert_eq!(l, p, "{what}");
    }
}

#[test]
fn accessors_read_lazy_events() {
    let ev = lazy(
        r#"{"@timestamp":"2024-05-01T10:00:00.000Z","level":"ERROR","user":"u1","duration":"1.5","tags":"one","log":{"logger":"app"}}"#,
    );
    assert_eq!(ev.level(), Some(crate::Level::Error));
    assert_eq!(ev.user(), Some("u1"));
    assert_eq!(ev.duration(), Some(1.5));
    assert_eq!(ev.tags(), vec!["one"]);
    assert_eq!(ev.logger(), Some("app"));
    assert_eq!(
        ev.timestamp().map(|t| t.to_es_string()),
        Some("2024-05-01T10:00:00.000Z".to_owned())
    );
    // serde sees the same object.
    assert_eq!(
        serde_json::to_value(&ev).unwrap(),
        Value::Object(ev.as_map().clone())
    );
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e300f64..1e300).prop_map(|f| json!(f)),
        "[a-z\"\\\\\u{e9}\u{1f600}\n ]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-z]{1,3}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn lazy_parse_agrees_with_full_parse_on_objects(
        fields in prop::collection::vec(("[a-z@\"]{1,4}", json_value()), 0..8),
        pretty in any::<bool>(),
    ) {
        let obj = Value::Object(fields.into_iter().collect());
        let text = if pretty {
            serde_json::to_vec_pretty(&obj).unwrap()
        } else {
            serde_json::to_vec(&obj).unwrap()
        };
        check_agrees(&text);
    }

    #[test]
    fn lazy_parse_agrees_with_full_parse_on_mangled_input(
        fields in prop::collection::vec(("[a-z]{1,3}", json_value()), 1..6),
        cut in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut text = serde_json::to_vec(&Value::Object(fields.into_iter().collect())).unwrap();
        let i = cut.index(text.len());
        text[i] = byte;
        check_agrees(&text);
        check_agrees(&text[..i]);
    }
}

#[test]
fn string_fields_read_without_parsing_agree_with_parsed_events() {
    let input = r#"{"plain":"abc","escaped":"a\nb\u00e9","num":1.5,"arr":["x"],"empty":""}"#;
    let l = lazy(input);
    let p = LogEvent::from_json_slice(input.as_bytes()).unwrap();
    for key in ["plain", "escaped", "num", "arr", "empty", "missing"] {
        assert_eq!(l.field_str(key), p.field_str(key), "{key}");
        assert_eq!(l.contains_field(key), p.contains_field(key), "{key}");
    }
    assert_eq!(l.field_str("escaped"), Some("a\nbé"));
    let mut l = l;
    l.insert_field("plain", json!("changed"));
    assert_eq!(l.field_str("plain"), Some("changed"));
}

/// The eight-bytes-at-a-time string scan finds quotes, escapes and control characters at
/// every position relative to its chunks.
#[test]
fn string_scan_finds_special_bytes_at_every_offset() {
    let specials: [&[u8]; 6] = [
        b"\\n",
        b"\\u00e9",
        b"\x1f",
        b"\x7f",
        "é€😀".as_bytes(),
        b"\"",
    ];
    for len in 0..20 {
        for special in specials {
            let mut text = b"{\"k\":\"".to_vec();
            text.extend(std::iter::repeat_n(b'x', len));
            text.extend_from_slice(special);
            text.extend_from_slice(b"yz\",\"n\":1}");
            check_agrees(&text);
        }
    }
}

#[test]
fn slot_mut_creates_the_path_once_and_replaces_non_objects_in_the_way() {
    let mut e = LogEvent::from_json_slice(br#"{"a":1,"b":{"c":2}}"#).unwrap();
    let path = FieldRef::parse("[b][d][e]").unwrap();
    assert_eq!(e.slot_mut(&path), Some(&mut Value::Null));
    *e.slot_mut(&path).unwrap() = Value::from(3);
    assert_eq!(e.get(&path), Some(&Value::from(3)));
    assert_eq!(
        e.get(&FieldRef::parse("[b][c]").unwrap()),
        Some(&Value::from(2))
    );
    // `a` is a number: it becomes an object, as insert does
    let through = FieldRef::parse("[a][x]").unwrap();
    *e.slot_mut(&through).unwrap() = Value::from("y");
    assert_eq!(
        e.to_json_vec(),
        br#"{"a":{"x":"y"},"b":{"c":2,"d":{"e":3}}}"#.to_vec()
    );
    // an existing value is returned as it is
    assert_eq!(
        e.slot_mut(&FieldRef::parse("[b][c]").unwrap()),
        Some(&mut Value::from(2))
    );
}

fn text_with_escapes() -> impl Strategy<Value = String> {
    // every byte JSON escapes, among plain ASCII and multi-byte characters, at every offset
    prop::collection::vec(
        prop_oneof![
            4 => "[a-z0-9 ]{1,9}",
            1 => (0u8..0x20).prop_map(|b| char::from(b).to_string()),
            1 => Just("\"".to_owned()),
            1 => Just("\\".to_owned()),
            1 => Just("\u{7f}é€😀".to_owned()),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    /// The hand-written writer gives serde_json's bytes for every value.
    #[test]
    fn writer_agrees_with_serde_json(v in json_value(), u in any::<u64>(), f in any::<f64>()) {
        for v in [v, json!(u), json!(f)] {
            let mut ours = Vec::new();
            super::write::value(&mut ours, &v);
            prop_assert_eq!(String::from_utf8(ours).unwrap(), serde_json::to_string(&v).unwrap());
        }
    }

    #[test]
    fn writer_escapes_as_serde_json(s in text_with_escapes(), skip in "[a-c]") {
        let mut ours = Vec::new();
        super::write::string(&mut ours, &s);
        prop_assert_eq!(String::from_utf8(ours).unwrap(), serde_json::to_string(&s).unwrap());
        // an object leaving out one member
        let m: serde_json::Map<String, Value> =
            [("a", &s), ("b", &s), ("c", &s)].into_iter().map(|(k, v)| (k.to_owned(), json!(v))).collect();
        let mut ours = Vec::new();
        super::write::object(&mut ours, &m, &[skip.as_str()]);
        let mut expect = m.clone();
        expect.shift_remove(&skip);
        prop_assert_eq!(String::from_utf8(ours).unwrap(), serde_json::to_string(&expect).unwrap());
    }
}

/// Writes the members of `m` through the writer (objects as nested writers, strings as `str`).
fn write_members(w: &mut crate::ObjectWriter<'_>, m: &serde_json::Map<String, Value>) {
    for (i, (k, v)) in m.iter().enumerate() {
        // names as text and as names written ahead, alike
        let name = crate::MemberName::new(k);
        match (v, i % 2 == 0) {
            (Value::Object(inner), true) => w.object(k, |w| write_members(w, inner)),
            (Value::Object(inner), false) => w.object(&name, |w| write_members(w, inner)),
            (Value::String(s), true) => w.str(k, s),
            (Value::String(s), false) => w.str(&name, s),
            (other, true) => w.value(k, other),
            (other, false) => w.value(&name, other),
        }
    }
}

fn json_object() -> impl Strategy<Value = serde_json::Map<String, Value>> {
    prop::collection::vec(("[a-z\"\u{e9}]{1,3}", json_value()), 0..4)
        .prop_map(|kv| kv.into_iter().collect())
}

proptest! {
    /// Fields set as text behave as fields set as values: read, written, changed, removed.
    #[test]
    fn fields_set_as_text_agree_with_fields_set_as_values(
        base in prop::collection::vec(("[a-z]{1,2}", json_value()), 0..5),
        sets in prop::collection::vec(("[a-z]{1,2}", json_object()), 1..4),
        from_bytes in any::<bool>(),
        change in any::<prop::sample::Index>(),
    ) {
        let base: serde_json::Map<String, Value> = base.into_iter().collect();
        let mut expected = LogEvent::from_map(base.clone());
        let mut ev = if from_bytes {
            LogEvent::from_json_bytes(Bytes::from(serde_json::to_vec(&base).unwrap())).unwrap()
        } else {
            LogEvent::from_map(base)
        };
        for (key, obj) in &sets {
            expected.insert_field(key.clone(), Value::Object(obj.clone()));
            ev.insert_field_object(key.clone(), |w| write_members(w, obj));
        }
        let back: Value = serde_json::from_slice(&ev.to_json_vec()).unwrap();
        prop_assert_eq!(&back, &Value::Object(expected.as_map().clone()));
        prop_assert_eq!(ev.to_json_vec(), expected.to_json_vec());
        for (key, _) in &sets {
            prop_assert_eq!(ev.field(key), expected.field(key));
        }
        // change one, remove another: the rest is unaffected
        let (key, _) = &sets[change.index(sets.len())];
        if let (Some(Value::Object(a)), Some(Value::Object(b))) =
            (ev.field_mut(key), expected.field_mut(key))
        {
            a.insert("new".into(), json!(1));
            b.insert("new".into(), json!(1));
        }
        prop_assert_eq!(ev.to_json_vec(), expected.to_json_vec());
        let (gone, _) = &sets[0];
        prop_assert_eq!(ev.remove_field(gone), expected.remove_field(gone));
        prop_assert_eq!(ev.to_json_vec(), expected.to_json_vec());
        prop_assert_eq!(ev.as_map(), expected.as_map());
    }
}

#[test]
fn a_field_set_as_text_is_written_as_written_and_read_when_asked() {
    let mut ev = lazy(r#"{"message":"GET /","host":"a"}"#);
    ev.insert_field_object("http", |w| {
        w.object("request", |w| w.str("method", "GET"));
        w.value("status", &json!(200));
    });
    // replacing a received member in place keeps its position
    ev.insert_field_object("host", |w| w.str("name", "b\"c"));
    assert_eq!(
        written(&ev, &[]),
        r#"{"message":"GET /","host":{"name":"b\"c"},"http":{"request":{"method":"GET"},"status":200}}"#
    );
    let path = FieldRef::parse("[http][request][method]").unwrap();
    assert_eq!(ev.get(&path), Some(&json!("GET")));
    assert_eq!(ev.field_str("http"), None);
    assert_eq!(
        written(&ev, &["http"]),
        r#"{"message":"GET /","host":{"name":"b\"c"}}"#
    );
}

#[test]
fn events_from_fields_behave_as_events_from_maps() {
    let mut a = LogEvent::from_fields([
        ("message", json!("hi")),
        ("n", json!(1)),
        ("message", json!("again")),
    ]);
    let mut b =
        LogEvent::from_map(serde_json::from_value(json!({"message": "hi", "n": 1})).unwrap());
    b.insert_field("message", json!("again"));
    assert_eq!(a.to_json_vec(), b.to_json_vec());
    for ev in [&mut a, &mut b] {
        ev.insert_field("@version", json!("1"));
        ev.add_tag("t");
        ev.remove_field("n");
    }
    assert_eq!(a.to_json_vec(), b.to_json_vec());
    assert_eq!(a, b);
    assert_eq!(a.message(), Some("again"));
}

#[test]
fn interned_names_are_stored_once() {
    let a = crate::intern("http");
    let b = crate::intern(&String::from("http"));
    assert!(std::ptr::eq(a, b));
    assert_eq!(a, "http");
    assert!(!std::ptr::eq(a, crate::intern("url")));
}
