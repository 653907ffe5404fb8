//! Composable index templates and component templates: stored, listed, applied when an index
//! is created (automatically or explicitly), composed in Elasticsearch's order, kept across a
//! restart; overlapping patterns, missing components and data streams refused as ES does.

use serde_json::json;

use crate::TestServer;
use crate::client::{es_error as err, json, ok};

#[test]
fn templates_compose_into_new_indices_and_survive_a_restart() {
    let t = TestServer::start();
    let a = t.addr();
    ok(&json(
        a,
        "PUT",
        "/_component_template/ct-settings",
        Some(&json!({"template": {"settings": {"number_of_shards": 2}}})),
    ));
    ok(&json(
        a,
        "PUT",
        "/_component_template/ct-map",
        Some(&json!({"template": {"mappings": {"properties": {
            "user": {"type": "keyword"}, "duration": {"type": "long"}}}}})),
    ));
    // missing component
    let reason = err(
        &json(
            a,
            "PUT",
            "/_index_template/bad",
            Some(&json!({"index_patterns": ["x-*"], "composed_of": ["nope"]})),
        ),
        400,
        "illegal_argument_exception",
    );
    assert!(reason.contains("that do not exist"), "{reason}");
    ok(&json(
        a,
        "PUT",
        "/_index_template/tlogs",
        Some(&json!({
            "index_patterns": ["tlogs-*"],
            "composed_of": ["ct-settings", "ct-map"],
            "priority": 10,
            "template": {"mappings": {"properties": {"duration": {"type": "float"}}}},
            "_meta": {"by": "test"}
        })),
    ));
    // the same patterns at the same priority: refused; at another priority: accepted
    let reason = err(
        &json(
            a,
            "PUT",
            "/_index_template/tlogs-copy",
            Some(&json!({"index_patterns": ["tlogs-*"], "priority": 10})),
        ),
        400,
        "illegal_argument_exception",
    );
    assert!(reason.contains("have the same priority [10]"), "{reason}");
    ok(&json(
        a,
        "PUT",
        "/_index_template/tlogs-low",
        Some(&json!({"index_patterns": ["tlogs-*"], "priority": 1,
            "template": {"mappings": {"properties": {"user": {"type": "text"}}}}})),
    ));
    let reason = err(
        &json(
            a,
            "PUT",
            "/_index_template/tlogs-low?create=true",
            Some(&json!({"index_patterns": ["other-*"]})),
        ),
        400,
        "illegal_argument_exception",
    );
    assert_eq!(reason, "index template [tlogs-low] already exists");
    let reason = err(
        &json(
            a,
            "PUT",
            "/_index_template/ds",
            Some(&json!({"index_patterns": ["logs-*-*"], "data_stream": {}})),
        ),
        400,
        "illegal_argument_exception",
    );
    assert!(reason.contains("[data_stream]"), "{reason}");
    err(
        &json(
            a,
            "PUT",
            "/_index_template/np",
            Some(&json!({"priority": 3})),
        ),
        400,
        "action_request_validation_exception",
    );
    err(
        &json(
            a,
            "PUT",
            "/_index_template/typo",
            Some(&json!({"index_patterns": ["y*"], "templates": {}})),
        ),
        400,
        "x_content_parse_exception",
    );

    // An auto-created index takes the highest-priority template, composed.
    ok(&json(
        a,
        "POST",
        "/tlogs-1/_doc?refresh=true",
        Some(&json!({"user": "u1", "duration": "1.5", "extra": "x"})),
    ));
    let m = ok(&json(a, "GET", "/tlogs-1/_mapping", None));
    let props = &m["tlogs-1"]["mappings"]["properties"];
    assert_eq!(props["user"]["type"], "keyword", "{m}");
    assert_eq!(
        props["duration"]["type"], "float",
        "the template's own layer wins: {m}"
    );
    assert_eq!(
        props["extra"]["type"], "text",
        "dynamic mapping still applies: {m}"
    );
    let idx = ok(&json(a, "GET", "/tlogs-1", None));
    assert_eq!(
        idx["tlogs-1"]["settings"]["index"]["number_of_shards"], "2",
        "{idx}"
    );
    // An explicit create: the request's settings win over the template's.
    ok(&json(
        a,
        "PUT",
        "/tlogs-2",
        Some(&json!({"settings": {"number_of_shards": 1},
            "mappings": {"properties": {"level": {"type": "keyword"}}}})),
    ));
    let idx = ok(&json(a, "GET", "/tlogs-2", None));
    assert_eq!(
        idx["tlogs-2"]["settings"]["index"]["number_of_shards"], "1",
        "{idx}"
    );
    let props = &idx["tlogs-2"]["mappings"]["properties"];
    assert_eq!(props["level"]["type"], "keyword", "{idx}");
    assert_eq!(props["user"]["type"], "keyword", "{idx}");
    // No template for other names.
    ok(&json(a, "POST", "/plain/_doc", Some(&json!({"user": "u"}))));
    let m = ok(&json(a, "GET", "/plain/_mapping", None));
    assert_eq!(m["plain"]["mappings"]["properties"]["user"]["type"], "text");

    // Listing, HEAD, and what cannot be deleted.
    let all = ok(&json(a, "GET", "/_index_template", None));
    let names: Vec<&str> = all["index_templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["tlogs", "tlogs-low"]);
    let one = ok(&json(a, "GET", "/_index_template/tlogs", None));
    let tpl = &one["index_templates"][0]["index_template"];
    assert_eq!(tpl["index_patterns"], json!(["tlogs-*"]));
    assert_eq!(tpl["composed_of"], json!(["ct-settings", "ct-map"]));
    assert_eq!(tpl["_meta"], json!({"by": "test"}));
    err(
        &json(a, "GET", "/_index_template/none", None),
        404,
        "resource_not_found_exception",
    );
    assert_eq!(json(a, "HEAD", "/_index_template/tlogs", None).status, 200);
    assert_eq!(
        json(a, "HEAD", "/_component_template/none", None).status,
        404
    );
    let reason = err(
        &json(a, "DELETE", "/_component_template/ct-map", None),
        400,
        "illegal_argument_exception",
    );
    assert!(reason.contains("still in use"), "{reason}");
    ok(&json(a, "DELETE", "/_index_template/tlogs-low", None));
    err(
        &json(a, "DELETE", "/_index_template/tlogs-low", None),
        404,
        "resource_not_found_exception",
    );

    // Kept across a restart, and still applied.
    let t = t.restart();
    let a = t.addr();
    let comps = ok(&json(a, "GET", "/_component_template", None));
    assert_eq!(comps["component_templates"].as_array().unwrap().len(), 2);
    ok(&json(
        a,
        "POST",
        "/tlogs-3/_doc",
        Some(&json!({"user": "u3"})),
    ));
    let m = ok(&json(a, "GET", "/tlogs-3/_mapping", None));
    assert_eq!(
        m["tlogs-3"]["mappings"]["properties"]["user"]["type"],
        "keyword"
    );
}

#[test]
fn data_streams_are_listed_as_none_and_creating_one_is_refused_by_name() {
    let t = TestServer::start();
    let a = t.addr();
    let r = json(a, "GET", "/_data_stream", None);
    assert_eq!((r.status, r.json()), (200, json!({"data_streams": []})));
    let r = json(a, "GET", "/_data_stream/logs-*", None);
    assert_eq!((r.status, r.json()), (200, json!({"data_streams": []})));
    // a named one is missing, as in ES when it does not exist (the Python helpers' reindex
    // asks this before writing)
    let r = json(a, "GET", "/_data_stream/logs-app-default", None);
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.json()["error"]["type"], "index_not_found_exception");
    assert_eq!(
        r.json()["error"]["reason"],
        "no such index [logs-app-default]"
    );
    for method in ["PUT", "DELETE"] {
        let r = json(a, method, "/_data_stream/logs-app-default", None);
        assert_eq!(r.status, 400, "{method}: {}", r.text());
        let reason = r.json()["error"]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            reason.starts_with("data streams are not supported by sluice-store"),
            "{reason}"
        );
    }
}
