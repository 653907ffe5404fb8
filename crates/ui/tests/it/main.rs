//! `sluice ui`'s server against a real `sluice-store` (in-process), through its JSON API as
//! the browser uses it: data views, Discover searches (KQL checked against a brute-force
//! evaluation over the same generated events), paging, saved objects, errors and recovery,
//! authentication.

mod kql_vs_brute_force;
mod visualize;

use std::net::SocketAddr;
use std::time::Duration;

use es_client::{Client, ClientConfig, Request};
use http::Method;
use serde_json::{Value, json};
use store::http::{RunningServer, ServerConfig, spawn};

/// A store with generated events, and a UI server in front of it.
pub struct Env {
    pub store: Option<RunningServer>,
    pub dir: tempfile::TempDir,
    pub store_addr: SocketAddr,
    pub ui: SocketAddr,
    pub events: Vec<Value>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub fn client(addr: SocketAddr) -> Client {
    let mut c = ClientConfig::new(format!("http://{addr}"));
    c.product_check = false;
    c.max_retries = 0;
    c.request_timeout = Duration::from_secs(20);
    Client::new(c).expect("client")
}

/// `count` events of the seed profile, indexed into `python-logs-2026.01.01`.
pub async fn env(count: u64, users: Vec<(String, String)>) -> Env {
    env_with(
        count,
        users,
        generator::GeneratorConfig::default().timeline,
        |_, _| {},
    )
    .await
}

/// As [`env`], with another timeline, and `edit` applied to each event before it is indexed.
pub async fn env_with(
    count: u64,
    users: Vec<(String, String)>,
    timeline: generator::Timeline,
    edit: impl Fn(usize, &mut Value),
) -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = spawn(ServerConfig::new(dir.path()).disk_threshold(false)).expect("store");
    let store_addr = store.addr();
    let mut generator = generator::Generator::new(generator::GeneratorConfig {
        seed: 11,
        timeline,
        ..generator::GeneratorConfig::default()
    })
    .expect("generator");
    let made: Vec<generator::Event> = (&mut generator)
        .take(usize::try_from(count).expect("count"))
        .collect();
    let mut events = Vec::new();
    let mut body = String::new();
    for (i, e) in made.iter().enumerate() {
        let mut line = Vec::new();
        generator.write_line(e, &mut line);
        let mut v: Value = serde_json::from_slice(&line).expect("event json");
        // the agent's shape: @timestamp
        if let Some(ts) = v.as_object_mut().and_then(|o| o.remove("timestamp")) {
            v["@timestamp"] = ts;
        }
        edit(i, &mut v);
        body.push_str("{\"index\":{}}\n");
        body.push_str(&v.to_string());
        body.push('\n');
        events.push(v);
    }
    let es = client(store_addr);
    let resp = es
        .send(
            Request::new(Method::POST, "/python-logs-2026.01.01/_bulk?refresh=true")
                .body(bytes::Bytes::from(body), es_client::ContentType::Ndjson),
        )
        .await
        .expect("bulk");
    let v: Value = resp.json().expect("bulk json");
    assert_eq!(v["errors"], false);
    let (ui, stop) = start_ui(store_addr, users).await;
    Env {
        store: Some(store),
        dir,
        store_addr,
        ui,
        events,
        _stop: stop,
    }
}

pub async fn start_ui(
    backend: SocketAddr,
    users: Vec<(String, String)>,
) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let mut config = ClientConfig::new(format!("http://{backend}"));
    config.max_retries = 0;
    config.request_timeout = Duration::from_secs(20);
    let api = ui::Api::new(
        Client::new(config).expect("client"),
        ui::ErrorContext {
            backend: format!("http://{backend}"),
            credentials: "no credentials".into(),
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(ui::serve(listener, api, ui::UiConfig { users }, async {
        let _ = rx.await;
    }));
    (addr, tx)
}

/// Calls the UI API; returns status and JSON body.
pub async fn call(ui: SocketAddr, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = Request::new(method, path);
    if let Some(b) = body {
        req = req.json(&b).expect("json");
    }
    let resp = client(ui).send_raw(req).await.expect("ui answers");
    let v = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    (resp.status, v)
}

fn search_req(query: &str, extra: &Value) -> Value {
    let mut v =
        json!({"index": "python-logs-*", "timeField": "@timestamp", "query": {"query": query}});
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_views_are_created_listed_and_deleted() {
    let env = env(50, Vec::new()).await;
    // the tutorial's data view appears by itself, with its time field
    let (status, v) = call(env.ui, Method::GET, "/api/data_views", None).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["data_views"],
        json!([{"id": "python-logs", "title": "python-logs-*", "timeField": "@timestamp"}])
    );
    assert_eq!(v["default"], "python-logs");
    // a pattern that matches nothing is allowed, with a warning
    let (status, v) = call(
        env.ui,
        Method::POST,
        "/api/data_views",
        Some(json!({"title": "later-*", "timeField": "@timestamp"})),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["warning"], "no index matches [later-*] yet");
    let later = v["data_view"]["id"].as_str().expect("id").to_owned();
    // one data view per pattern
    let (status, v) = call(
        env.ui,
        Method::POST,
        "/api/data_views",
        Some(json!({"title": "later-*"})),
    )
    .await;
    assert_eq!(status, 409, "{v}");
    assert_eq!(v["error"]["type"], "conflict");
    // a time field that is not a date is refused by name
    let (status, v) = call(
        env.ui,
        Method::POST,
        "/api/data_views",
        Some(json!({"title": "python-logs-*", "timeField": "level"})),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["reason"]
            .as_str()
            .expect("reason")
            .contains("[level] is not a date field"),
        "{v}"
    );
    let (status, v) = call(
        env.ui,
        Method::POST,
        &format!("/api/data_views/{later}/default"),
        None,
    )
    .await;
    assert_eq!((status, v["default"].as_str()), (200, Some(later.as_str())));
    let (status, _) = call(
        env.ui,
        Method::DELETE,
        &format!("/api/data_views/{later}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (_, v) = call(env.ui, Method::GET, "/api/data_views", None).await;
    assert_eq!(v["data_views"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["default"], Value::Null);
    // the one made on first start does not come back once deleted
    let (status, _) = call(env.ui, Method::DELETE, "/api/data_views/python-logs", None).await;
    assert_eq!(status, 200);
    let (_, v) = call(env.ui, Method::GET, "/api/data_views", None).await;
    assert_eq!(v["data_views"], json!([]));
    let (status, v) = call(
        env.ui,
        Method::GET,
        "/api/fields?pattern=python-logs-*",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let names: Vec<&str> = v["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    for want in ["@timestamp", "level", "level.keyword", "user", "duration"] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_pages_with_search_after_and_counts_agree() {
    let env = env(230, Vec::new()).await;
    // the generated events start at 2026-01-01T00:00:00Z, one a second
    let from = 1_767_225_600_000_i64;
    let to = from + 86_400_000;
    let base = json!({"from": from, "to": to, "size": 50, "histogram": {"interval": "1h"}});
    let (status, first) = call(
        env.ui,
        Method::POST,
        "/api/search",
        Some(search_req("", &base)),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["total"], 230);
    let buckets: u64 = first["histogram"]["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| b["count"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(buckets, 230);
    let mut seen = std::collections::BTreeSet::new();
    let mut page = first;
    let mut last_time = i64::MAX;
    loop {
        let hits = page["hits"].as_array().expect("hits").clone();
        if hits.is_empty() {
            break;
        }
        for h in &hits {
            assert!(
                seen.insert(h["_id"].as_str().expect("id").to_owned()),
                "a hit came twice"
            );
            let t = h["sort"][0].as_i64().expect("sort value");
            assert!(t <= last_time, "newest first");
            last_time = t;
        }
        let after = hits.last().map(|h| h["sort"].clone()).expect("last");
        let next = json!({"from": from, "to": to, "size": 50, "searchAfter": after});
        let (status, p) = call(
            env.ui,
            Method::POST,
            "/api/search",
            Some(search_req("", &next)),
        )
        .await;
        assert_eq!(status, 200, "{p}");
        page = p;
    }
    assert_eq!(seen.len(), 230);
    // filters: include, exclude, disabled; the count agrees with the hits
    let level = env.events[0]["level"].as_str().expect("level");
    let with = |negate: bool, disabled: bool| json!({"filters": [{"field": "level", "value": level, "negate": negate, "disabled": disabled}], "size": 0});
    let n_in = env.events.iter().filter(|e| e["level"] == level).count() as u64;
    for (negate, disabled, want) in [
        (false, false, n_in),
        (true, false, 230 - n_in),
        (false, true, 230),
    ] {
        let (_, v) = call(
            env.ui,
            Method::POST,
            "/api/search",
            Some(search_req("", &with(negate, disabled))),
        )
        .await;
        assert_eq!(v["total"], want, "negate={negate} disabled={disabled}");
        let (_, c) = call(
            env.ui,
            Method::POST,
            "/api/count",
            Some(search_req("", &with(negate, disabled))),
        )
        .await;
        assert_eq!(c["count"], want);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_errors_are_shown_with_their_position_and_reason() {
    let env = env(10, Vec::new()).await;
    let (status, v) = call(
        env.ui,
        Method::POST,
        "/api/search",
        Some(search_req("level:", &json!({}))),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["type"], "kql_syntax_error");
    assert_eq!(
        v["error"]["position"],
        json!({"offset": 6, "line": 1, "column": 7})
    );
    let lucene = json!({"query": {"language": "lucene", "query": "level:(ERROR"}});
    let (status, v) = call(
        env.ui,
        Method::POST,
        "/api/search",
        Some(search_req("", &lucene)),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["reason"]
            .as_str()
            .expect("reason")
            .contains("Cannot parse"),
        "{v}"
    );
    let (status, v) = call(
        env.ui,
        Method::POST,
        "/api/search",
        Some(json!({"index": "nothing-here", "query": {"query": ""}})),
    )
    .await;
    assert_eq!(status, 404, "{v}");
    assert_eq!(v["error"]["type"], "index_not_found_exception");
    assert!(v["error"]["hint"].as_str().is_some());
    let (status, v) = call(
        env.ui,
        Method::POST,
        "/api/search",
        Some(json!({"index": "a", "colums": []})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        v["error"]["reason"]
            .as_str()
            .expect("reason")
            .contains("unknown field `colums`"),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_objects_round_trip_through_export_and_import() {
    let env = env(5, Vec::new()).await;
    let attrs = json!({"title": "Errors", "query": {"language": "kuery", "query": "level:ERROR"}, "columns": ["message"]});
    let (status, created) = call(
        env.ui,
        Method::POST,
        "/api/saved_objects/search",
        Some(json!({"attributes": attrs})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let (_, list) = call(env.ui, Method::GET, "/api/saved_objects?type=search", None).await;
    assert_eq!(list["saved_objects"][0]["attributes"], attrs);
    let (status, _) = call(
        env.ui,
        Method::PUT,
        &format!("/api/saved_objects/search/{id}"),
        Some(json!({"attributes": {"title": "Renamed"}})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, v) = call(
        env.ui,
        Method::POST,
        "/api/saved_objects/widget",
        Some(json!({"attributes": {}})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        v["error"]["reason"]
            .as_str()
            .expect("reason")
            .contains("unknown saved object type [widget]")
    );
    // export, delete, import: the same object comes back
    let api = ui::Api::new(
        client(env.store_addr),
        ui::ErrorContext {
            backend: String::new(),
            credentials: String::new(),
        },
    );
    let exported = api.saved().export().await.expect("export");
    assert!(exported.contains("Renamed"), "{exported}");
    let (status, _) = call(
        env.ui,
        Method::DELETE,
        &format!("/api/saved_objects/search/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        env.ui,
        Method::DELETE,
        &format!("/api/saved_objects/search/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let bad_line = "{\"type\":\"search\"}\n";
    let summary = api
        .saved()
        .import(&format!("{exported}{bad_line}"))
        .await
        .expect("import");
    assert_eq!(summary.errors.len(), 1, "{:?}", summary.errors);
    assert_eq!(summary.errors[0]["line"], exported.lines().count() + 1);
    let (_, got) = call(
        env.ui,
        Method::GET,
        &format!("/api/saved_objects/search/{id}"),
        None,
    )
    .await;
    assert_eq!(got["attributes"]["title"], "Renamed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_backend_is_reported_and_recovered_from() {
    let mut env = env(20, Vec::new()).await;
    let req = search_req("", &json!({"size": 1}));
    assert_eq!(
        call(env.ui, Method::POST, "/api/search", Some(req.clone()))
            .await
            .0,
        200
    );
    env.store
        .take()
        .expect("store")
        .shutdown()
        .expect("stop store");
    let (status, v) = call(env.ui, Method::POST, "/api/search", Some(req.clone())).await;
    assert_eq!(status, 502, "{v}");
    assert_eq!(v["error"]["type"], "backend_unreachable");
    let (status, v) = call(env.ui, Method::GET, "/api/status", None).await;
    assert_eq!((status, &v["backend"]["ok"]), (200, &json!(false)));
    // the same port and data again: the UI answers without being restarted
    let mut config = ServerConfig::new(env.dir.path()).disk_threshold(false);
    config.listen = env.store_addr;
    env.store = Some(spawn(config).expect("restart store"));
    let (status, v) = call(env.ui, Method::POST, "/api/search", Some(req)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["total"], 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_users_must_authenticate() {
    let env = env(1, vec![("kim".into(), "s3cret".into())]).await;
    let (status, v) = call(env.ui, Method::GET, "/api/status", None).await;
    assert_eq!(status, 401, "{v}");
    let mut config = ClientConfig::new(format!("http://{}", env.ui));
    config.product_check = false;
    config.max_retries = 0;
    for (pass, want) in [("wrong", 401), ("s3cret", 200)] {
        config.auth = Some(es_client::Auth::basic("kim", pass));
        let c = Client::new(config.clone()).expect("client");
        let r = c
            .send_raw(Request::new(Method::GET, "/api/status"))
            .await
            .expect("answer");
        assert_eq!(r.status, want, "{pass}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutorial_report_page_is_served() {
    let env = env(40, Vec::new()).await;
    let resp = client(env.ui)
        .send_raw(Request::new(Method::GET, "/report?index=python-logs-*"))
        .await
        .expect("answer");
    assert_eq!(resp.status, 200);
    let html = String::from_utf8_lossy(&resp.body);
    assert_eq!(
        html.matches("<svg").count(),
        3,
        "the tutorial's three charts"
    );
    let resp = client(env.ui)
        .send_raw(Request::new(
            Method::GET,
            "/report?index=python-logs-*&since=soon",
        ))
        .await
        .expect("answer");
    assert_eq!(resp.status, 502);
}
