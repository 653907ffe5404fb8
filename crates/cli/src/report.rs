//! `sluice report`.

/// Options of `sluice report`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("`sluice report` is not built yet (issue 7)")
}
