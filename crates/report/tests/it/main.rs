//! The report through its public interface: field detection, planning, reading aggregation
//! responses, and the renderings.

mod store;

use report::{Fields, Plan, Report, auto_interval, charts, html, parse_since, read_bounds};
use serde_json::{Value, json};

fn seed_fields() -> Fields {
    Fields {
        time: "timestamp".into(),
        user: "user".into(),
        action: "action".into(),
        level: "level".into(),
        duration: "duration".into(),
        duration_scale: 1.0,
    }
}

#[test]
fn detects_fields_in_each_layout() {
    fn check(mapping: &Value, expected: Result<[&str; 5], &str>) {
        let got = Fields::detect("python-logs-*", mapping)
            .map(|f| [f.time, f.user, f.action, f.level, f.duration])
            .map_err(|e| e.to_string());
        let expected = expected
            .map(|a| a.map(str::to_owned))
            .map_err(str::to_owned);
        assert_eq!(got, expected, "{mapping}");
    }
    // The seed's Example 2 mapping.
    check(
        &json!({"python-logs": log_model::mapping::seed()}),
        Ok(["timestamp", "user", "action", "level", "duration"]),
    );
    // python-logstash-async through Logstash: extras under `extra`, strings dynamically
    // mapped as text + keyword.
    let kw =
        json!({"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}});
    check(
        &json!({
            "python-logs-2026.11.24": {"mappings": {"properties": {
                "@timestamp": {"type": "date"}, "level": kw, "message": kw,
                "extra": {"properties": {"user": kw, "action": kw, "duration": {"type": "float"}}}
            }}},
            "python-logs-2026.11.23": {"mappings": {"properties": {"@timestamp": {"type": "date"}}}}
        }),
        Ok([
            "@timestamp",
            "extra.user.keyword",
            "extra.action.keyword",
            "level.keyword",
            "extra.duration",
        ]),
    );
    // ECS.
    let ecs = Fields::detect("ecs", &json!({"ecs": log_model::mapping::ecs()})).unwrap();
    assert_eq!(
        [
            ecs.time.as_str(),
            &ecs.user,
            &ecs.action,
            &ecs.level,
            &ecs.duration
        ],
        [
            "@timestamp",
            "user.name",
            "event.action",
            "log.level",
            "event.duration"
        ]
    );
    assert!((ecs.duration_scale - 1e-9).abs() < f64::EPSILON);
    // A text field without a keyword sub-field cannot be aggregated.
    check(
        &json!({"i": {"mappings": {"properties": {
            "@timestamp": {"type": "date"}, "user": {"type": "text"}
        }}}}),
        Err(
            "no usable user field in the mapping of [python-logs-*]: looked for user, user.name, extra.user",
        ),
    );
    check(&json!({}), Err("no index matches [python-logs-*]"));
    check(
        &json!({"i": {"mappings": {"properties": {"timestamp": {"type": "keyword"}}}}}),
        Err(
            "no usable time field in the mapping of [python-logs-*]: looked for @timestamp, timestamp",
        ),
    );
}

#[test]
fn auto_interval_follows_kibana() {
    fn check(range_ms: i64, expected: &str) {
        assert_eq!(auto_interval(range_ms).0, expected, "{range_ms}");
    }
    const H: i64 = 3_600_000;
    check(0, "100ms");
    check(60_000, "1s");
    check(15 * 60_000, "30s");
    check(H, "1m");
    check(24 * H, "30m");
    check(7 * 24 * H, "3h");
    check(30 * 24 * H, "12h");
    check(60 * 24 * H, "24h");
    check(365 * 24 * H, "7d");
    check(5 * 365 * 24 * H, "30d");
    check(10 * 365 * 24 * H, "365d");
}

#[test]
fn since_values() {
    for ok in ["30m", "1h", "24h", "7d", "2w", "90s"] {
        assert_eq!(parse_since(ok).unwrap(), ok);
    }
    for bad in ["", "h", "1y", "0h", "-1h", "1.5h", "yesterday"] {
        assert_eq!(
            parse_since(bad).unwrap_err().to_string(),
            format!(
                "invalid --since value {bad:?}: expected a number and a unit, such as 30m, 1h, 24h or 7d"
            )
        );
    }
}

#[test]
fn plans_aggregations_not_downloads() {
    let plan = Plan::new(seed_fields(), Some("1h")).unwrap();
    let body = plan.report_body(0, 3_600_000);
    assert_eq!(body["size"], 0);
    assert_eq!(
        body["query"]["bool"]["filter"][0]["range"]["timestamp"]["gte"],
        "now-1h"
    );
    assert_eq!(
        body["query"]["bool"]["filter"][1]["range"]["timestamp"],
        json!({"gte": 0, "lte": 3_600_000, "format": "epoch_millis"}),
        "the charts cover what the bounds request saw"
    );
    assert_eq!(
        body["aggs"]["levels_over_time"]["date_histogram"]["fixed_interval"],
        "1m"
    );
    assert_eq!(
        body["aggs"]["duration_per_action"]["aggs"]["avg_duration"]["avg"]["field"],
        "duration"
    );
    let all = Plan::new(seed_fields(), None).unwrap();
    assert_eq!(all.bounds_body()["query"], json!({"match_all": {}}));
}

fn sample() -> Report {
    let resp = json!({
        "hits": {"total": {"value": 10, "relation": "eq"}, "hits": []},
        "aggregations": {
            "actions_per_user": {"sum_other_doc_count": 1, "buckets": [
                {"key": "user1", "doc_count": 6}, {"key": "user2", "doc_count": 3}
            ]},
            "levels_over_time": {"buckets": [
                {"key": 0, "key_as_string": "1970-01-01T00:00:00.000Z", "doc_count": 7,
                 "level": {"buckets": [{"key": "ERROR", "doc_count": 1}, {"key": "INFO", "doc_count": 6}]}},
                {"key": 60_000, "key_as_string": "1970-01-01T00:01:00.000Z", "doc_count": 0, "level": {"buckets": []}},
                {"key": 120_000, "key_as_string": "1970-01-01T00:02:00.000Z", "doc_count": 3,
                 "level": {"buckets": [{"key": "WARNING", "doc_count": 3}]}}
            ]},
            "duration_per_action": {"buckets": [
                {"key": "login", "doc_count": 4, "avg_duration": {"value": 1.5}},
                {"key": "view", "doc_count": 6, "avg_duration": {"value": null}}
            ]}
        }
    });
    Report::from_response("python-logs", &seed_fields(), 180_000, &resp).unwrap()
}

#[test]
fn reads_aggregation_responses() {
    let r = sample();
    assert_eq!(r.total, 10);
    assert_eq!(r.other_users, 1);
    assert_eq!(r.actions_per_user[0].user, "user1");
    assert_eq!(r.levels, ["INFO", "WARNING", "ERROR"]);
    // Buckets list levels in the stacking order.
    assert_eq!(
        r.levels_over_time[0].by_level,
        [("INFO".to_owned(), 6), ("ERROR".to_owned(), 1)]
    );
    assert_eq!(r.duration_per_action[0].avg_seconds, Some(1.5));
    assert_eq!(r.duration_per_action[1].avg_seconds, None);
    assert_eq!(r.interval, "1s");

    let bad = Report::from_response("x", &seed_fields(), 0, &json!({"hits": {"total": 1}}));
    assert_eq!(
        bad.unwrap_err().to_string(),
        "unexpected search response: no `aggregations`"
    );
    let (range, total) = read_bounds(&json!({
        "hits": {"total": 5},
        "aggregations": {"t_min": {"value": 1000.0}, "t_max": {"value": 5000.0}}
    }))
    .unwrap();
    assert_eq!((range, total), (Some((1000, 5000)), 5));
    let (empty, _) = read_bounds(&json!({
        "hits": {"total": {"value": 0}},
        "aggregations": {"t_min": {"value": null}, "t_max": {"value": null}}
    }))
    .unwrap();
    assert_eq!(empty, None);
}

#[test]
fn terminal_output_has_labels_values_percentages() {
    let text = sample().to_terminal(false);
    assert!(!text.contains('\x1b'), "no colour when not a terminal");
    assert!(text.contains("  user1           6   60.0%  ████"), "{text}");
    assert!(text.contains("  (other)         1   10.0%\n"), "{text}");
    assert!(text.contains("login    1.500 s  (n=     4)"), "{text}");
    assert!(text.contains("INFO 6, ERROR 1"), "{text}");
    assert!(sample().to_terminal(true).contains("\x1b[1m"));
}

#[test]
fn html_and_png_are_produced() {
    let r = sample();
    let page = html::render(&r).unwrap();
    assert!(page.starts_with("<!doctype html>"));
    assert_eq!(page.matches("<svg").count(), 3, "three inline charts");
    assert!(page.contains("<td>user1</td><td>6</td>"));
    assert!(!page.contains("<?xml"));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out/report.png");
    charts::write_png(&r, &path).unwrap();
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    assert_eq!(
        (info.width, info.height),
        (charts::CHART_WIDTH, charts::CHART_HEIGHT * 3)
    );
}
