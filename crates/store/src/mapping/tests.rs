use super::*;

fn convert(m: &Mapping, doc: &Value) -> Result<(IndexedDoc, Updates)> {
    let bytes = serde_json::to_vec(doc).unwrap_or_else(|e| panic!("{e}"));
    m.convert(&bytes, "1")
}

#[test]
fn dynamic_mapping_follows_es_defaults() {
    let mut m = Mapping::default();
    let (_, up) = convert(&m, &json!({"s": "hello", "n": 5, "f": 1.5, "b": true, "d": "2024-01-01T00:00:00Z", "o": {"x": "y"}, "dotted.key": 1}))
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

fn check_coerce(
    ty: &str,
    value: &Value,
    want: std::result::Result<Option<IndexedValue<'static>>, &str>,
) {
    let m = Mapping::parse(&json!({"properties": {"x": {"type": ty}}}))
        .unwrap_or_else(|e| panic!("{e}"));
    let got = convert(&m, &json!({ "x": value.clone() }));
    match (&got, want) {
        (Ok((d, _)), Ok(w)) => assert_eq!(d.values().next().map(|(_, v)| v), w, "{ty}"),
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
    check_coerce("keyword", &json!(12), Ok(Some(IndexedValue::Keyword("12"))));
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
    let e = convert(&m, &json!({"b": 1}))
        .err()
        .map(|e| e.es_type().to_owned());
    assert_eq!(e.as_deref(), Some("strict_dynamic_mapping_exception"));
    let e = Mapping::parse(&json!({"properties": {"a": {"type": "nested_thing"}}}))
        .err()
        .map(|e| e.es_type().to_owned());
    assert_eq!(e.as_deref(), Some("mapper_parsing_exception"));
}

// ---------------------------------------------------------------------------------------------
// The streaming converter against the tree-based one it replaced (`oracle.rs`): same values in
// the same order, same mapping updates, same errors, and `exists` terms exactly for the values
// that have no fast column.

use proptest::prelude::*;

use super::oracle::{self, OldValue};

/// Mappings that exercise dynamic mapping and every coercion branch.
fn mappings() -> Vec<Mapping> {
    let defs = [
        json!({}),
        json!({"numeric_detection": true}),
        json!({"date_detection": false}),
        json!({"properties": {
            "timestamp": {"type": "date"}, "level": {"type": "keyword"},
            "message": {"type": "text"}, "user": {"type": "keyword", "ignore_above": 5},
            "duration": {"type": "float"}, "n": {"type": "integer", "coerce": false},
            "b": {"type": "byte", "ignore_malformed": true},
            "flag": {"type": "boolean", "null_value": true},
            "k": {"type": "keyword", "null_value": "NULL", "fields": {"num": {"type": "long", "ignore_malformed": true}}},
            "hidden": {"type": "keyword", "index": false, "doc_values": false},
            "off": {"type": "object", "enabled": false},
            "s": {"dynamic": "strict", "properties": {"x": {"type": "long"}}},
            "f": {"dynamic": false, "properties": {"y": {"type": "half_float"}}},
            "d2": {"type": "date", "format": "epoch_second||yyyy/MM/dd"},
            "ip": {"type": "ip", "fields": {"raw": {"type": "keyword"}}},
            "ip_ok": {"type": "ip", "ignore_malformed": true, "null_value": "::1"}
        }}),
        json!({"dynamic": "strict", "properties": {"a": {"properties": {"b": {"type": "keyword"}}}}}),
    ];
    defs.iter()
        .map(|d| Mapping::parse(d).unwrap_or_else(|e| panic!("{d}: {e}")))
        .collect()
}

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "timestamp",
        "level",
        "message",
        "user",
        "duration",
        "n",
        "b",
        "flag",
        "k",
        "hidden",
        "off",
        "s",
        "f",
        "d2",
        "ip",
        "ip_ok",
        "a",
        "a.b",
        "x",
        "y",
        "s.x",
        "s.z",
        "f.y",
        "f.z",
        "tags",
        "o.p.q",
        "_id",
        "",
        "a..b",
        "message.keyword",
    ])
    .prop_map(str::to_owned)
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0u64..300).prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        (-1e6f64..1e6).prop_map(Value::from),
        Just(Value::from(1.5e300)),
        prop::sample::select(vec![
            "2024-01-02",
            "2024-01-02T03:04:05.678Z",
            "2024/01/02",
            "2024/01/02 03:04:05",
            "12",
            " 7 ",
            "1.5",
            "-3e2",
            "true",
            "false",
            "",
            "yes",
            "hello world",
            "ÄÖÜ ünïcödé",
            "user1",
            "a \"quoted\" \\ value",
            "1700000000",
            "NaN",
            "1e400",
            "10.0.0.1",
            "::ffff:10.0.0.1",
            "2001:DB8::1",
            "fe80::1%eth0",
            "01.2.3.4",
            "this is not an address, it is long",
        ])
        .prop_map(Value::from),
        "[a-z]{250,260}".prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn doc() -> impl Strategy<Value = Value> {
    prop::collection::vec((key(), value()), 0..8)
        .prop_map(|kv| Value::Object(kv.into_iter().collect()))
}

fn old_pairs(d: &oracle::OldDoc) -> Vec<(String, OldValue)> {
    d.values.clone()
}

fn new_pairs(d: &IndexedDoc) -> Vec<(String, OldValue)> {
    d.values()
        .map(|(p, v)| {
            let v = match v {
                IndexedValue::Keyword(s) => OldValue::Keyword(s.to_owned()),
                IndexedValue::Text(s) => OldValue::Text(s.to_owned()),
                IndexedValue::Long(n) => OldValue::Long(n),
                IndexedValue::Double(x) => OldValue::Double(x),
                IndexedValue::Bool(b) => OldValue::Bool(b),
                IndexedValue::Ip(a) => OldValue::Ip(a.into()),
            };
            (p.to_owned(), v)
        })
        .collect()
}

/// Converts `docs` in turn with both converters (each applying its own mapping updates) and
/// compares every step.
fn check_same(mut m_old: Mapping, docs: &[Value]) {
    let mut m_new = m_old.clone();
    for doc in docs {
        let bytes = serde_json::to_vec(doc).unwrap_or_else(|e| panic!("{e}"));
        let Value::Object(map) = doc else {
            panic!("not an object")
        };
        let old = oracle::convert(&m_old, map, "7");
        let new = m_new.convert(&bytes, "7");
        match (old, new) {
            (Ok((od, oup)), Ok((nd, nup))) => {
                assert_eq!(new_pairs(&nd), old_pairs(&od), "values of {doc}");
                // `exists` terms: the present paths of text values (other values have columns;
                // present paths without a value, i.e. neither `index` nor `doc_values`, do not
                // exist, as in Elasticsearch)
                let want: Vec<&str> = od
                    .present
                    .iter()
                    .map(String::as_str)
                    .filter(|p| {
                        od.values
                            .iter()
                            .any(|(q, v)| q == p && matches!(v, OldValue::Text(_)))
                    })
                    .collect();
                let got: Vec<&str> = nd.exists_terms().collect();
                assert_eq!(got, want, "exists terms of {doc}");
                m_old.apply(oup);
                m_new.apply(nup);
                assert_eq!(m_new, m_old, "mapping after {doc}");
            }
            (Err(o), Err(n)) => {
                assert_eq!(
                    (n.es_type(), n.reason()),
                    (o.es_type(), o.reason()),
                    "error of {doc}"
                );
            }
            (o, n) => panic!(
                "{doc}: old {:?}, new {:?}",
                o.map(|(d, _)| d.values),
                n.map(|(d, _)| new_pairs(&d))
            ),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn streaming_converter_matches_the_tree_converter(
        which in 0usize..5,
        docs in prop::collection::vec(doc(), 1..5),
    ) {
        check_same(mappings().swap_remove(which), &docs);
    }
}

#[test]
fn streaming_converter_edge_cases() {
    let docs = [
        json!({"a": {"b": 1}, "a.c": "x", "a.b": [2, [3, null], {"d": 4}]}),
        json!({"msg": "2024-01-02", "when": "2024/01/02 03:04:05", "n": "12", "f": 1.0}),
        json!({"o": {"p": {"q": [true, "false", ""]}}, "o.p.r": 1.5}),
        json!({"arr": [{"x": 1}, {"x": "two"}, {"y": [1, 2]}]}),
        json!({"x": {"nested": "object"}, "msg": {"not": "text"}}),
        json!({"_source": 1}),
        json!({"inner": {"_id": "metadata names are fine below the root"}}),
        json!({"hidden": "kept in _source only", "message": "text", "k": null, "flag": null}),
    ];
    for m in mappings() {
        check_same(m, &docs);
    }
}

fn convert_raw(m: &Mapping, raw: &str) -> Result<(IndexedDoc, Updates)> {
    m.convert(raw.as_bytes(), "1")
}

fn check_refused(raw: &str, es_type: &str, reason_starts: &str) {
    let e = convert_raw(&Mapping::default(), raw)
        .err()
        .unwrap_or_else(|| panic!("{raw} was accepted"));
    assert_eq!(e.es_type(), es_type, "{raw}: {e}");
    assert!(
        e.reason().starts_with(reason_starts),
        "{raw}: {}",
        e.reason()
    );
}

#[test]
fn malformed_sources_are_refused_as_before() {
    check_refused(
        "[1,2]",
        "document_parsing_exception",
        "failed to parse, document is not an object but [START_ARRAY]",
    );
    check_refused(
        "\"s\"",
        "document_parsing_exception",
        "failed to parse, document is not an object but [VALUE_STRING]",
    );
    check_refused(
        "12",
        "document_parsing_exception",
        "failed to parse, document is not an object but [VALUE_NUMBER]",
    );
    check_refused(
        "null",
        "document_parsing_exception",
        "failed to parse, document is not an object but [VALUE_NULL]",
    );
    check_refused("{\"a\":1", "document_parsing_exception", "failed to parse");
    check_refused(
        "{\"a\":1} x",
        "document_parsing_exception",
        "failed to parse",
    );
    // a syntax error later in the source wins over a mapping error before it
    check_refused(
        "{\"\":1, \"b\": }",
        "document_parsing_exception",
        "failed to parse",
    );
    check_refused(
        "{\"_id\":1}",
        "document_parsing_exception",
        "Field [_id] is a metadata field",
    );
    check_refused(
        "{\"a\":1e400}",
        "document_parsing_exception",
        "failed to parse",
    );
    // duplicate keys: Elasticsearch's parser refuses them (the tree kept the last value)
    check_refused(
        "{\"a\":1,\"a\":2}",
        "document_parsing_exception",
        "failed to parse: Duplicate field 'a'",
    );
    let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
    check_refused(
        &format!("{{{},\"k3\":0}}", many.join(",")),
        "document_parsing_exception",
        "failed to parse: Duplicate field 'k3'",
    );
    // the same name in different objects, or as a dotted path, is not a duplicate
    let (d, _) = convert_raw(
        &Mapping::default(),
        "{\"a\":{\"x\":1},\"b\":{\"x\":2},\"c.x\":3,\"c\":{\"x\":4}}",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let paths: Vec<&str> = d.values().map(|(p, _)| p).collect();
    assert_eq!(paths, ["a.x", "b.x", "c.x", "c.x"]);
    let cause = convert_raw(&Mapping::default(), "{\"a\":1,\"a\":2}")
        .err()
        .map(|e| e.to_item_error());
    assert_eq!(
        cause.as_ref().map(|c| c["caused_by"]["type"].clone()),
        Some(json!("json_parse_exception"))
    );
}

#[test]
fn escaped_strings_and_keys_are_unescaped() {
    let m = Mapping::parse(&json!({"properties": {"k\"ey": {"type": "keyword"}}}))
        .unwrap_or_else(|e| panic!("{e}"));
    let (d, _) = convert_raw(&m, r#"{"k\"ey":"a\nb\u00e9"}"#).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<(&str, IndexedValue<'_>)> = d.values().collect();
    assert_eq!(got, [("k\"ey", IndexedValue::Keyword("a\nbé"))]);
}

// ---------------------------------------------------------------------------------------------
// `dynamic_templates`

/// The mapping `templates` (a `dynamic_templates` list, with `extra` root settings) gives after
/// indexing `doc`, or the error type and the start of its reason.
fn templated(templates: &Value, extra: &Value, doc: &Value) -> std::result::Result<Value, String> {
    let mut def = json!({ "dynamic_templates": templates });
    if let (Some(d), Some(e)) = (def.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    let mut m = Mapping::parse(&def).map_err(|e| format!("{}: {}", e.es_type(), e.reason()))?;
    let (_, up) = convert(&m, doc).map_err(|e| format!("{}: {}", e.es_type(), e.reason()))?;
    m.apply(up);
    let mut out = m.to_json();
    if let Some(o) = out.as_object_mut() {
        o.remove("dynamic_templates");
    }
    Ok(out)
}

fn check_templated(templates: &Value, doc: &Value, want: &Value) {
    let got = templated(templates, &json!({}), doc);
    assert_eq!(got.as_ref(), Ok(want), "{templates} with {doc}");
}

fn check_template_error(templates: &Value, doc: &Value, want: &str) {
    match templated(templates, &json!({}), doc) {
        Ok(m) => panic!("{templates}: accepted, mapped {m}"),
        Err(e) => assert!(e.starts_with(want), "{templates}: {e}\n  want {want}"),
    }
}

#[test]
fn dynamic_templates_decide_new_fields_in_order() {
    // Logstash's ECS template: `message` as text, `ip` as ip, other strings as keywords
    check_templated(
        &json!([
            {"match_ip": {"match": "ip", "match_mapping_type": "string", "mapping": {"type": "ip"}}},
            {"match_message": {"match": "message", "match_mapping_type": "string", "mapping": {"type": "text"}}},
            {"strings_as_keyword": {"match_mapping_type": "string", "mapping": {"ignore_above": 1024, "type": "keyword"}}}
        ]),
        &json!({"message": "hello world", "ip": "10.0.0.1", "host": {"name": "web-1", "ip": "::1"},
            "n": 3, "x": 1.5, "ok": true, "ts": "2024-01-01T00:00:00Z"}),
        &json!({"properties": {
            "host": {"properties": {"ip": {"type": "ip"}, "name": {"type": "keyword", "ignore_above": 1024}}},
            "ip": {"type": "ip"},
            "message": {"type": "text"},
            "n": {"type": "long"},
            "ok": {"type": "boolean"},
            "ts": {"type": "date"},
            "x": {"type": "float"}
        }}),
    );
    // the first match wins; `{name}` and `{dynamic_type}` are substituted, a template without
    // `type` takes the value's default type
    check_templated(
        &json!([
            {"longs": {"match_mapping_type": "long", "mapping": {"type": "integer"}}},
            {"all": {"match_mapping_type": "*", "mapping": {"type": "{dynamic_type}", "fields": {"{name}_kw": {"type": "keyword"}}}}},
            {"never": {"match_mapping_type": "long", "mapping": {"type": "keyword"}}}
        ]),
        &json!({"n": 1, "d": 2.5, "b": false, "s": "x"}),
        &json!({"properties": {
            "b": {"type": "boolean", "fields": {"b_kw": {"type": "keyword"}}},
            "d": {"type": "float", "fields": {"d_kw": {"type": "keyword"}}},
            "n": {"type": "integer"},
            "s": {"type": "text", "fields": {"s_kw": {"type": "keyword"}}}
        }}),
    );
    check_templated(
        &json!([{"no_type": {"match": "*_d", "mapping": {"index": false}}}]),
        &json!({"a_d": 1.5, "b_d": "x", "c": 1}),
        &json!({"properties": {
            "a_d": {"type": "float", "index": false},
            "b_d": {"type": "text", "index": false},
            "c": {"type": "long"}
        }}),
    );
}

#[test]
fn dynamic_templates_match_names_paths_and_kinds() {
    let templates = json!([
        {"labels": {"path_match": "labels.*", "path_unmatch": "labels.keep_*", "mapping": {"type": "keyword"}}},
        {"ids": {"match": "^id_[0-9]+$", "match_pattern": "regex", "mapping": {"type": "keyword"}}},
        {"counts": {"match": ["*_count", "*_total"], "unmatch": "skip_*", "match_mapping_type": ["long", "double"],
            "mapping": {"type": "double"}}},
        {"not_objects": {"match": "o*", "unmatch_mapping_type": "object", "mapping": {"type": "keyword"}}}
    ]);
    check_templated(
        &templates,
        &json!({"labels": {"a": 1, "keep_b": 2}, "id_12": 5, "id_x": 6, "a_count": 3,
            "b_total": 1.5, "skip_count": 4, "c_count": "7", "o": {"p": true}, "ox": 1}),
        &json!({"properties": {
            "a_count": {"type": "double"},
            "b_total": {"type": "double"},
            "c_count": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
            "id_12": {"type": "keyword"},
            "id_x": {"type": "long"},
            "labels": {"properties": {"a": {"type": "keyword"}, "keep_b": {"type": "long"}}},
            "o": {"properties": {"p": {"type": "boolean"}}},
            "ox": {"type": "keyword"},
            "skip_count": {"type": "long"}
        }}),
    );
    // dates: the format date detection found, unless the template gives one
    check_templated(
        &json!([{"dates": {"match_mapping_type": "date", "mapping": {"type": "date", "ignore_malformed": true}}},
            {"d2": {"match": "*", "mapping": {"type": "keyword"}}}]),
        &json!({"a": "2024/01/02", "b": "2024-01-02"}),
        &json!({"properties": {
            "a": {"type": "date", "format": "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis", "ignore_malformed": true},
            "b": {"type": "date", "ignore_malformed": true}
        }}),
    );
}

#[test]
fn dynamic_templates_map_objects() {
    let templates = json!([
        {"off": {"match": "raw", "match_mapping_type": "object", "mapping": {"type": "object", "enabled": false}}},
        {"locked": {"match": "locked", "mapping": {"dynamic": "strict", "properties": {"a": {"type": "keyword"}}}}},
        {"flat": {"match": "flat", "mapping": {"type": "keyword"}}}
    ]);
    check_templated(
        &templates,
        &json!({"raw": {"x": 1, "y": {"z": "w"}}, "locked": {"a": 1}}),
        &json!({"properties": {
            "locked": {"dynamic": "strict", "properties": {"a": {"type": "keyword"}}},
            "raw": {"type": "object", "enabled": false}
        }}),
    );
    check_template_error(
        &templates,
        &json!({"locked": {"b": 1}}),
        "strict_dynamic_mapping_exception: mapping set to strict, dynamic introduction of [b] within [locked] is not allowed",
    );
    check_template_error(
        &templates,
        &json!({"flat": {"a": 1}}),
        "document_parsing_exception: failed to parse field [flat] of type [keyword] in document with id '1'. Preview of field's value: '{a=1}'",
    );
}

#[test]
fn dynamic_templates_are_checked_when_parsed() {
    for (templates, want) in [
        (
            json!({"a": {}}),
            "mapper_parsing_exception: Dynamic template syntax error",
        ),
        (
            json!([{"a": {"match": "*"}}]),
            "mapper_parsing_exception: template [a] must have either mapping or runtime set",
        ),
        (
            json!([{"a": {"runtime": {"type": "keyword"}}}]),
            "mapper_parsing_exception: [runtime] in dynamic template [a] is not supported by sluice-store",
        ),
        (
            json!([{"a": {"mapping": {}, "matchx": "*"}}]),
            "mapper_parsing_exception: Failed to parse mapping: Illegal dynamic template parameter: [matchx]",
        ),
        (
            json!([{"a": {"mapping": {}, "match_mapping_type": "strin"}}]),
            "mapper_parsing_exception: Failed to parse mapping: No field type matched on [strin]",
        ),
        (
            json!([{"a": {"mapping": {}, "match_pattern": "glob"}}]),
            "mapper_parsing_exception: Failed to parse mapping: No matching pattern matched on [glob]",
        ),
        (
            json!([{"a": {"mapping": {}, "match": "(", "match_pattern": "regex"}}]),
            "mapper_parsing_exception: Pattern [(] of type [regex] is invalid",
        ),
        (
            json!([{"a": {"mapping": {"type": "nope"}}}]),
            "mapper_parsing_exception: Failed to parse mapping: dynamic template [a] has invalid content",
        ),
        (
            json!([{"a": {"match_mapping_type": "string", "mapping": {"type": "keyword", "foo": 1}}}]),
            "mapper_parsing_exception: Failed to parse mapping: dynamic template [a] has invalid content",
        ),
    ] {
        check_template_error(&templates, &json!({}), want);
    }
    // valid for one of its kinds is enough (`coerce` suits numbers only)
    assert!(
        templated(
            &json!([{"a": {"mapping": {"coerce": false}}}]),
            &json!({}),
            &json!({})
        )
        .is_ok()
    );
}

#[test]
fn dynamic_templates_are_echoed_kept_and_replaced() {
    let def = json!({"dynamic_templates": [
        {"one": {"match": ["a*"], "match_mapping_type": "*", "mapping": {"type": "keyword"}}},
        {"two": {"match_mapping_type": "*", "match_pattern": "simple", "path_match": ["x.*", "y.*"], "mapping": {"type": "{dynamic_type}"}}},
        {"three": {"match_mapping_type": "*", "mapping": {"type": "{dynamic_type}"}}}
    ]});
    let mut m = Mapping::parse(&def).unwrap_or_else(|e| panic!("{e}"));
    // as given, as Elasticsearch echoes them
    let echoed = def["dynamic_templates"].clone();
    assert_eq!(m.to_json()["dynamic_templates"], echoed);
    let back = Mapping::from_flat_json(&m.to_flat_json()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, m);
    // a put mapping without templates keeps them, one with templates replaces the list
    m.merge(
        &Mapping::parse(&json!({"properties": {"z": {"type": "long"}}}))
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.to_json()["dynamic_templates"], echoed);
    let other = json!({"dynamic_templates": [{"four": {"mapping": {"type": "keyword"}}}]});
    m.merge(&Mapping::parse(&other).unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.to_json()["dynamic_templates"], other["dynamic_templates"]);
}

#[test]
fn types_elasticsearch_has_are_refused_by_name() {
    for ty in ["version", "dense_vector", "alias", "date_range"] {
        let e = Mapping::parse(&json!({"properties": {"a": {"type": ty}}})).err();
        assert_eq!(
            e.map(|e| (e.es_type().to_owned(), e.reason())),
            Some((
                "mapper_parsing_exception".to_owned(),
                format!("field type [{ty}] of field [a] is not supported by sluice-store")
            )),
        );
    }
    let e = Mapping::parse(&json!({"properties": {"a": {"type": "nope"}}})).err();
    assert_eq!(
        e.map(|e| e.reason()),
        Some("The mapper type [nope] declared on field [a] does not exist. It might have been created within a future version or requires a plugin to be installed. Check the documentation.".to_owned())
    );
}
