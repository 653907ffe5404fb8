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
