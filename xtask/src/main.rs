//! Project automation. `cargo xtask <command>`; see `cargo xtask --help`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod chaos;
mod conformance;
mod demo;
mod elk;
mod fuzz;
mod peers;
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
    /// A real Elasticsearch cluster on loopback (from Maven Central), for tests and benchmarks.
    Peers(peers::Args),
    /// Fuzz the parsers with cargo-fuzz (Lucene, query DSL, KQL, _bulk, NDJSON, Logstash config, events).
    Fuzz(fuzz::Args),
    /// Fault scenarios against the release binaries (kill -9, overload, stalled clients,
    /// hostile requests) as one table; `--write-docs` puts it into docs/reliability.md.
    Chaos {
        /// `--events N` (default 100,000), `--rounds R` (default 3), `--debug`, `--write-docs`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Elasticsearch's REST YAML tests against sluice-store and a real Elasticsearch 8, side by side.
    Conformance(conformance::Args),
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
        Cmd::Chaos { args } => chaos::run(&args),
        Cmd::Peers(a) => peers::run(&a),
        Cmd::Conformance(a) => conformance::run(&a),
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
    // One real Elasticsearch cluster for every test that needs one (starting one takes half a
    // minute); stopped when the tests end, pass or fail.
    let cluster = es_cluster_for_tests()?;
    if let Some(c) = &cluster {
        cmd.env(test_support::peers::ENV, c.dir.join("cluster.json"));
    }
    let tested = util::run(&mut cmd);
    if let Some(c) = &cluster {
        c.stop();
    }
    tested?;
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

/// The 2-node cluster the tests share, or `None` with a loud notice when `java` or `mvn` is
/// missing.
fn es_cluster_for_tests() -> anyhow::Result<Option<test_support::peers::Cluster>> {
    if !test_support::peers::tools_present() {
        eprintln!(
            "\n*** xtask: `java` or `mvn` is missing: the tests against a real Elasticsearch \
             cluster will be SKIPPED (.ci/run installs both) ***\n"
        );
        return Ok(None);
    }
    let config = test_support::peers::ClusterConfig {
        nodes: 2,
        heap_mb: 384,
        dir: util::root().join("target/peers/test-cluster"),
        ..Default::default()
    };
    // The launchers are not waited on: the nodes are stopped by pid file.
    let (cluster, _launchers) = peers::start(&config)?;
    Ok(Some(cluster))
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
