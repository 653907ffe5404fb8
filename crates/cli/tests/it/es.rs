//! `sluice index`, `send`, `search` and `report` against an in-process sluice-store with
//! Basic auth, run as a user runs them.

use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

struct Env {
    server: store::http::RunningServer,
    _dir: tempfile::TempDir,
}

fn store() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = store::http::ServerConfig::new(dir.path()).disk_threshold(false);
    cfg.http = store::http::HttpConfig::default().user("elastic", "changeme");
    Env {
        server: store::http::spawn(cfg).unwrap(),
        _dir: dir,
    }
}

fn run(env: &Env, password: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .args([
            "--es",
            &env.server.url(),
            "--user",
            "elastic",
            "--password",
            password,
        ])
        .env_remove("ELASTICSEARCH_URL")
        .env_remove("ES_API_KEY")
        .output()
        .expect("run sluice")
}

fn ok(env: &Env, args: &[&str]) -> String {
    let out = run(env, "changeme", args);
    assert!(
        out.status.success(),
        "sluice {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn index_send_search_report_round_trip() {
    let env = store();
    ok(
        &env,
        &["index", "create", "python-logs", "--mapping", "seed"],
    );
    let again = run(
        &env,
        "changeme",
        &["index", "create", "python-logs", "--mapping", "seed"],
    );
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("resource_already_exists_exception"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // The seed's Example 2: one POST _doc per event, then the bulk tip.
    ok(&env, &["send", "--count", "20", "--index", "python-logs"]);
    ok(
        &env,
        &["send", "--count", "500", "--bulk", "--index", "bulk-logs"],
    );
    let list = ok(&env, &["index", "list"]);
    assert!(
        list.contains("python-logs") && list.contains("bulk-logs"),
        "{list}"
    );

    // Near-real-time, as Elasticsearch: searchable after the next refresh (1 s).
    let docs: Vec<Value> =
        test_support::wait_for("20 searchable events", Duration::from_secs(15), || {
            let hits = ok(
                &env,
                &[
                    "search",
                    "*",
                    "--index",
                    "python-logs",
                    "--size",
                    "100",
                    "--json",
                ],
            );
            let docs: Vec<Value> = hits
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            (docs.len() == 20).then_some(docs)
        })
        .unwrap();
    assert!(docs.iter().all(|d| d["source"] == "python-script"));
    let errors = ok(
        &env,
        &[
            "search",
            "level:ERROR",
            "--index",
            "python-logs",
            "--size",
            "100",
            "--json",
        ],
    );
    let n_errors = errors.lines().count();
    assert_eq!(
        n_errors,
        docs.iter().filter(|d| d["level"] == "ERROR").count(),
        "query_string narrows to the ERROR events"
    );

    let report: Value =
        test_support::wait_for("500 reported events", Duration::from_secs(15), || {
            let r: Value =
                serde_json::from_str(&ok(&env, &["report", "--index", "bulk-logs", "--json"]))
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

    ok(&env, &["index", "delete", "bulk-logs"]);
    assert!(!ok(&env, &["index", "list"]).contains("bulk-logs"));
}

#[test]
fn wrong_credentials_are_a_clear_error() {
    let env = store();
    let out = run(&env, "wrong", &["index", "list"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("401") && err.contains("security_exception"),
        "{err}"
    );
}
