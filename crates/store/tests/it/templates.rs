//! Composable index templates and component templates: stored, listed, applied when an index
//! is created (automatically or explicitly), composed in Elasticsearch's order, kept across a
//! restart; overlapping patterns and missing components refused as ES does; data streams made
//! from templates with `data_stream`.

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
            Some(
                &json!({"index_patterns": ["logs-*-*"], "data_stream": {"allow_custom_routing": true}}),
            ),
        ),
        400,
        "illegal_argument_exception",
    );
    assert!(reason.contains("[allow_custom_routing]"), "{reason}");
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
fn data_streams_live_their_life() {
    let t = TestServer::start();
    let a = t.addr();
    let r = json(a, "GET", "/_data_stream", None);
    assert_eq!((r.status, r.json()), (200, json!({"data_streams": []})));
    // a named one is missing (the Python helpers' reindex asks this before writing)
    let r = json(a, "GET", "/_data_stream/logs-app-default", None);
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(
        r.json()["error"]["reason"],
        "no such index [logs-app-default]"
    );
    let reason = err(
        &json(a, "PUT", "/_data_stream/logs-app-default", None),
        400,
        "illegal_argument_exception",
    );
    assert_eq!(
        reason,
        "no matching index template found for data stream [logs-app-default]"
    );
    ok(&json(
        a,
        "PUT",
        "/_index_template/logs",
        Some(
            &json!({"index_patterns": ["logs-*-*"], "priority": 100, "data_stream": {},
            "template": {"mappings": {"properties": {"level": {"type": "keyword"}}}}}),
        ),
    ));
    // made by its first create (as Logstash 8 and Filebeat write), and by PUT
    let doc = json!({"@timestamp": "2026-12-06T01:02:03Z", "level": "ERROR", "message": "boom"});
    let r = ok(&json(
        a,
        "POST",
        "/logs-app-default/_doc?refresh=true",
        Some(&doc),
    ));
    let first = r["_index"].as_str().unwrap_or_default().to_owned();
    assert!(
        first.starts_with(".ds-logs-app-default-") && first.ends_with("-000001"),
        "{first}"
    );
    ok(&json(a, "PUT", "/_data_stream/logs-web-default", None));
    err(
        &json(a, "PUT", "/_data_stream/logs-web-default", None),
        400,
        "resource_already_exists_exception",
    );
    let streams = ok(&json(a, "GET", "/_data_stream/logs-*", None));
    let names: Vec<&str> = streams["data_streams"]
        .as_array()
        .map(|l| l.iter().filter_map(|d| d["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["logs-app-default", "logs-web-default"]);
    let app = &streams["data_streams"][0];
    assert_eq!(app["indices"][0]["index_name"], first.as_str());
    assert_eq!(
        (
            &app["generation"],
            &app["template"],
            &app["timestamp_field"]["name"]
        ),
        (&json!(1), &json!("logs"), &json!("@timestamp"))
    );
    // the backing index maps @timestamp as a date and the template's fields
    let m = ok(&json(a, "GET", "/logs-app-default/_mapping", None));
    let props = &m[first.as_str()]["mappings"]["properties"];
    assert_eq!(props["@timestamp"]["type"], "date");
    assert_eq!(props["level"]["type"], "keyword");
    // append-only, with a timestamp
    let reason = err(
        &json(a, "PUT", "/logs-app-default/_doc/1", Some(&doc)),
        400,
        "illegal_argument_exception",
    );
    assert_eq!(
        reason,
        "only write ops with an op_type of create are allowed in data streams"
    );
    let reason = err(
        &json(
            a,
            "POST",
            "/logs-app-default/_doc",
            Some(&json!({"level": "INFO"})),
        ),
        400,
        "document_parsing_exception",
    );
    assert_eq!(
        reason,
        "[1:16] failed to parse: data stream timestamp field [@timestamp] is missing"
    );
    // rollover: conditions, then a new write index; searches see both generations
    let r = ok(&json(
        a,
        "POST",
        "/logs-app-default/_rollover",
        Some(&json!({"conditions": {"max_docs": 5}})),
    ));
    assert_eq!(
        (&r["rolled_over"], &r["conditions"]),
        (&json!(false), &json!({"[max_docs: 5]": false}))
    );
    let r = ok(&json(a, "POST", "/logs-app-default/_rollover", None));
    assert_eq!(r["rolled_over"], true);
    let second = r["new_index"].as_str().unwrap_or_default().to_owned();
    assert!(second.ends_with("-000002"), "{second}");
    let r = ok(&json(
        a,
        "PUT",
        "/logs-app-default/_create/x?refresh=true",
        Some(&doc),
    ));
    assert_eq!(r["_index"], second.as_str());
    let c = ok(&json(a, "GET", "/logs-*/_count", None));
    assert_eq!(c["count"], 2);
    let reason = err(
        &json(a, "DELETE", &format!("/{second}"), None),
        400,
        "illegal_argument_exception",
    );
    assert!(
        reason.contains("is the write index for data stream [logs-app-default]"),
        "{reason}"
    );
    // everything survives a restart
    let t = t.restart();
    let a = t.addr();
    let c = ok(&json(a, "GET", "/logs-app-default/_count", None));
    assert_eq!(c["count"], 2);
    let r = ok(&json(
        a,
        "POST",
        "/logs-app-default/_doc?refresh=true",
        Some(&doc),
    ));
    assert_eq!(r["_index"], second.as_str());
    // the old generation may go; deleting the stream takes the rest
    ok(&json(a, "DELETE", &format!("/{first}"), None));
    let c = ok(&json(a, "GET", "/logs-app-default/_count", None));
    assert_eq!(c["count"], 2);
    ok(&json(a, "DELETE", "/_data_stream/logs-app-default", None));
    let r = json(a, "GET", "/logs-app-default/_count", None);
    assert_eq!(r.status, 404, "{}", r.text());
    let r = json(a, "HEAD", &format!("/{second}"), None);
    assert_eq!(r.status, 404);
    let streams = ok(&json(a, "GET", "/_data_stream", None));
    assert_eq!(streams["data_streams"].as_array().map(Vec::len), Some(1));
}
