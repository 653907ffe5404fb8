use super::*;

fn convert(m: &Mapping, doc: Value) -> Result<(IndexedDoc, Updates)> {
    let Value::Object(o) = doc else {
        panic!("not an object")
    };
    m.convert(&o, "1")
}

#[test]
fn dynamic_mapping_follows_es_defaults() {
    let mut m = Mapping::default();
    let (_, up) = convert(&m, json!({"s": "hello", "n": 5, "f": 1.5, "b": true, "d": "2024-01-01T00:00:00Z", "o": {"x": "y"}, "dotted.key": 1}))
        .unwrap_or_else(|e| panic!("{e}"));
    m.apply(up);
    assert_eq!(
        m.to_json(),
        json!({"properties": {
            "b": {"type": "boolean"},
            "d": {"type": "date"},
            "dotted": {"properties": {"key": {"type": "long"}}},
            "f": {"type": "float"},
            "n": {"type": "long"},
            "o": {"properties": {"x": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}}},
            "s": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
        }})
    );
}

fn check_coerce(ty: &str, value: &Value, want: std::result::Result<Option<IndexedValue>, &str>) {
    let m = Mapping::parse(&json!({"properties": {"x": {"type": ty}}}))
        .unwrap_or_else(|e| panic!("{e}"));
    let got = convert(&m, json!({ "x": value.clone() }))
        .map(|(d, _)| d.values.into_iter().next().map(|(_, v)| v));
    match (got, want) {
        (Ok(g), Ok(w)) => assert_eq!(g, w, "{ty}"),
        (Err(e), Err(kind)) => assert_eq!(e.es_type(), kind, "{ty}"),
        (g, w) => panic!("{ty}: got {g:?}, want {w:?}"),
    }
}

#[test]
fn coercion_and_parsing_errors() {
    check_coerce("float", &json!("1.5"), Ok(Some(IndexedValue::Double(1.5))));
    check_coerce("float", &json!("abc"), Err("document_parsing_exception"));
    check_coerce("long", &json!("7"), Ok(Some(IndexedValue::Long(7))));
    check_coerce("long", &json!(7.9), Ok(Some(IndexedValue::Long(7))));
    check_coerce(
        "integer",
        &json!(3_000_000_000i64),
        Err("document_parsing_exception"),
    );
    check_coerce("byte", &json!(200), Err("document_parsing_exception"));
    check_coerce(
        "boolean",
        &json!("true"),
        Ok(Some(IndexedValue::Bool(true))),
    );
    check_coerce("boolean", &json!("yes"), Err("document_parsing_exception"));
    check_coerce(
        "keyword",
        &json!(12),
        Ok(Some(IndexedValue::Keyword("12".into()))),
    );
    check_coerce(
        "keyword",
        &json!({"a": 1}),
        Err("document_parsing_exception"),
    );
    check_coerce(
        "date",
        &json!("2024-01-02"),
        Ok(Some(IndexedValue::Long(1_704_153_600_000))),
    );
    check_coerce(
        "date",
        &json!(1_704_153_600_000i64),
        Ok(Some(IndexedValue::Long(1_704_153_600_000))),
    );
    check_coerce(
        "date",
        &json!("not a date"),
        Err("document_parsing_exception"),
    );
    check_coerce(
        "float",
        &json!(0.1),
        Ok(Some(IndexedValue::Double(f64::from(0.1f32)))),
    );
}

#[test]
fn strict_and_unknown_types() {
    let m = Mapping::parse(&json!({"dynamic": "strict", "properties": {"a": {"type": "keyword"}}}))
        .unwrap_or_else(|e| panic!("{e}"));
    let e = convert(&m, json!({"b": 1}))
        .err()
        .map(|e| e.es_type().to_owned());
    assert_eq!(e.as_deref(), Some("strict_dynamic_mapping_exception"));
    let e = Mapping::parse(&json!({"properties": {"a": {"type": "nested_thing"}}}))
        .err()
        .map(|e| e.es_type().to_owned());
    assert_eq!(e.as_deref(), Some("mapper_parsing_exception"));
}
