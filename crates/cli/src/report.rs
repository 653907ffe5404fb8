//! `sluice report`: the seed's Kibana charts, computed by the server with aggregations.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use anyhow::Context as _;

use crate::conn;

/// Options of `sluice report`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub conn: conn::Args,
    /// Index pattern to report on (comma lists and wildcards as Elasticsearch takes them).
    #[arg(long, default_value = "python-logs-*")]
    pub index: String,
    /// Only events newer than this (30m, 1h, 24h, 7d); default: all.
    #[arg(long)]
    pub since: Option<String>,
    /// Also write one self-contained HTML page with SVG charts.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Also write the charts as one PNG image.
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
    /// Print the numbers as JSON instead of the terminal charts.
    #[arg(long)]
    pub json: bool,
    /// Render a saved dashboard (its id or title) with the same aggregations as `sluice ui`;
    /// `--json` prints exactly what the UI's `/api/dashboards/{id}/data` answers.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["index", "since"])]
    pub dashboard: Option<String>,
    /// With --dashboard: start of the time range (now-24h, an ISO date, epoch ms); default the
    /// dashboard's saved time range, else now-24h.
    #[arg(long, requires = "dashboard", allow_hyphen_values = true)]
    pub from: Option<String>,
    /// With --dashboard: end of the time range; default the dashboard's, else now.
    #[arg(long, requires = "dashboard", allow_hyphen_values = true)]
    pub to: Option<String>,
    /// With --dashboard: the time zone of date buckets and the heat map (IANA name, UTC, +01:00).
    #[arg(long, requires = "dashboard", default_value = "UTC")]
    pub time_zone: String,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    if let Some(path) = &args.png {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        anyhow::ensure!(
            ext.eq_ignore_ascii_case("png"),
            "--png {}: the image is written as PNG, so the file name must end in .png",
            path.display()
        );
    }
    if let Some(name) = &args.dashboard {
        return dashboard(args, name);
    }
    let client = args.conn.client()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = rt
        .block_on(report::fetch(&client, &args.index, args.since.as_deref()))
        .with_context(|| format!("report on [{}]", args.index))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write!(
            out,
            "{}",
            report.to_terminal(crate::colour(std::io::stdout().is_terminal()))
        )?;
    }
    if let Some(path) = &args.html {
        let page = report::html::render(&report)?;
        std::fs::write(path, page).with_context(|| format!("writing {}", path.display()))?;
        if !args.json {
            writeln!(out, "\nHTML report: {}", path.display())?;
        }
    }
    if let Some(path) = &args.png {
        report::charts::write_png(&report, path)?;
        if !args.json {
            writeln!(out, "PNG report:  {}", path.display())?;
        }
    }
    Ok(())
}

/// `sluice report --dashboard NAME`: the saved dashboard's panels, computed as `sluice ui`
/// computes them (`ui::Api::dashboard_answer`).
fn dashboard(args: &Args, name: &str) -> anyhow::Result<()> {
    let client = args.conn.client()?;
    let api = ui::Api::new(
        client,
        ui::ErrorContext {
            backend: args.conn.display(),
            credentials: args.conn.credentials(),
        },
    );
    let rt = conn::runtime()?;
    let fail = |e: ui::Error| anyhow::anyhow!("{}", e.reason);
    let (id, dash) = rt.block_on(api.find_dashboard(name)).map_err(fail)?;
    let zone = vis::interval::parse_zone(&args.time_zone)
        .map_err(|e| anyhow::anyhow!("--time-zone: {e}"))?;
    let saved = dash.time_range.clone();
    let from = args
        .from
        .clone()
        .or_else(|| saved.as_ref().map(|t| t.from.clone()))
        .unwrap_or_else(|| "now-24h".to_owned());
    let to = args
        .to
        .clone()
        .or_else(|| saved.as_ref().map(|t| t.to.clone()))
        .unwrap_or_else(|| "now".to_owned());
    let now = chrono::Utc::now().timestamp_millis();
    let resolve = |flag: &str, text: &str, end: bool| {
        vis::interval::resolve_time(text, now, end, &zone)
            .map_err(|e| anyhow::anyhow!("{flag}: {e}"))
    };
    let range = vis::TimeRange {
        from: resolve("--from", &from, false)?,
        to: resolve("--to", &to, true)?,
    };
    anyhow::ensure!(range.from <= range.to, "--from {from} is after --to {to}");
    let req = ui::visualize::DashboardDataRequest {
        time_range: range,
        query: dash.query.clone().unwrap_or_default(),
        filters: dash.filters.clone(),
        time_zone: args.time_zone.clone(),
        panels: None,
    };
    let answer = rt
        .block_on(api.dashboard_answer(&dash.panels, &req))
        .map_err(fail)
        .with_context(|| format!("dashboard [{}] ({id})", dash.title))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &answer)?;
        writeln!(out)?;
    } else {
        let colour = crate::colour(std::io::stdout().is_terminal());
        write!(
            out,
            "{}",
            report::dashboard::to_terminal(&dash.title, &answer, colour)
        )?;
    }
    if let Some(path) = &args.html {
        let page = report::dashboard::html(&dash.title, &answer)?;
        std::fs::write(path, page).with_context(|| format!("writing {}", path.display()))?;
        if !args.json {
            writeln!(out, "HTML report: {}", path.display())?;
        }
    }
    if let Some(path) = &args.png {
        report::dashboard::write_png(&answer, path)?;
        if !args.json {
            writeln!(out, "PNG report:  {}", path.display())?;
        }
    }
    Ok(())
}
