//! `cargo xtask demo`: the seed end to end on the embedded default.
//!
//! sluice-store (with Basic auth, as the seed's Elasticsearch has) ← sluice-agent running the
//! seed's pipeline (tcp 5000 json_lines → mutate convert duration → elasticsearch
//! `python-logs-%{+YYYY.MM.dd}` + stdout rubydebug) ← the shipper (the seed's Example 1 in
//! Rust, then a day of realistic back-filled events), and `sluice send` (the seed's Example 2,
//! straight to the store). Then `sluice report` draws the seed's three Kibana charts.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::services::{Service, http, pick_port, poll};
use crate::util;

/// Options of `cargo xtask demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Leave sluice-store and sluice-agent running after the report.
    #[arg(long)]
    pub keep_running: bool,
    /// Back-filled events over the last 24 h, shipped through the agent.
    #[arg(long, default_value_t = 20_000)]
    pub events: u64,
    /// Events of the seed's Example 2 (`sluice send`, one `_doc` request each).
    #[arg(long, default_value_t = 50)]
    pub send: u64,
    /// A short run for `cargo xtask test`: 2,000 back-filled events.
    #[arg(long)]
    pub quick: bool,
    /// Build and run the release profile.
    #[arg(long)]
    pub release: bool,
}

const USER: &str = "elastic";
const PASSWORD: &str = "changeme";
/// How many events of the agent's rubydebug output the demo shows.
const SHOWN_EVENTS: usize = 3;

pub fn run(args: &Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let events = if args.quick { 2_000 } else { args.events };
    let root = util::root();
    let dir = root.join("target/demo");
    let profile = if args.release { "release" } else { "debug" };
    let bin = |name: &str| root.join("target").join(profile).join(name);

    step("build", || {
        // `sluice` embeds the web UI: build the bundle first when it is missing
        crate::ui::build(false)?;
        let mut cmd = util::cargo();
        cmd.args([
            "build", "--quiet", "-p", "store", "-p", "agent", "-p", "cli",
        ]);
        cmd.args(["-p", "shipper", "--bins", "--example", "example1"]);
        if args.release {
            cmd.arg("--release");
        }
        util::run(&mut cmd)
    })?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;

    let es = pick_port(9200)?;
    let tcp = pick_port(5000)?;
    let api = pick_port(9600)?;
    let es_url = format!("http://{es}");
    let auth = Some((USER, PASSWORD));

    let mut store = step("start sluice-store", || {
        let mut s = Service::start(
            "sluice-store",
            Command::new(bin("sluice-store"))
                .arg("--data-dir")
                .arg(dir.join("store"))
                .args([
                    "--listen",
                    &es.to_string(),
                    "--user",
                    &format!("{USER}:{PASSWORD}"),
                    // a throwaway data directory: a nearly full disk must not stop the demo
                    "--disk-threshold-enabled",
                    "false",
                ]),
            &dir.join("store.log"),
        )?;
        poll(
            "sluice-store to answer GET /",
            Duration::from_secs(30),
            || {
                s.check_running()?;
                Ok(http(es, "GET", "/", None, auth)
                    .ok()
                    .filter(|(c, _)| *c == 200))
            },
        )?;
        Ok(s)
    })?;

    let conf = dir.join("logstash.conf");
    std::fs::write(&conf, pipeline(&es_url, tcp.port()))?;
    let mut agent = step("start sluice-agent", || {
        let mut a = Service::start(
            "sluice-agent",
            Command::new(bin("sluice-agent"))
                .arg("-f")
                .arg(&conf)
                .args(["--http", &api.to_string()]),
            &dir.join("agent.log"),
        )?;
        poll(
            "sluice-agent to accept tcp connections",
            Duration::from_secs(30),
            || {
                a.check_running()?;
                Ok(std::net::TcpStream::connect(tcp).ok().map(|_| ()))
            },
        )?;
        Ok(a)
    })?;

    println!("== The seed's Example 1 in Rust: tracing → shipper → sluice-agent tcp {tcp}");
    step("example 1 (shipper)", || {
        util::run(
            Command::new(root.join("target").join(profile).join("examples/example1"))
                .args(["--host", "127.0.0.1", "--port", &tcp.port().to_string()])
                .args(["--count", "100", "--database"])
                .arg(dir.join("example1.db")),
        )
    })?;

    println!("== A day of realistic events, back-filled over 24 h: sluice ship → sluice-agent");
    step("back-fill (sluice ship)", || {
        util::run(
            Command::new(bin("sluice"))
                .args([
                    "ship",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &tcp.port().to_string(),
                ])
                .args([
                    "--count",
                    &events.to_string(),
                    "--profile",
                    "realistic",
                    "--since",
                    "24h",
                ])
                .arg("--database")
                .arg(dir.join("ship.db")),
        )
    })?;

    println!("== The seed's Example 2: sluice send → sluice-store (one POST _doc each)");
    step("example 2 (sluice send)", || {
        util::run(
            Command::new(bin("sluice"))
                .args([
                    "send",
                    "--es",
                    &es_url,
                    "--user",
                    USER,
                    "--password",
                    PASSWORD,
                ])
                .args(["--count", &args.send.to_string(), "--index", "python-logs"]),
        )
    })?;

    let via_agent = 100 + events;
    step("wait until every event is searchable", || {
        let mut wait = |index: &str, want: u64| {
            poll(
                &format!("{want} documents in [{index}]"),
                Duration::from_secs(90),
                || {
                    agent.check_running()?;
                    let (code, body) = http(es, "GET", &format!("/{index}/_count"), None, auth)?;
                    let n = serde_json::from_str::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v["count"].as_u64());
                    Ok((code == 200 && n == Some(want)).then_some(()))
                },
            )
        };
        wait("python-logs-*", via_agent)?;
        wait("python-logs", args.send)
    })?;
    println!(
        "   {via_agent} events in python-logs-* (through the agent), {} in python-logs (direct)",
        args.send
    );

    println!("\n== sluice-agent's stdout (rubydebug), first {SHOWN_EVENTS} events:");
    print!("{}", first_events(&agent.log, SHOWN_EVENTS));

    println!("\n== sluice report (the seed's Kibana charts, from aggregations)\n");
    let html = dir.join("report.html");
    let png = dir.join("report.png");
    step("report", || {
        util::run(
            Command::new(bin("sluice"))
                .args([
                    "report",
                    "--es",
                    &es_url,
                    "--user",
                    USER,
                    "--password",
                    PASSWORD,
                ])
                .args(["--index", "python-logs-*", "--html"])
                .arg(&html)
                .arg("--png")
                .arg(&png),
        )
    })?;

    println!("\n== sluice ui (Kibana's role): data views, Discover, Visualize, Dashboard");
    let ui_addr = pick_port(5601)?;
    let mut ui = step("start sluice ui", || {
        let mut u = Service::start(
            "sluice ui",
            Command::new(bin("sluice"))
                .args([
                    "ui",
                    "--es",
                    &es_url,
                    "--user",
                    USER,
                    "--password",
                    PASSWORD,
                ])
                .args(["--listen", &ui_addr.to_string()]),
            &dir.join("ui.log"),
        )?;
        // the tutorial's data view appears by itself once python-logs-* exists
        poll(
            "sluice ui to list the python-logs-* data view",
            Duration::from_secs(30),
            || {
                u.check_running()?;
                Ok(http(ui_addr, "GET", "/api/data_views", None, None)
                    .ok()
                    .filter(|(c, body)| *c == 200 && body.contains("python-logs-*")))
            },
        )?;
        Ok(u)
    })?;
    let ui_url = format!("http://{ui_addr}/app/discover");
    // the tutorial's dashboard is made with the data view, on the UI's first start
    step("the tutorial's dashboard", || {
        poll(
            "sluice ui to make the Python logs dashboard",
            Duration::from_secs(30),
            || {
                ui.check_running()?;
                Ok(http(
                    ui_addr,
                    "GET",
                    "/api/saved_objects/dashboard/python-logs",
                    None,
                    None,
                )
                .ok()
                .filter(|(c, _)| *c == 200))
            },
        )
    })?;
    let dashboard_url = format!("http://{ui_addr}/app/dashboards/view/python-logs");
    println!(
        "\n== sluice report --dashboard \"Python logs\" (the same panels, computed as the UI does)\n"
    );
    step("report --dashboard", || {
        util::run(
            Command::new(bin("sluice"))
                .args([
                    "report",
                    "--es",
                    &es_url,
                    "--user",
                    USER,
                    "--password",
                    PASSWORD,
                ])
                .args(["--dashboard", "Python logs"]),
        )
    })?;

    println!("\n== Done in {:.1} s", started.elapsed().as_secs_f64());
    println!(
        "   report:        {}\n                  {}",
        html.display(),
        png.display()
    );
    println!(
        "   sluice-store:  {es_url} (user {USER}, password {PASSWORD}), log {}",
        store.log.display()
    );
    println!(
        "   sluice-agent:  tcp {tcp}, monitoring http://{api}/_node/stats/pipelines, log {}",
        agent.log.display()
    );
    println!("   sluice ui:     {ui_url}, log {}", ui.log.display());
    println!("   dashboard:     {dashboard_url}");
    if args.keep_running {
        let (a, s, u) = (agent.detach(), store.detach(), ui.detach());
        println!(
            "   left running: sluice-agent pid {a}, sluice-store pid {s}, sluice ui pid {u} (stop with kill {a} {s} {u})"
        );
        println!("\n   Discover: {ui_url}");
        println!("   Open the tutorial's dashboard: {dashboard_url}");
        return Ok(());
    }
    step("stop sluice ui", || clean_stop(&mut ui))?;
    step("stop sluice-agent", || clean_stop(&mut agent))?;
    step("stop sluice-store", || clean_stop(&mut store))
}

fn clean_stop(s: &mut Service) -> anyhow::Result<()> {
    if !s.stop(Duration::from_secs(20))? {
        bail!(
            "{} did not exit cleanly on SIGTERM; see {}",
            s.name,
            s.log.display()
        );
    }
    Ok(())
}

/// Runs one step; a failure names it.
fn step<T>(name: &str, f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    f().with_context(|| format!("demo step `{name}` failed"))
}

/// The seed's pipeline (`logstash.conf`), with `hosts` pointed at the store and the ports
/// chosen for this run.
fn pipeline(es_url: &str, tcp_port: u16) -> String {
    format!(
        r#"input {{
  tcp {{
    port => {tcp_port}
    codec => json_lines
  }}
}}

filter {{
  mutate {{
    convert => {{
      "duration" => "float"
    }}
  }}
}}

output {{
  elasticsearch {{
    hosts => ["{es_url}"]
    index => "python-logs-%{{+YYYY.MM.dd}}"
    user => "{USER}"
    password => "{PASSWORD}"
  }}

  stdout {{
    codec => rubydebug
  }}
}}
"#
    )
}

/// The first `n` rubydebug events of a log (each ends with a line `}` at column 0).
fn first_events(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut out = String::new();
    let mut seen = 0;
    let mut inside = false;
    for line in text.lines() {
        if line == "{" {
            inside = true;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
        if inside && line == "}" {
            inside = false;
            seen += 1;
            if seen == n {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_is_the_seeds_with_our_addresses() {
        let p = pipeline("http://127.0.0.1:19200", 15000);
        assert!(p.contains("port => 15000\n    codec => json_lines"));
        assert!(p.contains("\"duration\" => \"float\""));
        assert!(p.contains("hosts => [\"http://127.0.0.1:19200\"]"));
        assert!(p.contains("index => \"python-logs-%{+YYYY.MM.dd}\""));
        assert!(p.contains("codec => rubydebug"));
    }

    #[test]
    fn shows_only_the_first_events() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("agent.log");
        let ev = |i| format!("{{\n    \"n\" => {i}\n}}\n");
        std::fs::write(&log, format!("INFO started\n{}{}{}", ev(1), ev(2), ev(3))).unwrap();
        assert_eq!(first_events(&log, 2), format!("{}{}", ev(1), ev(2)));
    }
}
