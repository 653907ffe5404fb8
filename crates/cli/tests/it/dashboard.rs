//! `sluice report --dashboard` prints exactly what `sluice ui` answers for the same dashboard,
//! and draws it for a terminal and as HTML.

use std::process::Command;
use std::time::Duration;

use es_client::{Client, ClientConfig, Request};
use serde_json::{Value, json};

fn client(url: &str) -> Client {
    let mut c = ClientConfig::new(url);
    c.product_check = false;
    c.max_retries = 0;
    c.request_timeout = Duration::from_secs(20);
    Client::new(c).expect("client")
}

/// Removes every `took` (timings differ between two runs of the same request).
fn without_took(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("took");
            m.values_mut().for_each(without_took);
        }
        Value::Array(a) => a.iter_mut().for_each(without_took),
        _ => {}
    }
}

#[test]
fn report_dashboard_json_equals_the_ui_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server =
        store::http::spawn(store::http::ServerConfig::new(dir.path()).disk_threshold(false))
            .expect("store");
    let url = server.url();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // 400 events with @timestamp, as the agent indexes them
    let mut generator = generator::Generator::new(generator::GeneratorConfig {
        seed: 5,
        format: generator::Format::Logstash,
        ..generator::GeneratorConfig::default()
    })
    .expect("generator");
    let events: Vec<generator::Event> = (&mut generator).take(400).collect();
    let mut body = Vec::new();
    let mut times = Vec::new();
    for e in &events {
        body.extend_from_slice(b"{\"index\":{}}\n");
        let mut line = Vec::new();
        generator.write_line(e, &mut line);
        let v: Value = serde_json::from_slice(&line).expect("event");
        let t = chrono::DateTime::parse_from_rfc3339(v["@timestamp"].as_str().expect("ts"))
            .expect("rfc3339");
        times.push(t.timestamp_millis());
        body.extend_from_slice(&line);
    }
    let es = client(&url);
    rt.block_on(
        es.send(
            Request::new(
                http::Method::POST,
                "/python-logs-2026.01.01/_bulk?refresh=true",
            )
            .body(bytes::Bytes::from(body), es_client::ContentType::Ndjson),
        ),
    )
    .expect("bulk");
    let (from, to) = (
        *times.iter().min().expect("events"),
        *times.iter().max().expect("events"),
    );

    // the report first (it makes the tutorial's dashboard, as the UI's first start does)
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args([
            "report",
            "--dashboard",
            "Python logs",
            "--json",
            "--es",
            &url,
        ])
        .args(["--from", &from.to_string(), "--to", &to.to_string()])
        .env_remove("ELASTICSEARCH_URL")
        .output()
        .expect("run sluice");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut report: Value = serde_json::from_slice(&out.stdout).expect("report json");

    // the UI's answer for the same dashboard, time range and zone
    let api = ui::Api::new(
        client(&url),
        ui::ErrorContext {
            backend: url.clone(),
            credentials: "no credentials".into(),
        },
    );
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    rt.spawn(ui::serve(listener, api, ui::UiConfig::default(), async {
        let _ = stopped.await;
    }));
    let req = Request::new(http::Method::POST, "/api/dashboards/python-logs/data")
        .json(
            &json!({"timeRange": {"from": from, "to": to}, "timeZone": "UTC",
                      "query": {"language": "kuery", "query": ""}, "filters": []}),
        )
        .expect("json");
    let resp = rt
        .block_on(client(&format!("http://{addr}")).send(req))
        .expect("ui answers");
    let mut api_answer: Value = resp.json().expect("json");
    without_took(&mut report);
    without_took(&mut api_answer);
    assert_eq!(report, api_answer);
    let panels = report["panels"].as_array().expect("panels");
    assert_eq!(panels.len(), 4);
    assert!(panels.iter().all(|p| p["error"].is_null()), "{report}");
    assert_eq!(panels[0]["data"]["meta"]["total"], 400);

    // the same dashboard for a terminal and as one HTML page
    let html = dir.path().join("dash.html");
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args([
            "report",
            "--dashboard",
            "python-logs",
            "--es",
            &url,
            "--html",
        ])
        .arg(&html)
        .args(["--from", &from.to_string(), "--to", &to.to_string()])
        .env_remove("ELASTICSEARCH_URL")
        .output()
        .expect("run sluice");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    for title in [
        "Actions per user",
        "Log levels over time",
        "Average duration per action",
        "Latest errors",
    ] {
        assert!(text.contains(title), "{title} missing from:\n{text}");
    }
    let page = std::fs::read_to_string(&html).expect("html");
    assert_eq!(page.matches("<svg").count(), 3, "three charts");
    assert_eq!(page.matches("role=\"region\"").count(), 4);

    // a dashboard that does not exist is named, with those that do
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["report", "--dashboard", "nope", "--es", &url])
        .env_remove("ELASTICSEARCH_URL")
        .output()
        .expect("run sluice");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no dashboard with the id or title [nope]; dashboards: [Python logs]"),
        "{err}"
    );
    let _ = stop.send(());
}
