//! Project automation. `cargo xtask <command>`; see `cargo xtask --help`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod demo;
mod elk;
mod fuzz;
mod pyenv;
mod services;
mod ui;
mod util;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Sluice project automation")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Every test, including interop with the real Python clients (installs them under target/py-venv).
    Test {
        /// Extra arguments passed to `cargo test`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// fmt --check, clippy -D warnings, then `test`.
    Ci,
    /// Install (or refresh) the Python interop virtualenv under target/py-venv.
    Pyenv,
    /// Run the whole pipeline on the embedded default.
    Demo(demo::Args),
    /// Benchmarks against real peers; figures go to docs/benchmarks.md.
    Bench(bench::Args),
    /// Real Elasticsearch, Logstash and Kibana with Docker Compose (needs a Docker engine).
    Elk(elk::Args),
    /// Fuzz the parsers with cargo-fuzz (Lucene, query DSL, KQL, _bulk, NDJSON, Logstash config, events).
    Fuzz(fuzz::Args),
    /// Build the `sluice ui` front end (npm ci + vite build); `--test` runs its tests too.
    Ui(ui::Args),
}

fn main() -> std::process::ExitCode {
    match try_main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn try_main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Test { args } => test(&args),
        Cmd::Ci => ci(),
        Cmd::Pyenv => pyenv::ensure().map(|_| ()),
        Cmd::Demo(a) => demo::run(&a),
        Cmd::Bench(a) => bench::run(&a),
        Cmd::Elk(a) => elk::run(&a),
        Cmd::Ui(a) => ui::run(&a),
        Cmd::Fuzz(a) => fuzz::run(&a),
    }
}

fn test(extra: &[String]) -> anyhow::Result<()> {
    let python = pyenv::ensure()?;
    // `sluice` embeds the front end: build it first when missing
    ui::build(false)?;
    let mut cmd = util::cargo();
    cmd.args(["test", "--workspace", "--all-targets"])
        .args(extra)
        .env("SLUICE_PYTHON", &python);
    util::run(&mut cmd)?;
    // Doc tests are not part of --all-targets.
    let mut doc = util::cargo();
    doc.args(["test", "--workspace", "--doc"]);
    util::run(&mut doc)?;
    // The web UI: its unit tests, then the browser against the binaries just built.
    ui::unit_tests()?;
    ui::e2e()?;
    // The whole pipeline, end to end, as a user runs it (short variant).
    demo::run(&demo::Args {
        keep_running: false,
        events: 2_000,
        send: 50,
        quick: true,
        release: false,
    })
}

fn ci() -> anyhow::Result<()> {
    util::run(util::cargo().args(["fmt", "--all", "--check"]))?;
    util::run(util::cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    test(&[])
}
