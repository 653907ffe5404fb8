//! Interop with the real Python peers (installed by `cargo xtask test` into target/py-venv):
//! the official `elasticsearch` 8.x client and `requests`, running the seed's calls.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::TestServer;

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/py")
        .join(name)
}

/// Runs a script; it checks its own results and exits non-zero on any mismatch. Returns the
/// JSON summary it prints last.
fn run(name: &str, args: &[&str]) -> Value {
    let out = Command::new(test_support::python())
        .arg(script(name))
        .args(args)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("{name}: summary is not JSON ({e}): {stdout}"))
}

#[test]
fn official_client_bulk_and_dashboard_aggregations() {
    let t = TestServer::start();
    let summary = run("es_client_dashboard.py", &[&t.server.url(), "10000"]);
    assert_eq!(summary["indexed"], 10_000);
    let users = summary["users"].as_object().expect("users");
    assert_eq!(users.len(), 5);
    assert_eq!(
        users.values().filter_map(Value::as_u64).sum::<u64>(),
        10_000
    );
    assert_eq!(summary["avg"].as_object().expect("avg").len(), 5);
}

#[test]
fn requests_example_2_and_bulk_tip() {
    let t = TestServer::start();
    let summary = run("requests_seed.py", &[&t.server.url()]);
    assert_eq!(
        summary,
        serde_json::json!({"docs": 50, "bulk": 100, "count": 150})
    );
}

#[test]
fn official_client_basic_auth_and_api_key() {
    let t = TestServer::with(|c| {
        c.http = std::mem::take(&mut c.http)
            .user("elastic", "your_password")
            .api_key("k1", "s3cret");
    });
    let summary = run(
        "es_client_auth.py",
        &[&t.server.url(), "elastic", "your_password", "k1", "s3cret"],
    );
    assert_eq!(summary, serde_json::json!({"auth": "ok"}));
}

#[test]
fn official_client_search_after_pit_field_caps_msearch_highlight_scan_reindex() {
    let t = TestServer::start();
    let summary = run("es_client_search_api.py", &[&t.server.url(), "2000"]);
    assert_eq!(summary["search_after"], 2000);
    assert_eq!(summary["pit"], 2000);
    assert_eq!(summary["pit_pages"], 4);
    assert_eq!(summary["msearch"], 3);
    assert_eq!(summary["scan"], 2050);
    assert_eq!(
        summary["reindex"],
        (0..2000).filter(|i| i % 7 == 3).count() + (0..50).filter(|i| i % 7 == 3).count()
    );
}

#[test]
fn official_client_analysis_time_zones_and_license() {
    let t = TestServer::start();
    let summary = run("es_client_esapi.py", &[&t.server.url()]);
    assert_eq!(
        summary,
        serde_json::json!({"analyze": "ok", "days": [23, 23, 2]})
    );
}
