//! Visualize and Dashboard through the API: each chart type's table equals a brute-force
//! computation over the same generated events; every row's click-to-filter selects exactly that
//! row's documents; a dashboard answers every panel from one `_msearch`, a failing one with its
//! own error; the tutorial's dashboard is made once.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Timelike};
use http::Method;
use serde_json::{Value, json};

use crate::{Env, call, env_with};

const MISSING: &str = "__missing__";
const OTHER: &str = "__other__";

/// 800 events over about 33 hours; every 9th without `action`.
async fn vis_env() -> Env {
    let timeline = generator::Timeline::Simulated {
        start: generator::Timeline::default_start(),
        rate: 1.0 / 150.0,
    };
    env_with(800, Vec::new(), timeline, |i, e| {
        if i % 9 == 4
            && let Some(o) = e.as_object_mut()
        {
            o.remove("action");
        }
    })
    .await
}

fn ts(e: &Value) -> i64 {
    DateTime::parse_from_rfc3339(e["@timestamp"].as_str().expect("timestamp"))
        .expect("rfc3339")
        .timestamp_millis()
}

fn range_of(events: &[Value]) -> (i64, i64) {
    let t: Vec<i64> = events.iter().map(ts).collect();
    (
        *t.iter().min().expect("events"),
        *t.iter().max().expect("events"),
    )
}

fn s(e: &Value, f: &str) -> String {
    e[f].as_str()
        .map_or_else(|| MISSING.to_owned(), str::to_owned)
}

fn d(e: &Value) -> f64 {
    e["duration"].as_f64().expect("duration")
}

/// Terms as ES orders them: by count (or another key) descending, then by term ascending.
fn top(counts: &BTreeMap<String, u64>, size: usize) -> (Vec<(String, u64)>, u64) {
    let mut v: Vec<(String, u64)> = counts.iter().map(|(k, n)| (k.clone(), *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let rest = v.iter().skip(size).map(|x| x.1).sum();
    v.truncate(size);
    (v, rest)
}

fn close(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-6 * y.abs().max(1.0),
        _ => a == b,
    }
}

fn check_rows(what: &str, got: &Value, want: &[Vec<Value>]) {
    let rows = got["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: {got}"));
    let same = rows.len() == want.len()
        && rows.iter().zip(want).all(|(r, w)| {
            let r = r.as_array().expect("row");
            r.len() == w.len() && r.iter().zip(w).all(|(a, b)| close(a, b))
        });
    assert!(
        same,
        "{what}:\n got  {}\n want {}",
        Value::from(rows.clone()),
        Value::from(want.to_vec())
    );
}

async fn vis_data(env: &Env, spec: Value, from: i64, to: i64, tz: &str) -> Value {
    let (status, v) = call(
        env.ui,
        Method::POST,
        "/api/vis/data",
        Some(json!({"spec": spec, "timeRange": {"from": from, "to": to}, "timeZone": tz})),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v
}

/// Every row's bucket filters, applied together through Discover's count, select exactly the
/// documents the row counted (column `count_col`).
async fn check_click_filters(env: &Env, table: &Value, count_col: usize, from: i64, to: i64) {
    let rows = table["rows"].as_array().expect("rows");
    assert!(!rows.is_empty());
    for (row, filters) in rows
        .iter()
        .zip(table["rowFilters"].as_array().expect("rowFilters"))
    {
        let filters: Vec<Value> = filters
            .as_array()
            .expect("filters")
            .iter()
            .filter(|f| !f.is_null())
            .cloned()
            .collect();
        let req = json!({"index": "python-logs-*", "timeField": "@timestamp", "from": from, "to": to, "filters": filters});
        let (status, v) = call(env.ui, Method::POST, "/api/count", Some(req)).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(
            v["count"], row[count_col],
            "row {row} with filters {filters:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chart_tables_equal_brute_force() {
    let env = vis_env().await;
    let (status, _) = call(env.ui, Method::GET, "/api/data_views", None).await;
    assert_eq!(status, 200);
    let ev = &env.events;
    let (from, to) = range_of(ev);

    // pie: top 3 users by count and the Other slice
    let pie = json!({"type": "pie", "dataView": "python-logs",
        "metrics": [{"id": "1", "type": "count"}],
        "buckets": [{"id": "2", "role": "x", "type": "terms", "field": "user.keyword", "size": 3, "otherBucket": true}]});
    let got = vis_data(&env, pie, from, to, "UTC").await;
    let mut users = BTreeMap::new();
    for e in ev {
        *users.entry(s(e, "user")).or_insert(0) += 1;
    }
    let (listed, rest) = top(&users, 3);
    let mut want: Vec<Vec<Value>> = listed
        .iter()
        .map(|(k, n)| vec![json!(k), json!(n)])
        .collect();
    assert!(rest > 0, "the generator must leave users for Other");
    want.push(vec![json!(OTHER), json!(rest)]);
    check_rows("pie", &got, &want);
    assert_eq!(got["columns"][1]["name"], "Count");
    assert_eq!(got["meta"]["total"], ev.len());
    check_click_filters(&env, &got, 1, from, to).await;

    // a donut of the top 2 actions: Other leaves out the events without an action, and so
    // does its click filter
    let donut = json!({"type": "pie", "dataView": "python-logs",
        "metrics": [{"id": "1", "type": "count"}],
        "buckets": [{"id": "2", "role": "x", "type": "terms", "field": "action.keyword", "size": 2, "otherBucket": true}],
        "params": {"donut": true}});
    let got = vis_data(&env, donut, from, to, "UTC").await;
    let mut actions = BTreeMap::new();
    for e in ev.iter().filter(|e| e.get("action").is_some()) {
        *actions.entry(s(e, "action")).or_insert(0) += 1;
    }
    let (listed, rest) = top(&actions, 2);
    let mut want: Vec<Vec<Value>> = listed
        .iter()
        .map(|(k, n)| vec![json!(k), json!(n)])
        .collect();
    want.push(vec![json!(OTHER), json!(rest)]);
    check_rows("donut", &got, &want);
    check_click_filters(&env, &got, 1, from, to).await;

    // bar: hourly buckets split by the top 2 levels and Other, inside each hour
    let bar = json!({"type": "bar", "dataView": "python-logs",
        "metrics": [{"id": "1", "type": "count"}],
        "buckets": [{"id": "2", "role": "x", "type": "date_histogram", "interval": "1h"},
                    {"id": "3", "role": "split", "type": "terms", "field": "level.keyword", "size": 2, "otherBucket": true}],
        "params": {"stacked": true}});
    let got = vis_data(&env, bar, from, to, "UTC").await;
    let mut hours: BTreeMap<i64, BTreeMap<String, u64>> = BTreeMap::new();
    for e in ev {
        let h = ts(e).div_euclid(3_600_000) * 3_600_000;
        *hours
            .entry(h)
            .or_default()
            .entry(s(e, "level"))
            .or_insert(0) += 1;
    }
    let mut want = Vec::new();
    let mut others = 0;
    for (h, levels) in &hours {
        let (listed, rest) = top(levels, 2);
        for (k, n) in listed {
            want.push(vec![json!(h), json!(k), json!(n)]);
        }
        if rest > 0 {
            others += 1;
            want.push(vec![json!(h), json!(OTHER), json!(rest)]);
        }
    }
    assert!(others > 0);
    check_rows("bar", &got, &want);
    assert_eq!(got["meta"]["interval"], "1h");
    check_click_filters(&env, &got, 2, from, to).await;

    // hbar: actions (and Missing) ordered by average duration, with avg/sum/min/max
    let hbar = json!({"type": "hbar", "dataView": "python-logs",
        "metrics": [{"id": "a", "type": "avg", "field": "duration"}, {"id": "s", "type": "sum", "field": "duration"},
                    {"id": "lo", "type": "min", "field": "duration"}, {"id": "hi", "type": "max", "field": "duration"},
                    {"id": "n", "type": "count"}],
        "buckets": [{"id": "b", "role": "x", "type": "terms", "field": "action.keyword", "size": 10,
                     "missingBucket": true, "order": {"by": "a", "dir": "desc"}}]});
    let got = vis_data(&env, hbar, from, to, "UTC").await;
    let mut by_action: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for e in ev {
        by_action.entry(s(e, "action")).or_default().push(d(e));
    }
    assert!(by_action.contains_key(MISSING));
    let mut want: Vec<(f64, Vec<Value>)> = by_action
        .iter()
        .map(|(k, ds)| {
            let sum: f64 = ds.iter().sum();
            let avg = sum / ds.len() as f64;
            let lo = ds.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = ds.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (
                avg,
                vec![
                    json!(k),
                    json!(avg),
                    json!(sum),
                    json!(lo),
                    json!(hi),
                    json!(ds.len()),
                ],
            )
        })
        .collect();
    want.sort_by(|a, b| b.0.total_cmp(&a.0));
    let want: Vec<Vec<Value>> = want.into_iter().map(|x| x.1).collect();
    check_rows("hbar", &got, &want);
    check_click_filters(&env, &got, 5, from, to).await;

    // line: a histogram of durations (width 1 s) with unique users
    let line = json!({"type": "line", "dataView": "python-logs",
        "metrics": [{"id": "1", "type": "count"}, {"id": "u", "type": "cardinality", "field": "user.keyword"}],
        "buckets": [{"id": "2", "role": "x", "type": "histogram", "field": "duration", "histogramInterval": 1.0}]});
    let got = vis_data(&env, line, from, to, "UTC").await;
    let mut hist: BTreeMap<i64, (u64, BTreeSet<String>)> = BTreeMap::new();
    for e in ev {
        #[allow(clippy::cast_possible_truncation)]
        let k = d(e).floor() as i64;
        let cell = hist.entry(k).or_default();
        cell.0 += 1;
        cell.1.insert(s(e, "user"));
    }
    let want: Vec<Vec<Value>> = hist
        .iter()
        .map(|(k, (n, u))| vec![json!(k), json!(n), json!(u.len())])
        .collect();
    check_rows("line", &got, &want);
    check_click_filters(&env, &got, 1, from, to).await;

    // area: the automatic interval over the whole range
    let area = json!({"type": "area", "dataView": "python-logs",
        "metrics": [{"id": "1", "type": "count"}],
        "buckets": [{"id": "2", "role": "x", "type": "date_histogram", "interval": "auto"}]});
    let got = vis_data(&env, area, from, to, "UTC").await;
    let (text, step) = vis::interval::auto_interval(to - from);
    assert_eq!(got["meta"]["interval"], text);
    let mut buckets: BTreeMap<i64, u64> = BTreeMap::new();
    for e in ev {
        *buckets.entry(ts(e).div_euclid(step) * step).or_insert(0) += 1;
    }
    let want: Vec<Vec<Value>> = buckets
        .iter()
        .map(|(k, n)| vec![json!(k), json!(n)])
        .collect();
    check_rows("area", &got, &want);
    check_click_filters(&env, &got, 1, from, to).await;

    // table: KQL filters × duration ranges, count and max
    let table = json!({"type": "table", "dataView": "python-logs",
        "metrics": [{"id": "1", "type": "count"}, {"id": "m", "type": "max", "field": "duration"}],
        "buckets": [
            {"id": "f", "role": "rows", "type": "filters", "filters": [
                {"query": "level:ERROR", "label": "errors"}, {"query": "level:INFO or level:WARNING"}]},
            {"id": "r", "role": "rows", "type": "range", "field": "duration",
             "ranges": [{"to": 1}, {"from": 1, "to": 3, "label": "middle"}, {"from": 3}]}]});
    let got = vis_data(&env, table, from, to, "UTC").await;
    let mut want = Vec::new();
    type Keep = fn(&str) -> bool;
    let groups: [(&str, Keep); 2] = [
        ("errors", |l| l == "ERROR"),
        ("level:INFO or level:WARNING", |l| {
            l == "INFO" || l == "WARNING"
        }),
    ];
    let ranges: [(&str, f64, f64); 3] = [
        ("-∞ to 1", f64::NEG_INFINITY, 1.0),
        ("middle", 1.0, 3.0),
        ("3 to +∞", 3.0, f64::INFINITY),
    ];
    for (label, keep) in groups {
        for (rl, lo, hi) in ranges {
            let ds: Vec<f64> = ev
                .iter()
                .filter(|e| keep(&s(e, "level")) && d(e) >= lo && d(e) < hi)
                .map(d)
                .collect();
            if !ds.is_empty() {
                let max = ds.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                want.push(vec![json!(label), json!(rl), json!(ds.len()), json!(max)]);
            }
        }
    }
    check_rows("table", &got, &want);
    check_click_filters(&env, &got, 2, from, to).await;

    // metric: no buckets; median and percentiles within one percent of the data's spread
    let metric = json!({"type": "metric", "dataView": "python-logs",
        "metrics": [{"id": "1", "type": "count"}, {"id": "u", "type": "cardinality", "field": "user.keyword"},
                    {"id": "md", "type": "median", "field": "duration"},
                    {"id": "p", "type": "percentiles", "field": "duration", "percents": [25, 75]}]});
    let got = vis_data(&env, metric, from, to, "UTC").await;
    let cols: Vec<&str> = got["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(cols, ["1", "u", "md", "p.25", "p.75"]);
    assert_eq!(got["columns"][4]["name"], "75th percentile of duration");
    let mut ds: Vec<f64> = ev.iter().map(d).collect();
    ds.sort_by(f64::total_cmp);
    let row = &got["rows"][0];
    assert_eq!(row[0], ev.len());
    assert_eq!(row[1], users.len());
    let spread = ds[ds.len() - 1] - ds[0];
    for (col, p) in [(2, 0.5), (3, 0.25), (4, 0.75)] {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let exact = ds[((ds.len() - 1) as f64 * p).round() as usize];
        let got = row[col].as_f64().expect("percentile");
        assert!(
            (got - exact).abs() <= 0.01 * spread,
            "p{p}: {got} vs {exact}"
        );
    }

    // heat map: hour of day × day of week in Paris, count and average duration
    let heat = json!({"type": "heatmap", "dataView": "python-logs",
        "metrics": [{"id": "1", "type": "count"}, {"id": "a", "type": "avg", "field": "duration"}]});
    let got = vis_data(&env, heat, from, to, "Europe/Paris").await;
    let paris: chrono_tz::Tz = "Europe/Paris".parse().expect("zone");
    let mut cells: HashMap<(u32, u32), Vec<f64>> = HashMap::new();
    for e in ev {
        let local = DateTime::from_timestamp_millis(ts(e))
            .expect("instant")
            .with_timezone(&paris);
        cells
            .entry((local.weekday().number_from_monday(), local.hour()))
            .or_default()
            .push(d(e));
    }
    let mut want = Vec::new();
    for dow in 1..=7u32 {
        for hour in 0..24u32 {
            let (n, avg) = cells.get(&(dow, hour)).map_or((0, Value::Null), |ds| {
                (ds.len(), json!(ds.iter().sum::<f64>() / ds.len() as f64))
            });
            want.push(vec![json!(dow), json!(hour), json!(n), avg]);
        }
    }
    check_rows("heatmap", &got, &want);
    assert!(cells.len() > 20, "the events must cover many hours");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_specs_are_refused_naming_the_member() {
    let env = vis_env().await;
    call(env.ui, Method::GET, "/api/data_views", None).await;
    let base = |buckets: Value, metrics: Value| json!({"type": "bar", "dataView": "python-logs", "metrics": metrics, "buckets": buckets});
    let count = json!([{"id": "1", "type": "count"}]);
    let cases = [
        (
            base(
                json!([{"id": "2", "role": "x", "type": "date_histogram", "interval": "1s"}]),
                count.clone(),
            ),
            "spec.buckets[0].interval: [1s] makes",
        ),
        (
            base(
                json!([{"id": "2", "role": "x", "type": "date_histogram", "interval": "2w"}]),
                count.clone(),
            ),
            "spec.buckets[0].interval: invalid interval [2w]",
        ),
        (
            base(json!([]), json!([{"id": "1", "type": "avg"}])),
            "spec.metrics[0].field: required for avg",
        ),
        (
            base(
                json!([{"id": "1", "role": "x", "type": "terms", "field": "user.keyword"}]),
                count.clone(),
            ),
            "spec.buckets[0].id: the id [1] is used twice",
        ),
        (
            base(
                json!([{"id": "2", "role": "x", "type": "terms", "field": "user.keyword", "order": {"by": "9"}}]),
                count.clone(),
            ),
            "spec.buckets[0].order.by: no metric has the id [9]",
        ),
        (
            base(
                json!([{"id": "2", "role": "split", "type": "terms", "field": "user.keyword"},
                     {"id": "3", "role": "x", "type": "terms", "field": "level.keyword"}]),
                count.clone(),
            ),
            "spec.buckets[1].role",
        ),
        (
            base(
                json!([{"id": "2", "role": "x", "type": "filters", "filters": [{"query": "level:"}]}]),
                count.clone(),
            ),
            "spec.buckets[0].filters[0].query",
        ),
        (
            base(
                json!([{"id": "2", "role": "x", "type": "terms", "field": "user.keyword", "size": 100000}]),
                count.clone(),
            ),
            "spec.buckets[0].size",
        ),
        (
            json!({"type": "bar", "dataView": "python-logs", "metrics": count, "colour": "red"}),
            "unknown field `colour`",
        ),
    ];
    let (from, to) = range_of(&env.events);
    for (spec, want) in cases {
        let (status, v) = call(
            env.ui,
            Method::POST,
            "/api/vis/data",
            Some(json!({"spec": spec, "timeRange": {"from": from, "to": to}})),
        )
        .await;
        assert_eq!(status, 400, "{spec}: {v}");
        assert_eq!(v["error"]["type"], "bad_request", "{v}");
        let reason = v["error"]["reason"].as_str().expect("reason");
        assert!(reason.contains(want), "{reason:?} should contain {want:?}");
    }
    // the same checks guard saved visualizations
    let (status, v) = call(
        env.ui,
        Method::POST,
        "/api/saved_objects/visualization",
        Some(json!({"attributes": {"title": "x", "spec": base(json!([]), json!([{"id": "1", "type": "sum"}]))}})),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["reason"]
            .as_str()
            .expect("reason")
            .contains("attributes.spec.metrics[0].field"),
        "{v}"
    );
    let (status, v) = call(
        env.ui,
        Method::POST,
        "/api/saved_objects/dashboard",
        Some(json!({"attributes": {"title": "d", "panels": [
            {"panelId": "a", "type": "visualization", "ref": "x", "x": 40, "y": 0, "w": 10, "h": 5}]}})),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["reason"]
            .as_str()
            .expect("reason")
            .contains("attributes.panels[0].w"),
        "{v}"
    );
    let (status, v) = call(
        env.ui,
        Method::POST,
        "/api/vis/data",
        Some(json!({"spec": {"type": "pie", "dataView": "nope", "metrics": [{"id": "1", "type": "count"}]},
                    "timeRange": {"from": from, "to": to}})),
    )
    .await;
    assert_eq!(
        (status, &v["error"]["type"]),
        (404, &json!("not_found")),
        "{v}"
    );
}

/// The "Top hit (last value)" metric against sluice-store's `top_hits`: per user and per hour,
/// the newest event's field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_hit_metric_is_the_newest_events_field() {
    let env = vis_env().await;
    // (the default data view is made on the first look at them)
    let (status, _) = call(env.ui, Method::GET, "/api/data_views", None).await;
    assert_eq!(status, 200);
    let ev = &env.events;
    let (from, to) = range_of(ev);
    let newest = |keep: &dyn Fn(&Value) -> bool| {
        ev.iter()
            .filter(|e| keep(e))
            .max_by_key(|e| ts(e))
            .map(|e| e["message"].clone())
            .expect("an event")
    };
    let spec = json!({"type": "table", "dataView": "python-logs",
        "metrics": [{"id": "1", "type": "count"}, {"id": "t", "type": "top_hit", "field": "message"}],
        "buckets": [{"id": "u", "role": "rows", "type": "terms", "field": "user.keyword", "size": 4}]});
    let got = vis_data(&env, spec, from, to, "UTC").await;
    let mut users = BTreeMap::new();
    for e in ev {
        *users.entry(s(e, "user")).or_insert(0) += 1;
    }
    let (listed, _) = top(&users, 4);
    let want: Vec<Vec<Value>> = listed
        .iter()
        .map(|(u, n)| vec![json!(u), json!(n), newest(&|e: &Value| s(e, "user") == *u)])
        .collect();
    check_rows("top hit by user", &got, &want);
    // by hour: the last message of each hour
    let spec = json!({"type": "table", "dataView": "python-logs",
        "metrics": [{"id": "t", "type": "top_hit", "field": "message"}],
        "buckets": [{"id": "h", "role": "rows", "type": "date_histogram", "interval": "1h"}]});
    let got = vis_data(&env, spec, from, to, "UTC").await;
    let mut hours: BTreeMap<i64, Value> = BTreeMap::new();
    for e in ev {
        let h = ts(e).div_euclid(3_600_000) * 3_600_000;
        hours
            .entry(h)
            .or_insert_with(|| newest(&|x: &Value| ts(x).div_euclid(3_600_000) * 3_600_000 == h));
    }
    let rows = got["rows"].as_array().expect("rows");
    let answered: Vec<&Value> = rows
        .iter()
        .filter(|r| !r[1].is_null())
        .map(|r| &r[1])
        .collect();
    let want: Vec<&Value> = hours.values().collect();
    assert_eq!(answered, want, "{got}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_panels_come_from_one_msearch_and_fail_alone() {
    let env = vis_env().await;
    let (_, views) = call(env.ui, Method::GET, "/api/data_views", None).await;
    assert_eq!(views["default"], "python-logs");
    let (from, to) = range_of(&env.events);
    let pie = json!({"type": "pie", "dataView": "python-logs",
        "metrics": [{"id": "1", "type": "count"}],
        "buckets": [{"id": "2", "role": "x", "type": "terms", "field": "level.keyword"}]});
    let broken = json!({"type": "metric", "dataView": "python-logs",
        "query": {"language": "lucene", "query": "level:(ERROR"},
        "metrics": [{"id": "1", "type": "count"}]});
    for (id, spec) in [("good", &pie), ("broken", &broken)] {
        let (status, v) = call(
            env.ui,
            Method::POST,
            "/api/saved_objects/visualization",
            Some(json!({"id": id, "attributes": {"title": id, "spec": spec}})),
        )
        .await;
        assert_eq!(status, 201, "{v}");
    }
    let panel = |id: &str, kind: &str, r: &str, x: u32| json!({"panelId": id, "type": kind, "ref": r, "x": x, "y": 0, "w": 12, "h": 10});
    let (status, v) = call(
        env.ui,
        Method::POST,
        "/api/saved_objects/dashboard",
        Some(
            json!({"id": "mixed", "attributes": {"title": "Mixed", "panels": [
            panel("p1", "visualization", "good", 0),
            panel("p2", "visualization", "broken", 12),
            panel("p3", "visualization", "gone", 24),
            panel("p4", "search", "python-logs-latest-errors", 36)]}}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let state = json!({"timeRange": {"from": from, "to": to}, "query": {"language": "kuery", "query": "not user:user1"}});
    let (status, v) = call(
        env.ui,
        Method::POST,
        "/api/dashboards/mixed/data",
        Some(state.clone()),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let panels = v["panels"].as_array().expect("panels");
    assert_eq!(panels.len(), 4);
    // the good panel equals the same spec asked for alone, with the global query
    let (_, alone) = call(
        env.ui,
        Method::POST,
        "/api/vis/data",
        Some(json!({"spec": pie, "timeRange": {"from": from, "to": to}, "query": {"language": "kuery", "query": "not user:user1"}})),
    )
    .await;
    assert_eq!(panels[0]["panelId"], "p1");
    assert_eq!(panels[0]["title"], "good");
    assert_eq!(panels[0]["visType"], "pie");
    assert_eq!(panels[0]["data"]["rows"], alone["rows"]);
    let not_user1 = env.events.iter().filter(|e| e["user"] != "user1").count();
    assert_eq!(panels[0]["data"]["meta"]["total"], not_user1);
    // the backend refused the broken one; the missing one is not found; both alone
    assert_eq!(panels[1]["data"], Value::Null);
    assert_eq!(panels[1]["error"]["status"], 400, "{}", panels[1]);
    assert_eq!(panels[2]["error"]["type"], "not_found", "{}", panels[2]);
    assert!(
        panels[2]["error"]["reason"]
            .as_str()
            .expect("reason")
            .contains("visualization/gone")
    );
    // the saved search panel: the latest errors (not of user1), newest first
    let search = &panels[3]["data"];
    let want_errors = env
        .events
        .iter()
        .filter(|e| e["level"] == "ERROR" && e["user"] != "user1")
        .count();
    assert_eq!(search["meta"]["total"], want_errors, "{search}");
    let rows = search["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), want_errors.min(50));
    assert_eq!(search["columns"][0]["id"], "@timestamp");
    let level_col = search["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .position(|c| c["id"] == "level")
        .expect("level column");
    assert!(rows.iter().all(|r| r[level_col] == "ERROR"), "{search}");
    let times: Vec<&str> = rows.iter().map(|r| r[0].as_str().expect("time")).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // a top hit panel beside another: both answered from the one _msearch
    let last = json!({"type": "metric", "dataView": "python-logs",
        "metrics": [{"id": "t", "type": "top_hit", "field": "message"}]});
    let (status, v) = call(
        env.ui,
        Method::POST,
        "/api/saved_objects/visualization",
        Some(json!({"id": "last", "attributes": {"title": "Last message", "spec": last}})),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let mut two = json!({"timeRange": {"from": from, "to": to}});
    two["panels"] = json!([
        panel("a", "visualization", "last", 0),
        panel("b", "visualization", "good", 12)
    ]);
    let (status, v) = call(env.ui, Method::POST, "/api/dashboards/data", Some(two)).await;
    assert_eq!(status, 200, "{v}");
    let newest = env.events.iter().max_by_key(|e| ts(e)).expect("events");
    assert_eq!(v["panels"][0]["error"], Value::Null, "{}", v["panels"][0]);
    assert_eq!(
        v["panels"][0]["data"]["rows"][0][0], newest["message"],
        "{}",
        v["panels"][0]
    );
    let (status, plain) = call(
        env.ui,
        Method::POST,
        "/api/vis/data",
        Some(json!({"spec": pie, "timeRange": {"from": from, "to": to}})),
    )
    .await;
    assert_eq!(status, 200, "{plain}");
    assert_eq!(v["panels"][1]["data"]["rows"], plain["rows"]);

    // an unsaved dashboard: the panels come with the request
    let mut inline = state.clone();
    inline["panels"] = json!([panel("x", "visualization", "good", 0)]);
    let (status, v) = call(env.ui, Method::POST, "/api/dashboards/data", Some(inline)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["panels"][0]["data"]["rows"], alone["rows"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutorial_dashboard_is_made_once_with_its_three_charts() {
    let env = vis_env().await;
    call(env.ui, Method::GET, "/api/data_views", None).await;
    let (status, dash) = call(
        env.ui,
        Method::GET,
        "/api/saved_objects/dashboard/python-logs",
        None,
    )
    .await;
    assert_eq!(status, 200, "{dash}");
    assert_eq!(dash["attributes"]["title"], "Python logs");
    let (from, to) = range_of(&env.events);
    let (status, v) = call(
        env.ui,
        Method::POST,
        "/api/dashboards/python-logs/data",
        Some(json!({"timeRange": {"from": from, "to": to}, "timeZone": "UTC"})),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let titles: Vec<&str> = v["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .map(|p| p["title"].as_str().expect("title"))
        .collect();
    assert_eq!(
        titles,
        [
            "Actions per user",
            "Log levels over time",
            "Average duration per action",
            "Latest errors"
        ]
    );
    for p in v["panels"].as_array().expect("panels") {
        assert_eq!(p["error"], Value::Null, "{p}");
    }
    // actions per user: every user's count (5 users, all listed)
    let mut users = BTreeMap::new();
    for e in &env.events {
        *users.entry(s(e, "user")).or_insert(0u64) += 1;
    }
    let (listed, _) = top(&users, 10);
    let want: Vec<Vec<Value>> = listed
        .iter()
        .map(|(k, n)| vec![json!(k), json!(n)])
        .collect();
    check_rows("actions per user", &v["panels"][0]["data"], &want);
    // levels over time: the counts add up to every event, per level
    let mut per_level: BTreeMap<String, u64> = BTreeMap::new();
    for r in v["panels"][1]["data"]["rows"].as_array().expect("rows") {
        *per_level
            .entry(r[1].as_str().expect("level").to_owned())
            .or_default() += r[2].as_u64().expect("count");
    }
    let mut want_levels = BTreeMap::new();
    for e in &env.events {
        *want_levels.entry(s(e, "level")).or_insert(0u64) += 1;
    }
    assert_eq!(per_level, want_levels);
    // average duration per action: as report computes it
    let rows = v["panels"][2]["data"]["rows"].as_array().expect("rows");
    for r in rows {
        let action = r[0].as_str().expect("action");
        let ds: Vec<f64> = env
            .events
            .iter()
            .filter(|e| e["action"] == action)
            .map(d)
            .collect();
        assert!(
            close(&r[1], &json!(ds.iter().sum::<f64>() / ds.len() as f64)),
            "{r}"
        );
    }
    // deleted, it does not come back
    let (status, _) = call(
        env.ui,
        Method::DELETE,
        "/api/saved_objects/dashboard/python-logs",
        None,
    )
    .await;
    assert_eq!(status, 200);
    call(env.ui, Method::GET, "/api/data_views", None).await;
    let (status, _) = call(
        env.ui,
        Method::GET,
        "/api/saved_objects/dashboard/python-logs",
        None,
    )
    .await;
    assert_eq!(status, 404);
}
