//! `sluice ship`.

/// Options of `sluice ship`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("`sluice ship` is not built yet (issue 6)")
}
