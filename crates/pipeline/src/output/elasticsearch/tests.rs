use log_model::{LogEvent, Template};
use serde_json::{Value, json};

use super::{IndexCache, depends_on_day_only, render_index};

fn event(v: Value) -> LogEvent {
    let Value::Object(m) = v else { unreachable!() };
    LogEvent::from_map(m)
}

#[test]
fn day_only_templates() {
    fn check(template: &str, expected: bool) {
        assert_eq!(depends_on_day_only(template), expected, "{template}");
    }
    check("python-logs-%{+YYYY.MM.dd}", true);
    check("logs-%{+xxxx.ww}", true);
    check("logs-%{+YYYY}-%{+MM}", true);
    check("constant", true);
    check("logs-%{+YYYY.MM.dd.HH}", false);
    check("logs-%{+YYYY.MM.dd'x'}", false);
    check("logs-%{+%s}", false);
    check("logs-%{type}-%{+YYYY.MM.dd}", false);
    check("logs-%{[a][b]}", false);
    check("logs-%{+YYYY", false);
    check("logs-%{+}", false);
}

/// The cache gives exactly what rendering each event gives, across day boundaries, for
/// non-canonical timestamps and for templates it must not cache.
#[test]
fn index_cache_matches_per_event_rendering() {
    let timestamps = [
        json!("2026-11-24T23:59:59.999Z"),
        json!("2026-11-24T00:00:00.000Z"),
        json!("2026-11-25T00:00:00.000Z"),
        json!("2026-11-25T23:59:59.999Z"),
        json!("2026-11-24T12:00:00.000Z"),
        json!("2026-11-25T00:30:00+01:00"), // not canonical: rendered per event
        json!("not a time"),
        json!(5),
        Value::Null,
        json!("2026-12-31T23:59:59.999Z"),
        json!("2027-01-01T00:00:00.000Z"),
    ];
    for template in [
        "python-logs-%{+YYYY.MM.dd}",
        "w-%{+xxxx.ww}",
        "h-%{+YYYY.MM.dd.HH}",
        "t-%{type}-%{+YYYY.MM.dd}",
    ] {
        let t = Template::parse(template).unwrap();
        let by_day = depends_on_day_only(template);
        let mut cache = IndexCache::default();
        for (i, ts) in timestamps.iter().enumerate() {
            let ev = event(json!({"@timestamp": ts, "type": format!("k{i}")}));
            assert_eq!(
                cache.render(&t, by_day, &ev),
                render_index(&t, &ev),
                "{template} at {ts}"
            );
        }
    }
    let t = Template::parse("d-%{+YYYY.MM.dd}").unwrap();
    let mut cache = IndexCache::default();
    let names: Vec<String> = ["2026-11-24T23:59:59.999Z", "2026-11-25T00:00:00.000Z"]
        .iter()
        .map(|ts| cache.render(&t, true, &event(json!({ "@timestamp": ts }))))
        .collect();
    assert_eq!(names, ["d-2026.11.24", "d-2026.11.25"]);
}
