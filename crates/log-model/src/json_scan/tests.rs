use serde::de::IgnoredAny;

use super::is_json_object;

/// The scanner's verdict on bytes (text that is not UTF-8 is never an object).
fn is_object(s: &[u8]) -> bool {
    std::str::from_utf8(s).is_ok_and(is_json_object)
}

/// serde_json's verdict: one JSON value that is an object.
fn serde_says_object(s: &[u8]) -> bool {
    std::str::from_utf8(s).is_ok()
        && serde_json::from_slice::<IgnoredAny>(s).is_ok()
        && s.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

#[test]
fn agrees_with_serde_json_on_cases() {
    let cases: &[&str] = &[
        "{}",
        " { } ",
        "{\"a\":1}",
        "{\"a\":-0.5,\"b\":[1,2,[3,{}]],\"c\":{\"d\":null,\"e\":true,\"f\":false}}",
        "{\"s\":\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t\"}",
        "{\"s\":\"héllo ☃\"}",
        "{\"a\":[]}",
        "{\"a\":[ ]}",
        "{\"a\":0}",
        "\t{\"a\" : 1 , \"b\" : [ 1 , 2 ] }\r",
        // invalid or not objects
        "",
        "[]",
        "\"x\"",
        "{",
        "}",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{,\"a\":1}",
        "{\"a\":[1,]}",
        "{\"a\":[,1]}",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":.5}",
        "{\"a\":-}",
        "{\"a\":1e}",
        "{\"a\":+1}",
        "{\"a\":tru}",
        "{\"a\":nul}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":\"\\u12G4\"}",
        "{\"a\":\"tab\there\"}",
        "{\"a\":1}}",
        "{\"a\":1} {}",
        "{\"a\":[1}",
        "{\"a\":{]}",
        "{a:1}",
        "{'a':1}",
        "{\"a\":NaN}",
        "{\"a\":1}x",
        "{\"a\":\"unterminated}",
    ];
    for case in cases {
        assert_eq!(
            is_object(case.as_bytes()),
            serde_says_object(case.as_bytes()),
            "{case:?}"
        );
    }
}

#[test]
fn leaves_surrogates_overflow_and_deep_nesting_to_serde_json() {
    // Not sure -> false; the caller asks serde_json.
    assert!(!is_object(b"{\"a\":1e999}"));
    assert!(!is_object(b"{\"a\":-0.5e+10}"));
    assert!(!is_object(b"{\"s\":\"\\u00e9 \\u263A\"}"));
    assert!(!is_object(b"{\"a\":\"\\ud83d\\ude00\"}"));
    assert!(!is_object(b"{\"a\":\"\\ud83d\"}"));
    let deep = format!("{}1{}", "{\"a\":".repeat(200), "}".repeat(200));
    assert!(!is_object(deep.as_bytes()));
    let ok = format!("{}1{}", "{\"a\":".repeat(100), "}".repeat(100));
    assert!(is_object(ok.as_bytes()));
}

mod properties {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::{is_object, serde_says_object};

    /// Names as the values' strings: no control characters.
    fn name() -> impl Strategy<Value = String> {
        "[^\\x00-\\x1f]{0,8}"
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            // Written without an exponent (which is left to serde_json).
            any::<i32>().prop_map(|n| Value::from(f64::from(n) / 8.0)),
            // Without control characters (written as `\u` escapes, left to serde_json).
            "[^\\x00-\\x1f]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(name(), inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Serialised objects take the fast path.
        #[test]
        fn serialised_objects_are_recognised(
            fields in prop::collection::btree_map(name(), json_value(), 0..8),
            pretty in any::<bool>(),
        ) {
            let v = Value::Object(fields.into_iter().collect());
            let text = if pretty { serde_json::to_vec_pretty(&v) } else { serde_json::to_vec(&v) }.unwrap();
            prop_assert!(is_object(&text), "{}", String::from_utf8_lossy(&text));
        }

        /// `true` is never wrong, on JSON-like noise.
        #[test]
        fn never_accepts_what_serde_json_refuses(
            s in "[{}\\[\\]\":,0-9.eE+\\- tfrunlasx\\\\/\\t\\u{1}é]{0,40}"
        ) {
            if is_object(s.as_bytes()) {
                prop_assert!(serde_says_object(s.as_bytes()), "{s:?}");
            }
        }

        /// ... and on mutations of real objects (one byte changed, dropped or doubled).
        #[test]
        fn never_accepts_broken_objects(
            fields in prop::collection::btree_map("[a-z]{0,4}", json_value(), 1..6),
            at in any::<prop::sample::Index>(),
            byte in prop_oneof![Just(b'"'), Just(b'\\'), Just(b','), Just(b':'), Just(b'}'), Just(b']'), Just(b'0'), Just(b'-'), Just(b'.'), Just(b'e'), Just(b' ')],
            how in 0u8..3,
        ) {
            let mut text = serde_json::to_vec(&Value::Object(fields.into_iter().collect())).unwrap();
            let i = at.index(text.len());
            match how {
                0 => text[i] = byte,
                1 => { text.remove(i); }
                _ => text.insert(i, byte),
            }
            if std::str::from_utf8(&text).is_ok() && is_object(&text) {
                prop_assert!(serde_says_object(&text), "{}", String::from_utf8_lossy(&text));
            }
        }
    }
}
