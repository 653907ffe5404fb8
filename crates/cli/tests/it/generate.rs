//! `sluice generate`.

use std::io::Read as _;
use std::process::{Command, Stdio};

fn sluice(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .output()
        .expect("run sluice");
    assert!(
        out.status.success(),
        "sluice {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

const LEVELS: [&str; 3] = ["INFO", "WARNING", "ERROR"];
const ACTIONS: [&str; 5] = ["login", "search", "purchase", "logout", "view"];
const USERS: [&str; 5] = ["user1", "user2", "user3", "user4", "user5"];

/// Checks one line is a seed-shaped event; returns its level.
fn check_seed_line(line: &str) -> String {
    let ev = log_model::LogEvent::from_json_slice(line.as_bytes())
        .unwrap_or_else(|e| panic!("not a JSON object: {line}: {e}"));
    let map = ev.as_map();
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "timestamp",
            "level",
            "message",
            "user",
            "action",
            "duration",
            "source",
            "tags"
        ],
        "{line}"
    );
    let field = |k: &str| {
        map[k]
            .as_str()
            .unwrap_or_else(|| panic!("{k} not a string: {line}"))
    };
    let (level, user, action) = (field("level"), field("user"), field("action"));
    assert!(LEVELS.contains(&level), "{line}");
    assert!(USERS.contains(&user), "{line}");
    assert!(ACTIONS.contains(&action), "{line}");
    let d = map["duration"].as_f64().unwrap();
    assert!((0.1..=5.0).contains(&d), "{line}");
    let message = match level {
        "INFO" => format!("User {user} performed {action} in {d:.2}s"),
        "WARNING" => format!("Slow action detected: {action} took {d:.2}s"),
        _ => format!("Error during {action} by {user}"),
    };
    assert_eq!(field("message"), message);
    assert_eq!(field("source"), "python-script");
    assert_eq!(map["tags"], serde_json::json!(["python", "webapp"]));
    assert!(ev.timestamp().is_some(), "{line}");
    level.to_owned()
}

#[test]
fn generate_100k_seed_lines_twice_the_same() {
    let first = sluice(&["generate", "--count", "100000", "--seed", "7"]).stdout;
    let text = std::str::from_utf8(&first).expect("utf-8");
    assert!(text.ends_with('\n'));
    let mut levels = std::collections::HashSet::new();
    let mut n = 0;
    for line in text.lines() {
        levels.insert(check_seed_line(line));
        n += 1;
    }
    assert_eq!(n, 100_000);
    assert_eq!(levels.len(), 3);
    let second = sluice(&["generate", "--count", "100000", "--seed", "7"]).stdout;
    assert!(first == second, "same seed, different bytes");
    let other = sluice(&["generate", "--count", "100", "--seed", "8"]).stdout;
    assert_ne!(&first[..other.len()], &other[..]);
}

#[test]
fn generate_formats_profiles_and_backfill() {
    let ecs = sluice(&[
        "generate",
        "-n",
        "50",
        "--format",
        "ecs",
        "--profile",
        "realistic",
    ])
    .stdout;
    for line in std::str::from_utf8(&ecs).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            v["@timestamp"].is_string() && v["log"]["level"].is_string(),
            "{line}"
        );
        assert!(
            v["event"]["duration"].is_u64() && v["ecs"]["version"].is_string(),
            "{line}"
        );
    }
    assert_eq!(ecs.iter().filter(|b| **b == b'\n').count(), 50);

    let out = sluice(&["generate", "-n", "1000", "--since", "24h"]).stdout;
    let stamps: Vec<i64> = std::str::from_utf8(&out)
        .unwrap()
        .lines()
        .map(|l| {
            log_model::LogEvent::from_json_slice(l.as_bytes())
                .unwrap()
                .timestamp()
                .unwrap()
                .epoch_millis()
        })
        .collect();
    assert_eq!(stamps.len(), 1000);
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
    let now = log_model::Timestamp::now().epoch_millis();
    assert!(
        stamps[0] >= now - 86_400_000 - 60_000 && stamps[999] <= now,
        "back-filled into the last day"
    );
    assert!(
        stamps[999] - stamps[0] > 20 * 3_600_000,
        "spread over the day"
    );
}

#[test]
fn generate_refuses_bad_options_clearly() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = run(&["generate", "--since", "24h"]);
    assert!(
        err.contains("--since spreads a fixed number of events over the span: give --count too"),
        "{err}"
    );
    let err = run(&["generate", "-n", "5", "--since", "24"]);
    assert!(
        err.contains("invalid time span \"24\": missing unit (s, m, h, d or w)"),
        "{err}"
    );
    let err = run(&["generate", "-n", "5", "--rate", "0"]);
    assert!(err.contains("invalid generator setting `rate`"), "{err}");
    let err = run(&[
        "generate",
        "-n",
        "5",
        "--profile",
        "realistic",
        "--users",
        "0",
    ]);
    assert!(
        err.contains("invalid generator setting `users`: must be at least 1"),
        "{err}"
    );
    let err = run(&["generate", "--format", "xml"]);
    assert!(
        err.contains("invalid value 'xml' for '--format <FORMAT>'"),
        "{err}"
    );
}

#[test]
fn generate_paced_writes_the_count_and_a_closed_pipe_is_a_clean_exit() {
    let out = sluice(&["generate", "-n", "20", "--rate", "1000"]).stdout;
    assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 20);

    // Endless output into a reader that stops after a few bytes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["generate"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1024];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "exit {status}, stderr: {stderr}");
    assert_eq!(stderr, "");
}
