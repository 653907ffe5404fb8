//! `cargo xtask elk`: real Elasticsearch, Logstash and Kibana with Docker Compose.

/// Options of `cargo xtask elk`.
#[derive(clap::Args)]
pub struct Args {
    /// up | down | status
    pub action: String,
}

pub fn run(_args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("`cargo xtask elk` is not built yet (issue 7)")
}
