//! Index lifecycle management: policies through `_ilm/policy`, and the store running them on
//! data streams and on indices written through an alias (`index.lifecycle.rollover_alias`):
//! rollover by a hot phase's conditions, deletion by a delete phase's `min_age`.
//! There is no differential test: the integration-test Elasticsearch has no ILM plugin.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::TestServer;
use crate::client::{es_error, get, json, ok};

fn put_policy(a: SocketAddr, name: &str, body: &Value) -> crate::client::Resp {
    json(a, "PUT", &format!("/_ilm/policy/{name}"), Some(body))
}

/// Waits (up to 30 s) for `check` to hold on the data stream's answer.
fn wait_for(a: SocketAddr, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let v = ok(&get(a, "/_data_stream/logs-app-default"));
        if check(&v["data_streams"][0]) {
            return v["data_streams"][0].clone();
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{what}: {v}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn backing(ds: &Value) -> Vec<String> {
    ds["indices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["index_name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn policies_are_saved_versioned_shown_in_use_and_refused_by_name() {
    let t = TestServer::start();
    let a = t.addr();
    let policy = json!({"policy": {"_meta": {"owner": "ops"}, "phases": {
        "hot": {"actions": {"rollover": {"max_primary_shard_size": "50gb", "max_age": "30d"}}},
        "delete": {"min_age": "90d", "actions": {"delete": {}}}}}});
    assert_eq!(
        ok(&put_policy(a, "logs", &policy)),
        json!({"acknowledged": true})
    );
    let v = ok(&get(a, "/_ilm/policy/logs"));
    assert_eq!(v["logs"]["version"], 1);
    assert_eq!(v["logs"]["policy"]["phases"]["hot"]["min_age"], "0ms");
    assert_eq!(v["logs"]["policy"]["phases"]["delete"]["min_age"], "90d");
    assert_eq!(v["logs"]["policy"]["_meta"]["owner"], "ops");
    assert_eq!(v["logs"]["in_use_by"]["indices"], json!([]));
    ok(&put_policy(a, "logs", &policy));
    assert_eq!(ok(&get(a, "/_ilm/policy"))["logs"]["version"], 2);
    // an index that follows it keeps it from being deleted
    ok(&json(
        a,
        "PUT",
        "/kept",
        Some(&json!({"settings": {"index.lifecycle.name": "logs"}})),
    ));
    let v = ok(&get(a, "/_ilm/policy/logs"));
    assert_eq!(v["logs"]["in_use_by"]["indices"], json!(["kept"]));
    let reason = es_error(
        &json(a, "DELETE", "/_ilm/policy/logs", None),
        400,
        "illegal_argument_exception",
    );
    assert!(
        reason.contains("It is in use by one or more indices: [kept]"),
        "{reason}"
    );
    let e = ok(&get(a, "/kept/_ilm/explain"));
    assert_eq!(e["indices"]["kept"]["managed"], true);
    assert_eq!(e["indices"]["kept"]["policy"], "logs");
    ok(&json(a, "DELETE", "/kept", None));
    ok(&json(a, "DELETE", "/_ilm/policy/logs", None));
    es_error(
        &get(a, "/_ilm/policy/logs"),
        404,
        "resource_not_found_exception",
    );
    // what the store does not run is refused by name
    for (body, says) in [
        (
            json!({"policy": {"phases": {"warm": {"actions": {"searchable_snapshot": {"snapshot_repository": "r"}}}}}}),
            "action [searchable_snapshot] of phase [warm]",
        ),
        (
            json!({"policy": {"phases": {"frozen": {"actions": {}}}}}),
            "phase [frozen]",
        ),
        (
            json!({"policy": {"phases": {"hot": {"actions": {"shrink": {"number_of_shards": 1}}}}}}),
            "action [shrink]",
        ),
        (
            json!({"policy": {"phases": {"hot": {"actions": {"rollover": {"min_docs": 1}}}}}}),
            "[min_docs]",
        ),
    ] {
        let reason = es_error(
            &put_policy(a, "p", &body),
            400,
            "illegal_argument_exception",
        );
        assert!(reason.contains(says), "{body}: {reason}");
    }
    let reason = es_error(
        &json(
            a,
            "PUT",
            "/aliased",
            Some(&json!({"settings": {"index.lifecycle.origination_date": 1}})),
        ),
        400,
        "illegal_argument_exception",
    );
    assert!(
        reason.contains("index.lifecycle.origination_date"),
        "{reason}"
    );
    // saved across a restart
    ok(&put_policy(a, "again", &policy));
    let t = t.restart();
    assert_eq!(
        ok(&get(t.addr(), "/_ilm/policy/again"))["again"]["version"],
        1
    );
}

#[test]
fn the_store_rolls_a_data_stream_over_and_deletes_what_rolled_over() {
    let t = TestServer::with(|c| c.store.ilm_poll_interval = Duration::from_millis(200));
    let a = t.addr();
    ok(&put_policy(
        a,
        "fast",
        &json!({"policy": {"phases": {
            "hot": {"actions": {"rollover": {"max_docs": 3}}},
            "delete": {"min_age": "2s", "actions": {"delete": {}}}}}}),
    ));
    ok(&json(
        a,
        "PUT",
        "/_index_template/logs",
        Some(
            &json!({"index_patterns": ["logs-*-*"], "priority": 100, "data_stream": {},
            "template": {"settings": {"index.lifecycle.name": "fast"}}}),
        ),
    ));
    let write = |n: usize| {
        for i in 0..n {
            let doc = json!({"@timestamp": "2026-12-06T01:02:03Z", "message": format!("m{i}")});
            ok(&json(
                a,
                "POST",
                "/logs-app-default/_doc?refresh=true",
                Some(&doc),
            ));
        }
    };
    write(2);
    let ds = wait_for(a, "first backing index", |d| d["generation"] == 1);
    let first = backing(&ds)[0].clone();
    // two documents: below max_docs, so it stays (several polls)
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        backing(&wait_for(a, "still one", |_| true)),
        vec![first.clone()]
    );
    let e = ok(&get(a, &format!("/{first}/_ilm/explain")));
    assert_eq!(e["indices"][&first]["action"], "rollover", "{e}");
    write(1);
    let ds = wait_for(a, "rolled over", |d| d["generation"] == 2);
    let second = backing(&ds)[1].clone();
    assert!(second.ends_with("-000002"), "{ds}");
    let e = ok(&get(a, &format!("/{first}/_ilm/explain")));
    assert_eq!(e["indices"][&first]["action"], "complete", "{e}");
    // the empty new write index is not rolled over again; the old one goes 2 s after rollover
    let ds = wait_for(a, "old index deleted", |d| backing(d).len() == 1);
    assert_eq!(backing(&ds), vec![second]);
    assert_eq!(ds["generation"], 2);
    let r = json(a, "GET", &format!("/{first}"), None);
    assert_eq!(r.status, 404, "{}", r.text());
    // writes go on into the new write index
    write(1);
    let c = ok(&json(a, "GET", "/logs-app-default/_count", None));
    assert_eq!(c["count"], 1);
}

/// A policy without rollover on a plain index: its warm phase (`min_age` 0) makes it read-only
/// and drops its replicas at the next pass; `explain` says so; the write block refuses writes
/// as Elasticsearch's does, and lifting it by hand lets them through (the phase's actions ran
/// once, and later passes leave the index alone).
#[test]
fn the_warm_phase_makes_an_index_read_only() {
    let t = TestServer::with(|c| c.store.ilm_poll_interval = Duration::from_millis(200));
    let a = t.addr();
    ok(&put_policy(
        a,
        "tiers",
        &json!({"policy": {"phases": {
            "warm": {"min_age": "0ms", "actions": {"readonly": {}, "allocate": {"number_of_replicas": 0},
                "forcemerge": {"max_num_segments": 1}, "set_priority": {"priority": 50}}},
            "delete": {"min_age": "30d", "actions": {"delete": {}}}}}}),
    ));
    ok(&json(
        a,
        "PUT",
        "/old-logs",
        Some(&json!({"settings": {"index.lifecycle.name": "tiers", "number_of_replicas": 1}})),
    ));
    let start = Instant::now();
    loop {
        let s = ok(&get(a, "/old-logs/_settings"));
        if s["old-logs"]["settings"]["index"]["blocks"]["write"] == "true" {
            assert_eq!(
                s["old-logs"]["settings"]["index"]["number_of_replicas"],
                "0"
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "never read-only: {s}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let e = ok(&get(a, "/old-logs/_ilm/explain"));
    assert_eq!(e["indices"]["old-logs"]["phase"], "warm", "{e}");
    let r = json(a, "PUT", "/old-logs/_doc/1", Some(&json!({"n": 1})));
    let reason = es_error(&r, 403, "cluster_block_exception");
    assert_eq!(
        reason,
        "index [old-logs] blocked by: [FORBIDDEN/8/index write (api)];"
    );
    ok(&json(
        a,
        "PUT",
        "/old-logs/_settings",
        Some(&json!({"index.blocks.write": false})),
    ));
    // several passes later, still writable
    std::thread::sleep(Duration::from_millis(700));
    let r = json(a, "PUT", "/old-logs/_doc/1", Some(&json!({"n": 1})));
    assert_eq!(r.status, 201, "{}", r.text());
    let s = ok(&get(a, "/old-logs/_settings"));
    assert_eq!(
        s["old-logs"]["settings"]["index"]["blocks"]["write"],
        "false"
    );
}

/// Logstash's layout before data streams: a template gives `logs-legacy-*` indices a policy and
/// a rollover alias, the first index (`-000001`) is the alias's write index; the store rolls
/// the alias over by the hot phase's conditions (the new index from the template, the alias's
/// write flag moved), `explain` follows, and the delete phase removes the rolled-over index.
#[test]
fn the_store_rolls_an_alias_over() {
    let t = TestServer::with(|c| c.store.ilm_poll_interval = Duration::from_millis(200));
    let a = t.addr();
    ok(&put_policy(
        a,
        "legacy",
        &json!({"policy": {"phases": {
            "hot": {"actions": {"rollover": {"max_docs": 2}}},
            "delete": {"min_age": "2s", "actions": {"delete": {}}}}}}),
    ));
    ok(&json(
        a,
        "PUT",
        "/_index_template/legacy",
        Some(
            &json!({"index_patterns": ["logs-legacy-*"], "template": {"settings": {
            "index.lifecycle.name": "legacy", "index.lifecycle.rollover_alias": "logs-legacy"}}}),
        ),
    ));
    ok(&json(
        a,
        "PUT",
        "/logs-legacy-000001",
        Some(&json!({"aliases": {"logs-legacy": {"is_write_index": true}}})),
    ));
    let write = || {
        ok(&json(
            a,
            "POST",
            "/logs-legacy/_doc?refresh=true",
            Some(&json!({"message": "m"})),
        ))
    };
    let aliases = || ok(&get(a, "/logs-legacy-*/_alias/logs-legacy"));
    let wait = |what: &str, check: &dyn Fn(&Value) -> bool| {
        let start = Instant::now();
        loop {
            let v = aliases();
            if check(&v) {
                return v;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "{what}: {v}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    write();
    std::thread::sleep(Duration::from_millis(800));
    let v = aliases();
    assert_eq!(v.as_object().map(|o| o.len()), Some(1), "{v}");
    let e = ok(&get(a, "/logs-legacy-000001/_ilm/explain"));
    assert_eq!(
        e["indices"]["logs-legacy-000001"]["action"], "rollover",
        "{e}"
    );
    write();
    let v = wait("rolled over", &|v| v.get("logs-legacy-000002").is_some());
    assert_eq!(
        v["logs-legacy-000002"]["aliases"]["logs-legacy"]["is_write_index"], true,
        "{v}"
    );
    let settings = ok(&get(
        a,
        "/logs-legacy-000002/_settings/index.lifecycle.*?flat_settings=true",
    ));
    assert_eq!(
        settings["logs-legacy-000002"]["settings"]["index.lifecycle.rollover_alias"],
        "logs-legacy"
    );
    // writes through the alias go to the new index; the old one goes 2 s after its rollover
    write();
    let c = ok(&get(a, "/logs-legacy-000002/_count"));
    assert_eq!(c["count"], 1);
    let v = wait("old index deleted", &|v| {
        v.get("logs-legacy-000001").is_none()
    });
    assert_eq!(v.as_object().map(|o| o.len()), Some(1), "{v}");
    let r = json(a, "GET", "/logs-legacy-000001", None);
    assert_eq!(r.status, 404, "{}", r.text());
}
