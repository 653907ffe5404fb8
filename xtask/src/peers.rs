//! `cargo xtask peers es [--nodes N] [--heap-mb M] [--flavor elasticsearch|opensearch]
//! [--keep-running]` and `cargo xtask peers stop`.
//!
//! Starts a real Elasticsearch cluster on loopback (the server from Maven Central, see
//! `test_support::peers`), prints its URLs and state file, and then either waits until Ctrl-C
//! (the nodes get the same SIGINT and shut down cleanly) or, with `--keep-running`, returns and
//! leaves it running for `cargo xtask peers stop`.

use std::path::PathBuf;

use anyhow::Context as _;
use test_support::peers::{Cluster, ClusterConfig, Flavor};

/// Options of `cargo xtask peers`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// Start an Elasticsearch cluster (fetched with Maven under target/peers/).
    Es {
        /// Number of nodes (node-0 is the master; the others hold data).
        #[arg(long, default_value_t = 2)]
        nodes: usize,
        /// Heap per node in MiB.
        #[arg(long, default_value_t = 512)]
        heap_mb: u32,
        /// Which distribution (default: Elasticsearch, falling back to OpenSearch).
        #[arg(long, value_enum)]
        flavor: Option<FlavorArg>,
        /// Return once the cluster is green and leave it running (`cargo xtask peers stop`).
        #[arg(long)]
        keep_running: bool,
    },
    /// Stop the cluster a `peers es --keep-running` left running.
    Stop,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FlavorArg {
    Elasticsearch,
    Opensearch,
}

/// The state file of the cluster `cargo xtask peers es` starts.
pub fn state_file() -> PathBuf {
    ClusterConfig::default().dir.join("cluster.json")
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    match args.cmd {
        Cmd::Es {
            nodes,
            heap_mb,
            flavor,
            keep_running,
        } => {
            let config = ClusterConfig {
                nodes,
                heap_mb,
                detached: keep_running,
                flavor: flavor.map(|f| match f {
                    FlavorArg::Elasticsearch => Flavor::Elasticsearch,
                    FlavorArg::Opensearch => Flavor::OpenSearch,
                }),
                ..ClusterConfig::default()
            };
            let (cluster, mut children) = start(&config)?;
            if keep_running {
                println!("stop it with: cargo xtask peers stop");
                return Ok(());
            }
            println!("Ctrl-C stops it");
            for c in &mut children {
                let _ = c.wait();
            }
            cluster.stop();
            Ok(())
        }
        Cmd::Stop => {
            let path = state_file();
            let cluster = Cluster::load(&path)
                .with_context(|| format!("no cluster to stop ({})", path.display()))?;
            cluster.stop();
            std::fs::remove_file(&path)?;
            println!("stopped {} node(s)", cluster.nodes.len());
            Ok(())
        }
    }
}

/// Starts a cluster and prints where it is.
pub fn start(config: &ClusterConfig) -> anyhow::Result<(Cluster, Vec<std::process::Child>)> {
    eprintln!(
        "xtask: starting a {}-node Elasticsearch cluster ({} MiB heap each) in {}",
        config.nodes,
        config.heap_mb,
        config.dir.display()
    );
    let started = std::time::Instant::now();
    let (cluster, children) = Cluster::start(config)?;
    println!(
        "{} cluster green in {:.0} s:",
        cluster.flavor.name(),
        started.elapsed().as_secs_f64()
    );
    for n in &cluster.nodes {
        println!(
            "  {}  {}  (logs: {})",
            n.name,
            n.url(),
            n.dir.join("logs").display()
        );
    }
    println!(
        "  state file: {}",
        cluster.dir.join("cluster.json").display()
    );
    Ok((cluster, children))
}
