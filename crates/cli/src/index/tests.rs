use super::*;

#[test]
fn mapping_bodies() {
    assert_eq!(
        mapping_body("seed").expect("seed"),
        log_model::mapping::seed()
    );
    assert_eq!(mapping_body("ecs").expect("ecs"), log_model::mapping::ecs());
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("m.json");
    std::fs::write(
        &file,
        r#"{"settings":{"number_of_shards":1},"mappings":{"properties":{"a":{"type":"keyword"}}}}"#,
    )
    .expect("write");
    let v = mapping_body(file.to_str().expect("utf-8")).expect("file");
    assert_eq!(v["mappings"]["properties"]["a"]["type"], "keyword");

    std::fs::write(&file, "[1]").expect("write");
    let err = mapping_body(file.to_str().expect("utf-8")).expect_err("not an object");
    assert!(
        format!("{err:#}").contains("must be a JSON object"),
        "{err:#}"
    );
    std::fs::write(&file, "{").expect("write");
    assert!(
        format!(
            "{:#}",
            mapping_body(file.to_str().expect("utf-8")).expect_err("bad")
        )
        .contains("not valid JSON")
    );
    let err = mapping_body("no-such-file.json").expect_err("missing");
    assert!(
        format!("{err:#}").contains("not `seed`, `ecs` or a readable file"),
        "{err:#}"
    );
}

#[test]
fn list_table() {
    let rows: Vec<es_client::CatIndex> = serde_json::from_value(serde_json::json!([
        {"health": "yellow", "status": "open", "index": "python-logs", "docs.count": "50", "store.size": "18124"},
        {"health": "green", "status": "open", "index": "x", "docs.count": "0", "store.size": "225"}
    ]))
    .expect("rows");
    assert_eq!(
        table(&rows),
        "health  status  index        docs.count  store.size\n\
         yellow  open    python-logs          50      17.7kb\n\
         green   open    x                     0        225b\n"
    );
}
