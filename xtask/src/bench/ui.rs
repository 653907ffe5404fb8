//! `cargo xtask bench ui [--docs N] [--runs R] [--es-peer] [--keep]`
//!
//! Discover's speed over a large index on this machine. Builds `sluice-store` and `sluice` in
//! release (with the web bundle), starts the store on `target/bench-ui`, indexes N realistic
//! events (default 1,000,000) spread over the last 24 hours into daily `python-logs-*` indices
//! (`sluice generate --format logstash`, in 5,000-event `_bulk` requests), starts `sluice ui`
//! and measures, as the median of R runs (default 7):
//! - on the server: Discover's first screen (the search with 50 rows and the hits-over-time
//!   histogram, and the field list, as the page sends them at once) and later queries (five
//!   KQL queries, each with rows and histogram), through `sluice ui`'s JSON API;
//! - in the browser (Debian's Chromium driven by `crates/ui/web/e2e/bench.mjs`): from
//!   navigation until the count, the first 50 rows, the histogram and the field list are on
//!   screen, and from pressing Enter on a query until its count and rows are shown;
//! - a six-panel dashboard (pie, stacked bars over time, horizontal bars, line, metric, table):
//!   on the server, `POST /api/dashboards/{id}/data` after a time change (all panels in one
//!   `_msearch`); in the browser (bench.mjs), until all six panels show the new answer.
//!
//! The store is left to finish its background merges (idle 3 s) before anything is measured.
//! Then, COLD_ROUNDS times, the store is restarted and the first screen measured once on the
//! server and once in the browser: a restarted store has an empty memo of what its unchanged
//! segments gave (`store::search::memo`), so these are the figures of a first question.
//!
//! With `--es-peer`, the same events also go into a one-node Elasticsearch from Maven Central
//! (`test_support::peers`, 2 GiB heap, in the same run) and a second `sluice ui` in front of it
//! answers the same six-panel dashboard: its server time is the peer's figure.
//!
//! With `--keep`, the store and `sluice ui` stay up (their addresses printed) until the command
//! is stopped, for profiling them by hand.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use serde_json::{Value, json};

use crate::services::{http, wait_port};
use crate::util;

/// Later queries, as a user types them.
const QUERIES: [&str; 5] = [
    "level:ERROR",
    "level:ERROR and user:user1",
    "action:login or action:logout",
    "not level:INFO",
    "duration > 2",
];

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

fn free() -> anyhow::Result<SocketAddr> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

pub fn run(rest: &[String]) -> anyhow::Result<()> {
    let (mut docs, mut runs, mut es_peer, mut keep) = (1_000_000_usize, 7_usize, false, false);
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--docs" => docs = super::value(&mut it, "--docs")?,
            "--runs" => runs = super::value(&mut it, "--runs")?,
            "--es-peer" => es_peer = true,
            "--keep" => keep = true,
            other => {
                bail!(
                    "unknown option {other}; usage: cargo xtask bench ui [--docs N] [--runs R] [--es-peer] [--keep]"
                )
            }
        }
    }
    ensure!(docs > 0 && runs > 0, "options must be > 0");
    let root = util::root();
    crate::ui::build(false)?;
    util::run(util::cargo().args(["build", "--release", "-p", "store", "-p", "cli"]))?;
    let bin = |n: &str| root.join("target/release").join(n);
    let data = root.join("target/bench-ui");
    let _ = std::fs::remove_dir_all(&data);
    let es = free()?;
    let store = start_store(&bin("sluice-store"), &data, es)?;
    wait_port(es, Duration::from_secs(60))?;
    let started = Instant::now();
    ingest(&bin("sluice"), es, docs)?;
    eprintln!(
        "bench ui: indexed {docs} events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    settle(store.0.id(), "sluice-store");
    let ui_addr = free()?;
    let _ui = Kill(
        Command::new(bin("sluice"))
            .args([
                "ui",
                "--es",
                &format!("http://{es}"),
                "--listen",
                &ui_addr.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting sluice ui")?,
    );
    wait_port(ui_addr, Duration::from_secs(30))?;
    let (status, views) = http(ui_addr, "GET", "/api/data_views", None, None)?;
    ensure!(
        status == 200 && views.contains("python-logs"),
        "no data view: {views}"
    );

    let now = chrono_now_ms();
    let body = |q: &str, rows: bool| {
        json!({"index": "python-logs-*", "timeField": "@timestamp",
               "query": {"language": "kuery", "query": q},
               "from": now - 86_400_000, "to": now, "size": if rows { 50 } else { 0 },
               "histogram": {"interval": "30m"}})
        .to_string()
    };
    let mut first = Vec::new();
    let mut later = Vec::new();
    for r in 0..=runs {
        let t = Instant::now();
        let (a, b) = std::thread::scope(|s| {
            let search =
                s.spawn(|| http(ui_addr, "POST", "/api/search", Some(&body("", true)), None));
            let fields = http(
                ui_addr,
                "GET",
                "/api/fields?pattern=python-logs-*",
                None,
                None,
            );
            (search.join(), fields)
        });
        let first_ms = t.elapsed().as_secs_f64() * 1e3;
        let (sa, sb) = (
            a.map_err(|_| anyhow::anyhow!("search thread panicked"))??,
            b?,
        );
        ensure!(
            sa.0 == 200 && sb.0 == 200,
            "first screen failed: {} {}",
            sa.1,
            sb.1
        );
        let q = QUERIES[r % QUERIES.len()];
        let t = Instant::now();
        let (st, text) = http(ui_addr, "POST", "/api/search", Some(&body(q, true)), None)?;
        let query_ms = t.elapsed().as_secs_f64() * 1e3;
        ensure!(st == 200, "query {q} failed: {text}");
        if r > 0 {
            // run 0 warms the caches up
            first.push(first_ms);
            later.push(query_ms);
        }
    }
    let total: Value = serde_json::from_str(
        &http(ui_addr, "POST", "/api/search", Some(&body("", false)), None)?.1,
    )?;
    println!(
        "bench ui: {} documents in the last 24 h; server (sluice ui API, median of {runs}): \
         first screen {:.0} ms, later query {:.0} ms",
        total["total"],
        median(&mut first),
        median(&mut later)
    );
    let (dash_ms, dash_took) = dashboard_server(ui_addr, runs)?;
    println!(
        "bench ui: dashboard of six panels (one _msearch; sluice ui API, median of {runs}): \
         all panels' data {dash_ms:.0} ms after a time change (server took {dash_took:.0} ms)"
    );
    let script = root.join("crates/ui/web/e2e/bench.mjs");
    if script.is_file() {
        let out = Command::new("node")
            .arg(&script)
            .current_dir(root.join("crates/ui/web"))
            .env("SLUICE_UI_URL", format!("http://{ui_addr}"))
            .env("SLUICE_BENCH_RUNS", runs.to_string())
            .stderr(Stdio::inherit())
            .output()
            .context("running the browser benchmark (node)")?;
        ensure!(out.status.success(), "the browser benchmark failed");
        let v: Value = serde_json::from_slice(&out.stdout).context("browser benchmark output")?;
        println!(
            "bench ui: browser ({}, median of {runs}): first screen {} ms (a new context, settled \
             {} ms; {} ms navigating at once), later query {} ms",
            v["browser"].as_str().unwrap_or("chromium"),
            v["first_screen_median_ms"],
            v["first_screen_settle_ms"],
            v["first_screen_unsettled_median_ms"],
            v["query_median_ms"]
        );
    } else {
        println!(
            "bench ui: {} is missing: no browser figures",
            script.display()
        );
    }
    if let Ok(s) = std::fs::read_to_string(format!("/proc/{}/status", store.0.id()))
        && let Some(l) = s.lines().find(|l| l.starts_with("VmHWM"))
    {
        println!(
            "bench ui: sluice-store peak RSS {}",
            l.trim_start_matches("VmHWM:").trim()
        );
    }
    let mut store = store;
    if script.is_file() {
        // the first screen right after the store starts: its memo of what unchanged segments
        // gave is empty, so this is the figure of a new question
        let (mut server, mut browser) = (Vec::new(), Vec::new());
        for _ in 0..COLD_ROUNDS {
            drop(store);
            store = start_store(&bin("sluice-store"), &data, es)?;
            wait_port(es, Duration::from_secs(60))?;
            settle(store.0.id(), "sluice-store (restarted)");
            let t = Instant::now();
            let (st, text) = http(ui_addr, "POST", "/api/search", Some(&body("", true)), None)?;
            server.push(t.elapsed().as_secs_f64() * 1e3);
            ensure!(st == 200, "first screen failed: {text}");
            drop(store);
            store = start_store(&bin("sluice-store"), &data, es)?;
            wait_port(es, Duration::from_secs(60))?;
            settle(store.0.id(), "sluice-store (restarted)");
            let out = Command::new("node")
                .arg(&script)
                .current_dir(root.join("crates/ui/web"))
                .env("SLUICE_UI_URL", format!("http://{ui_addr}"))
                .env("SLUICE_BENCH_RUNS", "1")
                .env("SLUICE_BENCH_ONLY", "first_screen")
                .stderr(Stdio::inherit())
                .output()
                .context("running the browser benchmark (node)")?;
            ensure!(out.status.success(), "the browser benchmark failed");
            let v: Value =
                serde_json::from_slice(&out.stdout).context("browser benchmark output")?;
            browser.push(v["first_screen_ms"][0].as_f64().unwrap_or(f64::NAN));
        }
        println!(
            "bench ui: first screen right after a store restart (median of {COLD_ROUNDS}): \
             server {:.0} ms, browser {:.0} ms (a new context, settled)",
            median(&mut server),
            median(&mut browser)
        );
    }
    if keep {
        eprintln!(
            "bench ui: --keep: sluice-store at http://{es}, sluice ui at http://{ui_addr} \
             (data in {}) until this command is stopped",
            data.display()
        );
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    drop(store);
    let _ = std::fs::remove_dir_all(&data);
    if es_peer {
        dashboard_on_elasticsearch(&bin("sluice"), docs, runs)?;
    }
    Ok(())
}

/// The same events and the same six-panel dashboard against a one-node Elasticsearch.
fn dashboard_on_elasticsearch(
    sluice: &std::path::Path,
    docs: usize,
    runs: usize,
) -> anyhow::Result<()> {
    use test_support::peers::{Cluster, ClusterConfig};
    let config = ClusterConfig {
        nodes: 1,
        heap_mb: 2048,
        dir: util::root().join("target/peers/bench-ui"),
        ..ClusterConfig::default()
    };
    let (cluster, _children) = Cluster::start(&config)?;
    struct Stop(Cluster);
    impl Drop for Stop {
        fn drop(&mut self) {
            self.0.stop();
        }
    }
    let cluster = Stop(cluster);
    let node = cluster.0.nodes.first().context("the cluster has no node")?;
    let started = Instant::now();
    ingest(sluice, node.http, docs)?;
    eprintln!(
        "bench ui: indexed {docs} events into {} in {:.1} s",
        cluster.0.flavor.name(),
        started.elapsed().as_secs_f64()
    );
    let ui_addr = free()?;
    let _ui = Kill(
        Command::new(sluice)
            .args(["ui", "--es", &node.url(), "--listen", &ui_addr.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting sluice ui in front of Elasticsearch")?,
    );
    wait_port(ui_addr, Duration::from_secs(30))?;
    let (status, views) = http(ui_addr, "GET", "/api/data_views", None, None)?;
    ensure!(
        status == 200 && views.contains("python-logs"),
        "no data view on Elasticsearch: {views}"
    );
    let (dash_ms, dash_took) = dashboard_server(ui_addr, runs)?;
    println!(
        "bench ui: the same dashboard against {} (one _msearch; sluice ui API, median of {runs}): \
         all panels' data {dash_ms:.0} ms after a time change (backend took {dash_took:.0} ms)",
        cluster.0.flavor.name()
    );
    Ok(())
}

/// The six visualizations of the benchmark dashboard (the same ids and specs as
/// `crates/ui/web/e2e/bench.mjs`, which reuses them).
fn bench_visualizations() -> [(&'static str, &'static str, Value); 6] {
    let count = json!([{"id": "1", "type": "count"}]);
    let time = |id: &str| json!({"id": id, "role": "x", "type": "date_histogram", "field": "@timestamp", "interval": "auto"});
    [
        (
            "bench-pie",
            "Bench: events per user",
            json!({"type": "pie", "metrics": count,
            "buckets": [{"id": "2", "role": "x", "type": "terms", "field": "user.keyword", "size": 10}], "params": {"donut": true}}),
        ),
        (
            "bench-levels",
            "Bench: levels over time",
            json!({"type": "bar", "metrics": count,
            "buckets": [time("2"), {"id": "3", "role": "split", "type": "terms", "field": "level.keyword", "size": 5}], "params": {"stacked": true}}),
        ),
        (
            "bench-duration",
            "Bench: average duration per action",
            json!({"type": "hbar", "metrics": [{"id": "1", "type": "avg", "field": "duration"}],
            "buckets": [{"id": "2", "role": "x", "type": "terms", "field": "action.keyword", "size": 10}], "params": {}}),
        ),
        (
            "bench-max",
            "Bench: max duration over time",
            json!({"type": "line", "metrics": [{"id": "1", "type": "max", "field": "duration"}],
            "buckets": [time("2")], "params": {}}),
        ),
        (
            "bench-metric",
            "Bench: events and users",
            json!({"type": "metric", "metrics": [{"id": "1", "type": "count"}, {"id": "2", "type": "cardinality", "field": "user.keyword"}],
            "buckets": [], "params": {}}),
        ),
        (
            "bench-table",
            "Bench: level by action",
            json!({"type": "table", "metrics": count,
            "buckets": [{"id": "2", "role": "rows", "type": "terms", "field": "level.keyword", "size": 5},
                        {"id": "3", "role": "rows", "type": "terms", "field": "action.keyword", "size": 10}], "params": {}}),
        ),
    ]
}

/// Writes a saved object (create, or replace when it exists).
fn put_object(ui: SocketAddr, kind: &str, id: &str, attributes: &Value) -> anyhow::Result<()> {
    let (st, _) = http(
        ui,
        "GET",
        &format!("/api/saved_objects/{kind}/{id}"),
        None,
        None,
    )?;
    let (method, path, body) = if st == 200 {
        (
            "PUT",
            format!("/api/saved_objects/{kind}/{id}"),
            json!({"attributes": attributes}),
        )
    } else {
        (
            "POST",
            format!("/api/saved_objects/{kind}"),
            json!({"id": id, "attributes": attributes}),
        )
    };
    let (st, text) = http(ui, method, &path, Some(&body.to_string()), None)?;
    ensure!(st == 200 || st == 201, "saving {kind}/{id} failed: {text}");
    Ok(())
}

/// The six-panel dashboard's data through `POST /api/dashboards/{id}/data`, after a time
/// change each run (the last 24 h, 23 h, ...): the median wall time and the median of the
/// server's own `took`, in ms.
fn dashboard_server(ui: SocketAddr, runs: usize) -> anyhow::Result<(f64, f64)> {
    let mut panels = Vec::new();
    for (i, (id, title, mut spec)) in bench_visualizations().into_iter().enumerate() {
        spec["dataView"] = json!("python-logs");
        put_object(
            ui,
            "visualization",
            id,
            &json!({"title": title, "spec": spec}),
        )?;
        panels.push(
            json!({"panelId": format!("p{}", i + 1), "type": "visualization", "ref": id,
                           "x": (i % 2) * 24, "y": (i / 2) * 15, "w": 24, "h": 15}),
        );
    }
    put_object(
        ui,
        "dashboard",
        "bench-dashboard",
        &json!({"title": "Bench: six panels", "panels": panels}),
    )?;
    let now = chrono_now_ms();
    let mut wall = Vec::new();
    let mut took = Vec::new();
    for r in 0..=runs {
        let hours = 24 - i64::try_from(r % 12).unwrap_or(0);
        let body =
            json!({"timeRange": {"from": now - hours * 3_600_000, "to": now}, "timeZone": "UTC"});
        let t = Instant::now();
        let (st, text) = http(
            ui,
            "POST",
            "/api/dashboards/bench-dashboard/data",
            Some(&body.to_string()),
            None,
        )?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        ensure!(st == 200, "dashboard data failed: {text}");
        let v: Value = serde_json::from_str(&text)?;
        let panels = v["panels"].as_array().map_or(&[][..], Vec::as_slice);
        ensure!(
            panels.len() == 6 && panels.iter().all(|p| p["error"].is_null()),
            "a dashboard panel failed: {text}"
        );
        if r > 0 {
            wall.push(ms);
            #[allow(clippy::cast_precision_loss)]
            took.push(v["took"].as_u64().unwrap_or(0) as f64);
        }
    }
    Ok((median(&mut wall), median(&mut took)))
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Indexes `docs` realistic events of the last 24 h into daily indices, 5,000 per `_bulk`,
/// on two connections.
/// Rounds of the first screen measured right after a restart of the store.
const COLD_ROUNDS: usize = 3;

fn start_store(
    bin: &std::path::Path,
    data: &std::path::Path,
    es: SocketAddr,
) -> anyhow::Result<Kill> {
    Ok(Kill(
        Command::new(bin)
            .arg("--data-dir")
            .arg(data)
            .args(["--listen", &es.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting sluice-store")?,
    ))
}

/// Waits (at most 3 minutes) until the process `pid` has been idle for 3 s in a row (under 5 %
/// of a core): after a large ingest the store is still merging segments in the background, and
/// searches measured beside that measure the merge as well.
fn settle(pid: u32, what: &str) {
    let started = Instant::now();
    let mut quiet = 0;
    let mut last = super::store::server_cpu_secs(pid);
    while quiet < 3 && started.elapsed() < Duration::from_secs(180) {
        std::thread::sleep(Duration::from_secs(1));
        let now = super::store::server_cpu_secs(pid);
        quiet = match (last, now) {
            (Some(a), Some(b)) if b - a < 0.05 => quiet + 1,
            (Some(_), Some(_)) => 0,
            // no /proc: nothing to wait for
            _ => 3,
        };
        last = now;
    }
    eprintln!(
        "bench ui: {what} idle (3 s in a row) after {:.0} s",
        started.elapsed().as_secs_f64()
    );
}

fn ingest(sluice: &std::path::Path, es: SocketAddr, docs: usize) -> anyhow::Result<()> {
    let out = Command::new(sluice)
        .args([
            "generate",
            "--count",
            &docs.to_string(),
            "--profile",
            "realistic",
        ])
        .args(["--since", "24h", "--format", "logstash", "--seed", "7"])
        .output()
        .context("sluice generate")?;
    ensure!(out.status.success(), "sluice generate failed");
    let text = String::from_utf8(out.stdout).context("generated events are UTF-8")?;
    let lines: Vec<&str> = text.lines().collect();
    let bodies: Vec<String> = lines
        .chunks(5_000)
        .map(|chunk| {
            let mut b = String::with_capacity(chunk.len() * 300);
            for l in chunk {
                // the daily index of the event, as the agent's python-logs-%{+YYYY.MM.dd} names it
                let day = l
                    .find("\"@timestamp\":\"")
                    .and_then(|i| l.get(i + 14..i + 24))
                    .unwrap_or("1970-01-01")
                    .replace('-', ".");
                b.push_str(&format!(
                    "{{\"index\":{{\"_index\":\"python-logs-{day}\"}}}}\n"
                ));
                b.push_str(l);
                b.push('\n');
            }
            b
        })
        .collect();
    let half = bodies.len().div_ceil(2);
    std::thread::scope(|s| -> anyhow::Result<()> {
        let handles: Vec<_> = bodies
            .chunks(half.max(1))
            .map(|part| {
                s.spawn(move || -> anyhow::Result<()> {
                    for b in part {
                        let (st, text) = http(es, "POST", "/_bulk", Some(b), None)?;
                        ensure!(
                            st == 200 && text.contains("\"errors\":false"),
                            "bulk failed: {}",
                            &text[..text.len().min(300)]
                        );
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("bulk thread panicked"))??;
        }
        Ok(())
    })?;
    let (st, _) = http(es, "POST", "/_refresh", None, None)?;
    ensure!(st == 200, "refresh failed");
    Ok(())
}
