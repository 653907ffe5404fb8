//! `sluice index`, `send`, `search` (KQL and `--lucene`), `report` and `ui` against a real
//! two-node Elasticsearch cluster (the one `cargo xtask test` starts, `SLUICE_ES_CLUSTER`), given
//! both nodes' URLs as a user would.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use test_support::peers::{Cluster, http};
use test_support::{KillOnDrop, free_addr, wait_for, wait_for_port};

fn run(cluster: &Cluster, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .args(["--es", &cluster.urls().join(",")])
        .env_remove("ELASTICSEARCH_URL")
        .env_remove("ES_API_KEY")
        .env_remove("ES_USER")
        .env_remove("ES_PASSWORD")
        .output()
        .expect("run sluice")
}

fn ok(cluster: &Cluster, args: &[&str]) -> String {
    let out = run(cluster, args);
    assert!(
        out.status.success(),
        "sluice {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn es(cluster: &Cluster, method: &str, path: &str, body: Option<&Value>) -> Value {
    let body = body.map(Value::to_string);
    let (status, text) = http(cluster.nodes[0].http, method, path, body.as_deref()).unwrap();
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {text}"
    );
    serde_json::from_str(&text).unwrap()
}

fn search_json(cluster: &Cluster, index: &str, query: &str, lucene: bool) -> Vec<Value> {
    let mut args = vec![
        "search", query, "--index", index, "--size", "1000", "--json",
    ];
    if lucene {
        args.push("--lucene");
    }
    ok(cluster, &args)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn index_send_search_report_and_ui_against_elasticsearch() {
    let Some(cluster) = Cluster::from_env("sluice CLI against Elasticsearch") else {
        return;
    };
    for i in ["cli-logs", "cli-bulk", ".sluice"] {
        let _ = http(cluster.nodes[0].http, "DELETE", &format!("/{i}"), None);
    }
    ok(
        &cluster,
        &["index", "create", "cli-logs", "--mapping", "seed"],
    );
    let again = run(
        &cluster,
        &["index", "create", "cli-logs", "--mapping", "seed"],
    );
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("resource_already_exists_exception"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    ok(&cluster, &["send", "--count", "20", "--index", "cli-logs"]);
    ok(
        &cluster,
        &["send", "--count", "500", "--bulk", "--index", "cli-bulk"],
    );
    // A refresh per shard copy: without it a primary and its replica become searchable at
    // different moments, and two searches of one index can count differently.
    es(&cluster, "POST", "/cli-logs,cli-bulk/_refresh", None);
    let list = ok(&cluster, &["index", "list"]);
    assert!(
        list.contains("cli-logs") && list.contains("cli-bulk"),
        "{list}"
    );

    // Near-real-time: searchable after the next refresh.
    let docs = wait_for("20 searchable events", Duration::from_secs(30), || {
        let d = search_json(&cluster, "cli-logs", "*", false);
        (d.len() == 20).then_some(d)
    })
    .unwrap();
    assert!(docs.iter().all(|d| d["source"] == "python-script"));

    // KQL and Lucene select what Elasticsearch's own count says they select.
    let count = |q: Value| {
        es(
            &cluster,
            "POST",
            "/cli-logs/_count",
            Some(&json!({"query": q})),
        )["count"]
            .as_u64()
            .unwrap() as usize
    };
    let kql = search_json(
        &cluster,
        "cli-logs",
        "level:ERROR and not user:user1",
        false,
    );
    assert_eq!(
        kql.len(),
        count(json!({"bool": {"filter": {"term": {"level": "ERROR"}},
            "must_not": {"term": {"user": "user1"}}}}))
    );
    assert!(
        kql.iter()
            .all(|d| d["level"] == "ERROR" && d["user"] != "user1")
    );
    let lucene = search_json(
        &cluster,
        "cli-logs",
        "level:(WARNING OR ERROR) AND duration:>2",
        true,
    );
    assert_eq!(
        lucene.len(),
        count(
            json!({"bool": {"filter": [{"terms": {"level": ["WARNING", "ERROR"]}},
            {"range": {"duration": {"gt": 2}}}]}})
        )
    );
    assert!(
        !kql.is_empty() || !lucene.is_empty(),
        "the queries select something"
    );

    // The report's three charts add up to the index.
    let report: Value = wait_for("500 reported events", Duration::from_secs(30), || {
        let r: Value =
            serde_json::from_str(&ok(&cluster, &["report", "--index", "cli-bulk", "--json"]))
                .unwrap();
        (r["total"] == 500).then_some(r)
    })
    .unwrap();
    let slices: u64 = report["actions_per_user"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .sum();
    assert_eq!(slices + report["other_users"].as_u64().unwrap(), 500);
    let per_bucket: u64 = report["levels_over_time"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(per_bucket, 500);

    // `sluice ui`'s JSON API in front of the cluster.
    let listen = free_addr();
    let _ui = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args([
                "ui",
                "--listen",
                &listen.to_string(),
                "--es",
                &cluster.urls().join(","),
            ])
            .env_remove("ELASTICSEARCH_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(listen, Duration::from_secs(30)).unwrap();
    let api = |method: &str, path: &str, body: Option<Value>| -> (u16, Value) {
        let (status, text) =
            http(listen, method, path, body.map(|b| b.to_string()).as_deref()).unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    };
    let (status, v) = api("GET", "/api/status", None);
    assert_eq!(status, 200);
    assert_eq!(v["backend"]["ok"], true, "{v}");
    assert!(
        v["backend"]["version"]
            .as_str()
            .unwrap_or("")
            .starts_with(['8', '2']),
        "{v}"
    );

    let (_, fields) = api("GET", "/api/fields?pattern=cli-*", None);
    let level = fields["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "level")
        .cloned()
        .unwrap_or_else(|| panic!("{fields}"));
    assert_eq!(level["aggregatable"], true);

    let errors = es(
        &cluster,
        "POST",
        "/cli-bulk/_count",
        Some(&json!({"query": {"term": {"level": "ERROR"}}})),
    )["count"]
        .clone();
    let search = json!({"index": "cli-bulk", "timeField": null,
        "query": {"language": "kuery", "query": "level:ERROR"}, "filters": [],
        "sort": "desc", "size": 10, "searchAfter": null, "histogram": null, "columns": ["level"]});
    let (status, found) = api("POST", "/api/search", Some(search.clone()));
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["total"], errors, "{found}");
    assert!(
        found["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["_source"]["level"] == "ERROR")
    );
    let mut counted = search;
    for k in ["size", "searchAfter", "histogram"] {
        counted.as_object_mut().unwrap().remove(k);
    }
    let (_, n) = api("POST", "/api/count", Some(counted));
    assert_eq!(n["count"], errors);

    let (status, saved) = api(
        "POST",
        "/api/saved_objects/search",
        Some(
            json!({"attributes": {"title": "Errors", "query": {"language": "kuery", "query": "level:ERROR"}}}),
        ),
    );
    assert_eq!(status, 201, "{saved}");
    let listed = wait_for("the saved search listed", Duration::from_secs(30), || {
        let (_, l) = api("GET", "/api/saved_objects?type=search", None);
        (l["saved_objects"]
            .as_array()?
            .iter()
            .any(|o| o["id"] == saved["id"]))
        .then_some(l)
    });
    assert!(listed.is_ok(), "{listed:?}");
}
