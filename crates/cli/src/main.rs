//! `sluice`: generate, send, ship, index, search, report, ui (dashboard).
//!
//! A thin binary: argument parsing and wiring only; the work happens in the library crates.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod conn;
mod dashboard;
mod generate;
mod index;
mod report;
mod search;
mod send;
mod ship;
mod ui;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "sluice", version, about = "Sluice: the log pipeline toolkit")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write generated log events as NDJSON to stdout.
    Generate(generate::Args),
    /// The seed's Example 2: index generated events into Elasticsearch (or sluice-store).
    Send(send::Args),
    /// Ship generated events through the durable shipper to an agent (or Logstash).
    Ship(ship::Args),
    /// Create, delete and list indices.
    #[command(subcommand)]
    Index(index::Cmd),
    /// Search with a query_string query, newest first.
    Search(search::Args),
    /// The seed's Kibana charts, computed with aggregations.
    Report(report::Args),
    /// The web UI in Kibana's place: data views, Discover, saved objects (`ui export|import`).
    Ui(ui::Args),
    /// The web UI, opened on its dashboards page (alias of `ui`).
    Dashboard(dashboard::Args),
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match try_main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sluice: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn try_main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::Generate(a) => generate::run(&a),
        Cmd::Send(a) => send::run(&a),
        Cmd::Ship(a) => ship::run(&a),
        Cmd::Index(c) => index::run(&c),
        Cmd::Search(a) => search::run(&a),
        Cmd::Report(a) => report::run(&a),
        Cmd::Ui(a) => ui::run(&a),
        Cmd::Dashboard(a) => dashboard::run(&a),
    }
}

/// A closed stdout (`sluice generate | head`) is a clean exit, not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    /// clap's own consistency checks over every subcommand (duplicate flags, group names...).
    #[test]
    fn command_line_is_consistent() {
        use clap::CommandFactory as _;
        super::Cli::command().debug_assert();
    }
}
