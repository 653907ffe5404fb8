//! `cargo xtask demo`: the whole pipeline on the embedded default.

/// Options of `cargo xtask demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Leave the services running after the report.
    #[arg(long)]
    pub keep_running: bool,
}

pub fn run(_args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("the demo is not built yet (issue 7)")
}
