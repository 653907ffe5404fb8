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
    /// The tutorial's Example 2: index generated events into Elasticsearch (or sluice-store).
    Send(send::Args),
    /// Ship generated events through the durable shipper to an agent (or Logstash).
    Ship(ship::Args),
    /// Create, delete and list indices.
    #[command(subcommand)]
    Index(index::Cmd),
    /// Search with a query_string query, newest first.
    Search(search::Args),
    /// The tutorial's Kibana charts, computed with aggregations.
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
        .with_ansi(colour(std::io::IsTerminal::is_terminal(&std::io::stderr())))
        .init();
    match try_main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sluice: error: {e:#}");
            if let Some(hint) = hint(&e) {
                eprintln!("sluice: hint: {hint}");
            }
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

/// indicatif's `{per_sec}` as a whole number (`24134/s`, not `24134.5678/s`).
pub fn whole_rate(state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write) {
    let _ = write!(w, "{:.0}/s", state.per_sec());
}

/// Colours only on a terminal, and never when `NO_COLOR` is set (no-color.org).
pub fn colour(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// What to do about the failures users meet first: wrong credentials, `https://` against a
/// plain-HTTP server.
fn hint(e: &anyhow::Error) -> Option<String> {
    let es = e
        .chain()
        .find_map(|c| c.downcast_ref::<es_client::Error>())?;
    if es.is_unauthorized() {
        return Some(format!(
            "the server refused {}: pass --user NAME --password PASSWORD (ES_USER/ES_PASSWORD) or \
             --api-key ID:KEY (ES_API_KEY)",
            conn::tried()
        ));
    }
    let text = es.to_string();
    if text.contains("InvalidContentType") || text.contains("invalid content type") {
        return Some(
            "the server answered in plain HTTP to a TLS connection: use an http:// URL in --es"
                .to_owned(),
        );
    }
    None
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
