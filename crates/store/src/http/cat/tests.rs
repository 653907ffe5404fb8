use super::*;

#[test]
fn sizes_render_as_es_renders_them() {
    for (bytes, text) in [
        (0, "0b"),
        (225, "225b"),
        (1024, "1kb"),
        (5_325, "5.2kb"),
        (10 << 20, "10mb"),
        ((3 << 30) + (1 << 29), "3.5gb"),
    ] {
        assert_eq!(human_bytes(bytes), text, "{bytes}");
    }
}

fn row(index: &str, docs: u64, size: u64) -> CatIndex {
    CatIndex {
        health: "green",
        status: "open",
        index: index.to_owned(),
        uuid: format!("uuid-{index}"),
        pri: 1,
        rep: 0,
        docs_count: docs,
        docs_deleted: 0,
        store_size_bytes: size,
        pri_store_size_bytes: size,
    }
}

fn check(query: &str, expected: &str) {
    let params = Params::parse(Some(query)).expect("params");
    let opts = Options::from_params(&params).expect("options");
    let rows = [row("b", 10, 2048), row("a", 300, 100)];
    let reply = render(&rows, &opts).expect("render");
    let got = match reply.body {
        Body::Text(t) => t,
        Body::Json(v) => v.to_string(),
        Body::Bulk(r) => r.to_json().to_string(),
        Body::Empty => String::new(),
    };
    assert_eq!(got, expected, "{query}");
}

#[test]
fn tables() {
    check(
        "v",
        "health status index uuid   pri rep docs.count docs.deleted store.size pri.store.size dataset.size\n\
         green  open   a     uuid-a   1   0        300            0       100b           100b         100b\n\
         green  open   b     uuid-b   1   0         10            0        2kb            2kb          2kb\n",
    );
    check("h=index,docs.count&s=docs.count", "b  10\na 300\n");
    check("h=i,dc&s=index:desc&bytes=b", "b  10\na 300\n");
    check(
        "format=json&h=index,store.size&bytes=b",
        r#"[{"index":"a","store.size":"100"},{"index":"b","store.size":"2048"}]"#,
    );
}

#[test]
fn bad_options_are_refused() {
    for q in [
        "h=nope",
        "s=nope",
        "s=index:sideways",
        "format=yaml",
        "bytes=tb",
    ] {
        let params = Params::parse(Some(q)).expect("params");
        assert!(Options::from_params(&params).is_err(), "{q}");
    }
}
